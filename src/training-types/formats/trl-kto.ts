import { allRules, bothKtoLabels, checkPromptCompletion, oneTrlFormatPerFile, trlKeySet } from "./checks.js";
import { defineFormat, plain } from "./define.js";
import { promptCompletion, splitSystem } from "./read.js";

/** TRL KTOTrainer, unpaired preference: `{prompt: [user], completion: [assistant], label: bool}`. */
export const trlKto = defineFormat({
  id: "trl-kto",
  description: "TRL KTOTrainer, unpaired preference: {prompt, completion, label: bool}",
  needs: "a prompt, one completion and a desirable/undesirable label",
  trainer: "trl.KTOTrainer",
  extraColumns: true,
  fileRules: () =>
    allRules(
      oneTrlFormatPerFile(),
      bothKtoLabels((row) => (typeof row.label === "boolean" ? row.label : undefined)),
    ),
  check: (row) => {
    const errors = [...trlKeySet(row, ["prompt", "completion", "label"])];
    if (!errors.length) errors.push(...checkPromptCompletion(row));
    if ("label" in row && typeof row.label !== "boolean")
      errors.push('label must be a JSON boolean (true/false), not "true" or 1');
    return plain(errors);
  },
  read: {
    order: 90,
    parse: (rec) => {
      const t = typeof rec.label === "boolean" ? promptCompletion(rec) : null;
      return t ? { ...splitSystem(t), label: rec.label as boolean } : null;
    },
  },
});
