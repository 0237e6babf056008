/**
 * Validators for every value that reaches a node command, and the one place the API's decisions
 * come from too: the API answers 400 for exactly what these reject, so anything it accepts the
 * planner accepts (test/unit/validate-property.test.ts proves it over generated values).
 *
 * Heketi pasted these values into shell strings; we pass argv arrays, but the values still end up
 * in gluster/LVM syntax (host:path, awk strings, sed patterns, fstab fields), so each has a strict
 * shape. And an argv element is still read by the program it reaches: a value starting with `-`
 * would be taken for one of its options (gluster parses every `--word` anywhere in argv as its
 * own option: `--remote-host=`, `--log-file=`, `--version`). So no value may start with `-`
 * (`notAnOption`), whatever the tool; `--` before operands is a second guard where a tool has it.
 *
 * Each validator returns its input (for chaining) or throws a ValidationError naming the value and
 * the rule it broke.
 */
import { isIPv4, isIPv6 } from 'node:net';

export class ValidationError extends Error {
  constructor(
    /** What kind of value (`volume name`, `hostname`, …). */
    readonly what: string,
    readonly value: unknown,
    /** The rule it broke, readable after `what` (`must not start with "-"`). */
    readonly reason: string,
  ) {
    super(`invalid ${what} ${JSON.stringify(value)}: ${reason}`);
    this.name = 'ValidationError';
  }
}

function fail(what: string, value: unknown, why: string): never {
  throw new ValidationError(what, value, why);
}

function str(what: string, value: unknown): string {
  if (typeof value !== 'string') fail(what, value, 'expected a string');
  return value;
}

/** True when `validator` accepts `value`: the API's yes/no from the node layer's own rule. */
export function accepts(validator: (value: unknown) => unknown, value: unknown): boolean {
  return problem(validator, value) === undefined;
}

/** The ValidationError `validator` raises for `value`, if any. */
export function problem(validator: (value: unknown) => unknown, value: unknown): ValidationError | undefined {
  try {
    validator(value);
    return undefined;
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
}

/** The one argv rule: a value never starts with `-`, so no program reads it as an option. */
function notAnOption(what: string, v: string): string {
  if (v.startsWith('-')) fail(what, v, 'must not start with "-"');
  return v;
}

const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** IPv4, IPv6 (no zone id) or an RFC 1123 host name of at most 253 characters. */
export function validateHostname(value: unknown): string {
  const v = notAnOption('hostname', str('hostname', value));
  if (v === '') fail('hostname', v, 'empty');
  if (isIPv4(v)) return v;
  if (v.includes(':')) {
    if (isIPv6(v) && !v.includes('%')) return v;
    fail('hostname', v, 'is not a valid IPv6 address (zone ids are not accepted)');
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
  if (v.length > 4096) fail(what, v, 'is longer than 4096 characters');
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

/** A name word: `^[a-zA-Z0-9_-]+$` (Heketi's name rule), at most 128 characters, no leading `-`. */
function nameWord(what: string, value: unknown): string {
  const v = notAnOption(what, str(what, value));
  if (v.length > 128) fail(what, v, 'is longer than 128 characters');
  if (!NAME.test(v)) fail(what, v, 'may hold only letters, digits, "_" and "-"');
  return v;
}

/** Names gluster's CLI refuses for a volume (cli_validate_volname): its own keywords. */
const RESERVED_VOLUME_NAMES = new Set([
  'volume',
  'type',
  'subvolumes',
  'option',
  'end-volume',
  'all',
  'volume_not_in_ring',
  'description',
  'force',
  'snap-max-hard-limit',
  'snap-max-soft-limit',
  'auto-delete',
  'activate-on-create',
]);

/** Gluster volume / snapshot / clone names: a name word gluster does not reserve. */
export function validateVolumeName(value: unknown): string {
  const v = nameWord('volume name', value);
  if (RESERVED_VOLUME_NAMES.has(v)) fail('volume name', v, 'is a gluster keyword');
  return v;
}

/** gluster-block names (the part after `<hosting volume>/`). */
export function validateBlockName(value: unknown): string {
  return nameWord('block volume name', value);
}

/** LVM LV / thin pool names (brick_<id>, tp_<id>, clone LVs). */
export function validateLvName(value: unknown): string {
  return nameWord('LV name', value);
}

/** A gluster volume option key such as `performance.readdir-ahead`. */
export function validateOptionKey(value: unknown): string {
  const v = notAnOption('volume option key', str('volume option key', value));
  if (v.length === 0 || v.length > 256) fail('volume option key', v, 'must be 1 to 256 characters');
  if (!/^[a-zA-Z0-9_.-]+$/.test(v)) fail('volume option key', v, 'may hold only letters, digits, "_", "." and "-"');
  return v;
}

/**
 * A gluster option value: one argv element, printable; inner spaces allowed. gluster's CLI reads
 * an argv element as its own option only when the element starts with `--`, so a value that does
 * not start with `-` can hold spaces and `--word` text and stays one value (gluster strips the
 * spaces of values of non-`user.*` keys itself).
 */
export function validateOptionValue(value: unknown): string {
  const v = notAnOption('volume option value', str('volume option value', value));
  if (v.length === 0) fail('volume option value', v, 'must not be empty');
  if (v.length > 4096) fail('volume option value', v, 'is longer than 4096 characters');
  // C0/C1 controls, DEL, and Unicode line/paragraph separators.
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(v)) fail('volume option value', v, 'must not contain control characters');
  return v;
}

/**
 * A stored option entry `"<key> <value>"` as [key, value], or undefined for a blank entry (Heketi's
 * empty pre/post request options). The key ends at the first ASCII space: no other character
 * (tab, NBSP, U+2028, …) separates, so such an entry fails on its key. Blanks around the whole
 * entry and between key and value are not significant.
 */
export function parseVolumeOption(option: unknown): [string, string] | undefined {
  const v = str('volume option', option).trim();
  if (v === '') return undefined;
  const i = v.indexOf(' ');
  if (i < 0) {
    validateOptionKey(v);
    fail('volume option', option, 'must be "<key> <value>"');
  }
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
