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
