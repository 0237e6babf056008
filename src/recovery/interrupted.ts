import type { AppContext } from '../core/context.js';
import { errorText } from '../errors.js';
import { endOperation, getOperation, listOperations, markAllStale, setOperationStatus, type OperationRow } from '../operations/journal.js';
import { failInterruptedEntries, interruptedUncleaned, settleOperationEntries, type QueueOutcome } from '../store/queue.js';
import { tx } from '../store/stmt.js';

/**
 * Undoes (or finishes, once past its commit point) one interrupted operation, and says which:
 * the answer its queue entry gives — `{ error: INTERRUPTED }` when rolled back (a retry is safe),
 * `{ location }` when completed (what the client would have got without the crash). Must be
 * idempotent. The handler may end the operation itself (endOperation, with the same answer).
 */
export type RecoveryHandler = (ctx: AppContext, op: OperationRow) => Promise<QueueOutcome>;

const handlers = new Map<string, RecoveryHandler>();

export function registerRecovery(type: string, handler: RecoveryHandler): void {
  handlers.set(type, handler);
}

/**
 * Start-up recovery: a killed server can leave node commands still running (an ssh session
 * outlives its client for a while), so a clean that fails is retried a few times before the
 * operation is marked failed and left to the background cleaner.
 */
export async function recoverAtStart(ctx: AppContext, delaysMs = [2000, 5000, 10000]): Promise<void> {
  let r = await recoverOperations(ctx, undefined, { markFailed: delaysMs.length === 0 });
  for (let i = 0; i < delaysMs.length && r.failed > 0; i++) {
    await new Promise((res) => setTimeout(res, delaysMs[i]).unref());
    r = await recoverOperations(ctx, undefined, { markFailed: i === delaysMs.length - 1 });
  }
}

/**
 * Called once at start, before serving: work of an earlier process can never finish, so its
 * operations are marked stale; queue entries without an operation are answered now, the others
 * when their operation has been recovered.
 */
export function prepareRecovery(ctx: AppContext): number {
  return tx(ctx.db, () => {
    failInterruptedEntries(ctx.db);
    return markAllStale(ctx.db);
  });
}

let inProgress: Promise<unknown> = Promise.resolve();

/**
 * Cleans every journal row that no code of this process is running (left by an earlier process,
 * or by work whose undo or last write failed) with its type's handler, and drops it with the
 * answer for its queue entry. A failing clean marks it `failed` (when `markFailed`), answers its
 * queue entry so no client waits forever, and leaves it for a later retry (the background cleaner,
 * POST /operations/pending/cleanup, the next start).
 * Serialised: the start-up recovery, the background cleaner and /cleanup never clean one op twice.
 */
export function recoverOperations(ctx: AppContext, only?: Set<string>, opts: { markFailed?: boolean } = {}): Promise<{ cleaned: number; failed: number }> {
  const run = inProgress.then(() => recoverNow(ctx, only, opts.markFailed ?? true));
  inProgress = run.catch(() => undefined);
  return run;
}

async function recoverNow(ctx: AppContext, only: Set<string> | undefined, markFailed: boolean): Promise<{ cleaned: number; failed: number }> {
  let cleaned = 0;
  let failed = 0;
  // The failure a request's own work reported comes first: its answer is written before recovery answers for it.
  ctx.ops.flushAnswers();
  for (const listed of listOperations(ctx.db)) {
    if (only && !only.has(listed.id)) continue;
    // Read again at its turn: the handlers before it took time, in which its own work may have ended it.
    const op = getOperation(ctx.db, listed.id);
    if (!op || ctx.ops.activeOps.has(op.id)) continue;
    const handler = handlers.get(op.type);
    if (!handler) {
      ctx.ops.log.warn({ op: op.id, type: op.type }, 'no recovery handler for operation type');
      continue;
    }
    try {
      const outcome = await handler(ctx, op);
      tx(ctx.db, () => endOperation(ctx.db, op.id, outcome));
      cleaned++;
      ctx.ops.log.info({ op: op.id, type: op.type, outcome }, 'recovered interrupted operation');
    } catch (e) {
      failed++;
      ctx.ops.log.warn({ op: op.id, type: op.type, err: errorText(e) }, 'could not recover operation');
      if (!markFailed) continue;
      try {
        tx(ctx.db, () => {
          setOperationStatus(ctx.db, op.id, 'failed');
          settleOperationEntries(ctx.db, op.id, { error: interruptedUncleaned(op.id, errorText(e)) });
        });
      } catch (we) {
        ctx.ops.log.error({ op: op.id, err: errorText(we) }, 'could not mark operation failed');
      }
    }
  }
  return { cleaned, failed };
}
