import type {
  DataSource,
  EntitySchemaColumnOptions,
  EntitySchemaIndexOptions,
  TableColumnOptions,
} from "typeorm";
import { isBuiltinTrainingType, type TrainingTypeName } from "../core/types.js";
import { type ColumnSpec, exampleColumns, exampleTable, exampleTypes } from "./schema.js";
import type {
  FailureRow,
  LlmBatchRow,
  LlmCallRow,
  QuestionRow,
  ReviewRow,
  RunRow,
  SourceRow,
} from "./store.js";
import { createStudioIndexes } from "./studio-index.js";
import { EntitySchema, Table, TableIndex } from "./typeorm-lazy.js";

/** The lease columns of `questions` (not part of {@link QuestionRow}; see `claimQuestions`). */
export interface QuestionLease {
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
}

/**
 * TypeORM entity schemas (no decorators) of every synthforge table. Property names are
 * camelCase (those of the row interfaces in `store.ts`); column names are snake_case.
 * The type-specific columns of the `synthetic_data_<type>` tables keep their snake_case
 * names as property names too, since that is how `ExampleRow.data` spells them.
 *
 * The same tables exist on SQLite and PostgreSQL with engine-appropriate types: JSON is
 * `jsonb` on PostgreSQL and JSON text on SQLite, timestamps are `timestamptz` on
 * PostgreSQL and `datetime` on SQLite. The schema itself is created by the migrations in
 * `migrations/` (never by `synchronize`); a test checks both describe the same tables.
 */

/**
 * Key, in a column's options, of how the column reads into its row interface beyond what
 * its `type` and `nullable` say (see {@link RowOptions}). TypeORM ignores it; the row
 * mapper of the TypeORM store (`typeorm/rows.ts`) reads it.
 */
export const ROW = Symbol("synthforge.row");

/** How a column reads into its row, declared on the column (under {@link ROW}). */
export interface RowOptions {
  /** Makes the row's value when the column reads null (a JSON column read as `[]` or `{}`). */
  whenNull?: () => unknown;
  /** Not a property of the row interface (the lease columns of `questions`). */
  hidden?: boolean;
  /** A property of this object property of the row (the type columns, in `ExampleRow.data`). */
  nested?: string;
}

/** The options of an entity column, with how it reads into its row. */
export type ColumnOptions = EntitySchemaColumnOptions & { [ROW]?: RowOptions };

/** The database engine behind a store. */
export type StoreKind = "sqlite" | "postgres";

/** Properties of a `synthetic_data_<type>` entity: common columns plus the type's own. */
export interface ExampleEntity {
  id: string;
  runId: string;
  questionId: string;
  model: string;
  provider: string;
  qualityScore: number | null;
  reviewStatus: string;
  sources: string[];
  revision: number;
  createdAt: Date;
  updatedAt: Date;
  [typeColumn: string]: unknown;
}

/** The entity schemas of one engine. */
export interface SynthforgeEntities {
  run: EntitySchema<RunRow>;
  question: EntitySchema<QuestionRow & QuestionLease>;
  source: EntitySchema<SourceRow>;
  review: EntitySchema<ReviewRow>;
  failure: EntitySchema<FailureRow>;
  llmCall: EntitySchema<LlmCallRow>;
  llmBatch: EntitySchema<LlmBatchRow>;
  /** One per built-in type and per type registered before the store was opened. */
  examples: Partial<Record<TrainingTypeName, EntitySchema<ExampleEntity>>>;
  /** Every schema, for `DataSource({ entities })`. */
  all: EntitySchema[];
}

/** Engine-specific column types. */
interface TypeMap {
  /** Column type for JSON values. */
  json: "jsonb" | "simple-json";
  /** Column type for instants. */
  timestamp: "timestamptz" | "datetime";
  /** Column type for floating-point numbers. */
  real: "double precision" | "real";
}

function typeMap(kind: StoreKind): TypeMap {
  return kind === "postgres"
    ? { json: "jsonb", timestamp: "timestamptz", real: "double precision" }
    : { json: "simple-json", timestamp: "datetime", real: "real" };
}

/** Names of the entities, usable with `manager.getRepository(name)`. */
export const ENTITY_NAMES = {
  run: "Run",
  question: "Question",
  source: "Source",
  review: "Review",
  failure: "Failure",
  llmCall: "LlmCall",
  llmBatch: "LlmBatch",
  example: (type: TrainingTypeName): string =>
    `SyntheticData${type.charAt(0).toUpperCase()}${type.slice(1).replace(/[-_]([a-z0-9])/g, (_, ch: string) => ch.toUpperCase())}`,
} as const;

/** Builds the entity schemas for `kind`. Each store builds its own set. */
export function buildEntities(kind: StoreKind): SynthforgeEntities {
  const t = typeMap(kind);
  const id = (): ColumnOptions => ({ type: "varchar", primary: true });
  const str = (name: string, nullable = false): ColumnOptions => ({
    type: "varchar",
    name,
    nullable,
  });
  const text = (name: string, nullable = false): ColumnOptions => ({
    type: "text",
    name,
    nullable,
  });
  const int = (name: string): ColumnOptions => ({ type: "integer", name });
  const real = (name: string, nullable = false): ColumnOptions => ({
    type: t.real,
    name,
    nullable,
  });
  const bool = (name: string): ColumnOptions => ({ type: "boolean", name });
  const json = (name: string, nullable = false): ColumnOptions => ({
    type: t.json,
    name,
    nullable,
  });
  const time = (name: string, nullable = false): ColumnOptions => ({
    type: t.timestamp,
    name,
    nullable,
  });
  const fk = (
    name: string,
    target: string,
    opts: { nullable?: boolean; onDelete: "CASCADE" | "SET NULL" },
  ): ColumnOptions => ({
    type: "varchar",
    name,
    nullable: opts.nullable ?? false,
    foreignKey: { target, onDelete: opts.onDelete },
  });
  /** The column reads into its row as `fallback()` when null. */
  const whenNull = (column: ColumnOptions, fallback: () => unknown): ColumnOptions => ({
    ...column,
    [ROW]: { ...column[ROW], whenNull: fallback },
  });
  /** The column is not a property of its row interface. */
  const notInRow = (column: ColumnOptions): ColumnOptions => ({
    ...column,
    [ROW]: { ...column[ROW], hidden: true },
  });
  const index = (name: string, columns: string[], unique = false): EntitySchemaIndexOptions => ({
    name,
    columns,
    unique,
  });

  const run = new EntitySchema<RunRow>({
    name: ENTITY_NAMES.run,
    tableName: "runs",
    columns: {
      id: id(),
      request: text("request"),
      trainingType: str("training_type"),
      topic: text("topic"),
      targetCount: int("target_count"),
      plan: json("plan", true),
      config: whenNull(json("config"), () => ({})),
      status: str("status"),
      stopReason: text("stop_reason", true),
      provider: str("provider"),
      createdAt: time("created_at"),
      updatedAt: time("updated_at"),
      finishedAt: time("finished_at", true),
    },
    indices: [index("IDX_runs_created_at", ["createdAt"])],
  });

  const question = new EntitySchema<QuestionRow & QuestionLease>({
    name: ENTITY_NAMES.question,
    tableName: "questions",
    columns: {
      id: id(),
      runId: fk("run_id", ENTITY_NAMES.run, { onDelete: "CASCADE" }),
      topic: text("topic"),
      subTopic: text("sub_topic"),
      difficulty: str("difficulty"),
      text: text("text"),
      textHash: str("text_hash"),
      status: str("status"),
      groundTruthContext: text("ground_truth_context", true),
      synthesizedContext: json("synthesized_context", true),
      contextSources: json("context_sources", true),
      revisions: int("revisions"),
      createdAt: time("created_at"),
      updatedAt: time("updated_at"),
      leaseOwner: notInRow(str("lease_owner", true)),
      leaseExpiresAt: notInRow(time("lease_expires_at", true)),
    },
    indices: [
      index("IDX_questions_run_id_status_created_at", ["runId", "status", "createdAt", "id"]),
      index("IDX_questions_run_id_lease_expires_at", ["runId", "leaseExpiresAt"]),
      index("IDX_questions_run_id_created_at", ["runId", "createdAt"]),
      index("IDX_questions_run_id_sub_topic", ["runId", "subTopic", "difficulty", "id"]),
      index("IDX_questions_id_sub_topic", ["id", "subTopic", "difficulty"]),
      index("IDX_questions_run_id_status_sub_topic", ["runId", "status", "subTopic", "createdAt", "id"]),
    ],
  });

  const source = new EntitySchema<SourceRow>({
    name: ENTITY_NAMES.source,
    tableName: "sources",
    columns: {
      id: id(),
      url: text("url"),
      title: text("title"),
      authors: whenNull(json("authors"), () => []),
      published: str("published", true),
      retrievedAt: time("retrieved_at"),
      adapter: str("adapter"),
      licence: str("licence"),
      licenceUrl: text("licence_url", true),
      isPermissive: bool("is_permissive"),
      attributionRequired: bool("attribution_required"),
      commercialUseAllowed: bool("commercial_use_allowed"),
      shareAlike: bool("share_alike"),
      noDerivatives: bool("no_derivatives"),
      licenceEvidence: text("licence_evidence"),
      contentHash: str("content_hash"),
      flags: json("flags", true),
    },
    indices: [index("UQ_sources_content_hash", ["contentHash"], true)],
  });

  const review = new EntitySchema<ReviewRow>({
    name: ENTITY_NAMES.review,
    tableName: "reviews",
    columns: {
      id: id(),
      runId: fk("run_id", ENTITY_NAMES.run, { onDelete: "CASCADE" }),
      // The example may live in any of the nine tables (see training_type): no FK.
      exampleId: str("example_id"),
      questionId: fk("question_id", ENTITY_NAMES.question, { onDelete: "CASCADE" }),
      trainingType: str("training_type"),
      round: int("round"),
      seq: { ...int("seq"), default: 0 },
      kind: str("kind"),
      score: real("score"),
      passed: bool("passed"),
      reasons: whenNull(json("reasons"), () => []),
      raw: json("raw", true),
      createdAt: time("created_at"),
    },
    indices: [
      index("IDX_reviews_example_id", ["exampleId"]),
      index("IDX_reviews_run_id", ["runId"]),
      index("UQ_reviews_question_id_round_seq", ["questionId", "round", "seq"], true),
      index("IDX_reviews_run_id_kind", ["runId", "kind", "passed", "exampleId"]),
    ],
  });

  const failure = new EntitySchema<FailureRow>({
    name: ENTITY_NAMES.failure,
    tableName: "failures",
    columns: {
      id: id(),
      runId: fk("run_id", ENTITY_NAMES.run, { onDelete: "CASCADE" }),
      questionId: fk("question_id", ENTITY_NAMES.question, { nullable: true, onDelete: "CASCADE" }),
      stage: str("stage"),
      reason: text("reason"),
      rawOutput: text("raw_output", true),
      attempt: int("attempt"),
      createdAt: time("created_at"),
      retriedAt: time("retried_at", true),
    },
    indices: [index("IDX_failures_run_id", ["runId"]), index("IDX_failures_question_id", ["questionId"])],
  });

  const llmCall = new EntitySchema<LlmCallRow>({
    name: ENTITY_NAMES.llmCall,
    tableName: "llm_calls",
    columns: {
      id: id(),
      // Cached responses outlive the run that paid for them.
      runId: fk("run_id", ENTITY_NAMES.run, { nullable: true, onDelete: "SET NULL" }),
      role: str("role"),
      model: str("model"),
      provider: str("provider"),
      requestHash: str("request_hash"),
      inputTokens: int("input_tokens"),
      outputTokens: int("output_tokens"),
      totalTokens: int("total_tokens"),
      costUsd: real("cost_usd"),
      latencyMs: int("latency_ms"),
      cached: bool("cached"),
      status: str("status"),
      error: text("error", true),
      response: text("response", true),
      createdAt: time("created_at"),
    },
    indices: [index("IDX_llm_calls_request_hash", ["requestHash"]), index("IDX_llm_calls_run_id", ["runId"])],
  });

  const llmBatch = new EntitySchema<LlmBatchRow>({
    name: ENTITY_NAMES.llmBatch,
    tableName: "llm_batches",
    columns: {
      id: id(),
      runId: fk("run_id", ENTITY_NAMES.run, { onDelete: "CASCADE" }),
      role: str("role"),
      model: str("model"),
      name: str("name", true),
      state: str("state"),
      requestCount: int("request_count"),
      requests: whenNull(json("requests"), () => []),
      error: text("error", true),
      createdAt: time("created_at"),
      updatedAt: time("updated_at"),
      finishedAt: time("finished_at", true),
    },
    indices: [index("IDX_llm_batches_run_id_state", ["runId", "state"])],
  });

  const typeColumn = (spec: ColumnSpec): ColumnOptions => {
    const nullable = spec.nullable ?? false;
    switch (spec.kind) {
      case "text":
        return text(spec.name, nullable);
      case "real":
        return real(spec.name, nullable);
      case "boolean":
        return { ...bool(spec.name), nullable };
      case "integer":
        return { ...int(spec.name), nullable };
      case "json":
        return json(spec.name, nullable);
    }
  };

  const examples: Partial<Record<TrainingTypeName, EntitySchema<ExampleEntity>>> = {};
  for (const type of exampleTypes()) {
    const table = exampleTable(type);
    const columns: Record<string, ColumnOptions> = {
      id: id(),
      runId: fk("run_id", ENTITY_NAMES.run, { onDelete: "CASCADE" }),
      questionId: fk("question_id", ENTITY_NAMES.question, { onDelete: "CASCADE" }),
      model: str("model"),
      provider: str("provider"),
      qualityScore: real("quality_score", true),
      reviewStatus: str("review_status"),
      sources: whenNull(json("sources"), () => []),
      revision: int("revision"),
      createdAt: time("created_at"),
      updatedAt: time("updated_at"),
    };
    // The type's own columns read into `ExampleRow.data`.
    for (const spec of exampleColumns(type) ?? [])
      columns[spec.name] = { ...typeColumn(spec), [ROW]: { nested: "data" } };
    examples[type] = new EntitySchema<ExampleEntity>({
      name: ENTITY_NAMES.example(type),
      tableName: table,
      columns,
      indices: [
        index(`UQ_${table}_question_id`, ["questionId"], true),
        index(`IDX_${table}_run_id_id`, ["runId", "id"]),
        index(`IDX_${table}_run_id_review_status`, ["runId", "reviewStatus"]),
        index(`IDX_${table}_run_id_quality_score`, ["runId", "qualityScore"]),
        index(`IDX_${table}_run_id_question_id`, ["runId", "questionId", "reviewStatus", "qualityScore"]),
      ],
    });
  }

  return {
    run,
    question,
    source,
    review,
    failure,
    llmCall,
    llmBatch,
    examples,
    all: [
      run,
      question,
      source,
      review,
      failure,
      llmCall,
      llmBatch,
      ...Object.values(examples).filter((e) => e !== undefined),
    ],
  };
}

/**
 * Creates the missing `synthetic_data_<type>` tables of training types registered at run
 * time (built-in tables come from the migrations, never from here), with the same common
 * columns, foreign keys and indexes as the built-in ones. Idempotent; run after the
 * migrations each time a store opens. Returns the tables it created.
 */
export async function createRegisteredExampleTables(ds: DataSource, kind: StoreKind): Promise<string[]> {
  const pg = kind === "postgres";
  const col =
    (type: string) =>
    (name: string, nullable = false): TableColumnOptions => ({ name, type, isNullable: nullable });
  const c = {
    str: col("varchar"),
    text: col("text"),
    integer: col("integer"),
    real: col(pg ? "double precision" : "real"),
    boolean: col("boolean"),
    json: col(pg ? "jsonb" : "text"),
    time: col(pg ? "timestamptz" : "datetime"),
  };
  const fk = (column: string, referencedTableName: string) => ({
    columnNames: [column],
    referencedTableName,
    referencedColumnNames: ["id"],
    onDelete: "CASCADE",
  });
  const created: string[] = [];
  const runner = ds.createQueryRunner();
  try {
    for (const type of exampleTypes()) {
      if (isBuiltinTrainingType(type)) continue;
      const table = exampleTable(type);
      if (await runner.hasTable(table)) continue;
      await runner.createTable(
        new Table({
          name: table,
          columns: [
            { name: "id", type: "varchar", isPrimary: true },
            c.str("run_id"),
            c.str("question_id"),
            c.str("model"),
            c.str("provider"),
            c.real("quality_score", true),
            c.str("review_status"),
            c.json("sources"),
            c.integer("revision"),
            c.time("created_at"),
            c.time("updated_at"),
            ...(exampleColumns(type) ?? []).map((s) => c[s.kind](s.name, s.nullable ?? false)),
          ],
          foreignKeys: [fk("run_id", "runs"), fk("question_id", "questions")],
        }),
        true,
      );
      await runner.createIndex(
        table,
        new TableIndex({ name: `UQ_${table}_question_id`, columnNames: ["question_id"], isUnique: true }),
      );
      await runner.createIndex(
        table,
        new TableIndex({ name: `IDX_${table}_run_id_id`, columnNames: ["run_id", "id"] }),
      );
      await runner.createIndex(
        table,
        new TableIndex({
          name: `IDX_${table}_run_id_review_status`,
          columnNames: ["run_id", "review_status"],
        }),
      );
      await createStudioIndexes(runner, kind, table, type);
      created.push(table);
    }
  } finally {
    await runner.release();
  }
  return created;
}
