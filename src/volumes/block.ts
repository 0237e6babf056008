/**
 * Block volumes (heketi-behaviour.md §8, heketi-api.md §10): gluster-block targets carved out of
 * block-hosting volumes. Create picks (or auto-creates) a hosting volume and reserves the size
 * from its `blockinfo.freesize`; delete gives it back; expand reserves the difference.
 *
 * Every operation follows the journal model of §10.1: Build (one transaction: choose, reserve,
 * mark pending, record the operation) → Exec (node commands) → Finalize or Rollback; an
 * interrupted one is cleaned by the recovery handlers registered at the end of this module.
 */
import type { AppContext } from '../core/context.js';
import type { Decoded } from '../core/decode.js';
import { LIMITS, MSG, distinct, throwIfInvalid, tooMany, type FieldErrors } from '../core/validation.js';
import { accepts, validateBlockName } from '../gluster/validate.js';
import { HttpError, IN_USE, badRequest, errorText, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { DB } from '../store/db.js';
import { stmt, tx } from '../store/stmt.js';
import { clusterNodes, getCluster, listClusterIds, nodeByHostname } from '../store/topology.js';
import {
  bricksOfOperation,
  deleteVolumeRow,
  getVolume,
  setBrickPending,
  setVolumePending,
  volumeBricks,
  type BrickRow,
  type VolumeRow,
} from '../store/volumes.js';
import { CHANGE, endOperation, getOperation, insertOperation, recordStep, type Action, type OperationRow } from '../operations/journal.js';
import { INTERRUPTED, type QueueOutcome } from '../store/queue.js';
import { registerRecovery } from '../recovery/interrupted.js';
import { SERVER_BUSY, type WorkResult } from '../operations/runner.js';
import { buildVolumeCreate, execVolumeCreate } from './lifecycle.js';
import { destroyBricks, destroyGlusterVolume } from './bricks.js';
import { releaseBricks } from './placement.js';
import { BLOCK_HOSTING_USABLE } from './model.js';
import type { VolumeCreateRequest } from './requests.js';
import { mountHosts } from './views.js';

// ---------------------------------------------------------------------------------- requests

export const BLOCK_VOLUME_CREATE = { size: 'int', name: 'string', clusters: 'strings', hacount: 'int', auth: 'bool' } as const;
export type BlockVolumeCreateRequest = Decoded<typeof BLOCK_VOLUME_CREATE>;
export const BLOCK_VOLUME_EXPAND = { new_size: 'int' } as const;

/**
 * ozzo-validation of BlockVolumeCreateRequest: size required ≥ 1, name format (the node layer's
 * block name rule), hacount ≥ 1 when set, clusters capped. Returns the request with each cluster once.
 */
export function validateBlockVolumeCreate(req: BlockVolumeCreateRequest): BlockVolumeCreateRequest {
  const errors: FieldErrors = {};
  if (req.size === 0) errors.size = MSG.blank;
  else if (req.size < 1) errors.size = MSG.min(1);
  if (req.name !== '' && !accepts(validateBlockName, req.name)) errors.name = MSG.format;
  if (req.hacount < 0) errors.hacount = MSG.min(1);
  if (req.clusters.length > LIMITS.clusters) errors.clusters = tooMany('clusters', req.clusters.length, LIMITS.clusters);
  throwIfInvalid(errors);
  return { ...req, clusters: distinct(req.clusters) };
}

export function validateBlockVolumeExpand(newSize: number): void {
  if (newSize === 0) throwIfInvalid({ new_size: MSG.blank });
  if (newSize < 1) throwIfInvalid({ new_size: MSG.min(1) });
}

/** The synchronous cluster checks of POST /blockvolumes (400s). */
export function checkBlockVolumeCreateTargets(ctx: AppContext, req: BlockVolumeCreateRequest): void {
  if (listClusterIds(ctx.db).length === 0) throw badRequest('No clusters configured');
  for (const c of req.clusters) if (!getCluster(ctx.db, c)) throw badRequest(`Cluster id ${c} not found`);
}

// ---------------------------------------------------------------------------------- rows

export interface BlockVolumeRow {
  id: string;
  hosting_volume: string;
  cluster_id: string;
  name: string;
  size: number;
  usable_size: number;
  hacount: number;
  auth: number;
  /** JSON string[] (or `null` for imported entries without hosts). */
  hosts: string;
  iqn: string;
  lun: number;
  username: string;
  password: string;
  pending_op: string | null;
  created_at: number;
  /** JSON of the request's `clusters`, NULL when absent. */
  clusters: string | null;
}

export function getBlockVolume(db: DB, id: string): BlockVolumeRow | undefined {
  return stmt(db, 'SELECT * FROM block_volumes WHERE id = ?').get(id) as BlockVolumeRow | undefined;
}

export function listVisibleBlockVolumeIds(db: DB): string[] {
  return (stmt(db, 'SELECT id FROM block_volumes WHERE pending_op IS NULL ORDER BY id').all() as { id: string }[]).map((r) => r.id);
}

function insertBlockVolume(db: DB, b: Omit<BlockVolumeRow, 'created_at'>): void {
  stmt(
    db,
    `INSERT INTO block_volumes (id, hosting_volume, cluster_id, name, size, usable_size, hacount, auth, hosts, iqn, lun, username,
       password, pending_op, created_at, clusters)
     VALUES (@id, @hosting_volume, @cluster_id, @name, @size, @usable_size, @hacount, @auth, @hosts, @iqn, @lun, @username,
       @password, @pending_op, @created_at, @clusters)`,
  ).run({ ...b, created_at: Date.now() });
}

function deleteBlockVolumeRow(db: DB, id: string): void {
  stmt(db, 'DELETE FROM block_volumes WHERE id = ?').run(id);
}

function setBlockVolumePending(db: DB, id: string, op: string | null): void {
  stmt(db, 'UPDATE block_volumes SET pending_op = ? WHERE id = ?').run(op, id);
}

/** Moves `delta` GiB into (positive) or out of (negative) a hosting volume's free block space. */
function adjustBlockFree(db: DB, volumeId: string, delta: number): void {
  stmt(db, 'UPDATE volumes SET block_free = block_free + ? WHERE id = ?').run(delta, volumeId);
}

// ---------------------------------------------------------------------------------- view

/** BlockVolumeInfo in Heketi's field order and presence rules (heketi-api.md §3.6). */
export function blockVolumeView(b: BlockVolumeRow) {
  const hosts = JSON.parse(b.hosts) as string[] | null;
  const usable = b.usable_size || b.size;
  return {
    size: b.size,
    name: b.name,
    ...(b.hacount ? { hacount: b.hacount } : {}),
    id: b.id,
    blockvolume: { hosts, iqn: b.iqn, lun: b.lun, username: b.username, password: b.password },
    ...(b.cluster_id ? { cluster: b.cluster_id } : {}),
    ...(b.hosting_volume ? { blockhostingvolume: b.hosting_volume } : {}),
    ...(usable ? { usablesize: usable } : {}),
  };
}

// ---------------------------------------------------------------------------------- node helpers

/**
 * Heketi's GetVerifiedManageHostname: the manage host of the first online node of the cluster
 * (cluster order) whose glusterd answers. None ⇒ Heketi's ErrNotFound text.
 */
export async function verifiedManageHost(ctx: AppContext, clusterId: string): Promise<string> {
  for (const n of clusterNodes(ctx.db, clusterId)) {
    if (n.state !== 'online') continue;
    if (await ctx.nodeOps.glusterdRunning(n.manage_hostname).catch(() => false)) return n.manage_hostname;
  }
  ctx.ops.log.warn({ cluster: clusterId }, 'no online node with glusterd running for a gluster-block command');
  throw new Error('Id not found');
}

/**
 * The target's portal hosts (§8): with 0 < hacount ≤ #hosts, that many hosts of the hosting
 * volume, taken in random order among those whose glusterd answers; otherwise all of them.
 */
async function chooseBlockHosts(ctx: AppContext, hv: VolumeRow, hacount: number): Promise<string[]> {
  const all = mountHosts(ctx.db, hv.cluster_id);
  if (!(hacount > 0 && hacount <= all.length)) return all;
  const order = all.map((h) => ({ h, r: Math.random() })).sort((a, b) => a.r - b.r);
  const chosen: string[] = [];
  for (const { h } of order) {
    const node = nodeByHostname(ctx.db, 'storage', h);
    if (!node) throw new Error(`Could not find managehostname for ${h}`);
    if (await ctx.nodeOps.glusterdRunning(node.manage_hostname).catch(() => false)) {
      chosen.push(h);
      if (chosen.length === hacount) break;
    }
  }
  if (chosen.length < hacount) throw new Error('insufficient block hosts online');
  return chosen;
}

// ---------------------------------------------------------------------------------- create

interface HostingCreate {
  volumeId: string;
  opId: string;
  bricks: BrickRow[];
}

export interface BlockCreateState {
  blockVolumeId: string;
  opId: string;
  hostingVolumeId: string;
  /** Set when this operation also creates the hosting volume. */
  hosting?: HostingCreate;
  /** The block volume's row-to-be (written once the hosting volume exists). */
  spec: BlockSpec;
}

/** What the block volume row will hold (written at Build, or once an auto-created hosting volume exists). */
interface BlockSpec {
  name: string;
  size: number;
  hacount: number;
  auth: boolean;
  clusters: string[] | null;
}

const ALLOC_PREFIX = 'Failed to allocate new block volume';

/** §4.2 cluster filter for block volumes: only the volume-type checks (no name or count limits). */
function eligibleBlockClusters(ctx: AppContext, req: BlockVolumeCreateRequest): string[] {
  const candidates = req.clusters.length > 0 ? req.clusters : listClusterIds(ctx.db);
  const eligible: string[] = [];
  const errors: { id: string; error: string }[] = [];
  for (const id of candidates) {
    const c = getCluster(ctx.db, id);
    if (!c) errors.push({ id, error: `Cluster id ${id} not found` });
    else if (!c.file && !c.block) errors.push({ id, error: 'Cluster has disabled all volume types' });
    else if (!c.block) errors.push({ id, error: 'Cluster does not support requested volume type' });
    else eligible.push(id);
  }
  if (eligible.length > 0) return eligible;
  const msg = errors.length === 1 ? errors[0]!.error : ['No eligible cluster for volume', ...errors.map((e) => `Cluster ${e.id}: ${e.error}`)].join('\n');
  throw new HttpError(500, `${ALLOC_PREFIX}: ${msg}`);
}

/** Hosting volumes that can take the block volume now (§8): block, visible, unrestricted, room, name free. */
function candidateHostingVolumes(db: DB, clusters: string[], size: number, name: string): VolumeRow[] {
  const out: VolumeRow[] = [];
  for (const c of clusters) {
    out.push(
      ...(stmt(
        db,
        `SELECT * FROM volumes v WHERE v.cluster_id = ? AND v.block = 1 AND v.pending_op IS NULL AND v.block_restriction = ''
           AND v.block_free >= ? AND NOT EXISTS (SELECT 1 FROM block_volumes b WHERE b.hosting_volume = v.id AND b.name = ?)
         ORDER BY v.id`,
      ).all(c, size, name) as VolumeRow[]),
    );
  }
  return out;
}

/** Heketi's hasPendingBlockHostingVolume: a block-hosting volume pending in an operation that is running. */
function hostingVolumeBeingCreated(db: DB): boolean {
  return (
    stmt(db, `SELECT 1 FROM volumes v JOIN operations o ON o.id = v.pending_op WHERE v.block = 1 AND o.status = '' LIMIT 1`).get() !==
    undefined
  );
}

/**
 * Build (sync, one transaction): choose a hosting volume — or plan a new one — reserve the size,
 * record the pending block volume and the `create-block-volume` operation.
 */
export function buildBlockVolumeCreate(ctx: AppContext, req: BlockVolumeCreateRequest): BlockCreateState {
  const { db } = ctx;
  const g = ctx.config.glusterfs;
  const blockVolumeId = newId();
  const spec: BlockSpec = {
    name: req.name || `blockvol_${blockVolumeId}`,
    size: req.size,
    hacount: req.hacount,
    auth: req.auth,
    clusters: req.clusters.length > 0 ? [...req.clusters] : null,
  };
  return tx(db, () => {
    const clusters = eligibleBlockClusters(ctx, req);
    const candidates = candidateHostingVolumes(db, clusters, spec.size, spec.name);
    if (candidates.length > 0) {
      const hv = candidates[Math.floor(Math.random() * candidates.length)]!;
      const opId = newId();
      adjustBlockFree(db, hv.id, -spec.size);
      insertBlockVolume(db, newBlockRow(blockVolumeId, hv, spec, opId));
      insertOperation(db, {
        id: opId,
        type: 'create-block-volume',
        actions: [{ change: CHANGE.AddBlockVolume, id: blockVolumeId }],
        intent: { blockVolumeId, hostingVolumeId: hv.id },
      });
      return { blockVolumeId, opId, hostingVolumeId: hv.id, spec };
    }

    // No hosting volume can take it: create one (§8), unless that cannot help or is not allowed.
    const reduced = BLOCK_HOSTING_USABLE(g.blockHostingVolumeSize);
    if (spec.size > reduced) {
      throw new HttpError(
        500,
        `${ALLOC_PREFIX}: The size configured for automatic creation of block hosting volumes (${g.blockHostingVolumeSize}) is too small to host ` +
          `the requested block volume of size ${spec.size}. The available size on this block hosting volume, minus overhead, is ${reduced}. ` +
          'Please create a sufficiently large block hosting volume manually.',
      );
    }
    if (!g.autoCreateBlockHostingVolume) {
      throw new HttpError(500, `${ALLOC_PREFIX}: Block Hosting Volume Creation is disabled. Create a Block hosting volume and try again.`);
    }
    if (hostingVolumeBeingCreated(db)) throw new HttpError(429, SERVER_BUSY, { 'retry-after': '1' });

    const hostingReq: VolumeCreateRequest = {
      size: g.blockHostingVolumeSize,
      name: '',
      durability: { type: 'replicate', replicate: { replica: 3 }, disperse: { data: 0, redundancy: 0 } },
      gid: 0,
      snapshot: { enable: false, factor: 0 },
      clusters,
      glustervolumeoptions: [],
      block: true,
    };
    let hosting: HostingCreate;
    try {
      hosting = buildVolumeCreate(ctx, hostingReq);
    } catch (e) {
      const volPrefix = 'Failed to allocate new volume: ';
      if (e instanceof HttpError && e.message.startsWith(volPrefix)) throw new HttpError(e.status, `${ALLOC_PREFIX}: ${e.message.slice(volPrefix.length)}`);
      throw e;
    }
    // Heketi keeps the eligible clusters as the hosting volume's request clusters; the reservation
    // for this block volume is taken at once (the volume stays pending, so nobody else sees it).
    stmt(db, 'UPDATE volumes SET clusters = ? WHERE id = ?').run(JSON.stringify(clusters), hosting.volumeId);
    adjustBlockFree(db, hosting.volumeId, -spec.size);
    // The hosting volume's create is part of this operation: one journal entry, same id.
    // (The block volume row is written once the hosting volume exists: it references it.)
    stmt(db, 'UPDATE operations SET type = ?, actions = ?, intent = ? WHERE id = ?').run(
      'create-block-volume',
      JSON.stringify(hostingActions(hosting.bricks, hosting.volumeId)),
      JSON.stringify({ blockVolumeId, hostingVolumeId: hosting.volumeId, volumeId: hosting.volumeId }),
      hosting.opId,
    );
    return { blockVolumeId, opId: hosting.opId, hostingVolumeId: hosting.volumeId, hosting, spec };
  });
}

function hostingActions(bricks: BrickRow[], volumeId: string): Action[] {
  return [...bricks.map((b) => ({ change: CHANGE.AddBrick, id: b.id })), { change: CHANGE.AddVolume, id: volumeId }];
}

function newBlockRow(id: string, hv: VolumeRow, spec: BlockSpec, opId: string): Omit<BlockVolumeRow, 'created_at'> {
  return {
    id,
    hosting_volume: hv.id,
    cluster_id: hv.cluster_id,
    name: spec.name,
    size: spec.size,
    usable_size: 0,
    hacount: spec.hacount,
    auth: spec.auth ? 1 : 0,
    hosts: '[]',
    iqn: '',
    lun: 0,
    username: '',
    password: '',
    pending_op: opId,
    clusters: spec.clusters ? JSON.stringify(spec.clusters) : null,
  };
}

/**
 * Once the auto-created hosting volume exists, in the transaction that records it: it stays hidden
 * under this operation (with its bricks), and the block volume row is written, so the rest of the
 * operation is journalled as one — there is no moment when the volume is finished on its own.
 */
function recordCreatedHostingVolume(ctx: AppContext, s: BlockCreateState, hv: VolumeRow): void {
  const { db } = ctx;
  insertBlockVolume(db, newBlockRow(s.blockVolumeId, hv, s.spec, s.opId));
  stmt(db, 'UPDATE operations SET actions = ? WHERE id = ?').run(
    JSON.stringify([...hostingActions(bricksOfOperation(db, s.opId), hv.id), { change: CHANGE.AddBlockVolume, id: s.blockVolumeId }]),
    s.opId,
  );
  recordStep(db, s.opId, 'hosting-volume');
}

/** Exec: (the hosting volume,) the portal hosts, `gluster-block create`; Finalize or Rollback. */
export async function execBlockVolumeCreate(ctx: AppContext, s: BlockCreateState): Promise<WorkResult> {
  const { db } = ctx;
  if (s.hosting) {
    // On failure it has undone the hosting volume and ended the operation (or left it failed for the cleaner).
    await execVolumeCreate(ctx, s.hosting, (hv) => recordCreatedHostingVolume(ctx, s, hv));
  }
  let glusterTouched = false;
  let result: Awaited<ReturnType<AppContext['nodeOps']['blockVolumeCreate']>>;
  let hosts: string[];
  try {
    const bv = getBlockVolume(db, s.blockVolumeId)!;
    const hv = getVolume(db, bv.hosting_volume)!;
    hosts = await chooseBlockHosts(ctx, hv, bv.hacount);
    const host = await verifiedManageHost(ctx, bv.cluster_id);
    recordStep(db, s.opId, 'gluster-block');
    glusterTouched = true;
    result = await ctx.nodeOps.blockVolumeCreate(host, {
      hostingVolume: hv.name,
      name: bv.name,
      hacount: hosts.length,
      auth: bv.auth === 1,
      hosts,
      sizeGiB: bv.size,
    });
  } catch (e) {
    ctx.ops.log.warn({ blockVolume: s.blockVolumeId, err: errorText(e) }, 'block volume create failed');
    // An "already exists" failure is somebody else's target: never delete it.
    const mayHaveTarget = glusterTouched && !/already EXIST/i.test(errorText(e));
    try {
      await cleanBlockVolumeCreate(ctx, s.opId, { mayHaveTarget, mayHaveHostingGluster: s.hosting !== undefined }, { error: errorText(e) });
    } catch (ce) {
      // The operation stays in the journal, failed: the cleaner retries the clean.
      ctx.ops.log.warn({ op: s.opId, err: errorText(ce) }, 'block volume create rollback failed; left for the operations cleanup');
    }
    throw e;
  }
  const location = `/blockvolumes/${s.blockVolumeId}`;
  tx(db, () => {
    stmt(
      db,
      `UPDATE block_volumes SET hosts = ?, hacount = ?, iqn = ?, lun = 0, username = ?, password = ?, usable_size = size, pending_op = NULL
       WHERE id = ?`,
    ).run(JSON.stringify(hosts), hosts.length, result.iqn, result.username, result.password, s.blockVolumeId);
    if (s.hosting) {
      setVolumePending(db, s.hostingVolumeId, null);
      for (const b of bricksOfOperation(db, s.opId)) setBrickPending(db, b.id, null);
    }
    endOperation(db, s.opId, { location });
  });
  return location;
}

/**
 * Clean of a create (Heketi's BlockVolumeCreateOperation Clean + CleanDone, §10.1): delete the
 * gluster-block target if it may exist, destroy the hosting volume if this operation was creating
 * it, then drop the rows and give the reservation back. Throws (changing nothing in the DB) when a
 * node step fails, so it can be retried. The journal entry goes in the same transaction, with `answer`.
 */
async function cleanBlockVolumeCreate(
  ctx: AppContext,
  opId: string,
  how: { mayHaveTarget: boolean; mayHaveHostingGluster: boolean },
  answer: QueueOutcome,
): Promise<void> {
  const { db } = ctx;
  const op = getOperation(db, opId);
  const intent = (op?.intent ?? {}) as { blockVolumeId?: string; hostingVolumeId?: string; volumeId?: string };
  const bvRow = intent.blockVolumeId ? getBlockVolume(db, intent.blockVolumeId) : undefined;
  const bv = bvRow && bvRow.pending_op === opId ? bvRow : undefined;
  const newHv = intent.volumeId ? getVolume(db, intent.volumeId) : undefined;
  // The hosting volume this operation created (and still owns), to be destroyed.
  const ownHv = newHv && newHv.pending_op === opId ? newHv : undefined;
  const hostingId = bv?.hosting_volume ?? intent.hostingVolumeId ?? intent.volumeId;
  const hv = hostingId ? getVolume(db, hostingId) : undefined;

  if (bv && hv && how.mayHaveTarget) {
    const host = await verifiedManageHost(ctx, hv.cluster_id);
    await ctx.nodeOps.blockVolumeDelete(host, hv.name, bv.name);
  }
  let hvBricks: BrickRow[] = [];
  if (ownHv) {
    // Only this operation's block volume may live there (it was hidden the whole time).
    const others = (stmt(db, 'SELECT id FROM block_volumes WHERE hosting_volume = ? AND id != ?').all(ownHv.id, bv?.id ?? '') as { id: string }[]).length;
    if (others > 0) throw new Error(`block hosting volume ${ownHv.id} hosts other block volumes; not destroying it`);
    if (how.mayHaveHostingGluster) await destroyGlusterVolume(ctx, ownHv);
    const byId = new Map<string, BrickRow>();
    for (const b of [...volumeBricks(db, ownHv.id), ...bricksOfOperation(db, opId)]) byId.set(b.id, b);
    hvBricks = [...byId.values()];
    const outcome = await destroyBricks(ctx, hvBricks);
    if (outcome.failed.length > 0) throw new Error(outcome.failed[0]!.error);
  }
  tx(db, () => {
    if (bv) {
      deleteBlockVolumeRow(db, bv.id);
      if (hv && !ownHv) adjustBlockFree(db, hv.id, bv.size);
    }
    if (ownHv) {
      releaseBricks(db, hvBricks);
      if (getVolume(db, ownHv.id)) deleteVolumeRow(db, ownHv.id);
    }
    endOperation(db, opId, answer);
  });
}

// ---------------------------------------------------------------------------------- delete

export function buildBlockVolumeDelete(ctx: AppContext, id: string): { opId: string } {
  const { db } = ctx;
  const opId = newId();
  return tx(db, () => {
    const bv = getBlockVolume(db, id);
    if (!bv) throw notFound();
    if (bv.pending_op) throw new HttpError(500, `Failed to set up block volume delete: ${IN_USE}`);
    insertOperation(db, {
      id: opId,
      type: 'delete-block-volume',
      actions: [{ change: CHANGE.DeleteBlockVolume, id }],
      intent: { blockVolumeId: id },
    });
    setBlockVolumePending(db, id, opId);
    return { opId };
  });
}

/** Exec: `gluster-block delete` once on a verified host ("does not exist" = deleted); Finalize frees the size. */
export async function execBlockVolumeDelete(ctx: AppContext, id: string, opId: string): Promise<WorkResult> {
  const { db } = ctx;
  try {
    await deleteBlockTarget(ctx, id, opId);
  } catch (e) {
    // Heketi's rollback: the block volume stays as it was.
    tx(db, () => {
      setBlockVolumePending(db, id, null);
      endOperation(db, opId, { error: errorText(e) });
    });
    throw e;
  }
  finishBlockVolumeDelete(ctx, id, opId);
  return null;
}

async function deleteBlockTarget(ctx: AppContext, id: string, opId: string): Promise<void> {
  const bv = getBlockVolume(ctx.db, id)!;
  const hv = getVolume(ctx.db, bv.hosting_volume)!;
  const host = await verifiedManageHost(ctx, bv.cluster_id);
  recordStep(ctx.db, opId, 'gluster-block');
  await ctx.nodeOps.blockVolumeDelete(host, hv.name, bv.name);
}

/** Finalize: the row goes, its size returns to the hosting volume (which is kept even if empty). */
function finishBlockVolumeDelete(ctx: AppContext, id: string, opId: string): void {
  const { db } = ctx;
  tx(db, () => {
    const bv = getBlockVolume(db, id);
    if (bv) {
      deleteBlockVolumeRow(db, id);
      adjustBlockFree(db, bv.hosting_volume, bv.size);
    }
    endOperation(db, opId, { location: null });
  });
}

// ---------------------------------------------------------------------------------- expand

export interface BlockExpandState {
  blockVolumeId: string;
  opId: string;
  newSize: number;
}

const EXPAND_PREFIX = 'Failed to allocate block volume expansion';

/** Build: the new total size; reserves the difference from the hosting volume (§8, §10). */
export function buildBlockVolumeExpand(ctx: AppContext, id: string, newSize: number): BlockExpandState {
  const { db } = ctx;
  const opId = newId();
  return tx(db, () => {
    const bv = getBlockVolume(db, id);
    if (!bv) throw notFound();
    if (bv.pending_op) throw new HttpError(500, `${EXPAND_PREFIX}: ${IN_USE}`);
    const usable = bv.usable_size || bv.size;
    if (newSize === bv.size && usable === bv.size) {
      throw new HttpError(500, `${EXPAND_PREFIX}: Requested new-size ${newSize} is same as current block volume size ${bv.size}, nothing to be done.`);
    }
    if (newSize < bv.size) {
      throw new HttpError(500, `${EXPAND_PREFIX}: Requested new-size ${newSize} is less than current block volume size ${bv.size}, shrinking is not allowed.`);
    }
    const hv = getVolume(db, bv.hosting_volume);
    if (!hv || hv.pending_op) throw new HttpError(500, `${EXPAND_PREFIX}: ${IN_USE}`);
    const delta = newSize - bv.size;
    if (hv.block_free < delta) throw new HttpError(500, `${EXPAND_PREFIX}: No space`);
    adjustBlockFree(db, hv.id, -delta);
    setBlockVolumePending(db, id, opId);
    insertOperation(db, {
      id: opId,
      type: 'expand-block-volume',
      actions: [{ change: CHANGE.ExpandBlockVolume, id, delta: newSize }],
      intent: { blockVolumeId: id, newSize, oldSize: bv.size },
    });
    return { blockVolumeId: id, opId, newSize };
  });
}

/** Exec: `gluster-block modify … size <n>GiB`; Finalize sets size = usablesize = new size. */
export async function execBlockVolumeExpand(ctx: AppContext, s: BlockExpandState): Promise<WorkResult> {
  const { db } = ctx;
  let touched = false;
  try {
    const bv = getBlockVolume(db, s.blockVolumeId)!;
    const hv = getVolume(db, bv.hosting_volume)!;
    const host = await verifiedManageHost(ctx, bv.cluster_id);
    recordStep(db, s.opId, 'gluster-block-modify');
    touched = true;
    await ctx.nodeOps.blockVolumeExpand(host, hv.name, bv.name, s.newSize);
  } catch (e) {
    try {
      const answer = await settleBlockVolumeExpand(ctx, s.opId, s.blockVolumeId, s.newSize, touched, errorText(e));
      // gluster-block resized it all the same: the expansion happened.
      if ('location' in answer) return answer.location;
    } catch (ce) {
      // The operation stays in the journal, failed: the cleaner retries.
      ctx.ops.log.warn({ op: s.opId, err: errorText(ce) }, 'block volume expand rollback failed; left for the operations cleanup');
    }
    throw e;
  }
  const location = `/blockvolumes/${s.blockVolumeId}`;
  tx(db, () => {
    stmt(db, 'UPDATE block_volumes SET size = ?, usable_size = ?, pending_op = NULL WHERE id = ?').run(s.newSize, s.newSize, s.blockVolumeId);
    endOperation(db, s.opId, { location });
  });
  return location;
}

/**
 * After a failed or interrupted expand: keep whatever size gluster-block reports (its SIZE, and as
 * usable size the smallest size of the nodes where the resize failed), and give back the part of
 * the reservation that size does not use. Without a modify having run, gluster was not asked.
 * Ends the operation: completed when the block volume has its new size, else `rolledBack`.
 */
async function settleBlockVolumeExpand(ctx: AppContext, opId: string, id: string, newSize: number, mayHaveRun: boolean, rolledBack: string): Promise<QueueOutcome> {
  const { db } = ctx;
  const bv = getBlockVolume(db, id);
  if (!bv || bv.pending_op !== opId) {
    const answer = { error: rolledBack };
    tx(db, () => endOperation(db, opId, answer));
    return answer;
  }
  let size = bv.size;
  let usable = bv.usable_size || bv.size;
  if (mayHaveRun) {
    const hv = getVolume(db, bv.hosting_volume)!;
    const host = await verifiedManageHost(ctx, bv.cluster_id);
    const info = await ctx.nodeOps.blockVolumeInfo(host, hv.name, bv.name);
    size = Math.min(Math.max(info.sizeGiB, bv.size), newSize);
    usable = Math.min(info.usableSizeGiB ?? size, size);
  }
  const answer: QueueOutcome = size === newSize && usable === newSize ? { location: `/blockvolumes/${id}` } : { error: rolledBack };
  tx(db, () => {
    adjustBlockFree(db, bv.hosting_volume, newSize - size);
    stmt(db, 'UPDATE block_volumes SET size = ?, usable_size = ?, pending_op = NULL WHERE id = ?').run(size, usable, id);
    endOperation(db, opId, answer);
  });
  return answer;
}

// ---------------------------------------------------------------------------------- recovery (§10.1)

const imported = (op: OperationRow) => op.intent.imported !== undefined;

registerRecovery('create-block-volume', async (ctx, op) => {
  const answer = { error: INTERRUPTED };
  await cleanBlockVolumeCreate(
    ctx,
    op.id,
    {
      // An operation imported from Heketi has no step record: any step may have run.
      mayHaveTarget: imported(op) || op.stepsDone.includes('gluster-block'),
      mayHaveHostingGluster: imported(op) || op.stepsDone.some((s) => s.startsWith('gluster:') || s === 'hosting-volume'),
    },
    answer,
  );
  return answer;
});

registerRecovery('delete-block-volume', async (ctx, op) => {
  const { blockVolumeId } = op.intent as { blockVolumeId?: string };
  const bv = blockVolumeId ? getBlockVolume(ctx.db, blockVolumeId) : undefined;
  if (!bv) return { location: null };
  // Accepted deletes are finished (Heketi: Clean replays Exec, CleanDone replays Finalize).
  await deleteBlockTarget(ctx, bv.id, op.id);
  finishBlockVolumeDelete(ctx, bv.id, op.id);
  return { location: null };
});

registerRecovery('expand-block-volume', async (ctx, op) => {
  const intent = op.intent as { blockVolumeId?: string; newSize?: number };
  const bv = intent.blockVolumeId ? getBlockVolume(ctx.db, intent.blockVolumeId) : undefined;
  if (!bv) return { error: INTERRUPTED };
  const newSize = Number(intent.newSize ?? op.actions.find((a) => a.change === CHANGE.ExpandBlockVolume)?.delta ?? bv.size);
  return settleBlockVolumeExpand(ctx, op.id, bv.id, newSize, imported(op) || op.stepsDone.includes('gluster-block-modify'), INTERRUPTED);
});
