import { type CheckResult, fail, pass } from "./check.js";
import { runJavaScript } from "./js-sandbox.js";
import { numericEquivalent } from "./maths.js";
import { runPython } from "./python-sandbox.js";
import type { SandboxOptions, SandboxResult } from "./sandbox-host.js";

/**
 * Code-execution checks: run code (and its tests) in the sandboxes, extract and run the
 * code blocks of an answer, and check that a program prints the answer it claims.
 */

/** Languages the sandboxes run. */
export type CodeLanguage = "python" | "javascript" | "typescript";

/** A fenced code block. */
export interface CodeBlock {
  language: CodeLanguage | "sql" | "other";
  /** The fence's info string as written (`py`, `js`...). */
  tag: string;
  code: string;
}

const LANG: Record<string, CodeBlock["language"]> = {
  python: "python",
  py: "python",
  python3: "python",
  javascript: "javascript",
  js: "javascript",
  node: "javascript",
  mjs: "javascript",
  typescript: "typescript",
  ts: "typescript",
  sql: "sql",
  sqlite: "sql",
};

/** Fenced code blocks of Markdown text, with their language. */
export function extractCodeBlocks(text: string): CodeBlock[] {
  const out: CodeBlock[] = [];
  for (const m of text.matchAll(/```([\w+#.-]*)[^\n]*\n([\s\S]*?)```/g)) {
    const tag = m[1]!.toLowerCase();
    let language = LANG[tag] ?? "other";
    if (!tag && looksLikePython(m[2]!)) language = "python";
    out.push({ language, tag, code: m[2]! });
  }
  return out;
}

function looksLikePython(code: string): boolean {
  return /^\s*(def |import |from \w+ import |print\(|class \w+[:(])/m.test(code);
}

/** Runs code in the sandbox of its language. */
export function runCode(language: CodeLanguage, code: string, opts?: SandboxOptions): Promise<SandboxResult> {
  if (language === "python") return runPython(code, opts);
  return runJavaScript(code, { ...opts, language });
}

/**
 * Runs code followed by its tests (asserts, or any code that raises on failure) in one
 * program. `passed` when the program runs to the end.
 */
export async function checkCode(
  input: { language: CodeLanguage; code: string; tests?: string },
  opts?: SandboxOptions,
): Promise<CheckResult> {
  const program = input.tests ? `${input.code}\n\n${input.tests}` : input.code;
  const r = await runCode(input.language, program, opts);
  if (r.ok) return pass("code", { stdout: r.stdout.slice(0, 2000) });
  return fail("code", [`the ${input.language} code fails${input.tests ? " its tests" : ""}: ${r.error}`], 0, {
    error: r.error,
    stderr: r.stderr.slice(-2000),
    timedOut: r.timedOut,
  });
}

/**
 * Errors that say the snippet needs something the sandbox does not have (a third-party
 * package, a data file, the network, a browser or Node API, keyboard input): the code
 * cannot be verified here, which is not evidence that it is wrong.
 */
export function unverifiableReason(r: SandboxResult): string | null {
  const e = r.error ?? "";
  // Only a plain exception or a refused network call: a limit, a crash, an exit status or
  // any other blocked action is a failure, never a pass by default.
  if (r.verdict === "blocked")
    return /^blocked by the sandbox: network access(?: \(then:|$)/.test(e) ? "it uses the network" : null;
  if (r.verdict !== "error") return null;
  if (/ModuleNotFoundError|No module named|could not load module/.test(e))
    return "it imports a package the sandbox does not have";
  if (/FileNotFoundError|No such file or directory/.test(e))
    return "it reads files that are not part of the example";
  if (/EOFError|I\/O error/.test(e) && !r.timedOut) return "it reads keyboard input";
  if (
    /ReferenceError: '?(?:require|process|document|window|fetch|setTimeout|setInterval|module|exports|Buffer|__dirname)'? is not defined/.test(
      e,
    )
  ) {
    return "it uses a host (Node or browser) API";
  }
  return null;
}

/**
 * Verifier: the Python, JavaScript and TypeScript blocks of an answer run. Blocks of one
 * language run together, in order, as one program (later blocks may use earlier ones);
 * a snippet that needs a package, a file, the network or input is recorded as not
 * verifiable rather than failed. Null when the answer has no runnable block.
 */
export async function checkCodeBlocks(text: string, opts?: SandboxOptions): Promise<CheckResult | null> {
  const blocks = extractCodeBlocks(text).filter(
    (b): b is CodeBlock & { language: CodeLanguage } =>
      b.language === "python" || b.language === "javascript" || b.language === "typescript",
  );
  if (blocks.length === 0) return null;
  const byLang = new Map<CodeLanguage, string[]>();
  for (const b of blocks) byLang.set(b.language, [...(byLang.get(b.language) ?? []), b.code]);
  const reasons: string[] = [];
  const runs: Record<string, unknown>[] = [];
  let unverifiable = 0;
  for (const [language, codes] of byLang) {
    const r = await runCode(language, codes.join("\n\n"), opts);
    const skip = r.ok ? null : unverifiableReason(r);
    runs.push({
      language,
      blocks: codes.length,
      ok: r.ok,
      error: r.error,
      timedOut: r.timedOut,
      unverifiable: skip,
      stdout: r.stdout.slice(0, 1000),
    });
    if (skip) unverifiable++;
    else if (!r.ok) reasons.push(`the ${language} code does not run: ${r.error}`);
  }
  if (reasons.length) return fail("code", reasons, 0, { runs });
  return pass("code", { runs, ...(unverifiable ? { unverifiable } : {}) });
}

/** The last non-empty line a program printed (where programs print their answer). */
export function lastLine(stdout: string): string {
  const lines = stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.at(-1) ?? "";
}

/**
 * Verifier for program-checked answers (GRPO rows): the program runs and the last line it
 * prints equals the stated answer (numerically when both are numbers).
 */
export async function checkProgramAnswer(
  input: { language?: CodeLanguage; code: string; answer: string },
  opts?: SandboxOptions,
): Promise<CheckResult> {
  const r = await runCode(input.language ?? "python", input.code, opts);
  if (!r.ok)
    return fail("program", [`the program does not run: ${r.error}`], 0, {
      error: r.error,
      stderr: r.stderr.slice(-1000),
    });
  const printed = lastLine(r.stdout);
  const same = printed === input.answer.trim() || numericEquivalent(printed, input.answer).equivalent;
  if (same) return pass("program", { printed });
  return fail(
    "program",
    [
      `the program prints "${printed.slice(0, 80)}", not the stated answer "${input.answer.trim().slice(0, 80)}"`,
    ],
    0,
    { printed },
  );
}
