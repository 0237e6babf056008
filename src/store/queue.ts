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

/** How a request ended, as its queue entry answers it: 303 to `location` (204 when null), or 500 `error`. */
export type QueueOutcome = { location: string | null } | { error: string };

/** The answer of an operation that recovery (after a crash, or the cleaner) rolled back: a retry is safe. */
export const INTERRUPTED =
  'Operation interrupted: the server stopped before it finished. Brickyard rolled back what it had done; retry the request.';

/** The answer of interrupted work that is not journalled: it did not complete, and nothing half-done is kept. */
export const INTERRUPTED_UNFINISHED =
  'Operation interrupted: the server stopped before it finished, and the request did not complete; retry the request.';

/** The answer of an interrupted operation whose clean-up has not succeeded yet (the cleaner keeps retrying it). */
export function interruptedUncleaned(opId: string, error: string): string {
  return (
    `Operation interrupted: the server stopped before it finished, and undoing what it had done failed: ${error}. ` +
    `Operation ${opId} stays in /operations/pending and is retried by the background cleaner and POST /operations/pending/cleanup.`
  );
}

export function insertQueueEntry(db: DB, id: string, opId: string | null): void {
  stmt(db, `INSERT INTO queue (id, status, op_id, created_at) VALUES (?, 'pending', ?, ?)`).run(id, opId, Date.now());
}

const SETTLE = `UPDATE queue SET status = ?, location = ?, error = ?, finished_at = ? WHERE status = 'pending' AND`;

function settleArgs(o: QueueOutcome): [string, string | null, string | null, number] {
  return 'error' in o ? ['failed', null, o.error, Date.now()] : ['done', o.location, null, Date.now()];
}

/**
 * Records the answer of a still pending entry (a settled entry keeps its first answer, e.g. the
 * one its operation's last transaction wrote) and returns the entry as it now stands.
 */
export function settleQueueEntry(db: DB, id: string, outcome: QueueOutcome): QueueEntry | undefined {
  const entry = getQueueEntry(db, id);
  if (entry?.status !== 'pending') return entry;
  const [status, location, error, finishedAt] = settleArgs(outcome);
  stmt(db, `${SETTLE} id = ?`).run(status, location, error, finishedAt, id);
  return { ...entry, status: status as QueueEntry['status'], location, error, finished_at: finishedAt };
}

/** Records the answer of the pending entries of an operation (called where its journal row goes). */
export function settleOperationEntries(db: DB, opId: string, outcome: QueueOutcome): void {
  stmt(db, `${SETTLE} op_id = ?`).run(...settleArgs(outcome), opId);
}

export function getQueueEntry(db: DB, id: string): QueueEntry | undefined {
  return stmt(db, 'SELECT * FROM queue WHERE id = ?').get(id) as QueueEntry | undefined;
}

/** Removes an entry; false when it was not there (already collected). */
export function deleteQueueEntry(db: DB, id: string): boolean {
  return stmt(db, 'DELETE FROM queue WHERE id = ?').run(id).changes > 0;
}

/**
 * At start: work cut by a crash can never finish. Entries of a journalled operation wait for its
 * recovery, which answers them with what it did; the others are answered now.
 */
export function failInterruptedEntries(db: DB): number {
  return stmt(
    db,
    `UPDATE queue SET status = 'failed', error = ?, finished_at = ?
     WHERE status = 'pending' AND (op_id IS NULL OR op_id NOT IN (SELECT id FROM operations))`,
  ).run(INTERRUPTED_UNFINISHED, Date.now()).changes;
}

/** Results nobody collected are kept a day, then dropped (Heketi keeps them in memory forever). */
export function pruneQueue(db: DB, olderThanMs: number): number {
  return stmt(db, `DELETE FROM queue WHERE status != 'pending' AND finished_at < ?`).run(Date.now() - olderThanMs).changes;
}
