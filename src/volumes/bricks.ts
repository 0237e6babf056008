import type { AppContext } from '../core/context.js';
import { errorText } from '../errors.js';
import { getNode, clusterNodes } from '../store/topology.js';
import { BRICK_ARBITER, type BrickRow, type VolumeRow } from '../store/volumes.js';
import { volumeDurability } from './model.js';

/** Node-side work shared by the volume operations: bricks on their nodes, gluster on a cluster host. */

export function manageHostOf(ctx: AppContext, nodeId: string): string {
  const node = getNode(ctx.db, nodeId);
  if (!node) throw new Error(`node ${nodeId} not found`);
  return node.manage_hostname;
}

export function storageHostOf(ctx: AppContext, nodeId: string): string {
  const node = getNode(ctx.db, nodeId);
  if (!node) throw new Error(`node ${nodeId} not found`);
  return node.storage_hostname;
}

/** Manage hosts to try for cluster-wide gluster commands: online nodes first, in cluster order. */
export function clusterManageHosts(ctx: AppContext, clusterId: string): string[] {
  const nodes = clusterNodes(ctx.db, clusterId);
  return [...nodes.filter((n) => n.state === 'online'), ...nodes.filter((n) => n.state !== 'online')].map((n) => n.manage_hostname);
}

export function glusterBrick(ctx: AppContext, b: BrickRow): { host: string; path: string } {
  return { host: storageHostOf(ctx, b.node_id), path: b.path };
}

/**
 * Creates bricks on all their nodes at once and rejects with the first failure. It does not clean
 * up: callers destroy every brick of the attempt (destroy is idempotent), made or not.
 */
export async function createBricks(ctx: AppContext, bricks: BrickRow[], gid: number): Promise<void> {
  const results = await Promise.allSettled(
    bricks.map((b) =>
      ctx.nodeOps.brickCreate(manageHostOf(ctx, b.node_id), {
        id: b.id,
        deviceId: b.device_id,
        size: b.size,
        tpSize: b.tp_size,
        poolMetadataSize: b.pool_metadata_size,
        arbiter: b.sub_type === BRICK_ARBITER,
        gid,
        path: b.path,
      }),
    ),
  );
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

export interface DestroyOutcome {
  /** Bricks gone from their nodes (safe to drop from the DB), with whether their pool was removed. */
  destroyed: Array<{ brick: BrickRow; spaceReclaimed: boolean }>;
  /** Bricks that could not be destroyed, with the reason. */
  failed: Array<{ brick: BrickRow; error: string }>;
}

/** Destroys bricks in parallel, collecting failures instead of stopping at the first. */
export async function destroyBricks(ctx: AppContext, bricks: BrickRow[]): Promise<DestroyOutcome> {
  const outcome: DestroyOutcome = { destroyed: [], failed: [] };
  await Promise.all(
    bricks.map(async (b) => {
      try {
        const r = await ctx.nodeOps.brickDestroy(manageHostOf(ctx, b.node_id), {
          id: b.id,
          deviceId: b.device_id,
          path: b.path,
          lvName: b.lv_name || undefined,
          thinPool: b.thin_pool,
        });
        outcome.destroyed.push({ brick: b, spaceReclaimed: r.spaceReclaimed });
      } catch (e) {
        outcome.failed.push({ brick: b, error: errorText(e) });
      }
    }),
  );
  return outcome;
}

/** The gluster definition of a volume: its bricks in gluster order and its stored options. */
export function glusterVolumeSpec(ctx: AppContext, v: VolumeRow, bricks: BrickRow[]) {
  return {
    id: v.id,
    name: v.name,
    durability: volumeDurability(v),
    bricks: bricks.map((b) => glusterBrick(ctx, b)),
    options: JSON.parse(v.options) as string[],
  };
}

/** Stops and deletes a gluster volume from any cluster host; "does not exist" counts as done. */
export async function destroyGlusterVolume(ctx: AppContext, v: VolumeRow): Promise<void> {
  await ctx.nodeOps.volumeDestroy(clusterManageHosts(ctx, v.cluster_id), v.name);
}
