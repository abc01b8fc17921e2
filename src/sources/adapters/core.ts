import type { Licence, SourceDocument } from "../../core/types.js";
import { type HttpResponse, sourceFailed } from "../http.js";
import { normaliseLicence, unknownLicence } from "../licence.js";
import type { SearchOptions, SourceAdapter } from "../types.js";
import {
  apiError,
  apiKeyFrom,
  arr,
  buildDocument,
  isoDate,
  keywords,
  markupToParagraphs,
  num,
  obj,
  type RemoteSourceOptions,
  resolveOptions,
  searchLimit,
  str,
  stripMarkup,
  unexpectedShape,
  withParams,
} from "./common.js";

/** CORE allows registered users about 10 requests a minute. */
export const CORE_MIN_INTERVAL_MS = 6000;

/** Options of {@link coreSource}. */
export interface CoreOptions extends RemoteSourceOptions {
  /** API key. Default `CORE_API_KEY` from the environment. */
  apiKey?: string;
  /** API version: `v3` (current, default) or `v2` (retired; kept for mirrors and recorded data). */
  apiVersion?: "v3" | "v2";
}

/** One CORE record, from any of the v3 and v2 answer shapes (exported for tests). */
export interface CoreRecord {
  id: string;
  title: string | null;
  abstract: string | null;
  authors: string[];
  doi: string | null;
  published: string | null;
  url: string | null;
  licence: string | null;
}

function hasRecords(root: Record<string, unknown>): boolean {
  return (
    (Array.isArray(root.results) && root.results.length > 0) ||
    (Array.isArray(root.data) && root.data.length > 0) ||
    obj(root.data) !== null
  );
}

/** Reads the records of a CORE answer: v3 `results[]`, v2 search `data[]._source`, or v2 `data` (one article). */
export function parseCoreRecords(adapter: string, data: unknown, response: HttpResponse): CoreRecord[] {
  const root = obj(data);
  if (!root) unexpectedShape(adapter, response, "not a JSON object");
  const status = str(root.status);
  // API v2 answers a search without hits with `{"status":"Not found","totalHits":0}`:
  // no hits is no documents, not a failure.
  if (status && /^not found$/i.test(status) && (num(root.totalHits) ?? 0) === 0 && !hasRecords(root))
    return [];
  if (status && !/^ok$/i.test(status))
    apiError(adapter, response, `status ${status}${str(root.message) ? `: ${str(root.message)}` : ""}`);
  const err =
    str(root.message) && !Array.isArray(root.results) && root.data === undefined ? str(root.message) : null;
  if (err) apiError(adapter, response, err);
  let raw: unknown[];
  if (Array.isArray(root.results)) raw = root.results;
  else if (Array.isArray(root.data)) raw = root.data.map((h) => obj(h)?._source ?? h);
  else if (obj(root.data)) raw = [root.data];
  else unexpectedShape(adapter, response, "no results or data");
  const out: CoreRecord[] = [];
  for (const r of raw.map(obj)) {
    const id = str(r?.id);
    if (!r || !id) continue;
    const links = arr(r.links).map(obj);
    const display = str(links.find((l) => str(l?.type) === "display")?.url);
    out.push({
      id,
      title: str(r.title),
      abstract: str(r.abstract) ?? str(r.description),
      authors: arr(r.authors)
        .map((a) => str(a) ?? str(obj(a)?.name))
        .filter((a): a is string => a !== null),
      doi: str(r.doi),
      published: isoDate(r.publishedDate ?? r.datePublished ?? r.yearPublished ?? r.year),
      url: display,
      licence: str(r.license) ?? str(r.licence) ?? str(obj(r.license)?.name) ?? null,
    });
  }
  return out;
}

/**
 * CORE (aggregator of open-access research outputs): works search. Abstracts are the
 * passages; CORE records rarely state a licence, which then stays unknown.
 */
export function coreSource(opts: CoreOptions = {}): SourceAdapter {
  const version = opts.apiVersion ?? "v3";
  const o = resolveOptions(opts, "core", version === "v3" ? "https://api.core.ac.uk" : "https://core.ac.uk");
  const key = apiKeyFrom(opts.apiKey, "CORE_API_KEY");

  return {
    id: o.id,
    description:
      "CORE open-access research outputs (works search): abstracts; licence only when the record states one",
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const limit = searchLimit(searchOpts.limit, o.limit, 100);
      const q = /\b[a-z_]+:/.test(query) ? query : keywords(query, 6).join(" ") || query;
      const url =
        version === "v3"
          ? withParams(`${o.baseUrl}/v3/search/works`, { q, limit })
          : withParams(`${o.baseUrl}/api-v2/search/${encodeURIComponent(q)}`, {
              page: 1,
              pageSize: limit,
              apiKey: key,
            });
      const { data, response } = await o.http.getJson({
        adapter: o.id,
        url,
        minIntervalMs: CORE_MIN_INTERVAL_MS,
        ...(key ? { secrets: [key] } : {}),
        ...(key && version === "v3" ? { headers: { authorization: `Bearer ${key}` } } : {}),
        // API v2 may send its "Not found" (no hits) answer with a 404.
        ...(version === "v2" ? { allowStatus: [404] } : {}),
        ...(searchOpts.signal ? { signal: searchOpts.signal } : {}),
      });
      if (response.status === 404 && !/^not found$/i.test(str(obj(data)?.status) ?? "")) {
        const said = str(obj(data)?.message) ?? str(obj(data)?.status);
        throw sourceFailed(
          { adapter: o.id, reason: "http-status", status: 404, url },
          `HTTP 404 from ${new URL(url).host}${said ? `: ${said.slice(0, 200)}` : ""}. The search endpoint does not exist: check the baseUrl and apiVersion of source ${o.id}.`,
          key ? { secrets: [key] } : {},
        );
      }
      const docs: SourceDocument[] = [];
      for (const r of parseCoreRecords(o.id, data, response)) {
        const licence: Licence = r.licence
          ? normaliseLicence(r.licence, "core license")
          : unknownLicence("CORE record states no licence");
        const doc = buildDocument({
          adapter: o.id,
          url:
            r.url ??
            (r.doi
              ? `https://doi.org/${r.doi}`
              : `https://core.ac.uk/${version === "v3" ? "works" : "display"}/${encodeURIComponent(r.id)}`),
          title: stripMarkup(r.title) || `CORE ${r.id}`,
          authors: r.authors,
          published: r.published,
          licence,
          paragraphs: markupToParagraphs(r.abstract),
          query,
          passagesPerDocument: o.passagesPerDocument,
        });
        if (doc) docs.push(doc);
        if (docs.length >= limit) break;
      }
      return docs;
    },
  };
}
