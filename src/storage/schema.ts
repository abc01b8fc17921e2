import { SynthforgeError } from "../core/errors.js";
import { type BuiltinTrainingTypeName, isBuiltinTrainingType, type TrainingTypeName } from "../core/types.js";

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
export const EXAMPLE_COLUMNS: Record<BuiltinTrainingTypeName, ColumnSpec[]> = {
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

/** The common columns of every example table: a registered type may not declare them. */
export const COMMON_EXAMPLE_COLUMNS = [
  "id",
  "run_id",
  "question_id",
  "model",
  "provider",
  "quality_score",
  "review_status",
  "sources",
  "revision",
  "created_at",
  "updated_at",
] as const;

const COLUMN_KINDS: readonly ColumnKind[] = ["text", "real", "boolean", "json", "integer"];
const COLUMN_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const registeredColumns = new Map<string, ColumnSpec[]>();

/**
 * Declares the columns of the example table of a training type registered at run time
 * (`registerTrainingType` calls it). The store creates the table `synthetic_data_<type>`
 * when it opens a database that lacks it. Built-in types keep {@link EXAMPLE_COLUMNS}.
 *
 * @throws SynthforgeError `CONFIG_INVALID` for a built-in type, a bad column name or kind,
 *   or a column that repeats a common one.
 */
export function registerExampleColumns(type: string, columns: ColumnSpec[]): void {
  if (isBuiltinTrainingType(type))
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `Training type "${type}" is built in: its columns are fixed.`,
    );
  if (columns.length === 0)
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `Training type "${type}" declares no columns: give at least one.`,
    );
  const seen = new Set<string>();
  for (const c of columns) {
    if (!COLUMN_NAME.test(c.name))
      throw new SynthforgeError(
        "CONFIG_INVALID",
        `Training type "${type}": column "${c.name}" must be snake_case (a-z, 0-9, _; starting with a letter).`,
      );
    if ((COMMON_EXAMPLE_COLUMNS as readonly string[]).includes(c.name) || seen.has(c.name))
      throw new SynthforgeError(
        "CONFIG_INVALID",
        `Training type "${type}": column "${c.name}" is declared twice or is a common column (${COMMON_EXAMPLE_COLUMNS.join(", ")}).`,
      );
    if (!COLUMN_KINDS.includes(c.kind))
      throw new SynthforgeError(
        "CONFIG_INVALID",
        `Training type "${type}": column "${c.name}" has kind "${String(c.kind)}"; use one of ${COLUMN_KINDS.join(", ")}.`,
      );
    seen.add(c.name);
  }
  registeredColumns.set(
    type,
    columns.map((c) => ({ ...c })),
  );
}

/** The type-specific columns of a training type's table (undefined for an unknown type). */
export function exampleColumns(type: TrainingTypeName): ColumnSpec[] | undefined {
  return isBuiltinTrainingType(type) ? EXAMPLE_COLUMNS[type] : registeredColumns.get(type);
}

/** Every type with an example table: the built-ins, then those registered at run time. */
export function exampleTypes(): TrainingTypeName[] {
  return [...(Object.keys(EXAMPLE_COLUMNS) as BuiltinTrainingTypeName[]), ...registeredColumns.keys()];
}
