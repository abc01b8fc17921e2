/**
 * Engine benchmarks (`npm run bench`, or one of them: `npx tsx bench/run.ts throughput`).
 *
 *   throughput  examples/hour against the ideal C·3600/(k·L) at C = 16, 64, 256, L = 200 ms,
 *               through the Gemini-wire server (real genai client, HTTP, JSON)
 *   scale       offline runs on SQLite at N = 1k, 5k, 10k (BENCH_SCALE_SIZES): wall time and peak RSS
 *               (each in its own process, the V8 heap capped at BENCH_HEAP_MB = 512; then 10k with
 *               the default heap, and 1k at concurrency 8 beside the others' 64)
 *   faults      1,000 examples under 20% injected 429/503 and 5% malformed outputs: exact N, every failure recorded
 *   kill        SIGKILL at random points five times, then resume: zero lost, zero duplicated
 *   sandbox     the code sandboxes' child processes: cold start, warm program, the next program
 *               after a kill (pools of 2 and 1), programs/s with 1 and 2 children
 *   startup     start-up of the built CLI (--version, --help, runs, export) and of import("synthforge"),
 *               as ratios to `node -e 0` in the same run (bench/startup.ts; needs `npm run build`)
 *
 * Prints a table per benchmark and, last, one JSON line with every figure.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { tuneHeap } from "../src/cli/heap.js";
import { geminiModels, offlineModels } from "../src/models/factories.js";
import { createPipeline } from "../src/pipeline/pipeline.js";
import { localFilesSource } from "../src/sources/local-files.js";
import type { SourceAdapter } from "../src/sources/types.js";
import { sqliteStore } from "../src/storage/typeorm-store.js";
import { sandbox } from "./sandbox.js";
import { startup } from "./startup.js";
import { SYNTHETIC_TOPIC, writeSyntheticCorpus } from "./synthetic-corpus.js";
import { startWireChild } from "./wire-server.js";

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

/** Models the pipeline calls, and a rate limit that never binds (the wire server is the only limit). */
const MODELS = ["gemini-2.5-flash", "gemini-2.0-flash", "gemini-3-pro-preview"];
const UNLIMITED = { requestsPerMinute: 1e9, inputTokensPerMinute: 1e12, maxConcurrency: 4096 };

/** (1) Throughput against C·3600/(k·L). */
async function throughput(): Promise<Row[]> {
  const L = 200;
  const server = await startWireChild({ latencyMs: L });
  const rows: Row[] = [];
  const sizes = (process.env.BENCH_C ?? "16,64,256").split(",").map(Number);
  const perSlot = Number(process.env.BENCH_PER_SLOT ?? 40);
  const corpus = writeSyntheticCorpus({ terms: termsFor(Math.max(...sizes) * perSlot) });
  try {
    for (const C of sizes) {
      const { source } = await corpusFor(corpus.dir);
      const store = sqliteStore({ path: tmpDb(`tp${C}`) });
      const models = geminiModels({
        apiKey: KEY,
        baseUrl: server.url,
        retries: 0,
        rateLimits: Object.fromEntries(MODELS.map((m) => [m, UNLIMITED])),
      });
      const pipeline = createPipeline({
        storage: store,
        models,
        concurrency: C,
        cache: false,
        sources: [source],
      });
      const N = C * perSlot;
      const t0 = performance.now();
      const s = await pipeline.run({ count: N, trainingType: "sft", topic: SYNTHETIC_TOPIC }).done;
      const hours = (performance.now() - t0) / 3_600_000;
      const k = s.callsPerApproved ?? Number.NaN;
      const ideal = (C * 3600) / (k * (L / 1000));
      const achieved = s.counts.approved / hours;
      rows.push({
        C,
        N,
        status: s.status,
        ...(s.stopReason ? { why: s.stopReason } : {}),
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
  table(
    `(1) throughput vs ideal C·3600/(k·L), L = 200 ms, N = ${perSlot}·C (the run includes the intake, plan and question calls), wire server in its own process`,
    rows,
  );
  return rows;
}

/**
 * A source over a synthetic corpus (see synthetic-corpus.ts), indexed before the clock
 * starts: the first search reads and indexes every note.
 */
async function corpusFor(dir: string): Promise<{ source: SourceAdapter; loadS: number }> {
  const source = localFilesSource({ dir });
  const t0 = performance.now();
  await source.search(SYNTHETIC_TOPIC, { limit: 1 });
  return { source, loadS: (performance.now() - t0) / 1000 };
}

/** Terms a corpus needs for runs of up to `n` examples (questions, spare pages, refills). */
const termsFor = (n: number) => Math.max(400, n * 2);

/**
 * One offline run in this process (used by `scale` in a child process): the default
 * stages (plan, question writer, research, generation, review with its dedup) on the
 * offline provider, researching a synthetic corpus of distinct notes.
 */
async function scaleOne(n: number, dir = process.env.BENCH_CORPUS): Promise<void> {
  // The heap growth the CLI sets (src/cli/heap.ts); SYNTHFORGE_HEAP_GROWTH=0 keeps V8's own.
  const heapWarning = tuneHeap();
  if (heapWarning) console.error(heapWarning);
  const corpusDir = dir ?? writeSyntheticCorpus({ terms: termsFor(n) }).dir;
  const { source, loadS } = await corpusFor(corpusDir);
  const db = tmpDb(`scale${n}`);
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 64);
  const pipeline = createPipeline({
    storage: sqliteStore({ path: db }),
    models: offlineModels(),
    concurrency,
    sources: [source],
  });
  const t0 = performance.now();
  const s = await pipeline.run({ count: n, trainingType: "sft", topic: SYNTHETIC_TOPIC }).done;
  const wall = (performance.now() - t0) / 1000;
  await pipeline.close();
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(
    JSON.stringify({
      N: n,
      concurrency,
      status: s.status,
      ...(s.stopReason ? { why: s.stopReason } : {}),
      approved: s.counts.approved,
      candidates: s.counts.candidates,
      "wall s": Number(wall.toFixed(1)),
      "examples/s": Math.round(s.counts.approved / wall),
      "peak RSS MB": Math.round(rss),
      k: Number((s.callsPerApproved ?? 0).toFixed(3)),
      "corpus load s": Number(loadS.toFixed(1)),
    }),
  );
}

function child(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [...nodeArgs, "--import", "tsx", join(ROOT, "bench", "run.ts"), ...args],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
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
  const sizes = (process.env.BENCH_SCALE_SIZES ?? "1000,5000,10000").split(",").map(Number);
  // One corpus for every size: the runs differ only in N.
  const corpus = writeSyntheticCorpus({ terms: termsFor(Math.max(...sizes)) });
  const rows: Row[] = [];
  // V8 grows its heap lazily into the memory it has, so peak RSS with the default heap says
  // how much the machine lets it use; with the heap capped (the same cap at every N) it
  // says whether the live set grows with N.
  const cap = Number(process.env.BENCH_HEAP_MB ?? 512);
  // A heap cap, the CLI's heap growth (src/cli/heap.ts), or V8's defaults.
  const one = async (n: number, heapMb: number | "cli" | "v8", concurrency = 64) => ({
    heap: typeof heapMb === "number" ? `cap ${heapMb} MB` : heapMb === "cli" ? "CLI growth" : "V8 default",
    ...(JSON.parse(
      (
        await child(
          ["scale-one", String(n)],
          {
            BENCH_CORPUS: corpus.dir,
            BENCH_CONCURRENCY: String(concurrency),
            SYNTHFORGE_HEAP_GROWTH: heapMb === "cli" ? "" : "0",
          },
          typeof heapMb === "number" ? [`--max-old-space-size=${heapMb}`] : [],
        )
      )
        .trim()
        .split("\n")
        .at(-1)!,
    ) as Row),
  });
  for (const n of sizes) rows.push(await one(n, cap));
  rows.push(await one(Math.max(...sizes), "cli"));
  rows.push(await one(Math.max(...sizes), "v8"));
  // The smallest size again at concurrency 8: offline work is CPU-bound in one process, so
  // its examples/s beside the concurrency-64 row says what concurrency buys (or costs).
  rows.push(await one(Math.min(...sizes), cap, 8));
  table(
    `(2) offline runs on SQLite, concurrency 64, default stages over a synthetic corpus of ${corpus.terms} terms in ${corpus.notes} notes: wall time and peak RSS (each in its own process)`,
    rows,
  );
  return rows;
}

/** (3) 20% 429/503 and 5% malformed outputs. */
async function faults(): Promise<Row[]> {
  const server = await startWireChild({
    seed: 42,
    faults: { rate429: 0.1, rate503: 0.1, malformedRate: 0.05, retryDelay: "0.02s" },
  });
  const N = 1000;
  const { source } = await corpusFor(writeSyntheticCorpus({ terms: termsFor(N) }).dir);
  const db = tmpDb("faults");
  const store = sqliteStore({ path: db });
  const models = geminiModels({
    apiKey: KEY,
    baseUrl: server.url,
    retries: 8,
    baseDelayMs: 5,
    maxDelayMs: 100,
    rateLimits: Object.fromEntries(MODELS.map((m) => [m, UNLIMITED])),
  });
  const pipeline = createPipeline({
    storage: store,
    models,
    concurrency: 64,
    cache: false,
    sources: [source],
  });
  const t0 = performance.now();
  const s = await pipeline.run({ count: N, trainingType: "sft", topic: SYNTHETIC_TOPIC }).done;
  const wall = (performance.now() - t0) / 1000;
  await pipeline.close();
  const stats = await server.stats();
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
  // Every malformed answer leaves a failures row with its raw output (the generate stage's
  // final "no valid example" row repeats its last attempt's, and is not counted twice).
  const invalid = one<{ n: number }>(
    "SELECT COUNT(*) AS n FROM failures WHERE run_id = ? AND raw_output IS NOT NULL AND NOT json_valid(raw_output) AND reason NOT LIKE 'no valid example%'",
  ).n;
  const injected = (stats.faults["429"] ?? 0) + (stats.faults["503"] ?? 0);
  const rows: Row[] = [
    {
      N,
      status: s.status,
      approved,
      duplicates: dup,
      "429/503 injected": injected,
      "error calls recorded": errorCalls,
      "malformed injected": stats.faults.malformed ?? 0,
      "malformed recorded": invalid,
      "dropped w/o reason": silent,
      "wall s": Number(wall.toFixed(1)),
    },
  ];
  table("(3) 20% 429/503 + 5% malformed outputs through the wire server", rows);
  return rows;
}

/** (4) SIGKILL at random points five times, then resume. */
async function kill(): Promise<Row[]> {
  const server = await startWireChild({ latencyMs: 10, seed: 9 });
  const cwd = mkdtempSync(join(tmpdir(), "sf-bench-kill-"));
  const db = join(cwd, "synthforge.db");
  const N = 200;
  const corpus = writeSyntheticCorpus({ terms: termsFor(N) });
  writeFileSync(
    join(cwd, "synthforge.config.yaml"),
    [
      "provider: gemini",
      "gemini:",
      `  baseUrl: ${server.url}`,
      "  retries: 0",
      "concurrency: 16",
      "sources:",
      "  - type: localFiles",
      `    dir: ${corpus.dir}`,
      "",
    ].join("\n"),
  );
  const env = { ...process.env, GEMINI_API_KEY: KEY };
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
  const started = () => {
    try {
      return sql<{ n: number }>(db, "SELECT COUNT(*) AS n FROM questions")[0]!.n > 0;
    } catch {
      return false;
    }
  };
  // Kill points: once while the first process writes its questions, then at random numbers
  // of approved examples (sorted), each followed by a random delay.
  const targets = [0, ...Array.from({ length: 4 }, () => 1 + Math.floor(Math.random() * (N - 20)))].sort(
    (a, b) => a - b,
  );
  for (let i = 0; i < 5; i++) {
    const args =
      i === 0
        ? ["generate", `Generate ${N} SFT examples about ${SYNTHETIC_TOPIC}`, "--yes"]
        : ["resume", "latest"];
    const p = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: "ignore" });
    let alive = true;
    const exited = new Promise<void>((r) =>
      p.on("exit", () => {
        alive = false;
        r();
      }),
    );
    const t0 = performance.now();
    const target = targets[i]!;
    while (alive && !(i === 0 ? started() : approved() >= target))
      await new Promise((r) => setTimeout(r, 20));
    const delay = Math.floor(Math.random() * 300);
    await new Promise((r) => setTimeout(r, delay));
    const at = Math.round(performance.now() - t0);
    const before = approved();
    p.kill("SIGKILL");
    await exited;
    rows.push({
      kill: i + 1,
      "killed at": i === 0 ? "questions written" : `≥ ${target} approved`,
      "after ms": at,
      "approved when killed": before,
      "exited on its own": !alive && p.signalCode !== "SIGKILL",
    });
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
  // The same question asked twice (a re-queued copy) must not give two approved examples either.
  const samePrompt = sql<{ n: number }>(
    db,
    "SELECT COUNT(*) - COUNT(DISTINCT prompt) AS n FROM synthetic_data_sft WHERE review_status = 'approved'",
  )[0]!.n;
  rows.push({
    kill: "resume",
    "killed at": null,
    "after ms": null,
    "approved when killed": ok,
    "exited on its own": true,
  });
  table(
    `(4) SIGKILL five times, then resume (N = ${N}): exit ${final}, approved ${ok}, questions approved ${q}, duplicate examples ${dup + samePrompt}, lost ${N - ok}`,
    rows,
  );
  // Answers paid for before a kill come back from the response cache after it.
  const calls = sql<{ paid: number; cached: number }>(
    db,
    "SELECT SUM(CASE WHEN cached THEN 0 ELSE 1 END) AS paid, SUM(CASE WHEN cached THEN 1 ELSE 0 END) AS cached FROM llm_calls",
  )[0]!;
  return [
    ...rows,
    {
      N,
      final: ok,
      lost: N - ok,
      duplicates: dup + samePrompt,
      exit: final,
      "paid calls": calls.paid,
      "answered from cache": calls.cached,
    },
  ];
}

/** (5) The code sandboxes' child processes. */
async function sandboxes(): Promise<Row[]> {
  const rows = await sandbox();
  table(
    "(5) sandboxes: start-up, a warm program, the next program after a kill",
    rows.filter((r) => !("programs/s" in r)),
  );
  table(
    "    sandboxes: throughput of short programs",
    rows.filter((r) => "programs/s" in r),
  );
  return rows;
}

const BENCHES: Record<string, () => Promise<Row[]>> = {
  throughput,
  scale,
  faults,
  kill,
  sandbox: sandboxes,
  startup,
};

async function main(): Promise<void> {
  const [what = "all", arg] = process.argv.slice(2);
  if (what === "scale-one") return scaleOne(Number(arg));
  const names = what === "all" ? Object.keys(BENCHES) : [what];
  // Corpora and databases (gigabytes at 10k) go under one directory, removed at the end.
  const tmp = mkdtempSync(join(tmpdir(), "synthforge-bench-"));
  process.env.TMPDIR = tmp;
  try {
    const results: Record<string, Row[]> = {};
    for (const name of names) {
      const bench = BENCHES[name];
      if (!bench)
        throw new Error(`unknown benchmark "${name}"; pick one of ${Object.keys(BENCHES).join(", ")} or all`);
      results[name] = await bench();
    }
    console.log(JSON.stringify(results));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
