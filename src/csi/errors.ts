import { status } from '@grpc/grpc-js';

/**
 * A CSI answer other than OK: a canonical gRPC code (spec.md "Error Scheme" and each RPC's error
 * table) and a message for the person reading `kubectl describe`. Thrown anywhere in src/csi; the
 * server turns it into the call's status. Anything else thrown becomes INTERNAL.
 */
export class CsiError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'CsiError';
  }
}

export const invalidArgument = (msg: string) => new CsiError(status.INVALID_ARGUMENT, msg);
export const notFound = (msg: string) => new CsiError(status.NOT_FOUND, msg);
export const alreadyExists = (msg: string) => new CsiError(status.ALREADY_EXISTS, msg);
export const failedPrecondition = (msg: string) => new CsiError(status.FAILED_PRECONDITION, msg);
export const aborted = (msg: string) => new CsiError(status.ABORTED, msg);
export const outOfRange = (msg: string) => new CsiError(status.OUT_OF_RANGE, msg);
export const resourceExhausted = (msg: string) => new CsiError(status.RESOURCE_EXHAUSTED, msg);
export const unavailable = (msg: string) => new CsiError(status.UNAVAILABLE, msg);
export const unimplemented = (msg: string) => new CsiError(status.UNIMPLEMENTED, msg);
export const internalError = (msg: string) => new CsiError(status.INTERNAL, msg);

/** The name of a gRPC code (`NOT_FOUND`), for logs and test messages. */
export function codeName(code: number): string {
  return status[code] ?? String(code);
}
