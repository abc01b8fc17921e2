import { existsSync } from "node:fs";
import type { SynthforgeConfig } from "../core/config.js";
import { SynthforgeError } from "../core/errors.js";
import type { Store } from "../storage/store.js";

/*
 * The database a command opens, in a module of its own so that `synthforge runs` and
 * `export` do not load the pipeline's settings to find it (start-up, issue 15).
 * settings.ts and run-options.ts re-export these.
 */

/** Default database file. */
export const DEFAULT_DB = "./synthforge.db";

/** The database target: `--db`, then `SYNTHFORGE_DB`, then the config, then `./synthforge.db`. */
export function dbTarget(flags: { db?: string }, config: SynthforgeConfig): string {
  return flags.db ?? process.env.SYNTHFORGE_DB ?? config.db ?? DEFAULT_DB;
}

/**
 * Refuses a SQLite file that does not exist, for commands that continue or read a run
 * (resume, retry-failed, runs, export): a typo in --db must not create an empty database.
 */
export function mustExist(store: Store): void {
  if (store.kind !== "sqlite" || store.location === ":memory:") return;
  if (!existsSync(store.location))
    throw new SynthforgeError(
      "DB_NOT_FOUND",
      `There is no database at ${store.location} (nothing was created). Check --db (or SYNTHFORGE_DB, or db: in the config), or make one with synthforge generate.`,
    );
}
