import type { DB } from '../store/db.js';
import { clusterNodes } from '../store/topology.js';
import { blockVolumeIdsOf, volumeBricks, type VolumeRow } from '../store/volumes.js';
import { brickInfo } from '../topology/views.js';
import { float32Shortest } from '../util/float32.js';

/** Storage hosts of every node of the cluster in cluster order (sorted ids), recomputed per read. */
export function mountHosts(db: DB, clusterId: string): string[] {
  return clusterNodes(db, clusterId).map((n) => n.storage_hostname);
}

/** VolumeInfo in Heketi's field order and presence rules (heketi-api.md §3.5). */
export function volumeView(db: DB, v: VolumeRow) {
  const hosts = mountHosts(db, v.cluster_id);
  const options = JSON.parse(v.options) as string[];
  const blockvolume = v.block ? blockVolumeIdsOf(db, v.id, true) : [];
  const blockinfo = v.block
    ? {
        ...(v.block_free ? { freesize: v.block_free } : {}),
        ...(v.block_reserved ? { reservedsize: v.block_reserved } : {}),
        ...(blockvolume.length > 0 ? { blockvolume } : {}),
        ...(v.block_restriction ? { restriction: v.block_restriction } : {}),
      }
    : {};
  const bricks = volumeBricks(db, v.id)
    .map(brickInfo)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    size: v.size,
    name: v.name,
    durability: JSON.parse(v.durability) as unknown,
    ...(v.gid ? { gid: v.gid } : {}),
    ...(options.length > 0 ? { glustervolumeoptions: options } : {}),
    ...(v.block ? { block: true } : {}),
    snapshot: { enable: v.snapshot_enable === 1, factor: v.snapshot_enable === 1 ? float32Shortest(v.snapshot_factor) : 1 },
    id: v.id,
    cluster: v.cluster_id,
    mount: {
      glusterfs: {
        hosts,
        device: `${hosts[0] ?? ''}:${v.name}`,
        options: { 'backup-volfile-servers': hosts.slice(1).join(',') },
      },
    },
    blockinfo,
    bricks,
  };
}
