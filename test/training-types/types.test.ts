import { beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { isSynthforgeError } from "../../src/core/errors.js";
import { sentences } from "../../src/core/text.js";
import { TRAINING_TYPES } from "../../src/core/types.js";
import { EXAMPLE_COLUMNS } from "../../src/storage/schema.js";
import { degrade, FLAWS, introduceFactualError, offlineDegrade } from "../../src/training-types/compose.js";
import type { ExportFormat, GenerationInput, TrainingType } from "../../src/training-types/index.js";
import {
  columnsFromSchema,
  getTrainingType,
  listTrainingTypes,
  validateFormatRow,
} from "../../src/training-types/index.js";
import {
  judgeUndesirable,
  type KtoRow,
  ktoOptionsPolicy,
  parseDesirableRatio,
} from "../../src/training-types/kto.js";
import { OptionBalancer } from "../../src/training-types/options.js";
import { offlineReward } from "../../src/training-types/ppo.js";
import { rankResponses } from "../../src/training-types/rlhf.js";
import { inputFor } from "./helpers.js";

const META = { id: "ex_1", questionId: "q_1", qualityScore: 0.9 };

/** The offline row of a type for an input: generation output → row, as the generate stage does. */
async function offlineRow(type: TrainingType, input: GenerationInput): Promise<Record<string, unknown>> {
  const out = type.generation.outputSchema.parse(type.generation.offline(input));
  return type.generation.toRow(out, input);
}

const BUILT = TRAINING_TYPES.filter((t) => listTrainingTypes().some((x) => x.name === t) && t !== "grpo");

describe("every training type", () => {
  it("is registered, with a title, rubric, hub metadata and at least one exporter", () => {
    for (const name of BUILT) {
      const t = getTrainingType(name);
      expect(t.title.length).toBeGreaterThan(3);
      expect(t.rubric).toMatch(/accuracy/);
      expect(t.hub!.taskCategories.length).toBeGreaterThan(0);
      expect(Object.keys(t.exporters).length).toBeGreaterThan(0);
    }
    expect(BUILT).toEqual(["sft", "dpo", "ppo", "rlhf", "kto", "orpo", "chat", "qa"]);
  });

  it("derives from its row schema exactly the columns its migration made (names, kinds, nullability), all nine", () => {
    for (const name of TRAINING_TYPES)
      expect(columnsFromSchema(name, getTrainingType(name).rowSchema), name).toEqual(EXAMPLE_COLUMNS[name]);
  });

  it("has a row schema whose columns are exactly the storage columns (names and nullability)", () => {
    for (const name of BUILT) {
      const shape = (getTrainingType(name).rowSchema as unknown as z.ZodObject).shape as Record<
        string,
        z.ZodType
      >;
      const cols = EXAMPLE_COLUMNS[name];
      expect(Object.keys(shape).sort(), name).toEqual(cols.map((c) => c.name).sort());
      for (const c of cols)
        expect(shape[c.name]!.safeParse(null).success, `${name}.${c.name} nullable`).toBe(
          Boolean(c.nullable),
        );
    }
  });

  describe.each(BUILT)("%s offline", (name) => {
    let input: GenerationInput;
    let row: Record<string, unknown>;
    beforeAll(async () => {
      input = await inputFor("What is molar mass and how is it used to convert grams to moles?", {
        type: name,
        difficulty: "hard",
      });
      row = await offlineRow(getTrainingType(name), input);
    });

    it("makes a row that fits the schema and the validator", () => {
      const t = getTrainingType(name);
      expect(t.rowSchema.safeParse(row).success).toBe(true);
      expect(t.validate(row)).toEqual([]);
      expect(t.promptText(row).length).toBeGreaterThan(5);
      expect(t.answerText(row).length).toBeGreaterThan(20);
    });

    it("exports the row to every format it lists, each valid under the strict validator", () => {
      const t = getTrainingType(name);
      for (const [format, exporter] of Object.entries(t.exporters)) {
        const line = exporter!(row, META);
        expect(validateFormatRow(format as ExportFormat, line), `${name} → ${format}`).toEqual([]);
      }
    });

    it("grounds its answer in the passages word for word", () => {
      const answer = getTrainingType(name).answerText(row);
      const truth = input.passages.map((p) => p.text).join("\n");
      const firstSentence = answer.split(/(?<=\.)\s/)[0]!;
      expect(truth.replace(/\s+/g, " ")).toContain(firstSentence.replace(/\s+/g, " "));
    });
  });
});

describe("degraded responses (dpo/orpo rejected, kto undesirable, rlhf lower ranks)", () => {
  let input: GenerationInput;
  let good: string;
  beforeAll(async () => {
    input = await inputFor("Explain limiting reagents and how the theoretical yield is found.", {
      difficulty: "medium",
    });
    good = input.passages
      .slice(0, 2)
      .map((p) => p.text)
      .join("\n\n");
  });

  it("introduces a real factual error: one sentence changed, the change stated", () => {
    const e = introduceFactualError(
      "Water boils at 100 °C at sea level. The reaction releases heat and increases entropy.",
    );
    expect(e).not.toBeNull();
    expect(e!.altered).not.toBe(e!.original);
    expect(e!.text).toContain(e!.altered);
    expect(introduceFactualError("No numbers or opposites here at all")).toBeNull();
    const d = degrade(input, good, "factual_error")!;
    expect(d.text).not.toBe(good);
    expect(d.explanation).toMatch(/where the sources say/);
  });

  it("cuts an incomplete answer short and names what it leaves out", () => {
    const d = degrade(input, good, "incomplete")!;
    expect(d.text.length).toBeLessThan(good.length / 2);
    expect(good.startsWith(d.text)).toBe(true);
    expect(d.explanation).toMatch(/leaves out/);
  });

  it("always differs from the good answer and uses only the four stated flaws", () => {
    for (const salt of ["a", "b", "c", "d", "e", "f"]) {
      const d = offlineDegrade(input, good, FLAWS, salt);
      expect(d.text.trim()).not.toBe(good.trim());
      expect(FLAWS).toContain(d.flaw);
    }
  });
});

const pref = (over: Record<string, unknown> = {}) => ({
  prompt: "What is the molar mass of water?",
  chosen: "Water, H2O, has a molar mass of 2(1.008) + 15.999 = 18.02 g/mol.",
  rejected: "Water, H2O, has a molar mass of 36.04 g/mol.",
  chosen_rating: 9,
  rejected_rating: 3,
  rejection_reason: "factual_error",
  rejection_explanation: "It doubles the molar mass.",
  ...over,
});

describe.each(["dpo", "orpo"] as const)("%s validator", (name) => {
  const v = (r: Record<string, unknown>) => getTrainingType(name).validate(r);
  it("accepts a good pair", () => expect(v(pref())).toEqual([]));
  it("rejects rejected equal to chosen (ignoring case and spaces)", () => {
    expect(
      v(pref({ rejected: "  water, H2O, has a molar mass of 2(1.008) + 15.999 = 18.02 G/MOL. " })).join(),
    ).toMatch(/same text as chosen/);
  });
  it("rejects ratings that do not prefer chosen", () => {
    expect(v(pref({ chosen_rating: 4, rejected_rating: 4 })).join()).toMatch(/must be higher/);
    expect(v(pref({ chosen_rating: 11 })).join()).toMatch(/chosen_rating/);
  });
  it("rejects an unstated rejection reason or one that is not a flaw label; takes a label of the dataset's own", () => {
    expect(v(pref({ rejection_reason: "Worse!" })).join()).toMatch(/rejection_reason/);
    expect(v(pref({ rejection_reason: undefined })).join()).toMatch(/rejection_reason/);
    expect(v(pref({ rejection_reason: "calculation_error" })).join()).not.toMatch(/rejection_reason/);
  });
  it("rejects an empty explanation and a chosen that repeats the prompt", () => {
    expect(v(pref({ rejection_explanation: " " })).join()).toMatch(/rejection_explanation is empty/);
    expect(v(pref({ chosen: "What is the molar mass of water?" })).join()).toMatch(/repeats the prompt/);
  });
});

describe("kto", () => {
  const kto = getTrainingType("kto");
  const row = (over: Partial<Record<keyof KtoRow, unknown>> = {}) => ({
    prompt: "What is the molar mass of water?",
    completion: "Water, H2O, has a molar mass of 2(1.008) + 15.999 = 18.02 g/mol.",
    label: true,
    label_reason: "Accurate.",
    ...over,
  });

  it("validates labels strictly: a boolean, and an undesirable row says what is wrong", () => {
    expect(kto.validate(row())).toEqual([]);
    expect(kto.validate(row({ label: false, label_reason: "incomplete: stops early" }))).toEqual([]);
    expect(kto.validate(row({ label: "true" })).join()).toMatch(/label/);
    expect(kto.validate(row({ label: 1 })).join()).toMatch(/label/);
    expect(kto.validate(row({ label: false, label_reason: "bad" })).join()).toMatch(/says what is wrong/);
    expect(kto.validate(row({ label: false, label_reason: null })).join()).toMatch(/says what is wrong/);
    expect(kto.validate(row({ label: false, label_reason: "The molar mass is wrong." }))).toEqual([]);
    expect(kto.validate(row({ label: true, label_reason: "factual_error: wrong" })).join()).toMatch(
      /labelled desirable/,
    );
    expect(kto.validate(row({ completion: "What is the molar mass of water?" })).join()).toMatch(
      /repeats the prompt/,
    );
  });

  it("reads the desirable ratio as a share or as desirable:undesirable, and refuses nonsense", () => {
    expect(parseDesirableRatio(undefined)).toBe(0.5);
    expect(parseDesirableRatio(0.75)).toBe(0.75);
    expect(parseDesirableRatio("3:1")).toBe(0.75);
    expect(parseDesirableRatio("1 : 1")).toBe(0.5);
    for (const bad of [1.5, -0.1, "3/1", "0:0", "lots", Number.NaN]) {
      try {
        parseDesirableRatio(bad);
        expect.unreachable(`accepted ${String(bad)}`);
      } catch (e) {
        expect(isSynthforgeError(e, "CONFIG_INVALID")).toBe(true);
      }
    }
    expect(() => ktoOptionsPolicy.parse({ ratio: 0.5 })).toThrow(/Unknown kto option ratio/);
  });

  it("balances labels to the ratio over the examples a run keeps, skipping dropped ones", () => {
    const opts = ktoOptionsPolicy.parse({ desirableRatio: "3:1" });
    const b = new OptionBalancer(ktoOptionsPolicy, opts);
    const states: Record<string, "kept" | "dropped" | "open"> = {};
    const labels: boolean[] = [];
    for (let i = 0; i < 40; i++) {
      const key = `q${i}`;
      states[key] = "open";
      const o = b.optionsFor({ key, existing: null, state: () => states[key]! });
      labels.push(o.label as boolean);
      // Every fifth candidate is dropped by review; the rest are approved.
      states[key] = i % 5 === 4 ? "dropped" : "kept";
    }
    const kept = labels.filter((_, i) => i % 5 !== 4);
    const share = kept.filter(Boolean).length / kept.length;
    expect(share).toBeGreaterThanOrEqual(0.7);
    expect(share).toBeLessThanOrEqual(0.8);
    const t = b.tallies();
    expect((t.desirable ?? 0) + (t.undesirable ?? 0)).toBe(32);
  });

  it("keeps a revision's label", () => {
    const b = new OptionBalancer(ktoOptionsPolicy, ktoOptionsPolicy.parse({ desirableRatio: 1 }));
    expect(
      b.optionsFor({
        key: "q",
        existing: row({ label: false, label_reason: "incomplete: x y z" }),
        state: () => "open",
      }),
    ).toEqual({ label: false });
    expect(b.optionsFor({ key: "r", existing: null, state: () => "open" })).toEqual({ label: true });
  });

  it("makes undesirable offline completions whose flaw the offline judge can verify", async () => {
    const input = await inputFor("Explain limiting reagents and how the theoretical yield is found.", {
      type: "kto",
      options: { label: false },
    });
    const r = (await offlineRow(kto, input)) as KtoRow;
    expect(r.label).toBe(false);
    expect(kto.validate(r)).toEqual([]);
    const judged = judgeUndesirable(
      {
        difficulty: "medium",
        question: input.question,
        prompt: r.prompt,
        answer: r.completion,
        example: r,
        passages: input.passages,
      },
      r,
    );
    expect(judged.issues).toEqual([]);
    expect(judged.scores.accuracy).toBe(1);
    // A "flawed" completion that is really the grounded answer is caught.
    const fake = {
      ...r,
      completion: input.passages
        .slice(0, 3)
        .map((p) => p.text)
        .join("\n\n"),
      label_reason: "factual_error: claims something wrong",
    };
    const caught = judgeUndesirable(
      {
        difficulty: "medium",
        question: input.question,
        prompt: r.prompt,
        answer: fake.completion,
        example: fake,
        passages: input.passages,
      },
      fake,
    );
    expect(caught.scores.accuracy).toBeLessThan(0.5);
    expect(caught.issues.join()).toMatch(/not shown/);
    // A completion the sources neither back nor refute: its factual error cannot be checked
    // offline, which is not evidence that it is absent.
    const unverifiable = {
      ...r,
      completion: "Yes. Python creates a fresh empty list each time the function is called without it.",
      label_reason: "factual_error: the default list is created once and shared between calls",
    };
    const open = judgeUndesirable(
      {
        difficulty: "medium",
        question: input.question,
        prompt: r.prompt,
        answer: unverifiable.completion,
        example: unverifiable,
        passages: input.passages,
      },
      unverifiable,
    );
    expect(open.issues).toEqual([]);
  });
});

describe("rlhf", () => {
  const rlhf = getTrainingType("rlhf");
  const base = () =>
    rankResponses("What is molar mass?", [
      {
        text: "Molar mass is the mass of one mole of a substance, in grams per mole.",
        rating: 9,
        flaw: "none",
      },
      { text: "It is a mass.", rating: 3, flaw: "incomplete" },
      { text: "Molar mass is the number of atoms in a molecule.", rating: 2, flaw: "factual_error" },
    ]);

  it("ranks by rating and picks best and worst as the preferred pair with their margin", () => {
    const r = base();
    expect(r.responses.map((x) => x.rank)).toEqual([1, 2, 3]);
    expect(r.chosen).toMatch(/grams per mole/);
    expect(r.rejected).toMatch(/number of atoms/);
    expect(r.margin).toBe(7);
    expect(rlhf.validate(r)).toEqual([]);
  });

  it("rejects fewer than two responses, broken ranks, wrong pairs and a wrong margin", () => {
    const r = base();
    expect(rlhf.validate({ ...r, responses: r.responses.slice(0, 1) }).join()).toMatch(/responses/);
    expect(rlhf.validate({ ...r, responses: r.responses.map((x) => ({ ...x, rank: 1 })) }).join()).toMatch(
      /ranks must be 1..3/,
    );
    expect(rlhf.validate({ ...r, chosen: r.responses[1]!.text }).join()).toMatch(/rank-1/);
    expect(rlhf.validate({ ...r, rejected: "something else entirely" }).join()).toMatch(
      /rejected must be one of the responses/,
    );
    expect(rlhf.validate({ ...r, margin: 2 }).join()).toMatch(/margin/);
    const swapped = r.responses.map((x) => (x.rank === 2 ? { ...x, rating: 10 } : x));
    expect(rlhf.validate({ ...r, responses: swapped }).join()).toMatch(/rated higher/);
    expect(
      rlhf.validate({ ...r, responses: [...r.responses, { ...r.responses[2]!, rank: 4 }] }).join(),
    ).toMatch(/same text/);
  });
});

describe("ppo", () => {
  const ppo = getTrainingType("ppo");
  const row = {
    prompt: "What is molar mass?",
    response: "Molar mass is the mass of one mole of a substance, in grams per mole.",
    reward: 0.8,
    reward_rationale: "Accurate but brief; no example.",
  };
  it("accepts a reward in [0, 1] with a rationale, and rejects the rest", () => {
    expect(ppo.validate(row)).toEqual([]);
    expect(ppo.validate({ ...row, reward: 1.5 }).join()).toMatch(/reward/);
    expect(ppo.validate({ ...row, reward: "high" }).join()).toMatch(/reward/);
    expect(ppo.validate({ ...row, reward_rationale: "good" }).join()).toMatch(/reward_rationale/);
    expect(ppo.validate({ ...row, response: "What is molar mass?" }).join()).toMatch(/repeats the prompt/);
  });
  it("rewards a fuller grounded answer more than a one-sentence one", async () => {
    const input = await inputFor("Explain limiting reagents and how the theoretical yield is found.", {
      difficulty: "hard",
    });
    const full = offlineReward(
      input,
      input.passages
        .slice(0, 3)
        .map((p) => p.text)
        .join("\n\n"),
    );
    const short = offlineReward(input, "Limiting reagents matter.");
    expect(full.reward).toBeGreaterThan(short.reward);
    expect(full.rationale).toMatch(/sentences are stated by the sources/);
  });
});

describe("chat", () => {
  const chat = getTrainingType("chat");
  const turn = (i: number) => [
    { role: "user", content: `Question ${i} about molar mass?` },
    { role: "assistant", content: `Answer ${i}: molar mass is the mass of one mole of a substance.` },
  ];
  const conv = (n: number) => Array.from({ length: n }, (_, i) => turn(i)).flat();
  it("accepts 2 to 8 exchanges that alternate and end with the assistant", () => {
    expect(chat.validate({ system: null, messages: conv(2) })).toEqual([]);
    expect(chat.validate({ system: "Be brief.", messages: conv(8) })).toEqual([]);
  });
  it("rejects one exchange, more than eight, broken alternation, a user ending and repeated answers", () => {
    expect(chat.validate({ system: null, messages: conv(1) }).join()).toMatch(/messages/);
    expect(chat.validate({ system: null, messages: conv(9) }).join()).toMatch(/messages/);
    const swapped = conv(2);
    [swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!];
    expect(chat.validate({ system: null, messages: swapped }).join()).toMatch(/must be user/);
    expect(chat.validate({ system: null, messages: [...conv(2), turn(9)[0]!] }).join()).toMatch(
      /end with an assistant/,
    );
    const repeated = conv(2);
    repeated[3] = { ...repeated[1]! };
    expect(chat.validate({ system: null, messages: repeated }).join()).toMatch(/repeats an earlier answer/);
    expect(
      chat
        .validate({ system: null, messages: [...conv(1), { role: "system", content: "x" }, turn(1)[1]!] })
        .join(),
    ).toMatch(/role/);
  });
  it("writes multi-turn conversations offline whose turns are the question's material", async () => {
    const input = await inputFor("What is the ideal gas law and how are moles of gas calculated?", {
      type: "chat",
      difficulty: "hard",
      subTopic: "Gas laws",
    });
    const r = (await offlineRow(chat, input)) as { messages: Array<{ role: string; content: string }> };
    expect(r.messages.length).toBeGreaterThanOrEqual(6);
    expect(r.messages[0]!.content).toBe(input.question);
    const answers = r.messages.filter((m) => m.role === "assistant").map((m) => m.content);
    expect(new Set(answers).size).toBe(answers.length);
    // Every sentence of every turn is word for word from the ground truth.
    const truth = input.passages.map((p) => p.text.replace(/\s+/g, " ")).join("\n");
    for (const a of answers) for (const s of sentences(a)) expect(truth).toContain(s);
  });
});

describe("qa", () => {
  const qa = getTrainingType("qa");
  const row = {
    question: "What is the molar mass of water?",
    reasoning: "Add the atomic weights: 2(1.008) + 15.999 = 18.02 g/mol.",
    answer: "18.02 g/mol",
  };
  it("accepts reasoning plus a short answer and rejects long or missing answers", () => {
    expect(qa.validate(row)).toEqual([]);
    expect(qa.validate({ ...row, answer: "word ".repeat(61) }).join()).toMatch(/keep the final answer short/);
    expect(qa.validate({ ...row, answer: "" }).join()).toMatch(/answer/);
    expect(qa.validate({ ...row, reasoning: "Because." }).join()).toMatch(/reasoning is too short/);
  });
  it("puts the reasoning in <think> and the answer after it", () => {
    const line = qa.exporters["trl-sft-prompt-completion"]!(row, META) as {
      completion: Array<{ content: string }>;
    };
    expect(line.completion[0]!.content).toBe(`<think>\n${row.reasoning}\n</think>\n\n${row.answer}`);
    expect(qa.exporters["trl-grpo"]!(row, META)).toEqual({
      prompt: [{ role: "user", content: row.question }],
      solution: "18.02 g/mol",
    });
  });
});

describe("sft validator", () => {
  it("rejects short or parroted responses", () => {
    const sft = getTrainingType("sft");
    expect(sft.validate({ system: null, prompt: "Define a mole.", response: "short" }).join()).toMatch(
      /too short/,
    );
    expect(
      sft
        .validate({ system: null, prompt: "Define a mole please now", response: "Define a mole please now" })
        .join(),
    ).toMatch(/repeats/);
    expect(
      sft
        .validate({
          system: 3,
          prompt: "Define a mole.",
          response: "A mole is 6.022 × 10^23 entities of a substance.",
        })
        .join(),
    ).toMatch(/system/);
  });
});
