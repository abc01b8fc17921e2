import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { geminiModels } from "../../src/models/factories.js";
import { createPipeline, defaultStages } from "../../src/pipeline/pipeline.js";
import { sqliteStore, type TypeormStore } from "../../src/storage/typeorm-store.js";
import { type GeminiStub, startGeminiServer } from "../helpers/gemini-server.js";
import { offlineGeminiHandler } from "../helpers/offline-gemini.js";

let stub: GeminiStub;
beforeAll(async () => {
  stub = await startGeminiServer(offlineGeminiHandler());
});
afterAll(async () => {
  await stub?.close();
});

describe("pipeline on Gemini through ADK and the real genai client", () => {
  it("runs each agent on its default tier, meters usageMetadata, and stores the provider", async () => {
    const store = sqliteStore({ path: join(mkdtempSync(join(tmpdir(), "sf-gem-")), "g.db") }) as TypeormStore;
    const pipeline = createPipeline({
      storage: store,
      models: geminiModels({ apiKey: "test-key-not-real-123", baseUrl: stub.url }),
    });
    const summary = await pipeline.run("Generate 3 SFT examples about organic chemistry").done;
    expect(summary).toMatchObject({ status: "completed", provider: "gemini", counts: { approved: 3 } });

    const byModel = new Map<string, Set<string>>();
    for (const r of stub.requests) {
      const task = /TASK: ([\w.]+)/.exec(JSON.stringify(r.body.contents))?.[1] ?? "?";
      byModel.set(task, (byModel.get(task) ?? new Set()).add(r.model));
      expect(r.apiKey).toBe("test-key-not-real-123");
      expect(r.body.generationConfig.responseMimeType).toBe("application/json");
    }
    expect([...(byModel.get("orchestrator.plan") ?? [])]).toEqual(["gemini-3-pro-preview"]);
    expect([...(byModel.get("question.write") ?? [])]).toEqual(["gemini-2.5-flash"]);
    const research = new Set([
      ...(byModel.get("research.synthesize") ?? []),
      ...(byModel.get("research.synthesize_batch") ?? []),
    ]);
    expect([...research]).toEqual(["gemini-2.5-flash"]);
    expect([...(byModel.get("generation.sft") ?? [])]).toEqual(["gemini-2.5-flash"]);
    expect([...(byModel.get("reviewer.judge") ?? [])]).toEqual(["gemini-2.0-flash"]);

    const calls = (await store.dataSource.query(
      "SELECT model, input_tokens, output_tokens, cost_usd, provider FROM llm_calls WHERE run_id = ?",
      [summary.runId],
    )) as Array<Record<string, number | string>>;
    expect(calls.length).toBe(summary.usage.calls);
    expect(calls.length).toBe(stub.requests.length);
    expect(calls.every((c) => c.provider === "gemini" && Number(c.input_tokens) > 0)).toBe(true);
    expect(summary.usage.costUsd).toBeGreaterThan(0);
    const [row] = (await store.dataSource.query(
      "SELECT provider, model FROM synthetic_data_sft WHERE run_id = ? LIMIT 1",
      [summary.runId],
    )) as Array<Record<string, string>>;
    expect(row).toEqual({ provider: "gemini", model: "gemini-2.5-flash" });
    await pipeline.close();
  });

  it("gathers a run's research syntheses into fewer calls, each question keeping its own digest", async () => {
    const store = sqliteStore({ path: join(mkdtempSync(join(tmpdir(), "sf-gem-")), "b.db") }) as TypeormStore;
    const pipeline = createPipeline({
      storage: store,
      concurrency: 8,
      // A long wait: questions gather by count, not by how fast a busy machine runs them.
      stages: defaultStages({ research: { synthesisWaitMs: 3000 } }),
      models: geminiModels({ apiKey: "test-key-not-real-123", baseUrl: stub.url }),
    });
    const before = stub.requests.length;
    const summary = await pipeline.run("Generate 12 SFT examples about organic chemistry").done;
    expect(summary).toMatchObject({ status: "completed", counts: { approved: 12 } });
    const tasks = stub.requests
      .slice(before)
      .map((r) => /TASK: ([\w.]+)/.exec(JSON.stringify(r.body.contents))?.[1] ?? "?");
    const n = (t: string) => tasks.filter((x) => x === t).length;
    const questions = (await store.dataSource.query(
      "SELECT synthesized_context AS s, context_sources AS c FROM questions WHERE run_id = ? AND synthesized_context IS NOT NULL",
      [summary.runId],
    )) as Array<{ s: string; c: string }>;
    expect(questions.length).toBeGreaterThanOrEqual(12);
    expect(n("research.synthesize_batch")).toBeGreaterThan(0);
    // At most four questions per call: fewer research calls than researched questions.
    expect(n("research.synthesize_batch") + n("research.synthesize")).toBeLessThan(questions.length);
    // ...and never more than four per call.
    expect(n("research.synthesize_batch") + n("research.synthesize")).toBeGreaterThanOrEqual(
      Math.ceil(questions.length / 4),
    );
    // Each digest cites only its own question's sources.
    for (const q of questions) {
      const own = new Set((JSON.parse(q.c) as Array<{ sourceId: string }>).map((x) => x.sourceId));
      const facts = (JSON.parse(q.s) as { keyFacts: Array<{ sourceIds: string[] }> }).keyFacts;
      expect(facts.length).toBeGreaterThan(0);
      expect(facts.every((f) => f.sourceIds.every((id) => own.has(id)))).toBe(true);
    }
    await pipeline.close();
  });
});
