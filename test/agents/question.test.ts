import { describe, expect, it } from "vitest";
import { lowerFirst } from "../../src/agents/question.js";

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
