import type { Json, ParsedRecord, Turn } from "./define.js";

/**
 * Helpers of the format readers (each format's `read.parse`): turning the many spellings
 * of a conversation (`{role, content}`, ShareGPT `{from, value}`, Vertex `{role, parts}`)
 * into {@link Turn}s.
 */

/** The text of a value: a string, text parts joined, or a message's content/value/text. */
export function textIn(v: unknown): string | null {
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
    if (typeof o.content === "string" || Array.isArray(o.content)) return textIn(o.content);
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

/** The turns of a conversation (a string is one user turn); null when it is not one. */
export function turnsOf(v: unknown): Turn[] | null {
  if (typeof v === "string") return [{ role: "user", content: v }];
  if (!Array.isArray(v)) return null;
  const out: Turn[] = [];
  for (const m of v) {
    if (!m || typeof m !== "object") return null;
    const o = m as Json;
    const role = roleOf(o.role ?? o.from);
    const content = textIn(o.content ?? o.value ?? o.parts);
    if (!role || content === null) return null;
    out.push({ role, content });
  }
  return out;
}

/** The last assistant answer of a value (a string, one message, or a conversation). */
export function lastAssistant(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && !Array.isArray(v)) return textIn(v);
  const t = turnsOf(v);
  return t ? ([...t].reverse().find((x) => x.role === "assistant")?.content ?? null) : null;
}

/** Turns with the system turns taken out (joined into `system`). */
export function splitSystem(turns: Turn[]): Pick<ParsedRecord, "system" | "turns"> {
  const sys = turns.filter((t) => t.role === "system").map((t) => t.content);
  return { system: sys.length ? sys.join("\n") : null, turns: turns.filter((t) => t.role !== "system") };
}

/** A finite number, or undefined. */
export const finite = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** A preference pair: the last assistant answer of `chosen` and of `rejected`, both present. */
export function preferencePair(rec: Json): { chosen: string; rejected: string } | null {
  if (rec.chosen === undefined || rec.rejected === undefined) return null;
  const chosen = lastAssistant(rec.chosen);
  const rejected = lastAssistant(rec.rejected);
  return chosen && rejected ? { chosen, rejected } : null;
}

/** A prompt and its completion (a string completion is one assistant turn), as turns. */
export function promptCompletion(rec: Json): Turn[] | null {
  if (rec.prompt === undefined || rec.completion === undefined) return null;
  const p = turnsOf(rec.prompt);
  const c =
    typeof rec.completion === "string"
      ? [{ role: "assistant" as const, content: rec.completion }]
      : turnsOf(rec.completion);
  return p && c ? [...p, ...c] : null;
}
