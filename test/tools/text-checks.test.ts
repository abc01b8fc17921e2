import { describe, expect, it } from "vitest";
import {
  checkPii,
  checkToxicity,
  checkVerbatimCopy,
  findPii,
  verbatimOverlap,
} from "../../src/tools/text-checks.js";

const restricted = {
  sourceId: "src_book",
  permissive: false,
  licence: "LicenseRef-All-rights-reserved",
  text: "Le Chatelier's principle states that when a system at equilibrium is disturbed by a change in concentration, temperature or pressure, the position of equilibrium shifts in the direction that counteracts the disturbance.",
};

describe("verbatim overlap", () => {
  it("measures the longest shared run and the share of n-grams", () => {
    const [o] = verbatimOverlap(`In short: ${restricted.text}`, [restricted]);
    expect(o!.longestRun).toBe(32);
    expect(o!.share).toBeGreaterThan(0.8);
    expect(
      verbatimOverlap("Something else entirely about ammonia and nitrogen.", [restricted])[0]!.longestRun,
    ).toBe(0);
  });

  it("rejects a verbatim copy of a non-permissive source", () => {
    const r = checkVerbatimCopy(`Here it is. ${restricted.text}`, [restricted]);
    expect(r?.passed).toBe(false);
    expect(r?.reasons[0]).toMatch(
      /copies 32 consecutive words .* from source src_book under LicenseRef-All-rights-reserved; paraphrase it/,
    );
  });

  it("accepts a paraphrase, and copying permissive text", () => {
    const paraphrase =
      "If you disturb a system at equilibrium, for example by changing a concentration, the equilibrium moves so as to oppose the change.";
    expect(checkVerbatimCopy(paraphrase, [restricted])?.passed).toBe(true);
    expect(checkVerbatimCopy(restricted.text, [{ ...restricted, permissive: true }])).toBeNull();
  });
});

describe("PII screen", () => {
  it.each([
    ["mail jane.doe@gmail.com today", "email"],
    ["call +1 415 867 5309 now", "phone"],
    ["call (415) 867-5309", "phone"],
    ["SSN 123-45-6789", "ssn"],
    ["card 4111 1111 1111 1111", "payment_card"],
    ["IBAN GB82 WEST 1234 5698 7654 32", "iban"],
    ["server at 81.2.69.160 answered", "ip_address"],
  ])("finds %s", (text, kind) => {
    expect(findPii(text).map((f) => f.kind)).toContain(kind);
    expect(checkPii(text).passed).toBe(false);
  });

  it.each([
    "write to info@example.com",
    "Avogadro's constant is 6.022 × 10^23 per mole",
    "in 1938, at 327 °C and 200 atm",
    "the date 2020-10-05 and ISBN 978-0-13-110362-7",
    "a private address 192.168.1.10 and 10.0.0.1",
    "call 555-0123 in the film",
    "card-like 4111 1111 1111 1112 fails Luhn",
  ])("leaves %s alone", (text) => {
    expect(checkPii(text).passed).toBe(true);
  });

  it("masks what it found", () => {
    const [f] = findPii("jane.doe@gmail.com");
    expect(f!.value).not.toContain("doe@gmail");
  });
});

describe("toxicity screen", () => {
  it("rejects threats outright", () => {
    const r = checkToxicity("Get it right or I will hurt you.");
    expect(r).toMatchObject({ passed: false, score: 0 });
    expect(r.reasons[0]).toMatch(/a threat of violence/);
    expect(checkToxicity("Honestly, just kill yourself.").passed).toBe(false);
  });

  it("marks profanity down without rejecting it outright", () => {
    const r = checkToxicity("This reaction is a fucking mess.");
    expect(r).toMatchObject({ passed: false, score: 0.6 });
  });

  it("leaves chemistry alone (kills bacteria, flame retardant)", () => {
    expect(
      checkToxicity(
        "Bleach kills bacteria; the polymer is a flame retardant and the reaction is retarded by cold.",
      ).passed,
    ).toBe(true);
  });
});
