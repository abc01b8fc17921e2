import { describe, expect, it } from "vitest";
import { buildEntities, type ColumnOptions, ROW, type StoreKind } from "../../src/storage/entities.js";
import { exampleColumns, exampleTypes } from "../../src/storage/schema.js";
import type * as Rows from "../../src/storage/store.js";
import { rowMapper, toExampleRow } from "../../src/storage/typeorm/rows.js";
import { EntitySchema } from "../../src/storage/typeorm-lazy.js";

/**
 * The row mapper of the TypeORM store (`typeorm/rows.ts`) is derived from the entity
 * schemas: these rows are what the drivers hand back (PostgreSQL: bigint / numeric as
 * strings; SQLite: booleans as 0/1, instants as text; either: null in a JSON column).
 */

const T1 = "2024-05-01T12:34:56.789Z";
const T2 = "2024-05-02T08:00:00.000Z";

/** An instant as each driver returns it. */
const instant = (kind: StoreKind, iso: string): unknown =>
  kind === "postgres" ? new Date(iso) : iso.replace("T", " ").replace("Z", "");
/** A number as each driver may return it. */
const num = (kind: StoreKind, n: number): unknown => (kind === "postgres" ? String(n) : n);
/** A boolean as each driver returns it. */
const bool = (kind: StoreKind, b: boolean): unknown => (kind === "postgres" ? b : b ? 1 : 0);

/** `actual` equals `expected` exactly, property order included, Dates as Dates. */
function expectRow(actual: object, expected: object): void {
  expect(actual).toStrictEqual(expected);
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
}

/** `map` reads `expected`, with the values a driver encodes as it encodes them, as `expected`. */
function expectReads<R extends object>(
  map: (raw: object) => R,
  expected: R,
  encoded: Record<string, unknown>,
): void {
  expectRow(map({ ...expected, ...encoded }), expected);
}

describe.each(["sqlite", "postgres"] as const)("row mapper (%s)", (kind) => {
  const e = buildEntities(kind);

  it("maps runs, with an empty config for a null one", () => {
    const expected: Rows.RunRow = {
      id: "run_1",
      request: "make data",
      trainingType: "sft",
      topic: "chemistry",
      targetCount: 25,
      plan: null,
      config: {},
      status: "running",
      stopReason: null,
      provider: "offline",
      createdAt: new Date(T1),
      updatedAt: new Date(T2),
      finishedAt: null,
    };
    const raw = {
      ...expected,
      targetCount: num(kind, 25),
      config: null,
      createdAt: instant(kind, T1),
      updatedAt: instant(kind, T2),
    };
    const map = rowMapper(e.run);
    expectRow(map(raw), expected);
    const later = map({ ...raw, config: { a: 1 }, finishedAt: instant(kind, T2), stopReason: "done" });
    expect(later.config).toEqual({ a: 1 });
    expect(later.finishedAt).toEqual(new Date(T2));
    expect(later.stopReason).toBe("done");
    // Each null reads as a new object: rows share nothing.
    expect(map(raw).config).not.toBe(map(raw).config);
  });

  it("maps questions without their lease columns", () => {
    const expected: Rows.QuestionRow = {
      id: "q_1",
      runId: "run_1",
      topic: "chemistry",
      subTopic: "acids",
      difficulty: "medium",
      text: "What is a buffer?",
      textHash: "abc",
      status: "researched",
      groundTruthContext: "[src_1] passage",
      synthesizedContext: { facts: ["x"] },
      contextSources: null,
      revisions: 2,
      createdAt: new Date(T1),
      updatedAt: new Date(T2),
    };
    const raw = {
      ...expected,
      revisions: num(kind, 2),
      createdAt: instant(kind, T1),
      updatedAt: instant(kind, T2),
      leaseOwner: "runner-1",
      leaseExpiresAt: instant(kind, T2),
    };
    expectRow(rowMapper<Rows.QuestionRow>(e.question)(raw), expected);
  });

  it("maps sources: booleans, and no authors as []", () => {
    const expected: Rows.SourceRow = {
      id: "src_1",
      url: "https://example.org/a",
      title: "A",
      authors: [],
      published: null,
      retrievedAt: new Date(T1),
      adapter: "web",
      licence: "CC-BY-4.0",
      licenceUrl: null,
      isPermissive: true,
      attributionRequired: true,
      commercialUseAllowed: true,
      shareAlike: false,
      noDerivatives: false,
      licenceEvidence: "footer",
      contentHash: "h1",
      flags: [],
    };
    const raw = {
      ...expected,
      authors: null,
      retrievedAt: instant(kind, T1),
      isPermissive: bool(kind, true),
      attributionRequired: bool(kind, true),
      commercialUseAllowed: bool(kind, true),
      shareAlike: bool(kind, false),
      noDerivatives: bool(kind, false),
    };
    const map = rowMapper(e.source);
    expectRow(map(raw), expected);
    expect(map(raw).authors).not.toBe(map(raw).authors);
    expect(map({ ...raw, authors: ["Ada"], flags: null }).authors).toEqual(["Ada"]);
    expect(map({ ...raw, flags: null }).flags).toBeNull();
  });

  it("maps reviews and failures", () => {
    const review: Rows.ReviewRow = {
      id: "rev_1",
      runId: "run_1",
      exampleId: "ex_1",
      questionId: "q_1",
      trainingType: "sft",
      round: 1,
      seq: 0,
      kind: "judge",
      score: 0.75,
      passed: false,
      reasons: [],
      raw: null,
      createdAt: new Date(T1),
    };
    expectReads(rowMapper(e.review), review, {
      round: num(kind, 1),
      seq: num(kind, 0),
      score: num(kind, 0.75),
      passed: bool(kind, false),
      reasons: null,
      raw: undefined,
      createdAt: instant(kind, T1),
    });
    const failure: Rows.FailureRow = {
      id: "f_1",
      runId: "run_1",
      questionId: null,
      stage: "generate",
      reason: "bad json",
      rawOutput: null,
      attempt: 3,
      createdAt: new Date(T1),
      retriedAt: new Date(T2),
    };
    expectReads(rowMapper(e.failure), failure, {
      attempt: num(kind, 3),
      createdAt: instant(kind, T1),
      retriedAt: instant(kind, T2),
    });
  });

  it("maps llm calls and batches", () => {
    const call: Rows.LlmCallRow = {
      id: "c_1",
      runId: null,
      role: "generation",
      model: "m",
      provider: "offline",
      requestHash: "rh",
      inputTokens: 10,
      outputTokens: 20,
      totalTokens: 30,
      costUsd: 0.0125,
      latencyMs: 40,
      cached: true,
      status: "ok",
      error: null,
      response: "hi",
      createdAt: new Date(T1),
    };
    expectReads(rowMapper(e.llmCall), call, {
      inputTokens: num(kind, 10),
      outputTokens: num(kind, 20),
      totalTokens: num(kind, 30),
      costUsd: num(kind, 0.0125),
      latencyMs: num(kind, 40),
      cached: bool(kind, true),
      createdAt: instant(kind, T1),
    });
    const batch: Rows.LlmBatchRow = {
      id: "b_1",
      runId: "run_1",
      role: "generation",
      model: "m",
      name: null,
      state: "submitted",
      requestCount: 2,
      requests: [],
      error: null,
      createdAt: new Date(T1),
      updatedAt: new Date(T2),
      finishedAt: null,
    };
    expectReads(rowMapper(e.llmBatch), batch, {
      requestCount: num(kind, 2),
      requests: null,
      createdAt: instant(kind, T1),
      updatedAt: instant(kind, T2),
    });
  });

  it("maps examples: common columns, the type's own in data, ExampleRow's order", () => {
    const expected: Rows.ExampleRow = {
      id: "ex_1",
      runId: "run_1",
      questionId: "q_1",
      trainingType: "kto",
      data: { prompt: "p", completion: "c", label: true, label_reason: null },
      model: "m",
      provider: "offline",
      qualityScore: 4.5,
      reviewStatus: "approved",
      sources: [],
      revision: 1,
      createdAt: new Date(T1),
      updatedAt: new Date(T2),
    };
    const { trainingType: _, data, ...common } = expected;
    const raw = {
      ...common,
      qualityScore: num(kind, 4.5),
      sources: null,
      revision: num(kind, 1),
      createdAt: instant(kind, T1),
      updatedAt: instant(kind, T2),
      ...data,
      label: bool(kind, true),
    };
    const row = toExampleRow(e.examples.kto!, "kto", raw);
    expectRow(row, expected);
    expect(Object.keys(row.data)).toEqual(Object.keys(expected.data));
    expect(toExampleRow(e.examples.kto!, "kto", { ...raw, qualityScore: null }).qualityScore).toBeNull();

    const rlhf = toExampleRow(e.examples.rlhf!, "rlhf", {
      ...raw,
      sources: ["src_1"],
      prompt: "p",
      responses: [{ text: "a" }],
      chosen: "a",
      rejected: "b",
      margin: num(kind, 0.5),
    });
    expect(rlhf.sources).toEqual(["src_1"]);
    expectRow(rlhf.data, {
      prompt: "p",
      responses: [{ text: "a" }],
      chosen: "a",
      rejected: "b",
      margin: 0.5,
    });
  });

  it("puts every type's own columns, and only those, in data, in the table's order", () => {
    for (const type of exampleTypes()) {
      const row = toExampleRow(e.examples[type]!, type, { id: "x" });
      expect(Object.keys(row.data), type).toEqual(exampleColumns(type)?.map((c) => c.name));
      expect(Object.keys(row)).toEqual([
        "id",
        "runId",
        "questionId",
        "trainingType",
        "data",
        "model",
        "provider",
        "qualityScore",
        "reviewStatus",
        "sources",
        "revision",
        "createdAt",
        "updatedAt",
      ]);
    }
  });

  it("maps a column added to an entity schema with no other edit", () => {
    const columns: Record<string, ColumnOptions> = {
      ...(e.run.options.columns as Record<string, ColumnOptions>),
      attempts: { type: "integer", name: "attempts" },
      archived: { type: "boolean", name: "archived" },
      archivedAt: {
        type: kind === "postgres" ? "timestamptz" : "datetime",
        name: "archived_at",
        nullable: true,
      },
      tags: {
        type: kind === "postgres" ? "jsonb" : "simple-json",
        name: "tags",
        [ROW]: { whenNull: () => [] },
      },
      secret: { type: "varchar", name: "secret", [ROW]: { hidden: true } },
    };
    const grown = new EntitySchema<
      Rows.RunRow & { attempts: number; archived: boolean; archivedAt: Date | null; tags: string[] }
    >({ name: "GrownRun", tableName: "grown_runs", columns });
    const row = rowMapper(grown)({
      id: "run_1",
      request: "r",
      trainingType: "sft",
      topic: "t",
      targetCount: num(kind, 3),
      plan: null,
      config: { k: "v" },
      status: "running",
      stopReason: null,
      provider: "offline",
      createdAt: instant(kind, T1),
      updatedAt: instant(kind, T1),
      finishedAt: null,
      attempts: num(kind, 7),
      archived: bool(kind, true),
      archivedAt: instant(kind, T2),
      tags: null,
      secret: "s",
    });
    expect(Object.keys(row)).toEqual([
      ...Object.keys(e.run.options.columns ?? {}),
      "attempts",
      "archived",
      "archivedAt",
      "tags",
    ]);
    expect(row).toMatchObject({ targetCount: 3, config: { k: "v" }, attempts: 7, archived: true, tags: [] });
    expect(row.archivedAt).toEqual(new Date(T2));
  });
});

it("builds a schema's plan once: a schema changed after its first rows is read as it was", () => {
  const schema = new EntitySchema<{ id: string; n: number }>({
    name: "Plan",
    tableName: "plan",
    columns: { id: { type: "varchar", primary: true }, n: { type: "integer", name: "n" } },
  });
  expect(rowMapper(schema)({ id: "a", n: "5" })).toStrictEqual({ id: "a", n: 5 });
  (schema.options.columns as Record<string, ColumnOptions>).m = { type: "integer", name: "m" };
  expect(rowMapper(schema)({ id: "a", n: "5", m: "6" })).toStrictEqual({ id: "a", n: 5 });
});
