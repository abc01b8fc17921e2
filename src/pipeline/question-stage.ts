import pLimit from "p-limit";
import type { AgentResult } from "../agents/agent-task.js";
import { type QuestionInput, type QuestionOutput, questionTask } from "../agents/question.js";
import { isSynthforgeError, SynthforgeError } from "../core/errors.js";
import { newId, sha256 } from "../core/ids.js";
import { contentWords, normaliseForHash } from "../core/text.js";
import { DIFFICULTIES, type Difficulty, type Plan, type SubTopic } from "../core/types.js";
import type { NewQuestion } from "../storage/store.js";
import { DedupIndex, type DedupSignature, exactKey, minhashOf } from "../tools/dedup.js";
import { unframeQuestion } from "../training-types/compose.js";
import { agentUntilValid, type RunContext } from "./context.js";
import { planBrief } from "./generate-stage.js";
import { questionMaterial, type ResearchOptions } from "./research-stage.js";
import type { RunStage } from "./stage.js";

/** Most questions asked of the model in one call. */
const BATCH = 20;
/** Near-duplicate threshold (estimated Jaccard of content words). */
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

/** Pages of fresh material a batch tries while the writer returns only duplicates. */
const MAX_DUPLICATE_PAGES = 20;
/** Earlier questions of a sub-topic shown to the writer as `avoid`. */
const AVOID = 50;

/**
 * The near-duplicate key of a question: a MinHash of its content words (the words of a
 * question template are stop words, so "What is benzene?" and "Define benzene and give
 * one example." are near duplicates), and the exact key of its normalised text. The
 * framing an offline writer adds for the request's audience and style ("Please answer step
 * by step, at a level suitable for A-level students.") is left out: it is the same on every
 * question and would make questions about different things look alike.
 */
export function questionSignature(text: string): DedupSignature {
  const asked = unframeQuestion(text);
  return { exact: exactKey(asked), signature: minhashOf(contentWords(asked)) };
}

/**
 * The default questions stage (run-scoped, repeatable): writes questions per
 * sub-topic in batches (one model call yields up to 20), drops exact and near
 * duplicates (each recorded as a failure with its text), and stores the rest as
 * `pending`. Called again with `ctx.need` when the run needs more candidates.
 *
 * Material ({@link questionMaterial}): the first batch of a sub-topic gets the
 * sub-topic's shared research; every later batch (of this call or of a later one) a page
 * of documents the writer has not seen, while the local sources have any, so a large run
 * covers its sources instead of asking about the same few documents again; then the
 * shared research again. A batch that yields only duplicates tries a new page (up to
 * `MAX_DUPLICATE_PAGES`, 20). Batches run concurrently (up to the run's
 * concurrency). What was written before is read with {@link Store.listQuestionKeys}
 * (no contexts) into MinHash indexes ({@link DedupIndex}): exact duplicates across the
 * run, near duplicates (Jaccard of content words ≥ 0.8) within a sub-topic.
 *
 * @param research The research options of the run's research stage (its domain table):
 *   the writer reads the same shared research as that stage.
 */
export function questionStage(research: ResearchOptions = {}): RunStage {
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
      const hashes = new Set<string>();
      const approvedBySub = new Map<string, number>();
      const near = new Map<string, DedupIndex>();
      const recent = new Map<string, string[]>();
      const indexOf = (sub: string) => {
        let idx = near.get(sub);
        if (!idx) {
          idx = new DedupIndex(NEAR_DUPLICATE);
          near.set(sub, idx);
        }
        return idx;
      };
      const remember = (sub: string, text: string) => {
        const list = recent.get(sub) ?? [];
        list.push(text);
        if (list.length > AVOID) list.splice(0, list.length - AVOID);
        recent.set(sub, list);
      };
      for (const q of await ctx.store.listQuestionKeys(ctx.runId)) {
        hashes.add(q.textHash);
        if (q.status === "approved") approvedBySub.set(q.subTopic, (approvedBySub.get(q.subTopic) ?? 0) + 1);
        indexOf(q.subTopic).add(q.id, questionSignature(q.text));
        remember(q.subTopic, q.text);
      }
      const shares = shareNeed(ctx.need, plan.subTopics, approvedBySub);
      // The request's constraints and the plan's notes reach the writer.
      const brief = planBrief(plan);
      const limit = pLimit(Math.max(1, ctx.concurrency ?? 8));
      let produced = 0;
      /** Sub-topics whose material is used up and whose last batch wrote nothing new. */
      const spent = new Set<string>();

      /**
       * One model call for `n` questions of `sub`; returns how many new ones were stored.
       * The calls run concurrently, but batches keep their turn (sub-topic by sub-topic)
       * when they dedup and store: which of two equal questions is kept, and the order
       * candidates are worked on, do not depend on which answer arrived first.
       */
      const writeBatch = async (
        sub: SubTopic,
        n: number,
        turn: Promise<void>,
        done: () => void,
        firstOfSub: boolean,
      ): Promise<number> => {
        try {
          const asked = sharedMaterialAsked(ctx);
          for (let page = 0; page < MAX_DUPLICATE_PAGES; page++) {
            if (ctx.signal.aborted || spent.has(sub.name)) return 0;
            // The sub-topic's shared research once; then pages the writer has not seen (the
            // other batches of this call would write the same questions from the same material).
            const wantFresh = page > 0 || !firstOfSub || asked.has(sub.name);
            asked.add(sub.name);
            const fresh = wantFresh ? await questionMaterial(ctx, sub, { ...research, fresh: true }) : null;
            const material = fresh ?? (await questionMaterial(ctx, sub, research))!;
            const input: QuestionInput = {
              topic: plan.topic,
              subTopic: sub.name,
              focus: sub.focus,
              trainingType: plan.trainingType,
              counts: difficultyCounts(n, plan.difficultyMix),
              material,
              avoid: [...(recent.get(sub.name) ?? [])],
              ...(brief ? { brief } : {}),
            };
            const answer = await askWriter(ctx, input);
            await turn;
            if (!answer) return 0;
            const { output, raw } = answer;
            // Checked and added synchronously: concurrent batches never admit the same question twice.
            const rows: NewQuestion[] = [];
            const dropped: Array<{ text: string; reason: string; near: string | null }> = [];
            const index = indexOf(sub.name);
            const mine = new Map<string, string>();
            for (const q of output.questions) {
              const text = q.text.trim();
              const hash = sha256(normaliseForHash(text));
              if (hashes.has(hash)) {
                dropped.push({ text, reason: "duplicate question (exact)", near: null });
                continue;
              }
              const sig = questionSignature(text);
              const dup = index.check(sig);
              if (dup) {
                dropped.push({ text, reason: "duplicate question (near)", near: mine.get(dup.id) ?? dup.id });
                continue;
              }
              const id = newId("q");
              hashes.add(hash);
              index.add(id, sig);
              mine.set(id, text);
              remember(sub.name, text);
              rows.push({
                id,
                runId: ctx.runId,
                topic: plan.topic,
                subTopic: sub.name,
                difficulty: q.difficulty,
                text,
                textHash: hash,
              });
            }
            if (rows.length) await ctx.store.insertQuestions(rows);
            // The next batch may store now (a retry below does not hold it up).
            done();
            for (const d of dropped) {
              const nearText = d.near && !mine.has(d.near) ? await nearQuestionText(ctx, d.near) : d.near;
              await ctx.recordFailure(
                null,
                "questions",
                d.reason,
                JSON.stringify({ text: d.text, near: nearText }),
              );
            }
            if (rows.length > 0) return rows.length;
            if (wantFresh && fresh === null) {
              spent.add(sub.name);
              return 0;
            }
            ctx.logger.debug(
              `questions: a batch for "${sub.name}" produced only duplicates; trying more material`,
              {
                raw: raw.slice(0, 200),
              },
            );
          }
          return 0;
        } finally {
          // However the batch ended, the next one may store.
          done();
        }
      };

      const batches: Array<Promise<number>> = [];
      let turn: Promise<void> = Promise.resolve();
      for (const sub of plan.subTopics) {
        for (let want = shares.get(sub.name) ?? 0, first = true; want > 0; want -= BATCH, first = false) {
          const n = Math.min(BATCH, want);
          const firstOfSub = first;
          const previous = turn;
          let done!: () => void;
          // The next batch stores after this one stored its first answer (the calls overlap).
          turn = new Promise<void>((resolve) => {
            done = resolve;
          });
          batches.push(limit(() => writeBatch(sub, n, previous, done, firstOfSub)));
        }
      }
      const settled = await Promise.allSettled(batches);
      for (const r of settled) if (r.status === "fulfilled") produced += r.value;
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
      ctx.emit({ type: "progress", runId: ctx.runId, stage: "questions", done: produced, total: ctx.need });
    },
  };
}

/** Calls of the question writer per batch while its output is not valid. */
const WRITER_ATTEMPTS = 3;

/**
 * One answer of the question writer; an invalid output (not JSON, not the schema, or a
 * reply the model's filters blocked or left empty) is recorded as a failure (with the raw
 * output, or the finish reason) and asked again, up to {@link WRITER_ATTEMPTS} times (then
 * null: the batch writes nothing, and the run asks for more questions later). A blocked
 * reply never ends the run.
 */
async function askWriter(ctx: RunContext, input: QuestionInput): Promise<AgentResult<QuestionOutput> | null> {
  try {
    return await agentUntilValid(ctx, questionTask, input, "questions", WRITER_ATTEMPTS);
  } catch (e) {
    if (isSynthforgeError(e, "MODEL_OUTPUT_INVALID")) return null;
    throw e;
  }
}

/** Per run: sub-topics whose shared research the writer was given (in this process). */
const sharedAskedByRun = new WeakMap<object, Set<string>>();
function sharedMaterialAsked(ctx: RunContext): Set<string> {
  let set = sharedAskedByRun.get(ctx.run);
  if (!set) {
    set = new Set();
    sharedAskedByRun.set(ctx.run, set);
  }
  return set;
}

/** The text of an earlier question (for the failure record of a near duplicate). */
async function nearQuestionText(ctx: RunContext, id: string): Promise<string> {
  return (await ctx.store.getQuestion(id))?.text ?? id;
}
