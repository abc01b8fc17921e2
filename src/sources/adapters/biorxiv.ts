import MiniSearch from "minisearch";
import type { SourceDocument } from "../../core/types.js";
import { normaliseLicence, unknownLicence } from "../licence.js";
import type { SearchOptions, SourceAdapter } from "../types.js";
import {
  apiError,
  arr,
  buildDocument,
  isoDate,
  obj,
  queryDoi,
  type RemoteSourceOptions,
  resolveOptions,
  searchLimit,
  str,
  textToParagraphs,
  unexpectedShape,
} from "./common.js";

/** The bioRxiv API publishes no limit; one request a second is polite. */
export const BIORXIV_MIN_INTERVAL_MS = 1000;

/** Options of {@link biorxivSource}. */
export interface BiorxivOptions extends RemoteSourceOptions {
  /** `biorxiv` (default) or `medrxiv`. */
  server?: "biorxiv" | "medrxiv";
  /**
   * The details API interval: `30d` (the last 30 days, default), `2024-01-01/2024-06-30`,
   * or `500` (the 500 most recent posts).
   */
  interval?: string;
  /** Pages of 100 records scanned per search. Default 3. */
  pages?: number;
  /** Category filter (`cell_biology`, `epidemiology`, ...). */
  category?: string;
}

interface Preprint {
  doi: string;
  title: string;
  authors: string;
  date: string | null;
  version: string | null;
  license: string | null;
  abstract: string;
  /** The record's own `server` (`bioRxiv` or `medRxiv`), lower case; null when absent. */
  server: string | null;
}

/**
 * bioRxiv / medRxiv through the `details` API. That API has no keyword search: the
 * adapter reads the configured interval (page by page, cached) and ranks the preprints
 * against the query locally (BM25 over title and abstract). A DOI query fetches that
 * preprint directly. Licence from each record's `license` (`cc_by`, `cc_by_nc_nd`,
 * `cc_no`, or an empty string, which stays unknown).
 */
export function biorxivSource(opts: BiorxivOptions = {}): SourceAdapter {
  const server = opts.server ?? "biorxiv";
  const o = resolveOptions(opts, server, "https://api.biorxiv.org");
  const interval = (opts.interval ?? "30d").replace(/^\/+|\/+$/g, "");
  const pages = Math.max(1, Math.min(20, opts.pages ?? 3));
  // The landing page is on the preprint's own server: the details API of one server can
  // answer with records whose `server` is the other (a medRxiv DOI asked of bioRxiv).
  const siteOf = (p: Preprint) => {
    const own = p.server === "medrxiv" || p.server === "biorxiv" ? p.server : server;
    return own === "medrxiv" ? "https://www.medrxiv.org" : "https://www.biorxiv.org";
  };

  async function page(
    path: string,
    signal?: AbortSignal,
  ): Promise<{ items: Preprint[]; total: number; count: number }> {
    const url = new URL(`${o.baseUrl}/details/${server}/${path}`);
    if (opts.category) url.searchParams.set("category", opts.category);
    const { data, response } = await o.http.getJson({
      adapter: o.id,
      url: url.href,
      minIntervalMs: BIORXIV_MIN_INTERVAL_MS,
      ...(signal ? { signal } : {}),
    });
    const root = obj(data);
    if (!root) unexpectedShape(o.id, response, "not a JSON object");
    const msg = obj(arr(root.messages)[0]);
    const status = str(msg?.status);
    if (!Array.isArray(root.collection)) {
      if (status && /no posts found/i.test(status)) return { items: [], total: 0, count: 0 };
      if (status && status.toLowerCase() !== "ok") apiError(o.id, response, status);
      unexpectedShape(o.id, response, "no collection array");
    }
    const items: Preprint[] = [];
    for (const r of root.collection.map(obj)) {
      const doi = str(r?.doi);
      const title = str(r?.title);
      const abstract = str(r?.abstract);
      if (!r || !doi || !title || !abstract) continue;
      items.push({
        doi,
        title,
        authors: str(r.authors) ?? "",
        date: str(r.date),
        version: str(r.version),
        license: typeof r.license === "string" ? r.license : null,
        abstract,
        server: str(r.server)?.toLowerCase() ?? null,
      });
    }
    return {
      items,
      total: Number(msg?.total ?? items.length) || 0,
      count: Number(msg?.count ?? items.length) || items.length,
    };
  }

  function toDoc(p: Preprint, query: string): SourceDocument | null {
    const lic = p.license?.trim();
    return buildDocument({
      adapter: o.id,
      url: `${siteOf(p)}/content/${p.doi}${p.version ? `v${p.version}` : ""}`,
      title: p.title,
      authors: p.authors
        .split(";")
        .map((a) => a.trim())
        .filter(Boolean),
      published: isoDate(p.date),
      licence: lic
        ? normaliseLicence(lic, `${server} license`)
        : unknownLicence(`${server} license field is ${p.license === null ? "missing" : "empty"}`),
      paragraphs: textToParagraphs(p.abstract),
      query,
      passagesPerDocument: o.passagesPerDocument,
    });
  }

  return {
    id: o.id,
    description: `${server === "medrxiv" ? "medRxiv" : "bioRxiv"} preprints (details API over ${interval}, ranked locally): abstracts; licence per preprint`,
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const limit = searchLimit(searchOpts.limit, o.limit, 100);
      const signal = searchOpts.signal;
      const doi = queryDoi(query);
      if (doi) {
        const { items } = await page(`${doi}/na/json`, signal);
        // several versions may come back: keep the latest
        const latest = items.sort((a, b) => Number(b.version ?? 0) - Number(a.version ?? 0))[0];
        const doc = latest ? toDoc(latest, query) : null;
        return doc ? [doc] : [];
      }
      const all: Preprint[] = [];
      for (let i = 0, cursor = 0; i < pages; i++) {
        const res = await page(`${interval}/${cursor}/json`, signal);
        all.push(...res.items);
        cursor += res.count || 100;
        if (res.count === 0 || cursor >= res.total) break;
      }
      if (all.length === 0) return [];
      const index = new MiniSearch<{ id: number; title: string; abstract: string }>({
        fields: ["title", "abstract"],
        searchOptions: { boost: { title: 2 }, prefix: true, fuzzy: 0.15 },
      });
      index.addAll(all.map((p, id) => ({ id, title: p.title, abstract: p.abstract })));
      const seen = new Set<string>();
      const docs: SourceDocument[] = [];
      for (const hit of index.search(query, { combineWith: "OR" })) {
        const p = all[hit.id as number]!;
        if (seen.has(p.doi)) continue;
        seen.add(p.doi);
        const doc = toDoc(p, query);
        if (doc) docs.push(doc);
        if (docs.length >= limit) break;
      }
      return docs;
    },
  };
}

/** medRxiv: {@link biorxivSource} with `server: "medrxiv"`. */
export function medrxivSource(opts: Omit<BiorxivOptions, "server"> = {}): SourceAdapter {
  return biorxivSource({ ...opts, server: "medrxiv" });
}
