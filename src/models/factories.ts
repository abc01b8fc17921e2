import { type GeminiProviderOptions, geminiProvider } from "./gemini.js";
import { offlineProvider } from "./offline.js";
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
