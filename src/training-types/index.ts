/** Importing this module registers every built-in training type. */
import "./sft.js";

export { getTrainingType, listTrainingTypes, registerTrainingType, formatsByType } from "./registry.js";
export type { TrainingType, GenerationInput, SynthesizedContext, ContextFact, ExportRowMeta, Exporter } from "./types.js";
export { EXPORT_FORMATS, FORMAT_DESCRIPTIONS, validateFormatRow, registerFormatValidator, type ExportFormat } from "./formats.js";
