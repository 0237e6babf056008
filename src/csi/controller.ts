/**
 * CSI Controller service (spec.md "Controller Service RPC") on a Heketi-compatible server,
 * through src/client only. Volume ids are Heketi volume ids; volume_context carries what a node
 * needs to mount (context.ts).
 *
 * CreateVolume is idempotent by name: the gluster volume name is derived from the CSI name
 * (names.ts), an existing volume of that name is returned when compatible. A create that is
 * still running on the server (the driver was killed, the provisioner retries) is invisible to
 * the API, but the server refuses a second volume of the same name in a cluster: the driver
 * tries the candidate clusters one at a time in the server's own order, stops at "name already
 * in use" and waits for the running create to end instead of trying the next cluster.
 */
import { status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ApiError, type HeketiClient, type VolumeCreateRequest, type VolumeInfo } from '../client/index.js';
import { isId } from '../ids.js';
import { capabilityProblem } from './capability.js';
import { VolumeCatalog } from './catalog.js';
import { gibToBytes, GiB, sizeFitsRange, sizeForRange } from './capacity.js';
import { serversFromMount, volumeContextMap } from './context.js';
import type { ControllerPart } from './driver.js';
import { aborted, alreadyExists, CsiError, failedPrecondition, invalidArgument, notFound, outOfRange, resourceExhausted } from './errors.js';
import { GidAllocator } from './gids.js';
import { KeyedLocks } from './locks.js';
import { glusterVolumeName } from './names.js';
import type { CsiOptions } from './options.js';
import { minimumSizeGiB, parseParameters, type Durability, type ProvisionParams } from './parameters.js';
import { Clients, connectionFor, csiErrorOf, isNoSpace, isNotFound, type Connection, type ServerDefaults } from './rest.js';
import type {
  ControllerExpandVolumeRequest,
  CreateVolumeRequest,
  DeleteVolumeRequest,
  GetCapacityRequest,
  ListVolumesRequest,
  StringMap,
  ValidateVolumeCapabilitiesRequest,
  Volume,
  VolumeCapability,
} from './types.js';
import { validateIdentifier } from './validate.js';

export const CONTROLLER_CAPABILITIES = ['CREATE_DELETE_VOLUME', 'LIST_VOLUMES', 'GET_CAPACITY', 'CLONE_VOLUME', 'EXPAND_VOLUME'] as const;

export interface ControllerOptions {
  defaults: ServerDefaults;
  log: Logger;
  /** /queue poll interval of the REST client (Go client: 400 ms). */
  pollMs?: number;
  /** How long a CreateVolume waits for a create of the same name that is running on the server. */
  inFlightWaitMs?: number;
  /** fetch for the REST client (tests). */
  fetch?: typeof fetch;
}

/** Allocation failures after which the server itself would try the next cluster (behaviour §4.2). */
const NEXT_CLUSTER = /No space|Out of space|Maximum number of bricks reached|No nodes in cluster|No online storage devices in cluster|Cluster has disabled all volume types|Cluster does not support requested volume type|Cluster has \d+ volumes and limit is/;

/** The server refused the name because a volume (possibly one still being made) has it. */
const NAME_TAKEN = /already in use|already exists/;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const CLUSTER_LIST_TTL_MS = 10_000;
/** The server's answer for a cluster that does not exist (any more). */
const CLUSTER_GONE = /Cluster id [0-9a-f]+ not found/;

/** ListVolumes tokens: the last volume id of the previous page (ids are listed sorted). */
const TOKEN = /^after:([0-9a-f]{32})$/;

function durabilityRequest(d: Durability): VolumeCreateRequest['durability'] {
  if (d.type === 'replicate') return { type: 'replicate', replicate: { replica: d.replicate.replica } };
  if (d.type === 'disperse') return { type: 'disperse', disperse: { data: d.disperse.data, redundancy: d.disperse.redundancy } };
  return { type: 'none' };
}

function sameDurability(v: VolumeInfo, d: Durability): boolean {
  const t = v.durability.type;
  if (d.type === 'replicate') return t === 'replicate' && (v.durability.replicate.replica || 2) === d.replicate.replica;
  if (d.type === 'disperse') return t === 'disperse' && v.durability.disperse.data === d.disperse.data && v.durability.disperse.redundancy === d.disperse.redundancy;
  return t === 'none' || (t as string) === '';
}

function describeDurability(d: Durability): string {
  if (d.type === 'replicate') return `replicate:${d.replicate.replica}`;
  if (d.type === 'disperse') return `disperse:${d.disperse.data}:${d.disperse.redundancy}`;
  return 'none';
}

/** Why an existing volume does not match a CreateVolume, or undefined when it does. */
export function incompatibility(v: VolumeInfo, req: CreateVolumeRequest, p: ProvisionParams): string | undefined {
  const problems: string[] = [];
  if (!sizeFitsRange(v.size, req.capacity_range)) problems.push(`its size is ${v.size} GiB`);
  if (!sameDurability(v, p.durability)) problems.push(`its durability is ${v.durability.type} (requested ${describeDurability(p.durability)})`);
  if (p.clusters.length > 0 && !p.clusters.includes(v.cluster)) problems.push(`it is in cluster ${v.cluster}, not in clusterid`);
  if (p.gidRange && (v.gid === undefined || v.gid < p.gidRange.min || v.gid > p.gidRange.max)) problems.push(`its gid ${v.gid ?? 0} is outside gidMin..gidMax`);
  const have = new Set((v.glustervolumeoptions ?? []).map((o) => o.trim()));
  const missing = p.volumeOptions.filter((o) => !have.has(o));
  if (missing.length > 0) problems.push(`it lacks volume options ${missing.join(', ')}`);
  return problems.length > 0 ? problems.join('; ') : undefined;
}

export function csiVolume(v: VolumeInfo, contentSource?: Volume['content_source']): Volume {
  const vol: Volume = {
    volume_id: v.id,
    capacity_bytes: gibToBytes(v.size),
    volume_context: volumeContextMap({ servers: serversFromMount(v.mount.glusterfs), volume: v.name, gid: v.gid, heketiVolumeId: v.id }),
  };
  if (contentSource) vol.content_source = contentSource;
  return vol;
}

function capabilitiesProblem(caps: VolumeCapability[] | undefined, field: string): string | undefined {
  if (!caps || caps.length === 0) throw invalidArgument(`${field} is required`);
  for (const c of caps) {
    const p = capabilityProblem(c);
    if (p) return p;
  }
  return undefined;
}

export class ControllerService {
  private readonly clients: Clients;
  private readonly names = new KeyedLocks();
  private readonly volumes = new KeyedLocks();
  private readonly gids = new GidAllocator();
  private readonly catalog = new VolumeCatalog();
  private readonly clusterLists = new Map<string, { ids: string[]; at: number }>();
  /** Whether a StorageClass's resturl is the driver's own server (by cluster ids), per URL. */
  private readonly sameServer = new Map<string, { same: boolean; at: number }>();
  private readonly inFlightWaitMs: number;
  private readonly pollMs: number;

  constructor(private readonly o: ControllerOptions) {
    this.pollMs = o.pollMs ?? 400;
    this.inFlightWaitMs = o.inFlightWaitMs ?? 60_000;
    this.clients = new Clients({ pollMs: this.pollMs, ...(o.fetch ? { fetch: o.fetch } : {}) });
  }

  private client(c: Connection): HeketiClient {
    return this.clients.get(c);
  }

  /** The driver's own server (Delete, Expand, List, Validate get no StorageClass). */
  private defaultClient(secrets?: StringMap): HeketiClient {
    return this.client(connectionFor(this.o.defaults, secrets));
  }

  /**
   * DeleteVolume and ControllerExpandVolume only get a volume id, so they go to --server: a
   * StorageClass's resturl must reach that same server (another URL of it is fine). Compared by
   * cluster ids (random 32-hex ids: equal sets mean one database).
   */
  private async checkSameServer(conn: Connection, secrets: StringMap): Promise<void> {
    if (conn.server === this.o.defaults.server) return;
    const known = this.sameServer.get(conn.server);
    if (!known || Date.now() - known.at > 300_000) {
      const [a, b] = await Promise.all([this.client(conn).clusterList(), this.defaultClient(secrets).clusterList()]).catch((e: unknown) => {
        throw csiErrorOf(e, `comparing resturl ${conn.server} with ${this.o.defaults.server}`);
      });
      const same = JSON.stringify([...(a.clusters ?? [])].sort()) === JSON.stringify([...(b.clusters ?? [])].sort());
      this.sameServer.set(conn.server, { same, at: Date.now() });
    }
    if (!this.sameServer.get(conn.server)!.same) throw this.notThisServer(conn.server);
  }

  private notThisServer(url: string): CsiError {
    return invalidArgument(
      `resturl ${url} is not this driver's server ${this.o.defaults.server}: DeleteVolume and ControllerExpandVolume only get the volume id and go to --server, so one driver serves one management server (deploy another driver, with its own --driver-name, per server)`,
    );
  }

  // ------------------------------------------------------------------------------- CreateVolume

  async createVolume(req: CreateVolumeRequest): Promise<{ volume: Volume }> {
    const name = validateIdentifier('name', req.name);
    const capProblem = capabilitiesProblem(req.volume_capabilities, 'volume_capabilities');
    if (capProblem) throw invalidArgument(`volume_capabilities: ${capProblem}`);
    const p = parseParameters(req.parameters);
    for (const w of p.warnings) this.o.log.warn({ name }, w);
    const source = req.volume_content_source;
    if (source?.snapshot || source?.type === 'snapshot') throw invalidArgument('volume snapshots are not supported by this driver: create from a volume (clone) or empty');
    if (p.volumeNamePrefix && (!p.pvcName || !p.pvcNamespace)) {
      throw invalidArgument('volumenameprefix needs the PVC name and namespace: run the external-provisioner with --extra-create-metadata');
    }
    const size = sizeForRange(req.capacity_range, minimumSizeGiB(p.durability));
    const conn = connectionFor(this.o.defaults, req.secrets, p);
    await this.checkSameServer(conn, req.secrets);
    const client = this.client(conn);
    const glusterName = glusterVolumeName(name, p.volumeNamePrefix, p.pvcName && p.pvcNamespace ? { namespace: p.pvcNamespace, name: p.pvcName } : undefined);
    const cloneOf = source?.volume ? source.volume.volume_id : undefined;
    const contentSource = cloneOf !== undefined ? { volume: { volume_id: cloneOf } } : undefined;

    // One create per name at a time in this process; the server guards across processes.
    return this.names.serial(glusterName, async () => {
      let clusters = cloneOf === undefined ? await this.candidates(client, p) : [];
      // With one candidate cluster the server itself refuses a second volume of the name (pending
      // ones included), so the create goes first and the lookup (list + info of every volume on a
      // Heketi) only runs when the name is taken. Clones (names unchecked by Heketi) and several
      // clusters look up first.
      const lookupFirst = cloneOf !== undefined || clusters.length !== 1;
      const deadline = Date.now() + this.inFlightWaitMs;
      for (let round = 0; ; round++) {
        if (lookupFirst || round > 0) {
          let existing = await this.findByName(client, glusterName);
          // A clone the driver made but did not expand yet (it was killed in between): expand it now.
          if (existing && cloneOf !== undefined && existing.size < size && incompatibility(existing, { ...req, capacity_range: null }, p) === undefined) {
            existing = await this.growTo(client, existing, size);
          }
          if (existing) {
            const why = incompatibility(existing, req, p);
            if (why) throw alreadyExists(`volume ${glusterName} (${existing.id}) exists for CreateVolume name ${name} but is incompatible: ${why}`);
            return { volume: csiVolume(existing, contentSource) };
          }
        }
        let made: VolumeInfo | undefined;
        try {
          made = cloneOf !== undefined ? await this.clone(client, cloneOf, glusterName, size, req) : await this.create(client, glusterName, size, p, clusters);
        } catch (e) {
          // A cached cluster list named a cluster deleted since: list again and retry.
          if (!(e instanceof CsiError && CLUSTER_GONE.test(e.message) && p.clusters.length === 0 && round === 0)) throw e;
          clusters = await this.candidates(client, p, true);
          continue;
        }
        if (made) return { volume: csiVolume(made, contentSource) };
        if (round === 0 && !lookupFirst) continue; // taken: look it up at once
        // The server has a volume of this name that the API does not show yet: a create is running.
        if (Date.now() > deadline) {
          throw aborted(`a create of volume ${glusterName} is still running on the server; CreateVolume will find it when retried`);
        }
        this.o.log.info({ name, volume: glusterName }, 'a create of this volume is running on the server; waiting for it');
        await sleep(Math.max(this.pollMs, 1000));
      }
    });
  }

  private async findByName(client: HeketiClient, name: string): Promise<VolumeInfo | undefined> {
    let found: VolumeInfo[];
    try {
      found = await this.catalog.byName(client, name);
    } catch (e) {
      throw csiErrorOf(e, `looking up volume ${name}`);
    }
    if (found.length > 1) throw alreadyExists(`several volumes are named ${name} (clusters ${found.map((v) => v.cluster).join(', ')})`);
    return found[0];
  }

  /** Candidate clusters in the server's own order: the StorageClass's list, else all (sorted ids). */
  private async candidates(client: HeketiClient, p: ProvisionParams, fresh = false): Promise<string[]> {
    if (p.clusters.length > 0) return p.clusters;
    // Clusters come and go rarely: one list per few seconds spares every create a round trip. A
    // create into a cluster deleted meanwhile refreshes it (createVolume); one added is used soon.
    const cached = this.clusterLists.get(client.server);
    if (!fresh && cached && Date.now() - cached.at < CLUSTER_LIST_TTL_MS) return cached.ids;
    try {
      const ids = [...((await client.clusterList()).clusters ?? [])].sort();
      this.clusterLists.set(client.server, { ids, at: Date.now() });
      return ids;
    } catch (e) {
      throw csiErrorOf(e, 'listing clusters');
    }
  }

  /** The new volume, or undefined when the name is taken by a create still running. */
  private async create(client: HeketiClient, name: string, size: number, p: ProvisionParams, clusters: string[]): Promise<VolumeInfo | undefined> {
    if (clusters.length === 0) throw resourceExhausted('the server has no clusters');
    const gid = p.gidRange ? await this.gids.reserve(p.gidRange, () => this.usedGids(client)) : undefined;
    try {
      const base: VolumeCreateRequest = {
        size,
        name,
        durability: durabilityRequest(p.durability),
        // As the in-tree provisioner: snapshots enabled with the StorageClass's factor (default 1).
        snapshot: { enable: true, factor: p.snapFactor },
        ...(gid ? { gid: gid.gid } : {}),
        ...(p.volumeOptions.length > 0 ? { glustervolumeoptions: p.volumeOptions } : {}),
      };
      const failures: string[] = [];
      let noSpace = false;
      for (const cluster of clusters) {
        try {
          return await client.volumeCreate({ ...base, clusters: [cluster] });
        } catch (e) {
          if (!(e instanceof ApiError)) throw csiErrorOf(e, `creating volume ${name}`);
          if (NAME_TAKEN.test(e.message)) return undefined;
          if (e.status === 500 && NEXT_CLUSTER.test(e.message) && /^Failed to allocate new volume/.test(e.message)) {
            failures.push(clusters.length > 1 ? `cluster ${cluster}: ${e.message}` : e.message);
            noSpace ||= isNoSpace(e);
            continue;
          }
          throw csiErrorOf(e, `creating volume ${name}`);
        }
      }
      const text = `creating volume ${name} (${size} GiB): ${failures.join('; ')}`;
      throw noSpace ? resourceExhausted(text) : new CsiError(status.FAILED_PRECONDITION, text);
    } finally {
      gid?.release();
    }
  }

  private async clone(client: HeketiClient, sourceId: string, name: string, size: number, req: CreateVolumeRequest): Promise<VolumeInfo | undefined> {
    if (!isId(sourceId)) throw notFound(`source volume ${sourceId} does not exist`);
    let src: VolumeInfo;
    try {
      src = await client.volumeInfo(sourceId);
    } catch (e) {
      throw csiErrorOf(e, `source volume ${sourceId}`);
    }
    // A clone starts at its source's size and can grow, never shrink.
    if (!sizeFitsRange(src.size, { required_bytes: '0', limit_bytes: req.capacity_range?.limit_bytes ?? '0' })) {
      throw outOfRange(`a clone cannot be smaller than its source (${src.size} GiB), but capacity_range.limit_bytes is below that`);
    }
    let made: VolumeInfo;
    try {
      made = await client.volumeClone(sourceId, { name });
    } catch (e) {
      // Heketi does not check clone names: gluster refuses a second volume of the name.
      if (e instanceof ApiError && NAME_TAKEN.test(e.message)) return undefined;
      throw csiErrorOf(e, `cloning volume ${sourceId} as ${name}`);
    }
    try {
      return await this.growTo(client, made, size);
    } catch (e) {
      // A clone of the wrong size is no answer: remove it, so a failed CreateVolume leaves nothing.
      await client.volumeDelete(made.id).catch((d: unknown) => this.o.log.error({ volume: made.id, err: String(d) }, 'removing a clone that could not be expanded failed'));
      throw e;
    }
  }

  /** The volume expanded to `target` GiB when it is smaller (Heketi expands by a delta). */
  private async growTo(client: HeketiClient, v: VolumeInfo, target: number): Promise<VolumeInfo> {
    if (v.size >= target) return v;
    try {
      return await client.volumeExpand(v.id, { expand_size: target - v.size });
    } catch (e) {
      throw csiErrorOf(e, `expanding volume ${v.id} from ${v.size} to ${target} GiB`);
    }
  }

  private async usedGids(client: HeketiClient): Promise<number[]> {
    try {
      return (await this.catalog.all(client)).map((v) => v.gid ?? 0).filter((g) => g > 0);
    } catch (e) {
      throw csiErrorOf(e, 'reading the group ids in use');
    }
  }

  // ------------------------------------------------------------------------------- DeleteVolume

  async deleteVolume(req: DeleteVolumeRequest): Promise<Record<string, never>> {
    const id = validateIdentifier('volume_id', req.volume_id);
    // Not a Heketi id: no volume of ours can have it.
    if (!isId(id)) return {};
    return this.volumes.serial(id, async () => {
      try {
        await this.defaultClient(req.secrets).volumeDelete(id);
      } catch (e) {
        if (isNotFound(e)) return {};
        throw csiErrorOf(e, `deleting volume ${id}`);
      }
      return {};
    });
  }

  // ------------------------------------------------------------------------------- Expand

  async expandVolume(req: ControllerExpandVolumeRequest): Promise<{ capacity_bytes: string; node_expansion_required: boolean }> {
    const id = validateIdentifier('volume_id', req.volume_id);
    if (!req.capacity_range) throw invalidArgument('capacity_range is required');
    if (req.volume_capability) {
      const problem = capabilityProblem(req.volume_capability);
      if (problem) throw invalidArgument(`volume_capability: ${problem}`);
    }
    if (!isId(id)) throw notFound(`volume ${id} does not exist`);
    const target = sizeForRange(req.capacity_range, 1);
    const client = this.defaultClient(req.secrets);
    return this.volumes.serial(id, async () => {
      let v: VolumeInfo;
      try {
        v = await client.volumeInfo(id);
      } catch (e) {
        throw csiErrorOf(e, `volume ${id}`);
      }
      v = await this.growTo(client, v, target);
      // A shared file system grows for every client at once: nothing to do on the nodes.
      return { capacity_bytes: gibToBytes(v.size), node_expansion_required: false };
    });
  }

  // ------------------------------------------------------------------------------- Validate

  async validateVolumeCapabilities(req: ValidateVolumeCapabilitiesRequest): Promise<{ confirmed?: object; message?: string }> {
    const id = validateIdentifier('volume_id', req.volume_id);
    const problem = capabilitiesProblem(req.volume_capabilities, 'volume_capabilities');
    if (!isId(id)) throw notFound(`volume ${id} does not exist`);
    try {
      await this.defaultClient(req.secrets).volumeInfo(id);
    } catch (e) {
      throw csiErrorOf(e, `volume ${id}`);
    }
    if (problem) return { message: problem };
    try {
      parseParameters(req.parameters);
    } catch (e) {
      if (e instanceof CsiError) return { message: `parameters: ${e.message}` };
      throw e;
    }
    return { confirmed: { volume_context: req.volume_context, volume_capabilities: req.volume_capabilities, parameters: req.parameters } };
  }

  // ------------------------------------------------------------------------------- List

  async listVolumes(req: ListVolumesRequest): Promise<{ entries: { volume: Volume }[]; next_token: string }> {
    if (req.max_entries < 0) throw invalidArgument('max_entries must not be negative');
    let after = '';
    if (req.starting_token) {
      const m = TOKEN.exec(req.starting_token);
      if (!m) throw aborted(`starting_token ${JSON.stringify(req.starting_token)} is not a token this driver gave`);
      after = m[1]!;
    }
    const client = this.defaultClient();
    try {
      // Sorted by id, and a page starts after the last id of the previous one: deleting or adding
      // volumes between pages neither repeats nor skips the others.
      const page = await this.catalog.page(client, after, req.max_entries);
      return { entries: page.volumes.map((v) => ({ volume: csiVolume(v) })), next_token: page.next ? `after:${page.next}` : '' };
    } catch (e) {
      throw csiErrorOf(e, 'listing volumes');
    }
  }

  // ------------------------------------------------------------------------------- Capacity

  async getCapacity(req: GetCapacityRequest): Promise<{ available_capacity: string; maximum_volume_size?: { value: string } }> {
    const p = parseParameters(req.parameters);
    if (req.volume_capabilities.some((c) => capabilityProblem(c) !== undefined)) return { available_capacity: '0' };
    const client = await this.capacityClient(p);
    let gib: number;
    try {
      gib = await this.largestVolume(client, p);
    } catch (e) {
      throw csiErrorOf(e, 'computing the capacity');
    }
    const bytes = (BigInt(gib) * GiB).toString();
    return { available_capacity: bytes, maximum_volume_size: { value: bytes } };
  }

  /**
   * GetCapacity never gets secrets (the external-provisioner's capacity tracking sends only the
   * StorageClass's parameters). Without a secret named, the class's own credentials work as in
   * CreateVolume. With one, the call reads the driver's own server with the driver's own user and
   * key — the capacity is the server's, whoever asks — when resturl is --server's URL, or another
   * URL already found to be that server (a CreateVolume compared them with the secret). Anything
   * else cannot be checked without the secret: FAILED_PRECONDITION says how to make it answer.
   */
  private async capacityClient(p: ProvisionParams): Promise<HeketiClient> {
    if (!p.secretName) {
      const conn = connectionFor(this.o.defaults, undefined, p);
      await this.checkSameServer(conn, {});
      return this.client(conn);
    }
    const server = p.restUrl ?? this.o.defaults.server;
    if (server !== this.o.defaults.server) {
      const known = this.sameServer.get(server);
      if (known && !known.same) throw this.notThisServer(server);
      if (!known) {
        throw failedPrecondition(
          `GetCapacity receives no secret, so it cannot tell whether resturl ${server} is this driver's server ${this.o.defaults.server} until a CreateVolume of the class has compared them: name ${this.o.defaults.server} (or no resturl) in the StorageClass for capacity tracking`,
        );
      }
    }
    return this.defaultClient();
  }

  /**
   * The largest volume a create with these parameters could get now: the server's own answer
   * (Brickyard's `POST /volumes/capacity`), else computed from the topology a Heketi shows.
   */
  private largestVolume(client: HeketiClient, p: ProvisionParams): Promise<number> {
    return this.catalog.capacity(client, {
      durability: durabilityRequest(p.durability),
      snapshot: { enable: true, factor: p.snapFactor },
      ...(p.clusters.length > 0 ? { clusters: p.clusters } : {}),
      ...(p.volumeOptions.length > 0 ? { glustervolumeoptions: p.volumeOptions } : {}),
    });
  }

  // ------------------------------------------------------------------------------- Probe

  async probe(): Promise<string | undefined> {
    try {
      await this.defaultClient().hello();
      return undefined;
    } catch (e) {
      return `management server ${this.o.defaults.server} does not answer /hello: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  handlers(): ControllerPart['handlers'] {
    return {
      CreateVolume: (r: CreateVolumeRequest) => this.createVolume(r),
      DeleteVolume: (r: DeleteVolumeRequest) => this.deleteVolume(r),
      ControllerExpandVolume: (r: ControllerExpandVolumeRequest) => this.expandVolume(r),
      ValidateVolumeCapabilities: (r: ValidateVolumeCapabilitiesRequest) => this.validateVolumeCapabilities(r),
      ListVolumes: (r: ListVolumesRequest) => this.listVolumes(r),
      GetCapacity: (r: GetCapacityRequest) => this.getCapacity(r),
      ControllerGetCapabilities: () => ({ capabilities: CONTROLLER_CAPABILITIES.map((type) => ({ rpc: { type } })) }),
    };
  }
}

export async function createController(o: CsiOptions, key: string | undefined, log: Logger, extra: Partial<ControllerOptions> = {}): Promise<ControllerPart> {
  if (!o.server) throw new Error('--server (or BRICKYARD_SERVER) is required for --mode controller and all: DeleteVolume and ControllerExpandVolume only get a volume id');
  const svc = new ControllerService({ defaults: { server: o.server, user: o.user, ...(key !== undefined ? { key } : {}) }, log, ...extra });
  return { handlers: svc.handlers(), probe: () => svc.probe() };
}
