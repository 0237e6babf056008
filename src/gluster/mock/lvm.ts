/**
 * Simulated LVM (pvcreate/vgcreate/lvcreate --thin, removals, vgdisplay -c and the pvs/vgs/lvs
 * reports) and which block devices a node has: every `/dev/...` path is a disk of the configured
 * size unless it names an LV.
 */
import { randomBytes } from 'node:crypto';
import { LVM_BIN, PV_BY_ID_PREFIX, UDEVADM_BIN, dmDevNode } from '../planner.js';
import { fail, ok, parseOpts, type Program, type Result } from './common.js';
import { emptyHost, type LvRec, type NodeStore, type PvRec } from './state.js';

/** The LVM commands the mock knows, whether run as `lvm <cmd>` or `<cmd>`. */
const LVM_COMMANDS = new Set(['pvcreate', 'vgcreate', 'pvs', 'vgs', 'lvs', 'vgdisplay', 'vgremove', 'pvremove', 'lvcreate', 'lvremove', 'pvdisplay', 'lvdisplay']);

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

const vgNotFoundText = (vg: string) => `  Volume group "${vg}" not found\n  Cannot process volume group ${vg}\n`;

function lvmUuid(): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const b = randomBytes(32);
  let s = '';
  for (let i = 0; i < 32; i++) s += abc[b[i]! % abc.length];
  return [s.slice(0, 6), s.slice(6, 10), s.slice(10, 14), s.slice(14, 18), s.slice(18, 22), s.slice(22, 26), s.slice(26, 32)].join('-');
}

/** `/dev/mapper/vg-lv` or `/dev/vg/lv` → [vg, lv]. */
function lvOfDevNode(dev: string): [string, string] | undefined {
  let m = /^\/dev\/mapper\/((?:[^-]|--)+)-((?:[^-]|--)+)$/.exec(dev);
  if (m) return [m[1]!.replace(/--/g, '-'), m[2]!.replace(/--/g, '-')];
  m = /^\/dev\/([^/]+)\/([^/]+)$/.exec(dev);
  if (m && m[1] !== 'mapper' && m[1] !== 'disk') return [m[1]!, m[2]!];
  return undefined;
}

// No udevadm on the simulated nodes: device handles carry no udev paths, like Heketi's mock.
const noUdevadm: Program = (_host, _args, prog) => fail(`bash: line 1: ${prog}: No such file or directory`, 127);

const REPORT_DEFAULTS: Record<'pvs' | 'vgs' | 'lvs', string[]> = {
  pvs: ['pv_name', 'vg_name', 'pv_fmt', 'pv_attr', 'pv_size', 'pv_free'],
  vgs: ['vg_name', 'pv_count', 'lv_count', 'snap_count', 'vg_attr', 'vg_size', 'vg_free'],
  lvs: ['lv_name', 'vg_name', 'lv_attr', 'lv_size', 'pool_lv', 'origin', 'data_percent', 'metadata_percent', 'move_pv', 'mirror_log', 'copy_percent', 'convert_lv'],
};

export class MockLvm {
  constructor(private readonly nodes: NodeStore) {}

  private readonly lvmCli: Program = (host, args) => this.run(host, args[0] ?? '', args.slice(1));

  readonly programs: Record<string, Program> = {
    [LVM_BIN]: this.lvmCli,
    lvm: this.lvmCli,
    ...Object.fromEntries([...LVM_COMMANDS].map((sub): [string, Program] => [sub, (host, args) => this.run(host, sub, args)])),
    [UDEVADM_BIN]: noUdevadm,
    udevadm: noUdevadm,
  };

  // ------------------------------------------------------------------------------ block devices

  /** Any `/dev/...` path is a disk, except device-mapper nodes, LVM's by-UUID links and existing LVs. */
  isDisk(host: string, path: string): boolean {
    return (
      /^\/dev\/[A-Za-z0-9]/.test(path) &&
      !path.startsWith('/dev/mapper/') &&
      !path.startsWith(PV_BY_ID_PREFIX) &&
      !path.split('/').includes('..') &&
      this.lvKeyOfDev(host, path) === undefined
    );
  }

  /** Resolves a device argument to an LV record key, if it names an LV. */
  lvKeyOfDev(host: string, dev: string): string | undefined {
    const vl = lvOfDevNode(dev);
    if (!vl) return undefined;
    const key = `${vl[0]}/${vl[1]}`;
    return this.nodes.state.hosts[host]?.lvs[key] ? key : undefined;
  }

  blockDeviceExists(host: string, dev: string): boolean {
    const key = this.lvKeyOfDev(host, dev);
    if (key) return this.nodes.state.hosts[host]!.lvs[key]!.kind === 'thin';
    return this.isDisk(host, dev);
  }

  lvsOfVg(host: string, vg: string): LvRec[] {
    return Object.values(this.nodes.state.hosts[host]?.lvs ?? {}).filter((l) => l.vg === vg);
  }

  private vgNotFound(vg: string): Result {
    return fail(vgNotFoundText(vg), 5);
  }

  /** A PV path (device or by-id UUID link) → the PV's device key. */
  private pvKey(host: string, path: string): string | undefined {
    const hs = this.nodes.state.hosts[host];
    if (!hs) return undefined;
    if (hs.pvs[path]) return path;
    const m = /^\/dev\/disk\/by-id\/lvm-pv-uuid-(.+)$/.exec(path);
    if (m) return Object.keys(hs.pvs).find((d) => hs.pvs[d]!.uuid === m[1]);
    return undefined;
  }

  /** `lvm <sub> args...` (or `<sub> args...`). */
  private run(host: string, sub: string, args: string[]): Result {
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
    const hs = this.nodes.host(host);
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
      this.nodes.hostMut(host, 'pvs', dev, { vg: '', uuid: '', sizeKiB: this.nodes.deviceKiB });
      if (hs.fs[dev]) this.nodes.hostMut(host, 'fs', dev, undefined);
    }
    return ok(flags.has('q') ? '' : pos.map((d) => `  Physical volume "${d}" successfully created.\n`).join(''));
  }

  private vgcreate(host: string, args: string[]): Result {
    const { opts, pos, flags, bad } = parseOpts(args, new Set(['physicalextentsize', 's', 'autobackup', 'A']));
    if (bad) return fail(`  ${bad}`, 3);
    const [vg, ...devs] = pos;
    if (!vg || devs.length !== 1) return fail('  Please provide a volume group name and one physical volume (mock).', 3);
    const dev = devs[0]!;
    const hs = this.nodes.host(host);
    if (hs.vgs[vg]) return fail(`  A volume group called ${vg} already exists.`, 5);
    const extentKiB = lvmSizeKiB(opts.get('physicalextentsize') ?? opts.get('s') ?? '4M', 'm');
    if (!extentKiB || extentKiB < 1) return fail(`  Invalid argument for --physicalextentsize: ${opts.get('physicalextentsize')}`, 3);
    if (!this.isDisk(host, dev)) return fail(`  No device found for ${dev}.`, 5);
    const pv = hs.pvs[dev];
    if (pv && pv.vg !== '') return fail(`  Physical volume '${dev}' is already in volume group '${pv.vg}'\n  Unable to add physical volume '${dev}' to volume group '${vg}'\n  ${dev}: physical volume not initialized.`, 5);
    const sizeKiB = pv?.sizeKiB ?? this.nodes.deviceKiB;
    this.nodes.hostMut(host, 'pvs', dev, { vg, uuid: '', sizeKiB });
    const total = Math.floor(sizeKiB / extentKiB);
    this.nodes.hostMut(host, 'vgs', vg, { pv: dev, uuid: lvmUuid(), extentKiB, totalExtents: total, freeExtents: total });
    const out = flags.has('q') ? '' : `  Volume group "${vg}" successfully created\n`;
    return { exitCode: 0, stdout: out, stderr: noBackupWarning(opts) };
  }

  private vgdisplay(host: string, args: string[]): Result {
    const { pos, flags } = parseOpts(args, new Set());
    const vg = pos[0];
    if (!vg || !flags.has('c')) return fail('  mock: only vgdisplay -c <vg> is supported', 3);
    const rec = this.nodes.state.hosts[host]?.vgs[vg];
    if (!rec) return this.vgNotFound(vg);
    const lvs = this.lvsOfVg(host, vg);
    const mounted = this.nodes.devMounts(host);
    const open = lvs.filter((l) => mounted.has(dmDevNode(l.vg, l.lv))).length;
    const alloc = rec.totalExtents - rec.freeExtents;
    const f = [vg, 'r/w', '772', '-1', '0', String(lvs.length), String(open), '-1', '0', '1', '1', String(rec.totalExtents * rec.extentKiB), String(rec.extentKiB), String(rec.totalExtents), String(alloc), String(rec.freeExtents), rec.uuid];
    return ok(`  ${f.join(':')}\n`);
  }

  private vgremove(host: string, args: string[]): Result {
    const { pos, flags } = parseOpts(args, new Set());
    if (pos.length === 0) return fail('  Please enter one or more volume group paths.', 3);
    const hs = this.nodes.host(host);
    for (const vg of pos) {
      const rec = hs.vgs[vg];
      if (!rec) return this.vgNotFound(vg);
      const lvs = this.lvsOfVg(host, vg);
      if (lvs.length > 0) {
        if (!flags.has('f')) return fail(`  Volume group "${vg}" still contains ${lvs.length} logical volume(s)\n  Volume group "${vg}" not removed`, 5);
        const busy = lvs.find((l) => this.nodes.devMounts(host).has(dmDevNode(l.vg, l.lv)));
        if (busy) return fail(`  Logical volume ${vg}/${busy.lv} contains a filesystem in use.`, 5);
        for (const l of lvs) this.dropLv(host, l);
      }
      this.nodes.hostMut(host, 'vgs', vg, undefined);
      const pv = hs.pvs[rec.pv];
      if (pv) this.nodes.hostMut(host, 'pvs', rec.pv, { ...pv, vg: '' });
    }
    return ok(flags.has('q') ? '' : pos.map((v) => `  Volume group "${v}" successfully removed\n`).join(''));
  }

  private pvremove(host: string, args: string[]): Result {
    const { pos, flags } = parseOpts(args, new Set());
    if (pos.length === 0) return fail('  Please enter a physical volume path.', 3);
    for (const path of pos) {
      const key = this.pvKey(host, path);
      if (!key) return fail(`  No PV found on device ${path}.`, 5);
      const pv = this.nodes.state.hosts[host]!.pvs[key]!;
      if (pv.vg !== '' && (flags.get('f') ?? 0) < 2) {
        return fail(`  PV ${path} is used by VG ${pv.vg} so please use vgreduce first.\n  (If you are certain you need pvremove, then confirm by using --force twice.)`, 5);
      }
      this.nodes.hostMut(host, 'pvs', key, undefined);
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
    const hs = this.nodes.host(host);
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
    this.nodes.hostEdit(host, 'vgs', vg).freeExtents -= needed;
    const chunk = opts.get('chunksize') ?? opts.get('c') ?? '64K';
    this.nodes.hostMut(host, 'lvs', `${vg}/${pool}`, { vg, lv: pool, kind: 'pool', sizeKiB: Math.ceil(dataKiB / ext) * ext, extents: needed, metaKiB, chunk, pool: '', origin: '', thinCount: 0 });
    const q = flags.has('q');
    if (virtKiB === undefined) return { ...ok(q ? '' : `  Logical volume "${pool}" created.\n`), stderr: noBackupWarning(opts) };
    const lv = name ?? `lvol${Object.keys(hs.lvs).length}`;
    this.addThin(host, vg, pool, lv, Math.ceil(virtKiB / ext) * ext, '');
    return { ...ok(q ? '' : `  Logical volume "${lv}" created.\n`), stderr: noBackupWarning(opts) };
  }

  addThin(host: string, vg: string, pool: string, lv: string, sizeKiB: number, origin: string): void {
    this.nodes.hostMut(host, 'lvs', `${vg}/${lv}`, { vg, lv, kind: 'thin', sizeKiB, extents: 0, metaKiB: 0, chunk: '', pool, origin, thinCount: 0 });
    this.nodes.hostEdit(host, 'lvs', `${vg}/${pool}`).thinCount += 1;
  }

  /** Removes an LV record (and a pool's thin LVs), giving extents back. No checks. */
  dropLv(host: string, l: LvRec): void {
    const hs = this.nodes.host(host);
    const key = `${l.vg}/${l.lv}`;
    if (!hs.lvs[key]) return;
    if (l.kind === 'thin') {
      if (hs.lvs[`${l.vg}/${l.pool}`]) this.nodes.hostEdit(host, 'lvs', `${l.vg}/${l.pool}`).thinCount -= 1;
      const dev = dmDevNode(l.vg, l.lv);
      if (hs.fs[dev]) this.nodes.hostMut(host, 'fs', dev, undefined);
    } else {
      if (l.thinCount > 0) for (const t of this.lvsOfVg(host, l.vg)) if (t.kind === 'thin' && t.pool === l.lv) this.dropLv(host, t);
      if (hs.vgs[l.vg]) this.nodes.hostEdit(host, 'vgs', l.vg).freeExtents += l.extents;
    }
    this.nodes.hostMut(host, 'lvs', key, undefined);
  }

  private lvremove(host: string, args: string[]): Result {
    const { opts, pos, flags, bad } = parseOpts(args, new Set(['autobackup', 'A']));
    if (bad) return fail(`  ${bad}`, 3);
    if (pos.length === 0) return fail('  Please enter one or more logical volume paths.', 3);
    const hs = this.nodes.host(host);
    const mounted = this.nodes.devMounts(host);
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

  /** pvs/vgs/lvs with `-o`, `--noheadings`, `--separator`, `--reportformat json`, `--units k`. */
  private report(host: string, kind: 'pvs' | 'vgs' | 'lvs', args: string[]): Result {
    const { opts, flags, pos, bad } = parseOpts(args, new Set(['o', 'options', 'reportformat', 'units', 'separator', 'select', 'S', 'O', 'sort']));
    if (bad) return fail(`  ${bad}`, 3);
    const fields = (opts.get('o') ?? opts.get('options') ?? REPORT_DEFAULTS[kind].join(','))
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '');
    const hs = this.nodes.state.hosts[host] ?? emptyHost();
    const mounted = this.nodes.devMounts(host);
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
          err += vgNotFoundText(vg);
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
          } else if (!hs.vgs[name]) err += vgNotFoundText(name);
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
  }}
