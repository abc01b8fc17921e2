import { intakeTask, planTask } from "../agents/orchestrator.js";
import { SynthforgeError } from "../core/errors.js";
import { parseCount, parseRequest, parseTrainingType } from "../core/request.js";
import { coverage } from "../core/text.js";
import type { GenerationSpec, Plan, SubTopic, TrainingTypeName } from "../core/types.js";
import { agentUntilValid, type RunContext } from "./context.js";
import type { RunStage } from "./stage.js";

/** A question the pipeline asks when the request leaves something out. */
export interface ClarifyQuestion {
  field: "count" | "trainingType" | "topic";
  question: string;
  /** The value `--yes` (or an empty answer) takes. */
  default: string;
  choices?: string[];
}

/** Answers the clarifying questions: field → answer (an empty answer takes the default). */
export type ClarifyFn = (
  questions: ClarifyQuestion[],
) => Promise<Partial<Record<ClarifyQuestion["field"], string>>>;

/** What `pipeline.run` accepts: a free-text request, or the spec's fields directly. */
export type RunRequest =
  | string
  | { request?: string; count?: number; trainingType?: TrainingTypeName | string; topic?: string };

/** Defaults used when a clarifying question is answered with nothing (or `--yes`). */
export const SPEC_DEFAULTS = { count: 10, trainingType: "sft", topic: "general science" } as const;

const QUESTIONS: Record<ClarifyQuestion["field"], Omit<ClarifyQuestion, "field">> = {
  count: { question: "How many approved examples do you want?", default: String(SPEC_DEFAULTS.count) },
  trainingType: {
    question: "Which training type (sft, dpo, ppo, grpo, rlhf, kto, orpo, chat, qa)?",
    default: SPEC_DEFAULTS.trainingType,
    choices: ["sft", "dpo", "ppo", "grpo", "rlhf", "kto", "orpo", "chat", "qa"],
  },
  topic: { question: "What topic should the data cover?", default: SPEC_DEFAULTS.topic },
};

/**
 * Turns a request into a complete spec. Code reads what it can (`parseRequest`); when
 * something is still missing, the orchestrator's intake agent reads the request; what
 * is still missing after that is asked through `clarify`.
 *
 * @throws SynthforgeError `CLARIFICATION_NEEDED` naming the missing fields when there is
 *   no `clarify`; `INVALID_COUNT` / `UNKNOWN_TRAINING_TYPE` for bad values.
 */
export async function resolveSpec(
  request: RunRequest,
  opts: { clarify?: ClarifyFn; force?: boolean; intake?: (text: string) => Promise<Partial<GenerationSpec>> },
): Promise<{
  spec: GenerationSpec;
  requestText: string;
  answered: Partial<Record<ClarifyQuestion["field"], string>>;
}> {
  const text = typeof request === "string" ? request : (request.request ?? "");
  const given = typeof request === "string" ? {} : request;
  const parsed = parseRequest(text, { force: opts.force ?? false });
  const partial: Partial<GenerationSpec> = {
    count: given.count !== undefined ? parseCount(given.count, { force: opts.force ?? false }) : parsed.count,
    trainingType:
      given.trainingType !== undefined ? parseTrainingType(given.trainingType) : parsed.trainingType,
    topic: given.topic?.trim() || parsed.topic,
  };
  let missing = (["count", "trainingType", "topic"] as const).filter((f) => partial[f] === undefined);
  if (missing.length && text.trim() && opts.intake) {
    const read = await opts.intake(text);
    if (partial.count === undefined && read.count != null)
      partial.count = parseCount(read.count, { force: opts.force ?? false });
    if (partial.trainingType === undefined && read.trainingType)
      partial.trainingType = parseTrainingType(read.trainingType);
    if (partial.topic === undefined && read.topic) partial.topic = read.topic;
    missing = missing.filter((f) => partial[f] === undefined);
  }
  const answered: Partial<Record<ClarifyQuestion["field"], string>> = {};
  if (missing.length) {
    if (!opts.clarify) {
      throw new SynthforgeError(
        "CLARIFICATION_NEEDED",
        `The request does not say the ${missing.map(fieldName).join(", ")}. Say it in the request (e.g. "Generate 50 SFT examples about organic chemistry"), pass it directly, or answer the questions (use --yes to take defaults).`,
        { details: { missing } },
      );
    }
    const answers = await opts.clarify(missing.map((field) => ({ field, ...QUESTIONS[field] })));
    for (const f of missing) {
      const a = answers[f]?.trim() || QUESTIONS[f].default;
      answered[f] = a;
      if (f === "count") partial.count = parseCount(a, { force: opts.force ?? false });
      else if (f === "trainingType") partial.trainingType = parseTrainingType(a);
      else partial.topic = a;
    }
  }
  return {
    spec: partial as GenerationSpec,
    requestText: text || describeSpec(partial as GenerationSpec),
    answered,
  };
}

function fieldName(f: ClarifyQuestion["field"]): string {
  return f === "trainingType" ? "training type" : f;
}

/** "Generate 10 SFT examples about organic chemistry". */
export function describeSpec(spec: GenerationSpec): string {
  return `Generate ${spec.count} ${spec.trainingType.toUpperCase()} examples about ${spec.topic}`;
}

/** The intake agent, as `resolveSpec` wants it. */
export function intakeWith(
  ctx: Pick<RunContext, "agent">,
): (text: string) => Promise<Partial<GenerationSpec>> {
  return async (text) => {
    const { output } = await ctx.agent(intakeTask, { request: text });
    return {
      ...(output.count != null && output.count > 0 ? { count: output.count } : {}),
      ...(output.trainingType ? { trainingType: output.trainingType } : {}),
      ...(output.topic ? { topic: output.topic } : {}),
    };
  };
}

/**
 * Splits `count` over weighted sub-topics by largest remainder, so quotas always sum
 * to exactly `count`. Sub-topics beyond `count` get nothing and are dropped.
 */
export function allocateQuotas(
  count: number,
  subTopics: Array<{ name: string; focus: string; weight: number }>,
): SubTopic[] {
  const list = subTopics.slice(0, Math.max(1, Math.min(subTopics.length, count)));
  const total = list.reduce((s, t) => s + Math.max(t.weight, 0.0001), 0);
  const exact = list.map((t) => (count * Math.max(t.weight, 0.0001)) / total);
  const quotas = exact.map(Math.floor);
  let left = count - quotas.reduce((s, q) => s + q, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) quotas[order[k]!.i]! += 1;
  return list.map((t, i) => ({ name: t.name, focus: t.focus, quota: quotas[i]! })).filter((t) => t.quota > 0);
}

function normaliseMix(mix: { easy: number; medium: number; hard: number }): Plan["difficultyMix"] {
  const total = mix.easy + mix.medium + mix.hard;
  if (!(total > 0)) return { easy: 0.3, medium: 0.5, hard: 0.2 };
  const r = (x: number) => Math.round((x / total) * 1000) / 1000;
  return { easy: r(mix.easy), medium: r(mix.medium), hard: r(mix.hard) };
}

/**
 * Titles of documents the sources hold on the topic, best first (grounds the sub-topics).
 * A document's score is how much of the topic its title and address name (a local
 * note in `organic-chemistry/` names "organic chemistry"); only the best-scoring tier is
 * kept, widened to a few documents when the best tier is small.
 */
async function sourceHints(
  ctx: RunContext,
  topic: string,
  want: number,
): Promise<Array<{ title: string; adapter: string }>> {
  const hints: Array<{ title: string; adapter: string; named: number; body: number }> = [];
  for (const source of ctx.sources) {
    try {
      const docs = await source.search(topic, { limit: 20, signal: ctx.signal });
      for (const d of docs) {
        const named = coverage(topic, `${d.title} ${decodeURIComponent(d.url).replace(/[/_.-]+/g, " ")}`);
        const body = coverage(topic, d.passages.map((p) => p.text).join(" "));
        if (named > 0 || body >= 0.5) hints.push({ title: d.title, adapter: source.id, named, body });
      }
    } catch (e) {
      await ctx.recordFailure(
        null,
        "plan",
        `source ${source.id} failed while planning: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
  hints.sort((a, b) => b.named - a.named || b.body - a.body);
  const best = hints[0]?.named ?? 0;
  const top = hints.filter((h) => h.named >= best - 1e-9);
  const kept = top.length >= Math.min(3, want) ? top : hints.slice(0, Math.min(3, want));
  return kept.map(({ title, adapter }) => ({ title, adapter }));
}

/** Calls of the orchestrator while its plan is not valid. */
const PLAN_ATTEMPTS = 3;

/** The default plan stage: the orchestrator plans sub-topics; code sets the quotas. */
export function planStage(): RunStage {
  return {
    name: "plan",
    scope: "run",
    async run(ctx) {
      if (ctx.plan) return;
      const spec: GenerationSpec = {
        count: ctx.run.targetCount,
        trainingType: ctx.run.trainingType,
        topic: ctx.run.topic,
      };
      const maxSubTopics = Math.min(8, spec.count);
      const input = {
        request: ctx.run.request,
        spec,
        sourceHints: (await sourceHints(ctx, spec.topic, maxSubTopics)).slice(0, 20),
        sources: ctx.sources.map((s) => s.id),
        maxSubTopics,
      };
      // An invalid plan (not JSON, not the schema, or a blocked or empty reply) is recorded
      // and asked for again.
      const { output } = await agentUntilValid(ctx, planTask, input, "plan", PLAN_ATTEMPTS);
      const plan: Plan = {
        topic: spec.topic,
        domain: output.domain,
        trainingType: spec.trainingType,
        count: spec.count,
        subTopics: allocateQuotas(spec.count, output.subTopics.slice(0, maxSubTopics)),
        difficultyMix: normaliseMix(output.difficultyMix),
        sources: ctx.sources.map((s) => s.id),
        licencePolicy:
          ctx.licencePolicy.base +
          (ctx.licencePolicy.allow.length ? ` +allow ${ctx.licencePolicy.allow.join(",")}` : "") +
          (ctx.licencePolicy.deny.length ? ` -deny ${ctx.licencePolicy.deny.join(",")}` : ""),
        researchNotes: output.researchNotes,
        executionNotes: output.executionNotes,
      };
      await ctx.store.updateRun(ctx.runId, { plan });
      ctx.plan = plan;
      ctx.emit({ type: "plan", runId: ctx.runId, plan });
    },
  };
}
