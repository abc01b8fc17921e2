import MiniSearch from "minisearch";
import { parse as parseYaml } from "yaml";
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
    const meta = parseYaml(m[1] ?? "");
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
  const index = new MiniSearch<{ id: number; text: string; extra: string }>({
    fields: opts.boost ? ["text", "extra"] : ["text"],
    storeFields: [],
    processTerm,
    // Classic BM25 (k1 1.2, b 0.75, no BM25+ delta).
    searchOptions: {
      combineWith: "OR",
      prefix: false,
      fuzzy: false,
      bm25: { k: 1.2, b: 0.75, d: 0 },
      ...(opts.boost ? { boost: { extra: 0.5 } } : {}),
    },
  });
  index.addAll(items.map((it, id) => ({ id, text: text(it), extra: opts.boost ? opts.boost(it) : "" })));
  return (
    index
      .search(query)
      // MiniSearch multiplies the BM25 sum by the number of query terms matched; undo that,
      // so rare words weigh what BM25 says they weigh.
      .map((r) => ({
        item: items[r.id as number]!,
        score: r.score / Math.max(1, r.queryTerms.length),
        i: r.id as number,
      }))
      .sort((a, b) => b.score - a.score || a.i - b.i)
      .map(({ item, score }) => ({ item, score }))
  );
}
