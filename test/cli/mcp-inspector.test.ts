import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, offlineEnv, tempDir } from "./helpers.js";

/**
 * `synthforge mcp` seen by the MCP inspector's CLI mode (`@modelcontextprotocol/inspector-cli`),
 * a client written by others, over stdio and over Streamable HTTP.
 */

const INSPECTOR = join(
  dirname(createRequire(import.meta.url).resolve("@modelcontextprotocol/inspector-cli/package.json")),
  "build",
  "index.js",
);

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the inspector's CLI mode. Its working folder is its own `build/`: it reads its
 * package.json at `../package.json` relative to the working folder.
 */
function inspector(args: string[], env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [INSPECTOR, ...args], {
      cwd: dirname(INSPECTOR),
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function json(r: Result): Record<string, unknown> {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** The JSON a synthforge tool returned (its structured content). */
function tool(r: Result): Record<string, unknown> {
  const res = json(r) as { isError?: boolean; structuredContent: Record<string, unknown>; content: unknown };
  expect(res.isError ?? false, JSON.stringify(res.content)).toBe(false);
  return res.structuredContent;
}

let dir: string;
beforeAll(() => {
  dir = tempDir("sf-mcp-inspector-");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the MCP inspector over stdio", () => {
  const server = () => ["node", BIN, "mcp", "--db", join(dir, "stdio.db"), "--provider", "offline"];

  it("lists the tools and the resources", async () => {
    const listed = json(await inspector([...server(), "--method", "tools/list"], offlineEnv()));
    const tools = listed.tools as Array<{ name: string; inputSchema: { type: string } }>;
    expect(tools.map((t) => t.name).sort()).toEqual([
      "export",
      "generate",
      "list_formats",
      "list_runs",
      "plan",
      "review_rows",
      "run_status",
      "search_sources",
    ]);
    for (const t of tools) expect(t.inputSchema.type).toBe("object");
    const templates = json(
      await inspector([...server(), "--method", "resources/templates/list"], offlineEnv()),
    );
    expect(JSON.stringify(templates)).toContain("synthforge://runs/");
  });

  it("calls plan and list_formats, and gets a typed error for a bad argument", async () => {
    const plan = tool(
      await inspector(
        [
          ...server(),
          "--method",
          "tools/call",
          "--tool-name",
          "plan",
          "--tool-arg",
          "request=Generate 20 examples of chemistry data for DPO",
        ],
        offlineEnv(),
      ),
    );
    expect(plan.plan).toMatchObject({ trainingType: "dpo", count: 20, topic: "chemistry" });
    const formats = tool(
      await inspector([...server(), "--method", "tools/call", "--tool-name", "list_formats"], offlineEnv()),
    );
    expect(JSON.stringify(formats)).toContain("trl-sft-messages");
    const bad = json(
      await inspector(
        [...server(), "--method", "tools/call", "--tool-name", "run_status", "--tool-arg", "runId=nope"],
        offlineEnv(),
      ),
    ) as { isError?: boolean; content: Array<{ text: string }> };
    expect(bad.isError).toBe(true);
    expect(bad.content[0]!.text).toMatch(/^error \[[A-Z_]+\]: /);
  });
});

describe("the MCP inspector over Streamable HTTP", () => {
  let child: ChildProcess;
  let url: string;
  const token = randomBytes(24).toString("base64url");
  const auth = ["--transport", "http", "--header", `Authorization: Bearer ${token}`];

  beforeAll(async () => {
    child = spawn(
      process.execPath,
      [BIN, "mcp", "--http", "--port", "0", "--db", join(dir, "http.db"), "--provider", "offline"],
      { cwd: dir, env: offlineEnv({ SYNTHFORGE_MCP_TOKEN: token }), stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    url = await new Promise<string>((resolve, reject) => {
      child.stderr!.on("data", (d) => {
        stderr += d;
        const m = /MCP server on (http:\/\/\S+\/mcp)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.once("exit", (code) => reject(new Error(`mcp --http exited (${code}): ${stderr}`)));
    });
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    }
  });

  it("is refused without the token", async () => {
    const r = await inspector([url, "--transport", "http", "--method", "tools/list"], offlineEnv());
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('"tools"');
  });

  it("runs generate → run_status → export", async () => {
    const started = tool(
      await inspector(
        [
          url,
          ...auth,
          "--method",
          "tools/call",
          "--tool-name",
          "generate",
          "--tool-arg",
          "request=Generate 3 SFT examples about organic chemistry",
        ],
        offlineEnv(),
      ),
    );
    const runId = started.runId as string;
    expect(runId).toBeTruthy();
    // run_status waits (up to waitSeconds) and returns early when the run ends; ask again
    // until it has, however slow the machine is.
    let status: Record<string, unknown> = {};
    for (;;) {
      status = tool(
        await inspector(
          [
            url,
            ...auth,
            "--method",
            "tools/call",
            "--tool-name",
            "run_status",
            "--tool-arg",
            `runId=${runId}`,
            "waitSeconds=30",
          ],
          offlineEnv(),
        ),
      );
      if (status.status !== "running" && status.status !== "pending") break;
    }
    expect(status).toMatchObject({ status: "completed" });
    const out = join(dir, "sft.jsonl");
    const exported = tool(
      await inspector(
        [
          url,
          ...auth,
          "--method",
          "tools/call",
          "--tool-name",
          "export",
          "--tool-arg",
          `runId=${runId}`,
          "format=trl-sft-messages",
          `path=${out}`,
        ],
        offlineEnv(),
      ),
    );
    expect(exported.rows).toBe(3);
    expect(existsSync(out)).toBe(true);
    const rows = readFileSync(out, "utf8").trim().split("\n");
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(JSON.parse(r).messages[0].role).toBe("user");
  });
});
