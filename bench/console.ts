/**
 * The web console in a real browser: Debian's chromium driven headless by playwright-core (no
 * browser download). Shared by the browser tests (test/browser) and `npm run bench`'s
 * "console: Pool first paint" row.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { brickSpace } from '../src/allocator/sizing.js';

export const CHROMIUM = process.env.BRICKYARD_CHROMIUM ?? '/usr/bin/chromium';

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** A fresh headless chromium with its own throw-away profile, offline from everything but loopback. */
export async function launchBrowser(viewport = { width: 1280, height: 800 }): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium package (apt-get install -y chromium)`);
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'brickyard-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-features=PreloadTopChromeWebUI,WebUIOmniboxPopup,WebUIOmniboxAimPopup'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in on the console's sign-in form (the page keeps the key in memory only). */
export async function signIn(page: Page, role: 'admin' | 'user', key: string): Promise<void> {
  await page.getByLabel(role === 'admin' ? 'Admin' : 'User (read-only)', { exact: true }).check();
  await page.getByLabel(role === 'admin' ? 'Admin key' : 'User key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export interface FirstPaint {
  /** From pressing "Sign in" to the frame that shows all the node cards. */
  ms: number;
  /** Of that, until the sign-in's `GET /pool` answer had arrived (signing, server, network). */
  poolMs: number;
}

/**
 * Pressing "Sign in" on /ui/pool until the frame in which all `nodes` node cards are painted
 * (sign-in request, which reads the pool, then the render). Measured in the page with performance.now().
 */
export async function measurePoolFirstPaint(page: Page, baseUrl: string, key: string, nodes: number): Promise<FirstPaint> {
  await page.goto(`${baseUrl}/ui/pool`);
  await page.getByLabel('Admin key').fill(key);
  // A string, so no transpiler helper (esbuild's __name) leaks into the page.
  return page.evaluate(`new Promise((resolve, reject) => {
    const expected = ${nodes};
    const t0 = performance.now();
    const timeout = setTimeout(() => reject(new Error('pool did not paint ' + expected + ' nodes in 30 s')), 30000);
    const check = () => {
      if (document.querySelectorAll('[data-node]').length >= expected) {
        // The next frame is the one that shows them.
        requestAnimationFrame(() => {
          clearTimeout(timeout);
          const pool = performance.getEntriesByType('resource').filter((e) => new URL(e.name).pathname === '/pool' && e.startTime >= t0)[0];
          resolve({ ms: performance.now() - t0, poolMs: pool ? pool.responseEnd - t0 : NaN });
        });
      } else requestAnimationFrame(check);
    };
    document.querySelector('button[type=submit]').click();
    requestAnimationFrame(check);
  })`);
}

// ------------------------------------------------------------------------------------ big pool

const hex = (kind: number, n: number) => `${kind.toString(16).padStart(2, '0')}${n.toString(16).padStart(30, '0')}`;
const GiB = 1024 * 1024;

export interface BigPoolShape {
  clusters: number;
  nodesPerCluster: number;
  devicesPerNode: number;
  volumes: number;
  deviceGiB: number;
}

/**
 * A Heketi database export of a busy pool (replica-3 volumes of 1–40 GiB spread over zones 1–3),
 * for `POST /db/import`: loading it takes a second where creating 10,000 volumes takes minutes.
 */
export function bigPoolDump(shape: BigPoolShape): Record<string, unknown> {
  const clusterE: Record<string, unknown> = {};
  const nodeE: Record<string, unknown> = {};
  interface DeviceEntry {
    State: string;
    Info: { name: string; storage: { total: number; free: number; used: number }; id: string };
    Bricks: string[];
    NodeId: string;
    ExtentSize: number;
  }
  const deviceE: Record<string, DeviceEntry> = {};
  const volumeE: Record<string, unknown> = {};
  const brickE: Record<string, unknown> = {};
  const clusters: { id: string; nodes: string[]; volumes: string[]; devices: string[][] }[] = [];
  let nodeNo = 0;
  let deviceNo = 0;
  for (let c = 0; c < shape.clusters; c++) {
    const cluster = { id: hex(1, c), nodes: [] as string[], volumes: [] as string[], devices: [] as string[][] };
    for (let n = 0; n < shape.nodesPerCluster; n++) {
      const id = hex(2, nodeNo);
      const devices: string[] = [];
      for (let d = 0; d < shape.devicesPerNode; d++) {
        const did = hex(3, deviceNo++);
        devices.push(did);
        const total = shape.deviceGiB * GiB;
        deviceE[did] = { State: 'online', Info: { name: `/dev/sd${String.fromCharCode(98 + d)}`, storage: { total, free: total, used: 0 }, id: did }, Bricks: [], NodeId: id, ExtentSize: 4096 };
      }
      nodeNo++;
      nodeE[id] = {
        State: 'online',
        Info: { zone: (n % 3) + 1, hostnames: { manage: [`storage-${String(nodeNo).padStart(3, '0')}`], storage: [`10.${c}.${Math.floor(n / 250)}.${(n % 250) + 1}`] }, cluster: cluster.id, tags: n % 10 === 0 ? { rack: `r${Math.floor(n / 10) + 1}` } : {}, id },
        Devices: devices,
      };
      cluster.nodes.push(id);
      cluster.devices.push(devices);
    }
    clusters.push(cluster);
  }
  let brickNo = 0;
  for (let v = 0; v < shape.volumes; v++) {
    const cluster = clusters[v % clusters.length]!;
    const i = Math.floor(v / clusters.length);
    const size = 1 + ((i * 7919) % 40);
    const id = hex(4, v);
    const bricks: string[] = [];
    const space = brickSpace(size * GiB, 1);
    const first = (i * 7) % cluster.nodes.length;
    for (let k = 0; k < 3; k++) {
      const n = (first + k) % cluster.nodes.length; // consecutive nodes: three different zones
      const devs = cluster.devices[n]!;
      // The emptiest device of the node, as the allocator would pick.
      const device = devs.reduce((best, d) => (deviceE[d]!.Info.storage.free > deviceE[best]!.Info.storage.free ? d : best), devs[0]!);
      const dev = deviceE[device]!;
      if (dev.Info.storage.free < space.reserved) break;
      dev.Info.storage.free -= space.reserved;
      dev.Info.storage.used += space.reserved;
      const bid = hex(5, brickNo++);
      dev.Bricks.push(bid);
      bricks.push(bid);
      brickE[bid] = {
        Info: { id: bid, path: `/var/lib/heketi/mounts/vg_${device}/brick_${bid}/brick`, device, node: cluster.nodes[n], volume: id, size: size * GiB },
        TpSize: space.tpSize,
        PoolMetadataSize: space.poolMetadataSize,
        Pending: { Id: '' },
        LvmThinPool: `tp_${bid}`,
        LvmLv: '',
        SubType: 1,
      };
    }
    if (bricks.length < 3) throw new Error('bigPoolDump: the pool is too small for the volumes');
    volumeE[id] = {
      Info: { size, name: `pvc-${String(v).padStart(5, '0')}`, durability: { type: 'replicate', replicate: { replica: 3 } }, snapshot: { enable: false, factor: 1 }, id, cluster: cluster.id, blockinfo: {} },
      Bricks: bricks,
      GlusterVolumeOptions: [],
      Pending: { Id: '' },
    };
    cluster.volumes.push(id);
  }
  for (const c of clusters) clusterE[c.id] = { Info: { id: c.id, nodes: c.nodes, volumes: c.volumes, block: false, file: true, blockvolumes: [] } };
  return {
    clusterentries: clusterE,
    volumeentries: volumeE,
    brickentries: brickE,
    nodeentries: nodeE,
    deviceentries: deviceE,
    blockvolumeentries: {},
    dbattributeentries: { DB_BRICK_HAS_SUBTYPE_FIELD: { Key: 'DB_BRICK_HAS_SUBTYPE_FIELD', Value: 'yes' } },
    pendingoperations: {},
  };
}

export const BUSY_POOL: BigPoolShape = { clusters: 2, nodesPerCluster: 50, devicesPerNode: 10, volumes: 10000, deviceGiB: 1000 };

/**
 * `npm run bench` row: the Pool's first paint in chromium on the busy pool (an in-process server
 * with the mock executor; the pool loaded as `POST /db/import` does). The value is the first
 * sign-in after the server started (nothing warm: the server's first `GET /pool`, the page's
 * first run); the note adds the median of four more and the load average.
 */
export async function runConsoleBench(): Promise<(string | number)[][]> {
  const label = 'console: Pool first paint, 100x10 dev, 10k vol (ms)';
  if (!existsSync(CHROMIUM)) return [[label, 'skipped', '-', '-', `no ${CHROMIUM} (apt-get install chromium)`]];
  const { defaultConfig } = await import('../src/config.js');
  const { createBrickyard } = await import('../src/app.js');
  const { importDump } = await import('../src/store/dump/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'brickyard-console-bench-'));
  const config = defaultConfig(dir);
  config.auth.adminKey = 'bench-admin';
  config.auth.userKey = 'bench-user';
  config.glusterfs.loglevel = 'none';
  // 5,000 volumes per cluster: past Heketi's default limit of 1,000, which would leave nothing creatable.
  config.glusterfs.maxVolumesPerCluster = Infinity;
  const by = await createBrickyard(config);
  let browser: Browser | undefined;
  try {
    importDump(by.ctx.db, bigPoolDump(BUSY_POOL));
    await by.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(by.app.server.address() as { port: number }).port}`;
    browser = await launchBrowser();
    const runs: FirstPaint[] = [];
    for (let i = 0; i < 5; i++) runs.push(await measurePoolFirstPaint(browser.page, url, config.auth.adminKey, 100));
    const [cold, ...warm] = runs;
    const median = warm.map((r) => r.ms).sort((a, b) => a - b)[Math.floor(warm.length / 2)]!;
    const note = `<= 1000 ms; GET /pool answered at ${Math.round(cold!.poolMs)} ms; then ${warm.map((r) => Math.round(r.ms)).join(', ')} (median ${Math.round(median)}); load ${loadavg()[0]!.toFixed(1)}`;
    return [[label, Math.round(cold!.ms), '-', '-', note]];
  } finally {
    await browser?.close();
    await by.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
