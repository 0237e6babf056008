import type { DB } from '../store/db.js';
import { stmt } from '../store/stmt.js';
import { parseTags, type ClusterRow, type DeviceRow, type EntityState, type NodeRow } from '../store/topology.js';

/**
 * The whole pool in one answer for dashboards (Brickyard's `GET /pool`): clusters → nodes →
 * devices with capacity, state, tags and brick counts, and the space pending operations hold.
 * No brick or volume lists, so it stays small (100 nodes × 10 devices ≈ 250 kB) however many
 * volumes there are. Three queries, whatever the size of the pool.
 */
export interface PoolSummaryDevice {
  id: string;
  name: string;
  state: EntityState;
  tags: Record<string, string>;
  storage: { total: number; free: number; used: number };
  /** KiB of `used` held by bricks of operations not finished (running, failed or stale). */
  reserved: number;
  bricks: number;
}
export interface PoolSummaryNode {
  id: string;
  zone: number;
  hostnames: { manage: string[]; storage: string[] };
  state: EntityState;
  tags: Record<string, string>;
  devices: PoolSummaryDevice[];
}
export interface PoolSummaryCluster {
  id: string;
  file: boolean;
  block: boolean;
  volumes: number;
  blockvolumes: number;
  nodes: PoolSummaryNode[];
}

// Only the columns the summary reads, typed from the store's rows.
type ClusterR = Pick<ClusterRow, 'id' | 'file' | 'block'> & { volumes: number; blockvolumes: number };
type NodeR = Pick<NodeRow, 'id' | 'cluster_id' | 'zone' | 'manage_hostname' | 'storage_hostname' | 'state' | 'tags'>;
type DeviceR = Pick<DeviceRow, 'id' | 'node_id' | 'name' | 'state' | 'tags' | 'total' | 'free' | 'used'> & { bricks: number; reserved: number };

export function poolSummary(db: DB): { clusters: PoolSummaryCluster[] } {
  return db.transaction(() => {
    const clusters = stmt(
      db,
      `SELECT c.id, c.file, c.block,
         (SELECT COUNT(*) FROM volumes v WHERE v.cluster_id = c.id AND v.pending_op IS NULL) AS volumes,
         (SELECT COUNT(*) FROM block_volumes b WHERE b.cluster_id = c.id AND b.pending_op IS NULL) AS blockvolumes
       FROM clusters c ORDER BY c.id`,
    ).all() as ClusterR[];
    const nodes = stmt(
      db,
      'SELECT id, cluster_id, zone, manage_hostname, storage_hostname, state, tags FROM nodes WHERE pending_op IS NULL ORDER BY id',
    ).all() as NodeR[];
    // Brick counts come from the device index alone and reserved space from the few pending
    // bricks (the partial index, named: without statistics SQLite would walk every brick row
    // for it), so 30,000 bricks cost a few milliseconds instead of ~30.
    const devices = stmt(
      db,
      `SELECT d.id, d.node_id, d.name, d.state, d.tags, d.total, d.free, d.used,
         (SELECT COUNT(*) FROM bricks b WHERE b.device_id = d.id) AS bricks, COALESCE(r.reserved, 0) AS reserved
       FROM devices d
       LEFT JOIN (SELECT device_id, SUM(tp_size + pool_metadata_size) AS reserved
                  FROM bricks INDEXED BY bricks_pending WHERE pending_op IS NOT NULL GROUP BY device_id) r ON r.device_id = d.id
       WHERE d.pending_op IS NULL ORDER BY d.id`,
    ).all() as DeviceR[];
    const byNode = new Map<string, PoolSummaryDevice[]>();
    for (const d of devices) {
      const list = byNode.get(d.node_id) ?? [];
      list.push({
        id: d.id,
        name: d.name,
        state: d.state,
        tags: parseTags(d.tags),
        storage: { total: d.total, free: d.free, used: d.used },
        reserved: Math.min(d.reserved, d.used),
        bricks: d.bricks,
      });
      byNode.set(d.node_id, list);
    }
    const byCluster = new Map<string, PoolSummaryNode[]>();
    for (const n of nodes) {
      const list = byCluster.get(n.cluster_id) ?? [];
      list.push({
        id: n.id,
        zone: n.zone,
        hostnames: { manage: [n.manage_hostname], storage: [n.storage_hostname] },
        state: n.state,
        tags: parseTags(n.tags),
        devices: byNode.get(n.id) ?? [],
      });
      byCluster.set(n.cluster_id, list);
    }
    return {
      clusters: clusters.map((c) => ({
        id: c.id,
        file: c.file === 1,
        block: c.block === 1,
        volumes: c.volumes,
        blockvolumes: c.blockvolumes,
        nodes: byCluster.get(c.id) ?? [],
      })),
    };
  })();
}
