/**
 * How the studio shows an example of each shape, in Chromium: a chat's turns in order, a
 * GRPO example's code and its output, an RLHF example's ranked and rated responses, and
 * a DPO pair side by side. Offline runs fill a real SQLite database; the review queue and
 * the examples browser show their rows.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TrainingTypeName } from "../../src/core/types.js";
import { offlineModels } from "../../src/models/factories.js";
import { createPipeline } from "../../src/pipeline/pipeline.js";
import type { ExampleRow, Store } from "../../src/storage/store.js";
import { sqliteStore } from "../../src/storage/typeorm-store.js";
import { type RunningStudio, serveStudio } from "../../src/studio/serve.js";
import { launchChromium } from "./browser.js";

/** Waits for a condition (a page that polls, a request in flight): never a fixed sleep. */
const until = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 100 });

interface Run {
  runId: string;
  examples: ExampleRow[];
}

describe("studio: examples of every shape", () => {
  let dir: string;
  let store: Store;
  let studio: RunningStudio;
  let browser: Browser;
  let page: Page;
  const runs = new Map<TrainingTypeName, Run>();
  const pageErrors: string[] = [];

  async function generate(type: TrainingTypeName, request: string, queue: boolean): Promise<void> {
    const pipeline = createPipeline({ storage: store, models: offlineModels(), concurrency: 4 });
    const summary = await pipeline.run(request).done;
    expect(summary.status).toBe("completed");
    const examples: ExampleRow[] = [];
    for await (const ex of store.iterateExamples(summary.runId, type)) examples.push(ex);
    expect(examples.length).toBeGreaterThan(0);
    // The review queue shows what the automatic review sent back.
    if (queue) await store.updateExample(type, examples[0]!.id, { reviewStatus: "needs_revision" });
    runs.set(type, { runId: summary.runId, examples });
  }

  const base = () => `http://127.0.0.1:${studio.port}`;

  /** Opens the review queue of a run; its first example is shown. */
  async function openQueue(type: TrainingTypeName): Promise<ExampleRow> {
    const run = runs.get(type)!;
    const ex = run.examples[0]!;
    await page.goto(`${base()}/#/run/${run.runId}/review`);
    await page.locator(`#pane #detail[data-example="${ex.id}"]`).waitFor();
    return ex;
  }

  /** Opens the examples browser of a run and the detail of its first example. */
  async function openInBrowser(type: TrainingTypeName): Promise<ExampleRow> {
    const run = runs.get(type)!;
    const ex = run.examples[0]!;
    await page.goto(`${base()}/#/run/${run.runId}/examples`);
    await page.locator(`#examples-body tr[data-id="${ex.id}"] a`).click();
    await page.locator(`#example-detail #detail[data-example="${ex.id}"]`).waitFor();
    return ex;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "sf-studio-render-"));
    store = sqliteStore({ path: join(dir, "render.db") });
    await store.init();
    await generate("chat", "Generate 2 chat examples about organic chemistry", true);
    await generate("rlhf", "Generate 2 RLHF examples about organic chemistry", true);
    await generate("dpo", "Generate 2 DPO examples about organic chemistry", false);
    await generate("grpo", "Generate 1 GRPO example about stoichiometry", false);
    studio = await serveStudio({ store, port: 0 });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") pageErrors.push(m.text());
    });
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    // The token sets the cookie; every later page load carries it.
    await page.goto(studio.url);
    await page.locator("#runs tr[data-run]").first().waitFor();
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await studio?.close().catch(() => undefined);
    await store?.close().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows a chat's turns in order, each with its role (review queue)", async () => {
    const ex = await openQueue("chat");
    const messages = ex.data.messages as Array<{ role: string; content: string }>;
    expect(messages.length).toBeGreaterThanOrEqual(4);
    const shown = await page.$$eval("#pane #detail .turns .turn", (els) =>
      els.map((e) => [e.querySelector(".label")?.textContent, e.querySelector("pre")?.textContent]),
    );
    expect(shown).toEqual(messages.map((m) => [m.role, m.content]));
    const classes = await page.$$eval("#pane #detail .turns .turn", (els) => els.map((e) => e.className));
    expect(classes).toEqual(messages.map((m) => `turn turn-${m.role}`));
    // The turns are not repeated as a raw JSON field.
    expect(await page.locator('#pane #detail [data-field="messages"]').count()).toBe(0);
  });

  it("shows a GRPO example's code and the output of running it (examples browser)", async () => {
    const ex = await openInBrowser("grpo");
    const d = ex.data as Record<string, unknown>;
    expect(String(d.code)).not.toBe("");
    const code = page.locator('#example-detail .field.code[data-field="code"] pre');
    expect(await code.textContent()).toBe(d.code);
    const output = page.locator('#example-detail .field.code[data-field="execution_output"] pre');
    expect(await output.textContent()).toBe(d.execution_output ?? "");
    for (const k of ["prompt", "reasoning", "predicted_answer", "solution"])
      expect(await page.locator(`#example-detail [data-field="${k}"] pre`).textContent(), k).toBe(d[k]);
    expect(await page.locator('#example-detail [data-field="is_correct"] pre').textContent()).toBe(
      String(d.is_correct),
    );
  });

  it("shows an RLHF example's responses ranked, each with its rating and flaw (review queue)", async () => {
    const ex = await openQueue("rlhf");
    const responses = ex.data.responses as Array<{
      text: string;
      rating: number;
      rank: number;
      flaw: string;
    }>;
    expect(responses.length).toBeGreaterThanOrEqual(2);
    await until(() => page.locator("#pane table.responses tbody tr").count()).toBe(responses.length);
    const shown = await page.$$eval("#pane table.responses tbody tr", (rows) =>
      rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)),
    );
    expect(shown).toEqual(responses.map((r) => [String(r.rank), `${r.rating}/10`, r.flaw, r.text]));
    // Ratings strictly fall down the ranks.
    const ratings = responses.map((r) => r.rating);
    expect([...ratings].sort((a, b) => b - a)).toEqual(ratings);
    expect(await page.locator('#pane .side.chosen [data-field="chosen"] pre').textContent()).toBe(
      ex.data.chosen,
    );
    expect(await page.locator('#pane .side.rejected [data-field="rejected"] pre').textContent()).toBe(
      ex.data.rejected,
    );
    expect(await page.locator('#pane [data-field="margin"] pre').textContent()).toBe(String(ex.data.margin));
  });

  it("shows a DPO pair side by side: chosen on the left, rejected on the right (examples browser)", async () => {
    const ex = await openInBrowser("dpo");
    const chosen = page.locator('#example-detail .pair .side.chosen [data-field="chosen"] pre');
    const rejected = page.locator('#example-detail .pair .side.rejected [data-field="rejected"] pre');
    expect(await chosen.textContent()).toBe(ex.data.chosen);
    expect(await rejected.textContent()).toBe(ex.data.rejected);
    expect(await page.locator('#example-detail [data-field="prompt"] pre').textContent()).toBe(
      ex.data.prompt,
    );
    const left = (await page.locator("#example-detail .pair .side.chosen").boundingBox())!;
    const right = (await page.locator("#example-detail .pair .side.rejected").boundingBox())!;
    expect(left.x + left.width).toBeLessThanOrEqual(right.x);
    expect(Math.abs(left.y - right.y)).toBeLessThan(1);
    expect(
      await page.locator('#example-detail .side.chosen [data-field="chosen_rating"] pre').textContent(),
    ).toBe(String(ex.data.chosen_rating));
    expect(
      await page.locator('#example-detail .side.rejected [data-field="rejected_rating"] pre').textContent(),
    ).toBe(String(ex.data.rejected_rating));
    expect(pageErrors).toEqual([]);
  });
});
