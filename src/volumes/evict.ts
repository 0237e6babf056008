import type { AppContext } from '../core/context.js';
import { HttpError, errorText, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { stmt, tx } from '../store/stmt.js';
import { clusterNodes, getNode } from '../store/topology.js';
import { BRICK_ARBITER, getBrick, getVolume, insertBrick, setBrickPending, volumeBricks, deleteBrickRow, type BrickRow, type VolumeRow } from '../store/volumes.js';
import { releaseDeviceSpace, reserveDeviceSpace } from '../store/volumes.js';
import { CHANGE, endOperation, insertOperation, markCommitted, recordStep } from '../operations/journal.js';
import { INTERRUPTED } from '../store/queue.js';
import { registerRecovery } from '../recovery/interrupted.js';
import { placeReplacement, seedOf } from '../allocator/place.js';
import type { AllocCluster, ReplacementResult } from '../allocator/types.js';
import { allocCluster, placementRequest, poolRelease } from './placement.js';
import { createBricks, destroyBricks, glusterBrick, manageHostOf } from './bricks.js';
import { setSize, volumeDurability, isArbiter } from './model.js';

const PREFIX = 'Failed to set up brick eviction';

/**
 * Bricks of the same set as `brick`, excluding it. Gluster's own brick order decides when it is
 * known (volumes imported from Heketi carry no order); otherwise our recorded positions.
 */
function setMembers(ctx: AppContext, v: VolumeRow, bricks: BrickRow[], brick: BrickRow, glusterOrder?: string[]): BrickRow[] {
  const size = setSize(volumeDurability(v));
  if (glusterOrder) {
    const key = (b: BrickRow) => `${glusterBrick(ctx, b).host}:${b.path}`;
    const at = glusterOrder.indexOf(key(brick));
    if (at >= 0) {
      const start = at - (at % size);
      const chunk = new Set(glusterOrder.slice(start, start + size));
      return bricks.filter((b) => b.id !== brick.id && chunk.has(key(b)));
    }
  }
  const set = Math.floor(brick.position / size);
  return bricks.filter((b) => b.id !== brick.id && Math.floor(b.position / size) === set);
}

/** A host to run gluster commands from: the brick's own node if glusterd runs there, else any online node. */
async function workingHost(ctx: AppContext, v: VolumeRow, nodeId: string): Promise<string> {
  const own = getNode(ctx.db, nodeId);
  if (own && (await ctx.nodeOps.glusterdRunning(own.manage_hostname).catch(() => false))) return own.manage_hostname;
  for (const n of clusterNodes(ctx.db, v.cluster_id)) {
    if (n.id === nodeId || n.state !== 'online') continue;
    if (await ctx.nodeOps.glusterdRunning(n.manage_hostname).catch(() => false)) return n.manage_hostname;
  }
  throw new HttpError(500, 'Id not found');
}

/** Heketi's heal check (heketi-behaviour.md §7 step 3): the brick must not be a heal source and the set must keep quorum. */
async function checkHeal(ctx: AppContext, host: string, v: VolumeRow, brick: BrickRow, members: BrickRow[]): Promise<void> {
  const d = volumeDurability(v);
  const heal = await ctx.nodeOps.healInfo(host, v.name);
  const known = new Map<string, BrickRow>();
  for (const b of [brick, ...members]) known.set(`${glusterBrick(ctx, b).host}:${b.path}`, b);
  let present = 0;
  for (const entry of heal) {
    if (entry.name === 'information not available') continue;
    const b = known.get(entry.name);
    if (!b) continue;
    if (b.id === brick.id) {
      if (entry.numberOfEntries !== '-' && entry.numberOfEntries !== '0') {
        throw new HttpError(500, `Cannot replace brick ${brick.id} as it is source brick for data to be healed`);
      }
    } else if (entry.numberOfEntries !== '-') {
      present++;
    }
  }
  const n = members.length + 1;
  const quorum = d.type === 'replicate' ? (d.replica < 3 ? 1 : Math.floor(n / 2) + 1) : d.type === 'disperse' ? d.data : 1;
  if (present < quorum) throw new HttpError(500, `Cannot replace brick ${brick.id} as only ${present} of ${quorum} required peer bricks are online`);
}

/** The allocator's choice of a new device for `old` (the same rules as Heketi's brick eviction). */
function findReplacement(ctx: AppContext, cluster: AllocCluster, v: VolumeRow, old: BrickRow, members: Pick<BrickRow, 'node_id' | 'device_id'>[]): ReplacementResult | { error: string } {
  const options = JSON.parse(v.options) as string[];
  const req = placementRequest(ctx, { sizeGiB: 1, durability: volumeDurability(v), snapshotFactor: v.snapshot_enable ? Math.fround(v.snapshot_factor) : 1, existingBricks: 0, options });
  if ('error' in req) return req;
  return placeReplacement(cluster, {
    oldBrick: { deviceId: old.device_id, nodeId: old.node_id, size: old.size, arbiter: old.sub_type === BRICK_ARBITER },
    otherMembers: members.map((m) => ({ nodeId: m.node_id, deviceId: m.device_id })),
    arbiterVolume: isArbiter(options),
    snapshotFactor: req.snapshotFactor,
    zoneChecking: req.zoneChecking,
    tagMatch: req.tagMatch,
    // Seeded by the brick, so the removal dry run names the device the eviction then picks.
    seed: seedOf(old.id),
  });
}

export interface PlannedMove {
  brick: string;
  volume: string;
  volume_name: string;
  /** Brick size in KiB. */
  size: number;
  from: { node: string; device: string };
  /** Where the brick would go; absent when no device can take it (see `reason`). */
  to?: { node: string; device: string };
  /** Why no device can take it: the allocator's error, and what excluded each device. */
  reason?: string;
  reasons?: string[];
}

export interface RemovalPlan {
  /** True when every brick has a new home. */
  feasible: boolean;
  moves: PlannedMove[];
}

/**
 * Dry run of a device or node removal (Brickyard extension): where each brick on `deviceIds`
 * would move, decided by the allocator exactly as the eviction does, one brick after the other
 * with the space each earlier move takes. Reads the DB only; no node command, nothing reserved.
 * Ties between equally good devices are broken by a seed taken from the brick's id, as in the
 * eviction, so the plan and the move agree while the pool does not change (the real eviction
 * takes the replica set's brick order from gluster, the plan from the DB).
 */
export function planRemoval(ctx: AppContext, clusterId: string, deviceIds: Set<string>, nodeId?: string): RemovalPlan {
  const { db } = ctx;
  return tx(db, () => {
    const cluster = allocCluster(db, clusterId, { devices: deviceIds, ...(nodeId ? { nodes: new Set([nodeId]) } : {}) });
    const devices = new Map(cluster.nodes.flatMap((n) => n.devices.map((d) => [d.id, d] as const)));
    const moving = stmt(db, `SELECT * FROM bricks WHERE device_id IN (SELECT value FROM json_each(?)) AND path != '' ORDER BY id`).all(
      JSON.stringify([...deviceIds]),
    ) as BrickRow[];
    // Where each brick of an affected volume is, updated as the plan moves them.
    const location = new Map<string, Pick<BrickRow, 'node_id' | 'device_id'>>();
    const moves: PlannedMove[] = [];
    for (const old of moving) {
      const v = getVolume(db, old.volume_id);
      if (!v) continue;
      const bricks = volumeBricks(db, v.id).map((b) => ({ ...b, ...location.get(b.id) }));
      const move: PlannedMove = { brick: old.id, volume: v.id, volume_name: v.name, size: old.size, from: { node: old.node_id, device: old.device_id } };
      const r = findReplacement(ctx, cluster, v, old, setMembers(ctx, v, bricks, old));
      if ('error' in r) move.reason = r.error;
      else if (!r.ok) {
        move.reason = r.failure.error;
        move.reasons = r.failure.reasons;
      }
      else {
        move.to = { node: r.brick.nodeId, device: r.brick.deviceId };
        location.set(old.id, { node_id: r.brick.nodeId, device_id: r.brick.deviceId });
        const target = devices.get(r.brick.deviceId);
        if (target) target.free -= r.brick.reserved;
      }
      moves.push(move);
    }
    return { feasible: moves.every((m) => m.to), moves };
  });
}

interface EvictState {
  opId: string;
  volumeId: string;
  oldBrick: BrickRow;
  newBrick: BrickRow;
}

/** Build: place and reserve the replacement, mark both bricks pending (one transaction). */
function buildEviction(ctx: AppContext, brickId: string, glusterOrder?: string[]): EvictState {
  const { db } = ctx;
  return tx(db, () => {
    const old = getBrick(db, brickId);
    if (!old) throw notFound();
    if (old.pending_op) throw new HttpError(500, `${PREFIX}: Can not evict brick ${brickId}: brick is pending`);
    const v = getVolume(db, old.volume_id);
    if (!v) throw notFound();
    const bricks = volumeBricks(db, v.id);
    if (v.pending_op || bricks.some((b) => b.pending_op)) {
      throw new HttpError(500, `${PREFIX}: Can not evict brick ${brickId} from volume ${v.id}: volume has pending bricks`);
    }
    const r = findReplacement(ctx, allocCluster(db, v.cluster_id), v, old, setMembers(ctx, v, bricks, old, glusterOrder));
    if ('error' in r) throw new HttpError(500, r.error);
    if (!r.ok) throw new HttpError(500, r.failure.error);
    const opId = newId();
    const id = newId();
    const newBrick: BrickRow = {
      ...old,
      id,
      device_id: r.brick.deviceId,
      node_id: r.brick.nodeId,
      path: `/var/lib/heketi/mounts/vg_${r.brick.deviceId}/brick_${id}/brick`,
      tp_size: r.brick.tpSize,
      pool_metadata_size: r.brick.poolMetadataSize,
      lv_name: '',
      thin_pool: `tp_${id}`,
      pending_op: opId,
      created_at: Date.now(),
    };
    insertBrick(db, newBrick);
    reserveDeviceSpace(db, newBrick.device_id, r.brick.reserved);
    setBrickPending(db, old.id, opId);
    insertOperation(db, {
      id: opId,
      type: 'evict-brick',
      actions: [
        { change: CHANGE.DeleteBrick, id: old.id },
        { change: CHANGE.AddBrick, id },
      ],
      intent: { volumeId: v.id, oldBrickId: old.id, newBrickId: id },
    });
    return { opId, volumeId: v.id, oldBrick: old, newBrick };
  });
}

/** Makes the replacement the volume's brick and drops the old one (after replace-brick succeeded). */
function finishEviction(ctx: AppContext, s: EvictState, oldReclaimed: boolean): void {
  const { db } = ctx;
  tx(db, () => {
    deleteBrickRow(db, s.oldBrick.id);
    if (oldReclaimed) releaseDeviceSpace(db, s.oldBrick.device_id, poolRelease(db, s.oldBrick));
    setBrickPending(db, s.newBrick.id, null);
    endOperation(db, s.opId, { location: null });
  });
}

/**
 * Brick eviction (heketi-behaviour.md §7): a replacement brick is made elsewhere, gluster's
 * replace-brick moves the set onto it, then the old brick is destroyed.
 */
export async function evictBrick(ctx: AppContext, brickId: string, healcheck: string): Promise<void> {
  const pre = getBrick(ctx.db, brickId);
  if (!pre) throw notFound();
  const v0 = getVolume(ctx.db, pre.volume_id);
  if (!v0) throw notFound();
  const host = await workingHost(ctx, v0, pre.node_id);
  const glusterOrder = (await ctx.nodeOps.volumeInfo(host, v0.name)).bricks;
  if (healcheck !== 'disable') {
    await checkHeal(ctx, host, v0, pre, setMembers(ctx, v0, volumeBricks(ctx.db, v0.id), pre, glusterOrder));
  }
  const s = buildEviction(ctx, brickId, glusterOrder);
  const { db } = ctx;
  await ctx.ops.track(s.opId, async () => {
    try {
      recordStep(db, s.opId, 'new-brick');
      await createBricks(ctx, [s.newBrick], v0.gid);
      recordStep(db, s.opId, 'replace-brick');
      const oldHp = glusterBrick(ctx, s.oldBrick);
      const newHp = glusterBrick(ctx, s.newBrick);
      await ctx.nodeOps.replaceBrick(await workingHost(ctx, v0, s.newBrick.node_id), v0.name, `${oldHp.host}:${oldHp.path}`, `${newHp.host}:${newHp.path}`);
    } catch (e) {
      // A new brick that cannot be destroyed keeps the operation in the journal for the cleaner.
      const outcome = await destroyBricks(ctx, [s.newBrick]);
      if (outcome.failed.length === 0) {
        tx(db, () => {
          deleteBrickRow(db, s.newBrick.id);
          releaseDeviceSpace(db, s.newBrick.device_id, poolRelease(db, s.newBrick));
          setBrickPending(db, s.oldBrick.id, null);
          endOperation(db, s.opId, { error: errorText(e) });
        });
      }
      throw e;
    }
    markCommitted(db, s.opId);
    // The old brick is out of the volume now; if its node is unreachable it is left for the examiner.
    const outcome = await destroyBricks(ctx, [s.oldBrick]);
    if (outcome.failed.length > 0) ctx.ops.log.warn({ brick: s.oldBrick.id, err: outcome.failed[0]!.error }, 'old brick could not be destroyed');
    finishEviction(ctx, s, outcome.destroyed[0]?.spaceReclaimed ?? false);
  });
}

registerRecovery('evict-brick', async (ctx, op) => {
  const { volumeId, oldBrickId, newBrickId } = op.intent as { volumeId: string; oldBrickId: string; newBrickId: string };
  const oldBrick = getBrick(ctx.db, oldBrickId);
  const newBrick = getBrick(ctx.db, newBrickId);
  const v = getVolume(ctx.db, volumeId);
  if (!v || !newBrick) return { error: INTERRUPTED };
  // Inspect gluster: if the new brick is in the volume the eviction happened; otherwise undo it.
  let inGluster = false;
  try {
    const info = await ctx.nodeOps.volumeInfo(manageHostOf(ctx, newBrick.node_id), v.name);
    inGluster = info.bricks.includes(`${glusterBrick(ctx, newBrick).host}:${newBrick.path}`);
  } catch (e) {
    if (op.committed) throw new Error(`cannot read volume ${v.name}: ${errorText(e)}`);
  }
  if (inGluster && oldBrick) {
    const outcome = await destroyBricks(ctx, [oldBrick]);
    finishEviction(ctx, { opId: op.id, volumeId, oldBrick, newBrick }, outcome.destroyed[0]?.spaceReclaimed ?? false);
    return { location: null };
  }
  const outcome = await destroyBricks(ctx, [newBrick]);
  if (outcome.failed.length > 0) throw new Error(outcome.failed[0]!.error);
  tx(ctx.db, () => {
    deleteBrickRow(ctx.db, newBrick.id);
    releaseDeviceSpace(ctx.db, newBrick.device_id, poolRelease(ctx.db, newBrick));
    if (oldBrick) setBrickPending(ctx.db, oldBrick.id, null);
  });
  return { error: INTERRUPTED };
});
