import { describe, expect, it } from "vitest";
import {
  checkAnswer,
  checkArithmeticInText,
  checkLatex,
  checkLatexInText,
  findArithmetic,
  findPercentChangeAnswer,
  numericEquivalent,
  parseQuantity,
  symbolicEquivalent,
} from "../../src/tools/maths.js";
import {
  checkConversionsInText,
  findAskedConversion,
  findConversions,
  mathUnit,
  writtenResolution,
} from "../../src/tools/units.js";

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
      // The first link of the chain, both sides expressions, checked to the precision of the right side.
      ["0.01 × 0.99 + 0.99 × 0.05", "0.0099 + 0.0495", true],
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

/**
 * Sentences written for this test (not taken from any dataset): correct ones must never be
 * flagged, wrong ones must be, each with its defect.
 */
const CORRECT_SENTENCES = [
  "5 × 1.609 km ≈ 8.05 km, so five miles is about eight kilometres.",
  "The total is $30.00 + $2.40 = $32.40 including tax.",
  "The tip is 15% of 80 = 12 dollars.",
  "15% of 80 is 12.",
  "So p = −1/37 ≈ −0.027 here, a small expected loss per bet.",
  "The triangle's area is ½ × 10 cm × 6 cm = 30 cm².",
  "Half of it: ½ × 48 = 24.",
  "2½ × 4 = 10 cups of flour.",
  "Net exports are 120 − 170 = −50, so GDP = 600 + 150 + 200 + (−50) = 900 billion dollars.",
  "−3 + 5 = 2, which is positive.",
  "The price rose from $80 to $100, an increase of 25%.",
  "The population fell from 2,000 to 1,500, a 25% decrease.",
  "Sales went from 40 to 50 units, a rise of about 25 per cent.",
  "Unemployment fell from 8% to 6%, a drop of 2 percentage points.",
  "(100 − 80) / 80 × 100 = 25%, the percentage increase.",
  "The distance is 1.5 h × 60 km/h = 90 km.",
  "Speed = 120 km / 2 h = 60 km/h.",
  "n = 52.5 g / 44.10 g/mol ≈ 1.19 mol of CO2.",
  "M(H2O) = 2(1.008) + 15.999 = 18.02 g/mol.",
  "A = 1,000 × 1.05³ = 1,000 × 1.157625 = $1,157.63 after three years.",
  "λ = 3.00 × 10⁸ ÷ 1.00 × 10⁸ = 3.00 m.",
  "The force is 3 × 10^8 m/s × 2 s = 6 × 10^8 m in that time.",
  "Real distance = 7.4 cm × 50,000 = 370,000 cm, and 370,000 cm ÷ 100 = 3,700 m.",
  "24 × 60 = 1.440 Minuten.",
  "2 × 3 is 6, and 6 × 7 is 42.",
  "x + 2 × 3 = 10 has the solution x = 4.",
  "It lasted 1939–1945, six years.",
  "The meeting is 3:00 + 2 hours later.",
  "The answer is 3 × 4 = 12 here, not 13.",
  "1/3 ≈ 0.33 and 2/3 ≈ 0.67.",
  "22/7 ≈ 3.14, close to π.",
  "The mean is (3 + 7 + 7 + 10 + 23) ÷ 5 = 50 ÷ 5 = 10.",
  "0.1 × 0.2 = 0.02.",
  "1.2 × 10^3 ÷ 4 = 300.",
  "A 20% discount on $50 is 20% of 50 = 10 dollars off.",
  "5 miles ≈ 8.05 km.",
  "A marathon is 26.2 miles (42.2 km).",
  "3 ft = 0.91 m, roughly.",
  "Body temperature is 98.6 °F (37 °C).",
  "Water freezes at 0 °C = 32 °F.",
  "−40 °C = −40 °F, the point where the scales meet.",
  "1 kg ≈ 2.2 lb.",
  "1 inch = 2.54 cm exactly.",
  "60 mph ≈ 97 km/h.",
  "1 atm = 101.325 kPa = 760 mmHg.",
  "Preheat the oven to 350 °F (about 175 °C).",
  "2 hours = 120 minutes.",
  "One metre is about 3.28 feet, so 1 metre = 3.28 feet.",
  "A 10 km run is 6.2 miles long, and 10 km is about 6.2 miles.",
  "The dose is 15 mg/kg × 22 kg = 330 mg.",
  "11.2 km/s × 3600 = 40,320 km/h.",
];

const WRONG_SENTENCES: Array<[string, "wrong_arithmetic" | "wrong_unit"]> = [
  ["5 × 1.609 km ≈ 8.45 km.", "wrong_arithmetic"],
  ["The total is $30.00 + $2.40 = $33.40.", "wrong_arithmetic"],
  ["15% of 80 = 15.", "wrong_arithmetic"],
  ["15% of 80 is 10.", "wrong_arithmetic"],
  ["So p = −1/37 ≈ 0.027.", "wrong_arithmetic"],
  ["The area is ½ × 10 cm × 6 cm = 60 cm².", "wrong_arithmetic"],
  ["2½ × 4 = 8.", "wrong_arithmetic"],
  ["GDP = 600 + 150 + 200 + (−50) = 1,000 billion dollars.", "wrong_arithmetic"],
  ["−3 + 5 = −2.", "wrong_arithmetic"],
  ["The price rose from $80 to $100, an increase of 20%.", "wrong_arithmetic"],
  ["The population fell from 2,000 to 1,500, a 33% decrease.", "wrong_arithmetic"],
  ["Sales went from 40 to 50 units, a rise of 20 per cent.", "wrong_arithmetic"],
  ["(100 − 80) / 80 × 100 = 20%.", "wrong_arithmetic"],
  ["The distance is 1.5 h × 60 km/h = 80 km.", "wrong_arithmetic"],
  ["Speed = 120 km / 2 h = 50 km/h.", "wrong_arithmetic"],
  ["n = 52.5 g / 44.10 g/mol ≈ 1.33 mol.", "wrong_arithmetic"],
  ["M(H2O) = 2(1.008) + 15.999 = 17.01 g/mol.", "wrong_arithmetic"],
  ["A = 1,000 × 1.05³ = 1,000 × 1.161051 = $1,161.05.", "wrong_arithmetic"],
  ["2 × 3 is 7.", "wrong_arithmetic"],
  ["3 + 4 = 8.", "wrong_arithmetic"],
  ["1/3 ≈ 0.38.", "wrong_arithmetic"],
  ["The mean is (3 + 7 + 7 + 10 + 23) ÷ 5 = 11.", "wrong_arithmetic"],
  ["0.1 × 0.2 = 0.2.", "wrong_arithmetic"],
  ["1.2 × 10^3 ÷ 4 = 3,000.", "wrong_arithmetic"],
  ["$19.99 × 3 = $69.97 for three shirts.", "wrong_arithmetic"],
  ["7 × 8 = 54.", "wrong_arithmetic"],
  ["The change is $50.00 − $37.25 = $13.75.", "wrong_arithmetic"],
  ["12 ÷ 0.5 = 6.", "wrong_arithmetic"],
  ["2^10 = 1000.", "wrong_arithmetic"],
  ["1.5 × 1.5 = 2.5.", "wrong_arithmetic"],
  ["3 ft = 0.3 m.", "wrong_unit"],
  ["5 miles ≈ 5.05 km.", "wrong_unit"],
  ["100 °C = 180 °F.", "wrong_unit"],
  ["1 mile = 1.6 m.", "wrong_unit"],
  ["1 kg ≈ 1.2 lb.", "wrong_unit"],
  ["A marathon is 26.2 miles (32 km).", "wrong_unit"],
  ["2 hours = 100 minutes.", "wrong_unit"],
  ["1 inch = 25.4 cm.", "wrong_unit"],
  ["Energy = 60 W × 5 h = 300 kWh.", "wrong_unit"],
  ["Multiply by 60: 11.2 km/s × 60 = 672 km/h.", "wrong_unit"],
  ["The rectangle is 10 cm × 6 cm = 60 cm.", "wrong_unit"],
  ["0 °C = 0 °F.", "wrong_unit"],
];

describe("the arithmetic and unit parser on sentences written for this test", () => {
  it("has at least 40 correct and 40 wrong sentences", () => {
    expect(CORRECT_SENTENCES.length).toBeGreaterThanOrEqual(40);
    expect(WRONG_SENTENCES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CORRECT_SENTENCES.map((s, i) => [i, s] as const))("passes correct sentence %i", (_i, s) => {
    const results = [checkArithmeticInText(s), checkConversionsInText(s)].filter((r) => r !== null);
    for (const r of results) expect({ s, reasons: r!.reasons }).toEqual({ s, reasons: [] });
  });

  it.each(WRONG_SENTENCES.map(([s, d], i) => [i, s, d] as const))(
    "flags wrong sentence %i",
    (_i, s, defect) => {
      const failed = [checkArithmeticInText(s), checkConversionsInText(s)].filter((r) => r && !r.passed);
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.map((r) => r!.defect)).toContain(defect);
    },
  );

  it("finds some checkable statement in most correct sentences (the passes are not vacuous)", () => {
    const checked = CORRECT_SENTENCES.filter(
      (s) => findArithmetic(s).length + findConversions(s).length > 0,
    ).length;
    expect(checked).toBeGreaterThanOrEqual(CORRECT_SENTENCES.length - 6);
  });
});

describe("arithmetic details", () => {
  it("keeps the sign, the ½ and the currency, and does not read 'here' as hours", () => {
    const [neg] = findArithmetic("= −1/37 ≈ −0.027 here");
    expect(neg).toMatchObject({ expression: "-1/37", stated: "-0.027", holds: true, approximate: true });
    const [half] = findArithmetic("½ × 10 cm × 6 cm = 30 cm²");
    expect(half?.computed).toBeCloseTo(30);
    expect(findArithmetic("$30.00 + $2.40 = $33.40")[0]).toMatchObject({ computed: 32.4, holds: false });
    expect(findArithmetic("3 × 4 = 12 here")[0]?.stated).toBe("12");
  });

  it("gives an approximation the tolerance of the precision it is written with", () => {
    expect(findArithmetic("1/7 ≈ 0.14")[0]?.holds).toBe(true);
    expect(findArithmetic("1/7 ≈ 0.1429")[0]?.holds).toBe(true);
    expect(findArithmetic("1/7 ≈ 0.1492")[0]?.holds).toBe(false);
    expect(findArithmetic("5 × 1.609 ≈ 8.045")[0]?.holds).toBe(true);
    expect(findArithmetic("5 × 1.609 = 8.03")[0]?.holds).toBe(false);
    expect(writtenResolution("300,000", true)).toBe(50_000);
    expect(writtenResolution("300,000", false)).toBe(0.5);
    expect(writtenResolution("8.05", true)).toBe(0.005);
  });

  it("checks a percentage change asked about in the prompt, on the starting value", () => {
    const prompt = "A shirt's price drops from $80 to $60. By what percentage did the price fall?";
    const wrong = checkArithmeticInText("It fell by $20; $20 ÷ $60 × 100 ≈ 33.3%.", prompt);
    expect(wrong?.passed).toBe(false);
    expect(wrong?.defect).toBe("wrong_arithmetic");
    expect(checkArithmeticInText("It fell by $20; $20 ÷ $80 × 100 = 25%.", prompt)?.passed).toBe(true);
    expect(findPercentChangeAnswer("It is 25% cheaper.", prompt)).toEqual([]);
  });

  it("reads written units and conversions", () => {
    expect(mathUnit("metres")).toBe("m");
    expect(mathUnit("°F")).toBe("degF");
    expect(mathUnit("km/h")).toBe("km/h");
    expect(mathUnit("here")).toBeNull();
    const [c] = findConversions("5 miles ≈ 8.05 km");
    expect(c).toMatchObject({
      from: { value: 5, unit: "mile" },
      to: { value: 8.05, unit: "km" },
      holds: true,
    });
    expect(c?.converted).toBeCloseTo(8.0467, 3);
    // Two amounts of one dimension that are not a conversion are left alone.
    expect(findConversions("The 5 km route is 3 km shorter.")).toEqual([]);
    expect(findConversions("It took 5 km, or 200 m more than planned.")).toEqual([]);
  });
});

describe("rounded inputs", () => {
  it("lets a result carry the rounding of its decimal inputs, never of whole numbers", () => {
    // 4.000 × 18.015 = 72.06: written with the rounded 18.02, the product is 72.08.
    expect(findArithmetic("4.000 × 18.02 = 72.06 g")[0]?.holds).toBe(true);
    expect(findArithmetic("4.000 × 18.02 = 72.5 g")[0]?.holds).toBe(false);
    expect(findArithmetic("7 × 8 = 54")[0]?.holds).toBe(false);
  });
});

describe("conversions the prompt asks for", () => {
  const verdict = (prompt: string, answer: string) => findAskedConversion(prompt, answer)?.holds ?? null;

  it("checks the final quantity against the one quantity a conversion question gives", () => {
    expect(
      verdict("A jug holds 1.5 litres. What is that in cubic metres?", "1.5 L = 1.5 dm³ = 0.0015 m³."),
    ).toBe(true);
    expect(
      verdict("A jug holds 1.5 litres. What is that in cubic metres?", "1.5 L = 1.5 dm³, so 0.15 m³."),
    ).toBe(false);
    expect(verdict("Convert 12 miles to kilometres.", "12 miles is about 19.3 km.")).toBe(true);
    expect(verdict("Convert 12 miles to kilometres.", "That is 12 × 1.6 = 7.5 km.")).toBe(false);
    expect(verdict("What is 310 K in degrees Celsius?", "Subtract 273.15: 36.85 °C, about 37 °C.")).toBe(
      true,
    );
    expect(verdict("What is 310 K in degrees Celsius?", "Add 273: 583 °C.")).toBe(false);
  });

  it("checks a rate: the one ratio of two quantities with the asked unit's dimension", () => {
    const prompt = "A cyclist covers 45 km in 90 minutes. What is her average speed in metres per second?";
    expect(verdict(prompt, "45 km / 1.5 h = 30 km/h, which is 8.33 m/s.")).toBe(true);
    expect(verdict(prompt, "45,000 m / 90 s = 500 m/s.")).toBe(false);
  });

  it("leaves alone what is not a pure conversion", () => {
    // A formula with its own factor (½ × base × height): no guess at products.
    expect(
      findAskedConversion(
        "A triangle has a base of 10 cm and a height of 6 cm. What is its area in square centimetres?",
        "½ × 10 × 6 = 30 cm²",
      ),
    ).toBeNull();
    // Other numbers in the prompt, in digits or in words.
    expect(
      findAskedConversion("A loaf needs 250 g of flour. How many kilograms do a dozen loaves need?", "3 kg"),
    ).toBeNull();
    expect(
      findAskedConversion("A car starts at 0 and reaches 20 m/s in 5 s. Acceleration in m/s²?", "4 m/s²"),
    ).toBeNull();
    // One quantity but no conversion asked.
    expect(
      findAskedConversion("A 2 kg mass is lifted. What is its weight in newtons?", "About 19.6 N."),
    ).toBeNull();
    // Nothing in the asked dimension in the answer.
    expect(findAskedConversion("Convert 5 km to miles.", "Multiply by 0.621.")).toBeNull();
    expect(checkConversionsInText("Multiply by 0.621.", "Convert 5 km to miles.")).toBeNull();
  });

  it("a temperature written to 0.01 must convert to 0.01; a rounded source allows its rounding", () => {
    expect(findConversions("Absolute zero is −273.15 °C, which is −459.67 °F.")[0]?.holds).toBe(true);
    expect(findConversions("Absolute zero is −273.15 °C, which is −459.76 °F.")[0]?.holds).toBe(false);
    expect(findConversions("Body temperature is 37 °C (98.6 °F).")[0]?.holds).toBe(true);
    expect(findConversions("Bake at 180 °C (about 356 °F).")[0]?.holds).toBe(true);
  });
});

describe("numbers as people write them", () => {
  const verdict = (text: string) => findArithmetic(text).map((c) => c.defect ?? "holds");
  it("reads a decimal comma and an e-notation result", () => {
    expect(verdict("P(suma = 7) = 6/36 = 1/6 ≈ 0,167, es decir")).toEqual(["holds", "holds"]);
    expect(verdict("1/6 ≈ 0,267")).toEqual(["wrong_arithmetic"]);
    expect(verdict("2GM = 2 × 6.674e-11 × 5.972e24 ≈ 7.971e14 m³/s²")).toEqual(["holds"]);
    expect(verdict("2GM = 2 × 6.674e-11 × 5.972e24 ≈ 7.971e13 m³/s²")).toEqual(["wrong_arithmetic"]);
  });

  it("reads a compound unit with a middle dot, and a plain factor that carries its unit in words", () => {
    expect(verdict("PV = 2.00 atm × 10.0 L = 20.0 L·atm")).toEqual(["holds"]);
    // 9 kcal per gram of fat: the plain factor 9 turns grams into kilocalories.
    expect(verdict("Fat: 12 g × 9 = 108 kcal")).toEqual(["holds"]);
    expect(verdict("Fat: 12 g × 9 = 100 kcal")).toEqual(["wrong_arithmetic"]);
    // No plain factor: the product of two lengths is an area.
    expect(verdict("10 cm × 6 cm = 60 cm")).toEqual(["wrong_unit"]);
  });

  it("reads a result in markdown bold, and a result restated in another unit", () => {
    expect(verdict("= ($18,000 − $3,000) ÷ 5 = **$3,500 per year**.")).toEqual(["wrong_arithmetic"]);
    expect(verdict("= ($18,000 − $3,000) ÷ 5 = **$3,000 per year**.")).toEqual(["holds"]);
    expect(findConversions("= 2,000 mg ÷ 0.40 = 5,000 mg, which is 50 g of salt.")[0]?.holds).toBe(false);
    expect(findConversions("= 2,000 mg ÷ 0.40 = 5,000 mg, which is 5 g of salt.")[0]?.holds).toBe(true);
    expect(findConversions("15 mg/kg × 22 kg = 330 mg")).toEqual([]);
  });

  it("does not read the day of a date as a result", () => {
    expect(verdict("Protection ran until 31 December 1950 + 70 = 31 December 2020.")).toEqual([]);
    expect(verdict("She died in 1950, so 1950 + 70 = 2021.")).toEqual(["wrong_arithmetic"]);
  });
});

describe("the private mathjs instance", () => {
  it("is built from mathjs's factories, without loading the package entry's default instance", async () => {
    const { execFileSync } = await import("node:child_process");
    const { join } = await import("node:path");
    const root = join(import.meta.dirname, "..", "..");
    // A fresh process: the test runner's own process may have loaded mathjs for other files.
    const script = [
      'import { createRequire } from "node:module";',
      'import { mathjs } from "./src/tools/maths.ts";',
      "const m = mathjs();",
      'const out = [m.evaluate("sqrt(2 * 9.81 * 20)").toFixed(3), m.unit(2, "M").toNumber("mol/L"), m.simplify("x + x").toString(), m.evaluate("combinations(52, 5)")];',
      "const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => /mathjs[\\\\/]lib[\\\\/]cjs[\\\\/](?:index|entry[\\\\/]mainAny)\\.js$/.test(k));",
      "console.log(JSON.stringify({ out, loaded }));",
    ].join("\n");
    const res = JSON.parse(
      execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        cwd: root,
        encoding: "utf8",
      }),
    ) as { out: unknown[]; loaded: string[] };
    expect(res.out).toEqual(["19.809", 2, "2 * x", 2598960]);
    expect(res.loaded).toEqual([]);
  });
});
