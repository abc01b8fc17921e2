/**
 * A first-in, first-out async mutex. `runExclusive` calls run one at a time, in the
 * order they were made. Used to serialise transactions on SQLite, whose driver has a
 * single connection: without it, a second `BEGIN` while one transaction is open would
 * become a savepoint inside it (or a write would land in someone else's transaction).
 */
export class AsyncMutex {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  /** Runs `fn` once every earlier call has finished; the lock is released however `fn` ends. */
  async runExclusive<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.waiting += 1;
    try {
      await previous;
      return await fn();
    } finally {
      this.waiting -= 1;
      release();
    }
  }

  /** Number of calls holding or waiting for the lock. */
  get pending(): number {
    return this.waiting;
  }
}
