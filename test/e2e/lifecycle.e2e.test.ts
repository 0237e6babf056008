/**
 * The whole API against real GlusterFS (issue "Real GlusterFS underneath"): Brickyard runs
 * in-process with the ssh executor (then, smaller, with the kubectl executor through
 * test/e2e/kubectl-standin) and drives the lab (scripts/lab) only through HTTP:
 *
 *   topology load (heketi-cli style) → replica-3, arbiter and disperse 2+1 volumes → host FUSE
 *   mounts, data on the bricks → expand + rebalance → device removal (brick eviction) → volume
 *   delete (nothing left on the nodes) → a create while glusterd is down on n2 → device, node and
 *   cluster delete (no VG left, no peers left).
 *
 * What is on the nodes is read with `scripts/lab exec` (nsenter), never through the executor under
 * test. One lab is shared, so the steps run in order and each leaves the lab as it found it.
 * Run with `bash scripts/e2e.sh test/e2e/lifecycle.e2e.test.ts` (4 nodes × 2 disks of 10G by
 * default; 3 nodes work too, then the fault step can only fail). Skipped when no lab is up.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { createBrickyard, type Brickyard } from '../../src/app.js';
import { defaultConfig, type ExecutorKind } from '../../src/config.js';
import { ADMIN_KEY, USER_KEY, token } from '../helpers/server.js';
import { expectSpec } from '../helpers/openapi.js';
import {
  KUBECTL_STANDIN,
  LAB_FSTAB,
  MOUNTS_DIR,
  brickTraces,
  deviceTraces,
  gluster,
  glusterBricks,
  glusterVolumes,
  lab,
  labState,
  labTopology,
  loadLab,
  md5,
  mountVolume,
  peerStatus,
  sleep,
  stateGrowth,
  unmount,
  unmountAll,
  waitPeersConnected,
  waitRebalance,
  type LabEnv,
  type LabNode,
  type MountInfo,
  type NodeState,
  type Topology,
} from './lab.js';

const { lab: L, why } = await loadLab();
if (!L) {
  console.warn(`\n*** lifecycle e2e SKIPPED: ${why}.\n*** Run \`bash scripts/e2e.sh\` (it brings the lab up and down), or \`scripts/lab up 4 --disks 2\` first.\n`);
}

const MiB = 1024 * 1024;
const GiB_KiB = 1024 * 1024;
/** Long lab steps (each asserts its own deadlines; vitest's is only the last resort). */
const STEP_TIMEOUT = 900_000;
/** Queue deadline for one operation. */
const OP_TIMEOUT = 600_000;

// ------------------------------------------------------------------------------------ API client

interface BrickInfo {
  id: string;
  path: string;
  device: string;
  node: string;
  volume: string;
  size: number;
}
interface VolumeInfo {
  id: string;
  name: string;
  size: number;
  cluster: string;
  durability: Record<string, unknown>;
  glustervolumeoptions?: string[];
  mount: MountInfo;
  bricks: BrickInfo[];
}
interface DeviceInfo {
  id: string;
  name: string;
  state: string;
  storage: { total: number; free: number; used: number };
  bricks: BrickInfo[];
}
interface NodeInfo {
  id: string;
  zone: number;
  state: string;
  cluster: string;
  hostnames: { manage: string[]; storage: string[] };
  devices: DeviceInfo[];
}

/** Brickyard in-process, spoken to over HTTP (supertest) with admin JWTs; every answer checked against openapi.yaml. */
class Server {
  readonly agent: supertest.Agent;
  /** Warnings and errors the server logged (printed when a step fails). */
  readonly logs: string[];

  private constructor(
    readonly by: Brickyard,
    readonly dir: string,
    logs: string[],
  ) {
    this.agent = supertest(by.app.server);
    this.logs = logs;
  }

  static async start(l: LabEnv, executor: ExecutorKind): Promise<Server> {
    const dir = mkdtempSync(join(tmpdir(), `brickyard-e2e-${executor}-`));
    const config = defaultConfig(dir);
    config.auth.adminKey = ADMIN_KEY;
    config.auth.userKey = USER_KEY;
    config.glusterfs.executor = executor;
    config.glusterfs.loglevel = 'warning';
    // The lab's nodes have a private /var/lib/heketi (brick mounts and fstab); /etc is the host's.
    config.glusterfs.commands.fstab = LAB_FSTAB;
    config.glusterfs.sshexec = {
      keyfile: l.ssh.key,
      user: 'root',
      port: l.ssh.port,
      sudo: false,
      options: ['StrictHostKeyChecking=no', 'UserKnownHostsFile=/dev/null', 'LogLevel=ERROR'],
      connectTimeoutSec: 5,
    };
    config.glusterfs.kubeexec = { namespace: 'glusterfs', glusterDaemonset: false, usePodNames: false, kubectl: KUBECTL_STANDIN, disableTimeoutPrefix: false };
    const logs: string[] = [];
    const by = await createBrickyard(config, { logger: { level: 'warn', stream: { write: (line: string) => logs.push(line.trim()) } } });
    await by.app.ready();
    return new Server(by, dir, logs);
  }

  private auth(t: supertest.Test, method: string, path: string): supertest.Test {
    return t
      .set('Authorization', `bearer ${token(method, path)}`)
      .set('Content-Type', 'application/json')
      .expect((res) => {
        expectSpec(res);
      });
  }
  get(path: string) {
    return this.auth(this.agent.get(path), 'GET', path);
  }
  post(path: string, body: unknown = {}) {
    return this.auth(this.agent.post(path), 'POST', path).send(JSON.stringify(body));
  }
  del(path: string, body?: unknown) {
    const t = this.auth(this.agent.delete(path), 'DELETE', path);
    return body === undefined ? t : t.send(JSON.stringify(body));
  }

  /** Polls a /queue location (every 250 ms) until it is no longer pending. */
  async wait(location: string, timeoutMs = OP_TIMEOUT): Promise<supertest.Response> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.get(location);
      if (!(r.status === 200 && r.headers['x-pending'] === 'true')) return r;
      if (Date.now() > end) throw new Error(`${location} still pending after ${timeoutMs / 1000}s`);
      await sleep(250);
    }
  }

  /** A 202 request followed to its end; returns the final queue answer. */
  async op(req: PromiseLike<supertest.Response>, timeoutMs = OP_TIMEOUT): Promise<supertest.Response> {
    const r = await req;
    if (r.status !== 202) throw new Error(`expected 202, got ${r.status}: ${r.text}`);
    return this.wait(String(r.headers.location), timeoutMs);
  }

  /** Like `op`, and the operation must end with `status` (303 or 204). */
  async opOk(req: PromiseLike<supertest.Response>, status: 303 | 204, timeoutMs = OP_TIMEOUT): Promise<supertest.Response> {
    const r = await this.op(req, timeoutMs);
    if (r.status !== status) throw new Error(`operation ended ${r.status} (expected ${status}): ${r.text}\nserver log:\n${this.recentLogs()}`);
    return r;
  }

  recentLogs(n = 20): string {
    return this.logs.slice(-n).join('\n');
  }

  async volume(id: string): Promise<VolumeInfo> {
    const r = await this.get(`/volumes/${id}`);
    expect(r.status, r.text).toBe(200);
    return r.body as VolumeInfo;
  }
  async node(id: string): Promise<NodeInfo> {
    const r = await this.get(`/nodes/${id}`);
    expect(r.status, r.text).toBe(200);
    return r.body as NodeInfo;
  }
  async device(id: string): Promise<DeviceInfo> {
    const r = await this.get(`/devices/${id}`);
    expect(r.status, r.text).toBe(200);
    return r.body as DeviceInfo;
  }

  async close(): Promise<void> {
    await this.by.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------ topology

/** What Brickyard knows about the lab after a topology load: ids ↔ lab nodes. */
interface Loaded {
  clusterId: string;
  /** Brickyard node id → lab node. */
  nodes: Map<string, LabNode>;
  /** Device id → { node id, device name }. */
  devices: Map<string, { nodeId: string; name: string }>;
}

/** `heketi-cli topology load`: POST /clusters, then per node POST /nodes → /queue, then POST /devices → /queue. */
async function loadTopology(srv: Server, l: LabEnv, topo: Topology): Promise<Loaded> {
  expect(topo.clusters).toHaveLength(1);
  const c = await srv.post('/clusters', { file: true, block: true });
  expect(c.status, c.text).toBe(201);
  const loaded: Loaded = { clusterId: (c.body as { id: string }).id, nodes: new Map(), devices: new Map() };
  for (const entry of topo.clusters[0]!.nodes) {
    const n = await srv.opOk(srv.post('/nodes', { zone: entry.node.zone, hostnames: entry.node.hostnames, cluster: loaded.clusterId }), 303);
    const nodeId = String(n.headers.location).split('/').pop()!;
    const labNode = l.nodes.find((x) => x.ip === entry.node.hostnames.manage[0]);
    expect(labNode, `lab node for ${entry.node.hostnames.manage[0]}`).toBeDefined();
    loaded.nodes.set(nodeId, labNode!);
    for (const d of entry.devices) {
      await srv.opOk(srv.post('/devices', { name: d.name, node: nodeId, destroydata: d.destroydata }), 204);
    }
    const info = await srv.node(nodeId);
    expect(info.devices.map((d) => d.name).sort()).toEqual(entry.devices.map((d) => d.name).sort());
    for (const d of info.devices) loaded.devices.set(d.id, { nodeId, name: d.name });
  }
  return loaded;
}

function labNodeOf(t: Loaded, nodeId: string): LabNode {
  const n = t.nodes.get(nodeId);
  if (!n) throw new Error(`unknown node id ${nodeId}`);
  return n;
}

/** The nodes' view of the topology just loaded: each device's VG on its node, free = total, peers connected. */
async function checkTopologyOnNodes(srv: Server, l: LabEnv, t: Loaded): Promise<void> {
  const cluster = (await srv.get(`/clusters/${t.clusterId}`)).body as { nodes: string[] };
  expect(cluster.nodes.sort()).toEqual([...t.nodes.keys()].sort());
  const states = await labState(l);
  for (const [deviceId, d] of t.devices) {
    const info = await srv.device(deviceId);
    expect(info.state).toBe('online');
    // a 10G loop disk: ~10 GiB minus the 128M PV metadata, in 4 MiB extents
    expect(info.storage.total).toBeGreaterThan(9 * GiB_KiB);
    expect(info.storage.free).toBe(info.storage.total);
    expect(info.storage.used).toBe(0);
    const st = states.find((s) => s.node === labNodeOf(t, d.nodeId).name)!;
    expect(st.vgs).toContain(`vg_${deviceId}`);
    expect(st.pvs).toContain(d.name);
  }
  await waitPeersConnected(l, 60_000);
}

/**
 * Device delete as an operator does it (offline → failed → DELETE), then every node, then the
 * cluster. Checks that no vg_* VG, no PV on a lab disk and no peer is left.
 */
async function teardownTopology(srv: Server, l: LabEnv, t: Loaded): Promise<void> {
  for (const deviceId of t.devices.keys()) {
    const d = await srv.device(deviceId);
    if (d.state === 'online') await srv.opOk(srv.post(`/devices/${deviceId}/state`, { state: 'offline' }), 204);
    if (d.state !== 'failed') await srv.opOk(srv.post(`/devices/${deviceId}/state`, { state: 'failed' }), 204);
    await srv.opOk(srv.del(`/devices/${deviceId}`), 204);
    expect((await srv.get(`/devices/${deviceId}`)).status).toBe(404);
  }
  const states = await labState(l);
  const disks = new Set(l.nodes.flatMap((n) => n.devices));
  expect(states.flatMap(deviceTraces)).toEqual([]);
  expect(states.flatMap((s) => s.pvs.filter((p) => disks.has(p)).map((p) => `${s.node}: PV ${p}`))).toEqual([]);
  for (const nodeId of t.nodes.keys()) {
    await srv.opOk(srv.del(`/nodes/${nodeId}`), 204);
  }
  const c = await srv.del(`/clusters/${t.clusterId}`);
  expect(c.status, c.text).toBe(200);
  // node delete detaches each node from the pool: every glusterd is alone again
  for (const n of l.nodes) expect([...(await peerStatus(n.name)).keys()], `peers of ${n.name}`).toEqual([]);
  t.devices.clear();
  t.nodes.clear();
}

// ------------------------------------------------------------------------------------ volumes

interface Vol {
  id: string;
  name: string;
  kind: 'replicate' | 'arbiter' | 'disperse';
  /** File name → md5 of what was written. */
  files: Map<string, string>;
  mount?: string;
}

/** gluster's brick list of the volume equals the API's (host:path), and each API brick is on its node. */
async function checkVolumeConsistent(srv: Server, t: Loaded, v: Vol, states?: NodeState[]): Promise<VolumeInfo> {
  const info = await srv.volume(v.id);
  const g = await glusterBricks(L!.nodes[0]!.name, v.name);
  const apiBricks = info.bricks.map((b) => `${labNodeOf(t, b.node).ip}:${b.path}`).sort();
  expect(g.bricks.map((b) => `${b.host}:${b.path}`).sort()).toEqual(apiBricks);
  expect(g.options.get('user.heketi.id')).toBe(v.id);
  const st = states ?? (await labState(L!));
  for (const b of info.bricks) {
    const node = st.find((s) => s.node === labNodeOf(t, b.node).name)!;
    const mp = b.path.replace(/\/brick$/, '');
    expect(mp).toBe(`${MOUNTS_DIR}/vg_${b.device}/brick_${b.id}`);
    expect(node.lvs).toContain(`vg_${b.device}/brick_${b.id}`);
    expect(node.lvs).toContain(`vg_${b.device}/tp_${b.id}`);
    expect(node.mounts).toContain(`/dev/mapper/vg_${b.device}-brick_${b.id} ${mp}`);
    expect(node.fstab.filter((l) => l.startsWith(`/dev/mapper/vg_${b.device}-brick_${b.id} ${mp} xfs `))).toHaveLength(1);
    expect(node.dirs).toContain(mp);
  }
  return info;
}

async function writeRandom(v: Vol, name: string, bytes: number): Promise<void> {
  const data = randomBytes(bytes);
  await writeFile(join(v.mount!, name), data);
  v.files.set(name, md5(data));
}

/** Reads every file written so far through a fresh mount (no client cache) and compares md5s. */
async function readBack(srv: Server, v: Vol): Promise<void> {
  if (v.mount) await unmount(v.mount);
  v.mount = await mountVolume(L!, v.name, (await srv.volume(v.id)).mount);
  for (const [name, sum] of v.files) expect(md5(await readFile(join(v.mount, name))), `${v.name}/${name}`).toBe(sum);
}

/** `stat -c '%s %n'` + md5 of one file on every brick of the volume (on the bricks' nodes). */
async function onBricks(t: Loaded, info: VolumeInfo, file: string): Promise<Map<string, { size: number; md5: string }>> {
  const out = new Map<string, { size: number; md5: string }>();
  await Promise.all(
    info.bricks.map(async (b) => {
      const n = labNodeOf(t, b.node);
      const stdout = await lab('exec', n.name, 'bash', '-c', `f='${b.path}/${file}'; stat -c %s "$f" && md5sum < "$f"`);
      const [size, sum] = stdout.trim().split('\n');
      out.set(`${n.ip}:${b.path}`, { size: Number(size), md5: sum!.split(' ')[0]! });
    }),
  );
  return out;
}

/** Files (not DHT link files: those are empty with the sticky bit) named `prefix*` in a brick. */
async function brickFiles(t: Loaded, b: BrickInfo, prefix: string): Promise<string[]> {
  const n = labNodeOf(t, b.node);
  const stdout = await lab('exec', n.name, 'find', b.path, '-maxdepth', '1', '-type', 'f', '-name', `${prefix}*`, '!', '-perm', '-1000', '-printf', '%f\\n');
  return stdout.split('\n').filter((s) => s !== '').sort();
}

async function deleteVolume(srv: Server, v: Vol): Promise<void> {
  if (v.mount) {
    await unmount(v.mount);
    v.mount = undefined;
  }
  await srv.opOk(srv.del(`/volumes/${v.id}`), 204);
  expect((await srv.get(`/volumes/${v.id}`)).status).toBe(404);
}

/** Best effort after a failed step: unmount, delete what the API still knows, then the topology. */
async function salvage(srv: Server | undefined, t: Loaded | undefined): Promise<void> {
  await unmountAll();
  if (!srv || !t || t.nodes.size === 0) return;
  try {
    const ids = ((await srv.get('/volumes')).body as { volumes: string[] }).volumes;
    for (const id of ids) await srv.op(srv.del(`/volumes/${id}`)).catch(() => undefined);
    for (const id of t.devices.keys()) {
      await srv.op(srv.post(`/devices/${id}/state`, { state: 'offline' })).catch(() => undefined);
      await srv.op(srv.post(`/devices/${id}/state`, { state: 'failed', healcheck: 'disable' })).catch(() => undefined);
      await srv.op(srv.del(`/devices/${id}`, { forceforget: false })).catch(() => undefined);
    }
    for (const id of t.nodes.keys()) await srv.op(srv.del(`/nodes/${id}`)).catch(() => undefined);
    await srv.del(`/clusters/${t.clusterId}`).catch(() => undefined);
  } catch (e) {
    console.warn(`salvage after a failed step: ${String(e)}`);
  }
}

// ------------------------------------------------------------------------------------ steps

const timings: [string, number][] = [];
let broken = false;

/** A sequential step: skipped once an earlier step failed (the lab state would be unknown). */
function step(name: string, fn: (ctx: TestContext) => Promise<void>, timeout = STEP_TIMEOUT) {
  it(
    name,
    async (ctx) => {
      if (broken) ctx.skip();
      const t0 = performance.now();
      try {
        await fn(ctx);
      } catch (e) {
        broken = true;
        throw e;
      } finally {
        timings.push([name, (performance.now() - t0) / 1000]);
      }
    },
    timeout,
  );
}

async function expectLabClean(l: LabEnv, what: string): Promise<void> {
  const states = await labState(l);
  expect([...states.flatMap(brickTraces), ...states.flatMap(deviceTraces)], `${what}: bricks or VGs left on the nodes`).toEqual([]);
  expect(await glusterVolumes(l.nodes[0]!.name), `${what}: gluster volumes`).toEqual([]);
}

describe.skipIf(!L).sequential('Brickyard on real GlusterFS: ssh executor', () => {
  let srv: Server;
  let topo: Loaded;
  const vols: Record<'rep' | 'arb' | 'ec', Vol> = {} as Record<'rep' | 'arb' | 'ec', Vol>;

  beforeAll(async () => {
    broken = false;
    srv = await Server.start(L!, 'ssh');
  });

  afterAll(async () => {
    if (broken) await salvage(srv, topo);
    await unmountAll();
    await srv?.close();
    console.log(`\nlifecycle e2e timings (${L!.nodes.length} nodes):\n${timings.map(([n, s]) => `  ${s.toFixed(1).padStart(6)} s  ${n}`).join('\n')}`);
    if (broken) console.log(`server log (last lines):\n${srv?.recentLogs(40)}`);
  }, STEP_TIMEOUT);

  step('1. loads the lab topology as heketi-cli does; Brickyard forms the trusted pool', async () => {
    await expectLabClean(L!, 'before the run');
    topo = await loadTopology(srv, L!, await labTopology());
    expect(topo.nodes.size).toBe(L!.nodes.length);
    expect(topo.devices.size).toBe(L!.nodes.reduce((n, x) => n + x.devices.length, 0));
    await checkTopologyOnNodes(srv, L!, topo);
  });

  step('2. creates a replica-3, an arbiter and a disperse 2+1 volume', async () => {
    // network.ping-timeout 5: a lost brick must not block I/O for 42 s (lab harness notes).
    const ping = 'network.ping-timeout 5';
    const requests = {
      rep: { name: 'e2e_rep', kind: 'replicate', body: { size: 2, name: 'e2e_rep', durability: { type: 'replicate', replicate: { replica: 3 } }, glustervolumeoptions: [ping] } },
      // Default sizing: 2 GiB / 64 KiB = 32 MiB is below mkfs.xfs's 300 MB minimum (xfsprogs >= 5.19),
      // so the arbiter brick gets glusterfs.arbiter_brick_min_size_mb (300 MiB) and can be made.
      arb: {
        name: 'e2e_arb',
        kind: 'arbiter',
        body: {
          size: 2,
          name: 'e2e_arb',
          durability: { type: 'replicate', replicate: { replica: 3 } },
          glustervolumeoptions: ['user.heketi.arbiter true', ping],
        },
      },
      ec: { name: 'e2e_ec', kind: 'disperse', body: { size: 2, name: 'e2e_ec', durability: { type: 'disperse', disperse: { data: 2, redundancy: 1 } }, glustervolumeoptions: [ping] } },
    } as const;
    // All three at once, as clients would: bricks on one node are serialised, nodes run in parallel.
    const done = await Promise.all(Object.values(requests).map((r) => srv.opOk(srv.post('/volumes', r.body), 303)));
    const keys = Object.keys(requests) as ('rep' | 'arb' | 'ec')[];
    keys.forEach((k, i) => {
      const id = String(done[i]!.headers.location).split('/').pop()!;
      vols[k] = { id, name: requests[k].name, kind: requests[k].kind, files: new Map() };
    });
    const states = await labState(L!);
    const expectType = { rep: ['Replicate', '1 x 3 = 3'], arb: ['Replicate', '1 x (2 + 1) = 3'], ec: ['Disperse', '1 x (2 + 1) = 3'] };
    for (const k of keys) {
      const v = vols[k];
      const info = await checkVolumeConsistent(srv, topo, v, states);
      expect(info.name).toBe(v.name);
      expect(info.bricks).toHaveLength(3);
      expect(new Set(info.bricks.map((b) => b.node)).size, `${v.name}: one brick per node`).toBe(3);
      const g = await glusterBricks(L!.nodes[0]!.name, v.name);
      expect([g.type, g.count], v.name).toEqual(expectType[k]);
      expect(g.options.get('network.ping-timeout')).toBe('5');
      expect(await gluster(L!.nodes[0]!.name, 'volume', 'info', v.name)).toMatch(/^Status: Started$/m);
      expect(info.mount.glusterfs.device).toBe(`${info.mount.glusterfs.hosts[0]}:${v.name}`);
    }
    const arb = await srv.volume(vols.arb.id);
    const sizes = arb.bricks.map((b) => b.size).sort((a, b) => a - b);
    // the default arbiter minimum (300 MiB), which the lab's mkfs.xfs accepts
    expect(sizes).toEqual([307200, 2 * GiB_KiB, 2 * GiB_KiB]);
    expect((await srv.volume(vols.ec.id)).bricks.map((b) => b.size)).toEqual([GiB_KiB, GiB_KiB, GiB_KiB]);
  });

  step('3. FUSE-mounts each volume, writes and reads back random data; the bricks hold it', async () => {
    for (const v of Object.values(vols)) {
      v.mount = await mountVolume(L!, v.name, (await srv.volume(v.id)).mount);
      await writeRandom(v, 'rand.bin', 4 * MiB);
      await writeRandom(v, 'small.txt', 1000);
      for (const [name, sum] of v.files) expect(md5(await readFile(join(v.mount, name))), `${v.name}/${name}`).toBe(sum);
    }
    // replica 3: the same file on all three bricks
    const rep = await onBricks(topo, await srv.volume(vols.rep.id), 'rand.bin');
    expect([...rep.values()]).toEqual(Array(3).fill({ size: 4 * MiB, md5: vols.rep.files.get('rand.bin') }));
    // arbiter: data on two bricks, an empty file on the arbiter
    const arbInfo = await srv.volume(vols.arb.id);
    const arb = await onBricks(topo, arbInfo, 'rand.bin');
    const g = await glusterBricks(L!.nodes[0]!.name, vols.arb.name);
    expect(g.bricks.filter((b) => b.arbiter)).toHaveLength(1);
    for (const b of g.bricks) {
      const seen = arb.get(`${b.host}:${b.path}`)!;
      expect(seen, `${b.host}:${b.path}`).toEqual(b.arbiter ? { size: 0, md5: md5('') } : { size: 4 * MiB, md5: vols.arb.files.get('rand.bin') });
    }
    // the arbiter brick is the 300 MiB one
    const arbiterBrick = g.bricks.find((b) => b.arbiter)!;
    expect(arbInfo.bricks.find((b) => `${labNodeOf(topo, b.node).ip}:${b.path}` === `${arbiterBrick.host}:${arbiterBrick.path}`)!.size).toBe(307200);
    // disperse 2+1: a half-size fragment on each brick
    const ec = await onBricks(topo, await srv.volume(vols.ec.id), 'rand.bin');
    expect([...ec.values()].map((x) => x.size)).toEqual([2 * MiB, 2 * MiB, 2 * MiB]);
  });

  step('4. expands the replica volume: new bricks in gluster, data kept, new files land on them', async () => {
    const v = vols.rep;
    const before = await srv.volume(v.id);
    const r = await srv.opOk(srv.post(`/volumes/${v.id}/expand`, { expand_size: 1 }), 303);
    expect(r.headers.location).toBe(`/volumes/${v.id}`);
    const after = await checkVolumeConsistent(srv, topo, v);
    expect(after.size).toBe(3);
    expect(after.bricks).toHaveLength(6);
    const oldIds = new Set(before.bricks.map((b) => b.id));
    const added = after.bricks.filter((b) => !oldIds.has(b.id));
    expect(added).toHaveLength(3);
    expect(added.map((b) => b.size)).toEqual([GiB_KiB, GiB_KiB, GiB_KiB]);
    expect(new Set(added.map((b) => b.node)).size).toBe(3);
    const g = await glusterBricks(L!.nodes[0]!.name, v.name);
    expect([g.type, g.count]).toEqual(['Distributed-Replicate', '2 x 3 = 6']);
    // the new replica set is the last three gluster bricks
    expect(g.bricks.slice(3).map((b) => `${b.host}:${b.path}`).sort()).toEqual(added.map((b) => `${labNodeOf(topo, b.node).ip}:${b.path}`).sort());
    // Brickyard started a rebalance (rebalance_on_expansion) once gluster reported the new bricks
    // online (starting it right after add-brick failed on a node with "fix layout on / failed").
    const nodes = L!.nodes.map((n) => n.name);
    await waitRebalance(nodes[0]!, v.name, nodes);
    await readBack(srv, v);
    for (let i = 0; i < 24; i++) await writeRandom(v, `after-${String(i).padStart(2, '0')}`, 64 * 1024);
    const newSet = await Promise.all(added.map((b) => brickFiles(topo, b, 'after-')));
    const oldSet = await Promise.all(before.bricks.map((b) => brickFiles(topo, b, 'after-')));
    // replicas agree within each set, and the hash spreads the files over both sets
    expect(newSet[1]).toEqual(newSet[0]);
    expect(newSet[2]).toEqual(newSet[0]);
    expect(oldSet[1]).toEqual(oldSet[0]);
    expect(oldSet[2]).toEqual(oldSet[0]);
    expect(newSet[0]!.length, 'files on the new bricks').toBeGreaterThan(0);
    expect([...newSet[0]!, ...oldSet[0]!].sort()).toEqual([...v.files.keys()].filter((f) => f.startsWith('after-')).sort());
    await readBack(srv, v);
  });

  step('5. removes a device that holds bricks: they move elsewhere, data survives, its VG is empty', async () => {
    // the device of a replica brick that holds the most bricks (of any volume)
    const rep = await srv.volume(vols.rep.id);
    const candidates = await Promise.all([...new Set(rep.bricks.map((b) => b.device))].map((id) => srv.device(id)));
    const victim = candidates.sort((a, b) => b.bricks.length - a.bricks.length || (a.id < b.id ? -1 : 1))[0]!;
    const moved = victim.bricks;
    const node = labNodeOf(topo, topo.devices.get(victim.id)!.nodeId);
    console.log(`device removal: ${victim.name} on ${node.name} holds ${moved.length} bricks (volumes ${[...new Set(moved.map((b) => b.volume))].join(', ')})`);
    expect(moved.length).toBeGreaterThan(0);
    const counts = new Map<string, number>();
    for (const v of Object.values(vols)) counts.set(v.id, (await srv.volume(v.id)).bricks.length);

    await srv.opOk(srv.post(`/devices/${victim.id}/state`, { state: 'offline' }), 204);
    expect((await srv.device(victim.id)).state).toBe('offline');
    await srv.opOk(srv.post(`/devices/${victim.id}/state`, { state: 'failed' }), 204);

    const gone = await srv.device(victim.id);
    expect(gone.state).toBe('failed');
    expect(gone.bricks).toEqual([]);
    expect(gone.storage.used).toBe(0);
    const states = await labState(L!);
    for (const v of Object.values(vols)) {
      const info = await checkVolumeConsistent(srv, topo, v, states);
      expect(info.bricks).toHaveLength(counts.get(v.id)!);
      for (const b of moved) expect(info.bricks.map((x) => x.id)).not.toContain(b.id);
      expect(info.bricks.filter((b) => b.device === victim.id)).toEqual([]);
    }
    // nothing of the device's bricks is left on its node; its VG has no LV at all
    const st = states.find((s) => s.node === node.name)!;
    const vg = `vg_${victim.id}`;
    expect(st.vgs).toContain(vg);
    expect(st.lvs.filter((lv) => lv.startsWith(`${vg}/`))).toEqual([]);
    expect(st.mounts.filter((m) => m.includes(vg))).toEqual([]);
    expect(st.fstab.filter((l) => l.includes(vg))).toEqual([]);
    expect(st.dirs.filter((d) => d.includes(`${vg}/`))).toEqual([]);
    // the data is still all there (read through fresh mounts)
    for (const v of Object.values(vols)) await readBack(srv, v);
  });

  step('6a. deletes every volume (unmounted first); no LV, mount, fstab line or brick dir is left', async () => {
    for (const v of Object.values(vols)) await deleteVolume(srv, v);
    expect(((await srv.get('/volumes')).body as { volumes: string[] }).volumes).toEqual([]);
    const states = await labState(L!);
    expect(states.flatMap(brickTraces)).toEqual([]);
    expect(await glusterVolumes(L!.nodes[0]!.name)).toEqual([]);
    // all space is back
    for (const id of topo.devices.keys()) {
      const d = await srv.device(id);
      if (d.state === 'online') expect(d.storage, d.name).toMatchObject({ used: 0, free: d.storage.total });
    }
  });

  step('7. creates while glusterd is down on n2: retried elsewhere, or a clear error; nothing leaks', async () => {
    const n2 = L!.nodes[1]!;
    const n2Id = [...topo.nodes].find(([, n]) => n.name === n2.name)![0];
    // with n1..n3 only, every replica-3 placement needs n2
    const spare = [...topo.nodes].filter(([, n]) => !['n1', 'n2', 'n3'].includes(n.name)).map(([id]) => id);
    const before = await labState(L!);
    const create = async (name: string) => {
      const logMark = srv.logs.length;
      const r = await srv.op(
        srv.post('/volumes', { size: 1, name, durability: { type: 'replicate', replicate: { replica: 3 } }, glustervolumeoptions: ['network.ping-timeout 5'] }),
      );
      console.log(`create ${name} with glusterd down on ${n2.name}: queue ${r.status} ${r.status === 500 ? JSON.stringify(r.text) : r.headers.location}`);
      for (const line of srv.logs.slice(logMark).filter((l) => l.includes('volume create attempt failed'))) {
        const j = JSON.parse(line) as { attempt: number; err: string };
        console.log(`  attempt ${j.attempt} failed: ${j.err}`);
      }
      return r;
    };
    const expectFailedCleanly = async (r: supertest.Response) => {
      // a clear error from gluster, no volume, nothing new on any node, all space back
      expect(r.status, r.text).toBe(500);
      // the gluster CLI's own words, from n2 (its glusterd is down) or from a peer of n2
      expect(r.text).toMatch(/Connection failed\. Please check if gluster daemon is operational|Host \S+ (is )?not (in 'Peer in Cluster' state|connected)/);
      expect(((await srv.get('/volumes')).body as { volumes: string[] }).volumes).toEqual([]);
      expect(stateGrowth(before, await labState(L!))).toEqual([]);
      expect(await glusterVolumes(L!.nodes[0]!.name)).toEqual([]);
    };
    let retried: supertest.Response | undefined;
    // glusterd is stopped first so that it is surely down when `volume create` runs (a few
    // seconds into the create, after the bricks): the same point in the operation as "during".
    await lab('glusterd', n2.name, 'stop');
    try {
      if (spare.length > 0) {
        // no way around n2: the create must fail, cleanly
        for (const id of spare) await srv.opOk(srv.post(`/nodes/${id}/state`, { state: 'offline' }), 204);
        try {
          await expectFailedCleanly(await create('e2e_fault_1'));
        } finally {
          for (const id of spare) await srv.opOk(srv.post(`/nodes/${id}/state`, { state: 'online' }), 204);
        }
      }
      // a way around n2 exists when there is a 4th node: the create retries elsewhere
      retried = await create('e2e_fault_2');
    } finally {
      await lab('glusterd', n2.name, 'start');
      await waitPeersConnected(L!, 90_000);
    }
    if (spare.length === 0) {
      await expectFailedCleanly(retried);
    } else {
      expect(retried.status, retried.text).toBe(303);
      const id = String(retried.headers.location).split('/').pop()!;
      const v: Vol = { id, name: 'e2e_fault_2', kind: 'replicate', files: new Map() };
      const after = await labState(L!);
      const info = await checkVolumeConsistent(srv, topo, v, after);
      expect(info.bricks.map((b) => b.node)).not.toContain(n2Id);
      // only the volume's own three bricks are new on the nodes: the failed attempt left nothing
      const own = info.bricks.flatMap((b) => {
        const n = labNodeOf(topo, b.node).name;
        const mp = b.path.replace(/\/brick$/, '');
        return [
          `${n}: new lvs vg_${b.device}/brick_${b.id}`,
          `${n}: new lvs vg_${b.device}/tp_${b.id}`,
          `${n}: new mounts /dev/mapper/vg_${b.device}-brick_${b.id} ${mp}`,
          `${n}: new fstab /dev/mapper/vg_${b.device}-brick_${b.id} ${mp} xfs rw,inode64,noatime,nouuid 1 2`,
          `${n}: new dirs ${mp}`,
        ];
      });
      expect(stateGrowth(before, after).sort()).toEqual(own.sort());
      v.mount = await mountVolume(L!, v.name, info.mount);
      await writeRandom(v, 'rand.bin', MiB);
      await readBack(srv, v);
      await deleteVolume(srv, v);
      expect(stateGrowth(before, await labState(L!))).toEqual([]);
    }
    for (const id of topo.devices.keys()) {
      const d = await srv.device(id);
      if (d.state === 'online') expect(d.storage, d.name).toMatchObject({ used: 0, free: d.storage.total });
    }
  });

  step('6b. deletes the devices (offline → failed → DELETE), nodes and cluster: no vg_* and no peer left', async () => {
    await teardownTopology(srv, L!, topo);
    await expectLabClean(L!, 'after the ssh scenario');
  });
});

describe.skipIf(!L).sequential('Brickyard on real GlusterFS: kubectl executor (stand-in)', () => {
  let srv: Server;
  let topo: Loaded;
  let failed = false;
  const v: Vol = { id: '', name: 'e2e_kube', kind: 'replicate', files: new Map() };

  beforeAll(async () => {
    // a fresh Brickyard (new DB) that reaches the nodes through `kubectl exec` only
    srv = await Server.start(L!, 'kubernetes');
  });

  afterAll(async () => {
    if (failed) await salvage(srv, topo);
    await unmountAll();
    await srv?.close();
  }, STEP_TIMEOUT);

  const kstep = (name: string, fn: () => Promise<void>) =>
    it(
      name,
      async (ctx) => {
        if (failed) ctx.skip();
        const t0 = performance.now();
        try {
          await fn();
        } catch (e) {
          failed = true;
          throw e;
        } finally {
          console.log(`kubectl e2e: ${((performance.now() - t0) / 1000).toFixed(1)} s  ${name}`);
        }
      },
      STEP_TIMEOUT,
    );

  kstep('loads the topology', async () => {
    await expectLabClean(L!, 'before the kubectl scenario');
    topo = await loadTopology(srv, L!, await labTopology());
    await checkTopologyOnNodes(srv, L!, topo);
  });

  kstep('creates a replica-3 volume, mounts it, writes and reads back', async () => {
    const r = await srv.opOk(
      srv.post('/volumes', { size: 1, name: v.name, durability: { type: 'replicate', replicate: { replica: 3 } }, glustervolumeoptions: ['network.ping-timeout 5'] }),
      303,
    );
    v.id = String(r.headers.location).split('/').pop()!;
    const info = await checkVolumeConsistent(srv, topo, v);
    expect(info.bricks).toHaveLength(3);
    const g = await glusterBricks(L!.nodes[0]!.name, v.name);
    expect([g.type, g.count]).toEqual(['Replicate', '1 x 3 = 3']);
    v.mount = await mountVolume(L!, v.name, info.mount);
    await writeRandom(v, 'rand.bin', 4 * MiB);
    await readBack(srv, v);
    const seen = await onBricks(topo, info, 'rand.bin');
    expect([...seen.values()]).toEqual(Array(3).fill({ size: 4 * MiB, md5: v.files.get('rand.bin') }));
  });

  kstep('deletes the volume and the topology; the lab is clean', async () => {
    await deleteVolume(srv, v);
    expect((await labState(L!)).flatMap(brickTraces)).toEqual([]);
    await teardownTopology(srv, L!, topo);
    await expectLabClean(L!, 'after the kubectl scenario');
  });
});
