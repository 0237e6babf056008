import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { expectSpec } from '../helpers/openapi.js';
import { consoleDir } from '../../src/api/ui.js';

// GET /ui: the console's static files (built by vitest's globalSetup, as by `npm run build`).

let s: TestServer;
afterEach(async () => {
  await s?.close();
});

describe('GET /ui', () => {
  it('serves the page and its hashed assets without a token, with types, caching and a strict CSP', async () => {
    s = await startTestServer();
    const agent = s.raw();
    const page = expectSpec(await agent.get('/ui'));
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(page.text).toMatch(/<div id="app"><\/div>/);
    const assets = readdirSync(join(consoleDir()!, 'assets'));
    const js = assets.find((f) => f.endsWith('.js'))!;
    const css = assets.find((f) => f.endsWith('.css'))!;
    expect(page.text).toContain(`/ui/assets/${js}`);
    for (const [file, type] of [
      [js, 'text/javascript; charset=utf-8'],
      [css, 'text/css; charset=utf-8'],
    ] as const) {
      const r = await agent.get(`/ui/assets/${file}`);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe(type);
      expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
    }
    // Nothing the page loads comes from another origin.
    expect(page.text).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('answers index.html for the app’s own routes, 404 for a missing asset, and never a file outside the build', async () => {
    s = await startTestServer();
    const agent = s.raw();
    for (const path of ['/ui/', '/ui/pool', '/ui/volumes/0123456789abcdef0123456789abcdef', '/ui/operations']) {
      const r = await agent.get(path);
      expect(r.status, path).toBe(200);
      expect(r.text, path).toMatch(/<div id="app">/);
    }
    const missing = await agent.get('/ui/assets/nope-123.js');
    expect(missing.status).toBe(404);
    expect(missing.text).toBe('Invalid path or request\n');
    for (const path of ['/ui/assets/..%2f..%2f..%2fpackage.json', '/ui/..%2f..%2fpackage.json', '/ui/%2e%2e/%2e%2e/package.json']) {
      const r = await agent.get(path);
      expect(r.text, path).not.toMatch(/"name": "brickyard"/);
    }
    // Only GET: other methods on /ui are refused like any route's.
    expect((await agent.post('/ui')).status).toBe(401);
  });

  it('is gone when the console is turned off', async () => {
    s = await startTestServer((c) => (c.console.enabled = false));
    const r = await s.raw().get('/ui');
    expect(r.status).toBe(404);
    expect(r.text).toBe('Invalid path or request\n');
    expect((await s.raw().get('/ui/pool')).status).toBe(404);
  });
});
