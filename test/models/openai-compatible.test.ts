import { inspect } from "node:util";
import {
  type BaseLlm,
  type Event,
  InMemoryRunner,
  LlmAgent,
  type LlmRequest,
  LogLevel,
  setLogLevel,
} from "@google/adk";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type AgentTask, runAgentTask } from "../../src/agents/agent-task.js";
import { isSynthforgeError } from "../../src/core/errors.js";
import { envelope, estimateTokens } from "../../src/models/envelope.js";
import { openaiCompatibleModels } from "../../src/models/factories.js";
import { describeModelError } from "../../src/models/gemini.js";
import type { LlmCallRecord } from "../../src/models/middleware.js";
import {
  extractJson,
  OpenAICompatibleError,
  OpenAICompatibleLlm,
  openaiCompatibleProvider,
} from "../../src/models/openai-compatible.js";
import type { RetryInfo } from "../../src/models/retry.js";
import { type OpenAIWireServer, startOpenAIWireServer } from "../../src/testing/openai-wire-server.js";

const QuestionSchema = z.object({
  question: z.string(),
  difficulty: z.enum(["easy", "hard"]),
  tags: z.array(z.string()),
});
const ANSWER = { question: "What does Retry-After carry?", difficulty: "easy", tags: ["http", "errors"] };

const servers: OpenAIWireServer[] = [];
async function server(opts: Parameters<typeof startOpenAIWireServer>[0] = {}): Promise<OpenAIWireServer> {
  const s = await startOpenAIWireServer({ respond: () => ANSWER, ...opts });
  servers.push(s);
  return s;
}

beforeAll(() => setLogLevel(LogLevel.ERROR));
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});
const savedKey = process.env.OPENAI_API_KEY;
afterEach(() => {
  if (savedKey === undefined) delete process.env.OPENAI_API_KEY;
  else process.env.OPENAI_API_KEY = savedKey;
});

function recorder() {
  const calls: LlmCallRecord[] = [];
  return { calls, sink: (r: LlmCallRecord) => void calls.push(r) };
}

function recordingSleep() {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
}

async function run(model: BaseLlm): Promise<Event[]> {
  const agent = new LlmAgent({
    name: "question_writer",
    model,
    instruction: "Write one question as JSON.",
    outputSchema: QuestionSchema,
    outputKey: "question",
    includeContents: "none",
  });
  const runner = new InMemoryRunner({ agent, appName: "synthforge-test" });
  const events: Event[] = [];
  for await (const ev of runner.runEphemeral({
    userId: "u1",
    newMessage: { role: "user", parts: [{ text: envelope("test.question", { topic: "HTTP errors" }) }] },
  }))
    events.push(ev);
  return events;
}

const task: AgentTask<{ topic: string }, z.infer<typeof QuestionSchema>> = {
  name: "question_writer",
  task: "test.question",
  role: "question",
  description: "writes a question",
  instruction: () => "Write one question as JSON.",
  outputSchema: QuestionSchema,
  attempts: 2,
};

function request(): LlmRequest {
  return {
    contents: [{ role: "user", parts: [{ text: envelope("test.question", { topic: "x" }) }] }],
    config: { systemInstruction: "Write one question as JSON." },
    liveConnectConfig: {},
    toolsDict: {},
  } as unknown as LlmRequest;
}

describe("OpenAI-compatible provider through ADK and the real openai client", () => {
  it("returns structured output through response_format json_schema, metered at $0 on a local server", async () => {
    const s = await server();
    // A user's OpenAI key in the environment must never reach a server it was not given for.
    process.env.OPENAI_API_KEY = "sk-user-openai-key-must-not-leak";
    const router = openaiCompatibleModels({ baseUrl: `${s.url}/v1`, name: "local", model: "local:qwen3:8b" });
    const { calls, sink } = recorder();
    const events = await run(router.model("question", { runId: "run-1", sink }));
    const final = events.at(-1);
    expect(final?.errorCode).toBeUndefined();
    expect(final?.actions.stateDelta.question).toEqual(ANSWER);

    expect(s.requests).toHaveLength(1);
    const r = s.requests[0]!;
    expect(r.path).toBe("/v1/chat/completions");
    expect(r.model).toBe("qwen3:8b"); // the provider prefix stays on our side
    expect(r.authorization).toBeUndefined();
    expect(r.body.stream).toBe(false);
    const format = r.body.response_format as {
      type: string;
      json_schema: { schema: Record<string, unknown> };
    };
    expect(format.type).toBe("json_schema");
    expect(format.json_schema.schema.type).toBe("object");
    expect(Object.keys(format.json_schema.schema.properties as object).sort()).toEqual([
      "difficulty",
      "question",
      "tags",
    ]);
    expect((format.json_schema.schema.properties as Record<string, { type: unknown }>).tags?.type).toBe(
      "array",
    );
    const messages = r.body.messages as Array<{ role: string; content: string }>;
    expect(messages[0]).toMatchObject({ role: "system" });
    expect(messages[0]?.content).toContain("Write one question as JSON.");
    expect(messages.at(-1)?.content).toContain("TASK: test.question");

    // Metering: the server's usage, under the routed model name, at $0.
    expect(calls).toHaveLength(1);
    const prompt = estimateTokens(JSON.stringify(r.body.messages));
    const completion = estimateTokens(JSON.stringify(ANSWER));
    expect(calls[0]).toMatchObject({
      runId: "run-1",
      role: "question",
      model: "local:qwen3:8b",
      provider: "local",
      status: "ok",
      inputTokens: prompt,
      outputTokens: completion,
      totalTokens: prompt + completion,
      costUsd: 0,
    });
    expect(router.provider.paid).toBe(false);
  });

  it("sends the API key only as a bearer token, and keeps it out of inspect and errors", async () => {
    const key = "sk-test-4d8f2a9c1e7b-secret";
    const s = await server({ apiKey: key });
    const provider = openaiCompatibleProvider({
      baseUrl: `${s.url}/v1`,
      apiKey: key,
      name: "hosted",
      retries: 0,
    });
    expect(provider.paid).toBe(false); // 127.0.0.1 is local
    const model = provider.create("hosted:gpt-x");
    const events = await run(model);
    expect(events.at(-1)?.actions.stateDelta.question).toEqual(ANSWER);
    expect(s.requests[0]?.authorization).toBe(`Bearer ${key}`);
    expect(inspect(provider.bare!("hosted:gpt-x"), { depth: 6, showHidden: false })).not.toContain(key);
    expect(JSON.stringify(provider.bare!("hosted:gpt-x"))).not.toContain(key);

    // A wrong key: 401 with the server's message, never the key.
    const wrong = "sk-wrong-9a7b3c-secret";
    const bad = openaiCompatibleProvider({
      baseUrl: `${s.url}/v1`,
      apiKey: wrong,
      name: "hosted",
      retries: 0,
    });
    const err = await collect(bad.bare!("hosted:gpt-x").generateContentAsync(request())).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAICompatibleError);
    expect((err as OpenAICompatibleError).status).toBe(401);
    expect(String((err as Error).message) + String((err as Error).stack)).not.toContain(wrong);
  });

  it("retries a 429 after the server's Retry-After, then succeeds; each attempt is metered", async () => {
    const s = await server({ faults: { retryAfter: 0.25 } });
    s.failNext("429");
    const { delays, sleep } = recordingSleep();
    const retries: RetryInfo[] = [];
    const router = openaiCompatibleModels({
      baseUrl: `${s.url}/v1`,
      name: "local",
      model: "qwen3:8b",
      sleep,
      onRetry: (i) => void retries.push(i),
    });
    const { calls, sink } = recorder();
    const events = await run(router.model("question", { runId: null, sink }));
    expect(events.at(-1)?.actions.stateDelta.question).toEqual(ANSWER);
    expect(s.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(delays).toEqual([250]);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ retry: 1, serverDelay: true, delayMs: 250 });
    expect(retries[0]?.error).toMatchObject({ status: 429, retryable: true, retryDelayMs: 250 });
    expect(calls.map((c) => c.status)).toEqual(["error", "ok"]);
    expect(calls[0]?.error).toContain("Rate limit reached");
  });

  it("turns a 400 into a typed error with the server's message, not retried", async () => {
    const s = await server({
      faults: { badRequestMessage: "model 'qwen9:1b' not found, try pulling it first" },
    });
    s.failNext("400", 3);
    const { delays, sleep } = recordingSleep();
    const provider = openaiCompatibleProvider({ baseUrl: `${s.url}/v1`, name: "ollama", sleep });
    // The model alone: a typed error.
    const err = await collect(provider.create("ollama:qwen9:1b").generateContentAsync(request())).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAICompatibleError);
    expect(isSynthforgeError(err, "MODEL_ERROR")).toBe(true);
    const typed = err as OpenAICompatibleError;
    expect(typed.status).toBe(400);
    expect(typed.provider).toBe("ollama");
    expect(typed.serverMessage).toBe("model 'qwen9:1b' not found, try pulling it first");
    expect(s.requests).toHaveLength(1);
    expect(delays).toEqual([]);

    // Through an agent: an error event with the status, described with the provider's name.
    const events = await run(provider.create("ollama:qwen9:1b"));
    const failed = events.find((e) => e.errorCode);
    expect(failed?.errorCode).toBe("400");
    expect(describeModelError(failed?.errorCode, failed?.errorMessage)).toBe(
      "ollama (OpenAI-compatible) rejected the request (400): model 'qwen9:1b' not found, try pulling it first. Check the model name and the server's support for the request's settings.",
    );
    expect(s.requests).toHaveLength(2);
    expect(delays).toEqual([]);
  });

  it("asks again through the agent when the reply is malformed JSON", async () => {
    const s = await server();
    s.failNext("malformed");
    const router = openaiCompatibleModels({ baseUrl: `${s.url}/v1`, name: "local", model: "qwen3:8b" });
    const { calls, sink } = recorder();
    const result = await runAgentTask(task, { topic: "HTTP" }, { models: router, runId: null, sink });
    expect(result.output).toEqual(ANSWER);
    expect(s.requests.map((r) => r.fault)).toEqual(["malformed", null]);
    expect(calls).toHaveLength(2);
    // The first reply was metered as an answer (it is the agent that found it unusable).
    expect(() => JSON.parse(calls[0]?.response ?? "")).toThrow();

    // With one attempt, the same reply is the agent's typed invalid-output error.
    s.failNext("malformed");
    const once = await runAgentTask(
      { ...task, attempts: 1 },
      { topic: "HTTP" },
      { models: router, runId: null, sink },
    ).catch((e: unknown) => e);
    expect(isSynthforgeError(once, "MODEL_OUTPUT_INVALID")).toBe(true);
    expect((once as Error).message).toContain("the model did not return JSON");
  });

  it("falls back to JSON in the prompt when the server refuses json_schema, and remembers it for the model", async () => {
    const s = await server({ jsonSchema: "refused" });
    const router = openaiCompatibleModels({ baseUrl: `${s.url}/v1`, name: "local", model: "tiny:1b" });
    const { calls, sink } = recorder();
    const first = await runAgentTask(task, { topic: "HTTP" }, { models: router, runId: null, sink });
    expect(first.output).toEqual(ANSWER);
    expect(s.requests.map((r) => [r.status, r.fault])).toEqual([
      [400, "schema-refused"],
      [200, null],
    ]);
    const retried = s.requests[1]!.body;
    expect(retried.response_format).toBeUndefined();
    const system = (retried.messages as Array<{ role: string; content: string }>)[0]!;
    expect(system.role).toBe("system");
    expect(system.content).toContain("JSON Schema");
    expect(system.content).toContain('"difficulty"');
    // One model call (metered once), although it took two HTTP requests.
    expect(calls).toHaveLength(1);

    // Later calls to that server and model, even through a new provider, go straight to text.
    s.reset();
    const again = openaiCompatibleModels({ baseUrl: `${s.url}/v1`, name: "local", model: "tiny:1b" });
    await runAgentTask(task, { topic: "HTTP" }, { models: again, runId: null, sink });
    expect(s.requests.map((r) => r.status)).toEqual([200]);
    expect(s.requests[0]?.body.response_format).toBeUndefined();
    // Another model on the same server still tries json_schema first.
    s.reset();
    const other = openaiCompatibleModels({ baseUrl: `${s.url}/v1`, name: "local", model: "other:2b" });
    await runAgentTask(task, { topic: "HTTP" }, { models: other, runId: null, sink });
    expect(s.requests.map((r) => r.fault)).toEqual(["schema-refused", null]);
  });

  it("takes the JSON out of a server that ignores json_schema and answers in prose", async () => {
    const s = await server({ jsonSchema: "ignored" });
    const router = openaiCompatibleModels({ baseUrl: `${s.url}/v1`, name: "local", model: "chatty:3b" });
    const { sink } = recorder();
    const result = await runAgentTask(task, { topic: "HTTP" }, { models: router, runId: null, sink });
    expect(result.output).toEqual(ANSWER);
    expect(s.requests).toHaveLength(1);
    expect(extractJson('<think>hmm {"a"</think>\n```json\n{"a":1}\n```')).toBe('{"a":1}');
    expect(extractJson('{"a": 1, "b"')).toBe('{"a": 1, "b"');
  });

  it("reports an empty reply cut by max_tokens as an empty reply (asked again), and a dead server as unreachable", async () => {
    const s = await server();
    s.failNext("empty");
    const router = openaiCompatibleModels({ baseUrl: `${s.url}/v1`, name: "local", model: "qwen3:8b" });
    const { sink } = recorder();
    const result = await runAgentTask(task, { topic: "HTTP" }, { models: router, runId: null, sink });
    expect(result.output).toEqual(ANSWER);
    expect(s.requests.map((r) => r.fault)).toEqual(["empty", null]);

    const dead = await startOpenAIWireServer();
    const url = `${dead.url}/v1`;
    await dead.close();
    const llm = new OpenAICompatibleLlm({ model: "x", baseUrl: url, providerName: "vllm" });
    const events = await run(llm);
    const failed = events.find((e) => e.errorCode);
    expect(describeModelError(failed?.errorCode, failed?.errorMessage)).toMatch(
      /^Could not reach vllm \(OpenAI-compatible\): fetch failed: could not connect to http:\/\/127\.0\.0\.1:\d+\/v1.* Check that the server is running and the provider's baseUrl\.$/,
    );
  });
});

async function collect<T>(gen: AsyncGenerator<T, void>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}
