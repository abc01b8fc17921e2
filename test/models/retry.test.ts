import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BaseLlm, type BaseLlmConnection, type LlmRequest, type LlmResponse } from "@google/adk";
import { ApiError } from "@google/genai";
import { describe, expect, it } from "vitest";
import { SynthforgeError } from "../../src/core/errors.js";
import {
  classifyModelError,
  parseDurationMs,
  parseGaveUp,
  type RetryInfo,
  retryingLlm,
} from "../../src/models/retry.js";
import { GEMINI_FIXTURES_DIR } from "../helpers/gemini-server.js";

/** What genai throws for a non-2xx response: `ApiError` with the JSON body as message. */
function apiErrorFromBody(status: number, body: unknown): ApiError {
  return new ApiError({ message: JSON.stringify(body), status });
}

function fixtureApiError(file: string): ApiError {
  const text = readFileSync(join(GEMINI_FIXTURES_DIR, file), "utf8");
  const body = JSON.parse(text) as { error: { code: number } };
  return apiErrorFromBody(body.error.code, body);
}

function networkError(code: string, detail: string): TypeError {
  return new TypeError("fetch failed", { cause: Object.assign(new Error(detail), { code }) });
}

describe("classifyModelError over the recorded Gemini error bodies", () => {
  const expected: Record<
    string,
    { status: number; code: string; retryable: boolean; retryDelayMs: number | null; message: RegExp }
  > = {
    "error-400-INVALID_ARGUMENT-api-key.json": {
      status: 400,
      code: "INVALID_ARGUMENT",
      retryable: false,
      retryDelayMs: null,
      message: /^API key not valid\. Please pass a valid API key\.$/,
    },
    "error-403-PERMISSION_DENIED-service-disabled.json": {
      status: 403,
      code: "PERMISSION_DENIED",
      retryable: false,
      retryDelayMs: null,
      message: /^Generative Language API has not been used in project 12345678/,
    },
    "error-429-RESOURCE_EXHAUSTED-QuotaFailure-RetryInfo.json": {
      status: 429,
      code: "RESOURCE_EXHAUSTED",
      retryable: true,
      retryDelayMs: 26_000,
      message: /^You exceeded your current quota/,
    },
    "error-429-RESOURCE_EXHAUSTED-quota.json": {
      status: 429,
      code: "RESOURCE_EXHAUSTED",
      retryable: true,
      retryDelayMs: null,
      message: /^Quota exceeded for quota metric 'Generate Content API requests per minute'/,
    },
    "error-503-UNAVAILABLE-model-overloaded.json": {
      status: 503,
      code: "UNAVAILABLE",
      retryable: true,
      retryDelayMs: null,
      message: /^The model is overloaded\. Please try again later\.$/,
    },
  };
  const files = readdirSync(GEMINI_FIXTURES_DIR).filter((f) => /^error-.*\.json$/.test(f));

  it("has an expectation for every error fixture", () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [file, want] of Object.entries(expected)) {
    it(file, () => {
      const info = classifyModelError(fixtureApiError(file));
      expect(info).toMatchObject({
        status: want.status,
        code: want.code,
        retryable: want.retryable,
        retryDelayMs: want.retryDelayMs,
      });
      expect(info.message).toMatch(want.message);
      expect(info.message).not.toContain("\n");
    });
  }

  it("relies on the name, not instanceof (a duck-typed ApiError from another genai copy)", () => {
    const body = JSON.parse(
      readFileSync(join(GEMINI_FIXTURES_DIR, "error-503-UNAVAILABLE-model-overloaded.json"), "utf8"),
    );
    const foreign = Object.assign(new Error(JSON.stringify(body)), { name: "ApiError", status: 503 });
    expect(classifyModelError(foreign)).toMatchObject({ status: 503, code: "UNAVAILABLE", retryable: true });
  });
});

describe("classifyModelError on other shapes", () => {
  it("parses a streamed error chunk ('got status: X. {json}')", () => {
    const chunk = {
      error: {
        code: 429,
        message: "slow down",
        status: "RESOURCE_EXHAUSTED",
        details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "0.5s" }],
      },
    };
    const e = new ApiError({
      message: `got status: RESOURCE_EXHAUSTED. ${JSON.stringify(chunk)}`,
      status: 429,
    });
    expect(classifyModelError(e)).toEqual({
      status: 429,
      code: "RESOURCE_EXHAUSTED",
      message: "slow down",
      retryable: true,
      retryDelayMs: 500,
    });
  });

  it("derives the code from the HTTP status for a non-JSON error body (genai uses statusText there)", () => {
    const e = apiErrorFromBody(502, {
      error: { message: "<html>Bad Gateway</html>", code: 502, status: "Bad Gateway" },
    });
    expect(classifyModelError(e)).toMatchObject({
      status: 502,
      code: "BAD_GATEWAY",
      retryable: true,
      retryDelayMs: null,
    });
    expect(
      classifyModelError(apiErrorFromBody(500, { error: { code: 500, message: "x", status: "INTERNAL" } }))
        .retryable,
    ).toBe(true);
    expect(
      classifyModelError(
        apiErrorFromBody(504, { error: { code: 504, message: "x", status: "DEADLINE_EXCEEDED" } }),
      ).retryable,
    ).toBe(true);
    expect(
      classifyModelError(apiErrorFromBody(404, { error: { code: 404, message: "x", status: "NOT_FOUND" } }))
        .retryable,
    ).toBe(false);
    expect(
      classifyModelError(
        apiErrorFromBody(401, { error: { code: 401, message: "x", status: "UNAUTHENTICATED" } }),
      ).retryable,
    ).toBe(false);
  });

  it("treats fetch failures (ECONNRESET, ECONNREFUSED, socket) and timeouts as retryable", () => {
    expect(classifyModelError(networkError("ECONNRESET", "read ECONNRESET"))).toEqual({
      status: null,
      code: "ECONNRESET",
      message: "fetch failed: read ECONNRESET",
      retryable: true,
      retryDelayMs: null,
    });
    expect(
      classifyModelError(networkError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:9")),
    ).toMatchObject({ code: "ECONNREFUSED", retryable: true });
    expect(classifyModelError(networkError("UND_ERR_SOCKET", "other side closed"))).toMatchObject({
      code: "UND_ERR_SOCKET",
      retryable: true,
    });
    expect(classifyModelError(new TypeError("fetch failed"))).toMatchObject({
      code: "NETWORK_ERROR",
      retryable: true,
    });
    expect(classifyModelError(new DOMException("This operation was aborted", "AbortError"))).toMatchObject({
      code: "TIMEOUT",
      retryable: true,
    });
    expect(classifyModelError(new DOMException("The operation timed out.", "TimeoutError"))).toMatchObject({
      code: "TIMEOUT",
      retryable: true,
    });
  });

  it("does not retry programming errors or our own typed errors", () => {
    expect(classifyModelError(new Error("Cannot read properties of undefined"))).toEqual({
      status: null,
      code: null,
      message: "Cannot read properties of undefined",
      retryable: false,
      retryDelayMs: null,
    });
    expect(classifyModelError(new SynthforgeError("MODEL_ERROR", "nope")).retryable).toBe(false);
    expect(classifyModelError("a string").message).toBe("a string");
    expect(classifyModelError(undefined).retryable).toBe(false);
  });

  it("redacts secrets from the message", () => {
    const key = `AIza${"x".repeat(35)}`;
    const e = apiErrorFromBody(400, {
      error: { code: 400, message: `API key ${key} not valid (see ?key=${key})`, status: "INVALID_ARGUMENT" },
    });
    const info = classifyModelError(e);
    expect(info.message).not.toContain(key);
    expect(info.message).toContain("[redacted");
  });

  it("parses protobuf durations", () => {
    expect(parseDurationMs("7s")).toBe(7000);
    expect(parseDurationMs("0.5s")).toBe(500);
    expect(parseDurationMs("26.123456s")).toBe(26123);
    expect(parseDurationMs({ seconds: 2, nanos: 500_000_000 })).toBe(2500);
    expect(parseDurationMs("soon")).toBeNull();
  });
});

/** A BaseLlm whose calls follow a script: each call runs the next step. */
class ScriptLlm extends BaseLlm {
  calls = 0;
  closed = 0;
  constructor(private readonly steps: Array<(n: number) => AsyncGenerator<LlmResponse, void>>) {
    super({ model: "script-1" });
  }
  override async *generateContentAsync(): AsyncGenerator<LlmResponse, void> {
    const step = this.steps[Math.min(this.calls, this.steps.length - 1)];
    this.calls++;
    if (!step) throw new Error("no step");
    try {
      yield* step(this.calls);
    } finally {
      this.closed++;
    }
  }
  override connect(): Promise<BaseLlmConnection> {
    throw new Error("live not supported");
  }
}

const text = (t: string): LlmResponse => ({ content: { role: "model", parts: [{ text: t }] } });
const req = (): LlmRequest =>
  ({
    contents: [{ role: "user", parts: [{ text: "hi" }] }],
    toolsDict: {},
    liveConnectConfig: {},
  }) as unknown as LlmRequest;
const fail = (e: unknown) =>
  // biome-ignore lint/correctness/useYield: a model call that fails before its first chunk
  async function* (): AsyncGenerator<LlmResponse, void> {
    throw e;
  };
const ok = (t: string) =>
  async function* (): AsyncGenerator<LlmResponse, void> {
    yield text(t);
  };
const err503 = () =>
  apiErrorFromBody(503, {
    error: { code: 503, message: "The model is overloaded. Please try again later.", status: "UNAVAILABLE" },
  });
const err429 = (delay: string) =>
  apiErrorFromBody(429, {
    error: {
      code: 429,
      message: "quota",
      status: "RESOURCE_EXHAUSTED",
      details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: delay }],
    },
  });

async function collect(llm: BaseLlm, stream = false, signal?: AbortSignal): Promise<LlmResponse[]> {
  const out: LlmResponse[] = [];
  for await (const r of llm.generateContentAsync(req(), stream, signal)) out.push(r);
  return out;
}

describe("retryingLlm", () => {
  it("retries retryable errors with jittered exponential backoff, then succeeds", async () => {
    const inner = new ScriptLlm([
      fail(err503()),
      fail(networkError("ECONNRESET", "read ECONNRESET")),
      ok("done"),
    ]);
    const sleeps: number[] = [];
    const infos: RetryInfo[] = [];
    const llm = retryingLlm(inner, {
      retries: 3,
      baseDelayMs: 100,
      random: () => 0.5, // no jitter: exactly base·2^n
      sleep: async (ms) => void sleeps.push(ms),
      onRetry: (i) => infos.push(i),
    });
    const out = await collect(llm);
    expect(out.map((r) => r.content?.parts?.[0]?.text)).toEqual(["done"]);
    expect(inner.calls).toBe(3);
    expect(sleeps).toEqual([100, 200]);
    expect(infos.map((i) => [i.retry, i.error.code, i.serverDelay])).toEqual([
      [1, "UNAVAILABLE", false],
      [2, "ECONNRESET", false],
    ]);
  });

  it("keeps the jitter within ±50% and caps the wait at maxDelayMs", async () => {
    const sleeps: number[] = [];
    const randoms = [0, 0.999, 0.999];
    const inner = new ScriptLlm([fail(err503()), fail(err503()), fail(err503()), ok("done")]);
    const llm = retryingLlm(inner, {
      retries: 3,
      baseDelayMs: 1000,
      maxDelayMs: 2500,
      random: () => randoms.shift() ?? 0,
      sleep: async (ms) => void sleeps.push(ms),
    });
    await collect(llm);
    expect(sleeps).toEqual([500, 2500, 2500]); // 1000·0.5; min(2000·1.499, 2500); min(4000·1.499, 2500)
  });

  it("waits exactly the RetryInfo delay of a 429, capped by maxDelayMs", async () => {
    const sleeps: number[] = [];
    const inner = new ScriptLlm([fail(err429("7s")), fail(err429("26s")), ok("done")]);
    const llm = retryingLlm(inner, {
      retries: 4,
      baseDelayMs: 10,
      maxDelayMs: 20_000,
      sleep: async (ms) => void sleeps.push(ms),
    });
    await collect(llm);
    expect(sleeps).toEqual([7000, 20_000]);
  });

  it("never retries a 400 and rethrows the same error", async () => {
    const e = fixtureApiError("error-400-INVALID_ARGUMENT-api-key.json");
    const inner = new ScriptLlm([fail(e), ok("never")]);
    const sleeps: number[] = [];
    const llm = retryingLlm(inner, { retries: 5, sleep: async (ms) => void sleeps.push(ms) });
    const thrown = await collect(llm).catch((x: unknown) => x);
    expect(thrown).toBe(e);
    expect(inner.calls).toBe(1);
    expect(sleeps).toEqual([]);
    expect((thrown as Error).message).not.toContain("gave up");
  });

  it("gives up after `retries`, keeping the JSON body (so ADK keeps the code) and noting the retries", async () => {
    const inner = new ScriptLlm([fail(err503())]);
    const llm = retryingLlm(inner, { retries: 2, sleep: async () => {} });
    const thrown = (await collect(llm).catch((x: unknown) => x)) as ApiError;
    expect(inner.calls).toBe(3);
    expect(thrown.name).toBe("ApiError");
    expect(thrown.status).toBe(503);
    const body = JSON.parse(thrown.message) as { error: { code: number; status: string; message: string } };
    expect(body.error.code).toBe(503);
    expect(body.error.status).toBe("UNAVAILABLE");
    expect(parseGaveUp(body.error.message)).toEqual({
      message: "The model is overloaded. Please try again later.",
      retries: 2,
    });
    expect(classifyModelError(thrown).code).toBe("UNAVAILABLE");
  });

  it("appends the retry count to non-JSON errors too", async () => {
    const inner = new ScriptLlm([fail(networkError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:9"))]);
    const thrown = (await collect(retryingLlm(inner, { retries: 1, sleep: async () => {} })).catch(
      (x: unknown) => x,
    )) as Error;
    expect(inner.calls).toBe(2);
    expect(thrown.message).toBe("fetch failed [gave up after 1 retry]");
  });

  it("with retries: 0 calls once and leaves the error untouched", async () => {
    const e = err503();
    const before = e.message;
    const inner = new ScriptLlm([fail(e), ok("never")]);
    const thrown = await collect(retryingLlm(inner, { retries: 0, sleep: async () => {} })).catch(
      (x: unknown) => x,
    );
    expect(thrown).toBe(e);
    expect(e.message).toBe(before);
    expect(inner.calls).toBe(1);
  });

  it("does not retry once a chunk has been yielded (no duplicated stream output)", async () => {
    const inner = new ScriptLlm([
      async function* () {
        yield { ...text("partial"), partial: true };
        throw err503();
      },
      ok("should not be called"),
    ]);
    const seen: LlmResponse[] = [];
    const llm = retryingLlm(inner, { retries: 3, sleep: async () => {} });
    const thrown = await (async () => {
      for await (const r of llm.generateContentAsync(req(), true)) seen.push(r);
    })().catch((x: unknown) => x);
    expect(inner.calls).toBe(1);
    expect(seen.map((r) => r.content?.parts?.[0]?.text)).toEqual(["partial"]);
    expect(classifyModelError(thrown).status).toBe(503);
    expect((thrown as Error).message).not.toContain("gave up");
  });

  it("stops retrying when the caller aborts during the wait", async () => {
    const ac = new AbortController();
    const inner = new ScriptLlm([fail(err503()), ok("never")]);
    const llm = retryingLlm(inner, {
      retries: 5,
      sleep: async () => {
        ac.abort();
      },
    });
    const thrown = await collect(llm, false, ac.signal).catch((x: unknown) => x);
    expect(inner.calls).toBe(1);
    expect(classifyModelError(thrown).status).toBe(503);
  });

  it("the default sleep really waits and wakes up early on abort", async () => {
    const inner = new ScriptLlm([fail(err429("0.05s")), ok("done")]);
    const t0 = performance.now();
    const out = await collect(retryingLlm(inner, { retries: 1 }));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    expect(out).toHaveLength(1);

    const ac = new AbortController();
    const inner2 = new ScriptLlm([fail(err429("30s")), ok("never")]);
    setTimeout(() => ac.abort(), 20);
    const t1 = performance.now();
    await collect(retryingLlm(inner2, { retries: 1 }), false, ac.signal).catch(() => undefined);
    expect(performance.now() - t1).toBeLessThan(5000);
    expect(inner2.calls).toBe(1);
  });

  it("closes the inner generator when the consumer stops early", async () => {
    const inner = new ScriptLlm([
      async function* () {
        yield text("a");
        yield text("b");
      },
    ]);
    const llm = retryingLlm(inner, { retries: 2, sleep: async () => {} });
    for await (const r of llm.generateContentAsync(req(), true)) {
      expect(r.content?.parts?.[0]?.text).toBe("a");
      break;
    }
    expect(inner.closed).toBe(1);
    expect(inner.calls).toBe(1);
  });

  it("redacts secrets in the rethrown error", async () => {
    const key = `AIza${"k".repeat(35)}`;
    const e = apiErrorFromBody(403, {
      error: { code: 403, message: `key ${key} is blocked`, status: "PERMISSION_DENIED" },
    });
    const thrown = (await collect(
      retryingLlm(new ScriptLlm([fail(e)]), { retries: 3, sleep: async () => {} }),
    ).catch((x: unknown) => x)) as Error;
    expect(thrown.message).not.toContain(key);
    expect(String(thrown.stack)).not.toContain(key);
    expect(JSON.parse(thrown.message).error.code).toBe(403);
  });
});
