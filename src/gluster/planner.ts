/**
 * Pure builders of the node commands Heketi runs (behaviour doc §6, §9), as argv arrays.
 * Every value is validated here, so nothing unchecked reaches a node whatever the transport.
 * Rendered with `renderCommand`, the lines match the spec text (see test/unit/planner.test.ts);
 * the only differences are quoting styles that bash reads back to the same argv.
 */
import type { NodeCommandConfig } from '../config.js';
import type { Durability } from '../allocator/types.js';
import type { NodeCommand } from './executor.js';
import {
  parseVolumeOption,
  validateBrickPath,
  validateCount,
  validateDevicePath,
  validateFstabPath,
  validateGid,
  validateHostname,
  validateHostPath,
  validateId,
  validateLvmSize,
  validateLvName,
  validateMountOptions,
  validateNodePath,
  validateSize,
  validateVolumeName,
  validateWrapperWord,
  validateBlockName,
} from './validate.js';

/** Per-command timeouts in seconds (Heketi's minutes × 60, §9.1). */
export const TIMEOUT = {
  device: 5 * 60,
  brickCreate: 10 * 60,
  brickDestroy: 5 * 60,
  glusterdCheck: 10 * 60,
  glusterBlock: 10 * 60,
} as const;

/** gluster CLI commands: max(10, 1 + floor((gluster_cli_timeout + 1) / 60)) minutes. */
export function glusterTimeoutSec(cfg: NodeCommandConfig): number {
  return 60 * Math.max(10, 1 + Math.floor((cfg.glusterCliTimeoutSec + 1) / 60));
}

export const LVM_BIN = '/usr/sbin/lvm';
export const UDEVADM_BIN = '/usr/bin/udevadm';
export const HEKETI_MOUNTS = '/var/lib/heketi/mounts';
export const PV_BY_ID_PREFIX = '/dev/disk/by-id/lvm-pv-uuid-';

// ---------------------------------------------------------------------------------- names

export const vgName = (deviceId: string): string => `vg_${validateId(deviceId, 'device id')}`;
export const thinPoolName = (brickId: string): string => `tp_${validateId(brickId, 'brick id')}`;
export const brickLvName = (brickId: string): string => `brick_${validateId(brickId, 'brick id')}`;
export const vgMountParent = (deviceId: string): string => `${HEKETI_MOUNTS}/${vgName(deviceId)}`;
export const brickMountPoint = (deviceId: string, brickId: string): string => `${vgMountParent(deviceId)}/${brickLvName(brickId)}`;
export const brickPath = (deviceId: string, brickId: string): string => `${brickMountPoint(deviceId, brickId)}/brick`;

/** device-mapper node of an LV: `-` inside VG/LV names is doubled, as LVM does. */
export function dmDevNode(vg: string, lv: string): string {
  return `/dev/mapper/${vg.replace(/-/g, '--')}-${lv.replace(/-/g, '--')}`;
}

/** The mount point of a brick: its gluster path without the trailing `/brick`. */
export function mountPointOf(path: string): string {
  validateNodePath(path);
  return path.endsWith('/brick') ? path.slice(0, -'/brick'.length) : path;
}

/** Clone bricks live where glusterd mounted them; glusterd, not fstab, owns those mounts. */
export function isGlusterdManagedMount(mountPoint: string): boolean {
  return mountPoint.startsWith('/run/gluster/') || mountPoint.startsWith('/var/run/gluster/');
}

// ---------------------------------------------------------------------------------- prefixes

const cmd = (argv: string[], timeoutSec: number, allowFailure = false): NodeCommand =>
  allowFailure ? { argv, timeoutSec, allowFailure } : { argv, timeoutSec };

function wrapperWords(cfg: NodeCommandConfig): string[] {
  const w = cfg.lvmWrapper.trim();
  return w === '' ? [] : w.split(/\s+/).map(validateWrapperWord);
}

/** `[lvm_wrapper words...] /usr/sbin/lvm <args>` */
export function lvmArgv(cfg: NodeCommandConfig, ...args: string[]): string[] {
  return [...wrapperWords(cfg), LVM_BIN, ...args];
}

/** `gluster --mode=script --timeout=<gluster_cli_timeout> <args>` */
export function glusterArgv(cfg: NodeCommandConfig, ...args: string[]): string[] {
  return ['gluster', '--mode=script', `--timeout=${validateSize(cfg.glusterCliTimeoutSec, 'gluster_cli_timeout')}`, ...args];
}

const yn = (cfg: NodeCommandConfig): string => (cfg.backupLvmMetadata ? 'y' : 'n');
const gluster = (cfg: NodeCommandConfig, ...args: string[]): NodeCommand => cmd(glusterArgv(cfg, ...args), glusterTimeoutSec(cfg));

// ---------------------------------------------------------------------------------- health / peers

export function planGlusterdCheck(): NodeCommand[] {
  return [cmd(['systemctl', 'status', 'glusterd'], TIMEOUT.glusterdCheck)];
}

/** Probe from an existing member; then the snapshot limit when configured (§6.1). */
export function planPeerProbe(cfg: NodeCommandConfig, storageHost: string): NodeCommand[] {
  const out = [gluster(cfg, 'peer', 'probe', validateHostname(storageHost))];
  if (validateCount(cfg.snapshotLimit, 'snapshot_limit') > 0) {
    out.push(gluster(cfg, 'snapshot', 'config', 'snap-max-hard-limit', String(cfg.snapshotLimit)));
  }
  return out;
}

export function planPeerDetach(cfg: NodeCommandConfig, storageHost: string): NodeCommand[] {
  return [gluster(cfg, 'peer', 'detach', validateHostname(storageHost))];
}

// ---------------------------------------------------------------------------------- devices

/** `[wipefs --all]`, pvcreate, vgcreate — one batch (§6.3). */
export function planDeviceSetup(cfg: NodeCommandConfig, a: { deviceId: string; device: string; wipe: boolean }): NodeCommand[] {
  const dev = validateDevicePath(a.device);
  const t = TIMEOUT.device;
  const out: NodeCommand[] = [];
  if (a.wipe) out.push(cmd(['wipefs', '--all', '--', dev], t));
  out.push(cmd(lvmArgv(cfg, 'pvcreate', '-qq', '--metadatasize=128M', `--dataalignment=${validateLvmSize(cfg.pvDataAlignment, 'pv_data_alignment')}`, '--', dev), t));
  out.push(
    cmd(
      lvmArgv(cfg, 'vgcreate', '-qq', `--physicalextentsize=${validateLvmSize(cfg.vgPhysicalExtentSize, 'vg_physicalextentsize')}`, `--autobackup=${yn(cfg)}`, '--', vgName(a.deviceId), dev),
      t,
    ),
  );
  return out;
}

/**
 * The device handle pair: pvs (PV UUID) and udevadm (symlinks). Both allowFailure so the caller
 * sees each result; only a rejected batch means the node could not be asked at all.
 */
export function planDeviceHandle(cfg: NodeCommandConfig, device: string): NodeCommand[] {
  const dev = validateDevicePath(device);
  return [
    cmd(lvmArgv(cfg, 'pvs', '-o', 'pv_name,pv_uuid,vg_name', '--reportformat=json', '--', dev), TIMEOUT.device, true),
    cmd([...wrapperWords(cfg), UDEVADM_BIN, 'info', '--query=symlink', `--name=${dev}`], TIMEOUT.device, true),
  ];
}

/** PV UUID of a VG, for devices whose UUID we never learned (§6.4). */
export function planVgPvInfo(cfg: NodeCommandConfig, deviceId: string): NodeCommand[] {
  return [cmd(lvmArgv(cfg, 'vgs', '-o', 'pv_name,pv_uuid,vg_name', '--reportformat=json', '--', vgName(deviceId)), TIMEOUT.device)];
}

export function planVgDisplay(cfg: NodeCommandConfig, deviceId: string): NodeCommand[] {
  return [cmd(lvmArgv(cfg, 'vgdisplay', '-c', '--', vgName(deviceId)), TIMEOUT.device)];
}

/** vgremove + pvremove, one batch. `pvPath` is the by-id path when the PV UUID is known. */
export function planDeviceRemove(cfg: NodeCommandConfig, deviceId: string, pvPath: string): NodeCommand[] {
  return [cmd(lvmArgv(cfg, 'vgremove', '-qq', '--', vgName(deviceId)), TIMEOUT.device), ...planPvRemove(cfg, pvPath)];
}

export function planPvRemove(cfg: NodeCommandConfig, pvPath: string): NodeCommand[] {
  return [cmd(lvmArgv(cfg, 'pvremove', '-qq', '--', validateDevicePath(pvPath)), TIMEOUT.device)];
}

export function planDeviceMountParentRemove(deviceId: string): NodeCommand[] {
  return [cmd(['rmdir', '--', vgMountParent(deviceId)], TIMEOUT.device)];
}

// ---------------------------------------------------------------------------------- bricks

export interface BrickCreateSpec {
  id: string;
  deviceId: string;
  /** Virtual (thin LV) size, KiB. */
  size: number;
  /** Thin pool size, KiB. */
  tpSize: number;
  /** Thin pool metadata size, KiB. */
  poolMetadataSize: number;
  arbiter: boolean;
  gid: number;
  /** Gluster brick path: `<mount point>/brick`. */
  path: string;
}

/** The brick-create batch of §9.3. */
export function planBrickCreate(cfg: NodeCommandConfig, b: BrickCreateSpec): NodeCommand[] {
  const vg = vgName(b.deviceId);
  const lv = brickLvName(b.id);
  const tp = thinPoolName(b.id);
  const path = validateBrickPath(b.path);
  if (!path.endsWith('/brick')) throw new Error(`invalid brick path ${JSON.stringify(path)}: must end with /brick`);
  const mount = mountPointOf(path);
  const size = validateSize(b.size, 'brick size');
  const tpSize = validateSize(b.tpSize, 'thin pool size');
  const meta = validateSize(b.poolMetadataSize, 'pool metadata size');
  // Heketi requires TpSize >= Size (snapshot factor >= 1).
  if (tpSize < size) throw new Error(`invalid thin pool size ${tpSize}: smaller than brick size ${size}`);
  const gid = validateGid(b.gid);
  const fstab = validateFstabPath(cfg.fstab);
  const opts = validateMountOptions(cfg.mountOpts);
  const dev = dmDevNode(vg, lv);
  const chunk = b.arbiter ? '256K' : validateLvmSize(cfg.lvChunkSize, 'lv_chunksize');
  const t = TIMEOUT.brickCreate;

  let mkfs: string[];
  if (b.arbiter) {
    mkfs = ['mkfs.xfs', '-i', 'maxpct=100', '-n', 'size=8192', '--', dev];
  } else if (cfg.xfsSu !== 0 && cfg.xfsSw !== 0) {
    const su = validateSize(cfg.xfsSu, 'xfs_su');
    const sw = validateSize(cfg.xfsSw, 'xfs_sw');
    mkfs = ['mkfs.xfs', '-i', 'size=512', '-d', `su=${su},sw=${sw}`, '-n', 'size=8192', '--', dev];
  } else {
    mkfs = ['mkfs.xfs', '-i', 'size=512', '-n', 'size=8192', '--', dev];
  }

  const out: NodeCommand[] = [
    cmd(['mkdir', '-p', '--', mount], t),
    // Heketi's order with the `<vg>/<pool>` operand moved behind `--`.
    cmd(
      lvmArgv(cfg, 'lvcreate', '-qq', `--autobackup=${yn(cfg)}`, '--poolmetadatasize', `${meta}K`, '--chunksize', chunk, '--size', `${tpSize}K`, '--thin', '--virtualsize', `${size}K`, '--name', lv, '--', `${vg}/${tp}`),
      t,
    ),
    cmd(mkfs, t),
    // One awk program argument, as Heketi's shell line hands it to awk. All parts are validated to
    // safe characters, so nothing can close the awk string.
    cmd(['awk', `BEGIN {print "${dev} ${mount} xfs ${opts} 1 2" >> "${fstab}"}`], t),
    cmd(['mount', '-o', opts, '--', dev, mount], t),
    cmd(['mkdir', '--', path], t),
  ];
  if (gid !== 0) {
    out.push(cmd(['chown', '--', `:${gid}`, path], t), cmd(['chmod', '--', '2775', path], t));
  }
  return out;
}

// Brick destroy is a sequence of decisions (§9.4), so each step is its own builder.

export function planUmount(mountPoint: string): NodeCommand[] {
  return [cmd(['umount', '--', validateNodePath(mountPoint)], TIMEOUT.brickDestroy)];
}

export function planMountList(): NodeCommand[] {
  return [cmd(['mount'], TIMEOUT.brickDestroy)];
}

export function planLsof(mountPoint: string): NodeCommand[] {
  return [cmd(['lsof', '--', validateNodePath(mountPoint)], TIMEOUT.brickDestroy, true)];
}

/** Removes the brick's fstab line (`sed -i.save "/brick_<B>/d" <fstab>`). */
export function planFstabRemove(cfg: NodeCommandConfig, brickId: string): NodeCommand[] {
  return [cmd(['sed', '-i.save', '--', `/${brickLvName(brickId)}/d`, validateFstabPath(cfg.fstab)], TIMEOUT.brickDestroy)];
}

export function planLvRemove(cfg: NodeCommandConfig, deviceId: string, lv: string): NodeCommand[] {
  return [cmd(lvmArgv(cfg, 'lvremove', `--autobackup=${yn(cfg)}`, '-f', '--', `${vgName(deviceId)}/${validateLvName(lv)}`), TIMEOUT.brickDestroy)];
}

export function planThinCount(cfg: NodeCommandConfig, deviceId: string, pool: string): NodeCommand[] {
  return [cmd(lvmArgv(cfg, 'lvs', '--noheadings', '--options=thin_count', '--', `${vgName(deviceId)}/${validateLvName(pool)}`), TIMEOUT.brickDestroy)];
}

export function planRmdir(path: string): NodeCommand[] {
  return [cmd(['rmdir', '--', validateNodePath(path)], TIMEOUT.brickDestroy)];
}

// ---------------------------------------------------------------------------------- volumes

/** The same effective durability the allocator places by (one definition for both). */
export type VolumeDurability = Durability;

export interface HostBrick {
  /** Storage hostname of the brick's node. */
  host: string;
  path: string;
}

function hostPath(b: HostBrick): string {
  return `${validateHostname(b.host)}:${validateBrickPath(b.path)}`;
}

/** Bricks per set and sets per add-brick command (§9.5). */
export function setGeometry(d: VolumeDurability): { setSize: number; setsPerCommand: number } {
  switch (d.type) {
    case 'none':
      return { setSize: 1, setsPerCommand: 15 };
    case 'replicate': {
      const r = validateSize(d.replica, 'replica count');
      if (d.arbiter && r !== 3) throw new Error(`invalid durability: arbiter needs replica 3, got replica ${r}`);
      return { setSize: r, setsPerCommand: 5 };
    }
    case 'disperse':
      return { setSize: validateSize(d.data, 'disperse data count') + validateSize(d.redundancy, 'disperse redundancy count'), setsPerCommand: 1 };
    default:
      throw new Error(`invalid durability type ${JSON.stringify((d as { type: unknown }).type)}`);
  }
}

function checkBrickCount(d: VolumeDurability, n: number): number {
  const { setSize } = setGeometry(d);
  if (n === 0 || n % setSize !== 0) throw new Error(`invalid brick list: ${n} bricks is not a positive multiple of the set size ${setSize}`);
  return setSize;
}

/** `volume add-brick` commands for `bricks`, grouped as Heketi does. */
export function planAddBricks(cfg: NodeCommandConfig, name: string, d: VolumeDurability, bricks: HostBrick[]): NodeCommand[] {
  const vol = validateVolumeName(name);
  const setSize = checkBrickCount(d, bricks.length);
  const group = setSize * setGeometry(d).setsPerCommand;
  const out: NodeCommand[] = [];
  for (let i = 0; i < bricks.length; i += group) {
    out.push(gluster(cfg, 'volume', 'add-brick', vol, ...bricks.slice(i, i + group).map(hostPath)));
  }
  return out;
}

/**
 * Key/value pairs per `volume set`: gluster's CLI takes several pairs in one command
 * (`volume set <vol> <k1> <v1> <k2> <v2> …`, staged all-or-nothing), so a volume's options cost
 * a few commands, not one each; bounded to keep a command line short.
 */
export const OPTIONS_PER_SET = 32;

/**
 * `volume set` for the non-empty stored options in order, batched, then `user.heketi.id` on its
 * own when given. `group <profile>` always gets its own command: gluster refuses it among others.
 */
export function planVolumeOptions(cfg: NodeCommandConfig, name: string, options: readonly string[], volumeId?: string): NodeCommand[] {
  const vol = validateVolumeName(name);
  const out: NodeCommand[] = [];
  let pairs: string[] = [];
  const flush = () => {
    if (pairs.length > 0) out.push(gluster(cfg, 'volume', 'set', vol, ...pairs));
    pairs = [];
  };
  for (const opt of options) {
    const kv = parseVolumeOption(opt);
    if (!kv) continue;
    if (kv[0] === 'group') {
      flush();
      out.push(gluster(cfg, 'volume', 'set', vol, ...kv));
      continue;
    }
    pairs.push(...kv);
    if (pairs.length === 2 * OPTIONS_PER_SET) flush();
  }
  flush();
  if (volumeId !== undefined) out.push(gluster(cfg, 'volume', 'set', vol, 'user.heketi.id', validateId(volumeId, 'volume id')));
  return out;
}

export interface VolumeCreateSpec {
  id: string;
  name: string;
  durability: VolumeDurability;
  /** In gluster order (set after set). */
  bricks: HostBrick[];
  /** Stored option strings ("key value"); empty entries are skipped. */
  options: readonly string[];
}

/** The create-volume batch of §4.8: create (first set), add-bricks, sets, id tag, start. */
export function planVolumeCreate(cfg: NodeCommandConfig, v: VolumeCreateSpec): NodeCommand[] {
  const vol = validateVolumeName(v.name);
  const d = v.durability;
  const setSize = checkBrickCount(d, v.bricks.length);
  const layout: string[] = [];
  if (d.type === 'replicate') {
    layout.push('replica', String(d.replica));
    if (d.arbiter) layout.push('arbiter', '1');
  } else if (d.type === 'disperse') {
    layout.push('disperse-data', String(d.data), 'redundancy', String(d.redundancy));
  }
  const out = [gluster(cfg, 'volume', 'create', vol, ...layout, ...v.bricks.slice(0, setSize).map(hostPath))];
  if (v.bricks.length > setSize) out.push(...planAddBricks(cfg, vol, d, v.bricks.slice(setSize)));
  out.push(...planVolumeOptions(cfg, vol, v.options, v.id));
  out.push(gluster(cfg, 'volume', 'start', vol));
  return out;
}

/** `volume stop <vol> force` (failure ignored) then `volume delete <vol>`: one batch. */
export function planVolumeDestroy(cfg: NodeCommandConfig, name: string): NodeCommand[] {
  const vol = validateVolumeName(name);
  return [{ ...gluster(cfg, 'volume', 'stop', vol, 'force'), allowFailure: true }, gluster(cfg, 'volume', 'delete', vol)];
}

/** add-brick groups, then `volume rebalance <vol> start` whose failure is ignored (§5.1). */
export function planVolumeExpand(cfg: NodeCommandConfig, name: string, d: VolumeDurability, bricks: HostBrick[]): NodeCommand[] {
  const out = planAddBricks(cfg, name, d, bricks);
  if (cfg.rebalanceOnExpansion) out.push(planRebalanceStart(cfg, name)[0]!);
  return out;
}

export function planRebalanceStart(cfg: NodeCommandConfig, name: string): NodeCommand[] {
  return [{ ...gluster(cfg, 'volume', 'rebalance', validateVolumeName(name), 'start'), allowFailure: true }];
}

export function planReplaceBrick(cfg: NodeCommandConfig, name: string, oldBrick: string, newBrick: string): NodeCommand[] {
  const o = validateHostPath(oldBrick);
  const n = validateHostPath(newBrick);
  return [gluster(cfg, 'volume', 'replace-brick', validateVolumeName(name), `${o.host}:${o.path}`, `${n.host}:${n.path}`, 'commit', 'force')];
}

export function planVolumeStatus(cfg: NodeCommandConfig, name: string): NodeCommand[] {
  return [gluster(cfg, 'volume', 'status', validateVolumeName(name), '--xml')];
}

export function planVolumeInfo(cfg: NodeCommandConfig, name?: string): NodeCommand[] {
  return [name === undefined ? gluster(cfg, 'volume', 'info', '--xml') : gluster(cfg, 'volume', 'info', validateVolumeName(name), '--xml')];
}

export function planHealInfo(cfg: NodeCommandConfig, name: string): NodeCommand[] {
  return [gluster(cfg, 'volume', 'heal', validateVolumeName(name), 'info', '--xml')];
}

// ---------------------------------------------------------------------------------- snapshots (clone, §5.3)

export function planSnapshotCreate(cfg: NodeCommandConfig, snap: string, volume: string): NodeCommand[] {
  return [gluster(cfg, '--xml', 'snapshot', 'create', validateVolumeName(snap), validateVolumeName(volume), 'no-timestamp')];
}

export function planSnapshotActivate(cfg: NodeCommandConfig, snap: string): NodeCommand[] {
  return [gluster(cfg, '--xml', 'snapshot', 'activate', validateVolumeName(snap))];
}

export function planSnapshotClone(cfg: NodeCommandConfig, clone: string, snap: string): NodeCommand[] {
  return [gluster(cfg, '--xml', 'snapshot', 'clone', validateVolumeName(clone), validateVolumeName(snap))];
}

export function planCloneStart(cfg: NodeCommandConfig, clone: string): NodeCommand[] {
  return [gluster(cfg, '--xml', 'volume', 'start', validateVolumeName(clone))];
}

export function planSnapshotDeactivate(cfg: NodeCommandConfig, snap: string): NodeCommand[] {
  return [gluster(cfg, '--xml', 'snapshot', 'deactivate', validateVolumeName(snap))];
}

export function planSnapshotDelete(cfg: NodeCommandConfig, snap: string): NodeCommand[] {
  return [gluster(cfg, '--xml', 'snapshot', 'delete', validateVolumeName(snap))];
}

// ---------------------------------------------------------------------------------- examiner (§9.6)

/** pvs, vgs, lvs, mount, cat fstab, volume info — all allowFailure so one report shows all. */
export function planExamine(cfg: NodeCommandConfig): NodeCommand[] {
  const t = glusterTimeoutSec(cfg);
  return [
    cmd(lvmArgv(cfg, 'pvs', '--reportformat', 'json', '--units', 'k'), t, true),
    cmd(lvmArgv(cfg, 'vgs', '--reportformat', 'json', '--units', 'k'), t, true),
    cmd(lvmArgv(cfg, 'lvs', '--reportformat', 'json', '--units', 'k'), t, true),
    cmd(['mount'], t, true),
    cmd(['cat', '--', validateFstabPath(cfg.fstab)], t, true),
    { ...gluster(cfg, 'volume', 'info', '--xml'), allowFailure: true },
  ];
}

export function planBlockList(hostingVolume: string): NodeCommand[] {
  return [cmd(['gluster-block', 'list', validateVolumeName(hostingVolume), '--json'], TIMEOUT.glusterBlock)];
}

// ---------------------------------------------------------------------------------- gluster-block (§8)

/** `<hosting volume>/<block volume>`: both are gluster-style names. */
function blockTarget(hostingVolume: string, name: string): string {
  return `${validateVolumeName(hostingVolume)}/${validateBlockName(name)}`;
}

const PREALLOC = /^[a-zA-Z0-9_-]+$/;

export interface BlockCreateSpec {
  /** Gluster name of the block-hosting volume. */
  hostingVolume: string;
  name: string;
  /** Number of hosts exporting the target: 1 ≤ hacount ≤ hosts.length. */
  hacount: number;
  auth: boolean;
  /** Storage hostnames, in the order given to gluster-block. */
  hosts: string[];
  sizeGiB: number;
}

/**
 * `gluster-block create <hv>/<name> ha <n> auth <enable|disable> prealloc <p> <h1,h2,...> <size>GiB --json`.
 * `prealloc` is the config's `block_prealloc` (already defaulted to `full` when invalid; checked again).
 */
export function planBlockCreate(cfg: NodeCommandConfig, b: BlockCreateSpec): NodeCommand[] {
  const target = blockTarget(b.hostingVolume, b.name);
  if (!Array.isArray(b.hosts) || b.hosts.length === 0) throw new Error('invalid block hosts: at least one host is required');
  const hosts = b.hosts.map((h) => validateHostname(h));
  if (new Set(hosts).size !== hosts.length) throw new Error(`invalid block hosts ${JSON.stringify(hosts)}: duplicate host`);
  const ha = validateSize(b.hacount, 'hacount');
  if (ha > hosts.length) throw new Error(`invalid hacount ${ha}: more than the ${hosts.length} hosts given`);
  const prealloc = typeof cfg.blockPrealloc === 'string' && PREALLOC.test(cfg.blockPrealloc) && !cfg.blockPrealloc.startsWith('-') ? cfg.blockPrealloc : 'full';
  const size = validateSize(b.sizeGiB, 'block volume size');
  return [
    cmd(
      ['gluster-block', 'create', target, 'ha', String(ha), 'auth', b.auth ? 'enable' : 'disable', 'prealloc', prealloc, hosts.join(','), `${size}GiB`, '--json'],
      TIMEOUT.glusterBlock,
    ),
  ];
}

export function planBlockDelete(hostingVolume: string, name: string): NodeCommand[] {
  return [cmd(['gluster-block', 'delete', blockTarget(hostingVolume, name), '--json'], TIMEOUT.glusterBlock)];
}

/** Heketi's line has two spaces before `size` (`modify <hv>/<name>  size <n>GiB`): the same argv. */
export function planBlockModifySize(hostingVolume: string, name: string, newSizeGiB: number): NodeCommand[] {
  return [cmd(['gluster-block', 'modify', blockTarget(hostingVolume, name), 'size', `${validateSize(newSizeGiB, 'block volume size')}GiB`, '--json'], TIMEOUT.glusterBlock)];
}

export function planBlockInfo(hostingVolume: string, name: string): NodeCommand[] {
  return [cmd(['gluster-block', 'info', blockTarget(hostingVolume, name), '--json'], TIMEOUT.glusterBlock)];
}

// ---------------------------------------------------------------------------------- configuration

/**
 * Plans, with sample operands, every command that reads the node-command configuration: a value
 * the planner refuses (fstab path, mount options, LVM sizes, lvm_wrapper, gluster_cli_timeout, …)
 * would make every such command fail, so it is found once, at start. Throws the planner's error.
 */
export function checkCommandConfig(cfg: NodeCommandConfig): void {
  const id = '0'.repeat(32);
  const brick = { id, deviceId: id, size: 1048576, tpSize: 1048576, poolMetadataSize: 8192, gid: 0, path: brickPath(id, id) };
  planPeerProbe(cfg, '127.0.0.1');
  planDeviceSetup(cfg, { deviceId: id, device: '/dev/sdb', wipe: false });
  for (const arbiter of [false, true]) planBrickCreate(cfg, { ...brick, arbiter });
  planFstabRemove(cfg, id);
  planExamine(cfg);
}
