import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

/** Runs an example script offline (no model key) with `args`; resolves with its exit status and output. */
async function runExample(script: string, args: string[]) {
  const env = { ...process.env };
  delete env.GEMINI_API_KEY;
  delete env.GOOGLE_API_KEY;
  // Not spawnSync: a test worker blocked for a minute misses vitest's own heartbeat.
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "examples", script), ...args], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const r = { status: null as number | null, stdout: "", stderr: "" };
  child.stdout.on("data", (d) => (r.stdout += d));
  child.stderr.on("data", (d) => (r.stderr += d));
  r.status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return r;
}

describe("examples/custom-stage.ts", () => {
  it("runs offline: the inserted stage drops short responses with its reason, the run still reaches N", async () => {
    const db = join(mkdtempSync(join(tmpdir(), "sf-example-")), "custom.db");
    const r = await runExample("custom-stage.ts", [db]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^dropped: response has \d+ words, want at least 60$/m);
    expect(r.stdout).toMatch(/5\/5 approved; drop reasons: \{[^}]*'min-length: response has # words': \d+/);
  });
});

describe("examples/own-registry.ts", () => {
  it("runs its own verifier on every example of its pipeline; the process's verifiers are unchanged", async () => {
    const db = join(mkdtempSync(join(tmpdir(), "sf-example-")), "registry.db");
    const r = await runExample("own-registry.ts", [db]);
    expect(r.status, r.stderr).toBe(0);
    const mine = /^this pipeline's verifiers: (.+)$/m.exec(r.stdout)?.[1]?.split(", ");
    const process_ = /^the process's verifiers: +(.+)$/m.exec(r.stdout)?.[1]?.split(", ");
    expect(mine).toEqual([...process_!, "course-glossary"]);
    const counts = /^course-glossary: (\d+) passed, (\d+) failed$/m.exec(r.stdout);
    expect(counts, r.stdout).not.toBeNull();
    // Checked on every example the run made (at least the four approved ones).
    expect(Number(counts![1]) + Number(counts![2])).toBeGreaterThanOrEqual(4);
    expect(r.stdout).toMatch(/^4\/4 approved$/m);
  });
});
