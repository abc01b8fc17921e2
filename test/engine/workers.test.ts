import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYNTHETIC_TOPIC, writeSyntheticCorpus } from "../../bench/synthetic-corpus.js";
import { seededRng } from "../../src/core/random.js";
import { type GeminiWireServer, startGeminiWireServer } from "../../src/testing/index.js";
import { BIN, cli, offlineEnv, tempDir } from "../cli/helpers.js";
import { queryRows, startPostgres, type TestPostgres } from "../helpers/postgres.js";

let server: TestPostgres;
let wire: GeminiWireServer;
beforeAll(async () => {
  server = await startPostgres();
  wire = await startGeminiWireServer({ latencyMs: 15, seed: 5 });
});
afterAll(async () => {
  await wire?.close();
  await server?.stop();
});

const q = queryRows;

describe("distributed workers on PostgreSQL (pg-boss)", () => {
  it("three workers share a run; one is SIGKILLed mid-way; exactly N approved, nothing lost or duplicated", async () => {
    const url = await server.createDatabase("workers");
    const cwd = tempDir("sf-workers-");
    writeFileSync(
      join(cwd, "synthforge.config.yaml"),
      `provider: gemini\ngemini:\n  baseUrl: ${wire.url}\n  retries: 2\n`,
    );
    const env = offlineEnv({ GEMINI_API_KEY: "test-key-for-wire-0000" });
    const N = 30;
    const submitted = await cli(
      [
        "submit",
        `Generate ${N} SFT examples about organic chemistry`,
        "--db",
        url,
        "--slots",
        "3",
        "--job-expiry",
        "4",
        "--json",
      ],
      { cwd, env },
    );
    expect(submitted.code, submitted.stderr).toBe(0);
    const runId = JSON.parse(submitted.stdout.trim().split("\n").at(-1)!).runId as string;

    const workers: ChildProcess[] = [];
    const logs: string[] = ["", "", ""];
    for (let i = 0; i < 3; i++) {
      const child = spawn(
        process.execPath,
        [BIN, "worker", "--db", url, "--concurrency", "4", "--lease-ms", "1500", "--job-expiry", "4"],
        { cwd, env, stdio: ["ignore", "ignore", "pipe"] },
      );
      child.stderr?.on("data", (d) => (logs[i] += d));
      workers.push(child);
    }
    const exited = workers.map(
      (w) =>
        new Promise<NodeJS.Signals | number | null>((resolve) =>
          w.on("exit", (code, signal) => resolve(signal ?? code)),
        ),
    );
    const approved = async () =>
      Number(
        (
          await q<{ n: string }>(
            url,
            "SELECT COUNT(*) AS n FROM questions WHERE run_id = $1 AND status = 'approved'",
            [runId],
          ).catch(() => [{ n: "0" }])
        )[0]!.n,
      );
    const deadline = Date.now() + 90_000;
    // Leases are held only while a candidate is in work (a finished one drops its lease), so
    // wait for a moment when the run is under way and at least two workers hold candidates:
    // a worker that dies then takes work in flight with it.
    const holders = async () =>
      new Set(
        (
          await q<{ owner: string }>(
            url,
            "SELECT lease_owner AS owner FROM questions WHERE run_id = $1 AND lease_owner IS NOT NULL",
            [runId],
          )
        ).map((l) => l.owner),
      ).size;
    let held = 0;
    while (Date.now() < deadline) {
      held = (await approved()) >= 6 ? await holders() : 0;
      if (held >= 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(held).toBeGreaterThanOrEqual(2);
    workers[0]!.kill("SIGKILL");
    expect(await exited[0]).toBe("SIGKILL");

    let status = "";
    while (Date.now() < deadline) {
      status = (await q<{ status: string }>(url, "SELECT status FROM runs WHERE id = $1", [runId]))[0]!
        .status;
      if (status === "completed" && (await approved()) >= N) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const w of workers.slice(1)) w.kill("SIGTERM");
    await Promise.all(exited.slice(1));
    expect(status, logs.join("\n---\n")).toBe("completed");

    const examples = await q<{ question_id: string; review_status: string }>(
      url,
      "SELECT question_id, review_status FROM synthetic_data_sft WHERE run_id = $1",
      [runId],
    );
    const ok = examples.filter((e) => e.review_status === "approved");
    expect(ok).toHaveLength(N);
    expect(new Set(examples.map((e) => e.question_id)).size).toBe(examples.length);
    expect(await approved()).toBe(N);
    // Every worker that survived did some of the work, and no review verdict was written twice.
    const finals = await q<{ n: string }>(
      url,
      "SELECT COUNT(*) AS n FROM (SELECT question_id, round FROM reviews WHERE run_id = $1 AND kind = 'final' GROUP BY question_id, round HAVING COUNT(*) > 1) d",
      [runId],
    );
    expect(Number(finals[0]!.n)).toBe(0);
    // Every dropped candidate has a reason.
    const silent = await q<{ n: string }>(
      url,
      "SELECT COUNT(*) AS n FROM questions q WHERE run_id = $1 AND status IN ('rejected','failed') AND NOT EXISTS (SELECT 1 FROM failures f WHERE f.question_id = q.id)",
      [runId],
    );
    expect(Number(silent[0]!.n)).toBe(0);
  }, 150_000);
});

describe("lease fencing: workers whose leases expire while they are alive and busy", () => {
  it("3 workers, 600 ms leases, paused and resumed at random, 5 runs of 120: exactly 120 approved each, no candidate reviewed twice in a round, no approved example changed", async () => {
    const url = await server.createDatabase("fencing");
    const cwd = tempDir("sf-fencing-");
    // A corpus with far more distinct material than 5 × 120 examples need.
    const corpus = writeSyntheticCorpus({ terms: 3000, dir: join(cwd, "corpus") });
    writeFileSync(
      join(cwd, "synthforge.config.yaml"),
      `provider: gemini\ngemini:\n  baseUrl: ${wire.url}\n  retries: 2\nsources:\n  - type: localFiles\n    dir: ${corpus.dir}\n`,
    );
    const env = offlineEnv({ GEMINI_API_KEY: "test-key-for-wire-0000" });
    const N = 120;
    const workers: ChildProcess[] = [];
    const logs: string[] = ["", "", ""];
    for (let i = 0; i < 3; i++) {
      const child = spawn(
        process.execPath,
        [BIN, "worker", "--db", url, "--concurrency", "6", "--lease-ms", "600", "--job-expiry", "4"],
        { cwd, env, stdio: ["ignore", "ignore", "pipe"] },
      );
      child.stderr?.on("data", (d) => (logs[i] = (logs[i] + d).slice(-20_000)));
      workers.push(child);
    }
    const random = seededRng(12345);
    let leaseDrops = 0;
    try {
      for (let rep = 0; rep < 5; rep++) {
        const submitted = await cli(
          [
            "submit",
            `Generate ${N} SFT examples about ${SYNTHETIC_TOPIC}`,
            "--db",
            url,
            "--slots",
            "3",
            "--json",
          ],
          { cwd, env },
        );
        expect(submitted.code, submitted.stderr).toBe(0);
        const runId = JSON.parse(submitted.stdout.trim().split("\n").at(-1)!).runId as string;
        // Approved examples as first seen: none may change (or stop being approved) later.
        const firstSeen = new Map<string, string>();
        const look = async () => {
          for (const e of await q<{ id: string; updated_at: Date; review_status: string; response: string }>(
            url,
            "SELECT id, updated_at, review_status, response FROM synthetic_data_sft WHERE run_id = $1 AND review_status = 'approved'",
            [runId],
          )) {
            const key = `${new Date(e.updated_at).toISOString()}|${e.response}`;
            if (!firstSeen.has(e.id)) firstSeen.set(e.id, key);
            else expect(firstSeen.get(e.id), `approved example ${e.id} changed`).toBe(key);
          }
        };
        let status = "";
        const deadline = Date.now() + 240_000;
        while (Date.now() < deadline) {
          // Pause one worker past its leases while it holds candidates, then let it go on:
          // it wakes up mid-work with leases that others may have taken.
          const w = workers[Math.floor(random() * 3)]!;
          w.kill("SIGSTOP");
          await new Promise((r) => setTimeout(r, 900 + Math.floor(random() * 900)));
          w.kill("SIGCONT");
          await look();
          status = (await q<{ status: string }>(url, "SELECT status FROM runs WHERE id = $1", [runId]))[0]!
            .status;
          if (status === "completed" || status === "stopped" || status === "failed") break;
          await new Promise((r) => setTimeout(r, 200 + Math.floor(random() * 400)));
        }
        await look();
        const why = await q<{ stop_reason: string | null }>(
          url,
          "SELECT stop_reason FROM runs WHERE id = $1",
          [runId],
        );
        expect(status, `run ${rep + 1}: ${why[0]?.stop_reason}\n${logs.join("\n---\n")}`).toBe("completed");
        const approved = await q<{ n: string }>(
          url,
          "SELECT COUNT(*) AS n FROM questions WHERE run_id = $1 AND status = 'approved'",
          [runId],
        );
        expect(Number(approved[0]!.n)).toBe(N);
        const examples = await q<{ n: string }>(
          url,
          "SELECT COUNT(*) AS n FROM synthetic_data_sft WHERE run_id = $1 AND review_status = 'approved'",
          [runId],
        );
        expect(Number(examples[0]!.n)).toBe(N);
        // Each approved example seen during the run is still approved, unchanged.
        expect(firstSeen.size).toBe(N);
        const twice = await q<{ n: string }>(
          url,
          "SELECT COUNT(*) AS n FROM (SELECT question_id, round FROM reviews WHERE run_id = $1 AND kind = 'final' GROUP BY question_id, round HAVING COUNT(*) > 1) d",
          [runId],
        );
        expect(Number(twice[0]!.n)).toBe(0);
        const selfDup = await q<{ n: string }>(
          url,
          "SELECT COUNT(*) AS n FROM failures f JOIN synthetic_data_sft e ON e.question_id = f.question_id WHERE f.run_id = $1 AND f.reason LIKE '%duplicate of example ' || e.id || '%'",
          [runId],
        );
        expect(Number(selfDup[0]!.n)).toBe(0);
        leaseDrops += Number(
          (
            await q<{ n: string }>(
              url,
              "SELECT COUNT(*) AS n FROM failures WHERE run_id = $1 AND stage = 'lease'",
              [runId],
            )
          )[0]!.n,
        );
      }
      // The pauses did make leases expire under their owners, and the fence dropped their writes.
      expect(leaseDrops).toBeGreaterThan(0);
    } finally {
      for (const w of workers) {
        w.kill("SIGCONT");
        w.kill("SIGTERM");
      }
      await Promise.all(
        workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.on("exit", r)))),
      );
    }
  }, 1_500_000);
});
