/**
 * Value conversion and small helpers shared by the role files of the TypeORM store: the
 * drivers return numbers as strings (PostgreSQL `bigint`, `numeric`), booleans as 0/1 and
 * instants as text (SQLite); the row mapper (`rows.ts`) normalises them with these.
 */
import type { QueryDeepPartialEntity } from "typeorm";

/** Rows per INSERT: stays far below SQLite's and PostgreSQL's bound-parameter limits. */
export const INSERT_CHUNK = 500;
/** Ids per `IN (...)` lookup. */
export const LOOKUP_CHUNK = 500;

export function toNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string" && v.trim() !== "") return Number(v);
  return 0;
}

export function toBoolean(v: unknown): boolean {
  return v === true || v === 1 || v === "1" || v === "t" || v === "true";
}

export function toDate(v: unknown): Date {
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

export function countsOf<K extends string>(
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
export function columns<T>(values: T | Partial<T>): QueryDeepPartialEntity<T> {
  return values as QueryDeepPartialEntity<T>;
}

export function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

export function positiveInt(n: number, fallback: number): number {
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : fallback;
}

export function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
