import type { RouteModule } from './server.js';
import { sendJson, sendText } from './http.js';
import { poolSummary } from '../topology/summary.js';
import { getVolume, volumeBricks } from '../store/volumes.js';
import { setSize, volumeDurability } from '../volumes/model.js';

/** Brickyard's reads for dashboards (the console): the pool in one answer, a volume's brick sets. A user token may read both (src/auth/jwt.ts). */
export const poolRoutes: RouteModule = (app, ctx) => {
  const { db } = ctx;

  app.get('/pool', async (_req, reply) => sendJson(reply, 200, poolSummary(db)));

  // Heketi's volume info lists bricks by id; which bricks form a replica/disperse set is the
  // gluster brick order, recorded as positions (Brickyard's creates, and the dump's order on import).
  app.get('/volumes/:id/sets', async (req, reply) => {
    const v = getVolume(db, (req.params as { id: string }).id);
    if (!v || v.pending_op) return sendText(reply, 404, 'Id not found');
    // The same bricks as GET /volumes/{id} lists (a brick being replaced shares its position).
    const bricks = volumeBricks(db, v.id);
    const per = setSize(volumeDurability(v));
    const sets = new Map<number, string[]>();
    for (const b of bricks) {
      const set = Math.floor(b.position / per);
      sets.set(set, [...(sets.get(set) ?? []), b.id]);
    }
    return sendJson(reply, 200, { sets: [...sets.entries()].sort((a, b) => a[0] - b[0]).map(([, ids]) => ids) });
  });
};
