import { afterEach, describe, expect, it, vi } from 'vitest';
import { authenticate } from '../../src/auth/jwt.js';
import { loadOperations, planVolume, signIn } from '../../src/console/api.js';

// The console signs every request in the page (WebCrypto) with the key it holds in memory; the
// server's own verifier must accept each token for exactly that request, and refuse a wrong key.

const KEYS = { adminKey: 'console admin secret', userKey: 'console user secret', iatLeewaySec: 120 };
const SERVER = 'http://brickyard.test:8080';

interface Seen {
  method: string;
  path: string;
  authorization: string;
}

function stubServer(answer: (path: string) => unknown = () => ({})): Seen[] {
  const seen: Seen[] = [];
  vi.stubGlobal('fetch', async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const headers = new Headers(init?.headers);
    seen.push({ method: init?.method ?? 'GET', path: url.pathname, authorization: headers.get('authorization') ?? '' });
    return new Response(JSON.stringify(answer(url.pathname)), { status: 200, headers: { 'content-type': 'application/json; charset=UTF-8' } });
  });
  return seen;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('console request signing, checked by the server verifier', () => {
  it('signs the admin sign-in and every later request for its own method and path', async () => {
    const seen = stubServer((path) => (path === '/pool' ? { clusters: [] } : path === '/operations/details' ? { operations: [] } : { feasible: false, error: 'No space', reasons: [] }));
    const session = await signIn('admin', KEYS.adminKey, SERVER);
    await planVolume(session, { size: 1, durability: { type: 'replicate', replicate: { replica: 3 } } });
    await loadOperations(session);
    expect(seen.map((s) => `${s.method} ${s.path}`).sort()).toEqual(['GET /operations/details', 'GET /pool', 'POST /volumes/plan']);
    for (const s of seen) {
      expect(s.authorization).toMatch(/^bearer /i);
      await expect(authenticate(s.authorization, s.method, s.path, KEYS)).resolves.toBe('admin');
    }
    // A token is good for its own request only (qsh).
    const pool = seen.find((s) => s.path === '/pool')!;
    await expect(authenticate(pool.authorization, 'GET', '/clusters', KEYS)).rejects.toThrow('Invalid qsh claim in token');
    await expect(authenticate(pool.authorization, 'DELETE', '/pool', KEYS)).rejects.toThrow('Invalid qsh claim in token');
  });

  it('signs as the user with the user key, for the reads the server lets a user token make', async () => {
    const seen = stubServer((path) => (path === '/pool' ? { clusters: [] } : { operations: [] }));
    const session = await signIn('user', KEYS.userKey, SERVER);
    await loadOperations(session);
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(['GET /pool', 'GET /operations/details']);
    for (const s of seen) await expect(authenticate(s.authorization, s.method, s.path, KEYS)).resolves.toBe('user');
  });

  it('produces tokens the server refuses when the key is wrong', async () => {
    const seen = stubServer(() => ({ clusters: [] }));
    await signIn('admin', 'not the admin key', SERVER);
    await expect(authenticate(seen[0]!.authorization, 'GET', '/pool', KEYS)).rejects.toThrow('Invalid JWT token: signature is invalid (client and server secrets may not match)');
  });
});
