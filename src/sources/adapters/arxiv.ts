import { describeError, isSynthforgeError } from "../../core/errors.js";
import type { Licence, SourceDocument } from "../../core/types.js";
import { sourceFailed } from "../http.js";
import { normaliseLicence, unknownLicence } from "../licence.js";
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
  textToParagraphs,
  unexpectedShape,
  withParams,
  xmlText,
} from "./common.js";

/** arXiv asks API users for at most one request every three seconds. */
export const ARXIV_MIN_INTERVAL_MS = 3000;

/** Options of {@link arxivSource}. */
export interface ArxivOptions extends RemoteSourceOptions {
  /**
   * Read each paper's licence from arXiv's OAI-PMH metadata (`metadataPrefix=arXiv`),
   * since the Atom feed does not carry it: one more request per paper, also three seconds
   * apart. Without it every paper's licence is unknown. Default true.
   */
  licenceLookup?: boolean;
  /** OAI-PMH endpoint. Default `<baseUrl>/oai2`. */
  oaiUrl?: string;
  /** Restricts the search to a category (`math`, `cs.CL`, `physics.chem-ph`). */
  category?: string;
  /** Sort order. Default `relevance`. */
  sortBy?: "relevance" | "lastUpdatedDate" | "submittedDate";
}

const FIELD_QUERY = /\b(?:ti|au|abs|co|jr|cat|rn|id|all):/;
const ARXIV_ID = /^(?:arxiv:)?((?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?\/\d{7})(?:v\d+)?)$/i;

/** The `search_query` for free text: content words OR-ed over all fields, ranked by relevance. */
export function arxivQuery(query: string, category?: string): string {
  const q = query.trim();
  let base: string;
  if (FIELD_QUERY.test(q)) base = q;
  else {
    const words = keywords(q, 6);
    base = words.length
      ? words.map((w) => `all:${/[^\p{L}\p{N}]/u.test(w) ? `"${w}"` : w}`).join(" OR ")
      : `all:${q}`;
  }
  return category ? `(${base}) AND cat:${category}` : base;
}

const XML_OPTIONS = {
  removeNSPrefix: true,
  isArray: (name: string) => ["entry", "author", "link", "category"].includes(name),
};

/**
 * arXiv (Atom API, `export.arxiv.org/api/query`). Abstracts become paragraph passages.
 * Licences come from OAI-PMH metadata per paper (`licenceLookup`); arXiv's default
 * non-exclusive distribution licence is not permissive, and a paper whose licence
 * cannot be read stays unknown.
 */
export function arxivSource(opts: ArxivOptions = {}): SourceAdapter {
  const o = resolveOptions(opts, "arxiv", "https://export.arxiv.org");
  const lookup = opts.licenceLookup ?? true;
  const oaiUrl = opts.oaiUrl ?? `${o.baseUrl}/oai2`;

  async function licenceOf(arxivId: string, signal?: AbortSignal): Promise<Licence> {
    if (!lookup) return unknownLicence("arXiv Atom feed states no licence (OAI-PMH lookup disabled)");
    const bare = arxivId.replace(/v\d+$/, "");
    try {
      const { data, response } = await o.http.getXml(
        {
          adapter: o.id,
          url: withParams(oaiUrl, {
            verb: "GetRecord",
            identifier: `oai:arXiv.org:${bare}`,
            metadataPrefix: "arXiv",
          }),
          minIntervalMs: ARXIV_MIN_INTERVAL_MS,
          ...(signal ? { signal } : {}),
          cacheTtlMs: 7 * 24 * 3600 * 1000,
        },
        { removeNSPrefix: true },
      );
      const root = obj(obj(data)?.["OAI-PMH"]);
      if (!root) unexpectedShape(o.id, response, "no OAI-PMH element");
      const err = obj(root.error) ?? (str(root.error) ? { "#text": root.error } : null);
      if (err) return unknownLicence(`arXiv OAI-PMH: ${str(err["@_code"]) ?? "error"} for ${bare}`);
      const meta = obj(obj(obj(obj(root.GetRecord)?.record)?.metadata)?.arXiv);
      const lic = xmlText(meta?.license);
      if (!meta) return unknownLicence(`arXiv OAI-PMH: no arXiv metadata for ${bare}`);
      if (!lic)
        return unknownLicence(
          `arXiv OAI-PMH arXiv.license absent for ${bare} (arXiv's default licence is not permissive)`,
        );
      return normaliseLicence(lic, "arXiv OAI-PMH arXiv.license");
    } catch (e) {
      if ((e as { code?: string }).code === "ABORTED") throw e;
      return unknownLicence(`arXiv OAI-PMH licence lookup failed: ${describeError(e)}`);
    }
  }

  return {
    id: o.id,
    description: "arXiv preprints (Atom API): abstracts; licence per paper from OAI-PMH metadata",
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const limit = searchLimit(searchOpts.limit, o.limit, 50);
      const idMatch = ARXIV_ID.exec(query.trim());
      const url = idMatch
        ? withParams(`${o.baseUrl}/api/query`, { id_list: idMatch[1], max_results: limit })
        : withParams(`${o.baseUrl}/api/query`, {
            search_query: arxivQuery(query, opts.category),
            start: 0,
            max_results: limit,
            sortBy: opts.sortBy ?? "relevance",
            sortOrder: "descending",
          });
      let parsed: Awaited<ReturnType<typeof o.http.getXml>>;
      try {
        // arXiv answers a bad query with HTTP 400 and an Atom feed whose one entry is the error.
        parsed = await o.http.getXml(
          {
            adapter: o.id,
            url,
            minIntervalMs: ARXIV_MIN_INTERVAL_MS,
            allowStatus: [400],
            ...(searchOpts.signal ? { signal: searchOpts.signal } : {}),
          },
          XML_OPTIONS,
        );
      } catch (e) {
        // a 400 whose body is not a feed: still the service rejecting the query
        const d = (e as { details?: { status?: number; reason?: string } }).details;
        if (isSynthforgeError(e, "SOURCE_FAILED") && d?.status === 400 && d.reason !== "http-status")
          throw sourceFailed(
            { adapter: o.id, reason: "http-status", status: 400, url },
            `HTTP 400 from ${new URL(url).host}: arXiv rejected the query and sent no Atom error feed (${e.message}). Check the query syntax or the arXiv id.`,
            { cause: e },
          );
        throw e;
      }
      const { data, response } = parsed;
      const feed = obj(obj(data)?.feed);
      const entries = arr(feed?.entry)
        .map(obj)
        .filter((e): e is Record<string, unknown> => e !== null);
      // arXiv reports a bad query as a feed whose one entry is the error (id .../api/errors#...).
      const error = entries.find((e) => /\/api\/errors/.test(xmlText(e.id) ?? ""));
      if (response.status === 400) {
        // The feed's title says nothing ("arXiv Search Results"); the entry's summary says what is wrong.
        const why = xmlText(error?.summary) ?? "no error entry in the answer";
        throw sourceFailed(
          { adapter: o.id, reason: error ? "api-error" : "http-status", status: 400, url: response.url },
          `HTTP 400 from ${new URL(response.url).host}: arXiv rejected the query: ${why}. Check the query syntax or the arXiv id.`,
        );
      }
      if (error && entries.length === 1)
        apiError(o.id, response, xmlText(error.summary) ?? "arXiv API error");
      if (!feed) unexpectedShape(o.id, response, "no Atom <feed> element");
      const docs: SourceDocument[] = [];
      for (const e of entries.slice(0, limit)) {
        const idUrl = xmlText(e.id);
        const arxivId = idUrl ? /arxiv\.org\/abs\/(.+)$/i.exec(idUrl)?.[1] : null;
        const summary = xmlText(e.summary);
        if (!arxivId || !summary) continue;
        const rights = xmlText(e.rights) ?? xmlText(e.license);
        const licence = rights
          ? normaliseLicence(rights, "arXiv Atom entry rights")
          : await licenceOf(arxivId, searchOpts.signal);
        const alternate = arr(e.link)
          .map(obj)
          .find((l) => l && str(l["@_rel"]) === "alternate");
        const doc = buildDocument({
          adapter: o.id,
          url: str(alternate?.["@_href"]) ?? `https://arxiv.org/abs/${arxivId}`,
          title: xmlText(e.title) ?? arxivId,
          authors: arr(e.author)
            .map((a) => xmlText(obj(a)?.name))
            .filter((a): a is string => a !== null),
          published: isoDate(xmlText(e.published) ?? xmlText(e.updated)),
          licence,
          paragraphs: textToParagraphs(summary),
          query,
          passagesPerDocument: o.passagesPerDocument,
        });
        if (doc) docs.push(doc);
      }
      return docs;
    },
  };
}
