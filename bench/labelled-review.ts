/**
 * The labelled review sets, read and reviewed in one place for the benchmark
 * (bench/review.ts) and the tests (test/review/labelled.test.ts, test/review/gate.test.ts):
 * - `legacy` (test/fixtures/review): correct examples and deliberately corrupted variants;
 * - the gate sets (test/fixtures/review-gate/<set>.jsonl: `dev`, `extra` and `dev2`, and
 *   the independent `holdout`): realistic good and bad rows of every training type, each bad row labelled
 *   with its one defect (`DEFECT_KINDS`), with the run's topic, sub-topic, constraints and
 *   passages.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentRunner } from "../src/agents/fact-check.js";
import type { DefectKind, Difficulty, RequestConstraints } from "../src/core/types.js";
import { DEFAULT_REVIEW } from "../src/pipeline/pipeline.js";
import { type ReviewDeps, reviewExample } from "../src/pipeline/review-stage.js";
import { loadBenchmarks } from "../src/tools/decontamination.js";
import { DedupIndex } from "../src/tools/dedup.js";
import type { LicensedPassage } from "../src/tools/text-checks.js";
import { listVerifiers } from "../src/tools/verifiers.js";
import { getTrainingType } from "../src/training-types/index.js";

/**
 * What `reviewExample` needs to review one row as the pipeline would: the default review
 * settings, every built-in verifier and the fact check; no dedup or benchmarks unless given.
 */
export function offlineReviewDeps(agent: AgentRunner, more: Partial<ReviewDeps> = {}): ReviewDeps {
  return {
    agent,
    review: DEFAULT_REVIEW,
    dedup: null,
    benchmarks: null,
    verifiers: listVerifiers(),
    factCheck: true,
    ...more,
  };
}

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
      offlineReviewDeps(agent, {
        dedup: item.corruption === "duplicate" || item.label === "good" ? dedup : null,
        benchmarks,
      }),
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

/** One row of a labelled review-gate set (test/fixtures/review-gate/<set>.jsonl). */
export interface GateItem {
  id: string;
  label: "good" | "bad";
  defect: DefectKind | null;
  type: string;
  difficulty: Difficulty;
  topic: string;
  subTopic: string;
  constraints?: RequestConstraints;
  passages: Array<{ sourceId: string; licence?: string; permissive?: boolean; text: string }>;
  row: Record<string, unknown>;
  note: string;
}

/** The review of one labelled gate row. */
export interface GateResult {
  item: GateItem;
  /** approved, needs_revision, rejected, or invalid (the review itself failed). */
  status: string;
  score: number;
  /** The main defect the review named (null when it named none). */
  defect: DefectKind | null;
  /** The verdict kinds that failed, in order (without `final`). */
  failed: string[];
  notes: string[];
  ms: number;
}

export const GATE_DIR = join(import.meta.dirname, "..", "test", "fixtures", "review-gate");
/**
 * The labelled gate sets, by name: `dev` (for developing the checks), `extra` (a second,
 * smaller development set written with the checks' weak defect classes in mind: wrong
 * facts, off-topic rows, non-answers, wrong code, wrong rankings, and good rows that look
 * like them), `dev2` (a third development set, 178 rows over all nine types, written later
 * and independently of the checks' misses, half with passages), `dev3` and `dev4` (two more
 * of 180 rows each, written the same way; dev4 by helpers that saw one example row per type
 * and nothing of the checks), `dev5` to `dev10` (180 more each, by one helper each that saw
 * the same; dev6 and dev7 on fields away from the usual textbook ones, dev8 on the mainstream
 * subjects, dev9 on everyday applied and cultural fields, dev10 on university STEM and
 * software engineering) and `holdout` (only for measuring).
 */
export const GATE_SETS = [
  "dev",
  "extra",
  "dev2",
  "dev3",
  "dev4",
  "dev5",
  "dev6",
  "dev7",
  "dev8",
  "dev9",
  "dev10",
  "holdout",
] as const;

/** The rows of a gate set, in file order ([] when the file is absent). */
export function gateItems(set: (typeof GATE_SETS)[number]): GateItem[] {
  const file = join(GATE_DIR, `${set}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as GateItem);
}

/**
 * Reviews a gate set in file order, the way a run reviews its examples: one run-wide
 * duplicate index (an approved row claims its slot, so a later row repeating its response
 * is a duplicate), the row's topic, sub-topic, constraints and passages. A review that
 * throws is recorded as `invalid` with its error (it never stops the set).
 */
export async function reviewGateSet(agent: AgentRunner, items: GateItem[]): Promise<GateResult[]> {
  const dedup = new DedupIndex();
  const results: GateResult[] = [];
  for (const item of items) {
    const started = Date.now();
    let result: GateResult;
    try {
      const type = getTrainingType(item.type);
      let prompt = "";
      try {
        prompt = type.promptText(item.row);
      } catch {
        // a malformed row: the schema check names what is missing
      }
      const review = await reviewExample(
        {
          type,
          row: item.row,
          question: prompt,
          difficulty: item.difficulty,
          passages: item.passages.map((p) => ({
            sourceId: p.sourceId,
            text: p.text,
            permissive: p.permissive ?? true,
            licence: p.licence ?? "unknown",
          })),
          id: item.id,
          topic: item.topic,
          subTopic: item.subTopic,
          ...(item.constraints ? { constraints: item.constraints } : {}),
        },
        offlineReviewDeps(agent, { dedup }),
      );
      let { status, score, defect } = review;
      const failed = review.verdicts.filter((v) => !v.passed && v.kind !== "final").map((v) => v.kind);
      let notes = review.notes;
      if (status === "approved" && review.signature) {
        const dup = dedup.claim(item.id, review.signature);
        if (dup) {
          status = "rejected";
          score = 0;
          defect = "duplicate_response";
          failed.push("dedup");
          notes = [`${dup.kind} duplicate of ${dup.id}`];
        }
      }
      result = { item, status, score, defect, failed, notes, ms: Date.now() - started };
    } catch (e) {
      result = {
        item,
        status: "invalid",
        score: 0,
        defect: null,
        failed: ["error"],
        notes: [`review failed: ${e instanceof Error ? e.message : String(e)}`],
        ms: Date.now() - started,
      };
    }
    results.push(result);
  }
  return results;
}

/** Figures of a set of gate results (all rows, or one training type's). */
export interface GateFigures {
  rows: number;
  good: number;
  bad: number;
  /** Bad rows not approved. */
  badKeptOut: number;
  /** Good rows approved. */
  goodApproved: number;
  /** Caught bad rows whose named defect is the labelled one. */
  rightReason: number;
  /** Area under the ROC curve of the score, good vs bad (null without both). */
  auc: number | null;
}

/** Counts and AUC of gate results. */
export function gateFigures(results: GateResult[]): GateFigures {
  const good = results.filter((r) => r.item.label === "good");
  const bad = results.filter((r) => r.item.label === "bad");
  const caught = bad.filter((r) => r.status !== "approved");
  let auc: number | null = null;
  if (good.length && bad.length) {
    let wins = 0;
    for (const g of good) for (const b of bad) wins += g.score > b.score ? 1 : g.score === b.score ? 0.5 : 0;
    auc = wins / (good.length * bad.length);
  }
  return {
    rows: results.length,
    good: good.length,
    bad: bad.length,
    badKeptOut: caught.length,
    goodApproved: good.filter((r) => r.status === "approved").length,
    rightReason: caught.filter((r) => r.defect === r.item.defect).length,
    auc,
  };
}
