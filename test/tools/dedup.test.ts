import { describe, expect, it } from "vitest";
import {
  DedupIndex,
  dedupSignature,
  estimateJaccard,
  exactKey,
  jaccardSimilarity,
  minhash,
  shingles,
  U32MultiMap,
} from "../../src/tools/dedup.js";

/** Deterministic pseudo-random words, so the texts are reproducible. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const VOCAB =
  "acid base salt ester alcohol ketone amine amide polymer monomer catalyst enzyme reaction rate energy bond ring chain carbon oxygen nitrogen hydrogen sulfur halogen solvent solution mixture phase gas liquid solid crystal lattice ion cation anion electron proton neutron orbital shell".split(
    " ",
  );
function text(seed: number, n = 60): string {
  const r = rng(seed);
  return Array.from({ length: n }, () => VOCAB[Math.floor(r() * VOCAB.length)]).join(" ");
}
function edit(t: string, edits: number, seed: number): string {
  const w = t.split(" ");
  const r = rng(seed);
  for (let i = 0; i < edits; i++) w[Math.floor(r() * w.length)] = `changed${i}`;
  return w.join(" ");
}

describe("exact keys and shingles", () => {
  it("ignores case, punctuation and spacing", () => {
    expect(exactKey("What is  the molar mass of Water?")).toBe(exactKey("what is the molar mass of water"));
    expect(exactKey("molar mass of water")).not.toBe(exactKey("molar mass of ethanol"));
    expect(shingles("a b c d")).toEqual(["a b c", "b c d"]);
    expect(shingles("two words")).toEqual(["two words"]);
  });
});

describe("MinHash", () => {
  it("estimates Jaccard similarity within the expected error", () => {
    for (let i = 0; i < 20; i++) {
      const a = text(i);
      const b = edit(a, 1 + (i % 8), i + 100);
      const exact = jaccardSimilarity(a, b);
      const est = estimateJaccard(minhash(a), minhash(b));
      expect(Math.abs(est - exact)).toBeLessThan(0.2);
    }
    expect(estimateJaccard(minhash(text(1)), minhash(text(1)))).toBe(1);
    expect(estimateJaccard(minhash(text(1)), minhash(text(2)))).toBeLessThan(0.2);
  });
});

describe("U32MultiMap", () => {
  it("keeps every value of a key and grows", () => {
    const m = new U32MultiMap(4);
    for (let i = 1; i <= 5000; i++) m.add(i % 97 || 97, i);
    const seen: number[] = [];
    m.forEach(5, (v) => seen.push(v));
    expect(seen.sort((a, b) => a - b)).toEqual(
      Array.from({ length: 52 }, (_, k) => 5 + 97 * k).filter((v) => v <= 5000),
    );
    expect(m.size).toBe(5000);
  });
});

describe("dedup index", () => {
  it("finds exact duplicates, and near duplicates above the threshold, not distinct texts", () => {
    const idx = new DedupIndex();
    for (let i = 0; i < 500; i++) idx.add(`ex${i}`, text(i));
    expect(idx.check(`  ${text(7).toUpperCase()}!`)).toEqual({ kind: "exact", id: "ex7", similarity: 1 });
    const near = idx.check(edit(text(42), 2, 9));
    expect(near).toMatchObject({ kind: "near", id: "ex42" });
    expect(near!.similarity).toBeGreaterThanOrEqual(0.7);
    let falsePositives = 0;
    for (let i = 1000; i < 1200; i++) if (idx.check(text(i))) falsePositives++;
    expect(falsePositives).toBe(0);
  });

  it("finds almost every near duplicate at Jaccard 0.8 and above (LSH recall)", () => {
    const idx = new DedupIndex();
    const originals = Array.from({ length: 300 }, (_, i) => text(5000 + i, 80));
    for (const [i, t] of originals.entries()) idx.add(`o${i}`, t);
    let found = 0;
    let tried = 0;
    for (const [i, t] of originals.entries()) {
      const variant = edit(t, 2, i);
      if (jaccardSimilarity(t, variant) < 0.8) continue;
      tried++;
      if (idx.check(variant)?.id === `o${i}`) found++;
    }
    expect(tried).toBeGreaterThan(100);
    expect(found / tried).toBeGreaterThan(0.95);
  });

  it("claims a slot once: the second copy is the duplicate", () => {
    const idx = new DedupIndex();
    expect(idx.claim("a", text(3))).toBeNull();
    expect(idx.claim("b", text(3))).toMatchObject({ kind: "exact", id: "a" });
    expect(idx.size).toBe(1);
  });

  it("stays compact: a few hundred bytes per text", () => {
    const idx = new DedupIndex();
    for (let i = 0; i < 20_000; i++) idx.add(`ex${i}`, text(i, 40));
    expect(idx.bytes / idx.size).toBeLessThan(600);
  });

  it("finds the same response under a different prompt (response-only matching)", () => {
    const idx = new DedupIndex();
    const answer = text(77, 40);
    idx.add("a", dedupSignature(`${text(1, 80)}\n${answer}`, answer));
    // The full texts differ (different prompts), the responses are the same.
    const other = dedupSignature(`${text(2, 80)}\n${answer}`, answer);
    expect(idx.check(other)).toMatchObject({ kind: "response", id: "a", similarity: 1 });
    // Near-verbatim: one word edited.
    const near = edit(answer, 1, 5);
    expect(idx.check(dedupSignature(`${text(3, 80)}\n${near}`, near))).toMatchObject({
      kind: "response",
      id: "a",
    });
    // A short answer ("Paris") is not compared on its own: two prompts may share it.
    const short = dedupSignature("Capital of France?\nParis", "Paris");
    expect(short.response).toBeUndefined();
    idx.add("b", short);
    expect(idx.check(dedupSignature("Which city hosts the Louvre?\nParis", "Paris"))).toBeNull();
    // Without a response signature nothing changes.
    expect(idx.check(`${text(2, 80)}\n${answer}`)).toBeNull();
  });
});
