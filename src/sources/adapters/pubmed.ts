import { describeError } from "../../core/errors.js";
import type { Licence, SourceDocument } from "../../core/types.js";
import type { HttpResponse } from "../http.js";
import { normaliseLicence, unknownLicence } from "../licence.js";
import type { SearchOptions, SourceAdapter } from "../types.js";
import {
  apiError,
  apiKeyFrom,
  arr,
  buildDocument,
  datePartsToIso,
  keywords,
  markupToParagraphs,
  monthNumber,
  num,
  obj,
  type RemoteSourceOptions,
  resolveOptions,
  searchLimit,
  str,
  stripMarkup,
  unexpectedShape,
  withParams,
  xmlText,
} from "./common.js";

/** NCBI E-utilities allow 3 requests per second without an API key. */
export const NCBI_MIN_INTERVAL_MS = 334;
/** ... and 10 per second with one. */
export const NCBI_MIN_INTERVAL_WITH_KEY_MS = 100;

/** Options of {@link pubmedSource}. */
export interface PubmedOptions extends RemoteSourceOptions {
  /** NCBI API key (raises the limit to 10 requests/s). Default `NCBI_API_KEY` from the environment. */
  apiKey?: string;
  /**
   * Look up the PMC Open Access subset licence (`oa.fcgi`) of articles that have a PMC
   * id; without it every abstract's licence is unknown. Default true.
   */
  pmcLicences?: boolean;
  /** PMC OA web service. Default `https://www.ncbi.nlm.nih.gov/pmc/utils/oa/oa.fcgi`. */
  oaServiceUrl?: string;
  /** `tool` parameter NCBI asks for. Default `synthforge`. */
  tool?: string;
}

/** True for a query written in PubMed / Europe PMC syntax (field tags, boolean operators, quotes). */
export function isExplicitQuery(query: string): boolean {
  return /\[[a-z /]+\]|\b(?:AND|OR|NOT)\b|"|\b[A-Z_]+:/.test(query);
}

/** The `term` for free text: explicit PubMed syntax passes through; prose becomes its content words. */
export function pubmedTerm(query: string, words = 4): string {
  const q = query.trim();
  if (isExplicitQuery(q)) return q;
  const kw = keywords(q, words);
  return kw.length ? kw.join(" ") : q;
}

function pubDate(article: Record<string, unknown>): string | null {
  const issue = obj(obj(obj(article.Journal)?.JournalIssue)?.PubDate);
  const electronic = obj(arr(article.ArticleDate)[0]);
  for (const d of [issue, electronic]) {
    if (!d) continue;
    const y = xmlText(d.Year);
    if (y) {
      // Impossible parts (month 0, day 31 of April) are dropped, never emitted.
      const date = datePartsToIso(num(y), monthNumber(xmlText(d.Month)), num(xmlText(d.Day)));
      if (date) return date;
    }
    const medline = xmlText(d.MedlineDate);
    const my = medline ? /\b(\d{4})\b/.exec(medline)?.[1] : null;
    if (my) return my;
  }
  return null;
}

function authorName(a: unknown): string | null {
  const o = obj(a);
  if (!o) return null;
  const collective = xmlText(o.CollectiveName);
  if (collective) return stripMarkup(collective);
  const last = xmlText(o.LastName);
  const fore = xmlText(o.ForeName) ?? xmlText(o.Initials);
  return last ? (fore ? `${fore} ${last}` : last) : null;
}

const XML_OPTIONS = {
  // Mixed content (<sub>, <i>, <u>) inside titles and abstracts is kept raw and flattened later.
  stopNodes: ["*.ArticleTitle", "*.AbstractText", "*.VernacularTitle"],
  isArray: (name: string) =>
    ["PubmedArticle", "AbstractText", "Author", "ArticleId", "ArticleDate", "Id", "record"].includes(name),
};

/**
 * PubMed through NCBI E-utilities (esearch, then efetch of the abstracts). An abstract's
 * licence is unknown unless the article is in the PMC Open Access subset, whose licence
 * (`oa.fcgi` record `license`) is then used.
 */
export function pubmedSource(opts: PubmedOptions = {}): SourceAdapter {
  const o = resolveOptions(opts, "pubmed", "https://eutils.ncbi.nlm.nih.gov/entrez/eutils");
  const key = apiKeyFrom(opts.apiKey, "NCBI_API_KEY");
  const interval = key ? NCBI_MIN_INTERVAL_WITH_KEY_MS : NCBI_MIN_INTERVAL_MS;
  const oaUrl =
    opts.oaServiceUrl ??
    (opts.baseUrl
      ? `${o.baseUrl}/pmc/utils/oa/oa.fcgi`
      : "https://www.ncbi.nlm.nih.gov/pmc/utils/oa/oa.fcgi");
  const lookup = opts.pmcLicences ?? true;
  const common = { tool: opts.tool ?? "synthforge", email: o.http.contact, api_key: key };
  const req = (url: string, signal?: AbortSignal) => ({
    adapter: o.id,
    url,
    minIntervalMs: interval,
    bucket: "eutils",
    ...(key ? { secrets: [key] } : {}),
    ...(signal ? { signal } : {}),
  });

  async function esearch(term: string, limit: number, signal?: AbortSignal): Promise<string[]> {
    const { format, data, response } = await o.http.getJsonOrXml(
      req(
        withParams(`${o.baseUrl}/esearch.fcgi`, {
          db: "pubmed",
          term,
          retmax: limit,
          retmode: "json",
          sort: "relevance",
          ...common,
        }),
        signal,
      ),
      XML_OPTIONS,
    );
    if (format === "json") {
      const root = obj(data);
      const r = obj(root?.esearchresult);
      if (!r) {
        const err = str(root?.error) ?? str(root?.ERROR);
        if (err) apiError(o.id, response, err);
        unexpectedShape(o.id, response, "no esearchresult");
      }
      const err = str(r.ERROR) ?? str(r.error);
      if (err) apiError(o.id, response, err);
      return arr(r.idlist)
        .map(str)
        .filter((x): x is string => x !== null && /^\d+$/.test(x));
    }
    const r = obj(obj(data)?.eSearchResult);
    if (!r) unexpectedShape(o.id, response, "no eSearchResult");
    const err = xmlText(r.ERROR);
    if (err) apiError(o.id, response, err);
    return arr(obj(r.IdList)?.Id)
      .map(xmlText)
      .filter((x): x is string => x !== null && /^\d+$/.test(x));
  }

  async function pmcLicence(pmcid: string, signal?: AbortSignal): Promise<Licence> {
    try {
      const { data, response } = await o.http.getXml(
        {
          adapter: o.id,
          url: withParams(oaUrl, { id: pmcid }),
          minIntervalMs: interval,
          bucket: "oa",
          ...(signal ? { signal } : {}),
          cacheTtlMs: 7 * 24 * 3600 * 1000,
        },
        XML_OPTIONS,
      );
      const oa = obj(obj(data)?.OA);
      if (!oa) unexpectedShape(o.id, response, "no <OA> element");
      const err = obj(oa.error) ?? (str(oa.error) ? { "#text": oa.error } : null);
      if (err)
        return unknownLicence(
          `PMC OA service: ${str(err["@_code"]) ?? "error"} for ${pmcid} (not in the open-access subset)`,
        );
      const record = arr(obj(oa.records)?.record)
        .map(obj)
        .find((r) => r !== null);
      if (!record) return unknownLicence(`PMC OA service returned no record for ${pmcid}`);
      const lic = str(record["@_license"]);
      if (!lic) return unknownLicence(`PMC OA record for ${pmcid} has no license attribute`);
      return normaliseLicence(lic, `PMC OA subset record license (${pmcid})`);
    } catch (e) {
      if ((e as { code?: string }).code === "ABORTED") throw e;
      return unknownLicence(`PMC OA licence lookup failed for ${pmcid}: ${describeError(e)}`);
    }
  }

  async function efetch(ids: string[], query: string, signal?: AbortSignal): Promise<SourceDocument[]> {
    const { data, response } = await o.http.getXml(
      req(
        withParams(`${o.baseUrl}/efetch.fcgi`, {
          db: "pubmed",
          id: ids.join(","),
          retmode: "xml",
          rettype: "abstract",
          ...common,
        }),
        signal,
      ),
      XML_OPTIONS,
    );
    return parseArticles(data, response, query, signal);
  }

  async function parseArticles(
    data: unknown,
    response: HttpResponse,
    query: string,
    signal?: AbortSignal,
  ): Promise<SourceDocument[]> {
    const set = obj(obj(data)?.PubmedArticleSet);
    if (!set) {
      const err = xmlText(obj(obj(data)?.eFetchResult)?.ERROR) ?? xmlText(obj(data)?.ERROR);
      if (err) apiError(o.id, response, err);
      unexpectedShape(o.id, response, "no PubmedArticleSet");
    }
    const docs: SourceDocument[] = [];
    for (const pa of arr(set.PubmedArticle).map(obj)) {
      const citation = obj(pa?.MedlineCitation);
      const article = obj(citation?.Article);
      if (!citation || !article) continue;
      const pmid = xmlText(citation.PMID);
      const abstract = obj(article.Abstract);
      const paragraphs = arr(abstract?.AbstractText).flatMap((t) => markupToParagraphs(xmlText(t) ?? ""));
      if (!pmid || paragraphs.length === 0) continue;
      const ids = arr(obj(obj(pa?.PubmedData)?.ArticleIdList)?.ArticleId).map(obj);
      const idOf = (type: string) => xmlText(ids.find((i) => str(i?.["@_IdType"]) === type));
      const pmcid = idOf("pmc");
      const copyright = xmlText(abstract?.CopyrightInformation);
      const licence =
        pmcid && lookup
          ? await pmcLicence(pmcid, signal)
          : unknownLicence(
              `PubMed abstract: no licence stated${pmcid ? " (PMC lookup disabled)" : " and not in PMC"}${copyright ? ` (CopyrightInformation: "${copyright.slice(0, 200)}")` : ""}`,
            );
      const doc = buildDocument({
        adapter: o.id,
        url: `https://pubmed.ncbi.nlm.nih.gov/${pmid}/`,
        title: stripMarkup(xmlText(article.ArticleTitle) ?? "") || `PMID ${pmid}`,
        authors: arr(obj(article.AuthorList)?.Author)
          .map(authorName)
          .filter((a): a is string => a !== null),
        published: pubDate(article),
        licence,
        paragraphs,
        query,
        passagesPerDocument: o.passagesPerDocument,
      });
      if (doc) docs.push(doc);
    }
    return docs;
  }

  return {
    id: o.id,
    description:
      "PubMed abstracts via NCBI E-utilities; licence from the PMC Open Access subset when the article is in it",
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const limit = searchLimit(searchOpts.limit, o.limit, 100);
      const signal = searchOpts.signal;
      const term = /^\d{1,9}$/.test(query.trim()) ? `${query.trim()}[uid]` : pubmedTerm(query);
      let ids = await esearch(term, limit, signal);
      if (ids.length === 0 && !isExplicitQuery(query) && keywords(query, 4).length > 1) {
        // Content words ANDed found nothing: widen to any of them (Best Match ranks the hits).
        ids = await esearch(keywords(query, 4).join(" OR "), limit, signal);
      }
      if (ids.length === 0) return [];
      return efetch(ids.slice(0, limit), query, signal);
    },
  };
}
