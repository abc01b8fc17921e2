import type { ResearchInput } from "../agents/research.js";
import { describeError } from "../core/errors.js";
import { contentWords, coverage, truncate } from "../core/text.js";
import type { Passage, SourceDocument, SourceFlag, SubTopic } from "../core/types.js";
import { screenDocument } from "../sources/injection.js";
import { admits } from "../sources/licence.js";
import { Bm25Index, bm25Rank, type Ranked } from "../sources/passages.js";
import { DEFAULT_DOMAIN_SOURCES, localSources, sourcesForDomain } from "../sources/selection.js";
import type { SourceAdapter } from "../sources/types.js";
import type { ContextSource, QuestionPatch } from "../storage/store.js";
import { readQuestion, unframeQuestion } from "../training-types/compose.js";
import type { RunContext } from "./context.js";
import { runSearches } from "./search-cache.js";
import { CandidateRejected, type ItemStage } from "./stage.js";
import { SynthesisQueue } from "./synthesis-queue.js";

/** Options of {@link researchStage}. */
export interface ResearchOptions {
  /** Domain → adapter ids, merged over {@link DEFAULT_DOMAIN_SOURCES} (a key given here replaces that domain's list). */
  domainSources?: Record<string, string[]>;
  /** Ground-truth passages kept per question. Default 6. */
  passagesPerQuestion?: number;
  /** Documents asked of each source per search. Default 6. */
  documentsPerSource?: number;
  /**
   * A question for which the shared sub-topic research holds fewer relevant passages
   * than this gets its own search (whose documents then join the sub-topic's). Default 1:
   * only a question nothing matches costs a search. A question that names something the
   * sub-topic and topic do not (e.g. "Explain osmosis and its role in cell transport")
   * also gets its own search when no relevant passage mentions any of those words: the
   * shared documents match only its generic words.
   */
  minPassages?: number;
  /**
   * Questions whose research synthesis is made in one model call (each question still gets
   * its own digest of its own passages). Default: 4 when the research model's calls cost
   * money (fewer calls per approved example), 1 otherwise (the offline provider).
   */
  synthesisBatch?: number;
  /** How long a synthesis waits for others to share its call, in ms. Default 200. */
  synthesisWaitMs?: number;
}

/** A passage must share at least this share of the question's content words. */
const MIN_RELEVANCE = 0.15;
/** …and score at least this share of the best passage's BM25 score. */
const RELATIVE_FLOOR = 0.1;

// ---------------------------------------------------------------------------
// Shared research: one pool of documents per sub-topic, searched once per source and
// shared by the question writer and by every question of that sub-topic.

interface PoolDoc {
  doc: SourceDocument;
  admitted: boolean;
}

interface Pool {
  docs: PoolDoc[];
  byHash: Map<string, PoolDoc>;
  /** The passages of the pool's admitted documents, indexed once for every question's ranking. */
  index: Bm25Index<PoolPassage>;
}

interface PoolPassage {
  entry: PoolDoc;
  passage: Passage;
}

const newPool = (): Pool => ({
  docs: [],
  byHash: new Map(),
  index: new Bm25Index<PoolPassage>(
    (x) => x.passage.text,
    (x) => x.entry.doc.title,
  ),
});

const passagesOf = (entry: PoolDoc): PoolPassage[] =>
  entry.doc.passages.map((passage) => ({ entry, passage }));

interface RunResearch {
  sources: SourceAdapter[];
  pools: Map<string, Promise<Pool>>;
  /** Question-specific searches, by source id and query. */
  searches: Map<string, Promise<SourceDocument[]>>;
  /** Stored source ids by content hash. */
  stored: Map<string, Promise<string>>;
  /** Sources already reported as failing (one failure row per source and query). */
  reported: Set<string>;
  /** Sources whose last search failed: left out of question-specific searches until one succeeds. */
  down: Set<string>;
  /** Times a sub-topic's shared search was made (retried while a source fails, up to {@link POOL_ATTEMPTS}). */
  poolAttempts: Map<string, number>;
  /** Content hashes of the documents already given to the question writer as material (run-wide). */
  materialUsed: Set<string>;
  /** Per sub-topic: where the question writer's material pages stand. */
  material: Map<string, MaterialCursor>;
  /** The run's research syntheses, gathered into calls (made on first use). */
  synthesis?: SynthesisQueue;
}

/** Where the pages of question material of one sub-topic stand (see {@link questionMaterial}). */
interface MaterialCursor {
  /** Documents asked of each source by the next deeper search. */
  limit: number;
  /** The deeper search in flight or done, with the unused documents it found. */
  search: Promise<{ fresh: SourceDocument[]; complete: boolean }> | null;
}

/** Times a sub-topic's shared search is tried while one of its sources fails. */
const POOL_ATTEMPTS = 3;

/** Per run (keyed by the run row object of its context), per domain table. */
const runs = new WeakMap<object, Map<string, RunResearch>>();

function runResearch(ctx: RunContext, opts: ResearchOptions): RunResearch {
  const table = { ...DEFAULT_DOMAIN_SOURCES, ...opts.domainSources };
  // Stages built with the same domain table share one research cache (the question
  // writer and the default research stage do); a custom table gets its own.
  const signature = JSON.stringify(Object.entries(table).sort(([a], [b]) => a.localeCompare(b)));
  let byTable = runs.get(ctx.run);
  if (!byTable) {
    byTable = new Map();
    runs.set(ctx.run, byTable);
  }
  let r = byTable.get(signature);
  if (!r) {
    const sources = sourcesForDomain(ctx.sources, ctx.plan?.domain ?? null, table);
    if (sources.length !== ctx.sources.length)
      ctx.logger.debug(`research: domain "${ctx.plan?.domain}" uses ${sources.map((s) => s.id).join(", ")}`);
    r = {
      sources,
      pools: new Map(),
      searches: new Map(),
      stored: new Map(),
      reported: new Set(),
      down: new Set(),
      poolAttempts: new Map(),
      materialUsed: new Set(),
      material: new Map(),
    };
    byTable.set(signature, r);
  }
  return r;
}

/**
 * One search of one source, screened for prompt injection. Concurrent identical searches
 * share one call; a sub-topic's search (`keep`) stays cached for the run, a question's own
 * search only while it is in flight. Every search goes through the run's
 * {@link runSearches} cache, so a (source, query) the plan already looked at (or an earlier
 * question asked) is not fetched again. A failure is recorded once per source and query and
 * yields no documents.
 */
async function searchSource(
  ctx: RunContext,
  r: RunResearch,
  source: SourceAdapter,
  query: string,
  limit: number,
  questionId: string | null,
  keep: boolean,
): Promise<SourceDocument[]> {
  const key = `${source.id}\u0000${query}`;
  let p = r.searches.get(key);
  if (!p) {
    p = runSearches(ctx.run)
      .search(source, query, { limit, signal: ctx.signal })
      .then((docs) => docs.map(screenDocument));
    r.searches.set(key, p);
    // A failed search is never kept: a later question may try again.
    p.then(
      () => {
        if (!keep) r.searches.delete(key);
      },
      () => r.searches.delete(key),
    );
  }
  try {
    const docs = await p;
    r.down.delete(source.id);
    return docs;
  } catch (e) {
    r.down.add(source.id);
    if (!r.reported.has(key) && !ctx.signal.aborted) {
      r.reported.add(key);
      await ctx.recordFailure(questionId, "research", `source ${source.id} failed: ${describeError(e)}`);
    }
    return [];
  }
}

/** Documents a sub-topic's pool holds at most; a question's own finds beyond that serve only that question. */
const MAX_POOL_DOCUMENTS = 200;

/** The pool entries of `docs` (existing ones reused), adding new ones to the pool while it has room. */
function addToPool(pool: Pool, docs: SourceDocument[], ctx: RunContext): PoolDoc[] {
  const out: PoolDoc[] = [];
  for (const doc of docs) {
    const existing = pool.byHash.get(doc.contentHash);
    if (existing) {
      out.push(existing);
      continue;
    }
    const entry: PoolDoc = { doc, admitted: admits(ctx.licencePolicy, doc.licence).ok };
    if (pool.docs.length < MAX_POOL_DOCUMENTS) {
      pool.byHash.set(doc.contentHash, entry);
      pool.docs.push(entry);
      if (entry.admitted) pool.index.add(passagesOf(entry));
    }
    out.push(entry);
  }
  return out;
}

function subTopicPool(
  ctx: RunContext,
  r: RunResearch,
  subTopic: string,
  opts: Required<ResearchOptions>,
): Promise<Pool> {
  let p = r.pools.get(subTopic);
  if (!p) {
    const query = `${subTopic} ${ctx.run.topic}`;
    const attempt = (r.poolAttempts.get(subTopic) ?? 0) + 1;
    r.poolAttempts.set(subTopic, attempt);
    p = (async () => {
      const pool = newPool();
      const found = await Promise.all(
        r.sources.map((s) => searchSource(ctx, r, s, query, opts.documentsPerSource, null, true)),
      );
      for (const docs of found) addToPool(pool, docs, ctx);
      // A source failed: the next question of this sub-topic asks it again (successful
      // searches are cached, so only the failed ones are repeated), a few times at most.
      if (
        attempt < POOL_ATTEMPTS &&
        r.sources.some((s) => r.down.has(s.id)) &&
        r.poolAttempts.get(subTopic) === attempt
      ) {
        r.pools.delete(subTopic);
      }
      return pool;
    })();
    r.pools.set(subTopic, p);
  }
  return p;
}

/** A document as question material: its title and its passages (at most 3,000 characters). */
function asMaterial(doc: SourceDocument): { title: string; text: string } {
  return { title: doc.title, text: truncate(doc.passages.map((p) => p.text).join("\n"), 3000) };
}

/** Documents given to the question writer per call. */
const MATERIAL_DOCS = 6;

async function researchMaterialDocs(
  ctx: RunContext,
  sub: SubTopic,
  o: Required<ResearchOptions>,
): Promise<SourceDocument[]> {
  const pool = await subTopicPool(ctx, runResearch(ctx, o), sub.name, o);
  return pool.docs
    .filter((d) => d.admitted)
    .map((d, i) => ({ doc: d.doc, score: coverage(sub.name, d.doc.title) - i * 0.01 }))
    .sort((a, b) => b.score - a.score)
    .slice(0, MATERIAL_DOCS)
    .map((x) => x.doc);
}

/**
 * Material the sources hold on a sub-topic, for the question writer: the shared
 * research pool of that sub-topic (the same documents research will rank for each of
 * its questions), licence-admitted only, documents named after the sub-topic first.
 */
export async function researchMaterial(
  ctx: RunContext,
  sub: SubTopic,
  opts: ResearchOptions = {},
): Promise<Array<{ title: string; text: string }>> {
  return (await researchMaterialDocs(ctx, sub, resolveOptions(opts))).map(asMaterial);
}

/**
 * Material for one call of the question writer of a sub-topic. By default (`fresh`
 * false) the sub-topic's shared research ({@link researchMaterial}). With `fresh`, a page
 * of documents the writer has not seen, so that a large run asks about its sources
 * broadly instead of asking again and again about the same few documents: the next
 * `MATERIAL_DOCS` (6) licence-admitted documents of the sub-topic's search (the query of
 * its shared research, made again on the local sources for more documents; public
 * catalogues are not searched again) that no material of the run has used yet, in the
 * search's order; the search is repeated with a larger limit when its documents run
 * out. Pages are handed out one at a time, so concurrent callers get different pages.
 * Null (only with `fresh`) when the sources hold nothing unused.
 *
 * What was used is kept in memory: after a restart, pages start again from the top of
 * the search (the question stage drops the duplicate questions they yield and asks for
 * the next page).
 */
export async function questionMaterial(
  ctx: RunContext,
  sub: SubTopic,
  opts: ResearchOptions & { fresh?: boolean } = {},
): Promise<Array<{ title: string; text: string }> | null> {
  const o = resolveOptions(opts);
  const r = runResearch(ctx, o);
  // The shared research is the sub-topic's first material: never served again as a fresh page.
  const shared = await researchMaterialDocs(ctx, sub, o);
  for (const d of shared) r.materialUsed.add(d.contentHash);
  if (!opts.fresh) return shared.map(asMaterial);
  let cur = r.material.get(sub.name);
  if (!cur) {
    cur = { limit: 0, search: null };
    r.material.set(sub.name, cur);
  }
  for (;;) {
    if (ctx.signal.aborted) return null;
    const search = cur.search ?? deeperSearch(ctx, r, sub, cur, o);
    cur.search = search;
    const found = await search;
    // Taken synchronously after the await: a concurrent caller sees these as used.
    const page: SourceDocument[] = [];
    while (page.length < MATERIAL_DOCS && found.fresh.length > 0) {
      const doc = found.fresh.shift()!;
      if (r.materialUsed.has(doc.contentHash)) continue;
      r.materialUsed.add(doc.contentHash);
      page.push(doc);
    }
    if (page.length > 0) return page.map(asMaterial);
    if (found.complete) return null;
    // This search is used up: the next caller (or this one) searches deeper.
    if (cur.search === search) cur.search = null;
  }
}

/** Most documents asked of one source for question material. */
const MAX_MATERIAL_LIMIT = 20_000;
/** Unused documents kept from one deeper search (the rest are found again by the next one). */
const MATERIAL_WINDOW = MATERIAL_DOCS * 16;

/**
 * Searches every source of the run for a sub-topic with a larger limit than last time and
 * keeps only the first {@link MATERIAL_WINDOW} admitted documents no page has used (never
 * whole result lists, so memory stays flat however deep the search goes).
 */
function deeperSearch(
  ctx: RunContext,
  r: RunResearch,
  sub: SubTopic,
  cur: MaterialCursor,
  o: Required<ResearchOptions>,
): Promise<{ fresh: SourceDocument[]; complete: boolean }> {
  const limit = Math.min(MAX_MATERIAL_LIMIT, Math.max(o.documentsPerSource * 4, cur.limit * 2));
  cur.limit = limit;
  const query = `${sub.name} ${ctx.run.topic}`;
  return (async () => {
    let complete = true;
    const fresh: SourceDocument[] = [];
    const seen = new Set<string>();
    const results = await Promise.all(
      localSources(r.sources).map(async (source) => {
        try {
          const docs = await runSearches(ctx.run).search(source, query, { limit, signal: ctx.signal });
          return { docs, full: docs.length >= limit };
        } catch (e) {
          const key = `${source.id}\u0000material\u0000${query}`;
          if (!r.reported.has(key) && !ctx.signal.aborted) {
            r.reported.add(key);
            await ctx.recordFailure(null, "questions", `source ${source.id} failed: ${describeError(e)}`);
          }
          return { docs: [], full: false };
        }
      }),
    );
    for (const { docs, full } of results) {
      if (full && limit < MAX_MATERIAL_LIMIT) complete = false;
      for (const raw of docs) {
        if (r.materialUsed.has(raw.contentHash) || seen.has(raw.contentHash)) continue;
        if (fresh.length >= MATERIAL_WINDOW) {
          complete = false;
          break;
        }
        seen.add(raw.contentHash);
        if (!admits(ctx.licencePolicy, raw.licence).ok) continue;
        fresh.push(screenDocument(raw));
      }
    }
    return { fresh, complete };
  })();
}

interface RankedPassage {
  pd: PoolDoc;
  passage: Passage;
  score: number;
}

/**
 * Passages of `docs` ranked for `question` with BM25 (document titles count a little),
 * keeping those that share enough content words with the question and score near the best.
 */
export function rankPassagesForQuestion<T extends { doc: SourceDocument }>(
  question: string,
  docs: T[],
): Array<{ entry: T; passage: Passage; score: number }> {
  const items = docs.flatMap((entry) => entry.doc.passages.map((passage) => ({ entry, passage })));
  return relevantPassages(
    question,
    bm25Rank(question, items, (x) => x.passage.text, { boost: (x) => x.entry.doc.title }),
  );
}

/** {@link rankPassagesForQuestion} over a pool's index plus documents outside the pool. */
function rankPool(
  pool: Pool,
  question: string,
  extra: PoolDoc[],
): Array<{ entry: PoolDoc; passage: Passage; score: number }> {
  return relevantPassages(
    question,
    pool.index.rank(question, extra.filter((d) => d.admitted).flatMap(passagesOf)),
  );
}

/**
 * The ranked passages near the best one that share enough of the question's content words
 * and are about its subject ({@link aboutSubject}): a passage that only shares the
 * question's generic words ("central" for "the central ideas of Kubernetes networking")
 * is not ground truth for it.
 */
function relevantPassages<T extends { doc: SourceDocument }>(
  question: string,
  ranked: Array<Ranked<{ entry: T; passage: Passage }>>,
): Array<{ entry: T; passage: Passage; score: number }> {
  const top = ranked[0]?.score ?? 0;
  const asked = new Set(contentWords(question));
  const subject = questionSubject(question);
  return ranked
    .filter(
      (r) =>
        r.score >= top * RELATIVE_FLOOR &&
        share(asked, passageWords(r.item.passage)) >= MIN_RELEVANCE &&
        aboutSubject(subject, passageWords(r.item.passage), r.item.entry.doc.title),
    )
    .map((r) => ({ entry: r.item.entry, passage: r.item.passage, score: r.score }));
}

/** What a question is about, as the words a passage must hold to be ground truth for it. */
export interface QuestionSubject {
  /** The subject as written ("Kubernetes networking"). */
  text: string;
  /** Its content words. */
  words: string[];
  /** Share of `words` a passage (with its document's title) must hold. */
  need: number;
}

/**
 * The subject of a question ({@link readQuestion}: "What is X?", "Explain X and its role
 * in Y", "Compare X and Y"...). A subject of one or two words must be there in full; a
 * longer one two thirds of it. A question in no known form needs nothing more (`need` 0).
 */
export function questionSubject(question: string): QuestionSubject {
  const ask = readQuestion(question);
  const text = ask.subjects.join(" and ");
  const words = [...new Set(ask.subjects.flatMap((s) => contentWords(s)))];
  // A question in no known form: its subject is unknown, and BM25 with the shares above decides.
  if (!ask.known) return { text, words, need: 0 };
  return { text, words, need: words.length <= 2 ? 1 : 2 / 3 };
}

/** True when two words share a stem ("networking" and "network", "bonding" and "bonds"). */
function sameStem(a: string, b: string): boolean {
  if (a === b) return true;
  const n = Math.min(a.length, b.length);
  if (n < 4) return false;
  let k = 0;
  while (k < n && a[k] === b[k]) k++;
  return k >= Math.max(4, Math.max(a.length, b.length) - 4) && k >= n - 3;
}

/** Whether a passage (with its document's title) holds enough of the question's subject. */
export function aboutSubject(subject: QuestionSubject, words: Set<string>, title = ""): boolean {
  if (subject.words.length === 0) return true;
  const titleWords = contentWords(title);
  const has = (w: string) =>
    words.has(w) || titleWords.includes(w) || [...words, ...titleWords].some((p) => sameStem(w, p));
  const hit = subject.words.filter(has).length;
  return hit / subject.words.length >= subject.need - 1e-9;
}

/** Content words of a passage, computed once per passage object. */
const wordsOfPassage = new WeakMap<Passage, Set<string>>();
function passageWords(p: Passage): Set<string> {
  let words = wordsOfPassage.get(p);
  if (!words) {
    words = new Set(contentWords(p.text));
    wordsOfPassage.set(p, words);
  }
  return words;
}

/** The share of `a` found in `b` ({@link coverage} over word sets). */
function share(a: Set<string>, b: Set<string>): number {
  if (a.size === 0) return 0;
  let hit = 0;
  for (const w of a) if (b.has(w)) hit++;
  return hit / a.size;
}

function resolveOptions(opts: ResearchOptions): Required<ResearchOptions> {
  return {
    domainSources: opts.domainSources ?? {},
    passagesPerQuestion: opts.passagesPerQuestion ?? 6,
    documentsPerSource: opts.documentsPerSource ?? 6,
    minPassages: opts.minPassages ?? 1,
    // 0: chosen by the provider when the run starts.
    synthesisBatch: opts.synthesisBatch ?? 0,
    synthesisWaitMs: opts.synthesisWaitMs ?? 200,
  };
}

async function storedIds(
  ctx: RunContext,
  r: RunResearch,
  docs: SourceDocument[],
): Promise<Map<SourceDocument, string>> {
  const missing = docs.filter((d) => !r.stored.has(d.contentHash));
  if (missing.length) {
    const write = ctx.store.upsertSources(
      missing.map((d) => ({
        url: d.url,
        title: d.title,
        authors: d.authors,
        published: d.published ?? null,
        adapter: d.adapter,
        licence: d.licence.spdx,
        licenceUrl: d.licence.url ?? null,
        isPermissive: d.licence.permissive,
        attributionRequired: d.licence.attributionRequired,
        commercialUseAllowed: d.licence.commercialUseAllowed,
        shareAlike: d.licence.shareAlike,
        noDerivatives: d.licence.noDerivatives,
        licenceEvidence: d.licence.evidence,
        contentHash: d.contentHash,
        flags: d.flags ?? [],
      })),
    );
    missing.forEach((d, i) => {
      const id = write.then((rows) => rows[i]!.id);
      id.catch(() => r.stored.delete(d.contentHash));
      r.stored.set(d.contentHash, id);
    });
  }
  const out = new Map<SourceDocument, string>();
  for (const d of docs) out.set(d, await r.stored.get(d.contentHash)!);
  return out;
}

function flagRules(flags: SourceFlag[] | undefined): string[] | undefined {
  return flags?.length ? [...new Set(flags.map((f) => f.rule))] : undefined;
}

/**
 * The default research stage (item-scoped). Per run it picks the sources that suit the
 * plan's domain ({@link sourcesForDomain}); per sub-topic it searches each of them once
 * and shares the documents with the question writer and with every question of the
 * sub-topic; per question it ranks the admitted passages with BM25, searches again only
 * when the shared documents hold too little, stores the sources (with their licence and
 * prompt-injection flags) and the word-for-word ground truth, and has the research agent
 * synthesize a structured context (one model call per question). Marks the question
 * `researched`.
 */
export function researchStage(options: ResearchOptions = {}): ItemStage {
  const opts = resolveOptions(options);
  return {
    name: "research",
    scope: "item",
    marks: "researched",
    async run(item, ctx) {
      const q = item.question;
      // What the question asks, without the audience and style framing of an offline writer.
      const asked = unframeQuestion(q.text);
      const r = runResearch(ctx, opts);
      const pool = await subTopicPool(ctx, r, q.subTopic, opts);
      // Documents a question's own search found that did not fit in the (full) pool.
      let outside: PoolDoc[] = [];
      let ranked = rankPool(pool, asked, outside);
      if (
        (ranked.length < opts.minPassages || missesSpecifics({ ...q, text: asked }, ranked)) &&
        !ctx.signal.aborted
      ) {
        // Too little in the shared documents: this question gets its own search, and what
        // it finds joins the sub-topic's pool for the questions after it.
        const found = await Promise.all(
          r.sources
            .filter((s) => !r.down.has(s.id))
            .map((s) =>
              searchSource(ctx, r, s, `${asked} ${q.subTopic}`, opts.documentsPerSource, q.id, false),
            ),
        );
        const entries = addToPool(pool, found.flat(), ctx);
        outside = [...new Set(entries.filter((e) => pool.byHash.get(e.doc.contentHash) !== e))];
        ranked = rankPool(pool, asked, outside);
      }
      const chosen: RankedPassage[] = ranked
        .slice(0, opts.passagesPerQuestion)
        .map((x) => ({ pd: x.entry, passage: x.passage, score: x.score }));
      if (chosen.length === 0) {
        const refused = new Set(
          rankPassagesForQuestion(
            asked,
            [...pool.docs, ...outside].filter((d) => !d.admitted),
          ).map((x) => x.entry),
        ).size;
        throw new CandidateRejected(
          refused > 0
            ? `no ground truth: ${refused} matching document(s) refused by the licence policy (${ctx.licencePolicy.base})`
            : `no ground truth: no source passage is about "${truncate(questionSubject(asked).text, 80)}"`,
          null,
          "failed",
        );
      }
      const usedDocs = [...new Set(chosen.map((x) => x.pd.doc))];
      const idOf = await storedIds(ctx, r, usedDocs);
      const passages: ResearchInput["passages"] = chosen.map((x) => {
        const rules = flagRules(x.pd.doc.flags);
        return { sourceId: idOf.get(x.pd.doc)!, text: x.passage.text, ...(rules ? { flags: rules } : {}) };
      });
      // No more questions can wait together than the run has slots.
      r.synthesis ??= new SynthesisQueue(ctx, {
        size: Math.min(
          opts.synthesisBatch || (ctx.models.provider.paid ? 4 : 1),
          ctx.concurrency ?? Infinity,
        ),
        waitMs: opts.synthesisWaitMs,
      });
      const output = await r.synthesis.synthesize({ question: q.text, topic: q.topic, passages });
      const known = new Set(passages.map((p) => p.sourceId));
      const synthesized = {
        ...output,
        keyFacts: output.keyFacts
          .map((f) => ({ fact: f.fact, sourceIds: f.sourceIds.filter((id) => known.has(id)) }))
          .filter((f) => f.sourceIds.length > 0),
      };
      const contextSources: ContextSource[] = usedDocs.map((d) => ({
        sourceId: idOf.get(d)!,
        title: d.title,
        url: d.url,
        licence: d.licence.spdx,
        passages: passages.filter((p) => p.sourceId === idOf.get(d)).length,
        ...(d.flags?.length ? { flags: d.flags } : {}),
      }));
      const groundTruthContext = passages.map((p) => `[${p.sourceId}] ${p.text}`).join("\n\n");
      const patch: QuestionPatch = {
        status: "researched",
        groundTruthContext,
        synthesizedContext: synthesized,
        contextSources,
      };
      await ctx.store.updateQuestion(q.id, patch);
      Object.assign(q, patch);
    },
  };
}

/**
 * True when the question names words beyond its sub-topic and topic and none of the
 * ranked passages contains any of them (they only match the question's generic words).
 */
function missesSpecifics(
  q: { text: string; subTopic: string; topic: string },
  ranked: Array<{ passage: Passage }>,
): boolean {
  if (ranked.length === 0) return false;
  const generic = new Set(contentWords(`${q.subTopic} ${q.topic}`));
  const specific = [...new Set(contentWords(q.text))].filter((w) => !generic.has(w));
  if (specific.length === 0) return false;
  return !ranked.some((r) => {
    const words = passageWords(r.passage);
    return specific.some((w) => words.has(w));
  });
}

/** The ground-truth passages of a researched question, parsed back from its stored context. */
export function groundTruthPassages(
  groundTruthContext: string | null,
): Array<{ sourceId: string; text: string }> {
  if (!groundTruthContext) return [];
  return groundTruthContext
    .split(/\n\n(?=\[)/)
    .map((block) => /^\[([^\]]+)\] ([\s\S]*)$/.exec(block))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ sourceId: m[1]!, text: m[2]! }));
}
