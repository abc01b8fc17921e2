import { describe, expect, it } from "vitest";
import { lowerFirst, type QuestionInput, type QuestionOutput } from "../../src/agents/question.js";
import { offlineResponder } from "../../src/models/offline.js";

const material = [
  "Elastomers are lightly cross-linked polymers that stretch and recover their shape.",
  "Vulcanisation with sulfur, discovered by Charles Goodyear in 1839, forms sulfur bridges.",
  "Addition polymers include poly(tetrafluoroethene) (PTFE, Teflon) from tetrafluoroethene.",
  "Teflon is slippery. Benzene is aromatic, and benzene rings are flat.",
  "Kekulé proposed the ring structure in 1865.",
].join("\n");

describe("offline question writer: lowerFirst", () => {
  it("writes a common noun in lower case inside a question", () => {
    expect(lowerFirst("Elastomers", material)).toBe("elastomers"); // only ever sentence-initial
    expect(lowerFirst("Benzene", material)).toBe("benzene"); // also used in lower case
    expect(lowerFirst("Addition polymers", material)).toBe("addition polymers");
  });

  it("keeps names, brands, acronyms, formulas and inner capitals as written", () => {
    expect(lowerFirst("Charles Goodyear", material)).toBe("Charles Goodyear");
    expect(lowerFirst("Teflon", material)).toBe("Teflon"); // "(PTFE, Teflon)" mid-sentence
    expect(lowerFirst("PTFE", material)).toBe("PTFE");
    expect(lowerFirst("pH", material)).toBe("pH");
    expect(lowerFirst("Diels–Alder reaction", material)).toBe("Diels–Alder reaction");
    expect(lowerFirst("H2O", material)).toBe("H2O");
  });
});

describe("offline question writer: subjects and their sub-topic", () => {
  const write = (material: string, subTopic: string): string[] => {
    const respond = offlineResponder("question.write")!;
    const input: QuestionInput = {
      topic: "organic chemistry",
      subTopic,
      focus: "",
      trainingType: "sft",
      counts: { easy: 0, medium: 6, hard: 0 },
      material: [{ title: "notes", text: material }],
      avoid: [],
    };
    return (respond(input, { model: "offline", task: "question.write" }) as QuestionOutput).questions.map(
      (q) => q.text,
    );
  };

  it("asks for a subject's role in the sub-topic only when its passage is about the sub-topic", () => {
    const qs = write(
      [
        "Amines are organic bases derived from ammonia; in infrared spectra their N–H stretch shows near 3300 cm-1.",
        "Sodium borohydride is a mild reducing agent that turns aldehydes into alcohols.",
      ].join("\n"),
      "Infrared and NMR spectroscopy",
    );
    expect(qs).toContain("Explain amines and their role in infrared and NMR spectroscopy.");
    // The reducing agent's passage says nothing of spectroscopy: no question ties them together.
    expect(qs.filter((q) => /sodium borohydride/i.test(q) && /spectroscopy/i.test(q))).toEqual([]);
    expect(qs.some((q) => /sodium borohydride/i.test(q))).toBe(true);
  });
});
