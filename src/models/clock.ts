import { defaultSleep } from "./retry.js";

/**
 * Time as the model middleware sees it. Injected by tests (a fake clock makes rate
 * limits, cool-downs and timeouts testable without waiting).
 */
export interface Clock {
  /** Milliseconds since some fixed point (monotonic within a process is enough). */
  now(): number;
  /** Waits `ms`; resolves early when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `performance.now()` and timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: defaultSleep,
};

/**
 * A manual clock for tests: `sleep` resolves when {@link ManualClock.advance} moves time
 * past its deadline; `now` only moves when advanced.
 */
export class ManualClock implements Clock {
  private t = 0;
  private readonly timers: Array<{ at: number; resolve: () => void }> = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = { at: this.t + ms, resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        "abort",
        () => {
          const i = this.timers.indexOf(timer);
          if (i >= 0) this.timers.splice(i, 1);
          resolve();
        },
        { once: true },
      );
    });
  }

  /** Number of sleeps waiting. */
  get sleepers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, waking every sleep that is due (in deadline order). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.resolve();
      // Let the woken code run (and perhaps sleep again) before the next timer.
      await settle();
    }
    this.t = end;
    await settle();
  }
}

/** Lets pending promise callbacks run (a few macrotask turns). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
}
