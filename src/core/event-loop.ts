/**
 * Giving the event loop a turn during long promise chains. With a synchronous store
 * (SQLite) and a model that answers without I/O (offline, scripted), a run would chain
 * promises from start to end, and the host's timers, HTTP servers and signals would wait
 * until it is over.
 *
 * The loop turns on every {@link EVERY}th call, counted, not timed: a turn only when some
 * time has passed would make the order in which candidates interleave depend on the
 * machine's speed, and offline runs would stop being reproducible.
 */

/** Calls between two turns of the event loop. */
const EVERY = 8;
let calls = 0;

/**
 * Resolves on the event loop's next check phase (after timers and I/O have had their turn)
 * on every {@link EVERY}th call; otherwise returns undefined at once.
 */
export function yieldToEventLoop(): Promise<void> | undefined {
  calls = (calls + 1) % EVERY;
  if (calls !== 0) return undefined;
  return new Promise<void>((resolve) => setImmediate(resolve));
}
