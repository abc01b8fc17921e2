import type { BaseLlm, LlmRequest, LlmResponse } from "@google/adk";
import type { GenerateContentConfig, GenerateContentResponse } from "@google/genai";
import { loadSync } from "../core/load.js";
import { WrappedLlm } from "./middleware.js";

/**
 * The Gemini Batch API (`ai.batches`, notes/adk.md §6): many requests in one job, at
 * half the interactive price, answered within hours instead of seconds. A job is made of
 * inline requests, each carrying a `key` in its metadata; its answers come back with the
 * same keys.
 */

/** One inline request of a batch job. */
export interface BatchRequest {
  /** Our key for the request (sent as `metadata.key`). */
  key: string;
  contents: LlmRequest["contents"];
  config: GenerateContentConfig;
}

/** A job's state, as the SDK reports it. */
export type BatchJobState = "pending" | "running" | "succeeded" | "failed" | "cancelled" | "expired";

/** One answer of a finished job. */
export interface BatchAnswer {
  key: string;
  /** The answer's text (all text parts), when the request succeeded. */
  text: string | null;
  /** Why the request failed or produced no content (`SAFETY`, an error message), else null. */
  error: string | null;
  inputTokens: number;
  outputTokens: number;
}

/** What a job looks like when polled. */
export interface BatchJobStatus {
  state: BatchJobState;
  /** The answers, once the job succeeded. */
  answers: BatchAnswer[] | null;
  error: string | null;
}

/** Submits, polls and cancels batch jobs. The Gemini one is {@link geminiBatchClient}. */
export interface BatchJobClient {
  /** Submits a job; returns the provider's name of it (`batches/…`). */
  create(model: string, requests: BatchRequest[], displayName: string): Promise<string>;
  get(name: string): Promise<BatchJobStatus>;
  cancel(name: string): Promise<void>;
}

const STATES: Record<string, BatchJobState> = {
  JOB_STATE_PENDING: "pending",
  JOB_STATE_QUEUED: "pending",
  JOB_STATE_RUNNING: "running",
  JOB_STATE_SUCCEEDED: "succeeded",
  JOB_STATE_FAILED: "failed",
  JOB_STATE_CANCELLED: "cancelled",
  JOB_STATE_CANCELLING: "running",
  JOB_STATE_EXPIRED: "expired",
  JOB_STATE_PARTIALLY_SUCCEEDED: "succeeded",
};

/** True for a state a job does not leave. */
export function isTerminalBatchState(state: string): boolean {
  return state === "succeeded" || state === "failed" || state === "cancelled" || state === "expired";
}

function answerOf(key: string, response: GenerateContentResponse | undefined, error: unknown): BatchAnswer {
  const usage = response?.usageMetadata;
  const inputTokens = usage?.promptTokenCount ?? 0;
  const outputTokens = (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0);
  if (error || !response) {
    const msg = (error as { message?: unknown } | undefined)?.message;
    return {
      key,
      text: null,
      error: typeof msg === "string" ? msg : JSON.stringify(error ?? "no response"),
      inputTokens,
      outputTokens,
    };
  }
  const cand = response.candidates?.[0];
  const parts = cand?.content?.parts ?? [];
  const text = parts.map((p) => p.text ?? "").join("");
  if (!parts.length && cand?.finishReason)
    return { key, text: null, error: String(cand.finishReason), inputTokens, outputTokens };
  if (!cand && response.promptFeedback?.blockReason) {
    return { key, text: null, error: String(response.promptFeedback.blockReason), inputTokens, outputTokens };
  }
  return { key, text, error: null, inputTokens, outputTokens };
}

/** Options of {@link geminiBatchClient}. */
export interface GeminiBatchClientOptions {
  apiKey: string;
  baseUrl?: string;
  apiVersion?: string;
}

/** The Gemini Batch API through `@google/genai`'s `ai.batches`, with inline requests. */
export function geminiBatchClient(opts: GeminiBatchClientOptions): BatchJobClient {
  const { GoogleGenAI } = loadSync<typeof import("@google/genai")>("@google/genai");
  const ai = new GoogleGenAI({
    apiKey: opts.apiKey,
    ...(opts.baseUrl || opts.apiVersion
      ? {
          httpOptions: {
            ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
            ...(opts.apiVersion ? { apiVersion: opts.apiVersion } : {}),
          },
        }
      : {}),
  });
  return {
    async create(model, requests, displayName) {
      const job = await ai.batches.create({
        model,
        src: requests.map((r) => ({ contents: r.contents, config: r.config, metadata: { key: r.key } })),
        config: { displayName },
      });
      if (!job.name) throw new Error("the Batch API returned no job name");
      return job.name;
    },
    async get(name) {
      const job = await ai.batches.get({ name });
      const state = STATES[String(job.state)] ?? "pending";
      const inlined = job.dest?.inlinedResponses;
      const answers =
        state === "succeeded" && inlined
          ? inlined.map((r, i) => answerOf(r.metadata?.key ?? String(i), r.response, r.error))
          : null;
      return { state, answers, error: job.error ? JSON.stringify(job.error) : null };
    },
    async cancel(name) {
      await ai.batches.cancel({ name });
    },
  };
}

/** The inline request a batch job carries for an ADK request. */
export function batchRequestOf(key: string, req: LlmRequest): BatchRequest {
  const {
    abortSignal: _a,
    httpOptions: _h,
    labels: _l,
    ...config
  } = (req.config ?? {}) as GenerateContentConfig & {
    labels?: unknown;
  };
  return { key, contents: req.contents, config };
}

/** Where batched calls go: the pipeline's batch runner (`pipeline/batch.ts`). */
export interface BatchQueue {
  /** Roles whose calls are batched. */
  readonly roles: readonly string[];
  /**
   * Adds a request to the next job of `model` and resolves with its answer once the job
   * is done (the answer is also recorded in `llm_calls`, where the response cache finds
   * it after a restart).
   */
  enqueue(call: {
    role: string;
    model: string;
    requestHash: string;
    request: BatchRequest;
  }): Promise<LlmResponse>;
}

/**
 * The batch middleware: instead of calling the model, the request joins a Gemini Batch
 * API job through `queue`. Place it under the response cache (the cache tags the request
 * hash), which is how answers of jobs that finished while no process was waiting are
 * found again.
 */
export function batchedLlm(
  inner: BaseLlm,
  queue: BatchQueue,
  role: string,
  model: string,
  requestHash: (req: LlmRequest) => string,
): BaseLlm {
  return new WrappedLlm(inner, async function* (req) {
    const hash = requestHash(req);
    yield await queue.enqueue({ role, model, requestHash: hash, request: batchRequestOf(hash, req) });
  });
}
