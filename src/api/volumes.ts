import type { RouteModule } from './server.js';
import { decodeBody } from '../core/decode.js';
import { sendAccepted, sendJson, sendText } from './http.js';
import { MSG, throwIfInvalid } from '../core/validation.js';
import { HttpError } from '../errors.js';
import { getVolume, listVisibleVolumeIds, volumeBricks } from '../store/volumes.js';
import { BLOCK_RESTRICTION, VOLUME_CLONE, VOLUME_CREATE, VOLUME_EXPAND, validateName, validateVolumeCreate } from '../volumes/requests.js';
import {
  buildVolumeCreate,
  buildVolumeDelete,
  buildVolumeExpand,
  checkVolumeCreateTargets,
  execVolumeCreate,
  execVolumeDelete,
  execVolumeExpand,
  planVolumeCreate,
} from '../volumes/lifecycle.js';
import { buildVolumeClone, execVolumeClone } from '../volumes/clone.js';
import { setRestriction } from '../volumes/restriction.js';
import { volumeView } from '../volumes/views.js';

export const volumeRoutes: RouteModule = (app, ctx) => {
  const { db } = ctx;

  app.post('/volumes', async (req, reply) => {
    const body = decodeBody(req.rawBody, VOLUME_CREATE);
    validateVolumeCreate(body);
    checkVolumeCreateTargets(ctx, body);
    const slot = ctx.ops.acquire();
    try {
      const state = buildVolumeCreate(ctx, body);
      const queueId = ctx.ops.start(() => execVolumeCreate(ctx, state), { slot, opId: state.opId, label: 'create-volume', log: req.log });
      return sendAccepted(reply, queueId, req.method);
    } catch (e) {
      slot.release();
      throw e;
    }
  });

  // Brickyard's dry run: the placement a create would make, or why it cannot, reserving nothing.
  app.post('/volumes/plan', async (req, reply) => {
    const body = decodeBody(req.rawBody, VOLUME_CREATE);
    validateVolumeCreate(body);
    checkVolumeCreateTargets(ctx, body);
    const plan = planVolumeCreate(ctx, body, body.name || 'vol_<new>');
    if ('error' in plan) return sendJson(reply, 200, { feasible: false, error: plan.error, reasons: plan.reasons });
    return sendJson(reply, 200, {
      feasible: true,
      cluster: plan.clusterId,
      brick_size: plan.placement.brickSize,
      sets: plan.placement.sets.map((set) => set.map((b) => ({ node: b.nodeId, device: b.deviceId, size: b.size, arbiter: b.arbiter }))),
    });
  });

  app.get('/volumes', async (_req, reply) => sendJson(reply, 200, { volumes: listVisibleVolumeIds(db) }));

  app.get('/volumes/:id', async (req, reply) => {
    const v = getVolume(db, (req.params as { id: string }).id);
    if (!v || v.pending_op) return sendText(reply, 404, 'Id not found');
    return sendJson(reply, 200, volumeView(db, v));
  });

  app.delete('/volumes/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    const v = getVolume(db, id);
    if (!v || v.pending_op) return sendText(reply, 404, 'Id not found');
    const slot = ctx.ops.acquire();
    try {
      const { opId } = buildVolumeDelete(ctx, id);
      return sendAccepted(reply, ctx.ops.start(() => execVolumeDelete(ctx, id, opId), { slot, opId, label: 'delete-volume', log: req.log }), req.method);
    } catch (e) {
      slot.release();
      throw e;
    }
  });

  app.post('/volumes/:id/expand', async (req, reply) => {
    const body = decodeBody(req.rawBody, VOLUME_EXPAND);
    if (body.expand_size === 0) throwIfInvalid({ expand_size: MSG.blank });
    if (body.expand_size < 0) throwIfInvalid({ expand_size: MSG.min(1) });
    const { id } = req.params as { id: string };
    const v = getVolume(db, id);
    if (!v || v.pending_op) return sendText(reply, 404, 'Id not found');
    const slot = ctx.ops.acquire();
    try {
      const state = buildVolumeExpand(ctx, id, body.expand_size);
      const queueId = ctx.ops.start(() => execVolumeExpand(ctx, state, body.expand_size), { slot, opId: state.opId, label: 'expand-volume', log: req.log });
      return sendAccepted(reply, queueId, req.method);
    } catch (e) {
      slot.release();
      throw e;
    }
  });

  app.post('/volumes/:id/clone', async (req, reply) => {
    const body = decodeBody(req.rawBody, VOLUME_CLONE);
    validateName(body.name);
    const { id } = req.params as { id: string };
    const v = getVolume(db, id);
    if (!v || v.pending_op) return sendText(reply, 404, 'Id not found');
    if (v.block) throw new HttpError(500, `Failed clone volume ${id}: Cloning of block hosting volumes is not supported`);
    if (volumeBricks(db, id).some((b) => b.pending_op)) throw new HttpError(500, `Failed clone volume ${id}: The target exists, contains other items, or is in use.`);
    const slot = ctx.ops.acquire();
    try {
      const state = buildVolumeClone(ctx, v, body.name);
      const queueId = ctx.ops.start(() => execVolumeClone(ctx, state), { slot, opId: state.opId, label: 'clone-volume', log: req.log });
      return sendAccepted(reply, queueId, req.method);
    } catch (e) {
      slot.release();
      throw e;
    }
  });

  app.post('/volumes/:id/block-restriction', async (req, reply) => {
    const body = decodeBody(req.rawBody, BLOCK_RESTRICTION);
    if (body.restriction !== '' && body.restriction !== 'locked') throwIfInvalid({ restriction: MSG.value });
    const { id } = req.params as { id: string };
    const v = getVolume(db, id);
    if (!v || v.pending_op) return sendText(reply, 404, 'Id not found');
    const slot = ctx.ops.acquire();
    try {
      const work = setRestriction(ctx, v, body.restriction as '' | 'locked');
      return sendAccepted(reply, ctx.ops.start(work, { slot, label: 'block-restriction', log: req.log }), req.method);
    } catch (e) {
      slot.release();
      throw e;
    }
  });
};
