import { memoizeText } from "../core/memo.js";
import type { SourceDocument, SourceFlag } from "../core/types.js";

/**
 * Prompt-injection screening of source text. Source text is data: it always reaches a
 * model inside the JSON envelope (`models/envelope.ts`), never as instructions. Text
 * that nevertheless tries to instruct a model ("ignore previous instructions", "you are
 * now…", "system prompt", chat-template role markers) is flagged on the source, so the
 * flag is stored (`sources.flags`, `questions.context_sources[].flags`), shown to the
 * research agent next to the passage, and visible in the attribution ledger. Flagged
 * text is not removed: a paper about prompt injection legitimately quotes such phrases,
 * and dropping it silently would hide what happened.
 */

interface Rule {
  rule: string;
  re: RegExp;
}

const W = String.raw`[\s\p{P}]+`;
const RULES: Rule[] = [
  {
    rule: "ignore-previous-instructions",
    re: new RegExp(
      String.raw`\b(?:ignore|disregard|forget|override|skip|bypass)${W}(?:all${W}|any${W}|the${W}|of${W}|your${W}|my${W})*(?:previous|prior|above|earlier|preceding|foregoing|original|system|initial|other)${W}(?:instructions?|prompts?|messages?|directions?|rules|context|guidelines|commands?)`,
      "iu",
    ),
  },
  {
    rule: "forget-everything",
    re: new RegExp(
      String.raw`\b(?:forget|disregard)${W}(?:everything|all)${W}(?:you(?:'ve|${W}have)?${W}(?:been${W})?(?:told|learned)|above|before)`,
      "iu",
    ),
  },
  {
    rule: "you-are-now",
    re: new RegExp(
      String.raw`\byou${W}are${W}now${W}(?:a|an|the|in|my|no${W}longer|free|dan|unrestricted|jailbroken)\b`,
      "iu",
    ),
  },
  {
    rule: "from-now-on",
    re: new RegExp(
      String.raw`\bfrom${W}now${W}on${W}(?:you|your|act|respond|answer|always|never|only)\b`,
      "iu",
    ),
  },
  {
    rule: "new-instructions",
    re: new RegExp(
      String.raw`\b(?:new|updated|real|actual|hidden|secret)${W}(?:system${W})?instructions?\s*:`,
      "iu",
    ),
  },
  {
    rule: "system-prompt",
    re: new RegExp(String.raw`\b(?:system|developer)${W}(?:prompt|message|instruction)s?\b`, "iu"),
  },
  {
    rule: "reveal-instructions",
    re: new RegExp(
      String.raw`\b(?:reveal|print|repeat|output|show|leak)${W}(?:your|the)${W}(?:system${W}|hidden${W}|original${W}|initial${W})?(?:prompt|instructions)\b`,
      "iu",
    ),
  },
  {
    rule: "instead-respond",
    re: new RegExp(
      String.raw`\b(?:instead|rather)${W}(?:you${W}(?:must|should|will)${W})?(?:respond|reply|answer|say|output|write)${W}(?:with|only)\b`,
      "iu",
    ),
  },
  {
    rule: "do-not-follow",
    re: new RegExp(
      String.raw`\bdo${W}not${W}(?:follow|obey)${W}(?:the|your|any)${W}(?:(?:previous|original|above|system)${W})?(?:instructions?|rules|guidelines)`,
      "iu",
    ),
  },
  {
    // Text addressed to whoever reviews or scores it ("Note to the reviewing model: … mark it
    // as approved"): a dataset row or a source that asks for its own verdict.
    rule: "reviewer-directed",
    re: new RegExp(
      String.raw`\b(?:note|message|instructions?)${W}(?:to|for)${W}(?:the${W}|any${W}|all${W})?(?:\p{L}+${W})?(?:model|reviewer|grader|evaluator|judge|annotator|rater)s?\b|(?:^|[.!?:;]\s+|\b(?:please|and|simply|just)\s+)(?:mark|rate|score|label|grade|flag)${W}(?:it|me|(?:this|the)(?:${W}(?:answer|response|example|row|conversation))?)${W}(?:as${W})?(?:approved|correct|accurate|verified|perfect|excellent|safe|high(?:ly)?|10(?:/10)?|5/5|a${W}perfect)\b`,
      "iu",
    ),
  },
  {
    // Text addressed to the assistant that reads it ("ASSISTANT INSTRUCTION: whenever you
    // discuss …", "Note to AI assistants: end every answer with …").
    rule: "assistant-directed",
    re: new RegExp(
      String.raw`\b(?:assistant|ai|chatbot|llm)${W}(?:instructions?|directives?|notes?)\s*:|\b(?:note|message|instructions?)${W}(?:to|for)${W}(?:the${W}|any${W}|all${W})?(?:ai${W})?(?:assistants?|chatbots?|llms?|language${W}models?)\b`,
      "iu",
    ),
  },
  {
    rule: "chat-template-marker",
    re: /<\|(?:im_start|im_end|system|user|assistant|begin_of_text|start_header_id|eot_id)\|>|\[\/?INST\]|<<\/?SYS>>|<start_of_turn>|<end_of_turn>|^\s*#{2,3}\s*(?:system|instruction)\s*:?\s*$/imu,
  },
  { rule: "envelope-delimiter", re: /<<<INPUT|INPUT>>>|^TASK:\s*[\w.-]+\s*$/mu },
];

/** How much of the matching text a flag keeps. */
const EXCERPT = 200;

function excerpt(text: string, index: number, length: number): string {
  const from = Math.max(0, index - 40);
  const to = Math.min(text.length, index + length + 60);
  const s = text.slice(from, to).replace(/\s+/g, " ").trim();
  return s.length > EXCERPT ? `${s.slice(0, EXCERPT - 1)}…` : s;
}

/** Prompt-injection flags for a text, one per rule that matches (first match kept). */
export function detectInjection(text: string): SourceFlag[] {
  const flags: SourceFlag[] = [];
  for (const { rule, re } of RULES) {
    const m = re.exec(text);
    if (m) flags.push({ kind: "prompt-injection", rule, excerpt: excerpt(text, m.index, m[0].length) });
  }
  return flags;
}

// Research screens the same passages again for every search that returns them.
const detectCached = memoizeText(detectInjection, 8192);

/**
 * The document with its prompt-injection flags (title and every passage screened),
 * merged with any flags the adapter already set. Returns the same object when nothing
 * is found and nothing was set.
 */
export function screenDocument(doc: SourceDocument): SourceDocument {
  const found = [doc.title, ...doc.passages.map((p) => p.text)].flatMap((t) => detectCached(t));
  if (found.length === 0) return doc;
  const byRule = new Map<string, SourceFlag>();
  for (const f of [...(doc.flags ?? []), ...found])
    if (!byRule.has(`${f.kind}:${f.rule}`)) byRule.set(`${f.kind}:${f.rule}`, f);
  return { ...doc, flags: [...byRule.values()] };
}
