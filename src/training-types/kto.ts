import { z } from "zod";
import { SynthforgeError } from "../core/errors.js";
import { contentWords, coverage, sentences } from "../core/text.js";
import { lexicalFactCheck } from "../tools/claims.js";
import { assessResponseSync } from "../tools/consistency.js";
import { composeAnswer, FLAWS, type Flaw, nearestFlaw, offlineDegrade } from "./compose.js";
import { registerTrainingType } from "./registry.js";
import { sameText, schemaProblems } from "./row-checks.js";
import type { ExampleOptionsPolicy, OfflineJudgeInput, OfflineVerdict, TrainingType } from "./types.js";

/** Stored columns of `synthetic_data_kto`. */
export const ktoRowSchema = z.object({
  prompt: z.string().min(1),
  completion: z.string().min(1),
  label: z.boolean(),
  label_reason: z.string().nullable(),
});
/** One KTO example as stored. */
export type KtoRow = z.infer<typeof ktoRowSchema>;

const ktoOutputSchema = z.object({
  prompt: z.string().min(1).describe("The user's request: self-contained, as a real user would write it."),
  completion: z
    .string()
    .min(1)
    .describe("The response, desirable or undesirable as the input's options.label asks."),
  flaw: z
    .enum(["none", ...FLAWS])
    .describe('"none" for a desirable completion; otherwise how the undesirable completion is worse.'),
  explanation: z
    .string()
    .min(1)
    .describe("Why the completion is desirable, or what exactly is wrong with it."),
});
type KtoOutput = z.infer<typeof ktoOutputSchema>;

/** Default share of desirable examples in a KTO run. */
export const DEFAULT_DESIRABLE_RATIO = 0.5;

/**
 * Reads the desirable share from KTO type options: `desirableRatio` as a fraction in
 * [0, 1] (`0.6`) or as a `"desirable:undesirable"` ratio string (`"3:2"`).
 */
export function parseDesirableRatio(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_DESIRABLE_RATIO;
  if (typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= 1) return value;
  if (typeof value === "string") {
    const m = /^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(value);
    if (m) {
      const a = Number(m[1]);
      const b = Number(m[2]);
      if (a + b > 0) return a / (a + b);
    }
  }
  throw new SynthforgeError(
    "CONFIG_INVALID",
    `kto.desirableRatio must be a number from 0 to 1 (the desirable share, e.g. 0.6) or a "desirable:undesirable" ratio such as "3:2", got ${JSON.stringify(value)}.`,
  );
}

/**
 * The KTO label of each new example, chosen so that the examples a run keeps follow the
 * desirable ratio: a new example is desirable while desirable examples are at or below
 * their share.
 */
export const ktoOptionsPolicy: ExampleOptionsPolicy<KtoRow> = {
  parse(typeOptions) {
    if (
      typeOptions !== undefined &&
      (typeof typeOptions !== "object" || typeOptions === null || Array.isArray(typeOptions))
    ) {
      throw new SynthforgeError(
        "CONFIG_INVALID",
        "typeOptions.kto must be an object such as { desirableRatio: 0.5 }.",
      );
    }
    const o = (typeOptions ?? {}) as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => k !== "desirableRatio");
    if (unknown.length)
      throw new SynthforgeError(
        "CONFIG_INVALID",
        `Unknown kto option ${unknown.join(", ")}; the only one is desirableRatio.`,
      );
    return { desirableRatio: parseDesirableRatio(o.desirableRatio) };
  },
  bucketOf: (row) => (row.label ? "desirable" : "undesirable"),
  choose(typeOptions, kept) {
    const ratio =
      typeof typeOptions.desirableRatio === "number" ? typeOptions.desirableRatio : DEFAULT_DESIRABLE_RATIO;
    const d = kept.desirable ?? 0;
    const total = d + (kept.undesirable ?? 0);
    // Desirable while that keeps the desirable share closest to the ratio.
    const label =
      ratio >= 1 ||
      (ratio > 0 && Math.abs((d + 1) / (total + 1) - ratio) <= Math.abs(d / (total + 1) - ratio));
    return { bucket: label ? "desirable" : "undesirable", options: { label } };
  },
  optionsOf: (row) => ({ label: row.label }),
};

/** The flaw named at the start of an undesirable example's `label_reason`. */
export function flawOf(labelReason: string | null): Flaw | null {
  const m = /^([a-z_]+):/.exec(labelReason ?? "");
  return m && (FLAWS as readonly string[]).includes(m[1]!) ? (m[1] as Flaw) : null;
}

const MIN_WORDS = { easy: 25, medium: 50, hard: 80 } as const;
const flat = (s: string) => s.replace(/\s+/g, " ").trim();

/**
 * Offline verdict on an undesirable completion: good training data when the stated flaw
 * is really there (a sentence altered from the sources, an answer cut short, a
 * deflection, a different subject) and the reason says so.
 */
export function judgeUndesirable(input: OfflineJudgeInput, row: KtoRow): OfflineVerdict {
  const truth = flat(input.passages.map((p) => p.text).join("\n"));
  // "factual_error: …", or a reason in its own words ("Both dates are wrong").
  const flaw = flawOf(row.label_reason) ?? nearestFlaw(row.label_reason);
  const sents = sentences(row.completion);
  const words = contentWords(row.completion).length;
  const qCov = coverage(input.question, row.completion);
  let shown = false;
  let what = "";
  switch (flaw) {
    case "factual_error": {
      // Shown when a deterministic check finds the completion wrong, a claim contradicts the
      // sources, or a sentence is an altered copy of one. Without sources, or when the sources
      // support none of its claims (they neither confirm nor refute it), the flaw cannot be
      // verified: that is not evidence it is absent. Not shown: the sources back the claims.
      const verdicts =
        input.passages.length > 0
          ? lexicalFactCheck(row.completion, input.passages, { decideAll: true })
          : [];
      shown =
        assessResponseSync(row.completion, row.prompt).wrong ||
        verdicts.some(
          (v) => v.verdict === "contradicted" && !truth.includes(flat(v.claim).replace(/\.$/, "")),
        ) ||
        sents.some((s) => !truth.includes(flat(s)) && coverage(s, truth) >= 0.6) ||
        !verdicts.some((v) => v.verdict === "supported");
      what = "no sentence departs from the sources";
      break;
    }
    case "incomplete":
      shown = words < MIN_WORDS[input.difficulty] || qCov < 0.75;
      what = "the completion is not shorter or narrower than a full answer";
      break;
    case "unhelpful":
      shown = sents.filter((s) => truth.includes(flat(s))).length === 0 && words < 60;
      what = "the completion carries source content";
      break;
    case "off_topic":
      // A completion on a neighbouring subject shares the question's words but not all of them.
      shown = qCov < 0.75;
      what = "the completion addresses the question";
      break;
    default:
      what = `label_reason names no flaw this check can verify (${FLAWS.join(", ")})`;
  }
  const issues = shown
    ? []
    : [`undesirable example: the stated flaw (${flaw ?? "none"}) is not shown: ${what}`];
  const plausible = words >= 5 && !sameText(row.completion, row.prompt);
  if (!plausible) issues.push("undesirable example: the completion is not a plausible response");
  return {
    scores: {
      accuracy: shown ? 1 : 0.3,
      completeness:
        (row.label_reason ?? "")
          .replace(/^[a-z_]+:/, "")
          .trim()
          .split(/\s+/).length >= 3
          ? 1
          : 0.5,
      helpfulness: plausible ? 1 : 0.3,
      clarity: 1,
      difficulty_fit: 1,
    },
    issues,
    summary: issues.length
      ? `Offline review: ${issues[0]}.`
      : `Offline review: a clear ${flaw} example, labelled undesirable.`,
  };
}

/**
 * Kahneman–Tversky optimisation: unpaired examples, each a prompt, one completion and a
 * boolean label (desirable or not). The desirable : undesirable mix of a run follows
 * `typeOptions.kto.desirableRatio` (default 0.5).
 */
export const ktoType: TrainingType<KtoRow, KtoOutput> = {
  name: "kto",
  title: "Kahneman-Tversky optimisation",
  questionHint: "questions with a clearly right and a clearly wrong way to answer",
  rowSchema: ktoRowSchema,
  generation: {
    outputSchema: ktoOutputSchema,
    deep: false,
    instructions: [
      "Produce one KTO example: a prompt and ONE completion, desirable or undesirable as `options.label` in the input says",
      "(true = desirable, false = undesirable).",
      "`prompt`: the user's message, self-contained (no 'according to the text').",
      'Desirable (`flaw: "none"`): the ideal answer, accurate to the research context, complete, clear.',
      "Undesirable: a response a capable but careless model could plausibly give, worse in ONE way (`flaw`):",
      "factual_error (a checkable mistake the sources contradict), incomplete (leaves out a needed part),",
      "unhelpful (vague or evasive), off_topic (answers a different question). It must read naturally, with no markers.",
      "`explanation`: why the completion is desirable, or exactly what is wrong with it (cite the correct fact).",
      "Do not mention the sources, the context or these instructions in the completion.",
    ].join("\n"),
    toRow: (out, input) => {
      const wanted = input.options?.label;
      const label = typeof wanted === "boolean" ? wanted : out.flaw === "none";
      const explanation = out.explanation.trim();
      return {
        prompt: out.prompt.trim(),
        completion: out.completion.trim(),
        label,
        label_reason: out.flaw === "none" ? explanation : `${out.flaw}: ${explanation}`,
      };
    },
    offline: (input) => {
      const good = composeAnswer(input);
      const label = input.options?.label !== false;
      if (label) {
        return {
          prompt: input.question,
          completion: good,
          flaw: "none",
          explanation: "Accurate, grounded in the sources and complete for the question.",
        };
      }
      const bad = offlineDegrade(input, good);
      return { prompt: input.question, completion: bad.text, flaw: bad.flaw, explanation: bad.explanation };
    },
    options: ktoOptionsPolicy,
  },
  validate(row) {
    const errs = schemaProblems(ktoRowSchema, row);
    if (
      typeof row.completion === "string" &&
      typeof row.prompt === "string" &&
      sameText(row.completion, row.prompt)
    ) {
      errs.push("completion repeats the prompt");
    }
    if (row.label === true) {
      if (typeof row.completion === "string" && row.completion.trim().length < 20)
        errs.push("a desirable completion is too short to be useful");
      if (flawOf(row.label_reason))
        errs.push(
          `the completion is labelled desirable but its label_reason names a flaw (${flawOf(row.label_reason)})`,
        );
    }
    // A flaw named up front ("incomplete: stops early"), or a reason of three words or more.
    if (
      row.label === false &&
      !flawOf(row.label_reason) &&
      (row.label_reason ?? "").trim().split(/\s+/).length < 3
    ) {
      errs.push(
        `an undesirable completion needs a label_reason that says what is wrong with it, best opening with its flaw (${FLAWS.join(", ")}), e.g. "factual_error: ..."`,
      );
    }
    return errs;
  },
  rubric: [
    "The example has label true (desirable) or false (undesirable); judge it as labelled training data.",
    "accuracy: desirable: every claim agrees with the ground-truth passages. Undesirable: the completion really has the",
    "  flaw its label_reason states, and the label_reason is correct about the sources.",
    "completeness: desirable: answers every part of the prompt. Undesirable: label_reason says exactly what is wrong.",
    "helpfulness: desirable: useful to a learner. Undesirable: plausible (a model could say it), not absurd or marked.",
    "clarity: well written either way.",
    "difficulty_fit: the prompt and a correct answer fit the requested difficulty.",
  ].join("\n"),
  promptText: (r) => r.prompt,
  answerText: (r) => r.completion,
  offlineJudge(input) {
    const row = input.example as KtoRow;
    // A row without its completion (an imported row missing columns) goes to the generic judge.
    if (typeof row.completion !== "string" || typeof row.prompt !== "string") return null;
    return row.label === false ? judgeUndesirable(input, row) : null;
  },
  exporters: {
    "trl-kto": (r) => ({
      prompt: [{ role: "user", content: r.prompt }],
      completion: [{ role: "assistant", content: r.completion }],
      label: r.label,
    }),
    sharegpt: (r) => ({
      conversations: [
        { from: "human", value: r.prompt },
        { from: "gpt", value: r.completion },
      ],
      kto_tag: r.label,
    }),
  },
  hub: { taskCategories: ["text-generation"], tags: ["kto", "preference", "unpaired-preference"] },
};

registerTrainingType(ktoType);
