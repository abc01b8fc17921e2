import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSynthforgeError } from "../../src/core/errors.js";
import { bundledCorpusDir, corpusSource } from "../../src/sources/corpus.js";
import { firstInvalidUtf8, localFilesSource } from "../../src/sources/local-files.js";
import { makePdf } from "./helpers/pdf.js";

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sf-local-"));
  // A folder with its own LICENSE (MIT text), a sub-folder without one (inherits it), a
  // folder with a CC LICENSE, a note with front matter, PDFs and a broken PDF.
  writeFileSync(
    join(dir, "LICENSE"),
    "Copyright (c) 2025 Lab\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\n",
  );
  mkdirSync(join(dir, "chemistry", "deep"), { recursive: true });
  writeFileSync(
    join(dir, "chemistry", "haber.md"),
    [
      "---",
      "title: The Haber process",
      "licence: https://creativecommons.org/licenses/by-sa/4.0/deed.en",
      "authors: [Fritz Notes, Carl Notes]",
      "published: 2024-02-01",
      "---",
      "",
      "# The Haber process",
      "",
      "The Haber process combines nitrogen and hydrogen over an iron catalyst at about 450 °C and 200 atmospheres to make ammonia.",
      "",
      "Ammonia from the Haber process feeds most of the world's nitrogen fertiliser production.",
    ].join("\n"),
  );
  writeFileSync(
    join(dir, "chemistry", "deep", "titration.txt"),
    "Titration measures the concentration of an acid by adding a base of known concentration until the indicator changes colour.\n",
  );
  mkdirSync(join(dir, "cc"));
  writeFileSync(
    join(dir, "cc", "LICENSE.md"),
    "# Licence\n\nThese notes are licensed under CC BY 4.0: https://creativecommons.org/licenses/by/4.0/\n",
  );
  writeFileSync(
    join(dir, "cc", "electrolysis.pdf"),
    makePdf(
      [
        [
          "Electrolysis drives a non-spontaneous redox reaction with electric current.",
          "At the cathode reduction takes place; at the anode oxidation takes place.",
        ],
        ["Faraday laws relate the charge passed to the amount of substance deposited at an electrode."],
      ],
      { title: "Electrolysis (lecture notes)", author: "A. Chemist; B. Writer" },
    ),
  );
  writeFileSync(
    join(dir, "cc", "xmp.pdf"),
    makePdf(
      [["Spectroscopy uses the absorption of light by molecules to identify functional groups in a sample."]],
      {
        xmpWebStatement: "https://creativecommons.org/licenses/by-nc/4.0/",
      },
    ),
  );
  writeFileSync(join(dir, "cc", "broken.pdf"), "%PDF-1.4\nthis is not really a pdf\n");
  writeFileSync(join(dir, "cc", "empty.pdf"), makePdf([[]]));
  writeFileSync(
    join(dir, "page.html"),
    '<html><head><title>Catalysts</title><link rel="license" href="https://creativecommons.org/publicdomain/zero/1.0/"></head><body><p>A catalyst lowers the activation energy of a reaction without being consumed, so the reaction reaches equilibrium faster.</p></body></html>',
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("localFilesSource", () => {
  it("extracts PDF text through unpdf, with title and authors from the PDF metadata and the licence from the LICENSE file beside it", async () => {
    const source = localFilesSource({ dir });
    const [doc] = await source.search("Faraday laws charge electrode", { limit: 1 });
    expect(doc?.title).toBe("Electrolysis (lecture notes)");
    expect(doc?.authors).toEqual(["A. Chemist", "B. Writer"]);
    expect(doc?.published).toBe("2024-03-15");
    expect(doc?.url).toMatch(/^file:\/\/.*electrolysis\.pdf$/);
    expect(doc?.passages.map((p) => p.text).join(" ")).toContain(
      "Faraday laws relate the charge passed to the amount of substance deposited at an electrode.",
    );
    expect(doc?.licence.spdx).toBe("CC-BY-4.0");
    expect(doc?.licence.evidence).toContain("LICENSE file cc/LICENSE.md");
    expect(doc?.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("reads a licence from a PDF's XMP rights statement before any LICENSE file", async () => {
    const [doc] = await localFilesSource({ dir }).search("spectroscopy absorption functional groups", {
      limit: 1,
    });
    expect(doc?.url).toMatch(/xmp\.pdf$/);
    expect(doc?.licence.spdx).toBe("CC-BY-NC-4.0");
    expect(doc?.licence.evidence).toContain("PDF metadata");
  });

  it("skips unreadable and empty PDFs with the reason, and keeps going", async () => {
    const source = localFilesSource({ dir });
    const docs = await source.search("electrolysis cathode", { limit: 10 });
    expect(docs.length).toBeGreaterThan(0);
    const skipped = Object.fromEntries(source.skipped.map((s) => [s.path.split("/").pop(), s.reason]));
    expect(Object.keys(skipped).sort()).toEqual(["broken.pdf", "empty.pdf"]);
    expect(skipped["empty.pdf"]).toContain("no extractable text");
    expect(skipped["broken.pdf"]!.length).toBeGreaterThan(5);
  });

  it("takes the licence from front matter, then a LICENSE file above, then an HTML rel=license link", async () => {
    const source = localFilesSource({ dir });
    const [haber] = await source.search("Haber process ammonia catalyst", { limit: 1 });
    expect(haber?.title).toBe("The Haber process");
    expect(haber?.licence).toMatchObject({ spdx: "CC-BY-SA-4.0", shareAlike: true, permissive: true });
    expect(haber?.authors).toEqual(["Fritz Notes", "Carl Notes"]);
    expect(haber?.passages.some((p) => p.text.startsWith("---"))).toBe(false);
    const [titration] = await source.search("titration indicator concentration", { limit: 1 });
    expect(titration?.licence.spdx).toBe("MIT");
    expect(titration?.licence.evidence).toContain("LICENSE file LICENSE");
    const [html] = await source.search("catalyst activation energy", { limit: 1 });
    expect(html?.title).toBe("Catalysts");
    expect(html?.licence.spdx).toBe("CC0-1.0");
  });

  it("uses the licence option only when a file states none, and unknown without it", async () => {
    const bare = mkdtempSync(join(tmpdir(), "sf-bare-"));
    try {
      writeFileSync(
        join(bare, "note.md"),
        "Le Chatelier's principle predicts how an equilibrium shifts when conditions change.\n",
      );
      const [withOption] = await localFilesSource({ dir: bare, licence: "CC BY 4.0" }).search(
        "equilibrium shifts",
      );
      expect(withOption?.licence.spdx).toBe("CC-BY-4.0");
      expect(withOption?.licence.evidence).toContain("licence option");
      const [without] = await localFilesSource({ dir: bare }).search("equilibrium shifts");
      expect(without?.licence).toMatchObject({ spdx: "unknown", permissive: false });
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it("refuses a folder that does not exist with a typed error", () => {
    try {
      localFilesSource({ dir: join(dir, "nope") });
      expect.unreachable();
    } catch (e) {
      expect(isSynthforgeError(e, "CORPUS_NOT_FOUND")).toBe(true);
    }
  });

  it("the bundled corpus is CC-BY-4.0 from its front matter", async () => {
    expect(bundledCorpusDir()).toMatch(/examples[/\\]corpus$/);
    const docs = await corpusSource().search("benzene electrophilic aromatic substitution", { limit: 2 });
    expect(docs[0]?.licence.spdx).toBe("CC-BY-4.0");
    expect(docs[0]?.adapter).toBe("corpus");
  });
});

describe("localFilesSource in a large corpus", () => {
  // 60 notes × 4 paragraphs: every paragraph names the corpus's topic ("limnology"); one
  // paragraph in the corpus mentions "diatoms".
  const big = mkdtempSync(join(tmpdir(), "sf-notes-big-"));
  for (let i = 0; i < 60; i++) {
    const paras = Array.from(
      { length: 4 },
      (_, j) =>
        `In limnology, note ${i} paragraph ${j} records lake ${i * 4 + j} at ${10 + j} metres depth and ${i % 7} degrees.`,
    );
    if (i === 41) paras[2] = "In limnology, diatoms dominate the spring bloom of a temperate lake.";
    writeFileSync(
      join(big, `note-${i}.md`),
      `---\nlicence: CC0-1.0\n---\n# Note ${i}\n\n${paras.join("\n\n")}\n`,
    );
  }
  const source = localFilesSource({ dir: big });

  it("ranks by the words that tell passages apart: a word in most passages neither adds filler documents nor costs a scan", async () => {
    const docs = await source.search("What role do diatoms play in limnology?", { limit: 5 });
    expect(docs.map((d) => d.title)).toEqual(["Note 41"]);
    expect(docs[0]!.passages[0]!.text).toMatch(/diatoms dominate/);
  });

  it("still answers a query made only of common words", async () => {
    const docs = await source.search("limnology", { limit: 3 });
    expect(docs).toHaveLength(3);
  });
});

describe("localFilesSource: files it does not read", () => {
  const notes = mkdtempSync(join(tmpdir(), "sf-notes-skip-"));
  writeFileSync(
    join(notes, "good.md"),
    "---\nlicence: CC0-1.0\n---\n# Moles\n\nA mole holds Avogadro's number of particles, about 6.022e23.\n",
  );
  // 21 MB on paper (a sparse file), 2 KB of real text: the cap is about size, checked before reading.
  writeFileSync(join(notes, "huge.html"), "");
  truncateSync(join(notes, "huge.html"), 21_000_000);
  writeFileSync(join(notes, "small-but-capped.txt"), "Buffers resist changes in pH. ".repeat(80));
  writeFileSync(join(notes, "binary.txt"), Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x10]));
  writeFileSync(
    join(notes, "latin1.md"),
    Buffer.concat([
      Buffer.from("---\nlicence: CC0-1.0\n---\n# Caf"),
      Buffer.from([0xe9]),
      Buffer.from("\n\nMolar mass converts grams of the caf"),
      Buffer.from([0xe9]),
      Buffer.from(" sample to moles.\n"),
    ]),
  );
  afterAll(() => rmSync(notes, { recursive: true, force: true }));

  it("skips a file over the cap (default 20 MB, configurable), a binary file and one that is not UTF-8, with the reasons", async () => {
    const source = localFilesSource({ dir: notes, maxTextBytes: 2000 });
    const { documents, skipped } = await source.load();
    expect(documents).toBe(1);
    const reasons = Object.fromEntries(skipped.map((s) => [s.path.split(/[/\\]/).pop(), s.reason]));
    expect(Object.keys(reasons).sort()).toEqual([
      "binary.txt",
      "huge.html",
      "latin1.md",
      "small-but-capped.txt",
    ]);
    expect(reasons["huge.html"]).toMatch(/^larger than the 2 KB cap \(21 MB\)/);
    expect(reasons["small-but-capped.txt"]).toMatch(/^larger than the 2 KB cap \(2\.4 KB\)/);
    expect(reasons["binary.txt"]).toBe("a binary file, not text (a NUL byte at offset 4)");
    expect(reasons["latin1.md"]).toBe(
      "not valid UTF-8 (byte 0xe9 at offset 30, line 4); save it as UTF-8 to use it",
    );
    // load() reads once: the same list, not a second copy of it.
    expect((await source.load()).skipped).toHaveLength(4);
    expect(source.skipped).toHaveLength(4);
  });

  it("with the default cap reads the small files and skips only the 21 MB one for size; no U+FFFD in any passage", async () => {
    const source = localFilesSource({ dir: notes });
    const docs = await source.search("moles molar mass grams buffers pH", { limit: 10 });
    expect(docs.map((d) => d.title).sort()).toEqual(["Moles", "small-but-capped"]);
    const huge = source.skipped.find((s) => s.path.endsWith("huge.html"));
    expect(huge?.reason).toMatch(/^larger than the 20 MB cap \(21 MB\)/);
    for (const d of docs) for (const p of d.passages) expect(p.text).not.toContain("\uFFFD");
  });
});

describe("firstInvalidUtf8", () => {
  it("finds the first byte that is not valid UTF-8", () => {
    const ok = Buffer.from("naïve café — 漢字 🙂", "utf8");
    expect(firstInvalidUtf8(ok)).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc3]))).toBe(1); // truncated sequence
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0x80]))).toBe(1); // overlong
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // surrogate
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xff]))).toBe(2);
  });
});
