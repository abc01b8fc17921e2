/**
 * The one normaliser of what the drivers return, derived from the entity schemas
 * (`entities.ts`): PostgreSQL returns `bigint` / `numeric` as strings, SQLite booleans as
 * 0/1 and instants as text, and JSON may be missing. Each column's `type` says how its
 * value is read, and its `RowOptions` (declared with it in the schema) what a null reads
 * as, whether the row has it, and where: a column added to an entity is mapped with no
 * other edit. The plan of a schema is built once; a row costs one loop over it.
 */
import type { ColumnType } from "typeorm";
import type { TrainingTypeName } from "../../core/types.js";
import { type ColumnOptions, type ExampleEntity, ROW } from "../entities.js";
import type { ExampleRow } from "../store.js";
import type { EntitySchema } from "../typeorm-lazy.js";
import { toBoolean, toDate, toNumber } from "./values.js";

/** Maps one entity as TypeORM (or a raw query selecting every column) returns it to its row. */
export type RowMapper<R> = (raw: object) => R;

/** One property of the row: where its value comes from and how it is read. */
interface Step {
  key: string;
  /** Reads a value that is not null; null: the value as it is. */
  read: ((v: unknown) => unknown) | null;
  /** Makes the value of a null; null: null. */
  whenNull: (() => unknown) | null;
  /** An object property: the steps of its own properties (null: a column). */
  nested: Step[] | null;
}

const NUMBER_TYPES = new Set<unknown>([
  "integer",
  "int",
  "smallint",
  "bigint",
  "real",
  "double precision",
  "float",
  "numeric",
  "decimal",
  Number,
]);
const BOOLEAN_TYPES = new Set<unknown>(["boolean", "bool", Boolean]);
const INSTANT_TYPES = new Set<unknown>(["timestamptz", "timestamp", "datetime", Date]);

/** How a value of a column of this type is read (JSON and text: as it is). */
function readerOf(type: ColumnType | undefined): Step["read"] {
  if (NUMBER_TYPES.has(type)) return toNumber;
  if (BOOLEAN_TYPES.has(type)) return toBoolean;
  if (INSTANT_TYPES.has(type)) return toDate;
  return null;
}

/** The steps of a schema's columns, in their order. */
function planOf(columns: { [key: string]: ColumnOptions | undefined }): Step[] {
  const steps: Step[] = [];
  const objects = new Map<string, Step[]>();
  for (const [key, column] of Object.entries(columns)) {
    const row = column?.[ROW];
    if (!column || row?.hidden) continue;
    const step: Step = { key, read: readerOf(column.type), whenNull: row?.whenNull ?? null, nested: null };
    if (!row?.nested) {
      steps.push(step);
      continue;
    }
    // The object property stands where its first column does.
    let into = objects.get(row.nested);
    if (!into) {
      into = [];
      objects.set(row.nested, into);
      steps.push({ key: row.nested, read: null, whenNull: null, nested: into });
    }
    into.push(step);
  }
  return steps;
}

const plans = new WeakMap<object, Step[]>();

/** The plan of a schema, built on first use and kept with the schema. */
function planFor(schema: EntitySchema<unknown>): Step[] {
  let steps = plans.get(schema);
  if (!steps) {
    steps = planOf(schema.options.columns ?? {});
    plans.set(schema, steps);
  }
  return steps;
}

/**
 * Sets the properties of `out` by `steps`, in their order (those `out` already has keep
 * their place), from the entity `raw`; `out` is then a `T`.
 */
function fill<T>(raw: object, steps: Step[], out: Record<string, unknown>): T {
  const r = raw as Record<string, unknown>;
  for (const s of steps) {
    if (s.nested) {
      out[s.key] = fill(r, s.nested, {});
      continue;
    }
    const v = r[s.key];
    out[s.key] = v === null || v === undefined ? (s.whenNull ? s.whenNull() : null) : s.read ? s.read(v) : v;
  }
  return out as T;
}

/**
 * The row mapper of an entity schema (its plan is built once per schema). Its rows have
 * the schema's properties in the schema's order (hidden ones left out, nested ones in
 * their object), each value read by its column's type: numbers as numbers, booleans as
 * booleans, instants as Dates, null as `whenNull()` or null. `R` is the row interface
 * the schema describes.
 */
export function rowMapper<R>(schema: EntitySchema<R>): RowMapper<R> {
  const steps = planFor(schema);
  return (raw) => fill<R>(raw, steps, {});
}

/** The row of an example: its entity's row, with its training type. */
export function toExampleRow(
  schema: EntitySchema<ExampleEntity>,
  type: TrainingTypeName,
  raw: object,
): ExampleRow {
  // In ExampleRow's order: the type and its own columns (`data`) come after the ids.
  const head = { id: "", runId: "", questionId: "", trainingType: type, data: {} };
  return fill<ExampleRow>(raw, planFor(schema), head);
}
