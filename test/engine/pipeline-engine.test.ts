import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { PipelineEvent } from "../../src/core/types.js";
import { scriptedModels } from "../../src/models/factories.js";
import type { ScriptCall, ScriptReply } from "../../src/models/scripted.js";
import { createPipeline, type PipelineOptions } from "../../src/pipeline/pipeline.js";
import { sqliteStore, type TypeormStore } from "../../src/storage/typeorm-store.js";

const fresh = async (): Promise<TypeormStore> => {
  const store = sqliteStore({ path: join(mkdtempSync(join(tmpdir(), "sf-engine-")), "e.db") });
  await store.init();
  return store;
};

const judge = (s: number, issues: string[] = []): ScriptReply => ({
  output: {
    scores: { accuracy: s, completeness: s, helpfulness: s, clarity: s, difficulty_fit: s },
    issues,
    summary: `scripted ${s}`,
  },
});

function make(
  store: TypeormStore,
  script: (c: ScriptCall) => ScriptReply | Promise<ScriptReply> = () => undefined,
  extra: Partial<PipelineOptions> = {},
) {
  const models = scriptedModels(script);
  return { models, pipeline: createPipeline({ storage: store, models, concurrency: 4, ...extra }) };
}

async function sql<T>(store: TypeormStore, q: string, params: unknown[] = []): Promise<T[]> {
  return store.dataSource.query(q, params) as Promise<T[]>;
}

describe("response cache in a run", () => {
  it("rerunning an unchanged plan makes zero paid calls; --no-cache pays again", async () => {
    const store = await fresh();
    const request = { count: 5, trainingType: "sft" as const, topic: "organic chemistry" };
    const a = make(store, () => undefined, { cache: true, concurrency: 1 });
    const first = await a.pipeline.run(request).done;
    expect(first.status).toBe("completed");
    expect(first.usage.calls).toBeGreaterThan(10);
    expect(first.cachedCalls).toBe(0);

    const b = make(store, () => undefined, { cache: true, concurrency: 1 });
    const second = await b.pipeline.run(request).done;
    expect(second.status).toBe("completed");
    expect(second.counts.approved).toBe(5);
    expect(b.models.calls).toHaveLength(0);
    expect(second.usage.calls).toBe(0);
    expect(second.usage.costUsd).toBe(0);
    expect(second.cachedCalls).toBe(first.usage.calls);
    const cached = await sql<{ n: number }>(
      store,
      "SELECT COUNT(*) AS n FROM llm_calls WHERE run_id = ? AND cached = 1 AND cost_usd = 0",
      [second.runId],
    );
    expect(cached[0]!.n).toBe(first.usage.calls);

    const c = make(store, () => undefined, { cache: false, concurrency: 1 });
    const third = await c.pipeline.run(request).done;
    expect(third.usage.calls).toBe(c.models.calls.length);
    expect(third.usage.calls).toBeGreaterThan(10);
    expect(third.cachedCalls).toBe(0);
    await a.pipeline.close();
  });

  it("a retry inside a run reaches the model; its rerun replays the invalid answer and then the good one", async () => {
    const store = await fresh();
    let gen = 0;
    const script = (c: ScriptCall): ScriptReply =>
      c.task === "generation.sft" && gen++ === 0 ? { text: "not json" } : undefined;
    const a = make(store, script, { cache: true, concurrency: 1 });
    const first = await a.pipeline.run({ count: 1, trainingType: "sft", topic: "organic chemistry" }).done;
    expect(first.counts.approved).toBe(1);
    expect(a.models.calls.filter((c) => c.task === "generation.sft")).toHaveLength(2);
    const b = make(store, () => ({ text: "never called" }), { cache: true, concurrency: 1 });
    const second = await b.pipeline.run({ count: 1, trainingType: "sft", topic: "organic chemistry" }).done;
    expect(second.counts.approved).toBe(1);
    expect(b.models.calls).toHaveLength(0);
    const f = await store.listFailures(second.runId);
    expect(f.map((x) => x.rawOutput)).toEqual(["not json"]);
  });
});

describe("cost in events and the summary", () => {
  it("reports live cost, cost per approved example, projection and k", async () => {
    const store = await fresh();
    const { pipeline } = make(store);
    const run = pipeline.run({ count: 6, trainingType: "sft", topic: "organic chemistry" });
    const events: PipelineEvent[] = [];
    run.on((e) => events.push(e));
    const s = await run.done;
    const progress = events.filter(
      (e): e is Extract<PipelineEvent, { type: "progress" }> => e.type === "progress" && e.stage === "run",
    );
    expect(progress.length).toBeGreaterThan(0);
    const last = progress.at(-1)!;
    expect(last.cost?.spentUsd).toBeGreaterThan(0);
    expect(s.cost.spentUsd).toBeCloseTo(s.usage.costUsd, 10);
    expect(s.cost.perApprovedUsd).toBeCloseTo(s.usage.costUsd / 6, 10);
    expect(s.cost.projectedUsd).toBeCloseTo(s.usage.costUsd, 10);
    expect(s.callsPerApproved).toBeCloseTo(s.usage.calls / 6, 10);
    // One call each for research, generation and review per example, plus plan and questions.
    expect(s.callsPerApproved!).toBeGreaterThanOrEqual(3);
    // (plan and one question call per sub-topic weigh more at small N)
    expect(s.callsPerApproved!).toBeLessThan(5);
    const mid = progress.find((p) => p.done > 0 && p.done < 6);
    if (mid?.cost) expect(mid.cost.projectedUsd!).toBeGreaterThan(mid.cost.spentUsd);
  });

  it("the cost budget counts what earlier attempts of the run spent", async () => {
    const store = await fresh();
    const { pipeline } = make(store, () => undefined, { budget: { maxUsd: 0.0005 }, concurrency: 1 });
    const s = await pipeline.run({ count: 40, trainingType: "sft", topic: "organic chemistry" }).done;
    expect(s.status).toBe("stopped");
    expect(s.stopReason).toMatch(/cost budget of \$0.0005 reached/);
    const again = make(store, () => undefined, { budget: { maxUsd: 0.0005 } });
    const r = await again.pipeline.resume(s.runId).done;
    expect(r.status).toBe("stopped");
    expect(again.models.calls).toHaveLength(0);
  });
});

describe("crash safety", () => {
  it("retry-failed re-queues dropped candidates as new attempts and completes the run", async () => {
    const store = await fresh();
    // Every judge says 0.3: every candidate is rejected until the budget is spent.
    const a = make(store, (c) => (c.task === "reviewer.judge" ? judge(0.3, ["wrong"]) : undefined), {
      budget: { maxCandidates: 4 },
      concurrency: 2,
    });
    const first = await a.pipeline.run({ count: 3, trainingType: "sft", topic: "organic chemistry" }).done;
    expect(first.status).toBe("stopped");
    expect(first.counts.rejected).toBe(4);
    const requeue = await store.requeueFailed(first.runId);
    expect(requeue).toEqual({ requeued: 4, failures: 4 });
    expect((await store.listFailures(first.runId)).every((f) => f.retriedAt instanceof Date)).toBe(true);
    // Nothing left to re-queue a second time.
    expect(await store.requeueFailed(first.runId)).toEqual({ requeued: 0, failures: 0 });
    const b = make(store, () => undefined, { budget: { maxCandidates: 20 } });
    const second = await b.pipeline.resume(first.runId).done;
    expect(second.status).toBe("completed");
    expect(second.counts.approved).toBe(3);
    // The copies kept their research: no research call for them.
    const research = b.models.calls.filter((c) => c.task === "research.synthesize");
    expect(research.length).toBe(0);
    expect(second.dropReasons).toEqual({});
    const rows = await sql<{ question_id: string }>(
      store,
      "SELECT question_id FROM synthetic_data_sft WHERE run_id = ? AND review_status = 'approved'",
      [first.runId],
    );
    expect(new Set(rows.map((r) => r.question_id)).size).toBe(3);
  });

  it("two runners sharing a run (claims with leases) approve exactly N with no duplicates", async () => {
    const store = await fresh();
    const run = await make(store).pipeline.create({
      count: 12,
      trainingType: "sft",
      topic: "organic chemistry",
    });
    const slow = () => new Promise<ScriptReply>((r) => setTimeout(() => r(undefined), 3));
    // Two call slots each: six candidates per runner, so both get some of the twelve.
    const one = make(store, slow, { concurrency: 2 });
    const two = make(store, slow, { concurrency: 2 });
    const [x, y] = await Promise.all([
      one.pipeline.resume(run.id, { shared: true, owner: "one" }).done,
      two.pipeline.resume(run.id, { shared: true, owner: "two" }).done,
    ]);
    expect(x.counts.approved).toBe(12);
    expect(y.counts.approved).toBe(12);
    const rows = await sql<{ question_id: string }>(
      store,
      "SELECT question_id FROM synthetic_data_sft WHERE run_id = ? AND review_status = 'approved'",
      [run.id],
    );
    expect(rows).toHaveLength(12);
    expect(new Set(rows.map((r) => r.question_id)).size).toBe(12);
    // Both did some of the work; one plan call in all.
    const gens = (m: typeof one) => m.models.calls.filter((c) => c.task === "generation.sft").length;
    expect(gens(one)).toBeGreaterThan(0);
    expect(gens(two)).toBeGreaterThan(0);
    const plans = [...one.models.calls, ...two.models.calls].filter((c) => c.task === "orchestrator.plan");
    expect(plans.length).toBeLessThanOrEqual(1);
  });

  it("the claim gate never hands out more than N − approved candidates", async () => {
    const store = await fresh();
    const run = await store.createRun({
      id: "run_gate",
      request: "r",
      trainingType: "sft",
      topic: "t",
      targetCount: 2,
      status: "running",
      provider: "offline",
      config: {},
    });
    const s = { runId: run.id };
    await store.insertQuestions(
      Array.from({ length: 7 }, (_, i) => ({
        id: `q_${i}`,
        runId: s.runId,
        topic: "t",
        subTopic: "s",
        difficulty: "easy" as const,
        text: `question ${i}`,
        textHash: `h${i}`,
      })),
    );
    await store.updateQuestion("q_0", { status: "approved" });
    await store.updateQuestion("q_1", { status: "approved" });
    expect(await store.claimQuestions(s.runId, { owner: "a", leaseMs: 60_000, limit: 5, target: 2 })).toEqual(
      [],
    );
    const three = await store.claimQuestions(s.runId, { owner: "a", leaseMs: 60_000, limit: 5, target: 5 });
    expect(three).toHaveLength(3);
    expect(
      await store.claimQuestions(s.runId, { owner: "b", leaseMs: 60_000, limit: 5, target: 10 }),
    ).toHaveLength(2);
    expect(
      await store.claimQuestions(s.runId, { owner: "b", leaseMs: 60_000, limit: 5, target: 10 }),
    ).toHaveLength(0);
    // An expired lease is claimable again; released ones too.
    await store.renewLeases([three[0]!.id], "a", -1);
    await store.releaseQuestion(three[1]!.id, "a");
    const again = await store.claimQuestions(s.runId, { owner: "c", leaseMs: 60_000, limit: 5, target: 10 });
    expect(again.map((q) => q.id).sort()).toEqual([three[0]!.id, three[1]!.id].sort());
  });
});
