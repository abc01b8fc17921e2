import { describe, expect, it } from "vitest";
import {
  checkFormatRow,
  EXPORT_FORMATS,
  type ExportFormat,
  FORMAT_DESCRIPTIONS,
  FORMAT_NEEDS,
  FormatFileChecker,
  mergeTypes,
  TypeConflict,
  typeOf,
  validateFormatRow,
  validateJsonLines,
} from "../../src/training-types/formats.js";

const u = (content: string) => ({ role: "user", content });
const a = (content: string) => ({ role: "assistant", content });
const s = (content: string) => ({ role: "system", content });

/** Expects the row to be rejected with a message matching `re`. */
function rejects(format: ExportFormat, row: unknown, re: RegExp): void {
  const errs = checkFormatRow(format, row).errors;
  expect(errs.length, `${format} accepted ${JSON.stringify(row)}`).toBeGreaterThan(0);
  expect(errs.join(" | ")).toMatch(re);
}
const accepts = (format: ExportFormat, row: Record<string, unknown>) =>
  expect(validateFormatRow(format, row), format).toEqual([]);

describe("format registry", () => {
  it("describes every format and what it needs", () => {
    for (const f of EXPORT_FORMATS) {
      expect(FORMAT_DESCRIPTIONS[f].length).toBeGreaterThan(10);
      expect(FORMAT_NEEDS[f].length).toBeGreaterThan(5);
    }
  });
  it("rejects a line that is not a JSON object in every format", () => {
    for (const f of EXPORT_FORMATS) rejects(f, ["a"], /one JSON object/);
  });
});

describe("trl-sft-messages", () => {
  it("accepts a conversation with an optional leading system message", () => {
    accepts("trl-sft-messages", { messages: [u("hi"), a("hello")] });
    accepts("trl-sft-messages", { messages: [s("be brief"), u("hi"), a("hello"), u("more"), a("sure")] });
  });
  it("accepts tool calls with object arguments and tool replies after them", () => {
    accepts("trl-sft-messages", {
      messages: [
        u("weather?"),
        {
          role: "assistant",
          tool_calls: [{ type: "function", function: { name: "get_weather", arguments: { city: "Paris" } } }],
        },
        { role: "tool", name: "get_weather", content: "sunny" },
        a("It is sunny."),
      ],
      tools: [{ type: "function", function: { name: "get_weather", parameters: {} } }],
    });
  });
  it("rejects what TRL would mis-read", () => {
    rejects("trl-sft-messages", { messages: [a("hello")] }, /first turn must be user/);
    rejects("trl-sft-messages", { messages: [u("hi")] }, /end with an assistant/);
    rejects("trl-sft-messages", { messages: [u("hi"), u("again"), a("x")] }, /alternate/);
    rejects("trl-sft-messages", { messages: [u("hi"), s("late"), a("x")] }, /may only come first/);
    rejects("trl-sft-messages", { messages: [s("a"), s("b"), u("hi"), a("x")] }, /may only come first/);
    rejects(
      "trl-sft-messages",
      { messages: [u("hi"), { role: "assistant", content: "x", thinking: "hmm" }] },
      /has keys thinking/,
    );
    rejects("trl-sft-messages", { messages: [u("hi"), a("")] }, /non-empty string/);
    rejects("trl-sft-messages", { messages: [u("hi"), { role: "bot", content: "x" }] }, /not one of/);
    rejects("trl-sft-messages", { messages: [u("hi"), a("x")], prompt: "hi" }, /TRL key columns/);
    rejects(
      "trl-sft-messages",
      { messages: [u("w"), { role: "tool", name: "f", content: "r" }, a("x")] },
      /tool message must follow/,
    );
    rejects(
      "trl-sft-messages",
      {
        messages: [
          u("w"),
          { role: "assistant", tool_calls: [{ type: "function", function: { name: "f", arguments: "{}" } }] },
          { role: "tool", content: "r" },
          a("x"),
        ],
      },
      /arguments must be an object/,
    );
    rejects("trl-sft-messages", { messages: "hi" }, /non-empty list/);
  });
});

describe("trl-sft-prompt-completion", () => {
  it("accepts conversational and standard rows", () => {
    accepts("trl-sft-prompt-completion", { prompt: [u("q")], completion: [a("x")] });
    accepts("trl-sft-prompt-completion", { prompt: "The sky is", completion: " blue." });
  });
  it("rejects mixed formats, prompts ending with the assistant, multi-message completions", () => {
    rejects("trl-sft-prompt-completion", { prompt: "q", completion: [a("x")] }, /both be strings or both/);
    rejects(
      "trl-sft-prompt-completion",
      { prompt: [u("q"), a("x")], completion: [a("y")] },
      /prompt must end with a user or tool/,
    );
    rejects(
      "trl-sft-prompt-completion",
      { prompt: [u("q")], completion: [a("x"), a("y")] },
      /exactly one assistant|alternate/,
    );
    rejects("trl-sft-prompt-completion", { prompt: [u("q")], completion: [u("x")] }, /not one of assistant/);
    rejects("trl-sft-prompt-completion", { prompt: [u("q")] }, /TRL key columns/);
  });
});

describe("trl-dpo / trl-orpo / trl-reward", () => {
  it("accepts explicit and implicit preference rows", () => {
    for (const f of ["trl-dpo", "trl-orpo", "trl-reward"] as const) {
      accepts(f, { prompt: [u("q")], chosen: [a("good")], rejected: [a("bad")] });
      accepts(f, { prompt: "q", chosen: "good", rejected: "bad" });
      accepts(f, { chosen: [u("q"), a("good")], rejected: [u("q"), a("bad")] });
    }
    accepts("trl-reward", { chosen: [u("q"), a("good")], rejected: [u("q"), a("bad")], margin: 3 });
  });
  it("warns about implicit prompts for DPO but not for the reward trainer", () => {
    const row = { chosen: [u("q"), a("good")], rejected: [u("q"), a("bad")] };
    expect(checkFormatRow("trl-dpo", row).warnings.join()).toMatch(/explicit prompt/);
    expect(checkFormatRow("trl-reward", row).warnings).toEqual([]);
  });
  it("rejects identical pairs, mixed formats, bad key sets, no shared prompt and non-numeric margins", () => {
    rejects("trl-dpo", { prompt: "q", chosen: "same", rejected: " same " }, /identical/);
    rejects(
      "trl-dpo",
      { prompt: "q", chosen: [a("x")], rejected: [a("y")] },
      /all be strings or all be message lists/,
    );
    rejects("trl-dpo", { prompt: "q", chosen: "x", rejected: "y", completion: "z" }, /TRL key columns/);
    rejects("trl-dpo", { prompt: "q", chosen: "x" }, /TRL key columns/);
    rejects("trl-dpo", { chosen: [u("q1"), a("x")], rejected: [u("q2"), a("y")] }, /share a prompt prefix/);
    rejects(
      "trl-orpo",
      { prompt: [u("q"), a("prefill")], chosen: [a("x")], rejected: [a("y")] },
      /prompt must end with a user/,
    );
    rejects(
      "trl-reward",
      { chosen: [u("q"), a("x")], rejected: [u("q"), a("y")], margin: "3" },
      /margin must be a finite number/,
    );
  });
});

describe("trl-kto", () => {
  it("accepts boolean labels only", () => {
    accepts("trl-kto", { prompt: [u("q")], completion: [a("x")], label: false });
    accepts("trl-kto", { prompt: "q", completion: "x", label: true });
    rejects("trl-kto", { prompt: "q", completion: "x", label: "true" }, /JSON boolean/);
    rejects("trl-kto", { prompt: "q", completion: "x", label: 1 }, /JSON boolean/);
    rejects("trl-kto", { prompt: "q", completion: "x" }, /TRL key columns/);
    rejects("trl-kto", { prompt: "q", completion: [a("x")], label: true }, /both be strings/);
  });
});

describe("trl-prompt-only and trl-grpo", () => {
  it("prompt-only: string or a prompt ending with the user; no other TRL keys; warns on conversational", () => {
    accepts("trl-prompt-only", { prompt: "Explain moles.", reward: 0.5 });
    expect(checkFormatRow("trl-prompt-only", { prompt: [u("q")] }).warnings.join()).toMatch(/plain string/);
    rejects("trl-prompt-only", { prompt: "q", completion: "x" }, /TRL key columns/);
    rejects("trl-prompt-only", { prompt: "" }, /non-empty/);
    rejects("trl-prompt-only", { prompt: [u("q"), a("x")] }, /end with a user or tool/);
  });
  it("grpo: answer columns must be non-empty and avoid reward-function keyword names", () => {
    accepts("trl-grpo", { prompt: [u("What is 2+2?")], solution: "4" });
    expect(checkFormatRow("trl-grpo", { prompt: "q" }).warnings.join()).toMatch(/no answer column/);
    for (const name of [
      "prompts",
      "completions",
      "completion_ids",
      "trainer_state",
      "log_extra",
      "log_metric",
      "environments",
    ]) {
      rejects("trl-grpo", { prompt: "q", [name]: "x" }, /collides with a keyword/);
    }
    rejects("trl-grpo", { prompt: "q", completion: "x" }, /TRL key columns|collides/);
    rejects("trl-grpo", { prompt: "q", solution: "" }, /must not be null or empty/);
    rejects("trl-grpo", { prompt: "q", solution: null }, /must not be null or empty/);
  });
});

describe("openai-chat", () => {
  it("accepts chat rows with weights and OpenAI tool calls", () => {
    accepts("openai-chat", { messages: [s("x"), u("q"), { role: "assistant", content: "a", weight: 1 }] });
    accepts("openai-chat", {
      messages: [
        u("weather?"),
        {
          role: "assistant",
          tool_calls: [
            {
              id: "call_1",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "sunny" },
        a("Sunny."),
      ],
    });
  });
  it("rejects extra keys, bad weights, unmatched tool ids, non-JSON arguments, all-zero weights", () => {
    rejects("openai-chat", { messages: [u("q"), a("a")], id: 3 }, /unexpected keys id/);
    rejects(
      "openai-chat",
      { messages: [u("q"), { role: "assistant", content: "a", weight: 0.5 }] },
      /weight must be 0 or 1/,
    );
    rejects(
      "openai-chat",
      { messages: [{ role: "user", content: "q", weight: 1 }, a("a")] },
      /has keys weight/,
    );
    rejects(
      "openai-chat",
      { messages: [u("q"), { role: "assistant", content: "a", weight: 0 }] },
      /nothing would be trained/,
    );
    rejects(
      "openai-chat",
      {
        messages: [
          u("w"),
          {
            role: "assistant",
            tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{" } }],
          },
          { role: "tool", tool_call_id: "c2", content: "r" },
          a("x"),
        ],
      },
      /not valid JSON.*|matches no earlier tool call/,
    );
    rejects(
      "openai-chat",
      {
        messages: [
          u("w"),
          {
            role: "assistant",
            tool_calls: [{ type: "function", function: { name: "bad name!", arguments: "{}" } }],
          },
          a("x"),
        ],
      },
      /id is required|name must match/,
    );
    rejects("openai-chat", { messages: [u("q")] }, /end with an assistant/);
  });
});

describe("openai-dpo", () => {
  const good = {
    input: { messages: [u("q")] },
    preferred_output: [a("good")],
    non_preferred_output: [a("bad")],
  };
  it("accepts the July 2025 shape", () => accepts("openai-dpo", good));
  it("rejects the old names, multi-message outputs, identical outputs and prompts ending with the assistant", () => {
    rejects(
      "openai-dpo",
      { input: good.input, preferred_completion: [a("x")], non_preferred_completion: [a("y")] },
      /old names/,
    );
    rejects("openai-dpo", { ...good, preferred_output: [a("x"), a("y")] }, /exactly one assistant|alternate/);
    rejects("openai-dpo", { ...good, non_preferred_output: [a("good")] }, /identical/);
    rejects("openai-dpo", { ...good, input: { messages: [u("q"), a("x")] } }, /end with a user or tool/);
    rejects("openai-dpo", { ...good, input: [u("q")] }, /input must be an object/);
    rejects("openai-dpo", { ...good, preferred_output: a("x") }, /non-empty list/);
  });
});

describe("openai-rft", () => {
  it("accepts developer + user messages with grader fields, warns without them", () => {
    accepts("openai-rft", {
      messages: [{ role: "developer", content: "Answer." }, u("2+2?")],
      reference_answer: "4",
    });
    expect(checkFormatRow("openai-rft", { messages: [u("2+2?")] }).warnings.join()).toMatch(
      /no grader fields/,
    );
  });
  it("rejects system roles, assistant endings and empty grader fields", () => {
    rejects("openai-rft", { messages: [s("x"), u("q")], reference_answer: "4" }, /developer/);
    rejects("openai-rft", { messages: [u("q"), a("4")], reference_answer: "4" }, /end with the user turn/);
    rejects("openai-rft", { messages: [u("q")], reference_answer: "" }, /must not be empty/);
  });
});

describe("vertex-sft", () => {
  const row = {
    systemInstruction: { role: "system", parts: [{ text: "Be brief." }] },
    contents: [
      { role: "user", parts: [{ text: "q" }] },
      { role: "model", parts: [{ text: "a" }] },
    ],
  };
  it("accepts user/model turns with text parts", () => accepts("vertex-sft", row));
  it("rejects assistant roles, snake_case keys, user endings and parts with two fields", () => {
    rejects(
      "vertex-sft",
      {
        contents: [
          { role: "user", parts: [{ text: "q" }] },
          { role: "assistant", parts: [{ text: "a" }] },
        ],
      },
      /"model"/,
    );
    rejects("vertex-sft", { ...row, system_instruction: row.systemInstruction }, /camelCase/);
    rejects("vertex-sft", { contents: [{ role: "user", parts: [{ text: "q" }] }] }, /end with a model turn/);
    rejects("vertex-sft", { contents: [{ role: "model", parts: [{ text: "a" }] }] }, /must be user/);
    rejects(
      "vertex-sft",
      {
        contents: [
          { role: "user", parts: [{ text: "q", inlineData: {} }] },
          { role: "model", parts: [{ text: "a" }] },
        ],
      },
      /exactly one of/,
    );
    rejects(
      "vertex-sft",
      { ...row, systemInstruction: { parts: [{ fileData: {} }] } },
      /exactly one of text/,
    );
  });
});

describe("alpaca", () => {
  it("accepts instruction/input/output/system/history and rejects the rest", () => {
    accepts("alpaca", { instruction: "q", input: "", output: "a", system: "s", history: [["q0", "a0"]] });
    rejects("alpaca", { instruction: "", output: "a" }, /instruction must be a non-empty/);
    rejects("alpaca", { instruction: "q", output: "a", history: [["only one"]] }, /history/);
    rejects("alpaca", { instruction: "q", output: "a", chosen: "x" }, /unexpected keys chosen/);
  });
});

describe("sharegpt", () => {
  const conv = [
    { from: "human", value: "q" },
    { from: "gpt", value: "a" },
  ];
  it("accepts the SFT, preference and KTO variants", () => {
    accepts("sharegpt", { conversations: conv, system: "s" });
    accepts("sharegpt", {
      conversations: [{ from: "human", value: "q" }],
      chosen: { from: "gpt", value: "good" },
      rejected: { from: "gpt", value: "bad" },
    });
    accepts("sharegpt", { conversations: conv, kto_tag: false });
    accepts("sharegpt", { conversations: conv, tools: '[{"type":"function","function":{"name":"f"}}]' });
  });
  it("rejects what LLaMA-Factory would silently drop", () => {
    rejects(
      "sharegpt",
      {
        conversations: [
          { from: "gpt", value: "a" },
          { from: "human", value: "q" },
        ],
      },
      /turn 0 must be human/,
    );
    rejects("sharegpt", { conversations: [{ from: "human", value: "q" }] }, /even number of turns/);
    rejects(
      "sharegpt",
      { conversations: conv, chosen: { from: "gpt", value: "x" }, rejected: { from: "gpt", value: "y" } },
      /odd number of turns/,
    );
    rejects(
      "sharegpt",
      {
        conversations: [{ from: "human", value: "q" }],
        chosen: { from: "gpt", value: "x" },
        rejected: { from: "gpt", value: "x" },
      },
      /identical/,
    );
    rejects(
      "sharegpt",
      {
        conversations: [{ from: "human", value: "q" }],
        chosen: { from: "human", value: "x" },
        rejected: { from: "gpt", value: "y" },
      },
      /chosen must be/,
    );
    rejects("sharegpt", { conversations: conv, kto_tag: "true" }, /kto_tag must be a JSON boolean/);
    rejects(
      "sharegpt",
      { conversations: [{ from: "human", value: "q", weight: 1 }, conv[1]] },
      /exactly the keys from and value/,
    );
    rejects("sharegpt", { conversations: [{ from: "user", value: "q" }, conv[1]] }, /not one of/);
    rejects("sharegpt", { conversations: conv, tools: [{ type: "function" }] }, /JSON string/);
    rejects(
      "sharegpt",
      { conversations: [conv[0], { from: "function_call", value: "not json" }] },
      /function_call value must be JSON/,
    );
  });
  it("warns when Unsloth cannot read the roles", () => {
    const row = {
      conversations: [
        conv[0],
        { from: "function_call", value: '{"name":"f","arguments":{}}' },
        { from: "observation", value: "r" },
        { from: "gpt", value: "a" },
      ],
    };
    const res = checkFormatRow("sharegpt", row);
    expect(res.errors).toEqual([]);
    expect(res.warnings.join()).toMatch(/Unsloth/);
  });
});

describe("Arrow types and file-level rules", () => {
  it("merges types like pyarrow: null fits anywhere, ints widen to floats, structs union their fields", () => {
    expect(mergeTypes(typeOf(null), typeOf("x"))).toEqual({ kind: "string" });
    expect(mergeTypes(typeOf(1), typeOf(1.5))).toEqual({ kind: "float" });
    expect(mergeTypes(typeOf({ a: 1 }), typeOf({ b: "x" }))).toEqual({
      kind: "struct",
      fields: { a: { kind: "int" }, b: { kind: "string" } },
    });
    expect(() => mergeTypes(typeOf({ c: "x" }), typeOf({ c: ["x"] }))).toThrow(TypeConflict);
    expect(() => mergeTypes(typeOf([{ content: "x" }]), typeOf([{ content: [{ type: "text" }] }]))).toThrow(
      /\[\]\.content changed from string to list/,
    );
  });

  it("fails a row whose column changes type, and a file that mixes TRL formats or ShareGPT variants", () => {
    const c = new FormatFileChecker("trl-grpo");
    expect(c.add({ prompt: "q", solution: "4" })).toEqual([]);
    expect(c.add({ prompt: "q", solution: 4 }).join()).toMatch(/solution changed from string to int/);
    const t = new FormatFileChecker("trl-dpo");
    expect(t.add({ prompt: "q", chosen: "x", rejected: "y" })).toEqual([]);
    expect(t.add({ prompt: [u("q")], chosen: [a("x")], rejected: [a("y")] }).join()).toMatch(
      /one TRL format per file|changed from string to list/,
    );
    const g = new FormatFileChecker("sharegpt");
    expect(
      g.add({
        conversations: [
          { from: "human", value: "q" },
          { from: "gpt", value: "a" },
        ],
      }),
    ).toEqual([]);
    expect(
      g
        .add({
          conversations: [
            { from: "human", value: "q" },
            { from: "gpt", value: "a" },
          ],
          kto_tag: true,
        })
        .join(),
    ).toMatch(/one ShareGPT variant per file/);
  });

  it("warns when every KTO label is the same", () => {
    const c = new FormatFileChecker("trl-kto");
    c.add({ prompt: "q", completion: "x", label: true });
    c.add({ prompt: "r", completion: "y", label: true });
    expect(c.finish().join()).toMatch(/every label is true/);
  });

  it("validates JSON Lines text: arrays, broken JSON, empty lines and line numbers", async () => {
    const arr = await validateJsonLines("alpaca", ['[{"instruction":"q","output":"a"}]']);
    expect(arr.errors[0]!.message).toMatch(/JSON array, not JSON Lines/);
    const res = await validateJsonLines("alpaca", [
      '{"instruction":"q","output":"a"}',
      "{oops",
      "",
      '{"instruction":"q"}',
    ]);
    expect(res.errors.map((e) => e.line)).toEqual([2, 3, 4]);
    expect(res.errors[2]!.message).toMatch(/output must be a non-empty string/);
    expect(res.columns).toEqual({ instruction: "string", output: "string" });
  });
});
