import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  type CallToolResult,
  LoggingMessageNotificationSchema,
  type Progress,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, cli, offlineEnv, query, tempDir } from "./helpers.js";

/**
 * `synthforge mcp` driven by the SDK's own client, over stdio and over Streamable HTTP,
 * against the real CLI (dist), the real SQLite database and the offline provider.
 */

const TOOLS = [
  "export",
  "generate",
  "list_formats",
  "list_runs",
  "plan",
  "review_rows",
  "run_status",
  "search_sources",
];

/** Calls can wait for a loaded machine: the server starts a whole pipeline. */
const LONG = { timeout: 280_000, resetTimeoutOnProgress: true };

type Json = Record<string, unknown>;

async function call(client: Client, name: string, args: Json, onprogress?: (p: Progress) => void) {
  const res = (await client.callTool({ name, arguments: args }, undefined, {
    ...LONG,
    ...(onprogress ? { onprogress } : {}),
  })) as CallToolResult;
  return res;
}

function data(res: CallToolResult): Json {
  expect(res.isError ?? false, JSON.stringify(res.content)).toBe(false);
  const text = (res.content[0] as { text: string }).text;
  expect(JSON.parse(text)).toEqual(res.structuredContent);
  return res.structuredContent as Json;
}

/** A tool error: one line `error [CODE]: message`, the same code and message in structuredContent. */
function toolError(res: CallToolResult): { code: string; message: string } {
  expect(res.isError).toBe(true);
  const text = (res.content[0] as { text: string }).text;
  expect(text).not.toContain("\n");
  const m = /^error \[([A-Z_]+)\]: (.+)$/.exec(text);
  expect(m, text).not.toBeNull();
  const err = (res.structuredContent as { error: { code: string; message: string } }).error;
  expect(err).toEqual({ code: m![1], message: m![2] });
  return err;
}

/** Waits for the run to complete: run_status long-polls until the run finishes. */
async function waitCompleted(client: Client, runId: string, progress: Progress[] = []): Promise<Json> {
  for (;;) {
    const status = data(
      await call(client, "run_status", { runId, waitSeconds: 60 }, (p) => progress.push(p)),
    );
    if (status.status !== "running" && status.status !== "planning") return status;
  }
}

/** The full generate → run_status → export path, with the exported file checked against the database. */
async function generateAndExport(client: Client, dir: string, db: string, count: number) {
  const logs: Json[] = [];
  let finishedLog!: () => void;
  const finishedLogged = new Promise<void>((resolve) => {
    finishedLog = resolve;
  });
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    const d = n.params.data as Json;
    logs.push(d);
    if (d.event === "run-finished") finishedLog();
  });
  const started = data(
    await call(client, "generate", { request: `Generate ${count} SFT examples about acids and bases` }),
  );
  const runId = started.runId as string;
  expect(runId).toMatch(/^run_/);
  expect(started.target).toBe(count);
  // It answered at once: the run was stored and not yet finished.
  expect(["planning", "running"]).toContain(started.status);

  const progress: Progress[] = [];
  const status = await waitCompleted(client, runId, progress);
  expect(status.status).toBe("completed");
  expect(status.approved).toBe(count);
  expect((status.summary as { counts: { approved: number } }).counts.approved).toBe(count);
  // Progress notifications: approved so far, never going back, ending at the target.
  expect(progress.length).toBeGreaterThan(0);
  const values = progress.map((p) => p.progress);
  expect([...values].sort((a, b) => a - b)).toEqual(values);
  expect(values.at(-1)).toBe(count);
  expect(progress.at(-1)?.total).toBe(count);
  // Logging notifications of the run, from plan to finish (over HTTP they come on their own
  // stream, so the last may arrive after the status).
  await finishedLogged;
  const mine = logs.filter((l) => l.runId === runId);
  expect(mine.map((l) => l.event)).toContain("plan");
  expect(mine.find((l) => l.event === "run-finished")).toMatchObject({
    status: "completed",
    approved: count,
  });

  const out = join(dir, "exports", "train.jsonl");
  const exported = data(await call(client, "export", { runId, format: "trl-sft-messages", path: out }));
  expect(exported).toMatchObject({
    runId,
    rows: count,
    format: "trl-sft-messages",
    fileType: "jsonl",
    path: out,
  });
  const lines = readFileSync(out, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { messages: Json[] });
  expect(lines).toHaveLength(count);
  const stored = query<{ data: string }>(
    db,
    "SELECT * FROM synthetic_data_sft WHERE run_id = ? AND review_status = 'approved' ORDER BY id",
    [runId],
  );
  expect(stored).toHaveLength(count);
  for (const line of lines) {
    expect(line.messages.map((m) => m.role)).toEqual(expect.arrayContaining(["user", "assistant"]));
    for (const m of line.messages) expect(typeof m.content).toBe("string");
  }
  expect(existsSync(join(dir, "exports", "train.ATTRIBUTION.md"))).toBe(true);
  expect(existsSync(join(dir, "exports", "train.sources.json"))).toBe(true);

  // An existing file is kept unless overwrite is given.
  const again = toolError(await call(client, "export", { runId, format: "trl-sft-messages", path: out }));
  expect(again.code).toBe("OUTPUT_PATH_INVALID");
  return { runId, out, lines };
}

describe("synthforge mcp over stdio", () => {
  let dir: string;
  let db: string;
  let client: Client;
  let transport: StdioClientTransport;
  const transportErrors: Error[] = [];
  let stderr = "";
  let runId: string;
  let exportedRows: Json[];

  beforeAll(async () => {
    dir = tempDir("sf-mcp-");
    db = join(dir, "mcp.db");
    transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, "mcp", "--db", db, "--provider", "offline"],
      env: offlineEnv() as Record<string, string>,
      cwd: dir,
      stderr: "pipe",
    });
    transport.stderr?.on("data", (d) => {
      stderr += d;
    });
    transport.onerror = (e) => transportErrors.push(e);
    client = new Client({ name: "synthforge-test", version: "1.0.0" });
    await client.connect(transport, LONG);
  });

  afterAll(async () => {
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists the tools, each with a JSON Schema from its zod schema", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    const generate = tools.find((t) => t.name === "generate")!;
    expect(Object.keys(generate.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining(["request", "count", "trainingType", "topic", "useDefaults"]),
    );
    const exp = tools.find((t) => t.name === "export")!;
    expect(exp.inputSchema.required).toEqual(expect.arrayContaining(["format", "path"]));
    for (const t of tools) expect(t.description?.length).toBeGreaterThan(20);
    // The provider notice goes to standard error; standard output carries only the protocol.
    expect(stderr).toContain("offline provider");
  });

  it("generates a run in the background, reports its progress, waits for completed and exports it", async () => {
    const res = await generateAndExport(client, dir, db, 12);
    runId = res.runId;
    exportedRows = res.lines;
  });

  it("lists runs and serves them as resources: the list, pages of examples, the attribution", async () => {
    const listed = data(await call(client, "list_runs", {}));
    const runs = listed.runs as Json[];
    expect(runs.find((r) => r.runId === runId)).toMatchObject({
      status: "completed",
      approved: 12,
      target: 12,
    });

    const all = JSON.parse(
      ((await client.readResource({ uri: "synthforge://runs" })).contents[0] as { text: string }).text,
    ) as { runs: Json[] };
    expect(all.runs.map((r) => r.runId)).toContain(runId);

    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(
      expect.arrayContaining([
        "synthforge://runs/{runId}/examples{?page}",
        "synthforge://runs/{runId}/attribution",
      ]),
    );
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain(`synthforge://runs/${runId}/examples?page=1`);

    const page = JSON.parse(
      (
        (await client.readResource({ uri: `synthforge://runs/${runId}/examples?page=1` })).contents[0] as {
          text: string;
        }
      ).text,
    ) as { total: number; pages: number; examples: Array<{ data: Json; reviewStatus: string }> };
    expect(page.total).toBe(12);
    expect(page.pages).toBe(1);
    expect(page.examples).toHaveLength(12);
    for (const e of page.examples) expect(e.reviewStatus).toBe("approved");
    const beyond = JSON.parse(
      (
        (await client.readResource({ uri: `synthforge://runs/${runId}/examples?page=2` })).contents[0] as {
          text: string;
        }
      ).text,
    ) as { examples: unknown[]; page: number };
    expect(beyond).toMatchObject({ page: 2, examples: [] });

    const attribution = (await client.readResource({ uri: `synthforge://runs/${runId}/attribution` }))
      .contents[0] as { text: string; mimeType: string };
    expect(attribution.mimeType).toBe("text/markdown");
    expect(attribution.text).toContain("# Attribution and licences");
    expect(attribution.text).toContain(runId);
    expect(attribution.text).toContain("**12 example(s)**");
  });

  it("answers bad input with a typed one-line tool error", async () => {
    const bad = toolError(await call(client, "generate", { count: -3, request: "x" }));
    expect(bad.code).toBe("INVALID_REQUEST");
    expect(bad.message).toMatch(/count must be at least 1/);
    const unknownArg = toolError(await call(client, "list_formats", { trainingType: "sft", colour: "red" }));
    expect(unknownArg.code).toBe("INVALID_REQUEST");
    expect(unknownArg.message).toContain("colour");
    const unclear = toolError(await call(client, "generate", { request: "make me some data" }));
    expect(unclear.code).toBe("CLARIFICATION_NEEDED");
    expect(unclear.message).toContain("useDefaults");
    expect(toolError(await call(client, "run_status", { runId: "run_nope" })).code).toBe("RUN_NOT_FOUND");
    const format = toolError(
      await call(client, "export", { runId, format: "trl-dpo", path: join(dir, "dpo.jsonl") }),
    );
    expect(format.code).toBe("EXPORT_FORMAT_UNSUPPORTED");
    expect(existsSync(join(dir, "dpo.jsonl"))).toBe(false);
    const stdout = toolError(await call(client, "export", { runId, format: "trl-sft-messages", path: "-" }));
    expect(stdout.code).toBe("OUTPUT_PATH_INVALID");
    expect(
      toolError(await call(client, "search_sources", { query: "acids", sources: ["nowhere"] })).code,
    ).toBe("INVALID_REQUEST");
    // A failed call leaves the connection working, and standard output clean.
    expect(data(await call(client, "list_runs", { limit: 1 })).runs).toHaveLength(1);
    expect(transportErrors).toEqual([]);
  });

  it("plans without generating or writing a run", async () => {
    const before = query(db, "SELECT id FROM runs").length;
    const preview = data(
      await call(client, "plan", { request: "Generate 5 DPO examples about acids and bases" }),
    );
    const plan = preview.plan as { count: number; trainingType: string; subTopics: Array<{ quota: number }> };
    expect(plan.count).toBe(5);
    expect(plan.trainingType).toBe("dpo");
    expect(plan.subTopics.reduce((s, t) => s + t.quota, 0)).toBe(5);
    expect(preview.provider).toBe("offline");
    expect(query(db, "SELECT id FROM runs").length).toBe(before);
  });

  it("reviews rows with the review command's stack: rows in, one verdict per row out", async () => {
    const rows = [...exportedRows.slice(0, 2), { foo: 1 }];
    const res = data(await call(client, "review_rows", { trainingType: "sft", rows }));
    const reviews = res.reviews as Array<{
      row: number;
      status: string;
      defect: string | null;
      verdicts: Json[];
    }>;
    expect(reviews.map((r) => r.row)).toEqual([0, 1, 2]);
    expect(reviews[2]).toMatchObject({ status: "invalid", defect: "format_invalid" });
    for (const r of reviews.slice(0, 2)) {
      expect(["approved", "needs_revision", "rejected"]).toContain(r.status);
      expect(r.verdicts.length).toBeGreaterThan(0);
    }
    const summary = res.summary as Json;
    expect(summary).toMatchObject({ rows: 3, invalid: 1, trainingType: "sft", provider: "offline" });
    expect(summary).not.toHaveProperty("file");
  });

  it("searches the sources a run would research, and lists formats", async () => {
    const found = data(await call(client, "search_sources", { query: "acids and bases", limit: 2 }));
    const results = found.results as Array<{ source: string; documents: Array<{ passages: string[] }> }>;
    expect(results.map((r) => r.source)).toEqual(["corpus"]);
    expect(results[0]!.documents.length).toBeGreaterThan(0);
    expect(results[0]!.documents.length).toBeLessThanOrEqual(2);
    expect(results[0]!.documents[0]!.passages.join(" ").toLowerCase()).toMatch(/acid|base/);

    const formats = data(await call(client, "list_formats", { trainingType: "kto" }));
    expect(Object.keys(formats.byType as Json)).toEqual(["kto"]);
    const names = (formats.formats as Array<{ name: string }>).map((f) => f.name);
    expect(names).toContain("trl-kto");
    expect(names).not.toContain("trl-dpo");
  });
});

/** Starts `synthforge mcp --http` and waits for the line with its URL. */
async function startHttp(args: string[], env: NodeJS.ProcessEnv, cwd: string) {
  const child = spawn(process.execPath, [BIN, "mcp", "--http", "--port", "0", ...args], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stdout!.on("data", (d) => (stdout += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on("data", (d) => {
      stderr += d;
      const m = /MCP server on (http:\/\/\S+\/mcp)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`mcp --http exited (${code}): ${stderr}`)));
  });
  return { child, url, stderr: () => stderr, stdout: () => stdout };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code] = (await exited) as [number | null];
  return code;
}

const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "1" } },
};

describe("synthforge mcp over Streamable HTTP", () => {
  let dir: string;
  let db: string;
  let server: Awaited<ReturnType<typeof startHttp>>;
  const token = randomBytes(24).toString("base64url");

  beforeAll(async () => {
    dir = tempDir("sf-mcp-http-");
    db = join(dir, "http.db");
    server = await startHttp(
      ["--db", db, "--provider", "offline"],
      offlineEnv({ SYNTHFORGE_MCP_TOKEN: token }),
      dir,
    );
  });

  afterAll(async () => {
    if (server) await stop(server.child);
    rmSync(dir, { recursive: true, force: true });
  });

  it("listens on 127.0.0.1 and refuses a request without the bearer token, or with a wrong one", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(server.stderr()).toContain("bearer token required: the one in SYNTHFORGE_MCP_TOKEN");
    // The token itself is never printed.
    expect(server.stderr()).not.toContain(token);
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    const none = await fetch(server.url, { method: "POST", headers, body: JSON.stringify(initialize) });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer /);
    const wrong = await fetch(server.url, {
      method: "POST",
      headers: { ...headers, authorization: `Bearer ${token.slice(1)}x` },
      body: JSON.stringify(initialize),
    });
    expect(wrong.status).toBe(401);
    const right = await fetch(server.url, {
      method: "POST",
      headers: { ...headers, authorization: `Bearer ${token}` },
      body: JSON.stringify(initialize),
    });
    expect(right.status).toBe(200);
    expect(right.headers.get("mcp-session-id")).toBeTruthy();
    await right.body?.cancel();
  });

  it("runs generate → run_status → export with the SDK client and the token", async () => {
    const client = new Client({ name: "synthforge-http-test", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    });
    await client.connect(transport, LONG);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
      const { runId } = await generateAndExport(client, dir, db, 6);
      const listed = data(await call(client, "list_runs", {}));
      expect((listed.runs as Json[]).map((r) => r.runId)).toEqual([runId]);
      const page = JSON.parse(
        (
          (await client.readResource({ uri: `synthforge://runs/${runId}/examples?page=1` })).contents[0] as {
            text: string;
          }
        ).text,
      ) as { total: number };
      expect(page.total).toBe(6);
      expect(toolError(await call(client, "export", { runId, format: "nope", path: "x.jsonl" })).code).toBe(
        "EXPORT_FORMAT_UNSUPPORTED",
      );
    } finally {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    }
    // Standard output stays empty: every line of the server goes to standard error.
    expect(server.stdout()).toBe("");
  });

  it("stops on SIGTERM with exit code 0", async () => {
    expect(await stop(server.child)).toBe(0);
  });
});

describe("synthforge mcp --http on other addresses", () => {
  it("refuses to listen beyond loopback without a token, before opening the database", async () => {
    const dir = tempDir("sf-mcp-bind-");
    try {
      const db = join(dir, "never.db");
      const res = await cli(["mcp", "--http", "--host", "0.0.0.0", "--port", "0", "--db", db], {
        cwd: dir,
        env: offlineEnv(),
      });
      expect(res.code).toBe(2);
      expect(res.stdout).toBe("");
      expect(res.stderr.trim().split("\n").at(-1)).toMatch(
        /^error \[INVALID_REQUEST\]: --host 0\.0\.0\.0 lets other machines reach the server, which then needs a bearer token: set SYNTHFORGE_MCP_TOKEN or pass --generate-token/,
      );
      expect(existsSync(db)).toBe(false);
      const stdioPort = await cli(["mcp", "--port", "9000", "--db", db], { cwd: dir, env: offlineEnv() });
      expect(stdioPort.code).toBe(2);
      expect(stdioPort.stderr).toContain("--port applies to --http");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("with --generate-token, listens on 0.0.0.0, prints the token on stderr and requires it", async () => {
    const dir = tempDir("sf-mcp-any-");
    const started = await startHttp(
      ["--host", "0.0.0.0", "--generate-token", "--db", join(dir, "any.db"), "--provider", "offline"],
      offlineEnv(),
      dir,
    );
    try {
      const token = /bearer token \(send "Authorization: Bearer <token>"\): (\S+)/.exec(
        started.stderr(),
      )?.[1];
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const url = started.url.replace("0.0.0.0", "127.0.0.1");
      const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
      const none = await fetch(url, { method: "POST", headers, body: JSON.stringify(initialize) });
      expect(none.status).toBe(401);
      const client = new Client({ name: "synthforge-any-test", version: "1.0.0" });
      const transport = new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      });
      await client.connect(transport, LONG);
      const formats = data(await call(client, "list_formats", {}));
      expect(Object.keys(formats.byType as Json)).toContain("sft");
      await client.close();
    } finally {
      expect(await stop(started.child)).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("synthforge mcp over stdio, closed by the client", () => {
  it("stops a run in progress when standard input ends (resumable), exits 0, and writes only JSON-RPC on stdout", async () => {
    const dir = tempDir("sf-mcp-stop-");
    const db = join(dir, "stop.db");
    const child = spawn(process.execPath, [BIN, "mcp", "--db", db, "--provider", "offline"], {
      cwd: dir,
      env: offlineEnv(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    try {
      const messages: Json[] = [];
      const waiters: Array<{ id: number; resolve: (m: Json) => void }> = [];
      let buffer = "";
      child.stdout!.on("data", (d) => {
        buffer += d;
        for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          const m = JSON.parse(line) as Json; // every stdout line is one JSON-RPC message
          messages.push(m);
          for (const w of waiters.filter((x) => x.id === m.id)) w.resolve(m);
        }
      });
      const exited = once(child, "exit");
      const request = (id: number, method: string, params: Json) => {
        const answer = new Promise<Json>((resolve) => waiters.push({ id, resolve }));
        child.stdin!.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
        return answer;
      };
      await request(1, "initialize", initialize.params);
      child.stdin!.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
      const started = await request(2, "tools/call", {
        name: "generate",
        arguments: { request: "Generate 400 SFT examples about acids and bases" },
      });
      const runId = ((started.result as { structuredContent: Json }).structuredContent.runId as string) ?? "";
      expect(runId).toMatch(/^run_/);
      child.stdin!.end();
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
      expect(buffer).toBe("");
      expect(messages.every((m) => m.jsonrpc === "2.0")).toBe(true);
      const [run] = query<{ status: string; stop_reason: string | null }>(
        db,
        "SELECT status, stop_reason FROM runs WHERE id = ?",
        [runId],
      );
      expect(run!.status, run!.stop_reason ?? "").toBe("stopped");
      const [{ n }] = query<{ n: number }>(
        db,
        "SELECT COUNT(*) AS n FROM synthetic_data_sft WHERE run_id = ? AND review_status = 'approved'",
        [runId],
      ) as [{ n: number }];
      expect(n).toBeLessThan(400);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
