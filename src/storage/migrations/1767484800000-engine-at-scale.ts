import type { MigrationInterface, QueryRunner } from "typeorm";
import { Table, TableColumn, TableIndex } from "../typeorm-lazy.js";

/**
 * Engine at scale:
 *
 * - `questions.lease_owner` / `questions.lease_expires_at`: a lease on a candidate while a
 *   runner (a process, or one of several `synthforge worker`s sharing a PostgreSQL
 *   database) works on it. Claims are made in one transaction that also counts approved
 *   and leased candidates, so exact-N holds across processes; a lease whose runner died
 *   expires and the candidate is taken up again where its status says.
 * - `IDX_failures_question_id`: the latest failure of each dropped candidate is found by
 *   question (run summaries of large runs).
 * - `llm_batches`: Gemini Batch API jobs (`--batch`), so a run can pick up the batches it
 *   submitted after the process was restarted.
 *
 * Engine-neutral `Table` API, like the first migration.
 */
export class EngineAtScale1767484800000 implements MigrationInterface {
  name = "EngineAtScale1767484800000";

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === "postgres";
    const time = postgres ? "timestamptz" : "datetime";
    const json = postgres ? "jsonb" : "text";
    await queryRunner.addColumns("questions", [
      new TableColumn({ name: "lease_owner", type: "varchar", isNullable: true }),
      new TableColumn({ name: "lease_expires_at", type: time, isNullable: true }),
    ]);
    await queryRunner.createIndex(
      "failures",
      new TableIndex({ name: "IDX_failures_question_id", columnNames: ["question_id"] }),
    );
    await queryRunner.createTable(
      new Table({
        name: "llm_batches",
        columns: [
          { name: "id", type: "varchar", isPrimary: true },
          { name: "run_id", type: "varchar", isNullable: false },
          { name: "role", type: "varchar", isNullable: false },
          { name: "model", type: "varchar", isNullable: false },
          { name: "name", type: "varchar", isNullable: true },
          { name: "state", type: "varchar", isNullable: false },
          { name: "request_count", type: "integer", isNullable: false },
          { name: "requests", type: json, isNullable: false },
          { name: "error", type: "text", isNullable: true },
          { name: "created_at", type: time, isNullable: false },
          { name: "updated_at", type: time, isNullable: false },
          { name: "finished_at", type: time, isNullable: true },
        ],
        foreignKeys: [
          {
            columnNames: ["run_id"],
            referencedTableName: "runs",
            referencedColumnNames: ["id"],
            onDelete: "CASCADE",
          },
        ],
      }),
    );
    await queryRunner.createIndex(
      "llm_batches",
      new TableIndex({ name: "IDX_llm_batches_run_id_state", columnNames: ["run_id", "state"] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable("llm_batches", true, true, true);
    await queryRunner.dropIndex("failures", "IDX_failures_question_id");
    await queryRunner.dropColumn("questions", "lease_expires_at");
    await queryRunner.dropColumn("questions", "lease_owner");
  }
}
