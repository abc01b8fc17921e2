/**
 * Giving the event loop a turn during long promise chains. With a synchronous store
 * (SQLite) and a model that answers without I/O (offline, scripted), a run would chain
 * promises from start to end, and the host's timers, HTTP servers and signals would wait
 * until it is over.
 */

/** How long work may go on without the event loop turning, in ms. */
const SLICE_MS = 20;
let lastTurn = 0;

/**
 * Resolves on the event loop's next check phase (after timers and I/O have had their turn)
 * when at least {@link SLICE_MS} ms have passed since the last such turn; otherwise at once
 * (no cost on the hot path of a run that does real I/O anyway).
 */
export function yieldToEventLoop(): Promise<void> | undefined {
  const now = performance.now();
  if (now - lastTurn < SLICE_MS) return undefined;
  lastTurn = now;
  return new Promise<void>((resolve) => setImmediate(resolve));
}
