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
});
