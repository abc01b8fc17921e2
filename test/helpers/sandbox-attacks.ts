import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The host an attack aims at: a canary secret in the environment, a folder with a file
 * holding the canary, a local TCP listener that counts connections, and a victim process
 * to signal. `check()` says what the attacks achieved (all must stay at zero).
 */
export interface AttackTarget {
  /** A secret that must never appear in any output, row, log or file. */
  canary: string;
  /** Environment variables set to the canary (in this process, and so in what it starts). */
  canaryEnv: Record<string, string>;
  /** A host folder with `secret.txt` (the canary); attacks try to read, list and write here. */
  dir: string;
  secretFile: string;
  /** Port of a local listener. */
  port: number;
  /** A sleeping process that attacks try to kill. */
  victimPid: number;
  /** What the attacks achieved on the host so far. */
  check(): { connections: number; victimAlive: boolean; newFiles: string[]; secretIntact: boolean };
  close(): Promise<void>;
}

/** Sets up a target. Env vars are set on this process until `close()`. */
export async function startAttackTarget(): Promise<AttackTarget> {
  const canary = `sf-canary-${Math.random().toString(36).slice(2, 12)}`;
  const canaryEnv = {
    GEMINI_API_KEY: `AIzaSyCANARY${canary.replace(/-/g, "")}000000`,
    SYNTHFORGE_TEST_CANARY: canary,
  };
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(canaryEnv)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  const dir = mkdtempSync(join(tmpdir(), "sf-attack-"));
  const secretFile = join(dir, "secret.txt");
  writeFileSync(secretFile, `secret ${canary}\n`);
  const before = new Set(readdirSync(dir));
  let connections = 0;
  const server: Server = createServer((s) => {
    connections++;
    s.end(`HTTP/1.0 200 OK\r\n\r\n${canary}`);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const victim: ChildProcess = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], {
    stdio: "ignore",
  });
  let victimAlive = true;
  victim.on("exit", () => {
    victimAlive = false;
  });
  return {
    canary,
    canaryEnv,
    dir,
    secretFile,
    port,
    victimPid: victim.pid!,
    check: () => ({
      connections,
      victimAlive,
      newFiles: readdirSync(dir).filter((f) => !before.has(f)),
      secretIntact: existsSync(secretFile) && readFileSync(secretFile, "utf8") === `secret ${canary}\n`,
    }),
    close: async () => {
      victim.kill("SIGKILL");
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
  };
}

/** One hostile program: it must not end `ok`, unless `mayRun` (it only sets up contamination). */
export interface Attack {
  name: string;
  code: string;
  /** The verdicts the sandbox may give it. */
  verdicts: string[];
  /** Output that would mean the attack got somewhere. */
  mustNotPrint?: RegExp;
}

/**
 * The Python battery: one program per attack. Each prints the canary or its loot if it
 * gets anywhere, so the canary check catches any success.
 */
export function pythonAttacks(): Attack[] {
  const t = { dir: "@DIR@", secretFile: "@SECRET@", port: "@PORT@", victimPid: "@VICTIM@" };
  const dir = JSON.stringify(t.dir);
  const secret = JSON.stringify(t.secretFile);
  const bridge = ["from pyodide.ffi import to_js, create_proxy", "Obj = to_js({}).constructor"].join("\n");
  return [
    { name: "read a host file", code: `print(open(${secret}).read())`, verdicts: ["error"] },
    { name: "list a host folder", code: `import os\nprint(os.listdir(${dir}))`, verdicts: ["error"] },
    {
      name: "write a host file (after making the folder in the interpreter)",
      code: `import os\nos.makedirs(${dir}, exist_ok=True)\nopen(${dir} + '/pwned.txt', 'w').write('pwned')\nprint(os.listdir(${dir}))`,
      verdicts: ["ok"],
    },
    {
      name: "mount the host file system",
      code: "import pyodide_js\npyodide_js.mountNodeFS('/host', '/')",
      verdicts: ["error", "blocked"],
    },
    { name: "read the environment", code: "import os\nprint(dict(os.environ))", verdicts: ["ok"] },
    {
      name: "os.system",
      code: `import os\nos.system('cat ${t.secretFile} > ${t.dir}/spawned.txt')\nprint('ran')`,
      verdicts: ["blocked"],
    },
    {
      name: "subprocess",
      code: `import subprocess\nprint(subprocess.run(['cat', ${secret}], capture_output=True).stdout)`,
      verdicts: ["error", "blocked"],
    },
    {
      name: "kill a host process",
      code: `import os\nos.kill(${t.victimPid}, 9)`,
      verdicts: ["error", "blocked"],
    },
    { name: "kill the parent", code: "import os\nos.kill(os.getppid(), 9)", verdicts: ["error", "blocked"] },
    {
      name: "a socket to a local listener",
      code: `import socket\ns = socket.create_connection(('127.0.0.1', ${t.port}))\nprint(s.recv(100))`,
      verdicts: ["blocked", "error"],
    },
    {
      name: "urllib to a local listener",
      code: `import urllib.request\nprint(urllib.request.urlopen('http://127.0.0.1:${t.port}/').read())`,
      verdicts: ["blocked", "error"],
    },
    {
      name: "http.client to a local listener",
      code: `import http.client\nc = http.client.HTTPConnection('127.0.0.1', ${t.port})\nc.request('GET', '/')\nprint(c.getresponse().read())`,
      verdicts: ["blocked", "error"],
    },
    {
      name: "pyfetch",
      code: `from pyodide.http import pyfetch\nimport asyncio\nprint(asyncio.run(pyfetch('http://127.0.0.1:${t.port}/')))`,
      verdicts: ["blocked", "error"],
    },
    { name: "the js module", code: "import js\nprint(js.process.env)", verdicts: ["error"] },
    { name: "pyodide_js", code: "import pyodide_js\nprint(pyodide_js.FS)", verdicts: ["error"] },
    {
      name: "run_js",
      code: "from pyodide.code import run_js\nprint(run_js('JSON.stringify(process.env)'))",
      verdicts: ["error", "blocked"],
    },
    {
      name: "the Function constructor",
      code: `${bridge}\nprint(Obj.constructor('return JSON.stringify(process.env)')())`,
      verdicts: ["error", "blocked"],
    },
    {
      name: "the async Function constructor through an async function's prototype",
      code: `${bridge}\nF = Obj.getPrototypeOf(to_js([])).constructor.constructor\nprint(F('return process')())`,
      verdicts: ["error", "blocked"],
    },
    {
      name: "a getter on Object.prototype, reached through the timer-overflow warning",
      code: [
        bridge,
        "import pyodide.webloop as wl",
        "def getter(this):",
        "    print(this.report.getReport().environmentVariables.GEMINI_API_KEY)",
        "desc = to_js({'get': create_proxy(getter, capture_this=True), 'configurable': True}, dict_converter=Obj.fromEntries)",
        "Obj.defineProperty(Obj.prototype, 'traceProcessWarnings', desc)",
        "wl.scheduleCallback(create_proxy(lambda: None), 2**40)",
        "print('planted')",
      ].join("\n"),
      verdicts: ["error", "blocked"],
    },
    {
      name: "a getter planted through loadedPackages.constructor",
      code: [
        "import pyodide._package_loader as pl",
        "from pyodide.ffi import to_js, create_proxy",
        "Obj = pl.loadedPackages.constructor",
        "Obj.defineProperty(Obj.prototype, 'x', to_js({'get': create_proxy(lambda: 1)}, dict_converter=Obj.fromEntries))",
      ].join("\n"),
      verdicts: ["error", "blocked"],
    },
    {
      name: "Error.prepareStackTrace",
      code: [
        "from pyodide.ffi import to_js, create_proxy, JsException",
        "Obj = to_js({}).constructor",
        "got = []",
        "def prep(err, sites):",
        "    for s in sites:",
        "        got.append(s.getThis())",
        "    return 'x'",
        "try:",
        "    Obj.fromEntries(1)",
        "except JsException as e:",
        "    Err = e.js_error.constructor",
        "Err = Obj.getPrototypeOf(Err)",
        "Err.prepareStackTrace = create_proxy(prep)",
        "try:",
        "    Obj.fromEntries(1)",
        "except JsException as e:",
        "    e.js_error.stack",
        "    print('receivers:', [str(x) for x in got if x is not None])",
      ].join("\n"),
      verdicts: ["ok", "error", "blocked"],
      mustNotPrint: /receivers: \[.+\]/,
    },
    { name: "ctypes", code: "import ctypes\nprint(ctypes.string_at(0, 100))", verdicts: ["blocked"] },
    {
      name: "gc introspection",
      code: "import gc\nprint([o for o in gc.get_objects() if isinstance(o, dict) and '_audit' in o])",
      verdicts: ["blocked"],
    },
    {
      name: "an audit hook that would outlive the program",
      code: "import sys\nsys.addaudithook(lambda e, a: print('HOOKED', e))\nprint('added')",
      verdicts: ["blocked"],
    },
    {
      name: "an infinite loop that swallows KeyboardInterrupt",
      code: "while True:\n    try:\n        while True: pass\n    except BaseException:\n        pass",
      verdicts: ["timeout"],
    },
    {
      name: "a memory bomb",
      code: "x = []\nwhile True:\n    x.append(bytearray(10**6))",
      verdicts: ["memory"],
    },
    { name: "one huge allocation", code: "s = 'a' * (2**30)", verdicts: ["memory"] },
    {
      name: "deep recursion with a raised limit",
      code: "import sys\nsys.setrecursionlimit(10**7)\ndef f(n):\n    return f(n + 1) + 1\nf(0)",
      verdicts: ["memory", "crash", "error"],
    },
    { name: "an output flood", code: "while True:\n    print('spam' * 1000)", verdicts: ["output"] },
    {
      name: "an output flood on stderr that swallows the error",
      code: "import sys\nwhile True:\n    try:\n        sys.stderr.write('x' * 100000)\n    except BaseException:\n        pass",
      verdicts: ["output"],
    },
    { name: "os._exit with a status", code: "print('bye')\nimport os\nos._exit(7)", verdicts: ["exit"] },
    {
      name: "a fatal interpreter error",
      code: "import faulthandler\nfaulthandler._fatal_error('boom')",
      verdicts: ["crash", "error"],
    },
  ];
}

/** An attack's program aimed at a target (its placeholders filled in). */
export function aimAt(code: string, t: AttackTarget): string {
  return code
    .replaceAll("@DIR@", t.dir)
    .replaceAll("@SECRET@", t.secretFile)
    .replaceAll("@PORT@", String(t.port))
    .replaceAll("@VICTIM@", String(t.victimPid));
}

/**
 * Programs that leave state behind, each with the later program that must not see it
 * (it prints `CLEAN` when everything it checks is as a fresh interpreter has it).
 */
export interface Contamination {
  name: string;
  first: string;
  after: string;
}

export function pythonContaminations(): Contamination[] {
  return [
    {
      name: "a replaced module function (math.sqrt)",
      first: "import math\nmath.sqrt = lambda x: 42\nprint(math.sqrt(16))",
      after: "import math\nprint('CLEAN' if math.sqrt(16) == 4.0 else 'DIRTY')",
    },
    {
      name: "a replaced module in sys.modules",
      first:
        "import sys, types\nfake = types.ModuleType('json')\nfake.dumps = lambda x: 'FAKE'\nsys.modules['json'] = fake",
      after: "import json\nprint('CLEAN' if json.dumps([1]) == '[1]' else 'DIRTY')",
    },
    {
      name: "a patched builtin",
      first: "import builtins\nbuiltins.len = lambda x: 0\nbuiltins.print = None",
      after: "print('CLEAN' if len([1, 2]) == 2 else 'DIRTY')",
    },
    {
      name: "a patched stdlib class",
      first: "import json\njson.JSONEncoder.default = lambda self, o: 'FAKE'\njson.JSONEncoder.extra = 1",
      after:
        "import json\nprint('CLEAN' if not hasattr(json.JSONEncoder, 'extra') and json.dumps([1]) == '[1]' else 'DIRTY')",
    },
    {
      name: "a mutated module-level list (warnings filters)",
      first: "import warnings\nwarnings.simplefilter('error')",
      after: "import warnings\nwarnings.warn('x')\nprint('CLEAN')",
    },
    {
      name: "a poisoned regex cache",
      first:
        "import re\nre.compile('abc')\nk = next(k for k in re._cache if k[1] == 'abc')\nre._cache[k] = re.compile('xyz')",
      after: "import re\nprint('CLEAN' if re.compile('abc').pattern == 'abc' else 'DIRTY')",
    },
    {
      name: "the decimal context and its templates",
      first: "import decimal\ndecimal.getcontext().prec = 2\ndecimal.DefaultContext.prec = 3",
      after:
        "import decimal\nprint('CLEAN' if str(decimal.Decimal(1) / decimal.Decimal(3)) == '0.3333333333333333333333333333' and decimal.DefaultContext.prec == 28 else 'DIRTY')",
    },
    {
      name: "an ABC registration of a builtin",
      first: "import collections.abc\ncollections.abc.Sequence.register(int)",
      after:
        "import collections.abc\nprint('CLEAN' if not isinstance(5, collections.abc.Sequence) else 'DIRTY')",
    },
    {
      name: "a trace hook",
      first: "import sys\nsys.settrace(lambda *a: None)\nsys.setprofile(lambda *a: None)",
      after: "import sys\nprint('CLEAN' if sys.gettrace() is None and sys.getprofile() is None else 'DIRTY')",
    },
    {
      name: "limits of the interpreter",
      first: "import sys\nsys.setrecursionlimit(60)\nsys.set_int_max_str_digits(640)",
      after:
        "import sys\ndef f(n):\n    return 0 if n == 0 else f(n - 1)\nf(500)\nprint('CLEAN' if len(str(10**4000)) == 4001 else 'DIRTY')",
    },
    {
      name: "the environment, working folder and files",
      first:
        "import os\nos.environ['PWNED'] = '1'\nos.makedirs('/lib/python3.14/site-packages', exist_ok=True)\nopen('/lib/python3.14/site-packages/numpy.py', 'w').write('print(4.0)')\nos.chdir('/tmp')\nopen('/tmp/x', 'w').write('x')",
      after:
        "import os\ntry:\n    import numpy\n    print('DIRTY')\nexcept ImportError:\n    print('CLEAN' if 'PWNED' not in os.environ and os.getcwd() == '/home/pyodide' and os.listdir('/tmp') == [] else 'DIRTY')",
    },
    {
      name: "a callback left on the event loop",
      first:
        "import asyncio, math\nloop = asyncio.get_event_loop()\nloop.call_later(0.05, lambda: setattr(math, 'pi', 3))\nloop.call_soon(lambda: setattr(math, 'e', 2))",
      after:
        "import math, time\nt = time.time()\nwhile time.time() - t < 0.2: pass\nprint('CLEAN' if math.pi > 3.14 and math.e > 2.7 else 'DIRTY')",
    },
    {
      name: "a finaliser that re-plants during the reset",
      first:
        "import math\nclass P:\n    def __del__(self):\n        import math\n        math.tau = 1\nmath.keep = P()",
      after: "import math\nprint('CLEAN' if math.tau > 6 and not hasattr(math, 'keep') else 'DIRTY')",
    },
    {
      name: "a codec registered",
      first: "import codecs\ncodecs.register(lambda name: None)",
      after: "print('CLEAN')",
    },
    {
      name: "a re-imported preloaded module",
      first: "import sys\ndel sys.modules['_codecs']\nimport _codecs\n_codecs.register(lambda n: None)",
      after: "print('CLEAN')",
    },
    {
      name: "sys.monitoring",
      first: "import sys\nsys.monitoring.use_tool_id(3, 'evil')",
      after: "import sys\nprint('CLEAN' if sys.monitoring.get_tool(3) is None else 'DIRTY')",
    },
  ];
}
