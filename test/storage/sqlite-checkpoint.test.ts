import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sqliteStore, type TypeormStore } from "../../src/storage/typeorm-store.js";

const opened: TypeormStore[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

async function open(
  opts: { backgroundCheckpoint?: boolean } = {},
): Promise<{ store: TypeormStore; file: string }> {
  const file = join(mkdtempSync(join(tmpdir(), "sf-ckpt-")), "c.db");
  const store = sqliteStore({ path: file, backgroundCheckpoint: true, ...opts });
  opened.push(store);
  await store.init();
  await store.dataSource.query("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB)");
  return { store, file };
}

async function autoCheckpoint(store: TypeormStore): Promise<number> {
  const [row] = (await store.dataSource.query("PRAGMA wal_autocheckpoint")) as Array<{
    wal_autocheckpoint: number;
  }>;
  return row!.wal_autocheckpoint;
}

/** One commit of a row of `kb` KB. */
async function commit(store: TypeormStore, kb: number): Promise<void> {
  await store.dataSource.query("INSERT INTO blobs (body) VALUES (randomblob(?))", [kb * 1024]);
}

const MB = 1024 * 1024;

describe("sqlite store: the write-ahead log is checkpointed on a worker thread (issue 15)", () => {
  it("copies the log into the database file while the run's connection does not checkpoint", async () => {
    const { store, file } = await open();
    // Once the worker is ready the store's own connection checkpoints only every 4,000 pages.
    await vi.waitFor(async () => expect(await autoCheckpoint(store)).toBe(4000), { timeout: 20_000 });
    const before = statSync(file).size;
    // About 8 MB (some 2,000 pages): under the connection's own threshold.
    for (let i = 0; i < 256; i++) await commit(store, 32);
    // Only the worker's checkpoints can have moved those pages into the file.
    await vi.waitFor(() => expect(statSync(file).size).toBeGreaterThan(before + 7 * MB), {
      timeout: 20_000,
      interval: 50,
    });
    const [{ n }] = (await store.dataSource.query("SELECT COUNT(*) AS n FROM blobs")) as [{ n: number }];
    expect(n).toBe(256);
  });

  it("keeps the log bounded under a steady stream of commits", async () => {
    const { store, file } = await open();
    await vi.waitFor(async () => expect(await autoCheckpoint(store)).toBe(4000), { timeout: 20_000 });
    let largest = 0;
    // About 64 MB in commits of 16 KB, with the event loop turning between them as in a run.
    for (let i = 0; i < 4_096; i++) {
      await commit(store, 16);
      await yieldToLoop();
      if (i % 64 === 0 && existsSync(`${file}-wal`))
        largest = Math.max(largest, statSync(`${file}-wal`).size);
    }
    largest = Math.max(largest, statSync(`${file}-wal`).size);
    // The log starts over after the store's own checkpoint at 4,000 pages (about 16 MB; a
    // checkpoint that finds the worker mid-copy waits for a later commit). Without it the log
    // holds everything written.
    expect(largest).toBeLessThan(48 * MB);
  });

  it("stops the worker on close, so the last connection removes the log", async () => {
    const { store, file } = await open();
    await vi.waitFor(async () => expect(await autoCheckpoint(store)).toBe(4000), { timeout: 20_000 });
    for (let i = 0; i < 16; i++) await commit(store, 16);
    expect(existsSync(`${file}-wal`)).toBe(true);
    await store.close();
    opened.splice(opened.indexOf(store), 1);
    // A worker still holding its connection would leave the log behind.
    expect(existsSync(`${file}-wal`)).toBe(false);
    const again = sqliteStore({ path: file });
    opened.push(again);
    await again.init();
    const [{ n }] = (await again.dataSource.query("SELECT COUNT(*) AS n FROM blobs")) as [{ n: number }];
    expect(n).toBe(16);
  });

  it("lets a host that awaits close() at its top level finish normally", () => {
    // The thread is unreferenced while it runs; stopping it must still keep Node waiting
    // (an empty event loop under a pending top-level await exits with code 13).
    const file = join(mkdtempSync(join(tmpdir(), "sf-ckpt-")), "h.db");
    const script = `
      import { sqliteStore } from ${JSON.stringify(resolve("dist/index.js"))};
      const store = sqliteStore({ path: ${JSON.stringify(file)}, backgroundCheckpoint: true });
      await store.init();
      for (let i = 0; i < 200; i++) {
        const [row] = await store.dataSource.query("PRAGMA wal_autocheckpoint");
        if (row.wal_autocheckpoint === 4000) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      await store.close();
      console.log("closed");`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("closed");
    expect(r.status).toBe(0);
  });

  it("checkpoints inside commits, as SQLite does, by default", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "sf-ckpt-")), "d.db");
    const store = sqliteStore({ path: file });
    opened.push(store);
    await store.init();
    await store.dataSource.query("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB)");
    for (let i = 0; i < 8; i++) await commit(store, 16);
    expect(await autoCheckpoint(store)).toBe(1000);
  });
});
