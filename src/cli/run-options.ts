import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { loadConfig, type SynthforgeConfig } from "../core/config.js";
import { SynthforgeError } from "../core/errors.js";
import { TRAINING_TYPES } from "../core/types.js";
import { defaultStages, type PipelineOptions } from "../pipeline/pipeline.js";
import { catalogueSourceIds, sourceIdKey } from "../pipeline/research-stage.js";
import type { SourceAdapter } from "../sources/types.js";
import type { Store } from "../storage/store.js";
import { openStore } from "../storage/typeorm-store.js";
import { type EngineFlags, engineOptions } from "./engine-options.js";
import {
  buildModels,
  buildSources,
  type CommonFlags,
  chooseProvider,
  dbTarget,
  numericFlags,
  type PipelineFlags,
} from "./settings.js";

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
export type RunFlags = CommonFlags & PipelineFlags & EngineFlags & ReviewFlags & TypeOptionFlags;

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Adds the pipeline flags to a command (`--db` help text may differ per command). */
export function addRunOptions(
  cmd: Command,
  db = "SQLite file or postgres:// URL (default ./synthforge.db, or SYNTHFORGE_DB)",
): Command {
  return cmd
    .option("--db <path|url>", db)
    .option("-c, --config <file>", "config file (default ./synthforge.config.yaml when present)")
    .option("--provider <name>", "auto (default), gemini or offline")
    .option(
      "--model <role=model>",
      "model for an agent role, e.g. generation=gemini-2.5-pro (repeatable)",
      collect,
    )
    .option("--corpus <dir>", "research a local folder of md/txt/html/pdf notes (repeatable)", collect)
    .option("--concurrency <n>", "candidates worked on at once (default 8)")
    .option("--max-candidates <n>", "candidate budget (default max(3N, N+10))")
    .option("--max-usd <usd>", "model spend budget in USD")
    .option("--no-cache", "send every model call to the model (answers are still recorded for later runs)")
    .option("--batch", "bulk generation and review through the Gemini Batch API (50% price, slower)")
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
    if (!m || !(TRAINING_TYPES as readonly string[]).includes(m[1]!)) {
      throw new SynthforgeError(
        "INVALID_REQUEST",
        `--type-option takes type.key=value with a training type (${TRAINING_TYPES.join(", ")}), e.g. kto.desirableRatio=0.6; got "${flag}".`,
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
  options: Omit<PipelineOptions, "storage">;
}

/** Reads flags, the config file and the environment into pipeline options. Validates everything. */
export function runSettings(flags: RunFlags): RunSettings {
  const { config, path } = loadConfig(flags.config);
  const configDir = path ? dirname(path) : process.cwd();
  const { provider, notice } = chooseProvider(flags, config);
  const { concurrency, budget } = numericFlags(flags, config);
  const { dedup, benchmarks, ...thresholds } = config.review ?? {};
  const scope = flags.dedup ?? dedup;
  if (scope !== undefined && scope !== "run" && scope !== "database" && scope !== "off") {
    throw new SynthforgeError("INVALID_REQUEST", `--dedup must be run, database or off, got "${scope}".`);
  }
  const typeOptions = typeOptionsOf(flags, config);
  const sources = buildSources(flags, config, configDir);
  checkDomainSources(config, sources);
  const benchmarkFiles = [
    ...(benchmarks ?? []).map((f) => resolve(configDir, f)),
    ...(flags.benchmark ?? []).map((f) => resolve(f)),
  ];
  return {
    config,
    target: dbTarget(flags, config),
    notice,
    options: {
      models: buildModels(provider, flags, config),
      sources,
      concurrency,
      budget,
      stages: defaultStages({
        ...(config.research ? { research: config.research } : {}),
        review: {
          ...(scope ? { dedup: scope } : {}),
          ...(benchmarkFiles.length ? { benchmarks: benchmarkFiles } : {}),
        },
      }),
      review: thresholds,
      ...(config.licencePolicy ? { licencePolicy: config.licencePolicy } : {}),
      ...(Object.keys(typeOptions).length ? { typeOptions } : {}),
      ...engineOptions(flags, config),
    },
  };
}

/**
 * Refuses a `research.domainSources` entry that names no source synthforge knows and none
 * configured (a typo would otherwise silently fall back to every source).
 */
function checkDomainSources(config: SynthforgeConfig, sources: SourceAdapter[]): void {
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
