/**
 * `npm run bench`: throughput and placement benchmarks, printed as a table. Targets are compared
 * as ratios within one run (this machine is shared and noisy), never asserted in tests.
 *
 *   BENCH_BASELINE_URL / BENCH_BASELINE_KEY  another Heketi-compatible server to run the same HTTP
 *                                            workloads against (it must be empty and in mock mode)
 *   BENCH_SECONDS                            duration of each HTTP workload (default 5)
 *   BENCH_QUICK=1                            the scale rows on a small pool (500 volumes, under a minute)
 *   BENCH_SERVER_FLAGS                       more node flags for the bench servers, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`
 *   BENCH_ONLY=http,fill,placement,capacity,hostile,csi,console,scale,e2e   only these parts (default: all)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { placeVolume } from '../src/allocator/place.js';
import { HeketiClient } from '../src/client/index.js';
import type { AllocCluster } from '../src/allocator/types.js';
import { runFillBenchmark } from './fill.js';
import { runE2eLatency } from './e2e.js';
import { runCsiBenchmark } from './csi.js';
import { cpuMs, startBenchServer } from './server.js';
import { runHostileBenchmark } from './hostile.js';
import { runScaleBenchmark } from './scale.js';
import { runCapacityBenchmark } from './capacity.js';
import { runConsoleBench } from './console.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ONLY = process.env.BENCH_ONLY?.split(',');
const part = (name: string) => !ONLY || ONLY.includes(name);

interface Target {
  url: string;
  key: string;
}

/**
 * The bench's client: polls /queue every 5 ms instead of the Go client's 400 ms, and counts a 429 as
 * a failed operation instead of waiting 10-30 s.
 */
function clientFor(t: Target): HeketiClient {
  return new HeketiClient({ server: t.url, user: 'admin', key: t.key, pollMs: 5, maxRetries429: 0 });
}

async function setupTopology(c: HeketiClient, nodes: number, disks: number, diskPrefix = 'sd'): Promise<void> {
  const cluster = (await c.clusterCreate({ file: true, block: true })).id;
  for (let i = 1; i <= nodes; i++) {
    const node = await c.nodeAdd({ zone: i, hostnames: { manage: [`bench-n${i}`], storage: [`192.0.2.${i}`] }, cluster });
    for (let d = 0; d < disks; d++) await c.deviceAdd({ name: `/dev/${diskPrefix}${String.fromCharCode(98 + d)}`, node: node.id });
  }
}

/** Runs `op` with `concurrency` workers for SECONDS; returns completed operations per second. */
async function throughput(concurrency: number, op: () => Promise<boolean>): Promise<{ perSec: number; ok: number; failed: number }> {
  const end = performance.now() + SECONDS * 1000;
  let ok = 0;
  let failed = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        if (await op()) ok++;
        else failed++;
      }
    }),
  );
  return { perSec: ok / ((performance.now() - start) / 1000), ok, failed };
}

interface HttpResults {
  creates: number;
  infos: number;
  hello: number;
  /** CPU time of the server process per completed create (when its pid is known), and of this (the client's) process. */
  serverCpuPerCreate?: number;
  clientCpuPerCreate: number;
  /** GET /queue/{id} requests per create (from the server's /metrics; undefined when it has none). */
  pollsPerCreate?: number;
}

/** GET /queue/{id} requests a server has answered, from its brickyard_http_requests_total (undefined for a server without it, e.g. Heketi). */
async function queueRequests(c: HeketiClient): Promise<number | undefined> {
  try {
    const text = await c.metrics();
    let n: number | undefined;
    for (const m of text.matchAll(/^brickyard_http_requests_total\{([^}]*)\} (\d+)$/gm)) if (m[1]!.includes('route="/queue/:id"')) n = (n ?? 0) + Number(m[2]);
    return n;
  } catch {
    return undefined;
  }
}

async function httpWorkloads(t: Target, serverPid?: number): Promise<HttpResults> {
  const c = clientFor(t);
  // Calibration: the cheapest route (no DB; tokens are minted once per second and path) with the
  // same client and concurrency shows what this machine and client can do at all; compare the other rows to it.
  const hello = await throughput(16, async () => {
    await c.hello();
    return true;
  });
  // Heketi's small pool (6 nodes x 4 devices), devices large enough that the creates never run out of space.
  await setupTopology(c, 6, 4);
  // A create is done when its queue answers 303 (the volume is not read back).
  const polls0 = await queueRequests(c);
  const serverCpu0 = cpuMs(serverPid);
  const clientCpu0 = process.cpuUsage();
  const create = await throughput(8, async () => {
    try {
      const location = await c.start('POST', '/volumes', { size: 1, durability: { type: 'replicate', replicate: { replica: 3 } } });
      return (await c.poll(location)).status === 303;
    } catch {
      return false;
    }
  });
  const serverCpu1 = cpuMs(serverPid);
  const clientCpu = process.cpuUsage(clientCpu0);
  const polls1 = await queueRequests(c);
  const ids = (await c.volumeList()).volumes;
  let i = 0;
  // Reads the answer without decoding it, as the other rows do.
  const info = await throughput(16, async () => (await c.request('GET', `/volumes/${ids[i++ % ids.length]}`)).status === 200);
  return {
    creates: create.perSec,
    infos: info.perSec,
    hello: hello.perSec,
    serverCpuPerCreate: serverCpu0 !== undefined && serverCpu1 !== undefined ? (serverCpu1 - serverCpu0) / create.ok : undefined,
    clientCpuPerCreate: (clientCpu.user + clientCpu.system) / 1000 / create.ok,
    pollsPerCreate: polls0 !== undefined && polls1 !== undefined ? (polls1 - polls0) / (create.ok + create.failed) : undefined,
  };
}

/**
 * `GET /volumes/details?limit=1000` once the pool holds 1,000 volumes (the create workload's,
 * topped up), median of 15; and the same infos fetched one `GET /volumes/{id}` at a time.
 */
async function detailsWorkload(t: Target, serverPid: number | undefined): Promise<{ ms: number; cpuMs?: number; volumes: number; kib: number; oneByOneMs: number }> {
  const c = clientFor(t);
  let missing = 1000 - (await c.volumeList()).volumes.length;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (missing > 0) {
        missing--;
        const done = await c.poll(await c.start('POST', '/volumes', { size: 1, durability: { type: 'replicate', replicate: { replica: 3 } } }));
        if (done.status !== 303) throw new Error(`details bench: create ended ${done.status} ${done.text}`);
      }
    }),
  );
  const ids = (await c.volumeList()).volumes;
  const times: number[] = [];
  let volumes = 0;
  let bytes = 0;
  // The server's own CPU per request does not depend on what else the machine runs.
  const cpuBefore = cpuMs(serverPid);
  for (let i = 0; i < 15; i++) {
    const start = performance.now();
    const r = await c.request('GET', '/volumes/details?limit=1000');
    times.push(performance.now() - start);
    volumes = (JSON.parse(r.text) as { volumes: unknown[] }).volumes.length;
    bytes = r.bytes.length;
  }
  const cpuAfter = cpuMs(serverPid);
  times.sort((a, b) => a - b);
  const start = performance.now();
  for (const id of ids.slice(0, 1000)) await c.request('GET', `/volumes/${id}`);
  const cpu = cpuBefore !== undefined && cpuAfter !== undefined ? (cpuAfter - cpuBefore) / 15 : undefined;
  return { ms: times[7]!, cpuMs: cpu, volumes, kib: bytes / 1024, oneByOneMs: performance.now() - start };
}

function placementBenchmark(): { ms: number; bricks: number } {
  const cluster: AllocCluster = {
    id: 'c',
    nodes: Array.from({ length: 1000 }, (_, n) => ({
      id: `n${n}`.padStart(32, '0'),
      zone: (n % 10) + 1,
      state: 'online' as const,
      tags: {},
      devices: Array.from({ length: 10 }, (_, d) => ({
        id: `n${n}d${d}`.padStart(32, '0'),
        nodeId: `n${n}`.padStart(32, '0'),
        free: 500 * 1048576 - ((n * 7 + d * 13) % 97) * 1048576,
        extentSize: 4096,
        state: 'online' as const,
        tags: {},
      })),
    })),
  };
  const runs = 50;
  const start = performance.now();
  let bricks = 0;
  for (let i = 0; i < runs; i++) {
    const r = placeVolume(cluster, {
      sizeGiB: 100,
      durability: { type: 'replicate', replica: 3, arbiter: false },
      snapshotFactor: 1,
      existingBricks: 0,
      zoneChecking: 'strict',
      averageFileSizeKiB: 64,
      limits: { brickMinKiB: 1048576, brickMaxKiB: 4096 * 1048576, maxBricksPerVolume: 32 },
      seed: i,
    });
    if (r.ok) bricks += r.placement.sets.flat().length;
  }
  return { ms: (performance.now() - start) / runs, bricks: bricks / runs };
}

function row(cells: (string | number)[], widths: number[]): string {
  return cells.map((c, i) => String(c).padEnd(widths[i]!)).join(' | ');
}

async function main(): Promise<void> {
  const results: (string | number)[][] = [];
  const widths = [44, 14, 14, 10, 24];
  const fmt = (n: number, d = 1) => n.toFixed(d);
  const startLoad = loadavg().map((l) => l.toFixed(2)).join(' ');

  // (a) + (b): Brickyard over real HTTP with JWT, mock executor, in its own process so the load
  // generator does not share its event loop.
  if (part('http')) {
    const dir = mkdtempSync(join(tmpdir(), 'brickyard-bench-'));
    const server = await startBenchServer(dir, 'bench-admin');
    const target = { url: server.url, key: 'bench-admin' };
    const ours = await httpWorkloads(target, server.pid);
    const details = await detailsWorkload(target, server.pid);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });

    let base: HttpResults | undefined;
    if (process.env.BENCH_BASELINE_URL) {
      base = await httpWorkloads({ url: process.env.BENCH_BASELINE_URL, key: process.env.BENCH_BASELINE_KEY ?? '' });
    }
    const ratio = (a: number, b?: number) => (b ? `${fmt(a / b, 2)}x` : '-');
    results.push(['calibration: GET /hello/s (no auth, conc. 16)', fmt(ours.hello), base ? fmt(base.hello) : '-', ratio(ours.hello, base?.hello), 'machine + client ceiling']);
    results.push([
      'volume creates/s (6x4 pool, HTTP+JWT, conc. 8)',
      fmt(ours.creates),
      base ? fmt(base.creates) : '-',
      ratio(ours.creates, base?.creates),
      base ? '>= 10x baseline' : ">= 400/s (10x Heketi's 40/s measured here)",
    ]);
    // Load-independent: what one create costs the server's CPU (and the bench's client), so 1000 / ms
    // is the creates per second one core could serve.
    results.push([
      '  server CPU per create (ms)',
      ours.serverCpuPerCreate === undefined ? '?' : fmt(ours.serverCpuPerCreate, 2),
      '-',
      '-',
      `one core: ${ours.serverCpuPerCreate ? fmt(1000 / ours.serverCpuPerCreate, 0) : '?'}/s; client ${fmt(ours.clientCpuPerCreate, 2)} ms; ${ours.pollsPerCreate === undefined ? '?' : fmt(ours.pollsPerCreate)} /queue requests per create (polled every 5 ms)`,
    ]);
    results.push(['volume info/s (conc. 16)', fmt(ours.infos), base ? fmt(base.infos) : '-', ratio(ours.infos, base?.infos), '>= 2x Heketi (479/s)']);
    results.push([
      `GET /volumes/details, ${details.volumes} volumes (ms)`,
      fmt(details.ms),
      '-',
      '-',
      `<= 100 ms; server CPU ${details.cpuMs === undefined ? '?' : fmt(details.cpuMs)} ms; ${fmt(details.kib, 0)} KiB; 1 by 1: ${fmt(details.oneByOneMs, 0)} ms`,
    ]);
  }

  // (c) fill: percent of raw capacity holding data.
  if (part('fill')) {
    for (const f of runFillBenchmark()) {
      results.push([`fill ${f.topology} (% raw capacity used)`, fmt(f.brickyardPercent, 2), fmt(f.heketiPercent, 2), `${fmt(f.brickyardPercent - f.heketiPercent, 2)} pt`, f.target]);
    }
  }

  // (d) placement on 1,000 nodes × 10 devices.
  if (part('placement')) {
    const p = placementBenchmark();
    results.push(['placement, 1000 nodes x 10 devices (ms/volume)', fmt(p.ms, 2), '-', '-', `${p.bricks} bricks/volume`]);
  }

  // (d2) POST /volumes/capacity with each_durability on 1,000 nodes' worth of devices.
  if (part('capacity')) {
    for (const cap of runCapacityBenchmark()) {
      results.push([`capacity x8 dur., 100x10 ${cap.topology} (CPU ms)`, fmt(cap.cpuMs), '-', '-', `wall ${fmt(cap.wallMs)} ms, ${cap.probes} probes, longest ${fmt(cap.maxProbeMs, 2)} ms`]);
    }
  }

  // (d3) the most expensive requests a user token can send, and /hello meanwhile.
  if (part('hostile')) results.push(...(await runHostileBenchmark()));

  // (e) CreateVolume through the CSI driver vs the same create over REST.
  if (part('csi')) results.push(...(await runCsiBenchmark()));

  // (e2) the web console's first paint of the Pool in chromium, on 100 nodes x 10 devices.
  if (part('console')) results.push(...(await runConsoleBench()));

  // (f) flat costs and memory at 10,000 volumes.
  if (part('scale')) results.push(...(await runScaleBenchmark()));

  // (g) end-to-end lifecycle on the real lab, when it is up.
  if (part('e2e')) results.push(...(await runE2eLatency()));

  const header = ['benchmark', 'brickyard', 'baseline', 'ratio', 'target / note'];
  console.log(row(header, widths));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of results) console.log(row(r, widths));
  // The machine is shared: absolute numbers mean little without the load they were measured under.
  console.log(`load average at the start ${startLoad}, at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${cpus().length} cores)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
