import type { RouteModule } from './server.js';
import { decodeBody } from '../core/decode.js';
import { sendIndentedJson, sendJson } from './http.js';
import { exportDump } from '../store/dump/index.js';
import { driftReport, examineGluster, repairDrift } from '../recovery/drift.js';

const REPAIR = { dry_run: 'bool' } as const;

/**
 * The node examiner: Heketi's `GET /internal/state/examine/gluster`, and Brickyard's drift report
 * and repair (see recovery/drift.ts). All admin-only (the auth hook: no user routes here).
 */
export const stateRoutes: RouteModule = (app, ctx) => {
  app.get('/internal/state/examine/gluster', async (_req, reply) => {
    const heketidb = exportDump(ctx.db);
    const { report, clusters } = await examineGluster(ctx);
    return sendIndentedJson(reply, 200, { heketidb, report, clusters });
  });

  app.get('/internal/state/drift', async (_req, reply) => sendJson(reply, 200, await driftReport(ctx)));

  app.post('/internal/state/repair', async (req, reply) => {
    const body = decodeBody(req.rawBody, REPAIR);
    return sendJson(reply, 200, await repairDrift(ctx, body.dry_run));
  });
};
