import type { BaseLlm } from "@google/adk";
import type { BatchJobClient } from "./batch.js";
import type { RetryOptions } from "./retry.js";

/**
 * A model provider: makes ADK `BaseLlm` instances by model name. Providers are
 * {@link geminiProvider} (real Gemini through ADK), {@link offlineProvider} (deterministic,
 * no network) and {@link scriptedProvider} (tests). Cross-cutting concerns (retry,
 * metering) are wrappers around the models a provider makes (see `middleware.ts`).
 */
export interface ModelProvider {
  /** `gemini`, `offline`, `scripted`, or a host's own name. */
  readonly name: string;
  /** A fresh model instance for `modelName` (with the provider's own retrying, if any). */
  create(modelName: string): BaseLlm;
  /** True when calls cost money (used for cost reporting and the dataset card). */
  readonly paid: boolean;
  /**
   * The model without retrying. With {@link retry}, the router composes the retry
   * middleware itself, between rate limiting and metering (DESIGN §3.3), so each attempt
   * is metered and every throttled attempt slows the model down.
   */
  bare?(modelName: string): BaseLlm;
  /** The retry settings to use with {@link bare}. */
  readonly retry?: RetryOptions;
  /** A client of the provider's batch API (Gemini: `ai.batches`), for `--batch`. */
  batchClient?(): BatchJobClient;
}

/**
 * One provider over several: a model name `<prefix>:<model>` whose prefix names one of
 * `byPrefix` goes to that provider (`ollama:qwen3:8b` → the `ollama` provider), any
 * other name to `base`. This is how one run mixes providers per agent (DESIGN §3.3).
 * Retry settings are `base`'s when it has them (else the first prefixed provider's), so the
 * router composes the same retry, metering and limits around every model; `paid` is true
 * when any provider is paid. The Batch API (`--batch`) is only offered without prefixes.
 */
export function prefixedProvider(
  base: ModelProvider,
  byPrefix: Record<string, ModelProvider>,
): ModelProvider {
  const prefixes = Object.keys(byPrefix);
  if (prefixes.length === 0) return base;
  const route = (modelName: string): ModelProvider => {
    const i = modelName.indexOf(":");
    return (i > 0 ? byPrefix[modelName.slice(0, i)] : undefined) ?? base;
  };
  const others = Object.values(byPrefix);
  const retry = base.retry ?? others.find((p) => p.retry)?.retry;
  const provider: ModelProvider = {
    name: [base.name, ...prefixes.filter((p) => p !== base.name)].join("+"),
    paid: base.paid || others.some((p) => p.paid),
    create: (modelName) => route(modelName).create(modelName),
  };
  if (retry) {
    Object.assign(provider, {
      retry,
      bare: (modelName: string) => {
        const p = route(modelName);
        return p.bare && p.retry ? p.bare(modelName) : p.create(modelName);
      },
    });
  }
  return provider;
}
