/**
 * Search speed-ups that must not change results: the growing BM25 index research ranks a
 * sub-topic's pool with, the local-files search leaving stop words out of its queries,
 * and the bounded memo of pure text functions.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import MiniSearch from "minisearch";
import { describe, expect, it } from "vitest";
import { SUBJECTS, termParagraph } from "../../bench/synthetic-corpus.js";
import { memoizeText } from "../../src/core/memo.js";
import { contentWords } from "../../src/core/text.js";
import { localFilesSource } from "../../src/sources/local-files.js";
import { Bm25Index, bm25Rank } from "../../src/sources/passages.js";

const texts = Array.from({ length: 60 }, (_, i) => termParagraph(i, SUBJECTS[i % SUBJECTS.length]!));
const words = (t: string) => t.toLowerCase().match(/[a-z]+/g) ?? [];

describe("Bm25Index", () => {
  it("ranks exactly like bm25Rank over the items added so far plus the extra ones, query after query", () => {
    const index = new Bm25Index<string>(
      (t) => t,
      (t) => t.slice(0, 12),
    );
    const queries = [
      `What is ${words(texts[3]!)[0]}?`,
      "Explain its role in zoology and the tidal marshes",
      `${words(texts[40]!)[0]} centimetres cycle`,
      "the and of",
    ];
    for (let added = 0; added < 50; added += 10) {
      index.add(texts.slice(added, added + 10));
      const extra = texts.slice(50, 50 + (added % 7));
      for (const q of queries) {
        const expected = bm25Rank(q, [...texts.slice(0, added + 10), ...extra], (t) => t, {
          boost: (t) => t.slice(0, 12),
        });
        const got = index.rank(q, extra);
        expect(got.map((r) => r.item)).toEqual(expected.map((r) => r.item));
        for (const [i, r] of got.entries()) expect(r.score).toBeCloseTo(expected[i]!.score, 9);
      }
    }
    expect(index.size).toBe(50);
    // Extra items are indexed for one query only.
    const only = `${words(texts[55]!)[0]}`;
    expect(index.rank(only, [texts[55]!]).map((r) => r.item)).toEqual([texts[55]]);
    expect(index.rank(only)).toEqual([]);
  });
});

describe("bm25Rank", () => {
  // MiniSearch with the options the index used to be built on: the reference its own
  // postings must score exactly like (MiniSearch multiplies a result's BM25 sum by the number
  // of query terms matched; bm25Rank does not).
  const reference = (query: string, items: string[], title: (t: string) => string) => {
    const ms = new MiniSearch<{ id: number; text: string; extra: string }>({
      fields: ["text", "extra"],
      storeFields: [],
      processTerm: (t) => contentWords(t)[0] ?? null,
      searchOptions: {
        combineWith: "OR",
        prefix: false,
        fuzzy: false,
        bm25: { k: 1.2, b: 0.75, d: 0 },
        boost: { extra: 0.5 },
      },
    });
    ms.addAll(items.map((text, id) => ({ id, text, extra: title(text) })));
    return ms
      .search(query)
      .map((r) => ({ i: r.id as number, score: r.score / Math.max(1, r.queryTerms.length) }))
      .sort((a, b) => b.score - a.score || a.i - b.i);
  };

  it("scores every item as MiniSearch's BM25 does with the same options (a repeated query word counts twice)", () => {
    const title = (t: string) => t.split(" ").slice(0, 3).join(" ");
    const queries = [
      `What is ${words(texts[3]!)[0]}?`,
      `${words(texts[7]!)[0]} and ${words(texts[7]!)[0]}: ${words(texts[12]!)[2]} in the marshes`,
      "Explain its role in zoology and the tidal marshes, step by step.",
      `${words(texts[40]!)[0]} centimetres cycle — ${words(texts[41]!)[1]}`,
    ];
    let compared = 0;
    for (const q of queries) {
      const want = reference(q, texts, title);
      const got = bm25Rank(q, texts, (t) => t, { boost: title });
      expect(got.map((r) => texts.indexOf(r.item))).toEqual(want.map((r) => r.i));
      for (const [k, r] of got.entries()) expect(r.score).toBeCloseTo(want[k]!.score, 9);
      compared += got.length;
    }
    expect(compared).toBeGreaterThan(20);
  });
});

describe("local files search", () => {
  const dir = mkdtempSync(join(tmpdir(), "sf-stop-"));
  mkdirSync(join(dir, "biology"), { recursive: true });
  const notes = {
    "osmosis.md":
      "Osmosis is the movement of water across a semi-permeable membrane into a more concentrated solution.",
    "diffusion.md":
      "Diffusion is the net movement of particles from a region of higher concentration to lower concentration.",
    "what.md":
      "What it is and what it was: a note on how the words of a question are not the subject of the question.",
  };
  for (const [name, text] of Object.entries(notes))
    writeFileSync(
      join(dir, "biology", name),
      `---\ntitle: ${name.slice(0, -3)}\nlicence: CC0-1.0\n---\n\n${text}\n`,
    );
  const source = localFilesSource({ dir });

  it("leaves stop words out of a query: the same documents in the same order as the content words alone", async () => {
    const a = await source.search("What is osmosis across a membrane?", { limit: 5 });
    const b = await source.search("osmosis membrane", { limit: 5 });
    expect(a.map((d) => d.title)).toEqual(b.map((d) => d.title));
    expect(a[0]?.title).toBe("osmosis");
    // A note that shares only stop words with the query is not a hit.
    expect(a.map((d) => d.title)).not.toContain("what");
  });

  it("still searches a query made only of stop words", async () => {
    const hits = await source.search("what it was", { limit: 5 });
    expect(hits[0]?.title).toBe("what");
  });
});

describe("memoizeText", () => {
  it("computes each text once while it is remembered, and forgets the oldest beyond its bound", () => {
    const seen: string[] = [];
    const upper = memoizeText((t) => {
      seen.push(t);
      return t.toUpperCase();
    }, 2);
    expect(upper("a")).toBe("A");
    expect(upper("a")).toBe("A");
    expect(upper("b")).toBe("B");
    expect(seen).toEqual(["a", "b"]);
    expect(upper("c")).toBe("C"); // forgets "a"
    expect(upper("b")).toBe("B");
    expect(upper("a")).toBe("A");
    expect(seen).toEqual(["a", "b", "c", "a"]);
  });
});
