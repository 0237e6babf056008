import { createHmac } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, qshFor } from '../../src/auth/jwt.js';
import { HttpError } from '../../src/errors.js';
import { ApiError, HeketiClient, NetworkError, ProtocolError, qsh, signToken, type ClientOptions } from '../../src/client/index.js';
import { ADMIN_KEY, USER_KEY, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * src/client against the server's own verifier and a real in-process server over HTTP; fake
 * fetches only where the server cannot be made to answer that way on demand (429 forever, a 202
 * without Location).
 */

const KEYS = { adminKey: ADMIN_KEY, userKey: USER_KEY, iatLeewaySec: 120 };

/** Why `authenticate` refuses a token ('' when it accepts it). */
async function refusal(token: string, method: string, url: string): Promise<string> {
  try {
    await authenticate(`bearer ${token}`, method, url, KEYS);
    return '';
  } catch (e) {
    if (e instanceof HttpError) return `${e.status} ${e.message}`;
    throw e;
  }
}

describe('tokens (heketi-auth.md)', () => {
  it('are the Go client tokens: the documented example, byte for byte', async () => {
    const example =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3MDAwMDAzMDAsImlhdCI6MTcwMDAwMDAwMCwiaXNzIjoiYWRtaW4iLCJxc2giOiI0NzQ5YTU5ZGU4N2MyN2M5YjJmNDk1YzVmMTMwOWIyNTI1NjgxZGZlMzBjOGE3YjgzNjI1OTAxYjEzMmE5YzI2In0.etX5urZZFloCAK_8XpqFsnb1GnsQ8_UwYouXGwyxnh4';
    expect(await signToken('GET', '/clusters', 'admin', 'My Secret', 1700000000)).toBe(example);
    expect(await qsh('DELETE', '/volumes/0123456789abcdef0123456789abcdef')).toBe('d48c761079027de04e37c4619b20af2972d07272ec853e8fa3b5296c52f8cbbe');
    expect(await qsh('get', '/hello')).toBe(qshFor('GET', '/hello'));
  });

  it('are accepted by the server verifier, and refused with a wrong key or for another path', async () => {
    expect(await refusal(await signToken('GET', '/clusters/abc', 'admin', ADMIN_KEY), 'GET', '/clusters/abc')).toBe('');
    expect(await refusal(await signToken('POST', '/volumes', 'user', USER_KEY), 'POST', '/volumes')).toBe('');
    expect(await refusal(await signToken('GET', '/clusters', 'admin', 'not the key'), 'GET', '/clusters')).toBe(
      '401 Invalid JWT token: signature is invalid (client and server secrets may not match)',
    );
    expect(await refusal(await signToken('GET', '/clusters', 'admin', ADMIN_KEY), 'GET', '/nodes')).toBe('401 Invalid qsh claim in token');
    expect(await refusal(await signToken('GET', '/clusters', 'admin', ADMIN_KEY), 'DELETE', '/clusters')).toBe('401 Invalid qsh claim in token');
    expect(await refusal(await signToken('GET', '/clusters', 'user', USER_KEY), 'GET', '/clusters')).toBe('401 Administrator access required');
  });

  it('sign with an empty key as HMAC does (WebCrypto refuses a zero-length key)', async () => {
    const [header, claims, sig] = (await signToken('GET', '/hello', '', '', 1700000000)).split('.');
    expect(sig).toBe(createHmac('sha256', '').update(`${header}.${claims}`).digest('base64url'));
    expect(JSON.parse(Buffer.from(claims!, 'base64url').toString())).toEqual({ exp: 1700000300, iat: 1700000000, iss: '', qsh: qshFor('GET', '/hello') });
  });
});

const R2 = { type: 'replicate' as const, replicate: { replica: 2 } };

describe('HeketiClient against a live server', () => {
  let s: TestServer;
  let url: string;
  let client: HeketiClient;
  let cluster: string;
  const nodes: string[] = [];
  const progress: [string, boolean][] = [];

  beforeAll(async () => {
    // Node commands take a few ms each, so operations stay pending for several polls.
    s = await startTestServer((c) => {
      c.glusterfs.mock.delayMs = 20;
    });
    // Polls answered at once, as Heketi does (not held until the end): the client's pending handling is tested here.
    s.by.ctx.ops.pollHoldMs = 0;
    url = await s.listen();
    client = new HeketiClient({ server: `${url}/`, user: 'admin', key: ADMIN_KEY, pollMs: 5, onProgress: (label, _ms, done) => progress.push([label, done]) });
  });
  afterAll(async () => {
    await s.close();
  });

  it('builds a topology: sync calls, 202 + /queue → 303 → the new node, 204 → nothing', async () => {
    expect(await client.hello()).toBe('Hello from Heketi');
    cluster = (await client.clusterCreate({ file: true, block: true })).id;
    for (let i = 1; i <= 3; i++) {
      const node = await client.nodeAdd({ zone: i, hostnames: { manage: [`n${i}`], storage: [`10.1.0.${i}`] }, cluster });
      expect(node).toMatchObject({ zone: i, cluster, state: 'online', devices: [] });
      progress.length = 0;
      expect(await client.deviceAdd({ name: '/dev/sdb', node: node.id })).toBeUndefined();
      // The device add stayed pending for a few polls: reported, then reported done once.
      expect(progress.length).toBeGreaterThan(1);
      expect(progress.at(-1)).toEqual(['device add', true]);
      expect(progress.slice(0, -1).every(([label, done]) => label === 'device add' && !done)).toBe(true);
      nodes.push(node.id);
    }
    const info = await client.clusterInfo(cluster);
    expect(info.nodes).toEqual([...nodes].sort());
    const topo = await client.topology();
    expect(topo.clusters.map((c) => [c.id, c.nodes.length, c.nodes.every((n) => n.devices.length === 1)])).toEqual([[cluster, 3, true]]);
  });

  it('volume lifecycle: create, find by name, expand, clone, delete (204)', async () => {
    const v = await client.volumeCreate({ size: 1, name: 'by_client', durability: R2 });
    expect(v).toMatchObject({ size: 1, name: 'by_client', cluster });
    expect((await client.volumesByName('by_client')).map((x) => x.id)).toEqual([v.id]);
    expect(await client.volumesByName('nope')).toEqual([]);
    expect((await client.volumeExpand(v.id, { expand_size: 1 })).size).toBe(2);
    const clone = await client.volumeClone(v.id, { name: 'by_client_clone' });
    expect(clone.id).not.toBe(v.id);
    expect((await client.volumeList()).volumes.sort()).toEqual([v.id, clone.id].sort());
    expect(await client.volumeDelete(clone.id)).toBeUndefined();
    expect(await client.volumeDelete(v.id)).toBeUndefined();
    expect((await client.volumeList()).volumes).toEqual([]);
  });

  it('an operation that fails on the queue (500) rejects with its status and text', async () => {
    const e = await client.nodeSetState(nodes[0]!, 'failed').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ status: 500, text: `Node must be offline before remove operation is performed, node:${nodes[0]}\n` });
    expect((e as ApiError).message).toBe(`Node must be offline before remove operation is performed, node:${nodes[0]}`);
  });

  it('synchronous errors carry the status and the plain text', async () => {
    await expect(client.volumeInfo('0123456789abcdef0123456789abcdef')).rejects.toMatchObject({ status: 404, text: 'Id not found\n', message: 'Id not found' });
    await expect(client.volumeCreate({ size: 1, durability: { type: 'replicate', replicate: { replica: 5 } } })).rejects.toMatchObject({ status: 400, message: 'Invalid replica value' });
    const wrongKey = new HeketiClient({ server: url, user: 'admin', key: 'wrong' });
    await expect(wrongKey.clusterList()).rejects.toMatchObject({ status: 401, message: 'Invalid JWT token: signature is invalid (client and server secrets may not match)' });
    const user = new HeketiClient({ server: url, user: 'user', key: USER_KEY });
    expect((await user.volumeList()).volumes).toEqual([]);
    await expect(user.clusterList()).rejects.toMatchObject({ status: 401, message: 'Administrator access required' });
  });

  it('signs the decoded path of percent-encoded URLs, as Go does', async () => {
    const encoded = [...cluster].map((ch) => `%${ch.charCodeAt(0).toString(16)}`).join('');
    const r = await client.request('GET', `/clusters/${encoded}`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).id).toBe(cluster);
    // Typed methods encode ids as one segment: a hostile "id" reaches the router, not another route.
    await expect(client.clusterInfo(`${cluster}/../../volumes`)).rejects.toMatchObject({ status: 404, message: 'Invalid path or request' });
    await expect(client.volumeInfo('a b?c')).rejects.toMatchObject({ status: 404 });
  });

  it('GETs follow redirects with a fresh token (301 from a trailing slash)', async () => {
    expect((await client.request('GET', '/clusters/')).status).toBe(301);
    const r = await client.get('/clusters/');
    expect([r.status, r.url]).toEqual([200, `${url}/clusters`]);
  });

  it("redirects: 'follow' (browsers): fetch follows, the client asks the target again with its own token", async () => {
    const seen: string[] = [];
    const follow = client.withOptions({
      redirects: 'follow',
      fetch: async (input, init) => {
        const r = await fetch(input, init);
        seen.push(`${init?.method} ${new URL(String(input)).pathname} → ${r.redirected ? `${new URL(r.url).pathname} ` : ''}${r.status}`);
        return r;
      },
    });
    const v = await follow.volumeCreate({ size: 1, name: 'followed', durability: R2 });
    expect(v.name).toBe('followed');
    // The last poll was followed to the volume with the poll's token (refused), then asked again.
    expect(seen.slice(-2)).toEqual([expect.stringMatching(new RegExp(`^GET /queue/[0-9a-f]{32} → /volumes/${v.id} 401$`)), `GET /volumes/${v.id} → 200`]);
    const r = await follow.get('/clusters/');
    expect([r.status, r.url]).toEqual([200, `${url}/clusters`]);
    await follow.volumeDelete(v.id);
  });

  it('extensions: plan, drift, operations, db check, log level, admin state', async () => {
    const plan = await client.volumePlan({ size: 1, durability: R2 });
    expect(plan.feasible).toBe(true);
    if (plan.feasible) expect(plan.sets[0]).toHaveLength(2);
    expect(await client.stateDrift()).toEqual({ clean: true, items: [] });
    expect(await client.stateRepair({ dry_run: true })).toEqual({ dry_run: true, fixes: [] });
    expect(await client.operations()).toMatchObject({ total: 0, failed: 0 });
    expect(await client.pendingOperationList()).toEqual({ pendingoperations: [] });
    expect(await client.operationsCleanup()).toBeUndefined();
    expect((await client.dbCheck()).totalinconsistencies).toBe(0);
    expect(Object.keys((await client.dbDump()).nodeentries).sort()).toEqual([...nodes].sort());
    expect((await client.dbBackup()).length).toBeGreaterThan(0);
    expect((await client.logLevelSet('debug')).loglevel.glusterfs).toBe('debug');
    expect(await client.logLevelGet()).toEqual({ loglevel: { glusterfs: 'debug' } });
    expect(await client.adminStateGet()).toEqual({ state: 'normal' });
    expect(await client.metrics()).toContain('# TYPE');
  });

  it('an abort stops the waiting, not the operation', async () => {
    const controller = new AbortController();
    const location = await client.start('POST', '/volumes', { size: 1, name: 'aborted_wait', durability: R2 });
    const aborting = client.withOptions({ signal: controller.signal, onProgress: () => controller.abort() });
    const e = await aborting.poll(location).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).name).toBe('AbortError');
    const done = await client.poll(location);
    expect(done.status).toBe(303);
    const v = await client.volumeInfo(done.headers.get('location')!.split('/').pop()!);
    expect(v.name).toBe('aborted_wait');
    await client.volumeDelete(v.id);
  });
});

describe('429: the Go client retry rules', () => {
  it('retries after Retry-After once the server is no longer busy', async () => {
    const s = await startTestServer((c) => {
      c.glusterfs.maxInflightOperations = 1;
      c.glusterfs.mock.delayMs = 5;
    });
    try {
      const url = await s.listen();
      const admin = new HeketiClient({ server: url, user: 'admin', key: ADMIN_KEY, pollMs: 5 });
      const c = (await admin.clusterCreate({ file: true, block: true })).id;
      for (let i = 1; i <= 2; i++) {
        const n = await admin.nodeAdd({ zone: i, hostnames: { manage: [`n${i}`], storage: [`10.2.0.${i}`] }, cluster: c });
        await admin.deviceAdd({ name: '/dev/sdb', node: n.id });
      }
      const first = await admin.start('POST', '/volumes', { size: 1, durability: R2 });
      const waits: number[] = [];
      const patient = admin.withOptions({
        random: () => 0,
        // The advertised wait passes while the first create finishes; later sleeps are /queue polls.
        sleep: async (ms) => {
          waits.push(ms);
          if (waits.length === 1) expect((await admin.poll(first)).status).toBe(303);
          else await new Promise((r) => setTimeout(r, ms));
        },
      });
      const v = await patient.volumeCreate({ size: 1, name: 'second', durability: R2 });
      expect(v.name).toBe('second');
      // Retry-After: 1, plus Go's 0–9 s of jitter (here 0); then the second create's polls.
      expect(waits[0]).toBe(1000);
      expect(waits.slice(1).every((ms) => ms === 5)).toBe(true);
    } finally {
      await s.close();
    }
  });

  function busyServer(headers: Record<string, string>) {
    const calls: string[] = [];
    const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      calls.push(`${init?.method} ${String(input)}`);
      return new Response('Server busy. Retry operation later.\n', { status: 429, headers });
    }) as typeof globalThis.fetch;
    return { calls, fetch };
  }

  it('gives up after 6 retries with the last answer', async () => {
    const busy = busyServer({ 'retry-after': '2' });
    const waits: number[] = [];
    const c = new HeketiClient({ server: 'http://heketi.test', user: 'admin', key: 'k', fetch: busy.fetch, random: () => 0.5, sleep: async (ms) => void waits.push(ms) });
    await expect(c.volumeCreate({ size: 1 })).rejects.toMatchObject({ status: 429, message: 'Server busy. Retry operation later.' });
    expect(busy.calls).toEqual(Array(7).fill('POST http://heketi.test/volumes'));
    expect(waits).toEqual(Array(6).fill(7000)); // 2 s + 5 s of jitter
  });

  it('without Retry-After waits 10–29 s, and maxRetries429 caps the attempts', async () => {
    for (const [random, wait] of [
      [0, 10_000],
      [0.999, 29_000],
    ] as const) {
      const busy = busyServer({});
      const waits: number[] = [];
      const c = new HeketiClient({ server: 'http://heketi.test', user: 'admin', key: 'k', fetch: busy.fetch, random: () => random, maxRetries429: 2, sleep: async (ms) => void waits.push(ms) });
      await expect(c.clusterList()).rejects.toMatchObject({ status: 429 });
      expect(waits).toEqual([wait, wait]);
      expect(busy.calls).toHaveLength(3);
    }
  });
});

describe('transport failures', () => {
  /** A port nobody listens on. */
  const closedPort = () =>
    new Promise<number>((res) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as AddressInfo;
        srv.close(() => res(port));
      });
    });

  it('a refused connection is a NetworkError with the system error', async () => {
    const port = await closedPort();
    const e = await new HeketiClient({ server: `http://127.0.0.1:${port}`, user: 'admin', key: 'k' }).clusterList().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NetworkError);
    expect(e).toMatchObject({ method: 'GET', url: `http://127.0.0.1:${port}/clusters`, code: 'ECONNREFUSED', address: '127.0.0.1', port });
  });

  it('any fetch failure is a NetworkError; protocol breaches are ProtocolErrors', async () => {
    const opts = (fetch: ClientOptions['fetch']): ClientOptions => ({ server: 'http://heketi.test', user: 'admin', key: 'k', fetch, pollMs: 0 });
    const broken = new HeketiClient(
      opts(async () => {
        throw new TypeError('Failed to fetch');
      }),
    );
    await expect(broken.hello()).rejects.toMatchObject({ name: 'NetworkError', reason: 'Failed to fetch', message: 'GET http://heketi.test/hello: Failed to fetch' });
    const noLocation = new HeketiClient(opts(async () => new Response(null, { status: 202 })));
    await expect(noLocation.volumeDelete('0123456789abcdef0123456789abcdef')).rejects.toThrow(new ProtocolError('server did not provide a queue location'));
    const badPending = new HeketiClient(
      opts(async (input) =>
        String(input).includes('/queue/') ? new Response('', { status: 500, headers: { 'x-pending': 'true' } }) : new Response(null, { status: 202, headers: { location: '/queue/1' } }),
      ),
    );
    await expect(badPending.volumeDelete('0123456789abcdef0123456789abcdef')).rejects.toThrow(new ProtocolError('Unknown response while waiting: 500'));
    const emptyError = new HeketiClient(opts(async () => new Response(null, { status: 503 })));
    await expect(emptyError.clusterList()).rejects.toMatchObject({ status: 503, message: 'server did not provide a message (status 503: Service Unavailable)' });
  });
});
