/** Importing this module registers every built-in training type. */
import "./sft.js";
import "./dpo.js";
import "./ppo.js";
import "./grpo.js";
import "./rlhf.js";
import "./kto.js";
import "./orpo.js";
import "./chat.js";
import "./qa.js";

export {
  checkFormatRow,
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportFormatId,
  type ExportFormatRegistration,
  type FileValidation,
  FORMAT_DESCRIPTIONS,
  FORMAT_NEEDS,
  FormatFileChecker,
  formatDescription,
  formatNeeds,
  GRPO_RESERVED_COLUMNS,
  isBuiltinExportFormat,
  isExportFormat,
  listExportFormats,
  type RowCheck,
  registerExportFormat,
  registerFormatValidator,
  type ValueType,
  validateFormatRow,
  validateJsonLines,
} from "./formats.js";
export { OptionBalancer } from "./options.js";
export {
  columnsFromSchema,
  declareScopedTrainingType,
  formatsByType,
  getTrainingType,
  listTrainingTypes,
  registerTrainingType,
  resolveTrainingType,
  typesByFormat,
} from "./registry.js";
export type {
  ContextFact,
  ExampleOptionsPolicy,
  Exporter,
  ExportRowMeta,
  GenerationInput,
  OfflineJudgeInput,
  OfflineQuestion,
  OfflineQuestionInput,
  OfflineVerdict,
  SynthesizedContext,
  TrainingType,
} from "./types.js";
