import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { openDatabase, type DB } from '../store/db.js';
import { exportDump, importDump } from '../store/dump/index.js';
import { checkDatabase } from '../store/check.js';
import type { CliResult } from './command.js';

/**
 * Offline database verbs (Heketi's `heketi db import|export|consistency-check`):
 *   brickyard db import --jsonfile FILE --dbfile DB
 *   brickyard db export --dbfile DB --jsonfile FILE
 *   brickyard db check  --dbfile DB
 */

export const DB_USAGE = `usage: brickyard db import --jsonfile FILE --dbfile DB   load a Heketi 'db export' JSON into a new database
       brickyard db export --dbfile DB --jsonfile FILE   write the database as Heketi's DB dump JSON
       brickyard db check  --dbfile DB                   consistency check (exit 1 if inconsistent)
`;

function option(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === name || a === `-${name}`) return args[i + 1];
    if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
    if (a.startsWith(`-${name}=`)) return a.slice(name.length + 2);
  }
  return undefined;
}

/** True when argv is an offline `db` verb (it names a --dbfile), as opposed to the client's `db dump|check`. */
export function isOfflineDbCommand(args: string[]): boolean {
  if (args[0] === 'import' || args[0] === 'export' || args[0] === 'consistency-check') return true;
  if (args.includes('--help') || args.includes('-h')) return true;
  return args.some((a) => a === '--dbfile' || a.startsWith('--dbfile=') || a === '-dbfile' || a.startsWith('-dbfile='));
}

function removeDbFiles(path: string): void {
  for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function dbImport(jsonFile: string, dbFile: string): CliResult {
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(jsonFile, 'utf8'));
  } catch (e) {
    return fail(`Could not read ${jsonFile} as JSON: ${errorText(e)}`);
  }
  const created = !existsSync(dbFile);
  let db: DB | undefined;
  try {
    db = openDatabase(dbFile);
    const s = importDump(db, input);
    db.close();
    db = undefined;
    const parts = [
      `${s.clusters} clusters`,
      `${s.nodes} nodes`,
      `${s.devices} devices`,
      `${s.volumes} volumes`,
      `${s.bricks} bricks`,
      `${s.blockvolumes} block volumes`,
      `${s.dbattributes} db attributes`,
      `${s.pendingoperations} pending operations`,
    ];
    let stderr = '';
    if (s.ignored.length > 0) stderr = `WARNING: ignored fields Brickyard does not keep: ${s.ignored.join(', ')}\n`;
    return { code: 0, stdout: `Imported ${parts.join(', ')} into ${dbFile}\n`, stderr };
  } catch (e) {
    db?.close();
    if (created) removeDbFiles(dbFile);
    return fail(errorText(e));
  }
}

export function dbExport(dbFile: string, jsonFile: string): CliResult {
  if (!existsSync(dbFile)) return fail(`Unable to open database: ${dbFile} does not exist`);
  if (existsSync(jsonFile)) return fail(`Could not create json file: ${jsonFile} already exists`);
  let db: DB | undefined;
  try {
    db = openDatabase(dbFile);
    const dump = exportDump(db);
    writeFileSync(jsonFile, `${JSON.stringify(dump, null, 4)}\n`, { flag: 'wx', mode: 0o600 });
    return { code: 0, stdout: `Exported ${dbFile} to ${jsonFile}\n`, stderr: '' };
  } catch (e) {
    return fail(errorText(e));
  } finally {
    db?.close();
  }
}

export function dbCheck(dbFile: string): CliResult {
  if (!existsSync(dbFile)) return fail(`Unable to open database: ${dbFile} does not exist`);
  let db: DB | undefined;
  try {
    db = openDatabase(dbFile);
    const result = checkDatabase(db);
    return { code: result.totalinconsistencies > 0 ? 1 : 0, stdout: `${JSON.stringify(result, null, 4)}\n`, stderr: '' };
  } catch (e) {
    return fail(errorText(e));
  } finally {
    db?.close();
  }
}

function fail(message: string): CliResult {
  return { code: 1, stdout: '', stderr: `Error: ${message}\n` };
}

/** `brickyard db <verb> ...` (offline). */
export function runDbCommand(args: string[]): CliResult {
  const [verb, ...rest] = args;
  if (args.includes('--help') || args.includes('-h')) return { code: 0, stdout: DB_USAGE, stderr: '' };
  const dbFile = option(rest, '--dbfile');
  const jsonFile = option(rest, '--jsonfile');
  switch (verb) {
    case 'import':
      if (!jsonFile || !dbFile) return { code: 2, stdout: '', stderr: `Error: db import needs --jsonfile and --dbfile\n${DB_USAGE}` };
      return dbImport(jsonFile, dbFile);
    case 'export':
      if (!jsonFile || !dbFile) return { code: 2, stdout: '', stderr: `Error: db export needs --dbfile and --jsonfile\n${DB_USAGE}` };
      return dbExport(dbFile, jsonFile);
    case 'check':
    case 'consistency-check':
      if (!dbFile) return { code: 2, stdout: '', stderr: `Error: db check needs --dbfile\n${DB_USAGE}` };
      return dbCheck(dbFile);
    default:
      return { code: 2, stdout: '', stderr: DB_USAGE };
  }
}
