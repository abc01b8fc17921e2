/**
 * A run fetches each (source, query) once: the plan's look at the sources (the estimate of
 * the material, then the planner's hints) and research share the run's search cache.
 */
import { describe, expect, it } from "vitest";
import { sha256 } from "../../src/core/ids.js";
import type { SourceDocument } from "../../src/core/types.js";
import { planRequest } from "../../src/pipeline/plan-stage.js";
import { SearchCache } from "../../src/pipeline/search-cache.js";
import { corpusSource } from "../../src/sources/corpus.js";
import { normaliseLicence } from "../../src/sources/licence.js";
import type { SearchOptions, SourceAdapter } from "../../src/sources/types.js";
import { counting } from "../sources/helpers/research-kit.js";

/** A source of `n` numbered documents that counts its searches (query and limit). */
function numbered(id: string, n: number) {
  const calls: Array<{ query: string; limit: number | undefined }> = [];
  let fail = 0;
  const source: SourceAdapter & { calls: typeof calls; failNext(k: number): void } = {
    id,
    description: `${n} numbered documents`,
    calls,
    failNext(k) {
      fail = k;
    },
    async search(query: string, opts?: SearchOptions): Promise<SourceDocument[]> {
      calls.push({ query, limit: opts?.limit });
      if (fail > 0) {
        fail--;
        throw new Error("service unavailable");
      }
      return Array.from({ length: Math.min(n, opts?.limit ?? 5) }, (_, i) => ({
        url: `https://x/${id}/${i}`,
        title: `${query} ${i}`,
        authors: [],
        adapter: id,
        contentHash: sha256(`${id}${query}${i}`),
        licence: normaliseLicence("CC-BY-4.0", "test"),
        passages: [{ text: `Document ${i} about ${query}.`, index: 0 }],
      }));
    },
  };
  return source;
}

describe("SearchCache", () => {
  it("fetches a (source, query) once while the kept result covers the limit asked", async () => {
    const cache = new SearchCache();
    const s = numbered("a", 100);
    const fifty = await cache.search(s, "esters", { limit: 50 });
    const twenty = await cache.search(s, "esters", { limit: 20 });
    expect(s.calls).toEqual([{ query: "esters", limit: 50 }]);
    expect(twenty).toEqual(fifty.slice(0, 20));
    // A larger limit is fetched again, and then serves the smaller ones.
    expect(await cache.search(s, "esters", { limit: 80 })).toHaveLength(80);
    await cache.search(s, "esters", { limit: 60 });
    expect(s.calls.map((c) => c.limit)).toEqual([50, 80]);
    expect(cache.fetched).toBe(2);
    expect(cache.served).toBe(2);
  });

  it("answers a larger limit from a search that found everything the source has", async () => {
    const cache = new SearchCache();
    const s = numbered("a", 3);
    await cache.search(s, "esters", { limit: 20 });
    expect(await cache.search(s, "esters", { limit: 500 })).toHaveLength(3);
    expect(s.calls).toHaveLength(1);
  });

  it("shares a search in flight, keeps no failure, and tells sources apart by identity", async () => {
    const cache = new SearchCache();
    const a = numbered("localFiles", 10);
    const b = numbered("localFiles", 10);
    const [x, y] = await Promise.all([
      cache.search(a, "q", { limit: 5 }),
      cache.search(a, "q", { limit: 5 }),
    ]);
    expect(x).toEqual(y);
    expect(a.calls).toHaveLength(1);
    await cache.search(b, "q", { limit: 5 });
    expect(b.calls).toHaveLength(1);

    const c = numbered("c", 10);
    c.failNext(1);
    await expect(cache.search(c, "q", { limit: 5 })).rejects.toThrow(/unavailable/);
    expect(await cache.search(c, "q", { limit: 5 })).toHaveLength(5);
    expect(c.calls).toHaveLength(2);
  });

  it("is bounded: the least recently used searches and very long results are not kept", async () => {
    const cache = new SearchCache(3, 10);
    const s = numbered("a", 100);
    for (const q of ["q1", "q2", "q3", "q4"]) await cache.search(s, q, { limit: 5 });
    expect(cache.size).toBe(3);
    await cache.search(s, "q1", { limit: 5 });
    expect(s.calls.filter((c) => c.query === "q1")).toHaveLength(2);
    await cache.search(s, "long", { limit: 50 });
    await cache.search(s, "long", { limit: 50 });
    expect(s.calls.filter((c) => c.query === "long")).toHaveLength(2);
    expect(cache.size).toBeLessThanOrEqual(3);
  });
});

describe("planning a request", () => {
  it("asks each source each query once (the estimate of the material and the hints share it)", async () => {
    const corpus = counting(corpusSource());
    const preview = await planRequest("Generate 20 SFT examples about organic chemistry", {
      sources: [corpus],
    });
    expect(preview.material.passages).toBeGreaterThan(0);
    expect(preview.plan.subTopics.length).toBeGreaterThan(0);
    expect(corpus.queries).toContain("organic chemistry");
    expect(corpus.queries.length).toBe(new Set(corpus.queries).size);
  });
});
