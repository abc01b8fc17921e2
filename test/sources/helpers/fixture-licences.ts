import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** Where the shared recorded API responses live (never copied into the repo). */
export const FIXTURES = "/work/shared/fixtures";

/** One licence value found in a fixture: file, API field (path with [] for arrays) and value. */
export interface FoundLicence {
  file: string;
  field: string;
  value: string | null;
}

const LICENCE_KEY = /^licen[cs]e(?:_id|_terms|_url)?$/i;
/** Fields of a licence object that name the licence (GitHub, Crossref, DOAJ, Hugging Face). */
const LICENCE_OBJECT_FIELDS = new Set(["URL", "url", "type", "title", "spdx_id", "key", "name"]);

function walk(v: unknown, path: string, file: string, out: FoundLicence[], inLicence: boolean): void {
  if (Array.isArray(v)) {
    for (const x of v) walk(x, `${path}[]`, file, out, inLicence);
    return;
  }
  if (typeof v === "string") {
    // Licences inside embedded records (CORE's rawRecordXml carries OAI-PMH dc:rights).
    for (const m of v.matchAll(/<dc:rights>([\s\S]*?)<\/dc:rights>/g))
      out.push({ file, field: `${path} <dc:rights>`, value: m[1]!.trim() });
    // Hugging Face tags: "license:apache-2.0".
    if (path.endsWith(".tags[]") && /^license:/i.test(v)) out.push({ file, field: path, value: v });
    return;
  }
  if (!v || typeof v !== "object") return;
  for (const [k, x] of Object.entries(v)) {
    const p = `${path}.${k}`;
    const isLicenceKey = LICENCE_KEY.test(k);
    if (
      (isLicenceKey || (inLicence && LICENCE_OBJECT_FIELDS.has(k))) &&
      (typeof x === "string" || x === null)
    ) {
      out.push({ file, field: p, value: x });
    }
    walk(x, p, file, out, inLicence || isLicenceKey);
  }
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? files(full) : [full];
  });
}

/**
 * Every licence value in the recorded fixtures, grep-like: JSON fields named
 * `license`/`licence` (and `license_id`, `license_terms`, `license_url`), the naming
 * fields of licence objects (`URL`, `url`, `type`, `title`, `spdx_id`, `key`, `name`),
 * Hugging Face `license:` tags and OAI-PMH `<dc:rights>` inside embedded records; XML
 * licence elements and attributes. Gemini fixtures are model responses, not sources.
 */
export function fixtureLicences(root = FIXTURES): FoundLicence[] {
  const out: FoundLicence[] = [];
  for (const full of files(root)) {
    const file = relative(root, full);
    if (file.startsWith("gemini/")) continue;
    if (full.endsWith(".json")) {
      let data: unknown;
      try {
        data = JSON.parse(readFileSync(full, "utf8"));
      } catch {
        continue; // malformed on purpose: no licence to read
      }
      walk(data, "", file, out, false);
      // Crossref's /licenses endpoint lists licence URLs as message.items[].URL.
      const root = data as { "message-type"?: string; message?: { items?: Array<{ URL?: unknown }> } };
      if (root?.["message-type"] === "license-list") {
        for (const item of root.message?.items ?? [])
          if (typeof item.URL === "string")
            out.push({ file, field: ".message.items[].URL", value: item.URL });
      }
    } else if (full.endsWith(".xml")) {
      const xml = readFileSync(full, "utf8");
      for (const m of xml.matchAll(/<((?:\w+:)?(?:licen[cs]e|rights))\b[^>]*>([^<]*)</gi))
        out.push({ file, field: `<${m[1]}>`, value: m[2]!.trim() });
      for (const m of xml.matchAll(/\blicen[cs]e(?:-type|_ref)?="([^"]*)"/gi))
        out.push({ file, field: "@license", value: m[1]! });
      for (const m of xml.matchAll(/xlink:href="(https?:\/\/creativecommons\.org\/[^"]*)"/gi))
        out.push({ file, field: "@xlink:href", value: m[1]! });
    }
  }
  return out;
}
