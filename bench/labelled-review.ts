/**
 * The labelled review set (test/fixtures/review): correct examples and deliberately
 * corrupted variants of them. One place reads it and reviews it the way the review stage
 * does, for the precision/recall benchmark (bench/review.ts) and for the test that each
 * corruption is caught by its check (test/review/labelled.test.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentRunner } from "../src/agents/fact-check.js";
import type { Difficulty } from "../src/core/types.js";
import { DEFAULT_REVIEW } from "../src/pipeline/pipeline.js";
import { reviewExample } from "../src/pipeline/review-stage.js";
import { loadBenchmarks } from "../src/tools/decontamination.js";
import { DedupIndex } from "../src/tools/dedup.js";
import type { LicensedPassage } from "../src/tools/text-checks.js";
import { listVerifiers } from "../src/tools/verifiers.js";
import { getTrainingType } from "../src/training-types/index.js";

/** One labelled example. */
export interface Labelled {
  id: string;
  label: "good" | "bad";
  corruption: string | null;
  type: string;
  difficulty: Difficulty;
  question: string | null;
  passages: string[];
  row: Record<string, unknown>;
}

/** The review of one labelled example. */
export interface LabelledResult {
  item: Labelled;
  /** What the review stage said. */
  review: Awaited<ReturnType<typeof reviewExample>>;
  /** Its status after the run-wide duplicate claim (a correct example that repeats another is rejected). */
  status: string;
  score: number;
  /** The earlier example an approved correct example duplicates, with the kind of match. */
  duplicateOf: string | null;
  ms: number;
}

export const LABELLED_DIR = join(import.meta.dirname, "..", "test", "fixtures", "review");

/** The labelled examples, in file order. */
export const labelledItems = (): Labelled[] =>
  readFileSync(join(LABELLED_DIR, "labelled.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Labelled);

const labelledPassages = (): Record<string, LicensedPassage> =>
  JSON.parse(readFileSync(join(LABELLED_DIR, "passages.json"), "utf8")) as Record<string, LicensedPassage>;

/**
 * Reviews every labelled example in order with `agent`. Each corrupted example is a
 * variant of a correct one; reviewed against the same duplicate index it would be caught
 * as a near duplicate and the check it is meant to exercise would go untested. So only the
 * duplicates (and the correct examples, which fill the index) see the index.
 */
export async function reviewLabelledSet(agent: AgentRunner): Promise<LabelledResult[]> {
  const passages = labelledPassages();
  const benchmarks = await loadBenchmarks([join(LABELLED_DIR, "benchmark.jsonl")]);
  const dedup = new DedupIndex();
  const results: LabelledResult[] = [];
  for (const item of labelledItems()) {
    const type = getTrainingType(item.type);
    const started = Date.now();
    const review = await reviewExample(
      {
        type,
        row: item.row,
        question: item.question ?? type.promptText(item.row),
        difficulty: item.difficulty,
        passages: item.passages.map((k) => passages[k]!),
        id: item.id,
      },
      {
        agent,
        review: DEFAULT_REVIEW,
        dedup: item.corruption === "duplicate" || item.label === "good" ? dedup : null,
        benchmarks,
        verifiers: listVerifiers(),
        factCheck: true,
      },
    );
    let { status, score } = review;
    let duplicateOf: string | null = null;
    if (status === "approved" && review.signature && item.label === "good") {
      const dup = dedup.claim(item.id, review.signature);
      if (dup) {
        status = "rejected";
        score = 0;
        duplicateOf = `${dup.kind} duplicate of ${dup.id}`;
      }
    }
    results.push({ item, review, status, score, duplicateOf, ms: Date.now() - started });
  }
  return results;
}
