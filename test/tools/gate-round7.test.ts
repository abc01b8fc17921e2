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
