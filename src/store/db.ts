import Database from 'better-sqlite3';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StartError, errorText } from '../errors.js';

export type DB = Database.Database;

/** migrations/ at the project root, both from src/ (tsx, vitest) and from dist/src/. */
export function migrationsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'migrations');
    try {
      if (readdirSync(candidate).some((f) => f.endsWith('.sql'))) return candidate;
    } catch {
      /* keep walking up */
    }
    dir = dirname(dir);
  }
  throw new Error('migrations directory not found');
}

/**
 * Opens (creating if needed) the SQLite database with WAL, foreign keys and a busy timeout, and
 * applies every numbered migration not yet recorded, each inside one transaction. A database that
 * cannot be opened or written stops the start with its path and the cause.
 */
export function openDatabase(path: string): DB {
  let db: DB | undefined;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    migrate(db);
    return db;
  } catch (e) {
    db?.close();
    const dir = dirname(resolve(path));
    // SQLite says only "unable to open database file"; the directory says why.
    let cause = errorText(e);
    try {
      accessSync(dir, constants.W_OK);
    } catch (de) {
      cause = `the directory ${dir} is not writable (${errorText(de)}); ${cause}`;
    }
    throw new StartError(
      `cannot use the database ${resolve(path)}: ${cause}. SQLite writes the file and, next to it, its -wal and -shm files: ` +
        `the directory must be writable and have free space.`,
      { cause: e },
    );
  }
}

export function migrate(db: DB): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  const dir = migrationsDir();
  const files = readdirSync(dir)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
  const done: string[] = [];
  for (const file of files) {
    const version = parseInt(file, 10);
    if (applied.has(version)) continue;
    const sql = readFileSync(join(dir, file), 'utf8');
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(version, file, Date.now());
    })();
    done.push(file);
  }
  return done;
}
