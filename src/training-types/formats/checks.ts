import { type FileRules, isObj, isStr, type Json, nonEmpty, type RowCheck, textOf } from "./define.js";

/**
 * Rules shared by the chat formats (the rules of notes/formats.md §9): chat messages (TRL
 * and OpenAI style `{role, content}`), tool definitions, and TRL's key columns, prompts,
 * completions and preference pairs.
 */

/** True when `v` is a list of messages (TRL's `is_conversational` test on one value). */
export function isConversational(v: unknown): boolean {
  return Array.isArray(v) && v.length > 0 && isObj(v[0]) && "role" in v[0];
}

// ---------------------------------------------------------------------------------------
// Chat messages (TRL / OpenAI style {role, content})
// ---------------------------------------------------------------------------------------

export interface MessageRules {
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
export function checkMessages(msgs: unknown, where: string, rules: MessageRules): string[] {
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

export function checkTools(tools: unknown, where: string, opts: { allowString: boolean }): string[] {
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

/** TRL's "supported" key columns; other key sets raise KeyError in apply_chat_template. */
const TRL_KEYS = ["prompt", "chosen", "rejected", "completion", "messages", "label"];
/** The columns whose values tell a standard TRL row from a conversational one. */
export const TRL_FORMAT_KEYS = ["prompt", "chosen", "rejected", "completion", "messages"];

/** TRL's file rule: every row standard (plain text) or every row conversational (messages). */
export function oneTrlFormatPerFile(): FileRules {
  let seen: "standard" | "conversational" | null = null;
  return {
    add(row) {
      const key = TRL_FORMAT_KEYS.find((k) => k in row);
      if (!key) return [];
      const f = isConversational(row[key]) ? "conversational" : "standard";
      seen ??= f;
      return seen === f ? [] : [`this row is ${f} but earlier rows are ${seen}: use one TRL format per file`];
    },
  };
}

/** KTO's file warning: every label the same (the label of a row is `labelOf(row)`, or undefined). */
export function bothKtoLabels(labelOf: (row: Json) => boolean | undefined): FileRules {
  const labels = new Set<boolean>();
  return {
    add(row) {
      const l = labelOf(row);
      if (l !== undefined) labels.add(l);
      return [];
    },
    finish: (rows) =>
      rows > 1 && labels.size === 1
        ? [`every label is ${[...labels][0]}: KTO wants both desirable and undesirable examples`]
        : [],
  };
}

/** File rules that all apply. */
export function allRules(...rules: FileRules[]): FileRules {
  return {
    add: (row) => rules.flatMap((r) => r.add(row)),
    finish: (rows) => rules.flatMap((r) => r.finish?.(rows) ?? []),
  };
}
export function trlKeySet(row: Json, ...accepted: string[][]): string[] {
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
export const trlConversation: MessageRules = {
  roles: TRL_ROLES,
  leading: TRL_LEADING,
  end: "assistant",
  tools: "trl",
};
export const trlPrompt: MessageRules = {
  roles: TRL_ROLES,
  leading: TRL_LEADING,
  end: "prompt",
  tools: "trl",
};
const trlAssistantOnly: MessageRules = {
  roles: ["assistant"],
  leading: [],
  first: "assistant",
  end: "assistant",
  tools: "trl",
};

/** Checks an assistant-only completion list (conversational chosen/rejected/completion). */
export function checkCompletion(v: unknown, where: string): string[] {
  const errs = checkMessages(v, where, trlAssistantOnly);
  if (!errs.length && Array.isArray(v) && v.length !== 1)
    errs.push(`${where} must hold exactly one assistant message`);
  return errs;
}

/**
 * Checks preference columns (DPO, ORPO, reward): explicit or implicit prompt, one format
 * in the row, chosen ≠ rejected.
 */
export function checkPreference(row: Json, opts: { implicitOk: boolean; preferExplicit: boolean }): RowCheck {
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

export function checkPromptCompletion(row: Json): string[] {
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

export function checkPrompt(prompt: unknown): string[] {
  if (isConversational(prompt)) return checkMessages(prompt, "prompt", trlPrompt);
  return nonEmpty(prompt)
    ? []
    : ["prompt must be a non-empty string or a list of messages ending with a user turn"];
}
