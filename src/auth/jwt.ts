import { createHash, createSecretKey, type KeyObject } from 'node:crypto';
import { compactVerify, errors as joseErrors } from 'jose';
import { HttpError } from '../errors.js';

export type Issuer = 'admin' | 'user';

export interface AuthKeys {
  adminKey: string;
  userKey: string;
  /** Seconds a token's `iat` may lie in the future (HEKETI_JWT_IAT_LEEWAY_SECONDS). */
  iatLeewaySec: number;
}

const HMAC_ALGS = new Set(['HS256', 'HS384', 'HS512']);
/** Algorithms Go's jwt library knows: any of these that is not HMAC is "unexpected". */
const KNOWN_ALGS = new Set(['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA', 'none']);

const invalid = (reason: string) => new HttpError(401, `Invalid JWT token: ${reason}`);

const keyCache = new Map<string, KeyObject>();

/**
 * One KeyObject per secret. jose 5's Node build verifies HMACs with node:crypto synchronously;
 * jose 6 goes through WebCrypto, which cost ~0.3 ms per request — and Heketi's clients mint a
 * token for every request, /queue polls included.
 */
function hmacKey(secret: string): KeyObject {
  let key = keyCache.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    if (keyCache.size > 64) keyCache.clear();
    keyCache.set(secret, key);
  }
  return key;
}

/** Go's time.Duration formatting for whole seconds: 0s, 45s, 1m40s, 5m0s, 1h2m3s. */
export function goDuration(totalSec: number): string {
  const s = Math.max(0, Math.floor(totalSec));
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${m}m${sec}s` : `${m}m${sec}s`;
}

/** Go's encoding/json message for the first byte of a document that is not JSON. */
function jsonErrorText(text: string): string {
  const t = text.trimStart();
  if (t === '') return 'unexpected end of JSON input';
  const c = t[0]!;
  if (!'{["-0123456789tfn'.includes(c)) return `invalid character '${c}' looking for beginning of value`;
  return 'unexpected end of JSON input';
}

function decodeSegment(segment: string): unknown {
  const unpadded = segment.replace(/=+$/, '');
  const bad = unpadded.search(/[^A-Za-z0-9_-]/);
  if (bad >= 0) throw invalid(`illegal base64 data at input byte ${bad}`);
  const text = Buffer.from(unpadded, 'base64url').toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw invalid(jsonErrorText(text));
  }
}

export function qshFor(method: string, path: string): string {
  return createHash('sha256').update(`${method.toUpperCase()}&${path}`).digest('hex');
}

/** The path as Go's URL.Path sees it: no query string, percent escapes decoded. */
export function requestPath(rawUrl: string): string {
  const q = rawUrl.indexOf('?');
  const path = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function claimNumber(claims: Record<string, unknown>, name: string): number | undefined {
  const v = claims[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw invalid(`json: cannot unmarshal ${typeof v} into Go struct field HeketiJwtClaims.${name} of type int64`);
  }
  return Math.trunc(v);
}

/**
 * Brickyard's read-only extensions a user token may call besides Heketi's `/volumes`: what the
 * console's read-only views show (the pool, volume pages with their brick sets, the operations
 * journal) and the capacity a create could get. No node command, no change, no secret.
 */
const USER_READS = new Set(['GET /pool', 'GET /volumes/details', 'POST /volumes/capacity', 'GET /operations/details']);
const USER_READ_PATTERNS: [method: string, path: RegExp][] = [['GET', /^\/volumes\/[0-9A-Fa-f]{32}\/sets$/]];

/** Heketi lets a user token call exactly `/volumes` (any method); Brickyard adds its reads. */
function userMayCall(method: string, path: string): boolean {
  if (path === '/volumes' || USER_READS.has(`${method} ${path}`)) return true;
  return USER_READ_PATTERNS.some(([m, re]) => m === method && re.test(path));
}

/**
 * Validates the Authorization header exactly as Heketi's JWT middleware does (heketi-auth.md §3)
 * and returns the issuer. Throws HttpError with Heketi's status and text on any failure.
 */
export async function authenticate(
  authorization: string | undefined,
  method: string,
  rawUrl: string,
  keys: AuthKeys,
  nowSec = Math.floor(Date.now() / 1000),
): Promise<Issuer> {
  if (!authorization) throw new HttpError(401, 'Required authorization token not found');
  const fields = authorization.trim().split(/\s+/);
  if (fields.length !== 2 || fields[0]!.toLowerCase() !== 'bearer') {
    throw new HttpError(400, 'Authorization header format must be Bearer {token}');
  }
  const token = fields[1]!;
  const segments = token.split('.');
  if (segments.length !== 3) throw invalid('token contains an invalid number of segments');
  const header = decodeSegment(segments[0]!) as Record<string, unknown>;
  const claimsRaw = decodeSegment(segments[1]!);
  if (typeof header !== 'object' || header === null || typeof claimsRaw !== 'object' || claimsRaw === null || Array.isArray(claimsRaw)) {
    throw invalid('json: cannot unmarshal into Go value of type map[string]interface {}');
  }
  const claims = claimsRaw as Record<string, unknown>;
  const alg = typeof header.alg === 'string' ? header.alg : '';
  if (!HMAC_ALGS.has(alg)) {
    if (KNOWN_ALGS.has(alg)) throw invalid(`Unexpected signing method: ${alg}`);
    throw invalid('signing method (alg) is unavailable.');
  }
  const iss = claims.iss;
  if (iss !== undefined && typeof iss !== 'string') {
    throw invalid(`json: cannot unmarshal ${typeof iss} into Go struct field HeketiJwtClaims.iss of type string`);
  }
  if (!iss) throw invalid('Token missing iss claim');
  if (iss !== 'admin' && iss !== 'user') throw invalid('Unknown user');
  const key = iss === 'admin' ? keys.adminKey : keys.userKey;

  // Claims: all are evaluated and the last failure supplies the message (jwt-go behaviour).
  const exp = claimNumber(claims, 'exp') ?? 0;
  const iat = claimNumber(claims, 'iat');
  const nbf = claimNumber(claims, 'nbf');
  let claimError: HttpError | undefined;
  if (nowSec > exp) claimError = invalid(`Token is expired by ${goDuration(nowSec - exp)}`);
  if (iat !== undefined && nowSec < iat - keys.iatLeewaySec) {
    claimError = invalid('Token used before issued (client and server clocks may differ)');
  }
  if (nbf !== undefined && nowSec < nbf) claimError = invalid('token is not valid yet');

  // An invalid signature overrides any claim error.
  try {
    await compactVerify(`${segments[0]}.${segments[1]}.${segments[2]}`, hmacKey(key), { algorithms: [alg] });
  } catch (e) {
    if (e instanceof joseErrors.JOSEError || e instanceof TypeError) {
      throw invalid('signature is invalid (client and server secrets may not match)');
    }
    throw e;
  }
  if (claimError) throw claimError;

  if (claims.qsh !== qshFor(method, requestPath(rawUrl))) throw new HttpError(401, 'Invalid qsh claim in token');
  if (iss === 'user' && !userMayCall(method, requestPath(rawUrl))) throw new HttpError(401, 'Administrator access required');
  return iss;
}
