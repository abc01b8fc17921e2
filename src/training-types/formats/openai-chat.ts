import { checkMessages, checkTools } from "./checks.js";
import { defineFormat, type Json, onlyKeys, plain } from "./define.js";

/** OpenAI supervised fine-tuning: `{messages: [...]}` (read back as trl-sft-messages). */
export const openaiChat = defineFormat({
  id: "openai-chat",
  description: "OpenAI supervised fine-tuning: {messages:[{role,content}]}",
  needs: "a conversation that ends with an assistant answer",
  check: (row) => {
    const errors = onlyKeys(row, ["messages", "tools", "parallel_tool_calls"]);
    errors.push(
      ...checkMessages(row.messages, "messages", {
        roles: ["system", "user", "assistant", "tool"],
        leading: ["system"],
        end: "assistant",
        tools: "openai",
        extraKeys: { system: ["name"], user: ["name"], assistant: ["name", "weight"] },
      }),
    );
    if ("tools" in row) errors.push(...checkTools(row.tools, "tools", { allowString: false }));
    if ("parallel_tool_calls" in row && typeof row.parallel_tool_calls !== "boolean")
      errors.push("parallel_tool_calls must be a boolean");
    if (!errors.length) {
      const assistants = (row.messages as Json[]).filter((m) => m.role === "assistant");
      if (assistants.every((m) => m.weight === 0))
        errors.push("every assistant message has weight 0: nothing would be trained");
    }
    return plain(errors);
  },
});
