import type { DB } from '../store/db.js';
import { stmt } from '../store/stmt.js';
import { groupBy } from '../util/group.js';
import {
  clusterNodes,
  getCluster,
  getDevice,
  getNode,
  nodeDevices,
  parseTags,
  type DeviceRow,
  type NodeRow,
} from '../store/topology.js';

/** Heketi's JSON shapes, fields in Go struct order (heketi-api.md §3). */
export interface BrickInfo {
  id: string;
  path: string;
  device: string;
  node: string;
  volume: string;
  size: number;
}

/** The brick columns a BrickInfo shows. */
export interface BrickInfoRow {
  id: string;
  path: string;
  device_id: string;
  node_id: string;
  volume_id: string;
  size: number;
}

export function brickInfo(b: BrickInfoRow): BrickInfo {
  return { id: b.id, path: b.path, device: b.device_id, node: b.node_id, volume: b.volume_id, size: b.size };
}

/** Device bricks include pending ones, as in Heketi. */
function deviceBricks(db: DB, deviceId: string): BrickInfo[] {
  return (stmt(db, 'SELECT id, path, device_id, node_id, volume_id, size FROM bricks WHERE device_id = ? ORDER BY id').all(deviceId) as BrickInfoRow[]).map(
    brickInfo,
  );
}

function withTags(tagsJson: string): { tags?: Record<string, string> } {
  const tags = parseTags(tagsJson);
  return Object.keys(tags).length > 0 ? { tags } : {};
}

function deviceInfo(d: DeviceRow, bricks: BrickInfo[]) {
  const paths = JSON.parse(d.paths) as string[];
  return {
    name: d.name,
    ...withTags(d.tags),
    storage: { total: d.total, free: d.free, used: d.used },
    id: d.id,
    ...(paths.length > 0 ? { paths } : {}),
    ...(d.pv_uuid ? { pv_uuid: d.pv_uuid } : {}),
    state: d.state,
    bricks,
  };
}

export function deviceView(db: DB, d: DeviceRow) {
  return deviceInfo(d, deviceBricks(db, d.id));
}

type DeviceInfo = ReturnType<typeof deviceInfo>;

function nodeInfo(n: NodeRow, devices: DeviceInfo[]) {
  return {
    zone: n.zone,
    hostnames: { manage: [n.manage_hostname], storage: [n.storage_hostname] },
    cluster: n.cluster_id,
    ...withTags(n.tags),
    id: n.id,
    state: n.state,
    devices,
  };
}

export type NodeInfo = ReturnType<typeof nodeInfo>;

export function nodeView(db: DB, n: NodeRow): NodeInfo {
  return nodeInfo(n, nodeDevices(db, n.id).map((d) => deviceView(db, d)));
}

/** The infos of a cluster's visible nodes (as `nodeView`), in id order, from three statements in all. */
export function clusterNodeViews(db: DB, clusterId: string): NodeInfo[] {
  const brickRows = stmt(
    db,
    // CROSS JOIN keeps this order (cluster's nodes → their devices → their bricks, each by index)
    // instead of SQLite's choice of scanning every brick of the pool.
    `SELECT b.id, b.path, b.device_id, b.node_id, b.volume_id, b.size FROM nodes n CROSS JOIN devices d ON d.node_id = n.id
       CROSS JOIN bricks b ON b.device_id = d.id WHERE n.cluster_id = ? ORDER BY b.device_id, b.id`,
  ).all(clusterId) as BrickInfoRow[];
  const bricks = groupBy(brickRows, (b) => b.device_id);
  const deviceRows = stmt(
    db,
    'SELECT d.* FROM devices d JOIN nodes n ON n.id = d.node_id WHERE n.cluster_id = ? AND d.pending_op IS NULL ORDER BY d.id',
  ).all(clusterId) as DeviceRow[];
  const devices = groupBy(deviceRows, (d) => d.node_id);
  return clusterNodes(db, clusterId).map((n) => nodeInfo(n, (devices.get(n.id) ?? []).map((d) => deviceInfo(d, (bricks.get(d.id) ?? []).map(brickInfo)))));
}

export function clusterView(db: DB, id: string) {
  const c = getCluster(db, id);
  if (!c) return undefined;
  const volumes = (stmt(db, 'SELECT id FROM volumes WHERE cluster_id = ? AND pending_op IS NULL ORDER BY id').all(id) as { id: string }[]).map((r) => r.id);
  const blockvolumes = (
    stmt(db, 'SELECT id FROM block_volumes WHERE cluster_id = ? AND pending_op IS NULL ORDER BY id').all(id) as { id: string }[]
  ).map((r) => r.id);
  return {
    id: c.id,
    nodes: clusterNodes(db, id).map((n) => n.id),
    volumes,
    block: c.block === 1,
    file: c.file === 1,
    blockvolumes,
  };
}

/** A node being added is not visible yet. */
export function visibleNode(db: DB, id: string): NodeRow | undefined {
  const n = getNode(db, id);
  return n && n.pending_op === null ? n : undefined;
}

export function visibleDevice(db: DB, id: string): DeviceRow | undefined {
  const d = getDevice(db, id);
  return d && d.pending_op === null ? d : undefined;
}
