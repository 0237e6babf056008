import type { RouteModule } from './server.js';
import { sendJson } from './http.js';
import { topologyView } from '../volumes/views.js';

/** Brickyard: the whole topology in one answer, as heketi-cli's `topology info` assembles it from many. */
export const topologyRoutes: RouteModule = (app, ctx) => {
  app.get('/topology', async (_req, reply) => sendJson(reply, 200, topologyView(ctx.db)));
};
