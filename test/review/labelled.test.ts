import { afterAll, describe, expect, it } from "vitest";
import { labelledItems, reviewLabelledSet } from "../../bench/labelled-review.js";
import { runAgentTask } from "../../src/agents/agent-task.js";
import type { AgentRunner } from "../../src/agents/fact-check.js";
import { offlineModels } from "../../src/models/factories.js";
import { closeJavaScriptSandbox } from "../../src/tools/js-sandbox.js";
import { closePythonSandbox } from "../../src/tools/python-sandbox.js";
import { closeSqlSandbox } from "../../src/tools/sql.js";

/**
 * The labelled set (test/fixtures/review): each corrupted example must be caught, by the
 * check that is meant to catch it; each correct example approved, except the paraphrase
 * the offline (lexical) review is known not to verify. bench/review.ts prints the same
 * run as precision and recall.
 */
const items = labelledItems();

/** Verdict kinds that may catch each corruption. */
const CAUGHT_BY: Record<string, string[]> = {
  wrong_numeric_answer: [
    "fact_check",
    "verifier:arithmetic",
    "verifier:chemistry",
    "verifier:answer",
    "verifier:program",
  ],
  failing_code: ["verifier:code", "verifier:sql"],
  contradicts_source: ["fact_check"],
  swapped_chosen_rejected: ["verifier:preference"],
  verbatim_non_permissive: ["verifier:verbatim"],
  pii: ["verifier:pii"],
  toxic: ["verifier:toxicity"],
  unbalanced_equation: ["verifier:chemistry"],
  duplicate: ["dedup"],
  benchmark_contamination: ["decontamination"],
};
/**
 * Known limits of the offline review (a model reviewer catches these): an entity swapped
 * for another the sources never name, and conditions stated in words ("room temperature")
 * where the source gives numbers (450 °C). A claim the sources do not state is no longer
 * held against a row (issue 12), so these two now pass the offline review.
 */
const KNOWN_OFFLINE_MISSES = new Set(["bad-sft-wrong-conditions", "bad-sft-entity-swap"]);

afterAll(async () => {
  await closePythonSandbox();
  await closeJavaScriptSandbox();
  closeSqlSandbox();
});

describe("labelled review set (offline)", async () => {
  const models = offlineModels();
  const agent: AgentRunner = (task, input) =>
    runAgentTask(task, input, { models, runId: null, sink: () => undefined });
  const results = new Map((await reviewLabelledSet(agent)).map((r) => [r.item.id, r.review]));

  for (const item of items.filter((i) => i.label === "bad" && !KNOWN_OFFLINE_MISSES.has(i.id))) {
    it(`flags ${item.id} (${item.corruption}) by ${CAUGHT_BY[item.corruption!]!.join(" or ")}`, () => {
      const out = results.get(item.id)!;
      expect(out.status).not.toBe("approved");
      // A claim the fact check could not find (score 0.75) counts too: offline, a contradiction
      // without a number or a direction word shows up as an ungrounded claim.
      const failed = out.verdicts
        .filter((v) => !v.passed || (v.kind === "fact_check" && v.score < 1))
        .map((v) => v.kind);
      expect(
        failed.some((k) => CAUGHT_BY[item.corruption!]!.includes(k)),
        `failed: ${failed.join(", ")}`,
      ).toBe(true);
    });
  }

  for (const item of items.filter((i) => i.label === "good" && !KNOWN_OFFLINE_MISSES.has(i.id))) {
    it(`approves ${item.id}`, () => {
      const out = results.get(item.id)!;
      expect(out.notes).toEqual([]);
      expect(out.status).toBe("approved");
      expect(out.score).toBeGreaterThanOrEqual(0.8);
    });
  }

  it("still records the known offline limits honestly", () => {
    // The paraphrase the lexical review could not verify is approved now that a claim the
    // sources do not state is reported, not held against the row.
    expect(results.get("good-sft-rate-paraphrase")!.status).toBe("approved");
    expect(results.get("bad-sft-entity-swap")!.status).toBe("approved");
    expect(results.get("bad-sft-wrong-conditions")!.status).toBe("approved");
  });
});
