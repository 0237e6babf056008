/**
 * Every request the console makes, through the project's one REST client (signed per request with
 * WebCrypto). Views call these functions and get view models; nothing else touches the network.
 */
import { ApiError, HeketiClient } from './client-shim.js';
import { naturalCompare } from './format.js';

export { ApiError };

export type Role = 'admin' | 'user';
export type State = 'online' | 'offline' | 'failed';

export interface Session {
  client: HeketiClient;
  role: Role;
  /** Origin of the server (the page's own). */
  server: string;
  /** The pool read while signing in, handed to the first Pool load (saves a round trip). */
  firstPool?: PoolWire;
}

/** Signs in by asking for something the role may read: a wrong key answers 401. */
export async function signIn(role: Role, key: string, server = location.origin): Promise<Session> {
  const client = new HeketiClient({ server, user: role, key, pollMs: 250 });
  if (role === 'user') {
    await client.json('GET', '/volumes');
    return { client, role, server };
  }
  return { client, role, server, firstPool: await client.json<PoolWire>('GET', '/pool') };
}

/** A short, human message for any failure of a call. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 401) return `Not authorised: ${e.text.trim() || 'the server refused the key'}`;
    return e.text.trim() || `The server answered ${e.status}`;
  }
  if (e instanceof TypeError) return 'The server could not be reached';
  return e instanceof Error ? e.message : String(e);
}

// ------------------------------------------------------------------------------------ wire types

interface BrickInfo {
  id: string;
  path: string;
  device: string;
  node: string;
  volume: string;
  size: number;
}

/** GET /pool (Brickyard extension): the whole pool without brick lists. */
interface PoolWire {
  clusters: {
    id: string;
    file: boolean;
    block: boolean;
    volumes: number;
    blockvolumes: number;
    nodes: {
      id: string;
      zone: number;
      hostnames: { manage: string[]; storage: string[] };
      state: State;
      tags: Record<string, string>;
      devices: { id: string; name: string; state: State; tags: Record<string, string>; storage: { total: number; free: number; used: number }; reserved: number; bricks: number }[];
    }[];
  }[];
}
export interface Durability {
  type: 'none' | 'replicate' | 'disperse';
  replicate?: { replica?: number };
  disperse?: { data?: number; redundancy?: number };
}
export interface VolumeInfo {
  size: number;
  name: string;
  durability: Durability;
  gid?: number;
  glustervolumeoptions?: string[];
  block?: boolean;
  snapshot: { enable: boolean; factor: number };
  id: string;
  cluster: string;
  mount: { glusterfs: { hosts: string[]; device: string; options: Record<string, string> } };
  bricks: BrickInfo[];
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

/** Runs `fn` over `items` with at most `limit` requests in flight. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export function buildPool(wire: PoolWire): Pool {
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
  const first = s.firstPool;
  s.firstPool = undefined;
  return buildPool(first ?? (await s.client.json<PoolWire>('GET', '/pool')));
}

/** Largest volume (GiB) of each durability that a create could get now, per cluster. */
export interface CapacityByDurability {
  label: string;
  durability: Durability;
  /** GiB, or undefined while unknown. */
  size?: number;
}

export const DURABILITIES: { label: string; durability: Durability }[] = [
  { label: 'Replica 3', durability: { type: 'replicate', replicate: { replica: 3 } } },
  { label: 'Replica 2', durability: { type: 'replicate', replicate: { replica: 2 } } },
  { label: 'Disperse 4+2', durability: { type: 'disperse', disperse: { data: 4, redundancy: 2 } } },
  { label: 'Distribute (no redundancy)', durability: { type: 'none' } },
];

/** Asks the server (POST /volumes/capacity) for each durability the console shows. */
export async function loadCapacity(s: Session): Promise<CapacityByDurability[]> {
  return Promise.all(
    DURABILITIES.map(async (d) => {
      const r = await s.client.json<{ size: number }>('POST', '/volumes/capacity', { durability: d.durability });
      return { ...d, size: r.size };
    }),
  );
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

export type VolumeSort = 'name' | 'size' | 'cluster';
export interface VolumeQuery {
  search: string;
  sort: VolumeSort;
  desc: boolean;
  offset: number;
  limit: number;
}

export function durabilityLabel(d: Durability | undefined): string {
  if (!d) return '';
  if (d.type === 'replicate') return `Replica ${d.replicate?.replica ?? 3}`;
  if (d.type === 'disperse') return `Disperse ${d.disperse?.data ?? 4}+${d.disperse?.redundancy ?? 2}`;
  return 'Distribute';
}

function rowOf(v: VolumeInfo): VolumeRow {
  return { id: v.id, name: v.name, size: v.size, durability: v.durability, cluster: v.cluster, mount: v.mount.glusterfs.device, block: v.block };
}

/** A user key may list ids only (Heketi's rule): rows carry the id and nothing else. */
export async function loadVolumes(s: Session, q: VolumeQuery): Promise<VolumePage> {
  const { volumes } = await s.client.json<{ volumes: string[] }>('GET', '/volumes');
  const needle = q.search.trim().toLowerCase();
  if (s.role === 'user') {
    const ids = volumes.filter((id) => id.includes(needle)).sort();
    if (q.desc) ids.reverse();
    return { total: ids.length, rows: ids.slice(q.offset, q.offset + q.limit).map((id) => ({ id, name: '' })) };
  }
  const all = await mapLimit(volumes, 8, (id) => s.client.json<VolumeInfo>('GET', `/volumes/${id}`));
  let rows = all.map(rowOf).filter((r) => !needle || r.name.toLowerCase().includes(needle) || r.id.includes(needle));
  const key = (r: VolumeRow) => (q.sort === 'size' ? (r.size ?? 0) : q.sort === 'cluster' ? (r.cluster ?? '') : r.name);
  rows = rows.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : naturalCompare(String(x), String(y));
    return q.desc ? -c : c;
  });
  return { total: rows.length, rows: rows.slice(q.offset, q.offset + q.limit) };
}

export interface VolumeWithSets {
  volume: VolumeInfo;
  /** Brick ids per replica/disperse set, in gluster order (GET /volumes/{id}/sets). */
  sets: string[][];
}

export async function loadVolume(s: Session, id: string): Promise<VolumeWithSets> {
  const [volume, { sets }] = await Promise.all([s.client.json<VolumeInfo>('GET', `/volumes/${id}`), s.client.json<{ sets: string[][] }>('GET', `/volumes/${id}/sets`)]);
  return { volume, sets };
}

// ------------------------------------------------------------------------------------ create

export interface VolumeCreateRequest {
  size: number;
  name?: string;
  durability: Durability;
  gid?: number;
  snapshot?: { enable: boolean; factor: number };
  clusters?: string[];
  glustervolumeoptions?: string[];
  block?: boolean;
}

export interface PlannedBrick {
  node: string;
  device: string;
  size: number;
  arbiter: boolean;
}
export type VolumePlan = { feasible: true; cluster: string; brick_size: number; sets: PlannedBrick[][] } | { feasible: false; error: string; reasons: string[] };

export function planVolume(s: Session, req: VolumeCreateRequest): Promise<VolumePlan> {
  return s.client.json<VolumePlan>('POST', '/volumes/plan', req);
}

/** Creates the volume and follows its operation to the end; returns the new volume's id. */
export async function createVolume(s: Session, req: VolumeCreateRequest, onProgress: (elapsedMs: number) => void): Promise<string> {
  const client = new HeketiClient({ ...s.client.opts, onProgress: (_label, ms) => onProgress(ms) });
  const location = await client.async('POST', '/volumes', req, 'create-volume');
  return (location ?? '').split('/').pop() ?? '';
}

// ------------------------------------------------------------------------------------ operations

export interface OperationsSummary {
  total: number;
  in_flight: number;
  stale: number;
  failed: number;
  new: number;
}
export interface OperationDetail {
  id: string;
  type_name: string;
  status: '' | 'stale' | 'failed';
  sub_status: '' | 'in-flight';
  timestamp: number;
  committed: boolean;
  changes: { id: string; description: string }[];
  steps_done: string[];
}

export async function loadOperations(s: Session): Promise<{ summary: OperationsSummary; operations: OperationDetail[] }> {
  const [summary, details] = await Promise.all([
    s.client.json<OperationsSummary>('GET', '/operations'),
    s.client.json<{ operations: OperationDetail[] }>('GET', '/operations/details'),
  ]);
  return { summary, operations: details.operations };
}

/** Cleans the listed stale/failed operations (undo, or finish past the commit point). */
export async function cleanupOperations(s: Session, ids: string[]): Promise<void> {
  await s.client.async('POST', '/operations/pending/cleanup', { operations: ids }, 'cleanup-operations');
}

// ------------------------------------------------------------------------------------ drift

export interface DriftItem {
  kind: string;
  node: string;
  detail: string;
}
export interface DriftReport {
  clean: boolean;
  items: DriftItem[];
}
export interface RepairResult {
  dry_run: boolean;
  fixes: string[];
}

export function loadDrift(s: Session): Promise<DriftReport> {
  return s.client.json<DriftReport>('GET', '/internal/state/drift');
}

export function repairDrift(s: Session, dryRun: boolean): Promise<RepairResult> {
  return s.client.json<RepairResult>('POST', '/internal/state/repair', { dry_run: dryRun });
}

// ------------------------------------------------------------------------------------ node/device actions

export type Target = { kind: 'node' | 'device'; id: string };

export interface PlannedMove {
  brick: string;
  volume: string;
  volume_name: string;
  size: number;
  from: { node: string; device: string };
  to?: { node: string; device: string };
  reason?: string;
  reasons?: string[];
}
export interface RemovalPlan {
  feasible: boolean;
  moves: PlannedMove[];
}

const base = (t: Target) => `/${t.kind}s/${t.id}`;

export function removalPlan(s: Session, t: Target): Promise<RemovalPlan> {
  return s.client.json<RemovalPlan>('GET', `${base(t)}/remove-plan`);
}

export async function setState(s: Session, t: Target, state: State): Promise<void> {
  await s.client.async('POST', `${base(t)}/state`, { state }, `${t.kind}-state`);
}

/** Heketi's removal: offline first, then `failed`, which moves every brick elsewhere. */
export async function removeTarget(s: Session, t: Target, current: State): Promise<void> {
  if (current === 'online') await setState(s, t, 'offline');
  await setState(s, t, 'failed');
}

export async function deleteTarget(s: Session, t: Target): Promise<void> {
  await s.client.async('DELETE', base(t), undefined, `delete-${t.kind}`);
}
