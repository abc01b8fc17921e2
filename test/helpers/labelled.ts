import { readFileSync } from "node:fs";
import { join } from "node:path";

/** One row of the labelled review set (test/fixtures/review/labelled.jsonl). */
export interface LabelledRow {
  id: string;
  row: Record<string, unknown>;
  passages: string[];
}

const FIX = join(import.meta.dirname, "..", "fixtures", "review");
const labelled = readFileSync(join(FIX, "labelled.jsonl"), "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as LabelledRow);
const PASSAGES = JSON.parse(readFileSync(join(FIX, "passages.json"), "utf8")) as Record<
  string,
  { text: string }
>;

/** The labelled row with this id. */
export const labelledRow = (id: string): LabelledRow => labelled.find((l) => l.id === id)!;

/** The texts of the passages a labelled row is checked against. */
export const labelledContext = (id: string): string[] =>
  labelledRow(id).passages.map((k) => PASSAGES[k]!.text);
