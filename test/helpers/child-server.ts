/**
 * Brickyard as a child process (`serve --config`), for tests that SIGKILL the server and restart it
 * on the same DB: test/api/crash.test.ts (mock executor) and test/e2e/crash-lab.e2e.test.ts (ssh
 * executor on the lab). Requests go through src/client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HeketiClient, type Reply } from '../../src/client/index.js';
import { ADMIN_KEY, USER_KEY } from './server.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const live = new Set<ChildProcess>();

/**
 * How the server is started: `node --import tsx src/cli/main.ts serve`, or (much faster to start,
 * which matters with dozens of restarts) the same entry point bundled by esbuild (tsx's own
 * transpiler) into a temp dir next to links to node_modules, migrations/ and openapi.yaml.
 */
let serverArgv: string[] = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];
let buildDir: string | undefined;

/** Bundles the server once (call from beforeAll); without esbuild the servers run through tsx. */
export async function buildServer(): Promise<void> {
  try {
    const esbuild = await import('esbuild');
    buildDir = mkdtempSync(join(tmpdir(), 'brickyard-child-build-'));
    await esbuild.build({
      entryPoints: [join(ROOT, 'src/cli/main.ts')],
      outdir: join(buildDir, 'src/cli'),
      outExtension: { '.js': '.mjs' },
      // Lazily imported modules (e.g. the CSI driver and its gRPC packages) stay in their own
      // chunks, loaded only when used, as with tsc's output: one bundle would load them at start.
      splitting: true,
      bundle: true,
      packages: 'external',
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'error',
    });
    // dist: the built console (dist/console), which the server looks for above its own module.
    for (const f of ['node_modules', 'migrations', 'openapi.yaml', 'dist']) symlinkSync(join(ROOT, f), join(buildDir, f));
    serverArgv = [join(buildDir, 'src/cli/main.mjs')];
  } catch {
    // esbuild unavailable: run through tsx (slower starts).
  }
}

/** A TCP port nobody listens on right now (for a server that must keep its port across restarts). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((res) => srv.close(res));
  return port;
}

/** Kills every child server still running and removes the bundle (call from afterAll). */
export function cleanupServers(): void {
  for (const p of live) p.kill('SIGKILL');
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
}

/** An answer as the tests read it. */
export interface Res {
  status: number;
  text: string;
  location: string;
  json<T = Record<string, unknown>>(): T;
}

function res(r: Reply): Res {
  return { status: r.status, text: r.text, location: r.headers.get('location') ?? '', json: <T>() => JSON.parse(r.text) as T };
}

export interface ChildServerOptions {
  /** The config's `glusterfs` section (`db` is added: `<dir>/heketi.db`). */
  glusterfs: Record<string, unknown>;
  /** Extra environment of every start. */
  env?: Record<string, string>;
  /** /queue poll interval of `wait` and `ok`. */
  pollMs: number;
  /** A fixed port, so that clients reach the server again after a restart (default: any free one). */
  port?: number;
}

/** One child server on one data directory; `start()` again restarts it on the same files. */
export class ChildServer {
  proc!: ChildProcess;
  base = '';
  exited!: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the current process wrote (JSON log lines on stdout, stderr), for failure messages. */
  output = '';
  /** Admin client of the current process; 429s are answers here, not retried. */
  client!: HeketiClient;
  readonly dbPath: string;
  readonly config: string;

  constructor(
    readonly dir: string,
    private readonly opts: ChildServerOptions,
  ) {
    this.dbPath = join(dir, 'heketi.db');
    this.config = join(dir, 'heketi.json');
    writeFileSync(
      this.config,
      JSON.stringify({
        port: String(opts.port ?? 0),
        jwt: { admin: { key: ADMIN_KEY }, user: { key: USER_KEY } },
        glusterfs: { ...opts.glusterfs, db: this.dbPath },
      }),
    );
  }

  async start(extraEnv: Record<string, string> = {}): Promise<void> {
    const proc = spawn(process.execPath, [...serverArgv, 'serve', '--config', this.config], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '', ...this.opts.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(proc);
    this.proc = proc;
    this.output = '';
    this.exited = new Promise((res) =>
      proc.once('exit', (code, signal) => {
        live.delete(proc);
        res({ code, signal });
      }),
    );
    proc.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.base = await new Promise<string>((res, rej) => {
      let found = false;
      proc.stdout!.on('data', (d: Buffer) => {
        this.output += d.toString();
        if (found) return; // keep draining
        const m = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(this.output) ?? /"msg":"Server listening at (http:\/\/[^"]+)"/.exec(this.output);
        if (m) {
          found = true;
          res(m[1]!);
        }
      });
      void this.exited.then((e) => {
        if (!found) rej(new Error(`server exited (${e.code ?? e.signal}) before listening: ${this.output}`));
      });
    });
    this.client = new HeketiClient({ server: this.base, user: 'admin', key: ADMIN_KEY, pollMs: this.opts.pollMs, maxRetries429: 0 });
  }

  /** The last warn/error log lines of the current process. */
  recentLogs(n = 15): string {
    return this.output
      .split('\n')
      .filter((l) => /"level":(40|50|60)/.test(l))
      .slice(-n)
      .join('\n');
  }

  /** One request, answered as is. */
  async req(method: string, path: string, body?: unknown): Promise<Res> {
    return res(await this.client.request(method, path, body));
  }

  async get<T>(path: string): Promise<T> {
    const r = await this.req('GET', path);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text}`);
    return r.json<T>();
  }

  /** Polls a queue entry to its end: its terminal answer (303 not followed). */
  async wait(location: string, timeoutMs = 600_000): Promise<Res> {
    try {
      return res(await this.client.withOptions({ signal: AbortSignal.timeout(timeoutMs) }).poll(location));
    } catch (e) {
      if (e instanceof Error && e.name === 'TimeoutError') throw new Error(`${location} still pending after ${timeoutMs / 1000}s`);
      throw e;
    }
  }

  /** An async request that must succeed: returns the id in its 303 Location ('' for 204). */
  async ok(method: string, path: string, body?: unknown): Promise<string> {
    const r = await this.req(method, path, body);
    if (r.status !== 202) throw new Error(`${method} ${path}: expected 202, got ${r.status} ${r.text}`);
    const done = await this.wait(r.location);
    if (done.status !== 303 && done.status !== 204) throw new Error(`${method} ${path} → ${done.status} ${done.text}\n${this.recentLogs()}`);
    return done.location.split('/').pop() ?? '';
  }

  /** SIGKILL, as a crash. */
  async kill(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }
}

