import type { AppContext } from '../core/context.js';
import { errorText } from '../errors.js';
import { newId } from '../ids.js';
import type { GlusterVolume } from '../gluster/parse.js';
import { stmt, tx } from '../store/stmt.js';
import { clusterNodes, getNode, nodeByHostname } from '../store/topology.js';
import { bricksOfOperation, deleteVolumeRow, getVolume, insertBrick, insertVolume, setBrickPending, setVolumePending, volumeBricks, type BrickRow, type VolumeRow } from '../store/volumes.js';
import { CHANGE, endOperation, insertOperation, recordStep } from '../operations/journal.js';
import { registerRecovery } from '../recovery/interrupted.js';
import type { WorkResult } from '../operations/runner.js';
import { INTERRUPTED, type QueueOutcome } from '../store/queue.js';
import { destroyBricks } from './bricks.js';
import { releaseBricks } from './placement.js';

interface CloneState {
  sourceId: string;
  cloneId: string;
  opId: string;
  /** gluster's temporary snapshot, journalled so that recovery can remove it. */
  snapshot: string;
}

/** Build: the clone's volume row (pending), copying the source's settings (heketi-behaviour.md §5.3). */
export function buildVolumeClone(ctx: AppContext, source: VolumeRow, name: string): CloneState {
  const cloneId = newId();
  const opId = newId();
  const snapshot = `tmpsnap_${newId()}`;
  tx(ctx.db, () => {
    insertVolume(ctx.db, { ...source, id: cloneId, name: name || `vol_${cloneId}`, pending_op: opId });
    insertOperation(ctx.db, {
      id: opId,
      type: 'clone-volume',
      actions: [
        { change: CHANGE.CloneVolume, id: source.id },
        { change: CHANGE.AddVolumeClone, id: cloneId },
      ],
      intent: { sourceId: source.id, cloneId, snapshot },
    });
  });
  return { sourceId: source.id, cloneId, opId, snapshot };
}

/**
 * Exec: gluster snapshots the source and clones the snapshot on the first node of the cluster.
 * The clone's bricks live in the source bricks' thin pools, so they reserve no space. Their rows
 * are written (pending) as soon as they are known, so that an undo — now or by recovery — finds
 * and removes their LVs and mounts, which gluster's volume delete leaves behind.
 */
export async function execVolumeClone(ctx: AppContext, s: CloneState): Promise<WorkResult> {
  const { db } = ctx;
  const source = getVolume(db, s.sourceId)!;
  const clone = getVolume(db, s.cloneId)!;
  const host = clusterNodes(db, source.cluster_id)[0]?.manage_hostname;
  try {
    if (!host) throw new Error('No nodes in cluster');
    recordStep(db, s.opId, 'gluster-clone');
    const result = await ctx.nodeOps.cloneVolume(host, source.name, clone.name, s.snapshot, clone.id);
    const bricks = await recordCloneBricks(ctx, s.opId, clone, source, result);
    const location = `/volumes/${clone.id}`;
    tx(db, () => {
      for (const b of bricks) setBrickPending(db, b.id, null);
      setVolumePending(db, clone.id, null);
      endOperation(db, s.opId, { location });
    });
    return location;
  } catch (e) {
    try {
      await undoClone(ctx, s, { error: errorText(e) });
    } catch (ue) {
      // The operation stays in the journal, failed: the cleaner retries the undo.
      ctx.ops.log.warn({ clone: clone.id, err: errorText(ue) }, 'could not remove a half-made clone; left for the operations cleanup');
    }
    throw e;
  }
}

/**
 * Writes the clone's brick rows, pending under the operation: one per source brick, matched by
 * position, with the LV gluster made for it and the source brick's thin pool.
 */
async function recordCloneBricks(ctx: AppContext, opId: string, clone: VolumeRow, source: VolumeRow, g: Pick<GlusterVolume, 'id' | 'bricks'>): Promise<BrickRow[]> {
  const srcBricks = volumeBricks(ctx.db, source.id);
  if (g.bricks.length !== srcBricks.length) {
    throw new Error(`gluster clone has ${g.bricks.length} bricks, the source volume ${srcBricks.length}`);
  }
  const lvNames = await cloneLvNames(ctx, srcBricks, g.bricks, g.id.replace(/-/g, ''));
  const rows: BrickRow[] = srcBricks.map((b, i) => {
    const hostPath = g.bricks[i]!;
    // The clone brick is where gluster put it: on the node of that storage host (the source brick's).
    const node = nodeByHostname(ctx.db, 'storage', hostPath.slice(0, hostPath.indexOf(':/'))) ?? getNode(ctx.db, b.node_id)!;
    return {
      ...b,
      id: newId(),
      volume_id: clone.id,
      node_id: node.id,
      // host:path where the host may be IPv6: the path starts at the first ':/'.
      path: hostPath.slice(hostPath.indexOf(':/') + 1),
      lv_name: lvNames[i]!,
      pending_op: opId,
      created_at: Date.now(),
    };
  });
  tx(ctx.db, () => {
    for (const r of rows) insertBrick(ctx.db, r);
    recordStep(ctx.db, opId, 'bricks');
  });
  return rows;
}

/**
 * The LV glusterd made for each clone brick, read from the mount table of the brick's node.
 * Heketi assumes `{cloneUuid}_0` for every brick, but glusterd numbers the snapshot LVs (`_0`,
 * `_1`, ...), so with several bricks of the volume on one node the other LVs would never be removed
 * when the clone is deleted — and would keep the source brick's thin pool (and its space) alive.
 * When the mount cannot be read, the name glusterd gives: `{cloneUuid}_{n}`, n counting the
 * volume's bricks on that node.
 */
async function cloneLvNames(ctx: AppContext, srcBricks: BrickRow[], hostPaths: string[], lvPrefix: string): Promise<string[]> {
  const mounts = new Map<string, Array<{ device: string; mountPoint: string }> | undefined>();
  const bricksOnNode = new Map<string, number>();
  const names: string[] = [];
  for (let i = 0; i < srcBricks.length; i++) {
    const b = srcBricks[i]!;
    const n = bricksOnNode.get(b.node_id) ?? 0;
    bricksOnNode.set(b.node_id, n + 1);
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
    names.push(lv && /^[A-Za-z0-9_-]+$/.test(lv) ? lv : `${lvPrefix}_${n}`);
  }
  return names;
}

/**
 * Removes everything a clone operation made — the temporary snapshot, the gluster clone, its
 * bricks' mounts and LVs — then its rows, and ends the operation with `answer`. Idempotent;
 * throws (the operation stays for a retry) when a node step fails.
 */
async function undoClone(ctx: AppContext, s: CloneState, answer: QueueOutcome): Promise<void> {
  const { db } = ctx;
  const clone = getVolume(db, s.cloneId);
  const source = getVolume(db, s.sourceId);
  if (clone && clone.pending_op === s.opId) {
    const host = clusterNodes(db, clone.cluster_id)[0]?.manage_hostname;
    if (host) {
      if (s.snapshot !== '') await ctx.nodeOps.snapshotDestroy(host, s.snapshot);
      // Clone names are not checked for uniqueness (as in Heketi): when another volume has this name,
      // gluster refused our clone and the gluster volume of that name is the other one's — never touch it.
      const nameTaken = stmt(db, 'SELECT 1 FROM volumes WHERE name = ? AND id != ? LIMIT 1').get(clone.name, clone.id) !== undefined;
      if (!nameTaken) {
        const g = (await ctx.nodeOps.volumeInfo(host)).find((v) => v.name === clone.name);
        // Ours only if made from a snapshot (its bricks are snapshot mounts).
        if (g && g.bricks.every((b) => b.includes(':/run/gluster/snaps/'))) {
          if (source && bricksOfOperation(db, s.opId).length === 0) await recordCloneBricks(ctx, s.opId, clone, source, g);
          await ctx.nodeOps.volumeDestroy([host], clone.name);
        }
      }
    }
  }
  const bricks = bricksOfOperation(db, s.opId);
  const outcome = await destroyBricks(ctx, bricks);
  if (outcome.failed.length > 0) throw new Error(outcome.failed[0]!.error);
  tx(db, () => {
    releaseBricks(db, bricks);
    if (getVolume(db, s.cloneId)?.pending_op === s.opId) deleteVolumeRow(db, s.cloneId);
    endOperation(db, s.opId, answer);
  });
}

registerRecovery('clone-volume', async (ctx, op) => {
  const intent = op.intent as { sourceId: string; cloneId: string; snapshot?: string };
  // Nothing reached gluster before this step; an imported Heketi operation has no step record.
  const touched = op.stepsDone.includes('gluster-clone') || op.intent.imported !== undefined;
  if (touched) {
    await undoClone(ctx, { ...intent, opId: op.id, snapshot: intent.snapshot ?? '' }, { error: INTERRUPTED });
  } else {
    tx(ctx.db, () => {
      if (getVolume(ctx.db, intent.cloneId)?.pending_op === op.id) deleteVolumeRow(ctx.db, intent.cloneId);
    });
  }
  return { error: INTERRUPTED };
});
