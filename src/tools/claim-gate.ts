import { memoizeText } from "../core/memo.js";
import {
  contentWords,
  DECIMAL_COMMA,
  definesOneUnit,
  escapeRe,
  LINE_MARKER,
  plainSubscripts,
  sentences,
  setsOwnCase,
  stem,
} from "../core/text.js";
import {
  FALL_WORDS,
  OTHER_FUNCTION_WORDS,
  otherKind,
  RATE_AFTER,
  readTable,
  tableCellStatements,
} from "./claims.js";

/**
 * Numbers bound to the same thing: a claim that gives a different number for what a
 * source sentence counts or measures ("5,985 metres" where the source says "5,895 metres",
 * "22 for proteins" where it says "13 for proteins", "boils at 87.3 °C" where it says
 * "boiling point of 78.37 °C"). Each number of the claim is bound to its nearest content
 * word after it (the thing counted, the unit) or, failing that, before it (the quantity);
 * the source sentence that best matches the claim is read the same way. A conflict is a
 * source number bound to the same word that the claim's number does not match, to the
 * precision written (10% for a number the claim calls approximate).
 */

const NUMBER_WORDS: Record<string, number> = {
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
  fifty: 50,
  hundred: 100,
};
const STOP = new Set([
  ..."a an the of for in on at to by and or with from is are was were be been its it this that as than into about some while but so because which when where then also very".split(
    " ",
  ),
  ...OTHER_FUNCTION_WORDS,
]);

interface Tok {
  /** A number, a word, or a separator a number's binding does not reach across ( ) ; —. */
  kind: "num" | "word" | "sep";
  value: number;
  word: string;
  approx: boolean;
  decimals: number;
  /** What sort of number: a percentage, an amount of money, a count in words, or plain. */
  sort?: "percent" | "money" | "spelled" | "plain";
  /** Written in parentheses straight after another number: a conversion ("146.6 m (481 ft)"). */
  paren?: boolean;
  /**
   * An input of arithmetic, not a value stated for a thing: a number beside an operator
   * ("32 − 26 = 6": 32 and 26) or a factor ("the term in years multiplied by 12").
   */
  operand?: boolean;
  /** A rate: its unit is per something ("20 dB per decade", "−20 dB/decade"). */
  rate?: boolean;
  /**
   * Not a fact about a thing: the value of one unit in another ("one parsec is about 3.26
   * light-years") or of a variable ("n = 1").
   */
  perOne?: boolean;
}

/** Denominators written as words ("one-fifth", "two-thirds"). */
const DENOMINATORS: Record<string, number> = {
  half: 2,
  third: 3,
  quarter: 4,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  eighth: 8,
  tenth: 10,
  hundredth: 100,
};
/** A share in words written with a hyphen ("one-fifth", "two-thirds"). */
const FRACTION_WORD =
  /^(one|two|three|four|five|six|seven|eight|nine)-(half|third|quarter|fourth|fifth|sixth|eighth|tenth|hundredth)s?$/;

/** Words before a spelled number that make it say which ones, not how many ("the other two"). */
const REFERRING = /\b(?:other|these|those|remaining|first|last|next)\s+$/i;
/** Words before a number that make it part of a name ("stage 1", "type 2", "phase III"). */
const LABEL_BEFORE =
  /\b(?:stage|type|phase|grade|level|class|category|step|chapter|article|section|part|version|tier|generation|schedule|round|figure|table|item)\s+$/i;

function tokensUncached(raw: string): Tok[] {
  const out: Tok[] = [];
  // "5,730 ± 40 years": the uncertainty is not a second value. Markdown emphasis
  // ("= **11.25 mL**") is not part of what a number is bound to.
  const text = raw
    .replace(/\s*±\s*\d[\d,.]*/g, (m) => " ".repeat(m.length))
    .replace(/\*\*|__/g, "  ")
    // "50-70%" written with a hyphen is the range "50–70%".
    .replace(/(?<=\d%?)-(?=\d)/g, "–")
    // "from 0 °C to 100 °C" is the range "0–100 °C".
    .replace(
      /\bfrom\s+(-?\d[\d,.]*)\s*(?:°\s?[CFK]\b|%|[A-Za-zµ]{1,4}\b)?\s+to\s+(?=-?\d)/g,
      (_m, a: string) => `from ${a}–`,
    );
  // A name with digits ("carbon-14", "H2S", "CO2") is a word, not a number.
  const re =
    /(?<![\p{L}\d.,])[-−]?(?:0,\d+|\d+,(?:\d{1,2}|\d{4,}))(?![\d,])|(?<![\p{L}\d.])[-−]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d])|(?<![\p{L}\d.,])[-−]?\d+(?:\.\d+)?(?![\d])|\p{L}[\p{L}'\d]*(?:-(?:\p{L}[\p{L}'\d]*|\d+(?![\d.,]\d)))*|[();—–]/gu;
  let approx = false;
  for (const m of text.matchAll(re)) {
    const t = m[0];
    const lower = t.toLowerCase();
    if (/^[();—–]$/.test(t)) {
      out.push({ kind: "sep", value: 0, word: t, approx: false, decimals: 0 });
      continue;
    }
    if (/^\p{L}/u.test(t)) {
      // "one-fifth", "two-thirds": a share in words.
      const share = FRACTION_WORD.exec(lower);
      if (share) {
        const n = NUMBER_WORDS[share[1]!] ?? 1;
        out.push({
          kind: "num",
          value: n / DENOMINATORS[share[2]!]!,
          word: lower,
          approx: true,
          decimals: 0,
          sort: "plain",
        });
        approx = false;
        continue;
      }
      if (lower in NUMBER_WORDS) {
        out.push({
          kind: "num",
          value: NUMBER_WORDS[lower]!,
          word: lower,
          approx,
          decimals: 0,
          sort: "spelled",
          // "the other two estates", "these three steps": which ones, not how many there are.
          ...(REFERRING.test(text.slice(Math.max(0, (m.index ?? 0) - 12), m.index ?? 0))
            ? { perOne: true }
            : {}),
        });
        approx = false;
        continue;
      }
      if (/^(?:about|approximately|around|roughly|nearly|almost|over|under|some|circa|ca)$/.test(lower))
        approx = true;
      // "25 °C": the scale is what the number measures ("degc"), not a dropped letter.
      if (t.length === 1 && /°\s?$/.test(text.slice(Math.max(0, (m.index ?? 0) - 2), m.index))) {
        out.push({ kind: "word", value: 0, word: `deg${lower}`, approx: false, decimals: 0 });
        continue;
      }
      if (t.length < 2 || STOP.has(lower)) continue;
      out.push({ kind: "word", value: 0, word: stem(lower), approx: false, decimals: 0 });
      continue;
    }
    const raw = (DECIMAL_COMMA.test(t) ? t.replace(",", ".") : t.replace(/,/g, "")).replace("−", "-");
    const decimals = raw.includes(".") ? raw.split(".")[1]!.length : 0;
    const at = m.index ?? 0;
    const before = text.slice(Math.max(0, at - 3), at);
    const after = text.slice(at + t.length, at + t.length + 12);
    // "25–30%": both ends of a range are percentages.
    const sort = /^\s*(?:–\s*\d[\d,.]*\s*)?(?:%|per\s?cent\b)/i.test(after)
      ? "percent"
      : /[$€£¥₹]\s*$/.test(before) || /^\s*(?:€|dollars?\b|euros?\b|pounds?\b|USD\b|EUR\b|GBP\b)/.test(after)
        ? "money"
        : "plain";
    out.push({
      kind: "num",
      value: Number(raw),
      word: raw,
      approx: approx || /[≈~]\s*$/.test(before),
      decimals,
      sort,
      paren: /\d[^\d()]{0,12}\(\s*$/.test(text.slice(Math.max(0, at - 14), at)),
      rate: RATE_AFTER.test(text.slice(at + t.length, at + t.length + 48)),
      operand:
        /^\s*(?:[×*÷/+]|[-−]\s)\s*\(?\s*\d/.test(text.slice(at + t.length, at + t.length + 6)) ||
        /\d\s*(?:[×*÷/+]|\s[-−])\s*\(?\s*$/.test(text.slice(Math.max(0, at - 6), at)) ||
        /\b(?:multipl(?:y|ied)|divid(?:e|ed))\s+(?:it\s+|them\s+)?by\s*$|\btimes\s*$/i.test(
          text.slice(Math.max(0, at - 24), at),
        ),
      perOne:
        definesOneUnit(text.slice(Math.max(0, at - 60), at)) ||
        /(?<![\p{L}\d])\p{L}\s*=\s*$/u.test(text.slice(Math.max(0, at - 8), at)) ||
        // "stage 1 hypertension", "type 2 diabetes": a name, not a measurement.
        LABEL_BEFORE.test(text.slice(Math.max(0, at - 12), at)),
    });
    approx = false;
  }
  return out;
}

/**
 * Two numbers that can measure the same thing: a percentage is not a count, an amount of
 * money is not a plain number, a count written in words ("two accounts") is not a decimal.
 */
function comparable(a: Tok, b: Tok): boolean {
  const sa = a.sort ?? "plain";
  const sb = b.sort ?? "plain";
  if ((sa === "percent") !== (sb === "percent") || (sa === "money") !== (sb === "money")) return false;
  if ((sa === "spelled" && b.decimals > 0) || (sb === "spelled" && a.decimals > 0)) return false;
  // A count in words is small: "two numbers" is not what "78" measures.
  if ((sa === "spelled" && b.value > 20) || (sb === "spelled" && a.value > 20)) return false;
  return true;
}

/** The content words a number at `i` is bound to: the next 2 after it, the 3 before it (up to another number). */
function binding(toks: Tok[], i: number): { after: string[]; before: string[] } {
  const after: string[] = [];
  const before: string[] = [];
  // "24–30 hours": both ends of a range count what follows the range.
  let from = i + 1;
  while (toks[from]?.word === "–" && toks[from + 1]?.kind === "num") from += 2;
  for (let k = from; k < toks.length && after.length < 2; k++) {
    if (toks[k]!.kind !== "word") break;
    after.push(toks[k]!.word);
  }
  for (let k = i - 1; k >= 0 && before.length < 3; k--) {
    if (toks[k]!.kind !== "word") break;
    before.push(toks[k]!.word);
  }
  return { after, before };
}

function related(a: string, b: string): boolean {
  if (a === b) return true;
  const n = Math.min(a.length, b.length);
  return n >= 4 && a.slice(0, 4) === b.slice(0, 4) && Math.abs(a.length - b.length) <= 4;
}

const meets = (a: string[], b: string[]) => a.find((x) => b.some((y) => related(x, y))) ?? null;

/** Numbers of a source sentence bound to one of the claim number's words (on the same side). */
function sourceValues(
  toks: Tok[],
  want: { after: string[]; before: string[] },
): Array<{ tok: Tok; about: string; after: boolean; before: string[] }> {
  const out: Array<{ tok: Tok; about: string; after: boolean; before: string[] }> = [];
  toks.forEach((t, i) => {
    if (t.kind !== "num" || t.perOne) return;
    const b = binding(toks, i);
    const after = meets(want.after, b.after);
    // A count in words ("written as two numbers") is bound only to the thing it counts.
    const about = after ?? (t.sort === "spelled" ? null : meets(want.before, b.before));
    if (about) out.push({ tok: t, about, after: after !== null, before: b.before });
  });
  // Numbers bound to the word after them (the thing counted, the unit) first.
  return out.sort((a, b) => Number(b.after) - Number(a.after));
}

function agrees(claim: Tok, source: Tok): boolean {
  if (claim.value === source.value) return true;
  const scale = Math.max(Math.abs(claim.value), Math.abs(source.value));
  if (claim.approx) return Math.abs(claim.value - source.value) <= 0.1 * scale;
  // The claim rounds the source to the precision it writes (78.37 → 78.4, 5,895 → 5,900).
  const step = 10 ** -claim.decimals;
  if (Math.abs(claim.value - source.value) <= step / 2 + 1e-9) return true;
  const trailing = claim.decimals === 0 ? (String(Math.abs(claim.value)).match(/0+$/)?.[0].length ?? 0) : 0;
  return trailing > 0 && Math.abs(claim.value - source.value) <= 10 ** trailing / 2;
}

/** A number of the claim the best-matching source sentence binds to something else. */
export interface NumberConflict {
  claimed: string;
  stated: string;
  /** The word both numbers are bound to. */
  about: string;
  sourceId: string;
  evidence: string;
}

/**
 * The tokens of a text, remembered: a passage's sentences are read again for every claim
 * of every row they are checked against (read only; never mutate the result).
 */
const tokens = memoizeText(tokensUncached, 4096);

/** A passage's sentences (its first 20,000 characters), remembered the same way. */
const passageSentences = memoizeText((text: string) => sentences(text.slice(0, 20_000)), 1024);

/** What {@link bestSentence} compares of a source sentence, remembered. */
const sentenceInfo = memoizeText((s: string) => {
  const words = [...new Set(contentWords(s))];
  return { words, set: new Set(words), numbered: tokens(s).some((t) => t.kind === "num") };
}, 4096);

/**
 * The first number of `claim` that conflicts with the passage sentence most like it (at
 * least half of the claim's content words, two or more), or null.
 */
export function numberConflict(
  written: string,
  sources: Array<{ sourceId: string; text: string }>,
): NumberConflict | null {
  // "H₂S" and "H2S" are one name.
  const claim = plainSubscripts(written);
  const passages = sources.map((p) => ({ ...p, text: plainSubscripts(p.text) }));
  const whole = numberConflictIn(claim, passages);
  if (whole) return whole;
  // Each clause that carries a number, read on its own: a long sentence may have no close
  // source sentence ("…, it stays in the atmosphere for about 120 years before being broken
  // down, …"), and two clauses may each have their own ("…, while H₂S boils at about −85 °C").
  for (const clause of claim.split(/\s*[,;:—–]\s+|\s+(?:so|but|and|while|because|which)\s+/)) {
    if (!/\d/.test(clause) || contentWords(clause).length < 2) continue;
    const found = numberConflictIn(clause, passages, true);
    if (found) return found;
  }
  return null;
}

/** A number standing alone, not the digits of a name ("H2S", "carbon-14"). */
const BARE_NUMBER = /(?<![\p{L}\d-])\d[\d,.]*/gu;

/**
 * The conflict of one stretch of text: undefined when no source sentence is close enough to
 * read. A `clause` is held to more: both numbers measure a thing named alike before them
 * ("in the atmosphere for about 120 years" and "atmospheric lifetime of about 12 years"), not
 * only the same unit ("threshold (around −55 mV)" is not "resting potential of about −70 mV").
 */
function numberConflictIn(
  claim: string,
  passages: Array<{ sourceId: string; text: string }>,
  clause = false,
): NumberConflict | null | undefined {
  const claimToks = tokens(claim);
  if (!claimToks.some((t) => t.kind === "num")) return null;
  const words = contentWords(claim.replace(BARE_NUMBER, " "));
  if (words.length < 2) return null;
  const best = bestSentence(claim, passages, 0.3, true);
  if (!best) return undefined;
  if (otherKind(claim, best.text)) return null;
  // The closest sentence states no number and a less close one does: hold it to a clause's test.
  const strict = clause || bestSentence(claim, passages, 0.3)?.text !== best.text;
  const srcToks = tokens(best.text);
  const srcWords = new Set(contentWords(best.text));
  const inSource = (w: string) => srcWords.has(w) || [...srcWords].some((x) => related(w, x));
  // The claim's own numbers with what they are bound to.
  const claimNums = claimToks.flatMap((t, i) =>
    t.kind === "num" ? [{ tok: t, b: binding(claimToks, i) }] : [],
  );
  // A case of the claim's own ("so a black hole of 10 solar masses would have a horizon of
  // about 29.5 km"): a conditional with a number no source states sets up another case.
  const ownCase = setsOwnCase(
    claim,
    claimNums.map((o) => o.tok.word),
    passages,
  );
  for (let i = 0; i < claimToks.length; i++) {
    const t = claimToks[i]!;
    if (t.kind !== "num") continue;
    const b = binding(claimToks, i);
    if (t.perOne || t.operand || ownCase || copiedRange(claimToks, i, passages)) continue;
    // "0.2, 0.5 and 0.8 … small, medium and large respectively": the source pairs its values
    // with their things by position, which a word's neighbours do not show.
    if (/\brespectively\b/i.test(best.text) && srcToks.some((s) => s.kind === "num" && agrees(t, s)))
      continue;
    const stated = sourceValues(srcToks, b).filter(
      (s) =>
        !s.tok.operand &&
        // A rate ("20 dB per decade") is not an amount ("−13.5 dB there").
        Boolean(s.tok.rate) === Boolean(t.rate) &&
        comparable(t, s.tok) &&
        // Bound only by the words before it while the claim's number names its own thing or
        // unit after it ("an 8-bit integer"): the two numbers count different things.
        (s.after || b.after.length === 0) &&
        (!strict || meets(b.before, s.before) !== null) &&
        // Bound by the words before it: those words must all be the source sentence's
        // ("hydrogen (2.20)" is not about the source's "fluorine (3.98)").
        (s.after || b.before.every(inSource)) &&
        // The claim states the source's value for the same thing elsewhere: this number is another one.
        !claimNums.some(
          (o) =>
            o.tok !== t &&
            agrees(o.tok, s.tok) &&
            (s.after ? meets(o.b.after, [s.about]) : meets(o.b.before, [s.about])),
        ),
    );
    if (stated.length === 0 || stated.some((s) => agrees(t, s.tok))) continue;
    // "−20 dB/decade" where the source says the response "falls at 20 dB per decade": a sign
    // convention, the same magnitude.
    if (
      t.value < 0 &&
      (/^db$|^decibel/.test(b.after[0] ?? "") || FALL_WORDS.test(best.text)) &&
      stated.some((s) => agrees({ ...t, value: -t.value }, s.tok))
    )
      continue;
    // A count out of another base ("11 mites in 300 bees" against "3 mites per 100 bees"):
    // not the same measurement.
    const base = baseOf(claim, t.word);
    if (base !== null && stated.every((s) => baseOf(best.text, s.tok.word) !== base)) continue;
    if (isBase(claim, t.word) && stated.every((s) => isBase(best.text, s.tok.word))) continue;
    // Inside a range the source gives for the same thing ("30 °C" where it says "25–35 °C").
    if (
      stated.some((s) => {
        const r = rangeAt(srcToks, srcToks.indexOf(s.tok));
        return r !== null && t.value >= Math.min(...r) && t.value <= Math.max(...r);
      })
    )
      continue;
    // "146.6 m (481 ft)": the number in parentheses converts one the claim gives as the source does.
    if (t.paren && claimNums.some((o) => o.tok !== t && stated.some((s) => agrees(o.tok, s.tok)))) continue;
    // The source gives this very number for the same thing, named right after it ("78%
    // nitrogen and 21% oxygen": 21 follows "nitrogen", but 78 is nitrogen's).
    const about = stated[0]!.about;
    if (
      srcToks.some(
        (s, k) =>
          s.kind === "num" && agrees(t, s) && binding(srcToks, k).after.some((w) => related(w, about)),
      )
    )
      continue;
    // Another sentence of the sources gives this very number for the same thing.
    if (
      passages.some((p) =>
        passageSentences(p.text).some((sen) => sourceValues(tokens(sen), b).some((s) => agrees(t, s.tok))),
      )
    )
      continue;
    return {
      claimed: t.word,
      stated: stated[0]!.tok.word,
      about: stated[0]!.about,
      sourceId: best.sourceId,
      evidence: best.text,
    };
  }
  return null;
}

/**
 * The base a number is counted out of, as written after it ("11 mites in 300 bees": 300;
 * "3 per 100": 100; "1 in 4": 4), or null.
 */
function baseOf(text: string, written: string): string | null {
  const at = escapeRe(written);
  const m = new RegExp(
    `(?<![\\d.,])${at}(?![\\d.,]\\d)\\s+(?:\\p{L}+\\s+){0,2}(?:in|per|out of|for every|of every|among)\\s+(?:a\\s+|every\\s+)?(\\d[\\d,]*)`,
    "u",
  ).exec(text);
  return m ? m[1]!.replace(/,/g, "") : null;
}

/**
 * Whether a number is the base of a count ("per 100", "out of 12", "in 300 bees"; "in 1866"
 * is a date).
 */
function isBase(text: string, written: string): boolean {
  const at = escapeRe(written);
  return new RegExp(
    `\\b(?:(?:per|out of|for every|of every|among)\\s+(?:a\\s+|every\\s+)?${at}(?![\\d.,]\\d)|in\\s+${at}(?![\\d.,]\\d)\\s+(?!(?:in|on|at|by|the|and|when|after|before)\\b)\\p{L}{3,})`,
    "u",
  ).test(text);
}

/** The two ends of the range "a–b" the number at `i` is one end of, or null. */
function rangeAt(toks: Tok[], i: number): [number, number] | null {
  const num = (k: number) => toks[k]?.kind === "num";
  if (toks[i + 1]?.word === "–" && num(i + 2)) return [toks[i]!.value, toks[i + 2]!.value];
  if (toks[i - 1]?.word === "–" && num(i - 2)) return [toks[i - 2]!.value, toks[i]!.value];
  return null;
}

/**
 * The number at `i` is an end of a range a source gives as it is ("the 130–139 band" where
 * the source says "130–139 systolic"): whatever word it is bound to, it is the source's.
 */
function copiedRange(toks: Tok[], i: number, passages: Array<{ text: string }>): boolean {
  const r = rangeAt(toks, i);
  if (!r) return false;
  return passages.some((p) => {
    const src = tokens(p.text.slice(0, 20_000));
    return src.some((t, k) => {
      if (t.kind !== "num" || t.value !== r[0]) return false;
      const other = rangeAt(src, k);
      return other !== null && other[0] === r[0] && other[1] === r[1];
    });
  });
}

/**
 * The passage sentence sharing most content words (2+, related stems count) with a claim;
 * with `numbered`, only among sentences that state a number.
 */
function bestSentence(
  claim: string,
  passages: Array<{ sourceId: string; text: string }>,
  minCoverage: number,
  numbered = false,
): { sourceId: string; text: string; shared: number } | null {
  const bare = claim.replace(BARE_NUMBER, " ");
  const claimWords = [...new Set(contentWords(bare))];
  let best: { sourceId: string; text: string; shared: number } | null = null;
  for (const p of passages)
    for (const s of passageSentences(p.text)) {
      const info = sentenceInfo(s);
      if (numbered && !info.numbered) continue;
      const shared = claimWords.filter(
        (w) => info.set.has(w) || info.words.some((x) => related(w, x)),
      ).length;
      if (shared < 2 || shared / Math.max(1, claimWords.length) < minCoverage) continue;
      if (!best || shared > best.shared) best = { sourceId: p.sourceId, text: s, shared };
    }
  return best;
}

/** Words that name one of two opposite or paired things ("left" / "right" ventricle). */
const PAIRS: Array<[string, string]> = [
  ["left", "right"],
  ["alpha", "beta"],
  ["upper", "lower"],
  ["north", "south"],
  ["east", "west"],
  ["northern", "southern"],
  ["eastern", "western"],
  ["positive", "negative"],
  ["inner", "outer"],
  ["oxygenated", "deoxygenated"],
  ["exothermic", "endothermic"],
  ["anode", "cathode"],
  ["dominant", "recessive"],
  ["haploid", "diploid"],
  ["maximum", "minimum"],
  ["artery", "vein"],
  ["arteries", "veins"],
  ["acidic", "basic"],
  ["male", "female"],
  ["anterior", "posterior"],
  ["systolic", "diastolic"],
  ["sympathetic", "parasympathetic"],
  ["aerobic", "anaerobic"],
];
const COUNTERPART = new Map<string, string>(
  PAIRS.flatMap(
    ([a, b]) =>
      [
        [a, b],
        [b, a],
      ] as Array<[string, string]>,
  ),
);

/** A paired word of the claim the best-matching source sentence has the other way round. */
export interface SwapConflict {
  claimed: string;
  stated: string;
  sourceId: string;
  evidence: string;
}

/**
 * The claim says "right ventricle" where the source sentence that states the same thing
 * (most of its words) says "left ventricle" and never "right ventricle": a swapped pair.
 */
export function swapConflict(
  claim: string,
  passages: Array<{ sourceId: string; text: string }>,
): SwapConflict | null {
  const words = claim.toLowerCase().match(/\p{L}+/gu) ?? [];
  const best = bestSentence(claim, passages, 0.5);
  if (!best) return null;
  const src = best.text.toLowerCase();
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const other = COUNTERPART.get(w);
    if (!other) continue;
    const next = words[i + 1] ?? "";
    const phrase = (x: string) =>
      new RegExp(`\\b${x}\\s+${next.slice(0, Math.max(4, next.length - 2))}`, "u");
    if (next && phrase(other).test(src) && !phrase(w).test(src))
      return {
        claimed: `${w} ${next}`,
        stated: `${other} ${next}`,
        sourceId: best.sourceId,
        evidence: best.text,
      };
    if (!next && new RegExp(`\\b${other}\\b`).test(src) && !new RegExp(`\\b${w}\\b`).test(src))
      return { claimed: w, stated: other, sourceId: best.sourceId, evidence: best.text };
  }
  return null;
}

/**
 * A rank the other way: the claim says "the longest river" where a source sentence about
 * the same subject (one of the claim's words before its superlative: "The Danube is the
 * second-longest river") says "the second-longest river", or the reverse; the sources never
 * give the claim's rank for that superlative.
 */
export function rankConflict(
  claim: string,
  passages: Array<{ sourceId: string; text: string }>,
): SwapConflict | null {
  const claimed = superlatives(claim);
  if (claimed.length === 0) return null;
  const words = new Set(contentWords(claim));
  const all = passages.flatMap((p) =>
    passageSentences(p.text).map((text) => ({ p, text, sup: superlatives(text) })),
  );
  for (const c of claimed) {
    const same = (x: { superlative: string; noun: string }) =>
      x.superlative === c.superlative && x.noun === c.noun;
    if (all.some((s) => s.sup.some((x) => same(x) && x.rank === c.rank))) continue;
    for (const s of all) {
      const other = s.sup.find(same);
      if (!other) continue;
      // The source's subject: the claim's words before the superlative ("K2 is the
      // second-highest …", not "… after Mount Everest").
      if (contentWords(s.text.slice(0, other.at)).filter((w) => words.has(w)).length < 1) continue;
      return { claimed: c.text, stated: other.text, sourceId: s.p.sourceId, evidence: s.text };
    }
  }
  return null;
}

const ORDINALS: Record<string, number> = {
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  "2nd": 2,
  "3rd": 3,
  "4th": 4,
  "5th": 5,
};
const SUPERLATIVE =
  /\b(?:(second|third|fourth|fifth|2nd|3rd|4th|5th)[- ]?)?(longest|largest|highest|biggest|tallest|deepest|smallest|oldest|youngest|heaviest|lightest|hottest|coldest|fastest|slowest|brightest|closest|nearest|farthest|furthest|richest|busiest|widest|most populous|most abundant|most common)\s+(\p{L}+)/giu;

/** Superlatives with their rank ("the second-longest river": 2, longest, river). */
function superlatives(
  text: string,
): Array<{ rank: number; superlative: string; noun: string; text: string; at: number }> {
  return [...text.matchAll(SUPERLATIVE)].map((m) => ({
    at: m.index ?? 0,
    rank: m[1] ? (ORDINALS[m[1].toLowerCase()] ?? 1) : 1,
    superlative: m[2]!.toLowerCase(),
    noun: stem(m[3]!.toLowerCase()),
    text: m[0],
  }));
}

/** Lower-case words that join the parts of a name ("Ferdinand von Richthofen", "Leonardo da Vinci"). */
const NAME_PARTICLES = new Set([
  "von",
  "van",
  "der",
  "de",
  "da",
  "del",
  "di",
  "la",
  "le",
  "du",
  "bin",
  "ibn",
  "al",
]);

const CALENDAR =
  /^(?:january|february|march|april|may|june|july|august|september|october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?:[–-].*)?$/i;

/** Words that link clauses: no anchor for what a name stands in for. */
const CONNECTORS = new Set(
  "because after before when while since during until unless although though whereas which that this these those where whose into onto upon also then thus hence therefore however".split(
    " ",
  ),
);

/** A capitalised name in a text: its words (lower case) and the word or number right before it. */
interface NameAt {
  name: string;
  words: string[];
  /** The nearest content word or number before the name (stemmed), or null. */
  before: string | null;
}

/**
 * The capitalised names of a text ("St Thomas's Abbey", "Sven Hedin", "Vienna"): runs of
 * capitalised words, with name particles inside. A lone capitalised word that opens a
 * sentence or a list item is not taken for a name.
 */
function namesIn(text: string): NameAt[] {
  const toks = [...text.matchAll(/\p{L}[\p{L}'’-]*|\d[\d,.]*\d|\d/gu)];
  const out: NameAt[] = [];
  const capital = (w: string) => /^\p{Lu}/u.test(w);
  let i = 0;
  while (i < toks.length) {
    const w = toks[i]![0];
    if (!capital(w)) {
      i++;
      continue;
    }
    let j = i + 1;
    while (
      j < toks.length &&
      (capital(toks[j]![0]) || (NAME_PARTICLES.has(toks[j]![0]) && capital(toks[j + 1]?.[0] ?? ""))) &&
      !/[.,;:!?()"“”]/.test(text.slice(toks[j - 1]!.index! + toks[j - 1]![0].length, toks[j]!.index))
    )
      j++;
    const at = toks[i]!.index!;
    // Months and weekdays are dates, for the date checks, not names.
    if (j === i + 1 && CALENDAR.test(w)) {
      i = j;
      continue;
    }
    const opens =
      /(?:^|[.!?:;•*\n-]\s*|["“(]\s*)$/u.test(text.slice(Math.max(0, at - 3), at).trimEnd()) || at === 0;
    if (!(opens && j === i + 1)) {
      let before: string | null = null;
      for (let k = i - 1; k >= 0 && k >= i - 4 && before === null; k--) {
        const t = toks[k]![0];
        if (/^\d/.test(t)) before = t.replace(/,/g, "");
        else {
          const cw = contentWords(t).filter((x) => !CONNECTORS.has(x));
          if (cw.length) before = cw[0]!;
        }
      }
      const words = toks.slice(i, j).map((t) => t[0].toLowerCase().replace(/['’]s$/u, ""));
      out.push({
        name: toks
          .slice(i, j)
          .map((t) => t[0])
          .join(" "),
        words,
        before,
      });
    }
    i = j;
  }
  return out;
}

/**
 * One name put in place of another: the claim states what the best-matching source sentence
 * states (half its words), but where the source names someone or somewhere ("St Thomas's
 * Abbey in Brno", "with Pierre Curie and Henri Becquerel"), the claim names another that no
 * source mentions ("in Vienna", "and Ernest Rutherford"), right after the same word.
 */
export function entityConflict(
  claim: string,
  passages: Array<{ sourceId: string; text: string }>,
): SwapConflict | null {
  if (!/\s\p{Lu}/u.test(claim)) return null;
  // German capitalises every noun: a capital letter names nothing there.
  if (
    (
      claim.match(/\b(?:der|die|das|und|ist|sind|nicht|ein|eine|einen|mit|von|dem|den|im|auf|für|wird)\b/g) ??
      []
    ).length >= 2
  )
    return null;
  // Words of a name are compared by stem and shared 5-letter stems ("Ottomans" is "Ottoman").
  const wordsOf = (text: string) =>
    (text.toLowerCase().match(/\p{L}[\p{L}'’-]*/gu) ?? []).map((w) => stem(w.replace(/['’]s$/u, "")));
  const known = wordsOf(passages.map((p) => p.text).join("\n"));
  const claimWords = wordsOf(claim);
  // "Rome" is mentioned by "Roman", "Italy" by "Italian", "Carthage" by "Carthaginian".
  const root = (w: string) => w.replace(/e$/, "").replace(/y$/, "i");
  const mentioned = (w: string, all: string[]) =>
    all.some((x) => x === w || related(w, x) || (root(w).length >= 3 && x.startsWith(root(w))));
  const novel = namesIn(claim).filter((n) => n.before && n.words.every((w) => !mentioned(stem(w), known)));
  if (novel.length === 0) return null;
  // The sentence that states the same thing, judged without the names no source has.
  let rest = claim;
  for (const n of novel) rest = rest.replace(n.name, " ");
  const best = bestSentence(rest, passages, 0.5);
  if (!best) return null;
  const missing = namesIn(best.text).filter(
    (n) => n.before && n.words.every((w) => !mentioned(stem(w), claimWords)),
  );
  for (const c of novel)
    for (const s of missing)
      if (c.before === s.before)
        return { claimed: c.name, stated: s.name, sourceId: best.sourceId, evidence: best.text };
  return null;
}

/**
 * Two values exchanged between two things: the claim gives the number the source sentence
 * gives for one thing to another, and the other's number to the first ("oxygen … 78%,
 * nitrogen … 21%" where the source says "78% nitrogen and 21% oxygen"). Only the things the
 * source binds to its numbers count (the word right after a number, else right before it),
 * and both exchanged numbers must be in the claim, each in the clause of the other thing.
 */
export function exchangeConflict(
  claim: string,
  passages: Array<{ sourceId: string; text: string }>,
): SwapConflict | null {
  const best = bestSentence(claim, passages, 0.3);
  if (!best) return null;
  // The source's number → thing bindings, within a clause ("sacked Rome in 410, and the
  // Vandals": 410 is not the Vandals').
  const thingOf = new Map<number, string>();
  for (const part of best.text.split(/,\s+|;\s*/)) {
    const src = tokens(part);
    src.forEach((t, i) => {
      if (t.kind !== "num") return;
      const next = src[i + 1];
      const prev = src[i - 1];
      const thing = next?.kind === "word" ? next.word : prev?.kind === "word" ? prev.word : null;
      if (thing && !thingOf.has(t.value)) thingOf.set(t.value, thing);
    });
  }
  const things = new Set(thingOf.values());
  if (things.size < 2) return null;
  // The claim, clause by clause: the thing it names and the number it gives.
  const clauses = claim.split(/;|\.\s|,\s*(?:while|whereas|and|but)\s|\s(?:while|whereas)\s/);
  const stated: Array<{ thing: string; value: number; word: string }> = [];
  for (const c of clauses) {
    const toks = tokens(c);
    const nums = toks.filter((t) => t.kind === "num");
    const named = [
      ...new Set(toks.filter((t) => t.kind === "word" && things.has(t.word)).map((t) => t.word)),
    ];
    if (nums.length === 1 && named.length === 1)
      stated.push({ thing: named[0]!, value: nums[0]!.value, word: nums[0]!.word });
  }
  for (const a of stated) {
    const sourceThing = thingOf.get(a.value);
    if (!sourceThing || sourceThing === a.thing) continue;
    const b = stated.find((x) => x.thing === sourceThing && thingOf.get(x.value) === a.thing);
    if (b)
      return {
        claimed: `${a.word} for ${a.thing}`,
        stated: `${a.word} for ${sourceThing}`,
        sourceId: best.sourceId,
        evidence: best.text,
      };
  }
  return null;
}

/** Paired words of a direction ("from higher … to lower …"). */
const DIRECTION_PAIRS: Array<[string, string]> = [
  ["higher", "lower"],
  ["high", "low"],
  ["hot", "cold"],
  ["hotter", "colder"],
  ["warmer", "cooler"],
  ["more", "less"],
  ["greater", "smaller"],
  ["inside", "outside"],
  ["positive", "negative"],
  ["anode", "cathode"],
  ["concentrated", "dilute"],
];
const OPPOSITE = new Map<string, string>(
  DIRECTION_PAIRS.flatMap(
    ([a, b]) =>
      [
        [a, b],
        [b, a],
      ] as Array<[string, string]>,
  ),
);

/** The "from … to …" ends of a text, as the paired direction words they hold. */
function directions(text: string): Array<{ from: string; to: string; phrase: string }> {
  const out: Array<{ from: string; to: string; phrase: string }> = [];
  for (const m of text.toLowerCase().matchAll(/\bfrom\s+([^.;:]{1,60}?)\s+to\s+([^.;:,]{1,60})/g)) {
    const from = (m[1]!.match(/\p{L}+/gu) ?? []).find((w) => OPPOSITE.has(w));
    const to = (m[2]!.match(/\p{L}+/gu) ?? []).find((w) => OPPOSITE.has(w));
    if (from && to && OPPOSITE.get(from) === to) out.push({ from, to, phrase: m[0] });
  }
  return out;
}

/**
 * A direction the other way round: the claim says "from lower … to higher …" where the
 * source sentence that states the same thing says "from higher … to lower …" (water
 * potential, heat, concentration, current).
 */
export function directionConflict(
  claim: string,
  passages: Array<{ sourceId: string; text: string }>,
): SwapConflict | null {
  const mine = directions(claim);
  if (mine.length === 0) return null;
  const best = bestSentence(claim, passages, 0.3);
  if (!best) return null;
  const theirs = directions(best.text);
  for (const d of mine)
    if (theirs.some((t) => t.from === d.to && t.to === d.from) && !theirs.some((t) => t.from === d.from))
      return {
        claimed: d.phrase,
        stated: theirs.find((t) => t.from === d.to)!.phrase,
        sourceId: best.sourceId,
        evidence: best.text,
      };
  return null;
}

/** The statements of a passage sentence that pair things in parallel ("…, whereas …", "…; …"). */
function parallelUnits(sentence: string): string[] {
  return sentence.split(/\s*;\s*|,?\s+(?:whereas|while|but)\s+/i).filter((u) => contentWords(u).length >= 3);
}

/** A unit's words in order (lower case, stemmed), stop words kept out. */
const unitWords = (text: string) =>
  (text.toLowerCase().match(/\p{L}[\p{L}'-]*/gu) ?? []).filter((w) => !STOP.has(w)).map((w) => stem(w));

/**
 * Two things paired the other way round: the sources pair A with X in one statement and B
 * with Y in a parallel one ("Insulin, secreted by beta cells…" / "Glucagon, secreted by alpha
 * cells…"; "in the central nervous system … oligodendrocytes, whereas in the peripheral …
 * Schwann cells"), and the claim pairs A with Y ("the alpha cells release insulin"). X and Y
 * are parallel when the words on both sides of each are alike (stop words aside: "secreted by
 * beta cells", "secreted by alpha cells"), or a statement starts or ends there in both. The
 * claim must name A and Y, not X, and no word of B's statement the other lacks besides Y, so
 * a claim that contrasts the two ("unlike insulin, glucagon comes from alpha cells") is not
 * read as a swap; X and Y come up nowhere else in the passage.
 */
export function pairingConflict(
  claim: string,
  passages: Array<{ sourceId: string; text: string }>,
): SwapConflict | null {
  const mine = new Set(unitWords(claim));
  if (mine.size < 3) return null;
  // A sentence of the sources states the claim (nearly all its words): nothing is swapped.
  const stated = (sentence: string) => {
    const words = new Set(unitWords(sentence));
    return [...mine].filter((w) => words.has(w)).length >= 0.9 * mine.size;
  };
  if (passages.some((p) => passageSentences(p.text).some(stated))) return null;
  for (const p of passages)
    for (const sentence of passageSentences(p.text)) {
      const sentenceUnits = parallelUnits(sentence);
      const units = sentenceUnits.length >= 2 ? sentenceUnits.map((u) => ({ u, s: sentence })) : [];
      for (const x of units) {
        for (const y of units) {
          if (x === y) continue;
          const found = swapBetween(mine, x.u, y.u, p.text);
          if (found) return { ...found, sourceId: p.sourceId, evidence: x.s };
        }
      }
    }
  // Parallel statements in consecutive sentences of one passage ("Insulin, secreted by … .
  // Glucagon, secreted by … .").
  for (const p of passages) {
    const sents = passageSentences(p.text);
    for (let i = 0; i + 1 < sents.length; i++)
      for (const [a, b] of [
        [sents[i]!, sents[i + 1]!],
        [sents[i + 1]!, sents[i]!],
      ] as const) {
        const found = swapBetween(mine, a, b, p.text);
        if (found) return { ...found, sourceId: p.sourceId, evidence: `${sents[i]} ${sents[i + 1]}` };
      }
  }
  return null;
}

/** The swap of {@link pairingConflict} between statement `one` (A with X) and `other` (B with Y). */
function swapBetween(
  mine: Set<string>,
  one: string,
  other: string,
  passage: string,
): { claimed: string; stated: string } | null {
  const a = unitWords(one);
  const b = unitWords(other);
  // X and Y belong to their statements: neither comes up again elsewhere in the passage
  // ("demand is unit elastic. If demand is unit elastic, …" pairs "unit" with nothing).
  const everywhere = unitWords(passage.slice(0, 20_000));
  const count = (w: string, ws: string[]) => ws.filter((x) => x === w).length;
  const own = (w: string, ws: string[]) => count(w, everywhere) === count(w, ws);
  const inA = new Set(a);
  const inB = new Set(b);
  const onlyA = [...inA].filter((w) => !inB.has(w) && w.length >= 4);
  const onlyB = [...inB].filter((w) => !inA.has(w) && w.length >= 4);
  // A: a word of the claim only `one` has; Y: the one word only `other` has that the claim names.
  // A must name something ("insulin", "oligodendrocyte"), not be a short common word ("down").
  const subjects = onlyA.filter((w) => mine.has(w) && w.length >= 5);
  const named = onlyB.filter((w) => mine.has(w));
  if (subjects.length === 0 || named.length !== 1) return null;
  const yWord = named[0]!;
  if (!own(yWord, b)) return null;
  // X: the word of `one` parallel to Y (the same words on both sides), which the claim lacks.
  const yAt = b.indexOf(yWord);
  for (let i = 0; i < a.length; i++) {
    const xWord = a[i]!;
    if (xWord === yWord || inB.has(xWord) || mine.has(xWord) || xWord.length < 4 || !own(xWord, a)) continue;
    // Both neighbours alike (or both statements start or end there): "secreted by beta cells".
    const sameBefore = i === 0 ? yAt === 0 : yAt > 0 && a[i - 1] === b[yAt - 1];
    const sameAfter = i === a.length - 1 ? yAt === b.length - 1 : a[i + 1] === b[yAt + 1];
    // X and Y qualify one thing: the word after both is the same content word ("beta cells",
    // "alpha cells"); two statements that merely end on X and on Y, or go on with "can", are
    // not parallel there, and function words ("whose") are not things.
    const head = b[yAt + 1];
    const qualifies =
      i < a.length - 1 && head !== undefined && head.length >= 4 && contentWords(head).length > 0;
    if (!sameBefore || !sameAfter || !qualifies || contentWords(`${xWord} ${yWord}`).length < 2) continue;
    // A stands with X in its statement ("insulin, secreted by beta cells": two words apart).
    const subject = subjects.find((w) => w !== xWord && Math.abs(a.indexOf(w) - i) <= 5);
    if (!subject) continue;
    return { claimed: `${subject} … ${yWord}`, stated: `${subject} … ${xWord}` };
  }
  return null;
}

/** A swapped pairing across an answer: {@link SwapConflict} with the answer's statement that makes it. */
export interface CrossedRoles extends SwapConflict {
  /** The answer's statement that gives one thing the other's part. */
  statement: string;
}

/** Words that set two things against each other or deny a pairing ("lime, not soda, …"). */
const CONTRASTS =
  /\b(?:not|no|never|neither|nor|without|unlike|absent|lacks?|lacking|rather|instead|sparse|few|fewer|less|except|whereas|while|but|than|vs|versus|cannot|opposite)\b|n't\b/i;

/** A statement's content words (four letters or more) and its subject: its first two words of three letters or more. */
interface Statement {
  text: string;
  words: Set<string>;
  head: string[];
}
const statementOf = (text: string): Statement => ({
  text,
  words: new Set(contentWords(text).filter((w) => w.length >= 4)),
  head: contentWords(text)
    .filter((w) => w.length >= 3 && !/^\d/.test(w))
    .slice(0, 2),
});

/**
 * The statements of a markdown table: each body row as "first cell: the others", and in a
 * comparison table each cell with its labels ({@link tableCellStatements}).
 */
function tableStatements(lines: string[]): string[] {
  const t = readTable(lines);
  if (!t) return [];
  return [...t.body.map((r) => `${r[0] ?? ""}: ${r.slice(1).join(", ")}`), ...tableCellStatements(lines)];
}

/** An answer's statements: its sentences and `;` clauses, and its tables' rows (code left out). */
function answerStatements(answer: string): string[] {
  const out: string[] = [];
  const lines = answer
    .replace(/```[\s\S]*?```/g, " ")
    .slice(0, 20_000)
    .split("\n");
  for (let i = 0; i < lines.length; ) {
    if (/^\s*\|/.test(lines[i]!)) {
      const start = i;
      while (i < lines.length && /^\s*\|/.test(lines[i]!)) i++;
      out.push(...tableStatements(lines.slice(start, i)));
      continue;
    }
    const line = lines[i++]!.replace(LINE_MARKER, "").replace(/[*_`]/g, "");
    out.push(...sentences(line).flatMap((s) => s.split(/\s*;\s*/)));
  }
  return out.filter((s) => contentWords(s).length >= 2);
}

/** A statement of a passage, with the words no other statement of the passage uses. */
interface PassageStatement extends Statement {
  own: Set<string>;
}

/**
 * A passage's statements (its sentences, or their parallel clauses), remembered: the same
 * passages are read for every row of a question.
 */
const passageStatements = memoizeText((text: string): PassageStatement[] => {
  const uses = new Map<string, number>();
  for (const w of contentWords(text.slice(0, 20_000))) uses.set(w, (uses.get(w) ?? 0) + 1);
  return passageSentences(text)
    .flatMap((s) => {
      const units = parallelUnits(s);
      return units.length >= 2 ? units : [s];
    })
    .map((text) => {
      const st = statementOf(text);
      const here = new Map<string, number>();
      for (const w of contentWords(text)) here.set(w, (here.get(w) ?? 0) + 1);
      return { ...st, own: new Set([...st.words].filter((w) => uses.get(w) === here.get(w))) };
    });
}, 1024);

/**
 * Two things that trade their parts across an answer: a passage says A does X (one
 * statement) and B does Y (another), and the answer says B does X in one statement and A
 * does Y in another ("Lime is the flux." / "Soda is the stabiliser." where the source has
 * "The soda acts as a flux …" / "The lime acts as a stabiliser …"). A and B are the
 * statements' subjects (their first words, each absent from the other statement); X and Y
 * are words only their own statement of the passage uses. Each answer statement names one
 * subject first and not the other, takes more words from the other subject's statement
 * than from its own, and neither contrasts nor denies (a statement with "not", "unlike",
 * "whereas", "than" … may well name one thing with the other's part). Both halves of the
 * exchange must be there: one statement alone may be a paraphrase.
 */
export function crossedRoles(
  answer: string,
  passages: Array<{ sourceId: string; text: string }>,
): CrossedRoles | null {
  const mine = answerStatements(answer)
    .filter((s) => !CONTRASTS.test(s))
    .map(statementOf);
  if (mine.length < 2) return null;
  const bySubject = new Map<string, Statement[]>();
  for (const s of mine) for (const w of s.head) bySubject.set(w, [...(bySubject.get(w) ?? []), s]);
  for (const p of passages) {
    // Only statements of the passage whose subject the answer also starts a statement with.
    const parts = passageStatements(p.text).filter((st) => st.head.some((w) => bySubject.has(w)));
    for (const one of parts)
      for (const other of parts) {
        if (one === other) continue;
        const a = one.head.find((w) => !other.words.has(w) && !other.head.includes(w));
        const b = other.head.find((w) => !one.words.has(w) && !one.head.includes(w));
        if (!a || !b || a === b) continue;
        // Statements of the answer naming B with A's part, and A with B's part.
        const bWithX = (bySubject.get(b) ?? []).filter((s) => !s.head.includes(a));
        const aWithY = (bySubject.get(a) ?? []).filter((s) => !s.head.includes(b));
        if (bWithX.length === 0 || aWithY.length === 0) continue;
        const partOf = (st: PassageStatement, subject: string, other: Statement) =>
          new Set([...st.own].filter((w) => w !== subject && !other.words.has(w)));
        const xs = partOf(one, a, other);
        const ys = partOf(other, b, one);
        const takes = (s: Statement, from: Set<string>) => [...s.words].filter((w) => from.has(w));
        for (const r1 of bWithX) {
          const x = takes(r1, xs);
          if (x.length === 0 || takes(r1, ys).length >= x.length) continue;
          for (const r2 of aWithY) {
            if (r2 === r1) continue;
            const y = takes(r2, ys);
            if (y.length === 0 || takes(r2, xs).length >= y.length) continue;
            // The part named by its longest word ("top-fermenting", not "surface").
            const part = x.reduce((l, w) => (w.length > l.length ? w : l));
            return {
              claimed: `${b} … ${part}`,
              stated: `${a} … ${part}`,
              sourceId: p.sourceId,
              evidence: `${one.text} ${other.text}`,
              statement: r1.text,
            };
          }
        }
      }
  }
  return null;
}

const MONTHS =
  "january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec";
/** A year: after a word that dates something ("in", "by", "early", a month), or in parentheses. */
const YEAR = new RegExp(
  String.raw`(?:\b(?:in|on|of|by|since|until|till|from|to|early|late|mid|around|circa|c\.|about|year|${MONTHS})\s+(?:\d{1,2}\s+)?|\()(1\d{3}|20\d{2})(?![\d,.]\d|\s*(?:[%°]|(?:m|km|cm|mm|kg|g|mg|s|ms|J|kJ|K|W|kW|V|Hz|mol|L|mL)\b|[-–]\d))`,
  "giu",
);
/** Any number that could be a year, dated or not ("between 1400 and 1700"). */
const YEARLIKE = /(?<![\d,.])(?:1\d{3}|20\d{2})(?![\d,.]\d)/g;
/** The years a text dates things to: none unless every year-like number in it is one. */
const yearsIn = (text: string) => {
  const dated = [...new Set([...text.matchAll(YEAR)].map((m) => Number(m[1])))];
  const all = new Set([...text.matchAll(YEARLIKE)].map((m) => Number(m[0])));
  return dated.length === all.size ? dated : [];
};
/** Words that date the start of something, and its end: a start's year is not an end's. */
const STARTS =
  /\b(?:beg[au]n|begins?|start(?:ed|s)?|found(?:ed|ing)|born|birth|establish(?:ed)?|open(?:ed)?|introduc(?:ed|tion)|invent(?:ed|ion)|creat(?:ed|ion)|sign(?:ed|ing)|outbreak|broke out)\b/i;
const ENDS =
  /\b(?:end(?:ed|s)?|died|death|dissolv(?:ed|ution)|clos(?:ed|ure)|abolish(?:ed)?|fell|fall|collaps(?:ed|e)|finish(?:ed)?|annul(?:led|ment)?|repeal(?:ed)?)\b/i;

/**
 * A date moved: the claim dates what the best-matching source sentence dates, but to
 * another year ("Early in 1216 the Pope declared the charter null and void, and England
 * slid into the First Barons' War" where the source says "in August 1215 Pope Innocent III
 * annulled the charter, leading to the First Barons' War"). The sentences share four
 * content words (or three and 40% of the claim's), the clauses of the two years share one,
 * each side gives one year, the claim's clause does not date its event relative to another
 * ("after the fall of the Wall"), a start is not compared with an end, and no other source
 * sentence gives the claim's year for what it names.
 */
export function yearConflict(
  claim: string,
  passages: Array<{ sourceId: string; text: string }>,
): SwapConflict | null {
  const claimed = yearsIn(claim);
  if (claimed.length !== 1) return null;
  const best = bestSentence(claim, passages, 0.2);
  if (!best || best.shared < 3) return null;
  const claimWords = [...new Set(contentWords(claim.replace(BARE_NUMBER, " ")))];
  if (best.shared < 4 && best.shared < 0.4 * claimWords.length) return null;
  const stated = yearsIn(best.text);
  if (stated.length !== 1 || stated[0] === claimed[0]) return null;
  // Both years date the same thing: the words around them share one ("in 1216 the Pope
  // declared" and "in August 1215 Pope Innocent III annulled"; not "his overlord since 1213").
  const clauseOf = (text: string, year: number) =>
    text.split(/[,;:()]/).find((c) => c.includes(String(year))) ?? "";
  const around = (text: string, year: number) => contentWords(clauseOf(text, year).replace(BARE_NUMBER, " "));
  // A word of the clauses alike, and the claim's clause dates its own event, not one
  // placed relative to another ("dissolved in 1990 after the fall of the Wall").
  const mineNear = around(claim, claimed[0]!);
  if (!meets(mineNear, around(best.text, stated[0]!))) return null;
  if (
    /\b(?:after|before|following|since|until|later|earlier|preceding|prior to)\b/i.test(
      clauseOf(claim, claimed[0]!),
    )
  )
    return null;
  // One says when something began and the other when it ended: not the same date.
  const phase = (t: string) => (STARTS.test(t) ? "start" : "") + (ENDS.test(t) ? "end" : "");
  const phases = new Set([phase(claim), phase(best.text)]);
  if (phases.has("start") && phases.has("end")) return null;
  // Another sentence gives the claim's year for something the claim's clause names, or
  // states nearly as much of it: the year is that sentence's ("The Act was repealed in 1766").
  for (const p of passages)
    for (const s of passageSentences(p.text)) {
      if (s === best.text || !s.includes(String(claimed[0]))) continue;
      if (meets(mineNear, around(s, claimed[0]!))) return null;
      const info = sentenceInfo(s);
      const shared = claimWords.filter(
        (w) => info.set.has(w) || info.words.some((x) => related(w, x)),
      ).length;
      if (shared >= best.shared - 1) return null;
    }
  return {
    claimed: String(claimed[0]),
    stated: String(stated[0]),
    sourceId: best.sourceId,
    evidence: best.text,
  };
}
