import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  currentConfigSchema,
  type LicencePolicyConfig,
  type SourceConfig,
  type SynthforgeConfig,
  sourceIs,
} from "../core/config.js";
import { SynthforgeError } from "../core/errors.js";
import {
  licencePolicyFlag,
  modelFlags,
  type PipelineFlags,
  type ProviderChoice,
  type SourceChoiceFlags,
  sourcesFlag,
} from "./settings.js";

/**
 * What a run needs to continue, stored with it (`runs.config.settings`): the config file
 * with the flags applied (paths absolute, secrets left out), the provider, and whether the
 * Gemini Batch API is on. `resume`, `retry-failed` and workers rebuild the pipeline from it
 * instead of from whatever the working folder holds later.
 */
export interface StoredSettings {
  version: 1;
  provider: ProviderChoice;
  batch: boolean;
  config: SynthforgeConfig;
}

/** The flags that change a run's settings, as the CLI names them. */
export interface SettingsFlags extends PipelineFlags, SourceChoiceFlags {
  cache?: boolean;
  batch?: boolean;
  dedup?: string;
  benchmark?: string[];
  typeOption?: string[];
}

/** A secret's place holder in stored settings (the value comes from the config at resume). */
const SECRET = "[secret: from the config file]";
const SECRET_NAME = /key|token|secret|password|passwd|auth|credential|cookie/i;

/** Sources with every path absolute (relative ones are the config file's folder's). */
export function absoluteSources(sources: SourceConfig[], configDir: string): SourceConfig[] {
  return sources.map((s) => {
    if (sourceIs(s, "localFiles")) return { ...s, dir: resolve(configDir, s.dir) };
    if (sourceIs(s, "mcp") && s.command) return { ...s, cwd: resolve(configDir, s.cwd ?? ".") };
    return s;
  });
}

/** `--corpus` folders as config sources. */
export function corpusSources(dirs: string[]): SourceConfig[] {
  return dirs.map((dir) => ({ type: "localFiles" as const, dir: resolve(dir) }));
}

/** The settings with secret values (MCP env and headers, API keys in source options) left out. */
export function withoutSecrets(settings: StoredSettings): StoredSettings {
  const hide = (o: Record<string, unknown> | undefined, all: boolean) =>
    o && Object.fromEntries(Object.entries(o).map(([k, v]) => [k, all || SECRET_NAME.test(k) ? SECRET : v]));
  const sources = settings.config.sources?.map((s): SourceConfig => {
    if (sourceIs(s, "mcp"))
      return {
        ...s,
        ...(s.env ? { env: hide(s.env, true) as Record<string, string> } : {}),
        ...(s.headers ? { headers: hide(s.headers, true) as Record<string, string> } : {}),
      };
    if ("options" in s && s.options) return { ...s, options: hide(s.options, false) };
    return s;
  });
  return { ...settings, config: { ...settings.config, ...(sources ? { sources } : {}) } };
}

/**
 * Puts the secrets back from the current config file: a source's hidden values come from
 * the configured source with the same id (MCP) or type (public APIs).
 */
export function withSecrets(settings: StoredSettings, current: SynthforgeConfig): StoredSettings {
  const sources = settings.config.sources?.map((s): SourceConfig => {
    const mine = current.sources?.find((c) =>
      sourceIs(s, "mcp") ? sourceIs(c, "mcp") && c.id === s.id : c.type === s.type,
    );
    const fill = (
      o: Record<string, unknown> | undefined,
      from: Record<string, unknown> | undefined,
      what: string,
    ) => {
      if (!o) return o;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) {
        if (v !== SECRET) out[k] = v;
        else if (from && from[k] !== undefined) out[k] = from[k];
        else
          throw new SynthforgeError(
            "CONFIG_INVALID",
            `The run's source ${"id" in s ? s.id : s.type} needs ${what} "${k}", which is not stored with the run (secrets never are): give it in synthforge.config.yaml under the same source.`,
          );
      }
      return out;
    };
    if (sourceIs(s, "mcp")) {
      const m = mine !== undefined && sourceIs(mine, "mcp") ? mine : undefined;
      return {
        ...s,
        ...(s.env ? { env: fill(s.env, m?.env, "the environment variable") as Record<string, string> } : {}),
        ...(s.headers
          ? { headers: fill(s.headers, m?.headers, "the header") as Record<string, string> }
          : {}),
      };
    }
    if ("options" in s && s.options) {
      const from = mine && "options" in mine ? mine.options : undefined;
      return { ...s, options: fill(s.options, from, "the option") };
    }
    return s;
  });
  return { ...settings, config: { ...settings.config, ...(sources ? { sources } : {}) } };
}

/** Reads the settings stored with a run, or null for a run made before they were stored. */
export function readStoredSettings(
  runConfig: Record<string, unknown>,
  loaded: readonly string[] = [],
): StoredSettings | null {
  const s = runConfig.settings as Partial<StoredSettings> | undefined;
  if (s?.version !== 1 || typeof s.provider !== "string" || !s.provider) return null;
  checkPlugins(s.config?.plugins, loaded);
  // With the sources and types plugins registered (a run of a plugin's type stores them).
  const parsed = currentConfigSchema().safeParse(s.config);
  if (!parsed.success)
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `The settings stored with this run are not readable by this synthforge (${parsed.error.issues[0]?.message}).`,
    );
  return { version: 1, provider: s.provider, batch: Boolean(s.batch), config: parsed.data };
}

/**
 * A run made with plugins continues only with the same plugins loaded. They are not loaded
 * from what the database says (a database is data; code runs only when the user names it
 * with --plugin or in a config file), so a missing one is an error naming the flag to add.
 *
 * @throws SynthforgeError `PLUGIN_FAILED` naming the plugins the run needs.
 */
function checkPlugins(stored: unknown, loaded: readonly string[]): void {
  if (!Array.isArray(stored)) return;
  const missing = stored.filter((p): p is string => typeof p === "string" && !loaded.includes(p));
  if (missing.length === 0) return;
  const shown = missing.map((p) => (p.startsWith("file:") ? fileURLToPath(p) : p));
  throw new SynthforgeError(
    "PLUGIN_FAILED",
    `This run was made with the plugin(s) ${shown.join(", ")}, which are not loaded; add ${shown.map((p) => `--plugin ${p}`).join(" ")} (or list them under plugins: in the config file) to continue it.`,
  );
}

/** A corpus folder of the run that has gone missing is an error, never a fall-back to other material. */
export function checkSourceFolders(settings: StoredSettings): void {
  for (const s of settings.config.sources ?? []) {
    if (!sourceIs(s, "localFiles")) continue;
    if (!existsSync(s.dir) || !statSync(s.dir).isDirectory())
      throw new SynthforgeError(
        "CORPUS_NOT_FOUND",
        `The run researches the folder ${s.dir}, which no longer exists. Put it back, or pass --corpus <dir> --override to research another folder.`,
      );
  }
}

/** One setting a resume flag would change. */
export interface SettingsChange {
  flag: string;
  stored: unknown;
  given: unknown;
}

/**
 * The settings a resume's explicit flags ask for, and what they change. `explicit` names
 * the flags the user typed (commander's option keys: `maxUsd`, `corpus`, `cache`...).
 */
export function applyResumeFlags(
  stored: StoredSettings,
  flags: SettingsFlags,
  explicit: ReadonlySet<string>,
  parse: {
    provider: () => ProviderChoice;
    budget: () => NonNullable<SynthforgeConfig["budget"]>;
    concurrency: () => number;
    typeOptions: () => NonNullable<SynthforgeConfig["typeOptions"]>;
  },
): { settings: StoredSettings; changes: SettingsChange[] } {
  const c = structuredClone(stored.config);
  const next: StoredSettings = { ...stored, config: c };
  const changes: SettingsChange[] = [];
  const set = <T>(flag: string, before: T, after: T, apply: () => void) => {
    if (JSON.stringify(before ?? null) === JSON.stringify(after ?? null)) return;
    changes.push({ flag, stored: before ?? "(not set)", given: after });
    apply();
  };
  if (explicit.has("provider")) {
    const p = parse.provider();
    set("--provider", stored.provider, p, () => {
      next.provider = p;
    });
  }
  if (explicit.has("model")) {
    const models = { ...c.models, ...modelFlags(flags.model) };
    set("--model", c.models, models, () => {
      c.models = models;
    });
  }
  // --corpus and --sources say the run's whole set of sources, as they do for generate.
  const corpus = explicit.has("corpus") && flags.corpus?.length ? flags.corpus : [];
  const ids = explicit.has("sources") && flags.sources !== undefined ? flags.sources : null;
  if (corpus.length || ids !== null) {
    const sources = [...corpusSources(corpus), ...(ids !== null ? sourcesFlag(ids) : [])];
    const flag =
      corpus.length && ids !== null ? "--corpus/--sources" : ids !== null ? "--sources" : "--corpus";
    if (JSON.stringify(c.sources ?? []) !== JSON.stringify(sources)) {
      changes.push({ flag, stored: describeSources(c.sources ?? []), given: describeSources(sources) });
      c.sources = sources;
    }
  }
  if (explicit.has("licencePolicy") && flags.licencePolicy !== undefined) {
    const policy = licencePolicyFlag(flags.licencePolicy);
    const before = describePolicy(c.licencePolicy ?? "permissive");
    const after = describePolicy(policy);
    if (before !== after) {
      changes.push({ flag: "--licence-policy", stored: before, given: after });
      c.licencePolicy = policy;
    }
  }
  if (explicit.has("concurrency")) {
    const n = parse.concurrency();
    set("--concurrency", c.concurrency, n, () => {
      c.concurrency = n;
    });
  }
  const budget = parse.budget();
  for (const [flag, key] of [
    ["--max-candidates", "maxCandidates"],
    ["--max-usd", "maxUsd"],
  ] as const) {
    if (!explicit.has(key)) continue;
    set(flag, c.budget?.[key], budget[key], () => {
      c.budget = { ...c.budget, [key]: budget[key] };
    });
  }
  if (explicit.has("cache")) {
    const cache = flags.cache !== false;
    set(cache ? "--cache" : "--no-cache", c.cache ?? true, cache, () => {
      c.cache = cache;
    });
  }
  if (explicit.has("batch")) {
    set("--batch", stored.batch, true, () => {
      next.batch = true;
    });
  }
  if (explicit.has("dedup")) {
    set("--dedup", c.review?.dedup, flags.dedup, () => {
      c.review = { ...c.review, dedup: flags.dedup as "run" | "database" | "off" };
    });
  }
  if (explicit.has("benchmark")) {
    const files = (flags.benchmark ?? []).map((f) => resolve(f));
    set("--benchmark", c.review?.benchmarks, files, () => {
      c.review = { ...c.review, benchmarks: files };
    });
  }
  if (explicit.has("typeOption")) {
    const typeOptions = parse.typeOptions();
    set("--type-option", c.typeOptions, typeOptions, () => {
      c.typeOptions = typeOptions;
    });
  }
  return { settings: next, changes };
}

/** Sources in one line, as the flags name them: ids, and the folders of local files ("localFiles:/data/notes, wikipedia"). */
export function describeSources(sources: SourceConfig[]): string {
  if (sources.length === 0) return "(not set)";
  return sources
    .map((s) =>
      sourceIs(s, "localFiles") ? `localFiles:${s.dir}` : sourceIs(s, "mcp") ? `mcp:${s.id}` : s.type,
    )
    .join(", ");
}

/** A licence policy as `--licence-policy` writes it (permissive, any, allow:<SPDX>,…; deny ids after "deny:"). */
export function describePolicy(policy: LicencePolicyConfig): string {
  if (typeof policy === "string") return policy;
  const parts = [
    policy.allow.length ? `allow:${policy.allow.join(",")}` : policy.base,
    ...(policy.allow.length && policy.base !== "permissive" ? [`base ${policy.base}`] : []),
    ...(policy.deny.length ? [`deny:${policy.deny.join(",")}`] : []),
  ];
  return parts.join(" ");
}

/** The one-line refusal of a resume whose flags differ from the run's stored settings. */
export function changesRefused(changes: SettingsChange[]): SynthforgeError {
  const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  return new SynthforgeError(
    "INVALID_REQUEST",
    `These flags differ from the settings the run was made with: ${changes
      .map((c) => `${c.flag} (the run has ${show(c.stored)}, you gave ${show(c.given)})`)
      .join("; ")}. Pass --override to change them for the rest of the run, or leave them out.`,
  );
}
