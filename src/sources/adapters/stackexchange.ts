import type { Licence, SourceDocument } from "../../core/types.js";
import type { HttpResponse } from "../http.js";
import { normaliseLicence, unknownLicence } from "../licence.js";
import type { SearchOptions, SourceAdapter } from "../types.js";
import {
  apiError,
  apiKeyFrom,
  buildDocument,
  isoDate,
  markupToParagraphs,
  num,
  obj,
  type RemoteSourceOptions,
  resolveOptions,
  searchLimit,
  str,
  stripMarkup,
  unexpectedShape,
  withParams,
} from "./common.js";

/** Stack Exchange allows 30 requests per second per IP. */
export const STACKEXCHANGE_MIN_INTERVAL_MS = 34;

/** Options of {@link stackExchangeSource}. */
export interface StackExchangeOptions extends RemoteSourceOptions {
  /** Site (`stackoverflow`, `math`, `chemistry`, `superuser`, ...). Default `stackoverflow`. */
  site?: string;
  /** App key (raises the daily quota). Default `STACKEXCHANGE_KEY` from the environment. */
  key?: string;
  /** Answers returned per question (accepted first, then by votes). Default 1. */
  answersPerQuestion?: number;
}

const V25_UNTIL = Date.UTC(2011, 3, 8) / 1000; // 2011-04-08
const V30_UNTIL = Date.UTC(2018, 4, 2) / 1000; // 2018-05-02

/**
 * The licence of a Stack Exchange post by its creation date (epoch seconds): CC BY-SA
 * 2.5 before 2011-04-08, 3.0 until 2018-05-02, 4.0 after.
 */
export function stackExchangeLicence(creationDate: number | null): Licence {
  if (creationDate === null) return unknownLicence("stackexchange post has no creation_date");
  const day = new Date(creationDate * 1000).toISOString().slice(0, 10);
  const version = creationDate < V25_UNTIL ? "2.5" : creationDate < V30_UNTIL ? "3.0" : "4.0";
  return normaliseLicence(
    `https://creativecommons.org/licenses/by-sa/${version}/`,
    `stackexchange creation_date ${day} (CC BY-SA ${version} by post date)`,
  );
}

/**
 * Stack Exchange API search (`/search/advanced`, with bodies) plus the top answers of
 * each question. Questions and answers are separate documents, each with its own author
 * and its licence by post date.
 */
export function stackExchangeSource(opts: StackExchangeOptions = {}): SourceAdapter {
  const o = resolveOptions(opts, "stackExchange", "https://api.stackexchange.com");
  const site = opts.site ?? "stackoverflow";
  const key = apiKeyFrom(opts.key, "STACKEXCHANGE_KEY");
  const perQuestion = Math.max(0, opts.answersPerQuestion ?? 1);

  function wrapper(data: unknown, response: HttpResponse): unknown[] {
    const root = obj(data);
    if (!root) unexpectedShape(o.id, response, "not a JSON object");
    const errMsg = str(root.error_message);
    if (errMsg || root.error_id !== undefined)
      apiError(o.id, response, `${str(root.error_name) ?? "error"}: ${errMsg ?? ""}`);
    const backoff = num(root.backoff);
    if (backoff && backoff > 0) o.http.holdHost(new URL(response.url).host, backoff * 1000);
    if (!Array.isArray(root.items)) unexpectedShape(o.id, response, "no items array");
    return root.items;
  }

  const get = async (url: string, signal?: AbortSignal) => {
    const { data, response } = await o.http.getJson({
      adapter: o.id,
      url,
      minIntervalMs: STACKEXCHANGE_MIN_INTERVAL_MS,
      ...(key ? { secrets: [key] } : {}),
      ...(signal ? { signal } : {}),
    });
    return wrapper(data, response);
  };

  const post = (
    item: Record<string, unknown>,
    kind: "question" | "answer",
    url: string,
    title: string,
    query: string,
  ): SourceDocument | null =>
    buildDocument({
      adapter: o.id,
      url,
      title: kind === "answer" ? `Answer to: ${title}` : title,
      authors: [stripMarkup(str(obj(item.owner)?.display_name) ?? "")].filter(Boolean),
      published: isoDate(num(item.creation_date)),
      licence: stackExchangeLicence(num(item.creation_date)),
      paragraphs: markupToParagraphs(str(item.body)),
      query,
      passagesPerDocument: o.passagesPerDocument,
    });

  return {
    id: o.id,
    description: `Stack Exchange (${site}) questions and top answers; CC BY-SA 2.5/3.0/4.0 by post date`,
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const limit = searchLimit(searchOpts.limit, o.limit, 100);
      const signal = searchOpts.signal;
      const questions = Math.max(1, Math.ceil(limit / (1 + perQuestion)));
      const items = (
        await get(
          withParams(`${o.baseUrl}/2.3/search/advanced`, {
            order: "desc",
            sort: "relevance",
            q: query,
            site,
            filter: "withbody",
            pagesize: questions,
            key,
          }),
          signal,
        )
      )
        .map(obj)
        .filter(
          (q): q is Record<string, unknown> =>
            q !== null && num(q.question_id) !== null && str(q.title) !== null,
        );
      if (items.length === 0) return [];
      const answersByQuestion = new Map<number, Record<string, unknown>[]>();
      const withAnswers = items.filter((q) => (num(q.answer_count) ?? 1) > 0).map((q) => num(q.question_id)!);
      if (perQuestion > 0 && withAnswers.length > 0) {
        const answers = await get(
          withParams(`${o.baseUrl}/2.3/questions/${withAnswers.join(";")}/answers`, {
            order: "desc",
            sort: "votes",
            site,
            filter: "withbody",
            pagesize: 100,
            key,
          }),
          signal,
        );
        for (const a of answers.map(obj)) {
          const qid = num(a?.question_id);
          if (!a || qid === null) continue;
          answersByQuestion.set(qid, [...(answersByQuestion.get(qid) ?? []), a]);
        }
      }
      const docs: SourceDocument[] = [];
      for (const q of items) {
        const qid = num(q.question_id)!;
        const title = stripMarkup(str(q.title));
        const link = str(q.link) ?? `https://${site.includes(".") ? site : `${site}.com`}/q/${qid}`;
        const qdoc = post(q, "question", link, title, query);
        if (qdoc) docs.push(qdoc);
        const answers = (answersByQuestion.get(qid) ?? [])
          .sort(
            (a, b) =>
              Number(b.is_accepted === true) - Number(a.is_accepted === true) ||
              (num(b.score) ?? 0) - (num(a.score) ?? 0),
          )
          .slice(0, perQuestion);
        for (const a of answers) {
          const aid = num(a.answer_id);
          if (aid === null) continue;
          const adoc = post(a, "answer", `${new URL(link).origin}/a/${aid}`, title, query);
          if (adoc) docs.push(adoc);
        }
      }
      return docs.slice(0, limit);
    },
  };
}
