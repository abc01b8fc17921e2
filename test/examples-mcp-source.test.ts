/**
 * examples/mcp-source.ts, run as a user runs it (offline, no key): the pipeline starts the
 * example's stdio MCP server (examples/mcp-source-server.ts) and researches in it. The
 * server's documents are read from the server itself, through a real MCP client, and every
 * approved example must be grounded in them, word for word, with their licences.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { beforeAll, describe, expect, it } from "vitest";
import { groundTruthPassages } from "../src/pipeline/research-stage.js";
import { offlineEnv, query, ROOT, tempDir } from "./cli/helpers.js";

const SERVER = join(ROOT, "examples", "mcp-source-server.ts");

interface ServedDoc {
  title: string;
  url: string;
  text: string;
  licence: string;
}

/** Everything the server serves: a query that shares a word with each of its notes. */
let served: ServedDoc[];

beforeAll(async () => {
  const client = new Client({ name: "examples-test", version: "1.0.0" });
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args: ["--import", "tsx", SERVER], cwd: ROOT }),
  );
  try {
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(["search"]);
    const result = await client.callTool({ name: "search", arguments: { query: "bee honey", limit: 50 } });
    served = (result.structuredContent as { results: ServedDoc[] }).results;
  } finally {
    await client.close();
  }
});

describe("examples/mcp-source.ts", () => {
  it("researches in the example MCP server: approved rows cite its documents, word for word, with their licences", async () => {
    expect(served.length).toBeGreaterThanOrEqual(3);
    expect(new Set(served.map((d) => d.licence))).toEqual(new Set(["CC-BY-4.0", "CC0-1.0"]));
    const byUrl = new Map(served.map((d) => [d.url, d]));
    const flat = (s: string) => s.replace(/\s+/g, " ").trim();
    const servedText = served.map((d) => flat(d.text)).join("\n");

    const db = join(tempDir("sf-example-mcp-"), "mcp.db");
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "examples", "mcp-source.ts"), db], {
      cwd: ROOT,
      env: offlineEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^3\/3 approved \(completed\)$/m);
    // One server process for the whole run (started on the first search, stopped by close()).
    expect(stdout).toMatch(/^MCP server: started 1 time\(s\), \d+ tool call\(s\)$/m);

    const sources = query<{ id: string; adapter: string; url: string; licence: string; title: string }>(
      db,
      "SELECT id, adapter, url, licence, title FROM sources",
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const s of sources) {
      expect(s.adapter).toBe("beeNotes");
      const doc = byUrl.get(s.url);
      expect(doc, `${s.url} is not one of the server's documents`).toBeDefined();
      expect(s.licence).toBe(doc!.licence); // each hit's own licence, not the fallback
      expect(s.title).toBe(doc!.title);
    }
    const sourceById = new Map(sources.map((s) => [s.id, s]));

    const approved = query<{
      id: string;
      text: string;
      context_sources: string;
      ground_truth_context: string;
    }>(
      db,
      `SELECT q.id, q.text, q.context_sources, q.ground_truth_context FROM questions q
       JOIN synthetic_data_sft e ON e.question_id = q.id WHERE e.review_status = 'approved'`,
    );
    expect(approved).toHaveLength(3);
    const licencesUsed = new Set<string>();
    for (const q of approved) {
      const cited = JSON.parse(q.context_sources) as Array<{
        sourceId: string;
        url: string;
        licence: string;
      }>;
      expect(cited.length, q.text).toBeGreaterThan(0);
      for (const c of cited) {
        expect(byUrl.get(c.url)?.licence, c.url).toBe(c.licence);
        expect(sourceById.get(c.sourceId)?.url).toBe(c.url);
        licencesUsed.add(c.licence);
        // The example prints what each approved row cites.
        expect(stdout).toContain(`  source: ${byUrl.get(c.url)!.title} <${c.url}> ${c.licence}`);
      }
      const passages = groundTruthPassages(q.ground_truth_context);
      expect(passages.length, q.text).toBeGreaterThan(0);
      for (const p of passages) {
        expect(sourceById.has(p.sourceId), p.sourceId).toBe(true);
        expect(servedText.includes(flat(p.text)), `not word for word from the server: ${p.text}`).toBe(true);
      }
      expect(stdout).toContain(`\n${q.text}\n`);
    }
    for (const l of licencesUsed) expect(["CC-BY-4.0", "CC0-1.0"]).toContain(l);
  });
});
