import { isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import MiniSearch from "minisearch";
import { describeError, SynthforgeError } from "../core/errors.js";
import { sha256 } from "../core/ids.js";
import { loadSync } from "../core/load.js";
import { contentWords } from "../core/text.js";
import type { Licence, Passage, SourceDocument } from "../core/types.js";
import { licenceFromText, normaliseLicence, unknownLicence } from "./licence.js";
import { packPostings } from "./packed-postings.js";
import { splitFrontMatter, toPassages } from "./passages.js";
import type { SearchOptions, SourceAdapter } from "./types.js";

// linkedom is loaded on first use (start-up, issue 15).
const parseHTML: typeof import("linkedom").parseHTML = (...args) =>
  loadSync<typeof import("linkedom")>("linkedom").parseHTML(...args);

/** Options of {@link localFilesSource}. */
export interface LocalFilesOptions {
  /** Folder to read (recursively): `.md`, `.markdown`, `.txt`, `.html`, `.htm`, `.pdf`. */
  dir: string;
  /** Licence for files that state none (no front matter, no LICENSE file). SPDX id or URL. */
  licence?: string;
  /** Adapter id stored on source rows. Default `localFiles`. */
  id?: string;
  /** Passages returned per document. Default 4. */
  passagesPerDocument?: number;
  /** File names to skip (exact base names, e.g. `README.md`). */
  ignore?: string[];
  /** PDFs larger than this are skipped (recorded in `skipped`). Default 50 MB. */
  maxPdfBytes?: number;
  /**
   * Text files (md, txt, html) larger than this are skipped (recorded in `skipped`) before
   * they are read: parsing a 30 MB HTML page takes gigabytes. Default 20 MB.
   */
  maxTextBytes?: number;
}

/** A file the source did not read, and why. */
export interface SkippedFile {
  /** Absolute path. */
  path: string;
  /** e.g. "larger than the 20 MB cap (30.1 MB)", "not valid UTF-8 (...)", "no extractable text (...)". */
  reason: string;
}

/** A local-files source, with the files it could not read. */
export interface LocalFilesSource extends SourceAdapter {
  /**
   * Files skipped while loading (unreadable or empty PDF, too large, binary, not UTF-8),
   * with the reason. Filled by {@link LocalFilesSource.load} or the first search.
   */
  readonly skipped: ReadonlyArray<SkippedFile>;
  /**
   * Reads the folder now (otherwise the first search does), so a caller can report the
   * files it skipped before a run starts. Reads once; later calls return the same result.
   */
  load(): Promise<{
    documents: number;
    skipped: ReadonlyArray<SkippedFile>;
    /** The licence of each document read, in file order. */
    licences: ReadonlyArray<Licence>;
  }>;
}

/** Default {@link LocalFilesOptions.maxTextBytes}: 20 MB. */
export const DEFAULT_MAX_TEXT_BYTES = 20_000_000;

/** "20 MB", "30.1 MB", "2.4 KB", "12 bytes". */
function megabytes(bytes: number): string {
  const [n, unit] =
    bytes >= 1e6 ? [bytes / 1e6, "MB"] : bytes >= 1e3 ? [bytes / 1e3, "KB"] : [bytes, "bytes"];
  return `${Number.isInteger(n) ? n : n.toFixed(1)} ${unit}`;
}

/** Offset of the first byte that is not part of valid UTF-8, or -1 when it all is. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

interface LoadedDoc {
  path: string;
  title: string;
  authors: string[];
  published: string | null;
  licence: Licence;
  passages: Passage[];
  contentHash: string;
}

interface IndexedPassage {
  id: number;
  doc: number;
  text: string;
  title: string;
  /** Folder and file name as words ("organic chemistry polymers"): notes are filed by subject. */
  path: string;
  pi: number;
}

const EXTENSIONS = new Set([".md", ".markdown", ".txt", ".html", ".htm", ".pdf"]);

function listFiles(dir: string, ignore: Set<string>): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "node_modules" || ignore.has(entry.name)) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full, ignore));
    else if (entry.isFile() && EXTENSIONS.has(extname(entry.name).toLowerCase())) out.push(full);
  }
  return out.sort();
}

function htmlToDoc(html: string): {
  title: string;
  body: string;
  licence: string | null;
  licenceEvidence: string;
} {
  const { document } = parseHTML(html);
  const title = document.querySelector("title")?.textContent?.trim() ?? "";
  const licLink = document.querySelector('link[rel="license"], a[rel="license"]');
  const licMeta = document.querySelector(
    'meta[name="dc.rights"], meta[name="DC.rights"], meta[name="license"]',
  );
  const licence = licLink?.getAttribute("href") ?? licMeta?.getAttribute("content") ?? null;
  for (const el of document.querySelectorAll("script, style, nav, footer, header, noscript")) el.remove();
  const blocks: string[] = [];
  for (const el of document.querySelectorAll("h1, h2, h3, h4, p, li, pre, blockquote, td")) {
    const t = el.textContent?.replace(/\s+/g, " ").trim();
    if (t) blocks.push(/^H\d$/.test(el.tagName) ? `## ${t}` : t);
  }
  const body = blocks.length ? blocks.join("\n\n") : (document.body?.textContent ?? "");
  return {
    title,
    body,
    licence,
    licenceEvidence: licLink ? 'html rel="license"' : licMeta ? "html meta dc.rights" : "",
  };
}

/** A LICENSE / LICENCE / COPYING file in `dir` or an ancestor up to `root`. */
function findLicenceFile(dir: string, root: string): { licence: Licence } | null {
  let cur = dir;
  for (;;) {
    for (const name of ["LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "LICENCE.md", "COPYING"]) {
      const p = join(cur, name);
      if (existsSync(p)) {
        const text = readFileSync(p, "utf8").slice(0, 8000);
        return { licence: licenceFromText(text, `LICENSE file ${relative(root, p) || name}`) };
      }
    }
    if (resolve(cur) === resolve(root)) return null;
    const up = dirname(cur);
    if (up === cur) return null;
    cur = up;
  }
}

interface ReadDoc {
  title: string;
  body: string;
  meta: Record<string, unknown>;
  licence: Licence | null;
  /** Bytes the content hash is taken over. */
  raw: string | Uint8Array;
}

/**
 * A text file's content, refused (with the reason) when it is larger than the cap, binary
 * or not UTF-8: a bad byte would otherwise become U+FFFD in the passages, and from there
 * in the questions and answers made from them.
 */
function readText(path: string, maxBytes: number): string {
  const size = statSync(path).size;
  if (size > maxBytes)
    throw new Error(
      `larger than the ${megabytes(maxBytes)} cap (${megabytes(size)}); raise maxTextBytes to read it`,
    );
  const bytes = readFileSync(path);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new Error(`a binary file, not text (a NUL byte at offset ${nul})`);
  const bad = isUtf8(bytes) ? -1 : firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const line = bytes.subarray(0, bad).filter((b) => b === 0x0a).length + 1;
    throw new Error(
      `not valid UTF-8 (byte 0x${bytes[bad]!.toString(16).padStart(2, "0")} at offset ${bad}, line ${line}); save it as UTF-8 to use it`,
    );
  }
  return bytes.toString("utf8");
}

function readTextDoc(path: string, ext: string, maxBytes: number): ReadDoc {
  const raw = readText(path, maxBytes);
  if (ext === ".html" || ext === ".htm") {
    const h = htmlToDoc(raw);
    return {
      title: h.title,
      body: h.body,
      meta: {},
      licence: h.licence ? normaliseLicence(h.licence, h.licenceEvidence) : null,
      raw,
    };
  }
  const { meta, body } = splitFrontMatter(raw);
  const stated = meta.licence ?? meta.license;
  let licence: Licence | null = null;
  if (typeof stated === "string") licence = normaliseLicence(stated, "front matter");
  else if (typeof meta.licence_url === "string")
    licence = normaliseLicence(meta.licence_url, "front matter licence_url");
  return { title: typeof meta.title === "string" ? meta.title : "", body, meta, licence, raw };
}

/** A PDF's text (pages as paragraphs) and metadata, through unpdf (PDF.js). */
async function readPdfDoc(path: string, maxBytes: number): Promise<ReadDoc> {
  const size = statSync(path).size;
  if (size > maxBytes)
    throw new Error(
      `PDF is ${Math.round(size / 1e6)} MB, over the ${Math.round(maxBytes / 1e6)} MB limit (maxPdfBytes)`,
    );
  const bytes = new Uint8Array(readFileSync(path));
  // PDF.js takes ownership of the buffer it is given: hash a copy first.
  const raw = bytes.slice();
  // verbosity 0: PDF.js would print its repair warnings for damaged files to the console.
  const { extractText, getDocumentProxy, getMeta } = await import("unpdf");
  const pdf = await getDocumentProxy(bytes, { verbosity: 0 });
  try {
    const { text } = await extractText(pdf, { mergePages: false });
    const meta: Record<string, unknown> = {};
    let licence: Licence | null = null;
    let title = "";
    try {
      const { info, metadata } = await getMeta(pdf);
      if (typeof info?.Title === "string") title = info.Title.trim();
      if (typeof info?.Author === "string" && info.Author.trim())
        meta.authors = info.Author.split(/\s*(?:;| and )\s*/).filter(Boolean);
      const created =
        typeof info?.CreationDate === "string" ? /^D:(\d{4})(\d{2})?(\d{2})?/.exec(info.CreationDate) : null;
      if (created) meta.published = [created[1], created[2], created[3]].filter(Boolean).join("-");
      // XMP rights (xmpRights:WebStatement is where Creative Commons tools put the licence URL).
      const xmp = metadata as { get?(name: string): unknown } | null;
      const first = (v: unknown): unknown => (Array.isArray(v) ? v.find((x) => typeof x === "string") : v);
      const stated = [
        xmp?.get?.("xmprights:webstatement"),
        xmp?.get?.("dc:rights"),
        info?.Custom?.License,
        info?.Custom?.Licence,
        info?.Custom?.Rights,
      ]
        .map(first)
        .find((v): v is string => typeof v === "string" && v.trim().length > 0);
      if (stated) {
        const l = normaliseLicence(stated, "PDF metadata");
        if (l.spdx !== "unknown") licence = l;
      }
    } catch {
      // Metadata is optional; the text is what matters.
    }
    // Pages become paragraphs; a line that ends a sentence and is followed by a new line keeps its break.
    const body = text.map((page) => page.replace(/([.!?:])\n(?=[A-Z0-9])/g, "$1\n\n")).join("\n\n");
    return { title, body, meta, licence, raw };
  } finally {
    await pdf.destroy().catch(() => undefined);
  }
}

async function loadDoc(path: string, root: string, opts: LocalFilesOptions): Promise<LoadedDoc | null> {
  const ext = extname(path).toLowerCase();
  const read =
    ext === ".pdf"
      ? await readPdfDoc(path, opts.maxPdfBytes ?? 50_000_000)
      : readTextDoc(path, ext, opts.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES);
  const { body, meta } = read;
  let licence = read.licence;
  const title = read.title || (/^#\s+(.+)$/m.exec(body)?.[1] ?? basename(path, ext));
  if (!licence) licence = findLicenceFile(dirname(path), root)?.licence ?? null;
  if (!licence && opts.licence) licence = normaliseLicence(opts.licence, "localFiles licence option");
  if (!licence) licence = unknownLicence("no front matter licence, LICENSE file or licence option");
  const passages = toPassages(body);
  if (passages.length === 0) return null;
  const authors = Array.isArray(meta.authors)
    ? meta.authors.map(String)
    : typeof meta.author === "string"
      ? [meta.author]
      : [];
  const published =
    meta.published instanceof Date
      ? meta.published.toISOString().slice(0, 10)
      : typeof meta.published === "string"
        ? meta.published
        : null;
  // The metadata is cut from the file's text, and V8 keeps a whole string alive for any
  // substring sliced from it: copied, the file's text is freed once its passages are made.
  const own = structuredClone({ title, authors, published, licence });
  return {
    path,
    ...own,
    passages,
    contentHash:
      typeof read.raw === "string" ? sha256(read.raw) : createHash("sha256").update(read.raw).digest("hex"),
  };
}

/** A query word in more than this share of the passages is "common" (see `search`)… */
const COMMON_SHARE = 0.5;
/** …in a corpus of at least this many passages (in a small one every word counts). */
const COMMON_MIN_PASSAGES = 200;

/**
 * A source over a local folder of notes (md, txt, html, pdf). The licence of each file
 * comes from its front matter (`licence:` or `license:`), an HTML `rel="license"` link,
 * a PDF's XMP rights statement, a LICENSE file beside it or above it, or the `licence`
 * option, in that order; otherwise it is unknown. PDF text is extracted with unpdf.
 * Files that are not read are listed in `skipped` with the reason: a PDF that cannot be
 * read or has no text, a file over its size cap (`maxTextBytes`, `maxPdfBytes`), a binary
 * file, and one that is not valid UTF-8 (never read with U+FFFD in place of its bad
 * bytes). `load()` reads the folder up front, so a caller can list them. Passages are
 * paragraphs, ranked with BM25 (MiniSearch). Files are read once, on the first search.
 *
 * @throws SynthforgeError `CORPUS_NOT_FOUND` when `dir` does not exist or is not a folder.
 */
export function localFilesSource(opts: LocalFilesOptions): LocalFilesSource {
  const root = resolve(opts.dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new SynthforgeError(
      "CORPUS_NOT_FOUND",
      `Corpus folder ${root} does not exist or is not a folder. Point --corpus (or sources[].dir) at a folder of .md/.txt/.html files.`,
    );
  }
  const id = opts.id ?? "localFiles";
  const perDoc = opts.passagesPerDocument ?? 4;
  const skipped: SkippedFile[] = [];
  let loading: Promise<{
    docs: LoadedDoc[];
    index: MiniSearch<IndexedPassage>;
    /** Passages each (lower-cased) term occurs in. */
    df: Map<string, number>;
    passages: number;
  }> | null = null;

  const loadAll = async () => {
    const docs: LoadedDoc[] = [];
    for (const p of listFiles(root, new Set(opts.ignore ?? []))) {
      try {
        const d = await loadDoc(p, root, opts);
        if (d) docs.push(d);
        else if (p.toLowerCase().endsWith(".pdf"))
          skipped.push({ path: p, reason: "no extractable text (a scanned PDF needs OCR first)" });
      } catch (e) {
        skipped.push({ path: p, reason: describeError(e) });
      }
    }
    const idx = new MiniSearch<IndexedPassage>({
      fields: ["text", "title", "path"],
      storeFields: ["doc", "text", "pi"],
      searchOptions: { boost: { title: 1.5, path: 0.5 }, prefix: true, fuzzy: 0.15 },
    });
    let n = 0;
    const df = new Map<string, number>();
    const tokenize = MiniSearch.getDefault("tokenize") as (text: string) => string[];
    docs.forEach((d, di) => {
      const path = relative(root, d.path)
        .replace(/\.[^.]+$/, "")
        .replace(/[/\\_.-]+/g, " ");
      const rows = d.passages.map((p) => ({
        id: n++,
        doc: di,
        text: p.text,
        title: d.title,
        path,
        pi: p.index,
      }));
      idx.addAll(rows);
      for (const r of rows)
        for (const t of new Set(tokenize(`${r.text} ${r.title} ${r.path}`).map((w) => w.toLowerCase())))
          df.set(t, (df.get(t) ?? 0) + 1);
    });
    // Read-only from here: its postings go into typed arrays (a sixth of the memory).
    packPostings(idx);
    return { docs, index: idx, df, passages: n };
  };
  const load = () => {
    loading ??= loadAll();
    return loading;
  };

  return {
    id,
    description: `Local files under ${root} (md, txt, html, pdf); licence from front matter or LICENSE files`,
    skipped,
    async load() {
      const { docs } = await load();
      return { documents: docs.length, skipped, licences: docs.map((d) => d.licence) };
    },
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const { docs: all, index: idx, df, passages } = await load();
      if (all.length === 0) return [];
      const limit = searchOpts.limit ?? 5;
      // Stop words ("what", "is", ...) and words in most passages (the corpus's own topic,
      // "chemistry" in a chemistry corpus) match nearly everything: scoring them costs time
      // in proportion to the corpus, and their BM25 weight is close to zero, so they change
      // nothing in the ranking but the order of passages that match nothing else. Left out
      // unless the query has nothing else.
      const common = (t: string) =>
        passages >= COMMON_MIN_PASSAGES && (df.get(t) ?? 0) > passages * COMMON_SHARE;
      const words = (query.match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? []).map((w) => w.toLowerCase());
      const content = words.filter((w) => contentWords(w).length > 0);
      const rare = content.filter((w) => !common(w));
      const keep = rare.length
        ? (t: string) => contentWords(t).length > 0 && !common(t.toLowerCase())
        : content.length
          ? (t: string) => contentWords(t).length > 0
          : null;
      const hits = idx.search(query, {
        combineWith: "OR",
        ...(keep ? { processTerm: (t: string) => (keep(t) ? t.toLowerCase() : null) } : {}),
      });
      const byDoc = new Map<number, Array<{ text: string; index: number; score: number }>>();
      for (const h of hits) {
        const di = h.doc as number;
        const list = byDoc.get(di) ?? [];
        if (list.length < perDoc)
          list.push({ text: h.text as string, index: h.pi as number, score: h.score });
        byDoc.set(di, list);
      }
      const ranked = [...byDoc.entries()]
        .map(([di, ps]) => ({ di, ps, score: ps.reduce((s, p) => s + p.score, 0) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, limit);
      return ranked.map(({ di, ps }) => {
        const d = all[di]!;
        return {
          adapter: id,
          url: pathToFileURL(d.path).href,
          title: d.title,
          authors: d.authors,
          published: d.published,
          licence: d.licence,
          passages: ps.sort((a, b) => b.score - a.score).map(({ text, index }) => ({ text, index })),
          contentHash: d.contentHash,
        };
      });
    },
  };
}
