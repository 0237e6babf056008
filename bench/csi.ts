/**
 * CreateVolume through the CSI driver vs the same create over REST (issue 11: ≤ 5 % overhead).
 * One fresh Brickyard in its own process (mock executor); the driver (`--mode controller`) and
 * both clients run here. Creates alternate REST / CSI so that noise hits both alike; each is a
 * 1 GiB replica-3 volume followed to "ready" (the queue's 303 and the volume read back). Both
 * paths use the same src/client settings (/queue polled every 5 ms).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, loadPackageDefinition, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { pino } from 'pino';
import { HeketiClient } from '../src/client/index.js';
import { createController } from '../src/csi/controller.js';
import { startDriver } from '../src/csi/main.js';
import { parseCsiOptions } from '../src/csi/options.js';
import { packageFile } from '../src/csi/proto.js';
import { startBenchServer } from './server.js';

const ROUNDS = Number(process.env.BENCH_CSI_ROUNDS ?? 40);
const POLL_MS = 5;
const KEY = 'bench-admin';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A `--mode controller` driver in this process against `server`, and a CreateVolume caller. */
export async function csiController(server: string, key: string, dir: string): Promise<{ create(name: string): Promise<string>; close(): Promise<void> }> {
  const socket = join(dir, 'csi.sock');
  const options = parseCsiOptions(['--endpoint', `unix://${socket}`, '--mode', 'controller', '--server', server], {}, 'bench');
  const log = pino({ level: 'silent' });
  const driver = await startDriver(options, { log, controller: await createController(options, key, log, { pollMs: POLL_MS }) });
  const def = loadSync(packageFile('proto/csi.proto'), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const Controller = (loadPackageDefinition(def) as unknown as { csi: { v1: { Controller: new (addr: string, creds: unknown) => Client } } }).csi.v1.Controller;
  const grpc = new Controller(`unix://${socket}`, credentials.createInsecure()) as Client & Record<string, (req: object, cb: (e: ServiceError | null, r: { volume: { volume_id: string } }) => void) => void>;
  return {
    create: (name) =>
      new Promise<string>((res, rej) =>
        grpc.CreateVolume!(
          {
            name,
            capacity_range: { required_bytes: String(1024 ** 3) },
            volume_capabilities: [{ mount: {}, access_mode: { mode: 'MULTI_NODE_MULTI_WRITER' } }],
            parameters: { volumetype: 'replicate:3' },
          },
          (e, r) => (e ? rej(e) : res(r.volume.volume_id)),
        ),
      ),
    async close() {
      grpc.close();
      await driver.server.close();
    },
  };
}

export const overhead = (csiMs: number, restMs: number) => `${(((csiMs - restMs) / restMs) * 100).toFixed(1)} %`;

/** Rows for bench/run.ts: median REST and CSI create latency and the CSI overhead. */
export async function runCsiBenchmark(): Promise<(string | number)[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'brickyard-bench-csi-'));
  const server = await startBenchServer(dir, KEY);
  const rest = new HeketiClient({ server: server.url, user: 'admin', key: KEY, pollMs: POLL_MS });
  const csi = await csiController(server.url, KEY, dir);
  try {
    const cluster = await rest.clusterCreate({ file: true, block: true });
    for (let i = 1; i <= 3; i++) {
      const node = await rest.nodeAdd({ zone: i, hostnames: { manage: [`bench-csi-n${i}`], storage: [`192.0.2.${i}`] }, cluster: cluster.id });
      for (const d of ['sdb', 'sdc']) await rest.deviceAdd({ name: `/dev/${d}`, node: node.id });
    }
    // Warm-up: JIT, connections, the driver's first lookups.
    await rest.volumeCreate({ size: 1, name: 'warm-rest', durability: { type: 'replicate', replicate: { replica: 3 } }, snapshot: { enable: true, factor: 1 } });
    await csi.create('warm-csi');
    const restMs: number[] = [];
    const csiMs: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      let t0 = performance.now();
      await rest.volumeCreate({ size: 1, name: `rest-${i}`, durability: { type: 'replicate', replicate: { replica: 3 } }, snapshot: { enable: true, factor: 1 } });
      restMs.push(performance.now() - t0);
      t0 = performance.now();
      await csi.create(`pvc-bench-${i}`);
      csiMs.push(performance.now() - t0);
    }
    const r = median(restMs);
    const c = median(csiMs);
    return [['CreateVolume via CSI vs REST (median ms, mock)', c.toFixed(1), r.toFixed(1), overhead(c, r), `<= 5 % overhead (${ROUNDS} each)`]];
  } finally {
    await csi.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
