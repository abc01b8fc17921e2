import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { stackExchangeLicence, stackExchangeSource } from "../../../src/sources/adapters/stackexchange.js";
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

/**
 * HAND-WRITTEN (not recorded): `/2.3/search/advanced?filter=withbody` and
 * `/2.3/questions/{ids}/answers` answers shaped like the documented wrapper and
 * question/answer objects (api.stackexchange.com/docs); the shared fixtures only hold a
 * recorded wrapper of another route (users/associated).
 */
const SEARCH = {
  items: [
    {
      tags: ["python", "list"],
      owner: { reputation: 100, user_id: 1, display_name: "J&#246;rg" },
      is_answered: true,
      answer_count: 2,
      score: 10,
      creation_date: 1262304000, // 2010-01-01
      question_id: 101,
      link: "https://stackoverflow.com/questions/101/how-to-flatten-a-list",
      title: "How to flatten a list of lists in Python?",
      body: "<p>I have a list of lists like <code>[[1, 2], [3]]</code>. How do I flatten it?</p>\n<p>I tried loops.</p>",
    },
    {
      owner: { display_name: "Ana" },
      is_answered: false,
      answer_count: 0,
      creation_date: 1700000000, // 2023-11-14
      question_id: 202,
      link: "https://stackoverflow.com/questions/202/flatten-generators",
      title: "Flatten nested generators &amp; iterators",
      body: "<p>Is there a lazy way to flatten nested generators?</p>",
    },
  ],
  has_more: false,
  quota_max: 300,
  quota_remaining: 299,
};
const ANSWERS = {
  items: [
    {
      owner: { display_name: "Low" },
      is_accepted: false,
      score: 1,
      creation_date: 1300000000,
      answer_id: 9,
      question_id: 101,
      body: "<p>Use a loop.</p>",
    },
    {
      owner: { display_name: "Best" },
      is_accepted: true,
      score: 50,
      creation_date: 1400000000, // 2014-05-13
      answer_id: 7,
      question_id: 101,
      body: "<p>Use <code>itertools.chain.from_iterable</code>:</p><pre><code>list(chain.from_iterable(xs))\n</code></pre>",
    },
  ],
  has_more: false,
  quota_max: 300,
  quota_remaining: 298,
};

describe("stackExchange adapter", () => {
  it("returns questions and their accepted answers, each with its licence by post date", async () => {
    server.route({ path: "/2.3/search/advanced", reply: { json: SEARCH } });
    server.route({ path: "/2.3/questions/101/answers", reply: { json: ANSWERS } });
    const docs = await stackExchangeSource({ baseUrl: server.url, http }).search("flatten a list python", {
      limit: 4,
    });
    expectWellFormed(docs, "stackExchange");
    expect(docs.map((d) => d.url)).toEqual([
      "https://stackoverflow.com/questions/101/how-to-flatten-a-list",
      "https://stackoverflow.com/a/7",
      "https://stackoverflow.com/questions/202/flatten-generators",
    ]);
    const [q, a, q2] = docs as [(typeof docs)[0], (typeof docs)[0], (typeof docs)[0]];
    expect(q.authors).toEqual(["Jörg"]);
    expect(q.licence).toMatchObject({ spdx: "CC-BY-SA-2.5", permissive: true, shareAlike: true });
    expect(a.title).toBe("Answer to: How to flatten a list of lists in Python?");
    expect(a.licence.spdx).toBe("CC-BY-SA-3.0");
    expect(a.passages.map((p) => p.text).join(" ")).toContain("list(chain.from_iterable(xs))");
    expect(q2.title).toBe("Flatten nested generators & iterators");
    expect(q2.licence.spdx).toBe("CC-BY-SA-4.0");
    // only questions with answers were asked for
    const answersReq = server.requests.find((r) => r.path.endsWith("/answers"))!;
    expect(answersReq.query.get("filter")).toBe("withbody");
    expect(server.requests[0]!.query.get("site")).toBe("stackoverflow");
  });

  it("switches licence versions exactly on 2011-04-08 and 2018-05-02", () => {
    const t = (iso: string) => Date.parse(iso) / 1000;
    expect(stackExchangeLicence(t("2011-04-07T23:59:59Z")).spdx).toBe("CC-BY-SA-2.5");
    expect(stackExchangeLicence(t("2011-04-08T00:00:00Z")).spdx).toBe("CC-BY-SA-3.0");
    expect(stackExchangeLicence(t("2018-05-01T23:59:59Z")).spdx).toBe("CC-BY-SA-3.0");
    expect(stackExchangeLicence(t("2018-05-02T00:00:00Z")).spdx).toBe("CC-BY-SA-4.0");
    expect(stackExchangeLicence(null).spdx).toBe("unknown");
  });

  it("a recorded wrapper whose items are not questions yields []; empty items yield []", async () => {
    const src = stackExchangeSource({ baseUrl: server.url, http });
    server.route({
      path: "/2.3/search/advanced",
      reply: { file: "stackexchange/users-associated-accounts.json" },
    });
    expect(await src.search("anything")).toEqual([]);
    server.route({
      path: "/2.3/search/advanced",
      reply: { json: { items: [], has_more: false, quota_max: 300, quota_remaining: 290 } },
    });
    expect(await src.search("anything")).toEqual([]);
  });

  it("reports API errors (HTTP 400 with error_id) and honours backoff", async () => {
    const src = stackExchangeSource({ baseUrl: server.url, http });
    server.route({
      path: "/2.3/search/advanced",
      reply: {
        status: 400,
        json: {
          error_id: 502,
          error_message: "too many requests from this IP, more requests available in 82 seconds",
          error_name: "throttle_violation",
        },
      },
    });
    const e = await sourceFailure(src.search("x"));
    expect(e.message).toMatch(/too many requests from this IP/);
    let t = 0;
    const sleeps: number[] = [];
    const clock = {
      now: () => t,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        t += ms;
      },
    };
    const slow = stackExchangeSource({ baseUrl: server.url, http: testHttp({ clock }) });
    server.route({
      path: "/2.3/search/advanced",
      reply: { json: { ...SEARCH, items: [SEARCH.items[1]], backoff: 10 } },
    });
    await slow.search("x");
    expect(sleeps).toEqual([]);
    // the next request to that host waits out the backoff, even with politeness off
    server.route({ path: "/2.3/search/advanced", reply: { json: { items: [] } } });
    await slow.search("x");
    expect(sleeps).toEqual([10_000]);
  });
});
