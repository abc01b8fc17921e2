import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseHTML } from "linkedom";
import MiniSearch from "minisearch";
import { parse as parseYaml } from "yaml";
import { SynthforgeError } from "../core/errors.js";
import { sha256 } from "../core/ids.js";
import type { Licence, Passage, SourceDocument } from "../core/types.js";
import { normaliseLicence, unknownLicence } from "./licence.js";
import type { SearchOptions, SourceAdapter } from "./types.js";

/** Options of {@link localFilesSource}. */
export interface LocalFilesOptions {
  /** Folder to read (recursively): `.md`, `.markdown`, `.txt`, `.html`, `.htm`. */
  dir: string;
  /** Licence for files that state none (no front matter, no LICENSE file). SPDX id or URL. */
  licence?: string;
  /** Adapter id stored on source rows. Default `localFiles`. */
  id?: string;
  /** Passages returned per document. Default 4. */
  passagesPerDocument?: number;
  /** File names to skip (exact base names, e.g. `README.md`). */
  ignore?: string[];
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

const EXTENSIONS = new Set([".md", ".markdown", ".txt", ".html", ".htm"]);
const MAX_PASSAGE = 1200;
const MIN_PASSAGE = 60;

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

function splitFrontMatter(text: string): { meta: Record<string, unknown>; body: string } {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  if (!m) return { meta: {}, body: text };
  try {
    const meta = parseYaml(m[1] ?? "");
    return { meta: meta && typeof meta === "object" ? (meta as Record<string, unknown>) : {}, body: text.slice(m[0].length) };
  } catch {
    return { meta: {}, body: text.slice(m[0].length) };
  }
}

/** Paragraph passages (long ones split at sentence ends, tiny ones merged into the previous). */
function toPassages(body: string): Passage[] {
  const blocks = body
    .split(/\r?\n\s*\r?\n/)
    .map((b) => b.replace(/\s+/g, " ").trim())
    .filter(Boolean);
  const texts: string[] = [];
  for (const block of blocks) {
    // Headings alone are not passages; paragraphs are written to stand alone.
    if (/^#{1,6}\s/.test(block) && block.length < 120) continue;
    let text = block.replace(/^[-*]\s+/, "");
    if (text.length < MIN_PASSAGE && texts.length > 0) {
      texts[texts.length - 1] += ` ${text}`;
      continue;
    }
    while (text.length > MAX_PASSAGE) {
      const cut = text.lastIndexOf(". ", MAX_PASSAGE);
      const at = cut > MAX_PASSAGE / 2 ? cut + 1 : MAX_PASSAGE;
      texts.push(text.slice(0, at).trim());
      text = text.slice(at).trim();
    }
    if (text) texts.push(text);
  }
  return texts.map((text, index) => ({ text, index }));
}

function htmlToDoc(html: string): { title: string; body: string; licence: string | null; licenceEvidence: string } {
  const { document } = parseHTML(html);
  const title = document.querySelector("title")?.textContent?.trim() ?? "";
  const licLink = document.querySelector('link[rel="license"], a[rel="license"]');
  const licMeta = document.querySelector('meta[name="dc.rights"], meta[name="DC.rights"], meta[name="license"]');
  const licence = licLink?.getAttribute("href") ?? licMeta?.getAttribute("content") ?? null;
  for (const el of document.querySelectorAll("script, style, nav, footer, header, noscript")) el.remove();
  const blocks: string[] = [];
  for (const el of document.querySelectorAll("h1, h2, h3, h4, p, li, pre, blockquote, td")) {
    const t = el.textContent?.replace(/\s+/g, " ").trim();
    if (t) blocks.push(/^H\d$/.test(el.tagName) ? `## ${t}` : t);
  }
  const body = blocks.length ? blocks.join("\n\n") : (document.body?.textContent ?? "");
  return { title, body, licence, licenceEvidence: licLink ? 'html rel="license"' : licMeta ? "html meta dc.rights" : "" };
}

/** A LICENSE / LICENCE / COPYING file in `dir` or an ancestor up to `root`. */
function findLicenceFile(dir: string, root: string): { licence: Licence } | null {
  let cur = dir;
  for (;;) {
    for (const name of ["LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "LICENCE.md", "COPYING"]) {
      const p = join(cur, name);
      if (existsSync(p)) {
        const text = readFileSync(p, "utf8").slice(0, 4000);
        const url = /https?:\/\/\S+/.exec(text)?.[0];
        const lic = normaliseLicence(url ?? text, `LICENSE file ${relative(root, p) || name}`);
        const byName = lic.spdx === "unknown" ? normaliseLicence(text.split("\n")[0] ?? "", `LICENSE file ${name}`) : lic;
        return { licence: byName };
      }
    }
    if (resolve(cur) === resolve(root)) return null;
    const up = dirname(cur);
    if (up === cur) return null;
    cur = up;
  }
}

function loadDoc(path: string, root: string, fallbackLicence: string | undefined): LoadedDoc | null {
  const raw = readFileSync(path, "utf8");
  const ext = extname(path).toLowerCase();
  let title = "";
  let body = raw;
  let meta: Record<string, unknown> = {};
  let licence: Licence | null = null;
  if (ext === ".html" || ext === ".htm") {
    const h = htmlToDoc(raw);
    title = h.title;
    body = h.body;
    if (h.licence) licence = normaliseLicence(h.licence, h.licenceEvidence);
  } else {
    const fm = splitFrontMatter(raw);
    meta = fm.meta;
    body = fm.body;
    const stated = (meta.licence ?? meta.license) as string | undefined;
    if (typeof stated === "string") licence = normaliseLicence(stated, "front matter");
    else if (typeof meta.licence_url === "string") licence = normaliseLicence(meta.licence_url, "front matter licence_url");
  }
  if (!title) title = typeof meta.title === "string" ? meta.title : (/^#\s+(.+)$/m.exec(body)?.[1] ?? basename(path, ext));
  if (!licence) licence = findLicenceFile(dirname(path), root)?.licence ?? null;
  if (!licence && fallbackLicence) licence = normaliseLicence(fallbackLicence, "localFiles licence option");
  if (!licence) licence = unknownLicence("no front matter licence, LICENSE file or licence option");
  const passages = toPassages(body);
  if (passages.length === 0) return null;
  const authors = Array.isArray(meta.authors) ? meta.authors.map(String) : typeof meta.author === "string" ? [meta.author] : [];
  const published = meta.published instanceof Date ? meta.published.toISOString().slice(0, 10) : typeof meta.published === "string" ? meta.published : null;
  return { path, title, authors, published, licence, passages, contentHash: sha256(raw) };
}

/**
 * A source over a local folder of notes (md, txt, html). The licence of each file comes
 * from its front matter (`licence:` or `license:`), an HTML `rel="license"` link, a
 * LICENSE file beside it or above it, or the `licence` option, in that order; otherwise
 * it is unknown. Passages are paragraphs, ranked with BM25 (MiniSearch).
 *
 * @throws SynthforgeError `CORPUS_NOT_FOUND` when `dir` does not exist or is not a folder.
 */
export function localFilesSource(opts: LocalFilesOptions): SourceAdapter {
  const root = resolve(opts.dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new SynthforgeError("CORPUS_NOT_FOUND", `Corpus folder ${root} does not exist or is not a folder. Point --corpus (or sources[].dir) at a folder of .md/.txt/.html files.`);
  }
  const id = opts.id ?? "localFiles";
  const perDoc = opts.passagesPerDocument ?? 4;
  let docs: LoadedDoc[] | null = null;
  let index: MiniSearch<IndexedPassage> | null = null;

  const load = () => {
    if (docs && index) return { docs, index };
    docs = listFiles(root, new Set(opts.ignore ?? []))
      .map((p) => loadDoc(p, root, opts.licence))
      .filter((d): d is LoadedDoc => d !== null);
    const idx = new MiniSearch<IndexedPassage>({
      fields: ["text", "title", "path"],
      storeFields: ["doc", "text", "pi"],
      searchOptions: { boost: { title: 1.5, path: 0.5 }, prefix: true, fuzzy: 0.15 },
    });
    let n = 0;
    docs.forEach((d, di) => {
      const path = relative(root, d.path).replace(/\.[^.]+$/, "").replace(/[/\\_.-]+/g, " ");
      idx.addAll(d.passages.map((p) => ({ id: n++, doc: di, text: p.text, title: d.title, path, pi: p.index })));
    });
    index = idx;
    return { docs, index };
  };

  return {
    id,
    description: `Local files under ${root} (md, txt, html); licence from front matter or LICENSE files`,
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const { docs: all, index: idx } = load();
      if (all.length === 0) return [];
      const limit = searchOpts.limit ?? 5;
      const hits = idx.search(query, { combineWith: "OR" });
      const byDoc = new Map<number, Array<{ text: string; index: number; score: number }>>();
      for (const h of hits) {
        const di = h.doc as number;
        const list = byDoc.get(di) ?? [];
        if (list.length < perDoc) list.push({ text: h.text as string, index: h.pi as number, score: h.score });
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
