import { questionTask } from "../agents/question.js";
import { SynthforgeError } from "../core/errors.js";
import { newId, sha256 } from "../core/ids.js";
import { jaccard, normaliseForHash } from "../core/text.js";
import { DIFFICULTIES, type Difficulty, type Plan, type SubTopic } from "../core/types.js";
import type { NewQuestion } from "../storage/store.js";
import { researchMaterial } from "./research-stage.js";
import type { RunStage } from "./stage.js";

/** Most questions asked of the model in one call. */
const BATCH = 20;
/** Near-duplicate threshold (Jaccard of content words). */
const NEAR_DUPLICATE = 0.8;

/** Splits `n` over the plan's difficulty mix (largest remainder). */
export function difficultyCounts(n: number, mix: Plan["difficultyMix"]): Record<Difficulty, number> {
  const exact = DIFFICULTIES.map((d) => n * mix[d]);
  const counts = exact.map(Math.floor);
  let left = n - counts.reduce((s, c) => s + c, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k]!.i]! += 1;
  return { easy: counts[0]!, medium: counts[1]!, hard: counts[2]! };
}

/** How many of `need` new questions each sub-topic should write (by remaining quota). */
function shareNeed(
  need: number,
  subTopics: SubTopic[],
  approvedBySub: Map<string, number>,
): Map<string, number> {
  const deficits = subTopics.map((s) => Math.max(0, s.quota - (approvedBySub.get(s.name) ?? 0)));
  const weights = deficits.some((d) => d > 0) ? deficits : subTopics.map((s) => s.quota);
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const out = new Map<string, number>();
  let given = 0;
  subTopics.forEach((s, i) => {
    const k = Math.floor((need * weights[i]!) / total);
    out.set(s.name, k);
    given += k;
  });
  // Hand out the remainder to the sub-topics with the largest deficits.
  const order = subTopics.map((s, i) => ({ s, w: weights[i]! })).sort((a, b) => b.w - a.w);
  for (let k = 0; given < need; k = (k + 1) % order.length, given++) {
    const name = order[k]!.s.name;
    out.set(name, (out.get(name) ?? 0) + 1);
  }
  return out;
}

/**
 * The default questions stage (run-scoped, repeatable): writes questions per
 * sub-topic in batches (one model call yields up to 20), drops exact and near
 * duplicates (each recorded as a failure with its text), and stores the rest as
 * `pending`. Called again with `ctx.need` when the run needs more candidates.
 */
export function questionStage(): RunStage {
  return {
    name: "questions",
    scope: "run",
    repeatable: true,
    async run(ctx) {
      const plan = ctx.plan;
      if (!plan)
        throw new SynthforgeError(
          "INVALID_REQUEST",
          "The questions stage needs a plan; put it after the plan stage.",
        );
      if (ctx.need <= 0) return;
      const existing = await ctx.store.listQuestions(ctx.runId);
      const hashes = new Set(existing.map((q) => q.textHash));
      const approvedBySub = new Map<string, number>();
      for (const q of existing)
        if (q.status === "approved") approvedBySub.set(q.subTopic, (approvedBySub.get(q.subTopic) ?? 0) + 1);
      const shares = shareNeed(ctx.need, plan.subTopics, approvedBySub);
      let produced = 0;
      for (const sub of plan.subTopics) {
        let want = shares.get(sub.name) ?? 0;
        if (want <= 0) continue;
        // The same documents research will rank for these questions (searched once per sub-topic).
        const texts = researchMaterial(ctx, sub);
        const known = existing.filter((q) => q.subTopic === sub.name).map((q) => q.text);
        while (want > 0) {
          const n = Math.min(BATCH, want);
          const { output, raw } = await ctx.agent(questionTask, {
            topic: plan.topic,
            subTopic: sub.name,
            focus: sub.focus,
            trainingType: plan.trainingType,
            counts: difficultyCounts(n, plan.difficultyMix),
            material: await texts,
            avoid: known.slice(-50),
          });
          const rows: NewQuestion[] = [];
          for (const q of output.questions) {
            const text = q.text.trim();
            const hash = sha256(normaliseForHash(text));
            const near = known.find((k) => jaccard(k, text) >= NEAR_DUPLICATE);
            if (hashes.has(hash) || near) {
              await ctx.recordFailure(
                null,
                "questions",
                hashes.has(hash) ? "duplicate question (exact)" : "duplicate question (near)",
                JSON.stringify({ text, near: near ?? null }),
              );
              continue;
            }
            hashes.add(hash);
            known.push(text);
            rows.push({
              id: newId("q"),
              runId: ctx.runId,
              topic: plan.topic,
              subTopic: sub.name,
              difficulty: q.difficulty,
              text,
              textHash: hash,
            });
          }
          if (rows.length) await ctx.store.insertQuestions(rows);
          produced += rows.length;
          want -= n;
          if (rows.length === 0) {
            ctx.logger.debug(`questions: a batch for "${sub.name}" produced only duplicates`, {
              raw: raw.slice(0, 200),
            });
            break;
          }
        }
      }
      ctx.emit({ type: "progress", runId: ctx.runId, stage: "questions", done: produced, total: ctx.need });
    },
  };
}
