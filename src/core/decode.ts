import { unparsable } from '../errors.js';

/**
 * Request bodies decoded with the rules of Go's encoding/json into a typed struct, which is what
 * Heketi's clients rely on: keys match case-insensitively (last one wins), unknown keys are
 * ignored, `null` keeps the zero value, and a wrong JSON type anywhere is one 422.
 */
export type FieldSpec =
  | 'string'
  | 'bool'
  | 'int'
  | 'uint'
  | 'float'
  | 'strings'
  | 'stringMap'
  | { [field: string]: FieldSpec };

export type Decoded<S> = S extends 'string'
  ? string
  : S extends 'bool'
    ? boolean
    : S extends 'int' | 'uint' | 'float'
      ? number
      : S extends 'strings'
        ? string[]
        : S extends 'stringMap'
          ? Record<string, string>
          : S extends { [field: string]: FieldSpec }
            ? { [K in keyof S]: Decoded<S[K]> }
            : never;

class ParseFailure extends Error {}

/** Largest integer Go's int64 can hold that a JS number still represents exactly. */
const MAX_INT = Number.MAX_SAFE_INTEGER;

function zero(spec: FieldSpec): unknown {
  switch (spec) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'int':
    case 'uint':
    case 'float':
      return 0;
    case 'strings':
      return [];
    case 'stringMap':
      return {};
    default: {
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(spec)) out[k] = zero(s);
      return out;
    }
  }
}

function decodeValue(spec: FieldSpec, v: unknown): unknown {
  if (v === null) return zero(spec);
  switch (spec) {
    case 'string':
      if (typeof v !== 'string') throw new ParseFailure();
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw new ParseFailure();
      return v;
    case 'int':
    case 'uint':
      if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > MAX_INT) throw new ParseFailure();
      if (spec === 'uint' && v < 0) throw new ParseFailure();
      return v;
    case 'float':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new ParseFailure();
      return v;
    case 'strings':
      if (!Array.isArray(v)) throw new ParseFailure();
      return v.map((e) => (e === null ? '' : typeof e === 'string' ? e : fail()));
    case 'stringMap': {
      if (typeof v !== 'object' || Array.isArray(v)) throw new ParseFailure();
      const out: Record<string, string> = {};
      for (const [k, e] of Object.entries(v as Record<string, unknown>)) {
        if (e === null) out[k] = '';
        else if (typeof e === 'string') out[k] = e;
        else throw new ParseFailure();
      }
      return out;
    }
    default:
      return decodeObject(spec, v);
  }
}

function fail(): never {
  throw new ParseFailure();
}

function decodeObject(spec: { [field: string]: FieldSpec }, v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ParseFailure();
  const out = zero(spec) as Record<string, unknown>;
  const byLower = new Map(Object.keys(spec).map((k) => [k.toLowerCase(), k]));
  // Object.entries keeps source order, so for keys that differ only in case the last one wins.
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
    const field = byLower.get(key.toLowerCase());
    if (field === undefined) continue;
    out[field] = decodeValue(spec[field]!, value);
  }
  return out;
}

export function parseJsonText(raw: string): unknown {
  if (raw.trim() === '') throw new ParseFailure();
  try {
    return JSON.parse(raw);
  } catch {
    throw new ParseFailure();
  }
}

/** Decodes a raw request body against `spec`, or throws Heketi's 422 `request unable to be parsed`. */
export function decodeBody<S extends { [field: string]: FieldSpec }>(raw: string | undefined, spec: S): Decoded<S> {
  try {
    const value = parseJsonText(raw ?? '');
    if (value === null) return zero(spec) as Decoded<S>;
    return decodeObject(spec, value) as Decoded<S>;
  } catch (e) {
    if (e instanceof ParseFailure) throw unparsable();
    throw e;
  }
}

/** As decodeBody, but an absent body (Content-Length 0) yields the zero value (DELETE /devices, evict). */
export function decodeOptionalBody<S extends { [field: string]: FieldSpec }>(raw: string | undefined, spec: S): Decoded<S> {
  if (raw === undefined || raw.length === 0) return zero(spec) as Decoded<S>;
  return decodeBody(raw, spec);
}
