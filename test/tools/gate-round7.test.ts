import { describe, expect, it } from "vitest";
import { checkAnswers } from "../../src/tools/text-gate.js";
import { checkConversionsInText } from "../../src/tools/units.js";

describe("a why-answer in other words", () => {
  const prompt = "Why do deserts get so cold at night?";

  it("takes 'is why' and 'explains' as giving the cause", () => {
    const isWhy =
      "Dry desert air holds little water vapour, and the sky is usually clear. Once the sun sets, the ground radiates its heat straight out to space with almost nothing to trap it. That missing blanket of vapour is why temperatures in deserts plunge after sunset.";
    const explains =
      "Clear, dry desert air holds very little water vapour. The ground radiates its heat straight out to space after sunset, with nothing to hold it near the surface. The missing blanket of vapour explains the steep drop in temperature in deserts.";
    expect(checkAnswers(prompt, isWhy)?.passed).toBe(true);
    expect(checkAnswers(prompt, explains)?.passed).toBe(true);
  });

  it("still rejects an answer about the subject that gives no cause", () => {
    const r = checkAnswers(
      prompt,
      "Deserts cover about a third of the land surface of the Earth. The Sahara is the largest hot desert, and the Atacama in Chile is among the driest places known. Many desert animals are active mainly in the early morning and the evening.",
    );
    expect(r?.passed).toBe(false);
    expect(r?.defect).toBe("non_answer");
  });
});

describe("kitchen and data units", () => {
  const wrong = (t: string, prompt = "") => checkConversionsInText(t, prompt)?.passed === false;

  it("checks kitchen measures, allowing each country's definition", () => {
    expect(wrong("Add 2 teaspoons (30 ml) of vanilla extract.")).toBe(true);
    expect(wrong("Add 2 teaspoons (10 ml) of vanilla extract.")).toBe(false);
    // A metric cup is 250 mL, a US cup 237 mL; an imperial pint 568 mL, a US pint 473 mL.
    expect(wrong("Pour in 3 cups (750 ml) of water.")).toBe(false);
    expect(wrong("Pour in 3 cups (710 ml) of water.")).toBe(false);
    expect(wrong("Pour in 3 cups (450 ml) of water.")).toBe(true);
    expect(wrong("A pint of milk is 568 ml in Britain.")).toBe(false);
    expect(wrong("That is 12 fluid ounces, about 355 ml.")).toBe(false);
  });

  it("reads a unit defined in words ('one tablespoon is …', 'a knot is …')", () => {
    expect(wrong("One teaspoon is 15 ml, so use three.")).toBe(true);
    expect(wrong("One teaspoon is 5 ml, so use three.")).toBe(false);
    expect(wrong("A knot is about 1.85 km/h.")).toBe(false);
    expect(wrong("A knot is about 1.15 km/h.")).toBe(true);
  });

  it("tells bits from bytes, and takes a binary 'GB' as a convention, not an error", () => {
    expect(wrong("The line runs at 50 Mbps (50 MB/s).")).toBe(true);
    expect(wrong("The line runs at 50 Mbps (6.25 MB/s).")).toBe(false);
    expect(wrong("Sent over the link, 300 megabytes is 2,400 megabits.")).toBe(false);
    expect(wrong("Windows lists the 2 TB disk as 2 TB (1.82 TiB).")).toBe(false);
    expect(wrong("The 2 TB disk holds 2,000 GB, or 1,863 GiB as Windows counts it.")).toBe(false);
    expect(wrong("The 2 TB disk holds 2,000 GB, or 1,500 GiB as Windows counts it.")).toBe(true);
  });

  it("does not take another size of the same text for the prompt's size off by a prefix", () => {
    const prompt = "A disk has 8 KiB blocks. How many blocks does a 64 MiB file use?";
    expect(wrong("64 MiB / 8 KiB = 8,192 blocks, each with an 8 B checksum.", prompt)).toBe(false);
  });
});

describe("questions that ask for a year or a share", () => {
  it("rejects an answer to 'in what year' that gives no year", () => {
    const prompt = "Which treaty ended the Thirty Years' War, and in what year was it signed?";
    const r = checkAnswers(
      prompt,
      "The war was ended by a set of treaties negotiated in two Westphalian towns, which reshaped the balance of power in Europe and are often seen as the start of the modern system of sovereign states.",
    );
    expect(r?.defect).toBe("non_answer");
    expect(
      checkAnswers(prompt, "The Peace of Westphalia, signed in 1648 in Osnabrück and Münster, ended the war.")
        ?.passed,
    ).toBe(true);
  });

  it("rejects an answer to 'what fraction of' that gives other numbers but no share", () => {
    const prompt = "If 240 of a school's 960 pupils walk to school, what fraction of the pupils walk?";
    const r = checkAnswers(
      prompt,
      "Walking is common at schools where most pupils live within 2 km. Schools of 900 to 1,000 pupils often run walking buses, and 3 or 4 routes can cover most of a town.",
    );
    expect(r?.defect).toBe("non_answer");
    expect(r?.reasons[0]).toMatch(/share/);
    for (const good of [
      "240 / 960 = 1/4 of the pupils walk.",
      "A quarter of them: 240 out of 960.",
      "25% of the pupils walk (240 ÷ 960 = 0.25).",
    ])
      expect(checkAnswers(prompt, good)?.passed).toBe(true);
  });
});
