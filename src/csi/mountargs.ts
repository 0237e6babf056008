/**
 * argv for the node's mount commands, built from validated values only. Pure: the node service
 * runs them with execa (argv arrays, `--` before the operands).
 */
import { validateMountFlag } from './validate.js';

export interface GlusterMount {
  /** Storage hosts: the first serves the volfile, the rest are backup-volfile-servers. */
  servers: string[];
  volume: string;
  target: string;
  /** The FUSE client's log file (one per volume). */
  logFile: string;
  /** Mount flags from the volume capability (each one option, already validated). */
  flags: string[];
}

/** The client's log level unless a mount flag sets another (as the in-tree plugin: ERROR). */
export const DEFAULT_LOG_LEVEL = 'ERROR';

/** The `-o` options: ours first; a mount flag with the same name replaces ours. */
export function glusterMountOptions(m: GlusterMount): string[] {
  const ours = new Map<string, string>();
  if (m.servers.length > 1) ours.set('backup-volfile-servers', `backup-volfile-servers=${m.servers.slice(1).join(':')}`);
  ours.set('log-file', `log-file=${m.logFile}`);
  ours.set('log-level', `log-level=${DEFAULT_LOG_LEVEL}`);
  const extra: string[] = [];
  for (const flag of m.flags) {
    validateMountFlag(flag);
    const name = flag.split('=')[0]!;
    if (ours.has(name)) ours.set(name, flag);
    else if (!extra.includes(flag)) extra.push(flag);
  }
  return [...ours.values(), ...extra];
}

/** `mount -t glusterfs -o OPTS -- SERVER:/VOLUME TARGET` */
export function glusterMountArgs(m: GlusterMount): string[] {
  return ['-t', 'glusterfs', '-o', glusterMountOptions(m).join(','), '--', `${m.servers[0]}:/${m.volume}`, m.target];
}

export function bindMountArgs(source: string, target: string): string[] {
  return ['--bind', '--', source, target];
}

/** A bind mount becomes read-only only through a remount of the bind. */
export function readOnlyRemountArgs(target: string): string[] {
  return ['-o', 'remount,bind,ro', '--', target];
}

/** `umount [-l] -- PATH`; lazy detaches even a mount whose FUSE server is gone (ENOTCONN). */
export function umountArgs(path: string, lazy: boolean): string[] {
  return lazy ? ['-l', '--', path] : ['--', path];
}

export function mountLogFile(dir: string, volume: string): string {
  return `${dir.replace(/\/+$/, '')}/${volume}.log`;
}

/**
 * Whether a mount's source (`host:/volume`, as mount.glusterfs records it; `host:volume` is
 * accepted too) is this volume served by one of these hosts.
 */
export function sourceIsVolume(source: string, servers: string[], volume: string): boolean {
  const i = source.indexOf(':');
  if (i <= 0) return false;
  const host = source.slice(0, i);
  const vol = source.slice(i + 1).replace(/^\//, '');
  return vol === volume && servers.includes(host);
}
