import { checkPrompt, oneTrlFormatPerFile, trlKeySet } from "./checks.js";
import { defineFormat, isStr } from "./define.js";
import { splitSystem, turnsOf } from "./read.js";

/** Column names GRPOTrainer passes to reward functions itself; a dataset column with one of them collides. */
export const GRPO_RESERVED_COLUMNS = [
  "prompts",
  "completions",
  "completion",
  "completion_ids",
  "trainer_state",
  "log_extra",
  "log_metric",
  "environments",
] as const;

/** TRL GRPOTrainer: `{prompt: [user], solution}` (extra columns reach the reward functions). */
export const trlGrpo = defineFormat({
  id: "trl-grpo",
  description: "TRL GRPOTrainer: {prompt:[user], solution} (solution is passed to reward functions)",
  needs: "a prompt and a verifiable reference answer",
  trainer: "trl.GRPOTrainer (the `solution` column reaches the reward functions)",
  extraColumns: true,
  fileRules: oneTrlFormatPerFile,
  check: (row) => {
    const errors = [...trlKeySet(row, ["prompt"]), ...checkPrompt(row.prompt)];
    const warnings: string[] = [];
    const extra = Object.keys(row).filter((k) => k !== "prompt");
    for (const k of extra) {
      if ((GRPO_RESERVED_COLUMNS as readonly string[]).includes(k)) {
        errors.push(
          `column "${k}" collides with a keyword GRPOTrainer passes to reward functions; rename it`,
        );
      }
      const v = row[k];
      if (
        v === null ||
        v === undefined ||
        (isStr(v) && v.trim() === "") ||
        (Array.isArray(v) && v.length === 0)
      ) {
        errors.push(`column "${k}" must not be null or empty (reward functions receive it)`);
      }
    }
    if (extra.length === 0)
      warnings.push("no answer column (e.g. solution): reward functions have nothing to check against");
    return { errors, warnings };
  },
  read: {
    order: 110,
    parse: (rec) => {
      const t = rec.prompt !== undefined && typeof rec.solution === "string" ? turnsOf(rec.prompt) : null;
      return t ? { ...splitSystem(t), solution: rec.solution as string } : null;
    },
  },
});
