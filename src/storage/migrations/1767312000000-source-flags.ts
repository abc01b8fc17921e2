import type { MigrationInterface, QueryRunner } from "typeorm";
import { TableColumn } from "../typeorm-lazy.js";

/**
 * Adds `sources.flags`: warnings about a source's content, as a JSON array of
 * `{ kind, rule, excerpt }` (today only `kind: "prompt-injection"`, for source text that
 * tries to instruct the model). Nullable: rows stored before this migration were never
 * screened, which is not the same as "screened, nothing found" (`[]`).
 *
 * A column rather than a note in `licence_evidence`: the flag is about the content, not
 * the licence, and a column can be queried on both engines
 * (`WHERE flags IS NOT NULL AND flags <> '[]'`).
 */
export class SourceFlags1767312000000 implements MigrationInterface {
  name = "SourceFlags1767312000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === "postgres";
    await queryRunner.addColumn(
      "sources",
      new TableColumn({ name: "flags", type: postgres ? "jsonb" : "text", isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn("sources", "flags");
  }
}
