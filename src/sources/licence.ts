import type { Licence } from "../core/types.js";

/**
 * Licence normalisation: whatever a source says ("CC BY 4.0", a Creative Commons URL,
 * "cc-by-nc-nd", "public-domain", "", nothing) becomes an SPDX id plus flags.
 * Unknown stays unknown and is never permissive.
 *
 * "Permissive" here means: the text may be used to make derived training data,
 * commercially. Share-alike licences (CC-BY-SA, GPL) are permissive with
 * `shareAlike: true` (the dataset inherits the obligation); NonCommercial and
 * NoDerivatives licences are not permissive.
 */
interface LicenceInfo {
  spdx: string;
  url: string | null;
  attributionRequired: boolean;
  commercialUseAllowed: boolean;
  shareAlike: boolean;
  noDerivatives: boolean;
}

function cc(parts: string, version: string): LicenceInfo {
  const p = parts.toLowerCase();
  const nc = p.includes("nc");
  const nd = p.includes("nd");
  const sa = p.includes("sa");
  const spdx = `CC-${parts.toUpperCase()}-${version}`;
  return {
    spdx,
    url: `https://creativecommons.org/licenses/${p}/${version}/`,
    attributionRequired: true,
    commercialUseAllowed: !nc,
    shareAlike: sa,
    noDerivatives: nd,
  };
}

const SIMPLE: Record<string, LicenceInfo> = {
  "CC0-1.0": { spdx: "CC0-1.0", url: "https://creativecommons.org/publicdomain/zero/1.0/", attributionRequired: false, commercialUseAllowed: true, shareAlike: false, noDerivatives: false },
  "LicenseRef-PublicDomain": { spdx: "LicenseRef-PublicDomain", url: null, attributionRequired: false, commercialUseAllowed: true, shareAlike: false, noDerivatives: false },
  MIT: { spdx: "MIT", url: "https://opensource.org/licenses/MIT", attributionRequired: true, commercialUseAllowed: true, shareAlike: false, noDerivatives: false },
  "Apache-2.0": { spdx: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0", attributionRequired: true, commercialUseAllowed: true, shareAlike: false, noDerivatives: false },
  "BSD-2-Clause": { spdx: "BSD-2-Clause", url: "https://opensource.org/licenses/BSD-2-Clause", attributionRequired: true, commercialUseAllowed: true, shareAlike: false, noDerivatives: false },
  "BSD-3-Clause": { spdx: "BSD-3-Clause", url: "https://opensource.org/licenses/BSD-3-Clause", attributionRequired: true, commercialUseAllowed: true, shareAlike: false, noDerivatives: false },
  Unlicense: { spdx: "Unlicense", url: "https://unlicense.org/", attributionRequired: false, commercialUseAllowed: true, shareAlike: false, noDerivatives: false },
  "GPL-2.0-only": { spdx: "GPL-2.0-only", url: "https://www.gnu.org/licenses/old-licenses/gpl-2.0.html", attributionRequired: true, commercialUseAllowed: true, shareAlike: true, noDerivatives: false },
  "GPL-3.0-only": { spdx: "GPL-3.0-only", url: "https://www.gnu.org/licenses/gpl-3.0.html", attributionRequired: true, commercialUseAllowed: true, shareAlike: true, noDerivatives: false },
  "LGPL-3.0-only": { spdx: "LGPL-3.0-only", url: "https://www.gnu.org/licenses/lgpl-3.0.html", attributionRequired: true, commercialUseAllowed: true, shareAlike: true, noDerivatives: false },
  "MPL-2.0": { spdx: "MPL-2.0", url: "https://www.mozilla.org/MPL/2.0/", attributionRequired: true, commercialUseAllowed: true, shareAlike: true, noDerivatives: false },
  "ODC-By-1.0": { spdx: "ODC-By-1.0", url: "https://opendatacommons.org/licenses/by/1-0/", attributionRequired: true, commercialUseAllowed: true, shareAlike: false, noDerivatives: false },
  "ODbL-1.0": { spdx: "ODbL-1.0", url: "https://opendatacommons.org/licenses/odbl/1-0/", attributionRequired: true, commercialUseAllowed: true, shareAlike: true, noDerivatives: false },
  "PDDL-1.0": { spdx: "PDDL-1.0", url: "https://opendatacommons.org/licenses/pddl/1-0/", attributionRequired: false, commercialUseAllowed: true, shareAlike: false, noDerivatives: false },
  "LicenseRef-arXiv-nonexclusive-distrib-1.0": { spdx: "LicenseRef-arXiv-nonexclusive-distrib-1.0", url: "http://arxiv.org/licenses/nonexclusive-distrib/1.0/", attributionRequired: true, commercialUseAllowed: false, shareAlike: false, noDerivatives: true },
};

const ALIASES: Array<[RegExp, string]> = [
  [/^(?:cc0|cc-zero|cc-0|publicdomain\/zero|cc0-1\.0)$/, "CC0-1.0"],
  [/^(?:public[- ]?domain|pd|us-gov|us-government-work|publicdomain\/mark)/, "LicenseRef-PublicDomain"],
  [/^(?:mit|mit-license|expat)$/, "MIT"],
  [/^(?:apache|apache-?2(?:\.0)?|apache-license-2\.0|apache-2\.0)$/, "Apache-2.0"],
  [/^bsd-?2(?:-clause)?$/, "BSD-2-Clause"],
  [/^(?:bsd|bsd-?3(?:-clause)?)$/, "BSD-3-Clause"],
  [/^(?:unlicense|the-unlicense)$/, "Unlicense"],
  [/^gpl-?2(?:\.0)?(?:-only|-or-later|\+)?$/, "GPL-2.0-only"],
  [/^(?:gpl|gpl-?3(?:\.0)?(?:-only|-or-later|\+)?)$/, "GPL-3.0-only"],
  [/^lgpl-?3(?:\.0)?(?:-only|-or-later)?$/, "LGPL-3.0-only"],
  [/^mpl-?2(?:\.0)?$/, "MPL-2.0"],
  [/^odc-?by(?:-1\.0)?$/, "ODC-By-1.0"],
  [/^odbl(?:-1\.0)?$/, "ODbL-1.0"],
  [/^pddl(?:-1\.0)?$/, "PDDL-1.0"],
  [/arxiv\.org\/licenses\/nonexclusive-distrib/, "LicenseRef-arXiv-nonexclusive-distrib-1.0"],
];

/** The licence to use when nothing is known. */
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

function finish(info: LicenceInfo, evidence: string): Licence {
  return { ...info, permissive: info.commercialUseAllowed && !info.noDerivatives, evidence };
}

/**
 * Normalises a licence string or URL. `evidence` says where it was read (kept on the
 * source row). Returns an unknown licence for empty or unrecognised input.
 */
export function normaliseLicence(raw: string | null | undefined, evidence: string): Licence {
  const text = (raw ?? "").trim();
  if (!text) return unknownLicence(`${evidence}: empty`);
  const lower = text.toLowerCase();

  // Creative Commons URLs: creativecommons.org/licenses/by-nc-sa/4.0/
  const ccUrl = /creativecommons\.org\/licenses\/((?:by)(?:-(?:nc|nd|sa))*)\/(\d\.\d)/.exec(lower);
  if (ccUrl?.[1] && ccUrl[2]) return finish(cc(ccUrl[1], ccUrl[2]), evidence);
  if (/creativecommons\.org\/publicdomain\/zero/.test(lower)) return finish(SIMPLE["CC0-1.0"]!, evidence);
  if (/creativecommons\.org\/publicdomain\/mark/.test(lower)) return finish(SIMPLE["LicenseRef-PublicDomain"]!, evidence);

  // "CC BY-NC-SA 4.0", "cc-by-4.0", "CC-BY", "Creative Commons Attribution 4.0 International"
  const norm = lower.replace(/[_\s]+/g, "-").replace(/-+/g, "-");
  const ccName = /^(?:cc-)?(by(?:-(?:nc|nd|sa))*)(?:-(\d(?:\.\d)?))?(?:-(?:international|generic|unported))?(?:-license)?$/.exec(
    norm.replace(/^creative-commons-/, "cc-"),
  );
  if (ccName?.[1] && norm.startsWith("cc")) {
    const v = ccName[2] ? (ccName[2].includes(".") ? ccName[2] : `${ccName[2]}.0`) : "4.0";
    return finish(cc(ccName[1], v), evidence);
  }
  const words = /creative commons attribution(?<rest>[\w\s-]*?)(?<ver>\d\.\d)?\s*(?:international|unported|generic)?(?:\s+licen[cs]e)?/i.exec(text);
  if (words) {
    const rest = words.groups?.rest?.toLowerCase() ?? "";
    const parts = ["by", rest.includes("noncommercial") || rest.includes("non-commercial") ? "nc" : "", rest.includes("noderiv") || rest.includes("no deriv") ? "nd" : "", rest.includes("sharealike") || rest.includes("share-alike") || rest.includes("share alike") ? "sa" : ""]
      .filter(Boolean)
      .join("-");
    return finish(cc(parts, words.groups?.ver ?? "4.0"), evidence);
  }

  const exact = Object.keys(SIMPLE).find((k) => k.toLowerCase() === lower);
  if (exact) return finish(SIMPLE[exact]!, evidence);
  for (const [re, id] of ALIASES) if (re.test(norm)) return finish(SIMPLE[id]!, evidence);
  if (/\bmit license\b/i.test(text)) return finish(SIMPLE.MIT!, evidence);
  if (/apache license,? version 2\.0/i.test(text)) return finish(SIMPLE["Apache-2.0"]!, evidence);
  return { ...unknownLicence(`${evidence}: unrecognised "${text.slice(0, 80)}"`) };
}

/** A licence policy: which licences research may use. */
export interface LicencePolicy {
  /** `permissive` (default) admits only permissive licences; `any` admits everything but the deny list. */
  base: "permissive" | "any";
  /** SPDX ids always admitted. */
  allow: string[];
  /** SPDX ids never admitted. */
  deny: string[];
}

/** Reads a policy from its config form (`"permissive"`, `"any"` or `{ base, allow, deny }`). */
export function licencePolicy(config?: "permissive" | "any" | Partial<LicencePolicy>): LicencePolicy {
  if (!config) return { base: "permissive", allow: [], deny: [] };
  if (typeof config === "string") return { base: config, allow: [], deny: [] };
  return { base: config.base ?? "permissive", allow: config.allow ?? [], deny: config.deny ?? [] };
}

/** Whether the policy admits a licence, and why not when it does not. */
export function admits(policy: LicencePolicy, licence: Licence): { ok: true } | { ok: false; reason: string } {
  const id = licence.spdx.toLowerCase();
  if (policy.deny.some((d) => d.toLowerCase() === id)) return { ok: false, reason: `licence ${licence.spdx} is on the deny list` };
  if (policy.allow.some((a) => a.toLowerCase() === id)) return { ok: true };
  if (policy.base === "any") return { ok: true };
  if (licence.permissive) return { ok: true };
  return { ok: false, reason: `licence ${licence.spdx} is not permissive (policy: permissive)` };
}
