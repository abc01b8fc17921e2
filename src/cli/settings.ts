import { isAbsolute, relative, resolve, sep } from "node:path";
import { loadConfig, type SourceConfig, type SynthforgeConfig } from "../core/config.js";
import { SynthforgeError } from "../core/errors.js";
import { AGENT_ROLES, type AgentRole } from "../core/types.js";
import { geminiModels, offlineModels } from "../models/factories.js";
import { DEFAULT_PRICES } from "../models/pricing.js";
import type { ModelRouter } from "../models/router.js";
import { corpusSource } from "../sources/corpus.js";
import { defaultHttpClient, HttpClient, setDefaultHttpClient } from "../sources/http.js";
import { type LocalFilesSource, localFilesSource } from "../sources/local-files.js";
import { type McpSourceOptions, mcpSource } from "../sources/mcp.js";
import { createSource } from "../sources/registry.js";
import type { SourceAdapter } from "../sources/types.js";

/** Flags shared by the commands that open a database. */
export interface CommonFlags {
  db?: string;
  config?: string;
}

/** Flags of `generate` that shape the pipeline. */
export interface PipelineFlags extends CommonFlags {
  provider?: string;
  model?: string[];
  corpus?: string[];
  concurrency?: string;
  maxCandidates?: string;
  maxUsd?: string;
}

/** Default database file. */
export const DEFAULT_DB = "./synthforge.db";

/** The database target: `--db`, then `SYNTHFORGE_DB`, then the config, then `./synthforge.db`. */
export function dbTarget(flags: CommonFlags, config: SynthforgeConfig): string {
  return flags.db ?? process.env.SYNTHFORGE_DB ?? config.db ?? DEFAULT_DB;
}

/** Loads the config file named by `--config`, or `synthforge.config.yaml` when present. */
export function readConfig(flags: CommonFlags): SynthforgeConfig {
  return loadConfig(flags.config).config;
}

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new SynthforgeError("INVALID_REQUEST", `--${name} must be a positive whole number, got "${v}".`);
  return n;
}

function positiveNumber(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new SynthforgeError("INVALID_REQUEST", `--${name} must be a positive number, got "${v}".`);
  return n;
}

/** `--model generation=gemini-2.5-pro` flags, checked. */
export function modelFlags(values: string[] | undefined): Partial<Record<AgentRole, string>> {
  const out: Partial<Record<AgentRole, string>> = {};
  for (const v of values ?? []) {
    const m = /^([a-z]+)=(.+)$/.exec(v.trim());
    if (!m || !(AGENT_ROLES as readonly string[]).includes(m[1]!)) {
      throw new SynthforgeError(
        "INVALID_REQUEST",
        `--model "${v}" must be <role>=<model> with role one of ${AGENT_ROLES.join(", ")}.`,
      );
    }
    out[m[1] as AgentRole] = m[2]!;
  }
  return out;
}

/** Which provider to use, and the line that says so. */
export function chooseProvider(
  flags: PipelineFlags,
  config: SynthforgeConfig,
): { provider: "gemini" | "offline"; notice: string } {
  const wanted = flags.provider ?? config.provider ?? "auto";
  if (!["auto", "gemini", "offline"].includes(wanted)) {
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `--provider must be auto, gemini or offline, got "${wanted}".`,
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

/** The model router for the chosen provider, with config and flag overrides per agent. */
export function buildModels(
  provider: "gemini" | "offline",
  flags: PipelineFlags,
  config: SynthforgeConfig,
): ModelRouter {
  const models = { ...config.models, ...modelFlags(flags.model) };
  const routing = {
    models,
    ...(config.rateLimits ? { rateLimits: config.rateLimits } : {}),
    ...(config.fallbacks ? { fallbacks: config.fallbacks } : {}),
    ...(config.prices ? { prices: { ...DEFAULT_PRICES, ...config.prices } } : {}),
  };
  if (provider === "offline") return offlineModels(routing);
  const g = config.gemini ?? {};
  return geminiModels({
    ...routing,
    ...(g.baseUrl
      ? { baseUrl: g.baseUrl }
      : process.env.GOOGLE_GEMINI_BASE_URL
        ? { baseUrl: process.env.GOOGLE_GEMINI_BASE_URL }
        : {}),
    ...(g.retries !== undefined ? { retries: g.retries } : {}),
    ...(g.timeoutMs !== undefined ? { timeoutMs: g.timeoutMs } : {}),
    ...(g.apiVersion ? { apiVersion: g.apiVersion } : {}),
  });
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

/** Research sources: `--corpus` folders, else the config's, else the bundled corpus. */
export function buildSources(
  flags: PipelineFlags,
  config: SynthforgeConfig,
  configDir: string,
): SourceAdapter[] {
  if (flags.corpus?.length) return flags.corpus.map((dir) => localFilesSource({ dir: resolve(dir) }));
  // Adapters created by id elsewhere (research picking sources by domain) share the configured client.
  if (config.http) setDefaultHttpClient(httpClientFromConfig(config));
  if (config.sources?.length) {
    let http: HttpClient | undefined;
    return config.sources.map((s) =>
      buildConfiguredSource(s, configDir, () => (http ??= defaultHttpClient())),
    );
  }
  return [corpusSource()];
}

/**
 * One `sources[]` entry of the config as an adapter. Public API adapters get the client
 * `http()` returns (one shared client: politeness, cache).
 */
export function buildConfiguredSource(
  s: SourceConfig,
  configDir: string,
  http: () => HttpClient,
): SourceAdapter {
  if (s.type === "corpus") return corpusSource();
  // An MCP server runs in the config file's folder unless the config says otherwise.
  if (s.type === "mcp")
    return mcpSource({
      ...s,
      ...(s.command ? { cwd: resolve(configDir, s.cwd ?? ".") } : {}),
    } as McpSourceOptions);
  if (s.type === "localFiles")
    return localFilesSource({
      dir: resolve(configDir, s.dir),
      ...(s.licence ? { licence: s.licence } : {}),
      ...(s.maxTextBytes ? { maxTextBytes: s.maxTextBytes } : {}),
    });
  // A public API adapter from the source registry.
  return createSource(s.type, {
    ...(s.options ?? {}),
    ...(s.baseUrl ? { baseUrl: s.baseUrl } : {}),
    ...(s.limit ? { limit: s.limit } : {}),
    ...(s.passagesPerDocument ? { passagesPerDocument: s.passagesPerDocument } : {}),
    http: http(),
  });
}

/** Numeric pipeline flags, checked. */
export function numericFlags(flags: PipelineFlags, config: SynthforgeConfig) {
  return {
    concurrency: positiveInt("concurrency", flags.concurrency) ?? config.concurrency ?? 8,
    budget: {
      ...config.budget,
      ...(flags.maxCandidates !== undefined
        ? { maxCandidates: positiveInt("max-candidates", flags.maxCandidates) }
        : {}),
      ...(flags.maxUsd !== undefined ? { maxUsd: positiveNumber("max-usd", flags.maxUsd) } : {}),
    },
  };
}

/** A path as a user would type it: `./notes/a.md` inside the working folder, else absolute. */
export function displayPath(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  if (rel && !rel.startsWith("..") && !isAbsolute(rel)) return `.${sep}${rel}`;
  return path;
}

/**
 * Reads the local folders among `sources` now, and prints one line per file they skip
 * (too large, binary, not UTF-8, an unreadable PDF) with the reason, before a run starts:
 * "skipped notes/big.html: larger than the 20 MB cap (30.1 MB)".
 */
export async function reportSkippedFiles(
  sources: readonly SourceAdapter[],
  io: { err: (line: string) => void },
): Promise<void> {
  for (const source of sources) {
    const load = (source as Partial<LocalFilesSource>).load;
    if (typeof load !== "function") continue;
    const { skipped } = await load.call(source);
    for (const f of skipped) io.err(`skipped ${displayPath(f.path).replace(/^\.[/\\]/, "")}: ${f.reason}`);
  }
}
