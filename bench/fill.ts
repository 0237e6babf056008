/**
 * Fill benchmark: random 1–100 GiB replica-3 volumes until 20 failures in a row; how much of the
 * raw capacity ends up reserved. Brickyard's placer against a model of Heketi's random ring.
 */
import { placeVolume, seededRandom } from '../src/allocator/place.js';
import { KiB_PER_GiB } from '../src/allocator/sizing.js';
import type { AllocCluster, AllocNode, PlacementRequest, PlacementResult } from '../src/allocator/types.js';
import { heketiPlaceVolume } from './heketi-ring.js';

/** One fill run of one allocator. */
export interface FillRun {
  capacityKiB: number;
  usedKiB: number;
  /** usedKiB / capacityKiB in %, 2 decimals. */
  percent: number;
  /** Sum of brick (thin LV) sizes: the part of usedKiB that holds data, without pool metadata. */
  dataKiB: number;
  dataPercent: number;
  volumes: number;
}

/** One topology: Brickyard's run (top-level fields) and the Heketi ring model's, side by side. */
export interface FillRow extends FillRun {
  topology: string;
  brickyardPercent: number;
  heketiPercent: number;
  heketi: FillRun;
  target: string;
}

type Placer = (cluster: AllocCluster, req: PlacementRequest) => PlacementResult;

const GiB = KiB_PER_GiB;
const TiB = 1024 * GiB;

function hex(prefix: string, n: number): string {
  return (prefix + n.toString(16)).padStart(32, '0');
}

function makeCluster(spec: Array<{ zone: number; devices: number[] }>): AllocCluster {
  const nodes: AllocNode[] = spec.map((n, i) => ({
    id: hex('a', i),
    zone: n.zone,
    state: 'online',
    tags: {},
    devices: n.devices.map((free, j) => ({ id: hex('d' + i.toString(16) + 'f', j), nodeId: hex('a', i), free, extentSize: 4096, state: 'online', tags: {} })),
  }));
  return { id: 'c'.repeat(32), nodes };
}

/** (a) 6 nodes × 4 × 500 GiB, two nodes per zone. */
export function uniformTopology(): AllocCluster {
  return makeCluster(Array.from({ length: 6 }, (_, i) => ({ zone: (i % 3) + 1, devices: [500, 500, 500, 500].map((g) => g * GiB) })));
}

/** (b) 100 GiB–2 TiB devices, uneven nodes, zones of 4, 2 and 1 nodes. */
export function mixedTopology(): AllocCluster {
  const G = (g: number) => g * GiB;
  return makeCluster([
    { zone: 1, devices: [2 * TiB, 1 * TiB, G(500)] },
    { zone: 1, devices: [1 * TiB, 1 * TiB, G(250), G(100)] },
    { zone: 1, devices: [2 * TiB, 2 * TiB] },
    { zone: 1, devices: [G(500), G(500), G(500), G(100)] },
    { zone: 2, devices: [2 * TiB, G(100)] },
    { zone: 2, devices: [1 * TiB, G(500), G(250)] },
    { zone: 3, devices: [G(250), G(250), G(100), G(100)] },
  ]);
}

export function fill(cluster: AllocCluster, place: Placer, seed: number): FillRun {
  const rnd = seededRandom(seed);
  const capacityKiB = cluster.nodes.reduce((s, n) => s + n.devices.reduce((t, d) => t + d.free, 0), 0);
  const devs = new Map(cluster.nodes.flatMap((n) => n.devices.map((d) => [d.id, d] as const)));
  let usedKiB = 0;
  let dataKiB = 0;
  let volumes = 0;
  let failures = 0;
  while (failures < 20) {
    const req: PlacementRequest = {
      sizeGiB: 1 + Math.floor(rnd() * 100),
      durability: { type: 'replicate', replica: 3, arbiter: false },
      snapshotFactor: 1,
      existingBricks: 0,
      zoneChecking: 'none',
      averageFileSizeKiB: 64,
      limits: { brickMinKiB: GiB, brickMaxKiB: 4 * TiB, maxBricksPerVolume: 32 },
      seed: Math.floor(rnd() * 0x7fffffff),
    };
    const r = place(cluster, req);
    if (!r.ok) {
      failures++;
      continue;
    }
    failures = 0;
    volumes++;
    for (const b of r.placement.sets.flat()) {
      const d = devs.get(b.deviceId)!;
      if (!(d.free > b.reserved)) throw new Error(`over-reserved ${d.id}`);
      d.free -= b.reserved;
      usedKiB += b.reserved;
      dataKiB += b.size;
    }
  }
  const pct = (v: number) => Math.round((v / capacityKiB) * 10000) / 100;
  return { capacityKiB, usedKiB, percent: pct(usedKiB), dataKiB, dataPercent: pct(dataKiB), volumes };
}

/** Both topologies, both allocators, same volume sequence (fixed seed). */
export function runFillBenchmark(seed = 20240601): FillRow[] {
  const topologies = [
    { topology: 'uniform 6x4x500GiB', make: uniformTopology, target: '>= 97.7%' },
    { topology: 'mixed 100GiB-2TiB, zones 4/2/1', make: mixedTopology, target: '> Heketi ring' },
  ];
  return topologies.map(({ topology, make, target }) => {
    const ours = fill(make(), placeVolume, seed);
    const heketi = fill(make(), heketiPlaceVolume, seed);
    return { topology, ...ours, brickyardPercent: ours.percent, heketiPercent: heketi.percent, heketi, target };
  });
}

if (/fill\.[jt]s$/.test(process.argv[1] ?? '')) {
  console.table(
    runFillBenchmark().map((r) => ({
      topology: r.topology,
      capacityGiB: r.capacityKiB / GiB,
      brickyardUsedGiB: Math.round(r.usedKiB / GiB),
      brickyard: `${r.percent}%`,
      brickyardData: `${r.dataPercent}%`,
      brickyardVolumes: r.volumes,
      heketiUsedGiB: Math.round(r.heketi.usedKiB / GiB),
      heketiRing: `${r.heketi.percent}%`,
      heketiData: `${r.heketi.dataPercent}%`,
      heketiVolumes: r.heketi.volumes,
      target: r.target,
    })),
  );
}
