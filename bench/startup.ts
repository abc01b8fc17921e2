/**
 * Start-up benchmark (`npm run bench:startup`, or `npx tsx bench/startup.ts`): how long the
 * built CLI and library take to start, against a bare `node -e 0` measured in the same run.
 *
 * Each command runs BENCH_STARTUP_RUNS times (default 7), the commands interleaved round by
 * round so that load on the machine falls on all of them alike; the table shows the median
 * wall time and the median CPU time (user + system of the child process, from the shell's
 * `times`), each also as a ratio to `node -e 0`. The targets (issue 15, "instant start-up")
 * are on the wall-time ratio:
 *
 *   --version, --help                    ≤ 3×
 *   runs, export (no model)              ≤ 6×
 *   import("synthforge") (dist/index.js) ≤ 4×
 *
 * Needs a build (`npm run build`): it times dist/, as a user runs it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const ROOT = join(import.meta.dirname, "..");
const BIN = join(ROOT, "bin", "synthforge.js");
const INDEX = pathToFileURL(join(ROOT, "dist", "index.js")).href;

type Row = Record<string, string | number | boolean | null>;

interface Sample {
  wallMs: number;
  cpuMs: number;
}

/** The environment of a user with no API key, researching only the bundled corpus (no network). */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SYNTHFORGE_SOURCES: "corpus" };
  for (const k of [
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GOOGLE_GENAI_API_KEY",
    "SYNTHFORGE_DB",
    "NODE_OPTIONS",
  ])
    delete env[k];
  return env;
}

/** `times` in bash prints its own and then its children's user and system time ("0m0.093s 0m0.021s"). */
function childCpuMs(times: string): number {
  const lines = times.trim().split("\n");
  const children = lines[lines.length - 1] ?? "";
  const parts = [...children.matchAll(/(\d+)m([\d.]+)s/g)];
  if (parts.length !== 2)
    throw new Error(`cannot read the CPU time from bash's times: ${JSON.stringify(times)}`);
  return parts.reduce((sum, m) => sum + (Number(m[1]) * 60 + Number(m[2])) * 1000, 0);
}

/** Runs `argv` once under bash: its wall time, and the CPU time of the process (from `times`). */
function runOnce(argv: string[], cwd: string): Sample {
  const t0 = performance.now();
  // Standard output is dropped, standard error kept for the message on failure, `times` written to fd 3.
  const r = spawnSync("bash", ["-c", '"$@" >/dev/null; rc=$?; times >&3; exit $rc', "bash", ...argv], {
    cwd,
    env: offlineEnv(),
    encoding: "utf8",
    stdio: ["ignore", "ignore", "pipe", "pipe"],
  });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited with ${r.status}: ${r.stderr}`);
  return { wallMs, cpuMs: childCpuMs(String(r.output[3])) };
}

/** Runs `argv` once and returns its standard output; throws with its standard error when it fails. */
function run(argv: string[], cwd: string): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd, env: offlineEnv(), encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited with ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Case {
  name: string;
  argv: string[];
  /** The most the wall-time ratio to `node -e 0` may be; null for the baseline. */
  target: number | null;
}

/** Times the commands; prints a table and returns its rows. */
export async function startup(): Promise<Row[]> {
  if (!existsSync(join(ROOT, "dist", "cli.js")) || !existsSync(join(ROOT, "dist", "index.js")))
    throw new Error("bench/startup.ts times the build: run `npm run build` first.");
  const runs = Number(process.env.BENCH_STARTUP_RUNS ?? 7);
  if (!(Number.isInteger(runs) && runs > 0))
    throw new Error(
      `BENCH_STARTUP_RUNS must be a positive whole number, got "${process.env.BENCH_STARTUP_RUNS}".`,
    );
  const dir = mkdtempSync(join(tmpdir(), "sf-startup-"));
  try {
    // A small offline run to list and export (made by the CLI itself, as a user would).
    const db = join(dir, "startup.db");
    run(
      [
        process.execPath,
        BIN,
        "generate",
        "Generate 2 SFT examples about photosynthesis",
        "--yes",
        "--provider",
        "offline",
        "--db",
        db,
      ],
      dir,
    );
    const node = process.execPath;
    const cases: Case[] = [
      { name: "node -e 0", argv: [node, "-e", "0"], target: null },
      { name: "synthforge --version", argv: [node, BIN, "--version"], target: 3 },
      { name: "synthforge --help", argv: [node, BIN, "--help"], target: 3 },
      { name: "synthforge runs", argv: [node, BIN, "runs", "--db", db], target: 6 },
      {
        name: "synthforge export",
        argv: [
          node,
          BIN,
          "export",
          "--run",
          "latest",
          "--format",
          "trl-sft-messages",
          "--out",
          "-",
          "--db",
          db,
        ],
        target: 6,
      },
      {
        name: 'import("synthforge")',
        argv: [node, "-e", `await import(${JSON.stringify(INDEX)})`],
        target: 4,
      },
    ];
    // One warm-up round (file system cache), then the measured rounds, interleaved.
    for (const c of cases) runOnce(c.argv, dir);
    const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
    for (let i = 0; i < runs; i++) for (const c of cases) samples.get(c.name)!.push(runOnce(c.argv, dir));
    const base = samples.get("node -e 0")!;
    const baseWall = median(base.map((s) => s.wallMs));
    const baseCpu = median(base.map((s) => s.cpuMs));
    const rows: Row[] = cases.map((c) => {
      const s = samples.get(c.name)!;
      const wall = median(s.map((x) => x.wallMs));
      const cpu = median(s.map((x) => x.cpuMs));
      const ratio = wall / baseWall;
      return {
        command: c.name,
        "wall ms": Math.round(wall),
        "× node": Number(ratio.toFixed(2)),
        "cpu ms": Math.round(cpu),
        "cpu × node": Number((cpu / baseCpu).toFixed(2)),
        target: c.target === null ? "-" : `≤ ${c.target}×`,
        met: c.target === null ? "-" : ratio <= c.target ? "yes" : "NO",
      };
    });
    console.log(`\n(6) start-up: medians of ${runs} runs, ratios to node -e 0 in the same run`);
    const cols = Object.keys(rows[0]!);
    const w = cols.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
    console.log(cols.map((k, i) => k.padEnd(w[i]!)).join("  "));
    for (const r of rows) console.log(cols.map((k, i) => String(r[k]).padEnd(w[i]!)).join("  "));
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const rows = await startup();
  console.log(JSON.stringify({ startup: rows }));
}
