/**
 * Sub-topic quotas hold in the approved data: claims prefer candidates of sub-topics
 * short of their quota (approved + in work < quota) on SQLite and PostgreSQL, keeping the
 * exact-N cap; a whole offline run approves each sub-topic's quota; the summary says so.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatSummary } from "../../src/cli/progress.js";
import { newId, sha256 } from "../../src/core/ids.js";
import { createPipeline } from "../../src/pipeline/pipeline.js";
import type { NewQuestion, QuestionRow } from "../../src/storage/store.js";
import { postgresStore, sqliteStore, type TypeormStore } from "../../src/storage/typeorm-store.js";
import { startPostgres, type TestPostgres } from "../helpers/postgres.js";

let dir: string;
let pg: TestPostgres;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sf-quotas-"));
  pg = await startPostgres();
}, 120_000);
afterAll(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const question = (runId: string, subTopic: string, i: number): NewQuestion => {
  const text = `Question ${i} about ${subTopic}?`;
  return {
    id: newId("q"),
    runId,
    topic: "chemistry",
    subTopic,
    difficulty: "easy",
    text,
    textHash: sha256(text),
  };
};

const engines: Array<[string, () => Promise<TypeormStore>]> = [
  ["sqlite", async () => sqliteStore({ path: join(dir, `${newId("db")}.db`) })],
  ["postgres", async () => postgresStore({ url: await pg.createDatabase("quotas") })],
];

for (const [engine, make] of engines) {
  describe(`claims under sub-topic quotas (${engine})`, () => {
    it("claims the sub-topics short of their quota first, never past quota + slack, within the N cap", async () => {
      const store = await make();
      await store.init();
      try {
        const run = await store.createRun({
          id: newId("run"),
          request: "r",
          trainingType: "sft",
          topic: "chemistry",
          targetCount: 4,
          config: {},
          status: "running",
          provider: "offline",
        });
        // The first sub-topic's questions are the oldest: oldest-first claims would take only them.
        const qs = [
          ...[0, 1, 2, 3, 4].map((i) => question(run.id, "A", i)),
          ...[5, 6].map((i) => question(run.id, "B", i)),
          question(run.id, "C", 7),
        ];
        for (const q of qs) await store.insertQuestions([q]);
        const quotas = { bySubTopic: { A: 2, B: 1, C: 1 }, slack: 0 };
        const sub = (rows: QuestionRow[]) =>
          rows
            .map((r) => r.subTopic)
            .sort()
            .join("");
        const first = await store.claimQuestions(run.id, {
          owner: "w1",
          leaseMs: 60_000,
          limit: 10,
          target: 4,
          quotas,
        });
        expect(sub(first)).toBe("AABC");
        // Everything is in work: the N cap and the quotas give nothing more.
        expect(
          await store.claimQuestions(run.id, { owner: "w2", leaseMs: 60_000, limit: 10, target: 10, quotas }),
        ).toEqual([]);
        // One of A's fails: A is short again, and only A gives a candidate.
        const a = first.find((r) => r.subTopic === "A")!;
        await store.updateQuestion(a.id, { status: "failed" });
        const b = first.find((r) => r.subTopic === "B")!;
        await store.updateQuestion(b.id, { status: "approved" });
        const next = await store.claimQuestions(run.id, {
          owner: "w2",
          leaseMs: 60_000,
          limit: 10,
          target: 10,
          quotas,
        });
        expect(sub(next)).toBe("A");
        // With slack 1, each sub-topic may take one more.
        const more = await store.claimQuestions(run.id, {
          owner: "w3",
          leaseMs: 60_000,
          limit: 10,
          target: 10,
          quotas: { ...quotas, slack: 1 },
        });
        expect(sub(more)).toBe("AB");
        // Without quotas, oldest first as before.
        const rest = await store.claimQuestions(run.id, {
          owner: "w4",
          leaseMs: 60_000,
          limit: 10,
          target: 10,
        });
        expect(sub(rest)).toBe("A");
      } finally {
        await store.close();
      }
    });
  });
}

describe("a run", () => {
  it("approves each sub-topic's quota, and the summary shows approved/quota per sub-topic", async () => {
    const p = createPipeline({ storage: sqliteStore({ path: join(dir, "run.db") }), concurrency: 4 });
    try {
      const s = await p.run("Generate 10 SFT examples about organic chemistry").done;
      expect(s.status).toBe("completed");
      const run = (await p.store.getRun(s.runId))!;
      const planned = run.plan!.subTopics.map((x) => x.quota);
      expect(planned.some((q) => q > 1)).toBe(true);
      expect(s.subTopics?.map((x) => x.quota)).toEqual(planned);
      expect(s.subTopics?.map((x) => x.approved)).toEqual(planned);
      // The summary line appears only when a sub-topic is off its quota.
      const shifted = {
        ...s,
        subTopics: s.subTopics!.map((x, i) => (i === 0 ? { ...x, approved: x.approved + 1 } : x)),
      };
      const line = formatSummary(shifted, { exportHint: null }).find((l) => l.includes("sub-topics"));
      expect(line).toContain(
        `${s.subTopics![0]!.name} ${s.subTopics![0]!.quota + 1}/${s.subTopics![0]!.quota}`,
      );
      expect(formatSummary(s, { exportHint: null }).some((l) => l.includes("sub-topics"))).toBe(false);
    } finally {
      await p.close();
    }
  }, 120_000);
});
