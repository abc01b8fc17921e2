import { describe, expect, it } from "vitest";
import {
  checkAnswer,
  checkArithmeticInText,
  checkLatex,
  checkLatexInText,
  findArithmetic,
  numericEquivalent,
  parseQuantity,
  symbolicEquivalent,
} from "../../src/tools/maths.js";

describe("numeric equivalence", () => {
  it.each([
    ["0.34", "3.4e-1"],
    ["0.34", "17/50"],
    ["34%", "0.34"],
    ["0.34 mol", "0.34"],
    ["3.4 × 10^-1", "0.34"],
    ["3.4x10⁻¹", "0.34"],
    ["\\frac{17}{50}", "0.34"],
    ["$0.34$", "\\boxed{0.34}"],
    ["18 g/mol", "18.015 g/mol"],
    ["0.018 kg/mol", "18.015 g/mol"],
    ["25 °C", "298.15 K"],
    ["1,234.5", "1234.5"],
    ["0.33", "1/3"],
    ["0.34 moles of NaCl", "0.34 mol"],
    ["1.5 M", "1.5 mol/L"],
    ["2.5 kJ", "2500 J"],
  ])("accepts %s = %s", (a, b) => {
    expect(numericEquivalent(a, b).equivalent).toBe(true);
  });

  it.each([
    ["20 g/mol", "18.015 g/mol"],
    ["0.35", "1/3"],
    ["100", "104"],
    ["5 g", "5 mol"],
    ["0.4", "0.34"],
    ["abc", "1"],
  ])("rejects %s = %s", (a, b) => {
    expect(numericEquivalent(a, b).equivalent).toBe(false);
  });

  it("reads the precision an answer was written with", () => {
    expect(parseQuantity("0.340")).toMatchObject({ value: 0.34, resolution: 0.0005 });
    expect(parseQuantity("52.5 g / 44.10 g/mol")).toMatchObject({ unit: "mol" });
    expect(parseQuantity("no number here")).toBeNull();
  });
});

describe("symbolic equivalence", () => {
  it.each([
    ["2(x+1)", "2x+2"],
    ["(x+1)^2", "x^2+2x+1"],
    ["sin(x)^2+cos(x)^2", "1"],
    ["\\frac{x}{2}", "0.5x"],
    ["y = 2x + 1", "2x - y + 1 = 0"],
  ])("accepts %s ≡ %s", (a, b) => {
    expect(symbolicEquivalent(a, b).equivalent).toBe(true);
  });

  it.each([
    ["x^2", "2x"],
    ["y = 2x + 1", "y = 2x + 2"],
    ["(x+1)^2", "x^2+1"],
  ])("rejects %s ≡ %s", (a, b) => {
    expect(symbolicEquivalent(a, b).equivalent).toBe(false);
  });

  it("checks an answer numerically, then symbolically", () => {
    expect(checkAnswer("17/50", "0.34")).toMatchObject({ passed: true, details: { method: "numeric" } });
    expect(checkAnswer("2x+2", "2(x+1)")).toMatchObject({ passed: true, details: { method: "symbolic" } });
    const wrong = checkAnswer("0.43", "0.34");
    expect(wrong.passed).toBe(false);
    expect(wrong.reasons[0]).toMatch(/wrong answer: 0.43 ≠ 0.34/);
  });
});

describe("arithmetic in prose", () => {
  it("recomputes stated arithmetic, with units and implicit multiplication", () => {
    const claims = findArithmetic(
      "So 2(1.008) + 15.999 = 18.02 g/mol, 52.5 g / 44.10 g/mol ≈ 1.19 mol and 3 + 4 = 8. It was 2020-10-05.",
    );
    expect(claims.map((c) => [c.expression, c.holds])).toEqual([
      ["2(1.008) + 15.999", true],
      ["52.5 g / 44.10 g/mol", true],
      ["3 + 4", false],
    ]);
  });

  it("reads a chain a = b + c = d step by step, never b as the result of a", () => {
    const text =
      "The probability is 0.01 × 0.99 + 0.99 × 0.05 = 0.0099 + 0.0495 = 0.0594, so P = 0.0099 / 0.0594 ≈ 0.167.";
    expect(findArithmetic(text).map((c) => [c.expression, c.stated, c.holds])).toEqual([
      ["0.0099 + 0.0495", "0.0594", true],
      ["0.0099 / 0.0594", "0.167", true],
    ]);
    expect(checkArithmeticInText(text)?.passed).toBe(true);
  });

  it("passes correct arithmetic, fails wrong arithmetic, and does not apply without any", () => {
    expect(checkArithmeticInText("22.99 + 35.45 = 58.44 g/mol")?.passed).toBe(true);
    const bad = checkArithmeticInText("22.99 + 35.45 = 68.44 g/mol");
    expect(bad?.passed).toBe(false);
    expect(bad?.reasons[0]).toMatch(/left side is 58.44/);
    expect(checkArithmeticInText("pH = 7 for pure water")).toBeNull();
  });
});

describe("LaTeX parse check", () => {
  it.each([
    "\\frac{a}{b}",
    "\\sqrt[3]{x}",
    "\\left( x \\right.",
    "\\begin{pmatrix} 1 & 2 \\end{pmatrix}",
    "x_{i}^{2}",
    "\\ce{H2O}",
  ])("accepts %s", (l) => {
    expect(checkLatex(l)).toEqual([]);
  });

  it.each([
    ["\\frac{a}", /\\frac needs two arguments/],
    ["x^{2", /unclosed brace/],
    ["\\left( x", /\\left without a matching \\right/],
    ["\\begin{pmatrix} 1 \\end{bmatrix}", /does not close/],
    ["\\foo x", /unknown command \\foo/],
    ["x^2^3", /double superscript/],
    ["a_", /nothing to apply to/],
  ])("rejects %s", (l, re) => {
    expect(checkLatex(l).join("; ")).toMatch(re);
  });

  it("checks the maths segments of prose and leaves money alone", () => {
    expect(checkLatexInText("It costs $5 and $10.")).toBeNull();
    expect(checkLatexInText("Since $\\frac{1}{2} + \\frac{1}{4} = \\frac{3}{4}$, we are done.")?.passed).toBe(
      true,
    );
    expect(checkLatexInText("We get $x^{2$ here.")?.passed).toBe(false);
  });
});
