import type { FunctionTool, ToolInputParameters, ToolOptions } from "@google/adk";
import { z } from "zod";
import { lazyInstance } from "../core/load.js";
import { adk } from "../models/adk.js";
import {
  balanceEquation,
  checkBalanced,
  convertUnits,
  molarMass,
  parseFormula,
  stoichiometry,
} from "./chemistry.js";
import { checkCode } from "./code-check.js";
import { runJavaScript } from "./js-sandbox.js";
import { checkAnswer, checkLatex, symbolicEquivalent } from "./maths.js";
import { generateMutants } from "./mutants.js";
import { runPython } from "./python-sandbox.js";
import { runSql } from "./sql.js";
import { checkPii, checkToxicity, verbatimOverlap } from "./text-checks.js";

/**
 * The deterministic tools as ADK `FunctionTool`s, so agents can call the same checks the
 * reviewer runs (DESIGN §5). Each wraps a plain function of `src/tools/`; errors become
 * `{ error }` results for the model (ADK does that for exceptions), never crashes.
 */

/** An ADK `FunctionTool` made (and ADK loaded) when it is first used. */
const tool = <T extends ToolInputParameters>(options: ToolOptions<T>): FunctionTool<T> =>
  lazyInstance(() => new (adk().FunctionTool)(options));

const limits = {
  timeout_ms: z.number().int().positive().max(60_000).optional().describe("Time limit in ms (default 5000)."),
};
const lang = z.enum(["python", "javascript", "typescript"]);

/** `run_python`: runs a Python program in the Pyodide sandbox. */
export const runPythonTool = tool({
  name: "run_python",
  description:
    "Runs a Python 3 program (standard library only) in a sandbox with no network or files. Returns stdout, stderr and the error.",
  parameters: z.object({
    code: z.string().describe("The complete program; print what you need to see."),
    ...limits,
  }),
  execute: ({ code, timeout_ms }) => runPython(code, { ...(timeout_ms ? { timeoutMs: timeout_ms } : {}) }),
});

/** `run_javascript`: runs JavaScript or TypeScript in the QuickJS sandbox. */
export const runJavaScriptTool = tool({
  name: "run_javascript",
  description:
    "Runs JavaScript or TypeScript (ECMAScript only: no Node or browser APIs) in a sandbox. console.log output is returned.",
  parameters: z.object({
    code: z.string(),
    language: z.enum(["javascript", "typescript"]).optional(),
    ...limits,
  }),
  execute: ({ code, language, timeout_ms }) =>
    runJavaScript(code, {
      language: language ?? "javascript",
      ...(timeout_ms ? { timeoutMs: timeout_ms } : {}),
    }),
});

/** `check_math_answer`: numeric or symbolic equivalence of an answer and a reference. */
export const checkMathAnswerTool = tool({
  name: "check_math_answer",
  description:
    "Checks whether an answer equals a reference: numerically (units, 0.34 = 17/50 = 34%) or symbolically (2(x+1) = 2x+2). LaTeX is accepted.",
  parameters: z.object({ answer: z.string(), reference: z.string() }),
  execute: ({ answer, reference }) => checkAnswer(answer, reference),
});

/** `symbolic_equivalent`: are two expressions or equations the same? */
export const symbolicEquivalentTool = tool({
  name: "symbolic_equivalent",
  description: "Checks whether two algebraic expressions (or equations) are mathematically equivalent.",
  parameters: z.object({ a: z.string(), b: z.string() }),
  execute: ({ a, b }) => symbolicEquivalent(a, b),
});

/** `check_latex`: does a LaTeX maths expression parse? */
export const checkLatexTool = tool({
  name: "check_latex",
  description:
    "Checks that a LaTeX maths expression parses (braces, \\left/\\right, environments, \\frac arguments, known commands).",
  parameters: z.object({ latex: z.string() }),
  execute: ({ latex }) => {
    const problems = checkLatex(latex);
    return { ok: problems.length === 0, problems };
  },
});

/** `molar_mass`: parses a formula and gives its molar mass. */
export const molarMassTool = tool({
  name: "molar_mass",
  description:
    "Parses a chemical formula (parentheses, hydrates like CuSO4·5H2O, charges like SO4^2-) and returns its atoms, charge and molar mass in g/mol.",
  parameters: z.object({ formula: z.string() }),
  execute: ({ formula }) => {
    const f = parseFormula(formula);
    return { formula: f.text, atoms: f.atoms, charge: f.charge, molarMass: molarMass(f) };
  },
});

/** `balance_equation`: checks and balances a chemical equation. */
export const balanceEquationTool = tool({
  name: "balance_equation",
  description:
    "Checks whether a chemical equation is balanced and gives the smallest whole-number balanced form (e.g. 'H2 + O2 -> H2O').",
  parameters: z.object({ equation: z.string() }),
  execute: ({ equation }) => ({
    ...checkBalanced(equation),
    balanced_form: balanceEquation(equation).equation,
  }),
});

/** `stoichiometry`: limiting reagent and theoretical yield. */
export const stoichiometryTool = tool({
  name: "stoichiometry",
  description: "Limiting reagent and theoretical yield of a reaction from reactant amounts (grams or moles).",
  parameters: z.object({
    equation: z.string(),
    amounts: z.record(
      z.string(),
      z.object({ grams: z.number().positive().optional(), moles: z.number().positive().optional() }),
    ),
  }),
  execute: ({ equation, amounts }) => {
    const given: Record<string, { grams: number } | { moles: number }> = {};
    for (const [k, v] of Object.entries(amounts)) {
      if (v.moles !== undefined) given[k] = { moles: v.moles };
      else if (v.grams !== undefined) given[k] = { grams: v.grams };
    }
    return stoichiometry(equation, given);
  },
});

/** `convert_units`: unit conversion. */
export const convertUnitsTool = tool({
  name: "convert_units",
  description: "Converts a value between units (g, mol, L, M, atm, kPa, degC, K, J, cal...).",
  parameters: z.object({ value: z.number(), from: z.string(), to: z.string() }),
  execute: ({ value, from, to }) => ({ value: convertUnits(value, from, to), unit: to }),
});

/** `run_sql`: runs SQL against an in-memory SQLite database. */
export const runSqlTool = tool({
  name: "run_sql",
  description:
    "Creates an in-memory SQLite database from a schema (CREATE/INSERT statements) and runs a query against it.",
  parameters: z.object({ schema: z.string(), query: z.string(), ...limits }),
  execute: ({ schema, query, timeout_ms }) =>
    runSql(schema, query, timeout_ms ? { timeoutMs: timeout_ms } : {}),
});

/** `check_code`: runs code with its tests. */
export const checkCodeTool = tool({
  name: "check_code",
  description: "Runs code followed by its tests (asserts) in the sandbox; passed when everything runs.",
  parameters: z.object({ language: lang, code: z.string(), tests: z.string().optional(), ...limits }),
  execute: ({ language, code, tests, timeout_ms }) =>
    checkCode({ language, code, ...(tests ? { tests } : {}) }, timeout_ms ? { timeoutMs: timeout_ms } : {}),
});

/** `make_bad_code`: failing mutants of working code, for debugging datasets. */
export const makeBadCodeTool = tool({
  name: "make_bad_code",
  description:
    "Makes buggy versions of working code (operator swap, off-by-one, wrong variable) that demonstrably fail the given tests.",
  parameters: z.object({
    language: lang,
    code: z.string(),
    tests: z.string(),
    max: z.number().int().min(1).max(10).optional(),
  }),
  execute: ({ language, code, tests, max }) => generateMutants({ language, code, tests }, { max: max ?? 3 }),
});

/** `verbatim_overlap`: how much of a text is copied from passages. */
export const verbatimOverlapTool = tool({
  name: "verbatim_overlap",
  description: "Measures word-for-word overlap (8-word n-grams) between a text and source passages.",
  parameters: z.object({
    text: z.string(),
    passages: z.array(z.object({ source_id: z.string(), text: z.string() })),
  }),
  execute: ({ text, passages }) =>
    verbatimOverlap(
      text,
      passages.map((p) => ({ sourceId: p.source_id, text: p.text })),
    ),
});

/** `screen_text`: PII and toxicity screens. */
export const screenTextTool = tool({
  name: "screen_text",
  description:
    "Screens text for personal data (emails, phones, IDs, cards, IPs) and toxicity (slurs, threats, profanity).",
  parameters: z.object({ text: z.string() }),
  execute: ({ text }) => ({ pii: checkPii(text), toxicity: checkToxicity(text) }),
});

/** Every verifier tool, for an agent's `tools`. */
export function verifierTools(): FunctionTool[] {
  return [
    runPythonTool,
    runJavaScriptTool,
    checkMathAnswerTool,
    symbolicEquivalentTool,
    checkLatexTool,
    molarMassTool,
    balanceEquationTool,
    stoichiometryTool,
    convertUnitsTool,
    runSqlTool,
    checkCodeTool,
    makeBadCodeTool,
    verbatimOverlapTool,
    screenTextTool,
  ] as FunctionTool[];
}
