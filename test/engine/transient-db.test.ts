import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPipeline } from "../../src/pipeline/pipeline.js";
import type { Store } from "../../src/storage/store.js";
import { isTransientDbError } from "../../src/storage/transient.js";
import { postgresStore, type TypeormStore } from "../../src/storage/typeorm-store.js";
import { startPostgres, type TestPostgres } from "../helpers/postgres.js";

let server: TestPostgres;
const stores: TypeormStore[] = [];
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
  await server?.stop();
});

async function store(url: string, opts: { poolSize?: number; connectTimeoutMs?: number } = {}) {
  const s = postgresStore({ url, ...opts });
  stores.push(s);
  await s.init();
  return s;
}

/** The error node-postgres gives when the pool has no connection in time (its clients are held). */
async function poolTimeout(url: string): Promise<unknown> {
  // Long enough to connect on a busy machine; the held pool then times out after it.
  const s = await store(url, { poolSize: 2, connectTimeoutMs: 2000 });
  const held = [s.dataSource.createQueryRunner(), s.dataSource.createQueryRunner()];
  for (const h of held) await h.connect();
  try {
    await s.listRuns();
  } catch (e) {
    return e;
  } finally {
    for (const h of held) await h.release();
  }
  throw new Error("expected the pool to time out");
}

/** The store, with `claimQuestions` failing once with `error`. */
function failingOnce(s: Store, error: unknown): Store {
  let failed = false;
  return new Proxy(s, {
    get(target, prop) {
      if (prop === "claimQuestions" && !failed)
        return async () => {
          failed = true;
          throw error;
        };
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

const status = async (s: Store, id: string) => (await s.getRun(id))?.status;

describe("a worker that loses its database connection for a while", () => {
  it("tells a connection that was not available from a statement that failed", async () => {
    const url = await server.createDatabase("transient_kinds");
    const timeout = await poolTimeout(url);
    expect(String(timeout)).toMatch(/timeout exceeded when trying to connect/);
    expect(isTransientDbError(timeout)).toBe(true);
    const s = await store(url);
    const wrong = await s.dataSource.query("SELEC 1").catch((e: unknown) => e);
    expect(isTransientDbError(wrong)).toBe(false);
    const missing = await s.dataSource.query("SELECT * FROM no_such_table").catch((e: unknown) => e);
    expect(isTransientDbError(missing)).toBe(false);
  });

  it("leaves a shared run to the other workers instead of failing it; alone, the run fails", async () => {
    const url = await server.createDatabase("transient_run");
    const timeout = await poolTimeout(url);
    const s = await store(url);

    const shared = createPipeline({ storage: failingOnce(s, timeout) });
    const run = await shared.create("Generate 3 SFT examples about photosynthesis");
    await expect(
      shared.resume(run.id, { shared: true, owner: "worker-a", leaseMs: 5000 }).done,
    ).rejects.toThrow(/timeout exceeded/);
    expect(await status(s, run.id)).toBe("running");
    // Another worker (or this one, when its job comes back) finishes it.
    const other = createPipeline({ storage: s });
    const summary = await other.resume(run.id, { shared: true, owner: "worker-b", leaseMs: 5000 }).done;
    expect(summary).toMatchObject({ status: "completed", counts: { approved: 3 } });

    // Not shared: the error is the run's, and it is marked failed (resumable) with the reason.
    const alone = createPipeline({ storage: failingOnce(s, timeout) });
    const second = await alone.create("Generate 2 SFT examples about photosynthesis");
    await expect(alone.resume(second.id).done).rejects.toThrow(/timeout exceeded/);
    expect(await s.getRun(second.id)).toMatchObject({ status: "failed" });
    expect((await s.getRun(second.id))?.stopReason).toMatch(/timeout exceeded when trying to connect/);
  });
});
