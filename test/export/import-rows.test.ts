import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { TrainingTypeName } from "../../src/core/types.js";
import { importRow, parseRecord } from "../../src/export/import-rows.js";
import { getTrainingType } from "../../src/training-types/index.js";

const FIX = join(import.meta.dirname, "..", "fixtures", "review");
const labelled = readFileSync(join(FIX, "labelled.jsonl"), "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as { id: string; type: TrainingTypeName; row: Record<string, unknown> });
const samples = labelled.filter((l) => l.id.startsWith("good-"));

/** What each format carries of a row: the columns an import must give back exactly. */
const CARRIED: Record<string, string[]> = {
  "trl-sft-messages": ["prompt", "response", "system", "messages", "question", "answer", "reasoning"],
  "openai-chat": ["prompt", "response", "system", "messages"],
  "trl-sft-prompt-completion": ["prompt", "response", "question", "answer", "reasoning"],
  alpaca: ["prompt", "response", "question", "answer", "reasoning"],
  "vertex-sft": ["messages", "system"],
  sharegpt: [
    "prompt",
    "chosen",
    "rejected",
    "response",
    "messages",
    "question",
    "answer",
    "reasoning",
    "label",
  ],
  "trl-dpo": ["prompt", "chosen", "rejected"],
  "trl-orpo": ["prompt", "chosen", "rejected"],
  "openai-dpo": ["prompt", "chosen", "rejected"],
  "trl-reward": ["prompt", "chosen", "rejected"],
  "trl-kto": ["prompt", "completion", "label"],
  "trl-grpo": ["prompt", "solution", "question"],
  "openai-rft": ["prompt", "solution"],
  "trl-prompt-only": ["prompt", "response", "reward", "reward_rationale"],
};

describe("importing rows from export formats", () => {
  for (const sample of samples) {
    const type = getTrainingType(sample.type);
    for (const [format, exporter] of Object.entries(type.exporters)) {
      it(`${sample.type} ← ${format} (${sample.id})`, () => {
        const line = exporter!(sample.row as never, { id: "x", questionId: "q", qualityScore: null });
        const imported = importRow(sample.type, JSON.parse(JSON.stringify(line)));
        expect(imported, `could not read ${format}`).not.toBeNull();
        const carried = (CARRIED[format] ?? []).filter(
          (c) => c in sample.row && !imported!.filled.includes(c),
        );
        expect(carried.length).toBeGreaterThan(0);
        for (const c of carried) expect(imported!.row[c], c).toEqual(sample.row[c]);
        // Every column exists; the placeholders are named.
        for (const c of Object.keys(sample.row)) expect(c in imported!.row).toBe(true);
      });
    }
  }

  it("takes rows in the stored columns as they are", () => {
    const sft = samples.find((s) => s.type === "sft")!;
    expect(importRow("sft", sft.row)).toEqual({ row: sft.row, format: "columns", filled: [] });
  });

  it("says nothing fits for a record of another shape", () => {
    expect(
      importRow("dpo", {
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: "hello" },
        ],
      }),
    ).toBeNull();
    expect(importRow("sft", { foo: 1 })).toBeNull();
    expect(parseRecord({ prompt: 42 })).toBeNull();
  });
});
