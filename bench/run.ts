/**
 * Engine benchmarks (`npm run bench`, or one of them: `npx tsx bench/run.ts throughput`).
 *
 *   throughput  examples/hour against the ideal C·3600/(k·L) at C = 16, 64, 256, L = 200 ms,
 *               through the Gemini-wire server (real genai client, HTTP, JSON)
 *   scale       offline runs on SQLite at N = 1k, 5k, 10k: wall time and peak RSS (each in its own process)
 *   faults      1,000 examples under 20% injected 429/503 and 5% malformed outputs: exact N, every failure recorded
 *   kill        SIGKILL at random points five times, then resume: zero lost, zero duplicated
 *
 * Prints a table per benchmark and, last, one JSON line with every figure.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { newId, sha256 } from "../src/core/ids.js";
import { geminiModels, offlineModels } from "../src/models/factories.js";
import { createPipeline, defaultStages } from "../src/pipeline/pipeline.js";
import type { RunStage } from "../src/pipeline/stage.js";
import { sqliteStore } from "../src/storage/typeorm-store.js";
import { startGeminiWireServer } from "../src/testing/index.js";

const ROOT = join(import.meta.dirname, "..");
const KEY = "bench-key-0000000000";
type Row = Record<string, string | number | boolean | null>;

function table(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  if (!rows.length) return;
  const cols = Object.keys(rows[0]!);
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  console.log(cols.map((c, i) => c.padEnd(w[i]!)).join("  "));
  for (const r of rows) console.log(cols.map((c, i) => String(r[c]).padEnd(w[i]!)).join("  "));
}

const tmpDb = (name: string) => join(mkdtempSync(join(tmpdir(), "sf-bench-")), `${name}.db`);
const sql = <T>(db: string, q: string, p: unknown[] = []) => {
  const d = new Database(db, { timeout: 5000 });
  try {
    return d.prepare(q).all(...p) as T[];
  } finally {
    d.close();
  }
};

/** (1) Throughput against C·3600/(k·L). */
async function throughput(): Promise<Row[]> {
  const L = 200;
  const server = await startGeminiWireServer({ latencyMs: L });
  const rows: Row[] = [];
  try {
    for (const C of [16, 64, 256]) {
      const store = sqliteStore({ path: tmpDb(`tp${C}`) });
      // The wire server is the only limit here: lift the per-model defaults (1,000 RPM for flash).
      const unlimited = { requestsPerMinute: 1e9, inputTokensPerMinute: 1e12, maxConcurrency: 4096 };
      const models = geminiModels({
        apiKey: KEY,
        baseUrl: server.url,
        retries: 0,
        rateLimits: {
          "gemini-2.5-flash": unlimited,
          "gemini-2.0-flash": unlimited,
          "gemini-3-pro-preview": unlimited,
        },
      });
      const pipeline = createPipeline({ storage: store, models, concurrency: C, cache: false });
      const N = C * 3;
      const t0 = performance.now();
      const s = await pipeline.run({ count: N, trainingType: "sft", topic: "organic chemistry" }).done;
      const hours = (performance.now() - t0) / 3_600_000;
      const k = s.callsPerApproved ?? Number.NaN;
      const ideal = (C * 3600) / (k * (L / 1000));
      const achieved = s.counts.approved / hours;
      rows.push({
        C,
        N,
        approved: s.counts.approved,
        k: Number(k.toFixed(3)),
        "wall s": Number((hours * 3600).toFixed(1)),
        "examples/h": Math.round(achieved),
        "ideal/h": Math.round(ideal),
        "achieved/ideal": Number((achieved / ideal).toFixed(3)),
      });
      await pipeline.close();
    }
  } finally {
    await server.close();
  }
  table("(1) throughput vs ideal C·3600/(k·L), L = 200 ms (the run includes plan and question calls)", rows);
  return rows;
}

/** One offline run in this process (used by `scale` in a child process). */
async function scaleOne(n: number, topic = process.env.BENCH_TOPIC ?? "organic chemistry"): Promise<void> {
  const db = tmpDb(`scale${n}`);
  // The offline question writer draws from a small corpus (a few hundred distinct questions per
  // topic), so the scale runs write their questions with a stage of their own; research,
  // generation and review run as usual on the offline provider.
  const questions: RunStage = {
    name: "questions",
    scope: "run",
    repeatable: true,
    async run(ctx) {
      if (ctx.need <= 0 || !ctx.plan) return;
      const made = (await ctx.store.countQuestions(ctx.runId)) as Record<string, number>;
      const start = Object.values(made).reduce((a, b) => a + b, 0);
      const subs = ctx.plan.subTopics;
      const rows = Array.from({ length: ctx.need }, (_, i) => {
        const k = start + i;
        const sub = subs[k % subs.length]!;
        const text = `Question ${k}: explain ${sub.name} step ${k} of ${ctx.plan!.topic}, case ${k * 7919}`;
        return {
          id: newId("q"),
          runId: ctx.runId,
          topic: ctx.plan!.topic,
          subTopic: sub.name,
          difficulty: "medium" as const,
          text,
          textHash: sha256(text),
        };
      });
      for (let i = 0; i < rows.length; i += 500) await ctx.store.insertQuestions(rows.slice(i, i + 500));
    },
  };
  const pipeline = createPipeline({
    storage: sqliteStore({ path: db }),
    models: offlineModels(),
    concurrency: 64,
    stages: defaultStages().replace("questions", questions),
  });
  const t0 = performance.now();
  const s = await pipeline.run({ count: n, trainingType: "sft", topic }).done;
  const wall = (performance.now() - t0) / 1000;
  await pipeline.close();
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(
    JSON.stringify({
      N: n,
      status: s.status,
      ...(s.stopReason ? { why: s.stopReason } : {}),
      approved: s.counts.approved,
      "wall s": Number(wall.toFixed(1)),
      "examples/s": Math.round(n / wall),
      "peak RSS MB": Math.round(rss),
      k: Number((s.callsPerApproved ?? 0).toFixed(3)),
    }),
  );
}

function child(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", join(ROOT, "bench", "run.ts"), ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("error", reject);
    p.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`bench child ${args.join(" ")} exited ${code}`)),
    );
  });
}

/** (2) 1k / 5k / 10k offline examples on SQLite: wall time and peak RSS. */
async function scale(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const n of [1000, 5000, 10_000])
    rows.push(JSON.parse((await child(["scale-one", String(n)])).trim().split("\n").at(-1)!) as Row);
  table("(2) offline runs on SQLite, concurrency 64: wall time and peak RSS (each in its own process)", rows);
  return rows;
}

/** (3) 20% 429/503 and 5% malformed outputs. */
async function faults(): Promise<Row[]> {
  const server = await startGeminiWireServer({
    seed: 42,
    faults: { rate429: 0.1, rate503: 0.1, malformedRate: 0.05, retryDelay: "0.02s" },
  });
  const db = tmpDb("faults");
  const store = sqliteStore({ path: db });
  const models = geminiModels({
    apiKey: KEY,
    baseUrl: server.url,
    retries: 8,
    baseDelayMs: 5,
    maxDelayMs: 100,
    rateLimits: { "gemini-2.5-flash": { requestsPerMinute: 1e9, inputTokensPerMinute: 1e12 } },
  });
  const pipeline = createPipeline({ storage: store, models, concurrency: 64, cache: false });
  const N = 1000;
  const t0 = performance.now();
  const s = await pipeline.run({ count: N, trainingType: "sft", topic: "organic chemistry" }).done;
  const wall = (performance.now() - t0) / 1000;
  await pipeline.close();
  await server.close();
  const one = <T>(q: string) => sql<T>(db, q, [s.runId])[0]!;
  const approved = one<{ n: number }>(
    "SELECT COUNT(*) AS n FROM synthetic_data_sft WHERE run_id = ? AND review_status = 'approved'",
  ).n;
  const dup = one<{ n: number }>(
    "SELECT COUNT(*) - COUNT(DISTINCT question_id) AS n FROM synthetic_data_sft WHERE run_id = ?",
  ).n;
  const errorCalls = one<{ n: number }>(
    "SELECT COUNT(*) AS n FROM llm_calls WHERE run_id = ? AND status = 'error'",
  ).n;
  const silent = one<{ n: number }>(
    "SELECT COUNT(*) AS n FROM questions q WHERE run_id = ? AND status IN ('rejected','failed') AND NOT EXISTS (SELECT 1 FROM failures f WHERE f.question_id = q.id)",
  ).n;
  const invalid = one<{ n: number }>(
    "SELECT COUNT(*) AS n FROM failures WHERE run_id = ? AND reason LIKE 'invalid model output%'",
  ).n;
  const injected = (server.stats.faults["429"] ?? 0) + (server.stats.faults["503"] ?? 0);
  const rows: Row[] = [
    {
      N,
      status: s.status,
      approved,
      duplicates: dup,
      "429/503 injected": injected,
      "error calls recorded": errorCalls,
      "malformed injected": server.stats.faults.malformed ?? 0,
      "invalid-output failures": invalid,
      "dropped w/o reason": silent,
      "wall s": Number(wall.toFixed(1)),
    },
  ];
  table("(3) 20% 429/503 + 5% malformed outputs through the wire server", rows);
  return rows;
}

/** (4) SIGKILL at random points five times, then resume. */
async function kill(): Promise<Row[]> {
  const server = await startGeminiWireServer({ latencyMs: 10, seed: 9 });
  const cwd = mkdtempSync(join(tmpdir(), "sf-bench-kill-"));
  const db = join(cwd, "synthforge.db");
  writeFileSync(
    join(cwd, "synthforge.config.yaml"),
    `provider: gemini\ngemini:\n  baseUrl: ${server.url}\n  retries: 0\nconcurrency: 16\n`,
  );
  const env = { ...process.env, GEMINI_API_KEY: KEY };
  const N = 200;
  const bin = join(ROOT, "bin", "synthforge.js");
  const rows: Row[] = [];
  const approved = () => {
    try {
      return sql<{ n: number }>(
        db,
        "SELECT COUNT(*) AS n FROM synthetic_data_sft WHERE review_status = 'approved'",
      )[0]!.n;
    } catch {
      return 0;
    }
  };
  for (let i = 0; i < 5; i++) {
    const args =
      i === 0
        ? ["generate", `Generate ${N} SFT examples about organic chemistry`, "--yes"]
        : ["resume", "latest"];
    const p = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: "ignore" });
    const exited = new Promise<void>((r) => p.on("exit", () => r()));
    const after = 300 + Math.floor(Math.random() * 1500);
    await new Promise((r) => setTimeout(r, after));
    p.kill("SIGKILL");
    await exited;
    rows.push({ kill: i + 1, "after ms": after, "approved so far": approved() });
  }
  const final = await new Promise<number | null>((resolve) => {
    const p = spawn(process.execPath, [bin, "resume", "latest"], { cwd, env, stdio: "ignore" });
    p.on("exit", (code) => resolve(code));
  });
  await server.close();
  const ok = approved();
  const dup = sql<{ n: number }>(
    db,
    "SELECT COUNT(*) - COUNT(DISTINCT question_id) AS n FROM synthetic_data_sft",
  )[0]!.n;
  const q = sql<{ n: number }>(db, "SELECT COUNT(*) AS n FROM questions WHERE status = 'approved'")[0]!.n;
  rows.push({ kill: "resume", "after ms": null, "approved so far": ok });
  table(
    `(4) SIGKILL five times, then resume (N = ${N}): exit ${final}, approved ${ok}, questions approved ${q}, duplicate examples ${dup}, lost ${N - ok}`,
    rows,
  );
  return [...rows, { N, final: ok, lost: N - ok, duplicates: dup, exit: final }];
}

const BENCHES: Record<string, () => Promise<Row[]>> = { throughput, scale, faults, kill };

async function main(): Promise<void> {
  const [what = "all", arg] = process.argv.slice(2);
  if (what === "scale-one") return scaleOne(Number(arg));
  const names = what === "all" ? Object.keys(BENCHES) : [what];
  const results: Record<string, Row[]> = {};
  for (const name of names) {
    const bench = BENCHES[name];
    if (!bench)
      throw new Error(`unknown benchmark "${name}"; pick one of ${Object.keys(BENCHES).join(", ")} or all`);
    results[name] = await bench();
  }
  console.log(JSON.stringify(results));
}

await main();
process.exit(0);
