import type { Licence, SourceDocument } from "../../core/types.js";
import { normaliseLicence, unknownLicence } from "../licence.js";
import type { SearchOptions, SourceAdapter } from "../types.js";
import {
  apiError,
  apiKeyFrom,
  arr,
  buildDocument,
  isoDate,
  num,
  obj,
  queryDoi,
  type RemoteSourceOptions,
  resolveOptions,
  searchLimit,
  str,
  stripMarkup,
  textToParagraphs,
  unexpectedShape,
  withParams,
} from "./common.js";

/** OpenAlex allows 10 requests per second (polite pool with `mailto`, or with an API key). */
export const OPENALEX_MIN_INTERVAL_MS = 100;

/** Options of {@link openalexSource}. */
export interface OpenAlexOptions extends RemoteSourceOptions {
  /** API key (`api_key`). Default `OPENALEX_API_KEY` from the environment. */
  apiKey?: string;
  /** Only open-access works (`is_oa:true`). */
  openAccessOnly?: boolean;
}

/** Rebuilds an abstract, word for word, from OpenAlex's `abstract_inverted_index`. */
export function invertedIndexToText(index: unknown): string | null {
  const o = obj(index);
  if (!o) return null;
  const words: string[] = [];
  for (const [word, positions] of Object.entries(o)) {
    for (const p of arr(positions)) {
      const n = num(p);
      if (n !== null && n >= 0 && n < 100_000 && Number.isInteger(n)) words[n] = word;
    }
  }
  const text = words.filter((w) => w !== undefined).join(" ");
  return text.trim() ? text : null;
}

/** The licence of an OpenAlex work: primary location, then best open-access location, then any other. */
export function openalexLicence(w: Record<string, unknown>): Licence {
  const candidates: Array<[string, unknown]> = [
    ["primary_location.license", obj(w.primary_location)?.license],
    ["best_oa_location.license", obj(w.best_oa_location)?.license],
    ...arr(w.locations).map((l, i) => [`locations[${i}].license`, obj(l)?.license] as [string, unknown]),
  ];
  for (const [where, value] of candidates) {
    const v = str(value);
    if (v) return normaliseLicence(v, `openalex ${where}`);
  }
  const oa = obj(w.open_access);
  return unknownLicence(
    `openalex: no location states a licence (open_access.oa_status: ${str(oa?.oa_status) ?? "not given"})`,
  );
}

/**
 * OpenAlex works search (`/works?search=`) and DOI lookup. Abstracts are rebuilt from
 * the inverted index; the licence comes from the locations' `license`.
 */
export function openalexSource(opts: OpenAlexOptions = {}): SourceAdapter {
  const o = resolveOptions(opts, "openalex", "https://api.openalex.org");
  const key = apiKeyFrom(opts.apiKey, "OPENALEX_API_KEY");
  const mailto = o.http.contact;

  const toDoc = (w: Record<string, unknown>, query: string): SourceDocument | null => {
    const title = stripMarkup(str(w.display_name) ?? str(w.title) ?? "");
    const abstract = invertedIndexToText(w.abstract_inverted_index);
    if (!title || !abstract) return null;
    const doi = str(w.doi);
    return buildDocument({
      adapter: o.id,
      url: doi ?? str(obj(w.primary_location)?.landing_page_url) ?? str(w.id) ?? "",
      title,
      authors: arr(w.authorships)
        .map((a) => str(obj(obj(a)?.author)?.display_name) ?? str(obj(a)?.raw_author_name))
        .filter((a): a is string => a !== null),
      published: isoDate(w.publication_date ?? w.publication_year),
      licence: openalexLicence(w),
      paragraphs: textToParagraphs(abstract.replace(/^abstract[:.]?\s+/i, "")),
      query,
      passagesPerDocument: o.passagesPerDocument,
    });
  };

  return {
    id: o.id,
    description:
      "OpenAlex works: abstracts (rebuilt from the inverted index); licence from primary/best open-access location",
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const limit = searchLimit(searchOpts.limit, o.limit, 200);
      const doi = queryDoi(query);
      const filter = ["has_abstract:true", ...(opts.openAccessOnly ? ["is_oa:true"] : [])].join(",");
      const url = doi
        ? withParams(`${o.baseUrl}/works/https://doi.org/${doi}`, { mailto, api_key: key })
        : withParams(`${o.baseUrl}/works`, { search: query, per_page: limit, filter, mailto, api_key: key });
      const { data, response } = await o.http.getJson({
        adapter: o.id,
        url,
        minIntervalMs: OPENALEX_MIN_INTERVAL_MS,
        ...(key ? { secrets: [key] } : {}),
        ...(doi ? { allowStatus: [404] } : {}),
        ...(searchOpts.signal ? { signal: searchOpts.signal } : {}),
      });
      if (response.status === 404) return [];
      const root = obj(data);
      if (!root) unexpectedShape(o.id, response, "not a JSON object");
      const err = str(root.error);
      if (err) apiError(o.id, response, `${err}${str(root.message) ? `: ${str(root.message)}` : ""}`);
      const works = doi
        ? [root]
        : Array.isArray(root.results)
          ? root.results.map(obj)
          : unexpectedShape(o.id, response, "no results array");
      return works
        .filter((w): w is Record<string, unknown> => w !== null)
        .map((w) => toDoc(w, query))
        .filter((d): d is SourceDocument => d !== null)
        .slice(0, limit);
    },
  };
}
