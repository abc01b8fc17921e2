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
import { rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BuiltinTrainingTypeName as TrainingTypeName } from "../src/core/types.js";
import { exportRun } from "../src/export/export.js";
import { sqliteStore } from "../src/storage/typeorm-store.js";
import { formatsByType } from "../src/training-types/index.js";
import { buildFixtureDatabase } from "./fixture-db.js";

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
  const { runId, builtSeconds } = await buildFixtureDatabase({
    path: DB,
    request: `Generate 1 ${TYPE} example about stoichiometry`,
    type: TYPE,
    copies: ROWS - 1,
    mode: "approved",
  });
  if (builtSeconds !== null)
    console.log(`built ${ROWS.toLocaleString("en-US")} ${TYPE} rows in ${builtSeconds.toFixed(1)} s → ${DB}`);
  return runId;
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
