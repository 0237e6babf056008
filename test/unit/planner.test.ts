/**
 * Golden tests: rendered node commands against the command lines of heketi-behaviour.md §6, §9.
 * Two differences from Heketi's text, both deliberate:
 *  - `--` before the operands of every tool that ends its options there (LVM, mkfs.xfs, mount,
 *    umount, mkdir, rmdir, chown, chmod, wipefs, sed, cat, lsof), so an operand can never be read
 *    as an option (issue 10); lvcreate's `<vg>/<pool>` operand therefore moves to the end;
 *  - quoting: where Heketi's shell text quotes differently (pvcreate '<dev>', sed "…", awk "…")
 *    our renderer leaves safe words bare or single-quotes; for those lines we also prove that bash
 *    parses Heketi's text into our argv (without our `--`).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { defaultConfig, type NodeCommandConfig } from '../../src/config.js';
import type { NodeCommand } from '../../src/gluster/executor.js';
import * as P from '../../src/gluster/planner.js';
import { renderCommand } from '../../src/gluster/quote.js';

const D = 'd1e2d1e2d1e2d1e2d1e2d1e2d1e2d1e2';
const B = 'b0b1b2b3b4b5b6b7b8b9babbbcbdbebf';
const V = '0123456789abcdef0123456789abcdef';
const M = `/var/lib/heketi/mounts/vg_${D}/brick_${B}`;
const DEV = `/dev/mapper/vg_${D}-brick_${B}`;
const G = 'gluster --mode=script --timeout=600';
const LVM = '/usr/sbin/lvm';

const cfg = (over: Partial<NodeCommandConfig> = {}): NodeCommandConfig => ({ ...defaultConfig().glusterfs.commands, ...over });
const lines = (cmds: NodeCommand[]) => cmds.map((c) => renderCommand(c.argv));

/** Our argv without the `--` Heketi's lines do not have. */
const heketiShape = (argv: string[]) => argv.filter((a) => a !== '--');

function bashArgs(line: string): string[] {
  const out = execFileSync('/bin/bash', ['--norc', '--noprofile', '-c', `printf '%s\\0' ${line}`], { env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
  const parts = out.toString('utf8').split('\0');
  parts.pop();
  return parts;
}

const brick = (over: Partial<P.BrickCreateSpec> = {}): P.BrickCreateSpec => ({
  id: B,
  deviceId: D,
  size: 10485760,
  tpSize: 10485760,
  poolMetadataSize: 53248,
  arbiter: false,
  gid: 0,
  path: `${M}/brick`,
  ...over,
});

describe('timeouts (§9.1)', () => {
  it('gluster CLI: max(10, 1 + floor((t+1)/60)) minutes', () => {
    expect(P.glusterTimeoutSec(cfg())).toBe(11 * 60);
    expect(P.glusterTimeoutSec(cfg({ glusterCliTimeoutSec: 120 }))).toBe(10 * 60);
    expect(P.glusterTimeoutSec(cfg({ glusterCliTimeoutSec: 1200 }))).toBe(21 * 60);
  });
  it('per kind', () => {
    expect(P.planDeviceSetup(cfg(), { deviceId: D, device: '/dev/sdb', wipe: true }).every((c) => c.timeoutSec === 300)).toBe(true);
    expect(P.planBrickCreate(cfg(), brick()).every((c) => c.timeoutSec === 600)).toBe(true);
    expect(P.planUmount(M)[0]!.timeoutSec).toBe(300);
    expect(P.planGlusterdCheck()[0]!.timeoutSec).toBe(600);
    expect(P.planPeerProbe(cfg(), '10.0.0.2')[0]!.timeoutSec).toBe(660);
  });
});

describe('health and peers (§9.2, §6.1, §6.2)', () => {
  it('glusterd check', () => expect(lines(P.planGlusterdCheck())).toEqual(['systemctl status glusterd']));
  it('probe, with and without snapshot limit', () => {
    expect(lines(P.planPeerProbe(cfg(), '10.0.0.2'))).toEqual([`${G} peer probe 10.0.0.2`]);
    expect(lines(P.planPeerProbe(cfg({ snapshotLimit: 14 }), 'node2.example.com'))).toEqual([
      `${G} peer probe node2.example.com`,
      `${G} snapshot config snap-max-hard-limit 14`,
    ]);
  });
  it('detach', () => expect(lines(P.planPeerDetach(cfg(), '10.0.0.2'))).toEqual([`${G} peer detach 10.0.0.2`]));
  it('custom gluster_cli_timeout', () => expect(lines(P.planPeerDetach(cfg({ glusterCliTimeoutSec: 120 }), 'h'))).toEqual(['gluster --mode=script --timeout=120 peer detach h']));
});

describe('devices (§6.3, §6.4)', () => {
  it('setup; Heketi quotes the pvcreate device, which bash reads the same', () => {
    expect(lines(P.planDeviceSetup(cfg(), { deviceId: D, device: '/dev/sdb', wipe: false }))).toEqual([
      `${LVM} pvcreate -qq --metadatasize=128M --dataalignment=256K -- /dev/sdb`,
      `${LVM} vgcreate -qq --physicalextentsize=4M --autobackup=n -- vg_${D} /dev/sdb`,
    ]);
    const heketi = `${LVM} pvcreate -qq --metadatasize=128M --dataalignment=256K '/dev/sdb'`;
    expect(bashArgs(heketi)).toEqual(heketiShape(P.planDeviceSetup(cfg(), { deviceId: D, device: '/dev/sdb', wipe: false })[0]!.argv));
  });
  it('setup with wipe, backup and config sizes', () => {
    expect(lines(P.planDeviceSetup(cfg({ backupLvmMetadata: true, pvDataAlignment: '1M', vgPhysicalExtentSize: '8M' }), { deviceId: D, device: '/dev/sdc', wipe: true }))).toEqual([
      'wipefs --all -- /dev/sdc',
      `${LVM} pvcreate -qq --metadatasize=128M --dataalignment=1M -- /dev/sdc`,
      `${LVM} vgcreate -qq --physicalextentsize=8M --autobackup=y -- vg_${D} /dev/sdc`,
    ]);
  });
  it('lvm_wrapper prefixes lvm and udevadm', () => {
    const c = cfg({ lvmWrapper: 'nsenter --mount=/rootfs/proc/1/ns/mnt --' });
    expect(lines(P.planDeviceHandle(c, '/dev/sdb'))).toEqual([
      `nsenter --mount=/rootfs/proc/1/ns/mnt -- ${LVM} pvs -o pv_name,pv_uuid,vg_name --reportformat=json -- /dev/sdb`,
      'nsenter --mount=/rootfs/proc/1/ns/mnt -- /usr/bin/udevadm info --query=symlink --name=/dev/sdb',
    ]);
    expect(lines(P.planVgDisplay(c, D))).toEqual([`nsenter --mount=/rootfs/proc/1/ns/mnt -- ${LVM} vgdisplay -c -- vg_${D}`]);
  });
  it('info commands', () => {
    const h = P.planDeviceHandle(cfg(), '/dev/sdb');
    expect(lines(h)).toEqual([`${LVM} pvs -o pv_name,pv_uuid,vg_name --reportformat=json -- /dev/sdb`, '/usr/bin/udevadm info --query=symlink --name=/dev/sdb']);
    expect(h.every((c) => c.allowFailure)).toBe(true);
    expect(lines(P.planVgDisplay(cfg(), D))).toEqual([`${LVM} vgdisplay -c -- vg_${D}`]);
    expect(lines(P.planVgPvInfo(cfg(), D))).toEqual([`${LVM} vgs -o pv_name,pv_uuid,vg_name --reportformat=json -- vg_${D}`]);
  });
  it('teardown', () => {
    expect(lines(P.planDeviceRemove(cfg(), D, '/dev/sdb'))).toEqual([`${LVM} vgremove -qq -- vg_${D}`, `${LVM} pvremove -qq -- /dev/sdb`]);
    expect(bashArgs(`${LVM} pvremove -qq '/dev/sdb'`)).toEqual(heketiShape(P.planDeviceRemove(cfg(), D, '/dev/sdb')[1]!.argv));
    expect(lines(P.planDeviceRemove(cfg(), D, '/dev/disk/by-id/lvm-pv-uuid-jKvCfW-8r1N-dZyM-Hn0V-1u9G-LJbm-cQvT7x'))[1]).toBe(
      `${LVM} pvremove -qq -- /dev/disk/by-id/lvm-pv-uuid-jKvCfW-8r1N-dZyM-Hn0V-1u9G-LJbm-cQvT7x`,
    );
    expect(lines(P.planDeviceMountParentRemove(D))).toEqual([`rmdir -- /var/lib/heketi/mounts/vg_${D}`]);
  });
  it('rejects unsafe devices and config values before anything runs', () => {
    expect(() => P.planDeviceSetup(cfg(), { deviceId: D, device: '/dev/sdb;reboot', wipe: false })).toThrow(/device path/);
    expect(() => P.planDeviceSetup(cfg(), { deviceId: 'x', device: '/dev/sdb', wipe: false })).toThrow(/device id/);
    expect(() => P.planDeviceSetup(cfg({ pvDataAlignment: '256K; reboot' }), { deviceId: D, device: '/dev/sdb', wipe: false })).toThrow(/pv_data_alignment/);
  });
});

describe('brick create (§9.3)', () => {
  const awkHeketi = (opts: string, fstab: string) => `awk "BEGIN {print \\"${DEV} ${M} xfs ${opts} 1 2\\" >> \\"${fstab}\\"}"`;
  it('the default batch', () => {
    expect(lines(P.planBrickCreate(cfg(), brick()))).toEqual([
      `mkdir -p -- ${M}`,
      `${LVM} lvcreate -qq --autobackup=n --poolmetadatasize 53248K --chunksize 256K --size 10485760K --thin --virtualsize 10485760K --name brick_${B} -- vg_${D}/tp_${B}`,
      `mkfs.xfs -i size=512 -n size=8192 -- ${DEV}`,
      // Heketi: awk "BEGIN {print \"<dev> <mount> xfs <opts> 1 2\" >> \"<fstab>\"}"
      `awk 'BEGIN {print "${DEV} ${M} xfs rw,inode64,noatime,nouuid 1 2" >> "/etc/fstab"}'`,
      `mount -o rw,inode64,noatime,nouuid -- ${DEV} ${M}`,
      `mkdir -- ${M}/brick`,
    ]);
  });
  it("awk gets one program argument, the same argv as Heketi's double-quoted line", () => {
    const ours = P.planBrickCreate(cfg(), brick())[3]!.argv;
    expect(ours).toHaveLength(2);
    expect(bashArgs(awkHeketi('rw,inode64,noatime,nouuid', '/etc/fstab'))).toEqual(ours);
    const custom = cfg({ mountOpts: 'rw,noatime', fstab: '/var/lib/heketi/fstab' });
    expect(bashArgs(awkHeketi('rw,noatime', '/var/lib/heketi/fstab'))).toEqual(P.planBrickCreate(custom, brick())[3]!.argv);
  });
  it('gid adds chown and chmod', () => {
    expect(lines(P.planBrickCreate(cfg(), brick({ gid: 2001 }))).slice(-2)).toEqual([`chown -- :2001 ${M}/brick`, `chmod -- 2775 ${M}/brick`]);
  });
  it('su/sw only when both set', () => {
    expect(lines(P.planBrickCreate(cfg({ xfsSu: 64, xfsSw: 4 }), brick()))[2]).toBe(`mkfs.xfs -i size=512 -d su=64,sw=4 -n size=8192 -- ${DEV}`);
    expect(lines(P.planBrickCreate(cfg({ xfsSu: 64, xfsSw: 0 }), brick()))[2]).toBe(`mkfs.xfs -i size=512 -n size=8192 -- ${DEV}`);
  });
  it('arbiter: 256K chunks always, maxpct=100, no su/sw', () => {
    const l = lines(P.planBrickCreate(cfg({ lvChunkSize: '512K', xfsSu: 64, xfsSw: 4 }), brick({ arbiter: true, size: 16384, tpSize: 16384, poolMetadataSize: 4096 })));
    expect(l[1]).toBe(`${LVM} lvcreate -qq --autobackup=n --poolmetadatasize 4096K --chunksize 256K --size 16384K --thin --virtualsize 16384K --name brick_${B} -- vg_${D}/tp_${B}`);
    expect(l[2]).toBe(`mkfs.xfs -i maxpct=100 -n size=8192 -- ${DEV}`);
  });
  it('lv_chunksize, snapshot factor and backups', () => {
    const l = lines(P.planBrickCreate(cfg({ lvChunkSize: '512K', backupLvmMetadata: true }), brick({ tpSize: 12582912, poolMetadataSize: 65536 })));
    expect(l[1]).toBe(`${LVM} lvcreate -qq --autobackup=y --poolmetadatasize 65536K --chunksize 512K --size 12582912K --thin --virtualsize 10485760K --name brick_${B} -- vg_${D}/tp_${B}`);
  });
  it('rejects bad input', () => {
    expect(() => P.planBrickCreate(cfg(), brick({ gid: -1 }))).toThrow(/gid/);
    expect(() => P.planBrickCreate(cfg(), brick({ size: 0 }))).toThrow(/brick size/);
    expect(() => P.planBrickCreate(cfg(), brick({ tpSize: 1 }))).toThrow(/thin pool/);
    expect(() => P.planBrickCreate(cfg(), brick({ path: '/x/y' }))).toThrow(/brick/);
    expect(() => P.planBrickCreate(cfg({ mountOpts: 'rw" >> "/etc/passwd' }), brick())).toThrow(/mount options/);
    expect(() => P.planBrickCreate(cfg({ fstab: '/etc/fstab"}' }), brick())).toThrow(/fstab/);
  });
});

describe('brick destroy steps (§9.4)', () => {
  it('each step', () => {
    expect(lines(P.planUmount(M))).toEqual([`umount -- ${M}`]);
    expect(lines(P.planMountList())).toEqual(['mount']);
    expect(lines(P.planLsof(M))).toEqual([`lsof -- ${M}`]);
    // Heketi: sed -i.save "/brick_<B>/d" <fstab>
    expect(lines(P.planFstabRemove(cfg(), B))).toEqual([`sed -i.save -- /brick_${B}/d /etc/fstab`]);
    expect(bashArgs(`sed -i.save "/brick_${B}/d" /etc/fstab`)).toEqual(heketiShape(P.planFstabRemove(cfg(), B)[0]!.argv));
    expect(lines(P.planLvRemove(cfg(), D, `brick_${B}`))).toEqual([`${LVM} lvremove --autobackup=n -f -- vg_${D}/brick_${B}`]);
    expect(lines(P.planThinCount(cfg(), D, `tp_${B}`))).toEqual([`${LVM} lvs --noheadings --options=thin_count -- vg_${D}/tp_${B}`]);
    expect(lines(P.planLvRemove(cfg(), D, `tp_${B}`))).toEqual([`${LVM} lvremove --autobackup=n -f -- vg_${D}/tp_${B}`]);
    expect(lines(P.planRmdir(M))).toEqual([`rmdir -- ${M}`]);
  });
  it('mount point and clone detection', () => {
    expect(P.mountPointOf(`${M}/brick`)).toBe(M);
    expect(P.isGlusterdManagedMount('/run/gluster/snaps/abc/brick1')).toBe(true);
    expect(P.isGlusterdManagedMount('/var/run/gluster/snaps/abc/brick1')).toBe(true);
    expect(P.isGlusterdManagedMount(M)).toBe(false);
  });
});

describe('volumes (§9.5)', () => {
  const hosts = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
  const bricks = (n: number) => Array.from({ length: n }, (_, i) => ({ host: hosts[i % 3]!, path: `/b/${i}/brick` }));
  const hp = (n: number, from = 0) =>
    bricks(n)
      .slice(from)
      .map((b) => `${b.host}:${b.path}`)
      .join(' ');

  it('replica 3 create batch: create, the options in one set (first space splits key/value), id, start', () => {
    const l = lines(
      P.planVolumeCreate(cfg(), {
        id: V,
        name: 'vol_1',
        durability: { type: 'replicate', replica: 3, arbiter: false },
        bricks: bricks(3),
        options: ['', 'performance.rda-cache-limit 10MB', 'auth.allow 10.0.0.1, 10.0.0.2', ''],
      }),
    );
    expect(l).toEqual([
      `${G} volume create vol_1 replica 3 ${hp(3)}`,
      `${G} volume set vol_1 performance.rda-cache-limit 10MB auth.allow '10.0.0.1, 10.0.0.2'`,
      `${G} volume set vol_1 user.heketi.id ${V}`,
      `${G} volume start vol_1`,
    ]);
  });
  it('options: bounded batches in order, group alone, the id tag last', () => {
    const opts = Array.from({ length: 70 }, (_, i) => `user.k${i} v${i}`);
    opts.splice(40, 0, 'group gluster-block');
    const sets = P.planVolumeOptions(cfg(), 'v', ['', ...opts, ''], V).map((c) => c.argv.slice(6));
    expect(sets.map((a) => a.length / 2)).toEqual([32, 8, 1, 30, 1]);
    expect(sets[1]!.slice(-2)).toEqual(['user.k39', 'v39']);
    expect(sets[2]).toEqual(['group', 'gluster-block']);
    expect(sets[3]!.slice(0, 2)).toEqual(['user.k40', 'v40']);
    expect(sets[4]).toEqual(['user.heketi.id', V]);
    expect(P.planVolumeOptions(cfg(), 'v', ['', ' '])).toEqual([]);
  });
  it('no request value becomes an option: leading dashes are refused everywhere', () => {
    const none = { type: 'none' as const };
    const create = (over: Partial<P.VolumeCreateSpec>) => () => P.planVolumeCreate(cfg(), { id: V, name: 'v', durability: none, bricks: bricks(1), options: [], ...over });
    expect(create({ name: '--version' })).toThrow(/volume name "--version": must not start with "-"/);
    expect(create({ name: 'all' })).toThrow(/gluster keyword/);
    expect(create({ options: ['performance.readdir-ahead --remote-host=203.0.113.9'] })).toThrow(/option value .*must not start with "-"/);
    expect(create({ options: ['--log-file=/etc/passwd on'] })).toThrow(/option key/);
    expect(create({ bricks: [{ host: '-oProxyCommand=x', path: '/b/0/brick' }] })).toThrow(/hostname/);
    expect(() => P.planSnapshotClone(cfg(), '--xml', 's')).toThrow(/volume name/);
    expect(() => P.planBlockDelete('hv', '-b')).toThrow(/block volume name/);
    expect(() => P.planPeerProbe(cfg(), '-h')).toThrow(/hostname/);
    // A value that does not start with "-" stays one argv element, spaces and "--word" included.
    expect(P.planVolumeOptions(cfg(), 'v', ['user.note a --remote-host=x b'])[0]!.argv.slice(-2)).toEqual(['user.note', 'a --remote-host=x b']);
  });
  it('arbiter and disperse layouts', () => {
    expect(lines(P.planVolumeCreate(cfg(), { id: V, name: 'a', durability: { type: 'replicate', replica: 3, arbiter: true }, bricks: bricks(3), options: [] }))[0]).toBe(
      `${G} volume create a replica 3 arbiter 1 ${hp(3)}`,
    );
    expect(lines(P.planVolumeCreate(cfg(), { id: V, name: 'd', durability: { type: 'disperse', data: 4, redundancy: 2 }, bricks: bricks(12), options: [] }))).toEqual([
      `${G} volume create d disperse-data 4 redundancy 2 ${bricks(6)
        .map((b) => `${b.host}:${b.path}`)
        .join(' ')}`,
      `${G} volume add-brick d ${hp(12, 6)}`,
      `${G} volume set d user.heketi.id ${V}`,
      `${G} volume start d`,
    ]);
  });
  it('add-brick groups: none 15 bricks, replicate 5 sets', () => {
    const none = lines(P.planVolumeCreate(cfg(), { id: V, name: 'n', durability: { type: 'none' }, bricks: bricks(32), options: [] }));
    expect(none[0]).toBe(`${G} volume create n ${hp(1)}`);
    const adds = none.filter((x) => x.includes('add-brick'));
    expect(adds.map((x) => x.split(' ').length - 6)).toEqual([15, 15, 1]);
    const rep = lines(P.planVolumeCreate(cfg(), { id: V, name: 'r', durability: { type: 'replicate', replica: 2, arbiter: false }, bricks: bricks(24), options: [] }));
    expect(rep.filter((x) => x.includes('add-brick')).map((x) => x.split(' ').length - 6)).toEqual([10, 10, 2]);
  });
  it('rejects wrong brick counts, arbiter without replica 3, bad options and names', () => {
    expect(() => P.planVolumeCreate(cfg(), { id: V, name: 'r', durability: { type: 'replicate', replica: 3, arbiter: false }, bricks: bricks(4), options: [] })).toThrow(/multiple/);
    expect(() => P.planVolumeCreate(cfg(), { id: V, name: 'r', durability: { type: 'replicate', replica: 2, arbiter: true }, bricks: bricks(2), options: [] })).toThrow(/arbiter/);
    expect(() => P.planVolumeCreate(cfg(), { id: V, name: 'r', durability: { type: 'none' }, bricks: bricks(1), options: ['k;reboot v'] })).toThrow(/option key/);
    expect(() => P.planVolumeCreate(cfg(), { id: V, name: 'r', durability: { type: 'none' }, bricks: bricks(1), options: ['k v\nx'] })).toThrow(/option value/);
    expect(() => P.planVolumeCreate(cfg(), { id: V, name: 'r x', durability: { type: 'none' }, bricks: bricks(1), options: [] })).toThrow(/volume name/);
    expect(() => P.planVolumeCreate(cfg(), { id: V, name: 'r', durability: { type: 'none' }, bricks: [{ host: 'h;x', path: '/b' }], options: [] })).toThrow(/hostname/);
  });
  it('destroy, expand, replace, info, heal', () => {
    const d = P.planVolumeDestroy(cfg(), 'vol_1');
    expect(lines(d)).toEqual([`${G} volume stop vol_1 force`, `${G} volume delete vol_1`]);
    expect(d[0]!.allowFailure).toBe(true);
    expect(d[1]!.allowFailure).toBeUndefined();
    const e = P.planVolumeExpand(cfg(), 'vol_1', { type: 'replicate', replica: 3, arbiter: false }, bricks(3));
    expect(lines(e)).toEqual([`${G} volume add-brick vol_1 ${hp(3)}`, `${G} volume rebalance vol_1 start`]);
    expect(e[1]!.allowFailure).toBe(true);
    expect(lines(P.planVolumeExpand(cfg({ rebalanceOnExpansion: false }), 'v', { type: 'none' }, bricks(1)))).toEqual([`${G} volume add-brick v 10.0.0.1:/b/0/brick`]);
    expect(lines(P.planReplaceBrick(cfg(), 'vol_1', '10.0.0.1:/b/0/brick', '10.0.0.4:/b/9/brick'))).toEqual([`${G} volume replace-brick vol_1 10.0.0.1:/b/0/brick 10.0.0.4:/b/9/brick commit force`]);
    expect(lines(P.planVolumeInfo(cfg(), 'vol_1'))).toEqual([`${G} volume info vol_1 --xml`]);
    expect(lines(P.planVolumeInfo(cfg()))).toEqual([`${G} volume info --xml`]);
    expect(lines(P.planHealInfo(cfg(), 'vol_1'))).toEqual([`${G} volume heal vol_1 info --xml`]);
  });
  it('snapshot / clone sequence (§5.3)', () => {
    const s = `tmpsnap_${V}`;
    expect([
      ...P.planSnapshotCreate(cfg(), s, 'vol_1'),
      ...P.planSnapshotActivate(cfg(), s),
      ...P.planSnapshotClone(cfg(), 'clone_1', s),
      ...P.planCloneStart(cfg(), 'clone_1'),
      ...P.planSnapshotDeactivate(cfg(), s),
      ...P.planSnapshotDelete(cfg(), s),
    ].map((c) => renderCommand(c.argv))).toEqual([
      `${G} --xml snapshot create ${s} vol_1 no-timestamp`,
      `${G} --xml snapshot activate ${s}`,
      `${G} --xml snapshot clone clone_1 ${s}`,
      `${G} --xml volume start clone_1`,
      `${G} --xml snapshot deactivate ${s}`,
      `${G} --xml snapshot delete ${s}`,
    ]);
  });
});

describe('examiner (§9.6)', () => {
  it('one allowFailure batch', () => {
    const e = P.planExamine(cfg());
    expect(lines(e)).toEqual([
      `${LVM} pvs --reportformat json --units k`,
      `${LVM} vgs --reportformat json --units k`,
      `${LVM} lvs --reportformat json --units k`,
      'mount',
      'cat -- /etc/fstab',
      `${G} volume info --xml`,
    ]);
    expect(e.every((c) => c.allowFailure)).toBe(true);
    expect(lines(P.planBlockList('vol_block'))).toEqual(['gluster-block list vol_block --json']);
  });
});

describe('gluster-block (§8)', () => {
  const spec = (over: Partial<P.BlockCreateSpec> = {}): P.BlockCreateSpec => ({
    hostingVolume: `vol_${V}`,
    name: 'blk1',
    hacount: 3,
    auth: false,
    hosts: ['10.0.0.1', '10.0.0.2', '10.0.0.3'],
    sizeGiB: 5,
    ...over,
  });

  it('create: ha, auth, prealloc from the config, comma-joined hosts, <size>GiB, --json', () => {
    const c = P.planBlockCreate(cfg(), spec());
    expect(lines(c)).toEqual([`gluster-block create vol_${V}/blk1 ha 3 auth disable prealloc full 10.0.0.1,10.0.0.2,10.0.0.3 5GiB --json`]);
    expect(c[0]!.timeoutSec).toBe(600);
    expect(c[0]!.allowFailure).toBeUndefined();
    expect(lines(P.planBlockCreate(cfg({ blockPrealloc: 'no' }), spec({ auth: true, hacount: 1, hosts: ['node-a.example.com'], sizeGiB: 1 })))).toEqual([
      `gluster-block create vol_${V}/blk1 ha 1 auth enable prealloc no node-a.example.com 1GiB --json`,
    ]);
    // An invalid configured prealloc falls back to Heketi's default.
    expect(lines(P.planBlockCreate(cfg({ blockPrealloc: 'full; reboot' }), spec()))[0]).toContain(' prealloc full ');
  });

  it('delete, modify (Heketi\'s two spaces before size are the same argv), info', () => {
    expect(lines(P.planBlockDelete('hv', 'blk1'))).toEqual(['gluster-block delete hv/blk1 --json']);
    const m = P.planBlockModifySize('hv', 'blk1', 7);
    expect(lines(m)).toEqual(['gluster-block modify hv/blk1 size 7GiB --json']);
    expect(bashArgs('gluster-block modify hv/blk1  size 7GiB --json')).toEqual(m[0]!.argv);
    expect(lines(P.planBlockInfo('hv', 'blk1'))).toEqual(['gluster-block info hv/blk1 --json']);
    for (const c of [...P.planBlockDelete('hv', 'b'), ...m, ...P.planBlockInfo('hv', 'b')]) expect(c.timeoutSec).toBe(600);
  });

  it('bash reads Heketi\'s create line into exactly our argv', () => {
    const line = `gluster-block create vol_${V}/blk1 ha 2 auth enable prealloc full 10.0.0.1,10.0.0.2 3GiB --json`;
    expect(bashArgs(line)).toEqual(P.planBlockCreate(cfg(), spec({ hacount: 2, auth: true, hosts: ['10.0.0.1', '10.0.0.2'], sizeGiB: 3 }))[0]!.argv);
  });

  it('validates every value', () => {
    expect(() => P.planBlockCreate(cfg(), spec({ name: 'a/b' }))).toThrow(/block volume name/);
    expect(() => P.planBlockCreate(cfg(), spec({ name: 'x;reboot' }))).toThrow(/block volume name/);
    expect(() => P.planBlockCreate(cfg(), spec({ name: '' }))).toThrow(/block volume name/);
    expect(() => P.planBlockCreate(cfg(), spec({ hostingVolume: '../x' }))).toThrow(/volume name/);
    expect(() => P.planBlockCreate(cfg(), spec({ hosts: [] }))).toThrow(/at least one host/);
    expect(() => P.planBlockCreate(cfg(), spec({ hosts: ['10.0.0.1', 'h;x', '10.0.0.3'] }))).toThrow(/hostname/);
    expect(() => P.planBlockCreate(cfg(), spec({ hosts: ['10.0.0.1', '10.0.0.1', '10.0.0.3'] }))).toThrow(/duplicate/);
    expect(() => P.planBlockCreate(cfg(), spec({ hacount: 0 }))).toThrow(/hacount/);
    expect(() => P.planBlockCreate(cfg(), spec({ hacount: 4 }))).toThrow(/hacount/);
    expect(() => P.planBlockCreate(cfg(), spec({ hacount: 1.5 }))).toThrow(/hacount/);
    expect(() => P.planBlockCreate(cfg(), spec({ sizeGiB: 0 }))).toThrow(/size/);
    expect(() => P.planBlockCreate(cfg(), spec({ sizeGiB: -1 }))).toThrow(/size/);
    expect(() => P.planBlockDelete('hv', 'b c')).toThrow(/block volume name/);
    expect(() => P.planBlockModifySize('hv', 'b', 0)).toThrow(/size/);
    expect(() => P.planBlockInfo('h v', 'b')).toThrow(/volume name/);
  });
});
