import { setMaxListeners } from "node:events";
import { runAgentTask } from "../agents/agent-task.js";
import type { LicencePolicyConfig } from "../core/config.js";
import { describeError, SynthforgeError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import { type Logger, silentLogger } from "../core/logger.js";
import type { AgentRole, PipelineEvent, RunSummary, TrainingTypeName } from "../core/types.js";
import { type ExportOptions, type ExportResult, exportRun, findRun } from "../export/export.js";
import { CostGate } from "../models/budget.js";
import type { LlmCallRecord, UsageSink } from "../models/middleware.js";
import { offlineProvider } from "../models/offline.js";
import { ModelRouter } from "../models/router.js";
import { corpusSource } from "../sources/corpus.js";
import { licencePolicy } from "../sources/licence.js";
import type { SourceAdapter } from "../sources/types.js";
import type { RunRow, Store } from "../storage/store.js";
import { isTransientDbError } from "../storage/transient.js";
import { type BatchOptions, BatchRunner } from "./batch.js";
import {
  type Budget,
  CANDIDATES_PER_CALL_SLOT,
  contextHelpers,
  type ReviewConfig,
  type RunContext,
  responseCache,
} from "./context.js";
import { EventChannel } from "./events.js";
import { generateStage } from "./generate-stage.js";
import {
  type ClarifyFn,
  checkFeasible,
  intakeWith,
  planStage,
  type RunIntakeRecord,
  type RunRequest,
  resolveSpec,
} from "./plan-stage.js";
import { questionStage } from "./question-stage.js";
import { processRegistry, type Registry } from "./registry.js";
import { type ResearchOptions, researchStage } from "./research-stage.js";
import { type ReviewStageOptions, reviewStage } from "./review-stage.js";
import { buildSummary, executeRun, type LiveTotals } from "./run-loop.js";
import { adoptSearches, SearchCache } from "./search-cache.js";
import { StageList } from "./stage.js";

/** Options of {@link defaultStages}: settings of the default stages that a config file can set. */
export interface DefaultStagesOptions {
  /** Options of the review stage (dedup scope, benchmark files to decontaminate against...). */
  review?: ReviewStageOptions;
  /** Options of the research stage (domain → sources table, passages per question...); the questions stage reads the same research. */
  research?: ResearchOptions;
}

/** The default stages: plan, questions (run-scoped); research, generate, review (item-scoped). */
export function defaultStages(opts: DefaultStagesOptions = {}): StageList {
  return new StageList([
    planStage(),
    questionStage(opts.research),
    researchStage(opts.research),
    generateStage(),
    reviewStage(opts.review),
  ]);
}

/** Default review thresholds (DESIGN §2). */
export const DEFAULT_REVIEW: ReviewConfig = { approveAt: 0.8, rejectBelow: 0.6, maxRevisions: 2 };

/** Options of {@link createPipeline}. */
export interface PipelineOptions {
  /** Where everything is stored: {@link sqliteStore}, {@link postgresStore} or your own {@link Store}. */
  storage: Store;
  /** Model routing. Default: {@link offlineModels}. */
  models?: ModelRouter;
  /** Per-agent model override, applied on top of `models` (e.g. `{ generation: "gemini-2.5-pro" }`). */
  agentModels?: Partial<Record<AgentRole, string>>;
  /** Research sources. Default: the bundled corpus. */
  sources?: SourceAdapter[];
  /** The stages. Default: {@link defaultStages}. */
  stages?: StageList;
  /**
   * The training types, sources and verifiers this pipeline knows. Default
   * {@link processRegistry} (the built-ins and what was registered process-wide); give a
   * {@link createRegistry} of its own to keep registrations to this pipeline.
   */
  registry?: Registry;
  /**
   * Model calls made at once. The run works on three times as many candidates, so a candidate
   * being reviewed or researched between its calls leaves no call slot idle. Default 8.
   */
  concurrency?: number;
  budget?: Budget;
  review?: Partial<ReviewConfig>;
  /** Which source licences research may use. Default `permissive`. */
  licencePolicy?: LicencePolicyConfig;
  /**
   * Options of training types, by type name, recorded in the run's config, e.g.
   * `{ kto: { desirableRatio: 0.6 } }` (the desirable share of KTO examples, or `"3:2"`).
   */
  typeOptions?: Partial<Record<TrainingTypeName, Record<string, unknown>>>;
  logger?: Logger;
  /**
   * The response cache (DESIGN §3.3): a request already paid for is answered from
   * `llm_calls` (recorded with `cached: true`, at no cost), so rerunning an unchanged plan
   * makes no paid calls. Default: on for paid providers, off otherwise. `--no-cache` sets false.
   */
  cache?: boolean;
  /**
   * Sends generation and review calls through the Gemini Batch API (`--batch`): half the
   * price, much slower; jobs are recorded in `llm_batches` and collected again after a
   * restart. `true` takes the defaults.
   */
  batch?: boolean | BatchOptions;
  /**
   * What a host needs to rebuild this pipeline for a run (the CLI stores its config with
   * the flags applied): stored with each new run as `runs.config.settings`, so that a
   * resume or a worker continues the run as it was made. Never put secrets here.
   */
  settings?: Record<string, unknown>;
}

/** Options of one run. */
export interface RunOptions {
  /** Asked when the request leaves out the count, the training type or the topic. */
  clarify?: ClarifyFn;
  /** Allow counts over 1,000,000. */
  force?: boolean;
  /** Aborts the run; it stops after the candidates in flight and can be resumed. */
  signal?: AbortSignal;
}

/** Options of {@link Pipeline.resume}. */
export interface ResumeOptions {
  /** Aborts the run; it stops after the candidates in flight and can be resumed. */
  signal?: AbortSignal;
  /**
   * Other processes work on the same run (`synthforge worker`): their candidate leases
   * are respected and run-scoped stages take the run's lock. Default false: the resuming
   * process is the only one, and leases left by a crashed process are ended at once.
   */
  shared?: boolean;
  /** Lease owner id of this process (workers pass theirs). */
  owner?: string;
  /** Candidate lease length in ms (see `executeRun`). */
  leaseMs?: number;
}

/** A run in progress. */
export interface PipelineRun {
  /** The run's id, once the request is understood and the run is stored. */
  runId: Promise<string>;
  /** Live events (plan, stages, items, failures, progress, finish). */
  events: AsyncIterable<PipelineEvent>;
  /** The final summary. Rejects with a {@link SynthforgeError} when the run cannot start. */
  done: Promise<RunSummary>;
  /** Subscribes to events; returns an unsubscribe function. */
  on(listener: (event: PipelineEvent) => void): () => void;
}

/** The pipeline (DESIGN §3.1). */
export interface Pipeline {
  /** Starts a run for a request such as "Generate 50 SFT examples about organic chemistry". */
  run(request: RunRequest, opts?: RunOptions): PipelineRun;
  /** Continues a stopped or interrupted run where it stopped. */
  resume(runId: string, opts?: ResumeOptions): PipelineRun;
  /**
   * Understands a request and stores its run without working on it (status `planning`),
   * for `synthforge submit`: workers then take it up with {@link resume}.
   */
  create(request: RunRequest, opts?: Omit<RunOptions, "signal">): Promise<RunRow>;
  /** Writes a run's approved examples in a trainer format. `runId` may be `latest`. */
  export(runId: string, opts: ExportOptions): Promise<ExportResult>;
  readonly store: Store;
  readonly models: ModelRouter;
  readonly stages: StageList;
  /** Closes the sources that hold something open (MCP servers), then the store. */
  close(): Promise<void>;
}

/**
 * Creates a pipeline. Everything has an offline default except storage:
 *
 * ```ts
 * const pipeline = createPipeline({ storage: sqliteStore({ path: "synthforge.db" }) });
 * const run = pipeline.run("Generate 10 SFT examples about organic chemistry");
 * for await (const e of run.events) console.log(e.type);
 * const summary = await run.done;
 * await pipeline.export(summary.runId, { format: "trl-sft-messages", out: "train.jsonl" });
 * ```
 */
export function createPipeline(options: PipelineOptions): Pipeline {
  const store = options.storage;
  const baseModels = options.models ?? new ModelRouter({ provider: offlineProvider() });
  const models = options.agentModels ? baseModels.withModels(options.agentModels) : baseModels;
  const sources = options.sources ?? [corpusSource()];
  const stages = options.stages ?? defaultStages();
  const registry = options.registry ?? processRegistry;
  const concurrency = options.concurrency ?? 8;
  const review: ReviewConfig = { ...DEFAULT_REVIEW, ...options.review };
  const policy = licencePolicy(options.licencePolicy);
  const logger = options.logger ?? silentLogger;
  if (review.rejectBelow > review.approveAt) {
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `review.rejectBelow (${review.rejectBelow}) must not be above review.approveAt (${review.approveAt}).`,
    );
  }
  const typeOptions = options.typeOptions ?? {};
  for (const [name, value] of Object.entries(typeOptions)) {
    const policy = registry.trainingType(name).generation.options;
    if (!policy)
      throw new SynthforgeError("CONFIG_INVALID", `The ${name} training type takes no typeOptions.`);
    policy.parse(value);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `concurrency must be a positive whole number, got ${concurrency}.`,
    );
  }
  let initialised: Promise<void> | null = null;
  const ready = () => {
    initialised ??= store.init();
    return initialised;
  };

  const batchOptions: BatchOptions | null =
    options.batch === true ? {} : options.batch ? options.batch : null;
  if (batchOptions && !models.provider.batchClient) {
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `--batch needs a provider with a batch API (Gemini); the ${models.provider.name} provider has none.`,
    );
  }
  if (batchOptions && options.cache === false) {
    throw new SynthforgeError(
      "INVALID_REQUEST",
      "batch cannot be used with cache: false: Batch API answers reach the run through the response cache; drop one of the two.",
    );
  }

  /**
   * The models of one run: the response cache (on for paid providers unless turned off;
   * always on with --batch, which relies on it), and the Gemini Batch API runner. Jobs a
   * killed process left open are collected first, whether or not this run uses --batch.
   */
  const engineFor = async (runId: string, signal: AbortSignal) => {
    const client = models.provider.batchClient?.();
    let runner: BatchRunner | null = null;
    if (client) {
      runner = new BatchRunner(store, client, {
        ...batchOptions,
        runId,
        provider: models.provider.name,
        ...(models.priceTable ? { prices: models.priceTable } : {}),
        logger,
        signal,
      });
      await runner.recover();
    }
    const cache = batchOptions !== null || (options.cache ?? models.provider.paid);
    const runModels = models.withCallDefaults({
      ...(cache ? { cache: responseCache(store) } : {}),
      ...(batchOptions && runner ? { batch: runner } : {}),
    });
    return {
      models: runModels,
      close: () => runner?.close(),
    };
  };

  const makeSink =
    (totals: LiveTotals): UsageSink =>
    async (rec) => {
      totals.costUsd += rec.costUsd;
      await store.recordLlmCall({ id: newId("call"), ...rec });
    };

  const start = (
    prepare: (helpers: {
      emit: (e: PipelineEvent) => void;
      signal: AbortSignal;
      totals: LiveTotals;
    }) => Promise<{ run: RunRow; resumed: boolean }>,
    signal?: AbortSignal,
    shared: Pick<ResumeOptions, "shared" | "owner" | "leaseMs"> = {},
  ): PipelineRun => {
    const channel = new EventChannel<PipelineEvent>();
    const controller = new AbortController();
    // Every candidate in flight listens on the run's signal (and removes its listener when
    // done): more than Node's default of 10 is expected, not a leak to warn about.
    setMaxListeners(concurrency * CANDIDATES_PER_CALL_SLOT + 16, controller.signal);
    if (signal) {
      if (signal.aborted) controller.abort();
      else signal.addEventListener("abort", () => controller.abort(), { once: true });
    }
    const emit = (e: PipelineEvent) => channel.push(e);
    const totals: LiveTotals = { costUsd: 0 };
    let resolveId!: (id: string) => void;
    let rejectId!: (e: unknown) => void;
    const runId = new Promise<string>((res, rej) => {
      resolveId = res;
      rejectId = rej;
    });
    const done = (async () => {
      const startedAt = Date.now();
      let runRow: RunRow | null = null;
      try {
        await ready();
        const { run, resumed } = await prepare({ emit, signal: controller.signal, totals });
        runRow = run;
        resolveId(run.id);
        emit({ type: "run-started", runId: run.id, resumed });
        const trainingType = registry.trainingType(run.trainingType);
        const sink = makeSink(totals);
        const engine = await engineFor(run.id, controller.signal);
        // A resumed run keeps the budgets it was made with unless the host gives others.
        const budget: Budget = options.budget ?? (resumed ? storedBudget(run) : {});
        const gate = new CostGate(budget.maxUsd, () => totals.costUsd);
        const runModels = engine.models.withCallDefaults({ gate });
        const ctx: RunContext = {
          runId: run.id,
          run,
          plan: run.plan,
          store,
          models: runModels,
          sources,
          licencePolicy: policy,
          trainingType,
          registry,
          review,
          logger,
          signal: controller.signal,
          need: 0,
          concurrency,
          emit,
          ...contextHelpers({
            runId: run.id,
            store,
            models: runModels,
            sink,
            signal: controller.signal,
            emit,
            callSlots: concurrency,
          }),
        };
        await store.updateRun(run.id, { status: "running", stopReason: null, finishedAt: null });
        const { status, stopReason } = await executeRun(ctx, {
          stages,
          concurrency,
          budget,
          gate,
          totals,
          resumed,
          ...(shared.shared ? { shared: true } : {}),
          ...(shared.owner ? { owner: shared.owner } : {}),
          ...(shared.leaseMs ? { leaseMs: shared.leaseMs } : {}),
        }).finally(() => engine.close());
        await store.updateRun(run.id, { status, stopReason, finishedAt: new Date() });
        const summary = await buildSummary(store, run.id, { durationMs: Date.now() - startedAt });
        emit({ type: "run-finished", runId: run.id, summary });
        return summary;
      } catch (e) {
        rejectId(e);
        // A worker of a shared run that lost its database connection for a while leaves the
        // run to the others (its job is retried; its leases lapse): the run has not failed.
        const othersCarryOn = shared.shared === true && !controller.signal.aborted && isTransientDbError(e);
        if (runRow && !othersCarryOn) {
          await store
            .updateRun(runRow.id, {
              // Stopped on purpose before the run loop took over: resumable, not failed.
              status: controller.signal.aborted ? "stopped" : "failed",
              stopReason: controller.signal.aborted ? "aborted" : describeError(e),
              finishedAt: new Date(),
            })
            .catch(() => undefined);
        }
        throw e;
      } finally {
        channel.close();
      }
    })();
    // Callers may await only one of these; never leave the other as an unhandled rejection.
    runId.catch(() => undefined);
    done.catch(() => undefined);
    return { runId, done, events: channel, on: (l) => channel.subscribe(l) };
  };

  return {
    store,
    models,
    stages,
    run(request, opts = {}) {
      return start(
        async ({ signal, totals }) => ({
          run: await createRun(request, opts, signal, totals),
          resumed: false,
        }),
        opts.signal,
      );
    },
    async create(request, opts = {}) {
      await ready();
      return createRun(request, opts, new AbortController().signal, { costUsd: 0 });
    },
    resume(id, opts = {}) {
      return start(
        async () => {
          const run = await findRun(store, id);
          return { run, resumed: true };
        },
        opts.signal,
        opts,
      );
    },
    async export(runId, opts) {
      await ready();
      return exportRun(store, runId, { registry, ...opts });
    },
    close: async () => {
      // Sources first (an MCP source stops its server), then the store; one failing never keeps the other open.
      await Promise.allSettled(sources.map((s) => s.close?.()));
      await store.close();
    },
  };

  /** Understands a request and stores its run (status `planning`). */
  async function createRun(
    request: RunRequest,
    opts: RunOptions,
    signal: AbortSignal,
    totals: LiveTotals,
  ): Promise<RunRow> {
    // The intake call happens before the run exists: it is metered under the run once the
    // run is stored (with run_id null when the request is refused).
    const intakeCalls: LlmCallRecord[] = [];
    const sink: UsageSink = (rec) => {
      totals.costUsd += rec.costUsd;
      intakeCalls.push(rec);
    };
    const meterIntake = async (runId: string | null) => {
      for (const rec of intakeCalls.splice(0))
        await store.recordLlmCall({ id: newId("call"), ...rec, runId });
    };
    let resolved: Awaited<ReturnType<typeof resolveSpec>>;
    let feasible: Awaited<ReturnType<typeof checkFeasible>>;
    // The run's source searches: what the check of the material looked at serves the plan and research.
    const searches = new SearchCache();
    try {
      resolved = await resolveSpec(request, {
        ...(opts.clarify ? { clarify: opts.clarify } : {}),
        force: opts.force ?? false,
        trainingTypes: registry.trainingTypeNames(),
        intake: intakeWith(
          { agent: (task, input) => runAgentTask(task, input, { models, runId: null, sink, signal }) },
          registry.trainingTypes(),
        ),
      });
      registry.trainingType(resolved.spec.trainingType);
      // Offline: a language other than English, or a topic the sources hold nothing on, stops here (no run is made).
      feasible = await checkFeasible({
        spec: resolved.spec,
        constraints: resolved.constraints,
        provider: models.provider.name,
        sources,
        signal,
        searches,
      });
    } catch (e) {
      await meterIntake(null);
      throw e;
    }
    const { spec, requestText, constraints, disagreements } = resolved;
    const { material, warnings } = feasible;
    const run = await store.createRun({
      id: newId("run"),
      request: requestText,
      trainingType: spec.trainingType,
      topic: spec.topic,
      targetCount: spec.count,
      status: "planning",
      provider: models.provider.name,
      config: {
        models: models.describe(),
        provider: models.provider.name,
        concurrency,
        budget: options.budget ?? {},
        review,
        sources: sources.map((s) => s.id),
        licencePolicy: policy,
        stages: stages.names(),
        ...(Object.keys(typeOptions).length ? { typeOptions } : {}),
        ...(options.settings ? { settings: options.settings } : {}),
        intake: { constraints, disagreements, material, warnings } satisfies RunIntakeRecord,
      },
    });
    await meterIntake(run.id);
    adoptSearches(run, searches);
    return run;
  }
}

/** The budgets stored with a run (its `config.budget`), keeping only well-formed numbers. */
export function storedBudget(run: RunRow): Budget {
  const b = (run.config as { budget?: Record<string, unknown> } | null)?.budget ?? {};
  const out: Budget = {};
  for (const k of ["maxCandidates", "maxUsd", "maxWallSeconds"] as const) {
    const v = b[k];
    if (typeof v === "number" && Number.isFinite(v) && v > 0) out[k] = v;
  }
  return out;
}
