// TEMPORARY stand-in for src/client (being built on another branch): the same constructor and the
// calls the console uses. Deleted when src/client lands on main; api.ts then imports '../client/index.js'.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly text: string,
  ) {
    super(text.trim() || `status ${status}`);
  }
}

export interface ClientOptions {
  server: string;
  user: string;
  key: string;
  pollMs?: number;
  onProgress?: (label: string, elapsedMs: number) => void;
}

const enc = new TextEncoder();
const b64u = (b: Uint8Array) => btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

export class HeketiClient {
  private keyP: Promise<CryptoKey>;
  constructor(readonly opts: ClientOptions) {
    this.keyP = crypto.subtle.importKey('raw', opts.key === '' ? new Uint8Array(1) : enc.encode(opts.key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  }
  private async token(method: string, path: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const q = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', enc.encode(`${method}&${path}`))), (x) => x.toString(16).padStart(2, '0')).join('');
    const s = `${b64u(enc.encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' })))}.${b64u(enc.encode(JSON.stringify({ exp: now + 300, iat: now, iss: this.opts.user, qsh: q })))}`;
    return `${s}.${b64u(new Uint8Array(await crypto.subtle.sign('HMAC', await this.keyP, enc.encode(s))))}`;
  }
  async request(method: string, path: string, body?: unknown): Promise<Response> {
    const p = path.split('?')[0]!;
    return fetch(this.opts.server + path, {
      method,
      headers: { Authorization: `bearer ${await this.token(method, decodeURIComponent(p))}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.request(method, path, body);
    const text = await r.text();
    if (r.status !== 200 && r.status !== 201) throw new ApiError(r.status, text);
    return JSON.parse(text) as T;
  }
  /** 202 → poll /queue → result location (or null). */
  async async(method: string, path: string, body?: unknown, label = 'operation'): Promise<string | null> {
    const r = await this.request(method, path, body);
    if (r.status !== 202) throw new ApiError(r.status, await r.text());
    const loc = r.headers.get('location')!;
    const t0 = Date.now();
    for (;;) {
      const q = await this.request('GET', loc);
      if (q.status === 200 && q.headers.get('x-pending') === 'true') {
        this.opts.onProgress?.(label, Date.now() - t0);
        await new Promise((res) => setTimeout(res, this.opts.pollMs ?? 400));
        continue;
      }
      // A browser follows the 303 itself (with the now-wrong token): the final URL is the result.
      if (q.redirected) return new URL(q.url).pathname;
      if (q.status === 204) return null;
      throw new ApiError(q.status, await q.text());
    }
  }
}
