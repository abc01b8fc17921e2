import type { BaseLlm, LlmResponse } from "@google/adk";
import { requestHash, tagRequestHash, type UsageSink, WrappedLlm } from "./middleware.js";

/**
 * The content-addressed response cache (DESIGN §3.3: **cache** → rate limit → retry →
 * metering → provider). The key is {@link requestHash}: model, messages, system
 * instruction, schema, temperature and tools. Answers live in `llm_calls.response`, so
 * the cache is the metering record itself: nothing is stored twice.
 *
 * Repeated identical requests within one run are told apart by their occurrence: the
 * n-th time a run makes a request, it gets the n-th answer ever paid for that request
 * (or pays for a new one). Rerunning an unchanged plan therefore replays the first run
 * call for call, including an invalid answer that was retried, with zero paid calls;
 * and a retry inside a run still reaches the model instead of getting the same answer.
 */

/** Where cached answers are looked up (the pipeline backs it with the store). */
export interface ResponseCacheBackend {
  /** The `occurrence`-th (0-based, oldest first) paid, successful answer to `requestHash`, or null. */
  lookup(requestHash: string, occurrence: number): Promise<string | null>;
}

/** The response cache of one run: the backend, the occurrence counters and hit counts. */
export class CacheSession {
  private readonly seen = new Map<string, number>();
  /** Calls answered from the cache. */
  hits = 0;
  /** Calls that went to the model. */
  misses = 0;

  /**
   * @param backend where answers are found
   * @param enabled false (`--no-cache`) sends every call to the model; answers are still
   *   recorded, so later runs can use them
   */
  constructor(
    readonly backend: ResponseCacheBackend,
    readonly enabled = true,
  ) {}

  /** The occurrence number of this request in the run (0 the first time). */
  occurrence(hash: string): number {
    const n = this.seen.get(hash) ?? 0;
    this.seen.set(hash, n + 1);
    return n;
  }
}

/**
 * The cache middleware: answers from `session` when the same request was paid for
 * before (recording a `cached: true`, zero-cost `llm_calls` row through `sink`), else
 * passes the call on. The request is tagged with its hash under `model` (the role's own
 * model), so that an answer from a fallback model is found again by the same request.
 */
export function cachedLlm(
  inner: BaseLlm,
  opts: {
    session: CacheSession;
    model: string;
    sink: UsageSink;
    role: string;
    provider: string;
    runId: string | null;
  },
): BaseLlm {
  return new WrappedLlm(inner, async function* (req, next, stream, abortSignal) {
    const hash = requestHash(opts.model, req);
    tagRequestHash(req, hash);
    const occurrence = opts.session.occurrence(hash);
    if (opts.session.enabled) {
      const started = performance.now();
      const text = await opts.session.backend.lookup(hash, occurrence);
      if (text !== null) {
        opts.session.hits++;
        await opts.sink({
          runId: opts.runId,
          role: opts.role,
          model: opts.model,
          provider: opts.provider,
          requestHash: hash,
          inputTokens: 0,
          outputTokens: 0,
          totalTokens: 0,
          costUsd: 0,
          latencyMs: Math.round(performance.now() - started),
          cached: true,
          status: "ok",
          error: null,
          response: null,
        });
        const response: LlmResponse = {
          content: { role: "model", parts: [{ text }] },
          finishReason: "STOP" as LlmResponse["finishReason"],
        };
        yield response;
        return;
      }
    }
    opts.session.misses++;
    yield* next(req, stream, abortSignal);
  });
}
