import { setFlagsFromString } from "node:v8";
import { SynthforgeError } from "../core/errors.js";

/**
 * How much V8 lets the heap grow past what survived the last full collection before it
 * collects again, in percent, for the CLI's process. V8's own choice goes up to 4×: a run
 * whose live data is 150 MB then peaks at 1.5 GB of memory on a large machine, while
 * collecting more often keeps it near the live set (issue 15: a 10,000-example offline
 * run peaks at 386 MB with 10%, 407 MB with 25%). The extra collections cost CPU (about
 * 5–20% more user time on an offline run, where the CPU is the limit); with a real model
 * the run waits on the model, not the CPU.
 */
export const CLI_HEAP_GROWING_PERCENT = 10;

/**
 * The V8 flag the CLI sets for its heap, or null to leave V8's default: none when the user
 * chose one (`--heap-growing-percent` in `NODE_OPTIONS` or on node's command line), and
 * `SYNTHFORGE_HEAP_GROWTH` (a percent, or `0` for V8's default) over the CLI's default.
 *
 * @throws SynthforgeError `CONFIG_INVALID` when `SYNTHFORGE_HEAP_GROWTH` is not a whole
 *   number from 0 to 1000
 */
export function heapGrowingFlag(
  env: Record<string, string | undefined> = process.env,
  execArgv: readonly string[] = process.execArgv,
): string | null {
  const userFlag = /--heap[-_]growing[-_]percent/;
  if (userFlag.test(env.NODE_OPTIONS ?? "") || execArgv.some((a) => userFlag.test(a))) return null;
  const raw = env.SYNTHFORGE_HEAP_GROWTH?.trim();
  let percent = CLI_HEAP_GROWING_PERCENT;
  if (raw) {
    if (!/^\d+$/.test(raw) || Number(raw) > 1000)
      throw new SynthforgeError(
        "CONFIG_INVALID",
        `SYNTHFORGE_HEAP_GROWTH must be a whole number of percent from 0 to 1000 (0 leaves V8's default); got "${raw}".`,
      );
    percent = Number(raw);
  }
  return percent === 0 ? null : `--heap-growing-percent=${percent}`;
}

/**
 * Sets the CLI's heap growth (see {@link heapGrowingFlag}) in this process. V8 reads the
 * flag each time it sizes the heap after a full collection, so setting it once the process
 * runs takes effect. The library never calls this: a host sizes its own process.
 *
 * @returns a warning to print when `SYNTHFORGE_HEAP_GROWTH` is invalid (the default is used)
 */
export function tuneHeap(): string | null {
  let flag: string | null;
  let warning: string | null = null;
  try {
    flag = heapGrowingFlag();
  } catch (e) {
    warning = `${(e as Error).message} Using ${CLI_HEAP_GROWING_PERCENT}.`;
    flag = heapGrowingFlag({ ...process.env, SYNTHFORGE_HEAP_GROWTH: undefined });
  }
  if (flag) setFlagsFromString(flag);
  return warning;
}
