import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { wikipediaSource } from "../../../src/sources/adapters/wikipedia.js";
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

const SEARCH = { path: "/w/api.php", query: { list: "search" } };
const EXTRACT_PY = {
  path: "/w/api.php",
  query: { prop: /extracts/, titles: "Python (programming language)" },
};

describe("wikipedia adapter", () => {
  it("searches, then reads full plain-text extracts and keeps the passages relevant to the query", async () => {
    server.route({
      ...SEARCH,
      reply: { file: "wikipedia/action-query-list-search-python-programming.json" },
    });
    server.route({
      ...EXTRACT_PY,
      reply: { file: "wikipedia/action-query-prop-extracts-explaintext-python.json" },
    });
    const src = wikipediaSource({ baseUrl: server.url, http, passagesPerDocument: 3 });
    const docs = await src.search("Guido van Rossum Python release history", { limit: 1 });
    expect(docs).toHaveLength(1);
    expectWellFormed(docs, "wikipedia");
    const d = docs[0]!;
    expect(d.title).toBe("Python (programming language)");
    expect(d.url).toBe("https://en.wikipedia.org/wiki/Python_(programming_language)");
    expect(d.authors).toEqual(["Wikipedia contributors"]);
    expect(d.published).toBe("2026-03-25");
    expect(d.licence).toMatchObject({
      spdx: "CC-BY-SA-4.0",
      permissive: true,
      shareAlike: true,
      attributionRequired: true,
    });
    expect(d.passages).toHaveLength(3);
    // the best passage mentions the query's words; every passage is word for word from the extract
    expect(d.passages[0]!.text).toMatch(/Guido van Rossum/);
    const extract = (
      readFixtureJson("wikipedia/action-query-prop-extracts-explaintext-python.json") as {
        query: { pages: Record<string, { extract: string }> };
      }
    ).query.pages["23862"]!.extract.replace(/\s+/g, " ");
    for (const p of d.passages) expect(extract).toContain(p.text);
    // section headings (== History ==) are never passages
    expect(d.passages.some((p) => /^=+/.test(p.text))).toBe(false);
    const search = server.requests.find((r) => r.query.get("list") === "search")!;
    expect(search.query.get("srsearch")).toBe("Guido van Rossum Python release history");
    expect(search.query.get("srlimit")).toBe("1");
  });

  it("skips pages whose extract cannot be read but fails when every page does", async () => {
    server.route({
      ...SEARCH,
      reply: { file: "wikipedia/action-query-list-search-python-programming.json" },
    });
    server.route({
      ...EXTRACT_PY,
      reply: { file: "wikipedia/action-query-prop-extracts-explaintext-python.json" },
    });
    const src = wikipediaSource({ baseUrl: server.url, http });
    // 3 hits: only Python has an extract route; the others 404 and are skipped
    const docs = await src.search("python programming", { limit: 3 });
    expect(docs.map((d) => d.title)).toEqual(["Python (programming language)"]);
    server.reset();
    server.route({
      ...SEARCH,
      reply: { file: "wikipedia/action-query-list-search-nearmatch-no-searchinfo.json" },
    });
    const e = await sourceFailure(src.search("Python programming"));
    expect(e.details).toMatchObject({ reason: "http-status", status: 404 });
  });

  it("reads the REST page summary in summary mode", async () => {
    server.route({
      ...SEARCH,
      reply: {
        json: {
          batchcomplete: "",
          query: {
            search: [
              { ns: 0, title: "Fermat's Last Theorem", pageid: 19021953 },
              { ns: 0, title: "Moscow", pageid: 19004 },
            ],
          },
        },
      },
    });
    server.route({
      path: "/api/rest_v1/page/summary/Fermat's_Last_Theorem",
      reply: { file: "wikipedia/rest-v1-page-summary-fermats-last-theorem.json" },
    });
    server.route({
      path: "/api/rest_v1/page/summary/Moscow",
      reply: { file: "wikipedia/rest-v1-page-summary-moscow-coordinates.json" },
    });
    const docs = await wikipediaSource({ baseUrl: server.url, http, extract: "summary" }).search(
      "Fermat's Last Theorem",
      { limit: 2 },
    );
    expect(docs.map((d) => d.title)).toEqual(["Fermat's Last Theorem", "Moscow"]);
    expectWellFormed(docs, "wikipedia");
    expect(docs[0]!.url).toBe("https://en.wikipedia.org/wiki/Fermat's_Last_Theorem");
    expect(docs[0]!.published).toBe("2018-03-23");
    expect(docs[0]!.passages[0]!.text).toMatch(
      /^In number theory, Fermat's Last Theorem states that no three positive integers/,
    );
  });

  it("returns [] for intro-mode pages without extracts (generator=search, formatversion=2)", async () => {
    server.route({
      path: "/w/api.php",
      query: { generator: "search" },
      reply: { file: "wikipedia/action-query-generator-search-formatversion2.json" },
    });
    expect(
      await wikipediaSource({ baseUrl: server.url, http, extract: "intro" }).search("new york subway"),
    ).toEqual([]);
  });

  it("returns [] for an empty search and reports API errors", async () => {
    const src = wikipediaSource({ baseUrl: server.url, http });
    server.route({
      ...SEARCH,
      reply: { json: { batchcomplete: "", query: { searchinfo: { totalhits: 0 }, search: [] } } },
    });
    expect(await src.search("qwxzv")).toEqual([]);
    server.route({
      ...SEARCH,
      reply: { json: { error: { code: "srsearch-text-disabled", info: "text search is disabled" } } },
    });
    const e = await sourceFailure(src.search("x"));
    expect(e.details).toMatchObject({ reason: "api-error" });
    expect(e.message).toMatch(/srsearch-text-disabled/);
    // prop=info has no extract: the page yields no document rather than an invented one
    server.route({
      ...SEARCH,
      reply: { file: "wikipedia/action-query-list-search-nearmatch-no-searchinfo.json" },
    });
    server.route({
      path: "/w/api.php",
      query: { prop: /extracts/ },
      reply: { file: "wikipedia/action-query-prop-info-python.json" },
    });
    expect(await src.search("Python programming")).toEqual([]);
  });

  /**
   * HAND-WRITTEN (not recorded): Action API error answers in the `errors: [...]` shape that
   * `errorformat=plaintext|html|raw` selects (formatversion 2 puts the message in `text` or
   * `html`, formatversion 1 in `*`; `raw` gives `key` and `params`), per
   * https://www.mediawiki.org/wiki/API:Errors_and_warnings.
   */
  const ERRORS_PLAINTEXT = {
    errors: [
      {
        code: "badvalue",
        text: 'Unrecognized value for parameter "gsrwhat": fulltext.',
        module: "query+search",
      },
    ],
    docref: "See https://en.wikipedia.org/w/api.php for API usage.",
    servedby: "mw-api-ext.codfw.main-7d9c",
  };

  it("an API error in the errors[] shape is a typed failure carrying the message, in every mode", async () => {
    // intro mode: one generator=search request; the error used to read as "no documents"
    server.route({ path: "/w/api.php", query: { generator: "search" }, reply: { json: ERRORS_PLAINTEXT } });
    const intro = await sourceFailure(
      wikipediaSource({ baseUrl: server.url, http, extract: "intro" }).search("python"),
    );
    expect(intro.code).toBe("SOURCE_FAILED");
    expect(intro.details).toMatchObject({ reason: "api-error" });
    expect(intro.message).toContain('badvalue: Unrecognized value for parameter "gsrwhat": fulltext.');
    // full mode: the search request
    server.route({ ...SEARCH, reply: { json: ERRORS_PLAINTEXT } });
    const full = await sourceFailure(wikipediaSource({ baseUrl: server.url, http }).search("python"));
    expect(full.details).toMatchObject({ reason: "api-error" });
    expect(full.message).toContain("Unrecognized value");
    // full mode: every extract request fails (formatversion 1 text in "*")
    server.reset();
    server.route({
      ...SEARCH,
      reply: { file: "wikipedia/action-query-list-search-nearmatch-no-searchinfo.json" },
    });
    server.route({
      path: "/w/api.php",
      query: { prop: /extracts/ },
      reply: {
        json: {
          errors: [{ code: "ratelimited", module: "main", "*": "You've exceeded your rate limit." }],
        },
      },
    });
    const pages = await sourceFailure(wikipediaSource({ baseUrl: server.url, http }).search("python"));
    expect(pages.message).toContain("ratelimited: You've exceeded your rate limit.");
    // summary mode: the search request in the html and raw variants
    for (const [errors, said] of [
      [
        [{ code: "internal_api_error", html: "<p>Database <b>query</b> error.</p>" }],
        "Database query error.",
      ],
      [[{ code: "badtoken", key: "apierror-badtoken", params: [] }], "apierror-badtoken"],
    ] as const) {
      server.route({ ...SEARCH, reply: { json: { errors } } });
      const e = await sourceFailure(
        wikipediaSource({ baseUrl: server.url, http, extract: "summary" }).search("python"),
      );
      expect(e.message).toContain(said);
    }
    // summary mode: a REST problem body instead of a page summary
    server.route({ ...SEARCH, reply: { json: { query: { search: [{ title: "Nowhere" }] } } } });
    server.route({
      path: "/api/rest_v1/page/summary/Nowhere",
      reply: {
        json: {
          type: "https://mediawiki.org/wiki/HyperSwitch/errors/not_found",
          title: "Not found.",
          method: "get",
          detail: "Page or revision not found.",
          uri: "/en.wikipedia.org/v1/page/summary/Nowhere",
        },
      },
    });
    const rest = await sourceFailure(
      wikipediaSource({ baseUrl: server.url, http, extract: "summary" }).search("nowhere"),
    );
    expect(rest.message).toContain("Page or revision not found.");
  });

  it("intro mode: a search without hits is [], an answer with neither query nor batchcomplete a failure", async () => {
    const src = wikipediaSource({ baseUrl: server.url, http, extract: "intro" });
    server.route({
      path: "/w/api.php",
      query: { generator: "search" },
      reply: { json: { batchcomplete: true } },
    });
    expect(await src.search("qwzxv")).toEqual([]);
    server.route({ path: "/w/api.php", query: { generator: "search" }, reply: { json: { servedby: "x" } } });
    expect((await sourceFailure(src.search("qwzxv"))).details).toMatchObject({ reason: "unexpected-shape" });
  });

  it("a page answer without an extract (langlinks, many scripts) gives no document", async () => {
    server.route({
      ...SEARCH,
      reply: { file: "wikipedia/action-query-list-search-nearmatch-no-searchinfo.json" },
    });
    server.route({
      path: "/w/api.php",
      query: { prop: /extracts/ },
      reply: { file: "wikipedia/action-query-prop-langlinks-python.json" },
    });
    expect(await wikipediaSource({ baseUrl: server.url, http }).search("Python programming")).toEqual([]);
  });

  it("treats a JSON body cut short as a failure, not as no results", async () => {
    server.route({
      ...SEARCH,
      reply: {
        body: '{"batchcomplete":"","query":{"search":[{"ns":0,"title":"Py',
        contentType: "application/json",
      },
    });
    const e = await sourceFailure(wikipediaSource({ baseUrl: server.url, http }).search("python"));
    expect(e.details).toMatchObject({ reason: "malformed-json" });
  });
});
