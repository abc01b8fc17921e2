import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { europePmcSource, parseEuropePmcResults } from "../../../src/sources/adapters/europepmc.js";
import { HttpClient } from "../../../src/sources/http.js";
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

interface Rec {
  id: string;
  license?: string;
  abstractText?: string;
  title: string;
}

describe("europePmc adapter", () => {
  it("parses core results: HTML abstracts split at their sections, licence from the license field", async () => {
    server.route({ path: "/search", reply: { file: "europepmc/search-cancer-core.json" } });
    const docs = await europePmcSource({ baseUrl: server.url, http, passagesPerDocument: 20 }).search(
      "cancer",
      { limit: 25 },
    );
    const recorded = (
      readFixtureJson("europepmc/search-cancer-core.json") as { resultList: { result: Rec[] } }
    ).resultList.result;
    expect(docs).toHaveLength(recorded.filter((r) => r.abstractText).length);
    expectWellFormed(docs, "europePmc");
    for (const d of docs) {
      const r = recorded.find((x) => d.url.endsWith(`/${x.id}`))!;
      if (r.license === "cc by") {
        expect(d.licence).toMatchObject({ spdx: "CC-BY-4.0", permissive: true });
        expect(d.licence.evidence).toMatch(/^europepmc license/);
      } else if (r.license === "cc by-nc-nd")
        expect(d.licence).toMatchObject({ permissive: false, noDerivatives: true });
      else expect(d.licence.spdx).toBe("unknown");
    }
    const act = docs.find((d) =>
      d.passages.some((p) => p.text.startsWith("This study investigated whether psychological flexibility")),
    )!;
    // "<h4>Objective</h4>text<h4>Design</h4>text": headings dropped, one passage per section
    expect(act.passages.length).toBeGreaterThan(2);
    expect(act.passages.some((p) => /^(Objective|Design)\b/.test(p.text))).toBe(false);
    const req = server.requests[0]!;
    expect(req.query.get("resultType")).toBe("core");
    expect(req.query.get("format")).toBe("json");
  });

  it("reads the lite JSON and XML formats alike, and lite records (no abstract) give no documents", async () => {
    const client = testHttp();
    server.route({ path: "/lite.json", reply: { file: "europepmc/search-cancer-lite.json" } });
    server.route({ path: "/lite.xml", reply: { file: "europepmc/search-cancer-lite.xml" } });
    const a = await client.getJsonOrXml(
      { adapter: "europePmc", url: `${server.url}/lite.json` },
      { stopNodes: ["*.abstractText", "*.title"], isArray: (n: string) => ["result", "author"].includes(n) },
    );
    const b = await client.getJsonOrXml(
      { adapter: "europePmc", url: `${server.url}/lite.xml` },
      { stopNodes: ["*.abstractText", "*.title"], isArray: (n: string) => ["result", "author"].includes(n) },
    );
    expect(a.format).toBe("json");
    expect(b.format).toBe("xml");
    const ja = parseEuropePmcResults("europePmc", a.format, a.data, a.response);
    const xb = parseEuropePmcResults("europePmc", b.format, b.data, b.response);
    expect(ja).toHaveLength(25);
    expect(xb.map((r) => [r.id, r.title, r.doi])).toEqual(ja.map((r) => [r.id, r.title, r.doi]));
    expect(ja[0]!.authors).toEqual(["Schoenfeld JD", "Haas-Kogan DA", "O'Neill AF"]);
    server.route({ path: "/search", reply: { file: "europepmc/search-cancer-lite.xml" } });
    expect(await europePmcSource({ baseUrl: server.url, http }).search("cancer")).toEqual([]);
    server.route({ path: "/search", reply: { file: "europepmc/search-cancer-idlist.json" } });
    expect(
      await europePmcSource({
        baseUrl: server.url,
        http: new HttpClient({ cache: false, politeness: 0 }),
      }).search("cancer"),
    ).toEqual([]);
  });

  it("looks a DOI up by field and widens prose queries to OR when nothing matched", async () => {
    let n = 0;
    server.route({
      path: "/search",
      reply: () =>
        ++n === 1
          ? { json: { version: "6.9", hitCount: 0, resultList: { result: [] } } }
          : { file: "europepmc/search-cancer-core.json" },
    });
    const docs = await europePmcSource({ baseUrl: server.url, http }).search(
      "acceptance commitment therapy cancer survivors",
      { limit: 3 },
    );
    expect(docs.length).toBeGreaterThan(0);
    expect(server.requests.map((r) => r.query.get("query"))).toEqual([
      "acceptance commitment therapy cancer",
      "acceptance OR commitment OR therapy OR cancer",
    ]);
    server.reset();
    server.route({ path: "/search", reply: { json: { hitCount: 0, resultList: { result: [] } } } });
    expect(
      await europePmcSource({ baseUrl: server.url, http }).search("10.1016/s0140-6736(24)02600-x"),
    ).toEqual([]);
    expect(server.requests[0]!.query.get("query")).toBe('DOI:"10.1016/s0140-6736(24)02600-x"');
  });

  it("fails on a 500, an unexpected shape and an HTML page", async () => {
    const src = europePmcSource({ baseUrl: server.url, http });
    server.route({ path: "/search", reply: { status: 500, body: "Internal Server Error" } });
    expect((await sourceFailure(src.search("x"))).details).toMatchObject({ status: 500 });
    server.route({ path: "/search", reply: { json: { version: "6.9", unexpected: true } } });
    expect((await sourceFailure(src.search("x"))).details).toMatchObject({ reason: "unexpected-shape" });
    server.route({
      path: "/search",
      reply: { body: "<html><body>maintenance</body></html>", contentType: "text/html" },
    });
    expect((await sourceFailure(src.search("x"))).details).toMatchObject({ reason: "html-error-page" });
  });
});
