import { generationTask, type RunBrief } from "../agents/generation.js";
import { isSynthforgeError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import type { Plan } from "../core/types.js";
import { OptionBalancer } from "../training-types/options.js";
import type { GenerationInput, SynthesizedContext } from "../training-types/types.js";
import { answerTracker, composedOffline, OPENING_CHARS } from "./answer-tracker.js";
import { invalidOutputRaw, invalidOutputReason, type RunContext } from "./context.js";
import { groundTruthPassages } from "./research-stage.js";
import { CandidateRejected, type Item, type ItemStage } from "./stage.js";

/** Attempts at a valid example before the candidate is dropped. */
const ATTEMPTS = 2;

const EMPTY_CONTEXT: SynthesizedContext = { summary: "", keyFacts: [], terminology: [], caveats: [] };

/** The generation input of an item (question, contexts, revision notes). */
export function generationInput(item: Item, ctx: RunContext): GenerationInput {
  const q = item.question;
  const input: GenerationInput = {
    question: q.text,
    topic: q.topic,
    subTopic: q.subTopic,
    difficulty: q.difficulty,
    trainingType: ctx.trainingType.name,
    context: (q.synthesizedContext as SynthesizedContext | null) ?? EMPTY_CONTEXT,
    passages: groundTruthPassages(q.groundTruthContext),
  };
  const brief = planBrief(ctx.plan);
  if (brief) input.brief = brief;
  if (item.round > 0 && item.example) {
    input.revision = { round: item.round, notes: item.revisionNotes, previous: item.example.data };
  }
  return input;
}

/**
 * What every agent that writes text gets of the plan: the request's constraints and the
 * plan's research and execution notes (null when the plan has none of them).
 */
export function planBrief(plan: Plan | null): RunBrief | null {
  if (!plan) return null;
  const brief: RunBrief = {};
  if (plan.constraints && Object.keys(plan.constraints).length) brief.constraints = plan.constraints;
  if (plan.researchNotes?.trim()) brief.researchNotes = plan.researchNotes.trim();
  if (plan.executionNotes?.trim()) brief.executionNotes = plan.executionNotes.trim();
  return Object.keys(brief).length ? brief : null;
}

/** The options a run recorded for its training type (`config.typeOptions[type]`), parsed by the type. */
export function runTypeOptions(ctx: RunContext): Record<string, unknown> {
  const all = (ctx.run.config.typeOptions ?? {}) as Record<string, unknown>;
  return ctx.trainingType.generation.options?.parse(all[ctx.trainingType.name]) ?? {};
}

type Balancers = WeakMap<object, Promise<OptionBalancer>>;

/**
 * Type-specific options of an item's next draft (e.g. the KTO label), balanced over the
 * run by an {@link OptionBalancer}; a revision keeps the options of its first draft.
 */
async function exampleOptions(
  item: Item,
  ctx: RunContext,
  balancers: Balancers,
): Promise<Record<string, unknown> | undefined> {
  const policy = ctx.trainingType.generation.options;
  if (!policy) return undefined;
  let balancer = balancers.get(ctx.run);
  if (!balancer) {
    balancer = (async () => {
      const b = new OptionBalancer(policy, runTypeOptions(ctx));
      for await (const ex of ctx.store.iterateExamples(ctx.runId, ctx.trainingType.name, {
        reviewStatus: ["approved"],
      }))
        b.count(ex.data);
      return b;
    })();
    balancers.set(ctx.run, balancer);
  }
  const q = item.question;
  return (await balancer).optionsFor({
    key: q.id,
    existing: item.example?.data ?? null,
    state: () =>
      q.status === "approved"
        ? "kept"
        : ["rejected", "failed", "skipped"].includes(q.status)
          ? "dropped"
          : "open",
  });
}

/**
 * The default generate stage (item-scoped): the generation agent writes the example in
 * the training type's shape; the type turns it into a row and validates it. An invalid
 * output (not JSON, not the schema, not a valid row, or a reply the model's filters
 * blocked or left empty) is recorded (with the raw model output, or the finish reason)
 * and asked for again, once. The example is stored (one row per question, replaced on
 * revision) and the question marked `generated`.
 */
export function generateStage(): ItemStage {
  const balancers: Balancers = new WeakMap();
  return {
    name: "generate",
    scope: "item",
    marks: "generated",
    async run(item, ctx) {
      const type = ctx.trainingType;
      const task = generationTask(type);
      const input = generationInput(item, ctx);
      const options = await exampleOptions(item, ctx, balancers);
      if (options) input.options = options;
      // Offline: the composer avoids the sentences other answers of the run use, and an
      // answer that opens like another's is written again, then dropped as a duplicate.
      const tracker = composedOffline(ctx) ? await answerTracker(ctx) : null;
      if (tracker) input.used = tracker.usedIn(item.question.id, input.passages);
      let lastReason = "";
      let lastRaw: string | null = null;
      /** The last attempt's reply problem when it was blocked or empty, e.g. "the model's reply was blocked (SAFETY)". */
      let lastReply: string | null = null;
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        let out: unknown;
        let raw = "";
        let model = "";
        try {
          const res = await ctx.agent(task, input);
          out = res.output;
          raw = res.raw;
          model = res.model;
        } catch (e) {
          // Output that is not JSON or not the schema, or a reply the model's filters blocked
          // (e.g. SAFETY) or left empty: recorded, and asked again.
          if (!isSynthforgeError(e, "MODEL_OUTPUT_INVALID")) throw e;
          lastReason = e.message;
          lastRaw = invalidOutputRaw(e);
          lastReply = typeof e.details?.finishReason === "string" ? String(e.details.problem) : null;
          await ctx.recordFailure(item.question.id, "generate", invalidOutputReason(e), lastRaw, attempt);
          continue;
        }
        lastReply = null;
        const row = await type.generation.toRow(out, input);
        const problems = type.validate(row);
        if (problems.length) {
          lastReason = `invalid ${type.name} example: ${problems.join("; ")}`;
          lastRaw = raw;
          await ctx.recordFailure(item.question.id, "generate", lastReason, raw, attempt);
          continue;
        }
        const twin = tracker?.claim(item.question.id, type.answerText(row), item.question) ?? null;
        if (tracker && twin) {
          lastReason = `duplicate: the answer opens like the answer to question ${twin} (the same first ${OPENING_CHARS} characters), and the sources hold no other sentence on its subject to open it with`;
          lastRaw = raw;
          await ctx.recordFailure(item.question.id, "generate", lastReason, raw, attempt);
          input.used = tracker.usedIn(item.question.id, input.passages);
          continue;
        }
        const sources = [...new Set(input.passages.map((p) => p.sourceId))];
        const example = await ctx.store.transaction(async (tx) => {
          const saved = await tx.saveExample({
            id: item.example?.id ?? newId("ex"),
            runId: ctx.runId,
            questionId: item.question.id,
            trainingType: type.name,
            data: row,
            model,
            provider: ctx.models.provider.name,
            qualityScore: null,
            reviewStatus: "pending",
            sources,
            revision: item.round,
          });
          await tx.updateQuestion(item.question.id, { status: "generated", revisions: item.round });
          return saved;
        });
        item.example = example;
        item.question.status = "generated";
        item.question.revisions = item.round;
        return;
      }
      if (lastReason.startsWith("duplicate:")) throw new CandidateRejected(lastReason, lastRaw, "rejected");
      // A blocked or empty last reply leads the reason: the run summary groups drops by it.
      throw new CandidateRejected(
        lastReply
          ? `${lastReply}: no valid example after ${ATTEMPTS} attempts; ${lastReason}`
          : `no valid example after ${ATTEMPTS} attempts: ${lastReason}`,
        lastRaw,
        "failed",
      );
    },
  };
}
