import type * as Typeorm from "typeorm";
import { lazyClass, loadSync } from "../core/load.js";

/**
 * The TypeORM values the store and its migrations use, loaded on first use (start-up,
 * issue 15): importing synthforge, or a CLI command that never opens a database, does
 * not evaluate TypeORM. The classes are stand-ins until the first `new` (see `lazyClass`);
 * the find operators call TypeORM's own.
 */
// TypeORM is CommonJS; its ESM entry (index.mjs) re-exports the same objects.
const typeorm = () => loadSync<typeof Typeorm>("typeorm", { commonJs: true });

type Operator = "In" | "IsNull" | "MoreThan" | "Not";
const operator = <K extends Operator>(name: K): (typeof Typeorm)[K] =>
  ((...args: unknown[]) => (typeorm()[name] as (...a: unknown[]) => unknown)(...args)) as (typeof Typeorm)[K];

export const DataSource = lazyClass(() => typeorm().DataSource);
export type DataSource = Typeorm.DataSource;
export const MigrationExecutor = lazyClass(() => typeorm().MigrationExecutor);
export type MigrationExecutor = Typeorm.MigrationExecutor;
export const EntitySchema = lazyClass(() => typeorm().EntitySchema);
export type EntitySchema<T = unknown> = Typeorm.EntitySchema<T>;
export const Table = lazyClass(() => typeorm().Table);
export type Table = Typeorm.Table;
export const TableColumn = lazyClass(() => typeorm().TableColumn);
export type TableColumn = Typeorm.TableColumn;
export const TableIndex = lazyClass(() => typeorm().TableIndex);
export type TableIndex = Typeorm.TableIndex;

export const In = operator("In");
export const IsNull = operator("IsNull");
export const MoreThan = operator("MoreThan");
export const Not = operator("Not");
