import type { AppContext } from '../core/context.js';
import { HttpError } from '../errors.js';
import { tx } from '../store/stmt.js';
import { getVolume, setBlockRestriction, setVolumeSize, type VolumeRow } from '../store/volumes.js';
import type { WorkResult } from '../operations/runner.js';
import { BLOCK_HOSTING_USABLE } from './model.js';

const PREFIX = 'Failed to set block restriction';

/**
 * Block-hosting restriction (heketi-behaviour.md §5.4): `locked` applies at once so no new block
 * volume lands there; unlocking a `locked-by-update` volume first restores its 2 % reserve.
 */
export function setRestriction(ctx: AppContext, v: VolumeRow, restriction: '' | 'locked'): () => Promise<WorkResult> {
  if (!v.block) throw new HttpError(500, `${PREFIX}: Block restrictions can only be set on block hosting volumes`);
  if (restriction === 'locked') setBlockRestriction(ctx.db, v.id, 'locked');
  return async () => {
    if (restriction === '') {
      tx(ctx.db, () => {
        const cur = getVolume(ctx.db, v.id)!;
        if (cur.block_restriction === 'locked-by-update' && cur.block_reserved === 0) {
          const need = cur.size - BLOCK_HOSTING_USABLE(cur.size);
          if (cur.block_free < need) {
            throw new HttpError(500, `${PREFIX}: Can not unlock volume. ${need}GiB free space is required, but found ${cur.block_free}GiB`);
          }
          setVolumeSize(ctx.db, cur.id, cur.size, cur.block_free - need, need);
        }
        setBlockRestriction(ctx.db, cur.id, '');
      });
    }
    return `/volumes/${v.id}`;
  };
}
