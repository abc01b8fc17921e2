import { z } from "zod";

/** The nine built-in training types synthforge generates data for. */
export const TRAINING_TYPES = ["sft", "dpo", "ppo", "grpo", "rlhf", "kto", "orpo", "chat", "qa"] as const;
/** One of the built-in {@link TRAINING_TYPES}. */
export type BuiltinTrainingTypeName = (typeof TRAINING_TYPES)[number];
/**
 * The name of a training type: a built-in one, or one registered at run time with
 * `registerTrainingType` (a plugin's `mcq`). Literal unions stay literal.
 */
export type TrainingTypeName = BuiltinTrainingTypeName | (string & {});

const registeredTypeNames: string[] = [];

/** A name a training type may have: lowercase letters, digits and `_`, starting with a letter (it names a table). */
export const TRAINING_TYPE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;

/**
 * Records the name of a training type registered at run time, so that code below the
 * training-types layer (request parsing, config) accepts it. Called by `registerTrainingType`.
 */
export function registerTrainingTypeName(name: string): void {
  if (!registeredTypeNames.includes(name) && !(TRAINING_TYPES as readonly string[]).includes(name))
    registeredTypeNames.push(name);
}

/** Every training type name: the built-ins first, then those registered at run time. */
export function trainingTypeNames(): TrainingTypeName[] {
  return [...TRAINING_TYPES, ...registeredTypeNames];
}

/** True when `name` is a built-in or registered training type. */
export function isTrainingTypeName(name: string): name is TrainingTypeName {
  return (TRAINING_TYPES as readonly string[]).includes(name) || registeredTypeNames.includes(name);
}

/** True when `name` is one of the built-in {@link TRAINING_TYPES}. */
export function isBuiltinTrainingType(name: string): name is BuiltinTrainingTypeName {
  return (TRAINING_TYPES as readonly string[]).includes(name);
}

/** A training type name, checked against the built-in and registered types when parsed. */
function trainingTypeSchema() {
  return z.custom<TrainingTypeName>((v) => typeof v === "string" && isTrainingTypeName(v), {
    error: "trainingType must be a built-in or registered training type",
  });
}

/** Difficulty of a question. */
export const DIFFICULTIES = ["easy", "medium", "hard"] as const;
export type Difficulty = (typeof DIFFICULTIES)[number];

/**
 * Review verdict stored on every example (`review_status`). `human_approved` and
 * `human_rejected` are set by a person in the studio's review queue (a `reviews` row of
 * kind `human` holds who, when, and the example before and after).
 */
export const REVIEW_STATUSES = [
  "pending",
  "approved",
  "needs_revision",
  "rejected",
  "human_approved",
  "human_rejected",
] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];
/** The verdicts the automatic review gives (the others are set by a person, or before review). */
export type AutoReviewStatus = Extract<ReviewStatus, "approved" | "needs_revision" | "rejected">;

/**
 * The state of one candidate (a question and the example made from it). Persisted on
 * every transition so a killed process resumes where it stopped.
 *
 * pending → researched → generated → (needs_revision → generated)* → approved | rejected
 * Any state may go to `failed` (a stage gave up on it; a `failures` row says why).
 */
export const QUESTION_STATUSES = [
  "pending",
  "researched",
  "generated",
  "needs_revision",
  "approved",
  "rejected",
  "failed",
  "skipped",
] as const;
export type QuestionStatus = (typeof QUESTION_STATUSES)[number];

/** Terminal question states: nothing more will happen to the candidate. */
export const TERMINAL_QUESTION_STATUSES: readonly QuestionStatus[] = [
  "approved",
  "rejected",
  "failed",
  "skipped",
];

/** Run status. `stopped` means a budget ran out or the run was aborted; it can be resumed. */
export const RUN_STATUSES = ["planning", "running", "completed", "stopped", "failed"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * What a review found wrong with an example: every failing verdict names one, so a rejected
 * row says why and the review benchmark can tell whether a bad row was caught for its
 * actual defect.
 */
export const DEFECT_KINDS = [
  /** A stated fact, date, name or constant is false. */
  "wrong_fact",
  /** A claim contradicts a supplied source passage. */
  "contradicts_source",
  /** A calculation's result is wrong (approximations, currency, percentages, signs, fractions). */
  "wrong_arithmetic",
  /** A unit or a unit conversion is wrong. */
  "wrong_unit",
  /** Code that fails, raises, or does not do what the task asks. */
  "code_wrong",
  /** The text states an output that the code does not produce. */
  "code_output_mismatch",
  /** Not about the run's topic or sub-topic. */
  "off_topic",
  /** On topic, but does not answer the prompt (evasive, answers another question, restates it). */
  "non_answer",
  /** Not in the required language (English unless the request asks for another). */
  "wrong_language",
  /** Written for a different audience level than the request asks for. */
  "audience_mismatch",
  /** Stops mid-sentence, mid-list or mid-code. */
  "truncated",
  /** Chat-template or special tokens (`<|im_start|>`, `[INST]`, `### Instruction:`) in the text. */
  "template_tokens",
  /** Instructions aimed at a model, or an echo of an injection ("Ignore previous instructions"). */
  "injection_echo",
  /** Assistant boilerplate in place of content ("As an AI language model…"). */
  "boilerplate",
  /** Degenerate, repeated text. */
  "repetition",
  /** A reward, score or desirability label that contradicts the response (PPO, KTO). */
  "reward_inconsistent",
  /** A preference order or ranking that puts a worse or wrong response first (DPO, ORPO, RLHF). */
  "ranking_wrong",
  /** The same or nearly the same response as another row, under a different prompt. */
  "duplicate_response",
  /** The row is malformed: missing or wrongly typed fields, too large. */
  "format_invalid",
  /** Copies a source whose licence does not allow it, or leaks personal data or unsafe content. */
  "policy",
  /** Appears in an evaluation benchmark. */
  "contamination",
] as const;
export type DefectKind = (typeof DEFECT_KINDS)[number];

/** Agent roles; each has its own model tier (DESIGN §3.2). */
export const AGENT_ROLES = ["orchestrator", "question", "research", "generation", "reviewer"] as const;
export type AgentRole = (typeof AGENT_ROLES)[number];

/** What the user asked for, once every field is known. */
export const generationSpecSchema = z.object({
  count: z.number().int().positive(),
  trainingType: trainingTypeSchema(),
  topic: z.string().min(1),
});
export type GenerationSpec = z.infer<typeof generationSpecSchema>;

/** A sub-topic and how many approved examples it should contribute. */
export const subTopicSchema = z.object({
  name: z.string().min(1),
  quota: z.number().int().nonnegative(),
  focus: z.string().default(""),
});
export type SubTopic = z.infer<typeof subTopicSchema>;

/**
 * What a request asks of the text beyond count, type and topic ("for A-level students",
 * "in Spanish", "with step-by-step reasoning", "must mention Le Chatelier"). Every agent
 * that writes text receives them; the reviewer checks what it can (language, audience).
 */
export const requestConstraintsSchema = z.object({
  /** Who the text is for ("A-level students", "beginners"). */
  audience: z.string().optional(),
  /** ISO 639-1 code of the language the text must be in ("es"); absent means English. */
  language: z.string().optional(),
  /** How the text is written ("step-by-step reasoning", "concise"). */
  style: z.string().optional(),
  /** Terms or ideas every example (or the set) must include. */
  mustInclude: z.array(z.string()).optional(),
});
export type RequestConstraints = z.infer<typeof requestConstraintsSchema>;

/** The typed plan the orchestrator produces and the run follows. */
export const planSchema = z.object({
  topic: z.string().min(1),
  domain: z.string().min(1),
  trainingType: trainingTypeSchema(),
  count: z.number().int().positive(),
  subTopics: z.array(subTopicSchema).min(1),
  difficultyMix: z.object({ easy: z.number().min(0), medium: z.number().min(0), hard: z.number().min(0) }),
  sources: z.array(z.string()),
  licencePolicy: z.string(),
  researchNotes: z.string(),
  executionNotes: z.string(),
  /** Constraints read from the request (absent in plans stored by earlier versions). */
  constraints: requestConstraintsSchema.optional(),
});
export type Plan = z.infer<typeof planSchema>;

/** A normalised licence (DESIGN §3.5). Unknown stays unknown and is never permissive. */
export interface Licence {
  /** SPDX id, or `"unknown"`. */
  spdx: string;
  url?: string | null;
  permissive: boolean;
  attributionRequired: boolean;
  commercialUseAllowed: boolean;
  shareAlike: boolean;
  noDerivatives: boolean;
  /** Where the licence was read from (front matter, LICENSE file, API field...). */
  evidence: string;
}

/** A word-for-word passage of a source document. */
export interface Passage {
  text: string;
  /** Position of the passage inside the document (0-based). */
  index: number;
}

/** A document returned by a source adapter. */
export interface SourceDocument {
  adapter: string;
  url: string;
  title: string;
  authors: string[];
  published?: string | null;
  licence: Licence;
  passages: Passage[];
  /** sha256 of the document text; the identity of a stored source. */
  contentHash: string;
  /** Warnings about the content (e.g. text that tries to instruct the model); stored on the source. */
  flags?: SourceFlag[];
}

/**
 * A warning about a source's content. Source text is data, never instructions: text that
 * tries to instruct the model is fenced in prompts and flagged with `prompt-injection`.
 */
export interface SourceFlag {
  /** What was found. */
  kind: "prompt-injection";
  /** The rule that matched, e.g. `ignore-previous-instructions`, `system-prompt`. */
  rule: string;
  /** The matching text with a little context, word for word (at most 200 characters). */
  excerpt: string;
}

/** A passage chosen as ground truth for a question, with the stored id of its source. */
export interface GroundTruthPassage {
  sourceId: string;
  text: string;
  score: number;
}

/** Token usage of one or more model calls. */
export interface Usage {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  costUsd: number;
}

/** Counts of a run, as stored and as reported in the summary. */
export interface RunCounts {
  target: number;
  approved: number;
  needsRevision: number;
  rejected: number;
  failed: number;
  /** Candidates taken into work (questions that left `pending`). */
  candidates: number;
}

/** The final summary of a run. */
export interface RunSummary {
  runId: string;
  status: RunStatus;
  /** Why the run stopped, when it stopped before reaching its target. */
  stopReason: string | null;
  trainingType: TrainingTypeName;
  topic: string;
  counts: RunCounts;
  usage: Usage;
  durationMs: number;
  provider: string;
  /** Where the data is: a SQLite path or a redacted PostgreSQL URL. */
  storage: string;
  /** Reasons of dropped candidates, grouped: `{ "review: score 0.42 < 0.6": 3 }`. */
  dropReasons: Record<string, number>;
  /** Cost figures of the run (also sent live in `progress` events). */
  cost: CostSnapshot;
  /** Model calls answered from the response cache (free; not in `usage.calls`). */
  cachedCalls: number;
  /** k: model calls per approved example (`usage.calls / approved`; null before the first). */
  callsPerApproved: number | null;
  /**
   * Per sub-topic of the plan: its quota and how many examples were approved (a sub-topic
   * that ran out of distinct questions leaves its shortfall to the others). Absent without a plan.
   */
  subTopics?: Array<{ name: string; quota: number; approved: number }>;
}

/** Live cost of a run: spent so far, per approved example, and projected to finish. */
export interface CostSnapshot {
  /** USD spent on model calls so far (batch calls at 50%). */
  spentUsd: number;
  /** USD per approved example so far (null before the first approval). */
  perApprovedUsd: number | null;
  /** Projected USD for the whole run: spent + remaining examples × cost per approved (null before the first approval). */
  projectedUsd: number | null;
}

/** Events emitted by a run (`run.events`). */
export type PipelineEvent =
  | { type: "run-started"; runId: string; resumed: boolean }
  | { type: "plan"; runId: string; plan: Plan }
  | { type: "stage-started"; runId: string; stage: string }
  | { type: "stage-finished"; runId: string; stage: string }
  | { type: "progress"; runId: string; stage: string; done: number; total: number; cost?: CostSnapshot }
  | { type: "item"; runId: string; questionId: string; status: QuestionStatus; stage: string; score?: number }
  | { type: "failure"; runId: string; questionId: string | null; stage: string; reason: string }
  | { type: "log"; runId: string; level: "info" | "warn"; message: string }
  | { type: "run-finished"; runId: string; summary: RunSummary };
