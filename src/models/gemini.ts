import type { LlmRequest, LlmResponse } from "@google/adk";
import type { HttpOptions } from "@google/genai";
import { redactSecrets, SynthforgeError } from "../core/errors.js";
import { Gemini } from "./adk.js";
import { geminiBatchClient } from "./batch.js";
import { describeOpenAICompatibleError } from "./openai-compatible.js";
import type { ModelProvider } from "./provider.js";
import { parseGaveUp, type RetryOptions, retryingLlm, statusName } from "./retry.js";

/**
 * The Gemini provider (DESIGN §3.3): ADK's `Gemini` model with the base URL, API
 * version and timeout taken from config, wrapped in {@link retryingLlm}. genai's own
 * `retryOptions` stay off: our middleware retries instead, honouring `RetryInfo`.
 */

/** Options of {@link SynthforgeGemini}. */
export interface SynthforgeGeminiOptions {
  /** Model name, e.g. `gemini-2.5-flash`. */
  model: string;
  /** Gemini API key (sent as `x-goog-api-key`; never appears in errors). */
  apiKey: string;
  /** Endpoint root, e.g. a local stub `http://127.0.0.1:8123` (default: Google's). */
  baseUrl?: string;
  /** API version path segment, e.g. `v1beta` (default: genai's, `v1beta` in 2.x). */
  apiVersion?: string;
  /** Client-side timeout per HTTP attempt, in ms (genai also sends `X-Server-Timeout`). */
  timeoutMs?: number;
}

const REDACTED = "[redacted-key]";

/** Makes an own property non-enumerable, so JSON.stringify / util.inspect skip it. */
function hideProperty(obj: object, key: string): void {
  const desc = Object.getOwnPropertyDescriptor(obj, key);
  Object.defineProperty(obj, key, {
    value: desc?.value,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

/**
 * Removes `secret` (and anything {@link redactSecrets} knows) from an error's text, in
 * place. Also strips the `got status: X. ` prefix genai puts before the JSON body of an
 * error chunk in a stream, so ADK can JSON-parse it into `errorCode` like a unary error.
 */
function scrubError(e: unknown, secret: string): unknown {
  const scrub = (s: string) => redactSecrets(secret ? s.split(secret).join(REDACTED) : s);
  const first = e as { name?: unknown; message?: unknown } | null;
  if (first && typeof first === "object" && first.name === "ApiError" && typeof first.message === "string") {
    const m = /^got status: [^{]*?(\{[\s\S]*\})\s*$/.exec(first.message);
    if (m?.[1]) {
      try {
        JSON.parse(m[1]);
        first.message = m[1];
      } catch {
        // leave it
      }
    }
  }
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && cur && typeof cur === "object"; depth++) {
    const err = cur as { message?: unknown; stack?: unknown; cause?: unknown };
    try {
      if (typeof err.message === "string") err.message = scrub(err.message);
      if (typeof err.stack === "string") err.stack = scrub(err.stack);
    } catch {
      // read-only: nothing we can do
    }
    cur = err.cause;
  }
  return e;
}

/**
 * ADK's `Gemini` pointed at a configurable endpoint. Overrides the protected
 * `getHttpOptions()` to add `baseUrl`, `apiVersion` and `timeout`, and never enables
 * genai's `retryOptions`. Errors it throws have the API key scrubbed from their text,
 * and the key is kept out of `JSON.stringify`/`util.inspect` of the instance.
 */
export class SynthforgeGemini extends Gemini {
  readonly #apiKey: string;
  readonly #baseUrl: string | undefined;
  readonly #apiVersion: string | undefined;
  readonly #timeoutMs: number | undefined;

  constructor(opts: SynthforgeGeminiOptions) {
    if (!opts.apiKey)
      throw new SynthforgeError("MODEL_ERROR", "No Gemini API key: set GEMINI_API_KEY or GOOGLE_API_KEY.");
    super({ model: opts.model, apiKey: opts.apiKey });
    this.#apiKey = opts.apiKey;
    this.#baseUrl = opts.baseUrl ? opts.baseUrl.replace(/\/+$/, "") : undefined;
    this.#apiVersion = opts.apiVersion || undefined;
    this.#timeoutMs = opts.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : undefined;
    // ADK keeps the key (and later the genai clients holding it) in plain fields.
    for (const k of ["apiKey", "_apiClient", "_liveApiClient"]) hideProperty(this, k);
  }

  /** The endpoint root this model calls (`undefined` = genai's default). */
  get baseUrl(): string | undefined {
    return this.#baseUrl;
  }

  protected override getHttpOptions(): HttpOptions {
    const options: HttpOptions = { ...super.getHttpOptions() };
    if (this.#baseUrl) options.baseUrl = this.#baseUrl;
    if (this.#apiVersion) options.apiVersion = this.#apiVersion;
    if (this.#timeoutMs) options.timeout = this.#timeoutMs;
    // Retrying is the job of retryingLlm (it honours RetryInfo; genai's p-retry does not).
    delete options.retryOptions;
    return options;
  }

  override async *generateContentAsync(
    llmRequest: LlmRequest,
    stream = false,
    abortSignal?: AbortSignal,
  ): AsyncGenerator<LlmResponse, void> {
    try {
      yield* super.generateContentAsync(llmRequest, stream, abortSignal);
    } catch (e) {
      throw scrubError(e, this.#apiKey);
    }
  }
}

/** Options of {@link geminiProvider}. */
export interface GeminiProviderOptions {
  /** API key; default: env `GOOGLE_API_KEY` or `GEMINI_API_KEY` (see {@link geminiProvider}). */
  apiKey?: string;
  /** Endpoint root (config `gemini.baseUrl`), e.g. a local stub in tests. */
  baseUrl?: string;
  /** API version (config `gemini.apiVersion`), e.g. `v1beta`. */
  apiVersion?: string;
  /** Per-attempt timeout in ms (config `gemini.timeoutMs`). */
  timeoutMs?: number;
  /** Retries after the first attempt for transient failures (config `gemini.retries`). Default 4. */
  retries?: number;
  /** First backoff delay in ms. Default 1000. */
  baseDelayMs?: number;
  /** Cap on any single wait, including `RetryInfo` delays. Default 60000. */
  maxDelayMs?: number;
  /** Injected wait (tests). */
  sleep?: RetryOptions["sleep"];
  /** Called before each retry wait (secret-free info). */
  onRetry?: RetryOptions["onRetry"];
}

/** Default number of retries of the Gemini provider. */
export const DEFAULT_GEMINI_RETRIES = 4;

/**
 * The key from the environment. When both are set, `GOOGLE_API_KEY` wins: that is the
 * precedence of genai (which warns "Both GOOGLE_API_KEY and GEMINI_API_KEY are set. Using
 * GOOGLE_API_KEY." whenever it builds a client) and of ADK, so the warning stays true.
 */
function envKey(): string | undefined {
  for (const name of ["GOOGLE_API_KEY", "GEMINI_API_KEY"]) {
    const v = process.env[name]?.trim();
    if (v) return v;
  }
  return undefined;
}

/**
 * The Gemini {@link ModelProvider} (`name: "gemini"`, `paid: true`). `create(model)`
 * returns `retryingLlm(new SynthforgeGemini(...))`; `bare(model)` the model alone, with
 * the retry settings in `retry`, for the router to compose. The key is resolved now: `opts.apiKey`,
 * else env `GEMINI_API_KEY` / `GOOGLE_API_KEY` (if both are set, `GOOGLE_API_KEY`, as genai
 * and ADK do).
 *
 * @throws SynthforgeError `MODEL_ERROR` when no API key is available.
 */
export function geminiProvider(opts: GeminiProviderOptions = {}): ModelProvider {
  const apiKey = opts.apiKey?.trim() || envKey();
  if (!apiKey) {
    throw new SynthforgeError(
      "MODEL_ERROR",
      "No Gemini API key: set GEMINI_API_KEY or GOOGLE_API_KEY (get one at https://aistudio.google.com/apikey), or use the offline provider.",
    );
  }
  const retries = opts.retries ?? DEFAULT_GEMINI_RETRIES;
  const retryOpts: RetryOptions = { retries };
  if (opts.baseDelayMs !== undefined) retryOpts.baseDelayMs = opts.baseDelayMs;
  if (opts.maxDelayMs !== undefined) retryOpts.maxDelayMs = opts.maxDelayMs;
  if (opts.sleep) retryOpts.sleep = opts.sleep;
  if (opts.onRetry) retryOpts.onRetry = opts.onRetry;
  // One model (and so one genai client) per model name, shared by every call: a model keeps
  // no state between requests, and a client per call cost more than the call's own work.
  const models = new Map<string, SynthforgeGemini>();
  const bare = (modelName: string) => {
    let model = models.get(modelName);
    if (!model) {
      const modelOpts: SynthforgeGeminiOptions = { model: modelName, apiKey };
      if (opts.baseUrl) modelOpts.baseUrl = opts.baseUrl;
      if (opts.apiVersion) modelOpts.apiVersion = opts.apiVersion;
      if (opts.timeoutMs) modelOpts.timeoutMs = opts.timeoutMs;
      model = new SynthforgeGemini(modelOpts);
      models.set(modelName, model);
    }
    return model;
  };
  const provider: ModelProvider = {
    name: "gemini",
    paid: true,
    create(modelName: string) {
      return retryingLlm(bare(modelName), retryOpts);
    },
    bare,
    retry: retryOpts,
    batchClient: () =>
      geminiBatchClient({
        apiKey,
        ...(opts.baseUrl ? { baseUrl: opts.baseUrl.replace(/\/+$/, "") } : {}),
        ...(opts.apiVersion ? { apiVersion: opts.apiVersion } : {}),
      }),
  };
  return provider;
}

const FINISH_REASONS: Record<string, string> = {
  SAFETY: "the response was blocked by Gemini's safety filters",
  IMAGE_SAFETY: "the response was blocked by Gemini's image safety filters",
  PROHIBITED_CONTENT: "the response was blocked as prohibited content",
  BLOCKLIST: "the response contained blocklisted terms",
  SPII: "the response contained sensitive personal information",
  RECITATION: "the response was blocked for reciting training data",
  MAX_TOKENS: "the output token limit was reached before any content was produced",
  MALFORMED_FUNCTION_CALL: "the model produced a malformed function call",
  UNEXPECTED_TOOL_CALL: "the model called a tool that was not offered",
  LANGUAGE: "the response language is not supported",
  OTHER: "the model stopped for an unspecified reason",
};

/** Joins a message and a hint with proper sentence punctuation. */
function sentence(msg: string, hint = ""): string {
  const m = msg.trim();
  const ended = m === "" || /[.!?]["')\]]?$/.test(m) ? m : `${m}.`;
  return hint ? `${ended} ${hint}`.trim() : ended;
}

/**
 * Turns the `errorCode` / `errorMessage` of an ADK error event (ADK puts the HTTP code,
 * e.g. `"429"`, or `UNKNOWN_ERROR`, or a finish reason such as `SAFETY` there) into one
 * secret-free line that says what went wrong and what to do, e.g.
 * `Gemini rejected the request (400 INVALID_ARGUMENT): API key not valid... Check GEMINI_API_KEY ...`.
 * Reports the number of retries when {@link retryingLlm} gave up.
 */
export function describeModelError(errorCode: string | undefined, errorMessage: string | undefined): string {
  const parsed = parseGaveUp(errorMessage ?? "");
  const other = describeOpenAICompatibleError(errorCode, parsed.message, parsed.retries);
  if (other) return other;
  const msg = redactSecrets(parsed.message).replace(/\s+/g, " ").trim().slice(0, 600);
  const after = parsed.retries
    ? ` after ${parsed.retries} ${parsed.retries === 1 ? "retry" : "retries"}`
    : "";
  const code = (errorCode ?? "").trim();
  const status = /^\d{3}$/.test(code) ? Number(code) : null;
  const tag = status !== null ? `${status}${statusName(status) ? ` ${statusName(status)}` : ""}` : code;
  const body = msg || "no details given";

  if (status !== null) {
    switch (status) {
      case 400:
        return `Gemini rejected the request (${tag}): ${sentence(
          body,
          /api[ _-]?key/i.test(msg)
            ? "Check GEMINI_API_KEY (or GOOGLE_API_KEY)."
            : "Check the model name, the request size and the generation settings.",
        )}`;
      case 401:
        return `Gemini did not accept the credentials (${tag}): ${sentence(body, "Check GEMINI_API_KEY (or GOOGLE_API_KEY).")}`;
      case 403:
        return `Gemini denied permission (${tag}): ${sentence(
          body,
          "Check that the API key may use the Generative Language API and that the API is enabled for its project.",
        )}`;
      case 404:
        return `Gemini model or endpoint not found (${tag}): ${sentence(body, "Check the model name and gemini.baseUrl / gemini.apiVersion.")}`;
      case 429:
        return `Gemini quota exhausted (${tag})${after}: ${sentence(
          body,
          "Wait for the quota to reset, lower concurrency, or check your plan's rate limits.",
        )}`;
      case 503:
        return `Gemini is overloaded or unavailable (${tag})${after}: ${sentence(body, "Try again later or use another model.")}`;
      case 408:
      case 504:
        return `Gemini timed out (${tag})${after}: ${sentence(body, "Try again, or raise gemini.timeoutMs.")}`;
      default:
        if (status >= 500)
          return `Gemini server error (${tag})${after}: ${sentence(body, "Try again later.")}`;
        return `Gemini request failed (${tag})${after}: ${sentence(body)}`;
    }
  }

  const reason = FINISH_REASONS[code];
  if (reason) return `Gemini returned no content (${code}): ${sentence(msg ? `${reason}: ${msg}` : reason)}`;

  if (!code || code === "UNKNOWN_ERROR") {
    if (/timed? ?out|TIMEOUT|aborted/i.test(msg)) {
      return `Gemini request timed out${after}: ${sentence(body, "Try again, or raise gemini.timeoutMs.")}`;
    }
    if (/fetch failed|ECONN|ENOTFOUND|EAI_AGAIN|socket|network/i.test(msg)) {
      return `Could not reach Gemini${after}: ${sentence(body, "Check the network connection and gemini.baseUrl.")}`;
    }
    return `Gemini call failed${after}: ${sentence(body)}`;
  }
  return `Gemini call failed (${code})${after}: ${sentence(body)}`;
}
