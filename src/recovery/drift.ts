/**
 * Drift between the database and the nodes (Brickyard extension, beyond Heketi's examiner).
 *
 * `driftReport` examines every node (`NodeOps.examine`: pvs/vgs/lvs, mount, fstab, gluster volume
 * info) and lists what exists on one side only, or differs: volumes, bricks, LVs, mounts, fstab
 * lines, VGs, sizes. `repairDrift` applies only fixes that cannot lose data Brickyard does not own:
 * it removes node-side leftovers the DB does not know that carry Brickyard/Heketi names —
 * `vg_<id>/brick_<id>` and `tp_<id>` LVs, their fstab lines, mounts and mount directories, empty
 * `vg_<id>` volume groups of unknown devices, gluster volumes tagged `user.heketi.id` with an id
 * the DB does not have — and never touches anything else.
 *
 * Why this is safe while operations run: every operation writes its DB rows (pending) before it
 * creates anything on a node and deletes them only after the node-side object is gone, so an
 * object of an in-flight operation is always known to the DB.
 */
import type { AppContext } from '../core/context.js';
import { errorText } from '../errors.js';
import type { ExamineReport } from '../gluster/nodeops.js';
import type { GlusterVolume } from '../gluster/parse.js';
import { HEKETI_MOUNTS, dmDevNode, isGlusterdManagedMount, mountPointOf } from '../gluster/planner.js';
import { stmt } from '../store/stmt.js';
import type { DeviceRow, NodeRow } from '../store/topology.js';
import type { BrickRow, VolumeRow } from '../store/volumes.js';

export interface DriftItem {
  /** e.g. `volume-missing`, `lv-unknown`, `size-mismatch` (see KINDS in the docs). */
  kind: string;
  /** Node id the item was seen on ('' when it concerns no single node). */
  node: string;
  detail: string;
}

export interface DriftReportResult {
  clean: boolean;
  items: DriftItem[];
}

export interface RepairResult {
  dry_run: boolean;
  fixes: string[];
}

// ---------------------------------------------------------------------------------- DB view

// Only the columns the comparison reads, typed from the store's rows.
type NodeR = Pick<NodeRow, 'id' | 'cluster_id' | 'manage_hostname' | 'storage_hostname' | 'pending_op'>;
type DeviceR = Pick<DeviceRow, 'id' | 'node_id' | 'name' | 'extent_size' | 'pending_op'>;
type VolumeR = Pick<VolumeRow, 'id' | 'cluster_id' | 'name' | 'pending_op'>;
type BrickR = Pick<BrickRow, 'id' | 'volume_id' | 'device_id' | 'node_id' | 'path' | 'size' | 'tp_size' | 'lv_name' | 'thin_pool' | 'position' | 'pending_op'>;

interface DbView {
  nodes: NodeR[];
  devices: Map<string, DeviceR>;
  volumes: VolumeR[];
  volumeNames: Set<string>;
  volumeIds: Set<string>;
  bricks: BrickR[];
  brickIds: Set<string>;
  /** `vg/lv` of every brick LV and thin pool the DB knows (pending ones included). */
  knownLvs: Set<string>;
  /** Mount points of every brick the DB knows. */
  knownMounts: Set<string>;
}

function readDb(ctx: AppContext): DbView {
  return ctx.db.transaction((): DbView => {
    const nodes = stmt(ctx.db, 'SELECT id, cluster_id, manage_hostname, storage_hostname, pending_op FROM nodes ORDER BY id').all() as NodeR[];
    const devices = stmt(ctx.db, 'SELECT id, node_id, name, extent_size, pending_op FROM devices ORDER BY id').all() as DeviceR[];
    const volumes = stmt(ctx.db, 'SELECT id, cluster_id, name, pending_op FROM volumes ORDER BY id').all() as VolumeR[];
    const bricks = stmt(
      ctx.db,
      'SELECT id, volume_id, device_id, node_id, path, size, tp_size, lv_name, thin_pool, position, pending_op FROM bricks ORDER BY volume_id, position, id',
    ).all() as BrickR[];
    const knownLvs = new Set<string>();
    const knownMounts = new Set<string>();
    for (const b of bricks) {
      knownLvs.add(`vg_${b.device_id}/${b.lv_name || `brick_${b.id}`}`);
      knownLvs.add(`vg_${b.device_id}/${b.thin_pool}`);
      knownMounts.add(brickMount(b.path));
    }
    return {
      nodes,
      devices: new Map(devices.map((d) => [d.id, d])),
      volumes,
      volumeNames: new Set(volumes.map((v) => v.name)),
      volumeIds: new Set(volumes.map((v) => v.id)),
      bricks,
      brickIds: new Set(bricks.map((b) => b.id)),
      knownLvs,
      knownMounts,
    };
  })();
}

function brickMount(path: string): string {
  try {
    return mountPointOf(path);
  } catch {
    return path.endsWith('/brick') ? path.slice(0, -'/brick'.length) : path;
  }
}

// ---------------------------------------------------------------------------------- examination

export interface NodeExamination {
  node: NodeR;
  report?: ExamineReport;
  error?: string;
}

/** Examines every node of every cluster (nodes being added are skipped), in parallel. */
export async function examineNodes(ctx: AppContext, nodes?: NodeR[]): Promise<NodeExamination[]> {
  const list = nodes ?? readDb(ctx).nodes.filter((n) => !n.pending_op);
  return Promise.all(
    list.map(async (node): Promise<NodeExamination> => {
      try {
        return { node, report: await ctx.nodeOps.examine(node.manage_hostname) };
      } catch (e) {
        return { node, error: errorText(e) };
      }
    }),
  );
}

const HEX = '[0-9a-f]{32}';
const VG_RE = new RegExp(`^vg_(${HEX})$`);
const BRICK_LV_RE = new RegExp(`^brick_(${HEX})$`);
const TP_LV_RE = new RegExp(`^tp_(${HEX})$`);
const MOUNT_RE = new RegExp(`^${HEKETI_MOUNTS.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/vg_(${HEX})/brick_(${HEX})$`);
const ID_RE = new RegExp(`^${HEX}$`);

/** A brick-shaped leftover on a node: its id and the device its names point at. */
interface LeftoverBrick {
  node: NodeR;
  brickId: string;
  deviceId: string;
  evidence: string[];
}
interface LeftoverVolume {
  node: NodeR;
  name: string;
  heketiId: string;
  bricks: string[];
}
interface LeftoverVg {
  node: NodeR;
  deviceId: string;
  pvName: string;
  lvs: string[];
}

interface Analysis {
  items: DriftItem[];
  bricks: LeftoverBrick[];
  volumes: LeftoverVolume[];
  vgs: LeftoverVg[];
  /** `host:path` of every brick in a gluster volume, per volume name. */
  glusterBricks: Map<string, string[]>;
}

function analyze(db: DbView, exams: NodeExamination[]): Analysis {
  const out: Analysis = { items: [], bricks: [], volumes: [], vgs: [], glusterBricks: new Map() };
  const item = (kind: string, node: string, detail: string) => out.items.push({ kind, node, detail });
  const leftoverBricks = new Map<string, LeftoverBrick>();
  const leftover = (node: NodeR, brickId: string, deviceId: string, evidence: string) => {
    const key = `${node.id}/${brickId}`;
    let l = leftoverBricks.get(key);
    if (!l) leftoverBricks.set(key, (l = { node, brickId, deviceId, evidence: [] }));
    l.evidence.push(evidence);
  };

  for (const { node, report, error } of exams) {
    if (!report) {
      item('node-unreachable', node.id, `node ${node.manage_hostname} could not be examined: ${error ?? 'no report'}`);
      continue;
    }
    // A node on which no brick was ever made may have no fstab file yet (a dedicated fstab path,
    // created by the first brick): that is an empty fstab, not an examine error.
    const noFstab = report.errors.filter((e) => /^fstab: .*No such file or directory/.test(e));
    if (noFstab.length > 0 && report.fstab === undefined) report.fstab = [];
    for (const e of report.errors) if (!noFstab.includes(e)) item('examine-error', node.id, `${node.manage_hostname}: ${e}`);
    const devices = [...db.devices.values()].filter((d) => d.node_id === node.id);
    const bricks = db.bricks.filter((b) => b.node_id === node.id);
    // Mount points of this node's bricks: a mount or fstab line for a brick of another node is unknown here.
    const nodeMounts = new Set(bricks.map((b) => brickMount(b.path)));

    // ---- volume groups
    if (report.vgs) {
      const vgs = new Map(report.vgs.map((v) => [v.vgName, v]));
      for (const d of devices) {
        if (!d.pending_op && !vgs.has(`vg_${d.id}`)) item('vg-missing', node.id, `device ${d.id} (${d.name}): volume group vg_${d.id} not found on ${node.manage_hostname}`);
      }
      for (const v of report.vgs) {
        const m = VG_RE.exec(v.vgName);
        if (!m) continue;
        const dev = db.devices.get(m[1]!);
        if (dev && dev.node_id === node.id) continue;
        if (dev) {
          item('vg-unknown', node.id, `volume group ${v.vgName} belongs to device ${dev.id} of node ${dev.node_id}, not to this node`);
          continue;
        }
        item('vg-unknown', node.id, `volume group ${v.vgName} (${v.lvCount} LVs) on ${node.manage_hostname} is not a device in the database`);
        const pv = report.pvs?.find((p) => p.vgName === v.vgName);
        const lvs = (report.lvs ?? []).filter((l) => l.vgName === v.vgName).map((l) => l.lvName);
        if (pv) out.vgs.push({ node, deviceId: m[1]!, pvName: pv.pvName, lvs });
      }
    }

    // ---- logical volumes
    if (report.lvs) {
      const lvs = new Map(report.lvs.map((l) => [`${l.vgName}/${l.lvName}`, l]));
      for (const b of bricks) {
        if (b.pending_op) continue;
        const dev = db.devices.get(b.device_id);
        const ext = dev?.extent_size || 4096;
        const lvKey = `vg_${b.device_id}/${b.lv_name || `brick_${b.id}`}`;
        const poolKey = `vg_${b.device_id}/${b.thin_pool}`;
        const lv = lvs.get(lvKey);
        if (!lv) item('lv-missing', node.id, `brick ${b.id}: logical volume ${lvKey} not found`);
        else {
          if (lv.poolLv !== '' && lv.poolLv !== b.thin_pool) item('lv-mismatch', node.id, `brick ${b.id}: ${lvKey} is in thin pool ${lv.poolLv}, the database says ${b.thin_pool}`);
          if (lv.lvSize < b.size || lv.lvSize - b.size >= ext) item('size-mismatch', node.id, `brick ${b.id}: ${lvKey} is ${lv.lvSize} KiB, the database says ${b.size} KiB`);
        }
        const pool = lvs.get(poolKey);
        if (!pool) item('lv-missing', node.id, `brick ${b.id}: thin pool ${poolKey} not found`);
        else if (b.lv_name === '' && (pool.lvSize < b.tp_size || pool.lvSize - b.tp_size >= ext)) {
          item('size-mismatch', node.id, `brick ${b.id}: thin pool ${poolKey} is ${pool.lvSize} KiB, the database says ${b.tp_size} KiB`);
        }
      }
      for (const l of report.lvs) {
        const vm = VG_RE.exec(l.vgName);
        if (!vm) continue; // not a Brickyard/Heketi volume group
        const key = `${l.vgName}/${l.lvName}`;
        if (db.knownLvs.has(key)) continue;
        const bm = BRICK_LV_RE.exec(l.lvName) ?? TP_LV_RE.exec(l.lvName);
        if (bm && !db.brickIds.has(bm[1]!)) {
          item('lv-unknown', node.id, `logical volume ${key} (${l.lvSize} KiB) belongs to no brick in the database`);
          leftover(node, bm[1]!, vm[1]!, `LV ${key}`);
        } else {
          item('lv-unknown', node.id, `logical volume ${key} (${l.lvSize} KiB) is not known to the database`);
        }
      }
    }

    // ---- mounts
    if (report.mounts) {
      const byPoint = new Map(report.mounts.map((m) => [m.mountPoint, m]));
      for (const b of bricks) {
        if (b.pending_op) continue;
        const mp = brickMount(b.path);
        const m = byPoint.get(mp);
        const dev = dmDevNode(`vg_${b.device_id}`, b.lv_name || `brick_${b.id}`);
        if (!m) item('mount-missing', node.id, `brick ${b.id}: ${mp} is not mounted`);
        else if (m.device !== dev && !isGlusterdManagedMount(mp)) item('mount-mismatch', node.id, `brick ${b.id}: ${mp} has ${m.device} mounted, expected ${dev}`);
      }
      for (const m of report.mounts) {
        if (!m.mountPoint.startsWith(`${HEKETI_MOUNTS}/`) || nodeMounts.has(m.mountPoint)) continue;
        const mm = MOUNT_RE.exec(m.mountPoint);
        item('mount-unknown', node.id, `${m.device} mounted on ${m.mountPoint} belongs to no brick in the database`);
        if (mm && !db.brickIds.has(mm[2]!)) leftover(node, mm[2]!, mm[1]!, `mount ${m.mountPoint}`);
      }
    }

    // ---- fstab
    if (report.fstab) {
      const points = new Set<string>();
      for (const line of report.fstab) {
        const fields = line.trim().split(/\s+/);
        if (fields[0]?.startsWith('#') || fields.length < 2) continue;
        const mp = fields[1]!;
        points.add(mp);
        if (!mp.startsWith(`${HEKETI_MOUNTS}/`) || nodeMounts.has(mp)) continue;
        const mm = MOUNT_RE.exec(mp);
        item('fstab-unknown', node.id, `fstab line "${line.trim()}" belongs to no brick in the database`);
        if (mm && !db.brickIds.has(mm[2]!)) leftover(node, mm[2]!, mm[1]!, `fstab line for ${mp}`);
      }
      for (const b of bricks) {
        if (b.pending_op) continue;
        const mp = brickMount(b.path);
        if (!isGlusterdManagedMount(mp) && !points.has(mp)) item('fstab-missing', node.id, `brick ${b.id}: no fstab line for ${mp}`);
      }
    }
  }

  // ---- gluster volumes, per cluster (from the first node that answered)
  const clusters = new Set(db.nodes.map((n) => n.cluster_id));
  const storageOf = new Map(db.nodes.map((n) => [n.id, n.storage_hostname]));
  const unknownSeen = new Set<string>();
  for (const clusterId of [...clusters].sort()) {
    const exam = exams.find((e) => e.node.cluster_id === clusterId && e.report?.volumes !== undefined);
    if (!exam) continue;
    const node = exam.node;
    const gv = new Map<string, GlusterVolume>(exam.report!.volumes!.map((v) => [v.name, v]));
    for (const v of exam.report!.volumes!) out.glusterBricks.set(v.name, v.bricks);
    for (const v of db.volumes) {
      if (v.cluster_id !== clusterId || v.pending_op) continue;
      const g = gv.get(v.name);
      if (!g) {
        item('volume-missing', node.id, `volume ${v.id} (${v.name}) does not exist in gluster`);
        continue;
      }
      const expected = db.bricks.filter((b) => b.volume_id === v.id && !b.pending_op).map((b) => `${storageOf.get(b.node_id) ?? '?'}:${b.path}`);
      if (expected.join(' ') !== g.bricks.join(' ')) {
        item('volume-bricks-mismatch', node.id, `volume ${v.id} (${v.name}): gluster has bricks [${g.bricks.join(' ')}], the database [${expected.join(' ')}]`);
      }
      const tag = g.options['user.heketi.id'];
      // Brickyard tags a clone with its own id; clones Heketi made keep their source's tag.
      const clone = db.bricks.some((b) => b.volume_id === v.id && b.lv_name !== '');
      if (tag !== undefined && tag !== v.id && !clone) item('volume-id-mismatch', node.id, `volume ${v.name}: gluster's user.heketi.id is ${tag}, the database id is ${v.id}`);
      if (g.status !== 'Started') item('volume-not-started', node.id, `volume ${v.id} (${v.name}) is ${g.status} in gluster`);
    }
    for (const g of exam.report!.volumes!) {
      if (db.volumeNames.has(g.name) || unknownSeen.has(g.name)) continue;
      unknownSeen.add(g.name);
      const tag = g.options['user.heketi.id'] ?? '';
      item('volume-unknown', node.id, `gluster volume ${g.name}${tag ? ` (user.heketi.id ${tag})` : ''} is not in the database`);
      if (ID_RE.test(tag) && !db.volumeIds.has(tag)) out.volumes.push({ node, name: g.name, heketiId: tag, bricks: g.bricks });
    }
  }
  out.bricks = [...leftoverBricks.values()];
  return out;
}

/** The drift report: every difference between the database and what the nodes report. */
export async function driftReport(ctx: AppContext): Promise<DriftReportResult> {
  const db = readDb(ctx);
  const a = analyze(db, await examineNodes(ctx, db.nodes.filter((n) => !n.pending_op)));
  return { clean: a.items.length === 0, items: a.items };
}

let repairChain: Promise<unknown> = Promise.resolve();

/**
 * Removes node-side leftovers the DB does not know (see the file comment). With `dryRun` only the
 * fixes that would be made are listed. Repairs are serialised.
 */
export function repairDrift(ctx: AppContext, dryRun: boolean): Promise<RepairResult> {
  const run = repairChain.then(() => doRepair(ctx, dryRun));
  repairChain = run.catch(() => undefined);
  return run;
}

async function doRepair(ctx: AppContext, dryRun: boolean): Promise<RepairResult> {
  const db = readDb(ctx);
  const a = analyze(db, await examineNodes(ctx, db.nodes.filter((n) => !n.pending_op)));
  const fixes: string[] = [];
  const apply = async (text: string, fn: () => Promise<unknown>) => {
    if (dryRun) {
      fixes.push(text);
      return true;
    }
    try {
      await fn();
      fixes.push(text);
      return true;
    } catch (e) {
      fixes.push(`${text}: failed: ${errorText(e)}`);
      return false;
    }
  };

  // 1. Gluster volumes tagged with a volume id the DB does not have.
  const removedVolumes = new Set<string>();
  for (const v of a.volumes) {
    const ok = await apply(`delete gluster volume ${v.name} (user.heketi.id ${v.heketiId}, unknown to the database) via ${v.node.manage_hostname}`, () =>
      ctx.nodeOps.volumeDestroy([v.node.manage_hostname], v.name),
    );
    if (ok) removedVolumes.add(v.name);
  }
  // Brick paths still used by a gluster volume that stays are never touched.
  const inUse = new Set<string>();
  for (const [name, bricks] of a.glusterBricks) {
    if (removedVolumes.has(name)) continue;
    for (const b of bricks) inUse.add(b.slice(b.indexOf(':/') + 1));
  }

  // 2. Brick leftovers: LV, thin pool, fstab line, mount and mount directory of unknown bricks.
  const removedLvs = new Set<string>();
  for (const l of a.bricks) {
    const mount = `${HEKETI_MOUNTS}/vg_${l.deviceId}/brick_${l.brickId}`;
    if (inUse.has(`${mount}/brick`)) continue;
    const ok = await apply(`destroy leftover brick ${l.brickId} on node ${l.node.id} (${l.node.manage_hostname}): ${l.evidence.join(', ')}`, () =>
      ctx.nodeOps.brickDestroy(l.node.manage_hostname, { id: l.brickId, deviceId: l.deviceId, path: `${mount}/brick` }),
    );
    if (ok) {
      removedLvs.add(`${l.node.id}:vg_${l.deviceId}/brick_${l.brickId}`);
      removedLvs.add(`${l.node.id}:vg_${l.deviceId}/tp_${l.brickId}`);
    }
  }

  // 3. Volume groups of unknown devices that are (now) empty, with their physical volume.
  for (const g of a.vgs) {
    if (!g.lvs.every((lv) => removedLvs.has(`${g.node.id}:vg_${g.deviceId}/${lv}`))) continue;
    await apply(`remove empty volume group vg_${g.deviceId} and physical volume ${g.pvName} on node ${g.node.id} (${g.node.manage_hostname}): unknown device`, () =>
      ctx.nodeOps.deviceTeardown({ manageHost: g.node.manage_hostname, deviceId: g.deviceId, deviceName: g.pvName, pvUuid: '', paths: [], force: false }),
    );
  }
  return { dry_run: dryRun, fixes };
}

// ---------------------------------------------------------------------------------- Heketi's examiner

const lvmSize = (kib: number) => `${kib.toFixed(2)}k`;

/**
 * `GET /internal/state/examine/gluster` in Heketi's shape: the DB dump, report lines and, per
 * cluster and node, what the node reports (gluster volume info, LVM reports, brick mounts).
 */
export async function examineGluster(ctx: AppContext): Promise<{ report: string[]; clusters: unknown[] }> {
  const db = readDb(ctx);
  const inFlight = ctx.ops.activeOps.size;
  const report: string[] = [];
  if (inFlight > 0) report.push(`OnDemand Examiner invoked while ${inFlight} ops are in flight`);
  const exams = await examineNodes(ctx, db.nodes.filter((n) => !n.pending_op));
  const clusterIds = (stmt(ctx.db, 'SELECT id FROM clusters ORDER BY id').all() as { id: string }[]).map((r) => r.id);
  let mismatch = false;
  const clusters = clusterIds.map((clusterId) => {
    const dbNames = new Set(db.volumes.filter((v) => v.cluster_id === clusterId && !v.pending_op).map((v) => v.name));
    const nodesData = exams
      .filter((e) => e.node.cluster_id === clusterId)
      .map(({ node, report: r, error }) => {
        if (!r) {
          report.push(`failed to examine node ${node.id}: ${error ?? 'no report'}`);
          mismatch = true;
          return { NodeHeketiID: node.id };
        }
        if (r.volumes) {
          const names = new Set(r.volumes.map((v) => v.name));
          const same = [...dbNames].every((n) => names.has(n)) && [...names].every((n) => db.volumeNames.has(n));
          if (!same) {
            mismatch = true;
            report.push(`heketi volume list does not match with volume list of node ${node.id}`);
          }
        }
        const statuses = db.bricks
          .filter((b) => b.node_id === node.id && !b.pending_op)
          .map((b) => {
            const mp = brickMount(b.path);
            const m = r.mounts?.find((x) => x.mountPoint === mp);
            return m
              ? { Device: m.device, MountPoint: mp, Type: m.type, MountOptions: m.options, Mounted: true }
              : { Device: dmDevNode(`vg_${b.device_id}`, b.lv_name || `brick_${b.id}`), MountPoint: mp, Type: 'xfs', MountOptions: '', Mounted: false };
          });
        return {
          NodeHeketiID: node.id,
          VolumeInfo: r.volumes ? volumeInfoJson(r.volumes) : null,
          LVMPVInfo: r.pvs
            ? { report: [{ pv: r.pvs.map((p) => ({ pv_name: p.pvName, vg_name: p.vgName, pv_fmt: p.pvFmt, pv_attr: p.pvAttr, pv_size: lvmSize(p.pvSize), pv_free: lvmSize(p.pvFree) })) }] }
            : null,
          LVMVGInfo: r.vgs
            ? {
                report: [
                  {
                    vg: r.vgs.map((v) => ({
                      vg_name: v.vgName,
                      pv_count: String(v.pvCount),
                      lv_count: String(v.lvCount),
                      snap_count: String(v.snapCount),
                      vg_attr: v.vgAttr,
                      vg_size: lvmSize(v.vgSize),
                      vg_free: lvmSize(v.vgFree),
                    })),
                  },
                ],
              }
            : null,
          LVMLVInfo: r.lvs
            ? {
                report: [
                  {
                    lv: r.lvs.map((l) => ({
                      lv_name: l.lvName,
                      vg_name: l.vgName,
                      lv_attr: l.lvAttr,
                      lv_size: lvmSize(l.lvSize),
                      pool_lv: l.poolLv,
                      origin: l.origin,
                      data_percent: l.dataPercent,
                      metadata_percent: l.metadataPercent,
                    })),
                  },
                ],
              }
            : null,
          BricksMountStatus: { Statuses: statuses },
          BlockVolumeNames: [] as string[],
          Errors: r.errors,
        };
      });
    return { ClusterHeketiID: clusterId, NodesData: nodesData };
  });
  if (!mismatch) report.push('heketi volume list matches with volume list of all nodes');
  return { report, clusters };
}

/** gluster's volume info XML as Heketi's Go structs marshal it to JSON. */
function volumeInfoJson(vols: GlusterVolume[]) {
  return {
    Volumes: {
      VolumeList: vols.map((v) => ({
        VolumeName: v.name,
        ID: v.id,
        Status: v.status === 'Created' ? 0 : v.status === 'Started' ? 1 : 2,
        StatusStr: v.status,
        SnapshotCount: v.snapshotCount,
        BrickCount: v.brickCount,
        DistCount: v.distCount,
        ReplicaCount: v.replicaCount,
        ArbiterCount: v.arbiterCount,
        DisperseCount: v.disperseCount,
        RedundancyCount: v.redundancyCount,
        TypeStr: v.type,
        Bricks: { BrickList: v.brickDetails.map((b) => ({ UUID: b.hostUuid, Name: b.name, HostUUID: b.hostUuid, IsArbiter: b.isArbiter ? 1 : 0 })) },
        OptCount: Object.keys(v.options).length,
        Options: { OptionList: Object.entries(v.options).map(([Name, Value]) => ({ Name, Value })) },
      })),
      Count: vols.length,
    },
  };
}
