import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { parse as parseYaml } from 'yaml';
import type { RouteModule } from './server.js';
import { sendJson } from './http.js';

const SPEC_FILE = 'openapi.yaml';

/**
 * Location of `openapi.yaml` (repository root). Walks up from this module's directory, so it is
 * found both from `src/api/` (tsx, vitest) and from `dist/src/api/` (built).
 */
export function openapiPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, SPEC_FILE);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`${SPEC_FILE} not found`);
}

/** The OpenAPI document, parsed from `openapi.yaml` (a fresh copy on every call). */
export function loadOpenApiSpec(): Record<string, unknown> {
  const doc = parseYaml(readFileSync(openapiPath(), 'utf8')) as unknown;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`${SPEC_FILE}: not a YAML mapping`);
  return doc as Record<string, unknown>;
}

/**
 * API documentation (Brickyard extension): `GET /openapi.json` (the spec as JSON) and the
 * Swagger UI under `/docs` (its page at `/docs`, assets at `/docs/static/*`, the document again at
 * `/docs/json` and `/docs/yaml`). All open: the auth hook exempts GET `/openapi.json` and `/docs*`.
 */
export const openapiRoutes: RouteModule = (app) => {
  const spec = loadOpenApiSpec();
  const body = JSON.stringify(spec);

  // Static mode: the document is served as written; no route introspection. (The parsed YAML is
  // untyped; the plugin wants its OpenAPI document type.)
  void app.register(fastifySwagger, { mode: 'static', specification: { document: structuredClone(spec) as never } });
  void app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true, displayOperationId: true },
  });

  app.get('/openapi.json', async (_req, reply) => sendJson(reply, 200, JSON.parse(body)));
};
