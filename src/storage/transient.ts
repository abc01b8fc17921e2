import { errorCode } from "./typeorm/sqlite-locks.js";

/**
 * Error codes of a database connection that failed or could not be had, not of a statement
 * that was wrong: the node socket codes, and PostgreSQL's connection exceptions (class 08),
 * shutdowns (57P01–57P03) and "too many connections" (53300).
 */
const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);

/** node-postgres's messages for a pool that had no connection in time, or a dropped one. */
const TRANSIENT_MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /Connection terminated/i,
  /Client has encountered a connection error/i,
];

/**
 * True when `e` (or the driver error or cause inside it) says the database connection was
 * not available for a while, rather than that a statement failed: trying again later can
 * succeed, and nothing was written by the statement that failed.
 */
export function isTransientDbError(e: unknown): boolean {
  let x: unknown = e;
  for (let depth = 0; x && typeof x === "object" && depth < 4; depth++) {
    const code = errorCode(x);
    if (code && TRANSIENT_CODES.has(code)) return true;
    const message = x instanceof Error ? x.message : "";
    if (TRANSIENT_MESSAGES.some((m) => m.test(message))) return true;
    const inner = x as { driverError?: unknown; cause?: unknown };
    x = inner.driverError ?? inner.cause;
  }
  return false;
}
