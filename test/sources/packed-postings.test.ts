/**
 * The local-files index packs MiniSearch's postings into typed arrays once every passage is
 * added (a sixth of the memory). Packing must not change a single search: same passages,
 * same scores, same order, same matched terms, for exact, prefix and fuzzy matches and
 * field boosts, as the local-files source searches.
 */
import MiniSearch from "minisearch";
import { describe, expect, it } from "vitest";
import { SUBJECTS, termParagraph } from "../../bench/synthetic-corpus.js";
import { packPostings } from "../../src/sources/packed-postings.js";

type Doc = { id: number; text: string; title: string; path: string };

const docs: Doc[] = Array.from({ length: 400 }, (_, i) => {
  const subject = SUBJECTS[i % SUBJECTS.length]!;
  return {
    id: i,
    text: termParagraph(i, subject),
    title: `${subject} notes ${i % 25}`,
    path: `${subject} ${i % 7}`,
  };
});
const words = [...new Set(docs.flatMap((d) => d.text.toLowerCase().match(/[a-z]{4,}/g) ?? []))];

function build(): MiniSearch<Doc> {
  const index = new MiniSearch<Doc>({
    fields: ["text", "title", "path"],
    storeFields: ["title"],
    searchOptions: { boost: { title: 1.5, path: 0.5 }, prefix: true, fuzzy: 0.15 },
  });
  index.addAll(docs);
  return index;
}

// Words of the corpus (whole, cut short for prefix matches, misspelt for fuzzy ones), words
// it lacks, and several at once.
const queries = [
  ...words.filter((_, i) => i % 37 === 0),
  ...words.filter((_, i) => i % 53 === 0).map((w) => w.slice(0, 4)),
  ...words.filter((_, i) => i % 61 === 0).map((w) => `${w.slice(0, -1)}x`),
  "What is the role of botany in tidal marshes?",
  "zoology genetics 1900",
  "quokkaberry",
  "",
];

describe("packPostings", () => {
  it("leaves every search exactly as it was, with OR and AND queries", () => {
    const plain = build();
    const packed = build();
    const n = packPostings(packed);
    let postings = 0;
    for (const [, byField] of (
      plain as unknown as { _index: Iterable<[string, Map<number, Map<number, number>>]> }
    )._index)
      for (const [, m] of byField) postings += m.size;
    expect(n).toBe(postings);
    expect(queries.length).toBeGreaterThan(40);
    let hits = 0;
    for (const q of queries) {
      for (const combineWith of ["OR", "AND"] as const) {
        const want = plain.search(q, { combineWith });
        const got = packed.search(q, { combineWith });
        expect(got, q).toEqual(want);
        hits += got.length;
      }
    }
    expect(hits).toBeGreaterThan(100);
  });

  it("packs nothing twice, and a packed index refuses to change", () => {
    const index = build();
    expect(packPostings(index)).toBeGreaterThan(0);
    expect(packPostings(index)).toBe(0);
    expect(() => index.remove(docs[0]!)).toThrow(/read-only/);
  });
});
