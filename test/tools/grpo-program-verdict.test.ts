import { afterAll, describe, expect, it } from "vitest";
import { closePythonSandbox } from "../../src/tools/python-sandbox.js";
import { listVerifiers, runVerifiers } from "../../src/tools/verifiers.js";
import { getTrainingType } from "../../src/training-types/index.js";

afterAll(async () => {
  await closePythonSandbox();
});

const grpo = getTrainingType("grpo");
const program = listVerifiers().filter((v) => v.name === "program");

/** The program verifier's verdict on a GRPO row (the row's reasoning and answer are what it asserts). */
async function verdict(row: Record<string, unknown>) {
  const [out] = await runVerifiers(
    {
      trainingType: "grpo",
      row,
      prompt: String(row.prompt),
      asserted: grpo.answerText(row as never),
      allText: JSON.stringify(row),
      passages: [],
    },
    { verifiers: program },
  );
  return out!;
}

/** 23 × 17 worked out right in the reasoning (the cases below vary the code and the answer). */
const product = {
  prompt: "What is 23 × 17?",
  reasoning: "23 × 10 = 230.\n23 × 7 = 161.\n230 + 161 = 391.",
  solution: "391",
  execution_output: "391",
};

describe("a GRPO program that disagrees with its row's answer", () => {
  it("names the code when the program prints what the row says and the reasoning holds", async () => {
    const row = {
      prompt: "What is the sum of the whole numbers from 1 to 50?",
      reasoning: "Pair the first and last numbers: 1 + 50 = 51.\nThere are 25 such pairs: 25 × 51 = 1275.",
      code: "print(50 * 49 // 2)",
      predicted_answer: "1275",
      solution: "1225",
      is_correct: false,
      execution_output: "1225",
    };
    const r = await verdict(row);
    expect(r.passed).toBe(false);
    expect(r.defect).toBe("code_wrong");
    expect(r.reasons[0]).toMatch(
      /prints "1225", as execution_output says, not the answer "1275".*fix the code/,
    );
    // Judged by running it, not refused as malformed: the row has its program's output.
    expect(grpo.validate(row as never).join()).not.toMatch(/is_correct/);
    // Without any output nothing verified it, and the row is malformed as before.
    expect(grpo.validate({ ...row, execution_output: null } as never).join()).toMatch(/is_correct is false/);
  });

  it("names the arithmetic when a step of the reasoning is wrong", async () => {
    const r = await verdict({
      prompt: "A box holds 12 rows of 15 tiles, and 10 loose tiles lie beside it. How many tiles are there?",
      reasoning: "Tiles in the box: 12 × 15 = 170.\nWith the loose ones: 170 + 10 = 180.",
      code: "print(12 * 15 + 10)",
      predicted_answer: "180",
      solution: "190",
      is_correct: false,
      execution_output: "190",
    });
    expect(r.defect).toBe("wrong_arithmetic");
    expect(r.reasons[0]).toMatch(/12 × 15 = 170/);
  });

  it("names the answer when the reasoning ends on the program's value", async () => {
    const r = await verdict({
      ...product,
      code: "print(23 * 17)",
      predicted_answer: "381",
      is_correct: false,
    });
    expect(r.defect).toBe("wrong_arithmetic");
    expect(r.reasons[0]).toMatch(/reasoning also ends on \(391\).*fix the answer/);
  });

  it("still calls a misreported output a mismatch, and passes a program that prints the answer", async () => {
    const row = { ...product, code: "print(23 * 16)", predicted_answer: "391", is_correct: true };
    const r = await verdict(row);
    expect(r.defect).toBe("code_output_mismatch");
    expect(r.reasons[0]).toMatch(/prints "368", not the stated answer "391"/);
    expect((await verdict({ ...row, code: "print(23 * 17)" })).passed).toBe(true);
  });
});
