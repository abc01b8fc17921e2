import {
  type AgentRunner,
  codeIdentifiers,
  type FactCheckReport,
  factCheck,
  lexicalStanding,
} from "../agents/fact-check.js";
import { type JudgeInput, type JudgeOutput, judgeScore, judgeTask } from "../agents/reviewer.js";
import { SynthforgeError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import type { AutoReviewStatus, DefectKind, Difficulty, RequestConstraints } from "../core/types.js";
import { detectInjection } from "../sources/injection.js";
import type { ReviewRow, Store } from "../storage/store.js";
import type { CheckResult } from "../tools/check.js";
import { checkCodeTask } from "../tools/code-check.js";
import {
  checkFlawOrder,
  checkIncompleteLabels,
  checkPreferredAnswers,
  checkThinPreferred,
  HIGH_REWARD,
  LOW_REWARD,
} from "../tools/consistency.js";
import type { BenchmarkIndex } from "../tools/decontamination.js";
import { loadBenchmarks } from "../tools/decontamination.js";
import { type DedupIndex, type DedupSignature, type DuplicateMatch, dedupSignature } from "../tools/dedup.js";
import type { SandboxOptions } from "../tools/sandbox-host.js";
import type { LicensedPassage } from "../tools/text-checks.js";
import {
  checkAnswers,
  checkAudience,
  checkBoilerplate,
  checkFinalValue,
  checkInjectionEcho,
  checkLanguage,
  checkRepetition,
  checkRequestedJson,
  checkRequestedTable,
  checkRowSize,
  checkTemplateTokens,
  checkTruncation,
} from "../tools/text-gate.js";
import { checkOnTopic } from "../tools/topic-gate.js";
import { runVerifiers, type Verifier, type VerifierOutcome } from "../tools/verifiers.js";
import { type ExportFormat, type FormatLookup, validateFormatRow } from "../training-types/formats.js";
import type { TrainingType } from "../training-types/types.js";
import type { ReviewConfig, RunContext } from "./context.js";
import { loadDedupIndex } from "./dedup.js";
import { groundTruthPassages } from "./research-stage.js";
import type { Item, ItemStage } from "./stage.js";

/** The verdict for a score under the thresholds (DESIGN §2). */
export function verdict(score: number, review: ReviewConfig): AutoReviewStatus {
  if (score >= review.approveAt) return "approved";
  if (score < review.rejectBelow) return "rejected";
  return "needs_revision";
}

/**
 * Weights of the quality score (docs/review.md). The score is the judge's rubric score
 * multiplied, for every check that ran, by `1 − weight × (1 − check score)`: a check
 * that passes leaves the judge's score as it is, a failed check of weight 1 makes it 0.
 * Verifier weights live with the verifiers (`Verifier.weight`).
 */
export const REVIEW_WEIGHTS = {
  /** The row does not export to one of its type's formats. */
  format: 1,
  /** The fact check: contradicted claims cost a whole claim, unverifiable ones a quarter. */
  factCheck: 0.8,
} as const;

/** Options of {@link reviewStage} (and of {@link reviewExample}). */
export interface ReviewStageOptions {
  /** Deterministic verifiers to run. Default: the pipeline registry's verifiers (`ctx.registry.verifiers()`), at run time. */
  verifiers?: Verifier[];
  /** Run the claim-by-claim fact check. Default true. */
  factCheck?: boolean;
  /**
   * Duplicate detection: `run` (default) checks against the run's own approved examples;
   * `database` against every approved example of the training type in the store (this
   * run and every earlier one); `off` disables it. `run` is the default so that rerunning
   * an unchanged plan replays its cached answers into the same dataset instead of
   * rejecting them as copies of the first run; use `database` to build one dataset across
   * many runs.
   */
  dedup?: "database" | "run" | "off";
  /** Near-duplicate threshold (estimated Jaccard of 3-word shingles). Default 0.7. */
  nearDuplicateThreshold?: number;
  /** Benchmark files (JSONL, CSV, Parquet) the data must not contain, or a loaded index. */
  benchmarks?: string[] | BenchmarkIndex;
  /** Limits for code the verifiers run. */
  sandbox?: SandboxOptions;
}

/**
 * One verdict of a review, as stored in `reviews`. A failing verdict names the defect it
 * found in `raw.defect` (one of `DEFECT_KINDS`), and so does the `final` verdict of a
 * rejected row (its main defect).
 */
export interface ReviewVerdict {
  kind: string;
  score: number;
  passed: boolean;
  reasons: string[];
  raw: unknown;
}

/** The defect a verifier's failure means when the verifier does not name one itself. */
export const VERIFIER_DEFECTS: Record<string, DefectKind> = {
  arithmetic: "wrong_arithmetic",
  chemistry: "wrong_fact",
  latex: "format_invalid",
  code: "code_wrong",
  sql: "code_wrong",
  answer: "wrong_arithmetic",
  program: "code_output_mismatch",
  preference: "ranking_wrong",
  verbatim: "policy",
  pii: "policy",
  toxicity: "policy",
  format: "format_invalid",
};

/**
 * Which defect is reported first when several checks fail: the most specific and reliable
 * checks first, the heuristic ones (on topic, answering, audience) last.
 */
export const DEFECT_PRIORITY: DefectKind[] = [
  "format_invalid",
  "template_tokens",
  "injection_echo",
  "boilerplate",
  "repetition",
  "policy",
  "contamination",
  "wrong_language",
  "truncated",
  "code_output_mismatch",
  "code_wrong",
  "wrong_unit",
  // A wrong calculation is named before the reward or label it makes inconsistent (the
  // labelled sets name the calculation); a reward that contradicts a wrong fact is named
  // before the fact, which the checks find less reliably.
  "wrong_arithmetic",
  "reward_inconsistent",
  "ranking_wrong",
  "duplicate_response",
  "wrong_fact",
  "contradicts_source",
  "off_topic",
  "non_answer",
  "audience_mismatch",
];

/** The main defect of a set of failing verdicts (by {@link DEFECT_PRIORITY}), or null. */
export function mainDefect(verdicts: ReviewVerdict[]): DefectKind | null {
  let best: DefectKind | null = null;
  for (const v of verdicts) {
    const d = defectOf(v);
    if (!d || v.passed) continue;
    if (best === null || DEFECT_PRIORITY.indexOf(d) < DEFECT_PRIORITY.indexOf(best)) best = d;
  }
  return best;
}

/** The defect a stored verdict names (`raw.defect`), or null. */
export function defectOf(v: { raw: unknown }): DefectKind | null {
  const raw = v.raw as { defect?: unknown } | null;
  return raw && typeof raw.defect === "string" ? (raw.defect as DefectKind) : null;
}

/** Weight of the not-found share of the fact check, when the run has sources. */
export const NOT_FOUND_PENALTY = 0.08;

/** What one example is, for review. */
export interface ReviewSubject {
  type: TrainingType;
  row: Record<string, unknown>;
  /** The question the example answers (the prompt when reviewing a file). */
  question: string;
  difficulty: Difficulty;
  /** Ground-truth passages with their licences. */
  passages: LicensedPassage[];
  /** Id under which an approved example enters the dedup index. */
  id: string;
  /**
   * Columns the example does not really have (an imported row in a format that does not
   * carry them, filled with placeholders): problems about them are not held against it.
   */
  lenientFields?: string[];
  /** Export formats to check the row against. Default: every format of the type. */
  formats?: string[];
  /** The run's topic: the example must be about it (no on-topic check without it). */
  topic?: string;
  /** The sub-topic the example was written for. */
  subTopic?: string;
  /** What the request asks of the text (language, audience), checked where possible. */
  constraints?: RequestConstraints;
}

/** What reviewing needs. */
export interface ReviewDeps {
  agent: AgentRunner;
  review: ReviewConfig;
  dedup: DedupIndex | null;
  benchmarks: BenchmarkIndex | null;
  verifiers: Verifier[];
  factCheck: boolean;
  sandbox?: SandboxOptions;
  /** Where the formats rows are checked against are found (the pipeline's registry). Default: process-wide. */
  formats?: FormatLookup;
}

/** The outcome of reviewing one example. */
export interface ReviewOutcome {
  /** quality_score in [0, 1]. */
  score: number;
  status: AutoReviewStatus;
  /** What to fix (empty when approved). */
  notes: string[];
  /** Every verdict, in order, ending with `final`. */
  verdicts: ReviewVerdict[];
  /** The main defect found (null when none was): the reason a rejected row is rejected. */
  defect: DefectKind | null;
}

/** The text the example asserts is correct; null for an example that is bad on purpose. */
export function assertedText(type: TrainingType, row: Record<string, unknown>): string | null {
  // An undesirable KTO completion (label false) and a PPO response given a low reward are
  // meant to be poor: the training signal says so, and the reward check holds it to that.
  if (row.label === false) return null;
  if (typeof row.reward === "number" && row.reward <= LOW_REWARD) return null;
  return type.answerText(row);
}

/** Every string in a row, for the screens (PII, toxicity, licences). */
export function allText(row: Record<string, unknown>): string {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(row);
  return out.join("\n");
}

/** The text dedup and decontamination compare: prompt and answer. */
export function dedupText(type: TrainingType, row: Record<string, unknown>): string {
  return `${type.promptText(row)}\n${type.answerText(row)}`;
}

/** Problems exporting a row to each of its type's formats. */
export function formatProblems(
  type: TrainingType,
  row: Record<string, unknown>,
  only?: string[],
  formats?: FormatLookup,
): string[] {
  const problems: string[] = [];
  for (const [format, exporter] of Object.entries(type.exporters)) {
    if (!exporter || (only && !only.includes(format))) continue;
    try {
      const line = exporter(row, { id: "review", questionId: "review", qualityScore: null });
      for (const p of validateFormatRow(format as ExportFormat, line, formats))
        problems.push(`${format}: ${p}`);
    } catch (e) {
      problems.push(`${format}: the exporter failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return problems;
}

function factor(weight: number, score: number): number {
  return 1 - weight * (1 - Math.max(0, Math.min(1, score)));
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Reviews one example (DESIGN §2), without touching storage:
 * 1. schema and the type's validator; 2. export formats; 3. duplicates (exact and near)
 * and benchmark contamination; 4. the deterministic verifiers; 5. the claim-by-claim fact
 * check (lexical, then a model); 6. the judge with the type's rubric, told what 4 and 5
 * found. The quality score is the judge's score times one factor per check (see
 * {@link REVIEW_WEIGHTS}); a check that already forces the score to 0 skips the model
 * calls. The caller claims the dedup slot of an approved example ({@link DedupIndex.claim}).
 */
export async function reviewExample(
  subject: ReviewSubject,
  deps: ReviewDeps,
): Promise<ReviewOutcome & { signature: DedupSignature | null }> {
  const { type, row } = subject;
  const verdicts: ReviewVerdict[] = [];
  const notes: string[] = [];
  const finish = (score: number, extra: Record<string, unknown> = {}) => {
    const defect = mainDefect(verdicts);
    let s = round3(score);
    let status = verdict(s, deps.review);
    if (defect) {
      // A check that found a real defect rejects the row, whatever the other scores.
      s = Math.min(s, round3(deps.review.rejectBelow * 0.5));
      status = "rejected";
    }
    // The main defect's reasons first: they are why the row is rejected.
    const first = defect
      ? verdicts
          .filter((v) => !v.passed && v.kind !== "fact_check" && defectOf(v) === defect)
          .flatMap((v) => v.reasons)
      : [];
    const unique = [...new Set([...first, ...notes])];
    verdicts.push({
      kind: "final",
      score: s,
      passed: status === "approved",
      reasons: status === "approved" ? [] : unique,
      raw: { thresholds: deps.review, status, ...(defect ? { defect } : {}), ...extra },
    });
    return { score: s, status, notes: status === "approved" ? [] : unique, defect };
  };
  const record = (r: CheckResult, kind = `verifier:${r.name}`, extra: Record<string, unknown> = {}) => {
    const defect = r.passed ? undefined : (r.defect ?? VERIFIER_DEFECTS[r.name]);
    verdicts.push({
      kind,
      score: r.score,
      passed: r.passed,
      reasons: r.reasons,
      raw: { ...extra, ...(defect ? { defect } : {}), ...(r.details ? { details: r.details } : {}) },
    });
    if (!r.passed) notes.push(...r.reasons);
    return defect ?? null;
  };

  // 0. Size first: a 50 MB field is refused before any check reads it.
  const size = checkRowSize(row);
  if (!size.passed) {
    record(size);
    return { ...finish(0), verdicts, signature: null };
  }

  // 1. Schema and the type's validator (a row with missing fields is malformed, never a crash).
  const lenient = subject.lenientFields ?? [];
  let problems: string[];
  try {
    const schema = type.rowSchema.safeParse(row);
    problems = (
      schema.success
        ? type.validate(schema.data as Record<string, unknown>)
        : [
            ...schema.error.issues
              .filter((i) => !lenient.includes(String(i.path[0])))
              .map((i) => `${i.path.join(".")}: ${i.message}`),
            ...(schema.error.issues.every((i) => lenient.includes(String(i.path[0])))
              ? type.validate(row)
              : []),
          ]
    ).filter((p) => !lenient.some((f) => p.includes(f)));
  } catch (e) {
    problems = [`the row could not be read as ${type.name}: ${e instanceof Error ? e.message : String(e)}`];
  }
  verdicts.push({
    kind: "schema",
    score: problems.length ? 0 : 1,
    passed: problems.length === 0,
    reasons: problems,
    raw: problems.length ? { defect: "format_invalid" } : null,
  });
  if (problems.length) {
    notes.push(...problems);
    return { ...finish(0), verdicts, signature: null };
  }

  // 2. Export formats.
  const formats = subject.formats ?? Object.keys(type.exporters);
  const fmt = formatProblems(type, row, formats, deps.formats);
  verdicts.push({
    kind: "verifier:format",
    score: fmt.length ? 0 : 1,
    passed: fmt.length === 0,
    reasons: fmt,
    raw: { formats, ...(fmt.length ? { defect: "format_invalid" } : {}) },
  });
  if (fmt.length) {
    notes.push(...fmt);
    return { ...finish(0), verdicts, signature: null };
  }

  // 3. The text gate: template tokens, injections, boilerplate, repetition, truncation,
  // language, audience, on topic, answering the prompt.
  const prompt = type.promptText(row);
  const asserted = assertedText(type, row);
  const answer = type.answerText(row);
  const fields = answerFields(row, asserted);
  const constraints = subject.constraints ?? {};
  const ranked = rankedResponses(row);
  const gate: Array<CheckResult | null> = [
    checkTemplateTokens([allText(row)]),
    checkInjectionEcho([asserted ?? ""], subject.passages, prompt, detectInjection),
    asserted ? checkBoilerplate(fields.map((f) => f.text)) : null,
    // A row that asserts nothing (a KTO completion labelled undesirable) is meant to be
    // flawed: only its prompt must not be degenerate.
    checkRepetition(asserted ? fields : [{ field: "the prompt", text: prompt }]),
    asserted ? checkTruncation(fields) : null,
    asserted
      ? checkLanguage(
          fields.map((f) => f.text),
          constraints.language ?? "en",
        )
      : null,
    asserted
      ? checkAudience(
          fields.map((f) => f.text),
          constraints.audience,
          constraints.language ?? "en",
        )
      : null,
    checkOnTopic({
      topic: subject.topic,
      subTopic: subject.subTopic,
      prompt,
      answer,
      groundTruth: subject.passages.map((p) => p.text),
      language: constraints.language,
    }),
    // A PPO response with a middling reward is presented as partial: its rationale says what is missing.
    asserted && !(typeof row.reward === "number" && row.reward < HIGH_REWARD)
      ? answersPrompt(row, prompt, fields)
      : null,
    asserted
      ? checkRequestedJson(
          prompt,
          fields.map((f) => f.text),
        )
      : null,
    asserted
      ? checkRequestedTable(
          prompt,
          fields.map((f) => f.text),
        )
      : null,
    checkPreferredAnswers(prompt, ranked, checkAnswers),
    checkThinPreferred(prompt, ranked, checkAnswers),
    checkRankedGrounding(ranked, subject.passages),
    checkIncompleteLabels(prompt, ranked, checkAnswers),
    Array.isArray(row.responses)
      ? checkFlawOrder(row.responses as Array<{ rank: number; flaw?: unknown }>)
      : null,
  ];
  let gateFailed = false;
  for (const r of gate) if (r && record(r, `gate:${r.name}`)) gateFailed = true;
  // The code of the answer does the task its prompt names (run on inputs with one right result).
  if (!gateFailed) {
    const task = await codeTaskCheck(row, prompt, asserted, fields, deps.sandbox);
    if (task && record(task, `gate:${task.name}`)) gateFailed = true;
  }

  // 4. Duplicates (of the prompt and answer, or of the answer alone) and contamination.
  const text = dedupText(type, row);
  let signature: DedupSignature | null = null;
  if (deps.dedup) {
    signature = dedupSignature(text, answer);
    const dup = deps.dedup.check(signature, subject.id);
    const reasons = dup ? [duplicateReason(dup)] : [];
    verdicts.push({
      kind: "dedup",
      score: dup ? 0 : 1,
      passed: !dup,
      reasons,
      raw: {
        exactKey: signature.exact,
        match: dup,
        ...(dup ? { defect: "duplicate_response" } : {}),
      },
    });
    if (dup) {
      notes.push(...reasons);
      return { ...finish(0), verdicts, signature };
    }
  }
  if (deps.benchmarks) {
    const matches = deps.benchmarks.match(allText(row));
    const best = matches[0];
    const reasons = best
      ? [
          `contains benchmark item ${best.itemId ?? `row ${best.row}`} of ${best.benchmark} (${Math.round(best.overlap * 100)}% of its ${deps.benchmarks.ngram}-grams, field "${best.field}")`,
        ]
      : [];
    verdicts.push({
      kind: "decontamination",
      score: best ? 0 : 1,
      passed: !best,
      reasons,
      raw: { matches: matches.slice(0, 5), ...(best ? { defect: "contamination" } : {}) },
    });
    if (best) {
      notes.push(...reasons);
      return { ...finish(0), verdicts, signature };
    }
  }
  // 5. The deterministic verifiers.
  const outcomes: VerifierOutcome[] = await runVerifiers(
    {
      trainingType: type.name,
      row,
      prompt,
      asserted,
      allText: allText(row),
      passages: subject.passages,
    },
    { verifiers: deps.verifiers, ...(deps.sandbox ? { sandbox: deps.sandbox } : {}) },
  );
  let product = 1;
  let verifierDefect = false;
  for (const o of outcomes) {
    if (record(o, `verifier:${o.name}`, { weight: o.weight })) verifierDefect = true;
    product *= factor(o.weight, o.score);
  }
  if (gateFailed || verifierDefect || product <= 0)
    return {
      ...finish(0, { skipped: "a deterministic check found a defect; the model review was not needed" }),
      verdicts,
      signature,
    };

  // 6. The fact check: a contradiction is a defect; a claim the sources do not state is
  // reported and, as the run has sources, costs a little confidence.
  const passages = subject.passages.map((p) => ({ sourceId: p.sourceId, text: p.text }));
  let fc: FactCheckReport | null = null;
  let fcDefect = false;
  if (deps.factCheck && asserted) {
    const codeRan = outcomes.some(
      (o) => (o.name === "code" || o.name === "sql" || o.name === "program") && o.passed,
    );
    fc = await factCheck(asserted, passages, deps.agent, {
      question: subject.question,
      ...(codeRan ? { codeIdentifiers: codeIdentifiers(asserted) } : {}),
    });
    if (fc) {
      for (const c of fc.claims) {
        const contradicted = c.verdict === "contradicted";
        if (contradicted) fcDefect = true;
        verdicts.push({
          kind: "fact_check",
          score: c.verdict === "supported" ? 1 : c.verdict === "not_found" ? 1 - NOT_FOUND_PENALTY : 0,
          passed: !contradicted,
          reasons:
            c.verdict === "supported"
              ? []
              : [
                  `${contradicted ? "contradicts the sources" : "not in the sources"}: "${c.claim}" (${c.reason})`,
                ],
          raw: { ...c, ...(contradicted ? { defect: "contradicts_source" } : {}) },
        });
        if (contradicted) notes.push(`fix a claim the sources contradict: "${c.claim}" (${c.reason})`);
      }
      const n = fc.claims.length;
      if (n && fc.notFound) product *= 1 - NOT_FOUND_PENALTY * (fc.notFound / n);
    }
  }
  if (fcDefect)
    return {
      ...finish(0, { skipped: "a source contradicts the answer; the model review was not needed" }),
      verdicts,
      signature,
    };

  // 7. The judge with the type's rubric, told what the checks found.
  const judgeInput: JudgeInput = {
    trainingType: type.name,
    rubric: type.rubric,
    difficulty: subject.difficulty,
    question: subject.question,
    prompt,
    answer,
    example: lenient.length
      ? Object.fromEntries(Object.entries(row).filter(([k]) => !lenient.includes(k)))
      : row,
    passages,
    deep: type.generation.deep || subject.difficulty === "hard",
    checks: outcomes.map((o) => ({ name: o.name, passed: o.passed, score: o.score, reasons: o.reasons })),
    factCheck: fc
      ? {
          supported: fc.supported,
          contradicted: fc.contradicted,
          not_found: fc.notFound,
          problems: fc.claims
            .filter((c) => c.verdict !== "supported")
            .map(
              (c) =>
                `${c.verdict === "contradicted" ? "contradicted" : "not found"}: "${c.claim}" (${c.reason})`,
            ),
        }
      : null,
    ...(subject.topic ? { topic: subject.topic } : {}),
    ...(subject.subTopic ? { subTopic: subject.subTopic } : {}),
    ...(subject.constraints ? { constraints: subject.constraints } : {}),
  };
  const { output, raw, model } = await deps.agent<JudgeInput, JudgeOutput>(judgeTask, judgeInput);
  const judged = judgeScore(output.scores);
  verdicts.push({
    kind: "judge",
    score: judged,
    passed: judged >= deps.review.approveAt,
    reasons: output.issues,
    raw: { output, raw, model, deep: judgeInput.deep },
  });
  notes.push(...output.issues);
  const score = judged * product;
  return {
    ...finish(score, { judge: judged, checks: round3(product), factCheck: fc?.score ?? null }),
    verdicts,
    signature,
  };
}

/** The reason a duplicate is rejected, for its notes. */
export function duplicateReason(dup: DuplicateMatch, suffix = ""): string {
  if (dup.kind === "response")
    return `the same response as example ${dup.id} under a different prompt (similarity ${dup.similarity})${suffix}; write a response for this prompt`;
  return `${dup.kind === "exact" ? "an exact" : "a near"} duplicate of example ${dup.id}${dup.kind === "near" ? ` (similarity ${dup.similarity})` : ""}${suffix}`;
}

/**
 * The responses of a preference row, best first: chosen then rejected (DPO, ORPO), or the
 * RLHF responses by rank. Empty for other rows.
 */
export function rankedResponses(
  row: Record<string, unknown>,
): Array<{ label: string; text: string; flaw?: string }> {
  const flaw = (v: unknown) => (typeof v === "string" && v ? { flaw: v } : {});
  if (Array.isArray(row.responses)) {
    const rs = (row.responses as Array<Record<string, unknown>>)
      .filter((r) => r && typeof r.text === "string" && typeof r.rank === "number")
      .sort((a, b) => (a.rank as number) - (b.rank as number));
    return rs.map((r) => ({ label: `rank-${r.rank}`, text: r.text as string, ...flaw(r.flaw) }));
  }
  if (typeof row.chosen === "string" && typeof row.rejected === "string")
    return [
      { label: "chosen", text: row.chosen },
      { label: "rejected", text: row.rejected, ...flaw(row.rejection_reason) },
    ];
  return [];
}

/**
 * The code-task check of a row ({@link checkCodeTask}): each assistant turn against its
 * user turn, the asserted answer against the prompt, and for a preference or ranking row
 * the preferred response against the lower ones: a preferred response whose code fails the
 * task while a lower one's passes is a reversed order (`ranking_wrong`).
 */
async function codeTaskCheck(
  row: Record<string, unknown>,
  prompt: string,
  asserted: string | null,
  fields: Array<{ field: string; text: string }>,
  sandbox?: SandboxOptions,
): Promise<CheckResult | null> {
  if (!asserted) return null;
  const ranked = rankedResponses(row);
  if (ranked.length >= 2) {
    const top = await checkCodeTask(prompt, ranked[0]!.text, sandbox);
    if (!top || top.passed) return top;
    for (const lo of ranked.slice(1)) {
      const r = await checkCodeTask(prompt, lo.text, sandbox);
      if (r?.passed)
        return {
          ...top,
          name: "code_task",
          defect: "ranking_wrong",
          reasons: [
            `the ${ranked[0]!.label} response's code does not do the task (${top.reasons[0]?.replace(/^the code does not do what the prompt asks: /, "")}) while the ${lo.label} one's does; the order is reversed`,
          ],
        };
    }
    return top;
  }
  if (Array.isArray(row.messages)) {
    let user = "";
    let last: CheckResult | null = null;
    for (const m of row.messages as Array<{ role?: unknown; content?: unknown }>) {
      if (m?.role === "user" && typeof m.content === "string") user = m.content;
      else if (m?.role === "assistant" && typeof m.content === "string" && user) {
        const r = await checkCodeTask(user, m.content, sandbox);
        if (r && !r.passed) return r;
        last = r ?? last;
      }
    }
    return last;
  }
  return checkCodeTask(prompt, fields.map((f) => f.text).join("\n\n"), sandbox);
}

/**
 * DPO, ORPO and RLHF: the preferred response does not contradict the sources when a
 * lower-ranked one contradicts nothing (and is supported by them, or makes 2+ claims) (the lexical fact check
 * with its number, swapped-pair, exchanged-value and reversed-direction conflicts). Null
 * without passages or for a row that is not ranked.
 */
function checkRankedGrounding(
  ranked: Array<{ label: string; text: string }>,
  passages: LicensedPassage[],
): CheckResult | null {
  if (ranked.length < 2 || passages.length === 0) return null;
  const ps = passages.map((p) => ({ sourceId: p.sourceId, text: p.text }));
  const top = lexicalStanding(ranked[0]!.text, ps);
  if (top.contradicted.length === 0)
    return { name: "ranking_grounding", passed: true, score: 1, reasons: [] };
  for (const lo of ranked.slice(1)) {
    const s = lexicalStanding(lo.text, ps);
    // A lower response that contradicts nothing and that the sources support (or that
    // makes claims of its own: two or more) is the better one.
    if (s.contradicted.length === 0 && (s.supported > 0 || s.claims >= 2))
      return {
        name: "ranking_grounding",
        passed: false,
        score: 0,
        defect: "ranking_wrong",
        reasons: [
          `the ${ranked[0]!.label} response contradicts the sources (${top.contradicted[0]}) while the ${lo.label} one agrees with them; the order is reversed`,
        ],
        details: { preferred: top, lower: { label: lo.label, ...s } },
      };
  }
  return { name: "ranking_grounding", passed: true, score: 1, reasons: [] };
}

/**
 * Does each answer answer its question: every assistant turn of a conversation its user
 * turn, otherwise the row's answer fields the prompt. The first failure, or a pass.
 */
function answersPrompt(
  row: Record<string, unknown>,
  prompt: string,
  fields: Array<{ field: string; text: string }>,
): CheckResult | null {
  if (Array.isArray(row.messages)) {
    let last: CheckResult | null = null;
    let user = "";
    for (const m of row.messages as Array<{ role?: unknown; content?: unknown }>) {
      if (m?.role === "user" && typeof m.content === "string") user = m.content;
      else if (m?.role === "assistant" && typeof m.content === "string" && user) {
        const r = checkAnswers(user, m.content);
        if (r && !r.passed) return r;
        last = r ?? last;
      }
    }
    return last;
  }
  if (fields.length === 0) return null;
  const whole = checkAnswers(prompt, fields.map((f) => f.text).join("\n\n"));
  if (whole && !whole.passed) return whole;
  // A row with a final answer of its own (QA `answer`, GRPO `predicted_answer`): it gives the value.
  const final = [row.answer, row.predicted_answer].find((v): v is string => typeof v === "string");
  const value = final && fields.some((f) => f.text === final) ? checkFinalValue(prompt, final) : null;
  return value && !value.passed ? value : whole;
}

/**
 * The texts of a row the example asserts are right, one per field (each assistant turn of
 * a conversation, the SFT response, the QA reasoning and answer...): what the text gate
 * checks for truncation, boilerplate, repetition and language. Empty for a row that is bad
 * on purpose (an undesirable KTO completion).
 */
export function answerFields(
  row: Record<string, unknown>,
  asserted: string | null,
): Array<{ field: string; text: string }> {
  if (!asserted) return [];
  if (Array.isArray(row.messages)) {
    const out: Array<{ field: string; text: string }> = [];
    row.messages.forEach((m, i) => {
      const o = m as { role?: unknown; content?: unknown };
      if (o && o.role === "assistant" && typeof o.content === "string")
        out.push({ field: `messages[${i}] (assistant)`, text: o.content });
    });
    if (out.length) return out;
  }
  const out: Array<{ field: string; text: string }> = [];
  for (const k of ["response", "chosen", "completion", "reasoning", "answer", "predicted_answer"]) {
    const v = row[k];
    if (typeof v === "string" && v.trim() && asserted.includes(v.trim())) out.push({ field: k, text: v });
  }
  return out.length ? out : [{ field: "the answer", text: asserted }];
}

/** Reads the licence of each passage's source from the store. */
async function licensedPassages(
  store: Store,
  passages: Array<{ sourceId: string; text: string }>,
): Promise<LicensedPassage[]> {
  const ids = [...new Set(passages.map((p) => p.sourceId))];
  const rows = ids.length ? await store.getSources(ids) : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return passages.map((p) => {
    const src = byId.get(p.sourceId);
    return {
      sourceId: p.sourceId,
      text: p.text,
      permissive: src ? src.isPermissive : false,
      licence: src?.licence ?? "unknown",
    };
  });
}

/**
 * The default review stage (item-scoped; see {@link reviewExample} for what it checks).
 * Every verdict is stored in `reviews` (kinds `schema`, `verifier:<name>`, `dedup`,
 * `decontamination`, `fact_check` one row per claim, `judge`, `final`); the example, its
 * question and the reviews are written in one transaction. `< rejectBelow` rejected,
 * `< approveAt` needs_revision (the run loop sends it back to generation with the notes),
 * otherwise approved. A duplicate of an approved example is rejected with its reason.
 */
export function reviewStage(options: ReviewStageOptions = {}): ItemStage {
  const dedupMode = options.dedup ?? "run";
  // One dedup index per run, built on first use by streaming the store's approved examples.
  const indexes = new Map<string, Promise<DedupIndex>>();
  let benchmarks: Promise<BenchmarkIndex | null> | null = null;
  const benchmarkIndex = (): Promise<BenchmarkIndex | null> => {
    const b = options.benchmarks;
    if (!b || (Array.isArray(b) && b.length === 0)) return Promise.resolve(null);
    benchmarks ??= Array.isArray(b) ? loadBenchmarks(b) : Promise.resolve(b);
    return benchmarks;
  };
  const dedupIndex = (ctx: RunContext): Promise<DedupIndex> | null => {
    if (dedupMode === "off") return null;
    let idx = indexes.get(ctx.runId);
    if (!idx) {
      idx = loadDedupIndex(ctx.store, ctx.trainingType, {
        scope: dedupMode,
        runId: ctx.runId,
        ...(options.nearDuplicateThreshold !== undefined
          ? { threshold: options.nearDuplicateThreshold }
          : {}),
      });
      idx.catch(() => indexes.delete(ctx.runId));
      indexes.set(ctx.runId, idx);
      while (indexes.size > 4) indexes.delete(indexes.keys().next().value!);
    }
    return idx;
  };
  return {
    name: "review",
    scope: "item",
    async run(item, ctx) {
      const example = item.example;
      if (!example)
        throw new SynthforgeError(
          "INVALID_REQUEST",
          "The review stage needs an example; put it after the generate stage.",
        );
      const type = ctx.trainingType;
      const passages = await licensedPassages(
        ctx.store,
        groundTruthPassages(item.question.groundTruthContext),
      );
      const dedup = (await dedupIndex(ctx)) ?? null;
      const outcome = await reviewExample(
        {
          type,
          row: example.data,
          question: item.question.text,
          difficulty: item.question.difficulty,
          passages,
          id: example.id,
          ...(ctx.plan?.topic ? { topic: ctx.plan.topic } : {}),
          ...(item.question.subTopic ? { subTopic: item.question.subTopic } : {}),
          ...(ctx.plan?.constraints ? { constraints: ctx.plan.constraints } : {}),
        },
        {
          agent: ctx.agent.bind(ctx) as AgentRunner,
          review: ctx.review,
          dedup,
          benchmarks: await benchmarkIndex(),
          verifiers: options.verifiers ?? ctx.registry.verifiers(),
          factCheck: options.factCheck ?? true,
          formats: ctx.registry,
          ...(options.sandbox ? { sandbox: options.sandbox } : {}),
        },
      );
      let { score, status, notes } = outcome;
      const verdicts = outcome.verdicts;
      // Claim the dedup slot now (synchronously): a concurrent near-copy approved in the
      // meantime makes this one the duplicate.
      if (status === "approved" && dedup && outcome.signature) {
        const dup = dedup.claim(example.id, outcome.signature);
        if (dup) {
          const reason = duplicateReason(dup, ", approved while this one was in review");
          score = 0;
          status = "rejected";
          notes = [reason];
          // One dedup verdict per round: this one replaces the earlier check's.
          const verdict = {
            kind: "dedup",
            score: 0,
            passed: false,
            reasons: [reason],
            raw: { match: dup, defect: "duplicate_response" },
          };
          const at = verdicts.findIndex((v) => v.kind === "dedup");
          if (at >= 0) verdicts[at] = verdict;
          else verdicts.splice(verdicts.length - 1, 0, verdict);
          verdicts[verdicts.length - 1] = {
            kind: "final",
            score: 0,
            passed: false,
            reasons: notes,
            raw: { thresholds: ctx.review, status, defect: "duplicate_response" },
          };
        }
      }
      const base = {
        runId: ctx.runId,
        exampleId: example.id,
        questionId: item.question.id,
        trainingType: type.name,
        round: item.round,
      };
      const rows: Array<Omit<ReviewRow, "createdAt">> = verdicts.map((v, seq) => ({
        ...base,
        id: newId("rev"),
        seq,
        ...v,
      }));
      await ctx.store.transaction(async (tx) => {
        await tx.updateExample(type.name, example.id, { qualityScore: score, reviewStatus: status });
        await tx.insertReviews(rows);
        await tx.updateQuestion(item.question.id, { status });
      });
      example.qualityScore = score;
      example.reviewStatus = status;
      item.question.status = status;
      item.revisionNotes = notes.length
        ? notes
        : [`raise the quality score from ${score} to at least ${ctx.review.approveAt}`];
      ctx.emit({
        type: "item",
        runId: ctx.runId,
        questionId: item.question.id,
        status,
        stage: "review",
        score,
      });
    },
  };
}

/** Review notes of the latest round of an example (for resuming a revision). */
export async function latestReviewNotes(ctx: RunContext, item: Item): Promise<string[]> {
  if (!item.example) return [];
  const reviews = await ctx.store.listReviews(item.example.id);
  const final = reviews.filter((r) => r.kind === "final").sort((a, b) => b.round - a.round)[0];
  return final?.reasons ?? [];
}
