import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteModule } from './server.js';
import { sendJson } from './http.js';

/** Headers of the documentation app's answer that belong to its own connection, not to ours. */
const CONNECTION_HEADERS = new Set(['connection', 'content-length', 'date', 'keep-alive', 'transfer-encoding']);

/**
 * API documentation (Brickyard extension): `GET /openapi.json` (the spec as JSON) and the
 * Swagger UI under `/docs` (its page at `/docs`, assets at `/docs/static/*`, the document again at
 * `/docs/json` and `/docs/yaml`). All open: the auth hook exempts GET `/openapi.json` and `/docs*`.
 *
 * Loaded on the first request, not at start: parsing the 140 KB YAML cost ~0.4 s of every start
 * and ~18 MB of resident memory that a server nobody reads the docs of never needed (issue 12).
 * The Swagger UI runs in its own Fastify instance, built then, which these routes forward to.
 */
export const openapiRoutes: RouteModule = (app) => {
  let spec: Promise<Record<string, unknown>> | undefined;
  let docs: Promise<FastifyInstance> | undefined;
  // A failed load is not kept: the next request tries again.
  const loadSpec = () => (spec ??= import('./openapi-spec.js').then((m) => m.loadOpenApiSpec()).catch((e: unknown) => ((spec = undefined), Promise.reject(e))));
  const loadDocs = () => (docs ??= buildDocsApp(loadSpec).catch((e: unknown) => ((docs = undefined), Promise.reject(e))));

  app.get('/openapi.json', async (_req, reply) => sendJson(reply, 200, await loadSpec()));

  const forward = async (req: FastifyRequest, reply: FastifyReply) => {
    const res = await (await loadDocs()).inject({ method: 'GET', url: req.url, headers: req.headers });
    // The UI's own 404 (an unknown asset) becomes the router's answer, as for any unknown path.
    if (res.statusCode === 404) return reply.callNotFound();
    reply.code(res.statusCode);
    for (const [name, value] of Object.entries(res.headers)) if (value !== undefined && !CONNECTION_HEADERS.has(name)) reply.header(name, value);
    return reply.send(res.rawPayload);
  };
  app.get('/docs', forward);
  app.get('/docs/*', forward);
  app.addHook('onClose', async () => {
    await (await docs?.catch(() => undefined))?.close();
  });
};

/** The Swagger UI (and the plugin serving the document to it) over the spec, in a Fastify instance of its own. */
async function buildDocsApp(loadSpec: () => Promise<Record<string, unknown>>): Promise<FastifyInstance> {
  const [{ default: Fastify }, { default: fastifySwagger }, { default: fastifySwaggerUi }, spec] = await Promise.all([
    import('fastify'),
    import('@fastify/swagger'),
    import('@fastify/swagger-ui'),
    loadSpec(),
  ]);
  const docs = Fastify();
  // Static mode: the document is served as written; no route introspection. (The parsed YAML is
  // untyped; the plugin wants its OpenAPI document type.)
  await docs.register(fastifySwagger, { mode: 'static', specification: { document: structuredClone(spec) as never } });
  await docs.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true, displayOperationId: true },
  });
  await docs.ready();
  return docs as unknown as FastifyInstance;
}
