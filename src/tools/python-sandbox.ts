import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { resolvePackageFile, SandboxHost, type SandboxOptions, type SandboxResult } from "./sandbox-host.js";

export type { SandboxOptions, SandboxResult } from "./sandbox-host.js";

/**
 * Python in Pyodide (CPython compiled to WebAssembly, loaded offline from the `pyodide`
 * npm package), inside a `worker_threads` Worker.
 *
 * Containment, in layers:
 * - Python sees only Pyodide's in-memory file system (no host mounts); `open("/etc/passwd")`
 *   fails with FileNotFoundError.
 * - The `js` module is an empty object (no `fetch`, no `process`, no `eval`), `pyodide_js`
 *   (the Pyodide API: FS, mounts, package loading) is unregistered, and `pyodide.code.run_js`
 *   has nothing to evaluate with.
 * - Inside the worker, after Pyodide has loaded, every Node capability a program could
 *   reach is replaced: `child_process` (Emscripten's `os.system` would otherwise run a
 *   host shell), `fs`, `net`, `http(s)`, `tls`, `dgram`, `dns`, the `ws` WebSocket that
 *   Emscripten's sockets use, `fetch`, `eval` and the `Function` constructors. Each
 *   refused attempt is reported as "blocked by the sandbox: ...".
 * - The worker has an empty environment (no API keys), a V8 heap limit, and a cap on
 *   WebAssembly memory growth (`memoryMb` beyond the interpreter's baseline: a memory
 *   bomb gets MemoryError).
 * - A program past `timeoutMs` gets KeyboardInterrupt; if it swallows that, the worker
 *   is terminated and a fresh one is started for the next program.
 * - Each program runs in a fresh `__main__` namespace; afterwards the modules it imported
 *   are unloaded, builtins, `sys.path`, the recursion limit and the environment are
 *   restored, and `/tmp` and the home folder are emptied.
 */

const WORKER_SOURCE = String.raw`
"use strict";
const { parentPort, workerData } = require("node:worker_threads");

const state = { limitBytes: 0, memoryHit: false, blocked: [], memory: null };

// Cap WebAssembly memory growth (Emscripten grows the heap through Memory.grow).
const memProto = WebAssembly.Memory.prototype;
const realGrow = memProto.grow;
memProto.grow = function (delta) {
  state.memory = this;
  if (state.limitBytes > 0 && this.buffer.byteLength + delta * 65536 > state.limitBytes) {
    state.memoryHit = true;
    throw new RangeError("sandbox memory limit reached");
  }
  return realGrow.call(this, delta);
};

function lockdown(py) {
  const note = (what) => { state.blocked.push(what); };
  const deny = (what) => function () { note(what); throw new Error("sandbox: " + what + " is blocked"); };
  const names = ["child_process", "fs", "fs/promises", "net", "tls", "http", "https", "http2", "dgram", "dns", "worker_threads", "vm", "inspector", "cluster", "v8"];
  const mods = {};
  for (const n of names) mods[n] = require("node:" + n);
  const events = require("node:events");
  for (const n of names) {
    const mod = mods[n];
    for (const k of Object.keys(mod)) {
      if (typeof mod[k] !== "function" || /^[A-Z]/.test(k)) continue;
      try { mod[k] = deny(n + "." + k); } catch (e) {}
    }
  }
  // Emscripten's os.system calls spawnSync and expects a result: report a failed command.
  const spawnFail = (what) => function () {
    note(what);
    const err = new Error("sandbox: starting host processes is blocked");
    return { pid: 0, status: 127, signal: null, output: [null, "", ""], stdout: "", stderr: "", error: err };
  };
  for (const k of ["spawnSync", "execSync", "execFileSync"]) mods.child_process[k] = spawnFail("child_process." + k);
  // Network calls fail the way a refused connection does, asynchronously.
  const failedNet = (what) => function () {
    note(what);
    const e = new events.EventEmitter();
    for (const m of ["end", "write", "abort", "destroy", "setTimeout", "setHeader", "setNoDelay", "setKeepAlive", "ref", "unref"]) e[m] = () => e;
    process.nextTick(() => e.emit("error", Object.assign(new Error("sandbox: network access is blocked"), { code: "ECONNREFUSED" })));
    return e;
  };
  for (const [m, ks] of [["http", ["request", "get"]], ["https", ["request", "get"]], ["net", ["connect", "createConnection"]], ["tls", ["connect"]]]) {
    for (const k of ks) mods[m][k] = failedNet(m + "." + k);
  }
  mods.net.Socket.prototype.connect = deny("net.Socket.connect");
  // Emscripten's sockets open a WebSocket through the "ws" package; after lockdown the
  // interpreter may load Node built-ins (already replaced above) and nothing else.
  const Module = require("node:module");
  const realLoad = Module._load;
  const BlockedWebSocket = function BlockedWebSocket() { note("ws.WebSocket (network)"); throw new Error("sandbox: network access is blocked"); };
  BlockedWebSocket.Server = BlockedWebSocket;
  Module._load = function (request) {
    if (request === "ws") return BlockedWebSocket;
    if (typeof request === "string" && (request.startsWith("node:") || Module.isBuiltin(request))) return realLoad.apply(this, arguments);
    note("require(" + String(request) + ")");
    throw new Error("sandbox: loading modules is blocked");
  };
  for (const g of ["fetch", "WebSocket", "XMLHttpRequest", "EventSource", "Request", "Response", "Headers", "navigator"]) {
    try { delete globalThis[g]; } catch (e) {}
  }
  globalThis.require = deny("require");
  for (const k of ["binding", "_linkedBinding", "dlopen", "getBuiltinModule", "kill", "chdir", "abort", "reallyExit", "setuid", "setgid"]) {
    try { process[k] = deny("process." + k); } catch (e) {}
  }
  const evalDeny = deny("eval / new Function (JavaScript from Python)");
  globalThis.eval = evalDeny;
  const ctors = [Function, (async function () {}).constructor, (function* () {}).constructor, (async function* () {}).constructor];
  for (const C of ctors) Object.defineProperty(C.prototype, "constructor", { value: evalDeny, writable: false, configurable: false });
  py.unregisterJsModule("pyodide_js");
  py.mountNodeFS = deny("mountNodeFS (host file system)");
  py.mountNativeFS = deny("mountNativeFS (host file system)");
  py.loadPackage = deny("loadPackage (network)");
  py.loadPackagesFromImports = deny("loadPackagesFromImports (network)");
  if (py.FS && typeof py.FS.mount === "function") {
    const realMount = py.FS.mount.bind(py.FS);
    const MEMFS = py.FS.filesystems && py.FS.filesystems.MEMFS;
    py.FS.mount = function (type, opts, point) {
      if (type !== MEMFS) { note("FS.mount (host file system)"); throw new Error("sandbox: mounting host file systems is blocked"); }
      return realMount(type, opts, point);
    };
  }
}

const PRELUDE = [
  "import sys, builtins, os, gc",
  "for _m in ('pyodide_js', 'pyodide_js._api'): sys.modules.pop(_m, None)",
  "import json, math, re, collections, itertools, functools, fractions, decimal, statistics, string, random, heapq, bisect, typing, dataclasses, datetime, unittest, traceback",
  "_mods = set(sys.modules)",
  "_builtins = dict(builtins.__dict__)",
  "_limit = sys.getrecursionlimit()",
  "_path = list(sys.path)",
  "_cwd = os.getcwd()",
  "_env = dict(os.environ)",
  "def _rm(d):",
  "    try: names = os.listdir(d)",
  "    except OSError: return",
  "    for n in names:",
  "        p = d + '/' + n",
  "        try:",
  "            if os.path.isdir(p) and not os.path.islink(p):",
  "                _rm(p); os.rmdir(p)",
  "            else: os.unlink(p)",
  "        except OSError: pass",
  "def flush():",
  "    for f in (sys.stdout, sys.stderr):",
  "        try: f.flush()",
  "        except Exception: pass",
  "def reset():",
  "    for n in list(sys.modules):",
  "        if n not in _mods: sys.modules.pop(n, None)",
  "    builtins.__dict__.clear(); builtins.__dict__.update(_builtins)",
  "    sys.setrecursionlimit(_limit); sys.path[:] = _path",
  "    sys.stdout, sys.stderr, sys.stdin = sys.__stdout__, sys.__stderr__, sys.__stdin__",
  "    os.environ.clear(); os.environ.update(_env)",
  "    try: os.chdir(_cwd)",
  "    except OSError: pass",
  "    for d in ('/tmp', '/home/pyodide'): _rm(d)",
  "    gc.collect()",
].join("\n");

function summarise(message) {
  const lines = String(message).trim().split("\n").filter((l) => l.trim());
  // The exception line; its message may run over several lines (Pyodide's import hints).
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^(?:[\w.]+\.)?[A-Z]\w*(?:Error|Exception|Interrupt|Exit|Warning)(?::|$)/.test(lines[i].trim())) {
      const text = lines.slice(i).map((l) => l.trim()).join(" ");
      return text.length > 300 ? text.slice(0, 297) + "..." : text;
    }
  }
  return lines.length ? lines[lines.length - 1].trim() : "error";
}

function cleanTraceback(message) {
  // Drop Pyodide's own frames; keep the program's.
  const out = [];
  const lines = String(message).split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (/^\s*File "\/lib\/python[^"]*\/_pyodide\//.test(l)) {
      while (i + 1 < lines.length && /^\s{4,}/.test(lines[i + 1]) && !/^\s*File /.test(lines[i + 1])) i++;
      continue;
    }
    out.push(l);
  }
  return out.join("\n").trim();
}

(async () => {
  const { loadPyodide } = await import(workerData.pyodideUrl);
  const py = await loadPyodide({
    indexURL: workerData.indexDir,
    jsglobals: Object.create(null),
    env: { HOME: "/home/pyodide" },
    stdout: () => {},
    stderr: () => {},
  });
  const heap = () => (state.memory ? state.memory.buffer.byteLength : py._module && py._module.HEAPU8 ? py._module.HEAPU8.byteLength : 0);
  lockdown(py);
  const sf = py.toPy({});
  py.runPython(PRELUDE, { globals: sf });
  const reset = sf.get("reset");
  const flush = sf.get("flush");
  py.setInterruptBuffer(workerData.interrupt);
  py.setStdin({ stdin: () => null });
  const baselineBytes = heap();
  let out = { stdout: [], stderr: [], bytes: 0, max: 0, hit: false, discard: false };
  const decoder = new TextDecoder();
  const writer = (which) => ({
    isatty: false,
    write(buf) {
      if (out.discard) return buf.length;
      const room = out.max - out.bytes;
      if (room <= 0) { out.hit = true; throw new Error("sandbox: output limit exceeded"); }
      const chunk = buf.length > room ? buf.subarray(0, room) : buf;
      out[which].push(decoder.decode(chunk));
      out.bytes += chunk.length;
      if (buf.length > room) { out.hit = true; throw new Error("sandbox: output limit exceeded"); }
      return buf.length;
    },
  });
  py.setStdout(writer("stdout"));
  py.setStderr(writer("stderr"));
  parentPort.postMessage({ type: "ready" });

  parentPort.on("message", (msg) => {
    if (!msg || msg.type !== "run") return;
    out = { stdout: [], stderr: [], bytes: 0, max: msg.maxOutputBytes, hit: false };
    state.blocked = [];
    state.memoryHit = false;
    state.limitBytes = baselineBytes + msg.memoryBytes;
    let error = null;
    let fatal = null;
    let interrupted = false;
    const ns = py.toPy({ __name__: "__main__" });
    try {
      py.runPython(msg.code, { globals: ns, filename: "<program>" });
    } catch (e) {
      const text = String((e && e.message) || e);
      if (e && (e.pyodide_fatal_error || /fatally failed/.test(text))) {
        fatal = "aborted (" + (/Maximum call stack|stack overflow|recursion/i.test(text) || state.memoryHit ? "recursion too deep or out of memory" : "fatal error") + "): " + summarise(text);
      } else {
        const last = summarise(text);
        if (/^SystemExit(: (0|None))?$/.test(last)) {
          error = null;
        } else if (/^KeyboardInterrupt/.test(last) && Atomics.load(workerData.interrupt, 0) !== 0) {
          interrupted = true;
        } else {
          error = /^SystemExit: /.test(last) ? "exit status " + last.slice(12) : last;
          const tb = cleanTraceback(text);
          if (tb) out.stderr.push((out.stderr.length ? "\n" : "") + tb + "\n");
        }
      }
    }
    try { ns.destroy(); } catch (e) {}
    state.limitBytes = 0;
    if (!fatal) {
      try { flush(); } catch (e) {}
      out.discard = true; // whatever is still buffered belongs to no one
      try { flush(); } catch (e) {}
      out.discard = false;
      try { reset(); } catch (e) { fatal = "could not reset the interpreter: " + summarise(String((e && e.message) || e)); }
    }
    parentPort.postMessage({
      type: "result",
      id: msg.id,
      stdout: out.stdout.join(""),
      stderr: out.stderr.join(""),
      error,
      blocked: state.blocked.slice(),
      memoryLimitHit: state.memoryHit || /^MemoryError/.test(error || ""),
      outputLimitHit: out.hit,
      interrupted,
      fatal,
      heapBytes: heap(),
      baselineBytes,
    });
  });
})().catch((e) => parentPort.postMessage({ type: "startup-error", message: String((e && e.stack) || e).split("\n")[0] }));
`;

let shared: PythonSandbox | null = null;

/** Options of a {@link PythonSandbox}. */
export interface PythonSandboxOptions {
  /** How long Pyodide may take to load. Default 60000. */
  startupTimeoutMs?: number;
}

/**
 * A warm Pyodide worker. Programs run one at a time; a program that has to be killed, or
 * that crashes the interpreter, costs a restart (about 1.5 s) before the next one.
 * Most callers use {@link runPython}, which shares one instance per process.
 */
export class PythonSandbox {
  private readonly host: SandboxHost;

  constructor(options: PythonSandboxOptions = {}) {
    const pyodideMjs = resolvePackageFile("pyodide/pyodide.mjs");
    this.host = new SandboxHost({
      name: "Python",
      source: WORKER_SOURCE,
      workerData: {
        pyodideUrl: pathToFileURL(pyodideMjs).href,
        indexDir: `${dirname(pyodideMjs)}/`,
      },
      startupTimeoutMs: options.startupTimeoutMs ?? 60_000,
      heapMb: 256,
      stackMb: 8,
      recycleAboveBytes: 192 * 1024 * 1024,
      graceMs: 500,
    });
  }

  /** Loads Pyodide now rather than on the first program. */
  warm(): Promise<void> {
    return this.host.warm();
  }

  /** Runs one Python program (see {@link runPython}). */
  run(code: string, opts?: SandboxOptions): Promise<SandboxResult> {
    return this.host.run({ code }, opts);
  }

  /** Workers started so far (1 when the warm worker was always reused). */
  get workerStarts(): number {
    return this.host.starts;
  }

  /** Stops the worker. */
  close(): Promise<void> {
    return this.host.close();
  }
}

/**
 * Runs a Python program in the shared sandbox (Pyodide in a worker; see the module notes
 * for what is contained and how). Never throws for anything the program does: errors,
 * limits and blocked actions come back in the result.
 *
 * @example
 * const r = await runPython("print(sum(range(10)))");
 * // { ok: true, stdout: "45\n", stderr: "", error: null, timedOut: false }
 * @throws SynthforgeError `INVALID_REQUEST` for a non-positive limit, `SANDBOX_UNAVAILABLE`
 *   when Pyodide cannot be loaded.
 */
export function runPython(code: string, opts?: SandboxOptions): Promise<SandboxResult> {
  shared ??= new PythonSandbox();
  return shared.run(code, opts);
}

/** The shared sandbox behind {@link runPython} (created on first use). */
export function sharedPythonSandbox(): PythonSandbox {
  shared ??= new PythonSandbox();
  return shared;
}

/** Stops the shared Python worker (a later {@link runPython} starts a new one). */
export async function closePythonSandbox(): Promise<void> {
  const s = shared;
  shared = null;
  if (s) await s.close();
}
