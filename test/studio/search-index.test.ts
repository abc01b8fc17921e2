/**
 * The studio's search structures on SQLite (migration `StudioIndexes`): the trigram FTS5
 * tables and key tables beside the example tables and `questions` follow every insert,
 * update and delete, also for the table of a training type registered at run time, and
 * the studio's search answers exactly as `LIKE` does.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { offlineModels } from "../../src/models/factories.js";
import { createPipeline } from "../../src/pipeline/pipeline.js";
import { registerExampleColumns } from "../../src/storage/schema.js";
import type { ExampleRow } from "../../src/storage/store.js";
import { studioQueries } from "../../src/storage/studio-queries.js";
import { sqliteStore, type TypeormStore } from "../../src/storage/typeorm-store.js";

describe("studio search index on SQLite", () => {
  let dir: string;
  let store: TypeormStore;
  let runId: string;
  let examples: ExampleRow[];
  const count = async (sql: string, params: unknown[] = []) =>
    Number(((await store.dataSource.query(sql, params)) as Array<{ n: number }>)[0]!.n);

  beforeAll(async () => {
    // A training type registered before the store opens: its table is made at open.
    registerExampleColumns("sfnote", [
      { name: "body", kind: "text" },
      { name: "tags", kind: "json" },
    ]);
    dir = mkdtempSync(join(tmpdir(), "sf-studio-search-"));
    store = sqliteStore({ path: join(dir, "s.db") });
    await store.init();
    const summary = await createPipeline({ storage: store, models: offlineModels(), concurrency: 4 }).run(
      "Generate 3 DPO examples about organic chemistry",
    ).done;
    runId = summary.runId;
    examples = [];
    for await (const ex of store.iterateExamples(runId, "dpo")) examples.push(ex);
  });
  afterAll(async () => {
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("indexes every stored row, and follows updates of the text", async () => {
    const q = studioQueries(store);
    expect(await count('SELECT COUNT(*) AS n FROM "studio_keys_synthetic_data_dpo"')).toBe(examples.length);
    expect(await count('SELECT COUNT(*) AS n FROM "studio_keys_questions"')).toBe(
      await count("SELECT COUNT(*) AS n FROM questions"),
    );
    const target = examples[1]!;
    await store.updateExample("dpo", target.id, { data: { chosen: "Quinoline-Xylylene marker." } });
    // ASCII case folds, as LIKE does; a match inside a word is found.
    for (const text of ["quinoline-xylylene", "NOLINE-XYL", "Xylylene marker."])
      expect(
        (await q.listExamples(runId, "dpo", { text })).rows.map((r) => r.id),
        text,
      ).toEqual([target.id]);
    await store.updateExample("dpo", target.id, { data: { chosen: "Benzylidene tracer." } });
    expect((await q.listExamples(runId, "dpo", { text: "quinoline" })).total).toBe(0);
    expect(
      (await q.listExamples(runId, "dpo", { text: "benzylidene TRACER" })).rows.map((r) => r.id),
    ).toEqual([target.id]);
    // A status change alone leaves the text index as it was.
    await store.updateExample("dpo", target.id, { reviewStatus: "needs_revision" });
    expect((await q.listExamples(runId, "dpo", { text: "benzylidene" })).total).toBe(1);
    // Shorter than a trigram: the search scans and still finds it.
    const question = (await store.getQuestion(target.questionId))!;
    const two = question.text.slice(0, 2);
    const all = (await q.listExamples(runId, "dpo", {})).rows;
    const expected = [];
    for (const r of all) if (r.question.toLowerCase().includes(two.toLowerCase())) expected.push(r.id);
    expect((await q.listExamples(runId, "dpo", { text: two })).rows.map((r) => r.id)).toEqual(
      expect.arrayContaining(expected),
    );
    // The question text is searched too.
    const words = question.text.split(/\s+/).slice(0, 3).join(" ");
    expect((await q.listExamples(runId, "dpo", { text: words })).rows.map((r) => r.id)).toContain(target.id);
  });

  it("covers the table of a registered type: insert, update, licence and delete", async () => {
    expect(
      await count("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'studio_fts_synthetic_data_sfnote'"),
    ).toBe(1);
    const q = studioQueries(store);
    const saved = await store.saveExample({
      id: "ex_sfnote_1",
      runId,
      questionId: examples[0]!.questionId,
      trainingType: "sfnote",
      data: { body: "A zebra crossing note.", tags: ["stripe-walk"] },
      model: "m",
      provider: "offline",
      qualityScore: 0.5,
      reviewStatus: "approved",
      sources: examples[0]!.sources,
      revision: 0,
    });
    expect((await q.listExamples(runId, "sfnote", { text: "ZEBRA cross" })).rows.map((r) => r.id)).toEqual([
      saved.id,
    ]);
    // JSON columns are searched as their stored text.
    expect((await q.listExamples(runId, "sfnote", { text: "stripe-walk" })).total).toBe(1);
    const licence = (await store.getSources(examples[0]!.sources))[0]!.licence;
    expect((await q.listExamples(runId, "sfnote", { licence })).total).toBe(1);
    expect((await q.listExamples(runId, "sfnote", { licence: "No-Such-Licence" })).total).toBe(0);
    await store.updateExample("sfnote", saved.id, { data: { body: "A pelican note." } });
    expect((await q.listExamples(runId, "sfnote", { text: "zebra" })).total).toBe(0);
    expect((await q.listExamples(runId, "sfnote", { text: "pelican" })).total).toBe(1);
    await store.dataSource.query("DELETE FROM synthetic_data_sfnote WHERE id = ?", [saved.id]);
    expect(await count('SELECT COUNT(*) AS n FROM "studio_keys_synthetic_data_sfnote"')).toBe(0);
    expect((await q.listExamples(runId, "sfnote", { text: "pelican" })).total).toBe(0);
  });
});
