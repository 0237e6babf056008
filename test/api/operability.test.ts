import { Writable } from 'node:stream';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import supertest from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, token, type TestServer, ADMIN_KEY, USER_KEY } from '../helpers/server.js';
import { ConfigError, defaultConfig, loadConfig } from '../../src/config.js';
import { StartError } from '../../src/errors.js';
import { createBrickyard } from '../../src/app.js';
import { MockRunner } from '../../src/gluster/mock/index.js';
import { checkDatabase } from '../../src/store/check.js';
import { migrate } from '../../src/store/db.js';

let s: TestServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

async function topology(srv: TestServer, nodes = 3): Promise<string> {
  const cluster = (await srv.post('/clusters', { file: true, block: true })).body.id as string;
  for (let i = 1; i <= nodes; i++) {
    const r = await srv.post('/nodes', { zone: i, hostnames: { manage: [`node${i}`], storage: [`10.0.0.${i}`] }, cluster });
    const id = (await srv.wait(r.headers.location)).headers.location.split('/').pop()!;
    await srv.wait((await srv.post('/devices', { name: '/dev/sdb', node: id })).headers.location);
  }
  return cluster;
}

describe('metrics', () => {
  it('exposes Heketi gauges with their labels and request metrics', async () => {
    s = await startTestServer();
    const cluster = await topology(s);
    const v = await s.post('/volumes', { size: 1, durability: { type: 'replicate', replicate: { replica: 3 } } });
    await s.wait(v.headers.location);
    const r = await s.raw().get('/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = r.text;
    expect(text).toContain('# HELP heketi_up Is heketi running?');
    expect(text).toMatch(/^heketi_up 1$/m);
    expect(text).toMatch(/^heketi_cluster_count 1$/m);
    expect(text).toContain(`heketi_nodes_count{cluster="${cluster}"} 3`);
    expect(text).toContain(`heketi_volumes_count{cluster="${cluster}"} 1`);
    expect(text).toContain(`heketi_device_count{cluster="${cluster}",hostname="node1",storage_hostname="10.0.0.1"} 1`);
    expect(text).toMatch(new RegExp(`heketi_device_size\\{cluster="${cluster}",hostname="node1",storage_hostname="10.0.0.1",id="[0-9a-f]{32}",device="/dev/sdb",pv_uuid=""\\} 524288000`));
    expect(text).toMatch(/heketi_device_used_bytes\{[^}]*\} \d+/);
    expect(text).toMatch(/heketi_device_brick_count\{[^}]*\} 1/);
    for (const name of ['heketi_operations_stale_count', 'heketi_operations_failed_count', 'heketi_operations_new_count', 'heketi_operations_total_count', 'heketi_operations_inFlight_count']) {
      expect(text).toMatch(new RegExp(`^${name} 0$`, 'm'));
    }
    expect(text).toMatch(/brickyard_http_requests_total\{route="\/volumes",method="POST",status="202"\} 1/);
    expect(text).toMatch(/brickyard_http_request_duration_seconds_bucket\{le="[^"]+",route="\/clusters",method="POST",status="201"\} \d+/);
    expect(text).toMatch(/brickyard_operation_duration_seconds_count\{type="create-volume",phase="total",outcome="ok"\} 1/);
    expect(text).toMatch(/^brickyard_operations_in_flight 0$/m);
  });
});

describe('backup', () => {
  it('takes a consistent snapshot under write load that opens and passes db check', async () => {
    s = await startTestServer();
    await topology(s);
    const srv = s;
    let writing = true;
    const writer = (async () => {
      let n = 0;
      while (writing) {
        const r = await srv.post('/volumes', { size: 1, durability: { type: 'replicate', replicate: { replica: 3 } } });
        if (r.status === 202) await srv.wait(r.headers.location);
        await srv.post('/clusters', {});
        n++;
      }
      return n;
    })();
    await new Promise((r) => setTimeout(r, 150));
    const backup = await s.get('/backup/db').buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    writing = false;
    expect(await writer).toBeGreaterThan(0);
    expect(backup.status).toBe(200);
    expect(backup.headers['content-type']).toBe('application/octet-stream');
    expect(backup.headers['content-disposition']).toBe('attachment; filename="heketi.db"');
    const dir = mkdtempSync(join(tmpdir(), 'brickyard-restore-'));
    try {
      // The documented restore: the downloaded file is used as the DB file as is.
      const file = join(dir, 'restored.db');
      (await import('node:fs')).writeFileSync(file, backup.body as Buffer);
      const db = new Database(file);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      migrate(db);
      expect(checkDatabase(db).totalinconsistencies).toBe(0);
      const clusters = (db.prepare('SELECT COUNT(*) AS n FROM clusters').get() as { n: number }).n;
      expect(clusters).toBeGreaterThan(0);
      db.close();
      // A server started on the restored file serves it.
      const config = defaultConfig(dir);
      config.glusterfs.dbPath = file;
      config.auth.adminKey = ADMIN_KEY;
      config.auth.userKey = USER_KEY;
      const by = await createBrickyard(config, { runner: new MockRunner() });
      await by.app.ready();
      const list = await supertest(by.app.server).get('/clusters').set('Authorization', `bearer ${token('GET', '/clusters')}`);
      expect(list.body.clusters.length).toBe(clusters);
      await by.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('logs', () => {
  it('writes JSON lines carrying the request id, echoed in X-Request-Id; level changes at runtime', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'brickyard-logs-'));
    const config = defaultConfig(dir);
    config.auth.adminKey = ADMIN_KEY;
    config.auth.userKey = USER_KEY;
    const by = await createBrickyard(config, { runner: new MockRunner(), logger: { level: 'info', stream } });
    await by.app.ready();
    const agent = supertest(by.app.server);
    const auth = (m: string, p: string) => `bearer ${token(m, p)}`;
    try {
      const r = await agent.post('/clusters').set('Authorization', auth('POST', '/clusters')).set('X-Request-Id', 'req-abc').send('{}');
      expect(r.headers['x-request-id']).toBe('req-abc');
      const mine = lines.filter((l) => l.reqId === 'req-abc');
      expect(mine.length).toBeGreaterThanOrEqual(2);
      const generated = await agent.get('/clusters').set('Authorization', auth('GET', '/clusters'));
      expect(generated.headers['x-request-id']).toBeTruthy();
      // A background operation's outcome is logged with the id of the request that started it.
      const cluster = r.body.id as string;
      const add = await agent.post('/nodes').set('Authorization', auth('POST', '/nodes')).set('X-Request-Id', 'req-node').send({ zone: 1, hostnames: { manage: ['h1'], storage: ['h1'] }, cluster });
      await by.ctx.ops.idle();
      expect(add.status).toBe(202);
      expect(lines.some((l) => l.reqId === 'req-node' && l.msg === 'operation finished')).toBe(true);
      for (const l of lines) expect(typeof l.level).toBe('number');
      // Runtime level through Heketi's endpoint: at "error", info lines stop.
      const set = await agent.post('/internal/logging').set('Authorization', auth('POST', '/internal/logging')).send({ loglevel: { glusterfs: 'error' } });
      expect(set.body).toEqual({ loglevel: { glusterfs: 'error' } });
      const before = lines.length;
      await agent.get('/clusters').set('Authorization', auth('GET', '/clusters'));
      expect(lines.length).toBe(before);
      const bad = await agent.post('/internal/logging').set('Authorization', auth('POST', '/internal/logging')).send({ loglevel: { glusterfs: 'loud' } });
      expect(bad.status).toBe(422);
      expect(bad.text).toBe('invalid log level: loud\n');
    } finally {
      await by.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('db import endpoint', () => {
  it('imports a Heketi export into an empty database, refuses a second time', async () => {
    s = await startTestServer();
    const exportFile = new URL('../fixtures/migration/heketi-db-export.json', import.meta.url);
    const dump = (await import('node:fs')).readFileSync(exportFile, 'utf8');
    const r = await s.post('/db/import', dump);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ clusters: 2, nodes: 6, volumes: 4 });
    expect((await s.get('/volumes')).body.volumes).toHaveLength(4);
    const again = await s.post('/db/import', dump);
    expect(again.status).toBe(400);
    expect(again.text).toMatch(/^Import refused: /);
    expect((await s.post('/db/import', '{')).status).toBe(422);
  });
});

describe('background cleaner', () => {
  it('retries a failed operation by itself once its node is back', async () => {
    s = await startTestServer((c) => {
      c.glusterfs.cleaner.startSec = 1;
      c.glusterfs.cleaner.refreshSec = 1;
    });
    await topology(s, 3);
    // A create whose undo cannot reach a node: the operation stays `failed`.
    s.runner.failNext({ match: /volume create/, stderr: 'volume create: failed', times: 10 });
    s.runner.setHostDown('node2', true);
    const r = await s.post('/volumes', { size: 1, durability: { type: 'replicate', replicate: { replica: 3 } } });
    expect((await s.wait(r.headers.location)).status).toBe(500);
    expect((await s.get('/operations')).body).toMatchObject({ failed: 1 });
    s.runner.setHostDown('node2', false);
    for (let i = 0; i < 100 && (await s.get('/operations')).body.total > 0; i++) await new Promise((res) => setTimeout(res, 100));
    expect((await s.get('/operations')).body).toMatchObject({ total: 0, failed: 0 });
    expect(JSON.stringify(s.runner.snapshot())).not.toMatch(/brick_[0-9a-f]{32}/);
    expect((await s.get('/db/check')).body.totalinconsistencies).toBe(0);
  });
});

describe('start-up errors name what to fix', () => {
  const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../..');
  /** `brickyard serve` as an operator runs it: its exit code and what it printed. */
  function serve(configFile: string): { code: number | null; stderr: string } {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--config', configFile], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    return { code: r.status, stderr: r.stderr };
  }
  const configFile = (dir: string, glusterfs: Record<string, unknown>) => {
    const file = join(dir, 'heketi.json');
    writeFileSync(file, JSON.stringify({ port: '0', jwt: { admin: { key: ADMIN_KEY }, user: { key: USER_KEY } }, glusterfs: { executor: 'mock', ...glusterfs } }));
    return file;
  };

  it('a read-only database directory: the path and the cause, no stack', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brickyard-ro-'));
    const dbDir = join(dir, 'db');
    mkdirSync(dbDir);
    // root writes through file modes: a read-only mount is what stops it.
    let mounted = false;
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dbDir], { stdio: 'ignore' });
      mounted = true;
    } catch {
      chmodSync(dbDir, 0o555);
    }
    try {
      const config = defaultConfig(dbDir);
      const err = await createBrickyard(config).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StartError);
      expect((err as Error).message).toMatch(new RegExp(`^cannot use the database ${join(dbDir, 'brickyard.db')}: the directory ${dbDir} is not writable \\((EROFS|EACCES)`));
      const r = serve(configFile(dir, { db: join(dbDir, 'heketi.db') }));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^ERROR: cannot use the database ${join(dbDir, 'heketi.db')}: the directory ${dbDir} is not writable`));
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      if (mounted) execFileSync('umount', [dbDir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a node-command setting every command would refuse (fstab, mountopts) stops the start', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brickyard-cfg-'));
    try {
      for (const [key, value, text] of [
        ['fstab', '/etc/fstab x', 'invalid fstab path "/etc/fstab x"'],
        ['mountopts', 'rw,inode64 noatime', 'invalid mount options "rw,inode64 noatime"'],
      ] as const) {
        const { config } = loadConfig({ configFile: configFile(dir, { db: join(dir, 'heketi.db'), sshexec: { [key]: value } }), env: {} });
        await expect(createBrickyard(config), key).rejects.toThrow(ConfigError);
        await expect(createBrickyard(config), key).rejects.toThrow(text);
      }
      const r = serve(configFile(dir, { db: join(dir, 'heketi.db'), sshexec: { fstab: '/etc/fstab x' } }));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^ERROR: node command configuration .*: invalid fstab path "\/etc\/fstab x"/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
