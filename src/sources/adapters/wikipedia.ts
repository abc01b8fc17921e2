import type { SourceDocument } from "../../core/types.js";
import type { HttpResponse } from "../http.js";
import { normaliseLicence } from "../licence.js";
import type { SearchOptions, SourceAdapter } from "../types.js";
import {
  apiError,
  arr,
  buildDocument,
  isoDate,
  num,
  obj,
  type RemoteSourceOptions,
  resolveOptions,
  searchLimit,
  settleEach,
  str,
  stripMarkup,
  textToParagraphs,
  unexpectedShape,
  withParams,
} from "./common.js";

/** Wikimedia asks for serial requests; a small gap keeps a research run polite. */
export const WIKIPEDIA_MIN_INTERVAL_MS = 200;

/** Options of {@link wikipediaSource}. */
export interface WikipediaOptions extends RemoteSourceOptions {
  /** Language edition for the default base URL (`en`, `de`, ...). Default `en`. */
  language?: string;
  /**
   * What text to take: `full` the whole article as plain text (one request per page,
   * the passages most relevant to the query kept), `intro` the lead section of every
   * hit in one request, `summary` the REST page summary per page. Default `full`.
   */
  extract?: "full" | "intro" | "summary";
}

/** Wikipedia's text licence (Terms of Use since 2023: CC BY-SA 4.0). */
const WIKIPEDIA_LICENCE_URL = "https://creativecommons.org/licenses/by-sa/4.0/";
const LICENCE_EVIDENCE = "Wikipedia text licence (Wikimedia Terms of Use: CC BY-SA 4.0)";

interface Page {
  title: string;
  extract: string | null;
  url: string | null;
  touched: string | null;
  index: number;
}

/** Pages of an Action API `query` (formatversion 1: an object keyed by id; 2: an array). */
function pagesOf(query: Record<string, unknown>): Page[] {
  const raw = Array.isArray(query.pages) ? query.pages : Object.values(obj(query.pages) ?? {});
  const out: Page[] = [];
  for (const p of raw.map(obj)) {
    if (!p || "missing" in p || "invalid" in p) continue;
    const title = str(p.title);
    if (!title) continue;
    out.push({
      title,
      extract: typeof p.extract === "string" ? p.extract : null,
      url: str(p.fullurl) ?? str(p.canonicalurl),
      touched: str(p.touched),
      index: num(p.index) ?? out.length,
    });
  }
  return out.sort((a, b) => a.index - b.index);
}

/**
 * The error a MediaWiki Action API answer reports, or null. Two shapes: the default
 * (`errorformat=bc`) `{"error": {"code", "info"}}`, and with `errorformat=plaintext|wikitext|
 * html|raw|none` `{"errors": [{"code", "text"|"html"|"*"|"key"+"params", "module"}]}`.
 */
function mediaWikiError(root: Record<string, unknown>): string | null {
  const one = obj(root.error);
  if (one) {
    const code = str(one.code) ?? "error";
    const info = str(one.info) ?? str(one.text) ?? str(one["*"]);
    return info ? `${code}: ${info}` : code;
  }
  if (!Array.isArray(root.errors) || root.errors.length === 0) return null;
  const messages = root.errors.map((e) => {
    const o = obj(e);
    if (!o) return str(e) ?? "error";
    const code = str(o.code) ?? "error";
    const html = str(o.html);
    const raw = str(o.key)
      ? `${str(o.key)}${arr(o.params).length ? ` (${arr(o.params).map(str).filter(Boolean).join(", ")})` : ""}`
      : null;
    const text = str(o.text) ?? str(o["*"]) ?? (html ? stripMarkup(html) : null) ?? raw;
    return text ? `${code}: ${text}` : code;
  });
  return messages.join("; ");
}

function checkApiError(adapter: string, data: unknown, res: HttpResponse): Record<string, unknown> {
  const root = obj(data);
  if (!root) unexpectedShape(adapter, res, "not a JSON object");
  const err = mediaWikiError(root);
  if (err) apiError(adapter, res, err);
  return root;
}

/**
 * Wikipedia (MediaWiki Action API search + TextExtracts plain-text extracts, or the REST
 * page summary). Text is CC-BY-SA-4.0: permissive with share-alike.
 */
export function wikipediaSource(opts: WikipediaOptions = {}): SourceAdapter {
  const lang = (opts.language ?? "en").replace(/[^a-z-]/gi, "") || "en";
  const o = resolveOptions(opts, "wikipedia", `https://${lang}.wikipedia.org`);
  const mode = opts.extract ?? "full";
  const api = `${o.baseUrl}/w/api.php`;
  const licence = () => normaliseLicence(WIKIPEDIA_LICENCE_URL, LICENCE_EVIDENCE);
  const pageUrl = (title: string) =>
    `https://${lang}.wikipedia.org/wiki/${encodeURIComponent(title.replace(/ /g, "_"))}`;
  const req = (url: string, signal?: AbortSignal) => ({
    adapter: o.id,
    url,
    minIntervalMs: WIKIPEDIA_MIN_INTERVAL_MS,
    ...(signal ? { signal } : {}),
  });

  const toDoc = (page: Page, query: string): SourceDocument | null =>
    page.extract
      ? buildDocument({
          adapter: o.id,
          url: page.url ?? pageUrl(page.title),
          title: page.title,
          authors: ["Wikipedia contributors"],
          published: isoDate(page.touched),
          licence: licence(),
          paragraphs: textToParagraphs(page.extract, { singleNewline: true }),
          query,
          passagesPerDocument: o.passagesPerDocument,
        })
      : null;

  async function searchTitles(
    query: string,
    limit: number,
    signal?: AbortSignal,
  ): Promise<Array<{ title: string; timestamp: string | null }>> {
    const { data, response } = await o.http.getJson(
      req(
        withParams(api, {
          action: "query",
          list: "search",
          srsearch: query,
          srlimit: limit,
          srnamespace: 0,
          srprop: "timestamp",
          format: "json",
          formatversion: 2,
          utf8: 1,
        }),
        signal,
      ),
    );
    const root = checkApiError(o.id, data, response);
    const q = obj(root.query);
    if (!q) {
      if ("batchcomplete" in root) return [];
      unexpectedShape(o.id, response, "no query object");
    }
    return arr(q.search)
      .map(obj)
      .map((h) => ({ title: str(h?.title), timestamp: str(h?.timestamp) }))
      .filter((h): h is { title: string; timestamp: string | null } => h.title !== null)
      .slice(0, limit);
  }

  return {
    id: o.id,
    description: `Wikipedia (${lang}) articles via the MediaWiki Action API (${mode} extracts); CC-BY-SA-4.0`,
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const limit = searchLimit(searchOpts.limit, o.limit, 20);
      const signal = searchOpts.signal;
      if (mode === "intro") {
        const { data, response } = await o.http.getJson(
          req(
            withParams(api, {
              action: "query",
              generator: "search",
              gsrsearch: query,
              gsrlimit: limit,
              gsrnamespace: 0,
              prop: "extracts|info",
              exintro: 1,
              explaintext: 1,
              exlimit: "max",
              inprop: "url",
              redirects: 1,
              format: "json",
              formatversion: 2,
            }),
            signal,
          ),
        );
        const root = checkApiError(o.id, data, response);
        const q = obj(root.query);
        if (!q) {
          // a search without hits answers `{"batchcomplete": true}`
          if ("batchcomplete" in root) return [];
          unexpectedShape(o.id, response, "no query object");
        }
        return pagesOf(q)
          .map((p) => toDoc(p, query))
          .filter((d): d is SourceDocument => d !== null)
          .slice(0, limit);
      }
      const hits = await searchTitles(query, limit, signal);
      if (mode === "summary") {
        const docs = await settleEach(hits, async (h) => {
          const { data, response } = await o.http.getJson(
            req(
              `${o.baseUrl}/api/rest_v1/page/summary/${encodeURIComponent(h.title.replace(/ /g, "_"))}`,
              signal,
            ),
          );
          const s = obj(data);
          if (!s) unexpectedShape(o.id, response, "page summary is not an object");
          // a REST API problem body: {"type": ".../errors/not_found", "title", "detail"}
          if (/\/errors?\//.test(str(s.type) ?? "") && !str(s.extract))
            apiError(o.id, response, str(s.detail) ?? str(s.title) ?? str(s.type) ?? "error");
          if (str(s.type) === "disambiguation") return null;
          const desktop = obj(obj(s.content_urls)?.desktop);
          return toDoc(
            {
              title: str(s.title) ?? h.title,
              extract: str(s.extract),
              url: str(desktop?.page),
              touched: str(s.timestamp) ?? h.timestamp,
              index: 0,
            },
            query,
          );
        });
        return docs.filter((d): d is SourceDocument => d !== null);
      }
      const docs = await settleEach(hits, async (h) => {
        const { data, response } = await o.http.getJson(
          req(
            withParams(api, {
              action: "query",
              prop: "extracts|info",
              inprop: "url",
              explaintext: 1,
              exsectionformat: "wiki",
              redirects: 1,
              titles: h.title,
              format: "json",
              formatversion: 2,
            }),
            signal,
          ),
        );
        const root = checkApiError(o.id, data, response);
        const page = pagesOf(obj(root.query) ?? {})[0];
        if (!page) return null;
        return toDoc({ ...page, touched: page.touched ?? h.timestamp }, query);
      });
      return docs.filter((d): d is SourceDocument => d !== null);
    },
  };
}
