/**
 * `synthforge/testing`: utilities for testing pipelines built on synthforge without a
 * Gemini key or a network. {@link startGeminiWireServer} serves the Gemini REST wire
 * format (generateContent, streamGenerateContent and the Batch API) with content from the
 * offline provider, and injects latency and faults (429 with RetryInfo, 503, 500,
 * timeouts, malformed JSON, safety blocks). {@link startOpenAIWireServer} serves the OpenAI
 * Chat Completions wire format the same way, for the OpenAI-compatible provider.
 * {@link ManualClock} makes retries, rate limits and timeouts run without waiting.
 *
 * ```ts
 * import { createPipeline, geminiModels, sqliteStore } from "synthforge";
 * import { startGeminiWireServer } from "synthforge/testing";
 *
 * const server = await startGeminiWireServer({ faults: { rate429: 0.1 } });
 * // pass server.url as the Gemini provider's `baseUrl` (config `gemini.baseUrl`), run,
 * // then: await server.close();
 * ```
 *
 * @categoryDescription Gemini wire server
 * A local server speaking the Gemini REST API (and the Batch API), with injected faults.
 * @categoryDescription OpenAI wire server
 * A local server speaking OpenAI Chat Completions, with injected faults.
 * @categoryDescription Clocks
 * A clock the test advances by hand.
 *
 * @packageDocumentation
 * @module synthforge/testing
 */

// @category Clocks

export { ManualClock } from "../models/clock.js";

// @category Gemini wire server

export {
  type GeminiWireServer,
  startGeminiWireServer,
  type WireFaults,
  type WireServerOptions,
  type WireStats,
} from "./gemini-wire-server.js";

// @category OpenAI wire server

export {
  type OpenAIWireFault,
  type OpenAIWireFaults,
  type OpenAIWireRequest,
  type OpenAIWireServer,
  type OpenAIWireServerOptions,
  startOpenAIWireServer,
} from "./openai-wire-server.js";
