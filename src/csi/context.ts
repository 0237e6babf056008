/**
 * volume_context (a PV's spec.csi.volumeAttributes): everything a node needs to mount the volume
 * without asking the management server (CSI_CONVENTIONS.md). Pure.
 *
 *   servers         comma-separated storage hosts; the first is the mount server, the rest
 *                   become backup-volfile-servers
 *   volume          the gluster volume name
 *   gid             optional: the volume's group id
 *   heketiVolumeId  optional: the Heketi id (informational)
 */
import { invalidArgument } from './errors.js';
import { validateGlusterVolume, validateStorageHost } from './validate.js';
import type { StringMap } from './types.js';

export interface VolumeContext {
  servers: string[];
  volume: string;
  gid?: number;
  heketiVolumeId?: string;
}

export const CONTEXT_KEYS = { servers: 'servers', volume: 'volume', gid: 'gid', heketiVolumeId: 'heketiVolumeId' } as const;

/** The largest gid Heketi accepts (it refuses 2**31-1 and above). */
export const MAX_GID = 2147483646;

export function parseGid(what: string, value: string): number {
  if (!/^\d{1,10}$/.test(value) || Number(value) > MAX_GID) throw invalidArgument(`${what} ${JSON.stringify(value)}: expected an integer from 0 to ${MAX_GID}`);
  return Number(value);
}

/** Reads and validates a volume_context; INVALID_ARGUMENT names what is missing or wrong. */
export function parseVolumeContext(ctx: StringMap | undefined): VolumeContext {
  const c = ctx ?? {};
  const rawServers = c[CONTEXT_KEYS.servers] ?? '';
  const volume = c[CONTEXT_KEYS.volume] ?? '';
  if (rawServers.trim() === '' || volume === '') {
    throw invalidArgument(
      'volume_context must carry "servers" (comma-separated storage hosts) and "volume" (the gluster volume name); for a static PV set them in spec.csi.volumeAttributes',
    );
  }
  const servers = rawServers.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const s of servers) validateStorageHost(s);
  if (new Set(servers).size !== servers.length) throw invalidArgument(`volume_context servers ${JSON.stringify(rawServers)} lists a host twice`);
  const out: VolumeContext = { servers, volume: validateGlusterVolume(volume) };
  const gid = c[CONTEXT_KEYS.gid];
  if (gid !== undefined && gid !== '') out.gid = parseGid('volume_context gid', gid);
  const id = c[CONTEXT_KEYS.heketiVolumeId];
  if (id !== undefined && id !== '') out.heketiVolumeId = id;
  return out;
}

/** The volume_context map for a volume (keys in a stable order; empty optionals left out). */
export function volumeContextMap(v: VolumeContext): StringMap {
  const m: StringMap = { [CONTEXT_KEYS.servers]: v.servers.join(','), [CONTEXT_KEYS.volume]: v.volume };
  if (v.gid !== undefined && v.gid !== 0) m[CONTEXT_KEYS.gid] = String(v.gid);
  if (v.heketiVolumeId) m[CONTEXT_KEYS.heketiVolumeId] = v.heketiVolumeId;
  return m;
}

/**
 * Servers from Heketi's mount info: the host of `device` (`host:volume`) first, then the other
 * hosts in Heketi's order — the same servers, in the same order, as Heketi's
 * `backup-volfile-servers`.
 */
export function serversFromMount(mount: { device: string; hosts: string[] }): string[] {
  const first = mount.device.slice(0, mount.device.indexOf(':'));
  const rest = mount.hosts.filter((h) => h !== first);
  return first ? [first, ...rest] : rest;
}
