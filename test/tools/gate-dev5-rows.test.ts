import { describe, expect, it } from "vitest";
import { lexicalClaimVerdict, ownResults } from "../../src/agents/fact-check.js";
import { checkChemistryInText } from "../../src/tools/chemistry.js";
import { yearConflict } from "../../src/tools/claim-gate.js";
import { indexPassages } from "../../src/tools/claims.js";
import { answerMatchesPrinted } from "../../src/tools/code-check.js";
import {
  assessResponseSync,
  checkLabelConsistency,
  checkRewardConsistency,
  statedCoreFault,
} from "../../src/tools/consistency.js";
import { checkArithmeticInText, checkLatexInText } from "../../src/tools/maths.js";
import {
  askedCount,
  checkAnswers,
  checkLanguage,
  comparedThings,
  offeredOptions,
} from "../../src/tools/text-gate.js";
import { checkOnTopic } from "../../src/tools/topic-gate.js";
import { checkConversionsInText } from "../../src/tools/units.js";
import { nearestFlaw } from "../../src/training-types/compose.js";
import { getTrainingType } from "../../src/training-types/index.js";

/**
 * What a fifth labelled set (dev5, written by a helper that saw one example row per type and
 * nothing of the checks) showed: correct rows rejected for general causes, and defects no
 * check looked for. The examples are our own, each failing before its fix.
 */

const src = (text: string) => [{ sourceId: "s1", text }];
const verdict = (claim: string, text: string, computed?: Set<number>) =>
  lexicalClaimVerdict({ id: 1, text: claim }, indexPassages(src(text)), src(text), computed).verdict;

describe("language: English text where another language is asked for", () => {
  const english =
    "Art Nouveau spread from Paris and Brussels in the 1890s; its name comes from Siegfried Bing's shop, *La Maison de l'Art Nouveau*. Its main traits are:\n\n- **Whiplash curves** taken from plants and flowers.\n- **Unity of the arts:** Hector Guimard designed the Paris Métro entrances down to the lettering.\n- **New materials:** iron, glass and *pâte de verre* used openly.\n\nKey figures include Alphonse Mucha (the posters for Sarah Bernhardt), Émile Gallé of the École de Nancy, René Lalique and Victor Horta.";
  const french =
    "La musique baroque est née en Italie vers 1600, à la fin de la Renaissance. Ses traits principaux sont la basse continue, les contrastes entre le fort et le doux, et de nouvelles formes comme l'opéra, le concerto et l'oratorio.";

  it("fails English prose when French is asked for, even when franc scores French close behind", () => {
    const r = checkLanguage([english], "fr");
    expect(r?.passed).toBe(false);
    expect(r?.defect).toBe("wrong_language");
  });

  it("passes French prose for French and English prose for English", () => {
    expect(checkLanguage([french], "fr")?.passed).toBe(true);
    expect(checkLanguage([english], "en")?.passed).toBe(true);
  });
});

describe("arithmetic: a slipped digit, list markers and function arguments", () => {
  it("finds a result with one digit changed, which rounded inputs cannot explain", () => {
    const r = checkArithmeticInText("After the second year: 24,500 × 1.04 = 25,380 members.");
    expect(r?.passed).toBe(false);
  });

  it("still allows a result computed from unrounded inputs", () => {
    // 4 × 18.015 = 72.06: the inputs are written rounded.
    expect(checkArithmeticInText("The mass is 4.000 × 18.02 = 72.06 g.")?.passed).toBe(true);
  });

  it("does not read a list item's marker as a minus sign", () => {
    const r = checkArithmeticInText("Targets:\n   - 70 + 0.5 × 110 = 125 bpm\n   - 70 + 0.8 × 110 = 158 bpm");
    expect(r?.passed).toBe(true);
  });

  it("does not take a logarithm's argument for a term of the expression", () => {
    const r = checkArithmeticInText("pH = −log₁₀(0.0040) = −(log₁₀ 4.0 − 3) = 3 − 0.602 = 2.398");
    expect(r?.passed).toBe(true);
  });
});

describe("durations and conversions: parts, prefixes and ranges", () => {
  it("checks a time restated in hours, minutes and seconds", () => {
    expect(
      checkArithmeticInText("Total: 155.5 min = 2 h (120 min) + 35.5 min → 2 h 25 min 30 s")?.passed,
    ).toBe(false);
    expect(
      checkArithmeticInText("Total: 155.5 min = 2 h (120 min) + 35.5 min → 2 h 35 min 30 s")?.passed,
    ).toBe(true);
  });

  it("finds the prompt's quantity restated a thousand times off", () => {
    const prompt = "The bike pump's gauge shows 90 psi. What is that on a gauge in bar?";
    const slip = checkConversionsInText(
      "About 6.2 bar. On a gauge in kilopascals it would read about 620 Pa.",
      prompt,
    );
    expect(slip?.passed).toBe(false);
    expect(checkConversionsInText("About 6.2 bar, or roughly 620 kPa.", prompt)?.passed).toBe(true);
  });

  it("converts both ends of a range", () => {
    expect(checkConversionsInText("A moderate gale is 28–33 knots, which is about 52–61 mph.")?.passed).toBe(
      false,
    );
    expect(checkConversionsInText("A moderate gale is 28–33 knots, which is about 32–38 mph.")?.passed).toBe(
      true,
    );
  });
});

describe("rewards and labels whose own reason says the answer is wrong", () => {
  const ok = assessResponseSync("The resultant force is 140 N to the east.");

  it("fails a high PPO reward whose rationale says the result is wrong", () => {
    const r = checkRewardConsistency(
      0.88,
      "Clear, well structured and thorough, with a helpful sketch of the forces, but the total itself is wrong: it should be 140 N.",
      ok,
    );
    expect(r.passed).toBe(false);
    expect(r.defect).toBe("reward_inconsistent");
  });

  it("passes a high reward whose rationale says nothing is wrong", () => {
    expect(
      statedCoreFault("Nothing in the answer is wrong; the result is right and clearly explained."),
    ).toBeNull();
    expect(checkRewardConsistency(0.9, "Correct, clear and complete; the answer is right.", ok).passed).toBe(
      true,
    );
  });

  it("reads 'the melting point is wrong' as the answer's fault, and not 'a minor detail is wrong'", () => {
    expect(statedCoreFault("The melting point is wrong: it is 660 °C, not 560 °C.")).not.toBeNull();
    expect(statedCoreFault("Well written, though it gets the direction backwards.")).not.toBeNull();
    expect(statedCoreFault("Clear and correct; the one minor detail is wrong but harmless.")).toBeNull();
  });

  it("fails a KTO example labelled desirable whose reason corrects its result", () => {
    const r = checkLabelConsistency(
      true,
      "Tidy working, but the second product should be 3 × 7 = 21, not 24.",
      ok,
    );
    expect(r.passed).toBe(false);
  });
});

describe("dates moved against a source", () => {
  const treaty =
    "The Treaty of Utrecht was signed in 1713, ending the War of the Spanish Succession between France and a coalition led by Britain.";

  it("finds the same event dated to another year", () => {
    const x = yearConflict(
      "Britain and France signed the Treaty of Utrecht in 1715, ending the War of the Spanish Succession.",
      src(treaty),
    );
    expect(x).toMatchObject({ claimed: "1715", stated: "1713" });
  });

  it("does not compare an event placed relative to another, nor the source's own year", () => {
    expect(
      yearConflict(
        "The Spanish Succession war between France and Britain ended after 1714, when the treaty was signed.",
        src(treaty),
      ),
    ).toBeNull();
    expect(yearConflict("Britain and France signed the Treaty of Utrecht in 1713.", src(treaty))).toBeNull();
  });

  it("does not date a claim by a year another sentence gives for what the claim names", () => {
    const text = `${treaty} The treaty's terms on Gibraltar were confirmed again in 1729.`;
    expect(
      yearConflict("Britain's hold on Gibraltar under the treaty's terms was confirmed in 1729.", src(text)),
    ).toBeNull();
  });
});

describe("numbers the row computes, ranges and exchanges", () => {
  const combustion =
    "Propane burns as C3H8 + 5 O2 -> 3 CO2 + 4 H2O: 44 g of propane reacts with 160 g of oxygen to give 132 g of carbon dioxide.";

  it("does not hold a result the row computes for its own case against the source's worked example", () => {
    const answer = "Moles of propane: 22 g ÷ 44 g/mol = 0.5 mol.\nCO₂: 0.5 mol × 3 × 44 g/mol = 66 g.";
    const computed = ownResults(answer, "How much CO₂ forms when 22 g of propane burns?", src(combustion));
    expect(computed.has(66)).toBe(true);
    expect(verdict("So 66 g of carbon dioxide is produced.", combustion, computed)).not.toBe("contradicted");
    // A value named, not computed, is still held to the source.
    expect(
      ownResults("Molar mass of propane ≈ 40 g/mol.", "How much CO₂ forms from 22 g?", src(combustion)).has(
        40,
      ),
    ).toBe(false);
  });

  it("reads a range written with a hyphen in the source as a range", () => {
    const text =
      "Fresh snow can reflect up to about 90% of sunlight, and dry grassland typically 25-30%, whereas open water reflects only about 6%.";
    expect(verdict("Dry grassland reflects about 25–30% of incoming sunlight.", text)).not.toBe(
      "contradicted",
    );
  });

  it("does not bind a number across a clause to the next clause's subject", () => {
    const text =
      "Raids grew worse with pressure from peoples such as the Saxons, who raided the coast in 441, and the Angles, who raided it in 449.";
    expect(
      verdict("The Saxons under Hengist raided the coast in 441, and the Angles did so again in 449.", text),
    ).not.toBe("contradicted");
  });

  it("takes 'Rome' for the source's 'Roman', not for another name", () => {
    const text = "The three wars were fought between the Roman Republic and Carthage from 264 to 146 BC.";
    expect(
      verdict("The wars were fought between Rome and Carthage, the two great sea powers.", text),
    ).not.toBe("contradicted");
    expect(verdict("The wars were fought between Athens and Carthage, the two great sea powers.", text)).toBe(
      "contradicted",
    );
  });

  it("reads alleles written with superscript capitals as the source's plain letters", () => {
    const text = "A person with genotype IAIB has blood group AB, and one with ii has group O.";
    expect(verdict("A parent with genotype IᴬIᴮ has blood group AB.", text)).not.toBe("contradicted");
  });
});

describe("formats that are not chemistry or maths", () => {
  it("reads formulas written with subscripts and charges whole", () => {
    const r = checkChemistryInText("Dissolved carbon dioxide forms carbonic acid: CO₂ + H₂O ⇌ H₂CO₃.");
    expect(r?.passed).toBe(true);
  });

  it("does not take a letter substitution for a reaction", () => {
    expect(checkChemistryInText("Shift each letter by one: H → I, C → D, N → O.")).toBeNull();
  });

  it("does not read a template literal in code as LaTeX", () => {
    const text =
      "```javascript\nconst url = `/api/items/${id}?page=${page}`;\n```\nThe `${id}` part is filled in.";
    expect(checkLatexInText(text)).toBeNull();
  });
});

describe("labels and answers the gate misread", () => {
  it("maps a reason in its own words ('backwards', 'the opposite') to a factual error", () => {
    expect(nearestFlaw("Backwards: the median, not the mean, resists outliers.")).toBe("factual_error");
    expect(nearestFlaw("It says the opposite of what the data show.")).toBe("factual_error");
  });

  it("accepts a GRPO row that labels a wrong attempt as one, not a row whose program disagrees", () => {
    const grpo = getTrainingType("grpo");
    const row = {
      prompt: "How many positive integers up to 30 are divisible by 2 or 3?",
      reasoning: "Multiples of 2: 15.\nMultiples of 3: 10.\nTotal: 15 + 10 = 25.",
      code: "print(15 + 10)",
      predicted_answer: "25",
      solution: "20",
      is_correct: false,
      execution_output: "25",
    };
    expect(grpo.validate(row)).toEqual([]);
    // The predicted answer written with a thousands separator and a unit is the printed value.
    expect(
      grpo.validate({ ...row, predicted_answer: "≈ 2,827.43 cm²", execution_output: "2827.43" }),
    ).toEqual([]);
    expect(answerMatchesPrinted("2,827.43 cm²", "2827.43")).toBe(true);
    expect(answerMatchesPrinted("2,872.43 cm²", "2827.43")).toBe(false);
    // A program that disagrees with the answer is judged by running it (the `program` verifier).
    expect(grpo.validate({ ...row, execution_output: null, solution: "20" }).join()).toMatch(
      /is_correct is false/,
    );
  });

  it("takes a change of state as an answer to 'what happens to'", () => {
    const r = checkAnswers(
      "What happens to a leaf's chlorophyll in autumn?",
      "The tree stops making chlorophyll and breaks down what is left, so the green fades and the yellow and orange carotenoids show through.",
    );
    expect(r?.passed).toBe(true);
  });

  it("takes the steps of a process as an answer to 'how does it work'", () => {
    const r = checkAnswers(
      "How does a binary search find an item in practice?",
      "You look at the middle element of the sorted list. If it is the item, you are done; if the item is smaller, you keep only the left half, otherwise the right half. Then you repeat on that half until the item is found or nothing is left.",
    );
    expect(r?.passed).toBe(true);
  });
});

describe("non-answers: a comparison that names one side, a reader sent elsewhere", () => {
  it("reads the two things a comparison asks about", () => {
    expect(comparedThings("What is the difference between a virus and a bacterium?")).toEqual([
      ["virus"],
      ["bacterium"],
    ]);
    expect(comparedThings("How would a Marxist and a liberal each explain inequality?")).toEqual([
      ["marxist"],
      ["liberal"],
    ]);
    expect(comparedThings("What is the difference between 'por' and 'para'?")).toEqual([["por"], ["para"]]);
    expect(comparedThings("What is photosynthesis?")).toEqual([]);
  });

  it("fails an answer that never names one of the things compared, and passes one that names both", () => {
    const prompt = "What is the difference between a virus and a bacterium?";
    const filler =
      "Great question! Microbes are fascinating, and a virus can spread quickly from person to person, which is why hygiene matters so much in daily life.";
    expect(checkAnswers(prompt, filler)?.defect).toBe("non_answer");
    const answer =
      "A bacterium is a living single cell with its own metabolism and ribosomes; a virus is a particle of genes in a protein coat that can only copy itself inside a host cell.";
    expect(checkAnswers(prompt, answer)?.passed).toBe(true);
  });

  it("fails an answer with fewer items than the prompt asks for, however they are written", () => {
    expect(askedCount("Explain three long-term causes of the French Revolution.")).toEqual({
      count: 3,
      what: "causes",
    });
    const prompt = "Give two examples of renewable energy sources.";
    expect(
      checkAnswers(prompt, "Solar power is the most widely installed renewable source today.")?.defect,
    ).toBe("non_answer");
    expect(checkAnswers(prompt, "Solar power and wind power are two common renewable sources.")?.passed).toBe(
      true,
    );
    expect(checkAnswers(prompt, "- Solar power\n- Wind power")?.passed).not.toBe(false);
  });

  it("fails an answer to a choice that names none of the options", () => {
    const prompt = "Should I store the timestamps as TEXT, INTEGER or REAL in SQLite?";
    expect(offeredOptions(prompt)).toEqual([["text"], ["integer"], ["real"]]);
    const vague =
      "SQLite is flexible about types, and each approach has trade-offs; it depends on how your application reads the data, so benchmark a few designs and pick what suits your team.";
    expect(checkAnswers(prompt, vague)?.defect).toBe("non_answer");
    expect(
      checkAnswers(prompt, "Use INTEGER Unix epoch seconds: compact, fast to compare and easy to index.")
        ?.passed,
    ).toBe(true);
  });

  it("fails 'it depends on many factors … consult an expert' as an evasion", () => {
    const r = checkAnswers(
      "Which test compares the mean weight of the same 12 mice before and after a diet?",
      "The right test depends on many factors, including your design and your data's distribution. I'd recommend consulting a statistician before you analyse anything.",
    );
    expect(r?.defect).toBe("non_answer");
  });

  it("fails an answer that sends the reader elsewhere, unless the prompt asks where to read", () => {
    const deflect =
      "The best approach is to read the original treatise directly, or a good commentary, since the argument is subtle.";
    expect(checkAnswers("State Hume's problem of induction.", deflect)?.defect).toBe("non_answer");
    expect(checkAnswers("What should I read to start learning about Hume?", deflect)?.passed).not.toBe(false);
  });
});

describe("on topic: the sources' own subject words", () => {
  const truth =
    "The Hundred Years' War was a series of conflicts between England and France from 1337 to 1453. English armies won famous victories at Crécy, Poitiers and Agincourt, but France, inspired by Joan of Arc, recovered Orléans in 1429 and eventually expelled the English from all of France except Calais.";

  it("passes a row that shares many of the ground truth's names, whatever broad area its other words suggest", () => {
    const r = checkOnTopic({
      topic: "medieval history",
      subTopic: "the Hundred Years' War",
      prompt: "Summarise the Hundred Years' War in a few sentences.",
      answer:
        "England and France fought on and off from 1337 to 1453. The English won at Crécy, Poitiers and Agincourt, helped by longbows, and held much of the coast and river valleys. After Joan of Arc lifted the siege of Orléans in 1429, France recovered its land island by island, port by port and along every river, until only Calais on the sea coast was left to the English.",
      groundTruth: [truth],
    });
    expect(r?.passed).toBe(true);
  });

  it("still fails a row about what off-topic sources are about", () => {
    const island =
      "Java is an island of Indonesia, bordered by the Indian Ocean to the south and the Java Sea to the north. With over 150 million people it is the world's most populous island and home to the capital, Jakarta.";
    const r = checkOnTopic({
      topic: "Java programming",
      subTopic: "generics",
      prompt: "Tell me about Java.",
      answer:
        "Java is an Indonesian island between the Indian Ocean and the Java Sea. It is the world's most populous island, with more than 150 million people, and home to the capital Jakarta, with volcanoes, rice terraces and a long coast.",
      groundTruth: [island],
    });
    expect(r?.passed).toBe(false);
  });
});
