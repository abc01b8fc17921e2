/**
 * Studio benchmark: latency of the studio's pages and filters over a 100,000-example
 * SQLite database, printing p50/p95 ms per endpoint.
 *
 *   npm run bench:studio
 *   npx tsx bench/studio.ts --rows 20000 --repeat 50 --keep
 *
 * The database is built under the OS temp folder: one offline run makes real DPO
 * examples, and SQL copies them N times (distinct ids and prompts, scores spread over
 * [0, 1], a mix of review statuses, one judge verdict per example, a failed one for a
 * tenth). The studio is served on 127.0.0.1 and every endpoint is requested `--repeat`
 * times after a warm-up, one request at a time, through HTTP with the token.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { sqliteStore } from "../src/storage/typeorm-store.js";
import { serveStudio } from "../src/studio/serve.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const ROWS = Number(arg("rows", "100000"));
const REPEAT = Number(arg("repeat", "30"));
const KEEP = process.argv.includes("--keep");
const WORK = join(tmpdir(), "synthforge-bench");
const DB = join(WORK, `studio-${ROWS}.db`);

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
  const { createPipeline } = await import("../src/pipeline/pipeline.js");
  const store = sqliteStore({ path: DB });
  const pipeline = createPipeline({ storage: store });
  const summary = await pipeline.run("Generate 8 DPO examples about organic chemistry").done;
  await pipeline.close();
  const started = Date.now();
  const sqlite = new Database(DB);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = OFF");
  sqlite.prepare("UPDATE runs SET request = 'bench' WHERE id = ?").run(summary.runId);
  const seeds = sqlite
    .prepare("SELECT id, question_id FROM synthetic_data_dpo WHERE run_id = ? ORDER BY id")
    .all(summary.runId) as Array<{ id: string; question_id: string }>;
  const n = seeds.length;
  const copy = sqlite.transaction(() => {
    sqlite.exec("CREATE TEMP TABLE seeds (k INTEGER PRIMARY KEY, ex TEXT, q TEXT)");
    const ins = sqlite.prepare("INSERT INTO seeds (k, ex, q) VALUES (?, ?, ?)");
    for (const [k, s] of seeds.entries()) ins.run(k, s.id, s.question_id);
    sqlite.exec(`
      WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${ROWS})
      INSERT INTO questions (id, run_id, topic, sub_topic, difficulty, text, text_hash, status, ground_truth_context,
                             synthesized_context, context_sources, revisions, created_at, updated_at)
      SELECT printf('q_bench_%09d', i), q.run_id, q.topic, q.sub_topic, q.difficulty, q.text || ' (' || i || ')',
             q.text_hash || i, q.status, q.ground_truth_context, q.synthesized_context, q.context_sources, q.revisions,
             q.created_at, q.updated_at
      FROM seq JOIN seeds s ON s.k = i % ${n} JOIN questions q ON q.id = s.q;`);
    sqlite.exec(`
      WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${ROWS})
      INSERT INTO synthetic_data_dpo (id, run_id, question_id, model, provider, quality_score, review_status, sources,
                                      revision, created_at, updated_at, prompt, chosen, rejected, chosen_rating,
                                      rejected_rating, rejection_reason, rejection_explanation)
      SELECT printf('ex_bench_%09d', i), x.run_id, printf('q_bench_%09d', i), x.model, x.provider,
             (i % 101) / 100.0,
             CASE WHEN i % 10 = 0 THEN 'needs_revision' WHEN i % 10 = 1 THEN 'rejected' ELSE 'approved' END,
             x.sources, x.revision, x.created_at, x.updated_at, x.prompt || ' (' || i || ')', x.chosen, x.rejected,
             x.chosen_rating, x.rejected_rating, x.rejection_reason, x.rejection_explanation
      FROM seq JOIN seeds s ON s.k = i % ${n} JOIN synthetic_data_dpo x ON x.id = s.ex;`);
    sqlite.exec(`
      INSERT INTO reviews (id, run_id, example_id, question_id, training_type, round, seq, kind, score, passed, reasons, raw, created_at)
      SELECT 'rev_' || x.id, x.run_id, x.id, x.question_id, 'dpo', 0, 100, 'judge', COALESCE(x.quality_score, 0),
             CASE WHEN x.review_status = 'rejected' THEN 0 ELSE 1 END, '[]', NULL, x.created_at
      FROM synthetic_data_dpo x WHERE x.id LIKE 'ex_bench_%';`);
  });
  copy();
  sqlite.exec("ANALYZE");
  sqlite.close();
  console.log(`built ${DB}: ${ROWS} examples in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return summary.runId;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const runId = await buildDatabase();
  const store = sqliteStore({ path: DB });
  await store.init();
  const studio = await serveStudio({ store, port: 0 });
  const base = `http://127.0.0.1:${studio.port}`;
  const headers = { Authorization: `Bearer ${studio.token}` };
  const get = async (path: string) => {
    const r = await fetch(base + path, { headers });
    const body = await r.text();
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${body}`);
    return body;
  };
  const run = `/api/runs/${runId}`;
  const sub = (JSON.parse(await get(`${run}/facets`)) as { subTopics: string[] }).subTopics[0]!;
  // A cursor deep in the run: the 50,000th example of the keyset order.
  const deep = `ex_bench_${String(Math.floor(ROWS / 2)).padStart(9, "0")}`;
  const firstExample = (JSON.parse(await get(`${run}/examples?limit=1`)) as { rows: Array<{ id: string }> })
    .rows[0]!.id;
  const endpoints: Array<[string, string]> = [
    ["runs list", "/api/runs"],
    ["run overview (live poll)", run],
    ["review queue", `${run}/queue?approved=20`],
    ["example detail", `${run}/examples/${firstExample}`],
    ["examples: first page", `${run}/examples`],
    ["examples: page at 50%", `${run}/examples?after=${deep}`],
    ["filter: status", `${run}/examples?status=needs_revision`],
    ["filter: score range", `${run}/examples?minScore=0.4&maxScore=0.6`],
    ["filter: sub-topic", `${run}/examples?subTopic=${encodeURIComponent(sub)}`],
    ["filter: failed check", `${run}/examples?failedCheck=judge`],
    ["filter: licence", `${run}/examples?licence=CC-BY-4.0`],
    ["filter: text search", `${run}/examples?q=${encodeURIComponent("(4242)")}`],
    ["filter: combined", `${run}/examples?status=approved&minScore=0.5&subTopic=${encodeURIComponent(sub)}`],
    ["quality dashboard", `${run}/quality`],
    ["facets", `${run}/facets`],
  ];
  console.log(`studio over ${ROWS} examples; ${REPEAT} requests per endpoint after one warm-up`);
  console.log(`${"endpoint".padEnd(28)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)}`);
  for (const [name, path] of endpoints) {
    await get(path);
    const times: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      const t = performance.now();
      await get(path);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    console.log(
      `${name.padEnd(28)} ${pct(times, 50).toFixed(1).padStart(8)} ${pct(times, 95).toFixed(1).padStart(8)}`,
    );
  }
  await studio.close();
  await store.close();
  if (!KEEP) rmSync(DB, { force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
