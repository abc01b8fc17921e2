/**
 * MCP sources against real MCP servers: @modelcontextprotocol/server-filesystem (from
 * npm) over stdio as a local-documents source, and a small server built with the SDK's
 * McpServer over Streamable HTTP for structured results and the `url` transport.
 */
import { randomUUID } from "node:crypto";
import { getEventListeners } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { isSynthforgeError } from "../../src/core/errors.js";
import { createPipeline } from "../../src/pipeline/pipeline.js";
import { type McpSource, mcpSource } from "../../src/sources/mcp.js";
import { sqliteStore } from "../../src/storage/typeorm-store.js";

const SERVER = resolve("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");

let dir: string;
let notes: string;
let spawnLog: string;
let launcher: string;

/** Pids the launcher recorded: one line per server process started. */
const spawns = () =>
  existsSync(spawnLog) ? readFileSync(spawnLog, "utf8").trim().split("\n").filter(Boolean) : [];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

function filesystemSource(extra: Partial<Parameters<typeof mcpSource>[0]> = {}): McpSource {
  return mcpSource({
    id: "notes",
    command: process.execPath,
    args: [launcher, notes],
    env: { SPAWN_LOG: spawnLog },
    tool: "search_files",
    arguments: { path: notes, pattern: "**/*.md" },
    read: { tool: "read_text_file", arguments: { path: "{item}" } },
    licence: "CC-BY-4.0",
    ...extra,
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sf-mcp-"));
  notes = join(dir, "notes");
  mkdirSync(join(notes, "chemistry"), { recursive: true });
  spawnLog = join(dir, "spawns.log");
  launcher = join(dir, "launch.mjs");
  // Records every start of the real server, then runs it (argv stays: node launch.mjs <dir>).
  writeFileSync(
    launcher,
    `import { appendFileSync } from "node:fs";\nappendFileSync(process.env.SPAWN_LOG, process.pid + "\\n");\nawait import(${JSON.stringify(`file://${SERVER}`)});\n`,
  );
  writeFileSync(
    join(notes, "chemistry", "haber.md"),
    "---\ntitle: The Haber process\nauthors: [Lab Notes]\nlicence: CC-BY-SA-4.0\n---\n\n# Haber\n\nThe Haber process combines nitrogen and hydrogen over an iron catalyst to make ammonia at about 450 degrees Celsius.\n\nAmmonia is the starting point of most nitrogen fertilisers.\n",
  );
  writeFileSync(
    join(notes, "chemistry", "titration.md"),
    "# Titration\n\nTitration finds the concentration of an acid by adding a base of known concentration until an indicator changes colour.\n",
  );
  writeFileSync(
    join(notes, "chemistry", "benzene.md"),
    "# Benzene\n\nBenzene undergoes electrophilic aromatic substitution rather than addition, which keeps its aromatic ring intact.\n",
  );
  writeFileSync(join(notes, "skip.txt"), "Not matched by the pattern: nitrogen hydrogen ammonia.\n");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("mcpSource over stdio with @modelcontextprotocol/server-filesystem", () => {
  it("starts the server once for many searches, sequential and concurrent, and stops it on close", async () => {
    rmSync(spawnLog, { force: true });
    const source = filesystemSource();
    expect(spawns()).toEqual([]); // nothing starts before the first search
    const first = await source.search("Haber process ammonia catalyst");
    expect(first[0]?.title).toBe("The Haber process");
    expect(first[0]?.authors).toEqual(["Lab Notes"]);
    expect(first[0]?.url).toBe(`file://${join(notes, "chemistry", "haber.md")}`);
    // Front matter of the file wins over the configured licence.
    expect(first[0]?.licence).toMatchObject({ spdx: "CC-BY-SA-4.0", shareAlike: true, permissive: true });
    expect(first[0]?.passages[0]?.text).toContain("iron catalyst");
    expect(first[0]?.passages.some((p) => p.text.includes("---"))).toBe(false);
    expect(first.map((d) => d.title)).not.toContain("skip.txt");

    const more = await Promise.all([
      source.search("titration indicator acid base"),
      source.search("benzene aromatic substitution"),
      source.search("nitrogen fertilisers"),
      source.search("titration concentration"),
    ]);
    for (let i = 0; i < 10; i++) await source.search(i % 2 ? "benzene ring" : "ammonia");
    expect(more[0]?.[0]?.title).toBe("Titration");
    expect(more[0]?.[0]?.licence.spdx).toBe("CC-BY-4.0"); // no front matter licence: the configured one
    expect(more[1]?.[0]?.title).toBe("Benzene");

    const pids = spawns();
    expect(pids).toHaveLength(1);
    const stats = source.stats();
    expect(stats.connections).toBe(1);
    expect(stats.cacheHits).toBeGreaterThan(0); // files are read once, then served from the cache
    expect(stats.toolCalls).toBe(15 + 3); // one search call per search, one read per file

    const pid = Number(pids[0]);
    expect(alive(pid)).toBe(true);
    await source.close();
    expect(await waitFor(() => !alive(pid))).toBe(true);
    await source.close(); // idempotent
    await expect(source.search("ammonia")).rejects.toSatisfy((e) => isSynthforgeError(e, "SOURCE_FAILED"));
    expect(spawns()).toHaveLength(1);
  });

  it("adds no abort listener to the run's signal per call: 200 searches leave none behind", async () => {
    const source = filesystemSource();
    const run = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (w: Error) => {
      if (w.name === "MaxListenersExceededWarning") warnings.push(w);
    };
    process.on("warning", onWarning);
    try {
      const before = getEventListeners(run.signal, "abort").length;
      for (let i = 0; i < 200; i++) {
        const docs = await source.search(i % 2 ? "benzene ring" : "ammonia", { signal: run.signal });
        expect(docs.length).toBeGreaterThan(0);
      }
      expect(getEventListeners(run.signal, "abort").length).toBeLessThanOrEqual(before);
      expect(warnings).toEqual([]);
      expect(source.stats().toolCalls).toBeGreaterThanOrEqual(200);
    } finally {
      process.off("warning", onWarning);
      await source.close();
    }
  });

  it("a call still stops when the run's signal aborts", async () => {
    const source = filesystemSource();
    try {
      await source.search("ammonia"); // the server is up
      const run = new AbortController();
      run.abort(new Error("run cancelled"));
      const err = await source.search("benzene", { signal: run.signal }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(getEventListeners(run.signal, "abort")).toHaveLength(0);
    } finally {
      await source.close();
    }
  });

  it("starts the server again when it died, on the next search", async () => {
    rmSync(spawnLog, { force: true });
    const source = filesystemSource();
    try {
      await source.search("ammonia");
      const pid = Number(spawns()[0]);
      process.kill(pid, "SIGKILL");
      await waitFor(() => !alive(pid));
      // The next search notices the closed connection and gets a new server.
      const docs = await source.search("benzene");
      expect(docs[0]?.title).toBe("Benzene");
      expect(spawns()).toHaveLength(2);
      expect(source.stats().connections).toBe(2);
    } finally {
      await source.close();
    }
  });

  it("is closed by pipeline.close()", async () => {
    rmSync(spawnLog, { force: true });
    const source = filesystemSource();
    const pipeline = createPipeline({
      storage: sqliteStore({ path: join(dir, "close.db") }),
      sources: [source],
    });
    await source.search("ammonia");
    const pid = Number(spawns()[0]);
    expect(alive(pid)).toBe(true);
    await pipeline.close();
    expect(await waitFor(() => !alive(pid))).toBe(true);
  });

  it("reports a missing tool with the tools the server has", async () => {
    const source = filesystemSource({ tool: "full_text_search" });
    try {
      await expect(source.search("ammonia")).rejects.toThrow(
        /has no tool "full_text_search"\. It has: .*read_text_file.*search_files/,
      );
    } finally {
      await source.close();
    }
  });

  it("turns a tool error into SOURCE_FAILED with the server's message", async () => {
    const source = filesystemSource({
      tool: "read_text_file",
      arguments: { path: "/definitely/outside/allowed.md" },
      read: undefined,
    });
    try {
      const err = await source.search("ammonia").catch((e: unknown) => e);
      expect(isSynthforgeError(err, "SOURCE_FAILED")).toBe(true);
      expect((err as Error).message).toMatch(
        /tool read_text_file returned an error: .*(denied|outside|allowed)/i,
      );
    } finally {
      await source.close();
    }
  });

  it("says why when the server cannot be started, without leaking its environment", async () => {
    const source = mcpSource({
      id: "ghost",
      command: join(dir, "no-such-server"),
      env: { API_TOKEN: "s3cret-token-value" },
      tool: "search",
    });
    const err = await source.search("x").catch((e: unknown) => e);
    expect(isSynthforgeError(err, "SOURCE_FAILED")).toBe(true);
    expect((err as Error).message).toContain("could not connect");
    expect((err as Error).message).not.toContain("s3cret-token-value");
    await source.close();
  });

  it("rejects bad configuration with CONFIG_INVALID", () => {
    for (const bad of [
      { id: "x", tool: "t" },
      { id: "x", tool: "t", command: "node", url: "http://localhost:1/mcp" },
      { id: "x", tool: "t", url: "not a url" },
      { id: "", tool: "t", command: "node" },
      { id: "x", tool: "", command: "node" },
    ]) {
      expect(() => mcpSource(bad as Parameters<typeof mcpSource>[0]), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: "CONFIG_INVALID" }),
      );
    }
  });
});

describe("mcpSource over Streamable HTTP with structured results", () => {
  let http: Server;
  let url: string;
  let sessions = 0;
  const calls: string[] = [];

  beforeAll(async () => {
    const transports = new Map<string, StreamableHTTPServerTransport>();
    const makeServer = () => {
      const server = new McpServer({ name: "papers", version: "1.0.0" });
      server.registerTool(
        "search_papers",
        { description: "Search papers", inputSchema: { q: z.string(), max: z.number() } },
        async ({ q, max }) => {
          calls.push(`${q}|${max}`);
          const results = [
            {
              title: "Nitrogen fixation review",
              url: "https://papers.example/1",
              abstract:
                "Biological nitrogen fixation converts atmospheric nitrogen to ammonia using the nitrogenase enzyme.",
              authors: [{ name: "A. Author" }, { name: "B. Author" }],
              published: "2021-05-01",
              license: "CC-BY-4.0",
            },
            {
              title: "Closed paper",
              url: "https://papers.example/2",
              abstract: "Industrial ammonia synthesis by the Haber process dominates nitrogen supply.",
              license: "publisher-specific-oa",
            },
            {
              title: "No licence",
              url: "https://papers.example/3",
              snippet: "Ammonia is a compound of nitrogen and hydrogen.",
            },
            {
              title: "Unrelated",
              url: "https://papers.example/4",
              abstract: "Medieval poetry used alliteration.",
            },
          ];
          return {
            content: [{ type: "text", text: JSON.stringify(results) }],
            structuredContent: { results },
          };
        },
      );
      return server;
    };
    http = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
      const sid = req.headers["mcp-session-id"];
      let transport = typeof sid === "string" ? transports.get(sid) : undefined;
      if (!transport) {
        transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => {
            sessions++;
            transports.set(id, transport!);
          },
        });
        await makeServer().connect(transport);
      }
      await transport.handleRequest(req, res, body);
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", () => r()));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  });

  afterAll(() => new Promise<void>((r) => http.close(() => r())));

  it("maps structuredContent items to documents with per-item licences, over one session", async () => {
    const source = mcpSource({
      id: "papers",
      url,
      tool: "search_papers",
      arguments: { q: "{query}", max: "{limit}" },
      licence: "CC0-1.0",
    });
    try {
      const docs = await source.search("nitrogen ammonia", { limit: 3 });
      await source.search("ammonia hydrogen", { limit: 2 });
      expect(calls).toEqual(["nitrogen ammonia|3", "ammonia hydrogen|2"]); // placeholders keep their type
      expect(sessions).toBe(1);
      expect(source.stats().connections).toBe(1);
      // Ranked by BM25 for the query; the item that shares no word with it is left out.
      expect(docs.map((d) => d.title).sort()).toEqual([
        "Closed paper",
        "Nitrogen fixation review",
        "No licence",
      ]);
      const byTitle = (t: string) => docs.find((d) => d.title === t);
      const [fixation, closed, none] = [
        byTitle("Nitrogen fixation review"),
        byTitle("Closed paper"),
        byTitle("No licence"),
      ];
      expect(fixation).toMatchObject({
        url: "https://papers.example/1",
        authors: ["A. Author", "B. Author"],
        published: "2021-05-01",
        adapter: "papers",
      });
      expect(fixation?.licence.spdx).toBe("CC-BY-4.0");
      expect(closed?.licence).toMatchObject({ spdx: "LicenseRef-publisher-specific-oa", permissive: false });
      expect(none?.licence.spdx).toBe("CC0-1.0"); // the configured licence
      expect(none?.licence.evidence).toContain("licence option");
      expect(none?.passages[0]?.text).toBe("Ammonia is a compound of nitrogen and hydrogen.");
    } finally {
      await source.close();
    }
  });

  it("keeps the server's order with rank: server, and defaults to an unknown licence", async () => {
    const source = mcpSource({
      id: "papers",
      url,
      tool: "search_papers",
      arguments: { q: "{query}", max: 10 },
      rank: "server",
    });
    try {
      const docs = await source.search("poetry");
      expect(docs.map((d) => d.title)).toEqual([
        "Nitrogen fixation review",
        "Closed paper",
        "No licence",
        "Unrelated",
      ]);
      expect(docs[2]?.licence).toMatchObject({ spdx: "unknown", permissive: false });
    } finally {
      await source.close();
    }
  });
});
