import { existsSync } from "node:fs";
import { resolve } from "node:path";

/**
 * Loads the plugins a command line asks for before the CLI program is built, so that the
 * types, sources and formats they register appear in `--help` and are accepted like
 * built-ins: every `--plugin <path|package>` (relative to the working folder), then the
 * `plugins:` of the config file (`-c/--config <file>`, else synthforge.config.yaml in the
 * working folder; relative to that file). Loads nothing (and nothing heavy) when there is
 * neither.
 *
 * @throws SynthforgeError `PLUGIN_FAILED` naming the plugin and the reason; `CONFIG_INVALID`
 *   for a config whose `plugins` is not a list.
 */
export async function preloadPlugins(args: readonly string[], cwd = process.cwd()): Promise<void> {
  const flags: string[] = [];
  let config: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") break;
    if (a === "--plugin" && args[i + 1] !== undefined) flags.push(args[++i]!);
    else if (a.startsWith("--plugin=")) flags.push(a.slice("--plugin=".length));
    else if ((a === "-c" || a === "--config") && args[i + 1] !== undefined) config = args[++i];
    else if (a.startsWith("--config=")) config = a.slice("--config=".length);
  }
  const configFile = config
    ? resolve(cwd, config)
    : ["synthforge.config.yaml", "synthforge.config.yml"]
        .map((n) => resolve(cwd, n))
        .find((p) => existsSync(p));
  const hasConfig = configFile !== undefined && existsSync(configFile);
  if (flags.length === 0 && !hasConfig) return;
  const fromConfig = hasConfig
    ? (await import("../core/config.js")).readConfigPlugins(configFile, cwd)
    : { plugins: [], baseDir: cwd };
  if (flags.length === 0 && fromConfig.plugins.length === 0) return;
  const { loadPlugins } = await import("../pipeline/plugins.js");
  await loadPlugins(flags, { baseDir: cwd });
  await loadPlugins(fromConfig.plugins, { baseDir: fromConfig.baseDir });
}
