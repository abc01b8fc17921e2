import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { arxivQuery, arxivSource } from "../../../src/sources/adapters/arxiv.js";
import { type FixtureServer, readFixture, startFixtureServer } from "../../helpers/fixture-server.js";
import { expectWellFormed, sourceFailure, testHttp } from "./helpers.js";

/**
 * HAND-WRITTEN (not recorded): an arXiv OAI-PMH GetRecord answer in `metadataPrefix=arXiv`,
 * shaped like the documented format (https://info.arxiv.org/help/oa/index.html), since
 * the shared fixtures have no OAI-PMH recording.
 */
function oaiRecord(id: string, licence: string | null): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<responseDate>2026-04-12T22:10:19Z</responseDate>
<request verb="GetRecord" identifier="oai:arXiv.org:${id}" metadataPrefix="arXiv">http://export.arxiv.org/oai2</request>
<GetRecord><record><header><identifier>oai:arXiv.org:${id}</identifier><datestamp>2016-05-27</datestamp><setSpec>math</setSpec></header>
<metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>${id}</id><created>2016-05-26</created><title>t</title>
${licence ? `<license>${licence}</license>` : ""}<abstract>a</abstract></arXiv></metadata></record></GetRecord></OAI-PMH>`;
}

/** HAND-WRITTEN: the documented OAI-PMH error answer for an unknown identifier. */
const OAI_ERROR = `<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-04-12T22:10:19Z</responseDate>
<request verb="GetRecord">http://export.arxiv.org/oai2</request><error code="idDoesNotExist">Value of the identifier argument is unknown or illegal in this repository.</error></OAI-PMH>`;

/** HAND-WRITTEN: an empty result feed, shaped like the recorded ones with no <entry>. */
const EMPTY_FEED = `<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/x</id><title>arXiv Query: search_query=all:zzzz</title><updated>2026-04-12T22:10:19Z</updated>
  <opensearch:itemsPerPage>5</opensearch:itemsPerPage><opensearch:totalResults>0</opensearch:totalResults><opensearch:startIndex>0</opensearch:startIndex>
</feed>`;

/**
 * HAND-WRITTEN (not recorded): arXiv's HTTP 400 answer to a malformed query, shaped like
 * the new backend's (a feed titled "arXiv Search Results" whose one entry, id
 * .../api/errors#..., carries the reason in <summary>); the shared fixtures hold no error.
 */
const ERROR_FEED_400 = `<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/</id>
  <title>arXiv Search Results</title>
  <updated>2026-04-12T22:59:06Z</updated>
  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>
  <opensearch:totalResults>1</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <entry>
    <id>https://arxiv.org/api/errors#max_results_must_be_non-negative</id>
    <title>Error</title>
    <updated>2026-04-12T22:59:06Z</updated>
    <link href="https://arxiv.org/api/errors#max_results_must_be_non-negative" rel="alternate" type="text/html"/>
    <summary>max_results must be non-negative</summary>
    <author>
      <name>arXiv api core</name>
    </author>
  </entry>
</feed>
`;

let server: FixtureServer;
const http = testHttp();

beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
  server.route({
    path: "/oai2",
    reply: (req) => {
      const id = (req.query.get("identifier") ?? "").replace("oai:arXiv.org:", "");
      if (id === "1605.08386")
        return {
          body: oaiRecord(id, "http://creativecommons.org/licenses/by/4.0/"),
          contentType: "text/xml",
        };
      if (id === "astro-ph/0601001") return { body: oaiRecord(id, null), contentType: "text/xml" };
      if (id === "9999.99999") return { body: OAI_ERROR, contentType: "text/xml" };
      return {
        body: oaiRecord(id, "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"),
        contentType: "text/xml",
      };
    },
  });
});

describe("arxiv adapter", () => {
  it("parses a recorded search feed (new backend) and looks licences up over OAI-PMH", async () => {
    server.route({
      path: "/api/query",
      query: { search_query: /all:/ },
      reply: { file: "arxiv/search-testing-start0-max10.xml", contentType: "application/atom+xml" },
    });
    const src = arxivSource({ baseUrl: server.url, http });
    const docs = await src.search("software testing", { limit: 10 });
    expect(docs).toHaveLength(10);
    expectWellFormed(docs, "arxiv");
    const feed = readFixture("arxiv/search-testing-start0-max10.xml").toString("utf8");
    // titles and the first words of each abstract are word for word from the feed
    for (const d of docs) {
      expect(feed.replace(/&amp;/g, "&").replace(/\s+/g, " ")).toContain(d.title);
      expect(d.url).toMatch(/^https:\/\/arxiv\.org\/abs\//);
      expect(d.published).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(d.authors.length).toBeGreaterThan(0);
      expect(d.licence.spdx).toBe("LicenseRef-arXiv-nonexclusive-distrib-1.0");
      expect(d.licence.permissive).toBe(false);
      expect(d.licence.evidence).toContain("OAI-PMH");
    }
    const search = server.requests.find((r) => r.path === "/api/query")!;
    expect(search.query.get("max_results")).toBe("10");
    expect(search.query.get("sortBy")).toBe("relevance");
    expect(server.requests.filter((r) => r.path === "/oai2")).toHaveLength(10);
    expect(search.headers["user-agent"]).toMatch(
      /^synthforge\/\d+\.\d+\.\d+ \(\+https:\/\/github\.com\/synthforge\/synthforge; mailto:tests@example\.org\)$/,
    );
  });

  it("reads the classic (pre-2026) feed format: wrapped titles, inline namespaces, arxiv:doi", async () => {
    server.route({
      path: "/api/query",
      reply: { file: "arxiv/search-classic-format-2020-ml-nlp.xml", contentType: "application/atom+xml" },
    });
    const docs = await arxivSource({ baseUrl: server.url, http, licenceLookup: false }).search(
      "machine learning nlp",
      { limit: 20 },
    );
    expect(docs).toHaveLength(20);
    expectWellFormed(docs, "arxiv");
    const first = docs[0]!;
    expect(first.title).toBe(
      "A Multitask Deep Learning Approach for User Depression Detection on Sina Weibo",
    );
    expect(
      first.passages[0]!.text.startsWith("In recent years, due to the mental burden of depression"),
    ).toBe(true);
    expect(first.passages[0]!.text).not.toMatch(/\n/);
    // the feed's commented-out <published> is ignored; the real one is used
    expect(first.published).toBe("2020-08-25");
    expect(first.licence.spdx).toBe("unknown");
    expect(first.licence.evidence).toMatch(/lookup disabled/);
    expect(server.requests.some((r) => r.path === "/oai2")).toBe(false);
  });

  it("fetches by arXiv id (new-style, versioned and old-style) through id_list", async () => {
    server.route({
      path: "/api/query",
      query: { id_list: "1605.08386" },
      reply: { file: "arxiv/idlist-1605.08386.xml" },
    });
    server.route({
      path: "/api/query",
      query: { id_list: "astro-ph/0601001" },
      reply: { file: "arxiv/idlist-astro-ph-0601001-old-style-id.xml" },
    });
    server.route({
      path: "/api/query",
      query: { id_list: "2104.12255v1" },
      reply: { file: "arxiv/idlist-2104.12255v1-versioned.xml" },
    });
    const src = arxivSource({ baseUrl: server.url, http });
    const [heat] = await src.search("1605.08386");
    expect(heat!.title).toBe("Heat-bath random walks with Markov bases");
    expect(heat!.authors).toEqual(["Caprice Stanley", "Tobias Windisch"]);
    expect(heat!.url).toBe("https://arxiv.org/abs/1605.08386v1");
    expect(heat!.licence.spdx).toBe("CC-BY-4.0");
    expect(heat!.licence.permissive).toBe(true);
    const [old] = await src.search("astro-ph/0601001");
    expect(old!.licence.spdx).toBe("unknown");
    expect(old!.licence.evidence).toMatch(/absent/);
    const [versioned] = await src.search("2104.12255v1");
    expect(versioned!.url).toContain("2104.12255v1");
    // the OAI identifier drops the version
    expect(server.requests.some((r) => r.query.get("identifier") === "oai:arXiv.org:2104.12255")).toBe(true);
  });

  it("reads an old-style versioned id and a second results page", async () => {
    server.route({
      path: "/api/query",
      query: { id_list: "quant-ph/0201082v1" },
      reply: { file: "arxiv/idlist-quant-ph-0201082v1.xml" },
    });
    const [d] = await arxivSource({ baseUrl: server.url, http, licenceLookup: false }).search(
      "quant-ph/0201082v1",
    );
    expect(d!.url).toContain("quant-ph/0201082v1");
    expectWellFormed([d!], "arxiv");
    server.route({
      path: "/api/query",
      query: { search_query: /all:/ },
      reply: { file: "arxiv/search-testing-start10-max10.xml" },
    });
    const page2 = await arxivSource({ baseUrl: server.url, http, licenceLookup: false }).search("testing", {
      limit: 10,
    });
    expect(page2).toHaveLength(10);
    expectWellFormed(page2, "arxiv");
  });

  it("keeps a paper with an unknown licence when the OAI-PMH lookup errors", async () => {
    server.route({ path: "/api/query", reply: { file: "arxiv/idlist-1605.08386.xml" } });
    server.route({
      path: "/oai2",
      reply: {
        status: 503,
        body: "<html><title>Service Unavailable</title></html>",
        contentType: "text/html",
      },
    });
    const [doc] = await arxivSource({ baseUrl: server.url, http }).search("1605.08386");
    expect(doc!.licence.spdx).toBe("unknown");
    expect(doc!.licence.evidence).toMatch(/lookup failed.*503/);
  });

  it("returns [] for an empty feed", async () => {
    server.route({ path: "/api/query", reply: { body: EMPTY_FEED, contentType: "application/atom+xml" } });
    expect(await arxivSource({ baseUrl: server.url, http }).search("zzzz")).toEqual([]);
  });

  it("fails with SOURCE_FAILED on malformed XML, an HTML page and a 503", async () => {
    const src = arxivSource({ baseUrl: server.url, http });
    const cut = readFixture("arxiv/idlist-1707.08567.xml").subarray(0, 1500);
    server.route({ path: "/api/query", reply: { body: cut, contentType: "application/atom+xml" } });
    const bad = await sourceFailure(src.search("graph theory"));
    expect(bad.details).toMatchObject({ adapter: "arxiv", reason: "malformed-xml" });

    server.route({
      path: "/api/query",
      reply: {
        body: "<!DOCTYPE html><html><head><title>Rate exceeded</title></head><body>slow down</body></html>",
        contentType: "text/html",
      },
    });
    const html = await sourceFailure(src.search("graph theory"));
    expect(html.details).toMatchObject({ reason: "html-error-page" });
    expect(html.message).toContain("Rate exceeded");

    server.route({ path: "/api/query", reply: { status: 503, body: "busy" } });
    const down = await sourceFailure(src.search("graph theory"));
    expect(down.details).toMatchObject({ reason: "http-status", status: 503 });
  });

  it("an HTTP 400 says what the error entry's summary says, not the feed title", async () => {
    const src = arxivSource({ baseUrl: server.url, http });
    server.route({
      path: "/api/query",
      reply: { status: 400, body: ERROR_FEED_400, contentType: "application/atom+xml" },
    });
    const e = await sourceFailure(src.search("graph theory"));
    expect(e.details).toMatchObject({ adapter: "arxiv", status: 400 });
    expect(e.message).toContain("max_results must be non-negative");
    expect(e.message).not.toContain("arXiv Search Results");
    // a 400 that is not a feed is still the query being rejected
    server.route({
      path: "/api/query",
      reply: { status: 400, body: "Bad Request", contentType: "text/plain" },
    });
    const plain = await sourceFailure(src.search("graph theory"));
    expect(plain.details).toMatchObject({ reason: "http-status", status: 400 });
    expect(plain.message).toMatch(/arXiv rejected the query/);
  });

  it("builds field queries from free text and passes explicit ones through", () => {
    expect(arxivQuery("What is the heat-bath random walk?")).toBe(
      'all:"heat-bath" OR all:random OR all:walk',
    );
    expect(arxivQuery("ti:markov AND au:stanley")).toBe("ti:markov AND au:stanley");
    expect(arxivQuery("markov bases", "math.CO")).toBe("(all:markov OR all:bases) AND cat:math.CO");
  });
});
