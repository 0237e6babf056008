import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import supertest from 'supertest';
import { expect } from 'vitest';
import { defaultConfig, type Config } from '../../src/config.js';
import { createBrickyard, type Brickyard } from '../../src/app.js';
import { MockRunner } from '../../src/gluster/mock/index.js';
import { qshFor } from '../../src/auth/jwt.js';
import { expectSpec } from './openapi.js';

export const ADMIN_KEY = 'My Secret Admin Key';
export const USER_KEY = 'My Secret User Key';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** A token as the Go client mints it: HS256, exp = iat + 300, qsh over METHOD&path. */
export function token(method: string, path: string, opts: { iss?: string; key?: string; claims?: Record<string, unknown>; header?: Record<string, unknown> } = {}): string {
  const iss = opts.iss ?? 'admin';
  const key = opts.key ?? (iss === 'user' ? USER_KEY : ADMIN_KEY);
  const now = Math.floor(Date.now() / 1000);
  const header = opts.header ?? { alg: 'HS256', typ: 'JWT' };
  const claims = { exp: now + 300, iat: now, iss, qsh: qshFor(method, path.split('?')[0]!), ...opts.claims };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) delete (claims as Record<string, unknown>)[k];
  const signing = `${b64(header)}.${b64(claims)}`;
  const alg = String(header.alg);
  const hash = alg === 'HS512' ? 'sha512' : alg === 'HS384' ? 'sha384' : 'sha256';
  return `${signing}.${createHmac(hash, key).update(signing).digest('base64url')}`;
}

/** A Heketi error answer: this status and this text (plus the trailing newline). */
export function expectText(r: { status: number; text: string }, status: number, body: string): void {
  expect({ status: r.status, text: r.text }).toEqual({ status, text: body + '\n' });
}

export interface TestServer {
  by: Brickyard;
  runner: MockRunner;
  config: Config;
  dir: string;
  /** Admin-authenticated request helpers. */
  get(path: string): supertest.Test;
  post(path: string, body?: unknown): supertest.Test;
  del(path: string, body?: unknown): supertest.Test;
  raw(): supertest.Agent;
  /** Listens on 127.0.0.1 (a free port) and returns the base URL, for tests that drive real HTTP clients. */
  listen(): Promise<string>;
  /** Polls /queue until it is no longer pending; returns the final response. */
  wait(location: string): Promise<supertest.Response>;
  close(): Promise<void>;
}

export async function startTestServer(tune: (c: Config) => void = () => undefined): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'brickyard-test-'));
  const config = defaultConfig(dir);
  config.auth.adminKey = ADMIN_KEY;
  config.auth.userKey = USER_KEY;
  tune(config);
  const runner = new MockRunner({ stateFile: `${config.glusterfs.dbPath}.mock-nodes.json`, deviceSizeGb: config.glusterfs.mock.deviceSizeGb, delayMs: config.glusterfs.mock.delayMs });
  const by = await createBrickyard(config, { runner });
  await by.app.ready();
  const agent = supertest(by.app.server);
  // Every API-test response is checked against openapi.yaml: an undocumented status, header or
  // field fails the test that produced it.
  const auth = (t: supertest.Test, method: string, path: string) =>
    t.set('Authorization', `bearer ${token(method, path)}`).expect((res) => {
      expectSpec(res);
    });
  const send = (t: supertest.Test, body: unknown) => (body === undefined ? t : t.send(typeof body === 'string' ? body : JSON.stringify(body)));
  const server: TestServer = {
    by,
    runner,
    config,
    dir,
    get: (path) => auth(agent.get(path), 'GET', path),
    post: (path, body) => send(auth(agent.post(path), 'POST', path), body),
    del: (path, body) => send(auth(agent.delete(path), 'DELETE', path), body),
    raw: () => agent,
    async listen() {
      await by.app.listen({ port: 0, host: '127.0.0.1' });
      return `http://127.0.0.1:${(by.app.server.address() as AddressInfo).port}`;
    },

    async wait(location) {
      for (;;) {
        const r = await server.get(location);
        if (!(r.status === 200 && r.headers['x-pending'] === 'true')) return r;
        await new Promise((res) => setTimeout(res, 5));
      }
    },
    async close() {
      await by.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
