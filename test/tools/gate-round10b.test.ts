import { afterAll, describe, expect, it } from "vitest";
import { lexicalFactCheck } from "../../src/tools/claims.js";
import { checkProgramAnswer } from "../../src/tools/code-check.js";
import { checkArithmeticInText } from "../../src/tools/maths.js";
import { closePythonSandbox } from "../../src/tools/python-sandbox.js";
import { checkAnswers } from "../../src/tools/text-gate.js";
import { grpoType } from "../../src/training-types/grpo.js";
import { answersAgree } from "../../src/training-types/grpo-problems.js";
import { verdictOf } from "../helpers/claim-verdict.js";

// Review gate, round ten, second part: false rejections found by the eleventh labelled set
// (dev10), fixed at their causes. The examples are written for the tests.

afterAll(async () => {
  await closePythonSandbox();
});

describe("arithmetic written in other conventions", () => {
  it("reads decimal commas on both sides when the text writes decimals so", () => {
    expect(checkArithmeticInText("La probabilité contraire vaut 1 - 0,25 = 0,75.")?.passed).toBe(true);
    expect(checkArithmeticInText("Ahorro: 3.600 × 0,25 = 900 € al mes (con 0,25 del sueldo).")?.passed).toBe(
      true,
    );
    expect(checkArithmeticInText("La probabilité contraire vaut 1 - 0,25 = 0,65.")?.passed).toBe(false);
  });

  it("takes a result of SI inputs written without units as the stated quantity in SI", () => {
    expect(
      checkArithmeticInText("λ_max = 2.898 × 10^-3 / 4000 ≈ 724 nm, in the near infrared.")?.passed,
    ).toBe(true);
    expect(
      checkArithmeticInText("λ_max = 2.898 × 10^-3 / 4000 ≈ 824 nm, in the near infrared.")?.passed,
    ).toBe(false);
  });
});

describe("numbers a source states another way", () => {
  const slope = "Well above its corner frequency a second-order low-pass filter falls at 40 dB per decade.";

  it("reads a minus sign as the source's fall", () => {
    expect(
      verdictOf(
        slope,
        "That matches the −40 dB/decade slope of a second-order low-pass filter well above the corner.",
      ),
    ).not.toBe("contradicted");
    expect(
      verdictOf(
        slope,
        "That matches the −20 dB/decade slope of a second-order low-pass filter well above the corner.",
      ),
    ).toBe("contradicted");
  });

  it("does not hold an amount against a rate", () => {
    expect(
      verdictOf(
        slope,
        "So a second-order low-pass filter one decade above its corner frequency gives about −37 dB there.",
      ),
    ).not.toBe("contradicted");
  });

  it("does not hold a change against the ends of a span", () => {
    expect(
      verdictOf(
        "In the standard test the water is heated from 20 °C to 80 °C before the salt is added.",
        "In the standard test the water is heated by 60 K before the salt is added.",
      ),
    ).not.toBe("contradicted");
  });

  it("does not read German nouns as names", () => {
    expect(
      verdictOf(
        "Das ohmsche Gesetz besagt, dass die Stromstärke in einem Leiter proportional zur angelegten Spannung ist.",
        "Nach dem Gesetz ist die Stromstärke in einem Leiter proportional zur angelegten Gesamtspannung.",
      ),
    ).not.toBe("contradicted");
  });

  it("does not negate a statement with a two-word condition", () => {
    const passages = [
      {
        sourceId: "s1",
        text: "Bellman–Ford is slower than Dijkstra, and it can also detect negative cycles.",
      },
    ];
    const verdicts = lexicalFactCheck(
      "For graphs with negative weights but no negative cycles, Bellman–Ford is slower than Dijkstra but correct.",
      passages,
      { decideAll: true, minWords: 2 },
    );
    expect(verdicts.filter((v) => v.verdict === "contradicted")).toEqual([]);
  });
});

describe("answers and GRPO rows", () => {
  it("takes a Δ for the change asked for, and a V_out for the output", () => {
    const change = checkAnswers(
      "What is the enthalpy change of the reaction?",
      "ΔH = −92 kJ/mol from the bond energies: bonds broken take 2,253 kJ and bonds formed release 2,345 kJ, so the reaction is exothermic overall and warms its surroundings.",
    );
    expect(change?.passed ?? true).toBe(true);
    const output = checkAnswers(
      "An inverting amplifier has Rf = 100 kΩ and Rin = 10 kΩ. What is the output for a 0.2 V input?",
      "The gain of the inverting configuration is −Rf/Rin = −10, so with an ideal op-amp and rails wide enough V_out = −10 × 0.2 V = −2 V, inverted in phase.",
    );
    expect(output?.passed ?? true).toBe(true);
  });

  it("reads a sign written before a currency symbol", () => {
    expect(answersAgree("−$12.50", "-12.5")).toBe(true);
    expect(answersAgree("−$12.50", "12.5")).toBe(false);
  });

  it("lets a wrong attempt kept as a negative example be a one-line slip", () => {
    const row = {
      prompt: "Resistors of 4 Ω and 4 Ω are in parallel. What is the equivalent resistance?",
      reasoning: "Add them: 4 + 4 = 8 Ω.",
      code: "print(4 + 4)",
      predicted_answer: "8 Ω",
      solution: "2 Ω",
      is_correct: false,
      execution_output: "8",
    };
    expect(grpoType.validate(row)).not.toContain("reasoning must show at least two steps");
    expect(
      grpoType.validate({ ...row, predicted_answer: "2 Ω", solution: "2 Ω", is_correct: true }),
    ).toContain("reasoning must show at least two steps");
  });

  it("does not call a program wrong for a package the sandbox does not have", async () => {
    const r = await checkProgramAnswer({ code: "import numpy as np\nprint(np.sqrt(16))", answer: "4" });
    expect(r.passed).toBe(true);
    expect(r.details?.unverifiable).toMatch(/package/);
    const wrong = await checkProgramAnswer({ code: "print(1 / 0)", answer: "4" });
    expect(wrong.passed).toBe(false);
    // Only a missing scientific package: a program that reads files or other modules fails.
    const reads = await checkProgramAnswer({ code: "print(open('/etc/hostname').read())", answer: "4" });
    expect(reads.passed).toBe(false);
    const other = await checkProgramAnswer({ code: "import requests\nprint(4)", answer: "4" });
    expect(other.passed).toBe(false);
  }, 120_000);
});
