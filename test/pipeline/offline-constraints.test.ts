/**
 * The offline provider honours what a request asks of the text where a composer of source
 * sentences can (issue 12): the audience frames the questions and orders the passages
 * simplest first; step-by-step reasoning makes numbered steps built from the passages; a
 * language other than English is refused before any work. On a tiny corpus the composer
 * opens every answer with a sentence no other answer of the run opens with, and drops a
 * candidate as a duplicate when none is left, instead of approving the same answer twice.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isSynthforgeError } from "../../src/core/errors.js";
import { sentences } from "../../src/core/text.js";
import { AnswerTracker } from "../../src/pipeline/answer-tracker.js";
import { createPipeline, defaultStages } from "../../src/pipeline/pipeline.js";
import { localFilesSource } from "../../src/sources/local-files.js";
import { sqliteStore } from "../../src/storage/typeorm-store.js";
import {
  composeAnswer,
  degrade,
  frameQuestion,
  introduceFactualError,
  readingGrade,
  readQuestion,
  unframeQuestion,
} from "../../src/training-types/compose.js";
import { getTrainingType } from "../../src/training-types/index.js";
import type { GenerationInput } from "../../src/training-types/types.js";

/** Three short notes on organic chemistry, licensed for use: nine sentences in all. */
function tinyCorpus(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "sf-tiny-")), "organic-chemistry");
  mkdirSync(dir);
  const note = (name: string, body: string) =>
    writeFileSync(join(dir, name), `---\nlicense: CC-BY-4.0\n---\n${body}\n`);
  note(
    "esters.md",
    "# Esters\n\nIn organic chemistry, esters are compounds formed when a carboxylic acid reacts with an alcohol. The reaction is called esterification and needs an acid catalyst such as concentrated sulfuric acid. Esters often have fruity smells and are used in flavourings and perfumes.",
  );
  note(
    "alkenes.md",
    "# Alkenes\n\nIn organic chemistry, alkenes are hydrocarbons that contain a carbon-carbon double bond. The double bond makes alkenes more reactive than alkanes. Alkenes decolourise bromine water, which is a simple test for unsaturation.",
  );
  note(
    "alcohols.md",
    "# Alcohols\n\nIn organic chemistry, alcohols contain the hydroxyl functional group bonded to a saturated carbon atom. Primary alcohols can be oxidised to aldehydes and then to carboxylic acids. Ethanol is made by fermentation of sugars or by hydration of ethene.",
  );
  return dir;
}

interface Approved {
  prompt: string;
  answer: string;
}

async function run(
  request: string,
  opts: { corpus?: string; dedup?: "run" | "off"; type?: string } = {},
): Promise<{
  approved: Approved[];
  summary: Awaited<ReturnType<ReturnType<typeof createPipeline>["run"]>["done"]>;
}> {
  const store = sqliteStore({ path: ":memory:" });
  const pipeline = createPipeline({
    storage: store,
    concurrency: 4,
    ...(opts.corpus ? { sources: [localFilesSource({ dir: opts.corpus })] } : {}),
    ...(opts.dedup ? { stages: defaultStages({ review: { dedup: opts.dedup } }) } : {}),
  });
  try {
    const summary = await pipeline.run(request).done;
    const type = getTrainingType(summary.trainingType);
    const approved: Approved[] = [];
    for await (const ex of store.iterateExamples(summary.runId, type.name, { reviewStatus: ["approved"] }))
      approved.push({ prompt: type.promptText(ex.data), answer: type.answerText(ex.data) });
    return { approved, summary };
  } finally {
    await pipeline.close();
  }
}

const heads = (rows: Approved[]) => rows.map((r) => r.answer.slice(0, 120));
const shared = (list: string[]) => list.filter((h, i) => list.some((g, j) => j !== i && g === h));

describe("the offline provider and the request's constraints", () => {
  it("frames questions for the audience, writes numbered steps from the passages, simplest first", async () => {
    const { approved, summary } = await run(
      "Generate 10 SFT examples about organic chemistry for A-level students with step-by-step reasoning",
    );
    expect(summary.status, summary.stopReason ?? "").toBe("completed");
    expect(approved).toHaveLength(10);
    for (const { prompt, answer } of approved) {
      // The question asks as an A-level student would, and still reads as its own question.
      expect(prompt).toMatch(/ Please answer step by step, at a level suitable for A-level students\.$/);
      expect(readQuestion(prompt).known, prompt).toBe(true);
      // Numbered steps, each a sentence of the sources.
      const steps = answer.split("\n");
      expect(steps.length, answer).toBeGreaterThanOrEqual(2);
      expect(steps.map((line) => /^(\d+)\. /.exec(line)?.[1])).toEqual(steps.map((_, i) => String(i + 1)));
    }
  });

  it("orders an answer's passages simplest first for a learner audience, and keeps the order otherwise", () => {
    const definition = "Esters are compounds formed from a carboxylic acid and an alcohol.";
    const hard =
      "Esters undergo saponification, characterised kinetically by second-order rate constants of approximately 0.1 dm3 mol−1 s−1 at 298 K, necessitating stoichiometric hydroxide.";
    const simple = "Esters smell of fruit. Esters are used in perfumes.";
    const input = (audience?: string): GenerationInput => ({
      question: "What are esters?",
      topic: "organic chemistry",
      subTopic: "Esters",
      difficulty: "hard",
      trainingType: "sft",
      context: { summary: "", keyFacts: [], terminology: [], caveats: [] },
      passages: [
        { sourceId: "a", text: definition },
        { sourceId: "b", text: hard },
        { sourceId: "c", text: simple },
      ],
      ...(audience ? { brief: { constraints: { audience } } } : {}),
    });
    expect(readingGrade(simple)).toBeLessThan(readingGrade(hard));
    const forExperts = composeAnswer(input("researchers"));
    const forStudents = composeAnswer(input("A-level students"));
    const precedes = (text: string, a: string, b: string) => text.indexOf(a) < text.indexOf(b);
    // Both answer with the definition first and use every passage; only the order of the rest differs.
    for (const a of [forExperts, forStudents]) {
      expect(a.startsWith(definition), a).toBe(true);
      expect(a).toContain("Esters smell of fruit.");
      expect(a).toContain("saponification");
    }
    expect(precedes(forStudents, "Esters smell of fruit.", "saponification"), forStudents).toBe(true);
    expect(precedes(forExperts, "saponification", "Esters smell of fruit."), forExperts).toBe(true);
  });

  it("frames and unframes a question without changing what it asks", () => {
    const q = "What are esters?";
    const framed = frameQuestion(q, { audience: "beginners", style: "step-by-step reasoning" });
    expect(framed).toBe("What are esters? Please answer step by step, at a level suitable for beginners.");
    expect(unframeQuestion(framed)).toBe(q);
    expect(frameQuestion(q, {})).toBe(q);
    expect(frameQuestion(q, { style: "concise answers" })).toBe(q);
    expect(readQuestion(framed)).toMatchObject({ kind: "definition", subjects: ["esters"] });
  });

  it("makes worse answers of numbered steps by changing a fact or leaving steps out, never a step's number", () => {
    const good =
      "1. Esters often smell of fruit.\n2. The reaction needs 2 drops of acid.\n3. Esters are used in perfumes.";
    const e = introduceFactualError(good);
    expect(e?.original).toBe("The reaction needs 2 drops of acid.");
    expect(e?.text.split("\n").map((l) => l.slice(0, 3))).toEqual(["1. ", "2. ", "3. "]);
    const input = {
      question: "What are esters?",
      topic: "organic chemistry",
      subTopic: "Esters",
      difficulty: "easy",
      trainingType: "dpo",
      context: { summary: "", keyFacts: [], terminology: [], caveats: [] },
      passages: [],
    } satisfies GenerationInput;
    const cut = degrade(input, good, "incomplete");
    expect(cut?.text).toBe("1. Esters often smell of fruit.");
    expect(cut?.explanation).toMatch(/stops after 1 of 3 steps/);
  });

  it("refuses a language other than English before any work, saying to use a model provider", async () => {
    const store = sqliteStore({ path: ":memory:" });
    const pipeline = createPipeline({ storage: store });
    try {
      const err = await pipeline
        .run("Generate 10 SFT examples about organic chemistry in Spanish")
        .done.catch((e: unknown) => e);
      expect(isSynthforgeError(err, "INVALID_REQUEST")).toBe(true);
      expect((err as Error).message).toMatch(
        /text in Spanish \(es\), and the offline provider writes English only\. Use a model provider to generate in Spanish: set GEMINI_API_KEY, or pass --provider with an OpenAI-compatible one/,
      );
      // No run was made: nothing was written.
      expect(await store.listRuns()).toEqual([]);
    } finally {
      await pipeline.close();
    }
  });
});

describe("the answers a run has used", () => {
  it("tells the composer which sentences others use, refuses a twin opening, and frees a dropped candidate's", () => {
    const t = new AnswerTracker();
    const passage = {
      text: "Esters smell of fruit. Esters are used in perfumes. Esters form from acids and alcohols.",
    };
    const q1 = { status: "generated" };
    expect(t.claim("q1", "1. Esters smell of fruit.\n2. Esters are used in perfumes.", q1)).toBeNull();
    // Another question sees q1's sentences as used, q1 itself does not.
    expect(t.usedIn("q2", [passage])).toEqual({
      openings: ["Esters smell of fruit."],
      sentences: ["Esters smell of fruit.", "Esters are used in perfumes."],
    });
    expect(t.usedIn("q1", [passage])).toEqual({ openings: [], sentences: [] });
    // The same opening 120 characters (step numbers aside) is a twin; another opening is not.
    expect(t.claim("q2", "Esters smell of fruit. Esters are used in perfumes.")).toBe("q1");
    expect(t.claim("q2", "Esters form from acids and alcohols. Esters smell of fruit.")).toBeNull();
    // A new draft of q1 replaces its old one.
    expect(t.claim("q1", "Esters are used in perfumes.", q1)).toBeNull();
    expect(t.usedIn("q3", [passage]).openings).toEqual([
      "Esters are used in perfumes.",
      "Esters form from acids and alcohols.",
    ]);
    // Once q1 is dropped (rejected by review), its sentences are free again.
    q1.status = "rejected";
    expect(t.usedIn("q3", [passage]).openings).toEqual(["Esters form from acids and alcohols."]);
    expect(t.claim("q3", "Esters are used in perfumes. Esters smell of fruit.")).toBeNull();
  });
});

describe("a tiny corpus", () => {
  it("never approves two answers that open alike, even without the review's duplicate check", async () => {
    const corpus = tinyCorpus();
    const { approved, summary } = await run("Generate 10 SFT examples about organic chemistry", {
      corpus,
      dedup: "off",
    });
    expect(approved.length).toBeGreaterThan(0);
    expect(shared(heads(approved))).toEqual([]);
    // The corpus cannot give ten distinct answers: the run says so instead of padding.
    expect(approved.length).toBeLessThan(10);
    expect(summary.status).toBe("stopped");
    expect(Object.keys(summary.dropReasons ?? {}).some((k) => /duplicate/.test(k))).toBe(true);
  });

  it("with the review's duplicate check on, too, for several training types", async () => {
    const corpus = tinyCorpus();
    const notes = readdirSync(corpus)
      .map((f) => readFileSync(join(corpus, f), "utf8"))
      .join("\n")
      .replace(/\s+/g, " ");
    for (const type of ["sft", "qa", "dpo"]) {
      const { approved } = await run(`Generate 10 ${type} examples about organic chemistry`, { corpus });
      expect(approved.length, type).toBeGreaterThan(0);
      expect(shared(heads(approved)), type).toEqual([]);
      // Still every sentence word for word from the notes.
      for (const a of approved) for (const s of sentences(a.answer)) expect(notes, type).toContain(s);
    }
  });
});
