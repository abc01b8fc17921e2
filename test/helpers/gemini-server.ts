/**
 * A local stand-in for the Gemini REST API (`node:http`, random port on 127.0.0.1) that
 * the real `@google/genai` client can talk to. It serves
 * `POST /{v1beta|v1|...}/models/{model}:generateContent` and
 * `:streamGenerateContent?alt=sse`, lets a test script each answer through a handler,
 * and records every request it received.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

/** Where the recorded Gemini bodies live (read at test time, never copied into the repo). */
export const GEMINI_FIXTURES_DIR = "/work/shared/fixtures/gemini";

/** Reads and parses a recorded Gemini body from {@link GEMINI_FIXTURES_DIR}. */
export function readGeminiFixture(name: string): unknown {
  return JSON.parse(readFileSync(join(GEMINI_FIXTURES_DIR, name), "utf8"));
}

/** What a handler sees for each request. */
export interface StubRequest {
  /** Model from the path, e.g. `gemini-2.5-flash`. */
  model: string;
  /** API version from the path, e.g. `v1beta`. */
  apiVersion: string;
  /** `generateContent` or `streamGenerateContent`. */
  method: "generateContent" | "streamGenerateContent";
  /** True for `streamGenerateContent`. */
  stream: boolean;
  /** Parsed JSON request body (`any`, so tests can reach into the wire shape directly). */
  // biome-ignore lint/suspicious/noExplicitAny: an arbitrary JSON body that tests inspect freely
  body: any;
  /** The `x-goog-api-key` header (or `?key=`), or `null`. */
  apiKey: string | null;
  /** 1 for the first request this server received, 2 for the second, ... */
  attempt: number;
  /** Raw request headers (lower-case names). */
  headers: IncomingHttpHeaders;
  /** Request path with query. */
  url: string;
}

/** A scripted answer. */
export interface StubReply {
  /** HTTP status. */
  status: number;
  /** JSON body (for a 200 SSE stream: one chunk, or an array of chunks). */
  json?: unknown;
  /** For SSE replies: explicit chunks (each sent as `data: <json>\r\n\r\n`). */
  chunks?: unknown[];
  /** Wait this long before answering (to provoke client timeouts). */
  delayMs?: number;
  /** Destroy the socket without answering (a network error on the client). */
  destroy?: boolean;
}

/** Scripts the server's answers. */
export type StubHandler = (req: StubRequest) => StubReply | Promise<StubReply>;

/** A running stub. */
export interface GeminiStub {
  /** `http://127.0.0.1:<port>` (pass as `baseUrl`). */
  readonly url: string;
  /** Every request received, in order (including ones that got an error). */
  readonly requests: StubRequest[];
  /** Replaces the handler. */
  setHandler(handler: StubHandler): void;
  /** Clears {@link requests} and resets the attempt counter. */
  reset(): void;
  /** Stops the server (and drops open connections). */
  close(): Promise<void>;
}

/** Options of {@link buildSuccessBody}. */
export interface SuccessBodyOptions {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  totalTokenCount?: number;
  modelVersion?: string;
  responseId?: string;
  finishReason?: string;
}

/**
 * A `generateContent` success body shaped like the recorded fixtures:
 * `{candidates:[{content:{role:'model',parts:[{text}]},finishReason:'STOP',index:0}],
 * usageMetadata:{promptTokenCount,candidatesTokenCount,totalTokenCount}, modelVersion, responseId}`.
 */
export function buildSuccessBody(text: string, opts: SuccessBodyOptions = {}): Record<string, unknown> {
  const prompt = opts.promptTokenCount ?? 12;
  const candidates = opts.candidatesTokenCount ?? 7;
  return {
    candidates: [
      { content: { role: "model", parts: [{ text }] }, finishReason: opts.finishReason ?? "STOP", index: 0 },
    ],
    usageMetadata: {
      promptTokenCount: prompt,
      candidatesTokenCount: candidates,
      totalTokenCount: opts.totalTokenCount ?? prompt + candidates,
      promptTokensDetails: [{ modality: "TEXT", tokenCount: prompt }],
    },
    modelVersion: opts.modelVersion ?? "gemini-2.5-flash",
    responseId: opts.responseId ?? "stub-response-1",
  };
}

/** `{error:{code,message,status,details?}}`, the Google API error shape. */
export function buildErrorBody(
  code: number,
  status: string,
  message: string,
  details?: unknown[],
): Record<string, unknown> {
  return { error: { code, message, status, ...(details ? { details } : {}) } };
}

/** A 429 RESOURCE_EXHAUSTED body with a `google.rpc.RetryInfo` (`retryDelay` like `"7s"`). */
export function buildRetryInfo429(retryDelay: string): Record<string, unknown> {
  const body = readGeminiFixture("error-429-RESOURCE_EXHAUSTED-QuotaFailure-RetryInfo.json") as {
    error: { details: Array<Record<string, unknown>> };
  };
  for (const d of body.error.details) if (String(d["@type"]).endsWith("RetryInfo")) d.retryDelay = retryDelay;
  return body;
}

const PATH_RE = /^\/([^/]+)\/models\/([^/:?]+):(generateContent|streamGenerateContent)$/;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, json: unknown): void {
  const text = JSON.stringify(json ?? {}, null, 2);
  res.writeHead(status, {
    "content-type": "application/json; charset=UTF-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Starts a stub on a random port of 127.0.0.1. The default handler answers "ok". */
export async function startGeminiServer(
  handler: StubHandler = () => ({ status: 200, json: buildSuccessBody("ok") }),
): Promise<GeminiStub> {
  let current = handler;
  const requests: StubRequest[] = [];
  let attempt = 0;

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const m = PATH_RE.exec(url.pathname);
      const raw = await readBody(req);
      if (req.method !== "POST" || !m) {
        sendJson(res, 404, {
          error: {
            code: 404,
            message: `stub: no route for ${req.method} ${url.pathname}`,
            status: "NOT_FOUND",
          },
        });
        return;
      }
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : {};
      } catch {
        sendJson(res, 400, {
          error: { code: 400, message: "stub: request body is not JSON", status: "INVALID_ARGUMENT" },
        });
        return;
      }
      const method = m[3] as StubRequest["method"];
      const headerKey = req.headers["x-goog-api-key"];
      const stubReq: StubRequest = {
        model: decodeURIComponent(m[2] ?? ""),
        apiVersion: m[1] ?? "",
        method,
        stream: method === "streamGenerateContent",
        body,
        apiKey: (Array.isArray(headerKey) ? headerKey[0] : headerKey) ?? url.searchParams.get("key"),
        attempt: ++attempt,
        headers: req.headers,
        url: req.url ?? "",
      };
      requests.push(stubReq);
      let reply: StubReply;
      try {
        reply = await current(stubReq);
      } catch (e) {
        sendJson(res, 500, {
          error: { code: 500, message: `stub handler threw: ${String(e)}`, status: "INTERNAL" },
        });
        return;
      }
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
      if (reply.destroy) {
        req.socket.destroy();
        return;
      }
      if (stubReq.stream && reply.status >= 200 && reply.status < 300) {
        const chunks = reply.chunks ?? (Array.isArray(reply.json) ? reply.json : [reply.json]);
        res.writeHead(reply.status, { "content-type": "text/event-stream" });
        for (const c of chunks) res.write(`data: ${JSON.stringify(c)}\r\n\r\n`);
        res.end();
        return;
      }
      sendJson(res, reply.status, reply.json);
    })().catch((e: unknown) => {
      if (!res.headersSent)
        sendJson(res, 500, {
          error: { code: 500, message: `stub failed: ${String(e)}`, status: "INTERNAL" },
        });
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setHandler(h) {
      current = h;
    },
    reset() {
      requests.length = 0;
      attempt = 0;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
