import type { Licence } from "../core/types.js";

/**
 * Licence normalisation: whatever a source says becomes an SPDX id plus flags.
 *
 * Accepted input: licence URLs (Creative Commons with or without `www`, http or https,
 * upper or lower case, trailing `legalcode` / `deed.en` / jurisdiction ports; arXiv,
 * OpenAlex, GitHub, opensource.org, GNU, Apache and Open Data Commons URLs; publisher
 * text-and-data-mining URLs), names ("CC BY 4.0", "cc-by-nc-nd", "CC-BY-NC-SA-4.0",
 * "CCBYNCND", "cc_by_nc_nd", "Creative Commons Attribution 4.0 International",
 * "GNU Lesser General Public License v3.0"), SPDX ids (current and deprecated), Hugging
 * Face licence ids ("apache-2.0", "openrail++", "other"), API vocabularies ("other-oa",
 * "publisher-specific-oa", "cc_no", "public-domain", "pd"), licence objects (GitHub's
 * `{ spdx_id, key, name }`, Crossref's `{ URL, content-version }`, DOAJ's `{ type }`),
 * lists of those, and empty or missing values.
 *
 * Unknown stays unknown (`spdx: "unknown"`) and is never permissive.
 *
 * "Permissive" means: the text may be used to make derived training data, including
 * commercially. Share-alike licences (CC-BY-SA, GPL, ODbL) are permissive with
 * `shareAlike: true` (the dataset inherits the obligation); NonCommercial and
 * NoDerivatives licences, licences with use restrictions (RAIL, Llama, Gemma), arXiv's
 * non-exclusive distribution licence, publisher text-and-data-mining licences and
 * "free to read" open access without a licence are not permissive.
 */

interface LicenceInfo {
  spdx: string;
  url: string | null;
  attributionRequired: boolean;
  commercialUseAllowed: boolean;
  shareAlike: boolean;
  noDerivatives: boolean;
  /** Set when the licence is not permissive for a reason the flags do not show. */
  restricted?: string;
}

const CC_VERSIONS = new Set(["1.0", "2.0", "2.1", "2.5", "3.0", "4.0"]);
/** Creative Commons jurisdiction ports that have their own SPDX id. */
const CC_PORTED_SPDX = new Set([
  "CC-BY-2.5-AU",
  "CC-BY-3.0-AT",
  "CC-BY-3.0-AU",
  "CC-BY-3.0-DE",
  "CC-BY-3.0-IGO",
  "CC-BY-3.0-NL",
  "CC-BY-3.0-US",
  "CC-BY-NC-3.0-DE",
  "CC-BY-NC-ND-3.0-DE",
  "CC-BY-NC-ND-3.0-IGO",
  "CC-BY-NC-SA-2.0-DE",
  "CC-BY-NC-SA-2.0-FR",
  "CC-BY-NC-SA-2.0-UK",
  "CC-BY-NC-SA-3.0-DE",
  "CC-BY-NC-SA-3.0-IGO",
  "CC-BY-ND-3.0-DE",
  "CC-BY-SA-2.0-UK",
  "CC-BY-SA-2.1-JP",
  "CC-BY-SA-3.0-AT",
  "CC-BY-SA-3.0-DE",
  "CC-BY-SA-3.0-IGO",
]);

/** The Creative Commons licence with these elements ("by-nc-sa") and version. */
function cc(elements: string[], version: string, port?: string): LicenceInfo {
  const parts = ["by", ...(["nc", "nd", "sa"] as const).filter((e) => elements.includes(e))];
  // NoDerivatives and ShareAlike never combine; "by-sa-nd" is someone's typo: keep the stricter ND.
  const canonical = parts.includes("nd") ? parts.filter((p) => p !== "sa") : parts;
  const slug = canonical.join("-");
  const v = CC_VERSIONS.has(version) ? version : "4.0";
  const portedId = port ? `CC-${slug.toUpperCase()}-${v}-${port.toUpperCase()}` : null;
  const spdx = portedId && CC_PORTED_SPDX.has(portedId) ? portedId : `CC-${slug.toUpperCase()}-${v}`;
  return {
    spdx,
    url: `https://creativecommons.org/licenses/${slug}/${v}/${port ? `${port.toLowerCase()}/` : ""}`,
    attributionRequired: true,
    commercialUseAllowed: !canonical.includes("nc"),
    shareAlike: canonical.includes("sa"),
    noDerivatives: canonical.includes("nd"),
  };
}

const open = (spdx: string, url: string | null, extra: Partial<LicenceInfo> = {}): LicenceInfo => ({
  spdx,
  url,
  attributionRequired: true,
  commercialUseAllowed: true,
  shareAlike: false,
  noDerivatives: false,
  ...extra,
});
const copyleft = (spdx: string, url: string): LicenceInfo => open(spdx, url, { shareAlike: true });
const noAttribution = (spdx: string, url: string | null): LicenceInfo =>
  open(spdx, url, { attributionRequired: false });
const closed = (
  spdx: string,
  url: string | null,
  restricted: string,
  extra: Partial<LicenceInfo> = {},
): LicenceInfo => ({
  spdx,
  url,
  attributionRequired: true,
  commercialUseAllowed: false,
  shareAlike: false,
  noDerivatives: true,
  restricted,
  ...extra,
});

const GNU = "https://www.gnu.org/licenses";
const OSI = "https://opensource.org/licenses";

/** Every non-Creative-Commons licence we recognise, by SPDX id (or LicenseRef). */
const KNOWN: Record<string, LicenceInfo> = Object.fromEntries(
  [
    noAttribution("CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    noAttribution("LicenseRef-PublicDomain", "https://creativecommons.org/publicdomain/mark/1.0/"),
    noAttribution("Unlicense", "https://unlicense.org/"),
    noAttribution("0BSD", `${OSI}/0BSD`),
    noAttribution("WTFPL", "http://www.wtfpl.net/"),
    noAttribution("PDDL-1.0", "https://opendatacommons.org/licenses/pddl/1-0/"),
    open("MIT", `${OSI}/MIT`),
    open("MIT-0", `${OSI}/MIT-0`, { attributionRequired: false }),
    open("Apache-2.0", "https://www.apache.org/licenses/LICENSE-2.0"),
    open("BSD-2-Clause", `${OSI}/BSD-2-Clause`),
    open("BSD-3-Clause", `${OSI}/BSD-3-Clause`),
    open("BSD-3-Clause-Clear", "https://spdx.org/licenses/BSD-3-Clause-Clear.html"),
    open("ISC", `${OSI}/ISC`),
    open("Zlib", `${OSI}/Zlib`),
    open("BSL-1.0", "https://www.boost.org/LICENSE_1_0.txt"),
    open("AFL-3.0", `${OSI}/AFL-3.0`),
    open("Artistic-2.0", `${OSI}/Artistic-2.0`),
    open("PostgreSQL", `${OSI}/PostgreSQL`),
    open("NCSA", `${OSI}/NCSA`),
    open("ECL-2.0", `${OSI}/ECL-2.0`),
    open("MS-PL", `${OSI}/MS-PL`),
    open("Python-2.0", `${OSI}/Python-2.0`),
    open("ODC-By-1.0", "https://opendatacommons.org/licenses/by/1-0/"),
    open("CDLA-Permissive-1.0", "https://cdla.dev/permissive-1-0/"),
    open("CDLA-Permissive-2.0", "https://cdla.dev/permissive-2-0/"),
    copyleft("CDLA-Sharing-1.0", "https://cdla.dev/sharing-1-0/"),
    copyleft("ODbL-1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
    copyleft("GPL-2.0-only", `${GNU}/old-licenses/gpl-2.0.html`),
    copyleft("GPL-2.0-or-later", `${GNU}/old-licenses/gpl-2.0.html`),
    copyleft("GPL-3.0-only", `${GNU}/gpl-3.0.html`),
    copyleft("GPL-3.0-or-later", `${GNU}/gpl-3.0.html`),
    copyleft("LGPL-2.1-only", `${GNU}/old-licenses/lgpl-2.1.html`),
    copyleft("LGPL-2.1-or-later", `${GNU}/old-licenses/lgpl-2.1.html`),
    copyleft("LGPL-3.0-only", `${GNU}/lgpl-3.0.html`),
    copyleft("LGPL-3.0-or-later", `${GNU}/lgpl-3.0.html`),
    copyleft("AGPL-3.0-only", `${GNU}/agpl-3.0.html`),
    copyleft("AGPL-3.0-or-later", `${GNU}/agpl-3.0.html`),
    copyleft("GFDL-1.3-or-later", `${GNU}/fdl-1.3.html`),
    copyleft("MPL-2.0", "https://www.mozilla.org/MPL/2.0/"),
    copyleft("EPL-1.0", "https://www.eclipse.org/legal/epl-v10.html"),
    copyleft("EPL-2.0", "https://www.eclipse.org/legal/epl-2.0/"),
    copyleft("EUPL-1.1", "https://joinup.ec.europa.eu/collection/eupl/eupl-text-11-12"),
    copyleft("EUPL-1.2", "https://joinup.ec.europa.eu/collection/eupl/eupl-text-eupl-12"),
    copyleft("OSL-3.0", `${OSI}/OSL-3.0`),
    copyleft("OFL-1.1", "https://openfontlicense.org/"),
    copyleft("LPPL-1.3c", "https://www.latex-project.org/lppl/lppl-1-3c/"),
    // Use-restricted model licences: commercial use and derivatives allowed, but the use
    // restrictions travel with anything derived, so generated training data is not "free".
    closed(
      "OpenRAIL",
      "https://huggingface.co/blog/open_rail",
      "use-based restrictions (RAIL) travel with derived data",
      { commercialUseAllowed: true, noDerivatives: false },
    ),
    closed(
      "LicenseRef-OpenRAIL-M",
      "https://www.licenses.ai/",
      "use-based restrictions (RAIL) travel with derived data",
      { commercialUseAllowed: true, noDerivatives: false },
    ),
    closed(
      "LicenseRef-OpenRAIL++-M",
      "https://huggingface.co/stabilityai/stable-diffusion-2/blob/main/LICENSE-MODEL",
      "use-based restrictions (OpenRAIL++-M) travel with derived data",
      { commercialUseAllowed: true, noDerivatives: false },
    ),
    closed(
      "CreativeML-OpenRAIL-M",
      "https://huggingface.co/spaces/CompVis/stable-diffusion-license",
      "use-based restrictions (RAIL) travel with derived data",
      { commercialUseAllowed: true, noDerivatives: false },
    ),
    closed(
      "BigScience-OpenRAIL-M",
      "https://www.licenses.ai/blog/2022/8/26/bigscience-open-rail-m-license",
      "use-based restrictions (RAIL) travel with derived data",
      { commercialUseAllowed: true, noDerivatives: false },
    ),
    closed(
      "BigScience-BLOOM-RAIL-1.0",
      "https://bigscience.huggingface.co/blog/the-bigscience-rail-license",
      "use-based restrictions (RAIL) travel with derived data",
      { commercialUseAllowed: true, noDerivatives: false },
    ),
    closed(
      "LicenseRef-Llama",
      "https://www.llama.com/llama-downloads/",
      "Llama community licence: acceptable-use policy and user caps",
      { commercialUseAllowed: true, noDerivatives: false },
    ),
    closed(
      "LicenseRef-Gemma",
      "https://ai.google.dev/gemma/terms",
      "Gemma terms of use: prohibited-use policy",
      { commercialUseAllowed: true, noDerivatives: false },
    ),
    closed(
      "C-UDA-1.0",
      "https://github.com/microsoft/Computational-Use-of-Data-Agreement",
      "computational use only; no redistribution of the data",
      { noDerivatives: false },
    ),
    // Scholarly vocabularies.
    closed(
      "LicenseRef-arXiv-nonexclusive-distrib-1.0",
      "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
      "arXiv's non-exclusive licence to distribute grants rights to arXiv only",
    ),
    closed(
      "LicenseRef-arXiv-assumed-1991-2003",
      "http://arxiv.org/licenses/assumed-1991-2003/",
      "arXiv's assumed licence for 1991-2003 submissions grants rights to arXiv only",
    ),
    closed(
      "LicenseRef-publisher-tdm",
      null,
      "a publisher's text-and-data-mining licence permits mining, not redistribution of derived text",
    ),
    closed(
      "LicenseRef-publisher-specific-oa",
      null,
      "free to read under the publisher's own terms; no reuse licence",
    ),
    closed("LicenseRef-other-oa", null, "free to read; no reuse licence stated"),
    closed("LicenseRef-all-rights-reserved", null, "all rights reserved (no Creative Commons licence)"),
  ].map((i) => [i.spdx, i]),
);

/** Names and ids (lower case, separators as "-") that mean a KNOWN licence. */
const ALIASES: Array<[RegExp, string]> = [
  [
    /^(?:cc0|cc-?zero|cc-0|cc0-1\.0|cc0-1|creative-commons-zero(?:-v1\.0)?(?:-universal)?|cc0-ng|publicdomain-zero)$/,
    "CC0-1.0",
  ],
  [
    /^(?:public-?domain(?:-mark)?(?:-1\.0)?|pd|pdm|us-gov(?:ernment)?(?:-work)?|no-known-copyright|publicdomain-mark)$/,
    "LicenseRef-PublicDomain",
  ],
  [/^(?:mit|mit-license|the-mit-license|expat|mit-licen[cs]e)$/, "MIT"],
  [/^(?:mit-0|mit-no-attribution)$/, "MIT-0"],
  [
    /^(?:apache|apache-?2(?:\.0)?|apache-license-?2\.0|apache-license-version-2\.0|apache-software-license|asl-2\.0|al-2\.0)$/,
    "Apache-2.0",
  ],
  [
    /^(?:bsd-?2(?:-clause)?(?:-simplified)?|bsd-2-clause-"?simplified"?-license|simplified-bsd)$/,
    "BSD-2-Clause",
  ],
  [
    /^(?:bsd|bsd-?3(?:-clause)?|new-bsd|revised-bsd|bsd-3-clause-"?new"?-or-"?revised"?-license|modified-bsd)$/,
    "BSD-3-Clause",
  ],
  [/^bsd-3-clause-clear(?:-license)?$/, "BSD-3-Clause-Clear"],
  [/^0bsd$/, "0BSD"],
  [/^(?:unlicense|the-unlicense|unlicensed-public-domain)$/, "Unlicense"],
  [/^wtfpl$/, "WTFPL"],
  [/^isc(?:-license)?$/, "ISC"],
  [/^(?:zlib|zlib-license)$/, "Zlib"],
  [/^(?:bsl-1\.0|boost(?:-software-license-1\.0)?)$/, "BSL-1.0"],
  [/^afl-3\.0$/, "AFL-3.0"],
  [/^artistic-2\.0$/, "Artistic-2.0"],
  [/^postgresql$/, "PostgreSQL"],
  [/^ncsa$/, "NCSA"],
  [/^ecl-2\.0$/, "ECL-2.0"],
  [/^ms-pl$/, "MS-PL"],
  [/^(?:python-2\.0|psf(?:-2\.0)?)$/, "Python-2.0"],
  [/^(?:gpl-?2(?:\.0)?(?:-only)?|gnu-general-public-license-v2\.0)$/, "GPL-2.0-only"],
  [/^gpl-?2(?:\.0)?(?:-or-later|\+)$/, "GPL-2.0-or-later"],
  [/^(?:gpl|gpl-?3(?:\.0)?(?:-only)?|gnu-general-public-license-v3\.0|gnu-gpl-v3)$/, "GPL-3.0-only"],
  [/^gpl-?3(?:\.0)?(?:-or-later|\+)$/, "GPL-3.0-or-later"],
  [/^(?:lgpl-?2\.1(?:-only)?|gnu-lesser-general-public-license-v2\.1)$/, "LGPL-2.1-only"],
  [/^lgpl-?2\.1(?:-or-later|\+)$/, "LGPL-2.1-or-later"],
  [/^(?:lgpl|lgpl-?3(?:\.0)?(?:-only)?|gnu-lesser-general-public-license-v3\.0)$/, "LGPL-3.0-only"],
  [/^lgpl-?3(?:\.0)?(?:-or-later|\+)$/, "LGPL-3.0-or-later"],
  [/^(?:agpl|agpl-?3(?:\.0)?(?:-only)?|gnu-affero-general-public-license-v3\.0)$/, "AGPL-3.0-only"],
  [/^agpl-?3(?:\.0)?(?:-or-later|\+)$/, "AGPL-3.0-or-later"],
  [/^(?:gfdl|gfdl-1\.3(?:-or-later|-only)?|gnu-free-documentation-license(?:-v1\.3)?)$/, "GFDL-1.3-or-later"],
  [/^(?:mpl-?2(?:\.0)?|mozilla-public-license-2\.0)$/, "MPL-2.0"],
  [/^epl-1\.0$/, "EPL-1.0"],
  [/^(?:epl-2\.0|eclipse-public-license-2\.0)$/, "EPL-2.0"],
  [/^eupl-1\.1$/, "EUPL-1.1"],
  [/^(?:eupl-1\.2|european-union-public-licen[cs]e-1\.2)$/, "EUPL-1.2"],
  [/^osl-3\.0$/, "OSL-3.0"],
  [/^(?:ofl-1\.1|sil-open-font-license-1\.1)$/, "OFL-1.1"],
  [/^lppl-1\.3c$/, "LPPL-1.3c"],
  [/^(?:odc-?by(?:-1\.0)?|open-data-commons-attribution-license)$/, "ODC-By-1.0"],
  [/^(?:odbl(?:-1\.0)?|open-database-license)$/, "ODbL-1.0"],
  [/^pddl(?:-1\.0)?$/, "PDDL-1.0"],
  [/^cdla-permissive-1\.0$/, "CDLA-Permissive-1.0"],
  [/^cdla-permissive-2\.0$/, "CDLA-Permissive-2.0"],
  [/^cdla-sharing-1\.0$/, "CDLA-Sharing-1.0"],
  [/^openrail$/, "OpenRAIL"],
  [/^openrail-?m$/, "LicenseRef-OpenRAIL-M"],
  [/^openrail\+\+(?:-m)?$/, "LicenseRef-OpenRAIL++-M"],
  [/^creativeml-openrail-m$/, "CreativeML-OpenRAIL-M"],
  [/^bigscience-openrail-m$/, "BigScience-OpenRAIL-M"],
  [/^bigscience-bloom-rail-1\.0$/, "BigScience-BLOOM-RAIL-1.0"],
  [/^(?:llama[234](?:\.\d)?|llama-?\d(?:\.\d)?-community(?:-license)?)$/, "LicenseRef-Llama"],
  [/^gemma$/, "LicenseRef-Gemma"],
  [/^c-uda$/, "C-UDA-1.0"],
  [/^(?:other-oa|implied-oa|unspecified-oa|bronze|free-to-read)$/, "LicenseRef-other-oa"],
  [
    /^(?:publisher-specific-oa|publisher-specific|publisher-specific-license)$/,
    "LicenseRef-publisher-specific-oa",
  ],
  [/^(?:cc-no|all-rights-reserved|copyright|©)$/, "LicenseRef-all-rights-reserved"],
  [/^arxiv-nonexclusive-distrib(?:-1\.0)?$/, "LicenseRef-arXiv-nonexclusive-distrib-1.0"],
];

/** Values that say "no licence information" in so many words. */
const SAYS_UNKNOWN =
  /^(?:none|null|nil|n\/a|na|unknown|unspecified|not-specified|other|noassertion|undefined|-|no|no-license|nolicense|\?)$/;

/** The licence to use when nothing is known. Never permissive. */
export function unknownLicence(evidence = "no licence information"): Licence {
  return {
    spdx: "unknown",
    url: null,
    permissive: false,
    attributionRequired: true,
    commercialUseAllowed: false,
    shareAlike: false,
    noDerivatives: false,
    evidence,
  };
}

function finish(info: LicenceInfo, evidence: string, url?: string | null): Licence {
  const { restricted, ...rest } = info;
  return {
    ...rest,
    url: url ?? info.url,
    permissive: !restricted && info.commercialUseAllowed && !info.noDerivatives,
    evidence: restricted ? `${evidence} (not permissive: ${restricted})` : evidence,
  };
}

function known(id: string, evidence: string, url?: string | null): Licence {
  const info = KNOWN[id];
  if (!info) throw new Error(`licence table has no ${id}`);
  return finish(info, evidence, url);
}

function quote(raw: string): string {
  const t = raw.replace(/\s+/g, " ").trim();
  return JSON.stringify(t.length > 120 ? `${t.slice(0, 117)}...` : t);
}

/** "by-nc-sa" / "BYNCSA" / "by_nc_nd" → ["by", "nc", "sa"], or null when it is not CC elements. */
function ccElements(text: string): string[] | null {
  const compact = text.toLowerCase().replace(/[^a-z]/g, "");
  const m = /^by((?:nc|nd|sa)*)$/.exec(compact);
  if (!m) return null;
  const rest = m[1] ?? "";
  const els = ["by"];
  for (let i = 0; i < rest.length; i += 2) els.push(rest.slice(i, i + 2));
  if (new Set(els).size !== els.length) return null;
  return els;
}

function normaliseVersion(v: string | undefined): string | null {
  if (!v) return null;
  const n = v.includes(".") ? v : `${v}.0`;
  return CC_VERSIONS.has(n) ? n : null;
}

/** A Creative Commons licence from a URL path after `creativecommons.org/`. */
function fromCcUrl(path: string, evidence: string): Licence | null {
  const p = path.toLowerCase().replace(/\/+/g, "/");
  const lic = /^licenses\/([a-z-]+)(?:\/(\d(?:\.\d)?))?(?:\/([a-z]{2,3}|igo)(?=\/|$))?/.exec(p);
  if (lic?.[1]) {
    const els = ccElements(lic[1]);
    if (!els) return null;
    const version = normaliseVersion(lic[2]);
    const note = version ? evidence : `${evidence}; version not stated, read as 4.0`;
    const port = lic[3];
    const info = cc(els, version ?? "4.0", port);
    const portNote =
      port && !info.spdx.endsWith(`-${port.toUpperCase()}`)
        ? `; ${port.toUpperCase()} port of ${info.spdx}`
        : "";
    return finish(info, `${note}${portNote}`);
  }
  if (/^publicdomain\/zero/.test(p)) return known("CC0-1.0", evidence);
  if (/^publicdomain\/mark/.test(p)) return known("LicenseRef-PublicDomain", evidence);
  return null;
}

/** Publisher text-and-data-mining licence URLs (Elsevier, Springer Nature, Wiley, ...). */
const TDM_URL =
  /(?:\/tdm(?:\/|$|_)|text-and-data-mining|text-mining|tdm[-_]?licen[cs]e|tdmrep|\/tdm-?user-?licen[cs]e)/i;
/** Publisher open-access user licences that are not Creative Commons. */
const PUBLISHER_OA_URL =
  /elsevier\.com\/open-access\/userlicen[cs]e|(?:acs|pubs\.acs)\.org\/page\/policy\/authorchoice|academic\.oup\.com\/.*(?:open_access|standard_publication_model)|iopscience\.iop\.org\/page\/copyright|onlinelibrary\.wiley\.com\/termsAndConditions/i;

function fromUrl(raw: string, evidence: string): Licence | null {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`);
  } catch {
    return null;
  }
  const host = url.hostname.toLowerCase().replace(/^www\./, "");
  const path = decodeURIComponent(url.pathname).replace(/^\/+/, "");
  const lowerPath = path.toLowerCase();
  if (host === "creativecommons.org")
    return fromCcUrl(path, evidence) ?? unknownLicence(`${evidence}: unrecognised Creative Commons URL`);
  if (host === "arxiv.org" || host.endsWith(".arxiv.org")) {
    if (/^licenses\/nonexclusive-distrib/.test(lowerPath))
      return known("LicenseRef-arXiv-nonexclusive-distrib-1.0", evidence);
    if (/^licenses\/assumed-1991-2003/.test(lowerPath))
      return known("LicenseRef-arXiv-assumed-1991-2003", evidence);
    return unknownLicence(`${evidence}: unrecognised arXiv licence URL`);
  }
  // OpenAlex, GitHub, opensource.org, SPDX and choosealicense name the licence in the last path segment.
  const idHost =
    /^(?:openalex\.org|api\.github\.com|github\.com|opensource\.org|spdx\.org|choosealicense\.com)$/.test(
      host,
    );
  if (idHost && /(?:^|\/)licen[cs]es\/[^/]+/.test(lowerPath)) {
    const id = /licen[cs]es\/([^/]+?)(?:\.html|\.php|\.json)?\/?$/i.exec(path)?.[1];
    if (id) {
      const inner = fromName(id, evidence);
      if (inner) return inner;
    }
    return unknownLicence(`${evidence}: unrecognised licence id in URL`);
  }
  if (host === "apache.org" && /^licenses\/license-2\.0/.test(lowerPath))
    return known("Apache-2.0", evidence);
  if (host === "gnu.org") {
    const gnu = /licenses\/(?:old-licenses\/)?(a?gpl|lgpl|fdl)-(\d\.\d)/.exec(lowerPath);
    if (gnu) {
      const id = { gpl: "GPL", lgpl: "LGPL", agpl: "AGPL", fdl: "GFDL" }[gnu[1] as "gpl"];
      return id === "GFDL"
        ? known("GFDL-1.3-or-later", evidence)
        : (fromName(`${id}-${gnu[2]}`, evidence) ?? null);
    }
  }
  if (host === "opendatacommons.org") {
    if (/licenses\/by/.test(lowerPath)) return known("ODC-By-1.0", evidence);
    if (/licenses\/odbl/.test(lowerPath)) return known("ODbL-1.0", evidence);
    if (/licenses\/pddl/.test(lowerPath)) return known("PDDL-1.0", evidence);
  }
  if (host === "mozilla.org" && /mpl\/2\.0/.test(lowerPath)) return known("MPL-2.0", evidence);
  if (host === "mit-license.org") return known("MIT", evidence);
  if (host === "unlicense.org") return known("Unlicense", evidence);
  if (host === "wtfpl.net") return known("WTFPL", evidence);
  if (TDM_URL.test(url.href)) return known("LicenseRef-publisher-tdm", evidence, url.href);
  if (PUBLISHER_OA_URL.test(url.href)) return known("LicenseRef-publisher-specific-oa", evidence, url.href);
  return unknownLicence(`${evidence}: unrecognised licence URL`);
}

/** A licence from a name or id (no URL). Null when not recognised. */
function fromName(raw: string, evidence: string): Licence | null {
  const text = raw
    .trim()
    .replace(/^["'`]+|["'`]+$/g, "")
    .replace(/^licen[cs]e:\s*/i, "");
  const lower = text.toLowerCase();
  const norm = lower
    .replace(/[\s_]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  if (!norm || SAYS_UNKNOWN.test(norm)) return null;

  // Exact SPDX ids (case-insensitive), including the deprecated GNU ids GitHub still uses.
  const exact = Object.keys(KNOWN).find((k) => k.toLowerCase() === lower);
  if (exact) return known(exact, evidence);
  const deprecated = /^(a?gpl|lgpl)-(\d\.\d)(\+)?$/.exec(lower);
  const modern = deprecated
    ? `${deprecated[1]!.toUpperCase()}-${deprecated[2]}-${deprecated[3] ? "or-later" : "only"}`
    : null;
  if (modern && KNOWN[modern]) return known(modern, evidence);

  // Creative Commons by name: "CC BY 4.0", "cc-by-nc-nd", "CC-BY-NC-SA-4.0", "CCBYNCND",
  // "cc_by_nc_nd", "cc by-nc-nd 3.0 igo", "CC-BY-SA-3.0" (Hugging Face).
  const ccm =
    /^(?:cc|creative-?commons)-?((?:by)(?:-?(?:nc|nd|sa))*)(?:-?(\d(?:\.\d)?))?(?:-([a-z]{2,3}|igo))?(?:-(?:international|generic|unported|license|licence|deed))*$/.exec(
      norm,
    );
  if (ccm?.[1]) {
    const els = ccElements(ccm[1]);
    if (els) {
      const version = normaliseVersion(ccm[2]);
      const port = ccm[3] && !/^(?:int|gen|unp|lic|dee)/.test(ccm[3]) ? ccm[3] : undefined;
      return finish(
        cc(els, version ?? "4.0", port),
        version ? evidence : `${evidence}; version not stated, read as 4.0`,
      );
    }
  }
  // "Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International License",
  // also inside a sentence ("licensed under a Creative Commons Attribution 4.0 licence").
  const at = lower.search(/creative\s*commons\s+attribution/);
  if (at >= 0) {
    const window = lower.slice(at, at + 140).split(/\blicen[cs]e\b|[;()]|\.\s/)[0] ?? "";
    const els = ["by"];
    if (/non-?\s?commercial/.test(window)) els.push("nc");
    if (/no-?\s?deriv/.test(window)) els.push("nd");
    if (/share-?\s?alike/.test(window)) els.push("sa");
    const version = normaliseVersion(/\b(\d\.\d)\b/.exec(window)?.[1]);
    return finish(
      cc(els, version ?? "4.0"),
      version ? evidence : `${evidence}; version not stated, read as 4.0`,
    );
  }
  if (/^(?:cc0|creative commons zero|cc zero)\b/i.test(text)) return known("CC0-1.0", evidence);
  if (/^public domain( mark)?\b/i.test(text)) return known("LicenseRef-PublicDomain", evidence);

  for (const [re, id] of ALIASES) if (re.test(norm)) return known(id, evidence);
  // Long names as GitHub and LICENSE files spell them.
  const named: Array<[RegExp, string]> = [
    [/^gnu affero general public licen[cs]e,? v(?:ersion)?\s?3/i, "AGPL-3.0-only"],
    [/^gnu lesser general public licen[cs]e,? v(?:ersion)?\s?2\.1/i, "LGPL-2.1-only"],
    [/^gnu lesser general public licen[cs]e,? v(?:ersion)?\s?3/i, "LGPL-3.0-only"],
    [/^gnu general public licen[cs]e,? v(?:ersion)?\s?2/i, "GPL-2.0-only"],
    [/^gnu general public licen[cs]e,? v(?:ersion)?\s?3/i, "GPL-3.0-only"],
    [/^apache licen[cs]e,?\s+(?:version\s+)?2\.0/i, "Apache-2.0"],
    [/^(?:the )?mit licen[cs]e$/i, "MIT"],
    [/^bsd 2-clause/i, "BSD-2-Clause"],
    [/^bsd 3-clause/i, "BSD-3-Clause"],
    [/^mozilla public licen[cs]e,? (?:version )?2\.0/i, "MPL-2.0"],
    [/^eclipse public licen[cs]e,? (?:version |v)?2\.0/i, "EPL-2.0"],
    [/^boost software licen[cs]e 1\.0/i, "BSL-1.0"],
    [/^creative commons zero v1\.0 universal/i, "CC0-1.0"],
  ];
  for (const [re, id] of named) if (re.test(text)) return known(id, evidence);
  return null;
}

/**
 * Normalises one licence value as an API gives it: a string (URL, name, SPDX id,
 * vocabulary term), a licence object (GitHub, Crossref, DOAJ, Hugging Face), a list of
 * those, or nothing. `evidence` says where it was read (e.g. `crossref license[].URL`);
 * the raw value is appended to it, so the stored evidence shows what the source said.
 * Returns an unknown licence for empty, missing or unrecognised input.
 */
export function normaliseLicence(raw: unknown, evidence: string, opts: { now?: Date } = {}): Licence {
  if (raw === null || raw === undefined) return unknownLicence(`${evidence}: missing`);
  if (Array.isArray(raw)) return normaliseLicenceList(raw, evidence, opts);
  if (typeof raw === "object") return fromObject(raw as Record<string, unknown>, evidence, opts);
  if (typeof raw !== "string") return unknownLicence(`${evidence}: not a licence value (${typeof raw})`);
  const text = raw.trim();
  if (!text) return unknownLicence(`${evidence}: empty`);
  const ev = `${evidence}: ${quote(text)}`;
  const stripped = text.replace(/^licen[cs]e:\s*/i, "");
  if (
    /^(?:[a-z][a-z0-9+.-]*:\/\/|www\.)/i.test(stripped) ||
    /^[a-z0-9-]+(?:\.[a-z0-9-]+)+\/\S*$/i.test(stripped)
  ) {
    return fromUrl(stripped, ev) ?? unknownLicence(`${ev} (unrecognised licence URL)`);
  }
  const named = fromName(stripped, ev);
  if (named) return named;
  // A licence URL inside prose ("This work is licensed under https://creativecommons.org/...").
  const embedded = /https?:\/\/(?:www\.)?creativecommons\.org\/[^\s"'<>)]+/i.exec(text)?.[0];
  if (embedded) return fromUrl(embedded, ev) ?? unknownLicence(ev);
  if (SAYS_UNKNOWN.test(stripped.toLowerCase().replace(/[\s_]+/g, "-")))
    return unknownLicence(`${ev} (names no licence)`);
  return unknownLicence(`${ev} (unrecognised)`);
}

/** Crossref `content-version` order: the version of record's licence is the one that applies to the text. */
const CONTENT_VERSION_RANK: Record<string, number> = { vor: 0, unspecified: 1, am: 2, tdm: 3, stm: 4 };

/**
 * Normalises a list of licence values (Crossref `license[]`, DOAJ `license[]`, Hugging
 * Face `license: [a, b]`). Entries with a future `start` date (an embargo) are skipped.
 * Prefers the version-of-record licence, then any recognised one; unknown when none is.
 */
export function normaliseLicenceList(list: unknown[], evidence: string, opts: { now?: Date } = {}): Licence {
  const now = opts.now ?? new Date();
  const entries = list
    .map((value, i) => ({ value, i }))
    .filter(({ value }) => {
      if (!value || typeof value !== "object") return true;
      const start = (value as { start?: { "date-time"?: string } }).start?.["date-time"];
      return !start || Number.isNaN(Date.parse(start)) || Date.parse(start) <= now.getTime();
    })
    .sort((a, b) => rankOf(a.value) - rankOf(b.value) || a.i - b.i);
  const results = entries.map(({ value }) => normaliseLicence(value, `${evidence}[]`, opts));
  const recognised = results.find((l) => l.spdx !== "unknown");
  if (recognised) return recognised;
  if (results.length === 0)
    return unknownLicence(
      `${evidence}: ${list.length ? "every licence starts in the future (embargo)" : "empty list"}`,
    );
  return results[0]!;
}

function rankOf(v: unknown): number {
  if (!v || typeof v !== "object") return 1;
  const cv = (v as Record<string, unknown>)["content-version"];
  return typeof cv === "string" ? (CONTENT_VERSION_RANK[cv.toLowerCase()] ?? 1) : 1;
}

function fromObject(o: Record<string, unknown>, evidence: string, opts: { now?: Date }): Licence {
  // GitHub: { key, name, spdx_id, url }; spdx_id "NOASSERTION" means GitHub could not tell.
  if ("spdx_id" in o || "key" in o) {
    const spdx = typeof o.spdx_id === "string" ? o.spdx_id : null;
    if (spdx && spdx !== "NOASSERTION") {
      const l = normaliseLicence(spdx, `${evidence}.spdx_id`, opts);
      if (l.spdx !== "unknown") return l;
    }
    if (typeof o.key === "string" && o.key !== "other") {
      const l = normaliseLicence(o.key, `${evidence}.key`, opts);
      if (l.spdx !== "unknown") return l;
    }
    if (spdx === "NOASSERTION" || o.key === "other") {
      return unknownLicence(
        `${evidence}: the host could not identify the licence (${spdx ?? "other"}${typeof o.name === "string" ? `, "${o.name}"` : ""})`,
      );
    }
  }
  for (const field of ["URL", "url", "uri", "type", "title", "name", "license", "licence", "id", "value"]) {
    const v = o[field];
    if (typeof v === "string" && v.trim()) {
      const l = normaliseLicence(v, `${evidence}.${field}`, opts);
      if (l.spdx !== "unknown") return l;
    }
  }
  // DOAJ gives the elements as booleans: { BY: true, NC: true, ND: false, SA: true }.
  if (o.BY === true) {
    const els = [
      "by",
      ...(["NC", "ND", "SA"] as const).filter((k) => o[k] === true).map((k) => k.toLowerCase()),
    ];
    return finish(cc(els, "4.0"), `${evidence}: BY/NC/ND/SA flags; version not stated, read as 4.0`);
  }
  return unknownLicence(`${evidence}: unrecognised licence object ${quote(JSON.stringify(o))}`);
}

/**
 * The licence of a LICENSE / COPYING file from its text: a licence URL in it, its first
 * line ("MIT License", "Apache License Version 2.0"), or the wording of well-known
 * licences (MIT's "Permission is hereby granted, free of charge", BSD's redistribution
 * clauses). Unknown when none of those match.
 */
export function licenceFromText(text: string, evidence: string): Licence {
  const head = text.slice(0, 8000);
  const url =
    /https?:\/\/(?:www\.)?(?:creativecommons\.org|opensource\.org\/licen[cs]es|apache\.org\/licenses|gnu\.org\/licenses|opendatacommons\.org\/licenses)\/[^\s"'<>)]+/i.exec(
      head,
    )?.[0];
  const byTitle = head
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, 3)
    .map((l) => fromName(l.replace(/^#+\s*/, ""), `${evidence}: ${quote(l)}`))
    .find((l): l is Licence => l !== null);
  if (byTitle) return byTitle;
  if (/apache license\s+version 2\.0/i.test(head))
    return known("Apache-2.0", `${evidence}: Apache License 2.0 text`);
  if (/gnu affero general public license\s+version 3/i.test(head))
    return known("AGPL-3.0-only", `${evidence}: AGPL-3.0 text`);
  if (/gnu lesser general public license\s+version 3/i.test(head))
    return known("LGPL-3.0-only", `${evidence}: LGPL-3.0 text`);
  if (/gnu general public license\s+version 3/i.test(head))
    return known("GPL-3.0-only", `${evidence}: GPL-3.0 text`);
  if (/gnu general public license\s+version 2/i.test(head))
    return known("GPL-2.0-only", `${evidence}: GPL-2.0 text`);
  if (/mozilla public license,? version 2\.0/i.test(head))
    return known("MPL-2.0", `${evidence}: MPL-2.0 text`);
  if (url) {
    const l = fromUrl(url, `${evidence}: ${quote(url)}`);
    if (l && l.spdx !== "unknown") return l;
  }
  if (/permission is hereby granted, free of charge/i.test(head))
    return known("MIT", `${evidence}: MIT licence text`);
  if (/redistribution and use in source and binary forms/i.test(head)) {
    return known(
      /neither the name|the names? of (?:its|the) contributors/i.test(head) ? "BSD-3-Clause" : "BSD-2-Clause",
      `${evidence}: BSD licence text`,
    );
  }
  if (/this is free and unencumbered software released into the public domain/i.test(head))
    return known("Unlicense", `${evidence}: Unlicense text`);
  return unknownLicence(`${evidence}: licence text not recognised`);
}

/**
 * The licence of Stack Exchange content by the date it was posted (or last edited):
 * CC BY-SA 2.5 before 2011-04-08, CC BY-SA 3.0 until 2018-05-02, CC BY-SA 4.0 since.
 * `date` may be a Date, an ISO string or Unix seconds (as the API returns).
 */
export function stackExchangeLicence(
  date: Date | string | number | null | undefined,
  evidence = "Stack Exchange post date",
): Licence {
  const d =
    typeof date === "number" ? new Date(date * 1000) : typeof date === "string" ? new Date(date) : date;
  if (!d || Number.isNaN(d.getTime()))
    return finish(cc(["by", "sa"], "4.0"), `${evidence}: no date, read as CC-BY-SA-4.0`);
  const day = d.toISOString().slice(0, 10);
  const version = day < "2011-04-08" ? "2.5" : day < "2018-05-02" ? "3.0" : "4.0";
  return finish(cc(["by", "sa"], version), `${evidence}: ${day}`);
}

/** The licence record of an SPDX id (or LicenseRef) this module knows, or null. */
export function licenceById(spdx: string, evidence = "SPDX id"): Licence | null {
  return spdx.toLowerCase() === "unknown" ? null : fromName(spdx, `${evidence}: ${quote(spdx)}`);
}

/** A licence policy: which licences research may use. */
export interface LicencePolicy {
  /** `permissive` (default) admits only permissive licences; `any` admits everything but the deny list. */
  base: "permissive" | "any";
  /** SPDX ids always admitted (case-insensitive; a trailing `*` matches a prefix, e.g. `CC-BY-*`). */
  allow: string[];
  /** SPDX ids never admitted; the deny list wins over the allow list. */
  deny: string[];
}

/** Reads a policy from its config form (`"permissive"`, `"any"` or `{ base, allow, deny }`). */
export function licencePolicy(config?: "permissive" | "any" | Partial<LicencePolicy>): LicencePolicy {
  if (!config) return { base: "permissive", allow: [], deny: [] };
  if (typeof config === "string") return { base: config, allow: [], deny: [] };
  return { base: config.base ?? "permissive", allow: config.allow ?? [], deny: config.deny ?? [] };
}

function matchesId(pattern: string, id: string): boolean {
  const p = pattern.trim().toLowerCase();
  const i = id.toLowerCase();
  return p.endsWith("*") ? i.startsWith(p.slice(0, -1)) : p === i;
}

/** Whether the policy admits a licence, and why not when it does not. */
export function admits(
  policy: LicencePolicy,
  licence: Licence,
): { ok: true } | { ok: false; reason: string } {
  if (policy.deny.some((d) => matchesId(d, licence.spdx)))
    return { ok: false, reason: `licence ${licence.spdx} is on the deny list` };
  if (policy.allow.some((a) => matchesId(a, licence.spdx))) return { ok: true };
  if (policy.base === "any") return { ok: true };
  if (licence.permissive) return { ok: true };
  return { ok: false, reason: `licence ${licence.spdx} is not permissive (policy: permissive)` };
}
