/**
 * Filtered and split exports (issue 14, part 3) and the metadata column that makes PPO
 * rewards, RLHF ratings and DPO rejection reasons reachable (part 3's second half), on a
 * real SQLite database filled by offline runs.
 */
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { main } from "../../src/cli/main.js";
import { isSynthforgeError } from "../../src/core/errors.js";
import type { TrainingTypeName } from "../../src/core/types.js";
import { exportRun } from "../../src/export/export.js";
import { allocate, allocateStrata, parseSplits } from "../../src/export/export-select.js";
import { exportHfDataset } from "../../src/export/hf-dataset.js";
import { createPipeline } from "../../src/pipeline/pipeline.js";
import type { ExampleRow, Store } from "../../src/storage/store.js";
import { sqliteStore } from "../../src/storage/typeorm-store.js";
import { closePythonSandbox } from "../../src/tools/python-sandbox.js";
import { type ExportFormat, validateJsonLines } from "../../src/training-types/index.js";

let dir: string;
let dbPath: string;
let store: Store;
const runs = new Map<TrainingTypeName, string>();
const RUNS: Array<[TrainingTypeName, number, string]> = [
  // "general chemistry" alone runs out of distinct questions in the bundled offline notes
  // in the mid-twenties; "chemistry" reaches the organic and analytical notes too.
  ["dpo", 30, "chemistry"],
  ["rlhf", 6, "algebra"],
  ["ppo", 6, "organic chemistry"],
];

type Row = Record<string, unknown> & { synthforge?: { example_id: string } & Record<string, unknown> };

const readJsonl = (path: string): Row[] =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

const validate = (format: ExportFormat, path: string) =>
  validateJsonLines(
    format,
    createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY }),
  );

/** Parquet values back as JSON: bigint → number, nulls dropped. */
function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = plain(x);
    return out;
  }
  return v;
}
const dropNulls = (rows: Row[]) => rows.map((r) => plain(r));

async function readParquet(path: string): Promise<Row[]> {
  return (await parquetReadObjects({ file: await asyncBufferFromFile(path) })).map((r) => plain(r) as Row);
}

async function approved(type: TrainingTypeName): Promise<ExampleRow[]> {
  const out: ExampleRow[] = [];
  for await (const ex of store.iterateExamples(runs.get(type)!, type, { reviewStatus: ["approved"] }))
    out.push(ex);
  return out;
}

/** Runs the CLI in-process; returns its exit code and what it printed. */
async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["node", "synthforge", ...args], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    tty: false,
  });
  return { code, out, err };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sf-split-"));
  dbPath = join(dir, "data.db");
  store = sqliteStore({ path: dbPath });
  const pipeline = createPipeline({ storage: store });
  for (const [type, count, topic] of RUNS) {
    const summary = await pipeline.run(`Generate ${count} ${type.toUpperCase()} examples about ${topic}`)
      .done;
    expect(summary.counts.approved, JSON.stringify(summary.dropReasons)).toBe(count);
    runs.set(type, summary.runId);
  }
}, 300_000);

afterAll(async () => {
  await closePythonSandbox();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("split exports", () => {
  it("writes one validated file per split with the shares asked for, every example exactly once", async () => {
    const all = await approved("dpo");
    const out = join(dir, "dpo.jsonl");
    const res = await exportRun(store, runs.get("dpo")!, {
      format: "trl-dpo",
      out,
      split: parseSplits("train=0.8,test=0.2"),
      seed: 7,
      metadata: true,
    });
    const [train, test] = allocate(all.length, [0.8, 0.2]);
    expect(res.splits!.map((s) => [s.name, s.rows])).toEqual([
      ["train", train],
      ["test", test],
    ]);
    expect(res.rows).toBe(all.length);
    expect(res.splits!.map((s) => s.path)).toEqual([
      join(dir, "dpo.train.jsonl"),
      join(dir, "dpo.test.jsonl"),
    ]);
    expect(existsSync(out)).toBe(false);
    const ids: string[][] = [];
    for (const s of res.splits!) {
      const check = await validate("trl-dpo", s.path);
      expect(check.errors).toEqual([]);
      expect(check.rows).toBe(s.rows);
      ids.push(readJsonl(s.path).map((r) => r.synthforge!.example_id));
      // The licence ledger sits beside each split file.
      expect(existsSync(s.path.replace(/\.jsonl$/, ".ATTRIBUTION.md"))).toBe(true);
    }
    expect(new Set(ids.flat()).size).toBe(all.length);
    expect(new Set(ids.flat())).toEqual(new Set(all.map((e) => e.id)));
  });

  it("is deterministic for a seed and changes with the seed", async () => {
    const split = parseSplits("train=0.7,validation=0.1,test=0.2");
    const a = await exportRun(store, runs.get("dpo")!, {
      format: "trl-dpo",
      out: join(dir, "a.jsonl"),
      split,
      seed: 3,
    });
    const b = await exportRun(store, runs.get("dpo")!, {
      format: "trl-dpo",
      out: join(dir, "b.jsonl"),
      split,
      seed: 3,
    });
    const c = await exportRun(store, runs.get("dpo")!, {
      format: "trl-dpo",
      out: join(dir, "c.jsonl"),
      split,
      seed: 4,
    });
    for (const name of ["train", "validation", "test"]) {
      expect(readFileSync(join(dir, `a.${name}.jsonl`))).toEqual(readFileSync(join(dir, `b.${name}.jsonl`)));
    }
    expect(a.splits!.map((s) => s.rows)).toEqual(b.splits!.map((s) => s.rows));
    // Same shares, another shuffle: the test split holds other examples.
    expect(c.splits!.map((s) => s.rows)).toEqual(a.splits!.map((s) => s.rows));
    expect(readFileSync(join(dir, "c.test.jsonl"), "utf8")).not.toBe(
      readFileSync(join(dir, "a.test.jsonl"), "utf8"),
    );
  });

  it.each(["difficulty", "sub_topic"] as const)(
    "stratifies by %s: each group gets the shares on its own",
    async (by) => {
      const questions = new Map((await store.listQuestions(runs.get("dpo")!)).map((q) => [q.id, q]));
      const groupOf = (ex: ExampleRow) => {
        const q = questions.get(ex.questionId)!;
        return by === "difficulty" ? q.difficulty : q.subTopic;
      };
      const all = await approved("dpo");
      const groups = new Map<string, number>();
      for (const ex of all) groups.set(groupOf(ex), (groups.get(groupOf(ex)) ?? 0) + 1);
      expect(groups.size).toBeGreaterThan(1);
      const res = await exportRun(store, runs.get("dpo")!, {
        format: "trl-dpo",
        out: join(dir, `strat-${by}.jsonl`),
        split: parseSplits("train=0.75,test=0.25"),
        stratify: by,
        metadata: true,
      });
      const test = readJsonl(res.splits![1]!.path);
      const key = by === "difficulty" ? "difficulty" : "sub_topic";
      const testByGroup = new Map<string, number>();
      for (const r of test)
        testByGroup.set(String(r.synthforge![key]), (testByGroup.get(String(r.synthforge![key])) ?? 0) + 1);
      // Each group within one row of its own share; the split as a whole gets its exact share.
      for (const [g, n] of groups) expect(Math.abs((testByGroup.get(g) ?? 0) - n * 0.25), g).toBeLessThan(1);
      expect(test.length).toBe(allocate(all.length, [0.75, 0.25])[1]);
      expect(res.splits![0]!.rows + res.splits![1]!.rows).toBe(all.length);
    },
  );

  it("writes Parquet splits with one shared schema that read back as the JSONL rows", async () => {
    const split = parseSplits("train=0.9,test=0.1");
    const j = await exportRun(store, runs.get("dpo")!, {
      format: "trl-dpo",
      out: join(dir, "pq.jsonl"),
      split,
      seed: 1,
    });
    const p = await exportRun(store, runs.get("dpo")!, {
      format: "trl-dpo",
      out: join(dir, "pq.parquet"),
      split,
      seed: 1,
    });
    expect(p.fileType).toBe("parquet");
    const schemas: string[] = [];
    for (const [i, s] of p.splits!.entries()) {
      expect(s.path).toBe(join(dir, `pq.${s.name}.parquet`));
      expect(await readParquet(s.path)).toEqual(dropNulls(readJsonl(j.splits![i]!.path)));
      const meta = await parquetMetadataAsync(await asyncBufferFromFile(s.path));
      expect(meta.key_value_metadata?.find((k) => k.key === "synthforge.split")?.value).toBe(s.name);
      schemas.push(JSON.stringify(meta.schema));
    }
    expect(new Set(schemas).size).toBe(1);
  });

  it("writes a Hugging Face folder with shards per split and a card that lists the splits", async () => {
    const hf = join(dir, "hf-dpo");
    const res = await exportHfDataset(store, runs.get("dpo")!, {
      dir: hf,
      split: parseSplits("train=0.8,test=0.2"),
      seed: 7,
      jsonl: true,
      metadata: true,
    });
    expect(res.files).toEqual([
      "README.md",
      "data/test-00000-of-00001.jsonl",
      "data/test-00000-of-00001.parquet",
      "data/train-00000-of-00001.jsonl",
      "data/train-00000-of-00001.parquet",
    ]);
    // The same seed gives the same split as the file export above.
    const fileSplit = readJsonl(join(dir, "dpo.test.jsonl")).map((r) => r.synthforge!.example_id);
    const hfTest = readJsonl(join(hf, "data/test-00000-of-00001.jsonl"));
    expect(hfTest.map((r) => r.synthforge!.example_id)).toEqual(fileSplit);
    expect(res.splits).toEqual([
      { name: "train", rows: readJsonl(join(hf, "data/train-00000-of-00001.jsonl")).length },
      { name: "test", rows: hfTest.length },
    ]);
    for (const s of ["train", "test"]) {
      expect((await validate("trl-dpo", join(hf, `data/${s}-00000-of-00001.jsonl`))).errors).toEqual([]);
      expect(await readParquet(join(hf, `data/${s}-00000-of-00001.parquet`))).toEqual(
        dropNulls(readJsonl(join(hf, `data/${s}-00000-of-00001.jsonl`))),
      );
    }
    const card = readFileSync(join(hf, "README.md"), "utf8");
    const yaml = parseYaml(card.split("---\n")[1]!) as { configs: unknown };
    expect(yaml.configs).toEqual([
      {
        config_name: "default",
        data_files: [
          { split: "train", path: "data/train-*.parquet" },
          { split: "test", path: "data/test-*.parquet" },
        ],
      },
    ]);
    expect(card).toContain(`| \`test\` | ${hfTest.length} |`);

    // A later export without splits replaces every split's shards.
    const again = await exportHfDataset(store, runs.get("dpo")!, { dir: hf });
    expect(again.splits).toEqual([{ name: "train", rows: res.rows }]);
    expect(readdirSync(join(hf, "data"))).toEqual(["train-00000-of-00001.parquet"]);
  });
});

describe("allocateStrata", () => {
  it("gives a small split its whole share when every stratum alone would round it to 0", () => {
    const out = allocateStrata([3, 3, 3, 3, 3, 3, 3, 3, 3, 3], [0.9, 0.1]);
    expect(out.map((r) => r[1]!).reduce((a, b) => a + b, 0)).toBe(3);
    expect(out.every((r) => r[0]! + r[1]! === 3 && r[1]! <= 1)).toBe(true);
  });

  it.each([
    [
      [7, 1, 12, 5],
      [0.8, 0.1, 0.1],
    ],
    [
      [2, 2, 2],
      [0.5, 0.5],
    ],
    [
      [100, 1, 1, 1],
      [0.34, 0.33, 0.33],
    ],
    [
      [0, 9, 4],
      [0.7, 0.3],
    ],
  ])("sizes %j by %j: totals match allocate, each cell within 1 of its exact share", (sizes, fractions) => {
    const out = allocateStrata(sizes, fractions);
    const totals = allocate(
      sizes.reduce((a, b) => a + b, 0),
      fractions,
    );
    for (const [i] of fractions.entries()) expect(out.reduce((a, r) => a + r[i]!, 0)).toBe(totals[i]);
    sizes.forEach((n, s) => {
      expect(out[s]!.reduce((a, b) => a + b, 0)).toBe(n);
      for (const [i, f] of fractions.entries()) expect(Math.abs(out[s]![i]! - f * n)).toBeLessThan(1);
    });
  });
});

describe("filters", () => {
  it("keeps examples at or above --min-score and says how many were left out", async () => {
    const all = await approved("dpo");
    const lowered = all.slice(0, 4);
    for (const ex of lowered) await store.updateExample("dpo", ex.id, { qualityScore: 0.5 });
    try {
      const res = await exportRun(store, runs.get("dpo")!, {
        format: "trl-dpo",
        out: join(dir, "scored.jsonl"),
        minScore: 0.85,
        metadata: true,
      });
      const kept = all.filter((e) => !lowered.includes(e) && (e.qualityScore ?? 0) >= 0.85);
      expect(res.rows).toBe(kept.length);
      expect(res.selection).toEqual({
        considered: all.length,
        belowScore: all.length - kept.length,
        licenceExcluded: 0,
      });
      const rows = readJsonl(join(dir, "scored.jsonl"));
      expect(rows.every((r) => (r.synthforge!.quality_score as number) >= 0.85)).toBe(true);
      expect(rows.map((r) => r.synthforge!.example_id).some((id) => lowered.some((e) => e.id === id))).toBe(
        false,
      );
    } finally {
      for (const ex of lowered) await store.updateExample("dpo", ex.id, { qualityScore: ex.qualityScore });
    }
  });

  it("keeps examples whose every source is under an admitted licence", async () => {
    const all = await approved("dpo");
    const sources = new Map(
      (await store.getSources([...new Set(all.flatMap((e) => e.sources))])).map((s) => [s.id, s]),
    );
    const licences = [...new Set([...sources.values()].map((s) => s.licence))].sort();
    expect(licences.length).toBeGreaterThan(0);
    // Admit one licence only: the examples kept are exactly those drawing on it alone.
    const only = licences[0]!;
    const expected = all.filter(
      (e) => e.sources.length > 0 && e.sources.every((id) => sources.get(id)?.licence === only),
    );
    const res = await exportRun(store, runs.get("dpo")!, {
      format: "trl-dpo",
      out: join(dir, "licensed.jsonl"),
      licence: [only],
      metadata: true,
    }).catch((e) => e);
    if (expected.length === 0) {
      expect(isSynthforgeError(res, "EXPORT_EMPTY")).toBe(true);
    } else {
      expect(res.rows).toBe(expected.length);
      expect(new Set(readJsonl(join(dir, "licensed.jsonl")).map((r) => r.synthforge!.example_id))).toEqual(
        new Set(expected.map((e) => e.id)),
      );
    }
    const permissive = all.filter(
      (e) => e.sources.length > 0 && e.sources.every((id) => sources.get(id)?.isPermissive === true),
    );
    const p = await exportRun(store, runs.get("dpo")!, {
      format: "trl-dpo",
      out: join(dir, "permissive.jsonl"),
      licence: "permissive",
    });
    expect(p.rows).toBe(permissive.length);
    expect(p.selection!.licenceExcluded).toBe(all.length - permissive.length);
  });

  it("refuses an export whose filters leave nothing, saying why", async () => {
    const all = await approved("dpo");
    for (const ex of all.slice(0, 2)) await store.updateExample("dpo", ex.id, { qualityScore: 0.2 });
    try {
      const err = await exportRun(store, runs.get("dpo")!, {
        format: "trl-dpo",
        out: join(dir, "none.jsonl"),
        minScore: 1,
        licence: ["CC-BY-NC-ND-4.0"],
      }).catch((e) => e);
      expect(isSynthforgeError(err, "EXPORT_EMPTY")).toBe(true);
      expect(err.message).toMatch(new RegExp(`None of the ${all.length} approved examples`));
      expect(existsSync(join(dir, "none.jsonl"))).toBe(false);
    } finally {
      for (const ex of all.slice(0, 2))
        await store.updateExample("dpo", ex.id, { qualityScore: ex.qualityScore });
    }
  });
});

describe("metadata column: the stored fields reach an export", () => {
  it("PPO rewards and rationales (also in trl-prompt-only's own columns)", async () => {
    const all = await approved("ppo");
    const out = join(dir, "ppo.jsonl");
    await exportRun(store, runs.get("ppo")!, { format: "trl-prompt-only", out, metadata: true });
    expect((await validate("trl-prompt-only", out)).errors).toEqual([]);
    const rows = readJsonl(out);
    const byId = new Map(all.map((e) => [e.id, e.data]));
    expect(rows.length).toBe(all.length);
    for (const r of rows) {
      const data = byId.get(r.synthforge!.example_id)!;
      expect((r.synthforge!.data as Record<string, unknown>).reward).toBe(data.reward);
      expect(r.reward).toBe(data.reward);
      expect((r.synthforge!.data as Record<string, unknown>).reward_rationale).toBe(data.reward_rationale);
    }
  });

  it("RLHF ratings and ranks in trl-reward (and the HF folder's Parquet)", async () => {
    const all = await approved("rlhf");
    const out = join(dir, "rlhf.jsonl");
    await exportRun(store, runs.get("rlhf")!, { format: "trl-reward", out, metadata: true });
    expect((await validate("trl-reward", out)).errors).toEqual([]);
    const byId = new Map(all.map((e) => [e.id, e.data]));
    for (const r of readJsonl(out)) {
      const responses = (r.synthforge!.data as { responses: Array<{ rating: number; rank: number }> })
        .responses;
      expect(responses).toEqual((byId.get(r.synthforge!.example_id) as { responses: unknown }).responses);
      expect(responses.length).toBeGreaterThanOrEqual(2);
    }
    const hf = join(dir, "hf-rlhf");
    await exportHfDataset(store, runs.get("rlhf")!, { dir: hf, metadata: true });
    const pq = await readParquet(join(hf, "data/train-00000-of-00001.parquet"));
    expect(pq.map((r) => (r.synthforge!.data as { responses: unknown }).responses)).toEqual(
      readJsonl(out).map((r) => (r.synthforge!.data as { responses: unknown }).responses),
    );
    expect(readFileSync(join(hf, "README.md"), "utf8")).toMatch(
      /\| `synthforge` \| `struct<example_id: string/,
    );
  });

  it("DPO rejection reasons and ratings in trl-dpo and trl-orpo; refused where rows take only their keys", async () => {
    const all = await approved("dpo");
    const byId = new Map(all.map((e) => [e.id, e.data]));
    for (const format of ["trl-dpo", "trl-orpo"] as const) {
      const out = join(dir, `dpo-meta-${format}.jsonl`);
      await exportRun(store, runs.get("dpo")!, { format, out, metadata: true });
      expect((await validate(format, out)).errors).toEqual([]);
      for (const r of readJsonl(out)) {
        const data = r.synthforge!.data as Record<string, unknown>;
        const stored = byId.get(r.synthforge!.example_id)!;
        expect(data.rejection_reason).toBe(stored.rejection_reason);
        expect(data.chosen_rating).toBe(stored.chosen_rating);
      }
    }
    // Without --metadata the strict shapes are unchanged.
    const plainOut = join(dir, "dpo-plain.jsonl");
    await exportRun(store, runs.get("dpo")!, { format: "trl-dpo", out: plainOut });
    expect(Object.keys(readJsonl(plainOut)[0]!).sort()).toEqual(["chosen", "prompt", "rejected"]);
    for (const format of ["openai-dpo", "sharegpt"]) {
      await expect(
        exportRun(store, runs.get("dpo")!, { format, out: join(dir, "o.jsonl"), metadata: true }),
      ).rejects.toThrow(new RegExp(`${format} rows may not have`));
      expect(existsSync(join(dir, "o.jsonl"))).toBe(false);
    }
  });
});

describe("CLI", () => {
  it("prints the rows of each split and writes the split files", async () => {
    const r = await cli([
      "export",
      "--db",
      dbPath,
      "--run",
      runs.get("dpo")!,
      "-f",
      "trl-dpo",
      "-o",
      join(dir, "cli.jsonl"),
      "--split",
      "train=0.9,test=0.1",
      "--seed",
      "7",
      "--stratify",
      "sub_topic",
      "--status",
      "approved",
      "--min-score",
      "0.5",
    ]);
    expect(r.err.filter((l) => l.startsWith("error"))).toEqual([]);
    expect(r.code).toBe(0);
    const train = readJsonl(join(dir, "cli.train.jsonl")).length;
    const test = readJsonl(join(dir, "cli.test.jsonl")).length;
    expect(r.out).toContain(`  train: ${train} row(s) → ${join(dir, "cli.train.jsonl")}`);
    expect(r.out).toContain(`  test: ${test} row(s) → ${join(dir, "cli.test.jsonl")}`);
    expect(train + test).toBe((await approved("dpo")).length);
  });

  it.each([
    [["--split", "train=0.9,test=0.2"], /--split shares add up to 1\.1, not 1/],
    [["--split", "train=0.5,train=0.5"], /names the split "train" twice/],
    [["--split", "train=0.5,my-test=0.5"], /"my-test" is not a split name/],
    [["--split", "train=1,test=0"], /a share must be a number above 0/],
    [
      ["--status", "approved,human_approve"],
      /Unknown review status "human_approve"; use .*human_approved, human_rejected/,
    ],
    [
      ["--status", "aproved"],
      /Unknown review status "aproved".*use pending, approved, needs_revision, rejected/,
    ],
    [["--min-score", "1.5"], /--min-score must be a number from 0 to 1/],
    [["--licence", "CC-BY-9"], /"CC-BY-9" is not an SPDX id; did you mean CC-BY-4\.0\?/],
    [["--seed", "7"], /--seed chooses how --split shuffles; give --split too/],
    [["--split", "a=1", "--seed", "-1"], /--seed must be a whole number/],
    [["--split", "a=1", "--stratify", "topic"], /--stratify must be sub_topic or difficulty/],
    [["--metadata", "-f", "openai-dpo"], /openai-dpo rows may not have/],
  ])("refuses %j with one typed line and writes nothing", async (flags, message) => {
    const out = join(dir, "bad", "x.jsonl");
    const args = ["export", "--db", dbPath, "--run", runs.get("dpo")!, "-o", out, ...flags];
    if (!flags.includes("-f")) args.push("-f", "trl-dpo");
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^error \[INVALID_REQUEST\]: /);
    expect(r.err[0]).toMatch(message);
    expect(existsSync(join(dir, "bad"))).toBe(false);
  });
});
