import type { Licence, SourceDocument } from "../../core/types.js";
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
  unexpectedShape,
  withParams,
} from "./common.js";

/** A polite gap between Hub requests (the Hub rate-limits anonymous clients per 5 minutes). */
export const HUGGINGFACE_MIN_INTERVAL_MS = 300;

/** Options of {@link huggingFaceSource}. */
export interface HuggingFaceOptions extends RemoteSourceOptions {
  /** datasets-server base URL. Default `https://datasets-server.huggingface.co`. */
  datasetsServerUrl?: string;
  /** Search dataset cards (default) or model cards. */
  repoType?: "dataset" | "model";
  /** Also take rows matching the query from the datasets-server (`/search`) as passages. Default false. */
  rows?: boolean;
  /** Rows taken per dataset when `rows` is on. Default 3. */
  rowsPerDataset?: number;
  /** Hub token (gated repositories). Default `HF_TOKEN` from the environment. */
  token?: string;
}

/** One page of dataset rows from the datasets-server. */
export interface DatasetRows {
  dataset: string;
  config: string;
  split: string;
  rows: Array<{ rowIdx: number; row: Record<string, unknown> }>;
}

/** The Hugging Face adapter: a source plus direct access to dataset rows. */
export interface HuggingFaceSource extends SourceAdapter {
  /** Rows `offset..offset+length` of a dataset split (datasets-server `/rows`). */
  rows(
    dataset: string,
    opts: { config: string; split: string; offset?: number; length?: number; signal?: AbortSignal },
  ): Promise<DatasetRows>;
}

function licenceOf(info: Record<string, unknown>): Licence {
  const card = obj(info.cardData);
  const fromCard = card ? arr(card.license).map(str).find(Boolean) : undefined;
  if (fromCard) return normaliseLicence(fromCard, "huggingface cardData.license");
  const tag = arr(info.tags)
    .map(str)
    .find((t) => t?.startsWith("license:"));
  if (tag) return normaliseLicence(tag.slice("license:".length), "huggingface tag license:*");
  return unknownLicence("huggingface repository card states no licence");
}

/** The text of one row: its string values, one per line. */
function rowText(row: Record<string, unknown>): string {
  return Object.values(row)
    .filter((v): v is string => typeof v === "string" && v.trim().length > 0)
    .join("\n");
}

/**
 * Hugging Face Hub: dataset (or model) search, repository info with the card's licence
 * (`cardData.license`, else a `license:*` tag), the card text as passages, and
 * optionally matching rows from the datasets-server.
 */
export function huggingFaceSource(opts: HuggingFaceOptions = {}): HuggingFaceSource {
  const o = resolveOptions(opts, "huggingFace", "https://huggingface.co");
  const ds = (opts.datasetsServerUrl ?? "https://datasets-server.huggingface.co").replace(/\/+$/, "");
  const kind = opts.repoType ?? "dataset";
  const plural = kind === "dataset" ? "datasets" : "models";
  const token = apiKeyFrom(opts.token, "HF_TOKEN");
  const secrets = token ? [token] : [];
  const headers = token ? { authorization: `Bearer ${token}` } : undefined;
  const base = (url: string, signal?: AbortSignal, bucket?: string) => ({
    adapter: o.id,
    url,
    minIntervalMs: HUGGINGFACE_MIN_INTERVAL_MS,
    secrets,
    ...(headers ? { headers } : {}),
    ...(signal ? { signal } : {}),
    ...(bucket ? { bucket } : {}),
  });

  async function rows(
    dataset: string,
    r: { config: string; split: string; offset?: number; length?: number; signal?: AbortSignal },
  ): Promise<DatasetRows> {
    const { data, response } = await o.http.getJson(
      base(
        withParams(`${ds}/rows`, {
          dataset,
          config: r.config,
          split: r.split,
          offset: r.offset ?? 0,
          length: r.length ?? 10,
        }),
        r.signal,
        "datasets-server",
      ),
    );
    return parseRows(data, response, dataset, r.config, r.split);
  }

  function parseRows(
    data: unknown,
    response: Parameters<typeof unexpectedShape>[1],
    dataset: string,
    config: string,
    split: string,
  ): DatasetRows {
    const root = obj(data);
    if (!root || !Array.isArray(root.rows)) unexpectedShape(o.id, response, "no rows array");
    return {
      dataset,
      config,
      split,
      rows: root.rows
        .map(obj)
        .filter((r): r is Record<string, unknown> => r !== null && obj(r.row) !== null)
        .map((r) => ({ rowIdx: typeof r.row_idx === "number" ? r.row_idx : -1, row: obj(r.row)! })),
    };
  }

  async function matchingRows(id: string, query: string, signal?: AbortSignal): Promise<string[]> {
    const { data: splitsData, response } = await o.http.getJson(
      base(withParams(`${ds}/splits`, { dataset: id }), signal, "datasets-server"),
    );
    const splits = arr(obj(splitsData)?.splits)
      .map(obj)
      .filter(
        (s): s is Record<string, unknown> => s !== null && str(s.config) !== null && str(s.split) !== null,
      );
    if (!obj(splitsData)) unexpectedShape(o.id, response, "splits is not an object");
    const chosen = splits.find((s) => str(s.split) === "train") ?? splits[0];
    if (!chosen) return [];
    const config = str(chosen.config)!;
    const split = str(chosen.split)!;
    const n = opts.rowsPerDataset ?? 3;
    try {
      const { data, response: r } = await o.http.getJson(
        base(
          withParams(`${ds}/search`, {
            dataset: id,
            config,
            split,
            query: keywords(query, 6).join(" ") || query,
            offset: 0,
            length: n,
          }),
          signal,
          "datasets-server",
        ),
      );
      return parseRows(data, r, id, config, split).rows.map((x) => rowText(x.row));
    } catch (e) {
      if ((e as { code?: string }).code === "ABORTED") throw e;
      // Not every dataset is indexed for search: fall back to its first rows.
      const { data, response: r } = await o.http.getJson(
        base(withParams(`${ds}/first-rows`, { dataset: id, config, split }), signal, "datasets-server"),
      );
      return parseRows(data, r, id, config, split)
        .rows.slice(0, n)
        .map((x) => rowText(x.row));
    }
  }

  async function searchIds(query: string, limit: number, signal?: AbortSignal): Promise<string[]> {
    // The Hub's search matches repository names, not prose: try the whole query when it
    // is short, then its content words one by one, until enough repositories are found.
    const words = keywords(query, 4);
    const terms = [...(query.trim().split(/\s+/).length <= 3 ? [query.trim()] : []), ...words]
      .filter((t, i, a) => t && a.indexOf(t) === i)
      .slice(0, 4);
    const ids: string[] = [];
    for (const term of terms) {
      const { data, response } = await o.http.getJson(
        base(
          withParams(`${o.baseUrl}/api/${plural}`, { search: term, limit, sort: "downloads", direction: -1 }),
          signal,
        ),
      );
      if (!Array.isArray(data)) unexpectedShape(o.id, response, `/api/${plural} did not return an array`);
      for (const item of data.map(obj)) {
        const id = str(item?.id) ?? str(item?.modelId);
        if (id && !ids.includes(id)) ids.push(id);
      }
      if (ids.length >= limit) break;
    }
    return ids.slice(0, limit);
  }

  return {
    id: o.id,
    description: `Hugging Face Hub ${kind} cards${opts.rows ? " and matching dataset rows" : ""}; licence from cardData.license or license:* tags`,
    rows,
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const limit = searchLimit(searchOpts.limit, o.limit, 20);
      const signal = searchOpts.signal;
      const ids = await searchIds(query, limit, signal);
      const docs = await settleEach(ids, async (id) => {
        const { data, response } = await o.http.getJson(
          base(`${o.baseUrl}/api/${plural}/${id.split("/").map(encodeURIComponent).join("/")}`, signal),
        );
        const info = obj(data);
        if (!info) unexpectedShape(o.id, response, "repository info is not an object");
        const repoPath = kind === "dataset" ? `datasets/${id}` : id;
        let card: string | null = null;
        try {
          const res = await o.http.getText(
            base(`${o.baseUrl}/${repoPath}/raw/main/README.md`, signal),
            "text/plain, text/markdown, */*;q=0.5",
          );
          card = res.body;
        } catch (e) {
          if ((e as { code?: string }).code === "ABORTED") throw e;
          const status = (e as { details?: { status?: number } }).details?.status;
          if (status !== 404 && status !== 401 && status !== 403) throw e;
        }
        const paragraphs = card ? markdownToParagraphs(card) : [];
        if (paragraphs.length === 0) {
          const d = str(info.description) ?? str(obj(info.cardData)?.description);
          if (d) paragraphs.push(...markdownToParagraphs(d));
        }
        if (opts.rows && kind === "dataset") paragraphs.push(...(await matchingRows(id, query, signal)));
        return buildDocument({
          adapter: o.id,
          url: `https://huggingface.co/${repoPath}`,
          title: id,
          authors: [str(info.author) ?? id.split("/")[0] ?? id],
          published: isoDate(info.lastModified ?? info.createdAt),
          licence: licenceOf(info),
          paragraphs,
          query,
          passagesPerDocument: o.passagesPerDocument,
        });
      });
      return docs.filter((d): d is SourceDocument => d !== null);
    },
  };
}
