import type { Command } from "commander";
import { SynthforgeError } from "../core/errors.js";
import {
  checkSelection,
  type ExportSelection,
  parseLicenceFilter,
  parseReviewStatuses,
  parseSplits,
  type StratifyBy,
} from "../export/export-select.js";
import type { CliIO } from "./progress.js";

/** The filter, split and metadata flags of `synthforge export`. */
export interface ExportFilterFlags {
  minScore?: string;
  status?: string;
  licence?: string;
  split?: string;
  seed?: string;
  stratify?: string;
  metadata?: boolean;
}

/** Adds the filter, split and metadata options to the `export` command. */
export function addExportFilterOptions(cmd: Command): Command {
  return cmd
    .option("--status <list>", "review statuses to export, comma-separated (default approved)")
    .option("--min-score <x>", "only examples with a quality score of at least x (0–1)")
    .option(
      "--licence <permissive|spdx,...>",
      "only examples whose every source is permissive, or under one of these SPDX ids (CC-BY-* for a family)",
    )
    .option(
      "--split <name=share,...>",
      "one file (or Hub split) per split, e.g. train=0.9,test=0.1: --out a.jsonl writes a.train.jsonl, a.test.jsonl",
    )
    .option("--seed <n>", "with --split: seed of the shuffle that assigns examples to splits (default 0)")
    .option(
      "--stratify <sub_topic|difficulty>",
      "with --split: give each sub-topic (or difficulty) the shares",
    )
    .option(
      "--metadata",
      "add a synthforge column (ids, scores, sub-topic, the stored fields: PPO reward, RLHF ratings, DPO rejection reason, ...)",
    );
}

/**
 * Reads and checks the filter and split flags, before the database is opened.
 *
 * @throws SynthforgeError `INVALID_REQUEST` saying which flag to fix.
 */
export function exportSelectionFromFlags(flags: ExportFilterFlags): ExportSelection & { metadata?: boolean } {
  const sel: ExportSelection & { metadata?: boolean } = {};
  if (flags.status !== undefined) sel.reviewStatus = parseReviewStatuses(flags.status);
  if (flags.minScore !== undefined) {
    const x = flags.minScore.trim() === "" ? Number.NaN : Number(flags.minScore);
    if (!(Number.isFinite(x) && x >= 0 && x <= 1))
      throw new SynthforgeError(
        "INVALID_REQUEST",
        `--min-score must be a number from 0 to 1, got "${flags.minScore}".`,
      );
    sel.minScore = x;
  }
  if (flags.licence !== undefined) sel.licence = parseLicenceFilter(flags.licence);
  if (flags.split !== undefined) sel.split = parseSplits(flags.split);
  if (flags.seed !== undefined) {
    const n = /^\d+$/.test(flags.seed.trim()) ? Number(flags.seed) : Number.NaN;
    if (!Number.isSafeInteger(n))
      throw new SynthforgeError(
        "INVALID_REQUEST",
        `--seed must be a whole number of 0 or more, got "${flags.seed}".`,
      );
    sel.seed = n;
  }
  if (flags.stratify !== undefined) sel.stratify = flags.stratify as StratifyBy;
  if (flags.metadata) sel.metadata = true;
  return { ...checkSelection(sel), ...(sel.metadata ? { metadata: true } : {}) };
}

/** Prints what the filters left out and the rows of each split. */
export function printSelection(
  res: {
    selection?: { considered: number; belowScore: number; licenceExcluded: number };
    splits?: Array<{ name: string; rows: number; path?: string }>;
  },
  io: CliIO,
): void {
  const s = res.selection;
  if (s && (s.belowScore || s.licenceExcluded)) {
    const parts = [
      s.belowScore ? `${s.belowScore} below --min-score` : "",
      s.licenceExcluded ? `${s.licenceExcluded} with a source outside --licence` : "",
    ].filter(Boolean);
    io.out(
      `selected ${s.considered - s.belowScore - s.licenceExcluded} of ${s.considered} example(s); left out ${parts.join(", ")}`,
    );
  }
  for (const sp of res.splits ?? [])
    io.out(`  ${sp.name}: ${sp.rows} row(s)${sp.path ? ` → ${sp.path}` : ""}`);
}
