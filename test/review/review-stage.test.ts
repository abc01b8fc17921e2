import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { offlineReviewDeps } from "../../bench/labelled-review.js";
import { runAgentTask } from "../../src/agents/agent-task.js";
import type { AgentRunner } from "../../src/agents/fact-check.js";
import { scriptedModels } from "../../src/models/factories.js";
import type { ScriptCall, ScriptReply } from "../../src/models/scripted.js";
import { createPipeline, DEFAULT_REVIEW, defaultStages } from "../../src/pipeline/pipeline.js";
import { type ReviewSubject, reviewExample, reviewStage } from "../../src/pipeline/review-stage.js";
import { sqliteStore } from "../../src/storage/typeorm-store.js";
import { BenchmarkIndex } from "../../src/tools/decontamination.js";
import { DedupIndex } from "../../src/tools/dedup.js";
import { closeJavaScriptSandbox } from "../../src/tools/js-sandbox.js";
import { closePythonSandbox } from "../../src/tools/python-sandbox.js";
import { listVerifiers } from "../../src/tools/verifiers.js";
import { getTrainingType } from "../../src/training-types/index.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sf-review-"));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await closePythonSandbox();
  await closeJavaScriptSandbox();
});

function judge(s: number, issues: string[] = []): ScriptReply {
  return {
    output: {
      scores: { accuracy: s, completeness: s, helpfulness: s, clarity: s, difficulty_fit: s },
      issues,
      summary: "scripted",
    },
  };
}

/** A review with the scripted provider (unscripted tasks get their offline answers). */
function harness(script: (c: ScriptCall) => ScriptReply = () => undefined) {
  const models = scriptedModels(script);
  const agent: AgentRunner = (task, input) =>
    runAgentTask(task, input, { models, runId: null, sink: () => undefined });
  return { models, agent };
}

const sft = getTrainingType("sft");
const passages = [
  {
    sourceId: "src_rate",
    permissive: true,
    licence: "CC-BY-4.0",
    text: "Increasing the temperature increases the rate of most chemical reactions, because a larger fraction of molecular collisions have energy above the activation energy. A catalyst increases the rate of a reaction by providing a pathway with a lower activation energy.",
  },
];
const subject = (response: string, extra: Partial<ReviewSubject> = {}): ReviewSubject => ({
  type: sft,
  row: {
    system: null,
    prompt: "How does temperature affect the rate of a reaction, and what does a catalyst do?",
    response,
  },
  question: "How does temperature affect the rate of a reaction, and what does a catalyst do?",
  difficulty: "easy",
  passages,
  id: "ex_1",
  ...extra,
});
const GOOD =
  "Increasing the temperature increases the rate of most chemical reactions, because a larger fraction of molecular collisions have energy above the activation energy. A catalyst increases the rate of a reaction by providing a pathway with a lower activation energy.";
const deps = offlineReviewDeps;

describe("reviewExample: the quality score", () => {
  it("is the judge's score when every check passes, with every verdict recorded", async () => {
    const { agent, models } = harness((c) =>
      c.task === "reviewer.judge" ? judge(0.9, ["could add an example"]) : undefined,
    );
    const out = await reviewExample(subject(GOOD), deps(agent, { dedup: new DedupIndex() }));
    expect(out).toMatchObject({ score: 0.9, status: "approved", notes: [], defect: null });
    const kinds = out.verdicts.map((v) => v.kind);
    expect(kinds.slice(0, 2)).toEqual(["schema", "verifier:format"]);
    // The text gate (no topic given: no on-topic check), then duplicates, verifiers, facts, judge.
    expect(kinds.filter((k) => k.startsWith("gate:"))).toEqual([
      "gate:template",
      "gate:injection",
      "gate:boilerplate",
      "gate:repetition",
      "gate:truncation",
      "gate:language",
      "gate:answers",
    ]);
    expect(kinds.indexOf("dedup")).toBeGreaterThan(kinds.indexOf("gate:answers"));
    expect(kinds).toEqual(expect.arrayContaining(["verifier:pii", "verifier:toxicity"]));
    expect(kinds.filter((k) => k === "fact_check")).toHaveLength(2);
    expect(kinds.slice(-2)).toEqual(["judge", "final"]);
    expect(out.verdicts.every((v) => v.passed)).toBe(true);
    expect(out.verdicts.filter((v) => v.kind === "fact_check").every((v) => v.passed)).toBe(true);
    // Both claims were decided lexically: only the judge was called.
    expect(models.calls.map((c) => c.task)).toEqual(["reviewer.judge"]);
  });

  it("rejects a row a check finds a real defect in, naming the defect, without the model", async () => {
    const { agent, models } = harness((c) => (c.task === "reviewer.judge" ? judge(0.9) : undefined));
    // One of two computations wrong: a partial arithmetic score is still a wrong calculation.
    const text = `${GOOD} For example, 2 + 2 = 4 and 3 + 4 = 8.`;
    const out = await reviewExample(subject(text), deps(agent));
    const arith = out.verdicts.find((v) => v.kind === "verifier:arithmetic")!;
    expect(arith).toMatchObject({ score: 0.5, passed: false, raw: { defect: "wrong_arithmetic" } });
    expect(out.status).toBe("rejected");
    expect(out.defect).toBe("wrong_arithmetic");
    expect(out.score).toBeLessThan(DEFAULT_REVIEW.rejectBelow);
    expect(out.verdicts.at(-1)!.raw).toMatchObject({ defect: "wrong_arithmetic" });
    expect(out.notes[0]).toMatch(/arithmetic is wrong: "3 \+ 4 = 8"/);
    expect(models.calls).toHaveLength(0);
  });

  it("approves a correct answer the sources do not state, with the claim reported", async () => {
    const { agent } = harness((c) => (c.task === "reviewer.judge" ? judge(0.9) : undefined));
    const out = await reviewExample(
      subject(`${GOOD} Enzymes are proteins that work best near body temperature.`),
      deps(agent),
    );
    const open = out.verdicts.filter((v) => v.kind === "fact_check" && v.reasons.length > 0);
    expect(open.map((v) => v.reasons[0])).toEqual([expect.stringMatching(/^not in the sources: "Enzymes/)]);
    expect(open[0]!.passed).toBe(true);
    expect(out.status).toBe("approved");
    // 1 of 3 claims unverified costs a third of the not-found penalty: 0.9 × (1 − 0.08 / 3).
    expect(out.score).toBe(0.876);
  });

  it("counts a contradicted claim against the score and says which claim to fix", async () => {
    const { agent } = harness((c) => (c.task === "reviewer.judge" ? judge(0.95) : undefined));
    const out = await reviewExample(
      subject(GOOD.replace("increases the rate of most", "decreases the rate of most")),
      deps(agent),
    );
    const contradicted = out.verdicts.filter((v) => v.kind === "fact_check" && !v.passed);
    expect(contradicted).toHaveLength(1);
    expect(contradicted[0]!.raw).toMatchObject({
      verdict: "contradicted",
      method: "antonym",
      sourceId: "src_rate",
    });
    expect(out.status).toBe("rejected");
    expect(out.defect).toBe("contradicts_source");
    expect(out.score).toBeLessThan(DEFAULT_REVIEW.rejectBelow);
    expect(out.notes[0]).toMatch(
      /^fix a claim the sources contradict: "Increasing the temperature decreases/,
    );
  });

  it("skips the model calls when a weight-1 check already fails", async () => {
    const { agent, models } = harness();
    const out = await reviewExample(
      subject(`${GOOD}\n\n\`\`\`python\nassert 1 + 1 == 3\n\`\`\``),
      deps(agent),
    );
    expect(out).toMatchObject({ score: 0, status: "rejected" });
    expect(out.notes[0]).toBe("the python code does not run: AssertionError");
    expect(models.calls).toHaveLength(0);
    expect(out.verdicts.at(-1)!.raw).toMatchObject({
      skipped: expect.stringMatching(/model review was not needed/),
    });
  });

  it("rejects a schema failure before anything else", async () => {
    const { agent, models } = harness();
    const out = await reviewExample(subject("too short"), deps(agent));
    expect(out).toMatchObject({
      score: 0,
      status: "rejected",
      notes: ["response is too short to be useful"],
    });
    expect(models.calls).toHaveLength(0);
  });
});

describe("reviewExample: fact check and judge routing", () => {
  it("sends only the claims the lexical check leaves open to the cheap model, once", async () => {
    const { agent, models } = harness((c) => {
      if (c.task === "reviewer.fact_check") {
        const claims = (c.input as { claims: Array<{ id: number }> }).claims;
        return {
          output: {
            verdicts: claims.map((x) => ({
              id: x.id,
              verdict: "contradicted",
              source_id: "src_rate",
              evidence: "quoted",
              explanation: "the source says otherwise",
            })),
          },
        };
      }
      if (c.task === "reviewer.judge") return judge(0.9);
      return undefined;
    });
    const out = await reviewExample(
      subject(`${GOOD} Enzymes are proteins that work best near body temperature.`),
      deps(agent),
    );
    const fc = models.calls.filter((c) => c.task === "reviewer.fact_check");
    expect(fc).toHaveLength(1);
    expect((fc[0]!.input as { claims: Array<{ text: string }> }).claims.map((c) => c.text)).toEqual([
      "Enzymes are proteins that work best near body temperature.",
    ]);
    expect(fc[0]!.model).toBe("gemini-2.0-flash");
    const byModel = out.verdicts.filter(
      (v) => v.kind === "fact_check" && (v.raw as { method: string }).method === "model",
    );
    expect(byModel).toHaveLength(1);
    expect(byModel[0]).toMatchObject({ passed: false, score: 0 });
  });

  it("treats a fact-check answer that does not fit as not found, and goes on", async () => {
    const { agent } = harness((c) =>
      c.task === "reviewer.fact_check"
        ? { text: "not json" }
        : c.task === "reviewer.judge"
          ? judge(0.9)
          : undefined,
    );
    const out = await reviewExample(
      subject(`${GOOD} Enzymes are proteins that work best near body temperature.`),
      deps(agent),
    );
    const open = out.verdicts.filter(
      (v) => v.kind === "fact_check" && (v.raw as { verdict: string }).verdict === "not_found",
    );
    expect(open).toHaveLength(1);
    expect(out.status).toBe("approved");
  });

  it("uses the deep (pro) model to judge hard questions and the cheap one otherwise", async () => {
    const { agent, models } = harness((c) => (c.task === "reviewer.judge" ? judge(0.9) : undefined));
    await reviewExample(subject(GOOD, { difficulty: "hard" }), deps(agent));
    await reviewExample(subject(GOOD, { difficulty: "easy" }), deps(agent));
    expect(models.calls.filter((c) => c.task === "reviewer.judge").map((c) => c.model)).toEqual([
      "gemini-3-pro-preview",
      "gemini-2.0-flash",
    ]);
  });

  it("tells the judge what the verifiers and the fact check found, and the topic and constraints", async () => {
    const { agent, models } = harness();
    await reviewExample(
      subject(`${GOOD} So 3 + 4 = 7. Enzymes are proteins that work best near body temperature.`, {
        topic: "chemistry",
        subTopic: "reaction rates",
        constraints: { audience: "A-level students" },
      }),
      deps(agent),
    );
    const input = models.calls.find((c) => c.task === "reviewer.judge")!.input as {
      checks: Array<{ name: string; passed: boolean }>;
      factCheck: { supported: number; not_found: number };
      topic: string;
      subTopic: string;
      constraints: { audience: string };
    };
    expect(input.checks.find((c) => c.name === "arithmetic")).toMatchObject({ passed: true });
    expect(input.factCheck).toMatchObject({ supported: 2, not_found: 1 });
    expect(input).toMatchObject({
      topic: "chemistry",
      subTopic: "reaction rates",
      constraints: { audience: "A-level students" },
    });
  });
});

describe("reviewExample: duplicates and benchmarks", () => {
  it("rejects an exact or near duplicate of an indexed example, naming it", async () => {
    const { agent } = harness();
    const dedup = new DedupIndex();
    dedup.add("ex_first", `${subject(GOOD).row.prompt}\n${GOOD}`);
    const exact = await reviewExample(subject(GOOD), deps(agent, { dedup }));
    expect(exact).toMatchObject({
      score: 0,
      status: "rejected",
      notes: ["an exact duplicate of example ex_first"],
    });
    const near = await reviewExample(
      subject(GOOD.replace("most chemical reactions", "most reactions")),
      deps(agent, { dedup }),
    );
    expect(near.notes[0]).toMatch(/^a near duplicate of example ex_first \(similarity 0\.\d+\)/);
  });

  it("rejects the same response under a different prompt as duplicate_response", async () => {
    const { agent } = harness();
    const dedup = new DedupIndex();
    const first = await reviewExample(subject(GOOD, { id: "ex_a" }), deps(agent, { dedup }));
    expect(first.status).toBe("approved");
    expect(dedup.claim("ex_a", first.signature!)).toBeNull();
    const other = subject(GOOD, { id: "ex_b" });
    other.row = { ...other.row, prompt: "Explain why catalysts and heating speed up chemical reactions." };
    const out = await reviewExample(other, deps(agent, { dedup }));
    expect(out).toMatchObject({ status: "rejected", defect: "duplicate_response" });
    expect(out.notes[0]).toMatch(/^the same response as example ex_a under a different prompt/);
  });

  it("rejects an example that contains a benchmark item and records the item", async () => {
    const { agent } = harness();
    const benchmarks = new BenchmarkIndex();
    benchmarks.addRow("mmlu.jsonl", 41, {
      id: "chem-42",
      question: "How does temperature affect the rate of a reaction, and what does a catalyst do?",
    });
    const out = await reviewExample(subject(GOOD), deps(agent, { benchmarks }));
    expect(out.notes[0]).toBe(
      'contains benchmark item chem-42 of mmlu.jsonl (100% of its 8-grams, field "question")',
    );
    const v = out.verdicts.find((x) => x.kind === "decontamination")!;
    expect(v.raw).toMatchObject({ matches: [{ benchmark: "mmlu.jsonl", row: 41, itemId: "chem-42" }] });
  });
});

describe("review stage in the pipeline (SQLite)", () => {
  const run = async (path: string, stages = defaultStages()) => {
    const pipeline = createPipeline({
      storage: sqliteStore({ path }),
      models: scriptedModels(() => undefined),
      stages,
      concurrency: 2,
    });
    const summary = await pipeline.run({ count: 3, trainingType: "sft", topic: "organic chemistry" }).done;
    return { pipeline, summary };
  };

  it("stores every verdict and, across runs, rejects duplicates of earlier runs in the same database", async () => {
    const path = join(dir, "dedup.db");
    const acrossRuns = () => defaultStages().replace("review", reviewStage({ dedup: "database" }));
    const first = await run(path, acrossRuns());
    expect(first.summary.counts.approved).toBe(3);
    const [ex] = await first.pipeline.store
      .iterateExamples(first.summary.runId, "sft")
      [Symbol.asyncIterator]()
      .next()
      .then((r) => [r.value]);
    const kinds = new Set((await first.pipeline.store.listReviews(ex!.id)).map((r) => r.kind));
    for (const k of [
      "schema",
      "verifier:format",
      "gate:language",
      "dedup",
      "verifier:pii",
      "fact_check",
      "judge",
      "final",
    ])
      expect(kinds).toContain(k);
    await first.pipeline.close();

    // The offline provider writes the same questions again: the review rejects the copies.
    const second = await run(path, acrossRuns());
    const failures = await second.pipeline.store.listFailures(second.summary.runId);
    const dups = failures.filter((f) => /duplicate of example ex_/.test(f.reason));
    expect(dups.length).toBeGreaterThan(0);
    expect(dups[0]!.reason).toMatch(/^rejected by review: score 0 < 0\.6: an exact duplicate of example ex_/);
    await second.pipeline.close();

    // Scoped to the run (the default), a rerun approves them.
    const third = await run(path);
    expect(third.summary.counts.approved).toBe(3);
    expect(
      (await third.pipeline.store.listFailures(third.summary.runId)).filter((f) =>
        /duplicate/.test(f.reason),
      ),
    ).toEqual([]);
    await third.pipeline.close();
  });

  it("decontaminates against a benchmark file given to the stage", async () => {
    const path = join(dir, "bench.db");
    const first = await run(path, defaultStages().replace("review", reviewStage({ dedup: "off" })));
    const prompts: string[] = [];
    for await (const ex of first.pipeline.store.iterateExamples(first.summary.runId, "sft"))
      prompts.push(String(ex.data.prompt));
    await first.pipeline.close();
    const file = join(dir, "bench.jsonl");
    writeFileSync(file, prompts.map((q, i) => JSON.stringify({ id: `b${i}`, question: q })).join("\n"));
    const second = await run(
      path,
      defaultStages().replace("review", reviewStage({ dedup: "off", benchmarks: [file] })),
    );
    const failures = await second.pipeline.store.listFailures(second.summary.runId);
    expect(failures.some((f) => /contains benchmark item b\d of bench\.jsonl/.test(f.reason))).toBe(true);
    await second.pipeline.close();
  });
});

describe("reviewExample: topic and ranking against the run's own material", () => {
  const notes = [
    "Genetic code expansion lets an engineered cell build proteins with unnatural amino acids. An orthogonal aminoacyl-tRNA synthetase and tRNA pair reads a reassigned stop codon and inserts the unnatural amino acid at that position.",
    "Photocaged amino acids carry a light-sensitive protecting group on the side chain. The protecting group blocks the protein's active site until a pulse of near-ultraviolet light around 365 nm removes it, so the protein can be switched on at a chosen time and place. Genetic firewalls make strains depend on such unnatural amino acids for survival.",
  ].map((text, i) => ({ sourceId: `notes_${i}`, permissive: true, licence: "CC-BY-4.0", text }));
  const prompt = "How can researchers use light to switch on a protein that carries a photocaged amino acid?";
  const xeno = (passagesGiven: typeof notes): ReviewSubject => ({
    type: sft,
    row: {
      system: null,
      prompt,
      response:
        "The amino acid's side chain carries a light-sensitive protecting group that blocks the protein's active site. A short pulse of near-ultraviolet light at about 365 nm gives the photons enough energy to break the bond and release the group, so the protein switches on only where and when the light falls.",
    },
    question: prompt,
    difficulty: "easy",
    passages: passagesGiven,
    id: "ex_xeno",
    topic: "synthetic xenobiology",
    subTopic: "genetic firewalls",
  });

  it("approves an on-topic row of a rare topic, judged against the run's corpus notes", async () => {
    const { agent } = harness((c) => (c.task === "reviewer.judge" ? judge(0.9) : undefined));
    const out = await reviewExample(xeno(notes), deps(agent));
    const topic = out.verdicts.find((v) => v.kind === "gate:on_topic")!;
    expect(topic).toMatchObject({ passed: true, raw: { details: { by: "ground truth" } } });
    expect(out).toMatchObject({ status: "approved", defect: null });
    // Without the notes the subject areas alone would have called it physics.
    const bare = await reviewExample(xeno([]), deps(agent));
    expect(bare).toMatchObject({ status: "rejected", defect: "off_topic" });
  });

  it("rejects a DPO pair whose chosen response evades while the rejected one answers", async () => {
    const { agent, models } = harness((c) => (c.task === "reviewer.judge" ? judge(0.9) : undefined));
    const p = "A 12 V battery drives a current through a 4 Ω resistor. What is the current?";
    const row = {
      prompt: p,
      chosen:
        "It is hard to say without knowing more about the circuit. Real batteries and resistors behave in complicated ways, so measure it with an ammeter.",
      rejected: "By Ohm's law, I = V / R = 12 V ÷ 4 Ω = 3 A.",
      chosen_rating: 8,
      rejected_rating: 4,
      rejection_reason: "incomplete",
      rejection_explanation: "The rejected answer is too brief.",
    };
    const dpo = getTrainingType("dpo");
    const base = { type: dpo, question: p, difficulty: "easy" as const, passages: [], id: "ex_pair" };
    const out = await reviewExample({ ...base, row }, deps(agent));
    expect(out).toMatchObject({ status: "rejected", defect: "ranking_wrong" });
    expect(out.notes[0]).toMatch(
      /the chosen response does not answer the prompt .* while the rejected one does/,
    );
    expect(models.calls).toHaveLength(0);
    // The same pair the right way round is approved.
    const fixed = await reviewExample(
      { ...base, row: { ...row, chosen: row.rejected, rejected: row.chosen } },
      deps(agent),
    );
    expect(fixed).toMatchObject({ status: "approved", defect: null });
  });

  it("rejects an RLHF ranking whose rank-1 response contradicts the sources a lower one states", async () => {
    const { agent } = harness((c) => (c.task === "reviewer.judge" ? judge(0.9) : undefined));
    const p = "What happens to the rate of a reaction when the temperature is raised?";
    const responses = [
      "Raising the temperature decreases the rate of most chemical reactions.",
      "Increasing the temperature increases the rate of most chemical reactions, because a larger fraction of molecular collisions have energy above the activation energy.",
      "Nothing happens.",
    ].map((text, i) => ({ text, rating: 9 - 3 * i, rank: i + 1, flaw: i === 0 ? "none" : "incomplete" }));
    const out = await reviewExample(
      {
        type: getTrainingType("rlhf"),
        row: { prompt: p, responses, chosen: responses[0]!.text, rejected: responses[2]!.text, margin: 6 },
        question: p,
        difficulty: "easy",
        passages,
        id: "ex_ranked",
      },
      deps(agent),
    );
    expect(out).toMatchObject({ status: "rejected", defect: "ranking_wrong" });
    expect(out.verdicts.find((v) => v.kind === "gate:ranking_grounding")).toMatchObject({ passed: false });
  });
});
