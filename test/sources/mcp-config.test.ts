/**
 * An MCP source configured in synthforge.config.yaml, used by `synthforge generate` as a
 * user runs it (the real CLI entry, the real filesystem MCP server over stdio), and
 * stopped when the command ends.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { buildSources } from "../../src/cli/settings.js";
import { loadConfig } from "../../src/core/config.js";
import { bundledCorpusDir } from "../../src/sources/corpus.js";
import type { McpSource } from "../../src/sources/mcp.js";
import { sqliteStore } from "../../src/storage/typeorm-store.js";

const SERVER = resolve("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sf-mcpcfg-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

describe("mcp sources in the config file", () => {
  it("validates: command or url, a tool, known fields only", () => {
    const bad = [
      [
        "both.yaml",
        "sources:\n  - { type: mcp, id: a, tool: t, command: node, url: 'http://localhost:1/mcp' }\n",
        /command \(\+ args\) or url/,
      ],
      ["neither.yaml", "sources:\n  - { type: mcp, id: a, tool: t }\n", /command \(\+ args\) or url/],
      ["notool.yaml", "sources:\n  - { type: mcp, id: a, command: node }\n", /sources\.0\.tool/],
      [
        "extra.yaml",
        "sources:\n  - { type: mcp, id: a, tool: t, command: node, colour: red }\n",
        /sources\.0/,
      ],
    ] as const;
    for (const [name, body, message] of bad) {
      expect(() => loadConfig(writeConfig(name, body)), name).toThrow(
        expect.objectContaining({ code: "CONFIG_INVALID", message: expect.stringMatching(message) }),
      );
    }
  });

  it("builds an MCP source that runs in the config file's folder", async () => {
    const path = writeConfig(
      "ok.yaml",
      [
        "sources:",
        "  - type: mcp",
        "    id: notes",
        `    command: ${JSON.stringify(process.execPath)}`,
        `    args: [${JSON.stringify(SERVER)}, corpus]`,
        "    tool: search_files",
        "    arguments: { path: '.', pattern: '**/*.md' }",
        "    read: { tool: read_text_file, arguments: { path: '{item}' } }",
        "    licence: CC-BY-4.0",
      ].join("\n"),
    );
    // A folder "corpus" beside the config: the server's relative argument resolves against the config's folder
    // (and the filesystem server resolves tool paths against its allowed folder).
    const corpus = join(dir, "corpus");
    mkdirSync(corpus);
    cpSync(join(bundledCorpusDir(), "organic-chemistry"), join(corpus, "organic-chemistry"), {
      recursive: true,
    });
    const { config } = loadConfig(path);
    const [source] = buildSources({}, config, dir) as McpSource[];
    try {
      expect(source?.id).toBe("notes");
      const docs = await source!.search("benzene aromatic substitution");
      expect(docs[0]?.title).toMatch(/Aromatic/);
      expect(docs[0]?.url).toContain(join(dir, "corpus", "organic-chemistry"));
    } finally {
      await source?.close();
    }
  });

  it("synthforge generate researches through the configured MCP server and stops it at the end", async () => {
    const log = join(dir, "spawns.log");
    const launcher = join(dir, "launch.mjs");
    writeFileSync(
      launcher,
      `import { appendFileSync } from "node:fs";\nappendFileSync(${JSON.stringify(log)}, process.pid + "\\n");\nawait import(${JSON.stringify(`file://${SERVER}`)});\n`,
    );
    const corpus = bundledCorpusDir();
    const cfg = writeConfig(
      "generate.yaml",
      [
        "provider: offline",
        "sources:",
        "  - type: mcp",
        "    id: corpusOverMcp",
        `    command: ${JSON.stringify(process.execPath)}`,
        `    args: [${JSON.stringify(launcher)}, ${JSON.stringify(corpus)}]`,
        "    tool: search_files",
        `    arguments: { path: ${JSON.stringify(corpus)}, pattern: '**/*.md', excludePatterns: ['README.md'] }`,
        "    read: { tool: read_text_file, arguments: { path: '{item}' } }",
        "    licence: CC-BY-4.0",
      ].join("\n"),
    );
    const db = join(dir, "gen.db");
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      [
        "node",
        "synthforge",
        "generate",
        "Generate 4 SFT examples about organic chemistry",
        "--yes",
        "--config",
        cfg,
        "--db",
        db,
      ],
      {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
        tty: false,
      },
    );
    expect(code, err.join("\n")).toBe(0);
    expect(out.join("\n")).toMatch(/4\/4 approved/);
    const pids = readFileSync(log, "utf8").trim().split("\n");
    expect(pids).toHaveLength(1); // one server for the whole run
    const pid = Number(pids[0]);
    const gone = await (async () => {
      for (let i = 0; i < 200; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          return true;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      return false;
    })();
    expect(gone).toBe(true);
    const store = sqliteStore({ path: db });
    await store.init();
    try {
      const rows = (await store.dataSource.query("SELECT adapter, licence FROM sources")) as Array<{
        adapter: string;
        licence: string;
      }>;
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((r) => r.adapter))).toEqual(new Set(["corpusOverMcp"]));
      expect(rows.every((r) => r.licence === "CC-BY-4.0")).toBe(true);
    } finally {
      await store.close();
    }
    expect(existsSync(db)).toBe(true);
  });
});
