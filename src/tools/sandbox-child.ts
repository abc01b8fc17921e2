/**
 * The part of every sandbox child process that does not depend on the interpreter: the
 * frame protocol with the host, the memory cap on WebAssembly, and the lockdown that
 * runs after the interpreter has loaded and before any untrusted code does.
 *
 * It is JavaScript source (CommonJS), started with `node -e`, so that it runs the same
 * from the ESM and CJS builds and from the TypeScript sources under tsx. The child is
 * started with an empty environment, Node's permission model (reads only of the runtime's
 * own package folders, no writes, no child processes, no workers, no addons), no code
 * generation from strings (`eval`, `new Function`), and a capped heap. Inside, this code:
 *
 * - talks to the host over two pipes only: frames in on stdin, frames out on fd 3
 *   (written synchronously, so a result is never lost to a kill that follows it);
 * - caps WebAssembly memory growth (`memoryBytes` above the interpreter's baseline);
 * - `lockdownChild(note, modules)` replaces every network entry point of Node's built-in modules, lets
 *   no module load that the interpreter did not load already, removes the `process`
 *   members that reach outside the process (`report`, `loadEnvFile`, `kill`, `_kill`,
 *   `binding`, `dlopen`, `getBuiltinModule`, `mainModule`, `stdin`...) and the web
 *   globals (`fetch`, `WebSocket`...), and freezes the JavaScript intrinsics and their
 *   prototypes, so no getter can be planted on a prototype that host code reads;
 * - `exitNow(code)` ends the child from a reference taken before the lockdown.
 *
 * The interpreter-specific source (Python, QuickJS) is appended and calls `onFrame`,
 * `send`, `lockdownChild` and `exitNow`.
 */
export const CHILD_RUNTIME = String.raw`
"use strict";
const fs = require("node:fs");
const nodeModule = require("node:module");
const { pathToFileURL } = require("node:url");
const realExit = process.reallyExit.bind(process);
const activeResources = process.getActiveResourcesInfo.bind(process);
const memoryUsage = process.memoryUsage.bind(process);
const stdin = process.stdin;
// SES (loaded now, used by lockdownChild once the interpreter has loaded).
require(process.argv[1]);
const sesLockdown = globalThis.lockdown;
const OUT_FD = 3;
const pause = new Int32Array(new SharedArrayBuffer(4));

function writeAll(buf) {
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(OUT_FD, buf, off, buf.length - off);
    } catch (e) {
      if (e && e.code === "EAGAIN") { Atomics.wait(pause, 0, 0, 2); continue; }
      throw e;
    }
  }
}

/** One frame to the host: 8 bytes (header length, binary length), a JSON header, the binary. */
function send(header, binary) {
  const h = Buffer.from(JSON.stringify(header), "utf8");
  const pre = Buffer.alloc(8);
  pre.writeUInt32BE(h.length, 0);
  pre.writeUInt32BE(binary ? binary.length : 0, 4);
  writeAll(Buffer.concat([pre, h]));
  if (binary && binary.length) writeAll(Buffer.from(binary.buffer, binary.byteOffset, binary.byteLength));
}

function exitNow(code) {
  try { realExit(code); } catch (e) {}
}

/** What the running program has printed so far (set by the interpreter's part). */
let programOutput = () => ({ stdout: "", stderr: "" });

// Frames from the host, in the same shape.
let onFrame = () => {};
const chunks = [];
let buffered = 0;
let pending = null;
function take(n) {
  const parts = [];
  let left = n;
  while (left > 0) {
    const c = chunks[0];
    if (c.length <= left) { parts.push(c); chunks.shift(); left -= c.length; }
    else { parts.push(c.subarray(0, left)); chunks[0] = c.subarray(left); left = 0; }
  }
  buffered -= n;
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, n);
}
function drain() {
  for (;;) {
    if (!pending) {
      if (buffered < 8) return;
      const pre = take(8);
      pending = { header: pre.readUInt32BE(0), binary: pre.readUInt32BE(4) };
    }
    if (buffered < pending.header + pending.binary) return;
    const header = JSON.parse(take(pending.header).toString("utf8"));
    const binary = pending.binary ? take(pending.binary) : null;
    pending = null;
    onFrame(header, binary);
  }
}
stdin.on("data", (c) => { chunks.push(c); buffered += c.length; drain(); });
// The host is gone (or closed the pipe): nothing more will come.
stdin.on("end", () => exitNow(0));
stdin.on("error", () => exitNow(0));

// WebAssembly memory growth is capped while a program runs.
const memState = { limitBytes: 0, hit: false, memory: null };
const realGrow = WebAssembly.Memory.prototype.grow;
WebAssembly.Memory.prototype.grow = function (delta) {
  memState.memory = this;
  if (memState.limitBytes > 0 && this.buffer.byteLength + delta * 65536 > memState.limitBytes) {
    memState.hit = true;
    throw new RangeError("sandbox memory limit reached");
  }
  return realGrow.call(this, delta);
};

/** Timers, immediates and ports left behind by a program (the child itself keeps none). */
function leftoverCallbacks() {
  return activeResources().filter((r) => r === "Timeout" || r === "Immediate" || r === "MessagePort").length;
}

const NETWORK_MODULES = new Set(["ws", "net", "tls", "http", "https", "http2", "dgram", "dns", "undici"]);

function lockdownChild(note, allowModules) {
  const failedNet = (what) => function () {
    note(what);
    throw Object.assign(new Error("sandbox: network access is blocked"), { code: "ECONNREFUSED" });
  };
  const blockProto = (C, methods, what) => {
    if (!C || !C.prototype) return;
    for (const m of methods) {
      try { Object.defineProperty(C.prototype, m, { value: failedNet(what + "." + m), writable: false, configurable: false }); } catch (e) {}
    }
  };
  const net = require("node:net");
  const tls = require("node:tls");
  const dgram = require("node:dgram");
  const dns = require("node:dns");
  const http = require("node:http");
  const https = require("node:https");
  const http2 = require("node:http2");
  const inspector = require("node:inspector");
  const replaceAll = (name, mod, skipClasses) => {
    for (const k of Object.keys(mod)) {
      if (typeof mod[k] !== "function") continue;
      if (skipClasses && /^[A-Z]/.test(k)) continue;
      try { mod[k] = failedNet(name + "." + k); } catch (e) {}
    }
  };
  // Sockets: every TCP, TLS, UDP and DNS entry point, functions and class methods.
  blockProto(net.Socket, ["connect"], "net.Socket");
  blockProto(net.Server, ["listen"], "net.Server");
  blockProto(dgram.Socket, ["bind", "connect", "send", "sendto"], "dgram.Socket");
  blockProto(dns.Resolver, ["resolve", "resolve4", "resolve6", "resolveAny", "resolveTxt", "resolveMx", "resolveNs", "resolveCname", "resolveSrv", "resolvePtr", "resolveNaptr", "resolveSoa", "resolveCaa", "reverse"], "dns.Resolver");
  if (dns.promises) blockProto(dns.promises.Resolver, ["resolve", "resolve4", "resolve6", "resolveAny", "resolveTxt", "reverse"], "dns.Resolver");
  replaceAll("net", net, true);
  replaceAll("tls", tls, true);
  replaceAll("dgram", dgram, true);
  replaceAll("dns", dns, true);
  if (dns.promises) replaceAll("dns", dns.promises, true);
  replaceAll("http", http, true);
  replaceAll("https", https, true);
  replaceAll("http2", http2, true);
  for (const C of [http.ClientRequest, http.Agent, https.Agent]) blockProto(C, ["createConnection"], "http");
  replaceAll("inspector", inspector, false);
  // ES module namespaces of the built-ins follow the CommonJS exports only when told to.
  try { nodeModule.syncBuiltinESMExports(); } catch (e) {}

  // Host processes: the permission model refuses them; Emscripten's os.system expects a
  // result from spawnSync, so it gets a failed command (and the attempt is reported).
  const childProcess = require("node:child_process");
  const spawnFail = (what) => function () {
    note(what);
    const error = new Error("sandbox: starting host processes is blocked");
    return { pid: 0, status: 127, signal: null, output: [null, "", ""], stdout: "", stderr: "", error };
  };
  for (const k of Object.keys(childProcess)) {
    if (typeof childProcess[k] !== "function") continue;
    try { childProcess[k] = /Sync$/.test(k) ? spawnFail("child_process." + k) : failedNet("child_process." + k); } catch (e) {}
  }
  try { nodeModule.syncBuiltinESMExports(); } catch (e) {}

  // No module loads after this point unless the interpreter loaded it already.
  const realLoad = nodeModule._load;
  const allowed = new Set(allowModules || []);
  nodeModule._load = function (request) {
    const name = String(request).replace(/^node:/, "");
    if (allowed.has(name)) return realLoad.apply(this, arguments);
    note(NETWORK_MODULES.has(name) ? name + " (network)" : "require(" + String(request) + ")");
    throw new Error("sandbox: loading modules is blocked");
  };
  try { Object.defineProperty(nodeModule, "_load", { writable: false, configurable: false }); } catch (e) {}

  // The members of process that reach outside the process, gone for good.
  const exitHook = (code) => {
    send({ type: "exit", status: Number(code) || 0, ...programOutput() });
    exitNow(Number(code) || 0);
  };
  for (const k of ["binding", "_linkedBinding", "dlopen", "getBuiltinModule", "kill", "_kill", "report",
    "loadEnvFile", "abort", "chdir", "umask", "setuid", "setgid", "seteuid", "setegid", "setgroups",
    "initgroups", "_debugProcess", "_debugEnd", "_startProfilerIdleNotifier", "_stopProfilerIdleNotifier",
    "mainModule", "openStdin", "stdin", "send", "disconnect", "channel", "_channel", "execve",
    "setUncaughtExceptionCaptureCallback", "setSourceMapsEnabled", "_getActiveHandles", "_getActiveRequests",
    "getActiveResourcesInfo", "_rawDebug", "dlopen", "moduleLoadList", "permission", "env"]) {
    try { Object.defineProperty(process, k, { value: k === "env" ? Object.freeze({}) : undefined, writable: false, configurable: false, enumerable: false }); } catch (e) {}
  }
  for (const k of ["exit", "reallyExit"]) {
    try { Object.defineProperty(process, k, { value: exitHook, writable: false, configurable: false }); } catch (e) {}
  }
  for (const g of ["fetch", "WebSocket", "EventSource", "XMLHttpRequest", "Request", "Response", "Headers",
    "FormData", "navigator", "require", "module", "exports", "__filename", "__dirname", "Worker", "SharedWorker"]) {
    try { Object.defineProperty(globalThis, g, { value: undefined, writable: false, configurable: false }); } catch (e) {
      try { delete globalThis[g]; } catch (e2) {}
    }
  }

  // Code from strings is off for the whole process (--disallow-code-generation-from-strings).
  // SES freezes the JavaScript intrinsics and their prototypes (with the usual
  // override taming) and makes the Function constructors inert; the host prototypes in
  // process's chain are frozen too, so no getter can be planted where host code reads.
  sesLockdown({
    errorTaming: "unsafe", stackFiltering: "verbose", overrideTaming: "moderate", consoleTaming: "unsafe",
    dateTaming: "unsafe", mathTaming: "unsafe", regExpTaming: "unsafe", localeTaming: "unsafe",
    domainTaming: "unsafe", evalTaming: "no-eval", errorTrapping: "none", unhandledRejectionTrapping: "none",
    reporting: "none",
  });
  for (let p = Object.getPrototypeOf(process); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) tameAndFreeze(p);
  for (const g of ["lockdown", "harden", "Compartment", "assert"]) {
    try { Object.defineProperty(globalThis, g, { value: undefined, writable: false, configurable: false }); } catch (e) {}
  }
}

/** Freezes a host prototype; an instance can still set its own value of an inherited data property. */
function tameAndFreeze(proto) {
  for (const k of Reflect.ownKeys(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, k);
    if (!d || !("value" in d) || !d.writable || !d.configurable) continue;
    const value = d.value;
    Object.defineProperty(proto, k, {
      get() { return value; },
      set(v) {
        if (this === proto) throw new TypeError("sandbox: this object is frozen");
        Object.defineProperty(this, k, { value: v, writable: true, enumerable: true, configurable: true });
      },
      enumerable: d.enumerable,
      configurable: false,
    });
  }
  Object.freeze(proto);
}
`;
