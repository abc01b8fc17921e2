import type { MigrationInterface, QueryRunner, TableColumnOptions } from "typeorm";
import { Table, TableIndex } from "../typeorm-lazy.js";

/**
 * The first schema: runs, questions, sources, the nine `synthetic_data_<type>` tables,
 * reviews, failures and llm_calls.
 *
 * Written with TypeORM's engine-neutral `Table` API so the same class runs on SQLite and
 * PostgreSQL; only the column types differ per engine (JSON is `jsonb` on PostgreSQL and
 * text on SQLite, instants are `timestamptz` / `datetime`).
 *
 * A migration is a frozen snapshot: the example tables' columns are copied here rather
 * than imported from `schema.ts`, so that changing `schema.ts` later cannot change what
 * this migration did. A change to `schema.ts` needs a new migration (a test compares the
 * migrated database with the entities and fails until one exists).
 */
export class InitialSchema1767225600000 implements MigrationInterface {
  name = "InitialSchema1767225600000";

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = columnBuilders(queryRunner.connection.driver.options.type === "postgres");

    await queryRunner.createTable(
      new Table({
        name: "runs",
        columns: [
          c.id(),
          c.text("request"),
          c.str("training_type"),
          c.text("topic"),
          c.int("target_count"),
          c.json("plan", true),
          c.json("config"),
          c.str("status"),
          c.text("stop_reason", true),
          c.str("provider"),
          c.time("created_at"),
          c.time("updated_at"),
          c.time("finished_at", true),
        ],
      }),
    );
    await queryRunner.createIndex(
      "runs",
      new TableIndex({ name: "IDX_runs_created_at", columnNames: ["created_at"] }),
    );

    await queryRunner.createTable(
      new Table({
        name: "questions",
        columns: [
          c.id(),
          c.str("run_id"),
          c.text("topic"),
          c.text("sub_topic"),
          c.str("difficulty"),
          c.text("text"),
          c.str("text_hash"),
          c.str("status"),
          c.text("ground_truth_context", true),
          c.json("synthesized_context", true),
          c.json("context_sources", true),
          c.int("revisions"),
          c.time("created_at"),
          c.time("updated_at"),
        ],
        foreignKeys: [fk("run_id", "runs", "CASCADE")],
      }),
    );
    await queryRunner.createIndex(
      "questions",
      new TableIndex({ name: "IDX_questions_run_id_status", columnNames: ["run_id", "status"] }),
    );
    await queryRunner.createIndex(
      "questions",
      new TableIndex({ name: "IDX_questions_run_id_created_at", columnNames: ["run_id", "created_at"] }),
    );

    await queryRunner.createTable(
      new Table({
        name: "sources",
        columns: [
          c.id(),
          c.text("url"),
          c.text("title"),
          c.json("authors"),
          c.str("published", true),
          c.time("retrieved_at"),
          c.str("adapter"),
          c.str("licence"),
          c.text("licence_url", true),
          c.bool("is_permissive"),
          c.bool("attribution_required"),
          c.bool("commercial_use_allowed"),
          c.bool("share_alike"),
          c.bool("no_derivatives"),
          c.text("licence_evidence"),
          c.str("content_hash"),
        ],
      }),
    );
    await queryRunner.createIndex(
      "sources",
      new TableIndex({ name: "UQ_sources_content_hash", columnNames: ["content_hash"], isUnique: true }),
    );

    for (const [type, typeColumns] of Object.entries(EXAMPLE_COLUMNS_V1)) {
      const table = `synthetic_data_${type}`;
      await queryRunner.createTable(
        new Table({
          name: table,
          columns: [
            c.id(),
            c.str("run_id"),
            c.str("question_id"),
            c.str("model"),
            c.str("provider"),
            c.real("quality_score", true),
            c.str("review_status"),
            c.json("sources"),
            c.int("revision"),
            c.time("created_at"),
            c.time("updated_at"),
            ...typeColumns.map(([name, kind, nullable]) => c[kind](name, nullable === "null")),
          ],
          foreignKeys: [fk("run_id", "runs", "CASCADE"), fk("question_id", "questions", "CASCADE")],
        }),
      );
      await queryRunner.createIndex(
        table,
        new TableIndex({ name: `UQ_${table}_question_id`, columnNames: ["question_id"], isUnique: true }),
      );
      await queryRunner.createIndex(
        table,
        new TableIndex({ name: `IDX_${table}_run_id_id`, columnNames: ["run_id", "id"] }),
      );
      await queryRunner.createIndex(
        table,
        new TableIndex({
          name: `IDX_${table}_run_id_review_status`,
          columnNames: ["run_id", "review_status"],
        }),
      );
    }

    await queryRunner.createTable(
      new Table({
        name: "reviews",
        columns: [
          c.id(),
          c.str("run_id"),
          c.str("example_id"),
          c.str("question_id"),
          c.str("training_type"),
          c.int("round"),
          c.str("kind"),
          c.real("score"),
          c.bool("passed"),
          c.json("reasons"),
          c.json("raw", true),
          c.time("created_at"),
        ],
        foreignKeys: [fk("run_id", "runs", "CASCADE"), fk("question_id", "questions", "CASCADE")],
      }),
    );
    await queryRunner.createIndex(
      "reviews",
      new TableIndex({ name: "IDX_reviews_example_id", columnNames: ["example_id"] }),
    );
    await queryRunner.createIndex(
      "reviews",
      new TableIndex({ name: "IDX_reviews_run_id", columnNames: ["run_id"] }),
    );

    await queryRunner.createTable(
      new Table({
        name: "failures",
        columns: [
          c.id(),
          c.str("run_id"),
          c.str("question_id", true),
          c.str("stage"),
          c.text("reason"),
          c.text("raw_output", true),
          c.int("attempt"),
          c.time("created_at"),
          c.time("retried_at", true),
        ],
        foreignKeys: [fk("run_id", "runs", "CASCADE"), fk("question_id", "questions", "CASCADE")],
      }),
    );
    await queryRunner.createIndex(
      "failures",
      new TableIndex({ name: "IDX_failures_run_id", columnNames: ["run_id"] }),
    );

    await queryRunner.createTable(
      new Table({
        name: "llm_calls",
        columns: [
          c.id(),
          c.str("run_id", true),
          c.str("role"),
          c.str("model"),
          c.str("provider"),
          c.str("request_hash"),
          c.int("input_tokens"),
          c.int("output_tokens"),
          c.int("total_tokens"),
          c.real("cost_usd"),
          c.int("latency_ms"),
          c.bool("cached"),
          c.str("status"),
          c.text("error", true),
          c.text("response", true),
          c.time("created_at"),
        ],
        foreignKeys: [fk("run_id", "runs", "SET NULL")],
      }),
    );
    await queryRunner.createIndex(
      "llm_calls",
      new TableIndex({ name: "IDX_llm_calls_request_hash", columnNames: ["request_hash"] }),
    );
    await queryRunner.createIndex(
      "llm_calls",
      new TableIndex({ name: "IDX_llm_calls_run_id", columnNames: ["run_id"] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ["llm_calls", "failures", "reviews"])
      await queryRunner.dropTable(table, true, true, true);
    for (const type of Object.keys(EXAMPLE_COLUMNS_V1).reverse()) {
      await queryRunner.dropTable(`synthetic_data_${type}`, true, true, true);
    }
    for (const table of ["sources", "questions", "runs"])
      await queryRunner.dropTable(table, true, true, true);
  }
}

type Kind = "text" | "real" | "bool" | "json" | "int";
type V1Column = [name: string, kind: Kind, nullable?: "null"];

/** The type-specific columns of the example tables as of this migration (frozen). */
const PREF_PAIR_V1: V1Column[] = [
  ["prompt", "text"],
  ["chosen", "text"],
  ["rejected", "text"],
  ["chosen_rating", "real"],
  ["rejected_rating", "real"],
  ["rejection_reason", "text"],
  ["rejection_explanation", "text", "null"],
];
const EXAMPLE_COLUMNS_V1: Record<string, V1Column[]> = {
  sft: [
    ["system", "text", "null"],
    ["prompt", "text"],
    ["response", "text"],
  ],
  dpo: PREF_PAIR_V1,
  ppo: [
    ["prompt", "text"],
    ["response", "text"],
    ["reward", "real"],
    ["reward_rationale", "text"],
  ],
  grpo: [
    ["prompt", "text"],
    ["reasoning", "text"],
    ["code", "text"],
    ["predicted_answer", "text"],
    ["solution", "text"],
    ["is_correct", "bool"],
    ["execution_output", "text", "null"],
  ],
  rlhf: [
    ["prompt", "text"],
    ["responses", "json"],
    ["chosen", "text"],
    ["rejected", "text"],
    ["margin", "real", "null"],
  ],
  kto: [
    ["prompt", "text"],
    ["completion", "text"],
    ["label", "bool"],
    ["label_reason", "text", "null"],
  ],
  orpo: PREF_PAIR_V1,
  chat: [
    ["system", "text", "null"],
    ["messages", "json"],
  ],
  qa: [
    ["question", "text"],
    ["reasoning", "text"],
    ["answer", "text"],
  ],
};

function columnBuilders(postgres: boolean) {
  const col =
    (type: string) =>
    (name: string, nullable = false): TableColumnOptions => ({ name, type, isNullable: nullable });
  return {
    id: (): TableColumnOptions => ({ name: "id", type: "varchar", isPrimary: true }),
    str: col("varchar"),
    text: col("text"),
    int: col("integer"),
    real: col(postgres ? "double precision" : "real"),
    bool: col("boolean"),
    json: col(postgres ? "jsonb" : "text"),
    time: col(postgres ? "timestamptz" : "datetime"),
  };
}

function fk(column: string, referencedTableName: string, onDelete: "CASCADE" | "SET NULL") {
  return { columnNames: [column], referencedTableName, referencedColumnNames: ["id"], onDelete };
}
