import type { DB } from './db.js';
import { stmt } from './stmt.js';

export interface QueueEntry {
  id: string;
  status: 'pending' | 'done' | 'failed';
  location: string | null;
  error: string | null;
  op_id: string | null;
  created_at: number;
  finished_at: number | null;
}

export const INTERRUPTED =
  'Operation interrupted: the server stopped before it finished. Brickyard rolled back what it had done; retry the request.';

export function insertQueueEntry(db: DB, id: string, opId: string | null): void {
  stmt(db, `INSERT INTO queue (id, status, op_id, created_at) VALUES (?, 'pending', ?, ?)`).run(id, opId, Date.now());
}

export function finishQueueEntry(db: DB, id: string, location: string | null): void {
  stmt(db, `UPDATE queue SET status = 'done', location = ?, finished_at = ? WHERE id = ?`).run(location, Date.now(), id);
}

export function failQueueEntry(db: DB, id: string, error: string): void {
  stmt(db, `UPDATE queue SET status = 'failed', error = ?, finished_at = ? WHERE id = ?`).run(error, Date.now(), id);
}

export function getQueueEntry(db: DB, id: string): QueueEntry | undefined {
  return stmt(db, 'SELECT * FROM queue WHERE id = ?').get(id) as QueueEntry | undefined;
}

export function deleteQueueEntry(db: DB, id: string): void {
  stmt(db, 'DELETE FROM queue WHERE id = ?').run(id);
}

/** At start: work cut by a crash can never finish, so its entry answers 500 instead of pending forever. */
export function failInterruptedEntries(db: DB, message = INTERRUPTED): number {
  return stmt(db, `UPDATE queue SET status = 'failed', error = ?, finished_at = ? WHERE status = 'pending'`).run(message, Date.now()).changes;
}

/** Results nobody collected are kept a day, then dropped (Heketi keeps them in memory forever). */
export function pruneQueue(db: DB, olderThanMs: number): number {
  return stmt(db, `DELETE FROM queue WHERE status != 'pending' AND finished_at < ?`).run(Date.now() - olderThanMs).changes;
}
