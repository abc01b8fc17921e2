import { resolve } from "node:path";
import type { PipelineEvent, RunSummary } from "../core/types.js";

/** Where the CLI writes: human progress to `err`, results to `out`. */
export interface CliIO {
  out: (line: string) => void;
  err: (line: string) => void;
  /** True when stderr is a terminal (progress updates in place). */
  tty: boolean;
}

/**
 * Prints run progress per stage. On a terminal the current line is rewritten in place;
 * otherwise one line per stage change and at most one progress line per 10%.
 */
export function progressPrinter(io: CliIO, target: () => number): (e: PipelineEvent) => void {
  let lastPct = -1;
  let stage = "";
  let dropped = 0;
  let approved = 0;
  const line = (text: string) => {
    if (io.tty) process.stderr.write(`\r\x1b[2K${text}`);
    else io.err(text);
  };
  const endLine = () => {
    if (io.tty) process.stderr.write("\n");
  };
  return (e) => {
    switch (e.type) {
      case "run-started":
        io.err(`${e.resumed ? "resuming" : "started"} run ${e.runId}`);
        break;
      case "plan":
        io.err(
          `[plan] ${e.plan.subTopics.length} sub-topic(s): ${e.plan.subTopics.map((s) => `${s.name} (${s.quota})`).join(", ")}`,
        );
        break;
      case "stage-started":
        if (e.stage !== stage) {
          stage = e.stage;
          if (io.tty) line(`[${e.stage}] …`);
          else io.err(`[${e.stage}] started`);
        }
        break;
      case "stage-finished":
        if (io.tty) {
          line(`[${e.stage}] done`);
          endLine();
        } else io.err(`[${e.stage}] done`);
        break;
      case "item":
        if (e.status === "approved") approved++;
        if (e.status === "rejected" || e.status === "failed") dropped++;
        break;
      case "progress": {
        if (e.stage !== "run") break;
        const total = target();
        const pct = total ? Math.floor((e.done / total) * 100) : 0;
        const cost = e.cost
          ? ` · $${e.cost.spentUsd.toFixed(4)} spent${e.cost.perApprovedUsd !== null ? `, $${e.cost.perApprovedUsd.toFixed(4)}/example, ~$${(e.cost.projectedUsd ?? 0).toFixed(4)} to finish` : ""}`
          : "";
        const text = `[research → generate → review] ${e.done}/${total} approved, ${dropped} dropped${cost}`;
        if (io.tty) line(text);
        else if (Math.floor(pct / 10) > Math.floor(lastPct / 10) || e.done === total) io.err(text);
        lastPct = pct;
        break;
      }
      case "run-finished":
        if (io.tty && approved + dropped > 0) endLine();
        break;
      case "log":
        if (e.level === "warn") io.err(`warning: ${e.message}`);
        break;
      default:
        break;
    }
  };
}

/** The human summary of a run (several lines). */
export function formatSummary(s: RunSummary, opts: { exportHint: string | null }): string[] {
  const c = s.counts;
  const secs = (s.durationMs / 1000).toFixed(1);
  const head =
    s.status === "completed"
      ? `✔ run ${s.runId} completed: ${c.approved}/${c.target} approved ${s.trainingType.toUpperCase()} examples about ${s.topic}`
      : `✖ run ${s.runId} ${s.status}: ${c.approved}/${c.target} approved. Why: ${s.stopReason ?? "unknown"}`;
  const lines = [
    head,
    `  approved ${c.approved} · needs_revision ${c.needsRevision} · rejected ${c.rejected} · failed ${c.failed} (${c.candidates} candidates)`,
    `  model calls ${s.usage.calls} · tokens ${s.usage.totalTokens.toLocaleString("en-US")} (in ${s.usage.inputTokens.toLocaleString("en-US")}, out ${s.usage.outputTokens.toLocaleString("en-US")}) · cost $${s.usage.costUsd.toFixed(4)} · provider ${s.provider}`,
    `  cost per approved example ${s.cost.perApprovedUsd === null ? "n/a" : `$${s.cost.perApprovedUsd.toFixed(4)}`} · k ${s.callsPerApproved === null ? "n/a" : s.callsPerApproved.toFixed(2)} model calls per approved example · ${s.cachedCalls} answered from the cache${s.status === "completed" || s.cost.projectedUsd === null ? "" : ` · projected to finish $${s.cost.projectedUsd.toFixed(4)}`}`,
    `  time ${secs}s`,
    `  data: ${s.storage} (table synthetic_data_${s.trainingType}, run_id ${s.runId})`,
  ];
  const subs = s.subTopics ?? [];
  if (subs.length && subs.some((x) => x.approved !== x.quota))
    lines.push(
      `  sub-topics (approved/quota): ${subs.map((x) => `${x.name} ${x.approved}/${x.quota}`).join(" · ")}${s.status === "completed" ? " (a sub-topic that ran out of distinct questions left its share to the others)" : ""}`,
    );
  const reasons = Object.entries(s.dropReasons);
  if (reasons.length) lines.push(`  dropped: ${reasons.map(([r, n]) => `${n}× ${r}`).join("; ")}`);
  // The run's settings are stored with it: resume needs only where the database is.
  if (s.status !== "completed")
    lines.push(
      `  continue with: synthforge resume ${s.runId}${dbFlag(s.storage)} (its settings are stored with it)`,
    );
  if (opts.exportHint) lines.push(`  export with: ${opts.exportHint}`);
  return lines;
}

/** `--db` for a hint, unless the database is the default `./synthforge.db`. */
function dbFlag(location: string): string {
  if (/^postgres(?:ql)?:/i.test(location)) return " --db <the same postgres:// URL>";
  return resolve(location) === resolve("./synthforge.db") ? "" : ` --db ${location}`;
}
