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
    const run = await mem.createRun({
      id: newId("run"),
      request: "r",
      trainingType: "sft",
      topic: "t",
      targetCount: 1,
      config: {},
      status: "planning",
      provider: "offline",
    });
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
      const run = await store.createRun({
        id: newId("run"),
        request: "r",
        trainingType: "sft",
        topic: "t",
        targetCount: 1,
        config: {},
        status: "planning",
        provider: "offline",
      });
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
      const run = {
        id: newId("run"),
        request: "r",
        trainingType: "sft" as const,
        topic: "t",
        targetCount: 1,
        config: {},
        status: "planning" as const,
        provider: "offline",
      };
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
