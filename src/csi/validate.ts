/**
 * Checks for every string that reaches a node command from a CSI request: paths, storage hosts,
 * volume names, mount flags. Each failure is INVALID_ARGUMENT naming the field and the rule.
 * Commands get argv arrays, but mount options are one comma-separated `-o` string and paths are
 * operands, so commas, blanks, control characters and leading dashes must never get through.
 */
import { isIPv6 } from 'node:net';
import { posix } from 'node:path';
import { validateHostname, validateVolumeName, ValidationError } from '../gluster/validate.js';
import { invalidArgument } from './errors.js';

/** Linux PATH_MAX; the spec asks for at least 128 bytes for paths. */
export const MAX_PATH = 4096;

/**
 * Characters of a path we mount on or unmount: kubelet's paths (`/var/lib/kubelet/pods/<uid>/
 * volumes/kubernetes.io~csi/<pv>/mount`), csi-sanity's, and ordinary directory names.
 */
const PATH_CHARS = /^\/[A-Za-z0-9_.~:@+=,/-]*$/;

/**
 * A required absolute path field: normalised (no `.`/`..` segments, no `//`, no trailing `/`)
 * so that it compares equal to the mount point the kernel reports in mountinfo.
 */
export function validatePath(field: string, value: string | undefined): string {
  if (value === undefined || value === '') throw invalidArgument(`${field} is required`);
  if (value.length > MAX_PATH) throw invalidArgument(`${field} is longer than ${MAX_PATH} bytes`);
  if (!value.startsWith('/')) throw invalidArgument(`${field} ${JSON.stringify(value)} must be an absolute path`);
  if (!PATH_CHARS.test(value)) {
    throw invalidArgument(`${field} ${JSON.stringify(value)} has characters other than letters, digits and _ . ~ : @ + = , / -`);
  }
  const normal = value === '/' ? '/' : value.replace(/\/+$/, '');
  if (posix.normalize(normal) !== normal) throw invalidArgument(`${field} ${JSON.stringify(value)} is not a normalised path (no ".", ".." or "//")`);
  if (normal === '/') throw invalidArgument(`${field} must not be /`);
  return normal;
}

/** A storage host for `server:/volume` and `backup-volfile-servers` (colon-separated, so no IPv6). */
export function validateStorageHost(value: string): string {
  if (isIPv6(value) || value.includes(':')) {
    throw invalidArgument(`storage host ${JSON.stringify(value)}: IPv6 addresses cannot be used (mount.glusterfs separates servers with ":")`);
  }
  try {
    return validateHostname(value);
  } catch (e) {
    throw invalidArgument(e instanceof ValidationError ? e.message : String(e));
  }
}

/** A gluster volume name (letters, digits, `_`, `-`; at most 128). */
export function validateGlusterVolume(value: string): string {
  try {
    return validateVolumeName(value);
  } catch (e) {
    throw invalidArgument(e instanceof ValidationError ? e.message : String(e));
  }
}

/**
 * One mount flag from the volume capability (`ro`, `log-level=WARNING`, `acl`, ...). Exactly one
 * option per flag: a name, optionally `=value`; the value may hold `:` and `/` (servers, paths)
 * but nothing that could start another option or another argument.
 */
const MOUNT_FLAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(=[A-Za-z0-9_.:/@+-]*)?$/;

export function validateMountFlag(flag: string): string {
  if (flag.length > 256) throw invalidArgument(`mount flag ${JSON.stringify(flag.slice(0, 40))}…: longer than 256 characters`);
  if (!MOUNT_FLAG.test(flag)) {
    throw invalidArgument(
      `mount flag ${JSON.stringify(flag)}: expected one option NAME or NAME=VALUE (letters, digits, _ . - and in the value also : / @ +); no commas, blanks or leading "-"`,
    );
  }
  return flag;
}

/** CSI ids and names: the general 128-byte string limit, no control characters. */
export function validateIdentifier(field: string, value: string | undefined, max = 128): string {
  if (value === undefined || value === '') throw invalidArgument(`${field} is required`);
  if (Buffer.byteLength(value) > max) throw invalidArgument(`${field} is longer than ${max} bytes`);
  if (/[\u0000-\u001f\u007f]/.test(value)) throw invalidArgument(`${field} contains control characters`);
  return value;
}
