import { createRequire } from "node:module";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { describeError, SynthforgeError } from "../core/errors.js";
import { SYNTHFORGE_VERSION } from "../core/version.js";
import { buildDocument, keywords } from "../sources/adapters/common.js";
import { licenceById } from "../sources/licence.js";
import { registerSource, type SourceDefinition } from "../sources/registry.js";
import { registerVerifier, type Verifier } from "../tools/verifiers.js";
import { composeAnswer, shortAnswer } from "../training-types/compose.js";
import {
  type ExportFormatRegistration,
  registerExportFormat,
  registerFormatValidator,
} from "../training-types/formats.js";
import { registerTrainingType } from "../training-types/registry.js";
import { schemaProblems } from "../training-types/row-checks.js";
import type { TrainingType } from "../training-types/types.js";

/**
 * Plugins: ES modules that extend synthforge with training types, sources, export formats
 * and verifiers, loaded from `--plugin <path|package>` or `plugins:` in
 * `synthforge.config.yaml`, or by a host with {@link loadPlugins}.
 *
 * A plugin's **default export** is a function that receives a {@link PluginApi} and
 * registers what it adds (it may be async):
 *
 * ```js
 * // my-plugin.js
 * export default function register(api) {
 *   api.registerExportFormat({ id: "mcq-jsonl", description: "...", validate: (row) => [] });
 *   api.registerTrainingType({ name: "mcq", ... });
 *   api.registerSource({ id: "mySource", ... });
 *   api.registerVerifier({ name: "options-distinct", ... });
 * }
 * ```
 *
 * The registration functions come from the `api` argument (not from an `import` of
 * synthforge), so a plugin installed next to another copy of synthforge still registers
 * into the copy that runs it. Load plugins before opening a store (a registered type's
 * table is created when the store opens) and before reading a config that names what
 * they register. Loading the same plugin twice runs it once.
 */

/** What a plugin's default export receives. */
export interface PluginApi {
  /** The synthforge version that loads the plugin. */
  version: string;
  /** Registers a training type (see `registerTrainingType`). */
  registerTrainingType<Row extends Record<string, unknown>, Out>(type: TrainingType<Row, Out>): void;
  /** Registers a kind of source by id (see `registerSource`). */
  registerSource(def: SourceDefinition, opts?: { replace?: boolean }): void;
  /** Registers an export format: id, description, row validator (see `registerExportFormat`). */
  registerExportFormat(format: ExportFormatRegistration): void;
  /** Registers (or replaces) a format's row validator (see `registerFormatValidator`). */
  registerFormatValidator(format: string, validator: (row: Record<string, unknown>) => string[]): void;
  /** Registers a verifier the review stage runs on every example (see `registerVerifier`). */
  registerVerifier(v: Verifier): void;
  /** zod, for row and output schemas (the instance synthforge uses). */
  z: typeof z;
  /** Offline composer helpers: a grounded answer from the input's passages (see `composeAnswer`). */
  composeAnswer: typeof composeAnswer;
  /** Offline composer helper: the `n` best sentences of the passages for the question. */
  shortAnswer: typeof shortAnswer;
  /** The problems of a row against a zod schema, as a type's `validate` reports them. */
  schemaProblems: typeof schemaProblems;
  /**
   * For a source adapter: a `SourceDocument` from a record's paragraphs (word-for-word
   * passages, the most relevant to `query` kept, `contentHash` computed); null without text.
   */
  buildDocument: typeof buildDocument;
  /** For a source adapter: the normalised licence of an SPDX id (`CC-BY-4.0`), or null. */
  licenceById: typeof licenceById;
  /** For a source adapter: the content words of a query, for matching. */
  keywords: typeof keywords;
  /** The error class to throw for bad plugin input. */
  SynthforgeError: typeof SynthforgeError;
}

/** A plugin module: its default export registers what it adds. */
export interface PluginModule {
  default: (api: PluginApi) => void | Promise<void>;
}

/** The API object passed to every plugin. */
export function pluginApi(): PluginApi {
  return {
    version: SYNTHFORGE_VERSION,
    registerTrainingType,
    registerSource,
    registerExportFormat,
    registerFormatValidator,
    registerVerifier,
    z,
    composeAnswer,
    shortAnswer,
    schemaProblems,
    buildDocument,
    licenceById,
    keywords,
    SynthforgeError,
  };
}

/** A loaded plugin. */
export interface LoadedPlugin {
  /** The spec as given (path or package name). */
  spec: string;
  /** The file URL it was loaded from. */
  url: string;
}

const loaded = new Map<string, Promise<void>>();

/**
 * Where the plugins this process has loaded came from (file URLs, or package names that
 * only `import()` could resolve), in load order. The CLI stores them with a run, so that a
 * resume or a worker can say which plugins the run needs.
 */
export function loadedPlugins(): string[] {
  return [...loaded.keys()];
}

/** True for a spec that names a file rather than a package. */
function isPath(spec: string): boolean {
  return spec.startsWith(".") || isAbsolute(spec) || /\.(?:m?js|cjs)$/i.test(spec);
}

/** The file URL of a plugin spec: a path from `baseDir`, or a package resolved from `baseDir`. */
function pluginUrl(spec: string, baseDir: string): string {
  if (isPath(spec)) return pathToFileURL(resolve(baseDir, spec)).href;
  try {
    return pathToFileURL(createRequire(join(baseDir, "noop.js")).resolve(spec)).href;
  } catch {
    // Not resolvable with require() conditions (an ESM-only package), or not installed next
    // to baseDir: import() resolves the name itself, and says why when it cannot.
    return spec;
  }
}

/**
 * Loads plugins, in order: each spec is a path (relative to `baseDir`, default the working
 * folder) or an npm package name of an ES module whose default export registers types,
 * sources, formats and verifiers through the {@link PluginApi} it is given. A plugin
 * already loaded (same file) is not run again.
 *
 * @throws SynthforgeError `PLUGIN_FAILED` naming the plugin and the reason (not found, not
 *   an ES module, no default export function, or its registration threw).
 */
export async function loadPlugins(
  specs: readonly string[],
  opts: { baseDir?: string } = {},
): Promise<LoadedPlugin[]> {
  const baseDir = opts.baseDir ?? process.cwd();
  const out: LoadedPlugin[] = [];
  for (const raw of specs) {
    const spec = raw.trim();
    if (!spec)
      throw new SynthforgeError(
        "PLUGIN_FAILED",
        "An empty plugin name was given: give a path or a package name.",
      );
    const url = pluginUrl(spec, baseDir);
    let pending = loaded.get(url);
    if (!pending) {
      pending = runPlugin(spec, url);
      loaded.set(url, pending);
      pending.catch(() => loaded.delete(url));
    }
    await pending;
    out.push({ spec, url });
  }
  return out;
}

async function runPlugin(spec: string, url: string): Promise<void> {
  let mod: Partial<PluginModule>;
  try {
    mod = (await import(url)) as Partial<PluginModule>;
  } catch (e) {
    const code = (e as { code?: string }).code;
    const reason =
      code === "ERR_MODULE_NOT_FOUND" && url.endsWith(spec.replace(/^\.\//, ""))
        ? isPath(spec)
          ? "the file does not exist"
          : `no such package; install it (npm install ${spec}) or give a path such as ./${spec}.js`
        : describeError(e).split("\n")[0];
    throw new SynthforgeError("PLUGIN_FAILED", `Plugin "${spec}" could not be loaded: ${reason}.`, {
      cause: e,
    });
  }
  if (typeof mod.default !== "function")
    throw new SynthforgeError(
      "PLUGIN_FAILED",
      `Plugin "${spec}" has no default export function: export default function register(api) { ... }.`,
    );
  try {
    await mod.default(pluginApi());
  } catch (e) {
    throw new SynthforgeError(
      "PLUGIN_FAILED",
      `Plugin "${spec}" failed while registering: ${describeError(e).split("\n")[0]}`,
      { cause: e },
    );
  }
}
