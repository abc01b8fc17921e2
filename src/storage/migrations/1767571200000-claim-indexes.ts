import type { MigrationInterface, QueryRunner } from "typeorm";
import { TableIndex } from "../typeorm-lazy.js";

/**
 * Claims that stay O(concurrency) however large a run grows (they ran O(questions of the
 * run) before, so a 10,000-example run spent seconds counting):
 *
 * - `IDX_questions_run_id_status_created_at` (`run_id, status, created_at, id`): the
 *   approved count reads the index only, and the oldest claimable candidates of a status
 *   are read in order, stopping at the claim's limit. It covers what
 *   `IDX_questions_run_id_status` did (its prefix), which is dropped.
 * - `IDX_questions_run_id_lease_expires_at`: the candidates leased right now are found
 *   without reading the run's other questions.
 */
export class ClaimIndexes1767571200000 implements MigrationInterface {
  name = "ClaimIndexes1767571200000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      "questions",
      new TableIndex({
        name: "IDX_questions_run_id_status_created_at",
        columnNames: ["run_id", "status", "created_at", "id"],
      }),
    );
    await queryRunner.createIndex(
      "questions",
      new TableIndex({
        name: "IDX_questions_run_id_lease_expires_at",
        columnNames: ["run_id", "lease_expires_at"],
      }),
    );
    await queryRunner.dropIndex("questions", "IDX_questions_run_id_status");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      "questions",
      new TableIndex({ name: "IDX_questions_run_id_status", columnNames: ["run_id", "status"] }),
    );
    await queryRunner.dropIndex("questions", "IDX_questions_run_id_lease_expires_at");
    await queryRunner.dropIndex("questions", "IDX_questions_run_id_status_created_at");
  }
}
