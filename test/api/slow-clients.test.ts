/**
 * Slow and unauthenticated clients (issue 10 item 6) against a listening server: connections that
 * trickle their headers or body are cut after the configured timeouts while /hello keeps
 * answering, and a request without a valid token is answered 401 before its body is read, with
 * its connection closed.
 */
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, USER_KEY, startTestServer, token, type TestServer } from '../helpers/server.js';
import { ConfigError, defaultConfig, loadConfig } from '../../src/config.js';

let s: TestServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const TIMEOUTS = { headersMs: 1000, requestMs: 2000, keepAliveMs: 1000 };

async function listen(): Promise<number> {
  s = await startTestServer((c) => {
    c.httpTimeouts = { ...TIMEOUTS };
  });
  await s.by.app.listen({ port: 0, host: '127.0.0.1' });
  return (s.by.app.server.address() as net.AddressInfo).port;
}

function hello(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/hello', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

interface Trickle {
  /** ms after the start at which the server closed the connection, or undefined while open. */
  closedAt?: number;
  answer: string;
  stop(): void;
}

/** Opens a connection, writes `head`, then one byte every `everyMs` until the server closes it. */
function trickle(port: number, head: string, everyMs: number, t0: number): Trickle {
  const sock = net.connect(port, '127.0.0.1');
  const t: Trickle = { answer: '', stop: () => sock.destroy() };
  sock.on('error', () => undefined);
  sock.on('data', (d) => (t.answer += String(d)));
  sock.on('close', () => {
    t.closedAt ??= Date.now() - t0;
    clearInterval(timer);
  });
  sock.write(head);
  const timer = setInterval(() => {
    if (!sock.destroyed) sock.write('x');
  }, everyMs);
  return t;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('slow clients', () => {
  it('cuts 300 connections that trickle headers or a body; /hello keeps answering', { timeout: 60_000 }, async () => {
    const port = await listen();
    const auth = `bearer ${token('POST', '/volumes')}`;
    const t0 = Date.now();
    const conns: Trickle[] = [];
    for (let i = 0; i < 300; i++) {
      const head =
        i % 3 === 0
          ? 'GET /clusters HTTP/1.1\r\nHost: x\r\n' // headers never finish
          : `POST /volumes HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Length: 100000\r\n\r\n{`; // body trickles
      conns.push(trickle(port, head, 300, t0));
    }
    try {
      // While they trickle, the server still answers.
      for (let i = 0; i < 5; i++) {
        expect(await hello(port)).toBe(200);
        await sleep(200);
      }
      // Cut within the request timeout plus the check interval (and slack for a loaded machine);
      // without the timeouts they would stay open as long as they trickle.
      const deadline = TIMEOUTS.requestMs + 6000;
      while (conns.some((c) => c.closedAt === undefined) && Date.now() - t0 < deadline) await sleep(100);
      const open = conns.filter((c) => c.closedAt === undefined).length;
      expect(open, `connections still open after ${deadline} ms`).toBe(0);
      for (const c of conns) expect(c.answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(await hello(port)).toBe(200);
    } finally {
      for (const c of conns) c.stop();
    }
  });

  it('answers an unauthenticated request 401 before reading its body, and closes the connection', { timeout: 30_000 }, async () => {
    const port = await listen();
    const t0 = Date.now();
    for (const authz of ['', 'Authorization: bearer a.b.c\r\n', `Authorization: bearer ${token('POST', '/volumes', { iss: 'user', key: 'wrong key' })}\r\n`]) {
      // A 1 GB body of which one byte is ever sent on time.
      const c = trickle(port, `POST /volumes HTTP/1.1\r\nHost: x\r\n${authz}Content-Length: 1000000000\r\n\r\n{`, 1000, t0);
      try {
        const start = Date.now() - t0;
        while (c.closedAt === undefined && Date.now() - t0 - start < TIMEOUTS.headersMs) await sleep(20);
        expect(c.answer).toMatch(/^HTTP\/1\.1 401 /);
        expect(c.answer.toLowerCase()).toContain('connection: close');
        // Closed at once, well before the headers timeout (let alone the request timeout) could.
        expect(c.closedAt, 'closed by the server').toBeDefined();
      } finally {
        c.stop();
      }
    }
  });
});

describe('timeout settings', () => {
  it('defaults, config keys in seconds, and headers_timeout never longer than request_timeout', () => {
    expect(defaultConfig().httpTimeouts).toEqual({ headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000 });
    const dir = mkdtempSync(join(tmpdir(), 'brickyard-timeouts-'));
    try {
      const file = join(dir, 'heketi.json');
      const base = { jwt: { admin: { key: ADMIN_KEY }, user: { key: USER_KEY } }, glusterfs: { executor: 'mock', db: join(dir, 'heketi.db') } };
      writeFileSync(file, JSON.stringify({ ...base, headers_timeout: 5, request_timeout: 120, keepalive_timeout: 60 }));
      expect(loadConfig({ configFile: file, env: {} }).config.httpTimeouts).toEqual({ headersMs: 5000, requestMs: 120_000, keepAliveMs: 60_000 });
      writeFileSync(file, JSON.stringify({ ...base, headers_timeout: 60, request_timeout: 30 }));
      expect(() => loadConfig({ configFile: file, env: {} })).toThrow(ConfigError);
      writeFileSync(file, JSON.stringify({ ...base, request_timeout: 0 }));
      expect(() => loadConfig({ configFile: file, env: {} })).toThrow(/request_timeout/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
