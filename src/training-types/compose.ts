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
    .map((p, i) => ({ text: p.text, i, score: coverage(input.question, p.text) + coverage(f, p.text) / 2 }))
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
  if (chosen.length === 0) return input.context.summary || input.context.keyFacts.map((f) => f.fact).join(" ");
  return chosen.join("\n\n");
}

/** The first `n` sentences of the best passage: a short, grounded answer. */
export function shortAnswer(input: GenerationInput, n = 1): string {
  const best = rankedPassages(input)[0] ?? input.context.summary;
  return sentences(best).slice(0, n).join(" ");
}
