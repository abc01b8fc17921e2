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
    this.buffer.push(event);
    if (this.buffer.length > this.maxBuffered) {
      const i = this.buffer.findIndex((e) => e.type === "progress" || e.type === "item");
      this.buffer.splice(i >= 0 ? i : 0, 1);
    }
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
