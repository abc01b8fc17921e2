import { dirname } from "node:path";
import {
  packageFolder,
  resolvePackageFile,
  SandboxHost,
  type SandboxOptions,
  type SandboxResult,
} from "./sandbox-host.js";

export type { SandboxOptions, SandboxResult, SandboxVerdict } from "./sandbox-host.js";

/**
 * Python in Pyodide (CPython compiled to WebAssembly, loaded offline from the `pyodide`
 * npm package), in a pool of child processes (see `sandbox-host.ts` for the process
 * boundary and the limits, `sandbox-child.ts` for the JavaScript lockdown).
 *
 * Inside the child, before any program runs:
 * - Python sees only Pyodide's in-memory file system (no host mounts); the `js` module is
 *   an empty frozen object and `pyodide_js` (the Pyodide API) is unregistered; package
 *   loading and host mounts are refused.
 * - An audit hook refuses new audit hooks, `ctypes` (raw memory) and `gc`'s object-graph
 *   walks (`get_objects`, `get_referrers`, `get_referents`).
 * - `os.system` and sockets reach Node's refused modules and come back as "blocked by the
 *   sandbox: ...".
 *
 * Between programs the interpreter is reset and the reset is verified: each program runs
 * in a fresh `__main__` namespace; afterwards `sys.modules`, every preloaded module's
 * namespace, the classes those define, their module-level lists, dicts and sets, the
 * builtins, `sys` hooks and limits, `os.environ`, the working folder, `decimal`'s
 * contexts and `random`'s state are put back as they were at start-up, `/tmp` and the home
 * folder are emptied, and the regex and line caches are cleared. Then everything is
 * compared again; if anything still differs, or the program changed what a reset cannot
 * see into (an ABC registration, the codec registry, `sys.monitoring`, files outside `/tmp`
 * and home, JavaScript callbacks left scheduled), the child is replaced before the next
 * program.
 */

const PRELOAD =
  "import json, math, re, collections, itertools, functools, fractions, decimal, statistics, string, random, heapq, bisect, typing, dataclasses, datetime, unittest, traceback, codecs, warnings, linecache, abc, locale";

/**
 * The reset machinery, run once per child in its own namespace. Names bound as default
 * arguments are the originals, so a program that replaces builtins cannot change what
 * the reset does.
 */
const PRELUDE = String.raw`
import sys, builtins, os, gc, abc, codecs, _codecs, decimal, random, locale
for _m in ('pyodide_js', 'pyodide_js._api'):
    sys.modules.pop(_m, None)
try:
    import pyodide._package_loader as _pl
    _pl.loadedPackages = {}
except Exception:
    pass

_retire = []
_preloaded = set()

_BLOCK_EVENTS = {
    'sys.addaudithook': 'adding an audit hook',
    'gc.get_objects': 'interpreter introspection (gc.get_objects)',
    'gc.get_referrers': 'interpreter introspection (gc.get_referrers)',
    'gc.get_referents': 'interpreter introspection (gc.get_referents)',
}
_blocked = []

def _audit(event, args, _blocked=_blocked, _block=_BLOCK_EVENTS, _startswith=str.startswith, _RuntimeError=RuntimeError,
           _retire=_retire, _preloaded=_preloaded):
    if event == 'import' and args and args[0] in _preloaded:
        # A second copy of a preloaded module: its state is not the one the reset restores.
        _retire.append('a preloaded module imported again (' + str(args[0]) + ')')
        return
    why = _block.get(event)
    if why is None and _startswith(event, 'ctypes.'):
        why = 'raw memory access (ctypes)'
    if why is not None:
        _blocked.append(why)
        raise _RuntimeError('sandbox: ' + why + ' is blocked')

sys.addaudithook(_audit)

# Caches that are emptied after each program rather than compared.
_CACHES = {('re', '_cache'), ('re', '_cache2'), ('linecache', 'cache'), ('sys', 'path_importer_cache'),
           ('encodings', '_cache')}
_bdict = builtins.__dict__
_bsaved = list(_bdict.items())

def _no_codec(*args, _blocked=_blocked, _RuntimeError=RuntimeError):
    _blocked.append('registering a codec')
    raise _RuntimeError('sandbox: registering a codec is blocked')
codecs.register = _no_codec
_codecs.register = _no_codec

def _items(c, _type=type, _dict=dict, _list=list):
    """What a container holds, in its own order, for identity comparison (no hashing: no code of the program's runs)."""
    return _list(c.items()) if _type(c) is _dict or _type(c).__name__ == 'mappingproxy' else _list(c)

_mods = sys.modules.copy()
_mods_items = _items(_mods)
_dicts = []
_types = []
_containers = []
_clear = []
_seen = set()
for _name, _mod in _mods_items:
    _d = getattr(_mod, '__dict__', None)
    if type(_d) is not dict or id(_d) in _seen:
        continue
    _seen.add(id(_d))
    _dicts.append((_mod, _d, _items(_d)))
for _mod, _d, _saved in _dicts:
    _name = getattr(_mod, '__name__', '')
    for _k, _v in _saved:
        if id(_v) in _seen:
            continue
        if isinstance(_v, type):
            _seen.add(id(_v))
            _types.append((_v, _items(_v.__dict__)))
        elif type(_v) in (list, dict, set):
            _seen.add(id(_v))
            if (_name, _k) in _CACHES:
                _clear.append(_v)
            else:
                _containers.append((_v, _items(_v)))
del _name, _mod, _d, _saved, _k, _v

_preloaded.update(n for n, m in _mods_items)
_limit = sys.getrecursionlimit()
_digits = sys.get_int_max_str_digits()
_switch = sys.getswitchinterval()
_asyncgen = sys.get_asyncgen_hooks()
_env = dict(os.environ)
_cwd = os.getcwd()
_umask = os.umask(0o022); os.umask(_umask)
_gc_threshold = gc.get_threshold()
import _abc
def _abc_registries():
    out = []
    for cls, _ in _types:
        if isinstance(cls, abc.ABCMeta):
            try:
                reg = _abc._get_dump(cls)[0]
            except Exception:
                continue
            out.append((cls, [r() for r in reg]))
    return out
_abc_saved = _abc_registries()
_abc_token = [abc.get_cache_token()]
# One seed for every child, so every program gets the same stream whichever child runs it
# (random seeds itself from the OS on import: children started apart would differ).
random.seed(0)
_random_state = random.getstate()
_decimal_context = decimal.getcontext().copy()
_DEC_FIELDS = ('prec', 'rounding', 'Emin', 'Emax', 'capitals', 'clamp')
def _dec_state(c):
    return tuple(getattr(c, f) for f in _DEC_FIELDS) + (tuple(sorted((k.__name__, v) for k, v in c.traps.items())), tuple(sorted((k.__name__, v) for k, v in c.flags.items())))
_decimal_templates = [(c, _dec_state(c), c.copy()) for c in (decimal.DefaultContext, decimal.BasicContext, decimal.ExtendedContext)]
_locale = locale.setlocale(locale.LC_ALL)
_monitoring = getattr(sys, 'monitoring', None)

def _rm(d, _listdir=os.listdir, _isdir=os.path.isdir, _islink=os.path.islink, _rmdir=os.rmdir, _unlink=os.unlink):
    try:
        names = _listdir(d)
    except OSError:
        return
    for n in names:
        p = d + '/' + n
        try:
            if _isdir(p) and not _islink(p):
                _rm(p)
                _rmdir(p)
            else:
                _unlink(p)
        except OSError:
            pass

def flush():
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except Exception:
            pass

def blocked():
    out = list(_blocked)
    _blocked.clear()
    return out

def _same(cur, saved, _len=len, _type=type, _dict=dict, _list=list, _range=range):
    """True when a container holds the same objects in the same order (compared by identity)."""
    if _len(cur) != _len(saved):
        return False
    if _type(cur) is _list:
        for i in _range(_len(saved)):
            if cur[i] is not saved[i]:
                return False
        return True
    pairs = _type(cur) is _dict or _type(cur).__name__ == 'mappingproxy'
    i = 0
    for x in (cur.items() if pairs else cur):
        y = saved[i]
        if pairs:
            if x[0] is not y[0] or x[1] is not y[1]:
                return False
        elif x is not y:
            return False
        i += 1
    return True

def _restore(_sys=sys, _os=os, _gc=gc, _type_setattr=type.__setattr__, _type_delattr=type.__delattr__,
             _list=list, _set=set, _type=type, _str=str, _len=len):
    """Puts back what a program may have changed; returns what could not be put back."""
    problems = []
    _bdict.clear(); _bdict.update(_bsaved)
    for mod, d, saved in _dicts:
        if not _same(d, saved):
            d.clear(); d.update(saved)
    mods = _sys.modules
    if not _same(mods, _mods_items):
        mods.clear(); mods.update(_mods_items)
    for cls, saved in _types:
        cur = cls.__dict__
        if _same(cur, saved):
            continue
        try:
            keep = _set(k for k, v in saved)
            for k in _list(cur):
                if _type(k) is not _str or k not in keep:
                    _type_delattr(cls, k)
            for k, v in saved:
                if cur.get(k, _restore) is not v:
                    _type_setattr(cls, k, v)
        except Exception:
            problems.append('class ' + getattr(cls, '__qualname__', '?'))
    for c, saved in _containers:
        if not _same(c, saved):
            if type(c) is _list:
                c[:] = saved
            else:
                c.clear(); c.update(saved)
    for c in _clear:
        c.clear()
    if _sys.gettrace() is not None: _sys.settrace(None)
    if _sys.getprofile() is not None: _sys.setprofile(None)
    _sys.setrecursionlimit(_limit)
    _sys.set_int_max_str_digits(_digits)
    _sys.setswitchinterval(_switch)
    _sys.set_asyncgen_hooks(*_asyncgen)
    _sys.stdout, _sys.stderr, _sys.stdin = _sys.__stdout__, _sys.__stderr__, _sys.__stdin__
    _os.umask(_umask)
    if dict(_os.environ) != _env:
        _os.environ.clear(); _os.environ.update(_env)

    try: _os.chdir(_cwd)
    except OSError: problems.append('working folder')
    for d in ('/tmp', '/home/pyodide'): _rm(d)
    _gc.enable(); _gc.set_threshold(*_gc_threshold)
    random.setstate(_random_state)
    for ctx, state, copy in _decimal_templates:
        if _dec_state(ctx) != state:
            for f in _DEC_FIELDS: setattr(ctx, f, getattr(copy, f))
            for k, v in copy.traps.items(): ctx.traps[k] = v
            for k, v in copy.flags.items(): ctx.flags[k] = v
    decimal.setcontext(_decimal_context.copy())
    if abc.get_cache_token() != _abc_token[0]:
        # A class was registered with an ABC (imports do this): put every registry back.
        for cls, subs in _abc_saved:
            now = [r() for r in _abc._get_dump(cls)[0]]
            if _len(now) == _len(subs) and all(a in subs for a in now):
                continue
            _abc._reset_registry(cls)
            _abc._reset_caches(cls)
            for sub in subs:
                if sub is not None:
                    cls.register(sub)
        _abc_token[0] = abc.get_cache_token()
    if locale.setlocale(locale.LC_ALL) != _locale:
        try: locale.setlocale(locale.LC_ALL, _locale)
        except Exception: problems.append('locale')
    return problems

def _verify(_sys=sys):
    """What still differs from start-up after the reset (anything here retires the child)."""
    problems = []
    if not _same(_sys.modules, _mods_items):
        problems.append('sys.modules')
    for mod, d, saved in _dicts:
        if not _same(d, saved):
            problems.append('module ' + str(getattr(mod, '__name__', '?')))
    for cls, saved in _types:
        if not _same(cls.__dict__, saved):
            problems.append('class ' + str(getattr(cls, '__qualname__', '?')))
    for c, saved in _containers:
        if not _same(c, saved):
            problems.append('a module-level ' + type(c).__name__)
    if abc.get_cache_token() != _abc_token[0]:
        problems.append('an ABC registration')
    if _monitoring is not None:
        for i in range(6):
            if _monitoring.get_tool(i) is not None:
                problems.append('sys.monitoring')
                break
    if _sys.gettrace() is not None or _sys.getprofile() is not None:
        problems.append('a trace or profile hook')
    return problems

def reset(_gc=gc):
    problems = _restore()
    _gc.collect()
    problems = problems + _verify() + _retire
    _retire.clear()
    return problems
`;

const CHILD_SOURCE = String.raw`
// ---- Python (Pyodide) ----
const PRELOAD = ${JSON.stringify(PRELOAD)};
const PRELUDE = ${JSON.stringify(PRELUDE)};
const state = { blocked: [], retire: [] };
const note = (what) => { state.blocked.push(what); };
let py = null;
let api = null;
let out = null;
let busy = false;

// Modules the interpreter itself loads while it runs (all already loaded at start-up).
const ALLOWED_MODULES = ["fs", "path", "url", "crypto", "util", "os", "tty", "buffer", "events", "stream", "fs/promises", "child_process"];

function summarise(message) {
  const lines = String(message).trim().split("\n").filter((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^(?:[\w.]+\.)?[A-Z]\w*(?:Error|Exception|Interrupt|Exit|Warning)(?::|$)/.test(lines[i].trim())) {
      const text = lines.slice(i).map((l) => l.trim()).join(" ");
      return text.length > 300 ? text.slice(0, 297) + "..." : text;
    }
  }
  return lines.length ? lines[lines.length - 1].trim() : "error";
}

function cleanTraceback(message) {
  const kept = [];
  const lines = String(message).split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (/^\s*File "\/lib\/python[^"]*\/_pyodide\//.test(l)) {
      while (i + 1 < lines.length && /^\s{4,}/.test(lines[i + 1]) && !/^\s*File /.test(lines[i + 1])) i++;
      continue;
    }
    kept.push(l);
  }
  return kept.join("\n").trim();
}

/** Every file outside /tmp and the home folder, with its size and time (to see changes). */
function fsFingerprint() {
  const FS = py.FS;
  const parts = [];
  const walk = (dir) => {
    let names;
    try { names = FS.readdir(dir); } catch (e) { return; }
    for (const n of names.sort()) {
      if (n === "." || n === "..") continue;
      const p = (dir === "/" ? "" : dir) + "/" + n;
      if (p === "/dev" || p === "/proc" || p === "/tmp" || p === "/home") continue;
      let st;
      try { st = FS.lstat(p); } catch (e) { continue; }
      parts.push(p + ":" + st.mode + ":" + st.size + ":" + Number(st.mtime));
      if (FS.isDir(st.mode)) walk(p);
    }
  };
  walk("/");
  return parts.join("\n");
}
let fsAtStart = "";

function textOut() {
  return { stdout: out ? out.stdout.join("") : "", stderr: out ? out.stderr.join("") : "" };
}
programOutput = textOut;

async function start(config, makeSnapshot, snapshot) {
  // Emscripten's NODEFS reads fs constants through process.binding, which the permission
  // model refuses; give it those and nothing else.
  const os = require("node:os");
  process.binding = (name) => {
    if (name === "constants") return { fs: fs.constants, os: os.constants };
    throw new Error("sandbox: process.binding is blocked");
  };
  const { loadPyodide } = await import(pathToFileURL(config.pyodideMjs).href);
  const jsglobals = Object.create(null);
  const options = { indexURL: config.indexDir, jsglobals, env: { HOME: "/home/pyodide" }, stdout: () => {}, stderr: () => {} };
  if (snapshot) options._loadSnapshot = new Uint8Array(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength);
  else if (makeSnapshot) options._makeSnapshot = true;
  py = await loadPyodide(options);
  py.runPython(PRELOAD);
  const made = makeSnapshot && !snapshot ? py.makeMemorySnapshot() : null;

  // The Pyodide API: no mounts of host folders, no package loading.
  const refuse = (what) => function () { note(what); throw new Error("sandbox: " + what + " is blocked"); };
  py.mountNodeFS = refuse("mountNodeFS (host file system)");
  py.mountNativeFS = refuse("mountNativeFS (host file system)");
  py.loadPackage = refuse("loadPackage (network)");
  py.loadPackagesFromImports = refuse("loadPackagesFromImports (network)");
  const FS = py.FS;
  const MEMFS = FS.filesystems && FS.filesystems.MEMFS;
  const realMount = FS.mount.bind(FS);
  FS.mount = function (type, opts, point) {
    if (type !== MEMFS) { note("FS.mount (host file system)"); throw new Error("sandbox: mounting host file systems is blocked"); }
    return realMount(type, opts, point);
  };
  py.unregisterJsModule("pyodide_js");
  // Pyodide's fatal-error report (its own stack dump) is not the program's output.
  const fatalError = py._api.fatal_error;
  py._api.fatal_error = function (e) {
    if (out) out.discard = true;
    return fatalError.apply(this, arguments);
  };
  Object.freeze(jsglobals);

  const sf = py.toPy({});
  py.runPython(PRELUDE, { globals: sf });
  api = { reset: sf.get("reset"), flush: sf.get("flush"), blocked: sf.get("blocked") };
  py.setStdin({ stdin: () => null });
  const decoder = new TextDecoder();
  const writer = (which) => ({
    isatty: false,
    write(buf) {
      if (!out || out.discard) return buf.length;
      const room = out.max - out.bytes;
      const chunk = buf.length > room ? buf.subarray(0, Math.max(0, room)) : buf;
      if (chunk.length) { out[which].push(decoder.decode(chunk)); out.bytes += chunk.length; }
      if (buf.length > room) {
        // Truncate and stop: the host replaces this child.
        send({ type: "limit", id: out.id, kind: "output", ...textOut() });
        exitNow(1);
      }
      return buf.length;
    },
  });
  py.setStdout(writer("stdout"));
  py.setStderr(writer("stderr"));
  fsAtStart = fsFingerprint();
  lockdownChild(note, ALLOWED_MODULES);
  send({ type: "ready" }, made);
}

function pythonBlocked() {
  const list = api.blocked();
  const items = list.toJs();
  list.destroy();
  return items;
}

async function runProgram(msg) {
  busy = true;
  out = { id: msg.id, stdout: [], stderr: [], bytes: 0, max: msg.maxOutputBytes, discard: false };
  state.blocked = [];
  memState.hit = false;
  const baseline = memState.memory ? memState.memory.buffer.byteLength : py._module.HEAPU8.byteLength;
  memState.limitBytes = baseline + msg.memoryBytes;
  let error = null;
  let fatal = null;
  let exitStatus = null;
  const ns = py.toPy({ __name__: "__main__" });
  try {
    py.runPython(msg.code, { globals: ns, filename: "<program>" });
  } catch (e) {
    const text = String((e && e.message) || e);
    const exited = /Program terminated with exit\((-?\d+)\)/.exec(text);
    if (exited || (e && e.name === "ExitStatus")) {
      exitStatus = exited ? Number(exited[1]) : Number(e.status) || 0;
      state.retire.push("the interpreter exited");
    } else if (e && (e.pyodide_fatal_error || /fatally failed|already exited/.test(text))) {
      fatal = "aborted (" + (/Maximum call stack|stack overflow|recursion/i.test(text) || memState.hit ? "recursion too deep or out of memory" : "fatal error") + "): " + summarise(text);
    } else {
      const last = summarise(text);
      const sysExit = /^SystemExit(?:: (.*))?$/.exec(last);
      if (sysExit) {
        const arg = sysExit[1];
        if (arg === undefined || arg === "0" || arg === "None") exitStatus = 0;
        else if (/^-?\d+$/.test(arg)) exitStatus = Number(arg);
        else { exitStatus = 1; out.stderr.push(arg + "\n"); }
      } else {
        if (/Code generation from strings disallowed|Function\.prototype\.constructor is not a valid constructor|not a valid constructor/.test(text)) note("eval / new Function (JavaScript from Python)");
        error = last;
        const tb = cleanTraceback(text);
        if (tb) out.stderr.push((out.stderr.length ? "\n" : "") + tb + "\n");
      }
    }
  }
  memState.limitBytes = 0;
  let retire = state.retire.splice(0);
  let blocked = state.blocked.slice();
  if (!fatal && !retire.length) {
    try { ns.destroy(); } catch (e) {}
    try { api.flush(); } catch (e) {}
    out.discard = true; // whatever is still buffered belongs to no one
    try {
      blocked = blocked.concat(pythonBlocked());
      // Let callbacks the program left for the event loop run now, then reset.
      await new Promise((r) => setImmediate(r));
      const problems = api.reset();
      retire = retire.concat(problems.toJs());
      problems.destroy();
      blocked = blocked.concat(pythonBlocked());
    } catch (e) {
      retire.push("the reset failed: " + summarise(String((e && e.message) || e)));
    }
    if (leftoverCallbacks() > 0) retire.push("JavaScript callbacks left scheduled");
    if (fsFingerprint() !== fsAtStart) retire.push("files changed outside /tmp and the home folder");
  }
  const result = {
    type: "result",
    id: msg.id,
    ...textOut(),
    error,
    blocked,
    memoryLimitHit: memState.hit || /^MemoryError/.test(error || ""),
    outputLimitHit: false,
    exitStatus,
    fatal,
    retire,
  };
  out = null;
  busy = false;
  send(result);
  if (fatal || retire.length) exitNow(0);
}

onFrame = (msg, binary) => {
  if (!msg || typeof msg !== "object") return;
  if (msg.type === "init") {
    start(msg.config, !!msg.makeSnapshot, binary).catch((e) =>
      send({ type: "startup-error", message: String((e && e.stack) || e).split("\n").slice(0, 6).join(" / ") }));
  } else if (msg.type === "run" && py && !busy) {
    runProgram(msg).catch((e) => {
      send({ type: "result", id: msg.id, ...textOut(), error: null, blocked: [], memoryLimitHit: false, outputLimitHit: false, exitStatus: null, fatal: "the sandbox failed: " + String((e && e.message) || e), retire: ["sandbox failure"] });
      exitNow(1);
    });
  }
};
`;

let shared: PythonSandbox | null = null;

/** Options of a {@link PythonSandbox}. */
export interface PythonSandboxOptions {
  /** How long a child may take to load Pyodide, wall-clock. Default 120000. */
  startupTimeoutMs?: number;
  /** Warm children (programs run on any free one; a killed one is replaced). Default 2. */
  children?: number;
}

/**
 * A pool of warm Pyodide child processes. Programs queue and run on the first free child;
 * a program that is killed (time, memory, output) or that leaves state the reset cannot
 * undo costs its child, which is replaced from a memory snapshot (about 1 s of CPU) while
 * the other children take the next programs. Most callers use {@link runPython}, which
 * shares one pool per process.
 */
export class PythonSandbox {
  private readonly host: SandboxHost;

  constructor(options: PythonSandboxOptions = {}) {
    const pyodideMjs = resolvePackageFile("pyodide/pyodide.mjs");
    const pyodide = packageFolder("pyodide");
    this.host = new SandboxHost({
      name: "Python",
      source: CHILD_SOURCE,
      readPaths: [`${pyodide}/*`, `${packageFolder("ses")}/*`],
      init: { pyodideMjs, indexDir: `${dirname(pyodideMjs)}/` },
      startupTimeoutMs: options.startupTimeoutMs ?? 120_000,
      heapMb: 256,
      children: options.children ?? 2,
      snapshot: true,
    });
  }

  /** Starts the children now rather than on the first program; resolves when one is ready. */
  warm(): Promise<void> {
    return this.host.warm();
  }

  /** Runs one Python program (see {@link runPython}). */
  run(code: string, opts?: SandboxOptions): Promise<SandboxResult> {
    return this.host.run({ code }, opts);
  }

  /** Child processes started so far. */
  get childStarts(): number {
    return this.host.starts;
  }

  /** Stops the children. */
  close(): Promise<void> {
    return this.host.close();
  }
}

/**
 * Runs a Python program in the shared sandbox (Pyodide in a child process; see the module
 * notes for what is contained and how). Never throws for anything the program does:
 * errors, limits and blocked actions come back in the result's `verdict` and `error`.
 *
 * @example
 * const r = await runPython("print(sum(range(10)))");
 * // { ok: true, verdict: "ok", stdout: "45\n", stderr: "", error: null, timedOut: false, exitStatus: null }
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

/** Stops the shared Python children (a later {@link runPython} starts new ones). */
export async function closePythonSandbox(): Promise<void> {
  const s = shared;
  shared = null;
  if (s) await s.close();
}
