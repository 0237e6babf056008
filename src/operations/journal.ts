import type { DB } from '../store/db.js';
import { settleOperationEntries, type QueueOutcome } from '../store/queue.js';
import { stmt } from '../store/stmt.js';

/** Heketi's change kinds inside a pending operation (numbers as in its DB dump). */
export const CHANGE = {
  AddBrick: 1,
  AddVolume: 2,
  DeleteBrick: 3,
  DeleteVolume: 4,
  ExpandVolume: 5,
  AddBlockVolume: 6,
  DeleteBlockVolume: 7,
  RemoveDevice: 8,
  CloneVolume: 9,
  SnapshotVolume: 10,
  AddVolumeClone: 11,
  ChildOperation: 12,
  ParentOperation: 13,
  ExpandBlockVolume: 14,
  // Brickyard's own, for operations Heketi does not journal.
  AddNode: 101,
  DeleteNode: 102,
  AddDevice: 103,
  DeleteDevice: 104,
} as const;

export const CHANGE_DESCRIPTION: Record<number, string> = {
  1: 'Add brick',
  2: 'Add volume',
  3: 'Delete brick',
  4: 'Delete volume',
  5: 'Expand volume',
  6: 'Add block volume',
  7: 'Delete block volume',
  8: 'Remove device',
  9: 'Clone volume from',
  10: 'Snapshot volume',
  11: 'Expand volume to',
  12: 'Performing child operation',
  13: 'Belongs to parent operation',
  14: 'Expand block volume',
  101: 'Add node',
  102: 'Delete node',
  103: 'Add device',
  104: 'Delete device',
};

export interface Action {
  change: number;
  id: string;
  delta?: number | null;
}

export interface OperationRow {
  id: string;
  type: string;
  status: '' | 'stale' | 'failed';
  timestamp: number;
  actions: Action[];
  intent: Record<string, unknown>;
  stepsDone: string[];
  committed: boolean;
}

interface RawRow {
  id: string;
  type: string;
  status: '' | 'stale' | 'failed';
  timestamp: number;
  actions: string;
  intent: string;
  steps_done: string;
  committed: number;
}

function fromRaw(r: RawRow): OperationRow {
  return {
    id: r.id,
    type: r.type,
    status: r.status,
    timestamp: r.timestamp,
    actions: JSON.parse(r.actions) as Action[],
    intent: JSON.parse(r.intent) as Record<string, unknown>,
    stepsDone: JSON.parse(r.steps_done) as string[],
    committed: r.committed === 1,
  };
}

/**
 * The journal: an operation is recorded with its intent before it touches a node, each step is
 * recorded when it completes, and the row is deleted (endOperation) when the operation is finished or undone.
 */
export function insertOperation(
  db: DB,
  op: { id: string; type: string; actions: Action[]; intent: Record<string, unknown>; stepsDone?: string[] },
): void {
  stmt(db, `INSERT INTO operations (id, type, status, timestamp, actions, intent, steps_done) VALUES (?, ?, '', ?, ?, ?, ?)`).run(
    op.id,
    op.type,
    Math.floor(Date.now() / 1000),
    JSON.stringify(op.actions),
    JSON.stringify(op.intent),
    JSON.stringify(op.stepsDone ?? []),
  );
}

export function recordStep(db: DB, id: string, step: string): void {
  stmt(db, `UPDATE operations SET steps_done = json_insert(steps_done, '$[#]', ?) WHERE id = ?`).run(step, id);
}

export function updateIntent(db: DB, id: string, intent: Record<string, unknown>): void {
  stmt(db, 'UPDATE operations SET intent = ? WHERE id = ?').run(JSON.stringify(intent), id);
}

export function markCommitted(db: DB, id: string): void {
  stmt(db, 'UPDATE operations SET committed = 1 WHERE id = ?').run(id);
}

export function setOperationStatus(db: DB, id: string, status: '' | 'stale' | 'failed'): void {
  stmt(db, 'UPDATE operations SET status = ? WHERE id = ?').run(status, id);
}

/**
 * The operation is over: its row goes and its queue entry gets the answer, in the caller's
 * transaction — so a crash or a failed write can never separate what was done from what the
 * client is told.
 */
export function endOperation(db: DB, id: string, outcome: QueueOutcome): void {
  stmt(db, 'DELETE FROM operations WHERE id = ?').run(id);
  settleOperationEntries(db, id, outcome);
}

export function getOperation(db: DB, id: string): OperationRow | undefined {
  const r = stmt(db, 'SELECT * FROM operations WHERE id = ?').get(id) as RawRow | undefined;
  return r && fromRaw(r);
}

/** An operation whose change list names the object `id` (a cluster, node, device, volume or brick). */
export function operationOn(db: DB, id: string): OperationRow | undefined {
  const r = stmt(
    db,
    `SELECT o.* FROM operations o WHERE EXISTS (SELECT 1 FROM json_each(o.actions) a WHERE json_extract(a.value, '$.id') = ?) ORDER BY o.id LIMIT 1`,
  ).get(id) as RawRow | undefined;
  return r && fromRaw(r);
}

export function listOperations(db: DB): OperationRow[] {
  return (stmt(db, 'SELECT * FROM operations ORDER BY id').all() as RawRow[]).map(fromRaw);
}

/** At start every operation left by an earlier process is stale (Heketi does the same). */
export function markAllStale(db: DB): number {
  return stmt(db, `UPDATE operations SET status = 'stale' WHERE status = ''`).run().changes;
}
