/**
 * The volume lifecycle on the real GlusterFS lab (scripts/lab). Runs only with BENCH_LAB=1 and a
 * lab up (`scripts/lab up 4 --disks 2 && BENCH_LAB=1 npm run bench`); otherwise one "skipped" row
 * says why.
 *
 * A fresh in-process Brickyard (ssh executor, own temporary DB) loads the lab topology over HTTP,
 * then BENCH_E2E_RUNS times (default 5) creates a 1 GiB replica-3 volume, expands it by 1 GiB and
 * deletes it, and removes the topology again (the lab is left as it was found). Each request is
 * timed from its POST/DELETE until the queue's 303/204 (polled every 20 ms), and against its floor:
 * what the nodes themselves take on the request's critical path, timed at the runner —
 *   the slowest node's own batches (brick set-up or tear-down; nodes work in parallel), plus
 *   every `gluster` command, one after another (volume create + sets + start; add-brick + status
 *   + rebalance start; stop + delete).
 * Everything above the floor is Brickyard's: the database, scheduling, polls and waits. Medians
 * over the runs; the create's phases are broken down as well.
 * Target: each total <= 1.05 x its floor.
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
  /** `node`: a batch of one node's own commands (bricks); otherwise the gluster command's kind. */
  kind: 'node' | 'gluster-create' | 'gluster-start' | 'gluster';
  ms: number;
}

const isGluster = (c: NodeCommand) => c.argv.includes('gluster') && c.argv.includes('volume');
const isVolumeCreate = (c: NodeCommand) => isGluster(c) && c.argv.includes('create') && !c.argv.includes('snapshot');
const isVolumeSet = (c: NodeCommand) => isGluster(c) && c.argv.includes('set');
const isVolumeStart = (c: NodeCommand) => isGluster(c) && c.argv[c.argv.length - 2] === 'start' && !c.argv.includes('rebalance');

/**
 * Times node batches at the runner. A batch of gluster commands is run one command at a time —
 * the same semantics as one batch: in order, stopping at the first failure that is not
 * allowFailure — so that each gets its own time (e.g. `volume start` apart from `volume create`).
 */
class TimingRunner implements CommandRunner {
  readonly timings: BatchTiming[] = [];
  /**
   * Batches for one host run one after another here, as every runner runs them: a batch's time
   * then starts when it starts, not while it waits behind another batch for the same node.
   */
  private readonly hostQueues = new Map<string, Promise<unknown>>();

  constructor(private readonly inner: CommandRunner) {}

  run(host: string, commands: NodeCommand[]): Promise<CommandResult[]> {
    const p = (this.hostQueues.get(host) ?? Promise.resolve()).then(() => this.timed(host, commands));
    this.hostQueues.set(
      host,
      p.catch(() => undefined),
    );
    return p;
  }

  private async timed(host: string, commands: NodeCommand[]): Promise<CommandResult[]> {
    if (!commands.some(isGluster)) {
      const t0 = performance.now();
      try {
        return await this.inner.run(host, commands);
      } finally {
        this.timings.push({ host, kind: 'node', ms: performance.now() - t0 });
      }
    }
    const results: CommandResult[] = [];
    for (const c of commands) {
      const t0 = performance.now();
      try {
        results.push(...(await this.inner.run(host, [c])));
      } finally {
        const kind = isVolumeStart(c) ? 'gluster-start' : isVolumeCreate(c) || isVolumeSet(c) ? 'gluster-create' : 'gluster';
        this.timings.push({ host, kind, ms: performance.now() - t0 });
      }
    }
    return results;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The nodes' own time on a request's critical path: the slowest node's batches plus every gluster command. */
function floorOf(timings: BatchTiming[]): { slowestNode: number; gluster: number; glusterCreate: number; start: number } {
  const perNode = new Map<string, number>();
  for (const t of timings.filter((x) => x.kind === 'node')) perNode.set(t.host, (perNode.get(t.host) ?? 0) + t.ms);
  const sum = (f: (t: BatchTiming) => boolean) => timings.filter(f).reduce((a, t) => a + t.ms, 0);
  return {
    slowestNode: Math.max(0, ...perNode.values()),
    gluster: sum((t) => t.kind !== 'node'),
    glusterCreate: sum((t) => t.kind === 'gluster-create'),
    start: sum((t) => t.kind === 'gluster-start'),
  };
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
  floor: number;
  expand: number;
  expandFloor: number;
  expandSlowestNode: number;
  expandGluster: number;
  del: number;
  delFloor: number;
  delSlowestNode: number;
  delGluster: number;
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
      let mark = runner.timings.length;
      const t0 = performance.now();
      const location = await measured.start('POST', '/volumes', { size: 1, name: `bench_e2e_${i}`, durability: { type: 'replicate', replicate: { replica: 3 } } });
      const t1 = performance.now();
      const done = await measured.poll(location);
      const t2 = performance.now();
      if (done.status !== 303) throw new Error(`volume create ended ${done.status}: ${done.text}`);
      const created = floorOf(runner.timings.slice(mark));
      const phase = (p: string) => (phases.find((x) => x.phase === p)?.seconds ?? NaN) * 1000;
      const id = done.headers.get('location')!.split('/').pop()!;

      mark = runner.timings.length;
      const t3 = performance.now();
      const expanded = await measured.poll(await measured.start('POST', `/volumes/${id}/expand`, { expand_size: 1 }));
      const expandMs = performance.now() - t3;
      if (expanded.status !== 303) throw new Error(`volume expand ended ${expanded.status}: ${expanded.text}`);
      const expand = floorOf(runner.timings.slice(mark));

      mark = runner.timings.length;
      const t4 = performance.now();
      const deleted = await measured.poll(await measured.start('DELETE', `/volumes/${id}`));
      const delMs = performance.now() - t4;
      if (deleted.status !== 204) throw new Error(`volume delete ended ${deleted.status}: ${deleted.text}`);
      const del = floorOf(runner.timings.slice(mark));

      results.push({
        total: t2 - t0,
        allocate: t1 - t0,
        bricks: phase('bricks'),
        glusterPhase: phase('gluster'),
        slowestNode: created.slowestNode,
        glusterCreate: created.glusterCreate,
        start: created.start,
        floor: created.slowestNode + created.gluster,
        expand: expandMs,
        expandFloor: expand.slowestNode + expand.gluster,
        expandSlowestNode: expand.slowestNode,
        expandGluster: expand.gluster,
        del: delMs,
        delFloor: del.slowestNode + del.gluster,
        delSlowestNode: del.slowestNode,
        delGluster: del.gluster,
      });
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
  // The ratio of each run to its own floor, then the median: runs differ, a run and its floor do not.
  const ratio = (total: keyof Run, floor: keyof Run) => `${median(results.map((r) => r[total] / r[floor])).toFixed(2)}x`;
  const rows: (string | number)[][] = [
    [`${NAME}: total (median of ${results.length})`, s(m('total')), s(m('floor')), ratio('total', 'floor'), `<= 1.05x floor (baseline column): slowest node bricks + every gluster command`],
    ['  e2e create: allocate (POST until 202)', `${m('allocate').toFixed(1)} ms`, '-', '-', ''],
    ['  e2e create: bricks (all nodes in parallel)', s(m('bricks')), '-', '-', "ops.phase('create-volume','bricks')"],
    ['  e2e create: slowest single node brick time', s(m('slowestNode')), '-', '-', 'longest brick batch of one node'],
    ['  e2e create: gluster volume create (+ sets)', s(m('glusterCreate')), '-', '-', 'timed at the runner'],
    ['  e2e create: gluster volume start', s(m('start')), '-', '-', 'timed at the runner'],
    ['  e2e create: gluster phase (create+sets+start)', s(m('glusterPhase')), '-', '-', "ops.phase('create-volume','gluster')"],
    [`e2e expand by 1 GiB on the lab: total`, s(m('expand')), s(m('expandFloor')), ratio('expand', 'expandFloor'), `<= 1.05x floor: slowest node bricks ${s(m('expandSlowestNode'))} + add-brick, status, rebalance ${s(m('expandGluster'))}`],
    [`e2e delete on the lab: total`, s(m('del')), s(m('delFloor')), ratio('del', 'delFloor'), `<= 1.05x floor: stop + delete ${s(m('delGluster'))} + slowest node brick tear-down ${s(m('delSlowestNode'))}`],
  ];
  if (csiTotals.length > 0) {
    const csiMs = median(csiTotals);
    rows.push([`${NAME}: via the CSI driver (median of ${csiTotals.length})`, s(csiMs), s(m('total')), overhead(csiMs, m('total')), '<= 5 % overhead vs the REST create (baseline)']);
  }
  if (notes.length > 0) rows.push([`${NAME}: problems`, '-', '-', '-', notes.join('; ').slice(0, 200)]);
  return rows;
}
