import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JavaScriptSandbox, stripTypes } from "../../src/tools/js-sandbox.js";
import type { SandboxResult } from "../../src/tools/sandbox-host.js";
import { type AttackTarget, startAttackTarget } from "../helpers/sandbox-attacks.js";

const js = new JavaScriptSandbox();
let target: AttackTarget;
const seen: SandboxResult[] = [];
beforeAll(async () => {
  target = await startAttackTarget();
});
afterAll(async () => {
  await js.close();
  await target.close();
});

describe("javascript sandbox (QuickJS)", () => {
  it("runs ECMAScript and captures console output", async () => {
    const r = await js.run(
      "const xs = [1, 2, 3].map((x) => x * 2); console.log(xs, { a: 1 }, 'done'); console.error('warn');",
    );
    expect(r).toEqual({
      ok: true,
      verdict: "ok",
      stdout: "[ 2, 4, 6 ] { a: 1 } done\n",
      stderr: "warn\n",
      error: null,
      timedOut: false,
      exitStatus: null,
    });
  });

  it("reports a thrown error in one line, with its stack on stderr", async () => {
    const r = await js.run("function f() { throw new TypeError('boom'); }\nf();");
    expect(r).toMatchObject({ ok: false, error: "TypeError: boom", timedOut: false });
    expect(r.stderr).toContain("at f (program.js:1");
  });

  it("settles async code and reports a rejected promise", async () => {
    expect(
      (await js.run("async function main() { await null; console.log('later'); }\nmain();")).stdout,
    ).toBe("later\n");
    expect((await js.run("async function main() { throw new Error('async boom'); }\nmain();")).error).toBe(
      "Error: async boom",
    );
  });

  it("has no host: no require, process, fetch, timers; imports fail", async () => {
    const r = await js.run(
      "console.log(typeof require, typeof process, typeof fetch, typeof setTimeout, typeof globalThis.Deno)",
    );
    expect(r.stdout).toBe("undefined undefined undefined undefined undefined\n");
    const imp = await js.run("import fs from 'fs';\nconsole.log(fs.readFileSync('/etc/passwd', 'utf8'));");
    expect(imp).toMatchObject({ ok: false, stdout: "" });
    expect(imp.error).toMatch(/could not load module 'fs'/);
  });

  it("stops an infinite loop at the time limit and keeps working", async () => {
    const r = await js.run("while (true) {}", { timeoutMs: 500 });
    expect(r).toMatchObject({ ok: false, timedOut: true });
    expect(r.error).toMatch(/time limit exceeded/);
    expect((await js.run("console.log(1)")).stdout).toBe("1\n");
  });

  it("stops memory bombs at the memory limit (many objects, and large strings)", async () => {
    const a = await js.run("const b = []; while (true) b.push({ i: b.length, s: 'y' + b.length });", {
      memoryMb: 16,
    });
    expect(a.error).toMatch(/memory limit exceeded: the program needed more than 16 MB/);
    const b = await js.run("const a = []; for (let i = 0; i < 5000; i++) a.push('x'.repeat(100000) + i);", {
      memoryMb: 16,
    });
    expect(b.ok).toBe(false);
    expect(b.error).toMatch(/memory limit exceeded/);
  });

  it("turns deep recursion into a stack-overflow error, not a crash of the host", async () => {
    const r = await js.run("function f(n) { return f(n + 1) + 1; }\nf(0);");
    expect(r.error).toBe("InternalError: stack overflow");
    const j = await js.run("JSON.parse('['.repeat(100000));");
    expect(j.ok).toBe(false);
    expect((await js.run("console.log('still here')")).stdout).toBe("still here\n");
  });

  it("stops a program that floods its output", async () => {
    const r = await js.run("while (true) console.log('spam'.repeat(100));", { maxOutputBytes: 1000 });
    expect(r.error).toMatch(/output limit exceeded: more than 1000 bytes/);
    expect(Buffer.byteLength(r.stdout)).toBeLessThanOrEqual(1000);
  });

  it("runs TypeScript with its types stripped, and reports TypeScript that does not parse", async () => {
    const ok = await js.run(
      "interface P { x: number }\nconst sq = (p: P): number => p.x * p.x;\nconsole.log(sq({ x: 7 }));",
      { language: "typescript" },
    );
    expect(ok.stdout).toBe("49\n");
    const bad = await js.run("const x: number = ;", { language: "typescript" });
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/^TypeScript does not compile/);
    expect(await stripTypes("let a: string = 'x';")).toMatchObject({ ok: true });
  });
});

describe("javascript sandbox: the same attacks as Python", () => {
  const attacks: Array<[string, string]> = [
    ["the environment", "console.log(typeof process === 'undefined' ? 'none' : JSON.stringify(process.env))"],
    [
      "require and host modules",
      "const fs = require('fs'); console.log(fs.readFileSync('@SECRET@', 'utf8'))",
    ],
    ["a dynamic import", "import('fs').then((fs) => console.log(fs.readFileSync('@SECRET@', 'utf8')))"],
    ["the Function constructor", "console.log((function(){}).constructor('return typeof process')())"],
    ["globalThis", "console.log(Object.getOwnPropertyNames(globalThis).join(','))"],
    ["fetch and sockets", "fetch('http://127.0.0.1:@PORT@/').then(r => r.text()).then(console.log)"],
    [
      "prototype pollution for later programs",
      "Object.prototype.polluted = 'yes'; Array.prototype.map = () => 'DIRTY'",
    ],
    ["an infinite loop", "for (;;) {}"],
    ["a memory bomb", "const a = []; for (;;) a.push(new Array(1e6).fill(1))"],
    ["an output flood", "for (;;) console.log('spam'.repeat(1000))"],
    ["deep recursion", "const f = (n) => f(n + 1) + 1; f(0)"],
  ];
  for (const [name, code] of attacks) {
    it(`${name}: contained`, async () => {
      const program = code
        .replaceAll("@SECRET@", target.secretFile)
        .replaceAll("@PORT@", String(target.port));
      const r = await js.run(program, { timeoutMs: 2000, memoryMb: 32, maxOutputBytes: 8192 });
      seen.push(r);
      const next = await js.run("console.log([1, 2].map((x) => x * 2).join(','), ({}).polluted)");
      expect(next.stdout).toBe("2,4 undefined\n");
      expect(target.check()).toEqual({ connections: 0, victimAlive: true, newFiles: [], secretIntact: true });
    });
  }

  it("never shows the host's secrets", () => {
    const all = JSON.stringify(seen);
    expect(all).not.toContain(target.canary);
    for (const v of Object.values(target.canaryEnv)) expect(all).not.toContain(v);
  });
});
