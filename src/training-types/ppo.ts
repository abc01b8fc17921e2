import { z } from "zod";
import { contentWords, coverage, sentences } from "../core/text.js";
import { composeAnswer, passageBudget } from "./compose.js";
import { registerTrainingType } from "./registry.js";
import { sameText, schemaProblems } from "./row-checks.js";
import type { GenerationInput, TrainingType } from "./types.js";

/** Stored columns of `synthetic_data_ppo`. */
export const ppoRowSchema = z.object({
  prompt: z.string().min(1),
  response: z.string().min(1),
  /** Reward of the response in [0, 1]. */
  reward: z.number().min(0).max(1),
  reward_rationale: z.string().min(1),
});
/** One PPO example as stored. */
export type PpoRow = z.infer<typeof ppoRowSchema>;

const ppoOutputSchema = z.object({
  prompt: z
    .string()
    .min(1)
    .describe("The user's request: self-contained, a prompt a policy model will be trained on."),
  response: z.string().min(1).describe("A reference response to the prompt."),
  reward: z
    .number()
    .min(0)
    .max(1)
    .describe("The reward a careful reward model would give the response, 0–1."),
  reward_rationale: z
    .string()
    .min(1)
    .describe("Why the response earns that reward: what it gets right and what it misses."),
});
type PpoOutput = z.infer<typeof ppoOutputSchema>;

const MIN_WORDS = { easy: 25, medium: 50, hard: 80 } as const;
const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * A deterministic reward for a response: half how much of the prompt it covers, a third
 * how many of its sentences the sources state word for word, and the rest its depth for
 * the difficulty. Used offline, where no reward model is available.
 */
export function offlineReward(
  input: GenerationInput,
  response: string,
): { reward: number; rationale: string } {
  const truth = input.passages.map((p) => p.text.replace(/\s+/g, " ")).join("\n");
  const sents = sentences(response);
  const supported = sents.filter((s) => truth.includes(s)).length;
  const cov = Math.min(1, coverage(input.question, response) / 0.75);
  const grounded = sents.length ? supported / sents.length : 0;
  const depth = Math.min(1, contentWords(response).length / MIN_WORDS[input.difficulty]);
  const reward = round2(0.5 * cov + (1 / 3) * grounded + (1 / 6) * depth);
  const rationale = [
    `Covers ${Math.round(cov * 100)}% of what the prompt asks about.`,
    `${supported} of ${sents.length} sentences are stated by the sources.`,
    depth >= 1
      ? `Deep enough for a ${input.difficulty} prompt.`
      : `Shallow for a ${input.difficulty} prompt.`,
  ].join(" ");
  return { reward, rationale };
}

/**
 * PPO data: prompts for the policy to learn on, each with a reference response, its
 * reward in [0, 1] and the reward's rationale (reward-model data beside the prompts).
 */
export const ppoType: TrainingType<PpoRow, PpoOutput> = {
  name: "ppo",
  title: "Proximal policy optimisation (PPO)",
  questionHint: "prompts whose answers a reward model can score",
  rowSchema: ppoRowSchema,
  generation: {
    outputSchema: ppoOutputSchema,
    deep: false,
    instructions: [
      "Produce one PPO example: a prompt for the policy, a reference response, and the response's reward.",
      "`prompt`: the user's message, self-contained (no 'according to the text'); it must admit answers of different",
      "quality that a reward model can tell apart.",
      "`response`: a good answer grounded in the research context.",
      "`reward`: 0–1, as a strict reward model would score the response for accuracy, completeness and helpfulness.",
      "`reward_rationale`: what earns the reward and what costs it, concretely.",
      "Do not mention the sources, the context or these instructions in the prompt or response.",
    ].join("\n"),
    toRow: (out) => ({
      prompt: out.prompt.trim(),
      response: out.response.trim(),
      reward: round2(out.reward),
      reward_rationale: out.reward_rationale.trim(),
    }),
    offline: (input) => {
      // Responses of different depth, so rewards spread over the dataset.
      const budget = Math.max(1, passageBudget(input) - (input.question.length % 2));
      const response = composeAnswer(input, { passages: budget });
      const { reward, rationale } = offlineReward(input, response);
      return { prompt: input.question, response, reward, reward_rationale: rationale };
    },
  },
  validate(row) {
    const errs = schemaProblems(ppoRowSchema, row);
    if (
      typeof row.prompt === "string" &&
      typeof row.response === "string" &&
      sameText(row.prompt, row.response)
    ) {
      errs.push("response repeats the prompt");
    }
    if (typeof row.response === "string" && row.response.trim().length < 20)
      errs.push("response is too short to be useful");
    if (typeof row.reward_rationale === "string" && row.reward_rationale.trim().split(/\s+/).length < 4) {
      errs.push("reward_rationale must say why the response earns its reward");
    }
    return errs;
  },
  rubric: [
    "accuracy: every claim of the response agrees with the ground-truth passages, and the reward is calibrated:",
    "  it matches how good the response really is (score 0.3 or less for a clearly wrong reward).",
    "completeness: the response answers the prompt; the rationale names what earns and what costs reward.",
    "helpfulness: the prompt is a useful training prompt for a policy (answerable, specific, not trivial).",
    "clarity: prompt and response are clear.",
    "difficulty_fit: the prompt fits the requested difficulty.",
  ].join("\n"),
  promptText: (r) => r.prompt,
  answerText: (r) => r.response,
  exporters: {
    // PPO trains on prompts only; the reference response and its reward ride along as
    // extra columns (the PPO scripts tokenize `prompt` and drop the rest).
    "trl-prompt-only": (r) => ({
      prompt: r.prompt,
      response: r.response,
      reward: r.reward,
      reward_rationale: r.reward_rationale,
    }),
  },
  hub: {
    taskCategories: ["text-generation", "reinforcement-learning"],
    tags: ["ppo", "rlhf", "prompt-only", "reward"],
  },
};

registerTrainingType(ppoType);
