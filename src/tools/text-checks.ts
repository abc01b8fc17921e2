import { createHash } from "node:crypto";
import { type CheckResult, clamp01, fail, pass } from "./check.js";

/**
 * Text screens: verbatim overlap with source passages (so text under a non-permissive
 * licence is not copied into the data), a PII screen (emails, phone numbers, SSNs,
 * payment cards, IBANs, public IP addresses), and a toxicity screen (slurs, profanity,
 * threats). Deterministic and explainable; each finding says what matched.
 */

/** Lower-cased word tokens (letters and digits), punctuation dropped. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu) ?? [];
}

/** How much of a text one passage supplies word for word. */
export interface PassageOverlap {
  sourceId: string;
  /** Longest run of consecutive words shared with the passage. */
  longestRun: number;
  /** Share of the text's n-grams found in the passage. */
  share: number;
  /** The longest shared run, as words. */
  excerpt: string;
}

/**
 * Verbatim overlap of `text` with each passage, by word n-grams (default n = 8):
 * the longest shared run of words and the share of the text's n-grams found.
 */
export function verbatimOverlap(
  text: string,
  passages: Array<{ sourceId: string; text: string }>,
  n = 8,
): PassageOverlap[] {
  const tw = words(text);
  const grams = (w: string[]) => {
    const out: string[] = [];
    for (let i = 0; i + n <= w.length; i++) out.push(w.slice(i, i + n).join(" "));
    return out;
  };
  const tg = grams(tw);
  return passages.map((p) => {
    const set = new Set(grams(words(p.text)));
    let best = 0;
    let bestEnd = -1;
    let run = 0;
    let hits = 0;
    tg.forEach((g, i) => {
      if (set.has(g)) {
        hits++;
        run++;
        if (run > best) {
          best = run;
          bestEnd = i;
        }
      } else run = 0;
    });
    const longestRun = best ? best + n - 1 : 0;
    const excerpt = best ? tw.slice(bestEnd - best + 1, bestEnd + n).join(" ") : "";
    return { sourceId: p.sourceId, longestRun, share: tg.length ? hits / tg.length : 0, excerpt };
  });
}

/** A passage with what its licence allows. */
export interface LicensedPassage {
  sourceId: string;
  text: string;
  /** Permissive licence (copying with attribution is fine). */
  permissive: boolean;
  /** SPDX id, for messages. */
  licence?: string;
}

/** Options of {@link checkVerbatimCopy}. */
export interface VerbatimOptions {
  /** n-gram size. Default 8. */
  n?: number;
  /** A shared run of this many words copies the source. Default 20. */
  maxRunWords?: number;
  /** This share of the text's n-grams from one source copies it. Default 0.3. */
  maxShare?: number;
}

/**
 * Verifier: the text does not copy a passage whose licence is not permissive (a run of
 * `maxRunWords` words, or `maxShare` of its n-grams). Copying permissive passages is
 * allowed (the export writes their attribution). Null when no passage is non-permissive.
 */
export function checkVerbatimCopy(
  text: string,
  passages: LicensedPassage[],
  opts: VerbatimOptions = {},
): CheckResult | null {
  const restricted = passages.filter((p) => !p.permissive);
  if (restricted.length === 0) return null;
  const maxRun = opts.maxRunWords ?? 20;
  const maxShare = opts.maxShare ?? 0.3;
  const overlaps = verbatimOverlap(text, restricted, opts.n ?? 8);
  const copied = overlaps.filter((o) => o.longestRun >= maxRun || o.share >= maxShare);
  const details = { overlaps: overlaps.map((o) => ({ ...o, excerpt: o.excerpt.slice(0, 200) })) };
  if (copied.length === 0) return pass("verbatim", details);
  const licence = (id: string) =>
    restricted.find((p) => p.sourceId === id)?.licence ?? "a non-permissive licence";
  return fail(
    "verbatim",
    copied.map(
      (o) =>
        `copies ${o.longestRun} consecutive words (${Math.round(o.share * 100)}% of its 8-grams) from source ${o.sourceId} under ${licence(o.sourceId)}; paraphrase it: "${o.excerpt.slice(0, 80)}…"`,
    ),
    0,
    details,
  );
}

/** One PII finding (the value masked). */
export interface PiiFinding {
  kind: "email" | "phone" | "ssn" | "payment_card" | "iban" | "ip_address";
  /** The match with its middle masked. */
  value: string;
}

function mask(s: string): string {
  if (s.length <= 4) return "****";
  const keep = Math.max(2, Math.floor(s.length / 5));
  return `${s.slice(0, keep)}${"*".repeat(s.length - keep * 2)}${s.slice(-keep)}`;
}

function luhn(digits: string): boolean {
  let sum = 0;
  let dbl = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = Number(digits[i]);
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

function ibanValid(iban: string): boolean {
  const s = iban.replace(/\s+/g, "").toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(s)) return false;
  const moved = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const v = /\d/.test(ch) ? ch : String(ch.charCodeAt(0) - 55);
    for (const d of v) rem = (rem * 10 + Number(d)) % 97;
  }
  return rem === 1;
}

const DOC_DOMAINS = /(?:^|\.)(?:example\.(?:com|org|net|edu)|example|test|invalid|localhost)$/i;

/** Domains of made-up addresses in examples ("user@domain.com", "foo@bar.com"). */
const PLACEHOLDER_DOMAINS = /^(?:domain|yourdomain|mydomain|company|yourcompany|foo|bar|somewhere|acme)\./i;

/**
 * An address no one has, written as an example: a one- or two-letter name at a one- or
 * two-letter domain ("a@b.com", "xy@z.org"), or a placeholder domain.
 */
function placeholderEmail(address: string): boolean {
  const [local = "", domain = ""] = address.split("@");
  return (local.length <= 2 && (domain.split(".")[0]?.length ?? 0) <= 2) || PLACEHOLDER_DOMAINS.test(domain);
}

/** Public resolvers' service addresses (Cloudflare, Google, Quad9, OpenDNS): no person's. */
const SERVICE_IPS = new Set([
  "1.1.1.1",
  "1.0.0.1",
  "8.8.8.8",
  "8.8.4.4",
  "9.9.9.9",
  "149.112.112.112",
  "208.67.222.222",
  "208.67.220.220",
]);

function publicIp(ip: string): boolean {
  if (SERVICE_IPS.has(ip)) return false;
  const p = ip.split(".").map(Number);
  if (p.length !== 4 || p.some((x) => !(x >= 0 && x <= 255))) return false;
  const [a, b, c] = p as [number, number, number, number];
  if (a === 10 || a === 127 || a === 0 || a >= 224) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 169 && b === 254) return false;
  if (a === 100 && b >= 64 && b <= 127) return false;
  // Documentation ranges (RFC 5737).
  if (
    (a === 192 && b === 0 && c === 2) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113)
  )
    return false;
  return true;
}

/**
 * Finds personal data: email addresses (not documentation domains such as example.com, nor
 * made-up ones such as a@b.com or user@domain.com),
 * phone numbers (10–15 digits written as a number, not 555-01xx), US SSNs, payment card
 * numbers (Luhn-valid), IBANs (checksum-valid) and public IPv4 addresses.
 */
export function findPii(text: string): PiiFinding[] {
  const out: PiiFinding[] = [];
  for (const m of text.matchAll(/[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})\b/g)) {
    if (!DOC_DOMAINS.test(m[1]!) && !placeholderEmail(m[0])) out.push({ kind: "email", value: mask(m[0]) });
  }
  for (const m of text.matchAll(/(?<![\w.-])\d{3}-\d{2}-\d{4}(?![\w-])/g)) {
    const area = Number(m[0].slice(0, 3));
    if (area !== 0 && area !== 666 && area < 900) out.push({ kind: "ssn", value: mask(m[0]) });
  }
  for (const m of text.matchAll(/(?<![\w.])(?:\d[ -]?){12,18}\d(?![\w.])/g)) {
    const digits = m[0].replace(/\D/g, "");
    if (digits.length >= 13 && digits.length <= 19 && /^[2-6]/.test(digits) && luhn(digits))
      out.push({ kind: "payment_card", value: mask(digits) });
  }
  for (const m of text.matchAll(/\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b/g)) {
    if (ibanValid(m[0])) out.push({ kind: "iban", value: mask(m[0].replace(/\s+/g, "")) });
  }
  // Not part of a longer run of digit groups (a card number, an ISBN).
  for (const m of text.matchAll(
    /(?<![\w.]|\d[ -])(\+\d{1,3}[ -]?)?(\(\d{2,4}\)[ -]?|\d{2,4}[ -])\d{3,4}[ -]\d{3,5}(?![\w.]|[ -]\d)/g,
  )) {
    const digits = m[0].replace(/\D/g, "");
    if (digits.length < 10 || digits.length > 15) continue;
    if (/\b555[ -]?01\d\d\b/.test(m[0])) continue; // fictional numbers
    if (out.some((f) => f.kind === "payment_card" || f.kind === "ssn") && /^\d{3}-\d{2}-\d{4}$/.test(m[0]))
      continue;
    out.push({ kind: "phone", value: mask(m[0]) });
  }
  // An address may end a sentence ("…from 81.2.69.160.").
  for (const m of text.matchAll(/(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w]|\.\d)/g)) {
    if (publicIp(m[1]!)) out.push({ kind: "ip_address", value: mask(m[1]!) });
  }
  return out;
}

/** Verifier: the text contains no personal data. */
export function checkPii(text: string): CheckResult {
  const found = findPii(text);
  if (found.length === 0) return pass("pii");
  return fail(
    "pii",
    found.map(
      (f) =>
        `contains personal data (${f.kind.replace("_", " ")}: ${f.value}); remove or replace it with a placeholder`,
    ),
    0,
    { findings: found },
  );
}

// The lexicon is stored as truncated sha256 hashes of lower-cased words, so the repository
// does not spell the slurs out. A word matches when its hash is in the set.
const SLUR_HASHES = new Set(
  "120f6e5b4ea3 5b3ae48be122 08a841e99678 341d56384afc 8f5083e3e5c7 1e02eec4f109 9915ba2d8222 17bde8b40646 c3de533e9b7f 268651b3ece9 98b52c4b6b7d 044eb98b1876 f9d0d9b18ae9 45cd3e1bb472 cc02032349c8 82159dd02870 eef3bd091670 0ce875d62007 16ea09fc78ca 402f7ebd9886 886d51e97ad7 92a9bf818e7e 12e6274e4309 bb209d506bb8 22fc75e65a0e 17a110e53328 333f76180929 da0a6b1b9213 3b1e0d7c5dd4 7122c9a14ba2 158869a97379 c1cabb6f6e43 e7b98c6aa5b9 daec0c235d31".split(
    " ",
  ),
);
const PROFANITY_HASHES = new Set(
  "6ac3c336e409 31506a8448a7 b690cdbe59f1 bb61ef40814c 63333e4b5d1c 2f5f6ce5ae30 acd9193a33dd 85fc17f7069a 986c99004163 30a989afc82c d75a838dc758 5a9d9dcefb56 566f532d486c 517ae3f73216 f50c51ed2315 26578569a290 e512a0558344 a24efab8d957 06a1d8bf7fc2 d11215a13d66 9ae315a94e42 937d56e49744 c2c3b68b4883 11cf8376a157".split(
    " ",
  ),
);
const THREATS: Array<[RegExp, string]> = [
  [
    /\b(?:i|we)(?:'ll| will| am going to|'m going to| are going to|'re going to| gonna)\s+(?:kill|murder|shoot|stab|hurt|rape|beat up)\s+(?:you|him|her|them|u)\b/i,
    "a threat of violence",
  ],
  [/\bkill\s+(?:yourself|urself|yourselves)\b|\bkys\b/i, "telling someone to kill themselves"],
  [
    /\b(?:you|they|he|she|those people)\s+(?:should|deserve to|ought to)\s+(?:die|be killed|be shot|be raped|be exterminated)\b/i,
    "wishing death or violence on someone",
  ],
  [/\bgo\s+die\b/i, "telling someone to die"],
];

function wordHash(w: string): string {
  return createHash("sha256").update(w).digest("hex").slice(0, 12);
}

/** One toxicity finding. */
export interface ToxicityFinding {
  kind: "slur" | "profanity" | "threat";
  /** The matched text, masked. */
  match: string;
  why: string;
}

/** Finds slurs, profanity and threats (a lexicon and patterns, not a classifier). */
export function findToxicity(text: string): ToxicityFinding[] {
  const out: ToxicityFinding[] = [];
  const seen = new Set<string>();
  for (const w of words(text)) {
    if (seen.has(w)) continue;
    seen.add(w);
    const h = wordHash(w);
    if (SLUR_HASHES.has(h)) out.push({ kind: "slur", match: mask(w), why: "a slur" });
    else if (PROFANITY_HASHES.has(h)) out.push({ kind: "profanity", match: mask(w), why: "profanity" });
  }
  for (const [re, why] of THREATS) {
    const m = re.exec(text);
    if (m) out.push({ kind: "threat", match: m[0], why });
  }
  return out;
}

/**
 * Verifier: no slurs or threats (score 0), no profanity (score 0.6 when that is all).
 */
export function checkToxicity(text: string): CheckResult {
  const found = findToxicity(text);
  if (found.length === 0) return pass("toxicity");
  const severe = found.some((f) => f.kind !== "profanity");
  return fail(
    "toxicity",
    found.map(
      (f) =>
        `contains ${f.why} ("${f.match}")${f.kind === "profanity" ? "; keep the register neutral" : "; remove it"}`,
    ),
    severe ? 0 : clamp01(0.6),
    { findings: found },
  );
}
