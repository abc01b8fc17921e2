import { once } from "node:events";
import { createReadStream, createWriteStream, existsSync, openSync, statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { loadConfig } from "../core/config.js";
import { SynthforgeError } from "../core/errors.js";
import { checkFolder, fsReason, makeFolders, removeFolders } from "../core/fs-paths.js";
import { parseTrainingType } from "../core/request.js";
import {
  type Difficulty,
  type RequestConstraints,
  TRAINING_TYPES,
  type TrainingTypeName,
} from "../core/types.js";
import { importRow } from "../export/import-rows.js";
import {
  lookalikeHint,
  type ReviewDatasetOptions,
  type RowReview,
  reviewDataset,
} from "../pipeline/review-dataset.js";
import { loadBenchmarks } from "../tools/decontamination.js";
import { getTrainingType } from "../training-types/index.js";
import type { TrainingType } from "../training-types/types.js";
import type { CliIO } from "./progress.js";
import {
  buildModels,
  buildSources,
  chooseProvider,
  type PipelineFlags,
  reportSkippedFiles,
} from "./settings.js";

/** Flags of `synthforge review`. */
export interface ReviewFlags extends PipelineFlags {
  type?: string;
  out?: string;
  /** `--force`: replace an existing output file. */
  force?: boolean;
  json?: boolean;
  benchmark?: string[];
  /** `--no-sources`: do not search sources for ground truth. */
  sources?: boolean;
  /** `--no-fact-check`. */
  factCheck?: boolean;
  difficulty?: string;
  /** `--topic`: the dataset's topic; rows about something else are rejected as off topic. */
  topic?: string;
  /** `--sub-topic`: narrows `--topic`. */
  subTopic?: string;
  /** `--language`: ISO 639-1 code the rows must be written in (default en). */
  language?: string;
  /** `--audience`: who the rows are for ("primary school pupils"); the reading level is checked. */
  audience?: string;
}

/** Counts of a file review. */
export interface FileReviewSummary {
  file: string;
  out: string;
  trainingType: TrainingTypeName;
  rows: number;
  approved: number;
  needsRevision: number;
  rejected: number;
  invalid: number;
  meanScore: number | null;
  formats: Record<string, number>;
  reasons: Record<string, number>;
  provider: string;
  modelCalls: number;
  costUsd: number;
}

/** A hint for a file whose lines are not JSON objects: a JSON array, CSV, Parquet. */
function fileShapeHint(first: string): string | null {
  const t = first.trimStart();
  if (t.startsWith("PAR1")) return "it is a Parquet file; review reads JSON Lines (one JSON object per line)";
  if (t.startsWith("["))
    return "it looks like a JSON array, not JSON Lines (one JSON object per line); convert it, e.g. jq -c '.[]' file.json > file.jsonl";
  if (!t.startsWith("{") && /[,\t]/.test(t))
    return "it looks like CSV or TSV; review reads JSON Lines (one JSON object per line)";
  return null;
}

/**
 * Reads the file up to its first row of `type`. When there is none (an empty file, or only
 * invalid rows), throws before anything is reviewed or written, saying what the rows look like.
 */
async function checkHasRows(input: string, file: string, type: TrainingType): Promise<void> {
  const stream = createReadStream(input, { encoding: "utf8" });
  const rl = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let rows = 0;
  let notJson = 0;
  let first: string | null = null;
  const hints = new Map<string, number>();
  try {
    for await (const line of rl) {
      if (!line.trim()) continue;
      rows++;
      first ??= line;
      let rec: unknown;
      try {
        rec = JSON.parse(line);
      } catch {
        notJson++;
        continue;
      }
      if (!rec || typeof rec !== "object" || Array.isArray(rec)) {
        notJson++;
        continue;
      }
      if (importRow(type.name, rec as Record<string, unknown>)) return;
      const hint = lookalikeHint(rec as Record<string, unknown>, type.name);
      if (hint) hints.set(hint, (hints.get(hint) ?? 0) + 1);
    }
  } finally {
    rl.close();
    stream.destroy();
  }
  if (rows === 0)
    throw new SynthforgeError(
      "INPUT_FILE_INVALID",
      `${file} has no rows (it is empty); nothing was written.`,
    );
  const top = [...hints.entries()].sort((a, b) => b[1] - a[1])[0];
  const shape = notJson * 2 > rows && first !== null ? fileShapeHint(first) : null;
  const unknown = rows - notJson;
  const why = shape
    ? `: ${shape}`
    : top && top[1] * 2 > rows
      ? `: ${top[0]}`
      : ` (${[
          notJson ? `${notJson} not a JSON object` : "",
          unknown
            ? `${unknown} in no ${type.name} format (${Object.keys(type.exporters).join(", ")}, or the stored columns)`
            : "",
          top ? `${top[1]} of them where ${top[0]}` : "",
        ]
          .filter(Boolean)
          .join("; ")})`;
  throw new SynthforgeError(
    "INPUT_FILE_INVALID",
    `${rows}/${rows} row(s) of ${file} are invalid: none is a ${type.name} row${why}. Nothing was written.`,
    { details: { rows, invalid: rows } },
  );
}

/**
 * `synthforge review <file.jsonl> --type <type>`: reviews an existing dataset with the
 * review stage's stack (schema and format, duplicates within the file, benchmark
 * contamination, the deterministic verifiers, the fact check against ground truth found
 * in the configured sources or given in the row, the judge) and writes each row back with
 * a `review` object beside it: `quality_score`, `status`, `notes` and every verdict.
 * Offline by default; Gemini when a key is set.
 */
export async function reviewFile(file: string, flags: ReviewFlags, io: CliIO): Promise<FileReviewSummary> {
  if (!flags.type)
    throw new SynthforgeError(
      "INVALID_REQUEST",
      "review needs --type <type> (sft, dpo, ppo, grpo, rlhf, kto, orpo, chat, qa).",
    );
  const type = getTrainingType(parseTrainingType(flags.type));
  const input = resolve(file);
  if (!existsSync(input) || !statSync(input).isFile())
    throw new SynthforgeError("INPUT_FILE_INVALID", `${file} does not exist or is not a file.`);
  const out = resolve(flags.out ?? `${input.replace(/\.(jsonl|ndjson|json)$/i, "")}.scored.jsonl`);
  if (out === input) throw new SynthforgeError("INVALID_REQUEST", "--out must not be the input file.");
  const outLabel = `--out ${flags.out ?? out}`;
  if (existsSync(out) && statSync(out).isDirectory())
    throw new SynthforgeError(
      "OUTPUT_PATH_INVALID",
      `${outLabel}: ${out} is a folder; give a file path such as ${resolve(out, "scored.jsonl")}.`,
    );
  // Checked now, made when the rows are written (and removed again if the review fails).
  const outFolders = checkFolder(dirname(out), "OUTPUT_PATH_INVALID", outLabel);
  const difficulty = (flags.difficulty ?? "medium") as Difficulty;
  if (!["easy", "medium", "hard"].includes(difficulty))
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `--difficulty must be easy, medium or hard, got "${flags.difficulty}".`,
    );
  const { config, path } = loadConfig(flags.config);
  const { provider, notice } = chooseProvider(flags, config);
  const models = buildModels(provider, flags, config);
  const sources =
    flags.sources === false ? [] : buildSources(flags, config, path ? dirname(path) : process.cwd());
  const benchmarks = flags.benchmark?.length ? await loadBenchmarks(flags.benchmark) : null;
  const concurrency = flags.concurrency ? Number(flags.concurrency) : 4;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `--concurrency must be a positive whole number, got "${flags.concurrency}".`,
    );
  // A file without a single row of the type stops here, before anything is printed or written.
  await checkHasRows(input, file, type);

  const usage = { calls: 0, costUsd: 0 };
  const language = flags.language?.trim().toLowerCase();
  if (language !== undefined && !/^[a-z]{2,3}$/.test(language))
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `--language must be an ISO 639-1 code such as en, es or fr, got "${flags.language}".`,
    );
  if (flags.subTopic && !flags.topic?.trim())
    throw new SynthforgeError("INVALID_REQUEST", "--sub-topic needs --topic (the topic it narrows).");
  // Every flag is checked; an earlier review's scores are not replaced without --force.
  if (existsSync(out) && !flags.force)
    throw new SynthforgeError(
      "OUTPUT_PATH_INVALID",
      `${outLabel}: ${out} already exists; pass --force to overwrite it, or choose another name with --out.`,
    );
  const constraints: RequestConstraints = {
    ...(language ? { language } : {}),
    ...(flags.audience?.trim() ? { audience: flags.audience.trim() } : {}),
  };
  const options: ReviewDatasetOptions = {
    trainingType: type.name,
    models,
    sources,
    benchmarks,
    factCheck: flags.factCheck !== false,
    difficulty,
    concurrency,
    onUsage: (r) => {
      usage.calls++;
      usage.costUsd += r.costUsd;
    },
    ...(flags.topic?.trim() ? { topic: flags.topic.trim() } : {}),
    ...(flags.subTopic?.trim() ? { subTopic: flags.subTopic.trim() } : {}),
    ...(Object.keys(constraints).length ? { constraints } : {}),
  };
  const summary: FileReviewSummary = {
    file: input,
    out,
    trainingType: type.name,
    rows: 0,
    approved: 0,
    needsRevision: 0,
    rejected: 0,
    invalid: 0,
    meanScore: null,
    formats: {},
    reasons: {},
    provider: models.provider.name,
    modelCalls: 0,
    costUsd: 0,
  };
  let scoreSum = 0;
  let scored = 0;
  /** Hints of invalid rows that read as another type ("these rows look like dpo ..."), counted. */
  const lookalikes = new Map<string, number>();
  const tmp = `${out}.tmp-${process.pid}`;
  const made = makeFolders(outFolders, "OUTPUT_PATH_INVALID", outLabel);
  let fd: number;
  try {
    fd = openSync(tmp, "w");
  } catch (e) {
    removeFolders(made);
    throw new SynthforgeError("OUTPUT_PATH_INVALID", `${outLabel}: cannot write ${out} (${fsReason(e)}).`, {
      cause: e,
    });
  }
  const writer = createWriteStream("", { fd, encoding: "utf8" });
  let writeFailed: unknown = null;
  writer.on("error", (e) => {
    writeFailed ??= e;
  });
  // The first lines of output: the output file can be written, and the input has rows.
  io.err(notice);
  if (benchmarks)
    io.err(
      `decontamination: ${benchmarks.files.map((f) => `${basename(f.path)} (${f.rows} rows)`).join(", ")}`,
    );
  const tally = (r: RowReview) => {
    summary.rows++;
    if (r.format) summary.formats[r.format] = (summary.formats[r.format] ?? 0) + 1;
    if (r.status === "approved") summary.approved++;
    else if (r.status === "needs_revision") summary.needsRevision++;
    else if (r.status === "rejected") summary.rejected++;
    else summary.invalid++;
    if (r.quality_score !== null) {
      scoreSum += r.quality_score;
      scored++;
    }
    if (r.status === "invalid") {
      const hint = /; (these rows look like .*)$/.exec(r.notes[0] ?? "")?.[1];
      if (hint) lookalikes.set(hint, (lookalikes.get(hint) ?? 0) + 1);
    }
    if (r.status !== "approved") {
      // "line 4: not valid JSON" counts as "not valid JSON".
      const note =
        r.status === "invalid" ? (r.notes[0] ?? "").replace(/^line \d+: /, "").split(/ \(|;/)[0]! : null;
      const key = (note ?? r.notes[0] ?? r.status)
        .split(":")[0]!
        .replace(/\d+(?:\.\d+)?/g, "#")
        .slice(0, 80);
      summary.reasons[key] = (summary.reasons[key] ?? 0) + 1;
    }
  };
  try {
    await reportSkippedFiles(sources, io);
    const rl = createInterface({
      input: createReadStream(input, { encoding: "utf8" }),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    let lastReport = Date.now();
    // Rows come back in input order, each with its review; they are written as they come.
    for await (const r of reviewDataset(rl, options)) {
      tally(r.review);
      const line = r.record
        ? JSON.stringify({
            ...r.record,
            [r.record.review === undefined ? "review" : "synthforge_review"]: r.review,
          })
        : JSON.stringify({ raw: r.raw, review: r.review });
      if (!writer.write(`${line}\n`)) await once(writer, "drain");
      if (Date.now() - lastReport > 2000) {
        io.err(`reviewed ${summary.rows} row(s)…`);
        lastReport = Date.now();
      }
    }
    writer.end();
    if (!writer.writableFinished) await once(writer, "finish");
    if (writeFailed) throw writeFailed;
    const { renameSync } = await import("node:fs");
    renameSync(tmp, out);
  } catch (e) {
    writer.destroy();
    const { rmSync } = await import("node:fs");
    rmSync(tmp, { force: true });
    removeFolders(made);
    throw e;
  }
  summary.meanScore = scored ? Math.round((scoreSum / scored) * 1000) / 1000 : null;
  summary.modelCalls = usage.calls;
  summary.costUsd = Math.round(usage.costUsd * 1e6) / 1e6;
  for (const [hint, n] of lookalikes) io.err(`warning: ${n} invalid row(s): ${hint}`);
  // Rows read in a format the type does not export to (a DPO pair read as a PPO prompt).
  for (const [format, n] of Object.entries(summary.formats)) {
    if (format === "columns" || format in type.exporters) continue;
    const owners = TRAINING_TYPES.filter((t) => format in getTrainingType(t).exporters);
    const owner = owners.find((t) => Object.keys(getTrainingType(t).exporters)[0] === format) ?? owners[0];
    io.err(
      `warning: ${n} row(s) were read as ${format}, which is not a ${type.name} format${owner ? `; they look like ${owner} rows (use --type ${owner} if they are)` : ""}`,
    );
  }
  return summary;
}

/** Human summary lines of a file review. */
export function formatReviewSummary(s: FileReviewSummary): string[] {
  const formats = Object.entries(s.formats)
    .map(([f, n]) => `${f} ${n}`)
    .join(", ");
  const lines = [
    `reviewed ${s.rows} ${s.trainingType} row(s) of ${basename(s.file)}${formats ? ` (read as ${formats})` : ""}`,
    `  approved ${s.approved} · needs_revision ${s.needsRevision} · rejected ${s.rejected} · invalid ${s.invalid}${s.meanScore === null ? "" : ` · mean quality_score ${s.meanScore}`}`,
    `  provider ${s.provider} · model calls ${s.modelCalls} · cost $${s.costUsd.toFixed(4)}`,
  ];
  const reasons = Object.entries(s.reasons).sort((a, b) => b[1] - a[1]);
  if (reasons.length)
    lines.push(
      `  not approved: ${reasons
        .slice(0, 5)
        .map(([r, n]) => `${n}× ${r}`)
        .join("; ")}`,
    );
  lines.push(`  wrote scores and verdicts beside each row to ${s.out}`);
  return lines;
}

/** Registers `synthforge review` on the program. */
export function registerReviewCommand(program: Command, io: CliIO, setCode: (code: number) => void): void {
  const collect = (v: string, prev: string[] = []) => [...prev, v];
  program
    .command("review")
    .description(
      "Review an existing dataset (JSONL) with the review stack; writes quality_score and verdicts beside each row",
    )
    .argument("<file>", "dataset file: JSON Lines in one of the type's export formats, or its stored columns")
    .requiredOption(
      "-t, --type <type>",
      "training type of the rows (sft, dpo, ppo, grpo, rlhf, kto, orpo, chat, qa)",
    )
    .option("-o, --out <file>", "where to write the scored rows (default <file>.scored.jsonl)")
    .option("--force", "overwrite the output file when it exists")
    .option(
      "--benchmark <file>",
      "benchmark file (JSONL, CSV, Parquet) the data must not contain (repeatable)",
      collect,
    )
    .option("--difficulty <level>", "difficulty the rows are judged at: easy, medium (default) or hard")
    .option("--topic <topic>", "the dataset's topic: rows about something else are rejected as off topic")
    .option("--sub-topic <name>", "a sub-topic of --topic the rows were written for")
    .option("--language <code>", "ISO 639-1 code of the language the rows must be in (default en)")
    .option("--audience <who>", 'who the rows are for, e.g. "primary school pupils" (reading level checked)')
    .option(
      "--no-sources",
      "do not search the sources for ground truth (facts are checked only against a row's own context)",
    )
    .option("--no-fact-check", "skip the claim-by-claim fact check")
    .option("-c, --config <file>", "config file (default ./synthforge.config.yaml when present)")
    .option(
      "--provider <name>",
      "auto (default), gemini, offline, or an OpenAI-compatible provider (ollama, lmstudio, vllm, llamacpp, openai, or one under providers: in the config)",
    )
    .option(
      "--model <role=model>",
      "model for an agent role, e.g. reviewer=gemini-2.5-pro (repeatable)",
      collect,
    )
    .option("--corpus <dir>", "ground truth from a local folder of md/txt/html notes (repeatable)", collect)
    .option("--concurrency <n>", "rows reviewed at once (default 4)")
    .option("--json", "print a machine-readable summary as the last line")
    .action(async (file: string, flags: ReviewFlags) => {
      const summary = await reviewFile(file, flags, io);
      for (const l of formatReviewSummary(summary)) io.out(l);
      if (flags.json) io.out(JSON.stringify(summary));
      if (summary.rows > 0 && summary.invalid === summary.rows) {
        // Every row failed (their reviews could not run): a failed review, with the count.
        const failed = Object.keys(summary.reasons).some((r) => r.startsWith("review failed"));
        throw new SynthforgeError(
          failed ? "MODEL_ERROR" : "INPUT_FILE_INVALID",
          `${summary.invalid}/${summary.rows} row(s) of ${basename(summary.file)} are invalid (${Object.entries(
            summary.reasons,
          )
            .map(([r, n]) => `${n}× ${r}`)
            .join("; ")}); the reasons are beside each row in ${summary.out}.`,
        );
      }
      setCode(0);
    });
}
