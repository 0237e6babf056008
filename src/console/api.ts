/**
 * Every request the console makes, through the project's one REST client (signed per request with
 * WebCrypto). Views call these functions and get view models; nothing else touches the network.
 */
import { ApiError, HeketiClient, NetworkError } from '../client/index.js';
import type {
  DriftReport,
  Durability,
  DurabilityRequest,
  OperationDetail,
  OperationsInfo,
  PoolSummary,
  RemovalPlan,
  RepairResult,
  State,
  VolumeCreateRequest,
  VolumeInfo,
  VolumePlan,
  VolumeSortKey,
} from '../client/index.js';

// The wire types are src/client's (written from openapi.yaml).
export type { DriftItem, DriftReport, Durability, DurabilityRequest, OperationDetail, PlannedMove, RemovalPlan, RepairResult, State, VolumeCreateRequest, VolumeInfo, VolumePlan } from '../client/index.js';
import { naturalCompare } from './format.js';

export { ApiError };

export type Role = 'admin' | 'user';

export interface Session {
  client: HeketiClient;
  role: Role;
  /** Origin of the server (the page's own). */
  server: string;
  /** The pool read while signing in, handed to the first Pool load (saves a round trip). */
  firstPool?: PoolSummary;
}

/**
 * Signs in by reading the pool, which both keys may (a wrong key answers 401); the answer is the
 * Pool view's first data.
 */
export async function signIn(role: Role, key: string, server = location.origin): Promise<Session> {
  const client = new HeketiClient({ server, user: role, key, pollMs: 250 });
  return { client, role, server, firstPool: await client.poolSummary() };
}

/** A short, human message for any failure of a call. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 401) return `Not authorised: ${e.text.trim() || 'the server refused the key'}`;
    return e.text.trim() || `The server answered ${e.status}`;
  }
  if (e instanceof NetworkError) return `The server could not be reached (${e.reason})`;
  return e instanceof Error ? e.message : String(e);
}

// ------------------------------------------------------------------------------------ pool

/** Sizes in KiB, as the API gives them. */
export interface Capacity {
  total: number;
  used: number;
  free: number;
  /** Part of `used` held by operations still running (bricks of volumes not created yet). */
  reserved: number;
}

export interface PoolDevice extends Capacity {
  id: string;
  name: string;
  state: State;
  tags: Record<string, string>;
  bricks: number;
}
export interface PoolNode extends Capacity {
  id: string;
  cluster: string;
  zone: number;
  manage: string;
  storage: string;
  state: State;
  tags: Record<string, string>;
  devices: PoolDevice[];
}
export interface PoolZone extends Capacity {
  zone: number;
  nodes: PoolNode[];
}
export interface PoolCluster extends Capacity {
  id: string;
  block: boolean;
  file: boolean;
  volumes: number;
  zones: PoolZone[];
  nodeCount: number;
  deviceCount: number;
}
export interface Pool extends Capacity {
  clusters: PoolCluster[];
  nodes: number;
  devices: number;
  volumes: number;
  /** Lookups for brick maps. */
  nodeById: Map<string, PoolNode>;
  deviceById: Map<string, PoolDevice & { node: string }>;
}

const zero = (): Capacity => ({ total: 0, used: 0, free: 0, reserved: 0 });
function add(into: Capacity, c: Capacity): void {
  into.total += c.total;
  into.used += c.used;
  into.free += c.free;
  into.reserved += c.reserved;
}

export function buildPool(wire: PoolSummary): Pool {
  const pool: Pool = { ...zero(), clusters: [], nodes: 0, devices: 0, volumes: 0, nodeById: new Map(), deviceById: new Map() };
  for (const c of wire.clusters) {
    const cluster: PoolCluster = { ...zero(), id: c.id, block: c.block, file: c.file, volumes: c.volumes, zones: [], nodeCount: 0, deviceCount: 0 };
    const zones = new Map<number, PoolZone>();
    for (const n of c.nodes) {
      const node: PoolNode = { ...zero(), id: n.id, cluster: c.id, zone: n.zone, manage: n.hostnames.manage[0] ?? '', storage: n.hostnames.storage[0] ?? '', state: n.state, tags: n.tags, devices: [] };
      for (const d of n.devices) {
        const device: PoolDevice = { ...d.storage, reserved: d.reserved, id: d.id, name: d.name, state: d.state, tags: d.tags, bricks: d.bricks };
        node.devices.push(device);
        add(node, device);
        pool.deviceById.set(d.id, { ...device, node: n.id });
      }
      node.devices.sort((a, b) => naturalCompare(a.name, b.name));
      pool.nodeById.set(n.id, node);
      let zone = zones.get(n.zone);
      if (!zone) zones.set(n.zone, (zone = { ...zero(), zone: n.zone, nodes: [] }));
      zone.nodes.push(node);
      add(zone, node);
      add(cluster, node);
      cluster.nodeCount++;
      cluster.deviceCount += node.devices.length;
    }
    cluster.zones = [...zones.values()].sort((a, b) => a.zone - b.zone);
    for (const z of cluster.zones) z.nodes.sort((a, b) => naturalCompare(a.manage, b.manage));
    pool.clusters.push(cluster);
    add(pool, cluster);
    pool.nodes += cluster.nodeCount;
    pool.devices += cluster.deviceCount;
    pool.volumes += cluster.volumes;
  }
  return pool;
}

export async function loadPool(s: Session): Promise<Pool> {
  return buildPool(takeFirstPool(s) ?? (await s.client.poolSummary()));
}

/** The pool read while signing in, once: the first view paints it without waiting for a request. */
export function takeFirstPool(s: Session): PoolSummary | undefined {
  const first = s.firstPool;
  s.firstPool = undefined;
  return first;
}

/** Largest volume (GiB) of each durability that a create could get now, per cluster. */
export interface CapacityByDurability {
  label: string;
  durability: Durability;
  /** GiB, or undefined while unknown. */
  size?: number;
  /** When nothing fits: the first reason (per constraint) a create would fail with, or its error. */
  why?: string;
  /** Every reason, for a tooltip. */
  reasons?: string[];
}

/** The largest volume of each standard durability a create could get now (POST /volumes/capacity). */
export async function loadCapacity(s: Session): Promise<CapacityByDurability[]> {
  const answer = await s.client.volumeCapacity({ durability: { type: 'replicate', replicate: { replica: 3 } }, each_durability: true });
  return (answer.durabilities ?? [answer]).map((a) => ({ label: durabilityLabel(a.durability) + (a.arbiter ? ' arbiter' : ''), durability: a.durability, size: a.size, why: a.reasons[0] ?? a.error, reasons: a.reasons }));
}

// ------------------------------------------------------------------------------------ volumes

export interface VolumeRow {
  id: string;
  name: string;
  size?: number;
  durability?: Durability;
  cluster?: string;
  mount?: string;
  block?: boolean;
}

export interface VolumePage {
  total: number;
  rows: VolumeRow[];
}

/** The table's sortable columns (the server's `sort` keys but id). */
export type VolumeSort = Exclude<VolumeSortKey, 'id'>;
export interface VolumeQuery {
  search: string;
  sort: VolumeSort;
  desc: boolean;
  offset: number;
  limit: number;
}

export function durabilityLabel(d: Durability | DurabilityRequest | undefined): string {
  if (!d) return '';
  if (d.type === 'replicate') return `Replica ${d.replicate?.replica ?? 3}`;
  if (d.type === 'disperse') return `Disperse ${d.disperse?.data ?? 4}+${d.disperse?.redundancy ?? 2}`;
  return 'Distribute';
}

function rowOf(v: VolumeInfo): VolumeRow {
  return { id: v.id, name: v.name, size: v.size, durability: v.durability, cluster: v.cluster, mount: v.mount.glusterfs.device, block: v.block };
}

/** One page of the volume table: search, sort and paging are the server's (GET /volumes/details). */
export async function loadVolumes(s: Session, q: VolumeQuery): Promise<VolumePage> {
  const page = await s.client.volumeDetails({ limit: q.limit, offset: q.offset, search: q.search.trim() || undefined, sort: `${q.desc ? '-' : ''}${q.sort}` });
  return { total: page.total, rows: page.volumes.map(rowOf) };
}

export interface VolumeWithSets {
  volume: VolumeInfo;
  /** Brick ids per replica/disperse set, in gluster order (GET /volumes/{id}/sets). */
  sets: string[][];
}

export async function loadVolume(s: Session, id: string): Promise<VolumeWithSets> {
  const [volume, { sets }] = await Promise.all([volumeInfo(s, id), s.client.volumeSets(id)]);
  return { volume, sets };
}

/**
 * `GET /volumes/{id}` for the admin key; the user key may not call it (Heketi's rule) but may read
 * the same info through `GET /volumes/details`, searched by the id.
 */
async function volumeInfo(s: Session, id: string): Promise<VolumeInfo> {
  if (s.role === 'admin') return s.client.volumeInfo(id);
  const found = (await s.client.volumeDetails({ search: id, limit: 1000 })).volumes.find((v) => v.id === id);
  if (!found) throw new ApiError(404, 'Id not found', 'GET', `/volumes/${id}`);
  return found;
}

// ------------------------------------------------------------------------------------ create

export function planVolume(s: Session, req: VolumeCreateRequest): Promise<VolumePlan> {
  return s.client.volumePlan(req);
}

/** Creates the volume and follows its operation to the end; returns the new volume's id. */
export async function createVolume(s: Session, req: VolumeCreateRequest, onProgress: (elapsedMs: number) => void): Promise<string> {
  const v = await s.client.withOptions({ onProgress: (_label, ms) => onProgress(ms) }).volumeCreate(req);
  return v.id;
}

// ------------------------------------------------------------------------------------ operations

/** The counters of Heketi's `GET /operations`, counted from the journal. */
export type OperationCounts = Pick<OperationsInfo, 'total' | 'in_flight' | 'failed' | 'stale'>;

/** The journal, and its counts (both keys may read `GET /operations/details`; `GET /operations` is admin-only). */
export async function loadOperations(s: Session): Promise<{ counts: OperationCounts; operations: OperationDetail[] }> {
  const { operations } = await s.client.operationsDetails();
  const counts = { total: operations.length, in_flight: 0, failed: 0, stale: 0 };
  for (const o of operations) {
    if (o.sub_status === 'in-flight') counts.in_flight++;
    if (o.status === 'failed') counts.failed++;
    if (o.status === 'stale') counts.stale++;
  }
  return { counts, operations };
}

/** Cleans the listed stale/failed operations (undo, or finish past the commit point). */
export async function cleanupOperations(s: Session, ids: string[]): Promise<void> {
  await s.client.operationsCleanup({ operations: ids });
}

// ------------------------------------------------------------------------------------ drift

export function loadDrift(s: Session): Promise<DriftReport> {
  return s.client.stateDrift();
}

export function repairDrift(s: Session, dryRun: boolean): Promise<RepairResult> {
  return s.client.stateRepair({ dry_run: dryRun });
}

// ------------------------------------------------------------------------------------ node/device actions

export type Target = { kind: 'node' | 'device'; id: string };

export function removalPlan(s: Session, t: Target): Promise<RemovalPlan> {
  return t.kind === 'node' ? s.client.nodeRemovePlan(t.id) : s.client.deviceRemovePlan(t.id);
}

export async function setState(s: Session, t: Target, state: State): Promise<void> {
  await (t.kind === 'node' ? s.client.nodeSetState(t.id, state) : s.client.deviceSetState(t.id, state));
}

/** Heketi's removal: offline first, then `failed`, which moves every brick elsewhere. */
export async function removeTarget(s: Session, t: Target, current: State): Promise<void> {
  if (current === 'online') await setState(s, t, 'offline');
  await setState(s, t, 'failed');
}

export async function deleteTarget(s: Session, t: Target): Promise<void> {
  await (t.kind === 'node' ? s.client.nodeDelete(t.id) : s.client.deviceDelete(t.id));
}
