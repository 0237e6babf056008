import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { pino, type DestinationStream, type LoggerOptions } from 'pino';
import type { Config } from './config.js';
import type { DB } from './store/db.js';
import type { CommandRunner } from './gluster/executor.js';
import { closeContext, createContext, type AppContext } from './core/context.js';
import { buildApp, type RouteModule } from './api/server.js';
import { helloRoutes } from './api/hello.js';
import { queueRoutes } from './api/queue.js';
import { clusterRoutes } from './api/clusters.js';
import { nodeRoutes } from './api/nodes.js';
import { deviceRoutes } from './api/devices.js';
import { volumeRoutes } from './api/volumes.js';
import { blockVolumeRoutes } from './api/blockvolumes.js';
import { brickRoutes } from './api/bricks.js';
import { adminRoutes } from './api/admin.js';
import { operationRoutes } from './api/operations.js';
import { metricsRoutes } from './api/metrics.js';
import { dbRoutes } from './api/db.js';
import { openapiRoutes } from './api/openapi.js';
import { stateRoutes } from './api/state.js';
import { uiRoutes } from './api/ui.js';
import { poolRoutes } from './api/pool.js';
import { topologyRoutes } from './api/topology.js';
import { evictBrick } from './volumes/evict.js';
import { prepareRecovery, recoverAtStart, recoverOperations } from './recovery/interrupted.js';
import './topology/recovery.js';
import './volumes/lifecycle.js';
import './volumes/clone.js';
import './volumes/block.js';

export const ROUTES: RouteModule[] = [
  helloRoutes,
  metricsRoutes,
  queueRoutes,
  clusterRoutes,
  poolRoutes,
  nodeRoutes,
  deviceRoutes,
  volumeRoutes,
  topologyRoutes,
  blockVolumeRoutes,
  brickRoutes,
  operationRoutes,
  dbRoutes,
  stateRoutes,
  adminRoutes,
  openapiRoutes,
  uiRoutes(),
];

export interface Brickyard {
  app: FastifyInstance;
  ctx: AppContext;
  /** Background recovery of operations interrupted by an earlier crash. */
  recovery: Promise<unknown>;
  close(): Promise<void>;
}

export interface CreateOptions {
  /** Log JSON lines through pino (to `stream`, default stdout); the level is glusterfs.loglevel. */
  logger?: boolean | (LoggerOptions & { stream?: DestinationStream });
  runner?: CommandRunner;
  db?: DB;
}

/**
 * The composition root: builds the core context (store, executor, operation runner), wires the
 * volume module's brick eviction and crash recovery into it, then builds the HTTP app over it.
 */
export async function createBrickyard(config: Config, opts: CreateOptions = {}): Promise<Brickyard> {
  const ctx = createContext(config, { db: opts.db, runner: opts.runner, log: createLogger(opts.logger) });
  ctx.evictBrick = (brickId, healcheck) => evictBrick(ctx, brickId, healcheck);
  const https = config.enableTls ? { key: readFileSync(config.keyFile), cert: readFileSync(config.certFile) } : undefined;
  const app = await buildApp({ ctx, routes: ROUTES, https });
  prepareRecovery(ctx);
  const recovery = recoverAtStart(ctx).catch((e) => ctx.log.error({ err: e }, 'recovery failed'));
  // Heketi's background cleaner: operations whose undo failed (a node was down) are retried
  // later without anyone calling /operations/pending/cleanup.
  const cleaner = config.glusterfs.cleaner;
  const cleanOnce = () => {
    void recoverOperations(ctx).catch((e) => ctx.log.warn({ err: e }, 'background cleanup failed'));
  };
  const timers: NodeJS.Timeout[] = [];
  if (cleaner.enabled) {
    const first = setTimeout(() => {
      cleanOnce();
      timers.push(setInterval(cleanOnce, cleaner.refreshSec * 1000).unref());
    }, cleaner.startSec * 1000);
    timers.push(first.unref());
  }
  return {
    app,
    ctx,
    recovery,
    async close() {
      for (const t of timers) clearTimeout(t);
      await app.close();
      await recovery;
      await closeContext(ctx);
    },
  };
}

function createLogger(option: CreateOptions['logger']) {
  if (!option) return undefined;
  const { stream, ...options } = option === true ? {} : option;
  return pino(options, stream);
}
