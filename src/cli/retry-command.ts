import type { Command } from "commander";
import { createPipeline } from "../pipeline/pipeline.js";
import { defaultMaxCandidates } from "../pipeline/run-loop.js";
import { type CliIO, formatSummary, progressPrinter } from "./progress.js";
import { addRunOptions, explicitFlags, openStoredRun, overrideLines, type RunFlags } from "./run-options.js";

type RetryFlags = RunFlags & { json?: boolean; override?: boolean };

/**
 * `synthforge retry-failed <run>`: re-queues the run's rejected and failed candidates as
 * new attempts (fresh copies of their questions, keeping research already done; their
 * failures get `retried_at`), then resumes the run with the settings it was made with. A
 * candidate budget the run was given holds (raise it with `--max-candidates N --override`);
 * without one, the default budget grows by the number re-queued.
 */
export async function retryFailed(
  runRef: string,
  flags: RetryFlags,
  explicit: ReadonlySet<string>,
  io: CliIO,
): Promise<number> {
  const { store, run, resume } = await openStoredRun(flags, explicit, runRef);
  let close = () => store.close();
  try {
    const before = await store.countQuestions(run.id);
    if (before.approved >= run.targetCount) {
      io.out(`run ${run.id} already has ${before.approved}/${run.targetCount} approved; nothing to retry.`);
      return 0;
    }
    const { requeued, failures } = await store.requeueFailed(run.id);
    io.err(resume.notice);
    for (const l of overrideLines(resume.changes)) io.err(l);
    io.err(
      requeued === 0
        ? `run ${run.id}: no failed or rejected candidates to retry; resuming.`
        : `run ${run.id}: re-queued ${requeued} failed/rejected candidate(s) as new attempts (${failures} failure row(s) marked retried).`,
    );
    const after = await store.countQuestions(run.id);
    const candidates = Object.entries(after)
      .filter(([s]) => s !== "pending" && s !== "skipped")
      .reduce((a, [, n]) => a + n, 0);
    const budget = resume.options.budget ?? {};
    if (budget.maxCandidates !== undefined && candidates >= budget.maxCandidates)
      io.err(
        `run ${run.id}: its candidate budget of ${budget.maxCandidates} is spent (${candidates} candidates); raise it with --max-candidates N --override to retry.`,
      );
    const pipeline = createPipeline({
      storage: store,
      ...resume.options,
      budget: {
        ...budget,
        maxCandidates:
          budget.maxCandidates ?? Math.max(defaultMaxCandidates(run.targetCount), candidates + after.pending),
      },
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
  addRunOptions(
    program
      .command("retry-failed")
      .description("Re-queue a run's failed and rejected candidates as new attempts, then resume it")
      .argument("<run>", "run id, or latest"),
  )
    .option("--json", "print a machine-readable summary as the last line")
    .option("--override", "let the flags given change the settings the run was made with")
    .action(async (run: string, flags: RetryFlags, cmd: Command) =>
      setCode(await retryFailed(run, flags, explicitFlags(cmd), io)),
    );
}
