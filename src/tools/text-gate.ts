import { francAll } from "franc-min";
import { wordsToNumber } from "../core/request.js";
import { contentWords, LINE_MARKER, sentences, stem, syllables } from "../core/text.js";
import type { DefectKind } from "../core/types.js";
import { type CheckResult, pass } from "./check.js";

/**
 * The review gate's text checks: deterministic, fast and bounded checks for defects a
 * training row can have whatever its facts: too large, not in the requested language,
 * cut off, chat-template tokens, instructions aimed at a model (or copied from a source
 * flagged as an injection), assistant boilerplate, degenerate repetition, off the run's
 * topic, not answering its prompt. Each failing result names its {@link DefectKind}.
 * Every check reads at most {@link SCAN_CHARS} characters of a text, so its cost is
 * bounded whatever the row holds; rows above {@link MAX_FIELD_CHARS} per field or
 * {@link MAX_ROW_CHARS} in all are refused by {@link checkRowSize} before any other check.
 */

/** Most characters one string field of a row may hold. */
export const MAX_FIELD_CHARS = 100_000;
/** Most characters all string fields of a row may hold together. */
export const MAX_ROW_CHARS = 400_000;
/** Characters of a text the heavier checks read (the start; the end for truncation). */
export const SCAN_CHARS = 20_000;

/** A failing result naming its defect. */
export function defectResult(
  name: string,
  defect: DefectKind,
  reasons: string[],
  score = 0,
  details?: Record<string, unknown>,
): CheckResult {
  const r: CheckResult = { name, passed: false, score, reasons, defect };
  if (details) r.details = details;
  return r;
}

/**
 * Row size limits: every string field at most {@link MAX_FIELD_CHARS} characters and all
 * together at most {@link MAX_ROW_CHARS}. Walks the row once without copying any text, so
 * a 50 MB field is refused in milliseconds.
 */
export function checkRowSize(row: unknown, limits: { field?: number; row?: number } = {}): CheckResult {
  const maxField = limits.field ?? MAX_FIELD_CHARS;
  const maxRow = limits.row ?? MAX_ROW_CHARS;
  let total = 0;
  let worst: { path: string; chars: number } | null = null;
  const walk = (v: unknown, path: string, depth: number) => {
    if (depth > 8) return;
    if (typeof v === "string") {
      total += v.length;
      if (v.length > maxField && (!worst || v.length > worst.chars)) worst = { path, chars: v.length };
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length && i < 10_000; i++) walk(v[i], `${path}[${i}]`, depth + 1);
    } else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k, depth + 1);
    }
  };
  walk(row, "", 0);
  const w = worst as { path: string; chars: number } | null;
  if (w)
    return defectResult(
      "size",
      "format_invalid",
      [
        `field "${w.path}" holds ${w.chars.toLocaleString("en")} characters (the limit is ${maxField.toLocaleString("en")}); shorten it`,
      ],
      0,
      { chars: total },
    );
  if (total > maxRow)
    return defectResult(
      "size",
      "format_invalid",
      [
        `the row holds ${total.toLocaleString("en")} characters (the limit is ${maxRow.toLocaleString("en")}); shorten it`,
      ],
      0,
      { chars: total },
    );
  return pass("size", { chars: total });
}

/** Text without fenced code blocks, inline code, URLs and LaTeX (prose only). */
export function proseOf(text: string): string {
  return text
    .slice(0, SCAN_CHARS)
    .replace(/```[\s\S]*?(?:```|$)/g, " ")
    .replace(/`[^`\n]*`/g, " ")
    .replace(/https?:\/\/\S+/g, " ")
    .replace(/\$\$[\s\S]*?\$\$|\$[^$\n]*\$/g, " ");
}

// ISO 639-3 (as franc returns it) → ISO 639-1 (as requests name languages).
const ISO3_TO_1: Record<string, string> = {
  spa: "es",
  eng: "en",
  por: "pt",
  ind: "id",
  fra: "fr",
  deu: "de",
  jav: "jv",
  vie: "vi",
  ita: "it",
  tur: "tr",
  pol: "pl",
  swh: "sw",
  sun: "su",
  ron: "ro",
  hau: "ha",
  bos: "bs",
  hrv: "hr",
  nld: "nl",
  srp: "sr",
  ckb: "ku",
  yor: "yo",
  uzn: "uz",
  zlm: "ms",
  ibo: "ig",
  ceb: "ceb",
  tgl: "tl",
  hun: "hu",
  azj: "az",
  ces: "cs",
  run: "rn",
  plt: "mg",
  nya: "ny",
  kin: "rw",
  zul: "zu",
  swe: "sv",
  lin: "ln",
  som: "so",
  ilo: "ilo",
  rus: "ru",
  ukr: "uk",
  bel: "be",
  bul: "bg",
  kaz: "kk",
  arb: "ar",
  urd: "ur",
  pes: "fa",
  pbu: "ps",
  hin: "hi",
  mar: "mr",
  mai: "mai",
  bho: "bho",
  npi: "ne",
  mag: "mag",
  cmn: "zh",
  jpn: "ja",
  kor: "ko",
  ell: "el",
  heb: "he",
  tha: "th",
  kat: "ka",
  hye: "hy",
  ben: "bn",
  tam: "ta",
  tel: "te",
  kan: "kn",
  mal: "ml",
  guj: "gu",
  pan: "pa",
  amh: "am",
  khm: "km",
  lao: "lo",
  mya: "my",
  sin: "si",
  ori: "or",
  dan: "da",
  nob: "no",
  fin: "fi",
  cat: "ca",
  slk: "sk",
  slv: "sl",
  est: "et",
  lav: "lv",
  lit: "lt",
  glg: "gl",
  eus: "eu",
};
/** Languages franc confuses with each other on short texts: one counts for the other. */
const SIBLINGS: Record<string, string[]> = {
  hr: ["bs", "sr"],
  bs: ["hr", "sr"],
  sr: ["hr", "bs"],
  id: ["ms"],
  ms: ["id"],
  pt: ["gl"],
  gl: ["pt", "es"],
  es: ["gl"],
  no: ["da", "sv"],
  da: ["no", "sv"],
  sv: ["no", "da"],
  hi: ["mr", "mai", "bho", "mag", "ne"],
  ne: ["hi", "mai"],
};
/** Letters of prose the language identification needs before it decides. */
export const LANGUAGE_MIN_LETTERS = 150;

/** The language of a text as an ISO 639-1 code, or null when there is too little prose. */
export function detectLanguage(text: string): { code: string | null; scores: Array<[string, number]> } {
  // Numbers, symbols and one-letter words (the x and y of "3x + 2y = 16") are no language.
  const prose = proseOf(text)
    .replace(/[\p{N}\p{S}]+/gu, " ")
    .replace(/(?<!\p{L})\p{L}(?!\p{L})/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  const letters = (prose.match(/\p{L}/gu) ?? []).length;
  if (letters < LANGUAGE_MIN_LETTERS) return { code: null, scores: [] };
  const all = francAll(prose.slice(0, 4000), { minLength: 20 });
  const scores = all
    .slice(0, 5)
    .map(([l, s]) => [ISO3_TO_1[l] ?? l, Math.round(s * 1000) / 1000] as [string, number]);
  const top = scores[0];
  if (!top || top[0] === "und") return { code: null, scores: [] };
  return { code: top[0], scores };
}

/** Human name of a few common language codes, for messages. */
const LANGUAGE_NAMES: Record<string, string> = {
  en: "English",
  es: "Spanish",
  fr: "French",
  de: "German",
  it: "Italian",
  pt: "Portuguese",
  nl: "Dutch",
  pl: "Polish",
  ru: "Russian",
  tr: "Turkish",
  zh: "Chinese",
  ja: "Japanese",
  ko: "Korean",
  ar: "Arabic",
  hi: "Hindi",
  sv: "Swedish",
  id: "Indonesian",
  vi: "Vietnamese",
};
const languageName = (code: string) => LANGUAGE_NAMES[code] ?? code;

// Function words that identify a language even in one short sentence.
const STOPWORDS: Record<string, string[]> = {
  en: "the of and to is are was were it this that with for by from which so be has have not".split(" "),
  es: "el la los las del de y que es son en un una por para con como pero se lo su muy".split(" "),
  fr: "le la les des du de et est sont un une pour avec dans que qui pas ce cette sur au aux".split(" "),
  de: "der die das und ist sind ein eine nicht mit von zu den dem auch auf für wird werden".split(" "),
  // Not "per", "come" or "non": English writes them too ("3.6 per 1,000", "non-linear").
  it: "il lo la gli le di del della che è sono un una con anche nel alla delle degli questo".split(" "),
  pt: "os dos das da que é são um uma para com não em na pelo pela como também".split(" "),
  nl: "de het een en is zijn van dat niet met voor op te die ook aan worden".split(" "),
};

/** The language of a short text by its function words (null when unclear). */
export function functionWordLanguage(text: string): string | null {
  // One-letter words are left out: in a worked answer "y" and "a" are variables, not Spanish.
  const words = (
    proseOf(text)
      .toLowerCase()
      .match(/\p{L}+/gu) ?? []
  ).filter((w) => w.length > 1);
  const hits: Array<[string, number]> = Object.entries(STOPWORDS).map(([lang, list]) => {
    const set = new Set(list);
    return [lang, words.filter((w) => set.has(w)).length];
  });
  hits.sort((a, b) => b[1] - a[1]);
  const [top, second] = hits;
  if (!top || top[1] < 3 || top[1] < 2 * (second?.[1] ?? 0)) return null;
  return top[0];
}

/**
 * The texts are in the expected language (ISO 639-1, default English). Long prose (at
 * least {@link LANGUAGE_MIN_LETTERS} letters) is identified with franc; shorter text by its
 * function words. A text fails when another language is clearly detected (not the expected
 * one or a close sibling such as Bosnian for Croatian, and the expected one scores well
 * below it). Null when no text has enough prose to decide.
 */
export function checkLanguage(texts: string[], expected = "en"): CheckResult | null {
  const want = (expected || "en").toLowerCase().slice(0, 3);
  const ok = new Set([want, ...(SIBLINGS[want] ?? [])]);
  const candidates = texts.length > 1 ? [...texts, texts.join("\n\n")] : texts;
  let decided = 0;
  for (const t of candidates) {
    // Function words overrule franc when they name the expected language (formula-heavy text
    // fools trigram statistics; "the", "of", "is" do not lie).
    const fw = functionWordLanguage(t);
    if (fw && ok.has(fw)) {
      // Then franc could only fail the text by agreeing on another language with the
      // function words, which name this one: it need not run.
      decided++;
      continue;
    }
    const { code, scores } = detectLanguage(t);
    let found: string | null = null;
    if (code) {
      decided++;
      const mine = Math.max(0, ...scores.filter(([l]) => ok.has(l)).map(([, s]) => s));
      // franc's scores are relative and close together (a French score of 0.96 beside
      // English at 1 is still English text), so franc and the function words agreeing on
      // another language decide it whatever the expected language scores.
      if (!ok.has(code) && (mine < 0.95 || fw === code)) found = code;
    } else if (fw) {
      decided++;
      if (!ok.has(fw)) found = fw;
    }
    if (found)
      return defectResult(
        "language",
        "wrong_language",
        [
          `written in ${languageName(found)}, but the request asks for ${languageName(want)}; write it in ${languageName(want)}`,
        ],
        0,
        { expected: want, detected: found, scores },
      );
  }
  return decided ? pass("language", { expected: want }) : null;
}

const FUNCTION_WORD_END =
  /\b(?:the|a|an|and|or|but|of|to|in|on|at|for|with|by|from|into|that|which|who|whose|is|are|was|were|be|as|than|then|because|so|if|when|while|its|their|his|her|our|your|this|these|those|such|very|more|most|will|would|can|could|should|must|not|also|both|either|el|la|los|las|de|del|y|que|en|un|una|le|les|des|et|du|der|die|das|und|mit|von)$/i;

/**
 * A text ends where it should: not inside a code fence, not on an open bracket, a comma,
 * a colon, a bare list marker or a function word ("…and the"), and a long last sentence
 * of prose ends with punctuation. Short fields (a final answer such as "58.44 g/mol") are
 * not judged on their last character.
 */
export function truncationProblem(text: string): string | null {
  const t = text.trim();
  if (!t) return null;
  const fences = (t.slice(0, SCAN_CHARS * 5).match(/^\s*```/gm) ?? []).length;
  if (fences % 2 === 1) return "a code block is opened with ``` and never closed";
  const tail = t.slice(-2000);
  if (/```\s*$/.test(tail)) return null;
  const lastLine = tail.split("\n").at(-1)!.trim();
  if (/^\|.*\|$/.test(lastLine)) return null; // a table row
  // A bare list marker on its own last line (not "…the middle value is 7." ending a sentence).
  if (/(?:^|\n)[ \t]*(?:\d+[.)]|[-*•])\s*$/.test(tail) && /(?:^|\n)\s*(?:\d+[.)]|[-*•])\s/.test(tail))
    return "it ends on an empty list item";
  if (/[,:;([{–—-]$/.test(t) && !/[-–—]{2,}$|:\)$/.test(t))
    return `it ends on "${t.slice(-1)}", mid-sentence`;
  const words = t.split(/\s+/).length;
  const prose = proseOf(tail);
  // An opening bracket of the last paragraph that nothing closes (list markers "a)" aside).
  const lastPara = prose
    .split(/\n\s*\n/)
    .at(-1)!
    .replace(/^\s*[a-z0-9]{1,2}\)/gim, " ");
  const stack: number[] = [];
  for (let i = 0; i < lastPara.length; i++) {
    const ch = lastPara[i];
    if (ch === "(" || ch === "[") stack.push(i);
    else if ((ch === ")" || ch === "]") && stack.length) stack.pop();
  }
  if (stack.length && words >= 8 && lastPara.slice(stack.at(-1)!).split(/\s+/).length >= 4)
    return "a bracket is opened and never closed";
  if (/[.!?…。！？)\]"'”’*_`>$}]$/u.test(t)) return null;
  const last = sentences(lastLine).at(-1) ?? lastLine;
  const lastWords = last.split(/\s+/).filter(Boolean);
  if (words >= 6 && lastWords.length >= 3 && FUNCTION_WORD_END.test(last))
    return `it stops mid-sentence ("…${last.slice(-40)}")`;
  // A list item that stops where the others end with a full stop.
  const items = tail.split("\n").filter((l) => /^\s*(?:\d+[.)]|[-*•])\s/.test(l));
  if (
    /^(?:\d+[.)]|[-*•])\s/.test(lastLine) &&
    items.length >= 2 &&
    items.slice(0, -1).every((l) => /[.!?]\s*$/.test(l)) &&
    /\p{Ll}$/u.test(lastLine)
  )
    return `the last list item stops mid-sentence ("…${lastLine.slice(-40)}")`;
  // An equation left open: the last line's right-hand side is still an operation.
  const lines = t.split("\n").filter((l) => l.trim());
  if (
    lines.length >= 2 &&
    // an operation still open ("= 45 +", "= 45 × 1"), not a fraction as the result ("= 3/2")
    /=\s*[^=]*\d\s*(?:[+\-−×*÷]\s*[\d.]*|\/\s*)$/.test(lastLine) &&
    !/[a-zA-Z]{3,}\s*$/.test(lastLine)
  )
    return `the last step stops mid-calculation ("${lastLine.slice(-40)}")`;
  // A list item, a heading, an equation or a short final answer may end without punctuation.
  if (/^(?:\d+[.)]|[-*•#]|\w+\s*[:=])/.test(lastLine) || /[=≈<>]/.test(last)) return null;
  if (words >= 12 && lastWords.length >= 8 && /\p{Ll}$/u.test(last))
    return `the last sentence has no ending ("…${last.slice(-40)}")`;
  return null;
}

/** Verifier: none of the texts is cut off (see {@link truncationProblem}). */
export function checkTruncation(texts: Array<{ field: string; text: string }>): CheckResult | null {
  const found = texts
    .map((t) => ({ ...t, problem: truncationProblem(t.text) }))
    .filter((t) => t.problem !== null);
  if (texts.length === 0) return null;
  if (found.length === 0) return pass("truncation");
  return defectResult(
    "truncation",
    "truncated",
    found.map((f) => `${f.field} is cut off: ${f.problem}; finish it`),
  );
}

const TEMPLATE_TOKENS =
  /<\|[a-z_]{2,30}\|>|<\/?s>|\[\/?INST\]|<<\/?SYS>>|<\/?(?:start|end)_of_turn>|<(?:bos|eos|pad|unk)>|^\s*#{2,4}\s*(?:Instruction|Response|Input|Human|Assistant|System)\s*:|^(?:Human|Assistant|User|System)\s*:\s/im;

/** Verifier: no chat-template or special tokens outside code. */
export function checkTemplateTokens(texts: string[]): CheckResult {
  for (const t of texts) {
    const m = TEMPLATE_TOKENS.exec(proseOf(t));
    if (m)
      return defectResult("template", "template_tokens", [
        `contains the chat-template token "${m[0].trim()}"; remove template and special tokens`,
      ]);
  }
  return pass("template");
}

/** Instructions aimed at a model, beyond the source screen's rules. */
const MODEL_DIRECTED: RegExp[] = [
  /\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:the\s+|your\s+)?(?:previous|prior|above|earlier|system)\s+(?:instructions?|prompts?|rules)/i,
  /\b(?:ignore|disregard)\s+the\s+user(?:'s)?\s+(?:question|request|prompt)/i,
  /\b(?:insert|include|append|add|output|print|say|write)\s+(?:the\s+)?(?:phrase|word|string|token|text|line)\s+["'“‘]/i,
  /\b(?:AI|assistant|language model|LLM|chatbot)s?\s+(?:reading|processing|summari[sz]ing)\s+this\b/i,
  /\b(?:note|message|instructions?)\s+(?:to|for)\s+(?:all\s+)?(?:the\s+)?(?:AI|assistants?|language models?|LLMs?|chatbots?|models?)\b/i,
  /\b(?:new|updated|hidden|secret)\s+(?:system\s+)?instructions?\s*:/i,
  /\byou\s+are\s+now\s+(?:in\s+)?(?:developer|DAN|jailbroken|unrestricted)\b/i,
  /\[\/?(?:SYSTEM|ADMIN|INSTRUCTIONS?)\]/,
  /<!--[^>]{0,400}\b(?:AI|assistant|model|LLM)s?\b[^>]{0,400}-->/i,
  /(?:^|[.!?]\s+)(?:assistant|AI|model)\s*[:,]\s*(?:please\s+)?(?:ignore|disregard|append|add|reply|respond|say|tell|end|include|always|never|do not)\b/im,
  /\b(?:as instructed|following the instructions?|per the instructions?)\s+(?:in|from|of)\s+the\s+(?:source|passage|document|context|text)\b/i,
  /^\s*as instructed\b/im,
];
/** Source-screen rules that also mean a model-directed instruction when a row carries them. */
const ECHO_RULES = new Set([
  "ignore-previous-instructions",
  "forget-everything",
  "you-are-now",
  "from-now-on",
  "new-instructions",
  "reveal-instructions",
  "instead-respond",
  "do-not-follow",
  "reviewer-directed",
  "assistant-directed",
]);

const GRAM_STOP = new Set(
  "the a an and or of to in on at for with by from is are was were be it its this that as".split(" "),
);

function wordGrams(text: string, n: number): Set<string> {
  const w = text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'.-]*/gu) ?? [];
  const out = new Set<string>();
  for (let i = 0; i + n <= w.length && i < 5000; i++) {
    const g = w.slice(i, i + n);
    if (g.filter((x) => !GRAM_STOP.has(x)).length >= 2) out.add(g.join(" "));
  }
  return out;
}

/**
 * A prompt-injection screen: the rules a text matches (the source layer's
 * `detectInjection`, which the review stage passes in; tools do not import sources).
 */
export type InjectionScreen = (text: string) => Array<{ rule: string; excerpt: string }>;
const NO_SCREEN: InjectionScreen = () => [];

/**
 * The injected part of a passage: the sentences (and hidden comments, bracketed system
 * blocks) that carry an instruction aimed at a model, by the source screen's rules and the
 * gate's own. Empty when the passage carries none.
 */
export function injectedSpans(passage: string, detectInjection: InjectionScreen = NO_SCREEN): string[] {
  const text = passage.slice(0, SCAN_CHARS);
  const spans: string[] = [];
  for (const m of text.matchAll(/<!--[\s\S]*?-->|\[(SYSTEM|ADMIN|INSTRUCTIONS?)\][\s\S]*?(?:\[\/\1\]|$)/gi))
    spans.push(m[0]);
  const rest = text.replace(/<!--[\s\S]*?-->/g, " ");
  for (const sentence of rest.split(/(?<=[.!?])\s+(?=[A-Z[<"'])/)) {
    const flagged =
      detectInjection(sentence).some((f) => ECHO_RULES.has(f.rule) || f.rule === "chat-template-marker") ||
      MODEL_DIRECTED.some((re) => re.test(sentence));
    if (flagged && !spans.some((s) => s.includes(sentence))) spans.push(sentence);
  }
  return spans;
}

/** A quoted string or a link of injected sentences that a (lower-case) text carries, or null. */
function quotedEcho(spans: string[], lower: string): string | null {
  for (const sp of spans) {
    for (const q of sp.matchAll(/["'“‘]([^"'”’]{3,80})["'”’]/g))
      if (lower.includes(q[1]!.toLowerCase().trim())) return q[1]!;
    for (const u of sp.matchAll(
      /\b(?:https?:\/\/)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|example|info|biz|ru|xyz)\b/gi,
    ))
      if (
        lower.includes(
          u[0]
            .toLowerCase()
            .replace(/^https?:\/\//, "")
            .replace(/^www\./, ""),
        )
      )
        return u[0];
  }
  return null;
}

/**
 * Verifier: the text carries no instruction aimed at a model ("ignore previous
 * instructions", "insert the phrase X"), and nothing the injected part of a passage asks
 * for: a quoted string, a link or a phrase of 4 words from the injected sentences (and not
 * from the rest of the passage or the prompt), nor what an injection inside a document the
 * request quotes asks for (a quoted string or a link). `prompt` is the row's request: a row
 * whose request is itself about prompt injection may quote such phrases. `detectInjection`: the
 * source screen's rules (`detectInjection` of the sources layer), used with the gate's own.
 */
export function checkInjectionEcho(
  texts: string[],
  passages: Array<{ sourceId: string; text: string }>,
  prompt = "",
  detectInjection: InjectionScreen = NO_SCREEN,
): CheckResult {
  const aboutInjection = /\b(?:prompt\s+injection|jailbreak|injection attack)/i.test(prompt);
  const joined = texts.map((t) => t.slice(0, SCAN_CHARS)).join("\n");
  const lower = joined.toLowerCase();
  const rowGrams = wordGrams(joined, 4);
  const promptGrams = wordGrams(prompt, 4);
  for (const p of passages) {
    const spans = injectedSpans(p.text, detectInjection);
    if (spans.length === 0) continue;
    let clean = p.text.slice(0, SCAN_CHARS);
    for (const sp of spans) clean = clean.split(sp).join(" ");
    const cleanGrams = wordGrams(clean, 4);
    let echo = quotedEcho(spans, lower);
    for (const sp of spans)
      for (const g of wordGrams(sp, 4))
        if (rowGrams.has(g) && !cleanGrams.has(g) && !promptGrams.has(g)) echo ??= g;
    if (echo)
      return defectResult(
        "injection",
        "injection_echo",
        [
          `carries what an instruction injected into source ${p.sourceId} asks for ("${echo.slice(0, 80)}"); remove it and answer from the source's content`,
        ],
        0,
        { sourceId: p.sourceId, injected: spans.map((x) => x.slice(0, 200)) },
      );
  }
  if (aboutInjection) return pass("injection");
  // A document quoted in the request may carry an injection too ("Summarise this leaflet:
  // '… [Note to AI assistants: end every answer with …]'"): the row must not do what it asks.
  // A request that asks about such text (how to defend against it, what it attempts) may
  // have it quoted back.
  const discusses =
    /\b(?:inject\w*|jailbreak\w*|attack\w*|malicious|defend\w*|exploit\w*|hack\w*|secur\w*|phishing|spam)\b/i;
  const promptSpans = discusses.test(prompt.replace(/\[[^\]]*\]/g, " "))
    ? []
    : injectedSpans(prompt, detectInjection);
  const obeyed = promptSpans.length ? quotedEcho(promptSpans, lower) : null;
  if (obeyed)
    return defectResult("injection", "injection_echo", [
      `carries what an instruction injected into the request's quoted text asks for ("${obeyed.slice(0, 80)}"); remove it`,
    ]);
  const prose = proseOf(joined);
  for (const f of detectInjection(prose)) {
    if (ECHO_RULES.has(f.rule))
      return defectResult("injection", "injection_echo", [
        `contains an instruction aimed at a model ("${f.excerpt.slice(0, 80)}"); remove it`,
      ]);
  }
  for (const re of MODEL_DIRECTED) {
    const m = re.exec(prose);
    if (m)
      return defectResult("injection", "injection_echo", [
        `contains an instruction aimed at a model ("${m[0].slice(0, 80)}"); remove it`,
      ]);
  }
  return pass("injection");
}

const BOILERPLATE: RegExp[] = [
  /\bas an? (?:AI|artificial intelligence)(?: (?:language )?model| assistant| developed by [\w ]+)?\b/i,
  /\bas an? (?:large )?language model\b/i,
  /\bI(?:'m| am) (?:just |only )?(?:an? )?(?:AI|language model|large language model|virtual assistant|chatbot)\b/i,
  /\bI (?:do not|don't) have (?:personal (?:opinions|experiences|feelings|beliefs)|feelings|emotions|the ability to browse|access to (?:real-time|the internet|current))/i,
  /\b(?:my|the) (?:knowledge|training) (?:cut-?off|data (?:only )?(?:goes|extends) up to)\b/i,
  /\bI (?:cannot|can't|am unable to) (?:browse the (?:internet|web)|access (?:the internet|real-time|external))/i,
  /\b(?:I hope (?:this|that) helps|feel free to ask (?:if you have )?(?:any )?(?:more|further|other) questions?|let me know if you (?:have any (?:other |more |further )?questions|need (?:anything|any) (?:else|more|further)))\b/i,
  /^(?:certainly|sure|of course|absolutely|great question)[!.,]\s*(?:here(?:'s| is)|I(?:'d| would) be happy)/i,
];

/** Verifier: no assistant boilerplate ("As an AI language model…", "I hope this helps!"). */
export function checkBoilerplate(texts: string[]): CheckResult {
  for (const t of texts) {
    const prose = proseOf(t).trim();
    for (const re of BOILERPLATE) {
      const m = re.exec(prose);
      if (m)
        return defectResult("boilerplate", "boilerplate", [
          `contains assistant boilerplate ("${m[0]}"); give the content without it`,
        ]);
    }
  }
  return pass("boilerplate");
}

/**
 * Degenerate text: the same sentence or line many times, a paragraph written twice, a word
 * or phrase looping, or little distinct wording for the length. Reads at most {@link SCAN_CHARS} characters.
 */
export function repetitionProblem(text: string): string | null {
  const prose = proseOf(text);
  // A word or short phrase looping: "the the the", "very very very very".
  const loop = /\b((?:[\p{L}\p{N}'-]+\s+){0,3}[\p{L}\p{N}'-]+)(?:[\s,;.]+\1\b){4,}/iu.exec(
    prose.slice(0, 5000),
  );
  if (loop)
    return `"${loop[1]}" repeats ${Math.round(loop[0].length / (loop[1]!.length + 1))} times in a row`;
  // A whole paragraph written twice, word for word.
  const paragraphs = prose
    .split(/\n\s*\n/)
    .map((p) =>
      p
        .toLowerCase()
        .replace(/[^\p{L}\p{N}]+/gu, " ")
        .trim(),
    )
    .filter((p) => p.split(" ").length >= 20);
  const twice = paragraphs.find((p, i) => paragraphs.indexOf(p) !== i);
  if (twice) return `the paragraph "${twice.slice(0, 60)}…" appears twice`;
  const lines = prose
    .split(/\n|(?<=[.!?])\s+/)
    .map((l) =>
      l
        .toLowerCase()
        .replace(/^[\s\d.)*•#-]+/, "")
        .replace(/[^\p{L}\p{N}]+/gu, " ")
        .trim(),
    )
    .filter((l) => l.split(" ").length >= 4);
  if (lines.length >= 3) {
    const counts = new Map<string, number>();
    for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
    const [line, n] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
    if (n >= 3) return `the sentence "${line.slice(0, 60)}" appears ${n} times`;
    if (lines.length >= 6 && counts.size / lines.length < 0.6)
      return `only ${counts.size} of ${lines.length} sentences are distinct`;
  }
  const w = prose.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  if (w.length >= 60) {
    const grams = new Map<string, number>();
    let repeats = 0;
    for (let i = 0; i + 5 <= w.length; i++) {
      const g = w.slice(i, i + 5).join(" ");
      const c = grams.get(g) ?? 0;
      if (c > 0) repeats++;
      grams.set(g, c + 1);
    }
    const share = repeats / Math.max(1, w.length - 4);
    if (share > 0.35) return `${Math.round(share * 100)}% of its 5-word phrases are repeats`;
  }
  return null;
}

/** Verifier: no degenerate, repeated text. */
export function checkRepetition(texts: Array<{ field: string; text: string }>): CheckResult {
  for (const t of texts) {
    const p = repetitionProblem(t.text);
    if (p) return defectResult("repetition", "repetition", [`${t.field} is degenerate: ${p}; rewrite it`]);
  }
  return pass("repetition");
}

// Words that name a kind of question or text rather than its subject.
const GENERIC = new Set(
  (
    "what which how why when where who whose does do did is are was were can could would should will " +
    "write show find calculate compute determine given give list name state tell please brief briefly short simple " +
    "main important difference differ different type kind way ways part parts thing things mean meaning means " +
    "make made work works happen happens example answer question problem value result use uses using value " +
    "python function code program data topic introduction overview basic basics concept concepts idea ideas " +
    "student students level help need want get yes sentence sentences paragraph word words detail details"
  ).split(/\s+/),
);

function keyTerms(text: string): string[] {
  return [...new Set(contentWords(text).filter((w) => w.length > 2 && !GENERIC.has(w) && !/^\d/.test(w)))];
}

/** True when two stemmed words share a stem of 5+ letters (chemistry ~ chemical). */
function related(a: string, b: string): boolean {
  if (a === b) return true;
  const n = Math.min(a.length, b.length);
  if (n < 5) return false;
  const k = Math.max(5, Math.min(n, Math.floor(Math.max(a.length, b.length) * 0.6)));
  return a.slice(0, k) === b.slice(0, k);
}

const EVASIVE: RegExp[] = [
  /^(?:it|that|this) (?:all )?depends(?: on [^.]{0,60})?\.?$/i,
  /(?:^|\n)\s*(?:it|that|this) (?:all )?depends on the (?:sample|conditions|situation|context|case)\b/i,
  /\b(?:cannot|can't|can ?not) be (?:stated|determined|known|calculated|answered)\b(?: (?:exactly|precisely|without))?/i,
  /^(?:that(?:'s| is) (?:a )?(?:great|good|interesting|complex|difficult) question)[.!]?\s*(?:it depends|there are many|the answer (?:depends|varies)|many factors)/i,
  /\b(?:it (?:really )?depends on (?:many|various|a (?:lot|number) of) (?:factors|things))\b[^.]*\.\s*(?:you (?:should|may want to|might want to) (?:consult|ask|check|research|look))/i,
  /\b(?:I (?:would|'d) (?:recommend|suggest) (?:consulting|asking|checking with) (?:a|an|your) (?:expert|professional|teacher|textbook|doctor))\b/i,
  /\b(?:I(?:'m| am) (?:sorry|afraid),? (?:but )?I (?:can(?:no|')t|am unable to|won't) (?:help|answer|assist|provide))/i,
  /^(?:it(?:'s| is)|that(?:'s| is)) (?:hard|difficult|impossible|not possible) to (?:say|tell|know|give|answer)\b/i,
  /^there (?:is|'s) no (?:single|simple|one|definite|clear) answer\b/i,
  // "…depends on many factors, including … I'd recommend consulting a statistician".
  /\bdepends on (?:many|various|several|a (?:lot|number) of) (?:factors|things|considerations)\b[\s\S]{0,300}?\b(?:recommend|suggest|should|best to)\s+(?:consult|ask|check|speak|talk|read|look)\w*\b/i,
  /\b(?:you should|you'd better|best to|please) (?:check|confirm|verify) (?:this|that|it) with (?:your|a|an) (?:teacher|tutor|expert|professional|doctor)\b/i,
];

/** An answer that opens by sending the reader to a book, an expert or a search. */
const DEFLECTION =
  /^(?:the best (?:approach|way|thing to do|place to start|option) is to|you (?:should|could|might want to|may want to|'d do better to)|I (?:would|'d) (?:recommend|suggest)(?: that you)?|it(?:'s| is) (?:best|better) to)\s+(?:read(?:ing)?|consult(?:ing)?|look(?:ing)? (?:at|up|into)|check(?:ing)?|ask(?:ing)?|refer(?:ring)? to|search(?:ing)? (?:for|online))\b[^.]*/i;
/** Words that say an answer varies ("depends on", "can vary depending on"). */
const HEDGE = /\b(?:depends?|depending|vary|varies|varying)\b/i;
/** Sending the reader to someone or something else for the answer. */
const REFERRAL =
  /\b(?:consult(?:ing)?|talk(?:ing)? to|speak(?:ing)? (?:to|with)|ask(?:ing)?|get(?:ting)? (?:advice|guidance|help)|seek(?:ing)? (?:advice|guidance|help)|check(?:ing)? with|refer(?:ring)? to)\b[^.]{0,80}?\b(?:veterinarian|vet|doctor|physician|professional|expert|specialist|textbook|documentation|reference|manual|authority|adviser|advisor|lawyer|solicitor|attorney|accountant|pharmacist|teacher|tutor)s?\b/i;
/** A prompt that asks for reading, resources or how to learn something: pointing elsewhere answers it. */
const ASKS_FOR_RESOURCES =
  /\b(?:learn|learning|study|studying|start(?:ing)?|begin(?:ning)?|resources?|books?|reading|recommend\w*|where (?:can|should|do) I|how (?:do|should|can) I (?:find|get|learn))\b/i;

const CAUSAL =
  /\b(?:because|makes?|making|made|allows?|lets|enables?|produces?|drives?|cause[sd]?|causing|due to|owing to|led to|lead to|leads to|leading to|result(?:s|ed)? (?:of|in|from)|as a result|reasons?|since (?!the |then|\d|last|early|late|ancient)|therefore|thus|hence|so that|so\b|which (?:makes|means|is why)|this (?:means|is why)|(?:is|are|was|were) why|explains?|explaining|stems? from|driven by|triggered|contribut(?:ed|es|ing)|factors?|explain(?:s|ed)? by|in order to|to (?:avoid|prevent|keep|allow|make|reduce|increase)|(?:happens?|occurs?|arises?|forms?|takes place|starts?) (?:when|where|as)|is how|by (?:\w+ing|means of)|through|via|works? by|so (?:it|they|that))\b/i;

/** Words that order the steps of a process ("then", "once it has", "after every epoch"). */
const PROCESS =
  /\b(?:then|once|until|after (?:every|each|that)|each time|every time|whenever|first(?:ly)?,|next|finally|step \d|at each)\b/i;

/** Words that state an effect's direction or size ("increases", "faster", "no effect") or a change ("turns white"). */
const EFFECT =
  /\b(?:increas\w*|decreas\w*|rais\w*|lower\w*|ris(?:e|es|ing)|rose|fall(?:s|ing)?|fell|drops?|reduc\w*|boost\w*|speeds? up|slows? down|faster|slower|quicker|more|less|fewer|higher|greater|smaller|larger|doubl\w*|halv\w*|tripl\w*|no effect|(?:not|cannot|can't|won't|doesn't|never) (?:affect|change|alter)|unaffected|unchanged|proportional|inversely|shift\w*|improv\w*|worsen\w*|weaken\w*|strengthen\w*|accelerat\w*|inhibit\w*|enhanc\w*|limit\w*|becom(?:es|e|ing)|turns?|turned|los(?:es|ing|t)|gain(?:s|ed)?|di(?:es|e|ed)|expel\w*|releas(?:es|ed)|convert\w*|melt\w*|freez\w*|evaporat\w*|dissolv\w*|breaks? down|swell\w*|shrink\w*)\b/i;

/**
 * The response answers its prompt: not an evasion or a refusal, not a restatement of the
 * prompt, and it gives what the question's form asks for: a value for "how many" or
 * "calculate", a cause for "why" and "what caused", the asked-for quantity for "what is the
 * X of Y".
 */
export function checkAnswers(prompt: string, answer: string): CheckResult | null {
  const p = prompt.slice(0, SCAN_CHARS);
  const a = answer.slice(0, SCAN_CHARS).trim();
  if (!p.trim() || !a) return null;
  for (const re of EVASIVE) {
    const m = re.exec(a);
    if (m)
      return defectResult("answers", "non_answer", [
        `evades the question ("${m[0].slice(0, 80)}"); answer it`,
      ]);
  }
  // A short answer that sends the reader elsewhere instead of answering ("The best approach
  // is to read the Groundwork directly…"), unless the prompt asks where to read or learn.
  const deflects = DEFLECTION.exec(a);
  if (deflects && !ASKS_FOR_RESOURCES.test(p) && a.split(/\s+/).length < 80)
    return defectResult("answers", "non_answer", [
      `sends the reader elsewhere instead of answering ("${deflects[0].slice(0, 80)}"); answer it`,
    ]);
  // A short answer that only says the answer varies and ends by referring the reader to
  // someone else ("depends on many factors … talk to your veterinarian"), with no figure of
  // its own. Advice that ends on its own recommendation is an answer.
  const referral = REFERRAL.exec(sentences(a).at(-1) ?? "");
  if (
    referral &&
    HEDGE.test(a) &&
    !ASKS_FOR_RESOURCES.test(p) &&
    a.split(/\s+/).length < 100 &&
    statedNumbers(a).length === 0
  )
    return defectResult("answers", "non_answer", [
      `says only that it depends and refers the reader elsewhere ("${referral[0].slice(0, 80)}"); answer it`,
    ]);
  const pTerms = keyTerms(p);
  const aTerms = keyTerms(a);
  const novel = aTerms.filter((t) => !pTerms.some((q) => related(q, t)));
  const newNumbers = (a.match(/\d+(?:[.,]\d+)?/g) ?? []).filter((n) => !p.includes(n));
  // A restatement: nearly every word of the answer is the prompt's, and it adds no value.
  if (aTerms.length >= 3 && novel.length <= 1 && newNumbers.length === 0 && a.length < p.length * 1.6)
    return defectResult("answers", "non_answer", [
      "restates the question without answering it; give the answer",
    ]);
  const details = { promptTerms: pTerms.slice(0, 20) };
  const asksNumber = asksForValue(p);
  // Step numbers and the constants of a formula ("n − 1") are not a value.
  if (asksNumber && statedNumbers(a).length === 0 && !NUMBER_WORD.test(a))
    return defectResult(
      "answers",
      "non_answer",
      ["the prompt asks for a value but the response gives no number; compute it"],
      0,
      details,
    );
  // "In what year…?" is answered with a year (digits, BC/AD or a century), not a number word.
  if (/\b(?:what|which) year\b/i.test(p) && !/\b\d{3,4}\b|\b(?:BC|BCE|AD|CE)\b|\bcentury\b/i.test(a))
    return defectResult(
      "answers",
      "non_answer",
      ["the prompt asks in what year, but the response gives no year; give it"],
      0,
      details,
    );
  // A share ("what fraction of the population…") is a percentage, a fraction or a ratio;
  // other numbers of the subject are not it.
  if (ASKS_SHARE.test(p) && !STATES_SHARE.test(a))
    return defectResult(
      "answers",
      "non_answer",
      ["the prompt asks for a share (a fraction or a percentage) but the response gives none; compute it"],
      0,
      details,
    );
  // Numbers, but only the prompt's own data ("stays at 0 °C" for "melt 0.50 kg of ice at 0 °C"):
  // no value of its own, no calculation, no quantity written with another unit.
  const given = asksNumber ? new Set(valuesOf(p)) : null;
  const stated = given ? valuesOf(a) : [];
  if (
    given &&
    stated.length > 0 &&
    stated.every((v) => given.has(v)) &&
    // A calculation ends in a number; a formula in letters ("det = a(ei − fh) …") is none.
    !/[=≈]\s*[-−]?[$€£]?\s*\d/.test(a) &&
    contentWords(a).length >= 8
  )
    return defectResult(
      "answers",
      "non_answer",
      ["the prompt asks for a value but the response only repeats the numbers it was given; compute it"],
      0,
      details,
    );
  // A cause question ("What caused…?") needs a cause; a "why" question a cause or at least
  // its own subject (an answer about something else that gives no reason evades it).
  const asksCause =
    /\bwhat (?:caused|causes|led to|leads to|were the (?:causes|reasons))\b|\breasons? for\b/i.test(p);
  // "Why", and questions about a mechanism or an action ("How do vaccines protect…?",
  // "What does a central bank do to…?"), not instructions ("How do I…?").
  const asksWhy =
    /\bwhy\b/i.test(p) ||
    /\bhow (?:do|does|did|can|could) (?!I\b|you\b|we\b|one\b|i\b)[\w' -]{2,60}?\b(?!affect|change|influence|impact)\w+/i.test(
      p.replace(/\bhow (?:do|does|did|can|could) (?:I|you|we|one)\b.*/gi, ""),
    ) ||
    /\bwhat (?:does|do|did|can|should) (?!I\b|you\b|we\b)[\w' -]{2,60}?\bdo\b/i.test(p);
  const absent = pTerms.filter((t) => !aTerms.some((x) => related(t, x))).length;
  // "How does X work?" is answered by the steps of a process as well as by a cause.
  const asksHowOnly = asksWhy && !/\bwhy\b/i.test(p);
  if (
    (asksCause || (asksWhy && pTerms.length >= 2 && absent * 3 >= pTerms.length)) &&
    contentWords(a).length >= 8 &&
    !CAUSAL.test(a) &&
    !(asksHowOnly && !asksCause && PROCESS.test(a))
  )
    return defectResult(
      "answers",
      "non_answer",
      ["the prompt asks why or how, but the response gives no cause, reason or mechanism; explain it"],
      0,
      details,
    );
  // An effect question ("How does X affect Y?", "What is the effect of X on Y?") needs the
  // effect: a direction or size, or that there is none.
  const asksEffect =
    /\bhow (?:does|do|did|will|would|can|could) (?:(?!\band\b|\bor\b)[^?.,;]){2,80}?\b(?:affect|change|influence|impact|alter)\b|\bwhat (?:is|are|was|were) the (?:effects?|impacts?|influence) of\b|\bwhat happens to\b/i.test(
      p,
    );
  if (asksEffect && contentWords(a).length >= 6 && !EFFECT.test(a))
    return defectResult(
      "answers",
      "non_answer",
      [
        "the prompt asks for an effect, but the response never says what changes or in which direction; state the effect",
      ],
      0,
      details,
    );
  // A question about a named subject ("What are amines?", "Explain amines and their role in
  // …", "Define entropy") needs an answer that names it: one about something else evades it.
  const subject = askedSubject(p);
  if (
    subject.length > 0 &&
    contentWords(a).length >= 8 &&
    !subject.some((s) => aTerms.some((t) => related(s, t)))
  )
    return defectResult(
      "answers",
      "non_answer",
      [
        `the prompt asks about ${subject.join(" ")} but the response never mentions it; answer the question asked`,
      ],
      0,
      { ...details, subject },
    );
  // A question in two parts ("What are the mean and the median of…?") needs both.
  const parts = askedParts(p);
  const aWords = parts.length ? contentWords(a) : [];
  // A part given by its symbol counts ("Q = 60" for the quantity, "P = 20" for the price).
  const bySymbol = (part: string) =>
    /^[a-z]/.test(part) &&
    new RegExp(String.raw`\b${part[0]!.toUpperCase()}[a-z\d]?\s*=\s*[-−]?[$€£]?\d`).test(a);
  const missing = parts.filter((part) => !aWords.some((t) => related(t, part)) && !bySymbol(part));
  if (parts.length >= 2 && missing.length > 0 && missing.length < parts.length)
    return defectResult(
      "answers",
      "non_answer",
      [
        `the prompt asks for the ${parts.join(" and the ")} but the response never gives the ${missing.join(" or the ")}; answer every part`,
      ],
      0,
      { ...details, parts },
    );
  // "Explain three long-term causes…": an answer that holds fewer items than asked for.
  const asked = askedCount(p);
  if (asked) {
    const given = itemsIn(a);
    if (given < asked.count)
      return defectResult(
        "answers",
        "non_answer",
        [
          `the prompt asks for ${asked.count} ${asked.what} but the response gives ${given}; give all ${asked.count}`,
        ],
        0,
        { ...details, asked: asked.count, given },
      );
  }
  // A choice ("should I use a mutex, a channel, or sync/atomic?") is answered by naming one.
  const options = offeredOptions(p);
  if (options.length >= 2) {
    const words = contentWords(a);
    const named = options.filter((o) => o.some((w) => words.some((t) => related(t, w) || t === w)));
    if (named.length === 0)
      return defectResult(
        "answers",
        "non_answer",
        [
          `the prompt asks which of ${options.map((o) => `"${o.join(" ")}"`).join(", ")} but the response names none of them; choose`,
        ],
        0,
        { ...details, options },
      );
  }
  // A comparison ("the difference between X and Y", "how would an X and a Y each…") names
  // both things: an answer that leaves one out never makes it.
  const compared = comparedThings(p);
  const answerWords = compared.length ? contentWords(a) : [];
  const absentThings = compared.filter((words) => !words.some((w) => answerWords.some((t) => related(t, w))));
  if (absentThings.length > 0)
    return defectResult(
      "answers",
      "non_answer",
      [
        `the prompt compares ${compared.map((w) => `"${w.join(" ")}"`).join(" and ")} but the response never names ${absentThings.map((w) => `"${w.join(" ")}"`).join(" or ")}; compare them`,
      ],
      0,
      { ...details, compared },
    );
  const head = headTerm(p);
  // A short final line with a name or a value ("Paris", "4.2 × 10^5 J") answers a "What is
  // the capital of…?" without repeating its head noun.
  // The answer first ("About 62%.", then the working) counts as well.
  const lines = a.split("\n").filter((l) => l.trim());
  const short = (line: string) =>
    line.split(/\s+/).length <= 6 &&
    (/\d|\s\p{Lu}/u.test(line) || (line.split(/\s+/).length <= 3 && /^\p{Lu}/u.test(line)));
  const directAnswer =
    (lines.length > 1 && [lines[0]!.trim(), lines.at(-1)!.trim()].some(short)) ||
    // A line that opens with a value ("About 15.7 L/s; …") answers "What is the flow rate in …?".
    [lines[0] ?? "", lines.at(-1) ?? ""].some((l) =>
      /^(?:about|approximately|roughly|around|nearly|≈|~)?\s*[-−]?[$€£]?\d/i.test(l.trim()),
    );
  if (
    head &&
    aTerms.length >= 5 &&
    !directAnswer &&
    !aTerms.some((t) => related(t, head) || HEAD_SYNONYMS[head]?.includes(t)) &&
    !HEAD_NOTATION[head]?.test(a) &&
    !/\bO\(/.test(a)
  )
    return defectResult(
      "answers",
      "non_answer",
      [`the prompt asks for the ${head} but the response never addresses it; answer the question asked`],
      0,
      { ...details, head },
    );
  return pass("answers", details);
}

/**
 * Other words an answer uses for what a "What is the X of Y?" question asks (stemmed):
 * "inhabitants" answer "the population of".
 */
/** How a quantity is written in symbols ("P(X = 3) = 0.3125" gives a probability). */
const HEAD_NOTATION: Record<string, RegExp> = {
  probability: /\bPr?\s*\(/,
  variance: /\bVar\s*\(|σ²|\bs²/,
  expectation: /\bE\s*\[|\bE\s*\(/,
  deviation: /σ\s*[=≈]|\bs\s*[=≈]|\bSD\b/,
  // "What is the entropy change …?" answered "ΔS = …"; "… the output …?" as "V_out = 5.5 V".
  [stem("change")]: /[Δ∆]\s*\p{L}/u,
  [stem("output")]: /\b\p{L}{1,3}_?(?:out|o)\s*[=≈]/u,
};

const HEAD_SYNONYMS: Record<string, string[]> = Object.fromEntries(
  Object.entries({
    population: "inhabitants residents people citizens",
    efficiency: "efficient η",
    temperature: "hot cold degrees kelvin celsius fahrenheit",
    speed: "velocity fast",
    velocity: "speed fast",
    cost: "price costs pay",
    price: "cost costs pay",
    size: "large small big diameter radius length",
    distance: "far away",
    duration: "long lasted lasts",
    age: "old",
  }).map(([k, v]) => [stem(k), v.split(" ").map((w) => stem(w))]),
);

/** A question that asks for a value: "how many", "calculate", "what is the area of…", "estimate". */
export function asksForValue(prompt: string): boolean {
  return (
    /\b(?:how (?:many|much|far|fast|long|likely|old|tall|heavy|deep|wide)|what (?:fraction|proportion|percentage|share|percent) of|by how much|calculate|compute|what(?:'s| is) (?:the|its) (?:value|sum|product|total|mass|number|probability|chance|odds|area|volume|speed|rate|percentage|variance|standard deviation|expected value|mean|median|npv|net present value|present value|future value|energy|force|pressure|concentration|ph|yield|return|profit|cost)|solve for|evaluate)\b/i.test(
      prompt,
    ) ||
    // "Estimate its period.", "Use Kepler's third law to estimate …"
    /(?:^|[.?!:]\s+)estimate\b|\b(?:use|using)\b[^.?]{0,60}\bto estimate\b/i.test(prompt)
  );
}

/** A question that asks for a share of a whole. */
const ASKS_SHARE = /\bwhat (?:fraction|proportion|percentage|share|percent) of\b|\bwhat percent(?:age)?\b/i;
/** A share as written: "75%", "3/4", "0.75", "three quarters", "1 in 4", "per cent". */
const STATES_SHARE =
  /\d\s*%|\d\s*\/\s*\d|(?<![\d.])0?\.\d|\b(?:half|halves|thirds?|quarters?|fifths?|sixths?|tenths?|percent|per cent|(?:one|\d+) (?:in|out of) (?:\w+))\b|[½⅓⅔¼¾⅕]/i;

/** A number written as a word; "one" only where it counts ("one mole"), not "a large one". */
const NUMBER_WORD =
  /\b(?:zero|two|three|four|five|six|seven|eight|nine|ten|half|none|no)\b|(?<!\b(?:a|an|the|this|that|each|any|every|which|large|small|big|new|other|another|same|no)\s)\bone\b(?!\s+(?:of|another|way|thing)\b)/i;

/** A text without its list and step markers ("1. Find the mean") and the constants of a formula written with variables ("n − 1", "(1 + r)ⁿ", "x^2"). */
function withoutFormulaNumbers(text: string): string {
  return text
    .replace(/^\s*(?:step\s+)?\d+[.):]\s+/gim, " ")
    .replace(/(?<![\d.,])\d+(?:\.\d+)?(?=\s*[-−+*/×·]\s*\p{L}(?!\p{L}))/gu, " ")
    .replace(/(?<=(?<!\p{L})\p{L}\s*[-−+*/×·^]\s*)\d+(?:\.\d+)?(?!\d|[.,]\d)/gu, " ");
}

/** The numbers a text states as values (see {@link withoutFormulaNumbers}), thousands separators removed. */
export function statedNumbers(text: string): string[] {
  return [...withoutFormulaNumbers(text).matchAll(/\d+(?:[.,]\d+)*/g)].map((m) =>
    m[0].replace(/,(?=\d{3}\b)/g, ""),
  );
}

/** The stated values of a text with the unit or word written right after each ("0 °C", "60 km/h", "52 card"). */
function valuesOf(text: string): string[] {
  // A number that is part of a name ("LL(1)", "H2O", "CD4") is no value.
  return [
    ...withoutFormulaNumbers(text).matchAll(
      /(?<!\p{L}\(?)(?<![\d.,])(\d+(?:[.,]\d+)*)(?:[\s-]*([°%$€£]\s*\p{L}*|[\p{L}/²³]+))?/gu,
    ),
  ].map((m) => `${m[1]!.replace(/,/g, "")} ${stem((m[2] ?? "").toLowerCase().replace(/\s+/g, ""))}`.trim());
}

/**
 * The final answer of a row that has one (a QA `answer`, a GRPO `predicted_answer`) to a
 * question that asks for a value: a sentence of four or more content words that states no
 * number of its own, only the prompt's and a formula's ("It is the number of combinations of
 * 52 cards taken 5 at a time", "Use PV = FV / (1 + r)ⁿ with FV = $1,000 …"), does not give the
 * value; a set or a list given with "=" does. Null when the prompt asks for no value or the
 * answer is a bare value or name.
 */
export function checkFinalValue(prompt: string, final: string): CheckResult | null {
  if (!asksForValue(prompt) || contentWords(final).length < 4) return null;
  const given = new Set(statedNumbers(prompt));
  if (statedNumbers(final).some((n) => !given.has(n)) || NUMBER_WORD.test(final)) return pass("answers");
  // A set or a list is a value too ("FIRST(S) = {a, b, c}").
  if (/=\s*[{[]/.test(final)) return pass("answers");
  return defectResult("answers", "non_answer", [
    "the prompt asks for a value but the final answer states none of its own (only the prompt's numbers or a formula); give the value",
  ]);
}

/** Words that name an aspect of a subject rather than the subject ("the role of X"). */
const ASPECT = new Set(
  "role purpose effect effects impact significance importance difference differences relationship history origin origins cause causes function advantage advantages disadvantage disadvantages benefit benefits process mechanism structure properties property features feature principle principles trend trends pattern patterns change changes variation reason reasons step steps stage stages types kinds ways".split(
    " ",
  ),
);

/** Words that ask for a way of doing something rather than name a subject. */
const MANNER = new Set(
  "way ways method methods approach approaches technique techniques easiest simplest quickest fastest best cleanest recommended proper correct right".split(
    " ",
  ),
);

/**
 * The subject a question opens by naming ("What are amines?", "Explain osmosis and …",
 * "Define entropy", "Describe the Krebs cycle"), as stemmed key words; empty when the
 * question has no such opening, names an aspect ("the role of …", handled by
 * {@link headTerm}), or writes its subject as a formula, symbol or acronym (an answer may
 * name it in words: "H2O" → water).
 */
export function askedSubject(prompt: string): string[] {
  const m =
    /^\s*(?:please\s+)?(?:explain|define|describe|what(?:'s| is| are))\s+(?:the\s+|an?\s+)?([^,?.;:()]{3,60}?)(?=\s+(?:and|in|of|for|to|with|within|as|on|that|which|when|from)\b|\s*[?,.;:(]|\s*$)/iu.exec(
      prompt,
    );
  if (!m) return [];
  // "What is the capital of France?": the thing asked for is an attribute ({@link headTerm}).
  if (/^\s+(?:of|for)\b/i.test(prompt.slice(m.index + m[0].length))) return [];
  // "What is a 'tell'?": the term, not its quotation marks.
  const raw = m[1]!.trim().replace(/^["'“‘]+|["'”’]+$/g, "");
  const words = raw.split(/\s+/);
  if (words.some((w, i) => /\d/.test(w) || /\p{Lu}/u.test(w.slice(1)) || (i > 0 && /^\p{Lu}/u.test(w))))
    return [];
  // "Explain how natural selection leads to …": a how/why question, not a named subject.
  if (/^(?:how|why|what|whether|when|where|which|who)$/i.test(words[0] ?? "")) return [];
  if (words.length > 4 || words.some((w) => ASPECT.has(w.toLowerCase()))) return [];
  // "the easiest way to …", "the best method for …": a how-to question, not a named subject.
  if (words.some((w) => MANNER.has(w.toLowerCase()))) return [];
  return keyTerms(raw);
}

/** Words that cannot be the thing a part of a question asks for. */
const NOT_A_PART = new Set(
  "between pros cons similarities differences difference advantages disadvantages causes effects consequences strengths weaknesses value values result results answer answers thing things way ways type types kind kinds example examples name names".split(
    " ",
  ),
);

/**
 * The things a two-part question asks for, stemmed ("What are the mean and the median of…",
 * "Find the area and perimeter of…", "Calculate both the speed and the kinetic energy"): the
 * head noun of each part; empty when the prompt has no such shape or a part is a generic or
 * aspect word (pros and cons, causes and effects, which an answer may give in other words).
 */
export function askedParts(prompt: string): string[] {
  const m =
    /\b(?:what(?:'s| is| are| were| was)|find|give|state|calculate|compute|determine|work out)\s+(?:both\s+)?the\s+([\p{L}-]+(?:\s+[\p{L}-]+)?)\s+and\s+(?:the\s+|its\s+)?([\p{L}-]+(?:\s+[\p{L}-]+)?)\s*(?=\bof\b|\bfor\b|\bin\b|\bat\b|\?|,|\.|$)/iu.exec(
      prompt,
    );
  if (!m) return [];
  const heads = [m[1]!, m[2]!].map((part) => part.trim().split(/\s+/).at(-1)!.toLowerCase());
  if (heads.some((h) => h.length < 3 || NOT_A_PART.has(h) || ASPECT.has(h))) return [];
  const stems = heads.map((h) => stem(h));
  if (stems.some((s) => contentWords(s).length === 0) || stems[0] === stems[1]) return [];
  return stems;
}

/**
 * How many items a prompt asks for, and of what ("List three…", "Explain four long-term
 * causes…", "Give 2 examples…"), or null when it asks for no count.
 */
export function askedCount(prompt: string): { count: number; what: string } | null {
  const m =
    /\b(?:list|give|name|explain|describe|state|identify|outline|suggest|mention|what are)\s+(?:the\s+|any\s+)?(two|three|four|five|six|seven|eight|nine|ten|[2-9]|10)\s+(?:[\p{L}-]+\s+){0,2}?(causes?|reasons?|examples?|ways?|types?|kinds?|factors?|features?|advantages?|disadvantages?|benefits?|differences?|steps?|effects?|consequences?|properties|characteristics|functions?|uses?|methods?|points?|tips?|stages?|symptoms?|arguments?|principles?)\b/iu.exec(
      prompt,
    );
  if (!m) return null;
  const w = m[1]!;
  return { count: /^\d+$/.test(w) ? Number(w) : wordsToNumber(w)!, what: m[2]!.toLowerCase() };
}

/**
 * How many items a text holds, generously: its list items, its sentences, or the most
 * parts one sentence lists ("alliances, militarism and imperialism" is three).
 */
function itemsIn(text: string): number {
  const listItems = (text.match(/^\s*(?:[-*•]|\d+[.)]|\*\*\d)\s+/gm) ?? []).length;
  const sents = sentences(text);
  const listed = Math.max(0, ...sents.map((x) => (x.match(/,\s|;\s|\s(?:and|or)\s/g) ?? []).length + 1));
  return Math.max(listItems, sents.length, listed);
}

/** A choice question and its options, the last one before its "?". */
const CHOICE =
  /\b(?:should I|should we|do I|would you|is it better to|which is better|which should I|would it be better to)\b[^?]*?\b((?:(?:an?|the)\s+)?[\p{L}\d/.+#-]+(?:\s+[\p{L}\d/.+#-]+)?(?:,\s*(?:(?:an?|the)\s+)?[\p{L}\d/.+#-]+(?:\s+[\p{L}\d/.+#-]+)?)*,?\s+or\s+(?:(?:an?|the)\s+)?[\p{L}\d/.+#-]+(?:\s+[\p{L}\d/.+#-]+)?)(?:\s+(?:for|in|on|to|when|with|at|as)\s+[^?,]{1,40})?\s*\?/iu;

/**
 * The options a choice question offers, each as its distinctive content words: "Should I
 * protect it with a mutex, a channel, or sync/atomic?" → [mutex], [channel], [sync, atomic];
 * "Is it better to rent or buy?" → [rent], [buy]. Empty when the prompt offers no choice.
 */
export function offeredOptions(prompt: string): string[][] {
  // One question at a time, each at most 600 characters: the pattern's search stays short
  // whatever the prompt holds.
  const m = (prompt.match(/[^?]{1,600}\?/g) ?? []).map((q) => CHOICE.exec(q)).find(Boolean);
  if (!m) return [];
  const parts = m[1]!.split(/,\s*(?:or\s+)?|\s+or\s+/).map((x) => contentWords(x.replace(/[/.+#-]/g, " ")));
  if (parts.length < 2 || parts.some((x) => x.length === 0)) return [];
  const distinct = parts.map((x, i) => x.filter((w) => !parts.some((y, j) => j !== i && y.includes(w))));
  return distinct.some((x) => x.length === 0) ? [] : distinct;
}

const THING = String.raw`(?:the\s+|an?\s+)?([\p{L}'-]+(?:\s+[\p{L}'-]+){0,2}?)`;
const THING_END = String.raw`(?=\s*[?,.;:!]|\s*$|\s+(?:in|when|for|at|on|as|from|and\s+why|and\s+how)\b)`;
/** Shapes of a comparison: "the difference between X and Y", "compare X with Y", "would an X and a Y each", "X vs Y". */
const COMPARISONS = [
  new RegExp(String.raw`\bdifferences?\s+between\s+${THING}\s+and\s+${THING}${THING_END}`, "iu"),
  new RegExp(String.raw`\bcompare\s+${THING}\s+(?:and|with|to)\s+${THING}${THING_END}`, "iu"),
  new RegExp(String.raw`\b(?:would|do|does|did|might)\s+${THING}\s+and\s+${THING}\s+each\b`, "iu"),
  new RegExp(
    String.raw`\b([\p{L}'-]+(?:\s+[\p{L}'-]+)?)\s+(?:vs\.?|versus)\s+([\p{L}'-]+(?:\s+[\p{L}'-]+)?)${THING_END}`,
    "iu",
  ),
];

/**
 * The two things a comparison asks about, each as its distinctive content words: "What is
 * the difference between short-term memory and working memory?" → [short-term], [working];
 * "How would a utilitarian and a Kantian each respond…?" → [utilitarian], [kantian];
 * "Compare X with Y", "X vs Y". Empty when the prompt has no such shape.
 */
export function comparedThings(prompt: string): string[][] {
  for (const re of COMPARISONS) {
    const m = re.exec(prompt);
    if (!m) continue;
    const [a, b] = [m[1]!, m[2]!].map((t) => contentWords(t.replace(/['"‘’“”`]/g, " "))) as [
      string[],
      string[],
    ];
    if (a.length === 0 || b.length === 0) return [];
    const onlyA = a.filter((w) => !b.includes(w));
    const onlyB = b.filter((w) => !a.includes(w));
    if (onlyA.length === 0 || onlyB.length === 0) return [];
    return [onlyA, onlyB];
  }
  return [];
}

/**
 * The thing a "What is the X of Y" question asks for (its head noun X, stemmed), when the
 * prompt has that shape; null otherwise.
 */
export function headTerm(prompt: string): string | null {
  const m =
    /\bwhat(?:'s| is| are| was| were)\s+the\s+(?:[\p{L}-]+\s+){0,2}?([\p{L}-]{4,})\s+(?:of|for|in)\b/iu.exec(
      prompt,
    );
  if (!m || contentWords(m[1]!).length === 0) return null;
  const w = stem(m[1]!.toLowerCase());
  return GENERIC.has(w) ||
    ["difference", "role", "purpose", "effect", "impact", "significance", "importance"].includes(w)
    ? null
    : w;
}

/** Flesch–Kincaid grade level of English prose (null for under 40 words). */
export function readingGrade(text: string): number | null {
  // A list item or a heading is a sentence of its own, whether or not it ends in a stop.
  const prose = proseOf(text)
    .split("\n")
    .map((l) =>
      l
        .replace(LINE_MARKER, "")
        .replace(/\*\*|__/g, "")
        .trim(),
    )
    .filter(Boolean)
    .map((l) => (/[.!?:;]["')\]]?$/.test(l) ? l : `${l}.`))
    .join("\n");
  const words = prose.match(/[A-Za-z][A-Za-z'-]*/g) ?? [];
  if (words.length < 40) return null;
  const sents = Math.max(1, sentences(prose.replace(/\n+/g, " ")).length);
  const syl = words.reduce((n, w) => n + syllables(w), 0);
  return 0.39 * (words.length / sents) + 11.8 * (syl / words.length) - 15.59;
}

/** The reading grades an audience description allows, when it names a level. */
export function audienceGrades(audience: string): { min: number; max: number; level: string } | null {
  const a = audience.toLowerCase();
  if (
    /\b(?:primary|elementary|child|children|kids?|young (?:learners|pupils|children)|year [1-6]\b|ages? [4-9]\b|(?:5|6|7|8|9|10)[- ]year[- ]olds?)/.test(
      a,
    )
  )
    return { min: 0, max: 8, level: "primary school" };
  if (/\b(?:middle school|ks3|key stage 3|lower secondary|pre-?teen|(?:11|12|13)[- ]year[- ]olds?)/.test(a))
    return { min: 0, max: 10, level: "middle school" };
  if (
    /\b(?:beginners?|novices?|newcomers?|laypeople|lay readers|general public|no (?:prior )?(?:[\w-]+ )?(?:experience|background|knowledge))\b/.test(
      a,
    )
  )
    return { min: 0, max: 11, level: "beginner" };
  if (
    /\b(?:expert|specialist|researcher|phd|postgraduate|graduate student|professional|practitioner|clinician)s?\b/.test(
      a,
    )
  )
    return { min: 9, max: 99, level: "expert" };
  return null;
}

/**
 * The text's reading level fits the requested audience: a Flesch–Kincaid grade well above
 * what a primary or middle-school audience reads, or far below an expert audience's, is an
 * audience mismatch. Null when the audience names no level or the text is too short.
 */
export function checkAudience(
  texts: string[],
  audience: string | undefined,
  language = "en",
): CheckResult | null {
  if (!audience || !language.startsWith("en")) return null;
  const want = audienceGrades(audience);
  if (!want) return null;
  const grade = readingGrade(texts.join("\n"));
  if (grade === null) return null;
  const g = Math.round(grade * 10) / 10;
  if (g > want.max + 2)
    return defectResult(
      "audience",
      "audience_mismatch",
      [
        `written at reading grade ${g}, too hard for the requested audience (${audience}); simplify it for ${want.level} readers`,
      ],
      0,
      { grade: g, ...want },
    );
  if (g < want.min - 3)
    return defectResult(
      "audience",
      "audience_mismatch",
      [
        `written at reading grade ${g}, too simple for the requested audience (${audience}); add the depth experts expect`,
      ],
      0,
      { grade: g, ...want },
    );
  return pass("audience", { grade: g, ...want });
}

/** A prompt that asks for its reply as a markdown table ("as a markdown table", "in a table"). */
const ASKS_TABLE = /\b(?:markdown|md)\s+table\b|\b(?:as|in|into)\s+a\s+table\b|\btabulate\b/i;

/**
 * A reply the prompt asks to be a markdown table is one that renders: its rows of cells
 * have the header's separator row (`|---|---|`) under the first. Rows of pipes without it
 * are text, not a table. Null when the prompt asks for no table or the reply has no rows of
 * cells (it may answer in another form; the judge decides that).
 */
export function checkRequestedTable(prompt: string, texts: string[]): CheckResult | null {
  if (!ASKS_TABLE.test(prompt)) return null;
  for (const text of texts) {
    const lines = proseOf(text)
      .split("\n")
      .map((l) => l.trim());
    const rows = lines.filter((l) => l.includes("|") && !/^\|?\s*:?-{3,}/.test(l));
    if (rows.length < 2) continue;
    const separator = lines.some((l) => /^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?$/.test(l));
    if (!separator)
      return defectResult("table", "format_invalid", [
        "the prompt asks for a markdown table, but the rows have no separator row (|---|) under the header, so they do not render as a table; add it and one | at each end of every row",
      ]);
  }
  return pass("table");
}

/** A prompt that asks for its reply as JSON ("Reply only with a JSON object", "return the result as JSON"). */
const ASKS_JSON =
  /\b(?:reply|respond|answer|return|output|give|provide|format(?:ted)?|write|produce)\b[^.?!\n]{0,40}\bJSON\b|\bJSON\s+(?:object|array|document)\b|\b(?:as|in)\s+JSON\b/i;

/** The keys a prompt names for its JSON ("with the keys a, b and c", "fields: a, b, c"). */
function askedKeys(prompt: string): string[] {
  const m =
    /\b(?:keys?|fields?|properties)\s*:?\s+((?:["'`]?[A-Za-z_][\w-]*["'`]?\s*(?:,\s*|\s+and\s+|,\s*and\s+)){1,15}["'`]?[A-Za-z_][\w-]*["'`]?)/i.exec(
      prompt,
    );
  if (!m) return [];
  return m[1]!.split(/\s*,\s*(?:and\s+)?|\s+and\s+/).map((k) => k.replace(/["'`]/g, "").trim());
}

/**
 * A reply the prompt asks to be JSON is JSON: the response's JSON (its fenced ```json block,
 * or the whole response when it starts with `{` or `[`) parses, and an object has the keys
 * the prompt names. A response with no JSON at all fails only when the prompt asks for JSON
 * alone ("reply only with …"). Null when the prompt does not ask for JSON.
 */
export function checkRequestedJson(prompt: string, texts: string[]): CheckResult | null {
  if (!ASKS_JSON.test(prompt)) return null;
  const only = /\bonly\b[^.?!\n]{0,30}\bJSON\b|\bJSON\b[^.?!\n]{0,30}\bonly\b|\bnothing else\b/i.test(prompt);
  const keys = askedKeys(prompt);
  for (const text of texts) {
    const t = text.trim();
    const fenced = [...t.matchAll(/```[ \t]*(json)?[ \t]*\n([\s\S]*?)```/gi)]
      .filter((m) => m[1] || /^\s*[[{]/.test(m[2]!))
      .map((m) => m[2]!.trim());
    const candidates = fenced.length ? fenced : /^[[{]/.test(t) ? [t] : [];
    if (candidates.length === 0) {
      if (only)
        return defectResult("json", "format_invalid", [
          "the prompt asks for JSON only, but the response holds none; reply with the JSON object",
        ]);
      continue;
    }
    for (const c of candidates) {
      let value: unknown;
      try {
        value = JSON.parse(c);
      } catch (e) {
        return defectResult("json", "format_invalid", [
          `the prompt asks for JSON, but the response's JSON does not parse (${(e as Error).message.slice(0, 120)}); write valid JSON (double quotes, no trailing commas)`,
        ]);
      }
      if (keys.length && value && typeof value === "object" && !Array.isArray(value)) {
        const missing = keys.filter((k) => !Object.hasOwn(value as object, k));
        if (missing.length)
          return defectResult("json", "format_invalid", [
            `the prompt asks for the keys ${keys.join(", ")}, but the JSON lacks ${missing.join(", ")}; include every key asked for`,
          ]);
      }
    }
  }
  return pass("json");
}
