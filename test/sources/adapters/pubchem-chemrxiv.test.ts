import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { chemrxivSource } from "../../../src/sources/adapters/chemrxiv.js";
import { compoundCandidates, pubchemSource } from "../../../src/sources/adapters/pubchem.js";
import { type FixtureServer, startFixtureServer } from "../../helpers/fixture-server.js";
import { expectWellFormed, sourceFailure, testHttp } from "./helpers.js";

let server: FixtureServer;
const http = testHttp();
beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

/**
 * HAND-WRITTEN (not recorded; no PubChem recording exists in the shared fixtures):
 * PUG REST answers shaped like the documented ones
 * (pubchem.ncbi.nlm.nih.gov/docs/pug-rest): a PropertyTable, an InformationList of
 * descriptions, and the Fault object of a name that matches no compound (HTTP 404).
 */
const GLUCOSE = {
  PropertyTable: {
    Properties: [
      {
        CID: 5793,
        Title: "D-Glucose",
        IUPACName: "(3R,4S,5S,6R)-6-(hydroxymethyl)oxane-2,3,4,5-tetrol",
        MolecularFormula: "C6H12O6",
        MolecularWeight: "180.16",
        ExactMass: "180.06338810",
        SMILES: "C([C@@H]1[C@H]([C@@H]([C@H](C(O1)O)O)O)O)O",
        InChIKey: "WQZGKKKJIJFFOK-GASJEMHNSA-N",
        XLogP: -2.6,
        TPSA: 110,
        HBondDonorCount: 5,
        HBondAcceptorCount: 6,
        Charge: 0,
      },
    ],
  },
};
const GLUCOSE_DESCRIPTIONS = {
  InformationList: {
    Information: [
      { CID: 5793, Title: "D-Glucose" },
      {
        CID: 5793,
        Description: "D-glucose is a glucose with D-configuration. It has a role as an epitope.",
        DescriptionSourceName: "ChEBI",
        DescriptionURL: "https://www.ebi.ac.uk/chebi/searchId.do?chebiId=CHEBI:4167",
      },
    ],
  },
};
const NOT_FOUND = {
  Fault: {
    Code: "PUGREST.NotFound",
    Message: "No CID found",
    Details: ["No CID found that matches the given name"],
  },
};

describe("pubchem adapter (hand-written PUG REST answers)", () => {
  it("finds compound names inside a question; facts are public domain, descriptions unknown", async () => {
    server.route({
      path: /^\/rest\/pug\/compound\/name\/[^/]+\/property\//,
      reply: { status: 404, json: NOT_FOUND },
    });
    server.route({ path: /^\/rest\/pug\/compound\/name\/glucose\/property\//, reply: { json: GLUCOSE } });
    server.route({
      path: "/rest/pug/compound/cid/5793/description/JSON",
      reply: { json: GLUCOSE_DESCRIPTIONS },
    });
    const docs = await pubchemSource({ baseUrl: server.url, http }).search(
      "What is the molar mass of glucose?",
      { limit: 1 },
    );
    expectWellFormed(docs, "pubchem");
    const [facts, desc] = docs as [(typeof docs)[0], (typeof docs)[0]];
    expect(facts.title).toBe("D-Glucose");
    expect(facts.url).toBe("https://pubchem.ncbi.nlm.nih.gov/compound/5793");
    expect(facts.passages[0]!.text).toBe(
      "D-Glucose (PubChem CID 5793). IUPAC name: (3R,4S,5S,6R)-6-(hydroxymethyl)oxane-2,3,4,5-tetrol. Molecular formula: C6H12O6. Molecular weight: 180.16 g/mol. Exact mass: 180.06338810 Da. SMILES: C([C@@H]1[C@H]([C@@H]([C@H](C(O1)O)O)O)O)O. InChIKey: WQZGKKKJIJFFOK-GASJEMHNSA-N. XLogP3: -2.6. Topological polar surface area: 110 Å². Hydrogen bond donors: 5. Hydrogen bond acceptors: 6. Formal charge: 0.",
    );
    expect(facts.licence).toMatchObject({
      spdx: "LicenseRef-PublicDomain",
      permissive: true,
      attributionRequired: false,
    });
    expect(desc.title).toBe("D-Glucose: description from ChEBI");
    expect(desc.licence.spdx).toBe("unknown");
    expect(desc.licence.evidence).toMatch(/ChEBI/);
    const tried = server.requests
      .filter((r) => r.path.includes("/compound/name/"))
      .map((r) => decodeURIComponent(r.path.split("/")[5]!));
    expect(tried).toEqual(["molar mass", "mass glucose", "molar", "mass", "glucose"]);
  });

  it("returns [] when no name matches, and fails on a server error", async () => {
    server.route({ path: /^\/rest\/pug\/compound\/name\//, reply: { status: 404, json: NOT_FOUND } });
    expect(
      await pubchemSource({ baseUrl: server.url, http, maxLookups: 3 }).search("unobtainium flux"),
    ).toEqual([]);
    expect(server.requests).toHaveLength(3);
    server.route({
      path: /^\/rest\/pug\/compound\/name\//,
      reply: {
        status: 503,
        json: { Fault: { Code: "PUGREST.ServerBusy", Message: "Too many requests or server too busy" } },
      },
    });
    const e = await sourceFailure(pubchemSource({ baseUrl: server.url, http }).search("glucose"));
    expect(e.message).toMatch(/server too busy/);
  });

  it("candidate names: the short query first, then two-word phrases, then words", () => {
    expect(compoundCandidates("sodium chloride", 8)).toEqual(["sodium chloride", "sodium", "chloride"]);
    expect(compoundCandidates("How much sodium chloride dissolves in water at 25 C?", 4)).toEqual([
      "much sodium",
      "sodium chloride",
      "chloride dissolves",
      "dissolves water",
    ]);
  });
});

/**
 * HAND-WRITTEN (not recorded; no ChemRxiv recording exists in the shared fixtures): Open
 * Engage public API answers shaped like the documented ones
 * (chemrxiv.org/engage/chemrxiv/public-api/documentation): `{ totalCount, itemHits: [{ item }] }`.
 */
const CHEMRXIV = {
  totalCount: 2,
  itemHits: [
    {
      item: {
        id: "60c7575b0f50db6a1a397ac8",
        doi: "10.26434/chemrxiv-2021-abc12",
        title: "Machine-Learned Potentials for <i>Aqueous</i> Proton Transfer",
        abstract:
          "Proton transfer in water is central to acid-base chemistry.\n\nWe train neural network potentials on ab initio data.",
        authors: [
          { firstName: "Mei", lastName: "Chen", institutions: [{ name: "MIT" }] },
          { firstName: "Omar", lastName: "Haddad" },
        ],
        publishedDate: "2021-06-14T10:00:00.000Z",
        license: {
          id: "5cd0",
          name: "CC BY 4.0",
          description: "Creative Commons Attribution 4.0",
          url: null,
        },
      },
    },
    {
      item: {
        id: "60c7575b0f50db6a1a397ac9",
        doi: "10.26434/chemrxiv-2022-def34",
        title: "A Restricted Preprint",
        abstract: "Catalysis text under a non-commercial licence.",
        authors: [{ firstName: "Li", lastName: "Wu" }],
        publishedDate: "2022-01-02T00:00:00.000Z",
        license: { id: "5cd2", name: "CC BY NC ND 4.0" },
      },
    },
  ],
};

describe("chemrxiv adapter (hand-written Open Engage answers)", () => {
  it("parses item hits with a licence per item", async () => {
    server.route({ path: "/items", reply: { json: CHEMRXIV } });
    const docs = await chemrxivSource({ baseUrl: server.url, http }).search("proton transfer water");
    expectWellFormed(docs, "chemrxiv");
    expect(docs).toHaveLength(2);
    expect(docs[0]).toMatchObject({
      title: "Machine-Learned Potentials for Aqueous Proton Transfer",
      url: "https://doi.org/10.26434/chemrxiv-2021-abc12",
      authors: ["Mei Chen", "Omar Haddad"],
      published: "2021-06-14",
    });
    expect(docs[0]!.passages.map((p) => p.text)).toEqual([
      "Proton transfer in water is central to acid-base chemistry. We train neural network potentials on ab initio data.",
    ]);
    expect(docs[0]!.licence).toMatchObject({ spdx: "CC-BY-4.0", permissive: true });
    expect(docs[1]!.licence).toMatchObject({ spdx: "CC-BY-NC-ND-4.0", permissive: false });
    expect(server.requests[0]!.query.get("term")).toBe("proton transfer water");
  });

  it("a DOI is looked up directly; unknown DOI → []; errors fail", async () => {
    const src = chemrxivSource({ baseUrl: server.url, http });
    server.route({
      path: "/items/doi/10.26434%2Fchemrxiv-2021-abc12",
      reply: { json: CHEMRXIV.itemHits[0]!.item },
    });
    expect((await src.search("10.26434/chemrxiv-2021-abc12")).map((d) => d.title)).toEqual([
      "Machine-Learned Potentials for Aqueous Proton Transfer",
    ]);
    server.route({ path: /^\/items\/doi\//, reply: { status: 404, json: { message: "Item not found" } } });
    expect(await src.search("10.26434/none")).toEqual([]);
    server.route({ path: "/items", reply: { json: { totalCount: 0, itemHits: [] } } });
    expect(await src.search("nothing")).toEqual([]);
    server.route({ path: "/items", reply: { json: { items: [] } } });
    expect((await sourceFailure(src.search("x"))).details).toMatchObject({ reason: "unexpected-shape" });
  });
});
