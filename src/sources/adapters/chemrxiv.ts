import type { SourceDocument } from "../../core/types.js";
import { normaliseLicence, unknownLicence } from "../licence.js";
import type { SearchOptions, SourceAdapter } from "../types.js";
import {
  arr,
  buildDocument,
  isoDate,
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

/** ChemRxiv's public API publishes no limit; one request a second is polite. */
export const CHEMRXIV_MIN_INTERVAL_MS = 1000;

/** Options of {@link chemrxivSource}. */
export interface ChemrxivOptions extends RemoteSourceOptions {
  /** Sort order of the public API (e.g. `PUBLISHED_DATE_DESC`); the API's default when unset. */
  sort?: string;
}

/**
 * ChemRxiv (Cambridge Open Engage public API, `/items?term=`). Abstracts are the
 * passages; the licence is each item's `license` (e.g. "CC BY 4.0", "CC BY NC ND 4.0").
 */
export function chemrxivSource(opts: ChemrxivOptions = {}): SourceAdapter {
  const o = resolveOptions(opts, "chemrxiv", "https://chemrxiv.org/engage/chemrxiv/public-api/v1");

  const toDoc = (item: Record<string, unknown>, query: string): SourceDocument | null => {
    const id = str(item.id);
    const doi = str(item.doi);
    if (!id && !doi) return null;
    const lic = obj(item.license);
    const licName = str(lic?.name);
    const licUrl = str(lic?.url);
    const licence =
      licUrl && /creativecommons\.org/.test(licUrl)
        ? normaliseLicence(licUrl, "chemrxiv item license.url")
        : licName
          ? normaliseLicence(licName, "chemrxiv item license.name")
          : unknownLicence("chemrxiv item has no license");
    return buildDocument({
      adapter: o.id,
      url: doi ? `https://doi.org/${doi}` : `https://chemrxiv.org/engage/chemrxiv/article-details/${id}`,
      title: stripMarkup(str(item.title) ?? ""),
      authors: arr(item.authors)
        .map((a) => {
          const x = obj(a);
          return str(x?.name) ?? ([str(x?.firstName), str(x?.lastName)].filter(Boolean).join(" ") || null);
        })
        .filter((a): a is string => a !== null),
      published: isoDate(item.publishedDate ?? item.statusDate ?? item.submittedDate),
      licence,
      paragraphs: textToParagraphs(str(item.abstract)),
      query,
      passagesPerDocument: o.passagesPerDocument,
    });
  };

  return {
    id: o.id,
    description: "ChemRxiv chemistry preprints (Open Engage public API): abstracts; licence per item",
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const limit = searchLimit(searchOpts.limit, o.limit, 50);
      const doi = queryDoi(query);
      const url = doi
        ? `${o.baseUrl}/items/doi/${encodeURIComponent(doi)}`
        : withParams(`${o.baseUrl}/items`, { term: query, limit, skip: 0, sort: opts.sort });
      const { data, response } = await o.http.getJson({
        adapter: o.id,
        url,
        minIntervalMs: CHEMRXIV_MIN_INTERVAL_MS,
        ...(doi ? { allowStatus: [404] } : {}),
        ...(searchOpts.signal ? { signal: searchOpts.signal } : {}),
      });
      if (response.status === 404) return [];
      const root = obj(data);
      if (!root) unexpectedShape(o.id, response, "not a JSON object");
      const items = doi
        ? [root]
        : Array.isArray(root.itemHits)
          ? root.itemHits.map((h) => obj(obj(h)?.item))
          : unexpectedShape(o.id, response, "no itemHits array");
      return items
        .filter((i): i is Record<string, unknown> => i !== null)
        .map((i) => toDoc(i, query))
        .filter((d): d is SourceDocument => d !== null)
        .slice(0, limit);
    },
  };
}
