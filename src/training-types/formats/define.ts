/**
 * What an export format is: one object per format (its module under `formats/`), listed
 * once in `formats/index.ts` or added at run time with `registerExportFormat`. Everything
 * that lists, describes, validates, exports to or reads back a format reads this object.
 */

/** A JSON object (one row of a format). */
export type Json = Record<string, unknown>;

/** Problems of one row: errors fail the export, warnings are reported. */
export interface RowCheck {
  errors: string[];
  warnings: string[];
}

/** A message of a conversation read back from a format. */
export interface Turn {
  role: "system" | "user" | "assistant";
  content: string;
}

/** The common shape every format is read into first (see {@link ExportFormatDefinition.read}). */
export interface ParsedRecord {
  /** Which format the record was read as. */
  format: string;
  system: string | null;
  turns: Turn[];
  chosen?: string;
  rejected?: string;
  label?: boolean;
  solution?: string;
  reward?: number;
  rewardRationale?: string;
  margin?: number;
}

/** How a format's rows are read back into {@link ParsedRecord} (for importing datasets). */
export interface FormatReader {
  /**
   * Readers are tried in ascending `order` (ties in registration order); the first that
   * recognises a record reads it. Shapes that hold another's keys go first (an OpenAI DPO
   * row has messages inside `input`; a KTO row is a prompt-completion row with a label).
   * Default for registered formats: 1000 (after the built-ins).
   */
  order: number;
  /** The record read as this format, or null when it does not have this format's shape. */
  parse(rec: Record<string, unknown>): Omit<ParsedRecord, "format"> | null;
}

/**
 * The file-level rules of a format: state kept over the rows of one file (a new one per
 * file), for rules no single row can break (one row shape per file, both KTO labels).
 */
export interface FileRules {
  /** The problems of this row given the rows before it (empty when none). */
  add(row: Record<string, unknown>): string[];
  /** Warnings once every row has been added (`rows`: how many). */
  finish?(rows: number): string[];
}

/** One export format: everything synthforge knows about it, in one object. */
export interface ExportFormatDefinition<Id extends string = string> {
  /** The id, as in `synthforge export --format <id>`. */
  id: Id;
  /** One line: the trainer it is for and the row shape, for `--list-formats`. */
  description: string;
  /** What the format needs from a row, in words (explains why a type cannot export to it). */
  needs: string;
  /** The trainer(s) the rows load into without conversion (named in the dataset card). */
  trainer?: string;
  /** True when its loaders accept extra columns (the opt-in `synthforge` metadata column). */
  extraColumns?: boolean;
  /** The strict row validator: errors and warnings of one exported row. */
  check(row: Record<string, unknown>): RowCheck;
  /** How rows of this format are read back (importing an existing dataset). */
  read?: FormatReader;
  /** Its file-level rules, made once per file (besides one Arrow type per column, which every format has). */
  fileRules?: () => FileRules;
}

/** Declares a built-in format, keeping its id as a literal type. */
export function defineFormat<const Id extends string>(
  format: ExportFormatDefinition<Id>,
): ExportFormatDefinition<Id> {
  return format;
}

export const isStr = (v: unknown): v is string => typeof v === "string";
export const nonEmpty = (v: unknown): v is string => isStr(v) && v.trim().length > 0;
export const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
/** A check with errors only. */
export const plain = (errors: string[]): RowCheck => ({ errors, warnings: [] });

/** The problem of keys outside `allowed` (none when there are none). */
export function onlyKeys(row: Json, allowed: string[]): string[] {
  const extra = Object.keys(row).filter((k) => !allowed.includes(k));
  return extra.length ? [`unexpected keys ${extra.join(", ")} (allowed: ${allowed.join(", ")})`] : [];
}

/** Text of a value for equality checks (strings as-is, message lists as JSON). */
export const textOf = (v: unknown) => (isStr(v) ? v.trim() : JSON.stringify(v));
