import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { coreSource } from "../../../src/sources/adapters/core.js";
import { doajLicence, doajSource } from "../../../src/sources/adapters/doaj.js";
import { plosSource } from "../../../src/sources/adapters/plos.js";
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

describe("plos adapter", () => {
  it("parses Solr docs: abstracts, HTML titles flattened, CC-BY-4.0 with honest evidence", async () => {
    server.route({ path: "/search", reply: { file: "plos/search-alcohol-highlighting.json" } });
    const docs = await plosSource({ baseUrl: server.url, http }).search("binge alcohol immune", {
      limit: 10,
    });
    expect(docs.length).toBeGreaterThan(0);
    expectWellFormed(docs, "plos");
    const d = docs[0]!;
    expect(d.title).toBe(
      "Persistence of Burkholderia thailandensis E264 in lung tissue after a single binge alcohol episode",
    );
    expect(d.url).toBe("https://doi.org/10.1371/journal.pone.0218147");
    expect(d.authors[0]).toBe("Victor M. Jimenez Jr.");
    expect(d.published).toBe("2019-12-10");
    expect(d.licence).toMatchObject({ spdx: "CC-BY-4.0", permissive: true });
    expect(d.licence.evidence).toMatch(/not stated per article/);
    const q = server.requests[0]!.query;
    expect(q.get("fq")).toBe("doc_type:full");
    expect(q.get("q")).toBe("binge AND alcohol AND immune");
  });

  it("docs without abstracts give nothing; empty docs give []; abstract-only docs use the DOI as title", async () => {
    const src = plosSource({ baseUrl: server.url, http });
    for (const f of [
      "search-author-johnson-fl-title-author-rows100.json",
      "search-ecology-fl-id-publication_date-rows2.json",
      "search-subject-marine-ecology-fq-doc_type-full.json",
      "search-rows0-empty-docs.json",
    ]) {
      server.route({ path: "/search", reply: { file: `plos/${f}` } });
      expect(await src.search("subject:ecology")).toEqual([]);
    }
    server.route({ path: "/search", reply: { file: "plos/search-abstract-drosophila-fl-abstract-id.json" } });
    const docs = await src.search("drosophila virus");
    expect(docs.length).toBeGreaterThan(0);
    expect(docs[0]!.title).toBe("10.1371/journal.pone.0012421");
  });

  it("reports Solr errors", async () => {
    server.route({
      path: "/search",
      reply: {
        status: 400,
        json: { responseHeader: { status: 400 }, error: { msg: "undefined field foo", code: 400 } },
      },
    });
    const e = await sourceFailure(plosSource({ baseUrl: server.url, http }).search("foo:bar"));
    expect(e.message).toMatch(/undefined field foo/);
  });
});

describe("doaj adapter", () => {
  it("article search: abstracts, authors, licence from the journal's DOAJ licence", async () => {
    server.route({
      path: /^\/api\/search\/articles\//,
      reply: { file: "doaj/api-v2-search-articles-license-CC-BY.json" },
    });
    const docs = await doajSource({ baseUrl: server.url, http }).search("brain insulin sensitivity", {
      limit: 10,
    });
    expect(docs.length).toBeGreaterThan(0);
    expectWellFormed(docs, "doaj");
    const d = docs.find((x) => x.title.startsWith("Brain insulin sensitivity"))!;
    expect(d.url).toBe("http://link.springer.com/article/10.1038/s41467-020-15686-y");
    expect(d.authors[0]).toBe("Stephanie Kullmann");
    expect(d.published).toBe("2020-04");
    expect(d.licence).toMatchObject({ spdx: "CC-BY-4.0", permissive: true });
    expect(d.licence.evidence).toMatch(/^doaj bibjson\.journal\.license\[0\]\.type/);
    expect(server.requests[0]!.path).toBe("/api/search/articles/brain%20insulin%20sensitivity");
  });

  it('month "0" (not known) gives the year alone, never "2020-00"; month names are read', async () => {
    const recorded = readFixtureJson("doaj/api-v2-search-articles-license-CC-BY.json") as {
      results: Array<{ bibjson: Record<string, unknown> }>;
    };
    const brain = recorded.results.find((r) => String(r.bibjson.title).startsWith("Brain insulin"))!;
    server.route({
      path: /^\/api\/search\/articles\//,
      reply: {
        json: { ...recorded, results: [{ ...brain, bibjson: { ...brain.bibjson, month: "0" } }] },
      },
    });
    const src = doajSource({ baseUrl: server.url, http });
    const [d] = await src.search("brain insulin sensitivity");
    expect(d!.published).toBe("2020");
    server.route({
      path: /^\/api\/search\/articles\//,
      reply: { file: "doaj/api-v2-search-articles-license-CC-BY.json" },
    });
    const docs = await src.search("Memória História Oral Patrimônio", { limit: 10 });
    // recorded `year: "2017", month: "March"`
    expect(docs.find((x) => x.title.startsWith("Memória, História Oral"))!.published).toBe("2017-03");
    for (const x of docs) expect(x.published).toMatch(/^\d{4}(?:-(?:0[1-9]|1[0-2]))?$/);
  });

  it("a single article without abstract or licence gives nothing; journal records give nothing", async () => {
    const src = doajSource({ baseUrl: server.url, http });
    server.route({ path: /^\/api\/search\/articles\//, reply: { file: "doaj/api-v2-article-by-id.json" } });
    expect(await src.search("genes brain")).toEqual([]);
    server.route({
      path: /^\/api\/search\/articles\//,
      reply: { file: "doaj/api-v2-search-journals-keywords-heritage.json" },
    });
    expect(await src.search("heritage")).toEqual([]);
    expect(doajLicence({ title: "x" }).spdx).toBe("unknown");
    expect(
      doajLicence({ license: [{ type: "CC BY-NC", url: "https://creativecommons.org/licenses/by-nc/4.0/" }] })
        .spdx,
    ).toBe("CC-BY-NC-4.0");
  });
});

describe("core adapter", () => {
  it("v2 search (retired API, recorded): Elasticsearch hits, HTML entities decoded, licence unknown", async () => {
    server.route({ path: /^\/api-v2\/search\//, reply: { file: "core/api-v2-search-ecology.json" } });
    const docs = await coreSource({
      baseUrl: server.url,
      http,
      apiVersion: "v2",
      apiKey: "core-key-abcdef123456",
    }).search("ecology", { limit: 10 });
    expect(docs.length).toBeGreaterThan(0);
    expectWellFormed(docs, "core");
    for (const d of docs)
      expect(d.licence).toMatchObject({ spdx: "unknown", evidence: "CORE record states no licence" });
    expect(docs.some((d) => d.passages.some((p) => p.text.includes("a ‘green world’")))).toBe(true);
    expect(server.requests[0]!.query.get("apiKey")).toBe("core-key-abcdef123456");
  });

  it("v2 single article: entities such as &apos; are decoded", async () => {
    server.route({ path: /^\/api-v2\/search\//, reply: { file: "core/api-v2-articles-get-21132995.json" } });
    const [d] = await coreSource({ baseUrl: server.url, http, apiVersion: "v2" }).search(
      "fisheries theology",
    );
    expect(d!.title).toBe("CORE 21132995");
    expect(d!.passages.map((p) => p.text).join(" ")).toContain("mankind's rule over other species");
    expect(d!.url).toBe("https://core.ac.uk/display/21132995");
  });

  it("v2 no hits ({status: Not found, totalHits: 0}, with 200 or 404) is zero documents, not a failure", async () => {
    const src = coreSource({ baseUrl: server.url, http, apiVersion: "v2" });
    // HAND-WRITTEN: CORE API v2's documented answer to a search without hits.
    server.route({ path: /^\/api-v2\/search\//, reply: { json: { status: "Not found", totalHits: 0 } } });
    expect(await src.search("qwzxv plmok")).toEqual([]);
    server.route({
      path: /^\/api-v2\/search\//,
      reply: { status: 404, json: { status: "Not found", totalHits: 0 } },
    });
    expect(await src.search("qwzxv plmok")).toEqual([]);
    // other statuses stay failures
    server.route({
      path: /^\/api-v2\/search\//,
      reply: { json: { status: "Too many queries", totalHits: 0 } },
    });
    expect((await sourceFailure(src.search("x"))).message).toMatch(/Too many queries/);
    server.route({
      path: /^\/api-v2\/search\//,
      reply: { status: 404, body: "no such endpoint", contentType: "text/plain" },
    });
    expect((await sourceFailure(src.search("x"))).details).toMatchObject({
      reason: "http-status",
      status: 404,
    });
  });

  it("a record with only a numeric year is published in that year, not on 1970-01-01", async () => {
    const recorded = readFixtureJson("core/api-v2-search-ecology.json") as {
      data: Array<{ _source: Record<string, unknown> }>;
    };
    // The recorded v2 hits, with datePublished taken out: `year` (a number) is what is left.
    server.route({
      path: /^\/api-v2\/search\//,
      reply: {
        json: {
          ...recorded,
          data: recorded.data.map((h) => ({ ...h, _source: { ...h._source, datePublished: null } })),
        },
      },
    });
    const v2 = await coreSource({ baseUrl: server.url, http, apiVersion: "v2" }).search("ecology", {
      limit: 10,
    });
    expect(v2.length).toBeGreaterThan(0);
    for (const d of v2) expect(d.published).toMatch(/^(?:19|20)\d{2}$/);
    // HAND-WRITTEN: a v3 work with `yearPublished` (a number) and no publishedDate.
    server.route({
      path: "/v3/search/works",
      reply: {
        json: {
          totalHits: 1,
          limit: 5,
          offset: 0,
          results: [
            {
              id: 77,
              title: "Grazing and soil carbon",
              abstract: "Grazing alters soil carbon stocks through trampling and litter inputs.",
              authors: [{ name: "Rivera, Ana" }],
              yearPublished: 2019,
              publishedDate: null,
            },
          ],
        },
      },
    });
    const [v3] = await coreSource({ baseUrl: server.url, http }).search("soil carbon grazing");
    expect(v3!.published).toBe("2019");
  });

  /**
   * HAND-WRITTEN (not recorded): a CORE API v3 `/v3/search/works` answer shaped like the
   * documented one (api.core.ac.uk/docs/v3); the shared fixtures hold only v2 answers.
   */
  it("v3 works search with a bearer key", async () => {
    server.route({
      path: "/v3/search/works",
      reply: {
        json: {
          totalHits: 1,
          limit: 5,
          offset: 0,
          results: [
            {
              id: 4242,
              title: "Soil carbon dynamics under grazing",
              abstract: "Grazing alters soil carbon stocks through trampling and litter inputs.",
              authors: [{ name: "Rivera, Ana" }],
              doi: "10.1234/soil.42",
              publishedDate: "2021-03-04T00:00:00",
              links: [{ type: "display", url: "https://core.ac.uk/works/4242" }],
            },
          ],
        },
      },
    });
    const docs = await coreSource({ baseUrl: server.url, http, apiKey: "core-key-abcdef123456" }).search(
      "soil carbon grazing",
    );
    expect(docs).toEqual([
      expect.objectContaining({
        title: "Soil carbon dynamics under grazing",
        url: "https://core.ac.uk/works/4242",
        authors: ["Rivera, Ana"],
        published: "2021-03-04",
      }),
    ]);
    expect(server.requests[0]!.headers.authorization).toBe("Bearer core-key-abcdef123456");
    server.route({
      path: "/v3/search/works",
      reply: { status: 401, json: { message: "Invalid API key core-key-abcdef123456" } },
    });
    const e = await sourceFailure(
      coreSource({ baseUrl: server.url, http, apiKey: "core-key-abcdef123456" }).search("x"),
    );
    expect(e.message).not.toContain("core-key-abcdef123456");
  });
});
