import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { geminiModels } from "../../src/models/factories.js";
import { createPipeline } from "../../src/pipeline/pipeline.js";
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
    expect([...(byModel.get("research.synthesize") ?? [])]).toEqual(["gemini-2.5-flash"]);
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
});
