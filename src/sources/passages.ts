import { loadSync } from "../core/load.js";
import { contentWords } from "../core/text.js";
import type { Passage } from "../core/types.js";

/** Longest passage kept whole; longer paragraphs are split at sentence ends. */
export const MAX_PASSAGE_CHARS = 1200;
/** Paragraphs shorter than this are merged into the previous passage. */
const MIN_PASSAGE_CHARS = 60;

/**
 * Splits a document body into word-for-word passages: paragraphs (blank-line
 * separated), long ones split at sentence ends, tiny ones merged into the previous one,
 * bare Markdown headings dropped. Whitespace inside a passage is collapsed to single
 * spaces; nothing else is changed.
 */
export function toPassages(body: string): Passage[] {
  const blocks = body
    .split(/\r?\n\s*\r?\n/)
    .map((b) => b.replace(/\s+/g, " ").trim())
    .filter(Boolean);
  const texts: string[] = [];
  for (const block of blocks) {
    // Headings alone are not passages; paragraphs are written to stand alone.
    if (/^#{1,6}\s/.test(block) && block.length < 120) continue;
    let text = block.replace(/^[-*]\s+/, "");
    if (text.length < MIN_PASSAGE_CHARS && texts.length > 0) {
      texts[texts.length - 1] += ` ${text}`;
      continue;
    }
    while (text.length > MAX_PASSAGE_CHARS) {
      const cut = text.lastIndexOf(". ", MAX_PASSAGE_CHARS);
      const at = cut > MAX_PASSAGE_CHARS / 2 ? cut + 1 : MAX_PASSAGE_CHARS;
      texts.push(text.slice(0, at).trim());
      text = text.slice(at).trim();
    }
    if (text) texts.push(text);
  }
  return texts.map((text, index) => ({ text, index }));
}

/** Splits YAML front matter (`---` … `---`) from a Markdown/text body; malformed YAML yields no metadata. */
export function splitFrontMatter(text: string): { meta: Record<string, unknown>; body: string } {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  if (!m) return { meta: {}, body: text };
  try {
    const meta = loadSync<typeof import("yaml")>("yaml").parse(m[1] ?? "");
    return {
      meta: meta && typeof meta === "object" ? (meta as Record<string, unknown>) : {},
      body: text.slice(m[0].length),
    };
  } catch {
    return { meta: {}, body: text.slice(m[0].length) };
  }
}

/** One term of a query or passage for BM25: lower-cased, stop words dropped, plurals stemmed. */
function processTerm(term: string): string | null {
  return contentWords(term)[0] ?? null;
}

/** Where a text is split into tokens (spaces and punctuation), as MiniSearch splits it. */
const TOKEN_BREAK = /[\n\r\p{Z}\p{P}]+/u;

/** BM25's parameters: classic BM25 (no BM25+ delta). */
const K1 = 1.2;
const B = 0.75;
/** Weight of an item's second field (e.g. its document's title) against its text. */
const BOOST_WEIGHT = 0.5;

/** A ranked item with its BM25 score. */
export interface Ranked<T> {
  item: T;
  score: number;
}

/**
 * Ranks texts for a query with BM25, using the project's stop words and plural stemming.
 * Items that share no content word with the query are left out. Best first; ties keep
 * input order.
 */
export function bm25Rank<T>(
  query: string,
  items: T[],
  text: (item: T) => string,
  opts: { boost?: (item: T) => string } = {},
): Array<Ranked<T>> {
  if (items.length === 0 || contentWords(query).length === 0) return [];
  const index = new Bm25Index(text, opts.boost);
  index.add(items);
  return index.rank(query);
}

/** One field of an item as BM25 counts it: its terms' frequencies and its length. */
interface FieldTerms {
  /** Term → occurrences, for the terms that survive {@link processTerm}. */
  tf: Map<string, number>;
  /** Distinct raw tokens (stop words included), MiniSearch's field length. */
  length: number;
}

function fieldTerms(text: string): FieldTerms {
  const tokens = text.split(TOKEN_BREAK);
  const tf = new Map<string, number>();
  for (const token of tokens) {
    const term = processTerm(token);
    if (term) tf.set(term, (tf.get(term) ?? 0) + 1);
  }
  return { tf, length: new Set(tokens).size };
}

/** The postings of one field: term → flat [item id, frequency, item id, frequency, …]. */
class FieldPostings {
  readonly postings = new Map<string, number[]>();
  readonly lengths: number[] = [];
  totalLength = 0;

  add(id: number, f: FieldTerms): void {
    for (const [term, n] of f.tf) {
      const list = this.postings.get(term);
      if (list) list.push(id, n);
      else this.postings.set(term, [id, n]);
    }
    this.lengths.push(f.length);
    this.totalLength += f.length;
  }
}

/**
 * A BM25 index that grows: {@link bm25Rank} over a collection that is ranked many times
 * while items are added to it (a sub-topic's research pool is ranked once per question).
 * Each item is tokenised once, when it is added, instead of on every query. `rank` gives
 * the same result as `bm25Rank` over the items added so far (in the order they were added),
 * followed by `extra`: those are counted for this query only.
 *
 * Scores are classic BM25 (k1 1.2, b 0.75) summed over the query's terms (a repeated
 * term counts again), with the second field weighted {@link BOOST_WEIGHT}; a field's
 * length is its number of distinct tokens. These are the scores MiniSearch gives with the
 * same options, divided by the number of query terms matched (which MiniSearch multiplies
 * in). The postings are flat arrays of numbers, a few bytes a posting, where MiniSearch's
 * radix tree of `Map`s took about 5 KB a passage (issue 15: a research pool of 800
 * passages held 4.4 MB).
 */
export class Bm25Index<T> {
  private readonly items: T[] = [];
  private readonly fields: FieldPostings[];

  /** `text`: the text of an item; `boost`: a second field (e.g. a title) weighted 0.5. */
  constructor(
    private readonly text: (item: T) => string,
    private readonly boost?: (item: T) => string,
  ) {
    this.fields = boost ? [new FieldPostings(), new FieldPostings()] : [new FieldPostings()];
  }

  /** Items indexed. */
  get size(): number {
    return this.items.length;
  }

  /** Adds items (after those already indexed). */
  add(items: T[]): void {
    for (const item of items) {
      const id = this.items.push(item) - 1;
      this.terms(item).forEach((f, k) => {
        this.fields[k]!.add(id, f);
      });
    }
  }

  /** The indexed items and `extra` ranked for `query`, best first; ties keep insertion order. */
  rank(query: string, extra: T[] = []): Array<Ranked<T>> {
    if (this.items.length + extra.length === 0 || contentWords(query).length === 0) return [];
    const base = this.items.length;
    const total = base + extra.length;
    const extraTerms = extra.map((it) => this.terms(it));
    const scores = new Float64Array(total);
    const hit = new Uint8Array(total);
    const queryTerms = query
      .split(TOKEN_BREAK)
      .map(processTerm)
      .filter((t): t is string => !!t);
    this.fields.forEach((field, k) => {
      const weight = k === 0 ? 1 : BOOST_WEIGHT;
      let totalLength = field.totalLength;
      for (const t of extraTerms) totalLength += t[k]!.length;
      const avgLength = totalLength / total;
      for (const term of queryTerms) {
        const list = field.postings.get(term);
        let df = list ? list.length / 2 : 0;
        for (const t of extraTerms) if (t[k]!.tf.has(term)) df++;
        if (df === 0) continue;
        const idf = Math.log(1 + (total - df + 0.5) / (df + 0.5));
        const add = (id: number, tf: number, length: number) => {
          scores[id]! += weight * idf * ((tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * length) / avgLength)));
          hit[id] = 1;
        };
        if (list)
          for (let j = 0; j < list.length; j += 2) add(list[j]!, list[j + 1]!, field.lengths[list[j]!]!);
        extraTerms.forEach((t, e) => {
          const tf = t[k]!.tf.get(term);
          if (tf) add(base + e, tf, t[k]!.length);
        });
      }
    });
    const out: Array<{ item: T; score: number; i: number }> = [];
    for (let i = 0; i < total; i++)
      if (hit[i]) out.push({ item: i < base ? this.items[i]! : extra[i - base]!, score: scores[i]!, i });
    return out.sort((a, b) => b.score - a.score || a.i - b.i).map(({ item, score }) => ({ item, score }));
  }

  private terms(item: T): FieldTerms[] {
    const text = fieldTerms(this.text(item));
    return this.boost ? [text, fieldTerms(this.boost(item))] : [text];
  }
}
