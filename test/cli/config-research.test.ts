/**
 * The config file's `research:` section reaches the research the pipeline does: the domain
 * table decides which sources are searched, and a typo in it is refused before any work.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runSettings } from "../../src/cli/run-options.js";
import { createPipeline } from "../../src/pipeline/pipeline.js";
import { corpusSource } from "../../src/sources/corpus.js";
import { normaliseLicence } from "../../src/sources/licence.js";
import { sqliteStore } from "../../src/storage/typeorm-store.js";
import { staticSource } from "../sources/helpers/research-kit.js";

const configFile = (yaml: string) => {
  const dir = mkdtempSync(join(tmpdir(), "sf-research-config-"));
  const file = join(dir, "synthforge.config.yaml");
  writeFileSync(file, yaml);
  return { dir, file };
};

describe("config research.domainSources", () => {
  it("chooses the sources a chemistry run searches (arXiv instead of the built-in PubChem/Wikipedia)", async () => {
    const { dir, file } = configFile(
      "provider: offline\nresearch:\n  domainSources:\n    chemistry: [arxiv]\n  passagesPerQuestion: 4\n",
    );
    const settings = runSettings({ config: file, provider: "offline" });
    const passages = [
      {
        text: "Benzene is an aromatic hydrocarbon whose ring of six carbon atoms is unusually stable.",
        index: 0,
      },
    ];
    const doc = {
      url: "https://x/benzene",
      title: "Benzene",
      authors: [],
      licence: normaliseLicence("CC-BY-4.0", "test"),
      passages,
    };
    const arxiv = staticSource("arxiv", [doc]);
    const wikipedia = staticSource("wikipedia", [{ ...doc, url: "https://w/benzene" }]);
    const store = sqliteStore({ path: join(dir, "r.db") });
    const pipeline = createPipeline({
      ...settings.options,
      storage: store,
      sources: [arxiv, wikipedia, corpusSource()],
    });
    const s = await pipeline.run({ count: 3, trainingType: "sft", topic: "organic chemistry" }).done;
    await pipeline.close();
    expect(s.status, s.stopReason ?? "").toBe("completed");
    expect(arxiv.queries.length).toBeGreaterThan(0);
    // The plan looks at every source for the topic (its hints and the estimate of the material
    // come before the domain is known), once: the hints reuse what the estimate fetched.
    // Research of the sub-topics and questions then searches only the domain's sources.
    expect(wikipedia.queries).toEqual(["organic chemistry"]);
    expect(arxiv.queries.length).toBeGreaterThan(1);
    // No source is asked the same query twice in the run.
    for (const source of [arxiv, wikipedia])
      expect(source.queries.length, `${source.id}: ${source.queries.join(" | ")}`).toBe(
        new Set(source.queries).size,
      );
  });

  it("refuses a source id nobody knows, naming it and where the ids come from", () => {
    const { file } = configFile("research:\n  domainSources:\n    chemistry: [pubchm, wikipedia]\n");
    expect(() => runSettings({ config: file, provider: "offline" })).toThrow(
      /research\.domainSources\.chemistry names unknown source\(s\) pubchm; use ids from `synthforge sources list`/,
    );
  });

  it("refuses an unknown research option with the field to fix", () => {
    const { file } = configFile("research:\n  passagesPerQuestoin: 3\n");
    expect(() => runSettings({ config: file, provider: "offline" })).toThrow(
      /field "research": Unrecognized key/,
    );
  });
});
