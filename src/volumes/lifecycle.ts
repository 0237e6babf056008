import type { AppContext } from '../core/context.js';
import { HttpError, IN_USE, badRequest, conflict, errorText, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { tx, stmt } from '../store/stmt.js';
import { getCluster, listClusterIds } from '../store/topology.js';
import {
  blockVolumeIdsOf,
  bricksOfOperation,
  clusterVolumeCount,
  deleteVolumeRow,
  getVolume,
  insertVolume,
  setBrickPending,
  setVolumePending,
  setVolumeSize,
  volumeBricks,
  volumeNameTaken,
  type BrickRow,
  type VolumeRow,
} from '../store/volumes.js';
import { CHANGE, endOperation, insertOperation, markCommitted, recordStep, setOperationStatus } from '../operations/journal.js';
import { INTERRUPTED, type QueueOutcome } from '../store/queue.js';
import { registerRecovery } from '../recovery/interrupted.js';
import type { Slot, WorkResult } from '../operations/runner.js';
import { minimumVolumeSizeKiB, KiB_PER_GiB } from '../allocator/sizing.js';
import type { Placement } from '../allocator/types.js';
import { BLOCK_HOSTING_USABLE, durabilityEcho, effectiveDurability, setSize, volumeDurability } from './model.js';
import { float32Shortest } from '../util/float32.js';
import type { VolumeCreateRequest } from './requests.js';
import { place, recordPlacement, releaseBricks, type PlacementParams } from './placement.js';
import { clusterManageHosts, createBricks, destroyBricks, destroyGlusterVolume, glusterBrick, glusterVolumeSpec, manageHostOf } from './bricks.js';

export const HEKETI_DB_VOLUME = 'heketidbstorage';

function splitConfigOptions(s: string): string[] {
  return s.split(',');
}

/** Stored option list: pre-request + (block-hosting) + request + post-request, as Heketi stores it. */
export function storedOptions(ctx: AppContext, requested: string[], block: boolean): string[] {
  const g = ctx.config.glusterfs;
  return [
    ...splitConfigOptions(g.preRequestVolumeOptions),
    ...(block ? splitConfigOptions(g.blockHostingVolumeOptions) : []),
    ...requested,
    ...splitConfigOptions(g.postRequestVolumeOptions),
  ];
}

/** The clusters a create names must exist, and there must be one (heketi-api.md §9 steps 8–9). */
export function checkClusterTargets(ctx: AppContext, req: VolumeCreateRequest): void {
  const all = listClusterIds(ctx.db);
  if (all.length === 0) throw badRequest('No clusters configured');
  for (const c of req.clusters) if (!getCluster(ctx.db, c)) throw badRequest(`Cluster id ${c} not found`);
}

/** Checks that need the DB but no placement (heketi-api.md §9 steps 8–10). */
export function checkVolumeCreateTargets(ctx: AppContext, req: VolumeCreateRequest): void {
  checkClusterTargets(ctx, req);
  const echo = durabilityEcho(req.durability);
  const d = effectiveDurability(echo, req.glustervolumeoptions);
  const minKiB = minimumVolumeSizeKiB(d, ctx.config.glusterfs.brickMinSizeGb * KiB_PER_GiB);
  if (req.size * KiB_PER_GiB < minKiB) {
    throw badRequest(`Requested volume size (${req.size} GB) is smaller than the minimum supported volume size (${minKiB})`);
  }
}

interface Candidate {
  clusterId: string;
  error?: string;
}

/** Cluster eligibility of §4.2 (type flags, name uniqueness, volume limit). */
export function eligibleClusters(ctx: AppContext, req: VolumeCreateRequest, name: string): { eligible: string[]; errors: Candidate[] } {
  const candidates = req.clusters.length > 0 ? req.clusters : listClusterIds(ctx.db);
  const eligible: string[] = [];
  const errors: Candidate[] = [];
  for (const id of candidates) {
    const c = getCluster(ctx.db, id);
    if (!c) {
      errors.push({ clusterId: id, error: `Cluster id ${id} not found` });
      continue;
    }
    let error: string | undefined;
    if (!c.file && !c.block) error = 'Cluster has disabled all volume types';
    else if (req.block ? !c.block : !c.file) error = 'Cluster does not support requested volume type';
    else if (req.name !== '' && volumeNameTaken(ctx.db, id, name)) error = `Volume name '${name}' already in use`;
    else {
      const n = clusterVolumeCount(ctx.db, id);
      if (n >= ctx.config.glusterfs.maxVolumesPerCluster) error = `Cluster has ${n} volumes and limit is ${ctx.config.glusterfs.maxVolumesPerCluster}`;
    }
    if (error) errors.push({ clusterId: id, error });
    else eligible.push(id);
  }
  return { eligible, errors };
}

function joinClusterErrors(head: string, errors: Candidate[]): string {
  return [head, ...errors.map((e) => `Cluster ${e.clusterId}: ${e.error}`)].join('\n');
}

export interface PlanFailure {
  error: string;
  reasons: string[];
}

/** The error of a create that found no eligible cluster. */
export function noEligibleCluster(errors: Candidate[]): PlanFailure {
  if (errors.length === 1) return { error: errors[0]!.error!, reasons: [] };
  return { error: joinClusterErrors('No eligible cluster for volume', errors), reasons: [] };
}

export interface ClusterFailure {
  clusterId: string;
  error: string;
  reasons: string[];
}

/** The error of a create that every eligible cluster failed to place (reasons prefixed by cluster when several). */
export function placementFailed(failures: ClusterFailure[]): PlanFailure {
  if (failures.length === 1) return { error: failures[0]!.error, reasons: failures[0]!.reasons };
  return {
    error: joinClusterErrors('Unable to create volume on any cluster:', failures),
    reasons: failures.flatMap((f) => f.reasons.map((x) => `cluster ${f.clusterId}: ${x}`)),
  };
}

/** What placement needs from a create request: Heketi's defaults and the configured options applied. */
export function createPlacementParams(ctx: AppContext, req: VolumeCreateRequest): PlacementParams {
  const options = storedOptions(ctx, req.glustervolumeoptions, req.block);
  return {
    sizeGiB: req.size,
    durability: effectiveDurability(durabilityEcho(req.durability), options),
    snapshotFactor: req.snapshot.enable ? Math.fround(req.snapshot.factor) : 1,
    existingBricks: 0,
    options,
  };
}

export interface CreatePlan {
  clusterId: string;
  placement: Placement;
  params: PlacementParams;
}

/**
 * Chooses a cluster and a placement for a new volume without writing anything; the caller runs
 * it inside the transaction that records the result, so the read and the reservation are atomic.
 */
export function planVolumeCreate(ctx: AppContext, req: VolumeCreateRequest, name: string): CreatePlan | PlanFailure {
  const { eligible, errors } = eligibleClusters(ctx, req, name);
  if (eligible.length === 0) return noEligibleCluster(errors);
  const params = createPlacementParams(ctx, req);
  const failures: ClusterFailure[] = [];
  for (const clusterId of eligible) {
    const r = place(ctx, clusterId, params);
    if (r.ok) return { clusterId, placement: r.placement, params };
    failures.push({ clusterId, error: r.failure.error, reasons: r.failure.reasons });
  }
  return placementFailed(failures);
}

interface CreateState {
  volumeId: string;
  opId: string;
  bricks: BrickRow[];
}

/** Build: choose, reserve and record the new volume and its bricks in one transaction (sync). */
export function buildVolumeCreate(ctx: AppContext, req: VolumeCreateRequest): CreateState {
  const { db } = ctx;
  const volumeId = newId();
  const opId = newId();
  const name = req.name || `vol_${volumeId}`;
  return tx(db, () => {
    const plan = planVolumeCreate(ctx, req, name);
    if ('error' in plan) throw new HttpError(500, `Failed to allocate new volume: ${plan.error}`);
    const free = req.block ? BLOCK_HOSTING_USABLE(req.size) : 0;
    insertVolume(db, {
      id: volumeId,
      cluster_id: plan.clusterId,
      name,
      size: req.size,
      durability: JSON.stringify(durabilityEcho(req.durability)),
      gid: req.gid,
      snapshot_enable: req.snapshot.enable ? 1 : 0,
      snapshot_factor: req.snapshot.enable ? float32Shortest(req.snapshot.factor) : 1,
      options: JSON.stringify(plan.params.options),
      block: req.block ? 1 : 0,
      block_free: free,
      block_reserved: req.block ? req.size - free : 0,
      block_restriction: '',
      pending_op: opId,
    });
    const bricks = recordPlacement(db, volumeId, plan.placement, opId, 0);
    insertOperation(db, {
      id: opId,
      type: 'create-volume',
      actions: [...bricks.map((b) => ({ change: CHANGE.AddBrick, id: b.id })), { change: CHANGE.AddVolume, id: volumeId }],
      intent: { volumeId },
      // The first attempt's brick step is recorded with the row (one commit less per create): a
      // step is written before it may start, and recovery removes the operation's bricks anyway.
      stepsDone: ['bricks:0'],
    });
    return { volumeId, opId, bricks };
  });
}

/** Undo one create attempt on the nodes and in the DB. Returns false if something could not be removed. */
async function rollbackCreateAttempt(ctx: AppContext, v: VolumeRow, bricks: BrickRow[], glusterTouched: boolean): Promise<boolean> {
  if (glusterTouched) {
    try {
      await destroyGlusterVolume(ctx, v);
    } catch (e) {
      ctx.ops.log.warn({ volume: v.id, err: errorText(e) }, 'rollback: gluster volume delete failed');
      return false;
    }
  }
  const outcome = await destroyBricks(ctx, bricks);
  tx(ctx.db, () => releaseBricks(ctx.db, outcome.destroyed.map((d) => d.brick)));
  return outcome.failed.length === 0;
}

/** Nodes of these bricks whose glusterd does not answer `systemctl status glusterd` (or that are unreachable). */
async function nodesWithoutGlusterd(ctx: AppContext, bricks: BrickRow[]): Promise<string[]> {
  const nodes = [...new Set(bricks.map((b) => b.node_id))];
  const up = await Promise.all(nodes.map((n) => ctx.nodeOps.glusterdRunning(manageHostOf(ctx, n)).catch(() => false)));
  return nodes.filter((_, i) => !up[i]);
}

/**
 * Exec: bricks in parallel, then gluster create/set/start; failed attempts are undone and retried
 * elsewhere. `finalize` replaces the default finish (volume and bricks visible, operation ended)
 * inside the same transaction, for an operation that goes on after the volume exists.
 */
export async function execVolumeCreate(ctx: AppContext, state: CreateState, finalize?: (v: VolumeRow) => void): Promise<WorkResult> {
  const { db } = ctx;
  const retries = ctx.config.glusterfs.volumeCreateRetries;
  let bricks = state.bricks;
  let lastError: unknown;
  const badNodes = new Set<string>();
  for (let attempt = 0; ; attempt++) {
    const v = getVolume(db, state.volumeId)!;
    let glusterTouched = false;
    try {
      if (attempt > 0) recordStep(db, state.opId, `bricks:${attempt}`);
      let t0 = performance.now();
      await createBricks(ctx, bricks, v.gid);
      ctx.ops.phase('create-volume', 'bricks', (performance.now() - t0) / 1000);
      glusterTouched = true;
      recordStep(db, state.opId, `gluster:${attempt}`);
      t0 = performance.now();
      await ctx.nodeOps.volumeCreate(manageHostOf(ctx, bricks[0]!.node_id), glusterVolumeSpec(ctx, v, bricks));
      ctx.ops.phase('create-volume', 'gluster', (performance.now() - t0) / 1000);
      const location = `/volumes/${v.id}`;
      tx(db, () => {
        markCommitted(db, state.opId);
        if (finalize) return finalize(v);
        for (const b of bricks) setBrickPending(db, b.id, null);
        setVolumePending(db, v.id, null);
        endOperation(db, state.opId, { location });
      });
      return location;
    } catch (e) {
      lastError = e;
      ctx.ops.log.warn({ volume: v.id, attempt, err: errorText(e) }, 'volume create attempt failed');
      // Avoid next time the nodes whose glusterd is down (the gluster error may come from a healthy
      // node: "Host X is not in 'Peer in Cluster' state"); else the node whose command failed.
      const down = glusterTouched ? await nodesWithoutGlusterd(ctx, bricks) : [];
      const host = (e as { host?: string }).host;
      if (down.length > 0) for (const n of down) badNodes.add(n);
      else for (const b of bricks) if (host && manageHostOf(ctx, b.node_id) === host) badNodes.add(b.node_id);
      const clean = await rollbackCreateAttempt(ctx, v, bricks, glusterTouched);
      if (!clean) {
        setOperationStatus(db, state.opId, 'failed');
        throw e;
      }
    }
    if (attempt >= retries) break;
    // Retry with a fresh placement that avoids the node that failed.
    const next = tx(db, () => {
      const v2 = getVolume(db, state.volumeId)!;
      const params: PlacementParams = {
        sizeGiB: v2.size,
        durability: volumeDurability(v2),
        snapshotFactor: v2.snapshot_enable ? Math.fround(v2.snapshot_factor) : 1,
        existingBricks: 0,
        options: JSON.parse(v2.options) as string[],
      };
      const r = place(ctx, v2.cluster_id, params, { nodes: badNodes });
      return r.ok ? recordPlacement(db, v2.id, r.placement, state.opId, 0) : undefined;
    });
    if (!next) break;
    bricks = next;
  }
  tx(db, () => {
    releaseBricks(db, bricksOfOperation(db, state.opId));
    deleteVolumeRow(db, state.volumeId);
    endOperation(db, state.opId, { error: errorText(lastError) });
  });
  throw lastError;
}

// ---------------------------------------------------------------- expand

export function buildVolumeExpand(ctx: AppContext, volumeId: string, expandGiB: number): CreateState {
  const { db } = ctx;
  const opId = newId();
  return tx(db, () => {
    const v = getVolume(db, volumeId);
    if (!v || v.pending_op) throw notFound();
    const existing = volumeBricks(db, volumeId);
    if (existing.some((b) => b.pending_op)) throw new HttpError(500, `Failed to allocate volume expansion: ${IN_USE}`);
    const params: PlacementParams = {
      sizeGiB: expandGiB,
      durability: volumeDurability(v),
      snapshotFactor: v.snapshot_enable ? Math.fround(v.snapshot_factor) : 1,
      existingBricks: existing.length,
      options: JSON.parse(v.options) as string[],
    };
    const r = place(ctx, v.cluster_id, params);
    if (!r.ok) throw new HttpError(500, `Failed to allocate volume expansion: ${r.failure.rawError}`);
    const maxPos = existing.reduce((m, b) => Math.max(m, b.position), -1);
    const bricks = recordPlacement(db, volumeId, r.placement, opId, maxPos + 1);
    insertOperation(db, {
      id: opId,
      type: 'expand-volume',
      actions: [...bricks.map((b) => ({ change: CHANGE.AddBrick, id: b.id })), { change: CHANGE.ExpandVolume, id: volumeId, delta: expandGiB }],
      intent: { volumeId, expandGiB },
    });
    return { volumeId, opId, bricks };
  });
}

export async function execVolumeExpand(ctx: AppContext, state: CreateState, expandGiB: number): Promise<WorkResult> {
  const { db } = ctx;
  const v = getVolume(db, state.volumeId)!;
  let glusterTouched = false;
  try {
    recordStep(db, state.opId, 'bricks');
    await createBricks(ctx, state.bricks, v.gid);
    glusterTouched = true;
    recordStep(db, state.opId, 'add-brick');
    await ctx.nodeOps.volumeExpand(
      manageHostOf(ctx, state.bricks[0]!.node_id),
      glusterVolumeSpec(ctx, v, volumeBricks(db, v.id)),
      state.bricks.map((b) => glusterBrick(ctx, b)),
    );
  } catch (e) {
    if (glusterTouched) {
      // Gluster may have taken the bricks although add-brick failed: then the expansion happened.
      const answer = await undoExpandInGluster(ctx, v, state, expandGiB, errorText(e));
      if (answer && 'location' in answer) return answer.location;
    } else {
      const outcome = await destroyBricks(ctx, state.bricks);
      tx(db, () => {
        releaseBricks(db, outcome.destroyed.map((d) => d.brick));
        if (outcome.failed.length === 0) endOperation(db, state.opId, { error: errorText(e) });
      });
    }
    throw e;
  }
  const location = `/volumes/${v.id}`;
  tx(db, () => {
    growVolume(ctx, v.id, expandGiB);
    for (const b of state.bricks) setBrickPending(db, b.id, null);
    endOperation(db, state.opId, { location });
  });
  return location;
}

/** Adds `expandGiB` to a volume's size (and, for block hosting volumes, its block free/reserved). Inside a transaction. */
function growVolume(ctx: AppContext, volumeId: string, expandGiB: number): void {
  const cur = getVolume(ctx.db, volumeId)!;
  const size = cur.size + expandGiB;
  const free = cur.block ? cur.block_free + BLOCK_HOSTING_USABLE(expandGiB) : 0;
  const reserved = cur.block ? cur.block_reserved + (expandGiB - BLOCK_HOSTING_USABLE(expandGiB)) : 0;
  setVolumeSize(ctx.db, volumeId, size, free, reserved);
}

/**
 * After a failed or interrupted add-brick, bricks gluster did not take can be destroyed; if gluster
 * did take them the expansion is kept (rolling forward is safer than removing bricks that may hold
 * data) and the volume grows by the part gluster took (whole sets of equal size, so in proportion
 * of bricks). Ends the operation with what happened — `rolledBack` when gluster took nothing, the
 * volume when it took all — and returns that answer; undefined when something could not be undone.
 */
async function undoExpandInGluster(ctx: AppContext, v: VolumeRow, state: CreateState, expandGiB: number, rolledBack: string): Promise<QueueOutcome | undefined> {
  const { db } = ctx;
  let inGluster = new Set<string>();
  try {
    const info = await ctx.nodeOps.volumeInfo(clusterManageHosts(ctx, v.cluster_id)[0]!, v.name);
    inGluster = new Set(info.bricks);
  } catch {
    return undefined;
  }
  const taken = state.bricks.filter((b) => inGluster.has(`${glusterBrick(ctx, b).host}:${b.path}`));
  const notTaken = state.bricks.filter((b) => !taken.includes(b));
  const outcome = await destroyBricks(ctx, notTaken);
  const grown = taken.length === state.bricks.length ? expandGiB : Math.floor((expandGiB * taken.length) / state.bricks.length);
  const answer: QueueOutcome =
    taken.length === 0
      ? { error: rolledBack }
      : taken.length === state.bricks.length
        ? { location: `/volumes/${v.id}` }
        : {
            error:
              `The expansion of volume ${v.id} was only partly done: gluster took ${taken.length} of the ${state.bricks.length} new bricks, ` +
              `so the volume grew by ${grown} GiB; the other bricks were removed. Check the volume's size before expanding it again.`,
          };
  tx(db, () => {
    releaseBricks(db, outcome.destroyed.map((d) => d.brick));
    for (const b of taken) setBrickPending(db, b.id, null);
    if (taken.length > 0) growVolume(ctx, v.id, grown);
    if (outcome.failed.length === 0) endOperation(db, state.opId, answer);
  });
  return outcome.failed.length === 0 ? answer : undefined;
}

// ---------------------------------------------------------------- delete

export function buildVolumeDelete(ctx: AppContext, volumeId: string): { opId: string } {
  const { db } = ctx;
  const opId = newId();
  return tx(db, () => {
    const v = getVolume(db, volumeId);
    if (!v || v.pending_op) throw notFound();
    if (v.name === HEKETI_DB_VOLUME) throw conflict('Cannot delete volume containing the Heketi database');
    if (v.block && blockVolumeIdsOf(db, v.id, false).length > 0) throw conflict('Cannot delete a block hosting volume containing block volumes');
    const bricks = volumeBricks(db, v.id);
    if (bricks.some((b) => b.pending_op)) throw new HttpError(500, `Failed to set up volume delete: ${IN_USE}`);
    insertOperation(db, {
      id: opId,
      type: 'delete-volume',
      actions: [...bricks.map((b) => ({ change: CHANGE.DeleteBrick, id: b.id })), { change: CHANGE.DeleteVolume, id: v.id }],
      intent: { volumeId },
    });
    setVolumePending(db, v.id, opId);
    for (const b of bricks) setBrickPending(db, b.id, opId);
    return { opId };
  });
}

/**
 * Exec: the gluster volume goes first (a volume already gone counts as deleted — heketi#1197);
 * that is the commit point, after which the delete is always finished, now or at recovery.
 */
export async function execVolumeDelete(ctx: AppContext, volumeId: string, opId: string): Promise<WorkResult> {
  const { db } = ctx;
  const v = getVolume(db, volumeId)!;
  try {
    await destroyGlusterVolume(ctx, v);
  } catch (e) {
    tx(db, () => {
      setVolumePending(db, v.id, null);
      for (const b of volumeBricks(db, v.id)) setBrickPending(db, b.id, null);
      endOperation(db, opId, { error: errorText(e) });
    });
    throw e;
  }
  markCommitted(db, opId);
  await finishVolumeDelete(ctx, v, opId);
  return null;
}

async function finishVolumeDelete(ctx: AppContext, v: VolumeRow, opId: string): Promise<void> {
  const { db } = ctx;
  const outcome = await destroyBricks(ctx, volumeBricks(db, v.id));
  tx(db, () => {
    releaseBricks(
      db,
      outcome.destroyed.map((d) => (d.spaceReclaimed ? d.brick : { ...d.brick, tp_size: 0, pool_metadata_size: 0 })),
    );
    if (outcome.failed.length === 0) {
      stmt(db, 'DELETE FROM block_volumes WHERE hosting_volume = ?').run(v.id);
      deleteVolumeRow(db, v.id);
      endOperation(db, opId, { location: null });
    } else {
      setOperationStatus(db, opId, 'failed');
    }
  });
  if (outcome.failed.length > 0) {
    const f = outcome.failed[0]!;
    throw new HttpError(500, `Volume ${v.name} was deleted from gluster but brick ${f.brick.id} could not be removed: ${f.error}. It will be retried by the operations cleanup.`);
  }
}

// ---------------------------------------------------------------- recovery

registerRecovery('create-volume', async (ctx, op) => {
  const { volumeId } = op.intent as { volumeId: string };
  const v = getVolume(ctx.db, volumeId);
  const bricks = bricksOfOperation(ctx.db, op.id);
  // An operation imported from Heketi has no step record: any step may have run.
  const mayHaveGluster = op.intent.imported !== undefined || op.stepsDone.some((s) => s.startsWith('gluster'));
  if (v && v.pending_op === op.id && mayHaveGluster) await destroyGlusterVolume(ctx, v);
  const outcome = await destroyBricks(ctx, bricks);
  if (outcome.failed.length > 0) throw new Error(outcome.failed[0]!.error);
  tx(ctx.db, () => {
    releaseBricks(ctx.db, bricks);
    if (getVolume(ctx.db, volumeId)?.pending_op === op.id) deleteVolumeRow(ctx.db, volumeId);
  });
  return { error: INTERRUPTED };
});

registerRecovery('expand-volume', async (ctx, op) => {
  const { volumeId } = op.intent as { volumeId: string };
  // The size the expansion adds: in our intent, or (imported from Heketi) the change's delta.
  const expandGiB = Number((op.intent as { expandGiB?: number }).expandGiB ?? op.actions.find((a) => a.change === CHANGE.ExpandVolume)?.delta ?? 0);
  const v = getVolume(ctx.db, volumeId);
  const bricks = bricksOfOperation(ctx.db, op.id);
  if (!v) {
    tx(ctx.db, () => releaseBricks(ctx.db, bricks));
    return { error: INTERRUPTED };
  }
  if (op.stepsDone.includes('add-brick') || op.intent.imported !== undefined) {
    const answer = await undoExpandInGluster(ctx, v, { volumeId, opId: op.id, bricks }, expandGiB, INTERRUPTED);
    if (!answer) throw new Error('could not undo the expansion');
    return answer;
  }
  const outcome = await destroyBricks(ctx, bricks);
  if (outcome.failed.length > 0) throw new Error(outcome.failed[0]!.error);
  tx(ctx.db, () => releaseBricks(ctx.db, bricks));
  return { error: INTERRUPTED };
});

registerRecovery('delete-volume', async (ctx, op) => {
  const { volumeId } = op.intent as { volumeId: string };
  const v = getVolume(ctx.db, volumeId);
  if (!v) return { location: null };
  if (!op.committed) {
    // Not yet committed: the request was accepted, so finish it (the gluster delete is idempotent).
    await destroyGlusterVolume(ctx, v);
  }
  await finishVolumeDelete(ctx, v, op.id);
  return { location: null };
});

export { setSize };
export type { Slot };
