import type { SourceDocument } from "../../core/types.js";
import { normaliseLicence } from "../licence.js";
import type { SearchOptions, SourceAdapter } from "../types.js";
import {
  apiError,
  arr,
  buildDocument,
  isoDate,
  keywords,
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

/** PLOS asks for at most 10 requests a minute (and 300 an hour). */
export const PLOS_MIN_INTERVAL_MS = 6000;

/** Options of {@link plosSource}. */
export type PlosOptions = RemoteSourceOptions;

const FIELDS = "id,title_display,title,abstract,author_display,author,publication_date,journal,article_type";

/**
 * PLOS search API (Solr, `api.plos.org/search`), full articles only
 * (`fq=doc_type:full`). Abstracts are the passages. PLOS publishes its articles under
 * CC BY 4.0; the API states no per-article licence, so the evidence says so.
 */
export function plosSource(opts: PlosOptions = {}): SourceAdapter {
  const o = resolveOptions(opts, "plos", "https://api.plos.org");

  async function run(q: string, limit: number, signal?: AbortSignal): Promise<Record<string, unknown>[]> {
    const { data, response } = await o.http.getJson({
      adapter: o.id,
      url: withParams(`${o.baseUrl}/search`, {
        q,
        fl: FIELDS,
        fq: "doc_type:full",
        rows: limit,
        start: 0,
        wt: "json",
      }),
      minIntervalMs: PLOS_MIN_INTERVAL_MS,
      ...(signal ? { signal } : {}),
    });
    const root = obj(data);
    if (!root) unexpectedShape(o.id, response, "not a JSON object");
    const err = obj(root.error);
    if (err) apiError(o.id, response, str(err.msg) ?? "Solr error");
    const r = obj(root.response);
    if (!r || !Array.isArray(r.docs)) unexpectedShape(o.id, response, "no response.docs array");
    return r.docs.map(obj).filter((d): d is Record<string, unknown> => d !== null);
  }

  return {
    id: o.id,
    description:
      "PLOS articles (Solr search API): abstracts; CC-BY-4.0 (PLOS licence, not stated per article)",
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const limit = searchLimit(searchOpts.limit, o.limit, 100);
      const signal = searchOpts.signal;
      const words = keywords(query, 5);
      const explicit = /\b[a-z_]+:/.test(query);
      let docs = await run(explicit || words.length === 0 ? query : words.join(" AND "), limit, signal);
      if (docs.length === 0 && !explicit && words.length > 1)
        docs = await run(words.join(" OR "), limit, signal);
      const out: SourceDocument[] = [];
      for (const d of docs) {
        const id = str(d.id);
        if (!id) continue;
        const doc = buildDocument({
          adapter: o.id,
          url: `https://doi.org/${id}`,
          title: stripMarkup(str(d.title_display) ?? str(d.title) ?? "") || id,
          authors: arr(d.author_display ?? d.author)
            .map(str)
            .filter((a): a is string => a !== null),
          published: isoDate(d.publication_date),
          licence: normaliseLicence(
            "https://creativecommons.org/licenses/by/4.0/",
            "PLOS licence: articles are published under CC BY 4.0 (plos.org/licenses-and-copyright); not stated per article by the search API",
          ),
          paragraphs: arr(d.abstract).flatMap((a) => textToParagraphs(str(a))),
          query,
          passagesPerDocument: o.passagesPerDocument,
        });
        if (doc) out.push(doc);
        if (out.length >= limit) break;
      }
      return out;
    },
  };
}
