import type { BaseLlm } from "@google/adk";
import { InMemoryRunner, LlmAgent } from "@google/adk";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CacheSession } from "../../src/models/cache.js";
import { ManualClock } from "../../src/models/clock.js";
import { envelope } from "../../src/models/envelope.js";
import { scriptedModels } from "../../src/models/factories.js";
import { fallbackLlm } from "../../src/models/fallback.js";
import {
  AdaptiveConcurrency,
  CircuitBreaker,
  CircuitOpenError,
  circuitBreakerLlm,
  governedLlm,
  ModelGovernor,
  retryAfterMs,
  TokenBucket,
  timeoutLlm,
} from "../../src/models/limits.js";
import type { LlmCallRecord } from "../../src/models/middleware.js";
import { registerOfflineResponder } from "../../src/models/offline.js";
import { retryingLlm } from "../../src/models/retry.js";
import { scriptedProvider } from "../../src/models/scripted.js";

registerOfflineResponder("engine.echo", (input) => ({ echo: (input as { say: string }).say }));

const apiError = (status: number, code: string, retryDelay?: string) =>
  Object.assign(
    new Error(
      JSON.stringify({
        error: {
          code: status,
          message: `${code} from the test`,
          status: code,
          ...(retryDelay
            ? { details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay }] }
            : {}),
        },
      }),
    ),
    { name: "ApiError", status },
  );

async function call(model: BaseLlm, say = "hi"): Promise<unknown> {
  const agent = new LlmAgent({
    name: "probe",
    model,
    instruction: "probe",
    outputSchema: z.object({ echo: z.string() }),
    outputKey: "out",
    includeContents: "none",
  });
  const runner = new InMemoryRunner({ agent, appName: "t" });
  let out: unknown;
  for await (const ev of runner.runEphemeral({
    userId: "u",
    newMessage: { role: "user", parts: [{ text: envelope("engine.echo", { say }) }] },
  })) {
    if (ev.errorCode) throw new Error(`${ev.errorCode}: ${ev.errorMessage}`);
    if (ev.actions?.stateDelta?.out) out = ev.actions.stateDelta.out;
  }
  return out;
}

/** Drives a raw BaseLlm call (no ADK) to completion. */
async function drive(llm: BaseLlm, text = envelope("engine.echo", { say: "x" })): Promise<string> {
  let out = "";
  for await (const r of llm.generateContentAsync({
    model: llm.model,
    contents: [{ role: "user", parts: [{ text }] }],
    config: {},
    liveConnectConfig: {},
    toolsDict: {},
  })) {
    out += (r.content?.parts ?? []).map((p) => p.text ?? "").join("");
  }
  return out;
}

describe("token bucket (requests and tokens per minute)", () => {
  it("lets a full minute's worth through, then paces to the rate, first come first served", async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(60, clock); // one per second
    for (let i = 0; i < 60; i++) await bucket.acquire(1);
    const order: number[] = [];
    const a = bucket.acquire(1).then(() => order.push(1));
    const b = bucket.acquire(1).then(() => order.push(2));
    await clock.advance(0); // let both reach their wait
    await clock.advance(999);
    expect(order).toEqual([]);
    await clock.advance(1);
    expect(order).toEqual([1]);
    await clock.advance(1000);
    await Promise.all([a, b]);
    expect(order).toEqual([1, 2]);
  });

  it("a debit for tokens used beyond the estimate makes later callers wait it out", async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(6000, clock); // 100 per second
    bucket.debit(6000 + 500); // 500 below zero
    let done = false;
    const p = bucket.acquire(100).then(() => {
      done = true;
    });
    await clock.advance(5000);
    expect(done).toBe(false);
    await clock.advance(1001);
    await p;
    expect(done).toBe(true);
  });
});

describe("adaptive concurrency", () => {
  it("cuts once per burst on 429, pauses for the server's delay, and probes back up slowly", async () => {
    const clock = new ManualClock();
    const c = new AdaptiveConcurrency({ max: 16, clock });
    const slots = await Promise.all(Array.from({ length: 16 }, () => c.acquire()));
    expect(c.active).toBe(16);
    // A burst of 429s from calls sent under the same limit: one cut, not sixteen.
    for (const s of slots.slice(0, 10)) c.throttled(s, 2000);
    expect(c.limit).toBe(8);
    expect(c.cuts).toBe(1);
    for (const s of slots) c.release(s, false);
    // New calls wait for the RetryInfo delay.
    let got = false;
    const next = c.acquire().then((s) => {
      got = true;
      return s;
    });
    await clock.advance(1999);
    expect(got).toBe(false);
    await clock.advance(1);
    const s1 = await next;
    expect(got).toBe(true);
    // A throttle on a call made after the cut cuts again.
    c.throttled(s1, null);
    expect(c.limit).toBe(4);
    c.release(s1, false);
    // limit successes in a row grow the limit by one.
    for (let round = 0; round < 4; round++) {
      const s = await c.acquire();
      c.release(s, true);
    }
    expect(c.limit).toBe(5);
  });

  it("never lets more calls run than the limit", async () => {
    const c = new AdaptiveConcurrency({ max: 3 });
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        const s = await c.acquire();
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 2));
        running--;
        c.release(s, true);
      }),
    );
    expect(peak).toBe(3);
  });

  it("reads Retry-After from errors that carry headers", () => {
    expect(retryAfterMs({ headers: new Headers({ "retry-after": "7" }) })).toBe(7000);
    expect(retryAfterMs({ headers: { "retry-after": "0.5" } })).toBe(500);
    expect(retryAfterMs({ retryAfterMs: 1234 })).toBe(1234);
    const at = new Date(Date.now() + 3000).toUTCString();
    expect(retryAfterMs({ headers: { "retry-after": at } })).toBeGreaterThan(1000);
    expect(retryAfterMs(new Error("x"))).toBeNull();
  });
});

describe("governed model (rate limit + adaptive concurrency as a middleware)", () => {
  it("a 429 thrown through it cuts the model's concurrency and pauses for RetryInfo", async () => {
    const clock = new ManualClock();
    let n = 0;
    const provider = scriptedProvider(() =>
      n++ === 0 ? { error: apiError(429, "RESOURCE_EXHAUSTED", "3s") } : undefined,
    );
    const governor = new ModelGovernor("m", { limit: { maxConcurrency: 8, requestsPerMinute: 600 }, clock });
    const llm = governedLlm(provider.create("m"), governor);
    await expect(call(llm)).rejects.toThrow(/429/);
    expect(governor.concurrency.limit).toBe(4);
    expect(governor.throttles).toBe(1);
    expect(governor.concurrency.pauseLeft()).toBe(3000);
    const p = call(llm);
    await clock.advance(3000);
    expect(await p).toEqual({ echo: "hi" });
  });

  it("throttled attempts retried inside (onRetry feedback) are seen too", async () => {
    let n = 0;
    const provider = scriptedProvider(() => (n++ < 2 ? { error: apiError(503, "UNAVAILABLE") } : undefined));
    const governor = new ModelGovernor("m", { limit: { maxConcurrency: 8 } });
    const state = { slot: null as null | import("../../src/models/limits.js").ConcurrencySlot };
    const retried = retryingLlm(provider.create("m"), {
      retries: 3,
      sleep: async () => {},
      onRetry: (i) => governor.feedback(state.slot, i.error),
    });
    expect(await call(governedLlm(retried, governor, state))).toEqual({ echo: "hi" });
    expect(governor.throttles).toBe(2);
    expect(governor.concurrency.limit).toBe(4); // one cut for the burst
  });
});

describe("circuit breaker", () => {
  it("opens after consecutive transient failures, fails fast, then lets one probe through", async () => {
    const clock = new ManualClock();
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 10_000, clock });
    let calls = 0;
    let fail = true;
    const provider = scriptedProvider(() => {
      calls++;
      return fail ? { error: apiError(503, "UNAVAILABLE") } : undefined;
    });
    const llm = circuitBreakerLlm(provider.create("m"), breaker);
    for (let i = 0; i < 3; i++) await expect(drive(llm)).rejects.toThrow(/503|UNAVAILABLE/);
    expect(breaker.state).toBe("open");
    const err = await drive(llm).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect(calls).toBe(3);
    // Through ADK the code is kept: CIRCUIT_OPEN.
    await expect(call(llm)).rejects.toThrow(/^CIRCUIT_OPEN: m failed repeatedly/);
    await clock.advance(10_000);
    expect(breaker.state).toBe("half-open");
    fail = false;
    expect(await drive(llm)).toContain("echo");
    expect(breaker.state).toBe("closed");
  });

  it("does not count the request's own faults (400)", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1 });
    const provider = scriptedProvider(() => ({ error: apiError(400, "INVALID_ARGUMENT") }));
    await expect(drive(circuitBreakerLlm(provider.create("m"), breaker))).rejects.toThrow();
    expect(breaker.state).toBe("closed");
  });
});

describe("per-call timeout", () => {
  it("aborts a call that takes too long with a retryable TimeoutError", async () => {
    const clock = new ManualClock();
    let aborted = false;
    const slow: BaseLlm = Object.assign(Object.create(scriptedProvider(() => undefined).create("slow")), {
      async *generateContentAsync(_req: unknown, _s: boolean, signal?: AbortSignal) {
        await new Promise<void>((resolve) =>
          signal?.addEventListener("abort", () => {
            aborted = true;
            resolve();
          }),
        );
        yield { content: { role: "model", parts: [{ text: "late" }] } };
      },
    });
    const p = drive(timeoutLlm(slow, 5000, clock)).catch((e: Error) => e);
    await clock.advance(5000);
    const e = (await p) as Error;
    expect(e.name).toBe("TimeoutError");
    expect(aborted).toBe(true);
  });
});

describe("fallback chain", () => {
  it("sends the request to the next model when one fails after its retries, not on a 400", async () => {
    const seen: string[] = [];
    const provider = scriptedProvider((c) => {
      seen.push(c.model);
      if (c.model === "a") return { error: apiError(503, "UNAVAILABLE") };
      if (c.model === "bad") return { error: apiError(400, "INVALID_ARGUMENT") };
      return undefined;
    });
    const chain = fallbackLlm([
      { model: "a", llm: provider.create("a") },
      { model: "b", llm: provider.create("b") },
    ]);
    expect(await call(chain)).toEqual({ echo: "hi" });
    expect(seen).toEqual(["a", "b"]);
    const noFallback = fallbackLlm([
      { model: "bad", llm: provider.create("bad") },
      { model: "b", llm: provider.create("b") },
    ]);
    await expect(call(noFallback)).rejects.toThrow(/400/);
  });

  it("the router builds the chain from `fallbacks`, metering each model's call", async () => {
    const records: LlmCallRecord[] = [];
    const router = scriptedModels(
      (c) => (c.model === "gemini-2.5-flash" ? { error: apiError(503, "UNAVAILABLE") } : undefined),
      { fallbacks: { question: ["gemini-2.0-flash"] } },
    );
    const model = router.model("question", { runId: "r", sink: (r) => void records.push(r) });
    expect(await call(model)).toEqual({ echo: "hi" });
    expect(records.map((r) => [r.model, r.status])).toEqual([
      ["gemini-2.5-flash", "error"],
      ["gemini-2.0-flash", "ok"],
    ]);
    // Both rows carry the hash of the request the pipeline made (the role's own model).
    expect(records[0]!.requestHash).toBe(records[1]!.requestHash);
  });
});

describe("response cache", () => {
  it("answers the n-th repeat of a request with the n-th paid answer, and records cached rows", async () => {
    const paid = new Map<string, string[]>();
    const records: LlmCallRecord[] = [];
    const sink = (r: LlmCallRecord) => {
      records.push(r);
      if (!r.cached && r.status === "ok" && r.response)
        paid.set(r.requestHash, [...(paid.get(r.requestHash) ?? []), r.response]);
    };
    const backend = { lookup: async (h: string, n: number) => paid.get(h)?.[n] ?? null };
    let n = 0;
    const router = scriptedModels(() => ({ output: { echo: `answer ${n++}` } }));
    const first = new CacheSession(backend);
    const m1 = router.model("question", { runId: "r1", sink, cache: first });
    expect(await call(m1)).toEqual({ echo: "answer 0" });
    expect(await call(router.model("question", { runId: "r1", sink, cache: first }))).toEqual({
      echo: "answer 1",
    });
    expect(router.calls).toHaveLength(2);
    // A rerun replays both answers in order with no model call.
    const second = new CacheSession(backend);
    expect(await call(router.model("question", { runId: "r2", sink, cache: second }))).toEqual({
      echo: "answer 0",
    });
    expect(await call(router.model("question", { runId: "r2", sink, cache: second }))).toEqual({
      echo: "answer 1",
    });
    expect(router.calls).toHaveLength(2);
    expect(second.hits).toBe(2);
    expect(records.filter((r) => r.cached).map((r) => [r.runId, r.costUsd])).toEqual([
      ["r2", 0],
      ["r2", 0],
    ]);
    // Disabled (--no-cache): the model is asked.
    const off = new CacheSession(backend, false);
    expect(await call(router.model("question", { runId: "r3", sink, cache: off }))).toEqual({
      echo: "answer 2",
    });
    expect(router.calls).toHaveLength(3);
  });
});
