import type { LlmRequest } from "@google/adk";
import { SynthforgeError } from "../core/errors.js";
import { callCost, DEFAULT_PRICES, type ModelPrice } from "./pricing.js";

/** Output tokens a call may produce when its request sets no `maxOutputTokens` (the gate sets it). */
export const DEFAULT_MAX_OUTPUT_TOKENS = 8192;

/**
 * A run's cost cap as a promise: every model call reserves its worst-case cost (the
 * request's input, estimated generously, plus `maxOutputTokens` of output) before it is
 * sent, and the reservation is released when the call's real cost is recorded. A call is
 * sent only while spent + reserved is below the cap (otherwise `BUDGET_EXHAUSTED`), so
 * however many calls run at once, the cap is passed by at most one call's worst case
 * (the last one let through), never by a whole wave of concurrent calls.
 */
export class CostGate {
  private reservedUsd = 0;
  /** True once a call was refused: the run has no room for another call. */
  exhausted = false;
  private readonly waiting: Array<() => void> = [];

  /**
   * @param maxUsd the cap (undefined: no cap, reservations only counted)
   * @param spentUsd what the run has spent so far (recorded calls)
   */
  constructor(
    readonly maxUsd: number | undefined,
    private readonly spentUsd: () => number,
  ) {}

  /** USD reserved by calls in flight. */
  get reserved(): number {
    return this.reservedUsd;
  }

  /**
   * Reserves `usd` for a call about to be sent. While calls in flight hold the room, it
   * waits for them to settle; once the spent money alone reaches the cap it throws
   * `BUDGET_EXHAUSTED`.
   */
  async reserve(usd: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (this.maxUsd === undefined) break;
      const spent = this.spentUsd();
      if (spent >= this.maxUsd) {
        this.exhausted = true;
        throw new SynthforgeError(
          "BUDGET_EXHAUSTED",
          `cost budget of $${this.maxUsd} reached: $${spent.toFixed(4)} spent (a call that may cost up to $${usd.toFixed(4)} was not sent)`,
          { details: { maxUsd: this.maxUsd } },
        );
      }
      if (spent + this.reservedUsd < this.maxUsd) break;
      if (signal?.aborted) throw new SynthforgeError("ABORTED", "The run was aborted.");
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.reservedUsd += usd;
  }

  /** Releases a reservation once the call's real cost is recorded. */
  release(usd: number): void {
    this.reservedUsd = Math.max(0, this.reservedUsd - usd);
    for (const wake of this.waiting.splice(0)) wake();
  }
}

/**
 * The most a request can cost: its input estimated at three characters a token (JSON of
 * the contents, system instruction and schema: more than the tokenizer counts for text)
 * and its full `maxOutputTokens`.
 */
export function worstCaseCost(
  model: string,
  req: LlmRequest,
  prices: Record<string, ModelPrice> = DEFAULT_PRICES,
  priceFactor = 1,
): number {
  const chars = JSON.stringify(req.contents ?? []).length + JSON.stringify(req.config ?? {}).length;
  const output = req.config?.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
  return callCost(model, Math.ceil(chars / 3), output, prices) * priceFactor;
}
