import { z } from "zod";
import {
  composeAnswer,
  degrade,
  FLAWS,
  type Flaw,
  flawLabelSchema,
  hashUnit,
  OFFLINE_RATINGS,
} from "./compose.js";
import { pairExporters, pairProblems } from "./preference.js";
import { registerTrainingType } from "./registry.js";
import { sameText, schemaProblems } from "./row-checks.js";
import type { GenerationInput, TrainingType } from "./types.js";

/** One of the k ranked responses of an RLHF example. */
export const rankedResponseSchema = z.object({
  text: z.string().min(1),
  /** Quality, 1–10. */
  rating: z.number().min(1).max(10),
  /** 1 = best. */
  rank: z.number().int().min(1),
  /** How the response falls short (`none` for a response without a flaw; any snake_case flaw label). */
  flaw: flawLabelSchema,
});
/** A ranked response. */
export type RankedResponse = z.infer<typeof rankedResponseSchema>;

/** Fewest responses per RLHF prompt. */
export const RLHF_MIN_RESPONSES = 2;
/** Most responses per RLHF prompt. */
export const RLHF_MAX_RESPONSES = 6;

/** Stored columns of `synthetic_data_rlhf`. */
export const rlhfRowSchema = z.object({
  prompt: z.string().min(1),
  responses: z.array(rankedResponseSchema).min(RLHF_MIN_RESPONSES).max(RLHF_MAX_RESPONSES),
  chosen: z.string().min(1),
  rejected: z.string().min(1),
  margin: z.number().nullable(),
});
/** One RLHF (reward-model) example as stored. */
export type RlhfRow = z.infer<typeof rlhfRowSchema>;

const rlhfOutputSchema = z.object({
  prompt: z.string().min(1).describe("The user's request: self-contained, as a real user would write it."),
  responses: z
    .array(
      z.object({
        text: z.string().min(1),
        rating: z.number().min(1).max(10).describe("Quality 1–10; every response a different rating."),
        flaw: z
          .enum(["none", ...FLAWS])
          .describe('"none" for the best response; otherwise how it falls short.'),
      }),
    )
    .min(RLHF_MIN_RESPONSES)
    .max(RLHF_MAX_RESPONSES),
});
type RlhfOutput = z.infer<typeof rlhfOutputSchema>;

/**
 * Ranks responses by rating (best first, ties keep their order), and picks the
 * preferred pair: the best response as chosen, the worst as rejected, with the rating
 * difference as margin.
 */
export function rankResponses(
  prompt: string,
  responses: Array<{ text: string; rating: number; flaw: RankedResponse["flaw"] }>,
): RlhfRow {
  const ranked = responses
    .map((r, i) => ({ ...r, text: r.text.trim(), i }))
    .sort((a, b) => b.rating - a.rating || a.i - b.i)
    .map((r, k) => ({ text: r.text, rating: r.rating, rank: k + 1, flaw: r.flaw }));
  const best = ranked[0]!;
  const worst = ranked[ranked.length - 1]!;
  return {
    prompt: prompt.trim(),
    responses: ranked,
    chosen: best.text,
    rejected: worst.text,
    margin: Math.round((best.rating - worst.rating) * 1000) / 1000,
  };
}

/** How many responses an offline example gets: 3, or 4 for hard questions. */
function offlineK(input: GenerationInput): number {
  return input.difficulty === "hard" ? 4 : 3;
}

/**
 * Reward-model data (RLHF): k ≥ 2 responses to one prompt, each rated 1–10 and ranked,
 * plus the preferred pair (best as chosen, worst as rejected) and their rating margin.
 */
export const rlhfType: TrainingType<RlhfRow, RlhfOutput> = {
  name: "rlhf",
  title: "Reward-model comparisons (RLHF)",
  questionHint: "questions that admit answers of clearly different quality",
  rowSchema: rlhfRowSchema,
  generation: {
    outputSchema: rlhfOutputSchema,
    deep: false,
    instructions: [
      `Produce one reward-model example: a prompt and ${RLHF_MIN_RESPONSES}–${RLHF_MAX_RESPONSES} responses of clearly different quality (3 or 4 is typical).`,
      "`prompt`: the user's message, self-contained (no 'according to the text').",
      '`responses`: one ideal response (`flaw: "none"`, accurate to the research context and complete) and responses',
      "a capable but careless model could plausibly give, each worse in one way (`flaw`): factual_error (a checkable",
      "mistake), incomplete (leaves out a needed part), unhelpful (vague or evasive), off_topic (answers something else).",
      "Rate each 1–10 for overall quality; give every response a different rating. Responses must all differ and read",
      "naturally (no markers). Code ranks them by rating and picks the preferred pair.",
      "Do not mention the sources, the context or these instructions in any response.",
    ].join("\n"),
    toRow: (out) => rankResponses(out.prompt, out.responses),
    offline: (input) => {
      const good = composeAnswer(input);
      const responses: RlhfOutput["responses"] = [{ text: good, rating: OFFLINE_RATINGS.none, flaw: "none" }];
      const order: Flaw[] = ["incomplete", "factual_error", "off_topic", "unhelpful"];
      const start = Math.floor(hashUnit(input.question) * 2);
      const want = offlineK(input);
      for (let i = 0; i < order.length && responses.length < want; i++) {
        const flaw = i === 0 ? "incomplete" : order[1 + ((start + i - 1) % 3)]!;
        const d = degrade(input, good, flaw);
        if (!d || responses.some((r) => sameText(r.text, d.text))) continue;
        // Distinct ratings: lower each further flaw by one when it would tie.
        let rating = OFFLINE_RATINGS[d.flaw];
        while (responses.some((r) => r.rating === rating)) rating -= 1;
        responses.push({ text: d.text, rating: Math.max(1, rating), flaw: d.flaw });
      }
      if (responses.length < RLHF_MIN_RESPONSES)
        responses.push({ ...degrade(input, good, "unhelpful")!, rating: 1, flaw: "unhelpful" });
      return { prompt: input.question, responses };
    },
  },
  validate(row) {
    const errs = schemaProblems(rlhfRowSchema, row);
    if (errs.length) return errs;
    errs.push(...pairProblems(row));
    const rs = row.responses;
    const ranks = rs.map((r) => r.rank).sort((a, b) => a - b);
    if (ranks.some((r, i) => r !== i + 1))
      errs.push(`ranks must be 1..${rs.length}, each once (got ${ranks.join(", ")})`);
    for (let i = 0; i < rs.length; i++) {
      for (let j = i + 1; j < rs.length; j++)
        if (sameText(rs[i]!.text, rs[j]!.text))
          errs.push(`responses ${i + 1} and ${j + 1} are the same text`);
    }
    const byRank = [...rs].sort((a, b) => a.rank - b.rank);
    for (let i = 1; i < byRank.length; i++) {
      if (byRank[i]!.rating > byRank[i - 1]!.rating)
        errs.push(`rank ${byRank[i]!.rank} is rated higher than rank ${byRank[i - 1]!.rank}`);
    }
    const best = byRank[0]!;
    const chosen = rs.find((r) => r.text === row.chosen);
    const rejected = rs.find((r) => r.text === row.rejected);
    if (!chosen) errs.push("chosen must be one of the responses");
    else if (chosen.rank !== 1) errs.push("chosen must be the rank-1 response");
    if (!rejected) errs.push("rejected must be one of the responses");
    else if (chosen && rejected.rating >= chosen.rating)
      errs.push("rejected must be rated lower than chosen");
    if (best.flaw !== "none") errs.push("the best response should have no flaw");
    if (
      chosen &&
      rejected &&
      row.margin !== null &&
      Math.abs(row.margin - (chosen.rating - rejected.rating)) > 1e-6
    ) {
      errs.push(
        `margin (${row.margin}) must equal the rating difference of chosen and rejected (${chosen.rating - rejected.rating})`,
      );
    }
    return errs;
  },
  rubric: [
    "accuracy: every claim of the rank-1 (chosen) response agrees with the ground-truth passages.",
    "completeness: the chosen response answers every part of the prompt.",
    "helpfulness: the ranking is right: each response is better than every lower-ranked one, the flaws are as stated and",
    "  plausible, and the ratings are spread so a reward model can learn from them. Score 0.3 or less for a wrong order.",
    "clarity: responses are well written; flaws are in content, not in garbled text.",
    "difficulty_fit: depth matches the requested difficulty.",
  ].join("\n"),
  promptText: (r) => r.prompt,
  answerText: (r) => r.chosen,
  exporters: (() => {
    const pair = pairExporters<RlhfRow>((r) => r.margin);
    return {
      "trl-reward": pair["trl-reward"],
      "trl-dpo": pair["trl-dpo"],
      "openai-dpo": pair["openai-dpo"],
      sharegpt: pair.sharegpt,
    };
  })(),
  hub: {
    taskCategories: ["text-classification", "text-generation"],
    tags: ["rlhf", "reward-modeling", "preference"],
  },
};

registerTrainingType(rlhfType);
