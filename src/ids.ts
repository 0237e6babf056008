import { randomUUID } from 'node:crypto';

/**
 * Heketi ids: 32 lowercase hex characters. A v4 UUID without its dashes has 122 random bits;
 * randomUUID draws from a cached entropy pool, which made it several times cheaper than
 * randomBytes(16) on the create path (several ids per volume).
 */
export function newId(): string {
  const u = randomUUID();
  return u.slice(0, 8) + u.slice(9, 13) + u.slice(14, 18) + u.slice(19, 23) + u.slice(24);
}

export const ID_PATTERN = /^[0-9a-f]{32}$/;

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}
