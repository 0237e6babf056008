/**
 * MockRunner: a simulator of storage nodes. It executes the planned argv commands (LVM, xfs,
 * mount, fstab edits, gluster CLI, gluster-block) against simulated per-host state, so the mock
 * exercises the same planner/NodeOps code paths as ssh, with LVM/gluster-like outputs and errors.
 *
 * Persistence (optional `stateFile`): the whole state is written atomically (tmp + rename) after
 * every batch that changed something, while it is small. Once the state file exceeds
 * `fullWriteMaxBytes`, batches are appended as JSON lines to `<stateFile>.journal` and the state
 * file is rewritten only when the journal outgrows it (amortised O(1) per change, so thousands of
 * volumes stay fast). Either way a batch is on disk before `run` resolves; a new MockRunner on the
 * same file loads state + journal. No fsync: this survives process crashes, not power loss.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { CommandError, failureText, type CommandResult, type CommandRunner, type NodeCommand } from './executor.js';
import { LVM_BIN, UDEVADM_BIN, dmDevNode } from './planner.js';
import { XFS_MIN_FILESYSTEM_KiB } from '../allocator/sizing.js';
import { renderCommand } from './quote.js';

// ---------------------------------------------------------------------------------- state types

export interface PvRec {
  vg: string;
  /** Always '' (the recorded Heketi mock shows no pv_uuid). */
  uuid: string;
  sizeKiB: number;
}
export interface VgRec {
  pv: string;
  uuid: string;
  extentKiB: number;
  totalExtents: number;
  freeExtents: number;
}
export interface LvRec {
  vg: string;
  lv: string;
  kind: 'pool' | 'thin';
  /** Pool: data size; thin: virtual size (KiB). */
  sizeKiB: number;
  /** Pool only: extents taken from the VG (data + metadata). */
  extents: number;
  metaKiB: number;
  chunk: string;
  /** Thin only. */
  pool: string;
  /** Thin only: snapshot origin LV ('' for bricks). */
  origin: string;
  /** Pool only. */
  thinCount: number;
}
export interface FsDir {
  gid: number;
  mode: string;
  /** gluster's volume-id xattr on a brick directory. */
  volumeId?: string;
}
export interface FsRec {
  type: string;
  /** Directories inside the filesystem, relative to its root (no leading '/'). */
  dirs: Record<string, FsDir>;
}
export interface MountRec {
  device: string;
  type: string;
  options: string;
}
export interface LineRec {
  file: string;
  text: string;
}
export interface HostState {
  /** `down`, `glusterdStopped` (booleans, absent = false), `lineSeq` (last fstab line number). */
  meta: Record<string, boolean | number>;
  pvs: Record<string, PvRec>;
  vgs: Record<string, VgRec>;
  /** key `vg/lv` */
  lvs: Record<string, LvRec>;
  /** key: device node (LV `/dev/mapper/...` or raw disk) */
  fs: Record<string, FsRec>;
  /** key: mount point */
  mounts: Record<string, MountRec>;
  /** Host directories (outside mounted filesystems) → number of child directories. */
  dirs: Record<string, number>;
  /** Text files we wrote, by line; key = line sequence number. */
  lines: Record<string, LineRec>;
  /** Storage hostnames probed from this node. */
  peers: Record<string, true>;
}
export interface GVolume {
  id: string;
  type: 'none' | 'replicate' | 'disperse';
  replica: number;
  arbiter: boolean;
  data: number;
  redundancy: number;
  /** `host:path`, gluster order. */
  bricks: string[];
  options: Record<string, string>;
  status: 'Created' | 'Started' | 'Stopped';
}
export interface GSnapBrick {
  /** Host key in `hosts`. */
  host: string;
  /** Brick host as gluster names it. */
  brickHost: string;
  vg: string;
  lv: string;
  pool: string;
  /** The brick directory inside the filesystem (e.g. `brick`). */
  sub: string;
  mount: string;
}
export interface GSnapshot {
  id: string;
  volume: string;
  active: boolean;
  bricks: GSnapBrick[];
}
export interface GBlock {
  gbid: string;
  sizeGiB: number;
  ha: number;
  hosts: string[];
  auth: boolean;
  password: string;
}
export interface PoolState {
  meta: Record<string, number>;
  volumes: Record<string, GVolume>;
  snapshots: Record<string, GSnapshot>;
  /** key `hostingVolume/name` */
  blocks: Record<string, GBlock>;
}
export interface MockState {
  hosts: Record<string, HostState>;
  pool: PoolState;
}

const HOST_TABLES = ['meta', 'pvs', 'vgs', 'lvs', 'fs', 'mounts', 'dirs', 'lines', 'peers'] as const;
const POOL_TABLES = ['meta', 'volumes', 'snapshots', 'blocks'] as const;
type HostTable = (typeof HOST_TABLES)[number];
type PoolTable = (typeof POOL_TABLES)[number];

const emptyHost = (): HostState => ({ meta: {}, pvs: {}, vgs: {}, lvs: {}, fs: {}, mounts: {}, dirs: {}, lines: {}, peers: {} });
const emptyPool = (): PoolState => ({ meta: {}, volumes: {}, snapshots: {}, blocks: {} });

/** A journal op: [scope ('' = pool, else host), table, key, value (null = deleted)]. */
type JournalOp = [string, string, string, unknown];

const FORMAT = 'brickyard-mock-nodes/1';

// ---------------------------------------------------------------------------------- options & hooks

export interface MockRunnerOptions {
  stateFile?: string;
  /** Size of every `/dev/...` disk (default 500 GiB). */
  deviceSizeGb?: number;
  /** Sleep before every command (simulated latency). */
  delayMs?: number;
  /** While the state file is smaller than this, every batch rewrites it whole (default 256 KiB). */
  fullWriteMaxBytes?: number;
}

export interface FailRule {
  /** Only on this host (default: any). */
  host?: string;
  /** Tested against the rendered command line (`renderCommand(argv)`). */
  match: RegExp;
  stderr: string;
  /** Default 1. */
  exitCode?: number;
  /** How many matching commands fail (default 1). */
  times?: number;
  /** Fail as if the node could not be reached (CommandError.unreachable). */
  unreachable?: boolean;
}

export interface CommandLogEntry {
  host: string;
  argv: string[];
  exitCode: number;
}

interface Result extends CommandResult {
  unreachable?: boolean;
}

const ok = (stdout = ''): Result => ({ exitCode: 0, stdout, stderr: '' });
const fail = (stderr: string, exitCode = 1, stdout = ''): Result => ({ exitCode, stdout, stderr: stderr.endsWith('\n') ? stderr : `${stderr}\n` });

const LVM_NAMES = new Set(['pvcreate', 'vgcreate', 'pvs', 'vgs', 'lvs', 'vgdisplay', 'vgremove', 'pvremove', 'lvcreate', 'lvremove', 'pvdisplay', 'lvdisplay']);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

function normPath(p: string): string {
  if (!p.startsWith('/')) return p;
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/** LVM size argument → KiB (LVM input units are powers of 1024 whatever the case). */
function lvmSizeKiB(s: string, defUnit: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)([bBsSkKmMgGtTpPeE]?)$/.exec(s);
  if (!m) return undefined;
  const unit = (m[2] || defUnit).toLowerCase();
  const mult: Record<string, number> = { b: 1 / 1024, s: 0.5, k: 1, m: 1024, g: 1024 ** 2, t: 1024 ** 3, p: 1024 ** 4, e: 1024 ** 5 };
  return Math.ceil(Number(m[1]) * mult[unit]!);
}

const fmtK = (kib: number) => `${kib.toFixed(2)}k`;

/** LVM warns on stderr (exit 0) when a metadata change is not backed up. */
const noBackupWarning = (opts: Map<string, string>) => ((opts.get('autobackup') ?? opts.get('A')) === 'n' ? '  WARNING: This metadata update is NOT backed up.\n' : '');

function lvmUuid(): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const b = randomBytes(32);
  let s = '';
  for (let i = 0; i < 32; i++) s += abc[b[i]! % abc.length];
  return [s.slice(0, 6), s.slice(6, 10), s.slice(10, 14), s.slice(14, 18), s.slice(18, 22), s.slice(22, 26), s.slice(26, 32)].join('-');
}

/** Stable gluster peer UUID for a hostname. */
function hostUuid(host: string): string {
  const h = createHash('md5').update(host).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const xmlEsc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** `/dev/mapper/vg-lv` or `/dev/vg/lv` → [vg, lv]. */
function lvOfDevNode(dev: string): [string, string] | undefined {
  let m = /^\/dev\/mapper\/((?:[^-]|--)+)-((?:[^-]|--)+)$/.exec(dev);
  if (m) return [m[1]!.replace(/--/g, '-'), m[2]!.replace(/--/g, '-')];
  m = /^\/dev\/([^/]+)\/([^/]+)$/.exec(dev);
  if (m && m[1] !== 'mapper' && m[1] !== 'disk') return [m[1]!, m[2]!];
  return undefined;
}

/** Minimal LVM-style option parser: `valued` names take a value (`--x v`, `--x=v`, `-x v`). */
function parseOpts(args: string[], valued: Set<string>): { opts: Map<string, string>; flags: Map<string, number>; pos: string[]; bad?: string } {
  const opts = new Map<string, string>();
  const flags = new Map<string, number>();
  const pos: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) opts.set(name, a.slice(eq + 1));
      else if (valued.has(name)) {
        if (i + 1 >= args.length) return { opts, flags, pos, bad: `Option --${name} requires an argument.` };
        opts.set(name, args[++i]!);
      } else flags.set(name, (flags.get(name) ?? 0) + 1);
    } else if (a.startsWith('-') && a.length > 1) {
      const name = a[1]!;
      if (valued.has(name)) {
        const v = a.length > 2 ? a.slice(2) : args[++i];
        if (v === undefined) return { opts, flags, pos, bad: `Option -${name} requires an argument.` };
        opts.set(name, v);
      } else for (const c of a.slice(1)) flags.set(c, (flags.get(c) ?? 0) + 1);
    } else pos.push(a);
  }
  return { opts, flags, pos };
}

// ---------------------------------------------------------------------------------- the runner

/** Entries of `commandLog` kept in memory. */
const COMMAND_LOG_LIMIT = 50_000;

export class MockRunner implements CommandRunner {
  /** Every command executed (not those refused because the host was down). */
  readonly commandLog: CommandLogEntry[] = [];

  private state: MockState = { hosts: {}, pool: emptyPool() };
  private readonly deviceKiB: number;
  private readonly delayMs: number;
  private readonly stateFile: string | undefined;
  private readonly fullWriteMaxBytes: number;
  private failRules: FailRule[] = [];
  private readonly queues = new Map<string, Promise<unknown>>();
  private dirty = new Map<string, JournalOp>();
  private seq = 0;
  private snapshotBytes = 0;
  private journalBytes = 0;
  /** Derived indexes (not persisted): mounted device → mount point, per host. */
  private mountByDev = new Map<string, Map<string, string>>();
  /** `hostKey:path` of every brick in a gluster volume → volume name. */
  private brickOwner = new Map<string, string>();

  constructor(opts: MockRunnerOptions = {}) {
    this.deviceKiB = (opts.deviceSizeGb ?? 500) * 1024 * 1024;
    this.delayMs = opts.delayMs ?? 0;
    this.stateFile = opts.stateFile;
    this.fullWriteMaxBytes = opts.fullWriteMaxBytes ?? 16 * 1024;
    if (this.stateFile) this.load(this.stateFile);
    this.rebuildIndexes();
    // Test-only crash injection (see `crashCheck`); unset in every real deployment.
    const after = Number(process.env.BRICKYARD_MOCK_CRASH_AFTER ?? '');
    if (Number.isSafeInteger(after) && after > 0) this.crashAfter = after;
    this.crashFile = process.env.BRICKYARD_MOCK_CRASH_FILE || undefined;
  }

  // ------------------------------------------------------------------------------ crash injection (tests only)

  /**
   * TEST ONLY (test/api/crash.test.ts): simulates a server crash in the middle of an operation.
   * - `BRICKYARD_MOCK_CRASH_AFTER=<n>`: the process SIGKILLs itself right after the n-th command
   *   this runner executed.
   * - `BRICKYARD_MOCK_CRASH_FILE=<path>`: re-armable form. When `<path>` exists before a command,
   *   its content `<n>` is read, the file is deleted and the count restarts: the process SIGKILLs
   *   itself right after the n-th command from then on.
   * Before dying the node state and the command log are written, as real nodes keep what they did.
   */
  private crashAfter = 0;
  private crashCount = 0;
  private crashFile: string | undefined;

  private crashArm(): void {
    if (this.crashFile === undefined || !existsSync(this.crashFile)) return;
    const n = Number(readFileSync(this.crashFile, 'utf8').trim());
    unlinkSync(this.crashFile);
    if (Number.isSafeInteger(n) && n > 0) {
      this.crashAfter = n;
      this.crashCount = 0;
    }
  }

  /** Command log entries of the batches running now (written to `<stateFile>.log` when each ends). */
  private readonly batchLogs = new Set<CommandLogEntry[]>();

  private crashCheck(): void {
    if (this.crashAfter <= 0 || ++this.crashCount < this.crashAfter) return;
    this.persist();
    const pending = [...this.batchLogs].flat();
    if (this.stateFile && pending.length > 0) appendFileSync(`${this.stateFile}.log`, pending.map((e) => JSON.stringify(e)).join('\n') + '\n');
    process.kill(process.pid, 'SIGKILL');
  }

  // ------------------------------------------------------------------------------ public API

  run(host: string, commands: NodeCommand[]): Promise<CommandResult[]> {
    const prev = this.queues.get(host) ?? Promise.resolve();
    const p = prev.then(() => this.execBatch(host, commands));
    this.queues.set(
      host,
      p.then(
        () => undefined,
        () => undefined,
      ),
    );
    return p;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()]);
    if (this.stateFile && this.journalBytes > 0) this.writeSnapshot();
  }

  /** A down host refuses every batch like sshd would (exit 255, unreachable). */
  setHostDown(host: string, down: boolean): void {
    this.hostMut(host, 'meta', 'down', down || undefined);
    this.persist();
  }

  /** `systemctl status glusterd` exits 3 and gluster commands fail while stopped. */
  setGlusterdRunning(host: string, running: boolean): void {
    this.hostMut(host, 'meta', 'glusterdStopped', running ? undefined : true);
    this.persist();
  }

  /** The next matching command(s) fail with `stderr` instead of running. */
  failNext(rule: FailRule): void {
    this.failRules.push({ ...rule, times: rule.times ?? 1 });
  }

  /** A deep copy of the simulated state, for assertions. */
  snapshot(): MockState {
    return structuredClone(this.state);
  }

  // ------------------------------------------------------------------------------ state access

  private host(name: string): HostState {
    let h = this.state.hosts[name];
    if (!h) {
      h = emptyHost();
      this.state.hosts[name] = h;
    }
    return h;
  }

  private touch(scope: string, table: string, key: string): void {
    this.dirty.set(`${scope}\0${table}\0${key}`, [scope, table, key, undefined]);
  }

  /** Set (value !== undefined) or delete a host table entry, recording it for persistence. */
  private hostMut<T extends HostTable>(host: string, table: T, key: string, value: HostState[T][string] | undefined): void {
    const t = this.host(host)[table] as Record<string, unknown>;
    if (value === undefined) delete t[key];
    else t[key] = value;
    this.touch(host, table, key);
  }

  /** Get a host table entry for in-place change (marks it dirty). */
  private hostEdit<T extends HostTable>(host: string, table: T, key: string): HostState[T][string] {
    this.touch(host, table, key);
    return (this.host(host)[table] as Record<string, unknown>)[key] as HostState[T][string];
  }

  private poolMut<T extends PoolTable>(table: T, key: string, value: PoolState[T][string] | undefined): void {
    const t = this.state.pool[table] as Record<string, unknown>;
    if (value === undefined) delete t[key];
    else t[key] = value;
    this.touch('', table, key);
  }

  private poolEdit<T extends PoolTable>(table: T, key: string): PoolState[T][string] {
    this.touch('', table, key);
    return (this.state.pool[table] as Record<string, unknown>)[key] as PoolState[T][string];
  }

  // ------------------------------------------------------------------------------ persistence

  private load(file: string): void {
    if (!existsSync(file)) return;
    const snap = JSON.parse(readFileSync(file, 'utf8')) as { format?: string; seq?: number; hosts?: MockState['hosts']; pool?: PoolState };
    if (snap.format !== FORMAT) throw new Error(`mock state file ${file}: unknown format ${JSON.stringify(snap.format)}`);
    this.state = { hosts: {}, pool: { ...emptyPool(), ...snap.pool } };
    for (const [h, hs] of Object.entries(snap.hosts ?? {})) this.state.hosts[h] = { ...emptyHost(), ...hs };
    this.seq = snap.seq ?? 0;
    this.snapshotBytes = Buffer.byteLength(readFileSync(file, 'utf8'));
    const journal = `${file}.journal`;
    if (!existsSync(journal)) return;
    const text = readFileSync(journal, 'utf8');
    let torn = false;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let entry: { seq: number; ops: JournalOp[] };
      try {
        entry = JSON.parse(line) as { seq: number; ops: JournalOp[] };
      } catch {
        torn = true; // a torn last line: that batch never completed
        break;
      }
      if (entry.seq <= this.seq) continue;
      for (const [scope, table, key, value] of entry.ops) {
        const t = (scope === '' ? this.state.pool : this.host(scope)) as unknown as Record<string, Record<string, unknown>>;
        const tab = (t[table] ??= {});
        if (value === null) delete tab[key];
        else tab[key] = value;
      }
      this.seq = entry.seq;
    }
    this.journalBytes = text.length;
    // Appending after a torn line would corrupt the next batch: fold everything into the state file.
    if (torn || (text !== '' && !text.endsWith('\n'))) this.writeSnapshot();
  }

  private writeSnapshot(): void {
    const file = this.stateFile!;
    const json = JSON.stringify({ format: FORMAT, seq: this.seq, deviceSizeKiB: this.deviceKiB, hosts: this.state.hosts, pool: this.state.pool });
    writeFileSync(`${file}.tmp`, json);
    renameSync(`${file}.tmp`, file);
    this.snapshotBytes = json.length;
    if (this.journalBytes > 0 || existsSync(`${file}.journal`)) {
      writeFileSync(`${file}.journal`, '');
      this.journalBytes = 0;
    }
  }

  /** Makes every change since the last call durable (see the file comment). */
  private persist(): void {
    if (this.dirty.size === 0) return;
    const dirty = this.dirty;
    this.dirty = new Map();
    if (!this.stateFile) return;
    this.seq++;
    if (this.snapshotBytes <= this.fullWriteMaxBytes) {
      this.writeSnapshot();
      return;
    }
    const ops: JournalOp[] = [];
    for (const [scope, table, key] of dirty.values()) {
      const t = (scope === '' ? this.state.pool : this.host(scope)) as unknown as Record<string, Record<string, unknown>>;
      const v = t[table]?.[key];
      ops.push([scope, table, key, v === undefined ? null : v]);
    }
    const line = `${JSON.stringify({ seq: this.seq, ops })}\n`;
    appendFileSync(`${this.stateFile}.journal`, line);
    this.journalBytes += line.length;
    // Folding the journal costs a full write, so do it rarely: JSON.stringify of a large state per
    // batch dominated a volume create.
    if (this.journalBytes > Math.max(4 * this.snapshotBytes, 8 * 1024 * 1024)) this.writeSnapshot();
  }

  private rebuildIndexes(): void {
    this.mountByDev.clear();
    for (const [h, hs] of Object.entries(this.state.hosts)) {
      const m = new Map<string, string>();
      for (const [mp, rec] of Object.entries(hs.mounts)) m.set(rec.device, mp);
      this.mountByDev.set(h, m);
    }
    this.brickOwner.clear();
    for (const [name, v] of Object.entries(this.state.pool.volumes)) {
      for (const b of v.bricks) {
        const r = this.resolveBrick(b);
        if (r) this.brickOwner.set(`${r.host}:${r.path}`, name);
      }
    }
  }

  private devMounts(host: string): Map<string, string> {
    let m = this.mountByDev.get(host);
    if (!m) {
      m = new Map();
      this.mountByDev.set(host, m);
    }
    return m;
  }

  // ------------------------------------------------------------------------------ batches

  private async execBatch(host: string, commands: NodeCommand[]): Promise<CommandResult[]> {
    const results: CommandResult[] = [];
    const logged: CommandLogEntry[] = [];
    this.batchLogs.add(logged);
    try {
      for (const c of commands) {
        if (this.delayMs > 0) await sleep(this.delayMs);
        if (this.state.hosts[host]?.meta.down) {
          const msg = `ssh: connect to host ${host} port 22: Connection refused`;
          throw new CommandError(msg, host, c.argv, { exitCode: 255, stdout: '', stderr: `${msg}\n` }, true);
        }
        this.crashArm();
        const r = this.execOne(host, c.argv);
        const entry = { host, argv: [...c.argv], exitCode: r.exitCode };
        this.commandLog.push(entry);
        // Bounded: a long-running mock server must not grow without limit (the file log keeps all).
        if (this.commandLog.length > 2 * COMMAND_LOG_LIMIT) this.commandLog.splice(0, this.commandLog.length - COMMAND_LOG_LIMIT);
        logged.push(entry);
        this.crashCheck();
        if (r.unreachable) throw new CommandError(failureText(r), host, c.argv, { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr }, true);
        const res: CommandResult = { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
        results.push(res);
        if (r.exitCode !== 0 && !c.allowFailure) throw new CommandError(failureText(res), host, c.argv, res);
      }
      return results;
    } finally {
      this.batchLogs.delete(logged);
      this.persist();
      if (this.stateFile && logged.length > 0) appendFileSync(`${this.stateFile}.log`, logged.map((e) => JSON.stringify(e)).join('\n') + '\n');
    }
  }

  private injected(host: string, argv: string[]): Result | undefined {
    if (this.failRules.length === 0) return undefined;
    const line = renderCommand(argv);
    for (let i = 0; i < this.failRules.length; i++) {
      const rule = this.failRules[i]!;
      if (rule.host !== undefined && rule.host !== host) continue;
      rule.match.lastIndex = 0;
      if (!rule.match.test(line)) continue;
      rule.times = (rule.times ?? 1) - 1;
      if (rule.times <= 0) this.failRules.splice(i, 1);
      return { ...fail(rule.stderr, rule.exitCode ?? 1), unreachable: rule.unreachable };
    }
    return undefined;
  }

  private execOne(host: string, argvIn: string[]): Result {
    if (argvIn.length === 0 || argvIn.some((a) => typeof a !== 'string')) return fail('mock: argv must be a non-empty array of strings', 127);
    const inj = this.injected(host, argvIn);
    if (inj) return inj;
    let argv = argvIn;
    // lvm_wrapper words (nsenter ... --) in front of lvm/udevadm.
    if (!this.knownProgram(argv[0]!)) {
      const i = argv.findIndex((a) => a === LVM_BIN || a === UDEVADM_BIN);
      if (i > 0) argv = argv.slice(i);
    }
    const [prog, ...args] = argv as [string, ...string[]];
    switch (prog) {
      case LVM_BIN:
      case 'lvm':
        return this.lvm(host, args[0] ?? '', args.slice(1));
      case UDEVADM_BIN:
      case 'udevadm':
        return fail(`bash: line 1: ${prog}: No such file or directory`, 127);
      case 'systemctl':
        return this.systemctl(host, args);
      case 'gluster':
        return this.gluster(host, args);
      case 'gluster-block':
        return this.glusterBlock(host, args);
      case 'wipefs':
        return this.wipefs(host, args);
      case 'mkdir':
        return this.mkdirCmd(host, args);
      case 'rmdir':
        return this.rmdirCmd(host, args);
      case 'mkfs.xfs':
        return this.mkfs(host, args);
      case 'awk':
        return this.awk(host, args);
      case 'mount':
        return this.mountCmd(host, args);
      case 'umount':
        return this.umountCmd(host, args);
      case 'sed':
        return this.sed(host, args);
      case 'cat':
        return this.cat(host, args);
      case 'chown':
      case 'chmod':
        return this.chownChmod(host, prog, args);
      case 'lsof':
        return fail('', 1);
      default:
        if (LVM_NAMES.has(prog)) return this.lvm(host, prog, args);
        return fail(`bash: line 1: ${prog}: command not found`, 127);
    }
  }

  private knownProgram(p: string): boolean {
    return (
      p === LVM_BIN ||
      p === UDEVADM_BIN ||
      LVM_NAMES.has(p) ||
      ['lvm', 'udevadm', 'systemctl', 'gluster', 'gluster-block', 'wipefs', 'mkdir', 'rmdir', 'mkfs.xfs', 'awk', 'mount', 'umount', 'sed', 'cat', 'chown', 'chmod', 'lsof'].includes(p)
    );
  }

  // ------------------------------------------------------------------------------ filesystem

  /** Any `/dev/...` path is a disk, except device-mapper nodes, LVM's by-UUID links and existing LVs. */
  private isDisk(host: string, path: string): boolean {
    return (
      /^\/dev\/[A-Za-z0-9]/.test(path) &&
      !path.startsWith('/dev/mapper/') &&
      !path.startsWith('/dev/disk/by-id/lvm-pv-uuid-') &&
      !path.split('/').includes('..') &&
      this.lvKeyOfDev(host, path) === undefined
    );
  }

  /** The mount whose filesystem holds `path` (longest mounted ancestor, the path itself included). */
  private mountOf(host: string, path: string): { mount: string; rel: string; rec: MountRec } | undefined {
    const mounts = this.state.hosts[host]?.mounts;
    if (!mounts) return undefined;
    for (let p = path; ; p = parentOf(p)) {
      const rec = mounts[p];
      if (rec) return { mount: p, rel: p === path ? '' : path.slice(p === '/' ? 1 : p.length + 1), rec };
      if (p === '/') return undefined;
    }
  }

  private pathExists(host: string, path: string): boolean {
    if (path === '/') return true;
    const m = this.mountOf(host, path);
    if (m && m.rel !== '') return this.state.hosts[host]?.fs[m.rec.device]?.dirs[m.rel] !== undefined;
    return this.state.hosts[host]?.dirs[path] !== undefined;
  }

  /** Creates one directory whose parent exists. */
  private makeDir(host: string, path: string): void {
    const m = this.mountOf(host, path);
    if (m && m.rel !== '') {
      this.hostEdit(host, 'fs', m.rec.device).dirs[m.rel] = { gid: 0, mode: '0755' };
      return;
    }
    this.hostMut(host, 'dirs', path, 0);
    const parent = parentOf(path);
    const hs = this.host(host);
    if (parent !== '/' && hs.dirs[parent] !== undefined) this.hostMut(host, 'dirs', parent, hs.dirs[parent]! + 1);
  }

  private mkdirP(host: string, path: string): void {
    const parts: string[] = [];
    for (let p = path; p !== '/'; p = parentOf(p)) parts.push(p);
    for (const p of parts.reverse()) if (!this.pathExists(host, p)) this.makeDir(host, p);
  }

  private removeDir(host: string, path: string): Result {
    const hs = this.host(host);
    if (hs.mounts[path]) return fail(`rmdir: failed to remove '${path}': Device or resource busy`);
    const m = this.mountOf(host, path);
    if (m && m.rel !== '') {
      const fs = hs.fs[m.rec.device]!;
      if (fs.dirs[m.rel] === undefined) return fail(`rmdir: failed to remove '${path}': No such file or directory`);
      if (Object.keys(fs.dirs).some((d) => d.startsWith(`${m.rel}/`))) return fail(`rmdir: failed to remove '${path}': Directory not empty`);
      delete this.hostEdit(host, 'fs', m.rec.device).dirs[m.rel];
      return ok();
    }
    const count = hs.dirs[path];
    if (count === undefined) return fail(`rmdir: failed to remove '${path}': No such file or directory`);
    if (count > 0) return fail(`rmdir: failed to remove '${path}': Directory not empty`);
    this.hostMut(host, 'dirs', path, undefined);
    const parent = parentOf(path);
    if (hs.dirs[parent] !== undefined) this.hostMut(host, 'dirs', parent, Math.max(0, hs.dirs[parent]! - 1));
    return ok();
  }

  private mkdirCmd(host: string, args: string[]): Result {
    const p = args.includes('-p');
    const paths = args.filter((a) => !a.startsWith('-')).map(normPath);
    if (paths.length === 0) return fail('mkdir: missing operand');
    for (const path of paths) {
      if (p) {
        this.mkdirP(host, path);
        continue;
      }
      if (this.pathExists(host, path)) return fail(`mkdir: cannot create directory '${path}': File exists`);
      if (!this.pathExists(host, parentOf(path))) return fail(`mkdir: cannot create directory '${path}': No such file or directory`);
      this.makeDir(host, path);
    }
    return ok();
  }

  private rmdirCmd(host: string, args: string[]): Result {
    const paths = args.filter((a) => !a.startsWith('-')).map(normPath);
    if (paths.length === 0) return fail('rmdir: missing operand');
    for (const p of paths) {
      const r = this.removeDir(host, p);
      if (r.exitCode !== 0) return r;
    }
    return ok();
  }

  private chownChmod(host: string, prog: string, args: string[]): Result {
    const [spec, ...paths] = args.filter((a) => !a.startsWith('-'));
    if (!spec || paths.length === 0) return fail(`${prog}: missing operand`);
    for (const raw of paths) {
      const path = normPath(raw);
      if (!this.pathExists(host, path)) return fail(`${prog}: cannot access '${path}': No such file or directory`);
      const m = this.mountOf(host, path);
      if (!m || m.rel === '') continue; // attributes are kept for brick directories only
      const d = this.hostEdit(host, 'fs', m.rec.device).dirs[m.rel]!;
      if (prog === 'chmod') d.mode = spec;
      else {
        const g = spec.includes(':') ? spec.slice(spec.indexOf(':') + 1) : '';
        if (g !== '') {
          if (!/^[0-9]+$/.test(g)) return fail(`chown: invalid group: '${spec}'`);
          d.gid = Number(g);
        }
      }
    }
    return ok();
  }

  /** Resolves a device argument to an LV record key, if it names an LV. */
  private lvKeyOfDev(host: string, dev: string): string | undefined {
    const vl = lvOfDevNode(dev);
    if (!vl) return undefined;
    const key = `${vl[0]}/${vl[1]}`;
    return this.state.hosts[host]?.lvs[key] ? key : undefined;
  }

  private blockDeviceExists(host: string, dev: string): boolean {
    const key = this.lvKeyOfDev(host, dev);
    if (key) return this.state.hosts[host]!.lvs[key]!.kind === 'thin';
    return this.isDisk(host, dev);
  }

  private mkfs(host: string, args: string[]): Result {
    const { pos, flags, bad } = parseOpts(args, new Set(['i', 'n', 'd', 'l', 'b', 'L', 'm', 'r', 's']));
    if (bad) return fail(`mkfs.xfs: ${bad}`);
    const dev = pos[pos.length - 1];
    if (!dev) return fail('mkfs.xfs: no device name given in argument list');
    if (!this.blockDeviceExists(host, dev)) return fail(`mkfs.xfs: cannot open ${dev}: No such file or directory`);
    if (this.devMounts(host).has(dev)) return fail(`mkfs.xfs: ${dev} contains a mounted filesystem`);
    const hs = this.host(host);
    if (hs.fs[dev] && !flags.has('f')) {
      return fail(`mkfs.xfs: ${dev} appears to contain an existing filesystem (xfs).\nmkfs.xfs: Use the -f option to force overwrite.`);
    }
    if (this.isDisk(host, dev) && hs.pvs[dev] && !flags.has('f')) {
      return fail(`mkfs.xfs: ${dev} appears to contain an existing filesystem (LVM2_member).\nmkfs.xfs: Use the -f option to force overwrite.`);
    }
    // As xfsprogs ≥ 5.19 (Debian 12, current distributions).
    const lv = this.lvKeyOfDev(host, dev);
    if (lv && hs.lvs[lv]!.sizeKiB < XFS_MIN_FILESYSTEM_KiB) return fail('Filesystem must be larger than 300MB.');
    this.hostMut(host, 'fs', dev, { type: 'xfs', dirs: {} });
    return ok(`meta-data=${dev}              isize=512    agcount=4, agsize=65536 blks\n`);
  }

  private fileExists(host: string, file: string): boolean {
    if (/fstab/.test(file.slice(file.lastIndexOf('/') + 1))) return true; // a node always has its fstab
    return Object.values(this.state.hosts[host]?.lines ?? {}).some((l) => l.file === file);
  }

  private appendLine(host: string, file: string, text: string): void {
    const last = this.host(host).meta['lineSeq'];
    const seq = (typeof last === 'number' ? last : 0) + 1;
    this.hostMut(host, 'meta', 'lineSeq', seq);
    this.hostMut(host, 'lines', String(seq), { file, text });
  }

  private awk(host: string, args: string[]): Result {
    // Only Heketi's fstab append program is understood.
    const m = args.length === 1 ? /^BEGIN \{print "([^"]*)" >> "([^"]*)"\}$/.exec(args[0]!) : null;
    if (!m) return fail(`awk: mock supports only BEGIN {print "..." >> "file"}: ${JSON.stringify(args)}`, 2);
    const file = normPath(m[2]!);
    if (!this.pathExists(host, parentOf(file)) && !file.startsWith('/etc/')) return fail(`awk: cannot redirect to ${file} (No such file or directory)`, 2);
    this.appendLine(host, file, m[1]!);
    return ok();
  }

  private sed(host: string, args: string[]): Result {
    const inPlace = args.some((a) => a.startsWith('-i'));
    const rest = args.filter((a) => !a.startsWith('-'));
    const [script, file] = rest;
    const m = script ? /^\/(.*)\/d$/.exec(script) : null;
    if (!inPlace || !m || !file) return fail(`sed: mock supports only sed -i[SUFFIX] /RE/d FILE: ${JSON.stringify(args)}`, 1);
    let re: RegExp;
    try {
      re = new RegExp(m[1]!);
    } catch {
      return fail(`sed: -e expression #1, char ${script!.length}: unterminated address regex`);
    }
    const path = normPath(file);
    if (!this.fileExists(host, path)) return fail(`sed: can't read ${path}: No such file or directory`, 2);
    for (const [key, line] of Object.entries(this.host(host).lines)) {
      if (line.file === path && re.test(line.text)) this.hostMut(host, 'lines', key, undefined);
    }
    return ok();
  }

  private cat(host: string, args: string[]): Result {
    let out = '';
    for (const raw of args) {
      const path = normPath(raw);
      if (!this.fileExists(host, path)) return fail(`cat: ${path}: No such file or directory`, 1, out);
      for (const line of Object.values(this.state.hosts[host]?.lines ?? {})) if (line.file === path) out += `${line.text}\n`;
    }
    return ok(out);
  }

  private mountCmd(host: string, args: string[]): Result {
    if (args.length === 0) {
      let out = 'sysfs on /sys type sysfs (rw,nosuid,nodev,noexec,relatime)\nproc on /proc type proc (rw,nosuid,nodev,noexec,relatime)\n/dev/vda1 on / type ext4 (rw,relatime)\n';
      for (const [mp, rec] of Object.entries(this.state.hosts[host]?.mounts ?? {})) out += `${rec.device} on ${mp} type ${rec.type} (${rec.options})\n`;
      return ok(out);
    }
    const { opts, pos, bad } = parseOpts(args, new Set(['o', 't']));
    if (bad || pos.length !== 2) return fail('mount: bad usage\nTry \'mount --help\' for more information.', 1);
    const [dev, rawMp] = pos as [string, string];
    const mp = normPath(rawMp);
    if (!this.pathExists(host, mp)) return fail(`mount: ${mp}: mount point does not exist.`, 32);
    if (!this.blockDeviceExists(host, dev)) return fail(`mount: ${mp}: special device ${dev} does not exist.`, 32);
    const existing = this.devMounts(host).get(dev);
    if (existing !== undefined) return fail(`mount: ${mp}: ${dev} already mounted on ${existing}.`, 32);
    if (this.state.hosts[host]!.mounts[mp]) return fail(`mount: ${mp}: ${this.state.hosts[host]!.mounts[mp]!.device} already mounted on ${mp}.`, 32);
    const fs = this.state.hosts[host]!.fs[dev];
    if (!fs) return fail(`mount: ${mp}: wrong fs type, bad option, bad superblock on ${dev}, missing codepage or helper program, or other error.`, 32);
    this.attach(host, dev, mp, fs.type, opts.get('o') ?? 'rw');
    return ok();
  }

  private attach(host: string, dev: string, mp: string, type: string, options: string): void {
    this.hostMut(host, 'mounts', mp, { device: dev, type, options });
    this.devMounts(host).set(dev, mp);
  }

  private detach(host: string, mp: string): void {
    const rec = this.state.hosts[host]?.mounts[mp];
    if (!rec) return;
    this.devMounts(host).delete(rec.device);
    this.hostMut(host, 'mounts', mp, undefined);
  }

  private umountCmd(host: string, args: string[]): Result {
    const targets = args.filter((a) => !a.startsWith('-'));
    if (targets.length === 0) return fail('umount: bad usage', 1);
    for (const t of targets) {
      const byDev = this.devMounts(host).get(t);
      const mp = byDev ?? normPath(t);
      if (!this.state.hosts[host]?.mounts[mp]) {
        return this.pathExists(host, mp) || this.blockDeviceExists(host, t) ? fail(`umount: ${t}: not mounted.`, 32) : fail(`umount: ${t}: no mount point specified.`, 32);
      }
      this.detach(host, mp);
    }
    return ok();
  }

  private wipefs(host: string, args: string[]): Result {
    const devs = args.filter((a) => !a.startsWith('-'));
    for (const dev of devs) {
      if (!this.isDisk(host, dev)) return fail(`wipefs: error: ${dev}: probing initialization failed: No such file or directory`);
      const hs = this.host(host);
      const pv = hs.pvs[dev];
      if (pv && pv.vg !== '' && this.lvsOfVg(host, pv.vg).length > 0) {
        return fail(`wipefs: error: ${dev}: probing initialization failed: Device or resource busy`);
      }
      if (this.devMounts(host).has(dev)) return fail(`wipefs: error: ${dev}: probing initialization failed: Device or resource busy`);
      if (pv) {
        if (pv.vg !== '') this.hostMut(host, 'vgs', pv.vg, undefined);
        this.hostMut(host, 'pvs', dev, undefined);
      }
      if (hs.fs[dev]) this.hostMut(host, 'fs', dev, undefined);
    }
    return ok();
  }

  // ------------------------------------------------------------------------------ systemctl

  private systemctl(host: string, args: string[]): Result {
    const [verb, unit] = args;
    const name = (unit ?? '').replace(/\.service$/, '');
    if (name !== 'glusterd') return fail(`Unit ${unit ?? ''}.service could not be found.`, 4);
    const stopped = this.state.hosts[host]?.meta.glusterdStopped === true;
    switch (verb) {
      case 'status':
        return stopped
          ? { exitCode: 3, stdout: '○ glusterd.service - GlusterFS, a clustered file-system server\n     Active: inactive (dead)\n', stderr: '' }
          : ok('● glusterd.service - GlusterFS, a clustered file-system server\n     Active: active (running)\n');
      case 'is-active':
        return stopped ? { exitCode: 3, stdout: 'inactive\n', stderr: '' } : ok('active\n');
      case 'start':
      case 'restart':
        this.hostMut(host, 'meta', 'glusterdStopped', undefined);
        return ok();
      case 'stop':
        this.hostMut(host, 'meta', 'glusterdStopped', true);
        return ok();
      default:
        return fail(`Unknown command verb ${verb ?? ''}.`, 1);
    }
  }

  // ------------------------------------------------------------------------------ LVM

  private lvsOfVg(host: string, vg: string): LvRec[] {
    return Object.values(this.state.hosts[host]?.lvs ?? {}).filter((l) => l.vg === vg);
  }

  private vgNotFound(vg: string): Result {
    return fail(`  Volume group "${vg}" not found\n  Cannot process volume group ${vg}`, 5);
  }

  /** A PV path (device or by-id UUID link) → the PV's device key. */
  private pvKey(host: string, path: string): string | undefined {
    const hs = this.state.hosts[host];
    if (!hs) return undefined;
    if (hs.pvs[path]) return path;
    const m = /^\/dev\/disk\/by-id\/lvm-pv-uuid-(.+)$/.exec(path);
    if (m) return Object.keys(hs.pvs).find((d) => hs.pvs[d]!.uuid === m[1]);
    return undefined;
  }

  private lvm(host: string, sub: string, args: string[]): Result {
    switch (sub) {
      case 'pvcreate':
        return this.pvcreate(host, args);
      case 'vgcreate':
        return this.vgcreate(host, args);
      case 'pvs':
      case 'vgs':
      case 'lvs':
        return this.report(host, sub, args);
      case 'vgdisplay':
        return this.vgdisplay(host, args);
      case 'vgremove':
        return this.vgremove(host, args);
      case 'pvremove':
        return this.pvremove(host, args);
      case 'lvcreate':
        return this.lvcreate(host, args);
      case 'lvremove':
        return this.lvremove(host, args);
      default:
        return fail(`  No such command '${sub}'.  Try 'help'.`, 3);
    }
  }

  private pvcreate(host: string, args: string[]): Result {
    const { pos, flags, bad } = parseOpts(args, new Set(['metadatasize', 'dataalignment']));
    if (bad) return fail(`  ${bad}`, 3);
    if (pos.length === 0) return fail('  Please enter a physical volume path.', 3);
    const hs = this.host(host);
    for (const dev of pos) {
      if (!this.isDisk(host, dev)) return fail(`  No device found for ${dev}.`, 5);
      const pv = hs.pvs[dev];
      if (pv && pv.vg !== '' && (flags.get('f') ?? 0) < 2) {
        return fail(`  Can't initialize physical volume "${dev}" of volume group "${pv.vg}" without -ff\n  ${dev}: physical volume not initialized.`, 5);
      }
      if (hs.fs[dev] && !flags.has('f') && !flags.has('y')) {
        return fail(`  WARNING: ${hs.fs[dev]!.type} signature detected on ${dev} at offset 0. Wipe it? [y/n]: [n]\n  Aborted wiping of ${hs.fs[dev]!.type}.\n  1 existing signature left on the device.`, 5);
      }
    }
    for (const dev of pos) {
      this.hostMut(host, 'pvs', dev, { vg: '', uuid: '', sizeKiB: this.deviceKiB });
      if (hs.fs[dev]) this.hostMut(host, 'fs', dev, undefined);
    }
    return ok(flags.has('q') ? '' : pos.map((d) => `  Physical volume "${d}" successfully created.\n`).join(''));
  }

  private vgcreate(host: string, args: string[]): Result {
    const { opts, pos, flags, bad } = parseOpts(args, new Set(['physicalextentsize', 's', 'autobackup', 'A']));
    if (bad) return fail(`  ${bad}`, 3);
    const [vg, ...devs] = pos;
    if (!vg || devs.length !== 1) return fail('  Please provide a volume group name and one physical volume (mock).', 3);
    const dev = devs[0]!;
    const hs = this.host(host);
    if (hs.vgs[vg]) return fail(`  A volume group called ${vg} already exists.`, 5);
    const extentKiB = lvmSizeKiB(opts.get('physicalextentsize') ?? opts.get('s') ?? '4M', 'm');
    if (!extentKiB || extentKiB < 1) return fail(`  Invalid argument for --physicalextentsize: ${opts.get('physicalextentsize')}`, 3);
    if (!this.isDisk(host, dev)) return fail(`  No device found for ${dev}.`, 5);
    const pv = hs.pvs[dev];
    if (pv && pv.vg !== '') return fail(`  Physical volume '${dev}' is already in volume group '${pv.vg}'\n  Unable to add physical volume '${dev}' to volume group '${vg}'\n  ${dev}: physical volume not initialized.`, 5);
    const sizeKiB = pv?.sizeKiB ?? this.deviceKiB;
    this.hostMut(host, 'pvs', dev, { vg, uuid: '', sizeKiB });
    const total = Math.floor(sizeKiB / extentKiB);
    this.hostMut(host, 'vgs', vg, { pv: dev, uuid: lvmUuid(), extentKiB, totalExtents: total, freeExtents: total });
    const out = flags.has('q') ? '' : `  Volume group "${vg}" successfully created\n`;
    return { exitCode: 0, stdout: out, stderr: noBackupWarning(opts) };
  }

  private vgdisplay(host: string, args: string[]): Result {
    const { pos, flags } = parseOpts(args, new Set());
    const vg = pos[0];
    if (!vg || !flags.has('c')) return fail('  mock: only vgdisplay -c <vg> is supported', 3);
    const rec = this.state.hosts[host]?.vgs[vg];
    if (!rec) return this.vgNotFound(vg);
    const lvs = this.lvsOfVg(host, vg);
    const mounted = this.devMounts(host);
    const open = lvs.filter((l) => mounted.has(dmDevNode(l.vg, l.lv))).length;
    const alloc = rec.totalExtents - rec.freeExtents;
    const f = [vg, 'r/w', '772', '-1', '0', String(lvs.length), String(open), '-1', '0', '1', '1', String(rec.totalExtents * rec.extentKiB), String(rec.extentKiB), String(rec.totalExtents), String(alloc), String(rec.freeExtents), rec.uuid];
    return ok(`  ${f.join(':')}\n`);
  }

  private vgremove(host: string, args: string[]): Result {
    const { pos, flags } = parseOpts(args, new Set());
    if (pos.length === 0) return fail('  Please enter one or more volume group paths.', 3);
    const hs = this.host(host);
    for (const vg of pos) {
      const rec = hs.vgs[vg];
      if (!rec) return this.vgNotFound(vg);
      const lvs = this.lvsOfVg(host, vg);
      if (lvs.length > 0) {
        if (!flags.has('f')) return fail(`  Volume group "${vg}" still contains ${lvs.length} logical volume(s)\n  Volume group "${vg}" not removed`, 5);
        const busy = lvs.find((l) => this.devMounts(host).has(dmDevNode(l.vg, l.lv)));
        if (busy) return fail(`  Logical volume ${vg}/${busy.lv} contains a filesystem in use.`, 5);
        for (const l of lvs) this.dropLv(host, l);
      }
      this.hostMut(host, 'vgs', vg, undefined);
      const pv = hs.pvs[rec.pv];
      if (pv) this.hostMut(host, 'pvs', rec.pv, { ...pv, vg: '' });
    }
    return ok(flags.has('q') ? '' : pos.map((v) => `  Volume group "${v}" successfully removed\n`).join(''));
  }

  private pvremove(host: string, args: string[]): Result {
    const { pos, flags } = parseOpts(args, new Set());
    if (pos.length === 0) return fail('  Please enter a physical volume path.', 3);
    for (const path of pos) {
      const key = this.pvKey(host, path);
      if (!key) return fail(`  No PV found on device ${path}.`, 5);
      const pv = this.state.hosts[host]!.pvs[key]!;
      if (pv.vg !== '' && (flags.get('f') ?? 0) < 2) {
        return fail(`  PV ${path} is used by VG ${pv.vg} so please use vgreduce first.\n  (If you are certain you need pvremove, then confirm by using --force twice.)`, 5);
      }
      this.hostMut(host, 'pvs', key, undefined);
    }
    return ok(flags.has('q') ? '' : pos.map((p) => `  Labels on physical volume "${p}" successfully wiped.\n`).join(''));
  }

  private lvcreate(host: string, args: string[]): Result {
    const { opts, pos, flags, bad } = parseOpts(args, new Set(['poolmetadatasize', 'chunksize', 'c', 'size', 'L', 'virtualsize', 'V', 'name', 'n', 'autobackup', 'A', 'thinpool', 'type']));
    if (bad) return fail(`  ${bad}`, 3);
    const target = opts.get('thinpool') ?? pos[0];
    if (!target || !target.includes('/') || !(flags.has('thin') || flags.has('T'))) {
      return fail('  mock: only lvcreate --thin <vg>/<pool> --size S --virtualsize V --name N is supported', 3);
    }
    const [vg, pool] = target.replace(/^\/dev\//, '').split('/', 2) as [string, string];
    const name = opts.get('name') ?? opts.get('n');
    const sizeArg = opts.get('size') ?? opts.get('L');
    const virtArg = opts.get('virtualsize') ?? opts.get('V');
    const hs = this.host(host);
    const vgRec = hs.vgs[vg];
    if (!vgRec) return this.vgNotFound(vg);
    const ext = vgRec.extentKiB;
    if (sizeArg === undefined) return fail(`  Thin pool ${vg}/${pool} not found and no --size given.`, 5);
    if (hs.lvs[`${vg}/${pool}`]) return fail(`  Logical Volume "${pool}" already exists in volume group "${vg}"`, 5);
    if (name !== undefined && hs.lvs[`${vg}/${name}`]) return fail(`  Logical Volume "${name}" already exists in volume group "${vg}"`, 5);
    const dataKiB = lvmSizeKiB(sizeArg, 'm');
    const metaKiB = lvmSizeKiB(opts.get('poolmetadatasize') ?? `${Math.max(4096, Math.ceil((dataKiB ?? 0) / 1000))}K`, 'm');
    const virtKiB = virtArg === undefined ? undefined : lvmSizeKiB(virtArg, 'm');
    if (!dataKiB || !metaKiB || (virtArg !== undefined && !virtKiB)) return fail(`  Invalid size argument in ${JSON.stringify(args)}`, 3);
    const needed = Math.ceil(dataKiB / ext) + Math.ceil(metaKiB / ext);
    if (needed > vgRec.freeExtents) return fail(`  Volume group "${vg}" has insufficient free space (${vgRec.freeExtents} extents): ${needed} required.`, 5);
    this.hostEdit(host, 'vgs', vg).freeExtents -= needed;
    const chunk = opts.get('chunksize') ?? opts.get('c') ?? '64K';
    this.hostMut(host, 'lvs', `${vg}/${pool}`, { vg, lv: pool, kind: 'pool', sizeKiB: Math.ceil(dataKiB / ext) * ext, extents: needed, metaKiB, chunk, pool: '', origin: '', thinCount: 0 });
    const q = flags.has('q');
    if (virtKiB === undefined) return { ...ok(q ? '' : `  Logical volume "${pool}" created.\n`), stderr: noBackupWarning(opts) };
    const lv = name ?? `lvol${Object.keys(hs.lvs).length}`;
    this.addThin(host, vg, pool, lv, Math.ceil(virtKiB / ext) * ext, '');
    return { ...ok(q ? '' : `  Logical volume "${lv}" created.\n`), stderr: noBackupWarning(opts) };
  }

  private addThin(host: string, vg: string, pool: string, lv: string, sizeKiB: number, origin: string): void {
    this.hostMut(host, 'lvs', `${vg}/${lv}`, { vg, lv, kind: 'thin', sizeKiB, extents: 0, metaKiB: 0, chunk: '', pool, origin, thinCount: 0 });
    this.hostEdit(host, 'lvs', `${vg}/${pool}`).thinCount += 1;
  }

  /** Removes an LV record (and a pool's thin LVs), giving extents back. No checks. */
  private dropLv(host: string, l: LvRec): void {
    const hs = this.host(host);
    const key = `${l.vg}/${l.lv}`;
    if (!hs.lvs[key]) return;
    if (l.kind === 'thin') {
      if (hs.lvs[`${l.vg}/${l.pool}`]) this.hostEdit(host, 'lvs', `${l.vg}/${l.pool}`).thinCount -= 1;
      const dev = dmDevNode(l.vg, l.lv);
      if (hs.fs[dev]) this.hostMut(host, 'fs', dev, undefined);
    } else {
      if (l.thinCount > 0) for (const t of this.lvsOfVg(host, l.vg)) if (t.kind === 'thin' && t.pool === l.lv) this.dropLv(host, t);
      if (hs.vgs[l.vg]) this.hostEdit(host, 'vgs', l.vg).freeExtents += l.extents;
    }
    this.hostMut(host, 'lvs', key, undefined);
  }

  private lvremove(host: string, args: string[]): Result {
    const { opts, pos, flags, bad } = parseOpts(args, new Set(['autobackup', 'A']));
    if (bad) return fail(`  ${bad}`, 3);
    if (pos.length === 0) return fail('  Please enter one or more logical volume paths.', 3);
    const hs = this.host(host);
    const mounted = this.devMounts(host);
    let out = '';
    for (const target of pos) {
      const key = target.startsWith('/dev/') ? (this.lvKeyOfDev(host, target) ?? target) : target;
      const l = hs.lvs[key];
      if (!l) return fail(`  Failed to find logical volume "${key}"`, 5, out);
      const victims = l.kind === 'pool' ? this.lvsOfVg(host, l.vg).filter((t) => t.kind === 'thin' && t.pool === l.lv) : [l];
      const busy = victims.find((t) => mounted.has(dmDevNode(t.vg, t.lv)));
      if (busy) return fail(`  Logical volume ${busy.vg}/${busy.lv} contains a filesystem in use.`, 5, out);
      if (l.kind === 'pool' && victims.length > 0 && !flags.has('f')) return fail(`  Removing pool "${l.lv}" will remove ${victims.length} dependent volume(s). Proceed? [y/n]: [n]\n  Logical volume "${l.lv}" not removed.`, 5, out);
      if (l.kind === 'pool' && !flags.has('q')) for (const v of victims) out += `  Logical volume "${v.lv}" successfully removed.\n`;
      this.dropLv(host, l);
      if (!flags.has('q')) out += `  Logical volume "${l.lv}" successfully removed.\n`;
    }
    return { ...ok(out), stderr: noBackupWarning(opts) };
  }

  private static readonly REPORT_DEFAULTS: Record<'pvs' | 'vgs' | 'lvs', string[]> = {
    pvs: ['pv_name', 'vg_name', 'pv_fmt', 'pv_attr', 'pv_size', 'pv_free'],
    vgs: ['vg_name', 'pv_count', 'lv_count', 'snap_count', 'vg_attr', 'vg_size', 'vg_free'],
    lvs: ['lv_name', 'vg_name', 'lv_attr', 'lv_size', 'pool_lv', 'origin', 'data_percent', 'metadata_percent', 'move_pv', 'mirror_log', 'copy_percent', 'convert_lv'],
  };

  /** pvs/vgs/lvs with `-o`, `--noheadings`, `--separator`, `--reportformat json`, `--units k`. */
  private report(host: string, kind: 'pvs' | 'vgs' | 'lvs', args: string[]): Result {
    const { opts, flags, pos, bad } = parseOpts(args, new Set(['o', 'options', 'reportformat', 'units', 'separator', 'select', 'S', 'O', 'sort']));
    if (bad) return fail(`  ${bad}`, 3);
    const fields = (opts.get('o') ?? opts.get('options') ?? MockRunner.REPORT_DEFAULTS[kind].join(','))
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '');
    const hs = this.state.hosts[host] ?? emptyHost();
    const mounted = this.devMounts(host);
    const rows: Array<Record<string, string>> = [];
    let err = '';
    const size = (k: number) => fmtK(k);
    const pvRow = (dev: string, pv: PvRec): Record<string, string> => {
      const vg = pv.vg !== '' ? hs.vgs[pv.vg] : undefined;
      return {
        pv_name: dev,
        vg_name: pv.vg,
        pv_uuid: pv.uuid,
        pv_fmt: 'lvm2',
        pv_attr: vg ? 'a--' : '---',
        pv_size: size(vg ? vg.totalExtents * vg.extentKiB : pv.sizeKiB),
        pv_free: size(vg ? vg.freeExtents * vg.extentKiB : pv.sizeKiB),
      };
    };
    if (kind === 'pvs') {
      const want = pos.length > 0 ? pos : Object.keys(hs.pvs);
      for (const p of want) {
        const key = this.pvKey(host, p);
        if (!key) {
          err += `  Failed to find physical volume "${p}".\n`;
          continue;
        }
        rows.push(pvRow(key, hs.pvs[key]!));
      }
    } else if (kind === 'vgs') {
      const want = pos.length > 0 ? pos : Object.keys(hs.vgs);
      for (const vg of want) {
        const rec = hs.vgs[vg];
        if (!rec) {
          err += `  Volume group "${vg}" not found\n  Cannot process volume group ${vg}\n`;
          continue;
        }
        const pv = hs.pvs[rec.pv];
        rows.push({
          ...(pv ? pvRow(rec.pv, pv) : { pv_name: rec.pv, pv_uuid: '' }),
          vg_name: vg,
          pv_count: '1',
          lv_count: String(this.lvsOfVg(host, vg).length),
          snap_count: '0',
          vg_attr: 'wz--n-',
          vg_size: size(rec.totalExtents * rec.extentKiB),
          vg_free: size(rec.freeExtents * rec.extentKiB),
          vg_uuid: rec.uuid,
          vg_extent_size: size(rec.extentKiB),
        });
      }
    } else {
      const lvRow = (l: LvRec): Record<string, string> => {
        const open = mounted.has(dmDevNode(l.vg, l.lv));
        return {
          lv_name: l.lv,
          vg_name: l.vg,
          lv_attr: l.kind === 'pool' ? 'twi-aotz--' : open ? 'Vwi-aotz--' : 'Vwi-a-tz--',
          lv_size: size(l.sizeKiB),
          pool_lv: l.pool,
          origin: l.origin,
          data_percent: '0.00',
          metadata_percent: l.kind === 'pool' ? '0.01' : '',
          move_pv: '',
          mirror_log: '',
          copy_percent: '',
          convert_lv: '',
          thin_count: l.kind === 'pool' ? String(l.thinCount) : '',
          lv_path: l.kind === 'thin' ? `/dev/${l.vg}/${l.lv}` : '',
          lv_dm_path: dmDevNode(l.vg, l.lv),
          segtype: l.kind === 'pool' ? 'thin-pool' : 'thin',
          chunk_size: l.kind === 'pool' ? size(lvmSizeKiB(l.chunk, 'k') ?? 64) : size(0),
          lv_metadata_size: l.kind === 'pool' ? size(l.metaKiB) : '',
        };
      };
      if (pos.length === 0) {
        for (const l of Object.values(hs.lvs)) rows.push(lvRow(l));
      } else {
        for (const p of pos) {
          const name = p.replace(/^\/dev\//, '');
          if (name.includes('/')) {
            const l = hs.lvs[name];
            if (!l) err += `  Failed to find logical volume "${name}"\n`;
            else rows.push(lvRow(l));
          } else if (!hs.vgs[name]) err += `  Volume group "${name}" not found\n  Cannot process volume group ${name}\n`;
          else for (const l of this.lvsOfVg(host, name)) rows.push(lvRow(l));
        }
      }
    }
    const key = kind.slice(0, 2);
    const units = (opts.get('units') ?? 'k').toLowerCase();
    const conv = (v: string, f: string) => {
      if (!/_size$|_free$/.test(f) || v === '' || units === 'k') return flags.has('nosuffix') ? v.replace(/k$/, '') : v;
      const kib = Number(v.replace(/k$/, ''));
      const mult: Record<string, number> = { b: 1 / 1024, m: 1024, g: 1024 ** 2, t: 1024 ** 3 };
      const d = mult[units];
      return d ? `${(kib / d).toFixed(2)}${flags.has('nosuffix') ? '' : units}` : v;
    };
    const picked = rows.map((r) => fields.map((f) => [f, conv(r[f] ?? '', f)] as const));
    let stdout: string;
    if ((opts.get('reportformat') ?? '').startsWith('json')) {
      const body = picked.map((r) => `                  {${r.map(([f, v]) => `${JSON.stringify(f)}:${JSON.stringify(v)}`).join(', ')}}`).join(',\n');
      stdout = `  {\n      "report": [\n          {\n              "${key}": [\n${body}${body ? '\n' : ''}              ]\n          }\n      ]\n  }\n`;
    } else {
      const sep = opts.get('separator') ?? ' ';
      const lines = picked.map((r) => `  ${r.map(([, v]) => v).join(sep)}`);
      if (!flags.has('noheadings')) lines.unshift(`  ${fields.join(sep)}`);
      stdout = lines.length ? `${lines.join('\n')}\n` : '';
    }
    return err ? { exitCode: 5, stdout, stderr: err } : ok(stdout);
  }

  // ------------------------------------------------------------------------------ gluster

  /** The host (state key) whose filesystem holds brick `H:P`: H itself if it has P, else any host that has it. */
  private resolveBrick(brick: string): { host: string; brickHost: string; path: string } | undefined {
    const i = brick.indexOf(':/');
    if (i <= 0) return undefined;
    const brickHost = brick.slice(0, i);
    const path = normPath(brick.slice(i + 1));
    if (this.state.hosts[brickHost] && this.pathExists(brickHost, path)) return { host: brickHost, brickHost, path };
    for (const h of Object.keys(this.state.hosts)) if (this.pathExists(h, path)) return { host: h, brickHost, path };
    return undefined;
  }

  private brickDirRec(host: string, path: string): FsDir | undefined {
    const m = this.mountOf(host, path);
    if (!m || m.rel === '') return undefined;
    return this.state.hosts[host]?.fs[m.rec.device]?.dirs[m.rel];
  }

  private setBrickXattr(host: string, path: string, volumeId: string | undefined): void {
    const m = this.mountOf(host, path);
    if (!m || m.rel === '') return;
    const d = this.hostEdit(host, 'fs', m.rec.device).dirs[m.rel];
    if (!d) return;
    if (volumeId === undefined) delete d.volumeId;
    else d.volumeId = volumeId;
  }

  /** A gluster CLI failure: `<prefix>: failed: <msg>` on stderr, or the XML envelope on stdout. */
  private glusterFail(xml: boolean, prefix: string, msg: string, opErrno = 0): Result {
    if (xml) return { exitCode: 1, stdout: this.xmlEnvelope(-1, opErrno, msg, ''), stderr: '' };
    return fail(prefix ? `${prefix}: failed: ${msg}` : msg, 1);
  }

  private xmlEnvelope(opRet: number, opErrno: number, opErrstr: string, body: string): string {
    const err = opErrstr === '' ? '  <opErrstr/>\n' : `  <opErrstr>${xmlEsc(opErrstr)}</opErrstr>\n`;
    return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cliOutput>\n  <opRet>${opRet}</opRet>\n  <opErrno>${opErrno}</opErrno>\n${err}${body}</cliOutput>\n`;
  }

  private gluster(host: string, argsIn: string[]): Result {
    let xml = false;
    const args: string[] = [];
    for (const a of argsIn) {
      if (a === '--xml') xml = true;
      else if (a === '--mode=script' || a.startsWith('--timeout=') || a.startsWith('--log-level=')) continue;
      else args.push(a);
    }
    if (this.state.hosts[host]?.meta.glusterdStopped) {
      return fail('Connection failed. Please check if gluster daemon is operational.', 1);
    }
    const [area, verb, ...rest] = args;
    if (area === 'peer') return this.glusterPeer(host, verb, rest);
    if (area === 'volume') return this.glusterVolume(xml, verb, rest);
    if (area === 'snapshot') return this.glusterSnapshot(xml, verb, rest);
    return fail(`unrecognized word: ${area ?? ''} (position 0)`, 1);
  }

  private glusterPeer(host: string, verb: string | undefined, rest: string[]): Result {
    const target = rest[0];
    if (!target) return fail(`Usage:\npeer ${verb ?? ''} { <HOSTNAME> | <IP-address> }`, 1);
    const hs = this.host(host);
    if (verb === 'probe') {
      if (target === host || target === 'localhost') return ok('peer probe: Probe on localhost not needed\n');
      if (hs.peers[target]) return ok(`peer probe: Host ${target} port 24007 already in peer list\n`);
      if (this.state.hosts[target]?.meta.down) return fail(`peer probe: failed: Probe returned with Transport endpoint is not connected`, 1);
      this.hostMut(host, 'peers', target, true);
      return ok('peer probe: success\n');
    }
    if (verb === 'detach') {
      if (!hs.peers[target]) return fail(`peer detach: failed: ${target} is not part of cluster`, 1);
      for (const v of Object.values(this.state.pool.volumes)) {
        if (v.bricks.some((b) => b.startsWith(`${target}:/`))) {
          return fail(
            `peer detach: failed: Peer ${target} hosts one or more bricks. If the peer is in not recoverable state then use either replace-brick or remove-brick command with force to remove all bricks from the peer and attempt the peer detach again.`,
            1,
          );
        }
      }
      this.hostMut(host, 'peers', target, undefined);
      return ok('peer detach: success\n');
    }
    return fail(`unrecognized word: ${verb ?? ''} (position 1)`, 1);
  }

  private setSize(v: GVolume): number {
    return v.type === 'replicate' ? v.replica : v.type === 'disperse' ? v.data + v.redundancy : 1;
  }

  /** Checks bricks for create/add-brick/replace: exist, not in use, spread over hosts (unless force). */
  private checkBricks(op: string, vol: string, bricks: string[], setSize: number, kind: GVolume['type'], force: boolean): Result | { resolved: Array<{ host: string; brickHost: string; path: string }> } {
    const resolved: Array<{ host: string; brickHost: string; path: string }> = [];
    for (const b of bricks) {
      const i = b.indexOf(':/');
      if (i <= 0) return fail(`Wrong brick type: ${b}, use <HOSTNAME>:<export-dir-abs-path>`, 1);
      const r = this.resolveBrick(b);
      const bh = b.slice(0, i);
      if (!r) return fail(`${op}: failed: Staging failed on ${bh}. Error: Failed to find brick directory ${b.slice(i + 1)} for volume ${vol}. Reason : No such file or directory`, 1);
      if (this.state.hosts[r.host]?.meta.down || this.state.hosts[r.host]?.meta.glusterdStopped) return fail(`${op}: failed: Host ${bh} is not in 'Peer in Cluster' state`, 1);
      if (this.brickOwner.has(`${r.host}:${r.path}`) || this.brickDirRec(r.host, r.path)?.volumeId) {
        return fail(`${op}: failed: ${r.path} is already part of a volume`, 1);
      }
      resolved.push(r);
    }
    if (!force && kind !== 'none') {
      for (let s = 0; s < resolved.length; s += setSize) {
        const hosts = resolved.slice(s, s + setSize).map((r) => r.host);
        if (new Set(hosts).size !== hosts.length) {
          const what = kind === 'replicate' ? 'replicate' : 'disperse';
          return fail(
            `${op}: failed: Multiple bricks of a ${what} volume are present on the same server. This setup is not optimal. Bricks should be on different nodes to have best fault tolerant configuration. Use 'force' at the end of the command if you want to override this behavior. `,
            1,
          );
        }
      }
    }
    return { resolved };
  }

  private claimBricks(vol: string, id: string, resolved: Array<{ host: string; path: string }>): void {
    for (const r of resolved) {
      this.brickOwner.set(`${r.host}:${r.path}`, vol);
      this.setBrickXattr(r.host, r.path, id);
    }
  }

  private glusterVolume(xml: boolean, verb: string | undefined, rest: string[]): Result {
    const pool = this.state.pool;
    const name = rest[0] ?? '';
    const vol = pool.volumes[name];
    const missing = (op: string) => this.glusterFail(xml, `volume ${op}: ${name}`, `Volume ${name} does not exist`);
    switch (verb) {
      case 'create': {
        if (!/^[a-zA-Z0-9_-]+$/.test(name)) return fail(`volume create: ${name}: failed: Volume name is invalid`, 1);
        let i = 1;
        const v: GVolume = { id: randomUUID(), type: 'none', replica: 1, arbiter: false, data: 0, redundancy: 0, bricks: [], options: {}, status: 'Created' };
        while (i < rest.length && !rest[i]!.includes(':/')) {
          const w = rest[i]!;
          const n = Number(rest[i + 1]);
          if (w === 'replica') {
            v.type = 'replicate';
            v.replica = n;
          } else if (w === 'arbiter') v.arbiter = n === 1;
          else if (w === 'disperse-data') {
            v.type = 'disperse';
            v.data = n;
          } else if (w === 'redundancy') v.redundancy = n;
          else if (w === 'disperse') {
            v.type = 'disperse';
          } else if (w === 'transport') {
            /* tcp */
          } else return fail(`volume create: ${name}: failed: unrecognized word: ${w}`, 1);
          i += 2;
        }
        const force = rest[rest.length - 1] === 'force';
        const bricks = rest.slice(i, force ? -1 : undefined);
        if (pool.volumes[name]) return fail(`volume create: ${name}: failed: Volume ${name} already exists`, 1);
        if (v.type === 'replicate' && !(v.replica > 1)) return fail('replica count should be greater than 1\n\nUsage:\nvolume create <NEW-VOLNAME> ...', 1);
        if (v.arbiter && v.replica !== 3) return fail('For arbiter configuration, replica count must be 3 and arbiter count must be 1. The 3rd brick of the replica will be the arbiter', 1);
        if (v.type === 'disperse' && v.redundancy === 0) v.redundancy = 1;
        if (v.type === 'disperse' && !(v.data > v.redundancy && v.redundancy > 0)) return fail(`volume create: ${name}: failed: redundancy must be less than ${v.data + v.redundancy / 2} for a disperse ${v.data + v.redundancy} volume`, 1);
        const set = this.setSize(v);
        if (bricks.length === 0 || bricks.length % set !== 0) return fail(`volume create: ${name}: failed: Incorrect number of bricks supplied ${bricks.length} with count ${set}`, 1);
        const chk = this.checkBricks(`volume create: ${name}`, name, bricks, set, v.type, force);
        if ('exitCode' in chk) return chk;
        v.bricks = bricks.map((b) => {
          const i2 = b.indexOf(':/');
          return `${b.slice(0, i2)}:${normPath(b.slice(i2 + 1))}`;
        });
        this.poolMut('volumes', name, v);
        this.claimBricks(name, v.id, chk.resolved);
        return ok(`volume create: ${name}: success: please start the volume to access data\n`);
      }
      case 'add-brick': {
        if (!vol) return fail(`volume add-brick: failed: Volume ${name} does not exist`, 1);
        const force = rest[rest.length - 1] === 'force';
        const bricks = rest.slice(1, force ? -1 : undefined).filter((b) => b.includes(':/'));
        const set = this.setSize(vol);
        if (bricks.length === 0 || bricks.length % set !== 0) return fail(`volume add-brick: failed: Incorrect number of bricks supplied ${bricks.length} with count ${set}`, 1);
        const chk = this.checkBricks('volume add-brick', name, bricks, set, vol.type, force);
        if ('exitCode' in chk) return chk;
        this.poolEdit('volumes', name).bricks.push(...bricks.map((b) => `${b.slice(0, b.indexOf(':/'))}:${normPath(b.slice(b.indexOf(':/') + 1))}`));
        this.claimBricks(name, vol.id, chk.resolved);
        return ok('volume add-brick: success\n');
      }
      case 'set': {
        if (!vol) return fail(`volume set: failed: Volume ${name} does not exist`, 1);
        const pairs = rest.slice(1);
        if (pairs.length < 2 || pairs.length % 2 !== 0) return fail('Usage:\nvolume set <VOLNAME> <KEY> <VALUE>', 1);
        for (let i = 0; i < pairs.length; i += 2) {
          const key = pairs[i]!;
          if (key !== 'group' && !/^[a-zA-Z0-9_-]+\.[a-zA-Z0-9_.-]+$/.test(key)) return fail(`volume set: failed: option : ${key} does not exist\nDid you mean ${key}?`, 1);
        }
        const ed = this.poolEdit('volumes', name);
        for (let i = 0; i < pairs.length; i += 2) ed.options[pairs[i]!] = pairs[i + 1]!;
        return ok('volume set: success\n');
      }
      case 'start': {
        if (!vol) return missing('start');
        const force = rest[1] === 'force';
        if (vol.status === 'Started' && !force) return this.glusterFail(xml, `volume start: ${name}`, `Volume ${name} already started`);
        this.poolEdit('volumes', name).status = 'Started';
        if (xml) return ok(this.xmlEnvelope(0, 0, '', `  <volStart>\n    <volName>${name}</volName>\n    <volId>${vol.id}</volId>\n  </volStart>\n`));
        return ok(`volume start: ${name}: success\n`);
      }
      case 'stop': {
        if (!vol) return missing('stop');
        if (vol.status !== 'Started') return this.glusterFail(xml, `volume stop: ${name}`, `Volume ${name} is not in the started state`);
        this.poolEdit('volumes', name).status = 'Stopped';
        return ok(`volume stop: ${name}: success\n`);
      }
      case 'delete': {
        if (!vol) return missing('delete');
        if (vol.status === 'Started') return fail(`volume delete: ${name}: failed: Volume ${name} has been started.Volume needs to be stopped before deletion.`, 1);
        const snaps = Object.values(pool.snapshots).filter((s) => s.volume === name).length;
        if (snaps > 0) return fail(`volume delete: ${name}: failed: Cannot delete Volume ${name} ,as it has ${snaps} snapshots. To delete the volume, first delete all the snapshots under it.`, 1);
        // The volume-id xattr stays on the brick directories, as in gluster.
        for (const [k, owner] of [...this.brickOwner]) if (owner === name) this.brickOwner.delete(k);
        this.poolMut('volumes', name, undefined);
        return ok(`volume delete: ${name}: success\n`);
      }
      case 'rebalance': {
        if (!vol) return fail(`volume rebalance: ${name}: failed: Volume ${name} does not exist`, 1);
        if (rest[1] !== 'start') return fail('Usage:\nvolume rebalance <VOLNAME> {{fix-layout start} | {start [force]|stop|status}}', 1);
        if (vol.status !== 'Started') return fail(`volume rebalance: ${name}: failed: Volume ${name} needs to be started to perform rebalance`, 1);
        if (vol.bricks.length / this.setSize(vol) <= 1) return fail(`volume rebalance: ${name}: failed: Volume ${name} is not a distribute volume or contains only 1 brick.\nNot performing rebalance`, 1);
        return ok(`volume rebalance: ${name}: success: Rebalance on ${name} has been started successfully. Use rebalance status command to check status of the rebalance process.\nID: ${randomUUID()}\n`);
      }
      case 'replace-brick': {
        if (!vol) return fail(`volume replace-brick: failed: Volume ${name} does not exist`, 1);
        const [, oldB, newB, commit, force] = rest;
        if (!oldB || !newB || commit !== 'commit' || force !== 'force') return fail('Usage:\nvolume replace-brick <VOLNAME> <SOURCE-BRICK> <NEW-BRICK> {commit force}', 1);
        const idx = vol.bricks.indexOf(oldB);
        if (idx < 0) return fail(`volume replace-brick: failed: Brick: ${oldB} does not exist in volume: ${name}`, 1);
        const chk = this.checkBricks('volume replace-brick', name, [newB], 1, 'none', true);
        if ('exitCode' in chk) return chk;
        const old = this.resolveBrick(oldB);
        if (old) {
          this.brickOwner.delete(`${old.host}:${old.path}`);
          this.setBrickXattr(old.host, old.path, undefined);
        }
        this.poolEdit('volumes', name).bricks[idx] = newB;
        this.claimBricks(name, vol.id, chk.resolved);
        return ok('volume replace-brick: success: replace-brick commit force operation successful\n');
      }
      case 'info': {
        const names = name !== '' ? [name] : Object.keys(pool.volumes);
        if (name !== '' && !vol) {
          if (xml) return this.glusterFail(true, '', `Volume ${name} does not exist`);
          return fail(`Volume ${name} does not exist`, 1);
        }
        return ok(xml ? this.volumeInfoXml(names) : this.volumeInfoText(names));
      }
      case 'status': {
        if (!vol) return this.glusterFail(xml, '', `Volume ${name} does not exist`);
        if (vol.status !== 'Started') return this.glusterFail(xml, '', `Volume ${name} is not started`);
        let body = `  <volStatus>\n    <volumes>\n      <volume>\n        <volName>${xmlEsc(name)}</volName>\n        <nodeCount>${vol.bricks.length}</nodeCount>\n`;
        for (const b of vol.bricks) {
          const r = this.resolveBrick(b);
          const up = r !== undefined && !this.state.hosts[r.host]?.meta.down;
          const at = b.indexOf(':/');
          body += `        <node>\n          <hostname>${xmlEsc(b.slice(0, at))}</hostname>\n          <path>${xmlEsc(b.slice(at + 1))}</path>\n          <peerid>${hostUuid(b.slice(0, at))}</peerid>\n          <status>${up ? 1 : 0}</status>\n          <port>${up ? 49152 : 'N/A'}</port>\n        </node>\n`;
        }
        body += '      </volume>\n    </volumes>\n  </volStatus>\n';
        return ok(this.xmlEnvelope(0, 0, '', body));
      }
      case 'heal': {
        if (!vol) return this.glusterFail(xml, '', `Volume ${name} does not exist`);
        if (rest[1] !== 'info') return fail('Usage:\nvolume heal <VOLNAME> [info]', 1);
        if (vol.type === 'none') return this.glusterFail(xml, '', `Volume ${name} is not of type replicate/disperse\nVolume heal failed.`);
        if (vol.status !== 'Started') return this.glusterFail(xml, '', `Volume ${name} is not started.`);
        let body = '  <healInfo>\n    <bricks>\n';
        for (const b of vol.bricks) {
          const r = this.resolveBrick(b);
          const up = r !== undefined && !this.state.hosts[r.host]?.meta.down && !this.state.hosts[r.host]?.meta.glusterdStopped;
          const bh = b.slice(0, b.indexOf(':/'));
          body += `      <brick hostUuid="${up ? hostUuid(bh) : '-'}">\n        <name>${xmlEsc(b)}</name>\n        <status>${up ? 'Connected' : 'Transport endpoint is not connected'}</status>\n        <numberOfEntries>${up ? '0' : '-'}</numberOfEntries>\n      </brick>\n`;
        }
        body += '    </bricks>\n  </healInfo>\n';
        // glfsheal writes healInfo before the op envelope fields.
        return ok(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cliOutput>\n${body}  <opRet>0</opRet>\n  <opErrno>0</opErrno>\n  <opErrstr/>\n</cliOutput>\n`);
      }
      default:
        return fail(`unrecognized word: ${verb ?? ''} (position 1)`, 1);
    }
  }

  private volumeInfoXml(names: string[]): string {
    let body = '  <volInfo>\n    <volumes>\n';
    for (const name of names) {
      const v = this.state.pool.volumes[name]!;
      const set = this.setSize(v);
      const subvols = Math.max(1, v.bricks.length / set);
      const base = v.type === 'replicate' ? 2 : v.type === 'disperse' ? 4 : 0;
      const typeCode = subvols > 1 && v.type !== 'none' ? base + 5 : base;
      const typeStr = v.type === 'none' ? 'Distribute' : `${subvols > 1 ? 'Distributed-' : ''}${v.type === 'replicate' ? 'Replicate' : 'Disperse'}`;
      const statusCode = v.status === 'Created' ? 0 : v.status === 'Started' ? 1 : 2;
      const snaps = Object.values(this.state.pool.snapshots).filter((s) => s.volume === name).length;
      body += `      <volume>\n        <name>${xmlEsc(name)}</name>\n        <id>${v.id}</id>\n        <status>${statusCode}</status>\n        <statusStr>${v.status}</statusStr>\n`;
      body += `        <snapshotCount>${snaps}</snapshotCount>\n        <brickCount>${v.bricks.length}</brickCount>\n        <distCount>${subvols}</distCount>\n`;
      body += `        <replicaCount>${v.type === 'replicate' ? v.replica : 1}</replicaCount>\n        <arbiterCount>${v.arbiter ? 1 : 0}</arbiterCount>\n`;
      body += `        <disperseCount>${v.type === 'disperse' ? set : 0}</disperseCount>\n        <redundancyCount>${v.type === 'disperse' ? v.redundancy : 0}</redundancyCount>\n`;
      body += `        <type>${typeCode}</type>\n        <typeStr>${typeStr}</typeStr>\n        <transport>0</transport>\n        <bricks>\n`;
      v.bricks.forEach((b, i) => {
        const u = hostUuid(b.slice(0, b.indexOf(':/')));
        const arb = v.arbiter && i % 3 === 2 ? 1 : 0;
        body += `          <brick uuid="${u}">${xmlEsc(b)}<name>${xmlEsc(b)}</name><hostUuid>${u}</hostUuid><isArbiter>${arb}</isArbiter></brick>\n`;
      });
      const opts = Object.entries(v.options);
      body += `        </bricks>\n        <optCount>${opts.length}</optCount>\n        <options>\n`;
      for (const [k, val] of opts) body += `          <option>\n            <name>${xmlEsc(k)}</name>\n            <value>${xmlEsc(val)}</value>\n          </option>\n`;
      body += '        </options>\n      </volume>\n';
    }
    body += `      <count>${names.length}</count>\n    </volumes>\n  </volInfo>\n`;
    return this.xmlEnvelope(0, 0, '', body);
  }

  private volumeInfoText(names: string[]): string {
    if (names.length === 0) return 'No volumes present\n';
    return names
      .map((name) => {
        const v = this.state.pool.volumes[name]!;
        const set = this.setSize(v);
        const sub = v.bricks.length / set;
        const geometry = v.type === 'none' ? `${v.bricks.length}` : v.type === 'replicate' ? `${sub} x ${v.arbiter ? '(2 + 1)' : v.replica} = ${v.bricks.length}` : `${sub} x (${v.data} + ${v.redundancy}) = ${v.bricks.length}`;
        const type = v.type === 'none' ? 'Distribute' : `${sub > 1 ? 'Distributed-' : ''}${v.type === 'replicate' ? 'Replicate' : 'Disperse'}`;
        let s = `\nVolume Name: ${name}\nType: ${type}\nVolume ID: ${v.id}\nStatus: ${v.status}\nSnapshot Count: 0\nNumber of Bricks: ${geometry}\nTransport-type: tcp\nBricks:\n`;
        v.bricks.forEach((b, i) => (s += `Brick${i + 1}: ${b}${v.arbiter && i % 3 === 2 ? ' (arbiter)' : ''}\n`));
        s += 'Options Reconfigured:\n';
        for (const [k, val] of Object.entries(v.options)) s += `${k}: ${val}\n`;
        return s;
      })
      .join('');
  }

  private snapXml(container: string, entity: string, name: string, uuid: string, extra = ''): string {
    return `  <${container}>\n    <${entity}>\n${extra}      <name>${xmlEsc(name)}</name>\n      <uuid>${uuid}</uuid>\n    </${entity}>\n  </${container}>\n`;
  }

  private glusterSnapshot(xml: boolean, verb: string | undefined, rest: string[]): Result {
    const pool = this.state.pool;
    const xmlFail = (msg: string, errno = 30800) => this.glusterFail(xml, `snapshot ${verb ?? ''}`, msg, errno);
    switch (verb) {
      case 'config': {
        if (rest[0] === 'snap-max-hard-limit' && /^[0-9]+$/.test(rest[1] ?? '')) {
          this.poolMut('meta', 'snapMaxHardLimit', Number(rest[1]));
          return ok('snapshot config: snap-max-hard-limit for System set successfully\n');
        }
        return fail('Usage:\nsnapshot config [volname] ([snap-max-hard-limit <count>] [snap-max-soft-limit <percent>])', 1);
      }
      case 'create': {
        const [snap, volName] = rest;
        if (!snap || !volName) return fail('Usage:\nsnapshot create <snapname> <volname> [no-timestamp]', 1);
        const vol = pool.volumes[volName];
        if (!vol) return xmlFail(`Volume (${volName}) does not exist`, 30806);
        if (pool.snapshots[snap]) return xmlFail(`Snapshot ${snap} already exists`, 30807);
        if (vol.status !== 'Started') return xmlFail(`volume ${volName} is not started`);
        const limit = pool.meta['snapMaxHardLimit'];
        if (limit !== undefined && limit > 0 && Object.values(pool.snapshots).filter((s) => s.volume === volName).length >= limit) {
          return xmlFail(`The number of existing snaps has reached the effective maximum limit of ${limit}, for the volume (${volName}). Please delete few snapshots before taking further snapshots.`);
        }
        const origins: Array<{ host: string; brickHost: string; vg: string; lv: string; pool: string; sub: string; sizeKiB: number; fs: FsRec }> = [];
        for (const b of vol.bricks) {
          const r = this.resolveBrick(b);
          if (!r || this.state.hosts[r.host]?.meta.down) return xmlFail(`Pre Validation failed on ${b.slice(0, b.indexOf(':/'))}. Please check log file for details.`);
          const m = this.mountOf(r.host, r.path);
          const key = m ? this.lvKeyOfDev(r.host, m.rec.device) : undefined;
          const l = key ? this.state.hosts[r.host]!.lvs[key] : undefined;
          if (!m || !l || l.kind !== 'thin') return xmlFail(`Snapshot is supported only for thin provisioned LV. Ensure that all bricks of ${volName} are thinly provisioned LV.`);
          origins.push({ host: r.host, brickHost: r.brickHost, vg: l.vg, lv: l.lv, pool: l.pool, sub: m.rel, sizeKiB: l.sizeKiB, fs: this.state.hosts[r.host]!.fs[m.rec.device]! });
        }
        const id = randomUUID();
        const bricks = this.cloneLvs(origins, id.replace(/-/g, ''), '');
        this.poolMut('snapshots', snap, { id, volume: volName, active: false, bricks });
        return ok(xml ? this.xmlEnvelope(0, 0, '', this.snapXml('snapCreate', 'snapshot', snap, id)) : `snapshot create: success: Snap ${snap} created successfully\n`);
      }
      case 'activate':
      case 'deactivate': {
        const snap = rest[0] ?? '';
        const s = pool.snapshots[snap];
        if (!s) return xmlFail(`Snapshot (${snap}) does not exist`, 30806);
        const activate = verb === 'activate';
        if (s.active === activate) return xmlFail(`Snapshot ${snap} is already ${activate ? 'activated' : 'deactivated'}.`);
        for (const b of s.bricks) {
          if (activate) {
            this.mkdirP(b.host, b.mount);
            this.attach(b.host, dmDevNode(b.vg, b.lv), b.mount, 'xfs', 'rw,seclabel,relatime,nouuid,attr2,inode64,logbufs=8,logbsize=64k,sunit=128,swidth=128,noquota');
          } else this.detach(b.host, b.mount);
        }
        this.poolEdit('snapshots', snap).active = activate;
        const c = activate ? 'snapActivate' : 'snapDeactivate';
        return ok(xml ? this.xmlEnvelope(0, 0, '', this.snapXml(c, 'snapshot', snap, s.id)) : `Snapshot ${verb} : ${snap}: Snap ${verb}d successfully\n`);
      }
      case 'clone': {
        const [clone, snap] = rest;
        if (!clone || !snap) return fail('Usage:\nsnapshot clone <clonename> <snapname>', 1);
        const s = pool.snapshots[snap];
        if (!s) return xmlFail(`Snapshot (${snap}) does not exist`, 30806);
        if (pool.volumes[clone]) return xmlFail(`Volume with name:${clone} already exists`);
        if (!s.active) return xmlFail(`Snapshot ${snap} is not activated`);
        const src = pool.volumes[s.volume];
        const origins = s.bricks.map((b) => ({ ...b, sizeKiB: this.state.hosts[b.host]?.lvs[`${b.vg}/${b.lv}`]?.sizeKiB ?? 0, fs: this.state.hosts[b.host]?.fs[dmDevNode(b.vg, b.lv)] ?? { type: 'xfs', dirs: {} } }));
        const id = randomUUID();
        const nodash = id.replace(/-/g, '');
        const bricks = this.cloneLvs(origins, nodash, nodash);
        const v: GVolume = {
          id,
          type: src?.type ?? 'none',
          replica: src?.replica ?? 1,
          arbiter: src?.arbiter ?? false,
          data: src?.data ?? 0,
          redundancy: src?.redundancy ?? 0,
          bricks: bricks.map((b) => `${b.brickHost}:${b.mount}/${b.sub}`),
          options: { ...(src?.options ?? {}) },
          status: 'Created',
        };
        this.poolMut('volumes', clone, v);
        for (const b of bricks) {
          this.brickOwner.set(`${b.host}:${b.mount}/${b.sub}`, clone);
          this.setBrickXattr(b.host, `${b.mount}/${b.sub}`, id);
        }
        return ok(xml ? this.xmlEnvelope(0, 0, '', this.snapXml('CloneCreate', 'volume', clone, id)) : `snapshot clone: success: Clone ${clone} created successfully\n`);
      }
      case 'delete': {
        const snap = rest[0] ?? '';
        const s = pool.snapshots[snap];
        if (!s) return xmlFail(`Snapshot (${snap}) does not exist`, 30806);
        for (const b of s.bricks) {
          this.detach(b.host, b.mount);
          const l = this.state.hosts[b.host]?.lvs[`${b.vg}/${b.lv}`];
          if (l) this.dropLv(b.host, l);
          if (this.state.hosts[b.host]?.dirs[b.mount] !== undefined) this.removeDir(b.host, b.mount);
        }
        const parent = `/run/gluster/snaps/${s.id.replace(/-/g, '')}`;
        for (const h of new Set(s.bricks.map((b) => b.host))) if (this.state.hosts[h]?.dirs[parent] !== undefined) this.removeDir(h, parent);
        this.poolMut('snapshots', snap, undefined);
        return ok(xml ? this.xmlEnvelope(0, 0, '', `  <snapDelete>\n    <snapshots>\n      <snapshot>\n        <status>Success</status>\n        <name>${xmlEsc(snap)}</name>\n        <uuid>${s.id}</uuid>\n      </snapshot>\n    </snapshots>\n  </snapDelete>\n`) : `snapshot delete: ${snap}: snap removed successfully\n`);
      }
      default:
        return fail(`unrecognized word: ${verb ?? ''} (position 1)`, 1);
    }
  }

  /**
   * Thin snapshots of brick LVs, as glusterd makes them: LV `<id>_<n>` (n counts that host's
   * bricks), mount point `/run/gluster/snaps/<id>/brick<i+1>`. Mounted only when `mountId` is set.
   */
  private cloneLvs(
    origins: Array<{ host: string; brickHost: string; vg: string; lv: string; pool: string; sub: string; sizeKiB: number; fs: FsRec }>,
    lvPrefix: string,
    mountId: string,
  ): GSnapBrick[] {
    const perHost = new Map<string, number>();
    return origins.map((o, i) => {
      const n = perHost.get(o.host) ?? 0;
      perHost.set(o.host, n + 1);
      const lv = `${lvPrefix}_${n}`;
      this.addThin(o.host, o.vg, o.pool, lv, o.sizeKiB, o.lv);
      const dirs = structuredClone(o.fs.dirs);
      for (const d of Object.values(dirs)) delete d.volumeId;
      this.hostMut(o.host, 'fs', dmDevNode(o.vg, lv), { type: o.fs.type, dirs });
      const mount = `/run/gluster/snaps/${lvPrefix}/brick${i + 1}`;
      if (mountId !== '') {
        this.mkdirP(o.host, mount);
        this.attach(o.host, dmDevNode(o.vg, lv), mount, 'xfs', 'rw,seclabel,relatime,nouuid,attr2,inode64,logbufs=8,logbsize=64k,sunit=128,swidth=128,noquota');
      }
      return { host: o.host, brickHost: o.brickHost, vg: o.vg, lv, pool: o.pool, sub: o.sub, mount };
    });
  }

  // ------------------------------------------------------------------------------ gluster-block

  private glusterBlock(host: string, args: string[]): Result {
    const json = args.includes('--json') || args.some((a) => a.startsWith('--json'));
    const a = args.filter((x) => !x.startsWith('--json'));
    const [verb, target] = a;
    const out = (o: unknown, exitCode = 0): Result => ({ exitCode, stdout: `${JSON.stringify(o)}\n`, stderr: '' });
    const failed = (msg: string, code = 255) => (json ? out({ RESULT: 'FAIL', errCode: code, errMsg: msg }, 255) : fail(msg, 255));
    if (this.state.hosts[host]?.meta.glusterdStopped) return failed('failed to connect to gluster-blockd');
    if (verb === 'list') {
      const hv = target ?? '';
      if (!this.state.pool.volumes[hv]) return failed(`volume ${hv} does not exist`, 2);
      const blocks = Object.keys(this.state.pool.blocks)
        .filter((k) => k.startsWith(`${hv}/`))
        .map((k) => k.slice(hv.length + 1));
      return out({ blocks, RESULT: 'SUCCESS' });
    }
    const slash = (target ?? '').indexOf('/');
    if (!target || slash <= 0) return failed(`Usage: gluster-block ${verb ?? ''} <volname/blockname> ...`, 1);
    const hv = target.slice(0, slash);
    const name = target.slice(slash + 1);
    const vol = this.state.pool.volumes[hv];
    const blk = this.state.pool.blocks[target];
    switch (verb) {
      case 'create': {
        if (!vol) return failed(`volume ${hv} does not exist`, 2);
        if (vol.status !== 'Started') return failed(`volume ${hv} is not started`, 2);
        if (blk) return failed(`BLOCK with name: '${name}' already EXIST`, 17);
        let ha = 1;
        let auth = false;
        const rest = a.slice(2);
        let i = 0;
        const positional: string[] = [];
        while (i < rest.length) {
          const w = rest[i]!;
          if (w === 'ha') ha = Number(rest[(i += 1)]);
          else if (w === 'auth') auth = rest[(i += 1)] === 'enable';
          else if (w === 'prealloc' || w === 'storage' || w === 'ring-buffer' || w === 'block-size' || w === 'io-timeout') i += 1;
          else positional.push(w);
          i += 1;
        }
        const [hostList, sizeArg] = positional;
        const m = /^([0-9]+)GiB$/.exec(sizeArg ?? '');
        if (!hostList || !m) return failed('Usage: gluster-block create <volname/blockname> [ha <count>] [auth <enable|disable>] [prealloc <full|no>] <host1[,host2,...]> <size> [--json*]', 1);
        const hosts = hostList.split(',');
        const gbid = randomUUID();
        const password = auth ? randomUUID() : '';
        this.poolMut('blocks', target, { gbid, sizeGiB: Number(m[1]), ha, hosts, auth, password });
        return out({ IQN: `iqn.2016-12.org.gluster-block:${gbid}`, USERNAME: auth ? gbid : '', PASSWORD: password, 'PORTAL(S)': hosts.map((h) => `${h}:3260`), RESULT: 'SUCCESS' });
      }
      case 'delete': {
        if (!vol) return failed(`volume ${hv} does not exist`, 2);
        if (!blk) return failed(`block ${name} doesn't exist`, 2);
        this.poolMut('blocks', target, undefined);
        return out({ 'SUCCESSFUL ON': blk.hosts, RESULT: 'SUCCESS' });
      }
      case 'modify': {
        if (!vol) return failed(`volume ${hv} does not exist`, 2);
        if (!blk) return failed(`block ${name} doesn't exist`, 2);
        const si = a.indexOf('size');
        const m = /^([0-9]+)GiB$/.exec(a[si + 1] ?? '');
        if (si < 0 || !m) return failed('Usage: gluster-block modify <volname/blockname> size <size> [--json*]', 1);
        if (Number(m[1]) < blk.sizeGiB) return failed('shrinking block volumes is not supported', 1);
        this.poolEdit('blocks', target).sizeGiB = Number(m[1]);
        return out({ IQN: `iqn.2016-12.org.gluster-block:${blk.gbid}`, SIZE: `${m[1]}.0 GiB`, 'SUCCESSFUL ON': blk.hosts, RESULT: 'SUCCESS' });
      }
      case 'info': {
        if (!vol) return failed(`volume ${hv} does not exist`, 2);
        if (!blk) return failed(`block ${name} doesn't exist`, 2);
        return out({ NAME: name, VOLUME: hv, GBID: blk.gbid, SIZE: `${blk.sizeGiB}.0 GiB`, HA: blk.ha, PASSWORD: blk.password, 'EXPORTED ON': blk.hosts });
      }
      default:
        return failed(`unknown option '${verb ?? ''}'`, 1);
    }
  }
}
