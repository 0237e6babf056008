import { accepts, parseVolumeOption } from '../gluster/validate.js';
import type { Durability } from '../allocator/types.js';
import type { VolumeRow } from '../store/volumes.js';

/** The durability object as the client sent it; Heketi echoes it back, omitting zeros. */
export interface DurabilityEcho {
  type: string;
  replicate: { replica?: number };
  disperse: { data?: number; redundancy?: number };
}

export function durabilityEcho(d: { type: string; replicate: { replica: number }; disperse: { data: number; redundancy: number } }): DurabilityEcho {
  return {
    type: d.type === '' ? 'none' : d.type,
    replicate: d.replicate.replica ? { replica: d.replicate.replica } : {},
    disperse: {
      ...(d.disperse.data ? { data: d.disperse.data } : {}),
      ...(d.disperse.redundancy ? { redundancy: d.disperse.redundancy } : {}),
    },
  };
}

/** Go's strconv.ParseBool, which Heketi uses for `user.heketi.arbiter`. */
export function goParseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/** The last value given for a `user.heketi.*` key in the option list (entries the node layer would refuse are skipped). */
export function optionValue(options: string[], key: string): string | undefined {
  let found: string | undefined;
  for (const o of options) {
    // Only entries for this key are parsed: placement asks for several keys per candidate cluster.
    if (!o.trimStart().startsWith(`${key} `) || !accepts(parseVolumeOption, o)) continue;
    const kv = parseVolumeOption(o);
    if (kv && kv[0] === key) found = kv[1];
  }
  return found;
}

export function isArbiter(options: string[]): boolean {
  const v = optionValue(options, 'user.heketi.arbiter');
  return v !== undefined && goParseBool(v) === true;
}

/** Durability used for placement and gluster: Heketi's defaults applied (replica 0 ⇒ 2). */
export function effectiveDurability(echo: DurabilityEcho, options: string[]): Durability {
  if (echo.type === 'replicate') return { type: 'replicate', replica: echo.replicate.replica || 2, arbiter: isArbiter(options) };
  if (echo.type === 'disperse') return { type: 'disperse', data: echo.disperse.data ?? 0, redundancy: echo.disperse.redundancy ?? 0 };
  return { type: 'none' };
}

export function setSize(d: Durability): number {
  if (d.type === 'replicate') return d.replica;
  if (d.type === 'disperse') return d.data + d.redundancy;
  return 1;
}

export function volumeDurability(v: VolumeRow): Durability {
  return effectiveDurability(JSON.parse(v.durability) as DurabilityEcho, JSON.parse(v.options) as string[]);
}

export const BLOCK_HOSTING_USABLE = (sizeGiB: number) => Math.floor((sizeGiB * 98) / 100);
