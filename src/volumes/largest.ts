/**
 * The largest volume over candidate clusters: the allocator's capacity search per cluster, run in
 * event-loop slices. Kept free of the server's state (no context, no DB) so that the CSI driver
 * runs the very same search for a real Heketi, from the topology that server shows.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { capacitySearch } from '../allocator/capacity.js';
import type { AllocCluster, PlacementBase } from '../allocator/types.js';
import type { ClusterFailure } from './lifecycle.js';

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

/**
 * The largest size placeable in one of these clusters (in the order a create tries them) and
 * where, or each cluster's reason when nothing fits.
 */
export async function largestAmong(
  clusters: AllocCluster[],
  placement: PlacementBase | { error: string },
): Promise<{ size: number; cluster: string | null; failures: ClusterFailure[] }> {
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
  return { size: best, cluster: at, failures };
}

