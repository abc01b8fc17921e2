import { checkPreference, oneTrlFormatPerFile } from "./checks.js";
import { defineFormat } from "./define.js";
import { preferencePair, splitSystem, turnsOf } from "./read.js";

/** TRL DPOTrainer, explicit prompt: `{prompt: [user], chosen: [assistant], rejected: [assistant]}`. */
export const trlDpo = defineFormat({
  id: "trl-dpo",
  description:
    "TRL DPOTrainer, explicit prompt (conversational): {prompt:[user], chosen:[assistant], rejected:[assistant]}",
  needs: "a prompt with a chosen and a rejected response",
  trainer: "trl.DPOTrainer",
  extraColumns: true,
  fileRules: oneTrlFormatPerFile,
  check: (row) => checkPreference(row, { implicitOk: true, preferExplicit: true }),
  // A conversational prompt; a string prompt is read as trl-orpo.
  read: {
    order: 50,
    parse: (rec) => {
      const pair = rec.prompt !== undefined && typeof rec.prompt !== "string" ? preferencePair(rec) : null;
      const t = pair ? turnsOf(rec.prompt) : null;
      return t ? { ...splitSystem(t), ...pair } : null;
    },
  },
});
