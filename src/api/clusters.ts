import type { RouteModule } from './server.js';
import { newId } from '../ids.js';
import { decodeBody } from '../core/decode.js';
import { sendEmpty, sendJson, sendText } from './http.js';
import { clusterIsEmpty, deleteCluster, getCluster, insertCluster, listClusterIds, setClusterFlags } from '../store/topology.js';
import { clusterView } from '../topology/views.js';
import { tx } from '../store/stmt.js';

const FLAGS = { file: 'bool', block: 'bool' } as const;

export const clusterRoutes: RouteModule = (app, ctx) => {
  const { db } = ctx;

  // An omitted flag is false (Heketi's server default; its CLI always sends both).
  app.post('/clusters', async (req, reply) => {
    const body = decodeBody(req.rawBody, FLAGS);
    const id = newId();
    insertCluster(db, id, body.file, body.block);
    return sendJson(reply, 201, clusterView(db, id));
  });

  app.get('/clusters', async (_req, reply) => sendJson(reply, 200, { clusters: listClusterIds(db) }));

  app.get('/clusters/:id', async (req, reply) => {
    const view = clusterView(db, (req.params as { id: string }).id);
    return view ? sendJson(reply, 200, view) : sendText(reply, 404, 'Id not found');
  });

  // Both flags are overwritten; 200 with a JSON content type and no body, as Heketi answers.
  app.post('/clusters/:id/flags', async (req, reply) => {
    const body = decodeBody(req.rawBody, FLAGS);
    const { id } = req.params as { id: string };
    if (!getCluster(db, id)) return sendText(reply, 404, 'Id not found');
    setClusterFlags(db, id, body.file, body.block);
    return reply.code(200).header('content-type', 'application/json; charset=UTF-8').send();
  });

  app.delete('/clusters/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    const outcome = tx(db, () => {
      if (!getCluster(db, id)) return 404;
      if (!clusterIsEmpty(db, id)) return 409;
      deleteCluster(db, id);
      return 200;
    });
    if (outcome === 404) return sendText(reply, 404, 'Id not found');
    if (outcome === 409) return sendText(reply, 409, `Unable to delete cluster [${id}] because it contains volumes and/or nodes`);
    return sendEmpty(reply, 200);
  });
};
