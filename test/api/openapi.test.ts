import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { FastifyInstance } from 'fastify';
import type { BuildOptions, RouteModule } from '../../src/api/server.js';
import type { TestServer } from '../helpers/server.js';
import { openapiPath } from '../../src/api/openapi-spec.js';
import { assertMatchesSpec, compileAllSchemas, deref, expectSpec, matchPath, openapiSpec, requestBodyErrors, specOperations } from '../helpers/openapi.js';

/**
 * Operations documented in openapi.yaml whose route is not registered yet. The lead shrinks this
 * list as modules land; the test fails both for a documented route that is neither registered nor
 * listed here, and for an entry here whose route has been registered (remove it then).
 */
const PENDING_ROUTES: string[] = [
];

/** Swagger UI's own routes (assets, /docs/json, /docs/yaml, /docs/) and the console's files under /ui/: static, documented under /docs and /ui. */
const isSwaggerInternal = (url: string) => url.startsWith('/docs/') || url === '/ui/*';

// Record every route the app registers: wrap buildApp so a first route module installs an
// onRoute hook, and add openapiRoutes if src/app.ts does not list it yet.
const registered = vi.hoisted(() => [] as { method: string; url: string }[]);
vi.mock('../../src/api/server.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/api/server.js')>();
  const { openapiRoutes } = await import('../../src/api/openapi.js');
  const collector: RouteModule = (app) => {
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) registered.push({ method: String(method), url: route.url });
    });
  };
  return {
    ...mod,
    buildApp: (opts: BuildOptions) =>
      mod.buildApp({ ...opts, routes: [collector, ...opts.routes, ...(opts.routes.includes(openapiRoutes) ? [] : [openapiRoutes])] }),
  };
});

const ID = '0123456789abcdef0123456789abcdef';

describe('openapi.yaml (standalone)', () => {
  it('is OpenAPI 3.0.3 with the security scheme and open routes', () => {
    const spec = openapiSpec();
    expect(spec.openapi).toBe('3.0.3');
    const schemes = (spec.components as Record<string, Record<string, Record<string, unknown>>>).securitySchemes!;
    expect(schemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(String(schemes.bearerAuth!.description)).toContain('qsh');
    expect(spec.security).toEqual([{ bearerAuth: [] }]);
    const open = specOperations()
      .filter((o) => Array.isArray(o.operation.security) && (o.operation.security as unknown[]).length === 0)
      .map((o) => `${o.method} ${o.path}`)
      .sort();
    expect(open).toEqual(['GET /docs', 'GET /hello', 'GET /metrics', 'GET /openapi.json', 'GET /ui']);
    const userOps = specOperations()
      .filter((o) => o.operation['x-brickyard-access'] === 'user')
      .map((o) => `${o.method} ${o.path}`)
      .sort();
    expect(userOps).toEqual(['GET /operations/details', 'GET /pool', 'GET /volumes', 'GET /volumes/details', 'GET /volumes/{id}/sets', 'POST /volumes', 'POST /volumes/capacity']);
  });

  it('compiles every schema with ajv', () => {
    expect(compileAllSchemas()).toEqual([]);
  });

  it('resolves every $ref, declares {id} parameters and has unique operationIds', () => {
    const spec = openapiSpec();
    const refs: string[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === '$ref' && typeof x === 'string') refs.push(x);
          else walk(x);
        }
      }
    };
    walk(spec);
    expect(refs.length).toBeGreaterThan(100);
    for (const r of new Set(refs)) expect(() => deref({ $ref: r }), r).not.toThrow();

    const ids = new Set<string>();
    for (const { method, path, operation } of specOperations()) {
      const where = `${method} ${path}`;
      expect(operation.operationId, where).toBeTypeOf('string');
      expect(ids.has(operation.operationId as string), `duplicate operationId ${String(operation.operationId)}`).toBe(false);
      ids.add(operation.operationId as string);
      expect(['admin', 'user', 'none'], where).toContain(operation['x-brickyard-access']);
      const responses = operation.responses as Record<string, unknown>;
      expect(Object.keys(responses).length, where).toBeGreaterThan(0);
      for (const [status, r] of Object.entries(responses)) expect(deref<Record<string, unknown>>(r).description, `${where} ${status}`).toBeTruthy();
      if (operation['x-brickyard-access'] !== 'none') expect(Object.keys(responses), where).toEqual(expect.arrayContaining(['401', '500']));
      if (method !== 'GET' && operation['x-brickyard-access'] !== 'none') expect(Object.keys(responses), where).toEqual(expect.arrayContaining(['413', '503']));
      if (responses['202']) {
        const headers = deref<Record<string, Record<string, unknown>>>(responses['202']).headers!;
        expect(deref<Record<string, unknown>>(headers.Location).required, where).toBe(true);
      }
    }
    for (const [path, item] of Object.entries(spec.paths as Record<string, Record<string, unknown>>)) {
      if (!path.includes('{id}')) continue;
      const params = (item.parameters as unknown[]).map((p) => deref<Record<string, unknown>>(p));
      expect(params.find((p) => p.name === 'id' && p.in === 'path'), path).toMatchObject({
        required: true,
        schema: { type: 'string', pattern: '^[A-Fa-f0-9]+$' },
      });
    }
  });

  it('lists only existing properties as required', () => {
    const bad: string[] = [];
    const walk = (v: unknown, at: string) => {
      if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${at}/${i}`));
      if (!v || typeof v !== 'object') return;
      const o = v as Record<string, unknown>;
      if (Array.isArray(o.required) && o.properties && typeof o.properties === 'object') {
        for (const r of o.required as string[]) if (!(r in (o.properties as object))) bad.push(`${at}: ${r}`);
      }
      for (const [k, x] of Object.entries(o)) walk(x, `${at}/${k}`);
    };
    walk(openapiSpec(), '#');
    expect(bad).toEqual([]);
  });

  it('matches concrete paths to templates', () => {
    expect(matchPath(`/volumes/${ID}`)?.template).toBe('/volumes/{id}');
    expect(matchPath(`/volumes/${ID.toUpperCase()}/expand`)?.template).toBe('/volumes/{id}/expand');
    expect(matchPath('/volumes/plan')?.template).toBe('/volumes/plan');
    expect(matchPath('/volumes/capacity')?.template).toBe('/volumes/capacity');
    expect(matchPath('/volumes/details?limit=5')?.template).toBe('/volumes/details');
    expect(matchPath('/operations/pending/cleanup')?.template).toBe('/operations/pending/cleanup');
    expect(matchPath('/volumes/not-hex')).toBeUndefined();
    expect(matchPath('/volumes/{id}')?.template).toBe('/volumes/{id}');
    expect(matchPath('/clusters?x=1')?.template).toBe('/clusters');
  });

  it('assertMatchesSpec accepts documented answers and rejects the rest', () => {
    const json = { 'content-type': 'application/json; charset=UTF-8', 'x-request-id': 'req-1' };
    const text = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'x-request-id': 'req-1' };
    const cluster = { id: ID, nodes: [], volumes: [], block: true, file: true, blockvolumes: [] };
    assertMatchesSpec('GET', `/clusters/${ID}`, 200, json, JSON.stringify(cluster) + '\n');
    assertMatchesSpec('GET', `/clusters/${ID}`, 200, json, cluster);
    expect(() => assertMatchesSpec('GET', `/clusters/${ID}`, 200, json, JSON.stringify({ ...cluster, extra: 1 }) + '\n')).toThrow(/extra/);
    expect(() => assertMatchesSpec('GET', `/clusters/${ID}`, 200, json, JSON.stringify(cluster))).toThrow(/newline/);
    expect(() => assertMatchesSpec('GET', `/clusters/${ID}`, 200, json, JSON.stringify({ ...cluster, nodes: undefined }) + '\n')).toThrow(/nodes/);
    expect(() => assertMatchesSpec('GET', `/clusters/${ID}`, 409, text, 'x\n')).toThrow(/409 not documented/);
    assertMatchesSpec('GET', `/clusters/${ID}`, 404, text, 'Id not found\n');
    expect(() => assertMatchesSpec('GET', `/clusters/${ID}`, 404, { 'x-request-id': 'r' }, 'Id not found\n')).toThrow(/Content-Type|X-Content-Type-Options/);
    expect(() => assertMatchesSpec('GET', `/clusters/${ID}`, 404, text, 'Id not found')).toThrow(/newline/);
    // 202: Location required; empty body.
    assertMatchesSpec('POST', '/nodes', 202, { location: `/queue/${ID}`, 'x-request-id': 'r' }, '');
    expect(() => assertMatchesSpec('POST', '/nodes', 202, { 'x-request-id': 'r' }, '')).toThrow(/Location/);
    expect(() => assertMatchesSpec('POST', '/nodes', 202, { location: `http://h/queue/${ID}`, 'x-request-id': 'r' }, '')).toThrow(/Location/);
    // queue protocol
    assertMatchesSpec('GET', `/queue/${ID}`, 200, { 'x-pending': 'true', 'x-request-id': 'r' }, '');
    expect(() => assertMatchesSpec('GET', `/queue/${ID}`, 200, { 'x-request-id': 'r' }, '')).toThrow(/X-Pending/);
    assertMatchesSpec('GET', `/queue/${ID}`, 303, { location: `/volumes/${ID}`, 'content-type': 'text/html; charset=utf-8', 'x-request-id': 'r' }, `<a href="/volumes/${ID}">See Other</a>.\n\n`);
    // 429 needs Retry-After (Brickyard extension).
    assertMatchesSpec('POST', '/volumes', 429, { ...text, 'retry-after': '5' }, 'Server busy. Retry operation later.\n');
    expect(() => assertMatchesSpec('POST', '/volumes', 429, text, 'Server busy. Retry operation later.\n')).toThrow(/Retry-After/);
    // Router fall-through.
    assertMatchesSpec('PUT', '/volumes', 405, { 'x-request-id': 'r' }, '');
    assertMatchesSpec('GET', '/volumes/not-hex', 404, text, 'Invalid path or request\n');
    assertMatchesSpec('GET', '/nope', 401, text, 'Required authorization token not found\n');
    expect(() => assertMatchesSpec('GET', '/nope', 200, json, '{}\n')).toThrow(/not documented/);
    // Plan: both shapes.
    assertMatchesSpec('POST', '/volumes/plan', 200, json, { feasible: false, error: 'No space', reasons: ['Cluster x: No space'] });
    assertMatchesSpec('POST', '/volumes/plan', 200, json, {
      feasible: true,
      cluster: ID,
      brick_size: 1048576,
      sets: [[{ node: ID, device: ID, size: 1048576, arbiter: false }]],
    });
    expect(() => assertMatchesSpec('POST', '/volumes/plan', 200, json, { feasible: true, error: 'No space', reasons: [] })).toThrow();
  });

  it('documents the request bodies', () => {
    expect(requestBodyErrors('POST', '/volumes', { size: 10, durability: { type: 'replicate', replicate: { replica: 3 } } })).toBeUndefined();
    expect(requestBodyErrors('POST', '/volumes', { name: 'x' })).toMatch(/size/);
    expect(requestBodyErrors('POST', '/nodes', { zone: 1, hostnames: { manage: ['a'], storage: ['b'] }, cluster: ID })).toBeUndefined();
    expect(requestBodyErrors('POST', `/nodes/${ID}/state`, { state: 'sleepy' })).toMatch(/allowed values/);
    expect(requestBodyErrors('GET', '/clusters', {})).toMatch(/no JSON body/);
  });
});

describe('openapi.yaml against the running app', () => {
  let srv: TestServer;
  let app: FastifyInstance;
  let agent: ReturnType<TestServer['raw']>;

  beforeAll(async () => {
    // Imported here so that the standalone checks above still run while other modules of the
    // app are being written.
    const { startTestServer } = await import('../helpers/server.js');
    srv = await startTestServer();
    app = srv.by.app;
    agent = srv.raw();
  });
  afterAll(async () => {
    await srv?.close();
  });

  const specKeys = () => new Set(specOperations().map((o) => `${o.method} ${o.path}`));
  const registeredKeys = () =>
    new Set(
      registered
        .filter((r) => r.method !== 'HEAD' && !isSwaggerInternal(r.url))
        .map((r) => `${r.method} ${r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`),
    );

  it('documents every registered route', () => {
    expect(registered.length).toBeGreaterThan(0);
    const missing = [...registeredKeys()].filter((k) => !specKeys().has(k)).sort();
    expect(missing, 'registered but not in openapi.yaml').toEqual([]);
  });

  it('registers every documented route (except PENDING_ROUTES)', () => {
    const reg = registeredKeys();
    const absent = [...specKeys()].filter((k) => !reg.has(k) && !PENDING_ROUTES.includes(k)).sort();
    expect(absent, 'in openapi.yaml but neither registered nor in PENDING_ROUTES').toEqual([]);
    const stale = PENDING_ROUTES.filter((k) => reg.has(k));
    expect(stale, 'registered now: remove from PENDING_ROUTES').toEqual([]);
    const unknown = PENDING_ROUTES.filter((k) => !specKeys().has(k));
    expect(unknown, 'PENDING_ROUTES entries not in openapi.yaml').toEqual([]);
  });

  it('GET /openapi.json answers the YAML as JSON without auth', async () => {
    const res = expectSpec(await agent.get('/openapi.json'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=UTF-8');
    expect(JSON.parse(res.text)).toEqual(parseYaml(readFileSync(openapiPath(), 'utf8')));
  });

  it('serves the Swagger UI at /docs without auth', async () => {
    const res = expectSpec(await agent.get('/docs'));
    expect([200, 301, 302, 303, 307, 308]).toContain(res.status);
    if (res.status === 200) expect(res.text).toMatch(/swagger/i);
    const page = await agent.get('/docs/');
    expect(page.status).toBe(200);
    const init = await agent.get('/docs/static/swagger-initializer.js');
    expect(init.status).toBe(200);
    const doc = await agent.get('/docs/json');
    expect(doc.status).toBe(200);
    expect(JSON.parse(doc.text)).toEqual(openapiSpec());
  });

  it('keeps the router answers (404/405) with the Swagger UI routes installed', async () => {
    const auth = (await import('../helpers/server.js')).token;
    const as = (method: 'get' | 'post' | 'delete' | 'put', path: string) => agent[method](path).set('Authorization', `bearer ${auth(method.toUpperCase(), path)}`);
    // unknown paths, including under /docs (wildcard asset route)
    expect(expectSpec(await as('get', '/nope')).status).toBe(404);
    expect(expectSpec(await as('get', '/docs/nope')).status).toBe(404);
    expect(expectSpec(await as('get', '/docs/static/no-such-asset.js')).status).toBe(404);
    expect(expectSpec(await as('post', '/docs/static/x')).status).toBe(404);
    expect(expectSpec(await as('delete', '/no/such/thing')).status).toBe(404);
    // known paths, other methods
    expect(expectSpec(await as('put', '/clusters')).status).toBe(405);
    expect(expectSpec(await as('post', '/openapi.json')).status).toBe(405);
    // without a token: 401 first (open routes are GET only)
    expect(expectSpec(await agent.get('/nope')).status).toBe(401);
    expect(expectSpec(await agent.post('/openapi.json')).status).toBe(401);
  });

  it('validates real responses with expectSpec', async () => {
    expectSpec(await agent.get('/hello'));
    expectSpec(await srv.get('/clusters'));
    const created = expectSpec(await srv.post('/clusters', { file: true, block: true }));
    expect(created.status).toBe(201);
    expectSpec(await srv.get(`/clusters/${created.body.id as string}`));
    expectSpec(await srv.get(`/clusters/${ID}`));
    expectSpec(await srv.post('/clusters', ''));
    expectSpec(await srv.post(`/clusters/${created.body.id as string}/flags`, { file: true, block: true }));
    expectSpec(await srv.del(`/clusters/${created.body.id as string}`));
  });
});
