import { coverage, sentences } from "../core/text.js";
import type { GenerationInput } from "./types.js";

/**
 * Helpers for offline answers: every sentence they produce is taken word for word from
 * the ground-truth passages, so offline data stays grounded and checkable.
 */

/** What the answer should address: the question, plus what a reviewer said was missing. */
function focus(input: GenerationInput): string {
  return [input.question, ...(input.revision?.notes ?? [])].join(" ");
}

/** Ground-truth passages ordered by how well they answer the question. */
export function rankedPassages(input: GenerationInput): string[] {
  const f = focus(input);
  return input.passages
    .map((p, i) => ({
      text: p.text,
      i,
      // A passage that opens with the question's subject ("The mole is ...") is about it.
      score:
        coverage(input.question, p.text) +
        coverage(f, p.text) / 2 +
        coverage(input.question, sentences(p.text)[0] ?? "") / 2,
    }))
    .filter((p) => p.score > 0)
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map((p) => p.text);
}

/** Passages an answer of this difficulty uses (one more on revision). */
export function passageBudget(input: GenerationInput): number {
  const base = input.difficulty === "easy" ? 1 : input.difficulty === "medium" ? 2 : 3;
  return base + (input.revision ? 1 : 0);
}

/**
 * A grounded prose answer: the most relevant passages, in full, one paragraph each
 * (coherent text rather than scattered sentences). Falls back to the synthesized summary.
 */
export function composeAnswer(input: GenerationInput, opts: { passages?: number } = {}): string {
  const chosen = rankedPassages(input).slice(0, opts.passages ?? passageBudget(input));
  if (chosen.length === 0)
    return input.context.summary || input.context.keyFacts.map((f) => f.fact).join(" ");
  return chosen.join("\n\n");
}

/** The first `n` sentences of the best passage: a short, grounded answer. */
export function shortAnswer(input: GenerationInput, n = 1): string {
  const best = rankedPassages(input)[0] ?? input.context.summary;
  return sentences(best).slice(0, n).join(" ");
}

/** Ways a response can be worse than the ideal one (stored as `rejection_reason`). */
export const FLAWS = ["factual_error", "incomplete", "unhelpful", "off_topic"] as const;
/** One of {@link FLAWS}. */
export type Flaw = (typeof FLAWS)[number];

/** A deliberately worse response and what is wrong with it. */
export interface Degraded {
  text: string;
  flaw: Flaw;
  /** One or two sentences saying what is wrong, grounded in the sources. */
  explanation: string;
}

/** Word pairs whose swap turns a true statement into a plausible false one. */
const ANTONYMS: Array<[string, string]> = [
  ["increases", "decreases"],
  ["increase", "decrease"],
  ["higher", "lower"],
  ["more", "less"],
  ["larger", "smaller"],
  ["faster", "slower"],
  ["stronger", "weaker"],
  ["strong", "weak"],
  ["above", "below"],
  ["before", "after"],
  ["maximum", "minimum"],
  ["positive", "negative"],
  ["acidic", "basic"],
  ["exothermic", "endothermic"],
  ["oxidation", "reduction"],
  ["nucleophile", "electrophile"],
  ["primary", "tertiary"],
  ["cis", "trans"],
  ["always", "never"],
  ["gains", "loses"],
  ["releases", "absorbs"],
  ["polar", "nonpolar"],
  ["first", "last"],
  ["inside", "outside"],
];

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A number changed into a plausible wrong one: 6 → 8, 18.02 → 36.04, 0.5 → 1.0 (same decimals). */
function wrongNumber(n: string): string {
  const decimals = n.includes(".") ? n.split(".")[1]!.length : 0;
  const v = Number(n);
  const w = v === 0 ? 1 : Number.isInteger(v) && v < 10 ? v + 2 : v * 2;
  return w.toFixed(decimals);
}

/**
 * A factual error introduced into one sentence of `text`: a number changed or a key
 * word swapped for its opposite. Returns null when no sentence offers either.
 */
export function introduceFactualError(
  text: string,
): { text: string; original: string; altered: string } | null {
  const sents = sentences(text);
  for (const s of sents) {
    for (const [a, b] of ANTONYMS) {
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        const re = new RegExp(`\\b${escapeRe(from)}\\b`);
        if (re.test(s)) {
          const altered = s.replace(re, to);
          return { text: text.replace(s, altered), original: s, altered };
        }
      }
    }
  }
  for (const s of sents) {
    // A standalone number (not part of a formula such as H2O or a year-like label).
    const m = /(?<![\w.^−-])(\d+(?:\.\d+)?)(?![\w.]*\d*[A-Za-z])/.exec(s);
    if (m) {
      const altered = s.slice(0, m.index) + wrongNumber(m[1]!) + s.slice(m.index + m[1]!.length);
      if (altered !== s) return { text: text.replace(s, altered), original: s, altered };
    }
  }
  return null;
}

/** The passage least related to the question (for an off-topic answer), if it is clearly unrelated. */
function unrelatedPassage(input: GenerationInput, avoid: string): string | null {
  const ranked = input.passages
    .map((p) => ({ text: p.text, score: coverage(input.question, p.text) }))
    .filter((p) => !avoid.includes(p.text))
    .sort((a, b) => a.score - b.score);
  const best = ranked[0];
  return best && best.score < 0.35 ? best.text : null;
}

/** Makes a response that is worse than `good` in the stated way; null when that flaw cannot be made from this input. */
export function degrade(input: GenerationInput, good: string, flaw: Flaw): Degraded | null {
  switch (flaw) {
    case "factual_error": {
      const e = introduceFactualError(good);
      if (!e) return null;
      return {
        text: e.text,
        flaw,
        explanation: `It states "${e.altered}" where the sources say "${e.original}".`,
      };
    }
    case "incomplete": {
      const sents = sentences(good);
      if (sents.length < 2) return null;
      const keep = sents.slice(0, Math.max(1, Math.floor(sents.length / 3)));
      const left = sents[keep.length]!;
      const cut = left.length > 90 ? `${left.slice(0, 90).replace(/\s+\S*$/, "")}…` : left;
      return {
        text: keep.join(" "),
        flaw,
        explanation: `It stops after ${keep.length} of ${sents.length} sentences and leaves out the rest, starting with "${cut}"`,
      };
    }
    case "unhelpful":
      return {
        text: "That depends on the details, and there is a lot to say about it. It is best to look it up in a textbook or ask an instructor, who can explain it properly.",
        flaw,
        explanation: "It deflects the question and gives no information about it.",
      };
    case "off_topic": {
      const other = unrelatedPassage(input, good);
      if (!other) return null;
      return {
        text: other,
        flaw,
        explanation: `It answers a different question: "${sentences(other)[0] ?? other}" does not address what was asked.`,
      };
    }
  }
}

/** A stable pseudo-random number in [0, 1) from a string (FNV-1a). */
export function hashUnit(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 0x100000000;
}

/**
 * A worse response for an offline example: the flaw is picked from `order` starting at a
 * position derived from the question (so a dataset mixes flaws), skipping flaws this
 * input cannot produce. Falls back to "unhelpful", which always applies.
 */
export function offlineDegrade(
  input: GenerationInput,
  good: string,
  order: readonly Flaw[] = FLAWS,
  salt = "",
): Degraded {
  const start = Math.floor(hashUnit(input.question + salt) * order.length);
  for (let i = 0; i < order.length; i++) {
    const d = degrade(input, good, order[(start + i) % order.length]!);
    if (d && d.text.trim() !== good.trim()) return d;
  }
  return degrade(input, good, "unhelpful")!;
}

/** Offline 1–10 rating of a response with a flaw (or of a good one). */
export const OFFLINE_RATINGS: Record<Flaw | "none", number> = {
  none: 9,
  incomplete: 5,
  factual_error: 3,
  off_topic: 2,
  unhelpful: 2,
};
