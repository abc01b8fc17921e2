import { basename, isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import pLimit from "p-limit";
import { describeError, isSynthforgeError, SynthforgeError } from "../core/errors.js";
import { sha256 } from "../core/ids.js";
import type { Licence, SourceDocument } from "../core/types.js";
import { normaliseLicence, unknownLicence } from "./licence.js";
import { bm25Rank, splitFrontMatter, toPassages } from "./passages.js";
import type { SearchOptions, SourceAdapter } from "./types.js";

/**
 * Any MCP server's tool as a research source (DESIGN §3.5). One long-lived MCP client per
 * source: the server process (stdio) or HTTP session (Streamable HTTP) is started on the
 * first search and reused by every later search, including concurrent ones, until
 * `close()` (which `pipeline.close()` calls). If the server goes away, the next search
 * starts it again.
 *
 * A search calls the configured tool with the query filled into its arguments. Each
 * result becomes documents:
 *
 * - with `read` configured, the result is a list of items (structured content arrays, or
 *   the lines of its text), and each item is read with the `read` tool (once per source
 *   lifetime: reads are cached), e.g. `search_files` then `read_text_file`;
 * - otherwise every item of an array in `structuredContent` is a document (fields
 *   `title`/`name`, `url`/`uri`/`path`, `text`/`content`/`snippet`/`abstract`,
 *   `authors`, `published`/`date`, `licence`/`license`), else every text block is one.
 *
 * Passages are ranked for the query with BM25. Licence: a `licence`/`license` field of
 * the item, else the configured `licence`, else unknown (never permissive).
 */

/** A tool call of an MCP source; argument strings may hold `{query}`, `{limit}` or `{item}`. */
export interface McpToolCall {
  tool: string;
  /**
   * Arguments. A string that is exactly `{query}`, `{limit}` or `{item}` is replaced by
   * the value (keeping its type); placeholders inside longer strings are replaced as text.
   */
  arguments?: Record<string, unknown>;
}

/** Options of {@link mcpSource}. Give `command` (stdio) or `url` (Streamable HTTP), not both. */
export interface McpSourceOptions {
  /** Adapter id stored on source rows, e.g. `notes`. */
  id: string;
  /** One line for `synthforge sources list`. */
  description?: string;
  /** Executable that starts the server over stdio, e.g. `npx` or `node`. */
  command?: string;
  /** Its arguments. */
  args?: string[];
  /** Extra environment for the server (added to a minimal safe environment; never logged). */
  env?: Record<string, string>;
  /** Working directory of the server process. */
  cwd?: string;
  /** URL of a Streamable HTTP MCP endpoint. */
  url?: string;
  /** HTTP headers for `url` (e.g. an Authorization header; never logged). */
  headers?: Record<string, string>;
  /** The search tool. */
  tool: string;
  /** Its arguments. Default `{ query: "{query}" }`. */
  arguments?: Record<string, unknown>;
  /** A tool that reads one item of the search result, e.g. `{ tool: "read_text_file", arguments: { path: "{item}" } }`. */
  read?: McpToolCall & {
    /** Items read per search at most. Default 50. */
    maxItems?: number;
  };
  /** Licence of the server's documents when an item states none (SPDX id, name or URL). Default: unknown. */
  licence?: string;
  /** How documents are ordered: `bm25` (default; drops documents that share no word with the query) or `server` (keep the tool's order). */
  rank?: "bm25" | "server";
  /** Passages per document. Default 4. */
  passagesPerDocument?: number;
  /** Timeout of one tool call (and of connecting), in ms. Default 30 000. */
  timeoutMs?: number;
  /** Items whose read result is kept in memory. Default 1000. */
  cacheSize?: number;
}

/** Counters of an MCP source, for diagnostics and tests. */
export interface McpSourceStats {
  /** Times a server was started (stdio) or a session opened (HTTP). */
  connections: number;
  /** Tool calls made. */
  toolCalls: number;
  /** Reads answered from the cache. */
  cacheHits: number;
}

/** An MCP-backed source. */
export interface McpSource extends SourceAdapter {
  /** Counters since the source was created. */
  stats(): McpSourceStats;
  /** Stops the server (or ends the HTTP session). Later searches fail. Idempotent. */
  close(): Promise<void>;
}

interface ToolResult {
  content?: Array<Record<string, unknown>>;
  structuredContent?: unknown;
  isError?: boolean;
}

interface RawDoc {
  title: string;
  url: string;
  text: string;
  authors: string[];
  published: string | null;
  licenceRaw: unknown;
}

const STDERR_TAIL = 2000;

function substitute(value: unknown, vars: Record<string, unknown>): unknown {
  if (typeof value === "string") {
    const whole = /^\{(\w+)\}$/.exec(value);
    if (whole?.[1] && whole[1] in vars) return vars[whole[1]];
    return value.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  return value;
}

function str(v: unknown): string | null {
  if (typeof v === "string" && v.trim()) return v.trim();
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return null;
}

function pick(o: Record<string, unknown>, fields: string[]): string | null {
  for (const f of fields) {
    const v = str(o[f]);
    if (v) return v;
  }
  return null;
}

function authorsOf(v: unknown): string[] {
  if (typeof v === "string") return v.split(/\s*;\s*/).filter(Boolean);
  if (!Array.isArray(v)) return [];
  return v
    .map((a) =>
      typeof a === "string"
        ? a
        : a && typeof a === "object"
          ? pick(a as Record<string, unknown>, ["name", "fullName", "display_name"])
          : null,
    )
    .filter((a): a is string => Boolean(a));
}

/** Text blocks (and embedded text resources) of a tool result. */
function textBlocks(result: ToolResult): string[] {
  const out: string[] = [];
  for (const c of result.content ?? []) {
    if (c.type === "text" && typeof c.text === "string") out.push(c.text);
    else if (
      c.type === "resource" &&
      c.resource &&
      typeof (c.resource as { text?: unknown }).text === "string"
    )
      out.push((c.resource as { text: string }).text);
  }
  return out;
}

const ARRAY_FIELDS = [
  "results",
  "items",
  "documents",
  "docs",
  "data",
  "hits",
  "matches",
  "files",
  "records",
  "entries",
];

/** The list in a structured result: the value itself, a well-known field, or the only array field. */
function structuredList(sc: unknown): unknown[] | null {
  if (Array.isArray(sc)) return sc;
  if (!sc || typeof sc !== "object") return null;
  const o = sc as Record<string, unknown>;
  for (const f of ARRAY_FIELDS) if (Array.isArray(o[f])) return o[f] as unknown[];
  const arrays = Object.values(o).filter(Array.isArray);
  return arrays.length === 1 ? (arrays[0] as unknown[]) : null;
}

const NO_RESULTS =
  /^\s*(?:no (?:matches|results|documents|files)(?: found)?|nothing found|0 results)\.?\s*$/i;

function itemId(item: unknown): string | null {
  if (typeof item === "string") return item.trim() || null;
  if (item && typeof item === "object")
    return pick(item as Record<string, unknown>, ["path", "uri", "url", "id", "name"]);
  return null;
}

function urlFor(sourceId: string, ref: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) return ref;
  if (isAbsolute(ref)) return pathToFileURL(ref).href;
  return `mcp://${encodeURIComponent(sourceId)}/${encodeURIComponent(ref)}`;
}

/**
 * An MCP server's tool as a source. Nothing starts until the first search.
 *
 * ```ts
 * const notes = mcpSource({
 *   id: "notes",
 *   command: "npx",
 *   args: ["-y", "@modelcontextprotocol/server-filesystem", "./notes"],
 *   tool: "search_files",
 *   arguments: { path: "./notes", pattern: "**\/*.md" },
 *   read: { tool: "read_text_file", arguments: { path: "{item}" } },
 *   licence: "CC-BY-4.0",
 * });
 * ```
 *
 * @throws SynthforgeError `CONFIG_INVALID` when neither or both of `command` and `url` are given.
 */
export function mcpSource(opts: McpSourceOptions): McpSource {
  if (!opts.id?.trim())
    throw new SynthforgeError("CONFIG_INVALID", "An MCP source needs an id (e.g. id: notes).");
  if (Boolean(opts.command) === Boolean(opts.url)) {
    throw new SynthforgeError(
      "CONFIG_INVALID",
      `MCP source "${opts.id}": give either command (a stdio server) or url (a Streamable HTTP server), not ${opts.command ? "both" : "neither"}.`,
    );
  }
  if (!opts.tool?.trim())
    throw new SynthforgeError("CONFIG_INVALID", `MCP source "${opts.id}": name the search tool (tool: ...).`);
  if (opts.url) {
    try {
      new URL(opts.url);
    } catch {
      throw new SynthforgeError(
        "CONFIG_INVALID",
        `MCP source "${opts.id}": url "${opts.url}" is not a valid URL.`,
      );
    }
  }
  const id = opts.id;
  const timeout = opts.timeoutMs ?? 30_000;
  const perDoc = opts.passagesPerDocument ?? 4;
  const maxItems = opts.read?.maxItems ?? 50;
  const cacheSize = opts.cacheSize ?? 1000;
  const fallbackLicence: Licence = opts.licence
    ? normaliseLicence(opts.licence, `MCP source ${id} licence option`)
    : unknownLicence(`MCP source ${id}: no licence configured and the tool result states none`);
  const stats: McpSourceStats = { connections: 0, toolCalls: 0, cacheHits: 0 };
  const readCache = new Map<string, Promise<RawDoc | null>>();
  const readLimit = pLimit(4);
  let connecting: Promise<Client> | null = null;
  let closed = false;
  let stderrTail = "";
  let toolsChecked = false;

  const where = opts.command
    ? `"${[opts.command, ...(opts.args ?? [])].join(" ")}"`
    : new URL(opts.url!).origin;

  const makeTransport = async (): Promise<Transport> => {
    if (opts.command) {
      const { getDefaultEnvironment, StdioClientTransport } = await import(
        "@modelcontextprotocol/sdk/client/stdio.js"
      );
      const t = new StdioClientTransport({
        command: opts.command,
        args: opts.args ?? [],
        env: { ...getDefaultEnvironment(), ...opts.env },
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
        stderr: "pipe",
      });
      // Keep the end of the server's stderr for error messages; draining it also keeps the pipe from filling up.
      t.stderr?.on("data", (chunk: Buffer) => {
        stderrTail = (stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL);
      });
      return t;
    }
    const { StreamableHTTPClientTransport } = await import(
      "@modelcontextprotocol/sdk/client/streamableHttp.js"
    );
    return new StreamableHTTPClientTransport(new URL(opts.url!), {
      requestInit: { headers: opts.headers ?? {} },
    });
  };

  const connect = (): Promise<Client> => {
    if (closed) return Promise.reject(new SynthforgeError("SOURCE_FAILED", `MCP source ${id} is closed.`));
    connecting ??= (async () => {
      // The MCP SDK is loaded on the first connection (start-up, issue 15).
      const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
      const client = new Client({ name: "synthforge", version: "0.1.0" });
      const transport = await makeTransport();
      stats.connections++;
      client.onclose = () => {
        // The server went away (or we closed it): the next search starts a new one.
        connecting = null;
        toolsChecked = false;
      };
      try {
        await client.connect(transport, { timeout });
      } catch (e) {
        connecting = null;
        await transport.close().catch(() => undefined);
        const tail = stderrTail.trim().split("\n").slice(-3).join(" | ");
        throw new SynthforgeError(
          "SOURCE_FAILED",
          `MCP source ${id}: could not connect to ${where}: ${describeError(e)}${tail ? ` (server said: ${tail.slice(0, 300)})` : ""}`,
          { cause: e },
        );
      }
      return client;
    })();
    return connecting;
  };

  const checkTools = async (client: Client, signal?: AbortSignal) => {
    if (toolsChecked) return;
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {}, {
        timeout,
        ...(signal ? { signal } : {}),
      });
      names.push(...page.tools.map((t) => t.name));
      cursor = page.nextCursor;
    } while (cursor);
    for (const needed of [opts.tool, opts.read?.tool].filter((t): t is string => Boolean(t))) {
      if (!names.includes(needed)) {
        throw new SynthforgeError(
          "SOURCE_FAILED",
          `MCP source ${id}: the server has no tool "${needed}". It has: ${names.join(", ") || "(none)"}.`,
        );
      }
    }
    toolsChecked = true;
  };

  /** True when the error means the connection is gone (the server exited), not that the tool failed. */
  const connectionLost = (e: unknown) =>
    /not connected|connection closed|\bEPIPE\b|write after end|channel closed/i.test(describeError(e));

  /**
   * Runs `fn` with a signal of its own that follows `signal` (the run's). The MCP SDK adds
   * an abort listener to the signal of every request and never removes it; given the
   * run-wide signal, listeners would pile up on it with every call. The per-call signal
   * takes them instead, and the one listener added here is removed when the call ends.
   */
  const withCallSignal = async <T>(
    signal: AbortSignal | undefined,
    fn: (callSignal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> => {
    if (!signal) return fn(undefined);
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener("abort", onAbort, { once: true });
    try {
      return await fn(controller.signal);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  };

  const callOnce = async (
    tool: string,
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<ToolResult> => {
    let result: ToolResult | null = null;
    // A server that died since the last call is started again, once.
    for (let attempt = 1; result === null; attempt++) {
      const client = await connect();
      try {
        await checkTools(client, signal);
        stats.toolCalls++;
        result = (await client.callTool({ name: tool, arguments: args }, undefined, {
          timeout,
          ...(signal ? { signal } : {}),
        })) as ToolResult;
      } catch (e) {
        if (isSynthforgeError(e)) throw e;
        if (attempt === 1 && !closed && !signal?.aborted && connectionLost(e)) {
          if (connecting) {
            const stale = connecting;
            connecting = null;
            await stale.then((c) => c.close()).catch(() => undefined);
          }
          continue;
        }
        throw new SynthforgeError(
          "SOURCE_FAILED",
          `MCP source ${id}: tool ${tool} failed: ${describeError(e)}`,
          { cause: e },
        );
      }
    }
    if (result.isError) {
      throw new SynthforgeError(
        "SOURCE_FAILED",
        `MCP source ${id}: tool ${tool} returned an error: ${textBlocks(result).join(" ").slice(0, 300) || "(no message)"}`,
      );
    }
    return result;
  };

  /** A tool call on its own signal (see {@link withCallSignal}). */
  const call = (tool: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<ToolResult> =>
    withCallSignal(signal, (callSignal) => callOnce(tool, args, callSignal));

  const readItem = (ref: string, signal?: AbortSignal): Promise<RawDoc | null> => {
    const cached = readCache.get(ref);
    if (cached) {
      stats.cacheHits++;
      // Refresh its place in the LRU order.
      readCache.delete(ref);
      readCache.set(ref, cached);
      return cached;
    }
    const read = opts.read!;
    const p = readLimit(async () => {
      const result = await call(
        read.tool,
        substitute(read.arguments ?? { path: "{item}" }, { item: ref }) as Record<string, unknown>,
        signal,
      );
      const sc = result.structuredContent as Record<string, unknown> | undefined;
      const full =
        textBlocks(result).join("\n\n") ||
        (sc && typeof sc === "object" ? (pick(sc, ["content", "text", "body"]) ?? "") : "");
      // Markdown notes carry their title, authors and licence in front matter.
      const { meta: front, body: text } = splitFrontMatter(full);
      if (!text.trim()) return null;
      const meta = { ...front, ...(sc && typeof sc === "object" && !Array.isArray(sc) ? sc : {}) };
      return {
        title: pick(meta, ["title", "name"]) ?? /^#\s+(.+)$/m.exec(text)?.[1]?.trim() ?? basename(ref),
        url: urlFor(id, pick(meta, ["url", "uri"]) ?? ref),
        text,
        authors: authorsOf(meta.authors ?? meta.author),
        published:
          meta.published instanceof Date
            ? meta.published.toISOString().slice(0, 10)
            : pick(meta, ["published", "date", "publishedAt"]),
        licenceRaw: meta.licence ?? meta.license,
      } satisfies RawDoc;
    });
    // A failed read is not cached: the next search may try again.
    p.catch(() => readCache.delete(ref));
    readCache.set(ref, p);
    while (readCache.size > cacheSize) readCache.delete(readCache.keys().next().value as string);
    return p;
  };

  const docsFromResult = (result: ToolResult): RawDoc[] => {
    const list = structuredList(result.structuredContent);
    if (list) {
      return list.flatMap((item, i): RawDoc[] => {
        if (typeof item === "string")
          return item.trim()
            ? [
                {
                  title: item.split("\n")[0]!.slice(0, 120),
                  url: urlFor(id, `result-${sha256(item).slice(0, 16)}`),
                  text: item,
                  authors: [],
                  published: null,
                  licenceRaw: undefined,
                },
              ]
            : [];
        if (!item || typeof item !== "object") return [];
        const o = item as Record<string, unknown>;
        const text = pick(o, [
          "text",
          "content",
          "body",
          "snippet",
          "abstract",
          "summary",
          "description",
          "extract",
        ]);
        if (!text) return [];
        const ref =
          pick(o, ["url", "uri", "link", "href", "path", "id"]) ?? `result-${i}-${sha256(text).slice(0, 16)}`;
        return [
          {
            title: pick(o, ["title", "name", "label"]) ?? text.split("\n")[0]!.slice(0, 120),
            url: urlFor(id, ref),
            text,
            authors: authorsOf(o.authors ?? o.author),
            published: pick(o, ["published", "date", "publishedAt", "year"]),
            licenceRaw: o.licence ?? o.license,
          },
        ];
      });
    }
    return textBlocks(result)
      .filter((t) => t.trim() && !NO_RESULTS.test(t))
      .map((text) => ({
        title: text.trim().split("\n")[0]!.slice(0, 120),
        url: urlFor(id, `${opts.tool}-${sha256(text).slice(0, 16)}`),
        text,
        authors: [],
        published: null,
        licenceRaw: undefined,
      }));
  };

  const itemsFromResult = (result: ToolResult): string[] => {
    const list = structuredList(result.structuredContent);
    const raw = list
      ? list.map(itemId)
      : textBlocks(result).flatMap((t) => (NO_RESULTS.test(t) ? [] : t.split(/\r?\n/)));
    return [...new Set(raw.map((s) => s?.trim() ?? "").filter((s) => s && !NO_RESULTS.test(s)))];
  };

  const toDocument = (raw: RawDoc, query: string): SourceDocument | null => {
    const passages = toPassages(raw.text);
    if (passages.length === 0) return null;
    const ranked = bm25Rank(query, passages, (p) => p.text);
    const chosen = ranked.length
      ? ranked.slice(0, perDoc).map((r) => r.item)
      : opts.rank === "server"
        ? passages.slice(0, perDoc)
        : [];
    if (chosen.length === 0) return null;
    const licence =
      raw.licenceRaw !== undefined && raw.licenceRaw !== null
        ? normaliseLicence(raw.licenceRaw, `MCP ${id} result licence`)
        : fallbackLicence;
    return {
      adapter: id,
      url: raw.url,
      title: raw.title,
      authors: raw.authors,
      published: raw.published,
      licence: licence.spdx === "unknown" && opts.licence ? fallbackLicence : licence,
      passages: chosen,
      contentHash: sha256(raw.text),
    };
  };

  return {
    id,
    description:
      opts.description ??
      `MCP tool ${opts.tool}${opts.read ? ` + ${opts.read.tool}` : ""} on ${opts.command ? opts.command : new URL(opts.url!).host}`,
    stats: () => ({ ...stats }),
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const limit = searchOpts.limit ?? 5;
      const signal = searchOpts.signal;
      const args = substitute(opts.arguments ?? { query: "{query}" }, { query, limit }) as Record<
        string,
        unknown
      >;
      const result = await call(opts.tool, args, signal);
      let raws: RawDoc[];
      if (opts.read) {
        const items = itemsFromResult(result).slice(0, maxItems);
        const read = await Promise.allSettled(items.map((ref) => readItem(ref, signal)));
        raws = read.flatMap((r) => (r.status === "fulfilled" && r.value ? [r.value] : []));
        if (raws.length === 0 && read.some((r) => r.status === "rejected")) {
          const first = read.find((r): r is PromiseRejectedResult => r.status === "rejected");
          throw first?.reason instanceof Error
            ? first.reason
            : new SynthforgeError("SOURCE_FAILED", `MCP source ${id}: every read failed`);
        }
      } else {
        raws = docsFromResult(result);
      }
      const docs = raws.map((r) => toDocument(r, query)).filter((d): d is SourceDocument => d !== null);
      if (opts.rank === "server") return docs.slice(0, limit);
      // Documents ordered by their best passages' BM25 scores over the whole result.
      const all = docs.flatMap((d, di) => d.passages.map((p) => ({ di, text: p.text })));
      const score = new Map<number, number>();
      for (const r of bm25Rank(query, all, (x) => x.text))
        score.set(r.item.di, (score.get(r.item.di) ?? 0) + r.score);
      return docs
        .map((d, di) => ({ d, s: score.get(di) ?? 0 }))
        .filter((x) => x.s > 0)
        .sort((a, b) => b.s - a.s)
        .slice(0, limit)
        .map((x) => x.d);
    },
    async close() {
      if (closed) return;
      closed = true;
      const pending = connecting;
      connecting = null;
      if (!pending) return;
      const client = await pending.catch(() => null);
      await client?.close().catch(() => undefined);
    },
  };
}
