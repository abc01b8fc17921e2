import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { biorxivSource, medrxivSource } from "../../../src/sources/adapters/biorxiv.js";
import { type FixtureServer, readFixtureJson, startFixtureServer } from "../../helpers/fixture-server.js";
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

interface Pre {
  doi: string;
  title: string;
  license: string;
}
const FIXTURE = "biorxiv/details-biorxiv-interval-2020-2022-cursor0.json";
const recorded = () => (readFixtureJson(FIXTURE) as { collection: Pre[] }).collection;

describe("biorxiv adapter", () => {
  it("reads the details API and ranks the preprints against the query locally", async () => {
    server.route({ path: /^\/details\/biorxiv\/2020-01-01\/2022-12-31\/0/, reply: { file: FIXTURE } });
    const src = biorxivSource({ baseUrl: server.url, http, interval: "2020-01-01/2022-12-31", pages: 1 });
    const docs = await src.search("nuclear transport rates in single cells", { limit: 3 });
    expect(docs.length).toBeGreaterThan(0);
    expectWellFormed(docs, "biorxiv");
    expect(docs[0]!.title).toBe(
      "Characterization of cell-to-cell variation in nuclear transport rates and identification of its sources",
    );
    expect(docs[0]!.url).toBe("https://www.biorxiv.org/content/10.1101/001768v2");
    expect(docs[0]!.authors[0]).toBe("Durrieu, L.");
    expect(docs[0]!.licence).toMatchObject({
      spdx: "CC-BY-NC-ND-4.0",
      permissive: false,
      noDerivatives: true,
    });
    expect(docs[0]!.licence.evidence).toMatch(/^biorxiv license/);
    // the count in messages says 100 but the collection holds 50: the cursor stops at the total, and one page was asked for
    expect(server.requests).toHaveLength(1);
  });

  it("maps every licence in the recording: cc_by permissive, cc_no not permissive, empty strings unknown", async () => {
    server.route({ path: /^\/details\/biorxiv\//, reply: { file: FIXTURE } });
    const src = biorxivSource({ baseUrl: server.url, http, pages: 1, passagesPerDocument: 1 });
    const all = recorded();
    for (const p of [
      all.find((x) => x.license === "cc_by")!,
      all.find((x) => x.license === "")!,
      all.find((x) => x.license === "cc_no")!,
      all.find((x) => x.license === "cc_by_nc")!,
    ]) {
      const docs = await src.search(p.title, { limit: 50 });
      const d = docs.find((x) => x.title === p.title)!;
      expect(d).toBeDefined();
      if (p.license === "cc_by") expect(d.licence).toMatchObject({ spdx: "CC-BY-4.0", permissive: true });
      if (p.license === "")
        expect(d.licence).toMatchObject({
          spdx: "unknown",
          permissive: false,
          evidence: "biorxiv license field is empty",
        });
      // "cc_no": no reuse without permission
      if (p.license === "cc_no")
        expect(d.licence).toMatchObject({ permissive: false, commercialUseAllowed: false });
      if (p.license === "cc_by_nc")
        expect(d.licence).toMatchObject({ commercialUseAllowed: false, permissive: false });
    }
  });

  it("fetches a DOI directly (latest version), and medRxiv uses its own server path", async () => {
    const one = recorded().filter((p) => p.doi === "10.1101/001768");
    server.route({
      path: "/details/medrxiv/10.1101/001768/na/json",
      reply: {
        json: {
          messages: [{ status: "ok" }],
          // the recorded record as the medRxiv server answers it (its `server` says medRxiv)
          collection: [
            { ...one[0], version: "1", server: "medRxiv" },
            { ...one[0], version: "3", server: "medRxiv" },
          ],
        },
      },
    });
    const docs = await medrxivSource({ baseUrl: server.url, http }).search("10.1101/001768");
    expect(docs).toHaveLength(1);
    expect(docs[0]!.adapter).toBe("medrxiv");
    expect(docs[0]!.url).toBe("https://www.medrxiv.org/content/10.1101/001768v3");
  });

  it("a record whose server is medRxiv links to medrxiv.org, even from the biorxiv adapter", async () => {
    const one = recorded().find((p) => p.doi === "10.1101/001768")!;
    expect((one as unknown as { server: string }).server).toBe("bioRxiv");
    server.route({
      path: "/details/biorxiv/10.1101/2020.03.19.20039131/na/json",
      reply: {
        json: {
          messages: [{ status: "ok" }],
          // the recorded record, as the details API returns a medRxiv preprint
          collection: [{ ...one, doi: "10.1101/2020.03.19.20039131", version: "2", server: "medRxiv" }],
        },
      },
    });
    const src = biorxivSource({ baseUrl: server.url, http });
    const [d] = await src.search("10.1101/2020.03.19.20039131");
    expect(d!.adapter).toBe("biorxiv");
    expect(d!.url).toBe("https://www.medrxiv.org/content/10.1101/2020.03.19.20039131v2");
    // and bioRxiv records read through the medrxiv adapter keep biorxiv.org
    server.route({
      path: "/details/medrxiv/10.1101/001768/na/json",
      reply: { json: { messages: [{ status: "ok" }], collection: [one] } },
    });
    const [b] = await medrxivSource({ baseUrl: server.url, http }).search("10.1101/001768");
    expect(b!.url).toBe("https://www.biorxiv.org/content/10.1101/001768v2");
  });

  it("returns [] for 'no posts found' and for a query nothing matches", async () => {
    const src = biorxivSource({ baseUrl: server.url, http, pages: 1 });
    server.route({ path: /^\/details\//, reply: { json: { messages: [{ status: "no posts found" }] } } });
    expect(await src.search("anything")).toEqual([]);
    server.route({ path: /^\/details\//, reply: { file: FIXTURE } });
    expect(await src.search("qwzxv plmok")).toEqual([]);
  });

  it("fails on a truncated recording and an error status", async () => {
    const src = biorxivSource({ baseUrl: server.url, http, pages: 1 });
    const { readFixture } = await import("../../helpers/fixture-server.js");
    server.route({
      path: /^\/details\//,
      reply: { body: readFixture(FIXTURE).subarray(0, 5000), contentType: "application/json" },
    });
    expect((await sourceFailure(src.search("cells"))).details).toMatchObject({ reason: "malformed-json" });
    server.route({ path: /^\/details\//, reply: { json: { messages: [{ status: "invalid interval" }] } } });
    expect((await sourceFailure(src.search("cells"))).details).toMatchObject({ reason: "api-error" });
  });
});
