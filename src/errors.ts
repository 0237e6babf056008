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

/** An error that stops the server's start: its message says what to fix, so it is printed without a stack. */
export class StartError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StartError';
  }
}

/** SQLite's primary result codes for a store the server cannot write, as an operator reads them. */
const STORE_FAILURES: Record<string, { what: string; write: boolean }> = {
  SQLITE_FULL: { what: 'disk full', write: true },
  SQLITE_IOERR: { what: 'I/O error', write: true },
  SQLITE_READONLY: { what: 'read-only database', write: true },
  SQLITE_CANTOPEN: { what: 'cannot open the database file', write: false },
  SQLITE_CORRUPT: { what: 'database file corrupt', write: false },
  SQLITE_NOTADB: { what: 'not a database file', write: false },
  SQLITE_BUSY: { what: 'database locked by another process', write: false },
  SQLITE_PERM: { what: 'permission denied', write: false },
};

/**
 * For an error of the store itself (better-sqlite3's SqliteError, whose `code` is SQLite's result
 * code such as SQLITE_FULL or SQLITE_IOERR_WRITE), the text that names the cause; else undefined.
 */
export function storeErrorText(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (!(err instanceof Error) || typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  const known = STORE_FAILURES[code.split('_').slice(0, 2).join('_')];
  const head = known ? `database ${known.write ? 'write failed' : 'error'}: ${known.what}` : 'database error';
  return `${head} (${code}): ${err.message}`;
}

/** The failure text of a node command, of the store or of our own logic, for queue 500s and logs. */
export function errorText(err: unknown): string {
  const store = storeErrorText(err);
  if (store !== undefined) return store;
  if (err instanceof Error) return err.message;
  return String(err);
}
