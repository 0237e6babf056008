import type { FastifyReply } from 'fastify';

/** Go `http.Error`: text/plain with nosniff and one trailing newline. */
export function sendText(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/plain; charset=utf-8')
    .header('x-content-type-options', 'nosniff')
    .send(message + '\n');
}

/** Go `json.NewEncoder(w).Encode`: compact JSON plus a newline, upper-case UTF-8 as Heketi sends. */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json; charset=UTF-8').send(JSON.stringify(body) + '\n');
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
