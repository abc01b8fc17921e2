/**
 * Search speed-ups that must not change results: the growing BM25 index research ranks a
 * sub-topic's pool with, the local-files search leaving stop words out of its queries,
 * and the bounded memo of pure text functions.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SUBJECTS, termParagraph } from "../../bench/synthetic-corpus.js";
import { memoizeText } from "../../src/core/memo.js";
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
