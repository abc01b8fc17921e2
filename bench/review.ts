/**
 * Review-stage benchmark: precision and recall of the review stack on a labelled set of
 * correct and deliberately corrupted examples (test/fixtures/review/labelled.jsonl):
 * wrong numeric answers, failing code and SQL, claims contradicting their source, swapped
 * chosen/rejected, a verbatim copy of a non-permissive source, PII, a threat, an
 * unbalanced equation, duplicates and a benchmark item.
 *
 *   npx tsx bench/review.ts            # offline provider (deterministic)
 *   npx tsx bench/review.ts --gemini   # Gemini (needs GEMINI_API_KEY)
 *   npx tsx bench/review.ts --verbose  # one line per example
 *
 * "Flagged" means not approved (needs_revision or rejected). Precision: flagged examples
 * that are really corrupted. Recall: corrupted examples that are flagged.
 */
import { runAgentTask } from "../src/agents/agent-task.js";
import type { AgentRunner } from "../src/agents/fact-check.js";
import { geminiModels, offlineModels } from "../src/models/factories.js";
import { closeJavaScriptSandbox } from "../src/tools/js-sandbox.js";
import { closePythonSandbox } from "../src/tools/python-sandbox.js";
import { closeSqlSandbox } from "../src/tools/sql.js";
import { reviewLabelledSet } from "./labelled-review.js";

const verbose = process.argv.includes("--verbose");
const useGemini = process.argv.includes("--gemini");

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
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

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
  `review benchmark: ${results.length} labelled examples (${good} correct, ${bad} corrupted), provider ${models.provider.name}`,
);
console.log(
  `  precision ${pct(tp / Math.max(1, tp + fp))}  (${tp} of ${tp + fp} flagged examples are corrupted)`,
);
console.log(`  recall    ${pct(tp / Math.max(1, tp + fn))}  (${tp} of ${bad} corrupted examples flagged)`);
console.log(
  `  approval of correct examples ${pct((good - fp) / Math.max(1, good))} (${good - fp} of ${good})`,
);
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
console.log(
  `  ${calls} model calls, $${cost.toFixed(4)}, ${elapsed} ms (${Math.round(elapsed / results.length)} ms per example, sandboxes included)`,
);

await closePythonSandbox();
await closeJavaScriptSandbox();
closeSqlSandbox();
