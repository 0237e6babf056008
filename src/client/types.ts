/**
 * Request and response shapes of the Heketi API and Brickyard's extensions, written from
 * openapi.yaml's `components.schemas` (same names). Sizes: volumes in GiB, devices and bricks in KiB.
 * Fields the server omits when empty are optional here.
 */

/** 32 lowercase hex characters. */
export type Id = string;
export type Tags = Record<string, string>;
export type State = 'online' | 'offline' | 'failed';
export type DurabilityType = 'none' | 'replicate' | 'disperse';
export type LogLevel = 'none' | 'critical' | 'error' | 'warning' | 'info' | 'debug';
export type AdminState = 'normal' | 'read-only' | 'local-client';
export type HealCheck = '' | 'enable' | 'disable';

// ------------------------------------------------------------------------------- responses

export interface Storage {
  total: number;
  free: number;
  used: number;
}

export interface BrickInfo {
  id: Id;
  path: string;
  device: Id;
  node: Id;
  volume: Id;
  /** KiB (thin LV size; arbiter bricks are smaller). */
  size: number;
}

export interface DeviceInfo {
  name: string;
  tags?: Tags;
  storage: Storage;
  id: Id;
  paths?: string[];
  pv_uuid?: string;
  state: State;
  bricks: BrickInfo[];
}

export interface Hostnames {
  manage: string[];
  storage: string[];
}

export interface NodeInfo {
  zone: number;
  hostnames: Hostnames;
  cluster: Id;
  tags?: Tags;
  id: Id;
  state: State;
  devices: DeviceInfo[];
}

export interface ClusterInfo {
  id: Id;
  nodes: Id[];
  volumes: Id[];
  block: boolean;
  file: boolean;
  blockvolumes: Id[];
}

export interface ClusterList {
  clusters: Id[];
}

export interface Durability {
  type: DurabilityType;
  replicate: { replica?: number };
  disperse: { data?: number; redundancy?: number };
}

export interface Snapshot {
  enable: boolean;
  factor: number;
}

export interface Mount {
  glusterfs: {
    /** Storage hostname of every node of the cluster. */
    hosts: string[];
    /** `hosts[0]:name`. */
    device: string;
    options: { 'backup-volfile-servers': string };
  };
}

export interface VolumeBlockInfo {
  freesize?: number;
  reservedsize?: number;
  blockvolume?: Id[];
  restriction?: 'locked' | 'locked-by-update';
}

export interface VolumeInfo {
  /** GiB */
  size: number;
  name: string;
  durability: Durability;
  gid?: number;
  glustervolumeoptions?: string[];
  block?: boolean;
  snapshot: Snapshot;
  id: Id;
  cluster: Id;
  mount: Mount;
  blockinfo: VolumeBlockInfo;
  bricks: BrickInfo[];
}

export interface VolumeList {
  volumes: Id[];
}

export interface BlockVolumeDetails {
  hosts: string[] | null;
  iqn: string;
  lun: number;
  username: string;
  password: string;
}

export interface BlockVolumeInfo {
  size: number;
  name: string;
  hacount?: number;
  id: Id;
  blockvolume: BlockVolumeDetails;
  cluster?: Id;
  blockhostingvolume?: Id;
  usablesize?: number;
}

export interface BlockVolumeList {
  blockvolumes: Id[];
}

export interface LogLevelInfo {
  loglevel: { glusterfs: LogLevel };
}

export interface AdminStateMsg {
  state: AdminState;
}

export interface OperationsInfo {
  total: number;
  in_flight: number;
  stale: number;
  failed: number;
  new: number;
}

export type PendingOperationType =
  | 'create-volume'
  | 'delete-volume'
  | 'expand-volume'
  | 'create-block-volume'
  | 'delete-block-volume'
  | 'expand-block-volume'
  | 'remove-device'
  | 'clone-volume'
  | 'evict-brick'
  | 'unknown';

export interface PendingOperationInfo {
  id: Id;
  type_name: PendingOperationType;
  /** `''` = new. */
  status: '' | 'stale' | 'failed';
  sub_status: '' | 'in-flight';
}

export interface PendingOperationList {
  pendingoperations: PendingOperationInfo[];
}

export interface PendingChange {
  id: Id;
  description: string;
}

export interface PendingOperationDetails {
  id: Id;
  type_name: PendingOperationType;
  status: '' | 'stale' | 'failed';
  sub_status: '';
  changes: PendingChange[];
}

export interface DbCheckBucket {
  total: number;
  pending: number;
  ok: number;
  notok: number;
  inconsistencies: string[] | null;
}

export interface DbCheck {
  clusters: DbCheckBucket;
  volumes: DbCheckBucket;
  bricks: DbCheckBucket;
  nodes: DbCheckBucket;
  devices: DbCheckBucket;
  blockvolumes: DbCheckBucket;
  dbattributes: DbCheckBucket;
  pendingoperations: DbCheckBucket;
  totalinconsistencies: number;
}

/** Maps keyed by id (db attributes by name), entries in Heketi's internal shapes. */
export interface DbDump {
  clusterentries: Record<string, unknown>;
  volumeentries: Record<string, unknown>;
  brickentries: Record<string, unknown>;
  nodeentries: Record<string, unknown>;
  deviceentries: Record<string, unknown>;
  blockvolumeentries: Record<string, unknown>;
  dbattributeentries: Record<string, unknown>;
  pendingoperations: Record<string, unknown>;
}

export interface DbImportResult {
  clusters: number;
  nodes: number;
  devices: number;
  bricks: number;
  volumes: number;
  blockvolumes: number;
  dbattributes: number;
  pendingoperations: number;
  /** Fields of the export Brickyard does not use. */
  ignored: string[];
}

export interface GlusterExamination {
  heketidb: DbDump;
  report: string[] | null;
  clusters: { ClusterHeketiID: Id; NodesData: ({ NodeHeketiID: Id } & Record<string, unknown>)[] | null }[] | null;
}

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

export interface PlannedBrick {
  node: Id;
  device: Id;
  /** KiB */
  size: number;
  arbiter: boolean;
}

export interface VolumePlanFeasible {
  feasible: true;
  cluster: Id;
  /** KiB */
  brick_size: number;
  /** One list of bricks per distribute subvolume. */
  sets: PlannedBrick[][];
}

export interface VolumePlanInfeasible {
  feasible: false;
  /** The allocation error, e.g. `No space`. */
  error: string;
  reasons: string[];
}

export type VolumePlan = VolumePlanFeasible | VolumePlanInfeasible;

/** `POST /volumes/capacity` answer for one durability. */
export interface VolumeCapacityAnswer {
  /** The largest whole GiB a create with these parameters would be placed with now; 0 = none. */
  size: number;
  /** The cluster that create would go to; null when `size` is 0. */
  cluster: Id | null;
  durability: Durability;
  arbiter: boolean;
  /** Only when `size` is 0: what a create of the smallest size would fail with. */
  error?: string;
  /** When `size` is 0: per-constraint reasons, as `POST /volumes/plan` gives them. */
  reasons: string[];
}

export interface VolumeCapacity extends VolumeCapacityAnswer {
  /** With `each_durability`: none, replicate 2, replicate 3, replicate 3 + arbiter, disperse 2+1, 4+2, 8+3, 8+4. */
  durabilities?: VolumeCapacityAnswer[];
}

/** One page of `GET /volumes/details`. */
export interface VolumeDetailsPage {
  /** In the query's `sort` order (id by default), each as `GET /volumes/{id}`. */
  volumes: VolumeInfo[];
  /** `after` for the next page, or null on the last one (always null unless in ascending id order). */
  next: Id | null;
  /** Matching volumes over all pages. */
  total: number;
}

/** The topology as heketi-cli builds it from the clusters, their volumes and nodes. */
export interface TopologyCluster {
  volumes: VolumeInfo[];
  nodes: NodeInfo[];
  id: Id;
  block: boolean;
  file: boolean;
}

export interface Topology {
  clusters: TopologyCluster[];
}

/** `GET /pool` (Brickyard): the pool without brick or volume lists. Sizes in KiB. */
export interface PoolSummaryDevice {
  id: Id;
  name: string;
  state: State;
  tags: Tags;
  storage: Storage;
  /** KiB of `used` held by bricks of unfinished operations. */
  reserved: number;
  bricks: number;
}

export interface PoolSummaryNode {
  id: Id;
  zone: number;
  hostnames: Hostnames;
  state: State;
  tags: Tags;
  devices: PoolSummaryDevice[];
}

export interface PoolSummaryCluster {
  id: Id;
  file: boolean;
  block: boolean;
  volumes: number;
  blockvolumes: number;
  nodes: PoolSummaryNode[];
}

export interface PoolSummary {
  clusters: PoolSummaryCluster[];
}

/** `GET /volumes/{id}/sets` (Brickyard): brick ids per replica/disperse set, in gluster order. */
export interface VolumeSets {
  sets: Id[][];
}

export interface BrickLocation {
  node: Id;
  device: Id;
}

/** One brick of a removal dry run: where it would move, or why it cannot. */
export interface PlannedMove {
  brick: Id;
  volume: Id;
  volume_name: string;
  /** KiB */
  size: number;
  from: BrickLocation;
  to?: BrickLocation;
  reason?: string;
  reasons?: string[];
}

/** `GET /devices/{id}/remove-plan`, `GET /nodes/{id}/remove-plan` (Brickyard). */
export interface RemovalPlan {
  feasible: boolean;
  moves: PlannedMove[];
}

/** One entry of `GET /operations/details` (Brickyard). */
export interface OperationDetail {
  id: Id;
  type_name: string;
  status: '' | 'stale' | 'failed';
  sub_status: '' | 'in-flight';
  /** Unix seconds when the operation was recorded. */
  timestamp: number;
  committed: boolean;
  changes: PendingChange[];
  steps_done: string[];
}

export interface OperationsDetails {
  operations: OperationDetail[];
}

// ------------------------------------------------------------------------------- requests

export interface ClusterCreateRequest {
  file?: boolean;
  block?: boolean;
}

/** Both flags are overwritten: an omitted flag becomes false. */
export type ClusterFlagsRequest = ClusterCreateRequest;

export interface NodeAddRequest {
  zone: number;
  /** Only the first entry of each list is used. */
  hostnames: { manage: string[] | null; storage: string[] | null };
  cluster: Id;
  tags?: Tags;
}

export interface StateRequest {
  state: State;
  /** Heal-info check before evicting bricks (`failed`). */
  healcheck?: HealCheck;
}

export interface TagsChangeRequest {
  tags?: Tags;
  /** `set` replaces all tags, `update` merges, `delete` removes the named keys. */
  change_type: 'set' | 'update' | 'delete';
}

export interface DeviceAddRequest {
  name: string;
  node: Id;
  destroydata?: boolean;
  tags?: Tags;
}

export interface DeviceDeleteRequest {
  forceforget?: boolean;
}

export interface DurabilityRequest {
  type?: '' | DurabilityType;
  /** replica 0/omitted ⇒ 2 */
  replicate?: { replica?: number };
  /** data+redundancy: 2+1, 4+2, 8+3, 8+4 */
  disperse?: { data?: number; redundancy?: number };
}

export interface VolumeCreateRequest {
  /** GiB */
  size: number;
  /** Default `vol_{id}`; unique within the chosen cluster. */
  name?: string;
  durability?: DurabilityRequest;
  /** 0 = none */
  gid?: number;
  snapshot?: { enable?: boolean; factor?: number };
  /** Candidate clusters (default: all). */
  clusters?: Id[];
  /** Each `"<key> <value>"`, e.g. `user.heketi.arbiter true`. */
  glustervolumeoptions?: string[];
  /** Create a block-hosting volume. */
  block?: boolean;
}

/** A create request whose size is ignored, and whether to answer for every standard durability too. */
export type VolumeCapacityRequest = Partial<VolumeCreateRequest> & { each_durability?: boolean };

export interface VolumeDetailsQuery {
  /** 1–1000, default 500. */
  limit?: number;
  /** The previous page's `next` (ascending id order only). */
  after?: Id;
  /** Skip this many volumes of the sorted, filtered list (numbered pages; not with `after`). */
  offset?: number;
  /** Exact volume name. */
  name?: string;
  cluster?: Id;
  /** Part of the name (ASCII case-insensitive), or the start of the id. */
  search?: string;
  /** `id` (default), `name`, `size` or `cluster`, ties by id; a leading `-` sorts descending. */
  sort?: VolumeSortKey | `-${VolumeSortKey}`;
}

export type VolumeSortKey = 'id' | 'name' | 'size' | 'cluster';

export interface VolumeExpandRequest {
  /** GiB to add. */
  expand_size: number;
}

export interface VolumeCloneRequest {
  name?: string;
}

export interface BlockRestrictionRequest {
  /** `''` unlocks. */
  restriction: '' | 'locked';
}

export interface BlockVolumeCreateRequest {
  size: number;
  name?: string;
  clusters?: Id[];
  hacount?: number;
  auth?: boolean;
}

export interface BlockVolumeExpandRequest {
  /** New total size in GiB. */
  new_size: number;
}

export interface BrickEvictRequest {
  healcheck?: HealCheck;
}

export interface RepairRequest {
  /** Only list the fixes that would be made. */
  dry_run?: boolean;
}

export interface LogLevelRequest {
  loglevel: { glusterfs: '' | LogLevel };
}

export interface PendingOperationsCleanupRequest {
  /** Omitted ⇒ every stale or failed operation. */
  operations?: Id[];
}
