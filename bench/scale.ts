/**
 * Flat costs at scale (issue 12): a pool of 10 clusters × 100 nodes × 10 devices filled with
 * 1,000 one-GiB replica-3 volumes per cluster, built through the REST API of a bench server (mock
 * executor, JWT on, its own process) — the same code paths as any client's requests, in parallel.
 * BENCH_QUICK=1 builds 2 × 20 × 10 with 250 volumes per cluster instead (the rows say so; their
 * targets are for the full size).
 *
 * Rows: create p50 on the empty pool and at full size (same sample size and concurrency), read
 * latency and rates (wrk), start-up on the full DB, /db/check, DB bytes per volume, and resident
 * memory: with the mock's simulated nodes in the process, and without them (the same DB served
 * with the mock's state moved out), before and after ≥ 100,000 requests; then the bulk reads
 * (/volumes/details, /topology) on that server.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeketiClient } from '../src/client/index.js';
import { cpuMs, rssKiB, startBenchServer, type BenchServer } from './server.js';
import { WRK_MISSING, haveWrk, wrkGet } from './wrk.js';

type Row = (string | number)[];

const QUICK = process.env.BENCH_QUICK === '1';
const SHAPE = QUICK ? { clusters: 2, nodes: 20, devices: 10, volumesPerCluster: 250 } : { clusters: 10, nodes: 100, devices: 10, volumesPerCluster: 1000 };
/** Creates timed on the empty pool and again at full size. */
const SAMPLE = QUICK ? 50 : 200;
const KEY = 'bench-admin';
const WRK_SECONDS = Number(process.env.BENCH_WRK_SECONDS ?? 4);
/** Requests served before the second memory reading. */
const STEADY_REQUESTS = 100_000;

const VOLUME = { size: 1, durability: { type: 'replicate', replicate: { replica: 3 } } } as const;

/** Runs `fn` over `items` with at most `concurrency` at once. */
export async function inParallel<T>(items: T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const devName = (d: number) => `/dev/sd${String.fromCharCode(98 + d)}`;

async function buildTopology(c: HeketiClient): Promise<string[]> {
  const clusters: string[] = [];
  for (let k = 0; k < SHAPE.clusters; k++) clusters.push((await c.clusterCreate({ file: true, block: true })).id);
  const nodes: { cluster: number; n: number }[] = [];
  for (let n = 0; n < SHAPE.nodes; n++) for (let k = 0; k < SHAPE.clusters; k++) nodes.push({ cluster: k, n });
  // The first node of each cluster alone: later ones are probed from it.
  const first = nodes.slice(0, SHAPE.clusters);
  const add = async ({ cluster, n }: { cluster: number; n: number }) => {
    const node = await c.nodeAdd({
      zone: (n % 4) + 1,
      hostnames: { manage: [`bench-c${cluster}-n${n}`], storage: [`198.18.${cluster}.${n + 1}`] },
      cluster: clusters[cluster]!,
    });
    for (let d = 0; d < SHAPE.devices; d++) await c.deviceAdd({ name: devName(d), node: node.id });
  };
  await inParallel(first, 16, add);
  await inParallel(nodes.slice(SHAPE.clusters), 16, add);
  return clusters;
}

/**
 * `count` creates spread over the clusters in turn (from cluster `first`), `concurrency` at once;
 * each one's latency (POST until the queue's 303).
 */
async function timedCreates(c: HeketiClient, clusters: string[], count: number, concurrency: number, first = 0): Promise<{ ms: number[]; failed: string[] }> {
  const ms: number[] = [];
  const failed: string[] = [];
  await inParallel(
    Array.from({ length: count }, (_, i) => clusters[(first + i) % clusters.length]!),
    concurrency,
    async (cluster) => {
      const t0 = performance.now();
      try {
        const r = await c.poll(await c.start('POST', '/volumes', { ...VOLUME, clusters: [cluster] }));
        if (r.status !== 303) throw new Error(`${r.status} ${r.text}`);
        ms.push(performance.now() - t0);
      } catch (e) {
        failed.push(e instanceof Error ? e.message : String(e));
      }
    },
  );
  return { ms, failed };
}

/** Latency of single GETs, one at a time, with the Node client (when wrk is missing). */
async function clientLatency(c: HeketiClient, paths: string[], count: number): Promise<{ p50: number; p99: number }> {
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const r = await c.request('GET', paths[i % paths.length]!);
    if (r.status !== 200) throw new Error(`GET ${paths[i % paths.length]}: ${r.status}`);
    ms.push(performance.now() - t0);
  }
  return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

/** Progress on stderr: the full run takes minutes. */
const progress = (what: string) => process.stderr.write(`[scale ${new Date().toISOString().slice(11, 19)}] ${what}\n`);

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const fmt = (n: number, d = 1) => n.toFixed(d);

interface ReadPaths {
  volumes: string[];
  clusters: string[];
}

/** wrk rounds over the read routes until `total` requests were served; RSS after each round. */
async function steadyReads(server: BenchServer, paths: ReadPaths, dir: string, total: number): Promise<{ requests: number; samplesKiB: number[] }> {
  let requests = 0;
  const samplesKiB: number[] = [];
  for (let round = 0; requests < total; round++) {
    const r = await wrkGet(server.url, round % 2 === 0 ? paths.volumes : paths.clusters, { key: KEY, connections: 16, seconds: WRK_SECONDS, dir });
    requests += r.requests;
    samplesKiB.push(rssKiB(server.pid));
  }
  return { requests, samplesKiB };
}

/** The best (lowest) p50/p99 of `runs` short wrk runs over one connection: the machine is shared, and the least disturbed run shows the server. */
async function readLatency(url: string, list: string[], dir: string, runs = 3): Promise<{ p50: number; p99: number }> {
  let best = { p50: Infinity, p99: Infinity };
  for (let i = 0; i < runs; i++) {
    const r = await wrkGet(url, list, { key: KEY, connections: 1, seconds: Math.max(2, WRK_SECONDS / 2), dir });
    if (r.p99Ms < best.p99) best = { p50: r.p50Ms, p99: r.p99Ms };
  }
  return best;
}

/**
 * Every volume through `GET /volumes/details?limit=1000` page by page, and `GET /topology` (the
 * whole pool in one answer): wall time, and the server's own CPU time, which does not depend on
 * what else the machine runs.
 */
async function bulkReads(server: BenchServer, c: HeketiClient, volumes: number, note: string): Promise<Row[]> {
  const pages: number[] = [];
  let listed = 0;
  let after = '';
  let cpu0 = cpuMs(server.pid);
  for (;;) {
    const t0 = performance.now();
    const r = await c.request('GET', `/volumes/details?limit=1000${after ? `&after=${after}` : ''}`);
    pages.push(performance.now() - t0);
    if (r.status !== 200) throw new Error(`/volumes/details: ${r.status} ${r.text}`);
    const page = JSON.parse(r.text) as { volumes: unknown[]; next: string | null };
    listed += page.volumes.length;
    if (!page.next) break;
    after = page.next;
  }
  let cpu1 = cpuMs(server.pid);
  const pageCpu = cpu0 !== undefined && cpu1 !== undefined ? `${fmt((cpu1 - cpu0) / pages.length)} ms` : '?';
  const rows: Row[] = [
    [
      `scale: GET /volumes/details?limit=1000 at ${volumes} vols`,
      `${fmt(percentile(pages, 50))} ms`,
      '-',
      '-',
      `<= 100 ms per page (median of ${pages.length}, ${listed} volumes listed); server CPU ${pageCpu} per page${note}`,
    ],
  ];
  const times: number[] = [];
  let bytes = 0;
  cpu0 = cpuMs(server.pid);
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = await c.request('GET', '/topology');
    times.push(performance.now() - t0);
    if (r.status !== 200) throw new Error(`/topology: ${r.status} ${r.text}`);
    bytes = r.bytes.length;
  }
  cpu1 = cpuMs(server.pid);
  const topoCpu = cpu0 !== undefined && cpu1 !== undefined ? `${fmt((cpu1 - cpu0) / 3)} ms` : '?';
  rows.push([`scale: GET /topology at ${volumes} vols`, `${fmt(percentile(times, 50))} ms`, '-', '-', `median of 3; ${mib(bytes / 1024)}; server CPU ${topoCpu}${note}`]);
  return rows;
}

/** Copies a stopped bench server's DB and mock node state to another directory. */
function copyServerState(from: string, to: string): void {
  for (const f of readdirSync(from)) if (f.startsWith('bench.db')) copyFileSync(join(from, f), join(to, f));
}

export async function runScaleBenchmark(): Promise<Row[]> {
  const rows: Row[] = [];
  const volumes = SHAPE.clusters * SHAPE.volumesPerCluster;
  const size = `${SHAPE.clusters}x${SHAPE.nodes}x${SHAPE.devices}, ${volumes} vols`;
  const note = QUICK ? ' (BENCH_QUICK: targets are for 10,000)' : '';
  const dir = mkdtempSync(join(tmpdir(), 'brickyard-bench-scale-'));
  const emptyDir = mkdtempSync(join(tmpdir(), 'brickyard-bench-scale-empty-'));
  const glusterfs = { max_inflight_operations: 32 };
  let server: BenchServer | undefined = await startBenchServer(dir, KEY, { glusterfs });
  let emptyServer: BenchServer | undefined;
  try {
    let c = new HeketiClient({ server: server.url, user: 'admin', key: KEY, pollMs: 5, maxRetries429: 0 });
    let t0 = performance.now();
    progress(`building ${size}`);
    const clusters = await buildTopology(c);
    rows.push([`scale: build ${SHAPE.clusters}x${SHAPE.nodes} nodes x${SHAPE.devices} devices (API)`, `${fmt((performance.now() - t0) / 1000)} s`, '-', '-', `node + device adds, 16 at once${note}`]);
    // The same topology without volumes, for the creates on the empty pool.
    await server.stop();
    copyServerState(dir, emptyDir);
    server = await startBenchServer(dir, KEY, { glusterfs });
    c = new HeketiClient({ server: server.url, user: 'admin', key: KEY, pollMs: 5, maxRetries429: 0 });

    progress('filling');
    t0 = performance.now();
    const fill = await timedCreates(c, clusters, volumes - SAMPLE, 16);
    const fillSec = (performance.now() - t0) / 1000;
    rows.push([`scale: fill to ${volumes - SAMPLE} volumes (API, conc. 16)`, `${fmt(fill.ms.length / fillSec)}/s`, '-', '-', `${fmt(fillSec)} s${fill.failed.length ? `; ${fill.failed.length} failed: ${fill.failed[0]}` : ''}`]);

    // Creates on the empty pool and on the full one in alternating rounds of 8, so that the
    // machine's noise falls on both alike.
    progress('creates at full size and on the empty pool');
    emptyServer = await startBenchServer(emptyDir, KEY, { glusterfs });
    const ce = new HeketiClient({ server: emptyServer.url, user: 'admin', key: KEY, pollMs: 5, maxRetries429: 0 });
    const empty = { ms: [] as number[], failed: [] as string[] };
    const full = { ms: [] as number[], failed: [] as string[] };
    for (let done = 0; done < SAMPLE; done += 8) {
      for (const [client, into] of [
        [ce, empty],
        [c, full],
      ] as const) {
        // Each round on the next clusters, so that every cluster ends with the same count.
        const r = await timedCreates(client, clusters, 8, 8, done);
        into.ms.push(...r.ms);
        into.failed.push(...r.failed);
      }
    }
    await emptyServer.stop();
    emptyServer = undefined;
    const p50Empty = percentile(empty.ms, 50);
    const p50Full = percentile(full.ms, 50);
    rows.push([
      `scale: create p50 at ${volumes} vols vs empty pool`,
      `${fmt(p50Full)} ms`,
      `${fmt(p50Empty)} ms`,
      `${fmt(p50Full / p50Empty, 2)}x`,
      `<= 1.3x (${full.ms.length} creates each, rounds of 8 alternating)${empty.failed.length + full.failed.length ? `; failed: ${empty.failed.length + full.failed.length} ${[...empty.failed, ...full.failed][0]}` : ''}${note}`,
    ]);

    progress('reads');
    const ids = (await c.volumeList()).volumes;
    const paths: ReadPaths = {
      volumes: Array.from({ length: Math.min(1000, ids.length) }, (_, i) => `/volumes/${ids[Math.floor((i * ids.length) / Math.min(1000, ids.length))]}`),
      clusters: clusters.map((id) => `/clusters/${id}`),
    };
    if (haveWrk()) {
      for (const [what, list] of [
        ['GET /volumes/{id}', paths.volumes],
        ['GET /clusters/{id}', paths.clusters],
      ] as const) {
        const lat = await readLatency(server.url, list, dir);
        rows.push([`scale: ${what} p99, 1 connection (wrk)`, `${fmt(lat.p99, 2)} ms`, '-', '-', `<= 10 ms; p50 ${fmt(lat.p50, 2)} ms; best of 3 runs; ${size}${note}`]);
      }
      const hello = await wrkGet(server.url, ['/hello'], { connections: 32, seconds: WRK_SECONDS, dir });
      rows.push(['scale: GET /hello/s (wrk, 32 conn.): ceiling', fmt(hello.perSec, 0), '-', '-', 'no auth, no DB: wrk + machine bound']);
      for (const [what, list] of [
        ['GET /volumes/{id}', paths.volumes],
        ['GET /clusters/{id}', paths.clusters],
      ] as const) {
        const r = await wrkGet(server.url, list, { key: KEY, connections: 32, seconds: WRK_SECONDS, dir });
        rows.push([`scale: ${what}/s (wrk, 32 conn.)`, fmt(r.perSec, 0), '-', `${fmt(r.perSec / hello.perSec, 2)}x /hello`, `token per path; ${r.errors} errors; p99 ${fmt(r.p99Ms, 1)} ms${note}`]);
      }
    } else {
      for (const [what, list] of [
        ['GET /volumes/{id}', paths.volumes],
        ['GET /clusters/{id}', paths.clusters],
      ] as const) {
        const lat = await clientLatency(c, list, 500);
        rows.push([`scale: ${what} p99 (Node client, one at a time)`, `${fmt(lat.p99, 2)} ms`, '-', '-', `<= 10 ms; p50 ${fmt(lat.p50, 2)} ms${note}`]);
      }
      rows.push(['scale: read rates', '-', '-', '-', WRK_MISSING]);
    }

    const checks: number[] = [];
    for (let i = 0; i < 3; i++) {
      t0 = performance.now();
      const r = await c.request('GET', '/db/check');
      if (r.status !== 200) throw new Error(`/db/check: ${r.status} ${r.text}`);
      checks.push(performance.now() - t0);
    }
    rows.push([`scale: GET /db/check at ${volumes} vols (median of 3)`, `${fmt(percentile(checks, 50))} ms`, '-', '-', `<= 2 s${note}`]);
    const builtKiB = rssKiB(server.pid);
    await server.stop();
    server = undefined;

    const db = join(dir, 'bench.db');
    const bytes = statSync(db).size + (existsSync(`${db}-wal`) ? statSync(`${db}-wal`).size : 0);
    rows.push([`scale: DB file size per volume`, `${fmt(bytes / volumes / 1024, 2)} KiB`, '-', '-', `${mib(bytes / 1024)} for ${volumes} volumes, ${SHAPE.clusters * SHAPE.nodes} nodes, ${SHAPE.clusters * SHAPE.nodes * SHAPE.devices} devices`]);

    // The same DB with the mock's simulated nodes in the process, then without them (moved out).
    progress('restarts');
    server = await startBenchServer(dir, KEY, { glusterfs });
    const withMockStartMs = server.startMs;
    if (haveWrk()) await steadyReads(server, paths, dir, 2 * paths.volumes.length);
    const withMockKiB = rssKiB(server.pid);
    await server.stop();
    server = undefined;
    const mockState = join(dir, 'bench.db.mock-nodes.json');
    const mockBytes = statSync(mockState).size;
    for (const suffix of ['', '.journal', '.log']) if (existsSync(mockState + suffix)) renameSync(mockState + suffix, join(dir, `moved-out${suffix || '.json'}`));
    server = await startBenchServer(dir, KEY, { glusterfs });
    rows.push([`scale: start-up at ${volumes} vols (spawn to first answer)`, `${fmt(server.startMs)} ms`, '-', '-', `<= 2 s; ${fmt(withMockStartMs)} ms with the mock's node state (${mib(mockBytes / 1024)}) to load${note}`]);
    if (haveWrk()) {
      progress(`${STEADY_REQUESTS} requests`);
      const alone = await steadyReads(server, paths, dir, STEADY_REQUESTS);
      const s = alone.samplesKiB;
      rows.push([`scale: RSS at ${volumes} vols, server alone`, mib(s[0]!), '-', '-', `<= 90 MiB; mock state moved out; after the first wrk round${note}`]);
      const half = s[Math.floor(s.length / 2)]!;
      rows.push([
        `scale: RSS after ${alone.requests} requests (wrk)`,
        mib(s[s.length - 1]!),
        mib(half),
        `${s[s.length - 1]! >= half ? '+' : ''}${mib(s[s.length - 1]! - half)}`,
        `steady (no growth): end vs half-way (baseline column); every round: ${s.map((k) => (k / 1024).toFixed(0)).join(' ')} MiB`,
      ]);
      rows.push([`scale: RSS at ${volumes} vols, with mock nodes`, mib(withMockKiB), mib(withMockKiB - s[0]!), '-', `baseline column: the simulated nodes' share; after building: ${mib(builtKiB)}`]);
    } else {
      rows.push([`scale: RSS at ${volumes} vols, server alone`, mib(rssKiB(server.pid)), '-', '-', `<= 90 MiB; mock state moved out; no reads (wrk missing)`]);
      rows.push([`scale: RSS at ${volumes} vols, with mock nodes`, mib(withMockKiB), '-', '-', `after building: ${mib(builtKiB)}`]);
    }
    // On the server alone, after the memory rows: a deployed server's heap does not hold the mock's
    // simulated nodes (~180 MiB of live objects that every full collection would mark again).
    progress('bulk reads');
    rows.push(...(await bulkReads(server, new HeketiClient({ server: server.url, user: 'admin', key: KEY, pollMs: 5, maxRetries429: 0 }), volumes, note)));
  } finally {
    await emptyServer?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(emptyDir, { recursive: true, force: true });
  }
  return rows;
}
