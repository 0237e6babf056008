/**
 * An error that maps to one Heketi HTTP answer: a status code and a plain-text message.
 * Thrown anywhere below the routes; the HTTP layer turns it into `text/plain` + trailing newline.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers (e.g. Retry-After on 429). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (msg: string) => new HttpError(400, msg);
export const notFound = (msg = 'Id not found') => new HttpError(404, msg);
export const conflict = (msg: string) => new HttpError(409, msg);
export const unparsable = () => new HttpError(422, 'request unable to be parsed');
export const internal = (msg: string) => new HttpError(500, msg);

/** Heketi's ErrConflict text, used when an object is in use by a pending operation. */
export const IN_USE = 'The target exists, contains other items, or is in use.';

/** The failure text of a node command or of our own logic, for queue 500s and logs. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
