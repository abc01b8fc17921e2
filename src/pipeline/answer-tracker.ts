import { normaliseForHash, sentences } from "../core/text.js";
import { sentenceKey, withoutStepNumbers } from "../training-types/compose.js";
import type { RunContext } from "./context.js";

/** Characters of an answer compared to tell whether two answers open alike. */
export const OPENING_CHARS = 120;

/** Statuses of a candidate whose answer no longer counts: its sentences are free again. */
const DROPPED = new Set(["rejected", "failed", "skipped"]);

/**
 * What one question's answer uses. Openings and sentences are kept as 53-bit hashes of
 * their normalised text ({@link textHash}), not the text: a run of 10,000 answers would
 * otherwise hold every sentence of every answer (issue 15).
 */
interface Claim {
  /** Hash of the normalised first {@link OPENING_CHARS} characters of the answer (null: empty answer). */
  head: number | null;
  /** Hash of its first sentence's key (null: no sentence). */
  opening: number | null;
  /** Hashes of all its sentences' keys. */
  sentences: number[];
  /**
   * The candidate's question row as the run works on it (its status tells whether it was
   * dropped), while the candidate is open; once approved the claim is for good and the
   * row is let go.
   */
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
  /**
   * Questions whose answers hold each sentence (by key hash), and open with it: one id
   * alone as a string (most sentences have one holder), a set when more share it.
   */
  private readonly holders = new Map<number, Holders>();
  private readonly openers = new Map<number, Holders>();
  private readonly heads = new Map<number, string>();
  /** Questions whose claim still holds their row (not yet approved or dropped). */
  private readonly open = new Set<string>();
  /** Size of {@link open} above which it is swept (twice its size after the last sweep). */
  private sweepAt = 64;

  /** Sentences of `passages` that the answers of other questions use (openings, and all). */
  usedIn(
    questionId: string,
    passages: ReadonlyArray<{ text: string }>,
  ): { openings: string[]; sentences: string[] } {
    const openings: string[] = [];
    const used: string[] = [];
    const seen = new Set<number>();
    for (const p of passages) {
      for (const s of sentences(p.text)) {
        const key = textHash(sentenceKey(s));
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
    const text = headOf(prose);
    const head = text ? textHash(text) : null;
    const holder = head !== null ? this.heads.get(head) : undefined;
    if (holder && holder !== questionId && this.alive(holder)) return holder;
    this.release(questionId);
    const keys = sentences(prose).map((s) => sentenceKey(s));
    const claim: Claim = {
      head,
      opening: keys[0] ? textHash(keys[0]) : null,
      sentences: [...new Set(keys.filter((k) => k).map(textHash))],
      ...(question && question.status !== "approved" ? { question } : {}),
    };
    this.claims.set(questionId, claim);
    if (head !== null) this.heads.set(head, questionId);
    if (claim.opening !== null) add(this.openers, claim.opening, questionId);
    for (const k of claim.sentences) add(this.holders, k, questionId);
    if (claim.question) {
      this.open.add(questionId);
      if (this.open.size > this.sweepAt) this.sweep();
    }
    return null;
  }

  /** Settles the open claims whose candidates were approved (kept, row let go) or dropped (released). */
  private sweep(): void {
    for (const id of [...this.open]) {
      const claim = this.claims.get(id);
      if (!claim?.question) this.open.delete(id);
      else if (claim.question.status === "approved") {
        delete claim.question;
        this.open.delete(id);
      } else this.alive(id);
    }
    this.sweepAt = Math.max(64, 2 * this.open.size);
  }

  /** Forgets the answer of `questionId`. */
  release(questionId: string): void {
    const old = this.claims.get(questionId);
    if (!old) return;
    this.claims.delete(questionId);
    this.open.delete(questionId);
    if (old.head !== null && this.heads.get(old.head) === questionId) this.heads.delete(old.head);
    if (old.opening !== null) remove(this.openers, old.opening, questionId);
    for (const k of old.sentences) remove(this.holders, k, questionId);
  }

  /** True when a question other than `self` in `ids` holds an answer that still counts (dropped ones are released). */
  private others(ids: Holders | undefined, self: string): boolean {
    if (!ids) return false;
    if (typeof ids === "string") return ids !== self && this.alive(ids);
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

/**
 * A 53-bit hash of a string (cyrb53, public domain): sentences and openings are told apart
 * by it. Two different sentences share one with odds of about 1 in 10^11 at a run's
 * hundred thousand sentences.
 */
export function textHash(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** The questions holding one sentence: an id alone, or a set of two or more. */
type Holders = string | Set<string>;

function add<K>(map: Map<K, Holders>, key: K, id: string): void {
  const held = map.get(key);
  if (held === undefined || held === id) map.set(key, id);
  else if (typeof held === "string") map.set(key, new Set([held, id]));
  else held.add(id);
}

function remove<K>(map: Map<K, Holders>, key: K, id: string): void {
  const held = map.get(key);
  if (held === undefined) return;
  if (typeof held === "string") {
    if (held === id) map.delete(key);
    return;
  }
  held.delete(id);
  if (held.size === 1) map.set(key, held.values().next().value as string);
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
