import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { createPipeline } from "../../src/pipeline/pipeline.js";
import { sqliteStore } from "../../src/storage/typeorm-store.js";

const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
process.on("warning", onWarning);
afterAll(() => {
  process.off("warning", onWarning);
});

it("a run with many candidates in flight prints no Node warning (the run's signal has one listener per candidate)", async () => {
  const pipeline = createPipeline({
    storage: sqliteStore({ path: join(mkdtempSync(join(tmpdir(), "sf-warn-")), "w.db") }),
    concurrency: 32,
  });
  const summary = await pipeline.run({ trainingType: "sft", count: 24, topic: "chemistry" }).done;
  await pipeline.close();
  expect(summary.counts.approved).toBe(24);
  // Warnings are emitted on the next tick.
  await new Promise((r) => setImmediate(r));
  expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
});
