import type { MigrationInterface, QueryRunner } from "typeorm";
import { TableIndex } from "../typeorm-lazy.js";

const NAME = "IDX_questions_run_id_status_sub_topic";

/**
 * Claims under sub-topic quotas at the cost of the index, not of the run's questions.
 * A claim counts, per sub-topic, the approved and the leased candidates. Once the studio's
 * `IDX_questions_run_id_sub_topic` existed, SQLite answered that count (one query with an
 * OR of both) by reading every question row of the run: 54 ms a claim at 10,000 approved,
 * so a 10,000-example run spent most of its time counting. The claim now counts the two
 * apart: the approved ones from this index only (`run_id, status, sub_topic, created_at,
 * id`: about 1 ms at 10,000), the leased ones from `IDX_questions_run_id_lease_expires_at`.
 * The same index gives a sub-topic's oldest pending candidates in order.
 */
export class ClaimSubTopicIndex1767830400000 implements MigrationInterface {
  name = "ClaimSubTopicIndex1767830400000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      "questions",
      new TableIndex({ name: NAME, columnNames: ["run_id", "status", "sub_topic", "created_at", "id"] }),
    );
    if (queryRunner.connection.driver.options.type !== "postgres") {
      // As in StudioIndexes: a database analysed before needs statistics for the new index.
      const stats = (await queryRunner.query(
        "SELECT 1 AS ok FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'",
      )) as unknown[];
      if (stats.length > 0) await queryRunner.query(`ANALYZE "${NAME}"`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex("questions", NAME);
  }
}
