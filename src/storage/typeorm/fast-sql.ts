import type { EntityManager, EntityMetadata, EntitySchema } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata.js";
import { chunks, INSERT_CHUNK } from "./values.js";

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
export async function fastInsert(m: EntityManager, entity: object, rows: object[]): Promise<void> {
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
export async function fastUpdate(
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
