import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

export type AdminState = 'normal' | 'read-only' | 'local-client';
export type ExecutorKind = 'mock' | 'ssh' | 'kubernetes';
export const LOG_LEVELS = ['none', 'critical', 'error', 'warning', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface SshExecConfig {
  keyfile: string;
  user: string;
  port: number;
  sudo: boolean;
  /** Extra `-o` options for ssh (extension: e.g. StrictHostKeyChecking=no for labs). */
  options: string[];
  connectTimeoutSec: number;
}

export interface KubeExecConfig {
  namespace: string;
  glusterDaemonset: boolean;
  usePodNames: boolean;
  /** kubectl binary (extension: lets tests use a stand-in). */
  kubectl: string;
  disableTimeoutPrefix: boolean;
}

/** Settings shared by the ssh and kube executors that shape node commands. */
export interface NodeCommandConfig {
  fstab: string;
  mountOpts: string;
  snapshotLimit: number;
  rebalanceOnExpansion: boolean;
  backupLvmMetadata: boolean;
  glusterCliTimeoutSec: number;
  pvDataAlignment: string;
  vgPhysicalExtentSize: string;
  lvChunkSize: string;
  xfsSw: number;
  xfsSu: number;
  lvmWrapper: string;
  blockPrealloc: string;
  debugUmountFailures: boolean;
}

export interface Config {
  port: number;
  listenAddress: string;
  enableTls: boolean;
  certFile: string;
  keyFile: string;
  auth: { enabled: boolean; adminKey: string; userKey: string; iatLeewaySec: number };
  defaultState: AdminState;
  /** Largest accepted request body in bytes (extension). */
  bodyLimit: number;
  /** The web console at `/ui` (extension; on by default). */
  console: { enabled: boolean };
  /**
   * Slow clients are cut (extension): a request's headers must arrive within `headersMs`, the
   * whole request (headers and body) within `requestMs`; an idle keep-alive connection is closed
   * after `keepAliveMs`. Node answers 408 and closes the connection.
   */
  httpTimeouts: { headersMs: number; requestMs: number; keepAliveMs: number };
  glusterfs: {
    executor: ExecutorKind;
    dbPath: string;
    loglevel: LogLevel;
    brickMaxSizeGb: number;
    brickMinSizeGb: number;
    maxBricksPerVolume: number;
    averageFileSizeKb: number;
    /** Smallest arbiter brick, MiB: what mkfs.xfs on the nodes accepts (Brickyard addition). */
    arbiterBrickMinSizeMb: number;
    preRequestVolumeOptions: string;
    postRequestVolumeOptions: string;
    zoneChecking: 'none' | 'strict';
    maxVolumesPerCluster: number;
    autoCreateBlockHostingVolume: boolean;
    blockHostingVolumeSize: number;
    blockHostingVolumeOptions: string;
    maxInflightOperations: number;
    volumeCreateRetries: number;
    commands: NodeCommandConfig;
    sshexec: SshExecConfig;
    kubeexec: KubeExecConfig;
    mock: { deviceSizeGb: number; delayMs: number };
    /** Retries failed/stale operations in the background (Heketi's background cleaner). */
    cleaner: { enabled: boolean; startSec: number; refreshSec: number };
  };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function defaultConfig(dataDir = './data'): Config {
  return {
    port: 8080,
    listenAddress: '127.0.0.1',
    enableTls: false,
    certFile: '',
    keyFile: '',
    auth: { enabled: true, adminKey: '', userKey: '', iatLeewaySec: 120 },
    defaultState: 'normal',
    bodyLimit: 1024 * 1024,
    console: { enabled: true },
    httpTimeouts: { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000 },
    glusterfs: {
      executor: 'mock',
      dbPath: join(dataDir, 'brickyard.db'),
      loglevel: 'info',
      brickMaxSizeGb: 4096,
      brickMinSizeGb: 1,
      maxBricksPerVolume: 32,
      averageFileSizeKb: 64,
      // xfsprogs ≥ 5.19 refuses filesystems under 300 MiB; Heketi's 16 MiB fails there.
      arbiterBrickMinSizeMb: 300,
      preRequestVolumeOptions: '',
      postRequestVolumeOptions: '',
      zoneChecking: 'none',
      maxVolumesPerCluster: 1000,
      autoCreateBlockHostingVolume: false,
      blockHostingVolumeSize: 1024,
      blockHostingVolumeOptions: 'group gluster-block',
      maxInflightOperations: 8,
      volumeCreateRetries: 4,
      commands: {
        fstab: '/etc/fstab',
        mountOpts: 'rw,inode64,noatime,nouuid',
        snapshotLimit: 0,
        rebalanceOnExpansion: true,
        backupLvmMetadata: false,
        glusterCliTimeoutSec: 600,
        pvDataAlignment: '256K',
        vgPhysicalExtentSize: '4M',
        lvChunkSize: '256K',
        xfsSw: 0,
        xfsSu: 0,
        lvmWrapper: '',
        blockPrealloc: 'full',
        debugUmountFailures: false,
      },
      sshexec: { keyfile: '', user: 'heketi', port: 22, sudo: false, options: [], connectTimeoutSec: 10 },
      kubeexec: { namespace: '', glusterDaemonset: false, usePodNames: false, kubectl: 'kubectl', disableTimeoutPrefix: false },
      mock: { deviceSizeGb: 500, delayMs: 0 },
      cleaner: { enabled: true, startSec: 60, refreshSec: 3600 },
    },
  };
}

type Json = Record<string, unknown>;

/** Reads typed values out of one JSON object, naming the full key path in every error. */
class Reader {
  constructor(
    private readonly obj: Json,
    private readonly path: string,
    private readonly known: Set<string>,
    private readonly warnings: string[],
  ) {}

  private key(k: string): string {
    return this.path ? `${this.path}.${k}` : k;
  }

  private raw(k: string): unknown {
    this.known.add(this.key(k));
    return this.obj[k];
  }

  string(k: string, set: (v: string) => void): void {
    const v = this.raw(k);
    if (v === undefined || v === null) return;
    if (typeof v === 'number') return set(String(v));
    if (typeof v !== 'string') throw new ConfigError(`config key ${this.key(k)}: expected a string, got ${JSON.stringify(v)}`);
    set(v);
  }

  bool(k: string, set: (v: boolean) => void): void {
    const v = this.raw(k);
    if (v === undefined || v === null) return;
    if (typeof v !== 'boolean') throw new ConfigError(`config key ${this.key(k)}: expected true or false, got ${JSON.stringify(v)}`);
    set(v);
  }

  int(k: string, set: (v: number) => void, min = Number.MIN_SAFE_INTEGER): void {
    const v = this.raw(k);
    if (v === undefined || v === null) return;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw new ConfigError(`config key ${this.key(k)}: expected an integer${min === 0 ? ' >= 0' : ''}, got ${JSON.stringify(v)}`);
    }
    set(v);
  }

  object(k: string): Reader | undefined {
    const v = this.raw(k);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`config key ${this.key(k)}: expected an object`);
    return new Reader(v as Json, this.key(k), this.known, this.warnings);
  }

  /** Warns about keys nobody read (Heketi ignores them too; `_comment` style keys are silent). */
  reportUnknown(): void {
    for (const k of Object.keys(this.obj)) {
      if (!this.known.has(this.key(k)) && !k.startsWith('_')) this.warnings.push(`ignoring unknown config key ${this.key(k)}`);
    }
  }
}

function applyFile(cfg: Config, text: string, file: string, warnings: string[]): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${file}: expected a JSON object`);
  const known = new Set<string>();
  const top = new Reader(parsed as Json, '', known, warnings);
  const g = cfg.glusterfs;
  const c = g.commands;
  top.string('port', (v) => (cfg.port = parsePort(v, 'port')));
  top.string('listen_address', (v) => (cfg.listenAddress = v));
  top.bool('use_auth', (v) => {
    if (!v) warnings.push('use_auth=false is ignored as in Heketi v10: JWT auth stays on (start with --disable-auth to turn it off)');
  });
  const jwt = top.object('jwt');
  jwt?.object('admin')?.string('key', (v) => (cfg.auth.adminKey = v));
  jwt?.object('user')?.string('key', (v) => (cfg.auth.userKey = v));
  if (jwt) {
    jwt.object('admin')?.reportUnknown();
    jwt.object('user')?.reportUnknown();
    jwt.reportUnknown();
  }
  top.bool('enable_tls', (v) => (cfg.enableTls = v));
  top.string('cert_file', (v) => (cfg.certFile = v));
  top.string('key_file', (v) => (cfg.keyFile = v));
  top.string('default_state', (v) => (cfg.defaultState = parseAdminState(v, 'default_state')));
  top.int('body_limit', (v) => (cfg.bodyLimit = v), 1);
  top.bool('enable_console', (v) => (cfg.console.enabled = v));
  top.int('headers_timeout', (v) => (cfg.httpTimeouts.headersMs = v * 1000), 1);
  top.int('request_timeout', (v) => (cfg.httpTimeouts.requestMs = v * 1000), 1);
  top.int('keepalive_timeout', (v) => (cfg.httpTimeouts.keepAliveMs = v * 1000), 1);
  for (const ignored of ['backup_db_to_kube_secret', 'profiling']) top.bool(ignored, () => undefined);
  const gl = top.object('glusterfs');
  if (gl) {
    gl.string('executor', (v) => (g.executor = parseExecutor(v)));
    gl.string('db', (v) => (g.dbPath = v));
    gl.bool('db_read_only', () => undefined);
    gl.string('loglevel', (v) => (g.loglevel = parseLogLevel(v, 'glusterfs.loglevel')));
    gl.string('allocator', () => undefined);
    gl.int('brick_max_size_gb', (v) => v > 0 && (g.brickMaxSizeGb = v), 0);
    gl.int('brick_min_size_gb', (v) => v > 0 && (g.brickMinSizeGb = v), 0);
    gl.int('max_bricks_per_volume', (v) => v > 0 && (g.maxBricksPerVolume = v), 0);
    gl.int('average_file_size_kb', (v) => v > 0 && (g.averageFileSizeKb = v), 0);
    gl.int('arbiter_brick_min_size_mb', (v) => (g.arbiterBrickMinSizeMb = v), 1);
    gl.string('pre_request_volume_options', (v) => (g.preRequestVolumeOptions = v));
    gl.string('post_request_volume_options', (v) => (g.postRequestVolumeOptions = v));
    gl.string('zone_checking', (v) => (g.zoneChecking = parseZoneChecking(v, warnings)));
    gl.int('max_volumes_per_cluster', (v) => (g.maxVolumesPerCluster = v === 0 ? 1000 : v < 0 ? Infinity : v));
    gl.bool('auto_create_block_hosting_volume', (v) => (g.autoCreateBlockHostingVolume = v));
    gl.int('block_hosting_volume_size', (v) => v > 0 && (g.blockHostingVolumeSize = v));
    gl.string('block_hosting_volume_options', (v) => (g.blockHostingVolumeOptions = v));
    gl.int('max_inflight_operations', (v) => v > 0 && (g.maxInflightOperations = v), 0);
    gl.bool('disable_monitor_gluster_nodes', () => undefined);
    gl.bool('disable_background_cleaner', (v) => (g.cleaner.enabled = !v));
    gl.int('start_time_background_cleaner', (v) => v > 0 && (g.cleaner.startSec = v), 0);
    gl.int('refresh_time_background_cleaner', (v) => v > 0 && (g.cleaner.refreshSec = v), 0);
    for (const k of ['refresh_time_monitor_gluster_nodes', 'start_time_monitor_gluster_nodes']) gl.int(k, () => undefined, 0);
    const retry = gl.object('operation_retry_limits');
    retry?.int('volume_create', (v) => (g.volumeCreateRetries = v), 0);
    retry?.reportUnknown();
    for (const block of ['sshexec', 'kubeexec'] as const) {
      const r = gl.object(block);
      if (!r) continue;
      r.string('fstab', (v) => (c.fstab = v));
      r.string('mountopts', (v) => (c.mountOpts = v));
      r.int('snapshot_limit', (v) => (c.snapshotLimit = v), 0);
      r.bool('rebalance_on_expansion', () => undefined); // Heketi ignores it too: rebalance is always on.
      r.bool('backup_lvm_metadata', (v) => (c.backupLvmMetadata = v));
      r.int('gluster_cli_timeout', (v) => v > 0 && (c.glusterCliTimeoutSec = v), 0);
      r.string('pv_data_alignment', (v) => (c.pvDataAlignment = v));
      r.string('vg_physicalextentsize', (v) => (c.vgPhysicalExtentSize = v));
      r.string('lv_chunksize', (v) => (c.lvChunkSize = v));
      r.int('xfs_sw', (v) => (c.xfsSw = v), 0);
      r.int('xfs_su', (v) => (c.xfsSu = v), 0);
      r.bool('debug_umount_failures', (v) => (c.debugUmountFailures = v));
      r.string('block_prealloc', (v) => (c.blockPrealloc = /^[a-zA-Z0-9_-]+$/.test(v) ? v : 'full'));
      r.string('lvm_wrapper', (v) => (c.lvmWrapper = v));
      if (block === 'sshexec') {
        const s = g.sshexec;
        r.string('keyfile', (v) => (s.keyfile = v));
        r.string('user', (v) => (s.user = v || 'heketi'));
        r.string('port', (v) => (s.port = parsePort(v || '22', 'glusterfs.sshexec.port')));
        r.bool('sudo', (v) => (s.sudo = v));
        r.int('connect_timeout', (v) => (s.connectTimeoutSec = v), 1);
        const opts = (r as unknown as { raw(k: string): unknown }).raw('options');
        if (opts !== undefined) {
          if (!Array.isArray(opts) || opts.some((o) => typeof o !== 'string')) {
            throw new ConfigError('config key glusterfs.sshexec.options: expected an array of strings');
          }
          s.options = opts as string[];
        }
      } else {
        const k = g.kubeexec;
        r.string('namespace', (v) => (k.namespace = v));
        r.bool('gluster_daemonset', (v) => (k.glusterDaemonset = v));
        r.bool('use_pod_names', (v) => (k.usePodNames = v));
        r.string('kubectl', (v) => (k.kubectl = v));
        r.bool('disable_timeout_prefix', (v) => (k.disableTimeoutPrefix = v));
        for (const ignored of ['host', 'cert', 'insecure', 'user', 'password', 'token']) r.string(ignored, () => undefined);
        r.int('max_connections', () => undefined);
        r.bool('rebalance_on_expansion', () => undefined);
      }
      r.reportUnknown();
    }
    const mock = gl.object('mock');
    mock?.int('delay_ms', (v) => (g.mock.delayMs = v), 0);
    mock?.int('device_size_gb', (v) => (g.mock.deviceSizeGb = v), 1);
    mock?.reportUnknown();
    gl.object('injectexec');
    gl.reportUnknown();
  }
  top.reportUnknown();
}

function parsePort(v: string, key: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 0 || n > 65535) throw new ConfigError(`config key ${key}: invalid port ${JSON.stringify(v)}`);
  return n;
}

function parseExecutor(v: string): ExecutorKind {
  if (v === '' || v === 'ssh' || v === 'inject/ssh') return 'ssh';
  if (v === 'mock' || v === 'inject/mock') return 'mock';
  if (v === 'kube' || v === 'kubernetes') return 'kubernetes';
  throw new ConfigError(`config key glusterfs.executor: invalid executor: ${v}`);
}

export function parseLogLevel(v: string, key: string): LogLevel {
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel;
  throw new ConfigError(`config key ${key}: invalid log level ${JSON.stringify(v)}`);
}

function parseAdminState(v: string, key: string): AdminState {
  if (v === '') return 'normal';
  if (v === 'normal' || v === 'read-only' || v === 'local-client') return v;
  throw new ConfigError(`config key ${key}: invalid state ${JSON.stringify(v)} (normal, read-only or local-client)`);
}

function parseZoneChecking(v: string, warnings: string[]): 'none' | 'strict' {
  if (v === 'strict') return 'strict';
  if (v !== 'none' && v !== '') warnings.push(`unknown zone_checking value ${JSON.stringify(v)}: using none`);
  return 'none';
}

function envBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/** Heketi's environment overrides: a non-empty variable replaces the config file value. */
function applyEnv(cfg: Config, env: NodeJS.ProcessEnv, warnings: string[]): void {
  const g = cfg.glusterfs;
  const c = g.commands;
  const str = (name: string, set: (v: string) => void) => {
    const v = env[name];
    if (v !== undefined && v !== '') set(v);
  };
  const int = (name: string, set: (v: number) => void) =>
    str(name, (v) => {
      if (!/^-?\d+$/.test(v)) throw new ConfigError(`environment variable ${name}: expected an integer, got ${JSON.stringify(v)}`);
      set(Number(v));
    });
  const bool = (name: string, set: (v: boolean) => void) =>
    str(name, (v) => {
      const b = envBool(v);
      if (b === undefined) throw new ConfigError(`environment variable ${name}: expected true or false, got ${JSON.stringify(v)}`);
      set(b);
    });
  str('HEKETI_HTTP_PORT', (v) => (cfg.port = parsePort(v, 'HEKETI_HTTP_PORT')));
  str('BRICKYARD_LISTEN_ADDRESS', (v) => (cfg.listenAddress = v));
  bool('BRICKYARD_CONSOLE', (v) => (cfg.console.enabled = v));
  str('HEKETI_ADMIN_KEY', (v) => (cfg.auth.adminKey = v));
  str('HEKETI_USER_KEY', (v) => (cfg.auth.userKey = v));
  int('HEKETI_JWT_IAT_LEEWAY_SECONDS', (v) => (cfg.auth.iatLeewaySec = Math.max(0, v)));
  str('HEKETI_DEFAULT_STATE', (v) => (cfg.defaultState = parseAdminState(v, 'HEKETI_DEFAULT_STATE')));
  str('HEKETI_EXECUTOR', (v) => (g.executor = parseExecutor(v)));
  str('HEKETI_DB_PATH', (v) => (g.dbPath = v));
  str('HEKETI_GLUSTERAPP_LOGLEVEL', (v) => (g.loglevel = parseLogLevel(v, 'HEKETI_GLUSTERAPP_LOGLEVEL')));
  str('HEKETI_PRE_REQUEST_VOLUME_OPTIONS', (v) => (g.preRequestVolumeOptions = v));
  str('HEKETI_POST_REQUEST_VOLUME_OPTIONS', (v) => (g.postRequestVolumeOptions = v));
  str('HEKETI_ZONE_CHECKING', (v) => (g.zoneChecking = parseZoneChecking(v, warnings)));
  int('HEKETI_GLUSTER_MAX_VOLUMES_PER_CLUSTER', (v) => (g.maxVolumesPerCluster = v === 0 ? 1000 : v < 0 ? Infinity : v));
  bool('HEKETI_AUTO_CREATE_BLOCK_HOSTING_VOLUME', (v) => (g.autoCreateBlockHostingVolume = v));
  int('HEKETI_BLOCK_HOSTING_VOLUME_SIZE', (v) => v > 0 && (g.blockHostingVolumeSize = v));
  str('HEKETI_BLOCK_HOSTING_VOLUME_OPTIONS', (v) => (g.blockHostingVolumeOptions = v));
  int('HEKETI_MAX_INFLIGHT_OPERATIONS', (v) => v > 0 && (g.maxInflightOperations = v));
  int('HEKETI_MOCK_DEVICE_SIZE_GB', (v) => v > 0 && (g.mock.deviceSizeGb = v));
  str('HEKETI_SSH_KEYFILE', (v) => (g.sshexec.keyfile = v));
  str('HEKETI_SSH_USER', (v) => (g.sshexec.user = v));
  str('HEKETI_SSH_PORT', (v) => (g.sshexec.port = parsePort(v, 'HEKETI_SSH_PORT')));
  str('HEKETI_FSTAB', (v) => (c.fstab = v));
  str('HEKETI_MOUNT_OPTS', (v) => (c.mountOpts = v));
  int('HEKETI_SNAPSHOT_LIMIT', (v) => (c.snapshotLimit = Math.max(0, v)));
  int('HEKETI_GLUSTER_CLI_TIMEOUT', (v) => v > 0 && (c.glusterCliTimeoutSec = v));
  str('HEKETI_LVM_WRAPPER', (v) => (c.lvmWrapper = v));
  bool('HEKETI_DEBUG_UMOUNT_FAILURES', (v) => (c.debugUmountFailures = v));
  str('HEKETI_BLOCK_VOLUME_DEFAULT_PREALLOC', (v) => (c.blockPrealloc = /^[a-zA-Z0-9_-]+$/.test(v) ? v : 'full'));
  str('HEKETI_GLUSTERAPP_REBALANCE_ON_EXPANSION', (v) => (c.rebalanceOnExpansion = v !== 'false'));
  str('HEKETI_DISABLE_BACKGROUND_CLEANER', (v) => (g.cleaner.enabled = v !== 'true'));
  str('HEKETI_KUBE_NAMESPACE', (v) => (g.kubeexec.namespace = v));
  bool('HEKETI_KUBE_GLUSTER_DAEMONSET', (v) => (g.kubeexec.glusterDaemonset = v));
  bool('HEKETI_KUBE_USE_POD_NAMES', (v) => (g.kubeexec.usePodNames = v));
}

export interface LoadOptions {
  configFile?: string;
  disableAuth?: boolean;
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: Config;
  warnings: string[];
  /** Set when keys were generated on this start and must be shown to the operator once. */
  generatedKeys?: { adminKey: string; userKey: string; file: string };
}

/**
 * Builds the configuration: defaults, then the Heketi config file (if any), then Heketi's
 * environment overrides. Without a file the server is a local one: SQLite under the data dir,
 * mock executor, and keys from BRICKYARD_*_KEY or generated once into the data dir.
 */
export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const dataDir = resolve(opts.dataDir ?? env.BRICKYARD_DATA_DIR ?? './data');
  const cfg = defaultConfig(dataDir);
  const warnings: string[] = [];
  let generatedKeys: LoadedConfig['generatedKeys'];
  if (opts.configFile) {
    let text: string;
    try {
      text = readFileSync(opts.configFile, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${opts.configFile}: ${(e as Error).message}`);
    }
    // A Heketi server listens on every interface; keep that unless the file says otherwise.
    cfg.listenAddress = '0.0.0.0';
    cfg.glusterfs.executor = 'ssh';
    cfg.glusterfs.dbPath = 'heketi.db';
    applyFile(cfg, text, opts.configFile, warnings);
  } else {
    cfg.auth.adminKey = env.BRICKYARD_ADMIN_KEY ?? '';
    cfg.auth.userKey = env.BRICKYARD_USER_KEY ?? '';
  }
  applyEnv(cfg, env, warnings);
  if (opts.disableAuth) cfg.auth.enabled = false;
  if (cfg.auth.enabled && !opts.configFile && (!cfg.auth.adminKey || !cfg.auth.userKey)) {
    const file = join(dataDir, 'jwt-keys.json');
    if (existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { admin: string; user: string };
      cfg.auth.adminKey ||= saved.admin;
      cfg.auth.userKey ||= saved.user;
    } else {
      const keys = { admin: randomBytes(24).toString('base64url'), user: randomBytes(24).toString('base64url') };
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(file, JSON.stringify(keys, null, 2) + '\n', { mode: 0o600 });
      cfg.auth.adminKey ||= keys.admin;
      cfg.auth.userKey ||= keys.user;
      generatedKeys = { adminKey: cfg.auth.adminKey, userKey: cfg.auth.userKey, file };
    }
  }
  if (cfg.auth.enabled && (!cfg.auth.adminKey || !cfg.auth.userKey)) {
    throw new ConfigError('Missing JWT information in config file (jwt.admin.key and jwt.user.key)');
  }
  if (cfg.enableTls && (!cfg.certFile || !cfg.keyFile)) {
    throw new ConfigError('config key enable_tls: cert_file and key_file are required');
  }
  if (cfg.httpTimeouts.headersMs > cfg.httpTimeouts.requestMs) {
    // Node refuses a headers timeout longer than the whole-request timeout.
    throw new ConfigError('config key headers_timeout: must not be longer than request_timeout');
  }
  if (cfg.glusterfs.executor === 'ssh' && !cfg.glusterfs.sshexec.keyfile) {
    throw new ConfigError('config key glusterfs.sshexec.keyfile: required for the ssh executor');
  }
  mkdirSync(dirname(resolve(cfg.glusterfs.dbPath)), { recursive: true });
  return { config: cfg, warnings, generatedKeys };
}
