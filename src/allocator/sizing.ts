/**
 * Heketi's sizing arithmetic (behaviour §4.1, §4.3, §4.5–4.7). Pure; sizes in KiB unless named.
 */
import type { Durability, TagMatchRule } from './types.js';

export const KiB_PER_GiB = 1048576;
/** Pool metadata cap (16 GiB). */
export const POOL_METADATA_MAX_KiB = 16 * KiB_PER_GiB;
/** Heketi's arbiter brick minimum, 16 MiB: below what mkfs.xfs of xfsprogs ≥ 5.19 accepts. */
export const ARBITER_MIN_KiB = 16384;
/** The smallest filesystem mkfs.xfs makes since xfsprogs 5.19 (Debian 12 ships 6.1): 300 MiB. */
export const XFS_MIN_FILESYSTEM_KiB = 300 * 1024;
export const DEFAULT_EXTENT_KiB = 4096;
export const DEFAULT_AVERAGE_FILE_SIZE_KiB = 64;
/** Index of the arbiter brick inside a replica-3 set. */
export const ARBITER_INDEX = 2;

export const ERR_MIN_BRICK = 'Minimum brick size limit reached.  Out of space.';
export const ERR_MAX_BRICKS = 'Maximum number of bricks reached.';
export const ERR_NO_SPACE = 'No space';
export const ERR_NO_NODES = 'No nodes in cluster';
export const ERR_NO_STORAGE = 'No online storage devices in cluster';
export const ERR_NO_REPLACEMENT = 'No Replacement was found for resource requested to be removed';

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

export interface BrickSpace {
  tpSize: number;
  poolMetadataSize: number;
  /** tpSize + poolMetadataSize: what the device must have strictly more than, and loses. */
  reserved: number;
}

function roundUp(value: number, extent: number): number {
  if (!(extent > 0)) return value;
  const rem = value % extent;
  return rem === 0 ? value : value + (extent - rem);
}

/**
 * Thin pool + metadata for one brick. The factor is a Go float32 widened to float64, so it goes
 * through Math.fround before the (double) multiplication: 1.2 → 1.2000000476837158.
 */
export function brickSpace(brickKiB: number, snapshotFactor: number, extentKiB: number = DEFAULT_EXTENT_KiB): BrickSpace {
  const factor = Math.fround(snapshotFactor);
  const tpSize = roundUp(Math.floor(brickKiB * factor), extentKiB);
  let meta = Math.floor(tpSize * 0.005);
  if (meta > POOL_METADATA_MAX_KiB) meta = POOL_METADATA_MAX_KiB;
  const poolMetadataSize = roundUp(meta, extentKiB);
  return { tpSize, poolMetadataSize, reserved: tpSize + poolMetadataSize };
}

/** Bricks per set: none 1, replicate replica (0 ⇒ 2), disperse data+redundancy. */
export function bricksPerSet(d: Durability): number {
  switch (d.type) {
    case 'none':
      return 1;
    case 'replicate':
      return d.replica === 0 ? 2 : d.replica;
    case 'disperse':
      return d.data + d.redundancy;
  }
}

/** Bricks of a set that hold distinct data (the brick-size divisor of the generator). */
export function dataBricksPerSet(d: Durability): number {
  return d.type === 'disperse' ? d.data : 1;
}

/** Smallest volume Heketi accepts: one min brick, disperse `data ×` min brick. */
export function minimumVolumeSizeKiB(d: Durability, brickMinKiB: number): number {
  return dataBricksPerSet(d) * brickMinKiB;
}

export interface SizeAttempt {
  sets: number;
  brickSize: number;
}

export interface SizingLimits {
  brickMinKiB: number;
  brickMaxKiB: number;
  maxBricksPerVolume: number;
}

/**
 * §4.3 generator, unrolled: the (sets, brickSize) attempts Heketi would try in order, and the error
 * it ends with when every attempt runs out of space (min brick or max bricks, whichever comes first).
 */
export function planBrickSizes(
  sizeKiB: number,
  durability: Durability,
  limits: SizingLimits,
  existingBricks = 0,
): { attempts: SizeAttempt[]; terminalError: string } {
  const perSet = bricksPerSet(durability);
  const data = dataBricksPerSet(durability);
  const attempts: SizeAttempt[] = [];
  let sets = 1;
  for (;;) {
    // generator: double until the brick fits under the max, fail below the min
    let n: number;
    let brick: number;
    for (;;) {
      n = sets;
      sets *= 2;
      brick = Math.floor(Math.floor(sizeKiB / n) / data);
      if (brick < limits.brickMinKiB) return { attempts, terminalError: ERR_MIN_BRICK };
      if (brick <= limits.brickMaxKiB) break;
    }
    if (n * perSet + existingBricks > limits.maxBricksPerVolume) return { attempts, terminalError: ERR_MAX_BRICKS };
    attempts.push({ sets: n, brickSize: brick });
  }
}

/** The average file size arbiter sizing uses; data bricks smaller than it cannot get an arbiter. */
export function arbiterAverageFileSize(averageFileSizeKiB: number): number {
  return averageFileSizeKiB > 0 ? Math.floor(averageFileSizeKiB) : DEFAULT_AVERAGE_FILE_SIZE_KiB;
}

/**
 * §4.7: arbiter brick = max(minimum, data brick / average file size) — Heketi's minimum is 16 MiB;
 * the server passes its configured one (what the nodes' mkfs accepts). Never larger than the data brick.
 */
export function arbiterBrickSize(dataBrickKiB: number, averageFileSizeKiB: number, minKiB = ARBITER_MIN_KiB): Result<number> {
  const avg = arbiterAverageFileSize(averageFileSizeKiB);
  if (dataBrickKiB < avg) {
    return { ok: false, error: `Average file size (${avg}) is greater than Brick size (${dataBrickKiB})` };
  }
  return { ok: true, value: Math.min(dataBrickKiB, Math.max(minKiB, Math.floor(dataBrickKiB / avg))) };
}

// `.-_` is a character range (0x2E–0x5F) in Heketi's pattern; JS (no `u` flag) reads it the same way.
const TAG_MATCH_RE = /^([a-zA-Z0-9.-_]+)(!?=)([a-zA-Z0-9.-_]+)$/;

/** Parses `KEY=VALUE` / `KEY!=VALUE` (`user.heketi.device-tag-match`). */
export function parseTagMatch(rule: string): Result<TagMatchRule> {
  const m = TAG_MATCH_RE.exec(rule);
  if (!m) return { ok: false, error: `Invalid tag matching rule: Invalid tag match rule: ${rule}` };
  return { ok: true, value: { key: m[1]!, op: m[2] === '!=' ? '!=' : '=', value: m[3]! } };
}

export function formatTagMatch(rule: TagMatchRule): string {
  return `${rule.key}${rule.op}${rule.value}`;
}

/** `=`: tag must exist and equal; `!=`: a missing tag counts as "". */
export function tagMatches(rule: TagMatchRule, tags: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(tags, rule.key);
  if (rule.op === '=') return has && tags[rule.key] === rule.value;
  return (has ? tags[rule.key] : '') !== rule.value;
}
