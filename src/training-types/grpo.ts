import { z } from "zod";
import { sentences } from "../core/text.js";
import { lastLine } from "../tools/code-check.js";
import { runPython } from "../tools/python-sandbox.js";
import { answersAgree, solveProblem, writeProblems } from "./grpo-problems.js";
import { registerTrainingType } from "./registry.js";
import { sameText, schemaProblems } from "./row-checks.js";
import type { OfflineVerdict, TrainingType } from "./types.js";

/** Stored columns of `synthetic_data_grpo`. */
export const grpoRowSchema = z.object({
  prompt: z.string().min(1),
  reasoning: z.string().min(1),
  code: z.string().min(1),
  predicted_answer: z.string().min(1),
  /** The reference answer GRPO reward functions compare with (the verified predicted answer). */
  solution: z.string().min(1),
  /** True when running `code` in the sandbox printed the predicted answer. */
  is_correct: z.boolean(),
  /** What the program printed (or the error that stopped it). */
  execution_output: z.string().nullable(),
});
/** One GRPO example as stored. */
export type GrpoRow = z.infer<typeof grpoRowSchema>;

const grpoOutputSchema = z.object({
  prompt: z
    .string()
    .min(1)
    .describe("The problem, self-contained, with every number needed, asking for one final answer."),
  reasoning: z
    .string()
    .min(1)
    .describe("Step-by-step solution, one step per line, each showing the quantity it computes."),
  code: z
    .string()
    .min(1)
    .describe(
      "A self-contained Python 3 program (standard library only) that computes the answer and prints it as its last line.",
    ),
  predicted_answer: z.string().min(1).describe("The final answer only, e.g. '0.672 mol' or 'x = -8, x = 5'."),
});
type GrpoOutput = z.infer<typeof grpoOutputSchema>;

/** Time a verification program may run. */
export const GRPO_TIMEOUT_MS = 10_000;
/** Characters of program output kept in `execution_output`. */
const OUTPUT_CHARS = 2000;

/**
 * Runs the verification program in the Python sandbox (Pyodide in a child process: no
 * network, no host file system, no environment, limited in time, memory and output) and compares what it prints with the predicted
 * answer: `is_correct` is true only when the program ran cleanly and every number of the
 * prediction matches its output to the precision written.
 */
export async function verifyGrpo(out: GrpoOutput): Promise<GrpoRow> {
  const run = await runPython(out.code, { timeoutMs: GRPO_TIMEOUT_MS });
  const printed = lastLine(run.stdout);
  const isCorrect = run.ok && printed !== "" && answersAgree(out.predicted_answer, printed);
  const output = run.ok
    ? run.stdout.trim()
    : [run.stdout.trim(), run.error ?? "the program failed"].filter(Boolean).join("\n");
  return {
    prompt: out.prompt.trim(),
    reasoning: out.reasoning.trim(),
    code: out.code.trim(),
    predicted_answer: out.predicted_answer.trim(),
    solution: isCorrect || !printed ? out.predicted_answer.trim() : printed,
    is_correct: isCorrect,
    execution_output: output.slice(0, OUTPUT_CHARS) || null,
  };
}

/**
 * A wrong attempt labelled as one: `is_correct` is false, the program prints the predicted
 * answer (the reasoning and the code agree), and the reference solution differs from it.
 * A dataset may hold such rows as negative samples; the pipeline's own rows never are
 * (their solution is the program's output, so a false `is_correct` means the two disagree).
 */
export function verifiedWrongAttempt(row: Partial<GrpoRow>): boolean {
  if (
    row.is_correct !== false ||
    typeof row.predicted_answer !== "string" ||
    typeof row.solution !== "string"
  )
    return false;
  const printed = lastLine(row.execution_output ?? "");
  return (
    printed !== "" &&
    answersAgree(row.predicted_answer, printed) &&
    !answersAgree(row.predicted_answer, row.solution)
  );
}

/** The offline verdict on a GRPO row that lacks fields the judge needs (`format_invalid`). */
function malformedGrpoVerdict(fields: string[]): OfflineVerdict {
  const issue = `format_invalid: the GRPO row has no ${fields.join(", ")}; give every column (the solution and is_correct come from running the code)`;
  return {
    scores: { accuracy: 0, completeness: 0, helpfulness: 0, clarity: 0.5, difficulty_fit: 0.5 },
    issues: [issue],
    summary: `Offline review: ${issue}.`,
  };
}

/** Steps of a reasoning text: its non-empty lines, or its sentences when it is one paragraph. */
function steps(reasoning: string): string[] {
  const lines = reasoning
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.length > 1 ? lines : sentences(reasoning);
}

const MIN_STEPS = { easy: 2, medium: 3, hard: 3 } as const;

/**
 * GRPO: problems with one verifiable answer, each with step-by-step reasoning, a Python
 * verification program, the predicted answer and `is_correct`, set by running the
 * program in the sandbox. Exports put the verified answer in `solution`, the column
 * TRL's reward functions read.
 */
export const grpoType: TrainingType<GrpoRow, GrpoOutput> = {
  name: "grpo",
  title: "Group relative policy optimisation (GRPO)",
  questionHint:
    "problems with a single checkable final answer (a number, formula or short expression) that take several reasoning steps",
  rowSchema: grpoRowSchema,
  generation: {
    outputSchema: grpoOutputSchema,
    deep: true,
    instructions: [
      "Produce one GRPO problem with a single verifiable final answer (a number with its unit, a short expression or a",
      "small set of values), grounded in the research context: use its formulas, constants and data.",
      "`prompt`: the problem, self-contained, giving every value needed and saying what form the answer takes.",
      "`reasoning`: the solution, one step per line (no step numbers), showing each quantity computed; write '≈' for",
      "rounded results and '×' for products.",
      "`code`: a self-contained Python 3 program (standard library only; no input(), files or network) that recomputes",
      "the answer from the problem's values and prints it as its LAST line, numbers in the same order as predicted_answer.",
      "`predicted_answer`: the final answer only, rounded sensibly (3 significant figures unless the problem says otherwise).",
      "The program is run in a sandbox; the example is kept only when its output matches predicted_answer.",
    ].join("\n"),
    toRow: (out) => verifyGrpo(out),
    offline: (input) => {
      const solved = solveProblem(input.question);
      if (!solved) {
        return {
          prompt: input.question,
          reasoning:
            "The offline provider solves only its own procedural problems.\nThis problem is not one of them.",
          code: 'raise SystemExit("no offline solution for this problem")',
          predicted_answer: "no computed answer",
        };
      }
      return {
        prompt: input.question,
        // One step per line, unnumbered: a step number reads as a claimed quantity to a fact checker.
        reasoning: solved.steps.join("\n"),
        code: solved.code,
        predicted_answer: solved.answer,
      };
    },
  },
  validate(row) {
    const errs = schemaProblems(grpoRowSchema, row);
    // A wrong attempt kept as a negative example (is_correct false) may be a one-line slip.
    if (typeof row.reasoning === "string" && row.is_correct !== false && steps(row.reasoning).length < 2)
      errs.push("reasoning must show at least two steps");
    if (typeof row.code === "string" && !/\bprint\s*\(/.test(row.code))
      errs.push("code must print the answer");
    if (typeof row.predicted_answer === "string" && row.predicted_answer.length > 200)
      errs.push("predicted_answer must be the final answer only (at most 200 characters)");
    if (
      typeof row.prompt === "string" &&
      typeof row.reasoning === "string" &&
      sameText(row.prompt, row.reasoning)
    )
      errs.push("reasoning repeats the prompt");
    // A row whose program printed something is judged by running it (the review's `program`
    // verifier names the defect: the code, or the reasoning's arithmetic); without output
    // there is nothing that verified the answer.
    if (row.is_correct === false && !verifiedWrongAttempt(row) && !lastLine(row.execution_output ?? "")) {
      errs.push(
        `is_correct is false: the verification program's output (${(row.execution_output ?? "nothing").split("\n").at(-1)}) does not match the predicted answer (${row.predicted_answer})`,
      );
    }
    return errs;
  },
  rubric: [
    "accuracy: the final answer is right (the verification program agreed: is_correct) and every step is correct;",
    "  facts and constants agree with the ground-truth passages.",
    "completeness: the reasoning shows every step from the given values to the answer; the program recomputes it.",
    "helpfulness: the problem is well posed (all values given, one answer) and worth training on.",
    "clarity: steps are in order, quantities are labelled with units.",
    "difficulty_fit: the number of reasoning steps fits the requested difficulty.",
  ].join("\n"),
  promptText: (r) => r.prompt,
  answerText: (r) => `${r.reasoning}\n\n${r.predicted_answer}`,
  offlineQuestions: (input) => writeProblems(input),
  offlineJudge(input): OfflineVerdict {
    const row = input.example as GrpoRow;
    const missing = (["prompt", "reasoning", "code", "predicted_answer"] as const).filter(
      (k) => typeof row[k] !== "string" || !row[k].trim(),
    );
    // A row without its verified fields (an imported row with only some columns) is judged as
    // malformed, never crashed on.
    if (missing.length || typeof row.is_correct !== "boolean" || typeof row.solution !== "string")
      return malformedGrpoVerdict([
        ...missing,
        ...(typeof row.solution !== "string" ? ["solution"] : []),
        ...(typeof row.is_correct !== "boolean" ? ["is_correct"] : []),
      ]);
    const issues: string[] = [];
    const n = steps(row.reasoning ?? "").length;
    const negative = verifiedWrongAttempt(row);
    if (!row.is_correct && !negative)
      issues.push("the verification program does not confirm the predicted answer");
    if (!row.execution_output) issues.push("the verification program printed nothing");
    const want = MIN_STEPS[input.difficulty];
    if (n < want)
      issues.push(`only ${n} reasoning step(s) for a ${input.difficulty} problem (want ${want}+)`);
    const givens = (row.prompt.match(/\d+(?:\.\d+)?/g) ?? []).slice(0, 6);
    const usesGivens = givens.length === 0 || givens.some((g) => row.reasoning.includes(g));
    if (!usesGivens) issues.push("the reasoning does not work with the problem's values");
    return {
      scores: {
        accuracy: (row.is_correct || negative) && row.execution_output ? 1 : 0,
        completeness: n >= 2 ? 1 : 0.5,
        helpfulness: usesGivens ? 1 : 0.6,
        clarity: 1,
        difficulty_fit: Math.min(1, n / want),
      },
      issues,
      summary: issues.length
        ? `Offline review: ${issues[0]}.`
        : "Offline review: answer verified by running the program.",
    };
  },
  exporters: {
    "trl-grpo": (r) => ({ prompt: [{ role: "user", content: r.prompt }], solution: r.solution }),
    "openai-rft": (r) => ({ messages: [{ role: "user", content: r.prompt }], reference_answer: r.solution }),
  },
  hub: {
    taskCategories: ["text-generation", "reinforcement-learning"],
    tags: ["grpo", "reasoning", "math", "verifiable-rewards"],
  },
};

registerTrainingType(grpoType);
