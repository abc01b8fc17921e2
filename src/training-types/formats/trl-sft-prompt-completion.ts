import { checkPromptCompletion, oneTrlFormatPerFile, trlKeySet } from "./checks.js";
import { defineFormat, plain } from "./define.js";
import { promptCompletion, splitSystem } from "./read.js";

/** TRL SFTTrainer, prompt-completion: `{prompt: [system?, user], completion: [assistant]}`. */
export const trlSftPromptCompletion = defineFormat({
  id: "trl-sft-prompt-completion",
  description: "TRL SFTTrainer, prompt-completion (conversational): {prompt:[user], completion:[assistant]}",
  needs: "a prompt and one target completion",
  trainer: "trl.SFTTrainer",
  extraColumns: true,
  fileRules: oneTrlFormatPerFile,
  check: (row) => plain([...trlKeySet(row, ["prompt", "completion"]), ...checkPromptCompletion(row)]),
  // After trl-kto (a prompt-completion row with a label).
  read: {
    order: 100,
    parse: (rec) => {
      const t = promptCompletion(rec);
      return t ? splitSystem(t) : null;
    },
  },
});
