import type { AppContext } from '../core/context.js';
import { errorText } from '../errors.js';
import { deleteOperation, listOperations, markAllStale, setOperationStatus, type OperationRow } from '../operations/journal.js';
import { failInterruptedEntries } from '../store/queue.js';

/** Undoes (or finishes, once past its commit point) one interrupted operation. Must be idempotent. */
export type RecoveryHandler = (ctx: AppContext, op: OperationRow) => Promise<void>;

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
 * queue entries become 500s and its operations are marked stale.
 */
export function prepareRecovery(ctx: AppContext): number {
  failInterruptedEntries(ctx.db);
  return markAllStale(ctx.db);
}

/**
 * Runs in the background while the server serves requests: each stale or failed operation is
 * cleaned by its handler and dropped from the journal; a failing clean leaves it `failed` for a
 * later retry (POST /operations/pending/cleanup or the next start).
 */
let inProgress: Promise<unknown> = Promise.resolve();

/** Serialised: the start-up recovery, the background cleaner and /cleanup never clean one op twice. */
export function recoverOperations(ctx: AppContext, only?: Set<string>, opts: { markFailed?: boolean } = {}): Promise<{ cleaned: number; failed: number }> {
  const run = inProgress.then(() => recoverNow(ctx, only, opts.markFailed ?? true));
  inProgress = run.catch(() => undefined);
  return run;
}

async function recoverNow(ctx: AppContext, only: Set<string> | undefined, markFailed: boolean): Promise<{ cleaned: number; failed: number }> {
  let cleaned = 0;
  let failed = 0;
  for (const op of listOperations(ctx.db)) {
    if (op.status === '' || ctx.ops.activeOps.has(op.id)) continue;
    if (only && !only.has(op.id)) continue;
    const handler = handlers.get(op.type);
    if (!handler) {
      ctx.ops.log.warn({ op: op.id, type: op.type }, 'no recovery handler for operation type');
      continue;
    }
    try {
      await handler(ctx, op);
      deleteOperation(ctx.db, op.id);
      cleaned++;
      ctx.ops.log.info({ op: op.id, type: op.type }, 'recovered interrupted operation');
    } catch (e) {
      if (markFailed) setOperationStatus(ctx.db, op.id, 'failed');
      failed++;
      ctx.ops.log.warn({ op: op.id, type: op.type, err: errorText(e) }, 'could not recover operation; marked failed');
    }
  }
  return { cleaned, failed };
}
