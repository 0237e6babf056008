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
 * with the mock's state moved out), before and after ≥ 100,000 requests.
 */
import { existsSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeketiClient } from '../src/client/index.js';
import { rssKiB, startBenchServer, type BenchServer } from './server.js';
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

/** `count` creates spread over the clusters in turn, `concurrency` at once; each one's latency (POST until the queue's 303). */
async function timedCreates(c: HeketiClient, clusters: string[], count: number, concurrency: number): Promise<{ ms: number[]; failed: string[] }> {
  const ms: number[] = [];
  const failed: string[] = [];
  await inParallel(
    Array.from({ length: count }, (_, i) => clusters[i % clusters.length]!),
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

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const fmt = (n: number, d = 1) => n.toFixed(d);

interface ReadPaths {
  volumes: string[];
  clusters: string[];
}

/** wrk rounds over the read routes until `total` requests were served; RSS after the first round and at the end. */
async function steadyReads(server: BenchServer, paths: ReadPaths, dir: string, total: number): Promise<{ requests: number; firstKiB: number; lastKiB: number; maxKiB: number }> {
  let requests = 0;
  let firstKiB = 0;
  let maxKiB = 0;
  for (let round = 0; requests < total; round++) {
    const r = await wrkGet(server.url, round % 2 === 0 ? paths.volumes : paths.clusters, { key: KEY, connections: 16, seconds: WRK_SECONDS, dir });
    requests += r.requests;
    const now = rssKiB(server.pid);
    if (round === 0) firstKiB = now;
    maxKiB = Math.max(maxKiB, now);
  }
  return { requests, firstKiB, lastKiB: rssKiB(server.pid), maxKiB };
}

export async function runScaleBenchmark(): Promise<Row[]> {
  const rows: Row[] = [];
  const volumes = SHAPE.clusters * SHAPE.volumesPerCluster;
  const size = `${SHAPE.clusters}x${SHAPE.nodes}x${SHAPE.devices}, ${volumes} vols`;
  const note = QUICK ? ' (BENCH_QUICK: targets are for 10,000)' : '';
  const dir = mkdtempSync(join(tmpdir(), 'brickyard-bench-scale-'));
  const glusterfs = { max_inflight_operations: 32 };
  let server: BenchServer | undefined = await startBenchServer(dir, KEY, { glusterfs });
  try {
    const c = new HeketiClient({ server: server.url, user: 'admin', key: KEY, pollMs: 5, maxRetries429: 0 });
    let t0 = performance.now();
    const clusters = await buildTopology(c);
    rows.push([`scale: build ${SHAPE.clusters}x${SHAPE.nodes} nodes x${SHAPE.devices} devices (API)`, `${fmt((performance.now() - t0) / 1000)} s`, '-', '-', `node + device adds, 16 at once${note}`]);

    const empty = await timedCreates(c, clusters, SAMPLE, 8);
    t0 = performance.now();
    const fill = await timedCreates(c, clusters, volumes - 2 * SAMPLE, 16);
    const fillSec = (performance.now() - t0) / 1000;
    rows.push([`scale: fill to ${volumes - SAMPLE} volumes (API, conc. 16)`, `${fmt(fill.ms.length / fillSec)}/s`, '-', '-', `${fmt(fillSec)} s${fill.failed.length ? `; ${fill.failed.length} failed: ${fill.failed[0]}` : ''}`]);
    const full = await timedCreates(c, clusters, SAMPLE, 8);
    const p50Empty = percentile(empty.ms, 50);
    const p50Full = percentile(full.ms, 50);
    rows.push([
      `scale: create p50 at ${volumes} vols vs empty pool`,
      `${fmt(p50Full)} ms`,
      `${fmt(p50Empty)} ms`,
      `${fmt(p50Full / p50Empty, 2)}x`,
      `<= 1.3x (${SAMPLE} creates each, conc. 8)${empty.failed.length + full.failed.length ? `; failed: ${empty.failed.length + full.failed.length}` : ''}${note}`,
    ]);

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
        const lat = await wrkGet(server.url, list, { key: KEY, connections: 1, seconds: WRK_SECONDS, dir });
        rows.push([`scale: ${what} p99, 1 connection (wrk)`, `${fmt(lat.p99Ms, 2)} ms`, '-', '-', `<= 10 ms; p50 ${fmt(lat.p50Ms, 2)} ms, ${size}${note}`]);
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
    server = await startBenchServer(dir, KEY, { glusterfs });
    const withMockStartMs = server.startMs;
    const withMock = haveWrk() ? await steadyReads(server, paths, dir, 2 * paths.volumes.length) : undefined;
    const withMockKiB = rssKiB(server.pid);
    await server.stop();
    server = undefined;
    const mockState = join(dir, 'bench.db.mock-nodes.json');
    const mockBytes = statSync(mockState).size;
    for (const suffix of ['', '.journal', '.log']) if (existsSync(mockState + suffix)) renameSync(mockState + suffix, join(dir, `moved-out${suffix || '.json'}`));
    server = await startBenchServer(dir, KEY, { glusterfs });
    rows.push([`scale: start-up at ${volumes} vols (spawn to first answer)`, `${fmt(server.startMs)} ms`, '-', '-', `<= 2 s; ${fmt(withMockStartMs)} ms with the mock's node state (${mib(mockBytes / 1024)}) to load${note}`]);
    if (withMock) {
      const alone = await steadyReads(server, paths, dir, STEADY_REQUESTS);
      rows.push([`scale: RSS at ${volumes} vols, server alone`, mib(alone.firstKiB), '-', '-', `<= 90 MiB; mock state moved out; after the first wrk round${note}`]);
      rows.push([
        `scale: RSS after ${alone.requests} requests (wrk)`,
        mib(alone.lastKiB),
        '-',
        `${alone.lastKiB >= alone.firstKiB ? '+' : ''}${mib(alone.lastKiB - alone.firstKiB)}`,
        `steady (no growth); max ${mib(alone.maxKiB)}`,
      ]);
      rows.push([`scale: RSS at ${volumes} vols, with mock nodes`, mib(withMockKiB), mib(withMockKiB - alone.firstKiB), '-', `baseline column: the simulated nodes' share; after building: ${mib(builtKiB)}`]);
    } else {
      rows.push([`scale: RSS at ${volumes} vols, server alone`, mib(rssKiB(server.pid)), '-', '-', `<= 90 MiB; mock state moved out; no reads (wrk missing)`]);
      rows.push([`scale: RSS at ${volumes} vols, with mock nodes`, mib(withMockKiB), '-', '-', `after building: ${mib(builtKiB)}`]);
    }
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
