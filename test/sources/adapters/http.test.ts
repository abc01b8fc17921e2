import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isSynthforgeError } from "../../../src/core/errors.js";
import {
  HttpClient,
  type HttpClock,
  MemoryResponseCache,
  parseRetryAfter,
  userAgent,
} from "../../../src/sources/http.js";
import { type FixtureServer, startFixtureServer } from "../../helpers/fixture-server.js";
import { sourceFailure } from "./helpers.js";

/** A clock whose sleeps return at once and move time forward, recording each wait. */
function fakeClock(
  start = Date.UTC(2026, 0, 1),
): HttpClock & { sleeps: number[]; advance(ms: number): void } {
  let t = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
    advance(ms) {
      t += ms;
    },
  };
}

let server: FixtureServer;
beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

const ok = { json: { ok: true } };

describe("HttpClient", () => {
  it("sends the synthforge User-Agent with the contact address", async () => {
    server.route({ path: "/ua", reply: ok });
    const http = new HttpClient({ contact: "data@example.org", cache: false });
    await http.getJson({ adapter: "t", url: `${server.url}/ua` });
    expect(server.requests[0]!.headers["user-agent"]).toBe(
      "synthforge/0.1.0 (+https://github.com/synthforge/synthforge; mailto:data@example.org)",
    );
    expect(userAgent()).toBe("synthforge/0.1.0 (+https://github.com/synthforge/synthforge)");
    await http.close();
  });

  it("times out a slow response and says so", async () => {
    server.route({ path: "/slow", reply: { ...ok, delayMs: 1500 } });
    const http = new HttpClient({ timeoutMs: 150, retries: 0, cache: false });
    const started = Date.now();
    const e = await sourceFailure(http.getJson({ adapter: "t", url: `${server.url}/slow` }));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(e.details).toMatchObject({ adapter: "t", reason: "timeout" });
    expect(e.message).toMatch(/within 150 ms/);
  });

  it("aborts a body beyond the size limit, announced or streamed", async () => {
    const http = new HttpClient({ maxBodyBytes: 64 * 1024, retries: 2, cache: false });
    server.route({ path: "/huge", reply: { hugeBytes: 20 * 1024 * 1024, contentType: "application/json" } });
    const streamed = await sourceFailure(http.getJson({ adapter: "t", url: `${server.url}/huge` }));
    expect(streamed.details).toMatchObject({ reason: "body-too-large", status: 200 });
    server.route({
      path: "/announced",
      reply: { hugeBytes: 20 * 1024 * 1024, announceLength: true, contentType: "application/json" },
    });
    const announced = await sourceFailure(http.getJson({ adapter: "t", url: `${server.url}/announced` }));
    expect(announced.message).toMatch(/announced a 20971520-byte body/);
    // neither is retried: a too-large body will not shrink
    expect(server.requests.filter((r) => r.path === "/huge")).toHaveLength(1);
  });

  it("reports a truncated body (connection dropped mid-body) after retrying", async () => {
    server.route({
      path: "/cut",
      reply: {
        body: JSON.stringify({ items: Array.from({ length: 500 }, (_, i) => ({ i })) }),
        contentType: "application/json",
        truncateAt: 100,
      },
    });
    const clock = fakeClock();
    const http = new HttpClient({ retries: 1, cache: false, clock });
    const e = await sourceFailure(http.getJson({ adapter: "t", url: `${server.url}/cut` }));
    expect(e.details).toMatchObject({ reason: "network", attempts: 2 });
    expect(e.message).toMatch(/truncated/);
    expect(server.requests).toHaveLength(2);
  });

  it("honours Retry-After in seconds", async () => {
    server.route({
      path: "/limited",
      reply: [{ status: 429, headers: { "retry-after": "7" }, json: { message: "Too Many Requests" } }, ok],
    });
    const clock = fakeClock();
    const http = new HttpClient({ retries: 3, cache: false, clock });
    const { data } = await http.getJson({ adapter: "t", url: `${server.url}/limited` });
    expect(data).toEqual({ ok: true });
    expect(clock.sleeps).toEqual([7000]);
    expect(server.requests).toHaveLength(2);
  });

  it("honours Retry-After as an HTTP date", async () => {
    const clock = fakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    server.route({
      path: "/date",
      reply: [
        {
          status: 503,
          headers: { "retry-after": new Date(Date.UTC(2026, 0, 1, 12, 0, 5)).toUTCString() },
          body: "down",
        },
        ok,
      ],
    });
    const http = new HttpClient({ retries: 3, cache: false, clock });
    await http.getJson({ adapter: "t", url: `${server.url}/date` });
    expect(clock.sleeps).toEqual([5000]);
    expect(parseRetryAfter("Wed, 01 Jan 2026 12:00:05 GMT", Date.UTC(2026, 0, 1, 12, 0, 0))).toBe(5000);
    expect(parseRetryAfter("1.5", 0)).toBe(1500);
    expect(parseRetryAfter("soon", 0)).toBeNull();
  });

  it("fails at once when Retry-After asks for longer than it will wait", async () => {
    server.route({
      path: "/long",
      reply: { status: 429, headers: { "retry-after": "3600" }, body: "slow down" },
    });
    const clock = fakeClock();
    const http = new HttpClient({ retries: 3, cache: false, clock, maxRetryAfterMs: 60_000 });
    const e = await sourceFailure(http.getJson({ adapter: "t", url: `${server.url}/long` }));
    expect(e.details).toMatchObject({ reason: "rate-limited", status: 429 });
    expect(e.message).toMatch(/wait 3600 s/);
    expect(clock.sleeps).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it("a 403 whose body reports a rate limit is retried after a minute, not a quick backoff", async () => {
    server.route({
      path: "/secondary",
      reply: [{ status: 403, json: { message: "You have exceeded a secondary rate limit." } }, ok],
    });
    const clock = fakeClock();
    const http = new HttpClient({ retries: 3, cache: false, clock });
    const { data } = await http.getJson({ adapter: "t", url: `${server.url}/secondary` });
    expect(data).toEqual({ ok: true });
    expect(clock.sleeps).toEqual([60_000]);
  });

  it("never retries 404 or 400", async () => {
    const clock = fakeClock();
    const http = new HttpClient({ retries: 3, cache: false, clock });
    server.route({ path: "/missing", reply: { status: 404, json: { error: "Paper with id 0 not found" } } });
    const e404 = await sourceFailure(http.getJson({ adapter: "t", url: `${server.url}/missing` }));
    expect(e404.details).toMatchObject({ reason: "http-status", status: 404 });
    expect(e404.message).toContain("Paper with id 0 not found");
    server.route({
      path: "/bad",
      reply: { status: 400, json: { status: "failed", message: [{ message: "Bad filter" }] } },
    });
    const e400 = await sourceFailure(http.getJson({ adapter: "t", url: `${server.url}/bad` }));
    expect(e400.details).toMatchObject({ status: 400 });
    expect(server.requests.map((r) => r.path)).toEqual(["/missing", "/bad"]);
    expect(clock.sleeps).toEqual([]);
  });

  it("retries 503 with growing backoff, then gives up with the attempt count", async () => {
    const clock = fakeClock();
    const http = new HttpClient({ retries: 3, cache: false, clock, backoffMs: 1000, random: () => 1 });
    server.route({ path: "/flaky", reply: [{ status: 503, body: "x" }, { status: 503, body: "x" }, ok] });
    const { data } = await http.getJson({ adapter: "t", url: `${server.url}/flaky` });
    expect(data).toEqual({ ok: true });
    expect(clock.sleeps).toEqual([1000, 2000]);
    server.reset();
    server.route({
      path: "/down",
      reply: {
        status: 503,
        body: "<html><title>Service Unavailable</title></html>",
        contentType: "text/html",
      },
    });
    const e = await sourceFailure(http.getJson({ adapter: "t", url: `${server.url}/down` }));
    expect(server.requests).toHaveLength(4);
    expect(e.details).toMatchObject({ reason: "http-status", status: 503, attempts: 4 });
    expect(e.message).toMatch(/HTTP 503.*Service Unavailable.*gave up after 4 attempts/);
  });

  it("retries a dropped connection", async () => {
    server.route({ path: "/drop", reply: [{ destroy: true }, ok] });
    const http = new HttpClient({ retries: 2, cache: false, clock: fakeClock() });
    const { data } = await http.getJson({ adapter: "t", url: `${server.url}/drop` });
    expect(data).toEqual({ ok: true });
    expect(server.requests).toHaveLength(2);
  });

  it("caches successful parsed responses for their TTL only", async () => {
    const clock = fakeClock();
    const cache = new MemoryResponseCache({ now: clock.now });
    const http = new HttpClient({ cache, cacheTtlMs: 60_000, clock });
    let n = 0;
    server.route({ path: "/c", reply: () => ({ json: { n: ++n } }) });
    const a = await http.getJson({ adapter: "t", url: `${server.url}/c` });
    const b = await http.getJson({ adapter: "t", url: `${server.url}/c` });
    expect(a.data).toEqual({ n: 1 });
    expect(b.data).toEqual({ n: 1 });
    expect(b.response.fromCache).toBe(true);
    clock.advance(61_000);
    const c = await http.getJson({ adapter: "t", url: `${server.url}/c` });
    expect(c.data).toEqual({ n: 2 });
    expect(server.requests).toHaveLength(2);
    // a body that fails to parse is not cached
    server.route({ path: "/m", reply: [{ body: "{oops", contentType: "application/json" }, ok] });
    await sourceFailure(http.getJson({ adapter: "t", url: `${server.url}/m` }));
    expect((await http.getJson({ adapter: "t", url: `${server.url}/m` })).data).toEqual({ ok: true });
    // keys are hashes: nothing of the URL is kept in clear
    expect(cache.size).toBe(2);
  });

  it("spaces requests to one host by the politeness interval, hosts independently", async () => {
    const clock = fakeClock();
    const http = new HttpClient({ cache: false, clock });
    server.route({ path: "/p", reply: ok });
    const req = (host: string) =>
      http.getJson({
        adapter: "t",
        url: `http://${host}:${new URL(server.url).port}/p`,
        minIntervalMs: 3000,
      });
    await Promise.all([req("127.0.0.1"), req("127.0.0.1"), req("127.0.0.1")]);
    expect(clock.sleeps).toEqual([3000, 3000]);
    await req("localhost");
    expect(clock.sleeps).toEqual([3000, 3000]);
    // politeness 0 (tests) disables spacing
    const fast = new HttpClient({ cache: false, clock: fakeClock(), politeness: 0 });
    await Promise.all(
      [1, 2, 3].map(() => fast.getJson({ adapter: "t", url: `${server.url}/p`, minIntervalMs: 3000 })),
    );
    expect(server.requests).toHaveLength(7);
  });

  it("turns an HTML page, malformed JSON and a wrong content type into typed errors", async () => {
    const http = new HttpClient({ cache: false, retries: 0 });
    server.route({
      path: "/html",
      reply: {
        body: "<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>",
        contentType: "text/html",
      },
    });
    const html = await sourceFailure(http.getJson({ adapter: "t", url: `${server.url}/html` }));
    expect(html.details).toMatchObject({ reason: "html-error-page" });
    expect(html.message).toContain("Just a moment...");
    server.route({
      path: "/sneaky",
      reply: { body: "<html><body>error</body></html>", contentType: "application/json" },
    });
    expect(
      (await sourceFailure(http.getJson({ adapter: "t", url: `${server.url}/sneaky` }))).details,
    ).toMatchObject({ reason: "html-error-page" });
    server.route({ path: "/broken", reply: { body: '{"items": [1, 2', contentType: "application/json" } });
    expect(
      (await sourceFailure(http.getJson({ adapter: "t", url: `${server.url}/broken` }))).details,
    ).toMatchObject({ reason: "malformed-json" });
    server.route({
      path: "/png",
      reply: { body: Buffer.from([0x89, 0x50, 0x4e, 0x47]), contentType: "image/png" },
    });
    expect(
      (await sourceFailure(http.getJson({ adapter: "t", url: `${server.url}/png` }))).details,
    ).toMatchObject({ reason: "content-type" });
    server.route({ path: "/xml", reply: { body: "<feed><entry>", contentType: "application/xml" } });
    expect(
      (await sourceFailure(http.getXml({ adapter: "t", url: `${server.url}/xml` }))).details,
    ).toMatchObject({ reason: "malformed-xml" });
  });

  it("decodes invalid UTF-8 without failing and keeps odd unicode as data", async () => {
    const http = new HttpClient({ cache: false });
    const body = Buffer.concat([
      Buffer.from('{"t":"caf'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(' \\ud800 \\u202e ok"}'),
    ]);
    server.route({ path: "/u", reply: { body, contentType: "application/json; charset=utf-8" } });
    const { data } = await http.getJson<{ t: string }>({ adapter: "t", url: `${server.url}/u` });
    expect(data.t.startsWith("caf\uFFFD(")).toBe(true);
  });

  it("never shows API keys in errors", async () => {
    const key = "sk-test-0123456789abcdef";
    server.route({ path: "/k", reply: { status: 401, json: { error: `invalid key ${key}` } } });
    const http = new HttpClient({ cache: false, retries: 0 });
    const e = await sourceFailure(
      http.getJson({
        adapter: "t",
        url: `${server.url}/k?api_key=${key}&q=x`,
        secrets: [key],
        headers: { "x-api-key": key },
      }),
    );
    expect(e.message).not.toContain(key);
    expect(JSON.stringify(e.details)).not.toContain(key);
    expect(e.message).toContain("api_key=[redacted]");
    expect(e.message).toMatch(/Check the API key/);
  });

  it("stops at once when the caller aborts", async () => {
    server.route({ path: "/wait", reply: { ...ok, delayMs: 2000 } });
    const http = new HttpClient({ cache: false, retries: 3 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const e = await http
      .getJson({ adapter: "t", url: `${server.url}/wait`, signal: controller.signal })
      .catch((x: unknown) => x);
    expect(isSynthforgeError(e, "ABORTED")).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(server.requests).toHaveLength(1);
  });
});
