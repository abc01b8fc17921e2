/**
 * `synthforge sources search <id> "<query>"` on a source configured in
 * synthforge.config.yaml, through the built CLI: an MCP source (the real
 * @modelcontextprotocol/server-filesystem over stdio) is searched by its own id.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, ROOT, tempDir } from "./helpers.js";

const SERVER = join(ROOT, "node_modules", "@modelcontextprotocol", "server-filesystem", "dist", "index.js");

let dir: string;
let notes: string;

beforeAll(() => {
  dir = tempDir("sf-sources-search-");
  notes = join(dir, "notes");
  mkdirSync(notes, { recursive: true });
  writeFileSync(
    join(notes, "haber.md"),
    "---\ntitle: The Haber process\nauthors: [Lab Notes]\n---\n\n# Haber\n\nThe Haber process combines nitrogen and hydrogen over an iron catalyst to make ammonia.\n",
  );
  writeFileSync(
    join(notes, "benzene.md"),
    "# Benzene\n\nBenzene undergoes electrophilic aromatic substitution rather than addition.\n",
  );
  // JSON is YAML: the MCP source `fsnotes` as a user would configure it.
  writeFileSync(
    join(dir, "synthforge.config.yaml"),
    JSON.stringify({
      sources: [
        { type: "wikipedia" },
        {
          type: "mcp",
          id: "fsnotes",
          command: process.execPath,
          args: [SERVER, notes],
          tool: "search_files",
          arguments: { path: notes, pattern: "**/*.md" },
          read: { tool: "read_text_file", arguments: { path: "{item}" } },
          licence: "CC-BY-4.0",
        },
      ],
    }),
  );
});

describe("synthforge sources search on a configured source", () => {
  it("searches an MCP source by the id it has in the config", async () => {
    const res = await cli(["sources", "search", "fsnotes", "Haber process ammonia catalyst"], { cwd: dir });
    expect(res.stderr).not.toMatch(/Unknown source/);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("1. The Haber process");
    expect(res.stdout).toContain(`url:       file://${join(notes, "haber.md")}`);
    expect(res.stdout).toMatch(/licence: {3}CC-BY-4\.0 \(permissive/);
    expect(res.stdout).toMatch(/iron catalyst/);

    const json = await cli(["sources", "search", "fsnotes", "benzene substitution", "--json"], { cwd: dir });
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout.trim()) as {
      adapter: string;
      documents: Array<{ adapter: string; title: string }>;
    };
    expect(parsed.adapter).toBe("fsnotes");
    expect(parsed.documents.map((d) => [d.adapter, d.title])).toEqual([["fsnotes", "Benzene"]]);
  });

  it("an unknown id names the built-in and the configured sources", async () => {
    const res = await cli(["sources", "search", "fsnote", "x"], { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/Unknown source "fsnote"\. Known sources: .*arxiv/);
    expect(res.stderr).toMatch(/configured in .*synthforge\.config\.yaml: wikipedia, fsnotes/);
  });
});
