import type { BaseLlm } from "@google/adk";

/**
 * A model provider: makes ADK `BaseLlm` instances by model name. Providers are
 * {@link geminiProvider} (real Gemini through ADK), {@link offlineProvider} (deterministic,
 * no network) and {@link scriptedProvider} (tests). Cross-cutting concerns (retry,
 * metering) are wrappers around the models a provider makes (see `middleware.ts`).
 */
export interface ModelProvider {
  /** `gemini`, `offline`, `scripted`, or a host's own name. */
  readonly name: string;
  /** A fresh model instance for `modelName`. */
  create(modelName: string): BaseLlm;
  /** True when calls cost money (used for cost reporting and the dataset card). */
  readonly paid: boolean;
}
