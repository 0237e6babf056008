import type { RouteModule } from './server.js';
import { decodeBody } from '../core/decode.js';
import { sendAccepted, sendJson, sendText } from './http.js';
import {
  BLOCK_VOLUME_CREATE,
  BLOCK_VOLUME_EXPAND,
  blockVolumeView,
  buildBlockVolumeCreate,
  buildBlockVolumeDelete,
  buildBlockVolumeExpand,
  checkBlockVolumeCreateTargets,
  execBlockVolumeCreate,
  execBlockVolumeDelete,
  execBlockVolumeExpand,
  getBlockVolume,
  listVisibleBlockVolumeIds,
  validateBlockVolumeCreate,
  validateBlockVolumeExpand,
} from '../volumes/block.js';

/** /blockvolumes (heketi-api.md §10): decode → validate → slot → build and queue entry (one transaction) → background exec. */
export const blockVolumeRoutes: RouteModule = (app, ctx) => {
  const { db } = ctx;

  app.post('/blockvolumes', async (req, reply) => {
    const body = validateBlockVolumeCreate(decodeBody(req.rawBody, BLOCK_VOLUME_CREATE));
    checkBlockVolumeCreateTargets(ctx, body);
    const queueId = ctx.ops.start(
      () => {
        const state = buildBlockVolumeCreate(ctx, body);
        return { opId: state.opId, work: () => execBlockVolumeCreate(ctx, state) };
      },
      { throttle: true, label: 'create-block-volume', log: req.log },
    );
    return sendAccepted(reply, queueId, req.method);
  });

  app.get('/blockvolumes', async (_req, reply) => sendJson(reply, 200, { blockvolumes: listVisibleBlockVolumeIds(db) }));

  app.get('/blockvolumes/:id', async (req, reply) => {
    const bv = getBlockVolume(db, (req.params as { id: string }).id);
    if (!bv || bv.pending_op) return sendText(reply, 404, 'Id not found');
    return sendJson(reply, 200, blockVolumeView(bv));
  });

  // A pending block volume is not "not found" here: Build answers 500 "… is in use" (Heketi).
  app.delete('/blockvolumes/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!getBlockVolume(db, id)) return sendText(reply, 404, 'Id not found');
    const queueId = ctx.ops.start(
      () => {
        const { opId } = buildBlockVolumeDelete(ctx, id);
        return { opId, work: () => execBlockVolumeDelete(ctx, id, opId) };
      },
      { throttle: true, label: 'delete-block-volume', log: req.log },
    );
    return sendAccepted(reply, queueId, req.method);
  });

  app.post('/blockvolumes/:id/expand', async (req, reply) => {
    const body = decodeBody(req.rawBody, BLOCK_VOLUME_EXPAND);
    validateBlockVolumeExpand(body.new_size);
    const { id } = req.params as { id: string };
    if (!getBlockVolume(db, id)) return sendText(reply, 404, 'Id not found');
    const queueId = ctx.ops.start(
      () => {
        const state = buildBlockVolumeExpand(ctx, id, body.new_size);
        return { opId: state.opId, work: () => execBlockVolumeExpand(ctx, state) };
      },
      { throttle: true, label: 'expand-block-volume', log: req.log },
    );
    return sendAccepted(reply, queueId, req.method);
  });
};
