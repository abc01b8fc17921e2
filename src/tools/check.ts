/**
 * The result shape every deterministic verifier returns, so the review stage, the
 * offline judge, the ADK tools and the CLI all read verdicts the same way.
 */
import type { DefectKind } from "../core/types.js";

/** The outcome of one deterministic check. */
export interface CheckResult {
  /** The defect a failing check found (absent when it passed). */
  defect?: DefectKind;
  /** Verifier name, e.g. `maths`, `code`, `verbatim`. Stored as `reviews.kind = "verifier:<name>"`. */
  name: string;
  /** False when the check found a problem. */
  passed: boolean;
  /** 1 = no problem found, 0 = the example is wrong in this respect; partial values in between. */
  score: number;
  /** What is wrong, each a fixable statement (empty when passed). */
  reasons: string[];
  /** Evidence: what was computed, run or matched. */
  details?: Record<string, unknown>;
}

/** A passing result. */
export function pass(name: string, details?: Record<string, unknown>): CheckResult {
  return details
    ? { name, passed: true, score: 1, reasons: [], details }
    : { name, passed: true, score: 1, reasons: [] };
}

/**
 * A failing result with score `score` (default 0), naming the defect it found (`defect`;
 * the review reports it as the reason the example is bad).
 */
export function fail(
  name: string,
  reasons: string[],
  score = 0,
  details?: Record<string, unknown>,
  defect?: DefectKind,
): CheckResult {
  const r: CheckResult = { name, passed: false, score: clamp01(score), reasons };
  if (defect) r.defect = defect;
  if (details) r.details = details;
  return r;
}

/**
 * The verdict on claims found in a text: not applicable (null) when there are none, a pass
 * when every claim holds, else a failure naming each wrong claim, scored by the share of
 * claims that hold. `details.claims` keeps every claim checked. The defect is `defect`, or
 * per claim `defectOf` (the defect of the first wrong claim is the result's).
 */
export function claimsResult<C>(
  name: string,
  claims: C[],
  holds: (claim: C) => boolean,
  reason: (wrong: C) => string,
  defect: DefectKind | ((wrong: C) => DefectKind),
): CheckResult | null {
  if (claims.length === 0) return null;
  const wrong = claims.filter((c) => !holds(c));
  if (wrong.length === 0) return pass(name, { checked: claims.length });
  const kind = typeof defect === "function" ? defect(wrong[0]!) : defect;
  return fail(name, wrong.map(reason), 1 - wrong.length / claims.length, { claims }, kind);
}

/** Clamps to [0, 1] and rounds to 3 decimals. */
export function clamp01(x: number): number {
  if (!Number.isFinite(x)) return 0;
  return Math.round(Math.min(1, Math.max(0, x)) * 1000) / 1000;
}
