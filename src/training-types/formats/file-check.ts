import { type FileRules, isObj, type Json } from "./define.js";
import { checkFormatRow, type ExportFormatId, type FormatLookup, processFormats } from "./registry.js";

// ---------------------------------------------------------------------------------------
// Arrow types and file-level checks
// ---------------------------------------------------------------------------------------

/**
 * The Arrow-style type of a JSON value, as `datasets`/pyarrow infer it: one type per
 * column and per list; `null` fits anywhere; integers widen to floats.
 */
export type ValueType =
  | { kind: "null" }
  | { kind: "bool" }
  | { kind: "int" }
  | { kind: "float" }
  | { kind: "string" }
  | { kind: "list"; item: ValueType }
  | { kind: "struct"; fields: Record<string, ValueType> };

/** The type of one JSON value. */
export function typeOf(v: unknown): ValueType {
  if (v === null || v === undefined) return { kind: "null" };
  if (typeof v === "boolean") return { kind: "bool" };
  if (typeof v === "number") return Number.isInteger(v) ? { kind: "int" } : { kind: "float" };
  if (typeof v === "string") return { kind: "string" };
  if (Array.isArray(v)) {
    let item: ValueType = { kind: "null" };
    for (const x of v) item = mergeTypes(item, typeOf(x), "[]");
    return { kind: "list", item };
  }
  const fields: Record<string, ValueType> = {};
  for (const [k, x] of Object.entries(v as Json)) fields[k] = typeOf(x);
  return { kind: "struct", fields };
}

/**
 * True when the type of `v` is `known` or narrower: `mergeTypes(known, typeOf(v))` would
 * give `known` back, without throwing. Allocates nothing (the per-row check of a file
 * whose columns are already typed).
 */
export function valueFits(v: unknown, known: ValueType): boolean {
  if (v === null || v === undefined) return true;
  switch (typeof v) {
    case "boolean":
      return known.kind === "bool";
    case "number":
      return known.kind === "float" || (known.kind === "int" && Number.isInteger(v));
    case "string":
      return known.kind === "string";
  }
  if (Array.isArray(v)) {
    if (known.kind !== "list") return false;
    for (let i = 0; i < v.length; i++) if (!valueFits(v[i], known.item)) return false;
    return true;
  }
  if (known.kind !== "struct") return false;
  if (typeof v !== "object") return true; // typeOf gives such values an empty struct
  const fields = known.fields;
  for (const k of Object.keys(v as Json)) {
    const t = fields[k];
    if (t === undefined || !Object.hasOwn(fields, k) || !valueFits((v as Json)[k], t)) return false;
  }
  return true;
}

/** A column whose values do not share one Arrow type. */
export class TypeConflict extends Error {
  constructor(
    readonly path: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(`${path || "row"} changed from ${from} to ${to} (Arrow needs one type per column)`);
    this.name = "TypeConflict";
  }
}

/** Short name of a type, for messages and dataset cards. */
export function typeName(t: ValueType): string {
  switch (t.kind) {
    case "list":
      return `list<${typeName(t.item)}>`;
    case "struct":
      return `struct<${Object.entries(t.fields)
        .map(([k, v]) => `${k}: ${typeName(v)}`)
        .join(", ")}>`;
    default:
      return t.kind;
  }
}

/**
 * Merges two types of the same column. Throws {@link TypeConflict} when they cannot be
 * one Arrow type (string vs list, bool vs number, ...).
 */
export function mergeTypes(a: ValueType, b: ValueType, path = ""): ValueType {
  if (a.kind === "null") return b;
  if (b.kind === "null") return a;
  if ((a.kind === "int" || a.kind === "float") && (b.kind === "int" || b.kind === "float")) {
    return a.kind === "float" || b.kind === "float" ? { kind: "float" } : { kind: "int" };
  }
  if (a.kind !== b.kind) throw new TypeConflict(path, typeName(a), typeName(b));
  if (a.kind === "list" && b.kind === "list")
    return { kind: "list", item: mergeTypes(a.item, b.item, `${path}[]`) };
  if (a.kind === "struct" && b.kind === "struct") {
    const fields: Record<string, ValueType> = { ...a.fields };
    for (const [k, t] of Object.entries(b.fields))
      fields[k] = k in fields ? mergeTypes(fields[k]!, t, path ? `${path}.${k}` : k) : t;
    return { kind: "struct", fields };
  }
  return a;
}

/**
 * Streams the rows of one export file through the row validator and the file-level
 * rules: one Arrow type per column and nested list for every format, and the format's own
 * (`fileRules`: one TRL format, standard or conversational, per file; one ShareGPT variant
 * per file; both KTO labels present). Memory stays constant: only the merged column types
 * and the rules' small state are kept.
 */
export class FormatFileChecker {
  private rowType: ValueType = { kind: "struct", fields: {} };
  private readonly rules: FileRules | undefined;
  private readonly warned = new Set<string>();
  /** Rows checked so far. */
  rows = 0;
  /** Distinct warnings, in the order first seen. */
  readonly warnings: string[] = [];

  /** `lookup`: where the format's row validator is found (a pipeline's registry; default process-wide). */
  constructor(
    readonly format: ExportFormatId,
    private readonly lookup: FormatLookup = processFormats,
  ) {
    this.rules = lookup.exportFormat(format)?.fileRules?.();
  }

  private warn(w: string): void {
    if (this.warned.has(w)) return;
    this.warned.add(w);
    this.warnings.push(w);
  }

  /** Checks one row; returns its errors (row rules and cross-row rules). */
  add(row: unknown): string[] {
    this.rows++;
    const res = checkFormatRow(this.format, row, this.lookup);
    for (const w of res.warnings) this.warn(w);
    const errors = res.errors.length ? [...res.errors] : [];
    if (!isObj(row)) return errors;
    try {
      // Most rows fit the columns typed so far: checked without building their type.
      if (!valueFits(row, this.rowType)) this.rowType = mergeTypes(this.rowType, typeOf(row));
    } catch (e) {
      if (e instanceof TypeConflict) errors.push(`column ${e.message}; keep one shape per file`);
      else throw e;
    }
    if (this.rules) errors.push(...this.rules.add(row));
    return errors;
  }

  /** File-level warnings once every row has been added. */
  finish(): string[] {
    for (const w of this.rules?.finish?.(this.rows) ?? []) this.warn(w);
    if (this.rows === 0) this.warn("the file has no rows");
    return this.warnings;
  }

  /** The merged Arrow type of the rows so far (a struct of the columns). */
  columns(): Record<string, ValueType> {
    return this.rowType.kind === "struct" ? this.rowType.fields : {};
  }
}

/** Result of validating a JSONL export file. */
export interface FileValidation {
  format: ExportFormatId;
  rows: number;
  /** Problems, each with its 1-based line number. */
  errors: Array<{ line: number; message: string }>;
  warnings: string[];
  /** The Arrow type of each column. */
  columns: Record<string, string>;
}

/**
 * Validates JSON Lines text in a format: every line valid UTF-8 holding one JSON object,
 * every row valid, and the file-level rules of {@link FormatFileChecker}. A JSON array
 * file is rejected with a hint. Reads lines lazily from `lines`.
 */
export async function validateJsonLines(
  format: ExportFormatId,
  lines: AsyncIterable<string> | Iterable<string>,
): Promise<FileValidation> {
  const checker = new FormatFileChecker(format);
  const errors: FileValidation["errors"] = [];
  let n = 0;
  for await (const raw of lines) {
    n++;
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") {
      errors.push({ line: n, message: "empty line: JSON Lines has one object per line" });
      continue;
    }
    if (line.includes("\uFFFD")) errors.push({ line: n, message: "not valid UTF-8" });
    if (n === 1 && line.trimStart().startsWith("[")) {
      errors.push({
        line: n,
        message: "this is a JSON array, not JSON Lines: write one JSON object per line",
      });
      break;
    }
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      errors.push({ line: n, message: `not valid JSON: ${(e as Error).message}` });
      continue;
    }
    for (const message of checker.add(row)) errors.push({ line: n, message });
  }
  const cols: Record<string, string> = {};
  for (const [k, t] of Object.entries(checker.columns())) cols[k] = typeName(t);
  return { format, rows: checker.rows, errors, warnings: checker.finish(), columns: cols };
}
