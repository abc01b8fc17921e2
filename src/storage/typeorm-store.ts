import { AsyncLocalStorage } from "node:async_hooks";
import { resolve as resolvePath } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import type { EntityManager } from "typeorm";
import { describeError, redactSecrets, SynthforgeError } from "../core/errors.js";
import { type Logger, silentLogger } from "../core/logger.js";
import type { QuestionStatus, ReviewStatus, TrainingTypeName, Usage } from "../core/types.js";
import { buildEntities, type StoreKind } from "./entities.js";
import { MIGRATIONS, MIGRATIONS_TABLE } from "./migrations/index.js";
import { AsyncMutex } from "./mutex.js";
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
import { TypeormBatchStore } from "./typeorm/batches.js";
import { TypeormCallLogStore } from "./typeorm/calls.js";
import { checkSqliteFile, connectAndMigrate, pgHint, pgReason, typeormLogger } from "./typeorm/connection.js";
import { StoreContext, type StoreEngine, type TxContext } from "./typeorm/context.js";
import { TypeormExampleStore } from "./typeorm/examples.js";
import { TypeormQuestionStore } from "./typeorm/questions.js";
import { TypeormRunStore } from "./typeorm/runs.js";
import { TypeormSourceStore } from "./typeorm/sources.js";
import { retryWhileLocked } from "./typeorm/sqlite-locks.js";
import { WalCheckpointer } from "./typeorm/wal-checkpointer.js";
import type { DataSource } from "./typeorm-lazy.js";

/**
 * The TypeORM store: {@link TypeormStore} and its factories. Each role of {@link Store}
 * is implemented in its own file under `typeorm/` (`runs.ts`, `questions.ts`,
 * `sources.ts`, `examples.ts`, `calls.ts`, `batches.ts`), on the shared statement and
 * transaction handling of `typeorm/context.ts`; connecting and migrating is
 * `typeorm/connection.ts`.
 */

export type { StoreEngine } from "./typeorm/context.js";

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
  /**
   * Where the write-ahead log is copied back into the database file (a checkpoint, which
   * syncs both to disk). `false` (the default): inside a commit every 1,000 pages, as SQLite
   * does, which stops the run's thread for 5–25 ms every few hundred commits. `true`: on a
   * worker thread with its own connection, so commits rarely wait for it (for runs at high
   * concurrency: about 5% faster at 64), at about 15 MB more peak memory in a 10,000-example
   * run. Ignored for `:memory:`.
   */
  backgroundCheckpoint?: boolean;
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
  private readonly ctx: StoreContext;
  private readonly runs: TypeormRunStore;
  private readonly questions: TypeormQuestionStore;
  private readonly sources: TypeormSourceStore;
  private readonly examples: TypeormExampleStore;
  private readonly calls: TypeormCallLogStore;
  private readonly batches: TypeormBatchStore;

  /** Use {@link sqliteStore}, {@link postgresStore} or {@link openStore}. */
  constructor(
    private readonly engine: StoreEngine,
    private readonly tx: TxContext | null = null,
  ) {
    this.kind = engine.kind;
    this.location = engine.location;
    this.ctx = new StoreContext(engine, tx);
    this.runs = new TypeormRunStore(engine, tx);
    this.questions = new TypeormQuestionStore(engine, tx);
    this.sources = new TypeormSourceStore(engine, tx);
    this.examples = new TypeormExampleStore(engine, tx);
    this.calls = new TypeormCallLogStore(engine, tx);
    this.batches = new TypeormBatchStore(engine, tx);
  }

  /**
   * The TypeORM DataSource, for tests and advanced host code (raw queries, schema
   * inspection). Throws before `init()`.
   */
  get dataSource(): DataSource {
    return this.ctx.dataSource;
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
      await engine.closing?.();
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
      this.ctx.assertOpen();
      return fn(this);
    }
    return this.ctx.atomic(async (manager) => {
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
  // Runs (typeorm/runs.ts)
  // ---------------------------------------------------------------------------------

  createRun(run: NewRun): Promise<RunRow> {
    return this.runs.createRun(run);
  }
  getRun(id: string): Promise<RunRow | null> {
    return this.runs.getRun(id);
  }
  latestRun(): Promise<RunRow | null> {
    return this.runs.latestRun();
  }
  listRuns(limit?: number): Promise<RunRow[]> {
    return this.runs.listRuns(limit);
  }
  updateRun(
    id: string,
    patch: Partial<Pick<RunRow, "plan" | "status" | "stopReason" | "finishedAt" | "config">>,
  ): Promise<void> {
    return this.runs.updateRun(id, patch);
  }
  withRunLock<T>(runId: string, fn: () => Promise<T>): Promise<T> {
    return this.runs.withRunLock(runId, fn);
  }

  // ---------------------------------------------------------------------------------
  // Questions: queue and leases (typeorm/questions.ts)
  // ---------------------------------------------------------------------------------

  insertQuestions(rows: NewQuestion[]): Promise<void> {
    return this.questions.insertQuestions(rows);
  }
  getQuestion(id: string): Promise<QuestionRow | null> {
    return this.questions.getQuestion(id);
  }
  updateQuestion(id: string, patch: QuestionPatch): Promise<void> {
    return this.questions.updateQuestion(id, patch);
  }
  listQuestions(
    runId: string,
    filter?: { status?: QuestionStatus[]; subTopic?: string; limit?: number },
  ): Promise<QuestionRow[]> {
    return this.questions.listQuestions(runId, filter);
  }
  countQuestions(runId: string): Promise<Record<QuestionStatus, number>> {
    return this.questions.countQuestions(runId);
  }
  listQuestionKeys(runId: string): Promise<QuestionKey[]> {
    return this.questions.listQuestionKeys(runId);
  }
  requeueFailed(runId: string): Promise<{ requeued: number; failures: number }> {
    return this.questions.requeueFailed(runId);
  }
  claimQuestions(runId: string, opts: ClaimOptions): Promise<QuestionRow[]> {
    return this.questions.claimQuestions(runId, opts);
  }
  renewLeases(ids: string[], owner: string, leaseMs: number): Promise<string[]> {
    return this.questions.renewLeases(ids, owner, leaseMs);
  }
  async fenced<T>(lease: CandidateLease, fn: (tx: Store) => Promise<T>): Promise<T> {
    return this.transaction(async (tx) => {
      await (tx as TypeormStore).questions.fence(lease);
      return fn(tx);
    });
  }
  releaseQuestion(id: string, owner: string): Promise<void> {
    return this.questions.releaseQuestion(id, owner);
  }
  releaseLeases(runId: string): Promise<number> {
    return this.questions.releaseLeases(runId);
  }

  // ---------------------------------------------------------------------------------
  // Sources (typeorm/sources.ts)
  // ---------------------------------------------------------------------------------

  upsertSources(rows: NewSource[]): Promise<SourceRow[]> {
    return this.sources.upsertSources(rows);
  }
  getSources(ids: string[]): Promise<SourceRow[]> {
    return this.sources.getSources(ids);
  }

  // ---------------------------------------------------------------------------------
  // Examples, reviews, failures (typeorm/examples.ts)
  // ---------------------------------------------------------------------------------

  saveExample(row: NewExample): Promise<ExampleRow> {
    return this.examples.saveExample(row);
  }
  updateExample(type: TrainingTypeName, id: string, patch: ExamplePatch): Promise<void> {
    return this.examples.updateExample(type, id, patch);
  }
  getExampleByQuestion(type: TrainingTypeName, questionId: string): Promise<ExampleRow | null> {
    return this.examples.getExampleByQuestion(type, questionId);
  }
  countExamples(runId: string, type: TrainingTypeName): Promise<Record<ReviewStatus, number>> {
    return this.examples.countExamples(runId, type);
  }
  iterateExamples(runId: string, type: TrainingTypeName, opts?: IterateOptions): AsyncIterable<ExampleRow> {
    return this.examples.iterateExamples(runId, type, opts);
  }
  insertReview(row: Omit<ReviewRow, "createdAt">): Promise<void> {
    return this.examples.insertReview(row);
  }
  insertReviews(rows: Array<Omit<ReviewRow, "createdAt">>): Promise<void> {
    return this.examples.insertReviews(rows);
  }
  listReviews(exampleId: string): Promise<ReviewRow[]> {
    return this.examples.listReviews(exampleId);
  }
  insertFailure(row: Omit<FailureRow, "createdAt" | "retriedAt">): Promise<void> {
    return this.examples.insertFailure(row);
  }
  listFailures(runId: string): Promise<FailureRow[]> {
    return this.examples.listFailures(runId);
  }
  dropReasonCounts(runId: string): Promise<DropReasonCount[]> {
    return this.examples.dropReasonCounts(runId);
  }

  // ---------------------------------------------------------------------------------
  // Call log and response cache (typeorm/calls.ts)
  // ---------------------------------------------------------------------------------

  recordLlmCall(row: Omit<LlmCallRow, "createdAt">): Promise<void> {
    return this.calls.recordLlmCall(row);
  }
  recordLlmCalls(rows: Array<Omit<LlmCallRow, "createdAt">>): Promise<void> {
    return this.calls.recordLlmCalls(rows);
  }
  cachedLlmResponse(requestHash: string): Promise<string | null> {
    return this.calls.cachedLlmResponse(requestHash);
  }
  cachedLlmResponseAt(requestHash: string, occurrence: number): Promise<string | null> {
    return this.calls.cachedLlmResponseAt(requestHash, occurrence);
  }
  usage(runId: string): Promise<Usage> {
    return this.calls.usage(runId);
  }
  countCachedCalls(runId: string): Promise<number> {
    return this.calls.countCachedCalls(runId);
  }

  // ---------------------------------------------------------------------------------
  // Batches (typeorm/batches.ts)
  // ---------------------------------------------------------------------------------

  saveBatch(row: Omit<LlmBatchRow, "createdAt" | "updatedAt" | "finishedAt">): Promise<void> {
    return this.batches.saveBatch(row);
  }
  updateBatch(
    id: string,
    patch: Partial<Pick<LlmBatchRow, "name" | "state" | "error" | "finishedAt">>,
  ): Promise<void> {
    return this.batches.updateBatch(id, patch);
  }
  listBatches(runId: string, filter?: { states?: string[] }): Promise<LlmBatchRow[]> {
    return this.batches.listBatches(runId, filter);
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
    return this.ctx.op(fn);
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
  const background = !memory && opts.backgroundCheckpoint === true;
  // The connection TypeORM opened, and the thread that checkpoints its log.
  let connection: BetterSqlite3.Database | null = null;
  let checkpointer: WalCheckpointer | null = null;
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
        connection = db;
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
    connected: () => {
      if (background && connection) checkpointer = new WalCheckpointer(file, connection, synchronous);
    },
    closing: async () => {
      const running = checkpointer;
      checkpointer = null;
      await running?.stop();
    },
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
