import type { DB } from '../store/db.js';
import { HttpError, errorText } from '../errors.js';
import { newId } from '../ids.js';
import { insertQueueEntry, settleQueueEntry, type QueueEntry, type QueueOutcome } from '../store/queue.js';
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

/** What GET /queue/{id} answers from: the entry's status, and its location or error once settled. */
export type QueueAnswer = Pick<QueueEntry, 'status' | 'location' | 'error'>;

const PENDING: QueueAnswer = { status: 'pending', location: null, error: null };
/** Settled answers kept in memory until polled; beyond this many the oldest are read from the database again. */
const MAX_REMEMBERED_ANSWERS = 10_000;
/**
 * How long a poll of a running operation of this process waits for its end before answering
 * "pending": the end is seen with one poll as soon as it exists, instead of at a client's next
 * poll (every 400 ms for Heketi's Go client, 5 ms in the bench). Short for any client's timeout.
 */
export const POLL_HOLD_MS = 250;
/** Polls held at once (whenAnswered); more are answered at once. */
const MAX_HELD_POLLS = 1_000;

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
  /**
   * The queue entries of this process's work, as the database holds them (written there first):
   * ids still running, and settled answers not yet polled. GET /queue answers from here without a
   * read; the database stays the truth for entries of earlier processes.
   */
  private readonly runningEntries = new Set<string>();
  private readonly settledAnswers = new Map<string, QueueAnswer>();
  /** Polls waiting for an entry to settle, woken when it does. */
  private readonly held = new Map<string, Set<() => void>>();
  private heldCount = 0;
  private holding = true;
  /** How long whenAnswered holds a poll (0: answered at once, as Heketi does). */
  pollHoldMs = POLL_HOLD_MS;
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
    this.runningEntries.add(queueId);
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
      this.remember(queueId, settleQueueEntry(this.db, queueId, outcome));
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
        this.remember(queueId, settleQueueEntry(this.db, queueId, outcome));
        this.unanswered.delete(queueId);
      } catch {
        return; // still refused: next round
      }
    }
    clearInterval(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** An entry's answer as written to the database, once written; it wakes the polls held for it. */
  private remember(queueId: string, entry: QueueEntry | undefined): void {
    this.runningEntries.delete(queueId);
    if (entry && entry.status !== 'pending') {
      this.settledAnswers.set(queueId, { status: entry.status, location: entry.location, error: entry.error });
      if (this.settledAnswers.size > MAX_REMEMBERED_ANSWERS) this.settledAnswers.delete(this.settledAnswers.keys().next().value!);
    }
    for (const wake of this.held.get(queueId) ?? []) wake();
  }

  /**
   * The answer of a queue entry of this process's work, the same as its database row says (a
   * running entry may already be settled there by the work's last transaction until the work
   * returns, a few microtasks later); undefined for any other entry: ask the database.
   */
  queueAnswer(queueId: string): QueueAnswer | undefined {
    return this.settledAnswers.get(queueId) ?? (this.runningEntries.has(queueId) ? PENDING : undefined);
  }

  /** The entry's settled answer was delivered (its row deleted): later polls ask the database (404). */
  forgetAnswer(queueId: string): void {
    this.settledAnswers.delete(queueId);
  }

  /**
   * Resolves when the entry of this process's work settles, after pollHoldMs, when `signal` aborts
   * or the server closes — at once if it is not running here or too many polls are held already.
   */
  whenAnswered(queueId: string, signal: AbortSignal): Promise<void> {
    const ms = this.pollHoldMs;
    if (ms <= 0 || !this.holding || !this.runningEntries.has(queueId) || this.heldCount >= MAX_HELD_POLLS || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiting = this.held.get(queueId) ?? new Set<() => void>();
      this.held.set(queueId, waiting);
      this.heldCount++;
      const wake = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', wake);
        waiting.delete(wake);
        if (waiting.size === 0 && this.held.get(queueId) === waiting) this.held.delete(queueId);
        this.heldCount--;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      signal.addEventListener('abort', wake, { once: true });
      waiting.add(wake);
    });
  }

  /** Answers every held poll now and holds no more (the server is closing). */
  releaseHeld(): void {
    this.holding = false;
    for (const waiting of [...this.held.values()]) for (const wake of [...waiting]) wake();
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
    this.releaseHeld();
    clearInterval(this.retryTimer);
    this.retryTimer = undefined;
  }
}
