import type { Licence, SourceDocument } from "../../core/types.js";
import { normaliseLicence, unknownLicence } from "../licence.js";
import type { SearchOptions, SourceAdapter } from "../types.js";
import {
  apiError,
  apiKeyFrom,
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
  withParams,
} from "./common.js";

/** Semantic Scholar's unauthenticated pool allows about one request per second (keys: 1 rps by default too). */
export const SEMANTIC_SCHOLAR_MIN_INTERVAL_MS = 1000;

/** Options of {@link semanticScholarSource}. */
export interface SemanticScholarOptions extends RemoteSourceOptions {
  /** API key (`x-api-key`). Default `SEMANTIC_SCHOLAR_API_KEY` from the environment. */
  apiKey?: string;
  /** `relevance` (default) `/paper/search`, `bulk` `/paper/search/bulk`, or `match` (best title match). */
  endpoint?: "relevance" | "bulk" | "match";
  /** Only papers with an open-access PDF. */
  openAccessOnly?: boolean;
  /** Year or range filter (`2020`, `2019-2023`). */
  year?: string;
  /** Fields-of-study filter (`Chemistry,Medicine`). */
  fieldsOfStudy?: string;
}

const FIELDS =
  "paperId,title,abstract,authors,year,publicationDate,url,externalIds,isOpenAccess,openAccessPdf,venue,journal";

/** Semantic Scholar licence codes (`CCBY`, `CCBYNCND`, ...) as licence names. */
export function semanticScholarLicenceName(code: string): string {
  const c = code
    .trim()
    .toUpperCase()
    .replace(/[\s_-]+/g, "");
  if (c === "CC0") return "CC0-1.0";
  if (c === "PUBLICDOMAIN") return "public-domain";
  const m = /^CCBY((?:NC|ND|SA)*)$/.exec(c);
  if (!m) return code;
  const parts = (m[1] ?? "").match(/NC|ND|SA/g) ?? [];
  return ["CC BY", ...parts].join("-");
}

function licenceOf(p: Record<string, unknown>): Licence {
  const pdf = obj(p.openAccessPdf);
  const code = str(pdf?.license);
  if (code)
    return normaliseLicence(semanticScholarLicenceName(code), "semanticscholar openAccessPdf.license");
  const oa = p.isOpenAccess === true ? "true" : p.isOpenAccess === false ? "false" : "not given";
  return unknownLicence(
    `semanticscholar openAccessPdf.license absent (isOpenAccess: ${oa}); open access alone does not grant reuse`,
  );
}

/**
 * Semantic Scholar Graph API: paper search (relevance, bulk or title match) and DOI
 * lookup. Abstracts are the passages; the licence is `openAccessPdf.license` when given,
 * otherwise unknown (`isOpenAccess` alone grants no reuse rights).
 */
export function semanticScholarSource(opts: SemanticScholarOptions = {}): SourceAdapter {
  const o = resolveOptions(opts, "semanticScholar", "https://api.semanticscholar.org");
  const key = apiKeyFrom(opts.apiKey, "SEMANTIC_SCHOLAR_API_KEY");
  const endpoint = opts.endpoint ?? "relevance";
  const req = (url: string, signal?: AbortSignal, allowStatus?: number[]) => ({
    adapter: o.id,
    url,
    minIntervalMs: SEMANTIC_SCHOLAR_MIN_INTERVAL_MS,
    ...(key ? { headers: { "x-api-key": key }, secrets: [key] } : {}),
    ...(signal ? { signal } : {}),
    ...(allowStatus ? { allowStatus } : {}),
  });

  const toDoc = (p: Record<string, unknown>, query: string): SourceDocument | null => {
    const id = str(p.paperId);
    const doi = str(obj(p.externalIds)?.DOI);
    return buildDocument({
      adapter: o.id,
      url:
        str(p.url) ??
        (id ? `https://www.semanticscholar.org/paper/${id}` : doi ? `https://doi.org/${doi}` : ""),
      title: str(p.title) ?? "",
      authors: arr(p.authors)
        .map((a) => str(obj(a)?.name))
        .filter((a): a is string => a !== null),
      published: isoDate(p.publicationDate ?? p.year),
      licence: licenceOf(p),
      paragraphs: textToParagraphs(str(p.abstract)),
      query,
      passagesPerDocument: o.passagesPerDocument,
    });
  };

  return {
    id: o.id,
    description: "Semantic Scholar Graph API papers: abstracts; licence from openAccessPdf.license",
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const limit = searchLimit(searchOpts.limit, o.limit, 100);
      const signal = searchOpts.signal;
      const doi = queryDoi(query);
      if (doi) {
        const { data, response } = await o.http.getJson(
          req(withParams(`${o.baseUrl}/graph/v1/paper/DOI:${doi}`, { fields: FIELDS }), signal, [404]),
        );
        if (response.status === 404) return [];
        const p = obj(data);
        if (!p) unexpectedShape(o.id, response, "paper is not an object");
        const doc = str(p.title) ? toDoc(p, query) : null;
        return doc ? [doc] : [];
      }
      const filters = {
        ...(opts.openAccessOnly ? { openAccessPdf: "" } : {}),
        ...(opts.year ? { year: opts.year } : {}),
        ...(opts.fieldsOfStudy ? { fieldsOfStudy: opts.fieldsOfStudy } : {}),
      };
      const path =
        endpoint === "bulk"
          ? "/graph/v1/paper/search/bulk"
          : endpoint === "match"
            ? "/graph/v1/paper/search/match"
            : "/graph/v1/paper/search";
      const url = new URL(
        withParams(`${o.baseUrl}${path}`, {
          query,
          fields: FIELDS,
          ...(endpoint === "relevance" ? { offset: 0, limit } : {}),
        }),
      );
      // `openAccessPdf` is a presence filter: an empty value must still be sent.
      for (const [k, v] of Object.entries(filters)) url.searchParams.set(k, v);
      const { data, response } = await o.http.getJson(
        req(url.href, signal, endpoint === "match" ? [404] : undefined),
      );
      if (response.status === 404) return [];
      const root = obj(data);
      if (!root) unexpectedShape(o.id, response, "not a JSON object");
      if (!Array.isArray(root.data)) {
        const err = str(root.error) ?? str(root.message);
        if (err) apiError(o.id, response, err);
        if (typeof root.total === "number" && root.total === 0) return [];
        unexpectedShape(o.id, response, "no data array");
      }
      return root.data
        .map(obj)
        .filter((p): p is Record<string, unknown> => p !== null && str(p.title) !== null)
        .map((p) => toDoc(p, query))
        .filter((d): d is SourceDocument => d !== null)
        .slice(0, limit);
    },
  };
}
