/**
 * CSI Node service (spec.md "Node Service RPC"): stage = one FUSE mount of the gluster volume per
 * node (`mount -t glusterfs server:/volume STAGING`), publish = a bind mount of it into the pod's
 * path. What is mounted is read from mountinfo, never from `mount` output; every path and option
 * is validated before it reaches a command.
 */
import { isReaderOnly, requireCapability } from './capability.js';
import { parseVolumeContext } from './context.js';
import { failedPrecondition, alreadyExists, notFound, internalError, invalidArgument } from './errors.js';
import { KeyedLocks } from './locks.js';
import { isGlusterMount, isReadOnly, mountAt } from './mountinfo.js';
import { bindMountArgs, glusterMountArgs, mountLogFile, readOnlyRemountArgs, sourceIsVolume } from './mountargs.js';
import { isDeadMountError, type Mounter } from './mounter.js';
import type {
  NodeGetVolumeStatsRequest,
  NodeGetVolumeStatsResponse,
  NodePublishVolumeRequest,
  NodeStageVolumeRequest,
  NodeUnpublishVolumeRequest,
  NodeUnstageVolumeRequest,
} from './types.js';
import { validateIdentifier, validatePath } from './validate.js';

export interface NodeServiceOptions {
  nodeId: string;
  /** Directory of the per-volume FUSE client logs. */
  mountLogDir: string;
  mounter: Mounter;
}

export const NODE_CAPABILITIES = ['STAGE_UNSTAGE_VOLUME', 'GET_VOLUME_STATS', 'VOLUME_CONDITION'] as const;

/** Whether a mounted path still answers: a dead FUSE client gives ENOTCONN (or hangs: timeout). */
async function probeMount(m: Mounter, path: string): Promise<{ ok: true } | { ok: false; why: string }> {
  try {
    await m.statfs(path);
    return { ok: true };
  } catch (e) {
    if (isDeadMountError(e)) return { ok: false, why: (e as Error).message };
    throw e;
  }
}

export class NodeService {
  private readonly locks = new KeyedLocks();

  constructor(private readonly o: NodeServiceOptions) {}

  async stage(req: NodeStageVolumeRequest): Promise<Record<string, never>> {
    const volumeId = validateIdentifier('volume_id', req.volume_id);
    const staging = validatePath('staging_target_path', req.staging_target_path);
    const { flags } = requireCapability('volume_capability', req.volume_capability);
    const vc = parseVolumeContext(req.volume_context);
    return this.locks.exclusive(volumeId, `volume ${volumeId}`, async () => {
      const m = this.o.mounter;
      const existing = await m.mountAt(staging);
      if (existing) {
        if (!isGlusterMount(existing) || !sourceIsVolume(existing.source, vc.servers, vc.volume)) {
          throw alreadyExists(`${staging} already has ${existing.source} (${existing.fsType}) mounted, not gluster volume ${vc.volume}`);
        }
        const wantRo = flags.includes('ro');
        if (isReadOnly(existing) !== wantRo) {
          throw alreadyExists(`${staging} has ${vc.volume} mounted ${isReadOnly(existing) ? 'read-only' : 'read-write'}; the request asks for ${wantRo ? 'read-only' : 'read-write'}`);
        }
        const health = await probeMount(m, staging);
        if (health.ok) return {};
        // The FUSE client died: replace its mount rather than hand out a dead one.
        await m.unmountAll(staging);
      }
      await m.makeDir(staging);
      await m.makeDir(this.o.mountLogDir);
      const logFile = mountLogFile(this.o.mountLogDir, vc.volume);
      await m.mount(glusterMountArgs({ servers: vc.servers, volume: vc.volume, target: staging, logFile, flags }));
      const mounted = await m.mountAt(staging);
      if (!mounted) throw internalError(`mount of ${vc.servers[0]}:/${vc.volume} on ${staging} reported success but nothing is mounted there (see ${logFile})`);
      return {};
    });
  }

  async unstage(req: NodeUnstageVolumeRequest): Promise<Record<string, never>> {
    const volumeId = validateIdentifier('volume_id', req.volume_id);
    const staging = validatePath('staging_target_path', req.staging_target_path);
    return this.locks.exclusive(volumeId, `volume ${volumeId}`, async () => {
      await this.o.mounter.unmountAll(staging);
      return {};
    });
  }

  async publish(req: NodePublishVolumeRequest): Promise<Record<string, never>> {
    const volumeId = validateIdentifier('volume_id', req.volume_id);
    const target = validatePath('target_path', req.target_path);
    const { mode, flags } = requireCapability('volume_capability', req.volume_capability);
    if (!req.staging_target_path) throw failedPrecondition('staging_target_path is required: this driver stages volumes (STAGE_UNSTAGE_VOLUME)');
    const staging = validatePath('staging_target_path', req.staging_target_path);
    if (target === staging) throw failedPrecondition('target_path must differ from staging_target_path');
    const readonly = req.readonly || isReaderOnly(mode) || flags.includes('ro');
    return this.locks.exclusive(volumeId, `volume ${volumeId}`, async () => {
      const m = this.o.mounter;
      const entries = await m.mounts();
      const staged = mountAt(entries, staging);
      if (!staged || !isGlusterMount(staged)) {
        throw failedPrecondition(`volume ${volumeId} is not staged: nothing from gluster is mounted at ${staging} (NodeStageVolume first)`);
      }
      const existing = mountAt(entries, target);
      if (existing) {
        if (existing.device !== staged.device) {
          throw alreadyExists(`${target} already has ${existing.source} (${existing.fsType}) mounted, not the volume staged at ${staging}`);
        }
        if (isReadOnly(existing) !== readonly) {
          throw alreadyExists(`${target} has the volume published ${isReadOnly(existing) ? 'read-only' : 'read-write'}; the request asks for ${readonly ? 'read-only' : 'read-write'}`);
        }
        return {};
      }
      await m.makeDir(target);
      await m.mount(bindMountArgs(staging, target));
      if (readonly) {
        try {
          await m.mount(readOnlyRemountArgs(target));
        } catch (e) {
          // Never leave a writable mount where a read-only one was asked for.
          await m.unmountAll(target);
          await m.removeDir(target);
          throw e;
        }
      }
      return {};
    });
  }

  async unpublish(req: NodeUnpublishVolumeRequest): Promise<Record<string, never>> {
    const volumeId = validateIdentifier('volume_id', req.volume_id);
    const target = validatePath('target_path', req.target_path);
    return this.locks.exclusive(volumeId, `volume ${volumeId}`, async () => {
      await this.o.mounter.unmountAll(target);
      await this.o.mounter.removeDir(target);
      return {};
    });
  }

  async stats(req: NodeGetVolumeStatsRequest): Promise<NodeGetVolumeStatsResponse> {
    validateIdentifier('volume_id', req.volume_id);
    if (!req.volume_path) throw invalidArgument('volume_path is required');
    let path: string;
    try {
      path = validatePath('volume_path', req.volume_path);
    } catch (e) {
      // Only reads follow, and nothing can be mounted at such a path (csi-sanity asks with "some/path").
      throw notFound(`no volume is mounted at ${JSON.stringify(req.volume_path)}: ${(e as Error).message}`);
    }
    if (req.staging_target_path) validatePath('staging_target_path', req.staging_target_path);
    const m = this.o.mounter;
    const entry = await m.mountAt(path);
    if (!entry) throw notFound(`volume ${req.volume_id} is not mounted at ${path}`);
    let s;
    try {
      s = await m.statfs(path);
    } catch (e) {
      if (!isDeadMountError(e)) throw e;
      return {
        usage: [],
        volume_condition: {
          abnormal: true,
          message: `the mount of ${entry.source} at ${path} does not answer (${(e as Error).message}): its GlusterFS client has died or cannot reach the storage servers; restart the pod to mount it again`,
        },
      };
    }
    const n = (x: bigint) => x.toString();
    return {
      usage: [
        { unit: 'BYTES', total: n(s.blocks * s.bsize), available: n(s.bavail * s.bsize), used: n((s.blocks - s.bfree) * s.bsize) },
        { unit: 'INODES', total: n(s.files), available: n(s.ffree), used: n(s.files - s.ffree) },
      ],
      volume_condition: { abnormal: false, message: `${entry.source} is mounted and answering` },
    };
  }

  info(): { node_id: string; max_volumes_per_node: number } {
    return { node_id: this.o.nodeId, max_volumes_per_node: 0 };
  }

  /** Probe: the FUSE mount helper must be installed. */
  probe(): string | undefined {
    return this.o.mounter.findMountHelper() ? undefined : 'mount.glusterfs is not installed (install glusterfs-client / glusterfs-fuse on the node)';
  }
}
