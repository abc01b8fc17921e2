import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSynthforgeError } from "../../src/core/errors.js";
import { PythonSandbox } from "../../src/tools/python-sandbox.js";

// One Pyodide worker for the whole file (it starts in about 1.5–5 s).
let py: PythonSandbox;
let server: Server;
let port = 0;
let connections = 0;
let dir: string;

beforeAll(async () => {
  process.env.GEMINI_API_KEY = "AIzaSyTEST-not-a-real-key-000000000000";
  dir = mkdtempSync(join(tmpdir(), "synthforge-py-"));
  server = createServer((s) => {
    connections++;
    s.end("HTTP/1.0 200 OK\r\n\r\nsecret");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as { port: number }).port;
  py = new PythonSandbox();
  await py.warm();
});

afterAll(async () => {
  await py.close();
  server.close();
  rmSync(dir, { recursive: true, force: true });
  delete process.env.GEMINI_API_KEY;
});

describe("python sandbox: ordinary programs", () => {
  it("captures stdout and runs the standard library, as __main__", async () => {
    const r = await py.run(
      "import json, math\nif __name__ == '__main__':\n    print(json.dumps({'r': round(math.sqrt(2), 3)}))",
    );
    expect(r).toEqual({ ok: true, stdout: '{"r": 1.414}\n', stderr: "", error: null, timedOut: false });
  });

  it("reports an exception in one line and the traceback without Pyodide's frames", async () => {
    const r = await py.run("print('before')\ndef f():\n    return 1 / 0\nf()");
    expect(r.ok).toBe(false);
    expect(r.stdout).toBe("before\n");
    expect(r.error).toBe("ZeroDivisionError: division by zero");
    expect(r.stderr).toContain('File "<program>", line 3, in f');
    expect(r.stderr).not.toContain("_pyodide");
  });

  it("treats sys.exit(0) as success and sys.exit(3) as a failure with its status", async () => {
    expect((await py.run("import sys\nprint('x')\nsys.exit(0)")).ok).toBe(true);
    const r = await py.run("import sys\nsys.exit(3)");
    expect(r).toMatchObject({ ok: false, error: "exit status 3" });
  });

  it("reuses the warm worker between programs", async () => {
    const before = py.workerStarts;
    for (let i = 0; i < 3; i++) expect((await py.run(`print(${i})`)).stdout).toBe(`${i}\n`);
    expect(py.workerStarts).toBe(before);
  });

  it("gives each program a clean interpreter: globals, modules, builtins, files and cwd", async () => {
    await py.run(
      "import builtins, csv, os\nX = 1\nbuiltins.print = None\nopen('/tmp/leak.txt', 'w').write('x')\nos.chdir('/tmp')",
    );
    const r = await py.run(
      "import os, sys\nprint('X' in globals(), 'csv' in sys.modules, os.listdir('/tmp'), os.getcwd())",
    );
    expect(r.stdout).toBe("False False [] /home/pyodide\n");
  });

  it("sees no environment of the host (no API keys)", async () => {
    const r = await py.run(
      "import os\nprint(os.environ.get('GEMINI_API_KEY'), sorted(k for k in os.environ if 'KEY' in k))",
    );
    expect(r.stdout).toBe("None []\n");
  });

  it("rejects a bad limit with a typed error", async () => {
    await expect(py.run("print(1)", { timeoutMs: -1 })).rejects.toSatisfy((e: unknown) =>
      isSynthforgeError(e, "INVALID_REQUEST"),
    );
  });
});

describe("python sandbox: hostile programs are contained", () => {
  it("stops an infinite loop at the time limit", async () => {
    const t = Date.now();
    const r = await py.run("while True:\n    pass", { timeoutMs: 800 });
    expect(r).toMatchObject({ ok: false, timedOut: true });
    expect(r.error).toMatch(/time limit exceeded: the program ran longer than 800 ms/);
    expect(Date.now() - t).toBeLessThan(5000);
    expect((await py.run("print('alive')")).stdout).toBe("alive\n");
  });

  it("kills a loop that swallows the interrupt, and starts a fresh worker for the next program", async () => {
    const before = py.workerStarts;
    const r = await py.run(
      "while True:\n    try:\n        while True: pass\n    except BaseException:\n        pass",
      { timeoutMs: 500 },
    );
    expect(r).toMatchObject({ ok: false, timedOut: true });
    expect(r.error).toMatch(/its worker was terminated/);
    expect((await py.run("print(2 + 2)")).stdout).toBe("4\n");
    expect(py.workerStarts).toBe(before + 1);
  });

  it("stops a memory bomb with MemoryError at the memory limit", async () => {
    const r = await py.run("x = []\nwhile True:\n    x.append(bytearray(10**6))", {
      memoryMb: 48,
      timeoutMs: 20_000,
    });
    expect(r.ok).toBe(false);
    expect(r.timedOut).toBe(false);
    expect(r.error).toMatch(/memory limit exceeded: the program needed more than 48 MB/);
    expect((await py.run("print('ok')")).ok).toBe(true);
  });

  it("refuses one huge allocation", async () => {
    const r = await py.run("s = 'a' * (10**9)", { memoryMb: 64 });
    expect(r.error).toMatch(/memory limit exceeded.*MemoryError/);
  });

  it("has no host file system: /etc/passwd is not there", async () => {
    const r = await py.run("print(open('/etc/passwd').read())");
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/FileNotFoundError/);
    expect(r.stdout).toBe("");
  });

  it("blocks os.system (Emscripten would run it in a host shell)", async () => {
    const target = join(dir, "pwned.txt");
    const r = await py.run(`import os\nprint(os.system('echo pwned > ${target}'))`);
    expect(existsSync(target)).toBe(false);
    expect(r.ok).toBe(false);
    expect(r.error).toBe("blocked by the sandbox: starting a host process");
  });

  it("has no subprocesses", async () => {
    const r = await py.run("import subprocess\nsubprocess.run(['cat', '/etc/passwd'])");
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/does not support processes/);
  });

  it("has no network: sockets and urllib never reach a server", async () => {
    const before = connections;
    const a = await py.run(
      `import socket\ns = socket.create_connection(('127.0.0.1', ${port}))\nprint(s.recv(100))`,
    );
    const b = await py.run(
      `import urllib.request\nprint(urllib.request.urlopen('http://127.0.0.1:${port}/').read())`,
    );
    for (const r of [a, b]) {
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/^blocked by the sandbox: network access/);
      expect(r.stdout).not.toContain("secret");
    }
    expect(connections).toBe(before);
  });

  it("has no JavaScript bridge: js, pyodide_js, run_js and the Function constructor", async () => {
    expect((await py.run("import js\nprint(js.fetch)")).error).toMatch(/AttributeError/);
    expect((await py.run("import pyodide_js\nprint(pyodide_js.FS)")).error).toMatch(/ModuleNotFoundError/);
    expect((await py.run("from pyodide.code import run_js\nrun_js('process.exit(1)')")).ok).toBe(false);
    const r = await py.run(
      "from pyodide.ffi import to_js\nf = to_js([1]).constructor.constructor\nprint(f('return process.env')())",
    );
    expect(r.error).toMatch(/^blocked by the sandbox: running host JavaScript/);
    expect(r.stdout).toBe("");
  });

  it("turns runaway recursion into RecursionError, and survives a raised recursion limit", async () => {
    const a = await py.run("def f(n):\n    return f(n + 1) + 1\nf(0)");
    expect(a.error).toMatch(/RecursionError/);
    const b = await py.run(
      "import sys\nsys.setrecursionlimit(10**6)\ndef f(n):\n    return f(n + 1) + 1\nf(0)",
      { memoryMb: 64 },
    );
    expect(b.ok).toBe(false);
    expect(b.error).toMatch(/recursion|memory limit|stack/i);
    expect((await py.run("print('after')")).stdout).toBe("after\n");
  });

  it("stops a program that floods its output at the output limit", async () => {
    const r = await py.run("while True:\n    print('spam' * 100)", { maxOutputBytes: 2000, timeoutMs: 5000 });
    expect(r.ok).toBe(false);
    expect(r.timedOut).toBe(false);
    expect(r.error).toMatch(/output limit exceeded: more than 2000 bytes/);
    expect(r.stdout.length).toBeLessThanOrEqual(2000);
    // Whatever was still buffered does not leak into the next program.
    expect((await py.run("print('clean')")).stdout).toBe("clean\n");
  });

  it("reads no keyboard input", async () => {
    const r = await py.run("x = input()");
    expect(r.error).toMatch(/EOFError/);
  });
});
