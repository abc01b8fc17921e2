import { SynthforgeError } from "../../core/errors.js";
import { REVIEW_STATUSES, type ReviewStatus, type TrainingTypeName } from "../../core/types.js";
import { ENTITY_NAMES, type ExampleEntity } from "../entities.js";
import { COMMON_EXAMPLE_COLUMNS, type ColumnSpec, exampleColumns, exampleTable } from "../schema.js";
import type {
  DropReasonCount,
  ExamplePatch,
  ExampleRow,
  ExampleStore,
  FailureRow,
  IterateOptions,
  NewExample,
  ReviewRow,
} from "../store.js";
import { In, MoreThan } from "../typeorm-lazy.js";
import { StoreContext } from "./context.js";
import { fastInsert, fastUpdate } from "./fast-sql.js";
import { rowMapper, toExampleRow } from "./rows.js";
import { columns, countsOf, definedOnly, positiveInt, toNumber } from "./values.js";

/** Default rows per query of {@link ExampleStore.iterateExamples}. */
const DEFAULT_BATCH = 500;

/**
 * Examples (`synthetic_data_<type>`), `reviews` and `failures` ({@link ExampleStore}).
 *
 * @internal
 */
export class TypeormExampleStore extends StoreContext implements ExampleStore {
  /**
   * Stores the example of a question: `INSERT ... ON CONFLICT (question_id) DO UPDATE`.
   * The first save uses `row.id`; a later save for the same question replaces the type
   * columns, model, provider, score, status, sources and revision and keeps the first id
   * and `createdAt`. `row.data` must hold exactly the type's columns (nullable ones may
   * be left out); anything else is a `DB_SCHEMA` error.
   */
  async saveExample(row: NewExample): Promise<ExampleRow> {
    const type = row.trainingType;
    const entity = this.exampleEntity(type);
    const typeValues = exampleColumnValues(type, row.data, "replace");
    const now = new Date();
    const values: ExampleEntity = {
      id: row.id,
      runId: row.runId,
      questionId: row.questionId,
      model: row.model,
      provider: row.provider,
      qualityScore: row.qualityScore,
      reviewStatus: row.reviewStatus,
      sources: row.sources,
      revision: row.revision,
      createdAt: now,
      updatedAt: now,
      ...typeValues,
    };
    // On conflict a revision replaces everything but the row's identity and creation time.
    const overwrite = [
      ...columnsOf(type).map((c) => c.name),
      ...COMMON_EXAMPLE_COLUMNS.filter((c) => !["id", "run_id", "question_id", "created_at"].includes(c)),
    ];
    const saved = await this.atomic(async (m) => {
      await m
        .createQueryBuilder()
        .insert()
        .into(entity)
        .values(columns(values))
        .orUpdate(overwrite, ["question_id"])
        .updateEntity(false)
        .execute();
      return m.findOneBy(entity, { questionId: row.questionId });
    });
    if (!saved) throw new Error(`example of question ${row.questionId} was not stored`);
    return toExampleRow(entity, type, saved);
  }

  /**
   * Updates an example (a no-op when it does not exist). `patch.data` may hold some of
   * the type's columns: those are set (null clears a nullable one), the others are kept.
   */
  async updateExample(type: TrainingTypeName, id: string, patch: ExamplePatch): Promise<void> {
    const entity = this.exampleEntity(type);
    const { data, ...common } = patch;
    const values: Record<string, unknown> = {
      ...definedOnly(common),
      ...(data ? exampleColumnValues(type, data, "patch") : {}),
      updatedAt: new Date(),
    };
    await this.op((m) => fastUpdate(m, entity, { id }, values));
  }

  async getExampleByQuestion(type: TrainingTypeName, questionId: string): Promise<ExampleRow | null> {
    const entity = this.exampleEntity(type);
    const row = await this.op((m) => m.findOneBy(entity, { questionId }));
    return row ? toExampleRow(entity, type, row) : null;
  }

  async countExamples(runId: string, type: TrainingTypeName): Promise<Record<ReviewStatus, number>> {
    const entity = this.exampleEntity(type);
    const raw = await this.op((m) =>
      m
        .createQueryBuilder(entity, "x")
        .select("x.reviewStatus", "status")
        .addSelect("COUNT(*)", "n")
        .where("x.runId = :runId", { runId })
        .groupBy("x.reviewStatus")
        .getRawMany<{ status: string; n: number | string }>(),
    );
    return countsOf(REVIEW_STATUSES, raw);
  }

  /**
   * Streams a run's examples in id order with keyset pagination
   * (`WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?`): memory stays at one batch
   * however many rows there are. Rows written while iterating may or may not be seen.
   */
  async *iterateExamples(
    runId: string,
    type: TrainingTypeName,
    opts: IterateOptions = {},
  ): AsyncIterable<ExampleRow> {
    const entity = this.exampleEntity(type);
    const batch = positiveInt(opts.batchSize ?? DEFAULT_BATCH, DEFAULT_BATCH);
    const statuses = opts.reviewStatus;
    if (statuses && statuses.length === 0) return;
    let after: string | null = null;
    for (;;) {
      const cursor: string | null = after;
      const rows: ExampleEntity[] = await this.op((m) =>
        m.find(entity, {
          where: {
            runId,
            ...(cursor !== null ? { id: MoreThan(cursor) } : {}),
            ...(statuses ? { reviewStatus: In(statuses) } : {}),
          },
          order: { id: "ASC" },
          take: batch,
        }),
      );
      for (const r of rows) yield toExampleRow(entity, type, r);
      const last = rows[rows.length - 1];
      if (rows.length < batch || !last) return;
      after = last.id;
    }
  }

  async insertReview(row: Omit<ReviewRow, "createdAt">): Promise<void> {
    const full: ReviewRow = { ...row, raw: row.raw ?? null, createdAt: new Date() };
    await this.op((m) => fastInsert(m, this.e.review, [full]));
  }

  async insertReviews(rows: Array<Omit<ReviewRow, "createdAt">>): Promise<void> {
    if (rows.length === 0) return;
    const now = new Date();
    const full = rows.map((row): ReviewRow => ({ ...row, raw: row.raw ?? null, createdAt: now }));
    await this.atomic((m) => fastInsert(m, this.e.review, full));
  }

  /** Reviews of an example, oldest first. */
  async listReviews(exampleId: string): Promise<ReviewRow[]> {
    const rows = await this.op((m) =>
      m.find(this.e.review, { where: { exampleId }, order: { createdAt: "ASC", id: "ASC" } }),
    );
    return rows.map(rowMapper(this.e.review));
  }

  async insertFailure(row: Omit<FailureRow, "createdAt" | "retriedAt">): Promise<void> {
    const full: FailureRow = { ...row, createdAt: new Date(), retriedAt: null };
    await this.op((m) => fastInsert(m, this.e.failure, [full]));
  }

  /** Failures of a run, oldest first. */
  async listFailures(runId: string): Promise<FailureRow[]> {
    const rows = await this.op((m) =>
      m.find(this.e.failure, { where: { runId }, order: { createdAt: "ASC", id: "ASC" } }),
    );
    return rows.map(rowMapper(this.e.failure));
  }

  async dropReasonCounts(runId: string): Promise<DropReasonCount[]> {
    const raw = await this.op((m) =>
      m
        .createQueryBuilder(this.e.failure, "f")
        .innerJoin(ENTITY_NAMES.question, "q", "q.id = f.question_id")
        .select("f.stage", "stage")
        .addSelect("f.reason", "reason")
        .addSelect("COUNT(*)", "n")
        .where("f.run_id = :runId", { runId })
        .andWhere("q.status IN (:...dropped)", { dropped: ["rejected", "failed"] })
        .andWhere("f.retried_at IS NULL")
        // Writes dropped for a lost lease are recorded under `lease`; they are not why a
        // candidate was dropped.
        .andWhere("f.stage <> 'lease'")
        .andWhere(
          "NOT EXISTS (SELECT 1 FROM failures g WHERE g.question_id = f.question_id AND g.stage <> 'lease' AND " +
            "(g.created_at > f.created_at OR (g.created_at = f.created_at AND g.id > f.id)))",
        )
        .groupBy("f.stage")
        .addGroupBy("f.reason")
        .getRawMany<{ stage: string; reason: string; n: number | string }>(),
    );
    return raw.map((r) => ({ stage: r.stage, reason: r.reason, n: toNumber(r.n) }));
  }
}

/** The type-specific columns of a type's table; `UNKNOWN_TRAINING_TYPE` for a type with none. */
function columnsOf(type: TrainingTypeName): ColumnSpec[] {
  const cols = exampleColumns(type);
  if (!cols)
    throw new SynthforgeError("UNKNOWN_TRAINING_TYPE", `No table for training type "${String(type)}".`);
  return cols;
}

/**
 * The values of a `synthetic_data_<type>` row's own columns, checked against
 * `EXAMPLE_COLUMNS`: unknown keys and wrongly typed values are `DB_SCHEMA` errors, so
 * both engines refuse the same rows. `replace` fills every column (missing nullable ones
 * become null, missing required ones are errors); `patch` only the keys given.
 */
function exampleColumnValues(
  type: TrainingTypeName,
  data: Record<string, unknown>,
  mode: "replace" | "patch",
): Record<string, unknown> {
  const table = exampleTable(type);
  const specs = columnsOf(type);
  const known = new Set(specs.map((s) => s.name));
  const unknown = Object.keys(data).filter((k) => !known.has(k) && data[k] !== undefined);
  if (unknown.length > 0) {
    throw new SynthforgeError(
      "DB_SCHEMA",
      `${table} has no column ${unknown.join(", ")}; its columns are ${[...known].join(", ")}.`,
    );
  }
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    const v = data[spec.name];
    if (v === undefined && mode === "patch") continue;
    if (v === undefined || v === null) {
      if (!spec.nullable)
        throw new SynthforgeError("DB_SCHEMA", `${table}.${spec.name} is required but was ${String(v)}.`);
      out[spec.name] = null;
      continue;
    }
    const ok =
      spec.kind === "text"
        ? typeof v === "string"
        : spec.kind === "real"
          ? typeof v === "number" && Number.isFinite(v)
          : spec.kind === "integer"
            ? typeof v === "number" && Number.isInteger(v)
            : spec.kind === "boolean"
              ? typeof v === "boolean"
              : true;
    if (!ok) {
      throw new SynthforgeError(
        "DB_SCHEMA",
        `${table}.${spec.name} must be ${spec.kind === "real" ? "a finite number" : `a ${spec.kind}`}, got ${typeof v}.`,
      );
    }
    out[spec.name] = v;
  }
  return out;
}
