import { allRules, bothKtoLabels, checkTools } from "./checks.js";
import {
  defineFormat,
  isObj,
  isStr,
  type Json,
  nonEmpty,
  onlyKeys,
  type ParsedRecord,
  type RowCheck,
  textOf,
} from "./define.js";
import { lastAssistant, splitSystem, textIn, turnsOf } from "./read.js";

const SHAREGPT_TAGS = ["human", "gpt", "observation", "function_call", "system"];

/** Which ShareGPT variant a row is. */
export function sharegptVariant(row: Json): "sft" | "preference" | "kto" {
  if ("chosen" in row || "rejected" in row) return "preference";
  if ("kto_tag" in row) return "kto";
  return "sft";
}

function checkShareGpt(row: Json): RowCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  const variant = sharegptVariant(row);
  errors.push(
    ...onlyKeys(row, [
      "conversations",
      "system",
      "tools",
      ...(variant === "preference" ? ["chosen", "rejected"] : []),
      ...(variant === "kto" ? ["kto_tag"] : []),
    ]),
  );
  if ("chosen" in row !== "rejected" in row) errors.push("a preference row needs both chosen and rejected");
  if (variant === "preference" && "kto_tag" in row)
    errors.push("a row is either preference (chosen/rejected) or KTO (kto_tag), not both");
  if ("system" in row && !isStr(row.system)) errors.push("system must be a string");
  if ("tools" in row) {
    if (!isStr(row.tools)) errors.push("tools must be a JSON string (LLaMA-Factory json.loads it)");
    else errors.push(...checkTools(row.tools, "tools", { allowString: true }));
  }
  if (variant === "kto" && typeof row.kto_tag !== "boolean")
    errors.push("kto_tag must be a JSON boolean (true/false), not a string or number");
  const conv = row.conversations;
  if (!Array.isArray(conv) || conv.length === 0) {
    errors.push("conversations must be a non-empty list of {from, value} turns");
    return { errors, warnings };
  }
  const turnErrs: string[] = [];
  conv.forEach((t, i) => {
    if (!isObj(t) || Object.keys(t).sort().join(",") !== "from,value") {
      turnErrs.push(`conversations[${i}] must have exactly the keys from and value`);
      return;
    }
    if (!isStr(t.from) || !SHAREGPT_TAGS.includes(t.from))
      turnErrs.push(`conversations[${i}].from "${String(t.from)}" is not one of ${SHAREGPT_TAGS.join("/")}`);
    if (!nonEmpty(t.value)) turnErrs.push(`conversations[${i}].value must be a non-empty string`);
    if (t.from === "function_call" && isStr(t.value)) {
      try {
        const v = JSON.parse(t.value);
        if (!isObj(v) || !isStr(v.name) || !("arguments" in v)) throw new Error("shape");
      } catch {
        turnErrs.push(`conversations[${i}]: a function_call value must be JSON {"name", "arguments"}`);
      }
    }
  });
  errors.push(...turnErrs);
  if (turnErrs.length) return { errors, warnings };
  const turns = conv as Array<{ from: string; value: string }>;
  const body = turns[0]!.from === "system" ? turns.slice(1) : turns;
  if (turns[0]!.from === "system" && "system" in row)
    errors.push("give the system prompt either as a first system turn or as the system column, not both");
  body.forEach((t, i) => {
    if (t.from === "system") errors.push(`conversations: a system turn may only come first`);
    else if (i % 2 === 0 && t.from !== "human" && t.from !== "observation")
      errors.push(`conversations: turn ${i} must be human or observation, got ${t.from}`);
    else if (i % 2 === 1 && t.from !== "gpt" && t.from !== "function_call")
      errors.push(`conversations: turn ${i} must be gpt or function_call, got ${t.from}`);
  });
  if (variant === "preference") {
    if (body.length % 2 !== 1)
      errors.push(`a preference row needs an odd number of turns ending with human (got ${body.length})`);
    for (const k of ["chosen", "rejected"]) {
      const v = row[k];
      if (
        !isObj(v) ||
        Object.keys(v).sort().join(",") !== "from,value" ||
        v.from !== "gpt" ||
        !nonEmpty(v.value)
      ) {
        errors.push(`${k} must be {"from": "gpt", "value": non-empty string}`);
      }
    }
    if (isObj(row.chosen) && isObj(row.rejected) && textOf(row.chosen.value) === textOf(row.rejected.value))
      errors.push("chosen and rejected are identical");
  } else if (body.length % 2 !== 0) {
    errors.push(
      `an ${variant === "kto" ? "KTO" : "SFT"} row needs an even number of turns ending with gpt (got ${body.length})`,
    );
  }
  if (turns.some((t) => t.from === "observation" || t.from === "function_call")) {
    warnings.push("Unsloth's standardize_sharegpt cannot read observation/function_call turns");
  }
  return { errors, warnings };
}

/**
 * LLaMA-Factory sharegpt: `{conversations: [{from, value}]}`, plus `chosen`/`rejected`
 * (preference, `ranking: true`) or `kto_tag` (KTO).
 */
export const sharegpt = defineFormat({
  id: "sharegpt",
  description: "LLaMA-Factory sharegpt: {conversations:[{from,value}]} (+ chosen/rejected or kto_tag)",
  needs: "a conversation (or a conversation plus a chosen/rejected pair, or a KTO tag)",
  trainer: "LLaMA-Factory (`formatting: sharegpt`)",
  check: checkShareGpt,
  // One variant per file (LLaMA-Factory reads a dataset as one kind); a KTO file with both tags.
  fileRules: () => {
    let variant: string | null = null;
    return allRules(
      {
        add(row) {
          const v = sharegptVariant(row);
          variant ??= v;
          return variant === v
            ? []
            : [
                `this row is a ${v} row but earlier rows are ${variant} rows: use one ShareGPT variant per file`,
              ];
        },
      },
      bothKtoLabels((row) => (typeof row.kto_tag === "boolean" ? row.kto_tag : undefined)),
    );
  },
  read: {
    order: 20,
    parse: (rec) => {
      const t = Array.isArray(rec.conversations) ? turnsOf(rec.conversations) : null;
      if (!t) return null;
      const s = splitSystem(t);
      const out: Omit<ParsedRecord, "format"> = {
        system: typeof rec.system === "string" ? rec.system : s.system,
        turns: s.turns,
      };
      if (rec.chosen !== undefined && rec.rejected !== undefined) {
        const c = lastAssistant(rec.chosen) ?? textIn(rec.chosen);
        const r = lastAssistant(rec.rejected) ?? textIn(rec.rejected);
        if (c && r) Object.assign(out, { chosen: c, rejected: r });
      }
      if (typeof rec.kto_tag === "boolean") out.label = rec.kto_tag;
      return out;
    },
  },
});
