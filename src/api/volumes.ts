import type { RouteModule } from './server.js';
import { decodeBody, decodeOptionalBody } from '../core/decode.js';
import { sendAccepted, sendJson, sendJsonBytes, sendText } from './http.js';
import { MSG, throwIfInvalid } from '../core/validation.js';
import { HttpError, badRequest } from '../errors.js';
import { getVolume, listVisibleVolumeIds, volumeBricks } from '../store/volumes.js';
import { BLOCK_RESTRICTION, VOLUME_CAPACITY, VOLUME_CLONE, VOLUME_CREATE, VOLUME_EXPAND, validateName, validateVolumeCreate } from '../volumes/requests.js';
import {
  buildVolumeCreate,
  buildVolumeDelete,
  buildVolumeExpand,
  checkClusterTargets,
  checkVolumeCreateTargets,
  execVolumeCreate,
  execVolumeDelete,
  execVolumeExpand,
  planVolumeCreate,
} from '../volumes/lifecycle.js';
import { buildVolumeClone, execVolumeClone } from '../volumes/clone.js';
import { setRestriction } from '../volumes/restriction.js';
import { VOLUME_SORTS, volumePageJson, volumeViewJson, type VolumePageQuery, type VolumeSort } from '../volumes/views.js';
import { volumeCapacity } from '../volumes/capacity.js';

export const DETAILS_PAGE = { default: 500, max: 1000 };

/**
 * The query of GET /volumes/details. Unknown parameters are ignored (Heketi's routes ignore query
 * strings); an empty value counts as absent.
 */
function detailsQuery(query: unknown): VolumePageQuery {
  const q = (query ?? {}) as Record<string, unknown>;
  const one = (key: string): string | undefined => {
    const v = q[key];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string') throw badRequest(`query parameter ${key} given more than once`);
    return v;
  };
  const id = (key: string, what: string): string | undefined => {
    const v = one(key);
    if (v !== undefined && !/^[A-Fa-f0-9]{32}$/.test(v)) throw badRequest(`${key} must be ${what} id (32 hex characters)`);
    return v?.toLowerCase();
  };
  const limitText = one('limit');
  const limit = limitText === undefined ? DETAILS_PAGE.default : /^[0-9]{1,7}$/.test(limitText) ? Number(limitText) : NaN;
  if (!(limit >= 1 && limit <= DETAILS_PAGE.max)) throw badRequest(`limit must be a whole number from 1 to ${DETAILS_PAGE.max}`);
  const offsetText = one('offset');
  const offset = offsetText === undefined ? undefined : /^[0-9]{1,9}$/.test(offsetText) ? Number(offsetText) : NaN;
  if (Number.isNaN(offset)) throw badRequest('offset must be a whole number from 0 to 999999999');
  const sortText = one('sort');
  let sort: VolumeSort | undefined;
  if (sortText !== undefined) {
    const key = sortText.replace(/^-/, '');
    if (!(VOLUME_SORTS as readonly string[]).includes(key)) throw badRequest(`sort must be one of ${VOLUME_SORTS.join(', ')} (a leading - sorts descending)`);
    sort = { key: key as VolumeSort['key'], desc: sortText.startsWith('-') };
  }
  const after = id('after', 'a volume');
  if (after !== undefined && (offset !== undefined || (sort && (sort.key !== 'id' || sort.desc)))) {
    throw badRequest('after pages in ascending id order only: use offset with sort');
  }
  return { limit, after, offset, name: one('name'), cluster: id('cluster', 'a cluster'), search: one('search'), sort };
}

export const volumeRoutes: RouteModule = (app, ctx) => {
  const { db } = ctx;

  app.post('/volumes', async (req, reply) => {
    const body = validateVolumeCreate(decodeBody(req.rawBody, VOLUME_CREATE));
    checkVolumeCreateTargets(ctx, body);
    const queueId = ctx.ops.start(
      () => {
        const state = buildVolumeCreate(ctx, body);
        return { opId: state.opId, work: () => execVolumeCreate(ctx, state) };
      },
      { throttle: true, label: 'create-volume', log: req.log },
    );
    return sendAccepted(reply, queueId, req.method);
  });

  // Brickyard's dry run: the placement a create would make, or why it cannot, reserving nothing.
  app.post('/volumes/plan', async (req, reply) => {
    const body = validateVolumeCreate(decodeBody(req.rawBody, VOLUME_CREATE));
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

  // Brickyard: the largest volume a create with these parameters could get now (size ignored).
  app.post('/volumes/capacity', async (req, reply) => {
    const body = validateVolumeCreate(decodeOptionalBody(req.rawBody, VOLUME_CAPACITY), { ignoreSize: true });
    checkClusterTargets(ctx, body);
    return sendJson(reply, 200, await volumeCapacity(ctx, body, body.each_durability));
  });

  app.get('/volumes', async (_req, reply) => sendJson(reply, 200, { volumes: listVisibleVolumeIds(db) }));

  // Brickyard: many volume infos per request, keyset-paged by id.
  app.get('/volumes/details', async (req, reply) => sendJsonBytes(reply, 200, volumePageJson(db, detailsQuery(req.query))));

  app.get('/volumes/:id', async (req, reply) => {
    const v = getVolume(db, (req.params as { id: string }).id);
    if (!v || v.pending_op) return sendText(reply, 404, 'Id not found');
    return sendJsonBytes(reply, 200, volumeViewJson(db, v));
  });

  app.delete('/volumes/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    const v = getVolume(db, id);
    if (!v || v.pending_op) return sendText(reply, 404, 'Id not found');
    const queueId = ctx.ops.start(
      () => {
        const { opId } = buildVolumeDelete(ctx, id);
        return { opId, work: () => execVolumeDelete(ctx, id, opId) };
      },
      { throttle: true, label: 'delete-volume', log: req.log },
    );
    return sendAccepted(reply, queueId, req.method);
  });

  app.post('/volumes/:id/expand', async (req, reply) => {
    const body = decodeBody(req.rawBody, VOLUME_EXPAND);
    if (body.expand_size === 0) throwIfInvalid({ expand_size: MSG.blank });
    if (body.expand_size < 0) throwIfInvalid({ expand_size: MSG.min(1) });
    const { id } = req.params as { id: string };
    const v = getVolume(db, id);
    if (!v || v.pending_op) return sendText(reply, 404, 'Id not found');
    const queueId = ctx.ops.start(
      () => {
        const state = buildVolumeExpand(ctx, id, body.expand_size);
        return { opId: state.opId, work: () => execVolumeExpand(ctx, state, body.expand_size) };
      },
      { throttle: true, label: 'expand-volume', log: req.log },
    );
    return sendAccepted(reply, queueId, req.method);
  });

  app.post('/volumes/:id/clone', async (req, reply) => {
    const body = decodeBody(req.rawBody, VOLUME_CLONE);
    validateName(body.name);
    const { id } = req.params as { id: string };
    const v = getVolume(db, id);
    if (!v || v.pending_op) return sendText(reply, 404, 'Id not found');
    if (v.block) throw new HttpError(500, `Failed clone volume ${id}: Cloning of block hosting volumes is not supported`);
    if (volumeBricks(db, id).some((b) => b.pending_op)) throw new HttpError(500, `Failed clone volume ${id}: The target exists, contains other items, or is in use.`);
    const queueId = ctx.ops.start(
      () => {
        const state = buildVolumeClone(ctx, v, body.name);
        return { opId: state.opId, work: () => execVolumeClone(ctx, state) };
      },
      { throttle: true, label: 'clone-volume', log: req.log },
    );
    return sendAccepted(reply, queueId, req.method);
  });

  app.post('/volumes/:id/block-restriction', async (req, reply) => {
    const body = decodeBody(req.rawBody, BLOCK_RESTRICTION);
    if (body.restriction !== '' && body.restriction !== 'locked') throwIfInvalid({ restriction: MSG.value });
    const { id } = req.params as { id: string };
    const v = getVolume(db, id);
    if (!v || v.pending_op) return sendText(reply, 404, 'Id not found');
    const queueId = ctx.ops.start(() => ({ work: setRestriction(ctx, v, body.restriction as '' | 'locked') }), {
      throttle: true,
      label: 'block-restriction',
      log: req.log,
    });
    return sendAccepted(reply, queueId, req.method);
  });
};
