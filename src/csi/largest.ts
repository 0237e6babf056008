/**
 * GetCapacity against a server without `POST /volumes/capacity` (a real Heketi): the largest
 * volume the project's allocator could place now, computed from the topology the API shows —
 * replica/disperse sets, one brick per node per set, thin-pool overhead, brick size limits and
 * the 32-brick ladder included; never the raw free sum. Pure.
 */
import { placeVolume } from '../allocator/place.js';
import { DEFAULT_AVERAGE_FILE_SIZE_KiB, DEFAULT_EXTENT_KiB, KiB_PER_GiB, parseTagMatch } from '../allocator/sizing.js';
import type { AllocCluster, Durability as AllocDurability, PlacementRequest } from '../allocator/types.js';
import { goParseBool, optionValue } from '../volumes/model.js';
import type { Durability } from './parameters.js';

/** What the API shows of a node (client NodeInfo): enough for placement. */
export interface TopologyNode {
  id: string;
  zone: number;
  state: 'online' | 'offline' | 'failed';
  tags?: Record<string, string>;
  devices: { id: string; state: 'online' | 'offline' | 'failed'; tags?: Record<string, string>; storage: { free: number } }[];
}

/** Heketi's default limits (heketi.json brick_min_size_gb 1, brick_max_size_gb 4096, max_bricks_per_volume 32). */
export const HEKETI_LIMITS = { brickMinKiB: KiB_PER_GiB, brickMaxKiB: 4096 * KiB_PER_GiB, maxBricksPerVolume: 32 };

export function allocClusterOf(id: string, nodes: TopologyNode[]): AllocCluster {
  return {
    id,
    nodes: nodes.map((n) => ({
      id: n.id,
      zone: n.zone,
      state: n.state,
      tags: n.tags ?? {},
      devices: n.devices.map((d) => ({ id: d.id, nodeId: n.id, free: d.storage.free, extentSize: DEFAULT_EXTENT_KiB, state: d.state, tags: d.tags ?? {} })),
    })),
  };
}

/** The placement request of a create with these parameters (Heketi's option keys steer it). */
export function placementBase(d: Durability, options: string[], snapFactor: number): Omit<PlacementRequest, 'sizeGiB'> | { error: string } {
  const arbiterOpt = optionValue(options, 'user.heketi.arbiter');
  const durability: AllocDurability =
    d.type === 'replicate'
      ? { type: 'replicate', replica: d.replicate.replica || 2, arbiter: arbiterOpt !== undefined && goParseBool(arbiterOpt) === true }
      : d.type === 'disperse'
        ? { type: 'disperse', data: d.disperse.data, redundancy: d.disperse.redundancy }
        : { type: 'none' };
  const rule = optionValue(options, 'user.heketi.device-tag-match');
  let tagMatch;
  if (rule !== undefined) {
    const parsed = parseTagMatch(rule);
    if (!parsed.ok) return { error: parsed.error };
    tagMatch = parsed.value;
  }
  const avg = Number(optionValue(options, 'user.heketi.average-file-size') ?? '0');
  return {
    durability,
    snapshotFactor: snapFactor,
    existingBricks: 0,
    zoneChecking: optionValue(options, 'user.heketi.zone-checking') === 'strict' ? 'strict' : 'none',
    tagMatch,
    averageFileSizeKiB: Number.isSafeInteger(avg) && avg > 0 ? avg : DEFAULT_AVERAGE_FILE_SIZE_KiB,
    limits: HEKETI_LIMITS,
    seed: 1,
  };
}

function fits(cluster: AllocCluster, base: Omit<PlacementRequest, 'sizeGiB'>, sizeGiB: number): boolean {
  return placeVolume(cluster, { ...base, sizeGiB }).ok;
}

/** The largest whole-GiB volume placeable in one cluster (0 if not even `minGiB`). */
export function largestInCluster(cluster: AllocCluster, base: Omit<PlacementRequest, 'sizeGiB'>, minGiB: number): number {
  if (!fits(cluster, base, minGiB)) return 0;
  // No volume can be larger than the free space of all devices together.
  const freeKiB = cluster.nodes.flatMap((n) => n.devices).reduce((s, d) => s + Math.max(0, d.free), 0);
  const ceiling = Math.max(minGiB, Math.floor(freeKiB / KiB_PER_GiB));
  let lo = minGiB;
  let hi = lo;
  while (hi < ceiling) {
    const next = Math.min(ceiling, hi * 2);
    if (!fits(cluster, base, next)) {
      hi = next;
      break;
    }
    lo = next;
    hi = next;
  }
  if (lo === hi) return lo;
  // lo fits, hi does not.
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(cluster, base, mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Over the candidate clusters: a create tries each, so the best one counts. */
export function largestVolumeGiB(clusters: AllocCluster[], base: Omit<PlacementRequest, 'sizeGiB'>, minGiB: number): number {
  return clusters.reduce((best, c) => Math.max(best, largestInCluster(c, base, minGiB)), 0);
}
