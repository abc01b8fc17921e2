import type { MigrationInterface, QueryRunner } from "typeorm";
import { TableColumn, TableIndex } from "../typeorm-lazy.js";

/**
 * A candidate's review of a round is written once: `reviews.seq` (the verdict's place in
 * its review: 0, 1, ...) and a unique index on `reviews (question_id, round, seq)`, so a
 * runner whose lease expired can never add a second review of a round another runner
 * reviewed. (`kind` alone is not unique within a round: the fact check writes one row per
 * claim.) Rows written before get their place from their order of writing, so a second
 * review that slipped in before fencing keeps its rows, after the first's.
 */
export class ReviewOnce1767657600000 implements MigrationInterface {
  name = "ReviewOnce1767657600000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      "reviews",
      new TableColumn({ name: "seq", type: "integer", isNullable: false, default: 0 }),
    );
    // A plain index first, so that numbering the rows is not a scan per row.
    await queryRunner.createIndex(
      "reviews",
      new TableIndex({ name: "IDX_reviews_once_tmp", columnNames: ["question_id", "round"] }),
    );
    await queryRunner.query(
      "UPDATE reviews SET seq = (SELECT COUNT(*) FROM reviews o WHERE o.question_id = reviews.question_id " +
        "AND o.round = reviews.round AND (o.created_at < reviews.created_at OR " +
        "(o.created_at = reviews.created_at AND o.id < reviews.id)))",
    );
    await queryRunner.dropIndex("reviews", "IDX_reviews_once_tmp");
    await queryRunner.createIndex(
      "reviews",
      new TableIndex({
        name: "UQ_reviews_question_id_round_seq",
        columnNames: ["question_id", "round", "seq"],
        isUnique: true,
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex("reviews", "UQ_reviews_question_id_round_seq");
    await queryRunner.dropColumn("reviews", "seq");
  }
}
