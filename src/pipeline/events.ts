/**
 * A push-based async event channel. Events are buffered for the consumer of
 * `run.events`; the buffer is bounded (oldest progress events go first), because the
 * store, not the event stream, is the record of a run.
 */
export class EventChannel<T extends { type: string }> implements AsyncIterable<T> {
  private buffer: T[] = [];
  private waiting: Array<(r: IteratorResult<T>) => void> = [];
  private closed = false;
  private readonly listeners = new Set<(e: T) => void>();

  constructor(private readonly maxBuffered = 10_000) {}

  /** Sends an event to the iterator and to every listener. */
  push(event: T): void {
    if (this.closed) return;
    for (const l of this.listeners) l(event);
    const w = this.waiting.shift();
    if (w) {
      w({ value: event, done: false });
      return;
    }
    // A progress event replaces a buffered progress event of the same stage just before it.
    const last = this.buffer[this.buffer.length - 1] as (T & { stage?: unknown }) | undefined;
    if (
      event.type === "progress" &&
      last?.type === "progress" &&
      last.stage === (event as T & { stage?: unknown }).stage
    ) {
      this.buffer[this.buffer.length - 1] = event;
      return;
    }
    this.buffer.push(event);
    if (this.buffer.length > this.maxBuffered) this.compact();
  }

  /**
   * Drops the older half of the progress and item events in one pass (amortised O(1) per
   * event; dropping one at a time from the front was O(n) per event once the buffer was
   * full, i.e. quadratic for a run nobody iterates). If only other events are buffered,
   * the oldest ones go.
   */
  private compact(): void {
    const droppable = this.buffer.reduce(
      (n, e) => n + (e.type === "progress" || e.type === "item" ? 1 : 0),
      0,
    );
    let drop = Math.max(1, Math.floor(droppable / 2));
    if (droppable === 0) {
      this.buffer = this.buffer.slice(this.buffer.length - Math.floor(this.maxBuffered / 2));
      return;
    }
    this.buffer = this.buffer.filter((e) => {
      if (drop > 0 && (e.type === "progress" || e.type === "item")) {
        drop--;
        return false;
      }
      return true;
    });
  }

  /** Calls `fn` for every event from now on; returns a function that stops it. */
  subscribe(fn: (e: T) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Ends the stream; pending and future reads finish. */
  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w({ value: undefined as never, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const e = this.buffer.shift();
        if (e) return Promise.resolve({ value: e, done: false });
        if (this.closed) return Promise.resolve({ value: undefined as never, done: true });
        return new Promise((resolve) => this.waiting.push(resolve));
      },
      return: () => {
        this.buffer = [];
        return Promise.resolve({ value: undefined as never, done: true });
      },
    };
  }
}
