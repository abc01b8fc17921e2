import { afterAll, describe, expect, it } from "vitest";
import {
  answerMatchesPrinted,
  checkAnsweredOutput,
  checkCode,
  checkCodeBlocks,
  checkProgramAnswer,
  extractCodeBlocks,
  knownFunctionProblems,
  rangeBoundProblem,
  sameOutput,
  statedOutputs,
} from "../../src/tools/code-check.js";
import { closeJavaScriptSandbox } from "../../src/tools/js-sandbox.js";
import { generateMutants, mutationCandidates, tokenize } from "../../src/tools/mutants.js";
import { closePythonSandbox } from "../../src/tools/python-sandbox.js";

// The shared sandboxes: Pyodide starts once for this file.
afterAll(async () => {
  await closePythonSandbox();
  await closeJavaScriptSandbox();
});

const KADANE = `def max_subarray(nums):
    best = nums[0]
    current = 0
    for x in nums:
        current = max(x, current + x)
        best = max(best, current)
    return best

def count_below(xs, limit):
    n = 0
    for i in range(len(xs)):
        if xs[i] < limit:
            n += 1
    return n
`;
const KADANE_TESTS = `assert max_subarray([-2, 1, -3, 4, -1, 2, 1, -5, 4]) == 6
assert max_subarray([-3, -1, -2]) == -1
assert count_below([1, 5, 3, 9], 5) == 2
assert count_below([5, 5], 5) == 0`;

describe("code checks", () => {
  it("finds fenced blocks and their languages", () => {
    const blocks = extractCodeBlocks(
      "```py\nprint(1)\n```\ntext\n```ts\nlet x: number = 1\n```\n```\ndef f(): pass\n```\n```bash\nls\n```",
    );
    expect(blocks.map((b) => b.language)).toEqual(["python", "typescript", "python", "other"]);
  });

  it("passes code whose tests pass and fails code whose tests fail", async () => {
    expect((await checkCode({ language: "python", code: KADANE, tests: KADANE_TESTS })).passed).toBe(true);
    const bad = await checkCode({
      language: "python",
      code: KADANE.replace("current + x", "current - x"),
      tests: KADANE_TESTS,
    });
    expect(bad.passed).toBe(false);
    expect(bad.reasons[0]).toBe("the python code fails its tests: AssertionError");
    expect(
      (
        await checkCode({
          language: "typescript",
          code: "const f = (a: number): number => a * 2;",
          tests: "if (f(2) !== 4) throw new Error('f(2)');",
        })
      ).passed,
    ).toBe(true);
  });

  it("runs the blocks of an answer together, per language", async () => {
    const ok = await checkCodeBlocks(
      "First:\n```python\ndef sq(x):\n    return x * x\n```\nThen:\n```python\nassert sq(3) == 9\n```",
    );
    expect(ok?.passed).toBe(true);
    const bad = await checkCodeBlocks(
      "```javascript\nfunction mean(xs) { let t = 0; for (let i = 0; i <= xs.length; i++) t += xs[i]; return t / xs.length; }\nif (mean([1, 2, 3]) !== 2) throw new Error('mean should be 2, got ' + mean([1, 2, 3]));\n```",
    );
    expect(bad?.reasons[0]).toBe("the javascript code does not run: Error: mean should be 2, got NaN");
    expect(await checkCodeBlocks("no code at all")).toBeNull();
  });

  it("records snippets that need what the sandbox lacks as not verifiable, not failed", async () => {
    for (const text of [
      "```python\nimport numpy as np\nprint(np.zeros(3))\n```",
      "```python\nprint(open('data.csv').read())\n```",
      "```javascript\nconst fs = require('fs');\n```",
    ]) {
      const r = await checkCodeBlocks(text);
      expect(r).toMatchObject({ passed: true, details: { unverifiable: 1 } });
    }
  });

  it("checks that a program prints its stated answer", async () => {
    expect(
      (await checkProgramAnswer({ code: "print(round(36.03 / 18.015, 2))", answer: "2.0" })).passed,
    ).toBe(true);
    const r = await checkProgramAnswer({ code: "print(round(36.03 / 18.015, 2))", answer: "2.5" });
    expect(r.reasons[0]).toBe('the program prints "2.0", not the stated answer "2.5"');
    expect((await checkProgramAnswer({ code: "print(1/0)", answer: "1" })).reasons[0]).toMatch(
      /does not run: ZeroDivisionError/,
    );
  });
});

describe("bad code for debugging datasets", () => {
  it("never mutates strings or comments", () => {
    const code = "x = 1  # keep < this\ns = 'a + b'\ny = x + 1\n";
    expect(
      tokenize(code, "python")
        .filter((t) => t.type === "str")
        .map((t) => t.text),
    ).toEqual(["'a + b'"]);
    const cands = mutationCandidates(code, "python");
    expect(cands.every((c) => c.code.includes("# keep < this") && c.code.includes("'a + b'"))).toBe(true);
    expect(cands.map((c) => c.kind)).toEqual(
      expect.arrayContaining(["operator_swap", "off_by_one", "wrong_variable"]),
    );
  });

  it("keeps only mutants that fail the tests, of every kind", async () => {
    const r = await generateMutants({ language: "python", code: KADANE, tests: KADANE_TESTS }, { max: 6 });
    expect(r.ok).toBe(true);
    expect(r.mutants.length).toBe(6);
    expect(new Set(r.mutants.map((m) => m.kind))).toEqual(
      new Set(["operator_swap", "off_by_one", "wrong_variable"]),
    );
    for (const m of r.mutants) {
      expect(m.code).not.toBe(KADANE);
      expect(m.failure).not.toMatch(/SyntaxError/);
      // Re-run: the mutant really fails its tests.
      expect((await checkCode({ language: "python", code: m.code, tests: KADANE_TESTS })).passed).toBe(false);
    }
    expect(r.tried).toBeGreaterThanOrEqual(6);
  });

  it("works for JavaScript, and refuses code that fails its own tests", async () => {
    const code =
      "function sum(xs) { let s = 0; for (let i = 0; i < xs.length; i++) { s += xs[i]; } return s; }";
    const tests =
      "if (sum([1, 2, 3]) !== 6) throw new Error('sum([1, 2, 3]) should be 6, got ' + sum([1, 2, 3]));";
    const r = await generateMutants({ language: "javascript", code, tests }, { max: 3 });
    expect(r.mutants).toHaveLength(3);
    expect(r.mutants[0]!.failure).toMatch(/should be 6, got/);
    const broken = await generateMutants({
      language: "javascript",
      code: code.replace("s += xs[i]", "s -= xs[i]"),
      tests,
    });
    expect(broken).toMatchObject({ ok: false, mutants: [] });
    expect(broken.error).toMatch(/the original code does not pass its tests/);
  });
});

describe("stated outputs", () => {
  it("finds outputs stated in output blocks, comments and prose", () => {
    const text =
      "```python\nxs = [1, 2, 3]\nprint(xs[::-1])  # [3, 2, 1]\n# Output: done\n```\nOutput:\n```\n[3, 2, 1]\n```\nSo `len(xs)` returns 3 and the script prints [3, 2, 1].";
    expect(statedOutputs(text).map((o) => [o.source, o.expected, o.expression ?? null])).toEqual([
      ["output-block", "[3, 2, 1]", null],
      ["comment", "[3, 2, 1]", null],
      ["comment", "done", null],
      ["prose", "3", "len(xs)"],
      ["prose", "[3, 2, 1]", null],
    ]);
  });

  it.each([
    ["```python\nprint(sum([1, 2, 3]))\n```\nThis prints 6."],
    ["```python\nlst = [1, 2, 3]\nprint(lst[::-1])  # [3, 2, 1]\n```"],
    ["```python\nfor i in range(3):\n    print(i)\n```\nThe output is:\n```\n0\n1\n2\n```"],
    ["```python\ndef add(a, b):\n    return a + b\n```\nSo `add(2, 3)` returns 5."],
    ["```python\nlst = [1, 2, 3]\n```\n`lst[::-1]` gives `[3, 2, 1]`."],
    ["```javascript\nconst xs = [1, 2, 3];\nconsole.log(xs.map((x) => x * 2)); // [2, 4, 6]\n```"],
    ["```python\nx = 10\nprint(x / 3)\n```\nThis prints 3.333 (rounded here)."],
    ['```python\nd = {"a": 1}\nprint(d.get("b"))  # None\nprint(d["b"])      # raises KeyError\n```'],
    ["```python\nprint(*range(1, 6))  # 1 2 3 4 5\n```\nUse `print` with `end`, or `join`."],
  ])("passes code that prints what the text says: %s", async (text) => {
    const r = await checkCodeBlocks(text);
    expect(r).toMatchObject({ passed: true, reasons: [] });
  });

  it.each([
    ["```python\nprint(sum([1, 2, 3]))\n```\nThis prints 7.", /prints "6", not the stated "7"/],
    ["```python\nlst = [1, 2, 3]\nprint(lst[::-1])  # [1, 2, 3]\n```", /not the stated "\[1, 2, 3\]"/],
    ["```python\nprint([1, 2, 3][::-1])\n```\nOutput:\n```\n[3, 2]\n```", /not the stated "\[3, 2\]"/],
    [
      "```python\ndef add(a, b):\n    return a + b\n```\nSo `add(2, 3)` returns 6.",
      /`add\(2, 3\)` is 5, not the stated 6/,
    ],
    ["```javascript\nfunction sq(x) { return x * x; }\n```\nCalling `sq(4)` returns 15.", /`sq\(4\)` is 16/],
  ])("fails code whose stated output differs: %s", async (text, re) => {
    const r = await checkCodeBlocks(text);
    expect(r).toMatchObject({ passed: false, defect: "code_output_mismatch" });
    expect(r!.reasons.join(" ")).toMatch(re);
  });

  it("tests well-known functions by their name and fails code that does not do what the name says", async () => {
    const wrongPrime =
      "```python\ndef is_prime(n):\n    if n < 2:\n        return False\n    for i in range(2, int(n ** 0.5)):\n        if n % i == 0:\n            return False\n    return True\n```";
    const r = await checkCodeBlocks(wrongPrime);
    expect(r).toMatchObject({ passed: false, defect: "code_wrong" });
    expect(r!.reasons[0]).toMatch(/is_prime\(4\) returns True; it should return False/);
    const rightPrime = wrongPrime.replace("int(n ** 0.5)", "int(n ** 0.5) + 1");
    expect((await checkCodeBlocks(rightPrime))?.passed).toBe(true);
    expect(
      await knownFunctionProblems("def factorial(n):\n    return 1 if n == 0 else n * factorial(n - 1)"),
    ).toEqual([]);
  });

  it("checks the answer to a prompt that asks what code prints", async () => {
    const prompt = "What does `print(0.1 + 0.2 == 0.3)` print in Python?";
    expect(await checkAnsweredOutput(prompt, "False")).toMatchObject({ passed: true });
    expect(
      await checkAnsweredOutput(prompt, "It prints `False`, because 0.1 + 0.2 is 0.30000000000000004."),
    ).toMatchObject({ passed: true });
    expect(await checkAnsweredOutput(prompt, "True")).toMatchObject({
      passed: false,
      defect: "code_output_mismatch",
    });
    expect(await checkAnsweredOutput("Explain floating point.", "True")).toBeNull();
  });

  it("compares a program's output with the answer's own precision only", () => {
    expect(answerMatchesPrinted("0.63", "0.625")).toBe(true);
    expect(answerMatchesPrinted("0.625", "0.6")).toBe(false);
    expect(answerMatchesPrinted("4.08 s", "4.08 s")).toBe(true);
    expect(sameOutput("[3, 2, 1]", "[ 3, 2, 1 ]")).toBe(true);
    expect(sameOutput("'olleh'", "olleh")).toBe(true);
    expect(sameOutput("True", "False")).toBe(false);
  });
});

describe("outputs stated line by line, and code written under the question", () => {
  it("holds a comment on the k-th one-line print to the k-th printed line", async () => {
    const wrong =
      '```javascript\nconsole.log(true + 1);    // "true1"\nconsole.log(true + "1");  // "true1"\n```';
    expect(statedOutputs(wrong).map((o) => o.printLine)).toEqual([0, 1]);
    expect(await checkCodeBlocks(wrong)).toMatchObject({ passed: false, defect: "code_output_mismatch" });
    const right = '```javascript\nconsole.log(true + 1);    // 2\nconsole.log(true + "1");  // "true1"\n```';
    expect(await checkCodeBlocks(right)).toMatchObject({ passed: true });
    // A print inside a loop: the lines are not the prints, so no position is assumed.
    expect(
      statedOutputs("```python\nfor i in range(2):\n    print(i)  # 0\nprint(9)  # 9\n```")[0]?.printLine,
    ).toBeUndefined();
  });

  it("runs code written after the question without a fence", async () => {
    const prompt = "What does this Python code print?\n\nprint(sorted(['banana', 'apple', 'Cherry']))";
    expect(await checkAnsweredOutput(prompt, "['apple', 'banana', 'Cherry']")).toMatchObject({
      passed: false,
      defect: "code_output_mismatch",
    });
    expect(await checkAnsweredOutput(prompt, "['Cherry', 'apple', 'banana']")).toMatchObject({
      passed: true,
    });
  });
});

describe("loops that stop one short of the range the prompt asks for", () => {
  it("flags range(…, B) and i < B when the prompt counts from A to B", () => {
    const prompt = "What is the sum of the odd numbers from 1 to 99 inclusive?";
    expect(rangeBoundProblem(prompt, "print(sum(range(1, 99, 2)))")).toMatch(/stops before 99/);
    expect(rangeBoundProblem("Count the squares from 1 to 50.", "for (let i = 1; i < 50; i++) {}")).toMatch(
      /i < 50/,
    );
    expect(
      rangeBoundProblem("How many numbers between 10 and 40, inclusive, are prime?", "range(10, 40)"),
    ).toMatch(/stops before 40/);
  });

  it("leaves right bounds, exclusive prompts and steps that never reach the bound alone", () => {
    expect(rangeBoundProblem("Sum the integers from 1 to 100.", "print(sum(range(1, 101)))")).toBeNull();
    expect(
      rangeBoundProblem("Sum the integers from 1 to 100.", "n = 100\nprint(sum(range(1, n + 1)))"),
    ).toBeNull();
    // Multiples of 7 from 1 to 200 end at 196: range(7, 200, 7) is right.
    expect(
      rangeBoundProblem("How many multiples of 7 are there from 1 to 200?", "len(range(7, 200, 7))"),
    ).toBeNull();
    expect(rangeBoundProblem("Count from 0 to 10 (exclusive).", "range(0, 10)")).toBeNull();
    // "between A and B" without "inclusive" is ambiguous: not read.
    expect(rangeBoundProblem("How many primes lie between 10 and 40?", "range(10, 40)")).toBeNull();
  });
});
