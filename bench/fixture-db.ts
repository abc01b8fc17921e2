/**
 * The big benchmark database of `bench/studio.ts` and `bench/export.ts`: one offline run
 * makes real examples of a type, and SQL copies their question and example rows N times
 * (distinct ids, the question and the first text column numbered). Built once per path;
 * a later call finds the run (its `request` is set to `bench`) and only brings the schema
 * up to date, so that migrations never run inside a measurement.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import type { TrainingTypeName } from "../src/core/types.js";
import { exampleColumns, exampleTable } from "../src/storage/schema.js";
import { postgresStore, sqliteStore } from "../src/storage/typeorm-store.js";

/** What {@link buildFixtureDatabase} builds. */
export interface FixtureOptions {
  /** A SQLite file, or a PostgreSQL database (`postgres://…`, existing and empty or built before). */
  path?: string;
  url?: string;
  /** The request of the seed run, e.g. "Generate 8 DPO examples about organic chemistry". */
  request: string;
  type: TrainingTypeName;
  /** Copies to add (numbered 1 … copies). */
  copies: number;
  /**
   * `"approved"`: copy the seed run's only approved example (the run must approve exactly
   * one), questions without their contexts. `"all"`: cycle through every example of the
   * seed run, keep the question contexts, spread scores over [0, 1] and review statuses
   * (a tenth `needs_revision`, a tenth `rejected`), add one judge verdict per copy (failed
   * for the rejected), then ANALYZE.
   */
  mode: "approved" | "all";
}

/** The run of the fixture, and how long copying took (null when it existed). */
export interface Fixture {
  runId: string;
  builtSeconds: number | null;
}

/** The few statements the builder needs, on one connection of either engine. */
interface Conn {
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

async function connect(opts: FixtureOptions, readonly = false): Promise<Conn> {
  if (opts.url) {
    const client = new pg.Client({ connectionString: opts.url });
    await client.connect();
    return {
      all: async (sql, params) => (await client.query(sql, params as unknown[])).rows,
      exec: async (sql) => {
        await client.query(sql);
      },
      close: () => client.end(),
    };
  }
  const sqlite = new Database(opts.path!, { readonly });
  if (!readonly) {
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("synchronous = OFF");
  }
  return {
    all: async <T>(sql: string, params: unknown[] = []) => {
      const st = sqlite.prepare(sql.replace(/\$\d+/g, "?"));
      if (st.reader) return st.all(...params) as T[];
      st.run(...params);
      return [];
    },
    exec: async (sql) => {
      sqlite.exec(sql);
    },
    close: async () => {
      sqlite.close();
    },
  };
}

const openStore = (opts: FixtureOptions) =>
  opts.url ? postgresStore({ url: opts.url }) : sqliteStore({ path: opts.path! });

/** Builds the fixture database once (see the module's documentation). */
export async function buildFixtureDatabase(opts: FixtureOptions): Promise<Fixture> {
  const pgsql = Boolean(opts.url);
  if (!pgsql) mkdirSync(dirname(opts.path!), { recursive: true });
  if (pgsql || existsSync(opts.path!)) {
    const conn = await connect(opts, !pgsql);
    const run = await conn
      .all<{ id: string }>("SELECT id FROM runs WHERE request = 'bench'")
      .then((r) => r[0])
      .catch(() => undefined);
    await conn.close();
    if (run) {
      // Pending migrations run here, not in the first measured process.
      const store = openStore(opts);
      await store.init();
      await store.close();
      return { runId: run.id, builtSeconds: null };
    }
  }
  if (!pgsql) rmSync(opts.path!, { force: true });
  // Loaded here only: processes that just read the database do not pay for the agents and models.
  const { createPipeline } = await import("../src/pipeline/pipeline.js");
  const pipeline = createPipeline({ storage: openStore(opts) });
  const summary = await pipeline.run(opts.request).done;
  await pipeline.close();
  if (opts.mode === "approved" && summary.counts.approved !== 1)
    throw new Error(`the seed run approved ${summary.counts.approved} examples`);

  const started = Date.now();
  const conn = await connect(opts);
  const table = exampleTable(opts.type);
  const text = exampleColumns(opts.type)!.find((c) => c.kind === "text" && !c.nullable)!.name;
  const seeds = await conn.all<{ id: string; question_id: string }>(
    `SELECT id, question_id FROM ${table} WHERE run_id = $1${opts.mode === "approved" ? " AND review_status = 'approved'" : ""} ORDER BY id`,
    [summary.runId],
  );
  const n = seeds.length;
  const cols = (
    await conn.all<{ name: string }>(
      pgsql
        ? `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '${table}' ORDER BY ordinal_position`
        : `SELECT name FROM pragma_table_info('${table}')`,
    )
  )
    .map((c) => c.name)
    .filter((c) => c !== "id" && c !== "question_id");
  const spread = opts.mode === "all";
  const values = cols.map((c) => {
    if (c === text) return `x.${c} || ' (' || i || ')'`;
    if (spread && c === "quality_score") return "(i % 101) / 100.0";
    if (spread && c === "review_status")
      return "CASE WHEN i % 10 = 0 THEN 'needs_revision' WHEN i % 10 = 1 THEN 'rejected' ELSE 'approved' END";
    return `x.${c}`;
  });
  const context = spread
    ? "q.ground_truth_context, q.synthesized_context, q.context_sources"
    : "NULL, NULL, NULL";
  const id = (prefix: string) =>
    pgsql ? `'${prefix}' || lpad(i::text, 9, '0')` : `printf('${prefix}%09d', i)`;
  await conn.all("UPDATE runs SET request = 'bench' WHERE id = $1", [summary.runId]);
  await conn.exec("BEGIN");
  await conn.exec("CREATE TEMP TABLE seeds (k INTEGER PRIMARY KEY, ex TEXT, q TEXT)");
  for (const [k, s] of seeds.entries())
    await conn.all("INSERT INTO seeds (k, ex, q) VALUES ($1, $2, $3)", [k, s.id, s.question_id]);
  await conn.exec(`
    WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${opts.copies})
    INSERT INTO questions (id, run_id, topic, sub_topic, difficulty, text, text_hash, status, ground_truth_context,
                           synthesized_context, context_sources, revisions, created_at, updated_at)
    SELECT ${id("q_bench_")}, q.run_id, q.topic, q.sub_topic, q.difficulty, q.text || ' (' || i || ')',
           q.text_hash || i, q.status, ${context}, q.revisions, q.created_at, q.updated_at
    FROM seq JOIN seeds s ON s.k = i % ${n} JOIN questions q ON q.id = s.q;`);
  await conn.exec(`
    WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${opts.copies})
    INSERT INTO ${table} (id, question_id, ${cols.join(", ")})
    SELECT ${id("ex_bench_")}, ${id("q_bench_")}, ${values.join(", ")}
    FROM seq JOIN seeds s ON s.k = i % ${n} JOIN ${table} x ON x.id = s.ex;`);
  if (spread)
    await conn.exec(`
      INSERT INTO reviews (id, run_id, example_id, question_id, training_type, round, seq, kind, score, passed, reasons, raw, created_at)
      SELECT 'rev_' || x.id, x.run_id, x.id, x.question_id, '${opts.type}', 0, 100, 'judge', COALESCE(x.quality_score, 0),
             x.review_status <> 'rejected', '[]', NULL, x.created_at
      FROM ${table} x WHERE x.id LIKE 'ex_bench_%';`);
  await conn.exec("COMMIT");
  if (spread) await conn.exec("ANALYZE");
  await conn.close();
  return { runId: summary.runId, builtSeconds: (Date.now() - started) / 1000 };
}
