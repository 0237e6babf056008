import { aborted } from './errors.js';

/**
 * In-process locks by key (a volume id, a CreateVolume name). The CO should send one call per
 * volume at a time but may not after a restart (spec.md "Concurrency").
 */
export class KeyedLocks {
  private readonly held = new Map<string, Promise<unknown>>();

  /** Runs `fn` unless `key` is busy; a second call meanwhile gets ABORTED (the CO retries). */
  async exclusive<T>(key: string, what: string, fn: () => Promise<T>): Promise<T> {
    if (this.held.has(key)) throw aborted(`an operation on ${what} is already in progress`);
    return this.hold(key, fn);
  }

  /** Runs `fn` after every earlier holder of `key` has finished (calls queue up in order). */
  async serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    for (;;) {
      const busy = this.held.get(key);
      if (!busy) return this.hold(key, fn);
      await busy.catch(() => undefined);
    }
  }

  private async hold<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const p = fn();
    this.held.set(key, p);
    try {
      return await p;
    } finally {
      if (this.held.get(key) === p) this.held.delete(key);
    }
  }
}
