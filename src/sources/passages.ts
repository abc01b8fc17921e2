import MiniSearch from "minisearch";
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

/** A ranked item with its BM25 score. */
export interface Ranked<T> {
  item: T;
  score: number;
}

/**
 * Ranks texts for a query with BM25 (MiniSearch), using the project's stop words and
 * plural stemming. Items that share no content word with the query are left out. Best
 * first; ties keep input order.
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

interface IndexedText {
  id: number;
  text: string;
  extra: string;
}

/**
 * A BM25 index that grows: {@link bm25Rank} over a collection that is ranked many times
 * while items are added to it (a sub-topic's research pool is ranked once per question).
 * Each item is tokenised once, when it is added, instead of on every query. `rank` gives
 * the same result as `bm25Rank` over the items added so far (in the order they were added),
 * followed by `extra`: those are indexed for this query only.
 */
export class Bm25Index<T> {
  private readonly index: MiniSearch<IndexedText>;
  private readonly items: T[] = [];

  /** `text`: the text of an item; `boost`: a second field (e.g. a title) weighted 0.5. */
  constructor(
    private readonly text: (item: T) => string,
    private readonly boost?: (item: T) => string,
  ) {
    this.index = new MiniSearch<IndexedText>({
      fields: boost ? ["text", "extra"] : ["text"],
      storeFields: [],
      processTerm,
      // Classic BM25 (k1 1.2, b 0.75, no BM25+ delta).
      searchOptions: {
        combineWith: "OR",
        prefix: false,
        fuzzy: false,
        bm25: { k: 1.2, b: 0.75, d: 0 },
        ...(boost ? { boost: { extra: 0.5 } } : {}),
      },
    });
  }

  /** Items indexed. */
  get size(): number {
    return this.items.length;
  }

  /** Adds items (after those already indexed). */
  add(items: T[]): void {
    this.index.addAll(items.map((it) => this.entry(it, this.items.push(it) - 1)));
  }

  /** The indexed items and `extra` ranked for `query`, best first; ties keep insertion order. */
  rank(query: string, extra: T[] = []): Array<Ranked<T>> {
    if (this.items.length + extra.length === 0 || contentWords(query).length === 0) return [];
    const base = this.items.length;
    const transient = extra.map((it, k) => this.entry(it, base + k));
    this.index.addAll(transient);
    try {
      return (
        this.index
          .search(query)
          // MiniSearch multiplies the BM25 sum by the number of query terms matched; undo that,
          // so rare words weigh what BM25 says they weigh.
          .map((r) => {
            const i = r.id as number;
            return {
              item: i < base ? this.items[i]! : extra[i - base]!,
              score: r.score / Math.max(1, r.queryTerms.length),
              i,
            };
          })
          .sort((a, b) => b.score - a.score || a.i - b.i)
          .map(({ item, score }) => ({ item, score }))
      );
    } finally {
      for (const e of transient) this.index.remove(e);
    }
  }

  private entry(item: T, id: number): IndexedText {
    return { id, text: this.text(item), extra: this.boost ? this.boost(item) : "" };
  }
}
