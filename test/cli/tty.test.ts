import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, offlineEnv, query, tempDir } from "./helpers.js";

/** Runs the CLI on a pseudo-terminal (util-linux `script`), answering prompts as they appear. */
function onTerminal(
  args: string[],
  cwd: string,
  answers: Array<[RegExp, string]>,
): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      cwd,
      env: offlineEnv(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    const pending = [...answers];
    const onData = (d: Buffer) => {
      output += d.toString();
      const next = pending[0];
      if (next?.[0].test(output)) {
        pending.shift();
        child.stdin.write(next[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("CLI on a terminal", () => {
  it("asks for what the request leaves out and uses the answers", async () => {
    const cwd = tempDir("sf-tty-");
    const { code, output } = await onTerminal(["generate", "Make me some training data"], cwd, [
      [/How many approved examples do you want\? \[10\]/, "2\r"],
      [/Which training type .*\[sft\]/, "\r"],
      [/What topic should the data cover\? \[general science\]/, "stoichiometry\r"],
    ]);
    expect(code, output).toBe(0);
    expect(output).toMatch(/completed: 2\/2 approved SFT examples about stoichiometry/);
    const [run] = query<{ target_count: number; training_type: string; topic: string }>(
      join(cwd, "synthforge.db"),
      "SELECT * FROM runs",
    );
    expect(run).toMatchObject({ target_count: 2, training_type: "sft", topic: "stoichiometry" });
  });
});
