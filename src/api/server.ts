import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { HttpError, storeErrorText } from '../errors.js';
import { authenticate, requestPath, type Issuer } from '../auth/jwt.js';
import type { AppContext } from '../core/context.js';
import { HEX_ID } from '../core/validation.js';
import { sendEmpty, sendRedirect, sendText } from './http.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Raw body text (Heketi parses bodies itself, whatever the Content-Type). */
    rawBody?: string;
    issuer?: Issuer;
  }
}

/** Paths answered without a token (Heketi: /hello and /metrics; ours: the API docs and the console's static files). */
const OPEN_PATHS = [/^\/hello$/, /^\/metrics$/, /^\/openapi\.json$/, /^\/docs(\/.*)?$/, /^\/ui(\/.*)?$/];

export type RouteModule = (app: FastifyInstance, ctx: AppContext) => void | Promise<void>;

interface KnownRoute {
  method: string;
  pattern: RegExp;
}

function patternOf(url: string): RegExp {
  const re = url
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '[A-Fa-f0-9]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${re}$`);
}

function isLocal(ip: string): boolean {
  return ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1';
}

export interface BuildOptions {
  ctx: AppContext;
  routes: RouteModule[];
  https?: { key: Buffer; cert: Buffer };
}

/**
 * Builds the Fastify app over the core context with Heketi's request pipeline: open routes, then
 * JWT, then the user/admin check, then the admin-mode gate, then routing (404/405/301 as Heketi's
 * router). Requests log through the context's logger.
 */
export async function buildApp(opts: BuildOptions): Promise<FastifyInstance> {
  const { ctx } = opts;
  const { config } = ctx;
  const { headersMs, requestMs, keepAliveMs } = config.httpTimeouts;
  // Slow clients are cut (slowloris): Node checks every open request this often against the
  // headers/request timeouts (its default, 30 s, would let a trickle live twice as long).
  const timeouts = { headersTimeout: headersMs, requestTimeout: requestMs, connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersMs / 4))) };
  const app = Fastify({
    loggerInstance: ctx.log,
    bodyLimit: config.bodyLimit,
    requestTimeout: requestMs,
    keepAliveTimeout: keepAliveMs,
    http: timeouts,
    routerOptions: { caseSensitive: true, ignoreTrailingSlash: false },
    // Heketi's router has no HEAD routes: HEAD answers 405 like any other unrouted method.
    exposeHeadRoutes: false,
    requestIdHeader: 'x-request-id',
    // Random, so ids stay unique across restarts (Fastify's default counter starts again at 1).
    genReqId: () => randomBytes(8).toString('hex'),
    return503OnClosing: true,
    ...(opts.https ? { https: { ...opts.https, ...timeouts } } : {}),
  }) as unknown as FastifyInstance;

  // Heketi never looks at Content-Type: every body is kept as text and decoded by the route.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    req.rawBody = body as string;
    done(null, undefined);
  });

  const known: KnownRoute[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) known.push({ method: m, pattern: patternOf(route.url) });
  });

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  // Runs before the body is read (Heketi's JWT check looks at headers only): a request refused
  // here is answered at once and its connection closed, so a body nobody will read (a huge or
  // trickling one) holds nothing.
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const path = requestPath(req.url);
    if (req.method === 'GET' && OPEN_PATHS.some((re) => re.test(path))) return;
    if (config.auth.enabled) {
      try {
        req.issuer = await authenticate(req.headers.authorization, req.method, req.url, config.auth);
      } catch (e) {
        reply.header('connection', 'close');
        throw e;
      }
    }
    const state = ctx.admin.state;
    if (state !== 'normal' && req.method !== 'GET' && req.method !== 'HEAD') {
      if (state === 'read-only' || !isLocal(req.ip)) {
        reply.header('connection', 'close');
        return sendText(reply, 503, 'Service disabled for maintenance');
      }
    }
  });

  // Heketi's router: wrong method → 405, trailing slash → 301 to the clean path, else 404.
  const routeMiss = (req: FastifyRequest, reply: FastifyReply) => {
    const path = requestPath(req.url);
    if (path !== '/hello' && known.some((r) => r.pattern.test(path) && r.method !== req.method)) return sendEmpty(reply, 405); // Heketi: POST /hello is a 404 (conformance errors step 65)
    if (path.length > 1 && path.endsWith('/')) {
      const target = path.replace(/\/+$/, '') || '/';
      if (known.some((r) => r.pattern.test(target))) return sendRedirect(reply, 301, target, req.method);
    }
    return sendText(reply, 404, 'Invalid path or request');
  };

  // {id} segments must be hex (Heketi's router); anything else (also an empty id) is a route miss.
  app.addHook('preValidation', async (req, reply) => {
    const params = req.params as Record<string, string> | undefined;
    if (params && typeof params.id === 'string' && !HEX_ID.test(params.id)) return routeMiss(req, reply);
  });

  app.setNotFoundHandler(async (req, reply) => routeMiss(req, reply));

  app.setErrorHandler(async (err: unknown, req, reply) => {
    if (err instanceof HttpError) {
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      return sendText(reply, err.status, err.message);
    }
    const e = err as { code?: string; statusCode?: number; message?: string };
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendText(reply, 413, `request body larger than ${config.bodyLimit} bytes`);
    if (e.code?.startsWith('FST_ERR_CTP') || e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendText(reply, 422, 'request unable to be parsed');
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return sendText(reply, e.statusCode, e.message ?? 'bad request');
    }
    // The store refused a write (disk full, I/O error, read-only): the request's transaction
    // changed nothing, and the client learns why.
    const store = storeErrorText(err);
    if (store !== undefined) {
      req.log.error({ err: store }, 'database error');
      return sendText(reply, 500, store);
    }
    req.log.error({ err }, 'unhandled error');
    return sendText(reply, 500, 'Internal server error');
  });

  for (const register of opts.routes) await register(app, ctx);
  return app;
}
