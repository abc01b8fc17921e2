import { describe, expect, it } from "vitest";
import { lexicalFactCheck, numbersIn, splitClaims } from "../../src/tools/claims.js";

const passages = [
  {
    sourceId: "s1",
    text: "Water has a molar mass of 18.015 g/mol. Increasing the temperature increases the rate of most reactions. PTFE was discovered by Roy Plunkett in 1938.",
  },
  {
    sourceId: "s2",
    text: "Benzene is a nonpolar liquid. Benzene is not soluble in water, but benzene dissolves readily in hexane.",
  },
];

describe("claims", () => {
  it("splits an answer into claims without code, headings, questions and computations", () => {
    const claims = splitClaims(
      "## Answer\nWater has a molar mass of 18.015 g/mol.\n```python\nprint(1)\n```\n- Benzene is a nonpolar liquid; it floats.\nIs that clear?\nStep 2: n = 36.03 g / 18.015 g/mol = 2.0 mol.",
    );
    expect(claims.map((c) => c.text)).toEqual([
      "Water has a molar mass of 18.015 g/mol.",
      "Benzene is a nonpolar liquid",
    ]);
  });

  it("reads numbers with their units and context words", () => {
    expect(numbersIn("discovered in 1938 at 327 °C with 6 carbon atoms")).toMatchObject([
      { value: 1938, unit: null, before: "in" },
      { value: 327, unit: "degC" },
      { value: 6, after: "carbon" },
    ]);
  });
});

describe("lexical fact check", () => {
  const verdict = (claim: string, decideAll = false) =>
    lexicalFactCheck(claim, passages, { decideAll, minWords: 2 })[0]!;

  it("supports claims the sources state, numbers included (to the precision written)", () => {
    expect(verdict("Water has a molar mass of 18.015 g/mol.")).toMatchObject({
      verdict: "supported",
      sourceId: "s1",
    });
    expect(verdict("Water has a molar mass of 18 g/mol.").verdict).toBe("supported");
    expect(verdict("Benzene dissolves readily in hexane.").verdict).toBe("supported");
  });

  it("contradicts a different number of the same kind", () => {
    const v = verdict("Water has a molar mass of 20.0 g/mol.");
    expect(v).toMatchObject({ verdict: "contradicted", method: "numeric" });
    expect(v.reason).toBe("the claim says 20.0 g/mol; the source says 18.015 g/mol");
    expect(verdict("PTFE was discovered by Roy Plunkett in 1939.").method).toBe("numeric");
  });

  it("contradicts the opposite direction word", () => {
    expect(verdict("Increasing the temperature decreases the rate of most reactions.")).toMatchObject({
      verdict: "contradicted",
      method: "antonym",
    });
  });

  it("flags opposite polarity clause by clause (a model decides, or offline: contradicted)", () => {
    expect(verdict("Benzene is soluble in water.")).toMatchObject({
      verdict: "undecided",
      method: "negation",
    });
    expect(verdict("Benzene is soluble in water.", true).verdict).toBe("contradicted");
    // A negation in another clause of the source sentence does not count.
    expect(verdict("Benzene dissolves readily in hexane, and benzene is a nonpolar liquid.").verdict).toBe(
      "supported",
    );
  });

  it("leaves what the sources do not say undecided (offline: not found)", () => {
    expect(verdict("Photosynthesis converts light into chemical energy.").verdict).toBe("undecided");
    expect(verdict("Photosynthesis converts light into chemical energy.", true).verdict).toBe("not_found");
  });

  it("does not compare unrelated numbers (step numbers, coefficients)", () => {
    expect(verdict("Step 3: water has a molar mass of 18.015 g/mol.").verdict).toBe("supported");
  });
});

describe("numbers in code are not claims about the sources", () => {
  it("does not contradict a claim over the values of a list literal or a slice", () => {
    const passages = [
      {
        sourceId: "s1",
        text: "Slicing with a step of -1, as in lst[::-1], returns a reversed copy of the list; for lst = [1, 2, 3] it gives [3, 2, 1].",
      },
    ];
    const [v] = lexicalFactCheck(
      "For the list [1, 2, 3], lst[::-1] gives [3, 2, 1] as a reversed copy.",
      passages,
      {
        decideAll: true,
      },
    );
    expect(v?.verdict).not.toBe("contradicted");
    // A quantity in prose is still compared.
    const [w] = lexicalFactCheck("Slicing with a step of -2 returns a reversed copy of the list.", passages, {
      decideAll: true,
    });
    expect(w?.verdict).toBe("contradicted");
  });
});

describe("lexical fact check: how answers are written", () => {
  it("reads decimal commas, and leaves the result of a written calculation to the arithmetic check", () => {
    const src = [
      {
        sourceId: "s1",
        text: "Les potentiels standard de réduction valent +0,34 V pour le couple Cu²⁺/Cu et −0,76 V pour le couple Zn²⁺/Zn.",
      },
    ];
    expect(numbersIn("E° = +0,34 V")[0]).toMatchObject({ value: 0.34 });
    expect(numbersIn("1,500 m")[0]).toMatchObject({ value: 1500 });
    const v = lexicalFactCheck("Le potentiel du couple Cu²⁺/Cu vaut E° = 0,34 − (−0,76) = 1,10 V.", src, {
      decideAll: true,
    });
    expect(v.map((x) => x.verdict)).not.toContain("contradicted");
    const wrong = lexicalFactCheck(
      "Le potentiel standard de réduction du couple Cu²⁺/Cu vaut +0,43 V.",
      src,
      {
        decideAll: true,
      },
    );
    expect(wrong[0]?.verdict).toBe("contradicted");
  });

  it("reads a line that gives a named thing a value as a claim, and a calculation as none", () => {
    expect(
      splitClaims("Half-life of carbon-14 = 5,370 years\nAge = 2 × 5,370 = 10,740 years").map((c) => c.text),
    ).toEqual(["Half-life of carbon-14 is 5,370 years"]);
    const src = [
      {
        sourceId: "s1",
        text: "Carbon-14 is a radioactive isotope of carbon with a half-life of 5,730 ± 40 years.",
      },
    ];
    const v = lexicalFactCheck("Half-life of carbon-14 = 5,370 years", src, { decideAll: true });
    expect(v[0]).toMatchObject({ verdict: "contradicted" });
    expect(v[0]?.reason).toMatch(/5,730 years/);
  });

  it("does not take a leading yes or no for a negation, nor a one-unit definition for a fact", () => {
    const src = [
      {
        sourceId: "s1",
        text: "English is a West Germanic language of the Indo-European language family. One parsec is about 3.26 light-years.",
      },
    ];
    const no = lexicalFactCheck("No. English is a West Germanic language, like Dutch.", src, {
      decideAll: true,
    });
    expect(no[0]?.verdict).not.toBe("contradicted");
    const notIt = lexicalFactCheck(
      "English is not a West Germanic language of the Indo-European family.",
      src,
      {
        decideAll: true,
      },
    );
    expect(notIt[0]?.verdict).toBe("contradicted");
    const far = lexicalFactCheck("The star is 1.30 parsecs away, about 4.2 light-years.", src, {
      decideAll: true,
    });
    expect(far[0]?.verdict).not.toBe("contradicted");
  });
});
