import { spawn } from "node:child_process";
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { TrainingTypeName } from "../../src/core/types.js";
import { type ExportFormat, formatsByType, validateJsonLines } from "../../src/training-types/index.js";
import { BIN, offlineEnv } from "./helpers.js";

/**
 * End to end through the CLI for every training type, offline, as a user runs it:
 * `synthforge generate "Generate 5 <type> examples about <topic>" --yes`, then
 * `synthforge export` of the type's primary format. In-process (`main()`), one database.
 */
const CASES: Array<[TrainingTypeName, string]> = [
  ["sft", "organic chemistry"],
  ["dpo", "general chemistry"],
  ["ppo", "biology"],
  ["grpo", "stoichiometry"],
  ["rlhf", "algebra"],
  ["kto", "physics"],
  ["orpo", "organic chemistry"],
  ["chat", "biology"],
  ["qa", "general chemistry"],
];

let dir: string;
let db: string;
const saved = { ...process.env };

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["node", "synthforge", ...args], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    tty: false,
  });
  return { code, out, err };
}

/** `synthforge generate "<request>" --yes --db <db> --json [...extra]`. */
const generate = (request: string, ...extra: string[]) =>
  run(["generate", request, "--yes", "--db", db, "--json", ...extra]);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sf-types-"));
  db = join(dir, "synthforge.db");
  for (const k of ["GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_API_KEY", "SYNTHFORGE_DB"])
    delete process.env[k];
});

afterAll(() => {
  process.env = saved;
  rmSync(dir, { recursive: true, force: true });
});

describe.each(CASES)("synthforge generate: 5 %s examples about %s, offline", (type, topic) => {
  let runId: string;
  let result: { code: number; out: string[]; err: string[] };

  beforeAll(async () => {
    result = await generate(`Generate 5 ${type} examples about ${topic}`);
    runId = JSON.parse(result.out.at(-1)!).runId;
  }, 120_000);

  it("completes with 5 approved examples stored in the type's table", () => {
    expect(result.code, result.err.join("\n")).toBe(0);
    expect(result.err[0]).toMatch(/using the offline provider/);
    const summary = JSON.parse(result.out.at(-1)!);
    expect(summary).toMatchObject({
      status: "completed",
      trainingType: type,
      counts: { target: 5, approved: 5 },
    });
    const sqlite = new Database(db, { readonly: true });
    try {
      const rows = sqlite
        .prepare(`SELECT * FROM synthetic_data_${type} WHERE run_id = ? AND review_status = 'approved'`)
        .all(runId) as Array<Record<string, unknown>>;
      expect(rows).toHaveLength(5);
      for (const r of rows) {
        expect(r.provider).toBe("offline");
        expect(r.quality_score as number).toBeGreaterThanOrEqual(0.8);
      }
      if (type === "grpo") for (const r of rows) expect(r.is_correct).toBe(1);
      if (type === "kto") expect(new Set(rows.map((r) => r.label)).size).toBe(2);
      if (type === "dpo" || type === "orpo") for (const r of rows) expect(r.chosen).not.toBe(r.rejected);
    } finally {
      sqlite.close();
    }
  });

  it("exports to its primary format, and the file passes the strict validator", async () => {
    const format = formatsByType()[type]![0]! as ExportFormat;
    const out = join(dir, `${type}.jsonl`);
    const res = await run(["export", "--run", runId, "--format", format, "--out", out, "--db", db]);
    expect(res.code, res.err.join("\n")).toBe(0);
    expect(res.out[0]).toContain(`wrote 5 ${type} example(s) as ${format}`);
    const check = await validateJsonLines(
      format,
      createInterface({ input: createReadStream(out), crlfDelay: Number.POSITIVE_INFINITY }),
    );
    expect(check.errors).toEqual([]);
    expect(check.rows).toBe(5);
    expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(5);
  });
});

describe("synthforge export", () => {
  it("--list-formats shows every type's formats and every format", async () => {
    const res = await run(["export", "--list-formats"]);
    expect(res.code).toBe(0);
    const text = res.out.join("\n");
    for (const [type, formats] of Object.entries(formatsByType()))
      expect(text).toContain(`  ${type.padEnd(5)} ${formats.join(", ")}`);
    expect(text).toMatch(/kto\s+trl-kto, sharegpt/);
    expect(text).toMatch(/grpo\s+trl-grpo, openai-rft/);
    const json = await run(["export", "--list-formats", "--json"]);
    expect(Object.keys(JSON.parse(json.out[0]!).byType)).toEqual([
      "sft",
      "dpo",
      "ppo",
      "grpo",
      "rlhf",
      "kto",
      "orpo",
      "chat",
      "qa",
    ]);
  });

  it("says clearly why an impossible pair cannot be exported (exit 2)", async () => {
    const res = await run([
      "export",
      "--run",
      "latest",
      "--format",
      "openai-dpo",
      "--out",
      join(dir, "x.jsonl"),
      "--db",
      db,
    ]);
    expect(res.code).toBe(2);
    expect(res.err.join("\n")).toMatch(
      /error \[EXPORT_FORMAT_UNSUPPORTED\]: A qa run cannot be exported as openai-dpo: openai-dpo needs a prompt with a preferred and a non-preferred response/,
    );
  });

  it("--hf writes a dataset folder with a card, and --out .parquet writes Parquet", async () => {
    const hf = join(dir, "hf");
    const res = await run(["export", "--run", "latest", "--hf", hf, "--jsonl", "--db", db, "--json"]);
    expect(res.code, res.err.join("\n")).toBe(0);
    expect(res.out[0]).toMatch(
      /wrote 5 qa example\(s\) as trl-sft-prompt-completion to the Hugging Face dataset folder .* \(3 files, licence cc-by-4.0\)/,
    );
    expect(JSON.parse(res.out.at(-1)!).files).toEqual([
      "README.md",
      "data/train-00000-of-00001.jsonl",
      "data/train-00000-of-00001.parquet",
    ]);
    const pq = await run([
      "export",
      "--run",
      "latest",
      "--format",
      "alpaca",
      "--out",
      join(dir, "qa.parquet"),
      "--db",
      db,
    ]);
    expect(pq.out[0]).toMatch(/as alpaca \(parquet\)/);
    const bad = await run(["export", "--hf", hf, "--out", "x.jsonl", "--db", db]);
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toMatch(/either --out <file> or --hf <dir>/);
    const shard = await run(["export", "--hf", hf, "--shard-rows", "0", "--db", db]);
    expect(shard.err[0]).toMatch(/--shard-rows must be a positive whole number/);
  });
});

describe("the built CLI with GRPO (runs Python in the sandbox)", () => {
  it("finishes and exits on its own once the run is done", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "sf-grpo-bin-"));
    const started = Date.now();
    const res = await new Promise<{ code: number | null; killed: boolean; stdout: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [BIN, "generate", "Generate 3 grpo examples about stoichiometry", "--yes"],
        { cwd, env: offlineEnv(), stdio: ["ignore", "pipe", "pipe"] },
      );
      let stdout = "";
      child.stdout.on("data", (d) => (stdout += d));
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        child.kill("SIGKILL");
      }, 45_000);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, killed, stdout });
      });
    });
    rmSync(cwd, { recursive: true, force: true });
    expect(res.stdout).toMatch(/completed: 3\/3 approved GRPO examples/);
    expect(
      res.killed,
      `the process was still running after ${Math.round((Date.now() - started) / 1000)} s (the sandbox worker keeps it alive)`,
    ).toBe(false);
    expect(res.code).toBe(0);
  }, 60_000);
});

describe("synthforge generate: training-type options", () => {
  const labels = (runId: string) => {
    const sqlite = new Database(db, { readonly: true });
    try {
      return (
        sqlite
          .prepare("SELECT label FROM synthetic_data_kto WHERE run_id = ? AND review_status = 'approved'")
          .all(runId) as Array<{ label: number }>
      ).map((r) => r.label);
    } finally {
      sqlite.close();
    }
  };

  it("--type-option kto.desirableRatio=0.75 labels three in four examples desirable; the config's typeOptions do the same", async () => {
    const flag = await generate(
      "Generate 8 kto examples about chemistry",
      "--type-option",
      "kto.desirableRatio=0.75",
    );
    expect(flag.code, flag.err.join("\n")).toBe(0);
    const byFlag = labels(JSON.parse(flag.out.at(-1)!).runId);
    expect(byFlag).toHaveLength(8);
    expect(byFlag.filter((l) => l === 1)).toHaveLength(6);

    const config = join(dir, "kto.config.yaml");
    writeFileSync(config, 'typeOptions:\n  kto:\n    desirableRatio: "1:3"\n');
    const fromConfig = await generate("Generate 8 kto examples about chemistry", "--config", config);
    expect(fromConfig.code, fromConfig.err.join("\n")).toBe(0);
    expect(labels(JSON.parse(fromConfig.out.at(-1)!).runId).filter((l) => l === 1)).toHaveLength(2);
  }, 120_000);

  it("refuses a malformed or unknown option before any work, saying what to write", async () => {
    const malformed = await generate(
      "Generate 2 kto examples about physics",
      "--type-option",
      "desirableRatio=0.6",
    );
    expect(malformed.code).toBe(2);
    expect(malformed.err.join("\n")).toMatch(
      /--type-option takes type\.key=value .* e\.g\. kto\.desirableRatio=0\.6; got "desirableRatio=0\.6"/,
    );
    const unknown = await generate("Generate 2 kto examples about physics", "--type-option", "kto.ratio=2");
    expect(unknown.code).toBe(2);
    expect(unknown.err.join("\n")).toMatch(/Unknown kto option ratio; the only one is desirableRatio/);
    const wrongType = await generate("Generate 2 sft examples about physics", "--type-option", "sft.x=1");
    expect(wrongType.code).toBe(2);
    expect(wrongType.err.join("\n")).toMatch(/The sft training type takes no typeOptions/);
  });
});
