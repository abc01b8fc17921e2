import { once } from "node:events";
import { createWriteStream, openSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { SynthforgeError } from "../core/errors.js";
import { checkFolder, fsReason, makeFolders, removeFolders } from "../core/fs-paths.js";
import type { ReviewStatus } from "../core/types.js";
import { type AttributionResult, writeAttribution } from "../sources/attribution.js";
import type { ExampleRow, RunRow, Store } from "../storage/store.js";
import {
  EXPORT_FORMATS,
  type ExportFormat,
  FORMAT_NEEDS,
  FormatFileChecker,
  isExportFormat,
  typeOf,
  type ValueType,
} from "../training-types/formats.js";
import { getTrainingType, typesByFormat } from "../training-types/index.js";
import type { TrainingType } from "../training-types/types.js";

/** File types an export can write. */
export type ExportFileType = "jsonl" | "parquet";

/** Options of an export. */
export interface ExportOptions {
  format: ExportFormat | string;
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
  /** Rows read from the store per query. Default: the store's. */
  batchSize?: number;
  /** Rows per Parquet row group. Default 10,000. */
  rowGroupSize?: number;
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
export function checkFormat(trainingType: string, format: string): ExportFormat {
  const type = getTrainingType(trainingType);
  const supported = Object.keys(type.exporters);
  if (!isExportFormat(format)) {
    throw new SynthforgeError(
      "EXPORT_FORMAT_UNSUPPORTED",
      `Unknown export format "${format}". ${trainingType} exports to: ${supported.join(", ")}. All formats: ${EXPORT_FORMATS.join(", ")}.`,
    );
  }
  if (!supported.includes(format)) {
    const others = typesByFormat()[format] ?? [];
    throw new SynthforgeError(
      "EXPORT_FORMAT_UNSUPPORTED",
      `A ${trainingType} run cannot be exported as ${format}: ${format} needs ${FORMAT_NEEDS[format]}, which ${type.title} (${trainingType}) examples do not have. ` +
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
  opts: {
    reviewStatus?: ReviewStatus[];
    batchSize?: number;
    checker?: FormatFileChecker;
    tally?: ExportTally;
  } = {},
): AsyncGenerator<Record<string, unknown>> {
  const type: TrainingType = getTrainingType(run.trainingType);
  const exporter = type.exporters[format];
  if (!exporter) checkFormat(run.trainingType, format);
  const checker = opts.checker ?? new FormatFileChecker(format);
  const tally = opts.tally;
  const iterate = store.iterateExamples(run.id, run.trainingType, {
    reviewStatus: opts.reviewStatus ?? ["approved"],
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
  });
  for await (const ex of iterate) {
    const line = exporter!(ex.data, { id: ex.id, questionId: ex.questionId, qualityScore: ex.qualityScore });
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
    yield line;
  }
}

function addToTally(t: ExportTally, ex: ExampleRow): void {
  t.rows++;
  for (const s of new Set(ex.sources)) t.sourceIds.set(s, (t.sourceIds.get(s) ?? 0) + 1);
  t.models.add(ex.model);
  t.providers.add(ex.provider);
  if (ex.qualityScore !== null) {
    t.qualitySum += ex.qualityScore;
    t.qualityMin = t.qualityMin === null ? ex.qualityScore : Math.min(t.qualityMin, ex.qualityScore);
  }
}

/** Writes rows as JSON Lines to `path` (via a temporary file, renamed on success). Returns the row count. */
export async function writeJsonl(
  path: string,
  rows: AsyncIterable<Record<string, unknown>>,
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
  const file = createWriteStream("", { fd, encoding: "utf8" });
  let failed: unknown = null;
  file.on("error", (e) => {
    failed ??= e;
  });
  let n = 0;
  try {
    // Lines are written in chunks of about 1 MB: far fewer stream writes than one per row.
    let chunk: string[] = [];
    let size = 0;
    for await (const row of rows) {
      const line = `${JSON.stringify(row)}\n`;
      chunk.push(line);
      size += line.length;
      n++;
      if (size >= 1 << 20) {
        if (!file.write(chunk.join(""))) await once(file, "drain");
        chunk = [];
        size = 0;
      }
    }
    if (chunk.length) file.write(chunk.join(""));
    file.end();
    if (!file.writableFinished) await once(file, "finish");
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
 * Writes rows as JSON Lines to a stream (standard output), in chunks of about 1 MB,
 * waiting for the stream to drain. Returns the row count.
 */
export async function writeJsonlTo(
  stream: NodeJS.WritableStream,
  rows: AsyncIterable<Record<string, unknown>>,
): Promise<number> {
  let n = 0;
  let chunk: string[] = [];
  let size = 0;
  const flush = async () => {
    if (!chunk.length) return;
    const text = chunk.join("");
    chunk = [];
    size = 0;
    if (!stream.write(text)) await once(stream as unknown as NodeJS.EventEmitter, "drain");
  };
  for await (const row of rows) {
    const line = `${JSON.stringify(row)}\n`;
    chunk.push(line);
    size += line.length;
    n++;
    if (size >= 1 << 20) await flush();
  }
  await flush();
  return n;
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

/** True when `t` is `known` or narrower (a row that fits the schema made from `known`). */
function fits(t: ValueType, known: ValueType): boolean {
  if (t.kind === "null") return true;
  if (t.kind === "int" && known.kind === "float") return true;
  if (t.kind !== known.kind) return false;
  if (t.kind === "list" && known.kind === "list") return fits(t.item, known.item);
  if (t.kind === "struct" && known.kind === "struct")
    return Object.entries(t.fields).every(([k, v]) => k in known.fields && fits(v, known.fields[k]!));
  return true;
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
  const { fileWriter, parquetWriteRows } = await import("hyparquet-writer");
  const made = makeFolders(
    checkFolder(dirname(path), "OUTPUT_PATH_INVALID", path),
    "OUTPUT_PATH_INVALID",
    path,
  );
  const tmp = `${path}.tmp-${process.pid}`;
  const names = Object.keys(columns);
  const rowType: ValueType = { kind: "struct", fields: columns };
  let n = 0;
  async function* converted(): AsyncGenerator<Record<string, unknown>> {
    for await (const row of rows) {
      if (!fits(typeOf(row), rowType)) {
        throw new SynthforgeError(
          "EXPORT_ROW_INVALID",
          "A row changed shape between the two passes of the Parquet export (was the run written to meanwhile?). Export again.",
        );
      }
      n++;
      const out: Record<string, unknown> = {};
      for (const k of names) out[k] = toParquetValue(row[k], columns[k]!);
      yield out;
    }
  }
  try {
    const writer = fileWriter(tmp);
    await parquetWriteRows({
      writer,
      rows: converted(),
      columns: names.map((name) => ({ name })),
      // Our schema type mirrors hyparquet's SchemaElement.
      schema: parquetSchema(columns) as never,
      rowGroupSize: opts.rowGroupSize ?? 10_000,
      ...(opts.kvMetadata ? { kvMetadata: opts.kvMetadata } : {}),
      createdBy: "synthforge",
    });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    removeFolders(made);
    throw e;
  }
  return n;
}

/**
 * Exports a run's examples in a trainer format as JSONL or Parquet, streaming from the
 * store in constant memory. Every row is checked by the format's strict validator (and
 * the one-shape-per-file rules) before it is written; the file appears only when the
 * export succeeded. Parquet takes two passes: the first fixes the column types, the
 * second writes row groups.
 *
 * With `out: "-"` the rows go to standard output as JSON Lines, after a first pass has
 * checked every one (so a bad row writes nothing); no ledger files are written then.
 *
 * @throws SynthforgeError `OUTPUT_PATH_INVALID` (see {@link checkExportOut}),
 *   `RUN_NOT_FOUND`, `EXPORT_FORMAT_UNSUPPORTED`, or `EXPORT_ROW_INVALID` naming the
 *   example and the rule it breaks.
 */
export async function exportRun(store: Store, runRef: string, opts: ExportOptions): Promise<ExportResult> {
  const target = checkExportOut(opts.out, {
    ...(opts.fileType ? { fileType: opts.fileType } : {}),
    overwrite: opts.overwrite ?? true,
    format: opts.format,
  });
  const run = await findRun(store, runRef);
  const format = checkFormat(run.trainingType, opts.format);
  const { path, fileType } = target;
  const read = {
    ...(opts.reviewStatus ? { reviewStatus: opts.reviewStatus } : {}),
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
  };
  const checker = new FormatFileChecker(format);
  const tally = newTally();
  let rows: number;
  if (target.stdout) {
    // Every row is checked before the first is written: a bad row leaves the output empty.
    for await (const _ of exportRows(store, run, format, { ...read, checker, tally })) {
      // First pass: validation only.
    }
    rows = await writeJsonlTo(process.stdout, exportRows(store, run, format, read));
    return {
      runId: run.id,
      trainingType: run.trainingType,
      format,
      fileType,
      path,
      rows,
      warnings: checker.finish(),
    };
  }
  if (fileType === "jsonl") {
    rows = await writeJsonl(path, exportRows(store, run, format, { ...read, checker, tally }));
  } else {
    for await (const _ of exportRows(store, run, format, { ...read, checker, tally })) {
      // First pass: validate every row and learn the column types.
    }
    if (checker.rows === 0) {
      throw new SynthforgeError(
        "EXPORT_EMPTY",
        `Run ${run.id} has no ${(opts.reviewStatus ?? ["approved"]).join("/")} examples to write as Parquet.`,
      );
    }
    rows = await writeParquet(path, exportRows(store, run, format, read), checker.columns(), {
      ...(opts.rowGroupSize ? { rowGroupSize: opts.rowGroupSize } : {}),
      kvMetadata: [
        { key: "synthforge.format", value: format },
        { key: "synthforge.run_id", value: run.id },
        { key: "synthforge.training_type", value: run.trainingType },
      ],
    });
  }
  // The licence ledger beside the file: train.jsonl → train.ATTRIBUTION.md + train.sources.json (docs/licences.md).
  const attribution = await writeAttribution(store, run, {
    out: path,
    reviewStatus: opts.reviewStatus ?? ["approved"],
    // The sources were collected while the rows streamed: no second pass over the examples.
    sources: tally.sourceIds,
    examples: tally.rows,
  });
  return {
    runId: run.id,
    trainingType: run.trainingType,
    format,
    fileType,
    path,
    rows,
    warnings: checker.finish(),
    attribution,
  };
}
