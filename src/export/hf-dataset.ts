import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { SynthforgeError } from "../core/errors.js";
import { checkFolder, makeFolders, removeFolders } from "../core/fs-paths.js";
import { loadSync } from "../core/load.js";
import type { ReviewStatus } from "../core/types.js";
import { OFFLINE_MODEL } from "../models/offline.js";
import type { RunRow, SourceRow, Store } from "../storage/store.js";
import {
  type ExportFormatId as ExportFormat,
  FormatFileChecker,
  typeName,
  type ValueType,
} from "../training-types/formats.js";
import type { TrainingType } from "../training-types/types.js";
import { type AttributionResult, writeAttribution } from "./attribution.js";
import {
  checkFormat,
  checkMetadataFormat,
  type ExportExample,
  type ExportMetadataOptions,
  type ExportRegistry,
  type ExportTally,
  exportRows,
  findRun,
  mergeColumns,
  newTally,
  processExportRegistry,
  writeJsonl,
  writeParquet,
} from "./export.js";
import {
  checkSelection,
  type ExportSelection,
  questionInfo,
  type Selection,
  selectOrRefuse,
} from "./export-select.js";

/**
 * Options of a Hugging Face dataset folder export. The filters and `split` are those of
 * {@link ExportSelection}: with `split`, each split gets its own shards
 * (`data/<split>-00000-of-0000N.parquet`) and a `configs` entry in the card.
 */
export interface HfDatasetOptions extends ExportSelection, ExportMetadataOptions {
  /** The dataset folder (e.g. a clone of a Hub dataset repository). Created when missing. */
  dir: string;
  /** Export format of the rows. Default: the training type's primary format. */
  format?: ExportFormat | (string & {});
  /** Where the run's training type and the format are found. Default: the process-wide registry. */
  registry?: ExportRegistry;
  /** Also write JSON Lines copies of the shards (`data/<split>-*.jsonl`). */
  jsonl?: boolean;
  /** Rows per shard (per split). Default 250,000. */
  shardRows?: number;
  /** Rows per Parquet row group. Default 10,000. */
  rowGroupSize?: number;
  /** Which review statuses to export. Default: approved only. */
  reviewStatus?: ReviewStatus[];
  /** Dataset name for the card. Default: from the training type and topic. */
  prettyName?: string;
}

/** What a Hugging Face dataset export wrote. */
export interface HfDatasetResult {
  runId: string;
  trainingType: string;
  format: ExportFormat;
  dir: string;
  rows: number;
  /** Files written, relative to `dir`. */
  files: string[];
  /** Rows per split, in the order of the card's `configs` (`train` alone without `split`). */
  splits: Array<{ name: string; rows: number }>;
  /** With filters or splits: how many examples were considered and why some were left out. */
  selection?: Pick<Selection, "considered" | "belowScore" | "licenceExcluded">;
  licence: DatasetLicence;
  /** The licence ledger written into the folder (`ATTRIBUTION.md`, `sources.json`). */
  attribution: AttributionResult;
  warnings: string[];
}

/** The licence of a dataset, derived from the licences of the sources it used. */
export interface DatasetLicence {
  /** Hugging Face Hub licence id (`cc-by-4.0`, `cc-by-sa-4.0`, `other`, `unknown`, ...). */
  id: string;
  /** Why this licence, in a sentence or two (goes into the card). */
  note: string;
  /** Licences of the sources used, with how many sources carry each. */
  sources: Array<{ spdx: string; count: number }>;
}

/** SPDX ids and their Hugging Face Hub licence ids. */
const HUB_LICENCE: Record<string, string> = {
  "CC0-1.0": "cc0-1.0",
  "CC-BY-2.0": "cc-by-2.0",
  "CC-BY-2.5": "cc-by-2.5",
  "CC-BY-3.0": "cc-by-3.0",
  "CC-BY-4.0": "cc-by-4.0",
  "CC-BY-SA-3.0": "cc-by-sa-3.0",
  "CC-BY-SA-4.0": "cc-by-sa-4.0",
  "CC-BY-NC-4.0": "cc-by-nc-4.0",
  "CC-BY-ND-4.0": "cc-by-nd-4.0",
  "CC-BY-NC-SA-4.0": "cc-by-nc-sa-4.0",
  "CC-BY-NC-ND-4.0": "cc-by-nc-nd-4.0",
  MIT: "mit",
  "Apache-2.0": "apache-2.0",
  "BSD-2-Clause": "bsd-2-clause",
  "BSD-3-Clause": "bsd-3-clause",
  Unlicense: "unlicense",
  "GPL-2.0-only": "gpl-2.0",
  "GPL-3.0-only": "gpl-3.0",
  "LGPL-3.0-only": "lgpl-3.0",
  "MPL-2.0": "mpl-2.0",
  "ODC-By-1.0": "odc-by",
  "ODbL-1.0": "odbl",
  "PDDL-1.0": "pddl",
};

const NO_ATTRIBUTION = new Set(["CC0-1.0", "LicenseRef-PublicDomain", "PDDL-1.0", "Unlicense"]);

/**
 * Derives the dataset's licence from the sources its examples used:
 * one licence throughout → that licence; Creative Commons Attribution mixed with
 * public-domain material → `cc-by-4.0`; any share-alike source → `cc-by-sa-4.0` (when
 * every share-alike source is CC BY-SA); anything unknown, non-commercial,
 * no-derivatives or otherwise mixed → `other`, with a note saying why.
 */
export function deriveDatasetLicence(sources: SourceRow[]): DatasetLicence {
  const counts = new Map<string, number>();
  for (const s of sources) counts.set(s.licence, (counts.get(s.licence) ?? 0) + 1);
  const list = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([spdx, count]) => ({ spdx, count }));
  const names = list.map((l) => `${l.spdx} (${l.count})`).join(", ");
  if (sources.length === 0) {
    return {
      id: "unknown",
      note: "The exported examples cite no source documents, so no licence could be derived; set one yourself.",
      sources: list,
    };
  }
  const restricted = sources.filter(
    (s) => s.licence === "unknown" || !s.isPermissive || s.noDerivatives || !s.commercialUseAllowed,
  );
  if (restricted.length) {
    const which = [...new Set(restricted.map((s) => s.licence))].join(", ");
    return {
      id: "other",
      note: `Some sources are under licences that are unknown or restrict reuse (${which}); check each source's terms (see the attribution file) before publishing. Source licences: ${names}.`,
      sources: list,
    };
  }
  if (list.length === 1) {
    const only = list[0]!.spdx;
    const id = HUB_LICENCE[only];
    if (id)
      return {
        id,
        note: `Every source used is under ${only}, so the dataset is offered under ${only} too; attribute the sources as the licence requires.`,
        sources: list,
      };
    return {
      id: "other",
      note: `Every source used is under ${only}, which has no Hugging Face licence id.`,
      sources: list,
    };
  }
  const shareAlike = sources.filter((s) => s.shareAlike);
  if (shareAlike.length) {
    if (
      shareAlike.every((s) => /^CC-BY-SA-/.test(s.licence)) &&
      sources.every((s) => s.shareAlike || NO_ATTRIBUTION.has(s.licence) || /^CC-BY-\d/.test(s.licence))
    ) {
      return {
        id: "cc-by-sa-4.0",
        note: `Share-alike sources (${[...new Set(shareAlike.map((s) => s.licence))].join(", ")}) require derived data to be shared under the same terms; CC BY-SA 4.0 also covers the CC BY and public-domain sources. Source licences: ${names}.`,
        sources: list,
      };
    }
    return {
      id: "other",
      note: `The sources mix share-alike licences that cannot be combined under one licence (${names}); check each source's terms before publishing.`,
      sources: list,
    };
  }
  if (sources.every((s) => NO_ATTRIBUTION.has(s.licence) || /^CC-BY-\d/.test(s.licence))) {
    return {
      id: "cc-by-4.0",
      note: `The sources are under Creative Commons Attribution licences or in the public domain (${names}); CC BY 4.0 covers them all. Attribute the sources (see the attribution file).`,
      sources: list,
    };
  }
  return {
    id: "other",
    note: `The sources are under several permissive licences (${names}); each source's attribution terms apply (see the attribution file).`,
    sources: list,
  };
}

/** The Hub's size category of a row count. */
export function sizeCategory(n: number): string {
  if (n < 1_000) return "n<1K";
  if (n < 10_000) return "1K<n<10K";
  if (n < 100_000) return "10K<n<100K";
  if (n < 1_000_000) return "100K<n<1M";
  if (n < 10_000_000) return "1M<n<10M";
  if (n < 100_000_000) return "10M<n<100M";
  if (n < 1_000_000_000) return "100M<n<1B";
  return "n>1B";
}

/** What a dataset card says. */
export interface DatasetCardInfo {
  run: RunRow;
  /** The run's training type. Default: the registry's of `run.trainingType`. */
  type?: TrainingType;
  /** Where the type and the format are found. Default: the process-wide registry. */
  registry?: ExportRegistry;
  format: ExportFormat;
  rows: number;
  columns: Record<string, ValueType>;
  licence: DatasetLicence;
  models: string[];
  providers: string[];
  meanQuality: number | null;
  minQuality: number | null;
  jsonl: boolean;
  prettyName?: string;
  /** Splits and their rows. Default: one `train` split with every row. */
  splits?: Array<{ name: string; rows: number }>;
}

/** The README.md dataset card: YAML metadata, then what the data is and how it was made. */
export function datasetCard(info: DatasetCardInfo): string {
  const registry = info.registry ?? processExportRegistry;
  const type = info.type ?? registry.trainingType(info.run.trainingType);
  const described = registry.exportFormat(info.format);
  const hub = type.hub ?? { taskCategories: ["text-generation"], tags: [type.name] };
  const offline = info.providers.includes("offline") || info.models.includes(OFFLINE_MODEL);
  const tags = [
    ...new Set([
      "synthetic",
      "synthforge",
      ...hub.tags,
      info.format.startsWith("trl-") ? "trl" : info.format.split("-")[0]!,
      ...(offline ? ["offline-generated"] : []),
    ]),
  ];
  const prettyName = info.prettyName ?? `${type.title}: ${info.run.topic}`;
  const splits = info.splits ?? [{ name: "train", rows: info.rows }];
  const files = splits.map((s) => `\`data/${s.name}-*.parquet\``).join(", ");
  const meta = {
    license: info.licence.id,
    language: ["en"],
    pretty_name: prettyName,
    task_categories: hub.taskCategories,
    size_categories: [sizeCategory(info.rows)],
    tags,
    annotations_creators: ["machine-generated"],
    language_creators: ["machine-generated"],
    source_datasets: ["original"],
    configs: [
      {
        config_name: "default",
        data_files: splits.map((s) => ({ split: s.name, path: `data/${s.name}-*.parquet` })),
      },
    ],
  };
  const config = info.run.config as { models?: Record<string, string>; review?: Record<string, number> };
  const roleModels = Object.entries(config.models ?? {}).map(([role, model]) => `${role}: \`${model}\``);
  const quality =
    info.meanQuality === null
      ? ""
      : ` Quality scores (0–1, from the review stage): mean ${info.meanQuality.toFixed(3)}, lowest ${info.minQuality!.toFixed(3)}.`;
  const lines = [
    "---",
    loadSync<typeof import("yaml")>("yaml").stringify(meta).trimEnd(),
    "---",
    "",
    `# ${prettyName}`,
    "",
    `${info.rows.toLocaleString("en-US")} ${type.title} (\`${type.name}\`) examples about **${info.run.topic}**, generated, reviewed and exported by synthforge (run \`${info.run.id}\`).`,
    "",
    "## Format",
    "",
    `Rows are in the \`${info.format}\` format: ${described?.description ?? ""}.${described?.trainer ? ` It loads without conversion into ${described.trainer}.` : ""}`,
    `Files: ${files}${info.jsonl ? " (and the same rows as JSON Lines in `data/<split>-*.jsonl`)" : ""}; every row was checked by synthforge's strict \`${info.format}\` validator before it was written.`,
    "",
    ...(info.splits
      ? [
          "| split | rows |",
          "| --- | --- |",
          ...splits.map((s) => `| \`${s.name}\` | ${s.rows.toLocaleString("en-US")} |`),
          "",
        ]
      : []),
    "| column | type |",
    "| --- | --- |",
    ...Object.entries(info.columns).map(([k, t]) => `| \`${k}\` | \`${typeName(t)}\` |`),
    "",
    "```python",
    "from datasets import load_dataset",
    `ds = load_dataset("path/to/this/dataset", split="${splits[0]!.name}")`,
    "```",
    "",
    "## How it was made",
    "",
    offline
      ? `Produced by synthforge's **offline provider** (\`${OFFLINE_MODEL}\`), not by a language model: deterministic, extractive answers assembled word for word from the source passages, with flawed variants made by rule where the training type needs them. Treat it as a smoke-test dataset.`
      : `Produced by the **${info.providers.join(", ")}** provider. Models by agent role: ${roleModels.join(", ") || "not recorded"}.`,
    `Models named on the exported rows: ${info.models.map((m) => `\`${m}\``).join(", ") || "none"}.`,
    `Request: "${info.run.request}". Every example was grounded in passages retrieved from its sources and reviewed before export (approve at ${config.review?.approveAt ?? 0.8}).${quality}`,
    "",
    "## Sources and licence",
    "",
    `Licence: **${info.licence.id}**. ${info.licence.note}`,
    "",
    ...(info.licence.sources.length
      ? [
          "| source licence | sources |",
          "| --- | --- |",
          ...info.licence.sources.map((s) => `| ${s.spdx} | ${s.count} |`),
          "",
        ]
      : []),
    "The data is synthetic and may contain mistakes despite the review; check it before you rely on it.",
    "",
  ];
  return lines.join("\n");
}

/** Pulls at most `n` items from a shared iterator without closing it. */
async function* take<T>(it: AsyncIterator<T>, n: number, done: { value: boolean }): AsyncGenerator<T> {
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done) {
      done.value = true;
      return;
    }
    yield r.value;
  }
}

const shardName = (split: string, i: number, n: number, ext: string) =>
  `${split}-${String(i).padStart(5, "0")}-of-${String(n).padStart(5, "0")}.${ext}`;

/** Shard files of an earlier export (any split). */
const SHARD_FILE = /^[A-Za-z][A-Za-z0-9_]*-\d{5}-of-\d{5}\.(?:parquet|jsonl)$/;

/**
 * Exports a run as a Hugging Face dataset folder: `data/train-*.parquet` (and JSON Lines
 * copies on request) and a `README.md` dataset card whose YAML metadata carries the
 * licence derived from the sources the exported examples used, the task categories,
 * size category, tags and `configs`, and which says which provider and models produced
 * the data. Streams in constant memory: a first pass validates every row, learns the
 * column types and collects the sources; a second writes the Parquet shards row group by
 * row group. Existing shards (`data/<split>-*`) and `README.md` in the folder are replaced;
 * other files (a `.git` folder, say) are kept.
 *
 * With `split` (see {@link ExportSelection}) every split gets its own shards, in the
 * layout `datasets.load_dataset` reads (`data/test-00000-of-00001.parquet`), one schema
 * shared by all splits, and a `configs` entry per split in the card; the filters choose
 * the examples first.
 *
 * @throws SynthforgeError `INVALID_REQUEST` for a bad filter or split, `RUN_NOT_FOUND`,
 *   `EXPORT_FORMAT_UNSUPPORTED`, `EXPORT_ROW_INVALID`, or `EXPORT_EMPTY` when the run (or
 *   the selection, or a split) has nothing to export.
 */
export async function exportHfDataset(
  store: Store,
  runRef: string,
  opts: HfDatasetOptions,
): Promise<HfDatasetResult> {
  const selection = checkSelection(opts);
  const run = await findRun(store, runRef);
  const registry = opts.registry ?? processExportRegistry;
  const type = registry.trainingType(run.trainingType);
  const format = checkFormat(run.trainingType, opts.format ?? Object.keys(type.exporters)[0]!, registry);
  checkMetadataFormat(format, opts.metadata, registry);
  const shardRows = opts.shardRows ?? 250_000;
  if (!Number.isInteger(shardRows) || shardRows < 1)
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `shardRows must be a positive whole number, got ${shardRows}.`,
    );
  const metadata = opts.metadata ? await questionInfo(store, run.id) : undefined;
  const statuses = selection.reviewStatus ?? ["approved"];
  const picked = await selectOrRefuse(store, run, selection, metadata ? { questions: metadata } : {});
  const assigned = picked?.assigned;
  const splitNames = selection.split ? selection.split.map((s) => s.name) : ["train"];
  const onlyFor = (name: string) =>
    !assigned
      ? {}
      : selection.split
        ? { only: (ex: ExportExample) => assigned.get(ex.id) === name }
        : { only: (ex: ExportExample) => assigned.has(ex.id) };

  const dir = resolve(opts.dir);
  const tmp = join(dir, `.synthforge-tmp-${process.pid}`);
  // Checked and made folder by folder (a recursive mkdir spins on a path it cannot create);
  // the folders made are removed again when the export fails.
  const missing = checkHfDir(dir, opts.dir);
  rmSync(tmp, { recursive: true, force: true });
  const made = makeFolders([...missing, tmp, join(tmp, "data")], "OUTPUT_PATH_INVALID", `--hf ${opts.dir}`);
  const read = {
    reviewStatus: statuses,
    ...(metadata ? { metadata } : {}),
    ...(opts.registry ? { registry: opts.registry } : {}),
  };
  let done = false;
  try {
    // Pass 1, per split: validate, learn column types, collect sources (and write JSONL shards).
    const tally: ExportTally = newTally();
    const files: string[] = [];
    const warnings: string[] = [];
    const counts: Array<{ name: string; rows: number }> = [];
    let columns: Record<string, ValueType> = {};
    for (const split of splitNames) {
      const checker = new FormatFileChecker(format, registry);
      const jsonlParts: string[] = [];
      const first = exportRows(store, run, format, { ...read, ...onlyFor(split), checker, tally })[
        Symbol.asyncIterator
      ]();
      if (opts.jsonl) {
        const end = { value: false };
        while (!end.value) {
          const part = join(tmp, "data", `part-${jsonlParts.length}.jsonl`);
          const n = await writeJsonl(part, take(first, shardRows, end));
          if (n === 0) rmSync(part, { force: true });
          else jsonlParts.push(part);
        }
      } else {
        for (let r = await first.next(); !r.done; r = await first.next()) {
          // Validation and typing only.
        }
      }
      if (checker.rows === 0) {
        throw new SynthforgeError(
          "EXPORT_EMPTY",
          selection.split
            ? `The ${split} split of run ${run.id} has no rows to export.`
            : `Run ${run.id} has no ${statuses.join("/")} examples to export.`,
        );
      }
      jsonlParts.forEach((p, i) => {
        const name = shardName(split, i, jsonlParts.length, "jsonl");
        renameSync(p, join(tmp, "data", name));
        files.push(`data/${name}`);
      });
      counts.push({ name: split, rows: checker.rows });
      for (const w of checker.finish()) warnings.push(selection.split ? `${split}: ${w}` : w);
      columns = mergeColumns(columns, checker.columns(), `the ${split} split`);
    }
    const rows = counts.reduce((a, c) => a + c.rows, 0);

    // Pass 2, per split: the Parquet shards, all with the same schema.
    for (const { name: split, rows: splitRows } of counts) {
      const shards = Math.ceil(splitRows / shardRows);
      const second = exportRows(store, run, format, { ...read, ...onlyFor(split) })[Symbol.asyncIterator]();
      const end = { value: false };
      for (let i = 0; i < shards; i++) {
        const name = shardName(split, i, shards, "parquet");
        await writeParquet(join(tmp, "data", name), take(second, shardRows, end), columns, {
          ...(opts.rowGroupSize ? { rowGroupSize: opts.rowGroupSize } : {}),
          kvMetadata: [
            { key: "synthforge.format", value: format },
            { key: "synthforge.run_id", value: run.id },
            { key: "synthforge.split", value: split },
          ],
        });
        files.push(`data/${name}`);
      }
    }

    const sources = await store.getSources([...tally.sourceIds.keys()]);
    const licence = deriveDatasetLicence(sources);
    const card = datasetCard({
      run,
      type,
      registry,
      format,
      rows,
      columns,
      licence,
      models: [...tally.models].sort(),
      providers: [...tally.providers].sort(),
      meanQuality: tally.rows && tally.qualityMin !== null ? tally.qualitySum / tally.rows : null,
      minQuality: tally.qualityMin,
      jsonl: Boolean(opts.jsonl),
      ...(opts.prettyName ? { prettyName: opts.prettyName } : {}),
      ...(selection.split ? { splits: counts } : {}),
    });
    writeFileSync(join(tmp, "README.md"), card, "utf8");
    files.push("README.md");

    // Swap in: replace earlier shards and card, keep everything else in the folder.
    mkdirSync(join(dir, "data"), { recursive: true });
    for (const f of readdirSync(join(dir, "data"))) if (SHARD_FILE.test(f)) rmSync(join(dir, "data", f));
    for (const f of files) renameSync(join(tmp, f), join(dir, f));
    const attribution = await writeAttribution(store, run, {
      out: `${dir}/`,
      reviewStatus: statuses,
      sources: tally.sourceIds,
      examples: tally.rows,
    });
    done = true;
    return {
      runId: run.id,
      trainingType: run.trainingType,
      format,
      dir,
      rows,
      files: files.sort(),
      splits: counts,
      licence,
      attribution,
      warnings,
      ...(picked
        ? {
            selection: {
              considered: picked.considered,
              belowScore: picked.belowScore,
              licenceExcluded: picked.licenceExcluded,
            },
          }
        : {}),
    };
  } finally {
    if (existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
    if (!done) removeFolders(made.filter((f) => f !== tmp && !f.startsWith(`${tmp}/`)));
  }
}

/**
 * Checks a dataset folder before anything is written: it must be a folder (or not exist
 * yet, under a folder that can be written in). Returns the folders to create, outermost first.
 *
 * @throws SynthforgeError `OUTPUT_PATH_INVALID` saying what to fix.
 */
export function checkHfDir(dir: string, given = dir): string[] {
  return checkFolder(resolve(dir), "OUTPUT_PATH_INVALID", `--hf ${given}`);
}

/** Files of an earlier dataset in `dir` that an export would replace (README.md, data/<split>-*). */
export function hfFilesReplaced(dir: string): string[] {
  const path = resolve(dir);
  const out: string[] = [];
  if (existsSync(join(path, "README.md"))) out.push("README.md");
  try {
    for (const f of readdirSync(join(path, "data"))) if (SHARD_FILE.test(f)) out.push(`data/${f}`);
  } catch {
    // no data folder
  }
  return out;
}
