import { parseHTML } from "linkedom";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { pageLicence, webPageSource } from "../../../src/sources/adapters/web-page.js";
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

/** HAND-WRITTEN (not recorded): ordinary HTML pages with and without licence metadata. */
const para = (s: string) =>
  `<p>${s} ${"This sentence pads the paragraph so the article reads as real content for the extractor. ".repeat(2)}</p>`;
const ARTICLE = (
  head: string,
  foot = "",
) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Buffer solutions | Chem Notes</title>
<meta name="author" content="Dana Ruiz"><meta property="article:published_time" content="2023-09-01T08:00:00Z">${head}</head>
<body><nav><a href="/">Home</a> <a href="/about">About</a></nav>
<article><h1>Buffer solutions</h1>
${para("A buffer solution resists changes in pH when small amounts of acid or base are added.")}
${para("The Henderson–Hasselbalch equation relates pH to the pKa and the ratio of conjugate base to acid.")}
${para("Blood is buffered mainly by the carbonic acid and bicarbonate system.")}
</article><footer>${foot}<p>Contact us</p></footer><script>var tracking = 1;</script></body></html>`;

describe("webPage adapter (hand-written pages)", () => {
  it("extracts the main text with Readability; licence from rel=license", async () => {
    server.route({
      path: "/buffers",
      reply: {
        body: ARTICLE('<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">'),
        contentType: "text/html; charset=utf-8",
      },
    });
    const docs = await webPageSource({ http }).search(`${server.url}/buffers`);
    expectWellFormed(docs, "webPage");
    const d = docs[0]!;
    expect(d.url).toBe(`${server.url}/buffers`);
    expect(d.title).toMatch(/Buffer solutions/);
    expect(d.authors).toEqual(["Dana Ruiz"]);
    expect(d.published).toBe("2023-09-01");
    expect(d.licence).toMatchObject({ spdx: "CC-BY-4.0", permissive: true });
    expect(d.licence.evidence).toMatch(/^html rel="license"/);
    const text = d.passages.map((p) => p.text).join(" ");
    expect(text).toContain("A buffer solution resists changes in pH");
    expect(text).not.toMatch(/tracking|Contact us|About/);
  });

  it("reads dc.rights, JSON-LD and Creative Commons badges; unknown when the page says nothing", () => {
    const lic = (head: string, body = "") =>
      pageLicence(parseHTML(`<html><head>${head}</head><body>${body}</body></html>`).document);
    expect(lic('<meta name="DC.rights" content="CC BY-SA 4.0">')).toMatchObject({ spdx: "CC-BY-SA-4.0" });
    expect(
      lic(
        '<script type="application/ld+json">{"@context":"https://schema.org","@type":"Article","license":"https://creativecommons.org/licenses/by-nc/4.0/"}</script>',
      ),
    ).toMatchObject({ spdx: "CC-BY-NC-4.0", permissive: false });
    expect(
      lic(
        "",
        '<a href="https://creativecommons.org/licenses/by-sa/3.0/"><img src="https://i.creativecommons.org/l/by-sa/3.0/88x31.png"></a>',
      ),
    ).toMatchObject({ spdx: "CC-BY-SA-3.0" });
    expect(lic("", '<img src="https://licensebuttons.net/l/by-nd/4.0/88x31.png">')).toMatchObject({
      spdx: "CC-BY-ND-4.0",
      permissive: false,
    });
    expect(lic('<script type="application/ld+json">{ not json</script>')).toMatchObject({ spdx: "unknown" });
    const none = lic("<title>x</title>");
    expect(none.spdx).toBe("unknown");
    expect(none.permissive).toBe(false);
  });

  it("searches configured pages (relative to baseUrl) and keeps those that match", async () => {
    server.route({ path: "/buffers", reply: { body: ARTICLE(""), contentType: "text/html" } });
    const other = `<html><head><title>Knots</title></head><body><article>${para("A bowline makes a fixed loop at the end of a rope.")}${para("Sailors tie a reef knot to join two ends of one line.")}</article></body></html>`;
    server.route({ path: "/other", reply: { body: other, contentType: "text/html" } });
    const src = webPageSource({
      http,
      baseUrl: server.url,
      urls: ["/buffers", "/other"],
      passagesPerDocument: 1,
    });
    const docs = await src.search("Which system buffers blood? carbonic acid bicarbonate");
    expect(docs.map((d) => d.url)).toEqual([`${server.url}/buffers`]);
    expect(docs[0]!.licence.spdx).toBe("unknown");
    expect(docs[0]!.passages[0]!.text).toMatch(/Blood is buffered/);
  });

  it("fails on a non-HTML body, an error status and a missing URL", async () => {
    server.route({ path: "/data.json", reply: { json: { a: 1 } } });
    expect(
      (await sourceFailure(webPageSource({ http }).search(`${server.url}/data.json`))).details,
    ).toMatchObject({ reason: "content-type" });
    server.route({
      path: "/gone",
      reply: { status: 410, body: "<html><title>Gone</title></html>", contentType: "text/html" },
    });
    expect((await sourceFailure(webPageSource({ http }).search(`${server.url}/gone`))).details).toMatchObject(
      { status: 410 },
    );
    expect((await sourceFailure(webPageSource({ http }).search("buffers"))).details).toMatchObject({
      reason: "invalid-query",
    });
  });

  it("decodes a page in its declared charset", async () => {
    const latin1 = Buffer.from(
      ARTICLE("").replace("A buffer solution", "Une solution tampon résiste"),
      "latin1",
    );
    server.route({ path: "/fr", reply: { body: latin1, contentType: "text/html; charset=iso-8859-1" } });
    const [d] = await webPageSource({ http }).search(`${server.url}/fr`);
    expect(d!.passages.map((p) => p.text).join(" ")).toContain("Une solution tampon résiste");
  });
});

describe("webPage adapter and robots.txt (RFC 9309)", () => {
  const page = { body: ARTICLE(""), contentType: "text/html; charset=utf-8" };
  const robots = (body: string) => ({ path: "/robots.txt", reply: { body, contentType: "text/plain" } });
  const fetched = (path: string) => server.requests.filter((r) => r.path === path).length;

  it("never fetches a page the site's robots.txt disallows for synthforge, and reads robots.txt once per site", async () => {
    server.route(robots("User-agent: *\nAllow: /\n\nUser-agent: synthforge\nDisallow: /private/\n"));
    server.route({ path: "/private/buffers", reply: page });
    server.route({ path: "/public/buffers", reply: page });
    const source = webPageSource({ http });
    const err = await sourceFailure(source.search(`${server.url}/private/buffers`));
    expect(err.details).toMatchObject({ adapter: "webPage", reason: "robots-disallowed" });
    expect(err.message).toMatch(/disallowed for "synthforge" by its site's robots\.txt/);
    expect(fetched("/private/buffers")).toBe(0);
    expect(await source.search(`${server.url}/public/buffers`)).toHaveLength(1);
    expect(fetched("/robots.txt")).toBe(1);
  });

  it("fetches everything when there is no robots.txt (404), nothing when it cannot be read (5xx), anything with respectRobots: false", async () => {
    server.route({ path: "/buffers", reply: page });
    expect(await webPageSource({ http }).search(`${server.url}/buffers`)).toHaveLength(1);
    server.reset();
    server.route({ path: "/robots.txt", reply: { status: 503, body: "down" } });
    server.route({ path: "/buffers", reply: page });
    const down = await sourceFailure(webPageSource({ http }).search(`${server.url}/buffers`));
    expect(down.details).toMatchObject({ reason: "robots-disallowed" });
    expect(fetched("/buffers")).toBe(0);
    expect(await webPageSource({ http, respectRobots: false }).search(`${server.url}/buffers`)).toHaveLength(
      1,
    );
  });

  it("keeps pages of a search that robots.txt allows, and spaces requests by its Crawl-delay", async () => {
    server.route(robots("User-agent: *\nCrawl-delay: 2\nDisallow: /drafts/\n"));
    server.route({ path: "/a", reply: page });
    server.route({ path: "/b", reply: page });
    server.route({ path: "/drafts/c", reply: page });
    // The client's own politeness for pages (1 s per host), which the site's 2 s delay raises.
    const polite = testHttp({ politeness: undefined });
    const docs = await webPageSource({
      http: polite,
      baseUrl: server.url,
      urls: ["/a", "/drafts/c", "/b"],
    }).search("buffer solution pH");
    expect(docs.map((d) => new URL(d.url).pathname).sort()).toEqual(["/a", "/b"]);
    expect(fetched("/drafts/c")).toBe(0);
    const times = server.requests.filter((r) => r.path === "/a" || r.path === "/b").map((r) => r.at);
    expect(Math.abs(times[1]! - times[0]!)).toBeGreaterThanOrEqual(1900);
  });
});
