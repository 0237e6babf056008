import type { DB } from '../store/db.js';
import { HttpError, errorText } from '../errors.js';
import { newId } from '../ids.js';
import { failQueueEntry, finishQueueEntry, insertQueueEntry } from '../store/queue.js';
import type { Logger } from '../util/log.js';

export const SERVER_BUSY = 'Server busy. Retry operation later.';

/** A reserved in-flight slot; release it exactly once. */
export interface Slot {
  release(): void;
}

/** Result of background work: the 303 Location, or null for 204. */
export type WorkResult = string | null;

/**
 * Runs the background half of asynchronous requests. Each request gets a queue entry in SQLite
 * (so a restart does not lose it); the work's outcome is written there. An exception fails that
 * entry only: it never escapes to the process.
 */
export class OperationRunner {
  private inflight = 0;
  private readonly running = new Set<Promise<void>>();
  /** Operation ids currently executing in this process (Heketi's in-flight list). */
  readonly activeOps = new Set<string>();
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
   * Records a pending queue entry and starts `work` on the next tick. The slot (if any) is
   * released when the work ends. Returns the queue id for the 202's Location.
   */
  start(work: () => Promise<WorkResult>, opts: { slot?: Slot; opId?: string; label?: string; log?: Logger } = {}): string {
    const queueId = newId();
    insertQueueEntry(this.db, queueId, opts.opId ?? null);
    if (opts.opId) this.activeOps.add(opts.opId);
    const task = (async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const started = performance.now();
      let outcome: 'ok' | 'error' = 'ok';
      try {
        const location = await work();
        finishQueueEntry(this.db, queueId, location);
        (opts.log ?? this.log).info({ queueId, op: opts.label, location }, 'operation finished');
      } catch (e) {
        outcome = 'error';
        const message = errorText(e);
        // The request's logger, so the failure line carries the request id that started it.
        (opts.log ?? this.log).warn({ err: errorText(e), queueId, op: opts.label }, 'operation failed');
        try {
          failQueueEntry(this.db, queueId, message);
        } catch (dbErr) {
          this.log.error({ err: dbErr, queueId }, 'could not record operation failure');
        }
      } finally {
        this.onOperationDone?.(opts.label ?? 'operation', 'total', (performance.now() - started) / 1000, outcome);
        opts.slot?.release();
        if (opts.opId) this.activeOps.delete(opts.opId);
      }
    })();
    this.running.add(task);
    void task.finally(() => this.running.delete(task));
    return queueId;
  }

  /** Records the duration of one phase of an operation (allocate, bricks, gluster, ...). */
  phase(type: string, phase: string, seconds: number): void {
    this.onOperationDone?.(type, phase, seconds, 'ok');
  }

  /** Resolves when no background work is running (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
