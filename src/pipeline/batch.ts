import type { LlmResponse } from "@google/adk";
import { describeError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import { type Logger, silentLogger } from "../core/logger.js";
import {
  type BatchAnswer,
  type BatchJobClient,
  type BatchQueue,
  type BatchRequest,
  isTerminalBatchState,
} from "../models/batch.js";
import { callCost, DEFAULT_PRICES, type ModelPrice } from "../models/pricing.js";
import type { LlmBatchRow, LlmCallRow, Store } from "../storage/store.js";

/** Options of `--batch` (pipeline option `batch`). */
export interface BatchOptions {
  /** Requests per batch job. Default 100. */
  size?: number;
  /** How long to wait for more requests before a partial job is sent, in ms. Default 2000. */
  flushMs?: number;
  /** How often a job is polled, in ms. Default 30 000. */
  pollMs?: number;
  /** Roles whose calls go through the Batch API. Default generation and reviewer. */
  roles?: string[];
}

/** Batch API calls cost half the interactive price (Google's published batch pricing). */
export const BATCH_PRICE_FACTOR = 0.5;

interface Waiter {
  requestHash: string;
  request: BatchRequest;
  resolve: (r: LlmResponse) => void;
  reject: (e: unknown) => void;
}

/** Jobs of a run that may still have answers to collect. */
const OPEN_STATES = ["submitting", "submitted"];

/**
 * Sends a run's generation and review calls through the Gemini Batch API (DESIGN §3.3,
 * issue "engine at scale"): calls are gathered per role and model into jobs of `size`
 * inline requests (or whatever arrived within `flushMs`), each job is recorded in
 * `llm_batches` before it is submitted and polled until it finishes, and its answers are
 * written to `llm_calls` (cost at 50%) before the waiting candidates get them.
 *
 * Because answers land in `llm_calls`, a job outlives the process that submitted it:
 * {@link BatchRunner.recover} polls the jobs a killed process left open and records their
 * answers, and the resumed candidates then find them through the response cache: no
 * paid request is sent twice.
 */
export class BatchRunner implements BatchQueue {
  readonly roles: readonly string[];
  private readonly size: number;
  private readonly flushMs: number;
  private readonly pollMs: number;
  private readonly pending = new Map<string, Waiter[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<void>>();
  private closed = false;
  /** Jobs submitted by this runner. */
  submitted = 0;

  constructor(
    private readonly store: Store,
    private readonly client: BatchJobClient,
    private readonly opts: BatchOptions & {
      runId: string;
      provider: string;
      prices?: Record<string, ModelPrice>;
      logger?: Logger;
      signal?: AbortSignal;
    },
  ) {
    this.roles = opts.roles ?? ["generation", "reviewer"];
    this.size = Math.max(1, opts.size ?? 100);
    this.flushMs = Math.max(0, opts.flushMs ?? 2000);
    this.pollMs = Math.max(10, opts.pollMs ?? 30_000);
  }

  private get logger(): Logger {
    return this.opts.logger ?? silentLogger;
  }

  enqueue(call: {
    role: string;
    model: string;
    requestHash: string;
    request: BatchRequest;
  }): Promise<LlmResponse> {
    if (this.closed) return Promise.reject(new Error("the batch runner is closed"));
    const group = `${call.role}\u0000${call.model}`;
    return new Promise<LlmResponse>((resolve, reject) => {
      const list = this.pending.get(group) ?? [];
      list.push({ requestHash: call.requestHash, request: call.request, resolve, reject });
      this.pending.set(group, list);
      if (list.length >= this.size) this.flush(group);
      else if (!this.timers.has(group)) {
        const t = setTimeout(() => this.flush(group), this.flushMs);
        t.unref?.();
        this.timers.set(group, t);
      }
    });
  }

  /** Sends what is gathered for `group` as one job (in the background). */
  private flush(group: string): void {
    const t = this.timers.get(group);
    if (t) clearTimeout(t);
    this.timers.delete(group);
    const waiters = this.pending.get(group) ?? [];
    this.pending.delete(group);
    if (waiters.length === 0) return;
    const [role, model] = group.split("\u0000") as [string, string];
    const p = this.submit(role, model, waiters).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  private async submit(role: string, model: string, waiters: Waiter[]): Promise<void> {
    const id = newId("batch");
    const requests = waiters.map((w, i) => ({ key: String(i), requestHash: w.requestHash }));
    try {
      // Recorded before it is sent: a crash after submission leaves a row to recover from.
      await this.store.saveBatch({
        id,
        runId: this.opts.runId,
        role,
        model,
        name: null,
        state: "submitting",
        requestCount: waiters.length,
        requests,
        error: null,
      });
      const name = await this.client.create(
        model,
        waiters.map((w, i) => ({ ...w.request, key: String(i) })),
        `synthforge ${this.opts.runId} ${role} ${id}`,
      );
      await this.store.updateBatch(id, { name, state: "submitted" });
      this.submitted++;
      const answers = await this.collect({ id, name, role, model, requests });
      waiters.forEach((w, i) => {
        const a = answers?.get(String(i));
        if (!a) {
          w.reject(batchError(`batch job ${name} gave no answer for request ${i}`));
          return;
        }
        if (a.text === null) {
          w.resolve({
            errorCode: a.error ?? "UNKNOWN_ERROR",
            errorMessage: `batch job ${name}: ${a.error ?? "no content"}`,
          });
          return;
        }
        w.resolve({
          content: { role: "model", parts: [{ text: a.text }] },
          usageMetadata: {
            promptTokenCount: a.inputTokens,
            candidatesTokenCount: a.outputTokens,
            totalTokenCount: a.inputTokens + a.outputTokens,
          },
          finishReason: "STOP" as LlmResponse["finishReason"],
        });
      });
    } catch (e) {
      await this.store
        .updateBatch(id, { state: "failed", error: describeError(e), finishedAt: new Date() })
        .catch(() => undefined);
      for (const w of waiters)
        w.reject(e instanceof Error && e.message.startsWith("{") ? e : batchError(describeError(e)));
    }
  }

  /**
   * Polls a submitted job until it ends. A job that succeeded has its answers written to
   * `llm_calls` in one transaction (then the job row is marked), and they are returned
   * by key; a job that failed, was cancelled or expired is marked and gives null.
   */
  async collect(
    batch: Pick<LlmBatchRow, "id" | "name" | "role" | "model" | "requests">,
  ): Promise<Map<string, BatchAnswer> | null> {
    const name = batch.name;
    if (!name) throw batchError(`batch ${batch.id} was never submitted`);
    const started = Date.now();
    let failures = 0;
    for (;;) {
      if (this.opts.signal?.aborted)
        throw batchError(
          `the run was aborted while batch job ${name} was running; resume the run to collect it`,
          "ABORTED",
        );
      let status: Awaited<ReturnType<BatchJobClient["get"]>>;
      try {
        status = await this.client.get(name);
        failures = 0;
      } catch (e) {
        if (++failures >= 10) throw e;
        this.logger.warn(`polling batch job ${name} failed (${describeError(e)}); trying again`);
        await sleep(this.pollMs * Math.min(8, 2 ** failures), this.opts.signal);
        continue;
      }
      if (isTerminalBatchState(status.state)) {
        if (status.state !== "succeeded" || !status.answers) {
          await this.store.updateBatch(batch.id, {
            state: status.state,
            error: status.error,
            finishedAt: new Date(),
          });
          throw batchError(
            `batch job ${name} ended ${status.state}${status.error ? `: ${status.error}` : ""}`,
          );
        }
        const byKey = new Map(status.answers.map((a) => [a.key, a]));
        const latency = Date.now() - started;
        const rows: Array<Omit<LlmCallRow, "createdAt">> = batch.requests.flatMap((r) => {
          const a = byKey.get(r.key);
          if (!a) return [];
          return [
            {
              id: newId("call"),
              runId: this.opts.runId,
              role: batch.role,
              model: batch.model,
              provider: this.opts.provider,
              requestHash: r.requestHash,
              inputTokens: a.inputTokens,
              outputTokens: a.outputTokens,
              totalTokens: a.inputTokens + a.outputTokens,
              costUsd:
                callCost(batch.model, a.inputTokens, a.outputTokens, this.opts.prices ?? DEFAULT_PRICES) *
                BATCH_PRICE_FACTOR,
              latencyMs: latency,
              cached: false,
              status: a.text === null ? "error" : "ok",
              error: a.text === null ? `batch: ${a.error ?? "no content"}` : null,
              response: a.text,
            },
          ];
        });
        await this.store.transaction(async (tx) => {
          await tx.recordLlmCalls(rows);
          await tx.updateBatch(batch.id, { state: "succeeded", finishedAt: new Date() });
        });
        return byKey;
      }
      await sleep(this.pollMs, this.opts.signal);
    }
  }

  /**
   * Collects the jobs a previous process of this run left open (submitted, not yet
   * collected), so their answers are in `llm_calls` before any candidate asks again.
   * A job that was being submitted when the process died is marked failed (its requests
   * are sent again). Returns the number of jobs collected.
   */
  async recover(): Promise<number> {
    const open = await this.store.listBatches(this.opts.runId, { states: OPEN_STATES });
    let collected = 0;
    for (const b of open) {
      if (!b.name) {
        await this.store.updateBatch(b.id, {
          state: "failed",
          error: "interrupted before it was submitted",
          finishedAt: new Date(),
        });
        continue;
      }
      try {
        await this.collect(b);
        collected++;
      } catch (e) {
        this.logger.warn(`batch job ${b.name}: ${describeError(e)}`);
      }
    }
    return collected;
  }

  /** Sends what is gathered now and waits for every job of this runner to end. */
  async drain(): Promise<void> {
    for (const group of [...this.pending.keys()]) this.flush(group);
    await Promise.allSettled([...this.inflight]);
  }

  /** Stops: requests not yet sent fail with ABORTED (they were never paid for). */
  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const list of this.pending.values())
      for (const w of list) w.reject(batchError("the run stopped before the batch was sent", "ABORTED"));
    this.pending.clear();
  }
}

/** An error whose message is a JSON body like genai's, so ADK reports its code. */
function batchError(message: string, code = "BATCH_FAILED"): Error {
  const e = new Error(JSON.stringify({ error: { code, status: code, message } }));
  e.name = "BatchError";
  return e;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
