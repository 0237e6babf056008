import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RouteModule } from './server.js';
import { sendIndentedJson } from './http.js';
import { checkDatabase } from '../store/check.js';
import { exportDump, importDump } from '../store/dump/index.js';
import { parseJsonText } from '../core/decode.js';
import { sendJson, sendText } from './http.js';

export const dbRoutes: RouteModule = (app, ctx) => {
  app.get('/db/dump', async (_req, reply) => sendIndentedJson(reply, 200, exportDump(ctx.db)));

  app.get('/db/check', async (_req, reply) => sendIndentedJson(reply, 200, checkDatabase(ctx.db)));

  // Brickyard's online form of `brickyard db import`: a Heketi export into an empty database.
  app.post('/db/import', async (req, reply) => {
    let dump: unknown;
    try {
      dump = parseJsonText(req.rawBody ?? '');
    } catch {
      return sendText(reply, 422, 'request unable to be parsed');
    }
    try {
      return sendJson(reply, 200, importDump(ctx.db, dump));
    } catch (e) {
      return sendText(reply, 400, `Import refused: ${e instanceof Error ? e.message : String(e)}`);
    }
  });

  // A consistent online snapshot through SQLite's backup API; the bytes are a DB file Brickyard opens as is.
  app.get('/backup/db', async (_req, reply) => {
    const dir = mkdtempSync(join(tmpdir(), 'brickyard-backup-'));
    try {
      const file = join(dir, 'heketi.db');
      await ctx.db.backup(file);
      const bytes = readFileSync(file);
      return reply
        .code(200)
        .header('content-type', 'application/octet-stream')
        .header('content-disposition', 'attachment; filename="heketi.db"')
        .send(bytes);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
};
