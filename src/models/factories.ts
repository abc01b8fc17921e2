import { SynthforgeError } from "../core/errors.js";
import { AGENT_ROLES, type AgentRole } from "../core/types.js";
import { type GeminiProviderOptions, geminiProvider } from "./gemini.js";
import { offlineProvider } from "./offline.js";
import {
  isLocalBaseUrl,
  type OpenAICompatibleProviderOptions,
  openaiCompatibleProvider,
  zeroPrices,
} from "./openai-compatible.js";
import { ModelRouter, type ModelRouterOptions } from "./router.js";
import { type ScriptCall, type ScriptReply, scriptedProvider } from "./scripted.js";

/** Model-name settings shared by the factories. */
export type RoutingOptions = Omit<ModelRouterOptions, "provider">;

/**
 * Gemini through ADK: each agent on its default tier (DESIGN §3.2) unless `models`
 * overrides it. The key comes from `apiKey` or env `GEMINI_API_KEY` / `GOOGLE_API_KEY`.
 */
export function geminiModels(opts: GeminiProviderOptions & RoutingOptions = {}): ModelRouter {
  const { models, proModel, prices, rateLimits, fallbacks, timeoutMs, breaker, clock, ...provider } = opts;
  return new ModelRouter({
    provider: geminiProvider({ ...provider, ...(timeoutMs !== undefined ? { timeoutMs } : {}) }),
    ...(models ? { models } : {}),
    ...(proModel ? { proModel } : {}),
    ...(prices ? { prices } : {}),
    ...(rateLimits ? { rateLimits } : {}),
    ...(fallbacks ? { fallbacks } : {}),
    ...(breaker ? { breaker } : {}),
    ...(clock ? { clock } : {}),
  });
}

/**
 * Every agent on an OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio, a hosted
 * API) through {@link openaiCompatibleProvider}. `model` is the model of every role that
 * `models` does not set (one of the two is needed per role: the Gemini defaults mean nothing
 * to another server). Calls to a local base URL are priced at $0 unless `prices` says otherwise.
 *
 * ```ts
 * const models = openaiCompatibleModels({ baseUrl: "http://localhost:11434/v1", name: "ollama", model: "qwen3:8b" });
 * ```
 *
 * @throws SynthforgeError `CONFIG_INVALID` when a role has no model, or the base URL is not a URL.
 */
export function openaiCompatibleModels(
  opts: OpenAICompatibleProviderOptions & RoutingOptions & { model?: string },
): ModelRouter {
  const { models, model, proModel, prices, rateLimits, fallbacks, timeoutMs, breaker, clock, ...provider } =
    opts;
  const perRole: Partial<Record<AgentRole, string>> = {};
  for (const role of AGENT_ROLES) {
    const name = models?.[role] ?? model;
    if (!name)
      throw new SynthforgeError(
        "CONFIG_INVALID",
        `openaiCompatibleModels: no model for the ${role} agent; pass \`model\` (every agent) or \`models.${role}\`.`,
      );
    perRole[role] = name;
  }
  const used = new Set([
    ...Object.values(perRole),
    ...(proModel ? [proModel] : []),
    ...Object.values(fallbacks ?? {}).flat(),
  ]);
  const local = isLocalBaseUrl(opts.baseUrl);
  const table = { ...(local ? zeroPrices(used) : {}), ...prices };
  return new ModelRouter({
    provider: openaiCompatibleProvider({ ...provider, ...(timeoutMs !== undefined ? { timeoutMs } : {}) }),
    models: perRole,
    proModel: proModel ?? perRole.generation!,
    ...(Object.keys(table).length ? { prices: table } : {}),
    ...(rateLimits ? { rateLimits } : {}),
    ...(fallbacks ? { fallbacks } : {}),
    ...(breaker ? { breaker } : {}),
    ...(clock ? { clock } : {}),
  });
}

/** The deterministic offline provider (no key, no network; DESIGN §6). */
export function offlineModels(opts: RoutingOptions = {}): ModelRouter {
  return new ModelRouter({ provider: offlineProvider(), ...opts });
}

/**
 * A scripted provider for tests: `script(call)` answers each call; returning
 * `undefined` falls back to the offline answer. The calls are in `router.calls`.
 */
export function scriptedModels(
  script: (call: ScriptCall) => ScriptReply | Promise<ScriptReply>,
  opts: RoutingOptions = {},
): ModelRouter & { calls: ScriptCall[] } {
  const provider = scriptedProvider(script);
  return Object.assign(new ModelRouter({ provider, ...opts }), { calls: provider.calls });
}
