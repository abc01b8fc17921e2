/**
 * Review-gate benchmark: how well the review stack tells good rows from bad ones on the
 * labelled sets (bench/labelled-review.ts).
 *
 *   npm run bench:review                        # every set (dev, extra, dev2, dev3, dev4, dev5, dev6, dev7, dev8, dev9, dev10, holdout, legacy), offline
 *   npm run bench:review -- --set dev           # one set: dev, extra, dev2, dev3, dev4, dev5, dev6, dev7, dev8, dev9, dev10, holdout, legacy or all
 *   npm run bench:review -- --set dev --verbose # one line per row, and which check caught each bad row
 *   npm run bench:review -- --gemini            # Gemini (needs GEMINI_API_KEY)
 *
 * Gate sets (dev, extra, dev2, holdout), per training type and overall: bad rows kept out of `approved`,
 * good rows approved, AUC of the score (good vs bad), and for caught bad rows whether the
 * defect the review named is the labelled one ("right reason"). Targets offline: ≥ 95%
 * kept out, ≥ 90% approved, right reason ≥ 90%. Legacy set: precision and recall of
 * "flagged" (not approved), as before.
 */
import { runAgentTask } from "../src/agents/agent-task.js";
import type { AgentRunner } from "../src/agents/fact-check.js";
import { geminiModels, offlineModels } from "../src/models/factories.js";
import { closeJavaScriptSandbox } from "../src/tools/js-sandbox.js";
import { closePythonSandbox } from "../src/tools/python-sandbox.js";
import { closeSqlSandbox } from "../src/tools/sql.js";
import {
  GATE_SETS,
  type GateResult,
  gateFigures,
  gateItems,
  reviewGateSet,
  reviewLabelledSet,
} from "./labelled-review.js";

const args = process.argv.slice(2);
const verbose = args.includes("--verbose");
const useGemini = args.includes("--gemini");
const setArg = args.includes("--set") ? args[args.indexOf("--set") + 1] : "all";
const SETS = [...GATE_SETS, "legacy", "all"];
if (!setArg || !SETS.includes(setArg)) {
  console.error(`--set must be one of ${SETS.join(", ")}, got "${setArg ?? ""}".`);
  process.exit(2);
}

if (useGemini && !process.env.GEMINI_API_KEY && !process.env.GOOGLE_API_KEY) {
  console.error("--gemini needs GEMINI_API_KEY (or GOOGLE_API_KEY).");
  process.exit(2);
}
const models = useGemini ? geminiModels() : offlineModels();
let calls = 0;
let cost = 0;
const agent: AgentRunner = (task, input) =>
  runAgentTask(task, input, {
    models,
    runId: null,
    sink: (r) => {
      calls++;
      cost += r.costUsd;
    },
  });
const pct = (x: number, n: number) => (n ? `${((x / n) * 100).toFixed(1)}%` : "-");

async function gateSet(set: (typeof GATE_SETS)[number]): Promise<void> {
  const items = gateItems(set);
  if (items.length === 0) {
    console.log(`review gate, set ${set}: no rows (test/fixtures/review-gate/${set}.jsonl is absent)`);
    return;
  }
  const started = Date.now();
  const results = await reviewGateSet(agent, items);
  const elapsed = Date.now() - started;
  if (verbose) {
    for (const r of results) {
      const ok = r.item.label === "good" ? r.status === "approved" : r.status !== "approved";
      const reason = r.item.label === "bad" && ok ? (r.defect === r.item.defect ? "" : ` WRONG-REASON`) : "";
      console.log(
        `${ok ? "ok  " : "MISS"} ${r.item.id.padEnd(12)} ${r.item.label.padEnd(4)} ${(r.item.defect ?? "-").padEnd(21)} ${r.status.padEnd(14)} ${r.score.toFixed(3)} ${(r.defect ?? "-").padEnd(21)}${reason} ${r.failed.join(",")} ${(r.notes[0] ?? "").slice(0, 100)}`,
      );
    }
    console.log("");
    console.log("which check caught each bad row (labelled defect → failing verdicts):");
    const table = new Map<string, Map<string, number>>();
    for (const r of results.filter((x) => x.item.label === "bad")) {
      const by = r.status === "approved" ? "(approved: missed)" : r.failed.join("+") || r.status;
      const m = table.get(r.item.defect ?? "-") ?? new Map<string, number>();
      m.set(by, (m.get(by) ?? 0) + 1);
      table.set(r.item.defect ?? "-", m);
    }
    for (const [defect, m] of [...table].sort())
      console.log(
        `  ${defect.padEnd(22)} ${[...m]
          .sort((a, b) => b[1] - a[1])
          .map(([k, n]) => `${k} ×${n}`)
          .join("; ")}`,
      );
    console.log("");
  }
  const line = (label: string, rs: GateResult[]) => {
    const f = gateFigures(rs);
    return `  ${label.padEnd(6)} ${String(f.rows).padStart(4)}  bad kept out ${String(f.badKeptOut).padStart(3)}/${String(f.bad).padEnd(3)} ${pct(f.badKeptOut, f.bad).padStart(6)}   good approved ${String(f.goodApproved).padStart(3)}/${String(f.good).padEnd(3)} ${pct(f.goodApproved, f.good).padStart(6)}   AUC ${f.auc === null ? "  -  " : f.auc.toFixed(3)}   right reason ${String(f.rightReason).padStart(3)}/${String(f.badKeptOut).padEnd(3)} ${pct(f.rightReason, f.badKeptOut).padStart(6)}`;
  };
  console.log(`review gate, set ${set}: ${results.length} labelled rows, provider ${models.provider.name}`);
  const types = [...new Set(results.map((r) => r.item.type))];
  for (const t of types)
    console.log(
      line(
        t,
        results.filter((r) => r.item.type === t),
      ),
    );
  console.log(line("all", results));
  const byDefect = new Map<string, { n: number; caught: number; right: number }>();
  for (const r of results.filter((x) => x.item.label === "bad")) {
    const e = byDefect.get(r.item.defect ?? "-") ?? { n: 0, caught: 0, right: 0 };
    e.n++;
    if (r.status !== "approved") e.caught++;
    if (r.status !== "approved" && r.defect === r.item.defect) e.right++;
    byDefect.set(r.item.defect ?? "-", e);
  }
  console.log(
    `  by defect (caught/right reason/rows): ${[...byDefect]
      .sort()
      .map(([k, v]) => `${k} ${v.caught}/${v.right}/${v.n}`)
      .join(", ")}`,
  );
  console.log(`  ${elapsed} ms (${Math.round(elapsed / results.length)} ms per row, sandboxes included)`);
}

async function legacySet(): Promise<void> {
  const started = Date.now();
  const results = (await reviewLabelledSet(agent)).map((r) => {
    const failed = r.review.verdicts.filter((v) => !v.passed && v.kind !== "final").map((v) => v.kind);
    const note = r.duplicateOf ?? `${[...new Set(failed)].join(",") || "-"}: ${r.review.notes[0] ?? ""}`;
    return { ...r, note };
  });
  const elapsed = Date.now() - started;
  const flagged = (r: (typeof results)[number]) => r.status !== "approved";
  const tp = results.filter((r) => r.item.label === "bad" && flagged(r)).length;
  const fp = results.filter((r) => r.item.label === "good" && flagged(r)).length;
  const fn = results.filter((r) => r.item.label === "bad" && !flagged(r)).length;
  const good = results.filter((r) => r.item.label === "good").length;
  const bad = results.length - good;
  if (verbose) {
    for (const r of results) {
      const mark = (r.item.label === "bad") === flagged(r) ? "ok " : "MISS";
      console.log(
        `${mark} ${r.item.id.padEnd(34)} ${r.item.label.padEnd(4)} ${r.status.padEnd(14)} ${r.score.toFixed(3)} ${String(r.ms).padStart(5)}ms  ${r.note.slice(0, 120)}`,
      );
    }
    console.log("");
  }
  console.log(
    `review benchmark, set legacy: ${results.length} labelled examples (${good} correct, ${bad} corrupted), provider ${models.provider.name}`,
  );
  console.log(`  precision ${pct(tp, tp + fp)}  (${tp} of ${tp + fp} flagged examples are corrupted)`);
  console.log(`  recall    ${pct(tp, tp + fn)}  (${tp} of ${bad} corrupted examples flagged)`);
  console.log(`  approval of correct examples ${pct(good - fp, good)} (${good - fp} of ${good})`);
  const byKind = new Map<string, { n: number; caught: number }>();
  for (const r of results.filter((x) => x.item.label === "bad")) {
    const k = r.item.corruption ?? "other";
    const e = byKind.get(k) ?? { n: 0, caught: 0 };
    e.n++;
    if (flagged(r)) e.caught++;
    byKind.set(k, e);
  }
  console.log(`  recall by corruption: ${[...byKind].map(([k, v]) => `${k} ${v.caught}/${v.n}`).join(", ")}`);
  const misses = results.filter((r) => (r.item.label === "bad") !== flagged(r));
  if (misses.length)
    console.log(
      `  misclassified: ${misses.map((r) => `${r.item.id} (${r.status} ${r.score.toFixed(2)})`).join(", ")}`,
    );
  console.log(`  ${elapsed} ms (${Math.round(elapsed / results.length)} ms per example, sandboxes included)`);
}

try {
  for (const set of GATE_SETS) if (setArg === set || setArg === "all") await gateSet(set);
  if (setArg === "legacy" || setArg === "all") await legacySet();
  console.log(`${calls} model calls, $${cost.toFixed(4)}`);
} finally {
  await closePythonSandbox();
  await closeJavaScriptSandbox();
  closeSqlSandbox();
}
