import { TRAINING_TYPES, type TrainingTypeName } from "../core/types.js";
import { exampleColumns } from "../storage/schema.js";

/**
 * Reads rows of existing datasets back into a training type's stored columns, from any of
 * the export formats synthforge writes (TRL conversational and standard, OpenAI chat, DPO
 * and RFT, Vertex, alpaca, ShareGPT, and the stored columns themselves). Columns a format
 * does not carry are filled with placeholders and named in `filled`, so a review does not
 * hold their absence against the row.
 */

/** A message of a conversation. */
export interface Turn {
  role: "system" | "user" | "assistant";
  content: string;
}

/** The common shape every format is read into first. */
export interface ParsedRecord {
  /** Which format the record was read as. */
  format: string;
  system: string | null;
  turns: Turn[];
  chosen?: string;
  rejected?: string;
  label?: boolean;
  solution?: string;
  reward?: number;
  rewardRationale?: string;
  margin?: number;
}

/** A record read into a type's row. */
export interface ImportedRow {
  row: Record<string, unknown>;
  format: string;
  /** Columns filled with placeholders. */
  filled: string[];
}

type Json = Record<string, unknown>;

function textOf(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) {
    const parts = v
      .map((p) =>
        typeof p === "string"
          ? p
          : p && typeof p === "object" && typeof (p as Json).text === "string"
            ? ((p as Json).text as string)
            : "",
      )
      .filter(Boolean);
    return parts.length ? parts.join("") : null;
  }
  if (v && typeof v === "object") {
    const o = v as Json;
    if (typeof o.content === "string" || Array.isArray(o.content)) return textOf(o.content);
    if (typeof o.value === "string") return o.value;
    if (typeof o.text === "string") return o.text;
  }
  return null;
}

function roleOf(r: unknown): Turn["role"] | null {
  const s = String(r ?? "").toLowerCase();
  if (s === "system" || s === "developer") return "system";
  if (s === "user" || s === "human") return "user";
  if (s === "assistant" || s === "gpt" || s === "model" || s === "bot") return "assistant";
  return null;
}

function turnsOf(v: unknown): Turn[] | null {
  if (typeof v === "string") return [{ role: "user", content: v }];
  if (!Array.isArray(v)) return null;
  const out: Turn[] = [];
  for (const m of v) {
    if (!m || typeof m !== "object") return null;
    const o = m as Json;
    const role = roleOf(o.role ?? o.from);
    const content = textOf(o.content ?? o.value ?? o.parts);
    if (!role || content === null) return null;
    out.push({ role, content });
  }
  return out;
}

function lastAssistant(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && !Array.isArray(v)) return textOf(v);
  const t = turnsOf(v);
  return t ? ([...t].reverse().find((x) => x.role === "assistant")?.content ?? null) : null;
}

function split(turns: Turn[]): { system: string | null; turns: Turn[] } {
  const sys = turns.filter((t) => t.role === "system").map((t) => t.content);
  return { system: sys.length ? sys.join("\n") : null, turns: turns.filter((t) => t.role !== "system") };
}

/** Reads any supported format into {@link ParsedRecord}; null when the shape is not recognised. */
export function parseRecord(rec: Json): ParsedRecord | null {
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  // OpenAI DPO
  if (rec.input && typeof rec.input === "object" && "preferred_output" in rec) {
    const t = turnsOf((rec.input as Json).messages);
    const chosen = lastAssistant(rec.preferred_output);
    const rejected = lastAssistant(rec.non_preferred_output);
    if (t && chosen && rejected) return { format: "openai-dpo", ...split(t), chosen, rejected };
  }
  // ShareGPT
  if (Array.isArray(rec.conversations)) {
    const t = turnsOf(rec.conversations);
    if (t) {
      const s = split(t);
      const system = typeof rec.system === "string" ? rec.system : s.system;
      const out: ParsedRecord = { format: "sharegpt", system, turns: s.turns };
      if (rec.chosen !== undefined && rec.rejected !== undefined) {
        const c = lastAssistant(rec.chosen) ?? textOf(rec.chosen);
        const r = lastAssistant(rec.rejected) ?? textOf(rec.rejected);
        if (c && r) Object.assign(out, { chosen: c, rejected: r });
      }
      if (typeof rec.kto_tag === "boolean") out.label = rec.kto_tag;
      return out;
    }
  }
  // Vertex AI
  if (Array.isArray(rec.contents)) {
    const t = turnsOf(rec.contents);
    if (t)
      return {
        format: "vertex-sft",
        system: textOf((rec.systemInstruction as Json | undefined)?.parts) ?? null,
        turns: t,
      };
  }
  // Alpaca
  if (typeof rec.instruction === "string" && typeof rec.output === "string") {
    const prompt =
      typeof rec.input === "string" && rec.input.trim()
        ? `${rec.instruction}\n\n${rec.input}`
        : rec.instruction;
    return {
      format: "alpaca",
      system: typeof rec.system === "string" ? rec.system : null,
      turns: [
        { role: "user", content: prompt },
        { role: "assistant", content: rec.output },
      ],
    };
  }
  // Preference pairs: TRL DPO/ORPO (explicit prompt) and TRL reward (implicit prompt)
  if (rec.chosen !== undefined && rec.rejected !== undefined) {
    const chosen = lastAssistant(rec.chosen);
    const rejected = lastAssistant(rec.rejected);
    if (chosen && rejected) {
      if (rec.prompt !== undefined) {
        const t = turnsOf(rec.prompt);
        if (t)
          return {
            format: typeof rec.prompt === "string" ? "trl-orpo" : "trl-dpo",
            ...split(t),
            chosen,
            rejected,
          };
      }
      const t = turnsOf(rec.chosen);
      if (t) {
        const s = split(t.slice(0, -1));
        const margin = num(rec.margin);
        return { format: "trl-reward", ...s, chosen, rejected, ...(margin !== undefined ? { margin } : {}) };
      }
    }
  }
  // Messages: TRL conversational, OpenAI chat, OpenAI RFT
  if (Array.isArray(rec.messages)) {
    const t = turnsOf(rec.messages);
    if (t) {
      const s = split(t);
      if (typeof rec.reference_answer === "string")
        return { format: "openai-rft", ...s, solution: rec.reference_answer };
      return { format: "trl-sft-messages", ...s };
    }
  }
  // Prompt-completion (TRL SFT, KTO)
  if (rec.prompt !== undefined && rec.completion !== undefined) {
    const p = turnsOf(rec.prompt);
    const c =
      typeof rec.completion === "string"
        ? [{ role: "assistant" as const, content: rec.completion }]
        : turnsOf(rec.completion);
    if (p && c) {
      const out: ParsedRecord = {
        format: typeof rec.label === "boolean" ? "trl-kto" : "trl-sft-prompt-completion",
        ...split([...p, ...c]),
      };
      if (typeof rec.label === "boolean") out.label = rec.label;
      return out;
    }
  }
  // GRPO (prompt + solution) and PPO (prompt only, with the reference response beside it)
  if (rec.prompt !== undefined) {
    const t = turnsOf(rec.prompt);
    if (t) {
      const s = split(t);
      if (typeof rec.solution === "string") return { format: "trl-grpo", ...s, solution: rec.solution };
      const out: ParsedRecord = { format: "trl-prompt-only", ...s };
      if (typeof rec.response === "string")
        out.turns = [...s.turns, { role: "assistant", content: rec.response }];
      const reward = num(rec.reward);
      if (reward !== undefined) out.reward = reward;
      if (typeof rec.reward_rationale === "string") out.rewardRationale = rec.reward_rationale;
      return out;
    }
  }
  return null;
}

const firstUser = (p: ParsedRecord) => p.turns.find((t) => t.role === "user")?.content;
const lastAssistantTurn = (p: ParsedRecord) =>
  [...p.turns].reverse().find((t) => t.role === "assistant")?.content;

/** Maps a parsed record to a type's columns (only those the record carries). */
function toColumns(type: TrainingTypeName, p: ParsedRecord): Json | null {
  const prompt = firstUser(p);
  const answer = lastAssistantTurn(p);
  switch (type) {
    case "sft":
      return prompt && answer ? { system: p.system, prompt, response: answer } : null;
    case "chat":
      return p.turns.length >= 2 ? { system: p.system, messages: p.turns } : null;
    case "qa": {
      if (prompt && !answer && p.solution) return { question: prompt, answer: p.solution };
      if (!prompt || !answer) return null;
      const m = /^\s*<think>\s*([\s\S]*?)\s*<\/think>\s*([\s\S]*)$/.exec(answer);
      return m ? { question: prompt, reasoning: m[1], answer: m[2]!.trim() } : { question: prompt, answer };
    }
    case "dpo":
    case "orpo":
      return prompt && p.chosen && p.rejected ? { prompt, chosen: p.chosen, rejected: p.rejected } : null;
    case "rlhf":
      return prompt && p.chosen && p.rejected
        ? {
            prompt,
            chosen: p.chosen,
            rejected: p.rejected,
            ...(p.margin !== undefined ? { margin: p.margin } : {}),
          }
        : null;
    case "kto":
      return prompt && answer && p.label !== undefined
        ? { prompt, completion: answer, label: p.label }
        : null;
    case "ppo":
      return prompt
        ? {
            prompt,
            ...(answer ? { response: answer } : {}),
            ...(p.reward !== undefined ? { reward: p.reward } : {}),
            ...(p.rewardRationale ? { reward_rationale: p.rewardRationale } : {}),
          }
        : null;
    case "grpo":
      return prompt
        ? {
            prompt,
            ...(p.solution ? { solution: p.solution } : {}),
            ...(answer ? { reasoning: answer } : {}),
          }
        : null;
    default:
      return null;
  }
}

const PLACEHOLDER = { text: "", real: 0, boolean: false, json: [], integer: 0 } as const;

/**
 * Reads one record of a dataset file as a row of `type`: the stored columns as they are,
 * or any export format the record is in. Returns null when the record fits neither.
 */
export function importRow(type: TrainingTypeName, rec: Record<string, unknown>): ImportedRow | null {
  const columns = exampleColumns(type);
  if (!columns) return null;
  const required = columns.filter((c) => !c.nullable).map((c) => c.name);
  let row: Json | null = null;
  let format = "columns";
  const kindOk = (v: unknown, kind: string) =>
    kind === "text"
      ? typeof v === "string"
      : kind === "boolean"
        ? typeof v === "boolean"
        : kind === "json"
          ? typeof v === "object" && v !== null
          : typeof v === "number";
  if (
    columns.every((c) =>
      rec[c.name] === undefined || rec[c.name] === null
        ? c.nullable || !required.includes(c.name)
        : kindOk(rec[c.name], c.kind),
    )
  ) {
    row = Object.fromEntries(columns.map((c) => [c.name, rec[c.name] ?? null]));
  } else {
    const parsed = parseRecord(rec);
    if (!parsed) return null;
    row = toColumns(type, parsed);
    format = parsed.format;
  }
  if (!row) return null;
  const filled: string[] = [];
  for (const c of columns) {
    if (row[c.name] !== undefined) continue;
    row[c.name] = c.nullable ? null : structuredClone(PLACEHOLDER[c.kind]);
    filled.push(c.name);
  }
  return { row, format, filled };
}

/** A record that is not a row of the type asked for, read as the types it would be a row of. */
export interface RowLookalike {
  /** The record's own fields (its keys, in order). */
  fields: string[];
  /** Every training type the record reads as, with the format it is read in (`columns` for the stored columns). */
  fits: Array<{ type: TrainingTypeName; format: string }>;
}

/**
 * Which training types (other than `except`) a record reads as, and in which format: to tell
 * a user who reviews DPO rows with `--type sft` what the rows look like. Null when it reads
 * as none.
 */
export function lookalikeOf(rec: Record<string, unknown>, except?: TrainingTypeName): RowLookalike | null {
  const fits: RowLookalike["fits"] = [];
  for (const type of TRAINING_TYPES) {
    if (type === except) continue;
    const imported = importRow(type, rec);
    if (imported) fits.push({ type, format: imported.format });
  }
  return fits.length ? { fields: Object.keys(rec), fits } : null;
}
