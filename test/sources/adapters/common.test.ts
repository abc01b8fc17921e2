import { describe, expect, it } from "vitest";
import {
  buildDocument,
  cleanText,
  isoDate,
  keywords,
  markdownToParagraphs,
  markupToParagraphs,
  pickPassages,
  queryDoi,
  settleEach,
  textToParagraphs,
  toPassages,
} from "../../../src/sources/adapters/common.js";
import { sourceFailed } from "../../../src/sources/http.js";
import { unknownLicence } from "../../../src/sources/licence.js";

describe("adapter text helpers", () => {
  it("cleans odd unicode without changing words", () => {
    expect(cleanText("a\u0000b\u0007c")).toBe("abc");
    expect(cleanText("x\uD800y")).toBe("xy");
    expect(cleanText("safe\u202Etxt.exe")).toBe("safetxt.exe");
    expect(cleanText("zero\u200Bwidth\uFEFF")).toBe("zerowidth");
    expect(cleanText("Cafe\u0301")).toBe("Café");
    expect(cleanText("emoji 🧪 and 中文 and עברית")).toBe("emoji 🧪 and 中文 and עברית");
    expect(cleanText("line\nbreak\ttab")).toBe("line\nbreak\ttab");
  });

  it("splits JATS, HTML and plain text into paragraphs", () => {
    expect(
      markupToParagraphs(
        "<jats:title>Abstract</jats:title><jats:p>First <jats:italic>part</jats:italic>.</jats:p><jats:p>Second &amp; last.</jats:p>",
      ),
    ).toEqual(["First part.", "Second & last."]);
    expect(
      markupToParagraphs("<h4>Objective</h4>We tested x.<h4>Results</h4>It <sub>2</sub> worked."),
    ).toEqual(["We tested x.", "It 2 worked."]);
    expect(markupToParagraphs("one<br><br>two")).toEqual(["one", "two"]);
    expect(markupToParagraphs("<p>a <script>alert(1)</script>b</p>")).toEqual(["a b"]);
    expect(textToParagraphs("  wrapped\nline\n\nnext  ")).toEqual(["wrapped line", "next"]);
    expect(textToParagraphs("Lead.\n== History ==\nBody.", { singleNewline: true })).toEqual([
      "Lead.",
      "Body.",
    ]);
    expect(
      markdownToParagraphs(
        "---\nlicense: mit\n---\n# T\n\n[![b](x.svg)](y)\n\nText here.\n\n```\ncode\n```\n\n| a |\n|---|\n",
      ),
    ).toEqual(["Text here."]);
  });

  it("passages: long paragraphs split at sentence ends, tiny ones merged; relevant ones picked", () => {
    const long = `${"Alpha beta gamma delta. ".repeat(80)}`.trim();
    const ps = toPassages([
      long,
      "tiny",
      "Another paragraph that is long enough to stand on its own as a passage.",
    ]);
    expect(ps.every((p) => p.text.length <= 1200)).toBe(true);
    expect(ps.map((p) => p.index)).toEqual(ps.map((_, i) => i));
    expect(ps.some((p) => p.text.endsWith("delta. tiny"))).toBe(true);
    const picked = pickPassages(
      [
        { text: "Cats purr.", index: 0 },
        { text: "Buffers resist pH change.", index: 1 },
        { text: "Dogs bark.", index: 2 },
      ],
      "pH buffers",
      1,
    );
    expect(picked).toEqual([{ text: "Buffers resist pH change.", index: 1 }]);
  });

  it("reads queries: content words, DOIs, dates", () => {
    expect(keywords("What is the molar mass of glucose?")).toEqual(["molar", "mass", "glucose"]);
    expect(keywords("C++ and C# in .NET")).toEqual(["c++", "c#", "net"]);
    expect(queryDoi("https://doi.org/10.1038/s42256-024-00832-8")).toBe("10.1038/s42256-024-00832-8");
    expect(queryDoi("doi:10.1101/2024.04.01.587366")).toBe("10.1101/2024.04.01.587366");
    expect(queryDoi("see 10.1038/x for details")).toBeNull();
    expect(isoDate({ "date-parts": [[2024, 5, 8]] })).toBe("2024-05-08");
    expect(isoDate({ "date-parts": [[2024]] })).toBe("2024");
    expect(isoDate(1262304000)).toBe("2010-01-01");
    expect(isoDate("2021-06-14T10:00:00.000Z")).toBe("2021-06-14");
    expect(isoDate("garbage")).toBeNull();
  });

  it("never builds a document without text; hashes the full text", () => {
    const base = {
      adapter: "t",
      url: "https://x",
      title: "T",
      authors: [],
      published: null,
      licence: unknownLicence(),
      query: "q",
      passagesPerDocument: 1,
    };
    expect(buildDocument({ ...base, paragraphs: [] })).toBeNull();
    expect(buildDocument({ ...base, paragraphs: ["  ", "\u0000"] })).toBeNull();
    const a = buildDocument({
      ...base,
      paragraphs: [
        "First paragraph about q that is long enough to be a passage.",
        "Second paragraph, also long enough to be a passage of its own.",
      ],
    })!;
    const b = buildDocument({
      ...base,
      query: "second",
      paragraphs: [
        "First paragraph about q that is long enough to be a passage.",
        "Second paragraph, also long enough to be a passage of its own.",
      ],
    })!;
    expect(a.passages).toHaveLength(1);
    expect(a.contentHash).toBe(b.contentHash);
    expect(a.passages[0]!.text).not.toBe(b.passages[0]!.text);
  });

  it("settleEach skips failed items but fails when all do", async () => {
    const boom = () => sourceFailed({ adapter: "t", reason: "network" }, "down");
    expect(await settleEach([1, 2, 3], async (n) => (n === 2 ? Promise.reject(boom()) : n))).toEqual([1, 3]);
    await expect(settleEach([1, 2], async () => Promise.reject(boom()))).rejects.toThrow("down");
    expect(await settleEach([], async () => 1)).toEqual([]);
  });
});
