import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { githubLicence, githubSource } from "../../../src/sources/adapters/github.js";
import { type FixtureServer, readFixtureJson, startFixtureServer } from "../../helpers/fixture-server.js";
import { expectWellFormed, sourceFailure, testHttp } from "./helpers.js";

let server: FixtureServer;
const http = testHttp();
const TOKEN = "ghp_testtoken0123456789abcdefABCDEF";
beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

describe("github adapter", () => {
  it("repository search (legacy record without a license field): description passages, licence unknown", async () => {
    server.route({
      path: "/search/repositories",
      reply: { file: "github/search-repositories-legacy-2013.json" },
    });
    const docs = await githubSource({ baseUrl: server.url, http, token: "" }).search("github python", {
      limit: 5,
    });
    expect(docs).toHaveLength(5);
    expectWellFormed(docs, "github");
    expect(docs[0]!.title).toBe("kennethreitz/legit");
    expect(docs[0]!.url).toBe("https://github.com/kennethreitz/legit");
    expect(docs[0]!.passages[0]!.text).toBe("Git for Humans, Inspired by GitHub for Mac™.");
    expect(docs[0]!.published).toBe("2011-06-25");
    expect(docs[0]!.licence.spdx).toBe("unknown");
    const req = server.requests[0]!;
    expect(req.query.get("q")).toBe("github python");
    expect(req.headers["x-github-api-version"]).toBe("2022-11-28");
    expect(req.headers.authorization).toBeUndefined();
    // no token: no README requests (60/hour unauthenticated)
    expect(server.requests.some((r) => r.path.endsWith("/readme"))).toBe(false);
  });

  it("with a token: READMEs become passages; a missing README (404) leaves the description", async () => {
    const repo = readFixtureJson("github/repos-get-jacquev6-PyGithub-with-license.json") as Record<
      string,
      unknown
    >;
    server.route({
      path: "/search/repositories",
      reply: {
        json: {
          total_count: 2,
          incomplete_results: false,
          items: [
            repo,
            {
              ...repo,
              full_name: "jacquev6/Other",
              html_url: "https://github.com/jacquev6/Other",
              license: null,
            },
          ],
        },
      },
    });
    server.route({
      path: "/repos/jacquev6/PyGithub/readme",
      reply: {
        body: "# PyGithub\n\n[![badge](https://x/y.svg)](https://x)\n\nPyGithub is a Python library to use the Github API v3. With it, you can manage your Github resources from Python scripts.\n\n```python\nprint(1)\n```\n",
        contentType: "application/vnd.github.raw+json",
      },
    });
    const docs = await githubSource({ baseUrl: server.url, http, token: TOKEN }).search("pygithub library");
    expect(docs).toHaveLength(2);
    const [a, b] = docs as [(typeof docs)[0], (typeof docs)[0]];
    expect(a.licence).toMatchObject({ spdx: "LGPL-3.0-only", permissive: true, shareAlike: true });
    expect(a.licence.evidence).toMatch(/^github license\.spdx_id/);
    expect(a.passages.map((p) => p.text)).toContain(
      "PyGithub is a Python library to use the Github API v3. With it, you can manage your Github resources from Python scripts.",
    );
    expect(a.passages.some((p) => /print\(1\)|badge/.test(p.text))).toBe(false);
    expect(b.licence.spdx).toBe("unknown");
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("code search: needs a token; fragments are passages; licence from the repository", async () => {
    expect(
      (
        await sourceFailure(
          githubSource({ baseUrl: server.url, http, token: "", kind: "code" }).search("toto"),
        )
      ).message,
    ).toMatch(/GITHUB_TOKEN/);
    server.route({ path: "/search/code", reply: { file: "github/search-code-with-text-matches.json" } });
    server.route({
      path: /^\/repos\/[^/]+\/[^/]+$/,
      reply: { file: "github/repos-get-jacquev6-PyGithub-with-license.json" },
    });
    const docs = await githubSource({ baseUrl: server.url, http, token: TOKEN, kind: "code" }).search(
      "toto user:jacquev6",
    );
    expect(docs.length).toBeGreaterThan(0);
    expectWellFormed(docs, "github");
    expect(docs[0]!.passages[0]!.text).toMatch(/toto/);
    expect(docs[0]!.licence.spdx).toBe("LGPL-3.0-only");
    expect(server.requests[0]!.headers.accept).toBe("application/vnd.github.text-match+json");
    expect(server.requests[0]!.query.get("q")).toBe("toto user:jacquev6");
    // one licence lookup per repository, not per file
    const repoLookups = server.requests.filter((r) => /^\/repos\//.test(r.path));
    expect(new Set(repoLookups.map((r) => r.path)).size).toBe(repoLookups.length);
    // incomplete_results with one item still parses
    server.route({
      path: "/search/code",
      reply: { file: "github/search-code-incomplete-results-per_page1.json" },
    });
    expect(
      (await githubSource({ baseUrl: server.url, http, token: TOKEN, kind: "code" }).search("profile black"))
        .length,
    ).toBeLessThanOrEqual(1);
  });

  it("maps licence objects: spdx_id, NOASSERTION, null", () => {
    const lic = (readFixtureJson("github/repos-license-PyGithub.json") as { license: unknown }).license;
    expect(githubLicence(lic).spdx).toBe("LGPL-3.0-only");
    expect(githubLicence({ key: "other", name: "Other", spdx_id: "NOASSERTION" }).spdx).toBe("unknown");
    expect(githubLicence(null).spdx).toBe("unknown");
  });

  it("a rate-limit 403 is reported with the reset wait and no token in the message", async () => {
    const reset = Math.floor(Date.now() / 1000) + 3600;
    server.route({
      path: "/search/repositories",
      reply: {
        status: 403,
        headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
        json: { message: `API rate limit exceeded for token ${TOKEN}` },
      },
    });
    const e = await sourceFailure(
      githubSource({ baseUrl: server.url, http: testHttp({ retries: 2 }), token: TOKEN }).search("x"),
    );
    expect(e.details).toMatchObject({ reason: "rate-limited", status: 403 });
    expect(e.message).toMatch(/wait \d+ s/);
    expect(e.message).not.toContain(TOKEN);
    expect(server.requests).toHaveLength(1);
  });

  /**
   * HAND-WRITTEN (not recorded): GitHub's secondary-rate-limit and abuse-detection 403
   * bodies, as documented (docs.github.com, "Rate limits for the REST API"); the shared
   * fixtures hold no error answers.
   */
  const SECONDARY = {
    message:
      "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID C0DE:1234:5678.",
    documentation_url:
      "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
    status: "403",
  };
  const ABUSE = {
    message:
      "You have triggered an abuse detection mechanism. Please wait a few minutes before you try again.",
    documentation_url: "https://developer.github.com/v3/#abuse-rate-limits",
  };

  it("a 403 rate-limit or abuse body says it is a rate limit and when to retry, not 'check the token'", async () => {
    const src = () => githubSource({ baseUrl: server.url, http: testHttp(), token: "" });
    // no rate-limit header at all: the body says it, and says when
    server.route({ path: "/search/repositories", reply: { status: 403, json: SECONDARY } });
    const secondary = await sourceFailure(src().search("x"));
    expect(secondary.details).toMatchObject({ reason: "rate-limited", status: 403 });
    expect(secondary.message).not.toMatch(/Check the API key/);
    expect(secondary.message).toMatch(/Rate limited by 127\.0\.0\.1:\d+: wait a few minutes before retrying/);
    expect(secondary.message).toMatch(/Set GITHUB_TOKEN/);
    // Retry-After in seconds
    server.route({
      path: "/search/repositories",
      reply: { status: 403, headers: { "retry-after": "60" }, json: ABUSE },
    });
    const abuse = await sourceFailure(src().search("x"));
    expect(abuse.details).toMatchObject({ reason: "rate-limited", status: 403 });
    expect(abuse.message).toMatch(/abuse detection/);
    expect(abuse.message).toMatch(/wait 60 s \(until \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\) before retrying/);
    expect(abuse.message).not.toMatch(/Check the API key/);
    // x-ratelimit-reset (epoch seconds): the time to retry is the reset time
    const reset = Math.floor(Date.now() / 1000) + 90;
    server.route({
      path: "/search/repositories",
      reply: {
        status: 403,
        headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
        json: { message: "API rate limit exceeded for 203.0.113.7." },
      },
    });
    const primary = await sourceFailure(src().search("x"));
    expect(primary.message).toContain(`until ${new Date(reset * 1000).toISOString().replace(".000Z", "Z")}`);
    // a body with neither a time nor a rate-limit header: at least a minute
    server.route({
      path: "/search/repositories",
      reply: { status: 403, json: { message: "API rate limit exceeded for 203.0.113.7." } },
    });
    expect((await sourceFailure(src().search("x"))).message).toMatch(
      /wait at least a minute before retrying/,
    );
    // a 403 that is not a rate limit still points at the token
    server.route({
      path: "/search/repositories",
      reply: { status: 403, json: { message: "Resource not accessible by personal access token" } },
    });
    const denied = await sourceFailure(src().search("x"));
    expect(denied.details).toMatchObject({ reason: "http-status", status: 403 });
    expect(denied.message).toMatch(/Check the API key or token/);
  });
});
