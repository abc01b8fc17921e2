import type { SourceDocument } from "../../core/types.js";
import { normaliseLicence, unknownLicence } from "../licence.js";
import type { SearchOptions, SourceAdapter } from "../types.js";
import {
  arr,
  buildDocument,
  keywords,
  num,
  obj,
  type RemoteSourceOptions,
  resolveOptions,
  searchLimit,
  str,
  textToParagraphs,
  unexpectedShape,
} from "./common.js";

/** PubChem PUG REST allows 5 requests per second (and 400 a minute). */
export const PUBCHEM_MIN_INTERVAL_MS = 200;

/** Options of {@link pubchemSource}. */
export interface PubchemOptions extends RemoteSourceOptions {
  /**
   * Also return the compound's deposited descriptions (one more request per compound).
   * Their licence is set by each depositor and not stated by PUG REST, so it is unknown.
   * Default true.
   */
  descriptions?: boolean;
  /** Names tried per search (phrases and words of the query). Default 8. */
  maxLookups?: number;
}

/** The computed properties requested, and how each is written in the facts passage. */
const PROPERTIES: Array<[string, string, string?]> = [
  ["IUPACName", "IUPAC name"],
  ["MolecularFormula", "Molecular formula"],
  ["MolecularWeight", "Molecular weight", "g/mol"],
  ["ExactMass", "Exact mass", "Da"],
  ["SMILES", "SMILES"],
  ["InChIKey", "InChIKey"],
  ["XLogP", "XLogP3"],
  ["TPSA", "Topological polar surface area", "Å²"],
  ["HBondDonorCount", "Hydrogen bond donors"],
  ["HBondAcceptorCount", "Hydrogen bond acceptors"],
  ["Charge", "Formal charge"],
];

const LICENCE_EVIDENCE =
  "PubChem computed properties: NCBI data, a US government work in the public domain (pubchem.ncbi.nlm.nih.gov/docs/downloads, Data Licensing)";

/**
 * The facts passage of a compound: PUG REST's computed properties written out, each
 * value exactly as PubChem returned it.
 */
export function compoundFacts(p: Record<string, unknown>): string | null {
  const cid = num(p.CID);
  if (cid === null) return null;
  const title = str(p.Title);
  const parts: string[] = [`${title ?? `Compound CID ${cid}`} (PubChem CID ${cid}).`];
  for (const [key, label, unit] of PROPERTIES) {
    const v =
      str(p[key]) ??
      (key === "SMILES"
        ? (str(p.CanonicalSMILES) ?? str(p.IsomericSMILES) ?? str(p.ConnectivitySMILES))
        : null);
    if (v !== null) parts.push(`${label}: ${v}${unit ? ` ${unit}` : ""}.`);
  }
  return parts.length > 1 ? parts.join(" ") : null;
}

/** Names worth trying for a query: the query itself when short, then two-word phrases and words. */
export function compoundCandidates(query: string, max: number): string[] {
  const q = query.trim();
  const words = keywords(q, 8);
  const phrases = words.slice(0, -1).map((w, i) => `${w} ${words[i + 1]}`);
  const all = [...(q.split(/\s+/).length <= 4 ? [q] : []), ...phrases, ...words.filter((w) => w.length >= 3)];
  return all.filter((c, i) => c && all.indexOf(c) === i).slice(0, max);
}

/**
 * PubChem PUG REST: compounds by name (the query, or names found in it) with their
 * computed properties as a facts passage (public domain), plus deposited descriptions
 * (licence unknown, set by each depositor).
 */
export function pubchemSource(opts: PubchemOptions = {}): SourceAdapter {
  const o = resolveOptions(opts, "pubchem", "https://pubchem.ncbi.nlm.nih.gov");
  const withDescriptions = opts.descriptions ?? true;
  const rest = `${o.baseUrl}/rest/pug`;
  const req = (url: string, signal?: AbortSignal) => ({
    adapter: o.id,
    url,
    minIntervalMs: PUBCHEM_MIN_INTERVAL_MS,
    allowStatus: [400, 404],
    ...(signal ? { signal } : {}),
  });

  async function byName(name: string, signal?: AbortSignal): Promise<Record<string, unknown>[]> {
    const { data, response } = await o.http.getJson(
      req(
        `${rest}/compound/name/${encodeURIComponent(name)}/property/Title,${PROPERTIES.map(([k]) => k).join(",")}/JSON`,
        signal,
      ),
    );
    const root = obj(data);
    if (response.status !== 200) {
      // PUGREST.NotFound ("No CID found") and PUGREST.BadRequest (not a usable name) mean: no such compound.
      const code = str(obj(root?.Fault)?.Code);
      if (code === "PUGREST.NotFound" || code === "PUGREST.BadRequest" || response.status === 404) return [];
      unexpectedShape(o.id, response, `HTTP ${response.status} without a PUG REST Fault`);
    }
    if (!root) unexpectedShape(o.id, response, "not a JSON object");
    const table = obj(root.PropertyTable);
    if (!table) unexpectedShape(o.id, response, "no PropertyTable");
    return arr(table.Properties)
      .map(obj)
      .filter((p): p is Record<string, unknown> => p !== null && num(p.CID) !== null);
  }

  async function descriptions(cid: number, query: string, signal?: AbortSignal): Promise<SourceDocument[]> {
    const { data, response } = await o.http.getJson(
      req(`${rest}/compound/cid/${cid}/description/JSON`, signal),
    );
    if (response.status !== 200) return [];
    const info = arr(obj(obj(data)?.InformationList)?.Information).map(obj);
    const title = str(info.find((i) => str(i?.Title))?.Title) ?? `CID ${cid}`;
    const docs: SourceDocument[] = [];
    for (const i of info) {
      const text = str(i?.Description);
      if (!i || !text) continue;
      const by = str(i.DescriptionSourceName) ?? "a PubChem depositor";
      const doc = buildDocument({
        adapter: o.id,
        url: str(i.DescriptionURL) ?? `https://pubchem.ncbi.nlm.nih.gov/compound/${cid}`,
        title: `${title}: description from ${by}`,
        authors: [by],
        published: null,
        licence: unknownLicence(
          `PubChem description deposited by ${by}: licence set by the depositor, not stated by PUG REST`,
        ),
        paragraphs: textToParagraphs(text),
        query,
        passagesPerDocument: o.passagesPerDocument,
      });
      if (doc) docs.push(doc);
    }
    return docs;
  }

  return {
    id: o.id,
    description:
      "PubChem PUG REST compound facts (computed properties, public domain) and deposited descriptions (licence unknown)",
    async search(query: string, searchOpts: SearchOptions = {}): Promise<SourceDocument[]> {
      const limit = searchLimit(searchOpts.limit, o.limit, 50);
      const signal = searchOpts.signal;
      const compounds = new Map<number, Record<string, unknown>>();
      const candidates = /^\d+$/.test(query.trim()) ? [] : compoundCandidates(query, opts.maxLookups ?? 8);
      if (/^\d+$/.test(query.trim())) {
        const { data, response } = await o.http.getJson(
          req(
            `${rest}/compound/cid/${query.trim()}/property/Title,${PROPERTIES.map(([k]) => k).join(",")}/JSON`,
            signal,
          ),
        );
        if (response.status === 200)
          for (const p of arr(obj(obj(data)?.PropertyTable)?.Properties).map(obj))
            if (p && num(p.CID) !== null) compounds.set(num(p.CID)!, p);
      }
      for (const name of candidates) {
        if (compounds.size >= limit) break;
        for (const p of (await byName(name, signal)).slice(0, 1)) compounds.set(num(p.CID)!, p);
      }
      const docs: SourceDocument[] = [];
      for (const [cid, p] of [...compounds].slice(0, limit)) {
        const facts = compoundFacts(p);
        const doc = facts
          ? buildDocument({
              adapter: o.id,
              url: `https://pubchem.ncbi.nlm.nih.gov/compound/${cid}`,
              title: str(p.Title) ?? str(p.IUPACName) ?? `CID ${cid}`,
              authors: ["PubChem (NCBI)"],
              published: null,
              licence: normaliseLicence("public-domain", LICENCE_EVIDENCE),
              paragraphs: [facts],
              query,
              passagesPerDocument: o.passagesPerDocument,
            })
          : null;
        if (doc) docs.push(doc);
        if (withDescriptions) docs.push(...(await descriptions(cid, query, signal)));
      }
      return docs;
    },
  };
}
