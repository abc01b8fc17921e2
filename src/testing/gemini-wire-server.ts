import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { LlmRequest } from "@google/adk";
import { generationTask } from "../agents/generation.js";
import { estimateTokens, readEnvelope } from "../models/envelope.js";
import { offlineResponder } from "../models/offline.js";
import "../pipeline/pipeline.js";
import { seededRng } from "../core/random.js";
import { listTrainingTypes } from "../training-types/index.js";

// Every training type's offline generation answer is registered when its task is made.
for (const t of listTrainingTypes()) generationTask(t);

/**
 * A local server that speaks the Gemini REST wire format (the Gemini Developer API as
 * `@google/genai` calls it), for testing pipelines without a key or a network:
 *
 * - `POST /{version}/models/{model}:generateContent`
 * - `POST /{version}/models/{model}:streamGenerateContent?alt=sse`
 * - `POST /{version}/models/{model}:batchGenerateContent` (inline requests),
 *   `GET /{version}/batches/{id}`, `POST /{version}/batches/{id}:cancel`
 *
 * Answers come from synthforge's offline provider (the same deterministic content as
 * `offlineModels()`), so a whole pipeline runs against it. Latency and faults are
 * configurable: 429 with `RetryInfo` (and `Retry-After`), 503, 500, timeouts (the server
 * never answers), malformed JSON output and safety blocks, each at its own rate, drawn
 * from a seeded random generator so a run is reproducible.
 *
 * ```ts
 * import { startGeminiWireServer } from "synthforge/testing";
 * const server = await startGeminiWireServer({ latencyMs: 50, faults: { rate429: 0.1 } });
 * const models = geminiModels({ apiKey: "test", baseUrl: server.url });
 * // ... run your pipeline ...
 * console.log(server.stats);
 * await server.close();
 * ```
 */

/** Fault rates (each in [0, 1]) of a {@link GeminiWireServer}. */
export interface WireFaults {
  /** 429 RESOURCE_EXHAUSTED with a `RetryInfo.retryDelay` and a `Retry-After` header. */
  rate429?: number;
  /** 503 UNAVAILABLE ("The model is overloaded"). */
  rate503?: number;
  /** 500 INTERNAL. */
  rate500?: number;
  /** The request is held without an answer for `hangMs` (a client-side timeout). */
  timeoutRate?: number;
  /** 200 with output that is not valid JSON (a truncated object). */
  malformedRate?: number;
  /** 200 with no content and `finishReason: "SAFETY"`. */
  safetyRate?: number;
  /** The `retryDelay` of 429 answers, e.g. `"1s"` or `"0.05s"`. Default `"1s"`. */
  retryDelay?: string;
  /** How long a "timeout" fault holds the request. Default 30 000 ms. */
  hangMs?: number;
}

/** Options of {@link startGeminiWireServer}. */
export interface WireServerOptions {
  /** Port (default 0: a free one). The server listens on 127.0.0.1 only. */
  port?: number;
  /** Delay before each answer, in ms, or a function giving one per request. Default 0. */
  latencyMs?: number | (() => number);
  faults?: WireFaults;
  /** Seed of the fault draws. Default 1. */
  seed?: number;
  /**
   * Answers a request's text (the JSON the model would return); return `undefined` to use
   * the offline provider's answer. Receives the model, the envelope task and its input.
   */
  respond?: (call: { model: string; task: string; input: unknown }) => unknown;
  /** How long a batch job takes to finish after it is created, in ms. Default 0 (at the next poll). */
  batchDelayMs?: number;
}

/** Counters of a {@link GeminiWireServer}. */
export interface WireStats {
  /** Requests received, by method (`generateContent`, `streamGenerateContent`, `batchGenerateContent`, `batches.get`, `batches.cancel`). */
  requests: Record<string, number>;
  /** Answers by HTTP status. */
  statuses: Record<string, number>;
  /** Faults injected, by kind (`429`, `503`, `500`, `timeout`, `malformed`, `safety`). */
  faults: Record<string, number>;
  /** Requests answered inside batch jobs. */
  batchedRequests: number;
  /** Most requests in progress at once. */
  peakConcurrency: number;
}

/** A running wire server. */
export interface GeminiWireServer {
  /** `http://127.0.0.1:<port>`: pass it as `baseUrl` (config `gemini.baseUrl`). */
  readonly url: string;
  readonly stats: WireStats;
  /** Changes the fault rates from now on. */
  setFaults(faults: WireFaults): void;
  /** Zeroes the counters. */
  resetStats(): void;
  /** Stops the server and drops open connections. */
  close(): Promise<void>;
}

const ROUTE = /^\/([^/]+)\/models\/([^/:?]+):(generateContent|streamGenerateContent|batchGenerateContent)$/;
const BATCH_ROUTE = /^\/([^/]+)\/batches\/([^/:?]+)(:cancel)?$/;

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
    "content-type": "application/json; charset=UTF-8",
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

function errorBody(code: number, status: string, message: string, details?: unknown[]) {
  return { error: { code, message, status, ...(details ? { details } : {}) } };
}

/** A `generateContent` response body with text and token counts. */
function successBody(text: string, model: string, promptTokens: number, finishReason = "STOP") {
  const out = estimateTokens(text);
  return {
    candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason, index: 0 }],
    usageMetadata: {
      promptTokenCount: promptTokens,
      candidatesTokenCount: out,
      totalTokenCount: promptTokens + out,
      promptTokensDetails: [{ modality: "TEXT", tokenCount: promptTokens }],
    },
    modelVersion: model,
    responseId: `wire-${Math.random().toString(36).slice(2, 10)}`,
  };
}

function safetyBody(model: string, promptTokens: number) {
  return {
    candidates: [
      {
        finishReason: "SAFETY",
        index: 0,
        safetyRatings: [{ category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "HIGH", blocked: true }],
      },
    ],
    usageMetadata: { promptTokenCount: promptTokens, totalTokenCount: promptTokens },
    modelVersion: model,
  };
}

interface BatchJob {
  id: string;
  model: string;
  displayName: string;
  createdAt: number;
  state: "BATCH_STATE_PENDING" | "BATCH_STATE_RUNNING" | "BATCH_STATE_SUCCEEDED" | "BATCH_STATE_CANCELLED";
  requests: Array<{ request: { contents?: unknown[] }; metadata?: Record<string, string> }>;
  responses: Array<{ response?: unknown; error?: unknown; metadata?: Record<string, string> }> | null;
}

/** Starts a Gemini-wire server on 127.0.0.1 (see the module documentation). */
export async function startGeminiWireServer(opts: WireServerOptions = {}): Promise<GeminiWireServer> {
  let faults: WireFaults = { ...opts.faults };
  const random = seededRng(opts.seed ?? 1);
  const stats: WireStats = { requests: {}, statuses: {}, faults: {}, batchedRequests: 0, peakConcurrency: 0 };
  const batches = new Map<string, BatchJob>();
  let active = 0;
  let batchNo = 0;
  const hanging = new Set<NodeJS.Timeout>();
  const bump = (o: Record<string, number>, k: string) => {
    o[k] = (o[k] ?? 0) + 1;
  };
  const latency = () => (typeof opts.latencyMs === "function" ? opts.latencyMs() : (opts.latencyMs ?? 0));
  const wait = (ms: number) =>
    ms > 0
      ? new Promise<void>((r) => {
          const t = setTimeout(() => {
            hanging.delete(t);
            r();
          }, ms);
          hanging.add(t);
        })
      : Promise.resolve();

  /** The model's answer text for a request body, or null when it carries no synthforge envelope. */
  const answer = (model: string, body: { contents?: unknown[] }): string | null => {
    const env = readEnvelope({ contents: (body.contents ?? []) as LlmRequest["contents"] } as LlmRequest);
    if (!env) return null;
    const custom = opts.respond?.({ model, task: env.task, input: env.input });
    if (custom !== undefined) return typeof custom === "string" ? custom : JSON.stringify(custom);
    const responder = offlineResponder(env.task);
    if (!responder) return null;
    return JSON.stringify(responder(env.input, { model, task: env.task }));
  };

  type Fault = "429" | "503" | "500" | "timeout" | "malformed" | "safety" | null;
  const drawFault = (): Fault => {
    const r = random();
    let edge = 0;
    const kinds: Array<[Exclude<Fault, null>, number | undefined]> = [
      ["429", faults.rate429],
      ["503", faults.rate503],
      ["500", faults.rate500],
      ["timeout", faults.timeoutRate],
      ["malformed", faults.malformedRate],
      ["safety", faults.safetyRate],
    ];
    for (const [kind, rate] of kinds) {
      edge += rate ?? 0;
      if (r < edge) return kind;
    }
    return null;
  };

  /** One generateContent answer (also used per request inside batch jobs). */
  const generate = (model: string, body: { contents?: unknown[] }, fault: Fault) => {
    const prompt = estimateTokens(JSON.stringify(body));
    if (fault === "safety") return { status: 200, json: safetyBody(model, prompt) };
    const text = answer(model, body);
    if (text === null) {
      return {
        status: 400,
        json: errorBody(
          400,
          "INVALID_ARGUMENT",
          "wire server: the request has no synthforge task envelope the offline provider knows",
        ),
      };
    }
    const out = fault === "malformed" ? text.slice(0, Math.max(1, Math.floor(text.length / 2))) : text;
    return { status: 200, json: successBody(out, model, prompt) };
  };

  const operation = (job: BatchJob, justCreated = false) => {
    const now = Date.now();
    if (
      !justCreated &&
      job.state === "BATCH_STATE_PENDING" &&
      now - job.createdAt >= (opts.batchDelayMs ?? 0)
    ) {
      job.responses = job.requests.map((r) => {
        stats.batchedRequests++;
        const res = generate(job.model, r.request, null);
        return res.status === 200
          ? { response: res.json, metadata: r.metadata ?? {} }
          : { error: (res.json as { error: unknown }).error, metadata: r.metadata ?? {} };
      });
      job.state = "BATCH_STATE_SUCCEEDED";
    }
    return {
      name: `batches/${job.id}`,
      metadata: {
        "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
        model: `models/${job.model}`,
        displayName: job.displayName,
        state: job.state,
        createTime: new Date(job.createdAt).toISOString(),
        updateTime: new Date().toISOString(),
        batchStats: { requestCount: String(job.requests.length) },
        ...(job.responses ? { output: { inlinedResponses: { inlinedResponses: job.responses } } } : {}),
      },
      ...(job.state === "BATCH_STATE_SUCCEEDED" || job.state === "BATCH_STATE_CANCELLED"
        ? { done: true }
        : {}),
    };
  };

  const server = createServer((req, res) => {
    active++;
    stats.peakConcurrency = Math.max(stats.peakConcurrency, active);
    res.on("close", () => {
      active--;
    });
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const raw = await readBody(req);
      let body: Record<string, unknown> = {};
      if (raw) {
        try {
          body = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          sendJson(res, 400, errorBody(400, "INVALID_ARGUMENT", "wire server: the request body is not JSON"));
          bump(stats.statuses, "400");
          return;
        }
      }
      const b = BATCH_ROUTE.exec(url.pathname);
      if (b) {
        const job = batches.get(b[2] ?? "");
        bump(stats.requests, b[3] ? "batches.cancel" : "batches.get");
        if (!job) {
          sendJson(res, 404, errorBody(404, "NOT_FOUND", `wire server: no batch ${b[2]}`));
          bump(stats.statuses, "404");
          return;
        }
        if (b[3] && req.method === "POST") {
          if (job.state === "BATCH_STATE_PENDING" || job.state === "BATCH_STATE_RUNNING")
            job.state = "BATCH_STATE_CANCELLED";
          sendJson(res, 200, {});
        } else sendJson(res, 200, operation(job));
        bump(stats.statuses, "200");
        return;
      }
      const m = ROUTE.exec(url.pathname);
      if (req.method !== "POST" || !m) {
        sendJson(
          res,
          404,
          errorBody(404, "NOT_FOUND", `wire server: no route for ${req.method} ${url.pathname}`),
        );
        bump(stats.statuses, "404");
        return;
      }
      const model = decodeURIComponent(m[2] ?? "");
      const method = m[3] as "generateContent" | "streamGenerateContent" | "batchGenerateContent";
      bump(stats.requests, method);
      if (method === "batchGenerateContent") {
        const batch = (body.batch ?? {}) as {
          displayName?: string;
          inputConfig?: { requests?: { requests?: BatchJob["requests"] } };
        };
        const requests = batch.inputConfig?.requests?.requests ?? [];
        const id = `wire${++batchNo}${Math.random().toString(36).slice(2, 8)}`;
        const job: BatchJob = {
          id,
          model,
          displayName: batch.displayName ?? id,
          createdAt: Date.now(),
          state: "BATCH_STATE_PENDING",
          requests,
          responses: null,
        };
        batches.set(id, job);
        const op = operation(job, true);
        sendJson(res, 200, op);
        bump(stats.statuses, "200");
        return;
      }
      await wait(latency());
      const fault = drawFault();
      if (fault) bump(stats.faults, fault);
      if (fault === "timeout") {
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            hanging.delete(t);
            resolve();
          }, faults.hangMs ?? 30_000);
          hanging.add(t);
          req.socket.once("close", () => {
            clearTimeout(t);
            hanging.delete(t);
            resolve();
          });
        });
        if (!res.writableEnded && !req.socket.destroyed) {
          sendJson(res, 504, errorBody(504, "DEADLINE_EXCEEDED", "wire server: deadline exceeded"));
          bump(stats.statuses, "504");
        }
        return;
      }
      if (fault === "429") {
        const delay = faults.retryDelay ?? "1s";
        const seconds = Number.parseFloat(delay) || 1;
        sendJson(
          res,
          429,
          errorBody(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).", [
            { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: delay },
          ]),
          { "retry-after": String(Math.max(1, Math.ceil(seconds))) },
        );
        bump(stats.statuses, "429");
        return;
      }
      if (fault === "503" || fault === "500") {
        const status = Number(fault);
        sendJson(
          res,
          status,
          status === 503
            ? errorBody(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
            : errorBody(
                500,
                "INTERNAL",
                "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
              ),
        );
        bump(stats.statuses, fault);
        return;
      }
      const result = generate(model, body as { contents?: unknown[] }, fault);
      bump(stats.statuses, String(result.status));
      if (method === "streamGenerateContent" && result.status === 200) {
        const full = result.json as ReturnType<typeof successBody>;
        const text = full.candidates?.[0]?.content?.parts?.[0]?.text;
        res.writeHead(200, { "content-type": "text/event-stream" });
        if (typeof text === "string" && text.length > 1) {
          const cut = Math.floor(text.length / 2);
          const first = {
            candidates: [{ content: { role: "model", parts: [{ text: text.slice(0, cut) }] }, index: 0 }],
            modelVersion: model,
          };
          const last = {
            ...full,
            candidates: [
              { ...full.candidates[0], content: { role: "model", parts: [{ text: text.slice(cut) }] } },
            ],
          };
          res.write(`data: ${JSON.stringify(first)}\r\n\r\n`);
          res.write(`data: ${JSON.stringify(last)}\r\n\r\n`);
        } else res.write(`data: ${JSON.stringify(full)}\r\n\r\n`);
        res.end();
        return;
      }
      sendJson(res, result.status, result.json);
    })().catch((e: unknown) => {
      if (!res.headersSent)
        sendJson(res, 500, errorBody(500, "INTERNAL", `wire server failed: ${String(e)}`));
      else res.destroy();
    });
  });

  // Idle connections stay open a minute, as Google's front ends keep them, not Node's 5 s:
  // a busy client that reuses a pooled socket just as a short timeout closes it sees
  // "other side closed", a failure of the test server, not of the client.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 61_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    setFaults(next) {
      faults = { ...next };
    },
    resetStats() {
      stats.requests = {};
      stats.statuses = {};
      stats.faults = {};
      stats.batchedRequests = 0;
      stats.peakConcurrency = active;
    },
    close() {
      for (const t of hanging) clearTimeout(t);
      hanging.clear();
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
