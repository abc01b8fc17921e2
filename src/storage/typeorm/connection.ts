/**
 * Connecting a store: preflight checks of a SQLite file, the DataSource, the migrations
 * (once, across processes), and the messages of connection errors.
 */
import { access, constants as fsConstants, open, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { QueryRunner, Logger as TypeormLogger } from "typeorm";
import { describeError, redactSecrets, SynthforgeError } from "../../core/errors.js";
import { checkFolder, makeFolders } from "../../core/fs-paths.js";
import type { Logger } from "../../core/logger.js";
import { buildEntities, createRegisteredExampleTables } from "../entities.js";
import { MIGRATIONS } from "../migrations/index.js";
import { DataSource, MigrationExecutor } from "../typeorm-lazy.js";
import type { StoreEngine } from "./context.js";
import { errorCode, retryWhileLocked, settleSqliteTransaction } from "./sqlite-locks.js";

/** The first 16 bytes of every SQLite 3 database file. */
const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");

/**
 * Connects the engine (a new DataSource with entities for every training type registered
 * by now) and applies pending migrations: `init()` of every store of the engine.
 */
export async function connectAndMigrate(engine: StoreEngine): Promise<void> {
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
  engine.connected?.();
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

/** TypeORM's log calls routed to a synthforge {@link Logger} (TypeORM would print to stdout). */
export function typeormLogger(log: Logger): TypeormLogger {
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
export async function checkSqliteFile(file: string): Promise<void> {
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

/** The reason of a pg connection error; Node's AggregateError (IPv4 + IPv6) has no message. */
export function pgReason(e: unknown): string {
  if (e instanceof AggregateError && !e.message) {
    const inner = e.errors.find((x): x is Error => x instanceof Error);
    return inner ? describeError(inner) : (errorCode(e) ?? "connection failed");
  }
  const text = describeError(e);
  return text || errorCode(e) || "connection failed";
}

export function pgHint(e: unknown): string {
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
