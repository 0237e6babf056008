import type { DB } from '../store/db.js';
import { HttpError, errorText } from '../errors.js';
import { newId } from '../ids.js';
import { insertQueueEntry, settleQueueEntry, type QueueOutcome } from '../store/queue.js';
import { tx } from '../store/stmt.js';
import { getOperation, setOperationStatus } from './journal.js';
import type { Logger } from '../util/log.js';

export const SERVER_BUSY = 'Server busy. Retry operation later.';

/** A reserved in-flight slot; release it exactly once. */
export interface Slot {
  release(): void;
}

/** Result of background work: the 303 Location, or null for 204. */
export type WorkResult = string | null;

/** What a request's synchronous half hands to the runner: the background work, and the journal entry it runs under. */
export interface Prepared {
  opId?: string;
  work: () => Promise<WorkResult>;
}

/** How often answers that could not be written (the database refused the write) are tried again. */
const ANSWER_RETRY_MS = 1000;

/**
 * Runs the background half of asynchronous requests. Each request gets a queue entry in SQLite
 * (so a restart does not lose it); the work's outcome is written there. An exception fails that
 * entry only: it never escapes to the process.
 */
export class OperationRunner {
  private inflight = 0;
  private readonly running = new Set<Promise<void>>();
  /**
   * Journal entries whose code runs in this process now (Heketi's in-flight list). Any other row
   * of the journal is nobody's: recovery and the cleaner take it.
   */
  readonly activeOps = new Set<string>();
  /** Queue answers the database refused (e.g. disk full), retried until written. */
  private readonly unanswered = new Map<string, QueueOutcome>();
  private retryTimer: NodeJS.Timeout | undefined;
  /** Metrics hook: duration of an operation (phase `total`) or of one of its phases. */
  onOperationDone?: (type: string, phase: string, seconds: number, outcome: 'ok' | 'error') => void;

  constructor(
    private readonly db: DB,
    readonly log: Logger,
    private maxInflight: number,
  ) {}

  get inflightCount(): number {
    return this.inflight;
  }

  setLimit(n: number): void {
    this.maxInflight = n;
  }

  /** Takes a throttled slot or throws Heketi's 429. */
  acquire(): Slot {
    // Retry-After is Brickyard's addition: the Go client then waits 1-10 s instead of 10-30 s.
    if (this.inflight >= this.maxInflight) throw new HttpError(429, SERVER_BUSY, { 'retry-after': '1' });
    this.inflight++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.inflight--;
      },
    };
  }

  /**
   * Runs `prepare` (the request's synchronous half: checks, reservations, journal entry) in one
   * transaction with the request's queue entry, so either both are written or neither is; then
   * starts its work on the next tick. `throttle` takes an in-flight slot first (429 when none is
   * free), released when the work ends. Returns the queue id for the 202's Location.
   */
  start(prepare: () => Prepared, opts: { throttle?: boolean; label?: string; log?: Logger } = {}): string {
    const slot = opts.throttle ? this.acquire() : undefined;
    const queueId = newId();
    let prepared: Prepared;
    try {
      prepared = tx(this.db, () => {
        const p = prepare();
        insertQueueEntry(this.db, queueId, p.opId ?? null);
        return p;
      });
    } catch (e) {
      slot?.release();
      throw e;
    }
    const { opId, work } = prepared;
    if (opId) this.activeOps.add(opId);
    const log = opts.log ?? this.log;
    const task = (async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const started = performance.now();
      let outcome: 'ok' | 'error' = 'ok';
      try {
        const location = await work();
        this.answer(queueId, { location });
        log.info({ queueId, op: opts.label, location }, 'operation finished');
      } catch (e) {
        outcome = 'error';
        // The request's logger, so the failure line carries the request id that started it.
        log.warn({ err: errorText(e), queueId, op: opts.label }, 'operation failed');
        this.answer(queueId, { error: errorText(e) });
      } finally {
        this.onOperationDone?.(opts.label ?? 'operation', 'total', (performance.now() - started) / 1000, outcome);
        slot?.release();
        if (opId) this.release(opId);
      }
    })();
    this.running.add(task);
    void task.finally(() => this.running.delete(task));
    return queueId;
  }

  /**
   * Runs `fn`, which owns journal entry `opId` (written just before, in the same tick), so that
   * recovery leaves the entry alone while `fn` runs — and takes it once `fn` has ended without
   * removing it.
   */
  async track<T>(opId: string, fn: () => Promise<T>): Promise<T> {
    this.activeOps.add(opId);
    try {
      return await fn();
    } finally {
      this.release(opId);
    }
  }

  /** Work has ended: a journal row it left (its undo or its last write failed) is the cleaner's now. */
  private release(opId: string): void {
    this.activeOps.delete(opId);
    try {
      if (getOperation(this.db, opId)?.status === '') setOperationStatus(this.db, opId, 'failed');
    } catch (e) {
      // Unwritable: the row stays '' but is no longer active, which the cleaner takes all the same.
      this.log.error({ err: errorText(e), op: opId }, 'could not mark an unfinished operation failed');
    }
  }

  /** Writes a queue answer (unless the operation's own last transaction already did); retried while the database refuses it. */
  private answer(queueId: string, outcome: QueueOutcome): void {
    try {
      settleQueueEntry(this.db, queueId, outcome);
    } catch (e) {
      this.log.error({ err: errorText(e), queueId }, 'could not record the outcome of an operation; retrying');
      this.unanswered.set(queueId, outcome);
      this.retryTimer ??= setInterval(() => this.flushAnswers(), ANSWER_RETRY_MS).unref();
    }
  }

  /** Writes the answers the database refused before; called by the timer and before the cleaner answers entries itself. */
  flushAnswers(): void {
    for (const [queueId, outcome] of this.unanswered) {
      try {
        settleQueueEntry(this.db, queueId, outcome);
        this.unanswered.delete(queueId);
      } catch {
        return; // still refused: next round
      }
    }
    clearInterval(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Records the duration of one phase of an operation (allocate, bricks, gluster, ...). */
  phase(type: string, phase: string, seconds: number): void {
    this.onOperationDone?.(type, phase, seconds, 'ok');
  }

  /** Resolves when no background work is running (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Stops retrying unwritten answers (before the database closes); a restart answers those entries. */
  close(): void {
    clearInterval(this.retryTimer);
    this.retryTimer = undefined;
  }
}
