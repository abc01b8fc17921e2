import type { AsyncLocalStorage } from "node:async_hooks";
import type { DataSourceOptions, EntityManager } from "typeorm";
import { SynthforgeError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { TrainingTypeName } from "../../core/types.js";
import type { StoreKind, SynthforgeEntities } from "../entities.js";
import type { AsyncMutex } from "../mutex.js";
import { exampleColumns } from "../schema.js";
import type { DataSource } from "../typeorm-lazy.js";
import { retryWhileLocked, settleSqliteTransaction } from "./sqlite-locks.js";

/** A transaction in progress: its EntityManager, and whether it is still open. */
export interface TxContext {
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
  /** Called once the store is connected and migrated (SQLite: starts the WAL checkpointer). */
  readonly connected?: () => void;
  /** Called before the connection closes (SQLite: stops the WAL checkpointer). */
  readonly closing?: () => Promise<void>;
  dataSource: DataSource | null;
  initializing: Promise<void> | null;
}

/**
 * Where a store's statements run: its engine, and the transaction it writes in (null:
 * none). Every role of the TypeORM store (`runs.ts`, `questions.ts`, ...) extends it, so
 * each role's statements run as one statement of the store ({@link StoreContext.op}) or
 * atomically ({@link StoreContext.atomic}), in the same transaction as the others.
 *
 * @internal
 */
export class StoreContext {
  readonly kind: StoreKind;
  readonly location: string;
  protected get e(): SynthforgeEntities {
    return this.engine.entities;
  }

  constructor(
    readonly engine: StoreEngine,
    readonly tx: TxContext | null = null,
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

  protected exampleEntity(type: TrainingTypeName) {
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

  assertOpen(): void {
    if (this.tx && !this.tx.active) {
      throw new Error("this transaction store was used after its transaction() callback returned");
    }
  }

  private requireDataSource(): DataSource {
    return this.dataSource;
  }

  /** Runs one statement: in this store's transaction, else (SQLite) under the lock. */
  async op<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
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
  async atomic<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
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
