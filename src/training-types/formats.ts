import { SynthforgeError } from "../core/errors.js";

/**
 * Export formats and their strict validators (the rules of notes/formats.md §9). Every
 * exported row is validated before it is written; a row that fails is an error, never
 * a silently dropped line. File-level rules (one TRL format per file, one ShareGPT
 * variant per file, one Arrow type per column) are checked by {@link FormatFileChecker}
 * while a file is streamed, in constant memory.
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
/** One of the built-in {@link EXPORT_FORMATS}. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
/** A built-in export format, or the id of one registered with {@link registerExportFormat}. */
export type ExportFormatId = ExportFormat | (string & {});

/** An export format added at run time (by a host or a plugin). */
export interface ExportFormatRegistration {
  /** The format's id, as in `synthforge export --format <id>`: lowercase letters, digits, `.`, `_`, `-`. */
  id: string;
  /** One line: the trainer it is for and the row shape, for `--list-formats`. */
  description: string;
  /** What the format needs from a row, in words (explains why a type cannot export to it). */
  needs?: string;
  /** The strict row validator: the problems of one exported row (empty when valid). */
  validate(row: Record<string, unknown>): string[];
}

const FORMAT_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** Formats registered at run time, in registration order. */
const registeredFormats: string[] = [];

/** True when `name` is a built-in export format. */
export function isBuiltinExportFormat(name: string): name is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(name);
}

/** True when `name` is an export format: built in, or registered with {@link registerExportFormat}. */
export function isExportFormat(name: string): name is ExportFormatId {
  return isBuiltinExportFormat(name) || registeredFormats.includes(name);
}

/** Every export format: the built-ins, then those registered at run time. */
export function listExportFormats(): ExportFormatId[] {
  return [...EXPORT_FORMATS, ...registeredFormats];
}

/** The one-line description of a format (empty for an unknown one). */
export function formatDescription(format: ExportFormatId): string {
  return (FORMAT_DESCRIPTIONS as Record<string, string>)[format] ?? "";
}

/** What a format needs from a row, in words (empty for an unknown one). */
export function formatNeeds(format: ExportFormatId): string {
  return (FORMAT_NEEDS as Record<string, string>)[format] ?? "";
}

/**
 * Registers an export format: its id, description and strict row validator. A training
 * type exports to it through an exporter keyed by the id (`exporters: { "mcq-jsonl": ... }`).
 * Every exported row is checked by the validator (plus the file-level rules of
 * {@link FormatFileChecker}: one Arrow type per column). Registering an id again replaces it.
 *
 * @throws SynthforgeError `CONFIG_INVALID` for a built-in id or a malformed one.
 */
export function registerExportFormat(format: ExportFormatRegistration): void {
  if (isBuiltinExportFormat(format.id))
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `Export format "${format.id}" is built in; register your format under another id.`,
    );
  if (!FORMAT_ID.test(format.id))
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `Export format id "${format.id}" must be lowercase letters, digits, ".", "_" and "-" (at most 64).`,
    );
  if (typeof format.validate !== "function")
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `Export format "${format.id}" needs a validate(row) function.`,
    );
  if (!registeredFormats.includes(format.id)) registeredFormats.push(format.id);
  (FORMAT_DESCRIPTIONS as Record<string, string>)[format.id] = format.description;
  (FORMAT_NEEDS as Record<string, string>)[format.id] = format.needs ?? format.description;
  VALIDATORS[format.id] = (row) => ({ errors: format.validate(row), warnings: [] });
}

/** One-line description of each format, for `synthforge export --list-formats`. */
export const FORMAT_DESCRIPTIONS: Record<ExportFormat, string> = {
  "trl-sft-messages": "TRL SFTTrainer, conversational: {messages:[{role,content}]}",
  "trl-sft-prompt-completion":
    "TRL SFTTrainer, prompt-completion (conversational): {prompt:[user], completion:[assistant]}",
  "trl-dpo":
    "TRL DPOTrainer, explicit prompt (conversational): {prompt:[user], chosen:[assistant], rejected:[assistant]}",
  "trl-orpo": "TRL ORPOTrainer, explicit prompt, plain strings: {prompt, chosen, rejected}",
  "trl-kto": "TRL KTOTrainer, unpaired preference: {prompt, completion, label: bool}",
  "trl-reward": "TRL RewardTrainer, implicit prompt (conversational): {chosen, rejected, margin}",
  "trl-prompt-only": "TRL PPO/online trainers, standard prompt-only: {prompt} (string)",
  "trl-grpo": "TRL GRPOTrainer: {prompt:[user], solution} (solution is passed to reward functions)",
  "openai-chat": "OpenAI supervised fine-tuning: {messages:[{role,content}]}",
  "openai-dpo": "OpenAI preference fine-tuning: {input:{messages}, preferred_output, non_preferred_output}",
  "openai-rft": "OpenAI reinforcement fine-tuning: {messages:[developer?, user], reference_answer}",
  "vertex-sft":
    "Vertex AI Gemini supervised tuning: {systemInstruction?, contents:[{role:user|model, parts:[{text}]}]}",
  alpaca: "LLaMA-Factory / Axolotl alpaca: {instruction, input, output, system?}",
  sharegpt: "LLaMA-Factory sharegpt: {conversations:[{from,value}]} (+ chosen/rejected or kto_tag)",
};

/**
 * What each format needs from a row, in words: used to explain why a training type
 * cannot be exported to it (e.g. kto → openai-dpo).
 */
export const FORMAT_NEEDS: Record<ExportFormat, string> = {
  "trl-sft-messages": "a conversation that ends with an assistant answer",
  "trl-sft-prompt-completion": "a prompt and one target completion",
  "trl-dpo": "a prompt with a chosen and a rejected response",
  "trl-orpo": "a prompt with a chosen and a rejected response",
  "trl-kto": "a prompt, one completion and a desirable/undesirable label",
  "trl-reward": "a chosen and a rejected response to the same prompt",
  "trl-prompt-only": "prompts only (the policy writes the responses)",
  "trl-grpo": "a prompt and a verifiable reference answer",
  "openai-chat": "a conversation that ends with an assistant answer",
  "openai-dpo": "a prompt with a preferred and a non-preferred response",
  "openai-rft": "a prompt and a reference answer for a grader",
  "vertex-sft": "a conversation that ends with a model answer",
  alpaca: "an instruction and one target output",
  sharegpt: "a conversation (or a conversation plus a chosen/rejected pair, or a KTO tag)",
};

type Json = Record<string, unknown>;

/** Problems of one row: errors fail the export, warnings are reported. */
export interface RowCheck {
  errors: string[];
  warnings: string[];
}

const isStr = (v: unknown): v is string => typeof v === "string";
const nonEmpty = (v: unknown): v is string => isStr(v) && v.trim().length > 0;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** True when `v` is a list of messages (TRL's `is_conversational` test on one value). */
export function isConversational(v: unknown): boolean {
  return Array.isArray(v) && v.length > 0 && isObj(v[0]) && "role" in v[0];
}

// ---------------------------------------------------------------------------------------
// Chat messages (TRL / OpenAI style {role, content})
// ---------------------------------------------------------------------------------------

interface MessageRules {
  /** Allowed roles. */
  roles: string[];
  /** What the last message must be: assistant (with content), or user/tool (a prompt). */
  end: "assistant" | "prompt" | "any";
  /** The first non-system turn must be this role (default user). */
  first?: string;
  /** Roles that may appear once, as the very first message. */
  leading?: string[];
  /** Tool-call dialect: TRL wants object arguments, OpenAI JSON-string arguments with ids. */
  tools?: "trl" | "openai" | "none";
  /** Extra keys allowed per role (besides role and content). */
  extraKeys?: Record<string, string[]>;
}

const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function checkToolCalls(
  calls: unknown,
  where: string,
  dialect: "trl" | "openai",
  ids: Set<string>,
): string[] {
  const errs: string[] = [];
  if (!Array.isArray(calls) || calls.length === 0) return [`${where}.tool_calls must be a non-empty list`];
  calls.forEach((c, i) => {
    const w = `${where}.tool_calls[${i}]`;
    if (!isObj(c)) {
      errs.push(`${w} is not an object`);
      return;
    }
    if (c.type !== "function") errs.push(`${w}.type must be "function"`);
    const fn = c.function;
    if (!isObj(fn)) {
      errs.push(`${w}.function must be an object {name, arguments}`);
      return;
    }
    if (!isStr(fn.name) || !FUNCTION_NAME.test(fn.name))
      errs.push(`${w}.function.name must match [a-zA-Z0-9_-]{1,64}`);
    if (dialect === "trl") {
      if (!isObj(fn.arguments))
        errs.push(`${w}.function.arguments must be an object (TRL), not a JSON string`);
    } else {
      if (!nonEmpty(c.id)) errs.push(`${w}.id is required (OpenAI)`);
      else ids.add(c.id);
      if (!isStr(fn.arguments)) errs.push(`${w}.function.arguments must be a JSON string (OpenAI)`);
      else {
        try {
          JSON.parse(fn.arguments);
        } catch {
          errs.push(`${w}.function.arguments is not valid JSON`);
        }
      }
    }
  });
  return errs;
}

/** The keys a message of `role` may have under `rules`, made once per rules and role. */
const ALLOWED_KEYS = new WeakMap<MessageRules, Map<string, readonly string[]>>();
function allowedKeys(rules: MessageRules, role: string): readonly string[] {
  let byRole = ALLOWED_KEYS.get(rules);
  if (!byRole) {
    byRole = new Map();
    ALLOWED_KEYS.set(rules, byRole);
  }
  let allowed = byRole.get(role);
  if (!allowed) {
    const dialect = rules.tools ?? "none";
    const list = ["role", "content", ...(rules.extraKeys?.[role] ?? [])];
    if (dialect !== "none" && role === "assistant") list.push("tool_calls");
    if (dialect === "trl" && role === "tool") list.push("name");
    if (dialect === "openai" && role === "tool") list.push("tool_call_id");
    allowed = list;
    byRole.set(role, allowed);
  }
  return allowed;
}

/** Checks a list of chat messages; returns the problems. */
function checkMessages(msgs: unknown, where: string, rules: MessageRules): string[] {
  if (!Array.isArray(msgs) || msgs.length === 0) return [`${where} must be a non-empty list of messages`];
  const errs: string[] = [];
  const dialect = rules.tools ?? "none";
  const leading = rules.leading ?? ["system"];
  const toolCallIds = new Set<string>();
  msgs.forEach((m, i) => {
    const w = `${where}[${i}]`;
    if (!isObj(m)) {
      errs.push(`${w} is not an object`);
      return;
    }
    const role = m.role;
    if (!isStr(role) || !rules.roles.includes(role)) {
      errs.push(`${w}.role "${String(role)}" is not one of ${rules.roles.join("/")}`);
      return;
    }
    const allowed = allowedKeys(rules, role);
    const keys = Object.keys(m);
    let unknown = false;
    for (let j = 0; j < keys.length && !unknown; j++) unknown = !allowed.includes(keys[j]!);
    const extra: string[] = unknown ? keys.filter((k) => !allowed.includes(k)) : [];
    if (extra.length) errs.push(`${w} has keys ${extra.join(", ")} (allowed: ${allowed.join(", ")})`);
    const hasCalls = "tool_calls" in m && m.tool_calls !== undefined && m.tool_calls !== null;
    if (hasCalls)
      errs.push(...checkToolCalls(m.tool_calls, w, dialect === "openai" ? "openai" : "trl", toolCallIds));
    if (!(role === "assistant" && hasCalls && (m.content === null || m.content === undefined))) {
      if (!nonEmpty(m.content)) errs.push(`${w}.content must be a non-empty string`);
    }
    if ("weight" in m && m.weight !== 0 && m.weight !== 1) errs.push(`${w}.weight must be 0 or 1`);
    if (role === "tool" && dialect === "openai") {
      if (!nonEmpty(m.tool_call_id)) errs.push(`${w}.tool_call_id is required`);
      else if (!toolCallIds.has(m.tool_call_id))
        errs.push(`${w}.tool_call_id "${m.tool_call_id}" matches no earlier tool call`);
    }
  });
  if (errs.length) return errs;

  const list = msgs as Json[];
  let start = 0;
  if (leading.includes(list[0]!.role as string)) start = 1;
  for (let i = start; i < list.length; i++) {
    if (leading.includes(list[i]!.role as string))
      errs.push(`${where}[${i}]: a ${String(list[i]!.role)} message may only come first`);
  }
  const body = list.slice(start);
  if (body.length === 0) return [...errs, `${where} has no turn after the ${String(list[0]!.role)} message`];
  const first = rules.first ?? "user";
  if (body[0]!.role !== first)
    errs.push(`${where}: the first turn must be ${first}, got ${String(body[0]!.role)}`);
  // Alternation: user → assistant → (tool+ → assistant)* → user ...
  for (let i = 1; i < body.length; i++) {
    const prev = body[i - 1]!;
    const cur = body[i]!;
    const prevCalls =
      prev.role === "assistant" && Array.isArray(prev.tool_calls) && prev.tool_calls.length > 0;
    const ok =
      cur.role === "tool"
        ? prevCalls || prev.role === "tool"
        : prev.role === "tool"
          ? cur.role === "assistant"
          : prevCalls
            ? false
            : cur.role !== prev.role;
    if (!ok) {
      errs.push(
        cur.role === "tool"
          ? `${where}[${i + start}]: a tool message must follow an assistant message with tool_calls`
          : prevCalls
            ? `${where}[${i + start - 1}]: an assistant tool call must be followed by tool messages`
            : `${where}: turns must alternate user/assistant (two ${String(cur.role)} turns in a row at ${i + start})`,
      );
      break;
    }
  }
  const last = body[body.length - 1]!;
  if (rules.end === "assistant") {
    if (last.role !== "assistant")
      errs.push(`${where}: must end with an assistant turn, got ${String(last.role)}`);
    else if (Array.isArray(last.tool_calls) && last.tool_calls.length)
      errs.push(`${where}: must end with an assistant answer, not a tool call`);
  } else if (rules.end === "prompt" && last.role !== "user" && last.role !== "tool") {
    errs.push(`${where}: a prompt must end with a user or tool turn, got ${String(last.role)}`);
  }
  return errs;
}

function checkTools(tools: unknown, where: string, opts: { allowString: boolean }): string[] {
  let list = tools;
  if (isStr(tools)) {
    if (!opts.allowString) return [`${where} must be a list of tool definitions`];
    try {
      list = JSON.parse(tools);
    } catch {
      return [`${where} is a string but not valid JSON`];
    }
  }
  if (!Array.isArray(list)) return [`${where} must be a list of tool definitions`];
  const errs: string[] = [];
  list.forEach((t, i) => {
    if (
      !isObj(t) ||
      t.type !== "function" ||
      !isObj(t.function) ||
      !isStr(t.function.name) ||
      !FUNCTION_NAME.test(t.function.name)
    ) {
      errs.push(
        `${where}[${i}] must be {type: "function", function: {name, description?, parameters?}} with a valid name`,
      );
    }
  });
  return errs;
}

function onlyKeys(row: Json, allowed: string[]): string[] {
  const extra = Object.keys(row).filter((k) => !allowed.includes(k));
  return extra.length ? [`unexpected keys ${extra.join(", ")} (allowed: ${allowed.join(", ")})`] : [];
}

/** TRL's "supported" key columns; other key sets raise KeyError in apply_chat_template. */
const TRL_KEYS = ["prompt", "chosen", "rejected", "completion", "messages", "label"];
/** The columns whose values tell a standard TRL row from a conversational one. */
const TRL_FORMAT_KEYS = ["prompt", "chosen", "rejected", "completion", "messages"];
function trlKeySet(row: Json, ...accepted: string[][]): string[] {
  // The key set is one of `accepted` when it has as many TRL keys and holds each one.
  let count = 0;
  for (const k of TRL_KEYS) if (k in row) count++;
  for (const want of accepted) {
    if (want.length !== count) continue;
    let all = true;
    for (const k of want) if (!(k in row)) all = false;
    if (all) return [];
  }
  const present = TRL_KEYS.filter((k) => k in row).sort();
  for (const want of accepted) if (present.join(",") === [...want].sort().join(",")) return [];
  return [
    `TRL key columns must be exactly ${accepted.map((w) => `{${w.join(", ")}}`).join(" or ")}, got {${present.join(", ")}}`,
  ];
}

const TRL_ROLES = ["system", "developer", "user", "assistant", "tool"];
const TRL_LEADING = ["system", "developer"];
const trlConversation: MessageRules = {
  roles: TRL_ROLES,
  leading: TRL_LEADING,
  end: "assistant",
  tools: "trl",
};
const trlPrompt: MessageRules = { roles: TRL_ROLES, leading: TRL_LEADING, end: "prompt", tools: "trl" };
const trlAssistantOnly: MessageRules = {
  roles: ["assistant"],
  leading: [],
  first: "assistant",
  end: "assistant",
  tools: "trl",
};

/** Checks an assistant-only completion list (conversational chosen/rejected/completion). */
function checkCompletion(v: unknown, where: string): string[] {
  const errs = checkMessages(v, where, trlAssistantOnly);
  if (!errs.length && Array.isArray(v) && v.length !== 1)
    errs.push(`${where} must hold exactly one assistant message`);
  return errs;
}

/** Text of a value for equality checks (strings as-is, message lists as JSON). */
const textOf = (v: unknown) => (isStr(v) ? v.trim() : JSON.stringify(v));

/**
 * Checks preference columns (DPO, ORPO, reward): explicit or implicit prompt, one format
 * in the row, chosen ≠ rejected.
 */
function checkPreference(row: Json, opts: { implicitOk: boolean; preferExplicit: boolean }): RowCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  const explicit = "prompt" in row;
  errors.push(
    ...trlKeySet(row, ["prompt", "chosen", "rejected"], ...(opts.implicitOk ? [["chosen", "rejected"]] : [])),
  );
  if (errors.length) return { errors, warnings };
  const cols = (explicit ? ["prompt", "chosen", "rejected"] : ["chosen", "rejected"]).map((k) => row[k]);
  const conv = cols.map(isConversational);
  if (conv.some((c) => c !== conv[0])) {
    errors.push(
      "prompt, chosen and rejected must all be strings or all be message lists (mixed formats change the data in TRL)",
    );
    return { errors, warnings };
  }
  if (conv[0]) {
    if (explicit) {
      errors.push(...checkMessages(row.prompt, "prompt", trlPrompt));
      errors.push(...checkCompletion(row.chosen, "chosen"));
      errors.push(...checkCompletion(row.rejected, "rejected"));
    } else {
      errors.push(...checkMessages(row.chosen, "chosen", trlConversation));
      errors.push(...checkMessages(row.rejected, "rejected", trlConversation));
      if (!errors.length) {
        const a = row.chosen as Json[];
        const b = row.rejected as Json[];
        let k = 0;
        while (k < a.length && k < b.length && JSON.stringify(a[k]) === JSON.stringify(b[k])) k++;
        if (k === 0) errors.push("implicit prompt: chosen and rejected must share a prompt prefix");
        else if (a[k - 1]!.role !== "user" && a[k - 1]!.role !== "tool") {
          errors.push("implicit prompt: the shared prefix of chosen and rejected must end with a user turn");
        }
      }
    }
  } else {
    for (const k of explicit ? ["prompt", "chosen", "rejected"] : ["chosen", "rejected"]) {
      if (!nonEmpty(row[k])) errors.push(`${k} must be a non-empty string or a list of messages`);
    }
  }
  if (!explicit && opts.preferExplicit)
    warnings.push("implicit prompt: TRL recommends an explicit prompt column for this trainer");
  if (!errors.length && textOf(row.chosen) === textOf(row.rejected))
    errors.push("chosen and rejected are identical");
  return { errors, warnings };
}

function checkPromptCompletion(row: Json): string[] {
  const conv = [isConversational(row.prompt), isConversational(row.completion)];
  if (conv[0] !== conv[1]) return ["prompt and completion must both be strings or both be message lists"];
  if (conv[0])
    return [
      ...checkMessages(row.prompt, "prompt", trlPrompt),
      ...checkCompletion(row.completion, "completion"),
    ];
  const errs: string[] = [];
  if (!nonEmpty(row.prompt)) errs.push("prompt must be a non-empty string or a list of messages");
  if (!nonEmpty(row.completion)) errs.push("completion must be a non-empty string or a list of messages");
  return errs;
}

function checkPrompt(prompt: unknown): string[] {
  if (isConversational(prompt)) return checkMessages(prompt, "prompt", trlPrompt);
  return nonEmpty(prompt)
    ? []
    : ["prompt must be a non-empty string or a list of messages ending with a user turn"];
}

/** Column names GRPOTrainer passes to reward functions itself; a dataset column with one of them collides. */
export const GRPO_RESERVED_COLUMNS = [
  "prompts",
  "completions",
  "completion",
  "completion_ids",
  "trainer_state",
  "log_extra",
  "log_metric",
  "environments",
] as const;

// ---------------------------------------------------------------------------------------
// ShareGPT (LLaMA-Factory)
// ---------------------------------------------------------------------------------------

const SHAREGPT_TAGS = ["human", "gpt", "observation", "function_call", "system"];

/** Which ShareGPT variant a row is. */
export function sharegptVariant(row: Json): "sft" | "preference" | "kto" {
  if ("chosen" in row || "rejected" in row) return "preference";
  if ("kto_tag" in row) return "kto";
  return "sft";
}

function checkShareGpt(row: Json): RowCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  const variant = sharegptVariant(row);
  errors.push(
    ...onlyKeys(row, [
      "conversations",
      "system",
      "tools",
      ...(variant === "preference" ? ["chosen", "rejected"] : []),
      ...(variant === "kto" ? ["kto_tag"] : []),
    ]),
  );
  if ("chosen" in row !== "rejected" in row) errors.push("a preference row needs both chosen and rejected");
  if (variant === "preference" && "kto_tag" in row)
    errors.push("a row is either preference (chosen/rejected) or KTO (kto_tag), not both");
  if ("system" in row && !isStr(row.system)) errors.push("system must be a string");
  if ("tools" in row) {
    if (!isStr(row.tools)) errors.push("tools must be a JSON string (LLaMA-Factory json.loads it)");
    else errors.push(...checkTools(row.tools, "tools", { allowString: true }));
  }
  if (variant === "kto" && typeof row.kto_tag !== "boolean")
    errors.push("kto_tag must be a JSON boolean (true/false), not a string or number");
  const conv = row.conversations;
  if (!Array.isArray(conv) || conv.length === 0) {
    errors.push("conversations must be a non-empty list of {from, value} turns");
    return { errors, warnings };
  }
  const turnErrs: string[] = [];
  conv.forEach((t, i) => {
    if (!isObj(t) || Object.keys(t).sort().join(",") !== "from,value") {
      turnErrs.push(`conversations[${i}] must have exactly the keys from and value`);
      return;
    }
    if (!isStr(t.from) || !SHAREGPT_TAGS.includes(t.from))
      turnErrs.push(`conversations[${i}].from "${String(t.from)}" is not one of ${SHAREGPT_TAGS.join("/")}`);
    if (!nonEmpty(t.value)) turnErrs.push(`conversations[${i}].value must be a non-empty string`);
    if (t.from === "function_call" && isStr(t.value)) {
      try {
        const v = JSON.parse(t.value);
        if (!isObj(v) || !isStr(v.name) || !("arguments" in v)) throw new Error("shape");
      } catch {
        turnErrs.push(`conversations[${i}]: a function_call value must be JSON {"name", "arguments"}`);
      }
    }
  });
  errors.push(...turnErrs);
  if (turnErrs.length) return { errors, warnings };
  const turns = conv as Array<{ from: string; value: string }>;
  const body = turns[0]!.from === "system" ? turns.slice(1) : turns;
  if (turns[0]!.from === "system" && "system" in row)
    errors.push("give the system prompt either as a first system turn or as the system column, not both");
  body.forEach((t, i) => {
    if (t.from === "system") errors.push(`conversations: a system turn may only come first`);
    else if (i % 2 === 0 && t.from !== "human" && t.from !== "observation")
      errors.push(`conversations: turn ${i} must be human or observation, got ${t.from}`);
    else if (i % 2 === 1 && t.from !== "gpt" && t.from !== "function_call")
      errors.push(`conversations: turn ${i} must be gpt or function_call, got ${t.from}`);
  });
  if (variant === "preference") {
    if (body.length % 2 !== 1)
      errors.push(`a preference row needs an odd number of turns ending with human (got ${body.length})`);
    for (const k of ["chosen", "rejected"]) {
      const v = row[k];
      if (
        !isObj(v) ||
        Object.keys(v).sort().join(",") !== "from,value" ||
        v.from !== "gpt" ||
        !nonEmpty(v.value)
      ) {
        errors.push(`${k} must be {"from": "gpt", "value": non-empty string}`);
      }
    }
    if (isObj(row.chosen) && isObj(row.rejected) && textOf(row.chosen.value) === textOf(row.rejected.value))
      errors.push("chosen and rejected are identical");
  } else if (body.length % 2 !== 0) {
    errors.push(
      `an ${variant === "kto" ? "KTO" : "SFT"} row needs an even number of turns ending with gpt (got ${body.length})`,
    );
  }
  if (turns.some((t) => t.from === "observation" || t.from === "function_call")) {
    warnings.push("Unsloth's standardize_sharegpt cannot read observation/function_call turns");
  }
  return { errors, warnings };
}

// ---------------------------------------------------------------------------------------
// Per-format row validators
// ---------------------------------------------------------------------------------------

const plain = (errors: string[]): RowCheck => ({ errors, warnings: [] });

const VALIDATORS: Partial<Record<ExportFormatId, (row: Json) => RowCheck>> = {
  "trl-sft-messages": (row) => {
    const errors = [
      ...trlKeySet(row, ["messages"]),
      ...checkMessages(row.messages, "messages", trlConversation),
    ];
    if ("tools" in row) errors.push(...checkTools(row.tools, "tools", { allowString: true }));
    if ("chat_template_kwargs" in row && !isObj(row.chat_template_kwargs))
      errors.push("chat_template_kwargs must be an object");
    return plain(errors);
  },
  "trl-sft-prompt-completion": (row) =>
    plain([...trlKeySet(row, ["prompt", "completion"]), ...checkPromptCompletion(row)]),
  "trl-dpo": (row) => checkPreference(row, { implicitOk: true, preferExplicit: true }),
  "trl-orpo": (row) => checkPreference(row, { implicitOk: true, preferExplicit: true }),
  "trl-reward": (row) => {
    // RewardTrainer recommends the implicit prompt; an explicit one works too.
    const res = checkPreference(row, { implicitOk: true, preferExplicit: false });
    if ("margin" in row && (typeof row.margin !== "number" || !Number.isFinite(row.margin)))
      res.errors.push("margin must be a finite number");
    return res;
  },
  "trl-kto": (row) => {
    const errors = [...trlKeySet(row, ["prompt", "completion", "label"])];
    if (!errors.length) errors.push(...checkPromptCompletion(row));
    if ("label" in row && typeof row.label !== "boolean")
      errors.push('label must be a JSON boolean (true/false), not "true" or 1');
    return plain(errors);
  },
  "trl-prompt-only": (row) => {
    const errors = [...trlKeySet(row, ["prompt"]), ...checkPrompt(row.prompt)];
    const warnings = isConversational(row.prompt)
      ? ["the PPO example scripts tokenize prompt as a plain string"]
      : [];
    return { errors, warnings };
  },
  "trl-grpo": (row) => {
    const errors = [...trlKeySet(row, ["prompt"]), ...checkPrompt(row.prompt)];
    const warnings: string[] = [];
    const extra = Object.keys(row).filter((k) => k !== "prompt");
    for (const k of extra) {
      if ((GRPO_RESERVED_COLUMNS as readonly string[]).includes(k)) {
        errors.push(
          `column "${k}" collides with a keyword GRPOTrainer passes to reward functions; rename it`,
        );
      }
      const v = row[k];
      if (
        v === null ||
        v === undefined ||
        (isStr(v) && v.trim() === "") ||
        (Array.isArray(v) && v.length === 0)
      ) {
        errors.push(`column "${k}" must not be null or empty (reward functions receive it)`);
      }
    }
    if (extra.length === 0)
      warnings.push("no answer column (e.g. solution): reward functions have nothing to check against");
    return { errors, warnings };
  },
  "openai-chat": (row) => {
    const errors = onlyKeys(row, ["messages", "tools", "parallel_tool_calls"]);
    errors.push(
      ...checkMessages(row.messages, "messages", {
        roles: ["system", "user", "assistant", "tool"],
        leading: ["system"],
        end: "assistant",
        tools: "openai",
        extraKeys: { system: ["name"], user: ["name"], assistant: ["name", "weight"] },
      }),
    );
    if ("tools" in row) errors.push(...checkTools(row.tools, "tools", { allowString: false }));
    if ("parallel_tool_calls" in row && typeof row.parallel_tool_calls !== "boolean")
      errors.push("parallel_tool_calls must be a boolean");
    if (!errors.length) {
      const assistants = (row.messages as Json[]).filter((m) => m.role === "assistant");
      if (assistants.every((m) => m.weight === 0))
        errors.push("every assistant message has weight 0: nothing would be trained");
    }
    return plain(errors);
  },
  "openai-dpo": (row) => {
    const errors: string[] = [];
    if ("preferred_completion" in row || "non_preferred_completion" in row) {
      errors.push(
        "preferred_completion/non_preferred_completion are the old names; use preferred_output/non_preferred_output",
      );
    }
    errors.push(...onlyKeys(row, ["input", "preferred_output", "non_preferred_output"]));
    if (!isObj(row.input)) errors.push("input must be an object {messages, tools?}");
    else {
      errors.push(
        ...onlyKeys(row.input, ["messages", "tools", "parallel_tool_calls"]).map((e) => `input: ${e}`),
      );
      errors.push(
        ...checkMessages(row.input.messages, "input.messages", {
          roles: ["system", "user", "assistant", "tool"],
          leading: ["system"],
          end: "prompt",
          tools: "openai",
          extraKeys: { system: ["name"], user: ["name"], assistant: ["name"] },
        }),
      );
      if ("tools" in row.input)
        errors.push(...checkTools(row.input.tools, "input.tools", { allowString: false }));
    }
    for (const k of ["preferred_output", "non_preferred_output"]) {
      const v = row[k];
      const e = checkMessages(v, k, {
        roles: ["assistant"],
        leading: [],
        first: "assistant",
        end: "assistant",
        tools: "openai",
      });
      if (!e.length && Array.isArray(v) && v.length !== 1)
        e.push(`${k} must hold exactly one assistant message`);
      errors.push(...e);
    }
    if (!errors.length && JSON.stringify(row.preferred_output) === JSON.stringify(row.non_preferred_output)) {
      errors.push("preferred_output and non_preferred_output are identical");
    }
    return plain(errors);
  },
  "openai-rft": (row) => {
    const errors: string[] = [];
    const warnings: string[] = [];
    if (Array.isArray(row.messages) && row.messages.some((m) => isObj(m) && m.role === "system")) {
      errors.push('reinforcement fine-tuning uses the "developer" role instead of "system"');
    } else {
      errors.push(
        ...checkMessages(row.messages, "messages", {
          roles: ["developer", "user", "assistant", "tool"],
          leading: ["developer"],
          end: "any",
          tools: "openai",
        }),
      );
      if (!errors.length) {
        const last = (row.messages as Json[]).at(-1)!;
        if (last.role !== "user") errors.push("messages must end with the user turn the model answers");
      }
    }
    if ("tools" in row) errors.push(...checkTools(row.tools, "tools", { allowString: false }));
    const grader = Object.keys(row).filter((k) => k !== "messages" && k !== "tools");
    if (grader.length === 0)
      warnings.push("no grader fields (e.g. reference_answer): graders have nothing to compare with");
    for (const k of grader)
      if (row[k] === null || row[k] === undefined || row[k] === "")
        errors.push(`grader field "${k}" must not be empty`);
    return { errors, warnings };
  },
  "vertex-sft": (row) => {
    const errors: string[] = [];
    if ("system_instruction" in row) errors.push("use camelCase systemInstruction, not system_instruction");
    errors.push(...onlyKeys(row, ["contents", "systemInstruction", "tools"]));
    const checkParts = (parts: unknown, where: string, textOnly: boolean) => {
      if (!Array.isArray(parts) || parts.length === 0) {
        errors.push(`${where}.parts must be a non-empty list`);
        return;
      }
      parts.forEach((p, i) => {
        const fields = isObj(p) ? Object.keys(p) : [];
        const data = textOnly
          ? ["text"]
          : ["text", "fileData", "inlineData", "functionCall", "functionResponse"];
        if (fields.length !== 1 || !data.includes(fields[0]!)) {
          errors.push(`${where}.parts[${i}] must hold exactly one of ${data.join(", ")}`);
        } else if (fields[0] === "text" && !nonEmpty((p as Json).text)) {
          errors.push(`${where}.parts[${i}].text must be a non-empty string`);
        }
      });
    };
    if ("systemInstruction" in row) {
      const si = row.systemInstruction;
      if (!isObj(si)) errors.push("systemInstruction must be an object {role?, parts: [{text}]}");
      else {
        const extra = Object.keys(si).filter((k) => k !== "role" && k !== "parts");
        if (extra.length) errors.push(`systemInstruction has keys ${extra.join(", ")}`);
        checkParts(si.parts, "systemInstruction", true);
      }
    }
    const contents = row.contents;
    if (!Array.isArray(contents) || contents.length === 0) errors.push("contents must be a non-empty list");
    else {
      contents.forEach((c, i) => {
        const w = `contents[${i}]`;
        if (!isObj(c)) {
          errors.push(`${w} is not an object`);
          return;
        }
        const extra = Object.keys(c).filter((k) => k !== "role" && k !== "parts");
        if (extra.length) errors.push(`${w} has keys ${extra.join(", ")}`);
        const want = i % 2 === 0 ? "user" : "model";
        if (c.role !== "user" && c.role !== "model")
          errors.push(`${w}.role must be "user" or "model" (the assistant is "model")`);
        else if (c.role !== want) errors.push(`${w}.role must be ${want}: turns alternate from user`);
        checkParts(c.parts, w, false);
      });
      const last = contents.at(-1);
      if (isObj(last) && last.role !== "model")
        errors.push("contents must end with a model turn (the target answer)");
    }
    return plain(errors);
  },
  alpaca: (row) => {
    const errors = onlyKeys(row, ["instruction", "input", "output", "system", "history"]);
    if (!nonEmpty(row.instruction)) errors.push("instruction must be a non-empty string");
    if (!nonEmpty(row.output)) errors.push("output must be a non-empty string");
    if ("input" in row && !isStr(row.input)) errors.push("input must be a string");
    if ("system" in row && !isStr(row.system)) errors.push("system must be a string");
    if (
      "history" in row &&
      !(
        Array.isArray(row.history) &&
        row.history.every((h) => Array.isArray(h) && h.length === 2 && h.every(nonEmpty))
      )
    ) {
      errors.push("history must be a list of [instruction, response] string pairs");
    }
    return plain(errors);
  },
  sharegpt: checkShareGpt,
};

/**
 * Checks one exported row against the strict rules of its format, with warnings.
 * A row that is not a JSON object is an error for every format.
 */
export function checkFormatRow(format: ExportFormatId, row: unknown): RowCheck {
  if (!isObj(row)) return { errors: ["each line must be one JSON object"], warnings: [] };
  const v = VALIDATORS[format];
  if (!v) return { errors: [], warnings: [] };
  return v(row);
}

/**
 * Checks one exported row against the strict rules of its format. Returns the problems
 * (empty when the row is valid).
 */
export function validateFormatRow(format: ExportFormatId, row: Record<string, unknown>): string[] {
  return checkFormatRow(format, row).errors;
}

/**
 * Registers (or replaces) the strict validator of a format. An id that is not a built-in
 * format becomes a registered format (see {@link registerExportFormat}, which also takes
 * its description).
 */
export function registerFormatValidator(
  format: ExportFormatId,
  validator: (row: Record<string, unknown>) => string[],
): void {
  if (!isExportFormat(format)) {
    registerExportFormat({ id: format, description: `${format} (registered format)`, validate: validator });
    return;
  }
  VALIDATORS[format] = (row) => ({ errors: validator(row), warnings: [] });
}

/** True when the format has a strict validator. */
export function hasFormatValidator(format: ExportFormatId): boolean {
  return VALIDATORS[format] !== undefined;
}

// ---------------------------------------------------------------------------------------
// Arrow types and file-level checks
// ---------------------------------------------------------------------------------------

/**
 * The Arrow-style type of a JSON value, as `datasets`/pyarrow infer it: one type per
 * column and per list; `null` fits anywhere; integers widen to floats.
 */
export type ValueType =
  | { kind: "null" }
  | { kind: "bool" }
  | { kind: "int" }
  | { kind: "float" }
  | { kind: "string" }
  | { kind: "list"; item: ValueType }
  | { kind: "struct"; fields: Record<string, ValueType> };

/** The type of one JSON value. */
export function typeOf(v: unknown): ValueType {
  if (v === null || v === undefined) return { kind: "null" };
  if (typeof v === "boolean") return { kind: "bool" };
  if (typeof v === "number") return Number.isInteger(v) ? { kind: "int" } : { kind: "float" };
  if (typeof v === "string") return { kind: "string" };
  if (Array.isArray(v)) {
    let item: ValueType = { kind: "null" };
    for (const x of v) item = mergeTypes(item, typeOf(x), "[]");
    return { kind: "list", item };
  }
  const fields: Record<string, ValueType> = {};
  for (const [k, x] of Object.entries(v as Json)) fields[k] = typeOf(x);
  return { kind: "struct", fields };
}

/**
 * True when the type of `v` is `known` or narrower: `mergeTypes(known, typeOf(v))` would
 * give `known` back, without throwing. Allocates nothing (the per-row check of a file
 * whose columns are already typed).
 */
export function valueFits(v: unknown, known: ValueType): boolean {
  if (v === null || v === undefined) return true;
  switch (typeof v) {
    case "boolean":
      return known.kind === "bool";
    case "number":
      return known.kind === "float" || (known.kind === "int" && Number.isInteger(v));
    case "string":
      return known.kind === "string";
  }
  if (Array.isArray(v)) {
    if (known.kind !== "list") return false;
    for (let i = 0; i < v.length; i++) if (!valueFits(v[i], known.item)) return false;
    return true;
  }
  if (known.kind !== "struct") return false;
  if (typeof v !== "object") return true; // typeOf gives such values an empty struct
  const fields = known.fields;
  for (const k of Object.keys(v as Json)) {
    const t = fields[k];
    if (t === undefined || !Object.hasOwn(fields, k) || !valueFits((v as Json)[k], t)) return false;
  }
  return true;
}

/** A column whose values do not share one Arrow type. */
export class TypeConflict extends Error {
  constructor(
    readonly path: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(`${path || "row"} changed from ${from} to ${to} (Arrow needs one type per column)`);
    this.name = "TypeConflict";
  }
}

/** Short name of a type, for messages and dataset cards. */
export function typeName(t: ValueType): string {
  switch (t.kind) {
    case "list":
      return `list<${typeName(t.item)}>`;
    case "struct":
      return `struct<${Object.entries(t.fields)
        .map(([k, v]) => `${k}: ${typeName(v)}`)
        .join(", ")}>`;
    default:
      return t.kind;
  }
}

/**
 * Merges two types of the same column. Throws {@link TypeConflict} when they cannot be
 * one Arrow type (string vs list, bool vs number, ...).
 */
export function mergeTypes(a: ValueType, b: ValueType, path = ""): ValueType {
  if (a.kind === "null") return b;
  if (b.kind === "null") return a;
  if ((a.kind === "int" || a.kind === "float") && (b.kind === "int" || b.kind === "float")) {
    return a.kind === "float" || b.kind === "float" ? { kind: "float" } : { kind: "int" };
  }
  if (a.kind !== b.kind) throw new TypeConflict(path, typeName(a), typeName(b));
  if (a.kind === "list" && b.kind === "list")
    return { kind: "list", item: mergeTypes(a.item, b.item, `${path}[]`) };
  if (a.kind === "struct" && b.kind === "struct") {
    const fields: Record<string, ValueType> = { ...a.fields };
    for (const [k, t] of Object.entries(b.fields))
      fields[k] = k in fields ? mergeTypes(fields[k]!, t, path ? `${path}.${k}` : k) : t;
    return { kind: "struct", fields };
  }
  return a;
}

/**
 * Streams the rows of one export file through the row validator and the file-level
 * rules: one TRL format (standard or conversational) per file, one ShareGPT variant per
 * file, one Arrow type per column and nested list, and (KTO) both labels present.
 * Memory stays constant: only the merged column types are kept.
 */
export class FormatFileChecker {
  private rowType: ValueType = { kind: "struct", fields: {} };
  private trlFormat: "standard" | "conversational" | null = null;
  private variant: string | null = null;
  private labels = new Set<boolean>();
  private readonly warned = new Set<string>();
  /** Rows checked so far. */
  rows = 0;
  /** Distinct warnings, in the order first seen. */
  readonly warnings: string[] = [];

  constructor(readonly format: ExportFormatId) {}

  private warn(w: string): void {
    if (this.warned.has(w)) return;
    this.warned.add(w);
    this.warnings.push(w);
  }

  /** Checks one row; returns its errors (row rules and cross-row rules). */
  add(row: unknown): string[] {
    this.rows++;
    const res = checkFormatRow(this.format, row);
    for (const w of res.warnings) this.warn(w);
    const errors = res.errors.length ? [...res.errors] : [];
    if (!isObj(row)) return errors;
    try {
      // Most rows fit the columns typed so far: checked without building their type.
      if (!valueFits(row, this.rowType)) this.rowType = mergeTypes(this.rowType, typeOf(row));
    } catch (e) {
      if (e instanceof TypeConflict) errors.push(`column ${e.message}; keep one shape per file`);
      else throw e;
    }
    if (this.format.startsWith("trl-")) {
      const key = TRL_FORMAT_KEYS.find((k) => k in row);
      if (key) {
        const f = isConversational(row[key]) ? "conversational" : "standard";
        if (this.trlFormat && this.trlFormat !== f)
          errors.push(`this row is ${f} but earlier rows are ${this.trlFormat}: use one TRL format per file`);
        this.trlFormat ??= f;
      }
    }
    if (this.format === "sharegpt") {
      const v = sharegptVariant(row);
      if (this.variant && this.variant !== v)
        errors.push(
          `this row is a ${v} row but earlier rows are ${this.variant} rows: use one ShareGPT variant per file`,
        );
      this.variant ??= v;
    }
    if (this.format === "trl-kto" && typeof row.label === "boolean") this.labels.add(row.label);
    if (this.format === "sharegpt" && typeof row.kto_tag === "boolean") this.labels.add(row.kto_tag);
    return errors;
  }

  /** File-level warnings once every row has been added. */
  finish(): string[] {
    if ((this.format === "trl-kto" || this.variant === "kto") && this.rows > 1 && this.labels.size === 1) {
      this.warn(`every label is ${[...this.labels][0]}: KTO wants both desirable and undesirable examples`);
    }
    if (this.rows === 0) this.warn("the file has no rows");
    return this.warnings;
  }

  /** The merged Arrow type of the rows so far (a struct of the columns). */
  columns(): Record<string, ValueType> {
    return this.rowType.kind === "struct" ? this.rowType.fields : {};
  }
}

/** Result of validating a JSONL export file. */
export interface FileValidation {
  format: ExportFormatId;
  rows: number;
  /** Problems, each with its 1-based line number. */
  errors: Array<{ line: number; message: string }>;
  warnings: string[];
  /** The Arrow type of each column. */
  columns: Record<string, string>;
}

/**
 * Validates JSON Lines text in a format: every line valid UTF-8 holding one JSON object,
 * every row valid, and the file-level rules of {@link FormatFileChecker}. A JSON array
 * file is rejected with a hint. Reads lines lazily from `lines`.
 */
export async function validateJsonLines(
  format: ExportFormatId,
  lines: AsyncIterable<string> | Iterable<string>,
): Promise<FileValidation> {
  const checker = new FormatFileChecker(format);
  const errors: FileValidation["errors"] = [];
  let n = 0;
  for await (const raw of lines) {
    n++;
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") {
      errors.push({ line: n, message: "empty line: JSON Lines has one object per line" });
      continue;
    }
    if (line.includes("\uFFFD")) errors.push({ line: n, message: "not valid UTF-8" });
    if (n === 1 && line.trimStart().startsWith("[")) {
      errors.push({
        line: n,
        message: "this is a JSON array, not JSON Lines: write one JSON object per line",
      });
      break;
    }
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      errors.push({ line: n, message: `not valid JSON: ${(e as Error).message}` });
      continue;
    }
    for (const message of checker.add(row)) errors.push({ line: n, message });
  }
  const cols: Record<string, string> = {};
  for (const [k, t] of Object.entries(checker.columns())) cols[k] = typeName(t);
  return { format, rows: checker.rows, errors, warnings: checker.finish(), columns: cols };
}
