import { SynthforgeError } from "./errors.js";
import { TRAINING_TYPES, type TrainingTypeName } from "./types.js";

/** Largest count accepted without `force` (a typo guard, not a hard limit). */
export const MAX_COUNT_WITHOUT_FORCE = 1_000_000;

/** What could be read from a free-text request. Missing fields are `undefined`. */
export interface ParsedRequest {
  count?: number;
  trainingType?: TrainingTypeName;
  topic?: string;
}

const WORD_NUMBERS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  fifteen: 15,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  hundred: 100,
  thousand: 1000,
  million: 1_000_000,
};

/** Phrases that name a training type, most specific first. */
const TYPE_ALIASES: Array<[RegExp, TrainingTypeName]> = [
  [/\b(?:reward[- ]model(?:ling|ing)?|rlhf|ranked responses?|comparisons?)\b/i, "rlhf"],
  [/\bgrpo\b/i, "grpo"],
  [/\bppo\b/i, "ppo"],
  [/\borpo\b/i, "orpo"],
  [/\bkto\b/i, "kto"],
  [/\b(?:dpo|preference pairs?|chosen\/rejected)\b/i, "dpo"],
  [/\b(?:sft|supervised fine[- ]tuning|instruction(?:s| tuning)?)\b/i, "sft"],
  [/\b(?:chat|multi[- ]turn|conversations?|dialogues?)\b/i, "chat"],
  [/\b(?:qa|q&a|question[- ]answer(?:ing)?)\b/i, "qa"],
];

/** Reads a training type name (case-insensitive); throws a typed error for unknown names. */
export function parseTrainingType(value: string): TrainingTypeName {
  const v = value.trim().toLowerCase();
  if ((TRAINING_TYPES as readonly string[]).includes(v)) return v as TrainingTypeName;
  throw new SynthforgeError(
    "UNKNOWN_TRAINING_TYPE",
    `Unknown training type "${value}". Use one of: ${TRAINING_TYPES.join(", ")}.`,
  );
}

/**
 * Validates a requested count: a positive integer, at most {@link MAX_COUNT_WITHOUT_FORCE}
 * unless `force` is set. Accepts numbers and numeric strings ("1,000", "2k").
 */
export function parseCount(value: number | string, opts: { force?: boolean } = {}): number {
  let n: number;
  if (typeof value === "number") n = value;
  else {
    const s = value.trim().toLowerCase().replace(/[,_]/g, "");
    const m = /^(-?\d+(?:\.\d+)?)(k|m)?$/.exec(s);
    if (!m) {
      throw new SynthforgeError(
        "INVALID_COUNT",
        `Count "${value}" is not a number. Give a positive whole number such as 100.`,
      );
    }
    n = Number(m[1]) * (m[2] === "k" ? 1000 : m[2] === "m" ? 1_000_000 : 1);
  }
  if (!Number.isFinite(n) || !Number.isInteger(n)) {
    throw new SynthforgeError(
      "INVALID_COUNT",
      `Count ${value} is not a whole number. Give a positive whole number such as 100.`,
    );
  }
  if (n <= 0) {
    throw new SynthforgeError("INVALID_COUNT", `Count ${n} must be at least 1.`);
  }
  if (n > MAX_COUNT_WITHOUT_FORCE && !opts.force) {
    throw new SynthforgeError(
      "INVALID_COUNT",
      `Count ${n} is over ${MAX_COUNT_WITHOUT_FORCE.toLocaleString("en-US")}; pass --force (or force: true) if you really mean it.`,
    );
  }
  return n;
}

function readCount(text: string): string | undefined {
  const digits = /(?:^|[^\w.])(-?\d[\d,_]*(?:\.\d+)?\s*[km]?)(?=\s|$|[^\w])/i.exec(text);
  if (digits?.[1]) return digits[1].replace(/\s+/g, "");
  const words = text
    .toLowerCase()
    .match(
      /\b(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty)\s+(?:hundred|thousand|million)\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty)\b/,
    );
  if (!words) return undefined;
  const parts = words[0].split(/\s+/);
  let n = 1;
  for (const p of parts) n *= p === "a" || p === "an" ? 1 : (WORD_NUMBERS[p] ?? 1);
  return String(n);
}

/**
 * Reads count, training type and topic from a request such as
 * "Generate 100 GRPO examples for chemistry reasoning problems". Deterministic: used by
 * the orchestrator before (and instead of) asking a model, and by the offline provider.
 *
 * @throws SynthforgeError `INVALID_COUNT` for 0, negative or absurd counts;
 *   `UNKNOWN_TRAINING_TYPE` when the request names a type that does not exist
 *   ("Generate 10 XYZ examples").
 */
export function parseRequest(text: string, opts: { force?: boolean } = {}): ParsedRequest {
  const out: ParsedRequest = {};
  const clean = text.replace(/\s+/g, " ").trim();
  if (!clean) return out;

  const rawCount = readCount(clean);
  if (rawCount !== undefined) out.count = parseCount(rawCount, opts);

  for (const [re, type] of TYPE_ALIASES) {
    if (re.test(clean)) {
      out.trainingType = type;
      break;
    }
  }
  if (!out.trainingType) {
    // "Generate 10 FOO examples": a short all-caps word right before examples/samples/pairs.
    const named = /\b([A-Z][A-Z0-9-]{1,9})\s+(?:examples?|samples?|pairs?|data(?:set)?|rows?)\b/.exec(clean);
    if (named?.[1]) parseTrainingType(named[1]);
  }

  const topic =
    /\b(?:about|on|for|covering|regarding|concerning|in the (?:field|domain|area) of|in)\s+(.+)$/i.exec(
      clean,
    );
  if (topic?.[1]) {
    const t = topic[1]
      .replace(/\s*[.!?]+$/, "")
      .replace(/^(?:the topic of|the subject of)\s+/i, "")
      .trim();
    if (t && !/^\d+$/.test(t)) out.topic = t;
  }
  return out;
}
