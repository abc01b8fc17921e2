import { createHash } from "node:crypto";
import { normaliseForHash } from "../core/text.js";

/**
 * Duplicate detection: exact duplicates by a hash of the normalised text (case,
 * punctuation and spacing ignored), near duplicates by MinHash signatures over word
 * shingles with locality-sensitive hashing (LSH) to find candidates, confirmed by the
 * signatures' estimated Jaccard similarity.
 *
 * The index is compact: per text it keeps a 64-bit exact key, a signature of
 * {@link MINHASH_PERMUTATIONS} 16-bit minimums and {@link LSH_BANDS} band keys in
 * open-addressing typed-array tables: a few hundred bytes per text (the typed arrays grow
 * by doubling), never the text itself.
 */

/** Number of MinHash functions. */
export const MINHASH_PERMUTATIONS = 60;
/**
 * LSH bands (rows per band = permutations / bands = 5): a pair at Jaccard 0.7 becomes a
 * candidate with probability 0.89, at 0.8 with 0.99, at 0.5 with 0.32 (then rejected by
 * its signature).
 */
export const LSH_BANDS = 12;
const ROWS = MINHASH_PERMUTATIONS / LSH_BANDS;
/**
 * Default near-duplicate threshold (estimated Jaccard of 3-word shingles). Two edited
 * words in a 60-word example already bring the Jaccard down to about 0.8, so the default
 * leaves room for the estimate's noise (±0.06 with 60 hash functions).
 */
export const NEAR_DUPLICATE_THRESHOLD = 0.7;

/** 32-bit FNV-1a of a string. */
export function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's finaliser: a good 32-bit mix. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const SEEDS = Array.from({ length: MINHASH_PERMUTATIONS }, (_, i) => fmix(0x9e3779b9 + i * 0x632be5ab));

/** The exact-duplicate key: 16 hex digits of sha256 over the normalised text. */
export function exactKey(text: string): string {
  return createHash("sha256").update(normaliseForHash(text)).digest("hex").slice(0, 16);
}

/** Word shingles (default 3 words) of the normalised text; short texts give their words. */
export function shingles(text: string, size = 3): string[] {
  const w = normaliseForHash(text).split(" ").filter(Boolean);
  if (w.length < size) return w.length ? [w.join(" ")] : [];
  const out: string[] = [];
  for (let i = 0; i + size <= w.length; i++) out.push(w.slice(i, i + size).join(" "));
  return out;
}

/** A MinHash signature: one 16-bit minimum per hash function. */
export function minhash(text: string): Uint16Array {
  return minhashOf(shingles(text));
}

/**
 * The MinHash signature of a set of tokens (duplicates ignored): for callers that compare
 * something other than word shingles, e.g. the content words of short questions.
 */
export function minhashOf(tokens: Iterable<string>): Uint16Array {
  const sig = new Uint32Array(MINHASH_PERMUTATIONS).fill(0xffffffff);
  for (const sh of new Set(tokens)) {
    const h = fnv1a(sh);
    for (let i = 0; i < MINHASH_PERMUTATIONS; i++) {
      const v = fmix(h ^ SEEDS[i]!);
      if (v < sig[i]!) sig[i] = v;
    }
  }
  const out = new Uint16Array(MINHASH_PERMUTATIONS);
  for (let i = 0; i < MINHASH_PERMUTATIONS; i++) out[i] = sig[i]! >>> 16;
  return out;
}

/**
 * Estimated Jaccard similarity of two signatures (16-bit minimums collide by chance with
 * probability 2^-16, corrected for).
 */
export function estimateJaccard(a: Uint16Array, b: Uint16Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  const f = same / a.length;
  const c = 1 / 65536;
  return Math.max(0, (f - c) / (1 - c));
}

/** Exact Jaccard similarity of two texts' shingle sets (for tests and small inputs). */
export function jaccardSimilarity(a: string, b: string): number {
  const sa = new Set(shingles(a));
  const sb = new Set(shingles(b));
  if (sa.size === 0 && sb.size === 0) return 1;
  let inter = 0;
  for (const x of sa) if (sb.has(x)) inter++;
  return inter / (sa.size + sb.size - inter);
}

function bandKeys(sig: Uint16Array): Uint32Array {
  const keys = new Uint32Array(LSH_BANDS);
  for (let b = 0; b < LSH_BANDS; b++) {
    let h = fmix(0x5bd1e995 ^ b);
    for (let r = 0; r < ROWS; r++) h = fmix(h ^ (sig[b * ROWS + r]! | ((r + 1) << 16)));
    keys[b] = h || 1;
  }
  return keys;
}

/**
 * An open-addressing multimap from non-zero 32-bit keys to 32-bit values, on typed arrays.
 * Keeps every value of a key (a probe walks past equal keys).
 */
export class U32MultiMap {
  private keys: Uint32Array;
  private vals: Uint32Array;
  private count = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap * 0.7 < capacity) cap *= 2;
    this.keys = new Uint32Array(cap);
    this.vals = new Uint32Array(cap);
  }

  /** Entries stored. */
  get size(): number {
    return this.count;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.keys.byteLength + this.vals.byteLength;
  }

  add(key: number, value: number): void {
    if (this.count + 1 > this.keys.length * 0.7) this.grow();
    const mask = this.keys.length - 1;
    let i = fmix(key) & mask;
    while (this.keys[i] !== 0) i = (i + 1) & mask;
    this.keys[i] = key;
    this.vals[i] = value;
    this.count++;
  }

  /** Calls `fn` for each value stored under `key`. */
  forEach(key: number, fn: (value: number) => void): void {
    const mask = this.keys.length - 1;
    let i = fmix(key) & mask;
    while (this.keys[i] !== 0) {
      if (this.keys[i] === key) fn(this.vals[i]!);
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const oldK = this.keys;
    const oldV = this.vals;
    this.keys = new Uint32Array(oldK.length * 2);
    this.vals = new Uint32Array(oldV.length * 2);
    this.count = 0;
    for (let i = 0; i < oldK.length; i++) if (oldK[i] !== 0) this.add(oldK[i]!, oldV[i]!);
  }
}

/** The two 32-bit halves of a 16-hex-digit exact key (the first never 0). */
function splitKey(key: string): [number, number] {
  return [Number.parseInt(key.slice(0, 8), 16) || 1, Number.parseInt(key.slice(8, 16), 16) >>> 0];
}

/** What a text duplicates, if anything. */
export interface DuplicateMatch {
  /**
   * `exact` / `near`: the prompt and answer together repeat another example's; `response`:
   * the answer alone repeats (verbatim or nearly) another example's, under a different prompt.
   */
  kind: "exact" | "near" | "response";
  /** Id of the earlier text (an example id). */
  id: string;
  /** Estimated Jaccard similarity (1 for exact). */
  similarity: number;
}

/** The precomputed keys of one text. */
export interface DedupSignature {
  exact: string;
  signature: Uint16Array;
  /** Keys of the response alone (absent for a response too short to compare on its own). */
  response?: { exact: string; signature: Uint16Array };
}

/** Words a response needs before it is compared on its own ("Paris" may answer two prompts). */
export const RESPONSE_MIN_WORDS = 15;
/** Near-duplicate threshold of responses compared on their own. */
export const RESPONSE_DUPLICATE_THRESHOLD = 0.75;

/**
 * Computes the dedup keys of a text once (to check and then add). With `response` (the
 * answer alone), also its keys, so that the same answer under a different prompt is found.
 */
export function dedupSignature(text: string, response?: string): DedupSignature {
  const sig: DedupSignature = { exact: exactKey(text), signature: minhash(text) };
  if (response !== undefined && normaliseForHash(response).split(" ").length >= RESPONSE_MIN_WORDS)
    sig.response = { exact: exactKey(response), signature: minhash(response) };
  return sig;
}

/**
 * An in-memory exact + near-duplicate index. `check` then `add` is synchronous, so a
 * caller that checks and adds in one turn of the event loop never admits two copies
 * of the same text.
 */
export class DedupIndex {
  /** Exact keys: the first 32 bits index the table, the next 32 confirm the match. */
  private readonly exact = new U32MultiMap(4096);
  private exactLo = new Uint32Array(256);
  private readonly bands = new U32MultiMap(4096);
  private sigs = new Uint16Array(MINHASH_PERMUTATIONS * 256);
  private readonly ids: string[] = [];
  private readonly idSet = new Set<string>();
  /** The responses alone (built on the first signature that carries one). */
  private responses: DedupIndex | null = null;

  constructor(
    readonly threshold = NEAR_DUPLICATE_THRESHOLD,
    readonly responseThreshold = RESPONSE_DUPLICATE_THRESHOLD,
  ) {}

  /** Texts indexed. */
  get size(): number {
    return this.ids.length;
  }

  /** Approximate bytes held (tables, signatures, ids). */
  get bytes(): number {
    return (
      this.bands.bytes +
      this.exact.bytes +
      this.exactLo.byteLength +
      this.sigs.byteLength +
      this.ids.length * 96 +
      (this.responses?.bytes ?? 0)
    );
  }

  /**
   * The earlier text this one duplicates (exactly, or at or above the threshold), or null.
   * `self`: the id of the text being checked, never reported as its own duplicate (a
   * re-review finds the example already indexed under its own id).
   */
  check(sig: DedupSignature | string, self?: string): DuplicateMatch | null {
    const s = typeof sig === "string" ? dedupSignature(sig) : sig;
    const [hi, lo] = splitKey(s.exact);
    let hit = -1;
    this.exact.forEach(hi, (idx) => {
      if (hit < 0 && this.exactLo[idx] === lo && this.ids[idx] !== self) hit = idx;
    });
    if (hit >= 0) return { kind: "exact", id: this.ids[hit]!, similarity: 1 };
    const near = this.checkNear(s, self);
    if (near || !s.response || !this.responses) return near;
    const same = this.responses.check({ exact: s.response.exact, signature: s.response.signature }, self);
    return same ? { kind: "response", id: same.id, similarity: same.similarity } : null;
  }

  private checkNear(s: DedupSignature, self?: string): DuplicateMatch | null {
    let best: DuplicateMatch | null = null;
    const seen = new Set<number>();
    const keys = bandKeys(s.signature);
    for (let b = 0; b < LSH_BANDS; b++) {
      this.bands.forEach(keys[b]!, (idx) => {
        if (seen.has(idx) || this.ids[idx] === self) return;
        seen.add(idx);
        const other = this.sigs.subarray(idx * MINHASH_PERMUTATIONS, (idx + 1) * MINHASH_PERMUTATIONS);
        const j = estimateJaccard(s.signature, other);
        if (j >= this.threshold && (!best || j > best.similarity))
          best = { kind: "near", id: this.ids[idx]!, similarity: Math.round(j * 1000) / 1000 };
      });
    }
    return best;
  }

  /** Adds a text under `id`. */
  add(id: string, sig: DedupSignature | string): void {
    const s = typeof sig === "string" ? dedupSignature(sig) : sig;
    const idx = this.ids.length;
    this.ids.push(id);
    this.idSet.add(id);
    const [hi, lo] = splitKey(s.exact);
    if (idx >= this.exactLo.length) {
      const bigger = new Uint32Array(this.exactLo.length * 2);
      bigger.set(this.exactLo);
      this.exactLo = bigger;
    }
    this.exactLo[idx] = lo;
    this.exact.add(hi, idx);
    if ((idx + 1) * MINHASH_PERMUTATIONS > this.sigs.length) {
      const bigger = new Uint16Array(this.sigs.length * 2);
      bigger.set(this.sigs);
      this.sigs = bigger;
    }
    this.sigs.set(s.signature, idx * MINHASH_PERMUTATIONS);
    const keys = bandKeys(s.signature);
    for (let b = 0; b < LSH_BANDS; b++) this.bands.add(keys[b]!, idx);
    if (s.response) {
      this.responses ??= new DedupIndex(this.responseThreshold);
      this.responses.add(id, { exact: s.response.exact, signature: s.response.signature });
    }
  }

  /** Checks and, when the text is new, adds it; returns the duplicate match or null. */
  claim(id: string, sig: DedupSignature | string): DuplicateMatch | null {
    const s = typeof sig === "string" ? dedupSignature(sig) : sig;
    const dup = this.check(s, id);
    if (!dup && !this.has(id)) this.add(id, s);
    return dup;
  }

  /** True when a text is indexed under `id`. */
  has(id: string): boolean {
    return this.idSet.has(id);
  }
}
