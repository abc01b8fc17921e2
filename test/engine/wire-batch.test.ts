import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { geminiBatchClient } from "../../src/models/batch.js";
import { envelope } from "../../src/models/envelope.js";
import { geminiModels } from "../../src/models/factories.js";
import { BatchRunner } from "../../src/pipeline/batch.js";
import { createPipeline } from "../../src/pipeline/pipeline.js";
import { sqliteStore, type TypeormStore } from "../../src/storage/typeorm-store.js";
import { type GeminiWireServer, startGeminiWireServer } from "../../src/testing/index.js";

let server: GeminiWireServer;
beforeAll(async () => {
  server = await startGeminiWireServer({ seed: 7 });
});
afterAll(async () => {
  await server?.close();
});

const KEY = "test-key-for-wire-0000";
const fresh = async (): Promise<TypeormStore> => {
  const store = sqliteStore({ path: join(mkdtempSync(join(tmpdir(), "sf-wire-")), "w.db") });
  await store.init();
  return store;
};
const question = {
  question: "What is a nucleophile?",
  topic: "organic chemistry",
  subTopic: "reactions",
  difficulty: "easy",
  trainingType: "sft",
  context: { summary: "", keyFacts: [], terminology: [], caveats: [] },
  passages: [],
};

describe("the Gemini-wire server (synthforge/testing)", () => {
  it("answers generateContent and streamGenerateContent from the offline provider for the real genai client", async () => {
    const ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: server.url } });
    const text = envelope("generation.sft", question);
    const res = await ai.models.generateContent({
      model: "gemini-2.5-flash",
      contents: [{ role: "user", parts: [{ text }] }],
    });
    const out = JSON.parse(res.text ?? "");
    expect(typeof out.response).toBe("string");
    expect(res.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
    let streamed = "";
    let chunks = 0;
    for await (const c of await ai.models.generateContentStream({
      model: "gemini-2.5-flash",
      contents: [{ role: "user", parts: [{ text }] }],
    })) {
      streamed += c.text ?? "";
      chunks++;
    }
    expect(chunks).toBe(2);
    expect(JSON.parse(streamed)).toEqual(out);
  });

  it("injects 429 with RetryInfo and Retry-After, 503, 500, malformed JSON and safety blocks at the configured rates", async () => {
    const faulty = await startGeminiWireServer({
      seed: 3,
      faults: {
        rate429: 0.2,
        rate503: 0.1,
        rate500: 0.05,
        malformedRate: 0.1,
        safetyRate: 0.05,
        retryDelay: "0.05s",
      },
    });
    try {
      const text = envelope("generation.sft", question);
      const statuses: Record<string, number> = {};
      let malformed = 0;
      let safety = 0;
      let sawRetryInfo = false;
      for (let i = 0; i < 200; i++) {
        const r = await fetch(`${faulty.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
          method: "POST",
          body: JSON.stringify({ contents: [{ role: "user", parts: [{ text }] }] }),
        });
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        // biome-ignore lint/suspicious/noExplicitAny: a raw wire body, inspected freely
        const body = (await r.json()) as Record<string, any>;
        if (r.status === 429) {
          sawRetryInfo ||=
            body.error.details[0].retryDelay === "0.05s" && r.headers.get("retry-after") === "1";
        }
        if (r.status === 200) {
          const cand = body.candidates[0];
          if (cand.finishReason === "SAFETY") safety++;
          else {
            try {
              JSON.parse(cand.content.parts[0].text);
            } catch {
              malformed++;
            }
          }
        }
      }
      expect(sawRetryInfo).toBe(true);
      expect(statuses["429"]).toBeGreaterThan(20);
      expect(statuses["429"]).toBeLessThan(60);
      expect(statuses["503"]).toBeGreaterThan(8);
      expect(statuses["500"]).toBeGreaterThan(2);
      expect(malformed).toBeGreaterThan(8);
      expect(safety).toBeGreaterThan(2);
      expect(faulty.stats.faults["429"]).toBe(statuses["429"]);
    } finally {
      await faulty.close();
    }
  });

  it("a pipeline on Gemini survives 429/503 faults with retries, adaptive concurrency and exact N", async () => {
    const faulty = await startGeminiWireServer({
      seed: 11,
      latencyMs: 2,
      faults: { rate429: 0.15, rate503: 0.1, retryDelay: "0.01s" },
    });
    const store = await fresh();
    try {
      const models = geminiModels({
        apiKey: KEY,
        baseUrl: faulty.url,
        retries: 6,
        baseDelayMs: 5,
        maxDelayMs: 50,
      });
      const pipeline = createPipeline({ storage: store, models, concurrency: 8 });
      const s = await pipeline.run({ count: 8, trainingType: "sft", topic: "organic chemistry" }).done;
      expect(s.status).toBe("completed");
      expect(s.counts.approved).toBe(8);
      const errors = (await store.dataSource.query(
        "SELECT COUNT(*) AS n FROM llm_calls WHERE run_id = ? AND status = 'error'",
        [s.runId],
      )) as Array<{ n: number }>;
      // Every throttled attempt is metered (retry sits above metering).
      expect(errors[0]!.n).toBe((faulty.stats.faults["429"] ?? 0) + (faulty.stats.faults["503"] ?? 0));
      const g = models.governor("gemini-2.5-flash");
      expect(g.throttles).toBeGreaterThan(0);
      expect(g.concurrency.cuts).toBeGreaterThan(0);
    } finally {
      await store.close();
      await faulty.close();
    }
  });
});

describe("Gemini Batch API (--batch)", () => {
  it("sends generation and review through batch jobs at half price and completes exactly N", async () => {
    const store = await fresh();
    server.resetStats();
    const models = geminiModels({ apiKey: KEY, baseUrl: server.url, retries: 0 });
    const pipeline = createPipeline({
      storage: store,
      models,
      concurrency: 6,
      batch: { size: 6, flushMs: 30, pollMs: 20 },
    });
    const s = await pipeline.run({ count: 6, trainingType: "sft", topic: "organic chemistry" }).done;
    expect(s.status).toBe("completed");
    expect(s.counts.approved).toBe(6);
    const batches = await store.listBatches(s.runId);
    expect(batches.length).toBeGreaterThanOrEqual(2);
    expect(batches.every((b) => b.state === "succeeded" && b.name?.startsWith("batches/"))).toBe(true);
    expect(new Set(batches.map((b) => b.role))).toEqual(new Set(["generation", "reviewer"]));
    expect(server.stats.requests.batchGenerateContent).toBe(batches.length);
    // Batched calls cost half: compare with the price of the same tokens interactively.
    const rows = (await store.dataSource.query(
      "SELECT role, model, input_tokens AS i, output_tokens AS o, cost_usd AS c FROM llm_calls WHERE run_id = ? AND role = 'generation'",
      [s.runId],
    )) as Array<{ model: string; i: number; o: number; c: number }>;
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (const r of rows) expect(r.c).toBeCloseTo(((r.i * 0.3 + r.o * 2.5) / 1e6) * 0.5, 12);
    // No interactive generation or review request reached the server.
    expect(server.stats.batchedRequests).toBe(batches.reduce((a, b) => a + b.requestCount, 0));
    await pipeline.close();
  });

  it("a job submitted by a process that died is collected after a restart, and its answers are not paid again", async () => {
    const store = await fresh();
    const models = geminiModels({ apiKey: KEY, baseUrl: server.url, retries: 0 });
    const pipeline = createPipeline({ storage: store, models });
    const run = await pipeline.create({ count: 1, trainingType: "sft", topic: "organic chemistry" });
    // What the dead process left: a submitted job and its row.
    const client = geminiBatchClient({ apiKey: KEY, baseUrl: server.url });
    const text = envelope("generation.sft", question);
    const name = await client.create(
      "gemini-2.5-flash",
      [{ key: "0", contents: [{ role: "user", parts: [{ text }] }], config: {} }],
      "left over",
    );
    await store.saveBatch({
      id: "batch_left",
      runId: run.id,
      role: "generation",
      model: "gemini-2.5-flash",
      name,
      state: "submitted",
      requestCount: 1,
      requests: [{ key: "0", requestHash: "hash-left" }],
      error: null,
    });
    await store.saveBatch({
      id: "batch_unsent",
      runId: run.id,
      role: "generation",
      model: "gemini-2.5-flash",
      name: null,
      state: "submitting",
      requestCount: 1,
      requests: [{ key: "0", requestHash: "hash-unsent" }],
      error: null,
    });
    const runner = new BatchRunner(store, client, { runId: run.id, provider: "gemini", pollMs: 10 });
    expect(await runner.recover()).toBe(1);
    expect(await store.cachedLlmResponseAt("hash-left", 0)).toContain("response");
    const states = Object.fromEntries((await store.listBatches(run.id)).map((b) => [b.id, b.state]));
    expect(states).toEqual({ batch_left: "succeeded", batch_unsent: "failed" });
    expect(await runner.recover()).toBe(0);
    await pipeline.close();
  });
});
