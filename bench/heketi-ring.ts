/**
 * A compact model of Heketi's standard placer (behaviour §4.4 steps 1–3), for comparison only:
 * ring interleaved by zone then node (Go map order ⇒ shuffled), rotated to a random point, walked
 * once per set. Same sizing ladder and space rule as Brickyard.
 */
import { seededRandom } from '../src/allocator/place.js';
import {
  ERR_NO_NODES,
  ERR_NO_SPACE,
  ERR_NO_STORAGE,
  KiB_PER_GiB,
  brickSpace,
  bricksPerSet,
  planBrickSizes,
  tagMatches,
} from '../src/allocator/sizing.js';
import type { AllocCluster, AllocDevice, AllocNode, PlacedBrick, PlacementRequest, PlacementResult } from '../src/allocator/types.js';

interface RingDev {
  dev: AllocDevice;
  node: AllocNode;
}

function shuffle<T>(items: T[], rnd: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

function buildRing(cluster: AllocCluster, rnd: () => number): RingDev[] {
  const byZone = new Map<number, RingDev[][]>();
  for (const node of cluster.nodes) {
    if (node.state !== 'online') continue;
    // Add order = sorted ids; the interleave pops from the end
    const devs = node.devices
      .filter((d) => d.state === 'online')
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((dev) => ({ dev, node }));
    if (devs.length === 0) continue;
    const z = byZone.get(node.zone) ?? [];
    z.push(devs);
    byZone.set(node.zone, z);
  }
  const zones = shuffle([...byZone.values()], rnd).map((nodes) => shuffle(nodes, rnd));
  const list: RingDev[] = [];
  for (let i = 0; zones.length !== 0; i++) {
    const zi = i % zones.length;
    const nodes = zones[zi]!;
    const ni = i % nodes.length;
    const devices = nodes[ni]!;
    list.push(devices.pop()!);
    if (devices.length === 0) nodes.splice(ni, 1);
    if (nodes.length === 0) zones.splice(zi, 1);
  }
  return list;
}

/** Heketi-like placement; arbiter volumes are not modelled (the benchmark does not use them). */
export function heketiPlaceVolume(cluster: AllocCluster, req: PlacementRequest): PlacementResult {
  if (cluster.nodes.length === 0) return { ok: false, failure: { error: ERR_NO_NODES, rawError: ERR_NO_NODES, reasons: [] } };
  const rnd = seededRandom(req.seed);
  const perSet = bricksPerSet(req.durability);
  const plan = planBrickSizes(req.sizeGiB * KiB_PER_GiB, req.durability, req.limits, req.existingBricks);
  for (const attempt of plan.attempts) {
    const free = new Map<string, number>();
    const sets: PlacedBrick[][] = [];
    let ok = true;
    for (let s = 0; s < attempt.sets && ok; s++) {
      const ring = buildRing(cluster, rnd);
      if (ring.length === 0) return { ok: false, failure: { error: ERR_NO_STORAGE, rawError: ERR_NO_STORAGE, reasons: [] } };
      // parseInt(brickId[0:7], 16) % len
      const start = Math.floor(rnd() * 0x10000000) % ring.length;
      const walk = [...ring.slice(start), ...ring.slice(0, start)];
      const set: PlacedBrick[] = [];
      const usedNodes = new Set<string>();
      const usedZones = new Set<number>();
      let w = 0;
      for (let k = 0; k < perSet; k++) {
        let placed = false;
        while (w < walk.length) {
          const { dev, node } = walk[w++]!;
          if (usedNodes.has(node.id)) continue;
          if (req.zoneChecking === 'strict' && usedZones.has(node.zone)) continue;
          if (req.tagMatch && !tagMatches(req.tagMatch, { ...node.tags, ...dev.tags })) continue;
          const space = brickSpace(attempt.brickSize, req.snapshotFactor, dev.extentSize);
          const f = free.get(dev.id) ?? dev.free;
          if (!(f > space.reserved)) continue;
          free.set(dev.id, f - space.reserved);
          usedNodes.add(node.id);
          usedZones.add(node.zone);
          set.push({ deviceId: dev.id, nodeId: node.id, size: attempt.brickSize, ...space, arbiter: false });
          placed = true;
          break;
        }
        if (!placed) {
          ok = false;
          break;
        }
      }
      if (ok) sets.push(set);
    }
    if (ok) return { ok: true, placement: { sets, brickSize: attempt.brickSize } };
  }
  return { ok: false, failure: { error: ERR_NO_SPACE, rawError: plan.terminalError, reasons: [] } };
}
