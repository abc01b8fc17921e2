import { checkPrompt, isConversational, oneTrlFormatPerFile, trlKeySet } from "./checks.js";
import { defineFormat } from "./define.js";
import { finite, splitSystem, turnsOf } from "./read.js";

/** TRL PPO/online trainers, standard prompt-only: `{prompt, ...extra columns}`. */
export const trlPromptOnly = defineFormat({
  id: "trl-prompt-only",
  description: "TRL PPO/online trainers, standard prompt-only: {prompt} (string)",
  needs: "prompts only (the policy writes the responses)",
  trainer: "trl.experimental.ppo.PPOTrainer (after tokenizing `prompt`)",
  extraColumns: true,
  fileRules: oneTrlFormatPerFile,
  check: (row) => {
    const errors = [...trlKeySet(row, ["prompt"]), ...checkPrompt(row.prompt)];
    const warnings = isConversational(row.prompt)
      ? ["the PPO example scripts tokenize prompt as a plain string"]
      : [];
    return { errors, warnings };
  }, // Last: any prompt, with the reference response and reward beside it (PPO).
  read: {
    order: 120,
    parse: (rec) => {
      const t = rec.prompt !== undefined ? turnsOf(rec.prompt) : null;
      if (!t) return null;
      const s = splitSystem(t);
      const out: ReturnType<typeof splitSystem> & { reward?: number; rewardRationale?: string } = s;
      if (typeof rec.response === "string")
        out.turns = [...s.turns, { role: "assistant", content: rec.response }];
      const reward = finite(rec.reward);
      if (reward !== undefined) out.reward = reward;
      if (typeof rec.reward_rationale === "string") out.rewardRationale = rec.reward_rationale;
      return out;
    },
  },
});
