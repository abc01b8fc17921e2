import type { BaseLlmConnection, LlmRequest, LlmResponse } from "@google/adk";
import { SynthforgeError } from "../core/errors.js";
import { BaseLlm } from "./adk.js";
import { estimateTokens, readEnvelope, requestText } from "./envelope.js";
import type { ModelProvider } from "./provider.js";

/** Answers one task deterministically from its input. Returns the JSON output object. */
export type OfflineResponder = (input: unknown, ctx: { model: string; task: string }) => unknown;

const responders = new Map<string, OfflineResponder>();

/**
 * Registers the offline answer for a task (e.g. `generation.sft`). Agents and training
 * types register theirs beside their prompts, so the offline provider knows nothing
 * about any of them.
 */
export function registerOfflineResponder(task: string, responder: OfflineResponder): void {
  responders.set(task, responder);
}

/** The registered responder for a task, if any. */
export function offlineResponder(task: string): OfflineResponder | undefined {
  return responders.get(task);
}

/** Name of the offline model, stored in every row it produced. */
export const OFFLINE_MODEL = "synthforge-offline-1";

/**
 * A deterministic `BaseLlm` that answers each agent's enveloped request from the text
 * it is given (DESIGN §6). No network, no randomness: the same input gives the same output.
 */
export class OfflineLlm extends BaseLlm {
  static override readonly supportedModels = [/^synthforge-offline/];

  constructor(model = OFFLINE_MODEL) {
    super({ model });
  }

  override async *generateContentAsync(req: LlmRequest): AsyncGenerator<LlmResponse, void> {
    const env = readEnvelope(req);
    if (!env) {
      yield {
        errorCode: "OFFLINE_NO_TASK",
        errorMessage: "The offline provider only answers synthforge agent requests.",
      };
      return;
    }
    const responder = responders.get(env.task);
    if (!responder) {
      yield {
        errorCode: "OFFLINE_UNKNOWN_TASK",
        errorMessage: `The offline provider has no answer for task "${env.task}".`,
      };
      return;
    }
    const text = JSON.stringify(responder(env.input, { model: this.model, task: env.task }));
    const input = estimateTokens(requestText(req));
    const output = estimateTokens(text);
    yield {
      content: { role: "model", parts: [{ text }] },
      usageMetadata: {
        promptTokenCount: input,
        candidatesTokenCount: output,
        totalTokenCount: input + output,
      },
      finishReason: "STOP" as LlmResponse["finishReason"],
    };
  }

  override connect(): Promise<BaseLlmConnection> {
    throw new SynthforgeError("MODEL_ERROR", "The offline provider does not support live connections.");
  }
}

/**
 * The offline provider: every role gets the same deterministic model, whatever model
 * name was configured (the name is kept in the response for the record).
 */
export function offlineProvider(): ModelProvider {
  return { name: "offline", paid: false, create: () => new OfflineLlm() };
}
