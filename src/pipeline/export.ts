import { createWriteStream, mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { once } from "node:events";
import { SynthforgeError } from "../core/errors.js";
import type { ReviewStatus } from "../core/types.js";
import type { RunRow, Store } from "../storage/store.js";
import { EXPORT_FORMATS, type ExportFormat, validateFormatRow } from "../training-types/formats.js";
import { getTrainingType } from "../training-types/registry.js";

/** Options of an export. */
export interface ExportOptions {
  format: ExportFormat | string;
  /** Output file (JSONL). Its folder is created when missing. */
  out: string;
  /** Which review statuses to export. Default: approved only. */
  reviewStatus?: ReviewStatus[];
}

/** What an export wrote. */
export interface ExportResult {
  runId: string;
  trainingType: string;
  format: ExportFormat;
  path: string;
  rows: number;
}

/** Finds a run by id or `latest`. */
export async function findRun(store: Store, runRef: string): Promise<RunRow> {
  const run = runRef === "latest" ? await store.latestRun() : await store.getRun(runRef);
  if (!run) {
    throw new SynthforgeError(
      "RUN_NOT_FOUND",
      runRef === "latest" ? `There are no runs in ${store.location}.` : `No run "${runRef}" in ${store.location}. Use "latest" or an id from \`synthforge runs\`.`,
    );
  }
  return run;
}

/** The export format of that name, if the run's training type supports it. */
export function checkFormat(trainingType: string, format: string): ExportFormat {
  const type = getTrainingType(trainingType);
  const supported = Object.keys(type.exporters);
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new SynthforgeError("EXPORT_FORMAT_UNSUPPORTED", `Unknown export format "${format}". ${trainingType} exports to: ${supported.join(", ")}.`);
  }
  if (!supported.includes(format)) {
    throw new SynthforgeError("EXPORT_FORMAT_UNSUPPORTED", `A ${trainingType} run cannot be exported as ${format}. ${trainingType} exports to: ${supported.join(", ")}.`);
  }
  return format as ExportFormat;
}

/**
 * Exports a run's examples as JSONL, streaming from the store in constant memory. Every
 * row is checked by the format's strict validator before it is written; the file
 * appears only when the export succeeded (written to a temporary name, then renamed).
 *
 * @throws SynthforgeError `RUN_NOT_FOUND`, `EXPORT_FORMAT_UNSUPPORTED`, or
 *   `EXPORT_ROW_INVALID` naming the example and the rule it breaks.
 */
export async function exportRun(store: Store, runRef: string, opts: ExportOptions): Promise<ExportResult> {
  const run = await findRun(store, runRef);
  const format = checkFormat(run.trainingType, opts.format);
  const type = getTrainingType(run.trainingType);
  const exporter = type.exporters[format]!;
  const path = resolve(opts.out);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const file = createWriteStream(tmp, { encoding: "utf8" });
  let rows = 0;
  try {
    for await (const ex of store.iterateExamples(run.id, run.trainingType, { reviewStatus: opts.reviewStatus ?? ["approved"] })) {
      const line = exporter(ex.data, { id: ex.id, questionId: ex.questionId, qualityScore: ex.qualityScore });
      const problems = validateFormatRow(format, line);
      if (problems.length) {
        throw new SynthforgeError("EXPORT_ROW_INVALID", `Example ${ex.id} does not fit ${format}: ${problems.join("; ")}`);
      }
      if (!file.write(`${JSON.stringify(line)}\n`)) await once(file, "drain");
      rows++;
    }
    file.end();
    await once(file, "finish");
    renameSync(tmp, path);
  } catch (e) {
    file.destroy();
    rmSync(tmp, { force: true });
    throw e;
  }
  return { runId: run.id, trainingType: run.trainingType, format, path, rows };
}
