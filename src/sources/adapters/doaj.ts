import type { Licence, SourceDocument } from "../../core/types.js";
import { normaliseLicence, unknownLicence } from "../licence.js";
import type { SearchOptions, SourceAdapter } from "../types.js";
import {
  apiError,
  arr,
  buildDocument,
  datePartsToIso,
  isoDate,
  keywords,
  monthNumber,
  num,
  obj,
  type RemoteSourceOptions,
  resolveOptions,
  searchLimit,
  str,
  stripMarkup,
  textToParagraphs,
  unexpectedShape,
  withParams,
} from "./common.js";

/** DOAJ rate-limits its API to about two requests a second. */
export const DOAJ_MIN_INTERVAL_MS = 500;

/** Options of {@link doajSource}. */
export interface DoajOptions extends RemoteSourceOptions {
  /** Path of the article search below the base URL. Default `/api/search/articles` (the current API). */
  searchPath?: string;
}

/** The licence of a DOAJ article: its own `bibjson.license[]`, else its journal's. */
export function doajLicence(bibjson: Record<string, unknown>): Licence {
  const sources: Array<[string, unknown]> = [
    ["bibjson.license", bibjson.license],
    ["bibjson.journal.license", obj(bibjson.journal)?.license],
  ];
  for (const [where, list] of sources) {
    const entries = arr(list).map(obj);
    for (const [i, l] of entries.entries()) {
      if (!l) continue;
      const type = str(l.type) ?? str(l.title);
      if (type) {
        const lic = normaliseLicence(type, `doaj ${where}[${i}].type`);
        if (lic.spdx !== "unknown") return lic;
      }
      const url = str(l.url);
      if (url && /creativecommons\.org/.test(url)) return normaliseLicence(url, `doaj ${where}[${i}].url`);
      if (type) return normaliseLicence(type, `doaj ${where}[${i}].type`);
    }
  }
  return unknownLicence("doaj record states no licence (no bibjson.license or journal.license)");
}

/**
 * DOAJ (Directory of Open Access Journals) article search. Abstracts are the passages;
 * the licence is the article's, else its journal's DOAJ licence (e.g. "CC BY").
 */
export function doajSource(opts: DoajOptions = {}): SourceAdapter {
  const o = resolveOptions(opts, "doaj", "https://doaj.org");
  const path = (opts.searchPath ?? "/api/search/articles").replace(/\/+$/, "");

  return {
    id: o.id,
    description: "DOAJ open-access journal articles: abstracts; licence from the article or its journal",
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const limit = searchLimit(searchOpts.limit, o.limit, 100);
      const q = /\b[a-z_.]+:/.test(query) ? query : keywords(query, 6).join(" ") || query;
      const { data, response } = await o.http.getJson({
        adapter: o.id,
        url: withParams(`${o.baseUrl}${path}/${encodeURIComponent(q)}`, { page: 1, pageSize: limit }),
        minIntervalMs: DOAJ_MIN_INTERVAL_MS,
        ...(searchOpts.signal ? { signal: searchOpts.signal } : {}),
      });
      const root = obj(data);
      if (!root) unexpectedShape(o.id, response, "not a JSON object");
      const err = str(root.error);
      if (err) apiError(o.id, response, err);
      // a single article (GET /articles/{id}) or a search page
      const records = Array.isArray(root.results)
        ? root.results.map(obj)
        : obj(root.bibjson)
          ? [root]
          : unexpectedShape(o.id, response, "no results array");
      const docs: SourceDocument[] = [];
      for (const r of records) {
        const b = obj(r?.bibjson);
        if (!r || !b) continue;
        const doi = arr(b.identifier)
          .map(obj)
          .find((i) => str(i?.type)?.toLowerCase() === "doi");
        const fulltext = arr(b.link)
          .map(obj)
          .find((l) => str(l?.type) === "fulltext");
        const id = str(r.id);
        const url =
          str(fulltext?.url) ??
          (str(doi?.id) ? `https://doi.org/${str(doi?.id)}` : id ? `https://doaj.org/article/${id}` : null);
        if (!url) continue;
        const year = str(b.year);
        const month = str(b.month);
        const doc = buildDocument({
          adapter: o.id,
          url,
          title: stripMarkup(str(b.title) ?? ""),
          authors: arr(b.author)
            .map((a) => str(obj(a)?.name))
            .filter((a): a is string => a !== null),
          // `month: "0"` (month not known) and other impossible parts are dropped: "2020", never "2020-00".
          published: year ? (datePartsToIso(num(year), monthNumber(month)) ?? isoDate(year)) : null,
          licence: doajLicence(b),
          paragraphs: textToParagraphs(str(b.abstract)),
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
