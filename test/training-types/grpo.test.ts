import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRng } from "../../src/core/random.js";
import { coverage, jaccard } from "../../src/core/text.js";
import { corpusSource } from "../../src/sources/corpus.js";
import { closePythonSandbox, runPython } from "../../src/tools/python-sandbox.js";
import { type GrpoRow, grpoType, verifyGrpo } from "../../src/training-types/grpo.js";
import {
  answersAgree,
  domainsFor,
  molarMass,
  numbersIn,
  PROBLEM_KINDS,
  solveProblem,
  writeProblems,
} from "../../src/training-types/grpo-problems.js";
import type { ExportFormat } from "../../src/training-types/index.js";
import { getTrainingType, validateFormatRow } from "../../src/training-types/index.js";
import { inputFor } from "./helpers.js";

// One warm Pyodide worker for the whole file.
beforeAll(async () => {
  await runPython("pass");
}, 120_000);
afterAll(async () => {
  await closePythonSandbox();
});

describe("answer comparison", () => {
  it("reads numbers with signs, decimals and powers of ten", () => {
    expect(numbersIn("x = -8, x = 5").map((n) => n.value)).toEqual([-8, 5]);
    expect(numbersIn("1.204 × 10^24 molecules")[0]!.value).toBeCloseTo(1.204e24, -20);
    expect(numbersIn("0.0278")[0]!.ulp).toBeCloseTo(0.0001);
    expect(numbersIn("H2O and C6H12O6 weigh 18.02 g/mol").map((n) => n.value)).toEqual([18.02]);
  });

  it("accepts a prediction that matches the program to the precision written, and nothing looser", () => {
    expect(answersAgree("0.672 mol", "0.67203331")).toBe(true);
    expect(answersAgree("0.672 mol", "0.6726")).toBe(false);
    expect(answersAgree("x = -8, x = 5", "x = -8, x = 5")).toBe(true);
    expect(answersAgree("x = -8, x = 5", "-8.0 5.0")).toBe(true);
    expect(answersAgree("x = -8, x = 5", "x = 5, x = -8")).toBe(false);
    expect(answersAgree("x = 5", "x = 5, y = 2")).toBe(false);
    expect(answersAgree("11872 N", "11872.192")).toBe(true);
    expect(answersAgree("CH2O", "CH2O")).toBe(true);
    expect(answersAgree("CH2O", "C2H4O2")).toBe(false);
    expect(answersAgree("", "")).toBe(false);
  });

  it("rounds molar masses the way the corpus notes do", () => {
    expect(molarMass("H2O")).toBe(18.02);
    expect(molarMass("C3H8")).toBe(44.1);
    expect(molarMass("H2")).toBe(2.016);
    expect(molarMass("CaCO3")).toBe(100.09);
  });
});

describe("procedural problems", () => {
  it.each(PROBLEM_KINDS.map((k) => [k.id, k] as const))(
    "%s: text parses back, and the Python program prints the computed answer",
    async (_id, kind) => {
      const rng = seededRng(42);
      for (let i = 0; i < 4; i++) {
        const params = kind.make(rng);
        const text = kind.text(params);
        expect(kind.parse(text)).toEqual(params);
        const solved = solveProblem(text)!;
        expect(solved.kind).toBe(kind.id);
        expect(solved.steps.length).toBeGreaterThanOrEqual(2);
        const run = await runPython(solved.code, { timeoutMs: 10_000 });
        expect(run.ok, run.error ?? "").toBe(true);
        const printed = run.stdout.trim().split("\n").at(-1)!;
        expect(answersAgree(solved.answer, printed), `${text}\n→ ${solved.answer} vs ${printed}`).toBe(true);
      }
    },
  );

  it("writes questions at the requested difficulties, for the topic's domain, without near duplicates", () => {
    const input = {
      topic: "stoichiometry",
      subTopic: "Stoichiometry",
      focus: "",
      counts: { easy: 4, medium: 6, hard: 3 },
      material: [],
      avoid: [],
    };
    const qs = writeProblems(input);
    expect(qs.map((q) => q.difficulty)).toEqual([
      ...Array(4).fill("easy"),
      ...Array(6).fill("medium"),
      ...Array(3).fill("hard"),
    ]);
    for (const q of qs) expect(solveProblem(q.text)).not.toBeNull();
    const kinds = new Set(qs.map((q) => solveProblem(q.text)!.kind));
    for (const k of kinds) expect(PROBLEM_KINDS.find((x) => x.id === k)!.domain).toBe("chemistry");
    for (let i = 0; i < qs.length; i++)
      for (let j = i + 1; j < qs.length; j++) expect(jaccard(qs[i]!.text, qs[j]!.text)).toBeLessThan(0.8);
    expect(writeProblems(input)).toEqual(qs);
    const next = writeProblems({ ...input, avoid: qs.map((q) => q.text) });
    for (const q of next) for (const a of qs) expect(jaccard(q.text, a.text)).toBeLessThan(0.8);
  });

  it("picks the domain from the sub-topic, then the topic", () => {
    expect(domainsFor("Quadratic equations")).toEqual(["algebra"]);
    expect(domainsFor("Gas laws")).toEqual(["chemistry"]);
    expect(domainsFor("Electric circuits")).toEqual(["physics"]);
    expect(domainsFor("Probability basics")).toEqual(["statistics"]);
    expect(domainsFor("poetry")).toHaveLength(4);
  });

  it("uses the corpus's words, so research finds ground truth for each kind", async () => {
    const corpus = corpusSource();
    const rng = seededRng(3);
    for (const kind of PROBLEM_KINDS) {
      const text = kind.text(kind.make(rng));
      const docs = await corpus.search(text, { limit: 4 });
      const best = Math.max(0, ...docs.flatMap((d) => d.passages.map((p) => coverage(text, p.text))));
      expect(best, `${kind.id}: ${text}`).toBeGreaterThanOrEqual(0.15);
    }
  });
});

describe("grpo type", () => {
  const good = {
    prompt: "What is 17 × 23?",
    reasoning: "17 × 20 = 340.\n17 × 3 = 51.\n340 + 51 = 391.",
    code: "print(17 * 23)",
    predicted_answer: "391",
  };

  it("sets is_correct by running the program in the sandbox", async () => {
    const row = await verifyGrpo(good);
    expect(row).toMatchObject({ is_correct: true, solution: "391", execution_output: "391" });
    expect(grpoType.validate(row)).toEqual([]);

    const wrong = await verifyGrpo({ ...good, predicted_answer: "381" });
    expect(wrong.is_correct).toBe(false);
    expect(wrong.solution).toBe("391");
    // The disagreement is the review's to name (its `program` verifier runs the code), not a format problem.
    expect(grpoType.validate(wrong).join()).not.toMatch(/is_correct/);
    expect(grpoType.validate({ ...wrong, execution_output: null }).join()).toMatch(
      /is_correct is false: the verification program's output \(nothing\) does not match the predicted answer \(381\)/,
    );

    const broken = await verifyGrpo({ ...good, code: "print(17 * undefined_name)" });
    expect(broken.is_correct).toBe(false);
    expect(broken.execution_output).toMatch(/NameError/);

    const sneaky = await verifyGrpo({ ...good, code: "print(open('/etc/passwd').read()[:10])\nprint(391)" });
    expect(sneaky.is_correct).toBe(false);
    expect(sneaky.execution_output).toMatch(/FileNotFoundError|No such file/);
  });

  it("rejects rows without steps, without print, or with a long answer", () => {
    const row: GrpoRow = { ...good, solution: "391", is_correct: true, execution_output: "391" };
    expect(grpoType.validate({ ...row, reasoning: "It is 391." }).join()).toMatch(/at least two steps/);
    expect(grpoType.validate({ ...row, code: "x = 17 * 23" }).join()).toMatch(/must print/);
    expect(grpoType.validate({ ...row, predicted_answer: "9".repeat(201) }).join()).toMatch(
      /final answer only/,
    );
    expect(grpoType.validate({ ...row, is_correct: "yes" } as unknown as GrpoRow).join()).toMatch(
      /is_correct/,
    );
  });

  it("solves offline questions, verifies them, and exports the answer as `solution`", async () => {
    const q = writeProblems({
      topic: "stoichiometry",
      subTopic: "Stoichiometry",
      focus: "",
      counts: { easy: 0, medium: 1, hard: 0 },
      material: [],
      avoid: [],
    })[0]!;
    const input = await inputFor(q.text, { type: "grpo", difficulty: "medium" });
    const out = grpoType.generation.outputSchema.parse(grpoType.generation.offline(input));
    const row = await grpoType.generation.toRow(out, input);
    expect(row.is_correct).toBe(true);
    expect(grpoType.validate(row)).toEqual([]);
    const grpo = getTrainingType("grpo");
    for (const [format, exporter] of Object.entries(grpo.exporters)) {
      const line = exporter!(row, { id: "e", questionId: "q", qualityScore: 1 });
      expect(validateFormatRow(format as ExportFormat, line)).toEqual([]);
    }
    expect(grpo.exporters["trl-grpo"]!(row, { id: "e", questionId: "q", qualityScore: 1 })).toEqual({
      prompt: [{ role: "user", content: q.text }],
      solution: row.predicted_answer,
    });

    const verdict = grpo.offlineJudge!({
      difficulty: "medium",
      question: q.text,
      prompt: row.prompt,
      answer: grpo.answerText(row),
      example: row,
      passages: input.passages,
    })!;
    expect(verdict.scores.accuracy).toBe(1);
    expect(verdict.issues).toEqual([]);
    const bad = grpo.offlineJudge!({
      difficulty: "medium",
      question: q.text,
      prompt: row.prompt,
      answer: "",
      example: { ...row, is_correct: false },
      passages: [],
    })!;
    expect(bad.scores.accuracy).toBe(0);
  });

  it("marks a question it cannot solve offline as not verifiable", async () => {
    const input = await inputFor("Explain how the mole relates to Avogadro's constant.", { type: "grpo" });
    const out = grpoType.generation.outputSchema.parse(grpoType.generation.offline(input));
    const row = await grpoType.generation.toRow(out, input);
    expect(row.is_correct).toBe(false);
    // Its program stops without printing: the row is refused (and the review's program check fails it).
    expect(grpoType.validate(row).join()).toMatch(/must print the answer/);
  });
});

describe("the GRPO offline judge on a malformed row", () => {
  it("reports missing columns as format_invalid instead of crashing", () => {
    const judge = grpoType.offlineJudge!;
    const input = {
      difficulty: "easy" as const,
      question: "What is 2 + 3?",
      prompt: "What is 2 + 3?",
      answer: "5",
      passages: [],
    };
    const noSolution = judge({
      ...input,
      example: {
        prompt: "What is 2 + 3?",
        reasoning: "Add 2 and 3.\nThe sum is 5.",
        code: "print(2 + 3)",
        predicted_answer: "5",
      },
    });
    expect(noSolution?.issues[0]).toMatch(/^format_invalid: the GRPO row has no solution, is_correct/);
    expect(noSolution?.scores.accuracy).toBe(0);
    const bare = judge({ ...input, example: { prompt: "What is 2 + 3?" } });
    expect(bare?.issues[0]).toMatch(/no reasoning, code, predicted_answer, solution, is_correct/);
  });
});
