import { checkMessages, checkTools } from "./checks.js";
import { defineFormat, isObj, type Json } from "./define.js";
import { splitSystem, turnsOf } from "./read.js";

/** OpenAI reinforcement fine-tuning: `{messages: [developer?, user], reference_answer}`. */
export const openaiRft = defineFormat({
  id: "openai-rft",
  description: "OpenAI reinforcement fine-tuning: {messages:[developer?, user], reference_answer}",
  needs: "a prompt and a reference answer for a grader",
  extraColumns: true,
  check: (row) => {
    const errors: string[] = [];
    const warnings: string[] = [];
    if (Array.isArray(row.messages) && row.messages.some((m) => isObj(m) && m.role === "system")) {
      errors.push('reinforcement fine-tuning uses the "developer" role instead of "system"');
    } else {
      errors.push(
        ...checkMessages(row.messages, "messages", {
          roles: ["developer", "user", "assistant", "tool"],
          leading: ["developer"],
          end: "any",
          tools: "openai",
        }),
      );
      if (!errors.length) {
        const last = (row.messages as Json[]).at(-1)!;
        if (last.role !== "user") errors.push("messages must end with the user turn the model answers");
      }
    }
    if ("tools" in row) errors.push(...checkTools(row.tools, "tools", { allowString: false }));
    const grader = Object.keys(row).filter((k) => k !== "messages" && k !== "tools");
    if (grader.length === 0)
      warnings.push("no grader fields (e.g. reference_answer): graders have nothing to compare with");
    for (const k of grader)
      if (row[k] === null || row[k] === undefined || row[k] === "")
        errors.push(`grader field "${k}" must not be empty`);
    return { errors, warnings };
  }, // Before trl-sft-messages (the same messages, plus the grader's reference answer).
  read: {
    order: 70,
    parse: (rec) => {
      const t =
        Array.isArray(rec.messages) && typeof rec.reference_answer === "string"
          ? turnsOf(rec.messages)
          : null;
      return t ? { ...splitSystem(t), solution: rec.reference_answer as string } : null;
    },
  },
});
