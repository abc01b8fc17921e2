/**
 * Human review: a person approves, rejects or edits-then-approves an example. Every
 * decision writes a `reviews` row of kind `human` (who, when, the example before and
 * after) in the same transaction as the change to the example, so an example is never
 * changed without the row that holds what it was.
 */
import { userInfo } from "node:os";
import { SynthforgeError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import type { ReviewStatus, TrainingTypeName } from "../core/types.js";
import type { ExampleRow, QuestionRow, ReviewRow, RunRow, SourceRow, Store } from "../storage/store.js";
import { studioQueries } from "../storage/studio-queries.js";
import { getTrainingType } from "../training-types/index.js";

/** What a person decided about an example. */
export type HumanAction = "approve" | "reject" | "edit";

/** Input of {@link decideExample}. */
export interface HumanDecision {
  runId: string;
  exampleId: string;
  action: HumanAction;
  /** Why (required to reject; optional otherwise). */
  reason?: string;
  /** With `edit`: the example's new columns (the whole row of its training type). */
  data?: Record<string, unknown>;
  /** Who decided. Default: the OS user. */
  reviewer?: string;
}

/** The `raw` of a `reviews` row of kind `human`. */
export interface HumanReviewRecord {
  reviewer: string;
  action: HumanAction;
  reason: string | null;
  before: { reviewStatus: ReviewStatus; qualityScore: number | null; data: Record<string, unknown> };
  after: { reviewStatus: ReviewStatus; qualityScore: number | null; data: Record<string, unknown> };
}

/** An example with what a reviewer needs to judge it. */
export interface ExampleDetail {
  run: Pick<RunRow, "id" | "trainingType" | "topic">;
  example: ExampleRow;
  question: Pick<
    QuestionRow,
    "id" | "subTopic" | "difficulty" | "text" | "groundTruthContext" | "contextSources"
  > | null;
  sources: SourceRow[];
  reviews: ReviewRow[];
}

/** The OS user name, or `unknown` where there is none. */
export function defaultReviewer(): string {
  try {
    return userInfo().username || "unknown";
  } catch {
    return process.env.USER ?? "unknown";
  }
}

const bad = (message: string, details?: Record<string, unknown>) =>
  new SynthforgeError("INVALID_REQUEST", message, details ? { details } : undefined);

async function runOf(store: Store, runId: string): Promise<RunRow> {
  const run = await store.getRun(runId);
  if (!run) throw new SynthforgeError("RUN_NOT_FOUND", `No run ${runId} in ${store.location}.`);
  return run;
}

async function questionIdOf(store: Store, run: RunRow, exampleId: string): Promise<string> {
  const qid = await studioQueries(store).exampleQuestionId(run.id, run.trainingType, exampleId);
  if (!qid) throw bad(`Run ${run.id} has no example ${exampleId}.`, { exampleId });
  return qid;
}

/** An example of a run with its question, ground truth, sources and every verdict. */
export async function exampleDetail(store: Store, runId: string, exampleId: string): Promise<ExampleDetail> {
  const run = await runOf(store, runId);
  const qid = await questionIdOf(store, run, exampleId);
  const example = await store.getExampleByQuestion(run.trainingType, qid);
  if (!example) throw bad(`Run ${run.id} has no example ${exampleId}.`, { exampleId });
  const q = await store.getQuestion(qid);
  const sources = example.sources.length ? await store.getSources(example.sources) : [];
  return {
    run: { id: run.id, trainingType: run.trainingType, topic: run.topic },
    example,
    question: q
      ? {
          id: q.id,
          subTopic: q.subTopic,
          difficulty: q.difficulty,
          text: q.text,
          groundTruthContext: q.groundTruthContext,
          contextSources: q.contextSources,
        }
      : null,
    sources,
    reviews: await store.listReviews(example.id),
  };
}

/** The schema's problems with an edited row, one line; null when it is valid. */
export function editProblems(type: TrainingTypeName, data: unknown): string | null {
  const parsed = getTrainingType(type).rowSchema.safeParse(data);
  if (parsed.success) return null;
  return parsed.error.issues
    .map((i) => `${i.path.length ? i.path.join(".") : "row"}: ${i.message}`)
    .join("; ");
}

/**
 * Records a person's decision on an example: `approve` sets `human_approved`, `reject`
 * (with a reason) `human_rejected`, `edit` replaces the row's columns with `data` (checked
 * by the training type's zod schema first) and sets `human_approved`. One transaction
 * writes the example and a `reviews` row of kind `human` holding the reviewer and the
 * example before and after.
 *
 * @throws SynthforgeError `INVALID_REQUEST` for an unknown example, a rejection without a
 *   reason, or an edit the schema refuses (nothing is written); `RUN_NOT_FOUND`.
 */
export async function decideExample(
  store: Store,
  d: HumanDecision,
): Promise<{ example: ExampleRow; review: ReviewRow }> {
  if (!["approve", "reject", "edit"].includes(d.action))
    throw bad(`Unknown action "${String(d.action)}"; use approve, reject or edit.`);
  const reason = d.reason?.trim() ? d.reason.trim() : null;
  if (d.action === "reject" && !reason)
    throw bad("A rejection needs a reason: say what is wrong with the example.");
  const run = await runOf(store, d.runId);
  const qid = await questionIdOf(store, run, d.exampleId);
  let edited: Record<string, unknown> | null = null;
  if (d.action === "edit") {
    if (!d.data || typeof d.data !== "object" || Array.isArray(d.data))
      throw bad("An edit needs the example's fields as a JSON object.");
    const problems = editProblems(run.trainingType, d.data);
    if (problems) throw bad(`The edit is not a valid ${run.trainingType} example: ${problems}`);
    edited = getTrainingType(run.trainingType).rowSchema.parse(d.data) as Record<string, unknown>;
  }
  const reviewer = d.reviewer?.trim() || defaultReviewer();
  return store.transaction(async (tx) => {
    const before = await tx.getExampleByQuestion(run.trainingType, qid);
    if (!before || before.id !== d.exampleId) throw bad(`Run ${run.id} has no example ${d.exampleId}.`);
    const status: ReviewStatus = d.action === "reject" ? "human_rejected" : "human_approved";
    const afterData = edited ?? before.data;
    const previous = await tx.listReviews(before.id);
    const round = before.revision;
    const seq = previous
      .filter((r) => r.questionId === qid && r.round === round)
      .reduce((m, r) => Math.max(m, r.seq + 1), 0);
    const record: HumanReviewRecord = {
      reviewer,
      action: d.action,
      reason,
      before: { reviewStatus: before.reviewStatus, qualityScore: before.qualityScore, data: before.data },
      after: { reviewStatus: status, qualityScore: before.qualityScore, data: afterData },
    };
    const review: Omit<ReviewRow, "createdAt"> = {
      id: newId("rev"),
      runId: run.id,
      exampleId: before.id,
      questionId: qid,
      trainingType: run.trainingType,
      round,
      seq,
      kind: "human",
      score: d.action === "reject" ? 0 : 1,
      passed: d.action !== "reject",
      reasons: [
        `${d.action === "edit" ? "edited and approved" : d.action === "approve" ? "approved" : "rejected"} by ${reviewer}${reason ? `: ${reason}` : ""}`,
      ],
      raw: record,
    };
    await tx.insertReview(review);
    await tx.updateExample(run.trainingType, before.id, {
      reviewStatus: status,
      ...(edited ? { data: edited } : {}),
    });
    const after = await tx.getExampleByQuestion(run.trainingType, qid);
    const reviews = await tx.listReviews(before.id);
    return { example: after!, review: reviews.find((r) => r.id === review.id)! };
  });
}
