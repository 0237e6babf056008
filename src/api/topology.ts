import type { RouteModule } from './server.js';
import { sendJsonBytes } from './http.js';
import { topologyViewJson } from '../volumes/views.js';

/** Brickyard: the whole topology in one answer, as heketi-cli's `topology info` assembles it from many. */
export const topologyRoutes: RouteModule = (app, ctx) => {
  app.get('/topology', async (_req, reply) => sendJsonBytes(reply, 200, topologyViewJson(ctx.db)));
};
