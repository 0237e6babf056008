import type { RouteModule } from './server.js';
import { deleteQueueEntry, getQueueEntry } from '../store/queue.js';
import { sendEmpty, sendRedirect, sendText } from './http.js';

/**
 * GET /queue/{id}: 200 + X-Pending while running; a finished entry answers once (303, 204 or
 * 500) and is then gone, exactly as Heketi's in-memory queue — but kept in SQLite until read.
 * Entries of this process's work are answered from the runner's copy of their row.
 */
export const queueRoutes: RouteModule = (app, ctx) => {
  app.addHook('preClose', (done) => {
    ctx.ops.releaseHeld();
    done();
  });

  app.get('/queue/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    const pending = () => reply.code(200).header('x-pending', 'true').send();
    if (ctx.ops.queueAnswer(id)?.status === 'pending') {
      const gone = new AbortController();
      const abort = () => gone.abort();
      reply.raw.once('close', abort);
      await ctx.ops.whenAnswered(id, gone.signal);
      reply.raw.off('close', abort);
      // The client left while held: its result stays for the next poll instead of being consumed unseen.
      if (gone.signal.aborted) return pending();
    }
    const entry = ctx.ops.queueAnswer(id) ?? getQueueEntry(ctx.db, id);
    if (!entry) return sendText(reply, 404, 'Id not found');
    if (entry.status === 'pending') return pending();
    const delivered = deleteQueueEntry(ctx.db, id);
    ctx.ops.forgetAnswer(id);
    if (!delivered) return sendText(reply, 404, 'Id not found');
    if (entry.status === 'failed') return sendText(reply, 500, entry.error ?? 'operation failed');
    if (entry.location) return sendRedirect(reply, 303, entry.location, req.method);
    return sendEmpty(reply, 204);
  });
};
