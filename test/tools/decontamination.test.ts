import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteFile } from "hyparquet-writer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSynthforgeError } from "../../src/core/errors.js";
import { BenchmarkIndex, loadBenchmarks, parseCsv } from "../../src/tools/decontamination.js";

const FIX = join(import.meta.dirname, "..", "fixtures", "review");
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "synthforge-bench-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("benchmark files", () => {
  it("loads JSONL and finds an example that contains a benchmark question, with the item", async () => {
    const idx = await loadBenchmarks([join(FIX, "benchmark.jsonl")]);
    expect(idx.files).toEqual([{ path: join(FIX, "benchmark.jsonl"), rows: 3, segments: 3 }]);
    const m = idx.match(
      "Q: A baker uses 3 cups of flour for each cake she bakes. How many cups of flour does she need to bake 7 cakes for the fair? A: 21",
    );
    expect(m[0]).toMatchObject({
      benchmark: "benchmark.jsonl",
      row: 0,
      itemId: "bench-001",
      field: "question",
      overlap: 1,
    });
    expect(idx.match("A train leaves at noon. Water boils at 100 °C at sea level.")).toEqual([]);
  });

  it("loads CSV (quoted fields with commas and quotes)", async () => {
    const idx = await loadBenchmarks([join(FIX, "benchmark.csv")]);
    const m = idx.match(
      "Task: write a function that returns the number of vowels in a string, counting a, e, i, o and u.",
    );
    expect(m[0]).toMatchObject({ itemId: "csv-1", field: "prompt" });
    expect(parseCsv('a,b\n"x, ""y""",2\r\n')).toEqual([
      ["a", "b"],
      ['x, "y"', "2"],
    ]);
  });

  it("loads Parquet", async () => {
    const file = join(dir, "bench.parquet");
    parquetWriteFile({
      filename: file,
      columnData: [
        { name: "id", data: ["pq-1", "pq-2"] },
        {
          name: "problem",
          data: [
            "Compute the sum of all even numbers between one and one hundred inclusive.",
            "Find the derivative of x squared plus three x.",
          ],
        },
      ],
    });
    const idx = await loadBenchmarks([file]);
    expect(
      idx.match(
        "Here is a problem: compute the sum of all even numbers between one and one hundred inclusive. The answer is 2550.",
      )[0],
    ).toMatchObject({
      itemId: "pq-1",
      field: "problem",
    });
  });

  it("needs enough of an item's n-grams, not a shared phrase", () => {
    const idx = new BenchmarkIndex({ minOverlap: 0.5 });
    idx.addRow("b", 0, {
      question: "Explain why the sky looks blue on a clear day and red at sunset over the sea.",
    });
    expect(idx.match("On a clear day the sky looks blue because of scattering.")).toEqual([]);
  });

  it("says what is wrong with a bad file", async () => {
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, '{"q": "fine line of text here ok"}\nnot json\n');
    for (const [path, re] of [
      [bad, /line 2: not valid JSON/],
      [join(dir, "missing.jsonl"), /does not exist/],
      [join(dir, "x.txt"), /unsupported file type/],
    ] as const) {
      if (path.endsWith(".txt")) writeFileSync(path, "x");
      const e = await loadBenchmarks([path]).catch((err: unknown) => err);
      expect(isSynthforgeError(e, "BENCHMARK_INVALID")).toBe(true);
      expect((e as Error).message).toMatch(re);
    }
  });
});
