/**
 * Capacity search on 100 nodes × 10 devices: how long `POST /volumes/capacity` with
 * `each_durability` computes, and the longest single placement probe (the event loop is given back
 * after every probe once 2 ms have passed, so that bounds what other requests wait).
 */
import { capacitySearch } from '../src/allocator/capacity.js';
import { KiB_PER_GiB } from '../src/allocator/sizing.js';
import type { AllocCluster, Durability } from '../src/allocator/types.js';

const GiB = KiB_PER_GiB;

/** The durabilities `each_durability` answers for. */
const DURABILITIES: Durability[] = [
  { type: 'none' },
  { type: 'replicate', replica: 2, arbiter: false },
  { type: 'replicate', replica: 3, arbiter: false },
  { type: 'replicate', replica: 3, arbiter: true },
  { type: 'disperse', data: 2, redundancy: 1 },
  { type: 'disperse', data: 4, redundancy: 2 },
  { type: 'disperse', data: 8, redundancy: 3 },
  { type: 'disperse', data: 8, redundancy: 4 },
];

function pool(freeOf: (node: number, device: number) => number): AllocCluster {
  const id = (s: string) => s.padStart(32, '0');
  return {
    id: 'c',
    nodes: Array.from({ length: 100 }, (_, n) => ({
      id: id(`n${n}`),
      zone: (n % 4) + 1,
      state: 'online' as const,
      tags: {},
      devices: Array.from({ length: 10 }, (_, d) => ({ id: id(`n${n}d${d}`), nodeId: id(`n${n}`), free: freeOf(n, d), extentSize: 4096, state: 'online' as const, tags: {} })),
    })),
  };
}

export interface CapacityBench {
  topology: string;
  /** Median over runs of the CPU time for all eight durabilities (wall time grows with the machine's load). */
  cpuMs: number;
  wallMs: number;
  /** Longest single probe seen. */
  maxProbeMs: number;
  probes: number;
}

export function runCapacityBenchmark(): CapacityBench[] {
  const pools: Array<[string, AllocCluster]> = [
    ['uniform 4 TiB', pool(() => 4096 * GiB)],
    ['mixed sizes', pool((n, d) => (((n * 7 + d * 13) % 97) + 3) * 40 * GiB)],
  ];
  return pools.map(([topology, cluster]) => {
    const times: number[] = [];
    const cpu: number[] = [];
    let maxProbeMs = 0;
    let probes = 0;
    for (let run = 0; run < 7; run++) {
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      probes = 0;
      for (const durability of DURABILITIES) {
        const steps = capacitySearch(cluster, {
          durability,
          snapshotFactor: 1,
          existingBricks: 0,
          zoneChecking: 'none',
          averageFileSizeKiB: 64,
          limits: { brickMinKiB: GiB, brickMaxKiB: 4096 * GiB, maxBricksPerVolume: 32 },
          seed: run,
        });
        let last = performance.now();
        while (!steps.next().done) {
          const now = performance.now();
          // The first run warms the JIT up; its probes are not representative.
          if (run > 0) maxProbeMs = Math.max(maxProbeMs, now - last);
          probes++;
          last = now;
        }
      }
      if (run > 0) {
        times.push(performance.now() - start);
        const used = process.cpuUsage(cpuStart);
        cpu.push((used.user + used.system) / 1000);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return { topology, cpuMs: median(cpu), wallMs: median(times), maxProbeMs, probes };
  });
}
