import type { RouteModule } from './server.js';
import { decodeBody, decodeOptionalBody } from '../core/decode.js';
import { sendAccepted, sendJson, sendText } from './http.js';
import { DEVICE_ADD, DEVICE_DELETE, STATE_CHANGE, TAG_CHANGE, applyTagChange, validateDeviceAdd, validateStateChange, validateTagChange } from '../topology/requests.js';
import { changeDeviceState, prepareDeviceAdd, prepareDeviceDelete, resyncDevice } from '../topology/devices.js';
import { deviceView, visibleDevice, visibleNode } from '../topology/views.js';
import { parseTags, setDeviceTags, sortedTags } from '../store/topology.js';
import { tx } from '../store/stmt.js';
import { planRemoval } from '../volumes/evict.js';

export const deviceRoutes: RouteModule = (app, ctx) => {
  const { db } = ctx;

  app.post('/devices', async (req, reply) => {
    const body = decodeBody(req.rawBody, DEVICE_ADD);
    validateDeviceAdd(body);
    return sendAccepted(reply, ctx.ops.start(() => prepareDeviceAdd(ctx, body), { label: 'add-device', log: req.log }), req.method);
  });

  app.get('/devices/:id', async (req, reply) => {
    const device = visibleDevice(db, (req.params as { id: string }).id);
    return device ? sendJson(reply, 200, deviceView(db, device)) : sendText(reply, 404, 'Id not found');
  });

  // The body is optional: heketi-cli sends {"forceforget":…} without a Content-Type.
  app.delete('/devices/:id', async (req, reply) => {
    const body = decodeOptionalBody(req.rawBody, DEVICE_DELETE);
    const { id } = req.params as { id: string };
    return sendAccepted(reply, ctx.ops.start(() => prepareDeviceDelete(ctx, id, body.forceforget), { label: 'delete-device', log: req.log }), req.method);
  });

  app.post('/devices/:id/state', async (req, reply) => {
    const body = decodeBody(req.rawBody, STATE_CHANGE);
    const target = validateStateChange(body);
    const { id } = req.params as { id: string };
    if (!visibleDevice(db, id)) return sendText(reply, 404, 'Id not found');
    // Only a removal takes an in-flight slot (Heketi throttles state=failed).
    const queueId = ctx.ops.start(() => ({ work: () => changeDeviceState(ctx, id, target, body.healcheck) }), {
      throttle: target === 'failed',
      label: 'device-state',
      log: req.log,
    });
    return sendAccepted(reply, queueId, req.method);
  });

  // Brickyard's dry run of a removal: where each brick would move (nothing reserved, no node command).
  app.get('/devices/:id/remove-plan', async (req, reply) => {
    const device = visibleDevice(db, (req.params as { id: string }).id);
    const node = device && visibleNode(db, device.node_id);
    if (!device || !node) return sendText(reply, 404, 'Id not found');
    return sendJson(reply, 200, planRemoval(ctx, node.cluster_id, new Set([device.id])));
  });

  // A GET that changes state, as in Heketi; its 202 carries Go's small HTML body.
  app.get('/devices/:id/resync', async (req, reply) => {
    const device = visibleDevice(db, (req.params as { id: string }).id);
    if (!device || !visibleNode(db, device.node_id)) return sendText(reply, 404, 'Id not found');
    return sendAccepted(reply, ctx.ops.start(() => ({ work: () => resyncDevice(ctx, device) }), { label: 'resync-device', log: req.log }), req.method);
  });

  app.post('/devices/:id/tags', async (req, reply) => {
    const body = decodeBody(req.rawBody, TAG_CHANGE);
    const kind = validateTagChange(body);
    const { id } = req.params as { id: string };
    const tags = tx(db, () => {
      const device = visibleDevice(db, id);
      if (!device) return undefined;
      const next = applyTagChange(parseTags(device.tags), kind, body.tags);
      setDeviceTags(db, id, next);
      return next;
    });
    return tags ? sendJson(reply, 200, sortedTags(tags)) : sendText(reply, 404, 'Id not found');
  });
};
