/**
 * Export benchmark: 1,000,000 stored rows → JSONL and → Parquet, printing rows/s and the
 * peak RSS of each export.
 *
 *   npm run bench:export                    # 1,000,000 SFT rows
 *   npx tsx bench/export.ts --rows 200000 --type dpo --format trl-dpo --keep
 *
 * The database is built under the OS temp folder (about 1 GB for a million SFT rows;
 * `--keep` keeps it for the next run): one offline run makes a real example of the type,
 * and SQL copies its question and example rows N times (distinct ids, prompts numbered). Each export then runs in a fresh Node process through the
 * public `exportRun`, so its peak RSS is its own.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import type { BuiltinTrainingTypeName as TrainingTypeName } from "../src/core/types.js";
import { exportRun } from "../src/pipeline/export.js";
import { EXAMPLE_COLUMNS } from "../src/storage/schema.js";
import { sqliteStore } from "../src/storage/typeorm-store.js";
import { formatsByType } from "../src/training-types/index.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const ROWS = Number(arg("rows", "1000000"));
const TYPE = arg("type", "sft") as TrainingTypeName;
const FORMAT = arg("format", formatsByType()[TYPE]?.[0] ?? "trl-sft-messages");
const WORK = join(tmpdir(), "synthforge-bench");
const DB = join(WORK, `export-${TYPE}-${ROWS}.db`);

/** Builds the benchmark database (once): a real offline example, copied `ROWS` times with SQL. */
async function buildDatabase(): Promise<string> {
  mkdirSync(WORK, { recursive: true });
  if (existsSync(DB)) {
    const sqlite = new Database(DB, { readonly: true });
    const run = sqlite.prepare("SELECT id FROM runs WHERE request = 'bench'").get() as
      | { id: string }
      | undefined;
    sqlite.close();
    if (run) return run.id;
  }
  rmSync(DB, { force: true });
  // Loaded here only: the export children do not pay for the agents and models.
  const { createPipeline } = await import("../src/pipeline/pipeline.js");
  const store = sqliteStore({ path: DB });
  const pipeline = createPipeline({ storage: store });
  const summary = await pipeline.run(`Generate 1 ${TYPE} example about stoichiometry`).done;
  await pipeline.close();
  if (summary.counts.approved !== 1)
    throw new Error(`the seed run approved ${summary.counts.approved} examples`);

  const started = Date.now();
  const sqlite = new Database(DB);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = OFF");
  const table = `synthetic_data_${TYPE}`;
  const template = sqlite
    .prepare(`SELECT * FROM ${table} WHERE run_id = ? AND review_status = 'approved'`)
    .get(summary.runId) as Record<string, unknown>;
  const text = EXAMPLE_COLUMNS[TYPE].find((c) => c.kind === "text" && !c.nullable)!.name;
  sqlite.prepare("UPDATE runs SET request = 'bench' WHERE id = ?").run(summary.runId);
  const copy = sqlite.transaction(() => {
    sqlite.exec(`
      WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${ROWS - 1})
      INSERT INTO questions (id, run_id, topic, sub_topic, difficulty, text, text_hash, status, ground_truth_context,
                             synthesized_context, context_sources, revisions, created_at, updated_at)
      SELECT printf('q_bench_%09d', i), run_id, topic, sub_topic, difficulty, text || ' (' || i || ')', text_hash || i, status,
             NULL, NULL, NULL, revisions, created_at, updated_at
      FROM seq, (SELECT * FROM questions WHERE id = '${template.question_id}');`);
    const cols = Object.keys(template).filter((c) => c !== "id" && c !== "question_id");
    const values = cols.map((c) => (c === text ? `${c} || ' (' || i || ')'` : c));
    sqlite.exec(`
      WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${ROWS - 1})
      INSERT INTO ${table} (id, question_id, ${cols.join(", ")})
      SELECT printf('ex_bench_%09d', i), printf('q_bench_%09d', i), ${values.join(", ")}
      FROM seq, (SELECT * FROM ${table} WHERE id = '${template.id}');`);
  });
  copy();
  sqlite.close();
  console.log(
    `built ${ROWS.toLocaleString("en-US")} ${TYPE} rows in ${((Date.now() - started) / 1000).toFixed(1)} s → ${DB}`,
  );
  return summary.runId;
}

/** One export in this process (the child side); prints a JSON line with its figures. */
async function child(fileType: "jsonl" | "parquet", runId: string): Promise<void> {
  const out = join(WORK, `export-${TYPE}.${fileType}`);
  const store = sqliteStore({ path: DB });
  await store.init();
  const started = process.hrtime.bigint();
  const res = await exportRun(store, runId, { format: FORMAT, out, batchSize: 2000 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await store.close();
  const peakRss = process.resourceUsage().maxRSS * 1024;
  console.log(
    JSON.stringify({
      fileType,
      rows: res.rows,
      seconds,
      rowsPerSecond: res.rows / seconds,
      peakRss,
      bytes: statSync(out).size,
    }),
  );
  rmSync(out, { force: true });
}

async function parent(): Promise<void> {
  const runId = await buildDatabase();
  console.log(
    `exporting ${ROWS.toLocaleString("en-US")} ${TYPE} rows as ${FORMAT} (fresh process per export)`,
  );
  console.log("file type   rows/s      time     peak RSS   file size");
  for (const fileType of ["jsonl", "parquet"] as const) {
    const self = fileURLToPath(import.meta.url);
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        self,
        "--child",
        fileType,
        "--run",
        runId,
        "--rows",
        String(ROWS),
        "--type",
        TYPE,
        "--format",
        FORMAT,
      ],
      {
        encoding: "utf8",
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    if (r.status !== 0) throw new Error(`${fileType} export failed:\n${r.stderr}`);
    const m = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
    console.log(
      `${fileType.padEnd(10)} ${Math.round(m.rowsPerSecond).toLocaleString("en-US").padStart(8)}  ${m.seconds.toFixed(1).padStart(6)} s  ${mb(m.peakRss).padStart(9)}  ${mb(m.bytes).padStart(9)}`,
    );
  }
  if (!process.argv.includes("--keep"))
    for (const f of [DB, `${DB}-wal`, `${DB}-shm`]) rmSync(f, { force: true });
}

if (process.argv.includes("--child"))
  await child(arg("child", "jsonl") as "jsonl" | "parquet", arg("run", ""));
else await parent();
