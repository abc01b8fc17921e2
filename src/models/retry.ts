import type { BaseLlm, LlmResponse } from "@google/adk";
import { redactSecrets } from "../core/errors.js";
import { WrappedLlm } from "./middleware.js";

/**
 * Retry middleware for model calls (DESIGN §3.3: cache → rate limit → **retry** →
 * metering → provider).
 *
 * Neither ADK nor `@google/genai` retries by default, and genai's own `retryOptions`
 * ignore `google.rpc.RetryInfo`. This wrapper retries transient failures (429, 5xx,
 * timeouts, network errors), waits as long as a 429's `RetryInfo.retryDelay` asks, and
 * never retries once a streamed chunk has been passed on.
 */

/** What {@link classifyModelError} knows about a failed model call. */
export interface ModelErrorInfo {
  /** HTTP status (`429`, `503`, ...), or `null` when no response was received. */
  status: number | null;
  /**
   * Canonical status name: the body's `error.status` (`RESOURCE_EXHAUSTED`, `UNAVAILABLE`,
   * ...), else one derived from the HTTP status; for failures without a response,
   * `TIMEOUT` or the socket error code (`ECONNRESET`, `ECONNREFUSED`, ... or
   * `NETWORK_ERROR`). `null` when unknown.
   */
  code: string | null;
  /** Human-readable, secret-free message (the body's `error.message` for API errors). */
  message: string;
  /** True for failures worth retrying: 408, 429, 500, 502, 503, 504, timeouts, network errors. */
  retryable: boolean;
  /** The server's `google.rpc.RetryInfo.retryDelay` in milliseconds, when present. */
  retryDelayMs: number | null;
}

/** Passed to {@link RetryOptions.onRetry} before each wait. */
export interface RetryInfo {
  /** 1 for the first retry, 2 for the second, ... */
  retry: number;
  /** The configured maximum number of retries. */
  retries: number;
  /** How long the middleware will wait before the retry. */
  delayMs: number;
  /** True when `delayMs` comes from the server's `RetryInfo` rather than backoff. */
  serverDelay: boolean;
  /** The classified error that caused the retry. */
  error: ModelErrorInfo;
}

/** Options of {@link retryingLlm}. */
export interface RetryOptions {
  /** Maximum number of retries after the first attempt (0 disables retrying). */
  retries: number;
  /** First backoff delay in ms (doubles per retry, with jitter). Default 1000. */
  baseDelayMs?: number;
  /** Upper bound for any single wait, including server-requested ones. Default 60000. */
  maxDelayMs?: number;
  /** Waits `ms`; rejects or resolves early when `signal` aborts. Injected by tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called before each wait (for logging or metrics; the info is secret-free). */
  onRetry?: (info: RetryInfo) => void;
  /** Source of randomness for jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

const STATUS_NAMES: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  408: "DEADLINE_EXCEEDED",
  409: "ABORTED",
  429: "RESOURCE_EXHAUSTED",
  499: "CANCELLED",
  500: "INTERNAL",
  501: "NOT_IMPLEMENTED",
  502: "BAD_GATEWAY",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTUNREACH",
  "EAI_AGAIN",
  "ENOTFOUND",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** The canonical status name (`RESOURCE_EXHAUSTED`, ...) for an HTTP status, or `null`. */
export function statusName(status: number | null | undefined): string | null {
  return status == null ? null : (STATUS_NAMES[status] ?? null);
}

/** Marker appended to the message of an error that survived all retries. */
const GAVE_UP = (n: number) => ` [gave up after ${n} ${n === 1 ? "retry" : "retries"}]`;
const GAVE_UP_RE = /\s*\[gave up after (\d+) retr(?:y|ies)\]/;

/**
 * Splits a message produced by {@link retryingLlm} into the original text and the number
 * of retries made before giving up (`null` if it did not give up after retrying).
 */
export function parseGaveUp(message: string): { message: string; retries: number | null } {
  const m = GAVE_UP_RE.exec(message);
  if (!m) return { message, retries: null };
  return { message: message.replace(GAVE_UP_RE, ""), retries: Number(m[1]) };
}

/** Parses a protobuf-JSON duration (`"7s"`, `"0.5s"`, or `{seconds, nanos}`) into ms. */
export function parseDurationMs(d: unknown): number | null {
  if (typeof d === "string") {
    const m = /^\s*(\d+(?:\.\d+)?)s\s*$/.exec(d);
    return m ? Math.round(Number(m[1]) * 1000) : null;
  }
  if (d && typeof d === "object") {
    const o = d as { seconds?: unknown; nanos?: unknown };
    const s = Number(o.seconds ?? 0);
    const n = Number(o.nanos ?? 0);
    if (Number.isFinite(s) && Number.isFinite(n)) return Math.round(s * 1000 + n / 1e6);
  }
  return null;
}

interface ErrorBody {
  code?: unknown;
  message?: unknown;
  status?: unknown;
  details?: unknown;
}

/** `{error:{...}}` from an ApiError message (plain JSON, or `got status: X. {json}` for stream chunks). */
function parseErrorBody(message: string): ErrorBody | null {
  const candidates = [message];
  const brace = message.indexOf("{");
  if (brace > 0) candidates.push(message.slice(brace));
  for (const c of candidates) {
    try {
      const parsed: unknown = JSON.parse(c);
      if (parsed && typeof parsed === "object" && "error" in parsed) {
        const err = (parsed as { error: unknown }).error;
        if (err && typeof err === "object") return err as ErrorBody;
      }
    } catch {
      // not JSON
    }
  }
  return null;
}

function retryDelayFrom(details: unknown): number | null {
  if (!Array.isArray(details)) return null;
  for (const d of details) {
    if (
      d &&
      typeof d === "object" &&
      String((d as Record<string, unknown>)["@type"] ?? "").endsWith("google.rpc.RetryInfo")
    ) {
      const ms = parseDurationMs((d as Record<string, unknown>).retryDelay);
      if (ms !== null) return ms;
    }
  }
  return null;
}

function oneLine(s: string): string {
  return redactSecrets(s).replace(/\s+/g, " ").trim();
}

/**
 * Classifies anything a model call can throw. Understands genai's `ApiError` (by name,
 * not `instanceof`, which fails across package copies): `status` plus the JSON body in
 * `message` (`{error:{code,message,status,details}}`, including `RetryInfo`); errors that
 * carry such a JSON message without being an `ApiError` (e.g. rethrown by a wrapper);
 * `fetch failed` network errors (socket code from `cause`); and timeouts/aborts. Pure:
 * it only reads `e`. The message is passed through `redactSecrets`.
 */
export function classifyModelError(e: unknown): ModelErrorInfo {
  const err = e as
    | { name?: unknown; message?: unknown; status?: unknown; code?: unknown; cause?: unknown }
    | null
    | undefined;
  const name = typeof err?.name === "string" ? err.name : "";
  const rawMessage = typeof err?.message === "string" ? err.message : String(e);
  const body = parseErrorBody(rawMessage);

  if (name === "ApiError" || body) {
    const bodyCode =
      typeof body?.code === "number"
        ? body.code
        : typeof body?.code === "string" && /^\d{3}$/.test(body.code)
          ? Number(body.code)
          : null;
    const status = typeof err?.status === "number" ? err.status : bodyCode;
    const bodyStatus =
      typeof body?.status === "string" && /^[A-Z][A-Z_]*$/.test(body.status) ? body.status : null;
    const code = bodyStatus ?? statusName(status);
    const message = oneLine(typeof body?.message === "string" && body.message ? body.message : rawMessage);
    const retryDelayMs = retryDelayFrom(body?.details);
    const retryable =
      status !== null
        ? RETRYABLE_STATUS.has(status)
        : code === "UNAVAILABLE" || code === "RESOURCE_EXHAUSTED";
    return { status, code, message, retryable, retryDelayMs };
  }

  if (name === "AbortError" || name === "TimeoutError") {
    return {
      status: null,
      code: "TIMEOUT",
      message: oneLine(rawMessage || "The request timed out or was aborted"),
      retryable: true,
      retryDelayMs: null,
    };
  }

  const cause = err?.cause as { code?: unknown; message?: unknown; name?: unknown } | undefined;
  const sysCode =
    typeof cause?.code === "string" ? cause.code : typeof err?.code === "string" ? err.code : null;
  const causeMessage = typeof cause?.message === "string" ? cause.message : "";
  const isFetchFailed = /fetch failed|network|socket hang up|terminated/i.test(rawMessage);
  if (sysCode && NETWORK_CODES.has(sysCode)) {
    const timeout = /TIMEOUT|ETIMEDOUT/.test(sysCode);
    return {
      status: null,
      code: timeout ? "TIMEOUT" : sysCode,
      message: oneLine(
        causeMessage && causeMessage !== rawMessage ? `${rawMessage}: ${causeMessage}` : rawMessage,
      ),
      retryable: true,
      retryDelayMs: null,
    };
  }
  if (isFetchFailed || /timed? ?out/i.test(rawMessage)) {
    const timeout = /timed? ?out/i.test(rawMessage) || /timed? ?out/i.test(causeMessage);
    return {
      status: null,
      code: timeout ? "TIMEOUT" : "NETWORK_ERROR",
      message: oneLine(causeMessage ? `${rawMessage}: ${causeMessage}` : rawMessage),
      retryable: true,
      retryDelayMs: null,
    };
  }
  return { status: null, code: null, message: oneLine(rawMessage), retryable: false, retryDelayMs: null };
}

/** The default `sleep`: a timer that resolves early when `signal` aborts. */
export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Redacts the error's message/stack in place (keeps its class, name and `status`). */
function sanitize(e: unknown, suffix = ""): unknown {
  if (e instanceof Error || (e && typeof e === "object" && typeof (e as Error).message === "string")) {
    const err = e as Error;
    const before = err.message;
    let after = redactSecrets(before);
    if (suffix) {
      // Keep a JSON body parseable (ADK JSON-parses it into errorCode/errorMessage).
      try {
        const parsed = JSON.parse(after) as { error?: { message?: unknown } };
        if (parsed?.error && typeof parsed.error === "object") {
          parsed.error.message = `${typeof parsed.error.message === "string" ? parsed.error.message : ""}${suffix}`;
          after = JSON.stringify(parsed);
        } else after += suffix;
      } catch {
        after += suffix;
      }
    }
    if (after !== before) {
      try {
        err.message = after;
        if (typeof err.stack === "string") err.stack = redactSecrets(err.stack.split(before).join(after));
      } catch {
        // frozen error: leave it
      }
    }
  }
  return e;
}

/**
 * Wraps `inner` so that a call that throws a retryable error (see
 * {@link classifyModelError}) is retried up to `opts.retries` times. A 429 carrying
 * `RetryInfo.retryDelay` waits exactly that long (capped by `maxDelayMs`); everything else
 * waits `baseDelayMs · 2^n` with ±50% jitter (capped by `maxDelayMs`). A call that already
 * yielded a response is never retried (streamed chunks must not be duplicated), nor is
 * one whose `abortSignal` fired. When it gives up, the last error is rethrown with its
 * message redacted and, if retries were made, `[gave up after N retries]` appended to the
 * human message (inside the JSON body for API errors, so ADK's error event keeps the code).
 */
export function retryingLlm(inner: BaseLlm, opts: RetryOptions): BaseLlm {
  const retries = Math.max(0, Math.floor(opts.retries));
  const baseDelayMs = opts.baseDelayMs ?? 1000;
  const maxDelayMs = opts.maxDelayMs ?? 60_000;
  const sleep = opts.sleep ?? defaultSleep;
  const random = opts.random ?? Math.random;

  return new WrappedLlm(inner, async function* (req, next, stream, abortSignal) {
    for (let attempt = 0; ; attempt++) {
      const it = next(req, stream, abortSignal)[Symbol.asyncIterator]();
      let yielded = false;
      let done = false;
      try {
        while (true) {
          let res: IteratorResult<LlmResponse, void>;
          try {
            res = await it.next();
          } catch (e) {
            done = true; // a generator that threw is finished
            const info = classifyModelError(e);
            const canRetry = !yielded && info.retryable && attempt < retries && !abortSignal?.aborted;
            if (!canRetry)
              throw sanitize(e, attempt > 0 && info.retryable && !yielded ? GAVE_UP(attempt) : "");
            const serverDelay = info.retryDelayMs !== null;
            const backoff = baseDelayMs * 2 ** attempt;
            const jittered = backoff * (0.5 + random());
            const delayMs = Math.round(
              Math.min(maxDelayMs, serverDelay ? (info.retryDelayMs as number) : jittered),
            );
            opts.onRetry?.({ retry: attempt + 1, retries, delayMs, serverDelay, error: info });
            await sleep(delayMs, abortSignal);
            if (abortSignal?.aborted) throw sanitize(e);
            break; // next attempt
          }
          if (res.done) {
            done = true;
            return;
          }
          yielded = true;
          yield res.value;
        }
      } finally {
        // The consumer stopped early: let the inner generator clean up.
        if (!done) await it.return?.(undefined);
      }
    }
  });
}
