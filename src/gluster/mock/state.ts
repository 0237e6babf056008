/**
 * The simulated nodes' state (per-host LVM/filesystem/mount/fstab tables and the pool-wide gluster
 * tables) and its optional persistence.
 *
 * Persistence (optional `stateFile`): the whole state is written atomically (tmp + rename) after
 * every batch that changed something, while it is small. Once the state file exceeds
 * `fullWriteMaxBytes`, batches are appended as JSON lines to `<stateFile>.journal` and the state
 * file is rewritten only when the journal outgrows it (amortised O(1) per change, so thousands of
 * volumes stay fast). Either way a batch is on disk before the runner's `run` resolves; a new store
 * on the same file loads state + journal. No fsync: this survives process crashes, not power loss.
 *
 * Every change goes through `hostMut`/`hostEdit`/`poolMut`/`poolEdit`, which record what to persist.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

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

export const emptyHost = (): HostState => ({ meta: {}, pvs: {}, vgs: {}, lvs: {}, fs: {}, mounts: {}, dirs: {}, lines: {}, peers: {} });
const emptyPool = (): PoolState => ({ meta: {}, volumes: {}, snapshots: {}, blocks: {} });

/** A journal op: [scope ('' = pool, else host), table, key, value (null = deleted)]. */
type JournalOp = [string, string, string, unknown];

const FORMAT = 'brickyard-mock-nodes/1';

export interface NodeStoreOptions {
  stateFile?: string;
  /** Size of every simulated disk. */
  deviceKiB: number;
  /** While the state file is smaller than this, every batch rewrites it whole. */
  fullWriteMaxBytes: number;
}

// ---------------------------------------------------------------------------------- the store

export class NodeStore {
  state: MockState = { hosts: {}, pool: emptyPool() };
  readonly deviceKiB: number;
  private readonly stateFile: string | undefined;
  private readonly fullWriteMaxBytes: number;
  private dirty = new Map<string, JournalOp>();
  private seq = 0;
  private snapshotBytes = 0;
  private journalBytes = 0;
  /** Derived index (not persisted): mounted device → mount point, per host. */
  private mountByDev = new Map<string, Map<string, string>>();

  constructor(opts: NodeStoreOptions) {
    this.deviceKiB = opts.deviceKiB;
    this.stateFile = opts.stateFile;
    this.fullWriteMaxBytes = opts.fullWriteMaxBytes;
    if (this.stateFile) this.load(this.stateFile);
    for (const [h, hs] of Object.entries(this.state.hosts)) {
      const m = new Map<string, string>();
      for (const [mp, rec] of Object.entries(hs.mounts)) m.set(rec.device, mp);
      this.mountByDev.set(h, m);
    }
  }

  // ------------------------------------------------------------------------------ access & change

  host(name: string): HostState {
    let h = this.state.hosts[name];
    if (!h) {
      h = emptyHost();
      this.state.hosts[name] = h;
    }
    return h;
  }

  /** Mounted device → mount point on `host` (kept in step by the filesystem simulation). */
  devMounts(host: string): Map<string, string> {
    let m = this.mountByDev.get(host);
    if (!m) {
      m = new Map();
      this.mountByDev.set(host, m);
    }
    return m;
  }

  private touch(scope: string, table: string, key: string): void {
    this.dirty.set(`${scope}\0${table}\0${key}`, [scope, table, key, undefined]);
  }

  /** Set (value !== undefined) or delete a host table entry, recording it for persistence. */
  hostMut<T extends HostTable>(host: string, table: T, key: string, value: HostState[T][string] | undefined): void {
    const t = this.host(host)[table] as Record<string, unknown>;
    if (value === undefined) delete t[key];
    else t[key] = value;
    this.touch(host, table, key);
  }

  /** Get a host table entry for in-place change (marks it dirty). */
  hostEdit<T extends HostTable>(host: string, table: T, key: string): HostState[T][string] {
    this.touch(host, table, key);
    return (this.host(host)[table] as Record<string, unknown>)[key] as HostState[T][string];
  }

  poolMut<T extends PoolTable>(table: T, key: string, value: PoolState[T][string] | undefined): void {
    const t = this.state.pool[table] as Record<string, unknown>;
    if (value === undefined) delete t[key];
    else t[key] = value;
    this.touch('', table, key);
  }

  poolEdit<T extends PoolTable>(table: T, key: string): PoolState[T][string] {
    this.touch('', table, key);
    return (this.state.pool[table] as Record<string, unknown>)[key] as PoolState[T][string];
  }

  // ------------------------------------------------------------------------------ persistence

  private load(file: string): void {
    if (!existsSync(file)) return;
    const text0 = readFileSync(file, 'utf8');
    const snap = JSON.parse(text0) as { format?: string; seq?: number; hosts?: MockState['hosts']; pool?: PoolState };
    if (snap.format !== FORMAT) throw new Error(`mock state file ${file}: unknown format ${JSON.stringify(snap.format)}`);
    this.state = { hosts: {}, pool: { ...emptyPool(), ...snap.pool } };
    for (const [h, hs] of Object.entries(snap.hosts ?? {})) this.state.hosts[h] = { ...emptyHost(), ...hs };
    this.seq = snap.seq ?? 0;
    this.snapshotBytes = Buffer.byteLength(text0);
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
  persist(): void {
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

  /** Folds the journal into the state file (on close, so the next start reads one file). */
  compact(): void {
    if (this.stateFile && this.journalBytes > 0) this.writeSnapshot();
  }

  /** Appends command log entries to `<stateFile>.log` (kept next to the state they produced). */
  appendLog(entries: readonly unknown[]): void {
    if (this.stateFile && entries.length > 0) appendFileSync(`${this.stateFile}.log`, entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
  }
}
