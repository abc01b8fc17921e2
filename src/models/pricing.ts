/**
 * Prices in USD per million tokens (Gemini API, standard tier, prompts up to 200k
 * tokens, as published by Google). Configurable: pass your own table to the router.
 * Batch calls are priced at 50% (issue: engine at scale).
 */
export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

/** Default price table; unknown models cost 0 and are reported as unpriced. */
export const DEFAULT_PRICES: Record<string, ModelPrice> = {
  "gemini-3-pro-preview": { inputPerMillion: 2.0, outputPerMillion: 12.0 },
  "gemini-2.5-pro": { inputPerMillion: 1.25, outputPerMillion: 10.0 },
  "gemini-2.5-flash": { inputPerMillion: 0.3, outputPerMillion: 2.5 },
  "gemini-2.5-flash-lite": { inputPerMillion: 0.1, outputPerMillion: 0.4 },
  "gemini-2.0-flash": { inputPerMillion: 0.1, outputPerMillion: 0.4 },
};

/** Cost of one call in USD. */
export function callCost(
  model: string,
  inputTokens: number,
  outputTokens: number,
  prices: Record<string, ModelPrice> = DEFAULT_PRICES,
): number {
  const p = prices[model];
  if (!p) return 0;
  return (inputTokens * p.inputPerMillion + outputTokens * p.outputPerMillion) / 1_000_000;
}
