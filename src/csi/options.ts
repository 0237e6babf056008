/**
 * `brickyard csi` flags (CSI_CONVENTIONS.md). Pure: the caller passes argv, the environment and
 * the host name, and reads the key file.
 */

export type Mode = 'controller' | 'node' | 'all';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface CsiOptions {
  endpoint: string;
  mode: Mode;
  nodeId: string;
  driverName: string;
  /** Default management server for StorageClasses that name no `resturl`. */
  server?: string;
  user: string;
  /** The key as given in BRICKYARD_KEY (a --key-file is read by the caller). */
  key?: string;
  keyFile?: string;
  logLevel: LogLevel;
  /** Directory of the FUSE clients' per-volume log files (node). */
  mountLogDir: string;
}

export const DEFAULT_DRIVER_NAME = 'glusterfs.csi.brickyard.io';
export const DEFAULT_ENDPOINT = 'unix:///csi/csi.sock';
export const DEFAULT_MOUNT_LOG_DIR = '/var/log/glusterfs/csi';

export const CSI_USAGE = `usage: brickyard csi [flags]
  --endpoint unix:///PATH.sock  socket to serve on (env CSI_ENDPOINT; default ${DEFAULT_ENDPOINT})
  --mode controller|node|all    services to run (default all)
  --node-id NAME                this node's id (default: the host name)
  --driver-name NAME            CSI driver name (default ${DEFAULT_DRIVER_NAME})
  --server URL                  management server for StorageClasses without resturl (env BRICKYARD_SERVER)
  --user NAME                   its JWT user (env BRICKYARD_USER; default admin)
  --key-file PATH               file holding its JWT key (or env BRICKYARD_KEY)
  --log-level LEVEL             trace|debug|info|warn|error (default info)
  --mount-log-dir DIR           FUSE client log files, one per volume (default ${DEFAULT_MOUNT_LOG_DIR})
`;

export class UsageError extends Error {
  override name = 'UsageError';
}

const FLAGS = ['endpoint', 'mode', 'node-id', 'driver-name', 'server', 'user', 'key-file', 'log-level', 'mount-log-dir'] as const;
type Flag = (typeof FLAGS)[number];

/** A CSI plugin name: DNS notation, at most 63 characters (spec.md GetPluginInfo). */
const DRIVER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,61}[A-Za-z0-9])?$/;
const LEVELS = new Set<LogLevel>(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

function parseFlags(argv: string[]): Map<Flag, string> {
  const out = new Map<Flag, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--?([a-z-]+)(?:=(.*))?$/s.exec(a);
    if (!m || !(FLAGS as readonly string[]).includes(m[1]!)) throw new UsageError(`unknown argument ${JSON.stringify(a)}`);
    const name = m[1] as Flag;
    let value = m[2];
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
    }
    out.set(name, value);
  }
  return out;
}

export function parseCsiOptions(argv: string[], env: Record<string, string | undefined>, hostname: string): CsiOptions {
  const f = parseFlags(argv);
  const mode = f.get('mode') ?? 'all';
  if (mode !== 'controller' && mode !== 'node' && mode !== 'all') throw new UsageError(`--mode ${JSON.stringify(mode)}: expected controller, node or all`);
  const driverName = f.get('driver-name') ?? DEFAULT_DRIVER_NAME;
  if (!DRIVER_NAME.test(driverName)) throw new UsageError(`--driver-name ${JSON.stringify(driverName)}: expected a DNS-style name of at most 63 characters`);
  const nodeId = f.get('node-id') ?? hostname;
  if (nodeId === '' || Buffer.byteLength(nodeId) > 256 || /[\u0000-\u001f]/.test(nodeId)) throw new UsageError(`--node-id ${JSON.stringify(nodeId)}: expected 1 to 256 printable bytes`);
  const logLevel = (f.get('log-level') ?? 'info') as LogLevel;
  if (!LEVELS.has(logLevel)) throw new UsageError(`--log-level ${JSON.stringify(logLevel)}: expected one of ${[...LEVELS].join(', ')}`);
  const server = f.get('server') ?? env.BRICKYARD_SERVER;
  if (server !== undefined && server !== '' && !/^https?:\/\/[^\s/]+/.test(server)) throw new UsageError(`--server ${JSON.stringify(server)}: expected an http:// or https:// URL`);
  const mountLogDir = f.get('mount-log-dir') ?? DEFAULT_MOUNT_LOG_DIR;
  // The directory becomes part of the FUSE client's -o log-file= option.
  if (!/^\/[A-Za-z0-9_./-]*$/.test(mountLogDir) || mountLogDir.split('/').includes('..')) {
    throw new UsageError(`--mount-log-dir ${JSON.stringify(mountLogDir)}: expected an absolute path of letters, digits, _ . / -`);
  }
  const opts: CsiOptions = {
    endpoint: f.get('endpoint') ?? env.CSI_ENDPOINT ?? DEFAULT_ENDPOINT,
    mode,
    nodeId,
    driverName,
    user: f.get('user') ?? env.BRICKYARD_USER ?? 'admin',
    logLevel,
    mountLogDir,
  };
  if (server) opts.server = server.replace(/\/+$/, '');
  const keyFile = f.get('key-file');
  if (keyFile !== undefined) opts.keyFile = keyFile;
  else if (env.BRICKYARD_KEY !== undefined) opts.key = env.BRICKYARD_KEY;
  return opts;
}

export const runsController = (m: Mode) => m !== 'node';
export const runsNode = (m: Mode) => m !== 'controller';
