/**
 * Attribution-ledger benchmark: N stored examples grounded in K sources → the ledger
 * (`writeAttribution`), printing examples/s and peak RSS. The ledger streams the examples
 * and keeps only distinct source ids, so memory follows K, not N.
 *
 *   npx tsx bench/attribution.ts                       # 1,000,000 examples, 5,000 sources
 *   npx tsx bench/attribution.ts --rows 200000 --sources 1000
 *
 * The database is built once under the OS temp folder (rows inserted with SQL).
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { newId, sha256 } from "../src/core/ids.js";
import { writeAttribution } from "../src/export/attribution.js";
import { sqliteStore } from "../src/storage/typeorm-store.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const ROWS = Number(arg("rows", "1000000"));
const SOURCES = Number(arg("sources", "5000"));
const WORK = join(tmpdir(), "synthforge-bench");
const DB = join(WORK, `attribution-${ROWS}-${SOURCES}.db`);

async function build(): Promise<string> {
  mkdirSync(WORK, { recursive: true });
  if (existsSync(DB)) {
    const sqlite = new Database(DB, { readonly: true });
    const run = sqlite.prepare("SELECT id FROM runs WHERE request = 'bench-attribution'").get() as
      | { id: string }
      | undefined;
    sqlite.close();
    if (run) return run.id;
  }
  rmSync(DB, { force: true });
  const store = sqliteStore({ path: DB });
  await store.init();
  const run = await store.createRun({
    id: newId("run"),
    request: "bench-attribution",
    trainingType: "sft",
    topic: "bench",
    targetCount: ROWS,
    config: {},
    status: "completed",
    provider: "offline",
  });
  const sources = await store.upsertSources(
    Array.from({ length: SOURCES }, (_, i) => ({
      url: `https://example.org/doc/${i}`,
      title: `Document ${i}`,
      authors: ["A. Author"],
      published: "2024-01-01",
      adapter: "bench",
      licence: i % 10 === 0 ? "CC-BY-SA-4.0" : "CC-BY-4.0",
      licenceUrl: null,
      isPermissive: true,
      attributionRequired: true,
      commercialUseAllowed: true,
      shareAlike: i % 10 === 0,
      noDerivatives: false,
      licenceEvidence: "bench",
      contentHash: sha256(`doc ${i}`),
      flags: [],
    })),
  );
  await store.close();
  const started = Date.now();
  const sqlite = new Database(DB);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = OFF");
  const now = new Date().toISOString().replace("T", " ").replace("Z", "");
  const q = sqlite.prepare(
    "INSERT INTO questions (id, run_id, topic, sub_topic, difficulty, text, text_hash, status, revisions, created_at, updated_at) VALUES (?, ?, 'bench', 's', 'easy', ?, ?, 'approved', 0, ?, ?)",
  );
  const e = sqlite.prepare(
    "INSERT INTO synthetic_data_sft (id, run_id, question_id, model, provider, quality_score, review_status, sources, revision, created_at, updated_at, system, prompt, response) VALUES (?, ?, ?, 'offline', 'offline', 0.9, 'approved', ?, 0, ?, ?, NULL, ?, 'An answer.')",
  );
  const insert = sqlite.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const qid = `q_${String(i).padStart(9, "0")}`;
      q.run(qid, run.id, `Question ${i}?`, `h${i}`, now, now);
      const used = [sources[i % SOURCES]!.id, sources[(i * 7) % SOURCES]!.id];
      e.run(
        `ex_${String(i).padStart(9, "0")}`,
        run.id,
        qid,
        JSON.stringify(used),
        now,
        now,
        `Question ${i}?`,
      );
    }
  });
  for (let i = 0; i < ROWS; i += 50_000) insert(i, Math.min(ROWS, i + 50_000));
  sqlite.close();
  console.log(
    `built ${ROWS.toLocaleString()} examples over ${SOURCES.toLocaleString()} sources in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return run.id;
}

const runId = await build();
const store = sqliteStore({ path: DB });
await store.init();
const run = (await store.getRun(runId))!;
let peak = process.memoryUsage().rss;
const timer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 50);
const started = Date.now();
const res = await writeAttribution(store, run, { out: join(WORK, "bench-train.jsonl") });
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage().rss);
const secs = (Date.now() - started) / 1000;
await store.close();
console.log(
  `ledger: ${res.examples.toLocaleString()} examples, ${res.sources.toLocaleString()} sources in ${secs.toFixed(1)} s ` +
    `(${Math.round(res.examples / secs).toLocaleString()} examples/s), peak RSS ${Math.round(peak / 1e6)} MB → ${res.markdown}`,
);
