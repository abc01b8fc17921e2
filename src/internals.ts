/**
 * `synthforge/internals`: helpers the pipeline uses internally, exported for hosts that
 * need to reach below the public API (custom providers, custom sources, tests, benchmarks).
 *
 * Nothing here is needed to run, extend or export a pipeline: use the main entry
 * (`synthforge`) for that. These exports follow the package's version like the rest, but
 * they are shaped by the implementation and change more often than the main API; pin the
 * version if you depend on them.
 *
 * @categoryDescription Models
 * Token buckets, adaptive concurrency, the governed/circuit-breaker/timeout wrappers the
 * router applies to every model, error classification and per-call costs.
 * @categoryDescription Requests and planning
 * Number words, language codes, quota allocation and topic matching.
 * @categoryDescription Research
 * Source catalogue keys and passage ranking.
 * @categoryDescription Review
 * Review weights and defect priorities, and the parsing and scoring primitives behind the
 * verifiers (chemistry, maths, code, dedup, text overlap).
 * @categoryDescription Sources
 * The process-wide HTTP client and its helpers.
 * @categoryDescription Export and formats
 * Metadata columns, size categories, option balancing and format file checks.
 *
 * @packageDocumentation
 * @module synthforge/internals
 */

// @category Models

export {
  AdaptiveConcurrency,
  type AdaptiveConcurrencyOptions,
  type ConcurrencySlot,
  circuitBreakerLlm,
  type GovernedCall,
  governedLlm,
  TokenBucket,
  timeoutLlm,
} from "./models/limits.js";
export { callCost, TOKENS_PER_EXAMPLE, TOKENS_PER_RUN, type TokensPerExample } from "./models/pricing.js";
export { classifyModelError, type ModelErrorInfo } from "./models/retry.js";
export { costSnapshot, defaultMaxCandidates } from "./pipeline/run-loop.js";

// @category Requests and planning

export { languageCode, wordsToNumber } from "./core/request.js";
export { allocateQuotas, onTopic, QUESTIONS_PER_PASSAGE, topicWords } from "./pipeline/plan-stage.js";

// @category Research

export { questionMaterial, rankPassagesForQuestion } from "./pipeline/research-stage.js";
export { SEARCH_CACHE_ENTRIES, SEARCH_CACHE_MAX_DOCS } from "./pipeline/search-cache.js";
export { bm25Rank, type Ranked } from "./sources/passages.js";
export { catalogueSourceIds, domainKey, sourceIdKey } from "./sources/selection.js";

// @category Review

export { DEFECT_PRIORITY, mainDefect, REVIEW_WEIGHTS, verdict } from "./pipeline/review-stage.js";
export {
  type Amount,
  convertUnits,
  type Equation,
  type Formula,
  molarMass,
  parseEquation,
  parseFormula,
  percentYield,
  type Species,
  type StoichiometryResult,
  stoichiometry,
} from "./tools/chemistry.js";
export {
  type CodeBlock,
  checkAnsweredOutput,
  checkProgramAnswer,
  extractCodeBlocks,
  type StatedOutput,
  statedOutputs,
} from "./tools/code-check.js";
export { assessResponse, type ResponseOutcome } from "./tools/consistency.js";
export { findConstantClaims } from "./tools/constants.js";
export { dedupSignature, estimateJaccard, exactKey, minhash } from "./tools/dedup.js";
export { stripTypes } from "./tools/js-sandbox.js";
export {
  type ArithmeticClaim,
  type Equivalence,
  findArithmetic,
  numericEquivalent,
  parseQuantity,
  type Quantity,
  symbolicEquivalent,
} from "./tools/maths.js";
export { type PassageOverlap, verbatimOverlap } from "./tools/text-checks.js";
export { LANGUAGE_MIN_LETTERS, truncationProblem } from "./tools/text-gate.js";
export { MIN_GROUND_TRUTH_TERMS } from "./tools/topic-gate.js";
export { findConversions } from "./tools/units.js";

// @category Sources

export {
  defaultHttpClient,
  parseRetryAfter,
  setDefaultHttpClient,
  sourceFailed,
  userAgent,
} from "./sources/http.js";
export { stackExchangeLicence } from "./sources/licence.js";

// @category Export and formats

export { checkExportOut, type ExportTarget } from "./export/export.js";
export { acceptsMetadataColumn } from "./export/export-select.js";
export { sizeCategory } from "./export/hf-dataset.js";
export { exampleTable } from "./storage/schema.js";
export { STUDIO_CSP } from "./studio/server.js";
export {
  BUILTIN_FORMATS,
  defineFormat,
  type ExportFormatDefinition,
  getExportFormat,
  parseRecord,
} from "./training-types/formats.js";
export { FormatFileChecker, GRPO_RESERVED_COLUMNS } from "./training-types/index.js";
export { parseDesirableRatio } from "./training-types/kto.js";
export { type BalancedCandidate, OptionBalancer } from "./training-types/options.js";
