import type { BaseLlmConnection, LlmRequest, LlmResponse } from "@google/adk";
import type { Content, FunctionDeclaration, Part, Schema } from "@google/genai";
import type OpenAI from "openai";
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import type { SynthforgeConfig } from "../core/config.js";
import { redactSecrets, SynthforgeError } from "../core/errors.js";
import { AGENT_ROLES, type AgentRole } from "../core/types.js";
import { BaseLlm } from "./adk.js";
import { estimateTokens } from "./envelope.js";
import type { ModelPrice } from "./pricing.js";
import type { ModelProvider } from "./provider.js";
import { type RetryOptions, retryingLlm, statusName } from "./retry.js";

/**
 * The OpenAI-compatible provider (issue 15): an ADK `BaseLlm` over the official `openai`
 * client's Chat Completions API with a configurable base URL, for Ollama, vLLM, llama.cpp's
 * server, LM Studio and hosted OpenAI-compatible APIs.
 *
 * - Structured output: the agent's output schema (a genai `Schema`, which ADK makes from the
 *   agent's zod `outputSchema`) is sent as `response_format: { type: "json_schema" }`.
 *   A server that refuses it gets the schema in the system message instead, and the JSON
 *   is taken from the reply's text (fences and prose around it dropped); that downgrade is
 *   remembered per server and model for the life of the process. Either way the agent
 *   validates the JSON against its zod schema, and asks again when it does not fit.
 * - Errors are thrown as {@link OpenAICompatibleError}, whose message is the JSON error body
 *   ADK turns into an error event (`errorCode` = the HTTP status), with `Retry-After` as a
 *   `RetryInfo` delay, so {@link retryingLlm} honours it like Gemini's.
 * - The `openai` client's own retries are off (our middleware retries), streaming is off,
 *   and the client is loaded on first use.
 */

/** How an OpenAI-compatible model asks for structured output. */
export type StructuredOutputMode = "auto" | "json_schema" | "text";

/** Options of {@link OpenAICompatibleLlm}. */
export interface OpenAICompatibleLlmOptions {
  /**
   * The model's name in synthforge (metering, prices, limits), e.g. `ollama:qwen3:8b`.
   * The part after `<provider>:` is sent to the server unless {@link serverModel} is given.
   */
  model: string;
  /** The model name sent to the server (default: {@link model} without the provider prefix). */
  serverModel?: string;
  /** Endpoint root including the version path, e.g. `http://localhost:11434/v1`. */
  baseUrl: string;
  /** API key, sent as `Authorization: Bearer`; omit for local servers (no header is sent). Never logged or stored. */
  apiKey?: string;
  /** Provider name for messages (`ollama`, `vllm`...). Default `openai-compatible`. */
  providerName?: string;
  /** Client-side timeout per HTTP attempt, in ms. Default 600 000. */
  timeoutMs?: number;
  /**
   * `json_schema` (send `response_format: json_schema`; fail if refused), `text` (always put
   * the schema in the prompt), or `auto` (the default: json_schema, falling back to text once
   * the server refuses it).
   */
  structuredOutput?: StructuredOutputMode;
  /** Extra HTTP headers (e.g. an `OpenAI-Organization`); never logged. */
  headers?: Record<string, string>;
}

/**
 * A failed call to an OpenAI-compatible server. The message is the error body in the shape
 * ADK parses into an error event (`{"error":{"code":429,"message":...,"details":[RetryInfo]}}`),
 * so `errorCode` is the HTTP status and {@link retryingLlm} reads the server's delay; the
 * fields carry the same facts for callers of the model itself. The server's message is
 * untrusted text: it is redacted and cut to one line.
 */
export class OpenAICompatibleError extends SynthforgeError {
  /** HTTP status, or null when no response arrived. */
  readonly status: number | null;
  /** The server's own message (one line, secrets redacted). */
  readonly serverMessage: string;
  /** The server's `Retry-After` / `retry-after-ms`, in ms, when given. */
  readonly retryAfterMs: number | null;
  /** The provider's name (`ollama`, `openai-compatible`...). */
  readonly provider: string;

  constructor(opts: {
    provider: string;
    status: number | null;
    serverMessage: string;
    retryAfterMs?: number | null;
    cause?: unknown;
  }) {
    const body = {
      error: {
        code: opts.status ?? undefined,
        status: statusName(opts.status) ?? undefined,
        message: `${providerTag(opts.provider)}${opts.serverMessage}`,
        ...(opts.retryAfterMs != null
          ? {
              details: [
                {
                  "@type": "type.googleapis.com/google.rpc.RetryInfo",
                  retryDelay: `${(opts.retryAfterMs / 1000).toFixed(3)}s`,
                },
              ],
            }
          : {}),
      },
    };
    super("MODEL_ERROR", JSON.stringify(body), {
      ...(opts.cause !== undefined ? { cause: opts.cause } : {}),
      details: { provider: opts.provider, status: opts.status },
    });
    this.status = opts.status;
    this.serverMessage = opts.serverMessage;
    this.retryAfterMs = opts.retryAfterMs ?? null;
    this.provider = opts.provider;
  }
}

/** The tag that marks a model error message as coming from an OpenAI-compatible provider. */
function providerTag(provider: string): string {
  return `[provider:${provider}] `;
}

const TAG_RE = /^\s*\[provider:([\w.-]+)\]\s*/;

/**
 * When `errorMessage` comes from an OpenAI-compatible provider (see
 * {@link OpenAICompatibleError}), one secret-free line that says what went wrong and what to
 * do (the provider's name, not Gemini's); otherwise `null`. `retries` is the number of retries
 * made before giving up, if any.
 */
export function describeOpenAICompatibleError(
  errorCode: string | undefined,
  errorMessage: string,
  retries: number | null,
): string | null {
  const tag = TAG_RE.exec(errorMessage);
  if (!tag) return null;
  const provider = tag[1] ?? "openai-compatible";
  const body =
    redactSecrets(errorMessage.slice(tag[0].length)).replace(/\s+/g, " ").trim().slice(0, 600) ||
    "no details given";
  const code = (errorCode ?? "").trim();
  const status = /^\d{3}$/.test(code) ? Number(code) : null;
  const after = retries ? ` after ${retries} ${retries === 1 ? "retry" : "retries"}` : "";
  const end = (s: string) => (/[.!?]["')\]]?$/.test(s) ? s : `${s}.`);
  const who = `${provider} (OpenAI-compatible)`;
  if (status === 400 || status === 422)
    return `${who} rejected the request (${status}): ${end(body)} Check the model name and the server's support for the request's settings.`;
  if (status === 401 || status === 403)
    return `${who} did not accept the credentials (${status}): ${end(body)} Check the API key (the provider's apiKeyEnv).`;
  if (status === 404)
    return `${who} model or endpoint not found (404): ${end(body)} Check the model name (is it pulled/loaded?) and the provider's baseUrl (usually ending in /v1).`;
  if (status === 429)
    return `${who} rate limit reached (429)${after}: ${end(body)} Lower concurrency or set rateLimits for the model.`;
  if (status !== null && status >= 500)
    return `${who} server error (${status})${after}: ${end(body)} Try again later, or check the server's log.`;
  if (status !== null) return `${who} request failed (${status})${after}: ${end(body)}`;
  if (/timed? ?out|TIMEOUT|aborted/i.test(body))
    return `${who} request timed out${after}: ${end(body)} Raise the provider's timeoutMs, or use a smaller model.`;
  if (/fetch failed|ECONN|ENOTFOUND|EAI_AGAIN|socket|network|connect/i.test(body))
    return `Could not reach ${who}${after}: ${end(body)} Check that the server is running and the provider's baseUrl.`;
  return `${who} call failed${after}: ${end(body)}`;
}

/** True for base URLs on this machine (localhost, 127.0.0.0/8, ::1): a local server, free to call. */
export function isLocalBaseUrl(baseUrl: string): boolean {
  try {
    const host = new URL(baseUrl).hostname.replace(/^\[|\]$/g, "");
    return (
      host === "localhost" ||
      host.endsWith(".localhost") ||
      /^127\./.test(host) ||
      host === "::1" ||
      host === "0.0.0.0"
    );
  } catch {
    return false;
  }
}

/** Servers (base URL + model) that refused `response_format: json_schema` in this process. */
const textOnly = new Set<string>();

const SCHEMA_REFUSED = /response_format|json_schema|json schema|structured output|guided|grammar|schema/i;

/** Makes an own property non-enumerable, so JSON.stringify / util.inspect skip it. */
function hideProperty(obj: object, key: string): void {
  const desc = Object.getOwnPropertyDescriptor(obj, key);
  if (!desc) return;
  Object.defineProperty(obj, key, {
    value: desc.value,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

const TYPE_NAMES: Record<string, string> = {
  STRING: "string",
  NUMBER: "number",
  INTEGER: "integer",
  BOOLEAN: "boolean",
  ARRAY: "array",
  OBJECT: "object",
  NULL: "null",
};
const NUMERIC_KEYS = new Set([
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "minProperties",
  "maxProperties",
]);

/**
 * A genai `Schema` (the OpenAPI subset ADK makes from a zod `outputSchema`: UPPERCASE types,
 * `nullable`, numbers as strings, `propertyOrdering`) as plain JSON Schema.
 */
export function genaiSchemaToJsonSchema(schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
    if (
      value === undefined ||
      key === "propertyOrdering" ||
      key === "example" ||
      key === "type" ||
      key === "nullable"
    )
      continue;
    if (key === "items") out.items = genaiSchemaToJsonSchema(value as Schema);
    else if (key === "properties")
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, genaiSchemaToJsonSchema(v)]),
      );
    else if (key === "anyOf") out.anyOf = (value as Schema[]).map(genaiSchemaToJsonSchema);
    else if (key === "format") {
      if (value !== "enum") out.format = value;
    } else out[key] = NUMERIC_KEYS.has(key) ? Number(value) : value;
  }
  const type =
    typeof schema.type === "string"
      ? (TYPE_NAMES[schema.type.toUpperCase()] ?? schema.type.toLowerCase())
      : undefined;
  if (type) out.type = schema.nullable ? [type, "null"] : type;
  return out;
}

/** The JSON Schema of a request's structured output, or null when it asks for none. */
function outputJsonSchema(req: LlmRequest): Record<string, unknown> | null {
  const cfg = req.config ?? {};
  if (cfg.responseJsonSchema && typeof cfg.responseJsonSchema === "object")
    return cfg.responseJsonSchema as Record<string, unknown>;
  if (cfg.responseSchema) return genaiSchemaToJsonSchema(cfg.responseSchema as Schema);
  return null;
}

function partsText(parts: Part[] | undefined): string {
  return (parts ?? [])
    .filter((p) => typeof p.text === "string" && !p.thought)
    .map((p) => p.text)
    .join("");
}

function systemText(req: LlmRequest): string {
  const sys = req.config?.systemInstruction;
  if (!sys) return "";
  if (typeof sys === "string") return sys;
  if (Array.isArray(sys)) return sys.map((p) => (typeof p === "string" ? p : (p.text ?? ""))).join("\n");
  if (typeof sys === "object" && "parts" in sys) return partsText((sys as Content).parts);
  if (typeof sys === "object" && "text" in sys) return String((sys as Part).text ?? "");
  return "";
}

/** The request's contents as Chat Completions messages (text, function calls and results). */
function toMessages(req: LlmRequest, extraSystem: string): ChatCompletionMessageParam[] {
  const messages: ChatCompletionMessageParam[] = [];
  const sys = [systemText(req), extraSystem].filter(Boolean).join("\n\n");
  if (sys) messages.push({ role: "system", content: sys });
  let callNo = 0;
  const pendingIds: string[] = [];
  for (const c of req.contents ?? []) {
    const parts = c.parts ?? [];
    const text = partsText(parts);
    if (c.role === "model") {
      const calls = parts.filter((p) => p.functionCall);
      messages.push({
        role: "assistant",
        content: text || null,
        ...(calls.length
          ? {
              tool_calls: calls.map((p) => {
                const id = p.functionCall?.id ?? `call_${++callNo}`;
                pendingIds.push(id);
                return {
                  id,
                  type: "function" as const,
                  function: {
                    name: p.functionCall?.name ?? "",
                    arguments: JSON.stringify(p.functionCall?.args ?? {}),
                  },
                };
              }),
            }
          : {}),
      });
      continue;
    }
    for (const p of parts) {
      if (!p.functionResponse) continue;
      const id = p.functionResponse.id ?? pendingIds.shift() ?? `call_${++callNo}`;
      messages.push({
        role: "tool",
        tool_call_id: id,
        content: JSON.stringify(p.functionResponse.response ?? {}),
      });
    }
    if (text) messages.push({ role: "user", content: text });
  }
  return messages;
}

function toTools(req: LlmRequest): ChatCompletionTool[] {
  const decls: FunctionDeclaration[] = [];
  for (const t of req.config?.tools ?? []) {
    const fds = (t as { functionDeclarations?: FunctionDeclaration[] }).functionDeclarations;
    if (fds) decls.push(...fds);
  }
  return decls.map((d) => ({
    type: "function" as const,
    function: {
      name: d.name ?? "",
      ...(d.description ? { description: d.description } : {}),
      parameters:
        (d.parametersJsonSchema as Record<string, unknown> | undefined) ??
        (d.parameters ? genaiSchemaToJsonSchema(d.parameters) : { type: "object", properties: {} }),
    },
  }));
}

/**
 * The JSON value in a reply's text: the whole text, else a fenced block, else the span from
 * the first `{`/`[` to the last `}`/`]`. Returns the text unchanged when none parses (the
 * agent then reports output that is not JSON and asks again).
 */
export function extractJson(text: string): string {
  const t = text.trim();
  const parses = (s: string) => {
    try {
      JSON.parse(s);
      return true;
    } catch {
      return false;
    }
  };
  if (parses(t)) return t;
  // Reasoning models served by Ollama/vLLM may keep their thinking in the text.
  const noThink = t.replace(/<think>[\s\S]*?<\/think>/gi, "").trim();
  if (parses(noThink)) return noThink;
  for (const m of noThink.matchAll(/```(?:json)?\s*\n?([\s\S]*?)```/gi)) {
    const inner = (m[1] ?? "").trim();
    if (parses(inner)) return inner;
  }
  const start = noThink.search(/[{[]/);
  const end = Math.max(noThink.lastIndexOf("}"), noThink.lastIndexOf("]"));
  if (start >= 0 && end > start) {
    const span = noThink.slice(start, end + 1);
    if (parses(span)) return span;
  }
  return text;
}

/** `Retry-After` (seconds or an HTTP date) or `retry-after-ms`, in ms. */
function retryAfterMs(headers: Headers | undefined): number | null {
  if (!headers || typeof headers.get !== "function") return null;
  const ms = headers.get("retry-after-ms");
  if (ms && Number.isFinite(Number.parseFloat(ms))) return Math.max(0, Number.parseFloat(ms));
  const ra = headers.get("retry-after");
  if (!ra) return null;
  const s = Number.parseFloat(ra);
  if (Number.isFinite(s) && /^\s*\d/.test(ra)) return Math.max(0, s * 1000);
  const date = Date.parse(ra);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : null;
}

/** The server's message of an `openai` `APIError` (its `error.message`, else the body). */
function serverMessageOf(e: { error?: unknown; message?: unknown; status?: unknown }): string {
  const err = e.error as { message?: unknown } | string | undefined;
  let msg = "";
  if (typeof err === "string") msg = err;
  else if (err && typeof err.message === "string") msg = err.message;
  else if (err && typeof err === "object") msg = JSON.stringify(err);
  if (!msg && typeof e.message === "string") msg = e.message.replace(/^\d{3}\s+/, "");
  return msg || `HTTP ${String(e.status ?? "error")}`;
}

function finishCode(reason: string | null | undefined): string {
  switch (reason) {
    case "length":
      return "MAX_TOKENS";
    case "content_filter":
      return "SAFETY";
    default:
      return "STOP";
  }
}

type Client = Pick<OpenAI, "chat">;

/**
 * An ADK `BaseLlm` that calls an OpenAI-compatible Chat Completions endpoint through the
 * official `openai` client (see the module documentation). The API key lives in a private
 * field and in the client (kept out of `JSON.stringify`/`util.inspect`), is sent only to
 * `baseUrl`, and is scrubbed from every error.
 */
export class OpenAICompatibleLlm extends BaseLlm {
  readonly #apiKey: string | undefined;
  readonly #opts: OpenAICompatibleLlmOptions;
  #client: Promise<Client> | null = null;
  /** The model name sent to the server. */
  readonly serverModel: string;
  /** The endpoint root this model calls. */
  readonly baseUrl: string;
  /** The provider's name (for messages). */
  readonly providerName: string;

  constructor(opts: OpenAICompatibleLlmOptions) {
    if (!opts.baseUrl)
      throw new SynthforgeError(
        "CONFIG_INVALID",
        `The OpenAI-compatible model ${opts.model} needs a baseUrl, e.g. http://localhost:11434/v1.`,
      );
    super({ model: opts.model });
    const providerName = opts.providerName ?? "openai-compatible";
    this.providerName = providerName;
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    const prefix = `${providerName}:`;
    this.serverModel =
      opts.serverModel ?? (opts.model.startsWith(prefix) ? opts.model.slice(prefix.length) : opts.model);
    this.#apiKey = opts.apiKey?.trim() || undefined;
    this.#opts = opts;
  }

  /** The `openai` client, made (and the package loaded) on first use. */
  private client(): Promise<Client> {
    this.#client ??= import("openai").then(({ default: OpenAIClient }) => {
      const client = new OpenAIClient({
        baseURL: this.baseUrl,
        // Never let the client read OPENAI_API_KEY / OPENAI_ADMIN_KEY / OPENAI_ORG_ID for a server
        // the user did not give a key for: a local server must not receive the user's OpenAI key.
        apiKey: this.#apiKey ?? "unused",
        adminAPIKey: null,
        organization: null,
        project: null,
        maxRetries: 0,
        timeout: this.#opts.timeoutMs && this.#opts.timeoutMs > 0 ? this.#opts.timeoutMs : 600_000,
        logLevel: "off",
        defaultHeaders: {
          ...this.#opts.headers,
          ...(this.#apiKey ? {} : { Authorization: null }),
        },
      });
      for (const k of ["apiKey", "_options"]) hideProperty(client, k);
      return client;
    });
    return this.#client;
  }

  /** The key of this server and model in the process-wide downgrade memory. */
  private get downgradeKey(): string {
    return `${this.baseUrl} ${this.serverModel}`;
  }

  /** True once this server refused json_schema for this model (or `structuredOutput: text`). */
  get usesTextForSchema(): boolean {
    return this.#opts.structuredOutput === "text" || textOnly.has(this.downgradeKey);
  }

  override async *generateContentAsync(
    llmRequest: LlmRequest,
    _stream = false,
    abortSignal?: AbortSignal,
  ): AsyncGenerator<LlmResponse, void> {
    const schema = outputJsonSchema(llmRequest);
    const client = await this.client();
    const mode: "json_schema" | "text" | "none" = !schema
      ? "none"
      : this.usesTextForSchema
        ? "text"
        : "json_schema";
    let completion: ChatCompletion;
    try {
      completion = await this.call(client, llmRequest, schema, mode, abortSignal);
    } catch (e) {
      const status = (e as { status?: unknown }).status;
      const refused =
        mode === "json_schema" &&
        this.#opts.structuredOutput !== "json_schema" &&
        typeof status === "number" &&
        [400, 404, 415, 422, 500, 501].includes(status) &&
        SCHEMA_REFUSED.test(serverMessageOf(e as { error?: unknown }));
      if (!refused) throw this.toError(e);
      textOnly.add(this.downgradeKey);
      try {
        completion = await this.call(client, llmRequest, schema, "text", abortSignal);
      } catch (e2) {
        throw this.toError(e2);
      }
    }
    yield this.toResponse(completion, schema !== null, llmRequest);
  }

  private call(
    client: Client,
    req: LlmRequest,
    schema: Record<string, unknown> | null,
    mode: "json_schema" | "text" | "none",
    abortSignal?: AbortSignal,
  ): Promise<ChatCompletion> {
    const cfg = req.config ?? {};
    const extra =
      mode === "text" && schema
        ? `Reply with one JSON value that conforms to this JSON Schema, and nothing else (no prose, no code fences):\n${JSON.stringify(schema)}`
        : "";
    const tools = toTools(req);
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: this.serverModel,
      messages: toMessages(req, extra),
      stream: false,
      ...(cfg.temperature != null ? { temperature: cfg.temperature } : {}),
      ...(cfg.topP != null ? { top_p: cfg.topP } : {}),
      ...(cfg.maxOutputTokens != null ? { max_tokens: cfg.maxOutputTokens } : {}),
      ...(cfg.stopSequences?.length ? { stop: cfg.stopSequences } : {}),
      ...(cfg.seed != null ? { seed: cfg.seed } : {}),
      ...(tools.length ? { tools } : {}),
      ...(mode === "json_schema" && schema
        ? {
            response_format: {
              type: "json_schema" as const,
              json_schema: { name: "output", schema },
            },
          }
        : {}),
    };
    return client.chat.completions.create(body, abortSignal ? { signal: abortSignal } : {});
  }

  /** A Chat Completions answer as an ADK response (text or function calls, usage, finish reason). */
  private toResponse(c: ChatCompletion, structured: boolean, req: LlmRequest): LlmResponse {
    const choice = c.choices?.[0];
    const msg = choice?.message;
    const usage = c.usage;
    const reasoning = usage?.completion_tokens_details?.reasoning_tokens ?? 0;
    const rawText = typeof msg?.content === "string" ? msg.content : "";
    const text = structured && rawText ? extractJson(rawText) : rawText;
    const prompt = usage?.prompt_tokens ?? estimateTokens(JSON.stringify(req.contents ?? []));
    const completion = usage?.completion_tokens ?? (rawText ? estimateTokens(rawText) : 0);
    const usageMetadata = {
      promptTokenCount: prompt,
      candidatesTokenCount: Math.max(0, completion - reasoning),
      totalTokenCount: usage?.total_tokens ?? prompt + completion,
      ...(reasoning ? { thoughtsTokenCount: reasoning } : {}),
    };
    const parts: Part[] = [];
    if (text) parts.push({ text });
    for (const call of msg?.tool_calls ?? []) {
      if (call.type !== "function") continue;
      let args: Record<string, unknown> = {};
      try {
        args = JSON.parse(call.function.arguments || "{}") as Record<string, unknown>;
      } catch {
        // leave empty: ADK validates the arguments and reports the error to the model
      }
      parts.push({ functionCall: { id: call.id, name: call.function.name, args } });
    }
    const finish = finishCode(choice?.finish_reason);
    if (msg?.refusal && !text) {
      return {
        errorCode: "SAFETY",
        errorMessage: `the model refused: ${redactSecrets(String(msg.refusal)).slice(0, 300)}`,
        usageMetadata,
        turnComplete: true,
      };
    }
    if (parts.length === 0) {
      return {
        errorCode: choice ? finish : "UNKNOWN_ERROR",
        errorMessage: choice
          ? `${this.providerName} returned no content (finish_reason ${choice.finish_reason ?? "none"})`
          : "Unknown error.",
        usageMetadata,
        turnComplete: true,
      };
    }
    return {
      content: { role: "model", parts },
      usageMetadata,
      turnComplete: true,
      ...(finish !== "STOP" ? { finishReason: finish as LlmResponse["finishReason"] } : {}),
    };
  }

  /** Any failure of the client as an {@link OpenAICompatibleError} (or a network/timeout error), key scrubbed. */
  private toError(e: unknown): Error {
    const key = this.#apiKey;
    const scrub = (s: string) =>
      redactSecrets(key ? s.split(key).join("[redacted-key]") : s)
        .replace(/\s+/g, " ")
        .trim();
    const err = e as {
      name?: string;
      status?: unknown;
      headers?: Headers;
      message?: unknown;
      cause?: unknown;
      constructor?: { name?: string };
    };
    const cls = err?.constructor?.name ?? "";
    if (typeof err?.status === "number") {
      return new OpenAICompatibleError({
        provider: this.providerName,
        status: err.status,
        serverMessage: scrub(serverMessageOf(err)).slice(0, 1000),
        retryAfterMs: retryAfterMs(err.headers),
      });
    }
    if (cls === "APIUserAbortError" || err?.name === "AbortError") {
      const out = new Error(`${providerTag(this.providerName)}the request was aborted`);
      out.name = "AbortError";
      return out;
    }
    if (cls === "APIConnectionTimeoutError" || /timed? ?out/i.test(String(err?.message ?? ""))) {
      const out = new Error(`${providerTag(this.providerName)}request to ${this.baseUrl} timed out`);
      out.name = "TimeoutError";
      return out;
    }
    if (cls === "APIConnectionError") {
      // fetch failed → its cause carries the socket code (ECONNREFUSED...).
      let cause: unknown = err.cause;
      let code: string | undefined;
      let detail = "";
      for (let i = 0; i < 4 && cause && typeof cause === "object"; i++) {
        const c = cause as { code?: unknown; message?: unknown; cause?: unknown };
        if (typeof c.code === "string") code = c.code;
        if (typeof c.message === "string" && c.message) detail = c.message;
        cause = c.cause;
      }
      const out = new Error(
        `${providerTag(this.providerName)}fetch failed: could not connect to ${this.baseUrl}${detail ? `: ${scrub(detail)}` : ""}`,
      ) as Error & { code?: string };
      if (code) out.code = code;
      return out;
    }
    const out = new Error(scrub(String(err?.message ?? e)));
    return out;
  }

  override connect(_req: LlmRequest): Promise<BaseLlmConnection> {
    return Promise.reject(
      new SynthforgeError(
        "MODEL_ERROR",
        `${this.providerName}: live (bidirectional) connections are not supported by the OpenAI-compatible provider.`,
      ),
    );
  }
}

/** Options of {@link openaiCompatibleProvider}. */
export interface OpenAICompatibleProviderOptions {
  /** Endpoint root including the version path, e.g. `http://localhost:11434/v1`. */
  baseUrl: string;
  /**
   * The provider's name, also the model-name prefix it answers to (`ollama` serves
   * `ollama:qwen3:8b`). Default `openai-compatible`.
   */
  name?: string;
  /** API key (hosted APIs); omit for local servers. Never logged, stored or put in errors. */
  apiKey?: string;
  /** Per-attempt timeout in ms. Default 600 000 (local models can be slow). */
  timeoutMs?: number;
  /** See {@link OpenAICompatibleLlmOptions.structuredOutput}. Default `auto`. */
  structuredOutput?: StructuredOutputMode;
  /** Extra HTTP headers. */
  headers?: Record<string, string>;
  /** Whether calls cost money. Default: false for a local base URL, true otherwise. */
  paid?: boolean;
  /** Retries after the first attempt for transient failures. Default 4. */
  retries?: number;
  /** First backoff delay in ms. Default 1000. */
  baseDelayMs?: number;
  /** Cap on any single wait, including `Retry-After`. Default 60000. */
  maxDelayMs?: number;
  /** Injected wait (tests). */
  sleep?: RetryOptions["sleep"];
  /** Called before each retry wait (secret-free info). */
  onRetry?: RetryOptions["onRetry"];
}

/**
 * An OpenAI-compatible {@link ModelProvider}: `create(model)` returns
 * `retryingLlm(new OpenAICompatibleLlm(...))`, `bare(model)` the model alone with the retry
 * settings in `retry` (the router composes retry, metering and limits around it, as for
 * Gemini). Model names may carry the provider's prefix (`ollama:qwen3:8b`), which is
 * dropped on the wire. One model instance per name is shared by every call.
 */
export function openaiCompatibleProvider(opts: OpenAICompatibleProviderOptions): ModelProvider {
  if (!opts.baseUrl?.trim())
    throw new SynthforgeError(
      "CONFIG_INVALID",
      "The OpenAI-compatible provider needs a baseUrl, e.g. http://localhost:11434/v1.",
    );
  try {
    new URL(opts.baseUrl);
  } catch {
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `The OpenAI-compatible provider's baseUrl "${opts.baseUrl}" is not a URL; use e.g. http://localhost:11434/v1.`,
    );
  }
  const name = opts.name ?? "openai-compatible";
  const retryOpts: RetryOptions = { retries: opts.retries ?? 4 };
  if (opts.baseDelayMs !== undefined) retryOpts.baseDelayMs = opts.baseDelayMs;
  if (opts.maxDelayMs !== undefined) retryOpts.maxDelayMs = opts.maxDelayMs;
  if (opts.sleep) retryOpts.sleep = opts.sleep;
  if (opts.onRetry) retryOpts.onRetry = opts.onRetry;
  const models = new Map<string, OpenAICompatibleLlm>();
  const bare = (modelName: string) => {
    let model = models.get(modelName);
    if (!model) {
      model = new OpenAICompatibleLlm({
        model: modelName,
        baseUrl: opts.baseUrl,
        providerName: name,
        ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.structuredOutput ? { structuredOutput: opts.structuredOutput } : {}),
        ...(opts.headers ? { headers: opts.headers } : {}),
      });
      models.set(modelName, model);
    }
    return model;
  };
  return {
    name,
    paid: opts.paid ?? !isLocalBaseUrl(opts.baseUrl),
    create: (modelName: string) => retryingLlm(bare(modelName), retryOpts),
    bare,
    retry: retryOpts,
  };
}

/** Well-known OpenAI-compatible servers: a model prefix usable without a `providers` entry. */
export const OPENAI_COMPATIBLE_PRESETS: Readonly<Record<string, { baseUrl: string; apiKeyEnv?: string }>> = {
  ollama: { baseUrl: "http://localhost:11434/v1" },
  lmstudio: { baseUrl: "http://localhost:1234/v1" },
  vllm: { baseUrl: "http://localhost:8000/v1" },
  llamacpp: { baseUrl: "http://localhost:8080/v1" },
  openai: { baseUrl: "https://api.openai.com/v1", apiKeyEnv: "OPENAI_API_KEY" },
};

/** Zero prices for `models` (a local server's calls cost nothing, and are priced, not unpriced). */
export function zeroPrices(models: Iterable<string>): Record<string, ModelPrice> {
  return Object.fromEntries([...models].map((m) => [m, { inputPerMillion: 0, outputPerMillion: 0 }]));
}

/** An OpenAI-compatible provider's settings: its config entry over its built-in preset. */
export type OpenAICompatibleSettings = NonNullable<SynthforgeConfig["providers"]>[string];

/**
 * The settings of the OpenAI-compatible provider `name` (config `providers.<name>` over the
 * built-in preset of that name), or null when `name` is neither.
 */
export function openaiCompatibleSettings(
  name: string,
  providers: SynthforgeConfig["providers"],
): (OpenAICompatibleSettings & { baseUrl: string }) | null {
  const preset = Object.hasOwn(OPENAI_COMPATIBLE_PRESETS, name) ? OPENAI_COMPATIBLE_PRESETS[name] : undefined;
  const entry = providers && Object.hasOwn(providers, name) ? providers[name] : undefined;
  if (!preset && !entry) return null;
  const merged = { ...preset, ...entry };
  if (!merged.baseUrl)
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `providers.${name} needs a baseUrl (the API root, e.g. http://localhost:11434/v1).`,
    );
  return merged as OpenAICompatibleSettings & { baseUrl: string };
}

/** What {@link openaiCompatibleFromConfig} resolves. */
export interface ResolvedOpenAICompatible {
  /** The OpenAI-compatible providers the models name, by name (= model prefix). */
  providers: Record<string, ModelProvider>;
  /** Prices of their models by routed name (`ollama:qwen3:8b`): the entry's, else 0 for a local server. */
  prices: Record<string, ModelPrice>;
  /** The per-role models, with `<provider>:<model>` filled in for every role when `provider` is one of them. */
  models: Partial<Record<AgentRole, string>>;
  /** The provider every role defaults to, when `provider` names an OpenAI-compatible one. */
  base: ModelProvider | null;
}

/**
 * The OpenAI-compatible providers a configuration uses: the one `provider` names (every
 * role without a model then runs on `<provider>:<providers.<name>.model>`), and those named
 * by a `<name>:` prefix in `models` or `fallbacks`. Keys come from the environment variable
 * each entry names (`apiKeyEnv`), never from the config itself.
 *
 * @throws SynthforgeError `CONFIG_INVALID` for a missing baseUrl, an unset `apiKeyEnv`
 *   variable, or a role left without a model.
 */
export function openaiCompatibleFromConfig(opts: {
  /** The chosen provider (`gemini`, `offline`, or an OpenAI-compatible name). */
  provider: string;
  models: Partial<Record<AgentRole, string>>;
  fallbacks?: Partial<Record<AgentRole, string[]>> | undefined;
  providers?: SynthforgeConfig["providers"];
  env?: NodeJS.ProcessEnv;
}): ResolvedOpenAICompatible {
  const env = opts.env ?? process.env;
  const models = { ...opts.models };
  const baseSettings =
    opts.provider === "gemini" || opts.provider === "offline" || opts.provider === "auto"
      ? null
      : openaiCompatibleSettings(opts.provider, opts.providers);
  if (baseSettings) {
    const missing: AgentRole[] = [];
    for (const role of AGENT_ROLES) {
      if (models[role]) continue;
      if (baseSettings.model) models[role] = `${opts.provider}:${baseSettings.model}`;
      else missing.push(role);
    }
    if (missing.length)
      throw new SynthforgeError(
        "CONFIG_INVALID",
        `The ${opts.provider} provider has no model for ${missing.join(", ")}: set providers.${opts.provider}.model (every agent), or models.<role> / --model <role>=${opts.provider}:<model>.`,
      );
  }
  const byName = new Map<string, Set<string>>();
  const note = (m: string) => {
    const i = m.indexOf(":");
    if (i <= 0) return;
    const name = m.slice(0, i);
    if (!openaiCompatibleSettings(name, opts.providers)) return;
    if (!byName.has(name)) byName.set(name, new Set());
    byName.get(name)?.add(m);
  };
  for (const m of Object.values(models)) if (m) note(m);
  for (const list of Object.values(opts.fallbacks ?? {})) for (const m of list ?? []) note(m);
  if (baseSettings && !byName.has(opts.provider)) byName.set(opts.provider, new Set());

  const providers: Record<string, ModelProvider> = {};
  const prices: Record<string, ModelPrice> = {};
  for (const [name, used] of byName) {
    const s = openaiCompatibleSettings(name, opts.providers);
    if (!s) continue;
    let apiKey: string | undefined;
    if (s.apiKeyEnv) {
      apiKey = env[s.apiKeyEnv]?.trim() || undefined;
      if (!apiKey)
        throw new SynthforgeError(
          "CONFIG_INVALID",
          `The ${name} provider reads its API key from ${s.apiKeyEnv}, which is not set: set it, or remove providers.${name}.apiKeyEnv for a server without keys.`,
        );
    }
    providers[name] = openaiCompatibleProvider({
      name,
      baseUrl: s.baseUrl,
      ...(apiKey ? { apiKey } : {}),
      ...(s.retries !== undefined ? { retries: s.retries } : {}),
      ...(s.timeoutMs !== undefined ? { timeoutMs: s.timeoutMs } : {}),
      ...(s.structuredOutput ? { structuredOutput: s.structuredOutput } : {}),
    });
    const local = isLocalBaseUrl(s.baseUrl);
    for (const routed of used) {
      const server = routed.slice(name.length + 1);
      const price = s.prices?.[server] ?? (local ? { inputPerMillion: 0, outputPerMillion: 0 } : undefined);
      if (price) prices[routed] = price;
    }
  }
  return { providers, prices, models, base: baseSettings ? (providers[opts.provider] ?? null) : null };
}
