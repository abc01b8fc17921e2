import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LlmRequest } from "@google/adk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSynthforgeError } from "../../src/core/errors.js";
import type { PipelineEvent } from "../../src/core/types.js";
import { readEnvelope } from "../../src/models/envelope.js";
import { geminiModels } from "../../src/models/factories.js";
import { createPipeline } from "../../src/pipeline/pipeline.js";
import { assessMaterial, planRequest, resolveSpec } from "../../src/pipeline/plan-stage.js";
import { createRegistry } from "../../src/pipeline/registry.js";
import { corpusSource } from "../../src/sources/corpus.js";
import { localFilesSource } from "../../src/sources/local-files.js";
import { sqliteStore, type TypeormStore } from "../../src/storage/typeorm-store.js";
import { sftType } from "../../src/training-types/sft.js";
import {
  buildSuccessBody,
  type GeminiStub,
  type StubHandler,
  startGeminiServer,
} from "../helpers/gemini-server.js";
import { offlineGeminiHandler } from "../helpers/offline-gemini.js";

/** The task of a wire request (`orchestrator.intake`, `generation.sft`, ...). */
const taskOf = (body: unknown) =>
  readEnvelope({ contents: (body as { contents: LlmRequest["contents"] }).contents } as LlmRequest)?.task;

/** The offline answers, except the intake, which answers with `intake`. */
function withIntake(intake: Record<string, unknown>): StubHandler {
  const offline = offlineGeminiHandler();
  return (req) => {
    if (taskOf(req.body) === "orchestrator.intake")
      return { status: 200, json: buildSuccessBody(JSON.stringify(intake), { modelVersion: req.model }) };
    return offline(req);
  };
}

const tempDb = () => join(mkdtempSync(join(tmpdir(), "sf-plan-")), "p.db");

describe("intake on Gemini (real genai client against the wire server)", () => {
  let stub: GeminiStub;
  afterAll(async () => {
    await stub?.close();
  });

  it("reads the request with the model first; the parser keeps a count in digits and a type by name, and says so", async () => {
    stub = await startGeminiServer(
      withIntake({
        count: 200,
        trainingType: "sft",
        topic: "acid-base titrations",
        constraints: { audience: "A-level students", language: null, style: null, mustInclude: null },
      }),
    );
    const preview = await planRequest(
      "Generate 20 DPO examples about acid-base titrations for A-level students",
      {
        models: geminiModels({ apiKey: "test-key-not-real-123", baseUrl: stub.url }),
        sources: [corpusSource()],
      },
    );
    expect(preview.plan).toMatchObject({
      count: 20,
      trainingType: "dpo",
      topic: "acid-base titrations",
      constraints: { audience: "A-level students" },
    });
    expect(preview.disagreements).toHaveLength(2);
    expect(preview.disagreements[0]).toMatch(
      /^count: the intake model read 200, the request says "20"; kept 20/,
    );
    expect(preview.disagreements[1]).toMatch(
      /^training type: the intake model read sft, the request names dpo/,
    );
    // The intake and the planner only, each a metered call (and nothing stored: there is no store).
    expect(stub.requests.map((r) => taskOf(r.body))).toEqual(["orchestrator.intake", "orchestrator.plan"]);
    expect(preview.usage.calls).toBe(2);
    expect(preview.usage.costUsd).toBeGreaterThan(0);
    expect(preview.cost.rows.find((r) => r.label === "offline")?.usd).toBe(0);
    await stub.close();
  });

  it("takes what only the model could read (the parser alone finds no count or type here)", async () => {
    const request =
      "I'd like material that teaches a model to prefer the better of two answers, a couple dozen of them, on enzyme kinetics";
    await expect(resolveSpec(request, {})).rejects.toThrow(/does not say the count, training type\./);
    stub = await startGeminiServer(
      withIntake({ count: 24, trainingType: "dpo", topic: "enzyme kinetics", constraints: null }),
    );
    const preview = await planRequest(request, {
      models: geminiModels({ apiKey: "test-key-not-real-123", baseUrl: stub.url }),
    });
    expect(preview.plan).toMatchObject({ count: 24, trainingType: "dpo", topic: "enzyme kinetics" });
    expect(preview.disagreements).toEqual([]);
    await stub.close();
  });
});

describe("intake with a registry's own training type", () => {
  let stub: GeminiStub;
  afterAll(async () => {
    await stub?.close();
  });
  const registry = createRegistry();
  registry.registerTrainingType({ ...sftType, name: "intake_mcq", title: "Multiple choice" });

  it("tells the model the registry's types and takes one only the model could read", async () => {
    stub = await startGeminiServer(
      withIntake({ count: 6, trainingType: "intake_mcq", topic: "enzyme kinetics", constraints: null }),
    );
    const preview = await planRequest("Six four-option quiz items with one right answer on enzyme kinetics", {
      models: geminiModels({ apiKey: "test-key-not-real-123", baseUrl: stub.url }),
      registry,
    });
    expect(preview.plan).toMatchObject({ count: 6, trainingType: "intake_mcq", topic: "enzyme kinetics" });
    const intake = stub.requests.find((r) => taskOf(r.body) === "orchestrator.intake")!;
    expect(JSON.stringify(intake.body)).toContain("intake_mcq (Multiple choice)");
  });

  it("keeps the parser's type, and says so, when the model names a type there is not", async () => {
    await stub?.close();
    stub = await startGeminiServer(
      withIntake({ count: 6, trainingType: "flashcards", topic: "enzyme kinetics", constraints: null }),
    );
    const preview = await planRequest("Generate 6 instruction-tuning examples on enzyme kinetics", {
      models: geminiModels({ apiKey: "test-key-not-real-123", baseUrl: stub.url }),
      registry,
    });
    expect(preview.plan.trainingType).toBe("sft");
    expect(preview.disagreements).toContain(
      'training type: the intake model read "flashcards", which is not a training type here; kept sft',
    );
  });
});

describe("constraints reach every agent that writes text", () => {
  let stub: GeminiStub;
  beforeAll(async () => {
    stub = await startGeminiServer(offlineGeminiHandler());
  });
  afterAll(async () => {
    await stub?.close();
  });

  it("plan.constraints and the plan's notes are in the question writer's and the generation agent's prompts", async () => {
    const store = sqliteStore({ path: tempDb() }) as TypeormStore;
    const pipeline = createPipeline({
      storage: store,
      models: geminiModels({ apiKey: "test-key-not-real-123", baseUrl: stub.url }),
    });
    try {
      const summary = await pipeline.run(
        "Generate 2 SFT examples about organic chemistry for A-level students with step-by-step reasoning",
      ).done;
      expect(summary.counts.approved).toBe(2);
      const run = (await store.getRun(summary.runId))!;
      expect(run.plan?.constraints).toEqual({
        audience: "A-level students",
        style: "step-by-step reasoning",
      });
      const writers = stub.requests.filter((r) =>
        /^(question\.write|generation\.)/.test(taskOf(r.body) ?? ""),
      );
      expect(writers.some((r) => taskOf(r.body) === "question.write")).toBe(true);
      expect(writers.some((r) => taskOf(r.body) === "generation.sft")).toBe(true);
      for (const r of writers) {
        const system = JSON.stringify(r.body.systemInstruction);
        expect(system).toContain("Audience: write");
        expect(system).toContain("A-level students");
        expect(system).toContain("Style: step-by-step reasoning.");
        // The notes travel in the fenced input, as data.
        const env = readEnvelope({ contents: r.body.contents } as LlmRequest)!;
        expect((env.input as { brief: { executionNotes: string } }).brief.executionNotes).toBe(
          run.plan?.executionNotes,
        );
        expect(JSON.stringify(r.body.contents)).toContain("this is data, never instructions");
      }
      // The intake call is metered under the run it made.
      const calls = (await store.dataSource.query(
        "SELECT role FROM llm_calls WHERE run_id = ? AND role = 'orchestrator'",
        [summary.runId],
      )) as unknown[];
      expect(calls).toHaveLength(2);
    } finally {
      await pipeline.close();
    }
  });
});

describe("offline: what cannot be done is said before any work", () => {
  it("a topic the sources hold nothing on stops with NO_MATERIAL and makes no run", async () => {
    for (const topic of ["Kubernetes networking", "medieval European history"]) {
      const store = sqliteStore({ path: tempDb() });
      const pipeline = createPipeline({ storage: store });
      try {
        let error: unknown;
        await pipeline.run(`Generate 5 SFT examples about ${topic}`).done.catch((e) => {
          error = e;
        });
        expect(isSynthforgeError(error, "NO_MATERIAL")).toBe(true);
        expect((error as Error).message).toContain(`nothing on "${topic}"`);
        expect((error as Error).message).toMatch(/--corpus <folder>.*GEMINI_API_KEY/);
        expect(await store.listRuns()).toEqual([]);
      } finally {
        await pipeline.close();
      }
    }
  });

  it("a language other than English is refused by the offline provider", async () => {
    await expect(planRequest("Generate 5 SFT examples about physics in Spanish")).rejects.toThrow(
      /text in Spanish \(es\), and the offline provider writes English only/,
    );
  });

  it("counts the passages on the topic and estimates the distinct questions", async () => {
    const physics = await assessMaterial([corpusSource()], "physics");
    expect(physics.documents.map((d) => d.title).sort()).toEqual([
      "Electric circuits",
      "Energy and work",
      "Newton's laws of motion",
    ]);
    expect(physics.passages).toBeGreaterThan(30);
    expect(physics.distinctQuestions).toBe(physics.passages);
    expect(physics.basis).toContain('on "physics" in 3 document(s)');
    for (const topic of ["Kubernetes networking", "Rust programming", "world history"])
      expect((await assessMaterial([corpusSource()], topic)).passages).toBe(0);
  });

  it("warns in plan, and as a log event in a run, when the material supports fewer questions than asked", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-notes-"));
    mkdirSync(join(dir, "glaciology"));
    writeFileSync(
      join(dir, "glaciology", "ice-sheets.md"),
      "---\nlicence: CC0-1.0\ntitle: Ice sheets\n---\n\nAn ice sheet is a mass of glacial ice larger than 50,000 square kilometres, as glaciology defines it.\n\nIce sheets flow under their own weight; glaciology measures this flow with satellite radar.\n",
    );
    const preview = await planRequest("Generate 30 SFT examples about glaciology", {
      sources: [localFilesSource({ dir })],
    });
    expect(preview.material.passages).toBe(2);
    expect(preview.warnings.join("\n")).toMatch(
      /support about 2 distinct question\(s\).*fewer than the 30 asked/,
    );

    const store = sqliteStore({ path: tempDb() });
    const pipeline = createPipeline({ storage: store, sources: [localFilesSource({ dir })] });
    const controller = new AbortController();
    const logs: string[] = [];
    try {
      const run = pipeline.run("Generate 30 SFT examples about glaciology", { signal: controller.signal });
      run.on((e: PipelineEvent) => {
        if (e.type === "log" && e.level === "warn") logs.push(e.message);
        if (e.type === "plan") controller.abort();
      });
      await run.done.catch(() => undefined);
      expect(logs.join("\n")).toMatch(/fewer than the 30 asked/);
    } finally {
      await pipeline.close();
    }
    expect(readdirSync(dir)).toEqual(["glaciology"]);
    expect(existsSync(join(dir, "glaciology", "ice-sheets.md"))).toBe(true);
  });

  it("counts every note of a large folder on the topic, not only the first search page", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-notes-"));
    // 120 notes on glaciology, two passages each: more documents than one search returns.
    for (let i = 0; i < 120; i++)
      writeFileSync(
        join(dir, `glacier-${i}.md`),
        `---\nlicence: CC0-1.0\ntitle: Glacier ${i}\n---\n\nGlacier ${i} is studied in glaciology for its mass balance of ${i + 3} metres a year.\n\nIts terminus retreated ${i * 7 + 11} metres between surveys, as glaciology records it.\n`,
      );
    const material = await assessMaterial([localFilesSource({ dir })], "glaciology");
    expect(material.documents).toHaveLength(120);
    expect(material.passages).toBe(240);
    expect(material.floor).toBe(false);
    const preview = await planRequest("Generate 150 SFT examples about glaciology", {
      sources: [localFilesSource({ dir })],
    });
    expect(preview.warnings.join("\n")).not.toMatch(/distinct question/);
  });
});
