import { afterAll, describe, expect, it } from "vitest";
import {
  checkCode,
  checkCodeBlocks,
  checkProgramAnswer,
  extractCodeBlocks,
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
