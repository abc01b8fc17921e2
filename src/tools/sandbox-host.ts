import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { SynthforgeError } from "../core/errors.js";
import { CHILD_RUNTIME } from "./sandbox-child.js";

/**
 * The host side of a sandbox: a pool of warm child processes, each running one program at
 * a time. Untrusted code never runs in a thread of the host: each child is a separate
 * Node process started with an empty environment, Node's permission model (it may read
 * only the interpreter's own package folders; no writes, child processes, workers,
 * addons or inspector), no code generation from strings and a capped heap, and it talks
 * to the host over two pipes only (see `sandbox-child.ts` for what it locks down inside).
 *
 * The host enforces the limits from outside: CPU time (read from `/proc` on Linux, so a
 * busy machine does not turn into false timeouts; wall-clock time elsewhere) with a
 * wall-clock backstop, resident memory, and output size. A child that hits a limit, that
 * crashes, or whose interpreter a program changed in a way the reset cannot undo is
 * killed and replaced; the other warm children take the next programs meanwhile. Idle
 * children never keep the host process alive, and all are killed when it exits.
 */

/** Limits of one sandboxed program. */
export interface SandboxOptions {
  /**
   * CPU time the program may use, in ms. Default 5000. Measured on the child process
   * (Linux); where that cannot be read, wall-clock time.
   */
  timeoutMs?: number;
  /** Wall-clock time the program may take, in ms. Default: 3 × `timeoutMs` + 10 s. */
  wallTimeoutMs?: number;
  /** Memory the program may allocate beyond the interpreter's own baseline, in MB. Default 128. */
  memoryMb?: number;
  /** Bytes of stdout plus stderr kept; writing more stops the program. Default 65536. */
  maxOutputBytes?: number;
}

/**
 * How a program ended:
 * - `ok`: it ran to the end (or called `sys.exit(0)`);
 * - `error`: it raised an exception (`error` has it);
 * - `exit`: it exited with a non-zero status (`exitStatus`);
 * - `blocked`: it tried something the sandbox refuses (files, network, processes, the host);
 * - `timeout`, `memory`, `output`: it hit a limit and was stopped;
 * - `crash`: the interpreter or its process died.
 */
export type SandboxVerdict = "ok" | "error" | "exit" | "blocked" | "timeout" | "memory" | "output" | "crash";

/** What a sandboxed program did. */
export interface SandboxResult {
  /** True only for the `ok` verdict. */
  ok: boolean;
  /** How the program ended. */
  verdict: SandboxVerdict;
  stdout: string;
  stderr: string;
  /** One line saying what went wrong (the exception, the limit hit, what was blocked), or null. */
  error: string | null;
  /** True when the program was stopped for running past its time limit. */
  timedOut: boolean;
  /** The status the program exited with (`sys.exit(n)`, `os._exit(n)`), or null when it did not exit. */
  exitStatus: number | null;
}

/** Defaults of {@link SandboxOptions}. */
export const SANDBOX_DEFAULTS: Required<Omit<SandboxOptions, "wallTimeoutMs">> = {
  timeoutMs: 5000,
  memoryMb: 128,
  maxOutputBytes: 65536,
};

type Limits = Required<SandboxOptions>;

/** Options of a {@link SandboxHost}. */
export interface SandboxHostOptions {
  /** Short name for messages: "Python", "JavaScript". */
  name: string;
  /** The interpreter's part of the child's source (runs after the shared runtime). */
  source: string;
  /** Folders and files the child may read (the interpreter's packages). */
  readPaths: string[];
  /** Sent to the child in its first frame. */
  init: Record<string, unknown>;
  /** How long a child may take to start, wall-clock. */
  startupTimeoutMs: number;
  /** V8 heap limit of a child, MB. */
  heapMb: number;
  /** Warm children kept once the host is in use. Default 2. */
  children?: number;
  /**
   * The first child sends a snapshot of its loaded interpreter, which later children
   * start from (Pyodide: about 1 s instead of 3–4 s).
   */
  snapshot?: boolean;
}

/** What the child reports for one program. */
const resultFrame = z.object({
  type: z.literal("result"),
  id: z.number(),
  stdout: z.string(),
  stderr: z.string(),
  error: z.string().nullable(),
  blocked: z.array(z.string()),
  memoryLimitHit: z.boolean(),
  outputLimitHit: z.boolean(),
  exitStatus: z.number().nullable(),
  fatal: z.string().nullable(),
  /** The interpreter stopped the program itself at its deadline (QuickJS). */
  interrupted: z.boolean().optional(),
  /** Why this child must not run another program (state a reset could not restore), or empty. */
  retire: z.array(z.string()),
});
type ResultFrame = z.infer<typeof resultFrame>;

const childFrame = z.discriminatedUnion("type", [
  resultFrame,
  z.object({ type: z.literal("ready") }),
  z.object({ type: z.literal("startup-error"), message: z.string() }),
  z.object({
    type: z.literal("limit"),
    id: z.number(),
    kind: z.literal("output"),
    stdout: z.string(),
    stderr: z.string(),
  }),
  z.object({ type: z.literal("exit"), status: z.number(), stdout: z.string(), stderr: z.string() }),
]);
type ChildFrame = z.infer<typeof childFrame>;

/** Largest frame a child may send once it is ready (a result with its output). */
const MAX_FRAME_BYTES = 32 * 1024 * 1024;
/** Largest binary (the interpreter snapshot) a child may send before it is ready. */
const MAX_SNAPSHOT_BYTES = 512 * 1024 * 1024;
/** Resident memory a child may use above its size when it became ready, beyond `memoryMb`. */
const RSS_SLACK_MB = 192;
const POLL_MS = 20;

interface Job {
  payload: Record<string, unknown>;
  limits: Limits;
  resolve: (r: SandboxResult) => void;
  reject: (e: unknown) => void;
}

/** Resolves an installed package's file (works from ESM, CJS and tsx). */
export function resolvePackageFile(specifier: string): string {
  const here = typeof __filename === "string" ? __filename : fileURLToPath(import.meta.url);
  try {
    return createRequire(here).resolve(specifier);
  } catch (e) {
    throw new SynthforgeError(
      "SANDBOX_UNAVAILABLE",
      `The sandbox needs the package file "${specifier}", which is not installed. Reinstall synthforge's dependencies (npm install).`,
      { cause: e },
    );
  }
}

/** The folder of an installed package (for the child's read permission). */
export function packageFolder(name: string): string {
  let dir = dirname(realpathSync(resolvePackageFile(name)));
  for (;;) {
    try {
      if ((JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string }).name === name)
        return dir;
    } catch {
      // no package.json here: look further up
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new SynthforgeError("SANDBOX_UNAVAILABLE", `Could not find the folder of the package "${name}".`);
}

/** Node's flags for a sandbox child. */
function childFlags(readPaths: string[], heapMb: number): string[] {
  const permission = process.allowedNodeEnvironmentFlags.has("--permission")
    ? "--permission"
    : "--experimental-permission";
  return [
    permission,
    ...readPaths.map((p) => `--allow-fs-read=${p}`),
    "--disallow-code-generation-from-strings",
    `--max-old-space-size=${heapMb}`,
    // Interpreters in WebAssembly recurse on the native stack: give V8 4 MB of the
    // main thread's 8 MB, as a worker thread of the host had.
    "--stack-size=4000",
    "--no-warnings",
  ];
}

/** CPU time (user + system) of a process in ms, from /proc; null where it cannot be read. */
function cpuTimeMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of stat (utime, stime), in clock ticks of 10 ms (USER_HZ = 100).
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}

/** Resident memory of a process in MB, from /proc; null where it cannot be read. */
function residentMb(pid: number): number | null {
  try {
    const pages = Number(readFileSync(`/proc/${pid}/statm`, "latin1").split(" ")[1]);
    return (pages * 4096) / (1024 * 1024);
  } catch {
    return null;
  }
}

/** Reads length-prefixed frames (see `sandbox-child.ts`) from a child's fd 3. */
class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private sizes: { header: number; binary: number } | null = null;
  /** Binary frames are accepted only until the child is ready. */
  allowBinary = true;

  constructor(
    private readonly onFrame: (frame: unknown, binary: Buffer | null) => void,
    private readonly onViolation: (why: string) => void,
  ) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (!this.sizes) {
        if (this.buffered < 8) return;
        const pre = this.take(8);
        this.sizes = { header: pre.readUInt32BE(0), binary: pre.readUInt32BE(4) };
        if (this.sizes.header > MAX_FRAME_BYTES) {
          this.onViolation("a frame over the size limit");
          return;
        }
        if (this.sizes.binary > (this.allowBinary ? MAX_SNAPSHOT_BYTES : 0)) {
          this.onViolation("binary data it may not send");
          return;
        }
      }
      if (this.buffered < this.sizes.header + this.sizes.binary) return;
      const text = this.take(this.sizes.header).toString("utf8");
      const binary = this.sizes.binary ? this.take(this.sizes.binary) : null;
      this.sizes = null;
      let frame: unknown;
      try {
        frame = JSON.parse(text);
      } catch {
        this.onViolation("a frame that is not JSON");
        return;
      }
      this.onFrame(frame, binary);
    }
  }

  private take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }
}

function frame(header: Record<string, unknown>, binary?: Buffer | null): Buffer {
  const h = Buffer.from(JSON.stringify(header), "utf8");
  const pre = Buffer.alloc(8);
  pre.writeUInt32BE(h.length, 0);
  pre.writeUInt32BE(binary?.length ?? 0, 4);
  return Buffer.concat(binary ? [pre, h, binary] : [pre, h]);
}

/** One child process and the program it is running. */
class Child {
  ready = false;
  dead = false;
  /** Killed or about to exit: takes no more programs. */
  retiring = false;
  job: Job | null = null;
  /** Why the host stopped this child's program, when it did. */
  private stopped: { verdict: "timeout" | "memory" | "output" | "crash"; error: string } | null = null;
  private exitStatus: number | null = null;
  private partial: { stdout: string; stderr: string } = { stdout: "", stderr: "" };
  private stderrTail = "";
  private monitor: NodeJS.Timeout | null = null;
  private rssAtReady = 0;
  private readonly proc: ChildProcess;

  constructor(
    private readonly host: SandboxHost,
    private readonly opts: SandboxHostOptions,
    snapshot: Buffer | null,
    private readonly onReady: (c: Child, snapshot: Buffer | null) => void,
    private readonly onStartFailed: (c: Child, why: string) => void,
  ) {
    this.proc = spawn(
      process.execPath,
      [
        ...childFlags(opts.readPaths, opts.heapMb),
        "-e",
        CHILD_RUNTIME + opts.source,
        resolvePackageFile("ses"),
      ],
      { stdio: ["pipe", "ignore", "pipe", "pipe"], env: {}, windowsHide: true },
    );
    const reader = new FrameReader(
      (f, bin) => this.onFrame(f, bin, reader),
      (why) => this.kill({ verdict: "crash", error: `the ${opts.name} sandbox sent ${why}` }),
    );
    this.proc.stdio[3]?.on("data", (c: Buffer) => reader.push(c));
    this.proc.stdio[3]?.on("error", () => undefined);
    this.proc.stdin?.on("error", () => undefined);
    this.proc.stderr?.on("data", (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString("utf8")).slice(-4000);
    });
    this.proc.on("error", (e) => this.lost(e.message));
    this.proc.on("exit", (code, signal) => this.lost(signal ? `signal ${signal}` : `exit code ${code}`));
    this.hold(true);
    this.proc.stdin?.write(
      frame({ type: "init", config: opts.init, makeSnapshot: !!opts.snapshot && !snapshot }, snapshot),
    );
    const timer = setTimeout(() => {
      if (!this.ready && !this.dead) {
        this.proc.kill("SIGKILL");
        this.startFailed(`it did not start within ${opts.startupTimeoutMs} ms`);
      }
    }, opts.startupTimeoutMs);
    timer.unref();
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Keeps the host process alive for this child (while it starts or runs a program), or not. */
  hold(on: boolean): void {
    const handles = [this.proc, this.proc.stdin, this.proc.stderr, this.proc.stdio[3]] as Array<
      { ref?: () => void; unref?: () => void } | null | undefined
    >;
    for (const h of handles) (on ? h?.ref : h?.unref)?.call(h);
  }

  run(job: Job, id: number): void {
    this.job = job;
    this.stopped = null;
    this.exitStatus = null;
    this.partial = { stdout: "", stderr: "" };
    this.hold(true);
    const pid = this.proc.pid!;
    const cpu0 = cpuTimeMs(pid);
    const t0 = performance.now();
    const { timeoutMs, wallTimeoutMs, memoryMb } = job.limits;
    this.monitor = setInterval(() => {
      const wall = performance.now() - t0;
      const cpu = cpu0 === null ? null : cpuTimeMs(pid);
      const used = cpu === null || cpu0 === null ? wall : cpu - cpu0;
      if (used > timeoutMs || wall > wallTimeoutMs) {
        const what = cpu === null || wall > wallTimeoutMs ? "" : " of CPU time";
        const limit = wall > wallTimeoutMs ? wallTimeoutMs : timeoutMs;
        this.kill({
          verdict: "timeout",
          error: `time limit exceeded: the program ran longer than ${limit} ms${what} and was stopped`,
        });
        return;
      }
      const rss = residentMb(pid);
      if (rss !== null && rss > this.rssAtReady + memoryMb + RSS_SLACK_MB) {
        this.kill({
          verdict: "memory",
          error: `memory limit exceeded: the program needed more than ${memoryMb} MB (its process was stopped)`,
        });
      }
    }, POLL_MS);
    this.monitor.unref();
    this.proc.stdin?.write(
      frame({
        ...job.payload,
        type: "run",
        id,
        timeoutMs,
        memoryBytes: memoryMb * 1024 * 1024,
        maxOutputBytes: job.limits.maxOutputBytes,
      }),
    );
  }

  /** Stops the child at once; a running program gets `why` as its verdict. */
  kill(why?: { verdict: "timeout" | "memory" | "output" | "crash"; error: string }): void {
    if (why && this.job && !this.stopped) this.stopped = why;
    this.retiring = true;
    if (!this.dead) this.proc.kill("SIGKILL");
  }

  private onFrame(raw: unknown, binary: Buffer | null, reader: FrameReader): void {
    const parsed = childFrame.safeParse(raw);
    if (!parsed.success) {
      this.kill({ verdict: "crash", error: `the ${this.opts.name} sandbox sent a malformed message` });
      return;
    }
    const f: ChildFrame = parsed.data;
    if (f.type === "ready") {
      if (this.ready) return;
      this.ready = true;
      reader.allowBinary = false;
      this.rssAtReady = (this.proc.pid && residentMb(this.proc.pid)) || 0;
      this.hold(false);
      this.onReady(this, binary);
    } else if (f.type === "startup-error") {
      this.proc.kill("SIGKILL");
      this.startFailed(f.message);
    } else if (f.type === "exit") {
      this.exitStatus = f.status;
      this.partial = { stdout: f.stdout, stderr: f.stderr };
    } else if (f.type === "limit") {
      this.partial = { stdout: f.stdout, stderr: f.stderr };
      this.kill({
        verdict: "output",
        error: `output limit exceeded: more than ${this.job?.limits.maxOutputBytes} bytes of output; the rest was dropped and the program stopped`,
      });
    } else if (f.type === "result" && this.job) {
      const job = this.job;
      this.finish();
      job.resolve(toResult(f, job.limits, this.opts.name));
      if (f.retire.length || f.fatal) {
        if (process.env.SYNTHFORGE_SANDBOX_DEBUG)
          console.error(`[sandbox] retiring child: ${f.retire.join("; ")}`);
        this.retiring = true;
        this.kill();
      } else {
        this.hold(false);
        this.host.pump();
      }
    }
  }

  private finish(): void {
    if (this.monitor) clearInterval(this.monitor);
    this.monitor = null;
    this.job = null;
  }

  private startFailed(why: string): void {
    if (this.dead) return;
    this.dead = true;
    this.hold(false);
    this.onStartFailed(this, why);
  }

  /** The process ended (killed, crashed or exited). */
  private lost(why: string): void {
    if (this.dead && !this.job) return;
    const wasReady = this.ready;
    this.dead = true;
    this.hold(false);
    const job = this.job;
    if (job) {
      this.finish();
      job.resolve(this.verdictOfLoss(why));
    }
    if (!wasReady) this.onStartFailed(this, `its process ended (${why})${this.lastStderrLine()}`);
    this.host.childGone(this);
  }

  private verdictOfLoss(why: string): SandboxResult {
    const base = { ...this.partial, exitStatus: null };
    if (this.stopped) {
      const { verdict, error } = this.stopped;
      return { ...base, ok: false, verdict, error, timedOut: verdict === "timeout" };
    }
    if (this.exitStatus !== null) {
      const status = this.exitStatus;
      return {
        ...base,
        ok: status === 0,
        verdict: status === 0 ? "ok" : "exit",
        error: status === 0 ? null : `exit status ${status}`,
        timedOut: false,
        exitStatus: status,
      };
    }
    return {
      ...base,
      ok: false,
      verdict: "crash",
      error: `the ${this.opts.name} sandbox crashed: its process ended (${why})${this.lastStderrLine()}`,
      timedOut: false,
    };
  }

  private lastStderrLine(): string {
    const line = this.stderrTail.trim().split("\n").at(-1)?.trim();
    return line ? `: ${line.slice(0, 200)}` : "";
  }
}

/** A pool of warm sandbox children; programs queue and run on the first free one. */
export class SandboxHost {
  private readonly children = new Set<Child>();
  private readonly queue: Job[] = [];
  private readonly waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private snapshot: Buffer | null = null;
  /** After a failed start from a snapshot, children load the interpreter from scratch. */
  private snapshotUsable: boolean;
  private inUse = false;
  private nextId = 1;
  private startFailures = 0;
  private readonly size: number;
  private readonly onExit = () => {
    for (const c of this.children) c.kill();
  };
  /** Children started so far (for tests and benchmarks). */
  starts = 0;

  constructor(private readonly opts: SandboxHostOptions) {
    this.size = Math.max(1, opts.children ?? 2);
    this.snapshotUsable = !!opts.snapshot;
  }

  /** Starts the children now (otherwise the first program starts them); resolves when one is ready. */
  warm(): Promise<void> {
    if ([...this.children].some((c) => c.ready && !c.dead)) return Promise.resolve();
    this.use();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.pump();
    });
  }

  private use(): void {
    if (this.inUse) return;
    this.inUse = true;
    process.once("exit", this.onExit);
  }

  /**
   * Runs one program. Programs queue and run on the first free child.
   * `payload` is passed to the child as is (with `id` and the limits added).
   */
  run(payload: Record<string, unknown>, options: SandboxOptions = {}): Promise<SandboxResult> {
    let limits: Limits;
    try {
      limits = checkLimits(options);
    } catch (e) {
      return Promise.reject(e);
    }
    this.use();
    return new Promise<SandboxResult>((resolve, reject) => {
      this.queue.push({ payload, limits, resolve, reject });
      this.pump();
    });
  }

  /** Kills every child; later runs start new ones. */
  async close(): Promise<void> {
    this.inUse = false;
    process.removeListener("exit", this.onExit);
    for (const c of this.children) c.kill();
    this.children.clear();
  }

  /** Hands queued programs to free children and keeps the pool at its size. */
  pump(): void {
    for (const c of this.children) {
      if (!this.queue.length) break;
      if (c.ready && !c.dead && !c.retiring && !c.job) c.run(this.queue.shift()!, this.nextId++);
    }
    if (!this.inUse) return;
    const alive = [...this.children].filter((c) => !c.dead && !c.retiring);
    // The first child makes the snapshot; the others wait for it rather than load from scratch.
    const waitingForSnapshot = this.snapshotUsable && !this.snapshot && alive.length > 0;
    if (waitingForSnapshot) return;
    for (let n = alive.length; n < this.size; n++) this.spawn();
  }

  /** A child's process ended. */
  childGone(c: Child): void {
    this.children.delete(c);
    this.pump();
  }

  private spawn(): void {
    this.starts++;
    const child = new Child(
      this,
      this.opts,
      this.snapshotUsable ? this.snapshot : null,
      (_c, snapshot) => {
        this.startFailures = 0;
        if (snapshot && this.snapshotUsable && !this.snapshot) this.snapshot = snapshot;
        for (const w of this.waiters.splice(0)) w.resolve();
        this.pump();
      },
      (c, why) => {
        this.children.delete(c);
        this.startFailures++;
        if (this.snapshotUsable && this.snapshot) {
          // A snapshot that does not start is dropped; children load from scratch.
          this.snapshotUsable = false;
          this.snapshot = null;
        } else if (this.startFailures >= 2 || ![...this.children].some((x) => !x.dead)) {
          this.failQueue(`The ${this.opts.name} sandbox could not start: ${why}`);
          this.startFailures = 0;
          this.inUse = false;
          process.removeListener("exit", this.onExit);
          return;
        }
        this.pump();
      },
    );
    this.children.add(child);
  }

  private failQueue(message: string): void {
    const error = new SynthforgeError("SANDBOX_UNAVAILABLE", message);
    for (const j of this.queue.splice(0)) j.reject(error);
    for (const w of this.waiters.splice(0)) w.reject(error);
  }
}

function checkLimits(o: SandboxOptions): Limits {
  const defined = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as SandboxOptions;
  const l = { ...SANDBOX_DEFAULTS, ...defined };
  const bad = (k: string, v: number) =>
    new SynthforgeError("INVALID_REQUEST", `Sandbox option ${k} must be a positive number, got ${v}.`);
  for (const k of ["timeoutMs", "memoryMb", "maxOutputBytes"] as const)
    if (!(l[k] > 0) || !Number.isFinite(l[k])) throw bad(k, l[k]);
  const wall = l.wallTimeoutMs ?? 3 * l.timeoutMs + 10_000;
  if (!(wall > 0) || !Number.isFinite(wall)) throw bad("wallTimeoutMs", wall);
  return { ...l, wallTimeoutMs: wall };
}

/** Describes what the sandbox refused, once per kind, in plain words. */
export function describeBlocked(blocked: string[]): string {
  const kinds = new Set<string>();
  for (const b of blocked) {
    if (/child_process|spawn|exec/.test(b)) kinds.add("starting a host process");
    else if (/^(net|tls|http|https|http2|dgram|dns|ws|fetch|inspector)\b|network|socket/i.test(b))
      kinds.add("network access");
    else if (/^fs\b|file system|mount/i.test(b)) kinds.add("host file system access");
    else if (/eval|Function|JavaScript/i.test(b)) kinds.add("running host JavaScript");
    else if (/^require\(|^process\./.test(b)) kinds.add("reaching into the host process");
    else kinds.add(b);
  }
  return [...kinds].join(", ");
}

function toResult(r: ResultFrame, limits: Limits, name: string): SandboxResult {
  const base = { stdout: r.stdout, stderr: r.stderr, timedOut: false, exitStatus: r.exitStatus };
  const out = (verdict: SandboxVerdict, error: string | null): SandboxResult => ({
    ...base,
    ok: verdict === "ok",
    verdict,
    error,
  });
  if (r.interrupted)
    return {
      ...out(
        "timeout",
        `time limit exceeded: the program ran longer than ${limits.timeoutMs} ms and was stopped`,
      ),
      timedOut: true,
    };
  if (r.blocked.length)
    return out(
      "blocked",
      `blocked by the sandbox: ${describeBlocked(r.blocked)}${r.error ? ` (then: ${r.error})` : ""}`,
    );
  if (r.memoryLimitHit) {
    const why = r.fatal ? `; the ${name} interpreter ${r.fatal}` : r.error ? ` (${r.error})` : "";
    return out("memory", `memory limit exceeded: the program needed more than ${limits.memoryMb} MB${why}`);
  }
  if (r.outputLimitHit)
    return out(
      "output",
      `output limit exceeded: more than ${limits.maxOutputBytes} bytes of output; the rest was dropped`,
    );
  if (r.fatal) return out("crash", `the ${name} interpreter crashed: ${r.fatal}`);
  if (r.exitStatus !== null && r.exitStatus !== 0) return out("exit", `exit status ${r.exitStatus}`);
  if (r.error) return out("error", r.error);
  return out("ok", null);
}
