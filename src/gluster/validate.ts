/**
 * Validators for every value that reaches a node command. Heketi pasted these values into shell
 * strings; we pass argv arrays, but the values still end up in gluster/LVM syntax (host:path,
 * awk strings, sed patterns, fstab fields), so each has a strict shape. Each validator returns
 * its input (for chaining) or throws an Error naming the value and the rule it broke.
 */
import { isIPv4, isIPv6 } from 'node:net';

export class ValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

function fail(what: string, value: unknown, why: string): never {
  throw new ValidationError(`invalid ${what} ${JSON.stringify(value)}: ${why}`);
}

function str(what: string, value: unknown): string {
  if (typeof value !== 'string') fail(what, value, 'expected a string');
  return value;
}

const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** IPv4, IPv6 (no zone id) or an RFC 1123 host name of at most 253 characters. */
export function validateHostname(value: unknown): string {
  const v = str('hostname', value);
  if (v === '') fail('hostname', v, 'empty');
  if (isIPv4(v)) return v;
  if (v.includes(':')) {
    if (isIPv6(v) && !v.includes('%')) return v;
    fail('hostname', v, 'not a valid IPv6 address');
  }
  if (v.length > 253) fail('hostname', v, 'longer than 253 characters');
  const labels = v.split('.');
  for (const label of labels) {
    if (!DNS_LABEL.test(label)) fail('hostname', v, 'not an IPv4/IPv6 address or RFC 1123 host name');
  }
  // All-numeric dotted names are mistyped IPv4 addresses (e.g. 10.0.0.300), not DNS names.
  if (labels.every((l) => /^\d+$/.test(l))) fail('hostname', v, 'not a valid IPv4 address');
  return v;
}

const SAFE_PATH = /^\/[a-zA-Z0-9_.:/-]+$/;

function checkPath(what: string, v: string, re: RegExp): string {
  if (v.length > 4096) fail(what, v, 'longer than 4096 characters');
  if (!re.test(v)) fail(what, v, `must match ${re.source}`);
  if (v.split('/').includes('..')) fail(what, v, 'must not contain a ".." segment');
  return v;
}

/** A block device path as accepted by the API (`^/[a-zA-Z0-9_.:/-]+$`), without `..`. */
export function validateDevicePath(value: unknown): string {
  return checkPath('device path', str('device path', value), SAFE_PATH);
}

/** Any absolute path we create or remove on a node (mount points, brick dirs). No `:` so it
 * never confuses gluster's `host:path` syntax. */
export function validateNodePath(value: unknown): string {
  return checkPath('path', str('path', value), /^\/[a-zA-Z0-9_./-]+$/);
}

/** A gluster brick path (`host:` is validated separately). */
export function validateBrickPath(value: unknown): string {
  return checkPath('brick path', str('brick path', value), /^\/[a-zA-Z0-9_./-]+$/);
}

/** The fstab file Heketi appends to; it sits inside an awk string, so only safe characters. */
export function validateFstabPath(value: unknown): string {
  return checkPath('fstab path', str('fstab path', value), /^\/[a-zA-Z0-9_./-]+$/);
}

const ID = /^[0-9a-f]{32}$/;

/** Heketi ids: 32 lowercase hex characters. */
export function validateId(value: unknown, what = 'id'): string {
  const v = str(what, value);
  if (!ID.test(v)) fail(what, v, 'expected 32 lowercase hex characters');
  return v;
}

const NAME = /^[a-zA-Z0-9_-]+$/;

/** Gluster volume / snapshot names. */
export function validateVolumeName(value: unknown): string {
  const v = str('volume name', value);
  if (v.length > 128) fail('volume name', v, 'longer than 128 characters');
  if (!NAME.test(v)) fail('volume name', v, 'only letters, digits, "_" and "-" are allowed');
  return v;
}

/** LVM LV / thin pool names (brick_<id>, tp_<id>, clone LVs). */
export function validateLvName(value: unknown): string {
  const v = str('LV name', value);
  if (v.length > 128) fail('LV name', v, 'longer than 128 characters');
  if (!NAME.test(v)) fail('LV name', v, 'only letters, digits, "_" and "-" are allowed');
  return v;
}

/** A gluster volume option key such as `performance.readdir-ahead`. */
export function validateOptionKey(value: unknown): string {
  const v = str('volume option key', value);
  if (v.length === 0 || v.length > 256) fail('volume option key', v, 'must be 1 to 256 characters');
  if (!/^[a-zA-Z0-9_.-]+$/.test(v)) fail('volume option key', v, 'only letters, digits, "_", "." and "-" are allowed');
  return v;
}

/** A gluster option value: one argv element, printable, spaces allowed. */
export function validateOptionValue(value: unknown): string {
  const v = str('volume option value', value);
  if (v.length === 0) fail('volume option value', v, 'empty');
  if (v.length > 4096) fail('volume option value', v, 'longer than 4096 characters');
  // C0/C1 controls, DEL, and Unicode line/paragraph separators.
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(v)) fail('volume option value', v, 'contains control characters');
  return v;
}

/**
 * Splits a stored option string ("key value...") on the first space into [key, value]; both
 * parts are validated. Leading/trailing blanks of the whole string are not significant.
 */
export function splitVolumeOption(option: unknown): [string, string] {
  const v = str('volume option', option).trim();
  const i = v.indexOf(' ');
  if (i <= 0) fail('volume option', option, 'expected "<key> <value>"');
  return [validateOptionKey(v.slice(0, i)), validateOptionValue(v.slice(i + 1).trimStart())];
}

/** Sizes (KiB, counts): positive safe integers. */
export function validateSize(value: unknown, what = 'size'): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) fail(what, value, 'expected a positive integer');
  return value;
}

/** Non-negative safe integers (snapshot limits and the like). */
export function validateCount(value: unknown, what = 'count'): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(what, value, 'expected a non-negative integer');
  return value;
}

/** Group id for brick directories: 0 ≤ gid < 2147483647 (Heketi's limit). */
export function validateGid(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value >= 2147483647) {
    fail('gid', value, 'expected an integer with 0 <= gid < 2147483647');
  }
  return value;
}

/** LVM size strings from the config (`256K`, `4M`, `1.5m`, `512`). */
export function validateLvmSize(value: unknown, what = 'LVM size'): string {
  const v = str(what, value);
  if (!/^[0-9]+(\.[0-9]+)?[bBsSkKmMgGtTpPeE]?$/.test(v) || !/[1-9]/.test(v)) fail(what, v, 'expected a size such as 256K or 4M');
  return v;
}

/** Brick mount options (`rw,inode64,noatime,nouuid`): they also go into the awk-written fstab line. */
export function validateMountOptions(value: unknown): string {
  const v = str('mount options', value);
  if (v.length > 1024 || !/^[a-zA-Z0-9_,=.-]+$/.test(v)) fail('mount options', v, 'must match ^[a-zA-Z0-9_,=.-]+$');
  return v;
}

/** Words of `lvm_wrapper` (e.g. `nsenter --mount=/rootfs/proc/1/ns/mnt --`): no control characters. */
export function validateWrapperWord(value: unknown): string {
  const v = str('lvm_wrapper word', value);
  if (v === '' || /[\u0000-\u001f\u007f]/.test(v)) fail('lvm_wrapper word', v, 'empty or contains control characters');
  return v;
}

/** `host:path` as gluster prints and takes bricks. The path starts at the first `:/`. */
export function validateHostPath(value: unknown): { host: string; path: string } {
  const v = str('brick', value);
  const i = v.indexOf(':/');
  if (i <= 0) fail('brick', v, 'expected <host>:<path>');
  return { host: validateHostname(v.slice(0, i)), path: validateBrickPath(v.slice(i + 1)) };
}
