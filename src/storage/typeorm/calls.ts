import type { Usage } from "../../core/types.js";
import type { CallLogStore, LlmCallRow } from "../store.js";
import { IsNull, Not } from "../typeorm-lazy.js";
import { StoreContext } from "./context.js";
import { fastInsert } from "./fast-sql.js";
import { toNumber } from "./values.js";

/**
 * The `llm_calls` table: metering and the response cache ({@link CallLogStore}).
 *
 * @internal
 */
export class TypeormCallLogStore extends StoreContext implements CallLogStore {
  async recordLlmCall(row: Omit<LlmCallRow, "createdAt">): Promise<void> {
    const full: LlmCallRow = { ...row, createdAt: new Date() };
    await this.op((m) => fastInsert(m, this.e.llmCall, [full]));
  }

  async recordLlmCalls(rows: Array<Omit<LlmCallRow, "createdAt">>): Promise<void> {
    if (rows.length === 0) return;
    const now = new Date();
    await this.atomic((m) =>
      fastInsert(
        m,
        this.e.llmCall,
        rows.map((r): LlmCallRow => ({ ...r, createdAt: now })),
      ),
    );
  }

  /** The newest successful response recorded for `requestHash`, or null. */
  async cachedLlmResponse(requestHash: string): Promise<string | null> {
    const row = await this.op((m) =>
      m.findOne(this.e.llmCall, {
        where: { requestHash, status: "ok", response: Not(IsNull()) },
        order: { createdAt: "DESC", id: "DESC" },
      }),
    );
    return row?.response ?? null;
  }

  async cachedLlmResponseAt(requestHash: string, occurrence: number): Promise<string | null> {
    const rows = await this.op((m) =>
      m.find(this.e.llmCall, {
        where: { requestHash, status: "ok", cached: false, response: Not(IsNull()) },
        order: { createdAt: "ASC", id: "ASC" },
        skip: Math.max(0, Math.floor(occurrence)),
        take: 1,
      }),
    );
    return rows[0]?.response ?? null;
  }

  /**
   * Usage of a run: the calls actually made (rows with `cached = false`, errors
   * included) and their summed tokens and cost. Answers served from the cache cost
   * nothing and are not counted.
   */
  async usage(runId: string): Promise<Usage> {
    const raw = await this.op((m) =>
      m
        .createQueryBuilder(this.e.llmCall, "c")
        .select("COUNT(*)", "calls")
        .addSelect("COALESCE(SUM(c.inputTokens), 0)", "inputTokens")
        .addSelect("COALESCE(SUM(c.outputTokens), 0)", "outputTokens")
        .addSelect("COALESCE(SUM(c.totalTokens), 0)", "totalTokens")
        .addSelect("COALESCE(SUM(c.costUsd), 0)", "costUsd")
        .where("c.runId = :runId", { runId })
        .andWhere("c.cached = :cached", { cached: false })
        .getRawOne<Record<keyof Usage, number | string | null>>(),
    );
    return {
      calls: toNumber(raw?.calls ?? 0),
      inputTokens: toNumber(raw?.inputTokens ?? 0),
      outputTokens: toNumber(raw?.outputTokens ?? 0),
      totalTokens: toNumber(raw?.totalTokens ?? 0),
      costUsd: toNumber(raw?.costUsd ?? 0),
    };
  }

  async countCachedCalls(runId: string): Promise<number> {
    return this.op((m) => m.countBy(this.e.llmCall, { runId, cached: true }));
  }
}
