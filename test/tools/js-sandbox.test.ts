import { afterAll, describe, expect, it } from "vitest";
import { JavaScriptSandbox, stripTypes } from "../../src/tools/js-sandbox.js";

const js = new JavaScriptSandbox();
afterAll(() => js.close());

describe("javascript sandbox (QuickJS)", () => {
  it("runs ECMAScript and captures console output", async () => {
    const r = await js.run(
      "const xs = [1, 2, 3].map((x) => x * 2); console.log(xs, { a: 1 }, 'done'); console.error('warn');",
    );
    expect(r).toEqual({
      ok: true,
      stdout: "[ 2, 4, 6 ] { a: 1 } done\n",
      stderr: "warn\n",
      error: null,
      timedOut: false,
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
