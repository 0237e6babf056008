import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, USER_KEY, startTestServer, token, type TestServer } from '../helpers/server.js';
import { goDuration, qshFor } from '../../src/auth/jwt.js';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.close();
});

async function getWith(path: string, authorization?: string) {
  const t = s.raw().get(path);
  return authorization === undefined ? t : t.set('Authorization', authorization);
}

function expectText(r: { status: number; text: string; headers: Record<string, string> }, status: number, body: string) {
  expect(r.status).toBe(status);
  expect(r.text).toBe(body + '\n');
  expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
  expect(r.headers['x-content-type-options']).toBe('nosniff');
}

describe('JWT authentication (heketi-auth.md)', () => {
  it('serves /hello and /metrics without a token', async () => {
    const hello = await getWith('/hello');
    expect(hello.status).toBe(200);
    expect(hello.text).toBe('Hello from Heketi');
    expect(hello.headers['content-type']).toBe('text/plain; charset=UTF-8');
    expect((await getWith('/metrics')).status).toBe(200);
  });

  it('requires a token everywhere else, unknown routes included', async () => {
    expectText(await getWith('/clusters'), 401, 'Required authorization token not found');
    expectText(await getWith('/no/such/route'), 401, 'Required authorization token not found');
    expectText(await s.raw().put('/volumes'), 401, 'Required authorization token not found');
  });

  it('rejects headers that are not "bearer <token>" with 400', async () => {
    expectText(await getWith('/clusters', 'Basic dXNlcjpwYXNz'), 400, 'Authorization header format must be Bearer {token}');
    expectText(await getWith('/clusters', 'bearer'), 400, 'Authorization header format must be Bearer {token}');
    expectText(await getWith('/clusters', 'bearer a b'), 400, 'Authorization header format must be Bearer {token}');
  });

  it('accepts the scheme word in any case, and HS384/HS512', async () => {
    expect((await getWith('/clusters', `Bearer ${token('GET', '/clusters')}`)).status).toBe(200);
    expect((await getWith('/clusters', `BEARER ${token('GET', '/clusters', { header: { alg: 'HS512', typ: 'JWT' } })}`)).status).toBe(200);
    expect((await getWith('/clusters', `bearer ${token('GET', '/clusters', { header: { alg: 'HS384', typ: 'JWT' } })}`)).status).toBe(200);
  });

  it('rejects a bad signature, with the signature message winning over claim errors', async () => {
    expectText(
      await getWith('/clusters', `bearer ${token('GET', '/clusters', { key: 'wrong' })}`),
      401,
      'Invalid JWT token: signature is invalid (client and server secrets may not match)',
    );
    expectText(
      await getWith('/clusters', `bearer ${token('GET', '/clusters', { key: 'wrong', claims: { exp: 1 } })}`),
      401,
      'Invalid JWT token: signature is invalid (client and server secrets may not match)',
    );
    // The user key does not sign admin tokens.
    expectText(
      await getWith('/clusters', `bearer ${token('GET', '/clusters', { iss: 'admin', key: USER_KEY })}`),
      401,
      'Invalid JWT token: signature is invalid (client and server secrets may not match)',
    );
  });

  it('rejects alg none and non-HMAC algorithms', async () => {
    const claims = { iss: 'admin', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60, qsh: qshFor('GET', '/clusters') };
    expectText(await getWith('/clusters', `bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`), 401, 'Invalid JWT token: Unexpected signing method: none');
    expectText(await getWith('/clusters', `bearer ${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}.c2ln`), 401, 'Invalid JWT token: Unexpected signing method: RS256');
  });

  it('checks qsh over METHOD&path, ignoring the query string', async () => {
    expectText(await getWith('/clusters', `bearer ${token('GET', '/volumes')}`), 401, 'Invalid qsh claim in token');
    expectText(await getWith('/clusters', `bearer ${token('GET', '/clusters', { claims: { qsh: undefined } })}`), 401, 'Invalid qsh claim in token');
    expectText(await getWith('/clusters', `bearer ${token('POST', '/clusters')}`), 401, 'Invalid qsh claim in token');
    expect((await getWith('/clusters?x=1', `bearer ${token('GET', '/clusters')}`)).status).toBe(200);
  });

  it('requires exp and applies no leeway to it', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectText(await getWith('/clusters', `bearer ${token('GET', '/clusters', { claims: { exp: now - 100 } })}`), 401, 'Invalid JWT token: Token is expired by 1m40s');
    const r = await getWith('/clusters', `bearer ${token('GET', '/clusters', { claims: { exp: undefined } })}`);
    expect(r.status).toBe(401);
    expect(r.text).toMatch(/^Invalid JWT token: Token is expired by \d+h\d+m\d+s\n$/);
  });

  it('allows iat up to 120 s in the future, not more; iat may be missing', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await getWith('/clusters', `bearer ${token('GET', '/clusters', { claims: { iat: now + 60 } })}`)).status).toBe(200);
    expectText(
      await getWith('/clusters', `bearer ${token('GET', '/clusters', { claims: { iat: now + 600 } })}`),
      401,
      'Invalid JWT token: Token used before issued (client and server clocks may differ)',
    );
    expect((await getWith('/clusters', `bearer ${token('GET', '/clusters', { claims: { iat: undefined } })}`)).status).toBe(200);
  });

  it('rejects nbf in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectText(await getWith('/clusters', `bearer ${token('GET', '/clusters', { claims: { nbf: now + 600 } })}`), 401, 'Invalid JWT token: token is not valid yet');
  });

  it('needs a known issuer', async () => {
    expectText(await getWith('/clusters', `bearer ${token('GET', '/clusters', { iss: '', key: '' })}`), 401, 'Invalid JWT token: Token missing iss claim');
    expectText(await getWith('/clusters', `bearer ${token('GET', '/clusters', { iss: 'root', key: ADMIN_KEY })}`), 401, 'Invalid JWT token: Unknown user');
  });

  it('rejects malformed tokens', async () => {
    expectText(await getWith('/clusters', 'bearer abc.def'), 401, 'Invalid JWT token: token contains an invalid number of segments');
    expectText(await getWith('/clusters', `bearer ${Buffer.from('invalid').toString('base64url')}.e30.x`), 401, "Invalid JWT token: invalid character 'i' looking for beginning of value");
    expectText(await getWith('/clusters', `bearer ${Buffer.from('{"alg":').toString('base64url')}.e30.x`), 401, 'Invalid JWT token: unexpected end of JSON input');
  });

  it('limits user tokens to exactly /volumes', async () => {
    expect((await getWith('/volumes', `bearer ${token('GET', '/volumes', { iss: 'user' })}`)).status).toBe(200);
    expectText(await getWith('/clusters', `bearer ${token('GET', '/clusters', { iss: 'user' })}`), 401, 'Administrator access required');
    expectText(await getWith('/volumes/', `bearer ${token('GET', '/volumes/', { iss: 'user' })}`), 401, 'Administrator access required');
    const id = '0123456789abcdef0123456789abcdef';
    expectText(await getWith(`/volumes/${id}`, `bearer ${token('GET', `/volumes/${id}`, { iss: 'user' })}`), 401, 'Administrator access required');
    expectText(await getWith(`/queue/${id}`, `bearer ${token('GET', `/queue/${id}`, { iss: 'user' })}`), 401, 'Administrator access required');
    // Routing comes after auth: a user PUT /volumes is a 405.
    const put = await s.raw().put('/volumes').set('Authorization', `bearer ${token('PUT', '/volumes', { iss: 'user' })}`);
    expect(put.status).toBe(405);
  });

  it("lets user tokens read the console's Brickyard extensions, GET only, and nothing that acts or runs node commands", async () => {
    const asUser = (method: string, path: string) =>
      s.raw()[method.toLowerCase() as 'get' | 'post' | 'delete'](path).set('Authorization', `bearer ${token(method, path, { iss: 'user' })}`);
    const id = '0123456789abcdef0123456789abcdef';
    expect((await asUser('GET', '/pool')).status).toBe(200);
    expect((await asUser('GET', '/volumes/details')).status).toBe(200);
    expect((await asUser('GET', '/operations/details')).status).toBe(200);
    // Past auth: the route itself answers (no such volume).
    expectText(await asUser('GET', `/volumes/${id}/sets`), 404, 'Id not found');
    for (const [method, path] of [
      ['POST', '/pool'],
      ['DELETE', `/volumes/${id}/sets`],
      ['GET', `/volumes/${id}/sets/x`],
      ['GET', '/volumes/not-an-id/sets'],
      ['GET', '/topology'],
      ['GET', `/nodes/${id}/remove-plan`],
      ['GET', `/devices/${id}/remove-plan`],
      ['POST', '/volumes/plan'],
      ['GET', '/internal/state/drift'],
      ['GET', '/operations'],
      ['GET', '/operations/pending'],
      ['POST', '/operations/pending/cleanup'],
    ] as const) {
      expectText(await asUser(method, path), 401, 'Administrator access required');
    }
  });

  it('formats durations like Go', () => {
    expect(goDuration(0)).toBe('0s');
    expect(goDuration(45)).toBe('45s');
    expect(goDuration(100)).toBe('1m40s');
    expect(goDuration(300)).toBe('5m0s');
    expect(goDuration(3723)).toBe('1h2m3s');
  });
});

describe('routing after auth', () => {
  it('answers unknown paths 404, wrong methods 405, trailing slashes 301', async () => {
    expectText(await s.get('/nope'), 404, 'Invalid path or request');
    expectText(await s.get('/volumes/not-a-hex-id'), 404, 'Invalid path or request');
    const put = await s.raw().put('/volumes').set('Authorization', `bearer ${token('PUT', '/volumes')}`);
    expect(put.status).toBe(405);
    expect(put.text).toBe('');
    expect(put.headers['content-type']).toBeUndefined();
    const slash = await s.get('/clusters/');
    expect(slash.status).toBe(301);
    expect(slash.headers.location).toBe('/clusters');
  });

  it('treats upper-case hex ids as ids that do not exist', async () => {
    expectText(await s.get('/clusters/ABCDEF0123456789ABCDEF0123456789'), 404, 'Id not found');
  });
});

describe('admin mode', () => {
  it('read-only blocks every mutation (POST /admin too) with 503', async () => {
    const r = await s.post('/admin', { state: 'read-only' });
    expect(r.status).toBe(204);
    expectText(await s.post('/clusters', {}), 503, 'Service disabled for maintenance');
    expectText(await s.post('/admin', { state: 'normal' }), 503, 'Service disabled for maintenance');
    expect((await s.get('/clusters')).status).toBe(200);
    expect((await s.get('/admin')).body).toEqual({ state: 'read-only' });
    s.by.ctx.admin.state = 'normal'; // what SIGUSR2 does
    expect((await s.post('/clusters', {})).status).toBe(201);
  });

  it('validates the state', async () => {
    expectText(await s.post('/admin', { state: 'sleepy' }), 400, 'validation failed: state: must be a valid value.');
    expectText(await s.post('/admin', {}), 400, 'validation failed: state: cannot be blank.');
  });
});
