/**
 * End-to-end create latency on the real GlusterFS lab (scripts/lab). Runs only with BENCH_LAB=1
 * and a lab up (`scripts/lab up 3 --disks 2 && BENCH_LAB=1 npm run bench`); otherwise one
 * "skipped" row says why.
 *
 * A fresh in-process Brickyard (ssh executor, own temporary DB) loads the lab topology over HTTP,
 * then creates and deletes a 1 GiB replica-3 volume BENCH_E2E_RUNS times (default 5), and removes
 * the topology again (the lab is left as it was found). Reported, as medians over the runs:
 *   total     POST /volumes until the queue answers 303 (polled every 20 ms)
 *   allocate  POST /volumes until its 202
 *   bricks    the create's brick phase (all nodes in parallel), from ctx.ops.phase('create-volume', 'bricks')
 *   slowest node brick time: the longest brick batch of one node in that run (timed at the runner)
 *   gluster create: `volume create` + `volume set`s, and `volume start`, each timed at the runner
 * Target: total <= 1.2 x (slowest node brick time + gluster create + start).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { createBrickyard, type Brickyard } from '../src/app.js';
import { HeketiClient } from '../src/client/index.js';
import { defaultConfig } from '../src/config.js';
import type { CommandResult, CommandRunner, NodeCommand } from '../src/gluster/executor.js';
import { SshRunner } from '../src/gluster/ssh.js';
import { csiController, overhead } from './csi.js';

const NAME = 'e2e create 1 GiB replica-3 on the lab';
const ADMIN_KEY = 'bench-e2e-admin';

interface LabEnv {
  ssh: { user: string; port: number; key: string };
  nodes: { name: string; ip: string; devices: string[] }[];
}
interface Topology {
  clusters: { nodes: { node: { hostnames: { manage: string[]; storage: string[] }; zone: number }; devices: { name: string; destroydata: boolean }[] }[] }[];
}

/** scripts/lab of this checkout: found upwards from this file (bench/ when run by tsx, dist/bench/ when built). */
function labScript(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const p = join(dir, 'scripts', 'lab');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return undefined;
}

// ------------------------------------------------------------------------------------ timing runner

interface BatchTiming {
  host: string;
  kind: 'bricks' | 'gluster-create' | 'gluster-start' | 'other';
  ms: number;
}

const isBrickBatch = (commands: NodeCommand[]) => commands.some((c) => c.argv.some((a) => a === 'lvcreate'));
const isVolumeCreateBatch = (commands: NodeCommand[]) =>
  commands.some((c) => c.argv[0] === 'gluster' && c.argv.includes('volume') && c.argv.includes('create') && !c.argv.includes('snapshot'));
const isVolumeStart = (c: NodeCommand) => c.argv[0] === 'gluster' && c.argv.includes('volume') && c.argv[c.argv.length - 2] === 'start';

/**
 * Times node batches at the runner. The volume-create batch (create, sets, start) is run one
 * command at a time — the same semantics as one batch: in order, stopping at the first failure
 * that is not allowFailure — so that `volume start` gets its own time.
 */
class TimingRunner implements CommandRunner {
  readonly timings: BatchTiming[] = [];

  constructor(private readonly inner: CommandRunner) {}

  async run(host: string, commands: NodeCommand[]): Promise<CommandResult[]> {
    if (!isVolumeCreateBatch(commands)) {
      const t0 = performance.now();
      try {
        return await this.inner.run(host, commands);
      } finally {
        this.timings.push({ host, kind: isBrickBatch(commands) ? 'bricks' : 'other', ms: performance.now() - t0 });
      }
    }
    const results: CommandResult[] = [];
    let createMs = 0;
    try {
      for (const c of commands) {
        const t0 = performance.now();
        try {
          results.push(...(await this.inner.run(host, [c])));
        } finally {
          const ms = performance.now() - t0;
          if (isVolumeStart(c)) this.timings.push({ host, kind: 'gluster-start', ms });
          else createMs += ms;
        }
      }
    } finally {
      this.timings.push({ host, kind: 'gluster-create', ms: createMs });
    }
    return results;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

// ------------------------------------------------------------------------------------ HTTP

interface Loaded {
  clusterId: string;
  nodeIds: string[];
  deviceIds: string[];
}

async function loadTopology(c: HeketiClient, topo: Topology): Promise<Loaded> {
  const loaded: Loaded = { clusterId: (await c.clusterCreate({ file: true, block: true })).id, nodeIds: [], deviceIds: [] };
  for (const n of topo.clusters[0]!.nodes) {
    const nodeId = (await c.nodeAdd({ zone: n.node.zone, hostnames: n.node.hostnames, cluster: loaded.clusterId })).id;
    loaded.nodeIds.push(nodeId);
    for (const d of n.devices) await c.deviceAdd({ name: d.name, node: nodeId, destroydata: d.destroydata });
    loaded.deviceIds.push(...(await c.nodeInfo(nodeId)).devices.map((d) => d.id));
  }
  return loaded;
}

/** Undoes the topology load (best effort on every item, so one failure does not strand the rest). */
async function unloadTopology(c: HeketiClient, t: Loaded): Promise<string[]> {
  const errors: string[] = [];
  const attempt = async (what: string, f: () => Promise<unknown>) => {
    try {
      await f();
    } catch (e) {
      errors.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  for (const id of t.deviceIds) {
    await attempt(`device ${id} offline`, () => c.deviceSetState(id, 'offline'));
    await attempt(`device ${id} failed`, () => c.deviceSetState(id, 'failed'));
    await attempt(`device ${id} delete`, () => c.deviceDelete(id));
  }
  for (const id of t.nodeIds) await attempt(`node ${id} delete`, () => c.nodeDelete(id));
  await attempt('cluster delete', () => c.clusterDelete(t.clusterId));
  return errors;
}

// ------------------------------------------------------------------------------------ benchmark

interface Run {
  total: number;
  allocate: number;
  bricks: number;
  slowestNode: number;
  glusterCreate: number;
  start: number;
  /** ops.phase('create-volume', 'gluster'): create + sets + start as Brickyard sees it. */
  glusterPhase: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function runE2eLatency(): Promise<(string | number)[][]> {
  if (process.env.BENCH_LAB !== '1') {
    return [[NAME, '-', '-', '-', 'skipped: set BENCH_LAB=1 with a lab up']];
  }
  const lab = labScript();
  if (!lab) return [[NAME, '-', '-', '-', 'skipped: scripts/lab not found']];
  if ((await execa(lab, ['is-up'], { reject: false })).exitCode !== 0) {
    return [[NAME, '-', '-', '-', 'skipped: BENCH_LAB=1 but no lab is up (scripts/lab up 3 --disks 2)']];
  }
  const env = JSON.parse((await execa(lab, ['env', '--json'])).stdout) as LabEnv;
  const topo = JSON.parse((await execa(lab, ['topology'])).stdout) as Topology;
  const runs = Math.max(1, Number(process.env.BENCH_E2E_RUNS ?? 5));

  const dir = mkdtempSync(join(tmpdir(), 'brickyard-bench-e2e-'));
  const config = defaultConfig(dir);
  config.auth.adminKey = ADMIN_KEY;
  config.auth.userKey = 'bench-e2e-user';
  config.glusterfs.executor = 'ssh';
  config.glusterfs.commands.fstab = '/var/lib/heketi/fstab'; // the lab nodes' private fstab
  config.glusterfs.sshexec = {
    keyfile: env.ssh.key,
    user: 'root',
    port: env.ssh.port,
    sudo: false,
    options: ['StrictHostKeyChecking=no', 'UserKnownHostsFile=/dev/null', 'LogLevel=ERROR'],
    connectTimeoutSec: 5,
  };
  const runner = new TimingRunner(new SshRunner(config.glusterfs.sshexec));
  let by: Brickyard | undefined;
  let loaded: Loaded | undefined;
  let client: HeketiClient | undefined;
  const results: Run[] = [];
  const csiTotals: number[] = [];
  const notes: string[] = [];
  try {
    by = await createBrickyard(config, { runner });
    const phases: { phase: string; seconds: number }[] = [];
    const previous = by.ctx.ops.onOperationDone;
    by.ctx.ops.onOperationDone = (type, phase, seconds, outcome) => {
      previous?.(type, phase, seconds, outcome);
      if (type === 'create-volume' && outcome === 'ok') phases.push({ phase, seconds });
    };
    await by.app.listen({ port: 0, host: '127.0.0.1' });
    // Operations are polled every 100 ms; the measured create every 20 ms.
    const c = (client = new HeketiClient({ server: `http://127.0.0.1:${(by.app.server.address() as { port: number }).port}`, user: 'admin', key: ADMIN_KEY, pollMs: 100 }));
    const measured = c.withOptions({ pollMs: 20 });
    loaded = await loadTopology(c, topo);

    for (let i = 0; i < runs; i++) {
      phases.length = 0;
      const mark = runner.timings.length;
      const t0 = performance.now();
      const location = await measured.start('POST', '/volumes', { size: 1, name: `bench_e2e_${i}`, durability: { type: 'replicate', replicate: { replica: 3 } } });
      const t1 = performance.now();
      const done = await measured.poll(location);
      const t2 = performance.now();
      if (done.status !== 303) throw new Error(`volume create ended ${done.status}: ${done.text}`);
      const t = runner.timings.slice(mark);
      const perNode = new Map<string, number>();
      for (const b of t.filter((x) => x.kind === 'bricks')) perNode.set(b.host, (perNode.get(b.host) ?? 0) + b.ms);
      const phase = (p: string) => (phases.find((x) => x.phase === p)?.seconds ?? NaN) * 1000;
      results.push({
        total: t2 - t0,
        allocate: t1 - t0,
        bricks: phase('bricks'),
        glusterPhase: phase('gluster'),
        slowestNode: Math.max(...perNode.values()),
        glusterCreate: t.filter((x) => x.kind === 'gluster-create').reduce((s, x) => s + x.ms, 0),
        start: t.filter((x) => x.kind === 'gluster-start').reduce((s, x) => s + x.ms, 0),
      });
      const id = done.headers.get('location')!.split('/').pop()!;
      await c.volumeDelete(id);
    }
    // The same create through the CSI driver (CreateVolume → volume ready).
    const csi = await csiController(c.server, ADMIN_KEY, dir);
    try {
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const id = await csi.create(`pvc-bench-e2e-${i}`);
        csiTotals.push(performance.now() - t0);
        await c.volumeDelete(id);
      }
    } finally {
      await csi.close();
    }
  } catch (e) {
    notes.push(`error: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    if (client && loaded) notes.push(...(await unloadTopology(client, loaded)));
    await by?.close();
    if (!by) await runner.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (results.length === 0) return [[NAME, '-', '-', '-', notes.join('; ').slice(0, 200) || 'no run completed']];

  const m = (k: keyof Run) => median(results.map((r) => r[k]));
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const floor = m('slowestNode') + m('glusterCreate') + m('start');
  const rows: (string | number)[][] = [
    [`${NAME}: total (median of ${results.length})`, s(m('total')), '-', `${(m('total') / floor).toFixed(2)}x`, `<= 1.2x (slowest node bricks + create + start = ${s(floor)})`],
    ['  e2e create: allocate (POST until 202)', `${m('allocate').toFixed(1)} ms`, '-', '-', ''],
    ['  e2e create: bricks (all nodes in parallel)', s(m('bricks')), '-', '-', "ops.phase('create-volume','bricks')"],
    ['  e2e create: slowest single node brick time', s(m('slowestNode')), '-', '-', 'longest brick batch of one node'],
    ['  e2e create: gluster volume create (+ sets)', s(m('glusterCreate')), '-', '-', 'timed at the runner'],
    ['  e2e create: gluster volume start', s(m('start')), '-', '-', 'timed at the runner'],
    ['  e2e create: gluster phase (create+sets+start)', s(m('glusterPhase')), '-', '-', "ops.phase('create-volume','gluster')"],
  ];
  if (csiTotals.length > 0) {
    const csiMs = median(csiTotals);
    rows.push([`${NAME}: via the CSI driver (median of ${csiTotals.length})`, s(csiMs), s(m('total')), overhead(csiMs, m('total')), '<= 5 % overhead vs the REST create (baseline)']);
  }
  if (notes.length > 0) rows.push([`${NAME}: problems`, '-', '-', '-', notes.join('; ').slice(0, 200)]);
  return rows;
}
