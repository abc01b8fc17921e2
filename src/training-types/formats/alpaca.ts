import { defineFormat, isStr, nonEmpty, onlyKeys, plain } from "./define.js";

/** LLaMA-Factory / Axolotl alpaca: `{instruction, input, output, system?}`. */
export const alpaca = defineFormat({
  id: "alpaca",
  description: "LLaMA-Factory / Axolotl alpaca: {instruction, input, output, system?}",
  needs: "an instruction and one target output",
  trainer: "LLaMA-Factory (`formatting: alpaca`) or Axolotl (`type: alpaca`)",
  check: (row) => {
    const errors = onlyKeys(row, ["instruction", "input", "output", "system", "history"]);
    if (!nonEmpty(row.instruction)) errors.push("instruction must be a non-empty string");
    if (!nonEmpty(row.output)) errors.push("output must be a non-empty string");
    if ("input" in row && !isStr(row.input)) errors.push("input must be a string");
    if ("system" in row && !isStr(row.system)) errors.push("system must be a string");
    if (
      "history" in row &&
      !(
        Array.isArray(row.history) &&
        row.history.every((h) => Array.isArray(h) && h.length === 2 && h.every(nonEmpty))
      )
    ) {
      errors.push("history must be a list of [instruction, response] string pairs");
    }
    return plain(errors);
  },
  read: {
    order: 40,
    parse: (rec) => {
      if (typeof rec.instruction !== "string" || typeof rec.output !== "string") return null;
      const prompt =
        typeof rec.input === "string" && rec.input.trim()
          ? `${rec.instruction}\n\n${rec.input}`
          : rec.instruction;
      return {
        system: typeof rec.system === "string" ? rec.system : null,
        turns: [
          { role: "user", content: prompt },
          { role: "assistant", content: rec.output },
        ],
      };
    },
  },
});
