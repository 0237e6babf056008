import type { BaseLogger, Bindings, ChildLoggerOptions } from 'pino';

/**
 * What Brickyard logs through: pino's interface, the one Fastify's loggers have too, so a pino
 * instance, Fastify's app logger and a request's logger (which carries its request id) all fit.
 */
export interface Logger extends Pick<BaseLogger, 'level' | 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'> {
  child(bindings: Bindings, options?: ChildLoggerOptions): Logger;
}

const discard = () => undefined;

/** A logger that writes nothing whatever its level (a pino set to "silent" logs again when the level changes). */
export function silentLogger(): Logger {
  const log: Logger = {
    level: 'silent',
    fatal: discard,
    error: discard,
    warn: discard,
    info: discard,
    debug: discard,
    trace: discard,
    silent: discard,
    child: () => log,
  };
  return log;
}
