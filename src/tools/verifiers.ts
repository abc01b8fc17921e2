import { SynthforgeError } from "../core/errors.js";
import { normaliseForHash } from "../core/text.js";
import { type CheckResult, fail, pass } from "./check.js";
import { checkChemistryInText } from "./chemistry.js";
import { lexicalFactCheck } from "./claims.js";
import {
  answerMatchesPrinted,
  checkAnsweredOutput,
  checkCodeBlocks,
  checkProgramAnswer,
  extractCodeBlocks,
  lastLine,
  normaliseOutput,
  rangeBoundProblem,
  sameOutput,
} from "./code-check.js";
import {
  assessResponse,
  assessResponseSync,
  checkLabelConsistency,
  checkPreferenceConsistency,
  checkRankingConsistency,
  checkRewardConsistency,
  type ResponseOutcome,
} from "./consistency.js";
import { checkConstantsInText } from "./constants.js";
import { checkAnswer, checkArithmeticInText, checkLatexInText } from "./maths.js";
import type { SandboxOptions } from "./sandbox-host.js";
import { checkSqlInExample } from "./sql.js";
import { checkPii, checkToxicity, checkVerbatimCopy, type LicensedPassage } from "./text-checks.js";
import { checkConversionsInText } from "./units.js";

/**
 * The verifier registry: deterministic checks the review stage runs on every example,
 * each a small object registered once. A verifier decides for itself whether it applies
 * (it returns null when it does not: no code in the answer, no SQL, no preference pair).
 * Hosts add domain checks with {@link registerVerifier}.
 */

/** What a verifier sees of one example. */
export interface VerifierInput {
  trainingType: string;
  /** The stored row (the type's columns). */
  row: Record<string, unknown>;
  /** The user's request. */
  prompt: string;
  /**
   * The text the example asserts is correct (the SFT response, the DPO chosen response),
   * or null when the example is bad on purpose (an undesirable KTO completion), so that
   * correctness checks do not fault it for the flaw it is meant to have.
   */
  asserted: string | null;
  /** Every text of the example, for the PII, toxicity and licence screens. */
  allText: string;
  /** Ground-truth passages with what their licence allows (may be empty). */
  passages: LicensedPassage[];
}

/** Options passed to every verifier run. */
export interface VerifierRunOptions {
  /** Limits for code the verifiers run. */
  sandbox?: SandboxOptions;
}

/** A deterministic check. */
export interface Verifier {
  /** Short name; stored as `reviews.kind = "verifier:<name>"`. */
  name: string;
  description: string;
  /**
   * Weight in the quality score: the score is multiplied by `1 − weight × (1 − s)` for the
   * verifier's score `s`, so a total failure of a weight-1 verifier rejects the example.
   */
  weight: number;
  run(input: VerifierInput, opts: VerifierRunOptions): Promise<CheckResult | null> | CheckResult | null;
}

const registry = new Map<string, Verifier>();

/** Registers (or replaces) a verifier. */
export function registerVerifier(v: Verifier): void {
  checkVerifier(v);
  registry.set(v.name, v);
}

/**
 * Checks a verifier's name and weight.
 *
 * @throws SynthforgeError `INVALID_REQUEST` saying what to fix.
 */
export function checkVerifier(v: Verifier): void {
  if (!/^[a-z][a-z0-9_-]*$/.test(v.name)) {
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `Verifier name "${v.name}" must be lower-case letters, digits, "-" or "_".`,
    );
  }
  if (!(v.weight >= 0 && v.weight <= 1))
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `Verifier "${v.name}": weight must be in [0, 1], got ${v.weight}.`,
    );
}

/** Removes a verifier (e.g. one a host does not want). */
export function unregisterVerifier(name: string): boolean {
  return registry.delete(name);
}

/** The registered verifiers, in registration order. */
export function listVerifiers(): Verifier[] {
  return [...registry.values()];
}

/** The weight of a verifier by name (1 for unknown names). */
export function verifierWeight(name: string): number {
  return registry.get(name)?.weight ?? 1;
}

/** A verifier's result, with its weight. */
export interface VerifierOutcome extends CheckResult {
  weight: number;
}

/**
 * Runs the verifiers that apply to an example, in order. A verifier that throws is
 * reported as a failed check naming the error (never a crash of the review).
 */
export async function runVerifiers(
  input: VerifierInput,
  opts: VerifierRunOptions & { verifiers?: Verifier[] } = {},
): Promise<VerifierOutcome[]> {
  const out: VerifierOutcome[] = [];
  for (const v of opts.verifiers ?? listVerifiers()) {
    let r: CheckResult | null;
    try {
      r = await v.run(input, opts);
    } catch (e) {
      r = fail(
        v.name,
        [`the ${v.name} check could not run: ${e instanceof Error ? e.message : String(e)}`],
        0.5,
      );
    }
    if (r) out.push({ ...r, name: v.name, weight: v.weight });
  }
  return out;
}

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() ? v : null);

/** How well a text is grounded in the passages: (supported − contradicted) / claims. */
export function groundedness(
  text: string,
  passages: Array<{ sourceId: string; text: string }>,
): { score: number; supported: number; contradicted: number; claims: number } {
  const verdicts = lexicalFactCheck(text, passages, { decideAll: true, minWords: 2 });
  if (verdicts.length === 0) return { score: 0, supported: 0, contradicted: 0, claims: 0 };
  const supported = verdicts.filter((v) => v.verdict === "supported").length;
  const contradicted = verdicts.filter((v) => v.verdict === "contradicted").length;
  return {
    score: (supported - contradicted) / verdicts.length,
    supported,
    contradicted,
    claims: verdicts.length,
  };
}

/**
 * The outcome with `sources` among its passed checks when the passages back the text: at
 * least half of its claims supported and none contradicted. A reward
 * rationale that calls such a response factually wrong names a fault the sources refute.
 */
function withSourceSupport(
  outcome: ResponseOutcome,
  text: string,
  passages: Array<{ sourceId: string; text: string }>,
): ResponseOutcome {
  if (passages.length === 0 || outcome.wrong) return outcome;
  const g = groundedness(text, passages);
  if (g.contradicted > 0 || g.supported === 0 || g.supported * 2 < g.claims) return outcome;
  return { ...outcome, passedChecks: [...(outcome.passedChecks ?? []), "sources"] };
}

/**
 * Verifier for preference pairs: chosen and rejected differ, and chosen is not the worse
 * of the two (fewer failed computations, constants, conversions and equations; fewer
 * contradictions of the sources; at least as grounded). A pair that fails is usually swapped
 * (`ranking_wrong`). `outcomes` are the content checks of each response when the caller has
 * run them already (e.g. with code); by default the synchronous checks run here.
 */
export function checkPreferencePair(
  chosen: string,
  rejected: string,
  passages: Array<{ sourceId: string; text: string }>,
  outcomes?: { chosen: ResponseOutcome; rejected: ResponseOutcome },
): CheckResult {
  if (normaliseForHash(chosen) === normaliseForHash(rejected))
    return fail(
      "preference",
      ["chosen and rejected are the same text; the pair teaches nothing"],
      0,
      undefined,
      "format_invalid",
    );
  const co = outcomes?.chosen ?? assessResponseSync(chosen);
  const ro = outcomes?.rejected ?? assessResponseSync(rejected);
  const consistency = checkPreferenceConsistency(co, ro);
  if (!consistency.passed) return consistency;
  const details: Record<string, unknown> = { ...consistency.details };
  if (passages.length) {
    const gc = groundedness(chosen, passages);
    const gr = groundedness(rejected, passages);
    Object.assign(details, { chosen: gc, rejected: gr });
    if (gc.contradicted > gr.contradicted) {
      return fail(
        "preference",
        [
          `the chosen response contradicts the sources ${gc.contradicted} time(s), the rejected one ${gr.contradicted}; chosen and rejected look swapped`,
        ],
        0,
        details,
        "ranking_wrong",
      );
    }
    // Better grounded: a larger share of its claims supported, and more of them, where the
    // chosen one does not simply say more. A one-line rejected answer that echoes the
    // sources' words ("From the carbon dioxide the plant takes in") is not better grounded
    // than a fuller chosen answer whose claims the lexical check cannot match.
    if (
      gr.score - gc.score > 0.25 &&
      gr.supported > gc.supported &&
      (gr.supported >= 2 || gr.claims >= gc.claims)
    ) {
      return fail(
        "preference",
        [
          `the rejected response is better grounded in the sources (${round(gr.score)}) than the chosen one (${round(gc.score)}); chosen and rejected look swapped`,
        ],
        0,
        details,
        "ranking_wrong",
      );
    }
  }
  return pass("preference", details);
}

/**
 * The text whose correctness the content verifiers check: the asserted text, except the
 * response of a PPO row with a low reward (it is meant to be weak; the reward verifier checks
 * that its reward agrees with what is wrong with it).
 */
function correctnessText(i: VerifierInput): string | null {
  if (i.trainingType === "ppo" && typeof i.row.reward === "number" && i.row.reward < 0.5) return null;
  return i.asserted;
}

/**
 * A program that prints what the row says it prints, and not the row's answer: the row's own
 * verification disagrees with it. The reasoning's arithmetic names the culprit when a step is
 * wrong (`wrong_arithmetic`: the program is right); otherwise the program does not compute
 * what the reasoning does (`code_wrong`).
 */
function programDisagrees(
  i: VerifierInput,
  printed: string,
  answer: string,
  details: Record<string, unknown> | undefined,
): CheckResult {
  const said = `the program prints "${printed.slice(0, 80)}", as execution_output says, not the answer "${answer.trim().slice(0, 80)}"`;
  const slip = i.asserted ? checkArithmeticInText(i.asserted, i.prompt) : null;
  if (slip && !slip.passed)
    return fail(
      "program",
      [`${said}: ${slip.reasons[0] ?? "a step of the reasoning is wrong"}`],
      0,
      details,
      "wrong_arithmetic",
    );
  // The reasoning ends on the program's value: the answer is the odd one out.
  const reasoning = str(i.row.reasoning) ?? i.asserted ?? "";
  const results = [...reasoning.matchAll(/[=≈]\s*[$€£]?\s*([-−]?\d[\d,]*(?:\.\d+)?)/g)];
  const last = results.at(-1)?.[1]?.replace("−", "-");
  if (last && answerMatchesPrinted(last, printed))
    return fail(
      "program",
      [
        `${said}, which the reasoning also ends on (${last}): the answer is not the reasoning's result; fix the answer`,
      ],
      0,
      details,
      "wrong_arithmetic",
    );
  return fail(
    "program",
    [`${said}, and the reasoning's arithmetic holds: the code does not compute the answer; fix the code`],
    0,
    details,
    "code_wrong",
  );
}

/** Runs the content checks of a response, with its code when it has runnable blocks. */
function outcomeOfText(text: string, o: VerifierRunOptions, prompt?: string): Promise<ResponseOutcome> {
  const hasCode = extractCodeBlocks(text).some((b) => b.language !== "sql" && b.language !== "other");
  return assessResponse(text, {
    code: hasCode,
    ...(o.sandbox ? { sandbox: o.sandbox } : {}),
    ...(prompt ? { context: prompt } : {}),
  });
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The verifiers synthforge registers by default (see docs/review.md for the weights). */
export const DEFAULT_VERIFIERS: Verifier[] = [
  {
    name: "verbatim",
    description: "Does not copy text from sources whose licence is not permissive.",
    weight: 1,
    run: (i) => checkVerbatimCopy(i.allText, i.passages),
  },
  { name: "pii", description: "Contains no personal data.", weight: 1, run: (i) => checkPii(i.allText) },
  {
    name: "toxicity",
    description: "Contains no slurs, threats or profanity.",
    weight: 1,
    run: (i) => checkToxicity(i.allText),
  },
  {
    name: "arithmetic",
    description:
      "Arithmetic stated in the answer holds (approximations, currency, percentages and percentage changes, signs, fractions).",
    weight: 0.6,
    run: (i) => {
      const t = correctnessText(i);
      return t ? checkArithmeticInText(t, i.prompt) : null;
    },
  },
  {
    name: "units",
    description: "Unit conversions stated in the answer are right.",
    weight: 0.6,
    run: (i) => {
      const t = correctnessText(i);
      return t ? checkConversionsInText(t, i.prompt) : null;
    },
  },
  {
    name: "constants",
    description: "Well-known physical constants and historical dates stated in the answer are right.",
    weight: 0.6,
    run: (i) => {
      const t = correctnessText(i);
      return t ? checkConstantsInText(t, i.prompt) : null;
    },
  },
  {
    name: "chemistry",
    description: "Molar masses and chemical equations stated in the answer are right and balanced.",
    weight: 0.6,
    run: (i) => {
      const t = correctnessText(i);
      return t ? checkChemistryInText(t) : null;
    },
  },
  {
    name: "latex",
    description: "LaTeX maths in the prompt and answer parses.",
    weight: 0.3,
    run: (i) => checkLatexInText([i.prompt, i.asserted ?? ""].join("\n")),
  },
  {
    name: "code",
    description:
      "Python, JavaScript and TypeScript blocks in the answer run (with their asserts) in the sandbox.",
    weight: 1,
    run: (i, o) => {
      const t = correctnessText(i);
      return t ? checkCodeBlocks(t, o.sandbox) : null;
    },
  },
  {
    name: "sql",
    description: "SQL in the answer runs against the schema the example states.",
    weight: 1,
    run: (i) =>
      i.asserted
        ? checkSqlInExample({ prompt: i.prompt, answer: i.asserted, schema: str(i.row.schema) })
        : null,
  },
  {
    name: "answer",
    description: "A stated final answer agrees with the reference solution, as the row's is_correct says.",
    weight: 1,
    run: (i) => {
      const predicted = str(i.row.predicted_answer);
      const solution = str(i.row.solution);
      if (!predicted || !solution) return null;
      const r = checkAnswer(predicted, solution);
      const claimed = i.row.is_correct;
      if (typeof claimed === "boolean" && claimed !== r.passed) {
        return fail(
          "answer",
          [
            `is_correct is ${claimed} but the predicted answer ${r.passed ? "equals" : "differs from"} the solution (${predicted.trim()} vs ${solution.trim()})`,
          ],
          0,
          r.details,
          "reward_inconsistent",
        );
      }
      if (typeof claimed === "boolean") return pass("answer", { ...r.details, isCorrect: claimed });
      return r.passed ? r : { ...r, defect: "wrong_arithmetic" };
    },
  },
  {
    name: "program",
    description: "A row's program runs and prints its stated answer.",
    weight: 1,
    run: async (i, o) => {
      const code = str(i.row.code);
      const answer = str(i.row.predicted_answer);
      if (!code || !answer) return null;
      const bound = rangeBoundProblem(i.prompt, code);
      if (bound)
        return fail(
          "program",
          [`the program does not do what the prompt asks: ${bound}`],
          0,
          {},
          "code_wrong",
        );
      const r = await checkProgramAnswer({ code, answer }, o.sandbox);
      // The stored execution_output must be what the program prints.
      const stored = str(i.row.execution_output);
      const printed = typeof r.details?.printed === "string" ? r.details.printed : null;
      // (Exactly: a stored "0.625" is not what a program printing "0.6" printed.)
      if (
        !r.passed &&
        stored &&
        printed !== null &&
        normaliseOutput(lastLine(stored)) === normaliseOutput(printed)
      )
        return programDisagrees(i, printed, answer, r.details);
      if (r.passed && stored && printed !== null && !sameOutput(lastLine(stored), printed)) {
        return fail(
          "program",
          [
            `execution_output says the program prints "${lastLine(stored).slice(0, 80)}", but it prints "${printed.slice(0, 80)}"`,
          ],
          0,
          r.details,
          "code_output_mismatch",
        );
      }
      return r;
    },
  },
  {
    name: "output",
    description: "When the prompt asks what a piece of code prints, the answer states what it really prints.",
    weight: 1,
    run: (i, o) => {
      const t = correctnessText(i);
      if (!t) return null;
      const answer = typeof i.row.answer === "string" ? `${i.row.answer}\n\n${t}` : t;
      return checkAnsweredOutput(i.prompt, answer, o.sandbox);
    },
  },
  {
    name: "preference",
    description: "A preference pair's chosen response is really the better one.",
    weight: 1,
    run: async (i, o) => {
      // RLHF rows carry their preferred pair too, but their ranking is the ranking verifier's.
      if (i.trainingType === "rlhf") return null;
      const chosen = str(i.row.chosen);
      const rejected = str(i.row.rejected);
      if (!chosen || !rejected) return null;
      const outcomes = {
        chosen: await outcomeOfText(chosen, o, i.prompt),
        rejected: await outcomeOfText(rejected, o, i.prompt),
      };
      return checkPreferencePair(chosen, rejected, i.passages, outcomes);
    },
  },
  {
    name: "reward",
    description: "A PPO reward agrees with what the checks find in its response and with its rationale.",
    weight: 1,
    run: async (i, o) => {
      const response = str(i.row.response);
      const reward = i.row.reward;
      if (i.trainingType !== "ppo" || !response || typeof reward !== "number") return null;
      const rationale = typeof i.row.reward_rationale === "string" ? i.row.reward_rationale : "";
      return checkRewardConsistency(
        reward,
        rationale,
        withSourceSupport(await outcomeOfText(response, o, i.prompt), response, i.passages),
        response,
      );
    },
  },
  {
    name: "label",
    description: "A KTO desirability label agrees with what the checks find in its completion.",
    weight: 1,
    run: async (i, o) => {
      const completion = str(i.row.completion);
      if (i.trainingType !== "kto" || !completion || typeof i.row.label !== "boolean") return null;
      const reason = typeof i.row.label_reason === "string" ? i.row.label_reason : null;
      return checkLabelConsistency(
        i.row.label,
        reason,
        await outcomeOfText(completion, o, i.prompt),
        completion,
      );
    },
  },
  {
    name: "ranking",
    description: "An RLHF ranking never puts a response the checks find wrong above one they do not.",
    weight: 1,
    run: async (i, o) => {
      if (i.trainingType !== "rlhf" || !Array.isArray(i.row.responses)) return null;
      const responses: Array<{ rank: number; outcome: ResponseOutcome }> = [];
      for (const r of i.row.responses as Array<Record<string, unknown>>) {
        if (!r || typeof r.text !== "string" || typeof r.rank !== "number") return null;
        responses.push({ rank: r.rank, outcome: await outcomeOfText(r.text, o, i.prompt) });
      }
      return checkRankingConsistency(responses);
    },
  },
];

for (const v of DEFAULT_VERIFIERS) registerVerifier(v);
