import { SynthforgeError } from "../../core/errors.js";
import {
  type ExportFormatDefinition,
  type FileRules,
  type FormatReader,
  isObj,
  type ParsedRecord,
  type RowCheck,
} from "./define.js";
import { BUILTIN_FORMATS } from "./index.js";

/**
 * The one registry of export formats: the built-ins of `formats/index.ts`, then those
 * registered at run time. Listing, describing, validating, exporting (the dataset card's
 * trainer, the metadata column) and reading rows back all read it.
 */

/** One of the built-in {@link EXPORT_FORMATS}. */
export type ExportFormat = (typeof BUILTIN_FORMATS)[number]["id"];
/** A built-in export format, or the id of one registered with {@link registerExportFormat}. */
export type ExportFormatId = ExportFormat | (string & {});

/** Every export format synthforge writes (the built-ins). */
export const EXPORT_FORMATS: readonly ExportFormat[] = BUILTIN_FORMATS.map((f) => f.id);

/** An export format added at run time (by a host or a plugin). */
export interface ExportFormatRegistration {
  /** The format's id, as in `synthforge export --format <id>`: lowercase letters, digits, `.`, `_`, `-`. */
  id: string;
  /** One line: the trainer it is for and the row shape, for `--list-formats`. */
  description: string;
  /** What the format needs from a row, in words (explains why a type cannot export to it). */
  needs?: string;
  /** The trainer(s) the rows load into without conversion (named in the dataset card). */
  trainer?: string;
  /** True when its loaders accept extra columns (allows `--metadata`). Default false. */
  extraColumns?: boolean;
  /** The strict row validator: the problems of one exported row (empty when valid). */
  validate(row: Record<string, unknown>): string[];
  /** How its rows are read back (`importRow`, `synthforge review`); `order` defaults to 1000. */
  read?: Omit<FormatReader, "order"> & { order?: number };
  /** Its file-level rules, made once per exported file (see `FileRules`). */
  fileRules?: () => FileRules;
}

const FORMAT_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const formats = new Map<string, ExportFormatDefinition>(BUILTIN_FORMATS.map((f) => [f.id, f]));

/** One-line description of each format, for `synthforge export --list-formats` (registered ones added). */
export const FORMAT_DESCRIPTIONS = Object.fromEntries(
  BUILTIN_FORMATS.map((f) => [f.id, f.description]),
) as Record<ExportFormat, string>;

/**
 * What each format needs from a row, in words: used to explain why a training type
 * cannot be exported to it (e.g. kto → openai-dpo). Registered ones are added.
 */
export const FORMAT_NEEDS = Object.fromEntries(BUILTIN_FORMATS.map((f) => [f.id, f.needs])) as Record<
  ExportFormat,
  string
>;

/** The format of that id, built in or registered. */
export function getExportFormat(id: string): ExportFormatDefinition | undefined {
  return formats.get(id);
}

/**
 * Where export formats are found: the process-wide formats (`processFormats`), or a
 * pipeline's registry (`createRegistry()`), whose own formats stay with its pipelines.
 */
export interface FormatLookup {
  /** The format of that id, or undefined. */
  exportFormat(id: string): ExportFormatDefinition | undefined;
  /** Every format, built-ins first. */
  exportFormats(): ExportFormatDefinition[];
}

/** The process-wide formats: the built-ins and those registered with {@link registerExportFormat}. */
export const processFormats: FormatLookup = {
  exportFormat: getExportFormat,
  exportFormats: () => [...formats.values()],
};

/** True when `name` is a built-in export format. */
export function isBuiltinExportFormat(name: string): name is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(name);
}

/** True when `name` is an export format: built in, or registered with {@link registerExportFormat}. */
export function isExportFormat(name: string): name is ExportFormatId {
  return formats.has(name);
}

/** Every export format: the built-ins, then those registered at run time. */
export function listExportFormats(): ExportFormatId[] {
  return [...formats.keys()];
}

/** The one-line description of a format (empty for an unknown one). */
export function formatDescription(format: ExportFormatId): string {
  return formats.get(format)?.description ?? "";
}

/** What a format needs from a row, in words (empty for an unknown one). */
export function formatNeeds(format: ExportFormatId): string {
  return formats.get(format)?.needs ?? "";
}

/** The trainer(s) a format's rows load into without conversion (empty when not named). */
export function formatTrainer(format: ExportFormatId): string {
  return formats.get(format)?.trainer ?? "";
}

function define(format: ExportFormatDefinition): void {
  formats.set(format.id, format);
  (FORMAT_DESCRIPTIONS as Record<string, string>)[format.id] = format.description;
  (FORMAT_NEEDS as Record<string, string>)[format.id] = format.needs;
  readers = undefined;
}

/**
 * The definition of a format registered at run time, checked.
 *
 * @throws SynthforgeError `CONFIG_INVALID` for a built-in id, a malformed one, or no validator.
 */
export function exportFormatDefinition(format: ExportFormatRegistration): ExportFormatDefinition {
  if (isBuiltinExportFormat(format.id))
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `Export format "${format.id}" is built in; register your format under another id.`,
    );
  if (!FORMAT_ID.test(format.id))
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `Export format id "${format.id}" must be lowercase letters, digits, ".", "_" and "-" (at most 64).`,
    );
  if (typeof format.validate !== "function")
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `Export format "${format.id}" needs a validate(row) function.`,
    );
  const validate = format.validate;
  return {
    id: format.id,
    description: format.description,
    needs: format.needs ?? format.description,
    ...(format.trainer ? { trainer: format.trainer } : {}),
    extraColumns: format.extraColumns === true,
    check: (row) => ({ errors: validate(row), warnings: [] }),
    ...(format.read ? { read: { order: format.read.order ?? 1000, parse: format.read.parse } } : {}),
    ...(format.fileRules ? { fileRules: format.fileRules } : {}),
  };
}

/**
 * Registers an export format process-wide: its id, description and strict row validator
 * (and, if it has them, its trainer and reader). A training type exports to it through an
 * exporter keyed by the id (`exporters: { "mcq-jsonl": ... }`). Every exported row is
 * checked by the validator (plus the file-level rules of `FormatFileChecker`: one Arrow
 * type per column). Registering an id again replaces it. A pipeline's own registry
 * (`createRegistry().registerExportFormat`) keeps a format to its pipelines.
 *
 * @throws SynthforgeError `CONFIG_INVALID` for a built-in id or a malformed one.
 */
export function registerExportFormat(format: ExportFormatRegistration): void {
  define(exportFormatDefinition(format));
}

/**
 * Registers (or replaces) the strict validator of a format. An id that is not a built-in
 * format becomes a registered format (see {@link registerExportFormat}, which also takes
 * its description).
 */
export function registerFormatValidator(
  format: ExportFormatId,
  validator: (row: Record<string, unknown>) => string[],
): void {
  const known = formats.get(format);
  if (!known) {
    registerExportFormat({ id: format, description: `${format} (registered format)`, validate: validator });
    return;
  }
  define({ ...known, check: (row) => ({ errors: validator(row), warnings: [] }) });
}

/** True when the format has a strict validator. */
export function hasFormatValidator(format: ExportFormatId): boolean {
  return formats.has(format);
}

/**
 * Checks one exported row against the strict rules of its format, with warnings.
 * A row that is not a JSON object is an error for every format.
 */
export function checkFormatRow(
  format: ExportFormatId,
  row: unknown,
  lookup: FormatLookup = processFormats,
): RowCheck {
  if (!isObj(row)) return { errors: ["each line must be one JSON object"], warnings: [] };
  const f = lookup.exportFormat(format);
  if (!f) return { errors: [], warnings: [] };
  return f.check(row);
}

/**
 * Checks one exported row against the strict rules of its format. Returns the problems
 * (empty when the row is valid).
 */
export function validateFormatRow(
  format: ExportFormatId,
  row: Record<string, unknown>,
  lookup: FormatLookup = processFormats,
): string[] {
  return checkFormatRow(format, row, lookup).errors;
}

/** True when a format's loaders accept extra columns (the opt-in `synthforge` metadata column). */
export function acceptsExtraColumns(format: ExportFormatId, lookup: FormatLookup = processFormats): boolean {
  return lookup.exportFormat(format)?.extraColumns === true;
}

type Readers = Array<{ id: string; read: FormatReader }>;
let readers: Readers | undefined;

const readersOf = (lookup: FormatLookup): Readers =>
  lookup
    .exportFormats()
    .flatMap((f) => (f.read ? [{ id: f.id, read: f.read }] : []))
    .sort((a, b) => a.read.order - b.read.order);

/**
 * Reads a record of any format that has a reader into {@link ParsedRecord}: the readers
 * are tried in their `order`; null when no format recognises the shape.
 */
export function parseRecord(
  rec: Record<string, unknown>,
  lookup: FormatLookup = processFormats,
): ParsedRecord | null {
  // The process's readers are kept until a format is registered; a registry's are read each time.
  let list: Readers;
  if (lookup !== processFormats) list = readersOf(lookup);
  else {
    readers ??= readersOf(lookup);
    list = readers;
  }
  for (const { id, read } of list) {
    const parsed = read.parse(rec);
    if (parsed) return { format: id, ...parsed };
  }
  return null;
}
