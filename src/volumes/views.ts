import type { DB } from '../store/db.js';
import { stmt } from '../store/stmt.js';
import { clusterNodes, type ClusterRow } from '../store/topology.js';
import { blockVolumeIdsOf, volumeBricks, type VolumeRow } from '../store/volumes.js';
import { brickInfo, clusterNodeViews, type BrickInfoRow } from '../topology/views.js';
import { groupBy } from '../util/group.js';
import { float32Shortest } from '../util/float32.js';
import { JsonBytes } from '../util/json-bytes.js';

/** Storage hosts of every node of the cluster in cluster order (sorted ids), recomputed per read. */
export function mountHosts(db: DB, clusterId: string): string[] {
  return clusterNodes(db, clusterId).map((n) => n.storage_hostname);
}

/**
 * The part of a volume's info that only depends on its cluster: the mount hosts, listed twice
 * (`hosts` and `backup-volfile-servers`), which at 100 nodes per cluster is most of the info's
 * bytes. Serialised once per cluster, not once per volume.
 */
interface ClusterMount {
  /** `,"mount":{"glusterfs":{"hosts":[…],"device":` */
  before: string;
  /** The first host, the one `device` names. */
  first: string;
  /** `,"options":{"backup-volfile-servers":"…"}}},` */
  after: string;
}

function clusterMount(hosts: string[]): ClusterMount {
  return {
    before: `,"mount":{"glusterfs":{"hosts":${JSON.stringify(hosts)},"device":`,
    first: hosts[0] ?? '',
    after: `,"options":${JSON.stringify({ 'backup-volfile-servers': hosts.slice(1).join(',') })}}},`,
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
 * Appends a VolumeInfo's JSON text to `out`, in Heketi's field order and presence rules
 * (heketi-api.md §3.5): the fields before and after `mount` serialised as objects, the cluster's
 * mount parts in between.
 */
function volumeInfoJson(out: JsonBytes, v: VolumeRow, { mount, bricks, blockVolumes }: VolumeParts): void {
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
  out.push(head.slice(0, -1)).push(mount.before).value(`${mount.first}:${v.name}`).push(mount.after).push(tail.slice(1));
}

/** One volume's info (GET /volumes/{id}) as JSON. */
export function volumeViewJson(db: DB, v: VolumeRow): JsonBytes {
  const out = new JsonBytes();
  volumeInfoJson(out, v, {
    mount: clusterMount(mountHosts(db, v.cluster_id)),
    bricks: volumeBricks(db, v.id),
    blockVolumes: v.block ? blockVolumeIdsOf(db, v.id, true) : [],
  });
  return out;
}

/** What the infos of many volumes are built from besides their rows, each read once for all of them. */
interface VolumeLookups {
  bricks: Map<string, BrickInfoRow[]>;
  mounts: Map<string, ClusterMount>;
  blocks: Map<string, { hosting_volume: string; id: string }[]>;
}

/**
 * Three statements for any number of volumes (bricks, mount hosts, block volumes) instead of three
 * per volume, each cluster's mount parts serialised once: for the volumes of a page (their ids
 * travel as one JSON array) or for all of a cluster's.
 */
function volumeLookups(db: DB, scope: { volumes: VolumeRow[] } | { cluster: string }): VolumeLookups {
  // Bricks in any order: volumeInfoJson sorts each volume's.
  const brickSql = 'SELECT b.id, b.path, b.device_id, b.node_id, b.volume_id, b.size FROM bricks b';
  const blockSql = 'SELECT hosting_volume, id FROM block_volumes WHERE pending_op IS NULL';
  const hostSql = 'SELECT cluster_id, storage_hostname FROM nodes WHERE pending_op IS NULL';
  let brickRows, blockRows, hostRows;
  if ('cluster' in scope) {
    brickRows = stmt(db, `${brickSql} JOIN volumes v ON v.id = b.volume_id WHERE v.cluster_id = ?`).all(scope.cluster);
    blockRows = stmt(db, `${blockSql} AND cluster_id = ? ORDER BY id`).all(scope.cluster);
    hostRows = stmt(db, `${hostSql} AND cluster_id = ? ORDER BY id`).all(scope.cluster);
  } else {
    const ids = JSON.stringify(scope.volumes.map((v) => v.id));
    brickRows = stmt(db, `${brickSql} WHERE b.volume_id IN (SELECT value FROM json_each(?))`).all(ids);
    blockRows = stmt(db, `${blockSql} AND hosting_volume IN (SELECT value FROM json_each(?)) ORDER BY id`).all(ids);
    const clusterIds = JSON.stringify([...new Set(scope.volumes.map((v) => v.cluster_id))]);
    hostRows = stmt(db, `${hostSql} AND cluster_id IN (SELECT value FROM json_each(?)) ORDER BY id`).all(clusterIds);
  }
  const hosts = groupBy(hostRows as { cluster_id: string; storage_hostname: string }[], (h) => h.cluster_id);
  return {
    bricks: groupBy(brickRows as BrickInfoRow[], (b) => b.volume_id),
    mounts: new Map([...hosts].map(([id, rows]) => [id, clusterMount(rows.map((h) => h.storage_hostname))])),
    blocks: groupBy(blockRows as { hosting_volume: string; id: string }[], (b) => b.hosting_volume),
  };
}

const noHosts = clusterMount([]);

/** Appends the infos of `volumes` to `out`, comma-separated, each equal to `volumeViewJson`'s. */
function volumeInfosJson(out: JsonBytes, volumes: VolumeRow[], { bricks, mounts, blocks }: VolumeLookups): void {
  volumes.forEach((v, i) => {
    if (i > 0) out.push(',');
    volumeInfoJson(out, v, {
      mount: mounts.get(v.cluster_id) ?? noHosts,
      bricks: bricks.get(v.id) ?? [],
      blockVolumes: (blocks.get(v.id) ?? []).map((b) => b.id),
    });
  });
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
export function volumePageJson(db: DB, q: VolumePageQuery): JsonBytes {
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
  const out = new JsonBytes().push('{"volumes":[');
  volumeInfosJson(out, page, volumeLookups(db, { volumes: page }));
  out.push(`],"next":${JSON.stringify(next)},"total":${total}}`);
  return out;
}

/**
 * `{clusters: [{volumes, nodes, id, block, file}]}` with full volume and node infos, the object
 * heketi-cli's `topology info` builds from one request per cluster, node and volume; one cluster
 * after the other, eight statements each, so that only one cluster's rows are held at a time.
 */
export function topologyViewJson(db: DB): JsonBytes {
  const clusters = stmt(db, 'SELECT * FROM clusters ORDER BY id').all() as ClusterRow[];
  const out = new JsonBytes().push('{"clusters":[');
  clusters.forEach((c, i) => {
    out.push(i > 0 ? ',{"volumes":[' : '{"volumes":[');
    const volumes = stmt(db, 'SELECT * FROM volumes WHERE cluster_id = ? AND pending_op IS NULL ORDER BY id').all(c.id) as VolumeRow[];
    volumeInfosJson(out, volumes, volumeLookups(db, { cluster: c.id }));
    out.push('],"nodes":[');
    clusterNodeViews(db, c.id).forEach((n, j) => out.push(j > 0 ? ',' : '').value(n));
    out.push(`],"id":${JSON.stringify(c.id)},"block":${c.block === 1},"file":${c.file === 1}}`);
  });
  return out.push(']}');
}
