import { createHash } from "node:crypto";
import { loadSync } from "./load.js";

/**
 * A new time-ordered id (UUIDv7 without dashes, prefixed). Ids sort by creation time,
 * which the exporters use for keyset pagination.
 */
export function newId(prefix: string): string {
  return `${prefix}_${loadSync<typeof import("uuid")>("uuid").v7().replace(/-/g, "")}`;
}

/** sha256 of a string, hex. */
export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** JSON with object keys sorted, so equal values hash equally. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object" && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as Record<string, unknown>).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}
