import type { BaseLlmConnection, LlmRequest, LlmResponse } from "@google/adk";
import { SynthforgeError } from "../core/errors.js";
import { BaseLlm } from "./adk.js";
import { estimateTokens, readEnvelope, requestText } from "./envelope.js";
import { offlineResponder } from "./offline.js";
import type { ModelProvider } from "./provider.js";

/** What a script returns for one call: an output object, a raw response, or an error to throw. */
export type ScriptReply =
  | { output: unknown }
  | { text: string }
  | { response: LlmResponse }
  | { error: Error }
  | undefined;

/** A call as the script sees it. */
export interface ScriptCall {
  task: string;
  input: unknown;
  model: string;
  /** 0-based index of this call among all calls of the provider. */
  n: number;
  request: LlmRequest;
}

/**
 * A scripted provider for tests: `script(call)` decides each reply. Returning
 * `undefined` falls back to the offline answer for the task, so a test scripts only
 * what it cares about. Every call is kept in `calls`.
 */
export function scriptedProvider(
  script: (call: ScriptCall) => ScriptReply | Promise<ScriptReply>,
): ModelProvider & { calls: ScriptCall[] } {
  const calls: ScriptCall[] = [];
  class ScriptedLlm extends BaseLlm {
    override async *generateContentAsync(req: LlmRequest): AsyncGenerator<LlmResponse, void> {
      const env = readEnvelope(req) ?? { task: "", input: null };
      const call: ScriptCall = {
        task: env.task,
        input: env.input,
        model: this.model,
        n: calls.length,
        request: req,
      };
      calls.push(call);
      let reply = await script(call);
      if (reply === undefined) {
        const fallback = offlineResponder(env.task);
        if (!fallback)
          throw new SynthforgeError("MODEL_ERROR", `scripted provider: no reply for task "${env.task}"`);
        reply = { output: fallback(env.input, { model: this.model, task: env.task }) };
      }
      if ("error" in reply) throw reply.error;
      if ("response" in reply) {
        yield reply.response;
        return;
      }
      const text = "text" in reply ? reply.text : JSON.stringify(reply.output);
      const inTok = estimateTokens(requestText(req));
      const outTok = estimateTokens(text);
      yield {
        content: { role: "model", parts: [{ text }] },
        usageMetadata: {
          promptTokenCount: inTok,
          candidatesTokenCount: outTok,
          totalTokenCount: inTok + outTok,
        },
      };
    }
    override connect(): Promise<BaseLlmConnection> {
      throw new SynthforgeError("MODEL_ERROR", "scripted provider: no live connections");
    }
  }
  return { name: "scripted", paid: false, calls, create: (model: string) => new ScriptedLlm({ model }) };
}
