import type { Store } from "../storage/store.js";
import { DedupIndex, dedupSignature, NEAR_DUPLICATE_THRESHOLD } from "../tools/dedup.js";
import type { TrainingType } from "../training-types/types.js";

/** Options of {@link loadDedupIndex}. */
export interface LoadDedupOptions {
  /** `database`: approved examples of every run of the type; `run`: only this run's. */
  scope: "database" | "run";
  runId: string;
  /** Near-duplicate threshold. Default 0.7. */
  threshold?: number;
  /** Rows per query while streaming. Default 500. */
  batchSize?: number;
}

/**
 * Builds the dedup index of a run from the store: the approved examples of the training
 * type (of every run in the database, or of this run only), streamed in batches with
 * keyset pagination. Only signatures are kept (a few hundred bytes per example), never the
 * rows. On resume the run's own approved examples are in it too.
 */
export async function loadDedupIndex(
  store: Store,
  type: TrainingType,
  opts: LoadDedupOptions,
): Promise<DedupIndex> {
  const index = new DedupIndex(opts.threshold ?? NEAR_DUPLICATE_THRESHOLD);
  const runs =
    opts.scope === "run"
      ? [opts.runId]
      : (await store.listRuns(1_000_000)).filter((r) => r.trainingType === type.name).map((r) => r.id);
  if (opts.scope === "database" && !runs.includes(opts.runId)) runs.push(opts.runId);
  for (const runId of runs) {
    for await (const ex of store.iterateExamples(runId, type.name, {
      reviewStatus: ["approved"],
      batchSize: opts.batchSize ?? 500,
    })) {
      let text: string;
      let answer: string;
      try {
        answer = type.answerText(ex.data);
        text = `${type.promptText(ex.data)}\n${answer}`;
      } catch {
        continue; // a row an older version of the type stored differently
      }
      index.add(ex.id, dedupSignature(text, answer));
    }
  }
  return index;
}
