/**
 * `npm run bench`: throughput and placement benchmarks, printed as a table. Targets are compared
 * as ratios within one run (this machine is shared and noisy), never asserted in tests.
 *
 *   BENCH_BASELINE_URL / BENCH_BASELINE_KEY  another Heketi-compatible server to run the same HTTP
 *                                            workloads against (it must be empty and in mock mode)
 *   BENCH_SECONDS                            duration of each HTTP workload (default 5)
 */
import { createHmac, createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { placeVolume } from '../src/allocator/place.js';
import type { AllocCluster } from '../src/allocator/types.js';
import { runFillBenchmark } from './fill.js';
import { runE2eLatency } from './e2e.js';
import { runConsoleBench } from './console.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

interface Target {
  url: string;
  key: string;
}

function token(method: string, path: string, key: string): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const qsh = createHash('sha256').update(`${method}&${path}`).digest('hex');
  const signing = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ exp: now + 300, iat: now, iss: 'admin', qsh })}`;
  return `${signing}.${createHmac('sha256', key).update(signing).digest('base64url')}`;
}

async function call(t: Target, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(t.url + path, {
    method,
    headers: { Authorization: `bearer ${token(method, path, t.key)}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  });
}

/** Follows the /queue protocol like the Go client, but polling every 5 ms instead of 400 ms. */
async function waitQueue(t: Target, location: string): Promise<Response> {
  for (;;) {
    const r = await call(t, 'GET', location);
    if (r.status === 200 && r.headers.get('x-pending') === 'true') {
      await r.arrayBuffer();
      await new Promise((res) => setTimeout(res, 5));
      continue;
    }
    return r;
  }
}

async function setupTopology(t: Target, nodes: number, disks: number, diskPrefix = 'sd'): Promise<void> {
  const c = (await (await call(t, 'POST', '/clusters', { file: true, block: true })).json()) as { id: string };
  for (let i = 1; i <= nodes; i++) {
    const r = await call(t, 'POST', '/nodes', { zone: i, hostnames: { manage: [`bench-n${i}`], storage: [`192.0.2.${i}`] }, cluster: c.id });
    const done = await waitQueue(t, r.headers.get('location')!);
    const nodeId = done.headers.get('location')!.split('/').pop()!;
    for (let d = 0; d < disks; d++) {
      const dr = await call(t, 'POST', '/devices', { name: `/dev/${diskPrefix}${String.fromCharCode(98 + d)}`, node: nodeId });
      await waitQueue(t, dr.headers.get('location')!);
    }
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

async function httpWorkloads(t: Target): Promise<{ creates: number; infos: number; hello: number }> {
  // Calibration: the cheapest route (no auth, no DB) with the same client and concurrency shows
  // what this machine and client can do at all; compare the other rows to it.
  const hello = await throughput(16, async () => {
    const r = await fetch(`${t.url}/hello`);
    await r.arrayBuffer();
    return r.ok;
  });
  // Many large devices so the create workload never runs out of space.
  await setupTopology(t, 6, 8);
  const create = await throughput(8, async () => {
    const r = await call(t, 'POST', '/volumes', { size: 1, durability: { type: 'replicate', replicate: { replica: 3 } } });
    if (r.status !== 202) {
      await r.arrayBuffer();
      return false;
    }
    const done = await waitQueue(t, r.headers.get('location')!);
    await done.arrayBuffer();
    return done.status === 303;
  });
  const ids = ((await (await call(t, 'GET', '/volumes')).json()) as { volumes: string[] }).volumes;
  let i = 0;
  const info = await throughput(16, async () => {
    const r = await call(t, 'GET', `/volumes/${ids[i++ % ids.length]}`);
    await r.arrayBuffer();
    return r.status === 200;
  });
  return { creates: create.perSec, infos: info.perSec, hello: hello.perSec };
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

  // (a) + (b): Brickyard over real HTTP with JWT, mock executor, in its own process so the load
  // generator does not share its event loop.
  const dir = mkdtempSync(join(tmpdir(), 'brickyard-bench-'));
  const port = 18000 + Math.floor(Math.random() * 2000);
  const cfgFile = join(dir, 'heketi.json');
  writeFileSync(
    cfgFile,
    JSON.stringify({
      port: String(port),
      listen_address: '127.0.0.1',
      jwt: { admin: { key: 'bench-admin' }, user: { key: 'bench-user' } },
      glusterfs: { executor: 'mock', db: join(dir, 'bench.db'), loglevel: 'none', mock: { device_size_gb: 4096 } },
    }),
  );
  const server = execa('node', [new URL('../src/cli/main.js', import.meta.url).pathname, 'serve', '--config', cfgFile], { reject: false, stdio: 'ignore' });
  const target = { url: `http://127.0.0.1:${port}`, key: 'bench-admin' };
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${target.url}/hello`)).ok) break;
    } catch {
      if (i > 200) throw new Error('bench server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const ours = await httpWorkloads(target);
  server.kill('SIGTERM');
  await server;
  rmSync(dir, { recursive: true, force: true });

  let base: { creates: number; infos: number; hello: number } | undefined;
  if (process.env.BENCH_BASELINE_URL) {
    base = await httpWorkloads({ url: process.env.BENCH_BASELINE_URL, key: process.env.BENCH_BASELINE_KEY ?? '' });
  }
  const ratio = (a: number, b?: number) => (b ? `${fmt(a / b, 2)}x` : '-');
  results.push(['calibration: GET /hello/s (no auth, conc. 16)', fmt(ours.hello), base ? fmt(base.hello) : '-', ratio(ours.hello, base?.hello), 'machine + client ceiling']);
  results.push(['volume creates/s (HTTP+JWT, conc. 8, mock)', fmt(ours.creates), base ? fmt(base.creates) : '-', ratio(ours.creates, base?.creates), '>= 270/s (Heketi 27/s)']);
  results.push(['volume info/s (conc. 16)', fmt(ours.infos), base ? fmt(base.infos) : '-', ratio(ours.infos, base?.infos), '>= 2x Heketi (479/s)']);

  // (c) fill: percent of raw capacity holding data.
  for (const f of runFillBenchmark()) {
    results.push([`fill ${f.topology} (% raw capacity used)`, fmt(f.brickyardPercent, 2), fmt(f.heketiPercent, 2), `${fmt(f.brickyardPercent - f.heketiPercent, 2)} pt`, f.target]);
  }

  // (d) placement on 1,000 nodes × 10 devices.
  const p = placementBenchmark();
  results.push(['placement, 1000 nodes x 10 devices (ms/volume)', fmt(p.ms, 2), '-', '-', `${p.bricks} bricks/volume`]);

  // (e) the web console's first paint of the Pool in chromium, on 100 nodes x 10 devices.
  for (const r of await runConsoleBench()) results.push(r);

  // (f) end-to-end create latency on the real lab, when it is up.
  const e2e = await runE2eLatency();
  for (const r of e2e) results.push(r);

  const header = ['benchmark', 'brickyard', 'baseline', 'ratio', 'target / note'];
  console.log(row(header, widths));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of results) console.log(row(r, widths));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
