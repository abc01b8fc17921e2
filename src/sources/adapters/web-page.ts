import type { Readability as ReadabilityType } from "@mozilla/readability";
import type robotsParserType from "robots-parser";
import { isSynthforgeError } from "../../core/errors.js";
import { lazyClass, loadSync } from "../../core/load.js";
import type { Licence, SourceDocument } from "../../core/types.js";
import { type HttpClient, sourceFailed } from "../http.js";
import { normaliseLicence, unknownLicence } from "../licence.js";
import type { SearchOptions, SourceAdapter } from "../types.js";
import {
  buildDocument,
  isoDate,
  keywords,
  markupToParagraphs,
  oneLine,
  type RemoteSourceOptions,
  resolveOptions,
  searchLimit,
  settleEach,
} from "./common.js";

// linkedom is loaded on first use (start-up, issue 15).
const parseHTML: typeof import("linkedom").parseHTML = (...args) =>
  loadSync<typeof import("linkedom")>("linkedom").parseHTML(...args);
const Readability = lazyClass(
  () => loadSync<typeof import("@mozilla/readability")>("@mozilla/readability").Readability,
);
type Readability = ReadabilityType;

/** One request a second per host for pages. */
export const WEB_PAGE_MIN_INTERVAL_MS = 1000;

/** Options of {@link webPageSource}. */
export interface WebPageOptions extends RemoteSourceOptions {
  /**
   * Pages searched when the query is not itself a URL: each is fetched (cached) and
   * its passages ranked against the query. Relative URLs resolve against `baseUrl`.
   */
  urls?: string[];
  /**
   * Obey each site's robots.txt (RFC 9309) for the user-agent token `synthforge`: a
   * disallowed page is a recorded failure (`robots-disallowed`), never fetched, and a
   * `Crawl-delay` slows requests to that host. Default true.
   */
  respectRobots?: boolean;
}

/** The product token matched against robots.txt `User-agent` lines. */
export const ROBOTS_USER_AGENT = "synthforge";
/** robots.txt is fetched once per origin and kept this long. */
const ROBOTS_TTL_MS = 24 * 3600 * 1000;
/** A Crawl-delay above this is not honoured by waiting (the page is refused instead). */
const MAX_CRAWL_DELAY_S = 60;

/** What a site's robots.txt allows: a checker, or everything / nothing when there is no usable file. */
type RobotsRules = { isAllowed(url: string): boolean; crawlDelayMs: number };

/**
 * The robots rules of `origin` (RFC 9309 §2.3.1): a 4xx answer (no robots.txt) allows
 * everything; a 5xx answer or an unreachable server disallows everything (the site may
 * be down, so nothing is fetched from it for now).
 */
async function robotsOf(
  http: HttpClient,
  adapter: string,
  origin: string,
  signal?: AbortSignal,
): Promise<RobotsRules> {
  const url = `${origin}/robots.txt`;
  try {
    const res = await http.getText(
      {
        adapter,
        url,
        minIntervalMs: WEB_PAGE_MIN_INTERVAL_MS,
        cacheTtlMs: ROBOTS_TTL_MS,
        allowStatus: [400, 401, 403, 404, 405, 406, 410, 451],
        ...(signal ? { signal } : {}),
      },
      "text/plain, */*;q=0.1",
    );
    if (res.status >= 400) return { isAllowed: () => true, crawlDelayMs: 0 };
    const robots = loadSync<typeof robotsParserType>("robots-parser")(url, res.body);
    const delay = robots.getCrawlDelay(ROBOTS_USER_AGENT) ?? 0;
    return {
      // A page of another origin than the file's answers undefined: not this file's to decide.
      isAllowed: (u) => robots.isAllowed(u, ROBOTS_USER_AGENT) !== false && delay <= MAX_CRAWL_DELAY_S,
      crawlDelayMs: Math.max(0, delay) * 1000,
    };
  } catch (e) {
    if (!isSynthforgeError(e, "SOURCE_FAILED")) throw e;
    return { isAllowed: () => false, crawlDelayMs: 0 };
  }
}

type Doc = ReturnType<typeof parseHTML>["document"];

/** Where a Creative Commons licence URL can be rebuilt from a badge image path (`/l/by-sa/4.0/88x31.png`). */
const BADGE = /(?:licensebuttons\.net|i\.creativecommons\.org)\/(l|p)\/([a-z-]+)\/(\d\.\d)/i;

/**
 * The licence a page states about itself: `rel="license"` links, `dc.rights` /
 * `dcterms.license` meta tags, JSON-LD `license`, Creative Commons badge images, in
 * that order. Unknown when it states none.
 */
export function pageLicence(document: Doc): Licence {
  const rel = document.querySelector('link[rel~="license" i], a[rel~="license" i]');
  const relHref = rel?.getAttribute("href")?.trim();
  if (relHref) return normaliseLicence(relHref, 'html rel="license"');
  for (const name of [
    "dc.rights",
    "dcterms.license",
    "dcterms.rights",
    "dc.license",
    "license",
    "citation_license",
  ]) {
    for (const meta of document.querySelectorAll("meta")) {
      const n = (meta.getAttribute("name") ?? meta.getAttribute("property") ?? "").toLowerCase();
      const content = meta.getAttribute("content")?.trim();
      if (n === name && content) return normaliseLicence(content, `html meta ${name}`);
    }
  }
  for (const script of document.querySelectorAll('script[type="application/ld+json"]')) {
    try {
      const data = JSON.parse(script.textContent ?? "") as unknown;
      const found = findJsonLdLicence(data, 0);
      if (found) return normaliseLicence(found, "html JSON-LD license");
    } catch {
      /* malformed JSON-LD is ignored */
    }
  }
  for (const img of document.querySelectorAll("img")) {
    const m = BADGE.exec(img.getAttribute("src") ?? "");
    if (m) {
      const url =
        m[1]!.toLowerCase() === "p"
          ? "https://creativecommons.org/publicdomain/zero/1.0/"
          : `https://creativecommons.org/licenses/${m[2]!.toLowerCase()}/${m[3]}/`;
      return normaliseLicence(url, "html Creative Commons badge image");
    }
  }
  return unknownLicence(
    'web page states no licence (no rel="license", dc.rights, JSON-LD license or Creative Commons badge)',
  );
}

function findJsonLdLicence(v: unknown, depth: number): string | null {
  if (depth > 5 || v === null || typeof v !== "object") return null;
  if (Array.isArray(v)) {
    for (const x of v) {
      const f = findJsonLdLicence(x, depth + 1);
      if (f) return f;
    }
    return null;
  }
  const o = v as Record<string, unknown>;
  const lic = o.license ?? o.licence;
  if (typeof lic === "string" && lic.trim()) return lic.trim();
  const licObj = lic && typeof lic === "object" ? (lic as Record<string, unknown>) : null;
  if (licObj && typeof (licObj.url ?? licObj["@id"]) === "string") return String(licObj.url ?? licObj["@id"]);
  for (const key of ["@graph", "mainEntity", "isPartOf"]) {
    const f = findJsonLdLicence(o[key], depth + 1);
    if (f) return f;
  }
  return null;
}

function meta(document: Doc, ...names: string[]): string | null {
  for (const m of document.querySelectorAll("meta")) {
    const n = (m.getAttribute("name") ?? m.getAttribute("property") ?? "").toLowerCase();
    if (names.includes(n)) {
      const c = m.getAttribute("content")?.trim();
      if (c) return c;
    }
  }
  return null;
}

/** Reads a page: main text with Readability, licence and metadata from the original document. */
export function readPage(
  html: string,
  url: string,
): {
  title: string;
  byline: string | null;
  published: string | null;
  licence: Licence;
  paragraphs: string[];
} {
  const { document } = parseHTML(html);
  const licence = pageLicence(document);
  const published = isoDate(
    meta(document, "article:published_time", "dc.date", "dcterms.date", "citation_publication_date", "date"),
  );
  const author = meta(document, "author", "dc.creator", "citation_author");
  const fallbackTitle = oneLine(document.querySelector("title")?.textContent ?? "") || url;
  // Readability changes the DOM it reads: give it its own copy.
  const { document: copy } = parseHTML(html);
  let article: ReturnType<Readability["parse"]> = null;
  try {
    article = new Readability(copy as unknown as ConstructorParameters<typeof Readability>[0], {
      charThreshold: 200,
    }).parse();
  } catch {
    article = null;
  }
  let paragraphs = article?.content ? markupToParagraphs(article.content) : [];
  if (paragraphs.length === 0) {
    for (const el of document.querySelectorAll("script, style, nav, footer, header, noscript, aside"))
      el.remove();
    paragraphs = markupToParagraphs(document.body?.innerHTML ?? "");
  }
  return {
    title: oneLine(article?.title ?? "") || fallbackTitle,
    byline: oneLine(article?.byline ?? "") || author,
    published: published ?? isoDate(article?.publishedTime ?? null),
    licence,
    paragraphs,
  };
}

/**
 * Web pages: the query is a URL (fetched, main text extracted with Readability), or
 * the configured `urls` are fetched and their passages ranked against the query. The
 * licence is what the page states about itself, unknown when it states nothing.
 */
export function webPageSource(opts: WebPageOptions = {}): SourceAdapter {
  const o = resolveOptions(opts, "webPage", opts.baseUrl ?? "http://localhost");
  const hasBase = Boolean(opts.baseUrl);
  const robotsByOrigin = new Map<string, Promise<RobotsRules>>();

  /** The robots rules for `target`'s origin (one fetch per origin per source), or null when not obeyed. */
  async function rulesFor(target: string, signal?: AbortSignal): Promise<RobotsRules | null> {
    if (opts.respectRobots === false) return null;
    const origin = new URL(target).origin;
    let rules = robotsByOrigin.get(origin);
    if (!rules) {
      rules = robotsOf(o.http, o.id, origin, signal);
      robotsByOrigin.set(origin, rules);
      // A failed lookup (aborted, say) is asked again next time.
      rules.catch(() => robotsByOrigin.delete(origin));
    }
    return rules;
  }

  async function fetchPage(
    target: string,
    query: string,
    signal?: AbortSignal,
  ): Promise<SourceDocument | null> {
    const rules = await rulesFor(target, signal);
    if (rules && !rules.isAllowed(target)) {
      throw sourceFailed(
        { adapter: o.id, reason: "robots-disallowed", url: target },
        `${target} is disallowed for "${ROBOTS_USER_AGENT}" by its site's robots.txt (or the site's robots.txt could not be read); it was not fetched. Set respectRobots: false only for pages you may fetch.`,
      );
    }
    const res = await o.http.getHtml({
      adapter: o.id,
      url: target,
      minIntervalMs: Math.max(WEB_PAGE_MIN_INTERVAL_MS, rules?.crawlDelayMs ?? 0),
      ...(signal ? { signal } : {}),
    });
    const page = readPage(res.body, res.url);
    return buildDocument({
      adapter: o.id,
      url: res.url,
      title: page.title,
      authors: page.byline ? [page.byline] : [],
      published: page.published,
      licence: page.licence,
      paragraphs: page.paragraphs,
      query,
      passagesPerDocument: o.passagesPerDocument,
    });
  }

  const resolve = (u: string): string => {
    try {
      return new URL(u, hasBase ? `${o.baseUrl}/` : undefined).href;
    } catch {
      throw sourceFailed(
        { adapter: o.id, reason: "invalid-query" },
        `"${u.slice(0, 200)}" is not a URL${hasBase ? "" : " (relative URLs need the baseUrl option)"}.`,
      );
    }
  };

  return {
    id: o.id,
    description:
      "Web pages (main text via Readability); licence from rel=license, dc.rights, JSON-LD or Creative Commons badges",
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const q = query.trim();
      const isUrl = /^https?:\/\//i.test(q) || (hasBase && q.startsWith("/"));
      if (isUrl) {
        const doc = await fetchPage(resolve(q), q, searchOpts.signal);
        return doc ? [doc] : [];
      }
      const urls = (opts.urls ?? []).map(resolve);
      if (urls.length === 0) {
        throw sourceFailed(
          { adapter: o.id, reason: "invalid-query" },
          "The webPage source needs a URL as the query, or a list of pages to search (the urls option).",
        );
      }
      const docs = await settleEach(urls, (u) => fetchPage(u, q, searchOpts.signal));
      // A configured page that shares no content word with the query is not a hit.
      const words = keywords(q, 8);
      const relevant = (d: SourceDocument) =>
        words.length === 0 || d.passages.some((p) => words.some((w) => p.text.toLowerCase().includes(w)));
      return docs
        .filter((d): d is SourceDocument => d !== null && relevant(d))
        .slice(0, searchLimit(searchOpts.limit, o.limit, 100));
    },
  };
}
