import { expect } from "vitest";
import { isSynthforgeError, type SynthforgeError } from "../../../src/core/errors.js";
import type { SourceDocument } from "../../../src/core/types.js";
import { HttpClient, type HttpClientOptions } from "../../../src/sources/http.js";

/** An HTTP client for adapter tests: no politeness spacing, no retries, no cache. */
export function testHttp(opts: HttpClientOptions = {}): HttpClient {
  return new HttpClient({
    politeness: 0,
    retries: 0,
    cache: false,
    backoffMs: 1,
    contact: "tests@example.org",
    timeoutMs: 5000,
    ...opts,
  });
}

/** Awaits a promise that must fail with SOURCE_FAILED; returns the error. */
export async function sourceFailure(p: Promise<unknown>): Promise<SynthforgeError> {
  try {
    await p;
  } catch (e) {
    if (isSynthforgeError(e, "SOURCE_FAILED")) return e;
    throw e;
  }
  throw new Error("expected SOURCE_FAILED, but the call succeeded");
}

/** Invariants every returned document must satisfy. */
export function expectWellFormed(docs: SourceDocument[], adapter: string): void {
  for (const d of docs) {
    expect(d.adapter).toBe(adapter);
    expect(d.title.length).toBeGreaterThan(0);
    expect(d.url).toMatch(/^https?:\/\//);
    expect(d.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(d.passages.length).toBeGreaterThan(0);
    for (const p of d.passages) {
      expect(p.text.trim()).toBe(p.text);
      expect(p.text.length).toBeGreaterThan(0);
      expect(p.text).not.toMatch(/<\/?(?:p|jats:p|h4|sub|sup|i|b)>/);
    }
    expect(typeof d.licence.spdx).toBe("string");
    expect(d.licence.evidence.length).toBeGreaterThan(0);
    if (d.licence.spdx === "unknown") expect(d.licence.permissive).toBe(false);
  }
}
