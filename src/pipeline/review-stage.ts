import { judgeScore, judgeTask } from "../agents/reviewer.js";
import { SynthforgeError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import type { ReviewStatus } from "../core/types.js";
import type { ReviewRow } from "../storage/store.js";
import type { ReviewConfig, RunContext } from "./context.js";
import { groundTruthPassages } from "./research-stage.js";
import type { Item, ItemStage } from "./stage.js";

/** The verdict for a score under the thresholds (DESIGN §2). */
export function verdict(score: number, review: ReviewConfig): ReviewStatus {
  if (score >= review.approveAt) return "approved";
  if (score < review.rejectBelow) return "rejected";
  return "needs_revision";
}

/**
 * The default review stage (item-scoped): a schema check, then the model judge with the
 * type's rubric over the ground truth. The `quality_score` is the judge's weighted
 * rubric score (0 when the schema check fails); `< rejectBelow` rejected,
 * `< approveAt` needs_revision, otherwise approved. Every verdict is stored in
 * `reviews`; the example, its question and the reviews are written in one transaction.
 */
export function reviewStage(): ItemStage {
  return {
    name: "review",
    scope: "item",
    async run(item, ctx) {
      const example = item.example;
      if (!example) throw new SynthforgeError("INVALID_REQUEST", "The review stage needs an example; put it after the generate stage.");
      const type = ctx.trainingType;
      const round = item.round;
      const reviews: Array<Omit<ReviewRow, "createdAt">> = [];
      const base = { runId: ctx.runId, exampleId: example.id, questionId: item.question.id, trainingType: type.name, round };

      const schema = type.rowSchema.safeParse(example.data);
      const problems = schema.success ? type.validate(schema.data as Record<string, unknown>) : schema.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
      reviews.push({ ...base, id: newId("rev"), kind: "schema", score: problems.length ? 0 : 1, passed: problems.length === 0, reasons: problems, raw: null });

      let score = 0;
      let issues: string[] = problems;
      if (problems.length === 0) {
        const row = example.data;
        const { output, raw } = await ctx.agent(judgeTask, {
          trainingType: type.name,
          rubric: type.rubric,
          difficulty: item.question.difficulty,
          question: item.question.text,
          prompt: type.promptText(row),
          answer: type.answerText(row),
          example: row,
          passages: groundTruthPassages(item.question.groundTruthContext),
        });
        score = judgeScore(output.scores);
        issues = output.issues;
        reviews.push({ ...base, id: newId("rev"), kind: "judge", score, passed: score >= ctx.review.approveAt, reasons: output.issues, raw: { output, raw } });
      }
      const status = verdict(score, ctx.review);
      reviews.push({
        ...base,
        id: newId("rev"),
        kind: "final",
        score,
        passed: status === "approved",
        reasons: status === "approved" ? [] : issues,
        raw: { thresholds: ctx.review, status },
      });
      await ctx.store.transaction(async (tx) => {
        await tx.updateExample(type.name, example.id, { qualityScore: score, reviewStatus: status });
        for (const r of reviews) await tx.insertReview(r);
        await tx.updateQuestion(item.question.id, { status });
      });
      example.qualityScore = score;
      example.reviewStatus = status;
      item.question.status = status;
      item.revisionNotes = issues.length ? issues : [`raise the quality score from ${score} to at least ${ctx.review.approveAt}`];
      ctx.emit({ type: "item", runId: ctx.runId, questionId: item.question.id, status, stage: "review", score });
    },
  };
}

/** Review notes of the latest round of an example (for resuming a revision). */
export async function latestReviewNotes(ctx: RunContext, item: Item): Promise<string[]> {
  if (!item.example) return [];
  const reviews = await ctx.store.listReviews(item.example.id);
  const final = reviews.filter((r) => r.kind === "final").sort((a, b) => b.round - a.round)[0];
  return final?.reasons ?? [];
}
