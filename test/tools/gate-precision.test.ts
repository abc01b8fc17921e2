import { describe, expect, it } from "vitest";
import { lexicalClaimVerdict, offlineFactCheck } from "../../src/agents/fact-check.js";
import { definesOneUnit } from "../../src/core/text.js";
import { entityConflict, rankConflict } from "../../src/tools/claim-gate.js";
import { indexPassages } from "../../src/tools/claims.js";
import {
  checkIncompleteLabels,
  checkLabelConsistency,
  refutedOmission,
  UNKNOWN_OUTCOME,
} from "../../src/tools/consistency.js";
import { checkConstantsInText, findConstantClaims, findElementClaims } from "../../src/tools/constants.js";
import { checkArithmeticInText, findReversePercentAnswer } from "../../src/tools/maths.js";
import { checkAnswers, checkFinalValue, statedNumbers } from "../../src/tools/text-gate.js";
import { checkConversionsInText } from "../../src/tools/units.js";

/**
 * The review gate's checks, held to both sides: what each newer mechanism catches, and the
 * correct text each used to reject (a labelled set written independently of the checks
 * showed these false rejections; the examples here are our own).
 */

describe("incomplete labels: a lower response labelled incomplete does not say more than the preferred one", () => {
  const prompt = "Which gas do plants take in for photosynthesis?";
  const short = "Oxygen, which they turn into sugar in their leaves.";
  const full =
    "Carbon dioxide. Plants take CO2 in through the stomata of their leaves and, using the energy of light captured by chlorophyll, combine it with water to make glucose; oxygen is released as a by-product.";

  it("fails a pair whose rejected response, labelled incomplete, is the fuller one", () => {
    const r = checkIncompleteLabels(
      prompt,
      [
        { label: "chosen", text: short },
        { label: "rejected", text: full, flaw: "incomplete" },
      ],
      checkAnswers,
    );
    expect(r).toMatchObject({ passed: false, defect: "ranking_wrong", details: { incomplete: "rejected" } });
    expect(r!.reasons[0]).toMatch(/labelled incomplete, yet it is \d\.\d× as long as the chosen one/);
  });

  it("passes the right order, a lower response with another flaw, and rows without the label", () => {
    const ranked = (flaw?: string) => [
      { label: "chosen", text: full },
      { label: "rejected", text: short, ...(flaw ? { flaw } : {}) },
    ];
    expect(checkIncompleteLabels(prompt, ranked("incomplete"), checkAnswers)).toMatchObject({ passed: true });
    expect(
      checkIncompleteLabels(
        prompt,
        [
          { label: "chosen", text: short },
          { label: "rejected", text: full, flaw: "factual_error" },
        ],
        checkAnswers,
      ),
    ).toBeNull();
    expect(checkIncompleteLabels(prompt, ranked(), checkAnswers)).toBeNull();
  });

  it("does not hold a long evasion labelled incomplete against the label", () => {
    const evasion =
      "It is hard to say without knowing much more about the plant, its habitat and the season. Plant biology is a complicated field, so it would be best to consult a botanist or a good textbook before drawing conclusions.";
    expect(
      checkIncompleteLabels(
        prompt,
        [
          { label: "rank-1", text: "Carbon dioxide, through the stomata." },
          { label: "rank-2", text: evasion, flaw: "incomplete" },
        ],
        checkAnswers,
      ),
    ).toMatchObject({ passed: true });
  });
});

describe("well-known facts: element symbols and numbers, counts and quantities of school science", () => {
  it("checks an element's symbol and atomic number against the periodic table", () => {
    const wrong = findElementClaims("Sodium's symbol is S, and the atomic number of neon is 12.");
    expect(wrong.map((c) => [c.name, c.stated, c.expected, c.holds])).toEqual([
      ["the symbol of sodium", "S", "Na", false],
      ["the atomic number of neon", "12", "10", false],
    ]);
    expect(findElementClaims("Iron (Fe) and tin (Sn) form alloys; carbon has atomic number 6.")).toSatisfy(
      (cs: Array<{ holds: boolean }>) => cs.length === 3 && cs.every((c) => c.holds),
    );
    // An oxidation state in brackets is not a symbol.
    expect(findElementClaims("Copper (I) oxide and iron (V) species are rare.")).toEqual([]);
    expect(checkConstantsInText("The chemical symbol for gold is Ag.")).toMatchObject({
      passed: false,
      defect: "wrong_fact",
    });
  });

  it("checks counts exactly unless they are round, and quantities within their precision", () => {
    const stated = (t: string, q?: string) => findConstantClaims(t, q).map((c) => [c.stated, c.holds]);
    expect(stated("An adult human has 212 bones.")).toEqual([["212", false]]);
    expect(stated("The adult skeleton has 206 bones; a newborn has about 300.")).toEqual([["206", true]]);
    expect(stated("A human heart has two chambers.")).toEqual([["2", false]]);
    expect(stated("The Solar System has eight planets.")).toEqual([["8", true]]);
    expect(stated("The Earth is about 45 million years old.")).toEqual([["45 million", false]]);
    expect(stated("The mean distance from the Earth to the Sun is about 1.5 × 10^8 km.")).toEqual([
      ["1.5 × 10^8 km", true],
    ]);
    expect(stated("Earth's escape velocity is about 7.9 km/s, the speed of a low orbit.")).toEqual([
      ["7.9 km/s", false],
    ]);
    expect(stated("The escape velocity from the Moon is only 2.4 km/s.")).toEqual([]);
  });

  it("checks the answer to a question that asks for a known value, even when it does not repeat the subject", () => {
    const q = "How many bones are in the adult human body?";
    expect(findConstantClaims("There are 270 of them.", q).map((c) => c.holds)).toEqual([false]);
    expect(findConstantClaims("206.", q).map((c) => c.holds)).toEqual([true]);
    const orbit = "How long does it take the Earth to orbit the Sun?";
    expect(findConstantClaims("Roughly 28 days.", orbit).map((c) => c.holds)).toEqual([false]);
    expect(
      findConstantClaims("About 365¼ days, hence the leap year.", orbit).map((c) => c.holds),
    ).not.toContain(false);
  });

  it("does not read a symbol inside a calculation as the constant", () => {
    // "c = 42¹³ mod 851" is a ciphertext, not the speed of light.
    expect(findConstantClaims("Encrypting m = 42 gives c = 42¹³ mod 851 = 302.")).toEqual([]);
    expect(findConstantClaims("so c = 3 m/s in this toy model")).toMatchObject([{ holds: false }]);
  });
});

describe("answers: correct answers the non-answer check used to reject", () => {
  it("takes a value given on the first line, with the working after it", () => {
    const prompt = "What is the final speed of a ball dropped from 20 m, ignoring air resistance?";
    const answer =
      "About 19.8 m/s.\n\nUse v² = 2gh: v = √(2 × 9.81 × 20) ≈ 19.8 m/s, since all the potential energy becomes kinetic energy.";
    expect(checkAnswers(prompt, answer)).toMatchObject({ passed: true });
  });

  it("does not read an effect question into a second question", () => {
    const prompt = "How do antibiotics work, and can they change how a virus behaves?";
    const answer =
      "Antibiotics kill bacteria or stop them multiplying: penicillin, for example, blocks the enzymes that build the bacterial cell wall. They cannot change how a virus behaves, because viruses have no cell wall and use the host's own machinery.";
    expect(checkAnswers(prompt, answer)).toMatchObject({ passed: true });
  });

  it("takes a count answered in words, without reading it as a repeat of the prompt's numbers", () => {
    const prompt = "How many flats are in the key of E-flat major, and which ones?";
    const answer =
      "Three: B♭, E♭ and A♭. Flats are added in the order B, E, A, D, G, C, F, and E-flat major is three steps anticlockwise from C on the circle of fifths.";
    expect(checkAnswers(prompt, answer)).toMatchObject({ passed: true });
    // A value question answered with only the prompt's numbers is still caught.
    expect(
      checkAnswers(
        "A car travels 150 km in 2 hours. How fast does it go on average?",
        "Its average speed depends on the 150 km it travels and the 2 hours it takes to do so, divided.",
      ),
    ).toMatchObject({ passed: false, defect: "non_answer" });
  });

  it("takes a word the answer uses for the quantity asked", () => {
    const prompt = "What was the population of Constantinople in 1453?";
    const answer =
      "Estimates put it at only about 40,000 to 50,000 inhabitants when the Ottomans took the city, far fewer than at its height, after plague and decline had emptied whole districts.";
    expect(checkAnswers(prompt, answer)).toMatchObject({ passed: true });
  });
});

describe("claims against a source: values the source does not contradict", () => {
  const check = (claim: string, passage: string) => {
    const passages = [{ sourceId: "s1", text: passage }];
    return lexicalClaimVerdict({ id: 1, text: claim }, indexPassages(passages), passages);
  };

  it("reads the second factor of a unit definition as a factor, not a fact", () => {
    expect(definesOneUnit("One fathom is about 1.83 metres, or about ")).toBe(true);
    expect(definesOneUnit("The harbour is about 1.83 metres deep, or about ")).toBe(false);
    const passage = "One light-year is about 63,000 astronomical units, or about 9.46 × 10¹² km.";
    const out = offlineFactCheck({
      claims: [{ id: 1, text: "The star is 3 light-years away, about 190,000 astronomical units." }],
      passages: [{ sourceId: "s1", text: passage }],
    } as never);
    expect(out.verdicts[0]!.verdict).not.toBe("contradicted");
  });

  it("does not take a number the claim states as well as the source's as the source's rival", () => {
    const passage =
      "The bridge was designed by Isambard Kingdom Brunel and completed in 1864. It spans the Avon Gorge.";
    const v = check(
      "It was completed in 1864, five years after Brunel's death in 1859, and spans the Avon Gorge.",
      passage,
    );
    expect(v.verdict).not.toBe("contradicted");
    // A claim that gives another year for the same event is still contradicted.
    expect(check("The bridge was completed in 1874 and spans the Avon Gorge.", passage).verdict).toBe(
      "contradicted",
    );
  });

  it("finds a value the source gives for another thing, stated for the claim's", () => {
    const passage =
      "Venus rotates once every 243 Earth days and orbits the Sun every 225 Earth days. Because it spins backwards, a solar day on Venus, from one sunrise to the next, lasts about 117 Earth days.";
    const v = check(
      "A solar day on Venus, from one sunrise to the next, lasts about 243 Earth days.",
      passage,
    );
    expect(v).toMatchObject({ verdict: "contradicted", method: "numeric" });
    expect(v.reason).toMatch(
      /the claim says 243 Earth; the source says 117 Earth \(it gives 243 Earth for something else\)/,
    );
    // The same number for the thing the source gives it for is supported, not contradicted.
    expect(check("Venus rotates once every 243 Earth days.", passage).verdict).not.toBe("contradicted");
  });

  it("does not compare a case the claim sets up itself with the source's value", () => {
    const passage =
      "The kinetic energy of a moving body is half its mass times the square of its speed. A 1,000 kg car at 20 m/s has a kinetic energy of 200 kJ.";
    const v = check("At 40 m/s the same 1,000 kg car would have a kinetic energy of 800 kJ.", passage);
    expect(v.verdict).not.toBe("contradicted");
    expect(check("A 1,000 kg car at 20 m/s has a kinetic energy of 400 kJ.", passage).verdict).toBe(
      "contradicted",
    );
  });
});

describe("arithmetic: a unit then an operator continues the right side", () => {
  it("does not cut a chain of quantities after the first number", () => {
    const text = "60 mph = 60 × 1.609 km / 1 h ≈ 96.5 km / 3600 s ≈ 0.0268 km/s.";
    expect(checkArithmeticInText(text)?.passed ?? true).toBe(true);
    expect(checkArithmeticInText("60 × 1.609 km ≈ 86.5 km")).toMatchObject({
      passed: false,
      defect: "wrong_arithmetic",
    });
  });
});

describe("names: a claim that puts another name where the source names someone or somewhere", () => {
  const passages = [
    {
      sourceId: "s1",
      text: "The Rosetta Stone was found in 1799 by French soldiers at Rashid in the Nile Delta. Its hieroglyphs were deciphered in 1822 by Jean-François Champollion, working from the Greek text.",
    },
  ];

  it("finds a person or a place put in place of the source's", () => {
    expect(
      entityConflict(
        "Its hieroglyphs were deciphered in 1822 by Thomas Young, working from the Greek text.",
        passages,
      ),
    ).toMatchObject({ claimed: "Thomas Young", stated: "Jean-François Champollion", sourceId: "s1" });
    expect(
      entityConflict(
        "The stone was found in 1799 by French soldiers at Alexandria in the Nile Delta.",
        passages,
      ),
    ).toMatchObject({ claimed: "Alexandria", stated: "Rashid" });
  });

  it("judges the claim without its unknown names, so several of them do not hide the swap", () => {
    expect(
      entityConflict(
        "The stone was found in 1799 by British sailors at Alexandria, near Abu Qir Bay in the Nile Delta.",
        passages,
      ),
    ).toMatchObject({ claimed: "British", stated: "French" });
  });

  it("does not take months for names", () => {
    const monsoon = [
      { sourceId: "m", text: "Moist south-westerly winds bring heavy rain from June to September." },
    ];
    expect(
      entityConflict("In the south-east, north-easterly winds bring rain from October to December.", monsoon),
    ).toBeNull();
  });

  it("leaves names the source mentions in another form, names after a connector, and extra names elsewhere", () => {
    expect(
      entityConflict(
        "Champollion deciphered the hieroglyphs in 1822, working from the Greek text.",
        passages,
      ),
    ).toBeNull();
    expect(
      entityConflict(
        "French soldiers found it in 1799 at Rashid, which Europeans called Rosetta, in the Nile Delta.",
        passages,
      ),
    ).toBeNull();
    expect(
      entityConflict(
        "The hieroglyphs were deciphered in 1822 by Champollion, working from the Greek text, as Thomas Young had begun to do.",
        passages,
      ),
    ).toBeNull();
  });
});

describe("unit conversions: emphasis and the units of everyday engineering", () => {
  it("reads a result in bold and the millibar", () => {
    expect(checkConversionsInText("So 3 kWh = **10.8 kJ**.")).toMatchObject({
      passed: false,
      defect: "wrong_unit",
    });
    expect(checkConversionsInText("So 3 kWh = **10.8 MJ**.")).toMatchObject({ passed: true });
    expect(checkConversionsInText("Standard pressure, 1 atm = 1.01325 mbar.")).toMatchObject({
      passed: false,
      defect: "wrong_unit",
    });
    expect(checkConversionsInText("Standard pressure, 1 atm = 1013.25 mbar.")).toMatchObject({
      passed: true,
    });
  });
});

describe("values: a question that asks for a value gets one", () => {
  it("does not count step numbers or a formula's constants as values", () => {
    expect(statedNumbers("1. Find the mean.\n2. Divide by n − 1 and take (1 + r)ⁿ.")).toEqual([]);
    expect(statedNumbers("Step 3: the total is $1,250.50, about 2 × 625.")).toEqual(["1250.50", "2", "625"]);
    const method =
      "To find it, first work out the mean.\n1. Subtract the mean from each value.\n2. Square each difference and average them.\n3. Take the square root. For a sample, divide by n − 1 instead of n.";
    expect(checkAnswers("Calculate the standard deviation of 3, 5, 7 and 9.", method)).toMatchObject({
      passed: false,
      defect: "non_answer",
    });
    expect(
      checkAnswers(
        "Calculate the standard deviation of 3, 5, 7 and 9.",
        `${method}\nThe mean is 6, the variance (9 + 1 + 1 + 9) / 4 = 5, so σ = √5 ≈ 2.24.`,
      ),
    ).toMatchObject({ passed: true });
  });

  it("holds a final answer to giving a value of its own, not the prompt's numbers or a formula", () => {
    const q = "What is the future value of $2,000 invested for 3 years at 5% a year, compounded yearly?";
    expect(checkFinalValue(q, "Apply FV = PV × (1 + r)ⁿ with PV = $2,000, r = 5% and n = 3.")).toMatchObject({
      passed: false,
      defect: "non_answer",
    });
    expect(checkFinalValue(q, "About $2,315.25, since 2,000 × 1.05³ = 2,315.25.")).toMatchObject({
      passed: true,
    });
    // A bare value, even one the prompt holds, is an answer; a question that asks no value is not judged.
    expect(checkFinalValue("What is the median of 4, 9 and 2?", "4")).toBeNull();
    expect(checkFinalValue("Who wrote Hamlet?", "William Shakespeare wrote it around 1600.")).toBeNull();
  });
});

describe("ranks: a superlative the other way round", () => {
  const passages = [
    {
      sourceId: "s1",
      text: "K2 is the second-highest mountain on Earth, after Mount Everest. It lies on the border between Pakistan and China.",
    },
  ];
  it("finds 'the highest mountain' where the source says 'the second-highest mountain'", () => {
    expect(rankConflict("At 8,611 m, K2 is the highest mountain on Earth.", passages)).toMatchObject({
      claimed: "highest mountain",
      stated: "second-highest mountain",
    });
  });
  it("leaves the same rank, another subject, and a superlative the sources do not rank", () => {
    expect(
      rankConflict("K2 is the second-highest mountain on Earth, in the Karakoram.", passages),
    ).toBeNull();
    expect(rankConflict("Mount Everest is the highest mountain on Earth.", passages)).toBeNull();
    expect(rankConflict("The Nile is the longest river in Africa.", passages)).toBeNull();
  });
});

describe("omissions: a reason that says a response leaves out what it states", () => {
  const completion =
    "Photosynthesis has two stages. The light-dependent reactions in the thylakoids split water and make ATP and NADPH; the Calvin cycle in the stroma uses them to fix carbon dioxide into sugar.";
  it("finds every part of 'does not mention X or Y' in the response", () => {
    expect(refutedOmission("Incomplete: does not mention the Calvin cycle or ATP.", completion)).toMatch(
      /does not mention the Calvin cycle or ATP/,
    );
    expect(refutedOmission("Incomplete: does not mention chlorophyll or ATP.", completion)).toBeNull();
    expect(refutedOmission("Clear and accurate.", completion)).toBeNull();
  });
  it("fails a KTO row labelled undesirable for an omission it does not have", () => {
    expect(
      checkLabelConsistency(
        false,
        "incomplete: never mentions the thylakoids or the stroma",
        UNKNOWN_OUTCOME,
        completion,
      ),
    ).toMatchObject({ passed: false, defect: "reward_inconsistent" });
    expect(
      checkLabelConsistency(
        false,
        "incomplete: never mentions photorespiration",
        UNKNOWN_OUTCOME,
        completion,
      ),
    ).toMatchObject({ passed: true });
  });
});

describe("percentages: the way back and the amount before a percentage", () => {
  it("measures a rise back to the start on the value it starts back from", () => {
    const q =
      "A town's population fell from 50,000 to 40,000. By what percentage must it grow to get back to 50,000?";
    // 10,000 / 40,000 = 25% is right; 10,000 / 50,000 = 20% measures it on the wrong value.
    expect(checkArithmeticInText("It must grow by 25%, since 10,000 / 40,000 = 0.25.", q)).not.toMatchObject({
      passed: false,
    });
    expect(checkArithmeticInText("It must grow by 20%: the same 20% it lost.", q)).toMatchObject({
      passed: false,
      defect: "wrong_arithmetic",
    });
  });

  it("finds a percentage taken off the final amount instead of the original", () => {
    const q =
      "A meal costs $57.50 including a 15% service charge. What did it cost before the service charge?";
    const wrong = findReversePercentAnswer("$57.50 × 0.85 = $48.88, so about $48.88.", q);
    expect(wrong).toMatchObject([{ kind: "reverse_percent", holds: false, stated: "48.88" }]);
    expect(wrong[0]!.computed).toBeCloseTo(50, 6);
    expect(findReversePercentAnswer("$57.50 / 1.15 = $50.00.", q)).toEqual([]);
    expect(findReversePercentAnswer("$57.50 × 0.85 = $48.88.", "What is 15% off $57.50?")).toEqual([]);
  });
});
