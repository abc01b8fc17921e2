/**
 * `synthforge/testing`: utilities for testing pipelines built on synthforge without a
 * Gemini key or a network. {@link startGeminiWireServer} serves the Gemini REST wire
 * format (generateContent, streamGenerateContent and the Batch API) with content from the
 * offline provider, and injects latency and faults (429 with RetryInfo, 503, 500,
 * timeouts, malformed JSON, safety blocks). {@link startOpenAIWireServer} serves the OpenAI
 * Chat Completions wire format the same way, for the OpenAI-compatible provider.
 */

export { ManualClock } from "../models/clock.js";
export {
  type GeminiWireServer,
  startGeminiWireServer,
  type WireFaults,
  type WireServerOptions,
  type WireStats,
} from "./gemini-wire-server.js";
export {
  type OpenAIWireFault,
  type OpenAIWireFaults,
  type OpenAIWireRequest,
  type OpenAIWireServer,
  type OpenAIWireServerOptions,
  startOpenAIWireServer,
} from "./openai-wire-server.js";
