import { afterAll, describe, expect, it } from "vitest";
import { gateFigures, gateItems, offlineReviewDeps, reviewGateSet } from "../../bench/labelled-review.js";
import { runAgentTask } from "../../src/agents/agent-task.js";
import type { AgentRunner } from "../../src/agents/fact-check.js";
import { offlineJudge } from "../../src/agents/reviewer.js";
import { DEFECT_KINDS } from "../../src/core/types.js";
import { offlineModels } from "../../src/models/factories.js";
import { reviewExample } from "../../src/pipeline/review-stage.js";
import { closeJavaScriptSandbox } from "../../src/tools/js-sandbox.js";
import { closePythonSandbox } from "../../src/tools/python-sandbox.js";
import { closeSqlSandbox } from "../../src/tools/sql.js";
import { getTrainingType } from "../../src/training-types/index.js";

/**
 * The review gate on the labelled dev set (test/fixtures/review-gate/dev.jsonl), offline:
 * the figures `npm run bench:review -- --set dev` prints, held as a floor. Targets of issue
 * 12: ≥ 95% of bad rows kept out, ≥ 90% of good rows approved, the right defect named for
 * ≥ 90% of the caught bad rows. Measured last: 101/117 bad rows kept out (86.3%), 117/117
 * good rows approved (100%), AUC 0.916, right reason 100/101 (99.0%). The `extra` set
 * (test/fixtures/review-gate/extra.jsonl: 80 rows written for the weak defect classes and
 * good rows that look like them) is held to its own floor below.
 * The kept-out target is not met offline (wrong facts without a source, preference and
 * reward rows whose responses no deterministic check faults, code whose bug no assert
 * exercises), so the floor asserted for it is what is reached. The held-out set is never
 * read here.
 */
const models = offlineModels();
const agent: AgentRunner = (task, input) =>
  runAgentTask(task, input, { models, runId: null, sink: () => undefined });
/** What `reviewExample` needs to review one row offline, as the pipeline would. */
const offlineDeps = offlineReviewDeps(agent);

afterAll(async () => {
  await closePythonSandbox();
  await closeJavaScriptSandbox();
  closeSqlSandbox();
});

describe("review gate on the dev set (offline)", async () => {
  const items = gateItems("dev");
  const results = await reviewGateSet(agent, items);
  const all = gateFigures(results);

  it("reads a labelled set of every training type, each bad row with one known defect", () => {
    expect(items.length).toBeGreaterThanOrEqual(200);
    expect(new Set(items.map((i) => i.type)).size).toBe(9);
    for (const i of items) {
      if (i.label === "bad") expect(DEFECT_KINDS).toContain(i.defect);
      else expect(i.defect).toBeNull();
    }
  });

  it("never crashes on a row: every review ends in a status", () => {
    const crashed = results.filter((r) => r.failed.includes("error"));
    expect(crashed.map((r) => `${r.item.id}: ${r.notes[0]}`)).toEqual([]);
  });

  it("keeps bad rows out, approves good ones and names the right defect", () => {
    const pct = (x: number, n: number) => x / Math.max(1, n);
    expect(pct(all.goodApproved, all.good)).toBeGreaterThanOrEqual(0.9);
    expect(pct(all.rightReason, all.badKeptOut)).toBeGreaterThanOrEqual(0.9);
    // Target 0.95; reached offline: 0.855 (see the file's comment).
    expect(pct(all.badKeptOut, all.bad)).toBeGreaterThanOrEqual(0.8);
    expect(all.auc!).toBeGreaterThanOrEqual(0.85);
  });

  it("ranks by score: every caught bad row scores below every approved good row", () => {
    const caught = results.filter((r) => r.item.label === "bad" && r.status !== "approved");
    const approved = results.filter((r) => r.item.label === "good" && r.status === "approved");
    const worstGood = Math.min(...approved.map((r) => r.score));
    expect(Math.max(...caught.map((r) => r.score))).toBeLessThan(worstGood);
  });

  it("catches every defect of the text gate for its own reason", () => {
    for (const defect of [
      "template_tokens",
      "injection_echo",
      "boilerplate",
      "repetition",
      "truncated",
      "wrong_language",
      "duplicate_response",
      "format_invalid",
    ]) {
      // dpo-022's rejection_reason ("wrong_formula") is a flaw label of the dataset's own,
      // which a row may now use (flawLabelSchema): no longer a format defect.
      const rows = results.filter((r) => r.item.defect === defect && r.item.id !== "dpo-022");
      expect(rows.length, defect).toBeGreaterThan(0);
      expect(
        rows.filter((r) => r.status === "approved" || r.defect !== defect).map((r) => r.item.id),
        defect,
      ).toEqual([]);
    }
  });
});

describe("PPO rows given a low reward", () => {
  const review = (response: string, reward: number, rationale: string) =>
    reviewExample(
      {
        type: getTrainingType("ppo"),
        row: {
          prompt: "Why does a metal bench feel colder than a wooden one at the same temperature?",
          response,
          reward,
          reward_rationale: rationale,
        },
        question: "Why does a metal bench feel colder than a wooden one at the same temperature?",
        difficulty: "easy",
        passages: [],
        id: `ppo-${reward}`,
      },
      offlineDeps,
    );

  it("a poor response the reward calls poor is the training signal, not a defect; a high reward on it is", async () => {
    const poor = "Because the metal is colder.";
    const low = await review(
      poor,
      0.1,
      "Wrong: both are at the same temperature; metal conducts heat away faster.",
    );
    expect(low.status).toBe("approved");
    const high = await review(poor, 0.9, "Clear and correct.");
    expect(high.status).not.toBe("approved");
  });
});

describe("malformed rows", () => {
  it("a GRPO row without solution and is_correct is rejected as format_invalid, not a crash", async () => {
    const grpo = getTrainingType("grpo");
    const out = await reviewExample(
      {
        type: grpo,
        row: {
          prompt: "What is 6 × 7?",
          reasoning: "6 × 7 = 42",
          code: "print(6 * 7)",
          predicted_answer: "42",
          execution_output: "42",
        },
        question: "What is 6 × 7?",
        difficulty: "easy",
        passages: [],
        id: "grpo-missing",
      },
      offlineDeps,
    );
    expect(out).toMatchObject({ status: "rejected", defect: "format_invalid", score: 0 });
    expect(out.notes.join("; ")).toMatch(/solution/);
    expect(out.notes.join("; ")).toMatch(/is_correct/);
  });

  it("the offline judge of a GRPO row read without its reasoning and code does not crash", () => {
    // An imported trl-grpo row (prompt and solution) reaches the judge without the columns it
    // does not carry; the type's own judge reads row.reasoning, the generic judge takes over.
    const verdict = offlineJudge({
      trainingType: "grpo",
      rubric: getTrainingType("grpo").rubric,
      difficulty: "easy",
      question: "What is 6 × 7?",
      prompt: "What is 6 × 7?",
      answer: "42",
      example: { prompt: "What is 6 × 7?", solution: "42" },
      passages: [],
    });
    expect(Object.keys(verdict.scores).sort()).toEqual([
      "accuracy",
      "clarity",
      "completeness",
      "difficulty_fit",
      "helpfulness",
    ]);
    expect(verdict.summary).toMatch(/^Offline review/);
  });
});

describe("review gate on the extra set (offline)", async () => {
  const items = gateItems("extra");
  const results = await reviewGateSet(agent, items);
  const all = gateFigures(results);

  it("has rows of every type in the weak defect classes, and good rows beside them", () => {
    expect(new Set(items.map((i) => i.type)).size).toBe(9);
    const defects = new Set(items.filter((i) => i.label === "bad").map((i) => i.defect));
    for (const d of ["wrong_fact", "off_topic", "non_answer", "code_wrong", "ranking_wrong"])
      expect(defects, d).toContain(d);
    expect(items.filter((i) => i.label === "good").length).toBeGreaterThanOrEqual(25);
  });

  it("approves the good rows and keeps most bad ones out for the right reason", () => {
    // Measured: 29/46 bad kept out (63.0%), 34/34 good approved, AUC 0.813, right reason 27/29.
    // The 16 rows added last (x-*-10 to x-*-14) hold off-topic rows from a neighbouring
    // field (a pH question in a run on substitution reactions, the heart in a run on
    // photosynthesis): the keyword areas of the topic gate miss most of them.
    expect(all.goodApproved / all.good).toBeGreaterThanOrEqual(0.9);
    expect(all.badKeptOut / all.bad).toBeGreaterThanOrEqual(0.58);
    expect(all.rightReason / Math.max(1, all.badKeptOut)).toBeGreaterThanOrEqual(0.9);
    expect(all.auc!).toBeGreaterThanOrEqual(0.78);
    const offTopic = results.filter((r) => r.item.defect === "off_topic");
    expect(offTopic.filter((r) => r.status !== "approved").length / offTopic.length).toBeGreaterThanOrEqual(
      0.6,
    );
    for (const defect of ["non_answer"]) {
      const rows = results.filter((r) => r.item.defect === defect);
      expect(
        rows.filter((r) => r.status === "approved").map((r) => r.item.id),
        defect,
      ).toEqual([]);
    }
  });
});

describe("review gate on the dev2 set (offline)", async () => {
  const items = gateItems("dev2");
  const results = await reviewGateSet(agent, items);
  const all = gateFigures(results);

  it("holds rows of all nine types, about half good, half of them with passages", () => {
    expect(items.length).toBeGreaterThanOrEqual(170);
    expect(new Set(items.map((i) => i.type)).size).toBe(9);
    expect(items.filter((i) => i.passages.length > 0).length / items.length).toBeGreaterThanOrEqual(0.4);
  });

  it("approves the good rows; keeps out what the deterministic checks can see", () => {
    // Measured: 63/95 bad kept out (66.3%; 47/95 when the set was added), 83/83 good
    // approved, AUC 0.836, right reason 55/63. Written after the checks, without looking at
    // their misses; the rows it exposed led to general fixes (decimal commas, clause-level
    // number conflicts, value questions answered with the prompt's own numbers, code in
    // another language, reviewer-directed text). What remains is mostly wrong facts without
    // passages, off-topic rows inside the topic's own field and rankings only knowledge can
    // judge.
    expect(all.goodApproved / all.good).toBeGreaterThanOrEqual(0.9);
    expect(all.badKeptOut / all.bad).toBeGreaterThanOrEqual(0.62);
    expect(all.rightReason / Math.max(1, all.badKeptOut)).toBeGreaterThanOrEqual(0.82);
    expect(all.auc!).toBeGreaterThanOrEqual(0.8);
  });
});

/**
 * A 180-row set (20 per type, half good, about half with passages) reviewed offline, held to
 * its figures: good rows approved, bad rows kept out, AUC.
 */
function freshSet(set: "dev3" | "dev4" | "dev5", min: { approved: number; keptOut: number; auc: number }) {
  describe(`review gate on the ${set} set (offline)`, async () => {
    const items = gateItems(set);
    const results = await reviewGateSet(agent, items);
    const all = gateFigures(results);

    it("holds 20 rows of each of the nine types, half good, about half with passages", () => {
      expect(items.length).toBe(180);
      for (const t of new Set(items.map((i) => i.type)))
        expect(items.filter((i) => i.type === t && i.label === "good").length, t).toBe(10);
      expect(items.filter((i) => i.passages.length > 0).length / items.length).toBeGreaterThanOrEqual(0.45);
    });

    it("approves the good rows it was written with; keeps out what the deterministic checks can see", () => {
      expect(all.goodApproved / all.good).toBeGreaterThanOrEqual(min.approved);
      expect(all.badKeptOut / all.bad).toBeGreaterThanOrEqual(min.keptOut);
      expect(all.auc!).toBeGreaterThanOrEqual(min.auc);
    });
  });
}

// dev3, measured when the set was added (written by a helper that saw neither the checks nor
// the other sets' rows): 53/90 bad kept out, 79/90 good approved, AUC 0.717. The false
// rejections it exposed led to general fixes (an answer given on the first line, a second
// question read as an effect question, a value answered in words, PPO responses with a
// middling reward, a rival number the claim states itself, a second conversion factor, a case
// of the claim's own, a unit before an operator); with the checks it led to (names put in
// place of the source's, conversions in bold and millibars, an "incomplete" label on the
// fuller response, facts from tables, a method or formula given for a value) a rank the other
// way round, an omission the text does not have and another thing's value, percentages the
// way back and before a percentage, now 68/90, 89/90, AUC 0.870.
freshSet("dev3", { approved: 0.95, keptOut: 0.66, auc: 0.8 });

// dev4, measured when the set was added (written by three helpers that saw only one example
// row per type, neither the checks nor the other sets): 48/90 bad kept out, 63/90 good
// approved, AUC 0.624, and one row that hung the claim splitter. The false rejections led to
// general fixes (a pattern that backtracked for ever; answers written "≈ 30.3 m", "5/16 =
// 0.3125" or "−$2,268.71 (reject)"; flaw labels of the dataset's own; numbers in bold, in
// ranges, in names such as "stage 1", "the other two"; a short clause inside a longer negated
// one; a mixed-number result; a prompt with more parts in one unit; "the easiest way"), now
// 44/90, 88/90, AUC 0.735 (49/90, 88/90, 0.761 with dev5's general fixes). Most bad rows it still lets through are contradictions the lexical
// checks cannot read, wrong facts without passages and off-topic rows inside the topic's field.
freshSet("dev4", { approved: 0.95, keptOut: 0.44, auc: 0.7 });

// dev5, measured when the set was added (one helper, one example row per type, nothing of the
// checks): 51/90 bad kept out, 77/90 good approved, AUC 0.736. The false rejections led to
// general fixes (a list marker read as a minus, a logarithm's argument as a term, "$" in code
// as LaTeX, formulas with subscripts cut short and a letter cipher read as a reaction, a
// hyphenated range, a number bound across a clause, results the row computes for its own
// case, superscript allele letters, "how does it work" answered with steps, a wrong attempt
// labelled as one in GRPO, a KTO reason in its own words, sources' names on a topic whose
// words suggest another area); with the checks it led to (a slipped digit, a rationale that
// says the answer is wrong, a date moved, English detected by both detectors, durations in
// parts, range conversions, prefix slips, comparisons and choices left unanswered, fewer
// items than asked for) now 59/90, 90/90, AUC 0.858.
freshSet("dev5", { approved: 0.95, keptOut: 0.6, auc: 0.8 });
