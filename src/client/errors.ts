/** Errors of src/client. A request aborted through an AbortSignal rejects with the signal's reason instead. */

export class ClientError extends Error {
  override name = 'ClientError';
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  301: 'Moved Permanently',
  303: 'See Other',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/**
 * The server answered with a status the call does not expect (directly, or as the end of an
 * operation polled on /queue). `message` is what heketi's Go client makes of it
 * (utils.GetErrorFromResponse): the body's first 4 KiB trimmed, or a fixed text for an empty body.
 */
export class ApiError extends ClientError {
  override name = 'ApiError';

  constructor(
    readonly status: number,
    /** The server's plain-text body, as sent (Heketi's messages end with a newline). */
    readonly text: string,
    readonly method: string,
    readonly url: string,
  ) {
    const msg = text.slice(0, 4096).trim();
    super(msg !== '' ? msg : `server did not provide a message (status ${status}: ${STATUS_TEXT[status] ?? ''})`);
  }
}

/** The server's answer breaks the protocol (no queue Location, an unexpected pending status, bad JSON). */
export class ProtocolError extends ClientError {
  override name = 'ProtocolError';
}

/** No HTTP answer at all: connection refused, unknown host, TLS failure, reset. */
export class NetworkError extends ClientError {
  override name = 'NetworkError';
  /** System error code when the runtime gives one (Node: ECONNREFUSED, ENOTFOUND, …). */
  readonly code?: string;
  readonly address?: string;
  readonly port?: number;
  /** The runtime's own description of the failure. */
  readonly reason: string;

  constructor(
    readonly method: string,
    readonly url: string,
    cause: unknown,
  ) {
    // Node's fetch throws TypeError('fetch failed') with the socket error as its cause.
    const inner = (cause as { cause?: { code?: unknown; address?: unknown; port?: unknown; message?: unknown } } | undefined)?.cause;
    const reason = typeof inner?.message === 'string' ? inner.message : cause instanceof Error ? cause.message : String(cause);
    super(`${method} ${url}: ${reason}`, { cause });
    this.reason = reason;
    if (typeof inner?.code === 'string') this.code = inner.code;
    if (typeof inner?.address === 'string') this.address = inner.address;
    if (typeof inner?.port === 'number') this.port = inner.port;
  }
}
