/**
 * Crash safety: the real server runs as a child process (`node --import tsx src/cli/main.ts serve`)
 * with the mock executor, and is SIGKILLed right after every single node command of an operation
 * (volume create, expand, delete, clone; block volume create with its hosting volume; device add,
 * delete, remove). After each kill the server is restarted on
 * the same DB and mock state file and, once its recovery is done, we check that
 *  (a) the interrupted request's queue entry answers what recovery did — 500 "Operation interrupted…
 *      rolled back…; retry" when it undid the operation, the 303/204 the client would have got
 *      without the crash when it finished it (deletes, expansions gluster had taken) — never pending;
 *  (b) the DB is consistent (`GET /db/check`: no inconsistency, nothing pending);
 *  (c) the DB equals the nodes (test/helpers/drift.ts reads the mock state file directly; the
 *      server's own `GET /internal/state/drift` must agree).
 *
 * The kill comes from the mock (src/gluster/mock/runner.ts, test-only): with BRICKYARD_MOCK_CRASH_FILE set,
 * writing `<n>` to that file arms it, and the process kills itself after the n-th command from then
 * on. So one server start per step: the restarted server recovers, we check, prepare the next step
 * on it and arm it again. The number of commands N of each operation is measured by a first,
 * uninterrupted run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ChildServer, buildServer, cleanupServers, type Res } from '../helpers/child-server.js';
import { planBrickCreate, planDeviceSetup, planVolumeCreate } from '../../src/gluster/planner.js';
import { driftBetween } from '../helpers/drift.js';
import { INTERRUPTED, INTERRUPTED_UNFINISHED } from '../../src/store/queue.js';

beforeAll(buildServer, 60_000);
afterAll(cleanupServers);

/** A child server on the mock executor, with its crash switch (BRICKYARD_MOCK_CRASH_FILE). */
class Child extends ChildServer {
  readonly crashFile: string;

  constructor(dir: string) {
    const crashFile = join(dir, 'crash-after');
    super(dir, { glusterfs: { executor: 'mock', loglevel: 'info', mock: { delay_ms: 2 }, auto_create_block_hosting_volume: true, block_hosting_volume_size: 10 }, env: { BRICKYARD_MOCK_CRASH_FILE: crashFile }, pollMs: 5 });
    this.crashFile = crashFile;
  }

  commandCount(): number {
    const log = `${this.dbPath}.mock-nodes.json.log`;
    return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l !== '').length : 0;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const R2 = { type: 'replicate', replicate: { replica: 2 } };

interface Topology {
  cluster: string;
  nodes: string[];
}

async function buildTopology(s: Child): Promise<Topology> {
  const c = await s.req('POST', '/clusters', { file: true, block: true });
  expect(c.status).toBe(201);
  const cluster = c.json<{ id: string }>().id;
  const nodes: string[] = [];
  for (let i = 1; i <= 3; i++) {
    const id = await s.ok('POST', '/nodes', { zone: i, hostnames: { manage: [`node${i}`], storage: [`10.0.0.${i}`] }, cluster });
    nodes.push(id);
    await s.ok('POST', '/devices', { name: '/dev/sdb', node: id });
  }
  return { cluster, nodes };
}

async function createVolume(s: Child): Promise<string> {
  return s.ok('POST', '/volumes', { size: 1, durability: R2 });
}

/** Polls GET /operations until the recovery has cleaned every interrupted operation. */
async function waitRecovery(s: Child): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    const ops = (await s.req('GET', '/operations')).json<{ total: number; failed: number }>();
    expect(ops.failed, 'an interrupted operation could not be recovered').toBe(0);
    if (ops.total === 0) return;
    if (Date.now() > until) throw new Error(`recovery did not finish: ${JSON.stringify(ops)}`);
    await sleep(10);
  }
}

async function expectConsistent(s: Child, step: string): Promise<void> {
  const check = (await s.req('GET', '/db/check')).json<Record<string, { pending: number; inconsistencies: string[] | null }> & { totalinconsistencies: number }>();
  const incons = Object.values(check).flatMap((b) => (typeof b === 'object' ? (b.inconsistencies ?? []) : []));
  expect(incons, `${step}: /db/check`).toEqual([]);
  expect(check.totalinconsistencies).toBe(0);
  for (const bucket of ['clusters', 'volumes', 'bricks', 'nodes', 'devices', 'blockvolumes', 'pendingoperations']) {
    expect(check[bucket]!.pending, `${step}: pending ${bucket}`).toBe(0);
  }
  expect(driftBetween(s.dbPath), `${step}: DB vs nodes`).toEqual([]);
  const drift = (await s.req('GET', '/internal/state/drift')).json<{ clean: boolean; items: unknown[] }>();
  expect(drift, `${step}: GET /internal/state/drift`).toEqual({ clean: true, items: [] });
}

/** A queue answer: status and body (text for 500s, Location for 303s). */
interface Answer {
  status: number;
  body: string;
}

const ROLLED_BACK: Answer = { status: 500, body: `${INTERRUPTED}\n` };
const NO_CONTENT: Answer = { status: 204, body: '' };
const seeOther = (location: string): Answer => ({ status: 303, body: location });

interface Scenario {
  name: string;
  /** Builds what the operation needs (uninterrupted); returns its context. */
  prepare(s: Child, t: Topology): Promise<Record<string, string>>;
  /** Sends the operation: the 202's queue location. */
  send(s: Child, c: Record<string, string>): Promise<Res>;
  /** After recovery: the queue answer that matches what recovery did (read from the recovered state). */
  answer(s: Child, c: Record<string, string>): Promise<Answer>;
  /** Checks specific to the operation after recovery, then returns the topology to the baseline. */
  after(s: Child, c: Record<string, string>, t: Topology, step: string, completed: boolean): Promise<void>;
  /** The queue answers' statuses that must all occur over the kill points (both outcomes of a recovery that can go either way). */
  outcomes?: number[];
}

const SCENARIOS: Scenario[] = [
  {
    name: 'volume create',
    prepare: async () => ({}),
    send: (s) => s.req('POST', '/volumes', { size: 1, durability: R2 }),
    answer: async () => ROLLED_BACK,
    async after(s, _c, _t, step, completed) {
      const vols = (await s.req('GET', '/volumes')).json<{ volumes: string[] }>().volumes;
      if (completed) {
        for (const v of vols) await s.ok('DELETE', `/volumes/${v}`);
      } else expect(vols, `${step}: the interrupted create is rolled back`).toEqual([]);
    },
  },
  {
    name: 'volume expand',
    prepare: async (s) => ({ volume: await createVolume(s) }),
    send: (s, c) => s.req('POST', `/volumes/${c.volume}/expand`, { expand_size: 1 }),
    // Rolled forward once gluster has the new bricks: the client gets the volume, as without a crash.
    answer: async (s, c) => ((await s.req('GET', `/volumes/${c.volume}`)).json<{ size: number }>().size === 2 ? seeOther(`/volumes/${c.volume}`) : ROLLED_BACK),
    outcomes: [303, 500],
    async after(s, c, _t, step) {
      const v = (await s.req('GET', `/volumes/${c.volume}`)).json<{ size: number; bricks: unknown[] }>();
      // Rolled back (old size, old bricks) or rolled forward (new size, new bricks): never a mix.
      expect([JSON.stringify([1, 2]), JSON.stringify([2, 4])], `${step}: size/bricks after recovery`).toContain(JSON.stringify([v.size, v.bricks.length]));
      await s.ok('DELETE', `/volumes/${c.volume}`);
    },
  },
  {
    name: 'volume delete',
    prepare: async (s) => ({ volume: await createVolume(s) }),
    send: (s, c) => s.req('DELETE', `/volumes/${c.volume}`),
    answer: async () => NO_CONTENT,
    async after(s, c, _t, step) {
      expect((await s.req('GET', `/volumes/${c.volume}`)).status, `${step}: the delete is rolled forward`).toBe(404);
      expect((await s.req('GET', '/volumes')).json<{ volumes: string[] }>().volumes).toEqual([]);
    },
  },
  {
    name: 'volume clone',
    prepare: async (s) => ({ volume: await createVolume(s) }),
    send: (s, c) => s.req('POST', `/volumes/${c.volume}/clone`, {}),
    answer: async () => ROLLED_BACK,
    async after(s, c, _t, step, completed) {
      const clones = (await s.req('GET', '/volumes')).json<{ volumes: string[] }>().volumes.filter((v) => v !== c.volume);
      if (completed) expect(clones, step).toHaveLength(1);
      else expect(clones, `${step}: the interrupted clone is rolled back`).toEqual([]);
      for (const v of [...clones, c.volume]) await s.ok('DELETE', `/volumes/${v}`);
    },
  },
  {
    name: 'block volume create with its hosting volume',
    prepare: async () => ({}),
    send: (s) => s.req('POST', '/blockvolumes', { size: 1 }),
    answer: async () => ROLLED_BACK,
    async after(s, _c, _t, step, completed) {
      const blocks = (await s.req('GET', '/blockvolumes')).json<{ blockvolumes: string[] }>().blockvolumes;
      const vols = (await s.req('GET', '/volumes')).json<{ volumes: string[] }>().volumes;
      if (completed) {
        expect([blocks.length, vols.length], step).toEqual([1, 1]);
        for (const b of blocks) await s.ok('DELETE', `/blockvolumes/${b}`);
        for (const v of vols) await s.ok('DELETE', `/volumes/${v}`);
      } else expect({ blocks, vols }, `${step}: the block volume and its hosting volume are rolled back`).toEqual({ blocks: [], vols: [] });
    },
  },
  {
    name: 'device add',
    prepare: async () => ({}),
    send: (s, _c) => s.req('POST', '/devices', { name: '/dev/sdc', node: TOPO.get(s)!.nodes[0] }),
    answer: async () => ROLLED_BACK,
    async after(s, _c, t, step, completed) {
      const node = (await s.req('GET', `/nodes/${t.nodes[0]}`)).json<{ devices: { id: string; name: string }[] }>();
      const added = node.devices.filter((d) => d.name === '/dev/sdc');
      if (completed) {
        for (const d of added) {
          await s.ok('POST', `/devices/${d.id}/state`, { state: 'offline' });
          await s.ok('POST', `/devices/${d.id}/state`, { state: 'failed' });
          await s.ok('DELETE', `/devices/${d.id}`);
        }
      } else expect(added, `${step}: the interrupted add is rolled back`).toEqual([]);
    },
  },
  {
    name: 'device delete',
    async prepare(s) {
      const node = TOPO.get(s)!.nodes[0]!;
      await s.ok('POST', '/devices', { name: '/dev/sdc', node });
      const dev = (await s.req('GET', `/nodes/${node}`)).json<{ devices: { id: string; name: string }[] }>().devices.find((d) => d.name === '/dev/sdc')!;
      await s.ok('POST', `/devices/${dev.id}/state`, { state: 'offline' });
      await s.ok('POST', `/devices/${dev.id}/state`, { state: 'failed' });
      return { device: dev.id };
    },
    send: (s, c) => s.req('DELETE', `/devices/${c.device}`),
    answer: async () => NO_CONTENT,
    async after(s, c, _t, step) {
      expect((await s.req('GET', `/devices/${c.device}`)).status, `${step}: the delete is rolled forward`).toBe(404);
    },
  },
  {
    name: 'device remove',
    async prepare(s) {
      const volume = await createVolume(s);
      const v = (await s.req('GET', `/volumes/${volume}`)).json<{ bricks: { device: string }[] }>();
      const device = v.bricks[0]!.device;
      await s.ok('POST', `/devices/${device}/state`, { state: 'offline' });
      return { volume, device };
    },
    send: (s, c) => s.req('POST', `/devices/${c.device}/state`, { state: 'failed' }),
    // Bricks already moved stay moved, but the device keeps its state: the request did not complete.
    answer: async () => ({ status: 500, body: `${INTERRUPTED_UNFINISHED}\n` }),
    async after(s, c, _t, step, completed) {
      const d = (await s.req('GET', `/devices/${c.device}`)).json<{ state: string; bricks: unknown[] }>();
      const v = (await s.req('GET', `/volumes/${c.volume}`)).json<{ bricks: { node: string; device: string }[] }>();
      expect(v.bricks.length).toBe(2);
      expect(new Set(v.bricks.map((b) => b.node)).size, `${step}: one brick per node`).toBe(2);
      if (completed) {
        expect(d.state).toBe('failed');
        expect(v.bricks.some((b) => b.device === c.device)).toBe(false);
        const nodeId = (await nodeOfDevice(s, c.device))!;
        await s.ok('DELETE', `/devices/${c.device}`);
        await s.ok('POST', '/devices', { name: '/dev/sdb', node: nodeId });
      } else {
        // Recovery finishes or undoes the brick's eviction; the device keeps its state.
        expect(d.state, step).toBe('offline');
        await s.ok('POST', `/devices/${c.device}/state`, { state: 'online' });
      }
      await s.ok('DELETE', `/volumes/${c.volume}`);
    },
  },
];

const TOPO = new Map<Child, Topology>();

async function nodeOfDevice(s: Child, deviceId: string): Promise<string | undefined> {
  for (const n of TOPO.get(s)!.nodes) {
    const node = (await s.req('GET', `/nodes/${n}`)).json<{ devices: { id: string }[] }>();
    if (node.devices.some((d) => d.id === deviceId)) return n;
  }
  return undefined;
}

async function runScenario(sc: Scenario): Promise<{ steps: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'brickyard-crash-'));
  const s = new Child(dir);
  try {
    await s.start();
    const topo = await buildTopology(s);
    TOPO.set(s, topo);
    await expectConsistent(s, `${sc.name}: baseline`);

    // Reference run: how many commands the operation issues.
    let c = await sc.prepare(s, topo);
    let before = s.commandCount();
    const ref = await sc.send(s, c);
    expect(ref.status, ref.text).toBe(202);
    const refDone = await s.wait(ref.location);
    expect([303, 204], `${sc.name}: reference run: ${refDone.text}`).toContain(refDone.status);
    const total = s.commandCount() - before;
    expect(total).toBeGreaterThan(0);
    await expectConsistent(s, `${sc.name}: reference run`);
    await sc.after(s, c, topo, `${sc.name}: reference run`, true);
    await expectConsistent(s, `${sc.name}: reset after the reference run`);

    const seen = new Set<number>();
    for (let n = 1; n <= total; n++) {
      const step = `${sc.name}: killed after command ${n}/${total}`;
      c = await sc.prepare(s, topo);
      before = s.commandCount();
      writeFileSync(s.crashFile, String(n));
      const r = await sc.send(s, c);
      expect(r.status, `${step}: ${r.text}`).toBe(202);
      const exit = await Promise.race([s.exited, sleep(20_000).then(() => undefined)]);
      expect(exit?.signal, `${step}: the server did not die (ran ${s.commandCount() - before} commands)`).toBe('SIGKILL');
      expect(s.commandCount() - before, step).toBe(n);

      await s.start();
      await waitRecovery(s);
      const q = await s.req('GET', r.location);
      seen.add(q.status);
      expect({ status: q.status, body: q.status === 303 ? q.location : q.text }, `${step}: queue entry`).toEqual(await sc.answer(s, c));
      await expectConsistent(s, step);
      await sc.after(s, c, topo, step, false);
    }
    await expectConsistent(s, `${sc.name}: final state`);
    if (sc.outcomes) expect([...seen].sort(), `${sc.name}: the answers over all kill points`).toEqual(sc.outcomes);
    return { steps: total };
  } finally {
    await s.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.concurrent('crash at every step, restart, recover', () => {
  for (const sc of SCENARIOS) {
    // Under the full suite's load a scenario of ~30 restarts can take minutes.
    it(sc.name, { timeout: 600_000 }, async () => {
      const { steps } = await runScenario(sc);
      expect(steps).toBeGreaterThan(0);
    });
  }

  it('BRICKYARD_MOCK_CRASH_AFTER=<n> counts from the process start', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brickyard-crash-'));
    const s = new Child(dir);
    try {
      // Command 1: the glusterd check of the node add; command 2: pvcreate of the device add.
      await s.start({ BRICKYARD_MOCK_CRASH_AFTER: '2' });
      const cluster = (await s.req('POST', '/clusters', { file: true, block: true })).json<{ id: string }>().id;
      const node = await s.ok('POST', '/nodes', { zone: 1, hostnames: { manage: ['node1'], storage: ['10.0.0.1'] }, cluster });
      const r = await s.req('POST', '/devices', { name: '/dev/sdb', node });
      expect(r.status).toBe(202);
      expect((await s.exited).signal).toBe('SIGKILL');
      expect(s.commandCount()).toBe(2);
      await s.start();
      await waitRecovery(s);
      expect((await s.req('GET', r.location)).status).toBe(500);
      await expectConsistent(s, 'after a crash in the device add');
      await s.ok('POST', '/devices', { name: '/dev/sdb', node }); // the disk is usable again
      await expectConsistent(s, 'device added after the crash');
    } finally {
      await s.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------- drift report and repair

describe('drift report and repair (GET /internal/state/drift, POST /internal/state/repair)', () => {
  let t: TestServer | undefined;

  afterAll(async () => {
    await t?.close();
  });

  it('reports what differs, and repairs only Brickyard-named leftovers the DB does not know', async () => {
    t = await startTestServer();
    const srv = t;
    const cfg = srv.config.glusterfs.commands;
    const cluster = (await srv.post('/clusters', { file: true, block: true })).body.id as string;
    const nodes: string[] = [];
    const devices: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const r = await srv.post('/nodes', { zone: i, hostnames: { manage: [`node${i}`], storage: [`10.0.0.${i}`] }, cluster });
      const id = (await srv.wait(r.headers.location)).headers.location.split('/').pop()!;
      nodes.push(id);
      await srv.wait((await srv.post('/devices', { name: '/dev/sdb', node: id })).headers.location);
      devices.push(((await srv.get(`/nodes/${id}`)).body.devices as { id: string }[])[0]!.id);
    }
    const v = (await srv.get((await srv.wait((await srv.post('/volumes', { size: 1, durability: R2 })).headers.location)).headers.location)).body as {
      name: string;
      bricks: { id: string; node: string }[];
    };
    expect((await srv.get('/internal/state/drift')).body).toEqual({ clean: true, items: [] });
    expect((await srv.post('/internal/state/repair', { dry_run: true })).body).toEqual({ dry_run: true, fixes: [] });
    const examine = await srv.get('/internal/state/examine/gluster');
    expect(examine.text.startsWith('{\n    "heketidb": {')).toBe(true);
    expect(examine.body.report).toEqual(['heketi volume list matches with volume list of all nodes']);
    expect(examine.body.clusters[0].NodesData).toHaveLength(3);

    // Leftovers, as an earlier crash (or another tool) could leave them on the nodes.
    const hex = () => randomUUID().replace(/-/g, '');
    const brick = (deviceId: string, id = hex()) => ({ id, deviceId, size: 1048576, tpSize: 1048576, poolMetadataSize: 8192, arbiter: false, gid: 0, path: `/var/lib/heketi/mounts/vg_${deviceId}/brick_${id}/brick` });
    const orphan = brick(devices[0]!); // a whole brick: LV, pool, filesystem, fstab line, mount
    await srv.runner.run('node1', planBrickCreate(cfg, orphan));
    const half = brick(devices[1]!); // interrupted after lvcreate
    await srv.runner.run('node2', planBrickCreate(cfg, half).slice(0, 2));
    const tagged = [brick(devices[0]!), brick(devices[1]!)]; // a gluster volume tagged with an unknown volume id
    await srv.runner.run('node1', planBrickCreate(cfg, tagged[0]!));
    await srv.runner.run('node2', planBrickCreate(cfg, tagged[1]!));
    const ghostId = hex();
    await srv.runner.run(
      'node1',
      planVolumeCreate(cfg, { id: ghostId, name: 'vol_ghost', durability: { type: 'replicate', replica: 2, arbiter: false }, bricks: [{ host: '10.0.0.1', path: tagged[0]!.path }, { host: '10.0.0.2', path: tagged[1]!.path }], options: [] }),
    );
    const untagged = [brick(devices[1]!), brick(devices[2]!)]; // a gluster volume without our tag: never touched
    await srv.runner.run('node2', planBrickCreate(cfg, untagged[0]!));
    await srv.runner.run('node3', planBrickCreate(cfg, untagged[1]!));
    await srv.runner.run('node2', [{ argv: ['gluster', '--mode=script', 'volume', 'create', 'foreign', 'replica', '2', `10.0.0.2:${untagged[0]!.path}`, `10.0.0.3:${untagged[1]!.path}`], timeoutSec: 60 }]);
    const vgId = hex(); // an empty VG of a device the DB does not have
    await srv.runner.run('node3', planDeviceSetup(cfg, { deviceId: vgId, device: '/dev/sdy', wipe: false }));
    await srv.runner.run('node3', planDeviceSetup(cfg, { deviceId: 'f'.repeat(32), device: '/dev/sdz', wipe: false }).map((c) => ({ ...c, argv: c.argv.map((a) => (a === `vg_${'f'.repeat(32)}` ? 'othervg' : a)) })));
    await srv.runner.run('node1', [{ argv: ['/usr/sbin/lvm', 'lvcreate', '--thin', `vg_${devices[0]}/mypool`, '--size', '64M'], timeoutSec: 60 }]); // foreign LV in our VG
    const known = v.bricks.find((b) => b.node === nodes[0]) ?? v.bricks[0]!;
    const knownHost = `node${nodes.indexOf(known.node) + 1}`;
    await srv.runner.run(knownHost, [{ argv: ['sed', '-i', `/brick_${known.id}/d`, '/etc/fstab'], timeoutSec: 60 }]); // a known brick loses its fstab line

    const drift = (await srv.get('/internal/state/drift')).body as { clean: boolean; items: { kind: string; node: string; detail: string }[] };
    expect(drift.clean).toBe(false);
    const has = (kind: string, text: string) => drift.items.some((i) => i.kind === kind && i.detail.includes(text));
    expect(has('lv-unknown', `brick_${orphan.id}`)).toBe(true);
    expect(has('lv-unknown', `tp_${half.id}`)).toBe(true);
    expect(has('mount-unknown', `brick_${orphan.id}`)).toBe(true);
    expect(has('fstab-unknown', `brick_${orphan.id}`)).toBe(true);
    expect(has('volume-unknown', `vol_ghost (user.heketi.id ${ghostId})`)).toBe(true);
    expect(has('volume-unknown', 'foreign')).toBe(true);
    expect(has('vg-unknown', `vg_${vgId}`)).toBe(true);
    expect(has('lv-unknown', 'mypool')).toBe(true);
    expect(has('fstab-missing', known.id)).toBe(true);
    expect(drift.items.some((i) => i.detail.includes('othervg'))).toBe(false);
    const examined = await srv.get('/internal/state/examine/gluster');
    expect(examined.body.report.some((l: string) => l.startsWith('heketi volume list does not match with volume list of node'))).toBe(true);

    const before = JSON.stringify(srv.runner.snapshot());
    const dry = (await srv.post('/internal/state/repair', { dry_run: true })).body as { dry_run: boolean; fixes: string[] };
    expect(JSON.stringify(srv.runner.snapshot())).toBe(before); // a dry run changes nothing
    expect(dry.dry_run).toBe(true);
    const expected = [`delete gluster volume vol_ghost`, `brick ${orphan.id}`, `brick ${half.id}`, `brick ${tagged[0]!.id}`, `brick ${tagged[1]!.id}`, `vg_${vgId}`];
    for (const e of expected) expect(dry.fixes.some((f) => f.includes(e)), e).toBe(true);
    expect(dry.fixes).toHaveLength(expected.length);

    const done = (await srv.post('/internal/state/repair', {})).body as { dry_run: boolean; fixes: string[] };
    expect(done).toEqual({ dry_run: false, fixes: dry.fixes });
    const after = (await srv.get('/internal/state/drift')).body as { items: { kind: string; detail: string }[] };
    // What is left is what the repair must not touch: the untagged volume and its bricks, the
    // foreign LV, and the known brick's missing fstab line (never recreated behind the DB's back).
    for (const i of after.items) {
      expect([`brick_${untagged[0]!.id}`, `brick_${untagged[1]!.id}`, `tp_${untagged[0]!.id}`, `tp_${untagged[1]!.id}`, 'foreign', 'mypool', known.id].some((x) => i.detail.includes(x)), JSON.stringify(i)).toBe(true);
    }
    const state = srv.runner.snapshot();
    expect(Object.keys(state.pool.volumes).sort()).toEqual([v.name, 'foreign'].sort());
    expect(state.hosts['node3']!.vgs['othervg']).toBeDefined();
    expect(state.hosts['node3']!.vgs[`vg_${vgId}`]).toBeUndefined();
    expect(state.hosts['node3']!.pvs['/dev/sdy']).toBeUndefined();
    expect(Object.keys(state.hosts['node1']!.lvs).some((k) => k.includes(orphan.id))).toBe(false);
    expect(Object.values(state.hosts['node1']!.lines).some((l) => l.text.includes(orphan.id))).toBe(false);
    expect(state.hosts['node1']!.dirs[`/var/lib/heketi/mounts/vg_${devices[0]}/brick_${orphan.id}`]).toBeUndefined();
    // The DB's volume is untouched and still served.
    expect((await srv.get(`/volumes/${(v as unknown as { id: string }).id}`)).status).toBe(200);
    expect((await srv.get('/db/check')).body.totalinconsistencies).toBe(0);
  });
});
