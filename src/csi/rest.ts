/**
 * The controller's way to the management server: which server, user and key a call uses, one
 * HeketiClient (src/client) per connection, and client errors as CSI codes.
 */
import { ApiError, HeketiClient, NetworkError, type ClientOptions } from '../client/index.js';
import { CsiError, failedPrecondition, internalError, invalidArgument, notFound, resourceExhausted, unavailable } from './errors.js';
import { status } from '@grpc/grpc-js';
import type { ProvisionParams } from './parameters.js';
import type { StringMap } from './types.js';

export interface Connection {
  server: string;
  user: string;
  key: string;
}

export interface ServerDefaults {
  /** --server: where every call without a StorageClass goes (Delete, Expand, List, ...). */
  server: string;
  user: string;
  key?: string;
}

/** The secret key name the in-tree provisioner's Secret (type kubernetes.io/glusterfs) holds. */
export const SECRET_KEY = 'key';

/** Heketi's text for "in use by a pending operation" (ErrConflict). */
const IN_USE = 'The target exists, contains other items, or is in use.';

/**
 * The connection for a call. The key comes from the CSI secrets (`key`), else the StorageClass's
 * `restuserkey`, else the driver's own key — but the driver's key goes only to the driver's own
 * server, never to a `resturl` the StorageClass names.
 */
export function connectionFor(d: ServerDefaults, secrets: StringMap | undefined, params?: ProvisionParams): Connection {
  const server = params?.restUrl ?? d.server;
  if (params?.authDisabled) return { server, user: '', key: '' };
  const user = params?.restUser ?? d.user;
  const secret = secrets?.[SECRET_KEY];
  if (params?.secretName && secret === undefined) {
    throw invalidArgument(
      `the StorageClass names secret ${params.secretNamespace}/${params.secretName} but no secret reached the driver: set csi.storage.k8s.io/provisioner-secret-name and -namespace (and controller-expand-secret-*) to it`,
    );
  }
  const key = secret ?? params?.restUserKey ?? (server === d.server ? d.key : undefined) ?? '';
  return { server, user, key };
}

export class Clients {
  private readonly cache = new Map<string, HeketiClient>();

  constructor(private readonly extra: Omit<ClientOptions, 'server' | 'user' | 'key'> = {}) {}

  get(c: Connection): HeketiClient {
    const id = JSON.stringify([c.server, c.user, c.key]);
    let client = this.cache.get(id);
    if (!client) {
      if (this.cache.size >= 64) this.cache.clear();
      client = new HeketiClient({ ...this.extra, server: c.server, user: c.user, key: c.key });
      this.cache.set(id, client);
    }
    return client;
  }
}

export const isNotFound = (e: unknown) => e instanceof ApiError && e.status === 404;
export const isInUse = (e: unknown) => e instanceof ApiError && e.message.includes(IN_USE);
export const isNoSpace = (e: unknown) => e instanceof ApiError && /No space|Out of space|Maximum number of bricks reached/.test(e.message);

/**
 * A client failure as a CSI error: unreachable → UNAVAILABLE, "No space" → RESOURCE_EXHAUSTED,
 * 400 → INVALID_ARGUMENT, 404 → NOT_FOUND, 401/403 → UNAUTHENTICATED/PERMISSION_DENIED,
 * in use by another operation → ABORTED (the CO retries), 409 → FAILED_PRECONDITION.
 */
export function csiErrorOf(e: unknown, what: string): CsiError {
  if (e instanceof CsiError) return e;
  if (e instanceof NetworkError) return unavailable(`${what}: management server unreachable: ${e.message}`);
  if (e instanceof ApiError) {
    const text = `${what}: ${e.message}`;
    if (isInUse(e)) return new CsiError(status.ABORTED, `${text} (another operation on it is running; retry)`);
    if (isNoSpace(e)) return resourceExhausted(text);
    switch (e.status) {
      case 400:
      case 422:
        return invalidArgument(text);
      case 401:
        return new CsiError(status.UNAUTHENTICATED, `${text} (check the key in the secret or --key-file)`);
      case 403:
        return new CsiError(status.PERMISSION_DENIED, text);
      case 404:
        return notFound(text);
      case 409:
        return failedPrecondition(text);
      case 429:
        return unavailable(`${text} (server busy)`);
      case 502:
      case 503:
      case 504:
        return unavailable(text);
      default:
        return internalError(text);
    }
  }
  return internalError(`${what}: ${e instanceof Error ? e.message : String(e)}`);
}
