import { describe, expect, it } from "vitest";
import { checkAnswers } from "../../src/tools/text-gate.js";

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
