/**
 * Replies of the model that carry no usable output (a safety block, an empty reply,
 * malformed JSON) through the real genai client and ADK, against the local Gemini stub:
 * they are asked again, bounded, each attempt recorded and metered; none ends a run at
 * its first occurrence, and the run summary names the real reason of a drop.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LlmRequest } from "@google/adk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAgentTask } from "../../src/agents/agent-task.js";
import { type FactCheckInput, factCheckTask } from "../../src/agents/fact-check.js";
import { engineOptions } from "../../src/cli/engine-options.js";
import { isSynthforgeError } from "../../src/core/errors.js";
import { readEnvelope } from "../../src/models/envelope.js";
import { geminiModels } from "../../src/models/factories.js";
import type { LlmCallRecord } from "../../src/models/middleware.js";
import { createPipeline } from "../../src/pipeline/pipeline.js";
import { dropReasonKey } from "../../src/pipeline/run-loop.js";
import { sqliteStore, type TypeormStore } from "../../src/storage/typeorm-store.js";
import {
  buildSuccessBody,
  type GeminiStub,
  type StubReply,
  type StubRequest,
  startGeminiServer,
} from "../helpers/gemini-server.js";
import { offlineGeminiHandler } from "../helpers/offline-gemini.js";

/**
 * HAND-WRITTEN (no recorded fixture of a block): a 200 whose candidate has no content and
 * `finishReason: "SAFETY"`, the shape of Gemini's documented safety block (and of the
 * wire server's `safetyRate` fault).
 */
const safetyBlock = (): StubReply => ({
  status: 200,
  json: {
    candidates: [
      {
        finishReason: "SAFETY",
        index: 0,
        safetyRatings: [{ category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "HIGH", blocked: true }],
      },
    ],
    usageMetadata: { promptTokenCount: 40, totalTokenCount: 40 },
    modelVersion: "gemini-2.5-flash",
  },
});

/** HAND-WRITTEN: the prompt itself blocked (`promptFeedback.blockReason`), no candidate. */
const promptBlock = (): StubReply => ({
  status: 200,
  json: {
    promptFeedback: { blockReason: "SAFETY" },
    usageMetadata: { promptTokenCount: 40, totalTokenCount: 40 },
    modelVersion: "gemini-3-pro-preview",
  },
});

/** HAND-WRITTEN: a candidate that stopped at the token limit before any content. */
const emptyReply = (): StubReply => ({
  status: 200,
  json: {
    candidates: [{ content: { role: "model", parts: [] }, finishReason: "MAX_TOKENS", index: 0 }],
    usageMetadata: { promptTokenCount: 40, candidatesTokenCount: 0, totalTokenCount: 40 },
    modelVersion: "gemini-2.5-flash",
  },
});

/** A 200 with text that is not JSON (a truncated object). */
const malformed = (): StubReply => ({ status: 200, json: buildSuccessBody('{"scores": {"accur') });

type Fault = (
  req: StubRequest,
  env: { task: string; input: Record<string, unknown> },
) => StubReply | undefined;

const offline = offlineGeminiHandler();
let stub: GeminiStub;
/** Faults injected by the current test (each one model call that returned no valid output). */
let injected = 0;
function withFaults(fault: Fault): void {
  injected = 0;
  stub.reset();
  stub.setHandler((req) => {
    const env = readEnvelope({ contents: req.body.contents } as LlmRequest);
    const reply = env ? fault(req, env as { task: string; input: Record<string, unknown> }) : undefined;
    if (reply) {
      injected++;
      return reply;
    }
    return offline(req);
  });
}

beforeAll(async () => {
  stub = await startGeminiServer(offline);
});
afterAll(async () => {
  await stub?.close();
});

const newStore = () =>
  sqliteStore({ path: join(mkdtempSync(join(tmpdir(), "sf-replies-")), "r.db") }) as TypeormStore;

/** The run's llm_calls rows (every model call, metered). */
async function calls(store: TypeormStore, runId: string) {
  return (await store.dataSource.query("SELECT role, status, error FROM llm_calls WHERE run_id = ?", [
    runId,
  ])) as Array<{ role: string; status: string; error: string | null }>;
}

describe("blocked or empty replies to run-scoped agents", () => {
  it("asks the orchestrator and the question writer again, records each attempt with its finish reason, and completes", async () => {
    let plans = 0;
    let firstSub: string | null = null;
    let firstSubCalls = 0;
    withFaults((_req, env) => {
      if (env.task === "orchestrator.plan" && plans++ === 0) return promptBlock();
      if (env.task === "question.write") {
        firstSub ??= String(env.input.subTopic);
        if (env.input.subTopic !== firstSub) return undefined;
        firstSubCalls++;
        if (firstSubCalls === 1) return safetyBlock();
        if (firstSubCalls === 2) return emptyReply();
      }
      return undefined;
    });
    const store = newStore();
    const pipeline = createPipeline({
      storage: store,
      models: geminiModels({ apiKey: "test-key-not-real-123", baseUrl: stub.url }),
    });
    const summary = await pipeline.run("Generate 3 SFT examples about organic chemistry").done;
    expect(summary).toMatchObject({ status: "completed", counts: { approved: 3 } });
    expect(plans).toBe(2);
    expect(firstSubCalls).toBeGreaterThanOrEqual(3);

    const failures = await store.listFailures(summary.runId);
    const plan = failures.filter((f) => f.stage === "plan");
    expect(plan).toHaveLength(1);
    expect(plan[0]).toMatchObject({ questionId: null, rawOutput: null, attempt: 1 });
    expect(plan[0]!.reason).toMatch(/^orchestrator_plan: the model's reply was blocked \(SAFETY\)/);
    const writer = failures
      .filter((f) => f.stage === "questions" && f.reason.startsWith("question_writer:"))
      .sort((a, b) => a.attempt - b.attempt);
    expect(writer.map((f) => [f.attempt, f.rawOutput])).toEqual([
      [1, null],
      [2, null],
    ]);
    expect(writer[0]!.reason).toMatch(/^question_writer: the model's reply was blocked \(SAFETY\)/);
    expect(writer[1]!.reason).toMatch(/^question_writer: the model's reply was empty \(MAX_TOKENS\)/);

    // Every attempt is a metered model call: one llm_calls row per request the server saw.
    const rows = await calls(store, summary.runId);
    expect(rows).toHaveLength(stub.requests.length);
    expect(summary.usage.calls).toBe(rows.length);
    expect(rows.filter((r) => r.status === "error")).toHaveLength(injected);
    expect(injected).toBe(3);
    await pipeline.close();
  });
});

describe("blocked or malformed replies for a candidate", () => {
  it("asks generation and the judge again, keeps exactly N, meters every attempt, and names the real drop reason", async () => {
    const seen = { generation: [] as string[], judge: [] as string[] };
    const asked = new Map<string, number>();
    const nth = (kind: keyof typeof seen, q: string) => {
      if (!seen[kind].includes(q)) seen[kind].push(q);
      const key = `${kind}\u0000${q}`;
      asked.set(key, (asked.get(key) ?? 0) + 1);
      return { which: seen[kind].indexOf(q), call: asked.get(key)! };
    };
    withFaults((_req, env) => {
      const q = String(env.input.question);
      if (env.task === "generation.sft") {
        const { which, call } = nth("generation", q);
        if (which === 0) return safetyBlock(); // blocked on every attempt: dropped
        if (which === 1 && call === 1) return safetyBlock(); // blocked once: asked again
      }
      if (env.task === "reviewer.judge") {
        const { which, call } = nth("judge", q);
        if (which === 0 && call === 1) return malformed(); // not JSON once: asked again
        if (which === 1) return safetyBlock(); // blocked on every attempt: dropped
      }
      return undefined;
    });
    const store = newStore();
    const pipeline = createPipeline({
      storage: store,
      models: geminiModels({ apiKey: "test-key-not-real-123", baseUrl: stub.url }),
    });
    const summary = await pipeline.run("Generate 3 SFT examples about organic chemistry").done;
    expect(summary).toMatchObject({ status: "completed", counts: { approved: 3 } });

    expect(summary.dropReasons).toMatchObject({
      "generate: the model's reply was blocked (SAFETY)": 1,
      "review: the model's reply was blocked (SAFETY)": 1,
    });
    expect(Object.keys(summary.dropReasons).filter((k) => /generation_|reviewer_/.test(k))).toEqual([]);

    const byText = new Map<string, string>();
    for (const q of await store.listQuestions(summary.runId)) byText.set(q.text, q.id);
    const failures = await store.listFailures(summary.runId);
    // The candidate blocked once was recorded, asked again, and went on.
    const once = failures.filter((f) => f.questionId === byText.get(seen.generation[1]!));
    expect(once[0]).toMatchObject({ stage: "generate", attempt: 1, rawOutput: null });
    expect(once[0]!.reason).toMatch(/^generation_sft: the model's reply was blocked \(SAFETY\)/);
    // The candidate blocked on every attempt: each attempt, then the drop.
    const dropped = failures
      .filter((f) => f.questionId === byText.get(seen.generation[0]!))
      .map((f) => [f.stage, f.attempt]);
    expect(dropped).toEqual([
      ["generate", 1],
      ["generate", 2],
      ["generate", 1],
    ]);
    expect(asked.get(`generation\u0000${seen.generation[0]}`)).toBe(2);
    expect(asked.get(`judge\u0000${seen.judge[1]}`)).toBe(2);
    expect(asked.get(`judge\u0000${seen.judge[0]}`)).toBeGreaterThanOrEqual(2);

    const rows = await calls(store, summary.runId);
    expect(rows).toHaveLength(stub.requests.length);
    expect(summary.usage.calls).toBe(rows.length);
    // Blocked replies are metered as errors; the malformed one as a call that answered.
    expect(rows.filter((r) => r.status === "error")).toHaveLength(injected - 1);
    expect(rows.filter((r) => r.status === "error").every((r) => /^SAFETY/.test(r.error ?? ""))).toBe(true);
    await pipeline.close();
  });
});

describe("the fact check", () => {
  const input: FactCheckInput = {
    question: "What is benzene?",
    claims: [{ id: 1, text: "Benzene is an aromatic hydrocarbon." }],
    passages: [{ sourceId: "src_1", text: "Benzene is an aromatic hydrocarbon with the formula C6H6." }],
  };
  it.each([
    ["blocked", safetyBlock],
    ["malformed", malformed],
  ])("asks again after a %s reply, and meters both calls", async (_kind, first) => {
    let n = 0;
    // The first reply is the fault; the second the offline (lexical) fact check's answer.
    withFaults((_req, env) => (env.task === "reviewer.fact_check" && n++ === 0 ? first() : undefined));
    const records: LlmCallRecord[] = [];
    const models = geminiModels({ apiKey: "test-key-not-real-123", baseUrl: stub.url });
    const res = await runAgentTask(factCheckTask, input, {
      models,
      runId: null,
      sink: (r) => {
        records.push(r);
      },
    });
    expect(res.output.verdicts[0]).toMatchObject({ id: 1, verdict: "supported" });
    expect(stub.requests).toHaveLength(2);
    expect(records).toHaveLength(2);
  });

  it("gives up after its attempts with the reason first", async () => {
    withFaults((_req, env) => (env.task === "reviewer.fact_check" ? safetyBlock() : undefined));
    const models = geminiModels({ apiKey: "test-key-not-real-123", baseUrl: stub.url });
    const e = await runAgentTask(factCheckTask, input, { models, runId: null, sink: () => undefined }).catch(
      (x: unknown) => x,
    );
    expect(isSynthforgeError(e, "MODEL_OUTPUT_INVALID")).toBe(true);
    expect((e as Error).message).toBe(
      "reviewer_fact_check: the model's reply was blocked (SAFETY): no valid output after 2 attempts",
    );
    expect(stub.requests).toHaveLength(2);
  });
});

describe("drop reasons of model replies in the summary", () => {
  it.each([
    [
      "the model's reply was blocked (SAFETY): no valid example after 2 attempts; generation_sft: the model's reply was blocked (SAFETY).",
      "the model's reply was blocked (SAFETY)",
    ],
    [
      "reviewer_judge: the model's reply was blocked (SAFETY): no valid output after 2 attempts",
      "the model's reply was blocked (SAFETY)",
    ],
    [
      "generation_sft: Gemini quota exhausted (429 RESOURCE_EXHAUSTED) after 4 retries: Resource has been exhausted.",
      "Gemini quota exhausted",
    ],
    ["still below 0.8 after 2 revision(s) (score 0.7): thin", "still below # after # revision"],
  ])("%s → %s", (reason, key) => {
    expect(dropReasonKey(reason)).toBe(key);
  });
});

describe("--batch with --no-cache", () => {
  it("is refused with a typed error, whether the cache is turned off by flag or by config", () => {
    const refused = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return null;
    };
    const byFlag = refused(() => engineOptions({ batch: true, cache: false }, {}));
    expect(isSynthforgeError(byFlag, "INVALID_REQUEST")).toBe(true);
    expect((byFlag as Error).message).toMatch(/^--batch cannot be used with --no-cache: .*response cache/);
    expect((byFlag as Error).message).not.toContain("\n");
    const byConfig = refused(() => engineOptions({ batch: true, cache: true }, { cache: false }));
    expect(isSynthforgeError(byConfig, "CONFIG_INVALID")).toBe(true);
    // Each alone is honoured.
    expect(engineOptions({ cache: false }, {})).toEqual({ cache: false });
    expect(engineOptions({ batch: true, cache: true }, {})).toEqual({ batch: {} });
  });

  it("is refused by the library too (createPipeline with batch and cache: false)", () => {
    const storage = sqliteStore({ path: ":memory:" });
    const models = geminiModels({ apiKey: "test-key-not-real-123", baseUrl: "http://127.0.0.1:9" });
    let error: unknown = null;
    try {
      createPipeline({ storage, models, batch: true, cache: false });
    } catch (e) {
      error = e;
    }
    expect(isSynthforgeError(error, "INVALID_REQUEST")).toBe(true);
    expect((error as Error).message).toMatch(/batch cannot be used with cache: false/);
    // Either alone is accepted.
    expect(() => createPipeline({ storage, models, cache: false })).not.toThrow();
    expect(() => createPipeline({ storage, models, batch: true })).not.toThrow();
  });
});
