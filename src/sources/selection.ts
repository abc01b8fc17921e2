/**
 * Source selection: which configured sources research uses for a plan's domain. The domain
 * table names sources by their registry ids (`listSources()`), spelled as registered.
 */

import { listSources } from "./registry.js";
import type { SourceAdapter } from "./types.js";

/**
 * Which source adapters suit a domain, by adapter id, best first. A research run uses
 * the configured sources whose ids are listed for the plan's domain, plus every
 * configured source that is not a public catalogue (local files, the bundled corpus, MCP
 * servers). When none of the listed ones is configured, every configured source is used.
 */
export const DEFAULT_DOMAIN_SOURCES: Readonly<Record<string, readonly string[]>> = {
  chemistry: ["pubchem", "chemrxiv", "pubmed", "europePmc", "wikipedia"],
  mathematics: ["arxiv", "wikipedia"],
  code: ["github", "stackExchange", "wikipedia", "arxiv"],
  medicine: ["pubmed", "europePmc", "biorxiv", "medrxiv", "semanticScholar", "wikipedia"],
  biology: ["pubmed", "europePmc", "biorxiv", "plos", "wikipedia"],
  physics: ["arxiv", "semanticScholar", "wikipedia"],
  law: ["wikipedia"],
  /** Any other domain (history, economics, cooking...): the general catalogues. */
  general: ["wikipedia", "openalex", "crossref"],
};

/**
 * Ids of the public catalogues: every registered source that calls a remote API (the
 * built-in REST adapters and any remote source a host registers). A configured source
 * that is none of these, nor listed in the domain table, is "local" (local files, the
 * bundled corpus, MCP servers) and always used. Ids compare by {@link sourceIdKey}.
 */
export function catalogueSourceIds(): string[] {
  return listSources()
    .filter((d) => d.remote)
    .map((d) => d.id);
}

/** Keys of the catalogue sources and of every source a domain table lists. */
function catalogueKeys(table: Readonly<Record<string, readonly string[]>>): Set<string> {
  return new Set([...catalogueSourceIds(), ...Object.values(table).flat()].map(sourceIdKey));
}

/** Domain names in plan text → keys of the domain table. */
const DOMAIN_WORDS: Array<[RegExp, string]> = [
  [/chem/i, "chemistry"],
  [/math|algebra|calcul|geometr|statist|probab|number theory/i, "mathematics"],
  [/code|coding|program|software|comput|python|javascript|typescript|algorithm|sql/i, "code"],
  [/medic|clinic|health|pharma|disease|nursing/i, "medicine"],
  [/biolog|genet|ecolog|cell|bioinf|neuro/i, "biology"],
  [/physic|mechanic|quantum|astro/i, "physics"],
  [/law|legal/i, "law"],
];

/** A source id compared case- and punctuation-insensitively ("Europe-PMC" is "europepmc"). */
export const sourceIdKey = (id: string) => id.toLowerCase().replace(/[^a-z0-9]/g, "");

/** The domain key of the plan's domain (or topic), or null when none matches. */
export function domainKey(
  domain: string,
  table: Readonly<Record<string, readonly string[]>> = DEFAULT_DOMAIN_SOURCES,
): string | null {
  const d = domain.trim().toLowerCase();
  const exact = Object.keys(table).find((k) => k.toLowerCase() === d);
  if (exact) return exact;
  for (const [re, key] of DOMAIN_WORDS) if (re.test(d) && key in table) return key;
  const partial = Object.keys(table).find((k) => d.includes(k.toLowerCase()));
  return partial ?? null;
}

/**
 * The configured sources research uses for a domain (see {@link DEFAULT_DOMAIN_SOURCES}):
 * the listed catalogue adapters that are configured, in the list's order, then every
 * non-catalogue source. A domain the table does not list, or whose listed adapters are
 * none of the configured ones, uses the table's `general` list (Wikipedia, OpenAlex,
 * Crossref) the same way; all sources when none of those is configured either.
 */
export function sourcesForDomain(
  sources: SourceAdapter[],
  domain: string | null | undefined,
  domainSources: Readonly<Record<string, readonly string[]>> = DEFAULT_DOMAIN_SOURCES,
): SourceAdapter[] {
  if (!domain) return sources;
  const catalogue = catalogueKeys(domainSources);
  const local = sources.filter((s) => !catalogue.has(sourceIdKey(s.id)));
  const pick = (key: string | null) => {
    const wanted = key ? (domainSources[key] ?? []).map(sourceIdKey) : [];
    return wanted.flatMap((w) => sources.filter((s) => sourceIdKey(s.id) === w));
  };
  let listed = pick(domainKey(domain, domainSources));
  if (listed.length === 0 && "general" in domainSources) listed = pick("general");
  if (listed.length === 0) return sources;
  return [...new Set([...listed, ...local])];
}

/**
 * The sources that are not public catalogues (local files, the bundled corpus, MCP
 * servers): cheap to search again for more documents. Catalogues (rate-limited public
 * APIs) are searched once per sub-topic.
 */
export function localSources(sources: SourceAdapter[]): SourceAdapter[] {
  const catalogue = catalogueKeys(DEFAULT_DOMAIN_SOURCES);
  return sources.filter((s) => !catalogue.has(sourceIdKey(s.id)));
}
