import { ApiError } from './errors.js';
import { Transport, type ClientOptions, type SharedState } from './transport.js';
import type {
  AdminState,
  AdminStateMsg,
  BlockRestrictionRequest,
  BlockVolumeCreateRequest,
  BlockVolumeExpandRequest,
  BlockVolumeInfo,
  BlockVolumeList,
  BrickEvictRequest,
  ClusterCreateRequest,
  ClusterFlagsRequest,
  ClusterInfo,
  ClusterList,
  DbCheck,
  DbDump,
  DbImportResult,
  DeviceAddRequest,
  DeviceDeleteRequest,
  DeviceInfo,
  DriftReport,
  GlusterExamination,
  LogLevel,
  LogLevelInfo,
  NodeAddRequest,
  NodeInfo,
  OperationsDetails,
  OperationsInfo,
  PendingOperationDetails,
  PendingOperationList,
  PendingOperationsCleanupRequest,
  PoolSummary,
  RemovalPlan,
  RepairRequest,
  RepairResult,
  State,
  StateRequest,
  Tags,
  TagsChangeRequest,
  Topology,
  TopologyCluster,
  VolumeCapacity,
  VolumeCapacityRequest,
  VolumeCloneRequest,
  VolumeCreateRequest,
  VolumeDetailsPage,
  VolumeDetailsQuery,
  VolumeExpandRequest,
  VolumeInfo,
  VolumeList,
  VolumePlan,
  VolumeSets,
} from './types.js';

/** A path with every interpolated value percent-encoded as one path segment. */
function path(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? encodeURIComponent(values[i]!) : ''), '');
}

/** The body the Go client sends for a state change: `healcheck` always present. */
function stateBody(state: State | StateRequest): { state: State; healcheck: string } {
  return typeof state === 'string' ? { state, healcheck: '' } : { state: state.state, healcheck: state.healcheck ?? '' };
}

/** Lookups run at most this many requests at once (the Go client allows 32). */
const LOOKUP_CONCURRENCY = 8;

/**
 * Typed client for a Heketi-compatible server (Brickyard or Heketi): one method per route of
 * openapi.yaml. Asynchronous routes resolve when the operation has ended: with the resource the
 * queue's 303 points to, or with nothing for routes that end in 204. Failures reject with ApiError
 * (status + the server's text), NetworkError, ProtocolError, or the abort signal's reason.
 */
export class HeketiClient extends Transport {
  constructor(options: ClientOptions, shared?: SharedState) {
    super(options, shared);
  }

  /** The same client (same key cache) with other options, e.g. a per-call signal or progress sink. */
  withOptions(overrides: Omit<Partial<ClientOptions>, 'server' | 'user' | 'key'>): HeketiClient {
    return new HeketiClient({ ...this.options, ...overrides }, this.shared);
  }

  // ---------------------------------------------------------------------------------- open routes

  /** `GET /hello`: the server's greeting (no authentication needed). */
  async hello(): Promise<string> {
    return (await this.expectStatus('GET', '/hello', undefined, 200)).text;
  }

  /** `GET /metrics`: Prometheus text. */
  async metrics(): Promise<string> {
    return (await this.expectStatus('GET', '/metrics', undefined, 200)).text;
  }

  /** `GET /openapi.json` (Brickyard): the API description. */
  openapiDocument(): Promise<Record<string, unknown>> {
    return this.json('GET', '/openapi.json', undefined, 200);
  }

  // ---------------------------------------------------------------------------------- clusters

  clusterCreate(req: ClusterCreateRequest = {}): Promise<ClusterInfo> {
    return this.json('POST', '/clusters', req, 201);
  }

  clusterList(): Promise<ClusterList> {
    return this.json('GET', '/clusters', undefined, 200);
  }

  clusterInfo(id: string): Promise<ClusterInfo> {
    return this.json('GET', path`/clusters/${id}`, undefined, 200);
  }

  async clusterDelete(id: string): Promise<void> {
    await this.expectStatus('DELETE', path`/clusters/${id}`, undefined, 200);
  }

  /** Both flags are written: an omitted one becomes false. */
  async clusterSetFlags(id: string, req: ClusterFlagsRequest): Promise<void> {
    await this.expectStatus('POST', path`/clusters/${id}/flags`, req, 200);
  }

  // ---------------------------------------------------------------------------------- nodes

  nodeAdd(req: NodeAddRequest): Promise<NodeInfo> {
    return this.operationJson('POST', '/nodes', req, 'node add');
  }

  nodeInfo(id: string): Promise<NodeInfo> {
    return this.json('GET', path`/nodes/${id}`, undefined, 200);
  }

  nodeDelete(id: string): Promise<void> {
    return this.operationVoid('DELETE', path`/nodes/${id}`, undefined, 'node delete');
  }

  /** `failed` (remove) evicts the node's bricks first; it must be offline. */
  nodeSetState(id: string, state: State | StateRequest): Promise<void> {
    return this.operationVoid('POST', path`/nodes/${id}/state`, stateBody(state), 'node state');
  }

  /** `GET /nodes/{id}/remove-plan` (Brickyard): where each brick of the node would move. */
  nodeRemovePlan(id: string): Promise<RemovalPlan> {
    return this.json('GET', path`/nodes/${id}/remove-plan`, undefined, 200);
  }

  /** Returns the node's tags after the change. */
  nodeSetTags(id: string, req: TagsChangeRequest): Promise<Tags> {
    return this.json('POST', path`/nodes/${id}/tags`, req, 200);
  }

  // ---------------------------------------------------------------------------------- devices

  /** Ends in 204: the new device's id is not returned (read the node). */
  deviceAdd(req: DeviceAddRequest): Promise<void> {
    return this.operationVoid('POST', '/devices', req, 'device add');
  }

  deviceInfo(id: string): Promise<DeviceInfo> {
    return this.json('GET', path`/devices/${id}`, undefined, 200);
  }

  /** The options go as a body without Content-Type, as the Go client sends them. */
  deviceDelete(id: string, req?: DeviceDeleteRequest): Promise<void> {
    return this.operationVoid('DELETE', path`/devices/${id}`, req, 'device delete', { contentType: false });
  }

  /** `failed` (remove) evicts the device's bricks first; it must be offline. */
  deviceSetState(id: string, state: State | StateRequest): Promise<void> {
    return this.operationVoid('POST', path`/devices/${id}/state`, stateBody(state), 'device state');
  }

  /** Re-reads the device's sizes from the node. */
  deviceResync(id: string): Promise<void> {
    return this.operationVoid('GET', path`/devices/${id}/resync`, undefined, 'device resync');
  }

  /** `GET /devices/{id}/remove-plan` (Brickyard): where each brick of the device would move. */
  deviceRemovePlan(id: string): Promise<RemovalPlan> {
    return this.json('GET', path`/devices/${id}/remove-plan`, undefined, 200);
  }

  deviceSetTags(id: string, req: TagsChangeRequest): Promise<Tags> {
    return this.json('POST', path`/devices/${id}/tags`, req, 200);
  }

  // ---------------------------------------------------------------------------------- volumes

  volumeCreate(req: VolumeCreateRequest): Promise<VolumeInfo> {
    return this.operationJson('POST', '/volumes', req, 'volume create');
  }

  /** Ids of the volumes, sorted; volumes being created or deleted are not listed. */
  volumeList(): Promise<VolumeList> {
    return this.json('GET', '/volumes', undefined, 200);
  }

  /** `POST /volumes/plan` (Brickyard): the placement a create would make, or why there is none. Reserves nothing. */
  volumePlan(req: VolumeCreateRequest): Promise<VolumePlan> {
    return this.json('POST', '/volumes/plan', req, 200);
  }

  /** `POST /volumes/capacity` (Brickyard): the largest volume a create with these parameters would get now. */
  volumeCapacity(req: VolumeCapacityRequest = {}): Promise<VolumeCapacity> {
    return this.json('POST', '/volumes/capacity', req, 200);
  }

  /** `GET /volumes/details` (Brickyard): one page of volume infos (search, sort, keyset or numbered pages). */
  volumeDetails(query: VolumeDetailsQuery = {}): Promise<VolumeDetailsPage> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const q = params.toString();
    return this.json('GET', q ? `/volumes/details?${q}` : '/volumes/details', undefined, 200);
  }

  /** `GET /volumes/{id}/sets` (Brickyard): brick ids per replica/disperse set, in gluster order. */
  volumeSets(id: string): Promise<VolumeSets> {
    return this.json('GET', path`/volumes/${id}/sets`, undefined, 200);
  }

  volumeInfo(id: string): Promise<VolumeInfo> {
    return this.json('GET', path`/volumes/${id}`, undefined, 200);
  }

  volumeDelete(id: string): Promise<void> {
    return this.operationVoid('DELETE', path`/volumes/${id}`, undefined, 'volume delete');
  }

  volumeExpand(id: string, req: VolumeExpandRequest): Promise<VolumeInfo> {
    return this.operationJson('POST', path`/volumes/${id}/expand`, req, 'volume expand');
  }

  /** Resolves with the new volume (the clone). */
  volumeClone(id: string, req: VolumeCloneRequest = {}): Promise<VolumeInfo> {
    return this.operationJson('POST', path`/volumes/${id}/clone`, req, 'volume clone');
  }

  volumeSetBlockRestriction(id: string, req: BlockRestrictionRequest): Promise<VolumeInfo> {
    return this.operationJson('POST', path`/volumes/${id}/block-restriction`, req, 'volume block-restriction');
  }

  /**
   * The volumes named `name` (no route looks a volume up by name: this reads every volume, a few at
   * a time). Names are unique within a cluster, so there is at most one per cluster. Volumes being
   * created or deleted are not listed by the server and so not found.
   */
  async volumesByName(name: string): Promise<VolumeInfo[]> {
    const ids = (await this.volumeList()).volumes ?? [];
    const found: (VolumeInfo | undefined)[] = new Array(ids.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < ids.length; i = next++) {
        try {
          const v = await this.volumeInfo(ids[i]!);
          if (v.name === name) found[i] = v;
        } catch (e) {
          if (!(e instanceof ApiError && e.status === 404)) throw e; // deleted meanwhile
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(LOOKUP_CONCURRENCY, ids.length) }, worker));
    return found.filter((v): v is VolumeInfo => v !== undefined);
  }

  // ---------------------------------------------------------------------------------- block volumes

  blockVolumeCreate(req: BlockVolumeCreateRequest): Promise<BlockVolumeInfo> {
    return this.operationJson('POST', '/blockvolumes', req, 'blockvolume create');
  }

  blockVolumeList(): Promise<BlockVolumeList> {
    return this.json('GET', '/blockvolumes', undefined, 200);
  }

  blockVolumeInfo(id: string): Promise<BlockVolumeInfo> {
    return this.json('GET', path`/blockvolumes/${id}`, undefined, 200);
  }

  blockVolumeDelete(id: string): Promise<void> {
    return this.operationVoid('DELETE', path`/blockvolumes/${id}`, undefined, 'blockvolume delete');
  }

  blockVolumeExpand(id: string, req: BlockVolumeExpandRequest): Promise<BlockVolumeInfo> {
    return this.operationJson('POST', path`/blockvolumes/${id}/expand`, req, 'blockvolume expand');
  }

  // ---------------------------------------------------------------------------------- bricks

  /** Moves a brick to another device; without `req` no body is sent. */
  brickEvict(id: string, req?: BrickEvictRequest): Promise<void> {
    return this.operationVoid('POST', path`/bricks/to-evict/${id}`, req, 'brick evict');
  }

  // ---------------------------------------------------------------------------------- operations

  /** `GET /operations`: counts of pending operations. */
  operations(): Promise<OperationsInfo> {
    return this.json('GET', '/operations', undefined, 200);
  }

  /** `GET /operations/details` (Brickyard): every pending operation with its journal. */
  operationsDetails(): Promise<OperationsDetails> {
    return this.json('GET', '/operations/details', undefined, 200);
  }

  pendingOperationList(): Promise<PendingOperationList> {
    return this.json('GET', '/operations/pending', undefined, 200);
  }

  pendingOperationInfo(id: string): Promise<PendingOperationDetails> {
    return this.json('GET', path`/operations/pending/${id}`, undefined, 200);
  }

  /** Cleans stale and failed operations (all of them without `operations`). */
  operationsCleanup(req: PendingOperationsCleanupRequest = {}): Promise<void> {
    return this.operationVoid('POST', '/operations/pending/cleanup', req, 'operations cleanup');
  }

  // ---------------------------------------------------------------------------------- database and state

  /** `GET /backup/db`: the database file. */
  async dbBackup(): Promise<Uint8Array> {
    return (await this.expectStatus('GET', '/backup/db', undefined, 200)).bytes;
  }

  /** `GET /db/dump`: the whole database as `heketi db export` writes it. */
  dbDump(): Promise<DbDump> {
    return this.json('GET', '/db/dump', undefined, 200);
  }

  /** The name the client's plan gives `dbDump`. */
  dbExport(): Promise<DbDump> {
    return this.dbDump();
  }

  dbCheck(): Promise<DbCheck> {
    return this.json('GET', '/db/check', undefined, 200);
  }

  /** `POST /db/import` (Brickyard): loads an export into an empty database. */
  dbImport(dump: DbDump | Record<string, unknown>): Promise<DbImportResult> {
    return this.json('POST', '/db/import', dump, 200);
  }

  stateExamineGluster(): Promise<GlusterExamination> {
    return this.json('GET', '/internal/state/examine/gluster', undefined, 200);
  }

  /** `GET /internal/state/drift` (Brickyard): what differs between the DB and the nodes. */
  stateDrift(): Promise<DriftReport> {
    return this.json('GET', '/internal/state/drift', undefined, 200);
  }

  /** `POST /internal/state/repair` (Brickyard): removes leftovers; `{ dry_run: true }` only lists them. */
  stateRepair(req: RepairRequest = {}): Promise<RepairResult> {
    return this.json('POST', '/internal/state/repair', req, 200);
  }

  logLevelGet(): Promise<LogLevelInfo> {
    return this.json('GET', '/internal/logging', undefined, 200);
  }

  logLevelSet(level: LogLevel | ''): Promise<LogLevelInfo> {
    return this.json('POST', '/internal/logging', { loglevel: { glusterfs: level } }, 200);
  }

  adminStateGet(): Promise<AdminStateMsg> {
    return this.json('GET', '/admin', undefined, 200);
  }

  async adminStateSet(state: AdminState): Promise<void> {
    await this.expectStatus('POST', '/admin', { state }, 204);
  }

  /** `GET /pool` (Brickyard): clusters, nodes and devices with capacity, without brick lists. */
  poolSummary(): Promise<PoolSummary> {
    return this.json('GET', '/pool', undefined, 200);
  }

  /** `GET /topology` (Brickyard): the object `topology()` assembles, in one request. */
  topologyInfo(): Promise<Topology> {
    return this.json('GET', '/topology', undefined, 200);
  }

  // ---------------------------------------------------------------------------------- composed

  /** The topology as heketi-cli builds it (Heketi has no /topology route): clusters, their volumes and nodes. */
  async topology(): Promise<Topology> {
    const clusters: TopologyCluster[] = [];
    for (const id of (await this.clusterList()).clusters ?? []) {
      const c = await this.clusterInfo(id);
      const tc: TopologyCluster = { volumes: [], nodes: [], id: c.id, block: c.block === true, file: c.file === true };
      for (const v of c.volumes ?? []) {
        const vi = await this.volumeInfo(v);
        if (vi.cluster === tc.id) tc.volumes.push(vi);
      }
      for (const n of c.nodes ?? []) tc.nodes.push(await this.nodeInfo(n));
      clusters.push(tc);
    }
    return { clusters };
  }
}
