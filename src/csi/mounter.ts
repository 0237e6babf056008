/**
 * The node's side effects: `mount`/`umount` through execa (argv arrays, found on PATH), the mount
 * table from /proc/self/mountinfo, statfs. Tests point PATH at recording fakes and the mount table
 * at a file those fakes maintain.
 */
import { constants, accessSync } from 'node:fs';
import { mkdir, readFile, rmdir, statfs, unlink } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { internalError } from './errors.js';
import { parseMountInfo, mountAt, type MountEntry } from './mountinfo.js';
import { umountArgs } from './mountargs.js';

export interface FsStats {
  bsize: bigint;
  blocks: bigint;
  bfree: bigint;
  bavail: bigint;
  files: bigint;
  ffree: bigint;
}

export interface MounterOptions {
  /** Environment of the commands (PATH decides which mount/umount run). */
  env?: NodeJS.ProcessEnv;
  mountinfoPath?: string;
  /** Longest wait for one mount/umount (mount.glusterfs waits for the volfile). */
  commandTimeoutMs?: number;
  /** Longest wait for statfs on a mount before it counts as hung. */
  statfsTimeoutMs?: number;
  statfs?: (path: string) => Promise<FsStats>;
  /** Where to look for mount.glusterfs (default: PATH, then the sbin directories). */
  helperDirs?: string[];
}

/** errno codes of a FUSE mount whose client died or cannot reach its servers. */
const DEAD_MOUNT_CODES = new Set(['ENOTCONN', 'EIO', 'ESTALE', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTDOWN']);

export function isDeadMountError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && DEAD_MOUNT_CODES.has(code);
}

export class StatfsTimeout extends Error {
  override name = 'StatfsTimeout';
  readonly code = 'ETIMEDOUT';
}

const SBIN_DIRS = ['/sbin', '/usr/sbin', '/usr/local/sbin'];

export class Mounter {
  readonly env: NodeJS.ProcessEnv;
  readonly mountinfoPath: string;
  private readonly commandTimeoutMs: number;
  private readonly statfsTimeoutMs: number;
  private readonly statfsImpl: (path: string) => Promise<FsStats>;
  private readonly helperDirs: string[];

  constructor(opts: MounterOptions = {}) {
    this.env = opts.env ?? process.env;
    this.mountinfoPath = opts.mountinfoPath ?? '/proc/self/mountinfo';
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 120_000;
    this.statfsTimeoutMs = opts.statfsTimeoutMs ?? 10_000;
    this.statfsImpl = opts.statfs ?? ((p) => statfs(p, { bigint: true }));
    this.helperDirs = opts.helperDirs ?? [...(this.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...SBIN_DIRS];
  }

  async mounts(): Promise<MountEntry[]> {
    return parseMountInfo(await readFile(this.mountinfoPath, 'utf8'));
  }

  async mountAt(path: string): Promise<MountEntry | undefined> {
    return mountAt(await this.mounts(), path);
  }

  /** Runs `mount ARGS`; INTERNAL with the command's own words on failure. */
  async mount(args: string[]): Promise<void> {
    await this.run('mount', args);
  }

  /**
   * Unmounts everything mounted at `path` (mounts can be stacked). A plain umount first; when it
   * fails — typically "Transport endpoint is not connected" from a dead FUSE client, or busy — a
   * lazy one, which detaches the mount at once. Nothing mounted: nothing to do.
   */
  async unmountAll(path: string): Promise<void> {
    for (let round = 0; round < 8; round++) {
      if (!(await this.mountAt(path))) return;
      const plain = await this.exec('umount', umountArgs(path, false));
      if (plain.exitCode === 0) continue;
      if (!(await this.mountAt(path))) return;
      const lazy = await this.exec('umount', umountArgs(path, true));
      if (lazy.exitCode !== 0 && (await this.mountAt(path))) {
        throw internalError(`umount ${path} failed: ${plain.output}; umount -l: ${lazy.output}`);
      }
    }
    if (await this.mountAt(path)) throw internalError(`${path} is still mounted after repeated unmounts`);
  }

  /** statfs with a deadline: a hung FUSE mount must not hang the RPC. */
  async statfs(path: string): Promise<FsStats> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StatfsTimeout(`statfs ${path} did not answer within ${this.statfsTimeoutMs / 1000}s`)), this.statfsTimeoutMs);
    });
    try {
      return await Promise.race([this.statfsImpl(path), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async makeDir(path: string): Promise<void> {
    await mkdir(path, { recursive: true, mode: 0o750 });
  }

  /** Removes a directory the driver made (never recursively: a non-empty one is an error). */
  async removeDir(path: string): Promise<void> {
    try {
      await rmdir(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code === 'ENOTDIR') return unlink(path);
      throw internalError(`cannot remove ${path}: ${(e as Error).message}`);
    }
  }

  /** Where `mount.glusterfs` is, or undefined. */
  findMountHelper(): string | undefined {
    for (const d of this.helperDirs) {
      const p = join(d, 'mount.glusterfs');
      try {
        accessSync(p, constants.X_OK);
        return p;
      } catch {
        /* next */
      }
    }
    return undefined;
  }

  private async run(cmd: string, args: string[]): Promise<void> {
    const r = await this.exec(cmd, args);
    if (r.exitCode !== 0) throw internalError(`${cmd} ${args.join(' ')} failed: ${r.output}`);
  }

  private async exec(cmd: string, args: string[]): Promise<{ exitCode: number; output: string }> {
    const r = await execa(cmd, args, { env: this.env, extendEnv: false, reject: false, stdin: 'ignore', timeout: this.commandTimeoutMs, all: true });
    const output = String(r.all ?? '').trim() || (r.timedOut ? `timed out after ${this.commandTimeoutMs / 1000}s` : (r.shortMessage ?? `exit status ${r.exitCode}`));
    return { exitCode: r.exitCode ?? -1, output };
  }
}
