/**
 * Typed errors. Every error a user can cause carries a stable `code` and a message
 * that says what to fix. Messages never contain secrets: anything that looks like an
 * API key or a password in a URL is redacted before it reaches the message.
 */

/** Stable error codes; one per thing a user (or a model) can get wrong. */
export type ErrorCode =
  | "INVALID_REQUEST"
  | "INVALID_COUNT"
  | "UNKNOWN_TRAINING_TYPE"
  | "CLARIFICATION_NEEDED"
  | "CONFIG_INVALID"
  | "DB_URL_INVALID"
  | "DB_UNREACHABLE"
  | "DB_SCHEMA"
  | "DB_NOT_FOUND"
  | "CORPUS_NOT_FOUND"
  | "NO_MATERIAL"
  | "SOURCE_FAILED"
  | "MODEL_ERROR"
  | "MODEL_OUTPUT_INVALID"
  | "RUN_NOT_FOUND"
  | "RUN_NOT_RESUMABLE"
  | "EXPORT_FORMAT_UNSUPPORTED"
  | "EXPORT_ROW_INVALID"
  | "EXPORT_EMPTY"
  | "BUDGET_EXHAUSTED"
  | "STAGE_NOT_FOUND"
  | "SANDBOX_UNAVAILABLE"
  | "BENCHMARK_INVALID"
  | "INPUT_FILE_INVALID"
  | "OUTPUT_PATH_INVALID"
  | "ABORTED"
  | "LEASE_LOST"
  | "QUOTA_FULL"
  | "HUB_AUTH_FAILED"
  | "HUB_REPO_CONFLICT"
  | "HUB_UNREACHABLE"
  | "HUB_REQUEST_FAILED"
  /** A plugin (`--plugin`, config `plugins:`) could not be found, loaded or run. */
  | "PLUGIN_FAILED";

/** The one error class synthforge throws for anything a caller can act on. */
export class SynthforgeError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Optional structured details (never secrets). */
  readonly details?: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(redactSecrets(message), options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SynthforgeError";
    this.code = code;
    if (options?.details) this.details = options.details;
  }
}

/** True when `e` is a {@link SynthforgeError}, optionally with the given code. */
export function isSynthforgeError(e: unknown, code?: ErrorCode): e is SynthforgeError {
  return (
    e instanceof Error &&
    e.name === "SynthforgeError" &&
    (code === undefined || (e as SynthforgeError).code === code)
  );
}

const SECRET_PATTERNS: Array<[RegExp, string]> = [
  // Google API keys
  [/AIza[0-9A-Za-z_-]{20,}/g, "[redacted-key]"],
  // key=... / api_key=... / token=... / password=... query parameters
  [
    /([?&](?:key|api_key|apikey|token|access_token|password|sslpassword|pass|pwd|secret|client_secret)=)[^&\s"']+/gi,
    "$1[redacted]",
  ],
  // The password field of a URL (scheme://user:password@host): everything between the
  // user's colon and the last "@" of the authority, as a URL parser reads it (a password
  // may hold an "@"). Only that field: the same characters elsewhere in a message stay.
  [/([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)[^/?#\s]*@/gi, "$1[redacted]@"],
  // A password with a raw "/" (not a valid URL, but still a secret the user typed).
  [/([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)(?!\[redacted\]@)[^\s@]*@/gi, "$1[redacted]@"],
  // Authorization / x-goog-api-key headers
  [/((?:authorization|x-goog-api-key)["']?\s*[:=]\s*["']?)(?:Bearer\s+)?[^\s"',}]+/gi, "$1[redacted]"],
];

/** Removes API keys, tokens and URL passwords from a string. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [re, rep] of SECRET_PATTERNS) out = out.replace(re, rep);
  for (const name of ["GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_API_KEY"]) {
    const v = typeof process !== "undefined" ? process.env[name] : undefined;
    if (v && v.length >= 8) out = out.split(v).join("[redacted-key]");
  }
  return out;
}

/** A one-line, secret-free description of any thrown value. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return redactSecrets(e.message.split("\n")[0] ?? e.message);
  return redactSecrets(String(e));
}
