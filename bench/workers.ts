/**
 * Workers on PostgreSQL (`npm run bench:workers`, needs `npm run build`): one run of N SFT
 * examples shared by 1, 2 and 4 `synthforge worker` processes on this machine, each at
 * `--concurrency C`, on an embedded PostgreSQL server, over a synthetic corpus. Two model
 * set-ups: `wire` (the Gemini-wire server in its own process, 200 ms per call: the model's
 * latency is the limit) and `offline` (no latency: the CPU is the limit). Prints wall time,
 * examples/s and the speed-up over one worker, then one JSON line.
 *
 * BENCH_WORKERS (default 1,2,4), BENCH_WORKER_MODES (wire,offline), BENCH_WORKER_N (600),
 * BENCH_WORKER_C (16), BENCH_WORKER_LATENCY_MS (200).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startPostgres } from "../test/helpers/postgres.js";
import { SYNTHETIC_TOPIC, writeSyntheticCorpus } from "./synthetic-corpus.js";
import { startWireChild } from "./wire-server.js";

const BIN = join(import.meta.dirname, "..", "bin", "synthforge.js");
const list = (v: string | undefined, d: string) => (v ?? d).split(",").map((x) => x.trim());
const WORKERS = list(process.env.BENCH_WORKERS, "1,2,4").map(Number);
const MODES = list(process.env.BENCH_WORKER_MODES, "wire,offline");
const N = Number(process.env.BENCH_WORKER_N ?? 600);
const C = Number(process.env.BENCH_WORKER_C ?? 16);
const LATENCY = Number(process.env.BENCH_WORKER_LATENCY_MS ?? 200);
const KEY = "bench-key-0000000000";

async function one(sql: string, url: string, params: unknown[]): Promise<Record<string, unknown>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows[0] ?? {};
  } finally {
    await c.end();
  }
}

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${args[0]} exited ${code}: ${err}`)),
    );
  });
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "sf-bench-workers-"));
  const corpus = writeSyntheticCorpus({ terms: 3000, dir: join(root, "corpus") });
  const server = await startPostgres();
  const wire = MODES.includes("wire") ? await startWireChild({ latencyMs: LATENCY, seed: 7 }) : null;
  const rows: Array<Record<string, string | number>> = [];
  try {
    for (const mode of MODES) {
      let base = 0;
      for (const w of WORKERS) {
        const url = await server.createDatabase(`bench_${mode}_${w}`);
        const cwd = mkdtempSync(join(root, `${mode}-${w}-`));
        const provider =
          mode === "wire"
            ? `provider: gemini\ngemini:\n  baseUrl: ${wire!.url}\n  retries: 2\n`
            : "provider: offline\n";
        writeFileSync(
          join(cwd, "synthforge.config.yaml"),
          `${provider}sources:\n  - type: localFiles\n    dir: ${corpus.dir}\n`,
        );
        const env: NodeJS.ProcessEnv = { ...process.env, GEMINI_API_KEY: KEY };
        delete env.SYNTHFORGE_DB;
        const submitted = await run(
          [
            "submit",
            `Generate ${N} SFT examples about ${SYNTHETIC_TOPIC}`,
            "--db",
            url,
            "--slots",
            String(w),
            "--json",
          ],
          cwd,
          env,
        );
        const runId = JSON.parse(submitted.trim().split("\n").at(-1)!).runId as string;
        const started = performance.now();
        const workers: ChildProcess[] = [];
        for (let i = 0; i < w; i++)
          workers.push(
            spawn(process.execPath, [BIN, "worker", "--db", url, "--concurrency", String(C)], {
              cwd,
              env,
              stdio: "ignore",
            }),
          );
        let status = "";
        while (!["completed", "stopped", "failed"].includes(status)) {
          await new Promise((r) => setTimeout(r, 100));
          status = String((await one("SELECT status FROM runs WHERE id = $1", url, [runId])).status);
        }
        const wall = (performance.now() - started) / 1000;
        const exited = workers.map((p) => new Promise((r) => p.once("exit", r)));
        for (const p of workers) p.kill("SIGTERM");
        await Promise.all(exited);
        const approved = Number(
          (
            await one(
              "SELECT COUNT(*) AS n FROM synthetic_data_sft WHERE run_id = $1 AND review_status = 'approved'",
              url,
              [runId],
            )
          ).n,
        );
        const perSecond = approved / wall;
        if (w === WORKERS[0]) base = perSecond;
        rows.push({
          mode,
          workers: w,
          status,
          approved,
          "wall s": Number(wall.toFixed(1)),
          "examples/s": Number(perSecond.toFixed(1)),
          "speed-up": Number((perSecond / base).toFixed(2)),
        });
        console.error(`${mode} × ${w}: ${status}, ${approved} approved in ${wall.toFixed(1)} s`);
      }
    }
  } finally {
    await wire?.close();
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
  console.log(
    `\nworkers on PostgreSQL: one run of ${N} SFT examples, each worker at --concurrency ${C} (wire: ${LATENCY} ms per model call)`,
  );
  const cols = Object.keys(rows[0] ?? {});
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  console.log(cols.map((c, i) => c.padEnd(width[i]!)).join("  "));
  for (const r of rows) console.log(cols.map((c, i) => String(r[c]).padEnd(width[i]!)).join("  "));
  console.log(JSON.stringify({ workers: rows }));
}

await main();
