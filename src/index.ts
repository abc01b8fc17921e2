/**
 * synthforge: synthetic post-training data for LLMs.
 *
 * The public API. Everything a host application needs is exported from here, and only
 * from here: the pipeline and its stages, storage, model providers, sources, training
 * types and export formats.
 *
 * @packageDocumentation
 */

// Agents (for custom stages that call them)
export { type AgentResult, type AgentRunContext, type AgentTask, runAgentTask } from "./agents/agent-task.js";
export {
  type ClaimResult,
  type FactCheckReport,
  factCheck,
  factCheckTask,
  offlineFactCheck,
} from "./agents/fact-check.js";
export {
  JUDGE_WEIGHTS,
  type JudgeInput,
  type JudgeOutput,
  judgeScore,
  judgeTask,
  offlineJudge,
} from "./agents/reviewer.js";
export {
  CONFIG_FILE_NAMES,
  configSchema,
  DEFAULT_MODELS,
  loadConfig,
  readConfigPlugins,
  type SourceConfig,
  type SynthforgeConfig,
  sourceTypeNames,
} from "./core/config.js";
// Core
export { type ErrorCode, isSynthforgeError, redactSecrets, SynthforgeError } from "./core/errors.js";
export { consoleLogger, type Logger, silentLogger } from "./core/logger.js";
export {
  languageCode,
  MAX_COUNT_WITHOUT_FORCE,
  type ParsedRequest,
  parseCount,
  parseRequest,
  parseTrainingType,
  type RequestReading,
  readRequest,
  wordsToNumber,
} from "./core/request.js";
export * from "./core/types.js";
export { geminiBatchClient } from "./models/batch.js";
export { CacheSession, cachedLlm } from "./models/cache.js";
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
} from "./models/gemini.js";
export {
  AdaptiveConcurrency,
  CircuitBreaker,
  CircuitOpenError,
  circuitBreakerLlm,
  DEFAULT_RATE_LIMITS,
  governedLlm,
  ModelGovernor,
  type RateLimit,
  TokenBucket,
  timeoutLlm,
} from "./models/limits.js";
export { type LlmCallRecord, meteredLlm, type UsageSink, WrappedLlm } from "./models/middleware.js";
export {
  OFFLINE_MODEL,
  OfflineLlm,
  type OfflineResponder,
  offlineProvider,
  registerOfflineResponder,
} from "./models/offline.js";
/** OpenAI-compatible models (issue 15): an ADK `BaseLlm` over the `openai` client, its provider and typed error. */
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
  callCost,
  DEFAULT_PRICES,
  estimateRunCost,
  type ModelPrice,
  TOKENS_PER_EXAMPLE,
  TOKENS_PER_RUN,
  type TokensPerExample,
} from "./models/pricing.js";
export { type ModelProvider, prefixedProvider } from "./models/provider.js";
export { classifyModelError, retryingLlm } from "./models/retry.js";
// Models
export { type ModelCallContext, ModelRouter, type ModelRouterOptions } from "./models/router.js";
export { type ScriptCall, type ScriptReply, scriptedProvider } from "./models/scripted.js";
export { BATCH_PRICE_FACTOR, type BatchOptions, BatchRunner } from "./pipeline/batch.js";
// Config files and plugins
export {
  type ConfigOverrides,
  chooseProvider,
  modelsFromConfig,
  type ProviderChoice,
  pipelineOptionsFromConfig,
  sourcesFromConfig,
} from "./pipeline/config-options.js";
export type { Budget, ReviewConfig, RunContext } from "./pipeline/context.js";
export { loadDedupIndex } from "./pipeline/dedup.js";
export {
  checkFormat,
  type ExportFileType,
  type ExportMetadataOptions,
  type ExportOptions,
  type ExportResult,
  type ExportSplitResult,
  exportRows,
  exportRun,
  writeJsonl,
  writeParquet,
} from "./pipeline/export.js";
export {
  acceptsMetadataColumn,
  type ExportSelection,
  type LicenceFilter,
  METADATA_COLUMN,
  parseLicenceFilter,
  parseReviewStatuses,
  parseSplits,
  type SplitSpec,
  type StratifyBy,
} from "./pipeline/export-select.js";
export { generateStage } from "./pipeline/generate-stage.js";
export {
  type DatasetLicence,
  datasetCard,
  deriveDatasetLicence,
  exportHfDataset,
  type HfDatasetOptions,
  type HfDatasetResult,
  sizeCategory,
} from "./pipeline/hf-dataset.js";
// Pipeline
export {
  createPipeline,
  DEFAULT_REVIEW,
  defaultStages,
  type Pipeline,
  type PipelineOptions,
  type PipelineRun,
  type ResumeOptions,
  type RunOptions,
} from "./pipeline/pipeline.js";
export {
  allocateQuotas,
  assessMaterial,
  type ClarifyFn,
  type ClarifyQuestion,
  checkFeasible,
  describeSpec,
  type IntakeReading,
  type MaterialAssessment,
  onTopic,
  type PlanRequestOptions,
  planRequest,
  planStage,
  QUESTIONS_PER_PASSAGE,
  type ResolvedSpec,
  type RunPreview,
  type RunRequest,
  resolveSpec,
  SPEC_DEFAULTS,
  topicWords,
} from "./pipeline/plan-stage.js";
export { type LoadedPlugin, loadPlugins, type PluginApi, type PluginModule } from "./pipeline/plugins.js";
export {
  HUB_URL,
  type PushedFile,
  type PushOptions,
  type PushProgress,
  type PushResult,
  type PushRunOptions,
  pushDataset,
  pushRun,
} from "./pipeline/push.js";
export { questionStage } from "./pipeline/question-stage.js";
export {
  catalogueSourceIds,
  DEFAULT_DOMAIN_SOURCES,
  domainKey,
  type ResearchOptions,
  rankPassagesForQuestion,
  researchMaterial,
  researchStage,
  sourcesForDomain,
} from "./pipeline/research-stage.js";
export {
  DEFECT_PRIORITY,
  mainDefect,
  REVIEW_WEIGHTS,
  type ReviewOutcome,
  type ReviewStageOptions,
  type ReviewSubject,
  type ReviewVerdict,
  reviewExample,
  reviewStage,
  verdict,
} from "./pipeline/review-stage.js";
export { costSnapshot, defaultMaxCandidates } from "./pipeline/run-loop.js";
export { SearchCache } from "./pipeline/search-cache.js";
export {
  CandidateRejected,
  type Item,
  type ItemStage,
  type RunStage,
  type Stage,
  StageList,
} from "./pipeline/stage.js";
export { RUN_QUEUE, startWorker, submitRun, type Worker, type WorkerOptions } from "./pipeline/worker.js";
export { type ArxivOptions, arxivSource } from "./sources/adapters/arxiv.js";
export { type BiorxivOptions, biorxivSource, medrxivSource } from "./sources/adapters/biorxiv.js";
export { type ChemrxivOptions, chemrxivSource } from "./sources/adapters/chemrxiv.js";
export type { RemoteSourceOptions } from "./sources/adapters/common.js";
export { type CoreOptions, coreSource } from "./sources/adapters/core.js";
export { type CrossrefOptions, crossrefSource } from "./sources/adapters/crossref.js";
export { type DoajOptions, doajSource } from "./sources/adapters/doaj.js";
export { type EuropePmcOptions, europePmcSource } from "./sources/adapters/europepmc.js";
export { type GithubOptions, githubSource } from "./sources/adapters/github.js";
export {
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
export {
  type AttributionEntry,
  type AttributionOptions,
  type AttributionPaths,
  type AttributionResult,
  attributionPaths,
  creditLine,
  writeAttribution,
} from "./sources/attribution.js";
export { bundledCorpusDir, corpusSource } from "./sources/corpus.js";
export {
  type CachedResponse,
  defaultHttpClient,
  HttpClient,
  type HttpClientOptions,
  type HttpClock,
  type HttpRequest,
  type HttpResponse,
  MemoryResponseCache,
  parseRetryAfter,
  type ResponseCache,
  type SourceFailureDetails,
  type SourceFailureReason,
  setDefaultHttpClient,
  sourceFailed,
  userAgent,
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
  stackExchangeLicence,
  unknownLicence,
} from "./sources/licence.js";
export { type LocalFilesOptions, type LocalFilesSource, localFilesSource } from "./sources/local-files.js";
export {
  type McpSource,
  type McpSourceOptions,
  type McpSourceStats,
  type McpToolCall,
  mcpSource,
} from "./sources/mcp.js";
export { bm25Rank, toPassages } from "./sources/passages.js";
export {
  createSource,
  getSourceDefinition,
  listSources,
  registerSource,
  type SourceDefinition,
  type SourceFactoryOptions,
} from "./sources/registry.js";
// Sources and licences
export type { SearchOptions, SourceAdapter } from "./sources/types.js";
export {
  type ColumnKind,
  type ColumnSpec,
  EXAMPLE_COLUMNS,
  exampleColumns,
  exampleTable,
} from "./storage/schema.js";
export type {
  ContextSource,
  ExampleRow,
  FailureRow,
  LlmCallRow,
  QuestionRow,
  ReviewRow,
  RunRow,
  SourceRow,
  Store,
} from "./storage/store.js";
// Storage
export {
  openStore,
  type PostgresStoreOptions,
  postgresStore,
  type SqliteStoreOptions,
  sqliteStore,
} from "./storage/typeorm-store.js";
// Studio: human review, dashboards and export in the browser
export {
  decideExample,
  type ExampleDetail,
  exampleDetail,
  type HumanAction,
  type HumanDecision,
  type HumanReviewRecord,
} from "./studio/review.js";
export { type RunningStudio, type ServeStudioOptions, STUDIO_PORT, serveStudio } from "./studio/serve.js";
export {
  createStudio,
  STUDIO_CSP,
  type StudioHandler,
  type StudioOptions,
} from "./studio/server.js";
export type { CheckResult } from "./tools/check.js";
export {
  balanceEquation,
  checkBalanced,
  convertUnits,
  molarMass,
  parseEquation,
  parseFormula,
  percentYield,
  stoichiometry,
} from "./tools/chemistry.js";
export {
  checkAnsweredOutput,
  checkCode,
  checkCodeBlocks,
  checkProgramAnswer,
  extractCodeBlocks,
  type StatedOutput,
  statedOutputs,
} from "./tools/code-check.js";
export {
  assessResponse,
  checkLabelConsistency,
  checkPreferenceConsistency,
  checkRankingConsistency,
  checkRewardConsistency,
  type ResponseOutcome,
} from "./tools/consistency.js";
export { type ConstantClaim, checkConstantsInText, findConstantClaims } from "./tools/constants.js";
export { BenchmarkIndex, type ContaminationMatch, loadBenchmarks } from "./tools/decontamination.js";
export { DedupIndex, dedupSignature, estimateJaccard, exactKey, minhash } from "./tools/dedup.js";
export { verifierTools } from "./tools/function-tools.js";
export { importRow } from "./tools/import-rows.js";
export {
  closeJavaScriptSandbox,
  JavaScriptSandbox,
  runJavaScript,
  runTypeScript,
  stripTypes,
} from "./tools/js-sandbox.js";
export {
  checkAnswer,
  checkLatex,
  findArithmetic,
  numericEquivalent,
  parseQuantity,
  symbolicEquivalent,
} from "./tools/maths.js";
export { generateMutants, type Mutant, type MutantsResult } from "./tools/mutants.js";
// Tools (verifiers and sandboxes; each also an ADK FunctionTool through verifierTools())
export { closePythonSandbox, PythonSandbox, runPython } from "./tools/python-sandbox.js";
export type { SandboxOptions, SandboxResult, SandboxVerdict } from "./tools/sandbox-host.js";
export { closeSqlSandbox, runSql, type SqlRunResult } from "./tools/sql.js";
export {
  checkPii,
  checkToxicity,
  checkVerbatimCopy,
  findPii,
  findToxicity,
  verbatimOverlap,
} from "./tools/text-checks.js";
// The review gate's text checks (each failing result names its defect).
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
  MAX_FIELD_CHARS,
  MAX_ROW_CHARS,
} from "./tools/text-gate.js";
export { checkOnTopic } from "./tools/topic-gate.js";
export { type ConversionClaim, checkConversionsInText, findConversions } from "./tools/units.js";
export {
  listVerifiers,
  registerVerifier,
  runVerifiers,
  unregisterVerifier,
  type Verifier,
  type VerifierInput,
} from "./tools/verifiers.js";
export { chatType } from "./training-types/chat.js";
export { dpoType } from "./training-types/dpo.js";
export { grpoType, verifyGrpo } from "./training-types/grpo.js";
// Training types and formats
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
  FormatFileChecker,
  formatDescription,
  formatsByType,
  type GenerationInput,
  GRPO_RESERVED_COLUMNS,
  getTrainingType,
  isExportFormat,
  listExportFormats,
  listTrainingTypes,
  type OfflineJudgeInput,
  type OfflineQuestion,
  type OfflineQuestionInput,
  type OfflineVerdict,
  OptionBalancer,
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
export { ktoType, parseDesirableRatio } from "./training-types/kto.js";
export { orpoType } from "./training-types/orpo.js";
export { ppoType } from "./training-types/ppo.js";
export { qaType } from "./training-types/qa.js";
export { rlhfType } from "./training-types/rlhf.js";
export { sftType } from "./training-types/sft.js";
