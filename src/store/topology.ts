import type { DB } from './db.js';
import { stmt } from './stmt.js';

export type EntityState = 'online' | 'offline' | 'failed';

export interface ClusterRow {
  id: string;
  file: number;
  block: number;
  created_at: number;
}

export interface NodeRow {
  id: string;
  cluster_id: string;
  zone: number;
  manage_hostname: string;
  storage_hostname: string;
  state: EntityState;
  tags: string;
  /** Set while the node is being added: such a node is not part of the cluster yet. */
  pending_op: string | null;
  created_at: number;
}

export interface DeviceRow {
  id: string;
  node_id: string;
  name: string;
  state: EntityState;
  tags: string;
  total: number;
  free: number;
  used: number;
  extent_size: number;
  pv_uuid: string;
  paths: string;
  /** Set while the device is being added: hidden until its VG exists. */
  pending_op: string | null;
  created_at: number;
}

// ---- clusters

export function insertCluster(db: DB, id: string, file: boolean, block: boolean): void {
  stmt(db, 'INSERT INTO clusters (id, file, block, created_at) VALUES (?, ?, ?, ?)').run(id, file ? 1 : 0, block ? 1 : 0, Date.now());
}

export function getCluster(db: DB, id: string): ClusterRow | undefined {
  return stmt(db, 'SELECT * FROM clusters WHERE id = ?').get(id) as ClusterRow | undefined;
}

export function listClusterIds(db: DB): string[] {
  return (stmt(db, 'SELECT id FROM clusters ORDER BY id').all() as { id: string }[]).map((r) => r.id);
}

export function setClusterFlags(db: DB, id: string, file: boolean, block: boolean): void {
  stmt(db, 'UPDATE clusters SET file = ?, block = ? WHERE id = ?').run(file ? 1 : 0, block ? 1 : 0, id);
}

export function deleteCluster(db: DB, id: string): void {
  stmt(db, 'DELETE FROM clusters WHERE id = ?').run(id);
}

/** Nodes (incl. ones being added) and volumes (incl. pending ones) keep a cluster alive. */
export function clusterIsEmpty(db: DB, id: string): boolean {
  const n = stmt(db, 'SELECT (SELECT COUNT(*) FROM nodes WHERE cluster_id = ?) + (SELECT COUNT(*) FROM volumes WHERE cluster_id = ?) AS n').get(id, id) as {
    n: number;
  };
  return n.n === 0;
}

// ---- nodes

export function insertNode(db: DB, n: Omit<NodeRow, 'created_at' | 'state'> & { state?: EntityState }): void {
  stmt(
    db,
    `INSERT INTO nodes (id, cluster_id, zone, manage_hostname, storage_hostname, state, tags, pending_op, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(n.id, n.cluster_id, n.zone, n.manage_hostname, n.storage_hostname, n.state ?? 'online', n.tags, n.pending_op, Date.now());
}

export function getNode(db: DB, id: string): NodeRow | undefined {
  return stmt(db, 'SELECT * FROM nodes WHERE id = ?').get(id) as NodeRow | undefined;
}

/** Nodes that are part of a cluster (not being added), in Heketi's order: sorted by id. */
export function clusterNodes(db: DB, clusterId: string): NodeRow[] {
  return stmt(db, 'SELECT * FROM nodes WHERE cluster_id = ? AND pending_op IS NULL ORDER BY id').all(clusterId) as NodeRow[];
}

export function nodeByHostname(db: DB, kind: 'manage' | 'storage', hostname: string): NodeRow | undefined {
  const col = kind === 'manage' ? 'manage_hostname' : 'storage_hostname';
  return stmt(db, `SELECT * FROM nodes WHERE ${col} = ?`).get(hostname) as NodeRow | undefined;
}

export function setNodeState(db: DB, id: string, state: EntityState): void {
  stmt(db, 'UPDATE nodes SET state = ? WHERE id = ?').run(state, id);
}

export function setNodeTags(db: DB, id: string, tags: Record<string, string>): void {
  stmt(db, 'UPDATE nodes SET tags = ? WHERE id = ?').run(JSON.stringify(sortedTags(tags)), id);
}

export function clearNodePending(db: DB, id: string): void {
  stmt(db, 'UPDATE nodes SET pending_op = NULL WHERE id = ?').run(id);
}

export function deleteNode(db: DB, id: string): void {
  stmt(db, 'DELETE FROM nodes WHERE id = ?').run(id);
}

// ---- devices

export function insertDevice(db: DB, d: Pick<DeviceRow, 'id' | 'node_id' | 'name' | 'tags' | 'pending_op'>): void {
  stmt(db, 'INSERT INTO devices (id, node_id, name, tags, pending_op, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
    d.id,
    d.node_id,
    d.name,
    d.tags,
    d.pending_op,
    Date.now(),
  );
}

export function getDevice(db: DB, id: string): DeviceRow | undefined {
  return stmt(db, 'SELECT * FROM devices WHERE id = ?').get(id) as DeviceRow | undefined;
}

/** Devices of a node that exist (not being added), sorted by id. */
export function nodeDevices(db: DB, nodeId: string): DeviceRow[] {
  return stmt(db, 'SELECT * FROM devices WHERE node_id = ? AND pending_op IS NULL ORDER BY id').all(nodeId) as DeviceRow[];
}

/** Every device row of a node, including ones being added (for the delete-node conflict rule). */
export function nodeDeviceCount(db: DB, nodeId: string): number {
  return (stmt(db, 'SELECT COUNT(*) AS n FROM devices WHERE node_id = ?').get(nodeId) as { n: number }).n;
}

export function completeDeviceAdd(
  db: DB,
  id: string,
  info: { total: number; free: number; used: number; extentSize: number; pvUuid: string; paths: string[] },
): void {
  stmt(db, 'UPDATE devices SET total = ?, free = ?, used = ?, extent_size = ?, pv_uuid = ?, paths = ?, pending_op = NULL WHERE id = ?').run(
    info.total,
    info.free,
    info.used,
    info.extentSize,
    info.pvUuid,
    JSON.stringify(info.paths),
    id,
  );
}

export function setDeviceStorage(db: DB, id: string, s: { total: number; free: number; used: number; extentSize: number }): void {
  stmt(db, 'UPDATE devices SET total = ?, free = ?, used = ?, extent_size = ? WHERE id = ?').run(s.total, s.free, s.used, s.extentSize, id);
}

export function setDeviceState(db: DB, id: string, state: EntityState): void {
  stmt(db, 'UPDATE devices SET state = ? WHERE id = ?').run(state, id);
}

export function setDeviceTags(db: DB, id: string, tags: Record<string, string>): void {
  stmt(db, 'UPDATE devices SET tags = ? WHERE id = ?').run(JSON.stringify(sortedTags(tags)), id);
}

export function deleteDevice(db: DB, id: string): void {
  stmt(db, 'DELETE FROM devices WHERE id = ?').run(id);
}

export function deviceBrickCount(db: DB, deviceId: string): number {
  return (stmt(db, 'SELECT COUNT(*) AS n FROM bricks WHERE device_id = ?').get(deviceId) as { n: number }).n;
}

/**
 * For the destroydata safety check: PV UUID → device id of every other device that has one, and
 * how many other devices have none (their PVs cannot be told apart from a stranger's).
 */
export function knownPvUuids(db: DB, exceptDeviceId: string): { byUuid: Map<string, string>; withoutUuid: number } {
  const rows = stmt(db, 'SELECT id, pv_uuid FROM devices WHERE id != ?').all(exceptDeviceId) as { id: string; pv_uuid: string }[];
  const byUuid = new Map(rows.filter((r) => r.pv_uuid !== '').map((r) => [r.pv_uuid, r.id]));
  return { byUuid, withoutUuid: rows.length - byUuid.size };
}

export function sortedTags(tags: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(tags).sort()) out[k] = tags[k]!;
  return out;
}

export function parseTags(json: string): Record<string, string> {
  return JSON.parse(json) as Record<string, string>;
}
