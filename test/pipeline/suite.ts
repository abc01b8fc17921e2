import { describe, expect, it } from "vitest";
import { isSynthforgeError } from "../../src/core/errors.js";
import type { PipelineEvent } from "../../src/core/types.js";
import { offlineModels, scriptedModels } from "../../src/models/factories.js";
import type { ScriptCall, ScriptReply } from "../../src/models/scripted.js";
import { createPipeline, defaultStages, type PipelineOptions } from "../../src/pipeline/pipeline.js";
import { CandidateRejected, type ItemStage } from "../../src/pipeline/stage.js";
import type { Store } from "../../src/storage/store.js";
import type { TypeormStore } from "../../src/storage/typeorm-store.js";

/** A judge reply with every rubric score set to `s`. */
export function judge(s: number, issues: string[] = []): ScriptReply {
  return {
    output: {
      scores: { accuracy: s, completeness: s, helpfulness: s, clarity: s, difficulty_fit: s },
      issues,
      summary: `scripted ${s}`,
    },
  };
}

async function sql<T = Record<string, unknown>>(
  store: Store,
  query: string,
  params: unknown[] = [],
): Promise<T[]> {
  return (store as TypeormStore).dataSource.query(query, params) as Promise<T[]>;
}

/**
 * The pipeline, end to end through the real store, with the scripted provider (which
 * falls back to the offline answers for anything a test does not script).
 */
export function pipelineSuite(engine: string, freshStore: () => Promise<Store>, opts: { full: boolean }) {
  const p = (
    store: Store,
    script: (c: ScriptCall) => ScriptReply = () => undefined,
    extra: Partial<PipelineOptions> = {},
  ) => {
    const models = scriptedModels(script);
    return { pipeline: createPipeline({ storage: store, models, concurrency: 4, ...extra }), models };
  };
  const ph = (n: number) => (engine === "postgres" ? `$${n}` : "?");

  describe(`${engine}: pipeline end to end`, () => {
    it("generates exactly N approved SFT examples with scores, questions, contexts and sources", async () => {
      const store = await freshStore();
      const { pipeline, models } = p(store);
      const run = pipeline.run("Generate 6 SFT examples about organic chemistry");
      const events: PipelineEvent[] = [];
      run.on((e) => events.push(e));
      const summary = await run.done;
      expect(summary.status).toBe("completed");
      expect(summary.counts.approved).toBe(6);
      expect(summary.usage.calls).toBe(models.calls.length - 0);

      const rows = await sql<{
        question_id: string;
        quality_score: number;
        review_status: string;
        sources: unknown;
        prompt: string;
        response: string;
      }>(store, `SELECT * FROM synthetic_data_sft WHERE run_id = ${ph(1)}`, [summary.runId]);
      const approved = rows.filter((r) => r.review_status === "approved");
      expect(approved).toHaveLength(6);
      for (const r of approved) {
        expect(Number(r.quality_score)).toBeGreaterThanOrEqual(0.8);
        expect(r.prompt.length).toBeGreaterThan(5);
        expect(r.response.length).toBeGreaterThan(20);
        const sources = typeof r.sources === "string" ? JSON.parse(r.sources) : r.sources;
        expect(sources.length).toBeGreaterThan(0);
        const q = await store.getQuestion(r.question_id);
        expect(q?.status).toBe("approved");
        expect(q?.groundTruthContext).toContain(`[${sources[0]}]`);
        expect(q?.synthesizedContext).toHaveProperty("keyFacts");
        expect(q?.contextSources?.[0]?.licence).toBe("CC-BY-4.0");
        const stored = await store.getSources(sources);
        expect(stored[0]?.adapter).toBe("corpus");
      }
      expect(new Set(approved.map((r) => r.question_id)).size).toBe(6);

      const calls = await sql<{ role: string; n: number }>(
        store,
        `SELECT role, COUNT(*) AS n FROM llm_calls WHERE run_id = ${ph(1)} GROUP BY role`,
        [summary.runId],
      );
      expect(calls.map((c) => c.role).sort()).toEqual([
        "generation",
        "orchestrator",
        "question",
        "research",
        "reviewer",
      ]);

      const types = events.map((e) => e.type);
      expect(types[0]).toBe("run-started");
      expect(types).toContain("plan");
      expect(types.at(-1)).toBe("run-finished");
      await pipeline.close();
    });

    it("over-generates past rejections and records a failure for every dropped candidate", async () => {
      const store = await freshStore();
      let judged = 0;
      const { pipeline } = p(
        store,
        (c) =>
          c.task === "reviewer.judge" ? (judged++ < 3 ? judge(0.3, ["wrong"]) : judge(0.95)) : undefined,
        { concurrency: 1 },
      );
      const summary = await pipeline.run("Generate 4 SFT examples about organic chemistry").done;
      expect(summary.status).toBe("completed");
      expect(summary.counts.approved).toBe(4);
      expect(summary.counts.rejected).toBe(3);
      const failures = await store.listFailures(summary.runId);
      const review = failures.filter((f) => f.stage === "review");
      expect(review).toHaveLength(3);
      for (const f of review) expect(f.reason).toMatch(/rejected by review: score 0\.3 < 0\.6: wrong/);
      expect(summary.dropReasons).toEqual({ "review: wrong": 3 });
      const counts = await store.countExamples(summary.runId, "sft");
      expect(counts.approved).toBe(4);
      expect(counts.rejected).toBe(3);
      await pipeline.close();
    });

    if (!opts.full) return;

    it("sends needs_revision back to generation with the reviewer's notes, bounded", async () => {
      const store = await freshStore();
      const genInputs: unknown[] = [];
      let judged = 0;
      const { pipeline } = p(
        store,
        (c) => {
          if (c.task === "generation.sft") genInputs.push(c.input);
          if (c.task === "reviewer.judge")
            return judged++ === 0 ? judge(0.7, ["mention the mechanism"]) : judge(0.9);
          return undefined;
        },
        { concurrency: 1 },
      );
      const summary = await pipeline.run({ count: 1, trainingType: "sft", topic: "organic chemistry" }).done;
      expect(summary.counts.approved).toBe(1);
      expect(genInputs).toHaveLength(2);
      expect(genInputs[1]).toMatchObject({ revision: { round: 1, notes: ["mention the mechanism"] } });
      const [ex] = await sql<{ id: string; revision: number }>(
        store,
        `SELECT id, revision FROM synthetic_data_sft WHERE run_id = ${ph(1)}`,
        [summary.runId],
      );
      expect(Number(ex!.revision)).toBe(1);
      const reviews = await store.listReviews(ex!.id);
      expect(reviews.filter((r) => r.kind === "final").map((r) => [r.round, r.passed])).toEqual([
        [0, false],
        [1, true],
      ]);

      // Always 0.7: after maxRevisions rounds the candidate is rejected, and the run stops on its budget.
      const store2 = await freshStore();
      const { pipeline: p2 } = p(
        store2,
        (c) => (c.task === "reviewer.judge" ? judge(0.7, ["thin"]) : undefined),
        {
          concurrency: 1,
          review: { maxRevisions: 1 },
          budget: { maxCandidates: 2 },
        },
      );
      const s2 = await p2.run({ count: 1, trainingType: "sft", topic: "organic chemistry" }).done;
      expect(s2.status).toBe("stopped");
      expect(s2.stopReason).toMatch(/candidate budget of 2 spent: 0 of 1 approved/);
      expect(s2.counts.rejected).toBe(2);
      const f2 = await store2.listFailures(s2.runId);
      expect(f2.filter((f) => f.stage === "review").map((f) => f.reason)).toEqual([
        "still below 0.8 after 1 revision(s) (score 0.7): thin",
        "still below 0.8 after 1 revision(s) (score 0.7): thin",
      ]);
      await pipeline.close();
      await p2.close();
    });

    it("records invalid model output with its raw text and retries it", async () => {
      const store = await freshStore();
      let gen = 0;
      const { pipeline } = p(
        store,
        (c) => (c.task === "generation.sft" && gen++ === 0 ? { text: "this is not json" } : undefined),
        { concurrency: 1 },
      );
      const summary = await pipeline.run({ count: 1, trainingType: "sft", topic: "organic chemistry" }).done;
      expect(summary.counts.approved).toBe(1);
      const [f] = await store.listFailures(summary.runId);
      expect(f).toMatchObject({ stage: "generate", rawOutput: "this is not json", attempt: 1 });
      expect(f!.reason).toMatch(/invalid model output: generation_sft: the model did not return JSON/);
      await pipeline.close();
    });

    it("stops at once, with the model's reason, on an error that will not go away", async () => {
      const store = await freshStore();
      const apiError = Object.assign(
        new Error(
          JSON.stringify({
            error: {
              code: 400,
              message: "API key not valid. Please pass a valid API key.",
              status: "INVALID_ARGUMENT",
            },
          }),
        ),
        {
          name: "ApiError",
          status: 400,
        },
      );
      const { pipeline } = p(store, (c) =>
        c.task === "research.synthesize" ? { error: apiError } : undefined,
      );
      const summary = await pipeline.run({ count: 3, trainingType: "sft", topic: "organic chemistry" }).done;
      expect(summary.status).toBe("stopped");
      expect(summary.stopReason).toMatch(/the model refused the run: .*API key not valid/);
      expect(summary.counts.failed).toBeGreaterThan(0);
      await pipeline.close();
    });

    it("asks for what the request leaves out, and fails clearly without a way to ask", async () => {
      const store = await freshStore();
      const { pipeline } = p(store, (c) =>
        c.task === "orchestrator.intake"
          ? { output: { count: null, trainingType: null, topic: null } }
          : undefined,
      );
      const asked: string[] = [];
      const summary = await pipeline.run("Make some chemistry data", {
        clarify: async (qs) => {
          asked.push(...qs.map((q) => q.field));
          return { count: "2", trainingType: "sft", topic: "stoichiometry" };
        },
      }).done;
      // The topic is in the request ("chemistry data"); the count and the type are asked for.
      expect(asked).toEqual(["count", "trainingType"]);
      expect(summary.counts).toMatchObject({ target: 2, approved: 2 });
      expect(summary.topic).toBe("chemistry");

      const before = (await store.listRuns()).length;
      const run = pipeline.run("Make some chemistry data");
      await expect(run.done).rejects.toThrow(/does not say the count, training type\b/);
      await expect(run.runId).rejects.toSatisfy((e: unknown) => isSynthforgeError(e, "CLARIFICATION_NEEDED"));
      expect((await store.listRuns()).length).toBe(before);
      await pipeline.close();
    });

    it("runs inserted and replaced stages, and records their drops under their name", async () => {
      const store = await freshStore();
      let seen = 0;
      const check: ItemStage = {
        name: "domain-check",
        scope: "item",
        async run(item) {
          seen++;
          if (seen === 1)
            throw new CandidateRejected(
              "first one fails the domain check",
              JSON.stringify(item.example?.data),
            );
        },
      };
      const { pipeline } = p(store, () => undefined, {
        stages: defaultStages().insertAfter("generate", check),
        concurrency: 1,
      });
      expect(pipeline.stages.names()).toEqual([
        "plan",
        "questions",
        "research",
        "generate",
        "domain-check",
        "review",
      ]);
      const summary = await pipeline.run({ count: 2, trainingType: "sft", topic: "organic chemistry" }).done;
      expect(summary.counts.approved).toBe(2);
      const failures = await store.listFailures(summary.runId);
      const mine = failures.filter((f) => f.stage === "domain-check");
      expect(mine).toHaveLength(1);
      expect(mine[0]!.rawOutput).toContain("response");
      expect(() =>
        defaultStages().insertAfter("generate", { name: "x", scope: "run", run: async () => {} }),
      ).toThrow(/run-scoped/);
      expect(() => defaultStages().replace("nope", check)).toThrow(/No stage named "nope"/);
      await pipeline.close();
    });

    it("uses the per-agent model override in code", async () => {
      const store = await freshStore();
      const { pipeline } = p(store, () => undefined, { agentModels: { generation: "my-fine-tune" } });
      const summary = await pipeline.run({ count: 1, trainingType: "sft", topic: "organic chemistry" }).done;
      const rows = await sql<{ role: string; model: string }>(
        store,
        `SELECT DISTINCT role, model FROM llm_calls WHERE run_id = ${ph(1)}`,
        [summary.runId],
      );
      const byRole = Object.fromEntries(rows.map((r) => [r.role, r.model]));
      expect(byRole).toMatchObject({
        generation: "my-fine-tune",
        question: "gemini-2.5-flash",
        orchestrator: "gemini-3-pro-preview",
        reviewer: "gemini-2.0-flash",
      });
      await pipeline.close();
    });
  });

  describe(`${engine}: resume`, () => {
    it("a run stopped while a run-scoped stage works is stopped (aborted), not failed, and resumes", async () => {
      const store = await freshStore();
      const controller = new AbortController();
      // A host stage that works until the run is stopped, then throws as fetch would.
      const waits = {
        name: "waits",
        scope: "run" as const,
        run: (ctx: { signal: AbortSignal }) =>
          new Promise<void>((_, reject) => {
            ctx.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
            controller.abort();
          }),
      };
      const pipeline = createPipeline({
        storage: store,
        models: offlineModels(),
        stages: defaultStages().insertAfter("plan", waits),
      });
      const first = await pipeline.run(
        { count: 3, trainingType: "sft", topic: "organic chemistry" },
        { signal: controller.signal },
      ).done;
      expect(first.status).toBe("stopped");
      expect(first.stopReason).toBe("aborted");
      const [row] = await sql<{ status: string }>(store, `SELECT status FROM runs WHERE id = ${ph(1)}`, [
        first.runId,
      ]);
      expect(row!.status).toBe("stopped");
      const again = createPipeline({ storage: store, models: offlineModels() });
      const second = await again.resume(first.runId).done;
      expect(second.status).toBe("completed");
      expect(second.counts.approved).toBe(3);
      await pipeline.close();
    });

    it("an aborted run resumes to exactly N approved with no duplicates", async () => {
      const store = await freshStore();
      const controller = new AbortController();
      let approved = 0;
      const { pipeline } = p(store, () => undefined, { concurrency: 2 });
      const run = pipeline.run(
        { count: 8, trainingType: "sft", topic: "organic chemistry" },
        { signal: controller.signal },
      );
      run.on((e) => {
        if (e.type === "item" && e.status === "approved" && ++approved === 3) controller.abort();
      });
      const first = await run.done;
      expect(first.status).toBe("stopped");
      expect(first.stopReason).toBe("aborted");
      expect(first.counts.approved).toBeGreaterThanOrEqual(3);
      expect(first.counts.approved).toBeLessThan(8);

      const { pipeline: again } = p(store);
      const second = await again.resume(first.runId).done;
      expect(second.status).toBe("completed");
      expect(second.counts.approved).toBe(8);
      const rows = await sql<{ question_id: string }>(
        store,
        `SELECT question_id FROM synthetic_data_sft WHERE run_id = ${ph(1)} AND review_status = 'approved'`,
        [first.runId],
      );
      expect(rows).toHaveLength(8);
      expect(new Set(rows.map((r) => r.question_id)).size).toBe(8);
      // Resuming a completed run does nothing.
      const third = await again.resume("latest").done;
      expect(third.counts.approved).toBe(8);
      await pipeline.close();
    });
  });
}
