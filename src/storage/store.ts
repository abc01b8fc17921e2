import type {
  Difficulty,
  Plan,
  QuestionStatus,
  ReviewStatus,
  RunStatus,
  SourceFlag,
  TrainingTypeName,
  Usage,
} from "../core/types.js";

/**
 * The storage facade. The pipeline talks to storage only through this interface; it
 * never imports TypeORM. {@link Store} is the union of role interfaces, one per group of
 * tables ({@link RunStore}, {@link QuestionStore}, {@link SourceStore},
 * {@link ExampleStore}, {@link CallLogStore}, {@link BatchStore}) plus
 * {@link StoreLifecycle}. Implementations: {@link sqliteStore} and {@link postgresStore}
 * (`typeorm-store.ts`, one file per role under `typeorm/`), sharing the same entities and
 * migrations.
 */

/** A row of `runs`. */
export interface RunRow {
  id: string;
  request: string;
  trainingType: TrainingTypeName;
  topic: string;
  targetCount: number;
  plan: Plan | null;
  /** The effective, secret-free run configuration (models, budgets, thresholds, sources). */
  config: Record<string, unknown>;
  status: RunStatus;
  stopReason: string | null;
  provider: string;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** Fields needed to create a run. */
export type NewRun = Omit<RunRow, "createdAt" | "updatedAt" | "finishedAt" | "stopReason" | "plan"> & {
  plan?: Plan | null;
};

/** A source a question's context came from, as listed in `questions.context_sources`. */
export interface ContextSource {
  sourceId: string;
  title: string;
  url: string;
  licence: string;
  passages: number;
  /** Warnings about the source's content (e.g. prompt injection); absent when none. */
  flags?: SourceFlag[];
}

/** A row of `questions`: one candidate. */
export interface QuestionRow {
  id: string;
  runId: string;
  topic: string;
  subTopic: string;
  difficulty: Difficulty;
  text: string;
  /** sha256 of the normalised text; exact-duplicate detection. */
  textHash: string;
  status: QuestionStatus;
  /** Word-for-word passages from the sources, each headed by `[source_id]`. */
  groundTruthContext: string | null;
  /** The structured digest a model made from the ground truth. */
  synthesizedContext: Record<string, unknown> | null;
  contextSources: ContextSource[] | null;
  /** Number of revision rounds so far. */
  revisions: number;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * The few columns of a question that deduplication and planning need (no contexts):
 * what {@link QuestionStore.listQuestionKeys} returns.
 */
export type QuestionKey = Pick<QuestionRow, "id" | "subTopic" | "text" | "textHash" | "status">;

/** Fields needed to create a question. */
export type NewQuestion = Pick<
  QuestionRow,
  "id" | "runId" | "topic" | "subTopic" | "difficulty" | "text" | "textHash"
>;

/** Fields of a question that stages update. */
export type QuestionPatch = Partial<
  Pick<QuestionRow, "status" | "groundTruthContext" | "synthesizedContext" | "contextSources" | "revisions">
>;

/** A row of `sources`: one retrieved document with its licence. Shared across runs. */
export interface SourceRow {
  id: string;
  url: string;
  title: string;
  authors: string[];
  published: string | null;
  retrievedAt: Date;
  adapter: string;
  licence: string;
  licenceUrl: string | null;
  isPermissive: boolean;
  attributionRequired: boolean;
  commercialUseAllowed: boolean;
  shareAlike: boolean;
  noDerivatives: boolean;
  licenceEvidence: string;
  contentHash: string;
  /** Warnings about the content (`[]` when screened and clean; `null` for rows never screened). */
  flags: SourceFlag[] | null;
}

/** Fields needed to store a source; `id`, `retrievedAt` and `flags` are assigned when absent. */
export type NewSource = Omit<SourceRow, "id" | "retrievedAt" | "flags"> & {
  id?: string;
  retrievedAt?: Date;
  flags?: SourceFlag[] | null;
};

/** A row of `synthetic_data_<type>`. `data` holds the type's own columns (snake_case). */
export interface ExampleRow {
  id: string;
  runId: string;
  questionId: string;
  trainingType: TrainingTypeName;
  data: Record<string, unknown>;
  model: string;
  provider: string;
  qualityScore: number | null;
  reviewStatus: ReviewStatus;
  /** Ids of the `sources` rows the example is grounded in. */
  sources: string[];
  revision: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Fields needed to store an example. */
export type NewExample = Omit<ExampleRow, "createdAt" | "updatedAt">;

/** Fields of an example that review and revision update. */
export type ExamplePatch = Partial<
  Pick<ExampleRow, "data" | "model" | "qualityScore" | "reviewStatus" | "sources" | "revision">
>;

/** A row of `reviews`: one reviewer verdict. */
export interface ReviewRow {
  id: string;
  runId: string;
  exampleId: string;
  questionId: string;
  trainingType: TrainingTypeName;
  round: number;
  /**
   * The verdict's place in its review (0, 1, ...). With the question and the round it is
   * unique: a round of a candidate is reviewed once.
   */
  seq: number;
  /** `schema`, `judge`, `verifier:<name>`, `fact_check` (one per claim), `final`. */
  kind: string;
  score: number;
  passed: boolean;
  reasons: string[];
  raw: unknown;
  createdAt: Date;
}

/** A row of `failures`: a dropped candidate or a failed step. */
export interface FailureRow {
  id: string;
  runId: string;
  questionId: string | null;
  stage: string;
  reason: string;
  rawOutput: string | null;
  attempt: number;
  createdAt: Date;
  retriedAt: Date | null;
}

/** A row of `llm_calls`: the metering (and cache) record of one model call. */
export interface LlmCallRow {
  id: string;
  runId: string | null;
  role: string;
  model: string;
  provider: string;
  requestHash: string;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  costUsd: number;
  latencyMs: number;
  cached: boolean;
  status: "ok" | "error";
  error: string | null;
  /** The response text, kept for the response cache. */
  response: string | null;
  createdAt: Date;
}

/** A row of `llm_batches`: one Gemini Batch API job submitted for a run (`--batch`). */
export interface LlmBatchRow {
  id: string;
  runId: string;
  /** Agent role of every request in the batch (`generation`, `reviewer`). */
  role: string;
  model: string;
  /** The provider's name of the job (`batches/…`); null until it is submitted. */
  name: string | null;
  /** `submitted`, then `succeeded`, `failed`, `cancelled` or `expired` (terminal). */
  state: string;
  requestCount: number;
  /** One entry per inline request: its key (sent as metadata) and the request hash. */
  requests: Array<{ key: string; requestHash: string }>;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** Options of {@link QuestionStore.claimQuestions}. */
export interface ClaimOptions {
  /** Who claims (a process or worker id); recorded as the lease owner. */
  owner: string;
  /** How long the lease lasts unless renewed. */
  leaseMs: number;
  /** Most candidates to claim now. */
  limit: number;
  /**
   * The run's target N: claims stop when approved + leased (unexpired, not terminal)
   * candidates reach it, so no process ever works on more than N − approved.
   */
  target: number;
  /** Statuses that may be claimed. Default: in-progress ones, then `pending`. */
  statuses?: QuestionStatus[];
  /**
   * Sub-topic quotas of the plan: a new (`pending`) candidate of a sub-topic is claimed
   * only while that sub-topic's approved and leased candidates stay below its quota plus
   * `slack`, and candidates of the sub-topics furthest below their quota come first.
   * Candidates already in work are claimed as before. Without it, pending candidates are
   * claimed oldest first.
   */
  quotas?: { bySubTopic: Record<string, number>; slack: number };
}

/** A runner's lease on one candidate (see {@link QuestionStore.fenced}). */
export interface CandidateLease {
  questionId: string;
  owner: string;
  /** How far a write extends the lease. */
  leaseMs: number;
}

/** Reasons of dropped candidates, grouped by exact text (see {@link ExampleStore.dropReasonCounts}). */
export interface DropReasonCount {
  stage: string;
  reason: string;
  n: number;
}

/** Options for iterating examples in constant memory. */
export interface IterateOptions {
  reviewStatus?: ReviewStatus[];
  batchSize?: number;
}

/**
 * What every store has whatever its role: the engine, connecting and closing, and
 * transactions.
 */
export interface StoreLifecycle {
  /** `sqlite` or `postgres`. */
  readonly kind: "sqlite" | "postgres";
  /** Where the data is, printable (a file path, or a URL with its password redacted). */
  readonly location: string;

  /** Connects and runs pending migrations. Idempotent. */
  init(): Promise<void>;
  close(): Promise<void>;
  /**
   * Runs `fn` in one transaction; the store passed to `fn` writes inside it. On SQLite a
   * transaction that finds the file locked by another process is rolled back and `fn`
   * runs again from the start, so `fn` must only use the store it is given (no other side
   * effects).
   */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
}

/** The `runs` table, and the run's exclusive lock. */
export interface RunStore {
  createRun(run: NewRun): Promise<RunRow>;
  getRun(id: string): Promise<RunRow | null>;
  /** The most recently created run, or null. */
  latestRun(): Promise<RunRow | null>;
  listRuns(limit?: number): Promise<RunRow[]>;
  updateRun(
    id: string,
    patch: Partial<Pick<RunRow, "plan" | "status" | "stopReason" | "finishedAt" | "config">>,
  ): Promise<void>;

  /**
   * Runs `fn` while holding the run's exclusive lock: on PostgreSQL a session advisory
   * lock (held across processes, released if the process dies), on SQLite an in-process
   * lock. Run-scoped stages of a run shared by several workers run under it.
   */
  withRunLock<T>(runId: string, fn: () => Promise<T>): Promise<T>;
}

/** The `questions` table: the candidate queue, its leases, and re-queueing. */
export interface QuestionStore {
  insertQuestions(rows: NewQuestion[]): Promise<void>;
  getQuestion(id: string): Promise<QuestionRow | null>;
  /**
   * Updates a question; one that reaches a terminal status (approved, rejected, failed)
   * loses its lease. Approving is refused with `QUOTA_FULL` when the run already has its
   * target of approved questions (checked in the same transaction, under the run's lock).
   */
  updateQuestion(id: string, patch: QuestionPatch): Promise<void>;
  /** Questions of a run in creation order, optionally filtered by status. */
  listQuestions(
    runId: string,
    filter?: { status?: QuestionStatus[]; subTopic?: string; limit?: number },
  ): Promise<QuestionRow[]>;
  countQuestions(runId: string): Promise<Record<QuestionStatus, number>>;
  /**
   * Id, sub-topic, text, hash and status of every question of a run, in creation order:
   * a light query for the question writer, which must know every question already written
   * (large runs have tens of thousands, each with a large research context).
   */
  listQuestionKeys(runId: string): Promise<QuestionKey[]>;

  /**
   * Re-queues the dropped candidates of a run whose failures were not retried yet: each
   * gets a fresh copy (new id, same question; `researched` with its context when it has
   * one, else `pending`), and its failures get `retried_at`. One transaction.
   */
  requeueFailed(runId: string): Promise<{ requeued: number; failures: number }>;

  /**
   * Claims up to `limit` candidates of a run for `owner` (a lease until `leaseMs` from
   * now), in one transaction that first locks the run (PostgreSQL: `SELECT … FOR NO KEY UPDATE`)
   * and counts approved and leased candidates, so that across every process approved +
   * in work never exceeds `target`. In-progress candidates come first, then `pending`
   * ones in creation order. Expired leases are claimable.
   */
  claimQuestions(runId: string, opts: ClaimOptions): Promise<QuestionRow[]>;
  /**
   * Extends the leases `owner` still holds on these candidates; returns the ids it renewed.
   * A candidate missing from the answer has been claimed by another runner since (its
   * lease had expired): stop work on it.
   */
  renewLeases(ids: string[], owner: string, leaseMs: number): Promise<string[]>;
  /**
   * Runs `fn` in one transaction that first checks and extends the candidate's lease by
   * compare-and-set (`lease_owner = owner`, the fencing token: only a claim changes it, and
   * a claim takes only an expired lease; on PostgreSQL the row stays locked until the
   * commit, so no claim can take it meanwhile). When another runner has claimed the
   * candidate, nothing is written and a `LEASE_LOST` error is thrown: the fence that keeps
   * a runner whose lease expired from writing over another's work. (A lease that lapsed
   * with nobody claiming the candidate is still its owner's; that N is never exceeded is
   * {@link QuestionStore.updateQuestion}'s approval check.)
   */
  fenced<T>(lease: CandidateLease, fn: (tx: Store) => Promise<T>): Promise<T>;
  /** Ends `owner`'s lease on a candidate (a no-op when someone else holds it). */
  releaseQuestion(id: string, owner: string): Promise<void>;
  /** Ends every lease on a run's candidates (a single-process resume after a crash). */
  releaseLeases(runId: string): Promise<number>;
}

/** The `sources` table: retrieved documents with their licences, shared across runs. */
export interface SourceStore {
  /** Inserts sources that are new (by content hash) and returns the stored rows, in input order. */
  upsertSources(rows: NewSource[]): Promise<SourceRow[]>;
  getSources(ids: string[]): Promise<SourceRow[]>;
}

/**
 * The outcome of each candidate: the `synthetic_data_<type>` tables (examples), `reviews`
 * (verdicts) and `failures` (dropped candidates, failed steps).
 */
export interface ExampleStore {
  /**
   * Stores the example of a question. Idempotent per question: a second save for the
   * same `questionId` replaces the first (never two rows for one question).
   */
  saveExample(row: NewExample): Promise<ExampleRow>;
  updateExample(type: TrainingTypeName, id: string, patch: ExamplePatch): Promise<void>;
  getExampleByQuestion(type: TrainingTypeName, questionId: string): Promise<ExampleRow | null>;
  countExamples(runId: string, type: TrainingTypeName): Promise<Record<ReviewStatus, number>>;
  /** Streams a run's examples in id order, `batchSize` rows per query (keyset pagination). */
  iterateExamples(runId: string, type: TrainingTypeName, opts?: IterateOptions): AsyncIterable<ExampleRow>;

  insertReview(row: Omit<ReviewRow, "createdAt">): Promise<void>;
  /** Inserts many reviews (every verdict of one review) in one statement per few hundred rows. */
  insertReviews(rows: Array<Omit<ReviewRow, "createdAt">>): Promise<void>;
  listReviews(exampleId: string): Promise<ReviewRow[]>;

  insertFailure(row: Omit<FailureRow, "createdAt" | "retriedAt">): Promise<void>;
  listFailures(runId: string): Promise<FailureRow[]>;
  /**
   * For every dropped candidate (`rejected` / `failed`, not re-queued) the stage and
   * reason of its latest failure, grouped by exact text, counted in the database.
   */
  dropReasonCounts(runId: string): Promise<DropReasonCount[]>;
}

/** The `llm_calls` table: the metering record of every model call, and the response cache. */
export interface CallLogStore {
  recordLlmCall(row: Omit<LlmCallRow, "createdAt">): Promise<void>;
  /** Inserts many `llm_calls` rows in one transaction (Batch API results). */
  recordLlmCalls(rows: Array<Omit<LlmCallRow, "createdAt">>): Promise<void>;
  /** A previous successful response for the same request hash, or null. */
  cachedLlmResponse(requestHash: string): Promise<string | null>;
  /**
   * The `occurrence`-th (0-based, oldest first) successful, paid (not cached) response
   * recorded for `requestHash`, or null: the response cache's lookup.
   */
  cachedLlmResponseAt(requestHash: string, occurrence: number): Promise<string | null>;
  /** Summed usage of a run's model calls. */
  usage(runId: string): Promise<Usage>;
  /** Number of a run's calls answered from the response cache. */
  countCachedCalls(runId: string): Promise<number>;
}

/** The `llm_batches` table: Gemini Batch API jobs of a run (`--batch`). */
export interface BatchStore {
  saveBatch(row: Omit<LlmBatchRow, "createdAt" | "updatedAt" | "finishedAt">): Promise<void>;
  updateBatch(
    id: string,
    patch: Partial<Pick<LlmBatchRow, "name" | "state" | "error" | "finishedAt">>,
  ): Promise<void>;
  /** A run's batches, oldest first, optionally only those in `states`. */
  listBatches(runId: string, filter?: { states?: string[] }): Promise<LlmBatchRow[]>;
}

/**
 * The storage facade used by the pipeline, the CLI and exporters: every role. A part of
 * the code that needs one role may ask for that role's interface only.
 */
export interface Store
  extends StoreLifecycle,
    RunStore,
    QuestionStore,
    SourceStore,
    ExampleStore,
    CallLogStore,
    BatchStore {}
