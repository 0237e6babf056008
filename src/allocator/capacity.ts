/**
 * The largest volume placeVolume would place now (Brickyard's `POST /volumes/capacity`). Pure.
 *
 * Feasibility is not monotone in the size: a size is placed by the first rung of the §4.3 ladder
 * (1, 2, 4 … sets) that fits, and a smaller size may stop the ladder earlier because its bricks drop
 * below the minimum brick size. So each rung is searched on its own: for `n` sets the brick size is
 * `size / (n × data bricks)`, and a smaller brick fits wherever a bigger one did, so a binary search
 * over the sizes that reach that rung finds its largest placeable size. The answer is the largest
 * over the rungs. Each probe is exactly the rung placeVolume would run (same pool, seed, ledger).
 */
import { attemptRunner, placeVolume } from './place.js';
import { KiB_PER_GiB, arbiterAverageFileSize, arbiterBrickSize, bricksPerSet, dataBricksPerSet, minimumVolumeSizeKiB } from './sizing.js';
import type { AllocCluster, PlacementBase, PlacementFailure } from './types.js';

export type CapacityResult = { ok: true; sizeGiB: number } | { ok: false; failure: PlacementFailure };

/** The smallest size a create accepts (`POST /volumes` answers 400 below it). */
export function smallestVolumeGiB(req: PlacementBase): number {
  return Math.max(1, Math.ceil(minimumVolumeSizeKiB(req.durability, req.limits.brickMinKiB) / KiB_PER_GiB));
}

/**
 * Steps of the search; each `yield` follows one placement probe, so a caller can spread a big
 * search over several event-loop turns. The return value is the answer.
 */
export function* capacitySearch(cluster: AllocCluster, req: PlacementBase): Generator<void, CapacityResult, void> {
  const runner = attemptRunner(cluster, req);
  let best = 0;
  if (runner) {
    const { limits } = req;
    const perSet = bricksPerSet(req.durability);
    const arbiter = req.durability.type === 'replicate' && req.durability.arbiter;
    const dataPerSet = perSet - (arbiter ? 1 : 0);
    const unitsPerSet = dataBricksPerSet(req.durability);
    // Arbiter sizing refuses data bricks smaller than the average file size (and ends the ladder).
    const lowBrick = Math.max(limits.brickMinKiB, arbiter ? arbiterAverageFileSize(req.averageFileSizeKiB) : 0);
    // A brick of b KiB takes at least floor(b × factor) KiB, and a device must have more than that.
    const factor = Math.fround(req.snapshotFactor);
    const maxFree = runner.dataDeviceFree.reduce((a, f) => Math.max(a, f), 0);
    const sumFree = runner.dataDeviceFree.reduce((a, f) => a + Math.max(0, f), 0);

    const rungs: number[] = [];
    for (let n = 1; n * perSet + req.existingBricks <= limits.maxBricksPerVolume; n *= 2) rungs.push(n);
    // Most sets first: they reach the biggest sizes, and what they find prunes the smaller rungs.
    for (const n of rungs.reverse()) {
      const perBrick = n * unitsPerSet; // size (KiB) / perBrick = brick size, as planBrickSizes divides
      const brickOf = (sizeGiB: number) => Math.floor((sizeGiB * KiB_PER_GiB) / perBrick);
      // Upper bounds that never cut a placeable brick: it must fit one device, and n sets' data bricks the whole pool.
      const highBrick = Math.min(limits.brickMaxKiB, Math.floor(maxFree / factor) + 1, Math.floor((sumFree / (n * dataPerSet) + 1) / factor) + 1);
      if (highBrick < lowBrick) continue;
      let lo = Math.max(Math.ceil((lowBrick * perBrick) / KiB_PER_GiB), best + 1);
      let hi = Math.floor(((highBrick + 1) * perBrick - 1) / KiB_PER_GiB);
      if (lo > hi) continue;
      const fits = (sizeGiB: number) => {
        const brick = brickOf(sizeGiB);
        const arb = arbiter ? arbiterBrickSize(brick, req.averageFileSizeKiB, limits.arbiterMinKiB) : undefined;
        return runner.fits(n, brick, arb?.ok ? arb.value : 0);
      };
      const fitsLo = fits(lo);
      yield;
      if (!fitsLo) continue;
      while (lo < hi) {
        const mid = lo + Math.ceil((hi - lo) / 2);
        const ok = fits(mid);
        yield;
        if (ok) lo = mid;
        else hi = mid - 1;
      }
      best = lo;
    }
  }
  if (best > 0) return { ok: true, sizeGiB: best };
  // Nothing fits: the reasons are the ones a create of the smallest accepted size would get.
  const smallest = placeVolume(cluster, { ...req, sizeGiB: smallestVolumeGiB(req) });
  return smallest.ok ? { ok: true, sizeGiB: smallestVolumeGiB(req) } : { ok: false, failure: smallest.failure };
}

/** The search run to its end in one go (tests, small pools). */
export function maxVolumeSize(cluster: AllocCluster, req: PlacementBase): CapacityResult {
  const steps = capacitySearch(cluster, req);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}
