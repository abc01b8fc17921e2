import { AsyncMutex } from "../mutex.js";
import type { NewRun, RunRow, RunStore } from "../store.js";
import { StoreContext } from "./context.js";
import { rowMapper } from "./rows.js";
import { columns, definedOnly, positiveInt } from "./values.js";

/** In-process run locks (SQLite; PostgreSQL uses advisory locks). */
const RUN_LOCKS = new Map<string, AsyncMutex>();

/**
 * The `runs` table and the run lock ({@link RunStore}).
 *
 * @internal
 */
export class TypeormRunStore extends StoreContext implements RunStore {
  async createRun(run: NewRun): Promise<RunRow> {
    const now = new Date();
    const row: RunRow = {
      id: run.id,
      request: run.request,
      trainingType: run.trainingType,
      topic: run.topic,
      targetCount: run.targetCount,
      plan: run.plan ?? null,
      config: run.config,
      status: run.status,
      stopReason: null,
      provider: run.provider,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    };
    await this.op((m) =>
      m.createQueryBuilder().insert().into(this.e.run).values(columns(row)).updateEntity(false).execute(),
    );
    return { ...row };
  }

  async getRun(id: string): Promise<RunRow | null> {
    const row = await this.op((m) => m.findOneBy(this.e.run, { id }));
    return row ? rowMapper(this.e.run)(row) : null;
  }

  async latestRun(): Promise<RunRow | null> {
    const rows = await this.listRuns(1);
    return rows[0] ?? null;
  }

  /** Runs, newest first; `limit` defaults to 100. */
  async listRuns(limit = 100): Promise<RunRow[]> {
    const rows = await this.op((m) =>
      m.find(this.e.run, { order: { createdAt: "DESC", id: "DESC" }, take: positiveInt(limit, 100) }),
    );
    return rows.map(rowMapper(this.e.run));
  }

  /** Updates a run (a no-op when it does not exist). */
  async updateRun(
    id: string,
    patch: Partial<Pick<RunRow, "plan" | "status" | "stopReason" | "finishedAt" | "config">>,
  ): Promise<void> {
    const values = { ...definedOnly(patch), updatedAt: new Date() };
    await this.op((m) => m.update(this.e.run, { id }, columns<RunRow>(values)));
  }

  async withRunLock<T>(runId: string, fn: () => Promise<T>): Promise<T> {
    if (this.kind === "postgres") {
      const qr = this.dataSource.createQueryRunner();
      await qr.connect();
      try {
        await qr.query("SELECT pg_advisory_lock(hashtext($1))", [`synthforge:${runId}`]);
        try {
          return await fn();
        } finally {
          await qr
            .query("SELECT pg_advisory_unlock(hashtext($1))", [`synthforge:${runId}`])
            .catch(() => undefined);
        }
      } finally {
        await qr.release();
      }
    }
    let lock = RUN_LOCKS.get(runId);
    if (!lock) {
      lock = new AsyncMutex();
      RUN_LOCKS.set(runId, lock);
    }
    try {
      return await lock.runExclusive(fn);
    } finally {
      if (lock.pending === 0) RUN_LOCKS.delete(runId);
    }
  }
}
