import { AsyncLocalStorage } from "node:async_hooks";
import { access, constants as fsConstants, open, stat } from "node:fs/promises";
import { dirname, resolve as resolvePath } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type BetterSqlite3 from "better-sqlite3";
import type {
  DataSourceOptions,
  EntityManager,
  EntityMetadata,
  EntitySchema,
  QueryDeepPartialEntity,
  QueryRunner,
  Logger as TypeormLogger,
} from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata.js";
import { describeError, redactSecrets, SynthforgeError } from "../core/errors.js";
import { checkFolder, makeFolders } from "../core/fs-paths.js";
import { newId } from "../core/ids.js";
import { type Logger, silentLogger } from "../core/logger.js";
import {
  QUESTION_STATUSES,
  type QuestionStatus,
  REVIEW_STATUSES,
  type ReviewStatus,
  TERMINAL_QUESTION_STATUSES,
  type TrainingTypeName,
  type Usage,
} from "../core/types.js";
import {
  buildEntities,
  createRegisteredExampleTables,
  ENTITY_NAMES,
  type ExampleEntity,
  type QuestionLease,
  type StoreKind,
  type SynthforgeEntities,
} from "./entities.js";
import { MIGRATIONS, MIGRATIONS_TABLE } from "./migrations/index.js";
import { AsyncMutex } from "./mutex.js";
import { COMMON_EXAMPLE_COLUMNS, type ColumnSpec, exampleColumns, exampleTable } from "./schema.js";
import type {
  CandidateLease,
  ClaimOptions,
  DropReasonCount,
  ExamplePatch,
  ExampleRow,
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
  ReviewRow,
  RunRow,
  SourceRow,
  Store,
} from "./store.js";
import { DataSource, In, IsNull, MigrationExecutor, MoreThan, Not } from "./typeorm-lazy.js";

/** Options of {@link sqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file (its directory is created when missing), or `:memory:`. */
  path: string;
  /**
   * How long one attempt at a write waits for another process's lock (SQLite's
   * `busy_timeout`). A statement or transaction that still finds the database locked is
   * rolled back and retried whole, with backoff, for up to three times this long in all
   * (at least 3 s) before it fails with `DB_UNREACHABLE`. Default 10 000 ms.
   */
  busyTimeoutMs?: number;
  /**
   * When a commit waits for the disk (SQLite's `synchronous` pragma). `normal` (the
   * default): the write-ahead log is synced at checkpoints, not at every commit; a commit
   * survives the process being killed, and the file is never corrupted, but the last
   * commits before a power loss or an OS crash may be rolled back (a resume redoes their
   * candidates). `full`: every commit is synced before it returns (durable across a power
   * loss), at a few milliseconds per commit that block the run's thread.
   */
  synchronous?: "normal" | "full";
  /** Receives migration messages (info) and driver warnings. Default: silent. */
  logger?: Logger;
}

/** Options of {@link postgresStore}. */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:5432/dbname` (or `postgresql://`). */
  url: string;
  /** Connections in the pool. Default 10. */
  poolSize?: number;
  /** How long to wait for a connection. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Receives migration messages (info) and driver warnings. Default: silent. */
  logger?: Logger;
}

/** In-process run locks (SQLite; PostgreSQL uses advisory locks). */
const RUN_LOCKS = new Map<string, AsyncMutex>();

/** Rows per INSERT: stays far below SQLite's and PostgreSQL's bound-parameter limits. */
const INSERT_CHUNK = 500;
/** Ids per `IN (...)` lookup. */
const LOOKUP_CHUNK = 500;
/** Default rows per query of {@link Store.iterateExamples}. */
const DEFAULT_BATCH = 500;
/** The first 16 bytes of every SQLite 3 database file. */
const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");

/** A transaction in progress: its EntityManager, and whether it is still open. */
interface TxContext {
  manager: EntityManager;
  active: boolean;
}

/**
 * What every store of one database shares (a transaction store shares its parent's).
 *
 * @internal
 */
export interface StoreEngine {
  readonly kind: StoreKind;
  readonly location: string;
  /** Rebuilt when the store connects, so training types registered before `init()` have entities. */
  entities: SynthforgeEntities;
  /** Checks run before connecting (SQLite: the file is a database, its directory exists). */
  readonly preflight: () => Promise<void>;
  readonly dataSourceOptions: (entities: SynthforgeEntities) => DataSourceOptions;
  /** Turns a connection failure into a message (redacted, with a hint). */
  readonly describeConnectError: (e: unknown) => { reason: string; hint: string };
  /** Serialises transactions and writes on SQLite's single connection; null on PostgreSQL. */
  readonly mutex: AsyncMutex | null;
  /** On SQLite: the transaction the current async context runs in, so calls made on the
   * outer store from inside `transaction()` join it instead of waiting for the lock. */
  readonly ambient: AsyncLocalStorage<TxContext> | null;
  /** On SQLite: how long, in all, a statement or transaction is retried while another
   * connection holds the lock; null on PostgreSQL. */
  readonly lockWaitMs: number | null;
  readonly logger: Logger;
  dataSource: DataSource | null;
  initializing: Promise<void> | null;
}

/**
 * The {@link Store} over TypeORM, for SQLite (`better-sqlite3`) and PostgreSQL (`pg`).
 * Create one with {@link sqliteStore}, {@link postgresStore} or {@link openStore}, then
 * call `init()`.
 *
 * Transactions: on PostgreSQL each `transaction()` is a real database transaction on its
 * own pooled connection. On SQLite (one connection) transactions are serialised by an
 * in-process FIFO mutex, and every other call waits for the running transaction, so no
 * statement ever lands in someone else's transaction. On SQLite a call made on the outer
 * store from inside a `transaction()` callback joins that transaction (it could not run
 * anywhere else); on PostgreSQL it runs outside it, on another connection. Keep
 * transactions short (no model calls inside): on SQLite everything else waits for them.
 *
 * Several processes on one SQLite file: every transaction begins `IMMEDIATE`, taking the
 * file's write lock before its first read (a deferred transaction that reads and then
 * writes gets `SQLITE_BUSY` at once, without waiting, when another process wrote in
 * between). A statement or transaction that finds the file locked waits `busyTimeoutMs`,
 * then is rolled back and retried whole with backoff (a transaction's callback runs again
 * from the start, so it must only use the store). A write is never applied twice: a
 * locked statement or transaction has changed nothing.
 */
export class TypeormStore implements Store {
  readonly kind: StoreKind;
  readonly location: string;
  private get e(): SynthforgeEntities {
    return this.engine.entities;
  }

  /** Use {@link sqliteStore}, {@link postgresStore} or {@link openStore}. */
  constructor(
    private readonly engine: StoreEngine,
    private readonly tx: TxContext | null = null,
  ) {
    this.kind = engine.kind;
    this.location = engine.location;
  }

  /**
   * The TypeORM DataSource, for tests and advanced host code (raw queries, schema
   * inspection). Throws before `init()`.
   */
  get dataSource(): DataSource {
    const ds = this.engine.dataSource;
    if (!ds?.isInitialized) throw new Error(`store ${this.location} is not initialised: call init() first`);
    return ds;
  }

  // ---------------------------------------------------------------------------------
  // Lifecycle
  // ---------------------------------------------------------------------------------

  async init(): Promise<void> {
    if (this.tx) return;
    const engine = this.engine;
    if (engine.dataSource?.isInitialized) return;
    engine.initializing ??= connectAndMigrate(engine).catch((e: unknown) => {
      engine.initializing = null;
      throw e;
    });
    await engine.initializing;
  }

  async close(): Promise<void> {
    if (this.tx) return;
    const engine = this.engine;
    if (engine.ambient?.getStore()?.active) {
      // It would wait for the lock its own transaction holds.
      throw new Error(
        "close() was called inside transaction(); close the store after the transaction returns",
      );
    }
    if (engine.initializing) await engine.initializing.catch(() => {});
    const ds = engine.dataSource;
    if (!ds) return;
    const destroy = async () => {
      if (ds.isInitialized) await ds.destroy();
    };
    // Let running transactions finish before the connection goes away.
    if (engine.mutex) await engine.mutex.runExclusive(destroy);
    else await destroy();
    engine.dataSource = null;
    engine.initializing = null;
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.tx) {
      this.assertOpen();
      return fn(this);
    }
    return this.atomic(async (manager) => {
      // SQLite: atomic() already made (and will close) the context of this transaction.
      const joined = this.engine.ambient?.getStore();
      if (joined && joined.manager === manager) return fn(new TypeormStore(this.engine, joined));
      const ctx: TxContext = { manager, active: true };
      try {
        return await fn(new TypeormStore(this.engine, ctx));
      } finally {
        ctx.active = false;
      }
    });
  }

  // ---------------------------------------------------------------------------------
  // Runs
  // ---------------------------------------------------------------------------------

  async createRun(run: NewRun): Promise<RunRow> {
    const now = new Date();
    const row: RunRow = {
      id: run.id,
      request: run.request,
      trainingType: run.trainingType,
      topic: run.topic,
      targetCount: run.targetCount,
      plan: run.plan ?? null,
      config: run.config,
      status: run.status,
      stopReason: null,
      provider: run.provider,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    };
    await this.op((m) =>
      m.createQueryBuilder().insert().into(this.e.run).values(columns(row)).updateEntity(false).execute(),
    );
    return { ...row };
  }

  async getRun(id: string): Promise<RunRow | null> {
    const row = await this.op((m) => m.findOneBy(this.e.run, { id }));
    return row ? toRunRow(row) : null;
  }

  async latestRun(): Promise<RunRow | null> {
    const rows = await this.listRuns(1);
    return rows[0] ?? null;
  }

  /** Runs, newest first; `limit` defaults to 100. */
  async listRuns(limit = 100): Promise<RunRow[]> {
    const rows = await this.op((m) =>
      m.find(this.e.run, { order: { createdAt: "DESC", id: "DESC" }, take: positiveInt(limit, 100) }),
    );
    return rows.map(toRunRow);
  }

  /** Updates a run (a no-op when it does not exist). */
  async updateRun(
    id: string,
    patch: Partial<Pick<RunRow, "plan" | "status" | "stopReason" | "finishedAt" | "config">>,
  ): Promise<void> {
    const values = { ...definedOnly(patch), updatedAt: new Date() };
    await this.op((m) => m.update(this.e.run, { id }, columns<RunRow>(values)));
  }

  // ---------------------------------------------------------------------------------
  // Questions
  // ---------------------------------------------------------------------------------

  /** Inserts questions (status `pending`) in one transaction, in chunks of 500 rows. */
  async insertQuestions(rows: NewQuestion[]): Promise<void> {
    if (rows.length === 0) return;
    const now = new Date();
    const full: QuestionRow[] = rows.map((q) => ({
      id: q.id,
      runId: q.runId,
      topic: q.topic,
      subTopic: q.subTopic,
      difficulty: q.difficulty,
      text: q.text,
      textHash: q.textHash,
      status: "pending",
      groundTruthContext: null,
      synthesizedContext: null,
      contextSources: null,
      revisions: 0,
      createdAt: now,
      updatedAt: now,
    }));
    await this.atomic(async (m) => {
      for (const part of chunks(full, INSERT_CHUNK)) {
        await m
          .createQueryBuilder()
          .insert()
          .into(this.e.question)
          .values(part.map(columns))
          .updateEntity(false)
          .execute();
      }
    });
  }

  async getQuestion(id: string): Promise<QuestionRow | null> {
    const row = await this.op((m) => m.findOneBy(this.e.question, { id }));
    return row ? toQuestionRow(row) : null;
  }

  /**
   * Updates a question (a no-op when it does not exist). Approving one is refused with
   * `QUOTA_FULL` when its run already has its target of approved questions: checked in
   * the same transaction, under the run's row lock on PostgreSQL (the lock claims take),
   * so no interleaving of runners, leases and pauses can approve more than N.
   */
  async updateQuestion(id: string, patch: QuestionPatch): Promise<void> {
    // A question that is done holds no lease (claims count the leased ones).
    const done = patch.status !== undefined && TERMINAL_QUESTION_STATUSES.includes(patch.status);
    const values = {
      ...definedOnly(patch),
      ...(done ? { leaseOwner: null, leaseExpiresAt: null } : {}),
      updatedAt: new Date(),
    };
    if (patch.status !== "approved") {
      await this.op((m) => fastUpdate(m, this.e.question, { id }, values));
      return;
    }
    await this.atomic(async (m) => {
      const q = await m.findOne(this.e.question, { select: { runId: true, status: true }, where: { id } });
      if (q && q.status !== "approved") {
        // NO KEY UPDATE: serialises approvals and claims of the run, and does not conflict
        // with the key-share locks that inserting reviews and failures takes on the run.
        if (this.kind === "postgres")
          await m.query("SELECT id FROM runs WHERE id = $1 FOR NO KEY UPDATE", [q.runId]);
        const run = await m.findOne(this.e.run, { select: { targetCount: true }, where: { id: q.runId } });
        const approved = await m.count(this.e.question, { where: { runId: q.runId, status: "approved" } });
        if (run && approved >= toNumber(run.targetCount))
          throw new SynthforgeError(
            "QUOTA_FULL",
            `Run ${q.runId} already has its ${toNumber(run.targetCount)} approved examples; candidate ${id} was not approved.`,
          );
      }
      await fastUpdate(m, this.e.question, { id }, values);
    });
  }

  async listQuestions(
    runId: string,
    filter: { status?: QuestionStatus[]; subTopic?: string; limit?: number } = {},
  ): Promise<QuestionRow[]> {
    if (filter.status && filter.status.length === 0) return [];
    const rows = await this.op((m) =>
      m.find(this.e.question, {
        where: {
          runId,
          ...(filter.status ? { status: In(filter.status) } : {}),
          ...(filter.subTopic !== undefined ? { subTopic: filter.subTopic } : {}),
        },
        order: { createdAt: "ASC", id: "ASC" },
        ...(filter.limit !== undefined ? { take: positiveInt(filter.limit, 1) } : {}),
      }),
    );
    return rows.map(toQuestionRow);
  }

  async listQuestionKeys(runId: string): Promise<QuestionKey[]> {
    const rows = await this.op((m) =>
      m
        .createQueryBuilder(this.e.question, "q")
        .select("q.id", "id")
        .addSelect("q.subTopic", "subTopic")
        .addSelect("q.text", "text")
        .addSelect("q.textHash", "textHash")
        .addSelect("q.status", "status")
        .where("q.runId = :runId", { runId })
        .orderBy("q.createdAt", "ASC")
        .addOrderBy("q.id", "ASC")
        .getRawMany<QuestionKey>(),
    );
    return rows.map((r) => ({
      id: r.id,
      subTopic: r.subTopic,
      text: r.text,
      textHash: r.textHash,
      status: r.status,
    }));
  }

  async countQuestions(runId: string): Promise<Record<QuestionStatus, number>> {
    const raw = await this.op((m) =>
      m
        .createQueryBuilder(this.e.question, "q")
        .select("q.status", "status")
        .addSelect("COUNT(*)", "n")
        .where("q.runId = :runId", { runId })
        .groupBy("q.status")
        .getRawMany<{ status: string; n: number | string }>(),
    );
    return countsOf(QUESTION_STATUSES, raw);
  }

  // ---------------------------------------------------------------------------------
  // Sources
  // ---------------------------------------------------------------------------------

  /**
   * Inserts the sources whose content hash is new and returns, for every input, the
   * stored row (an existing row keeps its id), in input order.
   */
  async upsertSources(rows: NewSource[]): Promise<SourceRow[]> {
    if (rows.length === 0) return [];
    const now = new Date();
    const byHash = new Map<string, SourceRow>();
    for (const s of rows) {
      if (byHash.has(s.contentHash)) continue;
      byHash.set(s.contentHash, {
        id: s.id ?? newId("src"),
        url: s.url,
        title: s.title,
        authors: s.authors,
        published: s.published ?? null,
        retrievedAt: s.retrievedAt ?? now,
        adapter: s.adapter,
        licence: s.licence,
        licenceUrl: s.licenceUrl ?? null,
        isPermissive: s.isPermissive,
        attributionRequired: s.attributionRequired,
        commercialUseAllowed: s.commercialUseAllowed,
        shareAlike: s.shareAlike,
        noDerivatives: s.noDerivatives,
        licenceEvidence: s.licenceEvidence,
        contentHash: s.contentHash,
        flags: s.flags ?? null,
      });
    }
    const stored = await this.atomic(async (m) => {
      const found = new Map<string, SourceRow>();
      for (const part of chunks([...byHash.values()], INSERT_CHUNK)) {
        // ON CONFLICT (content_hash) DO NOTHING: safe against another process inserting
        // the same document between our check and our insert.
        await m
          .createQueryBuilder()
          .insert()
          .into(this.e.source)
          .values(part.map(columns))
          .orUpdate([], ["content_hash"])
          .updateEntity(false)
          .execute();
        const existing = await m.findBy(this.e.source, { contentHash: In(part.map((s) => s.contentHash)) });
        for (const s of existing) found.set(s.contentHash, toSourceRow(s));
      }
      return found;
    });
    return rows.map((s) => {
      const row = stored.get(s.contentHash);
      if (!row) throw new Error(`source with content hash ${s.contentHash} was not stored`);
      return { ...row };
    });
  }

  /** The sources with these ids, in the order asked (unknown ids are skipped). */
  async getSources(ids: string[]): Promise<SourceRow[]> {
    if (ids.length === 0) return [];
    const byId = new Map<string, SourceRow>();
    for (const part of chunks([...new Set(ids)], LOOKUP_CHUNK)) {
      const rows = await this.op((m) => m.findBy(this.e.source, { id: In(part) }));
      for (const r of rows) byId.set(r.id, toSourceRow(r));
    }
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [{ ...row }] : [];
    });
  }

  // ---------------------------------------------------------------------------------
  // Examples
  // ---------------------------------------------------------------------------------

  /**
   * Stores the example of a question: `INSERT ... ON CONFLICT (question_id) DO UPDATE`.
   * The first save uses `row.id`; a later save for the same question replaces the type
   * columns, model, provider, score, status, sources and revision and keeps the first id
   * and `createdAt`. `row.data` must hold exactly the type's columns (nullable ones may
   * be left out); anything else is a `DB_SCHEMA` error.
   */
  async saveExample(row: NewExample): Promise<ExampleRow> {
    const type = row.trainingType;
    const entity = this.exampleEntity(type);
    const typeValues = exampleColumnValues(type, row.data, "replace");
    const now = new Date();
    const values: ExampleEntity = {
      id: row.id,
      runId: row.runId,
      questionId: row.questionId,
      model: row.model,
      provider: row.provider,
      qualityScore: row.qualityScore,
      reviewStatus: row.reviewStatus,
      sources: row.sources,
      revision: row.revision,
      createdAt: now,
      updatedAt: now,
      ...typeValues,
    };
    // On conflict a revision replaces everything but the row's identity and creation time.
    const overwrite = [
      ...columnsOf(type).map((c) => c.name),
      ...COMMON_EXAMPLE_COLUMNS.filter((c) => !["id", "run_id", "question_id", "created_at"].includes(c)),
    ];
    const saved = await this.atomic(async (m) => {
      await m
        .createQueryBuilder()
        .insert()
        .into(entity)
        .values(columns(values))
        .orUpdate(overwrite, ["question_id"])
        .updateEntity(false)
        .execute();
      return m.findOneBy(entity, { questionId: row.questionId });
    });
    if (!saved) throw new Error(`example of question ${row.questionId} was not stored`);
    return toExampleRow(type, saved);
  }

  /**
   * Updates an example (a no-op when it does not exist). `patch.data` may hold some of
   * the type's columns: those are set (null clears a nullable one), the others are kept.
   */
  async updateExample(type: TrainingTypeName, id: string, patch: ExamplePatch): Promise<void> {
    const entity = this.exampleEntity(type);
    const { data, ...common } = patch;
    const values: Record<string, unknown> = {
      ...definedOnly(common),
      ...(data ? exampleColumnValues(type, data, "patch") : {}),
      updatedAt: new Date(),
    };
    await this.op((m) => fastUpdate(m, entity, { id }, values));
  }

  async getExampleByQuestion(type: TrainingTypeName, questionId: string): Promise<ExampleRow | null> {
    const entity = this.exampleEntity(type);
    const row = await this.op((m) => m.findOneBy(entity, { questionId }));
    return row ? toExampleRow(type, row) : null;
  }

  async countExamples(runId: string, type: TrainingTypeName): Promise<Record<ReviewStatus, number>> {
    const entity = this.exampleEntity(type);
    const raw = await this.op((m) =>
      m
        .createQueryBuilder(entity, "x")
        .select("x.reviewStatus", "status")
        .addSelect("COUNT(*)", "n")
        .where("x.runId = :runId", { runId })
        .groupBy("x.reviewStatus")
        .getRawMany<{ status: string; n: number | string }>(),
    );
    return countsOf(REVIEW_STATUSES, raw);
  }

  /**
   * Streams a run's examples in id order with keyset pagination
   * (`WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?`): memory stays at one batch
   * however many rows there are. Rows written while iterating may or may not be seen.
   */
  async *iterateExamples(
    runId: string,
    type: TrainingTypeName,
    opts: IterateOptions = {},
  ): AsyncIterable<ExampleRow> {
    const entity = this.exampleEntity(type);
    const batch = positiveInt(opts.batchSize ?? DEFAULT_BATCH, DEFAULT_BATCH);
    const statuses = opts.reviewStatus;
    if (statuses && statuses.length === 0) return;
    let after: string | null = null;
    for (;;) {
      const cursor: string | null = after;
      const rows: ExampleEntity[] = await this.op((m) =>
        m.find(entity, {
          where: {
            runId,
            ...(cursor !== null ? { id: MoreThan(cursor) } : {}),
            ...(statuses ? { reviewStatus: In(statuses) } : {}),
          },
          order: { id: "ASC" },
          take: batch,
        }),
      );
      for (const r of rows) yield toExampleRow(type, r);
      const last = rows[rows.length - 1];
      if (rows.length < batch || !last) return;
      after = last.id;
    }
  }

  // ---------------------------------------------------------------------------------
  // Reviews, failures, model calls
  // ---------------------------------------------------------------------------------

  async insertReview(row: Omit<ReviewRow, "createdAt">): Promise<void> {
    const full: ReviewRow = { ...row, raw: row.raw ?? null, createdAt: new Date() };
    await this.op((m) => fastInsert(m, this.e.review, [full]));
  }

  async insertReviews(rows: Array<Omit<ReviewRow, "createdAt">>): Promise<void> {
    if (rows.length === 0) return;
    const now = new Date();
    const full = rows.map((row): ReviewRow => ({ ...row, raw: row.raw ?? null, createdAt: now }));
    await this.atomic((m) => fastInsert(m, this.e.review, full));
  }

  /** Reviews of an example, oldest first. */
  async listReviews(exampleId: string): Promise<ReviewRow[]> {
    const rows = await this.op((m) =>
      m.find(this.e.review, { where: { exampleId }, order: { createdAt: "ASC", id: "ASC" } }),
    );
    return rows.map(toReviewRow);
  }

  async insertFailure(row: Omit<FailureRow, "createdAt" | "retriedAt">): Promise<void> {
    const full: FailureRow = { ...row, createdAt: new Date(), retriedAt: null };
    await this.op((m) => fastInsert(m, this.e.failure, [full]));
  }

  /** Failures of a run, oldest first. */
  async listFailures(runId: string): Promise<FailureRow[]> {
    const rows = await this.op((m) =>
      m.find(this.e.failure, { where: { runId }, order: { createdAt: "ASC", id: "ASC" } }),
    );
    return rows.map(toFailureRow);
  }

  async recordLlmCall(row: Omit<LlmCallRow, "createdAt">): Promise<void> {
    const full: LlmCallRow = { ...row, createdAt: new Date() };
    await this.op((m) => fastInsert(m, this.e.llmCall, [full]));
  }

  /** The newest successful response recorded for `requestHash`, or null. */
  async cachedLlmResponse(requestHash: string): Promise<string | null> {
    const row = await this.op((m) =>
      m.findOne(this.e.llmCall, {
        where: { requestHash, status: "ok", response: Not(IsNull()) },
        order: { createdAt: "DESC", id: "DESC" },
      }),
    );
    return row?.response ?? null;
  }

  /**
   * Usage of a run: the calls actually made (rows with `cached = false`, errors
   * included) and their summed tokens and cost. Answers served from the cache cost
   * nothing and are not counted.
   */
  async usage(runId: string): Promise<Usage> {
    const raw = await this.op((m) =>
      m
        .createQueryBuilder(this.e.llmCall, "c")
        .select("COUNT(*)", "calls")
        .addSelect("COALESCE(SUM(c.inputTokens), 0)", "inputTokens")
        .addSelect("COALESCE(SUM(c.outputTokens), 0)", "outputTokens")
        .addSelect("COALESCE(SUM(c.totalTokens), 0)", "totalTokens")
        .addSelect("COALESCE(SUM(c.costUsd), 0)", "costUsd")
        .where("c.runId = :runId", { runId })
        .andWhere("c.cached = :cached", { cached: false })
        .getRawOne<Record<keyof Usage, number | string | null>>(),
    );
    return {
      calls: toNumber(raw?.calls ?? 0),
      inputTokens: toNumber(raw?.inputTokens ?? 0),
      outputTokens: toNumber(raw?.outputTokens ?? 0),
      totalTokens: toNumber(raw?.totalTokens ?? 0),
      costUsd: toNumber(raw?.costUsd ?? 0),
    };
  }

  // ---------------------------------------------------------------------------------
  // Engine at scale: cache replay, summaries, re-queueing, leases, batches
  // ---------------------------------------------------------------------------------

  async recordLlmCalls(rows: Array<Omit<LlmCallRow, "createdAt">>): Promise<void> {
    if (rows.length === 0) return;
    const now = new Date();
    await this.atomic((m) =>
      fastInsert(
        m,
        this.e.llmCall,
        rows.map((r): LlmCallRow => ({ ...r, createdAt: now })),
      ),
    );
  }

  async cachedLlmResponseAt(requestHash: string, occurrence: number): Promise<string | null> {
    const rows = await this.op((m) =>
      m.find(this.e.llmCall, {
        where: { requestHash, status: "ok", cached: false, response: Not(IsNull()) },
        order: { createdAt: "ASC", id: "ASC" },
        skip: Math.max(0, Math.floor(occurrence)),
        take: 1,
      }),
    );
    return rows[0]?.response ?? null;
  }

  async countCachedCalls(runId: string): Promise<number> {
    return this.op((m) => m.countBy(this.e.llmCall, { runId, cached: true }));
  }

  async dropReasonCounts(runId: string): Promise<DropReasonCount[]> {
    const raw = await this.op((m) =>
      m
        .createQueryBuilder(this.e.failure, "f")
        .innerJoin(ENTITY_NAMES.question, "q", "q.id = f.question_id")
        .select("f.stage", "stage")
        .addSelect("f.reason", "reason")
        .addSelect("COUNT(*)", "n")
        .where("f.run_id = :runId", { runId })
        .andWhere("q.status IN (:...dropped)", { dropped: ["rejected", "failed"] })
        .andWhere("f.retried_at IS NULL")
        // Writes dropped for a lost lease are recorded under `lease`; they are not why a
        // candidate was dropped.
        .andWhere("f.stage <> 'lease'")
        .andWhere(
          "NOT EXISTS (SELECT 1 FROM failures g WHERE g.question_id = f.question_id AND g.stage <> 'lease' AND " +
            "(g.created_at > f.created_at OR (g.created_at = f.created_at AND g.id > f.id)))",
        )
        .groupBy("f.stage")
        .addGroupBy("f.reason")
        .getRawMany<{ stage: string; reason: string; n: number | string }>(),
    );
    return raw.map((r) => ({ stage: r.stage, reason: r.reason, n: toNumber(r.n) }));
  }

  async requeueFailed(runId: string): Promise<{ requeued: number; failures: number }> {
    return this.atomic(async (m) => {
      const open = await m
        .createQueryBuilder(this.e.failure, "f")
        .innerJoin(ENTITY_NAMES.question, "q", "q.id = f.question_id")
        .select("f.id", "id")
        .addSelect("f.question_id", "questionId")
        .where("f.run_id = :runId", { runId })
        .andWhere("f.retried_at IS NULL")
        .andWhere("q.status IN (:...dropped)", { dropped: ["rejected", "failed"] })
        .getRawMany<{ id: string; questionId: string }>();
      if (open.length === 0) return { requeued: 0, failures: 0 };
      const qids = [...new Set(open.map((f) => f.questionId))];
      const now = new Date();
      let requeued = 0;
      for (const part of chunks(qids, LOOKUP_CHUNK)) {
        const rows = await m.findBy(this.e.question, { id: In(part) });
        rows.sort(
          (a, b) => toDate(a.createdAt).getTime() - toDate(b.createdAt).getTime() || (a.id < b.id ? -1 : 1),
        );
        const copies = rows.map((q) => {
          const researched = q.groundTruthContext !== null && q.groundTruthContext !== undefined;
          return columns({
            id: newId("q"),
            runId: q.runId,
            topic: q.topic,
            subTopic: q.subTopic,
            difficulty: q.difficulty,
            text: q.text,
            textHash: q.textHash,
            status: (researched ? "researched" : "pending") as QuestionStatus,
            groundTruthContext: researched ? q.groundTruthContext : null,
            synthesizedContext: researched ? (q.synthesizedContext ?? null) : null,
            contextSources: researched ? (q.contextSources ?? null) : null,
            revisions: 0,
            createdAt: now,
            updatedAt: now,
            leaseOwner: null,
            leaseExpiresAt: null,
          });
        });
        if (copies.length) {
          await m
            .createQueryBuilder()
            .insert()
            .into(this.e.question)
            .values(copies)
            .updateEntity(false)
            .execute();
        }
        requeued += copies.length;
      }
      for (const part of chunks(
        open.map((f) => f.id),
        LOOKUP_CHUNK,
      )) {
        await m.update(this.e.failure, { id: In(part) }, columns<FailureRow>({ retriedAt: now }));
      }
      return { requeued, failures: open.length };
    });
  }

  async claimQuestions(runId: string, opts: ClaimOptions): Promise<QuestionRow[]> {
    const limit = Math.floor(opts.limit);
    if (limit <= 0) return [];
    const statuses = opts.statuses ?? ["researched", "generated", "needs_revision", "pending"];
    if (statuses.length === 0) return [];
    return this.atomic(async (m) => {
      const now = new Date();
      if (this.kind === "postgres") {
        // Serialises the claims of one run across processes: counting and claiming are one step.
        await m.query("SELECT id FROM runs WHERE id = $1 FOR NO KEY UPDATE", [runId]);
      }
      // Each count and read walks an index range (see the claim-indexes migration): a claim
      // costs the same at the 10,000th candidate as at the first.
      const approved = await m.count(this.e.question, { where: { runId, status: "approved" } });
      const leased = await m.count(this.e.question, {
        where: { runId, leaseExpiresAt: MoreThan(now), status: Not(In([...TERMINAL_QUESTION_STATUSES])) },
      });
      const room = opts.target - approved - leased;
      const take = Math.min(limit, room);
      if (take <= 0) return [];
      // Candidates in work first (oldest first), then new ones (pending, oldest first). One
      // read per status, each an ordered walk of the (run, status, created_at, id) index.
      const oldest = async (status: QuestionStatus, n: number) => {
        const qb = m
          .createQueryBuilder(this.e.question, "q")
          .where("q.run_id = :runId AND q.status = :status", { runId, status })
          .andWhere("(q.lease_expires_at IS NULL OR q.lease_expires_at <= :now)", { now })
          .orderBy("q.created_at", "ASC")
          .addOrderBy("q.id", "ASC")
          .limit(n);
        if (this.kind === "postgres") qb.setLock("pessimistic_write").setOnLocked("skip_locked");
        return qb.getMany();
      };
      /**
       * New candidates under sub-topic quotas: per sub-topic, room is quota + slack minus its
       * approved and leased candidates; the sub-topics with the most room below their quota
       * go first (plan order on ties), each giving its oldest pending candidates.
       */
      const pendingByQuota = async (
        n: number,
        quotas: NonNullable<ClaimOptions["quotas"]>,
      ): Promise<QuestionRow[]> => {
        const held = await m
          .createQueryBuilder(this.e.question, "q")
          .select("q.sub_topic", "subTopic")
          .addSelect("COUNT(*)", "n")
          .where("q.run_id = :runId", { runId })
          .andWhere(
            "(q.status = 'approved' OR (q.lease_expires_at > :now AND q.status NOT IN (:...terminal)))",
            { now, terminal: [...TERMINAL_QUESTION_STATUSES] },
          )
          .groupBy("q.sub_topic")
          .getRawMany<{ subTopic: string; n: string | number }>();
        const used = new Map(held.map((h) => [h.subTopic, Number(h.n)]));
        const names = Object.keys(quotas.bySubTopic);
        const order = names
          .map((name, i) => ({ name, i, short: quotas.bySubTopic[name]! - (used.get(name) ?? 0) }))
          .sort((a, b) => b.short - a.short || a.i - b.i);
        const out: QuestionRow[] = [];
        for (const { name, short } of order) {
          const room = Math.min(n - out.length, short + quotas.slack);
          if (room <= 0) continue;
          const qb = m
            .createQueryBuilder(this.e.question, "q")
            .where("q.run_id = :runId AND q.status = :status AND q.sub_topic = :sub", {
              runId,
              status: "pending",
              sub: name,
            })
            .andWhere("(q.lease_expires_at IS NULL OR q.lease_expires_at <= :now)", { now })
            .orderBy("q.created_at", "ASC")
            .addOrderBy("q.id", "ASC")
            .limit(room);
          if (this.kind === "postgres") qb.setLock("pessimistic_write").setOnLocked("skip_locked");
          out.push(...(await qb.getMany()));
          if (out.length >= n) break;
        }
        // Questions of a sub-topic the plan does not name are not held back.
        if (out.length < n) {
          const qb = m
            .createQueryBuilder(this.e.question, "q")
            .where("q.run_id = :runId AND q.status = :status", { runId, status: "pending" })
            .andWhere("(q.lease_expires_at IS NULL OR q.lease_expires_at <= :now)", { now })
            .orderBy("q.created_at", "ASC")
            .addOrderBy("q.id", "ASC")
            .limit(n - out.length);
          if (names.length) qb.andWhere("q.sub_topic NOT IN (:...names)", { names });
          if (this.kind === "postgres") qb.setLock("pessimistic_write").setOnLocked("skip_locked");
          out.push(...(await qb.getMany()));
        }
        return out;
      };
      const byAge = (a: QuestionRow, b: QuestionRow) =>
        a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
      const rows: QuestionRow[] = [];
      for (const status of statuses) if (status !== "pending") rows.push(...(await oldest(status, take)));
      rows.sort(byAge).splice(take);
      if (rows.length < take && statuses.includes("pending")) {
        if (opts.quotas) rows.push(...(await pendingByQuota(take - rows.length, opts.quotas)));
        else rows.push(...(await oldest("pending", take - rows.length)));
      }
      if (rows.length === 0) return [];
      const expires = new Date(now.getTime() + opts.leaseMs);
      await m.update(
        this.e.question,
        { id: In(rows.map((r) => r.id)) },
        columns<QuestionRow & QuestionLease>({ leaseOwner: opts.owner, leaseExpiresAt: expires }),
      );
      return rows.map(toQuestionRow);
    });
  }

  async renewLeases(ids: string[], owner: string, leaseMs: number): Promise<string[]> {
    if (ids.length === 0) return [];
    const held: string[] = [];
    for (const part of chunks(ids, LOOKUP_CHUNK)) {
      await this.atomic(async (m) => {
        const expires = new Date(Date.now() + leaseMs);
        // The owner is the fencing token: a lease that lapsed without anyone claiming the
        // candidate is still this runner's (approvals are capped at N by updateQuestion).
        await m.update(
          this.e.question,
          { id: In(part), leaseOwner: owner },
          columns<QuestionRow & QuestionLease>({ leaseExpiresAt: expires }),
        );
        const rows = await m.find(this.e.question, {
          select: { id: true },
          where: { id: In(part), leaseOwner: owner },
        });
        held.push(...rows.map((r) => r.id));
      });
    }
    return held;
  }

  async fenced<T>(lease: CandidateLease, fn: (tx: Store) => Promise<T>): Promise<T> {
    return this.transaction(async (tx) => {
      const affected = await (tx as TypeormStore).op((m) =>
        fastUpdate(
          m,
          this.e.question,
          { id: lease.questionId, leaseOwner: lease.owner },
          { leaseExpiresAt: new Date(Date.now() + lease.leaseMs) },
        ),
      );
      if (affected !== 1)
        throw new SynthforgeError(
          "LEASE_LOST",
          `The lease on candidate ${lease.questionId} is no longer held by ${lease.owner} (it expired or another runner took the candidate); the write was dropped.`,
          { details: { questionId: lease.questionId, owner: lease.owner } },
        );
      return fn(tx);
    });
  }

  async releaseQuestion(id: string, owner: string): Promise<void> {
    await this.op((m) =>
      fastUpdate(m, this.e.question, { id, leaseOwner: owner }, { leaseOwner: null, leaseExpiresAt: null }),
    );
  }

  async releaseLeases(runId: string): Promise<number> {
    const res = await this.op((m) =>
      m.update(
        this.e.question,
        { runId, leaseOwner: Not(IsNull()) },
        columns<QuestionRow & QuestionLease>({ leaseOwner: null, leaseExpiresAt: null }),
      ),
    );
    return res.affected ?? 0;
  }

  async withRunLock<T>(runId: string, fn: () => Promise<T>): Promise<T> {
    if (this.kind === "postgres") {
      const qr = this.dataSource.createQueryRunner();
      await qr.connect();
      try {
        await qr.query("SELECT pg_advisory_lock(hashtext($1))", [`synthforge:${runId}`]);
        try {
          return await fn();
        } finally {
          await qr
            .query("SELECT pg_advisory_unlock(hashtext($1))", [`synthforge:${runId}`])
            .catch(() => undefined);
        }
      } finally {
        await qr.release();
      }
    }
    let lock = RUN_LOCKS.get(runId);
    if (!lock) {
      lock = new AsyncMutex();
      RUN_LOCKS.set(runId, lock);
    }
    try {
      return await lock.runExclusive(fn);
    } finally {
      if (lock.pending === 0) RUN_LOCKS.delete(runId);
    }
  }

  async saveBatch(row: Omit<LlmBatchRow, "createdAt" | "updatedAt" | "finishedAt">): Promise<void> {
    const now = new Date();
    const full: LlmBatchRow = { ...row, createdAt: now, updatedAt: now, finishedAt: null };
    await this.op((m) =>
      m
        .createQueryBuilder()
        .insert()
        .into(this.e.llmBatch)
        .values(columns(full))
        .updateEntity(false)
        .execute(),
    );
  }

  async updateBatch(
    id: string,
    patch: Partial<Pick<LlmBatchRow, "name" | "state" | "error" | "finishedAt">>,
  ): Promise<void> {
    await this.op((m) =>
      m.update(
        this.e.llmBatch,
        { id },
        columns<LlmBatchRow>({ ...definedOnly(patch), updatedAt: new Date() }),
      ),
    );
  }

  async listBatches(runId: string, filter: { states?: string[] } = {}): Promise<LlmBatchRow[]> {
    if (filter.states && filter.states.length === 0) return [];
    const rows = await this.op((m) =>
      m.find(this.e.llmBatch, {
        where: { runId, ...(filter.states ? { state: In(filter.states) } : {}) },
        order: { createdAt: "ASC", id: "ASC" },
      }),
    );
    return rows.map((r) => ({
      id: r.id,
      runId: r.runId,
      role: r.role,
      model: r.model,
      name: r.name ?? null,
      state: r.state,
      requestCount: toNumber(r.requestCount),
      requests: typeof r.requests === "string" ? JSON.parse(r.requests) : (r.requests ?? []),
      error: r.error ?? null,
      createdAt: toDate(r.createdAt),
      updatedAt: toDate(r.updatedAt),
      finishedAt: toDateOrNull(r.finishedAt),
    }));
  }

  // ---------------------------------------------------------------------------------
  // Internals
  // ---------------------------------------------------------------------------------

  /**
   * Runs `fn` as one statement of this store runs: in its transaction, else (SQLite)
   * under the store's lock. For raw reads that skip entity building (`example-pages.ts`).
   *
   * @internal
   */
  withStatement<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.op(fn);
  }

  private exampleEntity(type: TrainingTypeName) {
    const entity = this.e.examples[type];
    if (!entity)
      throw new SynthforgeError(
        "UNKNOWN_TRAINING_TYPE",
        exampleColumns(type)
          ? `Training type "${String(type)}" was registered after the store was opened: register it (or load its plugin) before init().`
          : `No table for training type "${String(type)}".`,
      );
    return entity;
  }

  private assertOpen(): void {
    if (this.tx && !this.tx.active) {
      throw new Error("this transaction store was used after its transaction() callback returned");
    }
  }

  private requireDataSource(): DataSource {
    return this.dataSource;
  }

  /** Runs one statement: in this store's transaction, else (SQLite) under the lock. */
  private async op<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    if (this.tx) {
      this.assertOpen();
      return fn(this.tx.manager);
    }
    const { mutex, ambient } = this.engine;
    if (mutex && ambient) {
      const joined = ambient.getStore();
      if (joined?.active) return fn(joined.manager);
      // One statement in autocommit mode: when it finds the file locked it has changed
      // nothing, and runs again.
      return this.whileLocked(() => mutex.runExclusive(() => fn(this.requireDataSource().manager)));
    }
    return fn(this.requireDataSource().manager);
  }

  /** Runs several statements atomically: in this store's transaction, else in a new one. */
  private async atomic<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    if (this.tx) {
      this.assertOpen();
      return fn(this.tx.manager);
    }
    const { mutex, ambient } = this.engine;
    if (mutex && ambient) {
      const joined = ambient.getStore();
      if (joined?.active) return fn(joined.manager);
      // The whole transaction runs again when it finds the file locked: it was rolled back.
      return this.whileLocked(() =>
        mutex.runExclusive(async () => {
          const ds = this.requireDataSource();
          try {
            // BEGIN IMMEDIATE (see beginImmediate): the write lock is taken here, before any read.
            return await ds.manager.transaction(async (manager) => {
              const ctx: TxContext = { manager, active: true };
              try {
                return await ambient.run(ctx, () => fn(manager));
              } finally {
                ctx.active = false;
              }
            });
          } catch (e) {
            settleSqliteTransaction(ds);
            throw e;
          }
        }),
      );
    }
    return this.requireDataSource().manager.transaction(fn);
  }

  /** SQLite: runs `attempt` again, with backoff, while the database is locked by another connection. */
  private whileLocked<T>(attempt: () => Promise<T>): Promise<T> {
    const { lockWaitMs, logger, location } = this.engine;
    return lockWaitMs === null ? attempt() : retryWhileLocked(attempt, { lockWaitMs, logger, location });
  }
}

// -------------------------------------------------------------------------------------
// Factories
// -------------------------------------------------------------------------------------

/**
 * A store in a SQLite file (created with its directory when missing), through TypeORM's
 * `better-sqlite3` driver: WAL journal, `busy_timeout`, foreign keys on, transactions
 * that begin `IMMEDIATE` and are retried while another process holds the lock (several
 * processes can share the file; see {@link TypeormStore}). Call `init()`
 * before use. A file that exists but is not a SQLite database is refused (`DB_SCHEMA`)
 * before anything is written to it.
 */
export function sqliteStore(opts: SqliteStoreOptions): TypeormStore {
  const given = opts.path.trim();
  if (!given)
    throw new SynthforgeError("DB_URL_INVALID", `An empty SQLite path was given. ${ACCEPTED_TARGETS}`);
  const memory = given === ":memory:";
  const file = memory ? given : resolvePath(given);
  const busyTimeoutMs = Math.max(0, Math.floor(opts.busyTimeoutMs ?? 10_000));
  const synchronous = opts.synchronous === "full" ? "FULL" : "NORMAL";
  const lockWaitMs = Math.max(3 * busyTimeoutMs, 3_000);
  const logger = opts.logger ?? silentLogger;
  const entities = buildEntities("sqlite");
  return new TypeormStore({
    kind: "sqlite",
    location: file,
    entities,
    preflight: () => (memory ? Promise.resolve() : checkSqliteFile(file)),
    dataSourceOptions: (current) => ({
      type: "better-sqlite3",
      database: file,
      entities: current.all,
      migrations: MIGRATIONS,
      migrationsTableName: MIGRATIONS_TABLE,
      migrationsRun: false,
      synchronize: false,
      logger: typeormLogger(logger),
      enableWAL: !memory,
      timeout: busyTimeoutMs,
      prepareDatabase: async (db: BetterSqlite3.Database) => {
        db.pragma(`busy_timeout = ${busyTimeoutMs}`);
        db.pragma("foreign_keys = ON");
        if (memory) return;
        // In WAL mode NORMAL keeps the file consistent and every commit across a crash of
        // the process; FULL also syncs each commit to disk (milliseconds each, on the run's thread).
        db.pragma(`synchronous = ${synchronous}`);
        // Switching a new file to WAL takes an exclusive lock, which several processes
        // opening it at once contend for (TypeORM's own switch afterwards is then a no-op).
        try {
          await retryWhileLocked(async () => db.pragma("journal_mode = WAL"), {
            lockWaitMs,
            logger,
            location: file,
          });
        } catch (e) {
          db.close();
          throw e;
        }
      },
    }),
    describeConnectError: (e) => ({
      reason: describeError(e),
      hint: "Check that the path is a writable SQLite database file (or a new file in a writable directory).",
    }),
    logger,
    mutex: new AsyncMutex(),
    ambient: new AsyncLocalStorage<TxContext>(),
    lockWaitMs,
    dataSource: null,
    initializing: null,
  });
}

/**
 * A store in a PostgreSQL database, through TypeORM's `postgres` driver (`pg`). Call
 * `init()` before use; it connects and runs pending migrations. `location` is the URL
 * with its password redacted, and no error message ever contains the password.
 */
export function postgresStore(opts: PostgresStoreOptions): TypeormStore {
  const url = opts.url.trim();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SynthforgeError(
      "DB_URL_INVALID",
      `"${redactDbUrl(url)}" is not a valid URL. ${ACCEPTED_TARGETS}`,
    );
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new SynthforgeError(
      "DB_URL_INVALID",
      `"${redactDbUrl(url)}" is not a PostgreSQL URL. ${ACCEPTED_TARGETS}`,
    );
  }
  const location = redactDbUrl(url);
  const entities = buildEntities("postgres");
  return new TypeormStore({
    kind: "postgres",
    location,
    entities,
    preflight: () => Promise.resolve(),
    dataSourceOptions: (current) => ({
      type: "postgres",
      url,
      entities: current.all,
      migrations: MIGRATIONS,
      migrationsTableName: MIGRATIONS_TABLE,
      migrationsRun: false,
      synchronize: false,
      logger: typeormLogger(opts.logger ?? silentLogger),
      installExtensions: false,
      applicationName: "synthforge",
      poolSize: opts.poolSize ?? 10,
      connectTimeoutMS: opts.connectTimeoutMs ?? 10_000,
    }),
    // The URL's password field is redacted, never the same characters elsewhere in the message.
    describeConnectError: (e) => ({ reason: redactSecrets(pgReason(e)), hint: pgHint(e) }),
    logger: opts.logger ?? silentLogger,
    mutex: null,
    ambient: null,
    lockWaitMs: null,
    dataSource: null,
    initializing: null,
  });
}

const ACCEPTED_TARGETS =
  "Use a SQLite file path (./synthforge.db, sqlite:./synthforge.db, sqlite::memory:) " +
  "or a PostgreSQL URL (postgres://user:password@host:5432/dbname or postgresql://...).";

/**
 * Opens the store `target` names, without connecting (call `init()`):
 * `postgres://...` / `postgresql://...` → PostgreSQL; `sqlite:<path>`, `sqlite://<path>`
 * or a plain file path → SQLite. Any other scheme (`mysql://`, `http://`, ...) throws
 * `DB_URL_INVALID`.
 */
export function openStore(target: string): TypeormStore {
  const t = target.trim();
  if (!t) throw new SynthforgeError("DB_URL_INVALID", `No database was given. ${ACCEPTED_TARGETS}`);
  if (/^postgres(?:ql)?:\/\//i.test(t)) return postgresStore({ url: t });
  if (/^sqlite:/i.test(t)) {
    let path = t.slice("sqlite:".length);
    if (path.startsWith("//")) path = path.slice(2);
    if (!path) throw new SynthforgeError("DB_URL_INVALID", `"${t}" names no file. ${ACCEPTED_TARGETS}`);
    return sqliteStore({ path });
  }
  // A scheme of two letters or more (one letter would be a Windows drive: C:\data.db).
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(t);
  if (scheme) {
    throw new SynthforgeError(
      "DB_URL_INVALID",
      `Unsupported database "${redactDbUrl(t)}" (scheme "${scheme[1]}:"). ${ACCEPTED_TARGETS}`,
    );
  }
  return sqliteStore({ path: t });
}

/**
 * A printable form of a database URL: the password (and any password-like query
 * parameter) replaced by `[redacted]`.
 */
export function redactDbUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return redactSecrets(url);
  }
  if (!u.host && !u.username) return redactSecrets(url);
  const auth = u.username || u.password ? `${u.username}${u.password ? ":[redacted]" : ""}@` : "";
  const params = [...u.searchParams].map(
    ([k, v]) => `${k}=${/pass|secret|token|key/i.test(k) ? "[redacted]" : v}`,
  );
  return `${u.protocol}//${auth}${u.host}${u.pathname}${params.length ? `?${params.join("&")}` : ""}`;
}

// -------------------------------------------------------------------------------------
// Connecting
// -------------------------------------------------------------------------------------

async function connectAndMigrate(engine: StoreEngine): Promise<void> {
  await engine.preflight();
  engine.entities = buildEntities(engine.kind);
  const ds = new DataSource(engine.dataSourceOptions(engine.entities));
  try {
    await ds.initialize();
  } catch (e) {
    const { reason, hint } = engine.describeConnectError(e);
    throw new SynthforgeError("DB_UNREACHABLE", `${engine.location}: ${reason}. ${hint}`, {
      // The pg error could, in principle, carry connection details; keep only its code.
      ...(engine.kind === "sqlite" ? { cause: e } : { details: { code: errorCode(e) ?? null } }),
    });
  }
  if (engine.kind === "sqlite") beginImmediate(ds);
  try {
    const applied = await migrateOnce(ds, engine);
    for (const m of applied) engine.logger.info(`${engine.location}: applied database migration ${m.name}`);
    for (const table of await createRegisteredExampleTables(ds, engine.kind))
      engine.logger.info(`${engine.location}: created table ${table} for a registered training type`);
    const known = new Set(MIGRATIONS.map((M) => new M().name));
    const executed = await new MigrationExecutor(ds).getExecutedMigrations();
    const newer = executed.filter((m) => !known.has(m.name)).map((m) => m.name);
    if (newer.length > 0) {
      throw new SynthforgeError(
        "DB_SCHEMA",
        `${engine.location}: the database was migrated by a newer synthforge (${newer.join(", ")}). ` +
          "Upgrade synthforge to use it.",
      );
    }
  } catch (e) {
    await ds.destroy().catch(() => {});
    if (e instanceof SynthforgeError) throw e;
    throw new SynthforgeError(
      "DB_SCHEMA",
      `${engine.location}: could not create or update the synthforge tables: ${describeError(e)}. ` +
        "If the database belongs to another application, give synthforge its own database.",
      engine.kind === "sqlite" ? { cause: e } : undefined,
    );
  }
  engine.dataSource = ds;
}

/**
 * Runs the pending migrations when several processes open a new database at once (three
 * `synthforge worker`s, two `generate`s on one SQLite file): on PostgreSQL under an
 * advisory lock, so one process migrates and the others find nothing left to do; on
 * SQLite in one `BEGIN IMMEDIATE` transaction that holds the write lock from before it
 * reads which migrations are applied until they are all applied, so the processes take
 * turns (retried while the file is locked) and the later ones find nothing left to do.
 */
async function migrateOnce(ds: DataSource, engine: StoreEngine): Promise<Array<{ name: string }>> {
  if (engine.kind === "postgres") {
    const lock = ds.createQueryRunner();
    await lock.connect();
    try {
      await lock.query("SELECT pg_advisory_lock(hashtext('synthforge:migrations'))");
      return await ds.runMigrations({ transaction: "all" });
    } finally {
      await lock.query("SELECT pg_advisory_unlock(hashtext('synthforge:migrations'))").catch(() => undefined);
      await lock.release();
    }
  }
  const runner = ds.createQueryRunner(); // the driver's one runner, on its one connection
  const migrate = async () => {
    // Foreign keys off (TypeORM rebuilds a table to alter it): a no-op inside a transaction.
    await runner.beforeMigration();
    try {
      await runner.startTransaction();
      try {
        // TypeORM runs them inside the transaction already open on its runner.
        const applied = await ds.runMigrations({ transaction: "all" });
        await runner.commitTransaction();
        return applied;
      } catch (e) {
        await runner.rollbackTransaction().catch(() => undefined);
        throw e;
      }
    } catch (e) {
      settleSqliteTransaction(ds);
      throw e;
    } finally {
      await runner.afterMigration();
    }
  };
  try {
    return await retryWhileLocked(migrate, {
      lockWaitMs: engine.lockWaitMs ?? 0,
      logger: engine.logger,
      location: engine.location,
    });
  } catch (e) {
    // Another process applied them after all (an older synthforge migrating without the lock).
    if (await ds.showMigrations().catch(() => true)) throw e;
    return [];
  }
}

// -------------------------------------------------------------------------------------
// SQLite: locks held by other processes
// -------------------------------------------------------------------------------------

/** Attempts of a statement or transaction that found the database locked, at most. */
const LOCKED_ATTEMPTS = 12;
/** The pause after the first locked attempt; it doubles after each one, up to the max. */
const LOCKED_FIRST_PAUSE_MS = 20;
const LOCKED_MAX_PAUSE_MS = 1_000;

/** The driver error of `e` (TypeORM wraps it in a `QueryFailedError`), or `e`. */
function driverErrorOf(e: unknown): unknown {
  if (e && typeof e === "object" && "driverError" in e) return (e as { driverError: unknown }).driverError;
  return e;
}

/**
 * True for SQLite's "another connection holds the lock" errors (`SQLITE_BUSY`,
 * `SQLITE_BUSY_SNAPSHOT`, `SQLITE_LOCKED`, ..., "database is locked"), raised by the
 * driver before the statement changed anything. Errors of synthforge itself are never.
 */
function isSqliteLockedError(e: unknown): boolean {
  const d = driverErrorOf(e);
  if (!(d instanceof Error) || d instanceof SynthforgeError) return false;
  const code = errorCode(d);
  if (code !== undefined) return /^SQLITE_(BUSY|LOCKED)(_|$)/.test(code);
  return /\bdatabase (table )?is (locked|busy)\b/i.test(d.message);
}

/**
 * Runs `attempt` until it does not fail with a {@link isSqliteLockedError lock error}:
 * after each, a jittered pause (20 ms doubling to 1 s), while fewer than
 * {@link LOCKED_ATTEMPTS} were made and less than `lockWaitMs` has passed. `attempt` must
 * have changed nothing when it fails that way: a statement in autocommit mode, or a
 * whole transaction (rolled back). Then fails with `DB_UNREACHABLE`.
 */
async function retryWhileLocked<T>(
  attempt: () => Promise<T>,
  opts: { lockWaitMs: number; logger: Logger; location: string },
): Promise<T> {
  const started = Date.now();
  for (let n = 1; ; n += 1) {
    try {
      return await attempt();
    } catch (e) {
      if (!isSqliteLockedError(e)) throw e;
      const waited = Date.now() - started;
      if (n >= LOCKED_ATTEMPTS || waited >= opts.lockWaitMs) {
        const code = errorCode(driverErrorOf(e)) ?? "SQLITE_BUSY";
        throw new SynthforgeError(
          "DB_UNREACHABLE",
          `${opts.location}: the database stayed locked by another connection (${code}) for ${(waited / 1000).toFixed(1)} s, over ${n} attempts; none of them wrote anything. ` +
            "Another process holds a long write transaction on it (a database browser, a backup, a stuck process); let it finish, then resume the run.",
          { cause: e, details: { code, attempts: n, waitedMs: waited } },
        );
      }
      const pause = Math.min(LOCKED_MAX_PAUSE_MS, LOCKED_FIRST_PAUSE_MS * 2 ** (n - 1));
      const ms = Math.round(pause / 2 + (Math.random() * pause) / 2);
      opts.logger.debug(`${opts.location}: database is locked (attempt ${n}); retrying in ${ms} ms`);
      await delay(ms);
    }
  }
}

/**
 * Makes every transaction TypeORM begins on this SQLite DataSource `BEGIN IMMEDIATE`
 * (TypeORM's better-sqlite3 driver issues a deferred `BEGIN TRANSACTION`). A deferred
 * transaction takes the write lock at its first write: in WAL mode, when another process
 * wrote since the transaction's first read, that write fails with `SQLITE_BUSY` at once,
 * without the busy timeout (waiting could not help: its snapshot is stale). An immediate
 * one waits for the write lock up front, under the busy timeout, and cannot fail that way.
 */
function beginImmediate(ds: DataSource): void {
  const runner: QueryRunner = ds.createQueryRunner(); // the driver's one runner
  const query = runner.query.bind(runner) as (sql: string, ...rest: unknown[]) => Promise<unknown>;
  runner.query = ((sql: string, ...rest: unknown[]) =>
    query(
      sql === "BEGIN TRANSACTION" ? "BEGIN IMMEDIATE TRANSACTION" : sql,
      ...rest,
    )) as QueryRunner["query"];
}

/**
 * After a SQLite transaction failed: leaves no transaction open on the connection (it
 * would keep the write lock from every other process) and TypeORM's runner agreeing
 * with the connection (a `BEGIN` that failed leaves the runner believing a transaction
 * is active, and TypeORM would then run a later migration's statements outside any).
 */
function settleSqliteTransaction(ds: DataSource): void {
  const db = (ds.driver as unknown as { databaseConnection?: BetterSqlite3.Database }).databaseConnection;
  if (!db?.open) return;
  if (db.inTransaction) {
    try {
      db.exec("ROLLBACK");
    } catch {
      // Reported by the caller's error; the check below leaves the runner as it is.
    }
  }
  if (db.inTransaction) return;
  const runner = ds.createQueryRunner() as unknown as {
    isTransactionActive: boolean;
    transactionDepth: number;
  };
  runner.isTransactionActive = false;
  runner.transactionDepth = 0;
}

/** TypeORM's log calls routed to a synthforge {@link Logger} (TypeORM would print to stdout). */
function typeormLogger(log: Logger): TypeormLogger {
  const short = (q: string) => (q.length > 300 ? `${q.slice(0, 300)}...` : q);
  return {
    logQuery() {},
    logQueryError(error, query) {
      log.debug(`query failed: ${describeError(error)}`, { query: short(query) });
    },
    logQuerySlow(time, query) {
      log.warn(`slow query (${time} ms)`, { query: short(query) });
    },
    logSchemaBuild(message) {
      log.debug(message);
    },
    logMigration(message) {
      log.info(`database migration: ${message}`);
    },
    log(level, message) {
      const text = redactSecrets(String(message));
      if (level === "warn") log.warn(text);
      else log.debug(text);
    },
  };
}

/**
 * Refuses a file that exists but is not a SQLite database, before anything opens it
 * (so it is never modified), and creates the parent directory of a new file.
 */
async function checkSqliteFile(file: string): Promise<void> {
  let size: number | null = null;
  try {
    const st = await stat(file);
    if (st.isDirectory()) {
      throw new SynthforgeError(
        "DB_UNREACHABLE",
        `${file}: is a directory, not a SQLite database file. Give a file path, e.g. ${file}/synthforge.db.`,
      );
    }
    size = st.size;
  } catch (e) {
    if (e instanceof SynthforgeError) throw e;
    if (errorCode(e) !== "ENOENT") {
      throw new SynthforgeError(
        "DB_UNREACHABLE",
        `${file}: ${describeError(e)}. Check the path and its permissions.`,
        {
          cause: e,
        },
      );
    }
  }
  if (size === null) {
    // Folder by folder: a recursive mkdir spins for ever on a path it cannot create (/proc/x).
    makeFolders(checkFolder(dirname(file), "DB_UNREACHABLE", file), "DB_UNREACHABLE", file);
    return;
  }
  await checkWritable(file);
  if (size === 0) return; // SQLite treats an empty file as an empty database.
  const header = Buffer.alloc(SQLITE_HEADER.length);
  let read = 0;
  try {
    const fh = await open(file, "r");
    try {
      ({ bytesRead: read } = await fh.read(header, 0, header.length, 0));
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new SynthforgeError(
      "DB_UNREACHABLE",
      `${file}: cannot read it: ${describeError(e)}. Check its permissions.`,
      {
        cause: e,
      },
    );
  }
  if (read < header.length || !header.equals(SQLITE_HEADER)) {
    throw new SynthforgeError(
      "DB_SCHEMA",
      `${file}: is not a SQLite database (it does not start with the SQLite file header); it was left unchanged. ` +
        "Point synthforge at a new file or at an existing synthforge database.",
    );
  }
}

/**
 * SQLite writes the database file and its -wal/-shm journal beside it: a read-only file
 * (or folder) would open read-only, fail at the first write and leave the journal behind.
 */
async function checkWritable(file: string): Promise<void> {
  const journal = await Promise.all(
    [`${file}-wal`, `${file}-shm`].map((j) =>
      access(j, fsConstants.W_OK).then(
        () => true,
        () => false,
      ),
    ),
  );
  const paths: Array<[string, string]> = [[file, "the database file"]];
  if (!journal.every(Boolean)) paths.push([dirname(file), "its folder"]);
  for (const [path, what] of paths) {
    try {
      await access(path, fsConstants.W_OK);
    } catch (e) {
      throw new SynthforgeError(
        "DB_UNREACHABLE",
        `${file}: ${what} is read-only (${errorCode(e) ?? describeError(e)}); synthforge writes to the database and keeps its -wal/-shm journal beside it. ` +
          "Make it writable (chmod u+w) or copy the database to a folder you can write to; it was left unchanged.",
        { cause: e },
      );
    }
  }
}

function errorCode(e: unknown): string | undefined {
  if (e && typeof e === "object" && "code" in e && typeof (e as { code: unknown }).code === "string") {
    return (e as { code: string }).code;
  }
  return undefined;
}

/** The reason of a pg connection error; Node's AggregateError (IPv4 + IPv6) has no message. */
function pgReason(e: unknown): string {
  if (e instanceof AggregateError && !e.message) {
    const inner = e.errors.find((x): x is Error => x instanceof Error);
    return inner ? describeError(inner) : (errorCode(e) ?? "connection failed");
  }
  const text = describeError(e);
  return text || errorCode(e) || "connection failed";
}

function pgHint(e: unknown): string {
  const code = errorCode(e) ?? (e instanceof AggregateError ? errorCode(e.errors[0]) : undefined);
  switch (code) {
    case "ECONNREFUSED":
      return "Nothing accepts connections there: check that PostgreSQL is running and the host and port are right.";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "Check the host name in the URL.";
    case "ETIMEDOUT":
      return "Check the host, the port and any firewall in between.";
    case "28P01":
    case "28000":
      return "Check the user name and password in the URL.";
    case "3D000":
      return "Create the database first (createdb <name>) or fix its name in the URL.";
    default:
      if (/timeout/i.test(describeError(e))) return "Check the host, the port and any firewall in between.";
      return "Check the URL and that the PostgreSQL server is running and accepts connections.";
  }
}

// -------------------------------------------------------------------------------------
// Row mapping
// -------------------------------------------------------------------------------------

function toNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string" && v.trim() !== "") return Number(v);
  return 0;
}

function toNumberOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : toNumber(v);
}

function toBoolean(v: unknown): boolean {
  return v === true || v === 1 || v === "1" || v === "t" || v === "true";
}

function toDate(v: unknown): Date {
  if (v instanceof Date) return v;
  if (typeof v === "string" || typeof v === "number") {
    // SQLite text without a zone is UTC.
    if (typeof v === "string" && /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(v)) {
      return new Date(`${v.replace(" ", "T")}Z`);
    }
    return new Date(v);
  }
  return new Date(Number.NaN);
}

function toDateOrNull(v: unknown): Date | null {
  return v === null || v === undefined ? null : toDate(v);
}

function toRunRow(r: RunRow): RunRow {
  return {
    id: r.id,
    request: r.request,
    trainingType: r.trainingType,
    topic: r.topic,
    targetCount: toNumber(r.targetCount),
    plan: r.plan ?? null,
    config: r.config ?? {},
    status: r.status,
    stopReason: r.stopReason ?? null,
    provider: r.provider,
    createdAt: toDate(r.createdAt),
    updatedAt: toDate(r.updatedAt),
    finishedAt: toDateOrNull(r.finishedAt),
  };
}

function toQuestionRow(r: QuestionRow): QuestionRow {
  return {
    id: r.id,
    runId: r.runId,
    topic: r.topic,
    subTopic: r.subTopic,
    difficulty: r.difficulty,
    text: r.text,
    textHash: r.textHash,
    status: r.status,
    groundTruthContext: r.groundTruthContext ?? null,
    synthesizedContext: r.synthesizedContext ?? null,
    contextSources: r.contextSources ?? null,
    revisions: toNumber(r.revisions),
    createdAt: toDate(r.createdAt),
    updatedAt: toDate(r.updatedAt),
  };
}

function toSourceRow(r: SourceRow): SourceRow {
  return {
    id: r.id,
    url: r.url,
    title: r.title,
    authors: r.authors ?? [],
    published: r.published ?? null,
    retrievedAt: toDate(r.retrievedAt),
    adapter: r.adapter,
    licence: r.licence,
    licenceUrl: r.licenceUrl ?? null,
    isPermissive: toBoolean(r.isPermissive),
    attributionRequired: toBoolean(r.attributionRequired),
    commercialUseAllowed: toBoolean(r.commercialUseAllowed),
    shareAlike: toBoolean(r.shareAlike),
    noDerivatives: toBoolean(r.noDerivatives),
    licenceEvidence: r.licenceEvidence,
    contentHash: r.contentHash,
    flags: r.flags ?? null,
  };
}

/** The type-specific columns of a type's table; `UNKNOWN_TRAINING_TYPE` for a type with none. */
function columnsOf(type: TrainingTypeName): ColumnSpec[] {
  const cols = exampleColumns(type);
  if (!cols)
    throw new SynthforgeError("UNKNOWN_TRAINING_TYPE", `No table for training type "${String(type)}".`);
  return cols;
}

function toExampleRow(type: TrainingTypeName, r: ExampleEntity): ExampleRow {
  const data: Record<string, unknown> = {};
  for (const spec of columnsOf(type)) {
    const v = r[spec.name];
    if (v === null || v === undefined) data[spec.name] = null;
    else if (spec.kind === "real" || spec.kind === "integer") data[spec.name] = toNumber(v);
    else if (spec.kind === "boolean") data[spec.name] = toBoolean(v);
    else data[spec.name] = v;
  }
  return {
    id: r.id,
    runId: r.runId,
    questionId: r.questionId,
    trainingType: type,
    data,
    model: r.model,
    provider: r.provider,
    qualityScore: toNumberOrNull(r.qualityScore),
    reviewStatus: r.reviewStatus as ReviewStatus,
    sources: r.sources ?? [],
    revision: toNumber(r.revision),
    createdAt: toDate(r.createdAt),
    updatedAt: toDate(r.updatedAt),
  };
}

function toReviewRow(r: ReviewRow): ReviewRow {
  return {
    id: r.id,
    runId: r.runId,
    exampleId: r.exampleId,
    questionId: r.questionId,
    trainingType: r.trainingType,
    round: toNumber(r.round),
    seq: toNumber(r.seq),
    kind: r.kind,
    score: toNumber(r.score),
    passed: toBoolean(r.passed),
    reasons: r.reasons ?? [],
    raw: r.raw ?? null,
    createdAt: toDate(r.createdAt),
  };
}

function toFailureRow(r: FailureRow): FailureRow {
  return {
    id: r.id,
    runId: r.runId,
    questionId: r.questionId ?? null,
    stage: r.stage,
    reason: r.reason,
    rawOutput: r.rawOutput ?? null,
    attempt: toNumber(r.attempt),
    createdAt: toDate(r.createdAt),
    retriedAt: toDateOrNull(r.retriedAt),
  };
}

/**
 * The values of a `synthetic_data_<type>` row's own columns, checked against
 * `EXAMPLE_COLUMNS`: unknown keys and wrongly typed values are `DB_SCHEMA` errors, so
 * both engines refuse the same rows. `replace` fills every column (missing nullable ones
 * become null, missing required ones are errors); `patch` only the keys given.
 */
function exampleColumnValues(
  type: TrainingTypeName,
  data: Record<string, unknown>,
  mode: "replace" | "patch",
): Record<string, unknown> {
  const table = exampleTable(type);
  const specs = columnsOf(type);
  const known = new Set(specs.map((s) => s.name));
  const unknown = Object.keys(data).filter((k) => !known.has(k) && data[k] !== undefined);
  if (unknown.length > 0) {
    throw new SynthforgeError(
      "DB_SCHEMA",
      `${table} has no column ${unknown.join(", ")}; its columns are ${[...known].join(", ")}.`,
    );
  }
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    const v = data[spec.name];
    if (v === undefined && mode === "patch") continue;
    if (v === undefined || v === null) {
      if (!spec.nullable)
        throw new SynthforgeError("DB_SCHEMA", `${table}.${spec.name} is required but was ${String(v)}.`);
      out[spec.name] = null;
      continue;
    }
    const ok =
      spec.kind === "text"
        ? typeof v === "string"
        : spec.kind === "real"
          ? typeof v === "number" && Number.isFinite(v)
          : spec.kind === "integer"
            ? typeof v === "number" && Number.isInteger(v)
            : spec.kind === "boolean"
              ? typeof v === "boolean"
              : true;
    if (!ok) {
      throw new SynthforgeError(
        "DB_SCHEMA",
        `${table}.${spec.name} must be ${spec.kind === "real" ? "a finite number" : `a ${spec.kind}`}, got ${typeof v}.`,
      );
    }
    out[spec.name] = v;
  }
  return out;
}

// -------------------------------------------------------------------------------------
// Small helpers
// -------------------------------------------------------------------------------------

function countsOf<K extends string>(
  keys: readonly K[],
  raw: Array<{ status: string; n: number | string }>,
): Record<K, number> {
  const out = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const r of raw) out[r.status as K] = toNumber(r.n);
  return out;
}

/**
 * Row values as TypeORM's insert/update parameter type. Its deep-partial type cannot
 * describe JSON columns typed `unknown` / `Record<string, unknown>`; the values are the
 * entity's own properties, so this is the one cast of the module.
 */
function columns<T>(values: T | Partial<T>): QueryDeepPartialEntity<T> {
  return values as QueryDeepPartialEntity<T>;
}

function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

function positiveInt(n: number, fallback: number): number {
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : fallback;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The SQL of the store's fast statements (issue 15): a plain INSERT or UPDATE written
 * once per entity and column set from TypeORM's metadata, with each value converted by
 * the driver exactly as TypeORM's query builder converts it, so the rows stored are the
 * same. Building a query per call cost more than running it on the write hot path.
 */
interface FastColumn {
  meta: ColumnMetadata;
  name: string;
}
const fastPlans = new WeakMap<object, Map<string, { sql: string; cols: FastColumn[] }>>();

function fastPlan(
  m: EntityManager,
  entity: object,
  key: string,
  build: (meta: EntityMetadata, col: (prop: string) => FastColumn) => { sql: string; cols: FastColumn[] },
): { sql: string; cols: FastColumn[] } {
  const meta = m.connection.getMetadata(entity as EntitySchema);
  let plans = fastPlans.get(meta);
  if (!plans) {
    plans = new Map();
    fastPlans.set(meta, plans);
  }
  let plan = plans.get(key);
  if (!plan) {
    plan = build(meta, (prop) => {
      const c = meta.findColumnWithPropertyName(prop);
      if (!c) throw new Error(`entity ${meta.name} has no property ${prop}`);
      return { meta: c, name: c.databaseName };
    });
    plans.set(key, plan);
  }
  return plan;
}

/** `?` (SQLite) or `$n` (PostgreSQL). */
function placeholder(m: EntityManager, n: number): string {
  return m.connection.driver.options.type === "postgres" ? `$${n}` : "?";
}

/** A value as TypeORM's query builder would bind it (undefined: NULL). */
function persistent(m: EntityManager, col: FastColumn, value: unknown): unknown {
  const v = m.connection.driver.preparePersistentValue(value, col.meta);
  return v === undefined ? null : v;
}

/** Inserts full rows (every property of the entity set, none with a column default). */
async function fastInsert(m: EntityManager, entity: object, rows: object[]): Promise<void> {
  for (const part of chunks(rows, INSERT_CHUNK / 5)) {
    const plan = fastPlan(m, entity, `insert:${part.length}`, (meta) => {
      const cols = meta.columns.map((c) => ({ meta: c, name: c.databaseName }));
      let n = 0;
      const tuple = () => `(${cols.map(() => placeholder(m, ++n)).join(", ")})`;
      const values = part.map(tuple).join(", ");
      return {
        sql: `INSERT INTO "${meta.tablePath}"(${cols.map((c) => `"${c.name}"`).join(", ")}) VALUES ${values}`,
        cols,
      };
    });
    const params: unknown[] = [];
    for (const row of part)
      for (const c of plan.cols) params.push(persistent(m, c, c.meta.getEntityValue(row)));
    await m.query(plan.sql, params);
  }
}

/**
 * `UPDATE … SET <values> WHERE <where>` (each where property equal to its value, null: IS
 * NULL); returns the number of rows changed.
 */
async function fastUpdate(
  m: EntityManager,
  entity: object,
  where: Record<string, unknown>,
  values: Record<string, unknown>,
): Promise<number> {
  const set = Object.keys(values).filter((k) => values[k] !== undefined);
  const keys = Object.keys(where);
  const nulls = keys.map((k) => where[k] === null);
  const plan = fastPlan(
    m,
    entity,
    `update:${set.join(",")}:${keys.map((k, i) => (nulls[i] ? `${k}=null` : k)).join(",")}`,
    (meta, col) => {
      let n = 0;
      const setCols = set.map(col);
      const whereCols = keys.map(col);
      const sets = setCols.map((c) => `"${c.name}" = ${placeholder(m, ++n)}`);
      const conds = whereCols.map((c, i) =>
        nulls[i] ? `"${c.name}" IS NULL` : `"${c.name}" = ${placeholder(m, ++n)}`,
      );
      return {
        sql: `UPDATE "${meta.tablePath}" SET ${sets.join(", ")} WHERE ${conds.join(" AND ")}`,
        cols: [...setCols, ...whereCols.filter((_, i) => !nulls[i])],
      };
    },
  );
  const params: unknown[] = [];
  let i = 0;
  for (const k of set) params.push(persistent(m, plan.cols[i++]!, values[k]));
  for (const k of keys) if (where[k] !== null) params.push(persistent(m, plan.cols[i++]!, where[k]));
  const runner = m.queryRunner ?? m.connection.createQueryRunner();
  try {
    const res = await runner.query(plan.sql, params, true);
    return res.affected ?? 0;
  } finally {
    if (!m.queryRunner) await runner.release();
  }
}
