import { spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BaseLlm, isBaseLlm } from "@google/adk";
import { describe, expect, it } from "vitest";
import { buildProgram, commandOf } from "../../src/cli/main.js";
import { adk } from "../../src/models/adk.js";
import { OfflineLlm } from "../../src/models/offline.js";
import { ROOT } from "./helpers.js";

/**
 * Start-up (issue 15): the CLI registers only the command it runs, and neither the CLI's
 * `--version`/`--help` nor `import("synthforge")` evaluates the heavy dependencies.
 */

const HEAVY = [
  "@google/adk",
  "@google/genai",
  "mathjs",
  "typeorm",
  "pg",
  "pg-boss",
  "openai",
  "@huggingface/hub",
  "unpdf",
  "linkedom",
  "@mozilla/readability",
  "@modelcontextprotocol/sdk",
  "pyodide",
  "quickjs-emscripten",
  "ses",
  "undici",
  "fast-xml-parser",
  "yaml",
];

/** A module hook that prints, at exit, every package under node_modules the process loaded. */
const HOOK = `data:text/javascript,${encodeURIComponent(`
import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";
const { port1, port2 } = new MessageChannel();
const seen = new Set();
port1.on("message", (p) => seen.add(p));
port1.unref();
register("data:text/javascript," + encodeURIComponent(\`
let port; export function initialize(d) { port = d.port; }
export async function load(url, c, next) {
  const m = url.match(/node_modules\\\\/((@[^/]+\\\\/)?[^/]+)/); if (m) port.postMessage(m[1]); return next(url, c); }\`),
  { data: { port: port2 }, transferList: [port2] });
process.on("exit", () => process.stderr.write("\\nLOADED " + JSON.stringify([...seen]) + "\\n"));
`)}`;

/** Runs node with the hook; resolves to its exit code, stdout and the packages it loaded. */
function loaded(args: string[]): Promise<{ code: number | null; stdout: string; packages: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", HOOK, ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = stderr.split("\n").find((l) => l.startsWith("LOADED "));
      if (!line) return reject(new Error(`no LOADED line from the child: ${stderr}`));
      resolve({ code, stdout, packages: JSON.parse(line.slice("LOADED ".length)) as string[] });
    });
  });
}

const silent = { out: () => undefined, err: () => undefined, tty: false };

describe("start-up", () => {
  it("the top-level help is the same with every command loaded and with none", async () => {
    const full = (await buildProgram(silent, () => undefined)).helpInformation();
    const light = (await buildProgram(silent, () => undefined, null)).helpInformation();
    expect(full).toContain("runs [options]");
    expect(light).toBe(full);
    // One command loaded for real, the others from their help lines: still the same.
    const one = await buildProgram(silent, () => undefined, "export");
    expect(one.helpInformation()).toBe(full);
    expect(one.commands.find((c) => c.name() === "export")!.options.map((o) => o.long)).toContain(
      "--list-formats",
    );
  });

  it("finds the command a command line runs", () => {
    expect(commandOf(["runs", "--db", "x.db"])).toBe("runs");
    expect(commandOf(["help", "export"])).toBe("export");
    expect(commandOf(["--help"])).toBeNull();
    expect(commandOf(["nonsense"])).toBeNull();
  });

  it("synthforge --version and --help load only commander", async () => {
    const bin = join(ROOT, "bin", "synthforge.js");
    const version = await loaded([bin, "--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(version.packages).toEqual(["commander"]);
    const help = await loaded([bin, "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Commands:");
    expect(help.packages).toEqual(["commander"]);
  });

  it('import("synthforge") evaluates none of the heavy dependencies', async () => {
    const index = pathToFileURL(join(ROOT, "dist", "index.js")).href;
    const r = await loaded([
      "-e",
      `const m = await import(${JSON.stringify(index)}); console.log(typeof m.createPipeline)`,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("function");
    expect(r.packages.length).toBeGreaterThan(0);
    expect(r.packages.filter((p) => HEAVY.includes(p))).toEqual([]);
  });

  it("loads ADK's common module, not the entry's database sessions and telemetry, with the same classes", async () => {
    const a = adk();
    // Exported by ADK's entry only (it pulls in MikroORM and OpenTelemetry's SDKs).
    expect("DatabaseSessionService" in a).toBe(false);
    expect("GcsArtifactService" in a).toBe(false);
    const entry = await import("@google/adk");
    expect("DatabaseSessionService" in entry).toBe(true);
    // The entry re-exports the common module: one class, whichever way a host imports it.
    expect(a.LlmAgent).toBe(entry.LlmAgent);
    expect(a.BaseLlm).toBe(entry.BaseLlm);
    expect(a.Runner).toBe(entry.Runner);
  });

  it("a model made after a lazy load is a real ADK BaseLlm", () => {
    const llm = new OfflineLlm();
    expect(llm).toBeInstanceOf(OfflineLlm);
    expect(isBaseLlm(llm)).toBe(true);
    expect(llm).toBeInstanceOf(BaseLlm);
    expect(typeof llm.maybeAppendUserContent).toBe("function");
  });
});
