import type { AppContext } from '../core/context.js';
import { errorText } from '../errors.js';
import { newId } from '../ids.js';
import { stmt, tx } from '../store/stmt.js';
import { clusterNodes, getNode } from '../store/topology.js';
import { deleteVolumeRow, getVolume, insertBrick, insertVolume, setVolumePending, volumeBricks, type BrickRow, type VolumeRow } from '../store/volumes.js';
import { CHANGE, deleteOperation, insertOperation, recordStep } from '../operations/journal.js';
import { registerRecovery } from '../recovery/interrupted.js';
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
    const lvNames = await cloneLvNames(ctx, srcBricks, result.bricks, result.lvName);
    tx(db, () => {
      srcBricks.forEach((b, i) => {
        const hostPath = result.bricks[i]!;
        insertBrick(db, {
          ...b,
          id: newId(),
          volume_id: clone.id,
          // host:path where the host may be IPv6: the path starts at the first ':/'.
          path: hostPath.slice(hostPath.indexOf(':/') + 1),
          lv_name: lvNames[i]!,
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

/**
 * The LV glusterd made for each clone brick, read from the mount table of the brick's node.
 * Heketi assumes `{cloneUuid}_0` for every brick, but glusterd numbers the snapshot LVs (`_0`,
 * `_1`, ...), so with several bricks of the volume on one node the other LVs would never be removed
 * when the clone is deleted — and would keep the source brick's thin pool (and its space) alive.
 * Falls back to Heketi's name when the mount cannot be read.
 */
async function cloneLvNames(ctx: AppContext, srcBricks: BrickRow[], hostPaths: string[], fallback: string): Promise<string[]> {
  const mounts = new Map<string, Array<{ device: string; mountPoint: string }> | undefined>();
  const names: string[] = [];
  for (let i = 0; i < srcBricks.length; i++) {
    const b = srcBricks[i]!;
    if (!mounts.has(b.node_id)) {
      const node = getNode(ctx.db, b.node_id);
      mounts.set(b.node_id, node ? await ctx.nodeOps.examine(node.manage_hostname).then((r) => r.mounts, () => undefined) : undefined);
    }
    const hostPath = hostPaths[i]!;
    const path = hostPath.slice(hostPath.indexOf(':/') + 1);
    const mountPoint = path.endsWith('/brick') ? path.slice(0, -'/brick'.length) : path;
    const device = mounts.get(b.node_id)?.find((m) => m.mountPoint === mountPoint)?.device ?? '';
    const prefix = `/dev/mapper/${`vg_${b.device_id}`.replace(/-/g, '--')}-`;
    const lv = device.startsWith(prefix) ? device.slice(prefix.length).replace(/--/g, '-') : /^\/dev\/vg_[0-9a-f]{32}\/([A-Za-z0-9_-]+)$/.exec(device)?.[1];
    names.push(lv && /^[A-Za-z0-9_-]+$/.test(lv) ? lv : fallback);
  }
  return names;
}

async function undoClone(ctx: AppContext, clone: VolumeRow, host: string | undefined): Promise<void> {
  if (!host) return;
  // Clone names are not checked for uniqueness (as in Heketi): when another volume has this name,
  // gluster refused our clone and the gluster volume of that name is the other one's — never delete it.
  if (stmt(ctx.db, 'SELECT 1 FROM volumes WHERE name = ? AND id != ? LIMIT 1').get(clone.name, clone.id) !== undefined) return;
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
