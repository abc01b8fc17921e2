import { TRAINING_TYPES, type TrainingTypeName } from "../core/types.js";
import { exampleColumns } from "../storage/schema.js";
import { type FormatLookup, type ParsedRecord, parseRecord } from "../training-types/formats.js";

export type { ParsedRecord, Turn } from "../training-types/formats.js";
export { parseRecord };

/**
 * Reads rows of existing datasets back into a training type's stored columns, from any of
 * the export formats synthforge writes (each format's reader, `read` in its module under
 * `training-types/formats/`, tried by {@link parseRecord}) or the stored columns
 * themselves. Columns a format does not carry are filled with placeholders and named in
 * `filled`, so a review does not hold their absence against the row.
 */

/** A record read into a type's row. */
export interface ImportedRow {
  row: Record<string, unknown>;
  format: string;
  /** Columns filled with placeholders. */
  filled: string[];
}

type Json = Record<string, unknown>;

const firstUser = (p: ParsedRecord) => p.turns.find((t) => t.role === "user")?.content;
const lastAssistantTurn = (p: ParsedRecord) =>
  [...p.turns].reverse().find((t) => t.role === "assistant")?.content;

/** Maps a parsed record to a type's columns (only those the record carries). */
function toColumns(type: TrainingTypeName, p: ParsedRecord): Json | null {
  const prompt = firstUser(p);
  const answer = lastAssistantTurn(p);
  switch (type) {
    case "sft":
      return prompt && answer ? { system: p.system, prompt, response: answer } : null;
    case "chat":
      return p.turns.length >= 2 ? { system: p.system, messages: p.turns } : null;
    case "qa": {
      if (prompt && !answer && p.solution) return { question: prompt, answer: p.solution };
      if (!prompt || !answer) return null;
      const m = /^\s*<think>\s*([\s\S]*?)\s*<\/think>\s*([\s\S]*)$/.exec(answer);
      return m ? { question: prompt, reasoning: m[1], answer: m[2]!.trim() } : { question: prompt, answer };
    }
    case "dpo":
    case "orpo":
      return prompt && p.chosen && p.rejected ? { prompt, chosen: p.chosen, rejected: p.rejected } : null;
    case "rlhf":
      return prompt && p.chosen && p.rejected
        ? {
            prompt,
            chosen: p.chosen,
            rejected: p.rejected,
            ...(p.margin !== undefined ? { margin: p.margin } : {}),
          }
        : null;
    case "kto":
      return prompt && answer && p.label !== undefined
        ? { prompt, completion: answer, label: p.label }
        : null;
    case "ppo":
      return prompt
        ? {
            prompt,
            ...(answer ? { response: answer } : {}),
            ...(p.reward !== undefined ? { reward: p.reward } : {}),
            ...(p.rewardRationale ? { reward_rationale: p.rewardRationale } : {}),
          }
        : null;
    case "grpo":
      return prompt
        ? {
            prompt,
            ...(p.solution ? { solution: p.solution } : {}),
            ...(answer ? { reasoning: answer } : {}),
          }
        : null;
    default:
      return null;
  }
}

const PLACEHOLDER = { text: "", real: 0, boolean: false, json: [], integer: 0 } as const;

/**
 * Reads one record of a dataset file as a row of `type`: the stored columns as they are,
 * or any export format the record is in (those of `formats`, default process-wide). Returns null when the record fits neither.
 */
export function importRow(
  type: TrainingTypeName,
  rec: Record<string, unknown>,
  formats?: FormatLookup,
): ImportedRow | null {
  const columns = exampleColumns(type);
  if (!columns) return null;
  const required = columns.filter((c) => !c.nullable).map((c) => c.name);
  let row: Json | null = null;
  let format = "columns";
  const kindOk = (v: unknown, kind: string) =>
    kind === "text"
      ? typeof v === "string"
      : kind === "boolean"
        ? typeof v === "boolean"
        : kind === "json"
          ? typeof v === "object" && v !== null
          : typeof v === "number";
  if (
    columns.every((c) =>
      rec[c.name] === undefined || rec[c.name] === null
        ? c.nullable || !required.includes(c.name)
        : kindOk(rec[c.name], c.kind),
    )
  ) {
    row = Object.fromEntries(columns.map((c) => [c.name, rec[c.name] ?? null]));
  } else {
    const parsed = parseRecord(rec, formats);
    if (!parsed) return null;
    row = toColumns(type, parsed);
    format = parsed.format;
  }
  if (!row) return null;
  const filled: string[] = [];
  for (const c of columns) {
    if (row[c.name] !== undefined) continue;
    row[c.name] = c.nullable ? null : structuredClone(PLACEHOLDER[c.kind]);
    filled.push(c.name);
  }
  return { row, format, filled };
}

/** A record that is not a row of the type asked for, read as the types it would be a row of. */
export interface RowLookalike {
  /** The record's own fields (its keys, in order). */
  fields: string[];
  /** Every training type the record reads as, with the format it is read in (`columns` for the stored columns). */
  fits: Array<{ type: TrainingTypeName; format: string }>;
}

/**
 * Which training types (other than `except`) a record reads as, and in which format: to tell
 * a user who reviews DPO rows with `--type sft` what the rows look like. Null when it reads
 * as none.
 */
export function lookalikeOf(rec: Record<string, unknown>, except?: TrainingTypeName): RowLookalike | null {
  const fits: RowLookalike["fits"] = [];
  for (const type of TRAINING_TYPES) {
    if (type === except) continue;
    const imported = importRow(type, rec);
    if (imported) fits.push({ type, format: imported.format });
  }
  return fits.length ? { fields: Object.keys(rec), fits } : null;
}
