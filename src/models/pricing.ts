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

/** Tokens one agent spends for one approved example (input and output), on average. */
export interface TokensPerExample {
  input: number;
  output: number;
}

/**
 * Estimated tokens per approved example per agent, with a model writing the text. They
 * include the work an approved example carries on average: about 1.3 candidates per
 * approved example (rejects and near duplicates), a revision round for one in five, and
 * the question writer's batches (20 questions per call). Measured on offline runs
 * (input sizes: prompts and research context are the same with a model) with output sizes
 * raised to what a model writes (a full answer, a judge's rubric). An estimate, not a quote:
 * run `synthforge plan` for a run's figure, the run summary for the real one.
 */
export const TOKENS_PER_EXAMPLE: Readonly<
  Record<"question" | "research" | "generation" | "reviewer", TokensPerExample>
> = {
  question: { input: 120, output: 70 },
  research: { input: 900, output: 650 },
  generation: { input: 1900, output: 900 },
  reviewer: { input: 1900, output: 350 },
};

/** Tokens of the run-level calls (intake and plan), once per run. */
export const TOKENS_PER_RUN: Readonly<Record<"orchestrator", TokensPerExample>> = {
  orchestrator: { input: 1200, output: 900 },
};

/** One line of a cost estimate: a way to run the request and what it would cost. */
export interface CostEstimateRow {
  /** "offline", "gemini (default models)", "gemini-2.5-flash (every agent)", "ollama (default models)". */
  label: string;
  /** `offline`, `gemini`, or the OpenAI-compatible provider the models run on (`ollama`, `vllm`, …). */
  provider: string;
  /** Model per agent role. */
  models: Record<string, string>;
  /** Estimated USD at standard prices. */
  usd: number;
  /** Estimated USD with generation and review through the Batch API (`--batch`, 50%). */
  batchUsd: number;
  /** Models in `models` without a price (counted as 0). */
  unpriced: string[];
}

/** What {@link estimateRunCost} returns. */
export interface CostEstimate {
  count: number;
  /** Estimated tokens of the whole run per agent role. */
  tokens: Record<string, TokensPerExample>;
  rows: CostEstimateRow[];
}

/** `ollama` for `ollama:qwen3:8b` (an OpenAI-compatible provider's routed name), else `gemini`. */
function providerOfModel(model: string): string {
  const i = model.indexOf(":");
  return i > 0 ? model.slice(0, i) : "gemini";
}

/**
 * Estimated cost of a run of `count` approved examples: {@link TOKENS_PER_EXAMPLE} × count
 * per agent (plus {@link TOKENS_PER_RUN}), priced with the model each agent uses. Rows:
 * the offline provider ($0), Gemini with the given per-role models (`defaultModels`), and
 * Gemini with every agent on each priced model of `prices`.
 */
export function estimateRunCost(opts: {
  count: number;
  /** The models per agent role the run would use (the router's, with overrides and the deep tier applied). */
  defaultModels: Record<string, string>;
  /** The provider those models run on (default `gemini`; `offline` adds no second offline row). */
  provider?: string;
  prices?: Record<string, ModelPrice>;
}): CostEstimate {
  const prices = opts.prices ?? DEFAULT_PRICES;
  const tokens: Record<string, TokensPerExample> = {};
  for (const [role, t] of Object.entries(TOKENS_PER_EXAMPLE))
    tokens[role] = { input: t.input * opts.count, output: t.output * opts.count };
  for (const [role, t] of Object.entries(TOKENS_PER_RUN)) tokens[role] = { ...t };
  const batched = new Set(["generation", "reviewer"]);
  const price = (models: Record<string, string>) => {
    let usd = 0;
    let batchUsd = 0;
    for (const [role, t] of Object.entries(tokens)) {
      const model = models[role] ?? "";
      const c = callCost(model, t.input, t.output, prices);
      usd += c;
      batchUsd += batched.has(role) ? c / 2 : c;
    }
    const unpriced = [...new Set(Object.values(models).filter((m) => !prices[m]))];
    return { usd, batchUsd, unpriced };
  };
  const roles = Object.keys(tokens);
  const rows: CostEstimateRow[] = [
    {
      label: "offline",
      provider: "offline",
      models: Object.fromEntries(roles.map((r) => [r, "synthforge-offline-1"])),
      usd: 0,
      batchUsd: 0,
      unpriced: [],
    },
  ];
  const base = opts.provider && opts.provider !== "offline" ? opts.provider : "gemini";
  rows.push({
    label: `${base} (default models)`,
    provider: base,
    models: opts.defaultModels,
    ...price(opts.defaultModels),
  });
  for (const model of Object.keys(prices)) {
    const models = Object.fromEntries(roles.map((r) => [r, model]));
    rows.push({
      label: `${model} (every agent)`,
      provider: providerOfModel(model),
      models,
      ...price(models),
    });
  }
  return { count: opts.count, tokens, rows };
}
