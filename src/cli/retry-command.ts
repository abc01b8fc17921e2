import { dirname } from "node:path";
import type { Command } from "commander";
import { loadConfig } from "../core/config.js";
import { findRun } from "../pipeline/export.js";
import { createPipeline } from "../pipeline/pipeline.js";
import { defaultMaxCandidates } from "../pipeline/run-loop.js";
import { openStore } from "../storage/typeorm-store.js";
import { type EngineFlags, engineOptions } from "./engine-options.js";
import { type CliIO, formatSummary, progressPrinter } from "./progress.js";
import {
  buildModels,
  buildSources,
  chooseProvider,
  dbTarget,
  numericFlags,
  type PipelineFlags,
} from "./settings.js";

type RetryFlags = PipelineFlags & EngineFlags & { json?: boolean };

/**
 * `synthforge retry-failed <run>`: re-queues the run's rejected and failed candidates as
 * new attempts (fresh copies of their questions, keeping research already done; their
 * failures get `retried_at`), then resumes the run. The candidate budget is raised by the
 * number re-queued unless `--max-candidates` says otherwise.
 */
export async function retryFailed(runRef: string, flags: RetryFlags, io: CliIO): Promise<number> {
  const { config, path } = loadConfig(flags.config);
  const configDir = path ? dirname(path) : process.cwd();
  const { provider, notice } = chooseProvider(flags, config);
  const models = buildModels(provider, flags, config);
  const sources = buildSources(flags, config, configDir);
  const { concurrency, budget } = numericFlags(flags, config);
  const store = openStore(dbTarget(flags, config));
  try {
    await store.init();
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
  let close = () => store.close();
  try {
    const run = await findRun(store, runRef);
    const before = await store.countQuestions(run.id);
    if (before.approved >= run.targetCount) {
      io.out(`run ${run.id} already has ${before.approved}/${run.targetCount} approved; nothing to retry.`);
      return 0;
    }
    const { requeued, failures } = await store.requeueFailed(run.id);
    io.err(notice);
    io.err(
      requeued === 0
        ? `run ${run.id}: no failed or rejected candidates to retry; resuming.`
        : `run ${run.id}: re-queued ${requeued} failed/rejected candidate(s) as new attempts (${failures} failure row(s) marked retried).`,
    );
    const after = await store.countQuestions(run.id);
    const candidates = Object.entries(after)
      .filter(([s]) => s !== "pending" && s !== "skipped")
      .reduce((a, [, n]) => a + n, 0);
    const pipeline = createPipeline({
      storage: store,
      models,
      sources,
      concurrency,
      budget: {
        ...budget,
        maxCandidates:
          budget.maxCandidates ?? Math.max(defaultMaxCandidates(run.targetCount), candidates + after.pending),
      },
      ...(config.review ? { review: config.review } : {}),
      ...(config.licencePolicy ? { licencePolicy: config.licencePolicy } : {}),
      ...engineOptions(flags, config),
    });
    close = () => pipeline.close();
    const handle = pipeline.resume(run.id);
    const printer = progressPrinter(io, () => run.targetCount);
    handle.on((e) => printer(e));
    const summary = await handle.done;
    for (const l of formatSummary(summary, { exportHint: null })) io.out(l);
    if (flags.json) io.out(JSON.stringify({ ...summary, requeued }));
    return summary.status === "completed" ? 0 : 3;
  } finally {
    await close().catch(() => undefined);
  }
}

/** Registers `retry-failed` on the program. */
export function registerRetryFailed(program: Command, io: CliIO, setCode: (code: number) => void): void {
  const collect = (v: string, prev: string[] = []) => [...prev, v];
  program
    .command("retry-failed")
    .description("Re-queue a run's failed and rejected candidates as new attempts, then resume it")
    .argument("<run>", "run id, or latest")
    .option("--db <path|url>", "SQLite file or postgres:// URL (default ./synthforge.db, or SYNTHFORGE_DB)")
    .option("-c, --config <file>", "config file")
    .option("--provider <name>", "auto (default), gemini or offline")
    .option("--model <role=model>", "model for an agent role (repeatable)", collect)
    .option("--corpus <dir>", "research a local folder (repeatable)", collect)
    .option("--concurrency <n>", "candidates worked on at once")
    .option("--max-candidates <n>", "candidate budget (default: raised by the number re-queued)")
    .option("--max-usd <usd>", "model spend budget in USD")
    .option("--no-cache", "send every model call to the model")
    .option("--batch", "bulk generation and review through the Gemini Batch API")
    .option("--json", "print a machine-readable summary as the last line")
    .action(async (run: string, flags: RetryFlags) => setCode(await retryFailed(run, flags, io)));
}
