/**
 * The Gemini-wire server in a process of its own, for the benchmarks: the model provider
 * is never in the pipeline's process in real use, and the server's work (answering with
 * the offline provider) would otherwise compete with the pipeline for the same thread.
 *
 * The child prints nothing; it sends `{ url }` over IPC once listening, answers the message
 * `"stats"` with `{ stats }` and stops on `"close"` (or when its parent goes away).
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startGeminiWireServer, type WireServerOptions, type WireStats } from "../src/testing/index.js";

/** A wire server running in a child process. */
export interface WireChild {
  readonly url: string;
  /** The server's counters, fetched from the child. */
  stats(): Promise<WireStats>;
  close(): Promise<void>;
}

type FromChild = { url: string } | { stats: WireStats };

/** Starts the wire server in a child process (options must be plain JSON: no functions). */
export async function startWireChild(opts: Omit<WireServerOptions, "respond">): Promise<WireChild> {
  const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(opts)], {
    // BENCH_WIRE_CPU_PROF=<dir>: profile the server process too (node --cpu-prof).
    execArgv: [
      "--import",
      "tsx",
      ...(process.env.BENCH_WIRE_CPU_PROF
        ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_WIRE_CPU_PROF}`]
        : []),
    ],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = () =>
    new Promise<FromChild>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`wire server child exited (${code})`));
      child.once("exit", onExit);
      child.once("message", (m) => {
        child.off("exit", onExit);
        resolve(m as FromChild);
      });
    });
  const first = await next();
  if (!("url" in first)) throw new Error("wire server child did not start");
  return {
    url: first.url,
    async stats() {
      const reply = next();
      child.send("stats");
      const m = await reply;
      if (!("stats" in m)) throw new Error("wire server child sent no stats");
      return m.stats;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.send("close");
      }),
  };
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startGeminiWireServer(JSON.parse(process.argv[2] ?? "{}") as WireServerOptions);
  process.send({ url: server.url });
  process.on("message", async (m) => {
    if (m === "stats") process.send?.({ stats: server.stats });
    if (m === "close") {
      await server.close();
      process.exit(0);
    }
  });
  process.on("disconnect", () => process.exit(0));
}
