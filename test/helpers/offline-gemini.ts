import type { LlmRequest } from "@google/adk";
import { generationTask } from "../../src/agents/generation.js";
import { estimateTokens, readEnvelope } from "../../src/models/envelope.js";
import { offlineResponder } from "../../src/models/offline.js";
import "../../src/pipeline/pipeline.js";
import { listTrainingTypes } from "../../src/training-types/index.js";
import { buildErrorBody, buildSuccessBody, type StubHandler } from "./gemini-server.js";

for (const t of listTrainingTypes()) generationTask(t);

/**
 * A Gemini-wire handler whose answers come from the offline provider's responders: the
 * real genai client, HTTP and JSON, with deterministic content. `latencyMs` delays each
 * answer (to make a run slow enough to kill mid-way).
 */
export function offlineGeminiHandler(opts: { latencyMs?: number } = {}): StubHandler {
  return async (req) => {
    const env = readEnvelope({ contents: req.body.contents } as LlmRequest);
    if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
    const responder = env && offlineResponder(env.task);
    if (!env || !responder)
      return { status: 400, json: buildErrorBody(400, "INVALID_ARGUMENT", "unknown task") };
    const text = JSON.stringify(responder(env.input, { model: req.model, task: env.task }));
    const prompt = estimateTokens(JSON.stringify(req.body));
    return {
      status: 200,
      json: buildSuccessBody(text, {
        promptTokenCount: prompt,
        candidatesTokenCount: estimateTokens(text),
        modelVersion: req.model,
      }),
    };
  };
}
