import { normaliseForHash, sentences } from "../core/text.js";
import { sentenceKey, withoutStepNumbers } from "../training-types/compose.js";
import type { RunContext } from "./context.js";

/** Characters of an answer compared to tell whether two answers open alike. */
export const OPENING_CHARS = 120;

/** Statuses of a candidate whose answer no longer counts: its sentences are free again. */
const DROPPED = new Set(["rejected", "failed", "skipped"]);

/** What one question's answer uses. */
interface Claim {
  /** The normalised first {@link OPENING_CHARS} characters of the answer. */
  head: string;
  /** Key of its first sentence. */
  opening: string;
  /** Keys of all its sentences. */
  sentences: string[];
  /** The candidate's question row as the run works on it (its status tells whether it was dropped). */
  question?: { status: string };
}

/**
 * What the answers of one run use (offline runs): the sentence each opens with, every
 * sentence each holds, and how each opens. The offline composer is told which sentences of
 * its passages other answers already use ({@link AnswerTracker.usedIn}), and an answer that
 * opens like another's ({@link AnswerTracker.claim}) is written again or dropped as a
 * duplicate, so a small corpus never gives two rows the same answer. A question's new draft
 * replaces its earlier one; the answer of a candidate that was dropped since (rejected by
 * review, failed) frees its sentences. Seeded from the run's stored examples (approved,
 * pending, needing revision), so a resumed run knows what its earlier answers used.
 */
export class AnswerTracker {
  private readonly claims = new Map<string, Claim>();
  /** Questions whose answers hold each sentence (by key), and open with it. */
  private readonly holders = new Map<string, Set<string>>();
  private readonly openers = new Map<string, Set<string>>();
  private readonly heads = new Map<string, string>();

  /** Sentences of `passages` that the answers of other questions use (openings, and all). */
  usedIn(
    questionId: string,
    passages: ReadonlyArray<{ text: string }>,
  ): { openings: string[]; sentences: string[] } {
    const openings: string[] = [];
    const used: string[] = [];
    const seen = new Set<string>();
    for (const p of passages) {
      for (const s of sentences(p.text)) {
        const key = sentenceKey(s);
        if (seen.has(key)) continue;
        seen.add(key);
        if (this.others(this.holders.get(key), questionId)) used.push(s);
        if (this.others(this.openers.get(key), questionId)) openings.push(s);
      }
    }
    return { openings, sentences: used };
  }

  /**
   * Records the answer of `questionId` (replacing its earlier draft) unless another
   * question's answer opens with the same {@link OPENING_CHARS} characters: then nothing
   * is recorded and that question's id is returned. `question` is the candidate's row as
   * the run works on it: once its status says it was dropped, its answer no longer counts.
   */
  claim(questionId: string, answer: string, question?: { status: string }): string | null {
    const prose = withoutStepNumbers(answer);
    const head = headOf(prose);
    const holder = head ? this.heads.get(head) : undefined;
    if (holder && holder !== questionId && this.alive(holder)) return holder;
    this.release(questionId);
    const keys = sentences(prose).map(sentenceKey);
    const claim: Claim = {
      head,
      opening: keys[0] ?? "",
      sentences: [...new Set(keys)],
      ...(question ? { question } : {}),
    };
    this.claims.set(questionId, claim);
    if (head) this.heads.set(head, questionId);
    if (claim.opening) add(this.openers, claim.opening, questionId);
    for (const k of claim.sentences) add(this.holders, k, questionId);
    return null;
  }

  /** Forgets the answer of `questionId`. */
  release(questionId: string): void {
    const old = this.claims.get(questionId);
    if (!old) return;
    this.claims.delete(questionId);
    if (old.head && this.heads.get(old.head) === questionId) this.heads.delete(old.head);
    if (old.opening) remove(this.openers, old.opening, questionId);
    for (const k of old.sentences) remove(this.holders, k, questionId);
  }

  /** True when a question other than `self` in `ids` holds an answer that still counts (dropped ones are released). */
  private others(ids: Set<string> | undefined, self: string): boolean {
    if (!ids) return false;
    for (const id of [...ids]) if (id !== self && this.alive(id)) return true;
    return false;
  }

  /** True when the answer of `id` still counts; releases it when its candidate was dropped. */
  private alive(id: string): boolean {
    const claim = this.claims.get(id);
    if (!claim) return false;
    if (claim.question && DROPPED.has(claim.question.status)) {
      this.release(id);
      return false;
    }
    return true;
  }
}

/** The normalised opening of an answer (empty for an empty answer). */
export function headOf(answer: string): string {
  return normaliseForHash(withoutStepNumbers(answer).replace(/\s+/g, " ").trim().slice(0, OPENING_CHARS));
}

function add(map: Map<string, Set<string>>, key: string, id: string): void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(id);
}

function remove(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) map.delete(key);
}

/** Per run (keyed by the run row object of its context): its tracker, seeded from the store once. */
const trackers = new WeakMap<object, Promise<AnswerTracker>>();

/**
 * The answer tracker of a run, seeded with the answers of its stored examples that are
 * approved, pending or waiting for revision (rejected ones leave their sentences free).
 */
export function answerTracker(
  ctx: Pick<RunContext, "run" | "runId" | "store" | "trainingType">,
): Promise<AnswerTracker> {
  let t = trackers.get(ctx.run);
  if (!t) {
    t = (async () => {
      const tracker = new AnswerTracker();
      for await (const ex of ctx.store.iterateExamples(ctx.runId, ctx.trainingType.name, {
        reviewStatus: ["approved", "pending", "needs_revision"],
      })) {
        const answer = ctx.trainingType.answerText(ex.data);
        if (answer) tracker.claim(ex.questionId, answer);
      }
      return tracker;
    })();
    trackers.set(ctx.run, t);
  }
  return t;
}

/** True when the run's answers are composed offline from the sources (the tracker applies). */
export function composedOffline(ctx: Pick<RunContext, "models">): boolean {
  return ctx.models.provider.name === "offline";
}
