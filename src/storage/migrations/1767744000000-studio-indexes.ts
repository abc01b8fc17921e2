import type { MigrationInterface, QueryRunner } from "typeorm";
import { installStudioSearch, studioSearchNames } from "../studio-index.js";
import { TableIndex } from "../typeorm-lazy.js";

/** The common columns of an example table (frozen here: never searched as text). */
const COMMON = [
  "id",
  "run_id",
  "question_id",
  "model",
  "provider",
  "quality_score",
  "review_status",
  "sources",
  "revision",
  "created_at",
  "updated_at",
];

/**
 * The studio's filters and dashboards answered from indexes on a 100,000-example run
 * (they read every row of the run before):
 *
 * - `IDX_<table>_run_id_quality_score` on every `synthetic_data_<type>`: the score range
 *   filter and the score histogram read the index only.
 * - `IDX_<table>_run_id_question_id` (`run_id, question_id, review_status,
 *   quality_score`): counts by sub-topic, difficulty, status and score join the questions
 *   without reading the examples.
 * - `IDX_questions_run_id_sub_topic` (`run_id, sub_topic, difficulty, id`) and
 *   `IDX_questions_id_sub_topic` (`id, sub_topic, difficulty`): the sub-topic filter
 *   and facets, and the dashboard's groups, read no question row.
 * - `IDX_reviews_run_id_kind` (`run_id, kind, passed, example_id`): the failed-check
 *   filter, the verdicts by check and the check facet.
 * - Text search ({@link installStudioSearch}): on SQLite a trigram FTS5 table (and a key
 *   table holding each row's run and sources, for the licence filter) beside every
 *   example table and `questions`, kept by triggers; on PostgreSQL a `pg_trgm` GIN index
 *   when the extension is available (else the search scans, as before).
 *
 * Example tables of registered types that exist already get the same; tables created
 * later get them from `createRegisteredExampleTables`.
 */
export class StudioIndexes1767744000000 implements MigrationInterface {
  name = "StudioIndexes1767744000000";

  private async exampleTables(queryRunner: QueryRunner): Promise<string[]> {
    const pg = queryRunner.connection.driver.options.type === "postgres";
    const rows = (await queryRunner.query(
      pg
        ? "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() " +
            "AND table_type = 'BASE TABLE' AND table_name LIKE 'synthetic\\_data\\_%' ORDER BY table_name"
        : "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'synthetic\\_data\\_%' ESCAPE '\\' ORDER BY name",
    )) as Array<{ name: string }>;
    return rows.map((r) => r.name);
  }

  async up(queryRunner: QueryRunner): Promise<void> {
    const pg = queryRunner.connection.driver.options.type === "postgres";
    const kind = pg ? "postgres" : "sqlite";
    const created = [
      "IDX_questions_run_id_sub_topic",
      "IDX_questions_id_sub_topic",
      "IDX_reviews_run_id_kind",
    ];
    await queryRunner.createIndex(
      "questions",
      new TableIndex({
        name: "IDX_questions_run_id_sub_topic",
        columnNames: ["run_id", "sub_topic", "difficulty", "id"],
      }),
    );
    await queryRunner.createIndex(
      "questions",
      new TableIndex({ name: "IDX_questions_id_sub_topic", columnNames: ["id", "sub_topic", "difficulty"] }),
    );
    await queryRunner.createIndex(
      "reviews",
      new TableIndex({
        name: "IDX_reviews_run_id_kind",
        columnNames: ["run_id", "kind", "passed", "example_id"],
      }),
    );
    for (const table of await this.exampleTables(queryRunner)) {
      created.push(`IDX_${table}_run_id_quality_score`, `IDX_${table}_run_id_question_id`);
      await queryRunner.createIndex(
        table,
        new TableIndex({
          name: `IDX_${table}_run_id_quality_score`,
          columnNames: ["run_id", "quality_score"],
        }),
      );
      await queryRunner.createIndex(
        table,
        new TableIndex({
          name: `IDX_${table}_run_id_question_id`,
          columnNames: ["run_id", "question_id", "review_status", "quality_score"],
        }),
      );
      const t = await queryRunner.getTable(table);
      const text = (t?.columns ?? [])
        .filter((c) => !COMMON.includes(c.name) && ["text", "jsonb"].includes(c.type))
        .map((c) => c.name);
      await installStudioSearch(queryRunner, kind, table, text, true);
    }
    await installStudioSearch(queryRunner, kind, "questions", ["text"], false);
    if (!pg) {
      // A database analysed before (its other indexes have statistics) must get those of
      // the new indexes too: without, SQLite takes them for very selective and picks them
      // over the right ones.
      const stats = (await queryRunner.query(
        "SELECT 1 AS ok FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'",
      )) as unknown[];
      if (stats.length > 0) {
        for (const name of created) await queryRunner.query(`ANALYZE "${name}"`);
      }
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const pg = queryRunner.connection.driver.options.type === "postgres";
    for (const table of [...(await this.exampleTables(queryRunner)), "questions"]) {
      const n = studioSearchNames(table);
      if (pg) await queryRunner.query(`DROP INDEX IF EXISTS "${n.trgm}"`);
      else {
        for (const t of ["insert", "row", "update", "delete"])
          await queryRunner.query(`DROP TRIGGER IF EXISTS "${n.fts}_${t}"`);
        await queryRunner.query(`DROP TABLE IF EXISTS "${n.fts}"`);
        await queryRunner.query(`DROP TABLE IF EXISTS "${n.keys}"`);
      }
      if (table === "questions") continue;
      await queryRunner.dropIndex(table, `IDX_${table}_run_id_question_id`);
      await queryRunner.dropIndex(table, `IDX_${table}_run_id_quality_score`);
    }
    await queryRunner.dropIndex("reviews", "IDX_reviews_run_id_kind");
    await queryRunner.dropIndex("questions", "IDX_questions_id_sub_topic");
    await queryRunner.dropIndex("questions", "IDX_questions_run_id_sub_topic");
  }
}
