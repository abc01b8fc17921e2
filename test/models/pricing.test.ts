import { describe, expect, it } from "vitest";
import { zeroPrices } from "../../src/models/openai-compatible.js";
import { DEFAULT_PRICES, estimateRunCost } from "../../src/models/pricing.js";

const roles = ["orchestrator", "question", "research", "generation", "reviewer"];

describe("estimateRunCost", () => {
  it("names an OpenAI-compatible provider's rows after it, at its own (zero) prices", () => {
    const models = Object.fromEntries(roles.map((r) => [r, "ollama:qwen3:8b"]));
    const est = estimateRunCost({
      count: 100,
      defaultModels: models,
      provider: "ollama",
      prices: { ...DEFAULT_PRICES, ...zeroPrices(["ollama:qwen3:8b"]) },
    });
    const base = est.rows.find((r) => r.label === "ollama (default models)");
    expect(base).toMatchObject({ provider: "ollama", usd: 0, unpriced: [] });
    expect(est.rows.some((r) => r.label.startsWith("gemini (default"))).toBe(false);
    const every = est.rows.find((r) => r.label === "ollama:qwen3:8b (every agent)");
    expect(every?.provider).toBe("ollama");
    // Gemini models priced in the same table stay Gemini rows, with a cost.
    const flash = est.rows.find((r) => r.label === "gemini-2.5-flash (every agent)");
    expect(flash?.provider).toBe("gemini");
    expect(flash?.usd).toBeGreaterThan(0);
  });

  it("keeps the Gemini default row when the run is offline", () => {
    const est = estimateRunCost({
      count: 10,
      defaultModels: Object.fromEntries(roles.map((r) => [r, "gemini-2.5-flash"])),
      provider: "offline",
    });
    expect(est.rows.map((r) => r.label).slice(0, 2)).toEqual(["offline", "gemini (default models)"]);
    expect(est.rows.filter((r) => r.provider === "offline")).toHaveLength(1);
  });
});
