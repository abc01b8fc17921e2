import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { crossrefLicence, crossrefSource } from "../../../src/sources/adapters/crossref.js";
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

describe("crossref adapter", () => {
  it("searches works with an abstract in the polite pool; JATS/HTML abstracts become paragraphs", async () => {
    server.route({ path: "/works", reply: { file: "crossref/works-query-ecology-rows2.json" } });
    const docs = await crossrefSource({ baseUrl: server.url, http }).search("ecology", { limit: 2 });
    expect(docs).toHaveLength(2);
    expectWellFormed(docs, "crossref");
    expect(docs[0]!.title).toBe("Communicating Ecology");
    expect(docs[0]!.url).toBe("https://doi.org/10.1093/obo/9780199830060-0238");
    expect(docs[0]!.published).toBe("2022-07-26");
    expect(docs[0]!.authors).toEqual([]);
    expect(docs[1]!.authors).toEqual(["André Kessler"]);
    expect(docs[1]!.passages[0]!.text.startsWith("“Ours is a world of sights and sounds.")).toBe(true);
    for (const d of docs)
      expect(d.licence).toMatchObject({ spdx: "unknown", evidence: "crossref work has no license[]" });
    const q = server.requests[0]!.query;
    expect(q.get("query")).toBe("ecology");
    expect(q.get("rows")).toBe("2");
    expect(q.get("filter")).toBe("has-abstract:true");
    expect(q.get("mailto")).toBe("tests@example.org");
  });

  it("looks a DOI up: licence from license[] preferring the version of record; <jats:title> dropped", async () => {
    server.route({
      path: "/works/10.1038%2Fs42256-024-00832-8",
      reply: { file: "crossref/works-doi-10.1038-s42256-024-00832-8.json" },
    });
    const [d] = await crossrefSource({ baseUrl: server.url, http }).search(
      "https://doi.org/10.1038/s42256-024-00832-8",
    );
    expect(d!.title).toBe("Augmenting large language models with chemistry tools");
    expect(d!.authors.slice(0, 2)).toEqual(["Andres M. Bran", "Sam Cox"]);
    expect(d!.licence).toMatchObject({ spdx: "CC-BY-4.0", permissive: true });
    expect(d!.licence.evidence).toMatch(/^crossref license\[1\]\.URL \(content-version vor\)/);
    expect(
      d!.passages[0]!.text.startsWith("Large language models (LLMs) have shown strong performance"),
    ).toBe(true);
    expect(d!.passages.some((p) => p.text === "Abstract")).toBe(false);
  });

  it("a bioRxiv posted-content record has an abstract but no licence; PLOS records have a licence but no abstract", async () => {
    server.route({
      path: /^\/works\/10\.1101/,
      reply: { file: "crossref/works-doi-10.1101-biorxiv-posted-content.json" },
    });
    server.route({
      path: /^\/works\/10\.1371/,
      reply: { file: "crossref/works-doi-10.1371-journal.pone.0033693.json" },
    });
    const src = crossrefSource({ baseUrl: server.url, http });
    const [bio] = await src.search("10.1101/2024.04.01.587366");
    expect(bio!.licence.spdx).toBe("unknown");
    expect(bio!.passages[0]!.text.startsWith("Understanding the effects of rare genetic variants")).toBe(
      true,
    );
    expect(await src.search("10.1371/journal.pone.0033693")).toEqual([]);
    const plos = (
      readFixtureJson("crossref/works-doi-10.1371-journal.pone.0033693.json") as {
        message: Record<string, unknown>;
      }
    ).message;
    expect(crossrefLicence(plos)).toMatchObject({ spdx: "CC-BY-4.0" });
  });

  it("an older PLOS record: licence content-version unspecified, no abstract, so no document", async () => {
    server.route({
      path: /^\/works\/10\.1371/,
      reply: { file: "crossref/works-doi-10.1371-journal.pone.0020476.json" },
    });
    expect(
      await crossrefSource({ baseUrl: server.url, http }).search("10.1371/journal.pone.0020476"),
    ).toEqual([]);
    const w = (
      readFixtureJson("crossref/works-doi-10.1371-journal.pone.0020476.json") as {
        message: Record<string, unknown>;
      }
    ).message;
    expect(crossrefLicence(w).evidence).toMatch(/content-version unspecified/);
  });

  it("works without abstracts (select=DOI,title, licence-only lists) yield [], never invented text", async () => {
    const src = crossrefSource({ baseUrl: server.url, http });
    for (const f of ["works-query-ecology-select-DOI-title.json", "works-rows2-with-license.json"]) {
      server.route({ path: "/works", reply: { file: `crossref/${f}` } });
      expect(await src.search("ecology")).toEqual([]);
    }
    const list = (
      readFixtureJson("crossref/works-rows2-with-license.json") as {
        message: { items: Record<string, unknown>[] };
      }
    ).message.items;
    // a Springer TDM licence is not a reuse licence
    expect(crossrefLicence(list[0]!).permissive).toBe(false);
  });

  it("a DOI that is not registered is [] (404); other errors and other message types fail", async () => {
    const src = crossrefSource({ baseUrl: server.url, http });
    server.route({
      path: /^\/works\/10\./,
      reply: { status: 404, body: "Resource not found.", contentType: "text/plain" },
    });
    expect(await src.search("10.9999/nothing")).toEqual([]);
    server.route({
      path: "/works",
      reply: {
        status: 400,
        json: {
          status: "failed",
          "message-type": "validation-failure",
          message: [
            {
              type: "unknown-parameter",
              value: "x",
              message: "Parameter x specified but there is no such parameter available on any route",
            },
          ],
        },
      },
    });
    const e = await sourceFailure(src.search("ecology"));
    expect(e.details).toMatchObject({ status: 400 });
    expect(e.message).toMatch(/no such parameter/);
    server.route({ path: "/works", reply: { file: "crossref/licenses-query-aps.json" } });
    expect((await sourceFailure(src.search("ecology"))).details).toMatchObject({
      reason: "unexpected-shape",
    });
  });
});
