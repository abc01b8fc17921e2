import type { CandidateLease, Store } from "../storage/store.js";

/** Store methods that write a candidate's own state: fenced by its lease. */
const CANDIDATE_WRITES = new Set<string | symbol>([
  "updateQuestion",
  "saveExample",
  "updateExample",
  "insertReview",
  "insertReviews",
  "insertFailure",
]);

/**
 * The store as the item stages of one candidate see it: its writes (the question's
 * status and context, its example, reviews and failures, and any `transaction`) run
 * through {@link Store.fenced}, so they are applied only while this runner still holds
 * the candidate's lease, and otherwise dropped with a `LEASE_LOST` error. Reads and writes
 * that belong to no candidate (sources, model calls) pass through.
 */
export function fencedStore(store: Store, lease: CandidateLease): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === "transaction")
        return <T>(fn: (tx: Store) => Promise<T>): Promise<T> => target.fenced(lease, fn);
      if (CANDIDATE_WRITES.has(prop))
        return (...args: unknown[]) =>
          target.fenced(lease, (tx) =>
            (tx[prop as keyof Store] as (...a: unknown[]) => Promise<unknown>)(...args),
          );
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
