import { describe, expect, it } from "vitest";
import { factCheck, lexicalClaimVerdict, lexicalStanding } from "../../src/agents/fact-check.js";
import { setsOwnCase } from "../../src/core/text.js";
import { checkChemistryInText } from "../../src/tools/chemistry.js";
import { crossedRoles } from "../../src/tools/claim-gate.js";
import { indexPassages, splitClaims } from "../../src/tools/claims.js";
import { rangeBoundProblem } from "../../src/tools/code-check.js";
import { checkThinPreferred, statedCoreFault } from "../../src/tools/consistency.js";
import { checkArithmeticInText } from "../../src/tools/maths.js";
import { findPii } from "../../src/tools/text-checks.js";
import { askedSubject, checkAnswers, checkRequestedJson } from "../../src/tools/text-gate.js";
import { areaHits } from "../../src/tools/topic-gate.js";
import { checkConversionsInText, mathUnit } from "../../src/tools/units.js";
import { nearestFlaw } from "../../src/training-types/compose.js";

// Review gate, round nine: the examples here are written for the tests, not taken from a
// labelled set.

const vessels = [
  {
    sourceId: "s1",
    text:
      "Blood leaves the heart and comes back to it through two kinds of vessel. " +
      "Arteries carry blood away from the heart under high pressure and have thick elastic walls. " +
      "Veins return blood towards the heart at low pressure and have valves that stop backflow.",
  },
];

describe("two things that trade their parts across an answer", () => {
  it("finds each given the other's part, in sentences or list items", () => {
    const swapped =
      "- Veins carry blood away from the heart under high pressure, so their walls are thick and elastic.\n" +
      "- Arteries return blood towards the heart and have valves that stop backflow.";
    const found = crossedRoles(swapped, vessels);
    expect(found?.claimed).toMatch(/^vein … /);
    expect(found?.stated).toMatch(/^artery … /);
    expect(found?.statement).toMatch(/^Veins carry blood away/);
  });

  it("finds it in a comparison table, where the columns are the things compared", () => {
    const table =
      "| | Arteries | Veins |\n|---|---|---|\n" +
      "| Direction | Return blood towards the heart | Carry blood away from the heart |\n" +
      "| Walls | Thin, with valves that stop backflow | Thick and elastic |";
    expect(crossedRoles(table, vessels)).not.toBeNull();
  });

  it("leaves alone a correct answer, a contrast and a single loose statement", () => {
    const right =
      "Arteries carry blood away from the heart at high pressure. Veins return it towards the heart, and their valves stop backflow.";
    expect(crossedRoles(right, vessels)).toBeNull();
    // Each statement names one vessel with the other's part, but says it is not so.
    const contrast =
      "Veins do not carry blood away from the heart under high pressure.\nArteries, unlike veins, have no valves that stop backflow.";
    expect(crossedRoles(contrast, vessels)).toBeNull();
    // One half of an exchange only: it may be a loose paraphrase, so it is not read as a swap.
    const half =
      "Veins carry blood away from the heart under high pressure.\nArteries are thick and elastic.";
    expect(crossedRoles(half, vessels)).toBeNull();
  });

  it("makes a preference row's response contradicted", () => {
    const swapped =
      "Veins carry blood away from the heart under high pressure.\nArteries return blood towards the heart and have valves that stop backflow.";
    const standing = lexicalStanding(swapped, vessels);
    expect(standing.contradicted.some((r) => r.includes("exchanged"))).toBe(true);
  });
});

describe("correct rows no longer rejected (round nine)", () => {
  it("does not hold a source's general figure against a result the row computes for its own case", async () => {
    const passages = [
      {
        sourceId: "s1",
        text: "Adult cats need roughly 40 to 60 kilocalories per kilogram of body weight per day, depending on activity.",
      },
    ];
    const question =
      "At 55 kcal per kg per day, about how many kilocalories does a 4.6 kg cat need per hour of the day?";
    const answer =
      "Daily need = 55 kcal/kg × 4.6 kg = 253 kcal. Per hour = 253 kcal / 24 = 10.54 kcal.\n\n" +
      "About 11 kilocalories per hour for this cat (253 kilocalories per day).";
    const report = await factCheck(answer, passages, () => Promise.reject(new Error("no model here")), {
      question,
    });
    expect(report?.contradicted).toBe(0);
  });

  it("reads Roman numerals as chords, not elements", () => {
    const text = "A perfect cadence is V → I; a plagal cadence is IV → I; an interrupted one is V → vi.";
    expect(checkChemistryInText(text)?.passed ?? true).toBe(true);
    expect(checkChemistryInText("Sodium reacts with chlorine: Na + Cl2 → NaCl.")?.passed).toBe(false);
  });

  it("reads a quoted term without its quotation marks", () => {
    const prompt = "What is a 'wadi' in geography?";
    const answer =
      "A wadi is a valley or dry riverbed in an arid region that carries water only after heavy rain, often as a sudden flash flood.";
    expect(checkAnswers(prompt, answer)?.passed ?? true).toBe(true);
    expect(askedSubject(prompt)).not.toContain("wadi'");
  });

  it("takes a made-up address in an example for no one's personal data", () => {
    expect(findPii("SELECT * FROM users WHERE email = 'x@y.com';")).toEqual([]);
    expect(findPii("Send it to user@domain.com or foo@bar.org.")).toEqual([]);
    expect(findPii("Write to maria.lopez@gmail.com for the key.").map((f) => f.kind)).toEqual(["email"]);
  });

  it("opposes two words only when their clauses say the same thing of the same subject", () => {
    const passages = [
      {
        sourceId: "s1",
        text: "Lambs are born with a thin woolly coat, and pregnant ewes lose condition unless their feed is increased in late pregnancy.",
      },
    ];
    const index = indexPassages(passages);
    const claim = (text: string) => lexicalClaimVerdict({ id: 1, text }, index, passages).verdict;
    expect(
      claim("Lambs are born with a thin woolly coat and gain condition quickly as they suckle."),
    ).not.toBe("contradicted");
    expect(claim("Pregnant ewes gain condition unless their feed is increased in late pregnancy.")).toBe(
      "contradicted",
    );
  });

  it("reads a count of times per period as making an amount a rate", () => {
    expect(checkArithmeticInText("Up to 3 doses a day: 3 × 250 mg = 750 mg/day.")?.passed).toBe(true);
    expect(checkArithmeticInText("Up to 3 doses a day: 3 × 250 mg = 700 mg/day.")?.passed).toBe(false);
  });

  it("checks a quantity restated in another unit, and leaves one in its own unit alone", () => {
    expect(checkArithmeticInText("Four plots of 250 m² = 1,000 m² in all.")).toBeNull();
    const conversion = checkArithmeticInText("Area = 2,500 cm² = 25 m²");
    expect(conversion?.passed).toBe(false);
    expect(conversion?.defect).toBe("wrong_unit");
  });

  it("computes with a count per unit (units/mL, tablets/day)", () => {
    expect(checkArithmeticInText("9,000 units ÷ 3,000 units/mL = 3 mL")?.passed).toBe(true);
    expect(checkArithmeticInText("9,000 units ÷ 3,000 units/mL = 2 mL")?.passed).toBe(false);
    expect(checkArithmeticInText("28 tablets ÷ 2 tablets/day = 14 days")?.passed).toBe(true);
    expect(mathUnit("mcg")).toBe("ug");
  });

  it("treats an example with numbers no source states as the row's own case", () => {
    const passages = [
      { text: "A floor area ratio of 2.0 on a 1,000 m² lot allows 2,000 m² of floor space." },
    ];
    expect(setsOwnCase("You could, for example, build 12 storeys of 400 m².", ["12", "400"], passages)).toBe(
      true,
    );
    expect(setsOwnCase("A building has 12 storeys of 400 m².", ["12", "400"], passages)).toBe(false);
  });

  it("reads 'swapped' in a KTO label reason as a factual error", () => {
    expect(nearestFlaw("The melting points of the two metals are swapped.")).toBe("factual_error");
  });

  it("knows common words of medicine", () => {
    expect(
      areaHits("Check the prescription, draw the paracetamol into an oral syringe").medicine,
    ).toBeGreaterThanOrEqual(3);
  });
});

describe("new checks (round nine)", () => {
  it("checks a result restated in another unit after a calculation", () => {
    const wrong = checkConversionsInText("ΔL = 12 × 10⁻⁶ × 30 × 50 = 0.018 m = 18 cm");
    expect(wrong?.passed).toBe(false);
    expect(checkConversionsInText("ΔL = 12 × 10⁻⁶ × 30 × 50 = 0.018 m = 18 mm")?.passed).toBe(true);
    // A temperature after "=" may be a difference, not a reading.
    expect(checkConversionsInText("ΔT = 35 °C = 35 K")?.passed ?? true).toBe(true);
  });

  it("checks the sum stated after a list of numbers", () => {
    expect(checkArithmeticInText("Squares of the deviations: 9, 1, 1, 9; sum = 22.")?.passed).toBe(false);
    expect(checkArithmeticInText("Squares of the deviations: 9, 1, 1, 9; sum = 20.")?.passed).toBe(true);
    expect(checkArithmeticInText("Costs of 1,250, 2,500 and 750, a total of 4,500")?.passed).toBe(true);
  });

  it("holds a reply the prompt asks to be JSON to valid JSON with the keys asked for", () => {
    const prompt = "Reply only with a JSON object with the keys city, population and year.";
    expect(checkRequestedJson(prompt, ['{"city": "Lyon", "population": 522000, "year": 2021}'])?.passed).toBe(
      true,
    );
    const single = checkRequestedJson(prompt, [
      "```json\n{'city': 'Lyon', 'population': 522000, 'year': 2021,}\n```",
    ]);
    expect(single?.defect).toBe("format_invalid");
    const missing = checkRequestedJson(prompt, ['{"city": "Lyon", "population": 522000}']);
    expect(missing?.reasons[0]).toContain("year");
    expect(checkRequestedJson(prompt, ["Lyon has about 522,000 people."])?.passed).toBe(false);
    expect(checkRequestedJson("What is the population of Lyon?", ["{oops"])).toBeNull();
    // A key is the object's own, not one every object inherits.
    const inherited = checkRequestedJson("Reply only with JSON with the keys name and constructor.", [
      '{"name": "Lyon"}',
    ]);
    expect(inherited?.reasons[0]).toContain("constructor");
  });

  it("finds a sample's spread computed as a population's in code", () => {
    const prompt = "Write Python that prints the sample standard deviation of 3, 7, 7, 19.";
    expect(rangeBoundProblem(prompt, "import statistics\nprint(statistics.pstdev([3, 7, 7, 19]))")).toContain(
      "n − 1",
    );
    expect(rangeBoundProblem(prompt, "import numpy as np\nprint(np.std([3, 7, 7, 19]))")).toContain("ddof=1");
    expect(rangeBoundProblem(prompt, "import numpy as np\nprint(np.std([3, 7, 7, 19], ddof=1))")).toBeNull();
    expect(rangeBoundProblem(prompt, "import statistics\nprint(statistics.stdev([3, 7, 7, 19]))")).toBeNull();
    const population = "Compute the population variance of 2, 4, 6.";
    expect(
      rangeBoundProblem(population, "import statistics\nprint(statistics.variance([2, 4, 6]))"),
    ).toContain("population");
  });

  it("reads a desirable label whose reason says the completion confuses things as inconsistent", () => {
    expect(
      statedCoreFault("The completion confuses weather with climate: climate is the long-term average."),
    ).not.toBeNull();
    expect(statedCoreFault("The completion clearly separates weather from climate.")).toBeNull();
    expect(statedCoreFault("The answer does not confuse weather with climate.")).toBeNull();
  });

  it("fact-checks the cells of a comparison table", () => {
    const table =
      "| | Bronze | Brass |\n|---|---|---|\n| Main alloying metal | Tin | Zinc |\n| Copper content | about 60–70% | about 88% |";
    const cells = splitClaims(table).map((c) => c.text);
    expect(cells).toContain("Brass Copper content: about 88%.");
    // A table with a thing per row is often a calculation: its cells are not claims.
    const sums =
      "| Item | Grams | Energy |\n|---|---|---|\n| Fat | 9 g | 81 kcal |\n| Protein | 6 g | 24 kcal |";
    expect(splitClaims(sums)).toEqual([]);
  });
});

describe("an answer that only says it depends and refers the reader elsewhere", () => {
  const prompt = "What should I do about a strained hamstring?";
  it("is a non-answer", () => {
    const answer =
      "The right treatment varies depending on the severity of the strain, your age and your fitness. Every injury is different, so it is best to consult a physiotherapist or your doctor for advice.";
    const r = checkAnswers(prompt, answer);
    expect(r?.defect).toBe("non_answer");
  });

  it("leaves alone an answer that gives figures, or ends on its own advice", () => {
    const figures =
      "Rest it for 2–3 days, then stretch gently; a partial tear needs 4–8 weeks off running. Treatment varies depending on severity, so for a severe tear consult a doctor.";
    expect(checkAnswers(prompt, figures)?.defect).not.toBe("non_answer");
    const advice =
      "Recovery varies depending on how badly the muscle is torn, and a physiotherapist can grade it for you. Whatever the grade, start with gentle stretching once walking is painless and build up slowly before running again.";
    expect(checkAnswers(prompt, advice)?.defect).not.toBe("non_answer");
  });
});

describe("a preferred response of a few words where a lower one explains", () => {
  const prompt = "Explain why the sky is blue.";
  const full =
    "Sunlight contains every visible colour. As it passes through the atmosphere, it scatters off gas molecules that are far smaller than its wavelength, and this Rayleigh scattering grows steeply as the wavelength shortens (as 1/λ⁴). Blue light is therefore scattered several times more than red and reaches your eyes from every direction of the sky, while the sun itself looks slightly yellow. At sunset the light crosses much more air, the blue is scattered away, and the reds remain.";
  it("reverses the order", () => {
    const r = checkThinPreferred(
      prompt,
      [
        { label: "chosen", text: "Because of scattering." },
        { label: "rejected", text: full, flaw: "verbose" },
      ],
      checkAnswers,
    );
    expect(r?.defect).toBe("ranking_wrong");
  });

  it("leaves alone a short answer to a short question, and a longer one labelled wrong", () => {
    const short = [
      { label: "chosen", text: "Canberra." },
      { label: "rejected", text: full },
    ];
    expect(checkThinPreferred("What is the capital of Australia?", short, checkAnswers)).toBeNull();
    const wrong = [
      { label: "rank-1", text: "Because of scattering." },
      { label: "rank-2", text: full, flaw: "factual_error" },
    ];
    expect(checkThinPreferred(prompt, wrong, checkAnswers)).toBeNull();
  });
});
