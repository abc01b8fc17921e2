/**
 * Which examples an export writes, and to which split: filters (review status, quality
 * score, source licences), a deterministic seeded split (optionally stratified by
 * sub-topic or difficulty), and the `synthforge` metadata column. Every option is
 * checked by {@link checkSelection} before anything is read or written.
 */
import { SynthforgeError } from "../core/errors.js";
import { sha256 } from "../core/ids.js";
import { REVIEW_STATUSES, type ReviewStatus } from "../core/types.js";
import { licenceById } from "../sources/licence.js";
import { type ExamplePageRow, examplePages } from "../storage/example-pages.js";
import type { RunRow, SourceRow, Store } from "../storage/store.js";
import { acceptsExtraColumns, type ExportFormatId, type FormatLookup } from "../training-types/formats.js";

/** One split of an export: its name and the share of the selected examples it gets. */
export interface SplitSpec {
  /** `train`, `test`, `validation`, ...: letters, digits and `_`, starting with a letter. */
  name: string;
  /** Share of the examples, in (0, 1]; the shares of all splits add up to 1. */
  fraction: number;
}

/** What a split is stratified by: each value gets the split shares on its own. */
export type StratifyBy = "sub_topic" | "difficulty";

/**
 * Source licences an exported example may draw on: `permissive` (every source's licence
 * is permissive) or a list of SPDX ids (every source's licence is one of them; a
 * trailing `*` matches a prefix, e.g. `CC-BY-*`).
 */
export type LicenceFilter = "permissive" | string[];

/** Which examples an export holds and how they are split. */
export interface ExportSelection {
  /** Review statuses to export. Default: approved only. Only statuses that exist are accepted. */
  reviewStatus?: ReviewStatus[];
  /** Keep examples whose quality score is at least this (0–1); examples without a score are left out. */
  minScore?: number;
  /**
   * Keep examples whose every source is under an admitted licence. Examples that record
   * no source (so no licence is known) are left out.
   */
  licence?: LicenceFilter;
  /**
   * Split the examples into several files (or Hub splits), e.g.
   * `[{ name: "train", fraction: 0.9 }, { name: "test", fraction: 0.1 }]`.
   * Which example goes where depends only on its id and `seed`.
   */
  split?: SplitSpec[];
  /** Seed of the split's shuffle (a whole number ≥ 0). Default 0. */
  seed?: number;
  /** Give each sub-topic (or difficulty) the split shares on its own. */
  stratify?: StratifyBy;
}

const STRATIFY: readonly StratifyBy[] = ["sub_topic", "difficulty"];
const SPLIT_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** The column that carries an example's provenance and stored fields, with {@link ExportMetadataOptions}. */
export const METADATA_COLUMN = "synthforge";

/**
 * Formats whose loaders and trainers accept an extra column, so the `synthforge`
 * metadata column can ride along: the TRL formats (loaded with `datasets`; TRL's key-set
 * rules ignore columns they do not know, and GRPO passes them to reward functions) and
 * OpenAI reinforcement fine-tuning (graders read any top-level field). The other formats'
 * rows hold only their documented keys (OpenAI and Vertex AI uploads; the strict alpaca
 * and sharegpt validators). Each format says so itself (`extraColumns`).
 */
export function acceptsMetadataColumn(format: ExportFormatId, formats?: FormatLookup): boolean {
  return acceptsExtraColumns(format, formats);
}

const bad = (message: string, details?: Record<string, unknown>) =>
  new SynthforgeError("INVALID_REQUEST", message, details ? { details } : undefined);

/**
 * Reads review statuses (`approved,human_approved`). Only statuses that exist are
 * accepted: those of the automatic review and `human_approved` / `human_rejected`, which a
 * person sets in the studio's review queue.
 *
 * @throws SynthforgeError `INVALID_REQUEST` naming the unknown status and the known ones.
 */
export function parseReviewStatuses(text: string | readonly string[]): ReviewStatus[] {
  const names = (typeof text === "string" ? text.split(",") : [...text]).map((s) => s.trim());
  if (names.length === 0 || names.some((n) => n === ""))
    throw bad(`--status needs a comma-separated list of review statuses: ${REVIEW_STATUSES.join(", ")}.`);
  const out: ReviewStatus[] = [];
  for (const n of names) {
    if (!(REVIEW_STATUSES as readonly string[]).includes(n))
      throw bad(`Unknown review status "${n}"; use ${REVIEW_STATUSES.join(", ")}.`, { status: n });
    if (!out.includes(n as ReviewStatus)) out.push(n as ReviewStatus);
  }
  return out;
}

/**
 * Reads split shares: `train=0.9,test=0.1`. Names are letters, digits and `_`; each
 * share is in (0, 1]; the shares add up to 1; no name twice.
 *
 * @throws SynthforgeError `INVALID_REQUEST` saying what to fix.
 */
export function parseSplits(text: string): SplitSpec[] {
  const parts = text.split(",").map((p) => p.trim());
  const out: SplitSpec[] = [];
  for (const p of parts) {
    const m = /^([^=]*)=(.*)$/.exec(p);
    if (!m) throw bad(`--split "${text}": write each split as name=share, e.g. train=0.9,test=0.1.`);
    const fraction = Number(m[2]!.trim());
    out.push({ name: m[1]!.trim(), fraction: m[2]!.trim() === "" ? Number.NaN : fraction });
  }
  checkSplits(out);
  return out;
}

/** Checks split specs (see {@link parseSplits}). */
export function checkSplits(splits: readonly SplitSpec[]): void {
  if (splits.length === 0) throw bad("--split needs at least one split, e.g. train=0.9,test=0.1.");
  const seen = new Set<string>();
  for (const s of splits) {
    if (!SPLIT_NAME.test(s.name))
      throw bad(
        `--split: "${s.name}" is not a split name; use letters, digits and _ starting with a letter (train, test, validation).`,
      );
    if (seen.has(s.name.toLowerCase()))
      throw bad(`--split names the split "${s.name}" twice; give each split once.`, { split: s.name });
    seen.add(s.name.toLowerCase());
    if (!(Number.isFinite(s.fraction) && s.fraction > 0 && s.fraction <= 1))
      throw bad(`--split ${s.name}=${s.fraction}: a share must be a number above 0 and at most 1.`);
  }
  const sum = splits.reduce((a, s) => a + s.fraction, 0);
  if (Math.abs(sum - 1) > 1e-6)
    throw bad(
      `--split shares add up to ${Math.round(sum * 1e6) / 1e6}, not 1: ${splits.map((s) => `${s.name}=${s.fraction}`).join(",")}.`,
      { sum },
    );
}

/**
 * Reads a licence filter: `permissive`, or SPDX ids (`CC-BY-4.0,CC0-1.0`, `CC-BY-*`).
 *
 * @throws SynthforgeError `INVALID_REQUEST` for an id this version does not know.
 */
export function parseLicenceFilter(text: string | readonly string[]): LicenceFilter {
  const ids = (typeof text === "string" ? text.split(",") : [...text]).map((s) => s.trim()).filter(Boolean);
  if (ids.length === 0) throw bad("--licence needs `permissive` or a comma-separated list of SPDX ids.");
  if (ids.length === 1 && ids[0]!.toLowerCase() === "permissive") return "permissive";
  const out: string[] = [];
  for (const id of ids) {
    if (id.toLowerCase() === "permissive")
      throw bad("--licence takes `permissive` alone, or a list of SPDX ids; not both.");
    if (id.endsWith("*")) {
      if (id.length < 2) throw bad('--licence "*" would admit everything; leave --licence out instead.');
      out.push(id);
      continue;
    }
    const known = licenceById(id);
    if (!known || known.spdx === "unknown")
      throw bad(
        `--licence: unknown licence id "${id}"; use SPDX ids such as CC-BY-4.0, CC-BY-SA-4.0, CC0-1.0, MIT (or CC-BY-* for a family), or permissive.`,
        { licence: id },
      );
    if (known.spdx.toLowerCase() !== id.toLowerCase())
      throw bad(`--licence: "${id}" is not an SPDX id; did you mean ${known.spdx}?`, { licence: id });
    out.push(known.spdx);
  }
  return out;
}

/**
 * Checks every selection option (ranges, names, combinations) and returns it normalised.
 *
 * @throws SynthforgeError `INVALID_REQUEST` saying what to fix.
 */
export function checkSelection(sel: ExportSelection): ExportSelection {
  const out: ExportSelection = { ...sel };
  if (sel.reviewStatus) out.reviewStatus = parseReviewStatuses(sel.reviewStatus);
  if (
    sel.minScore !== undefined &&
    !(Number.isFinite(sel.minScore) && sel.minScore >= 0 && sel.minScore <= 1)
  )
    throw bad(`--min-score must be a number from 0 to 1, got ${sel.minScore}.`);
  if (sel.licence !== undefined) out.licence = parseLicenceFilter(sel.licence);
  if (sel.split) checkSplits(sel.split);
  if (sel.seed !== undefined) {
    if (!sel.split) throw bad("--seed chooses how --split shuffles; give --split too.");
    if (!(Number.isSafeInteger(sel.seed) && sel.seed >= 0))
      throw bad(`--seed must be a whole number of 0 or more, got ${sel.seed}.`);
  }
  if (sel.stratify !== undefined) {
    if (!sel.split) throw bad("--stratify applies to --split; give --split too.");
    if (!STRATIFY.includes(sel.stratify))
      throw bad(`--stratify must be ${STRATIFY.join(" or ")}, got "${sel.stratify}".`);
  }
  return out;
}

/** True when a selection needs a pass over the examples before writing (filters or splits). */
export function needsSelection(sel: ExportSelection): boolean {
  return sel.minScore !== undefined || sel.licence !== undefined || sel.split !== undefined;
}

/**
 * The file of one split: `out.jsonl` → `out.train.jsonl`, `data.parquet` → `data.test.parquet`.
 */
export function splitPath(out: string, split: string): string {
  const m = /^(.*?)(\.[^./\\]+)?$/.exec(out)!;
  return `${m[1]}.${split}${m[2] ?? ""}`;
}

/**
 * Shares `n` items out by `fractions` (largest remainder: the counts add up to `n`, and
 * each is within 1 of its exact share; ties go to the earlier split).
 */
export function allocate(n: number, fractions: readonly number[]): number[] {
  const exact = fractions.map((f) => f * n);
  const counts = exact.map((x) => Math.floor(x + 1e-9));
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - counts[i]! })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k]!.i]!++;
  return counts;
}

/**
 * Shares the items of several strata out by `fractions` so that each split's total is its
 * share of all items ({@link allocate} of the sum), and each stratum's count in a split is
 * within 1 of its exact share: 30 rows in ten sub-topics of three, split 0.9/0.1, give
 * 3 test rows from three different sub-topics, not 0 (rounding each stratum alone).
 * Leftover units go to the largest remainders first (ties: earlier stratum, earlier split).
 */
export function allocateStrata(sizes: readonly number[], fractions: readonly number[]): number[][] {
  const totals = allocate(
    sizes.reduce((a, b) => a + b, 0),
    fractions,
  );
  const out = sizes.map((n) => fractions.map((f) => Math.floor(f * n + 1e-9)));
  const left = sizes.map((n, s) => n - out[s]!.reduce((a, b) => a + b, 0));
  const need = totals.map((t, i) => t - out.reduce((a, row) => a + row[i]!, 0));
  const units = sizes
    .flatMap((n, s) => fractions.map((f, i) => ({ s, i, r: f * n - out[s]![i]! })))
    .filter((u) => u.r > 1e-9)
    .sort((a, b) => b.r - a.r || a.s - b.s || a.i - b.i);
  for (const u of units) {
    if (left[u.s]! > 0 && need[u.i]! > 0) {
      out[u.s]![u.i]!++;
      left[u.s]!--;
      need[u.i]!--;
    }
  }
  // Rare: the greedy pass left a unit where only a split without a remainder has room.
  for (const [s] of sizes.entries())
    for (let i = 0; left[s]! > 0 && i < fractions.length; i++)
      while (left[s]! > 0 && need[i]! > 0) {
        out[s]![i]!++;
        left[s]!--;
        need[i]!--;
      }
  return out;
}

/** Sub-topic and difficulty of a run's questions, by question id. */
export type QuestionInfo = Map<string, { subTopic: string; difficulty: string }>;

/** Reads the sub-topic and difficulty of every question of a run. */
export async function questionInfo(store: Store, runId: string): Promise<QuestionInfo> {
  const out: QuestionInfo = new Map();
  for (const q of await store.listQuestions(runId))
    out.set(q.id, { subTopic: q.subTopic, difficulty: q.difficulty });
  return out;
}

/** The examples an export writes, each with its split (`""` without splits). */
export interface Selection {
  /** Example id → split name. */
  assigned: Map<string, string>;
  /** Rows per split, in the order the splits were given (one `""` entry without splits). */
  counts: Array<{ name: string; rows: number }>;
  /** Examples with the asked review statuses, before the score and licence filters. */
  considered: number;
  /** Left out by `minScore` (including examples without a score). */
  belowScore: number;
  /** Left out by `licence` (a source under another licence, or no recorded source). */
  licenceExcluded: number;
}

function licenceMatches(filter: LicenceFilter, s: SourceRow): boolean {
  if (filter === "permissive") return s.isPermissive && s.licence !== "unknown";
  const id = s.licence.toLowerCase();
  return filter.some((f) => {
    const p = f.toLowerCase();
    return p.endsWith("*") ? id.startsWith(p.slice(0, -1)) : p === id;
  });
}

/**
 * Chooses the examples an export writes and assigns each to a split: filters by review
 * status, score and source licence, then orders each stratum by `sha256(seed:id)` (a
 * seeded shuffle that depends only on the ids and the seed, so the same data and seed
 * always give the same split) and gives each split its share (largest remainder).
 * Memory: the ids of the selected examples.
 */
export async function selectExamples(
  store: Store,
  run: RunRow,
  sel: ExportSelection,
  opts: { batchSize?: number; questions?: QuestionInfo } = {},
): Promise<Selection> {
  const reviewStatus = sel.reviewStatus ?? ["approved"];
  const splits = sel.split ?? [{ name: "", fraction: 1 }];
  const seed = sel.seed ?? 0;
  const questions =
    sel.stratify && !opts.questions ? await questionInfo(store, run.id) : (opts.questions ?? new Map());
  const sources = new Map<string, SourceRow | null>();
  const strata = new Map<string, Array<{ id: string; key: string }>>();
  let considered = 0;
  let belowScore = 0;
  let licenceExcluded = 0;

  const decide = async (batch: ExamplePageRow[]) => {
    if (sel.licence) {
      const missing = [...new Set(batch.flatMap((e) => e.sources))].filter((id) => !sources.has(id));
      if (missing.length) {
        for (const id of missing) sources.set(id, null);
        for (const s of await store.getSources(missing)) sources.set(s.id, s);
      }
    }
    for (const ex of batch) {
      considered++;
      if (sel.minScore !== undefined && (ex.qualityScore === null || ex.qualityScore < sel.minScore)) {
        belowScore++;
        continue;
      }
      if (sel.licence) {
        const rows = ex.sources.map((id) => sources.get(id) ?? null);
        if (rows.length === 0 || rows.some((s) => s === null || !licenceMatches(sel.licence!, s))) {
          licenceExcluded++;
          continue;
        }
      }
      const q = questions.get(ex.questionId);
      const stratum = !sel.stratify
        ? ""
        : sel.stratify === "sub_topic"
          ? (q?.subTopic ?? "")
          : (q?.difficulty ?? "");
      let list = strata.get(stratum);
      if (!list) {
        list = [];
        strata.set(stratum, list);
      }
      list.push({ id: ex.id, key: sha256(`${seed}:${ex.id}`) });
    }
  };

  // Pages of the fast read path: the same rows, in the same order, as iterateExamples.
  for await (const page of examplePages(store, run.id, run.trainingType, {
    reviewStatus,
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
  }))
    await decide(page);

  const assigned = new Map<string, string>();
  const counts = splits.map((s) => ({ name: s.name, rows: 0 }));
  const fractions = splits.map((s) => s.fraction);
  const keys = [...strata.keys()].sort();
  const shares = allocateStrata(
    keys.map((k) => strata.get(k)!.length),
    fractions,
  );
  for (const [n, key] of keys.entries()) {
    const list = strata
      .get(key)!
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : 1));
    const share = shares[n]!;
    let at = 0;
    share.forEach((c, i) => {
      for (const item of list.slice(at, at + c)) assigned.set(item.id, splits[i]!.name);
      counts[i]!.rows += c;
      at += c;
    });
  }
  return { assigned, counts, considered, belowScore, licenceExcluded };
}

/**
 * The examples an export with filters or splits takes ({@link selectExamples}); undefined
 * when it has neither (every example of the statuses goes).
 *
 * @throws SynthforgeError `EXPORT_EMPTY` when nothing passes the filters or a split would be empty.
 */
export async function selectOrRefuse(
  store: Store,
  run: RunRow,
  sel: ExportSelection,
  opts: { batchSize?: number; questions?: QuestionInfo } = {},
): Promise<Selection | undefined> {
  if (!needsSelection(sel)) return undefined;
  const picked = await selectExamples(store, run, sel, opts);
  if (picked.assigned.size === 0)
    throw new SynthforgeError("EXPORT_EMPTY", emptySelectionReason(run, sel, picked));
  const empty = picked.counts.filter((c) => c.rows === 0);
  if (sel.split && empty.length)
    throw new SynthforgeError(
      "EXPORT_EMPTY",
      `The split ${empty.map((c) => c.name).join(", ")} would have no rows: only ${picked.assigned.size} example(s) were selected (${picked.counts.map((c) => `${c.name} ${c.rows}`).join(", ")}); give it a larger share or export more examples.`,
    );
  return picked;
}

/** Says why a selection is empty, for an `EXPORT_EMPTY` error. */
export function emptySelectionReason(run: RunRow, sel: ExportSelection, s: Selection): string {
  const statuses = (sel.reviewStatus ?? ["approved"]).join("/");
  if (s.considered === 0) return `Run ${run.id} has no ${statuses} examples.`;
  const why = [
    s.belowScore ? `${s.belowScore} below --min-score ${sel.minScore}` : "",
    s.licenceExcluded ? `${s.licenceExcluded} with a source outside --licence` : "",
  ].filter(Boolean);
  return `None of the ${s.considered} ${statuses} examples of run ${run.id} passed the filters (${why.join(", ")}).`;
}

/** The `synthforge` metadata column of one example. */
export function metadataOf(ex: ExamplePageRow, q: { subTopic: string; difficulty: string } | undefined) {
  return {
    example_id: ex.id,
    question_id: ex.questionId,
    sub_topic: q?.subTopic ?? null,
    difficulty: q?.difficulty ?? null,
    quality_score: ex.qualityScore,
    review_status: ex.reviewStatus,
    model: ex.model,
    source_ids: ex.sources,
    /** The example as stored: PPO reward and rationale, RLHF ratings and ranks, DPO rejection reason, ... */
    data: ex.data,
  };
}
