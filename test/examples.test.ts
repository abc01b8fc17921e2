import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

describe("examples/custom-stage.ts", () => {
  it("runs offline: the inserted stage drops short responses with its reason, the run still reaches N", async () => {
    const db = join(mkdtempSync(join(tmpdir(), "sf-example-")), "custom.db");
    const env = { ...process.env };
    delete env.GEMINI_API_KEY;
    delete env.GOOGLE_API_KEY;
    // Not spawnSync: a test worker blocked for a minute misses vitest's own heartbeat.
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(root, "examples", "custom-stage.ts"), db],
      {
        cwd: root,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const r = { status: null as number | null, stdout: "", stderr: "" };
    child.stdout.on("data", (d) => (r.stdout += d));
    child.stderr.on("data", (d) => (r.stderr += d));
    r.status = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^dropped: response has \d+ words, want at least 80$/m);
    expect(r.stdout).toMatch(/5\/5 approved; drop reasons: \{[^}]*'min-length: response has # words': \d+/);
  });
});
