import { SynthforgeError } from "../core/errors.js";
import { REVIEW_STATUSES, type ReviewStatus, type TrainingTypeName } from "../core/types.js";
import { exampleColumns, exampleTable } from "./schema.js";
import type { Store } from "./store.js";
import { postgresSearchExpression, studioSearchNames } from "./studio-index.js";
import { TypeormStore } from "./typeorm-store.js";

/**
 * The read queries of the studio (browser, dashboards): filtered, paginated lists and
 * aggregates counted in the database, on SQLite and PostgreSQL alike. Every value is a
 * bound parameter; table names come from the training-type registry, never from input.
 */

/** Filters of {@link StudioQueries.listExamples}. */
export interface ExampleQuery {
  status?: ReviewStatus[];
  /** Quality score at least this (examples without a score are left out). */
  minScore?: number;
  /** Quality score at most this. */
  maxScore?: number;
  subTopic?: string;
  difficulty?: string;
  /** A check (`reviews.kind`, e.g. `judge`, `verifier:format`) the example failed. */
  failedCheck?: string;
  /** A licence (SPDX id) of one of the example's sources. */
  licence?: string;
  /** Text contained in the question or one of the type's text columns (case-insensitive for ASCII). */
  text?: string;
  /** Keyset cursor: the id of the last row of the previous page. */
  after?: string;
  /** Rows per page (1–200, default 50). */
  limit?: number;
  /** Count every matching row (`total`). Default true; pages after the first may skip it. */
  count?: boolean;
}

/** One row of an examples list. */
export interface ExampleListItem {
  id: string;
  questionId: string;
  reviewStatus: string;
  qualityScore: number | null;
  subTopic: string;
  difficulty: string;
  question: string;
  model: string;
  revision: number;
  updatedAt: string;
}

/** A page of examples: the rows, how many match in all, and the cursor of the next page. */
export interface ExamplePage {
  rows: ExampleListItem[];
  /** Every matching row; null when the query asked not to count. */
  total: number | null;
  next: string | null;
}

/** Model calls of a run grouped by agent role and model. */
export interface ModelUsageRow {
  role: string;
  model: string;
  calls: number;
  cached: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Aggregates of the quality dashboard. */
export interface QualityStats {
  /** Ten buckets of quality scores: [0, 0.1), …, [0.9, 1]. */
  histogram: number[];
  /** Examples without a score. */
  unscored: number;
  bySubTopic: Array<{ key: string; total: number; approved: number; rejected: number }>;
  byDifficulty: Array<{ key: string; total: number; approved: number; rejected: number }>;
  /** Verdicts by check (`reviews.kind`). */
  byCheck: Array<{ check: string; passed: number; failed: number }>;
}

/** Values the examples browser's filters offer. */
export interface ExampleFacets {
  subTopics: string[];
  checks: string[];
  licences: string[];
}

/** The studio's read queries over one store. */
export interface StudioQueries {
  listExamples(runId: string, type: TrainingTypeName, q: ExampleQuery): Promise<ExamplePage>;
  /** The question id of an example, or null when there is no such example in the run. */
  exampleQuestionId(runId: string, type: TrainingTypeName, exampleId: string): Promise<string | null>;
  modelUsage(runId: string): Promise<ModelUsageRow[]>;
  quality(runId: string, type: TrainingTypeName): Promise<QualityStats>;
  facets(runId: string, type: TrainingTypeName): Promise<ExampleFacets>;
}

/** Runs one SQL statement with bound parameters and returns its rows. */
type Run = <T = Record<string, unknown>>(sql: string, params: unknown[]) => Promise<T[]>;

const APPROVED = ["approved", "human_approved"];
const REJECTED = ["rejected", "human_rejected"];

function num(v: unknown): number {
  return typeof v === "number" ? v : v === null || v === undefined ? 0 : Number(v);
}

/**
 * The studio's queries over `store` (a {@link TypeormStore}: SQLite or PostgreSQL).
 *
 * @throws SynthforgeError `INVALID_REQUEST` for another kind of store.
 */
export function studioQueries(store: Store): StudioQueries {
  if (!(store instanceof TypeormStore))
    throw new SynthforgeError(
      "INVALID_REQUEST",
      "The studio needs a store made by sqliteStore, postgresStore or openStore.",
    );
  const pg = store.kind === "postgres";
  const run: Run = async <T>(sql: string, params: unknown[]) =>
    (await store.dataSource.query(sql, params)) as T[];
  /**
   * Runs a request's reads. PostgreSQL plans them without parallel workers (in one
   * transaction, `SET LOCAL`): they read at most a run's index entries, where a serial
   * merge join or aggregate takes tens of ms, and starting workers that then wait for a
   * busy core made them several times slower (the dashboard 330–430 → 80–110 ms on 2
   * loaded cores; docs/studio.md "Measured").
   */
  const reads = <T>(fn: (run: Run) => Promise<T>): Promise<T> =>
    pg
      ? store.dataSource.transaction(async (m) => {
          await m.query("SET LOCAL max_parallel_workers_per_gather = 0");
          return fn(async <R>(sql: string, params: unknown[]) => (await m.query(sql, params)) as R[]);
        })
      : fn(run);
  /** Builds parameter placeholders in order. */
  const binder = () => {
    const params: unknown[] = [];
    return {
      params,
      p(v: unknown): string {
        params.push(v);
        return pg ? `$${params.length}` : "?";
      },
    };
  };
  /** Whether the search structures of a table exist (the `StudioIndexes` migration made them). */
  const searchable = new Map<string, Promise<boolean>>();
  const hasSearch = (table: string): Promise<boolean> => {
    let known = searchable.get(table);
    if (!known) {
      const n = studioSearchNames(table);
      known = run(
        pg
          ? "SELECT 1 AS ok FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1"
          : "SELECT 1 AS ok FROM sqlite_master WHERE type = 'table' AND name = ?",
        [pg ? n.trgm : n.fts],
      ).then((r) => r.length > 0);
      searchable.set(table, known);
    }
    return known;
  };
  const table = (type: TrainingTypeName): { name: string; textColumns: string[] } => {
    const cols = exampleColumns(type);
    if (!cols) throw new SynthforgeError("UNKNOWN_TRAINING_TYPE", `No table for training type "${type}".`);
    return {
      name: exampleTable(type),
      textColumns: cols.filter((c) => c.kind === "text" || c.kind === "json").map((c) => c.name),
    };
  };

  return {
    async listExamples(runId, type, q) {
      const t = table(type);
      const b = binder();
      const where: string[] = [`x.run_id = ${b.p(runId)}`];
      if (q.status?.length) {
        for (const s of q.status)
          if (!(REVIEW_STATUSES as readonly string[]).includes(s))
            throw new SynthforgeError(
              "INVALID_REQUEST",
              `Unknown review status "${s}"; use ${REVIEW_STATUSES.join(", ")}.`,
            );
        where.push(`x.review_status IN (${q.status.map((s) => b.p(s)).join(", ")})`);
      }
      if (q.minScore !== undefined) where.push(`x.quality_score >= ${b.p(q.minScore)}`);
      if (q.maxScore !== undefined) where.push(`x.quality_score <= ${b.p(q.maxScore)}`);
      if (q.subTopic) where.push(`q.sub_topic = ${b.p(q.subTopic)}`);
      if (q.difficulty) where.push(`q.difficulty = ${b.p(q.difficulty)}`);
      // A review belongs to the run of its example: the run's verdicts are read from the index.
      if (q.failedCheck)
        where.push(
          `x.id IN (SELECT r.example_id FROM reviews r WHERE r.run_id = x.run_id AND r.kind = ${b.p(q.failedCheck)} AND r.passed = ${pg ? "false" : "0"})`,
        );
      const keys = studioSearchNames(t.name).keys;
      if (q.licence) {
        if (!pg && (await hasSearch(t.name)))
          // The key table holds each row's sources: the examples' own (wide) rows are not read.
          where.push(
            `EXISTS (SELECT 1 FROM "${keys}" kk, json_each(kk.sources) j WHERE kk.id = x.id AND ` +
              `j.value IN (SELECT s.id FROM sources s WHERE s.licence = ${b.p(q.licence)}))`,
          );
        else
          where.push(
            pg
              ? // The licence's source ids are read once; each row's test is one jsonb operator
                // (`?|`: the array holds one of these strings; sources are arrays of ids).
                `x.sources ?| ARRAY(SELECT s.id::text FROM sources s WHERE s.licence = ${b.p(q.licence)})`
              : `EXISTS (SELECT 1 FROM json_each(x.sources) j JOIN sources s ON s.id = j.value WHERE s.licence = ${b.p(q.licence)})`,
          );
      }
      if (q.text) {
        const like = `%${q.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        const op = pg ? "ILIKE" : "LIKE";
        // Trigrams narrow to candidates (a superset); the exact test below decides.
        if ([...q.text].length >= 3 && (await hasSearch(t.name)) && (await hasSearch("questions"))) {
          if (pg) {
            const qx = postgresSearchExpression(["text"], "q2");
            const xx = postgresSearchExpression(t.textColumns, "x2");
            where.push(
              `x.id IN (SELECT x2.id FROM ${t.name} x2 WHERE ${xx} ILIKE ${b.p(like)} ESCAPE '\\' UNION ` +
                `SELECT x2.id FROM ${t.name} x2 JOIN questions q2 ON q2.id = x2.question_id WHERE ${qx} ILIKE ${b.p(like)} ESCAPE '\\')`,
            );
          } else {
            const phrase = `"${q.text.replace(/"/g, '""')}"`;
            const xs = studioSearchNames(t.name);
            const qs = studioSearchNames("questions");
            where.push(
              `x.id IN (SELECT kk.id FROM "${xs.keys}" kk WHERE kk.k IN (SELECT rowid FROM "${xs.fts}" WHERE "${xs.fts}" MATCH ${b.p(phrase)}) UNION ` +
                `SELECT x2.id FROM ${t.name} x2 WHERE x2.question_id IN (SELECT kq.id FROM "${qs.keys}" kq WHERE kq.k IN ` +
                `(SELECT rowid FROM "${qs.fts}" WHERE "${qs.fts}" MATCH ${b.p(phrase)})))`,
            );
          }
        }
        const cols = ["q.text", ...t.textColumns.map((c) => (pg ? `x.${c}::text` : `x.${c}`))];
        where.push(`(${cols.map((c) => `${c} ${op} ${b.p(like)} ESCAPE '\\'`).join(" OR ")})`);
      }
      const from = `FROM ${t.name} x JOIN questions q ON q.id = x.question_id WHERE ${where.join(" AND ")}`;
      // The page walks the examples in id order and stops at the limit (SQLite would
      // otherwise start from a selective question index and sort every match).
      const pageFrom = pg ? from : from.replace(" JOIN questions q ", " CROSS JOIN questions q ");
      // The count reads the questions only when a filter needs them.
      const needsQuestion = Boolean(q.subTopic || q.difficulty || q.text);
      const countFrom = needsQuestion ? from : `FROM ${t.name} x WHERE ${where.join(" AND ")}`;
      const countParams = [...b.params];
      const limit = Math.min(200, Math.max(1, Math.floor(q.limit ?? 50)));
      const keyset = q.after ? ` AND x.id > ${b.p(q.after)}` : "";
      const { total, rows } = await reads(async (read) => ({
        total:
          q.count === false
            ? null
            : num((await read<{ n: unknown }>(`SELECT COUNT(*) AS n ${countFrom}`, countParams))[0]?.n ?? 0),
        rows: await read(
          `SELECT x.id AS id, x.question_id AS question_id, x.review_status AS review_status, x.quality_score AS quality_score, ` +
            `x.model AS model, x.revision AS revision, x.updated_at AS updated_at, q.sub_topic AS sub_topic, q.difficulty AS difficulty, q.text AS question ` +
            `${pageFrom}${keyset} ORDER BY x.id LIMIT ${b.p(limit + 1)}`,
          b.params,
        ),
      }));
      const page = rows.slice(0, limit).map(
        (r): ExampleListItem => ({
          id: String(r.id),
          questionId: String(r.question_id),
          reviewStatus: String(r.review_status),
          qualityScore:
            r.quality_score === null || r.quality_score === undefined ? null : num(r.quality_score),
          subTopic: String(r.sub_topic),
          difficulty: String(r.difficulty),
          question: String(r.question),
          model: String(r.model),
          revision: num(r.revision),
          updatedAt: new Date(r.updated_at as string).toISOString(),
        }),
      );
      return { rows: page, total, next: rows.length > limit ? page[page.length - 1]!.id : null };
    },

    async exampleQuestionId(runId, type, exampleId) {
      const t = table(type);
      const b = binder();
      const rows = await run<{ question_id: string }>(
        `SELECT question_id FROM ${t.name} WHERE id = ${b.p(exampleId)} AND run_id = ${b.p(runId)}`,
        b.params,
      );
      return rows[0]?.question_id ?? null;
    },

    async modelUsage(runId) {
      const b = binder();
      const rows = await run<Record<string, unknown>>(
        "SELECT role, model, COUNT(*) AS calls, " +
          "SUM(CASE WHEN cached THEN 1 ELSE 0 END) AS cached, " +
          "SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS errors, " +
          "COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens, " +
          `COALESCE(SUM(cost_usd), 0) AS cost_usd FROM llm_calls WHERE run_id = ${b.p(runId)} ` +
          "GROUP BY role, model ORDER BY role, model",
        b.params,
      );
      return rows.map((r) => ({
        role: String(r.role),
        model: String(r.model),
        calls: num(r.calls),
        cached: num(r.cached),
        errors: num(r.errors),
        inputTokens: num(r.input_tokens),
        outputTokens: num(r.output_tokens),
        costUsd: num(r.cost_usd),
      }));
    },

    async quality(runId, type) {
      const t = table(type);
      const bucket = pg ? "FLOOR(x.quality_score * 10)::int" : "CAST(x.quality_score * 10 AS INTEGER)";
      const b = binder();
      const b2 = binder();
      // One pass over the run's examples: the index (run_id, question_id, review_status,
      // quality_score) holds the score too, so the histogram is summed from the groups.
      const [groups, checks] = await reads(async (read) => [
        await read(
          `SELECT q.sub_topic AS sub_topic, q.difficulty AS difficulty, x.review_status AS status, ${bucket} AS b, COUNT(*) AS n ` +
            // SQLite: each example's question is read from a covering index, not its (wide) row.
            `FROM ${t.name} x ${pg ? "JOIN questions q" : 'CROSS JOIN questions q INDEXED BY "IDX_questions_id_sub_topic"'} ` +
            `ON q.id = x.question_id WHERE x.run_id = ${b.p(runId)} ` +
            `GROUP BY q.sub_topic, q.difficulty, x.review_status, ${bucket}`,
          b.params,
        ),
        await read(
          `SELECT kind, SUM(CASE WHEN passed THEN 1 ELSE 0 END) AS passed, SUM(CASE WHEN passed THEN 0 ELSE 1 END) AS failed ` +
            `FROM reviews WHERE run_id = ${b2.p(runId)} GROUP BY kind ORDER BY kind`,
          b2.params,
        ),
      ]);
      const histogram = Array.from({ length: 10 }, () => 0);
      let unscored = 0;
      for (const g of groups) {
        if (g.b === null || g.b === undefined) unscored += num(g.n);
        else histogram[Math.min(9, Math.max(0, num(g.b)))]! += num(g.n);
      }
      const tally = (key: "sub_topic" | "difficulty") => {
        const m = new Map<string, { key: string; total: number; approved: number; rejected: number }>();
        for (const g of groups) {
          const k = String(g[key]);
          const e = m.get(k) ?? { key: k, total: 0, approved: 0, rejected: 0 };
          const n = num(g.n);
          e.total += n;
          if (APPROVED.includes(String(g.status))) e.approved += n;
          if (REJECTED.includes(String(g.status))) e.rejected += n;
          m.set(k, e);
        }
        return [...m.values()].sort((a, c) => a.key.localeCompare(c.key));
      };
      return {
        histogram,
        unscored,
        bySubTopic: tally("sub_topic"),
        byDifficulty: tally("difficulty"),
        byCheck: checks.map((c) => ({ check: String(c.kind), passed: num(c.passed), failed: num(c.failed) })),
      };
    },

    async facets(runId) {
      /**
       * The distinct values of `column` in the run, in order. PostgreSQL has no skip scan:
       * one index probe per value (the next greater one) replaces reading every entry.
       */
      const distinct = (read: Run, tableName: string, column: string) => {
        const b = binder();
        const id = b.p(runId);
        return read<{ v: string }>(
          pg
            ? `WITH RECURSIVE d(v) AS (SELECT MIN(${column}) FROM ${tableName} WHERE run_id = ${id} UNION ALL ` +
                `SELECT (SELECT MIN(${column}) FROM ${tableName} WHERE run_id = ${id} AND ${column} > d.v) FROM d WHERE d.v IS NOT NULL) ` +
                "SELECT v FROM d WHERE v IS NOT NULL ORDER BY v"
            : `SELECT DISTINCT ${column} AS v FROM ${tableName} WHERE run_id = ${id} ORDER BY ${column}`,
          b.params,
        );
      };
      const [subTopics, checks, licences] = await reads(async (read) => [
        await distinct(read, "questions", "sub_topic"),
        await distinct(read, "reviews", "kind"),
        await read<{ v: string }>("SELECT DISTINCT licence AS v FROM sources ORDER BY licence", []),
      ]);
      return {
        subTopics: subTopics.map((r) => String(r.v)),
        checks: checks.map((r) => String(r.v)),
        licences: licences.map((r) => String(r.v)),
      };
    },
  };
}
