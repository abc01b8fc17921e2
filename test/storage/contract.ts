/**
 * The Store contract, run against every engine (sqlite.test.ts, postgres.test.ts).
 * Each test gets a fresh, empty database from the engine's `fresh()`.
 */
import { describe, expect, it, vi } from "vitest";
import { newId, sha256 } from "../../src/core/ids.js";
import {
  QUESTION_STATUSES,
  REVIEW_STATUSES,
  TRAINING_TYPES,
  type BuiltinTrainingTypeName as TrainingTypeName,
} from "../../src/core/types.js";
import { MIGRATIONS } from "../../src/storage/migrations/index.js";
import { EXAMPLE_COLUMNS, exampleTable } from "../../src/storage/schema.js";
import type {
  NewExample,
  NewQuestion,
  NewSource,
  QuestionRow,
  RunRow,
  Store,
} from "../../src/storage/store.js";
import type { TypeormStore } from "../../src/storage/typeorm-store.js";

export interface EngineUnderTest {
  /** A new store on a new, empty database, not yet initialised. */
  fresh(): Promise<TypeormStore>;
  /** Another store on the same database as `store` (not initialised). */
  reopen(store: TypeormStore): TypeormStore;
}

const ALL_TABLES = [
  "runs",
  "questions",
  "sources",
  ...TRAINING_TYPES.map((t) => exampleTable(t)),
  "reviews",
  "failures",
  "llm_calls",
];

const COMMON_EXAMPLE_COLUMNS = [
  "id",
  "run_id",
  "question_id",
  "model",
  "provider",
  "quality_score",
  "review_status",
  "sources",
  "revision",
  "created_at",
  "updated_at",
];

/** Sample values of a type's columns, covering every column kind. */
function sampleData(type: TrainingTypeName, variant = 1): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const c of EXAMPLE_COLUMNS[type]) {
    switch (c.kind) {
      case "text":
        data[c.name] = `${c.name} ${variant} — ünïcode ✓ "quoted" 'single'`;
        break;
      case "real":
        data[c.name] = 0.25 * variant + 0.125;
        break;
      case "integer":
        data[c.name] = 7 * variant;
        break;
      case "boolean":
        data[c.name] = variant % 2 === 1;
        break;
      case "json":
        data[c.name] = [
          { role: "user", content: `hi ${variant}`, n: variant, nested: { ok: true, list: [1, 2] } },
        ];
        break;
    }
  }
  return data;
}

function newRun(overrides: Partial<RunRow> = {}) {
  return {
    id: newId("run"),
    request: "Generate 10 GRPO examples for chemistry",
    trainingType: "grpo" as const,
    topic: "chemistry",
    targetCount: 10,
    config: { models: { generation: "gemini-2.5-flash" }, thresholds: { approve: 0.8 }, sources: ["local"] },
    status: "planning" as const,
    provider: "offline",
    ...overrides,
  };
}

function newQuestion(runId: string, i: number, subTopic = "stoichiometry"): NewQuestion {
  const text = `Question ${i}: how many moles are in ${i} g of water?`;
  return {
    id: newId("q"),
    runId,
    topic: "chemistry",
    subTopic,
    difficulty: i % 3 === 0 ? "hard" : "easy",
    text,
    textHash: sha256(text),
  };
}

function newSource(i: number, overrides: Partial<NewSource> = {}): NewSource {
  return {
    url: `https://example.org/doc/${i}`,
    title: `Document ${i}`,
    authors: [`Author ${i}`, "Second Author"],
    published: "2024-05-01",
    adapter: "local",
    licence: "CC-BY-4.0",
    licenceUrl: "https://creativecommons.org/licenses/by/4.0/",
    isPermissive: true,
    attributionRequired: true,
    commercialUseAllowed: true,
    shareAlike: false,
    noDerivatives: false,
    licenceEvidence: "front matter",
    contentHash: sha256(`document ${i}`),
    ...overrides,
  };
}

function newExample(type: TrainingTypeName, runId: string, questionId: string, variant = 1): NewExample {
  return {
    id: newId("ex"),
    runId,
    questionId,
    trainingType: type,
    data: sampleData(type, variant),
    model: "gemini-2.5-flash",
    provider: "offline",
    qualityScore: 0.875,
    reviewStatus: "pending",
    sources: ["src_a", "src_b"],
    revision: 0,
  };
}

async function expectCode(p: Promise<unknown>, code: string): Promise<Error> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, `expected a ${code} error`).toBeInstanceOf(Error);
  expect((e as { code?: string }).code).toBe(code);
  return e as Error;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Defines the contract tests for one engine. */
export function storeContract(label: string, engine: () => EngineUnderTest): void {
  async function ready(): Promise<TypeormStore> {
    const store = await engine().fresh();
    await store.init();
    return store;
  }

  async function withStore(fn: (store: TypeormStore) => Promise<void>): Promise<void> {
    const store = await ready();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }

  async function runWithQuestions(
    store: Store,
    n: number,
  ): Promise<{ run: RunRow; questions: NewQuestion[] }> {
    const run = await store.createRun(newRun());
    const questions = Array.from({ length: n }, (_, i) => newQuestion(run.id, i));
    await store.insertQuestions(questions);
    return { run, questions };
  }

  describe(`${label}: schema and migrations`, () => {
    it("creates every table, with the columns of schema.ts, matching the entities exactly", async () => {
      await withStore(async (store) => {
        const qr = store.dataSource.createQueryRunner();
        try {
          for (const name of ALL_TABLES) expect(await qr.hasTable(name), name).toBe(true);
          for (const type of TRAINING_TYPES) {
            const table = await qr.getTable(exampleTable(type));
            expect(table, type).toBeDefined();
            const columns = table!.columns.map((c) => c.name).sort();
            const expected = [...COMMON_EXAMPLE_COLUMNS, ...EXAMPLE_COLUMNS[type].map((c) => c.name)].sort();
            expect(columns, type).toEqual(expected);
            const unique = table!.indices.find((i) => i.columnNames.join() === "question_id");
            expect(unique?.isUnique, `${type} question_id unique`).toBe(true);
          }
          const sources = await qr.getTable("sources");
          expect(sources!.indices.find((i) => i.columnNames.join() === "content_hash")?.isUnique).toBe(true);
          const calls = await qr.getTable("llm_calls");
          expect(calls!.indices.some((i) => i.columnNames.join() === "request_hash")).toBe(true);
          const questions = await qr.getTable("questions");
          expect(
            questions!.foreignKeys.map((f) => `${f.columnNames.join()}->${f.referencedTableName}`),
          ).toEqual(["run_id->runs"]);
        } finally {
          await qr.release();
        }
        // What `synchronize` would do to make the database match the entities: nothing.
        const diff = await store.dataSource.driver.createSchemaBuilder().log();
        expect(diff.upQueries.map((q) => q.query)).toEqual([]);
      });
    });

    it("runs migrations once: init() again and a second store on the same database change nothing", async () => {
      const store = await engine().fresh();
      await store.init();
      await store.init();
      const run = await store.createRun(newRun());
      const executed = async (s: TypeormStore) =>
        (await s.dataSource.query("SELECT name FROM synthforge_migrations")) as Array<{ name: string }>;
      expect((await executed(store)).map((r) => r.name)).toEqual(MIGRATIONS.map((M) => new M().name));
      await store.close();

      const again = engine().reopen(store);
      await again.init();
      try {
        expect((await executed(again)).length).toBe(MIGRATIONS.length);
        expect((await again.getRun(run.id))?.request).toBe(run.request);
        expect(await again.dataSource.showMigrations()).toBe(false);
      } finally {
        await again.close();
      }
    });
  });

  describe(`${label}: rows round-trip with their types`, () => {
    it("runs: create, get, update, latest, list", async () => {
      await withStore(async (store) => {
        expect(await store.latestRun()).toBeNull();
        const first = await store.createRun(newRun({ topic: "first" }));
        await sleep(5);
        const second = await store.createRun(newRun({ topic: "second" }));
        expect(second.stopReason).toBeNull();
        expect(second.plan).toBeNull();

        const got = await store.getRun(first.id);
        expect(got).toEqual(first);
        expect(got!.createdAt).toBeInstanceOf(Date);
        expect(typeof got!.targetCount).toBe("number");
        expect(await store.getRun("run_missing")).toBeNull();

        const plan = {
          topic: "chemistry",
          domain: "science",
          trainingType: "grpo" as const,
          count: 10,
          subTopics: [{ name: "stoichiometry", quota: 10, focus: "moles" }],
          difficultyMix: { easy: 0.3, medium: 0.5, hard: 0.2 },
          sources: ["local"],
          licencePolicy: "permissive",
          researchNotes: "",
          executionNotes: "",
        };
        const finishedAt = new Date("2025-01-02T03:04:05.678Z");
        await store.updateRun(first.id, { plan, status: "completed", stopReason: "quota met", finishedAt });
        const updated = await store.getRun(first.id);
        expect(updated!.plan).toEqual(plan);
        expect(updated!.status).toBe("completed");
        expect(updated!.stopReason).toBe("quota met");
        expect(updated!.finishedAt?.toISOString()).toBe(finishedAt.toISOString());
        expect(updated!.config).toEqual(first.config);
        expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(first.updatedAt.getTime());

        expect((await store.latestRun())?.id).toBe(second.id);
        expect((await store.listRuns()).map((r) => r.id)).toEqual([second.id, first.id]);
        expect((await store.listRuns(1)).map((r) => r.id)).toEqual([second.id]);
      });
    });

    it("questions: batch insert (several chunks), list in order, filter, update, count every status", async () => {
      await withStore(async (store) => {
        const { run, questions } = await runWithQuestions(store, 1203);
        const other = await store.createRun(newRun());
        await store.insertQuestions([newQuestion(other.id, 0)]);

        const listed = await store.listQuestions(run.id);
        expect(listed.map((q) => q.id)).toEqual(questions.map((q) => q.id));
        expect(listed[0]).toMatchObject({
          ...questions[0],
          status: "pending",
          revisions: 0,
          groundTruthContext: null,
        });
        expect(listed[0]!.createdAt).toBeInstanceOf(Date);

        const q0 = questions[0]!.id;
        const ctx = { claims: [{ text: "18 g of water is 1 mol", source: "src_1" }], summary: "molar mass" };
        const contextSources = [
          { sourceId: "src_1", title: "Doc", url: "https://x.org", licence: "MIT", passages: 2 },
        ];
        await store.updateQuestion(q0, {
          status: "researched",
          groundTruthContext: "[src_1] Water has a molar mass of 18.015 g/mol.",
          synthesizedContext: ctx,
          contextSources,
          revisions: 2,
        });
        await store.updateQuestion(questions[1]!.id, { status: "failed" });
        const got = await store.getQuestion(q0);
        expect(got).toMatchObject({
          status: "researched",
          synthesizedContext: ctx,
          contextSources,
          revisions: 2,
          groundTruthContext: "[src_1] Water has a molar mass of 18.015 g/mol.",
        });
        expect(await store.getQuestion("q_missing")).toBeNull();

        const counts = await store.countQuestions(run.id);
        expect(Object.keys(counts).sort()).toEqual([...QUESTION_STATUSES].sort());
        expect(counts).toEqual({
          pending: 1201,
          researched: 1,
          generated: 0,
          needs_revision: 0,
          approved: 0,
          rejected: 0,
          failed: 1,
          skipped: 0,
        });
        expect(Object.values(await store.countQuestions("run_none")).every((n) => n === 0)).toBe(true);

        expect(
          (await store.listQuestions(run.id, { status: ["researched", "failed"] })).map((q) => q.id),
        ).toEqual([questions[0]!.id, questions[1]!.id]);
        expect(await store.listQuestions(run.id, { status: [] })).toEqual([]);
        expect((await store.listQuestions(run.id, { limit: 3 })).map((q) => q.id)).toEqual(
          questions.slice(0, 3).map((q) => q.id),
        );
        expect(await store.listQuestions(run.id, { subTopic: "nothing" })).toEqual([]);
        expect(
          (await store.listQuestions(run.id, { subTopic: "stoichiometry", status: ["pending"] })).length,
        ).toBe(1201);
      });
    });

    it("listQuestionKeys: id, sub-topic, text, hash and status of every question of the run, in order, without contexts", async () => {
      await withStore(async (store) => {
        const run = await store.createRun(newRun());
        const questions = Array.from({ length: 1203 }, (_, i) =>
          newQuestion(run.id, i, i % 2 ? "stoichiometry" : "titration"),
        );
        await store.insertQuestions(questions);
        const other = await store.createRun(newRun());
        await store.insertQuestions([newQuestion(other.id, 0)]);
        await store.updateQuestion(questions[5]!.id, {
          status: "approved",
          groundTruthContext: "[src_1] a long research context",
          synthesizedContext: { summary: "s" },
        });
        const keys = await store.listQuestionKeys(run.id);
        expect(keys.map((k) => k.id)).toEqual(questions.map((q) => q.id));
        const keyOf = (i: number, status: string) => ({
          id: questions[i]!.id,
          subTopic: questions[i]!.subTopic,
          text: questions[i]!.text,
          textHash: questions[i]!.textHash,
          status,
        });
        expect(keys[5]).toEqual(keyOf(5, "approved"));
        expect(keys[5]!.subTopic).toBe("stoichiometry");
        expect(keys[0]).toEqual(keyOf(0, "pending"));
        expect(keys.filter((k) => k.status === "pending")).toHaveLength(1202);
        expect(await store.listQuestionKeys("run_none")).toEqual([]);
        expect((await store.listQuestionKeys(other.id)).map((k) => k.id)).toEqual([
          (await store.listQuestions(other.id))[0]!.id,
        ]);
      });
    });

    it("claimQuestions: candidates in work before new ones, oldest first; a finished question frees its lease", async () => {
      await withStore(async (store) => {
        const run = await store.createRun(newRun());
        const q = Array.from({ length: 6 }, (_, i) => newQuestion(run.id, i));
        await store.insertQuestions(q);
        await store.updateQuestion(q[4]!.id, { status: "generated" });
        await store.updateQuestion(q[1]!.id, { status: "researched" });
        const ids = (rows: QuestionRow[]) => rows.map((r) => r.id);
        const first = await store.claimQuestions(run.id, {
          owner: "a",
          leaseMs: 60_000,
          limit: 3,
          target: 10,
        });
        expect(ids(first)).toEqual([q[1]!.id, q[4]!.id, q[0]!.id]);
        // Approved: no longer leased. Room = target 4 − approved 1 − leased 2 (q4, q0) = 1.
        await store.updateQuestion(q[1]!.id, { status: "approved" });
        const next = await store.claimQuestions(run.id, { owner: "b", leaseMs: 60_000, limit: 5, target: 4 });
        expect(ids(next)).toEqual([q[2]!.id]);
        // Statuses narrow the claim: only candidates in work (none left unleased).
        expect(
          await store.claimQuestions(run.id, {
            owner: "c",
            leaseMs: 60_000,
            limit: 5,
            target: 10,
            statuses: ["researched", "generated", "needs_revision"],
          }),
        ).toEqual([]);
      });
    });

    it("sources: dedup by content hash keeping the stored id, input order, booleans and arrays", async () => {
      await withStore(async (store) => {
        const [a, b] = await store.upsertSources([newSource(1, { id: "src_given" }), newSource(2)]);
        expect(a!.id).toBe("src_given");
        expect(b!.id).toMatch(/^src_/);
        expect(a).toMatchObject({
          isPermissive: true,
          attributionRequired: true,
          shareAlike: false,
          noDerivatives: false,
        });
        expect(a!.authors).toEqual(["Author 1", "Second Author"]);
        expect(a!.retrievedAt).toBeInstanceOf(Date);

        // Same content again (other id, other title), a new one, and a duplicate inside the input.
        const again = await store.upsertSources([
          newSource(3, {
            isPermissive: false,
            commercialUseAllowed: false,
            licenceUrl: null,
            published: null,
          }),
          newSource(1, { id: "src_other", title: "changed" }),
          newSource(3),
        ]);
        expect(again.map((s) => s.contentHash)).toEqual([
          sha256("document 3"),
          sha256("document 1"),
          sha256("document 3"),
        ]);
        expect(again[1]!.id).toBe("src_given");
        expect(again[1]!.title).toBe("Document 1");
        expect(again[0]!.id).toBe(again[2]!.id);
        expect(again[0]).toMatchObject({
          isPermissive: false,
          commercialUseAllowed: false,
          licenceUrl: null,
          published: null,
        });

        const got = await store.getSources([again[0]!.id, "src_missing", "src_given", b!.id]);
        expect(got.map((s) => s.id)).toEqual([again[0]!.id, "src_given", b!.id]);
        expect(got[1]).toEqual(a);
        expect(await store.getSources([])).toEqual([]);
      });
    });

    it("examples of all nine types round-trip with typed columns", async () => {
      await withStore(async (store) => {
        const { run, questions } = await runWithQuestions(store, TRAINING_TYPES.length);
        for (const [i, type] of TRAINING_TYPES.entries()) {
          const row = newExample(type, run.id, questions[i]!.id, i + 1);
          const saved = await store.saveExample(row);
          expect(saved).toMatchObject({ ...row, createdAt: expect.any(Date), updatedAt: expect.any(Date) });
          const got = await store.getExampleByQuestion(type, row.questionId);
          expect(got, type).toEqual(saved);
          expect(got!.data, type).toEqual(row.data);
          expect(typeof got!.qualityScore).toBe("number");
        }
        expect(await store.getExampleByQuestion("sft", "q_missing")).toBeNull();
        // Nullable columns may be left out and read back as null.
        const { run: run2, questions: qs2 } = await runWithQuestions(store, 1);
        const sft = await store.saveExample({
          ...newExample("sft", run2.id, qs2[0]!.id),
          data: { prompt: "p", response: "r" },
          qualityScore: null,
        });
        expect(sft.data).toEqual({ system: null, prompt: "p", response: "r" });
        expect(sft.qualityScore).toBeNull();
      });
    });

    it("saveExample is idempotent per question: one row, first id kept, content replaced", async () => {
      await withStore(async (store) => {
        const { run, questions } = await runWithQuestions(store, 2);
        const first = await store.saveExample(newExample("grpo", run.id, questions[0]!.id, 1));
        await sleep(5);
        const second = await store.saveExample({
          ...newExample("grpo", run.id, questions[0]!.id, 2),
          reviewStatus: "approved",
          qualityScore: 0.9,
          revision: 1,
          sources: ["src_c"],
          model: "gemini-2.5-pro",
        });
        expect(second.id).toBe(first.id);
        expect(second.data).toEqual(sampleData("grpo", 2));
        expect(second).toMatchObject({
          reviewStatus: "approved",
          qualityScore: 0.9,
          revision: 1,
          sources: ["src_c"],
        });
        expect(second.model).toBe("gemini-2.5-pro");
        expect(second.createdAt.getTime()).toBe(first.createdAt.getTime());
        expect(second.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());

        await store.saveExample(newExample("grpo", run.id, questions[1]!.id));
        const rows = (await store.dataSource.query(
          `SELECT question_id, COUNT(*) AS n FROM synthetic_data_grpo GROUP BY question_id ORDER BY question_id`,
        )) as Array<{ question_id: string; n: number | string }>;
        expect(rows.map((r) => [r.question_id, Number(r.n)])).toEqual(
          [questions[0]!.id, questions[1]!.id].sort().map((id) => [id, 1]),
        );
        const counts = await store.countExamples(run.id, "grpo");
        expect(counts).toEqual({
          pending: 1,
          approved: 1,
          needs_revision: 0,
          rejected: 0,
          human_approved: 0,
          human_rejected: 0,
        });
        expect(Object.keys(counts).sort()).toEqual([...REVIEW_STATUSES].sort());
      });
    });

    it("updateExample patches common and type columns; bad data is refused with DB_SCHEMA", async () => {
      await withStore(async (store) => {
        const { run, questions } = await runWithQuestions(store, 1);
        const saved = await store.saveExample(newExample("grpo", run.id, questions[0]!.id, 1));
        await store.updateExample("grpo", saved.id, {
          qualityScore: 0.55,
          reviewStatus: "needs_revision",
          revision: 3,
          data: { is_correct: false, execution_output: null },
        });
        const got = await store.getExampleByQuestion("grpo", questions[0]!.id);
        expect(got).toMatchObject({ qualityScore: 0.55, reviewStatus: "needs_revision", revision: 3 });
        expect(got!.data).toEqual({ ...sampleData("grpo", 1), is_correct: false, execution_output: null });

        const base = newExample("grpo", run.id, questions[0]!.id);
        await expectCode(store.saveExample({ ...base, data: { ...base.data, extra: "x" } }), "DB_SCHEMA");
        await expectCode(
          store.saveExample({ ...base, data: { ...base.data, prompt: undefined } }),
          "DB_SCHEMA",
        );
        await expectCode(
          store.saveExample({ ...base, data: { ...base.data, is_correct: "yes" } }),
          "DB_SCHEMA",
        );
        await expectCode(store.updateExample("grpo", saved.id, { data: { prompt: null } }), "DB_SCHEMA");
        // Nothing of the refused writes reached the row.
        expect((await store.getExampleByQuestion("grpo", questions[0]!.id))!.data).toEqual(got!.data);
      });
    });

    it("reviews, failures and llm calls round-trip; usage sums uncached calls; cache returns the newest ok", async () => {
      await withStore(async (store) => {
        const { run, questions } = await runWithQuestions(store, 1);
        const ex = await store.saveExample(newExample("qa", run.id, questions[0]!.id));
        const review = {
          id: newId("rev"),
          runId: run.id,
          exampleId: ex.id,
          questionId: questions[0]!.id,
          trainingType: "qa" as const,
          round: 1,
          seq: 0,
          kind: "judge",
          score: 0.72,
          passed: false,
          reasons: ["unsupported claim", "too short"],
          raw: { verdict: "revise", scores: { accuracy: 0.6 } },
        };
        await store.insertReview(review);
        await sleep(2);
        await store.insertReview({
          ...review,
          id: newId("rev"),
          round: 2,
          kind: "verifier:math",
          score: 1,
          passed: true,
          raw: null,
        });
        const reviews = await store.listReviews(ex.id);
        expect(reviews).toHaveLength(2);
        expect(reviews[0]).toEqual({ ...review, createdAt: expect.any(Date) });
        expect(reviews[1]).toMatchObject({ round: 2, passed: true, raw: null, score: 1 });
        expect(await store.listReviews("ex_none")).toEqual([]);

        // Many verdicts at once (more than one statement's worth), in a transaction, in order.
        const many = Array.from({ length: 620 }, (_, i) => ({
          ...review,
          id: newId("rev"),
          round: 3,
          seq: i,
          kind: i % 2 ? "fact_check" : "verifier:format",
          score: i / 1000,
          passed: i % 3 === 0,
          reasons: i % 2 ? [`claim ${i}`] : [],
          raw: i % 5 ? { i } : null,
        }));
        await store.transaction((tx) => tx.insertReviews(many));
        await store.insertReviews([]);
        const all = await store.listReviews(ex.id);
        expect(all).toHaveLength(622);
        expect(all.slice(2).map((r) => r.id)).toEqual(many.map((r) => r.id));
        expect(all[2 + 7]).toEqual({ ...many[7], createdAt: expect.any(Date) });
        expect(all[2 + 10]).toMatchObject({ raw: null, reasons: [], passed: false, score: 0.01 });
        await expect(
          store.transaction(async (tx) => {
            await tx.insertReviews([{ ...review, id: newId("rev"), round: 9 }]);
            throw new Error("roll back");
          }),
        ).rejects.toThrow("roll back");
        expect((await store.listReviews(ex.id)).some((r) => r.round === 9)).toBe(false);
        // A round is reviewed once: a second verdict at the same place of the same round is refused.
        await expect(
          store.insertReviews([{ ...review, id: newId("rev"), round: 3, seq: 0 }]),
        ).rejects.toThrow();
        expect(await store.listReviews(ex.id)).toHaveLength(622);

        const failure = {
          id: newId("fail"),
          runId: run.id,
          questionId: questions[0]!.id,
          stage: "generate",
          reason: "schema: missing answer",
          rawOutput: '{"question": "..."}',
          attempt: 2,
        };
        await store.insertFailure(failure);
        await store.insertFailure({
          ...failure,
          id: newId("fail"),
          questionId: null,
          rawOutput: null,
          stage: "plan",
        });
        const failures = await store.listFailures(run.id);
        expect(failures[0]).toEqual({ ...failure, createdAt: expect.any(Date), retriedAt: null });
        expect(failures[1]).toMatchObject({ questionId: null, rawOutput: null, stage: "plan" });

        const call = {
          runId: run.id,
          role: "generation",
          model: "gemini-2.5-flash",
          provider: "gemini",
          requestHash: sha256("request 1"),
          inputTokens: 1000,
          outputTokens: 250,
          totalTokens: 1250,
          costUsd: 0.0012,
          latencyMs: 830,
          cached: false,
          status: "ok" as const,
          error: null,
          response: "old answer",
        };
        await store.recordLlmCall({ ...call, id: newId("call") });
        await sleep(3);
        await store.recordLlmCall({
          ...call,
          id: newId("call"),
          costUsd: 0.0003,
          inputTokens: 10,
          outputTokens: 5,
          totalTokens: 15,
          status: "error",
          error: "503",
          response: null,
        });
        await sleep(3);
        await store.recordLlmCall({
          ...call,
          id: newId("call"),
          response: "new answer",
          inputTokens: 7,
          outputTokens: 3,
          totalTokens: 10,
          costUsd: 0.0005,
        });
        // Served from the cache: not a call, costs nothing extra.
        await store.recordLlmCall({
          ...call,
          id: newId("call"),
          cached: true,
          costUsd: 0,
          response: "new answer",
        });
        // Another run and a run-less call do not count.
        await store.recordLlmCall({
          ...call,
          id: newId("call"),
          runId: null,
          requestHash: sha256("request 2"),
        });

        const usage = await store.usage(run.id);
        expect(usage).toEqual({
          calls: 3,
          inputTokens: 1017,
          outputTokens: 258,
          totalTokens: 1275,
          costUsd: expect.closeTo(0.002, 10),
        });
        expect(typeof usage.costUsd).toBe("number");
        expect(await store.usage("run_none")).toEqual({
          calls: 0,
          inputTokens: 0,
          outputTokens: 0,
          totalTokens: 0,
          costUsd: 0,
        });

        expect(await store.cachedLlmResponse(call.requestHash)).toBe("new answer");
        expect(await store.cachedLlmResponse(sha256("never asked"))).toBeNull();
        await store.recordLlmCall({
          ...call,
          id: newId("call"),
          requestHash: sha256("failing"),
          status: "error",
          error: "x",
          response: null,
        });
        expect(await store.cachedLlmResponse(sha256("failing"))).toBeNull();
      });
    });

    it("enforces foreign keys", async () => {
      await withStore(async (store) => {
        await expect(store.insertQuestions([newQuestion("run_does_not_exist", 1)])).rejects.toThrow();
        expect(await store.listQuestions("run_does_not_exist")).toEqual([]);
      });
    });
  });

  describe(`${label}: iterateExamples`, () => {
    it("streams every row in id order, one bounded query per batch, with a status filter", async () => {
      await withStore(async (store) => {
        const { run, questions } = await runWithQuestions(store, 23);
        const other = await runWithQuestions(store, 2);
        const saved = [];
        for (const [i, q] of questions.entries()) {
          saved.push(
            await store.saveExample({
              ...newExample("sft", run.id, q.id, i),
              reviewStatus: i % 4 === 0 ? "approved" : "pending",
            }),
          );
        }
        for (const q of other.questions) await store.saveExample(newExample("sft", other.run.id, q.id));
        const ids = saved.map((r) => r.id).sort();

        const find = vi.spyOn(store.dataSource.manager, "find");
        const seen: string[] = [];
        for await (const row of store.iterateExamples(run.id, "sft", { batchSize: 5 })) {
          expect(row.trainingType).toBe("sft");
          expect(row.runId).toBe(run.id);
          seen.push(row.id);
        }
        expect(seen).toEqual(ids);
        // 23 rows in batches of 5: 5 queries, each asking for at most 5 rows.
        expect(find).toHaveBeenCalledTimes(5);
        for (const call of find.mock.calls) expect((call[1] as { take?: number }).take).toBe(5);
        find.mockRestore();

        const approved: string[] = [];
        for await (const row of store.iterateExamples(run.id, "sft", {
          batchSize: 2,
          reviewStatus: ["approved"],
        })) {
          expect(row.reviewStatus).toBe("approved");
          approved.push(row.id);
        }
        expect(approved).toEqual(
          saved
            .filter((_, i) => i % 4 === 0)
            .map((r) => r.id)
            .sort(),
        );

        const all: string[] = [];
        for await (const row of store.iterateExamples(run.id, "sft")) all.push(row.id);
        expect(all).toEqual(ids);
        const none: string[] = [];
        for await (const row of store.iterateExamples(run.id, "dpo")) none.push(row.id);
        expect(none).toEqual([]);
      });
    });
  });

  describe(`${label}: transactions`, () => {
    it("50 concurrent transactions that insert and update all commit", async () => {
      await withStore(async (store) => {
        const run = await store.createRun(newRun());
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            store.transaction(async (tx) => {
              const q = newQuestion(run.id, i);
              await tx.insertQuestions([q]);
              await sleep(i % 3); // yield to the other transactions mid-way
              await tx.updateQuestion(q.id, { status: "generated", revisions: 1 });
              const ex = await tx.saveExample(newExample("qa", run.id, q.id, i));
              await tx.updateExample("qa", ex.id, { reviewStatus: "approved" });
              await tx.recordLlmCall({
                id: newId("call"),
                runId: run.id,
                role: "generation",
                model: "m",
                provider: "offline",
                requestHash: sha256(`r${i}`),
                inputTokens: 1,
                outputTokens: 1,
                totalTokens: 2,
                costUsd: 0.5,
                latencyMs: 1,
                cached: false,
                status: "ok",
                error: null,
                response: `a${i}`,
              });
              return q.id;
            }),
          ),
        );
        expect(new Set(results).size).toBe(50);
        expect((await store.countQuestions(run.id)).generated).toBe(50);
        expect((await store.countExamples(run.id, "qa")).approved).toBe(50);
        expect(await store.usage(run.id)).toEqual({
          calls: 50,
          inputTokens: 50,
          outputTokens: 50,
          totalTokens: 100,
          costUsd: 25,
        });
        for (const id of results) expect((await store.getQuestion(id))?.revisions).toBe(1);
      });
    });

    it("a transaction that throws rolls back everything it wrote, and only that", async () => {
      await withStore(async (store) => {
        const run = await store.createRun(newRun());
        const failing = newQuestion(run.id, 1);
        const outsider = newQuestion(run.id, 2);
        const boom = new Error("boom");
        const txPromise = store.transaction(async (tx) => {
          await tx.insertQuestions([failing]);
          await tx.updateRun(run.id, { status: "running" });
          await sleep(30);
          throw boom;
        });
        // Written outside the transaction while it is open: must not be rolled back with it.
        await sleep(5);
        const outside = store.insertQuestions([outsider]);
        await expect(txPromise).rejects.toBe(boom);
        await outside;
        expect(await store.getQuestion(failing.id)).toBeNull();
        expect((await store.getQuestion(outsider.id))?.id).toBe(outsider.id);
        expect((await store.getRun(run.id))?.status).toBe("planning");

        // A failing statement inside the transaction rolls back the earlier ones too.
        const q3 = newQuestion(run.id, 3);
        await expect(
          store.transaction(async (tx) => {
            await tx.insertQuestions([q3]);
            await tx.insertQuestions([q3]); // duplicate primary key
          }),
        ).rejects.toThrow();
        expect(await store.getQuestion(q3.id)).toBeNull();
      });
    });

    it("nested transaction() runs inline; the tx store refuses use after its transaction", async () => {
      await withStore(async (store) => {
        const run = await store.createRun(newRun());
        const q = newQuestion(run.id, 1);
        let leaked: Store | null = null;
        await expect(
          store.transaction(async (tx) => {
            leaked = tx;
            await tx.transaction(async (inner) => {
              await inner.insertQuestions([q]);
            });
            expect((await tx.getQuestion(q.id))?.id).toBe(q.id);
            throw new Error("undo all");
          }),
        ).rejects.toThrow("undo all");
        expect(await store.getQuestion(q.id)).toBeNull();
        await expect(leaked!.getRun(run.id)).rejects.toThrow(/after its transaction/);

        const value = await store.transaction(async (tx) => {
          await tx.insertQuestions([q]);
          return 42;
        });
        expect(value).toBe(42);
        expect((await store.getQuestion(q.id))?.id).toBe(q.id);
      });
    });
  });
}

export { expectCode };
