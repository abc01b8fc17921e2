import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createPipeline,
  EXPORT_FORMATS,
  exportHfDataset,
  formatDescription,
  formatTrainer,
  importRow,
  isExportFormat,
  listExportFormats,
  registerExportFormat,
  registerFormatValidator,
  registerTrainingType,
  SynthforgeError,
  sftType,
  sqliteStore,
  validateFormatRow,
} from "../../src/index.js";

/**
 * An export format added from outside src/ is one entry of the same registry as the
 * built-ins: listed, validated, exported to, named in the dataset card, and read back.
 */

const plainPairs = (row: Record<string, unknown>) =>
  Object.keys(row).length === 2 && typeof row.q === "string" && typeof row.a === "string";

registerExportFormat({
  id: "plain-pairs",
  description: "Plain question-answer pairs: {q, a}",
  needs: "a prompt and its answer",
  trainer: "my-trainer (`q` and `a` columns)",
  validate: (row) =>
    plainPairs(row) && (row.a as string).trim() ? [] : ["a row is exactly {q, a}, a non-empty"],
  read: {
    parse: (rec) =>
      plainPairs(rec)
        ? {
            system: null,
            turns: [
              { role: "user", content: rec.q as string },
              { role: "assistant", content: rec.a as string },
            ],
          }
        : null,
  },
});

describe("an export format registered from outside src/", () => {
  it("is an export format, listed after the built-ins, with its description and trainer", () => {
    expect(isExportFormat("plain-pairs")).toBe(true);
    expect(listExportFormats()).toEqual([...EXPORT_FORMATS, "plain-pairs"]);
    expect(formatDescription("plain-pairs")).toBe("Plain question-answer pairs: {q, a}");
    expect(formatTrainer("plain-pairs")).toBe("my-trainer (`q` and `a` columns)");
    expect(validateFormatRow("plain-pairs", { q: "q", a: " " })).toHaveLength(1);
  });

  it("a bare validator registers one too, and a built-in id cannot be taken", () => {
    expect(isExportFormat("bare-format")).toBe(false);
    registerFormatValidator("bare-format", (row) => ("text" in row ? [] : ["text is missing"]));
    expect(isExportFormat("bare-format")).toBe(true);
    expect(validateFormatRow("bare-format", {})).toEqual(["text is missing"]);
    expect(() => registerExportFormat({ id: "trl-dpo", description: "x", validate: () => [] })).toThrow(
      SynthforgeError,
    );
  });

  it("a run exports to it (JSON Lines and a dataset folder naming its trainer) and reads back", async () => {
    registerTrainingType({
      ...sftType,
      name: "plain_sft",
      exporters: { ...sftType.exporters, "plain-pairs": (r) => ({ q: r.prompt, a: r.response }) },
    });
    const dir = mkdtempSync(join(tmpdir(), "sf-format-"));
    const store = sqliteStore({ path: join(dir, "f.db") });
    const pipeline = createPipeline({ storage: store });
    try {
      const summary = await pipeline.run({ trainingType: "plain_sft", count: 2, topic: "photosynthesis" })
        .done;
      expect(summary.counts.approved).toBe(2);
      const out = join(dir, "pairs.jsonl");
      const res = await pipeline.export(summary.runId, { format: "plain-pairs", out });
      expect(res.rows).toBe(2);
      const rows = readFileSync(out, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      for (const row of rows) {
        expect(Object.keys(row)).toEqual(["q", "a"]);
        const back = importRow("sft", row);
        expect(back?.format).toBe("plain-pairs");
        expect(back?.row).toMatchObject({ prompt: row.q, response: row.a });
      }
      const hf = await exportHfDataset(store, summary.runId, { dir: join(dir, "hf"), format: "plain-pairs" });
      expect(hf.rows).toBe(2);
      expect(readFileSync(join(dir, "hf", "README.md"), "utf8")).toContain(
        "It loads without conversion into my-trainer (`q` and `a` columns).",
      );
    } finally {
      await pipeline.close();
    }
  }, 120_000);
});
