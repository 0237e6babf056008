import type { RouteModule } from './server.js';
import { decodeOptionalBody } from '../core/decode.js';
import { sendAccepted, sendText } from './http.js';
import { throwIfInvalid } from '../core/validation.js';
import { HttpError } from '../errors.js';
import { BRICK_EVICT } from '../volumes/requests.js';
import { getBrick, volumeBricks } from '../store/volumes.js';
import { evictBrick } from '../volumes/evict.js';

export const brickRoutes: RouteModule = (app, ctx) => {
  // The body is optional: the Go client sends {"healcheck":…} without a Content-Type.
  app.post('/bricks/to-evict/:id', async (req, reply) => {
    const body = decodeOptionalBody(req.rawBody, BRICK_EVICT);
    if (!['', 'enable', 'disable'].includes(body.healcheck)) throwIfInvalid({ healcheck: `${body.healcheck} is not valid heal info check` });
    const { id } = req.params as { id: string };
    const brick = getBrick(ctx.db, id);
    if (!brick) return sendText(reply, 404, 'Id not found');
    if (brick.pending_op) throw new HttpError(500, `Failed to set up brick eviction: Can not evict brick ${id}: brick is pending`);
    if (volumeBricks(ctx.db, brick.volume_id).some((b) => b.pending_op)) {
      throw new HttpError(500, `Failed to set up brick eviction: Can not evict brick ${id} from volume ${brick.volume_id}: volume has pending bricks`);
    }
    const queueId = ctx.ops.start(
      () => ({
        work: async () => {
          await evictBrick(ctx, id, body.healcheck);
          return null;
        },
      }),
      { throttle: true, label: 'evict-brick', log: req.log },
    );
    return sendAccepted(reply, queueId, req.method);
  });
};
