import { z } from "zod";
import { composeAnswer } from "./compose.js";
import { registerTrainingType } from "./registry.js";
import { schemaProblems } from "./row-checks.js";
import type { TrainingType } from "./types.js";

/** Stored columns of `synthetic_data_sft`. */
export const sftRowSchema = z.object({
  system: z.string().nullable(),
  prompt: z.string().min(1),
  response: z.string().min(1),
});
/** One SFT example as stored. */
export type SftRow = z.infer<typeof sftRowSchema>;

const sftOutputSchema = z.object({
  prompt: z.string().min(1).describe("The user's request: self-contained, as a real user would write it."),
  response: z.string().min(1).describe("The ideal assistant response."),
  system: z.string().nullable().optional().describe("Optional system prompt; null when none is needed."),
});
type SftOutput = z.infer<typeof sftOutputSchema>;

const messages = (r: SftRow) => [
  ...(r.system ? [{ role: "system", content: r.system }] : []),
  { role: "user", content: r.prompt },
  { role: "assistant", content: r.response },
];

/** Supervised fine-tuning: a prompt and the ideal response. */
export const sftType: TrainingType<SftRow, SftOutput> = {
  name: "sft",
  title: "Supervised fine-tuning",
  questionHint: "instructions or questions a learner would ask an expert assistant",
  rowSchema: sftRowSchema,
  generation: {
    outputSchema: sftOutputSchema,
    deep: false,
    instructions: [
      "Produce one supervised fine-tuning example for the question.",
      "`prompt`: the user's message. Keep the question's intent; make it self-contained (no 'according to the text').",
      "`response`: the ideal assistant answer. Accurate to the research context, complete for the stated difficulty,",
      "well organised, in plain prose (lists only where they help). Do not mention the sources, the context or these instructions.",
      "`system`: null unless the task truly needs a system prompt.",
    ].join("\n"),
    toRow: (out) => ({
      system: out.system ?? null,
      prompt: out.prompt.trim(),
      response: out.response.trim(),
    }),
    offline: (input) => ({ prompt: input.question, response: composeAnswer(input), system: null }),
  },
  validate(row) {
    const errs = schemaProblems(sftRowSchema, row);
    if (row.prompt?.trim() && row.response?.trim() && row.prompt.trim() === row.response.trim())
      errs.push("response repeats the prompt");
    if (typeof row.response === "string" && row.response.trim().length < 20)
      errs.push("response is too short to be useful");
    return errs;
  },
  rubric: [
    "accuracy: every claim agrees with the ground-truth passages; no invented facts.",
    "completeness: answers every part of the prompt at the requested difficulty.",
    "helpfulness: a learner would find it useful; no filler, no refusals.",
    "clarity: well organised, precise terminology, readable.",
    "difficulty_fit: depth matches the requested difficulty.",
  ].join("\n"),
  promptText: (r) => r.prompt,
  answerText: (r) => r.response,
  exporters: {
    "trl-sft-messages": (r) => ({ messages: messages(r) }),
    "trl-sft-prompt-completion": (r) => ({
      prompt: messages(r).slice(0, -1),
      completion: [{ role: "assistant", content: r.response }],
    }),
    "openai-chat": (r) => ({ messages: messages(r) }),
    "vertex-sft": (r) => ({
      ...(r.system ? { systemInstruction: { role: "system", parts: [{ text: r.system }] } } : {}),
      contents: [
        { role: "user", parts: [{ text: r.prompt }] },
        { role: "model", parts: [{ text: r.response }] },
      ],
    }),
    alpaca: (r) => ({
      instruction: r.prompt,
      input: "",
      output: r.response,
      ...(r.system ? { system: r.system } : {}),
    }),
    sharegpt: (r) => ({
      conversations: [
        { from: "human", value: r.prompt },
        { from: "gpt", value: r.response },
      ],
      ...(r.system ? { system: r.system } : {}),
    }),
  },
  hub: { taskCategories: ["text-generation"], tags: ["sft", "instruction-tuning"] },
};

registerTrainingType(sftType);
