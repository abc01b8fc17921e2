/**
 * What large runs rely on, at a size a test can afford: the question writer's material
 * pages, its retries, the plan's retries, the candidate budget under concurrency, and
 * writing more questions while candidates are still in work. Real SQLite, the default
 * stages, a synthetic corpus of distinct notes (bench/synthetic-corpus.ts) through the
 * local-files source.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  PSEUDO_WORD_SPACE,
  pseudoWord,
  SYNTHETIC_TOPIC,
  writeSyntheticCorpus,
} from "../../bench/synthetic-corpus.js";
import type { QuestionInput } from "../../src/agents/question.js";
import type { PipelineEvent } from "../../src/core/types.js";
import { scriptedModels } from "../../src/models/factories.js";
import type { ScriptCall, ScriptReply } from "../../src/models/scripted.js";
import { createPipeline, type PipelineOptions } from "../../src/pipeline/pipeline.js";
import { questionSignature } from "../../src/pipeline/question-stage.js";
import { localFilesSource } from "../../src/sources/local-files.js";
import { sqliteStore, type TypeormStore } from "../../src/storage/typeorm-store.js";
import { DedupIndex } from "../../src/tools/dedup.js";

const fresh = async (): Promise<TypeormStore> => {
  const store = sqliteStore({ path: join(mkdtempSync(join(tmpdir(), "sf-large-")), "l.db") });
  await store.init();
  return store;
};

const judge = (s: number): ScriptReply => ({
  output: {
    scores: { accuracy: s, completeness: s, helpfulness: s, clarity: s, difficulty_fit: s },
    issues: s < 0.6 ? ["scripted rejection"] : [],
    summary: `scripted ${s}`,
  },
});

const corpus = writeSyntheticCorpus({ terms: 480 });

function make(
  store: TypeormStore,
  script: (c: ScriptCall) => ScriptReply | Promise<ScriptReply> = () => undefined,
  extra: Partial<PipelineOptions> = {},
) {
  const models = scriptedModels(script);
  const pipeline = createPipeline({
    storage: store,
    models,
    concurrency: 8,
    sources: [localFilesSource({ dir: corpus.dir })],
    ...extra,
  });
  return { models, pipeline };
}

describe("the synthetic benchmark corpus", () => {
  it("makes one distinct single-token term per index", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      const w = pseudoWord(i);
      expect(w).toMatch(/^[a-z]+$/);
      seen.add(w);
    }
    expect(seen.size).toBe(50_000);
    expect(() => pseudoWord(PSEUDO_WORD_SPACE)).toThrow(RangeError);
    expect(corpus.notes).toBeGreaterThan(480 / 4);
  });
});

describe("question writing for large runs", () => {
  it("gives every batch after a sub-topic's first documents the writer has not seen, and reaches N with distinct examples", async () => {
    const store = await fresh();
    const writes: QuestionInput[] = [];
    const { pipeline } = make(store, (c) => {
      if (c.task === "question.write") writes.push(c.input as QuestionInput);
      return undefined;
    });
    const s = await pipeline.run({ count: 240, trainingType: "sft", topic: SYNTHETIC_TOPIC }).done;
    expect(s.status, s.stopReason ?? "").toBe("completed");
    expect(s.counts.approved).toBe(240);
    // One question per term: the examples are all different, and no candidate was wasted on a copy.
    const prompts = (await store.dataSource.query(
      "SELECT prompt FROM synthetic_data_sft WHERE run_id = ? AND review_status = 'approved'",
      [s.runId],
    )) as Array<{ prompt: string }>;
    expect(new Set(prompts.map((p) => p.prompt)).size).toBe(240);
    // No candidate was dropped as a copy. (The topic gate may drop the odd made-up-term
    // question of the synthetic corpus as off topic: that is the review's business.)
    expect(Object.keys(s.dropReasons).filter((k) => /duplicate|same response/.test(k))).toEqual([]);
    // 240 examples (300 questions) over 8 sub-topics need two batches of questions per sub-topic:
    // the first batch of a sub-topic gets its shared research, every later one unseen documents.
    const bySub = new Map<string, QuestionInput[]>();
    for (const w of writes) bySub.set(w.subTopic, [...(bySub.get(w.subTopic) ?? []), w]);
    expect(bySub.size).toBe(8);
    const later = writes.filter((w) => bySub.get(w.subTopic)![0] !== w);
    expect(later.length).toBeGreaterThan(0);
    const shown = new Set([...bySub.values()].flatMap((ws) => ws[0]!.material.map((m) => m.text)));
    for (const w of later) {
      for (const m of w.material) {
        expect(shown.has(m.text), `${w.subTopic}: "${m.title}" shown twice`).toBe(false);
        shown.add(m.text);
      }
    }
    await pipeline.close();
  });

  it("records a question writer answer that is not JSON, with its raw output, and asks again", async () => {
    const store = await fresh();
    let writer = 0;
    const { pipeline } = make(store, (c) =>
      c.task === "question.write" && writer++ === 0 ? { text: "not json {" } : undefined,
    );
    const s = await pipeline.run({ count: 6, trainingType: "sft", topic: SYNTHETIC_TOPIC }).done;
    expect(s.status).toBe("completed");
    expect(s.counts.approved).toBe(6);
    const failures = (await store.listFailures(s.runId)).filter((f) => f.stage === "questions");
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ questionId: null, rawOutput: "not json {", attempt: 1 });
    expect(failures[0]!.reason).toMatch(
      /^invalid model output: question_writer: the model did not return JSON/,
    );
    await pipeline.close();
  });

  it("records an invalid plan and asks the orchestrator again", async () => {
    const store = await fresh();
    let plans = 0;
    const { pipeline } = make(store, (c) =>
      c.task === "orchestrator.plan" && plans++ === 0 ? { output: { domain: "" } } : undefined,
    );
    const s = await pipeline.run({ count: 4, trainingType: "sft", topic: SYNTHETIC_TOPIC }).done;
    expect(s.status).toBe("completed");
    expect(plans).toBe(2);
    const failures = (await store.listFailures(s.runId)).filter((f) => f.stage === "plan");
    expect(failures).toHaveLength(1);
    expect(failures[0]!.reason).toMatch(
      /^invalid model output: orchestrator_plan: output does not fit the schema/,
    );
    expect(failures[0]!.rawOutput).toContain('"domain"');
    await pipeline.close();
  });

  it("near duplicates are judged on content words with MinHash: template words do not make a question new", () => {
    const idx = new DedupIndex(0.8);
    idx.add("q1", questionSignature("What is benzene?"));
    expect(idx.check(questionSignature("Define benzene and give one example."))).toMatchObject({
      kind: "near",
      id: "q1",
    });
    expect(idx.check(questionSignature("What is toluene?"))).toBeNull();
    expect(idx.check(questionSignature("what is BENZENE"))).toMatchObject({ kind: "exact", id: "q1" });
  });
});

describe("the run loop under concurrency", () => {
  it("never takes more candidates than the candidate budget, however many slots are free", async () => {
    const store = await fresh();
    // The first six candidates are rejected together: six slots free up at once while the
    // budget has one candidate left.
    let waiting = 0;
    let all!: () => void;
    const together = new Promise<void>((r) => {
      all = r;
    });
    const { pipeline } = make(
      store,
      async (c) => {
        if (c.task !== "reviewer.judge") return undefined;
        if (++waiting === 6) all();
        if (waiting <= 6) await together;
        return judge(0.1);
      },
      { budget: { maxCandidates: 7 } },
    );
    const s = await pipeline.run({ count: 6, trainingType: "sft", topic: SYNTHETIC_TOPIC }).done;
    expect(s.status).toBe("stopped");
    expect(s.stopReason).toMatch(/candidate budget of 7 spent/);
    expect(s.counts.candidates).toBe(7);
    expect(s.counts.rejected).toBe(7);
    await pipeline.close();
  });

  it("writes more questions as soon as the candidates in work cannot reach N, without waiting for them", async () => {
    const store = await fresh();
    let judged = 0;
    let slowStarted = false;
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    const order: string[] = [];
    // The first candidate's research answer is held back; the next four are rejected in review.
    const { pipeline } = make(
      store,
      async (c) => {
        if (c.task === "research.synthesize" && !slowStarted) {
          slowStarted = true;
          order.push("slow candidate started");
          await Promise.race([released, new Promise((r) => setTimeout(r, 5000))]);
          order.push("slow candidate released");
          return undefined;
        }
        if (c.task === "reviewer.judge") return judged++ < 4 ? judge(0.1) : undefined;
        return undefined;
      },
      { concurrency: 8 },
    );
    const run = pipeline.run({ count: 4, trainingType: "sft", topic: SYNTHETIC_TOPIC });
    let questionStages = 0;
    run.on((e: PipelineEvent) => {
      if (e.type === "stage-started" && e.stage === "questions" && ++questionStages === 2) {
        order.push("more questions written");
        release();
      }
    });
    const s = await run.done;
    expect(s.status).toBe("completed");
    expect(s.counts.approved).toBe(4);
    expect(order.slice(0, 3)).toEqual([
      "slow candidate started",
      "more questions written",
      "slow candidate released",
    ]);
    await pipeline.close();
  });
});
