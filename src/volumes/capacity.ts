import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AppContext } from '../core/context.js';
import { capacitySearch } from '../allocator/capacity.js';
import type { AllocCluster } from '../allocator/types.js';
import { createPlacementParams, eligibleClusters, noEligibleCluster, placementFailed, type ClusterFailure, type PlanFailure } from './lifecycle.js';
import { durabilityEcho, type DurabilityEcho } from './model.js';
import { allocCluster, placementRequest } from './placement.js';
import type { VolumeCreateRequest } from './requests.js';

/** The answer for one durability: the largest size in GiB (0 = none) and where it would go, or why nothing fits. */
export interface Capacity {
  size: number;
  cluster: string | null;
  durability: DurabilityEcho;
  arbiter: boolean;
  error?: string;
  reasons: string[];
}

type Durabilities = VolumeCreateRequest['durability'];

/** What the console shows as "largest volume of each durability" (Heketi's accepted combinations). */
export const STANDARD_DURABILITIES: Array<{ durability: Durabilities; arbiter: boolean }> = [
  { durability: { type: 'none', replicate: { replica: 0 }, disperse: { data: 0, redundancy: 0 } }, arbiter: false },
  { durability: { type: 'replicate', replicate: { replica: 2 }, disperse: { data: 0, redundancy: 0 } }, arbiter: false },
  { durability: { type: 'replicate', replicate: { replica: 3 }, disperse: { data: 0, redundancy: 0 } }, arbiter: false },
  { durability: { type: 'replicate', replicate: { replica: 3 }, disperse: { data: 0, redundancy: 0 } }, arbiter: true },
  ...[
    [2, 1],
    [4, 2],
    [8, 3],
    [8, 4],
  ].map(([data, redundancy]) => ({ durability: { type: 'disperse', replicate: { replica: 0 }, disperse: { data: data!, redundancy: redundancy! } }, arbiter: false })),
];

/** Longest the search holds the event loop before letting other requests run. */
const SLICE_MS = 2;

async function runSliced<T>(steps: Generator<void, T, void>): Promise<T> {
  let since = performance.now();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() - since > SLICE_MS) {
      await nextTurn();
      since = performance.now();
    }
  }
}

/** The largest volume one create request could get in these clusters (read beforehand, in eligibility order). */
async function capacityIn(ctx: AppContext, clusters: AllocCluster[], ineligible: Array<{ clusterId: string; error?: string }>, req: VolumeCreateRequest): Promise<Capacity> {
  const params = createPlacementParams(ctx, req);
  const d = params.durability;
  const answer = (size: number, cluster: string | null, failure?: PlanFailure): Capacity => ({
    size,
    cluster,
    durability: durabilityEcho(req.durability),
    arbiter: d.type === 'replicate' && d.arbiter,
    ...(failure ? { error: failure.error } : {}),
    reasons: failure?.reasons ?? [],
  });
  if (clusters.length === 0) return answer(0, null, noEligibleCluster(ineligible));
  const placement = placementRequest(ctx, params);
  let best = 0;
  let at: string | null = null;
  const failures: ClusterFailure[] = [];
  for (const c of clusters) {
    if ('error' in placement) {
      failures.push({ clusterId: c.id, error: placement.error, reasons: [] });
      continue;
    }
    const r = await runSliced(capacitySearch(c, placement));
    if (!r.ok) failures.push({ clusterId: c.id, error: r.failure.error, reasons: r.failure.reasons });
    else if (r.sizeGiB > best) {
      // Ties go to the earlier cluster: a create tries them in this order.
      best = r.sizeGiB;
      at = c.id;
    }
  }
  return best > 0 ? answer(best, at) : answer(0, null, placementFailed(failures));
}

/**
 * POST /volumes/capacity: the largest size a `POST /volumes` with these parameters could get now
 * (its size ignored), and with `eachDurability` the same for every standard durability. The
 * topology is read once, synchronously; the searches then run in slices of the event loop.
 */
export async function volumeCapacity(ctx: AppContext, req: VolumeCreateRequest, eachDurability: boolean): Promise<Capacity & { durabilities?: Capacity[] }> {
  const { eligible, errors } = eligibleClusters(ctx, req, req.name);
  const clusters = eligible.map((id) => allocCluster(ctx.db, id));
  const answer = await capacityIn(ctx, clusters, errors, req);
  if (!eachDurability) return answer;
  const durabilities: Capacity[] = [];
  for (const std of STANDARD_DURABILITIES) {
    // The option comes last, so it overrides an arbiter setting of the request (the last value wins).
    const options = [...req.glustervolumeoptions, `user.heketi.arbiter ${std.arbiter}`];
    durabilities.push(await capacityIn(ctx, clusters, errors, { ...req, durability: std.durability, glustervolumeoptions: options }));
  }
  return { ...answer, durabilities };
}
