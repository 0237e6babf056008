/**
 * How the controller reads volumes and capacity: Brickyard's extensions when the server has them
 * (`GET /volumes/details` — many volume infos per request, by name, keyset-paged; `POST
 * /volumes/capacity` — the largest volume a create would get), else Heketi's routes (list + one
 * info per volume; capacity computed from the topology by the caller). A server without the
 * extensions answers them 404; that is remembered per server.
 */
import { ApiError, parseJson, type HeketiClient, type VolumeCreateRequest, type VolumeInfo } from '../client/index.js';
import { isNotFound } from './rest.js';

interface DetailsPage {
  volumes: VolumeInfo[];
  next: string | null;
}

/** Infos at once for a Heketi (the Go client looks volumes up 32 at a time). */
const LOOKUP_CONCURRENCY = 8;
const PAGE = 1000;

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
      if (!(e instanceof ApiError && e.status === 404)) throw e;
      this.extensions.set(client.server, false);
      return fallback();
    }
  }

  private async details(client: HeketiClient, query: Record<string, string>): Promise<DetailsPage> {
    const r = await client.request('GET', `/volumes/details?${new URLSearchParams(query).toString()}`);
    if (r.status !== 200) throw new ApiError(r.status, r.text, r.method, r.url);
    return parseJson<DetailsPage>(r);
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
      async () => (await this.details(client, { name })).volumes,
      () => client.volumesByName(name),
    );
  }

  /** One page of volumes sorted by id, starting after `after`; `next` is set when more follow. */
  page(client: HeketiClient, after: string, limit: number): Promise<DetailsPage> {
    return this.either(
      client,
      async () => {
        // The extension pages by at most 1000: gather pages up to `limit` (0: everything).
        const out: VolumeInfo[] = [];
        let cursor = after;
        for (;;) {
          const want = limit > 0 ? Math.min(PAGE, limit - out.length) : PAGE;
          const p = await this.details(client, { limit: String(want), ...(cursor ? { after: cursor } : {}) });
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
   * The largest volume (GiB) a create with `req` would get now, from `POST /volumes/capacity`;
   * undefined when the server does not have it (a real Heketi).
   */
  capacity(client: HeketiClient, req: Omit<VolumeCreateRequest, 'size'>): Promise<number | undefined> {
    return this.either<number | undefined>(
      client,
      async () => {
        const r = await client.request('POST', '/volumes/capacity', req);
        if (r.status !== 200) throw new ApiError(r.status, r.text, r.method, r.url);
        return parseJson<{ size: number }>(r).size;
      },
      async () => undefined,
    );
  }
}
