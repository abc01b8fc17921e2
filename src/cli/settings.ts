import {
  type LicencePolicyConfig,
  loadConfig,
  type SourceConfig,
  type SynthforgeConfig,
  sourceTypeNames,
} from "../core/config.js";
import { SynthforgeError } from "../core/errors.js";
import { AGENT_ROLES, type AgentRole } from "../core/types.js";
import type { ModelRouter } from "../models/router.js";
import {
  modelsFromConfig,
  type ProviderChoice,
  sourceFromConfig,
  sourcesFromConfig,
} from "../pipeline/config-options.js";
import type { HttpClient } from "../sources/http.js";
import { admits, licencePolicy as readLicencePolicy } from "../sources/licence.js";
import type { LocalFilesSource } from "../sources/local-files.js";
import { GROUNDING_SOURCE_IDS, getSourceDefinition, listSources } from "../sources/registry.js";
import type { SourceAdapter } from "../sources/types.js";
import { displayPath } from "./display-path.js";

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
  /** `--licence-policy`: permissive, any, or allow:<SPDX>,<SPDX>. */
  licencePolicy?: string;
}

/** `--sources` of the commands that run a pipeline (not `review`, whose `--no-sources` is a switch). */
export interface SourceChoiceFlags {
  /** Comma-separated source ids (e.g. wikipedia,arxiv,corpus). */
  sources?: string;
}

/** Default database file, and the database a command opens (in db-target.ts: start-up, issue 15). */
export { DEFAULT_DB, dbTarget } from "./db-target.js";

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

/** The provider a run uses (see {@link chooseProvider}). */
export type { ProviderChoice } from "../pipeline/config-options.js";
export { chooseProvider, httpClientFromConfig } from "../pipeline/config-options.js";

/** The model router for the chosen provider, with config and `--model` overrides per agent. */
export function buildModels(
  provider: ProviderChoice,
  flags: PipelineFlags,
  config: SynthforgeConfig,
): ModelRouter {
  return modelsFromConfig(provider, config, modelFlags(flags.model));
}

/**
 * `--licence-policy`: `permissive` (the default: only permissive licences), `any`
 * (everything but a deny list), or `allow:<SPDX>,<SPDX>` (permissive plus those ids,
 * a trailing `*` matching a prefix, e.g. `allow:CC-BY-NC-*`).
 */
export function licencePolicyFlag(value: string): LicencePolicyConfig {
  const v = value.trim();
  if (v === "permissive" || v === "any") return v;
  const m = /^allow:(.+)$/i.exec(v);
  const ids = m
    ? m[1]!
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean)
    : [];
  if (ids.length) return { base: "permissive", allow: ids, deny: [] };
  throw new SynthforgeError(
    "INVALID_REQUEST",
    `--licence-policy must be permissive, any, or allow:<SPDX ids> (e.g. allow:CC-BY-NC-4.0), got "${value}".`,
  );
}

/**
 * `--sources wikipedia,arxiv,corpus`: the sources research may search, by id (see
 * `synthforge sources list`), narrowing the default choice.
 */
export function sourcesFlag(value: string): SourceConfig[] {
  const ids = value
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  if (ids.length === 0)
    throw new SynthforgeError(
      "INVALID_REQUEST",
      "--sources needs at least one source id, e.g. --sources wikipedia,arxiv.",
    );
  return ids.map((id): SourceConfig => {
    const known = listSources().find((d) => d.id.toLowerCase() === id.toLowerCase());
    if (known?.id === "corpus") return { type: "corpus" };
    // Built-in adapters and those registered at run time (a plugin's source).
    if (known && sourceTypeNames().includes(known.id)) return { type: known.id };
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `--sources: unknown source "${id}"; use ids from \`synthforge sources list\` (${["corpus", ...sourceTypeNames()].join(", ")}), or --corpus <dir> for a folder.`,
    );
  });
}

/**
 * The sources of a run that configures none (no `--corpus`, `--sources` or config
 * `sources:`): the `SYNTHFORGE_SOURCES` environment variable when set (ids as for
 * `--sources`, e.g. `corpus`); else, with a model key (Gemini), the public catalogues
 * research chooses from by the plan's domain (Wikipedia plus the domain's catalogues,
 * {@link GROUNDING_SOURCE_IDS}); offline, the bundled corpus (no network).
 */
export function defaultSourceConfigs(provider: ProviderChoice): SourceConfig[] {
  const env = process.env.SYNTHFORGE_SOURCES?.trim();
  if (env) return sourcesFlag(env);
  if (provider === "offline") return [{ type: "corpus" }];
  return GROUNDING_SOURCE_IDS.filter((id) => getSourceDefinition(id)).map(
    (id) => ({ type: id }) as SourceConfig,
  );
}

/** Research sources: `--corpus` folders, else the config's, else the bundled corpus. */
export function buildSources(
  flags: PipelineFlags,
  config: SynthforgeConfig,
  configDir: string,
): SourceAdapter[] {
  return sourcesFromConfig(config, configDir, flags.corpus ?? []);
}

/**
 * One `sources[]` entry of the config as an adapter. Public API adapters get the client
 * `http()` returns (one shared client: politeness, cache).
 */
export const buildConfiguredSource: (
  s: SourceConfig,
  configDir: string,
  http: () => HttpClient,
) => SourceAdapter = sourceFromConfig;

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

/** A path as a user would type it (in display-path.ts: start-up, issue 15). */
export { displayPath };

/**
 * Reads the local folders among `sources` now, and prints one line per file they skip
 * (too large, binary, not UTF-8, an unreadable PDF) with the reason, before a run starts:
 * "skipped notes/big.html: larger than the 20 MB cap (30.1 MB)".
 */
export async function reportSkippedFiles(
  sources: readonly SourceAdapter[],
  io: { err: (line: string) => void },
  policy?: LicencePolicyConfig,
): Promise<void> {
  let local = 0;
  let documents = 0;
  const refused = new Map<string, number>();
  for (const source of sources) {
    const load = (source as Partial<LocalFilesSource>).load;
    if (typeof load !== "function") continue;
    local++;
    const { skipped, licences } = await load.call(source);
    for (const f of skipped) io.err(`skipped ${displayPath(f.path).replace(/^\.[/\\]/, "")}: ${f.reason}`);
    for (const l of licences ?? []) {
      documents++;
      if (!admits(readLicencePolicy(policy), l).ok) refused.set(l.spdx, (refused.get(l.spdx) ?? 0) + 1);
    }
  }
  // Only local folders, and the licence policy admits none of their notes: say so now,
  // before any model call, instead of a run that ends with "no ground truth".
  if (local === sources.length && documents > 0 && refused.size > 0) {
    const total = [...refused.values()].reduce((a, b) => a + b, 0);
    if (total === documents) throw licenceRefused(policy, refused, documents);
  }
}

/** The error for a corpus none of whose notes the licence policy admits. */
function licenceRefused(
  policy: LicencePolicyConfig | undefined,
  refused: Map<string, number>,
  documents: number,
): SynthforgeError {
  const p = readLicencePolicy(policy);
  const name = p.base + (p.allow.length ? ` + allow ${p.allow.join(",")}` : "");
  const found = [...refused.entries()].map(([id, n]) => `${n}× ${id}`).join(", ");
  return new SynthforgeError(
    "NO_MATERIAL",
    `None of the ${documents} note(s) in the corpus may be used under the licence policy "${name}" (licences found: ${found}). State each note's licence with a "license:" line in its front matter or a LICENSE file in the folder, or set the policy with --licence-policy any (or allow:<SPDX>, or licencePolicy in the config).`,
    { details: { policy: p, licences: Object.fromEntries(refused) } },
  );
}
