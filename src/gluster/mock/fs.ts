/**
 * Simulated filesystems on a node: directories (host and inside mounted filesystems), mkfs.xfs,
 * mount/umount, wipefs, chown/chmod of brick directories, and the text files Heketi edits (fstab
 * via `awk ... >>` and `sed -i /RE/d`, read back with `cat`).
 */
import { fail, normPath, ok, operands, parentOf, parseOpts, type Program, type Result } from './common.js';
import type { MockLvm } from './lvm.js';
import type { MountRec, NodeStore } from './state.js';
import { XFS_MIN_FILESYSTEM_KiB } from '../../allocator/sizing.js';

export class MockFs {
  constructor(
    private readonly nodes: NodeStore,
    private readonly lvm: MockLvm,
  ) {}

  readonly programs: Record<string, Program> = {
    mkdir: (host, args) => this.mkdirCmd(host, args),
    rmdir: (host, args) => this.rmdirCmd(host, args),
    chown: (host, args) => this.chownChmod(host, 'chown', args),
    chmod: (host, args) => this.chownChmod(host, 'chmod', args),
    'mkfs.xfs': (host, args) => this.mkfs(host, args),
    wipefs: (host, args) => this.wipefs(host, args),
    mount: (host, args) => this.mountCmd(host, args),
    umount: (host, args) => this.umountCmd(host, args),
    awk: (host, args) => this.awk(host, args),
    sed: (host, args) => this.sed(host, args),
    cat: (host, args) => this.cat(host, args),
    // Nothing holds a simulated file open.
    lsof: () => fail('', 1),
  };

  // ------------------------------------------------------------------------------ directories

  /** The mount whose filesystem holds `path` (longest mounted ancestor, the path itself included). */
  mountOf(host: string, path: string): { mount: string; rel: string; rec: MountRec } | undefined {
    const mounts = this.nodes.state.hosts[host]?.mounts;
    if (!mounts) return undefined;
    for (let p = path; ; p = parentOf(p)) {
      const rec = mounts[p];
      if (rec) return { mount: p, rel: p === path ? '' : path.slice(p === '/' ? 1 : p.length + 1), rec };
      if (p === '/') return undefined;
    }
  }

  pathExists(host: string, path: string): boolean {
    if (path === '/') return true;
    const m = this.mountOf(host, path);
    if (m && m.rel !== '') return this.nodes.state.hosts[host]?.fs[m.rec.device]?.dirs[m.rel] !== undefined;
    return this.nodes.state.hosts[host]?.dirs[path] !== undefined;
  }

  /** Creates one directory whose parent exists. */
  private makeDir(host: string, path: string): void {
    const m = this.mountOf(host, path);
    if (m && m.rel !== '') {
      this.nodes.hostEdit(host, 'fs', m.rec.device).dirs[m.rel] = { gid: 0, mode: '0755' };
      return;
    }
    this.nodes.hostMut(host, 'dirs', path, 0);
    const parent = parentOf(path);
    const hs = this.nodes.host(host);
    if (parent !== '/' && hs.dirs[parent] !== undefined) this.nodes.hostMut(host, 'dirs', parent, hs.dirs[parent]! + 1);
  }

  mkdirP(host: string, path: string): void {
    const parts: string[] = [];
    for (let p = path; p !== '/'; p = parentOf(p)) parts.push(p);
    for (const p of parts.reverse()) if (!this.pathExists(host, p)) this.makeDir(host, p);
  }

  removeDir(host: string, path: string): Result {
    const hs = this.nodes.host(host);
    if (hs.mounts[path]) return fail(`rmdir: failed to remove '${path}': Device or resource busy`);
    const m = this.mountOf(host, path);
    if (m && m.rel !== '') {
      const fs = hs.fs[m.rec.device]!;
      if (fs.dirs[m.rel] === undefined) return fail(`rmdir: failed to remove '${path}': No such file or directory`);
      if (Object.keys(fs.dirs).some((d) => d.startsWith(`${m.rel}/`))) return fail(`rmdir: failed to remove '${path}': Directory not empty`);
      delete this.nodes.hostEdit(host, 'fs', m.rec.device).dirs[m.rel];
      return ok();
    }
    const count = hs.dirs[path];
    if (count === undefined) return fail(`rmdir: failed to remove '${path}': No such file or directory`);
    if (count > 0) return fail(`rmdir: failed to remove '${path}': Directory not empty`);
    this.nodes.hostMut(host, 'dirs', path, undefined);
    const parent = parentOf(path);
    if (hs.dirs[parent] !== undefined) this.nodes.hostMut(host, 'dirs', parent, Math.max(0, hs.dirs[parent]! - 1));
    return ok();
  }

  private mkdirCmd(host: string, args: string[]): Result {
    const { flags, pos } = parseOpts(args, new Set());
    const p = flags.has('p');
    const paths = pos.map(normPath);
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
    const paths = operands(args).map(normPath);
    if (paths.length === 0) return fail('rmdir: missing operand');
    for (const p of paths) {
      const r = this.removeDir(host, p);
      if (r.exitCode !== 0) return r;
    }
    return ok();
  }

  private chownChmod(host: string, prog: string, args: string[]): Result {
    const [spec, ...paths] = operands(args);
    if (!spec || paths.length === 0) return fail(`${prog}: missing operand`);
    for (const raw of paths) {
      const path = normPath(raw);
      if (!this.pathExists(host, path)) return fail(`${prog}: cannot access '${path}': No such file or directory`);
      const m = this.mountOf(host, path);
      if (!m || m.rel === '') continue; // attributes are kept for brick directories only
      const d = this.nodes.hostEdit(host, 'fs', m.rec.device).dirs[m.rel]!;
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

  // ------------------------------------------------------------------------------ filesystems & mounts

  private mkfs(host: string, args: string[]): Result {
    const { pos, flags, bad } = parseOpts(args, new Set(['i', 'n', 'd', 'l', 'b', 'L', 'm', 'r', 's']));
    if (bad) return fail(`mkfs.xfs: ${bad}`);
    const dev = pos[pos.length - 1];
    if (!dev) return fail('mkfs.xfs: no device name given in argument list');
    if (!this.lvm.blockDeviceExists(host, dev)) return fail(`mkfs.xfs: cannot open ${dev}: No such file or directory`);
    if (this.nodes.devMounts(host).has(dev)) return fail(`mkfs.xfs: ${dev} contains a mounted filesystem`);
    const hs = this.nodes.host(host);
    if (hs.fs[dev] && !flags.has('f')) {
      return fail(`mkfs.xfs: ${dev} appears to contain an existing filesystem (xfs).\nmkfs.xfs: Use the -f option to force overwrite.`);
    }
    if (this.lvm.isDisk(host, dev) && hs.pvs[dev] && !flags.has('f')) {
      return fail(`mkfs.xfs: ${dev} appears to contain an existing filesystem (LVM2_member).\nmkfs.xfs: Use the -f option to force overwrite.`);
    }
    // As xfsprogs >= 5.19 (Debian 12 and current distributions).
    const lv = this.lvm.lvKeyOfDev(host, dev);
    if (lv && hs.lvs[lv]!.sizeKiB < XFS_MIN_FILESYSTEM_KiB) return fail('Filesystem must be larger than 300MB.');
    this.nodes.hostMut(host, 'fs', dev, { type: 'xfs', dirs: {} });
    return ok(`meta-data=${dev}              isize=512    agcount=4, agsize=65536 blks\n`);
  }

  private mountCmd(host: string, args: string[]): Result {
    if (args.length === 0) {
      let out = 'sysfs on /sys type sysfs (rw,nosuid,nodev,noexec,relatime)\nproc on /proc type proc (rw,nosuid,nodev,noexec,relatime)\n/dev/vda1 on / type ext4 (rw,relatime)\n';
      for (const [mp, rec] of Object.entries(this.nodes.state.hosts[host]?.mounts ?? {})) out += `${rec.device} on ${mp} type ${rec.type} (${rec.options})\n`;
      return ok(out);
    }
    const { opts, pos, bad } = parseOpts(args, new Set(['o', 't']));
    if (bad || pos.length !== 2) return fail('mount: bad usage\nTry \'mount --help\' for more information.', 1);
    const [dev, rawMp] = pos as [string, string];
    const mp = normPath(rawMp);
    if (!this.pathExists(host, mp)) return fail(`mount: ${mp}: mount point does not exist.`, 32);
    if (!this.lvm.blockDeviceExists(host, dev)) return fail(`mount: ${mp}: special device ${dev} does not exist.`, 32);
    const existing = this.nodes.devMounts(host).get(dev);
    if (existing !== undefined) return fail(`mount: ${mp}: ${dev} already mounted on ${existing}.`, 32);
    if (this.nodes.state.hosts[host]!.mounts[mp]) return fail(`mount: ${mp}: ${this.nodes.state.hosts[host]!.mounts[mp]!.device} already mounted on ${mp}.`, 32);
    const fs = this.nodes.state.hosts[host]!.fs[dev];
    if (!fs) return fail(`mount: ${mp}: wrong fs type, bad option, bad superblock on ${dev}, missing codepage or helper program, or other error.`, 32);
    this.attach(host, dev, mp, fs.type, opts.get('o') ?? 'rw');
    return ok();
  }

  attach(host: string, dev: string, mp: string, type: string, options: string): void {
    this.nodes.hostMut(host, 'mounts', mp, { device: dev, type, options });
    this.nodes.devMounts(host).set(dev, mp);
  }

  detach(host: string, mp: string): void {
    const rec = this.nodes.state.hosts[host]?.mounts[mp];
    if (!rec) return;
    this.nodes.devMounts(host).delete(rec.device);
    this.nodes.hostMut(host, 'mounts', mp, undefined);
  }

  private umountCmd(host: string, args: string[]): Result {
    const targets = operands(args);
    if (targets.length === 0) return fail('umount: bad usage', 1);
    for (const t of targets) {
      const byDev = this.nodes.devMounts(host).get(t);
      const mp = byDev ?? normPath(t);
      if (!this.nodes.state.hosts[host]?.mounts[mp]) {
        return this.pathExists(host, mp) || this.lvm.blockDeviceExists(host, t) ? fail(`umount: ${t}: not mounted.`, 32) : fail(`umount: ${t}: no mount point specified.`, 32);
      }
      this.detach(host, mp);
    }
    return ok();
  }

  private wipefs(host: string, args: string[]): Result {
    const devs = operands(args);
    for (const dev of devs) {
      if (!this.lvm.isDisk(host, dev)) return fail(`wipefs: error: ${dev}: probing initialization failed: No such file or directory`);
      const hs = this.nodes.host(host);
      const pv = hs.pvs[dev];
      if (pv && pv.vg !== '' && this.lvm.lvsOfVg(host, pv.vg).length > 0) {
        return fail(`wipefs: error: ${dev}: probing initialization failed: Device or resource busy`);
      }
      if (this.nodes.devMounts(host).has(dev)) return fail(`wipefs: error: ${dev}: probing initialization failed: Device or resource busy`);
      if (pv) {
        if (pv.vg !== '') this.nodes.hostMut(host, 'vgs', pv.vg, undefined);
        this.nodes.hostMut(host, 'pvs', dev, undefined);
      }
      if (hs.fs[dev]) this.nodes.hostMut(host, 'fs', dev, undefined);
    }
    return ok();
  }

  // ------------------------------------------------------------------------------ text files (fstab)

  private fileExists(host: string, file: string): boolean {
    if (/fstab/.test(file.slice(file.lastIndexOf('/') + 1))) return true; // a node always has its fstab
    return Object.values(this.nodes.state.hosts[host]?.lines ?? {}).some((l) => l.file === file);
  }

  private appendLine(host: string, file: string, text: string): void {
    const last = this.nodes.host(host).meta['lineSeq'];
    const seq = (typeof last === 'number' ? last : 0) + 1;
    this.nodes.hostMut(host, 'meta', 'lineSeq', seq);
    this.nodes.hostMut(host, 'lines', String(seq), { file, text });
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
    const { flags, pos } = parseOpts(args, new Set());
    const inPlace = flags.has('i');
    const [script, file] = pos;
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
    for (const [key, line] of Object.entries(this.nodes.host(host).lines)) {
      if (line.file === path && re.test(line.text)) this.nodes.hostMut(host, 'lines', key, undefined);
    }
    return ok();
  }

  private cat(host: string, args: string[]): Result {
    let out = '';
    for (const raw of operands(args)) {
      const path = normPath(raw);
      if (!this.fileExists(host, path)) return fail(`cat: ${path}: No such file or directory`, 1, out);
      for (const line of Object.values(this.nodes.state.hosts[host]?.lines ?? {})) if (line.file === path) out += `${line.text}\n`;
    }
    return ok(out);
  }
}
