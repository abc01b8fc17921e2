import { z } from "zod";
import type { TrainingTypeName } from "../core/types.js";
import { composeAnswer, FLAWS, flawLabelSchema, OFFLINE_RATINGS, offlineDegrade } from "./compose.js";
import { sameText, schemaProblems } from "./row-checks.js";
import type { Exporter, TrainingType } from "./types.js";

/**
 * Shared parts of the paired-preference types (DPO and ORPO): a prompt, a chosen and a
 * rejected response, their 1–10 ratings and the stated way the rejected one is worse.
 */

/** Stored columns of `synthetic_data_dpo` and `synthetic_data_orpo`. */
export const preferenceRowSchema = z.object({
  prompt: z.string().min(1),
  chosen: z.string().min(1),
  rejected: z.string().min(1),
  chosen_rating: z.number().min(1).max(10),
  rejected_rating: z.number().min(1).max(10),
  /** How the rejected response is worse: `factual_error`, `incomplete`, `unhelpful`, `off_topic` or another snake_case label. */
  rejection_reason: flawLabelSchema,
  rejection_explanation: z.string().nullable(),
});
/** One DPO or ORPO example as stored. */
export type PreferenceRow = z.infer<typeof preferenceRowSchema>;

/** What the generation agent returns for a preference example. */
export const preferenceOutputSchema = z.object({
  prompt: z.string().min(1).describe("The user's request: self-contained, as a real user would write it."),
  chosen: z
    .string()
    .min(1)
    .describe("The ideal response: accurate to the research context, complete, clear."),
  rejected: z
    .string()
    .min(1)
    .describe("A plausible but worse response, flawed in exactly the way rejection_reason says."),
  rejection_reason: z.enum(FLAWS).describe("How the rejected response is worse."),
  rejection_explanation: z
    .string()
    .min(1)
    .describe("One or two sentences: what exactly is wrong with the rejected response."),
  chosen_rating: z.number().min(1).max(10).describe("Quality of the chosen response, 1–10."),
  rejected_rating: z
    .number()
    .min(1)
    .max(10)
    .describe("Quality of the rejected response, 1–10; lower than chosen_rating."),
});
type PreferenceOutput = z.infer<typeof preferenceOutputSchema>;

const user = (content: string) => [{ role: "user", content }];
const assistant = (content: string) => [{ role: "assistant", content }];

/** Exporters shared by every paired-preference type (and RLHF's preferred pair). */
export function pairExporters<R extends { prompt: string; chosen: string; rejected: string }>(
  margin: (r: R) => number | null,
): Record<"trl-dpo" | "trl-orpo" | "trl-reward" | "openai-dpo" | "sharegpt", Exporter<R>> {
  return {
    "trl-dpo": (r) => ({
      prompt: user(r.prompt),
      chosen: assistant(r.chosen),
      rejected: assistant(r.rejected),
    }),
    "trl-orpo": (r) => ({ prompt: r.prompt, chosen: r.chosen, rejected: r.rejected }),
    "trl-reward": (r) => {
      const m = margin(r);
      return {
        chosen: [...user(r.prompt), ...assistant(r.chosen)],
        rejected: [...user(r.prompt), ...assistant(r.rejected)],
        ...(m === null ? {} : { margin: m }),
      };
    },
    "openai-dpo": (r) => ({
      input: { messages: user(r.prompt) },
      preferred_output: assistant(r.chosen),
      non_preferred_output: assistant(r.rejected),
    }),
    sharegpt: (r) => ({
      conversations: [{ from: "human", value: r.prompt }],
      chosen: { from: "gpt", value: r.chosen },
      rejected: { from: "gpt", value: r.rejected },
    }),
  };
}

/** Problems shared by rows with a chosen and a rejected response. */
export function pairProblems(row: { prompt?: unknown; chosen?: unknown; rejected?: unknown }): string[] {
  const errs: string[] = [];
  if (typeof row.chosen === "string" && typeof row.rejected === "string") {
    if (sameText(row.chosen, row.rejected)) errs.push("rejected is the same text as chosen");
    if (row.chosen.trim().length < 20) errs.push("chosen is too short to be useful");
  }
  if (typeof row.prompt === "string" && typeof row.chosen === "string" && sameText(row.prompt, row.chosen)) {
    errs.push("chosen repeats the prompt");
  }
  return errs;
}

const FLAW_RUBRIC = [
  "factual_error: states something the sources contradict (a wrong number, a swapped term), otherwise fluent",
  "incomplete: correct as far as it goes but leaves out a part the question needs",
  "unhelpful: vague, evasive or generic; does not actually answer",
  "off_topic: answers a different question than the one asked",
].join("; ");

/**
 * A paired-preference training type (DPO or ORPO). `extra` adds to the instructions and
 * rubric what is specific to the method.
 */
export function preferenceType(opts: {
  name: Extract<TrainingTypeName, "dpo" | "orpo">;
  title: string;
  extraInstructions: string;
  extraRubric: string;
  tags: string[];
}): TrainingType<PreferenceRow, PreferenceOutput> {
  const exporters = pairExporters<PreferenceRow>((r) => round(r.chosen_rating - r.rejected_rating));
  return {
    name: opts.name,
    title: opts.title,
    questionHint: "questions where a careless answer could be subtly wrong or incomplete",
    rowSchema: preferenceRowSchema,
    generation: {
      outputSchema: preferenceOutputSchema,
      deep: false,
      instructions: [
        "Produce one preference pair for the question: a prompt, a chosen response and a rejected response.",
        "`prompt`: the user's message. Keep the question's intent; make it self-contained (no 'according to the text').",
        "`chosen`: the ideal answer, accurate to the research context, complete for the difficulty, clear.",
        "`rejected`: a response a capable but careless model could plausibly give, worse in ONE stated way",
        `(\`rejection_reason\`): ${FLAW_RUBRIC}.`,
        "The rejected response must read naturally (no markers such as 'WRONG'), must differ from chosen,",
        "and must not be absurd: the pair teaches a subtle preference.",
        "`rejection_explanation`: what exactly is wrong with it, citing the correct fact when it is a factual error.",
        "`chosen_rating` and `rejected_rating`: 1–10 quality ratings; the chosen rating must be higher.",
        opts.extraInstructions,
        "Do not mention the sources, the context or these instructions in any response.",
      ].join("\n"),
      toRow: (out) => ({
        prompt: out.prompt.trim(),
        chosen: out.chosen.trim(),
        rejected: out.rejected.trim(),
        chosen_rating: out.chosen_rating,
        rejected_rating: out.rejected_rating,
        rejection_reason: out.rejection_reason,
        rejection_explanation: out.rejection_explanation.trim(),
      }),
      offline: (input) => {
        const chosen = composeAnswer(input);
        const bad = offlineDegrade(input, chosen);
        return {
          prompt: input.question,
          chosen,
          rejected: bad.text,
          rejection_reason: bad.flaw,
          rejection_explanation: bad.explanation,
          chosen_rating: OFFLINE_RATINGS.none,
          rejected_rating: OFFLINE_RATINGS[bad.flaw],
        };
      },
    },
    validate(row) {
      const errs = schemaProblems(preferenceRowSchema, row);
      errs.push(...pairProblems(row));
      if (
        typeof row.chosen_rating === "number" &&
        typeof row.rejected_rating === "number" &&
        row.chosen_rating <= row.rejected_rating
      ) {
        errs.push(
          `chosen_rating (${row.chosen_rating}) must be higher than rejected_rating (${row.rejected_rating})`,
        );
      }
      if (
        row.rejection_explanation !== null &&
        typeof row.rejection_explanation === "string" &&
        !row.rejection_explanation.trim()
      ) {
        errs.push("rejection_explanation is empty");
      }
      return errs;
    },
    rubric: [
      "accuracy: every claim of the CHOSEN response agrees with the ground-truth passages; no invented facts.",
      "completeness: the chosen response answers every part of the prompt at the requested difficulty.",
      "helpfulness: the pair teaches a real preference: the rejected response is plausible (a model could say it)",
      "  and worse in exactly the way rejection_reason states; score 0.3 or less if it is as good as chosen,",
      "  absurd, or flawed in a different way than stated.",
      "clarity: the chosen response is well organised and precise.",
      "difficulty_fit: depth matches the requested difficulty.",
      opts.extraRubric,
    ]
      .filter(Boolean)
      .join("\n"),
    promptText: (r) => r.prompt,
    answerText: (r) => r.chosen,
    exporters:
      opts.name === "dpo"
        ? exporters
        : {
            "trl-orpo": exporters["trl-orpo"],
            "trl-dpo": exporters["trl-dpo"],
            "openai-dpo": exporters["openai-dpo"],
            sharegpt: exporters.sharegpt,
            "trl-reward": exporters["trl-reward"],
          },
    hub: { taskCategories: ["text-generation"], tags: ["preference", ...opts.tags] },
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
