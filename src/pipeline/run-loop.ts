import pLimit from "p-limit";
import { describeError, isSynthforgeError, SynthforgeError } from "../core/errors.js";
import { yieldToEventLoop } from "../core/event-loop.js";
import { newId } from "../core/ids.js";
import type { CostSnapshot, QuestionStatus, RunSummary } from "../core/types.js";
import type { CostGate } from "../models/budget.js";
import type { ClaimOptions, QuestionRow, Store } from "../storage/store.js";
import { type Budget, CANDIDATES_PER_CALL_SLOT, failureRecorder, type RunContext } from "./context.js";
import { fencedStore } from "./lease.js";
import { latestReviewNotes } from "./review-stage.js";
import { CandidateRejected, type Item, type StageList } from "./stage.js";

/** Model error codes that will not get better by trying another candidate. */
const FATAL_MODEL_CODES = new Set(["400", "401", "403", "404", "OFFLINE_NO_TASK", "OFFLINE_UNKNOWN_TASK"]);
/** Consecutive failed candidates (model errors) after which the run stops. */
const MAX_CONSECUTIVE_MODEL_FAILURES = 5;
/** Refills in a row that write nothing before the run stops for want of questions. */
const EMPTY_REFILLS = 2;
/** Extra questions written beyond what is still needed (covers expected rejections). */
const OVERSUPPLY = 0.25;

/** Stop reason of a spent cost budget (written out with the final figure when the run ends). */
const COST_STOP = "\u0000cost";

/** Default candidate budget: three candidates per example, and at least ten spare. */
export function defaultMaxCandidates(target: number): number {
  return Math.max(target * 3, target + 10);
}

/** In-memory counters a run keeps while it works (the store stays the truth). */
export interface LiveTotals {
  /** USD spent by the run's model calls (initialised from the store when the run starts or resumes). */
  costUsd: number;
}

/** Options of {@link executeRun}. */
export interface ExecuteOptions {
  stages: StageList;
  /** Call slots: the run works on {@link CANDIDATES_PER_CALL_SLOT} times as many candidates at once. */
  concurrency: number;
  budget: Budget;
  totals: LiveTotals;
  resumed: boolean;
  /**
   * Who this runner is, recorded on the leases of the candidates it works on. Default:
   * a new id per call.
   */
  owner?: string;
  /** How long a lease lasts without renewal (renewed every third of it). Default 120 000 ms. */
  leaseMs?: number;
  /**
   * True when other processes may work on the same run (`synthforge worker`): leases
   * of others are respected, and when nothing is claimable while others still hold
   * candidates the runner waits instead of writing more questions. False (a single
   * process): a resume first ends every lease left by a crashed process.
   */
  shared?: boolean;
  /** How long to wait before claiming again when others hold the remaining work. Default 500 ms. */
  pollMs?: number;
  /** The run's cost cap, reserved call by call (see {@link CostGate}). */
  gate?: CostGate;
}

const IN_PROGRESS: QuestionStatus[] = ["researched", "generated", "needs_revision"];

/** Cost figures from what was spent and how many examples were approved. */
export function costSnapshot(spentUsd: number, approved: number, target: number): CostSnapshot {
  const perApprovedUsd = approved > 0 ? spentUsd / approved : null;
  return {
    spentUsd,
    perApprovedUsd,
    projectedUsd: perApprovedUsd === null ? null : spentUsd + Math.max(0, target - approved) * perApprovedUsd,
  };
}

/**
 * The run loop: run-scoped stages once, then candidates through the item stages with
 * `concurrency` × {@link CANDIDATES_PER_CALL_SLOT} candidates in work (the model calls
 * themselves are held to `concurrency` by the context's agent runner), until exactly N are
 * approved or a budget runs out.
 *
 * Candidates are claimed from the store ({@link Store.claimQuestions}): a claim is a
 * lease, made in one transaction that counts approved and leased candidates, so at most
 * N − approved candidates are in work across every process sharing the run, and the run
 * never approves more than N. Interrupted candidates (left in an intermediate state by
 * a crash) are claimed first; a lease whose process died expires (or, for a
 * single-process resume, is ended at once) and the candidate continues where it stopped.
 */
export async function executeRun(
  ctx: RunContext,
  opts: ExecuteOptions,
): Promise<{ status: "completed" | "stopped"; stopReason: string | null }> {
  const { store } = ctx;
  const target = ctx.run.targetCount;
  const maxCandidates = opts.budget.maxCandidates ?? defaultMaxCandidates(target);
  const started = Date.now();
  const itemStages = opts.stages.itemStages();
  const owner = opts.owner ?? newId("runner");
  const leaseMs = opts.leaseMs ?? 120_000;
  const pollMs = opts.pollMs ?? 500;
  let stopReason: string | null = null;
  let consecutiveModelFailures = 0;

  if (!opts.shared) await store.releaseLeases(ctx.runId);
  opts.totals.costUsd = (await store.usage(ctx.runId)).costUsd;
  const counts = await store.countQuestions(ctx.runId);
  let approved = counts.approved;
  let candidates = Object.entries(counts)
    .filter(([s]) => s !== "pending" && s !== "skipped")
    .reduce((a, [, n]) => a + n, 0);
  let open = counts.pending + IN_PROGRESS.reduce((a, s) => a + counts[s], 0);

  const stop = (reason: string) => {
    if (!stopReason) stopReason = reason;
  };
  const budgetSpent = (): string | null => {
    if (
      opts.budget.maxUsd !== undefined &&
      (opts.totals.costUsd >= opts.budget.maxUsd || opts.gate?.exhausted)
    ) {
      return COST_STOP;
    }
    if (
      opts.budget.maxWallSeconds !== undefined &&
      (Date.now() - started) / 1000 >= opts.budget.maxWallSeconds
    ) {
      return `time budget of ${opts.budget.maxWallSeconds}s spent: ${approved} of ${target} approved`;
    }
    return null;
  };

  const runStages = async (repeatOnly: boolean, need: number) => {
    for (const stage of opts.stages.runStages()) {
      if (repeatOnly && !stage.repeatable) continue;
      ctx.need = stage.repeatable ? need : 0;
      ctx.emit({ type: "stage-started", runId: ctx.runId, stage: stage.name });
      try {
        await stage.run(ctx);
      } catch (e) {
        // Stopped while a run-scoped stage worked (a closed MCP client, Ctrl-C): the error
        // is the stop itself, and the run stays resumable.
        if (ctx.signal.aborted) {
          stop("aborted");
          return;
        }
        // A call the cost cap refused ends the run (resumable), it does not fail it.
        if (
          isSynthforgeError(e, "BUDGET_EXHAUSTED") ||
          (opts.gate?.exhausted && isSynthforgeError(e, "MODEL_ERROR"))
        ) {
          stop(COST_STOP);
          return;
        }
        throw e;
      }
      ctx.emit({ type: "stage-finished", runId: ctx.runId, stage: stage.name });
    }
  };
  const wanted = (inFlight: number) => {
    const still = target - approved - inFlight;
    return still <= 0 ? 0 : Math.max(0, still + Math.ceil(still * OVERSUPPLY) - open);
  };

  /** Run-scoped stages of a shared run run under the run's lock, against fresh counts. */
  const exclusive = async (fn: () => Promise<void>) => {
    if (!opts.shared) return fn();
    return store.withRunLock(ctx.runId, async () => {
      const run = await store.getRun(ctx.runId);
      if (run?.plan && !ctx.plan) ctx.plan = run.plan;
      const now = await store.countQuestions(ctx.runId);
      approved = now.approved;
      open = now.pending + IN_PROGRESS.reduce((a, s) => a + now[s], 0);
      await fn();
    });
  };

  /** The stop reason as reported: a spent cost budget with the run's final figure. */
  const reported = async (reason: string): Promise<string> => {
    if (reason !== COST_STOP) return reason;
    const spent = (await store.usage(ctx.runId)).costUsd;
    return `cost budget of $${opts.budget.maxUsd} reached: $${spent.toFixed(4)} spent, ${approved} of ${target} approved (raise it with --max-usd and --override on resume)`;
  };
  const spentAtStart = budgetSpent();
  if (spentAtStart) {
    return {
      status: approved >= target ? "completed" : "stopped",
      stopReason: approved >= target ? null : await reported(spentAtStart),
    };
  }
  // A worker joining a shared run that another one has already supplied with questions
  // writes none now (as in the refill below): it would hold the run's lock for a whole
  // questions pass while the others work, so workers would join one after another.
  await exclusive(() => runStages(false, opts.shared && open > 0 ? 0 : wanted(0)));

  // Candidates in work: more than the call slots, so none sits idle (see CANDIDATES_PER_CALL_SLOT).
  const candidatesAtOnce = opts.concurrency * CANDIDATES_PER_CALL_SLOT;
  const limit = pLimit(candidatesAtOnce);
  const inFlight = new Map<string, Promise<void>>();
  // How far past its quota a sub-topic may take new candidates: 0 while every sub-topic can
  // still get questions, 1 once a short one has run out, then unlimited.
  let quotaSlack = 0;
  // Refills in a row that wrote no question: two mean the sources (or the writer) have no more.
  let emptyRefills = 0;
  const supplyExhausted = () => emptyRefills >= EMPTY_REFILLS;
  // The leases this runner holds: when one is lost, work on that candidate stops at once.
  const leases = new Map<string, { abort: AbortController; expiresAt: number }>();
  const loseLease = (id: string, why: string) => {
    const l = leases.get(id);
    if (!l || l.abort.signal.aborted) return;
    ctx.logger.warn(`lease on candidate ${id} lost (${why}): its work stops`);
    l.abort.abort(new SynthforgeError("LEASE_LOST", `The lease on candidate ${id} was lost (${why}).`));
  };
  let renewing = false;
  const heartbeat = setInterval(
    () => {
      if (!leases.size || renewing) return;
      renewing = true;
      const ids = [...leases.keys()];
      const at = Date.now();
      store
        .renewLeases(ids, owner, leaseMs)
        .then(
          (held) => {
            const kept = new Set(held);
            for (const id of ids) {
              const l = leases.get(id);
              if (!l) continue;
              if (kept.has(id)) l.expiresAt = at + leaseMs;
              else loseLease(id, "it expired or another runner holds it");
            }
          },
          (e) => {
            // The renewal itself failed: a lease past its expiry is gone; the others get
            // another try at the next beat.
            for (const [id, l] of leases)
              if (l.expiresAt <= Date.now()) loseLease(id, `it could not be renewed: ${describeError(e)}`);
          },
        )
        .finally(() => {
          renewing = false;
        });
    },
    Math.max(50, Math.floor(leaseMs / 3)),
  );
  heartbeat.unref?.();

  const processItem = async (q: QuestionRow) => {
    let outcome: ItemOutcome = { kind: "aborted" };
    const abort = new AbortController();
    const stopWithRun = () => abort.abort(ctx.signal.reason);
    ctx.signal.addEventListener("abort", stopWithRun, { once: true });
    leases.set(q.id, { abort, expiresAt: Date.now() + leaseMs });
    try {
      if (ctx.signal.aborted || stopReason) return;
      try {
        outcome = await runItem(
          q,
          itemContext(ctx, { questionId: q.id, owner, leaseMs }, abort.signal),
          itemStages,
          ctx.recordFailure,
          opts.gate,
        );
      } catch (e) {
        // A write refused by the fence (a drop's, say) ends the candidate's work here.
        const lost = leaseLost(e, abort.signal);
        if (!lost) throw e;
        outcome = { kind: "lost", reason: lost };
      }
      const lost = outcome.kind === "aborted" ? leaseLost(null, abort.signal) : null;
      if (lost) outcome = { kind: "lost", reason: lost };
      if (outcome.kind === "budget") stop(COST_STOP);
    } finally {
      leases.delete(q.id);
      ctx.signal.removeEventListener("abort", stopWithRun);
      if (outcome.kind === "aborted" || outcome.kind === "budget")
        await store.releaseQuestion(q.id, owner).catch(() => undefined);
    }
    if (outcome.kind === "budget") return;
    if (outcome.kind === "lost") {
      // Another runner has the candidate now (or will): nothing of this one's was written.
      await ctx.recordFailure(q.id, "lease", `work dropped: ${outcome.reason}`).catch(() => undefined);
      return;
    }
    open--;
    if (outcome.kind === "approved") {
      approved++;
      consecutiveModelFailures = 0;
    } else if (outcome.kind === "model-error") {
      consecutiveModelFailures++;
      if (outcome.fatal) stop(`the model refused the run: ${outcome.reason}`);
      else if (consecutiveModelFailures >= MAX_CONSECUTIVE_MODEL_FAILURES)
        stop(
          `${consecutiveModelFailures} candidates in a row failed on model errors; last: ${outcome.reason}`,
        );
    } else if (outcome.kind === "dropped") {
      consecutiveModelFailures = 0;
    }
    ctx.emit({
      type: "progress",
      runId: ctx.runId,
      stage: "run",
      done: approved,
      total: target,
      cost: costSnapshot(opts.totals.costUsd, approved, target),
    });
  };

  try {
    while (!ctx.signal.aborted && !stopReason && approved < target) {
      const spent = budgetSpent();
      if (spent) {
        stop(spent);
        break;
      }
      const free = candidatesAtOnce - inFlight.size;
      if (free <= 0) {
        await Promise.race(inFlight.values());
        continue;
      }
      // New candidates (pending questions) come out of the candidate budget: never claim more than it has left.
      const budgetLeft = maxCandidates - candidates;
      const statuses = budgetLeft <= 0 ? IN_PROGRESS : [...IN_PROGRESS, "pending" as const];
      const quotas = quotaClaim(ctx, quotaSlack);
      const claimed = await store.claimQuestions(ctx.runId, {
        owner,
        leaseMs,
        limit: budgetLeft <= 0 ? free : Math.min(free, budgetLeft),
        target,
        statuses,
        ...(quotas ? { quotas } : {}),
      });
      for (const q of claimed) {
        // Already in work here (its lease lapsed and this runner claimed it back): the work
        // in flight goes on under the renewed lease; never two items for one candidate.
        if (inFlight.has(q.id)) continue;
        if (q.status === "pending") candidates++;
        const p: Promise<void> = limit(() => processItem(q)).finally(() => inFlight.delete(q.id));
        inFlight.set(q.id, p);
      }
      if (claimed.length > 0) continue;
      if (inFlight.size > 0) {
        // Nothing claimable although the exact-N gate has room: nothing is pending. When even
        // approving every candidate in work would leave the run short, write more questions
        // now instead of letting the work drain first (a single process; shared runs refill
        // under the run's lock once their own work is done).
        const short = target - approved - inFlight.size;
        if (short > 0 && !opts.shared && !supplyExhausted() && candidates < maxCandidates) {
          const before = await store.countQuestions(ctx.runId);
          await runStages(true, short + Math.ceil(short * OVERSUPPLY));
          const after = await store.countQuestions(ctx.runId);
          emptyRefills = total(after) === total(before) ? emptyRefills + 1 : 0;
          open = after.pending + IN_PROGRESS.reduce((a, s) => a + after[s], 0);
          continue;
        }
        await Promise.race(inFlight.values());
        continue;
      }
      // Nothing claimable and nothing of ours in work: look at the run as the store sees it.
      const now = await store.countQuestions(ctx.runId);
      approved = now.approved;
      open = now.pending + IN_PROGRESS.reduce((a, s) => a + now[s], 0);
      if (approved >= target) break;
      if (now.pending > 0 && candidates >= maxCandidates && open === now.pending) {
        stop(
          `candidate budget of ${maxCandidates} spent: ${approved} of ${target} approved (raise budget.maxCandidates or check the rejection reasons)`,
        );
        break;
      }
      if (now.pending > 0 && quotaSlack !== Number.POSITIVE_INFINITY && quotaClaim(ctx, quotaSlack)) {
        // Pending candidates are held back by the sub-topic quotas (nothing of this runner is
        // in work): write questions for the sub-topics still short of their quota; when that
        // yields nothing new, their shortfall moves to the other sub-topics (one more each,
        // then as many as needed).
        const before = total(now);
        if (!supplyExhausted() && candidates < maxCandidates)
          await exclusive(() => runStages(true, Math.max(1, target - approved)));
        const after = await store.countQuestions(ctx.runId);
        open = after.pending + IN_PROGRESS.reduce((a, s) => a + after[s], 0);
        if (total(after) === before) {
          emptyRefills++;
          quotaSlack = quotaSlack === 0 ? 1 : Number.POSITIVE_INFINITY;
          ctx.logger.debug(
            `sub-topic quotas: no new questions for the short sub-topics; slack now ${quotaSlack}`,
          );
        } else emptyRefills = 0;
        continue;
      }
      if (open > 0) {
        // Others hold the remaining candidates (or the exact-N gate is full): wait for them.
        await new Promise((r) => setTimeout(r, pollMs));
        continue;
      }
      if (candidates >= maxCandidates) {
        stop(
          `candidate budget of ${maxCandidates} spent: ${approved} of ${target} approved (raise budget.maxCandidates or check the rejection reasons)`,
        );
        break;
      }
      if (supplyExhausted()) {
        stop(`no new distinct questions could be written: ${approved} of ${target} approved`);
        break;
      }
      await exclusive(async () => {
        // Another process may have written questions while this one waited for the lock.
        if (!opts.shared || open === 0) await runStages(true, Math.max(1, wanted(0)));
      });
      const after = await store.countQuestions(ctx.runId);
      open = after.pending + IN_PROGRESS.reduce((a, s) => a + after[s], 0);
      emptyRefills = after.pending === 0 ? emptyRefills + 1 : 0;
    }
    // Queued candidates see the stop and return at once; running ones finish their stage.
    await Promise.allSettled([...inFlight.values()]);
  } finally {
    clearInterval(heartbeat);
  }

  if (ctx.signal.aborted) stop("aborted");
  // One figure, the final one: what the run has spent once every call has returned.
  if (stopReason) stopReason = await reported(stopReason);
  // Shared run: the others' approvals count too (a worker stopped after another one
  // completed the run must not mark it stopped from its own, older count).
  if (opts.shared) approved = (await store.countQuestions(ctx.runId)).approved;
  const status = approved >= target ? "completed" : "stopped";
  return {
    status,
    stopReason:
      status === "completed" ? null : (stopReason ?? `stopped with ${approved} of ${target} approved`),
  };
}

/**
 * The sub-topic quotas a claim honours ({@link ClaimOptions.quotas}), from the run's plan;
 * undefined without a plan or when sub-topics no longer hold anything back.
 */
function quotaClaim(ctx: RunContext, slack: number): ClaimOptions["quotas"] | undefined {
  const subs = ctx.plan?.subTopics ?? [];
  if (subs.length < 2 || slack === Number.POSITIVE_INFINITY) return undefined;
  return { bySubTopic: Object.fromEntries(subs.map((s) => [s.name, s.quota])), slack };
}

/** Questions of every status. */
function total(counts: Record<QuestionStatus, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

type ItemOutcome =
  | { kind: "approved" }
  | { kind: "dropped" }
  | { kind: "model-error"; reason: string; fatal: boolean }
  | { kind: "aborted" }
  | { kind: "lost"; reason: string }
  /** A model call was refused by the cost cap: the candidate stays as it is, for a resume. */
  | { kind: "budget" };

/**
 * The context one candidate's item stages run in: the run's, with a store whose writes
 * are fenced by the candidate's lease ({@link fencedStore}), failures recorded through it,
 * and a signal that also fires when the lease is lost.
 */
function itemContext(
  ctx: RunContext,
  lease: { questionId: string; owner: string; leaseMs: number },
  signal: AbortSignal,
): RunContext {
  const store = fencedStore(ctx.store, lease);
  return Object.create(ctx, {
    store: { value: store },
    signal: { value: signal },
    recordFailure: { value: failureRecorder(store, ctx.runId, (e) => ctx.emit(e)) },
  }) as RunContext;
}

/** Moves one candidate through the item stages, including the bounded revise loop. */
async function runItem(
  q: QuestionRow,
  ctx: RunContext,
  stages: ReturnType<StageList["itemStages"]>,
  /** Records why a candidate this runner has already finished (rejected) was dropped. */
  recordFinished: RunContext["recordFailure"],
  gate?: CostGate,
): Promise<ItemOutcome> {
  const item: Item = {
    question: q,
    example:
      q.status === "pending" || q.status === "researched"
        ? null
        : await ctx.store.getExampleByQuestion(ctx.trainingType.name, q.id),
    round: q.revisions,
    revisionNotes: [],
  };
  const reviseFrom = Math.max(0, stages.findIndex((s) => s.marks === "researched") + 1);
  let start = resumeIndex(q.status, stages);
  if (q.status === "needs_revision") {
    item.revisionNotes = await latestReviewNotes(ctx, item);
    start = -1; // decide below whether another round is allowed
  }
  let stageName = stages[Math.max(0, start)]?.name ?? "review";
  try {
    for (;;) {
      if (start >= 0) {
        for (const stage of stages.slice(start)) {
          // Let the event loop turn between stages (see core/event-loop.ts).
          await yieldToEventLoop();
          if (ctx.signal.aborted) return { kind: "aborted" };
          stageName = stage.name;
          await stage.run(item, ctx);
        }
      }
      if (item.question.status !== "needs_revision") break;
      if (item.round >= ctx.review.maxRevisions) {
        const score = item.example?.qualityScore ?? 0;
        await dropItem(
          item,
          ctx,
          "review",
          `still below ${ctx.review.approveAt} after ${item.round} revision(s) (score ${score}): ${item.revisionNotes.join("; ")}`,
          null,
          "rejected",
        );
        return { kind: "dropped" };
      }
      item.round++;
      start = reviseFrom;
    }
  } catch (e) {
    const lost = leaseLost(e, ctx.signal);
    if (lost) return { kind: "lost", reason: lost };
    if (isSynthforgeError(e, "BUDGET_EXHAUSTED") || (gate?.exhausted && isSynthforgeError(e, "MODEL_ERROR")))
      return { kind: "budget" };
    if (e instanceof CandidateRejected) {
      await dropItem(item, ctx, stageName, e.reason, e.rawOutput, e.status);
      return { kind: "dropped" };
    }
    if (isSynthforgeError(e, "ABORTED") || ctx.signal.aborted) return { kind: "aborted" };
    if (isSynthforgeError(e, "QUOTA_FULL")) {
      // It passed review, but other runners filled the run meanwhile (its lease had lapsed
      // while it was being reviewed): a surplus candidate, kept out of the data.
      await dropItem(item, ctx, stageName, `surplus: ${e.message}`, null, "skipped");
      return { kind: "dropped" };
    }
    const reason = describeError(e);
    await dropItem(
      item,
      ctx,
      stageName,
      reason,
      isSynthforgeError(e) && typeof e.details?.raw === "string" ? e.details.raw : null,
      "failed",
    );
    if (isSynthforgeError(e, "MODEL_ERROR")) {
      const code = String(e.details?.errorCode ?? "");
      return { kind: "model-error", reason, fatal: FATAL_MODEL_CODES.has(code) };
    }
    return { kind: "dropped" };
  }
  if (item.question.status === "approved") return { kind: "approved" };
  if (item.question.status === "rejected") {
    // The fenced review write made the candidate terminal (and ended its lease): its
    // reason is written after it, unfenced, since no runner can claim it any more.
    const score = item.example?.qualityScore ?? 0;
    await recordFinished(
      item.question.id,
      "review",
      `rejected by review: score ${score} < ${ctx.review.rejectBelow}: ${item.revisionNotes.join("; ")}`,
    );
  }
  return { kind: "dropped" };
}

/** Why a candidate's work stopped for a lost lease (the error, or the item signal's reason), or null. */
function leaseLost(e: unknown, signal: AbortSignal): string | null {
  if (isSynthforgeError(e, "LEASE_LOST")) return e.message;
  if (signal.aborted && isSynthforgeError(signal.reason, "LEASE_LOST")) return signal.reason.message;
  return null;
}

/** Where a candidate in `status` continues: after the last stage that marks it. */
function resumeIndex(status: QuestionStatus, stages: ReturnType<StageList["itemStages"]>): number {
  if (status === "pending") return 0;
  let idx = -1;
  stages.forEach((s, i) => {
    if (s.marks === status) idx = i;
  });
  return idx + 1;
}

/**
 * Drops a candidate: one transaction marks it (and its example) and writes the failures
 * row that says why, so a crash can never leave a dropped candidate without its reason.
 */
async function dropItem(
  item: Item,
  ctx: RunContext,
  stage: string,
  reason: string,
  raw: string | null,
  status: "rejected" | "failed" | "skipped",
): Promise<void> {
  const store: Store = ctx.store;
  await store.transaction(async (tx) => {
    await tx.updateQuestion(item.question.id, { status });
    if (item.example)
      await tx.updateExample(ctx.trainingType.name, item.example.id, { reviewStatus: "rejected" });
    await tx.insertFailure({
      id: newId("fail"),
      runId: ctx.runId,
      questionId: item.question.id,
      stage,
      reason,
      rawOutput: raw,
      attempt: 1,
    });
  });
  item.question.status = status;
  ctx.emit({ type: "failure", runId: ctx.runId, questionId: item.question.id, stage, reason });
  ctx.emit({ type: "item", runId: ctx.runId, questionId: item.question.id, status, stage });
}

/**
 * The summary key of a drop reason: its first clause, with the review score prefix,
 * numbers and ids folded, e.g. "rejected by review: score 0 < 0.6: a near duplicate of
 * example ex_…, approved …" → "a near duplicate of example #".
 */
export function dropReasonKey(reason: string): string {
  const body = reason
    .replace(/^rejected by review: score [\d.]+ < [\d.]+: /, "")
    // An agent's name ("generation_sft: …") is not the reason; a finish reason "(SAFETY)" is part of it.
    .replace(/^(?:orchestrator|question|research|generation|reviewer)_\w+: /, "");
  const clause = body.split(/[:;,]|\((?![A-Z][A-Z_]*\))/)[0] ?? body;
  return clause
    .replace(/\b[a-z]+_[0-9a-f]{8,}\b/g, "#")
    .replace(/\d+(?:\.\d+)?/g, "#")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 80);
}

/** Groups the final reason of each dropped candidate for the summary. */
export async function dropReasons(store: Store, runId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const r of await store.dropReasonCounts(runId)) {
    const key = `${r.stage}: ${dropReasonKey(r.reason)}`;
    out[key] = (out[key] ?? 0) + r.n;
  }
  return out;
}

/** Builds the summary of a run from the store. */
export async function buildSummary(
  store: Store,
  runId: string,
  extra: { durationMs: number },
): Promise<RunSummary> {
  const run = (await store.getRun(runId))!;
  const q = await store.countQuestions(runId);
  const usage = await store.usage(runId);
  return {
    runId,
    status: run.status,
    stopReason: run.stopReason,
    trainingType: run.trainingType,
    topic: run.topic,
    counts: {
      target: run.targetCount,
      approved: q.approved,
      needsRevision: q.needs_revision,
      rejected: q.rejected,
      failed: q.failed,
      candidates: Object.entries(q)
        .filter(([s]) => s !== "pending" && s !== "skipped")
        .reduce((a, [, n]) => a + n, 0),
    },
    usage,
    durationMs: extra.durationMs,
    provider: run.provider,
    storage: store.location,
    dropReasons: await dropReasons(store, runId),
    cost: costSnapshot(usage.costUsd, q.approved, run.targetCount),
    cachedCalls: await store.countCachedCalls(runId),
    callsPerApproved: q.approved > 0 ? usage.calls / q.approved : null,
    ...(run.plan?.subTopics.length
      ? { subTopics: await subTopicCounts(store, runId, run.plan.subTopics) }
      : {}),
  };
}

/** Approved examples per sub-topic of the plan, beside its quota. */
export async function subTopicCounts(
  store: Store,
  runId: string,
  subTopics: Array<{ name: string; quota: number }>,
): Promise<NonNullable<RunSummary["subTopics"]>> {
  const approved = new Map<string, number>();
  for (const q of await store.listQuestionKeys(runId))
    if (q.status === "approved") approved.set(q.subTopic, (approved.get(q.subTopic) ?? 0) + 1);
  return subTopics.map((s) => ({ name: s.name, quota: s.quota, approved: approved.get(s.name) ?? 0 }));
}
