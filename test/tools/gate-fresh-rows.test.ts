import { describe, expect, it } from "vitest";
import { lexicalClaimVerdict } from "../../src/agents/fact-check.js";
import { numberConflict, pairingConflict } from "../../src/tools/claim-gate.js";
import { indexPassages, lexicalCheck, splitClaims } from "../../src/tools/claims.js";
import { answerMatchesPrinted } from "../../src/tools/code-check.js";
import { answerForms, checkAnswer, checkArithmeticInText } from "../../src/tools/maths.js";
import { askedSubject, checkAnswers } from "../../src/tools/text-gate.js";
import { checkConversionsInText } from "../../src/tools/units.js";
import { nearestFlaw } from "../../src/training-types/compose.js";
import { getTrainingType } from "../../src/training-types/index.js";

/**
 * Correct rows a fourth labelled set (dev4, written by helpers who saw neither the checks
 * nor the other sets) was rejected for, and the general causes fixed. The examples here are
 * our own, each checked against the behaviour before the fix.
 */

const src = (text: string) => [{ sourceId: "s1", text }];
const verdict = (claim: string, text: string) =>
  lexicalClaimVerdict({ id: 1, text: claim }, indexPassages(src(text)), src(text)).verdict;
/** The offline fact check's verdict (every claim decided). */
const offlineVerdict = (claim: string, text: string) =>
  lexicalCheck({ id: 1, text: claim }, indexPassages(src(text)), src(text), {
    decideAll: true,
    supportAt: 0.6,
  }).verdict;

describe("claims: a long sentence with a value ends at once", () => {
  it("splits a sentence that nearly reads as 'name = value unit' without backtracking for ever", () => {
    // The old pattern split each word of the tail in exponentially many ways and hung here.
    const s =
      "With k = 0.05 your estimate would pass the usual threshold, although several reviewers have asked for stricter limits such as 0.001, and many suggest reporting intervals and effect sizes alongside the estimate itself.";
    const claims = splitClaims(s);
    expect(claims.length).toBe(1);
    expect(claims[0]!.text).toContain("stricter limits");
  });

  it("drops a calculation whose result is in bold, as it drops one without", () => {
    const claims = splitClaims("The dose is 12 mg/kg × 20 kg = **240 mg**, given twice a day.");
    expect(claims).toEqual([]);
  });
});

describe("numbers against a source: the same value written another way is no conflict", () => {
  const bp =
    "Readings of 120–129 systolic with a diastolic below 80 are classed as elevated; 130–139 systolic or 80–89 diastolic is stage 1 hypertension.";
  it("takes a range the source gives as it is, whatever word follows it in the claim", () => {
    expect(
      numberConflict("Your systolic value falls in the 130–139 band, which is classed as stage 1.", src(bp)),
    ).toBeNull();
  });
  it("does not read 'stage 1' as a measurement", () => {
    const stages =
      "Under the guideline, 130–139 systolic or 80–89 diastolic is stage 1 hypertension, and 140 or more systolic or 90 or more diastolic is stage 2 hypertension.";
    expect(
      numberConflict("European guidelines use 140/90 as the threshold for hypertension.", src(stages)),
    ).toBeNull();
    expect(numberConflict("A diastolic value of 85 is stage 1 hypertension.", src(stages))).toBeNull();
  });
  it("reads a value inside a range the source gives for the same thing as agreeing, one outside as not", () => {
    const yeast =
      "Fermentation is fastest at around 25–35 °C, and yeast is killed at temperatures of about 60 °C.";
    expect(numberConflict("Fermentation is fastest at about 30 °C.", src(yeast))).toBeNull();
    expect(
      numberConflict("At around 60 °C the yeast is killed, so the dough stops rising.", src(yeast)),
    ).toBeNull();
    expect(numberConflict("Yeast is killed at about 45 °C.", src(yeast))?.claimed).toBe("45");
  });
  it("counts both ends of a range as bound to what follows the range", () => {
    const text = "After 4–5 half-lives, about 94–97% of a drug has been eliminated.";
    expect(
      numberConflict(
        "It is practically eliminated after 4–5 half-lives, i.e. **24–30 hours** after the dose.",
        src(text),
      ),
    ).toBeNull();
  });
  it("does not compare 'the other two' with the source's count, nor a number with a count in words", () => {
    const estates =
      "The Estates-General had three estates: the clergy, the nobility and the commoners of the Third Estate.";
    expect(
      numberConflict(
        "The Third Estate had as many deputies as the other two estates combined.",
        src(estates),
      ),
    ).toBeNull();
    const two =
      "Blood pressure is recorded as two numbers, the systolic pressure over the diastolic pressure.";
    expect(
      numberConflict(
        "A reading of 134/78 means a systolic pressure of 134 and a diastolic pressure of 78.",
        src(two),
      ),
    ).toBeNull();
  });
  it("reads '120 mg/5 mL' as the source's '120 mg in 5 mL'", () => {
    const syrup = "Oral suspensions come in several strengths, for example 120 mg in 5 mL of liquid.";
    expect(verdict("The suspension holds 120 mg/5 mL of the drug.", syrup)).not.toBe("contradicted");
  });
  it("still finds a number the source gives differently for the same thing", () => {
    const syrup = "Oral suspensions come in several strengths, for example 120 mg in 5 mL of liquid.";
    expect(
      numberConflict("Oral suspensions come in strengths such as 150 mg in 5 mL.", src(syrup))?.claimed,
    ).toBe("150");
  });
});

describe("negation: a short clause inside a longer negated one is not its opposite", () => {
  const text = "A project with a negative NPV does not earn the required return and should be rejected.";
  it("does not take 'The NPV is negative' for a negation of the source", () => {
    expect(offlineVerdict("The NPV is negative, so the project should be rejected.", text)).not.toBe(
      "contradicted",
    );
  });
  it("still finds the same statement negated", () => {
    expect(offlineVerdict("A project with a negative NPV earns the required return.", text)).toBe(
      "contradicted",
    );
  });
});

describe("final answers: the same value written with an approximation sign, a gloss or a second form", () => {
  it("reads the forms of an answer", () => {
    expect(answerForms("≈ −$1,204.50 (do not invest)")).toContain("-1,204.50");
    expect(answerForms("3/8 = 0.375")).toEqual(expect.arrayContaining(["3/8", "0.375"]));
    expect(answerForms("≈ 212.0 s, about 3 min 32 s")[0]).toBe("212.0 s");
  });
  it("matches a reference written another way, and not a different value or unit", () => {
    expect(checkAnswer("≈ 41.7 m", "41.7 m").passed).toBe(true);
    expect(checkAnswer("3/8 = 0.375", "3/8 (0.375)").passed).toBe(true);
    expect(checkAnswer("≈ 41.7 m", "42.7 m").passed).toBe(false);
    expect(checkAnswer("≈ 41.7 m", "41.7 s").passed).toBe(false);
  });
  it("matches a printed value to an answer with a currency sign and a gloss", () => {
    const forms = answerForms("≈ −$1,204.50 (do not invest)");
    expect(answerMatchesPrinted("≈ −$1,204.50 (do not invest)", "-1204.5")).toBe(false);
    expect(forms.some((a) => answerMatchesPrinted(a, "-1204.5"))).toBe(true);
    expect(forms.some((a) => answerMatchesPrinted(a, "-1240.5"))).toBe(false);
  });
});

describe("arithmetic and conversions written as results", () => {
  it("reads a mixed number after '=' as one value", () => {
    expect(checkArithmeticInText("3/4 ÷ 2/5 = 3/4 × 5/2 = 15/8 = **1 7/8** (1.875).")?.passed ?? true).toBe(
      true,
    );
  });
  it("finds the asked conversion among later values in the same unit", () => {
    const prompt = "What is 20 °C in °F? At what temperature do the scales agree?";
    const answer = "°F = 20 × 1.8 + 32 = **68 °F**.\n\nThey agree at −40: **−40 °C = −40 °F**.";
    expect(checkConversionsInText(answer, prompt)?.passed ?? true).toBe(true);
  });
  it("is not satisfied by an intermediate value in another unit of the same dimension", () => {
    const prompt = "A runner covers 200 m in 8 s at constant speed. What is her speed in km/h?";
    const answer = "Speed = 200 m / 8 s = 25 m/s. Her speed is 25 km/h.";
    expect(checkConversionsInText(answer, prompt)?.passed).toBe(false);
  });
});

describe("answers: questions the non-answer check used to misread", () => {
  it("does not take 'the easiest way' for a subject the answer must name", () => {
    expect(askedSubject("What's the easiest way in Python to reverse a list?")).toEqual([]);
    expect(askedSubject("What is photosynthesis?")).not.toEqual([]);
  });
  it("takes a line that opens with a value for 'what is the … rate in …'", () => {
    const r = checkAnswers(
      "Oil flows at 1.5 m/s through a pipe with an internal diameter of 8 cm. What is the flow rate in litres per second? If the pipe narrows to 4 cm, how fast does the oil move there?",
      "The cross-section is π × (0.04 m)² ≈ 0.00503 m².\nMultiplying by the speed gives the volume each second.\nHalving the diameter quarters the area, so the speed is four times higher.\n\nAbout 7.5 L/s; the oil speeds up to 6.0 m/s in the 4 cm section.",
    );
    expect(r?.passed).toBe(true);
  });
});

describe("flaw labels: a dataset's own vocabulary is not a format defect", () => {
  const rlhf = getTrainingType("rlhf");
  const dpo = getTrainingType("dpo");
  const kto = getTrainingType("kto");
  const best = "Seven eights are 56: 7 × 8 = 56, the same as 8 × 7, since multiplication is commutative.";
  const worse = "Seven eights are 54: 7 × 8 = 54, which you can check by adding 7 eight times over.";
  const ranked = (flaw: string) => ({
    prompt: "What is 7 × 8?",
    responses: [
      { text: best, rating: 9, rank: 1, flaw: "none" },
      { text: worse, rating: 3, rank: 2, flaw },
    ],
    chosen: best,
    rejected: worse,
    margin: 6,
  });
  it("accepts a snake_case flaw label and refuses one that is not a label", () => {
    expect(rlhf.validate(ranked("calculation_error"))).toEqual([]);
    expect(rlhf.validate(ranked("Wrong Sum!")).join(" ")).toMatch(/flaw/);
  });
  it("accepts a rejection_reason of the dataset's own", () => {
    const row = {
      prompt: "Antworte auf Deutsch: Was ist Photosynthese?",
      chosen: "Photosynthese ist der Prozess, bei dem Pflanzen aus Licht, Wasser und CO2 Zucker herstellen.",
      rejected: "Photosynthesis is how plants make sugar from light.",
      chosen_rating: 9,
      rejected_rating: 3,
      rejection_reason: "wrong_language",
      rejection_explanation: "It answers in English although the question asks for German.",
    };
    expect(dpo.validate(row)).toEqual([]);
  });
  it("asks an undesirable completion for a reason, not for a prefix", () => {
    const row = (label_reason: string) => ({
      prompt: "When did the Berlin Wall fall?",
      completion: "The Berlin Wall fell in 1991, shortly before the Soviet Union ended.",
      label: false,
      label_reason,
    });
    expect(kto.validate(row("The year is wrong: it fell in November 1989."))).toEqual([]);
    expect(kto.validate(row("Wrong.")).join(" ")).toMatch(/label_reason/);
  });
  it("maps a free label or reason to the nearest known flaw", () => {
    expect(nearestFlaw("calculation_error")).toBe("factual_error");
    expect(nearestFlaw("Evasive: it never says what the law states.")).toBe("incomplete");
    expect(nearestFlaw("off_topic: about another war")).toBe("off_topic");
    expect(nearestFlaw("incomplete")).toBe("incomplete");
  });
});

describe("contradictions the fresh rows showed: shares in words and things paired the other way round", () => {
  it("compares a share written in words with the source's", () => {
    const text =
      "The Congo carries about 41,000 cubic metres per second, roughly one-fifth of the Amazon's discharge, into the Atlantic.";
    expect(
      numberConflict("The Congo carries roughly one-tenth of the Amazon's discharge.", src(text))?.claimed,
    ).toBe("one-tenth");
    expect(
      numberConflict("The Congo carries roughly one-fifth of the Amazon's discharge.", src(text)),
    ).toBeNull();
  });

  const thyroid =
    "Calcitonin, secreted by parafollicular cells when blood calcium rises, lowers it. Parathyroid hormone, secreted by chief cells when blood calcium falls, raises it.";
  it("finds two things paired the other way round across parallel statements", () => {
    const x = pairingConflict("The chief cells secrete calcitonin.", src(thyroid));
    expect(x?.stated).toMatch(/parafollicular/);
    const nerves =
      "In the central nervous system myelin is made by oligodendrocytes, whereas in the peripheral nervous system it is made by Schwann cells.";
    expect(
      pairingConflict("In the peripheral nervous system, myelin comes from oligodendrocytes.", src(nerves)),
    ).not.toBeNull();
    expect(
      pairingConflict("In the peripheral nervous system, myelin comes from Schwann cells.", src(nerves)),
    ).toBeNull();
  });
  it("does not read a contrast, the source's own pairing, or a claim a source states as a swap", () => {
    expect(
      pairingConflict("Unlike calcitonin, parathyroid hormone is secreted by the chief cells.", src(thyroid)),
    ).toBeNull();
    expect(pairingConflict("The parafollicular cells secrete calcitonin.", src(thyroid))).toBeNull();
    // The bundled corpus's notes on alkanes and alkenes: a run's answer copied this claim
    // (the engine's cost test failed on the extra candidate it cost).
    const two = [
      {
        sourceId: "a",
        text: "Alkanes are saturated hydrocarbons with the general formula CnH2n+2 for open-chain molecules. Every carbon in an alkane is sp3 hybridised, with bond angles close to 109.5° and C–C bonds about 154 pm long. The first four straight-chain alkanes are methane, ethane, propane and butane.",
      },
      {
        sourceId: "b",
        text: "Alkenes contain a C=C double bond and, with one double bond and no ring, have the formula CnH2n. Each alkene carbon is sp2 hybridised and trigonal planar with bond angles near 120°, and the double bond, about 134 pm long, consists of one sigma bond and one pi bond.",
      },
    ];
    const claim =
      "Every carbon in an alkane is sp3 hybridised, with bond angles close to 109.5° and C–C bonds about 154 pm long.";
    expect(pairingConflict(claim, two)).toBeNull();
  });
  it("does not read a statement that leaves a word out as a swap", () => {
    const elasticity =
      "When the absolute value of the elasticity is greater than one, demand is said to be elastic; when it equals one, demand is unit elastic. If demand is unit elastic, revenue does not change.";
    expect(
      pairingConflict("The absolute value is 1, so demand is unit elastic over this range.", src(elasticity)),
    ).toBeNull();
  });
});
