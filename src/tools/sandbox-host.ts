import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { SynthforgeError } from "../core/errors.js";

/**
 * The host side of a sandbox: one warm `worker_threads` Worker that runs one program at a
 * time. A program that overruns its time is interrupted (Python) or stopped by the
 * worker's own deadline (QuickJS); if it still runs after a grace period, the worker is
 * terminated and a fresh one is started for the next program. The worker gets an empty
 * environment (no secrets), its own stdout/stderr streams (nothing reaches the host's
 * terminal), and V8 heap limits.
 */

/** Limits of one sandboxed program. */
export interface SandboxOptions {
  /** Wall-clock time the program may run, in its own dedicated worker (so in practice its CPU time). Default 5000. */
  timeoutMs?: number;
  /** Memory the program may allocate beyond the interpreter's own baseline, in MB. Default 128. */
  memoryMb?: number;
  /** Bytes of stdout plus stderr kept; writing more stops the program. Default 65536. */
  maxOutputBytes?: number;
}

/** What a sandboxed program did. */
export interface SandboxResult {
  /** True when the program ran to the end without an error, a limit or a blocked action. */
  ok: boolean;
  stdout: string;
  stderr: string;
  /** One line saying what went wrong (the exception, the limit hit, what was blocked), or null. */
  error: string | null;
  /** True when the program was stopped for running past `timeoutMs`. */
  timedOut: boolean;
}

/** Defaults of {@link SandboxOptions}. */
export const SANDBOX_DEFAULTS: Required<SandboxOptions> = {
  timeoutMs: 5000,
  memoryMb: 128,
  maxOutputBytes: 65536,
};

/** What a worker reports for one program. */
export interface WorkerReply {
  type: "result";
  id: number;
  stdout: string;
  stderr: string;
  /** The program's own error (exception summary), or null. */
  error: string | null;
  /** Actions the sandbox refused, as short descriptions. */
  blocked: string[];
  memoryLimitHit: boolean;
  outputLimitHit: boolean;
  /** The program ran past its deadline and was stopped inside the worker. */
  interrupted: boolean;
  /** Set when the interpreter is no longer usable (the worker must be replaced). */
  fatal: string | null;
  /** Heap bytes in use after the run (WebAssembly memory). */
  heapBytes: number;
  /** Heap bytes at start-up. */
  baselineBytes: number;
}

/** Options of a {@link SandboxHost}. */
export interface SandboxHostOptions {
  /** Short name for messages: "Python", "JavaScript". */
  name: string;
  /** The worker's source (CommonJS, evaluated with `eval: true`). */
  source: string;
  /** Data the worker reads from `workerData` (module paths...). */
  workerData: Record<string, unknown>;
  /** How long the interpreter may take to start. */
  startupTimeoutMs: number;
  /** V8 heap limit of the worker, MB. */
  heapMb: number;
  /** Native stack of the worker, MB. */
  stackMb: number;
  /** Replace the worker after a run that left the heap this many bytes above its baseline. */
  recycleAboveBytes: number;
  /** Extra time after the deadline before the worker is terminated. */
  graceMs: number;
}

interface Job {
  id: number;
  resolve: (r: WorkerReply | { crashed: string; killed: boolean }) => void;
}

/** Resolves an installed package's file for a worker (works from ESM, CJS and tsx). */
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

/** One warm worker, one program at a time, replaced after a kill or a crash. */
export class SandboxHost {
  private worker: Worker | null = null;
  private starting: Promise<Worker> | null = null;
  private job: Job | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  /** Workers terminated on purpose: their exit is not a crash. */
  private readonly retired = new WeakSet<Worker>();
  private interrupt: Int32Array = new Int32Array(new SharedArrayBuffer(4));
  /** Workers started so far (for tests and benchmarks). */
  starts = 0;

  constructor(private readonly opts: SandboxHostOptions) {}

  /** Starts the worker now (otherwise the first program starts it). */
  warm(): Promise<void> {
    return this.ensure().then(() => undefined);
  }

  /**
   * Runs one program. Programs queue: one runs at a time per host.
   * `payload` is passed to the worker as is (with `id` and the limits added).
   */
  run(payload: Record<string, unknown>, options: SandboxOptions = {}): Promise<SandboxResult> {
    const limits = { ...SANDBOX_DEFAULTS, ...definedOnly(options) };
    try {
      checkLimits(limits);
    } catch (e) {
      return Promise.reject(e);
    }
    const next = this.chain.then(() => this.runNow(payload, limits));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Terminates the worker; later runs start a new one. */
  async close(): Promise<void> {
    const w = this.worker ?? (await this.starting?.catch(() => null)) ?? null;
    this.worker = null;
    this.starting = null;
    if (w) {
      this.retired.add(w);
      await w.terminate().catch(() => undefined);
    }
  }

  private async runNow(
    payload: Record<string, unknown>,
    limits: Required<SandboxOptions>,
  ): Promise<SandboxResult> {
    const worker = await this.ensure();
    const id = this.nextId++;
    Atomics.store(this.interrupt, 0, 0);
    worker.ref();
    let deadline: NodeJS.Timeout | undefined;
    let kill: NodeJS.Timeout | undefined;
    let overran = false;
    const reply = await new Promise<WorkerReply | { crashed: string; killed: boolean }>((resolve) => {
      this.job = { id, resolve };
      deadline = setTimeout(() => {
        overran = true;
        Atomics.store(this.interrupt, 0, 2); // SIGINT: Python raises KeyboardInterrupt
        kill = setTimeout(() => {
          this.job = null;
          resolve({ crashed: "stopped", killed: true });
        }, this.opts.graceMs);
      }, limits.timeoutMs);
      worker.postMessage({
        ...payload,
        type: "run",
        id,
        timeoutMs: limits.timeoutMs,
        memoryBytes: limits.memoryMb * 1024 * 1024,
        maxOutputBytes: limits.maxOutputBytes,
      });
    });
    clearTimeout(deadline);
    clearTimeout(kill);
    this.job = null;
    if ("crashed" in reply) {
      await this.discard(worker);
      if (reply.killed) {
        return {
          ok: false,
          stdout: "",
          stderr: "",
          error: timeLimitMessage(limits.timeoutMs, true),
          timedOut: true,
        };
      }
      return {
        ok: false,
        stdout: "",
        stderr: "",
        error: `the ${this.opts.name} sandbox crashed: ${reply.crashed}`,
        timedOut: false,
      };
    }
    if (reply.fatal || reply.heapBytes - reply.baselineBytes > this.opts.recycleAboveBytes)
      await this.discard(worker);
    else worker.unref();
    return toResult(reply, limits, overran, this.opts.name);
  }

  private ensure(): Promise<Worker> {
    if (this.worker) return Promise.resolve(this.worker);
    if (!this.starting) {
      this.starting = this.start().then(
        (w) => {
          this.worker = w;
          this.starting = null;
          return w;
        },
        (e) => {
          this.starting = null;
          throw e;
        },
      );
    }
    return this.starting;
  }

  private start(): Promise<Worker> {
    this.starts++;
    this.interrupt = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(this.opts.source, {
      eval: true,
      env: {},
      workerData: { ...this.opts.workerData, interrupt: this.interrupt },
      stdout: true,
      stderr: true,
      resourceLimits: {
        maxOldGenerationSizeMb: this.opts.heapMb,
        maxYoungGenerationSizeMb: 32,
        stackSizeMb: this.opts.stackMb,
      },
    });
    // The worker's own stdout/stderr (Pyodide's fatal-error messages) are piped to streams
    // that are never read: nothing reaches the host's terminal, and an idle worker does
    // not keep the process alive (reading the streams would).
    return new Promise<Worker>((resolve, reject) => {
      const timer = setTimeout(() => {
        void worker.terminate();
        reject(
          new SynthforgeError(
            "SANDBOX_UNAVAILABLE",
            `The ${this.opts.name} sandbox did not start within ${this.opts.startupTimeoutMs} ms.`,
          ),
        );
      }, this.opts.startupTimeoutMs);
      let started = false;
      worker.on(
        "message",
        (m: { type: "ready" | "startup-error" | "result"; message?: string; id?: number }) => {
          if (m.type === "ready") {
            started = true;
            clearTimeout(timer);
            worker.unref();
            resolve(worker);
          } else if (m.type === "startup-error") {
            clearTimeout(timer);
            void worker.terminate();
            reject(
              new SynthforgeError(
                "SANDBOX_UNAVAILABLE",
                `The ${this.opts.name} sandbox could not start: ${m.message}`,
              ),
            );
          } else if (m.type === "result" && this.job && m.id === this.job.id) {
            this.job.resolve(m as unknown as WorkerReply);
          }
        },
      );
      const lost = (why: string) => {
        if (this.worker === worker) this.worker = null;
        if (!started) {
          clearTimeout(timer);
          reject(
            new SynthforgeError(
              "SANDBOX_UNAVAILABLE",
              `The ${this.opts.name} sandbox could not start: ${why}`,
            ),
          );
        } else if (this.job) {
          const job = this.job;
          this.job = null;
          job.resolve({ crashed: why, killed: false });
        }
      };
      worker.on("error", (e: Error & { code?: string }) => {
        lost(e.code === "ERR_WORKER_OUT_OF_MEMORY" ? "it ran out of memory (worker heap limit)" : e.message);
      });
      worker.on("exit", (code) => {
        if (!this.retired.has(worker)) lost(`the worker exited (code ${code})`);
      });
    });
  }

  /** Drops a worker that is no longer trustworthy; the next program starts a new one. */
  private async discard(worker: Worker): Promise<void> {
    if (this.worker === worker) this.worker = null;
    this.retired.add(worker);
    await worker.terminate().catch(() => undefined);
  }
}

function definedOnly(o: SandboxOptions): SandboxOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as SandboxOptions;
}

function checkLimits(l: Required<SandboxOptions>): void {
  const bad = (k: string, v: number) =>
    new SynthforgeError("INVALID_REQUEST", `Sandbox option ${k} must be a positive number, got ${v}.`);
  if (!(l.timeoutMs > 0) || !Number.isFinite(l.timeoutMs)) throw bad("timeoutMs", l.timeoutMs);
  if (!(l.memoryMb > 0) || !Number.isFinite(l.memoryMb)) throw bad("memoryMb", l.memoryMb);
  if (!(l.maxOutputBytes > 0) || !Number.isFinite(l.maxOutputBytes))
    throw bad("maxOutputBytes", l.maxOutputBytes);
}

function timeLimitMessage(ms: number, killed: boolean): string {
  return `time limit exceeded: the program ran longer than ${ms} ms and was stopped${killed ? " (its worker was terminated)" : ""}`;
}

/** Describes what the sandbox refused, once per kind, in plain words. */
export function describeBlocked(blocked: string[]): string {
  const kinds = new Set<string>();
  for (const b of blocked) {
    if (/child_process|spawn|exec/.test(b)) kinds.add("starting a host process");
    else if (/^(net|tls|http|https|http2|dgram|dns|ws|fetch)\b|network|socket/i.test(b))
      kinds.add("network access");
    else if (/^fs\b|file system|mount/i.test(b)) kinds.add("host file system access");
    else if (/eval|Function|JavaScript/i.test(b)) kinds.add("running host JavaScript");
    else if (/^require\(|^process\./.test(b)) kinds.add("reaching into the host process");
    else kinds.add(b);
  }
  return [...kinds].join(", ");
}

function toResult(
  r: WorkerReply,
  limits: Required<SandboxOptions>,
  overran: boolean,
  name: string,
): SandboxResult {
  const timedOut = overran || r.interrupted;
  let error: string | null = null;
  if (timedOut) error = timeLimitMessage(limits.timeoutMs, false);
  else if (r.blocked.length)
    error = `blocked by the sandbox: ${describeBlocked(r.blocked)}${r.error ? ` (then: ${r.error})` : ""}`;
  else if (r.memoryLimitHit) {
    const why = r.fatal ? `; the ${name} interpreter ${r.fatal}` : r.error ? ` (${r.error})` : "";
    error = `memory limit exceeded: the program needed more than ${limits.memoryMb} MB${why}`;
  } else if (r.outputLimitHit)
    error = `output limit exceeded: more than ${limits.maxOutputBytes} bytes of output; the rest was dropped`;
  else if (r.fatal) error = `the ${name} interpreter crashed: ${r.fatal}`;
  else error = r.error;
  return { ok: error === null, stdout: r.stdout, stderr: r.stderr, error, timedOut };
}
