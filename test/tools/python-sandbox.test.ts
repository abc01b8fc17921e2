import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSynthforgeError } from "../../src/core/errors.js";
import { PythonSandbox } from "../../src/tools/python-sandbox.js";
import type { SandboxResult } from "../../src/tools/sandbox-host.js";
import {
  type AttackTarget,
  aimAt,
  pythonAttacks,
  pythonContaminations,
  startAttackTarget,
} from "../helpers/sandbox-attacks.js";

// One pool of Pyodide children for the whole file (the first child starts in 2–5 s; the
// others from its snapshot in about 1 s).
let py: PythonSandbox;
let target: AttackTarget;
/** Everything any program printed or reported, to look for the canary at the end. */
const seen: SandboxResult[] = [];

/** Limits with room for a loaded machine: CPU time is what counts, not wall-clock time. */
const LIMITS = { timeoutMs: 3000, memoryMb: 64, maxOutputBytes: 16_384 };

async function run(code: string, opts = LIMITS): Promise<SandboxResult> {
  const r = await py.run(code, opts);
  seen.push(r);
  return r;
}

beforeAll(async () => {
  target = await startAttackTarget();
  py = new PythonSandbox();
  await py.warm();
});

afterAll(async () => {
  await py.close();
  await target.close();
});

describe("python sandbox: ordinary programs", () => {
  it("captures stdout and runs the standard library, as __main__", async () => {
    const r = await run(
      "import json, math\nif __name__ == '__main__':\n    print(json.dumps({'r': round(math.sqrt(2), 3)}))",
    );
    expect(r).toEqual({
      ok: true,
      verdict: "ok",
      stdout: '{"r": 1.414}\n',
      stderr: "",
      error: null,
      timedOut: false,
      exitStatus: null,
    });
  });

  it("reports an exception in one line and the traceback without Pyodide's frames", async () => {
    const r = await run("print('before')\ndef f():\n    return 1 / 0\nf()");
    expect(r).toMatchObject({ ok: false, verdict: "error", stdout: "before\n" });
    expect(r.error).toBe("ZeroDivisionError: division by zero");
    expect(r.stderr).toContain('File "<program>", line 3, in f');
    expect(r.stderr).not.toContain("_pyodide");
  });

  it("treats sys.exit(0) after printing as a normal end, and a non-zero status as an exit", async () => {
    expect(await run("import sys\nprint('x')\nsys.exit(0)")).toMatchObject({
      ok: true,
      verdict: "ok",
      stdout: "x\n",
      exitStatus: 0,
    });
    expect(await run("import sys\nsys.exit(3)")).toMatchObject({
      ok: false,
      verdict: "exit",
      error: "exit status 3",
      exitStatus: 3,
    });
    expect(await run("raise SystemExit('no input file')")).toMatchObject({ verdict: "exit", exitStatus: 1 });
  });

  it("reuses warm children between programs that leave nothing behind", async () => {
    const before = py.childStarts;
    for (let i = 0; i < 5; i++) expect((await run(`import statistics\nprint(${i})`)).stdout).toBe(`${i}\n`);
    expect(py.childStarts).toBe(before);
  });

  it("gives each program a clean namespace, modules, files and working folder", async () => {
    await run("import csv, os\nX = 1\nopen('/tmp/leak.txt', 'w').write('x')\nos.chdir('/tmp')");
    const r = await run(
      "import os, sys\nprint('X' in globals(), 'csv' in sys.modules, os.listdir('/tmp'), os.getcwd())",
    );
    expect(r.stdout).toBe("False False [] /home/pyodide\n");
  });

  it("gives every program the same random stream unless it seeds its own", async () => {
    const a = await run("import random\nprint(random.random())");
    await run("import random\nrandom.seed(1)\nrandom.random()");
    const b = await run("import random\nprint(random.random())");
    expect(b.stdout).toBe(a.stdout);
    // Whichever child runs it: two at once go to two children (each seeded from the OS on
    // start-up before every child was given one seed).
    const both = await Promise.all([
      run("import random, time\ntime.sleep(0.2)\nprint(random.random())"),
      run("import random, time\ntime.sleep(0.2)\nprint(random.random())"),
    ]);
    expect(both.map((r) => r.stdout)).toEqual([a.stdout, a.stdout]);
  });

  it("reads no keyboard input", async () => {
    expect((await run("x = input()")).error).toMatch(/EOFError/);
  });

  it("rejects a bad limit with a typed error", async () => {
    await expect(py.run("print(1)", { timeoutMs: -1 })).rejects.toSatisfy((e: unknown) =>
      isSynthforgeError(e, "INVALID_REQUEST"),
    );
  });
});

describe("python sandbox: one test per attack", () => {
  for (const attack of pythonAttacks()) {
    it(`${attack.name}: contained`, async () => {
      const r = await run(aimAt(attack.code, target));
      expect(attack.verdicts, `${r.verdict}: ${r.error}\n${r.stdout.slice(0, 300)}`).toContain(r.verdict);
      if (r.verdict !== "ok") expect(r.ok).toBe(false);
      if (attack.mustNotPrint) expect(r.stdout).not.toMatch(attack.mustNotPrint);
      // The next program runs, on a clean interpreter.
      const next = await run("import math\nprint(math.sqrt(16))");
      expect(next).toMatchObject({ ok: true, stdout: "4.0\n" });
      expect(target.check()).toEqual({ connections: 0, victimAlive: true, newFiles: [], secretIntact: true });
    });
  }

  it("never shows the host's secrets, in any output of any program", async () => {
    // Callbacks an attack planted fire later, if ever: give them the chance, then look.
    await new Promise((r) => setTimeout(r, 200));
    seen.push(await run("print('last')"));
    const all = JSON.stringify(seen);
    expect(all).not.toContain(target.canary);
    for (const v of Object.values(target.canaryEnv)) expect(all).not.toContain(v);
    expect(target.check()).toEqual({ connections: 0, victimAlive: true, newFiles: [], secretIntact: true });
  });

  it("the verdicts say what happened: timeout, memory, output (truncated), exit status, blocked", async () => {
    const loop = await run("while True:\n    pass", { ...LIMITS, timeoutMs: 500 });
    expect(loop).toMatchObject({ verdict: "timeout", timedOut: true, ok: false });
    expect(loop.error).toMatch(/time limit exceeded: the program ran longer than 500 ms/);
    const flood = await run("print('x' * 100)\nwhile True:\n    print('spam' * 100)", {
      ...LIMITS,
      maxOutputBytes: 2000,
    });
    expect(flood).toMatchObject({ verdict: "output", ok: false });
    expect(flood.error).toMatch(/output limit exceeded: more than 2000 bytes/);
    expect(flood.stdout.startsWith(`${"x".repeat(100)}\n`)).toBe(true);
    expect(Buffer.byteLength(flood.stdout)).toBeLessThanOrEqual(2000);
    const bomb = await run("x = []\nwhile True:\n    x.append(bytearray(10**6))", {
      ...LIMITS,
      memoryMb: 48,
    });
    expect(bomb).toMatchObject({ verdict: "memory", ok: false });
    expect(bomb.error).toMatch(/memory limit exceeded: the program needed more than 48 MB/);
    const exit = await run("print('bye')\nimport os\nos._exit(7)");
    expect(exit).toMatchObject({ verdict: "exit", exitStatus: 7, stdout: "bye\n", ok: false });
    const exit0 = await run("print('bye')\nimport os\nos._exit(0)");
    expect(exit0).toMatchObject({ verdict: "ok", exitStatus: 0, stdout: "bye\n", ok: true });
    const system = await run("import os\nos.system('true')");
    expect(system).toMatchObject({
      verdict: "blocked",
      error: "blocked by the sandbox: starting a host process",
    });
  });
});

describe("python sandbox: nothing carries over from one program to the next", () => {
  for (const c of pythonContaminations()) {
    it(c.name, async () => {
      await run(c.first);
      const r = await run(c.after);
      expect(r.stdout, `${r.error}\n${r.stderr}`).toBe("CLEAN\n");
    });
  }

  it("a child whose state could not be put back is replaced before the next program", async () => {
    const before = py.childStarts;
    await run("import sys\nsys.monitoring.use_tool_id(4, 'evil')");
    expect((await run("import sys\nprint(sys.monitoring.get_tool(4))")).stdout).toBe("None\n");
    expect(py.childStarts).toBeGreaterThan(before);
  });
});

describe("python sandbox: the host process", () => {
  it("exits on its own after hostile programs (output flood, escape attempt, kill)", async () => {
    const script = [
      `import { runPython } from ${JSON.stringify(join(import.meta.dirname, "..", "..", "src", "tools", "python-sandbox.ts"))};`,
      "const a = await runPython('while True:\\n    print(\"spam\" * 100)', { maxOutputBytes: 1000 });",
      "const b = await runPython('from pyodide.ffi import to_js\\nto_js({}).constructor.constructor(\"return 1\")()');",
      "const c = await runPython('while True: pass', { timeoutMs: 300 });",
      "console.log(a.verdict, b.verdict, c.verdict);",
    ].join("\n");
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: join(import.meta.dirname, "..", ".."),
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code, err).toBe(0);
    expect(out.trim()).toBe("output blocked timeout");
  });
});
