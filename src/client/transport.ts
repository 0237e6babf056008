import { ApiError, NetworkError, ProtocolError } from './errors.js';
import { importHmacKey, signToken, tokenPath, type HmacKey } from './jwt.js';

/**
 * The HTTP behaviour of heketi's Go client (heketi-api.md §2, heketi-cli.md §1), isomorphic: a
 * fresh token for every request, 429 retried after Retry-After, 202 + Location followed on /queue
 * while `X-Pending: true`, the 303 at its end followed with a fresh token.
 */

export interface ClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:8080` (paths are appended to it, as the Go client does). */
  server: string;
  /** JWT issuer: `admin` or `user` (`''` for a server with auth disabled). */
  user: string;
  /** The issuer's shared secret (`''` allowed). */
  key: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** /queue poll interval (Go client: 400 ms). */
  pollMs?: number;
  /** Retries of a request answered 429 (Go client: 6). */
  maxRetries429?: number;
  /** Source of the random part of a 429 wait, in [0, 1) (Math.random). */
  random?: () => number;
  /**
   * Called after each /queue poll that answers "pending" (`done` false), and once when the polling
   * of that operation ends (`done` true). `label` names the operation, e.g. `volume create`.
   */
  onProgress?: (label: string, elapsedMs: number, done: boolean) => void;
  /** Aborts requests and waits; the call then rejects with the signal's reason. The server-side operation goes on. */
  signal?: AbortSignal;
  /**
   * How redirects (the 303 that ends an operation, a 301) are followed. `manual` (default outside
   * browsers): the client follows them itself with a fresh token, as the Go client does. `follow`
   * (default in browsers, whose fetch hides the Location of a manual redirect): fetch follows, and
   * when the target refuses the token carried over (its qsh names the old path), the client GETs
   * the target again with its own token. Then `poll` returns the followed answer instead of the 303.
   */
  redirects?: 'manual' | 'follow';
}

/** One HTTP answer, body read. */
export interface Reply {
  method: string;
  url: string;
  status: number;
  headers: Headers;
  bytes: Uint8Array;
  text: string;
}

export interface SendOptions {
  /** false: send the JSON body as bytes without a Content-Type, as the Go client does for some calls. */
  contentType?: boolean;
}

/** What derived clients (withOptions) share: the imported key and the tokens of this second. */
export interface SharedState {
  key?: Promise<HmacKey>;
  tokens: Map<string, string>;
  tokenSec: number;
}

const MAX_CACHED_TOKENS = 256;
const MAX_REDIRECTS = 10;

/** Browsers (pages and workers) turn a manual redirect into an opaque answer without Location. */
const inBrowser = typeof (globalThis as { document?: unknown }).document !== 'undefined' || typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';

const isRedirect = (r: Reply) => r.status >= 301 && r.status <= 308 && r.status !== 304 && r.headers.get('location') !== null;

export class Transport {
  readonly server: string;
  protected readonly options: ClientOptions;
  protected readonly shared: SharedState;
  private readonly fetchFn: typeof fetch;
  private readonly sleepFn: (ms: number) => Promise<void>;
  private readonly redirects: 'manual' | 'follow';

  constructor(options: ClientOptions, shared?: SharedState) {
    this.options = options;
    this.server = options.server.replace(/\/+$/, '');
    this.shared = shared ?? { tokens: new Map(), tokenSec: 0 };
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.sleepFn = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.redirects = options.redirects ?? (inBrowser ? 'follow' : 'manual');
  }

  /** Absolute URL of a path (or an absolute URL, kept). */
  url(pathOrUrl: string): string {
    return /^https?:\/\//i.test(pathOrUrl) ? pathOrUrl : this.server + pathOrUrl;
  }

  /**
   * The token for a request. Tokens depend only on method, path and the second they are minted in,
   * so one minted earlier in the same second is byte for byte the one the Go client would mint now.
   */
  private async token(method: string, path: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const s = this.shared;
    if (s.tokenSec !== now) {
      s.tokens.clear();
      s.tokenSec = now;
    }
    const cacheKey = `${method} ${path}`;
    const cached = s.tokens.get(cacheKey);
    if (cached) return cached;
    s.key ??= importHmacKey(this.options.key);
    const token = await signToken(method, path, this.options.user, await s.key, now);
    if (s.tokenSec === now && s.tokens.size < MAX_CACHED_TOKENS) s.tokens.set(cacheKey, token);
    return token;
  }

  private throwIfAborted(): void {
    this.options.signal?.throwIfAborted();
  }

  /** The injected sleep, cut short by the abort signal. */
  protected async pause(ms: number): Promise<void> {
    const signal = this.options.signal;
    if (!signal) return this.sleepFn(ms);
    signal.throwIfAborted();
    let onAbort = () => undefined as void;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([this.sleepFn(ms), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** One signed request, as is: no retry, no redirect (with `redirects: 'follow'`, the followed answer). */
  async send(method: string, pathOrUrl: string, body?: unknown, opts: SendOptions = {}): Promise<Reply> {
    this.throwIfAborted();
    const url = this.url(pathOrUrl);
    const headers: Record<string, string> = { Authorization: `bearer ${await this.token(method, tokenPath(url))}` };
    let payload: string | ArrayBuffer | undefined;
    if (body !== undefined) {
      const text = JSON.stringify(body);
      // A string body would get a text/plain Content-Type from fetch: raw bytes get none.
      if (opts.contentType === false) payload = new TextEncoder().encode(text).buffer as ArrayBuffer;
      else {
        headers['Content-Type'] = 'application/json';
        payload = text;
      }
    }
    const signal = this.options.signal;
    let r: Response;
    let bytes: Uint8Array;
    try {
      r = await this.fetchFn(url, { method, headers, body: payload, redirect: this.redirects, ...(signal ? { signal } : {}) });
      bytes = new Uint8Array(await r.arrayBuffer());
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      throw new NetworkError(method, url, e);
    }
    if (r.redirected && r.status === 401) return this.send('GET', r.url);
    return { method, url: r.redirected ? r.url : url, status: r.status, headers: r.headers, bytes, text: new TextDecoder().decode(bytes) };
  }

  /** A signed request; a 429 is retried up to maxRetries429 times, waiting as the Go client does. */
  async request(method: string, pathOrUrl: string, body?: unknown, opts: SendOptions = {}): Promise<Reply> {
    const maxRetries = this.options.maxRetries429 ?? 6;
    const random = this.options.random ?? Math.random;
    let r = await this.send(method, pathOrUrl, body, opts);
    for (let attempt = 0; r.status === 429 && attempt < maxRetries; attempt++) {
      // Retry-After (+0–9 s), else 10–29 s.
      const advertised = Number(r.headers.get('retry-after'));
      const seconds = Number.isFinite(advertised) && advertised > 0 ? advertised + Math.floor(random() * 10) : 10 + Math.floor(random() * 20);
      await this.pause(seconds * 1000);
      r = await this.send(method, pathOrUrl, body, opts);
    }
    return r;
  }

  /** A GET that follows redirects with a fresh token for each hop (Go's redirect policy). */
  async get(pathOrUrl: string): Promise<Reply> {
    let r = await this.request('GET', pathOrUrl);
    for (let hops = 0; isRedirect(r) && hops < MAX_REDIRECTS; hops++) {
      r = await this.send('GET', new URL(r.headers.get('location')!, r.url).toString());
    }
    return r;
  }

  /** Starts an asynchronous request: requires 202 + Location; returns the absolute queue URL. */
  async start(method: string, pathOrUrl: string, body?: unknown, opts: SendOptions = {}): Promise<string> {
    const r = await this.request(method, pathOrUrl, body, opts);
    if (r.status !== 202) throw errorOf(r);
    const location = r.headers.get('location');
    if (!location) throw new ProtocolError('server did not provide a queue location');
    return new URL(location, r.url).toString();
  }

  /**
   * Polls a queue location (immediately, then every pollMs) while it answers `X-Pending: true`;
   * returns its terminal answer as is: 303 (result at Location), 204, or an error status.
   */
  async poll(location: string, label = 'operation'): Promise<Reply> {
    const pollMs = this.options.pollMs ?? 400;
    const started = Date.now();
    let reported = false;
    try {
      for (;;) {
        const r = await this.send('GET', location);
        if (r.headers.get('x-pending') !== 'true') return r;
        if (r.status !== 200) throw new ProtocolError(`Unknown response while waiting: ${r.status}`);
        reported = true;
        this.options.onProgress?.(label, Date.now() - started, false);
        await this.pause(pollMs);
      }
    } finally {
      if (reported) this.options.onProgress?.(label, Date.now() - started, true);
    }
  }

  /** Polls to the end, follows a 303 with a fresh token, and requires `final` (200 for a result, 204 for none). */
  async finish(location: string, final: 200 | 204, label?: string): Promise<Reply> {
    let r = await this.poll(this.url(location), label);
    const result = r.status === 303 ? r.headers.get('location') : null;
    if (result) r = await this.send('GET', new URL(result, r.url).toString());
    if (r.status !== final) throw errorOf(r);
    return r;
  }

  /** An asynchronous request followed to its end (start + finish). */
  async operation(method: string, path: string, body: unknown, final: 200 | 204, label?: string, opts: SendOptions = {}): Promise<Reply> {
    return this.finish(await this.start(method, path, body, opts), final, label);
  }

  /** A synchronous call that must answer `expect`; GETs follow redirects. */
  protected async expectStatus(method: string, path: string, body: unknown, expect: number, opts: SendOptions = {}): Promise<Reply> {
    const r = method === 'GET' ? await this.get(path) : await this.request(method, path, body, opts);
    if (r.status !== expect) throw errorOf(r);
    return r;
  }

  protected async json<T>(method: string, path: string, body: unknown, expect: number): Promise<T> {
    return parseJson<T>(await this.expectStatus(method, path, body, expect));
  }

  /** An asynchronous call whose result is the resource the final 303 points to. */
  protected async operationJson<T>(method: string, path: string, body: unknown, label: string, opts: SendOptions = {}): Promise<T> {
    return parseJson<T>(await this.operation(method, path, body, 200, label, opts));
  }

  /** An asynchronous call with nothing to return (204 at the end). */
  protected async operationVoid(method: string, path: string, body: unknown, label: string, opts: SendOptions = {}): Promise<void> {
    await this.operation(method, path, body, 204, label, opts);
  }
}

/** The error for an answer with an unexpected status. */
export function errorOf(r: Reply): ApiError {
  return new ApiError(r.status, r.text, r.method, r.url);
}

export function parseJson<T>(r: Reply): T {
  try {
    return JSON.parse(r.text) as T;
  } catch {
    throw new ProtocolError(`invalid JSON from server for ${r.method} ${new URL(r.url).pathname}`);
  }
}
