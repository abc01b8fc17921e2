import { checkPreference, oneTrlFormatPerFile } from "./checks.js";
import { defineFormat } from "./define.js";
import { finite, preferencePair, splitSystem, turnsOf } from "./read.js";

/** TRL RewardTrainer, implicit prompt: `{chosen: [user, assistant], rejected: [user, assistant], margin}`. */
export const trlReward = defineFormat({
  id: "trl-reward",
  description: "TRL RewardTrainer, implicit prompt (conversational): {chosen, rejected, margin}",
  needs: "a chosen and a rejected response to the same prompt",
  trainer: "trl.RewardTrainer",
  extraColumns: true,
  fileRules: oneTrlFormatPerFile,
  check: (row) => {
    // RewardTrainer recommends the implicit prompt; an explicit one works too.
    const res = checkPreference(row, { implicitOk: true, preferExplicit: false });
    if ("margin" in row && (typeof row.margin !== "number" || !Number.isFinite(row.margin)))
      res.errors.push("margin must be a finite number");
    return res;
  },
  // After trl-dpo and trl-orpo (pairs with an explicit prompt).
  read: {
    order: 60,
    parse: (rec) => {
      const pair = preferencePair(rec);
      const t = pair ? turnsOf(rec.chosen) : null;
      if (!t) return null;
      const margin = finite(rec.margin);
      return { ...splitSystem(t.slice(0, -1)), ...pair!, ...(margin !== undefined ? { margin } : {}) };
    },
  },
});
