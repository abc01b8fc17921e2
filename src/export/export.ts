import { once } from "node:events";
import { createWriteStream, openSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { SynthforgeError } from "../core/errors.js";
import { checkFolder, fsReason, makeFolders, removeFolders } from "../core/fs-paths.js";
import type { ReviewStatus } from "../core/types.js";
import { type ExamplePageRow, examplePages } from "../storage/example-pages.js";
import type { RunRow, Store } from "../storage/store.js";
import {
  type ExportFormatId as ExportFormat,
  FormatFileChecker,
  type FormatLookup,
  mergeTypes,
  processFormats,
  type ValueType,
  valueFits,
} from "../training-types/formats.js";
import { getTrainingType, typesByFormat } from "../training-types/index.js";
import type { TrainingType } from "../training-types/types.js";
import { type AttributionResult, writeAttribution } from "./attribution.js";
import {
  acceptsMetadataColumn,
  checkSelection,
  type ExportSelection,
  METADATA_COLUMN,
  metadataOf,
  type QuestionInfo,
  questionInfo,
  type Selection,
  selectOrRefuse,
  splitPath,
} from "./export-select.js";

/** File types an export can write. */
export type ExportFileType = "jsonl" | "parquet";

/** Options of an export. */
/**
 * Where export finds a run's training type and its export formats: a pipeline's registry
 * (`createRegistry()`, which `pipeline.export` passes), or by default the process-wide one.
 */
export interface ExportRegistry extends FormatLookup {
  trainingType(name: string): TrainingType;
}

/** The process-wide training types and export formats. */
export const processExportRegistry: ExportRegistry = { trainingType: getTrainingType, ...processFormats };

export interface ExportOptions extends ExportSelection, ExportMetadataOptions {
  format: ExportFormat | (string & {});
  /** Where the run's training type is found. Default: the process-wide registry. */
  registry?: ExportRegistry;
  /**
   * Output file, ending in `.jsonl` (JSON Lines) or `.parquet`; `-` writes JSON Lines to
   * standard output (without the licence ledger files). Its folder is created when missing.
   */
  out: string;
  /** `jsonl` or `parquet`. Default: from the file name; it must match the file's extension. */
  fileType?: ExportFileType;
  /** Replace an existing file at `out`. Default true (the CLI passes its `--force`). */
  overwrite?: boolean;
  /** Which review statuses to export. Default: approved only. */
  reviewStatus?: ReviewStatus[];
  /**
   * Rows read from the store per query, at most 128 on SQLite and 1,000 on PostgreSQL
   * (small pages stay young for the garbage collector). Default: those caps.
   */
  batchSize?: number;
  /** Rows per Parquet row group. Default 10,000. */
  rowGroupSize?: number;
}

/** The opt-in metadata column of an export. */
export interface ExportMetadataOptions {
  /**
   * Add a `synthforge` column to every row: the example's id, question, sub-topic,
   * difficulty, quality score, review status, model, source ids and its stored fields
   * (`data`: PPO reward and rationale, RLHF ratings and ranks, DPO/ORPO ratings and
   * rejection reason, KTO label reason, GRPO execution output, ...). Only for formats whose
   * loaders accept extra columns: the TRL formats and openai-rft. Default false.
   */
  metadata?: boolean;
}

/** One file of a split export. */
export interface ExportSplitResult {
  /** Split name (`train`, `test`, ...). */
  name: string;
  path: string;
  rows: number;
  warnings: string[];
  attribution?: AttributionResult;
}

/** What an export wrote. */
export interface ExportResult {
  runId: string;
  trainingType: string;
  format: ExportFormat;
  fileType: ExportFileType;
  path: string;
  rows: number;
  /** File-level warnings of the format's validator (e.g. every KTO label the same). */
  warnings: string[];
  /** The licence ledger written beside the export (`<name>.ATTRIBUTION.md`, `<name>.sources.json`). */
  attribution?: AttributionResult;
  /**
   * With `split`: one file per split (`out.train.jsonl`, ...), in the order given; `rows`
   * is then their total, `path` the `out` they are named after, and `warnings` those of
   * every file, each prefixed with its split.
   */
  splits?: ExportSplitResult[];
  /** With filters or splits: how many examples were considered and why some were left out. */
  selection?: Pick<Selection, "considered" | "belowScore" | "licenceExcluded">;
}

/** Finds a run by id or `latest`. */
export async function findRun(store: Store, runRef: string): Promise<RunRow> {
  const run = runRef === "latest" ? await store.latestRun() : await store.getRun(runRef);
  if (!run) {
    throw new SynthforgeError(
      "RUN_NOT_FOUND",
      runRef === "latest"
        ? `There are no runs in ${store.location}.`
        : `No run "${runRef}" in ${store.location}. Use "latest" or an id from \`synthforge runs\`.`,
    );
  }
  return run;
}

/**
 * The export format of that name, if the training type supports it.
 *
 * @throws SynthforgeError `EXPORT_FORMAT_UNSUPPORTED` for an unknown format, or for a
 *   pair that cannot work (e.g. kto → openai-dpo), saying what the format needs and
 *   which formats the type does export to.
 */
export function checkFormat(
  trainingType: string,
  format: string,
  registry: ExportRegistry = processExportRegistry,
): ExportFormat {
  const type = registry.trainingType(trainingType);
  const supported = Object.keys(type.exporters);
  const known = registry.exportFormat(format);
  if (!known) {
    throw new SynthforgeError(
      "EXPORT_FORMAT_UNSUPPORTED",
      `Unknown export format "${format}". ${trainingType} exports to: ${supported.join(", ")}. All formats: ${registry
        .exportFormats()
        .map((f) => f.id)
        .join(", ")}.`,
    );
  }
  if (!supported.includes(format)) {
    const others = typesByFormat()[format] ?? [];
    throw new SynthforgeError(
      "EXPORT_FORMAT_UNSUPPORTED",
      `A ${trainingType} run cannot be exported as ${format}: ${format} needs ${known.needs}, which ${type.title} (${trainingType}) examples do not have. ` +
        `${trainingType} exports to: ${supported.join(", ")}.${others.length ? ` ${format} is made from: ${others.join(", ")}.` : ""}`,
      { details: { trainingType, format, supported } },
    );
  }
  return format;
}

/** The file type of an export: given, or from the file name. */
export function fileTypeOf(out: string, given?: ExportFileType): ExportFileType {
  if (given) return given;
  return extname(out).toLowerCase() === ".parquet" ? "parquet" : "jsonl";
}

/** The extension each file type needs. */
const EXTENSIONS: Record<ExportFileType, string> = { jsonl: ".jsonl", parquet: ".parquet" };

/** Where an export goes, checked by {@link checkExportOut}. */
export interface ExportTarget {
  /** Absolute path, or `-` for standard output. */
  path: string;
  fileType: ExportFileType;
  stdout: boolean;
}

/**
 * Checks an export's output before anything is read or written: `-` is standard output
 * (JSON Lines); a file must end in `.jsonl` or `.parquet` (matching `fileType` when it is
 * given), must not be a folder, and must not exist unless `overwrite`; its folder must
 * exist or be creatable (checked, not created).
 *
 * @throws SynthforgeError `OUTPUT_PATH_INVALID` saying what to fix.
 */
export function checkExportOut(
  out: string,
  opts: { fileType?: ExportFileType; overwrite?: boolean; format?: string } = {},
): ExportTarget {
  const rows = opts.format ? `${opts.format} rows` : "rows";
  if (out === "-") {
    if (opts.fileType === "parquet")
      throw new SynthforgeError(
        "OUTPUT_PATH_INVALID",
        "Parquet cannot be written to standard output; give a file name ending in .parquet.",
      );
    return { path: "-", fileType: "jsonl", stdout: true };
  }
  if (!out.trim()) throw new SynthforgeError("OUTPUT_PATH_INVALID", "The output file name is empty.");
  const path = resolve(out);
  let isFile = false;
  try {
    const st = statSync(path);
    if (st.isDirectory())
      throw new SynthforgeError(
        "OUTPUT_PATH_INVALID",
        `--out ${out}: ${path} is a folder; give a file path such as ${resolve(path, `train${EXTENSIONS[opts.fileType ?? "jsonl"]}`)}.`,
      );
    isFile = true;
  } catch (e) {
    if (e instanceof SynthforgeError) throw e;
    // missing (or under something that is not a folder: checked below)
  }
  const ext = extname(path).toLowerCase();
  const fileType: ExportFileType | null = ext === ".parquet" ? "parquet" : ext === ".jsonl" ? "jsonl" : null;
  const wanted = opts.fileType ?? fileType ?? "jsonl";
  if (fileType !== wanted) {
    const stem = out.slice(0, out.length - extname(out).length);
    throw new SynthforgeError(
      "OUTPUT_PATH_INVALID",
      wanted === "jsonl"
        ? `--out ${out}: the ${rows} would be written as JSON Lines, which needs the .jsonl extension: use --out ${stem}.jsonl (or ${stem}.parquet for Parquet, or - for standard output).`
        : `--out ${out}: the ${rows} would be written as Parquet, which needs the .parquet extension: use --out ${stem}.parquet.`,
    );
  }
  if (isFile && opts.overwrite === false)
    throw new SynthforgeError(
      "OUTPUT_PATH_INVALID",
      `--out ${out}: ${path} already exists; pass --force to overwrite it, or choose another name.`,
    );
  checkFolder(dirname(path), "OUTPUT_PATH_INVALID", `--out ${out}`);
  return { path, fileType: wanted, stdout: false };
}

/** What the streaming export saw besides the rows (for dataset cards). */
export interface ExportTally {
  rows: number;
  /** Ids of the `sources` rows the exported examples are grounded in, with how many examples use each. */
  sourceIds: Map<string, number>;
  /** Models and providers named on the exported rows. */
  models: Set<string>;
  providers: Set<string>;
  qualitySum: number;
  qualityMin: number | null;
}

/** An empty {@link ExportTally}. */
export function newTally(): ExportTally {
  return {
    rows: 0,
    sourceIds: new Map(),
    models: new Set(),
    providers: new Set(),
    qualitySum: 0,
    qualityMin: null,
  };
}

/** The fields of a stored example an export reads (what an `only` filter receives). */
export type ExportExample = ExamplePageRow;

/** How {@link exportRows} reads and checks a run's examples. */
interface ExportRowsOptions {
  reviewStatus?: ReviewStatus[];
  batchSize?: number;
  checker?: FormatFileChecker;
  tally?: ExportTally;
  /** Only the examples this accepts are exported (a selection or one split of it). */
  only?: (ex: ExportExample) => boolean;
  /** Add the `synthforge` metadata column, with the sub-topic and difficulty of each question. */
  metadata?: QuestionInfo;
  /** Where the run's training type is found. Default: the process-wide registry. */
  registry?: ExportRegistry;
}

/**
 * Streams a run's examples as rows of an export format, in id order and constant memory
 * (keyset pagination), checking each row with the format's strict validator and the
 * file-level rules (one shape per file, one Arrow type per column).
 *
 * @throws SynthforgeError `EXPORT_ROW_INVALID` naming the example and the rule it breaks.
 */
export async function* exportRows(
  store: Store,
  run: RunRow,
  format: ExportFormat,
  opts: ExportRowsOptions = {},
): AsyncGenerator<Record<string, unknown>> {
  for await (const page of exportPages(store, run, format, opts)) yield* page;
}

/**
 * {@link exportRows} a page at a time: each page is the checked rows of one read of the
 * store (the examples of a keyset page that `only` accepts; never empty).
 */
async function* exportPages(
  store: Store,
  run: RunRow,
  format: ExportFormat,
  opts: ExportRowsOptions = {},
): AsyncGenerator<Array<Record<string, unknown>>> {
  const registry = opts.registry ?? processExportRegistry;
  const type: TrainingType = registry.trainingType(run.trainingType);
  const exporter = type.exporters[format];
  if (!exporter) checkFormat(run.trainingType, format, registry);
  const checker = opts.checker ?? new FormatFileChecker(format, registry);
  const { tally, only, metadata } = opts;
  const pages = examplePages(store, run.id, run.trainingType, {
    reviewStatus: opts.reviewStatus ?? ["approved"],
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
  });
  for await (const page of pages) {
    const out: Array<Record<string, unknown>> = [];
    for (const ex of page) {
      if (only && !only(ex)) continue;
      const line = exporter!(ex.data, {
        id: ex.id,
        questionId: ex.questionId,
        qualityScore: ex.qualityScore,
      });
      if (metadata) {
        if (METADATA_COLUMN in line)
          throw new SynthforgeError(
            "EXPORT_ROW_INVALID",
            `Example ${ex.id}: the ${format} row already has a "${METADATA_COLUMN}" column; export without the metadata column.`,
          );
        line[METADATA_COLUMN] = metadataOf(ex, metadata.get(ex.questionId));
      }
      const problems = checker.add(line);
      if (problems.length) {
        throw new SynthforgeError(
          "EXPORT_ROW_INVALID",
          `Example ${ex.id} does not fit ${format}: ${problems.join("; ")}`,
          {
            details: { exampleId: ex.id, format, problems },
          },
        );
      }
      if (tally) addToTally(tally, ex);
      out.push(line);
    }
    if (out.length) yield out;
  }
}

function addToTally(t: ExportTally, ex: ExportExample): void {
  t.rows++;
  const sources = ex.sources;
  if (sources.length === 1) t.sourceIds.set(sources[0]!, (t.sourceIds.get(sources[0]!) ?? 0) + 1);
  else if (sources.length > 1)
    for (const s of new Set(sources)) t.sourceIds.set(s, (t.sourceIds.get(s) ?? 0) + 1);
  t.models.add(ex.model);
  t.providers.add(ex.provider);
  if (ex.qualityScore !== null) {
    t.qualitySum += ex.qualityScore;
    t.qualityMin = t.qualityMin === null ? ex.qualityScore : Math.min(t.qualityMin, ex.qualityScore);
  }
}

/** Rows grouped into pages (for the page writers). */
async function* pagesOf(
  rows: AsyncIterable<Record<string, unknown>>,
  size = 1000,
): AsyncGenerator<Array<Record<string, unknown>>> {
  let page: Array<Record<string, unknown>> = [];
  for await (const row of rows) {
    page.push(row);
    if (page.length >= size) {
      yield page;
      page = [];
    }
  }
  if (page.length) yield page;
}

/** Bytes of JSON Lines buffered before a write. */
const JSONL_CHUNK = 1 << 22;

/**
 * Writes pages of rows as JSON Lines to a stream: each row is one `JSON.stringify`,
 * encoded straight into a 4 MB buffer (no joined strings: joining lines that hold
 * non-Latin-1 text costs more than the encoding), which is written when full, waiting
 * for the stream to drain (back-pressure). Returns the row count.
 */
async function writeLines(
  stream: NodeJS.WritableStream,
  pages: AsyncIterable<Array<Record<string, unknown>>>,
  failed: () => unknown = () => null,
): Promise<number> {
  let n = 0;
  let buf = Buffer.allocUnsafe(JSONL_CHUNK);
  let at = 0;
  const write = async (bytes: Buffer) => {
    if (!stream.write(bytes)) {
      const error = failed();
      if (error) throw error;
      await once(stream as unknown as NodeJS.EventEmitter, "drain");
    }
  };
  for await (const page of pages) {
    for (const row of page) {
      const line = JSON.stringify(row);
      // UTF-8 takes at most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2).
      if (at + line.length * 3 + 1 > JSONL_CHUNK) {
        if (at > 0) {
          await write(buf.subarray(0, at));
          buf = Buffer.allocUnsafe(JSONL_CHUNK);
          at = 0;
        }
        if (line.length * 3 + 1 > JSONL_CHUNK) {
          // One very long line: written on its own.
          await write(Buffer.from(`${line}\n`, "utf8"));
          continue;
        }
      }
      at += buf.write(line, at, "utf8");
      buf[at++] = 0x0a;
    }
    n += page.length;
  }
  if (at > 0) await write(buf.subarray(0, at));
  return n;
}

/** Writes rows as JSON Lines to `path` (via a temporary file, renamed on success). Returns the row count. */
export async function writeJsonl(
  path: string,
  rows: AsyncIterable<Record<string, unknown>>,
): Promise<number> {
  return writeJsonlPages(path, pagesOf(rows));
}

/** {@link writeJsonl} for pages of rows. */
async function writeJsonlPages(
  path: string,
  pages: AsyncIterable<Array<Record<string, unknown>>>,
): Promise<number> {
  const made = makeFolders(
    checkFolder(dirname(path), "OUTPUT_PATH_INVALID", path),
    "OUTPUT_PATH_INVALID",
    path,
  );
  const tmp = `${path}.tmp-${process.pid}`;
  let fd: number;
  try {
    // Opened now, not by the stream later: a failure is thrown here, never emitted unheard.
    fd = openSync(tmp, "w");
  } catch (e) {
    removeFolders(made);
    throw new SynthforgeError("OUTPUT_PATH_INVALID", `${path}: cannot write it (${fsReason(e)}).`, {
      cause: e,
    });
  }
  const file = createWriteStream("", { fd, encoding: "utf8", highWaterMark: JSONL_CHUNK });
  let failed: unknown = null;
  file.on("error", (e) => {
    failed ??= e;
  });
  let n = 0;
  try {
    n = await writeLines(file, pages, () => failed);
    file.end();
    if (!file.writableFinished && !failed) await once(file, "finish");
    if (failed) throw failed;
    renameSync(tmp, path);
  } catch (e) {
    file.destroy();
    rmSync(tmp, { force: true });
    removeFolders(made);
    throw e;
  }
  return n;
}

/**
 * Writes rows as JSON Lines to a stream (standard output), in chunks of about 4 MB,
 * waiting for the stream to drain. Returns the row count.
 */
export async function writeJsonlTo(
  stream: NodeJS.WritableStream,
  rows: AsyncIterable<Record<string, unknown>>,
): Promise<number> {
  return writeLines(stream, pagesOf(rows));
}

// ---------------------------------------------------------------------------------------
// Parquet
// ---------------------------------------------------------------------------------------

/** A Parquet schema element (hyparquet's `SchemaElement`, the fields we use). */
interface SchemaElement {
  name: string;
  type?: "BOOLEAN" | "INT64" | "DOUBLE" | "BYTE_ARRAY";
  converted_type?: "UTF8" | "LIST";
  repetition_type?: "REQUIRED" | "OPTIONAL" | "REPEATED";
  num_children?: number;
}

/** Parquet schema elements (depth first) of one column of a {@link ValueType}. */
function schemaOf(name: string, t: ValueType): SchemaElement[] {
  switch (t.kind) {
    case "bool":
      return [{ name, type: "BOOLEAN", repetition_type: "OPTIONAL" }];
    case "int":
      return [{ name, type: "INT64", repetition_type: "OPTIONAL" }];
    case "float":
      return [{ name, type: "DOUBLE", repetition_type: "OPTIONAL" }];
    case "null":
    case "string":
      return [{ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" }];
    case "list":
      return [
        { name, repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
        { name: "list", repetition_type: "REPEATED", num_children: 1 },
        ...schemaOf("element", t.item),
      ];
    case "struct": {
      const fields = Object.entries(t.fields);
      if (fields.length === 0)
        return [{ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" }];
      return [
        { name, repetition_type: "OPTIONAL", num_children: fields.length },
        ...fields.flatMap(([k, v]) => schemaOf(k, v)),
      ];
    }
  }
}

/** The Parquet schema (root first) of rows whose columns have these types. */
export function parquetSchema(columns: Record<string, ValueType>): SchemaElement[] {
  const names = Object.keys(columns);
  return [{ name: "root", num_children: names.length }, ...names.flatMap((n) => schemaOf(n, columns[n]!))];
}

/** A value converted for the writer: integers become bigint (INT64); empty structs are null. */
function toParquetValue(v: unknown, t: ValueType): unknown {
  if (v === null || v === undefined) return null;
  switch (t.kind) {
    case "int":
      return BigInt(v as number);
    case "list":
      return (v as unknown[]).map((x) => toParquetValue(x, t.item));
    case "struct": {
      if (Object.keys(t.fields).length === 0) return null;
      const out: Record<string, unknown> = {};
      for (const [k, ft] of Object.entries(t.fields))
        out[k] = toParquetValue((v as Record<string, unknown>)[k], ft);
      return out;
    }
    default:
      return v;
  }
}

/**
 * Writes rows to a Parquet file, row group by row group (memory bounded by the group
 * size), with a schema made from the column types of a first pass over the same rows.
 * Written to a temporary file and renamed on success.
 *
 * @throws SynthforgeError `EXPORT_ROW_INVALID` when a row does not fit the schema (the
 *   data changed between the passes).
 */
export async function writeParquet(
  path: string,
  rows: AsyncIterable<Record<string, unknown>>,
  columns: Record<string, ValueType>,
  opts: { rowGroupSize?: number; kvMetadata?: Array<{ key: string; value: string }> } = {},
): Promise<number> {
  return writeParquetPages(path, pagesOf(rows), columns, opts);
}

/**
 * {@link writeParquet} for pages of rows: each row's values go straight into the column
 * arrays of the current row group, which is encoded and written as soon as it is full.
 */
async function writeParquetPages(
  path: string,
  pages: AsyncIterable<Array<Record<string, unknown>>>,
  columns: Record<string, ValueType>,
  opts: { rowGroupSize?: number; kvMetadata?: Array<{ key: string; value: string }> } = {},
): Promise<number> {
  const { fileWriter, ParquetWriter } = await import("hyparquet-writer");
  const made = makeFolders(
    checkFolder(dirname(path), "OUTPUT_PATH_INVALID", path),
    "OUTPUT_PATH_INVALID",
    path,
  );
  const tmp = `${path}.tmp-${process.pid}`;
  const names = Object.keys(columns);
  const types = names.map((k) => columns[k]!);
  const rowType: ValueType = { kind: "struct", fields: columns };
  const groupSize = positiveInt(opts.rowGroupSize ?? 10_000, 10_000);
  let n = 0;
  try {
    const writer = fileWriter(tmp);
    const pq = new ParquetWriter({
      writer,
      // Our schema type mirrors hyparquet's SchemaElement.
      schema: parquetSchema(columns) as never,
      ...(opts.kvMetadata ? { kvMetadata: opts.kvMetadata } : {}),
      createdBy: "synthforge",
    });
    let data: unknown[][] = names.map(() => []);
    let rows = 0;
    const flush = async () => {
      const w = pq.write({
        columnData: names.map((name, c) => ({ name, data: data[c]! })),
        rowGroupSize: rows,
      });
      data = names.map(() => []);
      rows = 0;
      if (w) await w;
    };
    for await (const page of pages) {
      for (const row of page) {
        if (!valueFits(row, rowType)) {
          throw new SynthforgeError(
            "EXPORT_ROW_INVALID",
            "A row changed shape between the two passes of the Parquet export (was the run written to meanwhile?). Export again.",
          );
        }
        for (let c = 0; c < names.length; c++) data[c]!.push(toParquetValue(row[names[c]!], types[c]!));
        rows++;
        n++;
        if (rows >= groupSize) await flush();
      }
    }
    if (rows > 0) await flush();
    await pq.finish();
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    removeFolders(made);
    throw e;
  }
  return n;
}

function positiveInt(n: number, fallback: number): number {
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : fallback;
}

/**
 * Checks the metadata option against a format.
 *
 * @throws SynthforgeError `INVALID_REQUEST` for a format whose loaders refuse extra columns.
 */
export function checkMetadataFormat(
  format: ExportFormat,
  metadata: boolean | undefined,
  registry: FormatLookup = processFormats,
): void {
  if (metadata && !acceptsMetadataColumn(format, registry))
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `--metadata adds a "${METADATA_COLUMN}" column, which ${format} rows may not have (only their documented keys); use a TRL format (trl-*) or openai-rft.`,
    );
}

/**
 * Checks the files an export writes before anything is read: `out` itself, or with
 * splits one file per split (`out.train.jsonl`, ...; never standard output).
 *
 * @throws SynthforgeError `OUTPUT_PATH_INVALID` or `INVALID_REQUEST` saying what to fix.
 */
export function checkExportTargets(
  out: string,
  split: ExportSelection["split"],
  opts: { fileType?: ExportFileType; overwrite?: boolean; format?: string } = {},
): ExportTarget[] {
  if (!split) return [checkExportOut(out, opts)];
  if (out === "-")
    throw new SynthforgeError(
      "INVALID_REQUEST",
      "--split writes one file per split, which standard output cannot hold; give --out name.jsonl (it writes name.train.jsonl, ...).",
    );
  const main = checkExportOut(out, { ...opts, overwrite: true });
  return split.map((s) => checkExportOut(splitPath(out, s.name), { ...opts, fileType: main.fileType }));
}

/** Checks every export option that can be checked without the database (the selection and the output). */
function checkExportOptions(opts: ExportOptions): { selection: ExportSelection; targets: ExportTarget[] } {
  const selection = checkSelection(opts);
  const targets = checkExportTargets(opts.out, selection.split, {
    ...(opts.fileType ? { fileType: opts.fileType } : {}),
    overwrite: opts.overwrite ?? true,
    format: opts.format,
  });
  return { selection, targets };
}

/**
 * Exports a run's examples in a trainer format as JSONL or Parquet, streaming from the
 * store in constant memory. Every row is checked by the format's strict validator (and
 * the one-shape-per-file rules) before it is written; the file appears only when the
 * export succeeded. Parquet takes two passes: the first fixes the column types, the
 * second writes row groups.
 *
 * Filters (`reviewStatus`, `minScore`, `licence`) choose the examples; `split` writes one
 * file per split (`out.train.jsonl`, `out.test.jsonl`), deterministic for a `seed` and
 * stratified by sub-topic or difficulty on request (see {@link ExportSelection}). Every
 * split is validated before the first file is written, and Parquet splits share one
 * schema. `metadata` adds the `synthforge` column (see {@link ExportMetadataOptions}).
 *
 * With `out: "-"` the rows go to standard output as JSON Lines, after a first pass has
 * checked every one (so a bad row writes nothing); no ledger files are written then.
 *
 * @throws SynthforgeError `INVALID_REQUEST` for a bad filter or split (before anything is
 *   read), `OUTPUT_PATH_INVALID` (see {@link checkExportOut}), `RUN_NOT_FOUND`,
 *   `EXPORT_FORMAT_UNSUPPORTED`, `EXPORT_EMPTY` when nothing passes the filters or a split
 *   would be empty, or `EXPORT_ROW_INVALID` naming the example and the rule it breaks.
 */
export async function exportRun(store: Store, runRef: string, opts: ExportOptions): Promise<ExportResult> {
  const { selection, targets } = checkExportOptions(opts);
  const run = await findRun(store, runRef);
  const format = checkFormat(run.trainingType, opts.format, opts.registry);
  checkMetadataFormat(format, opts.metadata, opts.registry);
  const metadata = opts.metadata ? await questionInfo(store, run.id) : undefined;
  const base = {
    ...(opts.registry ? { registry: opts.registry } : {}),
    ...(selection.reviewStatus ? { reviewStatus: selection.reviewStatus } : {}),
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
    ...(metadata ? { metadata } : {}),
  };
  const picked = await selectOrRefuse(store, run, selection, {
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
    ...(metadata ? { questions: metadata } : {}),
  });
  const selectionInfo = picked
    ? {
        considered: picked.considered,
        belowScore: picked.belowScore,
        licenceExcluded: picked.licenceExcluded,
      }
    : undefined;
  if (!selection.split) {
    const assigned = picked?.assigned;
    const one = await exportOne(store, run, format, targets[0]!, {
      ...base,
      ...(assigned ? { only: (ex: ExportExample) => assigned.has(ex.id) } : {}),
      reviewStatus: selection.reviewStatus ?? ["approved"],
      ...(opts.rowGroupSize ? { rowGroupSize: opts.rowGroupSize } : {}),
    });
    return {
      runId: run.id,
      trainingType: run.trainingType,
      format,
      ...one,
      ...(selectionInfo ? { selection: selectionInfo } : {}),
    };
  }

  // Splits: validate every split first (nothing is written when one fails), then write.
  const assigned = picked!.assigned;
  const splits = selection.split.map((s, i) => ({
    name: s.name,
    target: targets[i]!,
    checker: new FormatFileChecker(format, opts.registry),
    tally: newTally(),
    only: (ex: ExportExample) => assigned.get(ex.id) === s.name,
  }));
  for (const s of splits) {
    for await (const _ of exportPages(store, run, format, {
      ...base,
      only: s.only,
      checker: s.checker,
      tally: s.tally,
    })) {
      // Validation, typing and the sources of the split.
    }
  }
  let columns: Record<string, ValueType> = {};
  for (const s of splits) columns = mergeColumns(columns, s.checker.columns(), `the ${s.name} split`);
  const results: ExportSplitResult[] = [];
  const written: string[] = [];
  try {
    for (const s of splits) {
      const rows = exportPages(store, run, format, { ...base, only: s.only });
      const path = s.target.path;
      const n =
        s.target.fileType === "jsonl"
          ? await writeJsonlPages(path, rows)
          : await writeParquetPages(path, rows, columns, {
              ...(opts.rowGroupSize ? { rowGroupSize: opts.rowGroupSize } : {}),
              kvMetadata: parquetKv(format, run, s.name),
            });
      written.push(path);
      const attribution = await writeAttribution(store, run, {
        out: path,
        reviewStatus: selection.reviewStatus ?? ["approved"],
        sources: s.tally.sourceIds,
        examples: s.tally.rows,
      });
      results.push({ name: s.name, path, rows: n, warnings: s.checker.finish(), attribution });
    }
  } catch (e) {
    // All splits or none: files of earlier splits are removed again.
    for (const p of written) rmSync(p, { force: true });
    throw e;
  }
  return {
    runId: run.id,
    trainingType: run.trainingType,
    format,
    fileType: splits[0]!.target.fileType,
    path: resolve(opts.out),
    rows: results.reduce((a, r) => a + r.rows, 0),
    warnings: results.flatMap((r) => r.warnings.map((w) => `${r.name}: ${w}`)),
    splits: results,
    ...(selectionInfo ? { selection: selectionInfo } : {}),
  };
}

/** Merges the column types of two files (splits share one schema). */
export function mergeColumns(
  a: Record<string, ValueType>,
  b: Record<string, ValueType>,
  what: string,
): Record<string, ValueType> {
  try {
    const t = mergeTypes({ kind: "struct", fields: a }, { kind: "struct", fields: b });
    return t.kind === "struct" ? t.fields : {};
  } catch (e) {
    throw new SynthforgeError(
      "EXPORT_ROW_INVALID",
      `${what} does not have the same column types as the other splits: ${(e as Error).message}.`,
      { cause: e },
    );
  }
}

function parquetKv(format: ExportFormat, run: RunRow, split?: string) {
  return [
    { key: "synthforge.format", value: format },
    { key: "synthforge.run_id", value: run.id },
    { key: "synthforge.training_type", value: run.trainingType },
    ...(split ? [{ key: "synthforge.split", value: split }] : []),
  ];
}

/** Writes one export file (or standard output): the export without splits. */
async function exportOne(
  store: Store,
  run: RunRow,
  format: ExportFormat,
  target: ExportTarget,
  read: {
    reviewStatus: ReviewStatus[];
    batchSize?: number;
    only?: (ex: ExportExample) => boolean;
    metadata?: QuestionInfo;
    rowGroupSize?: number;
    registry?: ExportRegistry;
  },
): Promise<Pick<ExportResult, "fileType" | "path" | "rows" | "warnings" | "attribution">> {
  const { path, fileType } = target;
  const { rowGroupSize, ...rowOpts } = read;
  const checker = new FormatFileChecker(format, read.registry);
  const tally = newTally();
  let rows: number;
  if (target.stdout) {
    // Every row is checked before the first is written: a bad row leaves the output empty.
    for await (const _ of exportPages(store, run, format, { ...rowOpts, checker, tally })) {
      // First pass: validation only.
    }
    rows = await writeLines(process.stdout, exportPages(store, run, format, rowOpts));
    return { fileType, path, rows, warnings: checker.finish() };
  }
  if (fileType === "jsonl") {
    rows = await writeJsonlPages(path, exportPages(store, run, format, { ...rowOpts, checker, tally }));
  } else {
    for await (const _ of exportPages(store, run, format, { ...rowOpts, checker, tally })) {
      // First pass: validate every row and learn the column types.
    }
    if (checker.rows === 0) {
      throw new SynthforgeError(
        "EXPORT_EMPTY",
        `Run ${run.id} has no ${read.reviewStatus.join("/")} examples to write as Parquet.`,
      );
    }
    rows = await writeParquetPages(path, exportPages(store, run, format, rowOpts), checker.columns(), {
      ...(rowGroupSize ? { rowGroupSize } : {}),
      kvMetadata: parquetKv(format, run),
    });
  }
  // The licence ledger beside the file: train.jsonl → train.ATTRIBUTION.md + train.sources.json (docs/licences.md).
  const attribution = await writeAttribution(store, run, {
    out: path,
    reviewStatus: read.reviewStatus,
    // The sources were collected while the rows streamed: no second pass over the examples.
    sources: tally.sourceIds,
    examples: tally.rows,
  });
  return { fileType, path, rows, warnings: checker.finish(), attribution };
}
