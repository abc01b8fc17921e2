import { preferenceType } from "./preference.js";
import { registerTrainingType } from "./registry.js";

/**
 * Odds-ratio preference optimisation: the same columns as DPO, but ORPO has no SFT
 * stage, so the chosen response doubles as the supervised target and must be exemplary
 * on its own.
 */
export const orpoType = preferenceType({
  name: "orpo",
  title: "Odds-ratio preference optimisation",
  extraInstructions:
    "ORPO also trains on the chosen response as a supervised target: write it as the best possible standalone answer.",
  extraRubric:
    "Note: in ORPO the chosen response is also the supervised target; score its completeness and clarity as an answer to imitate.",
  tags: ["orpo"],
});

registerTrainingType(orpoType);
