import ISO6391 from "iso-639-1";
import { SynthforgeError } from "./errors.js";
import {
  isTrainingTypeName,
  type RequestConstraints,
  TRAINING_TYPES,
  type TrainingTypeName,
  trainingTypeNames,
} from "./types.js";

/** Largest count accepted without `force` (a typo guard, not a hard limit). */
export const MAX_COUNT_WITHOUT_FORCE = 1_000_000;

/** What could be read from a free-text request. Missing fields are `undefined`. */
export interface ParsedRequest {
  count?: number;
  trainingType?: TrainingTypeName;
  topic?: string;
  /** Audience, language, style and must-include terms; absent when the request states none. */
  constraints?: RequestConstraints;
}

/**
 * A request as the parser read it, with how clear each value is: a count written in
 * digits ("50", "2,500", "1.5k") and a training type called by its own name ("DPO") are
 * explicit, and win over a model that reads them otherwise; a count in words or a type
 * named by an alias ("preference pairs") is not.
 */
export interface RequestReading extends ParsedRequest {
  evidence: {
    /** The words the count was read from, and whether they were digits. */
    count?: { text: string; digits: boolean };
    /** The words that named the type, and whether one of them was the type's own name. */
    trainingType?: { text: string[]; named: boolean };
  };
}

/** Reads a training type name (case-insensitive); throws a typed error for unknown names. */
export function parseTrainingType(value: string, names?: readonly string[]): TrainingTypeName {
  const v = value.trim().toLowerCase();
  if (names ? names.includes(v) : isTrainingTypeName(v)) return v;
  throw new SynthforgeError(
    "UNKNOWN_TRAINING_TYPE",
    `Unknown training type "${value}". Use one of: ${(names ?? trainingTypeNames()).join(", ")}.`,
  );
}

/** Options of {@link readRequest} and {@link parseRequest}. */
export interface ReadRequestOptions {
  /** Allow counts over 1,000,000. */
  force?: boolean;
  /**
   * The training types the request may name (default: the built-in and process-registered
   * ones). A pipeline with its own registry passes its types.
   */
  trainingTypes?: readonly string[];
}

/**
 * Validates a requested count: a positive integer, at most {@link MAX_COUNT_WITHOUT_FORCE}
 * unless `force` is set. Accepts numbers, numeric strings ("1,000", "2k", "1.5k") and
 * numbers in words ("fifty", "two hundred", "a thousand").
 */
export function parseCount(value: number | string, opts: { force?: boolean } = {}): number {
  let n: number;
  if (typeof value === "number") n = value;
  else {
    const s = value.trim().toLowerCase().replace(/[,_]/g, "");
    const m = /^(-?\d+(?:\.\d+)?)\s*(k|m|thousand|million|hundred)?$/.exec(s);
    const words = m ? null : wordsToNumber(s);
    if (!m && words === null) {
      throw new SynthforgeError(
        "INVALID_COUNT",
        `Count "${value}" is not a number. Give a positive whole number such as 100.`,
      );
    }
    n = m ? Math.round(Number(m[1]) * (MULTIPLIERS[m[2] ?? ""] ?? 1) * 1e6) / 1e6 : (words as number);
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

const MULTIPLIERS: Record<string, number> = {
  "": 1,
  k: 1000,
  m: 1_000_000,
  hundred: 100,
  thousand: 1000,
  million: 1_000_000,
};

// ---------------------------------------------------------------------------
// Numbers in words

const UNITS: Record<string, number> = {
  zero: 0,
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
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fourty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
const SCALES: Record<string, number> = { hundred: 100, thousand: 1000, million: 1_000_000 };

/** "twenty-five" → 25, "two hundred and fifty" → 250, "a thousand" → 1000, "a dozen" → 12; null when not a number. */
export function wordsToNumber(text: string): number | null {
  const words = text
    .toLowerCase()
    .split(/[\s-]+/)
    .filter(Boolean);
  if (words.length === 0) return null;
  let total = 0;
  let current = 0;
  let seen = false;
  let pendingA = false;
  for (const w of words) {
    if (w === "a" || w === "an") {
      if (seen || pendingA) return null;
      pendingA = true;
      continue;
    }
    if (w === "and") {
      if (!seen) return null;
      continue;
    }
    if (w in UNITS) {
      current += UNITS[w]!;
    } else if (w === "hundred") {
      current = (current || 1) * 100;
    } else if (w === "dozen") {
      current = (current || 1) * 12;
    } else if (w in SCALES) {
      total += (current || 1) * SCALES[w]!;
      current = 0;
    } else return null;
    seen = true;
  }
  if (!seen) return null;
  if (pendingA && words.length === 1) return null;
  return total + current;
}

// ---------------------------------------------------------------------------
// Training types

interface TypeAlias {
  re: RegExp;
  /** Types the phrase fits (preference pairs are DPO or ORPO data); the first is the default. */
  types: TrainingTypeName[];
  /** The type's own name (explicit), or an alias. */
  named: boolean;
  /** Counts only next to a count or a count noun ("50 conversations"), not elsewhere in the sentence. */
  slotOnly?: boolean;
}

const TYPE_ALIASES: TypeAlias[] = [
  { re: /\b(?:sft)\b/gi, types: ["sft"], named: true },
  { re: /\b(?:dpo)\b/gi, types: ["dpo"], named: true },
  { re: /\b(?:orpo)\b/gi, types: ["orpo"], named: true },
  { re: /\b(?:kto)\b/gi, types: ["kto"], named: true },
  { re: /\b(?:ppo)\b/gi, types: ["ppo"], named: true },
  { re: /\b(?:grpo)\b/gi, types: ["grpo"], named: true },
  { re: /\b(?:rlhf)\b/gi, types: ["rlhf"], named: true },
  { re: /\b(?:qa|q\s?&\s?a|q and a)(?![\w&])/gi, types: ["qa"], named: true },
  { re: /\bchat(?=\s|$|[,.;:!?)-])(?!-?bots?)/gi, types: ["chat"], named: true },
  {
    re: /\b(?:supervised fine[- ]?tuning|instruction[- ]tun(?:ing|ed)|instruction[- ]following|instruction[- ](?:response|answer|output) pairs?|fine[- ]?tuning pairs?)\b/gi,
    types: ["sft"],
    named: false,
  },
  {
    re: /\b(?:direct preference optimi[sz]ation|preference (?:pairs?|data(?:sets?)?|examples?|comparisons?)|chosen[/ ](?:and[/ ])?rejected(?: pairs?)?|pairwise preferences?)\b/gi,
    types: ["dpo", "orpo"],
    named: false,
  },
  { re: /\bodds[- ]ratio preference(?: optimi[sz]ation)?\b/gi, types: ["orpo"], named: false },
  {
    re: /\b(?:kahneman[- ]tversky(?: optimi[sz]ation)?|binary (?:feedback|labels?|desirability)|thumbs[- ]up(?:\s*\/\s*|\s+(?:and|or)\s+)(?:thumbs[- ])?down|desirable(?:\s*\/\s*|\s+(?:and|or)\s+)undesirable)\b/gi,
    types: ["kto"],
    named: false,
  },
  {
    re: /\b(?:proximal policy optimi[sz]ation|reward[- ]scored prompts?|prompts? with (?:scalar )?rewards?)\b/gi,
    types: ["ppo"],
    named: false,
  },
  {
    re: /\b(?:group relative policy optimi[sz]ation|rlvr|verifiable[- ]reward (?:problems?|data))\b/gi,
    types: ["grpo"],
    named: false,
  },
  {
    re: /\b(?:reinforcement learning from human feedback|reward[- ]model(?:l?ing)?(?: data| training)?|ranked (?:responses|answers|completions)|response rankings?|rankings)\b/gi,
    types: ["rlhf", "ppo"],
    named: false,
  },
  {
    re: /\b(?:multi[- ]?turn(?: chats?| conversations?| dialogues?| dialogs?)?|chat (?:transcripts?|logs?|sessions?))\b/gi,
    types: ["chat"],
    named: false,
  },
  {
    re: /\b(?:question[- ]answer(?:ing)?(?: pairs?)?|questions? and answers?|question[/ ]answer pairs?)\b/gi,
    types: ["qa"],
    named: false,
  },
  { re: /\binstructions?\b/gi, types: ["sft"], named: false, slotOnly: true },
  { re: /\bcomparisons?\b/gi, types: ["rlhf"], named: false, slotOnly: true },
  { re: /\b(?:conversations?|dialogues?|dialogs?)\b/gi, types: ["chat"], named: false, slotOnly: true },
];

/** Nouns that count examples: never part of a topic. */
const COUNT_NOUNS =
  /\b(?:examples?|samples?|pairs?|rows?|records?|items?|entries|entry|instances?|data ?points?)\b/gi;
/** Nouns that count examples only right after a count or a type ("50 questions", "GRPO problems"). */
const SLOT_NOUNS =
  /^(?:questions?|prompts?|problems?|exercises?|tasks?|conversations?|dialogues?|dialogs?|completions?)\b/i;

// ---------------------------------------------------------------------------
// Constraints

const AUDIENCE_NOUNS =
  "students?|learners?|pupils?|beginners?|novices?|newcomers?|undergraduates?|undergrads?|graduates?|postgraduates?|children|kids|teens|teenagers|adults|experts?|professionals?|practitioners?|developers?|engineers?|programmers?|clinicians?|nurses?|doctors?|physicians?|researchers?|scientists?|readers?|teachers?|educators?|lawyers?|analysts?|freshmen|audiences?|laypeople|laymen|non-experts?|specialists?|people|users";
const AUDIENCE_RES: RegExp[] = [
  new RegExp(
    `\\b(?:for|aimed at|targeted at|targeting|suitable for|geared (?:to|towards?)|written for|pitched at|intended for|for use by)\\s+((?:(?:the|an?|our|my)\\s+)?(?:(?!(?:for|about|on|with|in|of|and|to|as|examples?|data|sft|dpo|orpo|kto|ppo|grpo|rlhf|qa|chat)\\b)[\\w'-]+\\s+){0,3}(?:${AUDIENCE_NOUNS}))\\b`,
    "gi",
  ),
  /\b(?:at|for)\s+(?:an?\s+|the\s+)?((?:A-level|AS-level|GCSE|IB|AP|high[- ]school|secondary[- ]school|middle[- ]school|primary[- ]school|undergraduate|graduate|postgraduate|university|college|introductory|beginner|intermediate|advanced|expert|PhD|K-12)(?:\s+level)?)(?=\s|$|[,.;:!?\uE000])/gi,
  /\b((?:A-level|AS-level|GCSE|high[- ]school|secondary[- ]school|middle[- ]school|primary[- ]school|K-12|undergraduate[- ]level|graduate[- ]level|university[- ]level|college[- ]level|beginner[- ]level|intermediate[- ]level|advanced[- ]level|expert[- ]level|PhD[- ]level))\b/gi,
  /\b(?:ELI5|explain(?:ed)? like I'?m (?:five|5))\b/gi,
];

const STYLE_RES: RegExp[] = [
  /\bwith\s+((?:(?:detailed|clear|full|brief|short|concise|explicit|worked|thorough|careful|rigorous)\s+)?(?:step[- ]by[- ]step\s+)?(?:reasoning|solutions?|explanations?|working|workings|derivations?|justifications?|chain[- ]of[- ]thought|citations|references|code (?:examples|snippets)|worked examples|rationales?|hints|proofs?|calculations))\b/gi,
  /\b(step[- ]by[- ]step(?:\s+(?:reasoning|solutions?|explanations?|answers?|working))?)\b/gi,
  /\b(chain[- ]of[- ]thought(?:\s+reasoning)?)\b/gi,
  /\b(?:in|using|with)\s+an?\s+((?:[\w-]+\s+){0,2}(?:tone|style|voice|register|manner))\b/gi,
  /\b(?:in the style of|styled as|formatted as|written as)\s+([^,.;!?\uE000]+?)(?=\s*(?:$|[,.;!?\uE000]))/gi,
  /\b((?:concise|brief|short|detailed|long[- ]form|formal|informal|casual|friendly|socratic|terse|plain[- ]language|jargon[- ]free)\s+(?:answers|responses|explanations|replies|language|style))\b/gi,
  /\b(show(?:ing)?\s+(?:the\s+|your\s+|all\s+)?work(?:ing)?)\b/gi,
];

const MUST_INCLUDE_RES: RegExp[] = [
  /\b(?:that|which|who)\s+(?:must\s+|should\s+|always\s+|each\s+|all\s+)*(?:mentions?|includes?|references?|contains?|cites?|discuss(?:es)?|names?|uses?)\s+(.+?)(?=\s*(?:$|[.;!?\uE000]))/gi,
  /\b(?:mentioning|must (?:mention|include|cover|reference)|should (?:mention|include|reference)|making sure to (?:mention|include)|be sure to (?:mention|include))\s+(.+?)(?=\s*(?:$|[.;!?\uE000]))/gi,
];

/** Language names (ISO 639-1) as a pattern, longest first; names of four letters or less only when capitalised. */
const LANGUAGE_NAMES: string[] = ISO6391.getAllNames()
  .flatMap((n) => n.split(/\s*[,;]\s*/))
  .filter((n) => n && !/[^\p{L} '-]/u.test(n))
  .sort((a, b) => b.length - a.length);
const LANGUAGE_ALT = LANGUAGE_NAMES.join("|");
/** After a language name: the end of the clause or a function word, never a noun ("Spanish history"). */
const AFTER_LANGUAGE = String.raw`(?=\s*(?:$|[,.;:!?)\uE000]|(?:for|with|about|on|and|that|only|please|to|so|as|from|using|covering|regarding|aimed|targeted|written)\b))`;
const LANGUAGE_RES: RegExp[] = [
  new RegExp(
    `\\b(?:in|into|written in|translated (?:in)?to|using|language:?)\\s+(?:the\\s+)?(${LANGUAGE_ALT})(?:\\s+language)?${AFTER_LANGUAGE}`,
    "giu",
  ),
  new RegExp(`\\b(${LANGUAGE_ALT})[- ]language\\b`, "giu"),
  /\b(?:language|lang)\s*[:=]\s*([a-z]{2})\b/gi,
];

/** ISO 639-1 code of a language name or code; null when it is none. */
export function languageCode(name: string): string | null {
  const n = name.trim();
  if (/^[a-z]{2}$/i.test(n)) return ISO6391.validate(n.toLowerCase()) ? n.toLowerCase() : null;
  const code = ISO6391.getCode(n);
  return code || null;
}

// ---------------------------------------------------------------------------
// Reading

interface Span {
  start: number;
  end: number;
}

const MASK = "\uE000";

function mask(text: string, s: Span): string {
  return text.slice(0, s.start) + MASK.repeat(s.end - s.start) + text.slice(s.end);
}

const WORD_NUMBER_SEQ = new RegExp(
  `\\b(?:(?:a|an)\\s+)?(?:${[...Object.keys(UNITS), "hundred", "thousand", "million", "dozen"].join("|")})(?:(?:[\\s-]+|\\s+and\\s+)(?:${[...Object.keys(UNITS), "hundred", "thousand", "million", "dozen"].join("|")}))*\\b`,
  "gi",
);
const DIGIT_NUMBER =
  /(?<![\w.,\uE000-])(-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(?:\s*(k|m|thousand|million|hundred)\b|(?=[^\w]|$))/gi;
const GENERATE_VERBS =
  /\b(?:generate|create|make|produce|write|build|synthesi[sz]e|need|want|give me|give us|get me|i'd like|i would like|prepare|draft|compose)\s+(?:me\s+|us\s+)?(?:(?:about|around|roughly|approximately|some|exactly|at least)\s+)?$/i;
const COUNT_LABEL = /\b(?:n|count|number|total|size|amount)\s*(?:of\s*)?[=:]?\s*$/i;

interface CountCandidate extends Span {
  value: string;
  digits: boolean;
  strong: boolean;
}

/** The words between a number and what follows, up to a count noun: "1000 chemistry SFT examples" → true. */
function followedByCountNoun(after: string): boolean {
  const words = after
    .replace(/\uE000+/g, " ")
    .trim()
    .split(/\s+/)
    .slice(0, 5);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!.toLowerCase().replace(/[^\p{L}\p{N}&-]/gu, "");
    if (
      /^(?:examples?|samples?|pairs?|rows?|records?|items?|entries|entry|instances?|datapoints?|questions?|prompts?|problems?|exercises?|tasks?|conversations?|dialogues?|dialogs?|completions?|comparisons?|rankings?|instructions?|chats?|type)$/.test(
        w,
      )
    )
      return true;
    if (/^(?:about|on|for|covering|regarding|in|with|that|of|to|from|and)$/.test(w) && i > 0) return false;
    if (/[,.;:!?]/.test(words[i]!) && i < words.length - 1) return false;
  }
  return false;
}

function countCandidates(text: string): CountCandidate[] {
  const out: CountCandidate[] = [];
  for (const m of text.matchAll(DIGIT_NUMBER)) {
    const start = m.index!;
    const raw = m[0];
    out.push({ start, end: start + raw.length, value: raw, digits: true, strong: false });
  }
  for (const m of text.matchAll(WORD_NUMBER_SEQ)) {
    const start = m.index!;
    if (out.some((c) => start < c.end && start + m[0].length > c.start)) continue;
    // "a"/"an" alone, or "one" in "one of", is not a count.
    if (wordsToNumber(m[0]) === null) continue;
    out.push({ start, end: start + m[0].length, value: m[0], digits: false, strong: false });
  }
  for (const c of out) {
    const before = text.slice(0, c.start);
    const after = text.slice(c.end);
    c.strong =
      followedByCountNoun(after) ||
      GENERATE_VERBS.test(before) ||
      COUNT_LABEL.test(before) ||
      (before.trim() === "" && c.digits) ||
      // A field of its own in a list: "DPO, 20, organic chemistry".
      (c.digits && /(?:^|[,;])\s*$/.test(before) && /^\s*(?:[,;]|$)/.test(after));
  }
  return out.sort((a, b) => a.start - b.start);
}

interface TypeHit extends Span {
  alias: TypeAlias;
  text: string;
}

/** True when the span sits next to a count or a count noun (the "type slot"). */
function inTypeSlot(text: string, s: Span, countSpan: Span | null): boolean {
  const before = text.slice(0, s.start).trimEnd();
  const after = text.slice(s.end).trimStart();
  if (countSpan && before.length <= countSpan.end && before.length >= countSpan.start) return true;
  if (/\uE000$/.test(before)) return true;
  if (/^(?:examples?|samples?|pairs?|data(?:sets?)?|rows?|records?)\b/i.test(after)) return true;
  if (/\b(?:as|for)$/i.test(before) && /^(?:$|[,.;!?\uE000]|data\b|training\b)/.test(after)) return true;
  return false;
}

function typeHits(text: string, countSpan: Span | null, names: readonly string[]): TypeHit[] {
  const hits: TypeHit[] = [];
  let seen = text;
  // Phrases before names ("multi-turn chat" is one hit), words that count only in the type slot last.
  const order = [
    ...TYPE_ALIASES.filter((a) => !a.named && !a.slotOnly),
    ...TYPE_ALIASES.filter((a) => a.named),
    // Types registered at run time are called by their own name.
    ...names
      .filter((t) => !(TRAINING_TYPES as readonly string[]).includes(t))
      .map((t): TypeAlias => ({ re: new RegExp(`\\b${t}\\b`, "gi"), types: [t], named: true })),
    ...TYPE_ALIASES.filter((a) => a.slotOnly),
  ];
  for (const alias of order) {
    for (const m of seen.matchAll(alias.re)) {
      const s = { start: m.index!, end: m.index! + m[0].length };
      if (hits.some((h) => s.start < h.end && s.end > h.start)) continue;
      if (alias.slotOnly && !inTypeSlot(seen, s, countSpan)) continue;
      hits.push({ ...s, alias, text: m[0] });
    }
    for (const h of hits) seen = mask(seen, h);
  }
  return hits.sort((a, b) => a.start - b.start);
}

/** Words stripped from the ends of a topic. */
const EDGE_FILLER = new Set(
  (
    "generate create make produce write build synthesise synthesize prepare draft compose give get need want like would i i'd we me us you " +
    "please can could kindly some a an the of about on for covering regarding concerning around into in with to as and or by from at " +
    "training synthetic high-quality diverse varied " +
    "examples example samples sample pairs pair rows row records record items item entries entry instances instance " +
    "topic topics subject subjects re around that which covering is are be should must"
  ).split(/\s+/),
);
/** Phrases that introduce a topic. */
const TOPIC_MARKER =
  /(?:^|[\s\uE000,;:(])(?:about|on|covering|regarding|concerning|re|around|in the (?:field|domain|area|subject) of|on the (?:topic|subject) of|related to|focused on|focusing on|dealing with|topic:|subject:|topic is|subject is)\s*$/i;

/** A topic marker inside a segment: "… about X", "… on the topic of X" (the earliest one). */
const STRONG_MARKER_INSIDE =
  /^(.*?)(?:\b(?:about|covering|regarding|concerning|on the (?:topic|subject) of|in the (?:field|domain|area|subject) of|related to|focused on|focusing on|dealing with)\b|\b(?:topic|subject)\s*:)\s*(.+)$/i;
/** "… on X", when no stronger marker is there. */
const ON_MARKER_INSIDE = /^(.*?)\bon\b\s*(.+)$/i;

/** Strips filler words from both ends of a candidate topic ("on the topic of Rust programming" → "Rust programming"). */
function trimTopic(s: string): string {
  let words = s
    .replace(/[“”"`]+/g, "")
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  const isFiller = (w: string) =>
    EDGE_FILLER.has(w.toLowerCase().replace(/[^\p{L}'-]/gu, "")) || /^[-–—:]+$/.test(w);
  while (words.length && isFiller(words[0]!)) words = words.slice(1);
  while (words.length && isFiller(words[words.length - 1]!)) words = words.slice(0, -1);
  return words
    .join(" ")
    .replace(/^[\s'"(]+|[\s'")]+$/g, "")
    .replace(/[.!?,;:]+$/, "")
    .trim();
}

/** Splits must-include text into terms: "Le Chatelier's principle and equilibrium constants" → two terms. */
function terms(text: string): string[] {
  return text
    .split(/\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*&\s*/)
    .map((t) =>
      t
        .replace(/^(?:the|a|an|both|either)\s+/i, "")
        .replace(/^["'“]|["'”]$/g, "")
        .trim(),
    )
    .filter((t) => t.length > 0);
}

/**
 * Reads count, training type, topic and constraints from a request, and how clearly each
 * was stated (see {@link RequestReading}). Deterministic: the intake offline, and the check
 * of the intake model's reading with a model.
 *
 * - Counts in digits, with separators or suffixes ("2,500", "1.5k") and in words ("fifty",
 *   "twenty-five", "two hundred", "a thousand"); a number elsewhere in the sentence
 *   ("World War 2", "Python 3") is not the count.
 * - Training types by name or alias anywhere in the sentence ("for DPO", "preference pairs",
 *   "instruction-tuning", "binary feedback" → kto, "reward model" → rlhf, "multi-turn" → chat).
 * - The topic never holds the type, its aliases, the count, filler or constraint phrases.
 * - Constraints: audience ("for A-level students"), language ("in Spanish" → `es`), style
 *   ("with step-by-step reasoning"), must-include terms ("that mention X and Y").
 *
 * @throws SynthforgeError `INVALID_REQUEST` for a contradictory request (two training types,
 *   "5 DPO examples as SFT"; or two counts); `INVALID_COUNT` for 0, negative or absurd counts;
 *   `UNKNOWN_TRAINING_TYPE` when the request names a type that does not exist
 *   ("Generate 10 XYZ examples about x").
 */
export function readRequest(text: string, opts: ReadRequestOptions = {}): RequestReading {
  const out: RequestReading = { evidence: {} };
  const clean = text.replace(/\s+/g, " ").trim();
  if (!clean) return out;
  let work = clean;

  // 1. Constraints, each phrase masked out of the text once read.
  const constraints: RequestConstraints = {};
  for (const re of LANGUAGE_RES) {
    for (const m of work.matchAll(re)) {
      const name = m[1]!;
      if (name.length <= 4 && !/^\p{Lu}/u.test(name) && !/^[a-z]{2}$/.test(name)) continue;
      const code = languageCode(name);
      if (!code || constraints.language) continue;
      constraints.language = code;
      work = mask(work, { start: m.index!, end: m.index! + m[0].length });
    }
  }
  const audiences: string[] = [];
  for (const re of AUDIENCE_RES) {
    for (const m of work.matchAll(re)) {
      const value = (m[1] ?? m[0]).replace(/^(?:the|our|my)\s+/i, "").trim();
      audiences.push(/^ELI5$|like I'?m/i.test(value) ? "young children (explain like I'm five)" : value);
      work = mask(work, { start: m.index!, end: m.index! + m[0].length });
    }
  }
  if (audiences.length) constraints.audience = [...new Set(audiences)].join("; ");
  const styles: string[] = [];
  for (const re of STYLE_RES) {
    for (const m of work.matchAll(re)) {
      styles.push(m[1]!.trim());
      work = mask(work, { start: m.index!, end: m.index! + m[0].length });
    }
  }
  if (styles.length) constraints.style = [...new Set(styles)].join("; ");
  const include: string[] = [];
  for (const re of MUST_INCLUDE_RES) {
    for (const m of work.matchAll(re)) {
      include.push(...terms(m[1]!));
      work = mask(work, { start: m.index!, end: m.index! + m[0].length });
    }
  }
  if (include.length) constraints.mustInclude = [...new Set(include)];

  // 2. The count: a number in count position ("Generate 50 …", "50 DPO pairs", "count: 50").
  const candidates = countCandidates(work);
  const strong = candidates.filter((c) => c.strong);
  let countSpan: Span | null = null;
  if (strong.length) {
    // Two counts in count position that differ ("10 SFT examples … 20 examples").
    const inCountPosition = strong.filter((c) => followedByCountNoun(work.slice(c.end)));
    const distinct = new Set(inCountPosition.map((c) => safeCount(c.value)));
    if (distinct.size > 1) {
      throw new SynthforgeError(
        "INVALID_REQUEST",
        `The request asks for two different counts (${inCountPosition.map((c) => `"${c.value.trim()}"`).join(" and ")}): say how many examples you want once.`,
        { details: { contradiction: "count", values: inCountPosition.map((c) => c.value.trim()) } },
      );
    }
    const chosen = strong[0]!;
    out.count = parseCount(chosen.value.replace(/\s+/g, " "), opts);
    out.evidence.count = { text: chosen.value.trim(), digits: chosen.digits };
    countSpan = chosen;
  }
  if (countSpan) work = mask(work, countSpan);

  // 3. The training type: names and aliases anywhere; two that cannot both hold are a contradiction.
  const names = opts.trainingTypes ?? trainingTypeNames();
  const hits = typeHits(work, countSpan, names);
  if (hits.length) {
    let allowed: TrainingTypeName[] = [...names];
    for (const h of hits) {
      const next = allowed.filter((t) => h.alias.types.includes(t));
      if (next.length === 0) {
        const named = (x: TypeHit) => x.alias.types[0]!.toUpperCase();
        const a = hits.find((x) => !x.alias.types.some((t) => h.alias.types.includes(t)))!;
        throw new SynthforgeError(
          "INVALID_REQUEST",
          `The request names two training types: ${named(a)} ("${a.text}") and ${named(h)} ("${h.text}"). Ask for one of them.`,
          { details: { contradiction: "trainingType", values: [a.alias.types[0], h.alias.types[0]] } },
        );
      }
      allowed = next;
    }
    const namedHit = hits.find((h) => h.alias.named);
    const order = namedHit ? namedHit.alias.types : hits[0]!.alias.types;
    out.trainingType = order.find((t) => allowed.includes(t)) ?? allowed[0]!;
    out.evidence.trainingType = { text: hits.map((h) => h.text), named: Boolean(namedHit) };
    for (const h of hits) work = mask(work, h);
  } else {
    // "Generate 10 FOO examples about x": an unknown name in the type slot.
    const named =
      /(?:^|\uE000)\s*([A-Z][A-Z0-9-]{1,9})\s+(?:examples?|samples?|pairs?|data(?:sets?)?|rows?)\b/.exec(
        work,
      );
    const topicElsewhere = /\b(?:about|on|covering|regarding|concerning)\s+\S/i.test(
      work.slice((named?.index ?? 0) + (named?.[0].length ?? 0)),
    );
    if (named?.[1] && countSpan && topicElsewhere) parseTrainingType(named[1], names);
  }

  // 4. Count nouns: always ("examples", "pairs"); "questions", "problems" only right after the count or type.
  for (const m of work.matchAll(COUNT_NOUNS))
    work = mask(work, { start: m.index!, end: m.index! + m[0].length });
  for (;;) {
    const m =
      /\uE000\s*((?:questions?|prompts?|problems?|exercises?|tasks?|conversations?|dialogues?|dialogs?|completions?))\b/i.exec(
        work,
      );
    if (!m || !SLOT_NOUNS.test(m[1]!)) break;
    const start = m.index! + m[0].length - m[1]!.length;
    work = mask(work, { start, end: m.index! + m[0].length });
  }
  for (const m of work.matchAll(/\b(?:data(?:sets?)?)\b/gi)) {
    const before = work.slice(0, m.index!).trimEnd();
    const after = work.slice(m.index! + m[0].length).trimStart();
    const typeBefore =
      /\uE000$/.test(before) ||
      /\b(?:training|synthetic|some|more|post-training|fine-tuning|tuning)$/i.test(before);
    // Not at the very end: "about big data" keeps its data.
    const prepAfter = /^(?:[,;:!?\uE000]|(?:for|about|on|covering|regarding|in|with|that|to|of)\b)/i.test(
      after,
    );
    // "Make some chemistry data": data that ends a bare request (no topic marker) is the
    // kind of output, not part of the topic.
    const bareEnd =
      after === "" &&
      /\b(?:some|more|generate|make|create|write|produce|build)\s+(?:[\w-]+\s+){0,2}[\w-]+$/i.test(before) &&
      !/\b(?:about|on|covering|regarding|concerning|of)\b/i.test(before);
    if (typeBefore || prepAfter || bareEnd)
      work = mask(work, { start: m.index!, end: m.index! + m[0].length });
  }

  // 5. The topic: the segment after a topic marker ("about", "on the topic of"), else one
  //    after "of"/"for", else what is left ("Generate 1000 chemistry SFT examples").
  const segments: Array<{ text: string; rank: number; start: number }> = [];
  for (const m of work.matchAll(/[^\uE000,;()!?]+/g)) {
    const raw = m[0];
    // Sentence breaks end a segment too ("… chemistry. Make them hard").
    let offset = 0;
    for (const part of raw.split(/(?<=[^\d\s][.!?])\s+/)) {
      const start = m.index! + raw.indexOf(part, offset);
      offset = raw.indexOf(part, offset) + part.length;
      const before = work.slice(0, start);
      const markerInside =
        STRONG_MARKER_INSIDE.exec(part) ?? (/\bon\b/i.test(part) ? ON_MARKER_INSIDE.exec(part) : null);
      if (markerInside?.[2] && trimTopic(markerInside[2])) {
        segments.push({
          text: markerInside[2],
          rank: 0,
          start: start + part.length - markerInside[2].length,
        });
        const lead = trimTopic(markerInside[1] ?? "");
        if (lead) segments.push({ text: lead, rank: 2, start });
        continue;
      }
      const rank = TOPIC_MARKER.test(before) ? 0 : /^\s*(?:of|for|in)\b/i.test(part) ? 1 : 2;
      segments.push({ text: part, rank, start });
    }
  }
  const topics = segments
    .map((s) => ({ ...s, text: trimTopic(s.text) }))
    .filter((s) => s.text && /\p{L}/u.test(s.text) && !/^\d+$/.test(s.text))
    .sort((a, b) => a.rank - b.rank || a.start - b.start);
  if (topics[0]) out.topic = topics[0].text;

  if (Object.keys(constraints).length) out.constraints = constraints;
  return out;
}

function safeCount(value: string): number {
  try {
    return parseCount(value, { force: true });
  } catch {
    return Number.NaN;
  }
}

/**
 * Reads count, training type, topic and constraints from a request such as
 * "Generate 100 GRPO examples for chemistry reasoning problems" (see {@link readRequest}).
 * Deterministic: the intake of the offline provider, and the check of a model's reading.
 *
 * @throws SynthforgeError `INVALID_REQUEST` for a contradictory request; `INVALID_COUNT` for
 *   0, negative or absurd counts; `UNKNOWN_TRAINING_TYPE` for a type that does not exist.
 */
export function parseRequest(text: string, opts: ReadRequestOptions = {}): ParsedRequest {
  const { evidence: _evidence, ...parsed } = readRequest(text, opts);
  return parsed;
}
