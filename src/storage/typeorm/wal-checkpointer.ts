/**
 * Checkpoints a SQLite file's write-ahead log on a thread of its own.
 *
 * In WAL mode every commit appends pages to the log, and by default the connection that
 * commits copies the log back into the database file once it passes 1,000 pages (the
 * automatic checkpoint). That copy syncs the log and the file to disk: 5–25 ms inside a
 * commit, on the run's only thread, every few hundred commits (a run of 2,560 examples at
 * concurrency 64 spent 3.4 of its 6.1 s of commits in 304 such checkpoints). Here a
 * worker thread with its own connection checkpoints instead (`PASSIVE`: it never waits
 * for, nor blocks, a writer or a reader), and once the worker is ready the run's
 * connection checkpoints only every 4,000 pages, when the worker has copied most of the
 * log already. If the worker fails or exits, the run's connection checkpoints at SQLite's
 * default again.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type BetterSqlite3 from "better-sqlite3";

/** SQLite's default `wal_autocheckpoint` (pages), restored when the worker goes away. */
const AUTO_CHECKPOINT_PAGES = 1000;

/**
 * The store's connection still checkpoints when the log passes this many pages (16 MB).
 * A checkpoint that runs beside a writer copies only the pages committed before it
 * started, so under a steady stream of commits the log is never all copied at the moment
 * a write begins, and SQLite never starts it over: it would grow for the whole run. A
 * checkpoint by the writer itself, right after its commit, finishes the copy (the worker
 * has done most of it) and lets the next write start the log over.
 */
const WRITER_CHECKPOINT_PAGES = 4000;

/** How often the worker checkpoints (ms). A checkpoint with nothing to copy costs nothing. */
const INTERVAL_MS = 100;

const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
let db = null;
try {
  db = new Database(workerData.file, { fileMustExist: true });
  db.pragma("synchronous = " + workerData.synchronous);
} catch (e) {
  parentPort.postMessage({ type: "failed", reason: String(e && e.message || e) });
  process.exit(0);
}
const checkpoint = () => {
  try { db.pragma("wal_checkpoint(PASSIVE)"); } catch {}
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on("message", (msg) => {
  if (msg !== "stop") return;
  clearInterval(timer);
  checkpoint();
  try { db.close(); } catch {}
  parentPort.postMessage({ type: "stopped" });
  parentPort.close();
});
parentPort.postMessage({ type: "ready" });
`;

/** The background checkpointer of one SQLite connection. */
export class WalCheckpointer {
  private worker: Worker | null = null;
  private stopping: Promise<void> | null = null;

  /**
   * Starts the worker for `file`. `connection` is the store's own connection: it stops
   * checkpointing when the worker is ready and starts again if the worker goes away.
   */
  constructor(
    file: string,
    private readonly connection: BetterSqlite3.Database,
    synchronous: "NORMAL" | "FULL",
  ) {
    let worker: Worker;
    try {
      worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          file,
          synchronous,
          intervalMs: INTERVAL_MS,
          driver: createRequire(import.meta.url).resolve("better-sqlite3"),
        },
        // The thread holds a connection and little else.
        resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
        stdout: false,
        stderr: false,
      });
    } catch {
      return; // The connection keeps checkpointing itself.
    }
    this.worker = worker;
    // A host that never closes the store can still exit.
    worker.unref();
    worker.on("message", (msg: { type: string }) => {
      if (msg.type === "ready" && this.worker === worker) this.setAutoCheckpoint(WRITER_CHECKPOINT_PAGES);
    });
    const gone = () => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.setAutoCheckpoint(AUTO_CHECKPOINT_PAGES);
    };
    worker.on("error", gone);
    worker.on("exit", gone);
  }

  /** Whether the worker is running (tests and diagnostics). */
  get running(): boolean {
    return this.worker !== null;
  }

  /**
   * Stops the worker after one last checkpoint and hands checkpointing back to the
   * store's connection (which checkpoints and removes the log when it closes).
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopWorker();
    return this.stopping;
  }

  private async stopWorker(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    this.setAutoCheckpoint(AUTO_CHECKPOINT_PAGES);
    await new Promise<void>((resolve) => {
      worker.once("exit", () => resolve());
      // Held while it stops: an unreferenced thread is no reason for Node to wait, and a
      // caller awaiting close() would find the event loop empty.
      worker.ref();
      worker.postMessage("stop");
      // A thread that does not answer is ended.
      const timer = setTimeout(() => void worker.terminate(), 2_000);
      timer.unref();
    });
  }

  private setAutoCheckpoint(pages: number): void {
    try {
      if (this.connection.open) this.connection.pragma(`wal_autocheckpoint = ${pages}`);
    } catch {
      // The connection is closing; nothing to hand back.
    }
  }
}
