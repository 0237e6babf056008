import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { JsonBytes } from '../util/json-bytes.js';

/** Go `http.Error`: text/plain with nosniff and one trailing newline. */
export function sendText(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/plain; charset=utf-8')
    .header('x-content-type-options', 'nosniff')
    .send(message + '\n');
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * JSON text plus Go's newline. A large ASCII text goes as bytes: Node measures (Content-Length)
 * and encodes a string body as UTF-8 one character at a time, ~25 ms per MiB each on this
 * machine; ASCII is its own UTF-8 and is copied in one go.
 */
function jsonBody(json: string): string | Buffer {
  if (json.length < 65536 || NON_ASCII.test(json)) return json + '\n';
  const bytes = Buffer.allocUnsafe(json.length + 1);
  bytes.write(json, 0, 'latin1');
  bytes[json.length] = 0x0a;
  return bytes;
}

/** Go `json.NewEncoder(w).Encode`: compact JSON plus a newline, upper-case UTF-8 as Heketi sends. */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json; charset=UTF-8').send(jsonBody(JSON.stringify(body)));
}

/** As `sendJson`, for JSON text written piece by piece (a large answer): its chunks go out as they are. */
export function sendJsonBytes(reply: FastifyReply, status: number, json: JsonBytes): FastifyReply {
  const chunks = json.finish('\n');
  reply.code(status).header('content-type', 'application/json; charset=UTF-8');
  if (chunks.length === 1) return reply.send(chunks[0]);
  const bytes = chunks.reduce((n, c) => n + c.length, 0);
  return reply.header('content-length', bytes).send(Readable.from(chunks));
}

/** Indented JSON (4 spaces) for /db/dump, /db/check and the examiner, as Heketi writes them. */
export function sendIndentedJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json; charset=UTF-8').send(JSON.stringify(body, null, 4) + '\n');
}

/** An empty answer without a Content-Type (DELETE /clusters/{id} 200, queue 204, POST /admin 204). */
export function sendEmpty(reply: FastifyReply, status: number): FastifyReply {
  return reply.code(status).send();
}

/** Go `http.Redirect` writes a small HTML body for GET/HEAD only. */
export function sendRedirect(reply: FastifyReply, status: 202 | 301 | 303, location: string, method: string): FastifyReply {
  const text = status === 202 ? 'Accepted' : status === 301 ? 'Moved Permanently' : 'See Other';
  reply.code(status).header('location', location);
  if (method === 'GET' || method === 'HEAD') {
    return reply.header('content-type', 'text/html; charset=utf-8').send(`<a href="${location}">${text}</a>.\n\n`);
  }
  return reply.send();
}

/** 202 Accepted pointing at the queue entry. */
export function sendAccepted(reply: FastifyReply, queueId: string, method: string): FastifyReply {
  return sendRedirect(reply, 202, `/queue/${queueId}`, method);
}
