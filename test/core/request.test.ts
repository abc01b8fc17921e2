import { describe, expect, it } from "vitest";
import { isSynthforgeError } from "../../src/core/errors.js";
import { parseCount, parseRequest, parseTrainingType } from "../../src/core/request.js";

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
