import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { SynthforgeError } from "./errors.js";
import { loadSync } from "./load.js";
import { AGENT_ROLES, type AgentRole, trainingTypeNames } from "./types.js";

/** Default model per agent role (DESIGN §3.2). */
export const DEFAULT_MODELS: Record<AgentRole, string> = {
  orchestrator: "gemini-3-pro-preview",
  question: "gemini-2.5-flash",
  research: "gemini-2.5-flash",
  generation: "gemini-2.5-flash",
  reviewer: "gemini-2.0-flash",
};

/** Models used for reasoning-heavy training types and deep review (DESIGN §3.2). */
export const PRO_MODEL = "gemini-3-pro-preview";

const modelsSchema = z
  .object(
    Object.fromEntries(AGENT_ROLES.map((r) => [r, z.string().min(1).optional()])) as Record<
      AgentRole,
      z.ZodOptional<z.ZodString>
    >,
  )
  .strict();

const sourceTypes: string[] = [];

/**
 * Records the id of a registered source adapter (`registerSource` calls it for the
 * built-ins and for those registered at run time), so that `sources: [{ type: <id> }]` in
 * a config file is accepted. The source registry is the one list of ids: this layer only
 * hears of them.
 */
export function registerSourceTypeName(id: string): void {
  if (!sourceTypes.includes(id)) sourceTypes.push(id);
}

/** Ids a config `sources[].type` may take for a registry adapter, in registration order. */
export function sourceTypeNames(): string[] {
  return [...sourceTypes];
}

function sourceConfigSchemaWith(remoteTypes: readonly string[]) {
  const localFiles = z
    .object({
      type: z.literal("localFiles"),
      dir: z.string().min(1),
      licence: z.string().optional(),
      // Text files larger than this are skipped with the reason (default 20 MB).
      maxTextBytes: z.number().int().positive().optional(),
    })
    .strict();
  const corpus = z.object({ type: z.literal("corpus") }).strict();
  // A registered adapter by id; adapter-specific settings go under `options` (API keys come from the environment).
  const adapter = z
    .object({
      type: z.string().min(1),
      baseUrl: z.string().url().optional(),
      limit: z.number().int().min(1).max(100).optional(),
      passagesPerDocument: z.number().int().min(1).max(50).optional(),
      options: z.record(z.string(), z.unknown()).optional(),
    })
    .strict();
  // Any MCP server's tool as a source (src/sources/mcp.ts): `command` + `args` (stdio) or `url` (Streamable HTTP).
  const mcp = z
    .object({
      type: z.literal("mcp"),
      id: z.string().min(1),
      description: z.string().optional(),
      command: z.string().min(1).optional(),
      args: z.array(z.string()).optional(),
      env: z.record(z.string(), z.string()).optional(),
      cwd: z.string().optional(),
      url: z.string().url().optional(),
      headers: z.record(z.string(), z.string()).optional(),
      tool: z.string().min(1),
      arguments: z.record(z.string(), z.unknown()).optional(),
      read: z
        .object({
          tool: z.string().min(1),
          arguments: z.record(z.string(), z.unknown()).optional(),
          maxItems: z.number().int().positive().optional(),
        })
        .strict()
        .optional(),
      licence: z.string().optional(),
      rank: z.enum(["bm25", "server"]).optional(),
      passagesPerDocument: z.number().int().positive().optional(),
      timeoutMs: z.number().int().positive().optional(),
    })
    .strict()
    .refine((s) => Boolean(s.command) !== Boolean(s.url), {
      message: "an mcp source needs either command (+ args) or url, not both",
    });
  const fixed = { localFiles, corpus, mcp } as const;
  type Entry = z.infer<typeof localFiles | typeof corpus | typeof mcp | typeof adapter>;
  // An entry is checked by the schema its `type` names. An adapter id must be registered;
  // when no adapter is (a command that never loads the source registry, such as `export`),
  // any id passes here and creating the source names the unknown id.
  return z.unknown().transform((value, ctx): Entry => {
    const type = value && typeof value === "object" ? (value as { type?: unknown }).type : undefined;
    if (typeof type !== "string") {
      ctx.addIssue({
        code: "custom",
        path: ["type"],
        message: "a source needs a type (localFiles, corpus, mcp or an adapter id)",
      });
      return z.NEVER;
    }
    if (!Object.hasOwn(fixed, type) && remoteTypes.length > 0 && !remoteTypes.includes(type)) {
      ctx.addIssue({
        code: "custom",
        path: ["type"],
        message: `unknown source type "${type}"; use localFiles, corpus, mcp or a registered adapter (${remoteTypes.join(", ")})`,
      });
      return z.NEVER;
    }
    const schema = Object.hasOwn(fixed, type) ? fixed[type as keyof typeof fixed] : adapter;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues)
      ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
    return z.NEVER;
  });
}

const licencePolicySchema = z.union([
  z.enum(["permissive", "any"]),
  z
    .object({
      base: z.enum(["permissive", "any"]).default("permissive"),
      allow: z.array(z.string()).default([]),
      deny: z.array(z.string()).default([]),
    })
    .strict(),
]);

/**
 * The config schema over the given training type names and source adapter ids (those
 * registered when a file is loaded: the built-ins, then a plugin's).
 */
const configSchemaWith = (typeNames: readonly [string, ...string[]], remoteTypes: readonly string[]) =>
  z
    .object({
      /**
       * Plugins to load before anything else: paths (relative to the config file) or npm
       * package names of ES modules that register training types, sources, export formats
       * and verifiers (see `loadPlugins`).
       */
      plugins: z.array(z.string().min(1)).optional(),
      db: z.string().min(1).optional(),
      /** `auto` (default), `gemini`, `offline`, or the name of an OpenAI-compatible provider (`providers`, or ollama/lmstudio/vllm/llamacpp/openai). */
      provider: z.string().min(1).optional(),
      /**
       * OpenAI-compatible providers by name (issue 15): a model `<name>:<model>` (in `models`,
       * `--model` or `fallbacks`) goes to that server, and `provider: <name>` runs every agent
       * there. Built-in names (ollama, lmstudio, vllm, llamacpp, openai) need no entry.
       */
      providers: z
        .record(
          z
            .string()
            .regex(/^[a-z][a-z0-9_-]*$/i, "a provider name is letters, digits, - and _")
            .refine(
              (n) => !["auto", "gemini", "offline"].includes(n),
              "auto, gemini and offline are reserved names",
            ),
          z
            .object({
              type: z.literal("openai-compatible").optional(),
              /** API root including the version path, e.g. http://localhost:11434/v1. */
              baseUrl: z.string().url().optional(),
              /** The environment variable holding the API key (never the key itself). */
              apiKeyEnv: z
                .string()
                .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name")
                .optional(),
              /** The model of every agent `models` does not set, when this is the `provider`. */
              model: z.string().min(1).optional(),
              /** USD per million tokens by the server's model name (default 0 for a local server). */
              prices: z
                .record(
                  z.string().min(1),
                  z
                    .object({ inputPerMillion: z.number().min(0), outputPerMillion: z.number().min(0) })
                    .strict(),
                )
                .optional(),
              retries: z.number().int().min(0).max(20).optional(),
              timeoutMs: z.number().int().positive().optional(),
              /** auto (json_schema, falling back to JSON in the prompt), json_schema, or text. */
              structuredOutput: z.enum(["auto", "json_schema", "text"]).optional(),
            })
            .strict(),
        )
        .optional(),
      gemini: z
        .object({
          baseUrl: z.string().url().optional(),
          retries: z.number().int().min(0).max(20).optional(),
          timeoutMs: z.number().int().positive().optional(),
          apiVersion: z.string().optional(),
        })
        .strict()
        .optional(),
      models: modelsSchema.optional(),
      concurrency: z.number().int().min(1).max(4096).optional(),
      budget: z
        .object({
          maxCandidates: z.number().int().positive().optional(),
          maxUsd: z.number().positive().optional(),
          maxWallSeconds: z.number().positive().optional(),
        })
        .strict()
        .optional(),
      review: z
        .object({
          approveAt: z.number().min(0).max(1).optional(),
          rejectBelow: z.number().min(0).max(1).optional(),
          maxRevisions: z.number().int().min(0).max(10).optional(),
          /** Duplicate detection: within the run (default), across every run in the database, or off. */
          dedup: z.enum(["run", "database", "off"]).optional(),
          /** Benchmark files (JSONL, CSV, Parquet) the data must not overlap (decontamination). */
          benchmarks: z.array(z.string().min(1)).optional(),
        })
        .strict()
        .optional(),
      sources: z.array(sourceConfigSchemaWith(remoteTypes)).optional(),
      /** How research chooses and uses sources. */
      research: z
        .object({
          /**
           * Domain → source ids, best first, over the built-in table (a domain given here
           * replaces that domain's list), e.g. `chemistry: [pubchem, wikipedia]`.
           */
          domainSources: z.record(z.string().min(1), z.array(z.string().min(1))).optional(),
          /** Ground-truth passages kept per question (default 6). */
          passagesPerQuestion: z.number().int().min(1).max(50).optional(),
          /** Documents asked of each source per search (default 6). */
          documentsPerSource: z.number().int().min(1).max(100).optional(),
          /** Questions per research synthesis call (default 4 with a paid model, 1 offline). */
          synthesisBatch: z.number().int().min(1).max(16).optional(),
          /** How long a synthesis waits for others to share its call, in ms (default 200). */
          synthesisWaitMs: z.number().int().min(0).max(10_000).optional(),
        })
        .strict()
        .optional(),
      /**
       * Options of a training type, by type name, e.g. `kto: { desirableRatio: 0.6 }`
       * (each type validates its own; see docs/training-types.md).
       */
      typeOptions: z
        .partialRecord(z.enum(typeNames as [string, ...string[]]), z.record(z.string(), z.unknown()))
        .optional(),
      /** The sources' shared HTTP layer (src/sources/http.ts). */
      http: z
        .object({
          contact: z.string().min(3).optional(),
          timeoutMs: z.number().int().positive().optional(),
          maxBodyBytes: z.number().int().positive().optional(),
          retries: z.number().int().min(0).max(10).optional(),
          cacheTtlSeconds: z.number().min(0).optional(),
        })
        .strict()
        .optional(),
      licencePolicy: licencePolicySchema.optional(),
      /** Limits per model name (engine at scale); merged over the Gemini defaults. */
      rateLimits: z
        .record(
          z.string().min(1),
          z
            .object({
              requestsPerMinute: z.number().positive().optional(),
              inputTokensPerMinute: z.number().positive().optional(),
              outputTokensPerMinute: z.number().positive().optional(),
              maxConcurrency: z.number().int().min(1).max(4096).optional(),
            })
            .strict(),
        )
        .optional(),
      /** Fallback model chain per agent role, e.g. `generation: [gemini-2.5-flash, gemini-2.0-flash]`. */
      fallbacks: z
        .object(
          Object.fromEntries(
            AGENT_ROLES.map((r) => [r, z.array(z.string().min(1)).min(1).optional()]),
          ) as Record<AgentRole, z.ZodOptional<z.ZodArray<z.ZodString>>>,
        )
        .strict()
        .optional(),
      /** Price table overrides, USD per million tokens, by model name. */
      prices: z
        .record(
          z.string().min(1),
          z.object({ inputPerMillion: z.number().min(0), outputPerMillion: z.number().min(0) }).strict(),
        )
        .optional(),
      /** The response cache (default on for Gemini); `--no-cache` turns it off for one command. */
      cache: z.boolean().optional(),
      /** Gemini Batch API settings for `--batch`. */
      batch: z
        .object({
          /** Requests per batch job. */
          size: z.number().int().min(1).max(10_000).optional(),
          /** How long to wait for more requests before a partial batch is sent, in ms. */
          flushMs: z.number().int().min(0).optional(),
          /** How often a job is polled, in ms. */
          pollMs: z.number().int().min(10).optional(),
        })
        .strict()
        .optional(),
    })
    .strict();

/** The schema of `synthforge.config.yaml`, as {@link currentConfigSchema} returns it. */
export type ConfigSchema = ReturnType<typeof configSchemaWith>;
/** A parsed, validated config file. */
export type SynthforgeConfig = z.infer<ConfigSchema>;
/** A configured source, as written in the config file. */
export type SourceConfig = z.infer<ReturnType<typeof sourceConfigSchemaWith>>;
/** The licence policy: `permissive` (default), `any`, or allow/deny lists of SPDX ids. */
export type LicencePolicyConfig = z.infer<typeof licencePolicySchema>;

/** The source entries a config file spells with a fixed `type` (every other type is an adapter id). */
export type SourceConfigKind = "localFiles" | "corpus" | "mcp";

/**
 * Whether a configured source is of the given fixed kind. An adapter's `type` is any
 * registered id (a string), so `s.type === "mcp"` cannot narrow the union; this does.
 */
export function sourceIs<K extends SourceConfigKind>(
  s: SourceConfig,
  kind: K,
): s is Extract<SourceConfig, { type: K }> {
  return s.type === kind;
}

let schemaMemo: { key: string; schema: ConfigSchema } | undefined;

/**
 * The schema of `synthforge.config.yaml` (every field optional) over the training types and
 * source adapters registered so far: the built-ins, then those a host or plugin registered.
 */
export function currentConfigSchema(): ConfigSchema {
  const types = trainingTypeNames();
  const sources = sourceTypeNames();
  const key = `${types.join(",")}|${sources.join(",")}`;
  if (schemaMemo?.key !== key)
    schemaMemo = { key, schema: configSchemaWith(types as [string, ...string[]], sources) };
  return schemaMemo.schema;
}

/**
 * The `plugins:` list of a config file, read before the rest is validated (a plugin may
 * register the source types and training types the rest of the file names), with the
 * folder its relative paths are resolved from. Empty when there is no file or no list.
 *
 * @throws SynthforgeError `CONFIG_INVALID` when the file is not YAML or `plugins` is not a list of strings.
 */
export function readConfigPlugins(
  path?: string,
  cwd = process.cwd(),
): { plugins: string[]; baseDir: string } {
  const file = path
    ? resolve(cwd, path)
    : CONFIG_FILE_NAMES.map((n) => resolve(cwd, n)).find((p) => existsSync(p));
  if (!file || !existsSync(file)) return { plugins: [], baseDir: cwd };
  let raw: unknown;
  try {
    raw = loadSync<typeof import("yaml")>("yaml").parse(readFileSync(file, "utf8"));
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new SynthforgeError("CONFIG_INVALID", `Config file ${file} is not valid YAML: ${msg}`);
  }
  const list = raw && typeof raw === "object" ? (raw as { plugins?: unknown }).plugins : undefined;
  if (list === undefined || list === null) return { plugins: [], baseDir: dirname(file) };
  if (!Array.isArray(list) || !list.every((p) => typeof p === "string" && p.trim()))
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `Config file ${file}: field "plugins": give a list of plugin paths or package names.`,
    );
  return { plugins: list as string[], baseDir: dirname(file) };
}

/** Names tried, in order, when no config path is given. */
export const CONFIG_FILE_NAMES = ["synthforge.config.yaml", "synthforge.config.yml"];

/**
 * Loads and validates a config file. With no path, looks for `synthforge.config.yaml`
 * in `cwd` and returns `{}` when there is none.
 *
 * @throws SynthforgeError `CONFIG_INVALID` naming the file and the field to fix.
 */
export function loadConfig(
  path?: string,
  cwd = process.cwd(),
): { config: SynthforgeConfig; path: string | null } {
  let file: string | null = null;
  if (path) {
    file = resolve(cwd, path);
    if (!existsSync(file)) throw new SynthforgeError("CONFIG_INVALID", `Config file ${file} does not exist.`);
  } else {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = resolve(cwd, name);
      if (existsSync(candidate)) {
        file = candidate;
        break;
      }
    }
  }
  if (!file) return { config: {}, path: null };
  let raw: unknown;
  try {
    raw = loadSync<typeof import("yaml")>("yaml").parse(readFileSync(file, "utf8"));
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new SynthforgeError("CONFIG_INVALID", `Config file ${file} is not valid YAML: ${msg}`);
  }
  if (raw === null || raw === undefined) return { config: {}, path: file };
  const parsed = currentConfigSchema().safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "(top level)";
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `Config file ${file}: field "${where}": ${issue?.message ?? "invalid"}.`,
    );
  }
  return { config: parsed.data, path: file };
}
