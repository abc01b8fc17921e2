import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { SynthforgeError } from "./errors.js";
import { AGENT_ROLES, type AgentRole } from "./types.js";

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
  .object(Object.fromEntries(AGENT_ROLES.map((r) => [r, z.string().min(1).optional()])) as Record<AgentRole, z.ZodOptional<z.ZodString>>)
  .strict();

const sourceConfigSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("localFiles"), dir: z.string().min(1), licence: z.string().optional() }).strict(),
  z.object({ type: z.literal("corpus") }).strict(),
]);

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

/** The schema of `synthforge.config.yaml`. Every field is optional. */
export const configSchema = z
  .object({
    db: z.string().min(1).optional(),
    provider: z.enum(["auto", "gemini", "offline"]).optional(),
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
      })
      .strict()
      .optional(),
    sources: z.array(sourceConfigSchema).optional(),
    licencePolicy: licencePolicySchema.optional(),
  })
  .strict();

/** A parsed, validated config file. */
export type SynthforgeConfig = z.infer<typeof configSchema>;
/** A configured source, as written in the config file. */
export type SourceConfig = z.infer<typeof sourceConfigSchema>;
/** The licence policy: `permissive` (default), `any`, or allow/deny lists of SPDX ids. */
export type LicencePolicyConfig = z.infer<typeof licencePolicySchema>;

/** Names tried, in order, when no config path is given. */
export const CONFIG_FILE_NAMES = ["synthforge.config.yaml", "synthforge.config.yml"];

/**
 * Loads and validates a config file. With no path, looks for `synthforge.config.yaml`
 * in `cwd` and returns `{}` when there is none.
 *
 * @throws SynthforgeError `CONFIG_INVALID` naming the file and the field to fix.
 */
export function loadConfig(path?: string, cwd = process.cwd()): { config: SynthforgeConfig; path: string | null } {
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
    raw = parseYaml(readFileSync(file, "utf8"));
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new SynthforgeError("CONFIG_INVALID", `Config file ${file} is not valid YAML: ${msg}`);
  }
  if (raw === null || raw === undefined) return { config: {}, path: file };
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "(top level)";
    throw new SynthforgeError("CONFIG_INVALID", `Config file ${file}: field "${where}": ${issue?.message ?? "invalid"}.`);
  }
  return { config: parsed.data, path: file };
}
