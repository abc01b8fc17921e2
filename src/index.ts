/**
 * synthforge: synthetic post-training data for LLMs.
 *
 * The public API. Everything a host application needs is exported from here: the
 * pipeline and its stages, configuration and plugins, model providers, sources and
 * licences, storage, training types and export formats, review and verifiers, export and
 * publishing, and the studio. Each section below is one concept of the API reference
 * (a typedoc category). Helpers the pipeline uses internally (rate limiting, HTTP plumbing,
 * parsing and scoring primitives) are in `synthforge/internals`; test utilities (wire
 * servers for Gemini and OpenAI-compatible APIs) are in `synthforge/testing`.
 *
 * Model and tool types of Google ADK (`BaseLlm`, `LlmRequest`, `LlmResponse`,
 * `FunctionTool`) appear in the published declarations as structural types (ADK's own
 * declarations do not type-check with `skipLibCheck: false`): an ADK model passes where
 * synthforge asks for one; to hand a synthforge model to your own ADK agent, cast it to
 * ADK's `BaseLlm`.
 *
 * @categoryDescription Pipeline
 * Create a pipeline, run and resume runs, and build custom stages.
 * @categoryDescription Configuration and plugins
 * Read `synthforge.config.yaml`, parse a request in plain words, load plugins.
 * @categoryDescription Models
 * Model providers (Gemini, OpenAI-compatible, offline, scripted), the router, retries,
 * rate limits, caching, batching and prices.
 * @categoryDescription Agents
 * The agents the review stage runs (judge, fact-check), for custom stages that call them.
 * @categoryDescription Sources and licences
 * Where grounding material comes from: the bundled corpus, local files, MCP servers, remote
 * APIs, their HTTP client, and licence policies.
 * @categoryDescription Storage
 * SQLite and PostgreSQL stores and the rows they hold.
 * @categoryDescription Training types and formats
 * SFT, DPO, PPO, GRPO, RLHF, KTO, ORPO, chat and QA; export formats and their validators;
 * registries for your own.
 * @categoryDescription Review and verifiers
 * The review gate's checks, sandboxes (Python, JavaScript, SQL) and verifiers; each also an
 * ADK `FunctionTool` through {@link verifierTools}.
 * @categoryDescription Export and publishing
 * Export runs to JSONL/Parquet, Hugging Face dataset folders, and push to the Hub.
 * @categoryDescription Studio
 * Human review, dashboards and export in the browser.
 * @categoryDescription Core
 * Errors, logging and the shared domain types (plans, runs, events, statuses).
 *
 * @packageDocumentation
 * @module synthforge
 */

// @category Pipeline

export { BATCH_PRICE_FACTOR, type BatchOptions, BatchRunner } from "./pipeline/batch.js";
export type { Budget, ReviewConfig, RunContext } from "./pipeline/context.js";
export { generateStage } from "./pipeline/generate-stage.js";
export {
  createPipeline,
  DEFAULT_REVIEW,
  type DefaultStagesOptions,
  defaultStages,
  type Pipeline,
  type PipelineOptions,
  type PipelineRun,
  type ResumeOptions,
  type RunOptions,
} from "./pipeline/pipeline.js";
export {
  assessMaterial,
  type ClarifyFn,
  type ClarifyQuestion,
  checkFeasible,
  describeSpec,
  type IntakeReading,
  type MaterialAssessment,
  type PlanRequestOptions,
  planRequest,
  planStage,
  type ResolvedSpec,
  type RunPreview,
  type RunRequest,
  resolveSpec,
  SPEC_DEFAULTS,
} from "./pipeline/plan-stage.js";
export { questionStage } from "./pipeline/question-stage.js";
export { type ResearchOptions, researchMaterial, researchStage } from "./pipeline/research-stage.js";
export {
  type ReviewDatasetOptions,
  type ReviewedRow,
  type RowReview,
  reviewDataset,
} from "./pipeline/review-dataset.js";
export {
  type ReviewDeps,
  type ReviewOutcome,
  type ReviewStageOptions,
  type ReviewSubject,
  type ReviewVerdict,
  reviewExample,
  reviewStage,
} from "./pipeline/review-stage.js";
export { SearchCache } from "./pipeline/search-cache.js";
export {
  CandidateRejected,
  type Item,
  type ItemStage,
  type RunStage,
  type Stage,
  StageList,
} from "./pipeline/stage.js";
export {
  type QueueOptions,
  RUN_QUEUE,
  startWorker,
  submitRun,
  type Worker,
  type WorkerOptions,
} from "./pipeline/worker.js";
export { DEFAULT_DOMAIN_SOURCES, sourcesForDomain } from "./sources/selection.js";

// @category Configuration and plugins

export {
  CONFIG_FILE_NAMES,
  type ConfigSchema,
  currentConfigSchema,
  DEFAULT_MODELS,
  loadConfig,
  readConfigPlugins,
  type SourceConfig,
  type SourceConfigKind,
  type SynthforgeConfig,
  sourceIs,
  sourceTypeNames,
} from "./core/config.js";
export {
  MAX_COUNT_WITHOUT_FORCE,
  type ParsedRequest,
  parseCount,
  parseRequest,
  parseTrainingType,
  type ReadRequestOptions,
  type RequestReading,
  readRequest,
} from "./core/request.js";
export {
  type ConfigOverrides,
  chooseProvider,
  modelsFromConfig,
  type ProviderChoice,
  pipelineOptionsFromConfig,
  sourcesFromConfig,
} from "./pipeline/config-options.js";
export { type LoadedPlugin, loadPlugins, type PluginApi, type PluginModule } from "./pipeline/plugins.js";
export { createRegistry, processRegistry, type Registry } from "./pipeline/registry.js";

// @category Models

export {
  type BatchAnswer,
  type BatchJobClient,
  type BatchJobState,
  type BatchJobStatus,
  type BatchQueue,
  type BatchRequest,
  type GeminiBatchClientOptions,
  geminiBatchClient,
} from "./models/batch.js";
export type { CostGate } from "./models/budget.js";
export { CacheSession, cachedLlm, type ResponseCacheBackend } from "./models/cache.js";
export { type Clock, ManualClock, systemClock } from "./models/clock.js";
export {
  geminiModels,
  offlineModels,
  openaiCompatibleModels,
  type RoutingOptions,
  scriptedModels,
} from "./models/factories.js";
export { fallbackLlm } from "./models/fallback.js";
export {
  describeModelError,
  type GeminiProviderOptions,
  geminiProvider,
  SynthforgeGemini,
  type SynthforgeGeminiOptions,
} from "./models/gemini.js";
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  CircuitOpenError,
  DEFAULT_RATE_LIMITS,
  type GovernorOptions,
  ModelGovernor,
  type RateLimit,
} from "./models/limits.js";
export {
  type GenerateFn,
  type LlmCallRecord,
  meteredLlm,
  type UsageSink,
  WrappedLlm,
} from "./models/middleware.js";
export {
  OFFLINE_MODEL,
  OfflineLlm,
  type OfflineResponder,
  offlineProvider,
  registerOfflineResponder,
} from "./models/offline.js";
export {
  describeOpenAICompatibleError,
  isLocalBaseUrl,
  OPENAI_COMPATIBLE_PRESETS,
  OpenAICompatibleError,
  OpenAICompatibleLlm,
  type OpenAICompatibleLlmOptions,
  type OpenAICompatibleProviderOptions,
  openaiCompatibleProvider,
  type StructuredOutputMode,
} from "./models/openai-compatible.js";
export {
  type CostEstimate,
  type CostEstimateRow,
  DEFAULT_PRICES,
  estimateRunCost,
  type ModelPrice,
} from "./models/pricing.js";
export { type ModelProvider, prefixedProvider } from "./models/provider.js";
export { type RetryInfo, type RetryOptions, retryingLlm } from "./models/retry.js";
export { type ModelCallContext, ModelRouter, type ModelRouterOptions } from "./models/router.js";
export { type ScriptCall, type ScriptReply, scriptedProvider } from "./models/scripted.js";

// @category Agents

export { type AgentResult, type AgentRunContext, type AgentTask, runAgentTask } from "./agents/agent-task.js";
export {
  type AgentRunner,
  type ClaimResult,
  type FactCheckInput,
  type FactCheckOutput,
  type FactCheckReport,
  factCheck,
  factCheckOutputSchema,
  factCheckTask,
  offlineFactCheck,
} from "./agents/fact-check.js";
export {
  JUDGE_WEIGHTS,
  type JudgeCheck,
  type JudgeFactCheck,
  type JudgeInput,
  type JudgeOutput,
  judgeOutputSchema,
  judgeScore,
  judgeTask,
  offlineJudge,
} from "./agents/reviewer.js";
export type { ClaimVerdict } from "./tools/claims.js";

// @category Sources and licences

export {
  type AttributionEntry,
  type AttributionOptions,
  type AttributionPaths,
  type AttributionResult,
  attributionPaths,
  creditLine,
  writeAttribution,
} from "./export/attribution.js";
export { type ArxivOptions, arxivSource } from "./sources/adapters/arxiv.js";
export { type BiorxivOptions, biorxivSource, medrxivSource } from "./sources/adapters/biorxiv.js";
export { type ChemrxivOptions, chemrxivSource } from "./sources/adapters/chemrxiv.js";
export type { DocumentParts, RemoteSourceOptions } from "./sources/adapters/common.js";
export { type CoreOptions, coreSource } from "./sources/adapters/core.js";
export { type CrossrefOptions, crossrefSource } from "./sources/adapters/crossref.js";
export { type DoajOptions, doajSource } from "./sources/adapters/doaj.js";
export { type EuropePmcOptions, europePmcSource } from "./sources/adapters/europepmc.js";
export { type GithubOptions, githubSource } from "./sources/adapters/github.js";
export {
  type DatasetRows,
  type HuggingFaceOptions,
  type HuggingFaceSource,
  huggingFaceSource,
} from "./sources/adapters/huggingface.js";
export { type OpenAlexOptions, openalexSource } from "./sources/adapters/openalex.js";
export { type PlosOptions, plosSource } from "./sources/adapters/plos.js";
export { type PubchemOptions, pubchemSource } from "./sources/adapters/pubchem.js";
export { type PubmedOptions, pubmedSource } from "./sources/adapters/pubmed.js";
export { type SemanticScholarOptions, semanticScholarSource } from "./sources/adapters/semantic-scholar.js";
export { type StackExchangeOptions, stackExchangeSource } from "./sources/adapters/stackexchange.js";
export { type WebPageOptions, webPageSource } from "./sources/adapters/web-page.js";
export { type WikipediaOptions, wikipediaSource } from "./sources/adapters/wikipedia.js";
export { bundledCorpusDir, corpusSource } from "./sources/corpus.js";
export {
  type CachedResponse,
  HttpClient,
  type HttpClientOptions,
  type HttpClock,
  type HttpRequest,
  type HttpResponse,
  MemoryResponseCache,
  type MemoryResponseCacheOptions,
  type ParsedResponse,
  type ResponseCache,
  type SourceFailureDetails,
  type SourceFailureReason,
} from "./sources/http.js";
export { detectInjection, screenDocument } from "./sources/injection.js";
export {
  admits,
  type LicencePolicy,
  licenceById,
  licenceFromText,
  licencePolicy,
  normaliseLicence,
  normaliseLicenceList,
  unknownLicence,
} from "./sources/licence.js";
export {
  type LocalFilesOptions,
  type LocalFilesSource,
  localFilesSource,
  type SkippedFile,
} from "./sources/local-files.js";
export {
  type McpSource,
  type McpSourceOptions,
  type McpSourceStats,
  type McpToolCall,
  mcpSource,
} from "./sources/mcp.js";
export { toPassages } from "./sources/passages.js";
export {
  createSource,
  getSourceDefinition,
  listSources,
  registerSource,
  type SourceDefinition,
  type SourceFactoryOptions,
} from "./sources/registry.js";
export type { SearchOptions, SourceAdapter } from "./sources/types.js";

// @category Storage

export type { StoreKind } from "./storage/entities.js";
export type { ExamplePageRow } from "./storage/example-pages.js";
export { type ColumnKind, type ColumnSpec, EXAMPLE_COLUMNS, exampleColumns } from "./storage/schema.js";
export type {
  BatchStore,
  CallLogStore,
  CandidateLease,
  ClaimOptions,
  ContextSource,
  DropReasonCount,
  ExamplePatch,
  ExampleRow,
  ExampleStore,
  FailureRow,
  IterateOptions,
  LlmBatchRow,
  LlmCallRow,
  NewExample,
  NewQuestion,
  NewRun,
  NewSource,
  QuestionKey,
  QuestionPatch,
  QuestionRow,
  QuestionStore,
  ReviewRow,
  RunRow,
  RunStore,
  SourceRow,
  SourceStore,
  Store,
  StoreLifecycle,
} from "./storage/store.js";
export {
  openStore,
  type PostgresStoreOptions,
  postgresStore,
  type SqliteStoreOptions,
  sqliteStore,
  type TypeormStore,
} from "./storage/typeorm-store.js";

// @category Training types and formats

export { type ImportedRow, importRow } from "./export/import-rows.js";
export { type ChatRow, chatRowSchema, chatType } from "./training-types/chat.js";
export { composeAnswer, shortAnswer } from "./training-types/compose.js";
export { dpoType } from "./training-types/dpo.js";
export {
  type FileRules,
  type FormatLookup,
  type FormatReader,
  formatTrainer,
  type ParsedRecord,
  type Turn,
} from "./training-types/formats.js";
export { type GrpoRow, grpoRowSchema, grpoType, verifyGrpo } from "./training-types/grpo.js";
export {
  type ContextFact,
  checkFormatRow,
  EXPORT_FORMATS,
  type ExampleOptionsPolicy,
  type Exporter,
  type ExportFormat,
  type ExportFormatId,
  type ExportFormatRegistration,
  type ExportRowMeta,
  type FileValidation,
  FORMAT_DESCRIPTIONS,
  FORMAT_NEEDS,
  formatDescription,
  formatsByType,
  type GenerationInput,
  getTrainingType,
  isExportFormat,
  listExportFormats,
  listTrainingTypes,
  type OfflineJudgeInput,
  type OfflineQuestion,
  type OfflineQuestionInput,
  type OfflineVerdict,
  type RowCheck,
  registerExportFormat,
  registerFormatValidator,
  registerTrainingType,
  type SynthesizedContext,
  type TrainingType,
  typesByFormat,
  type ValueType,
  validateFormatRow,
  validateJsonLines,
} from "./training-types/index.js";
export { type KtoRow, ktoRowSchema, ktoType } from "./training-types/kto.js";
export { orpoType } from "./training-types/orpo.js";
export { type PpoRow, ppoRowSchema, ppoType } from "./training-types/ppo.js";
export { type QaRow, qaRowSchema, qaType } from "./training-types/qa.js";
export { type RlhfRow, rlhfRowSchema, rlhfType } from "./training-types/rlhf.js";
export { type SftRow, sftRowSchema, sftType } from "./training-types/sft.js";

// @category Review and verifiers

export { type LoadDedupOptions, loadDedupIndex } from "./pipeline/dedup.js";
export type { CheckResult } from "./tools/check.js";
export { type BalanceCheck, type Balanced, balanceEquation, checkBalanced } from "./tools/chemistry.js";
export { type CodeLanguage, checkCode, checkCodeBlocks } from "./tools/code-check.js";
export {
  checkLabelConsistency,
  checkPreferenceConsistency,
  checkRankingConsistency,
  checkRewardConsistency,
} from "./tools/consistency.js";
export { type ConstantClaim, checkConstantsInText } from "./tools/constants.js";
export {
  BenchmarkIndex,
  type BenchmarkIndexOptions,
  type ContaminationMatch,
  loadBenchmarks,
} from "./tools/decontamination.js";
export { DedupIndex, type DedupSignature, type DuplicateMatch } from "./tools/dedup.js";
export { verifierTools } from "./tools/function-tools.js";
export {
  closeJavaScriptSandbox,
  type JavaScriptRunOptions,
  JavaScriptSandbox,
  runJavaScript,
  runTypeScript,
} from "./tools/js-sandbox.js";
export { checkAnswer, checkLatex, type NumericOptions } from "./tools/maths.js";
export {
  generateMutants,
  type Mutant,
  type MutantOptions,
  type MutantsResult,
  type MutationKind,
} from "./tools/mutants.js";
export {
  closePythonSandbox,
  PythonSandbox,
  type PythonSandboxOptions,
  runPython,
} from "./tools/python-sandbox.js";
export type { SandboxOptions, SandboxResult, SandboxVerdict } from "./tools/sandbox-host.js";
export {
  closeSqlSandbox,
  runSql,
  type SqlRunOptions,
  type SqlRunResult,
  type SqlStatementResult,
} from "./tools/sql.js";
export {
  checkPii,
  checkToxicity,
  checkVerbatimCopy,
  findPii,
  findToxicity,
  type LicensedPassage,
  type PiiFinding,
  type ToxicityFinding,
  type VerbatimOptions,
} from "./tools/text-checks.js";
export {
  checkAnswers,
  checkAudience,
  checkBoilerplate,
  checkInjectionEcho,
  checkLanguage,
  checkRepetition,
  checkRowSize,
  checkTemplateTokens,
  checkTruncation,
  detectLanguage,
  type InjectionScreen,
  MAX_FIELD_CHARS,
  MAX_ROW_CHARS,
} from "./tools/text-gate.js";
export { checkOnTopic } from "./tools/topic-gate.js";
export { type ConversionClaim, checkConversionsInText } from "./tools/units.js";
export {
  listVerifiers,
  registerVerifier,
  runVerifiers,
  unregisterVerifier,
  type Verifier,
  type VerifierInput,
  type VerifierOutcome,
  type VerifierRunOptions,
} from "./tools/verifiers.js";

// @category Export and publishing

export {
  checkFormat,
  type ExportExample,
  type ExportFileType,
  type ExportMetadataOptions,
  type ExportOptions,
  type ExportRegistry,
  type ExportResult,
  type ExportSplitResult,
  type ExportTally,
  exportRows,
  exportRun,
  processExportRegistry,
  writeJsonl,
  writeParquet,
} from "./export/export.js";
export {
  type ExportSelection,
  type LicenceFilter,
  METADATA_COLUMN,
  parseLicenceFilter,
  parseReviewStatuses,
  parseSplits,
  type QuestionInfo,
  type Selection,
  type SplitSpec,
  type StratifyBy,
} from "./export/export-select.js";
export {
  type DatasetCardInfo,
  type DatasetLicence,
  datasetCard,
  deriveDatasetLicence,
  exportHfDataset,
  type HfDatasetOptions,
  type HfDatasetResult,
} from "./export/hf-dataset.js";
export {
  HUB_URL,
  type PushedFile,
  type PushOptions,
  type PushProgress,
  type PushResult,
  type PushRunOptions,
  pushDataset,
  pushRun,
} from "./export/push.js";

// @category Studio

export {
  decideExample,
  type ExampleDetail,
  exampleDetail,
  type HumanAction,
  type HumanDecision,
  type HumanReviewRecord,
} from "./studio/review.js";
export { type RunningStudio, type ServeStudioOptions, STUDIO_PORT, serveStudio } from "./studio/serve.js";
export { createStudio, type StudioHandler, type StudioOptions } from "./studio/server.js";

// @category Core

export { type ErrorCode, isSynthforgeError, redactSecrets, SynthforgeError } from "./core/errors.js";
export { consoleLogger, type Logger, type LogLevel, silentLogger } from "./core/logger.js";
export * from "./core/types.js";
