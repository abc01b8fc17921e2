import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../../src/cli/main.js";
import type { CliIO } from "../../../src/cli/progress.js";
import { sourceTypeNames } from "../../../src/core/config.js";
import { type FixtureServer, startFixtureServer } from "../../helpers/fixture-server.js";

let server: FixtureServer;
beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

async function run(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (l) => out.push(l), err: (l) => err.push(l), tty: false };
  const code = await main(["node", "synthforge", ...args], io);
  return { code, out, err };
}

describe("synthforge sources", () => {
  it("list: every source with its licence notes, as text and JSON", async () => {
    const text = await run("sources", "list");
    expect(text.code).toBe(0);
    for (const id of [...sourceTypeNames(), "localFiles", "corpus"])
      expect(text.out.some((l) => l.startsWith(`${id} `))).toBe(true);
    expect(text.out.join("\n")).toMatch(/licence: CC BY-SA by post date/);
    const json = await run("sources", "list", "--json");
    const parsed = JSON.parse(json.out[0]!) as Array<{ id: string; licenceNotes: string; env: string[] }>;
    expect(parsed.find((s) => s.id === "github")!.env).toEqual(["GITHUB_TOKEN"]);
    expect(parsed.every((s) => s.licenceNotes.length > 0)).toBe(true);
  });

  it("search: prints normalised documents (title, url, authors, published, licence and flags, passages)", async () => {
    server.route({
      path: "/api/query",
      reply: { file: "arxiv/idlist-1605.08386.xml", contentType: "application/atom+xml" },
    });
    // no OAI-PMH licence lookup: it would wait out arXiv's 3 s politeness interval
    const res = await run(
      "sources",
      "search",
      "arxiv",
      "1605.08386",
      "--base-url",
      server.url,
      "--limit",
      "1",
      "--option",
      "licenceLookup=false",
    );
    expect(res.code).toBe(0);
    const text = res.out.join("\n");
    expect(text).toContain("1. Heat-bath random walks with Markov bases");
    expect(text).toContain("url:       https://arxiv.org/abs/1605.08386v1");
    expect(text).toContain("authors:   Caprice Stanley, Tobias Windisch");
    expect(text).toContain("published: 2016-05-26");
    expect(text).toMatch(/licence: {3}unknown \(not permissive, attribution required, no commercial use\)/);
    expect(text).toMatch(/evidence: {2}.*lookup disabled/);
    expect(text).toMatch(/\[0\] Graphs on lattice points are studied/);
    expect(server.requests[0]!.headers["user-agent"]).toMatch(/^synthforge\//);
  });

  it("search --json; options and the contact address from the config file and --option", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-sources-"));
    const cfg = join(dir, "synthforge.config.yaml");
    writeFileSync(
      cfg,
      `http:\n  contact: team@example.org\n  retries: 0\nsources:\n  - type: wikipedia\n    options:\n      extract: summary\n`,
    );
    server.route({
      path: "/w/api.php",
      query: { list: "search" },
      reply: { json: { query: { search: [{ title: "Moscow" }] } } },
    });
    server.route({
      path: "/api/rest_v1/page/summary/Moscow",
      reply: { file: "wikipedia/rest-v1-page-summary-moscow-coordinates.json" },
    });
    const res = await run(
      "sources",
      "search",
      "wikipedia",
      "Moscow",
      "--base-url",
      server.url,
      "--json",
      "-c",
      cfg,
    );
    expect(res.code).toBe(0);
    const parsed = JSON.parse(res.out[0]!) as {
      documents: Array<{ title: string; licence: { spdx: string } }>;
    };
    expect(parsed.documents.map((d) => [d.title, d.licence.spdx])).toEqual([["Moscow", "CC-BY-SA-4.0"]]);
    expect(server.requests[0]!.headers["user-agent"]).toContain("mailto:team@example.org");
    // --option overrides the config: intro mode asks with generator=search
    server.route({
      path: "/w/api.php",
      query: { generator: "search" },
      reply: { json: { batchcomplete: true } },
    });
    const intro = await run(
      "sources",
      "search",
      "wikipedia",
      "Moscow",
      "--base-url",
      server.url,
      "-c",
      cfg,
      "--option",
      "extract=intro",
    );
    expect(intro.out).toEqual(['no documents from wikipedia for "Moscow"']);
  });

  it("a failed source prints its reason and exits 1; bad input exits 2", async () => {
    server.route({
      path: "/works",
      reply: {
        body: "<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title></head></html>",
        contentType: "text/html",
      },
    });
    const res = await run("sources", "search", "crossref", "ecology", "--base-url", server.url);
    expect(res.code).toBe(1);
    expect(res.err[0]).toMatch(
      /^source crossref failed: .*HTML page where JSON was expected.*503 Service Temporarily Unavailable/,
    );
    expect(res.err[1]).toBe("  reason: html-error-page (HTTP 200)");
    const json = await run("sources", "search", "crossref", "ecology", "--base-url", server.url, "--json");
    expect(JSON.parse(json.out[0]!)).toMatchObject({
      adapter: "crossref",
      error: { code: "SOURCE_FAILED", reason: "html-error-page" },
    });
    const unknown = await run("sources", "search", "nosuch", "x");
    expect(unknown.code).toBe(2);
    expect(unknown.err[0]).toMatch(/Unknown source "nosuch"\. Known sources: .*arxiv/);
    const badLimit = await run("sources", "search", "arxiv", "x", "--limit", "0");
    expect(badLimit.code).toBe(2);
    const badOption = await run("sources", "search", "wikipedia", "x", "--option", "extract=everything");
    expect(badOption.code).toBe(2);
    expect(badOption.err[0]).toMatch(/option "extract"/);
  });

  it("searches a local folder with --dir", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-notes-"));
    writeFileSync(
      join(dir, "acids.md"),
      "---\nlicence: CC0-1.0\n---\n# Acids\n\nA strong acid dissociates completely in water, releasing hydrogen ions into the solution.\n",
    );
    const res = await run("sources", "search", "localFiles", "strong acid dissociates", "--dir", dir);
    expect(res.code).toBe(0);
    expect(res.out.join("\n")).toMatch(/licence: {3}CC0-1\.0 \(permissive/);
  });
});
