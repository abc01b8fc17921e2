import {
  BaseLlm,
  type BaseLlmConnection,
  InMemoryRunner,
  LlmAgent,
  type LlmRequest,
  type LlmResponse,
} from "@google/adk";
import { afterAll, describe, expect, it } from "vitest";
import {
  balanceEquationTool,
  molarMassTool,
  runPythonTool,
  verifierTools,
} from "../../src/tools/function-tools.js";
import { closePythonSandbox } from "../../src/tools/python-sandbox.js";
import {
  checkPreferencePair,
  listVerifiers,
  registerVerifier,
  runVerifiers,
  unregisterVerifier,
  type VerifierInput,
} from "../../src/tools/verifiers.js";

afterAll(() => closePythonSandbox());

const passages = [
  {
    sourceId: "s1",
    text: "A catalyst increases the rate of a reaction by providing a pathway with a lower activation energy, and the catalyst is not consumed by the reaction.",
    permissive: true,
  },
];
const input = (row: Record<string, unknown>, asserted: string | null): VerifierInput => ({
  trainingType: "sft",
  row,
  prompt: "How does a catalyst work?",
  asserted,
  allText: [asserted ?? "", ...Object.values(row).filter((v): v is string => typeof v === "string")].join(
    "\n",
  ),
  passages,
});

describe("verifier registry", () => {
  it("registers the default verifiers with their weights", () => {
    const byName = Object.fromEntries(listVerifiers().map((v) => [v.name, v.weight]));
    expect(byName).toMatchObject({
      verbatim: 1,
      pii: 1,
      toxicity: 1,
      arithmetic: 0.6,
      chemistry: 0.6,
      latex: 0.3,
      code: 1,
      sql: 1,
      answer: 1,
      program: 1,
      preference: 1,
    });
  });

  it("runs only the verifiers that apply", async () => {
    const out = await runVerifiers(
      input(
        { response: "A catalyst lowers the activation energy." },
        "A catalyst lowers the activation energy.",
      ),
    );
    expect(out.map((o) => o.name)).toEqual(["pii", "toxicity"]);
  });

  it("does not fault a deliberately bad answer for its flaw (asserted = null)", async () => {
    const out = await runVerifiers(input({ completion: "3 + 4 = 8" }, null));
    expect(out.map((o) => o.name)).not.toContain("arithmetic");
  });

  it("takes a host's own verifier, and reports one that throws as a failed check", async () => {
    registerVerifier({
      name: "host-check",
      description: "test",
      weight: 0.5,
      run: () => ({ name: "host-check", passed: false, score: 0.2, reasons: ["not house style"] }),
    });
    registerVerifier({
      name: "broken",
      description: "test",
      weight: 1,
      run: () => {
        throw new Error("kaboom");
      },
    });
    try {
      const out = await runVerifiers(input({}, "fine text"));
      expect(out.find((o) => o.name === "host-check")).toMatchObject({
        passed: false,
        weight: 0.5,
        reasons: ["not house style"],
      });
      expect(out.find((o) => o.name === "broken")?.reasons[0]).toBe("the broken check could not run: kaboom");
    } finally {
      unregisterVerifier("host-check");
      unregisterVerifier("broken");
    }
    expect(() => registerVerifier({ name: "Bad Name", description: "", weight: 1, run: () => null })).toThrow(
      /lower-case/,
    );
    expect(() => registerVerifier({ name: "w", description: "", weight: 2, run: () => null })).toThrow(
      /weight must be in \[0, 1\]/,
    );
  });

  it("checks GRPO rows: the answer agrees with the solution as is_correct says, and the program prints it", async () => {
    const row = {
      prompt: "p",
      code: "print(round(36.03 / 18.015, 2))",
      predicted_answer: "2.0",
      solution: "2.0",
      is_correct: true,
    };
    const ok = await runVerifiers({ ...input(row, "Step 1: ..."), trainingType: "grpo" });
    expect(ok.filter((o) => o.name === "answer" || o.name === "program").map((o) => o.passed)).toEqual([
      true,
      true,
    ]);
    const lie = await runVerifiers({
      ...input({ ...row, predicted_answer: "2.5" }, "Step 1"),
      trainingType: "grpo",
    });
    expect(lie.find((o) => o.name === "answer")?.reasons[0]).toMatch(
      /is_correct is true but the predicted answer differs from the solution/,
    );
    expect(lie.find((o) => o.name === "program")?.passed).toBe(false);
  });
});

describe("preference pairs", () => {
  const good =
    "A catalyst increases the rate of a reaction by providing a pathway with a lower activation energy, and the catalyst is not consumed by the reaction.";
  const bad =
    "A catalyst increases the rate of a reaction by heating the mixture, and the catalyst is consumed by the reaction.";
  it("accepts a pair whose chosen response is the better one", () => {
    expect(checkPreferencePair(good, bad, passages).passed).toBe(true);
  });
  it("rejects a swapped pair, and a pair of identical responses", () => {
    const r = checkPreferencePair(bad, good, passages);
    expect(r.passed).toBe(false);
    expect(r.reasons[0]).toMatch(/look swapped/);
    expect(checkPreferencePair(good, `${good} `, passages).reasons[0]).toMatch(/the same text/);
  });
  it("uses computations when there are no passages", () => {
    expect(
      checkPreferencePair("2 + 2 = 5, so the answer is five.", "2 + 2 = 4, so the answer is four.", [])
        .passed,
    ).toBe(false);
  });
});

describe("ADK function tools", () => {
  it("declares every tool with a zod-derived schema", () => {
    const names = verifierTools().map((t) => t.name);
    expect(names).toEqual([
      "run_python",
      "run_javascript",
      "check_math_answer",
      "symbolic_equivalent",
      "check_latex",
      "molar_mass",
      "balance_equation",
      "stoichiometry",
      "convert_units",
      "run_sql",
      "check_code",
      "make_bad_code",
      "verbatim_overlap",
      "screen_text",
    ]);
    const decl = balanceEquationTool._getDeclaration();
    expect(decl.name).toBe("balance_equation");
    expect(JSON.stringify(decl.parameters ?? decl.parametersJsonSchema)).toContain("equation");
  });

  it("runs a tool directly and validates its arguments", async () => {
    expect(
      await runPythonTool.runAsync({ args: { code: "print(6 * 7)" }, toolContext: {} as never }),
    ).toMatchObject({ ok: true, stdout: "42\n" });
    expect(
      await balanceEquationTool.runAsync({ args: { equation: "H2 + O2 -> H2O" }, toolContext: {} as never }),
    ).toMatchObject({ balanced: false, balanced_form: "2H2 + O2 → 2H2O" });
  });

  it("is called by an ADK agent, and its result goes back to the model", async () => {
    class CallsMolarMass extends BaseLlm {
      seen: unknown = null;
      constructor() {
        super({ model: "test-tool-caller" });
      }
      override async *generateContentAsync(req: LlmRequest): AsyncGenerator<LlmResponse, void> {
        const last = req.contents.at(-1)?.parts?.find((p) => p.functionResponse);
        if (last?.functionResponse) {
          this.seen = last.functionResponse.response;
          yield { content: { role: "model", parts: [{ text: "done" }] } };
          return;
        }
        yield {
          content: {
            role: "model",
            parts: [{ functionCall: { name: "molar_mass", args: { formula: "CuSO4·5H2O" } } }],
          },
        };
      }
      override connect(): Promise<BaseLlmConnection> {
        throw new Error("no live");
      }
    }
    const model = new CallsMolarMass();
    const agent = new LlmAgent({
      name: "chemist",
      model,
      instruction: "Use the tool.",
      tools: [molarMassTool],
    });
    const runner = new InMemoryRunner({ agent, appName: "t" });
    for await (const _ of runner.runEphemeral({
      userId: "u",
      newMessage: { role: "user", parts: [{ text: "molar mass?" }] },
    })) {
      // drain
    }
    expect(model.seen).toMatchObject({
      formula: "CuSO4·5H2O",
      atoms: { Cu: 1, S: 1, O: 9, H: 10 },
      charge: 0,
    });
    expect((model.seen as { molarMass: number }).molarMass).toBeCloseTo(249.68, 1);
  });

  it("explains bad input (inside an agent ADK hands the message back to the model)", async () => {
    const r = await molarMassTool
      .runAsync({ args: { formula: "Xx" }, toolContext: {} as never })
      .catch((e: unknown) => e);
    expect(String(r)).toMatch(
      /Error in tool 'molar_mass': Cannot read the formula "Xx": "Xx" is not an element symbol/,
    );
    await expect(runPythonTool.runAsync({ args: { code: 42 }, toolContext: {} as never })).rejects.toThrow(
      /run_python/,
    );
  });
});
