/**
 * gidMin/gidMax: each volume gets its own group id from the StorageClass's range, the lowest one
 * no volume on the server has, as the in-tree plugin allocated them. Picks are serialised in the
 * process and a picked id stays reserved until its create has ended (by then the server shows it).
 */
import { resourceExhausted } from './errors.js';
import { KeyedLocks } from './locks.js';

/** The lowest id in [min, max] not in `taken`, or undefined. Pure. */
export function lowestFreeGid(range: { min: number; max: number }, taken: ReadonlySet<number>): number | undefined {
  for (let g = range.min; g <= range.max; g++) if (!taken.has(g)) return g;
  return undefined;
}

export class GidAllocator {
  private readonly reserved = new Set<number>();
  private readonly locks = new KeyedLocks();

  /**
   * Reserves the lowest free id of the range; `used` lists the ids the server's volumes have.
   * Call `release` once the create has ended (successfully or not).
   */
  async reserve(range: { min: number; max: number }, used: () => Promise<number[]>): Promise<{ gid: number; release(): void }> {
    return this.locks.serial('gid', async () => {
      const taken = new Set([...(await used()), ...this.reserved]);
      const gid = lowestFreeGid(range, taken);
      if (gid === undefined) throw resourceExhausted(`no free group id left between gidMin ${range.min} and gidMax ${range.max}`);
      this.reserved.add(gid);
      return { gid, release: () => this.reserved.delete(gid) };
    });
  }
}
