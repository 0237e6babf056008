import type { AppContext } from '../api/server.js';
import { errorText } from '../errors.js';
import { newId } from '../ids.js';
import { tx } from '../store/stmt.js';
import { clusterNodes } from '../store/topology.js';
import { deleteVolumeRow, getVolume, insertBrick, insertVolume, setVolumePending, volumeBricks, type VolumeRow } from '../store/volumes.js';
import { CHANGE, deleteOperation, insertOperation, recordStep } from '../operations/journal.js';
import { registerRecovery } from '../operations/recovery.js';
import type { WorkResult } from '../operations/runner.js';

interface CloneState {
  sourceId: string;
  cloneId: string;
  opId: string;
}

/** Build: the clone's volume row (pending), copying the source's settings (heketi-behaviour.md §5.3). */
export function buildVolumeClone(ctx: AppContext, source: VolumeRow, name: string): CloneState {
  const cloneId = newId();
  const opId = newId();
  tx(ctx.db, () => {
    insertVolume(ctx.db, { ...source, id: cloneId, name: name || `vol_${cloneId}`, pending_op: opId });
    insertOperation(ctx.db, {
      id: opId,
      type: 'clone-volume',
      actions: [
        { change: CHANGE.CloneVolume, id: source.id },
        { change: CHANGE.AddVolumeClone, id: cloneId },
      ],
      intent: { sourceId: source.id, cloneId },
    });
  });
  return { sourceId: source.id, cloneId, opId };
}

/**
 * Exec: gluster snapshots the source and clones the snapshot on the first node of the cluster.
 * The clone's bricks live in the source bricks' thin pools, so they reserve no space.
 */
export async function execVolumeClone(ctx: AppContext, s: CloneState): Promise<WorkResult> {
  const { db } = ctx;
  const source = getVolume(db, s.sourceId)!;
  const clone = getVolume(db, s.cloneId)!;
  const host = clusterNodes(db, source.cluster_id)[0]?.manage_hostname;
  try {
    if (!host) throw new Error('No nodes in cluster');
    recordStep(db, s.opId, 'gluster-clone');
    const result = await ctx.nodeOps.cloneVolume(host, source.name, clone.name);
    const srcBricks = volumeBricks(db, source.id);
    if (result.bricks.length !== srcBricks.length) {
      throw new Error(`gluster clone has ${result.bricks.length} bricks, the source volume ${srcBricks.length}`);
    }
    tx(db, () => {
      srcBricks.forEach((b, i) => {
        const hostPath = result.bricks[i]!;
        insertBrick(db, {
          ...b,
          id: newId(),
          volume_id: clone.id,
          // host:path where the host may be IPv6: the path starts at the first ':/'.
          path: hostPath.slice(hostPath.indexOf(':/') + 1),
          lv_name: result.lvName,
          pending_op: null,
        });
      });
      setVolumePending(db, clone.id, null);
      deleteOperation(db, s.opId);
    });
    return `/volumes/${clone.id}`;
  } catch (e) {
    await undoClone(ctx, clone, host);
    tx(db, () => {
      deleteVolumeRow(db, clone.id);
      deleteOperation(db, s.opId);
    });
    throw e;
  }
}

async function undoClone(ctx: AppContext, clone: VolumeRow, host: string | undefined): Promise<void> {
  if (!host) return;
  try {
    await ctx.nodeOps.volumeDestroy([host], clone.name);
  } catch (e) {
    ctx.ops.log.warn({ clone: clone.id, err: errorText(e) }, 'could not remove a half-made clone from gluster');
  }
}

registerRecovery('clone-volume', async (ctx, op) => {
  const { cloneId } = op.intent as { cloneId: string };
  const clone = getVolume(ctx.db, cloneId);
  if (!clone || clone.pending_op !== op.id) return;
  const host = clusterNodes(ctx.db, clone.cluster_id)[0]?.manage_hostname;
  if (op.stepsDone.includes('gluster-clone')) await undoClone(ctx, clone, host);
  tx(ctx.db, () => deleteVolumeRow(ctx.db, cloneId));
});
