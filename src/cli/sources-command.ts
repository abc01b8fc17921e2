import { resolve } from "node:path";
import type { Command } from "commander";
import { loadConfig, type SourceConfig, sourceIs } from "../core/config.js";
import { describeError, isSynthforgeError, SynthforgeError } from "../core/errors.js";
import type { Licence, SourceDocument } from "../core/types.js";
import {
  createSource,
  getSourceDefinition,
  listSources,
  type SourceFactoryOptions,
} from "../sources/registry.js";
import type { CliIO } from "./progress.js";
import { buildConfiguredSource, httpClientFromConfig, reportSkippedFiles } from "./settings.js";

/**
 * `synthforge sources list` and `synthforge sources search <adapter> "<query>"`: the
 * registered sources, and one source's normalised documents (or, for a failed source,
 * the reason, with exit code 1).
 */

interface SearchFlags {
  baseUrl?: string;
  limit?: string;
  json?: boolean;
  option?: string[];
  dir?: string;
  config?: string;
  full?: boolean;
}

/** Flags of the licence, in words. */
export function licenceFlags(l: Licence): string {
  return [
    l.permissive ? "permissive" : "not permissive",
    l.attributionRequired ? "attribution required" : "no attribution required",
    l.commercialUseAllowed ? "commercial use allowed" : "no commercial use",
    l.shareAlike ? "share-alike" : null,
    l.noDerivatives ? "no derivatives" : null,
  ]
    .filter(Boolean)
    .join(", ");
}

/** The human-readable lines of a document. */
export function formatDocument(d: SourceDocument, n: number, full = false): string[] {
  const authors =
    d.authors.length > 6
      ? `${d.authors.slice(0, 6).join(", ")}, … (+${d.authors.length - 6} more)`
      : d.authors.join(", ");
  const lines = [
    `${n}. ${d.title}`,
    `   url:       ${d.url}`,
    `   authors:   ${authors || "(none given)"}`,
    `   published: ${d.published ?? "(not given)"}`,
    `   licence:   ${d.licence.spdx} (${licenceFlags(d.licence)})`,
    `   evidence:  ${d.licence.evidence}`,
    `   passages:`,
  ];
  for (const p of d.passages) {
    const text = !full && p.text.length > 400 ? `${p.text.slice(0, 400)}…` : p.text;
    lines.push(`     [${p.index}] ${text}`);
  }
  return lines;
}

/** Parses `--option key=value` flags (values read as JSON when they parse: numbers, booleans, arrays). */
export function parseOptionFlags(values: string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const v of values ?? []) {
    const m = /^([A-Za-z][\w]*)=(.*)$/s.exec(v);
    if (!m)
      throw new SynthforgeError(
        "INVALID_REQUEST",
        `--option "${v}" must be key=value, e.g. --option extract=summary.`,
      );
    let value: unknown = m[2]!;
    try {
      value = JSON.parse(m[2]!);
    } catch {
      /* a plain string */
    }
    out[m[1]!] = value;
  }
  return out;
}

function configEntryOptions(entry: SourceConfig | undefined, configDir: string): Record<string, unknown> {
  if (!entry) return {};
  if (sourceIs(entry, "localFiles"))
    return { dir: resolve(configDir, entry.dir), ...(entry.licence ? { licence: entry.licence } : {}) };
  const { type: _type, options, ...rest } = entry as Record<string, unknown>;
  return { ...((options as Record<string, unknown> | undefined) ?? {}), ...rest };
}

/** The id a configured source is searched by: an MCP source's `id`, a public API source's `options.id` or type. */
export function configuredSourceId(entry: SourceConfig): string {
  if (sourceIs(entry, "mcp")) return entry.id;
  if (sourceIs(entry, "localFiles") || sourceIs(entry, "corpus")) return entry.type;
  const custom = (entry.options as { id?: unknown } | undefined)?.id;
  return typeof custom === "string" && custom.trim() ? custom : entry.type;
}

async function search(adapter: string, query: string, flags: SearchFlags, io: CliIO): Promise<number> {
  const { config, path } = loadConfig(flags.config);
  const configDir = path ? resolve(path, "..") : process.cwd();
  // A source configured under this id (e.g. an MCP source `fsnotes`) wins over a built-in of that name.
  const configured = config.sources?.find((s) => configuredSourceId(s) === adapter);
  // Ids match whatever their case (`mysource` finds a plugin's `mySource`).
  const type = configured
    ? configured.type
    : (listSources().find((d) => d.id === adapter || d.id.toLowerCase() === adapter.toLowerCase())?.id ??
      adapter);
  const def = getSourceDefinition(type);
  if (!def && !(configured !== undefined && sourceIs(configured, "mcp"))) {
    const ids = (config.sources ?? []).map(configuredSourceId);
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `Unknown source "${adapter}". Known sources: ${listSources()
        .map((d) => d.id)
        .join(", ")}${
        ids.length
          ? `; configured in ${path}: ${ids.join(", ")}.`
          : `. A source of your own (e.g. type: mcp) is searched by the id it has under sources: in synthforge.config.yaml${path ? "" : " (none found here; pass --config <file>)"}.`
      }`,
    );
  }
  const limit = flags.limit === undefined ? undefined : Number(flags.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 100)) {
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `--limit must be a whole number from 1 to 100, got "${flags.limit}".`,
    );
  }
  if (!query.trim()) throw new SynthforgeError("INVALID_REQUEST", "sources search needs a non-empty query.");
  const http = httpClientFromConfig(config);
  let source: ReturnType<typeof createSource>;
  if (configured !== undefined && sourceIs(configured, "mcp")) {
    if (flags.baseUrl || flags.dir)
      throw new SynthforgeError(
        "INVALID_REQUEST",
        `${flags.baseUrl ? "--base-url" : "--dir"} does not apply to "${adapter}", an MCP source; change its entry in ${path ?? "the config"} instead.`,
      );
    source = buildConfiguredSource(
      { ...configured, ...parseOptionFlags(flags.option), type: "mcp" } as SourceConfig,
      configDir,
      () => http,
    );
  } else {
    const fromConfig = configEntryOptions(
      configured ?? config.sources?.find((s) => s.type === type),
      configDir,
    );
    const options: SourceFactoryOptions = {
      ...fromConfig,
      ...parseOptionFlags(flags.option),
      ...(flags.baseUrl ? { baseUrl: flags.baseUrl } : {}),
      ...(flags.dir ? { dir: resolve(flags.dir) } : {}),
      ...(def?.remote ? { http } : {}),
    };
    source = createSource(type, options);
  }
  try {
    const docs = await source.search(query, limit ? { limit } : {});
    // A local folder's files it could not read (too large, binary, not UTF-8) are named on stderr.
    await reportSkippedFiles([source], io);
    if (flags.json) {
      io.out(JSON.stringify({ adapter, query, documents: docs }));
      return 0;
    }
    if (docs.length === 0) {
      io.out(`no documents from ${adapter} for "${query}"`);
      return 0;
    }
    docs.forEach((d, i) => {
      for (const l of formatDocument(d, i + 1, flags.full ?? false)) io.out(l);
      if (i < docs.length - 1) io.out("");
    });
    return 0;
  } catch (e) {
    if (!isSynthforgeError(e, "SOURCE_FAILED")) throw e;
    const details = (e.details ?? {}) as { reason?: string; status?: number };
    io.err(`source ${adapter} failed: ${e.message}`);
    io.err(`  reason: ${details.reason ?? "unknown"}${details.status ? ` (HTTP ${details.status})` : ""}`);
    if (flags.json)
      io.out(
        JSON.stringify({
          adapter,
          query,
          error: {
            code: e.code,
            reason: details.reason ?? null,
            status: details.status ?? null,
            message: describeError(e),
          },
        }),
      );
    return 1;
  } finally {
    await source.close?.().catch(() => undefined);
    await http.close();
  }
}

function list(flags: { json?: boolean }, io: CliIO): number {
  const defs = listSources();
  if (flags.json) {
    io.out(
      JSON.stringify(
        defs.map((d) => ({
          id: d.id,
          description: d.description,
          licenceNotes: d.licenceNotes,
          remote: d.remote,
          env: d.env ?? [],
          rateLimit: d.rateLimit ?? null,
        })),
      ),
    );
    return 0;
  }
  const width = Math.max(...defs.map((d) => d.id.length));
  for (const d of defs) {
    io.out(`${d.id.padEnd(width)}  ${d.description}`);
    io.out(`${" ".repeat(width)}  licence: ${d.licenceNotes}`);
    const extra = [
      d.rateLimit ? `rate: ${d.rateLimit}` : null,
      d.env?.length ? `env: ${d.env.join(", ")}` : null,
    ]
      .filter(Boolean)
      .join("; ");
    if (extra) io.out(`${" ".repeat(width)}  ${extra}`);
  }
  io.out("");
  io.out('Search one: synthforge sources search <id> "<query>" [--base-url URL] [--limit N] [--json]');
  return 0;
}

/** Adds `sources list` and `sources search` to the program. */
export function registerSourcesCommand(program: Command, io: CliIO, setCode: (code: number) => void): void {
  const collect = (v: string, prev: string[] = []) => [...prev, v];
  const sources = program
    .command("sources")
    .description("List research sources, or search one and print its normalised documents");
  sources
    .command("list")
    .description("Every source: id, what it returns, how its licences are determined")
    .option("--json", "print JSON")
    .action((flags: { json?: boolean }) => setCode(list(flags, io)));
  sources
    .command("search")
    .description('Search one source, e.g. synthforge sources search arxiv "heat-bath random walks"')
    .argument("<adapter>", "source id (see sources list), or the id of a source configured under sources:")
    .argument("<query>", "what to search for (a URL for webPage, a DOI where supported)")
    .option("--base-url <url>", "use a mirror or a local server instead of the service")
    .option("--limit <n>", "documents to return (1-100)")
    .option("--option <key=value>", "an adapter option, e.g. extract=summary (repeatable)", collect)
    .option("--dir <dir>", "folder for the localFiles source")
    .option(
      "-c, --config <file>",
      "config file (http.contact, its sources[] by id, and a built-in source's options from sources[])",
    )
    .option("--full", "print passages in full")
    .option("--json", "print the documents (or the failure) as JSON")
    .action(async (adapter: string, query: string, flags: SearchFlags) =>
      setCode(await search(adapter, query, flags, io)),
    );
}
