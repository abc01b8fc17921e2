import { afterAll, describe, expect, it } from "vitest";
import { lexicalStanding } from "../../src/agents/fact-check.js";
import { directionConflict, exchangeConflict } from "../../src/tools/claim-gate.js";
import { checkCodeTask } from "../../src/tools/code-check.js";
import { checkFlawOrder, checkPreferredAnswers } from "../../src/tools/consistency.js";
import { closePythonSandbox } from "../../src/tools/python-sandbox.js";
import { checkAnswers } from "../../src/tools/text-gate.js";

/**
 * The review gate's general mechanisms for the defects that need more than surface checks:
 * the task a prompt names run against the answer's function, values exchanged between two
 * things or a direction reversed against a source, and a preferred response that evades
 * while a lower one answers.
 */
afterAll(async () => {
  await closePythonSandbox();
});

const py = (code: string) => `Here it is:\n\n\`\`\`python\n${code}\n\`\`\`\n`;

describe("code task: the answer's function does what the prompt asks, whatever its name", () => {
  it("finds a maximum that starts from 0 (wrong for negative numbers)", async () => {
    const r = await checkCodeTask(
      "Write a Python function that returns the largest number in a list without using max().",
      py(
        "def biggest_of(values):\n    best = 0\n    for v in values:\n        if v > best:\n            best = v\n    return best",
      ),
    );
    expect(r).toMatchObject({ passed: false, defect: "code_wrong" });
    expect(r!.reasons[0]).toMatch(/biggest_of\(\[-5, -2, -9\]\) returns 0; it should return -2/);
  });

  it("finds a case-sensitive palindrome check where the prompt asks to ignore case", async () => {
    const prompt = "Write a Python function that checks whether a string is a palindrome, ignoring case.";
    expect(await checkCodeTask(prompt, py("def pal(s):\n    return s == s[::-1]"))).toMatchObject({
      passed: false,
      defect: "code_wrong",
    });
    expect(
      await checkCodeTask(prompt, py("def pal(s):\n    s = s.lower()\n    return s == s[::-1]")),
    ).toMatchObject({ passed: true });
  });

  it("passes correct code, and says nothing when the prompt names no known task", async () => {
    expect(
      await checkCodeTask(
        "Write a Python function that returns the sum of the even numbers in a list.",
        py("def total_even(xs):\n    return sum(x for x in xs if x % 2 == 0)"),
      ),
    ).toMatchObject({ passed: true });
    expect(
      await checkCodeTask(
        "Write a Python function that returns the sum of the even numbers in a list.",
        py("def total_even(xs):\n    return sum(x for x in xs if x % 2)"),
      ),
    ).toMatchObject({ passed: false });
    expect(
      await checkCodeTask("Write a function that greets a user.", py("def hi(n):\n    return 'hi ' + n")),
    ).toBeNull();
  });
});

describe("claims against a source: exchanged values and reversed directions", () => {
  const air = [
    {
      sourceId: "s",
      text: "Dry air is about 78% nitrogen and 21% oxygen by volume, with argon making up most of the remaining 1%.",
    },
  ];
  it("finds two values exchanged between two things, and not the right ones", () => {
    expect(
      exchangeConflict("Oxygen makes up about 78% of dry air; nitrogen is second at about 21%.", air),
    ).toMatchObject({ claimed: "78 for oxygen", stated: "78 for nitrogen" });
    expect(exchangeConflict("Nitrogen makes up about 78% of dry air; oxygen about 21%.", air)).toBeNull();
    expect(
      lexicalStanding("Nitrogen, at about 78% of dry air by volume, followed by oxygen at about 21%.", air),
    ).toMatchObject({ contradicted: [] });
  });

  it("finds a 'from … to …' direction the other way round", () => {
    const osmosis = [
      {
        sourceId: "s",
        text: "Osmosis is the net movement of water molecules across a partially permeable membrane from a region of higher water potential to a region of lower water potential.",
      },
    ];
    expect(
      directionConflict(
        "In osmosis water moves from a region of lower water potential to a region of higher water potential.",
        osmosis,
      ),
    ).toMatchObject({ sourceId: "s" });
    expect(
      directionConflict(
        "In osmosis water moves from a region of higher water potential to a region of lower water potential.",
        osmosis,
      ),
    ).toBeNull();
  });
});

describe("preferred answers: the preferred response answers when a lower one does", () => {
  const prompt = "How do vaccines protect against disease?";
  const evasive =
    "Vaccines are one of the most important tools in public health. They are given by injection or sometimes by mouth, and many countries run national vaccination programmes.";
  const answer =
    "They expose the immune system to a harmless form of a pathogen's antigen, so it makes antibodies and memory cells that respond fast to a later infection.";
  it("fails a reversed pair as ranking_wrong and passes the right order", () => {
    const r = checkPreferredAnswers(
      prompt,
      [
        { label: "chosen", text: evasive },
        { label: "rejected", text: answer },
      ],
      checkAnswers,
    );
    expect(r).toMatchObject({ passed: false, defect: "ranking_wrong" });
    expect(
      checkPreferredAnswers(
        prompt,
        [
          { label: "chosen", text: answer },
          { label: "rejected", text: evasive },
        ],
        checkAnswers,
      ),
    ).toBeNull();
  });

  it("takes a partial answer ranked above one labelled a factual error as a fair order", () => {
    const median = "What is the median of 3, 9, 4 and 10?";
    const ranked = (flaw?: string) => [
      {
        label: "rank-1",
        text: "6.5: sorted they are 3, 4, 9, 10, and the middle two average to (4 + 9) / 2 = 6.5.",
      },
      { label: "rank-2", text: "The median is the middle value once the numbers are sorted." },
      {
        label: "rank-3",
        text: "6.5, found by adding them up and dividing by the count of them.",
        ...(flaw ? { flaw } : {}),
      },
    ];
    expect(checkPreferredAnswers(median, ranked("factual_error"), checkAnswers)).toBeNull();
    expect(checkPreferredAnswers(median, ranked(), checkAnswers)).toMatchObject({ defect: "ranking_wrong" });
  });

  it("leaves a plain non-answer to the non-answer check when no lower response answers", () => {
    expect(
      checkPreferredAnswers(
        prompt,
        [
          { label: "chosen", text: evasive },
          { label: "rejected", text: "Magic." },
        ],
        checkAnswers,
      ),
    ).toBeNull();
  });

  it("finds an evasion ranked above an answer lower down a ranking, not only at the top", () => {
    const r = checkPreferredAnswers(
      prompt,
      [
        { label: "rank-1", text: `${answer} Boosters keep that memory strong.` },
        { label: "rank-2", text: evasive },
        { label: "rank-3", text: answer },
      ],
      checkAnswers,
    );
    expect(r).toMatchObject({ passed: false, defect: "ranking_wrong", details: { preferred: "rank-2" } });
  });
});

describe("flaw order: an RLHF ranking agrees with its own flaw labels", () => {
  it("fails an off-topic response ranked above an incomplete one, or any flaw above none", () => {
    expect(
      checkFlawOrder([
        { rank: 1, flaw: "none" },
        { rank: 2, flaw: "off_topic" },
        { rank: 3, flaw: "incomplete" },
      ]),
    ).toMatchObject({ passed: false, defect: "ranking_wrong", details: { higher: { rank: 2 } } });
    expect(
      checkFlawOrder([
        { rank: 1, flaw: "incomplete" },
        { rank: 2, flaw: "none" },
      ]),
    ).toMatchObject({ passed: false, defect: "ranking_wrong" });
  });

  it("passes a consistent order, leaves the failing flaws' order among themselves alone, and skips unlabelled rows", () => {
    expect(
      checkFlawOrder([
        { rank: 1, flaw: "none" },
        { rank: 2, flaw: "factual_error" },
        { rank: 3, flaw: "unhelpful" },
      ]),
    ).toMatchObject({ passed: true });
    expect(
      checkFlawOrder([
        { rank: 1, flaw: "none" },
        { rank: 2, flaw: "incomplete" },
        { rank: 3, flaw: "off_topic" },
      ]),
    ).toMatchObject({ passed: true });
    expect(checkFlawOrder([{ rank: 1 }, { rank: 2 }])).toBeNull();
  });
});
