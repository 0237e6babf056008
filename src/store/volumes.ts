import type { DB } from './db.js';
import { stmt } from './stmt.js';

export interface VolumeRow {
  id: string;
  cluster_id: string;
  name: string;
  size: number;
  durability: string;
  gid: number;
  snapshot_enable: number;
  snapshot_factor: number;
  options: string;
  block: number;
  block_free: number;
  block_reserved: number;
  block_restriction: string;
  pending_op: string | null;
  created_at: number;
}

export interface BrickRow {
  id: string;
  volume_id: string;
  device_id: string;
  node_id: string;
  path: string;
  size: number;
  tp_size: number;
  pool_metadata_size: number;
  sub_type: number;
  lv_name: string;
  thin_pool: string;
  position: number;
  pending_op: string | null;
  created_at: number;
}

export const BRICK_NORMAL = 1;
export const BRICK_ARBITER = 2;

export function insertVolume(db: DB, v: Omit<VolumeRow, 'created_at'>): void {
  stmt(
    db,
    `INSERT INTO volumes (id, cluster_id, name, size, durability, gid, snapshot_enable, snapshot_factor, options, block,
       block_free, block_reserved, block_restriction, pending_op, created_at)
     VALUES (@id, @cluster_id, @name, @size, @durability, @gid, @snapshot_enable, @snapshot_factor, @options, @block,
       @block_free, @block_reserved, @block_restriction, @pending_op, @created_at)`,
  ).run({ ...v, created_at: Date.now() });
}

export function getVolume(db: DB, id: string): VolumeRow | undefined {
  return stmt(db, 'SELECT * FROM volumes WHERE id = ?').get(id) as VolumeRow | undefined;
}

export function listVisibleVolumeIds(db: DB): string[] {
  return (stmt(db, 'SELECT id FROM volumes WHERE pending_op IS NULL ORDER BY id').all() as { id: string }[]).map((r) => r.id);
}

export function volumeNameTaken(db: DB, clusterId: string, name: string): boolean {
  return stmt(db, 'SELECT 1 FROM volumes WHERE cluster_id = ? AND name = ? LIMIT 1').get(clusterId, name) !== undefined;
}

export function clusterVolumeCount(db: DB, clusterId: string): number {
  return (stmt(db, 'SELECT COUNT(*) AS n FROM volumes WHERE cluster_id = ?').get(clusterId) as { n: number }).n;
}

export function setVolumePending(db: DB, id: string, op: string | null): void {
  stmt(db, 'UPDATE volumes SET pending_op = ? WHERE id = ?').run(op, id);
}

export function setVolumeSize(db: DB, id: string, size: number, blockFree: number, blockReserved: number): void {
  stmt(db, 'UPDATE volumes SET size = ?, block_free = ?, block_reserved = ? WHERE id = ?').run(size, blockFree, blockReserved, id);
}

export function setBlockRestriction(db: DB, id: string, restriction: string): void {
  stmt(db, 'UPDATE volumes SET block_restriction = ? WHERE id = ?').run(restriction, id);
}

export function deleteVolumeRow(db: DB, id: string): void {
  stmt(db, 'DELETE FROM volumes WHERE id = ?').run(id);
}

export function insertBrick(db: DB, b: Omit<BrickRow, 'created_at'>): void {
  stmt(
    db,
    `INSERT INTO bricks (id, volume_id, device_id, node_id, path, size, tp_size, pool_metadata_size, sub_type, lv_name,
       thin_pool, position, pending_op, created_at)
     VALUES (@id, @volume_id, @device_id, @node_id, @path, @size, @tp_size, @pool_metadata_size, @sub_type, @lv_name,
       @thin_pool, @position, @pending_op, @created_at)`,
  ).run({ ...b, created_at: Date.now() });
}

export function getBrick(db: DB, id: string): BrickRow | undefined {
  return stmt(db, 'SELECT * FROM bricks WHERE id = ?').get(id) as BrickRow | undefined;
}

/** A volume's bricks in gluster order. */
export function volumeBricks(db: DB, volumeId: string): BrickRow[] {
  return stmt(db, 'SELECT * FROM bricks WHERE volume_id = ? ORDER BY position, id').all(volumeId) as BrickRow[];
}

export function bricksOfOperation(db: DB, opId: string): BrickRow[] {
  return stmt(db, 'SELECT * FROM bricks WHERE pending_op = ? ORDER BY position, id').all(opId) as BrickRow[];
}

export function setBrickPending(db: DB, id: string, op: string | null): void {
  stmt(db, 'UPDATE bricks SET pending_op = ? WHERE id = ?').run(op, id);
}

export function setBrickPosition(db: DB, id: string, position: number): void {
  stmt(db, 'UPDATE bricks SET position = ? WHERE id = ?').run(position, id);
}

export function deleteBrickRow(db: DB, id: string): void {
  stmt(db, 'DELETE FROM bricks WHERE id = ?').run(id);
}

/** Takes space from a device; the CHECK (free >= 0) makes an overcommit fail inside the transaction. */
export function reserveDeviceSpace(db: DB, deviceId: string, kib: number): void {
  stmt(db, 'UPDATE devices SET free = free - ?, used = used + ? WHERE id = ?').run(kib, kib, deviceId);
}

export function releaseDeviceSpace(db: DB, deviceId: string, kib: number): void {
  stmt(db, 'UPDATE devices SET free = free + ?, used = MAX(used - ?, 0) WHERE id = ?').run(kib, kib, deviceId);
}

export function blockVolumeIdsOf(db: DB, hostingVolumeId: string, visibleOnly: boolean): string[] {
  const sql = visibleOnly
    ? 'SELECT id FROM block_volumes WHERE hosting_volume = ? AND pending_op IS NULL ORDER BY id'
    : 'SELECT id FROM block_volumes WHERE hosting_volume = ? ORDER BY id';
  return (stmt(db, sql).all(hostingVolumeId) as { id: string }[]).map((r) => r.id);
}
