import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { geminiModels } from "../../src/models/factories.js";
import { createPipeline } from "../../src/pipeline/pipeline.js";
import { sqliteStore, type TypeormStore } from "../../src/storage/typeorm-store.js";
import { type GeminiWireServer, startGeminiWireServer } from "../../src/testing/index.js";

/**
 * Budgets are promises: through the Gemini-wire server (the real genai client over HTTP),
 * a cost cap holds at high concurrency, across an abort and a resume, and the summary
 * reports one figure.
 */
let server: GeminiWireServer;
beforeAll(async () => {
  server = await startGeminiWireServer({ seed: 11, latencyMs: 25 });
});
afterAll(async () => {
  await server?.close();
});

const KEY = "test-key-for-wire-0000";
const fresh = async (): Promise<TypeormStore> => {
  const store = sqliteStore({ path: join(mkdtempSync(join(tmpdir(), "sf-budget-")), "b.db") });
  await store.init();
  return store;
};
/** The cost of the run's dearest single call. */
async function dearestCall(store: TypeormStore, runId: string): Promise<number> {
  const rows = (await store.dataSource.query("SELECT MAX(cost_usd) AS c FROM llm_calls WHERE run_id = ?", [
    runId,
  ])) as Array<{ c: number }>;
  return rows[0]!.c;
}
const models = () => geminiModels({ apiKey: KEY, baseUrl: server.url, retries: 0 });

describe("the cost cap holds", () => {
  for (const concurrency of [8, 64]) {
    it(`at concurrency ${concurrency}: spent never passes the cap, and the stop reason gives the final figure`, async () => {
      const store = await fresh();
      const maxUsd = 0.02;
      const pipeline = createPipeline({ storage: store, models: models(), concurrency, budget: { maxUsd } });
      const s = await pipeline.run({ count: 200, trainingType: "sft", topic: "organic chemistry" }).done;
      expect(s.status).toBe("stopped");
      expect(s.usage.costUsd).toBeGreaterThan(maxUsd / 2);
      // Past the cap by at most one call (the last one let through), not a wave of them.
      expect(s.usage.costUsd - maxUsd).toBeLessThanOrEqual(await dearestCall(store, s.runId));
      expect(s.stopReason).toContain(
        `cost budget of $${maxUsd} reached: $${s.usage.costUsd.toFixed(4)} spent`,
      );
      // Candidates cut short by the cap are not dropped: they wait for a resume.
      const failures = await store.listFailures(s.runId);
      expect(failures.filter((f) => /budget/i.test(f.reason))).toHaveLength(0);
      await pipeline.close();
    });
  }

  it("across an abort and a resume that names no budget: the stored cap still holds", async () => {
    const store = await fresh();
    const maxUsd = 0.05;
    const first = createPipeline({ storage: store, models: models(), concurrency: 8, budget: { maxUsd } });
    const controller = new AbortController();
    const run = first.run(
      { count: 200, trainingType: "sft", topic: "organic chemistry" },
      { signal: controller.signal },
    );
    const runId = await run.runId;
    // Abort once some money is spent (a condition, not a time).
    let finished = false;
    void run.done.finally(() => {
      finished = true;
    });
    while (!finished && (await store.usage(runId)).costUsd < maxUsd / 3)
      await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    const stopped = await run.done;
    expect(stopped.status).toBe("stopped");
    expect(stopped.usage.costUsd).toBeLessThan(maxUsd);
    await first.close();
    const store2 = sqliteStore({ path: store.location });
    const again = createPipeline({ storage: store2, models: models(), concurrency: 8 });
    const s = await again.resume(runId).done;
    expect(s.status).toBe("stopped");
    expect(s.stopReason).toMatch(/cost budget of \$0\.05 reached/);
    expect(s.usage.costUsd - maxUsd).toBeLessThanOrEqual(await dearestCall(store2, runId));
    await again.close();
  });
});
