import { researchTask } from "../agents/research.js";
import { describeError } from "../core/errors.js";
import { coverage } from "../core/text.js";
import type { SourceDocument } from "../core/types.js";
import { admits } from "../sources/licence.js";
import type { ContextSource } from "../storage/store.js";
import type { RunContext } from "./context.js";
import { CandidateRejected, type ItemStage } from "./stage.js";

/** Ground-truth passages kept per question. */
const PASSAGES_PER_QUESTION = 6;
/** A passage must share at least this share of the question's content words. */
const MIN_RELEVANCE = 0.15;

/**
 * The default research stage (item-scoped): searches every configured source, keeps
 * documents the licence policy admits, ranks passages for the question, stores the
 * sources and the word-for-word ground truth, and has the research agent synthesize a
 * structured context from it. Marks the question `researched`.
 */
export function researchStage(): ItemStage {
  return {
    name: "research",
    scope: "item",
    marks: "researched",
    async run(item, ctx) {
      const q = item.question;
      const query = `${q.text} ${q.subTopic}`;
      const docs: SourceDocument[] = [];
      let refused = 0;
      for (const source of ctx.sources) {
        let found: SourceDocument[];
        try {
          found = await source.search(query, { limit: 4, signal: ctx.signal });
        } catch (e) {
          await ctx.recordFailure(q.id, "research", `source ${source.id} failed: ${describeError(e)}`);
          continue;
        }
        for (const d of found) {
          if (admits(ctx.licencePolicy, d.licence).ok) docs.push(d);
          else refused++;
        }
      }
      const ranked = docs
        .flatMap((d, di) => d.passages.map((p, pi) => ({ d, p, score: coverage(q.text, p.text) - di * 0.001 - pi * 0.0001 })))
        .filter((x) => x.score >= MIN_RELEVANCE)
        .sort((a, b) => b.score - a.score)
        .slice(0, PASSAGES_PER_QUESTION);
      if (ranked.length === 0) {
        throw new CandidateRejected(
          refused > 0
            ? `no ground truth: ${refused} matching document(s) refused by the licence policy (${ctx.licencePolicy.base})`
            : "no ground truth: no source passage matched the question",
          null,
          "failed",
        );
      }
      const usedDocs = [...new Set(ranked.map((x) => x.d))];
      const stored = await ctx.store.upsertSources(
        usedDocs.map((d) => ({
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
        })),
      );
      const idOf = new Map(usedDocs.map((d, i) => [d, stored[i]!.id]));
      const passages = ranked.map((x) => ({ sourceId: idOf.get(x.d)!, text: x.p.text }));
      const { output } = await ctx.agent(researchTask, { question: q.text, topic: q.topic, passages });
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
      }));
      const groundTruthContext = passages.map((p) => `[${p.sourceId}] ${p.text}`).join("\n\n");
      await ctx.store.updateQuestion(q.id, {
        status: "researched",
        groundTruthContext,
        synthesizedContext: synthesized,
        contextSources,
      });
      Object.assign(q, { status: "researched", groundTruthContext, synthesizedContext: synthesized, contextSources });
    },
  };
}

/** The ground-truth passages of a researched question, parsed back from its stored context. */
export function groundTruthPassages(groundTruthContext: string | null): Array<{ sourceId: string; text: string }> {
  if (!groundTruthContext) return [];
  return groundTruthContext
    .split(/\n\n(?=\[)/)
    .map((block) => /^\[([^\]]+)\] ([\s\S]*)$/.exec(block))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ sourceId: m[1]!, text: m[2]! }));
}
