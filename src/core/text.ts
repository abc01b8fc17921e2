/** Small, dependency-free text helpers shared by sources, offline answers and review. */

const STOPWORDS = new Set(
  (
    "a an and are as at be been being but by can could did do does for from had has have how i if in into is it its " +
    "may might more most must no not of on or our shall should so such than that the their them then there these they " +
    "this those through to too under up use used uses using very was we were what when where which while who whom why " +
    "will with would you your about also each other between both during before after any all only own same some just " +
    "explain describe give example examples one two first second new many much like well within without " +
    // words of question templates: they ask for depth, they are not the subject
    "define defining features role key properties matter matters practice observed analyse analyze depth determines " +
    "behaviour behavior common misconceptions compare related concepts distinguishes walk reasoning behind step limits"
  ).split(/\s+/),
);

/** A text as a regular expression that matches it literally. */
export const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A light plural stemmer: "polymers" → "polymer", "series" stays, "properties" → "property". */
export function stem(word: string): string {
  if (word.length <= 3) return word;
  if (/ies$/.test(word) && !/series$|species$/.test(word)) return `${word.slice(0, -3)}y`;
  if (/(?:ss|us|is|series|species)$/.test(word)) return word;
  if (/(?:sses|xes|ches|shes|zes)$/.test(word)) return word.slice(0, -2);
  if (/s$/.test(word)) return word.slice(0, -1);
  return word;
}

/** Lower-cased, plural-stemmed word tokens without stopwords. */
export function contentWords(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? [])
    .filter((w) => w.length > 1 && !STOPWORDS.has(w))
    .map(stem);
}

/** Splits prose into sentences (keeps abbreviations like "e.g." and decimals intact). */
export function sentences(text: string): string[] {
  const flat = text.replace(/\s+/g, " ").trim();
  if (!flat) return [];
  const out: string[] = [];
  let start = 0;
  const re = /[.!?](?=\s+[\p{Lu}0-9"(])/gu;
  for (let m = re.exec(flat); m; m = re.exec(flat)) {
    const before = flat.slice(Math.max(0, m.index - 4), m.index + 1).toLowerCase();
    if (/\b(?:e\.g|i\.e|etc|vs|approx|fig|no|mr|dr|st)\.$/.test(before)) continue;
    out.push(flat.slice(start, m.index + 1).trim());
    start = m.index + 1;
  }
  const tail = flat.slice(start).trim();
  if (tail) out.push(tail);
  return out;
}

/** Fraction of `a`'s content words that also occur in `b` (0 when `a` has none). */
export function coverage(a: string, b: string): number {
  const aw = new Set(contentWords(a));
  if (aw.size === 0) return 0;
  const bw = new Set(contentWords(b));
  let hit = 0;
  for (const w of aw) if (bw.has(w)) hit++;
  return hit / aw.size;
}

/** Normalises text for exact-duplicate detection (case, whitespace, punctuation). */
export function normaliseForHash(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/** Jaccard similarity of the content-word sets of two texts. */
export function jaccard(a: string, b: string): number {
  const aw = new Set(contentWords(a));
  const bw = new Set(contentWords(b));
  if (aw.size === 0 && bw.size === 0) return 1;
  let inter = 0;
  for (const w of aw) if (bw.has(w)) inter++;
  return inter / (aw.size + bw.size - inter);
}

/** Cuts text to at most `max` characters on a word boundary. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const at = cut.lastIndexOf(" ");
  return `${(at > max * 0.6 ? cut.slice(0, at) : cut).trimEnd()}…`;
}

/** Counts a word's syllables (vowel groups, a silent final e dropped): enough to rank sentences by reading ease. */
export function syllables(word: string): number {
  const w = word.toLowerCase().replace(/[^a-z]/g, "");
  if (w.length <= 3) return 1;
  const groups = w
    .replace(/(?:[^laeiouy]es|ed|[^laeiouy]e)$/, "")
    .replace(/^y/, "")
    .match(/[aeiouy]{1,2}/g);
  return Math.max(1, groups?.length ?? 1);
}

/** Subscript digits as plain ones ("H₂O" → "H2O"). */
export function plainSubscripts(text: string): string {
  return /[₀-₉]/.test(text) ? text.replace(/[₀-₉]/g, (d) => String(d.charCodeAt(0) - 0x2080)) : text;
}

/**
 * Modifier letters as plain letters: "Iᴬ" and "Iᴮ" (alleles, written with superscript
 * capitals) are "IA" and "IB" as a source writes them. Superscript digits stay (exponents).
 */
export function plainModifierLetters(text: string): string {
  return /[\u1D2C-\u1D6A\u2071\u207F]/.test(text)
    ? text.replace(/[\u1D2C-\u1D6A\u2071\u207F]/g, (c) => c.normalize("NFKC"))
    : text;
}

/** What opens a line without being part of its statement: a heading's #, a list marker, a quote's >. */
export const LINE_MARKER = /^\s*(?:#{1,6}\s+|[-*+•]\s+|\d+[.)]\s+|>\s*)/;

/** A number written with a decimal comma ("0,34", "16,7"), not a thousands separator ("1,500"). */
export const DECIMAL_COMMA = /^[-−+]?(?:0,\d+|\d+,(?:\d{1,2}|\d{4,}))$/;

/** Words that set up a case of the text's own: what would or could happen, if, suppose, an example. */
const HYPOTHETICAL =
  /\b(?:would|could|if|suppose|supposing|imagine|say we|for (?:example|instance)|e\.g\.)(?![\w.])/i;

/**
 * Whether a claim sets up a case of its own ("so a black hole of 10 solar masses would have
 * a horizon of about 29.5 km", "you could build 10 storeys of 500 m²"): a conditional or an
 * example, and two or more of its numbers (the case's and its result) that no passage states.
 * Its values are not the source's to contradict.
 */
export function setsOwnCase(claim: string, numbers: string[], passages: Array<{ text: string }>): boolean {
  if (!HYPOTHETICAL.test(claim)) return false;
  return numbers.filter((n) => !passages.some((p) => p.text.includes(n))).length >= 2;
}

/**
 * Whether the text before a number defines one unit in another ("one parsec is about", "1 mile
 * =", "a foot equals"): the number is a conversion factor, not a fact about the subject.
 */
export function definesOneUnit(textBefore: string): boolean {
  // "One parsec is about 3.26 light-years, or about 3.09 × 10¹³ km": the second value is the same factor.
  return /\b(?:one|1|a|an)\s+[\p{L}-]+\s+(?:is|equals|=|≈|corresponds\s+to)\s+(?:about\s+|approximately\s+|roughly\s+|around\s+|~\s*)?(?:(?:[^,;!?]|,(?=\d)){1,30}?,?\s+or\s+(?:about\s+|approximately\s+|roughly\s+|around\s+|~\s*)?)?$/iu.test(
    textBefore.slice(-80),
  );
}
