import { checkPreference, oneTrlFormatPerFile } from "./checks.js";
import { defineFormat } from "./define.js";
import { preferencePair, splitSystem, turnsOf } from "./read.js";

/** TRL ORPOTrainer, explicit prompt, plain strings: `{prompt, chosen, rejected}`. */
export const trlOrpo = defineFormat({
  id: "trl-orpo",
  description: "TRL ORPOTrainer, explicit prompt, plain strings: {prompt, chosen, rejected}",
  needs: "a prompt with a chosen and a rejected response",
  trainer: "trl.experimental.orpo.ORPOTrainer",
  extraColumns: true,
  fileRules: oneTrlFormatPerFile,
  check: (row) => checkPreference(row, { implicitOk: true, preferExplicit: true }),
  read: {
    order: 50,
    parse: (rec) => {
      const pair = typeof rec.prompt === "string" ? preferencePair(rec) : null;
      return pair ? { ...splitSystem(turnsOf(rec.prompt)!), ...pair } : null;
    },
  },
});
