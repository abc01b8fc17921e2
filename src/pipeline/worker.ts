import type PgBoss from "pg-boss";
import { describeError, SynthforgeError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import { type Logger, silentLogger } from "../core/logger.js";
import type { RunSummary } from "../core/types.js";
import type { Pipeline } from "./pipeline.js";

/**
 * Distributed workers (issue "engine at scale"): with PostgreSQL storage, any number of
 * `synthforge worker` processes, on any machines, share runs through a pg-boss 10 queue
 * in the same database.
 *
 * - `submitRun` stores nothing new: it puts `slots` jobs `{ runId }` on the queue
 *   `synthforge-runs`, so that up to `slots` workers work on the run at once.
 * - A worker takes a job and resumes the run in shared mode: candidates are claimed
 *   from the database with leases (`Store.claimQuestions`), in a transaction that counts
 *   approved and leased candidates, so exact-N holds across every worker; run-scoped
 *   stages (plan, more questions) run under the run's advisory lock.
 * - A worker killed mid-job loses only the model calls in flight: its leases expire
 *   (`leaseMs`) and another worker continues those candidates from their stored state
 *   (answers already paid for come back from the response cache); its job expires and
 *   pg-boss hands it to another worker. Nothing is done twice: an example is unique per
 *   question and a candidate is leased to one worker at a time.
 */

/** The pg-boss queue of runs. */
export const RUN_QUEUE = "synthforge-runs";
/** The schema pg-boss keeps its tables in. */
export const QUEUE_SCHEMA = "synthforge_queue";

/** Job data of {@link RUN_QUEUE}. */
export interface RunJob {
  runId: string;
}

/** Options shared by {@link submitRun} and {@link startWorker}. */
export interface QueueOptions {
  /** `postgres://…` of the database (the same one the pipeline stores into). */
  url: string;
  /** Seconds after which a job whose worker died is handed to another worker. Default 60. */
  jobExpirySeconds?: number;
}

async function openBoss(
  opts: QueueOptions & { pollingIntervalSeconds?: number },
  logger: Logger,
): Promise<PgBoss> {
  if (!/^postgres(?:ql)?:\/\//i.test(opts.url)) {
    throw new SynthforgeError(
      "CONFIG_INVALID",
      "Workers share runs through PostgreSQL: pass --db postgres://user:password@host:5432/dbname.",
    );
  }
  const { default: PgBoss } = await import("pg-boss");
  const boss = new PgBoss({
    connectionString: opts.url,
    schema: QUEUE_SCHEMA,
    max: 4,
    application_name: "synthforge-worker",
    supervise: true,
    maintenanceIntervalSeconds: Math.max(1, Math.min(60, Math.floor((opts.jobExpirySeconds ?? 60) / 2))),
    monitorStateIntervalSeconds: 60,
    schedule: false,
  });
  boss.on("error", (e: unknown) => logger.warn(`queue: ${describeError(e)}`));
  // Workers started together each create the queue: PostgreSQL may pick one as a deadlock
  // victim (pg-boss creates the queue's partition in the same transaction). Its retry finds
  // the queue made by the other.
  await boss.start();
  await retryTransient(async () => {
    await boss.createQueue(RUN_QUEUE, {
      name: RUN_QUEUE,
      policy: "standard",
      retryLimit: 1000,
      retryDelay: 1,
      expireInSeconds: opts.jobExpirySeconds ?? 60,
    });
  }, logger);
  return boss;
}

/** PostgreSQL errors a retry can clear: deadlock, serialization failure, a racing insert. */
const TRANSIENT_PG_CODES = new Set(["40P01", "40001", "23505"]);

/**
 * Runs `f`, again up to `attempts` times in all while it fails with a transient PostgreSQL
 * error ({@link TRANSIENT_PG_CODES}), waiting a little longer each time; any other error,
 * or the last one, is thrown.
 */
export async function retryTransient<T>(f: () => Promise<T>, logger: Logger, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await f();
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (attempt >= attempts || typeof code !== "string" || !TRANSIENT_PG_CODES.has(code)) throw e;
      logger.warn(`queue: ${describeError(e)} (attempt ${attempt} of ${attempts}; retrying)`);
      await new Promise((r) => setTimeout(r, 50 * attempt + Math.floor(Math.random() * 50)));
    }
  }
}

/**
 * Puts a stored run on the queue for `slots` workers (default 8). Workers beyond that
 * number do not join this run; a worker that dies gives its slot back when its job expires.
 */
export async function submitRun(
  runId: string,
  opts: QueueOptions & { slots?: number; logger?: Logger },
): Promise<void> {
  const boss = await openBoss(opts, opts.logger ?? silentLogger);
  try {
    const slots = Math.max(1, Math.floor(opts.slots ?? 8));
    for (let i = 0; i < slots; i++) {
      await boss.send(RUN_QUEUE, { runId } satisfies RunJob, {
        singletonKey: `${runId}:${i}`,
        expireInSeconds: opts.jobExpirySeconds ?? 60,
        retryLimit: 1000,
        retryDelay: 1,
      });
    }
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
}

/** Options of {@link startWorker}. */
export interface WorkerOptions extends QueueOptions {
  /**
   * The pipeline the worker runs on every run (its storage must be the same PostgreSQL
   * database), when `pipelineFor` is not given.
   */
  pipeline?: Pipeline;
  /**
   * A pipeline for one run, made when the worker takes the run up and closed when it is
   * done: the CLI rebuilds it from the settings stored with the run, so every worker
   * continues a run with the sources, models and budgets it was made with.
   */
  pipelineFor?: (runId: string) => Promise<Pipeline>;
  /** This worker's id (lease owner). Default a new one. */
  id?: string;
  /** Runs worked on at once. Default 1. */
  runs?: number;
  /** Candidate lease in ms; a dead worker's candidates are taken up after it. Default 30 000. */
  leaseMs?: number;
  /** How often the queue is polled, in seconds. Default 1. */
  pollingIntervalSeconds?: number;
  /** Called when the worker finished working on a run (its share of it). */
  onRun?: (summary: RunSummary) => void;
  logger?: Logger;
}

/** A running worker. */
export interface Worker {
  readonly id: string;
  /** Stops taking jobs, lets the running ones stop after their candidates in flight, closes the queue. */
  stop(): Promise<void>;
}

/** Starts a worker that takes runs off the queue until stopped. */
export async function startWorker(opts: WorkerOptions): Promise<Worker> {
  const logger = opts.logger ?? silentLogger;
  const id = opts.id ?? newId("worker");
  const boss = await openBoss(opts, logger);
  const controller = new AbortController();
  const running = new Set<Promise<unknown>>();
  const concurrency = Math.max(1, opts.runs ?? 1);
  const workIds: string[] = [];
  for (let i = 0; i < concurrency; i++) {
    workIds.push(
      await boss.work<RunJob>(
        RUN_QUEUE,
        { batchSize: 1, pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 1 },
        async (jobs) => {
          for (const job of jobs) {
            if (controller.signal.aborted) throw new Error("worker stopping");
            logger.info(`worker ${id}: working on run ${job.data.runId}`);
            const own = opts.pipelineFor ? await opts.pipelineFor(job.data.runId) : null;
            const pipeline = own ?? opts.pipeline;
            if (!pipeline)
              throw new SynthforgeError("INVALID_REQUEST", "startWorker needs a pipeline or pipelineFor.");
            const handle = pipeline.resume(job.data.runId, {
              shared: true,
              owner: id,
              leaseMs: opts.leaseMs ?? 30_000,
              signal: controller.signal,
            });
            const p = handle.done;
            running.add(p);
            try {
              const summary = await p;
              opts.onRun?.(summary);
              if (controller.signal.aborted) throw new Error("worker stopped before the run finished");
            } finally {
              running.delete(p);
              await own?.close().catch(() => undefined);
            }
          }
        },
      ),
    );
  }
  return {
    id,
    async stop() {
      controller.abort();
      for (const w of workIds) await boss.offWork({ id: w }).catch(() => undefined);
      await Promise.allSettled([...running]);
      await boss.stop({ graceful: false, wait: true });
    },
  };
}
