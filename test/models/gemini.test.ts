import { createServer } from "node:net";
import { inspect } from "node:util";
import {
  type BaseLlm,
  type Event,
  getLogger,
  InMemoryRunner,
  LlmAgent,
  type LlmRequest,
  type Logger,
  LogLevel,
  type RunConfig,
  StreamingMode,
  setLogger,
  setLogLevel,
} from "@google/adk";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { isSynthforgeError } from "../../src/core/errors.js";
import { describeModelError, geminiProvider, SynthforgeGemini } from "../../src/models/gemini.js";
import type { RetryInfo } from "../../src/models/retry.js";
import {
  buildErrorBody,
  buildRetryInfo429,
  buildSuccessBody,
  type GeminiStub,
  readGeminiFixture,
  type StubReply,
  startGeminiServer,
} from "../helpers/gemini-server.js";

const KEY = "test-key-7Fq2xVb9-synthforge";
const MODEL = "gemini-2.5-flash";

const QuestionSchema = z.object({
  question: z.string(),
  difficulty: z.enum(["easy", "hard"]),
  tags: z.array(z.string()),
});
const ANSWER = { question: "What does RetryInfo carry?", difficulty: "easy", tags: ["grpc", "errors"] };

let server: GeminiStub;

beforeAll(async () => {
  setLogLevel(LogLevel.ERROR);
  server = await startGeminiServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
});

/** Records injected sleeps instead of waiting. */
function recordingSleep() {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
}

function agentFor(model: BaseLlm, name = "question_writer"): LlmAgent {
  return new LlmAgent({
    name,
    model,
    instruction: "Write one question as JSON.",
    outputSchema: QuestionSchema,
    outputKey: "question",
    includeContents: "none",
  });
}

async function run(agent: LlmAgent, runConfig?: RunConfig): Promise<Event[]> {
  const runner = new InMemoryRunner({ agent, appName: "synthforge-test" });
  const events: Event[] = [];
  for await (const ev of runner.runEphemeral({
    userId: "u1",
    newMessage: { role: "user", parts: [{ text: "topic: gRPC error model" }] },
    ...(runConfig ? { runConfig } : {}),
  })) {
    events.push(ev);
  }
  return events;
}

const okReply = (): StubReply => ({
  status: 200,
  json: buildSuccessBody(JSON.stringify(ANSWER), {
    promptTokenCount: 31,
    candidatesTokenCount: 17,
    totalTokenCount: 48,
    responseId: "resp-42",
  }),
});

describe("geminiProvider through ADK and the real genai client", () => {
  it("returns structured JSON as the parsed outputKey value, with usageMetadata", async () => {
    server.setHandler(okReply);
    const provider = geminiProvider({ apiKey: KEY, baseUrl: server.url });
    expect(provider.name).toBe("gemini");
    expect(provider.paid).toBe(true);

    const events = await run(agentFor(provider.create(MODEL)));
    const final = events.at(-1);
    expect(final?.errorCode).toBeUndefined();
    expect(final?.actions.stateDelta.question).toEqual(ANSWER);
    expect(final?.usageMetadata).toMatchObject({
      promptTokenCount: 31,
      candidatesTokenCount: 17,
      totalTokenCount: 48,
    });

    expect(server.requests).toHaveLength(1);
    const r = server.requests[0];
    expect(r?.url).toBe(`/v1beta/models/${MODEL}:generateContent`);
    expect(r?.apiKey).toBe(KEY);
    expect(r?.headers["x-goog-api-key"]).toBe(KEY);
    expect(r?.headers["x-server-timeout"]).toBeUndefined();
    expect(r?.body.generationConfig.responseMimeType).toBe("application/json");
    const schema = r?.body.generationConfig.responseSchema ?? r?.body.generationConfig.responseJsonSchema;
    expect(Object.keys(schema?.properties ?? {}).sort()).toEqual(["difficulty", "question", "tags"]);
    expect(r?.body.contents).toEqual([{ role: "user", parts: [{ text: "topic: gRPC error model" }] }]);
    expect(r?.body.systemInstruction.parts[0].text).toContain("Write one question as JSON.");
  });

  it("honours apiVersion and timeoutMs (sent as X-Server-Timeout)", async () => {
    server.setHandler(okReply);
    const model = geminiProvider({
      apiKey: KEY,
      baseUrl: `${server.url}/`,
      apiVersion: "v1",
      timeoutMs: 5000,
    }).create(MODEL);
    const events = await run(agentFor(model));
    expect(events.at(-1)?.actions.stateDelta.question).toEqual(ANSWER);
    expect(server.requests[0]?.url).toBe(`/v1/models/${MODEL}:generateContent`);
    expect(server.requests[0]?.headers["x-server-timeout"]).toBe("5");
  });

  it("retries a 429 after exactly the RetryInfo retryDelay, then succeeds", async () => {
    server.setHandler((r) => (r.attempt === 1 ? { status: 429, json: buildRetryInfo429("1s") } : okReply()));
    const { delays, sleep } = recordingSleep();
    const retries: RetryInfo[] = [];
    const model = geminiProvider({
      apiKey: KEY,
      baseUrl: server.url,
      sleep,
      onRetry: (i) => retries.push(i),
    }).create(MODEL);

    const events = await run(agentFor(model));
    expect(events.at(-1)?.actions.stateDelta.question).toEqual(ANSWER);
    expect(server.requests).toHaveLength(2);
    expect(delays).toEqual([1000]);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({
      retry: 1,
      retries: 4,
      delayMs: 1000,
      serverDelay: true,
      error: { status: 429, code: "RESOURCE_EXHAUSTED" },
    });
    // Same request twice (ADK's request mutations are idempotent).
    expect(server.requests[1]?.body).toEqual(server.requests[0]?.body);
  });

  it("really waits a short RetryInfo delay with the default sleep", async () => {
    server.setHandler((r) =>
      r.attempt === 1 ? { status: 429, json: buildRetryInfo429("0.2s") } : okReply(),
    );
    const model = geminiProvider({ apiKey: KEY, baseUrl: server.url }).create(MODEL);
    const t0 = performance.now();
    const events = await run(agentFor(model));
    const elapsed = performance.now() - t0;
    expect(events.at(-1)?.actions.stateDelta.question).toEqual(ANSWER);
    expect(server.requests).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(5000);
  });

  it("survives 503 twice, then 200 (exponential backoff)", async () => {
    const overloaded = readGeminiFixture("error-503-UNAVAILABLE-model-overloaded.json");
    server.setHandler((r) => (r.attempt <= 2 ? { status: 503, json: overloaded } : okReply()));
    const { delays, sleep } = recordingSleep();
    const model = geminiProvider({ apiKey: KEY, baseUrl: server.url, baseDelayMs: 100, sleep }).create(MODEL);
    const events = await run(agentFor(model));
    expect(events.at(-1)?.actions.stateDelta.question).toEqual(ANSWER);
    expect(server.requests).toHaveLength(3);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(50);
    expect(delays[0]).toBeLessThanOrEqual(150);
    expect(delays[1]).toBeGreaterThanOrEqual(100);
    expect(delays[1]).toBeLessThanOrEqual(300);
  });

  it("surfaces a permanent 503 as an error event once retries are exhausted", async () => {
    server.setHandler(() => ({
      status: 503,
      json: readGeminiFixture("error-503-UNAVAILABLE-model-overloaded.json"),
    }));
    const { delays, sleep } = recordingSleep();
    const model = geminiProvider({ apiKey: KEY, baseUrl: server.url, retries: 3, sleep }).create(MODEL);
    const events = await run(agentFor(model));
    expect(server.requests).toHaveLength(4);
    expect(delays).toHaveLength(3);
    const err = events.find((e) => e.errorCode);
    expect(err?.errorCode).toBe("503");
    expect(err?.errorMessage).toContain("The model is overloaded");
    expect(err?.actions?.stateDelta?.question).toBeUndefined();
    const line = describeModelError(err?.errorCode, err?.errorMessage);
    expect(line).toBe(
      "Gemini is overloaded or unavailable (503 UNAVAILABLE) after 3 retries: The model is overloaded. Please try again later. Try again later or use another model.",
    );
  });

  it("does not retry a 400, and no surfaced text, log or object dump contains the key", async () => {
    // Make the stub echo the caller's key, as Google's DebugInfo does ("Invalid API key: ...").
    server.setHandler((r) => {
      const body = readGeminiFixture("error-400-INVALID_ARGUMENT-api-key.json") as {
        error: { message: string; details: Array<Record<string, unknown>> };
      };
      for (const d of body.error.details)
        if (d.detail) d.detail = String(d.detail).replace("key1234", r.apiKey ?? "");
      body.error.message += ` (key: ${r.apiKey})`;
      return { status: 400, json: body };
    });
    const logs: string[] = [];
    const capture = (...args: unknown[]) =>
      void logs.push(args.map((a) => (typeof a === "string" ? a : inspect(a, { depth: 8 }))).join(" "));
    const logger: Logger = {
      log: (_l, ...a) => capture(...a),
      debug: capture,
      info: capture,
      warn: capture,
      error: capture,
      setLogLevel: () => {},
    };
    const previousLogger = getLogger();
    setLogger(logger);
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(capture),
    );
    const { delays, sleep } = recordingSleep();
    const retryInfos: RetryInfo[] = [];
    try {
      const model = geminiProvider({
        apiKey: KEY,
        baseUrl: server.url,
        sleep,
        onRetry: (i) => retryInfos.push(i),
      }).create(MODEL);
      const events = await run(agentFor(model));

      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]?.apiKey).toBe(KEY); // the stub really had the key to echo
      expect(delays).toEqual([]);
      const err = events.find((e) => e.errorCode);
      expect(err?.errorCode).toBe("400");
      const line = describeModelError(err?.errorCode, err?.errorMessage);
      expect(line).toMatch(
        /^Gemini rejected the request \(400 INVALID_ARGUMENT\): API key not valid\. Please pass a valid API key\. \(key: \[redacted-key\]\)\. Check GEMINI_API_KEY/,
      );

      // The same model called directly: the thrown error is scrubbed too.
      const direct = model.generateContentAsync({
        contents: [{ role: "user", parts: [{ text: "x" }] }],
        config: {},
        toolsDict: {},
        liveConnectConfig: {},
      } as unknown as LlmRequest);
      const thrown = (await direct.next().catch((e: unknown) => e)) as Error & { status?: number };
      expect(thrown.name).toBe("ApiError");
      expect(thrown.status).toBe(400);
      expect(thrown.message).toContain("[redacted-key]");

      const surfaced = [
        JSON.stringify(events),
        inspect(events, { depth: 20 }),
        line,
        thrown.message,
        String(thrown.stack),
        String(thrown),
        JSON.stringify(retryInfos),
        logs.join("\n"),
        JSON.stringify(model),
        inspect(model, { depth: 6 }),
      ];
      for (const s of surfaced) expect(s).not.toContain(KEY);
    } finally {
      for (const s of spies) s.mockRestore();
      setLogger(previousLogger);
      setLogLevel(LogLevel.ERROR);
    }
  });

  it("does not retry other 4xx (403 PERMISSION_DENIED) and explains it", async () => {
    server.setHandler(() => ({
      status: 403,
      json: readGeminiFixture("error-403-PERMISSION_DENIED-service-disabled.json"),
    }));
    const { delays, sleep } = recordingSleep();
    const events = await run(
      agentFor(geminiProvider({ apiKey: KEY, baseUrl: server.url, sleep }).create(MODEL)),
    );
    expect(server.requests).toHaveLength(1);
    expect(delays).toEqual([]);
    const err = events.find((e) => e.errorCode);
    expect(describeModelError(err?.errorCode, err?.errorMessage)).toMatch(
      /^Gemini denied permission \(403 PERMISSION_DENIED\): Generative Language API has not been used in project 12345678 .*Check that the API key may use the Generative Language API/,
    );
  });

  it("reports an exhausted 429 quota with the number of retries", async () => {
    server.setHandler(() => ({
      status: 429,
      json: readGeminiFixture("error-429-RESOURCE_EXHAUSTED-quota.json"),
    }));
    const { delays, sleep } = recordingSleep();
    const events = await run(
      agentFor(geminiProvider({ apiKey: KEY, baseUrl: server.url, retries: 2, sleep }).create(MODEL)),
    );
    expect(server.requests).toHaveLength(3);
    expect(delays).toHaveLength(2);
    const err = events.find((e) => e.errorCode);
    expect(describeModelError(err?.errorCode, err?.errorMessage)).toMatch(
      /^Gemini quota exhausted \(429 RESOURCE_EXHAUSTED\) after 2 retries: Quota exceeded for quota metric .* Wait for the quota to reset/,
    );
  });

  it("retries a client-side timeout (a slow server) and succeeds", async () => {
    server.setHandler((r) => (r.attempt === 1 ? { ...okReply(), delayMs: 400 } : okReply()));
    const retries: RetryInfo[] = [];
    const model = geminiProvider({
      apiKey: KEY,
      baseUrl: server.url,
      timeoutMs: 100,
      sleep: async () => {},
      onRetry: (i) => retries.push(i),
    }).create(MODEL);
    const events = await run(agentFor(model));
    expect(events.at(-1)?.actions.stateDelta.question).toEqual(ANSWER);
    expect(server.requests).toHaveLength(2);
    expect(retries.map((i) => i.error.code)).toEqual(["TIMEOUT"]);
  });

  it("retries a dropped connection and an unreachable server ends in a clear error event", async () => {
    server.setHandler((r) => (r.attempt === 1 ? { status: 200, destroy: true } : okReply()));
    const codes: Array<string | null> = [];
    const model = geminiProvider({
      apiKey: KEY,
      baseUrl: server.url,
      sleep: async () => {},
      onRetry: (i) => void codes.push(i.error.code),
    }).create(MODEL);
    const events = await run(agentFor(model));
    expect(events.at(-1)?.actions.stateDelta.question).toEqual(ANSWER);
    expect(server.requests).toHaveLength(2);
    expect(codes).toHaveLength(1);

    // A port nobody listens on: ECONNREFUSED on every attempt.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const refusedCodes: Array<string | null> = [];
    const dead = geminiProvider({
      apiKey: KEY,
      baseUrl: `http://127.0.0.1:${port}`,
      retries: 2,
      sleep: async () => {},
      onRetry: (i) => void refusedCodes.push(i.error.code),
    }).create(MODEL);
    const evs = await run(agentFor(dead));
    expect(refusedCodes).toEqual(["ECONNREFUSED", "ECONNREFUSED"]);
    const err = evs.find((e) => e.errorCode);
    expect(err?.errorCode).toBe("UNKNOWN_ERROR");
    expect(describeModelError(err?.errorCode, err?.errorMessage)).toBe(
      "Could not reach Gemini after 2 retries: fetch failed. Check the network connection and gemini.baseUrl.",
    );
  });

  describe("streaming (SSE)", () => {
    const chunks = [
      {
        candidates: [
          { content: { role: "model", parts: [{ text: '{"question":"What does RetryInfo carry?",' }] } },
        ],
        modelVersion: MODEL,
      },
      {
        candidates: [
          {
            content: { role: "model", parts: [{ text: '"difficulty":"easy","tags":["grpc","errors"]}' }] },
            finishReason: "STOP",
          },
        ],
        usageMetadata: { promptTokenCount: 31, candidatesTokenCount: 17, totalTokenCount: 48 },
        modelVersion: MODEL,
      },
    ];
    const sse = { streamingMode: StreamingMode.SSE } satisfies RunConfig;

    it("retries a 503 before the stream starts, then aggregates the chunks", async () => {
      server.setHandler((r) =>
        r.attempt === 1
          ? { status: 503, json: readGeminiFixture("error-503-UNAVAILABLE-model-overloaded.json") }
          : { status: 200, chunks },
      );
      const events = await run(
        agentFor(geminiProvider({ apiKey: KEY, baseUrl: server.url, sleep: async () => {} }).create(MODEL)),
        sse,
      );
      expect(server.requests.map((r) => r.url)).toEqual([
        `/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`,
        `/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`,
      ]);
      expect(events.filter((e) => e.partial).length).toBeGreaterThanOrEqual(2);
      const final = events.at(-1);
      expect(final?.partial).toBeFalsy();
      expect(final?.actions.stateDelta.question).toEqual(ANSWER);
      expect(final?.usageMetadata?.totalTokenCount).toBe(48);
    });

    it("does not retry an error that arrives after chunks were streamed", async () => {
      const midStreamError = buildErrorBody(
        503,
        "UNAVAILABLE",
        "The model is overloaded. Please try again later.",
      );
      server.setHandler(() => ({ status: 200, chunks: [chunks[0], midStreamError] }));
      const { delays, sleep } = recordingSleep();
      const events = await run(
        agentFor(geminiProvider({ apiKey: KEY, baseUrl: server.url, sleep }).create(MODEL)),
        sse,
      );
      expect(server.requests).toHaveLength(1);
      expect(delays).toEqual([]);
      expect(events.filter((e) => e.partial)).toHaveLength(1);
      const err = events.find((e) => e.errorCode);
      // genai prefixes stream error chunks ("got status: ..."); SynthforgeGemini strips that so ADK keeps the code.
      expect(err?.errorCode).toBe("503");
      expect(describeModelError(err?.errorCode, err?.errorMessage)).toBe(
        "Gemini is overloaded or unavailable (503 UNAVAILABLE): The model is overloaded. Please try again later. Try again later or use another model.",
      );
    });
  });
});

describe("geminiProvider key handling", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("throws MODEL_ERROR without a key", () => {
    vi.stubEnv("GEMINI_API_KEY", "");
    vi.stubEnv("GOOGLE_API_KEY", "");
    let thrown: unknown;
    try {
      geminiProvider({ baseUrl: server.url });
    } catch (e) {
      thrown = e;
    }
    expect(isSynthforgeError(thrown, "MODEL_ERROR")).toBe(true);
    expect((thrown as Error).message).toMatch(/^No Gemini API key: set GEMINI_API_KEY or GOOGLE_API_KEY/);
  });

  it("reads GEMINI_API_KEY or GOOGLE_API_KEY from the environment (GOOGLE_API_KEY wins, like genai); opts win over env", async () => {
    server.setHandler(okReply);
    vi.stubEnv("GOOGLE_API_KEY", "");
    vi.stubEnv("GEMINI_API_KEY", "env-gemini-key-456");
    await run(agentFor(geminiProvider({ baseUrl: server.url }).create(MODEL)));
    vi.stubEnv("GEMINI_API_KEY", "");
    vi.stubEnv("GOOGLE_API_KEY", "env-google-key-123");
    await run(agentFor(geminiProvider({ baseUrl: server.url }).create(MODEL)));
    await run(agentFor(geminiProvider({ apiKey: KEY, baseUrl: server.url }).create(MODEL)));
    expect(server.requests.map((r) => r.apiKey)).toEqual(["env-gemini-key-456", "env-google-key-123", KEY]);
  });

  it("with both variables set, uses GOOGLE_API_KEY, matching genai's own warning", async () => {
    server.setHandler(okReply);
    vi.stubEnv("GEMINI_API_KEY", "env-gemini-key-456");
    vi.stubEnv("GOOGLE_API_KEY", "env-google-key-123");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      await run(agentFor(geminiProvider({ baseUrl: server.url }).create(MODEL)));
      expect(server.requests.map((r) => r.apiKey)).toEqual(["env-google-key-123"]);
      expect(warn.mock.calls.flat().join(" ")).toContain("Using GOOGLE_API_KEY");
    } finally {
      warn.mockRestore();
    }
  });

  it("SynthforgeGemini with no key fails with a typed error", () => {
    expect(() => new SynthforgeGemini({ model: MODEL, apiKey: "" })).toThrow(/No Gemini API key/);
  });
});

describe("describeModelError", () => {
  it.each([
    [
      "401",
      "Request had invalid authentication credentials.",
      /^Gemini did not accept the credentials \(401 UNAUTHENTICATED\): .*Check GEMINI_API_KEY/,
    ],
    [
      "400",
      "Invalid JSON payload received",
      /^Gemini rejected the request \(400 INVALID_ARGUMENT\): Invalid JSON payload received\. Check the model name/,
    ],
    ["404", "models/gemini-9 is not found", /^Gemini model or endpoint not found \(404 NOT_FOUND\)/],
    [
      "429",
      "Resource exhausted",
      /^Gemini quota exhausted \(429 RESOURCE_EXHAUSTED\): Resource exhausted\. /,
    ],
    [
      "500",
      "Internal error [gave up after 1 retry]",
      /^Gemini server error \(500 INTERNAL\) after 1 retry: Internal error\. Try again later\.$/,
    ],
    ["504", "Deadline expired", /^Gemini timed out \(504 DEADLINE_EXCEEDED\)/],
    [
      "SAFETY",
      undefined,
      /^Gemini returned no content \(SAFETY\): the response was blocked by Gemini's safety filters\.$/,
    ],
    ["MAX_TOKENS", undefined, /^Gemini returned no content \(MAX_TOKENS\)/],
    ["UNKNOWN_ERROR", "This operation was aborted", /^Gemini request timed out: /],
    ["UNKNOWN_ERROR", "Unknown error.", /^Gemini call failed: Unknown error\.$/],
    [undefined, undefined, /^Gemini call failed: no details given\.$/],
  ])("%s / %s", (code, message, want) => {
    const line = describeModelError(code, message);
    expect(line).toMatch(want);
    expect(line).not.toContain("\n");
  });

  it("redacts keys that reach it", () => {
    const key = `AIza${"z".repeat(35)}`;
    expect(describeModelError("400", `API key not valid: ${key}`)).not.toContain(key);
  });
});
