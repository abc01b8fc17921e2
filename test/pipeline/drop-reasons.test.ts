import { describe, expect, it } from "vitest";
import { dropReasonKey } from "../../src/pipeline/run-loop.js";

describe("drop reasons in the summary", () => {
  it.each([
    [
      "rejected by review: score 0 < 0.6: a near duplicate of example ex_01a219368dff75938bf4faa54599c451, approved while this one was in review",
      "a near duplicate of example #",
    ],
    ["rejected by review: score 0.55 < 0.6: incomplete: the answer does not address x", "incomplete"],
    ["still below 0.8 after 2 revision(s) (score 0.7): thin", "still below # after # revision"],
    ["no ground truth: no source passage matched the question", "no ground truth"],
    ["response has 47 words, want at least 60", "response has # words"],
  ])("%s → %s", (reason, key) => {
    expect(dropReasonKey(reason)).toBe(key);
  });
});
