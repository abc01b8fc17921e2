import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GeminiStub, startGeminiServer } from "../helpers/gemini-server.js";
import { offlineGeminiHandler } from "../helpers/offline-gemini.js";
import { BIN, cli, offlineEnv, query, tempDir } from "./helpers.js";

let stub: GeminiStub;
beforeAll(async () => {
  // A Gemini-wire server with some latency, so the run is still going when it is killed.
  stub = await startGeminiServer(offlineGeminiHandler({ latencyMs: 25 }));
});
afterAll(async () => {
  await stub?.close();
});

const approved = (db: string) => {
  try {
    return query<{ n: number }>(
      db,
      "SELECT COUNT(*) AS n FROM synthetic_data_sft WHERE review_status = 'approved'",
    )[0]!.n;
  } catch {
    return 0; // not created yet
  }
};

describe("a run killed with SIGKILL mid-way", () => {
  it("resumes to exactly N approved rows with no duplicates", async () => {
    const cwd = tempDir("sf-kill-");
    const db = join(cwd, "synthforge.db");
    writeFileSync(
      join(cwd, "synthforge.config.yaml"),
      `provider: gemini\ngemini:\n  baseUrl: ${stub.url}\n  retries: 0\nconcurrency: 4\n`,
    );
    const env = offlineEnv({ GEMINI_API_KEY: "test-key-for-stub-0000" });
    const N = 24;

    const child = spawn(
      process.execPath,
      [BIN, "generate", `Generate ${N} SFT examples about organic chemistry`, "--yes"],
      { cwd, env, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_code, signal) => resolve(signal)),
    );
    // Wait for the condition, not for a clock: on a loaded machine the first approvals can
    // take minutes (the test's own timeout is the backstop).
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    while (approved(db) < 5 && !gone) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGKILL");
    expect(await exited, stderr).toBe("SIGKILL");

    const before = approved(db);
    expect(before, stderr).toBeGreaterThanOrEqual(5);
    expect(before).toBeLessThan(N);
    const [run] = query<{ id: string; status: string }>(db, "SELECT id, status FROM runs");
    expect(run!.status).toBe("running");

    const resumed = await cli(["resume", "latest"], { cwd, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resuming run ${run!.id}`);
    expect(resumed.stdout).toContain(`completed: ${N}/${N} approved`);

    const rows = query<{ question_id: string; review_status: string }>(
      db,
      "SELECT question_id, review_status FROM synthetic_data_sft WHERE run_id = ?",
      [run!.id],
    );
    const ok = rows.filter((r) => r.review_status === "approved");
    expect(ok).toHaveLength(N);
    expect(new Set(rows.map((r) => r.question_id)).size).toBe(rows.length);
    const q = query<{ n: number }>(
      db,
      "SELECT COUNT(*) AS n FROM questions WHERE run_id = ? AND status = 'approved'",
      [run!.id],
    )[0]!;
    expect(q.n).toBe(N);
    expect(query<{ status: string }>(db, "SELECT status FROM runs")[0]!.status).toBe("completed");
  });
});
