import { describe, expect, it } from "vitest";
import { isSynthforgeError } from "../../src/core/errors.js";
import {
  languageCode,
  parseCount,
  parseRequest,
  parseTrainingType,
  readRequest,
  wordsToNumber,
} from "../../src/core/request.js";

describe("parseRequest", () => {
  it("reads count, type and topic from the issue's example", () => {
    expect(parseRequest("Generate 10 SFT examples about organic chemistry")).toEqual({
      count: 10,
      trainingType: "sft",
      topic: "organic chemistry",
    });
  });

  it("reads other phrasings", () => {
    expect(parseRequest("Generate 100 GRPO examples for chemistry reasoning problems")).toEqual({
      count: 100,
      trainingType: "grpo",
      topic: "chemistry reasoning problems",
    });
    expect(parseRequest("I need 1,000 preference pairs on contract law.")).toMatchObject({
      count: 1000,
      trainingType: "dpo",
      topic: "contract law",
    });
    expect(parseRequest("twenty multi-turn conversations about statistics")).toMatchObject({
      count: 20,
      trainingType: "chat",
      topic: "statistics",
    });
    expect(parseRequest("2k reward model comparisons covering python")).toMatchObject({
      count: 2000,
      trainingType: "rlhf",
      topic: "python",
    });
  });

  it("leaves out what the request does not say", () => {
    expect(parseRequest("Make some data")).toEqual({});
    expect(parseRequest("Generate SFT data about biology")).toEqual({
      trainingType: "sft",
      topic: "biology",
    });
  });

  it.each([
    ["Generate 0 SFT examples about x", "INVALID_COUNT"],
    ["Generate -5 SFT examples about x", "INVALID_COUNT"],
    ["Generate 5000000 SFT examples about x", "INVALID_COUNT"],
    ["Generate 10 XYZ examples about x", "UNKNOWN_TRAINING_TYPE"],
  ])("rejects %s with %s", (text, code) => {
    expect(() => parseRequest(text)).toThrow();
    try {
      parseRequest(text);
    } catch (e) {
      expect(isSynthforgeError(e, code as never)).toBe(true);
    }
  });

  it("accepts absurd counts with force", () => {
    expect(parseRequest("Generate 5000000 SFT examples about x", { force: true }).count).toBe(5_000_000);
  });
});

/**
 * A labelled table of requests written as a user would type them, with what a person reads
 * in each: count, training type, topic and constraints. A field left out of a label must
 * be absent from the reading.
 */
type Label = {
  count?: number;
  trainingType?: string;
  topic?: string;
  audience?: string;
  language?: string;
  style?: string;
  mustInclude?: string[];
};
const LABELLED: Array<[string, Label]> = [
  [
    "Generate 10 SFT examples about organic chemistry",
    { count: 10, trainingType: "sft", topic: "organic chemistry" },
  ],
  ["Generate 20 examples of chemistry data for DPO", { count: 20, trainingType: "dpo", topic: "chemistry" }],
  ["Generate 1000 chemistry SFT examples", { count: 1000, trainingType: "sft", topic: "chemistry" }],
  ["for SFT, on the topic of Rust programming", { trainingType: "sft", topic: "Rust programming" }],
  ["fifty DPO pairs about thermodynamics", { count: 50, trainingType: "dpo", topic: "thermodynamics" }],
  [
    "Create twenty-five KTO examples on enzyme kinetics",
    { count: 25, trainingType: "kto", topic: "enzyme kinetics" },
  ],
  [
    "two hundred instruction-tuning examples about photosynthesis",
    { count: 200, trainingType: "sft", topic: "photosynthesis" },
  ],
  [
    "I need 2,500 preference pairs on contract law",
    { count: 2500, trainingType: "dpo", topic: "contract law" },
  ],
  ["Make 1.5k QA pairs on probability", { count: 1500, trainingType: "qa", topic: "probability" }],
  [
    "a thousand multi-turn conversations about cooking",
    { count: 1000, trainingType: "chat", topic: "cooking" },
  ],
  [
    "Generate a dozen GRPO problems on quadratic equations",
    { count: 12, trainingType: "grpo", topic: "quadratic equations" },
  ],
  [
    "Give me 300 examples with binary feedback about tax law",
    { count: 300, trainingType: "kto", topic: "tax law" },
  ],
  [
    "Produce 40 reward model examples on sorting algorithms",
    { count: 40, trainingType: "rlhf", topic: "sorting algorithms" },
  ],
  [
    "Write 60 PPO prompts about customer support",
    { count: 60, trainingType: "ppo", topic: "customer support" },
  ],
  [
    "Generate 8 ORPO examples covering linear algebra",
    { count: 8, trainingType: "orpo", topic: "linear algebra" },
  ],
  [
    "Generate 12 RLHF examples regarding cell biology",
    { count: 12, trainingType: "rlhf", topic: "cell biology" },
  ],
  [
    "Generate 30 chat examples about the French Revolution",
    { count: 30, trainingType: "chat", topic: "French Revolution" },
  ],
  ["Generate 15 question-answer pairs about genetics", { count: 15, trainingType: "qa", topic: "genetics" }],
  ["thermodynamics, 50 examples, DPO", { count: 50, trainingType: "dpo", topic: "thermodynamics" }],
  ["Rust programming: 30 SFT examples", { count: 30, trainingType: "sft", topic: "Rust programming" }],
  [
    "SFT dataset of 500 examples about marine ecology",
    { count: 500, trainingType: "sft", topic: "marine ecology" },
  ],
  [
    "Please create 100 supervised fine-tuning examples for Python web development",
    { count: 100, trainingType: "sft", topic: "Python web development" },
  ],
  ["100 examples for DPO on climate science", { count: 100, trainingType: "dpo", topic: "climate science" }],
  ["Generate 50 SFT examples about World War 2", { count: 50, trainingType: "sft", topic: "World War 2" }],
  ["Generate SFT examples about World War 2", { trainingType: "sft", topic: "World War 2" }],
  [
    "Generate 20 SFT examples on Python 3 decorators",
    { count: 20, trainingType: "sft", topic: "Python 3 decorators" },
  ],
  [
    "Generate 40 examples about data structures for SFT",
    { count: 40, trainingType: "sft", topic: "data structures" },
  ],
  ["Generate 25 KTO examples about big data", { count: 25, trainingType: "kto", topic: "big data" }],
  [
    "Generate 10 GRPO examples for chemistry reasoning problems",
    { count: 10, trainingType: "grpo", topic: "chemistry reasoning problems" },
  ],
  [
    "Build 75 preference data examples on medical ethics",
    { count: 75, trainingType: "dpo", topic: "medical ethics" },
  ],
  [
    "Generate 200 multi-turn dialogues about personal finance",
    { count: 200, trainingType: "chat", topic: "personal finance" },
  ],
  [
    "n=64, type: QA, topic: organic reaction mechanisms",
    { count: 64, trainingType: "qa", topic: "organic reaction mechanisms" },
  ],
  [
    "Generate 3k instruction following examples about SQL joins",
    { count: 3000, trainingType: "sft", topic: "SQL joins" },
  ],
  [
    "Generate ten thousand DPO examples about statistics",
    { count: 10000, trainingType: "dpo", topic: "statistics" },
  ],
  [
    "Generate three hundred and fifty SFT examples about geometry",
    { count: 350, trainingType: "sft", topic: "geometry" },
  ],
  ["one hundred twenty QA examples on astronomy", { count: 120, trainingType: "qa", topic: "astronomy" }],
  [
    "Generate 20 KTO examples with thumbs up/down labels about nutrition",
    { count: 20, trainingType: "kto", topic: "nutrition" },
  ],
  [
    "Generate 10 examples of ranked responses about microeconomics",
    { count: 10, trainingType: "rlhf", topic: "microeconomics" },
  ],
  [
    "Generate 10 DPO examples about acid-base titrations for A-level students",
    { count: 10, trainingType: "dpo", topic: "acid-base titrations", audience: "A-level students" },
  ],
  [
    "Generate 30 SFT examples about photosynthesis in Spanish",
    { count: 30, trainingType: "sft", topic: "photosynthesis", language: "es" },
  ],
  [
    "Generate 30 SFT examples in French about the water cycle",
    { count: 30, trainingType: "sft", topic: "water cycle", language: "fr" },
  ],
  [
    "Generate 25 QA examples on probability with step-by-step reasoning",
    { count: 25, trainingType: "qa", topic: "probability", style: "step-by-step reasoning" },
  ],
  [
    "Generate 30 SFT examples on stoichiometry that mention limiting reagents and percent yield",
    {
      count: 30,
      trainingType: "sft",
      topic: "stoichiometry",
      mustInclude: ["limiting reagents", "percent yield"],
    },
  ],
  [
    "Generate 50 chat conversations in German about renewable energy for high-school students",
    {
      count: 50,
      trainingType: "chat",
      topic: "renewable energy",
      language: "de",
      audience: "high-school students",
    },
  ],
  [
    "Generate 20 SFT examples about Spanish history",
    { count: 20, trainingType: "sft", topic: "Spanish history" },
  ],
  [
    "Generate 20 SFT examples about Latin America in English",
    { count: 20, trainingType: "sft", topic: "Latin America", language: "en" },
  ],
  [
    "Generate 15 DPO examples about calculus for undergraduate students",
    { count: 15, trainingType: "dpo", topic: "calculus", audience: "undergraduate students" },
  ],
  [
    "Generate 10 SFT examples about quantum computing aimed at beginners",
    { count: 10, trainingType: "sft", topic: "quantum computing", audience: "beginners" },
  ],
  [
    "Generate 10 SFT examples about pharmacology for nurses, in a formal tone",
    { count: 10, trainingType: "sft", topic: "pharmacology", audience: "nurses", style: "formal tone" },
  ],
  [
    "Generate 12 QA examples on algebra with worked solutions",
    { count: 12, trainingType: "qa", topic: "algebra", style: "worked solutions" },
  ],
  [
    "Generate 20 SFT examples about thermodynamics in Japanese with detailed explanations",
    {
      count: 20,
      trainingType: "sft",
      topic: "thermodynamics",
      language: "ja",
      style: "detailed explanations",
    },
  ],
  [
    "Generate 20 SFT examples about the immune system mentioning T cells, B cells and antibodies",
    {
      count: 20,
      trainingType: "sft",
      topic: "immune system",
      mustInclude: ["T cells", "B cells", "antibodies"],
    },
  ],
  [
    "Generate 40 SFT examples about optics at GCSE level",
    { count: 40, trainingType: "sft", topic: "optics", audience: "GCSE level" },
  ],
  [
    "Generate 8 SFT examples on A-level chemistry",
    { count: 8, trainingType: "sft", topic: "chemistry", audience: "A-level" },
  ],
  [
    "Generate 10 SFT examples about Kubernetes networking",
    { count: 10, trainingType: "sft", topic: "Kubernetes networking" },
  ],
  [
    "Generate 5 KTO examples about medieval European history",
    { count: 5, trainingType: "kto", topic: "medieval European history" },
  ],
  [
    "Generate 7 chat examples about chatbot design",
    { count: 7, trainingType: "chat", topic: "chatbot design" },
  ],
  ["Make some data", {}],
  ["Generate SFT data about biology", { trainingType: "sft", topic: "biology" }],
  ["Generate 100 examples about volcanoes", { count: 100, topic: "volcanoes" }],
  ["I want DPO data", { trainingType: "dpo" }],
  ["Generate 30 examples", { count: 30 }],
  ["photosynthesis", { topic: "photosynthesis" }],
  [
    "Generate 500 Q&A examples about the Roman Empire",
    { count: 500, trainingType: "qa", topic: "Roman Empire" },
  ],
  [
    "Could you make me 45 preference pairs for ORPO about ethics in AI?",
    { count: 45, trainingType: "orpo", topic: "ethics in AI" },
  ],
  [
    "Generate 18 reward model examples for PPO about code review",
    { count: 18, trainingType: "ppo", topic: "code review" },
  ],
  [
    "Generate 33 examples of group relative policy optimization data on number theory",
    { count: 33, trainingType: "grpo", topic: "number theory" },
  ],
  [
    "Generate 100 SFT examples about sorting algorithms in Python",
    { count: 100, trainingType: "sft", topic: "sorting algorithms in Python" },
  ],
  [
    "Generate 250 conversations about mental health",
    { count: 250, trainingType: "chat", topic: "mental health" },
  ],
  [
    "Generate 60 SFT examples about the history of science",
    { count: 60, trainingType: "sft", topic: "history of science" },
  ],
  [
    "Generate 20 SFT examples about acids and bases",
    { count: 20, trainingType: "sft", topic: "acids and bases" },
  ],
  ["DPO, 20, organic chemistry", { count: 20, trainingType: "dpo", topic: "organic chemistry" }],
  [
    "Generate 50 examples for DPO. Topic: protein folding",
    { count: 50, trainingType: "dpo", topic: "protein folding" },
  ],
  [
    "Give me SFT data, 40 rows, topic is plate tectonics",
    { count: 40, trainingType: "sft", topic: "plate tectonics" },
  ],
  [
    "Generate 20 DPO examples on the topic of 'machine learning fairness'",
    { count: 20, trainingType: "dpo", topic: "machine learning fairness" },
  ],
  [
    "Generate 100 easy QA examples about fractions for kids",
    { count: 100, trainingType: "qa", topic: "fractions", audience: "kids" },
  ],
  [
    "We would like 80 concise answers SFT examples on networking basics",
    { count: 80, trainingType: "sft", topic: "networking basics", style: "concise answers" },
  ],
];

describe("readRequest on a labelled table of requests", () => {
  it("has a broad table", () => {
    expect(LABELLED.length).toBeGreaterThanOrEqual(60);
  });

  it.each(LABELLED)("%s", (request, label) => {
    const r = readRequest(request);
    const got: Label = {
      ...(r.count !== undefined ? { count: r.count } : {}),
      ...(r.trainingType ? { trainingType: r.trainingType } : {}),
      ...(r.topic ? { topic: r.topic } : {}),
      ...(r.constraints ?? {}),
    };
    expect(got).toEqual(label);
  });

  it("never puts the type, its aliases or the count in the topic", () => {
    for (const [request] of LABELLED) {
      const r = readRequest(request);
      if (!r.topic) continue;
      for (const words of r.evidence.trainingType?.text ?? []) {
        const phrase = new RegExp(
          `(?<![\\w-])${words.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w-])`,
          "i",
        );
        expect(r.topic).not.toMatch(phrase);
      }
      if (r.evidence.count) expect(r.topic.split(/\s+/)).not.toContain(r.evidence.count.text);
      expect(r.topic).not.toMatch(/\b(?:examples?|dataset|pairs)\b/i);
    }
  });
});

describe("how clearly a value was stated", () => {
  it("marks counts in digits and types by their own name as explicit", () => {
    expect(readRequest("Generate 2,500 DPO examples about law").evidence).toEqual({
      count: { text: "2,500", digits: true },
      trainingType: { text: ["DPO"], named: true },
    });
    expect(readRequest("fifty preference pairs about law").evidence).toEqual({
      count: { text: "fifty", digits: false },
      trainingType: { text: ["preference pairs"], named: false },
    });
  });
});

describe("contradictory and unclear requests", () => {
  it.each([
    ["5 DPO examples as SFT", /two training types: DPO \("DPO"\) and SFT \("SFT"\)/],
    [
      "Generate 10 KTO examples as preference pairs about law",
      /two training types: KTO .* and DPO \("preference pairs"\)/,
    ],
    ["Generate 10 SFT examples about law, 20 examples please", /two different counts \("10" and "20"\)/],
  ])("refuses %s, naming the contradiction", (request, message) => {
    let error: unknown;
    try {
      readRequest(request);
    } catch (e) {
      error = e;
    }
    expect(isSynthforgeError(error, "INVALID_REQUEST")).toBe(true);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message.split("\n")).toHaveLength(1);
  });

  it("accepts an alias and a name that fit together", () => {
    expect(parseRequest("Generate 10 preference pairs for ORPO about law").trainingType).toBe("orpo");
    expect(parseRequest("Generate 10 reward model examples for PPO about law").trainingType).toBe("ppo");
    expect(parseRequest("Generate 10 DPO preference pairs about law").trainingType).toBe("dpo");
  });
});

describe("numbers and languages", () => {
  it.each([
    ["fifty", 50],
    ["twenty-five", 25],
    ["two hundred", 200],
    ["a thousand", 1000],
    ["a dozen", 12],
    ["three hundred and fifty", 350],
    ["two thousand five hundred", 2500],
    ["ten thousand", 10000],
  ])("%s is %d", (words, n) => {
    expect(wordsToNumber(words)).toBe(n);
    expect(parseCount(words)).toBe(n);
  });

  it("is null for words that are not a number", () => {
    expect(wordsToNumber("a")).toBeNull();
    expect(wordsToNumber("many")).toBeNull();
    expect(wordsToNumber("and fifty")).toBeNull();
  });

  it("parses counts with separators and suffixes", () => {
    expect(parseCount("2,500")).toBe(2500);
    expect(parseCount("1.5k")).toBe(1500);
    expect(parseCount("2 thousand")).toBe(2000);
    expect(() => parseCount("1.5")).toThrow(/whole number/);
  });

  it("maps language names and codes to ISO 639-1", () => {
    expect(languageCode("Spanish")).toBe("es");
    expect(languageCode("german")).toBe("de");
    expect(languageCode("ja")).toBe("ja");
    expect(languageCode("Klingon")).toBeNull();
    expect(languageCode("xx")).toBeNull();
  });
});

describe("parseCount and parseTrainingType", () => {
  it("parses and checks counts", () => {
    expect(parseCount("1,500")).toBe(1500);
    expect(parseCount(" 3k ")).toBe(3000);
    expect(() => parseCount("abc")).toThrow(/not a number/);
    expect(() => parseCount("2.5")).toThrow(/whole number/);
    expect(() => parseCount(0)).toThrow(/at least 1/);
  });

  it("parses training types case-insensitively and names the valid ones", () => {
    expect(parseTrainingType("DPO")).toBe("dpo");
    expect(() => parseTrainingType("foo")).toThrow(/sft, dpo, ppo, grpo, rlhf, kto, orpo, chat, qa/);
  });
});
