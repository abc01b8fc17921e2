import { contentWords } from "../core/text.js";
import type { DefectKind } from "../core/types.js";
import { type CheckResult, fail, pass } from "./check.js";
import { checkChemistryInText } from "./chemistry.js";
import { checkCodeBlocks } from "./code-check.js";
import { checkConstantsInText } from "./constants.js";
import { checkArithmeticInText } from "./maths.js";
import type { SandboxOptions } from "./sandbox-host.js";
import { words } from "./text-checks.js";
import { checkConversionsInText } from "./units.js";

/**
 * Reward and ranking consistency: whether a row's reward (PPO), desirability label (KTO),
 * ranking (RLHF) or preference (DPO, ORPO) agrees with what the deterministic checks found
 * about each of its responses. The checks are run once per response ({@link assessResponse});
 * the consistency functions take those outcomes, so a caller can add its own findings
 * (language, truncation, a non-answer) to a response's outcome before judging the row.
 */

/** What the checks found about one response. */
export interface ResponseOutcome {
  /** A check found the response wrong (a wrong calculation, constant, unit, equation or failing code). */
  wrong: boolean;
  /** At least one claim was checked and every checked claim held: positive evidence it is right. */
  verified: boolean;
  /** The defects found (empty when none). */
  defects: DefectKind[];
  /** What was wrong, one line each. */
  reasons: string[];
  /** The checks that applied and passed (e.g. `chemistry`: every equation it states is balanced). */
  passedChecks?: string[];
}

/** An outcome with nothing found either way. */
export const UNKNOWN_OUTCOME: ResponseOutcome = Object.freeze({
  wrong: false,
  verified: false,
  defects: [],
  reasons: [],
}) as ResponseOutcome;

/** Folds check results into a response outcome (null results did not apply). */
export function outcomeOf(results: Array<CheckResult | null>): ResponseOutcome {
  const applied = results.filter((r): r is CheckResult => r !== null);
  const failed = applied.filter((r) => !r.passed);
  return {
    wrong: failed.length > 0,
    verified: applied.length > 0 && failed.length === 0,
    defects: [...new Set(failed.map((r) => r.defect).filter((d): d is DefectKind => Boolean(d)))],
    reasons: failed.flatMap((r) => r.reasons),
    passedChecks: applied.filter((r) => r.passed).map((r) => r.name),
  };
}

/** Faults a rationale can name, and the check that would have found each. */
const NAMED_FAULTS: Array<[RegExp, string]> = [
  [/\b(?:not|isn't|is not|un)\s*balanced\b/i, "chemistry"],
  [/\b(?:arithmetic|calculation|miscalculat\w*|sum is wrong|maths? (?:error|mistake))\b/i, "arithmetic"],
  [/\b(?:unit conversion|wrong units?|incorrect units?|conversion is wrong)\b/i, "units"],
  [/\b(?:bug|buggy|does not run|doesn't run|crashes|wrong output)\b/i, "code"],
  [/\b(?:incorrect|factually wrong|factual error|inaccurate|untrue|is false)\b/i, "sources"],
];

/** A fault the rationale names that the matching check looked for and did not find, or null. */
function refutedFault(rationale: string, outcome: ResponseOutcome): string | null {
  for (const [re, check] of NAMED_FAULTS) {
    const m = re.exec(rationale);
    if (m && (outcome.passedChecks ?? []).includes(check))
      return `"${m[0]}" (the ${check} check finds no such fault)`;
  }
  return null;
}

/** Phrases of a rationale that say what a response leaves out ("does not mention X or Y"). */
const OMISSION =
  /\b(?:does(?:n't| not) (?:mention|cover|include|discuss|explain|name|state|give)|never (?:mentions|covers|names|explains)|fails to (?:mention|cover|explain|include)|without (?:mentioning|covering|explaining)|omits|leaves out|no mention of|missing|lacks)\s+([^.;:!?]{3,120})/gi;

/**
 * What a rationale says a response leaves out that the response does state: every part of
 * "does not mention Okazaki fragments or DNA ligase" (split on "or", "and", commas) has all
 * its content words in the response. The first such phrase, or null.
 */
export function refutedOmission(rationale: string, response: string): string | null {
  const said = new Set(contentWords(response));
  for (const m of rationale.matchAll(OMISSION)) {
    const object = m[1]!.replace(/\b(?:so|which|because|but|while|and so|therefore)\b.*$/i, "");
    const parts = object
      .split(/,|\bor\b|\band\b|\bnor\b/i)
      .map((p) => contentWords(p))
      .filter((w) => w.length > 0);
    if (parts.length > 0 && parts.every((ws) => ws.every((w) => said.has(w))))
      return `"${m[0].trim().slice(0, 80)}" (the response does: ${parts.map((ws) => ws.join(" ")).join(", ")})`;
  }
  return null;
}

/** The content checks of one response, synchronous ones only (arithmetic, units, constants, chemistry). */
export function contentChecks(text: string, context?: string): Array<CheckResult | null> {
  return [
    checkArithmeticInText(text, context),
    checkConversionsInText(text, context),
    checkConstantsInText(text, context),
    checkChemistryInText(text),
  ];
}

/**
 * Runs the deterministic content checks on one response: arithmetic, unit conversions,
 * well-known constants and dates, chemistry, and (with `code`) its code blocks in the
 * sandbox with their stated outputs.
 */
export async function assessResponse(
  text: string,
  opts: { code?: boolean; sandbox?: SandboxOptions; context?: string } = {},
): Promise<ResponseOutcome> {
  const results = contentChecks(text, opts.context);
  if (opts.code) results.push(await checkCodeBlocks(text, opts.sandbox));
  return outcomeOf(results);
}

/** The synchronous part of {@link assessResponse} (no code is run). */
export function assessResponseSync(text: string, context?: string): ResponseOutcome {
  return outcomeOf(contentChecks(text, context));
}

const NEGATIVE_CUES =
  /\b(?:incorrect(?:ly)?|wrong(?:ly)?|errors?|erroneous|inaccura(?:te|cy)|mistakes?|mistaken|fails?|failed|misses|missing|omits?|omitted|incomplete|vague|off[- ]topic|irrelevant|does not (?:answer|address|explain)|doesn't (?:answer|address|explain)|contradicts?|false|misleading|confuses|confused|unhelpful|poor(?:ly)?|weak|lacks?|lacking|flawed|miscalculat\w*|unclear|truncated|cut off|superficial|evasive)\b/gi;
const POSITIVE_CUES =
  /\b(?:correct(?:ly)?|accurate(?:ly)?|complete(?:ly)?|clear(?:ly)?|thorough(?:ly)?|excellent|well[- ](?:explained|organi[sz]ed|structured|written)|precise(?:ly)?|fully answers|comprehensive|helpful|right answer|exemplary|strong|ideal|perfect)\b/gi;
/** Negated cues ("no errors", "not incomplete", "without mistakes") count for the other side. */
const NEGATED = /\b(?:no|not|without|free of|never|nothing)\s+(?:\w+\s+){0,2}?$/i;

/** How a reward rationale judges its response: positive, negative, or mixed/neutral. */
export function rationalePolarity(rationale: string): "positive" | "negative" | "mixed" {
  let pos = 0;
  let neg = 0;
  const count = (re: RegExp, positive: boolean) => {
    for (const m of rationale.matchAll(re)) {
      const negated = NEGATED.test(rationale.slice(Math.max(0, m.index - 30), m.index));
      if (positive !== negated) pos++;
      else neg++;
    }
  };
  count(POSITIVE_CUES, true);
  count(NEGATIVE_CUES, false);
  if (neg === 0 && pos > 0) return "positive";
  if (neg > 0 && pos === 0) return "negative";
  if (neg >= pos + 2) return "negative";
  if (pos >= neg + 3) return "positive";
  return "mixed";
}

/**
 * Where a rationale says the response's answer itself is wrong: "the key itself is wrong",
 * "the boiling point is wrong" (not "a minor detail is wrong"), a numeric correction ("the last
 * minor should be −2"), or the answer said to confuse or swap things ("the completion confuses
 * myopia with hyperopia"). Not
 * negated ("nothing is wrong", "is not incorrect"). Style praise beside it does not make
 * such a fault minor.
 */
const CORE_FAULT =
  /\b(?:(?:the|its|this|their)\s+(?!(?:minor|small|slight|only|one)\b)(?:\w+\s+){0,2}?(?:itself\s+|given\s+|stated\s+|shown\s+)?(?:is|are|was|were)\s+(?:(?!not\b|never\b)\w+\s+)?(?:wrong|incorrect|false|mistaken)|should\s+(?:be|have\s+been|read|give|come\s+to)\s+[^.;:]{0,40}?[−-]?\d|\b(?:gets?|got|has|had)\s+(?:the\s+|it\s+|this\s+)?(?:\w+\s+)?(?:backwards|the\s+wrong\s+way\s+round|reversed|inverted)|\b(?:the\s+)?(?:completion|response|answer)\s+(?:(?!not\b|never\b)\w+\s+)?(?:confuses|mixes\s+up|reverses|swaps|misstates|misidentifies|contradicts))/i;

/** The words of a rationale that state the response's answer is wrong, or null. */
export function statedCoreFault(rationale: string): string | null {
  const m = CORE_FAULT.exec(rationale);
  if (!m) return null;
  if (NEGATED.test(rationale.slice(Math.max(0, m.index - 30), m.index))) return null;
  return m[0];
}

/** PPO reward at or above which the response is presented as good. */
export const HIGH_REWARD = 0.7;
/** PPO reward at or below which the response is presented as bad. */
export const LOW_REWARD = 0.3;

/**
 * PPO: the reward agrees with the response as the checks found it and with its own
 * rationale. Fails (`reward_inconsistent`) for a high reward on a response a check found
 * wrong, a high reward whose rationale lists only faults, or a low reward whose rationale
 * lists only merits on a response no check faulted.
 */
export function checkRewardConsistency(
  reward: number,
  rationale: string,
  outcome: ResponseOutcome,
  /** The response: a low reward for leaving out what it states is inconsistent. */
  response?: string,
): CheckResult {
  const name = "reward";
  const polarity = rationalePolarity(rationale);
  const details = { reward, polarity, responseWrong: outcome.wrong, responseVerified: outcome.verified };
  if (outcome.wrong && reward >= 0.5) {
    return fail(
      name,
      [
        `the reward ${reward} is high for a response the checks found wrong (${outcome.reasons[0] ?? outcome.defects.join(", ")}); give it a low reward or fix the response`,
      ],
      0,
      details,
      "reward_inconsistent",
    );
  }
  if (reward >= HIGH_REWARD && polarity === "negative") {
    return fail(
      name,
      [
        `the reward ${reward} is high but its rationale lists only faults ("${rationale.trim().slice(0, 100)}")`,
      ],
      0,
      details,
      "reward_inconsistent",
    );
  }
  const core = reward >= HIGH_REWARD ? statedCoreFault(rationale) : null;
  if (core) {
    return fail(
      name,
      [`the reward ${reward} is high but its rationale says the answer is wrong ("${core}")`],
      0,
      details,
      "reward_inconsistent",
    );
  }
  const refuted =
    reward <= LOW_REWARD && !outcome.wrong
      ? (refutedFault(rationale, outcome) ?? (response ? refutedOmission(rationale, response) : null))
      : null;
  if (refuted) {
    return fail(
      name,
      [`the reward ${reward} is low for a fault the response does not have: its rationale says ${refuted}`],
      0,
      details,
      "reward_inconsistent",
    );
  }
  if (reward <= LOW_REWARD && polarity === "positive" && !outcome.wrong) {
    return fail(
      name,
      [
        `the reward ${reward} is low but its rationale finds the response good ("${rationale.trim().slice(0, 100)}")${outcome.verified ? " and the checks confirm it" : ""}`,
      ],
      0,
      details,
      "reward_inconsistent",
    );
  }
  return pass(name, details);
}

/**
 * KTO: the desirability label agrees with the completion as the checks found it. Fails
 * (`reward_inconsistent`) for `label: true` on a completion a check found wrong, and for
 * `label: false` with a factual-error reason on a completion whose checked claims all hold
 * and that no check faulted.
 */
export function checkLabelConsistency(
  label: boolean,
  labelReason: string | null,
  outcome: ResponseOutcome,
  /** The completion: an undesirable label for leaving out what it states is inconsistent. */
  completion?: string,
): CheckResult {
  const name = "label";
  const details = { label, responseWrong: outcome.wrong, responseVerified: outcome.verified };
  if (label && outcome.wrong) {
    return fail(
      name,
      [
        `labelled desirable, but the checks found the completion wrong (${outcome.reasons[0] ?? outcome.defects.join(", ")})`,
      ],
      0,
      details,
      "reward_inconsistent",
    );
  }
  const core = label ? statedCoreFault(labelReason ?? "") : null;
  if (core) {
    return fail(
      name,
      [`labelled desirable, but its reason says the answer is wrong ("${core}")`],
      0,
      details,
      "reward_inconsistent",
    );
  }
  if (!label && outcome.verified && /^factual_error\b/.test(labelReason ?? "")) {
    return fail(
      name,
      [
        "labelled undesirable for a factual error, but every checked claim of the completion holds; label it desirable or give the real flaw",
      ],
      0,
      details,
      "reward_inconsistent",
    );
  }
  const omission =
    !label && !outcome.wrong && completion ? refutedOmission(labelReason ?? "", completion) : null;
  if (omission)
    return fail(
      name,
      [`labelled undesirable for leaving something out, but it does not: its reason says ${omission}`],
      0,
      details,
      "reward_inconsistent",
    );
  return pass(name, details);
}

/**
 * RLHF: a response ranked above another is not the wrong one of the two. Fails
 * (`ranking_wrong`) when the rank-1 response (or any response) is found wrong while a
 * lower-ranked one is not.
 */
export function checkRankingConsistency(
  responses: Array<{ rank: number; outcome: ResponseOutcome }>,
): CheckResult | null {
  const name = "ranking";
  if (responses.length < 2) return null;
  const byRank = [...responses].sort((a, b) => a.rank - b.rank);
  for (let i = 0; i < byRank.length; i++) {
    const hi = byRank[i]!;
    if (!hi.outcome.wrong) continue;
    const better = byRank.slice(i + 1).find((lo) => !lo.outcome.wrong && lo.outcome.verified);
    const notWrong = better ?? byRank.slice(i + 1).find((lo) => !lo.outcome.wrong);
    if (notWrong && (i === 0 || better)) {
      return fail(
        name,
        [
          `the rank-${hi.rank} response is wrong (${hi.outcome.reasons[0] ?? hi.outcome.defects.join(", ")}) while the rank-${notWrong.rank} response is not; the ranking is reversed`,
        ],
        0,
        { wrongRank: hi.rank, betterRank: notWrong.rank },
        "ranking_wrong",
      );
    }
  }
  return pass(name, { responses: responses.length });
}

/**
 * DPO and ORPO: the chosen response is not the wrong one of the pair. Fails
 * (`ranking_wrong`) when a check found the chosen response wrong and the rejected one not.
 */
export function checkPreferenceConsistency(chosen: ResponseOutcome, rejected: ResponseOutcome): CheckResult {
  const name = "preference";
  const details = {
    chosenWrong: chosen.wrong,
    rejectedWrong: rejected.wrong,
    chosenFailures: chosen.reasons.length,
    rejectedFailures: rejected.reasons.length,
  };
  if (chosen.wrong && (!rejected.wrong || chosen.reasons.length > rejected.reasons.length)) {
    return fail(
      name,
      [
        `the chosen response has errors the rejected one does not (${chosen.reasons[0] ?? chosen.defects.join(", ")}); chosen and rejected look swapped`,
      ],
      0,
      details,
      "ranking_wrong",
    );
  }
  return pass(name, details);
}

/** A prompt that asks for an explanation or a comparison, which one short sentence cannot give. */
const ASKS_EXPLANATION =
  /\b(?:explain|describe|compare|contrast|differences?|distinguish|discuss|outline|why|how (?:does|do|did|can|is|are)|what (?:does|do) .{1,60}? (?:add|do|mean))\b/i;

/**
 * DPO, ORPO and RLHF: the preferred response to a prompt that asks for an explanation is
 * not a sentence of a few words ("HTTPS is more secure.") while a lower-ranked one, four or
 * more times as long and not labelled a factual error, explains it. Fails (`ranking_wrong`);
 * null otherwise. `ranked` is best first, as for {@link checkPreferredAnswers}.
 */
export function checkThinPreferred(
  prompt: string,
  ranked: Array<{ label: string; text: string; flaw?: string }>,
  answers: (prompt: string, answer: string) => CheckResult | null,
): CheckResult | null {
  if (ranked.length < 2 || !ASKS_EXPLANATION.test(prompt)) return null;
  const count = (t: string) => words(t).length;
  const first = ranked[0]!;
  const n = count(first.text);
  if (n >= 25) return null;
  const fuller = ranked
    .slice(1)
    .find(
      (r) =>
        r.flaw !== "factual_error" &&
        count(r.text) >= Math.max(40, 4 * n) &&
        answers(prompt, r.text)?.passed !== false,
    );
  if (!fuller) return null;
  return fail(
    "ranking",
    [
      `the ${first.label} response is ${n} words for a prompt that asks for an explanation, while the ${fuller.label} one (${count(fuller.text)} words) gives it; the order is reversed`,
    ],
    0,
    { preferred: first.label, fuller: fuller.label },
    "ranking_wrong",
  );
}

/**
 * DPO, ORPO and RLHF: the preferred response answers the prompt when a lower-ranked one
 * does. `ranked` is best first (chosen, then rejected; or the RLHF responses by rank);
 * `answers` is the non-answer check (`checkAnswers` of the text gate). Fails
 * (`ranking_wrong`) when the first response evades or misses the question while a later
 * one of some substance (8+ words, or a value the prompt does not hold) answers it, unless
 * that one is labelled a factual error (`flaw`, or a pair's `rejection_reason`); null when
 * the first response answers, or when no later one does either (then the first is a plain
 * non-answer).
 */
export function checkPreferredAnswers(
  prompt: string,
  ranked: Array<{ label: string; text: string; flaw?: string }>,
  answers: (prompt: string, answer: string) => CheckResult | null,
): CheckResult | null {
  if (ranked.length < 2) return null;
  const promptNumbers = new Set(prompt.match(/\b\d+(?:[.,]\d+)?\b/g) ?? []);
  const verdicts = new Map<number, CheckResult | null>();
  const verdict = (i: number) => {
    if (!verdicts.has(i)) verdicts.set(i, answers(prompt, ranked[i]!.text));
    return verdicts.get(i)!;
  };
  const substantial = (text: string) => {
    const words = text.match(/[\p{L}\p{N}]{3,}/gu) ?? [];
    const newNumber = (text.match(/\b\d+(?:[.,]\d+)?\b/g) ?? []).some((n) => !promptNumbers.has(n));
    return words.length >= 8 || newNumber;
  };
  // Every response above the last one: the first that misses the question while one
  // ranked below it answers (for RLHF, a rank-2 evasion above a rank-3 answer is reversed too).
  for (let i = 0; i < ranked.length - 1; i++) {
    const hi = verdict(i);
    if (!hi || hi.passed) continue;
    let better: { label: string; text: string } | undefined;
    // A lower answer labelled wrong ("6.6" for a median) is not better than an incomplete
    // one: ranking a partial answer above a wrong one is a fair order.
    for (let j = i + 1; j < ranked.length && !better; j++)
      if (ranked[j]!.flaw !== "factual_error" && substantial(ranked[j]!.text) && verdict(j)?.passed === true)
        better = ranked[j];
    if (!better) continue;
    return fail(
      "ranking",
      [
        `the ${ranked[i]!.label} response does not answer the prompt (${hi.reasons[0]?.replace(/;.*$/, "") ?? "a non-answer"}) while the ${better.label} one does; the order is reversed`,
      ],
      0,
      { preferred: ranked[i]!.label, answering: better.label },
      "ranking_wrong",
    );
  }
  return null;
}

/** Words a response needs before "incomplete" can be judged against its length. */
const INCOMPLETE_MIN_WORDS = 25;

/**
 * DPO, ORPO and RLHF: a response labelled incomplete (its `flaw`, or a pair's
 * `rejection_reason`) does not say more than the one preferred to it. `ranked` is best
 * first. Fails (`ranking_wrong`) when a lower response labelled incomplete has 25+ words,
 * a quarter more words than a response ranked above it, and half again as many content
 * words the higher one lacks as the other way round: the label names the flaw of the
 * shorter answer, so the two were most likely swapped (a generator that prefers a wrong
 * short answer and calls the full, right one "incomplete"). A longer response that does not
 * answer the prompt (`answers`, the text gate's non-answer check) is not held against the
 * label. Null when no lower response is labelled incomplete.
 */
export function checkIncompleteLabels(
  prompt: string,
  ranked: Array<{ label: string; text: string; flaw?: string }>,
  answers: (prompt: string, answer: string) => CheckResult | null,
): CheckResult | null {
  const name = "incomplete_label";
  const flagged = ranked.map((r, i) => ({ r, i })).filter(({ r, i }) => i > 0 && r.flaw === "incomplete");
  if (flagged.length === 0) return null;
  const words = ranked.map((r) => r.text.match(/[\p{L}\p{N}]+/gu)?.length ?? 0);
  const terms = ranked.map((r) => new Set(contentWords(r.text)));
  for (const { r: lo, i: j } of flagged) {
    if (words[j]! < INCOMPLETE_MIN_WORDS || answers(prompt, lo.text)?.passed === false) continue;
    for (let i = 0; i < j; i++) {
      if (words[j]! < words[i]! * 1.25) continue;
      const onlyLo = [...terms[j]!].filter((w) => !terms[i]!.has(w)).length;
      const onlyHi = [...terms[i]!].filter((w) => !terms[j]!.has(w)).length;
      if (onlyLo < onlyHi * 1.5) continue;
      const hi = ranked[i]!;
      return fail(
        name,
        [
          `the ${lo.label} response is labelled incomplete, yet it is ${(words[j]! / Math.max(1, words[i]!)).toFixed(1)}× as long as the ${hi.label} one ranked above it and covers more; the order looks reversed (rank by correctness and completeness, or relabel)`,
        ],
        0,
        {
          preferred: hi.label,
          incomplete: lo.label,
          words: [words[i], words[j]],
          onlyPreferred: onlyHi,
          onlyIncomplete: onlyLo,
        },
        "ranking_wrong",
      );
    }
  }
  return pass(name, { incomplete: flagged.length });
}

/**
 * How bad each flaw an RLHF response is labelled with is: no flaw, a partial answer, then
 * the ones that fail the question (a wrong, off-topic or unhelpful answer: their order
 * among themselves is a judgement call, so they rank equal).
 */
const FLAW_SEVERITY: Record<string, number> = {
  none: 0,
  incomplete: 1,
  unhelpful: 2,
  off_topic: 2,
  factual_error: 2,
};

/**
 * RLHF: the ranking agrees with the row's own flaw labels. Fails (`ranking_wrong`) when a
 * response labelled with a worse flaw ({@link FLAW_SEVERITY}: a flawed one above one with no
 * flaw, a wrong, off-topic or unhelpful one above an incomplete one) is ranked above one
 * labelled with a milder one. Null when the responses carry no flaw labels.
 */
export function checkFlawOrder(responses: Array<{ rank: number; flaw?: unknown }>): CheckResult | null {
  const labelled = responses
    .filter((r) => typeof r.flaw === "string" && r.flaw in FLAW_SEVERITY)
    .sort((a, b) => a.rank - b.rank);
  if (labelled.length < 2) return null;
  for (let i = 0; i < labelled.length; i++)
    for (let j = i + 1; j < labelled.length; j++) {
      const hi = labelled[i]!;
      const lo = labelled[j]!;
      if (FLAW_SEVERITY[hi.flaw as string]! > FLAW_SEVERITY[lo.flaw as string]!)
        return fail(
          "flaw_order",
          [
            `the rank-${hi.rank} response is labelled ${String(hi.flaw).replace("_", " ")} yet ranked above the rank-${lo.rank} one labelled ${String(lo.flaw).replace("_", " ")}; rank by the flaws or relabel them`,
          ],
          0,
          { higher: { rank: hi.rank, flaw: hi.flaw }, lower: { rank: lo.rank, flaw: lo.flaw } },
          "ranking_wrong",
        );
    }
  return pass("flaw_order", { responses: labelled.length });
}
