import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { LlmRequest } from "@google/adk";
import { generationTask } from "../agents/generation.js";
import { seededRng } from "../core/random.js";
import { estimateTokens, readEnvelope } from "../models/envelope.js";
import { offlineResponder } from "../models/offline.js";
import "../pipeline/pipeline.js";
import { listTrainingTypes } from "../training-types/index.js";

// Every training type's offline generation answer is registered when its task is made.
for (const t of listTrainingTypes()) generationTask(t);

/**
 * A local server that speaks the OpenAI Chat Completions wire format, as Ollama, vLLM,
 * llama.cpp's server and LM Studio do, for testing the OpenAI-compatible provider (and
 * pipelines on it) without a model or a network:
 *
 * - `POST {prefix}/chat/completions` (non-streaming; a `stream: true` request gets a 400)
 * - `GET {prefix}/models`
 *
 * Answers come from synthforge's offline provider (the same deterministic content as
 * `offlineModels()`), or from `respond`. Faults: 429 with `Retry-After`, 503, 500, 400 (the
 * server's message), malformed JSON output, an empty reply cut by `max_tokens`, each at its
 * own rate (seeded) or queued for the next requests with `failNext`; and a server that
 * refuses (`jsonSchema: "refused"`) or ignores (`"ignored"`) `response_format: json_schema`.
 *
 * ```ts
 * import { startOpenAIWireServer } from "synthforge/testing";
 * const server = await startOpenAIWireServer();
 * const models = openaiCompatibleModels({ baseUrl: `${server.url}/v1`, name: "local", model: "qwen3:8b" });
 * // ... run your pipeline ...
 * await server.close();
 * ```
 */

/** A fault an {@link OpenAIWireServer} can inject. */
export type OpenAIWireFault = "429" | "503" | "500" | "400" | "malformed" | "empty";

/** Fault rates (each in [0, 1]) of an {@link OpenAIWireServer}. */
export interface OpenAIWireFaults {
  /** 429 with a `Retry-After` header (seconds: {@link retryAfter}). */
  rate429?: number;
  /** 503 ("the model is loading"). */
  rate503?: number;
  /** 500. */
  rate500?: number;
  /** 400 with {@link badRequestMessage}. */
  rate400?: number;
  /** 200 with output that is not valid JSON (a truncated object). */
  malformedRate?: number;
  /** 200 with empty content and `finish_reason: "length"`. */
  emptyRate?: number;
  /** The `Retry-After` of 429 answers, in seconds (may be fractional). Default 1. */
  retryAfter?: number;
  /** The message of 400 answers. */
  badRequestMessage?: string;
}

/** Options of {@link startOpenAIWireServer}. */
export interface OpenAIWireServerOptions {
  /** Port (default 0: a free one). The server listens on 127.0.0.1 only. */
  port?: number;
  /** Delay before each answer, in ms. Default 0. */
  latencyMs?: number;
  faults?: OpenAIWireFaults;
  /** Seed of the fault draws. Default 1. */
  seed?: number;
  /**
   * How the server treats `response_format: { type: "json_schema" }`: `supported` (the
   * default), `refused` (400 naming response_format, as servers without structured output
   * answer), or `ignored` (answers as if it were not there, in prose with a fenced JSON block).
   */
  jsonSchema?: "supported" | "refused" | "ignored";
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (else 401). */
  apiKey?: string;
  /**
   * Answers a request (the JSON the model returns, or a string sent as is); `undefined` uses
   * the offline provider's answer. Receives the model, the envelope task and its input.
   */
  respond?: (call: { model: string; task: string; input: unknown }) => unknown;
  /** Report usage in answers (default true; false acts like a server that counts nothing). */
  usage?: boolean;
}

/** One request an {@link OpenAIWireServer} received. */
export interface OpenAIWireRequest {
  path: string;
  model: string;
  /** The envelope task of the last user message, if any. */
  task: string | null;
  /** The `Authorization` header (tests check the key is sent, or not). */
  authorization: string | undefined;
  body: Record<string, unknown>;
  /** The HTTP status answered. */
  status: number;
  /** The fault injected, if any. */
  fault: OpenAIWireFault | "schema-refused" | null;
}

/** A running OpenAI wire server. */
export interface OpenAIWireServer {
  /** `http://127.0.0.1:<port>`; the API root is `${url}/v1`. */
  readonly url: string;
  /** Requests received, in order. */
  readonly requests: OpenAIWireRequest[];
  /** Answers by HTTP status. */
  readonly statuses: Record<string, number>;
  /** Changes the fault rates from now on. */
  setFaults(faults: OpenAIWireFaults): void;
  /** Makes the next `count` chat requests fail with `fault` (before any drawn fault). */
  failNext(fault: OpenAIWireFault, count?: number): void;
  /** Forgets the requests and counters. */
  reset(): void;
  /** Stops the server and drops open connections. */
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

function errorBody(message: string, type: string, param: string | null = null, code: string | null = null) {
  return { error: { message, type, param, code } };
}

interface ChatMessage {
  role?: string;
  content?: unknown;
}

function messageText(m: ChatMessage): string {
  if (typeof m.content === "string") return m.content;
  if (Array.isArray(m.content))
    return m.content.map((p) => (p && typeof p === "object" && "text" in p ? String(p.text) : "")).join("");
  return "";
}

/** Starts an OpenAI Chat Completions wire server on 127.0.0.1 (see the module documentation). */
export async function startOpenAIWireServer(opts: OpenAIWireServerOptions = {}): Promise<OpenAIWireServer> {
  let faults: OpenAIWireFaults = { ...opts.faults };
  const queued: OpenAIWireFault[] = [];
  const random = seededRng(opts.seed ?? 1);
  const requests: OpenAIWireRequest[] = [];
  const statuses: Record<string, number> = {};
  let completionNo = 0;

  const drawFault = (): OpenAIWireFault | null => {
    const next = queued.shift();
    if (next) return next;
    const r = random();
    let edge = 0;
    const kinds: Array<[OpenAIWireFault, number | undefined]> = [
      ["429", faults.rate429],
      ["503", faults.rate503],
      ["500", faults.rate500],
      ["400", faults.rate400],
      ["malformed", faults.malformedRate],
      ["empty", faults.emptyRate],
    ];
    for (const [kind, rate] of kinds) {
      edge += rate ?? 0;
      if (r < edge) return kind;
    }
    return null;
  };

  const completion = (model: string, content: string, promptTokens: number, finish = "stop") => {
    const out = content ? estimateTokens(content) : 0;
    return {
      id: `chatcmpl-wire-${++completionNo}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content, refusal: null },
          finish_reason: finish,
          logprobs: null,
        },
      ],
      ...(opts.usage === false
        ? {}
        : {
            usage: { prompt_tokens: promptTokens, completion_tokens: out, total_tokens: promptTokens + out },
          }),
    };
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const raw = await readBody(req);
      const answer = (
        status: number,
        body: unknown,
        entry: Partial<OpenAIWireRequest> = {},
        headers: Record<string, string> = {},
      ) => {
        statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
        requests.push({
          path: url.pathname,
          model: "",
          task: null,
          authorization: req.headers.authorization,
          body: {},
          fault: null,
          ...entry,
          status,
        });
        sendJson(res, status, body, headers);
      };
      if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
        answer(
          401,
          errorBody("Incorrect API key provided.", "invalid_request_error", null, "invalid_api_key"),
        );
        return;
      }
      if (req.method === "GET" && url.pathname.endsWith("/models")) {
        answer(200, {
          object: "list",
          data: [{ id: "wire-model", object: "model", created: 0, owned_by: "synthforge" }],
        });
        return;
      }
      if (req.method !== "POST" || !url.pathname.endsWith("/chat/completions")) {
        answer(
          404,
          errorBody(`wire server: no route for ${req.method} ${url.pathname}`, "invalid_request_error"),
        );
        return;
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        answer(400, errorBody("wire server: the request body is not JSON", "invalid_request_error"));
        return;
      }
      const model = typeof body.model === "string" ? body.model : "";
      const messages = (Array.isArray(body.messages) ? body.messages : []) as ChatMessage[];
      const env = readEnvelope({
        contents: messages
          .filter((m) => m.role === "user")
          .map((m) => ({ role: "user", parts: [{ text: messageText(m) }] })),
      } as LlmRequest);
      const entry: Partial<OpenAIWireRequest> = { model, task: env?.task ?? null, body };
      if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
      if (body.stream === true) {
        answer(
          400,
          errorBody("wire server: streaming is off for this test server", "invalid_request_error", "stream"),
          entry,
        );
        return;
      }
      const format = body.response_format as { type?: string } | undefined;
      if (format?.type === "json_schema" && opts.jsonSchema === "refused") {
        answer(
          400,
          errorBody(
            "response_format of type json_schema is not supported by this server",
            "invalid_request_error",
            "response_format",
          ),
          { ...entry, fault: "schema-refused" },
        );
        return;
      }
      const fault = drawFault();
      entry.fault = fault;
      if (fault === "429") {
        const seconds = faults.retryAfter ?? 1;
        answer(
          429,
          errorBody("Rate limit reached for requests. Please try again later.", "rate_limit_exceeded"),
          entry,
          { "retry-after": String(seconds) },
        );
        return;
      }
      if (fault === "503") {
        answer(503, errorBody("The model is loading; try again shortly.", "server_error"), entry);
        return;
      }
      if (fault === "500") {
        answer(
          500,
          errorBody("The server had an error while processing your request.", "server_error"),
          entry,
        );
        return;
      }
      if (fault === "400") {
        answer(
          400,
          errorBody(
            faults.badRequestMessage ??
              `This model's maximum context length is 8192 tokens; reduce the length of the messages.`,
            "invalid_request_error",
            "messages",
            "context_length_exceeded",
          ),
          entry,
        );
        return;
      }
      const prompt = estimateTokens(JSON.stringify(messages));
      if (fault === "empty") {
        answer(200, completion(model, "", prompt, "length"), entry);
        return;
      }
      let text: string | null = null;
      if (env) {
        const custom = opts.respond?.({ model, task: env.task, input: env.input });
        if (custom !== undefined) text = typeof custom === "string" ? custom : JSON.stringify(custom);
        else {
          const responder = offlineResponder(env.task);
          if (responder) text = JSON.stringify(responder(env.input, { model, task: env.task }));
        }
      }
      if (text === null) {
        answer(
          400,
          errorBody(
            "wire server: the request has no synthforge task envelope the offline provider knows",
            "invalid_request_error",
            "messages",
          ),
          entry,
        );
        return;
      }
      if (fault === "malformed") text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
      else if (format?.type === "json_schema" && opts.jsonSchema === "ignored")
        text = `Sure! Here is the JSON you asked for:\n\`\`\`json\n${text}\n\`\`\`\nLet me know if you need anything else.`;
      answer(200, completion(model, text, prompt), entry);
    })().catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, errorBody(`wire server failed: ${String(e)}`, "server_error"));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 61_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    statuses,
    setFaults(next) {
      faults = { ...next };
    },
    failNext(fault, count = 1) {
      for (let i = 0; i < count; i++) queued.push(fault);
    },
    reset() {
      requests.length = 0;
      queued.length = 0;
      for (const k of Object.keys(statuses)) delete statuses[k];
    },
    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
