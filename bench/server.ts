/** A Brickyard for the benchmarks: its own process (so the load generator does not share its event loop), mock executor, JWT on. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { HeketiClient } from '../src/client/index.js';

export interface BenchServer {
  url: string;
  /** The server process, for its resident memory (rssKiB) and CPU time. */
  pid: number;
  /** Milliseconds from spawning the process to its first answer of GET /hello. */
  startMs: number;
  stop(): Promise<void>;
}

export interface BenchServerOptions {
  /** Merged into the `glusterfs` section of the server's configuration. */
  glusterfs?: Record<string, unknown>;
  /** Port to listen on (default: a random one in 18000-21999). */
  port?: number;
}

/** The Dockerfile, found upwards from this file (bench/ under tsx, dist/bench/ when built). */
function dockerfile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4 && !existsSync(join(dir, 'Dockerfile')); i++) dir = dirname(dir);
  return readFileSync(join(dir, 'Dockerfile'), 'utf8');
}

/**
 * The node flags the image runs the server with (the Dockerfile's ENTRYPOINT), so that the bench
 * measures the server as it is deployed.
 */
export function deployedNodeFlags(): string[] {
  const m = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile());
  if (!m) throw new Error('Dockerfile: no ENTRYPOINT ["node", ...] line');
  const argv = JSON.parse(m[1]!) as string[];
  return argv.slice(1).filter((a) => a.startsWith('--'));
}

/** The image's malloc setting (its own `ENV MALLOC_ARENA_MAX=` line), for the same reason. */
function deployedMallocEnv(): Record<string, string> {
  const m = /^ENV MALLOC_ARENA_MAX=(\d+)$/m.exec(dockerfile());
  return m ? { MALLOC_ARENA_MAX: m[1]! } : {};
}

export async function startBenchServer(dir: string, key: string, opts: BenchServerOptions = {}): Promise<BenchServer> {
  const port = opts.port ?? 18000 + Math.floor(Math.random() * 4000);
  const cfgFile = join(dir, 'heketi.json');
  writeFileSync(
    cfgFile,
    JSON.stringify({
      port: String(port),
      listen_address: '127.0.0.1',
      jwt: { admin: { key }, user: { key: `${key}-user` } },
      glusterfs: { executor: 'mock', db: join(dir, 'bench.db'), loglevel: 'none', mock: { device_size_gb: 4096 }, ...opts.glusterfs },
    }),
  );
  const t0 = performance.now();
  const server = execa('node', [...deployedNodeFlags(), ...(process.env.BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? []), new URL('../src/cli/main.js', import.meta.url).pathname, 'serve', '--config', cfgFile], {
    reject: false,
    env: deployedMallocEnv(),
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
  });
  let stderr = '';
  server.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const url = `http://127.0.0.1:${port}`;
  const client = new HeketiClient({ server: url, user: 'admin', key });
  for (;;) {
    try {
      await client.hello();
      break;
    } catch {
      if (performance.now() - t0 > 60_000 || server.exitCode !== null) {
        server.kill('SIGKILL');
        throw new Error(`bench server did not start (exit ${server.exitCode}): ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  return {
    url,
    pid: server.pid!,
    startMs: performance.now() - t0,
    async stop() {
      server.kill('SIGTERM');
      await server;
    },
  };
}

/** Resident memory of a process (Linux /proc), in KiB. */
export function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]);
}

/** CPU time (user + system, ms) a process has used, from /proc (Linux; undefined elsewhere). */
export function cpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}
