import pLimit from "p-limit";
import { runAgentTask } from "../agents/agent-task.js";
import type { AgentRunner } from "../agents/fact-check.js";
import { describeError } from "../core/errors.js";
import { coverage } from "../core/text.js";
import type { DefectKind, Difficulty, RequestConstraints, TrainingTypeName } from "../core/types.js";
import { importRow, lookalikeOf } from "../export/import-rows.js";
import { offlineModels } from "../models/factories.js";
import type { LlmCallRecord } from "../models/middleware.js";
import type { ModelRouter } from "../models/router.js";
import type { SourceAdapter } from "../sources/types.js";
import { lexicalFactCheck } from "../tools/claims.js";
import type { BenchmarkIndex } from "../tools/decontamination.js";
import { DedupIndex } from "../tools/dedup.js";
import type { LicensedPassage } from "../tools/text-checks.js";
import type { Verifier } from "../tools/verifiers.js";
import type { FormatLookup } from "../training-types/formats.js";
import { getTrainingType } from "../training-types/index.js";
import type { TrainingType } from "../training-types/types.js";
import { DEFAULT_REVIEW } from "./pipeline.js";
import { processRegistry, type Registry } from "./registry.js";
import { defectOf, duplicateReason, type ReviewOutcome, reviewExample } from "./review-stage.js";

/**
 * Reviewing a dataset that already exists (`synthforge review`, the studio's imports, a
 * host's own files): each row goes through the review stage's stack and comes back with
 * a {@link RowReview}.
 */

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

/** Options of {@link reviewDataset}. */
export interface ReviewDatasetOptions {
  /** The training type the rows are (a registered name). */
  trainingType: TrainingTypeName;
  /** The models of the fact check and the judge. Default: the offline models (no calls). */
  models?: ModelRouter;
  /** Sources searched for ground truth when a row brings no passages of its own. Default none. */
  sources?: SourceAdapter[];
  /** Benchmarks rows are checked against for contamination (`loadBenchmarks`). */
  benchmarks?: BenchmarkIndex | null;
  /** Fact-check claims against the passages. Default true. */
  factCheck?: boolean;
  /** The difficulty the rows are judged at. Default `medium`. */
  difficulty?: Difficulty;
  /** The dataset's topic: rows about something else are rejected as off topic. */
  topic?: string;
  /** Narrows `topic`. */
  subTopic?: string;
  /** Language and audience the rows must be written for. */
  constraints?: RequestConstraints;
  /** Rows reviewed at once. Default 4. */
  concurrency?: number;
  /** Called with every model call's record (tokens, cost). */
  onUsage?: (record: LlmCallRecord) => void;
  /** The training types and verifiers to review with. Default {@link processRegistry}. */
  registry?: Registry;
}

/** One reviewed row: the record as read (null when it is not a JSON object) and its review. */
export interface ReviewedRow {
  /** 1-based line number (blank lines count, they are not rows). */
  line: number;
  /** The line as read. */
  raw: string;
  record: Record<string, unknown> | null;
  review: RowReview;
}

/**
 * Reviews rows of an existing dataset with the review stage's stack (schema and format,
 * duplicates within the rows, benchmark contamination, the deterministic verifiers, the
 * fact check against the row's own passages or those found in `sources`, the judge).
 * Takes JSON Lines (strings, blank ones skipped) or parsed objects, and yields every row
 * with its review in input order, `concurrency` rows in work at a time. A row that fails
 * to review (a model error) comes back `invalid` with the reason; the others go on.
 *
 * @example
 * for await (const r of reviewDataset(readFileSync("sft.jsonl", "utf8").split("\n"), { trainingType: "sft" }))
 *   console.log(r.line, r.review.status, r.review.quality_score);
 */
export async function* reviewDataset(
  rows: AsyncIterable<string | Record<string, unknown>> | Iterable<string | Record<string, unknown>>,
  options: ReviewDatasetOptions,
): AsyncGenerator<ReviewedRow> {
  const registry = options.registry ?? processRegistry;
  const type = registry.trainingType(options.trainingType);
  const models = options.models ?? offlineModels();
  const sink = options.onUsage ?? (() => undefined);
  const agent: AgentRunner = (task, taskInput) =>
    runAgentTask(task, taskInput, { models, runId: null, sink });
  const ctx: RecordContext = {
    type,
    formats: registry,
    agent,
    verifiers: registry.verifiers(),
    sources: options.sources ?? [],
    dedup: new DedupIndex(),
    benchmarks: options.benchmarks ?? null,
    factCheck: options.factCheck !== false,
    difficulty: options.difficulty ?? "medium",
    ...(options.topic ? { topic: options.topic } : {}),
    ...(options.subTopic ? { subTopic: options.subTopic } : {}),
    ...(options.constraints ? { constraints: options.constraints } : {}),
  };
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const limit = pLimit(concurrency);
  // Rows read ahead, oldest first (up to four per worker); `concurrency` of them in work at
  // a time; yielded in input order.
  const inWork: Array<Promise<ReviewedRow>> = [];
  let lineNo = 0;
  for await (const item of rows) {
    lineNo++;
    const line = typeof item === "string" ? item : JSON.stringify(item);
    if (typeof item === "string" && !item.trim()) continue;
    const at = lineNo;
    inWork.push(
      limit(() => reviewRecord(line, at, ctx)).then(
        (r) => ({ line: at, ...r }),
        (e) => ({
          line: at,
          record: safe(() => JSON.parse(line) as Record<string, unknown>),
          raw: line,
          review: {
            quality_score: null,
            status: "invalid" as const,
            defect: null,
            format: null,
            notes: [`line ${at}: review failed: ${describeError(e)}`],
            verdicts: [],
            sources: [],
          },
        }),
      ),
    );
    if (inWork.length >= concurrency * 4) yield await inWork.shift()!;
  }
  while (inWork.length) yield await inWork.shift()!;
}

/** Fields in which a row may bring its own passages. */
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

interface RecordContext {
  type: TrainingType;
  formats: FormatLookup;
  agent: AgentRunner;
  verifiers: Verifier[];
  sources: SourceAdapter[];
  dedup: DedupIndex;
  benchmarks: BenchmarkIndex | null;
  factCheck: boolean;
  difficulty: Difficulty;
  topic?: string;
  subTopic?: string;
  constraints?: RequestConstraints;
}

/** Reviews one record of the dataset. */
async function reviewRecord(
  line: string,
  n: number,
  ctx: RecordContext,
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
  const imported = importRow(ctx.type.name, record, ctx.formats);
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
      verifiers: ctx.verifiers,
      factCheck: ctx.factCheck,
      formats: ctx.formats,
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
