/**
 * The export's fast read path (issue 15, part 4): keyset pages read straight through the
 * driver (better-sqlite3, pg) must give byte-identical files to the rows the store's
 * TypeORM entities give, on SQLite and PostgreSQL, with filters, the metadata column and
 * splits. The expectation is made here from the typed rows of `iterateExamples`; the
 * same export through a store that hides the fast path (the entity path) must agree.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { fileWriter, parquetWriteRows } from "hyparquet-writer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId, sha256 } from "../../src/core/ids.js";
import type { ReviewStatus, TrainingTypeName } from "../../src/core/types.js";
import { type ExportOptions, exportRun, parquetSchema } from "../../src/export/export.js";
import { metadataOf } from "../../src/export/export-select.js";
import { examplePages } from "../../src/storage/example-pages.js";
import type { ExampleRow, NewExample, SourceRow, Store } from "../../src/storage/store.js";
import { postgresStore, sqliteStore, type TypeormStore } from "../../src/storage/typeorm-store.js";
import { FormatFileChecker, type ValueType } from "../../src/training-types/formats.js";
import { getTrainingType } from "../../src/training-types/index.js";
import { startPostgres, type TestPostgres } from "../helpers/postgres.js";

const PER_TYPE = 41;
const STATUSES: ReviewStatus[] = ["approved", "approved", "human_approved", "rejected", "needs_revision"];
const SCORES = [null, 0.3, 0.55, 0.9, 1];
/** Text that JSON escapes or that UTF-8 spends 2–4 bytes on. */
const TRICKY = 'Ünïcødé 😀 “quotes” \\ back\\slash "dq" \t tab \n newline \u2028 \u0001 ';

type Row = Record<string, unknown>;

/** The typed rows of one example per type and index (valid for every format of the type). */
function dataOf(type: TrainingTypeName, i: number): Record<string, unknown> {
  const text = (what: string) => `${what} ${i}${i % 3 === 0 ? ` ${TRICKY}` : ""}`;
  switch (type) {
    case "sft":
      return {
        system: i % 4 === 0 ? null : text("You are a chemist."),
        prompt: text("What is the molar mass of water?"),
        // One very long answer: its line is written on its own, outside the write buffer.
        response: i === 5 ? `${"Ω😀 long answer ".repeat(100_000)}end` : text("About 18 g/mol."),
      };
    case "dpo":
      return {
        prompt: text("Balance H2 + O2."),
        chosen: text("2 H2 + O2 → 2 H2O"),
        rejected: text("H2 + O2 → H2O"),
        chosen_rating: i % 2 ? 4 : 4.5,
        rejected_rating: 1 + (i % 3) * 0.25,
        rejection_reason: text("unbalanced"),
        rejection_explanation: i % 5 === 0 ? null : text("Oxygen atoms do not balance."),
      };
    case "chat":
      return {
        system: i % 3 === 1 ? null : text("Be brief."),
        messages: [
          { role: "user", content: text("Hi, what is a mole?") },
          { role: "assistant", content: text("6.022e23 particles.") },
          ...(i % 2
            ? []
            : [
                { role: "user", content: text("And a millimole?") },
                { role: "assistant", content: text("A thousandth of that.") },
              ]),
        ],
      };
    case "grpo":
      return {
        prompt: text("Compute 17 * 23."),
        reasoning: text("17 * 23 = 391"),
        code: "print(17 * 23)",
        predicted_answer: "391",
        solution: text("391"),
        is_correct: i % 3 !== 0,
        execution_output: i % 4 === 0 ? null : "391\n",
      };
    default:
      throw new Error(`no data for ${type}`);
  }
}

/** A store that hides the fast path: `examplePages` falls back to `iterateExamples` (TypeORM entities). */
function entityPath(store: TypeormStore): Store {
  return new Proxy({} as Store, {
    get: (_t, key) => {
      const v = (store as unknown as Record<PropertyKey, unknown>)[key];
      return typeof v === "function" ? v.bind(store) : v;
    },
  });
}

/** The values of a Parquet column as the writer takes them (as the export made them before). */
function parquetValue(v: unknown, t: ValueType): unknown {
  if (v === null || v === undefined) return null;
  if (t.kind === "int") return BigInt(v as number);
  if (t.kind === "list") return (v as unknown[]).map((x) => parquetValue(x, t.item));
  if (t.kind === "struct") {
    if (Object.keys(t.fields).length === 0) return null;
    return Object.fromEntries(
      Object.entries(t.fields).map(([k, ft]) => [k, parquetValue((v as Row)[k], ft)]),
    );
  }
  return v;
}

/** Parquet values back as JSON: bigint → number, nulls dropped. */
function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") {
    const out: Row = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = plain(x);
    return out;
  }
  return v;
}

interface Case {
  type: TrainingTypeName;
  format: string;
  sel?: Pick<ExportOptions, "reviewStatus" | "minScore" | "licence">;
  metadata?: boolean;
}

const CASES: Case[] = [
  { type: "sft", format: "trl-sft-messages" },
  { type: "sft", format: "alpaca", sel: { reviewStatus: ["approved", "human_approved"], minScore: 0.5 } },
  { type: "dpo", format: "trl-dpo", sel: { licence: "permissive" }, metadata: true },
  { type: "dpo", format: "trl-reward", sel: { reviewStatus: ["approved", "rejected"] } },
  { type: "chat", format: "trl-sft-messages", metadata: true },
  {
    type: "chat",
    format: "openai-chat",
    sel: { reviewStatus: ["rejected", "needs_revision"], minScore: 0.9, licence: ["CC-BY-*"] },
  },
  { type: "grpo", format: "trl-grpo", sel: { reviewStatus: ["approved", "needs_revision"] }, metadata: true },
  { type: "grpo", format: "openai-rft", sel: { licence: "permissive", minScore: 0.3 } },
];

let pg: TestPostgres | undefined;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sf-fast-read-"));
  pg = await startPostgres();
}, 120_000);

afterAll(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(["sqlite", "postgres"] as const)("the export's fast read path on %s", (engine) => {
  let store: TypeormStore;
  const runs = new Map<TrainingTypeName, string>();
  const sources = new Map<string, SourceRow>();

  beforeAll(async () => {
    store =
      engine === "sqlite"
        ? sqliteStore({ path: join(dir, "data.db") })
        : postgresStore({ url: await pg!.createDatabase("fast_read") });
    await store.init();
    const stored = await store.upsertSources(
      (
        [
          ["CC-BY-4.0", true],
          ["CC-BY-NC-4.0", false],
          ["CC0-1.0", true],
        ] as const
      ).map(([licence, permissive], i) => ({
        url: `https://example.org/${i}`,
        title: `Source ${i}`,
        authors: [],
        published: null,
        adapter: "local",
        licence,
        licenceUrl: null,
        isPermissive: permissive,
        attributionRequired: licence !== "CC0-1.0",
        commercialUseAllowed: permissive,
        shareAlike: false,
        noDerivatives: false,
        licenceEvidence: "test",
        contentHash: sha256(`${engine} source ${i}`),
      })),
    );
    for (const s of stored) sources.set(s.id, s);
    const [by, nc, cc0] = stored.map((s) => s.id);
    const sourceSets = [[by!], [], [by!, cc0!], [nc!], [cc0!, by!, cc0!], [by!, nc!]];
    for (const type of ["sft", "dpo", "chat", "grpo"] as const) {
      const run = await store.createRun({
        id: newId("run"),
        request: `fast read ${type}`,
        trainingType: type,
        topic: "chemistry",
        targetCount: PER_TYPE,
        status: "completed",
        provider: "offline",
        config: {},
      });
      runs.set(type, run.id);
      const questions = Array.from({ length: PER_TYPE }, (_, i) => ({
        id: newId("q"),
        runId: run.id,
        topic: "chemistry",
        subTopic: `sub ${i % 3}`,
        difficulty: (["easy", "medium", "hard"] as const)[i % 3]!,
        text: `question ${i}`,
        textHash: sha256(`${type} ${i}`),
      }));
      await store.insertQuestions(questions);
      for (let i = 0; i < PER_TYPE; i++) {
        const ex: NewExample = {
          // Random-looking ids: id order is not insertion order.
          id: `ex_${sha256(`${engine}${type}${i}`).slice(0, 12)}`,
          runId: run.id,
          questionId: questions[i]!.id,
          trainingType: type,
          data: dataOf(type, i),
          model: i % 2 ? "gemini-2.5-flash" : "offline-1",
          provider: "offline",
          qualityScore: SCORES[i % SCORES.length]!,
          reviewStatus: STATUSES[i % STATUSES.length]!,
          sources: sourceSets[i % sourceSets.length]!,
          revision: i % 2,
        };
        await store.saveExample(ex);
      }
    }
  }, 180_000);

  afterAll(async () => {
    await store?.close();
  });

  /** The rows an export should write, made from the typed rows of the entity path. */
  async function expectedRows(c: Case): Promise<Row[]> {
    const type = getTrainingType(c.type);
    const exporter = type.exporters[c.format]!;
    const questions = new Map((await store.listQuestions(runs.get(c.type)!)).map((q) => [q.id, q]));
    const licenceOk = (ex: ExampleRow) => {
      const f = c.sel?.licence;
      if (!f) return true;
      const rows = ex.sources.map((id) => sources.get(id)!);
      if (rows.length === 0) return false;
      return rows.every((s) =>
        f === "permissive"
          ? s.isPermissive && s.licence !== "unknown"
          : (f as string[]).some((p) =>
              p.endsWith("*") ? s.licence.startsWith(p.slice(0, -1)) : p === s.licence,
            ),
      );
    };
    const out: Row[] = [];
    for await (const ex of store.iterateExamples(runs.get(c.type)!, c.type, {
      reviewStatus: c.sel?.reviewStatus ?? ["approved"],
    })) {
      const min = c.sel?.minScore;
      if (min !== undefined && (ex.qualityScore === null || ex.qualityScore < min)) continue;
      if (!licenceOk(ex)) continue;
      const row = exporter(ex.data, { id: ex.id, questionId: ex.questionId, qualityScore: ex.qualityScore });
      if (c.metadata) {
        const q = questions.get(ex.questionId);
        row.synthforge = metadataOf(ex, q && { subTopic: q.subTopic, difficulty: q.difficulty });
      }
      out.push(row);
    }
    return out;
  }

  /** A Parquet file of these rows as hyparquet-writer's row writer makes it (the export before). */
  async function legacyParquet(path: string, rows: Row[], c: Case): Promise<Buffer> {
    const checker = new FormatFileChecker(c.format);
    for (const r of rows) expect(checker.add(r)).toEqual([]);
    const columns = checker.columns();
    const names = Object.keys(columns);
    await parquetWriteRows({
      writer: fileWriter(path),
      rows: rows.map((r) => Object.fromEntries(names.map((k) => [k, parquetValue(r[k], columns[k]!)]))),
      columns: names.map((name) => ({ name })),
      schema: parquetSchema(columns) as never,
      rowGroupSize: 5,
      kvMetadata: [
        { key: "synthforge.format", value: c.format },
        { key: "synthforge.run_id", value: runs.get(c.type)! },
        { key: "synthforge.training_type", value: c.type },
      ],
      createdBy: "synthforge",
    });
    return readFileSync(path);
  }

  it("reads the same examples, in the same order, as iterateExamples", async () => {
    for (const type of ["sft", "chat"] as const) {
      for (const reviewStatus of [
        ["approved"],
        ["rejected", "human_approved", "approved"],
      ] as ReviewStatus[][]) {
        const typed: ExampleRow[] = [];
        for await (const ex of store.iterateExamples(runs.get(type)!, type, { reviewStatus })) typed.push(ex);
        const paged: unknown[] = [];
        const sizes: number[] = [];
        for await (const page of examplePages(store, runs.get(type)!, type, { reviewStatus, batchSize: 4 })) {
          sizes.push(page.length);
          paged.push(...page);
        }
        expect(typed.length).toBeGreaterThan(8);
        expect(sizes.every((n) => n > 0 && n <= 4)).toBe(true);
        expect(paged).toEqual(
          typed.map((ex) => ({
            id: ex.id,
            questionId: ex.questionId,
            data: ex.data,
            model: ex.model,
            provider: ex.provider,
            qualityScore: ex.qualityScore,
            reviewStatus: ex.reviewStatus,
            sources: ex.sources,
          })),
        );
      }
    }
    const none = examplePages(store, runs.get("sft")!, "sft", { reviewStatus: [] });
    expect((await none.next()).done).toBe(true);
  });

  it.each(CASES)("writes $type as $format byte for byte as before (%#)", async (c) => {
    const rows = await expectedRows(c);
    expect(rows.length).toBeGreaterThan(2);
    const base = join(dir, `${engine}-${c.type}-${c.format}-${CASES.indexOf(c)}`);
    const opts = { format: c.format, batchSize: 3, ...c.sel, ...(c.metadata ? { metadata: true } : {}) };

    const jsonl = await exportRun(store, runs.get(c.type)!, { ...opts, out: `${base}.jsonl` });
    const expected = rows.map((r) => `${JSON.stringify(r)}\n`).join("");
    expect(jsonl.rows).toBe(rows.length);
    expect(readFileSync(`${base}.jsonl`, "utf8")).toBe(expected);
    await exportRun(entityPath(store), runs.get(c.type)!, { ...opts, out: `${base}.entities.jsonl` });
    expect(readFileSync(`${base}.entities.jsonl`, "utf8")).toBe(expected);

    const parquet = await exportRun(store, runs.get(c.type)!, {
      ...opts,
      out: `${base}.parquet`,
      rowGroupSize: 5,
    });
    expect(parquet.rows).toBe(rows.length);
    const written = readFileSync(`${base}.parquet`);
    expect(written.equals(await legacyParquet(`${base}.legacy.parquet`, rows, c))).toBe(true);
    const back = await parquetReadObjects({ file: await asyncBufferFromFile(`${base}.parquet`) });
    expect(back.map(plain)).toEqual(rows.map(plain));
  });

  it("gives every split the same files as the entity path", async () => {
    const split = {
      split: [
        { name: "train", fraction: 0.7 },
        { name: "test", fraction: 0.3 },
      ],
      seed: 7,
      stratify: "sub_topic" as const,
    };
    for (const ext of ["jsonl", "parquet"]) {
      const fast = await exportRun(store, runs.get("dpo")!, {
        format: "trl-dpo",
        out: join(dir, `${engine}-split-fast.${ext}`),
        batchSize: 4,
        reviewStatus: ["approved", "human_approved", "rejected"],
        metadata: true,
        ...split,
      });
      const slow = await exportRun(entityPath(store), runs.get("dpo")!, {
        format: "trl-dpo",
        out: join(dir, `${engine}-split-slow.${ext}`),
        reviewStatus: ["approved", "human_approved", "rejected"],
        metadata: true,
        ...split,
      });
      expect(fast.splits!.map((s) => s.rows)).toEqual(slow.splits!.map((s) => s.rows));
      expect(fast.splits!.reduce((a, s) => a + s.rows, 0)).toBeGreaterThan(10);
      for (const [i, s] of fast.splits!.entries()) {
        const a = readFileSync(s.path);
        const b = readFileSync(slow.splits![i]!.path);
        if (ext === "jsonl") expect(a.toString("utf8")).toBe(b.toString("utf8"));
        else expect(a.equals(b)).toBe(true);
      }
    }
  });

  it("reads inside a transaction through the transaction's connection", async () => {
    const rows = await store.transaction(async (tx) => {
      const out: string[] = [];
      for await (const page of examplePages(tx, runs.get("grpo")!, "grpo", { batchSize: 5 }))
        out.push(...page.map((r) => r.id));
      return out;
    });
    const typed: string[] = [];
    for await (const ex of store.iterateExamples(runs.get("grpo")!, "grpo")) typed.push(ex.id);
    expect(rows).toEqual(typed);
  });
});
