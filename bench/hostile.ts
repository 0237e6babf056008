/**
 * Hostile requests (issue 10 item 6): the most expensive requests a `user` token can send, and how
 * long GET /hello waits while six of them run at once. Before the list caps, 28,000 copies of one
 * cluster id cost ~2 s of synchronous placement each and pushed /hello to 6.6 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeketiClient } from '../src/client/index.js';
import { LIMITS } from '../src/core/validation.js';
import { startBenchServer } from './server.js';

export async function runHostileBenchmark(): Promise<(string | number)[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'brickyard-bench-hostile-'));
  const server = await startBenchServer(dir, 'bench-admin');
  try {
    const c = new HeketiClient({ server: server.url, user: 'admin', key: 'bench-admin', pollMs: 5, maxRetries429: 0 });
    // As many clusters as one request may name, each too small for the requests below: placement
    // is tried, and fails, in every one of them.
    const clusters: string[] = [];
    let host = 0;
    for (let i = 0; i < LIMITS.clusters; i++) {
      const cluster = (await c.clusterCreate({ file: true, block: true })).id;
      clusters.push(cluster);
      for (let n = 1; n <= 3; n++) {
        host++;
        const node = await c.nodeAdd({ zone: n, hostnames: { manage: [`hostile-n${host}`], storage: [`198.51.${Math.floor(host / 250)}.${host % 250}`] }, cluster });
        await c.deviceAdd({ name: '/dev/sdb', node: node.id });
      }
    }
    const huge = 10 ** 7;
    const requests: Array<[string, unknown]> = [
      [`${LIMITS.clusters} clusters, none with space`, { size: huge, clusters, durability: { type: 'replicate', replicate: { replica: 3 } } }],
      ['28,000 copies of one cluster id (400)', { size: 1, clusters: Array<string>(28_000).fill(clusters[0]!) }],
      [`${LIMITS.volumeOptions} options of 4 KiB, all clusters`, { size: huge, glustervolumeoptions: Array.from({ length: LIMITS.volumeOptions }, (_, i) => `user.k${i} ${'v'.repeat(4000)}`) }],
    ];
    const rows: (string | number)[][] = [];
    for (const [label, body] of requests) {
      const t0 = performance.now();
      await c.request('POST', '/volumes', body);
      const ms = performance.now() - t0;
      rows.push([`hostile create: ${label} (ms)`, ms.toFixed(1), '-', '-', '< 250 ms']);
    }
    // Six of the most expensive at once, and /hello meanwhile.
    const body = requests[0]![1];
    const t0 = performance.now();
    const hello = (async () => {
      const h0 = performance.now();
      await c.hello();
      return performance.now() - h0;
    })();
    const [helloMs] = await Promise.all([hello, ...Array.from({ length: 6 }, () => c.request('POST', '/volumes', body))]);
    rows.push(['GET /hello during 6 hostile creates (ms)', helloMs.toFixed(1), '-', '-', `< 500 ms (was 6,600); all 6 took ${(performance.now() - t0).toFixed(0)} ms`]);
    return rows;
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
