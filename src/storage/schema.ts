import type { TrainingTypeName } from "../core/types.js";

/**
 * The columns of each `synthetic_data_<type>` table, beyond the common ones
 * (id, run_id, question_id, model, provider, quality_score, review_status, sources,
 * revision, created_at, updated_at). The storage layer owns the database schema; each
 * training type's zod schema uses exactly these names (a test checks they agree).
 */
export type ColumnKind = "text" | "real" | "boolean" | "json" | "integer";

/** One type-specific column of an example table. */
export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
  nullable?: boolean;
}

const prefPair: ColumnSpec[] = [
  { name: "prompt", kind: "text" },
  { name: "chosen", kind: "text" },
  { name: "rejected", kind: "text" },
  { name: "chosen_rating", kind: "real" },
  { name: "rejected_rating", kind: "real" },
  { name: "rejection_reason", kind: "text" },
  { name: "rejection_explanation", kind: "text", nullable: true },
];

/** Type-specific columns per training type. */
export const EXAMPLE_COLUMNS: Record<TrainingTypeName, ColumnSpec[]> = {
  sft: [
    { name: "system", kind: "text", nullable: true },
    { name: "prompt", kind: "text" },
    { name: "response", kind: "text" },
  ],
  dpo: prefPair,
  orpo: prefPair,
  kto: [
    { name: "prompt", kind: "text" },
    { name: "completion", kind: "text" },
    { name: "label", kind: "boolean" },
    { name: "label_reason", kind: "text", nullable: true },
  ],
  rlhf: [
    { name: "prompt", kind: "text" },
    { name: "responses", kind: "json" },
    { name: "chosen", kind: "text" },
    { name: "rejected", kind: "text" },
    { name: "margin", kind: "real", nullable: true },
  ],
  ppo: [
    { name: "prompt", kind: "text" },
    { name: "response", kind: "text" },
    { name: "reward", kind: "real" },
    { name: "reward_rationale", kind: "text" },
  ],
  grpo: [
    { name: "prompt", kind: "text" },
    { name: "reasoning", kind: "text" },
    { name: "code", kind: "text" },
    { name: "predicted_answer", kind: "text" },
    { name: "solution", kind: "text" },
    { name: "is_correct", kind: "boolean" },
    { name: "execution_output", kind: "text", nullable: true },
  ],
  chat: [
    { name: "system", kind: "text", nullable: true },
    { name: "messages", kind: "json" },
  ],
  qa: [
    { name: "question", kind: "text" },
    { name: "reasoning", kind: "text" },
    { name: "answer", kind: "text" },
  ],
};

/** The table that stores examples of a training type. */
export function exampleTable(type: TrainingTypeName): string {
  return `synthetic_data_${type}`;
}
