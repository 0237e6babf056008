import type { RouteModule } from './server.js';
import { deleteQueueEntry, getQueueEntry } from '../store/queue.js';
import { sendEmpty, sendRedirect, sendText } from './http.js';

/**
 * GET /queue/{id}: 200 + X-Pending while running; a finished entry answers once (303, 204 or
 * 500) and is then gone, exactly as Heketi's in-memory queue — but kept in SQLite until read.
 */
export const queueRoutes: RouteModule = (app, ctx) => {
  app.get('/queue/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    const entry = getQueueEntry(ctx.db, id);
    if (!entry) return sendText(reply, 404, 'Id not found');
    if (entry.status === 'pending') return reply.code(200).header('x-pending', 'true').send();
    deleteQueueEntry(ctx.db, id);
    if (entry.status === 'failed') return sendText(reply, 500, entry.error ?? 'operation failed');
    if (entry.location) return sendRedirect(reply, 303, entry.location, req.method);
    return sendEmpty(reply, 204);
  });
};
