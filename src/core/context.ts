import { ConfigError, type AdminState, type Config, type LogLevel } from '../config.js';
import { errorText } from '../errors.js';
import { checkCommandConfig } from '../gluster/planner.js';
import { openDatabase, type DB } from '../store/db.js';
import type { CommandRunner } from '../gluster/executor.js';
import { NodeOps } from '../gluster/nodeops.js';
import { MockRunner } from '../gluster/mock/index.js';
import { SshRunner } from '../gluster/ssh.js';
import { KubectlRunner } from '../gluster/kubectl.js';
import { OperationRunner } from '../operations/runner.js';
import { silentLogger, type Logger } from '../util/log.js';

/**
 * The server's state, shared by every front end (the REST routes today): configuration, the
 * store, the executor and the operation runner. Made without any HTTP code.
 */
export interface AppContext {
  config: Config;
  db: DB;
  runner: CommandRunner;
  nodeOps: NodeOps;
  ops: OperationRunner;
  /**
   * Moves one brick to another device (brick evict, device remove). Provided by the volume
   * module, which owns placement and gluster's replace-brick.
   */
  evictBrick?: (brickId: string, healcheck: string) => Promise<void>;
  admin: { state: AdminState };
  /** Heketi's runtime log level (`/internal/logging`); change it with setLogLevel. */
  logLevel: { current: LogLevel };
  log: Logger;
}

/** The executor the configuration names. */
export function createRunner(config: Config): CommandRunner {
  const g = config.glusterfs;
  switch (g.executor) {
    case 'mock':
      // No in-memory command log (up to 100,000 entries, tens of MB): only tests read it, from
      // runners they make themselves; a served mock's commands are in the log file by its state.
      return new MockRunner({ stateFile: `${g.dbPath}.mock-nodes.json`, deviceSizeGb: g.mock.deviceSizeGb, delayMs: g.mock.delayMs, commandLogLimit: 0 });
    case 'ssh':
      return new SshRunner(g.sshexec);
    case 'kubernetes':
      return new KubectlRunner(g.kubeexec);
  }
}

export interface ContextOptions {
  /** Default: the database at glusterfs.db. */
  db?: DB;
  /** Default: the configured executor. */
  runner?: CommandRunner;
  /** Default: nothing is logged. The context sets its level (glusterfs.loglevel, then setLogLevel). */
  log?: Logger;
}

/** Opens the store and picks the executor; recovery and front ends are wired by the caller. */
export function createContext(config: Config, opts: ContextOptions = {}): AppContext {
  try {
    checkCommandConfig(config.glusterfs.commands);
  } catch (e) {
    // As docs/configuration.md promises: a value that cannot work stops the start.
    throw new ConfigError(`node command configuration (glusterfs.sshexec / glusterfs.kubeexec, HEKETI_* variables): ${errorText(e)}`);
  }
  const db = opts.db ?? openDatabase(config.glusterfs.dbPath);
  const runner = opts.runner ?? createRunner(config);
  const log = opts.log ?? silentLogger();
  const ctx: AppContext = {
    config,
    db,
    runner,
    nodeOps: new NodeOps(runner, config.glusterfs.commands),
    ops: new OperationRunner(db, log, config.glusterfs.maxInflightOperations),
    admin: { state: config.defaultState },
    logLevel: { current: config.glusterfs.loglevel },
    log,
  };
  setLogLevel(ctx, config.glusterfs.loglevel);
  return ctx;
}

/** Waits for background operations, then closes the executor and the store. */
export async function closeContext(ctx: AppContext): Promise<void> {
  await ctx.ops.idle();
  ctx.ops.close();
  await ctx.runner.close();
  ctx.db.close();
}

const PINO_LEVEL: Record<LogLevel, string> = {
  none: 'silent',
  critical: 'fatal',
  error: 'error',
  warning: 'warn',
  info: 'info',
  debug: 'debug',
};

/** Heketi's level names on pino's scale; loggers made from ctx.log (Fastify's, a request's) follow. */
export function setLogLevel(ctx: AppContext, level: LogLevel): void {
  ctx.logLevel.current = level;
  ctx.log.level = PINO_LEVEL[level];
}
