/**
 * The storage layer: the {@link Store} facade, its TypeORM implementation for SQLite and
 * PostgreSQL, the entity schemas and the migrations. The pipeline depends on `Store`
 * only; hosts pick an engine with {@link openStore}, {@link sqliteStore} or
 * {@link postgresStore}.
 */

export {
  buildEntities,
  ENTITY_NAMES,
  type ExampleEntity,
  type StoreKind,
  type SynthforgeEntities,
} from "./entities.js";
export { MIGRATIONS, MIGRATIONS_TABLE } from "./migrations/index.js";
export { type ColumnKind, type ColumnSpec, EXAMPLE_COLUMNS, exampleTable } from "./schema.js";
export type * from "./store.js";
export {
  openStore,
  type PostgresStoreOptions,
  postgresStore,
  redactDbUrl,
  type SqliteStoreOptions,
  sqliteStore,
  TypeormStore,
} from "./typeorm-store.js";
