import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  createPipeline,
  createRegistry,
  exportHfDataset,
  exportRun,
  importRow,
  isExportFormat,
  listTrainingTypes,
  listVerifiers,
  parseRequest,
  processRegistry,
  type SourceDefinition,
  SynthforgeError,
  sftType,
  sqliteStore,
  type Verifier,
} from "../../src/index.js";
import type { TypeormStore } from "../../src/storage/typeorm-store.js";

const dir = mkdtempSync(join(tmpdir(), "sf-registry-"));
const stores: TypeormStore[] = [];
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
});

function store(name: string): TypeormStore {
  const s = sqliteStore({ path: join(dir, `${name}.db`) });
  stores.push(s);
  return s;
}

/** Review kinds stored for a run's examples. */
async function reviewKinds(s: TypeormStore, runId: string): Promise<string[]> {
  const rows = (await s.dataSource.query(
    "SELECT DISTINCT r.kind AS kind FROM reviews r WHERE r.example_id IN (SELECT id FROM synthetic_data_sft WHERE run_id = ?)",
    [runId],
  )) as Array<{ kind: string }>;
  return rows.map((r) => r.kind).sort();
}

const veto: Verifier = {
  name: "scoped-veto",
  description: "fails every example (a domain check only one pipeline runs)",
  weight: 1,
  run: () => ({ name: "scoped-veto", passed: false, score: 0, reasons: ["vetoed by the scoped verifier"] }),
};

async function codeOf(f: () => unknown): Promise<string | undefined> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(SynthforgeError);
    return (e as SynthforgeError).code;
  }
  return undefined;
}

describe("a pipeline's own registry", () => {
  it("runs its own verifiers; a pipeline on the process registry in the same process does not", async () => {
    const registry = createRegistry();
    registry.registerVerifier(veto);
    const a = store("a");
    const b = store("b");
    const scoped = createPipeline({ storage: a, registry, budget: { maxCandidates: 3 } });
    const plain = createPipeline({ storage: b, budget: { maxCandidates: 3 } });
    const [sa, sb] = await Promise.all([
      scoped.run({ trainingType: "sft", count: 2, topic: "photosynthesis" }).done,
      plain.run({ trainingType: "sft", count: 2, topic: "photosynthesis" }).done,
    ]);
    expect(await reviewKinds(a, sa.runId)).toContain("verifier:scoped-veto");
    expect(sa.counts.approved).toBe(0);
    expect(await reviewKinds(b, sb.runId)).not.toContain("verifier:scoped-veto");
    expect(sb.counts.approved).toBe(2);
    expect(listVerifiers().map((v) => v.name)).not.toContain("scoped-veto");
  });

  it("removes a verifier for its pipelines only", () => {
    const registry = createRegistry();
    const name = listVerifiers()[0]!.name;
    expect(registry.unregisterVerifier(name)).toBe(true);
    expect(registry.verifiers().map((v) => v.name)).not.toContain(name);
    expect(processRegistry.verifiers().map((v) => v.name)).toContain(name);
    // Registering it again brings it back in this registry.
    registry.registerVerifier(listVerifiers()[0]!);
    expect(registry.verifiers().map((v) => v.name)).toContain(name);
    expect(() => registry.registerVerifier({ ...veto, weight: 2 })).toThrow(/weight must be in \[0, 1\]/);
  });

  it("runs, stores and exports a training type only its pipelines know", async () => {
    const registry = createRegistry();
    registry.registerTrainingType({ ...sftType, name: "scoped_sft" });
    expect(registry.trainingTypeNames()).toContain("scoped_sft");
    expect(listTrainingTypes().map((t) => t.name)).not.toContain("scoped_sft");
    expect(processRegistry.trainingTypeNames()).not.toContain("scoped_sft");
    // The request parser reads it by name only with the registry's list.
    expect(
      parseRequest("Generate 3 scoped_sft examples about photosynthesis", {
        trainingTypes: registry.trainingTypeNames(),
      }).trainingType,
    ).toBe("scoped_sft");

    const s = store("scoped-type");
    const pipeline = createPipeline({ storage: s, registry });
    const summary = await pipeline.run("Generate 2 scoped_sft examples about photosynthesis").done;
    expect(summary.trainingType).toBe("scoped_sft");
    expect(summary.counts.approved).toBe(2);
    const rows: unknown[] = [];
    for await (const r of s.iterateExamples(summary.runId, "scoped_sft")) rows.push(r);
    expect(rows).toHaveLength(2);
    // pipeline.export finds the type in the pipeline's registry; the process's export does not know it.
    const out = join(dir, "scoped.jsonl");
    const exported = await pipeline.export(summary.runId, { format: "trl-sft-messages", out });
    expect(exported.rows).toBe(2);
    expect(await codeOf(() => exportRun(s, summary.runId, { format: "trl-sft-messages", out }))).toBe(
      "UNKNOWN_TRAINING_TYPE",
    );
    const hf = await exportHfDataset(s, summary.runId, { dir: join(dir, "scoped-hf"), registry });
    expect(hf.rows).toBe(2);

    // A pipeline on the process registry does not know the type.
    const other = createPipeline({ storage: store("other") });
    expect(
      await codeOf(() => other.run({ trainingType: "scoped_sft", count: 1, topic: "photosynthesis" }).done),
    ).toBe("UNKNOWN_TRAINING_TYPE");
  });

  it("refuses a type that would shadow a process-wide one, and bad names", async () => {
    const registry = createRegistry();
    expect(await codeOf(() => registry.registerTrainingType({ ...sftType, name: "dpo" }))).toBe(
      "CONFIG_INVALID",
    );
    expect(await codeOf(() => registry.registerTrainingType({ ...sftType, name: "Bad-Name" }))).toBe(
      "CONFIG_INVALID",
    );
    expect(await codeOf(() => registry.trainingType("nope"))).toBe("UNKNOWN_TRAINING_TYPE");
  });

  it("creates its own sources by id; the process registry does not know them", async () => {
    const registry = createRegistry();
    const def: SourceDefinition = {
      id: "scopedNotes",
      description: "notes only one pipeline searches",
      licenceNotes: "CC0",
      remote: false,
      create: () => ({
        id: "scopedNotes",
        name: "Scoped notes",
        description: "notes",
        search: async () => [],
      }),
    };
    registry.registerSource(def);
    expect(registry.source("scopedNotes")).toBe(def);
    expect(registry.sources().map((d) => d.id)).toContain("scopedNotes");
    expect(processRegistry.source("scopedNotes")).toBeUndefined();
    expect(registry.createSource("scopedNotes").id).toBe("scopedNotes");
    expect(await codeOf(() => processRegistry.createSource("scopedNotes"))).toBe("CONFIG_INVALID");
    // Options are validated as for any source.
    expect(await codeOf(() => registry.createSource("scopedNotes", { colour: "red" }))).toBe(
      "CONFIG_INVALID",
    );
    // An id the process has needs replace: true.
    expect(await codeOf(() => registry.registerSource({ ...def, id: "arxiv" }))).toBe("CONFIG_INVALID");
    registry.registerSource({ ...def, id: "arxiv" }, { replace: true });
    expect(registry.createSource("arxiv").id).toBe("scopedNotes");
    expect(processRegistry.source("arxiv")?.id).toBe("arxiv");
  });

  it("exports to a format only its pipelines know, checked by the format's validator and read back", async () => {
    const registry = createRegistry();
    let mustContain = "";
    registry.registerExportFormat({
      id: "flashcards",
      description: "one front/back card per line",
      trainer: "a flashcard trainer",
      validate: (row) => {
        const problems: string[] = [];
        if (typeof row.front !== "string" || typeof row.back !== "string")
          problems.push("needs front and back");
        else if (!row.back.includes(mustContain)) problems.push(`back must mention "${mustContain}"`);
        if (Object.keys(row).length !== 2) problems.push("only front and back");
        return problems;
      },
      fileRules: () => ({
        add: () => [],
        finish: (rows) => (rows < 3 ? [`a deck of ${rows} cards is small`] : []),
      }),
      read: {
        parse: (rec) =>
          typeof rec.front === "string" && typeof rec.back === "string" && Object.keys(rec).length === 2
            ? {
                system: null,
                turns: [
                  { role: "user", content: rec.front },
                  { role: "assistant", content: rec.back },
                ],
              }
            : null,
      },
    });
    registry.registerTrainingType({
      ...sftType,
      name: "cards_sft",
      exporters: {
        ...sftType.exporters,
        flashcards: (row) => ({ front: sftType.promptText(row), back: sftType.answerText(row) }),
      },
    });
    expect(registry.exportFormats().map((f) => f.id)).toContain("flashcards");
    expect(processRegistry.exportFormat("flashcards")).toBeUndefined();
    expect(isExportFormat("flashcards")).toBe(false);
    expect(
      await codeOf(() =>
        registry.registerExportFormat({ id: "alpaca", description: "x", validate: () => [] }),
      ),
    ).toBe("CONFIG_INVALID");

    const s = store("scoped-format");
    const pipeline = createPipeline({ storage: s, registry });
    const summary = await pipeline.run({ trainingType: "cards_sft", count: 2, topic: "photosynthesis" }).done;
    expect(summary.counts.approved).toBe(2);
    const out = join(dir, "cards.jsonl");
    const exported = await pipeline.export(summary.runId, { format: "flashcards", out });
    expect(exported.rows).toBe(2);
    expect(exported.warnings).toContain("a deck of 2 cards is small");
    const lines = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => Object.keys(l).sort())).toEqual([
      ["back", "front"],
      ["back", "front"],
    ]);
    // The HF folder's card describes the format from the registry.
    const hf = await exportHfDataset(s, summary.runId, {
      dir: join(dir, "cards-hf"),
      format: "flashcards",
      registry,
    });
    expect(hf.rows).toBe(2);
    expect(readFileSync(join(dir, "cards-hf", "README.md"), "utf8")).toMatch(
      /`flashcards` format: one front\/back card per line\. It loads without conversion into a flashcard trainer\./,
    );
    // Its validator checks every exported row.
    mustContain = "no answer says this";
    expect(
      await codeOf(() =>
        pipeline.export(summary.runId, { format: "flashcards", out: join(dir, "bad.jsonl") }),
      ),
    ).toBe("EXPORT_ROW_INVALID");
    // Its reader reads the rows back (as SFT rows, for review) for this registry only.
    const back = importRow("sft", lines[0]!, registry);
    expect(back?.format).toBe("flashcards");
    expect(back?.row).toMatchObject({ prompt: lines[0]!.front, response: lines[0]!.back });
    expect(importRow("sft", lines[0]!)).toBeNull();
    // The review stage checks candidates against the registry's format too.
    const rejected = await createPipeline({ storage: s, registry, budget: { maxCandidates: 2 } }).run({
      trainingType: "cards_sft",
      count: 1,
      topic: "photosynthesis",
    }).done;
    expect(rejected.counts.approved).toBe(0);
    const reasons = (await s.dataSource.query("SELECT reasons FROM reviews WHERE run_id = ?", [
      rejected.runId,
    ])) as Array<{ reasons: string }>;
    expect(reasons.flatMap((r) => JSON.parse(r.reasons) as string[]).join("\n")).toMatch(
      /flashcards: back must mention "no answer says this"/,
    );
  });
});
