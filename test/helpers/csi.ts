/**
 * CSI test helpers: a promisified gRPC client of the driver's three services on a unix socket,
 * and fake `mount`/`umount`/`mount.glusterfs` binaries that record their argv and keep a fake
 * mountinfo file, so the node service runs its real commands and reads its real mount table
 * format without touching the host's mounts.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, loadPackageDefinition, Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { packageFile } from '../../src/csi/proto.js';

type Call = (req?: object) => Promise<Record<string, any>>;
export interface CsiClient {
  identity: Record<string, Call>;
  controller: Record<string, Call>;
  node: Record<string, Call>;
  close(): void;
}

/** A client the way a CO talks to the driver (same proto, same loader options as the driver). */
export function csiClient(socket: string): CsiClient {
  const def = loadSync(packageFile('proto/csi.proto'), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const v1 = (loadPackageDefinition(def) as any).csi.v1;
  const clients: Client[] = [];
  const wrap = (Ctor: any): Record<string, Call> => {
    const c = new Ctor(`unix://${socket}`, credentials.createInsecure());
    clients.push(c);
    const out: Record<string, Call> = {};
    for (const m of Object.keys(Ctor.service)) {
      out[m] = (req = {}) =>
        new Promise((resolve, reject) => {
          c[m](req, { deadline: Date.now() + 120_000 }, (err: ServiceError | null, res: Record<string, any>) => (err ? reject(err) : resolve(res)));
        });
    }
    return out;
  };
  return {
    identity: wrap(v1.Identity),
    controller: wrap(v1.Controller),
    node: wrap(v1.Node),
    close: () => clients.forEach((c) => c.close()),
  };
}

/** The gRPC code of a failed call (or 'OK'). */
export async function codeOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (e) {
    return (e as ServiceError).code;
  }
}

export async function failure(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as ServiceError;
  }
  throw new Error('expected the call to fail');
}

// ----------------------------------------------------------------------------- fake binaries

const FAKE_MOUNT = String.raw`
const fs = require('fs');
const args = process.argv.slice(2);
const tool = require('path').basename(process.argv[1]);
const dir = process.env.FAKE_DIR;
fs.appendFileSync(dir + '/calls.log', JSON.stringify([tool, ...args]) + '\n');
const infoPath = dir + '/mountinfo';
const lines = fs.existsSync(infoPath) ? fs.readFileSync(infoPath, 'utf8').split('\n').filter(Boolean) : [];
const fail = (file) => { try { return fs.readFileSync(dir + '/' + file, 'utf8').trim(); } catch { return ''; } };
const save = () => fs.writeFileSync(infoPath, lines.map((l) => l + '\n').join(''));
const at = (p) => { for (let i = lines.length - 1; i >= 0; i--) if (lines[i].split(' ')[4] === p) return i; return -1; };
const ops = args.indexOf('--') >= 0 ? args.slice(args.indexOf('--') + 1) : [];
if (tool === 'umount') {
  const p = ops[0];
  if (!args.includes('-l') && fail('umount-fails') === p) { console.error('umount: ' + p + ': Transport endpoint is not connected'); process.exit(32); }
  const i = at(p);
  if (i < 0) { console.error('umount: ' + p + ': not mounted.'); process.exit(32); }
  lines.splice(i, 1); save(); process.exit(0);
}
if (fail('mount-fails')) { console.error(fail('mount-fails')); process.exit(32); }
let n = Number(fail('counter') || '100') + 1; fs.writeFileSync(dir + '/counter', String(n));
if (args[0] === '-t' && args[1] === 'glusterfs') {
  const [src, target] = ops;
  if (!fs.existsSync(target)) { console.error('mount: ' + target + ': mount point does not exist.'); process.exit(32); }
  const ro = args[3].split(',').includes('ro') ? 'ro' : 'rw';
  lines.push(n + ' 1 0:' + n + ' / ' + target + ' ' + ro + ',relatime shared:' + n + ' - fuse.glusterfs ' + src + ' rw,user_id=0,group_id=0');
} else if (args[0] === '--bind') {
  const [src, target] = ops;
  const i = at(src);
  if (i < 0) { console.error('mount: ' + src + ': special device does not exist.'); process.exit(32); }
  const f = lines[i].split(' ');
  f[0] = String(n); f[4] = target;
  lines.push(f.join(' '));
} else if (args[0] === '-o' && args[1] === 'remount,bind,ro') {
  const i = at(ops[0]);
  if (i < 0) { console.error('mount: ' + ops[0] + ': not mounted.'); process.exit(32); }
  const f = lines[i].split(' ');
  f[5] = f[5].replace(/^rw/, 'ro');
  lines[i] = f.join(' ');
} else { console.error('fake mount: unexpected arguments ' + JSON.stringify(args)); process.exit(1); }
save();
`;

export interface FakeMounts {
  dir: string;
  /** PATH with the fakes first. */
  env: NodeJS.ProcessEnv;
  mountinfoPath: string;
  /** argv of every call, e.g. ['mount', '-t', 'glusterfs', ...]. */
  calls(): string[][];
  clearCalls(): void;
  /** Mount points in the fake table. */
  mountPoints(): string[];
  /** Lines of the fake table. */
  table(): string[];
  /** The next mounts fail with this stderr ('' to stop). */
  failMounts(stderr: string): void;
  /** A plain umount of this path fails with ENOTCONN's words (umount -l still works). */
  failPlainUmount(path: string): void;
  cleanup(): void;
}

export function fakeMounts(opts: { withMountHelper?: boolean } = {}): FakeMounts {
  const dir = mkdtempSync(join(tmpdir(), 'csi-fake-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const script = `#!${process.execPath}\n${FAKE_MOUNT}`;
  for (const tool of ['mount', 'umount']) {
    writeFileSync(join(bin, tool), script);
    chmodSync(join(bin, tool), 0o755);
  }
  if (opts.withMountHelper ?? true) {
    writeFileSync(join(bin, 'mount.glusterfs'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(bin, 'mount.glusterfs'), 0o755);
  }
  const mountinfoPath = join(dir, 'mountinfo');
  writeFileSync(mountinfoPath, '');
  const read = (f: string) => {
    try {
      return readFileSync(join(dir, f), 'utf8');
    } catch {
      return '';
    }
  };
  return {
    dir,
    env: { PATH: `${bin}:/usr/bin:/bin`, FAKE_DIR: dir },
    mountinfoPath,
    calls: () => read('calls.log').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]),
    clearCalls: () => writeFileSync(join(dir, 'calls.log'), ''),
    table: () => read('mountinfo').split('\n').filter(Boolean),
    mountPoints: () => read('mountinfo').split('\n').filter(Boolean).map((l) => l.split(' ')[4]!),
    failMounts: (stderr) => writeFileSync(join(dir, 'mount-fails'), stderr),
    failPlainUmount: (path) => writeFileSync(join(dir, 'umount-fails'), path),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// ----------------------------------------------------------------------------- a controller driver

/** `brickyard csi --mode controller` in process against `server`, on a socket in a temp dir. */
export async function startControllerDriver(
  server: string,
  key: string,
  extra: Partial<import('../../src/csi/controller.js').ControllerOptions> = {},
  mode: 'controller' | 'all' = 'controller',
  args: string[] = [],
): Promise<{ driver: import('../../src/csi/main.js').StartedDriver; client: CsiClient; socket: string; close(): Promise<void> }> {
  const { pino } = await import('pino');
  const { createController } = await import('../../src/csi/controller.js');
  const { startDriver } = await import('../../src/csi/main.js');
  const { parseCsiOptions } = await import('../../src/csi/options.js');
  const dir = mkdtempSync(join(tmpdir(), 'csi-ctl-'));
  const socket = join(dir, 'csi.sock');
  const options = parseCsiOptions(['--endpoint', `unix://${socket}`, '--mode', mode, '--server', server, '--node-id', 'test-node', ...args], {}, 'host');
  const log = pino({ level: process.env.CSI_TEST_LOG ?? 'silent' });
  const controller = await createController(options, key, log, { pollMs: 5, ...extra });
  const driver = await startDriver(options, { log, controller });
  const client = csiClient(socket);
  return {
    driver,
    client,
    socket,
    async close() {
      client.close();
      await driver.server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ----------------------------------------------------------------------------- a node driver on fakes

/**
 * `brickyard csi --mode node` in process with the fake mount binaries and mount table; `dead`
 * holds paths whose statfs fails as a dead FUSE mount's does.
 */
export async function startFakeNodeDriver(opts: { helper?: boolean; mountLogDir: string; dead?: Set<string> }): Promise<{
  driver: import('../../src/csi/main.js').StartedDriver;
  client: CsiClient;
  fakes: FakeMounts;
  socket: string;
  close(): Promise<void>;
}> {
  const { pino } = await import('pino');
  const { Mounter } = await import('../../src/csi/mounter.js');
  const { startDriver } = await import('../../src/csi/main.js');
  const { parseCsiOptions } = await import('../../src/csi/options.js');
  const f = fakeMounts({ withMountHelper: opts.helper ?? true });
  const socket = join(f.dir, 'csi.sock');
  const options = parseCsiOptions(['--endpoint', `unix://${socket}`, '--mode', 'node', '--node-id', 'node-7', '--mount-log-dir', opts.mountLogDir], {}, 'host');
  const mounter = new Mounter({
    env: f.env,
    mountinfoPath: f.mountinfoPath,
    helperDirs: [join(f.dir, 'bin')],
    statfs: async (p) => {
      if (opts.dead?.has(p)) throw Object.assign(new Error(`statfs ${p}: Transport endpoint is not connected`), { code: 'ENOTCONN' });
      return { bsize: 4096n, blocks: 262144n, bfree: 200000n, bavail: 190000n, files: 65536n, ffree: 60000n };
    },
  });
  const driver = await startDriver(options, { log: pino({ level: process.env.CSI_TEST_LOG ?? 'silent' }), mounter });
  const client = csiClient(socket);
  return {
    driver,
    client,
    fakes: f,
    socket,
    async close() {
      client.close();
      await driver.server.close();
      f.cleanup();
    },
  };
}
