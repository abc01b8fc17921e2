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
  assessResponseSync,
  checkLabelConsistency,
  checkPreferenceConsistency,
  checkRankingConsistency,
  checkRewardConsistency,
  rationalePolarity,
} from "../../src/tools/consistency.js";
import { checkConstantsInText } from "../../src/tools/constants.js";
import {
  balanceEquationTool,
  molarMassTool,
  runPythonTool,
  verifierTools,
} from "../../src/tools/function-tools.js";
import { closeJavaScriptSandbox } from "../../src/tools/js-sandbox.js";
import { closePythonSandbox } from "../../src/tools/python-sandbox.js";
import {
  checkPreferencePair,
  listVerifiers,
  registerVerifier,
  runVerifiers,
  unregisterVerifier,
  type VerifierInput,
} from "../../src/tools/verifiers.js";

afterAll(async () => {
  await closePythonSandbox();
  await closeJavaScriptSandbox();
});

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
  it("does not prefer a one-line echo of the sources over a fuller chosen answer, but does prefer a grounded one of the same size", () => {
    const ps = [
      {
        sourceId: "s1",
        text: "Bats find insects in the dark by echolocation: they emit high-pitched calls and listen for the echoes that bounce back from prey.",
      },
    ];
    // The chosen answer's claims are worded unlike the source; the rejected one repeats its words.
    const fuller =
      "They rely on sound. Each squeak reflects off a moth, and the returning signal tells the bat its distance and direction. The ears work out the rest within milliseconds.";
    const echo = "Bats emit high-pitched calls and listen for the echoes that bounce back from prey.";
    expect(checkPreferencePair(fuller, echo, ps).passed).toBe(true);
    // Same size, one claim each: the grounded one should have been chosen.
    expect(checkPreferencePair("They smell the insects from far away.", echo, ps)).toMatchObject({
      passed: false,
      defect: "ranking_wrong",
    });
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

describe("well-known constants and dates", () => {
  it.each([
    "The speed of light is about 3.00 × 10^8 m/s.",
    "Light travels at roughly 300,000 km/s.",
    "The acceleration due to gravity is 9.81 m/s² at the Earth's surface.",
    "Take g = 9.8 m/s² for this problem.",
    "The acceleration due to gravity on the Moon is 1.62 m/s².",
    "Avogadro's number is 6.022 × 10²³ per mole.",
    "Planck's constant is 6.626 × 10^-34 J·s.",
    "The gas constant R = 8.314 J/(mol·K), or 0.0821 L·atm/(mol·K).",
    "The elementary charge is 1.602 × 10^-19 C.",
    "Absolute zero is −273.15 °C, or 0 K.",
    "Water boils at 100 °C at sea level.",
    "At high altitude water boils at about 90 °C.",
    "The speed of sound in air is about 343 m/s.",
    "The speed of sound in water is about 1,480 m/s.",
    "The density of aluminium is 2,700 kg/m³.",
    "Apollo 11 landed on the Moon in 1969.",
    "World War II began in 1939 and ended in 1945.",
    "The United States entered World War II in 1941.",
    "The Berlin Wall fell in 1989, and Germany reunified in 1990.",
    "Fleming discovered penicillin in 1928, but mass production began in 1942.",
    "t = v0 / g = 20 ÷ 9.81 ≈ 2.04 s",
    // A unit's exponent is not the value (this sentence of the bundled corpus was once flagged as "1").
    "This number, expressed per mole, is the Avogadro constant, NA = 6.02214076 × 10^23 mol−1.",
    // Bond symbols and other constants spelled with the same letters are not the constant.
    "Typical bond enthalpies are C–C 348, C=C 614 and C=O in CO2 799 kJ/mol.",
    "For ammonia, Kb = 1.8 × 10^-5, and Ka × Kb = Kw at 25 °C.",
  ])("accepts %s", (s) => {
    const r = checkConstantsInText(s);
    expect(r === null || r.passed).toBe(true);
  });

  it.each([
    ["The speed of light is 3 × 10^7 m/s.", "wrong_fact"],
    ["The speed of light is about 300,000 m/s.", "wrong_unit"],
    ["The acceleration due to gravity is 8.9 m/s².", "wrong_fact"],
    ["Avogadro's constant is 6.022 × 10^22 per mole.", "wrong_fact"],
    ["The Avogadro constant is NA = 6.022 × 10^22 mol−1.", "wrong_fact"],
    ["Take c = 3 × 10^7 m/s for light.", "wrong_fact"],
    ["Boltzmann's constant is 1.38 × 10^-22 J/K.", "wrong_fact"],
    ["Planck's constant is 6.626 × 10^-32 J s.", "wrong_fact"],
    ["The ideal gas constant is 9.314 J/(mol·K).", "wrong_fact"],
    ["Absolute zero is −237 °C.", "wrong_fact"],
    ["Water boils at 90 °C at sea level.", "wrong_fact"],
    ["Sound travels about one kilometre per second in air.", "wrong_fact"],
    ["Aluminium has a density of about 2.70 kg/m³.", "wrong_unit"],
    ["Neil Armstrong walked on the Moon in 1968.", "wrong_fact"],
    ["World War II ended in 1944.", "wrong_fact"],
    ["The Berlin Wall fell in 1991.", "wrong_fact"],
    ["The Battle of Hastings took place in 1067.", "wrong_fact"],
  ])("flags %s as %s", (s, defect) => {
    const r = checkConstantsInText(s);
    expect(r).toMatchObject({ passed: false, defect });
  });
});

describe("reward and ranking consistency", () => {
  const right = assessResponseSync("The total is $30.00 + $2.40 = $32.40.");
  const wrong = assessResponseSync("The total is $30.00 + $2.40 = $33.40.");
  const unknown = assessResponseSync("A catalyst lowers the activation energy.");

  it("folds the checks of a response into an outcome", () => {
    expect(right).toMatchObject({ wrong: false, verified: true, passedChecks: ["arithmetic"] });
    expect(wrong).toMatchObject({ wrong: true, verified: false, defects: ["wrong_arithmetic"] });
    expect(unknown).toMatchObject({ wrong: false, verified: false });
  });

  it("PPO: a high reward on a wrong response, or a reward its rationale contradicts", () => {
    expect(checkRewardConsistency(0.9, "Accurate and clear.", right).passed).toBe(true);
    expect(checkRewardConsistency(0.2, "The sum is wrong.", wrong).passed).toBe(true);
    expect(checkRewardConsistency(0.9, "Accurate and clear.", wrong)).toMatchObject({
      passed: false,
      defect: "reward_inconsistent",
    });
    expect(
      checkRewardConsistency(0.9, "Incorrect and incomplete; it misses the point.", unknown).passed,
    ).toBe(false);
    expect(checkRewardConsistency(0.1, "Correct, clear and complete.", unknown).passed).toBe(false);
    const balanced = assessResponseSync("6CO2 + 6H2O → C6H12O6 + 6O2 is the overall equation.");
    expect(
      checkRewardConsistency(0.15, "Inaccurate; the equation is not balanced.", balanced).reasons[0],
    ).toMatch(/the chemistry check finds no such fault/);
    expect(rationalePolarity("No errors, clear and complete.")).toBe("positive");
    expect(rationalePolarity("Vague and incomplete.")).toBe("negative");
  });

  it("PPO: a low reward for a factual error the sources refute (they back the response)", async () => {
    const english = [
      {
        sourceId: "s1",
        text: "English is a West Germanic language of the Indo-European language family, most closely related to Frisian, Dutch and German.",
        licence: "CC-BY-SA-4.0",
        permissive: true,
      },
    ];
    const ppo = (response: string, reward: number, rationale: string): VerifierInput => ({
      trainingType: "ppo",
      row: { prompt: "Is English a Romance language?", response, reward, reward_rationale: rationale },
      prompt: "Is English a Romance language?",
      asserted: null,
      allText: response,
      passages: english,
    });
    const reward = async (i: VerifierInput) => (await runVerifiers(i)).find((o) => o.name === "reward");
    const backed =
      "No. English is a West Germanic language, most closely related to Frisian, Dutch and German.";
    expect(await reward(ppo(backed, 0.2, "Incorrect: English is a Romance language."))).toMatchObject({
      passed: false,
      defect: "reward_inconsistent",
    });
    // A fault the sources cannot refute (too short), or a response they do not back, passes.
    expect(await reward(ppo(backed, 0.2, "Too short: it gives no history."))).toMatchObject({ passed: true });
    expect(
      await reward(ppo("Yes, English is a Romance language like French.", 0.1, "Incorrect: it is Germanic.")),
    ).toMatchObject({ passed: true });
  });

  it("KTO: a desirable label on a wrong completion, an undesirable factual error on a verified one", () => {
    expect(checkLabelConsistency(true, "Correct.", right).passed).toBe(true);
    expect(checkLabelConsistency(true, "Correct.", wrong)).toMatchObject({
      passed: false,
      defect: "reward_inconsistent",
    });
    expect(checkLabelConsistency(false, "factual_error: the sum is wrong", wrong).passed).toBe(true);
    expect(checkLabelConsistency(false, "factual_error: the sum is wrong", right).passed).toBe(false);
    expect(checkLabelConsistency(false, "incomplete: no tax breakdown", right).passed).toBe(true);
  });

  it("RLHF and DPO: a wrong response ranked above a right one", () => {
    expect(
      checkRankingConsistency([
        { rank: 1, outcome: right },
        { rank: 2, outcome: wrong },
      ])?.passed,
    ).toBe(true);
    expect(
      checkRankingConsistency([
        { rank: 1, outcome: wrong },
        { rank: 2, outcome: unknown },
        { rank: 3, outcome: right },
      ]),
    ).toMatchObject({ passed: false, defect: "ranking_wrong" });
    expect(checkPreferenceConsistency(wrong, right)).toMatchObject({
      passed: false,
      defect: "ranking_wrong",
    });
    expect(checkPreferenceConsistency(right, wrong).passed).toBe(true);
  });

  it("runs the consistency verifiers on PPO, KTO and RLHF rows", async () => {
    const ppo = {
      prompt: "How much is the bill with tax?",
      response: "The total is $30.00 + $2.40 = $33.40.",
      reward: 0.9,
      reward_rationale: "Correct total, clearly shown.",
    };
    const out = await runVerifiers({ ...input(ppo, ppo.response), trainingType: "ppo" });
    expect(out.find((o) => o.name === "reward")).toMatchObject({
      passed: false,
      defect: "reward_inconsistent",
    });
    // A low reward on the same wrong response is consistent, and its content is not held against the row.
    const low = { ...ppo, reward: 0.2, reward_rationale: "The sum is wrong: it should be $32.40." };
    const lowOut = await runVerifiers({ ...input(low, low.response), trainingType: "ppo" });
    expect(lowOut.filter((o) => !o.passed)).toEqual([]);
    const kto = { prompt: ppo.prompt, completion: ppo.response, label: true, label_reason: "Correct." };
    const ktoOut = await runVerifiers({ ...input(kto, kto.completion), trainingType: "kto" });
    expect(ktoOut.find((o) => o.name === "label")).toMatchObject({
      passed: false,
      defect: "reward_inconsistent",
    });
    const rlhf = {
      prompt: ppo.prompt,
      responses: [
        { text: "The total is $30.00 + $2.40 = $33.40.", rating: 9, rank: 1, flaw: "none" },
        { text: "The total is $30.00 + $2.40 = $32.40.", rating: 6, rank: 2, flaw: "incomplete" },
      ],
      chosen: "The total is $30.00 + $2.40 = $33.40.",
      rejected: "The total is $30.00 + $2.40 = $32.40.",
      margin: 3,
    };
    const rlhfOut = await runVerifiers({ ...input(rlhf, rlhf.chosen), trainingType: "rlhf" });
    expect(rlhfOut.find((o) => o.name === "ranking")).toMatchObject({
      passed: false,
      defect: "ranking_wrong",
    });
    expect(rlhfOut.find((o) => o.name === "preference")).toBeUndefined();
  });
});

describe("a question about when a well-known event happened", () => {
  it("checks the years of the answer against the event", () => {
    const q = "In which year did the Chernobyl nuclear disaster happen?";
    expect(checkConstantsInText("It happened in April 1986, at reactor No. 4.", q)?.passed).toBe(true);
    expect(checkConstantsInText("It happened during a safety test in 1988.", q)).toMatchObject({
      passed: false,
      defect: "wrong_fact",
    });
    expect(
      checkConstantsInText("It happened during a safety test in 1988.", "Describe the RBMK reactor."),
    ).toBeNull();
  });
});
