/**
 * Export formats and their strict validators (the rules of notes/formats.md §9). Each
 * built-in format is one module under `formats/` (id, description, what it needs, its
 * trainer, row validator and reader), listed once in `formats/index.ts`; formats added at
 * run time join the same registry (`formats/registry.ts`). Every exported row is validated
 * before it is written; a row that fails is an error, never a silently dropped line.
 * File-level rules (one TRL format per file, one ShareGPT variant per file, one Arrow type
 * per column) are checked by {@link FormatFileChecker} while a file is streamed, in
 * constant memory.
 */
export { isConversational } from "./formats/checks.js";
export {
  defineFormat,
  type ExportFormatDefinition,
  type FileRules,
  type FormatReader,
  type ParsedRecord,
  type RowCheck,
  type Turn,
} from "./formats/define.js";
export {
  type FileValidation,
  FormatFileChecker,
  mergeTypes,
  TypeConflict,
  typeName,
  typeOf,
  type ValueType,
  validateJsonLines,
  valueFits,
} from "./formats/file-check.js";
export { BUILTIN_FORMATS } from "./formats/index.js";
export {
  acceptsExtraColumns,
  checkFormatRow,
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportFormatId,
  type ExportFormatRegistration,
  exportFormatDefinition,
  FORMAT_DESCRIPTIONS,
  FORMAT_NEEDS,
  type FormatLookup,
  formatDescription,
  formatNeeds,
  formatTrainer,
  getExportFormat,
  hasFormatValidator,
  isBuiltinExportFormat,
  isExportFormat,
  listExportFormats,
  parseRecord,
  processFormats,
  registerExportFormat,
  registerFormatValidator,
  validateFormatRow,
} from "./formats/registry.js";
export { sharegptVariant } from "./formats/sharegpt.js";
export { GRPO_RESERVED_COLUMNS } from "./formats/trl-grpo.js";
