import type { RouteModule } from './server.js';
import { sendJson } from './http.js';
import { poolSummary } from '../topology/summary.js';

/** Brickyard's one-request pool summary (the console's Pool view; topology/summary.ts). Admin only. */
export const poolRoutes: RouteModule = (app, ctx) => {
  app.get('/pool', async (_req, reply) => sendJson(reply, 200, poolSummary(ctx.db)));
};
