/**
 * The fast read path of exports: a run's examples in id order, one page (array) at a
 * time, read with keyset pagination straight through the driver (a cached better-sqlite3
 * prepared statement on SQLite, a parameterised `pg` query on PostgreSQL) instead of
 * TypeORM's entity building. The rows and their order are those of
 * {@link Store.iterateExamples} with the same options; only the fields an export uses
 * are read.
 */
import type BetterSqlite3 from "better-sqlite3";
import type { Pool } from "pg";
import type { EntityManager } from "typeorm";
import type { ReviewStatus, TrainingTypeName } from "../core/types.js";
import { ENTITY_NAMES } from "./entities.js";
import { type ColumnSpec, exampleColumns, exampleTable } from "./schema.js";
import type { ExampleRow, IterateOptions, Store } from "./store.js";
import { TypeormStore } from "./typeorm-store.js";

/** The fields of an example that an export reads. */
export type ExamplePageRow = Pick<
  ExampleRow,
  "id" | "questionId" | "data" | "model" | "provider" | "qualityScore" | "reviewStatus" | "sources"
>;

/** Default rows per page. */
const DEFAULT_PAGE = 2000;
/**
 * Most rows per query, by engine: small pages keep each page's rows young for the garbage
 * collector (a page that outlives a scavenge is copied, then promoted), which costs far
 * more than SQLite's per-query work; PostgreSQL pays a round trip per query.
 */
const MAX_QUERY_ROWS = { sqlite: 128, postgres: 1000 } as const;
/** The common columns read, in this order, before the type's own. */
const COMMON = ["id", "question_id", "model", "provider", "quality_score", "review_status", "sources"];

/** Prepared statements of each SQLite connection, by SQL text. */
const statements = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

/**
 * Streams a run's examples in id order, in pages of at most `batchSize` rows (default
 * 2,000; at most 128 per query on SQLite and 1,000 on PostgreSQL), with the same rows,
 * order and review-status filter as `store.iterateExamples`. On a
 * {@link TypeormStore} each page is one raw keyset query (`WHERE run_id = ? AND id > ?
 * ORDER BY id LIMIT ?`) run as the store runs a statement (in its transaction, else under
 * SQLite's lock); other stores are read through `iterateExamples`. Memory: one page.
 */
export async function* examplePages(
  store: Store,
  runId: string,
  type: TrainingTypeName,
  opts: IterateOptions = {},
): AsyncGenerator<ExamplePageRow[]> {
  const size = positiveInt(opts.batchSize ?? DEFAULT_PAGE, DEFAULT_PAGE);
  const statuses = opts.reviewStatus;
  if (statuses && statuses.length === 0) return;
  const specs = exampleColumns(type);
  if (!(store instanceof TypeormStore) || !specs) {
    yield* pagesOf(store.iterateExamples(runId, type, opts), size);
    return;
  }
  const query = pageQuery(type, specs, statuses);
  const limit = Math.min(size, MAX_QUERY_ROWS[store.kind]);
  let after: string | null = null;
  for (;;) {
    const cursor: string | null = after;
    const raw: PageResult | null = await store.withStatement(async (m): Promise<PageResult | null> => {
      // A type registered after the store was opened has no entity: iterateExamples says so.
      if (!m.connection.hasMetadata(ENTITY_NAMES.example(type))) return null;
      return runPage(m, query, [runId, ...(statuses ?? [])], cursor, limit);
    });
    if (raw === null) {
      yield* pagesOf(store.iterateExamples(runId, type, opts), size);
      return;
    }
    const jsonText = raw.jsonText;
    const page = raw.rows.map((r) => toPageRow(r, specs, jsonText));
    if (page.length) yield page;
    if (page.length < limit) return;
    after = page[page.length - 1]!.id;
  }
}

/** Groups a row stream into pages. */
async function* pagesOf(rows: AsyncIterable<ExampleRow>, size: number): AsyncGenerator<ExamplePageRow[]> {
  let page: ExamplePageRow[] = [];
  for await (const r of rows) {
    page.push(r);
    if (page.length >= size) {
      yield page;
      page = [];
    }
  }
  if (page.length) yield page;
}

/** The SQL of one page, per engine, first page (no cursor) and later ones. */
interface PageQuery {
  columns: string[];
  sqlite: { first: string; next: string };
  postgres: { first: string; next: string };
}

function pageQuery(type: TrainingTypeName, specs: ColumnSpec[], statuses?: ReviewStatus[]): PageQuery {
  const columns = [...COMMON, ...specs.map((s) => s.name)];
  const list = columns.map((c) => `"${c}"`).join(", ");
  const table = `"${exampleTable(type)}"`;
  const build = (ph: (i: number) => string, cursor: boolean) => {
    let i = 1;
    const where = [`"run_id" = ${ph(i++)}`];
    if (statuses) where.push(`"review_status" IN (${statuses.map(() => ph(i++)).join(", ")})`);
    if (cursor) where.push(`"id" > ${ph(i++)}`);
    return `SELECT ${list} FROM ${table} WHERE ${where.join(" AND ")} ORDER BY "id" ASC LIMIT ${ph(i)}`;
  };
  return {
    columns,
    sqlite: { first: build(() => "?", false), next: build(() => "?", true) },
    postgres: { first: build((i) => `$${i}`, false), next: build((i) => `$${i}`, true) },
  };
}

/** The raw rows of one page (arrays in `PageQuery.columns` order); `jsonText` when JSON columns hold text (SQLite). */
interface PageResult {
  rows: unknown[][];
  jsonText: boolean;
}

/** Runs one page query on the manager's connection. */
async function runPage(
  m: EntityManager,
  query: PageQuery,
  params: unknown[],
  cursor: string | null,
  size: number,
): Promise<PageResult> {
  const values = [...params, ...(cursor === null ? [] : [cursor]), size];
  const sqlite = m.connection.options.type === "better-sqlite3";
  const sql = sqlite
    ? cursor === null
      ? query.sqlite.first
      : query.sqlite.next
    : cursor === null
      ? query.postgres.first
      : query.postgres.next;
  if (m.queryRunner) {
    // In a transaction: its own connection, through TypeORM's runner (still no entities).
    const rows = (await m.query(sql, values)) as Array<Record<string, unknown>>;
    return { rows: rows.map((r) => query.columns.map((c) => r[c])), jsonText: sqlite };
  }
  const driver = m.connection.driver as unknown as {
    databaseConnection?: BetterSqlite3.Database;
    master?: Pool;
  };
  if (sqlite && driver.databaseConnection) {
    const db = driver.databaseConnection;
    let cache = statements.get(db);
    if (!cache) {
      cache = new Map();
      statements.set(db, cache);
    }
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql).raw(true);
      cache.set(sql, stmt);
    }
    return { rows: stmt.all(...values) as unknown[][], jsonText: true };
  }
  if (!sqlite && driver.master) {
    const res = await driver.master.query({ text: sql, values, rowMode: "array" });
    return { rows: res.rows as unknown[][], jsonText: false };
  }
  const rows = (await m.query(sql, values)) as Array<Record<string, unknown>>;
  return { rows: rows.map((r) => query.columns.map((c) => r[c])), jsonText: sqlite };
}

/**
 * One raw row as the entity path types it (see `toExampleRow` in `typeorm/rows.ts`):
 * numbers and booleans from either engine's encoding, JSON parsed from SQLite's text.
 */
function toPageRow(r: unknown[], specs: ColumnSpec[], jsonText: boolean): ExamplePageRow {
  const data: Record<string, unknown> = {};
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const v = r[COMMON.length + i];
    if (v === null || v === undefined) data[spec.name] = null;
    else if (spec.kind === "real" || spec.kind === "integer") data[spec.name] = toNumber(v);
    // TypeORM's SQLite driver hydrates a boolean column as `value ? true : false`.
    else if (spec.kind === "boolean") data[spec.name] = toBoolean(jsonText ? Boolean(v) : v);
    else if (spec.kind === "json") data[spec.name] = jsonText && typeof v === "string" ? JSON.parse(v) : v;
    else data[spec.name] = v;
  }
  const sources = r[6];
  const score = r[4];
  return {
    id: r[0] as string,
    questionId: r[1] as string,
    data,
    model: r[2] as string,
    provider: r[3] as string,
    qualityScore: score === null || score === undefined ? null : toNumber(score),
    reviewStatus: r[5] as ReviewStatus,
    sources:
      sources === null || sources === undefined
        ? []
        : jsonText && typeof sources === "string"
          ? (JSON.parse(sources) as string[])
          : (sources as string[]),
  };
}

function toNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string" && v.trim() !== "") return Number(v);
  return 0;
}

function toBoolean(v: unknown): boolean {
  return v === true || v === 1 || v === "1" || v === "t" || v === "true";
}

function positiveInt(n: number, fallback: number): number {
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : fallback;
}
