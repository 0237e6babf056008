import type { RouteModule } from './server.js';
import { decodeBody } from '../core/decode.js';
import { sendAccepted, sendJson, sendText } from './http.js';
import { LIMITS, idError, throwIfInvalid, tooMany } from '../core/validation.js';
import { CHANGE_DESCRIPTION, getOperation, listOperations, type Action, type OperationRow } from '../operations/journal.js';
import { recoverOperations } from '../recovery/interrupted.js';

const CLEANUP = { operations: 'strings' } as const;

const changeView = (a: Action) => ({ id: a.id, description: CHANGE_DESCRIPTION[a.change] ?? 'Unknown' });

export const operationRoutes: RouteModule = (app, ctx) => {
  const { db } = ctx;
  const subStatus = (op: OperationRow) => (ctx.ops.activeOps.has(op.id) ? 'in-flight' : '');

  app.get('/operations', async (_req, reply) => {
    const ops = listOperations(db);
    const count = (s: string) => ops.filter((o) => o.status === s).length;
    return sendJson(reply, 200, { total: ops.length, in_flight: ctx.ops.activeOps.size, stale: count('stale'), failed: count('failed'), new: count('') });
  });

  app.get('/operations/pending', async (_req, reply) =>
    sendJson(reply, 200, {
      pendingoperations: listOperations(db).map((op) => ({ id: op.id, type_name: op.type, status: op.status, sub_status: subStatus(op) })),
    }),
  );

  // Brickyard's one-request view for the console: every pending operation with its changes and the
  // steps it has completed (the journal), newest first.
  app.get('/operations/details', async (_req, reply) =>
    sendJson(reply, 200, {
      operations: listOperations(db)
        .sort((a, b) => b.timestamp - a.timestamp || (a.id < b.id ? -1 : 1))
        .map((op) => ({
          id: op.id,
          type_name: op.type,
          status: op.status,
          sub_status: subStatus(op),
          timestamp: op.timestamp,
          committed: op.committed,
          changes: op.actions.map(changeView),
          steps_done: op.stepsDone,
        })),
    }),
  );

  app.get('/operations/pending/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    const op = getOperation(db, id);
    if (!op) return sendText(reply, 404, `Id not found: ${id}`);
    return sendJson(reply, 200, {
      id: op.id,
      type_name: op.type,
      status: op.status,
      sub_status: '',
      changes: op.actions.map(changeView),
    });
  });

  // Cleans stale/failed operations (listed ids, or all); individual failures are only logged.
  app.post('/operations/pending/cleanup', async (req, reply) => {
    const body = decodeBody(req.rawBody, CLEANUP);
    if (body.operations.length > LIMITS.operationIds) throwIfInvalid({ operations: tooMany('ids', body.operations.length, LIMITS.operationIds) });
    for (const id of body.operations) {
      const err = idError(id);
      if (err) throwIfInvalid({ operations: err });
    }
    const only = body.operations.length > 0 ? new Set(body.operations) : undefined;
    const queueId = ctx.ops.start(
      () => ({
        work: async () => {
          await recoverOperations(ctx, only);
          return null;
        },
      }),
      { label: 'cleanup-operations', log: req.log },
    );
    return sendAccepted(reply, queueId, req.method);
  });
};
