/**
 * Grounding by default and the ground-truth gates of research: with a model key and no
 * source configured, research searches Wikipedia plus the catalogues of the plan's
 * domain; a passage that is not about the question's subject is not ground truth; a
 * corpus whose notes the licence policy refuses is refused before any model call.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defaultSourceConfigs,
  licencePolicyFlag,
  reportSkippedFiles,
  sourcesFlag,
} from "../../src/cli/settings.js";
import { isSynthforgeError } from "../../src/core/errors.js";
import { geminiModels } from "../../src/models/factories.js";
import { createPipeline } from "../../src/pipeline/pipeline.js";
import { aboutSubject, questionSubject, researchStage } from "../../src/pipeline/research-stage.js";
import { CandidateRejected } from "../../src/pipeline/stage.js";
import { HttpClient } from "../../src/sources/http.js";
import { normaliseLicence } from "../../src/sources/licence.js";
import { localFilesSource } from "../../src/sources/local-files.js";
import { createGroundingSources, GROUNDING_SOURCE_IDS } from "../../src/sources/registry.js";
import { sourcesForDomain } from "../../src/sources/selection.js";
import { sqliteStore, type TypeormStore } from "../../src/storage/typeorm-store.js";
import { type GeminiStub, startGeminiServer } from "../helpers/gemini-server.js";
import { offlineGeminiHandler } from "../helpers/offline-gemini.js";
import {
  addQuestions,
  researchContext,
  staticSource,
  testPlan,
  wikipediaFixtureServer,
} from "./helpers/research-kit.js";

const CC_BY = normaliseLicence("CC-BY-4.0", "test");

let dir: string;
let store: TypeormStore;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sf-grounding-"));
  store = sqliteStore({ path: join(dir, "g.db") });
  await store.init();
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("default sources", () => {
  it("offline keeps the bundled corpus; with a key, the public catalogues", () => {
    expect(defaultSourceConfigs("offline")).toEqual([{ type: "corpus" }]);
    const withKey = defaultSourceConfigs("gemini").map((s) => s.type);
    expect(withKey).toEqual([...GROUNDING_SOURCE_IDS]);
    expect(withKey).toContain("wikipedia");
    expect(withKey).not.toContain("corpus");
    // SYNTHFORGE_SOURCES narrows the default (a keyed run kept on the bundled corpus).
    const saved = process.env.SYNTHFORGE_SOURCES;
    process.env.SYNTHFORGE_SOURCES = "corpus,wikipedia";
    try {
      expect(defaultSourceConfigs("gemini")).toEqual([{ type: "corpus" }, { type: "wikipedia" }]);
    } finally {
      if (saved === undefined) delete process.env.SYNTHFORGE_SOURCES;
      else process.env.SYNTHFORGE_SOURCES = saved;
    }
  });

  it("research picks Wikipedia plus the domain's catalogues from them", () => {
    const sources = createGroundingSources({
      http: new HttpClient({ politeness: 0, retries: 0, cache: false }),
    });
    const ids = (domain: string) => sourcesForDomain(sources, domain).map((s) => s.id);
    expect(ids("physics")).toEqual(["arxiv", "semanticScholar", "wikipedia"]);
    expect(ids("mathematics")).toEqual(["arxiv", "wikipedia"]);
    expect(ids("medicine")).toEqual(["pubmed", "europePmc", "semanticScholar", "wikipedia"]);
    expect(ids("biology")).toEqual(["pubmed", "europePmc", "plos", "wikipedia"]);
    expect(ids("chemistry")).toEqual(["pubchem", "chemrxiv", "pubmed", "europePmc", "wikipedia"]);
    expect(ids("computer science")).toEqual(["stackExchange", "wikipedia", "arxiv"]);
    // A domain no catalogue is named for: the general ones.
    expect(ids("medieval European history")).toEqual(["wikipedia", "openalex", "crossref"]);
  });

  it("--sources narrows them by id; --licence-policy is checked", () => {
    expect(sourcesFlag("wikipedia, arxiv,corpus")).toEqual([
      { type: "wikipedia" },
      { type: "arxiv" },
      { type: "corpus" },
    ]);
    expect(() => sourcesFlag("wikipedia,nosuch")).toThrow(/unknown source "nosuch"/);
    expect(licencePolicyFlag("any")).toBe("any");
    expect(licencePolicyFlag("allow:CC-BY-NC-4.0,CC-BY-NC-SA-*")).toEqual({
      base: "permissive",
      allow: ["CC-BY-NC-4.0", "CC-BY-NC-SA-*"],
      deny: [],
    });
    expect(() => licencePolicyFlag("lenient")).toThrow(/--licence-policy must be/);
  });
});

describe("relevance threshold", () => {
  it("reads the subject of a question", () => {
    expect(questionSubject("Explain the central ideas of Kubernetes networking.").text).toBe(
      "Kubernetes networking",
    );
    expect(questionSubject("What is electric charge?").text).toBe("electric charge");
    const s = questionSubject("Explain polymers and why they matter.");
    expect(aboutSubject(s, new Set(["polymer", "chain"]))).toBe(true);
    expect(aboutSubject(s, new Set(["elastomer", "rubber"]))).toBe(false);
    // A stem shared in the document title counts ("networking" / "Network").
    const k = questionSubject("Explain the central ideas of Kubernetes networking.");
    expect(aboutSubject(k, new Set(["kubernete", "pod"]), "Network model")).toBe(true);
    expect(aboutSubject(k, new Set(["central", "limit", "theorem"]), "Statistics")).toBe(false);
  });

  it("drops a question whose best passage is not about it, naming why", async () => {
    const src = staticSource("notes", [
      {
        url: "https://x/clt",
        title: "Central limit theorem",
        authors: [],
        licence: CC_BY,
        passages: [
          {
            text: "The central limit theorem says that the mean of many independent samples is approximately normally distributed, whatever the shape of the population.",
            index: 0,
          },
        ],
      },
    ]);
    const ctx = await researchContext(
      store,
      [src],
      testPlan("code", ["Kubernetes networking"], "Kubernetes"),
    );
    const [q] = await addQuestions(ctx, "Kubernetes networking", [
      "Explain the central ideas of Kubernetes networking.",
    ]);
    const err = await researchStage()
      .run({ question: q!, example: null, round: 0, revisionNotes: [] }, ctx)
      .catch((e) => e);
    expect(err).toBeInstanceOf(CandidateRejected);
    expect((err as CandidateRejected).reason).toBe(
      'no ground truth: no source passage is about "Kubernetes networking"',
    );
    // A question the passage is about is researched from it.
    const [ok] = await addQuestions(ctx, "Kubernetes networking", ["What is the central limit theorem?"]);
    await researchStage().run({ question: ok!, example: null, round: 0, revisionNotes: [] }, ctx);
    expect((await store.getQuestion(ok!.id))?.status).toBe("researched");
  });
});

describe("licences of a local corpus", () => {
  it("refuses, before any model call, a corpus none of whose notes the policy admits, saying how to fix it", async () => {
    const notes = join(dir, "no-licence");
    mkdirSync(notes, { recursive: true });
    writeFileSync(join(notes, "a.md"), "# Osmosis\n\nOsmosis is the movement of water across a membrane.\n");
    writeFileSync(
      join(notes, "b.md"),
      "# Diffusion\n\nDiffusion spreads particles from high to low concentration.\n",
    );
    const lines: string[] = [];
    const err = await reportSkippedFiles([localFilesSource({ dir: notes })], {
      err: (l) => lines.push(l),
    }).catch((e) => e);
    expect(isSynthforgeError(err, "NO_MATERIAL")).toBe(true);
    const msg = (err as Error).message;
    expect(msg.split("\n")).toHaveLength(1);
    expect(msg).toContain('licence policy "permissive"');
    expect(msg).toContain("2× unknown");
    expect(msg).toMatch(/--licence-policy any/);
    expect(msg).toMatch(/license:/);
    // The same notes under "any" are usable; so is a note with a licence in its front matter.
    await reportSkippedFiles([localFilesSource({ dir: notes })], { err: () => {} }, "any");
    writeFileSync(
      join(notes, "c.md"),
      "---\nlicense: CC-BY-4.0\n---\n\nSolutes lower the water potential of a solution.\n",
    );
    await reportSkippedFiles([localFilesSource({ dir: notes })], { err: () => {} });
  });
});

describe("grounded run with a key against recorded sources", () => {
  let stub: GeminiStub;
  let wiki: Awaited<ReturnType<typeof wikipediaFixtureServer>>;
  beforeAll(async () => {
    stub = await startGeminiServer(offlineGeminiHandler());
    wiki = await wikipediaFixtureServer();
  });
  afterAll(async () => {
    await stub?.close();
    await wiki?.close();
  });

  it("searches Wikipedia and the domain's catalogues (not the bundled corpus) and grounds the data in them", async () => {
    const http = new HttpClient({ politeness: 0, retries: 0, cache: false });
    const pipeline = createPipeline({
      storage: sqliteStore({ path: join(dir, "grounded.db") }),
      models: geminiModels({ apiKey: "test-key", baseUrl: stub.url, retries: 0 }),
      // Every catalogue points at the recorded Wikipedia server; the others answer 404 there.
      sources: createGroundingSources({ http, baseUrls: { "*": wiki.baseUrl } }),
      concurrency: 2,
    });
    try {
      const summary = await pipeline.run("Generate 2 SFT examples about Python programming").done;
      const s = pipeline.store;
      const run = (await s.getRun(summary.runId))!;
      expect(run.plan?.domain).toBe("code");
      expect(stub.requests.length).toBeGreaterThan(0);
      // Wikipedia's Action API was asked (search, then extracts).
      expect(wiki.requests.some((r) => r.includes("list=search"))).toBe(true);
      // Research (the plan stage may probe every source; research uses the domain's only).
      const failures = (await s.listFailures(summary.runId))
        .filter((f) => f.stage === "research")
        .map((f) => f.reason)
        .join("\n");
      // The code domain's other catalogues were tried (and failed on this server); no others.
      expect(failures).toMatch(/source stackExchange failed/);
      expect(failures).not.toMatch(/source (pubmed|pubchem|crossref|openalex) failed/);
      const researched = (await s.listQuestions(summary.runId)).filter((q) => q.contextSources?.length);
      expect(researched.length).toBeGreaterThan(0);
      const adapters = new Set<string>();
      for (const q of researched)
        for (const src of await s.getSources(q.contextSources!.map((c) => c.sourceId)))
          adapters.add(src.adapter);
      expect([...adapters]).toEqual(["wikipedia"]);
    } finally {
      await pipeline.close();
    }
  });
});
