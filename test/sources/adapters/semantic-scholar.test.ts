import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  semanticScholarLicenceName,
  semanticScholarSource,
} from "../../../src/sources/adapters/semantic-scholar.js";
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

interface Paper {
  title: string;
  abstract: string | null;
  openAccessPdf: { license: string | null } | null;
}

describe("semanticScholar adapter", () => {
  it("parses a recorded relevance search with full fields and licences from openAccessPdf.license", async () => {
    server.route({
      path: "/graph/v1/paper/search",
      reply: { file: "semanticscholar/graph-v1-paper-search-relevance-50-full-fields.json" },
    });
    const docs = await semanticScholarSource({ baseUrl: server.url, http }).search("machine learning nlp", {
      limit: 50,
    });
    const recorded = (
      readFixtureJson("semanticscholar/graph-v1-paper-search-relevance-50-full-fields.json") as {
        data: Paper[];
      }
    ).data;
    // papers without an abstract have no text and are left out, never invented
    expect(docs).toHaveLength(recorded.filter((p) => p.abstract).length);
    expectWellFormed(docs, "semanticScholar");
    const byTitle = new Map(recorded.map((p) => [p.title, p]));
    for (const d of docs) {
      const p = byTitle.get(d.title)!;
      const code = p.openAccessPdf?.license ?? null;
      if (code === "CCBY") expect(d.licence).toMatchObject({ spdx: "CC-BY-4.0", permissive: true });
      else if (code === "CCBYNCND")
        expect(d.licence).toMatchObject({
          permissive: false,
          commercialUseAllowed: false,
          noDerivatives: true,
        });
      else expect(d.licence.spdx).toBe("unknown");
      expect(d.url).toMatch(/^https:\/\/www\.semanticscholar\.org\/paper\//);
    }
    expect(docs.some((d) => d.licence.spdx === "CC-BY-4.0")).toBe(true);
    const unknown = docs.find((d) => d.licence.spdx === "unknown")!;
    expect(unknown.licence.evidence).toMatch(/isOpenAccess/);
    const req = server.requests[0]!;
    expect(req.query.get("fields")).toContain("openAccessPdf");
    expect(req.query.get("limit")).toBe("50");
  });

  it("a paper with a year but no publicationDate is published in that year, not on 1970-01-01", async () => {
    server.route({
      path: "/graph/v1/paper/search",
      reply: { file: "semanticscholar/graph-v1-paper-search-relevance-50-full-fields.json" },
    });
    const recorded = (
      readFixtureJson("semanticscholar/graph-v1-paper-search-relevance-50-full-fields.json") as {
        data: Array<Paper & { year: number | null; publicationDate: string | null }>;
      }
    ).data;
    const yearOnly = recorded.filter((p) => p.abstract && p.publicationDate === null && p.year !== null);
    expect(yearOnly.length).toBeGreaterThan(0);
    const docs = await semanticScholarSource({ baseUrl: server.url, http }).search("machine learning nlp", {
      limit: 50,
    });
    for (const p of yearOnly) {
      const d = docs.find((x) => x.title === p.title)!;
      expect(d.published).toBe(String(p.year));
    }
    expect(docs.some((d) => d.published?.startsWith("1970"))).toBe(false);
  });

  it("reads bulk search (token paging) with the same parser", async () => {
    server.route({
      path: "/graph/v1/paper/search/bulk",
      reply: { file: "semanticscholar/graph-v1-paper-search-bulk-token-50.json" },
    });
    const docs = await semanticScholarSource({ baseUrl: server.url, http, endpoint: "bulk" }).search(
      "deep learning",
      { limit: 5 },
    );
    expect(docs).toHaveLength(5);
    expectWellFormed(docs, "semanticScholar");
  });

  it("title match: full fields give a document, an empty data array gives [], minimal fields give none", async () => {
    const src = semanticScholarSource({ baseUrl: server.url, http, endpoint: "match" });
    server.route({
      path: "/graph/v1/paper/search/match",
      reply: { file: "semanticscholar/graph-v1-paper-search-match-full-fields.json" },
    });
    const [d] = await src.search("Augmenting large language models with chemistry tools");
    // this record has no abstract field: no text, so no document
    expect(d).toBeUndefined();
    server.route({
      path: "/graph/v1/paper/search/match",
      reply: { file: "semanticscholar/graph-v1-paper-search-match-empty-data.json" },
    });
    expect(await src.search("empty results edge case query")).toEqual([]);
    server.route({
      path: "/graph/v1/paper/search/match",
      reply: { file: "semanticscholar/graph-v1-paper-search-match.json" },
    });
    expect(await src.search("mining association rules")).toEqual([]);
    server.route({
      path: "/graph/v1/paper/search/match",
      reply: { status: 404, json: { error: "Title match not found" } },
    });
    expect(await src.search("nothing like this")).toEqual([]);
  });

  it("looks a DOI up directly; 404 means no paper", async () => {
    const src = semanticScholarSource({ baseUrl: server.url, http });
    server.route({
      path: "/graph/v1/paper/DOI:10.1016/j.xgen.2025.100814",
      reply: { file: "semanticscholar/graph-v1-paper-by-doi-full-fields-isOpenAccess.json" },
    });
    // the recorded paper has no abstract field: nothing to ground on
    expect(await src.search("10.1016/j.xgen.2025.100814")).toEqual([]);
    expect(server.requests[0]!.path).toBe("/graph/v1/paper/DOI:10.1016/j.xgen.2025.100814");
    server.route({
      path: /\/graph\/v1\/paper\/DOI:/,
      reply: { status: 404, file: "semanticscholar/graph-v1-paper-404-not-found.json" },
    });
    expect(await src.search("https://doi.org/10.9999/none")).toEqual([]);
  });

  it("a DOI answer with only a title gives no document", async () => {
    server.route({
      path: /^\/graph\/v1\/paper\/DOI:/,
      reply: { file: "semanticscholar/graph-v1-paper-by-doi-title.json" },
    });
    expect(
      await semanticScholarSource({ baseUrl: server.url, http }).search("10.1093/mind/lix.236.433"),
    ).toEqual([]);
  });

  it("sends the API key as x-api-key and never shows it; 404 on search is a failure", async () => {
    const key = "s2-key-abcdefghijklmnop";
    server.route({
      path: "/graph/v1/paper/search",
      reply: { status: 403, json: { message: `Forbidden for key ${key}` } },
    });
    const e = await sourceFailure(
      semanticScholarSource({ baseUrl: server.url, http, apiKey: key }).search("x"),
    );
    expect(server.requests[0]!.headers["x-api-key"]).toBe(key);
    expect(e.message).not.toContain(key);
    expect(e.details).toMatchObject({ status: 403 });
    server.route({
      path: "/graph/v1/paper/search",
      reply: { status: 404, file: "semanticscholar/graph-v1-paper-404-not-found.json" },
    });
    expect(
      (await sourceFailure(semanticScholarSource({ baseUrl: server.url, http }).search("x"))).details,
    ).toMatchObject({ status: 404 });
  });

  it("papers with only some fields (title-only, year-only, openAccessPdf-only) produce no documents", async () => {
    const src = semanticScholarSource({ baseUrl: server.url, http });
    for (const f of [
      "graph-v1-paper-search-turing-title.json",
      "graph-v1-paper-search-year-range.json",
      "graph-v1-paper-search-openAccessPdf.json",
    ]) {
      server.route({ path: "/graph/v1/paper/search", reply: { file: `semanticscholar/${f}` } });
      expect(await src.search("turing")).toEqual([]);
    }
  });

  it("maps its licence codes to licence names", () => {
    expect(semanticScholarLicenceName("CCBY")).toBe("CC BY");
    expect(semanticScholarLicenceName("CCBYNCND")).toBe("CC BY-NC-ND");
    expect(semanticScholarLicenceName("CCBYSA")).toBe("CC BY-SA");
    expect(semanticScholarLicenceName("PUBLICDOMAIN")).toBe("public-domain");
    expect(semanticScholarLicenceName("other-oa")).toBe("other-oa");
  });
});
