import { setTimeout as delay } from "node:timers/promises";
import type { X2jOptions } from "fast-xml-parser";
import type { Dispatcher } from "undici";
import { redactSecrets, SynthforgeError } from "../core/errors.js";
import { sha256, stableStringify } from "../core/ids.js";
import { loadSync } from "../core/load.js";
import { type Logger, silentLogger } from "../core/logger.js";
import { SYNTHFORGE_VERSION } from "../core/version.js";

// undici and fast-xml-parser are loaded on first use (start-up, issue 15).
const undici = () => loadSync<typeof import("undici")>("undici");
const xml = () => loadSync<typeof import("fast-xml-parser")>("fast-xml-parser");

/**
 * The shared HTTP layer of the source adapters (DESIGN §3.5), on undici.
 *
 * - a timeout per request (connection, headers and body together);
 * - a response-body size limit (the download is aborted beyond it);
 * - per-host politeness: requests to one host (or one bucket of a host, e.g. GitHub
 *   search) start at least `minIntervalMs` apart, the interval being each service's
 *   published limit, overridable per client (tests set it to 0);
 * - retries with exponential backoff and jitter on 429, 5xx and network errors only
 *   (never on other 4xx), honouring `Retry-After` in seconds or as an HTTP date;
 * - an in-memory response cache with a TTL behind the {@link ResponseCache} interface,
 *   so a database-backed cache can be plugged in later;
 * - a descriptive User-Agent with a contact address;
 * - every byte treated as untrusted: content types are checked, an HTML page where
 *   JSON or XML was expected, and JSON or XML that does not parse, are typed errors.
 *
 * Every failure is a `SynthforgeError("SOURCE_FAILED")` whose `details` carry the
 * adapter id, a short {@link SourceFailureReason} and the HTTP status. Messages and logs
 * never contain API keys: values passed in {@link HttpRequest.secrets} and the usual
 * key/token query parameters are redacted.
 */

/** The project page sent in the User-Agent. */
export const SYNTHFORGE_HOMEPAGE = "https://github.com/synthforge/synthforge";

/** Short machine-readable reasons of a `SOURCE_FAILED` error (`error.details.reason`). */
export type SourceFailureReason =
  | "timeout"
  | "network"
  | "http-status"
  | "rate-limited"
  | "body-too-large"
  | "content-type"
  | "html-error-page"
  | "malformed-json"
  | "malformed-xml"
  | "unexpected-shape"
  | "api-error"
  | "invalid-query"
  | "robots-disallowed";

/** Structured details of a `SOURCE_FAILED` error. */
export interface SourceFailureDetails {
  /** Adapter id (`arxiv`, `crossref`, ...). */
  adapter: string;
  /** What went wrong, in one word. */
  reason: SourceFailureReason;
  /** HTTP status, when a response was received. */
  status?: number;
  /** The request URL with secrets redacted. */
  url?: string;
  /** Attempts made (1 = no retry). */
  attempts?: number;
}

/**
 * Builds the typed error of a failed source. `message` says what happened and, where it
 * helps, what to do; it is redacted of secrets.
 */
export function sourceFailed(
  details: SourceFailureDetails,
  message: string,
  options?: { cause?: unknown; secrets?: readonly string[] },
): SynthforgeError {
  const clean = scrub(message, options?.secrets ?? []);
  const d: Record<string, unknown> = { ...details };
  if (typeof d.url === "string") d.url = scrub(d.url, options?.secrets ?? []);
  return new SynthforgeError("SOURCE_FAILED", clean, {
    details: d,
    ...(options?.cause !== undefined ? { cause: options.cause } : {}),
  });
}

/** A response as stored in a {@link ResponseCache}. */
export interface CachedResponse {
  status: number;
  url: string;
  contentType: string;
  body: string;
}

/**
 * A response cache. Keys are sha256 hashes of the request (method, URL and headers), so
 * a cache never sees an API key in clear. Only successful responses whose body parsed
 * are stored.
 */
export interface ResponseCache {
  get(key: string): CachedResponse | undefined | Promise<CachedResponse | undefined>;
  set(key: string, value: CachedResponse, ttlMs: number): void | Promise<void>;
  delete?(key: string): void | Promise<void>;
}

/** Options of {@link MemoryResponseCache}. */
export interface MemoryResponseCacheOptions {
  /** Entries kept (least recently used dropped first). Default 1000. */
  maxEntries?: number;
  /** Total body characters kept. Default 64 Mi. */
  maxChars?: number;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/** An in-memory LRU {@link ResponseCache} with a TTL per entry. */
export class MemoryResponseCache implements ResponseCache {
  private readonly entries = new Map<string, { value: CachedResponse; expires: number }>();
  private chars = 0;
  private readonly maxEntries: number;
  private readonly maxChars: number;
  private readonly now: () => number;

  constructor(opts: MemoryResponseCacheOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 1000;
    this.maxChars = opts.maxChars ?? 64 * 1024 * 1024;
    this.now = opts.now ?? Date.now;
  }

  /** Number of live entries. */
  get size(): number {
    return this.entries.size;
  }

  get(key: string): CachedResponse | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.delete(key);
      return undefined;
    }
    // refresh LRU position
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  set(key: string, value: CachedResponse, ttlMs: number): void {
    if (ttlMs <= 0 || value.body.length > this.maxChars) return;
    this.delete(key);
    this.entries.set(key, { value, expires: this.now() + ttlMs });
    this.chars += value.body.length;
    while (this.entries.size > this.maxEntries || this.chars > this.maxChars) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.delete(oldest);
    }
  }

  delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.chars -= e.value.body.length;
    this.entries.delete(key);
  }

  /** Drops everything. */
  clear(): void {
    this.entries.clear();
    this.chars = 0;
  }
}

/** Time source of the client; tests inject a fake one. */
export interface HttpClock {
  now(): number;
  /** Waits `ms`; rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock. */
export const realClock: HttpClock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    if (ms <= 0) return;
    await delay(ms, undefined, signal ? { signal } : undefined);
  },
};

/** Options of {@link HttpClient}. */
export interface HttpClientOptions {
  /** Contact address for the User-Agent (`mailto:`) and for APIs that ask for one (Crossref, OpenAlex, NCBI). */
  contact?: string;
  /** Replaces the whole User-Agent. */
  userAgent?: string;
  /** Per-request timeout in ms (connect, headers and body). Default 20000. */
  timeoutMs?: number;
  /** Largest accepted response body in bytes. Default 10 MiB. */
  maxBodyBytes?: number;
  /** Retries after the first attempt on 429, 5xx and network errors. Default 3. */
  retries?: number;
  /** First backoff delay in ms (doubles per retry, with jitter). Default 1000. */
  backoffMs?: number;
  /** Upper bound of one backoff delay. Default 30000. */
  maxBackoffMs?: number;
  /** A `Retry-After` longer than this fails the request instead of waiting. Default 120000. */
  maxRetryAfterMs?: number;
  /**
   * Politeness override: a number applies to every host (0 disables spacing, as tests
   * do); a record maps host names (or `host#bucket`) to intervals in ms. Hosts not in
   * the record use the interval the adapter asks for (the service's published limit).
   */
  politeness?: number | Record<string, number>;
  /** Response cache; `false` disables caching. Default: a {@link MemoryResponseCache}. */
  cache?: ResponseCache | false;
  /** Default cache TTL in ms. Default 1 hour. */
  cacheTtlMs?: number;
  /** Clock (tests). */
  clock?: HttpClock;
  /** Randomness for jitter in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** undici dispatcher. Default: a keep-alive `Agent`. */
  dispatcher?: Dispatcher;
  /** Logger for retries and waits (messages are redacted). */
  logger?: Logger;
}

/** One GET request. */
export interface HttpRequest {
  /** Adapter id, for errors. */
  adapter: string;
  url: string | URL;
  /** Extra request headers (e.g. `Authorization`). */
  headers?: Record<string, string>;
  /**
   * The service's published politeness interval in ms: requests to the same host (and
   * bucket) start at least this far apart. Default 0.
   */
  minIntervalMs?: number;
  /** Politeness bucket within the host (GitHub search and core APIs have different limits). */
  bucket?: string;
  /** Values that must never appear in errors or logs (API keys sent in this request). */
  secrets?: readonly string[];
  signal?: AbortSignal;
  /** Cache TTL for this request in ms; 0 bypasses the cache. Default: the client's. */
  cacheTtlMs?: number;
  /** Non-2xx statuses returned to the caller instead of thrown (e.g. 404 = "no such compound"). */
  allowStatus?: readonly number[];
  /** Overrides the client's timeout for this request. */
  timeoutMs?: number;
  /** Added to a rate-limit failure's message (e.g. "Set GITHUB_TOKEN for a higher limit."). */
  rateLimitHint?: string;
}

/** A decoded response. */
export interface HttpResponse {
  status: number;
  /** Final URL (after redirects). */
  url: string;
  /** `Content-Type` without parameters, lower case (`application/json`). */
  contentType: string;
  body: string;
  /** True when served from the cache. */
  fromCache: boolean;
}

/** What a JSON or XML request returns. */
export interface ParsedResponse<T> {
  data: T;
  response: HttpResponse;
}

const DEFAULTS = {
  timeoutMs: 20_000,
  maxBodyBytes: 10 * 1024 * 1024,
  retries: 3,
  backoffMs: 1000,
  maxBackoffMs: 30_000,
  maxRetryAfterMs: 120_000,
  cacheTtlMs: 60 * 60 * 1000,
};

const DEFAULT_SECRET_PARAMS =
  /([?&](?:api_key|apikey|api-key|key|token|access_token|client_secret)=)[^&#\s]+/gi;

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join("[redacted]");
  out = out.replace(DEFAULT_SECRET_PARAMS, "$1[redacted]");
  return redactSecrets(out);
}

/** Parses a `Retry-After` header (seconds or an HTTP date) into ms from `now`; null when absent or invalid. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

/** Builds the synthforge User-Agent. */
export function userAgent(contact?: string): string {
  const c = contact?.trim();
  return c
    ? `synthforge/${SYNTHFORGE_VERSION} (+${SYNTHFORGE_HOMEPAGE}; mailto:${c.replace(/^mailto:/i, "")})`
    : `synthforge/${SYNTHFORGE_VERSION} (+${SYNTHFORGE_HOMEPAGE})`;
}

/** Serialises requests per key and keeps their starts at least an interval apart. */
class Politeness {
  private readonly next = new Map<string, number>();
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly clock: HttpClock) {}

  async wait(key: string, intervalMs: number, signal?: AbortSignal): Promise<void> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => {
      release = r;
    });
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    try {
      await prev;
      const wait = (this.next.get(key) ?? 0) - this.clock.now();
      if (wait > 0) await this.clock.sleep(wait, signal);
      this.next.set(key, this.clock.now() + intervalMs);
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** True when a hold (Retry-After, backoff) keeps `key` waiting. */
  held(key: string): boolean {
    return (this.next.get(key) ?? 0) > this.clock.now();
  }

  /** No request to `key` starts before `at` (epoch ms). */
  holdUntil(key: string, at: number): void {
    this.next.set(key, Math.max(this.next.get(key) ?? 0, at));
  }
}

class RetryableFailure extends Error {
  constructor(
    readonly failure: SynthforgeError,
    readonly retryAfterMs: number | null,
  ) {
    super(failure.message);
  }
}

/** The content types accepted for each expected kind of body. */
const JSON_TYPES =
  /^(?:application\/(?:[\w.+-]+\+)?json|text\/json|text\/plain|text\/javascript|application\/javascript|application\/octet-stream)$/;
const XML_TYPES = /^(?:application\/(?:[\w.+-]+\+)?xml|text\/xml|text\/plain|application\/octet-stream)$/;
const HTML_TYPES = /^(?:text\/html|application\/xhtml\+xml)$/;

function looksLikeHtml(body: string): boolean {
  return /^\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])/i.test(body.slice(0, 512));
}

/** A short, tag-free excerpt of an error body, for messages. */
function bodyExcerpt(body: string, contentType: string): string {
  const t = body.slice(0, 4000);
  if (contentType.includes("json") || /^\s*[[{]/.test(t)) {
    try {
      const j = JSON.parse(body) as Record<string, unknown>;
      const pick = (v: unknown): string | null => {
        if (typeof v === "string" && v.trim()) return v;
        if (Array.isArray(v)) return v.map(pick).filter(Boolean).join("; ") || null;
        if (v && typeof v === "object") {
          const o = v as Record<string, unknown>;
          return pick(
            o.message ??
              o.msg ??
              o.error_message ??
              o.detail ??
              o.Message ??
              o.description ??
              o.error ??
              o.Fault,
          );
        }
        return null;
      };
      const m = pick(j.error_message ?? j.message ?? j.error ?? j.detail ?? j.Fault ?? j.errors ?? j.msg);
      if (m) return m.replace(/\s+/g, " ").slice(0, 200);
    } catch {
      /* fall through */
    }
  }
  const titleMatch = /<title[^>]*>([^<]{1,200})<\/title>/i.exec(t);
  if (titleMatch?.[1]) return titleMatch[1].replace(/\s+/g, " ").trim();
  return t
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 200);
}

/** A 403 body that reports a rate limit (GitHub: "API rate limit exceeded", "secondary rate limit", "abuse detection"). */
const RATE_LIMIT_BODY = /\brate[- ]?limit|\babuse detection|\btoo many requests/i;

/**
 * When to retry after a rate limit: the headers' wait (`Retry-After`, `x-ratelimit-reset`)
 * with the time it ends, else what the body asks ("wait a few minutes"), else a default.
 */
function retryAdvice(retryAfterMs: number | null, excerpt: string, now: number, status: number): string {
  if (retryAfterMs !== null) {
    const s = Math.ceil(retryAfterMs / 1000);
    return `wait ${s} s (until ${new Date(now + s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z")}) before retrying`;
  }
  const asked =
    /\b(?:wait|try again in|retry in|retry after)\s+((?:a few|a couple of|several|\d+)\s+(?:seconds?|minutes?|hours?)|a (?:second|minute|moment|while)|an hour)\b/i.exec(
      excerpt,
    )?.[1];
  if (asked) return `wait ${asked} before retrying, as the service asks`;
  return status === 403
    ? "the service gives no time; wait at least a minute before retrying"
    : "the service gives no time; wait a little before retrying";
}

function errorCode(e: unknown): string | null {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur; i++) {
    const c = cur as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof c.code === "string") return c.code;
    // AggregateError (one error per address tried)
    if (Array.isArray(c.errors)) {
      const inner = c.errors.map(errorCode).find((x) => x !== null);
      if (inner) return inner;
    }
    if (!c.cause && cur !== e && cur instanceof Error && cur.message) return cur.message.slice(0, 80);
    cur = c.cause;
  }
  return null;
}

function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}${url.search}`;
}

/**
 * The HTTP client of the source adapters. One client is meant to be shared by every
 * adapter of a process, so that politeness and the cache span all of them.
 */
export class HttpClient {
  /** The User-Agent sent with every request. */
  readonly userAgent: string;
  /** The configured contact address, if any (adapters pass it as `mailto`/`email` where an API asks). */
  readonly contact: string | undefined;
  private readonly opts: Required<
    Omit<HttpClientOptions, "contact" | "userAgent" | "politeness" | "cache" | "dispatcher" | "logger">
  >;
  private readonly politenessOverride: number | Record<string, number> | undefined;
  private readonly cache: ResponseCache | null;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly logger: Logger;
  private readonly politeness: Politeness;

  constructor(options: HttpClientOptions = {}) {
    this.contact = options.contact?.trim() || undefined;
    this.userAgent = options.userAgent ?? userAgent(this.contact);
    this.opts = {
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULTS.maxBodyBytes,
      retries: options.retries ?? DEFAULTS.retries,
      backoffMs: options.backoffMs ?? DEFAULTS.backoffMs,
      maxBackoffMs: options.maxBackoffMs ?? DEFAULTS.maxBackoffMs,
      maxRetryAfterMs: options.maxRetryAfterMs ?? DEFAULTS.maxRetryAfterMs,
      cacheTtlMs: options.cacheTtlMs ?? DEFAULTS.cacheTtlMs,
      clock: options.clock ?? realClock,
      random: options.random ?? Math.random,
    };
    this.politenessOverride = options.politeness;
    this.cache = options.cache === false ? null : (options.cache ?? new MemoryResponseCache());
    this.ownsDispatcher = !options.dispatcher;
    this.dispatcher =
      options.dispatcher ?? new (undici().Agent)({ keepAliveTimeout: 10_000, connections: 16 });
    this.logger = options.logger ?? silentLogger;
    this.politeness = new Politeness(this.opts.clock);
  }

  /** Closes the connection pool (when the client created it). */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close().catch(() => undefined);
  }

  /** No request to `host` (optionally `host#bucket`) starts within the next `ms` (e.g. Stack Exchange's `backoff`). */
  holdHost(host: string, ms: number): void {
    this.politeness.holdUntil(host, this.opts.clock.now() + ms);
  }

  /** GET expecting JSON. HTML instead of JSON, and JSON that does not parse, are typed errors. */
  async getJson<T = unknown>(req: HttpRequest): Promise<ParsedResponse<T>> {
    return this.request(req, "application/json, */*;q=0.5", (res) => {
      if (res.body.trim() === "" && res.status === 204) return { data: null as T, response: res };
      if (res.status < 200 || res.status >= 300) {
        // An allowed error status (e.g. 404 = "no such record"): its body is informative only.
        try {
          return { data: JSON.parse(res.body) as T, response: res };
        } catch {
          return { data: null as T, response: res };
        }
      }
      return {
        data: parseJsonBody(
          req,
          res,
          (msg) =>
            `not valid JSON (${msg}; ${res.body.length} characters). The response may be truncated or the service may be failing; try again later.`,
        ) as T,
        response: res,
      };
    });
  }

  /**
   * GET expecting XML, parsed with fast-xml-parser (`parserOptions` merged over
   * attribute-aware defaults). The document is validated first: malformed XML and HTML
   * error pages are typed errors.
   */
  // biome-ignore lint/suspicious/noExplicitAny: parsed XML is an arbitrary tree that adapters walk defensively
  async getXml(req: HttpRequest, parserOptions: Partial<X2jOptions> = {}): Promise<ParsedResponse<any>> {
    return this.request(req, "application/xml, application/atom+xml, text/xml;q=0.9, */*;q=0.5", (res) => ({
      data: parseXmlBody(req, res, parserOptions),
      response: res,
    }));
  }

  /**
   * GET accepting JSON or XML (services whose format depends on a parameter, or mirrors
   * that ignore it); the body decides which parser runs.
   */
  async getJsonOrXml(
    req: HttpRequest,
    parserOptions: Partial<X2jOptions> = {},
    // biome-ignore lint/suspicious/noExplicitAny: parsed XML/JSON is an arbitrary tree that adapters walk defensively
  ): Promise<ParsedResponse<any> & { format: "json" | "xml" }> {
    return this.request(req, "application/json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5", (res) => {
      const first = res.body.replace(/^\uFEFF/, "").trimStart()[0];
      if (first === "<" && !looksLikeHtml(res.body) && !HTML_TYPES.test(res.contentType)) {
        return { format: "xml" as const, data: parseXmlBody(req, res, parserOptions), response: res };
      }
      const data = parseJsonBody(req, res, (msg) => `neither valid JSON nor XML (${msg}).`);
      return { format: "json" as const, data, response: res };
    });
  }

  /** GET expecting an HTML page (the web-page adapter). */
  async getHtml(req: HttpRequest): Promise<HttpResponse> {
    return this.request(req, "text/html, application/xhtml+xml;q=0.9, */*;q=0.1", (res) => {
      checkType(req, res, HTML_TYPES, "HTML", true);
      return res;
    });
  }

  /** GET returning the decoded body whatever its type (status and size rules still apply). */
  async getText(req: HttpRequest, accept = "*/*"): Promise<HttpResponse> {
    return this.request(req, accept, (res) => res);
  }

  private intervalFor(host: string, bucket: string | undefined, requested: number): number {
    const o = this.politenessOverride;
    if (typeof o === "number") return o;
    if (o) {
      const key = bucket ? `${host}#${bucket}` : host;
      if (o[key] !== undefined) return o[key]!;
      if (o[host] !== undefined) return o[host]!;
    }
    return requested;
  }

  private async request<T>(req: HttpRequest, accept: string, parse: (res: HttpResponse) => T): Promise<T> {
    let url: URL;
    try {
      url = new URL(String(req.url));
    } catch {
      throw sourceFailed(
        { adapter: req.adapter, reason: "invalid-query" },
        `Not a valid URL: ${String(req.url).slice(0, 200)}. Check the adapter's baseUrl.`,
        {
          secrets: req.secrets ?? [],
        },
      );
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw sourceFailed(
        { adapter: req.adapter, reason: "invalid-query" },
        `Only http(s) URLs can be fetched, got ${url.protocol}//…`,
      );
    }
    const headers: Record<string, string> = {
      "user-agent": this.userAgent,
      accept,
      ...lowerKeys(req.headers ?? {}),
    };
    const ttl = req.cacheTtlMs ?? this.opts.cacheTtlMs;
    const cacheKey =
      this.cache && ttl > 0 ? sha256(stableStringify({ m: "GET", u: url.href, h: headers })) : null;
    if (cacheKey && this.cache) {
      const hit = await this.cache.get(cacheKey);
      if (hit) {
        try {
          return parse({ ...hit, fromCache: true });
        } catch {
          await this.cache.delete?.(cacheKey);
        }
      }
    }
    const response = await this.fetchWithRetries(req, url, headers);
    const parsed = parse(response);
    if (cacheKey && this.cache && response.status >= 200 && response.status < 300) {
      await this.cache.set(
        cacheKey,
        {
          status: response.status,
          url: response.url,
          contentType: response.contentType,
          body: response.body,
        },
        ttl,
      );
    }
    return parsed;
  }

  private async fetchWithRetries(
    req: HttpRequest,
    url: URL,
    headers: Record<string, string>,
  ): Promise<HttpResponse> {
    const host = url.host;
    const key = req.bucket ? `${host}#${req.bucket}` : host;
    const interval = this.intervalFor(host, req.bucket, req.minIntervalMs ?? 0);
    const secrets = req.secrets ?? [];
    const maxAttempts = this.opts.retries + 1;
    let lastFailure: SynthforgeError | null = null;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (req.signal?.aborted) throw aborted(req);
      if (interval > 0 || this.politeness.held(key)) {
        try {
          await this.politeness.wait(key, interval, req.signal);
        } catch (e) {
          if (req.signal?.aborted) throw aborted(req);
          throw e;
        }
      }
      try {
        return await this.fetchOnce(req, url, headers, attempt);
      } catch (e) {
        if (!(e instanceof RetryableFailure)) throw e;
        lastFailure = e.failure;
        const d = e.failure.details as unknown as SourceFailureDetails;
        if (attempt >= maxAttempts) break;
        let wait: number;
        if (e.retryAfterMs !== null) {
          if (e.retryAfterMs > this.opts.maxRetryAfterMs) {
            throw sourceFailed(
              { ...d, reason: "rate-limited", attempts: attempt },
              `${e.failure.message}${d.reason === "rate-limited" ? "" : ` The service asks to wait ${Math.ceil(e.retryAfterMs / 1000)} s before retrying.`} That is longer than the ${Math.round(this.opts.maxRetryAfterMs / 1000)} s this client waits: try again later.`,
              { secrets },
            );
          }
          wait = e.retryAfterMs;
          this.politeness.holdUntil(key, this.opts.clock.now() + wait);
        } else {
          const base = Math.min(this.opts.maxBackoffMs, this.opts.backoffMs * 2 ** (attempt - 1));
          wait = Math.round(base / 2 + (base / 2) * this.opts.random());
        }
        this.logger.warn(
          scrub(
            `source ${req.adapter}: ${e.failure.message}; retry ${attempt}/${this.opts.retries} in ${wait} ms`,
            secrets,
          ),
        );
        try {
          await this.opts.clock.sleep(wait, req.signal);
        } catch {
          throw aborted(req);
        }
      }
    }
    const d = (lastFailure?.details ?? {
      adapter: req.adapter,
      reason: "network",
    }) as unknown as SourceFailureDetails;
    throw sourceFailed(
      { ...d, attempts: maxAttempts },
      `${lastFailure?.message ?? "request failed"} (gave up after ${maxAttempts} attempt${maxAttempts === 1 ? "" : "s"})`,
      {
        secrets,
        cause: lastFailure,
      },
    );
  }

  private async fetchOnce(
    req: HttpRequest,
    url: URL,
    headers: Record<string, string>,
    attempt: number,
  ): Promise<HttpResponse> {
    const secrets = req.secrets ?? [];
    const shown = displayUrl(url);
    const timeoutMs = req.timeoutMs ?? this.opts.timeoutMs;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort();
    req.signal?.addEventListener("abort", onAbort, { once: true });
    const base = { adapter: req.adapter, url: shown, attempts: attempt };
    try {
      let res: Awaited<ReturnType<typeof fetch>>;
      try {
        res = await undici().fetch(url, {
          method: "GET",
          headers,
          signal: controller.signal,
          dispatcher: this.dispatcher,
          redirect: "follow",
        });
      } catch (e) {
        if (req.signal?.aborted) throw aborted(req);
        if (timedOut) {
          throw new RetryableFailure(
            sourceFailed(
              { ...base, reason: "timeout" },
              `No response from ${url.host} within ${timeoutMs} ms (${shown})`,
              { secrets },
            ),
            null,
          );
        }
        const code = errorCode(e) ?? "network error";
        throw new RetryableFailure(
          sourceFailed({ ...base, reason: "network" }, `Could not reach ${url.host}: ${code} (${shown})`, {
            secrets,
            cause: e,
          }),
          null,
        );
      }
      const contentType = (res.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      const charset = /charset=([^;]+)/i
        .exec(res.headers.get("content-type") ?? "")?.[1]
        ?.trim()
        .replace(/^"|"$/g, "");
      const declared = Number(res.headers.get("content-length") ?? Number.NaN);
      if (
        Number.isFinite(declared) &&
        declared > this.opts.maxBodyBytes &&
        !res.headers.get("content-encoding")
      ) {
        controller.abort();
        throw sourceFailed(
          { ...base, reason: "body-too-large", status: res.status },
          `${url.host} announced a ${declared}-byte body, over the ${this.opts.maxBodyBytes}-byte limit (${shown}). Ask for fewer results or raise http.maxBodyBytes.`,
          { secrets },
        );
      }
      let body: string;
      try {
        body = await readBody(res, this.opts.maxBodyBytes, charset, controller);
      } catch (e) {
        if (e instanceof BodyTooLarge) {
          throw sourceFailed(
            { ...base, reason: "body-too-large", status: res.status },
            `The response from ${url.host} exceeded the ${this.opts.maxBodyBytes}-byte limit and was cut off (${shown}). Ask for fewer results or raise http.maxBodyBytes.`,
            { secrets },
          );
        }
        if (req.signal?.aborted) throw aborted(req);
        if (timedOut) {
          throw new RetryableFailure(
            sourceFailed(
              { ...base, reason: "timeout", status: res.status },
              `The body from ${url.host} did not arrive within ${timeoutMs} ms (${shown})`,
              { secrets },
            ),
            null,
          );
        }
        const code = errorCode(e) ?? (e instanceof Error ? e.message : "connection closed");
        throw new RetryableFailure(
          sourceFailed(
            { ...base, reason: "network", status: res.status },
            `The response from ${url.host} was truncated (${code}) (${shown})`,
            { secrets, cause: e },
          ),
          null,
        );
      }
      const response: HttpResponse = {
        status: res.status,
        url: res.url || url.href,
        contentType,
        body,
        fromCache: false,
      };
      if (res.status >= 200 && res.status < 300) return response;
      if (req.allowStatus?.includes(res.status)) return response;
      const excerpt = bodyExcerpt(body, contentType);
      const statusText = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
      // A 403 is a rate limit when the headers say so, or when its body does (GitHub's
      // secondary and abuse limits may come without any rate-limit header).
      const rateLimited =
        res.status === 429 ||
        (res.status === 403 &&
          (res.headers.get("x-ratelimit-remaining") === "0" ||
            res.headers.get("retry-after") !== null ||
            RATE_LIMIT_BODY.test(excerpt)));
      if (rateLimited || res.status >= 500) {
        const now = this.opts.clock.now();
        let retryAfter = parseRetryAfter(res.headers.get("retry-after"), now);
        if (retryAfter === null && rateLimited) {
          const reset = Number(res.headers.get("x-ratelimit-reset") ?? Number.NaN);
          if (Number.isFinite(reset) && reset > 1e9) retryAfter = Math.max(0, reset * 1000 - now);
        }
        const advice = rateLimited
          ? ` Rate limited by ${url.host}: ${retryAdvice(retryAfter, excerpt, now, res.status)}.${req.rateLimitHint ? ` ${req.rateLimitHint}` : ""}`
          : "";
        // A 403 rate limit that names no time: wait a minute (as GitHub asks), not a quick backoff.
        if (retryAfter === null && rateLimited && res.status === 403) retryAfter = 60_000;
        throw new RetryableFailure(
          sourceFailed(
            { ...base, reason: rateLimited ? "rate-limited" : "http-status", status: res.status },
            `${statusText} from ${shown}${excerpt ? `: ${excerpt.replace(/[.\s]+$/, "")}` : ""}.${advice}`,
            { secrets },
          ),
          retryAfter,
        );
      }
      const hint =
        res.status === 401 || res.status === 403
          ? " Check the API key or token for this source."
          : res.status === 404
            ? " The resource does not exist (check the baseUrl or the identifier)."
            : res.status === 400 || res.status === 422
              ? " The service rejected the query."
              : "";
      throw sourceFailed(
        { ...base, reason: "http-status", status: res.status },
        `${statusText} from ${shown}${excerpt ? `: ${excerpt}` : ""}.${hint}`,
        { secrets },
      );
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", onAbort);
    }
  }
}

class BodyTooLarge extends Error {}

async function readBody(
  res: Awaited<ReturnType<typeof fetch>>,
  limit: number,
  charset: string | undefined,
  controller: AbortController,
): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (res.body) {
    for await (const chunk of res.body) {
      const c = chunk as Uint8Array;
      total += c.byteLength;
      if (total > limit) {
        controller.abort();
        throw new BodyTooLarge();
      }
      chunks.push(c);
    }
  }
  const all = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.byteLength;
  }
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(charset || "utf-8", { fatal: false });
  } catch {
    decoder = new TextDecoder("utf-8", { fatal: false });
  }
  return decoder.decode(all);
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "the service";
  }
}

function aborted(req: HttpRequest): SynthforgeError {
  return new SynthforgeError("ABORTED", `Request of source ${req.adapter} was aborted.`, {
    details: { adapter: req.adapter },
  });
}

function checkType(
  req: HttpRequest,
  res: HttpResponse,
  allowed: RegExp,
  expected: string,
  strict = false,
): void {
  const shown = displayUrl(new URL(res.url));
  const isHtml = HTML_TYPES.test(res.contentType) || (expected !== "HTML" && looksLikeHtml(res.body));
  if (expected !== "HTML" && isHtml) {
    throw sourceFailed(
      { adapter: req.adapter, reason: "html-error-page", status: res.status, url: shown },
      `${hostOf(res.url)} sent an HTML page where ${expected} was expected ("${bodyExcerpt(res.body, res.contentType)}"). The service may be down, blocking the request, or the baseUrl may point at a web page rather than the API.`,
      { secrets: req.secrets ?? [] },
    );
  }
  if (res.contentType && !allowed.test(res.contentType) && (strict || !/^\s*[[{<]/.test(res.body))) {
    throw sourceFailed(
      { adapter: req.adapter, reason: "content-type", status: res.status, url: shown },
      `${hostOf(res.url)} sent ${res.contentType} where ${expected} was expected.`,
      { secrets: req.secrets ?? [] },
    );
  }
}

const XML_DEFAULTS: Partial<X2jOptions> = {
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  removeNSPrefix: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: true,
};

/**
 * The JSON body of a response of a JSON type; a body that does not parse is a
 * `malformed-json` failure, its message "<host> sent a body that is " + `what(parse error)`.
 */
function parseJsonBody(req: HttpRequest, res: HttpResponse, what: (parseError: string) => string): unknown {
  checkType(req, res, JSON_TYPES, "JSON");
  try {
    return JSON.parse(res.body);
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).slice(0, 120);
    throw sourceFailed(
      {
        adapter: req.adapter,
        reason: "malformed-json",
        status: res.status,
        url: displayUrl(new URL(res.url)),
      },
      `${hostOf(res.url)} sent a body that is ${what(msg)}`,
      { secrets: req.secrets ?? [] },
    );
  }
}

// biome-ignore lint/suspicious/noExplicitAny: parsed XML is an arbitrary tree
function parseXmlBody(req: HttpRequest, res: HttpResponse, parserOptions: Partial<X2jOptions>): any {
  checkType(req, res, XML_TYPES, "XML");
  const shown = displayUrl(new URL(res.url));
  const body = res.body.replace(/^\uFEFF/, "");
  if (!body.trim()) {
    throw sourceFailed(
      { adapter: req.adapter, reason: "malformed-xml", status: res.status, url: shown },
      `${hostOf(res.url)} sent an empty body where XML was expected.`,
      {
        secrets: req.secrets ?? [],
      },
    );
  }
  const valid = xml().XMLValidator.validate(body, { allowBooleanAttributes: true });
  if (valid !== true) {
    throw sourceFailed(
      { adapter: req.adapter, reason: "malformed-xml", status: res.status, url: shown },
      `${hostOf(res.url)} sent XML that does not parse (${valid.err.msg} at line ${valid.err.line}). The response may be truncated; try again later.`,
      { secrets: req.secrets ?? [] },
    );
  }
  try {
    return new (xml().XMLParser)({ ...XML_DEFAULTS, ...parserOptions }).parse(body);
  } catch (e) {
    throw sourceFailed(
      { adapter: req.adapter, reason: "malformed-xml", status: res.status, url: shown },
      `${hostOf(res.url)} sent XML that does not parse (${e instanceof Error ? e.message.slice(0, 120) : String(e)}).`,
      { secrets: req.secrets ?? [], cause: e },
    );
  }
}

let shared: HttpClient | null = null;

/**
 * The process-wide client used by adapters created without an `http` option. Its
 * contact address comes from `SYNTHFORGE_CONTACT` when set.
 */
export function defaultHttpClient(): HttpClient {
  if (!shared)
    shared = new HttpClient(
      process.env.SYNTHFORGE_CONTACT ? { contact: process.env.SYNTHFORGE_CONTACT } : {},
    );
  return shared;
}

/** Replaces the process-wide client (the CLI installs one built from the config). */
export function setDefaultHttpClient(client: HttpClient): void {
  shared = client;
}
