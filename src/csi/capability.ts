/**
 * What a GlusterFS volume can be used as: a mounted file system (FUSE), never a raw block device,
 * by any number of readers and writers on any number of nodes. Pure.
 */
import { invalidArgument } from './errors.js';
import type { AccessModeName, VolumeCapability } from './types.js';
import { validateMountFlag } from './validate.js';

/** Every access mode gluster serves: all of them, RWX (MULTI_NODE_MULTI_WRITER) included. */
export const SUPPORTED_ACCESS_MODES: ReadonlySet<AccessModeName> = new Set([
  'SINGLE_NODE_WRITER',
  'SINGLE_NODE_READER_ONLY',
  'MULTI_NODE_READER_ONLY',
  'MULTI_NODE_SINGLE_WRITER',
  'MULTI_NODE_MULTI_WRITER',
  'SINGLE_NODE_SINGLE_WRITER',
  'SINGLE_NODE_MULTI_WRITER',
]);

const READER_ONLY: ReadonlySet<AccessModeName> = new Set(['SINGLE_NODE_READER_ONLY', 'MULTI_NODE_READER_ONLY']);

/** File system types a capability may name: none (the CO's default) or the FUSE client's. */
const FS_TYPES = new Set(['', 'glusterfs', 'fuse.glusterfs']);

/** Why this capability cannot be served, or undefined when it can. */
export function capabilityProblem(cap: VolumeCapability | null | undefined): string | undefined {
  if (!cap) return 'a volume capability is empty';
  if (cap.access_type === 'block' || cap.block) return 'block access is not supported: GlusterFS volumes are file systems (use volumeMode: Filesystem)';
  if (cap.access_type !== 'mount' || !cap.mount) return 'the access type (mount) is missing';
  const mode = cap.access_mode?.mode ?? 'UNKNOWN';
  if (!SUPPORTED_ACCESS_MODES.has(mode)) return `access mode ${mode} is not supported`;
  if (!FS_TYPES.has(cap.mount.fs_type)) return `fs_type ${JSON.stringify(cap.mount.fs_type)} is not supported: GlusterFS volumes are mounted as glusterfs`;
  if (cap.mount.volume_mount_group !== '') return 'volume_mount_group is not supported (the node does not advertise VOLUME_MOUNT_GROUP)';
  return undefined;
}

/** A capability the node must honour: INVALID_ARGUMENT when it is missing or unservable. */
export function requireCapability(field: string, cap: VolumeCapability | null | undefined): { mode: AccessModeName; flags: string[] } {
  if (!cap) throw invalidArgument(`${field} is required`);
  const problem = capabilityProblem(cap);
  if (problem) throw invalidArgument(`${field}: ${problem}`);
  return { mode: cap.access_mode!.mode, flags: cap.mount!.mount_flags.map(validateMountFlag) };
}

/** Reader-only modes are published read-only even when the request's readonly flag is false. */
export function isReaderOnly(mode: AccessModeName): boolean {
  return READER_ONLY.has(mode);
}
