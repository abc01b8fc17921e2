import { resolve } from "node:path";
import { type SourceConfig, type SynthforgeConfig, sourceIs } from "../core/config.js";
import { SynthforgeError } from "../core/errors.js";
import type { AgentRole } from "../core/types.js";
import { geminiModels, offlineModels } from "../models/factories.js";
import { openaiCompatibleFromConfig, openaiCompatibleSettings } from "../models/openai-compatible.js";
import { DEFAULT_PRICES } from "../models/pricing.js";
import { prefixedProvider } from "../models/provider.js";
import { ModelRouter } from "../models/router.js";
import { corpusSource } from "../sources/corpus.js";
import { defaultHttpClient, HttpClient, setDefaultHttpClient } from "../sources/http.js";
import { localFilesSource } from "../sources/local-files.js";
import { type McpSourceOptions, mcpSource } from "../sources/mcp.js";
import { catalogueSourceIds, sourceIdKey } from "../sources/selection.js";
import type { SourceAdapter } from "../sources/types.js";
import { defaultStages, type PipelineOptions } from "./pipeline.js";
import { processRegistry, type Registry } from "./registry.js";

/**
 * Turning a parsed `synthforge.config.yaml` into `createPipeline()` options: the same code
 * the CLI runs, so a host with a config file does not re-implement providers, models and
 * sources.
 */

/**
 * The provider a run uses: `gemini`, `offline`, or the name of an OpenAI-compatible provider
 * (config `providers`, or a built-in one: ollama, lmstudio, vllm, llamacpp, openai).
 */
export type ProviderChoice = "gemini" | "offline" | (string & {});

/**
 * Which provider to use (`wanted`, else the config's `provider`, else `auto`: Gemini when
 * GEMINI_API_KEY / GOOGLE_API_KEY is set, offline otherwise), and the line that says so.
 *
 * @throws SynthforgeError `INVALID_REQUEST` for a provider name that is neither built in nor configured.
 */
export function chooseProvider(
  flags: { provider?: string },
  config: SynthforgeConfig,
): { provider: ProviderChoice; notice: string } {
  const wanted = flags.provider ?? config.provider ?? "auto";
  if (!["auto", "gemini", "offline"].includes(wanted)) {
    const openai = openaiCompatibleSettings(wanted, config.providers);
    if (openai)
      return {
        provider: wanted,
        notice: `Using ${wanted} (OpenAI-compatible server at ${openai.baseUrl}${openai.model ? `, model ${openai.model}` : ""}).`,
      };
    const named = Object.keys(config.providers ?? {});
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `--provider must be auto, gemini, offline, ollama, lmstudio, vllm, llamacpp, openai${named.length ? ` or a provider of the config (${named.join(", ")})` : " or a name under providers: in the config"}, got "${wanted}".`,
    );
  }
  const hasKey = Boolean(process.env.GEMINI_API_KEY?.trim() || process.env.GOOGLE_API_KEY?.trim());
  if (wanted === "gemini" || (wanted === "auto" && hasKey)) {
    return { provider: "gemini", notice: "Using Gemini (key from GEMINI_API_KEY / GOOGLE_API_KEY)." };
  }
  return {
    provider: "offline",
    notice:
      wanted === "offline"
        ? "Using the offline provider (deterministic, no network)."
        : "No GEMINI_API_KEY or GOOGLE_API_KEY set: using the offline provider (deterministic, no network). Set GEMINI_API_KEY to generate with Gemini.",
  };
}

/** The model router for the chosen provider, with the config's models and `models` over them per agent. */
export function modelsFromConfig(
  provider: ProviderChoice,
  config: SynthforgeConfig,
  models: Partial<Record<AgentRole, string>> = {},
): ModelRouter {
  // OpenAI-compatible providers: the chosen one (every agent) and `<name>:` model prefixes.
  const openai = openaiCompatibleFromConfig({
    provider,
    models: { ...config.models, ...models },
    fallbacks: config.fallbacks,
    providers: config.providers,
  });
  const hasOpenAI = Object.keys(openai.providers).length > 0;
  const routing = {
    models: openai.models,
    ...(config.rateLimits ? { rateLimits: config.rateLimits } : {}),
    ...(config.fallbacks ? { fallbacks: config.fallbacks } : {}),
    ...(config.prices || hasOpenAI
      ? { prices: { ...DEFAULT_PRICES, ...openai.prices, ...config.prices } }
      : {}),
  };
  if (openai.base) {
    const { [provider]: _base, ...others } = openai.providers;
    return new ModelRouter({ provider: prefixedProvider(openai.base, others), ...routing });
  }
  // Gemini or offline, with the agents whose model has a provider prefix on that provider.
  const withPrefixes = (base: ModelRouter) =>
    hasOpenAI
      ? new ModelRouter({ ...base.options, provider: prefixedProvider(base.provider, openai.providers) })
      : base;
  if (provider === "offline") return withPrefixes(offlineModels(routing));
  const g = config.gemini ?? {};
  return withPrefixes(
    geminiModels({
      ...routing,
      ...(g.baseUrl
        ? { baseUrl: g.baseUrl }
        : process.env.GOOGLE_GEMINI_BASE_URL
          ? { baseUrl: process.env.GOOGLE_GEMINI_BASE_URL }
          : {}),
      ...(g.retries !== undefined ? { retries: g.retries } : {}),
      ...(g.timeoutMs !== undefined ? { timeoutMs: g.timeoutMs } : {}),
      ...(g.apiVersion ? { apiVersion: g.apiVersion } : {}),
    }),
  );
}

/**
 * The sources' HTTP client from the config's `http` section; the contact address comes
 * from `http.contact`, else `SYNTHFORGE_CONTACT`.
 */
export function httpClientFromConfig(config: SynthforgeConfig): HttpClient {
  const h = config.http ?? {};
  const contact = h.contact ?? process.env.SYNTHFORGE_CONTACT;
  return new HttpClient({
    ...(contact ? { contact } : {}),
    ...(h.timeoutMs !== undefined ? { timeoutMs: h.timeoutMs } : {}),
    ...(h.maxBodyBytes !== undefined ? { maxBodyBytes: h.maxBodyBytes } : {}),
    ...(h.retries !== undefined ? { retries: h.retries } : {}),
    ...(h.cacheTtlSeconds !== undefined ? { cacheTtlMs: h.cacheTtlSeconds * 1000 } : {}),
  });
}

/**
 * Research sources from the config: `corpus` folders when given, else the config's
 * `sources` (relative paths from `configDir`), else the bundled corpus. Sets the shared
 * HTTP client from the config's `http` section. Ids are created through `registry`.
 */
export function sourcesFromConfig(
  config: SynthforgeConfig,
  configDir: string = process.cwd(),
  corpus: string[] = [],
  registry: Registry = processRegistry,
): SourceAdapter[] {
  if (corpus.length) return corpus.map((dir) => localFilesSource({ dir: resolve(dir) }));
  // Adapters created by id elsewhere (research picking sources by domain) share the configured client.
  if (config.http) setDefaultHttpClient(httpClientFromConfig(config));
  if (config.sources?.length) {
    let http: HttpClient | undefined;
    return config.sources.map((s) =>
      sourceFromConfig(s, configDir, () => (http ??= defaultHttpClient()), registry),
    );
  }
  return [corpusSource()];
}

/**
 * One `sources[]` entry of the config as an adapter: `corpus`, `localFiles`, `mcp`, or
 * any id of `registry` (built in or registered with `registerSource`). Public API
 * adapters get the client `http()` returns (one shared client: politeness, cache).
 */
export function sourceFromConfig(
  s: SourceConfig,
  configDir: string,
  http: () => HttpClient = defaultHttpClient,
  registry: Registry = processRegistry,
): SourceAdapter {
  if (sourceIs(s, "corpus")) return corpusSource();
  // An MCP server runs in the config file's folder unless the config says otherwise.
  if (sourceIs(s, "mcp"))
    return mcpSource({
      ...s,
      ...(s.command ? { cwd: resolve(configDir, s.cwd ?? ".") } : {}),
    } as McpSourceOptions);
  if (sourceIs(s, "localFiles"))
    return localFilesSource({
      dir: resolve(configDir, s.dir),
      ...(s.licence ? { licence: s.licence } : {}),
      ...(s.maxTextBytes ? { maxTextBytes: s.maxTextBytes } : {}),
    });
  // A public API adapter (or a registered one) from the source registry.
  return registry.createSource(s.type, {
    ...(s.options ?? {}),
    ...(s.baseUrl ? { baseUrl: s.baseUrl } : {}),
    ...(s.limit ? { limit: s.limit } : {}),
    ...(s.passagesPerDocument ? { passagesPerDocument: s.passagesPerDocument } : {}),
    http: http(),
  });
}

/**
 * The cache and Batch API options the engine settings and the config ask for.
 *
 * `batch` needs the response cache (a batch job's answers reach their candidates, and a
 * restarted run, through it), so it is refused together with `cache: false` (given, or in
 * the config), instead of turning the cache back on behind the user's back.
 *
 * @throws SynthforgeError `INVALID_REQUEST` for `batch` with `cache: false` given;
 *   `CONFIG_INVALID` for `batch` with `cache: false` in the config.
 */
export function engineOptions(
  flags: { cache?: boolean; batch?: boolean },
  config: SynthforgeConfig,
): Pick<PipelineOptions, "cache" | "batch"> {
  if (flags.batch && flags.cache === false) {
    throw new SynthforgeError(
      "INVALID_REQUEST",
      "--batch cannot be used with --no-cache: Batch API answers reach the run through the response cache; drop one of the two.",
    );
  }
  if (flags.batch && config.cache === false) {
    throw new SynthforgeError(
      "CONFIG_INVALID",
      "--batch cannot be used with `cache: false` in the config: Batch API answers reach the run through the response cache; remove that setting or drop --batch.",
    );
  }
  const out: Pick<PipelineOptions, "cache" | "batch"> = {};
  if (flags.cache === false) out.cache = false;
  else if (config.cache !== undefined) out.cache = config.cache;
  if (flags.batch) out.batch = { ...config.batch };
  return out;
}

/**
 * Checks that every id in `research.domainSources` is a catalogue source or a configured one.
 *
 * @throws SynthforgeError `CONFIG_INVALID` naming the domain and the unknown ids.
 */
export function checkDomainSources(config: SynthforgeConfig, sources: SourceAdapter[]): void {
  const known = new Set([...catalogueSourceIds(), ...sources.map((s) => s.id)].map(sourceIdKey));
  for (const [domain, ids] of Object.entries(config.research?.domainSources ?? {})) {
    const unknown = ids.filter((id) => !known.has(sourceIdKey(id)));
    if (unknown.length)
      throw new SynthforgeError(
        "CONFIG_INVALID",
        `research.domainSources.${domain} names unknown source(s) ${unknown.join(", ")}; use ids from \`synthforge sources list\` or of your configured sources (${sources.map((s) => s.id).join(", ")}).`,
      );
  }
}

/** What {@link pipelineOptionsFromConfig} takes besides the config. */
export interface ConfigOverrides {
  /** `auto` (default: the config's `provider`, else Gemini with a key, offline without), `gemini`, `offline`, or a configured OpenAI-compatible provider. */
  provider?: string;
  /** Models per agent role, over the config's `models`. */
  models?: Partial<Record<AgentRole, string>>;
  /** The folder relative paths of the config are resolved from (the config file's folder). Default: the working folder. */
  configDir?: string;
  /** `false` turns the response cache off (over the config's `cache`). */
  cache?: boolean;
  /** Bulk generation and review through the Gemini Batch API (needs the cache). */
  batch?: boolean;
  /** The registry sources are created from and that the pipeline gets. Default {@link processRegistry}. */
  registry?: Registry;
}

/**
 * The `createPipeline()` options (all but `storage`) a parsed `synthforge.config.yaml`
 * asks for: the provider and models (with fallbacks, rate limits and prices), the research
 * sources (config `sources`, by registry id — built in or registered), concurrency, budget,
 * review thresholds, dedup and benchmarks, research settings, licence policy, type options,
 * cache and Batch API. The CLI builds every run this way.
 *
 * ```ts
 * const { config, path } = loadConfig("synthforge.config.yaml");
 * await loadPlugins(config.plugins ?? [], { baseDir: dirname(path!) });
 * const pipeline = createPipeline({
 *   storage: openStore(config.db ?? "./synthforge.db"),
 *   ...pipelineOptionsFromConfig(config, { configDir: dirname(path!) }),
 * });
 * ```
 *
 * Plugins named by the config are not loaded here: load them first with `loadPlugins`
 * (then load the config, so that it may name the sources and types they register).
 *
 * @throws SynthforgeError `INVALID_REQUEST` for an unknown provider or batch without cache;
 *   `CONFIG_INVALID` for an unknown source, an invalid source option, or an unknown id in
 *   `research.domainSources`.
 */
export function pipelineOptionsFromConfig(
  config: SynthforgeConfig,
  overrides: ConfigOverrides = {},
): Omit<PipelineOptions, "storage"> {
  const configDir = overrides.configDir ?? process.cwd();
  const { provider } = chooseProvider({ provider: overrides.provider }, config);
  const { dedup, benchmarks, ...thresholds } = config.review ?? {};
  const registry = overrides.registry ?? processRegistry;
  const sources = sourcesFromConfig(config, configDir, [], registry);
  checkDomainSources(config, sources);
  return {
    models: modelsFromConfig(provider, config, overrides.models),
    sources,
    ...(overrides.registry ? { registry } : {}),
    concurrency: config.concurrency ?? 8,
    budget: config.budget ?? {},
    stages: defaultStages({
      ...(config.research ? { research: config.research } : {}),
      review: {
        ...(dedup ? { dedup } : {}),
        ...(benchmarks?.length ? { benchmarks: benchmarks.map((f) => resolve(configDir, f)) } : {}),
      },
    }),
    review: thresholds,
    ...(config.licencePolicy ? { licencePolicy: config.licencePolicy } : {}),
    ...(config.typeOptions && Object.keys(config.typeOptions).length
      ? { typeOptions: config.typeOptions }
      : {}),
    ...engineOptions(
      {
        ...(overrides.cache !== undefined ? { cache: overrides.cache } : {}),
        ...(overrides.batch ? { batch: true } : {}),
      },
      config,
    ),
  };
}
