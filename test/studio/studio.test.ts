/**
 * The studio end to end: a real SQLite database filled by offline runs, the real HTTP
 * server, and Chromium (Debian's, driven by playwright-core) clicking through the pages.
 * Screenshots of every page go to test-output/studio/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { offlineModels } from "../../src/models/factories.js";
import { createPipeline } from "../../src/pipeline/pipeline.js";
import type { ExampleRow, Store } from "../../src/storage/store.js";
import { sqliteStore, type TypeormStore } from "../../src/storage/typeorm-store.js";
import { decideExample } from "../../src/studio/review.js";
import { type RunningStudio, serveStudio } from "../../src/studio/serve.js";
import { STUDIO_CSP } from "../../src/studio/server.js";
import { type CliResult, cli } from "../cli/helpers.js";
import { launchChromium } from "./browser.js";

const SHOTS = join(import.meta.dirname, "..", "..", "test-output", "studio");
const XSS = "<script>alert(1)</script>";
/** Waits for a condition (a page that polls, a request in flight): never a fixed sleep. */
const until = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 30_000, interval: 100 });

async function sql<T = Record<string, unknown>>(
  store: Store,
  q: string,
  params: unknown[] = [],
): Promise<T[]> {
  return (store as TypeormStore).dataSource.query(q, params) as Promise<T[]>;
}

/** GET through Node's HTTP client (no cookies, no redirects followed). */
function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("synthforge studio", () => {
  let dir: string;
  let store: Store;
  let studio: RunningStudio;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let runId: string;
  let queue: ExampleRow[];
  const pageErrors: string[] = [];
  let dialogs = 0;
  let background: Promise<CliResult> | null = null;
  const stopBackground = new AbortController();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "sf-studio-"));
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    store = sqliteStore({ path: join(dir, "studio.db") });
    await store.init();
    const pipeline = createPipeline({ storage: store, models: offlineModels(), concurrency: 4 });
    const summary = await pipeline.run("Generate 8 DPO examples about organic chemistry").done;
    expect(summary.status).toBe("completed");
    runId = summary.runId;
    // The automatic review sent four examples back (their revision is pending); one of
    // them holds a model output with markup in it.
    const approved: ExampleRow[] = [];
    for await (const ex of store.iterateExamples(runId, "dpo")) approved.push(ex);
    expect(approved.length).toBeGreaterThanOrEqual(8);
    queue = approved.slice(0, 4);
    for (const ex of queue) await store.updateExample("dpo", ex.id, { reviewStatus: "needs_revision" });
    await store.updateExample("dpo", queue[0]!.id, { data: { prompt: `${XSS} What is an ester?` } });

    studio = await serveStudio({ store, port: 0, reviewer: "test-reviewer" });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") pageErrors.push(m.text());
    });
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    page.on("dialog", async (d) => {
      dialogs++;
      await d.dismiss();
    });
  });

  afterAll(async () => {
    stopBackground.abort();
    await background?.catch(() => undefined);
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await studio?.close().catch(() => undefined);
    await store?.close().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("listens on 127.0.0.1 only by default", async () => {
    expect(studio.host).toBe("127.0.0.1");
    expect(studio.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${studio.port}/\\?token=[0-9a-f]{64}$`));
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === "IPv4" && !a.internal);
    if (outside) {
      const err = await get(`http://${outside.address}:${studio.port}/api/runs`, {
        Authorization: `Bearer ${studio.token}`,
      }).then(
        () => null,
        (e: NodeJS.ErrnoException) => e.code,
      );
      expect(err).toBe("ECONNREFUSED");
    }
  });

  it("answers 401 to every request without the right token", async () => {
    const base = `http://127.0.0.1:${studio.port}`;
    for (const path of [
      "/",
      "/api/runs",
      `/api/runs/${runId}`,
      "/assets/app.js",
      "/assets/chart.js",
      "/nope",
    ]) {
      expect((await get(base + path)).status, path).toBe(401);
      expect(
        (await get(`${base}${path}${path.includes("?") ? "&" : "?"}token=wrong-token-0123456789`)).status,
      ).toBe(401);
      expect((await get(base + path, { Authorization: "Bearer wrong-token-0123456789" })).status).toBe(401);
      expect((await get(base + path, { Cookie: "sf_studio_x=wrong" })).status).toBe(401);
    }
    const ok = await get(`${base}/api/runs`, { Authorization: `Bearer ${studio.token}` });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).runs.map((r: { id: string }) => r.id)).toContain(runId);
    // The token in the URL sets a cookie and the page loads without it in the address bar.
    const first = await get(studio.url);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe("/");
    const cookie = String(first.headers["set-cookie"]).split(";")[0]!;
    expect(cookie).toContain(studio.token);
    expect(String(first.headers["set-cookie"])).toMatch(/HttpOnly; SameSite=Strict/);
    const html = await get(`${base}/`, { Cookie: cookie });
    expect(html.status).toBe(200);
    expect(html.headers["content-security-policy"]).toBe(STUDIO_CSP);
    expect(html.body).not.toMatch(/<script>[^<]/); // no inline script
    const chart = await get(`${base}/assets/chart.js`, { Cookie: cookie });
    expect(chart.status).toBe(200);
    expect(chart.body).toContain("Chart.js v4");
  });

  it("shows the runs and a running run's progress, live", async () => {
    await page.goto(studio.url);
    expect(new URL(page.url()).search).toBe("");
    await page.locator(`#runs tr[data-run="${runId}"]`).waitFor();
    await page.screenshot({ path: join(SHOTS, "runs.png"), fullPage: true });

    // A run in the background: the real CLI, in its own process, writing to the same file.
    const dbPath = join(dir, "studio.db");
    background = cli(
      [
        "generate",
        "Generate 40 SFT examples about organic chemistry",
        "--yes",
        "--concurrency",
        "1",
        "--db",
        dbPath,
      ],
      {
        cwd: dir,
        signal: stopBackground.signal,
      },
    );
    await until(async () => (await store.listRuns()).length).toBe(2);
    const bgId = (await store.latestRun())!.id;
    // The runs page picks the new run up by itself (it polls).
    await page.locator(`#runs tr[data-run="${bgId}"]`).waitFor();
    await page.locator(`#runs tr[data-run="${bgId}"] a`).click();
    const count = page.locator("#approved-count");
    await page.locator("#run-status").waitFor();
    await until(async () => /^\d+$/.test((await count.textContent()) ?? "")).toBe(true);
    const first = Number(await count.textContent());
    // The page polls the run: the count it shows grows while the run goes on.
    await expect
      .poll(async () => Number(await count.textContent()), { timeout: 120_000, interval: 100 })
      .toBeGreaterThan(first);
    const later = Number(await count.textContent());
    expect(later).toBeGreaterThan(first);
    expect(await page.locator("#target-count").textContent()).toBe("40");
    await until(() => page.locator("#model-usage tr").count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, "run-live.png"), fullPage: true });
    // The run ends (completed, or stopped by its candidate budget: exit 3); the page then
    // shows what the database holds.
    expect([0, 3]).toContain((await background).code);
    const done = (await store.getRun(bgId))!;
    expect(["completed", "stopped"]).toContain(done.status);
    await until(() => page.locator("#run-status").textContent()).toBe(done.status);
    await until(() => count.textContent()).toBe(String((await store.countQuestions(bgId)).approved));
  });

  it("reviews the queue: approve, reject with a reason, edit (an invalid edit is refused)", async () => {
    await page.goto(`http://127.0.0.1:${studio.port}/#/run/${runId}/review`);
    await until(() => page.locator("#queue li[data-id]").count()).toBe(4);
    // The first example holds markup: it is shown as text and runs nothing.
    await page.locator(`#queue li[data-id="${queue[0]!.id}"]`).click();
    await page.locator(`#detail[data-example="${queue[0]!.id}"]`).waitFor();
    const prompt = page.locator('#detail [data-field="prompt"] pre');
    expect(await prompt.textContent()).toBe(`${XSS} What is an ester?`);
    expect(await page.locator("main script").count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, "review.png"), fullPage: true });

    // a: approve.
    await page.keyboard.press("a");
    await until(() => page.locator("#review-msg").textContent()).toContain(`Approved ${queue[0]!.id}`);
    await until(() => page.locator("#queue li[data-id]").count()).toBe(3);

    // r: reject, with a reason.
    await page.locator(`#queue li[data-id="${queue[1]!.id}"]`).click();
    await page.locator(`#detail[data-example="${queue[1]!.id}"]`).waitFor();
    await page.keyboard.press("r");
    await page.locator("#reject-reason").fill("The chosen answer names the wrong mechanism.");
    await page.locator("#reject-submit").click();
    await until(() => page.locator("#review-msg").textContent()).toContain(`Rejected ${queue[1]!.id}`);

    // e: an edit the DPO schema refuses changes nothing.
    await page.locator(`#queue li[data-id="${queue[2]!.id}"]`).click();
    await page.locator(`#detail[data-example="${queue[2]!.id}"]`).waitFor();
    await page.keyboard.press("e");
    const original = queue[2]!.data;
    await page.locator("#edit-json").fill(JSON.stringify({ ...original, chosen_rating: 42 }));
    await page.locator("#edit-submit").click();
    await until(() => page.locator("#form-error").textContent()).toMatch(/chosen_rating: .*10/);
    await page.screenshot({ path: join(SHOTS, "review-invalid-edit.png"), fullPage: true });
    const unchanged = await store.getExampleByQuestion("dpo", queue[2]!.questionId);
    expect(unchanged?.data).toEqual(original);
    expect(unchanged?.reviewStatus).toBe("needs_revision");

    // A valid edit is saved and approved.
    const edited = { ...original, prompt: "Which reagent turns a carboxylic acid into an ester?" };
    await page.locator("#edit-json").fill(JSON.stringify(edited));
    await page.locator("#edit-reason").fill("made the prompt self-contained");
    await page.locator("#edit-submit").click();
    await until(() => page.locator("#review-msg").textContent()).toContain(
      `Edited and approved ${queue[2]!.id}`,
    );
    await until(() => page.locator("#queue li[data-id]").count()).toBe(1);

    // What the database holds now.
    const rows = await sql<{
      example_id: string;
      kind: string;
      passed: number;
      reasons: string;
      raw: string;
    }>(
      store,
      "SELECT example_id, kind, passed, reasons, raw FROM reviews WHERE kind = 'human' ORDER BY created_at, id",
    );
    expect(rows.map((r) => r.example_id)).toEqual([queue[0]!.id, queue[1]!.id, queue[2]!.id]);
    const raws = rows.map((r) => JSON.parse(r.raw));
    for (const raw of raws) {
      expect(raw.reviewer).toBe("test-reviewer");
      expect(raw.before.reviewStatus).toBe("needs_revision");
    }
    expect(raws.map((r) => r.action)).toEqual(["approve", "reject", "edit"]);
    expect(raws.map((r) => r.after.reviewStatus)).toEqual([
      "human_approved",
      "human_rejected",
      "human_approved",
    ]);
    expect(rows.map((r) => Number(r.passed))).toEqual([1, 0, 1]);
    expect(raws[0].before.data.prompt).toBe(`${XSS} What is an ester?`);
    expect(raws[1].reason).toBe("The chosen answer names the wrong mechanism.");
    expect(JSON.parse(rows[1]!.reasons)[0]).toContain("The chosen answer names the wrong mechanism.");
    expect(raws[2].before.data).toEqual(original);
    expect(raws[2].after.data).toEqual(edited);
    const status = async (i: number) => (await store.getExampleByQuestion("dpo", queue[i]!.questionId))!;
    expect((await status(0)).reviewStatus).toBe("human_approved");
    expect((await status(1)).reviewStatus).toBe("human_rejected");
    expect((await status(2)).reviewStatus).toBe("human_approved");
    expect((await status(2)).data).toEqual(edited);
    expect((await status(3)).reviewStatus).toBe("needs_revision");
    expect((await store.countExamples(runId, "dpo")).human_approved).toBe(2);
  });

  it("refuses a rejection without a reason and an unknown example, writing nothing", async () => {
    const before = await sql(store, "SELECT COUNT(*) AS n FROM reviews");
    await expect(
      decideExample(store, { runId, exampleId: queue[3]!.id, action: "reject", reason: "  " }),
    ).rejects.toMatchObject({ code: "INVALID_REQUEST", message: expect.stringMatching(/needs a reason/) });
    await expect(
      decideExample(store, { runId, exampleId: "ex_missing", action: "approve" }),
    ).rejects.toMatchObject({
      code: "INVALID_REQUEST",
    });
    expect(await sql(store, "SELECT COUNT(*) AS n FROM reviews")).toEqual(before);
  });

  it("filters and searches the examples, page by page", async () => {
    await page.goto(`http://127.0.0.1:${studio.port}/#/run/${runId}/examples`);
    await page.locator("#f-status").waitFor();
    const total = (await store.countExamples(runId, "dpo")) as Record<string, number>;
    const all = Object.values(total).reduce((a, b) => a + b, 0);
    await until(() => page.locator("#examples-info").textContent()).toContain(`${all} example(s) match`);
    await page.locator("#f-status").selectOption("human_approved");
    await page.locator("#apply").click();
    await until(() => page.locator("#examples-info").textContent()).toContain("2 example(s) match");
    const ids = await page
      .locator("#examples-body tr")
      .evaluateAll((trs) => trs.map((t) => t.getAttribute("data-id")));
    expect(ids.sort()).toEqual([queue[0]!.id, queue[2]!.id].sort());
    // Text search finds the edited prompt only.
    await page.locator("#f-q").fill("carboxylic acid into an ester");
    await page.locator("#apply").click();
    await until(() => page.locator("#examples-info").textContent()).toContain("1 example(s) match");
    await page.locator(`#examples-body tr[data-id="${queue[2]!.id}"] a`).click();
    await page.locator(`#detail[data-example="${queue[2]!.id}"]`).waitFor();
    expect(await page.locator('#detail tr[data-kind="human"]').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, "examples.png"), fullPage: true });
    // Score range and licence filters, checked against the database.
    await page.locator("#f-q").fill("");
    await page.locator("#f-status").selectOption("");
    await page.locator("#f-minScore").fill("0.99");
    await page.locator("#apply").click();
    const high = await sql<{ n: number }>(
      store,
      "SELECT COUNT(*) AS n FROM synthetic_data_dpo WHERE run_id = ? AND quality_score >= 0.99",
      [runId],
    );
    await until(() => page.locator("#examples-info").textContent()).toContain(
      `${high[0]!.n} example(s) match`,
    );
    await page.locator("#f-minScore").fill("");
    await page.locator("#f-licence").selectOption("CC-BY-4.0");
    await page.locator("#apply").click();
    await until(() => page.locator("#examples-info").textContent()).toContain(`${all} example(s) match`);
    // Pagination: 2 per page through the API walks every example once.
    const seen: string[] = [];
    let after = "";
    for (let i = 0; i < 20; i++) {
      const r = await get(
        `http://127.0.0.1:${studio.port}/api/runs/${runId}/examples?limit=3${after ? `&after=${after}` : ""}`,
        { Authorization: `Bearer ${studio.token}` },
      );
      const j = JSON.parse(r.body);
      seen.push(...j.rows.map((x: { id: string }) => x.id));
      if (!j.next) break;
      after = j.next;
    }
    expect(new Set(seen).size).toBe(all);
    expect(seen).toHaveLength(all);
  });

  it("draws the quality dashboard with Chart.js served by the studio", async () => {
    await page.goto(`http://127.0.0.1:${studio.port}/#/run/${runId}/quality`);
    await page.locator("#chart-checks").waitFor();
    for (const id of ["chart-histogram", "chart-subtopic", "chart-difficulty", "chart-checks"])
      expect(
        await page.evaluate(`Boolean(window.Chart && window.Chart.getChart(${JSON.stringify(id)}))`),
      ).toBe(true);
    const histogram = await page
      .locator("#quality section")
      .first()
      .locator("tbody tr td:nth-child(2)")
      .allTextContents();
    const examples = Object.values(await store.countExamples(runId, "dpo")).reduce((a, b) => a + b, 0);
    expect(histogram.map(Number).reduce((a, b) => a + b, 0)).toBe(examples);
    const human = page.locator("#quality section").nth(3).locator("tr", { hasText: "human" });
    expect(await human.locator("td").allTextContents()).toEqual(["human", "2", "1"]);
    await page.screenshot({ path: join(SHOTS, "quality.png"), fullPage: true });
  });

  it("exports from the page with the CLI's options", async () => {
    await page.goto(`http://127.0.0.1:${studio.port}/#/run/${runId}/export`);
    await page.locator("#x-format").waitFor();
    await page.locator("#x-format").selectOption("trl-dpo");
    const out = join(dir, "studio-export.jsonl");
    await page.locator("#x-out").fill(out);
    await page.locator("#x-status").fill("approved,human_approved");
    await page.locator("#x-submit").click();
    await until(() => page.locator("#export-result").textContent()).toMatch(/^wrote \d+ dpo example/);
    const c = await store.countExamples(runId, "dpo");
    const lines = readFileSync(out, "utf8").trim().split("\n");
    expect(lines).toHaveLength(c.approved + c.human_approved);
    expect(lines.some((l) => l.includes("Which reagent turns a carboxylic acid into an ester?"))).toBe(true);
    // Bad options get the CLI's message.
    await page.locator("#x-split").fill("train=0.9,test=0.2");
    await page.locator("#x-submit").click();
    await until(() => page.locator("#export-result").textContent()).toMatch(
      /^error \[INVALID_REQUEST\]: --split shares add up to 1\.1, not 1/,
    );
    await page.screenshot({ path: join(SHOTS, "export.png"), fullPage: true });
    expect(existsSync(join(dir, "studio-export.train.jsonl"))).toBe(false);
  });

  it("ran no script from the data and broke no rule of its Content-Security-Policy", () => {
    expect(dialogs).toBe(0);
    // The refused edit and export answer 400, which Chromium logs; nothing else may be logged.
    expect(pageErrors.filter((e) => !/status of 400 \(Bad Request\)/.test(e))).toEqual([]);
  });
});
