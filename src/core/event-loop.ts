/**
 * Giving the event loop a turn during long promise chains. With a synchronous store
 * (SQLite) and a model that answers without I/O (offline, scripted), a run would chain
 * promises from start to end, and the host's timers, HTTP servers and signals would wait
 * until it is over.
 *
 * Every call turns the loop: turning only after some time has passed would make the order
 * in which candidates interleave depend on the machine's speed, and offline runs would stop
 * being reproducible.
 */

/** Resolves on the event loop's next check phase, after timers and I/O have had their turn. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
