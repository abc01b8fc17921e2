import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sqliteStore, type TypeormStore } from "../../src/storage/typeorm-store.js";

const opened: TypeormStore[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

async function synchronousOf(opts: { synchronous?: "normal" | "full" }): Promise<number> {
  const store = sqliteStore({ path: join(mkdtempSync(join(tmpdir(), "sf-sync-")), "s.db"), ...opts });
  opened.push(store);
  await store.init();
  const [row] = (await store.dataSource.query("PRAGMA synchronous")) as Array<{ synchronous: number }>;
  return row!.synchronous;
}

describe("sqlite store: commit durability (issue 15)", () => {
  it("syncs the write-ahead log at checkpoints by default, and every commit with synchronous: full", async () => {
    expect(await synchronousOf({})).toBe(1); // NORMAL
    expect(await synchronousOf({ synchronous: "full" })).toBe(2); // FULL
  });
});
