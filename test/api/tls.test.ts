/**
 * Input hardening at the transport: TLS (`enable_tls` + `cert_file`/`key_file` ⇒ HTTPS, with a
 * self-signed certificate made by openssl) and the request body limit (413 with its text, before
 * any decoding; authentication still comes first).
 */
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, USER_KEY, startTestServer, token, type TestServer } from '../helpers/server.js';
import { ConfigError, defaultConfig, loadConfig } from '../../src/config.js';
import { createBrickyard, type Brickyard } from '../../src/app.js';
import { MockRunner } from '../../src/gluster/mock/index.js';

let dir: string;
let certFile: string;
let keyFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'brickyard-tls-'));
  certFile = join(dir, 'cert.pem');
  keyFile = join(dir, 'key.pem');
  await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function get(tls: boolean, port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const opts = { host: '127.0.0.1', port, path, method: 'GET', headers, ...(tls ? { ca: readFileSync(certFile), servername: 'localhost' } : {}) };
    const req = (tls ? httpsRequest : httpRequest)(opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

describe('TLS', () => {
  let by: Brickyard | undefined;
  let dataDir: string;

  afterEach(async () => {
    await by?.close();
    by = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves HTTPS with the configured certificate; plain HTTP is refused', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'brickyard-tls-data-'));
    const config = defaultConfig(dataDir);
    config.auth.adminKey = ADMIN_KEY;
    config.auth.userKey = USER_KEY;
    config.enableTls = true;
    config.certFile = certFile;
    config.keyFile = keyFile;
    by = await createBrickyard(config, { runner: new MockRunner() });
    await by.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (by.app.server.address() as AddressInfo).port;

    const hello = await get(true, port, '/hello');
    expect(hello).toMatchObject({ status: 200, body: 'Hello from Heketi' });

    const clusters = await get(true, port, '/clusters', { authorization: `bearer ${token('GET', '/clusters')}` });
    expect(clusters.status).toBe(200);
    expect(JSON.parse(clusters.body)).toEqual({ clusters: [] });
    expect((await get(true, port, '/clusters')).status).toBe(401);

    // The certificate is the one configured (verified against it as the only CA).
    await expect(get(false, port, '/hello')).rejects.toThrow();
  });

  it('the config file turns TLS on; cert_file and key_file are required', () => {
    dataDir = mkdtempSync(join(tmpdir(), 'brickyard-tls-data-'));
    const file = join(dataDir, 'heketi.json');
    const base = { jwt: { admin: { key: ADMIN_KEY }, user: { key: USER_KEY } }, glusterfs: { executor: 'mock', db: join(dataDir, 'heketi.db') } };
    writeFileSync(file, JSON.stringify({ ...base, enable_tls: true, cert_file: certFile, key_file: keyFile }));
    const { config } = loadConfig({ configFile: file, env: {} });
    expect(config).toMatchObject({ enableTls: true, certFile, keyFile });
    writeFileSync(file, JSON.stringify({ ...base, enable_tls: true, cert_file: certFile }));
    expect(() => loadConfig({ configFile: file, env: {} })).toThrow(ConfigError);
  });
});

describe('request body limit', () => {
  let s: TestServer | undefined;

  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  const auth = (method: string, path: string) => ({ authorization: `bearer ${token(method, path)}` });

  it('answers 413 with its text above the default limit (1 MiB), whatever the route or body', async () => {
    s = await startTestServer();
    const limit = s.config.bodyLimit;
    expect(limit).toBe(1024 * 1024);
    for (const [method, url] of [
      ['POST', '/volumes'],
      ['POST', '/nodes'],
      ['POST', '/devices'],
      ['DELETE', '/devices/0123456789abcdef0123456789abcdef'],
      ['POST', '/internal/state/repair'],
      ['POST', '/admin'],
    ] as const) {
      for (const body of [`{"name":"${'a'.repeat(limit)}"}`, 'x'.repeat(limit + 1), `[${'1,'.repeat(limit / 2)}1]`]) {
        const r = await s.by.app.inject({ method, url, headers: { ...auth(method, url), 'content-type': 'application/json' }, payload: body });
        expect({ status: r.statusCode, body: r.body }, `${method} ${url}`).toEqual({ status: 413, body: `request body larger than ${limit} bytes\n` });
        expect(r.headers['x-content-type-options']).toBe('nosniff');
      }
    }
    // Exactly at the limit is read and decoded (here: not JSON → 422).
    const atLimit = await s.by.app.inject({ method: 'POST', url: '/volumes', headers: auth('POST', '/volumes'), payload: 'x'.repeat(limit) });
    expect(atLimit.statusCode).toBe(422);
    // Authentication comes first: no token, no body reading.
    const anon = await s.by.app.inject({ method: 'POST', url: '/volumes', payload: 'x'.repeat(limit + 1) });
    expect(anon.statusCode).toBe(401);
  });

  it('honours body_limit, also for chunked bodies without Content-Length, and keeps serving', async () => {
    s = await startTestServer((c) => {
      c.bodyLimit = 1000;
    });
    const srv = s;
    const big = await srv.post('/volumes', `{"size":1,"name":"${'b'.repeat(1000)}"}`);
    expect({ status: big.status, text: big.text }).toEqual({ status: 413, text: 'request body larger than 1000 bytes\n' });

    // Chunked upload over a real socket, no Content-Length: the server counts what arrives.
    await srv.by.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (srv.by.app.server.address() as AddressInfo).port;
    const chunked = await new Promise<Answer>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/volumes', method: 'POST', headers: { ...auth('POST', '/volumes'), 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      });
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write(`{"padding":"${'c'.repeat(100)}"}`);
      req.end();
    });
    expect({ status: chunked.status, body: chunked.body }).toEqual({ status: 413, body: 'request body larger than 1000 bytes\n' });

    const small = await srv.post('/volumes', { size: 1 });
    expect(small.status).toBe(400); // decoded and validated: no clusters configured
    expect((await srv.raw().get('/hello')).status).toBe(200);
  });
});
