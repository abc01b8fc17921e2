import { z } from "zod";
import { coverage, sentences } from "../core/text.js";
import { rankedPassages } from "./compose.js";
import { registerTrainingType } from "./registry.js";
import { sameText, schemaProblems } from "./row-checks.js";
import type { GenerationInput, TrainingType } from "./types.js";

/** One turn of a conversation. */
export const chatMessageSchema = z.object({
  role: z.enum(["user", "assistant"]),
  content: z.string().min(1),
});
/** A chat message. */
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** Fewest user–assistant exchanges in a chat example. */
export const CHAT_MIN_TURNS = 2;
/** Most user–assistant exchanges in a chat example. */
export const CHAT_MAX_TURNS = 8;

/** Stored columns of `synthetic_data_chat`. */
export const chatRowSchema = z.object({
  system: z.string().nullable(),
  messages: z
    .array(chatMessageSchema)
    .min(CHAT_MIN_TURNS * 2)
    .max(CHAT_MAX_TURNS * 2),
});
/** One multi-turn chat example as stored. */
export type ChatRow = z.infer<typeof chatRowSchema>;

const chatOutputSchema = z.object({
  system: z.string().nullable().optional().describe("Optional system prompt; null when none is needed."),
  messages: z
    .array(chatMessageSchema)
    .min(CHAT_MIN_TURNS * 2)
    .max(CHAT_MAX_TURNS * 2)
    .describe("user, assistant, user, assistant, ... ending with the assistant."),
});
type ChatOutput = z.infer<typeof chatOutputSchema>;

/** Follow-up questions a learner asks, from the terms of the synthesized context. */
function followUps(input: GenerationInput): string[] {
  const terms = input.context.terminology
    .map((t) => t.term)
    .filter((t) => !input.question.toLowerCase().includes(t.toLowerCase()));
  const out = terms.map((t) => `How does ${lowerTerm(t)} fit into this?`);
  out.push(
    "Can you give me a concrete example of that?",
    "What else should I know about this?",
    "Is there a common mistake to avoid here?",
  );
  return out;
}

function lowerTerm(t: string): string {
  return /^[A-Z][a-z]/.test(t) && !/^[A-Z][a-z]*[A-Z]/.test(t) ? t[0]!.toLowerCase() + t.slice(1) : t;
}

/** Exchanges an offline conversation has: 2 easy, 3 medium, 4 hard (fewer when the passages run out). */
function offlineTurns(input: GenerationInput): number {
  return (input.difficulty === "easy" ? 2 : input.difficulty === "medium" ? 3 : 4) + (input.revision ? 1 : 0);
}

/** The offline conversation: each assistant turn is a different ground-truth passage, the one that best fits the user's turn. */
function offlineConversation(input: GenerationInput): ChatOutput {
  const pool: string[] = [];
  for (const p of [...rankedPassages(input), ...input.passages.map((x) => x.text)]) {
    if (!pool.some((q) => sameText(q, p))) pool.push(p);
  }
  // One passage only: split it, so the follow-up gets the part the first answer left out.
  if (pool.length === 1) {
    const sents = sentences(pool[0]!);
    if (sents.length >= 2) {
      const half = Math.ceil(sents.length / 2);
      pool.splice(0, 1, sents.slice(0, half).join(" "), sents.slice(half).join(" "));
    }
  }
  const used = new Set<string>();
  const messages: ChatMessage[] = [];
  const asks = [input.question, ...followUps(input)];
  const want = Math.min(offlineTurns(input), CHAT_MAX_TURNS);
  for (const ask of asks) {
    if (messages.length / 2 >= want) break;
    const focus = `${ask} ${input.question}`;
    const best = pool
      .filter((p) => !used.has(p))
      .map((p, i) => ({ p, score: coverage(focus, p) - i * 0.001 }))
      .sort((a, b) => b.score - a.score)[0];
    if (!best) break;
    used.add(best.p);
    messages.push({ role: "user", content: ask }, { role: "assistant", content: best.p });
  }
  return { system: null, messages };
}

/**
 * Multi-turn chat: 2–8 user–assistant exchanges (4–16 messages) that stay on the topic
 * and draw on the research context, ending with the assistant.
 */
export const chatType: TrainingType<ChatRow, ChatOutput> = {
  name: "chat",
  title: "Multi-turn chat",
  rowSchema: chatRowSchema,
  generation: {
    outputSchema: chatOutputSchema,
    deep: false,
    instructions: [
      `Produce one multi-turn conversation of ${CHAT_MIN_TURNS}–${CHAT_MAX_TURNS} exchanges (user then assistant each time; 3–4 is typical)`,
      "between a learner and an expert assistant. The first user message opens with the question (self-contained).",
      "Each follow-up builds on the previous answer (asks for a clarification, an example, a consequence, a comparison)",
      "and stays on the topic. Every assistant turn is accurate to the research context and adds something new.",
      "`messages`: roles alternate user, assistant, ..., and the last message is the assistant's.",
      "`system`: null unless the conversation truly needs a system prompt.",
      "Do not mention the sources, the context or these instructions.",
    ].join("\n"),
    toRow: (out) => ({
      system: out.system?.trim() || null,
      messages: out.messages.map((m) => ({ role: m.role, content: m.content.trim() })),
    }),
    offline: offlineConversation,
  },
  validate(row) {
    const errs = schemaProblems(chatRowSchema, row);
    const msgs = Array.isArray(row.messages) ? row.messages : [];
    msgs.forEach((m, i) => {
      const want = i % 2 === 0 ? "user" : "assistant";
      if (m?.role !== want) errs.push(`messages[${i}] must be ${want}: turns alternate from the user`);
    });
    if (msgs.length % 2 !== 0) errs.push("the conversation must end with an assistant message");
    const answers = msgs.filter((m) => m?.role === "assistant").map((m) => m.content ?? "");
    for (let i = 1; i < answers.length; i++) {
      if (answers.slice(0, i).some((a) => sameText(a, answers[i]!)))
        errs.push(`assistant turn ${i + 1} repeats an earlier answer`);
    }
    for (const m of msgs)
      if (m?.role === "assistant" && typeof m.content === "string" && m.content.trim().length < 20)
        errs.push("an assistant turn is too short to be useful");
    return errs;
  },
  rubric: [
    "accuracy: every claim of every assistant turn agrees with the ground-truth passages.",
    "completeness: the conversation answers the opening question and each follow-up.",
    "helpfulness: the follow-ups are natural, build on the answers and stay on the topic; each answer adds something.",
    "clarity: turns are clear and coherent as a conversation.",
    "difficulty_fit: depth matches the requested difficulty.",
  ].join("\n"),
  promptText: (r) => r.messages.find((m) => m.role === "user")?.content ?? "",
  answerText: (r) =>
    r.messages
      .filter((m) => m.role === "assistant")
      .map((m) => m.content)
      .join("\n\n"),
  exporters: {
    "trl-sft-messages": (r) => ({
      messages: [...(r.system ? [{ role: "system", content: r.system }] : []), ...r.messages],
    }),
    "openai-chat": (r) => ({
      messages: [...(r.system ? [{ role: "system", content: r.system }] : []), ...r.messages],
    }),
    "vertex-sft": (r) => ({
      ...(r.system ? { systemInstruction: { role: "system", parts: [{ text: r.system }] } } : {}),
      contents: r.messages.map((m) => ({
        role: m.role === "assistant" ? "model" : "user",
        parts: [{ text: m.content }],
      })),
    }),
    sharegpt: (r) => ({
      conversations: r.messages.map((m) => ({
        from: m.role === "assistant" ? "gpt" : "human",
        value: m.content,
      })),
      ...(r.system ? { system: r.system } : {}),
    }),
  },
  hub: { taskCategories: ["text-generation"], tags: ["chat", "multi-turn", "sft", "conversational"] },
};

registerTrainingType(chatType);
