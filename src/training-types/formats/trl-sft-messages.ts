import { checkMessages, checkTools, oneTrlFormatPerFile, trlConversation, trlKeySet } from "./checks.js";
import { defineFormat, isObj, plain } from "./define.js";
import { splitSystem, turnsOf } from "./read.js";

/** TRL SFTTrainer, conversational: `{messages: [system?, user, assistant, ...]}`. */
export const trlSftMessages = defineFormat({
  id: "trl-sft-messages",
  description: "TRL SFTTrainer, conversational: {messages:[{role,content}]}",
  needs: "a conversation that ends with an assistant answer",
  trainer: "trl.SFTTrainer",
  extraColumns: true,
  fileRules: oneTrlFormatPerFile,
  check: (row) => {
    const errors = [
      ...trlKeySet(row, ["messages"]),
      ...checkMessages(row.messages, "messages", trlConversation),
    ];
    if ("tools" in row) errors.push(...checkTools(row.tools, "tools", { allowString: true }));
    if ("chat_template_kwargs" in row && !isObj(row.chat_template_kwargs))
      errors.push("chat_template_kwargs must be an object");
    return plain(errors);
  },
  // Also reads OpenAI chat rows (the same shape), after openai-rft.
  read: {
    order: 80,
    parse: (rec) => {
      const t = Array.isArray(rec.messages) ? turnsOf(rec.messages) : null;
      return t ? splitSystem(t) : null;
    },
  },
});
