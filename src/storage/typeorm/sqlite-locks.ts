/**
 * SQLite: locks held by other processes. A statement or transaction that finds the file
 * locked has changed nothing, and is run again with backoff.
 */
import { setTimeout as delay } from "node:timers/promises";
import type BetterSqlite3 from "better-sqlite3";
import { SynthforgeError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { DataSource } from "../typeorm-lazy.js";

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
export async function retryWhileLocked<T>(
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
 * After a SQLite transaction failed: leaves no transaction open on the connection (it
 * would keep the write lock from every other process) and TypeORM's runner agreeing
 * with the connection (a `BEGIN` that failed leaves the runner believing a transaction
 * is active, and TypeORM would then run a later migration's statements outside any).
 */
export function settleSqliteTransaction(ds: DataSource): void {
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

export function errorCode(e: unknown): string | undefined {
  if (e && typeof e === "object" && "code" in e && typeof (e as { code: unknown }).code === "string") {
    return (e as { code: string }).code;
  }
  return undefined;
}
