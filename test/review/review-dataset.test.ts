import { afterAll, describe, expect, it } from "vitest";
import { type ReviewedRow, reviewDataset } from "../../src/index.js";
import { closeJavaScriptSandbox } from "../../src/tools/js-sandbox.js";
import { closePythonSandbox } from "../../src/tools/python-sandbox.js";
import { labelledContext, labelledRow } from "../helpers/labelled.js";

/** A labelled row as a TRL messages row that brings its own passages. */
const sft = (id: string) => ({
  messages: [
    { role: "user", content: labelledRow(id).row.prompt },
    { role: "assistant", content: labelledRow(id).row.response },
  ],
  context: labelledContext(id),
});

afterAll(async () => {
  await closePythonSandbox();
  await closeJavaScriptSandbox();
});

describe("reviewDataset (library)", () => {
  it("yields every row in input order with its review; bad lines are invalid with their line number", async () => {
    async function* lines() {
      yield JSON.stringify(sft("good-sft-rate"));
      yield "";
      yield "{not json";
      yield JSON.stringify(sft("bad-sft-contradicts-rate"));
      yield JSON.stringify({ prompt: "p", chosen: "a", rejected: "b" });
    }
    const out: ReviewedRow[] = [];
    for await (const r of reviewDataset(lines(), { trainingType: "sft", concurrency: 2 })) out.push(r);
    expect(out.map((r) => r.line)).toEqual([1, 3, 4, 5]);
    expect(out[0]!.review.status).toBe("approved");
    expect(out[1]!.review).toMatchObject({ status: "invalid", notes: ["line 3: not valid JSON"] });
    expect(out[2]!.review.status).toBe("rejected");
    expect(out[3]!.review.status).toBe("invalid");
    expect(out[3]!.review.notes[0]).toMatch(/^line 5: not a sft row in a known format/);
  });

  it("takes parsed objects too, and rejects a response repeated under another prompt", async () => {
    const first = sft("good-sft-rate");
    const out: ReviewedRow[] = [];
    for await (const r of reviewDataset([first, first], { trainingType: "sft" })) out.push(r);
    expect(out[0]!.record).toEqual(first);
    expect(out[0]!.review.status).toBe("approved");
    expect(out[1]!.review.status).toBe("rejected");
  });
});
