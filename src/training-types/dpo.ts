import { preferenceType } from "./preference.js";
import { registerTrainingType } from "./registry.js";

/**
 * Direct preference optimisation: a prompt with a chosen and a plausibly worse rejected
 * response (the flaw stated in `rejection_reason`), rated 1–10.
 */
export const dpoType = preferenceType({
  name: "dpo",
  title: "Direct preference optimisation",
  extraInstructions:
    "Vary the kind of flaw across examples; a factual error should be a single, checkable mistake.",
  extraRubric: "",
  tags: ["dpo"],
});

registerTrainingType(dpoType);
