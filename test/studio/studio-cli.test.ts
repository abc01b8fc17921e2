/**
 * `synthforge studio` as a user runs it: the real CLI in its own process, over a database
 * an offline run filled.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, cli, offlineEnv, tempDir } from "../cli/helpers.js";

interface Started {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  /** The exit code, or the signal's name when a signal ended the process. */
  exit: Promise<number | string | null>;
}

/** Starts the studio and waits for the line with its URL. */
function startStudio(args: string[], cwd: string): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "studio", ...args], {
      cwd,
      env: offlineEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const exit = new Promise<number | string | null>((r) =>
      child.on("close", (code, signal) => r(code ?? signal)),
    );
    child.stderr!.on("data", (d) => (err += d));
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /^(http:\/\/\S+)$/m.exec(out);
      if (m) resolve({ child, url: m[1]!, stderr: () => err, exit });
    });
    exit.then((code) => reject(new Error(`studio exited (${code}) before printing its URL: ${err}`)));
  });
}

describe("synthforge studio (CLI)", () => {
  let dir: string;
  let db: string;
  const started: ChildProcess[] = [];

  beforeAll(async () => {
    dir = tempDir("sf-studio-cli-");
    db = join(dir, "s.db");
    const r = await cli(
      ["generate", "Generate 3 SFT examples about organic chemistry", "--yes", "--db", db],
      {
        cwd: dir,
      },
    );
    expect(r.code).toBe(0);
  });

  afterAll(() => {
    for (const c of started) if (c.exitCode === null) c.kill("SIGKILL");
  });

  it("prints a 127.0.0.1 URL with a token, answers 401 without it, and stops on SIGTERM", async () => {
    const s = await startStudio(["--db", db, "--port", "0", "--reviewer", "ana"], dir);
    started.push(s.child);
    const url = new URL(s.url);
    expect(url.hostname).toBe("127.0.0.1");
    expect(url.searchParams.get("token")).toMatch(/^[0-9a-f]{64}$/);
    expect(s.stderr()).not.toMatch(/warning/);
    const base = `${url.protocol}//${url.host}`;
    expect((await fetch(`${base}/api/runs`)).status).toBe(401);
    expect((await fetch(`${base}/`)).status).toBe(401);
    const runs = await fetch(`${base}/api/runs`, {
      headers: { Authorization: `Bearer ${url.searchParams.get("token")}` },
    });
    expect(runs.status).toBe(200);
    expect(((await runs.json()) as { runs: unknown[] }).runs).toHaveLength(1);
    s.child.kill("SIGTERM");
    expect(await s.exit).toBe(0);
  });

  it("warns when --host exposes it, and refuses a bad port or a missing database", async () => {
    const s = await startStudio(["--db", db, "--port", "0", "--host", "0.0.0.0"], dir);
    started.push(s.child);
    expect(s.stderr()).toMatch(/warning: --host 0\.0\.0\.0 makes the studio reachable from other machines/);
    s.child.kill("SIGTERM");
    expect(await s.exit).toBe(0);

    const badPort = await cli(["studio", "--db", db, "--port", "http"], { cwd: dir });
    expect(badPort.code).toBe(2);
    expect(badPort.stderr.trim()).toBe(
      'error [INVALID_REQUEST]: --port must be a whole number from 0 to 65535, got "http".',
    );
    const missing = await cli(["studio", "--db", join(dir, "none.db")], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error \[DB_NOT_FOUND\]/);
  });
});
