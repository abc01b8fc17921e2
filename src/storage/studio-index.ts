import type { QueryRunner } from "typeorm";
import type { TrainingTypeName } from "../core/types.js";
import type { StoreKind } from "./entities.js";
import { exampleColumns } from "./schema.js";
import { TableIndex } from "./typeorm-lazy.js";

/**
 * The studio's search structures beside a table (an example table or `questions`), kept
 * in sync by the database itself so that every writer (the pipeline, workers, the
 * studio, another process) keeps them current:
 *
 * - SQLite: `studio_keys_<table>` (a stable integer key per row, its `run_id` and
 *   `sources`) and `studio_fts_<table>`, a contentless FTS5 table with the `trigram`
 *   tokenizer over the searched text columns, both maintained by triggers on insert,
 *   update and delete. A trigram match of the search text is a superset of the rows whose
 *   columns `LIKE '%text%'` (its case folding covers ASCII's), so the studio narrows with
 *   it and then applies the exact `LIKE` to the few candidates.
 * - PostgreSQL: a `pg_trgm` GIN index on the concatenated text columns (an expression
 *   index, which TypeORM's schema comparison does not see), when the extension can be
 *   created; `ILIKE` on the same expression narrows the same way.
 *
 * Everything is created with `IF NOT EXISTS` and filled from the table's rows when it is
 * made, so installing twice changes nothing.
 */

/** Something that runs SQL: a TypeORM `QueryRunner` or `DataSource`. */
interface Sql {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** The names of the search structures beside `table`. */
export function studioSearchNames(table: string): { keys: string; fts: string; trgm: string } {
  return { keys: `studio_keys_${table}`, fts: `studio_fts_${table}`, trgm: `IDX_${table}_trgm` };
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The PostgreSQL expression the trigram index covers: the columns, as text, joined. */
export function postgresSearchExpression(columns: string[], alias = ""): string {
  const a = alias ? `${alias}.` : "";
  return `(${columns.map((c) => `COALESCE(${a}${q(c)}::text, '')`).join(" || ' ' || ")})`;
}

/** True when PostgreSQL has `pg_trgm` (creating it when this role may). */
async function ensurePgTrgm(db: Sql): Promise<boolean> {
  // A failure (no privilege, extension not installed) is contained in the block's subtransaction.
  await db.query(
    "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; EXCEPTION WHEN OTHERS THEN NULL; END $$",
  );
  const rows = (await db.query("SELECT 1 AS ok FROM pg_extension WHERE extname = 'pg_trgm'")) as unknown[];
  return rows.length > 0;
}

/**
 * Creates the search structures of `table` over `columns` (text columns; JSON columns
 * are searched as their stored text) and fills them from its rows. `withRow` adds the
 * row's `run_id` and `sources` to the SQLite key table (example tables).
 */
export async function installStudioSearch(
  db: Sql,
  kind: StoreKind,
  table: string,
  columns: string[],
  withRow: boolean,
): Promise<void> {
  if (columns.length === 0) return;
  const n = studioSearchNames(table);
  if (kind === "postgres") {
    if (!(await ensurePgTrgm(db))) return;
    await db.query(
      `CREATE INDEX IF NOT EXISTS ${q(n.trgm)} ON ${q(table)} USING gin (${postgresSearchExpression(columns)} gin_trgm_ops)`,
    );
    return;
  }
  const existing = (await db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", [
    n.fts,
  ])) as unknown[];
  if (existing.length > 0) return;
  const cols = columns.map(q);
  const extra = withRow ? ", run_id, sources" : "";
  await db.query(
    `CREATE TABLE ${q(n.keys)} (k INTEGER PRIMARY KEY, id VARCHAR NOT NULL UNIQUE${withRow ? ", run_id VARCHAR NOT NULL, sources TEXT NOT NULL" : ""})`,
  );
  if (withRow) await db.query(`CREATE INDEX ${q(`IDX_${n.keys}_run_id`)} ON ${q(n.keys)} (run_id)`);
  await db.query(
    `CREATE VIRTUAL TABLE ${q(n.fts)} USING fts5(${cols.join(", ")}, content='', contentless_delete=1, tokenize='trigram')`,
  );
  const key = (row: "new" | "old") => `(SELECT k FROM ${q(n.keys)} WHERE id = ${row}.id)`;
  const values = (row: "new" | "old") => cols.map((c) => `${row}.${c}`).join(", ");
  const changed = cols.map((c) => `old.${c} IS NOT new.${c}`).join(" OR ");
  await db.query(
    `CREATE TRIGGER ${q(`${n.fts}_insert`)} AFTER INSERT ON ${q(table)} BEGIN ` +
      `INSERT INTO ${q(n.keys)} (id${extra}) VALUES (new.id${withRow ? ", new.run_id, new.sources" : ""}); ` +
      `INSERT INTO ${q(n.fts)} (rowid, ${cols.join(", ")}) VALUES (${key("new")}, ${values("new")}); END`,
  );
  if (withRow)
    await db.query(
      `CREATE TRIGGER ${q(`${n.fts}_row`)} AFTER UPDATE OF run_id, sources ON ${q(table)} BEGIN ` +
        `UPDATE ${q(n.keys)} SET run_id = new.run_id, sources = new.sources WHERE id = new.id; END`,
    );
  await db.query(
    `CREATE TRIGGER ${q(`${n.fts}_update`)} AFTER UPDATE OF ${cols.join(", ")} ON ${q(table)} WHEN ${changed} BEGIN ` +
      `DELETE FROM ${q(n.fts)} WHERE rowid = ${key("new")}; ` +
      `INSERT INTO ${q(n.fts)} (rowid, ${cols.join(", ")}) VALUES (${key("new")}, ${values("new")}); END`,
  );
  await db.query(
    `CREATE TRIGGER ${q(`${n.fts}_delete`)} AFTER DELETE ON ${q(table)} BEGIN ` +
      `DELETE FROM ${q(n.fts)} WHERE rowid = ${key("old")}; ` +
      `DELETE FROM ${q(n.keys)} WHERE id = old.id; END`,
  );
  await db.query(`INSERT INTO ${q(n.keys)} (id${extra}) SELECT id${extra} FROM ${q(table)} ORDER BY rowid`);
  await db.query(
    `INSERT INTO ${q(n.fts)} (rowid, ${cols.join(", ")}) SELECT k.k, ${cols.map((c) => `t.${c}`).join(", ")} ` +
      `FROM ${q(n.keys)} k JOIN ${q(table)} t ON t.id = k.id`,
  );
}

/**
 * The studio's indexes on the example table of a registered training type, created with
 * the table (the built-in tables got them from the `StudioIndexes` migration).
 */
export async function createStudioIndexes(
  runner: QueryRunner,
  kind: StoreKind,
  table: string,
  type: TrainingTypeName,
): Promise<void> {
  await runner.createIndex(
    table,
    new TableIndex({ name: `IDX_${table}_run_id_quality_score`, columnNames: ["run_id", "quality_score"] }),
  );
  await runner.createIndex(
    table,
    new TableIndex({
      name: `IDX_${table}_run_id_question_id`,
      columnNames: ["run_id", "question_id", "review_status", "quality_score"],
    }),
  );
  const text = (exampleColumns(type) ?? []).filter((c) => c.kind === "text" || c.kind === "json");
  await installStudioSearch(
    runner,
    kind,
    table,
    text.map((c) => c.name),
    true,
  );
}
