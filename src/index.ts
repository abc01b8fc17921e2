/**
 * synthforge: synthetic post-training data for LLMs.
 *
 * The public API. Everything a host application needs is exported from here, and only
 * from here: the pipeline and its stages, storage, model providers, sources, training
 * types and export formats.
 *
 * @packageDocumentation
 */

// Pipeline
export {
  createPipeline,
  defaultStages,
  DEFAULT_REVIEW,
  type Pipeline,
  type PipelineOptions,
  type PipelineRun,
  type RunOptions,
} from "./pipeline/pipeline.js";
export { StageList, CandidateRejected, type Stage, type RunStage, type ItemStage, type Item } from "./pipeline/stage.js";
export type { RunContext, ReviewConfig, Budget } from "./pipeline/context.js";
export {
  resolveSpec,
  allocateQuotas,
  describeSpec,
  SPEC_DEFAULTS,
  type ClarifyFn,
  type ClarifyQuestion,
  type RunRequest,
} from "./pipeline/plan-stage.js";
export { planStage } from "./pipeline/plan-stage.js";
export { questionStage } from "./pipeline/question-stage.js";
export { researchStage } from "./pipeline/research-stage.js";
export { generateStage } from "./pipeline/generate-stage.js";
export { reviewStage, verdict } from "./pipeline/review-stage.js";
export { exportRun, type ExportOptions, type ExportResult } from "./pipeline/export.js";
export { defaultMaxCandidates } from "./pipeline/run-loop.js";

// Agents (for custom stages that call them)
export { runAgentTask, type AgentTask, type AgentResult, type AgentRunContext } from "./agents/agent-task.js";
export { JUDGE_WEIGHTS, judgeScore, offlineJudge } from "./agents/reviewer.js";

// Models
export { ModelRouter, type ModelRouterOptions, type ModelCallContext } from "./models/router.js";
export { geminiModels, offlineModels, scriptedModels, type RoutingOptions } from "./models/factories.js";
export { geminiProvider, SynthforgeGemini, describeModelError, type GeminiProviderOptions } from "./models/gemini.js";
export { offlineProvider, OfflineLlm, registerOfflineResponder, OFFLINE_MODEL, type OfflineResponder } from "./models/offline.js";
export { scriptedProvider, type ScriptCall, type ScriptReply } from "./models/scripted.js";
export { retryingLlm, classifyModelError } from "./models/retry.js";
export { meteredLlm, WrappedLlm, type LlmCallRecord, type UsageSink } from "./models/middleware.js";
export { DEFAULT_PRICES, callCost, type ModelPrice } from "./models/pricing.js";
export type { ModelProvider } from "./models/provider.js";

// Storage
export { sqliteStore, postgresStore, openStore, type SqliteStoreOptions, type PostgresStoreOptions } from "./storage/typeorm-store.js";
export type {
  Store,
  RunRow,
  QuestionRow,
  SourceRow,
  ExampleRow,
  ReviewRow,
  FailureRow,
  LlmCallRow,
  ContextSource,
} from "./storage/store.js";
export { EXAMPLE_COLUMNS, exampleTable } from "./storage/schema.js";

// Sources and licences
export type { SourceAdapter, SearchOptions } from "./sources/types.js";
export { localFilesSource, type LocalFilesOptions } from "./sources/local-files.js";
export { corpusSource, bundledCorpusDir } from "./sources/corpus.js";
export { normaliseLicence, licencePolicy, admits, type LicencePolicy } from "./sources/licence.js";

// Training types and formats
export {
  getTrainingType,
  listTrainingTypes,
  registerTrainingType,
  formatsByType,
  EXPORT_FORMATS,
  FORMAT_DESCRIPTIONS,
  validateFormatRow,
  registerFormatValidator,
  type ExportFormat,
  type TrainingType,
  type GenerationInput,
  type SynthesizedContext,
} from "./training-types/index.js";

// Core
export { SynthforgeError, isSynthforgeError, redactSecrets, type ErrorCode } from "./core/errors.js";
export { parseRequest, parseCount, parseTrainingType, MAX_COUNT_WITHOUT_FORCE } from "./core/request.js";
export { loadConfig, configSchema, DEFAULT_MODELS, type SynthforgeConfig } from "./core/config.js";
export { consoleLogger, silentLogger, type Logger } from "./core/logger.js";
export * from "./core/types.js";
