import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  invertedIndexToText,
  openalexLicence,
  openalexSource,
} from "../../../src/sources/adapters/openalex.js";
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

describe("openalex adapter", () => {
  it("searches works; abstracts rebuilt word for word from the inverted index; licence from the location", async () => {
    server.route({
      path: "/works",
      reply: { file: "openalex/works-filter-title-search-chemistry-tools.json" },
    });
    const docs = await openalexSource({ baseUrl: server.url, http }).search(
      "large language models chemistry tools",
    );
    expect(docs.length).toBeGreaterThan(0);
    expectWellFormed(docs, "openalex");
    const d = docs[0]!;
    expect(d.title).toBe("Augmenting large language models with chemistry tools");
    expect(d.url).toBe("https://doi.org/10.1038/s42256-024-00832-8");
    expect(d.published).toBe("2024-05-08");
    expect(d.authors[0]).toBe("Andres M. Bran");
    expect(d.licence).toMatchObject({ spdx: "CC-BY-4.0", permissive: true });
    expect(d.licence.evidence).toMatch(/^openalex primary_location\.license/);
    // the leading "Abstract" heading word is not part of the text
    expect(d.passages[0]!.text.startsWith("Large language models (LLMs) have shown strong performance")).toBe(
      true,
    );
    const q = server.requests[0]!.query;
    expect(q.get("search")).toBe("large language models chemistry tools");
    expect(q.get("filter")).toBe("has_abstract:true");
    expect(q.get("mailto")).toBe("tests@example.org");
  });

  it("a work with only publication_year is published in that year, not on 1970-01-01", async () => {
    const recorded = readFixtureJson("openalex/works-filter-title-search-chemistry-tools.json") as {
      results: Array<Record<string, unknown>>;
    };
    // The recorded works, with publication_date taken out as some works lack it.
    server.route({
      path: "/works",
      reply: {
        json: { ...recorded, results: recorded.results.map((w) => ({ ...w, publication_date: null })) },
      },
    });
    const docs = await openalexSource({ baseUrl: server.url, http }).search(
      "large language models chemistry tools",
    );
    expect(docs[0]!.title).toBe("Augmenting large language models with chemistry tools");
    expect(docs[0]!.published).toBe("2024");
  });

  it("looks a DOI up; a work without abstract, or a select=open_access answer, yields []", async () => {
    const src = openalexSource({ baseUrl: server.url, http });
    server.route({
      path: "/works/https://doi.org/10.1073/pnas.1414271111",
      reply: { file: "openalex/works-by-doi-10.1073-pnas.1414271111.json" },
    });
    const [pnas] = await src.search("10.1073/pnas.1414271111");
    expect(pnas!.title.length).toBeGreaterThan(10);
    expect(pnas!.licence.spdx).toBe("unknown");
    expect(pnas!.licence.evidence).toMatch(/oa_status/);
    server.route({
      path: /^\/works\/https:\/\/doi\.org\/10\.1016/,
      reply: { file: "openalex/works-by-doi-10.1016-j.xgen.2025.100814.json" },
    });
    expect(await src.search("doi:10.1016/j.xgen.2025.100814")).toEqual([]);
    server.route({
      path: /^\/works\/https:\/\/doi\.org\/10\.1002/,
      reply: { file: "openalex/works-by-doi-select-open_access-closed.json" },
    });
    expect(await src.search("10.1002/wrna.1370")).toEqual([]);
    server.route({
      path: /^\/works\/https:\/\/doi\.org\/10\.1021/,
      reply: { file: "openalex/works-by-doi-select-open_access-green.json" },
    });
    expect(await src.search("10.1021/acs.jctc.5b00178")).toEqual([]);
    server.route({
      path: /^\/works\/https:\/\/doi\.org\/10\.9/,
      reply: { status: 404, json: { error: "Not found" } },
    });
    expect(await src.search("10.9999/none")).toEqual([]);
  });

  it("licence order: primary, best open-access, other locations", () => {
    const w = readFixtureJson("openalex/works-by-doi-10.1016-j.xgen.2025.100814.json") as Record<
      string,
      unknown
    >;
    expect(openalexLicence(w)).toMatchObject({ spdx: "CC-BY-4.0" });
    expect(
      openalexLicence({ primary_location: { license: null }, best_oa_location: { license: "cc-by-nc" } })
        .evidence,
    ).toMatch(/^openalex best_oa_location/);
    expect(openalexLicence({ open_access: { oa_status: "closed" } }).spdx).toBe("unknown");
    expect(invertedIndexToText({ world: [1], hello: [0], again: [3], "!": [2] })).toBe("hello world ! again");
    expect(invertedIndexToText({ bad: ["x", -1, 1e9] })).toBeNull();
  });

  it("reports API errors and unexpected shapes", async () => {
    const src = openalexSource({ baseUrl: server.url, http, apiKey: "oa-key-1234567890" });
    server.route({
      path: "/works",
      reply: {
        status: 403,
        json: { error: "Invalid api_key", message: "key oa-key-1234567890 is not valid" },
      },
    });
    const e = await sourceFailure(src.search("x"));
    expect(e.message).not.toContain("oa-key-1234567890");
    server.route({ path: "/works", reply: { json: { meta: {}, groups: [] } } });
    expect((await sourceFailure(src.search("x"))).details).toMatchObject({ reason: "unexpected-shape" });
  });
});
