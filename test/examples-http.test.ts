/**
 * examples/http-service.ts, run as a user runs it (`node --import tsx`, offline, no key),
 * driven over HTTP: a full run started by POST, followed by GET until it finishes, and its
 * JSONL export checked line by line against the format's rules and the database.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateFormatRow } from "../src/index.js";
import { offlineEnv, query, ROOT, tempDir } from "./cli/helpers.js";

let child: ChildProcess;
let base: string;
let db: string;
let stdout = "";
let stderr = "";
let exited: Promise<number | null>;

beforeAll(async () => {
  db = join(tempDir("sf-example-http-"), "service.db");
  child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "examples", "http-service.ts"), "0", db], {
    cwd: ROOT,
    env: offlineEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  child.stderr!.on("data", (d) => (stderr += d));
  // The service prints its address once it listens (port 0: the OS picked one).
  base = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      stdout += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`the service exited (${code}) before listening: ${stderr}`)));
  });
});

afterAll(async () => {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGKILL");
    await exited;
  }
});

/** A reply of the service: an error, or a run's status. */
interface Reply {
  error: { code: string; message: string };
  runId: string;
  status: string;
  approved: number;
  counts: Record<string, number>;
}

const post = (body: string) => fetch(`${base}/runs`, { method: "POST", body });
const getJson = async (path: string) => {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: (await res.json()) as Reply };
};

describe("examples/http-service.ts", () => {
  it("refuses bad input with a 4xx and synthforge's one-line message", async () => {
    const empty = await post("{}");
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as Reply).error.code).toBe("INVALID_REQUEST");

    const notJson = await post("Generate 5 SFT examples");
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as Reply).error.code).toBe("INVALID_JSON");

    // A service cannot ask back: a request without count and type is refused, not guessed.
    const vague = await post(JSON.stringify({ request: "something about chemistry" }));
    expect(vague.status).toBe(400);
    const vagueBody = (await vague.json()) as Reply;
    expect(vagueBody.error.code).toBe("CLARIFICATION_NEEDED");
    expect(vagueBody.error.message).toMatch(/count/);

    const big = await post(JSON.stringify({ request: "x".repeat(20_000) }));
    expect(big.status).toBe(413);

    const missing = await getJson("/runs/run_does_not_exist");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("RUN_NOT_FOUND");
    expect((await getJson("/elsewhere")).status).toBe(404);
  });

  it("POST /runs starts an offline run, GET /runs/:id follows it to the end, GET …/export streams valid JSONL", async () => {
    const N = 4;
    const started = await post(
      JSON.stringify({ request: `Generate ${N} SFT examples about organic chemistry` }),
    );
    expect(started.status).toBe(202);
    const { runId } = (await started.json()) as { runId: string };
    expect(runId).toMatch(/^run_/);

    // Poll the status route until the run leaves planning/running (a condition, not a sleep;
    // the deadline is only a backstop inside the test's timeout, for a loaded machine).
    const deadline = Date.now() + 240_000;
    let progress = await getJson(`/runs/${runId}`);
    const seen = new Set<string>();
    while (["planning", "running"].includes(progress.body.status) && Date.now() < deadline) {
      seen.add(progress.body.status);
      expect(progress.body.approved).toBeLessThanOrEqual(N);
      await new Promise((r) => setTimeout(r, 50));
      progress = await getJson(`/runs/${runId}`);
    }
    expect(progress.status).toBe(200);
    expect(progress.body, stderr).toMatchObject({
      runId,
      status: "completed",
      trainingType: "sft",
      target: N,
      approved: N,
    });
    expect(progress.body.counts.approved).toBe(N);

    const wrongFormat = await getJson(`/runs/${runId}/export?format=trl-dpo`);
    expect(wrongFormat.status).toBe(400);
    expect(wrongFormat.body.error.code).toBe("EXPORT_FORMAT_UNSUPPORTED");

    const res = await fetch(`${base}/runs/${runId}/export`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    expect(res.headers.get("x-export-format")).toBe("trl-sft-messages");
    const text = await res.text();
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(N);
    const rows = lines.map((l) => JSON.parse(l) as { messages: Array<{ role: string; content: string }> });
    for (const row of rows) expect(validateFormatRow("trl-sft-messages", row)).toEqual([]);

    // The lines are the run's approved examples, each once.
    const approved = query<{ prompt: string; response: string }>(
      db,
      "SELECT prompt, response FROM synthetic_data_sft WHERE run_id = ? AND review_status = 'approved'",
      [runId],
    );
    expect(approved).toHaveLength(N);
    const pairs = (xs: Array<{ prompt: string; response: string }>) =>
      xs.map((x) => `${x.prompt}\u0000${x.response}`).sort();
    expect(
      pairs(
        rows.map((r) => ({
          prompt: r.messages.find((m) => m.role === "user")!.content,
          response: r.messages.find((m) => m.role === "assistant")!.content,
        })),
      ),
    ).toEqual(pairs(approved));
    expect(new Set(rows.map((r) => r.messages[0]!.content)).size).toBe(N);

    // SIGTERM: the service stops cleanly and said how its run ended.
    child.kill("SIGTERM");
    expect(await exited, stderr).toBe(0);
    expect(stdout).toContain(`run ${runId} completed: ${N}/${N} approved`);
    expect(stdout).toMatch(/stopped\s*$/);
    expect(stderr).not.toMatch(/Error/);
  });
});
