import type { Licence, SourceDocument } from "../../core/types.js";
import { sourceFailed } from "../http.js";
import { normaliseLicence, unknownLicence } from "../licence.js";
import type { SearchOptions, SourceAdapter } from "../types.js";
import {
  apiKeyFrom,
  arr,
  buildDocument,
  isoDate,
  keywords,
  markdownToParagraphs,
  obj,
  type RemoteSourceOptions,
  resolveOptions,
  searchLimit,
  settleEach,
  str,
  textToParagraphs,
  unexpectedShape,
  withParams,
} from "./common.js";

/** GitHub search: 10 requests/minute unauthenticated, 30 with a token. */
export const GITHUB_SEARCH_MIN_INTERVAL_MS = 6000;
/** ... with a token. */
export const GITHUB_SEARCH_MIN_INTERVAL_WITH_TOKEN_MS = 2000;
/** GitHub core API: 60 requests/hour unauthenticated, 5000 with a token. */
export const GITHUB_CORE_MIN_INTERVAL_MS = 60_000;
/** ... with a token. */
export const GITHUB_CORE_MIN_INTERVAL_WITH_TOKEN_MS = 720;

/** Options of {@link githubSource}. */
export interface GithubOptions extends RemoteSourceOptions {
  /** Token (raises limits; required for code search). Default `GITHUB_TOKEN` from the environment. */
  token?: string;
  /** Search repositories (default) or code. */
  kind?: "repositories" | "code";
  /**
   * Add each repository's README as passages (one core-API request per repository).
   * Default: on with a token, off without (the unauthenticated core API allows 60
   * requests an hour).
   */
  readme?: boolean;
}

/** The licence of a GitHub repository object's `license` (`spdx_id`, `NOASSERTION`, or null). */
export function githubLicence(license: unknown): Licence {
  const l = obj(license);
  if (!l) return unknownLicence("github repository has no detected licence (license: null)");
  const spdx = str(l.spdx_id);
  if (spdx && spdx !== "NOASSERTION") return normaliseLicence(spdx, "github license.spdx_id");
  const key = str(l.key);
  if (key && key !== "other") return normaliseLicence(key, "github license.key");
  return unknownLicence(`github license ${spdx ?? key ?? "other"}: GitHub could not identify the licence`);
}

const FIELD_QUERY = /\b[a-z]+:\S/;

/**
 * GitHub: repository search (description, and README when enabled) or code search
 * (matching fragments), licence from the repository's detected licence.
 */
export function githubSource(opts: GithubOptions = {}): SourceAdapter {
  const o = resolveOptions(opts, "github", "https://api.github.com");
  const token = apiKeyFrom(opts.token, "GITHUB_TOKEN");
  const kind = opts.kind ?? "repositories";
  const readme = opts.readme ?? Boolean(token);
  const searchInterval = token ? GITHUB_SEARCH_MIN_INTERVAL_WITH_TOKEN_MS : GITHUB_SEARCH_MIN_INTERVAL_MS;
  const coreInterval = token ? GITHUB_CORE_MIN_INTERVAL_WITH_TOKEN_MS : GITHUB_CORE_MIN_INTERVAL_MS;
  const headers = (accept: string) => ({
    accept,
    "x-github-api-version": "2022-11-28",
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  });
  const req = (
    url: string,
    bucket: "search" | "core",
    accept: string,
    signal?: AbortSignal,
    allowStatus?: number[],
  ) => ({
    adapter: o.id,
    url,
    bucket,
    minIntervalMs: bucket === "search" ? searchInterval : coreInterval,
    headers: headers(accept),
    ...(token
      ? { secrets: [token] }
      : { rateLimitHint: "Set GITHUB_TOKEN (or the token option) for a higher limit." }),
    ...(signal ? { signal } : {}),
    ...(allowStatus ? { allowStatus } : {}),
  });
  const licences = new Map<string, Licence>();

  async function searchItems(
    query: string,
    limit: number,
    accept: string,
    signal?: AbortSignal,
  ): Promise<Record<string, unknown>[]> {
    const path = kind === "code" ? "/search/code" : "/search/repositories";
    const run = async (q: string) => {
      const { data, response } = await o.http.getJson(
        req(withParams(`${o.baseUrl}${path}`, { q, per_page: limit }), "search", accept, signal),
      );
      const root = obj(data);
      if (!root || !Array.isArray(root.items)) unexpectedShape(o.id, response, "no items array");
      return root.items.map(obj).filter((i): i is Record<string, unknown> => i !== null);
    };
    if (FIELD_QUERY.test(query)) return run(query);
    const words = keywords(query, 4);
    const first = await run(words.length ? words.join(" ") : query);
    if (first.length > 0 || words.length < 2) return first;
    return run(words.join(" OR "));
  }

  async function repoLicence(fullName: string, signal?: AbortSignal): Promise<Licence> {
    const cached = licences.get(fullName);
    if (cached) return cached;
    const { data, response } = await o.http.getJson(
      req(`${o.baseUrl}/repos/${fullName}`, "core", "application/vnd.github+json", signal),
    );
    const repo = obj(data);
    if (!repo) unexpectedShape(o.id, response, "repository is not an object");
    const lic = githubLicence(repo.license);
    licences.set(fullName, lic);
    return lic;
  }

  return {
    id: o.id,
    description: `GitHub ${kind === "code" ? "code search (matching fragments)" : `repository search (description${readme ? " and README" : ""})`}; licence from the detected repository licence`,
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const limit = searchLimit(searchOpts.limit, o.limit, 100);
      const signal = searchOpts.signal;
      if (kind === "code") {
        if (!token) {
          throw sourceFailed(
            { adapter: o.id, reason: "invalid-query" },
            "GitHub code search requires authentication: set GITHUB_TOKEN (or the token option), or use kind: repositories.",
          );
        }
        const items = await searchItems(query, limit, "application/vnd.github.text-match+json", signal);
        const docs = await settleEach(items, async (item) => {
          const repo = obj(item.repository);
          const fullName = str(repo?.full_name);
          const url = str(item.html_url);
          if (!fullName || !url) return null;
          const fragments = arr(item.text_matches)
            .map((m) => str(obj(m)?.fragment))
            .filter((f): f is string => f !== null);
          return buildDocument({
            adapter: o.id,
            url,
            title: `${fullName}: ${str(item.path) ?? str(item.name) ?? ""}`,
            authors: [str(obj(repo?.owner)?.login) ?? fullName.split("/")[0]!],
            published: null,
            licence: await repoLicence(fullName, signal),
            paragraphs: fragments,
            query,
            passagesPerDocument: o.passagesPerDocument,
          });
        });
        return docs.filter((d): d is SourceDocument => d !== null);
      }
      const items = await searchItems(query, limit, "application/vnd.github+json", signal);
      const docs = await settleEach(items.slice(0, limit), async (r) => {
        const fullName = str(r.full_name);
        if (!fullName) return null;
        const paragraphs = textToParagraphs(str(r.description));
        if (readme) {
          const res = await o.http.getText(
            req(
              `${o.baseUrl}/repos/${fullName}/readme`,
              "core",
              "application/vnd.github.raw+json",
              signal,
              [404],
            ),
            "application/vnd.github.raw+json",
          );
          if (res.status === 200) paragraphs.push(...markdownToParagraphs(res.body));
        }
        return buildDocument({
          adapter: o.id,
          url: str(r.html_url) ?? `https://github.com/${fullName}`,
          title: fullName,
          authors: [str(obj(r.owner)?.login) ?? fullName.split("/")[0]!],
          published: isoDate(r.created_at),
          licence:
            "license" in r
              ? githubLicence(r.license)
              : unknownLicence("github search result carries no license field"),
          paragraphs,
          query,
          passagesPerDocument: o.passagesPerDocument,
        });
      });
      return docs.filter((d): d is SourceDocument => d !== null);
    },
  };
}
