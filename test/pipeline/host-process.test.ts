import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { createPipeline } from "../../src/pipeline/pipeline.js";
import { sqliteStore } from "../../src/storage/typeorm-store.js";

/**
 * A pipeline embedded in a host process: the run shares the event loop with the host's
 * servers and timers, on the synchronous parts (SQLite, the offline model) too.
 */

const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
process.on("warning", onWarning);
afterAll(() => {
  process.off("warning", onWarning);
});

const tempDb = () => join(mkdtempSync(join(tmpdir(), "sf-host-")), "h.db");

it("a run with many candidates in flight prints no Node warning (the run's signal has one listener per candidate)", async () => {
  const pipeline = createPipeline({ storage: sqliteStore({ path: tempDb() }), concurrency: 32 });
  const summary = await pipeline.run({ trainingType: "sft", count: 24, topic: "chemistry" }).done;
  await pipeline.close();
  expect(summary.counts.approved).toBe(24);
  // Warnings are emitted on the next tick.
  await new Promise((r) => setImmediate(r));
  expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
});

it("the host's HTTP server answers while an offline run on SQLite is going", async () => {
  const server = createServer((_req, res) => res.end("ok"));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const pipeline = createPipeline({ storage: sqliteStore({ path: tempDb() }), concurrency: 8 });
  let finished = false;
  let answeredDuringRun: boolean | null = null;
  let asked: Promise<void> | null = null;
  const run = pipeline.run({ trainingType: "sft", count: 30, topic: "chemistry" });
  run.on((e) => {
    // Once the first example is approved, ask the host's server something.
    if (e.type === "progress" && e.done >= 1 && !asked)
      asked = fetch(url)
        .then((r) => r.text())
        .then(() => {
          answeredDuringRun = !finished;
        });
  });
  const summary = await run.done;
  finished = true;
  await asked;
  await pipeline.close();
  await new Promise((r) => server.close(r));
  expect(summary.counts.approved).toBe(30);
  expect(answeredDuringRun).toBe(true);
});
