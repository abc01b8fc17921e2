import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPlugins, validateJsonLines } from "../../src/index.js";

/**
 * The example plugin (examples/plugin/index.js) through the real CLI (bin/synthforge.js,
 * offline provider): a training type, its export format, a source and a verifier that
 * src/ knows nothing about, loaded by --plugin and by `plugins:` in a config file.
 */

const root = join(import.meta.dirname, "..", "..");
const bin = join(root, "bin", "synthforge.js");
const plugin = join(root, "examples", "plugin", "index.js");

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in `cwd` without a model key (offline). Not spawnSync: vitest's heartbeat must go on. */
async function cli(args: string[], cwd: string): Promise<Result> {
  const env = { ...process.env };
  delete env.GEMINI_API_KEY;
  delete env.GOOGLE_API_KEY;
  delete env.SYNTHFORGE_DB;
  delete env.SYNTHFORGE_SOURCES;
  const child = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const r: Result = { status: null, stdout: "", stderr: "" };
  child.stdout.on("data", (d) => (r.stdout += d));
  child.stderr.on("data", (d) => (r.stderr += d));
  r.status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return r;
}

/** Checks an mcq-jsonl file with the plugin's own validator and returns its rows. */
async function checkedRows(file: string): Promise<Array<Record<string, unknown>>> {
  const lines = readFileSync(file, "utf8").trim().split("\n");
  const res = await validateJsonLines("mcq-jsonl", lines);
  expect(res.errors).toEqual([]);
  return lines.map((l) => JSON.parse(l));
}

beforeAll(async () => {
  // For validateJsonLines in this process (the CLI loads the plugin itself).
  await loadPlugins([plugin]);
});

describe("examples/plugin through the CLI", () => {
  it("--plugin: generate --type mcq from the plugin's source, export --format mcq-jsonl, sources search", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-plugin-cli-"));
    const p = ["--plugin", plugin];

    const help = await cli(["generate", "--help", ...p], dir);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout.replace(/\s+/g, " ")).toContain(
      "training type (sft, dpo, ppo, grpo, rlhf, kto, orpo, chat, qa, mcq)",
    );

    const gen = await cli(
      [
        "generate",
        "--type",
        "mcq",
        "-n",
        "3",
        "--topic",
        "the water cycle",
        "--yes",
        "--sources",
        "jsonNotes",
        "--db",
        "mcq.db",
        "--json",
        ...p,
      ],
      dir,
    );
    expect(gen.status, gen.stderr).toBe(0);
    const summary = JSON.parse(gen.stdout.trim().split("\n").at(-1)!);
    expect(summary.trainingType).toBe("mcq");
    expect(summary.counts.approved).toBe(3);

    const list = await cli(["export", "--list-formats", ...p], dir);
    expect(list.stdout).toMatch(/^ {2}mcq\s+mcq-jsonl, trl-sft-messages$/m);
    expect(list.stdout).toMatch(/^ {2}mcq-jsonl\s+Multiple choice: \{question, choices/m);

    const exp = await cli(
      ["export", "--format", "mcq-jsonl", "--out", "mcq.jsonl", "--db", "mcq.db", ...p],
      dir,
    );
    expect(exp.status, exp.stderr).toBe(0);
    const rows = await checkedRows(join(dir, "mcq.jsonl"));
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r.choices as string[]).toHaveLength(4);
      expect(["A", "B", "C", "D"]).toContain(r.answer);
      // The right choice is a sentence of the plugin's notes (the offline composer grounds it).
      const right = (r.choices as string[])["ABCD".indexOf(r.answer as string)]!;
      expect(readFileSync(join(root, "examples", "plugin", "notes.json"), "utf8")).toContain(
        right.slice(0, 40),
      );
    }

    const search = await cli(["sources", "search", "jsonnotes", "aquifer", "--json", ...p], dir);
    expect(search.status, search.stderr).toBe(0);
    const docs = JSON.parse(search.stdout.trim().split("\n").at(-1)!).documents;
    expect(docs[0].adapter).toBe("jsonNotes");
    expect(docs[0].title).toBe("Groundwater and aquifers");
    expect(docs[0].licence.spdx).toBe("CC-BY-4.0");

    // Without the plugin the type is unknown again: nothing of it lives in src/.
    const without = await cli(["export", "--format", "mcq-jsonl", "--out", "x.jsonl", "--db", "mcq.db"], dir);
    expect(without.status).toBe(2);
    expect(without.stderr).toMatch(/UNKNOWN_TRAINING_TYPE/);

    // The run stores the plugins it was made with: resuming it without them names the flag
    // to add (the database never makes synthforge load code); with them it continues.
    const resumeWithout = await cli(["resume", summary.runId, "--db", "mcq.db"], dir);
    expect(resumeWithout.status).toBe(2);
    expect(resumeWithout.stderr).toContain(
      `error [PLUGIN_FAILED]: This run was made with the plugin(s) ${plugin}, which are not loaded; add --plugin ${plugin}`,
    );
    const resumeWith = await cli(["resume", summary.runId, "--db", "mcq.db", ...p], dir);
    expect(resumeWith.status, resumeWith.stderr).toBe(0);
    expect(resumeWith.stdout).toContain("is already completed: 3/3 approved");
  }, 180_000);

  it("plugins: in synthforge.config.yaml, relative to the config file, with the source configured there", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-plugin-config-"));
    writeFileSync(
      join(dir, "synthforge.config.yaml"),
      [
        `plugins: [${JSON.stringify(relative(dir, plugin))}]`,
        "db: ./cfg.db",
        "sources:",
        "  - type: jsonNotes",
        `    options: { file: ${JSON.stringify(join(root, "examples", "plugin", "notes.json"))} }`,
        "",
      ].join("\n"),
    );
    const gen = await cli(
      ["generate", "Generate 2 MCQ examples about the water cycle", "--yes", "--json"],
      dir,
    );
    expect(gen.status, gen.stderr).toBe(0);
    expect(JSON.parse(gen.stdout.trim().split("\n").at(-1)!).counts.approved).toBe(2);
    const exp = await cli(["export", "--format", "mcq-jsonl", "--out", "out/mcq.jsonl"], dir);
    expect(exp.status, exp.stderr).toBe(0);
    expect(await checkedRows(join(dir, "out", "mcq.jsonl"))).toHaveLength(2);
  }, 180_000);

  it("synthforge mcp --plugin: the tools take the plugin's type like a built-in", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-plugin-mcp-"));
    const env = { ...process.env } as Record<string, string>;
    delete env.GEMINI_API_KEY;
    delete env.GOOGLE_API_KEY;
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        bin,
        "mcp",
        "--plugin",
        plugin,
        "--sources",
        "jsonNotes",
        "--db",
        "mcp.db",
        "--provider",
        "offline",
      ],
      env,
      cwd: dir,
      stderr: "pipe",
    });
    const client = new Client({ name: "synthforge-test", version: "1.0.0" });
    const long = { timeout: 170_000 };
    await client.connect(transport, long);
    try {
      const call = async (name: string, args: Record<string, unknown>) =>
        (await client.callTool({ name, arguments: args }, undefined, long)) as CallToolResult;
      const formats = await call("list_formats", { trainingType: "mcq" });
      expect(formats.isError ?? false, JSON.stringify(formats.content)).toBe(false);
      const names = (formats.structuredContent as { formats: Array<{ name: string }> }).formats.map(
        (f) => f.name,
      );
      expect([...names].sort()).toEqual(["mcq-jsonl", "trl-sft-messages"]);

      const plan = await call("plan", { request: "Generate 2 mcq examples about the water cycle" });
      expect(plan.isError ?? false, JSON.stringify(plan.content)).toBe(false);
      expect((plan.structuredContent as { plan: { trainingType: string } }).plan.trainingType).toBe("mcq");

      // An unknown type is refused, naming the plugin's among the types there are.
      const bad = await call("list_formats", { trainingType: "nope" });
      expect(bad.isError).toBe(true);
      expect((bad.content[0] as { text: string }).text).toMatch(/trainingType must be one of sft, .*qa, mcq/);
    } finally {
      await client.close();
    }
  }, 180_000);

  it("a plugin that cannot be loaded is a typed error naming it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-plugin-bad-"));
    writeFileSync(join(dir, "no-default.mjs"), "export const register = () => {};\n");
    const missing = await cli(["runs", "--plugin", "./nope.js"], dir);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toBe(
      'error [PLUGIN_FAILED]: Plugin "./nope.js" could not be loaded: the file does not exist.',
    );
    const noDefault = await cli(["runs", "--plugin", "./no-default.mjs"], dir);
    expect(noDefault.status).toBe(2);
    expect(noDefault.stderr).toContain('Plugin "./no-default.mjs" has no default export function');
  }, 60_000);
});
