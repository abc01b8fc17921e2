import pLimit from "p-limit";
import { type AgentResult, type AgentTask, runAgentTask } from "../agents/agent-task.js";
import { isSynthforgeError, type SynthforgeError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import type { Logger } from "../core/logger.js";
import type { PipelineEvent, Plan } from "../core/types.js";
import { CacheSession } from "../models/cache.js";
import type { UsageSink } from "../models/middleware.js";
import type { ModelRouter } from "../models/router.js";
import type { LicencePolicy } from "../sources/licence.js";
import type { SourceAdapter } from "../sources/types.js";
import type { RunRow, Store } from "../storage/store.js";
import type { TrainingType } from "../training-types/types.js";
import type { Registry } from "./registry.js";

/** Review thresholds and the revise loop bound. */
export interface ReviewConfig {
  /** Scores at or above are approved. Default 0.8. */
  approveAt: number;
  /** Scores below are rejected. Default 0.6. */
  rejectBelow: number;
  /** Revision rounds before a candidate still below `approveAt` is rejected. Default 2. */
  maxRevisions: number;
}

/** Budgets of a run; the run stops and says which one ran out. */
export interface Budget {
  /** Candidates (questions taken into work) the run may spend. Default max(3N, N + 10). */
  maxCandidates?: number;
  /** Model spend in USD. */
  maxUsd?: number;
  /** Wall-clock seconds. */
  maxWallSeconds?: number;
}

/** What every stage gets (DESIGN §3.1). */
export interface RunContext {
  runId: string;
  run: RunRow;
  /** The plan, once the plan stage has made it. */
  plan: Plan | null;
  store: Store;
  models: ModelRouter;
  sources: SourceAdapter[];
  licencePolicy: LicencePolicy;
  trainingType: TrainingType;
  /** The pipeline's registry: its training types, sources and verifiers. */
  registry: Registry;
  review: ReviewConfig;
  logger: Logger;
  signal: AbortSignal;
  /** For repeatable run stages: how many more questions the run wants now. */
  need: number;
  /**
   * Model calls the run makes at once (its call slots, shared by every stage); the run works
   * on twice as many candidates, so that a candidate
   * between two calls (reviewing, researching, waiting to share a call) does not leave a
   * slot idle. Default 8.
   */
  concurrency?: number;
  emit(event: PipelineEvent): void;
  /** Runs an agent task with this run's models and metering. */
  agent<I, O>(task: AgentTask<I, O>, input: I): Promise<AgentResult<O>>;
  /** Records a `failures` row. */
  recordFailure(
    questionId: string | null,
    stage: string,
    reason: string,
    rawOutput?: string | null,
    attempt?: number,
  ): Promise<void>;
}

/**
 * Candidates a run works on per call slot ({@link RunContext.concurrency}). Each candidate
 * spends part of its time between model calls (its own checks and writes, and up to
 * `synthesisWaitMs` waiting for others to share a research synthesis); with three per slot
 * the slots stay busy (measured in `npm run bench:throughput`: at C = 16 a run took 24.5 s
 * on average with three against 26.7 s with two).
 */
export const CANDIDATES_PER_CALL_SLOT = 3;

/**
 * Builds the context's agent runner and failure recorder over a store. The runner makes at
 * most `callSlots` model calls at once (default: no limit beyond the models' own).
 */
export function contextHelpers(opts: {
  runId: string;
  store: Store;
  models: ModelRouter;
  sink: UsageSink;
  signal: AbortSignal;
  emit: (e: PipelineEvent) => void;
  callSlots?: number;
}): Pick<RunContext, "agent" | "recordFailure"> {
  const limit = opts.callSlots ? pLimit(opts.callSlots) : null;
  const slot = <T>(f: () => Promise<T>): Promise<T> => (limit ? limit(f) : f());
  return {
    agent: (task, input) =>
      slot(() =>
        runAgentTask(task, input, {
          models: opts.models,
          runId: opts.runId,
          sink: opts.sink,
          signal: opts.signal,
        }),
      ),
    recordFailure: failureRecorder(opts.store, opts.runId, opts.emit),
  };
}

/** `recordFailure` writing to `store` (the run's, or one candidate's fenced store). */
export function failureRecorder(
  store: Store,
  runId: string,
  emit: (e: PipelineEvent) => void,
): RunContext["recordFailure"] {
  return async (questionId, stage, reason, rawOutput = null, attempt = 1) => {
    await store.insertFailure({ id: newId("fail"), runId, questionId, stage, reason, rawOutput, attempt });
    emit({ type: "failure", runId, questionId, stage, reason });
  };
}

/**
 * Runs a run-scoped agent task (no candidate of its own), asking again while it has no
 * valid output: a reply that is not JSON or not the schema, and one the model's filters
 * blocked (e.g. `SAFETY`) or that came back empty. Each such attempt is recorded in
 * `failures` under `stage`, with the attempt and the raw output (or, for a blocked or
 * empty reply, the finish reason in the reason); every attempt is a model call of its
 * own, metered like any other. After `attempts` the last error is thrown
 * (`MODEL_OUTPUT_INVALID`). Any other error is thrown at once.
 */
export async function agentUntilValid<I, O>(
  ctx: Pick<RunContext, "agent" | "recordFailure">,
  task: AgentTask<I, O>,
  input: I,
  stage: string,
  attempts: number,
): Promise<AgentResult<O>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.agent(task, input);
    } catch (e) {
      if (!isSynthforgeError(e, "MODEL_OUTPUT_INVALID")) throw e;
      await ctx.recordFailure(null, stage, invalidOutputReason(e), invalidOutputRaw(e), attempt);
      if (attempt >= attempts) throw e;
    }
  }
}

/**
 * The `failures` reason of one invalid output (`MODEL_OUTPUT_INVALID`): a blocked or empty
 * reply as it is ("question_writer: the model's reply was blocked (SAFETY)."), anything
 * else as `invalid model output: …`.
 */
export function invalidOutputReason(e: SynthforgeError): string {
  return typeof e.details?.finishReason === "string" ? e.message : `invalid model output: ${e.message}`;
}

/** The raw model output an invalid output carried (null for a blocked or empty reply). */
export function invalidOutputRaw(e: SynthforgeError): string | null {
  return typeof e.details?.raw === "string" ? e.details.raw : null;
}

/**
 * A run's response cache over the store: the n-th identical request of the run gets the
 * n-th answer ever paid for it (see {@link CacheSession}).
 */
export function responseCache(store: Store, enabled = true): CacheSession {
  return new CacheSession(
    { lookup: (hash, occurrence) => store.cachedLlmResponseAt(hash, occurrence) },
    enabled,
  );
}
