import type { DB } from './db.js';
import { OP_TYPE_BY_NUMBER } from './dump/schema.js';

/**
 * Heketi's `GET /db/check` / `heketi db consistency-check`: per bucket the number of entries,
 * how many are marked pending, how many are consistent, and the inconsistencies found
 * (`null` when none, as Go marshals a nil slice).
 */
export interface BucketCheck {
  total: number;
  pending: number;
  ok: number;
  notok: number;
  inconsistencies: string[] | null;
}

export interface DbCheckResult {
  clusters: BucketCheck;
  volumes: BucketCheck;
  bricks: BucketCheck;
  nodes: BucketCheck;
  devices: BucketCheck;
  blockvolumes: BucketCheck;
  dbattributes: BucketCheck;
  pendingoperations: BucketCheck;
  totalinconsistencies: number;
}

interface Entity {
  id: string;
  pending_op?: string | null;
}

/** Tallies one bucket: every entity is ok or not ok; pending ones are also counted as pending. */
class Bucket<T extends Entity> {
  private readonly problems = new Map<string, string[]>();

  constructor(
    private readonly label: string,
    private readonly rows: T[],
  ) {}

  report(id: string, message: string): void {
    let l = this.problems.get(id);
    if (!l) this.problems.set(id, (l = []));
    l.push(`${this.label}[${id}] ${message}`);
  }

  result(): BucketCheck {
    const inconsistencies = this.rows.flatMap((r) => this.problems.get(r.id) ?? []);
    // Problems reported for ids that are not rows of this bucket (should not happen) still count.
    for (const [id, l] of this.problems) if (!this.rows.some((r) => r.id === id)) inconsistencies.push(...l);
    const notok = this.rows.filter((r) => this.problems.has(r.id)).length;
    return {
      total: this.rows.length,
      pending: this.rows.filter((r) => r.pending_op).length,
      ok: this.rows.length - notok,
      notok,
      inconsistencies: inconsistencies.length > 0 ? inconsistencies : null,
    };
  }
}

interface ClusterR extends Entity { file: number; block: number }
interface NodeR extends Entity { cluster_id: string; manage_hostname: string; storage_hostname: string; state: string }
interface DeviceR extends Entity { node_id: string; total: number; free: number; used: number; state: string }
interface VolumeR extends Entity { cluster_id: string; name: string; block: number; block_free: number; block_reserved: number; size: number }
interface BrickR extends Entity {
  volume_id: string; device_id: string; node_id: string; tp_size: number; pool_metadata_size: number; lv_name: string; thin_pool: string; size: number;
}
interface BlockR extends Entity { hosting_volume: string; cluster_id: string }
interface OpR extends Entity { type: string; status: string; actions: string }

const HEKETI_TYPES = new Set(Object.values(OP_TYPE_BY_NUMBER));
const BRICKYARD_TYPES = new Set(['add-node', 'delete-node', 'add-device', 'delete-device']);
const STATES = new Set(['online', 'offline', 'failed']);

/** Consistency check of the whole database, references both ways and device space accounting. */
export function checkDatabase(db: DB): DbCheckResult {
  return db.transaction((): DbCheckResult => {
    const clusters = db.prepare('SELECT id, file, block FROM clusters ORDER BY id').all() as ClusterR[];
    const nodes = db.prepare('SELECT id, cluster_id, manage_hostname, storage_hostname, state, pending_op FROM nodes ORDER BY id').all() as NodeR[];
    const devices = db.prepare('SELECT id, node_id, total, free, used, state, pending_op FROM devices ORDER BY id').all() as DeviceR[];
    const volumes = db
      .prepare('SELECT id, cluster_id, name, block, block_free, block_reserved, size, pending_op FROM volumes ORDER BY id')
      .all() as VolumeR[];
    const bricks = db
      .prepare('SELECT id, volume_id, device_id, node_id, tp_size, pool_metadata_size, lv_name, thin_pool, size, pending_op FROM bricks ORDER BY id')
      .all() as BrickR[];
    const blocks = db.prepare('SELECT id, hosting_volume, cluster_id, pending_op FROM block_volumes ORDER BY id').all() as BlockR[];
    const ops = db.prepare('SELECT id, type, status, actions FROM operations ORDER BY id').all() as OpR[];

    const clusterIds = new Set(clusters.map((c) => c.id));
    const nodeById = new Map(nodes.map((n) => [n.id, n]));
    const deviceById = new Map(devices.map((d) => [d.id, d]));
    const volumeById = new Map(volumes.map((v) => [v.id, v]));
    const brickById = new Map(bricks.map((b) => [b.id, b]));
    const blockById = new Map(blocks.map((b) => [b.id, b]));
    const opIds = new Set(ops.map((o) => o.id));

    const cB = new Bucket('Cluster', clusters);
    const nB = new Bucket('Node', nodes);
    const dB = new Bucket('Device', devices);
    const vB = new Bucket('Volume', volumes);
    const bB = new Bucket('Brick', bricks);
    const blB = new Bucket('BlockVolume', blocks);
    const oB = new Bucket('PendingOperation', ops);

    const pendingKnown = (bucket: Bucket<Entity>, e: Entity) => {
      if (e.pending_op && !opIds.has(e.pending_op)) bucket.report(e.id, `references unknown pending operation ${e.pending_op}`);
    };

    // Clusters: what they list (derived from the members' back references) must exist.
    for (const c of clusters) {
      if (c.file !== 0 && c.file !== 1) cB.report(c.id, `has an invalid file flag ${String(c.file)}`);
      if (c.block !== 0 && c.block !== 1) cB.report(c.id, `has an invalid block flag ${String(c.block)}`);
    }

    const manageSeen = new Map<string, string>();
    const storageSeen = new Map<string, string>();
    for (const n of nodes) {
      if (!clusterIds.has(n.cluster_id)) nB.report(n.id, `references unknown cluster ${n.cluster_id}`);
      if (!STATES.has(n.state)) nB.report(n.id, `has unknown state ${n.state}`);
      const m = manageSeen.get(n.manage_hostname);
      if (m) nB.report(n.id, `manage hostname ${n.manage_hostname} is also used by node ${m}`);
      else manageSeen.set(n.manage_hostname, n.id);
      const s = storageSeen.get(n.storage_hostname);
      if (s) nB.report(n.id, `storage hostname ${n.storage_hostname} is also used by node ${s}`);
      else storageSeen.set(n.storage_hostname, n.id);
      pendingKnown(nB, n);
    }

    // Space actually consumed on each device: thin pool + metadata of every thin pool a brick uses,
    // counted once (clones share their source brick's pool and copy its sizes; the pool, and its
    // space, outlives the source brick while a clone uses it).
    const pools = new Map<string, { device: string; kib: number }>();
    for (const b of bricks) {
      const key = `${b.device_id}/${b.thin_pool}`;
      const kib = b.tp_size + b.pool_metadata_size;
      const cur = pools.get(key);
      if (!cur || kib > cur.kib) pools.set(key, { device: b.device_id, kib });
    }
    const consumed = new Map<string, number>();
    for (const p of pools.values()) consumed.set(p.device, (consumed.get(p.device) ?? 0) + p.kib);
    for (const d of devices) {
      if (!nodeById.has(d.node_id)) dB.report(d.id, `references unknown node ${d.node_id}`);
      if (!STATES.has(d.state)) dB.report(d.id, `has unknown state ${d.state}`);
      if (d.free + d.used !== d.total) dB.report(d.id, `storage free (${d.free}) + used (${d.used}) != total (${d.total})`);
      const sum = consumed.get(d.id) ?? 0;
      if (d.used !== sum) dB.report(d.id, `used size ${d.used} does not match the ${sum} its bricks take (thin pool + metadata)`);
      pendingKnown(dB, d);
    }

    const bricksOfVolume = new Map<string, number>();
    for (const b of bricks) {
      const d = deviceById.get(b.device_id);
      if (!d) bB.report(b.id, `references unknown device ${b.device_id}`);
      if (!nodeById.has(b.node_id)) bB.report(b.id, `references unknown node ${b.node_id}`);
      if (!volumeById.has(b.volume_id)) bB.report(b.id, `references unknown volume ${b.volume_id}`);
      if (d && d.node_id !== b.node_id) bB.report(b.id, `is on node ${b.node_id} but its device ${b.device_id} is on node ${d.node_id}`);
      pendingKnown(bB, b);
      bricksOfVolume.set(b.volume_id, (bricksOfVolume.get(b.volume_id) ?? 0) + 1);
    }

    for (const v of volumes) {
      if (!clusterIds.has(v.cluster_id)) vB.report(v.id, `references unknown cluster ${v.cluster_id}`);
      if (!bricksOfVolume.get(v.id) && !v.pending_op) vB.report(v.id, 'has no bricks');
      if (!v.block && (v.block_free || v.block_reserved)) vB.report(v.id, 'is not block-hosting but has block free/reserved sizes');
      pendingKnown(vB, v);
    }

    for (const b of blocks) {
      const host = volumeById.get(b.hosting_volume);
      if (!host) blB.report(b.id, `references unknown block hosting volume ${b.hosting_volume}`);
      else {
        if (!host.block) blB.report(b.id, `is hosted by volume ${b.hosting_volume} which is not block-hosting`);
        if (host.cluster_id !== b.cluster_id) blB.report(b.id, `is in cluster ${b.cluster_id} but its hosting volume is in cluster ${host.cluster_id}`);
      }
      if (!clusterIds.has(b.cluster_id)) blB.report(b.id, `references unknown cluster ${b.cluster_id}`);
      pendingKnown(blB, b);
    }

    // Objects each change of a pending operation names (Add* objects exist while the operation is
    // pending; Delete* ones are only removed when it finishes).
    const lookup: Record<number, [string, Map<string, Entity>]> = {
      1: ['brick', brickById],
      2: ['volume', volumeById],
      3: ['brick', brickById],
      4: ['volume', volumeById],
      5: ['volume', volumeById],
      6: ['block volume', blockById],
      7: ['block volume', blockById],
      8: ['device', deviceById],
      9: ['volume', volumeById],
      11: ['volume', volumeById],
      14: ['block volume', blockById],
    };
    for (const o of ops) {
      if (!HEKETI_TYPES.has(o.type) && !BRICKYARD_TYPES.has(o.type)) oB.report(o.id, `has unknown type ${o.type}`);
      if (!['', 'stale', 'failed'].includes(o.status)) oB.report(o.id, `has unknown status ${o.status}`);
      let actions: { change: number; id: string }[] = [];
      try {
        actions = JSON.parse(o.actions) as { change: number; id: string }[];
      } catch {
        oB.report(o.id, 'has unreadable actions');
      }
      for (const a of actions) {
        const l = lookup[a.change];
        if (l && !l[1].has(a.id)) oB.report(o.id, `references unknown ${l[0]} ${a.id}`);
      }
    }

    const result: DbCheckResult = {
      clusters: cB.result(),
      volumes: vB.result(),
      bricks: bB.result(),
      nodes: nB.result(),
      devices: dB.result(),
      blockvolumes: blB.result(),
      dbattributes: { total: 0, pending: 0, ok: 0, notok: 0, inconsistencies: null },
      pendingoperations: oB.result(),
      totalinconsistencies: 0,
    };
    result.totalinconsistencies = (['clusters', 'volumes', 'bricks', 'nodes', 'devices', 'blockvolumes', 'pendingoperations'] as const).reduce(
      (n, k) => n + (result[k].inconsistencies?.length ?? 0),
      0,
    );
    return result;
  })();
}
