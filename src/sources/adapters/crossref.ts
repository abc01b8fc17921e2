import type { Licence, SourceDocument } from "../../core/types.js";
import { normaliseLicence, unknownLicence } from "../licence.js";
import type { SearchOptions, SourceAdapter } from "../types.js";
import {
  arr,
  buildDocument,
  isoDate,
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
} from "./common.js";

/** Crossref's polite pool (requests with a `mailto`) allows 10 requests/s; the public pool 5. */
export const CROSSREF_MIN_INTERVAL_MS = 100;
/** Without a contact address (public pool). */
export const CROSSREF_PUBLIC_MIN_INTERVAL_MS = 200;

/** Options of {@link crossrefSource}. */
export interface CrossrefOptions extends RemoteSourceOptions {
  /** Only works that have an abstract (`filter=has-abstract:true`); others carry no text. Default true. */
  requireAbstract?: boolean;
}

const CONTENT_VERSION_ORDER = ["vor", "unspecified", "am", "tdm"];

/** The licence of a Crossref work: its `license[]` entry for the version of record first. */
export function crossrefLicence(work: Record<string, unknown>): Licence {
  const entries = arr(work.license)
    .map((l, i) => ({ l: obj(l), i }))
    .filter((e): e is { l: Record<string, unknown>; i: number } => e.l !== null && str(e.l.URL) !== null);
  if (entries.length === 0) return unknownLicence("crossref work has no license[]");
  const rank = (e: { l: Record<string, unknown> }) => {
    const v = CONTENT_VERSION_ORDER.indexOf(str(e.l["content-version"]) ?? "unspecified");
    return v < 0 ? CONTENT_VERSION_ORDER.length : v;
  };
  const best = [...entries].sort((a, b) => rank(a) - rank(b) || a.i - b.i)[0]!;
  return normaliseLicence(
    str(best.l.URL),
    `crossref license[${best.i}].URL (content-version ${str(best.l["content-version"]) ?? "unspecified"})`,
  );
}

function authorName(a: unknown): string | null {
  const o = obj(a);
  if (!o) return null;
  const name = str(o.name);
  if (name) return name;
  const family = str(o.family);
  const given = str(o.given);
  return family ? (given ? `${given} ${family}` : family) : given;
}

/**
 * Crossref REST API works search (`/works?query=`) and DOI lookup (`/works/{doi}`), in
 * the polite pool when a contact address is configured. Abstracts (JATS) become
 * passages; the licence comes from `license[]` (version of record first).
 */
export function crossrefSource(opts: CrossrefOptions = {}): SourceAdapter {
  const o = resolveOptions(opts, "crossref", "https://api.crossref.org");
  const mailto = o.http.contact;
  const interval = mailto ? CROSSREF_MIN_INTERVAL_MS : CROSSREF_PUBLIC_MIN_INTERVAL_MS;

  const toDoc = (w: Record<string, unknown>, query: string): SourceDocument | null => {
    const doi = str(w.DOI);
    const title = stripMarkup(str(arr(w.title)[0]) ?? "");
    if (!doi || !title) return null;
    return buildDocument({
      adapter: o.id,
      url: str(w.URL) ?? `https://doi.org/${doi}`,
      title,
      authors: arr(w.author)
        .map(authorName)
        .filter((a): a is string => a !== null),
      published:
        isoDate(w.issued) ??
        isoDate(w.published) ??
        isoDate(w["published-online"]) ??
        isoDate(w["published-print"]) ??
        isoDate(w.created),
      licence: crossrefLicence(w),
      paragraphs: markupToParagraphs(str(w.abstract)),
      query,
      passagesPerDocument: o.passagesPerDocument,
    });
  };

  return {
    id: o.id,
    description:
      "Crossref works (REST API): JATS abstracts; licence from license[] (version of record first)",
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const limit = searchLimit(searchOpts.limit, o.limit, 100);
      const doi = queryDoi(query);
      const url = doi
        ? withParams(`${o.baseUrl}/works/${encodeURIComponent(doi)}`, { mailto })
        : withParams(`${o.baseUrl}/works`, {
            query,
            rows: limit,
            filter: opts.requireAbstract === false ? undefined : "has-abstract:true",
            select:
              "DOI,title,abstract,author,issued,published,published-online,published-print,created,URL,license,type",
            mailto,
          });
      const { data, response } = await o.http.getJson({
        adapter: o.id,
        url,
        minIntervalMs: interval,
        ...(doi ? { allowStatus: [404] } : {}),
        ...(searchOpts.signal ? { signal: searchOpts.signal } : {}),
      });
      if (response.status === 404) return [];
      const root = obj(data);
      const message = obj(root?.message);
      if (!root || !message) unexpectedShape(o.id, response, "no message object");
      const type = str(root["message-type"]);
      const works =
        type === "work" || (!type && !Array.isArray(message.items)) ? [message] : arr(message.items).map(obj);
      if (type && type !== "work" && type !== "work-list")
        unexpectedShape(o.id, response, `message-type ${type}, expected work or work-list`);
      return works
        .filter((w): w is Record<string, unknown> => w !== null)
        .map((w) => toDoc(w, query))
        .filter((d): d is SourceDocument => d !== null)
        .slice(0, limit);
    },
  };
}
