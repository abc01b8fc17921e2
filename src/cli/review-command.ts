import { once } from "node:events";
import { createReadStream, createWriteStream, existsSync, openSync, statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import pLimit from "p-limit";
import { runAgentTask } from "../agents/agent-task.js";
import type { AgentRunner } from "../agents/fact-check.js";
import { loadConfig } from "../core/config.js";
import { describeError, SynthforgeError } from "../core/errors.js";
import { checkFolder, fsReason, makeFolders, removeFolders } from "../core/fs-paths.js";
import { parseTrainingType } from "../core/request.js";
import { coverage } from "../core/text.js";
import {
  type DefectKind,
  type Difficulty,
  type RequestConstraints,
  TRAINING_TYPES,
  type TrainingTypeName,
} from "../core/types.js";
import type { LlmCallRecord } from "../models/middleware.js";
import { DEFAULT_REVIEW } from "../pipeline/pipeline.js";
import { defectOf, duplicateReason, type ReviewOutcome, reviewExample } from "../pipeline/review-stage.js";
import type { SourceAdapter } from "../sources/types.js";
import { lexicalFactCheck } from "../tools/claims.js";
import { type BenchmarkIndex, loadBenchmarks } from "../tools/decontamination.js";
import { DedupIndex } from "../tools/dedup.js";
import { importRow, lookalikeOf } from "../tools/import-rows.js";
import type { LicensedPassage } from "../tools/text-checks.js";
import { listVerifiers } from "../tools/verifiers.js";
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

/** The review written beside one row. */
export interface RowReview {
  quality_score: number | null;
  status: ReviewOutcome["status"] | "invalid";
  /**
   * The main defect found (one of `DEFECT_KINDS`), null when none was: the reason a
   * rejected or invalid row is not approved.
   */
  defect: DefectKind | null;
  /** The format the row was read as (`columns` for the stored columns). */
  format: string | null;
  notes: string[];
  /** Every verdict; a failing one names its defect. */
  verdicts: Array<{ kind: string; score: number; passed: boolean; reasons: string[]; defect?: DefectKind }>;
  /** Passages the facts were checked against. */
  sources: string[];
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

const CONTEXT_FIELDS = ["context", "passages", "ground_truth", "documents", "sources_text"];

/**
 * What a record that is not a row of `type` looks like, as a hint: "these rows look like
 * dpo (trl-dpo: prompt/chosen/rejected); use --type dpo". The type named is the one whose
 * primary format (or stored columns) the record is in, else one that exports to its
 * format, else the first it reads as. Null when it reads as no type.
 */
export function lookalikeHint(rec: Record<string, unknown>, type: TrainingTypeName): string | null {
  const look = lookalikeOf(rec, type);
  if (!look) return null;
  const rank = (f: { type: TrainingTypeName; format: string }) => {
    const formats = Object.keys(getTrainingType(f.type).exporters);
    return f.format === "columns" || formats[0] === f.format ? 0 : formats.includes(f.format) ? 1 : 2;
  };
  const best = [...look.fits].sort((a, b) => rank(a) - rank(b))[0]!;
  const fields = look.fields.filter((f) => !CONTEXT_FIELDS.includes(f) && f !== "review").join("/");
  const format = best.format === "columns" ? `the stored ${best.type} columns` : best.format;
  return `these rows look like ${best.type} (${format}: ${fields}); use --type ${best.type}`;
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

/** Passages a row brings itself (`context`, `passages`...), treated as the user's own. */
function ownPassages(rec: Record<string, unknown>): LicensedPassage[] {
  for (const f of CONTEXT_FIELDS) {
    const v = rec[f];
    if (typeof v === "string" && v.trim())
      return [{ sourceId: `row:${f}`, text: v, permissive: true, licence: "user-supplied" }];
    if (Array.isArray(v)) {
      const out: LicensedPassage[] = [];
      v.forEach((p, i) => {
        if (typeof p === "string" && p.trim())
          out.push({ sourceId: `row:${f}[${i}]`, text: p, permissive: true, licence: "user-supplied" });
        else if (p && typeof p === "object" && typeof (p as Record<string, unknown>).text === "string") {
          const o = p as Record<string, unknown>;
          out.push({
            sourceId: String(o.source_id ?? o.sourceId ?? o.id ?? `row:${f}[${i}]`),
            text: o.text as string,
            permissive: typeof o.permissive === "boolean" ? o.permissive : true,
            licence:
              typeof o.licence === "string"
                ? o.licence
                : typeof o.license === "string"
                  ? o.license
                  : "user-supplied",
          });
        }
      });
      if (out.length) return out;
    }
  }
  return [];
}

async function search(
  sources: SourceAdapter[],
  query: string,
  limit: number,
): Promise<Awaited<ReturnType<SourceAdapter["search"]>>> {
  const out: Awaited<ReturnType<SourceAdapter["search"]>> = [];
  for (const source of sources) {
    try {
      out.push(...(await source.search(query, { limit })));
    } catch {
      // a source that fails only means less ground truth
    }
  }
  return out;
}

/**
 * Evidence for a row from the configured sources: documents found for the prompt and the
 * start of the answer, passages ranked by how much of the prompt they cover or how much
 * of them the answer states (best 8); then, for each claim (up to 6) those passages do not
 * state, a search for the claim itself (claim-level evidence retrieval).
 */
async function researchPassages(
  sources: SourceAdapter[],
  prompt: string,
  answer: string,
): Promise<LicensedPassage[]> {
  const ranked: Array<{ p: LicensedPassage; score: number }> = [];
  const docs = await search(sources, `${prompt} ${answer.slice(0, 300)}`, 4);
  docs.forEach((d, di) => {
    d.passages.forEach((p, pi) => {
      const score = Math.max(coverage(prompt, p.text), coverage(p.text, answer)) - di * 0.001 - pi * 0.0001;
      if (score >= 0.15)
        ranked.push({
          p: {
            sourceId: d.url || d.title,
            text: p.text,
            permissive: d.licence.permissive,
            licence: d.licence.spdx,
          },
          score,
        });
    });
  });
  const passages = ranked
    .sort((a, b) => b.score - a.score)
    .slice(0, 8)
    .map((x) => x.p);
  const seen = new Set(passages.map((p) => p.text));
  const open = lexicalFactCheck(answer, passages, { decideAll: true }).filter(
    (v) => v.verdict !== "supported",
  );
  for (const claim of open.slice(0, 6)) {
    for (const d of await search(sources, claim.claim, 2)) {
      for (const p of d.passages) {
        if (seen.has(p.text) || coverage(claim.claim, p.text) < 0.5) continue;
        seen.add(p.text);
        passages.push({
          sourceId: d.url || d.title,
          text: p.text,
          permissive: d.licence.permissive,
          licence: d.licence.spdx,
        });
      }
    }
  }
  return passages.slice(0, 16);
}

/** Reviews one record of the file. */
async function reviewRecord(
  line: string,
  n: number,
  ctx: {
    type: TrainingType;
    agent: AgentRunner;
    sources: SourceAdapter[];
    dedup: DedupIndex;
    benchmarks: BenchmarkIndex | null;
    factCheck: boolean;
    difficulty: Difficulty;
    topic?: string;
    subTopic?: string;
    constraints?: RequestConstraints;
  },
): Promise<{ record: Record<string, unknown> | null; review: RowReview; raw: string }> {
  const invalid = (why: string, record: Record<string, unknown> | null = null) => ({
    record,
    review: {
      quality_score: null,
      status: "invalid" as const,
      defect: "format_invalid" as const,
      format: null,
      notes: [why],
      verdicts: [],
      sources: [],
    },
    raw: line,
  });
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch {
    return invalid(`line ${n}: not valid JSON`);
  }
  if (!rec || typeof rec !== "object" || Array.isArray(rec)) return invalid(`line ${n}: not a JSON object`);
  const record = rec as Record<string, unknown>;
  const imported = importRow(ctx.type.name, record);
  if (!imported) {
    const hint = lookalikeHint(record, ctx.type.name);
    return invalid(
      `line ${n}: not a ${ctx.type.name} row in a known format (${Object.keys(ctx.type.exporters).join(", ")}, or the stored columns)${hint ? `; ${hint}` : ""}`,
      record,
    );
  }
  const prompt = safe(() => ctx.type.promptText(imported.row)) ?? "";
  const passages = ownPassages(record);
  if (passages.length === 0 && ctx.sources.length) {
    passages.push(
      ...(await researchPassages(ctx.sources, prompt, safe(() => ctx.type.answerText(imported.row)) ?? "")),
    );
  }
  const id = `line-${n}`;
  const outcome = await reviewExample(
    {
      type: ctx.type,
      row: imported.row,
      question: prompt,
      difficulty: ctx.difficulty,
      passages,
      id,
      lenientFields: imported.filled,
      ...(ctx.topic ? { topic: ctx.topic } : {}),
      ...(ctx.subTopic ? { subTopic: ctx.subTopic } : {}),
      ...(ctx.constraints ? { constraints: ctx.constraints } : {}),
      formats:
        imported.format === "columns"
          ? Object.keys(ctx.type.exporters)
          : Object.keys(ctx.type.exporters).filter((f) => f === imported.format),
    },
    {
      agent: ctx.agent,
      review: DEFAULT_REVIEW,
      dedup: ctx.dedup,
      benchmarks: ctx.benchmarks,
      verifiers: listVerifiers(),
      factCheck: ctx.factCheck,
    },
  );
  let { score, notes, defect } = outcome;
  let status: RowReview["status"] = outcome.status;
  if (status === "approved" && outcome.signature) {
    const dup = ctx.dedup.claim(id, outcome.signature);
    if (dup) {
      score = 0;
      status = "rejected";
      defect = "duplicate_response";
      notes = [duplicateReason(dup)];
    }
  }
  // A row that is not a well-formed row of the type (missing or mistyped fields, too large)
  // is invalid, with the reason: it was never really reviewed.
  if (
    defect === "format_invalid" &&
    outcome.verdicts.some((v) => v.kind === "schema" || v.kind === "verifier:size")
  )
    status = "invalid";
  return {
    record,
    raw: line,
    review: {
      quality_score: status === "invalid" ? null : score,
      status,
      defect,
      format: imported.format,
      notes: notes.map((x) => x.replace(/example line-(\d+)/g, "line $1")),
      verdicts: outcome.verdicts.map((v) => {
        const d = v.passed ? null : defectOf(v);
        return {
          kind: v.kind,
          score: v.score,
          passed: v.passed,
          reasons: v.reasons.map((x) => x.replace(/example line-(\d+)/g, "line $1")),
          ...(d ? { defect: d } : {}),
        };
      }),
      sources: [...new Set(passages.map((p) => p.sourceId))],
    },
  };
}

function safe<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
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
  const sink = (r: LlmCallRecord) => {
    usage.calls++;
    usage.costUsd += r.costUsd;
  };
  const agent: AgentRunner = (task, taskInput) =>
    runAgentTask(task, taskInput, { models, runId: null, sink });
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
  const ctx = {
    type,
    agent,
    sources,
    dedup: new DedupIndex(),
    benchmarks,
    factCheck: flags.factCheck !== false,
    difficulty,
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
  const limit = pLimit(concurrency);
  const window = concurrency * 4;
  const done = new Map<number, Awaited<ReturnType<typeof reviewRecord>>>();
  const inFlight = new Set<Promise<void>>();
  let next = 1;
  // Rows are written in input order; flushes are chained so two never interleave.
  let flushing: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    flushing = flushing.then(async () => {
      while (done.has(next)) {
        const r = done.get(next)!;
        done.delete(next);
        next++;
        const line = r.record
          ? JSON.stringify({
              ...r.record,
              [r.record.review === undefined ? "review" : "synthforge_review"]: r.review,
            })
          : JSON.stringify({ raw: r.raw, review: r.review });
        if (!writer.write(`${line}\n`)) await once(writer, "drain");
      }
    });
    return flushing;
  };
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
    let n = 0; // rows (non-blank lines), the output order
    let lineNo = 0;
    let lastReport = Date.now();
    for await (const line of rl) {
      lineNo++;
      if (!line.trim()) continue;
      n++;
      while (n - next >= window && inFlight.size) await Promise.race(inFlight);
      const idx = n;
      const at = lineNo;
      const p: Promise<void> = limit(async () => {
        let r: Awaited<ReturnType<typeof reviewRecord>>;
        try {
          r = await reviewRecord(line, at, ctx);
        } catch (e) {
          // A model failure on one row is recorded on that row; the review goes on.
          r = {
            record: safe(() => JSON.parse(line) as Record<string, unknown>),
            raw: line,
            review: {
              quality_score: null,
              status: "invalid",
              defect: null,
              format: null,
              notes: [`line ${at}: review failed: ${describeError(e)}`],
              verdicts: [],
              sources: [],
            },
          };
        }
        tally(r.review);
        done.set(idx, r);
      }).then(flush);
      const tracked = p.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (Date.now() - lastReport > 2000) {
        io.err(`reviewed ${summary.rows} row(s)…`);
        lastReport = Date.now();
      }
    }
    await Promise.all([...inFlight]);
    await flush();
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
