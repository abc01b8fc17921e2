import type { BaseLlm, LlmRequest, LlmResponse } from "@google/adk";
import { type Clock, systemClock } from "./clock.js";
import { estimateTokens, requestText } from "./envelope.js";
import { type GenerateFn, WrappedLlm } from "./middleware.js";
import { classifyModelError, type ModelErrorInfo } from "./retry.js";

/**
 * Rate limits and adaptive concurrency per model (DESIGN §3.3: cache → **rate limit /
 * adaptive concurrency** → retry → metering → provider).
 *
 * Every model name has one {@link ModelGovernor} per router: token buckets for requests,
 * input tokens and output tokens per minute, and an AIMD concurrency limit that is cut
 * when the provider says "slow down" (429 / 503) and probed back up slowly.
 */

/** Limits of one model. Unset fields are unlimited. */
export interface RateLimit {
  /** Requests per minute. */
  requestsPerMinute?: number;
  /** Input (prompt) tokens per minute. */
  inputTokensPerMinute?: number;
  /** Output (candidate + thinking) tokens per minute. */
  outputTokensPerMinute?: number;
  /** Calls in flight at once: the ceiling of the adaptive concurrency limit. Default 256. */
  maxConcurrency?: number;
}

/**
 * Default limits per Gemini model: the Gemini API's published Tier 1 limits (paid key,
 * 2025). Free-tier keys have much lower limits: set `rateLimits` in the config. Models
 * not listed (offline, scripted, your own) are only governed by adaptive concurrency.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<string, RateLimit>> = {
  "gemini-3-pro-preview": { requestsPerMinute: 50, inputTokensPerMinute: 1_000_000 },
  "gemini-2.5-pro": { requestsPerMinute: 150, inputTokensPerMinute: 2_000_000 },
  "gemini-2.5-flash": { requestsPerMinute: 1_000, inputTokensPerMinute: 1_000_000 },
  "gemini-2.5-flash-lite": { requestsPerMinute: 4_000, inputTokensPerMinute: 4_000_000 },
  "gemini-2.0-flash": { requestsPerMinute: 2_000, inputTokensPerMinute: 4_000_000 },
  "gemini-2.0-flash-lite": { requestsPerMinute: 4_000, inputTokensPerMinute: 4_000_000 },
};

/** Default ceiling of the adaptive concurrency limit per model. */
export const DEFAULT_MAX_CONCURRENCY = 256;

/**
 * A token bucket refilled continuously at `perMinute / 60 000` per ms, holding at most
 * `perMinute`. Acquisitions are served first come, first served; a debit after the fact
 * (actual usage above the estimate) may take it below zero, which later callers wait out.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly perMinute: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.tokens = perMinute;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.perMinute, this.tokens + ((now - this.last) * this.perMinute) / 60_000);
    this.last = now;
  }

  /** Tokens available now (may be negative after a debit). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** Waits until `amount` tokens are there (at most a full bucket is asked), then takes them. */
  acquire(amount: number, signal?: AbortSignal): Promise<void> {
    const want = Math.min(Math.max(0, amount), this.perMinute);
    const turn = this.queue.then(async () => {
      for (;;) {
        if (signal?.aborted) return;
        this.refill();
        if (this.tokens >= want && this.tokens >= 0) {
          this.tokens -= want;
          return;
        }
        const missing = Math.max(want - this.tokens, -this.tokens, 0);
        await this.clock.sleep(Math.max(1, Math.ceil((missing * 60_000) / this.perMinute)), signal);
      }
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Takes (or, when negative, gives back) `amount` without waiting. */
  debit(amount: number): void {
    this.refill();
    this.tokens = Math.min(this.perMinute, this.tokens - amount);
  }
}

/** Options of {@link AdaptiveConcurrency}. */
export interface AdaptiveConcurrencyOptions {
  /** Ceiling (and starting value). */
  max: number;
  /** Floor. Default 1. */
  min?: number;
  /** Factor applied on a cut. Default 0.5. */
  decrease?: number;
  clock?: Clock;
}

/** A granted concurrency slot; `epoch` says which limit it was granted under. */
export interface ConcurrencySlot {
  readonly epoch: number;
  released: boolean;
}

/**
 * An AIMD concurrency limit. A call takes a slot while it runs. When the provider
 * throttles (429, or 503 overload), the limit is halved, but only once per burst: a
 * throttle reported by a call that started before the last cut does not cut again (its
 * request was sent under the old limit). After `limit` successful calls in a row the
 * limit grows by one (a slow probe back up). A server-requested delay (`Retry-After`,
 * `RetryInfo.retryDelay`) pauses every new call of the model until it has passed.
 */
export class AdaptiveConcurrency {
  private current: number;
  private readonly max: number;
  private readonly min: number;
  private readonly decrease: number;
  private readonly clock: Clock;
  private inFlight = 0;
  private epochNo = 0;
  private successes = 0;
  private pausedUntil = 0;
  private waiters: Array<() => void> = [];
  /** Number of cuts made (for metrics and tests). */
  cuts = 0;

  constructor(opts: AdaptiveConcurrencyOptions) {
    this.max = Math.max(1, Math.floor(opts.max));
    this.min = Math.max(1, Math.min(this.max, Math.floor(opts.min ?? 1)));
    this.decrease = opts.decrease ?? 0.5;
    this.clock = opts.clock ?? systemClock;
    this.current = this.max;
  }

  /** The current limit. */
  get limit(): number {
    return this.current;
  }

  /** Calls holding a slot. */
  get active(): number {
    return this.inFlight;
  }

  /** Epoch of the limit (bumped by each cut). */
  get epoch(): number {
    return this.epochNo;
  }

  /** Milliseconds until a server-requested pause ends (0 when not paused). */
  pauseLeft(): number {
    return Math.max(0, this.pausedUntil - this.clock.now());
  }

  /** Waits for a slot (and for any pause to end). */
  async acquire(signal?: AbortSignal): Promise<ConcurrencySlot> {
    for (;;) {
      const pause = this.pauseLeft();
      if (pause > 0) {
        await this.clock.sleep(pause, signal);
        if (signal?.aborted) break;
        continue;
      }
      if (this.inFlight < this.current) {
        this.inFlight++;
        return { epoch: this.epochNo, released: false };
      }
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        signal?.addEventListener("abort", () => resolve(), { once: true });
      });
      if (signal?.aborted) break;
    }
    // Aborted: hand out a slot anyway so the caller's finally can release it uniformly.
    this.inFlight++;
    return { epoch: this.epochNo, released: false };
  }

  /** Gives a slot back. `ok` counts towards probing the limit up. */
  release(slot: ConcurrencySlot, ok: boolean): void {
    if (slot.released) return;
    slot.released = true;
    this.inFlight--;
    if (ok) {
      this.successes++;
      if (this.successes >= this.current && this.current < this.max) {
        this.current++;
        this.successes = 0;
      }
    }
    this.wake();
  }

  /**
   * The provider throttled a call made under `slot`. Cuts the limit unless a cut was
   * already made since the slot was granted; pauses new calls for `delayMs` when given.
   */
  throttled(slot: ConcurrencySlot, delayMs: number | null): void {
    if (delayMs && delayMs > 0) this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + delayMs);
    this.successes = 0;
    if (slot.epoch !== this.epochNo) return;
    const next = Math.max(this.min, Math.floor(this.current * this.decrease));
    this.epochNo++;
    if (next < this.current) {
      this.current = next;
      this.cuts++;
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }
}

/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive transient failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before one probe call is let through. Default 30 000 ms. */
  cooldownMs?: number;
  clock?: Clock;
}

/**
 * A circuit breaker per model: after `failureThreshold` consecutive transient failures
 * (calls that failed even after their retries) it opens, and calls fail at once (or go
 * to the next model of the fallback chain) for `cooldownMs`. Then one probe call is let
 * through (half-open): its success closes the circuit, its failure opens it again.
 */
export class CircuitBreaker {
  private readonly threshold: number;
  private readonly cooldownMs: number;
  private readonly clock: Clock;
  private failures = 0;
  private openedAt: number | null = null;
  private probing = false;

  constructor(opts: CircuitBreakerOptions = {}) {
    this.threshold = Math.max(1, opts.failureThreshold ?? 5);
    this.cooldownMs = opts.cooldownMs ?? 30_000;
    this.clock = opts.clock ?? systemClock;
  }

  /** `closed`, `open` or `half-open`. */
  get state(): "closed" | "open" | "half-open" {
    if (this.openedAt === null) return "closed";
    return this.clock.now() - this.openedAt >= this.cooldownMs ? "half-open" : "open";
  }

  /** Milliseconds until a probe is allowed (0 when closed or half-open). */
  retryInMs(): number {
    if (this.openedAt === null) return 0;
    return Math.max(0, this.cooldownMs - (this.clock.now() - this.openedAt));
  }

  /** True when a call may go ahead now (in half-open state, only one probe at a time). */
  allow(): boolean {
    const s = this.state;
    if (s === "closed") return true;
    if (s === "open" || this.probing) return false;
    this.probing = true;
    return true;
  }

  /** Records a successful call. */
  success(): void {
    this.failures = 0;
    this.openedAt = null;
    this.probing = false;
  }

  /** Records a transient failure. */
  failure(): void {
    this.failures++;
    if (this.probing || this.failures >= this.threshold) {
      this.openedAt = this.clock.now();
      this.probing = false;
    }
  }

  /** Records a call that ended without telling anything about the model's health. */
  neutral(): void {
    this.probing = false;
  }
}

/** Thrown (without calling the model) while a model's circuit is open. */
export class CircuitOpenError extends Error {
  constructor(
    readonly model: string,
    readonly retryInMs: number,
  ) {
    // A JSON body, like genai's ApiError, so ADK turns it into errorCode "CIRCUIT_OPEN".
    super(
      JSON.stringify({
        error: {
          code: "CIRCUIT_OPEN",
          status: "CIRCUIT_OPEN",
          message: `${model} failed repeatedly; calls to it are paused for ${Math.ceil(retryInMs / 1000)}s (circuit breaker). Configure a fallback model chain or try again later.`,
        },
      }),
    );
    this.name = "CircuitOpenError";
  }
}

/** Options of {@link ModelGovernor}. */
export interface GovernorOptions {
  limit?: RateLimit;
  breaker?: CircuitBreakerOptions;
  clock?: Clock;
}

/** The shared limits of one model: token buckets, adaptive concurrency and a circuit breaker. */
export class ModelGovernor {
  readonly requests: TokenBucket | null;
  readonly inputTokens: TokenBucket | null;
  readonly outputTokens: TokenBucket | null;
  readonly concurrency: AdaptiveConcurrency;
  readonly breaker: CircuitBreaker;
  /** Calls throttled by the provider (429/503), for metrics. */
  throttles = 0;

  constructor(
    readonly model: string,
    opts: GovernorOptions = {},
  ) {
    const clock = opts.clock ?? systemClock;
    const l = opts.limit ?? {};
    const bucket = (n: number | undefined) => (n && n > 0 ? new TokenBucket(n, clock) : null);
    this.requests = bucket(l.requestsPerMinute);
    this.inputTokens = bucket(l.inputTokensPerMinute);
    this.outputTokens = bucket(l.outputTokensPerMinute);
    this.concurrency = new AdaptiveConcurrency({ max: l.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY, clock });
    this.breaker = new CircuitBreaker({ ...opts.breaker, clock });
  }

  /** Feedback from a failed attempt made under `slot` (called by the retry middleware too). */
  feedback(slot: ConcurrencySlot | null, error: ModelErrorInfo, retryAfterMs: number | null = null): void {
    if (!isThrottle(error)) return;
    this.throttles++;
    if (slot) this.concurrency.throttled(slot, error.retryDelayMs ?? retryAfterMs);
  }
}

/** True for "slow down" answers: 429 RESOURCE_EXHAUSTED and 503 UNAVAILABLE. */
export function isThrottle(e: ModelErrorInfo): boolean {
  return e.status === 429 || e.status === 503 || e.code === "RESOURCE_EXHAUSTED" || e.code === "UNAVAILABLE";
}

/**
 * The `Retry-After` of an error that carries HTTP headers (a `Headers`, a plain object,
 * or a `retryAfter` / `retryAfterMs` field), in ms; `null` when there is none. Accepts
 * delay-seconds and HTTP dates.
 */
export function retryAfterMs(e: unknown, now: () => number = Date.now): number | null {
  const err = e as { headers?: unknown; retryAfter?: unknown; retryAfterMs?: unknown } | null;
  if (!err || typeof err !== "object") return null;
  if (typeof err.retryAfterMs === "number" && err.retryAfterMs >= 0) return err.retryAfterMs;
  let raw: unknown = err.retryAfter;
  const h = err.headers as { get?: (k: string) => unknown } | Record<string, unknown> | undefined;
  if (raw === undefined && h) {
    raw =
      typeof (h as { get?: unknown }).get === "function"
        ? (h as { get: (k: string) => unknown }).get("retry-after")
        : (h as Record<string, unknown>)["retry-after"];
  }
  if (typeof raw === "number") return raw * 1000;
  if (typeof raw !== "string" || !raw.trim()) return null;
  if (/^\d+(\.\d+)?$/.test(raw.trim())) return Math.round(Number(raw) * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.max(0, at - now());
}

/** Mutable per-call state shared by the governed wrapper and the retry feedback hook. */
export interface GovernedCall {
  slot: ConcurrencySlot | null;
}

/**
 * The rate-limit / adaptive-concurrency middleware: waits for a concurrency slot, a
 * request token and the estimated input tokens, calls `inner`, then settles the token
 * buckets with the usage the provider reported. A throttle (429/503) thrown through it
 * cuts the model's concurrency (once per burst) and pauses new calls for the server's
 * `RetryInfo` / `Retry-After` delay. Pass the same `call` object to the retry
 * middleware's `onRetry` (see {@link ModelGovernor.feedback}) so throttled attempts that
 * are retried inside are seen too.
 */
export function governedLlm(
  inner: BaseLlm,
  governor: ModelGovernor,
  call: GovernedCall = { slot: null },
): BaseLlm {
  return new WrappedLlm(
    inner,
    async function* (req: LlmRequest, next: GenerateFn, stream: boolean, abortSignal?: AbortSignal) {
      const slot = await governor.concurrency.acquire(abortSignal);
      call.slot = slot;
      let ok = false;
      const estimate = governor.inputTokens ? estimateTokens(requestText(req)) : 0;
      let input = 0;
      let output = 0;
      try {
        await governor.requests?.acquire(1, abortSignal);
        await governor.inputTokens?.acquire(estimate, abortSignal);
        await governor.outputTokens?.acquire(0, abortSignal);
        for await (const r of next(req, stream, abortSignal) as AsyncGenerator<LlmResponse, void>) {
          if (r.usageMetadata) {
            input = r.usageMetadata.promptTokenCount ?? input;
            output =
              (r.usageMetadata.candidatesTokenCount ?? 0) + (r.usageMetadata.thoughtsTokenCount ?? 0) ||
              output;
          }
          yield r;
        }
        ok = true;
      } catch (e) {
        governor.feedback(slot, classifyModelError(e), retryAfterMs(e));
        throw e;
      } finally {
        if (input) governor.inputTokens?.debit(input - estimate);
        if (output) governor.outputTokens?.debit(output);
        governor.concurrency.release(slot, ok);
        call.slot = null;
      }
    },
  );
}

/**
 * The circuit-breaker middleware: refuses calls with {@link CircuitOpenError} while the
 * model's circuit is open; records transient failures (retryable errors that survived
 * the retries) and successes.
 */
export function circuitBreakerLlm(
  inner: BaseLlm,
  breaker: CircuitBreaker,
  model: string = inner.model,
): BaseLlm {
  return new WrappedLlm(inner, async function* (req, next, stream, abortSignal) {
    if (!breaker.allow()) throw new CircuitOpenError(model, breaker.retryInMs());
    let settled = false;
    try {
      yield* next(req, stream, abortSignal);
      breaker.success();
      settled = true;
    } catch (e) {
      if (classifyModelError(e).retryable) breaker.failure();
      else breaker.neutral();
      settled = true;
      throw e;
    } finally {
      if (!settled) breaker.neutral();
    }
  });
}

/** A `TimeoutError` (classified as retryable `TIMEOUT` by `classifyModelError`). */
export class ModelTimeoutError extends Error {
  constructor(model: string, ms: number) {
    super(
      `${model}: no answer within ${ms} ms (per-call timeout; raise it with gemini.timeoutMs or models' timeoutMs)`,
    );
    this.name = "TimeoutError";
  }
}

/**
 * The per-call timeout middleware: if the provider has not finished within `ms`, the
 * call's abort signal fires (the genai client cancels the HTTP request) and the call
 * throws a `TimeoutError`, which the retry middleware retries.
 */
export function timeoutLlm(inner: BaseLlm, ms: number, clock: Clock = systemClock): BaseLlm {
  return new WrappedLlm(inner, async function* (req, next, stream, abortSignal) {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    abortSignal?.addEventListener("abort", onAbort, { once: true });
    const timer = new AbortController();
    let timedOut = false;
    const timeout = clock.sleep(ms, timer.signal).then(() => {
      if (timer.signal.aborted) return;
      timedOut = true;
      controller.abort();
    });
    const it = next(req, stream, controller.signal)[Symbol.asyncIterator]();
    let done = false;
    try {
      for (;;) {
        const res = await Promise.race([
          it.next(),
          timeout.then(() => (timedOut ? ("timeout" as const) : new Promise<never>(() => {}))),
        ]);
        if (res === "timeout") throw new ModelTimeoutError(req.model ?? inner.model, ms);
        if (res.done) {
          done = true;
          return;
        }
        yield res.value;
      }
    } catch (e) {
      if (timedOut) throw new ModelTimeoutError(req.model ?? inner.model, ms);
      throw e;
    } finally {
      timer.abort();
      abortSignal?.removeEventListener("abort", onAbort);
      if (!done) void it.return?.(undefined)?.catch?.(() => undefined);
    }
  });
}
