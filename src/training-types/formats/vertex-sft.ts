import { defineFormat, isObj, type Json, nonEmpty, onlyKeys, plain } from "./define.js";
import { textIn, turnsOf } from "./read.js";

/** Vertex AI Gemini supervised tuning: `{systemInstruction?, contents: [{role: user|model, parts}]}`. */
export const vertexSft = defineFormat({
  id: "vertex-sft",
  description:
    "Vertex AI Gemini supervised tuning: {systemInstruction?, contents:[{role:user|model, parts:[{text}]}]}",
  needs: "a conversation that ends with a model answer",
  check: (row) => {
    const errors: string[] = [];
    if ("system_instruction" in row) errors.push("use camelCase systemInstruction, not system_instruction");
    errors.push(...onlyKeys(row, ["contents", "systemInstruction", "tools"]));
    const checkParts = (parts: unknown, where: string, textOnly: boolean) => {
      if (!Array.isArray(parts) || parts.length === 0) {
        errors.push(`${where}.parts must be a non-empty list`);
        return;
      }
      parts.forEach((p, i) => {
        const fields = isObj(p) ? Object.keys(p) : [];
        const data = textOnly
          ? ["text"]
          : ["text", "fileData", "inlineData", "functionCall", "functionResponse"];
        if (fields.length !== 1 || !data.includes(fields[0]!)) {
          errors.push(`${where}.parts[${i}] must hold exactly one of ${data.join(", ")}`);
        } else if (fields[0] === "text" && !nonEmpty((p as Json).text)) {
          errors.push(`${where}.parts[${i}].text must be a non-empty string`);
        }
      });
    };
    if ("systemInstruction" in row) {
      const si = row.systemInstruction;
      if (!isObj(si)) errors.push("systemInstruction must be an object {role?, parts: [{text}]}");
      else {
        const extra = Object.keys(si).filter((k) => k !== "role" && k !== "parts");
        if (extra.length) errors.push(`systemInstruction has keys ${extra.join(", ")}`);
        checkParts(si.parts, "systemInstruction", true);
      }
    }
    const contents = row.contents;
    if (!Array.isArray(contents) || contents.length === 0) errors.push("contents must be a non-empty list");
    else {
      contents.forEach((c, i) => {
        const w = `contents[${i}]`;
        if (!isObj(c)) {
          errors.push(`${w} is not an object`);
          return;
        }
        const extra = Object.keys(c).filter((k) => k !== "role" && k !== "parts");
        if (extra.length) errors.push(`${w} has keys ${extra.join(", ")}`);
        const want = i % 2 === 0 ? "user" : "model";
        if (c.role !== "user" && c.role !== "model")
          errors.push(`${w}.role must be "user" or "model" (the assistant is "model")`);
        else if (c.role !== want) errors.push(`${w}.role must be ${want}: turns alternate from user`);
        checkParts(c.parts, w, false);
      });
      const last = contents.at(-1);
      if (isObj(last) && last.role !== "model")
        errors.push("contents must end with a model turn (the target answer)");
    }
    return plain(errors);
  },
  read: {
    order: 30,
    parse: (rec) => {
      const t = Array.isArray(rec.contents) ? turnsOf(rec.contents) : null;
      return t
        ? { system: textIn((rec.systemInstruction as Json | undefined)?.parts) ?? null, turns: t }
        : null;
    },
  },
});
