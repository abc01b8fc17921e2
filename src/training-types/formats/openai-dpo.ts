import { checkMessages, checkTools } from "./checks.js";
import { defineFormat, isObj, onlyKeys, plain } from "./define.js";
import { lastAssistant, splitSystem, turnsOf } from "./read.js";

/** OpenAI preference fine-tuning: `{input: {messages}, preferred_output, non_preferred_output}`. */
export const openaiDpo = defineFormat({
  id: "openai-dpo",
  description: "OpenAI preference fine-tuning: {input:{messages}, preferred_output, non_preferred_output}",
  needs: "a prompt with a preferred and a non-preferred response",
  check: (row) => {
    const errors: string[] = [];
    if ("preferred_completion" in row || "non_preferred_completion" in row) {
      errors.push(
        "preferred_completion/non_preferred_completion are the old names; use preferred_output/non_preferred_output",
      );
    }
    errors.push(...onlyKeys(row, ["input", "preferred_output", "non_preferred_output"]));
    if (!isObj(row.input)) errors.push("input must be an object {messages, tools?}");
    else {
      errors.push(
        ...onlyKeys(row.input, ["messages", "tools", "parallel_tool_calls"]).map((e) => `input: ${e}`),
      );
      errors.push(
        ...checkMessages(row.input.messages, "input.messages", {
          roles: ["system", "user", "assistant", "tool"],
          leading: ["system"],
          end: "prompt",
          tools: "openai",
          extraKeys: { system: ["name"], user: ["name"], assistant: ["name"] },
        }),
      );
      if ("tools" in row.input)
        errors.push(...checkTools(row.input.tools, "input.tools", { allowString: false }));
    }
    for (const k of ["preferred_output", "non_preferred_output"]) {
      const v = row[k];
      const e = checkMessages(v, k, {
        roles: ["assistant"],
        leading: [],
        first: "assistant",
        end: "assistant",
        tools: "openai",
      });
      if (!e.length && Array.isArray(v) && v.length !== 1)
        e.push(`${k} must hold exactly one assistant message`);
      errors.push(...e);
    }
    if (!errors.length && JSON.stringify(row.preferred_output) === JSON.stringify(row.non_preferred_output)) {
      errors.push("preferred_output and non_preferred_output are identical");
    }
    return plain(errors);
  }, // First: its messages sit inside `input`.
  read: {
    order: 10,
    parse: (rec) => {
      if (!(rec.input && typeof rec.input === "object" && "preferred_output" in rec)) return null;
      const t = turnsOf((rec.input as Record<string, unknown>).messages);
      const chosen = lastAssistant(rec.preferred_output);
      const rejected = lastAssistant(rec.non_preferred_output);
      return t && chosen && rejected ? { ...splitSystem(t), chosen, rejected } : null;
    },
  },
});
