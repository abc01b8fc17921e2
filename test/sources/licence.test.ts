import { describe, expect, it } from "vitest";
import type { Licence } from "../../src/core/types.js";
import {
  admits,
  licenceById,
  licenceFromText,
  licencePolicy,
  normaliseLicence,
  normaliseLicenceList,
  stackExchangeLicence,
} from "../../src/sources/licence.js";
import { fixtureLicences } from "./helpers/fixture-licences.js";

/**
 * Flags in short: P permissive, A attribution required, C commercial use allowed,
 * S share-alike, N no derivatives. Unknown is always "A" (never permissive).
 */
function flags(l: Licence): string {
  return `${l.permissive ? "P" : ""}${l.attributionRequired ? "A" : ""}${l.commercialUseAllowed ? "C" : ""}${l.shareAlike ? "S" : ""}${l.noDerivatives ? "N" : ""}`;
}

/**
 * Every licence value that occurs in /work/shared/fixtures, with what it must become.
 * The test below extracts the values from the fixture files and fails on any value that
 * is not in this table, so a new fixture with a new licence string needs a line here.
 */
const FIXTURE_TABLE: Array<[raw: string | null, spdx: string, flags: string]> = [
  // bioRxiv details API: collection[].license (and Hugging Face datasets-server info license "")
  ["cc_by", "CC-BY-4.0", "PAC"],
  ["cc_by_nc", "CC-BY-NC-4.0", "A"],
  ["cc_by_nc_nd", "CC-BY-NC-ND-4.0", "AN"],
  ["cc_no", "LicenseRef-all-rights-reserved", "AN"],
  ["", "unknown", "A"],
  // Semantic Scholar: openAccessPdf.license
  ["CCBY", "CC-BY-4.0", "PAC"],
  ["CCBYNC", "CC-BY-NC-4.0", "A"],
  ["CCBYNCND", "CC-BY-NC-ND-4.0", "AN"],
  // OpenAlex / Unpaywall: *_location.license, license_id; null when there is none
  ["cc-by", "CC-BY-4.0", "PAC"],
  ["other-oa", "LicenseRef-other-oa", "AN"],
  ["https://openalex.org/licenses/cc-by", "CC-BY-4.0", "PAC"],
  ["https://openalex.org/licenses/other-oa", "LicenseRef-other-oa", "AN"],
  [null, "unknown", "A"],
  // Europe PMC: resultList.result[].license
  ["cc by", "CC-BY-4.0", "PAC"],
  ["cc by-nc-nd", "CC-BY-NC-ND-4.0", "AN"],
  // DOAJ: bibjson(.journal).license[].type / title
  ["CC BY", "CC-BY-4.0", "PAC"],
  ["CC BY-NC", "CC-BY-NC-4.0", "A"],
  ["CC BY-NC-ND", "CC-BY-NC-ND-4.0", "AN"],
  ["CC BY-NC-SA", "CC-BY-NC-SA-4.0", "AS"],
  ["CC BY-SA", "CC-BY-SA-4.0", "PACS"],
  // DOAJ: license[].url and ref.license_terms point at journal policy pages, not licences
  ["https://www.nature.com/ncomms/about/open-access", "unknown", "A"],
  ["http://revistaseletronicas.pucrs.br/ojs/index.php/fale/index", "unknown", "A"],
  ["http://periodicos2.uesb.br/index.php/odeere/about/submissions", "unknown", "A"],
  ["http://ies.ijo.cn/gjykcn/ch/reader/view_news.aspx?id=20130815015707001", "unknown", "A"],
  ["https://journals.library.columbia.edu/index.php/cswr/about", "unknown", "A"],
  ["http://www.herausforderung-lehrerinnenbildung.de/index.php/hlz/about/submissions", "unknown", "A"],
  ["http://www.gazetamedica.pt/index.php/ficha-tecnica", "unknown", "A"],
  ["http://dergipark.gov.tr/auebfd/page/3887", "unknown", "A"],
  ["https://celljournal.org/about-journal", "unknown", "A"],
  ["http://revistaseletronicas.pucrs.br/ojs/index.php/civitas/index", "unknown", "A"],
  ["https://journal.unpas.ac.id/index.php/sampurasun/CopyrightNotice", "unknown", "A"],
  ["http://www.revistas.usp.br/cpc/about", "unknown", "A"],
  [
    "http://revistas.uncu.edu.ar/ojs3/index.php/cuadernoshistoarte/catalogacionycalidadeditorial",
    "unknown",
    "A",
  ],
  ["http://ge-iic.com/ojs/index.php/revista/about/submissions#copyrightNotice", "unknown", "A"],
  [
    "http://chakinan.unach.edu.ec/index.php/chakinan/about#POL%C3%8DTICA%20DE%20ACCESO%20ABIERTO%20(OPEN%20ACCESS)",
    "unknown",
    "A",
  ],
  ["http://www.revistas2.uepg.br/index.php/tp/about/submissions#copyrightNotice", "unknown", "A"],
  ["http://ojs.revistaturismoypatrimonio.com/index.php/typ/about", "unknown", "A"],
  ["http://insitu.revues.org/?page=informations", "unknown", "A"],
  ["http://zmj.unibo.it/about/submissions#copyrightNotice", "unknown", "A"],
  ["https://revistas.ponteditora.org/index.php/heranca/index", "unknown", "A"],
  // GitHub: license.{key, name, spdx_id, url}
  ["lgpl-3.0", "LGPL-3.0-only", "PACS"],
  ["GNU Lesser General Public License v3.0", "LGPL-3.0-only", "PACS"],
  ["LGPL-3.0", "LGPL-3.0-only", "PACS"],
  ["https://api.github.com/licenses/lgpl-3.0", "LGPL-3.0-only", "PACS"],
  // Hugging Face: cardData.license and license: tags
  ["apache-2.0", "Apache-2.0", "PAC"],
  ["license:apache-2.0", "Apache-2.0", "PAC"],
  ["openrail++", "LicenseRef-OpenRAIL++-M", "AC"],
  ["license:openrail++", "LicenseRef-OpenRAIL++-M", "AC"],
  // CORE: OAI-PMH dc:rights inside rawRecordXml
  [
    "Metadata may be used without restrictions as long as the oai identifier remains attached to it.",
    "unknown",
    "A",
  ],
  ["http://creativecommons.org/licenses/by-nc-sa/3.0/", "CC-BY-NC-SA-3.0", "AS"],
  // Crossref works: license[].URL (Creative Commons and publisher TDM licences)
  ["https://creativecommons.org/licenses/by/4.0", "CC-BY-4.0", "PAC"],
  ["http://creativecommons.org/licenses/by/4.0/", "CC-BY-4.0", "PAC"],
  ["http://www.springer.com/tdm", "LicenseRef-publisher-tdm", "AN"],
  ["https://www.springernature.com/gp/researchers/text-and-data-mining", "LicenseRef-publisher-tdm", "AN"],
  // Crossref /licenses: message.items[].URL (upper case, ports, legalcode, with and without "/")
  ["http://creativecommons.org/licenses/BY/4.0", "CC-BY-4.0", "PAC"],
  ["http://creativecommons.org/licenses/by-nc-nd/2.5/es/", "CC-BY-NC-ND-2.5", "AN"],
  ["http://creativecommons.org/licenses/by-nc-nd/3.0", "CC-BY-NC-ND-3.0", "AN"],
  ["http://creativecommons.org/licenses/by-nc-nd/3.0/", "CC-BY-NC-ND-3.0", "AN"],
  ["http://creativecommons.org/licenses/by-nc-nd/4.0", "CC-BY-NC-ND-4.0", "AN"],
  ["http://creativecommons.org/licenses/by-nc-nd/4.0/", "CC-BY-NC-ND-4.0", "AN"],
  ["http://creativecommons.org/licenses/by-nc-sa/4.0", "CC-BY-NC-SA-4.0", "AS"],
  ["http://creativecommons.org/licenses/by-nc/3.0/", "CC-BY-NC-3.0", "A"],
  ["http://creativecommons.org/licenses/by-nc/4.0", "CC-BY-NC-4.0", "A"],
  ["http://creativecommons.org/licenses/by-nc/4.0/", "CC-BY-NC-4.0", "A"],
  ["http://creativecommons.org/licenses/by-nd/4.0/", "CC-BY-ND-4.0", "ACN"],
  ["http://creativecommons.org/licenses/by-sa/2.5/ar/", "CC-BY-SA-2.5", "PACS"],
  ["http://creativecommons.org/licenses/by-sa/4.0", "CC-BY-SA-4.0", "PACS"],
  ["http://creativecommons.org/licenses/by/2.0", "CC-BY-2.0", "PAC"],
  ["http://creativecommons.org/licenses/by/2.0/", "CC-BY-2.0", "PAC"],
  ["http://creativecommons.org/licenses/by/2.0/uk/legalcode", "CC-BY-2.0", "PAC"],
  ["http://creativecommons.org/licenses/by/3.0/", "CC-BY-3.0", "PAC"],
  ["http://creativecommons.org/licenses/by/4.0", "CC-BY-4.0", "PAC"],
];

/** API fields the extractor must find licences in (guards against an extractor that finds nothing). */
const EXPECTED_FIELDS = [
  "biorxiv .collection[].license",
  "semanticscholar .data[].openAccessPdf.license",
  "openalex .best_oa_location.license",
  "openalex .best_oa_location.license_id",
  "unpaywall .best_oa_location.license",
  "europepmc .resultList.result[].license",
  "doaj .results[].bibjson.journal.license[].type",
  "doaj .results[].bibjson.license[].type",
  "github .license.spdx_id",
  "github .license.key",
  "huggingface .cardData.license",
  "huggingface .tags[]",
  "huggingface .dataset_info.ylecun/mnist.license",
  "crossref .message.license[].URL",
  "crossref .message.items[].license[].URL",
  "crossref .message.items[].URL",
  "core .data[]._source.rawRecordXml <dc:rights>",
];

describe("licence normalisation over every licence string in the recorded fixtures", () => {
  const found = fixtureLicences();
  const table = new Map(FIXTURE_TABLE.map(([raw, spdx, f]) => [raw, { spdx, flags: f }]));

  it("finds licences in every API field that carries one", () => {
    const fields = new Set(found.map((f) => `${f.file.split("/")[0]} ${f.field}`));
    for (const field of EXPECTED_FIELDS) expect(fields, field).toContain(field);
    expect(new Set(found.map((f) => f.value)).size).toBeGreaterThanOrEqual(70);
  });

  it("has an expected result for every value found (add a line to FIXTURE_TABLE for a new one)", () => {
    const missing = [...new Set(found.map((f) => f.value))].filter((v) => !table.has(v));
    expect(missing).toEqual([]);
  });

  it.each(FIXTURE_TABLE)("%j → %s [%s]", (raw, spdx, f) => {
    const where = found.find((x) => x.value === raw);
    const l = normaliseLicence(raw, where ? `${where.file} ${where.field}` : "test");
    expect(l.spdx).toBe(spdx);
    expect(flags(l)).toBe(f);
    // Evidence names the field and, when there was one, the raw value.
    expect(l.evidence).toContain(where ? where.field : "test");
    if (raw) expect(l.evidence).toContain(JSON.stringify(raw.replace(/\s+/g, " ").trim()).slice(0, 40));
  });

  it("every table entry occurs in the fixtures (the table documents the fixtures, nothing else)", () => {
    const values = new Set(found.map((f) => f.value));
    expect(FIXTURE_TABLE.map(([raw]) => raw).filter((raw) => !values.has(raw))).toEqual([]);
  });
});

describe("licence normalisation beyond the fixtures", () => {
  const cases: Array<[raw: unknown, spdx: string, flags: string]> = [
    // Creative Commons URLs: www or not, http or https, legalcode, deed, upper case
    ["https://www.creativecommons.org/licenses/by/4.0/legalcode", "CC-BY-4.0", "PAC"],
    ["https://creativecommons.org/licenses/by-sa/4.0/deed.en", "CC-BY-SA-4.0", "PACS"],
    ["creativecommons.org/licenses/by-nc-sa/4.0/", "CC-BY-NC-SA-4.0", "AS"],
    ["www.creativecommons.org/licenses/by/3.0/", "CC-BY-3.0", "PAC"],
    ["https://creativecommons.org/licenses/by-sa/3.0/igo/", "CC-BY-SA-3.0-IGO", "PACS"],
    ["http://creativecommons.org/licenses/by/3.0/us/", "CC-BY-3.0-US", "PAC"],
    ["https://creativecommons.org/publicdomain/zero/1.0/legalcode", "CC0-1.0", "PC"],
    ["https://creativecommons.org/publicdomain/mark/1.0/", "LicenseRef-PublicDomain", "PC"],
    ["https://creativecommons.org/about/", "unknown", "A"],
    // names
    ["CC BY 4.0", "CC-BY-4.0", "PAC"],
    ["cc-by-nc-nd", "CC-BY-NC-ND-4.0", "AN"],
    ["CC-BY-NC-SA-4.0", "CC-BY-NC-SA-4.0", "AS"],
    ["CC BY-NC-ND 4.0 International", "CC-BY-NC-ND-4.0", "AN"],
    ["CCBYSA", "CC-BY-SA-4.0", "PACS"],
    ["cc_by_nd", "CC-BY-ND-4.0", "ACN"],
    ["cc0", "CC0-1.0", "PC"],
    ["CC0 1.0 Universal", "CC0-1.0", "PC"],
    ["Creative Commons Attribution-ShareAlike 3.0 Unported", "CC-BY-SA-3.0", "PACS"],
    [
      "This article is licensed under a Creative Commons Attribution-NonCommercial 4.0 International License.",
      "CC-BY-NC-4.0",
      "A",
    ],
    // arXiv
    [
      "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
      "LicenseRef-arXiv-nonexclusive-distrib-1.0",
      "AN",
    ],
    ["https://arxiv.org/licenses/assumed-1991-2003/", "LicenseRef-arXiv-assumed-1991-2003", "AN"],
    ["http://creativecommons.org/licenses/by/4.0/", "CC-BY-4.0", "PAC"],
    // public domain
    ["public-domain", "LicenseRef-PublicDomain", "PC"],
    ["pd", "LicenseRef-PublicDomain", "PC"],
    ["Public Domain Mark", "LicenseRef-PublicDomain", "PC"],
    ["public domain", "LicenseRef-PublicDomain", "PC"],
    // Hugging Face ids
    ["mit", "MIT", "PAC"],
    ["cc-by-sa-3.0", "CC-BY-SA-3.0", "PACS"],
    ["cc-by-nc-4.0", "CC-BY-NC-4.0", "A"],
    ["other", "unknown", "A"],
    ["unknown", "unknown", "A"],
    ["bigscience-openrail-m", "BigScience-OpenRAIL-M", "AC"],
    ["llama3", "LicenseRef-Llama", "AC"],
    ["odc-by", "ODC-By-1.0", "PAC"],
    ["cdla-sharing-1.0", "CDLA-Sharing-1.0", "PACS"],
    // GitHub and SPDX
    ["NOASSERTION", "unknown", "A"],
    [{ key: "other", name: "Other", spdx_id: "NOASSERTION", url: null }, "unknown", "A"],
    [
      { key: "mit", name: "MIT License", spdx_id: "MIT", url: "https://api.github.com/licenses/mit" },
      "MIT",
      "PAC",
    ],
    ["GPL-2.0+", "GPL-2.0-or-later", "PACS"],
    ["GPL-3.0-or-later", "GPL-3.0-or-later", "PACS"],
    ['BSD 3-Clause "New" or "Revised" License', "BSD-3-Clause", "PAC"],
    ["https://opensource.org/licenses/MIT", "MIT", "PAC"],
    ["https://www.apache.org/licenses/LICENSE-2.0.txt", "Apache-2.0", "PAC"],
    // publisher TDM and OA vocabularies
    ["https://www.elsevier.com/tdm/userlicense/1.0/", "LicenseRef-publisher-tdm", "AN"],
    ["http://doi.wiley.com/10.1002/tdm_license_1.1", "LicenseRef-publisher-tdm", "AN"],
    ["https://www.elsevier.com/open-access/userlicense/1.0/", "LicenseRef-publisher-specific-oa", "AN"],
    ["publisher-specific-oa", "LicenseRef-publisher-specific-oa", "AN"],
    ["implied-oa", "LicenseRef-other-oa", "AN"],
    // empty, missing, nonsense: unknown and never permissive
    ["none", "unknown", "A"],
    ["   ", "unknown", "A"],
    [undefined, "unknown", "A"],
    [42, "unknown", "A"],
    ["Ünïcödé licence ☃", "unknown", "A"],
    ["by", "unknown", "A"],
    ["https://example.org/terms", "unknown", "A"],
    // DOAJ element flags without a type
    [{ BY: true, NC: false, ND: false, SA: true }, "CC-BY-SA-4.0", "PACS"],
  ];

  it.each(cases)("%j → %s [%s]", (raw, spdx, f) => {
    const l = normaliseLicence(raw, "test");
    expect(l.spdx).toBe(spdx);
    expect(flags(l)).toBe(f);
    if (l.spdx === "unknown") expect(l.url ?? null).toBeNull();
  });

  it("says in the evidence when a version was assumed or a port was read", () => {
    expect(normaliseLicence("cc_by", "bioRxiv license").evidence).toBe(
      'bioRxiv license: "cc_by"; version not stated, read as 4.0',
    );
    expect(
      normaliseLicence("http://creativecommons.org/licenses/by/2.0/uk/legalcode", "crossref").evidence,
    ).toContain("UK port of CC-BY-2.0");
    expect(normaliseLicence("http://creativecommons.org/licenses/by/2.0/uk/legalcode", "crossref").url).toBe(
      "https://creativecommons.org/licenses/by/2.0/uk/",
    );
    expect(normaliseLicence("http://arxiv.org/licenses/nonexclusive-distrib/1.0/", "arXiv").evidence).toMatch(
      /not permissive: .*arXiv/,
    );
  });

  it("prefers the version-of-record licence in a Crossref license[] list and skips embargoed entries", () => {
    const list = [
      {
        URL: "http://www.springer.com/tdm",
        "content-version": "tdm",
        start: { "date-time": "2018-11-03T00:00:00Z" },
      },
      {
        URL: "https://creativecommons.org/licenses/by/4.0",
        "content-version": "vor",
        start: { "date-time": "2018-11-03T00:00:00Z" },
      },
    ];
    expect(normaliseLicenceList(list, "crossref license").spdx).toBe("CC-BY-4.0");
    const embargoed = [
      {
        URL: "http://www.springer.com/tdm",
        "content-version": "tdm",
        start: { "date-time": "2020-01-01T00:00:00Z" },
      },
      {
        URL: "https://creativecommons.org/licenses/by/4.0",
        "content-version": "vor",
        start: { "date-time": "2031-01-01T00:00:00Z" },
      },
    ];
    const l = normaliseLicence(embargoed, "crossref license", { now: new Date("2026-01-01") });
    expect(l.spdx).toBe("LicenseRef-publisher-tdm");
    expect(l.permissive).toBe(false);
    expect(normaliseLicence([], "crossref license").spdx).toBe("unknown");
    expect(
      normaliseLicence(embargoed.slice(1), "crossref license", { now: new Date("2026-01-01") }).evidence,
    ).toContain("embargo");
  });

  it("reads LICENSE file texts", () => {
    expect(
      licenceFromText(
        "MIT License\n\nCopyright (c) 2025 A\n\nPermission is hereby granted, free of charge, to any person",
        "LICENSE",
      ).spdx,
    ).toBe("MIT");
    expect(
      licenceFromText(
        "Copyright (c) 2025 A\n\nPermission is hereby granted, free of charge, to any person",
        "LICENSE",
      ).spdx,
    ).toBe("MIT");
    expect(
      licenceFromText(
        "                                 Apache License\n                           Version 2.0, January 2004\n",
        "LICENSE",
      ).spdx,
    ).toBe("Apache-2.0");
    expect(
      licenceFromText(
        "The notes are licensed under CC BY 4.0.\nLicence: https://creativecommons.org/licenses/by/4.0/\n",
        "LICENSE",
      ).spdx,
    ).toBe("CC-BY-4.0");
    expect(
      licenceFromText(
        "Copyright 2020 X\n\nRedistribution and use in source and binary forms, with or without modification...\n3. Neither the name of the copyright holder",
        "LICENSE",
      ).spdx,
    ).toBe("BSD-3-Clause");
    expect(licenceFromText("All rights reserved. Do not copy.", "LICENSE").spdx).toBe("unknown");
  });

  it("gives Stack Exchange posts the CC BY-SA version of their date", () => {
    expect(stackExchangeLicence(new Date("2010-06-01")).spdx).toBe("CC-BY-SA-2.5");
    expect(stackExchangeLicence("2011-04-08T00:00:00Z").spdx).toBe("CC-BY-SA-3.0");
    expect(stackExchangeLicence(1525132800 /* 2018-05-01 */).spdx).toBe("CC-BY-SA-3.0");
    expect(stackExchangeLicence("2018-05-02").spdx).toBe("CC-BY-SA-4.0");
    expect(stackExchangeLicence(null).spdx).toBe("CC-BY-SA-4.0");
    expect(stackExchangeLicence("2015-01-01").shareAlike).toBe(true);
  });

  it("looks licences up by SPDX id", () => {
    expect(licenceById("CC-BY-SA-4.0")?.shareAlike).toBe(true);
    expect(licenceById("Apache-2.0")?.permissive).toBe(true);
    expect(licenceById("unknown")).toBeNull();
    expect(licenceById("NotALicence-9")).toBeNull();
  });
});

describe("licence policy", () => {
  const ccBy = normaliseLicence("CC-BY-4.0", "t");
  const ccByNc = normaliseLicence("CC-BY-NC-4.0", "t");
  const unknown = normaliseLicence("", "t");
  const arxiv = normaliseLicence("http://arxiv.org/licenses/nonexclusive-distrib/1.0/", "t");

  it("is permissive-only by default: unknown, non-commercial and arXiv's licence are refused", () => {
    const p = licencePolicy();
    expect(p).toEqual({ base: "permissive", allow: [], deny: [] });
    expect(admits(p, ccBy)).toEqual({ ok: true });
    expect(admits(p, ccByNc)).toEqual({
      ok: false,
      reason: "licence CC-BY-NC-4.0 is not permissive (policy: permissive)",
    });
    expect(admits(p, unknown).ok).toBe(false);
    expect(admits(p, arxiv).ok).toBe(false);
  });

  it("admits allow-listed ids (case-insensitive, prefix *) and refuses deny-listed ones, deny first", () => {
    const p = licencePolicy({ allow: ["cc-by-nc-4.0", "LicenseRef-arXiv-*"], deny: ["CC-BY-4.0"] });
    expect(p.base).toBe("permissive");
    expect(admits(p, ccByNc).ok).toBe(true);
    expect(admits(p, arxiv).ok).toBe(true);
    expect(admits(p, ccBy)).toEqual({ ok: false, reason: "licence CC-BY-4.0 is on the deny list" });
    expect(admits(p, unknown).ok).toBe(false);
    expect(admits(licencePolicy({ allow: ["CC-BY-4.0"], deny: ["cc-by-*"] }), ccBy).ok).toBe(false);
  });

  it("with base any admits everything except the deny list", () => {
    const p = licencePolicy({ base: "any", deny: ["unknown"] });
    expect(admits(p, ccByNc).ok).toBe(true);
    expect(admits(p, arxiv).ok).toBe(true);
    expect(admits(p, unknown).ok).toBe(false);
    expect(admits(licencePolicy("any"), unknown).ok).toBe(true);
  });
});
