import { z } from "zod";
import { sentences } from "../core/text.js";
import { composeAnswer, followUpAnswer, hashUnit, readQuestion } from "./compose.js";
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

/** A follow-up a learner asks about the conversation's subject, and what kind of answer it wants. */
interface FollowUp {
  ask: string;
  intent: "example" | "reason" | "pitfall" | "more";
}

/**
 * Follow-up questions that stay on the conversation's subject (the opening question's),
 * in an order chosen by the question (so conversations of a run differ).
 */
function followUps(input: GenerationInput): FollowUp[] {
  const subject = readQuestion(input.question).subjects[0] ?? input.subTopic;
  const s = lowerTerm(subject);
  const sub = input.subTopic.toLowerCase();
  const within = sub && !s.toLowerCase().includes(sub) && !sub.includes(s.toLowerCase()) ? ` in ${sub}` : "";
  const asks: FollowUp[] = [
    { ask: `Can you give me a concrete example involving ${s}?`, intent: "example" },
    { ask: `Why does ${s} matter${within}?`, intent: "reason" },
    { ask: `What do people often get wrong about ${s}?`, intent: "pitfall" },
    { ask: `What else should I know about ${s}?`, intent: "more" },
  ];
  const start = Math.floor(hashUnit(`${input.question}\u0000follow-ups`) * 3);
  return [...asks.slice(start, 3), ...asks.slice(0, start), asks[3]!];
}

function lowerTerm(t: string): string {
  return /^[A-Z][a-z]/.test(t) && !/^[A-Z][a-z]*[A-Z]/.test(t) ? t[0]!.toLowerCase() + t.slice(1) : t;
}

/** Exchanges an offline conversation has: 2 easy, 3 medium, 4 hard (fewer when the passages run out). */
function offlineTurns(input: GenerationInput): number {
  return (input.difficulty === "easy" ? 2 : input.difficulty === "medium" ? 3 : 4) + (input.revision ? 1 : 0);
}

/**
 * The offline conversation: the opening question answered first (as {@link composeAnswer}
 * answers it, shorter), then follow-ups about the same subject, each answered with
 * sentences of the ground truth not used yet that name the subject.
 */
function offlineConversation(input: GenerationInput): ChatOutput {
  const first = composeAnswer(input, { passages: 1 });
  const used = new Set(sentences(first));
  const messages: ChatMessage[] = [
    { role: "user", content: input.question },
    { role: "assistant", content: first },
  ];
  const want = Math.min(offlineTurns(input), CHAT_MAX_TURNS);
  for (const f of followUps(input)) {
    if (messages.length / 2 >= want) break;
    const answer = followUpAnswer(input, f.intent, used);
    if (answer.trim().length < 20) continue;
    messages.push({ role: "user", content: f.ask }, { role: "assistant", content: answer });
  }
  // Too little material for a second exchange: split the first answer, so the follow-up gets what it left out.
  if (messages.length < CHAT_MIN_TURNS * 2) {
    const sents = sentences(first);
    if (sents.length >= 2) {
      const half = Math.ceil(sents.length / 2);
      const subject = lowerTerm(readQuestion(input.question).subjects[0] ?? input.subTopic);
      messages.splice(
        1,
        1,
        { role: "assistant", content: sents.slice(0, half).join(" ") },
        { role: "user", content: `What else should I know about ${subject}?` },
        { role: "assistant", content: sents.slice(half).join(" ") },
      );
    }
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
  questionHint: "openings for a multi-turn conversation with follow-up questions",
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
