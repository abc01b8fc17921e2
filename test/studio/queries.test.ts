/**
 * The studio's queries and human review on both engines: SQLite and an embedded
 * PostgreSQL, over a database an offline run filled.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportRun } from "../../src/export/export.js";
import { parseReviewStatuses } from "../../src/export/export-select.js";
import { offlineModels } from "../../src/models/factories.js";
import { createPipeline } from "../../src/pipeline/pipeline.js";
import type { ExampleRow, Store } from "../../src/storage/store.js";
import { studioQueries } from "../../src/storage/studio-queries.js";
import { postgresStore, sqliteStore, type TypeormStore } from "../../src/storage/typeorm-store.js";
import { decideExample, exampleDetail } from "../../src/studio/review.js";
import { startPostgres, type TestPostgres } from "../helpers/postgres.js";

let pg: TestPostgres;
const dir = mkdtempSync(join(tmpdir(), "sf-studio-q-"));

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

describe.each([
  ["sqlite", async () => sqliteStore({ path: join(dir, "q.db") })],
  ["postgres", async () => postgresStore({ url: await pg.createDatabase("studio") })],
] as const)("studio queries on %s", (engine, open) => {
  let store: Store;
  let runId: string;
  let examples: ExampleRow[];

  beforeAll(async () => {
    store = await open();
    await store.init();
    const summary = await createPipeline({ storage: store, models: offlineModels(), concurrency: 4 }).run(
      "Generate 6 DPO examples about organic chemistry",
    ).done;
    runId = summary.runId;
    examples = [];
    for await (const ex of store.iterateExamples(runId, "dpo")) examples.push(ex);
    await store.updateExample("dpo", examples[0]!.id, { reviewStatus: "needs_revision", qualityScore: 0.55 });
    await store.updateExample("dpo", examples[1]!.id, {
      reviewStatus: "needs_revision",
      qualityScore: 0.7,
      data: { prompt: "What does 100% yield_of a reaction mean?" },
    });
  });
  afterAll(async () => {
    await store?.close();
  });

  it("filters, searches and pages examples in the database", async () => {
    const q = studioQueries(store);
    const all = await q.listExamples(runId, "dpo", {});
    expect(all.total).toBe(examples.length);
    const queue = await q.listExamples(runId, "dpo", { status: ["needs_revision"] });
    expect(queue.rows.map((r) => r.id).sort()).toEqual([examples[0]!.id, examples[1]!.id].sort());
    expect(queue.rows.every((r) => r.question.length > 0 && r.subTopic.length > 0)).toBe(true);
    const mid = await q.listExamples(runId, "dpo", { minScore: 0.5, maxScore: 0.6 });
    expect(mid.rows.map((r) => r.id)).toEqual([examples[0]!.id]);
    const sub = examples[2]!;
    const subTopic = (await store.getQuestion(sub.questionId))!.subTopic;
    const bySub = await q.listExamples(runId, "dpo", { subTopic });
    expect(bySub.rows.map((r) => r.id)).toContain(sub.id);
    expect(bySub.rows.every((r) => r.subTopic === subTopic)).toBe(true);
    // LIKE wildcards in the search text are literal.
    expect((await q.listExamples(runId, "dpo", { text: "100% yield_of" })).rows.map((r) => r.id)).toEqual([
      examples[1]!.id,
    ]);
    expect((await q.listExamples(runId, "dpo", { text: "100%_yield" })).total).toBe(0);
    expect((await q.listExamples(runId, "dpo", { licence: "CC-BY-4.0" })).total).toBe(examples.length);
    expect((await q.listExamples(runId, "dpo", { licence: "MIT" })).total).toBe(0);
    // Keyset pages cover every example once.
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await q.listExamples(runId, "dpo", {
        limit: 4,
        ...(after ? { after, count: false } : {}),
      });
      seen.push(...page.rows.map((r) => r.id));
      if (after) expect(page.total).toBeNull();
      if (!page.next) break;
      after = page.next;
    }
    expect(seen).toEqual(examples.map((e) => e.id).sort());
    await expect(q.listExamples(runId, "dpo", { status: ["approvedd" as never] })).rejects.toMatchObject({
      code: "INVALID_REQUEST",
    });
  });

  it("answers the licence filter and the dashboard as a tally of the rows does", async () => {
    const q = studioQueries(store);
    const rows: ExampleRow[] = [];
    for await (const ex of store.iterateExamples(runId, "dpo")) rows.push(ex);
    // A source some examples cite and others do not, given a licence of its own.
    const cited = rows.flatMap((r) => r.sources);
    const source = cited.find((s) => rows.some((r) => !r.sources.includes(s)))!;
    const original = (await store.getSources([source]))[0]!.licence;
    const sql = (store as TypeormStore).dataSource;
    const relicense = (licence: string) =>
      sql.query(`UPDATE sources SET licence = ${engine === "postgres" ? "$1" : "?"} WHERE id = '${source}'`, [
        licence,
      ]);
    await relicense("LicenseRef-studio-test");
    try {
      const page = await q.listExamples(runId, "dpo", { licence: "LicenseRef-studio-test" });
      const expected = rows.filter((r) => r.sources.includes(source)).map((r) => r.id);
      expect(expected.length).toBeGreaterThan(0);
      expect(page.rows.map((r) => r.id)).toEqual(expected.sort());
      expect(page.total).toBe(expected.length);
    } finally {
      await relicense(original);
    }

    const stats = await q.quality(runId, "dpo");
    const histogram = Array.from({ length: 10 }, () => 0);
    for (const r of rows)
      if (r.qualityScore !== null) histogram[Math.min(9, Math.floor(r.qualityScore * 10))]! += 1;
    expect(stats.histogram).toEqual(histogram);
    expect(stats.unscored).toBe(rows.filter((r) => r.qualityScore === null).length);
    const bySubTopic = new Map<string, number>();
    for (const r of rows) {
      const subTopic = (await store.getQuestion(r.questionId))!.subTopic;
      bySubTopic.set(subTopic, (bySubTopic.get(subTopic) ?? 0) + 1);
    }
    expect(stats.bySubTopic.map((g) => [g.key, g.total])).toEqual(
      [...bySubTopic].sort((a, b) => a[0].localeCompare(b[0])),
    );
  });

  it("records human decisions with before and after, and the dashboards count them", async () => {
    const q = studioQueries(store);
    const reject = await decideExample(store, {
      runId,
      exampleId: examples[0]!.id,
      action: "reject",
      reason: "off by one carbon",
      reviewer: "lee",
    });
    expect(reject.example.reviewStatus).toBe("human_rejected");
    expect(reject.review).toMatchObject({ kind: "human", passed: false, score: 0 });
    expect(reject.review.raw).toMatchObject({
      reviewer: "lee",
      action: "reject",
      reason: "off by one carbon",
      before: { reviewStatus: "needs_revision", qualityScore: 0.55 },
      after: { reviewStatus: "human_rejected" },
    });
    const bad = { ...examples[1]!.data, rejection_reason: "not a flaw" };
    await expect(
      decideExample(store, { runId, exampleId: examples[1]!.id, action: "edit", data: bad }),
    ).rejects.toMatchObject({
      code: "INVALID_REQUEST",
      message: expect.stringMatching(/^The edit is not a valid dpo example: rejection_reason: /),
    });
    const before = (await store.getExampleByQuestion("dpo", examples[1]!.questionId))!;
    expect(before.reviewStatus).toBe("needs_revision");
    const edited = { ...before.data, chosen: `${String(before.data.chosen)} (checked)` };
    const edit = await decideExample(store, {
      runId,
      exampleId: examples[1]!.id,
      action: "edit",
      data: edited,
    });
    expect(edit.example.data).toEqual(edited);
    expect(edit.example.reviewStatus).toBe("human_approved");
    expect((edit.review.raw as { before: { data: unknown } }).before.data).toEqual(before.data);
    // A second decision on the same round gets the next place (the unique index holds).
    const again = await decideExample(store, { runId, exampleId: examples[1]!.id, action: "approve" });
    expect(again.review.seq).toBe(edit.review.seq + 1);

    const detail = await exampleDetail(store, runId, examples[1]!.id);
    expect(detail.reviews.filter((r) => r.kind === "human")).toHaveLength(2);
    expect(detail.sources[0]?.licence).toBe("CC-BY-4.0");
    expect(detail.question?.groundTruthContext).toContain("[");

    expect((await q.listExamples(runId, "dpo", { failedCheck: "human" })).rows.map((r) => r.id)).toEqual([
      examples[0]!.id,
    ]);
    const stats = await q.quality(runId, "dpo");
    expect(stats.histogram.reduce((a, b) => a + b, 0) + stats.unscored).toBe(examples.length);
    expect(stats.histogram[5]).toBeGreaterThanOrEqual(1); // 0.55
    expect(stats.byCheck.find((c) => c.check === "human")).toEqual({ check: "human", passed: 2, failed: 1 });
    const total = stats.byDifficulty.reduce((a, g) => a + g.total, 0);
    expect(total).toBe(examples.length);
    expect(stats.bySubTopic.reduce((a, g) => a + g.rejected, 0)).toBe(1);
    const usage = await q.modelUsage(runId);
    expect(usage.reduce((a, u) => a + u.calls - u.cached, 0)).toBe((await store.usage(runId)).calls);
    const facets = await q.facets(runId, "dpo");
    expect(facets.checks).toContain("human");
    expect(facets.licences).toContain("CC-BY-4.0");

    const out = join(dir, `${engine}.jsonl`);
    const res = await exportRun(store, runId, {
      format: "trl-dpo",
      out,
      reviewStatus: parseReviewStatuses("approved,human_approved"),
    });
    const counts = await store.countExamples(runId, "dpo");
    expect(counts.human_approved).toBe(1);
    expect(counts.human_rejected).toBe(1);
    expect(res.rows).toBe(counts.approved + counts.human_approved);
    expect(readFileSync(out, "utf8")).toContain("(checked)");
  });
});
