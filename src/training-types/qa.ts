import { z } from "zod";
import { composeAnswer, shortAnswer } from "./compose.js";
import { registerTrainingType } from "./registry.js";
import { sameText, schemaProblems, wordCount } from "./row-checks.js";
import type { TrainingType } from "./types.js";

/** Stored columns of `synthetic_data_qa`. */
export const qaRowSchema = z.object({
  question: z.string().min(1),
  reasoning: z.string().min(1),
  answer: z.string().min(1),
});
/** One QA example as stored. */
export type QaRow = z.infer<typeof qaRowSchema>;

/** Longest final answer, in words: the answer is short; the reasoning carries the detail. */
export const QA_MAX_ANSWER_WORDS = 60;

const qaOutputSchema = z.object({
  question: z.string().min(1).describe("The question, self-contained."),
  reasoning: z
    .string()
    .min(1)
    .describe("The reasoning that leads to the answer, step by step, grounded in the context."),
  answer: z
    .string()
    .min(1)
    .describe(
      `The short final answer (a phrase or one or two sentences, at most ${QA_MAX_ANSWER_WORDS} words).`,
    ),
});
type QaOutput = z.infer<typeof qaOutputSchema>;

/** Reasoning and answer in one completion, the way reasoning models are trained: `<think>…</think>answer`. */
export function thinkCompletion(r: QaRow): string {
  return `<think>\n${r.reasoning}\n</think>\n\n${r.answer}`;
}

/** Question answering with reasoning: a question, the reasoning to the answer, and a short final answer. */
export const qaType: TrainingType<QaRow, QaOutput> = {
  name: "qa",
  title: "Question answering with reasoning",
  questionHint: "questions that need a few reasoning steps and have a short final answer",
  rowSchema: qaRowSchema,
  generation: {
    outputSchema: qaOutputSchema,
    deep: true,
    instructions: [
      "Produce one question-answering example with reasoning.",
      "`question`: the question, self-contained (no 'according to the text').",
      "`reasoning`: the steps from the facts in the research context to the answer, in order; each step one or two",
      "sentences. Show the work (definitions used, quantities, intermediate results).",
      `\`answer\`: the final answer only, short (at most ${QA_MAX_ANSWER_WORDS} words), consistent with the reasoning.`,
      "Do not mention the sources, the context or these instructions.",
    ].join("\n"),
    toRow: (out) => ({
      question: out.question.trim(),
      reasoning: out.reasoning.trim(),
      answer: out.answer.trim(),
    }),
    offline: (input) => ({
      question: input.question,
      reasoning: composeAnswer(input),
      answer: shortAnswer(input, 1),
    }),
  },
  validate(row) {
    const errs = schemaProblems(qaRowSchema, row);
    if (typeof row.answer === "string" && wordCount(row.answer) > QA_MAX_ANSWER_WORDS) {
      errs.push(
        `answer has ${wordCount(row.answer)} words; keep the final answer short (at most ${QA_MAX_ANSWER_WORDS}) and put the detail in reasoning`,
      );
    }
    if (typeof row.reasoning === "string" && row.reasoning.trim().length < 40)
      errs.push("reasoning is too short to show how the answer is reached");
    if (
      typeof row.reasoning === "string" &&
      typeof row.answer === "string" &&
      sameText(row.reasoning, row.answer)
    ) {
      errs.push("reasoning only repeats the answer");
    }
    if (
      typeof row.question === "string" &&
      typeof row.answer === "string" &&
      sameText(row.question, row.answer)
    )
      errs.push("answer repeats the question");
    return errs;
  },
  rubric: [
    "accuracy: the reasoning and the final answer agree with the ground-truth passages and with each other.",
    "completeness: the reasoning covers every step needed; the answer answers the question asked.",
    "helpfulness: a learner can follow the reasoning; the final answer is short and direct.",
    "clarity: steps are in order and precise.",
    "difficulty_fit: the number and depth of steps fit the requested difficulty.",
  ].join("\n"),
  promptText: (r) => r.question,
  answerText: (r) => `${r.reasoning}\n\n${r.answer}`,
  exporters: {
    "trl-sft-prompt-completion": (r) => ({
      prompt: [{ role: "user", content: r.question }],
      completion: [{ role: "assistant", content: thinkCompletion(r) }],
    }),
    "trl-sft-messages": (r) => ({
      messages: [
        { role: "user", content: r.question },
        { role: "assistant", content: thinkCompletion(r) },
      ],
    }),
    alpaca: (r) => ({ instruction: r.question, input: "", output: thinkCompletion(r) }),
    sharegpt: (r) => ({
      conversations: [
        { from: "human", value: r.question },
        { from: "gpt", value: thinkCompletion(r) },
      ],
    }),
    "trl-grpo": (r) => ({ prompt: [{ role: "user", content: r.question }], solution: r.answer }),
  },
  hub: {
    taskCategories: ["question-answering", "text-generation"],
    tags: ["qa", "reasoning", "chain-of-thought"],
  },
};

registerTrainingType(qaType);
