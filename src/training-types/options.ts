import type { ExampleOptionsPolicy } from "./types.js";

/** A candidate as the {@link OptionBalancer} sees it. */
export interface BalancedCandidate {
  /** Stable id of the candidate (its question id). */
  key: string;
  /** The stored row of its example, when one exists (a revision round keeps its options). */
  existing: Record<string, unknown> | null;
  /** Where the candidate stands now: kept (approved), dropped (rejected, failed) or still open. */
  state(): "kept" | "dropped" | "open";
}

/**
 * Chooses the type-specific options of each new example (e.g. the KTO label) so that the
 * examples a run keeps follow the type's configured mix. It counts approved examples
 * and the candidates still in flight; a dropped candidate frees its place, so the mix
 * holds for what is finally approved. Memory: one entry per candidate in flight.
 */
export class OptionBalancer<Row extends Record<string, unknown> = Record<string, unknown>> {
  private readonly kept: Record<string, number> = {};
  private readonly open = new Map<string, { bucket: string; state: () => "kept" | "dropped" | "open" }>();

  constructor(
    private readonly policy: ExampleOptionsPolicy<Row>,
    private readonly typeOptions: Record<string, unknown>,
  ) {}

  /** Counts an example the run already keeps (used when a run is resumed). */
  count(row: Row): void {
    const b = this.policy.bucketOf(row);
    this.kept[b] = (this.kept[b] ?? 0) + 1;
  }

  /** Kept examples plus candidates in flight, per bucket. */
  tallies(): Record<string, number> {
    this.sweep();
    const t: Record<string, number> = { ...this.kept };
    for (const { bucket } of this.open.values()) t[bucket] = (t[bucket] ?? 0) + 1;
    return t;
  }

  /** The generation options of a candidate's next draft. */
  optionsFor(c: BalancedCandidate): Record<string, unknown> {
    if (c.existing) {
      const row = c.existing as Row;
      if (!this.open.has(c.key)) this.open.set(c.key, { bucket: this.policy.bucketOf(row), state: c.state });
      return this.policy.optionsOf(row);
    }
    this.open.delete(c.key);
    const { bucket, options } = this.policy.choose(this.typeOptions, this.tallies());
    this.open.set(c.key, { bucket, state: c.state });
    return options;
  }

  private sweep(): void {
    for (const [key, o] of this.open) {
      const s = o.state();
      if (s === "open") continue;
      if (s === "kept") this.kept[o.bucket] = (this.kept[o.bucket] ?? 0) + 1;
      this.open.delete(key);
    }
  }
}
