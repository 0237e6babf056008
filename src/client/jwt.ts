/**
 * Heketi's client token (heketi-auth.md §4–5), with WebCrypto only so that the same code runs in
 * Node and in a browser: HS256 over `{"alg":"HS256","typ":"JWT"}` and the claims
 * `{exp, iat, iss, qsh}` (keys sorted, as the Go client marshals a map), exp = iat + 300 s,
 * qsh = hex(sha256(METHOD + "&" + path)) with the path as Go's URL.Path holds it.
 */

export type HmacKey = Awaited<ReturnType<SubtleCrypto['importKey']>>;
type SubtleCrypto = typeof globalThis.crypto.subtle;

const encoder = new TextEncoder();

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error('WebCrypto (crypto.subtle) is not available: a secure context (https or localhost) is required');
  return s;
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The key as an HMAC-SHA256 signing key. The UTF-8 bytes of the secret are the key, any length. */
export function importHmacKey(secret: string): Promise<HmacKey> {
  // WebCrypto refuses a zero-length key; HMAC pads short keys with zeros, so one zero byte signs
  // exactly as the empty key does (heketi-cli without --secret, or a server with auth disabled).
  const raw = secret === '' ? new Uint8Array(1) : encoder.encode(secret);
  return subtle().importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

/** `qsh` claim: lowercase hex SHA-256 of `METHOD&path`. */
export async function qsh(method: string, path: string): Promise<string> {
  return hex(await subtle().digest('SHA-256', encoder.encode(`${method.toUpperCase()}&${path}`)));
}

/** The path Go's URL.Path holds for a URL: no query, percent escapes decoded. */
export function tokenPath(url: string): string {
  const pathname = new URL(url).pathname;
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname; // a malformed escape: Go would refuse the URL; sign what is sent
  }
}

/** A token as the Go client mints it for one request. `key` may be pre-imported (importHmacKey). */
export async function signToken(method: string, path: string, user: string, key: string | HmacKey, nowSec = Math.floor(Date.now() / 1000)): Promise<string> {
  const hmac = typeof key === 'string' ? await importHmacKey(key) : key;
  const header = base64url(encoder.encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' })));
  const claims = base64url(encoder.encode(JSON.stringify({ exp: nowSec + 300, iat: nowSec, iss: user, qsh: await qsh(method, path) })));
  const signature = await subtle().sign('HMAC', hmac, encoder.encode(`${header}.${claims}`));
  return `${header}.${claims}.${base64url(new Uint8Array(signature))}`;
}
