import type { SourceDocument } from "../../core/types.js";
import type { HttpResponse } from "../http.js";
import { normaliseLicence, unknownLicence } from "../licence.js";
import type { SearchOptions, SourceAdapter } from "../types.js";
import {
  apiError,
  arr,
  buildDocument,
  isoDate,
  keywords,
  markupToParagraphs,
  obj,
  queryDoi,
  type RemoteSourceOptions,
  resolveOptions,
  searchLimit,
  str,
  stripMarkup,
  unexpectedShape,
  withParams,
  xmlText,
} from "./common.js";
import { isExplicitQuery, pubmedTerm } from "./pubmed.js";

/** Europe PMC publishes no hard limit; a modest gap keeps research runs polite. */
export const EUROPEPMC_MIN_INTERVAL_MS = 200;

/** Options of {@link europePmcSource}. */
export interface EuropePmcOptions extends RemoteSourceOptions {
  /** Only open-access articles (`OPEN_ACCESS:y`). */
  openAccessOnly?: boolean;
}

/** One Europe PMC search result, from the JSON or the XML format (exported for tests). */
export interface EuropePmcRecord {
  id: string;
  source: string;
  title: string | null;
  doi: string | null;
  authors: string[];
  abstract: string | null;
  licence: string | null;
  isOpenAccess: string | null;
  published: string | null;
}

const XML_OPTIONS = {
  stopNodes: ["*.abstractText", "*.title"],
  isArray: (name: string) => ["result", "author"].includes(name),
};

/** Reads the `resultList.result[]` of a Europe PMC search answer in either format. */
export function parseEuropePmcResults(
  adapter: string,
  format: "json" | "xml",
  data: unknown,
  response: HttpResponse,
): EuropePmcRecord[] {
  const root = format === "xml" ? obj(obj(data)?.responseWrapper) : obj(data);
  if (!root)
    unexpectedShape(adapter, response, format === "xml" ? "no responseWrapper" : "not a JSON object");
  const errMsg = str(root.errMsg) ?? xmlText(root.errMsg) ?? str(obj(root.error)?.message);
  if (errMsg) apiError(adapter, response, errMsg);
  const list = obj(root.resultList);
  if (!list) {
    if (Number(xmlText(root.hitCount) ?? root.hitCount) === 0) return [];
    unexpectedShape(adapter, response, "no resultList");
  }
  const text = (v: unknown) => (format === "xml" ? xmlText(v) : str(v));
  const out: EuropePmcRecord[] = [];
  for (const r of arr(list.result).map(obj)) {
    if (!r) continue;
    const id = text(r.id);
    if (!id) continue;
    const authorList = arr(obj(r.authorList)?.author)
      .map((a) => text(obj(a)?.fullName))
      .filter((a): a is string => a !== null);
    const authorString = text(r.authorString);
    out.push({
      id,
      source: text(r.source) ?? "MED",
      title: text(r.title),
      doi: text(r.doi),
      authors: authorList.length
        ? authorList
        : (authorString ?? "")
            .replace(/\.$/, "")
            .split(/,\s*/)
            .map((a) => a.trim())
            .filter(Boolean),
      abstract: text(r.abstractText),
      licence: text(r.license),
      isOpenAccess: text(r.isOpenAccess),
      published: isoDate(text(r.firstPublicationDate) ?? text(r.pubYear)),
    });
  }
  return out;
}

/**
 * Europe PMC REST search (`resultType=core`): abstracts as passages; licence from the
 * record's `license` field (e.g. "cc by", "cc by-nc-nd"), unknown when absent.
 */
export function europePmcSource(opts: EuropePmcOptions = {}): SourceAdapter {
  const o = resolveOptions(opts, "europePmc", "https://www.ebi.ac.uk/europepmc/webservices/rest");

  async function run(
    q: string,
    limit: number,
    query: string,
    signal?: AbortSignal,
  ): Promise<{ docs: SourceDocument[]; hits: number }> {
    const { format, data, response } = await o.http.getJsonOrXml(
      {
        adapter: o.id,
        url: withParams(`${o.baseUrl}/search`, {
          query: opts.openAccessOnly ? `(${q}) AND OPEN_ACCESS:y` : q,
          resultType: "core",
          format: "json",
          pageSize: limit,
        }),
        minIntervalMs: EUROPEPMC_MIN_INTERVAL_MS,
        ...(signal ? { signal } : {}),
      },
      XML_OPTIONS,
    );
    const records = parseEuropePmcResults(o.id, format, data, response);
    const docs: SourceDocument[] = [];
    for (const r of records.slice(0, limit)) {
      const doc = buildDocument({
        adapter: o.id,
        url: `https://europepmc.org/article/${encodeURIComponent(r.source)}/${encodeURIComponent(r.id)}`,
        title: stripMarkup(r.title) || r.id,
        authors: r.authors,
        published: r.published,
        licence: r.licence
          ? normaliseLicence(r.licence, "europepmc license")
          : unknownLicence(`europepmc: no license field (isOpenAccess: ${r.isOpenAccess ?? "not given"})`),
        paragraphs: markupToParagraphs(r.abstract),
        query,
        passagesPerDocument: o.passagesPerDocument,
      });
      if (doc) docs.push(doc);
    }
    return { docs, hits: records.length };
  }

  return {
    id: o.id,
    description:
      "Europe PMC (REST search, core results): abstracts; licence from each record's license field",
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const limit = searchLimit(searchOpts.limit, o.limit, 100);
      const doi = queryDoi(query);
      const term = doi ? `DOI:"${doi}"` : pubmedTerm(query);
      const first = await run(term, limit, query, searchOpts.signal);
      if (first.hits > 0 || doi || keywords(query, 4).length < 2 || isExplicitQuery(query)) return first.docs;
      return (await run(keywords(query, 4).join(" OR "), limit, query, searchOpts.signal)).docs;
    },
  };
}
