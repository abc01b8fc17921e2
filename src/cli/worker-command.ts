import type { Command } from "commander";
import { SynthforgeError } from "../core/errors.js";
import { parseRequest } from "../core/request.js";
import { findRun } from "../export/export.js";
import { createPipeline } from "../pipeline/pipeline.js";
import { startWorker, submitRun } from "../pipeline/worker.js";
import type { CliIO } from "./progress.js";
import {
  addRunOptions,
  explicitFlags,
  openReady,
  type RunFlags,
  resumeSettings,
  runSettings,
} from "./run-options.js";

type WorkerFlags = RunFlags & {
  runs?: string;
  leaseMs?: string;
  jobExpiry?: string;
  json?: boolean;
  slots?: string;
  yes?: boolean;
};

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new SynthforgeError("INVALID_REQUEST", `--${name} must be a positive whole number, got "${v}".`);
  return n;
}

async function pipelineFor(flags: WorkerFlags) {
  const { target, notice, options } = runSettings(flags);
  if (!/^postgres(?:ql)?:\/\//i.test(target)) {
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `Workers share runs through PostgreSQL, but the database is ${target}. Pass --db postgres://user:password@host:5432/dbname (or set SYNTHFORGE_DB).`,
    );
  }
  const pipeline = createPipeline({ storage: await openReady(target), ...options });
  return { pipeline, url: target, notice };
}

/**
 * `synthforge worker --db postgres://…`: takes runs off the queue and works on them with
 * the other workers, until SIGTERM / SIGINT (it then stops after the candidates in
 * flight; anything unfinished is continued by the other workers).
 */
async function worker(flags: WorkerFlags, explicit: ReadonlySet<string>, io: CliIO): Promise<number> {
  const { pipeline, url, notice } = await pipelineFor(flags);
  io.err(notice);
  const jobExpirySeconds = positive("job-expiry", flags.jobExpiry);
  // Each run is worked on with the settings stored with it (sources, models, budgets); the
  // worker's own --concurrency sets how much of it this process takes on at once.
  const perRun = new Set([...explicit].filter((k) => k === "concurrency"));
  const w = await startWorker({
    url,
    pipelineFor: async (runId) => {
      const store = await openReady(url);
      try {
        const run = await findRun(store, runId);
        const { options } = resumeSettings({ ...flags, override: true }, perRun, run.config);
        return createPipeline({ storage: store, ...options });
      } catch (e) {
        await store.close().catch(() => undefined);
        throw e;
      }
    },
    ...(positive("runs", flags.runs) ? { runs: positive("runs", flags.runs) } : {}),
    ...(positive("lease-ms", flags.leaseMs) ? { leaseMs: positive("lease-ms", flags.leaseMs) } : {}),
    ...(jobExpirySeconds ? { jobExpirySeconds } : {}),
    pollingIntervalSeconds: 0.5,
    onRun: (s) =>
      io.err(
        `worker: run ${s.runId} ${s.status}: ${s.counts.approved}/${s.counts.target} approved${s.stopReason ? ` (${s.stopReason})` : ""}`,
      ),
  });
  // The handlers go in before the "waiting" line: a supervisor that stops the worker as
  // soon as it reads that line must get a clean stop, not the default (killing) handler.
  const stopped = new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  io.err(`worker ${w.id} waiting for runs in ${pipeline.store.location}`);
  await stopped;
  io.err(`worker ${w.id} stopping`);
  await w.stop();
  await pipeline.close().catch(() => undefined);
  return 0;
}

/** `synthforge submit "<request>" --db postgres://…`: stores a run and queues it for the workers. */
async function submit(request: string, flags: WorkerFlags, io: CliIO): Promise<number> {
  const parsed = parseRequest(request, {});
  if (!parsed.count || !parsed.trainingType || !parsed.topic) {
    if (!flags.yes) {
      throw new SynthforgeError(
        "CLARIFICATION_NEEDED",
        "The request must say the count, the training type and the topic for submit (workers cannot ask), or pass --yes to take the defaults.",
      );
    }
  }
  const { pipeline, url, notice } = await pipelineFor(flags);
  try {
    io.err(notice);
    const run = await pipeline.create(request, { clarify: async () => ({}) });
    const slots = positive("slots", flags.slots) ?? 8;
    const jobExpirySeconds = positive("job-expiry", flags.jobExpiry);
    await submitRun(run.id, { url, slots, ...(jobExpirySeconds ? { jobExpirySeconds } : {}) });
    io.out(
      `queued run ${run.id} (${run.targetCount} ${run.trainingType} examples about ${run.topic}) for up to ${slots} workers`,
    );
    if (flags.json) io.out(JSON.stringify({ runId: run.id, slots }));
    return 0;
  } finally {
    await pipeline.close().catch(() => undefined);
  }
}

/** Registers `worker` and `submit` on the program. */
export function registerWorker(program: Command, io: CliIO, setCode: (code: number) => void): void {
  const common = (c: Command) =>
    addRunOptions(c, "postgres:// URL shared by the workers (or SYNTHFORGE_DB)").option(
      "--job-expiry <seconds>",
      "seconds after which a dead worker's job goes to another worker (default 60)",
    );
  common(
    program.command("worker").description("Work on queued runs together with other workers (PostgreSQL)"),
  )
    .option("--runs <n>", "runs worked on at once (default 1)")
    .option(
      "--lease-ms <ms>",
      "candidate lease; a dead worker's candidates are taken up after it (default 30000)",
    )
    .action(async (flags: WorkerFlags, cmd: Command) => setCode(await worker(flags, explicitFlags(cmd), io)));
  common(
    program
      .command("submit")
      .description(
        'Store a run and queue it for workers, e.g. synthforge submit "Generate 1000 SFT examples about enzymes" --db postgres://…',
      )
      .argument("<request>", "what to generate, in plain words"),
  )
    .option(
      "--slots <n>",
      "number of workers that may work on this run at once (pg-boss job slots; default 8)",
    )
    .option("-y, --yes", "take defaults for anything the request leaves out")
    .option("--json", "print the run id as JSON")
    .action(async (request: string, flags: WorkerFlags) => setCode(await submit(request, flags, io)));
}
