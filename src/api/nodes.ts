import type { RouteModule } from './server.js';
import { decodeBody } from '../core/decode.js';
import { sendAccepted, sendJson, sendText } from './http.js';
import { NODE_ADD, STATE_CHANGE, TAG_CHANGE, applyTagChange, validateNodeAdd, validateStateChange, validateTagChange } from '../topology/requests.js';
import { changeNodeState, prepareNodeDelete, startNodeAdd } from '../topology/nodes.js';
import { nodeView, visibleNode } from '../topology/views.js';
import { nodeDevices, parseTags, setNodeTags, sortedTags } from '../store/topology.js';
import { tx } from '../store/stmt.js';
import { planRemoval } from '../volumes/evict.js';

export const nodeRoutes: RouteModule = (app, ctx) => {
  const { db } = ctx;

  app.post('/nodes', async (req, reply) => {
    const body = decodeBody(req.rawBody, NODE_ADD);
    validateNodeAdd(body);
    const prepare = await startNodeAdd(ctx, body);
    return sendAccepted(reply, ctx.ops.start(prepare, { label: 'add-node', log: req.log }), req.method);
  });

  app.get('/nodes/:id', async (req, reply) => {
    const node = visibleNode(db, (req.params as { id: string }).id);
    return node ? sendJson(reply, 200, nodeView(db, node)) : sendText(reply, 404, 'Id not found');
  });

  app.delete('/nodes/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    return sendAccepted(reply, ctx.ops.start(() => prepareNodeDelete(ctx, id), { label: 'delete-node', log: req.log }), req.method);
  });

  app.post('/nodes/:id/state', async (req, reply) => {
    const body = decodeBody(req.rawBody, STATE_CHANGE);
    const target = validateStateChange(body);
    const { id } = req.params as { id: string };
    if (!visibleNode(db, id)) return sendText(reply, 404, 'Id not found');
    // Only a removal takes an in-flight slot (Heketi throttles state=failed).
    const queueId = ctx.ops.start(() => ({ work: () => changeNodeState(ctx, id, target, body.healcheck) }), {
      throttle: target === 'failed',
      label: 'node-state',
      log: req.log,
    });
    return sendAccepted(reply, queueId, req.method);
  });

  // Brickyard's dry run of a node removal: where each brick of its devices would move.
  app.get('/nodes/:id/remove-plan', async (req, reply) => {
    const node = visibleNode(db, (req.params as { id: string }).id);
    if (!node) return sendText(reply, 404, 'Id not found');
    const devices = new Set(nodeDevices(db, node.id).map((d) => d.id));
    return sendJson(reply, 200, planRemoval(ctx, node.cluster_id, devices, node.id));
  });

  app.post('/nodes/:id/tags', async (req, reply) => {
    const body = decodeBody(req.rawBody, TAG_CHANGE);
    const kind = validateTagChange(body);
    const { id } = req.params as { id: string };
    const tags = tx(db, () => {
      const node = visibleNode(db, id);
      if (!node) return undefined;
      const next = applyTagChange(parseTags(node.tags), kind, body.tags);
      setNodeTags(db, id, next);
      return next;
    });
    return tags ? sendJson(reply, 200, sortedTags(tags)) : sendText(reply, 404, 'Id not found');
  });
};
