import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { newId } from "../../src/core/ids.js";
import type { RunRow } from "../../src/storage/store.js";
import { sqliteStore, type TypeormStore } from "../../src/storage/typeorm-store.js";
import { expectCode, storeContract } from "./contract.js";

let dir: string;
let counter = 0;
const files = new Map<TypeormStore, string>();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "synthforge-sqlite-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function freshPath(): string {
  counter += 1;
  return join(dir, `db-${counter}`, "synthforge.db");
}

/** A run row for tests that need one (one example, offline, planning unless told). */
const newRun = (over: Partial<Pick<RunRow, "targetCount" | "status">> = {}) => ({
  id: newId("run"),
  request: "r",
  trainingType: "sft" as const,
  topic: "t",
  targetCount: 1,
  config: {},
  status: "planning" as RunRow["status"],
  provider: "offline",
  ...over,
});

storeContract("sqlite", () => ({
  async fresh() {
    const path = freshPath();
    const store = sqliteStore({ path });
    files.set(store, path);
    return store;
  },
  reopen(store) {
    const path = files.get(store);
    if (!path) throw new Error("unknown store");
    return sqliteStore({ path });
  },
}));

describe("sqlite: files and connection", () => {
  it("creates the missing directory, uses WAL, a busy timeout and foreign keys", async () => {
    const path = join(dir, "nested", "deeper", "data.db");
    const store = sqliteStore({ path, busyTimeoutMs: 4321 });
    expect(store.kind).toBe("sqlite");
    expect(store.location).toBe(path);
    await store.init();
    try {
      expect(existsSync(path)).toBe(true);
      const pragma = async (name: string) =>
        Object.values(
          ((await store.dataSource.query(`PRAGMA ${name}`)) as Array<Record<string, unknown>>)[0] ?? {},
        )[0];
      expect(await pragma("journal_mode")).toBe("wal");
      expect(await pragma("foreign_keys")).toBe(1);
      expect(await pragma("busy_timeout")).toBe(4321);
      expect(readFileSync(path).subarray(0, 16).toString("latin1")).toBe("SQLite format 3\0");
    } finally {
      await store.close();
    }
  });

  it("refuses a file that is not a database and leaves it byte-for-byte unchanged", async () => {
    const sub = join(dir, "not-a-db");
    const path = join(sub, "notes.db");
    rmSync(sub, { recursive: true, force: true });
    mkdirSync(sub, { recursive: true });
    const content = "These are my notes, not a database.\n".repeat(200);
    writeFileSync(path, content);
    const store = sqliteStore({ path });
    const err = await expectCode(store.init(), "DB_SCHEMA");
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/not a SQLite database/);
    expect(readFileSync(path, "utf8")).toBe(content);
    // No journal, WAL or shared-memory file was created beside it either.
    expect(readdirSync(sub)).toEqual(["notes.db"]);
    await store.close();
  });

  it("refuses a directory with DB_UNREACHABLE", async () => {
    const store = sqliteStore({ path: dir });
    const err = await expectCode(store.init(), "DB_UNREACHABLE");
    expect(err.message).toMatch(/is a directory/);
  });

  it("works in memory, and keeps data across close and reopen of a file", async () => {
    const mem = sqliteStore({ path: ":memory:" });
    await mem.init();
    const run = await mem.createRun(newRun());
    expect((await mem.getRun(run.id))?.id).toBe(run.id);
    expect(mem.location).toBe(":memory:");
    await mem.close();

    const path = freshPath();
    const a = sqliteStore({ path });
    await a.init();
    await a.createRun({ ...run });
    await a.close();
    const b = sqliteStore({ path });
    await b.init();
    expect((await b.getRun(run.id))?.request).toBe("r");
    await b.close();
  });

  it("non-transaction writes issued during an open transaction do not land inside it", async () => {
    const store = sqliteStore({ path: freshPath() });
    await store.init();
    try {
      const run = await store.createRun(newRun());
      const order: string[] = [];
      const tx = store.transaction(async (t) => {
        order.push("tx-start");
        await new Promise((r) => setTimeout(r, 20));
        await t.updateRun(run.id, { status: "running" });
        order.push("tx-end");
        throw new Error("rollback");
      });
      const outside = (async () => {
        await new Promise((r) => setTimeout(r, 5));
        await store.updateRun(run.id, { stopReason: "outside" });
        order.push("outside");
      })();
      await expect(tx).rejects.toThrow("rollback");
      await outside;
      expect(order).toEqual(["tx-start", "tx-end", "outside"]);
      const got = await store.getRun(run.id);
      expect(got?.stopReason).toBe("outside");
      expect(got?.status).toBe("planning");
    } finally {
      await store.close();
    }
  });

  it("a call on the outer store inside transaction() joins the transaction instead of deadlocking", async () => {
    const store = sqliteStore({ path: freshPath() });
    await store.init();
    try {
      const run = newRun();
      await expect(
        store.transaction(async () => {
          await store.createRun(run); // the outer store, not the tx store
          throw new Error("undo");
        }),
      ).rejects.toThrow("undo");
      expect(await store.getRun(run.id)).toBeNull();
    } finally {
      await store.close();
    }
  });

  it("a database migrated by a newer synthforge is refused with DB_SCHEMA", async () => {
    const path = freshPath();
    const store = sqliteStore({ path });
    await store.init();
    await store.dataSource.query("INSERT INTO synthforge_migrations (timestamp, name) VALUES (?, ?)", [
      1999999999999,
      "FutureChange1999999999999",
    ]);
    await store.close();
    const again = sqliteStore({ path });
    const err = await expectCode(again.init(), "DB_SCHEMA");
    expect(err.message).toMatch(/newer synthforge \(FutureChange1999999999999\)/);
    await again.close();
  });

  it("a SQLite database of another application with a clashing table → DB_SCHEMA", async () => {
    const path = freshPath();
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.exec("CREATE TABLE questions (something TEXT)");
    db.close();
    const store = sqliteStore({ path });
    const log = vi.spyOn(console, "log");
    const err = await expectCode(store.init(), "DB_SCHEMA");
    // TypeORM's own logger would print the failed migration; ours stays quiet.
    expect(log).not.toHaveBeenCalled();
    log.mockRestore();
    expect(err.message).toMatch(/could not create or update the synthforge tables.*questions/);
    const check = new Database(path, { readonly: true });
    const tables = check
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all() as Array<{
      name: string;
    }>;
    check.close();
    expect(tables.map((t) => t.name)).toEqual(["questions", "synthforge_migrations"]);
  });

  it("reports applied migrations to the given logger, and only the first time", async () => {
    const lines: string[] = [];
    const logger = {
      debug() {},
      info: (m: string) => lines.push(m),
      warn: (m: string) => lines.push(`warn: ${m}`),
      error: (m: string) => lines.push(`error: ${m}`),
    };
    const path = freshPath();
    const first = sqliteStore({ path, logger });
    await first.init();
    await first.close();
    expect(lines.some((l) => l.includes("InitialSchema1767225600000"))).toBe(true);
    lines.length = 0;
    const second = sqliteStore({ path, logger });
    await second.init();
    await second.close();
    expect(lines.filter((l) => l.includes("InitialSchema1767225600000"))).toEqual([]);
  });
});

describe("sqlite: another process's locks", () => {
  /** Debug lines of a store, to see its retries. */
  const recorder = () => {
    const lines: string[] = [];
    const logger = {
      debug: (m: string) => lines.push(m),
      info() {},
      warn() {},
      error() {},
    };
    return { lines, logger };
  };
  const retries = (lines: string[]) =>
    lines.filter((l) => /database is locked \(attempt \d+\)/.test(l)).length;

  it("a transaction holds the write lock from before its first read (BEGIN IMMEDIATE)", async () => {
    const path = freshPath();
    const store = sqliteStore({ path });
    await store.init();
    // Another process's connection, which does not wait for locks.
    const other = new Database(path, { timeout: 0 });
    try {
      const run = await store.createRun(newRun());
      const otherWrite = () =>
        other.prepare("UPDATE runs SET stop_reason = 'other' WHERE id = ?").run(run.id);
      await store.transaction(async (tx) => {
        await tx.getRun(run.id); // a read: a deferred transaction would not hold the lock yet
        // Had the other process written here, a deferred transaction's next write would
        // fail with SQLITE_BUSY at once (its snapshot is stale); it cannot write at all.
        expect(otherWrite).toThrow(/locked|busy/i);
        await tx.updateRun(run.id, { status: "running" });
      });
      otherWrite();
      const got = await store.getRun(run.id);
      expect(got?.status).toBe("running");
      expect(got?.stopReason).toBe("other");
    } finally {
      other.close();
      await store.close();
    }
  });

  it("a transaction and a statement that find the file locked wait, retry and are applied once", async () => {
    const path = freshPath();
    const { lines, logger } = recorder();
    const store = sqliteStore({ path, busyTimeoutMs: 20, logger });
    await store.init();
    const other = new Database(path, { timeout: 0 });
    try {
      const run = newRun();
      const before = await store.createRun(newRun());
      other.exec("BEGIN IMMEDIATE");
      let ran = 0;
      const tx = store.transaction(async (t) => {
        ran += 1;
        await t.createRun(run);
        await t.updateRun(run.id, { status: "running" });
      });
      const single = store.updateRun(before.id, { stopReason: "single" });
      // Both have found the lock taken and are waiting to try again.
      await vi.waitFor(() => expect(retries(lines)).toBeGreaterThanOrEqual(2), {
        timeout: 30_000,
        interval: 5,
      });
      other.exec("COMMIT");
      await tx;
      await single;
      // The callback ran only once the transaction held the lock; each write landed once.
      expect(ran).toBe(1);
      expect((await store.getRun(run.id))?.status).toBe("running");
      expect((await store.getRun(before.id))?.stopReason).toBe("single");
      expect(other.prepare("SELECT COUNT(*) AS n FROM runs").get()).toEqual({ n: 2 });
    } finally {
      if (other.inTransaction) other.exec("ROLLBACK");
      other.close();
      await store.close();
    }
  });

  it("a lock held past the retry window fails with DB_UNREACHABLE, writes nothing, and the store goes on", async () => {
    const path = freshPath();
    const { lines, logger } = recorder();
    const store = sqliteStore({ path, busyTimeoutMs: 0, logger });
    await store.init();
    const other = new Database(path, { timeout: 0 });
    try {
      const run = newRun();
      other.exec("BEGIN IMMEDIATE");
      const err = await expectCode(
        store.transaction(async (tx) => {
          await tx.createRun(run);
        }),
        "DB_UNREACHABLE",
      );
      expect(err.message).toMatch(/stayed locked by another connection \(SQLITE_BUSY[A-Z_]*\)/);
      expect(err.message).not.toMatch(/SqliteError/);
      expect(retries(lines)).toBeGreaterThanOrEqual(2);
      other.exec("ROLLBACK");
      expect(await store.getRun(run.id)).toBeNull();
      // Its transactions are still real ones: one that throws leaves nothing behind.
      await expect(
        store.transaction(async (tx) => {
          await tx.createRun(run);
          throw new Error("undo");
        }),
      ).rejects.toThrow("undo");
      expect(await store.getRun(run.id)).toBeNull();
      await store.transaction(async (tx) => {
        await tx.createRun(run);
      });
      expect((await store.getRun(run.id))?.id).toBe(run.id);
      // And the connection holds no lock between transactions.
      other.prepare("UPDATE runs SET stop_reason = 'other' WHERE id = ?").run(run.id);
    } finally {
      if (other.inTransaction) other.exec("ROLLBACK");
      other.close();
      await store.close();
    }
  });

  it("stores opening a new file at once create and migrate it once", async () => {
    const path = freshPath();
    const stores = Array.from({ length: 5 }, () => sqliteStore({ path, busyTimeoutMs: 20 }));
    try {
      await Promise.all(stores.map((s) => s.init()));
      const runs = stores.map(() => newRun());
      await Promise.all(stores.map((s, i) => s.createRun(runs[i]!)));
      for (const s of stores) expect((await s.listRuns()).length).toBe(runs.length);
      const applied = (await stores[0]!.dataSource.query(
        "SELECT name, COUNT(*) AS n FROM synthforge_migrations GROUP BY name",
      )) as Array<{ name: string; n: number }>;
      expect(applied.length).toBeGreaterThan(0);
      for (const m of applied) expect(m.n, m.name).toBe(1);
    } finally {
      for (const s of stores) await s.close();
    }
  });
});

describe("sqlite: a claim reads indexes, not the run's questions", () => {
  it("under sub-topic quotas, every count of a claim is answered from an index alone", async () => {
    const store = sqliteStore({ path: freshPath() });
    await store.init();
    try {
      const run = await store.createRun(newRun({ targetCount: 400, status: "running" }));
      const subs = ["alpha", "beta", "gamma"];
      await store.insertQuestions(
        Array.from({ length: 300 }, (_, i) => ({
          id: newId("q"),
          runId: run.id,
          topic: "t",
          subTopic: subs[i % 3]!,
          difficulty: "easy",
          text: `question ${i}`,
          textHash: `h${i}`,
        })),
      );
      // Most of the run approved, as late in a large run.
      await store.dataSource.query(
        "UPDATE questions SET status = 'approved' WHERE run_id = ? AND rowid % 3 <> 0",
        [run.id],
      );
      const selects: Array<{ sql: string; params: unknown[] }> = [];
      const logger = store.dataSource.logger;
      (store.dataSource as { logger: unknown }).logger = {
        ...logger,
        logQuery: (sql: string, params: unknown[] = []) => {
          if (/^\s*SELECT/i.test(sql) && /COUNT\(/i.test(sql)) selects.push({ sql, params });
        },
      };
      const quotas = { bySubTopic: { alpha: 140, beta: 140, gamma: 140 }, slack: 1 };
      const got = await store.claimQuestions(run.id, {
        owner: "a",
        leaseMs: 60_000,
        limit: 4,
        target: 400,
        quotas,
      });
      (store.dataSource as { logger: unknown }).logger = logger;
      expect(got).toHaveLength(4);
      expect(selects.length).toBeGreaterThan(0);
      for (const { sql, params } of selects) {
        const plan = (
          (await store.dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, params)) as Array<{ detail: string }>
        )
          .map((r) => r.detail)
          .filter((d) => /\bq\b|questions/i.test(d));
        // A covering index (no question row read) or the lease index (only leased rows).
        for (const d of plan) expect(d, sql).toMatch(/COVERING INDEX|IDX_questions_run_id_lease_expires_at/);
      }
    } finally {
      await store.close();
    }
  });
});
