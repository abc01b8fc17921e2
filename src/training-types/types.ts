import type { z } from "zod";
import type { Difficulty, TrainingTypeName } from "../core/types.js";
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
  generation: {
    /** The shape the generation agent returns. */
    outputSchema: z.ZodType<Out>;
    /** What to produce and how; goes into the generation prompt. */
    instructions: string;
    /** Use the deep (pro) model tier (reasoning-heavy types). */
    deep: boolean;
    /** Turns the agent's output into the stored row (may compute, e.g. run code). */
    toRow(out: Out, input: GenerationInput): Row | Promise<Row>;
    /** The deterministic offline answer for this input. */
    offline(input: GenerationInput): Out;
  };
  /** Problems with a row (empty when valid). Runs before any model review. */
  validate(row: Row): string[];
  /** The judge's rubric for this type. */
  rubric: string;
  /** The text a user would send (for judging and dedup). */
  promptText(row: Row): string;
  /** The main answer text (for judging and fact checking). */
  answerText(row: Row): string;
  /** Export formats this type supports. */
  exporters: Partial<Record<ExportFormat, Exporter<Row>>>;
}
