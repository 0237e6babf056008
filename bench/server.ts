/** A Brickyard for the benchmarks: its own process (so the load generator does not share its event loop), mock executor, JWT on. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { HeketiClient } from '../src/client/index.js';

export interface BenchServer {
  url: string;
  /** The server process, for its CPU time. */
  pid: number | undefined;
  stop(): Promise<void>;
}

export async function startBenchServer(dir: string, key: string): Promise<BenchServer> {
  const port = 18000 + Math.floor(Math.random() * 4000);
  const cfgFile = join(dir, 'heketi.json');
  writeFileSync(
    cfgFile,
    JSON.stringify({
      port: String(port),
      listen_address: '127.0.0.1',
      jwt: { admin: { key }, user: { key: `${key}-user` } },
      glusterfs: { executor: 'mock', db: join(dir, 'bench.db'), loglevel: 'none', mock: { device_size_gb: 4096 } },
    }),
  );
  const server = execa('node', [new URL('../src/cli/main.js', import.meta.url).pathname, 'serve', '--config', cfgFile], { reject: false, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const client = new HeketiClient({ server: url, user: 'admin', key });
  for (let i = 0; ; i++) {
    try {
      await client.hello();
      break;
    } catch {
      if (i > 200) throw new Error('bench server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    pid: server.pid,
    async stop() {
      server.kill('SIGTERM');
      await server;
    },
  };
}
