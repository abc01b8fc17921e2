import { loadConfig } from "../core/config.js";
import { describeError, SynthforgeError } from "../core/errors.js";
import { openStore } from "../storage/typeorm-store.js";
import { isLoopbackHost, serveStudio } from "../studio/serve.js";
import type { CliIO } from "./progress.js";
import { mustExist } from "./run-options.js";
import { type CommonFlags, dbTarget } from "./settings.js";

/** Flags of `synthforge studio`. */
export interface StudioFlags extends CommonFlags {
  port?: string;
  host?: string;
  reviewer?: string;
}

/**
 * `synthforge studio`: serves the studio over the database until Ctrl-C (or SIGTERM).
 * Prints the URL with its token on standard output; a `--host` other than loopback gets
 * a warning on standard error.
 */
export async function studioCmd(
  flags: StudioFlags,
  io: CliIO,
  opts: { signal?: AbortSignal } = {},
): Promise<number> {
  const portText = flags.port ?? "4873";
  const port = /^\d+$/.test(portText.trim()) ? Number(portText) : Number.NaN;
  if (!Number.isInteger(port) || port > 65535)
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `--port must be a whole number from 0 to 65535, got "${portText}".`,
    );
  const host = (flags.host ?? "127.0.0.1").trim();
  if (!host) throw new SynthforgeError("INVALID_REQUEST", "--host needs an address, e.g. 127.0.0.1.");
  const { config } = loadConfig(flags.config);
  const store = openStore(dbTarget(flags, config));
  mustExist(store);
  try {
    await store.init();
    const studio = await serveStudio({
      store,
      port,
      host,
      ...(flags.reviewer ? { reviewer: flags.reviewer } : {}),
      onError: (e) => io.err(`studio error: ${describeError(e)}`),
    });
    if (!isLoopbackHost(host))
      io.err(
        `warning: --host ${host} makes the studio reachable from other machines; anyone with the URL (and its token) can read and review this database.`,
      );
    // Listen for the stop signals before printing the URL: a caller that reads the URL and
    // stops the studio at once must not find the default handler (which kills the process
    // without closing the store) still in place.
    const stopped = new Promise<void>((resolve) => {
      const done = () => {
        process.off("SIGINT", done);
        process.off("SIGTERM", done);
        opts.signal?.removeEventListener("abort", done);
        resolve();
      };
      process.on("SIGINT", done);
      process.on("SIGTERM", done);
      opts.signal?.addEventListener("abort", done);
      if (opts.signal?.aborted) done();
    });
    io.err(`studio over ${store.location}; Ctrl-C to stop`);
    io.out(studio.url);
    await stopped;
    await studio.close();
    return 0;
  } finally {
    await store.close().catch(() => undefined);
  }
}
