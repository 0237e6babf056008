import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { openDatabase, type DB } from './store/db.js';
import type { CommandRunner } from './gluster/executor.js';
import { NodeOps } from './gluster/nodeops.js';
import { MockRunner } from './gluster/mock.js';
import { SshRunner } from './gluster/ssh.js';
import { KubectlRunner } from './gluster/kubectl.js';
import { buildApp, pinoLevel, type AppContext, type RouteModule } from './api/server.js';
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
import { evictBrick } from './volumes/evict.js';
import { prepareRecovery, recoverAtStart, recoverOperations } from './operations/recovery.js';
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
  blockVolumeRoutes,
  brickRoutes,
  operationRoutes,
  dbRoutes,
  stateRoutes,
  adminRoutes,
  openapiRoutes,
  uiRoutes(),
];

export function createRunner(config: Config): CommandRunner {
  const g = config.glusterfs;
  switch (g.executor) {
    case 'mock':
      return new MockRunner({ stateFile: `${g.dbPath}.mock-nodes.json`, deviceSizeGb: g.mock.deviceSizeGb, delayMs: g.mock.delayMs });
    case 'ssh':
      return new SshRunner(g.sshexec);
    case 'kubernetes':
      return new KubectlRunner(g.kubeexec);
  }
}

export interface Brickyard {
  app: FastifyInstance;
  ctx: AppContext;
  /** Background recovery of operations interrupted by an earlier crash. */
  recovery: Promise<unknown>;
  close(): Promise<void>;
}

export interface CreateOptions {
  logger?: boolean | object;
  runner?: CommandRunner;
  db?: DB;
}

/** Opens the store, picks the executor, builds the HTTP app and starts crash recovery. */
export async function createBrickyard(config: Config, opts: CreateOptions = {}): Promise<Brickyard> {
  const db = opts.db ?? openDatabase(config.glusterfs.dbPath);
  const runner = opts.runner ?? createRunner(config);
  const https = config.enableTls ? { key: readFileSync(config.keyFile), cert: readFileSync(config.certFile) } : undefined;
  const { app, ctx } = await buildApp({
    ctx: {
      config,
      db,
      runner,
      nodeOps: new NodeOps(runner, config.glusterfs.commands),
      admin: { state: config.defaultState },
      logLevel: { current: config.glusterfs.loglevel },
    },
    routes: ROUTES,
    logger: opts.logger ?? false,
    https,
  });
  ctx.evictBrick = (brickId, healcheck) => evictBrick(ctx, brickId, healcheck);
  if (opts.logger) app.log.level = pinoLevel(config.glusterfs.loglevel);
  prepareRecovery(ctx);
  const recovery = recoverAtStart(ctx).catch((e) => app.log.error({ err: e }, 'recovery failed'));
  // Heketi's background cleaner: operations whose undo failed (a node was down) are retried
  // later without anyone calling /operations/pending/cleanup.
  const cleaner = config.glusterfs.cleaner;
  const cleanOnce = () => {
    void recoverOperations(ctx).catch((e) => app.log.warn({ err: e }, 'background cleanup failed'));
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
      await ctx.ops.idle();
      await runner.close();
      db.close();
    },
  };
}
