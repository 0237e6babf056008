import type { RouteModule } from './server.js';
import { sendEmpty, sendJson, sendText } from './http.js';
import { LOG_LEVELS, type AdminState, type LogLevel } from '../config.js';
import { parseJsonText } from '../core/decode.js';
import { setLogLevel } from '../core/context.js';

/** These two endpoints report Go's JSON error text after a different prefix (heketi-api.md §1.4). */
function parseLoose(raw: string | undefined): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: parseJsonText(raw ?? '') };
  } catch {
    return { ok: false, message: raw && raw.trim() !== '' ? 'request unable to be parsed: invalid JSON' : 'request unable to be parsed: EOF' };
  }
}

export const adminRoutes: RouteModule = (app, ctx) => {
  app.get('/admin', async (_req, reply) => sendJson(reply, 200, { state: ctx.admin.state }));

  app.post('/admin', async (req, reply) => {
    const parsed = parseLoose(req.rawBody);
    if (!parsed.ok) return sendText(reply, 400, parsed.message);
    const v = parsed.value;
    const state = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>).state : undefined;
    if (state !== undefined && typeof state !== 'string') {
      return sendText(reply, 400, 'request unable to be parsed: json: cannot unmarshal into Go struct field AdminStatus.state of type string');
    }
    if (!state) return sendText(reply, 400, 'validation failed: state: cannot be blank.');
    if (!['normal', 'read-only', 'local-client'].includes(state)) return sendText(reply, 400, 'validation failed: state: must be a valid value.');
    ctx.admin.state = state as AdminState;
    return sendEmpty(reply, 204);
  });

  app.get('/internal/logging', async (_req, reply) => sendJson(reply, 200, { loglevel: { glusterfs: ctx.logLevel.current } }));

  app.post('/internal/logging', async (req, reply) => {
    const parsed = parseLoose(req.rawBody);
    if (!parsed.ok) return sendText(reply, 400, parsed.message);
    const v = parsed.value as { loglevel?: Record<string, unknown> } | null;
    const levels = v && typeof v === 'object' ? v.loglevel : undefined;
    if (levels !== undefined && (typeof levels !== 'object' || levels === null || Array.isArray(levels))) {
      return sendText(reply, 400, 'request unable to be parsed: json: cannot unmarshal into Go struct field LogLevelInfo.loglevel of type map[string]string');
    }
    if (!levels || !('glusterfs' in levels)) return sendText(reply, 422, 'Only "glusterfs" logger may be modified');
    const level = levels.glusterfs;
    if (typeof level !== 'string') return sendText(reply, 400, 'request unable to be parsed: json: cannot unmarshal into Go value of type string');
    if (level !== '') {
      if (!(LOG_LEVELS as readonly string[]).includes(level)) return sendText(reply, 422, `invalid log level: ${level}`);
      setLogLevel(ctx, level as LogLevel);
    }
    return sendJson(reply, 200, { loglevel: { glusterfs: ctx.logLevel.current } });
  });
};
