import type { BatchStore, LlmBatchRow } from "../store.js";
import { In } from "../typeorm-lazy.js";
import { StoreContext } from "./context.js";
import { rowMapper } from "./rows.js";
import { columns, definedOnly } from "./values.js";

/**
 * The `llm_batches` table ({@link BatchStore}).
 *
 * @internal
 */
export class TypeormBatchStore extends StoreContext implements BatchStore {
  async saveBatch(row: Omit<LlmBatchRow, "createdAt" | "updatedAt" | "finishedAt">): Promise<void> {
    const now = new Date();
    const full: LlmBatchRow = { ...row, createdAt: now, updatedAt: now, finishedAt: null };
    await this.op((m) =>
      m
        .createQueryBuilder()
        .insert()
        .into(this.e.llmBatch)
        .values(columns(full))
        .updateEntity(false)
        .execute(),
    );
  }

  async updateBatch(
    id: string,
    patch: Partial<Pick<LlmBatchRow, "name" | "state" | "error" | "finishedAt">>,
  ): Promise<void> {
    await this.op((m) =>
      m.update(
        this.e.llmBatch,
        { id },
        columns<LlmBatchRow>({ ...definedOnly(patch), updatedAt: new Date() }),
      ),
    );
  }

  async listBatches(runId: string, filter: { states?: string[] } = {}): Promise<LlmBatchRow[]> {
    if (filter.states && filter.states.length === 0) return [];
    const rows = await this.op((m) =>
      m.find(this.e.llmBatch, {
        where: { runId, ...(filter.states ? { state: In(filter.states) } : {}) },
        order: { createdAt: "ASC", id: "ASC" },
      }),
    );
    return rows.map(rowMapper(this.e.llmBatch));
  }
}
