/**
 * Export formats and their strict row validators (rules from notes/formats.md). Every
 * exported row is validated before it is written; a row that fails is an error, never
 * a silently dropped line.
 */

/** Every export format synthforge writes. */
export const EXPORT_FORMATS = [
  "trl-sft-messages",
  "trl-sft-prompt-completion",
  "trl-dpo",
  "trl-orpo",
  "trl-kto",
  "trl-reward",
  "trl-prompt-only",
  "trl-grpo",
  "openai-chat",
  "openai-dpo",
  "openai-rft",
  "vertex-sft",
  "alpaca",
  "sharegpt",
] as const;
/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** One-line description of each format, for `synthforge export --list-formats`. */
export const FORMAT_DESCRIPTIONS: Record<ExportFormat, string> = {
  "trl-sft-messages": "TRL SFTTrainer, conversational: {messages:[{role,content}]}",
  "trl-sft-prompt-completion": "TRL SFTTrainer, prompt-completion (conversational): {prompt:[user], completion:[assistant]}",
  "trl-dpo": "TRL DPOTrainer, explicit prompt: {prompt, chosen, rejected}",
  "trl-orpo": "TRL ORPOTrainer, explicit prompt, plain strings: {prompt, chosen, rejected}",
  "trl-kto": "TRL KTOTrainer, unpaired preference: {prompt, completion, label: bool}",
  "trl-reward": "TRL RewardTrainer, implicit prompt: {chosen, rejected, margin?}",
  "trl-prompt-only": "TRL PPO/online trainers, standard prompt-only: {prompt}",
  "trl-grpo": "TRL GRPOTrainer: {prompt, solution} (solution is passed to reward functions)",
  "openai-chat": "OpenAI supervised fine-tuning: {messages:[{role,content}]}",
  "openai-dpo": "OpenAI preference fine-tuning: {input:{messages}, preferred_output, non_preferred_output}",
  "openai-rft": "OpenAI reinforcement fine-tuning: {messages, reference_answer}",
  "vertex-sft": "Vertex AI Gemini supervised tuning: {systemInstruction?, contents:[{role:user|model, parts:[{text}]}]}",
  alpaca: "LLaMA-Factory / Axolotl alpaca: {instruction, input, output, system?}",
  sharegpt: "LLaMA-Factory sharegpt: {conversations:[{from,value}]} (+ chosen/rejected or kto_tag)",
};

type Json = Record<string, unknown>;
type Message = { role: string; content: unknown };

const isStr = (v: unknown): v is string => typeof v === "string";
const nonEmpty = (v: unknown): v is string => isStr(v) && v.trim().length > 0;

function checkMessages(msgs: unknown, where: string, opts: { allowed: string[]; mustEndWith?: string[]; mustStartWith?: string[]; alternate?: boolean }): string[] {
  const errs: string[] = [];
  if (!Array.isArray(msgs) || msgs.length === 0) return [`${where} must be a non-empty list of messages`];
  msgs.forEach((m, i) => {
    if (!m || typeof m !== "object") {
      errs.push(`${where}[${i}] is not an object`);
      return;
    }
    const keys = Object.keys(m as Json);
    const extra = keys.filter((k) => k !== "role" && k !== "content");
    if (extra.length) errs.push(`${where}[${i}] has extra keys ${extra.join(", ")}`);
    const { role, content } = m as Message;
    if (!isStr(role) || !opts.allowed.includes(role)) errs.push(`${where}[${i}].role "${String(role)}" is not one of ${opts.allowed.join("/")}`);
    if (!nonEmpty(content)) errs.push(`${where}[${i}].content must be a non-empty string`);
  });
  if (errs.length) return errs;
  const roles = (msgs as Message[]).map((m) => m.role);
  const body = roles[0] === "system" || roles[0] === "developer" ? roles.slice(1) : roles;
  if (roles.slice(1).some((r) => r === "system" || r === "developer")) errs.push(`${where}: a system message may only come first`);
  if (opts.mustStartWith && body.length && !opts.mustStartWith.includes(body[0]!)) errs.push(`${where}: first turn after system must be ${opts.mustStartWith.join("/")}`);
  if (opts.mustEndWith && !opts.mustEndWith.includes(roles[roles.length - 1]!)) errs.push(`${where}: must end with ${opts.mustEndWith.join("/")}`);
  if (opts.alternate) {
    for (let i = 1; i < body.length; i++) {
      if (body[i] === body[i - 1]) {
        errs.push(`${where}: turns must alternate user/assistant (two ${body[i]} turns in a row)`);
        break;
      }
    }
  }
  return errs;
}

function onlyKeys(row: Json, allowed: string[]): string[] {
  const extra = Object.keys(row).filter((k) => !allowed.includes(k));
  return extra.length ? [`unexpected keys ${extra.join(", ")}`] : [];
}

/** TRL's "supported" key columns; other key sets raise KeyError in apply_chat_template. */
const TRL_KEYS = ["prompt", "chosen", "rejected", "completion", "messages", "label"];
function trlKeySet(row: Json, expected: string[]): string[] {
  const present = TRL_KEYS.filter((k) => k in row).sort();
  const want = [...expected].sort();
  return present.join(",") === want.join(",") ? [] : [`TRL key columns must be exactly {${want.join(", ")}}, got {${present.join(", ")}}`];
}

const VALIDATORS: Partial<Record<ExportFormat, (row: Json) => string[]>> = {
  "trl-sft-messages": (row) => [
    ...trlKeySet(row, ["messages"]),
    ...checkMessages(row.messages, "messages", { allowed: ["system", "user", "assistant"], mustStartWith: ["user"], mustEndWith: ["assistant"], alternate: true }),
  ],
  "trl-sft-prompt-completion": (row) => [
    ...trlKeySet(row, ["prompt", "completion"]),
    ...checkMessages(row.prompt, "prompt", { allowed: ["system", "user", "assistant"], mustStartWith: ["user"], mustEndWith: ["user"], alternate: true }),
    ...checkMessages(row.completion, "completion", { allowed: ["assistant"], mustEndWith: ["assistant"] }),
  ],
  "openai-chat": (row) => [
    ...onlyKeys(row, ["messages"]),
    ...checkMessages(row.messages, "messages", { allowed: ["system", "user", "assistant"], mustStartWith: ["user"], mustEndWith: ["assistant"], alternate: true }),
  ],
  alpaca: (row) => {
    const errs = onlyKeys(row, ["instruction", "input", "output", "system", "history"]);
    if (!nonEmpty(row.instruction)) errs.push("instruction must be a non-empty string");
    if (!nonEmpty(row.output)) errs.push("output must be a non-empty string");
    if ("input" in row && !isStr(row.input)) errs.push("input must be a string");
    if ("system" in row && !isStr(row.system)) errs.push("system must be a string");
    if ("history" in row && !(Array.isArray(row.history) && row.history.every((h) => Array.isArray(h) && h.length === 2 && h.every(isStr)))) {
      errs.push("history must be a list of [instruction, response] string pairs");
    }
    return errs;
  },
};

/**
 * Checks one exported row against the strict rules of its format. Returns the problems
 * (empty when the row is valid).
 */
export function validateFormatRow(format: ExportFormat, row: Record<string, unknown>): string[] {
  const v = VALIDATORS[format];
  if (!v) return [];
  return v(row);
}

/** Registers (or replaces) the strict validator of a format. */
export function registerFormatValidator(format: ExportFormat, validator: (row: Record<string, unknown>) => string[]): void {
  VALIDATORS[format] = validator;
}

/** True when the format has a strict validator. */
export function hasFormatValidator(format: ExportFormat): boolean {
  return VALIDATORS[format] !== undefined;
}
