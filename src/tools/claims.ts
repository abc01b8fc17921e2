import { memoizeText } from "../core/memo.js";
import {
  contentWords,
  DECIMAL_COMMA,
  definesOneUnit,
  LINE_MARKER,
  sentences,
  setsOwnCase,
} from "../core/text.js";
import { numericEquivalent, parseQuantity, sameDimension } from "./maths.js";

/**
 * Claims and the lexical fact check: an answer split into checkable claims, and each claim
 * compared word for word (and number for number) with the ground-truth passages. The
 * lexical check decides only what it can decide with confidence: a claim the passages
 * state (supported), a claim whose number or direction word disagrees with the sentence
 * that states the same thing (contradicted). The rest is `undecided` and goes to a model.
 */

/** The three verdicts of a fact check. */
export type ClaimVerdict = "supported" | "contradicted" | "not_found";

/** A checkable statement from an answer. */
export interface Claim {
  id: number;
  text: string;
}

/** The lexical verdict on one claim. */
export interface LexicalVerdict {
  id: number;
  claim: string;
  verdict: ClaimVerdict | "undecided";
  /** Share of the claim's content words in the best-matching passage sentence. */
  coverage: number;
  sourceId: string | null;
  /** The best-matching passage sentence. */
  evidence: string | null;
  /** How the verdict was reached: `lexical`, `numeric`, `antonym`, `negation`. */
  method: string;
  reason: string;
}

/** Options of {@link splitClaims}. */
export interface ClaimOptions {
  /** Claims kept at most (the first ones). Default 24. */
  max?: number;
  /** Content words a sentence needs to be a claim. Default 3. */
  minWords?: number;
}

/** A markdown table's cells, emphasis removed. */
const cellsOf = (line: string) =>
  line
    .replace(/^\s*\||\|\s*$/g, "")
    .split("|")
    .map((c) => c.replace(/[*_`]/g, " ").replace(/\s+/g, " ").trim());

/** The corner of a table whose columns are the things compared ("| | Ale yeast | Lager yeast |"). */
const COMPARISON_CORNER =
  /^(?:|features?|property|properties|aspects?|characteristics?|criteri(?:on|a)|factors?)$/i;

/** A markdown table read: its header cells, body rows, and whether its columns are the things compared. */
export function readTable(lines: string[]): { header: string[]; body: string[][]; byColumn: boolean } | null {
  const rows = lines.map(cellsOf).filter((c) => !c.every((x) => /^:?-*:?$/.test(x)));
  if (rows.length < 2) return null;
  const [header, ...body] = rows as [string[], ...string[][]];
  return { header, body, byColumn: COMPARISON_CORNER.test(header[0] ?? "") };
}

/**
 * What each cell of a comparison table (the things compared in its columns) states, as a
 * sentence of its column and row labels: "Steel carbon: about 5–10%". A table with a thing
 * per row is often a calculation ("| Fibre | 3 g | 2 kcal/g | 6 kcal |"), whose cells are
 * not statements of their own; a label's parenthesis ("Augustus (27 BC – AD 14)") is left out.
 */
export function tableCellStatements(lines: string[]): string[] {
  const t = readTable(lines);
  if (!t?.byColumn) return [];
  const label = (x: string) => x.replace(/\s*\([^)]*\)/g, "").trim();
  return t.body.flatMap((r) =>
    r.slice(1).flatMap((cell, i) => {
      const head = label(t.header[i + 1] ?? "");
      const row = label(r[0] ?? "");
      return head && row && cell ? [`${head} ${row}: ${cell}`] : [];
    }),
  );
}

/**
 * Splits an answer into claims: its sentences (and `;`-separated clauses), without code
 * blocks, headings, list markers, questions, computations (checked by the arithmetic
 * verifier instead) and fragments too short to state a fact.
 */
export function splitClaims(answer: string, opts: ClaimOptions = {}): Claim[] {
  const max = opts.max ?? 24;
  const minWords = opts.minWords ?? 3;
  // Each line is a statement of its own (a heading, a list item, a step of a calculation:
  // "ΔT = 80 − 20 = 60 °C" is not part of the sentence above it), except a line that
  // continues a wrapped sentence (the line before ends without punctuation, this one starts
  // in lower case).
  const withoutCode = answer.replace(/```[\s\S]*?```/g, " ");
  // A table's cells are claims too, each with its row and column labels.
  const tables = [...withoutCode.matchAll(/(?:^[ \t]*\|.*\|[ \t]*(?:\n|$)){3,}/gm)].flatMap((m) =>
    tableCellStatements(m[0].trim().split("\n")).map((c) => `${c}.`),
  );
  const lines = [withoutCode, ...tables]
    .join("\n")
    .split("\n")
    .map((l) => l.replace(LINE_MARKER, "").trim())
    .filter((l) => l && !/^(?:\|.*\||[-=]{3,})$/.test(l));
  const statements: string[] = [];
  for (const l of lines) {
    const last = statements.length - 1;
    if (last >= 0 && !/[.!?:]$/.test(statements[last]!) && /^\p{Ll}/u.test(l) && !/^\p{L}\w*\s*=/u.test(l))
      statements[last] = `${statements[last]} ${l}`;
    else statements.push(l);
  }
  const out: Claim[] = [];
  for (const s of statements.flatMap((l) => sentences(/[.!?:]$/.test(l) ? l : `${l}.`))) {
    for (const part of s.split(/;\s+/)) {
      // Markdown emphasis ("= **11.25 mL**") is not part of what the claim states.
      const t = part
        .replace(/\*\*|__/g, "")
        .trim()
        .replace(/^[,;:\s]+/, "");
      if (!t || /\?$/.test(t)) continue;
      if (contentWords(t).length < minWords) continue;
      // "Half-life of carbon-14 = 5,370 years" states a value: the claim "… is 5,370 years".
      const value = STATED_VALUE.exec(t);
      if (value && contentWords(value[1]!).length >= 2) {
        out.push({ id: out.length + 1, text: `${value[1]!.trim()} is ${value[2]!.trim()}` });
        if (out.length >= max) return out;
        continue;
      }
      // Computations ("n = 10.0 g / 18.015 g/mol = 0.555 mol") are the arithmetic verifier's job.
      if (/[=≈]\s*[-−]?\d/.test(t) && /\d[^=≈]*[-+*/×÷][^=≈]*[=≈]|[=≈]\s*[-−]?\d[\d.,]*\s*[\w/]*\.?$/.test(t))
        continue;
      out.push({ id: out.length + 1, text: t });
      if (out.length >= max) return out;
    }
  }
  return out;
}

/**
 * "Name of a thing = value unit": words (names with digits allowed, no operators) equal to
 * one value. The unit is matched one character at a time, each with the spaces before it:
 * `(?:\s*[…]+)*` splits a word in exponentially many ways and hangs on a long sentence
 * that fails at its end.
 */
const STATED_VALUE =
  /^(\p{L}(?:[^=≈\d+*/×÷^]|(?<=\p{L}-)\d+)*?)\s*[=≈]\s*([-−]?\d[\d.,]*(?:\s*[\p{L}°%/·])*)\.?$/u;

const NEGATORS =
  /\b(?:not|no|never|cannot|can't|won't|isn't|aren't|doesn't|don't|didn't|wasn't|weren't|neither|nor|without|none)\b|n't\b/gi;

/** Word families that state opposite things. Matched on word prefixes. */
const ANTONYMS: Array<[string, string]> = [
  ["increas", "decreas"],
  ["higher", "lower"],
  ["raise", "lower"],
  ["more", "less"],
  ["more", "fewer"],
  ["exotherm", "endotherm"],
  ["gain", "los"],
  ["absorb", "releas"],
  ["above", "below"],
  ["larger", "smaller"],
  ["faster", "slower"],
  ["strong", "weak"],
  ["soluble", "insoluble"],
  ["polar", "nonpolar"],
  ["positiv", "negativ"],
  ["maxim", "minim"],
  ["before", "after"],
  ["acceptor", "donor"],
  ["cation", "anion"],
  ["anode", "cathode"],
  ["saturated", "unsaturated"],
  ["organic", "inorganic"],
  ["always", "never"],
  ["true", "false"],
  ["reversib", "irreversib"],
  ["expand", "contract"],
  ["heat", "cool"],
  ["oxidiz", "reduc"],
  ["oxidis", "reduc"],
  ["stable", "unstable"],
  ["decrease", "rise"],
  ["hydrophob", "hydrophil"],
  ["attract", "repel"],
  ["north", "south"],
  ["east", "west"],
];

const WORD = /[\p{L}][\p{L}'-]*/gu;

function wordsOf(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

function hasFamily(ws: string[], prefix: string): boolean {
  return ws.some(
    (w) =>
      w.startsWith(prefix) &&
      !(
        prefix.length <= 5 &&
        (w.startsWith(`in${prefix}`) ||
          w.startsWith(`un${prefix}`) ||
          w.startsWith(`non${prefix}`) ||
          w.startsWith(`ir${prefix}`))
      ),
  );
}

/** A number stated in text: its unit when one follows, and the words around it. */
export interface StatedNumber {
  text: string;
  value: number;
  unit: string | null;
  /** The word before the number (lower case), e.g. "in" of "in 1938". */
  before: string | null;
  /** The word after it (lower case), e.g. "carbon" of "6 carbon atoms". */
  after: string | null;
  /** The value of one unit in another ("one parsec is about 3.26 light-years"): a conversion factor. */
  perOne?: boolean;
  /** A rate: its unit is per something ("20 dB per decade", "−20 dB/decade"). */
  rate?: boolean;
  /** An end of a span "from 0 °C to 100 °C": a bound, not a value of the thing. */
  spanEnd?: boolean;
}

/**
 * What follows a number that makes it a rate: its unit, up to three words, then "per" or a
 * "/" ("20 dB per decade", "343 m/s", "1 g of xylitol per kg").
 */
export const RATE_AFTER =
  /^\s*(?:[^\s\d/.,;:()]+\s+){0,3}?[^\s\d/.,;:()]{0,10}\s*(?:\/\s*\p{L}|per\s+\p{L})/u;

/** The function words of French, Spanish and German rows: they bind no number to a thing ("2,5 % de la population"). */
export const OTHER_FUNCTION_WORDS: ReadonlySet<string> = new Set(
  "de la le les des du et est sont un une au aux sur par pour dans que qui el los las del y en es son por para con se lo der die das und ist sind ein eine mit von zu dem im auf für".split(
    " ",
  ),
);

/** Words a source uses for a fall, where a row may write the amount with a minus sign. */
export const FALL_WORDS =
  /\b(?:falls?|fell|falling|drops?|dropped|declines?|declined|decreases?|decreased|attenuat\w*|roll(?:s|ed)?[- ]off|down|below|loss)\b/i;

const UNIT_TOKENS = new Set(
  (
    "g kg mg µg ug ng mol mmol µmol umol kmol L mL µL uL dL M mM µM uM molar J kJ MJ cal kcal eV keV MeV K degC degF °C °F " +
    "atm Pa kPa MPa hPa bar mbar torr mmHg psi m km cm mm µm um nm pm Å s ms µs us ns min h hr Hz kHz MHz GHz V mV kV A mA " +
    "W kW MW C T N kN % ppm ppb Da kDa amu D"
  ).split(" "),
);

/** A unit a scientific text states (g/mol, kJ/mol, °C...), not an English word mathjs also reads ("at", "in"). */
function isScientificUnit(unit: string): boolean {
  const tokens = unit
    .replace(/[()^·*/]/g, " ")
    .replace(/-?\d+/g, " ")
    .split(/\s+/)
    .filter(Boolean);
  return tokens.length > 0 && tokens.every((t) => UNIT_TOKENS.has(t));
}

/** A kind named by a number ("type 1", "stage II", "class 3"): the label word and the number. */
const KIND_LABEL = /\b(type|stage|grade|class|phase|category|generation)\s+(\d+|[ivx]+)\b/g;

/**
 * Whether a source sentence is about another kind than the claim ("type 1 … 5–10% of cases"
 * against a sentence on type 2): kinds named by number that differ are different things,
 * whose values are not compared.
 */
export function otherKind(claim: string, sentence: string): boolean {
  const kinds = (text: string) =>
    new Map([...text.toLowerCase().matchAll(KIND_LABEL)].map((m) => [m[1]!, m[2]!] as [string, string]));
  const mine = kinds(claim);
  return [...kinds(sentence)].some(([k, v]) => mine.has(k) && mine.get(k) !== v);
}

/** Words before a number that make it a label, not a value ("Step 3", "Table 2"). */
const LABEL_WORDS = new Set([
  "step",
  "part",
  "case",
  "example",
  "figure",
  "fig",
  "table",
  "equation",
  "eq",
  "section",
  "chapter",
  "question",
  "item",
  "line",
  "no",
  "number",
  "stage",
  "phase",
]);

/** Numbers stated in text, with a unit when one follows. */
export function numbersIn(text: string): StatedNumber[] {
  return numbersInCached(text).map((n) => ({ ...n }));
}

// A passage is read once per claim checked against it: remember the last few thousand.
const numbersInCached = memoizeText(numbersInUncached, 2048);

const SUPERSCRIPT_DIGITS: Record<string, string> = Object.fromEntries(
  [..."⁰¹²³⁴⁵⁶⁷⁸⁹"].map((c, i) => [c, String(i)]).concat([["⁻", "-"]]),
);

function numbersInUncached(raw: string): StatedNumber[] {
  const out: StatedNumber[] = [];
  // "5,730 ± 40 years": the uncertainty is not a second value.
  const text = raw
    .replace(/\s*±\s*\d[\d,.]*/g, (m) => " ".repeat(m.length))
    // A power written in superscript is part of its unit ("398,600 km³/s²", "10⁸ m/s").
    .replace(/[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+/g, (m) => `^${[...m].map((c) => SUPERSCRIPT_DIGITS[c]).join("")}`);
  const re =
    /(?<![\w.,])[-−]?(?:0,\d+(?!\d)|\d+,(?:\d{1,2}|\d{4,})(?![\d,])|\d+(?:,\d{3})*(?:\.\d+)?)(?:\s*(?:×|x)\s*10\^?[-−]?\d+)?(?:\s*(?:%|[a-zA-Zµ°](?:[\w°·^-]|\/(?=[a-zA-Zµ°]))*(?:\s*\/\s*[a-zA-Z]+)?))?/g;
  for (const m of text.matchAll(re)) {
    const lead = /^[-−]?[\d,]+/.exec(m[0])![0];
    const raw = (DECIMAL_COMMA.test(lead) ? m[0].replace(",", ".") : m[0]).replace(/−/g, "-");
    // Years and ordinals are numbers too; a unit is kept only when mathjs reads it.
    let q = parseQuantity(raw);
    if (!q) continue;
    if (q.unit && !isScientificUnit(q.unit))
      q = parseQuantity(/^[-−]?[\d.,]+(?:\s*(?:×|x)\s*10\^?[-−]?\d+)?/.exec(raw)?.[0] ?? raw);
    if (!q) continue;
    const before =
      /([\p{L}]+)[^\p{L}\d]*$/u.exec(text.slice(Math.max(0, m.index - 30), m.index))?.[1]?.toLowerCase() ??
      null;
    const numEnd = m.index + (/^[-−]?[\d.,]+/.exec(m[0])?.[0].length ?? m[0].length);
    const after = /^[^\p{L}\d]*([\p{L}]+)/u.exec(text.slice(numEnd, numEnd + 30))?.[1]?.toLowerCase() ?? null;
    const perOne = definesOneUnit(text.slice(Math.max(0, m.index - 60), m.index));
    const rate = RATE_AFTER.test(text.slice(numEnd, numEnd + 48));
    const spanEnd =
      before === "from" ||
      /\bfrom\s+[-−]?\d[\d.,]*\s*\S{0,4}\s+to\s+$/.test(text.slice(Math.max(0, m.index - 40), m.index));
    out.push({
      text: raw.trim().replace(/\s+/g, " "),
      value: q.value,
      unit: q.unit,
      before,
      after,
      ...(perOne ? { perOne } : {}),
      ...(rate ? { rate } : {}),
      ...(spanEnd ? { spanEnd } : {}),
    });
  }
  return out;
}

interface Sentence {
  sourceId: string;
  /** The whole passage the sentence is from. */
  passage: string;
  text: string;
  words: Set<string>;
}

/** Splits passages into sentences once, for many claims. */
export function indexPassages(passages: Array<{ sourceId: string; text: string }>): Sentence[] {
  const out: Sentence[] = [];
  for (const p of passages) {
    for (const s of sentences(p.text))
      out.push({ sourceId: p.sourceId, passage: p.text, text: s, words: new Set(contentWords(s)) });
  }
  return out;
}

function coverageOf(claimWords: string[], sentence: Sentence): number {
  if (claimWords.length === 0) return 0;
  let hit = 0;
  for (const w of claimWords) if (sentence.words.has(w)) hit++;
  return hit / claimWords.length;
}

/** The best coverage of the claim's words by a sentence that states the number `text`. */
function numberHolderCoverage(text: string, claimWords: string[], index: Sentence[]): number {
  let best = 0;
  for (const s of index)
    if (numbersIn(s.text).some((m) => numericEquivalent(text, m.text).equivalent))
      best = Math.max(best, coverageOf(claimWords, s));
  return best;
}

/** The content words of a passage (every claim is checked against every passage). */
const passageWordSet = memoizeText((text) => new Set(contentWords(text)), 1024);

/** Options of {@link lexicalCheck}. */
export interface LexicalOptions {
  /** Coverage at which a claim counts as stated by a sentence. Default 0.7. */
  supportAt?: number;
  /** Coverage at which a disagreeing number or direction word contradicts. Default 0.5. */
  contradictAt?: number;
  /** Below this coverage the offline verdict is `not_found`. Default 0.35. */
  notFoundBelow?: number;
  /** Decide everything (offline): undecided claims become supported or not_found. */
  decideAll?: boolean;
}

/**
 * The lexical fact check of one claim against the passage sentences: supported when a
 * sentence (or the whole of one passage) states the claim's content words and numbers;
 * contradicted when the sentence that states the same thing has a different number
 * (with the same unit), the opposite direction word, or the opposite polarity; otherwise
 * undecided (or, with `decideAll`, not_found).
 */
export function lexicalCheck(
  claim: Claim,
  index: Sentence[],
  passages: Array<{ sourceId: string; text: string }>,
  opts: LexicalOptions = {},
): LexicalVerdict {
  const supportAt = opts.supportAt ?? 0.7;
  const contradictAt = opts.contradictAt ?? 0.5;
  const cw = [...new Set(contentWords(claim.text))];
  let best: Sentence | null = null;
  let bestCov = 0;
  for (const s of index) {
    const c = coverageOf(cw, s);
    if (c > bestCov) {
      bestCov = c;
      best = s;
    }
  }
  const base = {
    id: claim.id,
    claim: claim.text,
    coverage: round(bestCov),
    sourceId: best?.sourceId ?? null,
    evidence: best?.text ?? null,
  };
  // Whole-passage coverage, for claims that merge two sentences of one passage.
  let passageCov = 0;
  let passageId: string | null = null;
  for (const p of passages) {
    const pw = passageWordSet(p.text);
    const c = cw.length ? cw.filter((w) => pw.has(w)).length / cw.length : 0;
    if (c > passageCov) {
      passageCov = c;
      passageId = p.sourceId;
    }
  }
  // Numbers in code (`lst[::-1]`, a list literal [3, 2, 1]) are values of the code, checked by
  // running it, not quantities a source states.
  // The result of a calculation written out ("0,34 − (−0,76) = 1,10 V") is the arithmetic
  // check's to verify, not a value a source states.
  const claimNums = numbersIn(
    claim.text
      .replace(/`[^`]*`/g, " ")
      .replace(/\[[^\]]*\]/g, " ")
      .replace(/\b\w+\([^()]*\)/g, " ")
      .replace(CALCULATION_RESULT, "$1 "),
  );
  const ownCase = setsOwnCase(
    claim.text,
    claimNums.map((n) => n.text),
    passages,
  );
  if (best && bestCov >= contradictAt && !otherKind(claim.text, best.text)) {
    const sentNums = ownCase ? [] : numbersIn(best.text);
    const passageNums = numbersIn(best.passage);
    for (const n of claimNums) {
      if (n.before && LABEL_WORDS.has(n.before)) continue;
      const found = passageNums.some((m) => numericEquivalent(n.text, m.text).equivalent);
      // A value the source gives, but for another thing: the sentence that states the claim
      // (70% of its words) gives another value of the same kind, and every sentence that
      // holds the claim's number states far less of it ("a solar day … lasts 59 Earth days"
      // where 59 days is the source's rotation period and its solar day is 176 days).
      if (found && (bestCov < 0.7 || numberHolderCoverage(n.text, cw, index) > bestCov - 0.3)) continue;
      // A rival the claim states too is another quantity's value ("dated in 2009 … Bacon's death in 1292").
      const rival = sentNums.find(
        (m) =>
          !m.perOne &&
          !m.spanEnd &&
          sameKind(n, m) &&
          // "−40 dB/decade" where the source's response "falls at 40 dB per decade".
          !(n.value === -m.value && (/^db$/i.test(n.after ?? "") || FALL_WORDS.test(best.text))) &&
          !numericEquivalent(n.text, m.text).equivalent &&
          !claimNums.some((c) => numericEquivalent(c.text, m.text).equivalent),
      );
      if (rival && found) {
        return {
          ...base,
          verdict: "contradicted",
          method: "numeric",
          reason: `the claim says ${n.text}; the source says ${rival.text} (it gives ${n.text} for something else)`,
        };
      }
      if (rival) {
        return {
          ...base,
          verdict: "contradicted",
          method: "numeric",
          reason: `the claim says ${n.text}; the source says ${rival.text}`,
        };
      }
    }
    // A direction word the claim has where the source sentence has its opposite.
    const claimWs = new Set(wordsOf(claim.text));
    const sentWs = new Set(wordsOf(best.text));
    const claimOnly = [...claimWs].filter((w) => !sentWs.has(w));
    const sentOnly = [...sentWs].filter((w) => !claimWs.has(w));
    for (const [a, b] of ANTONYMS) {
      for (const [x, y] of [
        [a, b],
        [b, a],
      ] as const) {
        if (
          hasFamily(claimOnly, x) &&
          hasFamily(sentOnly, y) &&
          !hasFamily(claimOnly, y) &&
          !hasFamily(sentOnly, x) &&
          sameStatement(claim.text, x, best.text, y)
        ) {
          return {
            ...base,
            verdict: "contradicted",
            method: "antonym",
            reason: `the claim says "${x}…" where the source says "${y}…"`,
          };
        }
      }
    }
    const neg = negationMismatch(claim.text, best.text);
    if (neg) {
      return {
        ...base,
        verdict: opts.decideAll ? "contradicted" : "undecided",
        method: "negation",
        reason: `the claim says "${neg.claim}" where the source says "${neg.source}"`,
      };
    }
  }
  const numbersOk = claimNums
    .filter((n) => !(n.before && LABEL_WORDS.has(n.before)))
    .every((n) =>
      passages.some((p) => numbersIn(p.text).some((m) => numericEquivalent(n.text, m.text).equivalent)),
    );
  if (numbersOk && (bestCov >= supportAt || passageCov >= Math.max(0.85, supportAt))) {
    const sourceId = bestCov >= supportAt ? base.sourceId : passageId;
    return {
      ...base,
      sourceId,
      verdict: "supported",
      method: "lexical",
      reason: `${Math.round(Math.max(bestCov, passageCov) * 100)}% of its content words are in the source`,
    };
  }
  if (opts.decideAll) {
    if (bestCov < (opts.notFoundBelow ?? 0.35) || !numbersOk) {
      return {
        ...base,
        verdict: "not_found",
        method: "lexical",
        reason: numbersOk ? "no source sentence states it" : "its numbers are not in the sources",
      };
    }
    return {
      ...base,
      verdict: "not_found",
      method: "lexical",
      reason: `only ${Math.round(bestCov * 100)}% of its content words are in the closest source sentence`,
    };
  }
  return {
    ...base,
    verdict: "undecided",
    method: "lexical",
    reason: `closest source sentence covers ${Math.round(bestCov * 100)}% of it`,
  };
}

/**
 * Whether two numbers state the same kind of thing, so that different values contradict:
 * quantities of the same dimension (g and kg), or plain numbers in the same context (the
 * same word before or after: "in 1938" / "in 1939", "6 carbon" / "5 carbon"). A step
 * number or a coefficient is never compared with an unrelated number.
 */
/**
 * The clause of the claim with the word of family `x` and the source's clause with the word
 * of family `y` state the same thing (two content words in common besides those): "chicks …
 * gain their colour" is not opposed to "captive birds lose their colour" in the same source
 * sentence.
 */
function sameStatement(claim: string, x: string, source: string, y: string): boolean {
  const clauseWith = (text: string, family: string) =>
    clauses(text).find((c) => hasFamily(wordsOf(c), family)) ?? text;
  const opposed = (w: string) => w.startsWith(x) || w.startsWith(y);
  const mine = new Set(contentWords(clauseWith(claim, x)).filter((w) => !opposed(w)));
  return contentWords(clauseWith(source, y)).filter((w) => !opposed(w) && mine.delete(w)).length >= 2;
}

/** Clauses of a sentence: split at commas, semicolons and coordinating words. */
function clauses(text: string): string[] {
  return text
    .split(/[,;:]\s+|\s+(?:but|and|while|whereas|although|so|because)\s+/i)
    .map((c) => c.trim())
    .filter((c) => contentWords(c).length >= 2);
}

/**
 * A clause of the claim that states what a clause of the source states, with the
 * opposite polarity ("benzene is soluble in water" / "benzene is not soluble in water").
 * Clauses are compared one to one, so a negation elsewhere in the sentence does not count.
 */
function negationMismatch(claim: string, source: string): { claim: string; source: string } | null {
  const src = clauses(source).map((c) => ({ c, words: new Set(contentWords(c)) }));
  // "No. English is a Germanic language": a leading yes or no answers the question; it does
  // not negate the statement after it.
  for (const cc of clauses(claim.replace(/^\s*(?:yes|no)\s*[.,;:!—–-]\s*/i, ""))) {
    const cw = [...new Set(contentWords(cc))];
    // "… but no negative cycles": two words are a condition, not a statement to negate.
    if (cw.length < 3) continue;
    let best: { c: string; cov: number; back: number } | null = null;
    for (const s of src) {
      const shared = cw.filter((w) => s.words.has(w)).length;
      const cov = shared / cw.length;
      if (!best || cov > best.cov) best = { c: s.c, cov, back: shared / Math.max(1, s.words.size) };
    }
    // The same statement both ways: a short clause ("The NPV is negative") inside a longer
    // source clause that negates something else ("a negative NPV does not earn the return")
    // is not its negation.
    if (!best || best.cov < 0.8 || best.back < 0.5) continue;
    const negClaim = (cc.match(NEGATORS) ?? []).length % 2;
    const negSource = (best.c.match(NEGATORS) ?? []).length % 2;
    if (negClaim !== negSource) return { claim: cc, source: best.c };
  }
  return null;
}

function sameKind(a: StatedNumber, b: StatedNumber): boolean {
  if (Boolean(a.rate) !== Boolean(b.rate)) return false;
  const dimless = (u: string | null) => u === null || u === "%";
  if (!dimless(a.unit) || !dimless(b.unit))
    return !dimless(a.unit) && !dimless(b.unit) && sameDimension(a.unit, b.unit);
  if (a.unit !== b.unit) return false;
  const ctx = (w: string | null) =>
    w !== null &&
    w.length > 1 &&
    !/^(?:and|or|the|of|a|an|to|is|are|was|by|at|with|step)$/.test(w) &&
    !OTHER_FUNCTION_WORDS.has(w);
  return (ctx(a.after) && a.after === b.after) || (ctx(a.before) && a.before === b.before);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** A written calculation and its result: the result is group 1's follower. */
const CALCULATION_RESULT =
  /(\d[\d.,]*\s*\)*\s*[-+×÷*/−]\s*[-−(]*\s*\d[\d.,]*\s*\)*\s*(?:=|≈)\s*\**\s*)[-−]?\d[\d.,]*/g;

/** Lexical verdicts for every claim of an answer. */
export function lexicalFactCheck(
  answer: string,
  passages: Array<{ sourceId: string; text: string }>,
  opts: LexicalOptions & ClaimOptions = {},
): LexicalVerdict[] {
  const index = indexPassages(passages);
  return splitClaims(answer, opts).map((c) => lexicalCheck(c, index, passages, opts));
}
