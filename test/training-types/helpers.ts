import "../../src/agents/research.js";
import { coverage } from "../../src/core/text.js";
import type { Difficulty, TrainingTypeName } from "../../src/core/types.js";
import { offlineResponder } from "../../src/models/offline.js";
import { corpusSource } from "../../src/sources/corpus.js";
import type { GenerationInput, SynthesizedContext } from "../../src/training-types/types.js";

/**
 * A generation input as the pipeline builds it: ground-truth passages searched in the
 * bundled corpus for the question, and the offline research agent's synthesized context.
 */
export async function inputFor(
  question: string,
  opts: {
    type?: TrainingTypeName;
    difficulty?: Difficulty;
    subTopic?: string;
    topic?: string;
    options?: Record<string, unknown>;
  } = {},
): Promise<GenerationInput> {
  const docs = await corpusSource().search(question, { limit: 4 });
  const passages = docs
    .flatMap((d, di) =>
      d.passages.map((p) => ({ sourceId: `src_${di}`, text: p.text, score: coverage(question, p.text) })),
    )
    .filter((p) => p.score >= 0.15)
    .sort((a, b) => b.score - a.score)
    .slice(0, 6)
    .map(({ sourceId, text }) => ({ sourceId, text }));
  const context = offlineResponder("research.synthesize")!(
    { question, topic: opts.topic ?? "chemistry", passages },
    { model: "t", task: "research.synthesize" },
  ) as SynthesizedContext;
  return {
    question,
    topic: opts.topic ?? "chemistry",
    subTopic: opts.subTopic ?? "Stoichiometry",
    difficulty: opts.difficulty ?? "medium",
    trainingType: opts.type ?? "sft",
    context,
    passages,
    ...(opts.options ? { options: opts.options } : {}),
  };
}
