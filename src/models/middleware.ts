import type { BaseLlmConnection, LlmRequest, LlmResponse } from "@google/adk";
import { redactSecrets } from "../core/errors.js";
import { sha256, stableStringify } from "../core/ids.js";
import type { LlmCallRow } from "../storage/store.js";
import { BaseLlm } from "./adk.js";
import { type CostGate, DEFAULT_MAX_OUTPUT_TOKENS, worstCaseCost } from "./budget.js";
import { callCost, DEFAULT_PRICES, type ModelPrice } from "./pricing.js";

/**
 * Middleware: each cross-cutting concern is a `BaseLlm` that wraps another one, so it
 * can be tested alone with a scripted model and composed in any order (DESIGN §3.3:
 * cache → rate limit → retry → metering → provider).
 */
export type GenerateFn = (
  req: LlmRequest,
  stream: boolean,
  abortSignal?: AbortSignal,
) => AsyncGenerator<LlmResponse, void>;

/** A `BaseLlm` that delegates to `inner`, letting `around` intercept generation. */
export class WrappedLlm extends BaseLlm {
  constructor(
    readonly inner: BaseLlm,
    private readonly around: (
      req: LlmRequest,
      next: GenerateFn,
      stream: boolean,
      abortSignal?: AbortSignal,
    ) => AsyncGenerator<LlmResponse, void>,
  ) {
    super({ model: inner.model });
  }

  override async *generateContentAsync(
    req: LlmRequest,
    stream = false,
    abortSignal?: AbortSignal,
  ): AsyncGenerator<LlmResponse, void> {
    const next: GenerateFn = (r, s, a) => this.inner.generateContentAsync(r, s, a);
    yield* this.around(req, next, stream, abortSignal);
  }

  override connect(req: LlmRequest): Promise<BaseLlmConnection> {
    return this.inner.connect(req);
  }
}

/** What metering records for every model call: the `llm_calls` row without id/time. */
export type LlmCallRecord = Omit<LlmCallRow, "id" | "createdAt">;

/** Receives one record per model call. */
export type UsageSink = (record: LlmCallRecord) => void | Promise<void>;

const LOGICAL_HASH = Symbol.for("synthforge.requestHash");

/**
 * Marks `req` with the hash of the logical request (the role's own model), so that a
 * call answered by a fallback model is metered, and found by the response cache, under
 * the request the pipeline made. Object spread keeps the mark on copies.
 */
export function tagRequestHash(req: LlmRequest, hash: string): void {
  (req as unknown as Record<symbol, string>)[LOGICAL_HASH] = hash;
}

/** The hash {@link tagRequestHash} put on `req`, if any. */
export function taggedRequestHash(req: LlmRequest): string | undefined {
  return (req as unknown as Record<symbol, string | undefined>)[LOGICAL_HASH];
}

/** A stable hash of everything that determines a model's answer. */
export function requestHash(model: string, req: LlmRequest): string {
  const cfg = req.config ?? {};
  return sha256(
    stableStringify({
      model,
      contents: req.contents,
      system: cfg.systemInstruction ?? null,
      schema: cfg.responseSchema ?? cfg.responseJsonSchema ?? null,
      mime: cfg.responseMimeType ?? null,
      temperature: cfg.temperature ?? null,
      tools: cfg.tools ?? null,
    }),
  );
}

/** The text of a response (all text parts joined). */
export function responseText(r: LlmResponse): string {
  return (r.content?.parts ?? []).map((p) => p.text ?? "").join("");
}

/**
 * Metering: records tokens, cost, latency and outcome of every call to `sink`. Errors
 * are recorded and rethrown; error-responses (`errorCode`) are recorded as errors.
 */
export function meteredLlm(
  inner: BaseLlm,
  opts: {
    sink: UsageSink;
    role: string;
    provider: string;
    runId?: string | null;
    prices?: Record<string, ModelPrice>;
    /** Multiplies the price (0.5 for the Gemini Batch API). Default 1. */
    priceFactor?: number;
    /** The run's cost cap: each call reserves its worst case before it is sent. */
    gate?: CostGate;
  },
): BaseLlm {
  return new WrappedLlm(inner, async function* (req, next, stream, abortSignal) {
    const model = req.model ?? inner.model;
    const hash = taggedRequestHash(req) ?? requestHash(model, req);
    let reserved = 0;
    if (opts.gate) {
      // The worst case is a promise only if the output is capped: cap it when nothing did.
      req.config ??= {};
      req.config.maxOutputTokens ??= DEFAULT_MAX_OUTPUT_TOKENS;
      reserved = worstCaseCost(model, req, opts.prices ?? DEFAULT_PRICES, opts.priceFactor ?? 1);
      await opts.gate.reserve(reserved, abortSignal);
    }
    const started = performance.now();
    let input = 0;
    let output = 0;
    let total = 0;
    let text = "";
    let error: string | null = null;
    const record = async () => {
      try {
        await recordUsage();
      } finally {
        opts.gate?.release(reserved);
      }
    };
    const recordUsage = async () => {
      await opts.sink({
        runId: opts.runId ?? null,
        role: opts.role,
        model,
        provider: opts.provider,
        requestHash: hash,
        inputTokens: input,
        outputTokens: output,
        totalTokens: total || input + output,
        costUsd: callCost(model, input, output, opts.prices ?? DEFAULT_PRICES) * (opts.priceFactor ?? 1),
        latencyMs: Math.round(performance.now() - started),
        cached: false,
        status: error ? "error" : "ok",
        error,
        response: error ? null : text,
      });
    };
    try {
      for await (const r of next(req, stream, abortSignal)) {
        if (r.usageMetadata) {
          // Streaming sends cumulative usage; the last report wins.
          input = r.usageMetadata.promptTokenCount ?? input;
          output =
            (r.usageMetadata.candidatesTokenCount ?? 0) + (r.usageMetadata.thoughtsTokenCount ?? 0) || output;
          total = r.usageMetadata.totalTokenCount ?? total;
        }
        if (r.errorCode) error = redactSecrets(`${r.errorCode}: ${r.errorMessage ?? ""}`);
        else if (!r.partial) text += responseText(r);
        yield r;
      }
    } catch (e) {
      error = redactSecrets(e instanceof Error ? e.message : String(e)).slice(0, 2000);
      await record();
      throw e;
    }
    await record();
  });
}
