import { describe, expect, it } from "vitest";
import { AnswerTracker, textHash } from "../../src/pipeline/answer-tracker.js";

/** An answer of two sentences that opens with its own words. */
const answer = (i: number) =>
  `Term number ${i} is a made-up word used only in this test case. It names fact ${i * 7} of the corpus.`;

describe("answer tracker (issue 15: bounded per-run state)", () => {
  it("keeps an approved answer's claim after letting go of its question row", () => {
    const t = new AnswerTracker();
    const q1 = { status: "generated" };
    expect(t.claim("q1", answer(1), q1)).toBeNull();
    q1.status = "approved";
    // Enough other open candidates that the tracker settles its open claims.
    for (let i = 2; i < 200; i++) expect(t.claim(`q${i}`, answer(i), { status: "generated" })).toBeNull();
    // Were the row still read, this status would free q1's answer.
    q1.status = "rejected";
    expect(t.claim("other", answer(1), { status: "generated" })).toBe("q1");
    expect(t.usedIn("other", [{ text: answer(1) }]).openings).toHaveLength(1);
  });

  it("frees the sentences of a dropped candidate's answer, found by the sweep or on lookup", () => {
    const t = new AnswerTracker();
    const q = { status: "generated" };
    t.claim("q", answer(1), q);
    expect(t.usedIn("other", [{ text: answer(1) }]).sentences).toHaveLength(2);
    q.status = "failed";
    for (let i = 2; i < 200; i++) t.claim(`q${i}`, answer(i), { status: "generated" });
    expect(t.usedIn("other", [{ text: answer(1) }])).toEqual({ openings: [], sentences: [] });
    expect(t.claim("other", answer(1), { status: "generated" })).toBeNull();
  });

  it("tracks a sentence held by several answers until the last one lets it go", () => {
    const t = new AnswerTracker();
    const shared = "Osmosis moves water across a membrane towards the more concentrated side.";
    const own = (q: string) => `${q} opens this answer in its own words. ${shared}`;
    for (const q of ["a", "b", "c"]) expect(t.claim(q, own(q))).toBeNull();
    const used = (q: string) => t.usedIn(q, [{ text: shared }]).sentences;
    expect(used("a")).toEqual([shared]);
    t.release("b");
    t.release("c");
    // Only "a" holds it now: "a" sees no other holder, anyone else does.
    expect(used("a")).toEqual([]);
    expect(used("b")).toEqual([shared]);
    t.claim("b", own("b"));
    t.release("a");
    expect(used("b")).toEqual([]);
    expect(used("a")).toEqual([shared]);
    t.release("b");
    expect(used("z")).toEqual([]);
  });

  it("tells sentences apart by a hash that differs for near-identical texts", () => {
    const keys = new Set<number>();
    for (let i = 0; i < 50_000; i++) keys.add(textHash(`sentence ${i} of the corpus.`));
    expect(keys.size).toBe(50_000);
    expect(textHash("a b")).not.toBe(textHash("a  b"));
    expect(Number.isSafeInteger(textHash("x".repeat(1000)))).toBe(true);
  });
});
