import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg_ from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createPipeline,
  EXPORT_FORMATS,
  exampleColumns,
  isExportFormat,
  listExportFormats,
  listTrainingTypes,
  loadConfig,
  loadPlugins,
  parseRequest,
  parseTrainingType,
  pipelineOptionsFromConfig,
  postgresStore,
  registerFormatValidator,
  registerTrainingType,
  SynthforgeError,
  sftType,
  sqliteStore,
  TRAINING_TYPES,
  validateJsonLines,
} from "../../src/index.js";
import type { TypeormStore } from "../../src/storage/typeorm-store.js";
import { startPostgres, type TestPostgres } from "../helpers/postgres.js";

const root = join(import.meta.dirname, "..", "..");
const plugin = join(root, "examples", "plugin", "index.js");

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(SynthforgeError);
    return (e as SynthforgeError).code;
  }
  return undefined;
}

beforeAll(async () => {
  await loadPlugins(["./examples/plugin/index.js"], { baseDir: root });
});

describe("a training type registered at run time is first-class", () => {
  it("is listed after the built-ins, parsed by name and read from a request", () => {
    const names = listTrainingTypes().map((t) => t.name);
    expect(names.slice(0, TRAINING_TYPES.length)).toEqual(TRAINING_TYPES.filter((n) => names.includes(n)));
    expect(names).toContain("mcq");
    expect(parseTrainingType("MCQ")).toBe("mcq");
    const read = parseRequest("Generate 12 mcq examples about the water cycle");
    expect(read.trainingType).toBe("mcq");
    expect(read.count).toBe(12);
  });

  it("gets its table columns from its row schema (and fixed ones stay the built-ins')", () => {
    expect(exampleColumns("mcq")).toEqual([
      { name: "question", kind: "text" },
      { name: "options", kind: "json" },
      { name: "answer_index", kind: "integer" },
      { name: "explanation", kind: "text" },
    ]);
    expect(exampleColumns("sft")?.map((c) => c.name)).toEqual(["system", "prompt", "response"]);
  });

  it("refuses names that cannot name a table and columns that cannot be stored", async () => {
    expect(await codeOf(() => registerTrainingType({ ...sftType, name: "My Type" }))).toBe("CONFIG_INVALID");
    expect(
      await codeOf(() =>
        registerTrainingType({
          ...sftType,
          name: "badcols",
          rowSchema: z.object({ id: z.string() }) as never,
        }),
      ),
    ).toBe("CONFIG_INVALID");
    expect(listTrainingTypes().map((t) => t.name)).not.toContain("badcols");
  });
});

describe("registered export formats", () => {
  it("count as export formats, after the built-ins; a bare validator registers one too", () => {
    expect(isExportFormat("mcq-jsonl")).toBe(true);
    expect(listExportFormats().slice(0, EXPORT_FORMATS.length)).toEqual([...EXPORT_FORMATS]);
    expect(isExportFormat("my-format")).toBe(false);
    registerFormatValidator("my-format", (row) => ("text" in row ? [] : ["text is missing"]));
    expect(isExportFormat("my-format")).toBe(true);
    expect(listExportFormats()).toContain("my-format");
  });

  it("validate files with the registered row validator", async () => {
    const good = JSON.stringify({
      question: "q?",
      choices: ["a", "b", "c", "d"],
      answer: "B",
      explanation: "e",
    });
    const bad = JSON.stringify({ question: "q?", choices: ["a", "a", "c"], answer: "E", explanation: "e" });
    const res = await validateJsonLines("mcq-jsonl", [good, bad]);
    expect(res.rows).toBe(2);
    expect(res.errors.map((e) => e.line)).toEqual([2, 2]);
    expect(res.errors.map((e) => e.message).join("; ")).toMatch(
      /exactly 4 choices.*answer must be one of A, B, C, D/,
    );
  });
});

describe("config files name registered sources and types", () => {
  it("accepts sources: [{ type: jsonNotes }] and typeOptions of a registered type", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-ext-config-"));
    const file = join(dir, "synthforge.config.yaml");
    writeFileSync(
      file,
      "sources:\n  - type: jsonNotes\n    options: { file: ./notes.json }\ntypeOptions:\n  mcq: { any: 1 }\n",
    );
    const { config } = loadConfig(file);
    expect(config.sources).toEqual([{ type: "jsonNotes", options: { file: "./notes.json" } }]);
    expect(config.typeOptions).toEqual({ mcq: { any: 1 } });
  });

  it("still rejects an unknown source type, naming the registered ones", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-ext-config-"));
    const file = join(dir, "synthforge.config.yaml");
    writeFileSync(file, "sources:\n  - type: noSuchSource\n");
    let message = "";
    try {
      loadConfig(file);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/field "sources\.0\.type"/);
    expect(message).toContain("jsonNotes");
  });
});

describe("loadPlugins", () => {
  it("runs a plugin once however often it is named", async () => {
    const loaded = await loadPlugins([plugin, "./examples/plugin/index.js"], { baseDir: root });
    expect(new Set(loaded.map((l) => l.url)).size).toBe(1);
  });

  it("names the plugin and the reason when one cannot be loaded", async () => {
    const e = await loadPlugins(["./missing-plugin.js"], { baseDir: root }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SynthforgeError);
    expect((e as SynthforgeError).code).toBe("PLUGIN_FAILED");
    expect((e as Error).message).toBe(
      'Plugin "./missing-plugin.js" could not be loaded: the file does not exist.',
    );
  });
});

/** Runs a 2-example mcq run offline on `store` with options from a config, and checks table and rows. */
async function mcqRun(store: TypeormStore, out: string) {
  const pipeline = createPipeline({
    storage: store,
    ...pipelineOptionsFromConfig(
      { provider: "offline", sources: [{ type: "jsonNotes" as never }] },
      { configDir: root },
    ),
  });
  try {
    const summary = await pipeline.run({ trainingType: "mcq", count: 2, topic: "the water cycle" }).done;
    expect(summary.status).toBe("completed");
    expect(summary.trainingType).toBe("mcq");
    const rows = [];
    for await (const r of store.iterateExamples(summary.runId, "mcq")) rows.push(r);
    expect(rows.filter((r) => r.reviewStatus === "approved")).toHaveLength(2);
    for (const r of rows) {
      expect(r.data.options).toHaveLength(4);
      expect(Number.isInteger(r.data.answer_index)).toBe(true);
      expect((r.data.options as string[])[r.data.answer_index as number]).toBeTruthy();
    }
    const result = await pipeline.export(summary.runId, { format: "mcq-jsonl", out });
    expect(result.rows).toBe(2);
    const lines = readFileSync(out, "utf8").trim().split("\n");
    const check = await validateJsonLines("mcq-jsonl", lines);
    expect(check.errors).toEqual([]);
    const first = JSON.parse(lines[0]!);
    const stored = rows.find((r) => r.data.question === first.question)!;
    expect(first.answer).toBe("ABCD"[stored.data.answer_index as number]);
    return summary.runId;
  } finally {
    await pipeline.close();
  }
}

describe("the store creates the table of a registered type", () => {
  it("on SQLite: a run of the plugin's type through pipelineOptionsFromConfig, stored and exported", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-ext-sqlite-"));
    const store = sqliteStore({ path: join(dir, "ext.db") });
    await mcqRun(store, join(dir, "mcq.jsonl"));
    const reopened = sqliteStore({ path: join(dir, "ext.db") });
    await reopened.init();
    const cols = (await reopened.dataSource.query(`PRAGMA table_info("synthetic_data_mcq")`)) as Array<{
      name: string;
      type: string;
      notnull: number;
    }>;
    expect(cols.map((c) => `${c.name}:${c.type.toLowerCase()}:${c.notnull}`)).toEqual(
      expect.arrayContaining(["options:text:1", "answer_index:integer:1", "question_id:varchar:1"]),
    );
    await reopened.close();
  }, 120_000);

  describe("on PostgreSQL", () => {
    let pg: TestPostgres;
    beforeAll(async () => {
      pg = await startPostgres();
    }, 120_000);
    afterAll(async () => {
      await pg?.stop();
    });

    it("creates synthetic_data_mcq with jsonb/integer columns and runs the type", async () => {
      const url = await pg.createDatabase("ext");
      const dir = mkdtempSync(join(tmpdir(), "sf-ext-pg-"));
      await mcqRun(postgresStore({ url }), join(dir, "mcq.jsonl"));
      const client = new pg_.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query(
          "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'synthetic_data_mcq' ORDER BY ordinal_position",
        );
        const types = Object.fromEntries(rows.map((r) => [r.column_name, r.data_type]));
        expect(types).toMatchObject({ options: "jsonb", answer_index: "integer", question: "text" });
      } finally {
        await client.end();
      }
    }, 180_000);
  });
});
