import type { z } from "zod";
import type { Difficulty, RequestConstraints, TrainingTypeName } from "../core/types.js";
import type { ColumnSpec } from "../storage/schema.js";
import type { ExportFormat } from "./formats.js";

/** A fact of the synthesized context, with the sources that support it. */
export interface ContextFact {
  fact: string;
  sourceIds: string[];
}

/** The structured digest the research agent makes from the ground truth. */
export interface SynthesizedContext {
  summary: string;
  keyFacts: ContextFact[];
  terminology: Array<{ term: string; definition: string }>;
  caveats: string[];
}

/** Everything the generation agent is given for one question. */
export interface GenerationInput {
  question: string;
  topic: string;
  subTopic: string;
  difficulty: Difficulty;
  trainingType: TrainingTypeName;
  context: SynthesizedContext;
  /** Word-for-word ground truth. */
  passages: Array<{ sourceId: string; text: string }>;
  /** Present on a revision round: what the reviewer asked to fix, and the previous draft. */
  revision?: { round: number; notes: string[]; previous: Record<string, unknown> };
  /** Type-specific options (e.g. the KTO label this example must have). */
  options?: Record<string, unknown>;
  /** What the request asks of the text (audience, language, style, must-include) and the plan's notes. */
  brief?: { constraints?: RequestConstraints; researchNotes?: string; executionNotes?: string };
  /**
   * Offline runs: sentences of these passages that other answers of the run already use
   * (`openings`: those they open with). The offline composer opens with another sentence
   * and reuses few of them, so a small corpus does not yield the same answer twice.
   */
  used?: { openings: string[]; sentences: string[] };
}

/** Input of a type's own offline question writer (see {@link TrainingType.offlineQuestions}). */
export interface OfflineQuestionInput {
  topic: string;
  subTopic: string;
  focus: string;
  /** How many questions of each difficulty to write. */
  counts: Record<Difficulty, number>;
  /** Excerpts the sources hold on the sub-topic. */
  material: Array<{ title: string; text: string }>;
  /** Questions already written for this run (do not repeat them). */
  avoid: string[];
}

/** One question written offline. */
export interface OfflineQuestion {
  text: string;
  difficulty: Difficulty;
}

/** What the offline judge sees of one example (the judge's input). */
export interface OfflineJudgeInput {
  difficulty: Difficulty;
  question: string;
  prompt: string;
  answer: string;
  /** The whole stored row. */
  example: Record<string, unknown>;
  passages: Array<{ sourceId: string; text: string }>;
}

/** A rubric verdict, as the judge returns it (scores in [0, 1]). */
export interface OfflineVerdict {
  scores: {
    accuracy: number;
    completeness: number;
    helpfulness: number;
    clarity: number;
    difficulty_fit: number;
  };
  issues: string[];
  summary: string;
}

/**
 * Type-specific options of each example, chosen so that the kept examples of a run
 * follow a configured mix (the KTO desirable : undesirable ratio). Examples fall in
 * buckets; `choose` picks the bucket of a new example from the counts of examples the
 * run keeps (approved or still in flight).
 */
export interface ExampleOptionsPolicy<Row> {
  /** Validates and normalises the type's `typeOptions`; throws `CONFIG_INVALID`. */
  parse(typeOptions: unknown): Record<string, unknown>;
  /** The bucket of a stored row (e.g. `desirable`). */
  bucketOf(row: Row): string;
  /** The bucket and generation options of a new example. */
  choose(
    typeOptions: Record<string, unknown>,
    kept: Record<string, number>,
  ): { bucket: string; options: Record<string, unknown> };
  /** Options that reproduce a stored row's bucket (used on revision rounds). */
  optionsOf(row: Row): Record<string, unknown>;
}

/** Metadata an exporter may use. */
export interface ExportRowMeta {
  id: string;
  questionId: string;
  qualityScore: number | null;
}

/** Converts one stored row into one line of an export format. */
export type Exporter<Row> = (row: Row, meta: ExportRowMeta) => Record<string, unknown>;

/**
 * A training type: one module in `src/training-types/`, registered once. It owns its
 * stored columns (zod), what the generation agent must produce, its validator, its
 * judge rubric, its offline answer, and its exporters.
 */
export interface TrainingType<Row extends Record<string, unknown> = Record<string, unknown>, Out = unknown> {
  name: TrainingTypeName;
  /** Human name, e.g. "Supervised fine-tuning". */
  title: string;
  /** The stored columns of `synthetic_data_<type>` (snake_case, as in storage/schema.ts). */
  rowSchema: z.ZodType<Row>;
  /**
   * The columns of this type's table, for a type registered at run time (built-in types
   * keep theirs in `storage/schema.ts`). When absent they are derived from `rowSchema`
   * (a `z.object`): strings are `text`, integers `integer`, numbers `real`, booleans
   * `boolean`, anything else `json`; `.nullable()`/`.optional()` fields are nullable.
   * The store creates the table when it opens a database that lacks it.
   */
  columns?: ColumnSpec[];
  /**
   * What kind of questions suit this type, for the question writer ("questions with
   * exactly one correct option among plausible distractors"). Built-in types have theirs.
   */
  questionHint?: string;
  generation: {
    /** The shape the generation agent returns. */
    outputSchema: z.ZodType<Out>;
    /** What to produce and how; goes into the generation prompt. */
    instructions: string;
    /** Use the deep (pro) model tier (reasoning-heavy types). */
    deep: boolean;
    /** Turns the agent's output into the stored row (may compute, e.g. run code). */
    toRow(out: Out, input: GenerationInput): Row | Promise<Row>;
    /**
     * The deterministic offline answer for this input: the type's offline composer, used
     * by the offline provider (`--provider offline`, tests) as the generation agent's
     * output. Build it from the ground-truth passages (`composeAnswer(input)`,
     * `shortAnswer(input)`) so offline rows stay grounded; it must return a value that
     * `outputSchema` accepts and `toRow` turns into a row `validate` accepts.
     */
    offline(input: GenerationInput): Out;
    /** Per-example options (e.g. the KTO label) and how they are balanced across a run. */
    options?: ExampleOptionsPolicy<Row>;
  };
  /**
   * Offline questions of this type (e.g. procedural GRPO problems whose answers are
   * computed). When absent, or when it returns null, the generic offline writer is used.
   */
  offlineQuestions?(input: OfflineQuestionInput): OfflineQuestion[] | null;
  /**
   * The offline judge's verdict for rows the generic offline judge cannot score (an
   * undesirable KTO completion, a GRPO solution checked by running code). Return null to
   * use the generic offline judge.
   */
  offlineJudge?(input: OfflineJudgeInput): OfflineVerdict | null;
  /** Hugging Face dataset card metadata. Default: `text-generation`, tagged with the type's name. */
  hub?: { taskCategories: string[]; tags: string[] };
  /** Problems with a row (empty when valid). Runs before any model review. */
  validate(row: Row): string[];
  /** The judge's rubric for this type. */
  rubric: string;
  /** The text a user would send (for judging and dedup). */
  promptText(row: Row): string;
  /** The main answer text (for judging and fact checking). */
  answerText(row: Row): string;
  /**
   * Export formats this type supports: built-in formats, or formats registered with
   * `registerExportFormat` (a registered id is accepted as a key).
   */
  exporters: Partial<Record<ExportFormat | (string & {}), Exporter<Row>>>;
}
