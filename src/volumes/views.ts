import type { DB } from '../store/db.js';
import { stmt } from '../store/stmt.js';
import { clusterNodes, type ClusterRow } from '../store/topology.js';
import { blockVolumeIdsOf, volumeBricks, type VolumeRow } from '../store/volumes.js';
import { brickInfo, nodeViewsByCluster, type BrickInfoRow } from '../topology/views.js';
import { groupBy } from '../util/group.js';
import { float32Shortest } from '../util/float32.js';

/** Storage hosts of every node of the cluster in cluster order (sorted ids), recomputed per read. */
export function mountHosts(db: DB, clusterId: string): string[] {
  return clusterNodes(db, clusterId).map((n) => n.storage_hostname);
}

/**
 * The part of a volume's info that only depends on its cluster: the mount hosts, listed twice
 * (`hosts` and `backup-volfile-servers`), which at 100 nodes per cluster is most of the info's
 * bytes. Serialised once per cluster and read, not once per volume.
 */
interface ClusterMount {
  /** `hosts` as JSON. */
  hostsJson: string;
  /** The first host, the one `device` names. */
  first: string;
  /** `options` as JSON. */
  optionsJson: string;
}

function clusterMount(hosts: string[]): ClusterMount {
  return {
    hostsJson: JSON.stringify(hosts),
    first: hosts[0] ?? '',
    optionsJson: JSON.stringify({ 'backup-volfile-servers': hosts.slice(1).join(',') }),
  };
}

/** What a volume's info is built from besides its row. */
interface VolumeParts {
  mount: ClusterMount;
  /** Its bricks, in any order. */
  bricks: BrickInfoRow[];
  /** Visible block volumes it hosts, sorted. */
  blockVolumes: string[];
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * VolumeInfo as JSON text, in Heketi's field order and presence rules (heketi-api.md §3.5): the
 * fields before and after `mount` serialised as objects, the cluster's mount part spliced in.
 */
function volumeInfoJson(v: VolumeRow, { mount, bricks, blockVolumes }: VolumeParts): string {
  const options = JSON.parse(v.options) as string[];
  const head = JSON.stringify({
    size: v.size,
    name: v.name,
    durability: JSON.parse(v.durability) as unknown,
    ...(v.gid ? { gid: v.gid } : {}),
    ...(options.length > 0 ? { glustervolumeoptions: options } : {}),
    ...(v.block ? { block: true } : {}),
    snapshot: { enable: v.snapshot_enable === 1, factor: v.snapshot_enable === 1 ? float32Shortest(v.snapshot_factor) : 1 },
    id: v.id,
    cluster: v.cluster_id,
  });
  const blockinfo = v.block
    ? {
        ...(v.block_free ? { freesize: v.block_free } : {}),
        ...(v.block_reserved ? { reservedsize: v.block_reserved } : {}),
        ...(blockVolumes.length > 0 ? { blockvolume: blockVolumes } : {}),
        ...(v.block_restriction ? { restriction: v.block_restriction } : {}),
      }
    : {};
  const tail = JSON.stringify({ blockinfo, bricks: bricks.map(brickInfo).sort(byId) });
  const device = JSON.stringify(`${mount.first}:${v.name}`);
  return `${head.slice(0, -1)},"mount":{"glusterfs":{"hosts":${mount.hostsJson},"device":${device},"options":${mount.optionsJson}}},${tail.slice(1)}`;
}

/** One volume's info (GET /volumes/{id}) as JSON text. */
export function volumeViewJson(db: DB, v: VolumeRow): string {
  return volumeInfoJson(v, {
    mount: clusterMount(mountHosts(db, v.cluster_id)),
    bricks: volumeBricks(db, v.id),
    blockVolumes: v.block ? blockVolumeIdsOf(db, v.id, true) : [],
  });
}

/**
 * The infos of many volumes as JSON texts, each equal to `volumeViewJson`'s, from three statements
 * in all (bricks, mount hosts, block volumes) instead of three per volume, and each cluster's mount
 * part serialised once. The ids travel as one JSON array; `all` reads every row instead (the whole
 * pool: cheaper than looking up each of its ids).
 */
function volumeViewsJson(db: DB, volumes: VolumeRow[], all = false): string[] {
  if (volumes.length === 0) return [];
  const ids = JSON.stringify(volumes.map((v) => v.id));
  const brickRows = (
    all
      ? stmt(db, 'SELECT id, path, device_id, node_id, volume_id, size FROM bricks ORDER BY volume_id, id').all()
      : stmt(
          db,
          'SELECT id, path, device_id, node_id, volume_id, size FROM bricks WHERE volume_id IN (SELECT value FROM json_each(?)) ORDER BY volume_id, id',
        ).all(ids)
  ) as BrickInfoRow[];
  const bricks = groupBy(brickRows, (b) => b.volume_id);
  const clusterIds = JSON.stringify([...new Set(volumes.map((v) => v.cluster_id))]);
  const hostRows = stmt(
    db,
    'SELECT cluster_id, storage_hostname FROM nodes WHERE pending_op IS NULL AND cluster_id IN (SELECT value FROM json_each(?)) ORDER BY id',
  ).all(clusterIds) as { cluster_id: string; storage_hostname: string }[];
  const mounts = new Map([...groupBy(hostRows, (h) => h.cluster_id)].map(([id, rows]) => [id, clusterMount(rows.map((h) => h.storage_hostname))]));
  const noHosts = clusterMount([]);
  const blockRows = (
    all
      ? stmt(db, 'SELECT hosting_volume, id FROM block_volumes WHERE pending_op IS NULL ORDER BY id').all()
      : stmt(db, 'SELECT hosting_volume, id FROM block_volumes WHERE pending_op IS NULL AND hosting_volume IN (SELECT value FROM json_each(?)) ORDER BY id').all(ids)
  ) as { hosting_volume: string; id: string }[];
  const blocks = groupBy(blockRows, (b) => b.hosting_volume);
  return volumes.map((v) =>
    volumeInfoJson(v, {
      mount: mounts.get(v.cluster_id) ?? noHosts,
      bricks: bricks.get(v.id) ?? [],
      blockVolumes: (blocks.get(v.id) ?? []).map((b) => b.id),
    }),
  );
}

export interface VolumePageQuery {
  limit: number;
  /** Keyset cursor: only ids after this one (id order only). */
  after?: string;
  /** Skip this many of the sorted, filtered volumes (a console's "page N"). */
  offset?: number;
  name?: string;
  cluster?: string;
  /** Case-insensitive part of the name, or the start of the id. */
  search?: string;
  sort?: VolumeSort;
}

export const VOLUME_SORTS = ['id', 'name', 'size', 'cluster'] as const;
export type VolumeSort = { key: (typeof VOLUME_SORTS)[number]; desc: boolean };
const SORT_COLUMN: Record<VolumeSort['key'], string> = { id: 'id', name: 'name', size: 'size', cluster: 'cluster_id' };


/**
 * One page of visible volumes (pending ones excluded, as in GET /volumes) with their infos, in id
 * order by default. Keyset paging (`after`, id order): a volume that exists from the first page
 * to the last is listed exactly once whatever is created or deleted in between. `offset` pages
 * any sort order (ties broken by id) for a console's numbered pages. The answer is JSON text,
 * `{volumes, next, total}`: `next` is the cursor for the next page (the last id of this one) or
 * null on the last page, `total` the visible volumes matching the filters over all pages.
 */
export function volumePageJson(db: DB, q: VolumePageQuery): string {
  const where = ['pending_op IS NULL'];
  const args: (string | number)[] = [];
  if (q.name !== undefined) {
    where.push('name = ?');
    args.push(q.name);
  }
  if (q.cluster !== undefined) {
    where.push('cluster_id = ?');
    args.push(q.cluster);
  }
  if (q.search !== undefined) {
    // LIKE with the user's text as data: % and _ escaped; ASCII case-insensitive as SQLite's LIKE.
    const like = q.search.replace(/[\\%_]/g, (c) => `\\${c}`);
    where.push(`(name LIKE ? ESCAPE '\\' OR id LIKE ? ESCAPE '\\')`);
    args.push(`%${like}%`, `${like.toLowerCase()}%`);
  }
  const filter = where.join(' AND ');
  const total = (stmt(db, `SELECT COUNT(*) AS n FROM volumes WHERE ${filter}`).get(...args) as { n: number }).n;
  const sort = q.sort ?? { key: 'id', desc: false };
  const dir = sort.desc ? 'DESC' : 'ASC';
  const order = sort.key === 'id' ? `id ${dir}` : `${SORT_COLUMN[sort.key]} ${dir}, id ${dir}`;
  // One more row than asked tells whether another page follows.
  const rows = (
    q.after !== undefined
      ? stmt(db, `SELECT * FROM volumes WHERE ${filter} AND id > ? ORDER BY id LIMIT ?`).all(...args, q.after, q.limit + 1)
      : stmt(db, `SELECT * FROM volumes WHERE ${filter} ORDER BY ${order} LIMIT ? OFFSET ?`).all(...args, q.limit + 1, q.offset ?? 0)
  ) as VolumeRow[];
  const page = rows.slice(0, q.limit);
  // The keyset cursor only means something in id order.
  const next = rows.length > q.limit && sort.key === 'id' && !sort.desc ? page[page.length - 1]!.id : null;
  return `{"volumes":[${volumeViewsJson(db, page).join(',')}],"next":${JSON.stringify(next)},"total":${total}}`;
}

/**
 * `{clusters: [{volumes, nodes, id, block, file}]}` with full volume and node infos, the object
 * heketi-cli's `topology info` builds from one request per cluster, node and volume, as JSON text;
 * eight statements.
 */
export function topologyViewJson(db: DB): string {
  const clusters = stmt(db, 'SELECT * FROM clusters ORDER BY id').all() as ClusterRow[];
  const rows = stmt(db, 'SELECT * FROM volumes WHERE pending_op IS NULL ORDER BY id').all() as VolumeRow[];
  const infos = volumeViewsJson(db, rows, true);
  const volumes = groupBy(
    rows.map((v, i) => ({ cluster: v.cluster_id, json: infos[i]! })),
    (v) => v.cluster,
  );
  const nodes = nodeViewsByCluster(db);
  const parts = clusters.map(
    (c) =>
      `{"volumes":[${(volumes.get(c.id) ?? []).map((v) => v.json).join(',')}],"nodes":${JSON.stringify(nodes.get(c.id) ?? [])},` +
      `"id":${JSON.stringify(c.id)},"block":${c.block === 1},"file":${c.file === 1}}`,
  );
  return `{"clusters":[${parts.join(',')}]}`;
}
