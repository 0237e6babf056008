import { HttpError } from '../errors.js';

/**
 * Heketi validates request structs with ozzo-validation; its 400 bodies look like
 * `validation failed: cluster: cannot be blank; hostnames: (manage: cannot be blank.); zone: cannot be blank.`
 * Fields sorted by JSON name, `; `-joined, the list closed by `.`, nested structs in parentheses.
 */
export type FieldErrors = { [field: string]: string | FieldErrors };

export function formatFieldErrors(errors: FieldErrors): string {
  const parts = Object.keys(errors)
    .sort()
    .map((k) => {
      const v = errors[k]!;
      return typeof v === 'string' ? `${k}: ${v}` : `${k}: (${formatFieldErrors(v)})`;
    });
  return parts.join('; ') + '.';
}

/** Throws the 400 for the collected errors, if any. */
export function throwIfInvalid(errors: FieldErrors): void {
  if (Object.keys(errors).length > 0) throw new HttpError(400, `validation failed: ${formatFieldErrors(errors)}`);
}

export const MSG = {
  blank: 'cannot be blank',
  format: 'must be in a valid format',
  value: 'must be a valid value',
  min: (n: number) => `must be no less than ${n}`,
} as const;

/**
 * Caps on list inputs, so one request cannot stall the server or flood the nodes. Heketi's own
 * caps (tags, operation ids) are kept; ours are far above what a real deployment sends
 * (docs/security.md#limits).
 */
export const LIMITS = {
  /** Heketi: api.ValidateTags. */
  tags: 32,
  /** Heketi: POST /operations/pending/cleanup. */
  operationIds: 32,
  clusters: 64,
  volumeOptions: 128,
  /** Per kind (manage, storage); Heketi uses only the first. */
  hostnames: 16,
} as const;

/** Heketi's wording for a list over its cap (`too many tags specified (33), up to 32 supported`). */
export function tooMany(what: string, n: number, cap: number): string {
  return `too many ${what} specified (${n}), up to ${cap} supported`;
}

/** The list without repeats, first occurrence kept. */
export function distinct<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/** The list without repeats, last occurrence kept: settings apply in order, so the last one wins. */
export function distinctLast<T>(xs: readonly T[]): T[] {
  return distinct([...xs].reverse()).reverse();
}

const TAG_NAME = /^[a-zA-Z0-9_.-]+$/;

/** Heketi's tag rules (api.ValidateTags): the first problem found, in sorted key order. */
export function tagError(tags: Record<string, string>): string | undefined {
  const count = Object.keys(tags).length;
  // Counted before sorting: a map of 100,000 keys is refused without sorting it.
  if (count > LIMITS.tags) return tooMany('tags', count, LIMITS.tags);
  const keys = Object.keys(tags).sort();
  for (const k of keys) {
    if (k.length === 0) return 'tag names may not be empty';
    if ([...k].length > 32) return `tag name ${k}: the length must be between 1 and 32`;
    if ([...tags[k]!].length > 64) return `value of tag ${k}: the length must be no more than 64`;
    if (!TAG_NAME.test(k)) return `invalid characters in tag name ${k}`;
  }
  return undefined;
}

export const HEX_ID = /^[A-Fa-f0-9]+$/;

/** ozzo `is.UUIDv4`-like check Heketi uses for ids in bodies: 32 hex characters. */
export function idError(v: string): string | undefined {
  if (v === '') return MSG.blank;
  return /^[a-fA-F0-9]{32}$/.test(v) ? undefined : `${v} is not a valid UUID`;
}
