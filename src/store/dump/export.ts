/**
 * `exportDump`: the Brickyard database as a Heketi DB dump (schema.ts). It writes back what
 * `importDump` read, so importing a Heketi export and exporting again deep-equals the input.
 */
import type { DB } from '../db.js';
import { float32Shortest } from '../../util/float32.js';
import { OP_NUMBER_BY_TYPE, cmp, emptyDump, sortedMap, type HeketiDump, type HeketiPending } from './schema.js';

interface Row {
  [k: string]: unknown;
}

function groupIds(rows: { key: string; id: string }[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const r of rows) {
    let l = m.get(r.key);
    if (!l) m.set(r.key, (l = []));
    l.push(r.id);
  }
  for (const l of m.values()) l.sort(cmp);
  return m;
}

/** Volumes and block volumes carry `clusters` only when they have a cluster list (NULL column: no field). */
function clustersField(row: Row): { clusters?: string[] } {
  const clusters = row.clusters === null || row.clusters === undefined ? undefined : (JSON.parse(row.clusters as string) as string[] | null);
  return clusters ? { clusters } : {};
}

function pendingField(row: Row): HeketiPending {
  return { Id: (row.pending_op as string | null) ?? '' };
}

function tagsField(json: string): { tags?: Record<string, string> } {
  const t = JSON.parse(json) as Record<string, string>;
  return Object.keys(t).length > 0 ? { tags: sortedMap(t) } : {};
}

export function exportDump(db: DB): HeketiDump {
  return db.transaction((): HeketiDump => {
    const clusters = db.prepare('SELECT * FROM clusters ORDER BY id').all() as Row[];
    // Nodes and devices still being added are Brickyard-only states Heketi never records.
    const nodes = db.prepare('SELECT * FROM nodes WHERE pending_op IS NULL ORDER BY id').all() as Row[];
    const devices = db
      .prepare('SELECT d.* FROM devices d JOIN nodes n ON n.id = d.node_id WHERE d.pending_op IS NULL AND n.pending_op IS NULL ORDER BY d.id')
      .all() as Row[];
    const volumes = db.prepare('SELECT * FROM volumes ORDER BY id').all() as Row[];
    const bricks = db.prepare('SELECT * FROM bricks ORDER BY id').all() as Row[];
    const blockVolumes = db.prepare('SELECT * FROM block_volumes ORDER BY id').all() as Row[];
    const attributes = db.prepare('SELECT key, value FROM db_attributes ORDER BY key').all() as { key: string; value: string }[];
    const operations = db.prepare('SELECT * FROM operations ORDER BY id').all() as Row[];

    const nodesOfCluster = groupIds(nodes.map((n) => ({ key: n.cluster_id as string, id: n.id as string })));
    const volumesOfCluster = groupIds(volumes.map((v) => ({ key: v.cluster_id as string, id: v.id as string })));
    const blockOfCluster = groupIds(blockVolumes.map((b) => ({ key: b.cluster_id as string, id: b.id as string })));
    const blockOfVolume = groupIds(blockVolumes.map((b) => ({ key: b.hosting_volume as string, id: b.id as string })));
    const devicesOfNode = groupIds(devices.map((d) => ({ key: d.node_id as string, id: d.id as string })));
    const bricksOfDevice = groupIds(bricks.map((b) => ({ key: b.device_id as string, id: b.id as string })));
    const storageOfNode = new Map(nodes.map((n) => [n.id as string, n.storage_hostname as string]));

    const dump = emptyDump();

    for (const c of clusters) {
      const id = c.id as string;
      dump.clusterentries[id] = {
        Info: {
          id,
          nodes: nodesOfCluster.get(id) ?? [],
          volumes: volumesOfCluster.get(id) ?? [],
          block: c.block === 1,
          file: c.file === 1,
          blockvolumes: blockOfCluster.get(id) ?? [],
        },
      };
    }

    // A volume's Bricks in gluster order (position), which is the dump's order for imported volumes.
    const bricksOfVolume = new Map<string, Row[]>();
    for (const b of bricks) {
      let l = bricksOfVolume.get(b.volume_id as string);
      if (!l) bricksOfVolume.set(b.volume_id as string, (l = []));
      l.push(b);
    }
    for (const l of bricksOfVolume.values()) {
      l.sort((a, b) => (a.position as number) - (b.position as number) || cmp(a.id as string, b.id as string));
    }

    for (const v of volumes) {
      const id = v.id as string;
      const hosts = (nodesOfCluster.get(v.cluster_id as string) ?? []).map((n) => storageOfNode.get(n)!);
      const blockvolume = blockOfVolume.get(id) ?? [];
      dump.volumeentries[id] = {
        Info: {
          size: v.size as number,
          ...clustersField(v),
          name: v.name as string,
          durability: JSON.parse(v.durability as string) as unknown,
          ...(v.gid ? { gid: v.gid as number } : {}),
          ...(v.block ? { block: true } : {}),
          snapshot: { enable: v.snapshot_enable === 1, factor: float32Shortest(v.snapshot_factor as number) },
          id,
          cluster: v.cluster_id as string,
          mount: {
            glusterfs: {
              hosts,
              device: `${hosts[0] ?? ''}:${v.name as string}`,
              options: { 'backup-volfile-servers': hosts.slice(1).join(',') },
            },
          },
          blockinfo: {
            ...(v.block_free ? { freesize: v.block_free as number } : {}),
            ...(v.block_reserved ? { reservedsize: v.block_reserved as number } : {}),
            ...(blockvolume.length > 0 ? { blockvolume } : {}),
            ...(v.block_restriction ? { restriction: v.block_restriction as string } : {}),
          },
        },
        Bricks: (bricksOfVolume.get(id) ?? []).map((b) => b.id as string),
        GlusterVolumeOptions: JSON.parse(v.options as string) as string[] | null,
        Pending: pendingField(v),
      };
    }

    for (const b of bricks) {
      const id = b.id as string;
      dump.brickentries[id] = {
        Info: {
          id,
          path: b.path as string,
          device: b.device_id as string,
          node: b.node_id as string,
          volume: b.volume_id as string,
          size: b.size as number,
        },
        TpSize: b.tp_size as number,
        PoolMetadataSize: b.pool_metadata_size as number,
        Pending: pendingField(b),
        LvmThinPool: b.thin_pool as string,
        LvmLv: b.lv_name as string,
        SubType: b.sub_type as number,
      };
    }

    for (const n of nodes) {
      const id = n.id as string;
      dump.nodeentries[id] = {
        State: n.state as string,
        Info: {
          zone: n.zone as number,
          hostnames: { manage: [n.manage_hostname as string], storage: [n.storage_hostname as string] },
          cluster: n.cluster_id as string,
          ...tagsField(n.tags as string),
          id,
        },
        Devices: devicesOfNode.get(id) ?? [],
      };
    }

    for (const d of devices) {
      const id = d.id as string;
      const paths = JSON.parse(d.paths as string) as string[];
      dump.deviceentries[id] = {
        State: d.state as string,
        Info: {
          name: d.name as string,
          ...tagsField(d.tags as string),
          storage: { total: d.total as number, free: d.free as number, used: d.used as number },
          id,
          ...(paths.length > 0 ? { paths } : {}),
          ...(d.pv_uuid ? { pv_uuid: d.pv_uuid as string } : {}),
        },
        Bricks: bricksOfDevice.get(id) ?? [],
        NodeId: d.node_id as string,
        ExtentSize: d.extent_size as number,
      };
    }

    for (const b of blockVolumes) {
      const id = b.id as string;
      dump.blockvolumeentries[id] = {
        Info: {
          size: b.size as number,
          ...clustersField(b),
          name: b.name as string,
          ...(b.hacount ? { hacount: b.hacount as number } : {}),
          ...(b.auth ? { auth: true } : {}),
          id,
          blockvolume: {
            hosts: JSON.parse(b.hosts as string) as string[] | null,
            iqn: b.iqn as string,
            lun: b.lun as number,
            username: b.username as string,
            password: b.password as string,
          },
          ...(b.cluster_id ? { cluster: b.cluster_id as string } : {}),
          ...(b.hosting_volume ? { blockhostingvolume: b.hosting_volume as string } : {}),
          ...(b.usable_size ? { usablesize: b.usable_size as number } : {}),
        },
        Pending: pendingField(b),
      };
    }

    for (const a of attributes) dump.dbattributeentries[a.key] = { Key: a.key, Value: a.value };

    for (const op of operations) {
      const type = OP_NUMBER_BY_TYPE[op.type as string];
      if (type === undefined) continue; // Brickyard-only journal entries (node/device add/delete)
      const actions = JSON.parse(op.actions as string) as { change: number; id: string; delta?: unknown }[];
      dump.pendingoperations[op.id as string] = {
        Id: op.id as string,
        Timestamp: op.timestamp as number,
        Type: type,
        Actions: actions.map((a) => ({ Change: a.change, Id: a.id, Delta: a.delta === undefined ? null : a.delta })),
        Status: op.status as string,
      };
    }
    return dump;
  })();
}
