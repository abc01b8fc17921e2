import { z } from "zod";
import { contentWords, coverage, escapeRe, sentences, syllables } from "../core/text.js";
import type { RequestConstraints } from "../core/types.js";
import { detectInjection } from "../sources/injection.js";
import type { GenerationInput } from "./types.js";

/**
 * Helpers for offline answers: every sentence they produce is taken word for word from
 * the ground-truth passages, so offline data stays grounded and checkable. An answer
 * answers its question first (a definition for "What is X?", the worked lines for a
 * calculation, a contrast for a comparison), then adds the sentences of the most
 * relevant passages that fit the question best. Which of several equally good sentences
 * is used is decided by a stable hash of the question, so two questions about the same
 * subject get different answers, and the same input always gets the same answer.
 *
 * What the request asks of the text (`input.brief.constraints`) is honoured where a
 * composer of source sentences can: for a learner audience ("A-level students",
 * "beginners") the simplest passages come first and simpler sentences are preferred; for
 * step-by-step reasoning the answer is numbered steps, one source sentence each. Sentences
 * other answers of the run already use (`input.used`, offline runs) are avoided: an answer
 * never opens like another, and reuses few of their sentences.
 */

// ---------------------------------------------------------------------------
// What the request asks of the text

/** How far a reader is into a subject, read from the request's audience. */
export type AudienceLevel = "novice" | "intermediate" | "expert";

/** The reading level an audience description names, or null when it names none ("engineers at Acme"). */
export function audienceLevel(audience: string | undefined): AudienceLevel | null {
  if (!audience?.trim()) return null;
  const a = audience.toLowerCase();
  if (
    /\b(?:experts?|specialists?|researchers?|phd|postgrad\w*|graduate students?|professionals?|practitioners?|clinicians?|physicians?|doctors?|scientists?|engineers?|developers?|professors?|academics?)\b/.test(
      a,
    )
  )
    return "expert";
  if (/\b(?:undergrad\w*|university|college|first[- ]year|sophomores?|freshm[ae]n)\b/.test(a))
    return "intermediate";
  if (
    /\b(?:child(?:ren)?|kids?|eli5|like i'?m (?:five|5)|primary|elementary|middle school|high school|secondary|gcse|a[- ]levels?|ks[1-4]|key stage|year \d+|grade \d+|beginners?|novices?|newcomers?|lay\w*|general public|non-experts?|students?|pupils?|learners?|teens?|teenagers?|school)\b/.test(
      a,
    )
  )
    return "novice";
  return null;
}

/** True when a style asks for reasoning laid out in steps ("step-by-step reasoning", "chain of thought"). */
export function wantsSteps(style: string | undefined): boolean {
  return /\bstep[- ]by[- ]step\b|\bchain[- ]of[- ]thought\b|\bnumbered steps\b|\bin steps\b/i.test(
    style ?? "",
  );
}

/** What the offline composers honour of a request's constraints. */
export interface OfflineStyle {
  /** The audience as the request says it. */
  audience: string | null;
  level: AudienceLevel | null;
  /** Answers as numbered steps. */
  steps: boolean;
}

/** The offline style of a request's constraints. */
export function offlineStyle(constraints: RequestConstraints | undefined): OfflineStyle {
  const audience = constraints?.audience?.replace(/\s+/g, " ").trim() || null;
  return { audience, level: audienceLevel(audience ?? undefined), steps: wantsSteps(constraints?.style) };
}

const FRAME_RE = /\s*Please answer(?: step by step)?(?:,? at a level suitable for [^\n]+?)?\.$/;

/**
 * A question as a user of the requested audience and style would ask it offline: "What
 * are esters? Please answer step by step, at a level suitable for A-level students." (the
 * question itself first, so its form is still read from its start). Unchanged when the
 * request asks for neither, or the question already asks for steps and no audience is set.
 */
export function frameQuestion(question: string, constraints: RequestConstraints | undefined): string {
  const style = offlineStyle(constraints);
  const steps = style.steps && !/\bstep[- ]by[- ]step\b/i.test(question);
  const audience = style.audience ? oneLine(style.audience, 80) : null;
  if (!steps && !audience) return question;
  const parts = [
    "Please answer",
    steps ? " step by step" : "",
    audience ? `${steps ? "," : ""} at a level suitable for ${audience}` : "",
  ];
  return `${question.trim()} ${parts.join("")}.`;
}

/** The question without the framing {@link frameQuestion} added (what it asks, for reading its form and subject). */
export function unframeQuestion(question: string): string {
  return question.replace(FRAME_RE, "").trim() || question;
}

function oneLine(value: string, max: number): string {
  const one = value
    .replace(/[\p{Cc}\s]+/gu, " ")
    .replace(/[.?!]+$/, "")
    .trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/**
 * The Flesch–Kincaid grade of a text (higher is harder), with formulas, numbers and
 * brackets counted as hard words: ranks passages and sentences from simplest to hardest.
 */
export function readingGrade(text: string): number {
  const words = text.match(/[A-Za-z][A-Za-z'-]*/g) ?? [];
  if (words.length === 0) return 20;
  const sents = Math.max(1, sentences(text).length);
  const syl = words.reduce((n, w) => n + syllables(w), 0);
  const symbols = (text.match(/[=×→^()[\]{}]|\d+(?:\.\d+)?/g) ?? []).length;
  return 0.39 * (words.length / sents) + 11.8 * ((syl + symbols) / words.length) - 15.59;
}

/** Items ordered simplest first by {@link readingGrade} of their text (stable for equal grades). */
export function simplestFirst<T>(items: readonly T[], text: (item: T) => string): T[] {
  return items
    .map((item, i) => ({ item, i, grade: readingGrade(text(item)) }))
    .sort((a, b) => a.grade - b.grade || a.i - b.i)
    .map((x) => x.item);
}

/**
 * Texts in the order a reader of the request's audience should meet them: simplest first
 * ({@link simplestFirst}) for a novice or intermediate audience, as they are otherwise.
 */
export function learnerOrder(
  texts: readonly string[],
  constraints: RequestConstraints | undefined,
): string[] {
  const level = offlineStyle(constraints).level;
  return level === "novice" || level === "intermediate" ? simplestFirst(texts, (t) => t) : [...texts];
}

/** The input with its question unframed (see {@link unframeQuestion}). */
function plain(input: GenerationInput): GenerationInput {
  const question = unframeQuestion(input.question);
  return question === input.question ? input : { ...input, question };
}

/** A sentence's key for "already used" (case and spacing do not matter). */
export function sentenceKey(text: string): string {
  return text.replace(/\s+/g, " ").trim().toLowerCase();
}

/** An answer without the numbering of its steps ("1. ", "2. "), as prose for splitting into sentences. */
export function withoutStepNumbers(text: string): string {
  return text.replace(/^[ \t]*\d+\.[ \t]+/gm, "");
}

/** What a question asks for. */
export type AskKind = "definition" | "comparison" | "calculation" | "steps" | "usage" | "explain";

/** A question read for answering: what kind of answer it wants, and about what. */
export interface Ask {
  kind: AskKind;
  /** The subject(s) as written in the question (two for a comparison of two things). */
  subjects: string[];
  /** Content words of the question that are not the subject's (the aspect asked about). */
  aspect: string[];
  /** False when the question is in no known form (the subject is then the whole question). */
  known: boolean;
}

const STRIP_END = /[\s?.!,;:]+$/;
const clean = (s: string) =>
  s
    .replace(/^(?:the|a|an)\s+/i, "")
    .replace(STRIP_END, "")
    .trim();
const END = "(?=[?.!,;:]|$)";

/** The question patterns, most specific first: kind and the groups that hold the subjects. */
const PATTERNS: Array<{ kind: AskKind; re: RegExp }> = [
  {
    kind: "comparison",
    re: new RegExp(String.raw`\bdifferences?\s+between\s+(.+?)\s+and\s+(.+?)${END}`, "i"),
  },
  {
    kind: "comparison",
    re: new RegExp(String.raw`^how\s+(?:does|do|is|are)\s+(.+?)\s+differ\s+from\s+(.+?)${END}`, "i"),
  },
  {
    kind: "comparison",
    re: /^(?:compare|contrast)\s+(.+?)\s+(?:with|and|to|versus|vs\.?)\s+(.+?)(?=\s+and\s+explain\b|[?.!,;:]|$)/i,
  },
  {
    kind: "calculation",
    re: new RegExp(
      String.raw`^(?:calculate|compute|work\s+out|find|determine|estimate|solve\s+for|solve)\s+(.+?)${END}`,
      "i",
    ),
  },
  { kind: "calculation", re: new RegExp(String.raw`^how\s+(?:many|much)\s+(.+?)${END}`, "i") },
  {
    kind: "steps",
    re: /^walk\s+(?:me\s+)?through\s+(?:the\s+(?:reasoning|steps|logic)\s+(?:behind|of|in)\s+)?(.+?)(?=\s+step\s+by\s+step|[?.!,;:]|$)/i,
  },
  { kind: "steps", re: new RegExp(String.raw`^how\s+(?:does|do)\s+(.+?)\s+work${END}`, "i") },
  {
    kind: "usage",
    re: /^how\s+(?:is|are)\s+(.+?)\s+(?:used|applied|observed|measured)\b/i,
  },
  {
    kind: "explain",
    re: /^what\s+(?:is|are)\s+the\s+(?:key\s+|main\s+|defining\s+|central\s+)?(?:properties|features|characteristics|ideas|roles?|importance|significance|purpose|functions?)\s+of\s+(.+?)(?=\s+in\s+|[?.!,;:]|$)/i,
  },
  {
    kind: "definition",
    re: new RegExp(String.raw`^(?:what|who)\s+(?:is|are|was|were)\s+(?:meant\s+by\s+)?(.+?)${END}`, "i"),
  },
  { kind: "definition", re: /^define\s+(.+?)(?=\s+and\s+|[?.!,;:]|$)/i },
  {
    kind: "explain",
    re: /^(?:explain|describe|discuss|analy[sz]e|outline|summari[sz]e|introduce)\s+(?:the\s+central\s+ideas\s+of\s+|the\s+main\s+ideas\s+of\s+)?(.+?)(?=\s+and\s+(?:its|their|why|how|what|the)\b|\s+in\s+depth\b|[?.!;:]|$)/i,
  },
  { kind: "explain", re: /^why\s+(?:is|are|do|does)\s+(.+?)\s+(?:important|matter|useful|needed)/i },
];

/** Reads what a question asks for and about what (deterministic, from its wording). */
export function readQuestion(question: string): Ask {
  const text = unframeQuestion(question.replace(/\s+/g, " ").trim());
  for (const { kind, re } of PATTERNS) {
    const m = re.exec(text);
    if (!m) continue;
    let subjects = m
      .slice(1)
      .filter((g): g is string => typeof g === "string")
      .map(clean)
      .filter((g) => contentWords(g).length > 0);
    // "Compare X with related concepts in chemistry": one subject.
    if (kind === "comparison")
      subjects = subjects.filter((g) => !/\brelated\s+(?:concepts|ideas|topics)\b/i.test(g));
    // "What is the role of X in Y?": the subject is X.
    subjects = subjects.map((g) =>
      clean(g.replace(/^(?:role|purpose|function|importance|significance|meaning)\s+of\s+/i, "")),
    );
    if (subjects.length === 0) continue;
    const k: AskKind =
      kind === "definition" && /^(?:role|purpose|function|importance|significance)\b/i.test(m[1] ?? "")
        ? "explain"
        : kind === "comparison" && subjects.length < 2
          ? "explain"
          : kind;
    return { kind: k, subjects, aspect: aspectOf(text, subjects), known: true };
  }
  return { kind: "explain", subjects: [clean(text)], aspect: [], known: false };
}

function aspectOf(text: string, subjects: string[]): string[] {
  const sub = new Set(subjects.flatMap((s) => contentWords(s)));
  return [...new Set(contentWords(text))].filter((w) => !sub.has(w));
}

/** True when a sentence's content words name the subject (all of a short subject's words, most of a long one's). */
function names(words: Set<string>, subject: string): boolean {
  const sw = [...new Set(contentWords(subject))];
  if (sw.length === 0) return false;
  const hit = sw.filter((w) => words.has(w)).length;
  return sw.length <= 2 ? hit === sw.length : hit / sw.length >= 0.67;
}

/** True when a sentence opens with the subject: its words come among the sentence's first content words. */
function leadsWith(sentence: string, subject: string): boolean {
  const sw = contentWords(subject);
  if (sw.length === 0) return false;
  const head = contentWords(sentence).slice(0, sw.length + 2);
  return sw.every((w) => head.includes(w));
}

/** True when a sentence defines the subject: it opens with it and says what it is. */
function defines(sentence: string, subject: string): boolean {
  if (!leadsWith(sentence, subject)) return false;
  return /\b(?:is|are|was|were|refers?\s+to|means?|describes?|denotes?|consists?\s+of|(?:is|are)\s+defined\s+as)\b/i.test(
    sentence.slice(0, subject.length + 60),
  );
}

const EXAMPLE = /\b(?:for example|for instance|e\.g\.|such as|consider)\b|\d/i;
const REASON =
  /\b(?:because|so that|therefore|thus|allows?|enables?|important|essential|role|why|leads? to|causes?)\b/i;
const PITFALL =
  /\b(?:not|never|misconception|mistake|common(?:ly)?|however|although|only|rather than|confus\w*|unlike)\b/i;
const CONTRAST = /\b(?:whereas|while|unlike|in contrast|differs?|difference|but|however|than|compared)\b/i;
const USAGE =
  /\b(?:used|uses?|applied|applications?|in practice|for example|such as|measured|found in|observed)\b/i;
const STEP = /\b(?:first|then|next|finally|because|therefore|so|gives?|yields?|leads? to)\b|=|→/i;
const WORKED = /=|≈|×|\d/;

interface Sent {
  text: string;
  /** Rank of its passage (0 = most relevant) and position in it. */
  passage: number;
  pos: number;
  words: Set<string>;
  /** Reading grade ({@link readingGrade}). */
  grade: number;
}

/** What the answer should address: the question, plus what a reviewer said was missing. */
function focus(input: GenerationInput): string {
  return [input.question, ...(input.revision?.notes ?? [])].join(" ");
}

/** Ground-truth passages ordered by how well they answer the question (those naming its subject first). */
export function rankedPassages(input: GenerationInput): string[] {
  input = plain(input);
  const f = focus(input);
  const ask = readQuestion(input.question);
  return input.passages
    .map((p, i) => {
      const words = new Set(contentWords(p.text));
      const named = ask.subjects.filter((s) => names(words, s)).length / ask.subjects.length;
      return {
        text: p.text,
        i,
        // A passage that opens with the question's subject ("The mole is ...") is about it.
        score:
          coverage(input.question, p.text) +
          coverage(f, p.text) / 2 +
          coverage(input.question, sentences(p.text)[0] ?? "") / 2 +
          named,
      };
    })
    .filter((p) => p.score > 0)
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map((p) => p.text);
}

/** Passages an answer of this difficulty uses (one more on revision). */
export function passageBudget(input: GenerationInput): number {
  const base = input.difficulty === "easy" ? 1 : input.difficulty === "medium" ? 2 : 3;
  return base + (input.revision ? 1 : 0);
}

/** Sentences of the ranked passages that may go into an answer (never text that tries to instruct a model). */
function candidateSentences(input: GenerationInput): Sent[] {
  const out: Sent[] = [];
  const seen = new Set<string>();
  rankedPassages(input).forEach((p, passage) => {
    sentences(p).forEach((text, pos) => {
      const key = text.toLowerCase();
      if (seen.has(key) || text.length < 12 || detectInjection(text).length > 0) return;
      seen.add(key);
      out.push({ text, passage, pos, words: new Set(contentWords(text)), grade: readingGrade(text) });
    });
  });
  return out;
}

/** Share of `words` present in a sentence. */
function share(words: string[], s: Sent): number {
  if (words.length === 0) return 0;
  return words.filter((w) => s.words.has(w)).length / words.length;
}

/** Reading grade a learner audience reads comfortably (sentences above it are penalised for novices). */
const NOVICE_GRADE = 9;
const INTERMEDIATE_GRADE = 13;

/**
 * Score taken off a sentence harder than the audience reads comfortably: 0.03 per grade
 * above, at most 0.3 (a tie-breaker among sentences that answer equally well, never a
 * reason to open "What is X?" with something other than X's definition). 0 for no level.
 */
function tooHard(s: Sent, level: AudienceLevel | null): number {
  const comfortable =
    level === "novice" ? NOVICE_GRADE : level === "intermediate" ? INTERMEDIATE_GRADE : null;
  if (comfortable === null) return 0;
  return Math.min(0.3, 0.03 * Math.max(0, s.grade - comfortable));
}

/** How well a sentence opens the answer to `ask` (the higher the better). */
function openingScore(s: Sent, ask: Ask, question: string): number {
  const named = ask.subjects.filter((x) => names(s.words, x)).length / ask.subjects.length;
  const defining = ask.subjects.some((x) => defines(s.text, x));
  let score = 2 * named + share(ask.aspect, s) + 0.3 * coverage(question, s.text) - 0.05 * s.passage;
  // A sentence about the subject (it leads with it) opens better than one that names it in
  // passing ("… and amides to amines" is about hydride reducers, not amines).
  if (ask.kind !== "comparison" && ask.subjects.some((x) => leadsWith(s.text, x))) score += 1;
  switch (ask.kind) {
    case "definition":
      score += defining ? 1.5 : 0;
      break;
    case "comparison":
      score += (named === 1 ? 1 : 0) + (CONTRAST.test(s.text) ? 0.6 : 0);
      break;
    case "calculation":
      score += (WORKED.test(s.text) ? 0.6 : 0) + (defining ? 0.2 : 0);
      break;
    case "steps":
      score += STEP.test(s.text) ? 0.4 : 0;
      break;
    case "usage":
      score += USAGE.test(s.text) ? 0.5 : 0;
      break;
    case "explain":
      // The plain definition opens "What is X?"; an explanation opens with what it adds.
      score += defining ? -0.6 : 0;
      break;
  }
  // Very long sentences make poor openings (and a short final answer needs one).
  if (s.text.split(/\s+/).length > 55) score -= 0.5;
  return score;
}

/** How much a sentence adds to the body of the answer. */
function bodyScore(s: Sent, ask: Ask, question: string): number {
  const named = ask.subjects.filter((x) => names(s.words, x)).length / ask.subjects.length;
  let score = named + share(ask.aspect, s) + coverage(question, s.text) - 0.08 * s.passage;
  if (ask.kind === "calculation" && WORKED.test(s.text)) score += 0.5;
  if (ask.kind === "comparison" && CONTRAST.test(s.text)) score += 0.3;
  if (ask.kind === "usage" && USAGE.test(s.text)) score += 0.3;
  if (ask.kind === "steps" && STEP.test(s.text)) score += 0.3;
  return score;
}

/**
 * True when a sentence belongs in the answer: it names a subject of the question, shares
 * a good part of what the question asks about, or continues the opening's passage.
 */
function bearsOn(s: Sent, ask: Ask, opening: Sent): boolean {
  if (ask.subjects.some((x) => names(s.words, x))) return true;
  if (s.passage === opening.passage) return true;
  return ask.aspect.length > 0 && share(ask.aspect, s) >= 0.5;
}

/** A stable jitter in [0, `scale`) for a sentence under a question: equally good sentences are chosen per question. */
const jitter = (question: string, text: string, scale: number) =>
  hashUnit(`${question}\u0000${text}`) * scale;

/** An answer's planned sentences: the opening, then the body (in passage order). */
interface Plan {
  opening: Sent | null;
  body: Sent[];
  ask: Ask;
  style: OfflineStyle;
}

/** Score taken off a body sentence another answer of the run already uses. */
const USED_PENALTY = 0.8;

function planAnswer(input: GenerationInput, sentenceBudget: number, exclude: Set<string> = new Set()): Plan {
  input = plain(input);
  const ask = readQuestion(input.question);
  const style = offlineStyle(input.brief?.constraints);
  const all = candidateSentences(input).filter((s) => !exclude.has(s.text));
  if (all.length === 0) return { opening: null, body: [], ask, style };
  const q = focus(input);
  const usedOpenings = new Set((input.used?.openings ?? []).map(sentenceKey));
  const usedSentences = new Set((input.used?.sentences ?? []).map(sentenceKey));
  const used = (s: Sent) => usedSentences.has(sentenceKey(s.text)) || usedOpenings.has(sentenceKey(s.text));
  // Never open like another answer of the run while another opening is left; when every
  // sentence that names the question's subject already opens another answer, the best of
  // them is kept (the run then drops this answer as a duplicate rather than answer beside the point).
  const openers = all.filter((s) => !usedOpenings.has(sentenceKey(s.text)));
  const namesSubject = (s: Sent) => ask.subjects.some((x) => names(s.words, x));
  const fresh = openers.length > 0 && (!ask.known || openers.some(namesSubject) || !all.some(namesSubject));
  const opening = [...(fresh ? openers : all)]
    .map((s) => ({
      s,
      score:
        openingScore(s, ask, q) -
        tooHard(s, style.level) -
        (used(s) ? 0.3 : 0) +
        jitter(input.question, s.text, 0.2),
    }))
    .sort((a, b) => b.score - a.score || a.s.passage - b.s.passage || a.s.pos - b.s.pos)[0]!.s;
  // The body: sentences that bear on the question (they name the subject or share its words).
  const scored = all
    .filter((s) => s !== opening && bearsOn(s, ask, opening))
    .map((s) => ({
      s,
      score:
        bodyScore(s, ask, q) -
        tooHard(s, style.level) -
        (used(s) ? USED_PENALTY : 0) +
        jitter(input.question, s.text, 0.3),
    }))
    .sort((a, b) => b.score - a.score);
  const body: Sent[] = [];
  // Sentences other answers use: at most half of the body (the rest is left out rather than repeated).
  const maxUsed = Math.floor((sentenceBudget - 1) / 2);
  let usedCount = 0;
  const take = (x: Sent) => {
    if (used(x)) {
      if (usedCount >= maxUsed) return;
      usedCount++;
    }
    body.push(x);
  };
  // A comparison covers each subject.
  if (ask.kind === "comparison") {
    for (const subject of ask.subjects) {
      if (body.some((b) => names(b.words, subject)) || names(opening.words, subject)) continue;
      const hit = scored.find((x) => names(x.s.words, subject) && !body.includes(x.s));
      if (hit) take(hit.s);
    }
  }
  for (const x of scored) {
    if (body.length >= sentenceBudget - 1) break;
    if (!body.includes(x.s)) take(x.s);
  }
  // In passage order; for a learner audience the simplest passages first.
  const order = passageOrder(all, style.level);
  body.sort((a, b) => order(a.passage) - order(b.passage) || a.passage - b.passage || a.pos - b.pos);
  return { opening, body, ask, style };
}

/**
 * The place of each passage (by rank) in an answer's body: its rank, or for a learner
 * audience its place from the simplest passage (mean reading grade of its sentences) to the hardest.
 */
function passageOrder(all: Sent[], level: AudienceLevel | null): (passage: number) => number {
  if (level !== "novice" && level !== "intermediate") return (p) => p;
  const grades = new Map<number, { sum: number; n: number }>();
  for (const s of all) {
    const g = grades.get(s.passage) ?? { sum: 0, n: 0 };
    g.sum += s.grade;
    g.n++;
    grades.set(s.passage, g);
  }
  const ranked = [...grades.entries()]
    .map(([p, g]) => ({ p, grade: g.sum / g.n }))
    .sort((a, b) => a.grade - b.grade || a.p - b.p);
  const place = new Map(ranked.map((x, i) => [x.p, i]));
  return (p) => place.get(p) ?? p;
}

/** Lays out an answer: the opening, then the body, a paragraph per passage (one line per step for a calculation). */
function layout(plan: Plan): string {
  if (!plan.opening) return "";
  // Step-by-step reasoning: numbered steps, one source sentence each.
  if (plan.style.steps) {
    return [plan.opening, ...plan.body].map((s, i) => `${i + 1}. ${s.text}`).join("\n");
  }
  if (plan.ask.kind === "calculation" || plan.ask.kind === "steps") {
    return [plan.opening, ...plan.body].map((s) => s.text).join("\n");
  }
  const paragraphs: string[][] = [[plan.opening.text]];
  let last = plan.opening.passage;
  for (const s of plan.body) {
    if (s.passage === last) paragraphs[paragraphs.length - 1]!.push(s.text);
    else {
      paragraphs.push([s.text]);
      last = s.passage;
    }
  }
  return paragraphs.map((p) => p.join(" ")).join("\n\n");
}

/** Sentences an answer of this input has: 3 easy, 5 medium, 7 hard (two more on revision). */
function sentenceBudget(input: GenerationInput, passages?: number): number {
  return 1 + 2 * (passages ?? passageBudget(input));
}

/**
 * A grounded prose answer that answers the question first: the sentence of the
 * ground-truth passages that best answers it (a definition for "What is X?", a worked
 * line for a calculation, a contrast for a comparison), then the sentences that add most
 * to it, in passage order, a paragraph per passage. `passages` sets the depth (3, 5, 7
 * sentences for 1, 2, 3). Falls back to the synthesized summary when no passage applies.
 */
export function composeAnswer(input: GenerationInput, opts: { passages?: number } = {}): string {
  input = plain(input);
  const text = layout(planAnswer(input, sentenceBudget(input, opts.passages)));
  if (text) return text;
  return input.context.summary || input.context.keyFacts.map((f) => f.fact).join(" ");
}

/** The opening sentence of {@link composeAnswer} (a short, grounded answer; at most `n` sentences of it). */
export function shortAnswer(input: GenerationInput, n = 1): string {
  input = plain(input);
  const plan = planAnswer(input, sentenceBudget(input));
  if (!plan.opening) return sentences(input.context.summary).slice(0, n).join(" ");
  return [plan.opening, ...plan.body.filter((s) => s.passage === plan.opening!.passage)]
    .slice(0, n)
    .map((s) => s.text)
    .join(" ");
}

/**
 * Turns of an offline conversation that stay on its subject: for each follow-up, up to
 * `n` sentences not used yet that name the subject (or, when none is left, bear on the
 * opening question), preferring those that fit the follow-up's intent.
 */
export function followUpAnswer(
  input: GenerationInput,
  intent: "example" | "reason" | "pitfall" | "more",
  used: Set<string>,
  n = 2,
): string {
  input = plain(input);
  const ask = readQuestion(input.question);
  const marker =
    intent === "example" ? EXAMPLE : intent === "reason" ? REASON : intent === "pitfall" ? PITFALL : null;
  const all = candidateSentences(input).filter((s) => !used.has(s.text));
  const onSubject = all.filter((s) => ask.subjects.some((x) => names(s.words, x)));
  const pool = onSubject.length > 0 ? onSubject : all.filter((s) => coverage(input.question, s.text) > 0);
  const chosen = pool
    .map((s) => ({
      s,
      score:
        (marker?.test(s.text) ? 1 : 0) +
        share(ask.aspect, s) +
        coverage(input.question, s.text) -
        0.05 * s.passage +
        jitter(`${input.question}\u0000${intent}`, s.text, 0.3),
    }))
    .sort((a, b) => b.score - a.score)
    .slice(0, n)
    .map((x) => x.s)
    .sort((a, b) => a.passage - b.passage || a.pos - b.pos);
  for (const s of chosen) used.add(s.text);
  return chosen.map((s) => s.text).join(" ");
}

/** Ways a response can be worse than the ideal one (stored as `rejection_reason`). */
export const FLAWS = ["factual_error", "incomplete", "unhelpful", "off_topic"] as const;
/** One of {@link FLAWS}. */
export type Flaw = (typeof FLAWS)[number];

/**
 * A flaw as a stored row may name it: one of {@link FLAWS}, `none`, or another short
 * snake_case label a dataset uses ("calculation_error", "wrong_language"). The generation
 * agents choose from {@link FLAWS}; a row reviewed or imported with its own vocabulary is
 * not invalid for it.
 */
export const flawLabelSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]{1,39}$/,
    `a flaw label in lower-case words joined by _ (${FLAWS.join(", ")}, or another such label)`,
  );

/**
 * The flaw of {@link FLAWS} a free-form label or reason comes closest to: a known label
 * itself, else read from its words ("calculation_error" or "The date is wrong" → factual_error,
 * "evasive", "never says" → incomplete, "unrelated" → off_topic, a correction such as "£50,
 * not £40" → factual_error); null when nothing fits.
 */
export function nearestFlaw(text: string | null | undefined): Flaw | null {
  const t = (text ?? "").toLowerCase().replace(/_/g, " ");
  const known = FLAWS.find((f) => t.startsWith(f.replace(/_/g, " ")));
  if (known) return known;
  if (/\boff[- ]topic|\bunrelated\b|\bdifferent (?:subject|topic|question)\b|\bnot about\b/.test(t))
    return "off_topic";
  if (
    /\b(?:wrong|incorrect|false|error|mistaken?|inaccurate|miscalculat\w*|contradict\w*|not true|untrue|bug\w*|fails?|backwards?|reversed?|the opposite|(?:the )?other way round|confus(?:es|ed|ing)|mix(?:es|ed) up|swap(?:s|ped)?|switched|transposed|interchanged|forgets?|forgot(?:ten)?|neglects?|misstat\w*|misidentif\w*|misreads?|invalid|flawed|misconception)\b/.test(
      t,
    )
  )
    return "factual_error";
  // A reason that corrects the completion ("the government adds £50, not £40"; "the effect is
  // negligible"; "it doesn't prevent sticking") names a factual error in its own words.
  if (
    /,\s*not\s+(?:an?\s+|the\s+)?[\p{L}\d£$€]|\bnegligible\b|\b(?:is|are|was|were|does|do|did)(?:n't|\s+not)\s+(?!mention|explain|address|answer|say|give|cover|include|describe|show|discuss|complete|finish|full|enough|detailed|specific|clear|helpful|relevant|go\b)\p{L}/u.test(
      t,
    )
  )
    return "factual_error";
  if (
    /\b(?:incomplete|evasive|evades?|never (?:says|gives|answers|explains)|misses|missing|omits?|partial|only)\b/.test(
      t,
    )
  )
    return "incomplete";
  if (/\b(?:unhelpful|vague|unclear|hedg\w*|refus\w*|verbose|jargon|language|audience)\b/.test(t))
    return "unhelpful";
  return null;
}

/** A deliberately worse response and what is wrong with it. */
export interface Degraded {
  text: string;
  flaw: Flaw;
  /** One or two sentences saying what is wrong, grounded in the sources. */
  explanation: string;
}

/** Word pairs whose swap turns a true statement into a plausible false one. */
const ANTONYMS: Array<[string, string]> = [
  ["increases", "decreases"],
  ["increase", "decrease"],
  ["higher", "lower"],
  ["more", "less"],
  ["larger", "smaller"],
  ["faster", "slower"],
  ["stronger", "weaker"],
  ["strong", "weak"],
  ["above", "below"],
  ["before", "after"],
  ["maximum", "minimum"],
  ["positive", "negative"],
  ["acidic", "basic"],
  ["exothermic", "endothermic"],
  ["oxidation", "reduction"],
  ["nucleophile", "electrophile"],
  ["primary", "tertiary"],
  ["cis", "trans"],
  ["always", "never"],
  ["gains", "loses"],
  ["releases", "absorbs"],
  ["polar", "nonpolar"],
  ["first", "last"],
  ["inside", "outside"],
];

/** A number changed into a plausible wrong one: 6 → 8, 18.02 → 36.04, 0.5 → 1.0 (same decimals). */
function wrongNumber(n: string): string {
  const decimals = n.includes(".") ? n.split(".")[1]!.length : 0;
  const v = Number(n);
  const w = v === 0 ? 1 : Number.isInteger(v) && v < 10 ? v + 2 : v * 2;
  return w.toFixed(decimals);
}

/**
 * A factual error introduced into one sentence of `text`: a number changed or a key
 * word swapped for its opposite. Returns null when no sentence offers either.
 */
export function introduceFactualError(
  text: string,
): { text: string; original: string; altered: string } | null {
  // The numbers of numbered steps are not facts.
  const sents = sentences(withoutStepNumbers(text));
  for (const s of sents) {
    for (const [a, b] of ANTONYMS) {
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        const re = new RegExp(`\\b${escapeRe(from)}\\b`);
        if (re.test(s)) {
          const altered = s.replace(re, to);
          return { text: text.replace(s, altered), original: s, altered };
        }
      }
    }
  }
  for (const s of sents) {
    // A standalone number (not part of a formula such as H2O or a year-like label).
    const m = /(?<![\w.^−-])(\d+(?:\.\d+)?)(?![\w.]*\d*[A-Za-z])/.exec(s);
    if (m) {
      const altered = s.slice(0, m.index) + wrongNumber(m[1]!) + s.slice(m.index + m[1]!.length);
      if (altered !== s) return { text: text.replace(s, altered), original: s, altered };
    }
  }
  return null;
}

/** The lines of an answer written as numbered steps ("1. …"), or null when it is not one. */
function numberedSteps(text: string): string[] | null {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.length > 0 && lines.every((l) => /^\d+\.\s/.test(l)) ? lines : null;
}

/** The passage least related to the question (for an off-topic answer), if it is clearly unrelated. */
function unrelatedPassage(input: GenerationInput, avoid: string): string | null {
  const ranked = input.passages
    .map((p) => ({ text: p.text, score: coverage(input.question, p.text) }))
    .filter((p) => !avoid.includes(p.text))
    .sort((a, b) => a.score - b.score);
  const best = ranked[0];
  return best && best.score < 0.35 ? best.text : null;
}

/** Makes a response that is worse than `good` in the stated way; null when that flaw cannot be made from this input. */
export function degrade(input: GenerationInput, good: string, flaw: Flaw): Degraded | null {
  input = plain(input);
  switch (flaw) {
    case "factual_error": {
      const e = introduceFactualError(good);
      if (!e) return null;
      return {
        text: e.text,
        flaw,
        explanation: `It states "${e.altered}" where the sources say "${e.original}".`,
      };
    }
    case "incomplete": {
      const steps = numberedSteps(good);
      if (steps) {
        if (steps.length < 2) return null;
        const keep = Math.max(1, Math.floor(steps.length / 3));
        const left = steps[keep]!.replace(/^\d+\.\s+/, "");
        const cut = left.length > 90 ? `${left.slice(0, 90).replace(/\s+\S*$/, "")}…` : left;
        return {
          text: steps.slice(0, keep).join("\n"),
          flaw,
          explanation: `It stops after ${keep} of ${steps.length} steps and leaves out the rest, starting with "${cut}"`,
        };
      }
      const sents = sentences(good);
      if (sents.length < 2) return null;
      const keep = sents.slice(0, Math.max(1, Math.floor(sents.length / 3)));
      const left = sents[keep.length]!;
      const cut = left.length > 90 ? `${left.slice(0, 90).replace(/\s+\S*$/, "")}…` : left;
      return {
        text: keep.join(" "),
        flaw,
        explanation: `It stops after ${keep.length} of ${sents.length} sentences and leaves out the rest, starting with "${cut}"`,
      };
    }
    case "unhelpful":
      return {
        text: "That depends on the details, and there is a lot to say about it. It is best to look it up in a textbook or ask an instructor, who can explain it properly.",
        flaw,
        explanation: "It deflects the question and gives no information about it.",
      };
    case "off_topic": {
      const other = unrelatedPassage(input, good);
      if (!other) return null;
      return {
        text: other,
        flaw,
        explanation: `It answers a different question: "${sentences(other)[0] ?? other}" does not address what was asked.`,
      };
    }
  }
}

/** A stable pseudo-random number in [0, 1) from a string (FNV-1a). */
export function hashUnit(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 0x100000000;
}

/**
 * A worse response for an offline example: the flaw is picked from `order` starting at a
 * position derived from the question (so a dataset mixes flaws), skipping flaws this
 * input cannot produce. Falls back to "unhelpful", which always applies.
 */
export function offlineDegrade(
  input: GenerationInput,
  good: string,
  order: readonly Flaw[] = FLAWS,
  salt = "",
): Degraded {
  const start = Math.floor(hashUnit(input.question + salt) * order.length);
  for (let i = 0; i < order.length; i++) {
    const d = degrade(input, good, order[(start + i) % order.length]!);
    if (d && d.text.trim() !== good.trim()) return d;
  }
  return degrade(input, good, "unhelpful")!;
}

/** Offline 1–10 rating of a response with a flaw (or of a good one). */
export const OFFLINE_RATINGS: Record<Flaw | "none", number> = {
  none: 9,
  incomplete: 5,
  factual_error: 3,
  off_topic: 2,
  unhelpful: 2,
};
