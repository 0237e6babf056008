/**
 * How the controller reads volumes and capacity: Brickyard's extensions when the server has them
 * (`GET /volumes/details` — many volume infos per request, by name, keyset-paged; `POST
 * /volumes/capacity` — the largest volume a create would get), else Heketi's routes (list + one
 * info per volume; capacity computed here, with the server's own search, from the topology the
 * Heketi routes show). A server without the extensions answers them 404; that is remembered per
 * server.
 */
import { DEFAULT_EXTENT_KiB } from '../allocator/sizing.js';
import type { AllocCluster } from '../allocator/types.js';
import { ApiError, type HeketiClient, type VolumeCapacityRequest, type VolumeInfo } from '../client/index.js';
import { defaultConfig } from '../config.js';
import { largestAmong } from '../volumes/largest.js';
import { durabilityEcho, effectiveDurability } from '../volumes/model.js';
import { placementRequestFor } from '../volumes/placement.js';
import { invalidArgument } from './errors.js';
import { isNotFound } from './rest.js';

interface Page {
  volumes: VolumeInfo[];
  next: string | null;
}

/** Infos at once for a Heketi (the Go client looks volumes up 32 at a time). */
const LOOKUP_CONCURRENCY = 8;
/** The largest page `GET /volumes/details` gives. */
const DETAILS_PAGE = 1000;
/** Brickyard's answer to a capacity question on a server without clusters. */
const NO_CLUSTERS = 'No clusters configured';

export class VolumeCatalog {
  private readonly extensions = new Map<string, boolean>();

  /** Runs `ext` if the server has Brickyard's extensions, else `fallback` (and remembers). */
  private async either<T>(client: HeketiClient, ext: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
    if (this.extensions.get(client.server) === false) return fallback();
    try {
      const r = await ext();
      this.extensions.set(client.server, true);
      return r;
    } catch (e) {
      if (!(isNotFound(e) && this.extensions.get(client.server) !== true)) throw e;
      this.extensions.set(client.server, false);
      return fallback();
    }
  }

  /** Infos of these ids, a few at a time; volumes deleted meanwhile are left out. */
  private async infos(client: HeketiClient, ids: string[]): Promise<VolumeInfo[]> {
    const out: (VolumeInfo | undefined)[] = new Array(ids.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < ids.length; i = next++) {
        try {
          out[i] = await client.volumeInfo(ids[i]!);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(LOOKUP_CONCURRENCY, ids.length) }, worker));
    return out.filter((v): v is VolumeInfo => v !== undefined);
  }

  /** The (visible) volumes named `name`: at most one per cluster. */
  byName(client: HeketiClient, name: string): Promise<VolumeInfo[]> {
    return this.either(
      client,
      // Names are unique per cluster: one page holds them all.
      async () => (await client.volumeDetails({ name, limit: DETAILS_PAGE })).volumes,
      () => client.volumesByName(name),
    );
  }

  /** One page of volumes sorted by id, starting after `after` (0: every volume); `next` is set when more follow. */
  page(client: HeketiClient, after: string, limit: number): Promise<Page> {
    return this.either(
      client,
      async () => {
        // The extension pages by at most 1000: gather pages up to `limit`.
        const out: VolumeInfo[] = [];
        let cursor = after;
        for (;;) {
          const want = limit > 0 ? Math.min(DETAILS_PAGE, limit - out.length) : DETAILS_PAGE;
          const p = await client.volumeDetails({ limit: want, ...(cursor ? { after: cursor } : {}) });
          out.push(...p.volumes);
          if (!p.next || (limit > 0 && out.length >= limit)) return { volumes: out, next: p.next };
          cursor = p.next;
        }
      },
      async () => {
        const ids = [...((await client.volumeList()).volumes ?? [])].sort().filter((id) => id > after);
        const take = limit > 0 ? ids.slice(0, limit) : ids;
        const volumes = await this.infos(client, take);
        return { volumes, next: take.length < ids.length && take.length > 0 ? take[take.length - 1]! : null };
      },
    );
  }

  /** Every visible volume. */
  async all(client: HeketiClient): Promise<VolumeInfo[]> {
    return (await this.page(client, '', 0)).volumes;
  }

  /**
   * The largest volume (GiB, 0 = none) a create with `req` would get now: Brickyard's `POST
   * /volumes/capacity`, else (a real Heketi) the same search over the topology its routes show.
   */
  capacity(client: HeketiClient, req: Omit<VolumeCapacityRequest, 'size' | 'each_durability'>): Promise<number> {
    return this.either(
      client,
      async () => {
        try {
          return (await client.volumeCapacity(req)).size;
        } catch (e) {
          if (e instanceof ApiError && e.status === 400 && e.message.trim() === NO_CLUSTERS) return 0;
          throw e;
        }
      },
      () => heketiCapacity(client, req),
    );
  }
}

/**
 * GetCapacity on a real Heketi: its clusters and nodes read through Heketi's routes, then the
 * server's own search (volumes/largest.ts) with Heketi's default placement settings (a Heketi's
 * heketi.json is not visible through the API).
 */
async function heketiCapacity(client: HeketiClient, req: Omit<VolumeCapacityRequest, 'size' | 'each_durability'>): Promise<number> {
  const settings = defaultConfig().glusterfs;
  const options = req.glustervolumeoptions ?? [];
  const d = req.durability ?? {};
  const placement = placementRequestFor(settings, {
    sizeGiB: 0,
    durability: effectiveDurability(
      durabilityEcho({ type: d.type ?? '', replicate: { replica: d.replicate?.replica ?? 0 }, disperse: { data: d.disperse?.data ?? 0, redundancy: d.disperse?.redundancy ?? 0 } }),
      options,
    ),
    snapshotFactor: req.snapshot?.enable ? Math.fround(req.snapshot.factor ?? 1) : 1,
    existingBricks: 0,
    options,
  });
  const named = req.clusters ?? [];
  const ids = named.length > 0 ? named : ((await client.clusterList()).clusters ?? []);
  const clusters: AllocCluster[] = [];
  for (const id of ids) {
    let c;
    try {
      c = await client.clusterInfo(id);
    } catch (e) {
      if (isNotFound(e) && named.length > 0) throw invalidArgument(`Cluster id ${id} not found`);
      throw e;
    }
    // The clusters a create could use (behaviour §4.2): file volumes allowed, below the volume limit.
    if (!c.file || (c.volumes ?? []).length >= settings.maxVolumesPerCluster) continue;
    const nodes = [];
    for (const n of c.nodes ?? []) nodes.push(await client.nodeInfo(n));
    clusters.push({
      id,
      nodes: nodes.map((n) => ({
        id: n.id,
        zone: n.zone,
        state: n.state,
        tags: n.tags ?? {},
        devices: (n.devices ?? []).map((dev) => ({ id: dev.id, nodeId: n.id, free: dev.storage.free, extentSize: DEFAULT_EXTENT_KiB, state: dev.state, tags: dev.tags ?? {} })),
      })),
    });
  }
  return (await largestAmong(clusters, placement)).size;
}
