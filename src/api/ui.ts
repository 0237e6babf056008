import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply } from 'fastify';
import type { RouteModule } from './server.js';
import { sendText } from './http.js';

/** Where `npm run build` puts the console (vite's outDir): `dist/console` under the repository/image root. */
const BUILT_DIR = join('dist', 'console');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * The page talks only to this origin and runs only its own bundled code; no inline script or
 * style is needed (vite emits external files), so the policy can be strict.
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Locates the built console by walking up from this module (works from src/api and dist/src/api). */
export function consoleDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, BUILT_DIR);
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

interface Asset {
  body: Buffer;
  type: string;
}

/**
 * The web console (Brickyard extension, docs/console.md): static files of the single-page app
 * under `/ui`, open like `/docs` — the page holds the key and signs every API call itself, so
 * nothing here needs a token. Files under `/ui/assets/` carry a content hash in their name and
 * are cached for a year; any other path below `/ui` is a client-side route and gets index.html.
 */
export function uiRoutes(root = consoleDir()): RouteModule {
  return (app, ctx) => {
    if (!ctx.config.console.enabled) return;
    // Read on first use and kept: the bundle is small and immutable for the life of the process.
    const cache = new Map<string, Asset | null>();
    const load = (rel: string): Asset | null => {
      if (!root) return null;
      const hit = cache.get(rel);
      if (hit !== undefined) return hit;
      const file = normalize(join(root, rel));
      let asset: Asset | null = null;
      if (file.startsWith(root + sep) && existsSync(file) && statSync(file).isFile()) {
        asset = { body: readFileSync(file), type: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' };
      }
      if (cache.size < 256) cache.set(rel, asset);
      return asset;
    };

    const send = (reply: FastifyReply, asset: Asset, immutable: boolean) =>
      reply
        .code(200)
        .header('content-type', asset.type)
        .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', CSP)
        .header('referrer-policy', 'no-referrer')
        .send(asset.body);

    const page = (reply: FastifyReply) => {
      const index = load('index.html');
      if (!index) return sendText(reply, 503, 'The console is not built: run npm run build');
      return send(reply, index, false);
    };

    app.get('/ui', async (_req, reply) => page(reply));

    app.get('/ui/*', async (req, reply) => {
      const rel = (req.params as { '*': string })['*'];
      if (rel.startsWith('assets/')) {
        const asset = load(rel);
        return asset ? send(reply, asset, true) : sendText(reply, 404, 'Invalid path or request');
      }
      // Top-level files (favicon) by name; everything else is a route of the app.
      const file = rel !== '' && !rel.includes('/') ? load(rel) : null;
      return file ? send(reply, file, false) : page(reply);
    });
  };
}
