import { describe, expect, it } from "vitest";
import {
  buildDocument,
  cleanText,
  datePartsToIso,
  isoDate,
  keywords,
  markdownToParagraphs,
  markupToParagraphs,
  monthNumber,
  pickPassages,
  queryDoi,
  settleEach,
  stripMarkup,
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

  it("dates: a bare year stays a year; impossible months and days are dropped, never emitted", () => {
    // a year given as a number (Semantic Scholar `year`, OpenAlex `publication_year`,
    // CORE `yearPublished`) is not a second of January 1970
    expect(isoDate(2023)).toBe("2023");
    expect(isoDate(1936)).toBe("1936");
    expect(isoDate("2023")).toBe("2023");
    expect(isoDate(1262304000)).toBe("2010-01-01");
    expect(isoDate(1262304000000)).toBe("2010-01-01");
    // month 0 (DOAJ `month: "0"`), month 13, February 30: dropped with what follows
    expect(isoDate("2020-00")).toBe("2020");
    expect(isoDate("2020-00-00")).toBe("2020");
    expect(isoDate("2020-13-01")).toBe("2020");
    expect(isoDate("2021-02-30")).toBe("2021-02");
    expect(isoDate("2020-02-29")).toBe("2020-02-29");
    expect(isoDate("2020-4-7")).toBe("2020-04-07");
    expect(isoDate({ "date-parts": [[2020, 0]] })).toBe("2020");
    expect(isoDate({ "date-parts": [[2019, 4, 31]] })).toBe("2019-04");
    expect(datePartsToIso(2020, 0)).toBe("2020");
    expect(datePartsToIso(2020, 12, 31)).toBe("2020-12-31");
    expect(datePartsToIso(null, 5)).toBeNull();
    expect(["March", "Sept.", "apr", "12", "0", "13", "decade", "Spring"].map(monthNumber)).toEqual([
      3,
      9,
      4,
      12,
      null,
      null,
      null,
      null,
    ]);
  });

  it("renders MathML as readable text: alttext, else tokens joined (no token soup)", () => {
    // Pretty-printed inline MathML as PubMed, Europe PMC and Crossref carry it in abstracts.
    const vo2max = `uptake (<mml:math xmlns:mml="http://www.w3.org/1998/Math/MathML" id="M1">
      <mml:mrow>
        <mml:mover accent="true"><mml:mi>V</mml:mi><mml:mo>˙</mml:mo></mml:mover>
        <mml:msub>
          <mml:mi mathvariant="normal">O</mml:mi>
          <mml:mrow><mml:mn>2</mml:mn><mml:mi>m</mml:mi><mml:mi>a</mml:mi><mml:mi>x</mml:mi></mml:mrow>
        </mml:msub>
      </mml:mrow>
    </mml:math>) rose`;
    expect(markupToParagraphs(`<p>${vo2max}</p>`)).toEqual(["uptake (V\u0307O2max) rose"]);
    expect(stripMarkup(vo2max)).toBe("uptake (V\u0307O2max) rose");
    expect(stripMarkup('<math alttext="VO_{2max}"><mi>V</mi><mi>O</mi></math>')).toBe("VO_{2max}");
    expect(
      stripMarkup(
        "p <mml:math><mml:mo>&lt;</mml:mo><mml:mn>0.05</mml:mn></mml:math>, <mml:math><mml:msup><mml:mi>x</mml:mi><mml:mn>2</mml:mn></mml:msup><mml:mo>+</mml:mo><mml:mfrac><mml:mn>1</mml:mn><mml:mi>n</mml:mi></mml:mfrac></mml:math> and <mml:math><mml:msup><mml:mtext>Ca</mml:mtext><mml:mrow><mml:mn>2</mml:mn><mml:mo>+</mml:mo></mml:mrow></mml:msup></mml:math>",
      ),
    ).toBe("p < 0.05, x^2+1/n and Ca^2+");
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
