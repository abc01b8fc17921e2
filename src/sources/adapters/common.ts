import MiniSearch from "minisearch";
import { sha256 } from "../../core/ids.js";
import { loadSync } from "../../core/load.js";
import type { Licence, Passage, SourceDocument } from "../../core/types.js";
import { defaultHttpClient, type HttpClient, type HttpResponse, sourceFailed } from "../http.js";

// linkedom is loaded on first use (start-up, issue 15).
const parseHTML: typeof import("linkedom").parseHTML = (...args) =>
  loadSync<typeof import("linkedom")>("linkedom").parseHTML(...args);

/**
 * Helpers shared by the REST adapters: options every adapter takes, defensive readers
 * for untrusted JSON, text cleaning, paragraph passages, passage selection and document
 * assembly. Nothing here invents content: a record without text yields no document.
 */

/** Options every remote adapter takes. */
export interface RemoteSourceOptions {
  /** Replaces the service's base URL (mirrors, tests). */
  baseUrl?: string;
  /** HTTP client (shared politeness and cache). Default: {@link defaultHttpClient}. */
  http?: HttpClient;
  /** Documents per search when the caller gives no limit. Default 5. */
  limit?: number;
  /** Passages kept per document (the most relevant to the query). Default 4. */
  passagesPerDocument?: number;
  /** Adapter id stored on source rows. Default: the adapter's own id. */
  id?: string;
}

/** Resolved common options. */
export interface ResolvedOptions {
  id: string;
  baseUrl: string;
  http: HttpClient;
  limit: number;
  passagesPerDocument: number;
}

/** Fills in the common options. */
export function resolveOptions(
  opts: RemoteSourceOptions | undefined,
  id: string,
  defaultBaseUrl: string,
): ResolvedOptions {
  return {
    id: opts?.id ?? id,
    baseUrl: (opts?.baseUrl ?? defaultBaseUrl).replace(/\/+$/, ""),
    http: opts?.http ?? defaultHttpClient(),
    limit: Math.max(1, Math.min(100, Math.floor(opts?.limit ?? 5))),
    passagesPerDocument: Math.max(1, Math.floor(opts?.passagesPerDocument ?? 4)),
  };
}

/** The number of documents a search asks for. */
export function searchLimit(requested: number | undefined, fallback: number, max = 100): number {
  const n = requested ?? fallback;
  return Math.max(1, Math.min(max, Math.floor(Number.isFinite(n) ? n : fallback)));
}

// ---------------------------------------------------------------------------
// Defensive readers: JSON from a service is untrusted and may not match its docs.

/** A plain object, or null. */
export function obj(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** An array (a single value becomes a one-element array; null/undefined an empty one). */
export function arr(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v === null || v === undefined) return [];
  return [v];
}

/** A non-empty trimmed string, or null. Numbers are stringified. */
export function str(v: unknown): string | null {
  if (typeof v === "string") {
    const t = v.trim();
    return t ? t : null;
  }
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return null;
}

/** A finite number (numeric strings accepted), or null. */
export function num(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() && Number.isFinite(Number(v))) return Number(v);
  return null;
}

/** Text of a parsed-XML node (`"x"`, `{ "#text": "x" }`, or a number). */
export function xmlText(v: unknown): string | null {
  if (Array.isArray(v)) return xmlText(v[0]);
  const o = obj(v);
  if (o) return str(o["#text"]);
  return str(v);
}

/** Throws the typed "unexpected shape" error of an adapter. */
export function unexpectedShape(adapter: string, res: HttpResponse, what: string): never {
  throw sourceFailed(
    { adapter, reason: "unexpected-shape", status: res.status, url: safeUrl(res.url) },
    `${hostOf(res.url)} answered with JSON/XML of an unexpected shape (${what}). The API may have changed, or the baseUrl points at a different service.`,
  );
}

/** Throws the typed error of an error the API reported in a successful response body. */
export function apiError(adapter: string, res: HttpResponse, message: string): never {
  throw sourceFailed(
    { adapter, reason: "api-error", status: res.status, url: safeUrl(res.url) },
    `${hostOf(res.url)} reported an error: ${cleanText(message).replace(/\s+/g, " ").slice(0, 300)}`,
  );
}

function safeUrl(u: string): string {
  try {
    const x = new URL(u);
    return `${x.origin}${x.pathname}${x.search}`;
  } catch {
    return u;
  }
}

function hostOf(u: string): string {
  try {
    return new URL(u).host;
  } catch {
    return "the service";
  }
}

// ---------------------------------------------------------------------------
// Text

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// C0/C1 controls except tab, newline, carriage return; DEL.
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
// Bidi embeddings/overrides/isolates (can hide text from a reader), zero-width space, BOM, soft hyphen.
const INVISIBLE = /[\u202A-\u202E\u2066-\u2069\u200B\uFEFF\u00AD]/g;

/**
 * Makes untrusted text safe to store and show: Unicode NFC, no lone surrogates, no
 * control characters (but tab and newlines), no bidi overrides or zero-width spaces.
 * Words are not changed.
 */
export function cleanText(text: string): string {
  return text.replace(LONE_SURROGATE, "").replace(CONTROLS, "").replace(INVISIBLE, "").normalize("NFC");
}

/** One line of text: cleaned, whitespace collapsed. */
export function oneLine(text: string | null | undefined): string {
  return cleanText(text ?? "")
    .replace(/\s+/g, " ")
    .trim();
}

/** Text content of an HTML/XML fragment (tags dropped, entities decoded, MathML as text), on one line. */
export function stripMarkup(fragment: string | null | undefined): string {
  if (!fragment) return "";
  if (!/[<&]/.test(fragment)) return oneLine(fragment);
  const { document } = parseHTML(
    `<!doctype html><html><body><div id="x">${fragment.replace(/<(\/?)[a-z][\w-]*:/gi, "<$1")}</div></body></html>`,
  );
  const root = document.getElementById("x");
  for (const el of root?.querySelectorAll("script, style, noscript, template") ?? []) el.remove();
  if (root) renderMath(root);
  return oneLine(root?.textContent ?? "");
}

// ---------------------------------------------------------------------------
// MathML (PubMed, Europe PMC and Crossref abstracts carry <mml:math> inline)

/** The subset of a DOM element the MathML renderer reads. */
interface MathNode {
  localName: string;
  textContent: string | null;
  children: ArrayLike<MathNode>;
  getAttribute(name: string): string | null;
}

/** Accent characters of `<mover accent>` as combining marks (V with a dot above: V̇). */
const ACCENTS: Record<string, string> = {
  "\u02D9": "\u0307",
  ".": "\u0307",
  "\u00B7": "\u0307",
  "\u2219": "\u0307",
  "\u00A8": "\u0308",
  "\u00AF": "\u0304",
  "\u203E": "\u0304",
  "\u02C9": "\u0304",
  "^": "\u0302",
  "\u02C6": "\u0302",
  "~": "\u0303",
  "\u02DC": "\u0303",
  "\u2192": "\u20D7",
  "\u20D7": "\u20D7",
};
/** Operators written with a space on each side ("p < 0.05"). */
const RELATIONS = new Set(
  "=<>\u2264\u2265\u2260\u2248\u223C\u2243\u2245\u2261\u221D\u2192\u2190\u2194\u21D2\u21D4\u2208\u2209\u2282\u2286".split(
    "",
  ),
);
const INVISIBLE_OPERATORS = /[\u2061-\u2064]/g;
const SIMPLE = /^[\p{L}\p{N}.,]+$/u;

function mathChildren(el: MathNode): MathNode[] {
  return Array.from(el.children);
}

function group(text: string): string {
  return SIMPLE.test(text) ? text : `(${text})`;
}

function subscript(text: string): string {
  return !text ? "" : SIMPLE.test(text) ? text : `_(${text})`;
}

function superscript(text: string): string {
  if (!text) return "";
  // primes, stars and daggers sit on the base (f′, x*); anything else is a power (x^2, 10^−3, Ca^2+)
  if (/^[\u2032\u2033\u2034'*\u2020\u2021\u00B0]+$/.test(text)) return text;
  return /^[\p{L}\p{N}.]+[+\u2212-]?$|^[+\u2212-]$/u.test(text) ? `^${text}` : `^(${text})`;
}

/**
 * Readable plain text of a MathML element: `alttext` when the `<math>` element has one,
 * else its tokens (mi, mn, mo, mtext) joined as written, with subscripts run on (`O2`),
 * powers after `^` (`x^2`), accents as combining marks (`V̇`), fractions as `a/b`.
 */
export function mathMlText(el: MathNode): string {
  const alt = el.localName === "math" ? el.getAttribute("alttext")?.trim() : null;
  if (alt) return oneLine(alt);
  return render(el).replace(/\s+/g, " ").trim();

  function render(n: MathNode): string {
    const kids = mathChildren(n);
    const part = (i: number) => (kids[i] ? render(kids[i]!).trim() : "");
    switch (n.localName) {
      case "mi":
      case "mn":
      case "mtext":
      case "ms":
        return oneLine(n.textContent);
      case "mo": {
        const t = oneLine(n.textContent).replace(INVISIBLE_OPERATORS, "");
        if (RELATIONS.has(t)) return ` ${t} `;
        return t === "," || t === ";" ? `${t} ` : t;
      }
      case "mspace":
        return " ";
      case "mphantom":
      case "annotation":
      case "annotation-xml":
      case "none":
      case "mprescripts":
        return "";
      case "semantics":
        return part(0);
      case "msub":
      case "munder":
        return part(0) + subscript(part(1));
      case "msup":
        return part(0) + superscript(part(1));
      case "msubsup":
      case "munderover":
        return part(0) + subscript(part(1)) + superscript(part(2));
      case "mover": {
        const over = part(1);
        const accent = ACCENTS[over];
        const base = part(0);
        return accent && base.length > 0 ? base + accent : base + superscript(over);
      }
      case "mfrac":
        return `${group(part(0))}/${group(part(1))}`;
      case "msqrt":
        return `\u221A${group(kids.map(render).join("").trim())}`;
      case "mroot":
        return `${group(part(1))}\u221A${group(part(0))}`;
      case "mfenced": {
        const open = n.getAttribute("open") ?? "(";
        const close = n.getAttribute("close") ?? ")";
        const sep = (n.getAttribute("separators") ?? ",").trim().charAt(0);
        return `${open}${kids.map((k) => render(k).trim()).join(sep ? `${sep} ` : " ")}${close}`;
      }
      case "mtable":
        return kids.map((k) => render(k).trim()).join("; ");
      case "mtr":
      case "mlabeledtr":
        return kids
          .slice(n.localName === "mlabeledtr" ? 1 : 0)
          .map((k) => render(k).trim())
          .join(", ");
      default:
        // math, mrow, mstyle, mpadded, menclose, merror, maction, mtd, mmultiscripts
        return kids.map(render).join("");
    }
  }
}

/** Replaces every `<math>` element below `root` with its readable text. */
function renderMath(root: { querySelectorAll(selector: string): ArrayLike<unknown> }): void {
  for (const m of Array.from(root.querySelectorAll("math")) as Array<
    MathNode & { replaceWith(...nodes: string[]): void }
  >) {
    m.replaceWith(mathMlText(m));
  }
}

const BLOCK_TAGS = new Set([
  "P",
  "DIV",
  "SECTION",
  "LI",
  "BLOCKQUOTE",
  "PRE",
  "TD",
  "DD",
  "DT",
  "FIGCAPTION",
  "ARTICLE",
  "TABLE",
  "UL",
  "OL",
]);
const HEADING = /^H[1-6]$|^TITLE$/;

/**
 * Paragraphs of an HTML or JATS fragment (`<p>`, `<jats:p>`, `<h4>Objective</h4>text`,
 * `<br>`-separated). Headings are dropped; namespace prefixes are ignored.
 */
export function markupToParagraphs(fragment: string | null | undefined): string[] {
  if (!fragment) return [];
  if (!/<[a-z!/]/i.test(fragment)) return textToParagraphs(decodeEntities(fragment));
  const html = fragment
    .replace(/<(\/?)[a-z][\w-]*:/gi, "<$1")
    .replace(/<br\s*\/?>\s*<br\s*\/?>/gi, "</p><p>");
  const { document } = parseHTML(`<!doctype html><html><body><div id="x">${html}</div></body></html>`);
  const root = document.getElementById("x");
  if (!root) return [];
  for (const el of root.querySelectorAll("script, style, noscript, template")) el.remove();
  renderMath(root);
  const out: string[] = [];
  let inline = "";
  const flush = () => {
    const t = oneLine(inline);
    if (t) out.push(t);
    inline = "";
  };
  const walk = (node: { childNodes: ArrayLike<unknown> }) => {
    for (const child of Array.from(node.childNodes) as Array<{
      nodeType: number;
      tagName?: string;
      textContent?: string | null;
      childNodes: ArrayLike<unknown>;
    }>) {
      if (child.nodeType === 3) {
        inline += child.textContent ?? "";
        continue;
      }
      if (child.nodeType !== 1) continue;
      const tag = (child.tagName ?? "").toUpperCase();
      if (tag === "SCRIPT" || tag === "STYLE") continue;
      if (HEADING.test(tag)) {
        flush();
        continue;
      }
      if (BLOCK_TAGS.has(tag)) {
        flush();
        const hasBlocks = Array.from(
          child.childNodes as ArrayLike<{ nodeType: number; tagName?: string }>,
        ).some(
          (c) =>
            c.nodeType === 1 &&
            (BLOCK_TAGS.has((c.tagName ?? "").toUpperCase()) ||
              HEADING.test((c.tagName ?? "").toUpperCase())),
        );
        if (hasBlocks) walk(child);
        else inline += child.textContent ?? "";
        flush();
        continue;
      }
      inline += child.textContent ?? "";
    }
  };
  walk(root);
  flush();
  return out;
}

/** Decodes HTML entities of a plain-text string (`&amp;`, `&apos;`, `&#8217;`). */
export function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  const { document } = parseHTML(
    `<!doctype html><html><body><div id="x">${text.replace(/</g, "&lt;")}</div></body></html>`,
  );
  return document.getElementById("x")?.textContent ?? text;
}

/**
 * Paragraphs of plain text: blank lines separate paragraphs; with `singleNewline`, every
 * line break does (Wikipedia extracts). Wiki section headings (`== History ==`) are dropped.
 */
export function textToParagraphs(
  text: string | null | undefined,
  opts: { singleNewline?: boolean } = {},
): string[] {
  if (!text) return [];
  const clean = cleanText(text).replace(/\r\n?/g, "\n");
  const blocks = clean.split(opts.singleNewline ? /\n+/ : /\n\s*\n/);
  return blocks.map((b) => b.replace(/\s+/g, " ").trim()).filter((b) => b && !/^=+[^=].*=+$/.test(b));
}

const MAX_PASSAGE = 1200;
const MIN_PASSAGE = 60;

/** Paragraphs as passages: long ones split at sentence ends, tiny ones merged into the previous. */
export function toPassages(paragraphs: readonly string[]): Passage[] {
  const texts: string[] = [];
  for (const p of paragraphs) {
    let text = p.trim();
    if (!text) continue;
    if (
      text.length < MIN_PASSAGE &&
      texts.length > 0 &&
      texts[texts.length - 1]!.length + text.length < MAX_PASSAGE
    ) {
      texts[texts.length - 1] += ` ${text}`;
      continue;
    }
    while (text.length > MAX_PASSAGE) {
      const cut = text.lastIndexOf(". ", MAX_PASSAGE);
      const at =
        cut > MAX_PASSAGE / 2
          ? cut + 1
          : text.lastIndexOf(" ", MAX_PASSAGE) > MAX_PASSAGE / 2
            ? text.lastIndexOf(" ", MAX_PASSAGE)
            : MAX_PASSAGE;
      texts.push(text.slice(0, at).trim());
      text = text.slice(at).trim();
    }
    if (text) texts.push(text);
  }
  return texts.map((text, index) => ({ text, index }));
}

/**
 * The passages most relevant to `query` (BM25 via MiniSearch), best first, at most
 * `max`. When every passage fits, all are kept in document order; when none matches,
 * the first `max` (the lead) are kept, the service having judged the document relevant.
 */
export function pickPassages(passages: readonly Passage[], query: string, max: number): Passage[] {
  if (passages.length <= max) return [...passages];
  const index = new MiniSearch<{ id: number; text: string }>({
    fields: ["text"],
    storeFields: [],
    searchOptions: { prefix: true, fuzzy: 0.15 },
  });
  index.addAll(passages.map((p, id) => ({ id, text: p.text })));
  const hits = index.search(query, { combineWith: "OR" });
  if (hits.length === 0) return passages.slice(0, max);
  return hits.slice(0, max).map((h) => passages[h.id as number]!);
}

const STOPWORDS = new Set(
  "a an and are as at be been being but by can could did do does doing for from had has have how i if in into is it its may might more most must no not of on or our shall should so such than that the their them then there these they this those to was we were what when where which while who whom why will with would you your about above after again against all also any because before below between both during each few further here just might once only other over own same some very too under until up down out off explain describe give list show tell example examples question questions answer answers using use used".split(
    " ",
  ),
);

/** Content words of a query, lower-cased, in order, without duplicates. */
export function keywords(query: string, max = 8): string[] {
  const out: string[] = [];
  for (const w of cleanText(query)
    .toLowerCase()
    .split(/[^\p{L}\p{N}+#.-]+/u)
    .map((t) => t.replace(/^[.-]+|[.-]+$/g, ""))) {
    if (w.length < 2 || STOPWORDS.has(w) || out.includes(w)) continue;
    out.push(w);
    if (out.length >= max) break;
  }
  return out;
}

const DOI_RE = /\b(10\.\d{4,9}\/[^\s"<>]+)/;

/** A DOI the query consists of (bare, `doi:` or `https://doi.org/...`), or null. */
export function queryDoi(query: string): string | null {
  const q = query.trim();
  if (!/^(?:doi:\s*|https?:\/\/(?:dx\.)?doi\.org\/)?10\.\d{4,9}\/\S+$/i.test(q)) return null;
  return DOI_RE.exec(q)?.[1]?.replace(/[.,;]+$/, "") ?? null;
}

/**
 * A calendar date as `YYYY-MM-DD`, `YYYY-MM` or `YYYY`, from its parts: a part that is
 * not a real month or day (month 0 or 13, February 30) is dropped with the parts after
 * it, so an invalid date is never emitted. Null without a plausible year.
 */
export function datePartsToIso(
  year: number | null,
  month?: number | null,
  day?: number | null,
): string | null {
  if (year === null || !Number.isInteger(year) || year < 1 || year > 9999) return null;
  const y = String(year).padStart(4, "0");
  if (month === null || month === undefined || !Number.isInteger(month) || month < 1 || month > 12) return y;
  const m = String(month).padStart(2, "0");
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day === null || day === undefined || !Number.isInteger(day) || day < 1 || day > days)
    return `${y}-${m}`;
  return `${y}-${m}-${String(day).padStart(2, "0")}`;
}

const MONTH_NAMES = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];

/** A month as a number: `4`, `"04"`, `"Apr"`, `"Sept."`, `"April"`; null for anything else (`"0"` too). */
export function monthNumber(v: unknown): number | null {
  const n = num(v);
  if (n !== null) return Number.isInteger(n) && n >= 1 && n <= 12 ? n : null;
  const s = str(v)?.toLowerCase().replace(/\.$/, "");
  if (!s || s.length < 3) return null;
  const i = MONTH_NAMES.findIndex((m) => m.startsWith(s));
  return i >= 0 ? i + 1 : null;
}

/**
 * A date as `YYYY-MM-DD` (or `YYYY-MM`, `YYYY`): ISO strings, Crossref date-parts, a bare
 * year (`2023` or `"2023"`), epoch seconds or milliseconds. Invalid parts (`2020-00`,
 * `2021-02-30`) are dropped, never emitted.
 */
export function isoDate(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "number" && Number.isFinite(v)) {
    // A four-digit whole number is a year (Semantic Scholar `year`, OpenAlex
    // `publication_year`, CORE `yearPublished`), not a second of January 1970.
    if (Number.isInteger(v) && v >= 1000 && v <= 9999) return String(v);
    const ms = Math.abs(v) > 1e11 ? v : v * 1000;
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? null : d.toISOString().slice(0, 10);
  }
  const o = obj(v);
  if (o && Array.isArray(o["date-parts"])) {
    const [y, m, d] = arr(arr(o["date-parts"])[0]).map(num);
    return datePartsToIso(y ?? null, m, d);
  }
  const s = str(v);
  if (!s) return null;
  const m =
    /^(\d{4})(?:([-/])(\d{1,2})(?:\2(\d{1,2}))?)?(?!\d)/.exec(s) ?? /^(\d{4})()(\d{2})(\d{2})$/.exec(s);
  if (m) return datePartsToIso(Number(m[1]), m[3] ? Number(m[3]) : null, m[4] ? Number(m[4]) : null);
  const parsed = Date.parse(s);
  return Number.isNaN(parsed) ? null : new Date(parsed).toISOString().slice(0, 10);
}

/** Everything needed to build a document. */
export interface DocumentParts {
  adapter: string;
  url: string;
  title: string;
  authors: string[];
  published: string | null;
  licence: Licence;
  /** The document's text as paragraphs (word for word). */
  paragraphs: string[];
  /** Query used to pick the relevant passages. */
  query: string;
  /** Passages kept. */
  passagesPerDocument: number;
}

/**
 * Assembles a {@link SourceDocument}: cleaned title and authors, paragraph passages
 * (the most relevant ones), and the sha256 of the full text as `contentHash`. Returns
 * null when there is no text: a record without text never becomes a document.
 */
export function buildDocument(parts: DocumentParts): SourceDocument | null {
  const paragraphs = parts.paragraphs.map((p) => oneLine(p)).filter(Boolean);
  const all = toPassages(paragraphs);
  if (all.length === 0) return null;
  const title = oneLine(parts.title) || "(untitled)";
  const passages = pickPassages(all, parts.query, parts.passagesPerDocument);
  return {
    adapter: parts.adapter,
    url: parts.url,
    title,
    authors: parts.authors.map((a) => oneLine(a)).filter(Boolean),
    published: parts.published,
    licence: parts.licence,
    passages,
    contentHash: sha256(`${title}\n\n${all.map((p) => p.text).join("\n\n")}`),
  };
}

/** Appends query parameters (skipping undefined/null/empty) to a URL. */
export function withParams(
  base: string,
  params: Record<string, string | number | boolean | null | undefined>,
): string {
  const u = new URL(base);
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    u.searchParams.set(k, String(v));
  }
  return u.href;
}

/** Reads an API key from the options or the environment; never logged. */
export function apiKeyFrom(explicit: string | undefined, envName: string | undefined): string | undefined {
  const v = explicit ?? (envName ? process.env[envName] : undefined);
  return v?.trim() ? v.trim() : undefined;
}

/**
 * Runs `fn` over `items` one after the other (requests are spaced by politeness anyway).
 * An item whose call fails is skipped; when every call failed, the first error is
 * thrown, so a broken service is reported as a failure, never as "no results". An abort
 * stops at once.
 */
export async function settleEach<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  let firstError: unknown = null;
  let failures = 0;
  for (const item of items) {
    try {
      out.push(await fn(item));
    } catch (e) {
      if ((e as { code?: string }).code === "ABORTED") throw e;
      failures++;
      firstError ??= e;
    }
  }
  if (items.length > 0 && failures === items.length) throw firstError;
  return out;
}

/**
 * Paragraphs of a Markdown document (a README or a dataset card): YAML front matter,
 * fenced code, HTML comments, headings, tables and badge-only lines are dropped; other
 * blocks are kept word for word.
 */
export function markdownToParagraphs(md: string | null | undefined): string[] {
  if (!md) return [];
  const text = cleanText(md)
    .replace(/\r\n?/g, "\n")
    .replace(/^---\n[\s\S]*?\n---\n?/, "")
    .replace(/```[\s\S]*?(?:```|$)/g, "\n\n")
    .replace(/<!--[\s\S]*?-->/g, "");
  const out: string[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block
      .split("\n")
      .filter((l) => !/^\s*#{1,6}\s/.test(l) && !/^\s*\|.*\|\s*$/.test(l) && !/^\s*[-=]{3,}\s*$/.test(l));
    const t = lines.join(" ").replace(/\s+/g, " ").trim();
    if (!t) continue;
    // lines of badges/images only carry no text
    if (/^(?:\[?!\[[^\]]*\]\([^)]*\)\]?(?:\([^)]*\))?\s*)+$/.test(t)) continue;
    if (/^<[^>]+>$/.test(t)) continue;
    out.push(t.replace(/^[-*+]\s+/, ""));
  }
  return out;
}
