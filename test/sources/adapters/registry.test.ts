import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSources } from "../../../src/cli/settings.js";
import { currentConfigSchema, loadConfig, sourceTypeNames } from "../../../src/core/config.js";
import { isSynthforgeError } from "../../../src/core/errors.js";
import {
  createSource,
  getSourceDefinition,
  listSources,
  registerSource,
} from "../../../src/sources/registry.js";
import { type FixtureServer, startFixtureServer } from "../../helpers/fixture-server.js";
import { testHttp } from "./helpers.js";

let server: FixtureServer;
beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(async () => {
  await server.close();
});

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isSynthforgeError(e, "CONFIG_INVALID")) return e.message;
    throw e;
  }
  throw new Error("expected CONFIG_INVALID");
}

// The public-API adapters synthforge ships, written out here so that losing one fails.
const REMOTE_IDS = [
  "arxiv",
  "wikipedia",
  "huggingFace",
  "semanticScholar",
  "pubmed",
  "europePmc",
  "biorxiv",
  "medrxiv",
  "crossref",
  "openalex",
  "stackExchange",
  "github",
  "plos",
  "doaj",
  "core",
  "pubchem",
  "chemrxiv",
  "webPage",
];

describe("source registry", () => {
  it("the config schema accepts exactly the registered adapters: the registry is the one list of ids", () => {
    const remote = listSources()
      .filter((d) => d.remote)
      .map((d) => d.id);
    expect([...remote].sort()).toEqual([...REMOTE_IDS].sort());
    expect(sourceTypeNames()).toEqual(remote);
    const schema = currentConfigSchema();
    for (const id of remote) expect(schema.safeParse({ sources: [{ type: id }] }).success).toBe(true);
    const bad = schema.safeParse({ sources: [{ type: "arxive" }] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(["sources", 0, "type"]);
    expect(bad.error?.issues[0]?.message).toMatch(/unknown source type "arxive".*\(arxiv, wikipedia,/);
    for (const d of listSources()) {
      expect(d.description.length).toBeGreaterThan(10);
      expect(d.licenceNotes.length).toBeGreaterThan(5);
    }
  });

  it("creates each remote adapter by id with its id and a description", () => {
    const http = testHttp();
    for (const id of REMOTE_IDS) {
      const src = createSource(id, { baseUrl: server.url, http });
      expect(src.id).toBe(id);
      expect(src.description.length).toBeGreaterThan(10);
    }
  });

  it("validates options: unknown ids, wrong types and unknown keys are CONFIG_INVALID", () => {
    expect(configError(() => createSource("arxive"))).toMatch(
      /Unknown source "arxive"\. Known sources: localFiles, corpus, arxiv/,
    );
    expect(configError(() => createSource("arxiv", { baseUrl: "not a url" }))).toMatch(/option "baseUrl"/);
    expect(configError(() => createSource("wikipedia", { extract: "everything" }))).toMatch(
      /option "extract"/,
    );
    expect(configError(() => createSource("github", { kind: "issues" }))).toMatch(/option "kind"/);
    expect(configError(() => createSource("crossref", { colour: "blue" }))).toMatch(/colour/);
    expect(configError(() => createSource("plos", { colour: "blue" }))).toMatch(/takes no option "colour"/);
    expect(configError(() => createSource("localFiles", {}))).toMatch(/option "dir"/);
  });

  it("lets a host register its own source, refusing silent replacement", () => {
    const def = {
      id: "myNotes",
      description: "My own notes service",
      licenceNotes: "CC0-1.0",
      remote: false,
      create: () => ({ id: "myNotes", description: "x", search: async () => [] }),
    };
    registerSource(def);
    expect(getSourceDefinition("myNotes")).toBe(def);
    expect(configError(() => registerSource(def))).toMatch(/already registered/);
    registerSource({ ...def, description: "replaced" }, { replace: true });
    expect(getSourceDefinition("myNotes")!.description).toBe("replaced");
    expect(createSource("myNotes").id).toBe("myNotes");
  });
});

describe("config: sources by id, and the http section", () => {
  it("accepts remote sources with options next to localFiles and corpus, and builds them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-cfg-"));
    writeFileSync(
      join(dir, "note.md"),
      "# Note\n\nHeat-bath random walks mix rapidly on fibers of a fixed integer matrix in fixed dimension.\n",
    );
    const file = join(dir, "synthforge.config.yaml");
    writeFileSync(
      file,
      [
        "http:",
        "  contact: lab@example.org",
        "  timeoutMs: 5000",
        "sources:",
        "  - type: corpus",
        `  - type: localFiles`,
        `    dir: ${dir}`,
        "  - type: arxiv",
        `    baseUrl: ${server.url}`,
        "    limit: 2",
        "    options:",
        "      licenceLookup: false",
        "  - type: medrxiv",
        "    options:",
        "      interval: 7d",
      ].join("\n"),
    );
    const { config } = loadConfig(file);
    expect(config.http).toEqual({ contact: "lab@example.org", timeoutMs: 5000 });
    const sources = buildSources({}, config, dir);
    expect(sources.map((s) => s.id)).toEqual(["corpus", "localFiles", "arxiv", "medrxiv"]);
    server.route({
      path: "/api/query",
      reply: { file: "arxiv/search-testing-start0-max10.xml", contentType: "application/atom+xml" },
    });
    const docs = await sources[2]!.search("software testing");
    expect(docs).toHaveLength(2);
    expect(docs[0]!.licence.evidence).toMatch(/lookup disabled/);
    expect(server.requests.at(-1)!.headers["user-agent"]).toContain("mailto:lab@example.org");
  });

  it("rejects an unknown source type and a bad option with the field to fix", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-cfg-"));
    const bad = join(dir, "a.yaml");
    writeFileSync(bad, "sources:\n  - type: arxivv\n");
    expect(configError(() => loadConfig(bad))).toMatch(/field "sources\.0\.type"/);
    writeFileSync(bad, "sources:\n  - type: arxiv\n    colour: blue\n");
    expect(configError(() => loadConfig(bad))).toMatch(/colour/);
    writeFileSync(bad, "sources:\n  - type: wikipedia\n    options:\n      extract: everything\n");
    const { config } = loadConfig(bad);
    expect(configError(() => buildSources({}, config, dir))).toMatch(/Source "wikipedia": option "extract"/);
    writeFileSync(bad, "http:\n  retries: -1\n");
    expect(configError(() => loadConfig(bad))).toMatch(/http\.retries/);
  });
});
