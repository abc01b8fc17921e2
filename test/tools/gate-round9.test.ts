import { describe, expect, it } from "vitest";
import { lexicalStanding } from "../../src/agents/fact-check.js";
import { crossedRoles } from "../../src/tools/claim-gate.js";

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
