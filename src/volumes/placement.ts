import type { AppContext } from '../core/context.js';
import type { Config } from '../config.js';
import type { DB } from '../store/db.js';
import { stmt } from '../store/stmt.js';
import { clusterNodes, parseTags, type EntityState } from '../store/topology.js';
import { BRICK_ARBITER, BRICK_NORMAL, insertBrick, releaseDeviceSpace, reserveDeviceSpace, deleteBrickRow, type BrickRow } from '../store/volumes.js';
import { newId } from '../ids.js';
import { placeVolume } from '../allocator/place.js';
import { KiB_PER_GiB, parseTagMatch, brickSpace } from '../allocator/sizing.js';
import type { AllocCluster, Durability, Placement, PlacementFailure, PlacementRequest, TagMatchRule } from '../allocator/types.js';
import { HttpError } from '../errors.js';
import { optionValue } from './model.js';

interface DeviceLite {
  id: string;
  node_id: string;
  free: number;
  extent_size: number;
  state: EntityState;
  tags: string;
}

/** The cluster as the allocator sees it: nodes and devices that exist (none being added). */
export function allocCluster(db: DB, clusterId: string, exclude: { nodes?: Set<string>; devices?: Set<string> } = {}): AllocCluster {
  const nodes = clusterNodes(db, clusterId).filter((n) => !exclude.nodes?.has(n.id));
  const devices = stmt(
    db,
    `SELECT d.id, d.node_id, d.free, d.extent_size, d.state, d.tags FROM devices d JOIN nodes n ON n.id = d.node_id
     WHERE n.cluster_id = ? AND d.pending_op IS NULL ORDER BY d.id`,
  ).all(clusterId) as DeviceLite[];
  return {
    id: clusterId,
    nodes: nodes.map((n) => ({
      id: n.id,
      zone: n.zone,
      state: n.state,
      tags: parseTags(n.tags),
      devices: devices
        .filter((d) => d.node_id === n.id && !exclude.devices?.has(d.id))
        .map((d) => ({ id: d.id, nodeId: d.node_id, free: d.free, extentSize: d.extent_size, state: d.state, tags: parseTags(d.tags) })),
    })),
  };
}

export interface PlacementParams {
  sizeGiB: number;
  durability: Durability;
  snapshotFactor: number;
  existingBricks: number;
  options: string[];
}

/** The settings of heketi.json's `glusterfs` section that steer placement. */
export type PlacementSettings = Pick<Config['glusterfs'], 'zoneChecking' | 'averageFileSizeKb' | 'brickMinSizeGb' | 'brickMaxSizeGb' | 'maxBricksPerVolume' | 'arbiterBrickMinSizeMb'>;

/** Volume options and configuration that steer placement (zone checking, tag match, arbiter size). */
export function placementRequest(ctx: AppContext, p: PlacementParams): PlacementRequest | { error: string } {
  return placementRequestFor(ctx.config.glusterfs, p);
}

/** placementRequest for given settings (a server's own, or a real Heketi's defaults when the CSI driver computes for one). */
export function placementRequestFor(g: PlacementSettings, p: PlacementParams): PlacementRequest | { error: string } {
  const zoneOpt = optionValue(p.options, 'user.heketi.zone-checking');
  const zoneChecking = zoneOpt === 'strict' ? 'strict' : zoneOpt !== undefined ? 'none' : g.zoneChecking;
  let tagMatch: TagMatchRule | undefined;
  const rule = optionValue(p.options, 'user.heketi.device-tag-match');
  if (rule !== undefined) {
    const parsed = parseTagMatch(rule);
    if (!parsed.ok) return { error: parsed.error };
    tagMatch = parsed.value;
  }
  const avg = Number(optionValue(p.options, 'user.heketi.average-file-size') ?? '0');
  return {
    sizeGiB: p.sizeGiB,
    durability: p.durability,
    snapshotFactor: p.snapshotFactor,
    existingBricks: p.existingBricks,
    zoneChecking,
    tagMatch,
    averageFileSizeKiB: Number.isSafeInteger(avg) && avg > 0 ? avg : g.averageFileSizeKb,
    limits: {
      brickMinKiB: g.brickMinSizeGb * KiB_PER_GiB,
      arbiterMinKiB: g.arbiterBrickMinSizeMb * 1024,
      brickMaxKiB: g.brickMaxSizeGb * KiB_PER_GiB,
      maxBricksPerVolume: g.maxBricksPerVolume,
    },
    seed: Math.floor(Math.random() * 2 ** 31),
  };
}

export type PlaceOutcome = { ok: true; placement: Placement } | { ok: false; failure: PlacementFailure };

export function place(ctx: AppContext, clusterId: string, p: PlacementParams, exclude?: { nodes?: Set<string>; devices?: Set<string> }): PlaceOutcome {
  const req = placementRequest(ctx, p);
  if ('error' in req) return { ok: false, failure: { error: req.error, rawError: req.error, reasons: [] } };
  return placeVolume(allocCluster(ctx.db, clusterId, exclude), req);
}

/** Writes the placed bricks as pending rows and takes their space from the devices (inside the caller's transaction). */
export function recordPlacement(db: DB, volumeId: string, placement: Placement, opId: string, firstPosition: number): BrickRow[] {
  const rows: BrickRow[] = [];
  let position = firstPosition;
  for (const set of placement.sets) {
    for (const b of set) {
      const id = newId();
      const row: BrickRow = {
        id,
        volume_id: volumeId,
        device_id: b.deviceId,
        node_id: b.nodeId,
        path: `/var/lib/heketi/mounts/vg_${b.deviceId}/brick_${id}/brick`,
        size: b.size,
        tp_size: b.tpSize,
        pool_metadata_size: b.poolMetadataSize,
        sub_type: b.arbiter ? BRICK_ARBITER : BRICK_NORMAL,
        lv_name: '',
        thin_pool: `tp_${id}`,
        position: position++,
        pending_op: opId,
        created_at: Date.now(),
      };
      insertBrick(db, row);
      reserveDeviceSpace(db, b.deviceId, b.reserved);
      rows.push(row);
    }
  }
  return rows;
}

/** Space a brick holds on its device (clone bricks share their source's pool and hold none). */
export function brickReservation(b: BrickRow): number {
  return b.lv_name === '' ? b.tp_size + b.pool_metadata_size : 0;
}

/**
 * Space to give back once brick `b`'s row is gone: the device space belongs to the thin pool, which
 * clones share with their source brick (their rows copy its pool and sizes). It is returned when the
 * last brick row using the pool goes — whichever it is, source or clone. Callers pass sizes 0 when
 * the pool was not removed on the node. Call after deleting the row.
 */
export function poolRelease(db: DB, b: BrickRow): number {
  const shared = stmt(db, 'SELECT 1 FROM bricks WHERE device_id = ? AND thin_pool = ? LIMIT 1').get(b.device_id, b.thin_pool);
  return shared ? 0 : b.tp_size + b.pool_metadata_size;
}

/** Removes brick rows and gives their pools' space back (inside the caller's transaction). */
export function releaseBricks(db: DB, bricks: BrickRow[]): void {
  for (const b of bricks) {
    deleteBrickRow(db, b.id);
    const kib = poolRelease(db, b);
    if (kib > 0) releaseDeviceSpace(db, b.device_id, kib);
  }
}

export function allocationError(prefix: string, message: string): HttpError {
  return new HttpError(500, `${prefix}: ${message}`);
}

export { brickSpace };
