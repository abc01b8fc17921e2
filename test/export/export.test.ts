import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { isSynthforgeError } from "../../src/core/errors.js";
import { newId, sha256 } from "../../src/core/ids.js";
import type { TrainingTypeName } from "../../src/core/types.js";
import { exportRun } from "../../src/export/export.js";
import { deriveDatasetLicence, exportHfDataset, sizeCategory } from "../../src/export/hf-dataset.js";
import { createPipeline } from "../../src/pipeline/pipeline.js";
import type { SourceRow, Store } from "../../src/storage/store.js";
import { sqliteStore } from "../../src/storage/typeorm-store.js";
import { closePythonSandbox } from "../../src/tools/python-sandbox.js";
import {
  EXPORT_FORMATS,
  type ExportFormat,
  formatsByType,
  getTrainingType,
  validateJsonLines,
} from "../../src/training-types/index.js";

const TYPES: Array<[TrainingTypeName, string]> = [
  ["sft", "organic chemistry"],
  ["dpo", "general chemistry"],
  ["orpo", "biology"],
  ["kto", "physics"],
  ["rlhf", "algebra"],
  ["ppo", "organic chemistry"],
  ["chat", "biology"],
  ["qa", "physics"],
  ["grpo", "stoichiometry"],
];
const COUNT = 6;

let dir: string;
let store: Store;
const runs = new Map<string, string>();

/** Parquet values back as JSON: bigint → number, nulls (absent struct fields) dropped. */
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

async function readJsonl(path: string): Promise<Array<Record<string, unknown>>> {
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

async function validateFile(format: ExportFormat, path: string) {
  return validateJsonLines(
    format,
    createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY }),
  );
}

async function readParquet(path: string): Promise<Array<Record<string, unknown>>> {
  const file = await asyncBufferFromFile(path);
  return (await parquetReadObjects({ file })).map((r) => plain(r) as Record<string, unknown>);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sf-export-"));
  store = sqliteStore({ path: join(dir, "data.db") });
  const pipeline = createPipeline({ storage: store, typeOptions: { kto: { desirableRatio: 0.5 } } });
  for (const [type, topic] of TYPES) {
    const summary = await pipeline.run(`Generate ${COUNT} ${type.toUpperCase()} examples about ${topic}`)
      .done;
    expect(summary.counts.approved, `${type}: ${JSON.stringify(summary.dropReasons)}`).toBe(COUNT);
    runs.set(type, summary.runId);
  }
  // A chat example with a system prompt among ones without: mixed optional fields in one file.
  const chatRun = runs.get("chat")!;
  const q = {
    id: newId("q"),
    runId: chatRun,
    topic: "biology",
    subTopic: "extra",
    difficulty: "easy" as const,
    text: "Extra question?",
    textHash: sha256("extra"),
  };
  await store.insertQuestions([q]);
  await store.saveExample({
    id: newId("ex"),
    runId: chatRun,
    questionId: q.id,
    trainingType: "chat",
    data: {
      system: "You are a patient biology tutor.",
      messages: [
        { role: "user", content: "What does chlorophyll absorb?" },
        { role: "assistant", content: "Chlorophyll absorbs mainly red and blue light and reflects green." },
        { role: "user", content: "And what does the plant do with that energy?" },
        { role: "assistant", content: "It drives the light-dependent reactions that make ATP and NADPH." },
      ],
    },
    model: "test-model",
    provider: "scripted",
    qualityScore: 0.9,
    reviewStatus: "approved",
    sources: [],
    revision: 0,
  });
}, 120_000);

afterAll(async () => {
  await closePythonSandbox();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const PAIRS = TYPES.flatMap(([type]) =>
  (formatsByType()[type] ?? []).map((f) => [type, f] as [TrainingTypeName, ExportFormat]),
);

describe("export round trip for every (type, format) pair", () => {
  it("covers every format at least once", () => {
    const covered = new Set(PAIRS.map(([, f]) => f));
    for (const f of EXPORT_FORMATS) {
      expect(covered.has(f as ExportFormat), f).toBe(true);
    }
  });

  it.each(PAIRS)(
    "%s → %s: JSONL passes the strict validator; Parquet reads back the same rows",
    async (type, format) => {
      const runId = runs.get(type)!;
      const expected = COUNT + (type === "chat" ? 1 : 0);
      const jsonl = join(dir, `${type}-${format}.jsonl`);
      const res = await exportRun(store, runId, { format, out: jsonl, batchSize: 4 });
      expect(res).toMatchObject({ rows: expected, fileType: "jsonl", format, trainingType: type });
      const check = await validateFile(format, jsonl);
      expect(check.errors).toEqual([]);
      expect(check.rows).toBe(expected);
      expect(check.warnings.filter((w) => !/PPO scripts|implicit prompt/.test(w))).toEqual([]);

      const pq = join(dir, `${type}-${format}.parquet`);
      const pres = await exportRun(store, runId, { format, out: pq, rowGroupSize: 4 });
      expect(pres).toMatchObject({ rows: expected, fileType: "parquet" });
      const meta = await parquetMetadataAsync(await asyncBufferFromFile(pq));
      expect(Number(meta.num_rows)).toBe(expected);
      expect(meta.row_groups.length).toBe(Math.ceil(expected / 4));
      expect(meta.key_value_metadata?.find((k) => k.key === "synthforge.format")?.value).toBe(format);
      const fromParquet = await readParquet(pq);
      expect(fromParquet).toEqual(await readJsonl(jsonl));
    },
  );
});

describe("export rules", () => {
  it("writes KTO files with both labels in the configured ratio", async () => {
    const rows = await readJsonl(join(dir, "kto-trl-kto.jsonl"));
    expect(rows.filter((r) => r.label === true).length).toBe(COUNT / 2);
    expect(rows.every((r) => typeof r.label === "boolean")).toBe(true);
  });

  it("refuses an impossible pair with a clear error and writes nothing", async () => {
    const out = join(dir, "nope.jsonl");
    try {
      await exportRun(store, runs.get("kto")!, { format: "openai-dpo", out });
      expect.unreachable();
    } catch (e) {
      expect(isSynthforgeError(e, "EXPORT_FORMAT_UNSUPPORTED")).toBe(true);
      expect((e as Error).message).toMatch(
        /A kto run cannot be exported as openai-dpo: openai-dpo needs a prompt with a preferred and a non-preferred response/,
      );
      expect((e as Error).message).toMatch(/kto exports to: trl-kto, sharegpt/);
      expect((e as Error).message).toMatch(/openai-dpo is made from: dpo/);
    }
    expect(existsSync(out)).toBe(false);
    await expect(exportRun(store, runs.get("sft")!, { format: "trl-nonsense", out })).rejects.toThrow(
      /Unknown export format "trl-nonsense"/,
    );
  });

  it("stops on a row that breaks the format, names the example, and leaves no file", async () => {
    const runId = runs.get("dpo")!;
    const q = {
      id: newId("q"),
      runId,
      topic: "t",
      subTopic: "s",
      difficulty: "easy" as const,
      text: "Broken?",
      textHash: sha256("broken"),
    };
    await store.insertQuestions([q]);
    const id = newId("ex");
    // Stored by a buggy custom stage: chosen and rejected are the same.
    await store.saveExample({
      id,
      runId,
      questionId: q.id,
      trainingType: "dpo",
      data: {
        prompt: "Q?",
        chosen: "Same answer here.",
        rejected: "Same answer here.",
        chosen_rating: 9,
        rejected_rating: 2,
        rejection_reason: "unhelpful",
        rejection_explanation: null,
      },
      model: "m",
      provider: "scripted",
      qualityScore: 0.9,
      reviewStatus: "approved",
      sources: [],
      revision: 0,
    });
    for (const out of [join(dir, "broken.jsonl"), join(dir, "broken.parquet")]) {
      await expect(exportRun(store, runId, { format: "trl-dpo", out })).rejects.toSatisfy(
        (e: unknown) =>
          isSynthforgeError(e, "EXPORT_ROW_INVALID") &&
          (e as Error).message.includes(id) &&
          /identical/.test((e as Error).message),
      );
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir).some((f) => f.startsWith("broken.") && f.includes(".tmp-"))).toBe(false);
    }
    await store.updateExample("dpo", id, { reviewStatus: "rejected" });
  });

  it("exports only approved rows by default and others on request", async () => {
    const runId = runs.get("dpo")!;
    const res = await exportRun(store, runId, { format: "trl-orpo", out: join(dir, "approved.jsonl") });
    expect(res.rows).toBe(COUNT);
    await expect(
      exportRun(store, runId, {
        format: "trl-orpo",
        out: join(dir, "all.jsonl"),
        reviewStatus: ["approved", "rejected"],
      }),
    ).rejects.toThrow(/identical/);
  });
});

describe("Hugging Face dataset folder", () => {
  it("writes sharded Parquet (and JSONL on request) plus a dataset card with derived metadata", async () => {
    const hf = join(dir, "hf-rlhf");
    mkdirSync(join(hf, ".git"), { recursive: true });
    writeFileSync(join(hf, ".gitattributes"), "*.parquet filter=lfs\n");
    const res = await exportHfDataset(store, runs.get("rlhf")!, {
      dir: hf,
      jsonl: true,
      shardRows: 4,
      rowGroupSize: 2,
    });
    expect(res.format).toBe("trl-reward");
    expect(res.rows).toBe(COUNT);
    expect(res.files).toEqual([
      "README.md",
      "data/train-00000-of-00002.jsonl",
      "data/train-00000-of-00002.parquet",
      "data/train-00001-of-00002.jsonl",
      "data/train-00001-of-00002.parquet",
    ]);
    const shards = await Promise.all(
      [0, 1].map((i) => readParquet(join(hf, "data", `train-0000${i}-of-00002.parquet`))),
    );
    expect(shards.map((s) => s.length)).toEqual([4, 2]);
    const jsonl = [
      ...(await readJsonl(join(hf, "data/train-00000-of-00002.jsonl"))),
      ...(await readJsonl(join(hf, "data/train-00001-of-00002.jsonl"))),
    ];
    expect(shards.flat()).toEqual(jsonl);
    for (const f of res.files.filter((x) => x.endsWith(".jsonl")))
      expect((await validateFile("trl-reward", join(hf, f))).errors).toEqual([]);

    const card = readFileSync(join(hf, "README.md"), "utf8");
    const yaml = parseYaml(card.split("---\n")[1]!) as Record<string, unknown>;
    expect(yaml).toMatchObject({
      license: "cc-by-4.0",
      task_categories: getTrainingType("rlhf").hub!.taskCategories,
      size_categories: ["n<1K"],
      configs: [{ config_name: "default", data_files: [{ split: "train", path: "data/train-*.parquet" }] }],
    });
    expect(yaml.tags).toEqual(expect.arrayContaining(["synthetic", "rlhf", "trl", "offline-generated"]));
    expect(card).toMatch(/offline provider\*\* \(`synthforge-offline-1`\)/);
    expect(card).toMatch(/Models named on the exported rows: `synthforge-offline-1`/);
    expect(card).toMatch(/\| CC-BY-4\.0 \| \d+ \|/);
    expect(card).toMatch(/\| `chosen` \| `list<struct<role: string, content: string>>` \|/);
    // Other files in the folder are kept.
    expect(existsSync(join(hf, ".git"))).toBe(true);
    expect(existsSync(join(hf, ".gitattributes"))).toBe(true);

    // A second export replaces the shards (now one) and the card.
    const again = await exportHfDataset(store, runs.get("rlhf")!, { dir: hf, format: "sharegpt" });
    expect(again.files).toEqual(["README.md", "data/train-00000-of-00001.parquet"]);
    expect(readdirSync(join(hf, "data")).sort()).toEqual(["train-00000-of-00001.parquet"]);
    expect(readdirSync(hf).some((f) => f.startsWith(".synthforge-tmp"))).toBe(false);
  });

  it("names the generating provider and models when they are not offline", async () => {
    const hf = join(dir, "hf-chat");
    const res = await exportHfDataset(store, runs.get("chat")!, { dir: hf, format: "openai-chat" });
    const card = readFileSync(join(hf, "README.md"), "utf8");
    expect(res.rows).toBe(COUNT + 1);
    expect(card).toMatch(/`synthforge-offline-1`, `test-model`|`test-model`, `synthforge-offline-1`/);
    expect(card).toMatch(/offline-generated/);
  });

  it("refuses an empty export", async () => {
    const run = await store.createRun({
      id: newId("run"),
      request: "r",
      trainingType: "sft",
      topic: "t",
      targetCount: 1,
      status: "completed",
      provider: "offline",
      config: {},
    });
    await expect(exportHfDataset(store, run.id, { dir: join(dir, "hf-empty") })).rejects.toSatisfy(
      (e: unknown) => isSynthforgeError(e, "EXPORT_EMPTY"),
    );
    await expect(
      exportRun(store, run.id, { format: "alpaca", out: join(dir, "empty.parquet") }),
    ).rejects.toThrow(/no approved examples/);
  });
});

describe("dataset licence from the sources used", () => {
  const src = (licence: string, over: Partial<SourceRow> = {}): SourceRow => ({
    id: newId("src"),
    url: "https://example.org",
    title: "t",
    authors: [],
    published: null,
    retrievedAt: new Date(),
    adapter: "test",
    licence,
    licenceUrl: null,
    isPermissive: true,
    attributionRequired: !/^CC0|PublicDomain/.test(licence),
    commercialUseAllowed: true,
    shareAlike: /-SA-/.test(licence),
    noDerivatives: false,
    licenceEvidence: "test",
    contentHash: sha256(Math.random().toString()),
    flags: null,
    ...over,
  });

  it("keeps a single licence", () => {
    expect(deriveDatasetLicence([src("CC-BY-4.0"), src("CC-BY-4.0")]).id).toBe("cc-by-4.0");
    expect(deriveDatasetLicence([src("CC0-1.0")]).id).toBe("cc0-1.0");
    expect(deriveDatasetLicence([src("MIT")]).id).toBe("mit");
  });
  it("makes CC BY from attribution and public-domain sources, and CC BY-SA when any source is share-alike", () => {
    expect(deriveDatasetLicence([src("CC-BY-4.0"), src("CC0-1.0"), src("CC-BY-3.0")]).id).toBe("cc-by-4.0");
    const sa = deriveDatasetLicence([src("CC-BY-4.0"), src("CC-BY-SA-4.0"), src("CC0-1.0")]);
    expect(sa.id).toBe("cc-by-sa-4.0");
    expect(sa.note).toMatch(/Share-alike/);
    expect(sa.sources).toEqual([
      { spdx: "CC-BY-4.0", count: 1 },
      { spdx: "CC-BY-SA-4.0", count: 1 },
      { spdx: "CC0-1.0", count: 1 },
    ]);
  });
  it("says other, with a note, for unknown, restrictive or unmixable licences", () => {
    const unknown = deriveDatasetLicence([src("CC-BY-4.0"), src("unknown", { isPermissive: false })]);
    expect(unknown.id).toBe("other");
    expect(unknown.note).toMatch(/unknown or restrict reuse \(unknown\)/);
    expect(
      deriveDatasetLicence([src("CC-BY-NC-4.0", { isPermissive: false, commercialUseAllowed: false })]).id,
    ).toBe("other");
    expect(deriveDatasetLicence([src("GPL-3.0-only", { shareAlike: true }), src("CC-BY-SA-4.0")]).id).toBe(
      "other",
    );
    expect(deriveDatasetLicence([src("MIT"), src("CC-BY-4.0")]).id).toBe("other");
    expect(deriveDatasetLicence([]).id).toBe("unknown");
  });
  it("maps counts to the Hub's size categories", () => {
    expect([0, 999, 1000, 99_999, 100_000, 1_000_000].map(sizeCategory)).toEqual([
      "n<1K",
      "n<1K",
      "1K<n<10K",
      "10K<n<100K",
      "100K<n<1M",
      "1M<n<10M",
    ]);
  });
});
