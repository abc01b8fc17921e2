import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { loadConfig, type SynthforgeConfig } from "../core/config.js";
import { SynthforgeError } from "../core/errors.js";
import { isTrainingTypeName, trainingTypeNames } from "../core/types.js";
import { findRun } from "../export/export.js";
import { pipelineOptionsFromConfig } from "../pipeline/config-options.js";
import type { PipelineOptions } from "../pipeline/pipeline.js";
import { loadedPlugins } from "../pipeline/plugins.js";
import type { RunRow, Store } from "../storage/store.js";
import { openStore } from "../storage/typeorm-store.js";
import type { EngineFlags } from "./engine-options.js";
import {
  type CommonFlags,
  chooseProvider,
  dbTarget,
  defaultSourceConfigs,
  licencePolicyFlag,
  modelFlags,
  numericFlags,
  type PipelineFlags,
  type ProviderChoice,
  type SourceChoiceFlags,
  sourcesFlag,
} from "./settings.js";
import {
  absoluteSources,
  applyResumeFlags,
  changesRefused,
  checkSourceFolders,
  corpusSources,
  readStoredSettings,
  type SettingsChange,
  type StoredSettings,
  withoutSecrets,
  withSecrets,
} from "./stored-settings.js";

/**
 * What the commands that run a pipeline (generate, resume, retry-failed, worker, submit)
 * share: their flags, and how flags, config file and environment become pipeline options.
 */

/** Review flags: dedup scope and benchmark files. */
export interface ReviewFlags {
  dedup?: string;
  benchmark?: string[];
}

/** Training-type options, each `type.key=value` (e.g. `kto.desirableRatio=0.6`). */
export interface TypeOptionFlags {
  typeOption?: string[];
}

/** Every flag that shapes a pipeline. */
export type RunFlags = CommonFlags &
  PipelineFlags &
  SourceChoiceFlags &
  EngineFlags &
  ReviewFlags &
  TypeOptionFlags;

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Adds the pipeline flags to a command (`--db` help text may differ per command). */
export function addRunOptions(
  cmd: Command,
  db = "SQLite file or postgres:// URL (default ./synthforge.db, or SYNTHFORGE_DB)",
): Command {
  return cmd
    .option("--db <path|url>", db)
    .option("-c, --config <file>", "config file (default ./synthforge.config.yaml when present)")
    .option(
      "--provider <name>",
      "auto (default), gemini, offline, or an OpenAI-compatible provider (ollama, lmstudio, vllm, llamacpp, openai, or one under providers: in the config)",
    )
    .option(
      "--model <role=model>",
      "model for an agent role, e.g. generation=gemini-2.5-pro (repeatable)",
      collect,
    )
    .option("--corpus <dir>", "research a local folder of md/txt/html/pdf notes (repeatable)", collect)
    .option(
      "--sources <ids>",
      "research only these sources, comma-separated ids from `synthforge sources list` (e.g. wikipedia,arxiv,corpus)",
    )
    .option(
      "--licence-policy <policy>",
      "which source licences research may use: permissive (default), any, or allow:<SPDX>,<SPDX>",
    )
    .option(
      "--concurrency <n>",
      "model calls made at once; three times as many candidates in work (default 8)",
    )
    .option("--max-candidates <n>", "candidate budget (default max(3N, N+10))")
    .option("--max-usd <usd>", "model spend budget in USD")
    .option(
      "--no-cache",
      "send every model call to the model (answers are still recorded for later runs); not with --batch",
    )
    .option(
      "--batch",
      "bulk generation and review through the Gemini Batch API (50% price, slower; needs the response cache, so not with --no-cache)",
    )
    .option("--dedup <scope>", "duplicate detection: run (default), database (across every run) or off")
    .option(
      "--benchmark <file>",
      "a benchmark file (JSONL, CSV, Parquet) the data must not overlap (repeatable)",
      collect,
    )
    .option(
      "--type-option <type.key=value>",
      "an option of a training type, e.g. kto.desirableRatio=0.6 (repeatable; over the config's typeOptions)",
      collect,
    );
}

/**
 * The config's `typeOptions` with the `--type-option` flags over them. A value reads as a
 * number or boolean when it is one, otherwise as text ("3:2"); the training type validates it
 * when the pipeline is created.
 */
export function typeOptionsOf(
  flags: TypeOptionFlags,
  config: SynthforgeConfig,
): NonNullable<PipelineOptions["typeOptions"]> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [type, opts] of Object.entries(config.typeOptions ?? {})) out[type] = { ...opts };
  for (const flag of flags.typeOption ?? []) {
    const m = /^([a-z]+)\.([A-Za-z_][\w]*)=(.*)$/.exec(flag.trim());
    if (!m || !isTrainingTypeName(m[1]!)) {
      throw new SynthforgeError(
        "INVALID_REQUEST",
        `--type-option takes type.key=value with a training type (${trainingTypeNames().join(", ")}), e.g. kto.desirableRatio=0.6; got "${flag}".`,
      );
    }
    const [, type, key, text] = m as unknown as [string, string, string, string];
    const value = /^-?\d+(\.\d+)?$/.test(text)
      ? Number(text)
      : text === "true"
        ? true
        : text === "false"
          ? false
          : text;
    out[type] = { ...out[type], [key]: value };
  }
  return out;
}

/** Pipeline options (all but storage) from flags and config, plus where the data goes. */
export interface RunSettings {
  config: SynthforgeConfig;
  /** The database target (path or URL). */
  target: string;
  /** One line saying which provider runs. */
  notice: string;
  /** What the run is made with, stored with it (secrets left out) for resume and workers. */
  settings: StoredSettings;
  options: Omit<PipelineOptions, "storage">;
}

/** Reads flags, the config file and the environment into pipeline options. Validates everything. */
export function runSettings(flags: RunFlags): RunSettings {
  const { config, path } = loadConfig(flags.config);
  const configDir = path ? dirname(path) : process.cwd();
  const { provider, notice } = chooseProvider(flags, config);
  const settings = effectiveSettings(flags, config, configDir, provider);
  return {
    config,
    target: dbTarget(flags, config),
    notice,
    settings,
    options: optionsFromSettings(settings),
  };
}

/** The config with the flags applied, paths made absolute: what a new run is made with. */
export function effectiveSettings(
  flags: RunFlags,
  config: SynthforgeConfig,
  configDir: string,
  provider: ProviderChoice,
): StoredSettings {
  const { concurrency, budget } = numericFlags(flags, config);
  const scope = flags.dedup ?? config.review?.dedup;
  if (scope !== undefined && scope !== "run" && scope !== "database" && scope !== "off") {
    throw new SynthforgeError("INVALID_REQUEST", `--dedup must be run, database or off, got "${scope}".`);
  }
  const typeOptions = typeOptionsOf(flags, config);
  const benchmarks = [
    ...(config.review?.benchmarks ?? []).map((f) => resolve(configDir, f)),
    ...(flags.benchmark ?? []).map((f) => resolve(f)),
  ];
  // The plugins loaded now (from --plugin and the config's plugins:), as absolute file URLs.
  const { db: _db, plugins: _plugins, ...rest } = config;
  const plugins = loadedPlugins();
  const cache = flags.cache === false ? false : config.cache;
  return {
    version: 1,
    provider,
    batch: Boolean(flags.batch),
    config: {
      ...rest,
      models: { ...config.models, ...modelFlags(flags.model) },
      sources:
        flags.corpus?.length || flags.sources
          ? [...corpusSources(flags.corpus ?? []), ...(flags.sources ? sourcesFlag(flags.sources) : [])]
          : config.sources?.length
            ? absoluteSources(config.sources, configDir)
            : defaultSourceConfigs(provider),
      ...(flags.licencePolicy ? { licencePolicy: licencePolicyFlag(flags.licencePolicy) } : {}),
      concurrency,
      budget,
      review: {
        ...config.review,
        ...(scope ? { dedup: scope } : {}),
        ...(benchmarks.length ? { benchmarks } : {}),
      },
      ...(Object.keys(typeOptions).length ? { typeOptions } : {}),
      ...(cache !== undefined ? { cache } : {}),
      ...(plugins.length ? { plugins } : {}),
    },
  };
}

/** Pipeline options from a run's settings (a new run's, or the ones stored with a run). */
export function optionsFromSettings(settings: StoredSettings): Omit<PipelineOptions, "storage"> {
  const { config, provider } = settings;
  // Every path in the settings is absolute; the configured folder no longer matters.
  return {
    ...pipelineOptionsFromConfig(config, {
      provider,
      configDir: process.cwd(),
      ...(config.cache === false ? { cache: false } : {}),
      batch: settings.batch,
    }),
    settings: withoutSecrets(settings) as unknown as Record<string, unknown>,
  };
}

/** The settings and options to continue a stored run with (see {@link resumeSettings}). */
export interface ResumeSettings {
  notice: string;
  options: Omit<PipelineOptions, "storage">;
  /** What `--override` changed (to be stored with the run), or empty. */
  changes: SettingsChange[];
  /** The settings to store with the run when `changes` is not empty (secrets left out). */
  stored: Record<string, unknown> | null;
}

/**
 * Pipeline options to continue a run with: the settings stored with it, not the working
 * folder's config. A flag the user typed that differs from a stored setting is refused
 * with both values named, unless `--override` (then it replaces the setting from now on).
 * Secrets come from the current config; a research folder that has gone missing is an
 * error. Runs made before settings were stored continue with the flags and config.
 */
export function resumeSettings(
  flags: RunFlags & { override?: boolean },
  explicit: ReadonlySet<string>,
  runConfig: Record<string, unknown>,
): ResumeSettings {
  const stored = readStoredSettings(runConfig, loadedPlugins());
  if (!stored) {
    const legacy = runSettings(flags);
    return { notice: legacy.notice, options: legacy.options, changes: [], stored: null };
  }
  const { config: current, path } = loadConfig(flags.config);
  const configDir = path ? dirname(path) : process.cwd();
  let base = stored;
  const changes: SettingsChange[] = [];
  if (explicit.has("config")) {
    // Another config file: its settings, compared as a whole.
    const fresh = effectiveSettings({}, current, configDir, stored.provider);
    if (JSON.stringify(withoutSecrets(fresh).config) !== JSON.stringify(stored.config)) {
      changes.push({ flag: "--config", stored: "the run's stored settings", given: path ?? flags.config });
      base = { ...fresh, batch: stored.batch };
    }
  }
  const applied = applyResumeFlags(base, flags, explicit, {
    provider: () => chooseProvider(flags, current).provider,
    budget: () => numericFlags(flags, {}).budget,
    concurrency: () => numericFlags(flags, {}).concurrency,
    typeOptions: () => typeOptionsOf(flags, { ...current, typeOptions: base.config.typeOptions }),
  });
  changes.push(...applied.changes);
  if (changes.length && !flags.override) throw changesRefused(changes);
  const settings = withSecrets(applied.settings, current);
  checkSourceFolders(settings);
  const notice = chooseProvider({ provider: settings.provider }, settings.config).notice;
  const options = optionsFromSettings(settings);
  return { notice, options, changes, stored: changes.length ? (options.settings ?? null) : null };
}

/**
 * Refuses a `research.domainSources` entry that names no source synthforge knows and none
 * configured (a typo would otherwise silently fall back to every source).
 */
/** Opens and migrates the database; on failure closes it again and rethrows. */
export async function openReady(target: string): Promise<Store> {
  const store = openStore(target);
  try {
    await store.init();
    return store;
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
}

/** The options the user typed on the command line (commander's keys: `maxUsd`, `corpus`, `cache`...). */
export function explicitFlags(cmd: Command): Set<string> {
  return new Set(Object.keys(cmd.opts()).filter((k) => cmd.getOptionValueSource(k) === "cli"));
}

/** Refuses a SQLite file that does not exist (in db-target.ts: start-up, issue 15). */
import { mustExist } from "./db-target.js";

export { mustExist };

/**
 * Opens the database of an existing run and the settings to continue it with (see
 * {@link resumeSettings}); `--override` changes are stored with the run.
 */
export async function openStoredRun(
  flags: RunFlags & { override?: boolean },
  explicit: ReadonlySet<string>,
  runRef: string,
): Promise<{ store: Store; run: RunRow; resume: ResumeSettings }> {
  const store = openStore(dbTarget(flags, loadConfig(flags.config).config));
  mustExist(store);
  try {
    await store.init();
    const run = await findRun(store, runRef);
    const resume = resumeSettings(flags, explicit, run.config);
    if (resume.stored) {
      await store.updateRun(run.id, {
        config: {
          ...run.config,
          settings: resume.stored,
          budget: resume.options.budget ?? {},
          concurrency: resume.options.concurrency,
        },
      });
    }
    return { store, run: (await store.getRun(run.id)) ?? run, resume };
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
}

/** Lines saying what `--override` changed. */
export function overrideLines(changes: SettingsChange[]): string[] {
  const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  return changes.map(
    (c) => `--override: ${c.flag} is now ${show(c.given)} for this run (was ${show(c.stored)})`,
  );
}
