import { dirname } from "node:path";
import { SynthforgeError } from "../core/errors.js";
import {
  packageFolder,
  resolvePackageFile,
  SandboxHost,
  type SandboxOptions,
  type SandboxResult,
} from "./sandbox-host.js";

/**
 * JavaScript (and TypeScript, types stripped first) in QuickJS compiled to WebAssembly
 * (`quickjs-emscripten`), inside a `worker_threads` Worker. A QuickJS context has no
 * host objects at all: no `require`, `process`, `fetch`, timers or file system; module
 * imports fail ("could not load module"). The sandbox adds only `console`.
 *
 * Each program gets a fresh QuickJS runtime with a memory limit (and the worker's
 * WebAssembly memory growth is capped too), a stack limit, and an interrupt handler that
 * stops it at its deadline; a program that still does not stop has its worker terminated.
 */

/** Options of {@link runJavaScript}. */
export interface JavaScriptRunOptions extends SandboxOptions {
  /** The source language. Default: `javascript`; `typescript` strips types first. */
  language?: "javascript" | "typescript";
}

const CHILD_SOURCE = String.raw`
// ---- JavaScript (QuickJS) ----
const { inspect } = require("node:util");
let QuickJS = null;
let baselineBytes = 0;
let current = null;
programOutput = () => current ? { stdout: current.stdout.join(""), stderr: current.stderr.join("") } : { stdout: "", stderr: "" };

async function start(config) {
  const q = require(config.quickjsPath);
  QuickJS = await q.newQuickJSWASMModule();
  const probe = QuickJS.newRuntime(); probe.dispose();
  baselineBytes = memState.memory ? memState.memory.buffer.byteLength : 0;
  lockdownChild(() => {}, ["fs", "path", "url", "util", "os", "crypto", "buffer", "events"]);
  send({ type: "ready" });
}

function runProgram(msg) {
  const out = { stdout: [], stderr: [], bytes: 0, hit: false };
  current = out;
  const deadline = Date.now() + msg.timeoutMs;
  let interrupted = false;
  let error = null;
  let fatal = null;
  memState.hit = false;
  memState.limitBytes = baselineBytes + msg.memoryBytes + 16 * 1024 * 1024;
  const write = (which, text) => {
    const room = msg.maxOutputBytes - out.bytes;
    if (room <= 0) { out.hit = true; return false; }
    const buf = Buffer.from(text, "utf8");
    const chunk = buf.length > room ? buf.subarray(0, room).toString("utf8") : text;
    out[which].push(chunk);
    out.bytes += Math.min(buf.length, room);
    if (buf.length > room) out.hit = true;
    return !out.hit;
  };
  let rt = null;
  let vm = null;
  let trace = "";
  try {
    rt = QuickJS.newRuntime();
    rt.setMemoryLimit(msg.memoryBytes);
    rt.setMaxStackSize(512 * 1024);
    rt.setInterruptHandler(() => {
      if (out.hit) return true;
      if (Date.now() > deadline) { interrupted = true; return true; }
      return false;
    });
    vm = rt.newContext();
    const fmt = (h) => {
      const v = vm.dump(h);
      return typeof v === "string" ? v : inspect(v, { depth: 4, breakLength: Infinity });
    };
    const consoleObj = vm.newObject();
    for (const [name, which] of [["log", "stdout"], ["info", "stdout"], ["debug", "stdout"], ["warn", "stderr"], ["error", "stderr"]]) {
      const fn = vm.newFunction(name, (...args) => { write(which, args.map(fmt).join(" ") + "\n"); });
      vm.setProp(consoleObj, name, fn);
      fn.dispose();
    }
    vm.setProp(vm.global, "console", consoleObj);
    consoleObj.dispose();
    const describe = (h) => {
      const e = vm.dump(h);
      if (e && typeof e === "object" && "message" in e) {
        if (e.stack) {
          const lines = String(e.stack).split("\n").filter((l) => l.trim());
          const shown = lines.length > 12 ? lines.slice(0, 10).concat(["    ... " + (lines.length - 10) + " more frames"]) : lines;
          trace = (e.name || "Error") + ": " + e.message + "\n" + shown.join("\n") + "\n";
        }
        return (e.name || "Error") + ": " + e.message;
      }
      return "uncaught " + inspect(e);
    };
    const result = vm.evalCode(msg.code, "program.js", { type: msg.module ? "module" : "global" });
    if (result.error) {
      error = describe(result.error);
      result.error.dispose();
    } else {
      const value = result.value;
      for (let i = 0; i < 100000; i++) {
        const jobs = rt.executePendingJobs();
        if (jobs.error) { error = describe(jobs.error); jobs.error.dispose(); break; }
        if (jobs.value === 0) break;
        if (Date.now() > deadline) { interrupted = true; break; }
      }
      const st = vm.getPromiseState(value);
      if (st.type === "rejected") { if (!error) error = describe(st.error); st.error.dispose(); }
      else if (st.type === "pending") { if (!error && !interrupted) error = "the program's promise never settled"; }
      else if (st.value && st.value !== value) st.value.dispose();
      value.dispose();
    }
  } catch (e) {
    fatal = /Maximum call stack/i.test(String(e && e.message)) ? "aborted (stack overflow in the interpreter)" : "aborted: " + String((e && e.message) || e).split("\n")[0];
  }
  if (!fatal) {
    try { if (vm) vm.dispose(); if (rt) rt.dispose(); } catch (e) { fatal = "could not release the interpreter: " + String(e && e.message); }
  }
  memState.limitBytes = 0;
  current = null;
  if (error && /^InternalError: interrupted/.test(error) && !interrupted) error = null;
  const oom = /out of memory/i.test(error || "");
  send({
    type: "result",
    id: msg.id,
    stdout: out.stdout.join(""),
    stderr: out.stderr.join("") + (interrupted ? "" : trace),
    error: interrupted ? null : error,
    interrupted,
    blocked: [],
    memoryLimitHit: memState.hit || oom,
    outputLimitHit: out.hit,
    exitStatus: null,
    fatal,
    retire: fatal || memState.memory && memState.memory.buffer.byteLength - baselineBytes > 192 * 1024 * 1024 ? ["interpreter memory"] : [],
  });
  if (fatal) exitNow(0);
}

onFrame = (msg) => {
  if (!msg || typeof msg !== "object") return;
  if (msg.type === "init") {
    start(msg.config).catch((e) => send({ type: "startup-error", message: String((e && e.stack) || e).split("\n")[0] }));
  } else if (msg.type === "run" && QuickJS) {
    runProgram(msg);
  }
};
`;

let shared: JavaScriptSandbox | null = null;

/** A warm QuickJS worker. Most callers use {@link runJavaScript}, which shares one per process. */
export class JavaScriptSandbox {
  private readonly host: SandboxHost;

  constructor(options: { children?: number } = {}) {
    this.host = new SandboxHost({
      name: "JavaScript",
      source: CHILD_SOURCE,
      readPaths: [
        `${packageFolder("quickjs-emscripten")}/*`,
        `${packageFolder("quickjs-emscripten-core")}/*`,
        `${dirname(packageFolder("@jitl/quickjs-wasmfile-release-sync"))}/*`,
        `${packageFolder("ses")}/*`,
      ],
      init: { quickjsPath: resolvePackageFile("quickjs-emscripten") },
      startupTimeoutMs: 60_000,
      heapMb: 128,
      children: options.children ?? 2,
    });
  }

  /** Runs one JavaScript or TypeScript program (see {@link runJavaScript}). */
  async run(code: string, opts: JavaScriptRunOptions = {}): Promise<SandboxResult> {
    const { language = "javascript", ...limits } = opts;
    let source = code;
    if (language === "typescript") {
      const stripped = await stripTypes(code);
      if (!stripped.ok)
        return {
          ok: false,
          stdout: "",
          stderr: stripped.error,
          error: `TypeScript does not compile: ${stripped.error}`,
          timedOut: false,
          verdict: "error",
          exitStatus: null,
        };
      source = stripped.code;
    }
    return this.host.run({ code: source, module: isModule(source) }, limits);
  }

  /** Workers started so far. */
  get childStarts(): number {
    return this.host.starts;
  }

  /** Stops the worker. */
  close(): Promise<void> {
    return this.host.close();
  }
}

/** True when the source uses ES module syntax (then it runs as a module; imports fail). */
function isModule(code: string): boolean {
  return /^\s*(?:import\s*[\w{*"']|export\s)/m.test(code);
}

type Transpile = (code: string) => string;
let transpiler: Promise<Transpile | null> | null = null;

/** A type stripper: esbuild when installed, else the TypeScript compiler. */
async function loadTranspiler(): Promise<Transpile | null> {
  const load = (name: string): Promise<Record<string, unknown>> => import(/* @vite-ignore */ name);
  try {
    const esbuild = (await load("esbuild")) as { transformSync?: (c: string, o: object) => { code: string } };
    if (typeof esbuild.transformSync === "function") {
      const t = esbuild.transformSync;
      return (code) => t(code, { loader: "ts", format: "esm", target: "es2020" }).code;
    }
  } catch {
    // fall through to typescript
  }
  try {
    const mod = (await load("typescript")) as { default?: unknown };
    const ts = (mod.default ?? mod) as {
      transpileModule: (
        c: string,
        o: object,
      ) => { outputText: string; diagnostics?: Array<{ messageText: unknown }> };
      ScriptTarget: Record<string, number>;
      ModuleKind: Record<string, number>;
    };
    return (code) =>
      ts.transpileModule(code, {
        compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.ESNext },
        reportDiagnostics: true,
      }).outputText;
  } catch {
    return null;
  }
}

/**
 * Strips TypeScript types (no type checking), with esbuild when installed or else the
 * TypeScript compiler. Syntax errors come back as `{ ok: false, error }`.
 *
 * @throws SynthforgeError `SANDBOX_UNAVAILABLE` when neither esbuild nor typescript is installed.
 */
export async function stripTypes(
  code: string,
): Promise<{ ok: true; code: string } | { ok: false; error: string }> {
  transpiler ??= loadTranspiler();
  const t = await transpiler;
  if (!t) {
    throw new SynthforgeError(
      "SANDBOX_UNAVAILABLE",
      "Running TypeScript needs esbuild or typescript installed (npm install esbuild).",
    );
  }
  try {
    return { ok: true, code: t(code) };
  } catch (e) {
    const msg =
      e instanceof Error
        ? e.message.replace(/^Transform failed with \d+ errors?:\s*/, "").split("\n")[0]!
        : String(e);
    return { ok: false, error: msg };
  }
}

/**
 * Runs JavaScript (or, with `language: "typescript"`, TypeScript) in the shared QuickJS
 * sandbox. Same result shape as {@link runPython}: nothing the program does throws.
 *
 * @example
 * await runJavaScript("console.log([1,2,3].map(x => x * 2))");
 * // { ok: true, stdout: "[ 2, 4, 6 ]\n", ... }
 */
export function runJavaScript(code: string, opts?: JavaScriptRunOptions): Promise<SandboxResult> {
  shared ??= new JavaScriptSandbox();
  return shared.run(code, opts);
}

/** Runs TypeScript in the shared sandbox (types stripped, not checked). */
export function runTypeScript(code: string, opts?: SandboxOptions): Promise<SandboxResult> {
  return runJavaScript(code, { ...opts, language: "typescript" });
}

/** Stops the shared JavaScript worker. */
export async function closeJavaScriptSandbox(): Promise<void> {
  const s = shared;
  shared = null;
  if (s) await s.close();
}
