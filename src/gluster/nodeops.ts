/**
 * NodeOps: the node-level operations the rest of the server uses (Heketi's executor interface).
 * Composes the planner (what to run), a CommandRunner (ssh, kubectl or the mock) and the
 * parsers, and reproduces Heketi's decisions and error texts (behaviour doc §6, §7, §9).
 */
import type { NodeCommandConfig } from '../config.js';
import { newId } from '../ids.js';
import { CommandError, failureText, type CommandResult, type CommandRunner, type NodeCommand } from './executor.js';
import {
  parseGlusterOpResult,
  parseHealInfoXml,
  parseLvsReport,
  parseMountOutput,
  parsePvsReport,
  parsePvUuid,
  parseThinCount,
  parseUdevPaths,
  parseVgDisplay,
  parseVgsReport,
  parseVolumeInfoXml,
  parseVolumeStatusXml,
  type GlusterVolume,
  type HealBrick,
  type LvRow,
  type MountEntry,
  type PvRow,
  type VgDisplayInfo,
  type VgRow,
} from './parse.js';
import {
  brickLvName,
  isGlusterdManagedMount,
  mountPointOf,
  planAddBricks,
  planBlockCreate,
  planBlockDelete,
  planBlockInfo,
  planBlockModifySize,
  planBrickCreate,
  planCloneStart,
  planDeviceHandle,
  planDeviceMountParentRemove,
  planDeviceRemove,
  planDeviceSetup,
  planExamine,
  planFstabRemove,
  planGlusterdCheck,
  planHealInfo,
  planLsof,
  planLvRemove,
  planMountList,
  planPeerDetach,
  planPeerProbe,
  planPvRemove,
  planRebalanceStart,
  planVolumeStatus,
  planReplaceBrick,
  planRmdir,
  planSnapshotActivate,
  planSnapshotClone,
  planSnapshotCreate,
  planSnapshotDeactivate,
  planSnapshotDelete,
  planThinCount,
  planUmount,
  planVgDisplay,
  planVgPvInfo,
  planVolumeCreate,
  planVolumeDestroy,
  planVolumeInfo,
  planVolumeOptions,
  PV_BY_ID_PREFIX,
  thinPoolName,
  vgName,
  type BlockCreateSpec,
  type BrickCreateSpec,
  type HostBrick,
  type VolumeDurability,
} from './planner.js';
import { ValidationError, validateDevicePath, validateHostname, validateHostPath, validateId, validateVolumeName } from './validate.js';

export type { VolumeDurability, HostBrick, BrickCreateSpec, BlockCreateSpec } from './planner.js';

/**
 * A device could not be initialised (Heketi's DeviceNotAvailableErr). The message is the API
 * text; the fields drive the destroydata decision.
 */
export class DeviceNotAvailableError extends Error {
  constructor(
    readonly path: string,
    readonly original: Error,
    /** False when the node could not even be asked what is on the device. */
    readonly connectionOk: boolean,
    /** Set when the device already carries an LVM PV (its UUID may be '' on the mock). */
    readonly currentPv?: { uuid: string; paths: string[] },
  ) {
    const head = `Initializing device ${path} failed`;
    super(
      !connectionOk
        ? `${head} (failed to check device contents): ${original.message}`
        : currentPv
          ? `${head} (aleady contains Physical Volume ${currentPv.uuid}): ${original.message}` // sic, Heketi's text
          : `${head} (already initialized or contains data?): ${original.message}`,
    );
    this.name = 'DeviceNotAvailableError';
  }
}

/** Node unreachable while reading the device handle (Heketi's connectionErr). */
class HandleConnectionError extends Error {}

export interface DeviceSetupArgs {
  manageHost: string;
  deviceId: string;
  deviceName: string;
  destroyData: boolean;
  /**
   * PV UUID → device id of every device in the DB that has a UUID (the new one excluded).
   * Used only for the destroydata safety check (§6.3).
   */
  knownPvUuids: Map<string, string>;
  /**
   * How many devices in the DB have no PV UUID. Heketi refuses destroydata on a disk holding a
   * PV when any exist (it cannot prove the PV is not theirs). Default 0.
   */
  devicesWithoutPvUuid?: number;
}

export interface DeviceSetupResult {
  /** KiB, from vgdisplay. */
  total: number;
  free: number;
  used: number;
  extentSize: number;
  /** '' when LVM reported none (the mock). */
  pvUuid: string;
  /** udev symlinks + the name; [] when udevadm is not available. */
  paths: string[];
}

export interface DeviceTeardownArgs {
  manageHost: string;
  deviceId: string;
  deviceName: string;
  /** '' when unknown: then the VG is asked for it first. */
  pvUuid: string;
  paths: string[];
  /** forceforget: best effort, never throws. */
  force: boolean;
}

export interface DeviceResyncArgs {
  manageHost: string;
  deviceId: string;
  deviceName: string;
  pvUuid?: string;
  paths?: string[];
}

export interface BrickDestroySpec {
  id: string;
  deviceId: string;
  /** Gluster brick path (`<mount point>/brick`). */
  path: string;
  /** LV name when not `brick_<id>` (clone bricks). */
  lvName?: string;
  /** Thin pool when not `tp_<id>` (clone bricks share the source brick's pool). */
  thinPool?: string;
}

export interface VolumeCreateArgs {
  id: string;
  name: string;
  durability: VolumeDurability;
  /** In gluster order. */
  bricks: HostBrick[];
  /** Stored option strings ("key value"); empty entries are skipped. */
  options: string[];
}

export interface VolumeRef {
  name: string;
  durability: VolumeDurability;
}

export interface CloneResult {
  /** The clone's gluster volume UUID (with dashes). */
  id: string;
  name: string;
  /** LV name of every clone brick: `{id without dashes}_0` (Heketi's convention); the pool is the source brick's. */
  lvName: string;
  /** `host:path` in gluster order, matching the source bricks by position. */
  bricks: string[];
}

export interface ExamineReport {
  host: string;
  pvs?: PvRow[];
  vgs?: VgRow[];
  lvs?: LvRow[];
  mounts?: MountEntry[];
  fstab?: string[];
  volumes?: GlusterVolume[];
  /** One entry per part that could not be read. */
  errors: string[];
}

/** What `gluster-block create` reported (Heketi keeps the request's host list, not the portals). */
export interface BlockCreateResult {
  iqn: string;
  username: string;
  password: string;
  /** `PORTAL(S)` as printed (`host:3260`). */
  portals: string[];
}

/** `gluster-block info` as Heketi reads it (executors.BlockVolumeInfo). */
export interface BlockInfoResult {
  name: string;
  hostingVolume: string;
  gbid: string;
  /** `iqn.2016-12.org.gluster-block:<GBID>` */
  iqn: string;
  /** Configured size in GiB (`SIZE`). */
  sizeGiB: number;
  /** Smallest size of the nodes listed in `RESIZE FAILED ON`; undefined when none failed. */
  usableSizeGiB?: number;
  ha: number;
  /** Heketi reports the GBID as the user name. */
  username: string;
  password: string;
  /** `EXPORTED ON` */
  hosts: string[];
}

const errMsg = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const isNotFound = (e: unknown): boolean => /not found|failed to find/i.test(errMsg(e));

/** Error with Heketi's wording and the node failure kept as `cause` for logs. */
function wrap(message: string, cause: unknown): Error {
  return new Error(message, { cause });
}

/** How long an expansion waits for its new bricks to come online before the rebalance. */
const BRICK_ONLINE_WAIT_MS = 30_000;

export class NodeOps {
  constructor(
    private readonly runner: CommandRunner,
    private readonly cfg: NodeCommandConfig,
  ) {}

  private run(host: string, commands: NodeCommand[]): Promise<CommandResult[]> {
    return this.runner.run(validateHostname(host), commands).catch((e: unknown) => {
      throw glusterStdoutError(e);
    });
  }

  /** Runs a single command and returns its stdout (rejects with the CommandError). */
  private async out(host: string, commands: NodeCommand[]): Promise<string> {
    const r = await this.run(host, commands);
    return r[r.length - 1]?.stdout ?? '';
  }

  // ------------------------------------------------------------------------------ health / peers

  /**
   * `systemctl status glusterd` exits 0. Unreachable nodes count as not running, and so does a
   * stored hostname the executor refuses (a node imported from an older Heketi DB).
   */
  async glusterdRunning(manageHost: string): Promise<boolean> {
    try {
      await this.run(manageHost, planGlusterdCheck());
      return true;
    } catch (e) {
      if (e instanceof CommandError || e instanceof ValidationError) return false;
      throw e;
    }
  }

  async peerProbe(onManageHost: string, newStorageHost: string): Promise<void> {
    await this.run(onManageHost, planPeerProbe(this.cfg, newStorageHost));
  }

  /** The caller ignores errors (Heketi does). */
  async peerDetach(onManageHost: string, storageHost: string): Promise<void> {
    await this.run(onManageHost, planPeerDetach(this.cfg, storageHost));
  }

  // ------------------------------------------------------------------------------ devices

  async deviceSetup(a: DeviceSetupArgs): Promise<DeviceSetupResult> {
    const host = validateHostname(a.manageHost);
    const dev = validateDevicePath(a.deviceName);
    validateId(a.deviceId, 'device id');
    // Planned up front so a config/validation error is never mistaken for a device problem.
    const setup = planDeviceSetup(this.cfg, { deviceId: a.deviceId, device: dev, wipe: false });
    const wipeAndSetup = planDeviceSetup(this.cfg, { deviceId: a.deviceId, device: dev, wipe: true });

    try {
      await this.run(host, setup);
    } catch (e) {
      const derr = await this.classifySetupError(e, host, dev);
      if (!a.destroyData) throw derr;
      const refusal = allowDestroy(derr, a.knownPvUuids, a.devicesWithoutPvUuid ?? 0);
      if (refusal) throw refusal;
      try {
        await this.run(host, wipeAndSetup);
      } catch (e2) {
        throw await this.classifySetupError(e2, host, dev);
      }
    }

    // The VG exists from here on: any failure removes it again.
    try {
      const handle = await this.deviceHandle(host, dev);
      const vg = parseVgDisplay(await this.out(host, planVgDisplay(this.cfg, a.deviceId)));
      return { ...vg, pvUuid: handle.uuid, paths: handle.paths };
    } catch (e) {
      await this.deviceTeardown({ manageHost: host, deviceId: a.deviceId, deviceName: dev, pvUuid: '', paths: [], force: false }).catch(() => undefined);
      throw e;
    }
  }

  /** pvs + udevadm on the device (§6.3). Throws HandleConnectionError when the node did not answer. */
  private async deviceHandle(host: string, dev: string): Promise<{ uuid: string; paths: string[] }> {
    let r: CommandResult[];
    try {
      r = await this.run(host, planDeviceHandle(this.cfg, dev));
    } catch (e) {
      throw new HandleConnectionError(`failed to get device handle: ${errMsg(e)}`, { cause: e });
    }
    const [pvs, udev] = r;
    if (!pvs || pvs.exitCode !== 0) throw new Error(`failed to read PV data for ${dev} [${pvs ? failureText(pvs) : 'not run'}]`);
    const uuid = parsePvUuid(pvs.stdout);
    // Heketi falls back to [dev] when udevadm fails; we report no paths, like Heketi's mock.
    const paths = udev && udev.exitCode === 0 ? parseUdevPaths(udev.stdout, dev) : [];
    return { uuid, paths };
  }

  private async classifySetupError(e: unknown, host: string, dev: string): Promise<DeviceNotAvailableError> {
    const original = e instanceof Error ? e : new Error(String(e));
    try {
      const h = await this.deviceHandle(host, dev);
      return new DeviceNotAvailableError(dev, original, true, h);
    } catch (he) {
      return new DeviceNotAvailableError(dev, original, !(he instanceof HandleConnectionError));
    }
  }

  async deviceTeardown(a: DeviceTeardownArgs): Promise<void> {
    const host = validateHostname(a.manageHost);
    validateId(a.deviceId, 'device id');
    let uuid = a.pvUuid;
    if (uuid === '') {
      // Old devices lack a UUID: ask the VG (failure ignored, §6.4).
      try {
        uuid = parsePvUuid(await this.out(host, planVgPvInfo(this.cfg, a.deviceId)));
      } catch {
        uuid = '';
      }
    }
    const path = uuid !== '' ? `${PV_BY_ID_PREFIX}${uuid}` : (a.paths[0] ?? a.deviceName);
    const remove = async () => {
      try {
        await this.run(host, planDeviceRemove(this.cfg, a.deviceId, path));
      } catch (e) {
        // Without udev (e.g. a container without udevd) the by-id link is missing: vgremove
        // succeeded, pvremove did not find the PV. Remove it by name if it is that same PV.
        if (path.startsWith(PV_BY_ID_PREFIX) && /No device found for/.test(errMsg(e))) {
          const byName = await this.deviceHandle(host, a.deviceName).catch(() => undefined);
          if (byName?.uuid === uuid) {
            try {
              await this.run(host, planPvRemove(this.cfg, a.deviceName));
              return;
            } catch (e2) {
              throw wrap(`Failed to delete device ${a.deviceName} with id ${a.deviceId} on host ${host}: ${errMsg(e2)}`, e2);
            }
          }
        }
        throw wrap(`Failed to delete device ${path} with id ${a.deviceId} on host ${host}: ${errMsg(e)}`, e);
      }
    };
    const rmdir = () => this.run(host, planDeviceMountParentRemove(a.deviceId)).then(() => undefined, () => undefined);
    if (a.force) {
      await rmdir();
      await remove().catch(() => undefined);
      return;
    }
    await remove();
    await rmdir();
  }

  async deviceResyncInfo(a: DeviceResyncArgs): Promise<VgDisplayInfo> {
    const host = validateHostname(a.manageHost);
    validateId(a.deviceId, 'device id');
    let uuid = a.pvUuid ?? '';
    if (uuid === '') {
      try {
        uuid = parsePvUuid(await this.out(host, planVgPvInfo(this.cfg, a.deviceId)));
      } catch {
        uuid = '';
      }
    }
    const path = uuid !== '' ? `${PV_BY_ID_PREFIX}${uuid}` : (a.paths?.[0] ?? validateDevicePath(a.deviceName));
    try {
      await this.deviceHandle(host, path);
    } catch (e) {
      // Without udev the by-id link does not exist: the device name still reaches the PV.
      const name = validateDevicePath(a.deviceName);
      if (path === name) throw e;
      await this.deviceHandle(host, name);
    }
    return parseVgDisplay(await this.out(host, planVgDisplay(this.cfg, a.deviceId)));
  }

  // ------------------------------------------------------------------------------ bricks

  /** §9.3; on failure the brick's own destroy runs before the error is rethrown. */
  async brickCreate(manageHost: string, brick: BrickCreateSpec): Promise<void> {
    const commands = planBrickCreate(this.cfg, brick);
    try {
      await this.run(manageHost, commands);
    } catch (e) {
      await this.brickDestroy(manageHost, { id: brick.id, deviceId: brick.deviceId, path: brick.path }).catch(() => undefined);
      throw e;
    }
  }

  /** §9.4 step by step. `spaceReclaimed` only when the thin pool was removed (or was gone). */
  async brickDestroy(manageHost: string, brick: BrickDestroySpec): Promise<{ spaceReclaimed: boolean }> {
    const host = validateHostname(manageHost);
    const mount = mountPointOf(brick.path);
    // '' counts as unset: the DB stores empty strings for Heketi's default names.
    const lv = brick.lvName || brickLvName(brick.id);
    const pool = brick.thinPool || thinPoolName(brick.id);
    const vgPool = `${vgName(brick.deviceId)}/${pool}`;

    // 1. umount; a failure is forgiven when the mount point is not mounted at all.
    let umountErr: unknown;
    try {
      await this.run(host, planUmount(mount));
    } catch (e) {
      umountErr = e;
      try {
        const mounted = await this.out(host, planMountList());
        if (!mounted.includes(mount)) umountErr = undefined;
        else if (this.cfg.debugUmountFailures) await this.run(host, planLsof(mount)).catch(() => undefined);
      } catch {
        // keep the umount error
      }
    }
    // 2. fstab first, so a crash never leaves a boot-time mount of a removed LV. No fstab yet (a
    // node whose first brick never got mounted) has no line to remove.
    if (!isGlusterdManagedMount(mount)) {
      await this.run(host, planFstabRemove(this.cfg, brick.id)).catch((e: unknown) => {
        if (!(e instanceof CommandError && /No such file or directory/.test(e.result?.stderr ?? ''))) throw e;
      });
    }
    // 3.
    if (umountErr !== undefined) throw umountErr;
    // 4.
    try {
      await this.run(host, planLvRemove(this.cfg, brick.deviceId, lv));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    // 5.
    let thinCount: number;
    try {
      const out = await this.out(host, planThinCount(this.cfg, brick.deviceId, pool));
      try {
        thinCount = parseThinCount(out);
      } catch (pe) {
        throw wrap(`Failed to convert number of logical volumes in thin pool ${vgPool} on host ${host}: ${errMsg(pe)}`, pe);
      }
    } catch (e) {
      if (e instanceof CommandError && isNotFound(e)) thinCount = 0;
      else if (e instanceof CommandError) throw wrap(`Unable to determine number of logical volumes in thin pool ${vgPool} on host ${host}`, e);
      else throw e;
    }
    // 6.
    let spaceReclaimed = false;
    if (thinCount === 0) {
      try {
        await this.run(host, planLvRemove(this.cfg, brick.deviceId, pool));
        spaceReclaimed = true;
      } catch (e) {
        if (isNotFound(e)) spaceReclaimed = true;
        // other errors: Heketi only logs them
      }
    }
    // 7.
    await this.run(host, planRmdir(mount)).catch(() => undefined);
    return { spaceReclaimed };
  }

  // ------------------------------------------------------------------------------ volumes

  /** The create batch (§4.8 step 2). Rollback is the caller's (volumeDestroy + brickDestroy). */
  async volumeCreate(manageHost: string, vol: VolumeCreateArgs): Promise<void> {
    await this.run(manageHost, planVolumeCreate(this.cfg, vol));
  }

  /**
   * Tries the hosts in order until one succeeds: `stop force` (ignored) + `delete`;
   * "does not exist" counts as success. All fail ⇒ the last error.
   */
  async volumeDestroy(manageHosts: string[], name: string): Promise<void> {
    const commands = planVolumeDestroy(this.cfg, name);
    let last: unknown = new Error('no host available');
    for (const host of manageHosts) {
      try {
        await this.run(host, commands);
        return;
      } catch (e) {
        if (/does not exist/.test(errMsg(e))) return;
        last = e;
        // Whatever the delete said, a volume that gluster does not list is gone: an undo must not
        // wait forever on a delete that cannot work because there is nothing to delete.
        const listed = await this.volumeInfo(host).then(
          (vols) => vols.some((v) => v.name === name),
          () => true,
        );
        if (!listed) return;
      }
    }
    throw wrap(`Unable to delete volume ${name}: ${errMsg(last)}`, last);
  }

  /** add-brick groups, then `rebalance start` whose failure is ignored (§5.1). */
  async volumeExpand(manageHost: string, vol: VolumeRef, newBricks: HostBrick[]): Promise<void> {
    await this.run(manageHost, planAddBricks(this.cfg, vol.name, vol.durability, newBricks));
    if (!this.cfg.rebalanceOnExpansion) return;
    // A rebalance started before the new brick processes listen fails on a node with "fix
    // layout on / failed" (seen on real gluster); wait until gluster reports them online.
    await this.waitBricksOnline(manageHost, vol.name, newBricks.map((b) => `${b.host}:${b.path}`), BRICK_ONLINE_WAIT_MS);
    await this.run(manageHost, planRebalanceStart(this.cfg, vol.name)).catch(() => undefined);
  }

  /** Polls `volume status` until every named brick is online or the time is up (then carries on). */
  private async waitBricksOnline(manageHost: string, name: string, bricks: string[], maxMs: number): Promise<boolean> {
    const deadline = Date.now() + maxMs;
    for (;;) {
      try {
        const status = parseVolumeStatusXml(await this.out(manageHost, planVolumeStatus(this.cfg, name)));
        const online = new Set(status.filter((b) => b.online).map((b) => b.name));
        if (bricks.every((b) => online.has(b))) return true;
      } catch {
        /* status can fail while glusterd updates the volume; try again */
      }
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** All volumes, or the one named. */
  volumeInfo(manageHost: string): Promise<GlusterVolume[]>;
  volumeInfo(manageHost: string, name: string): Promise<GlusterVolume>;
  async volumeInfo(manageHost: string, name?: string): Promise<GlusterVolume | GlusterVolume[]> {
    let xml: string;
    try {
      xml = await this.out(manageHost, planVolumeInfo(this.cfg, name));
    } catch (e) {
      throw wrap(name === undefined ? 'Unable to get volume info' : `Unable to get volume info of volume name: ${name}`, e);
    }
    let vols: GlusterVolume[];
    try {
      vols = parseVolumeInfoXml(xml);
    } catch (e) {
      throw wrap(name === undefined ? 'Unable to unmarshal volume info' : `Unable to determine volume info of volume name: ${name}`, e);
    }
    if (name === undefined) return vols;
    const v = vols.find((x) => x.name === name);
    if (!v) throw new Error(`Unable to determine volume info of volume name: ${name}`);
    return v;
  }

  async healInfo(manageHost: string, name: string): Promise<HealBrick[]> {
    let xml: string;
    try {
      xml = await this.out(manageHost, planHealInfo(this.cfg, name));
    } catch (e) {
      throw wrap(`Unable to get heal info of volume : ${name}`, e);
    }
    try {
      return parseHealInfoXml(xml);
    } catch (e) {
      throw wrap(`Unable to determine heal info of volume : ${name}`, e);
    }
  }

  /** `replace-brick <vol> <oldHost:oldPath> <newHost:newPath> commit force`. */
  async replaceBrick(manageHost: string, vol: string, oldHostPath: string, newHostPath: string): Promise<void> {
    const commands = planReplaceBrick(this.cfg, vol, oldHostPath, newHostPath);
    try {
      await this.run(manageHost, commands);
    } catch (e) {
      throw wrap(`Unable to replace brick ${oldHostPath} with ${newHostPath} for volume ${vol}`, e);
    }
  }

  // ------------------------------------------------------------------------------ clone (§5.3)

  /**
   * Runs one `gluster --xml` step. A non-zero exit and `opRet != 0` both fail; gluster may put
   * the reason only in the XML on stdout, so that is preferred over an empty stderr.
   */
  private async xmlStep(host: string, commands: NodeCommand[], text: { unable: string; parse: string; failed: string }) {
    let stdout: string;
    try {
      stdout = await this.out(host, commands);
    } catch (e) {
      const res = e instanceof CommandError ? e.result : undefined;
      const opErr = res && res.stderr.trim() === '' ? opErrstrOf(res.stdout) : '';
      throw wrap(opErr !== '' ? `${text.failed}: ${opErr}` : `${text.unable}: ${errMsg(e)}`, e);
    }
    let r;
    try {
      r = parseGlusterOpResult(stdout);
    } catch (e) {
      throw wrap(`${text.parse}: ${errMsg(e)}`, e);
    }
    if (r.opRet !== 0) throw new Error(`${text.failed}: ${r.opErrstr}`);
    return r;
  }

  /**
   * Snapshot, activate, clone, tag, start. The temporary snapshot `snap` is always removed again;
   * a clone that fails after gluster made it is left to the caller's undo, which also removes its
   * LVs (gluster's volume delete does not). With `cloneId` the clone's `user.heketi.id` is set to
   * it (Heketi left the source's id there, which made a clone indistinguishable from a volume
   * whose tag is wrong once its snapshot bricks had been replaced).
   */
  async cloneVolume(manageHost: string, sourceName: string, cloneName: string, snap = `tmpsnap_${newId()}`, cloneId?: string): Promise<CloneResult> {
    const host = validateHostname(manageHost);
    validateVolumeName(sourceName);
    validateVolumeName(cloneName);
    validateVolumeName(snap);
    await this.volumeInfo(host, sourceName);
    await this.xmlStep(host, planSnapshotCreate(this.cfg, snap, sourceName), {
      unable: `Unable to create snapshot of volume ${sourceName}`,
      parse: `Unable to parse output of creating snapshot of volume ${sourceName}`,
      failed: `Failed to create snapshot of volume ${sourceName}`,
    });
    try {
      await this.xmlStep(host, planSnapshotActivate(this.cfg, snap), {
        unable: `Unable to activate snapshot ${snap}`,
        parse: `Unable to parse output from activate snapshot ${snap}`,
        failed: `Failed to activate snapshot ${snap}`,
      });
      try {
        await this.xmlStep(host, planSnapshotClone(this.cfg, cloneName, snap), {
          unable: `Unable to clone snapshot ${snap}`,
          parse: `Unable to parse output from clone snapshot ${snap}`,
          failed: `Failed to clone snapshot ${snap} to volume ${cloneName}`,
        });
        if (cloneId !== undefined) await this.run(host, planVolumeOptions(this.cfg, cloneName, [], cloneId));
        await this.xmlStep(host, planCloneStart(this.cfg, cloneName), {
          unable: `Unable to start volume ${cloneName}, clone of snapshot ${snap}`,
          parse: `Unable to start volume ${cloneName}, clone of snapshot ${snap}`,
          failed: `Unable to start volume ${cloneName}, clone of snapshot ${snap}`,
        });
        const info = await this.volumeInfo(host, cloneName);
        for (const b of info.bricks) validateHostPath(b);
        return { id: info.id, name: cloneName, lvName: `${info.id.replace(/-/g, '')}_0`, bricks: info.bricks };
      } finally {
        // Activated snapshots must not stick around.
        await this.run(host, planSnapshotDeactivate(this.cfg, snap)).catch(() => undefined);
      }
    } finally {
      await this.run(host, planSnapshotDelete(this.cfg, snap)).catch(() => undefined);
    }
  }

  /** Deactivates (errors ignored: it may be inactive) and deletes a snapshot; one that does not exist counts as deleted. */
  async snapshotDestroy(manageHost: string, snap: string): Promise<void> {
    validateVolumeName(snap);
    await this.run(manageHost, planSnapshotDeactivate(this.cfg, snap)).catch(() => undefined);
    try {
      await this.run(manageHost, planSnapshotDelete(this.cfg, snap));
    } catch (e) {
      const res = e instanceof CommandError ? e.result : undefined;
      if (/does not exist/.test(`${errMsg(e)} ${res?.stdout ?? ''}`)) return;
      throw wrap(`Unable to delete snapshot ${snap}: ${errMsg(e)}`, e);
    }
  }

  // ------------------------------------------------------------------------------ gluster-block (§8)

  /**
   * Runs one gluster-block command and hands back its result whatever the exit code: Heketi reads
   * the JSON (stdout, or stderr when stdout is empty) before looking at the exit status. Only a
   * node that could not be asked at all rejects.
   */
  private async blockCommand(host: string, commands: NodeCommand[]): Promise<CommandResult> {
    const r = await this.run(host, commands.map((c) => ({ ...c, allowFailure: true })));
    const res = r[r.length - 1];
    if (!res) throw new Error('gluster-block: no result');
    return res;
  }

  /** §8 create: `Unparsable error during block volume create: …` / `Failed to create block volume: …`. */
  async blockVolumeCreate(manageHost: string, spec: BlockCreateSpec): Promise<BlockCreateResult> {
    const res = await this.blockCommand(manageHost, planBlockCreate(this.cfg, spec));
    const output = res.stdout !== '' ? res.stdout : res.stderr;
    const parsed = parseBlockJson(output, {
      IQN: 'string',
      USERNAME: 'string',
      PASSWORD: 'string',
      'PORTAL(S)': 'strings',
      RESULT: 'string',
      errCode: 'number',
      errMsg: 'string',
    });
    if (!parsed) throw new Error(`Unparsable error during block volume create: ${output.trimEnd()}`);
    if (parsed.RESULT === 'FAIL') throw new Error(`Failed to create block volume: ${str(parsed.errMsg)}`);
    if (res.exitCode !== 0) throw new Error(`Failed to create block volume: ${failureText(res)}`);
    return {
      iqn: str(parsed.IQN),
      username: str(parsed.USERNAME),
      password: str(parsed.PASSWORD),
      portals: Array.isArray(parsed['PORTAL(S)']) ? (parsed['PORTAL(S)'] as string[]) : [],
    };
  }

  /**
   * §8 delete. A FAIL whose errMsg says the block volume (`doesn't exist` + name) or its hosting
   * volume (`does not exist` + hosting volume name) is gone counts as deleted: `{ existed: false }`.
   */
  async blockVolumeDelete(manageHost: string, hostingVolume: string, name: string): Promise<{ existed: boolean }> {
    const res = await this.blockCommand(manageHost, planBlockDelete(hostingVolume, name));
    const output = res.stderr !== '' ? res.stderr : res.stdout;
    if (output === '') {
      if (res.exitCode !== 0) throw new Error(failureText(res));
      return { existed: true };
    }
    const parsed = parseBlockJson(output, { RESULT: 'string', Result: 'string', errCode: 'number', errMsg: 'string' });
    if (!parsed) {
      if (res.exitCode !== 0) throw new Error(failureText(res));
      throw new Error(`Unable to parse output from block volume delete: ${output.trim()}`);
    }
    if (parsed.RESULT === 'FAIL') {
      const m = str(parsed.errMsg);
      if ((m.includes("doesn't exist") && m.includes(name)) || (m.includes('does not exist') && m.includes(hostingVolume))) return { existed: false };
      throw new Error(m);
    }
    if (res.exitCode !== 0) throw new Error(failureText(res));
    return { existed: true };
  }

  /** §8 expand: `gluster-block modify <hv>/<name> size <n>GiB --json`. */
  async blockVolumeExpand(manageHost: string, hostingVolume: string, name: string, newSizeGiB: number): Promise<void> {
    const res = await this.blockCommand(manageHost, planBlockModifySize(hostingVolume, name, newSizeGiB));
    const output = res.stdout !== '' ? res.stdout : res.stderr;
    const parsed = parseBlockJson(output, {
      IQN: 'string',
      SIZE: 'string',
      'SUCCESSFUL ON': 'strings',
      'FAILED ON': 'strings',
      'SKIPPED ON': 'strings',
      RESULT: 'string',
      errCode: 'number',
      errMsg: 'string',
    });
    if (!parsed) throw new Error(`Unparsable error during block volume expand: ${output.trimEnd()}`);
    if (parsed.RESULT === 'FAIL') {
      const m = str(parsed.errMsg);
      throw new Error(
        m !== ''
          ? `Failed to expand block volume: ${m} (see logs for details, and retry the operation)`
          : 'Failed to expand block volume (see logs for details, and retry the operation)',
      );
    }
    if (res.exitCode !== 0) throw new Error(`Failed to expand block volume: ${failureText(res)}`);
  }

  /** §8 info (used to settle an interrupted expand): the configured size and the usable one. */
  async blockVolumeInfo(manageHost: string, hostingVolume: string, name: string): Promise<BlockInfoResult> {
    const res = await this.blockCommand(manageHost, planBlockInfo(hostingVolume, name));
    if (res.exitCode !== 0) {
      throw new Error(`unable to get info of blockvolume ${name} on block hosting volume ${hostingVolume} : ${failureText(res)}`);
    }
    const output = res.stdout !== '' ? res.stdout : res.stderr;
    const parsed = parseBlockJson(output, {
      NAME: 'string',
      VOLUME: 'string',
      GBID: 'string',
      SIZE: 'string',
      HA: 'number',
      PASSWORD: 'string',
      'EXPORTED ON': 'strings',
      'RESIZE FAILED ON': 'stringMap',
    });
    if (!parsed) throw new Error(`Unparsable error during block volume info: ${output.trimEnd()}`);
    const sizeGiB = toGigaBytes(str(parsed.SIZE));
    let usable: number | undefined;
    const failed = (parsed['RESIZE FAILED ON'] ?? {}) as Record<string, string>;
    for (const s of Object.values(failed)) {
      const v = toGigaBytes(s);
      if (usable === undefined || v < usable) usable = v;
    }
    const gbid = str(parsed.GBID);
    return {
      name: str(parsed.NAME),
      hostingVolume: str(parsed.VOLUME),
      gbid,
      iqn: `iqn.2016-12.org.gluster-block:${gbid}`,
      sizeGiB,
      ...(usable !== undefined ? { usableSizeGiB: usable } : {}),
      ha: typeof parsed.HA === 'number' ? parsed.HA : 0,
      username: gbid,
      password: str(parsed.PASSWORD),
      hosts: Array.isArray(parsed['EXPORTED ON']) ? (parsed['EXPORTED ON'] as string[]) : [],
    };
  }

  // ------------------------------------------------------------------------------ examiner (§9.6)

  /** Everything a drift report needs from one node, in one connection. */
  async examine(manageHost: string): Promise<ExamineReport> {
    const host = validateHostname(manageHost);
    const r = await this.run(host, planExamine(this.cfg));
    const report: ExamineReport = { host, errors: [] };
    const part = <T>(i: number, what: string, parse: (s: string) => T): T | undefined => {
      const res = r[i];
      if (!res) {
        report.errors.push(`${what}: not run`);
        return undefined;
      }
      if (res.exitCode !== 0) {
        report.errors.push(`${what}: ${failureText(res)}`);
        return undefined;
      }
      try {
        return parse(res.stdout);
      } catch (e) {
        report.errors.push(`${what}: ${errMsg(e)}`);
        return undefined;
      }
    };
    report.pvs = part(0, 'pvs', parsePvsReport);
    report.vgs = part(1, 'vgs', parseVgsReport);
    report.lvs = part(2, 'lvs', parseLvsReport);
    report.mounts = part(3, 'mount', parseMountOutput);
    report.fstab = part(4, 'fstab', (s) => s.split('\n').filter((l) => l.trim() !== ''));
    report.volumes = part(5, 'volume info', parseVolumeInfoXml);
    return report;
  }
}

/**
 * The gluster CLI prints some failures on stdout with an empty stderr, notably
 * `Connection failed. Please check if gluster daemon is operational.` when the local glusterd is
 * down; "Process exited with status 1" would hide that, so such a (non-XML) stdout is the error.
 */
function glusterStdoutError(e: unknown): unknown {
  if (!(e instanceof CommandError) || !e.result || e.argv[0] !== 'gluster' || e.argv.includes('--xml')) return e;
  const out = e.result.stdout.trim();
  if (e.result.stderr.trim() !== '' || out === '' || out.length > 1000) return e;
  return new CommandError(out, e.host, e.argv, e.result, e.unreachable);
}

function opErrstrOf(stdout: string): string {
  if (!stdout.includes('<cliOutput')) return '';
  try {
    return parseGlusterOpResult(stdout).opErrstr;
  } catch {
    return '';
  }
}

/** Heketi's allowDestroyDevice: undefined = wipe allowed, else the error to return. */
function allowDestroy(derr: DeviceNotAvailableError, known: Map<string, string>, withoutUuid: number): Error | undefined {
  if (!derr.connectionOk) return derr;
  if (!derr.currentPv) return undefined;
  // A PV we cannot identify (no UUID: the mock) could be anyone's, like Heketi's UUID-less devices.
  if (withoutUuid > 0 || derr.currentPv.uuid === '') return new Error(`Can not destroy device, destroy may not be safe: ${derr.message}`);
  const owner = known.get(derr.currentPv.uuid);
  if (owner !== undefined) return new Error(`Device already in use (ID: ${owner})`);
  return undefined;
}

// ---------------------------------------------------------------------------------- gluster-block JSON

type BlockFieldType = 'string' | 'number' | 'strings' | 'stringMap';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Go's `json.Unmarshal` into Heketi's CliOutput structs: the text must be one JSON value (trailing
 * whitespace allowed); `null` gives the zero struct; keys match the tags exactly or, failing
 * that, case-insensitively; unknown keys are ignored; a known key of the wrong type is an error.
 * Returns undefined where Go would have failed.
 */
export function parseBlockJson(text: string, fields: Record<string, BlockFieldType>): Record<string, unknown> | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) return undefined;
  const obj = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [field, type] of Object.entries(fields)) {
    let key: string | undefined = Object.prototype.hasOwnProperty.call(obj, field) ? field : undefined;
    if (key === undefined) {
      // Go takes the last case-insensitive match when there is no exact one.
      for (const k of Object.keys(obj)) if (k.toLowerCase() === field.toLowerCase()) key = k;
    }
    if (key === undefined) continue;
    const val = obj[key];
    if (val === null) continue;
    const ok =
      type === 'string'
        ? typeof val === 'string'
        : type === 'number'
          ? typeof val === 'number' && Number.isInteger(val)
          : type === 'strings'
            ? Array.isArray(val) && val.every((x) => typeof x === 'string' || x === null)
            : typeof val === 'object' && !Array.isArray(val) && Object.values(val as object).every((x) => typeof x === 'string' || x === null);
    if (!ok) return undefined;
    out[field] = type === 'strings' ? (val as unknown[]).map((x) => x ?? '') : val;
  }
  return out;
}

/**
 * Heketi's toGigaBytes: gluster-block sizes (`1.0 GiB`, `2 TiB`, `10.0 GB`) as whole GiB.
 * Spaces are ignored, units are G/T/P/E with optional B/iB, any case; anything else is an error.
 */
export function toGigaBytes(s: string): number {
  const t = s.replace(/ /g, '').toUpperCase();
  const i = t.search(/\p{L}/u);
  if (i < 0) throw new Error('Not a valid Size');
  const num = t.slice(0, i);
  const unit = t.slice(i);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(num)) throw new Error('Not a valid Size');
  const n = Number(num);
  if (!Number.isFinite(n) || n < 0) throw new Error('Not a valid Size');
  const mult: Record<string, number> = { E: 1024 ** 3, EB: 1024 ** 3, EIB: 1024 ** 3, P: 1024 ** 2, PB: 1024 ** 2, PIB: 1024 ** 2, T: 1024, TB: 1024, TIB: 1024, G: 1, GB: 1, GIB: 1 };
  const m = mult[unit];
  if (m === undefined) throw new Error('Not a valid Size');
  return Math.trunc(n * m);
}
