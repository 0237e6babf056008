/**
 * CSI capacity ranges (bytes, int64) ↔ Heketi sizes (whole GiB). Pure; BigInt so that any int64
 * the CO sends is read exactly.
 */
import { invalidArgument, outOfRange } from './errors.js';
import type { CapacityRange } from './types.js';

export const GiB = 1n << 30n;
/** Heketi sizes are Go ints in a JSON number; keep them exact in a JS number. */
const MAX_GIB = BigInt(Number.MAX_SAFE_INTEGER);

function bytes(field: string, v: string | number | undefined): bigint {
  const s = String(v ?? '0');
  if (!/^-?\d+$/.test(s)) throw invalidArgument(`${field} ${JSON.stringify(s)} is not an integer`);
  const b = BigInt(s);
  if (b < 0n) throw invalidArgument(`${field} must not be negative`);
  return b;
}

function describe(b: bigint): string {
  return b % GiB === 0n ? `${b / GiB} GiB` : `${b} bytes`;
}

/**
 * The volume size for a capacity range: required_bytes rounded up to whole GiB, at least
 * `minGiB` (Heketi's smallest volume for the durability), and within limit_bytes — else
 * OUT_OF_RANGE. No range at all: `minGiB`.
 */
export function sizeForRange(range: CapacityRange | null | undefined, minGiB = 1): number {
  const required = bytes('capacity_range.required_bytes', range?.required_bytes);
  const limit = bytes('capacity_range.limit_bytes', range?.limit_bytes);
  if (limit > 0n && required > limit) throw outOfRange(`capacity_range.required_bytes (${describe(required)}) exceeds limit_bytes (${describe(limit)})`);
  let gib = (required + GiB - 1n) / GiB;
  if (gib < BigInt(minGiB)) gib = BigInt(minGiB);
  if (limit > 0n && gib * GiB > limit) {
    throw outOfRange(`volumes are sized in whole GiB (at least ${minGiB} GiB here): ${gib} GiB exceeds capacity_range.limit_bytes (${describe(limit)})`);
  }
  if (gib > MAX_GIB) throw outOfRange(`capacity_range.required_bytes (${describe(required)}) is too large`);
  return Number(gib);
}

/** Whether an existing volume of `sizeGiB` satisfies the range (CreateVolume idempotency). */
export function sizeFitsRange(sizeGiB: number, range: CapacityRange | null | undefined): boolean {
  const have = BigInt(sizeGiB) * GiB;
  const required = bytes('capacity_range.required_bytes', range?.required_bytes);
  const limit = bytes('capacity_range.limit_bytes', range?.limit_bytes);
  return have >= required && (limit === 0n || have <= limit);
}

/** int64 bytes of a GiB size, as the decimal string grpc-js sends exactly. */
export function gibToBytes(sizeGiB: number): string {
  return (BigInt(sizeGiB) * GiB).toString();
}

/** Whole GiB that hold `bytesValue` (rounded down: what fits). */
export function bytesToWholeGib(bytesValue: bigint): number {
  return Number(bytesValue / GiB);
}
