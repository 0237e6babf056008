import { badRequest } from '../errors.js';
import { LIMITS, MSG, distinct, distinctLast, tooMany, throwIfInvalid, type FieldErrors } from '../core/validation.js';
import type { Decoded } from '../core/decode.js';
import { accepts, parseVolumeOption, problem, validateVolumeName } from '../gluster/validate.js';
import { goParseBool, optionValue } from './model.js';

export const VOLUME_CREATE = {
  size: 'int',
  name: 'string',
  durability: { type: 'string', replicate: { replica: 'int' }, disperse: { data: 'int', redundancy: 'int' } },
  gid: 'int',
  snapshot: { enable: 'bool', factor: 'float' },
  clusters: 'strings',
  glustervolumeoptions: 'strings',
  block: 'bool',
} as const;

export type VolumeCreateRequest = Decoded<typeof VOLUME_CREATE>;

/** POST /volumes/capacity: a create request (its size ignored) and whether to answer for every standard durability too. */
export const VOLUME_CAPACITY = { ...VOLUME_CREATE, each_durability: 'bool' } as const;

export const VOLUME_EXPAND = { expand_size: 'int' } as const;
export const VOLUME_CLONE = { name: 'string' } as const;
export const BLOCK_RESTRICTION = { restriction: 'string' } as const;
export const BRICK_EVICT = { healcheck: 'string' } as const;

const ALLOWED_DISPERSE = new Set(['2+1', '4+2', '8+3', '8+4']);
/** Go's max int32: Heketi rejects gid >= 2**31-1 with a message that says 2**32. */
const GID_LIMIT = 2147483647;

/** A volume or clone name: empty (the server picks one) or one gluster takes as a volume name. */
export function nameError(name: string): string | undefined {
  return name !== '' && !accepts(validateVolumeName, name) ? MSG.format : undefined;
}

export function validateName(name: string): void {
  const err = nameError(name);
  if (err) throwIfInvalid({ name: err });
}

/**
 * Every option entry reaches `gluster volume set` as a key and a value argument: the node layer's
 * own parser decides (Heketi spliced them into a shell line unchecked).
 */
export function validateOptions(options: string[]): void {
  for (const entry of options) {
    const p = problem(parseVolumeOption, entry);
    if (p) throw badRequest(`Invalid volume option ${JSON.stringify(entry)}: ${p.what} ${p.reason}`);
  }
}

/**
 * The synchronous checks of POST /volumes, in Heketi's order (heketi-api.md §9). `ignoreSize` for
 * requests that ask about sizes (POST /volumes/capacity) rather than create one. Returns the
 * request with each cluster once.
 */
export function validateVolumeCreate<R extends VolumeCreateRequest>(req: R, opts: { ignoreSize?: boolean } = {}): R {
  const errors: FieldErrors = {};
  if (!opts.ignoreSize) {
    if (req.size === 0) errors.size = MSG.blank;
    else if (req.size < 1) errors.size = MSG.min(1);
  }
  const name = nameError(req.name);
  if (name) errors.name = name;
  if (req.clusters.length > LIMITS.clusters) errors.clusters = tooMany('clusters', req.clusters.length, LIMITS.clusters);
  if (req.glustervolumeoptions.length > LIMITS.volumeOptions) {
    errors.glustervolumeoptions = tooMany('options', req.glustervolumeoptions.length, LIMITS.volumeOptions);
  }
  throwIfInvalid(errors);
  if (req.gid < 0) throw badRequest('Bad group id less than zero');
  if (req.gid >= GID_LIMIT) throw badRequest('Bad group id equal or greater than 2**32');
  const type = req.durability.type;
  if (!['', 'none', 'replicate', 'disperse'].includes(type)) throw badRequest('Unknown durability type');
  if (req.snapshot.enable && (req.snapshot.factor < 1 || req.snapshot.factor > 100)) throw badRequest('Invalid snapshot factor');
  if (type === 'replicate' && (req.durability.replicate.replica > 3 || req.durability.replicate.replica < 0)) {
    throw badRequest('Invalid replica value');
  }
  if (type === 'disperse') {
    const combo = `${req.durability.disperse.data}+${req.durability.disperse.redundancy}`;
    if (!ALLOWED_DISPERSE.has(combo)) throw badRequest(`Invalid dispersion combination: ${combo}`);
  }
  validateOptions(req.glustervolumeoptions);
  const arbiter = optionValue(req.glustervolumeoptions, 'user.heketi.arbiter');
  if (arbiter !== undefined && goParseBool(arbiter) === undefined) {
    throw badRequest(`Invalid value for user.heketi.arbiter: ${arbiter}`);
  }
  if (arbiter !== undefined && goParseBool(arbiter)) {
    const replica = type === 'replicate' ? req.durability.replicate.replica || 2 : 0;
    if (replica !== 3) throw badRequest('Arbiter volumes require durability replicate with replica 3');
  }
  // A repeated cluster would only be tried again, a repeated option set again: one entry each.
  return { ...req, clusters: distinct(req.clusters), glustervolumeoptions: distinctLast(req.glustervolumeoptions) };
}
