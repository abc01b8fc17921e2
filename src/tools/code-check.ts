import { escapeRe } from "../core/text.js";
import { type CheckResult, fail, pass } from "./check.js";
import { runJavaScript } from "./js-sandbox.js";
import { answerForms, numericEquivalent } from "./maths.js";
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
  /** Where the block starts and ends in the text (the fences included). */
  start?: number;
  end?: number;
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
    out.push({ language, tag, code: m[2]!, start: m.index, end: m.index + m[0].length });
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
  return fail(
    "code",
    [`the ${input.language} code fails${input.tests ? " its tests" : ""}: ${r.error}`],
    0,
    { error: r.error, stderr: r.stderr.slice(-2000), timedOut: r.timedOut },
    "code_wrong",
  );
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
 * A JavaScript snippet that awaits at its top level (`const user = await fetchUser();`) is a
 * fragment of a module or an async function: the script the sandbox runs cannot parse it,
 * which is not evidence that it is wrong.
 */
function fragmentReason(language: string, program: string, r: SandboxResult): string | null {
  if (language !== "javascript" || r.verdict !== "error" || !/SyntaxError/.test(r.error ?? "")) return null;
  return /^(?:(?:const|let|var)\s+[^=\n]+=\s*)?await\b/m.test(program)
    ? "it awaits at its top level (a fragment)"
    : null;
}

/** An output the text says a code block produces. */
export interface StatedOutput {
  /** Index of the block (among the text's runnable blocks) the claim is about. */
  block: number;
  /** Where it was stated: an output block after the code, a comment in the code, or the prose. */
  source: "output-block" | "comment" | "prose";
  /** The expected output (lines, for an output block). */
  expected: string;
  /** An expression whose value is stated ("`f(3)` returns 5"); evaluated after the block's program. */
  expression?: string;
  /**
   * For a comment on a print call, in a block whose every print is a statement of its own
   * line at the top level: which of the block's printed lines it is about (0-based).
   */
  printLine?: number;
  /** For an expression in a comment (`d.get("x", [])  # []`): its line in the block, where its value is read. */
  line?: number;
  text: string;
}

type Runnable = CodeBlock & { language: CodeLanguage };

const VALUE = String.raw`(?:\x60([^\x60\n]{1,200})\x60|"([^"\n]{0,200})"|'([^'\n]{0,200})'|(\[[^\]\n]{0,200}\]|\{[^}\n]{0,200}\}|\([^)\n]{0,200}\))|(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)(?![\w.]*\w)|\b(True|False|None|true|false|null|undefined|NaN)\b)`;
const OUTPUT_VERB = String.raw`(?<![\x60\w])(?:prints|outputs|output\s+is|displays|logs|will\s+print|would\s+print|should\s+print)(?![\x60\w])`;
const VALUE_VERB = String.raw`(?:returns|return|gives|evaluates\s+to|produces|yields|results\s+in|is\s+equal\s+to|equals|→|->|=>)`;

const statedValue = (m: RegExpMatchArray, from: number): string | null => {
  for (let k = from; k < from + 6; k++) if (m[k] !== undefined) return m[k]!;
  return null;
};

/** True when a comment value is a literal (a number, a quoted string, a list, True/None...), not prose. */
function isLiteral(v: string): boolean {
  const t = v.trim();
  return (
    /^-?\d+(?:\.\d+)?(?:e[-+]?\d+)?$/i.test(t) ||
    /^(?:True|False|None|true|false|null|undefined|NaN)$/.test(t) ||
    /^(["']).*\1$/.test(t) ||
    /^[[{(].*[\]})]$/.test(t)
  );
}

/** How many print calls a block's code has (each a line of output when it is one-line prints). */
const countPrints = (code: string) => (code.match(/\b(?:print|console\.log)\s*\(/g) ?? []).length;

/**
 * The outputs a text says its code produces: an output block right after a code block
 * ("Output:" then a fenced block), comments in the code (`print(x)  # 6`, `# Output: [3, 2, 1]`,
 * `f(3)  # → 5`), and prose ("prints 6", "`f(3)` returns 5", "`lst[::-1]` gives `[3, 2, 1]`").
 * Prose claims are about the nearest runnable block before them (or the first block).
 */
export function statedOutputs(text: string): StatedOutput[] {
  const all = extractCodeBlocks(text);
  const runnable = all.filter((b): b is Runnable => RUNNABLE.has(b.language));
  const out: StatedOutput[] = [];
  const indexOf = (b: CodeBlock) => runnable.indexOf(b as Runnable);
  // Output blocks: a non-code block right after a runnable one, introduced as its output.
  for (let i = 0; i + 1 < all.length; i++) {
    const code = all[i]!;
    const next = all[i + 1]!;
    if (!RUNNABLE.has(code.language) || RUNNABLE.has(next.language) || next.language === "sql") continue;
    if (code.end === undefined || next.start === undefined) continue;
    const between = text.slice(code.end, next.start);
    const outputTag = /^(?:text|txt|output|out|console|stdout|plaintext|plain|shell-session|result)$/.test(
      next.tag,
    );
    if (between.length > 160) continue;
    if (
      !outputTag &&
      !(
        next.tag === "" &&
        /\b(?:output|prints?|printed|result|console|displays?|shows?|gives?|produces?|returns?)\b|→|:\s*$/i.test(
          between,
        )
      )
    )
      continue;
    if (/^\s*(?:\$|>|#!)/m.test(next.code) && !outputTag) continue;
    out.push({
      block: indexOf(code),
      source: "output-block",
      expected: next.code.trim(),
      text: between.trim(),
    });
  }
  // Comments in the code.
  runnable.forEach((b, bi) => {
    const comment = b.language === "python" ? "#" : "//";
    const lines = b.code.split("\n");
    // Every print a top-level statement of its own line, none in a loop or a function: the
    // k-th print line prints the k-th line of output.
    const printAt = /^(?:print|console\.log)\s*\(/;
    const topPrints = lines.filter((l) => printAt.test(l));
    const positional =
      topPrints.length > 1 &&
      topPrints.length === countPrints(b.code) &&
      !/\b(?:for|while|def|function)\b/.test(b.code);
    let printsSeen = 0;
    for (let li = 0; li < lines.length; li++) {
      const line = lines[li]!;
      const printLine = printAt.test(line) ? printsSeen++ : -1;
      const at = commentStart(line, comment);
      if (at < 0) continue;
      const code = line.slice(0, at).trim();
      let note = line.slice(at + comment.length).trim();
      const labelled = /^(?:output|prints?|result|returns?|gives|→|->|=>)\s*:?\s*/i.exec(note);
      if (labelled) note = note.slice(labelled[0].length).trim();
      // "[] -- d is still {}": the value, then a remark about it.
      note = note.replace(/\s+(?:--|—|–)\s+\D.*$/, "");
      if (!note) {
        // "# Output:" followed by comment lines holding the output.
        if (!labelled || code) continue;
        const following: string[] = [];
        for (let k = li + 1; k < lines.length; k++) {
          const l = lines[k]!.trim();
          if (!l.startsWith(comment)) break;
          following.push(l.slice(comment.length).trim());
        }
        if (following.length)
          out.push({ block: bi, source: "comment", expected: following.join("\n"), text: line.trim() });
        continue;
      }
      if (!labelled && !isLiteral(note)) continue;
      if (labelled && !isLiteral(note) && note.split(/\s+/).length > 6) continue;
      const printCall = /^(?:print|console\.log)\s*\(/.test(code);
      if (!code) {
        if (labelled && /^output|^prints?/i.test(labelled[0]))
          out.push({ block: bi, source: "comment", expected: note, text: line.trim() });
        continue;
      }
      if (printCall)
        out.push({
          block: bi,
          source: "comment",
          expected: note,
          ...(positional && printLine >= 0 ? { printLine } : {}),
          text: line.trim(),
        });
      else if (
        /^[\w.]+\s*(?:\(|\[)/.test(code) &&
        !/^\s/.test(line) &&
        !/^(?:def|class|for|while|if|return|import|from|const|let|var|function)\b/.test(code) &&
        !/(?<![=!<>])=(?!=)/.test(code.replace(/\([^()]*\)/g, ""))
      )
        out.push({
          block: bi,
          source: "comment",
          expected: note,
          expression: code.replace(/;$/, ""),
          line: li,
          text: line.trim(),
        });
    }
  });
  // Prose, outside the code blocks.
  if (runnable.length) {
    let prose = text;
    for (const b of all)
      if (b.start !== undefined && b.end !== undefined)
        prose = prose.slice(0, b.start) + " ".repeat(b.end - b.start) + prose.slice(b.end);
    const nearest = (pos: number) => {
      let k = 0;
      runnable.forEach((b, i) => {
        if ((b.end ?? 0) <= pos) k = i;
      });
      return k;
    };
    const exprRe = new RegExp(
      String.raw`\x60([^\x60\n]{1,120})\x60\s+(?:${VALUE_VERB}|${OUTPUT_VERB})\s*:?\s*${VALUE}`,
      "gi",
    );
    const seen: Array<[number, number]> = [];
    for (const m of prose.matchAll(exprRe)) {
      const expr = m[1]!.trim();
      const value = statedValue(m, 2);
      if (value === null) continue;
      seen.push([m.index, m.index + m[0].length]);
      // Only expressions the program can evaluate: a call, an index or slice, a name.
      if (!/^[A-Za-z_][\w.]*\s*(?:\(.*\)|\[.*\])?$/.test(expr) || /^(?:print|console\.log)\b/.test(expr)) {
        if (/^(?:print|console\.log)\s*\(/.test(expr))
          out.push({ block: nearest(m.index), source: "prose", expected: value, text: m[0] });
        continue;
      }
      out.push({ block: nearest(m.index), source: "prose", expected: value, expression: expr, text: m[0] });
    }
    const outRe = new RegExp(
      String.raw`\b(?:(?:it|this|the\s+(?:code|program|script|snippet|function|loop|call))\s+)?${OUTPUT_VERB}\s*:?\s*${VALUE}`,
      "gi",
    );
    for (const m of prose.matchAll(outRe)) {
      if (seen.some(([a, b]) => m.index < b && m.index + m[0].length > a)) continue;
      const value = statedValue(m, 1);
      if (value === null || !value.trim()) continue;
      out.push({ block: nearest(m.index), source: "prose", expected: value, text: m[0] });
    }
  }
  return out.filter((o) => o.block >= 0);
}

/** Where a line's comment starts (outside string literals), or -1. */
function commentStart(line: string, comment: string): number {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if (line.startsWith(comment, i)) return i;
  }
  return -1;
}

const RUNNABLE = new Set<string>(["python", "javascript", "typescript"]);

/** A printed value in a comparable form: no quotes, no spaces after separators, one spelling of true/none. */
export function normaliseOutput(s: string): string {
  let t = s
    .trim()
    .replace(/^`+|`+$/g, "")
    .trim();
  if (/^(["']).*\1$/s.test(t)) t = t.slice(1, -1);
  return t
    .replace(/\r/g, "")
    .replace(/[ \t]+/g, " ")
    .replace(/\s*([,:;[\](){}])\s*/g, "$1")
    .replace(/(["'])([^"'\n]*)\1/g, "$2")
    .replace(/\bTrue\b/g, "true")
    .replace(/\bFalse\b/g, "false")
    .replace(/\b(?:None|undefined)\b/g, "null")
    .trim();
}

/** Whether a stated output is the printed one: the same text, or the same numbers to the precision stated. */
export function sameOutput(expected: string, actual: string): boolean {
  const e = normaliseOutput(expected);
  const a = normaliseOutput(actual);
  if (e === a) return true;
  const num = /-?\d+(?:\.\d+)?(?:e[-+]?\d+)?/gi;
  const en = e.match(num) ?? [];
  const an = a.match(num) ?? [];
  if (en.length === 0 || en.length !== an.length) return false;
  if (e.replace(num, "#") !== a.replace(num, "#")) return false;
  return en.every((x, i) => x === an[i] || numericEquivalent(x, an[i]!).equivalent);
}

/** Whether a stated output appears in what a block printed (a line, consecutive lines, or part of one). */
function printedIncludes(expected: string, printed: string[]): boolean {
  const want = expected
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^(?:\.\.\.|…)$/.test(l));
  if (want.length === 0) return true;
  if (want.length === 1) {
    const w = want[0]!;
    return (
      printed.some((p) => sameOutput(w, p)) ||
      (normaliseOutput(w).length >= 3 && printed.some((p) => normaliseOutput(p).includes(normaliseOutput(w))))
    );
  }
  for (let i = 0; i + want.length <= printed.length; i++)
    if (want.every((w, k) => sameOutput(w, printed[i + k]!))) return true;
  return false;
}

const MARK = "@@synthforge-block-";

/** A well-known function and what it must return, to test a definition of it by its name. */
interface Oracle {
  names: RegExp;
  /**
   * The task in a prompt's words ("the largest number in a list"): a prompt that asks for
   * it tests the one function of the answer with this many parameters, whatever its name.
   */
  task?: RegExp;
  params: number;
  cases: Array<{ args: string; expect: string }>;
}

/** Well-known functions of coding examples (Python), each with inputs and the one right result. */
const ORACLES: Oracle[] = [
  {
    names: /^(?:factorial|fact)$/,
    task: /\bfactorial\b/i,
    params: 1,
    cases: [
      { args: "0", expect: "1" },
      { args: "1", expect: "1" },
      { args: "5", expect: "120" },
      { args: "6", expect: "720" },
    ],
  },
  {
    names: /^is_?prime$/i,
    task: /\b(?:is|whether|if|checks?|tests?)\b[^.?\n]{0,40}\bprime\b/i,
    params: 1,
    cases: [
      { args: "1", expect: "False" },
      { args: "2", expect: "True" },
      { args: "4", expect: "False" },
      { args: "9", expect: "False" },
      { args: "17", expect: "True" },
      { args: "25", expect: "False" },
      { args: "97", expect: "True" },
    ],
  },
  {
    names: /^(?:gcd|greatest_common_divisor)$/,
    task: /\b(?:gcd|greatest common divisor|highest common factor)\b/i,
    params: 2,
    cases: [
      { args: "12, 18", expect: "6" },
      { args: "17, 5", expect: "1" },
      { args: "0, 7", expect: "7" },
    ],
  },
  {
    names: /^(?:lcm|least_common_multiple)$/,
    params: 2,
    cases: [
      { args: "4, 6", expect: "12" },
      { args: "3, 5", expect: "15" },
    ],
  },
  {
    names: /^median$/,
    task: /\bmedian\b/i,
    params: 1,
    cases: [
      { args: "[3, 1, 2]", expect: "2" },
      { args: "[4, 1, 3, 2]", expect: "2.5" },
      { args: "[5]", expect: "5" },
    ],
  },
  {
    names: /^(?:mean|average)$/,
    params: 1,
    cases: [
      { args: "[1, 2, 3, 4]", expect: "2.5" },
      { args: "[5]", expect: "5" },
    ],
  },
  {
    names: /^is_?palindrome$/i,
    params: 1,
    cases: [
      { args: '"racecar"', expect: "True" },
      { args: '"hello"', expect: "False" },
    ],
  },
  {
    names: /^is_?leap(?:_?year)?$|^leap_?year$/i,
    task: /\bleap year\b/i,
    params: 1,
    cases: [
      { args: "2024", expect: "True" },
      { args: "2023", expect: "False" },
      { args: "1900", expect: "False" },
      { args: "2000", expect: "True" },
    ],
  },
  {
    names: /^(?:celsius_to_fahrenheit|c_to_f|to_fahrenheit)$/,
    params: 1,
    cases: [
      { args: "0", expect: "32" },
      { args: "100", expect: "212" },
    ],
  },
  {
    names: /^(?:fahrenheit_to_celsius|f_to_c|to_celsius)$/,
    params: 1,
    cases: [
      { args: "32", expect: "0" },
      { args: "212", expect: "100" },
    ],
  },
  {
    names: /^(?:reverse_string|reverse_str)$/,
    params: 1,
    cases: [{ args: '"abc"', expect: "'cba'" }],
  },
  {
    names: /^(?:count_vowels)$/,
    task: /\bcount\w*\s+(?:the\s+|all\s+)?vowels\b/i,
    params: 1,
    cases: [
      { args: '"hello world"', expect: "3" },
      // A vowel is a vowel in capitals too, unless the prompt says lower case only.
      { args: '"Apple PIE"', expect: "4" },
    ],
  },
  {
    names: /^(?:largest|find_largest|find_max|get_max|max_value|maximum|biggest|max_of_list|list_max)$/,
    task: /\b(?:largest|biggest|greatest|maximum|highest)\s+(?:number|value|element|item|integer)s?\b[^.?\n]{0,40}\blist\b/i,
    params: 1,
    cases: [
      { args: "[3, 1, 2]", expect: "3" },
      { args: "[-5, -2, -9]", expect: "-2" },
      { args: "[7]", expect: "7" },
    ],
  },
  {
    names: /^(?:smallest|find_smallest|find_min|get_min|min_value|minimum|min_of_list|list_min)$/,
    task: /\b(?:smallest|lowest|minimum|least)\s+(?:number|value|element|item|integer)s?\b[^.?\n]{0,40}\blist\b/i,
    params: 1,
    cases: [
      { args: "[3, 1, 2]", expect: "1" },
      { args: "[5, 9, 12]", expect: "5" },
      { args: "[7]", expect: "7" },
    ],
  },
  {
    names: /^sum_?(?:of_?)?(?:the_?)?evens?(?:_numbers)?$/,
    task: /\bsum\s+of\s+(?:the\s+|all\s+)?even\s+(?:numbers|integers|values|elements|entries)\b/i,
    params: 1,
    cases: [
      { args: "[1, 2, 3, 4]", expect: "6" },
      { args: "[1, 3, 5]", expect: "0" },
      { args: "[-2, 5, 10]", expect: "8" },
    ],
  },
  {
    names: /^sum_?(?:of_?)?(?:the_?)?odds?(?:_numbers)?$/,
    task: /\bsum\s+of\s+(?:the\s+|all\s+)?odd\s+(?:numbers|integers|values|elements|entries)\b/i,
    params: 1,
    cases: [
      { args: "[1, 2, 3, 4]", expect: "4" },
      { args: "[2, 4]", expect: "0" },
    ],
  },
  {
    // Only when the prompt asks for case to be ignored.
    names: /^$/,
    task: /\bpalindrome\b[^.?\n]{0,60}\b(?:ignor\w*\s+(?:the\s+)?(?:letter\s+)?case|case[- ]insensitive(?:ly)?|regardless\s+of\s+case)\b/i,
    params: 1,
    cases: [
      { args: '"Racecar"', expect: "True" },
      { args: '"abba"', expect: "True" },
      { args: '"Hello"', expect: "False" },
    ],
  },
  {
    names: /^reverse_?(?:the_?)?words$/,
    task: /\brevers\w*\s+(?:the\s+)?(?:order\s+of\s+(?:the\s+)?)?words\b/i,
    params: 1,
    cases: [{ args: '"the quick brown fox"', expect: "'fox brown quick the'" }],
  },
  {
    names: /^(?:sum_digits|sum_of_digits|digit_sum)$/,
    params: 1,
    cases: [{ args: "1234", expect: "10" }],
  },
];

/**
 * Tests the well-known functions a Python answer defines (factorial, is_prime, gcd, median,
 * is_leap_year...) on inputs with one right result. Returns what is wrong (empty when they
 * all agree, or when none is defined). A function that raises on these inputs is wrong.
 */
export async function knownFunctionProblems(
  code: string,
  opts?: SandboxOptions,
  prompt?: string,
): Promise<string[]> {
  const tests: Array<{ name: string; args: string; expect: string }> = [];
  const defs = [...code.matchAll(/^def\s+([A-Za-z_]\w*)\s*\(([^)]*)\)/gm)].map((m) => ({
    name: m[1]!,
    params: m[2]!
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p && !p.startsWith("*") && !p.includes("=")).length,
  }));
  // The tasks the prompt asks for (only when it asks for one), each tested on the answer's
  // one function with its number of parameters.
  const asked = prompt ? ORACLES.filter((o) => o.task?.test(prompt)) : [];
  for (const d of defs) {
    const byName = ORACLES.find((o) => o.names.test(d.name) && o.params === d.params);
    const byTask =
      asked.length === 1 && defs.filter((x) => x.params === asked[0]!.params).length === 1
        ? asked.find((o) => o.params === d.params)
        : undefined;
    const oracle = byTask ?? byName;
    if (oracle) for (const c of oracle.cases) tests.push({ name: d.name, ...c });
  }
  if (tests.length === 0) return [];
  const harness = tests
    .map(
      (t, k) =>
        `try:\n    __r = ${t.name}(${t.args})\n    print(${JSON.stringify(`${MARK}t${k}:`)} + repr(__r))\nexcept Exception as __e:\n    print(${JSON.stringify(`${MARK}t${k}!`)} + type(__e).__name__)`,
    )
    .join("\n");
  const r = await runCode("python", `${code}\n\n${harness}`, opts);
  if (!r.ok) return [];
  const problems: string[] = [];
  tests.forEach((t, k) => {
    const line = r.stdout.split("\n").find((l) => l.startsWith(`${MARK}t${k}`));
    if (!line) return;
    const raised = line.startsWith(`${MARK}t${k}!`);
    const got = line.slice(`${MARK}t${k}:`.length);
    const ok =
      !raised &&
      (got === t.expect ||
        (/^-?[\d.]+$/.test(got) &&
          /^-?[\d.]+$/.test(t.expect) &&
          Math.abs(Number(got) - Number(t.expect)) < 1e-9));
    if (!ok)
      problems.push(
        `${t.name}(${t.args}) ${raised ? `raises ${got || line.slice(`${MARK}t${k}!`.length)}` : `returns ${got}`}; it should return ${t.expect}`,
      );
  });
  return problems.slice(0, 3);
}

const ASKS_OUTPUT =
  /\bwhat\s+(?:does|will|would|do)\b[^?\n]{0,200}\b(?:print|output|display|return|log|evaluate|show)\b|\bwhat\s+is\s+(?:the\s+)?(?:output|result|value)\s+of\b|\bwhat\s+gets\s+printed\b/i;

/**
 * A prompt that asks what a piece of code prints ("What does `print(0.1 + 0.2 == 0.3)` print?")
 * and an answer that states it: the code is run, and the answer must state what it printed.
 * Null when the prompt asks no such thing, the code prints nothing, or the answer states no
 * literal value (backticks, a code block, or a short final answer) to compare.
 */
export async function checkAnsweredOutput(
  prompt: string,
  answer: string,
  opts?: SandboxOptions,
): Promise<CheckResult | null> {
  if (!ASKS_OUTPUT.test(prompt)) return null;
  const blocks = extractCodeBlocks(prompt).filter((b): b is Runnable => RUNNABLE.has(b.language));
  let language: CodeLanguage;
  let code: string;
  if (blocks.length) {
    language = blocks[0]!.language;
    code = blocks
      .filter((b) => b.language === language)
      .map((b) => b.code)
      .join("\n\n");
  } else {
    const inline = [...prompt.matchAll(/\x60([^\x60\n]+)\x60/g)]
      .map((m) => m[1]!)
      .filter((c) => /\b(?:print|console\.log)\s*\(/.test(c));
    // Or code written after the question without a fence ("What does this print?\n\nprint(…)").
    const after = prompt
      .split(/\n\s*\n/)
      .slice(1)
      .join("\n\n")
      .trim();
    const unfenced =
      after &&
      /\b(?:print|console\.log)\s*\(/.test(after) &&
      !/[?]\s*$|^[A-Z][a-z]+ [a-z]+ [a-z]+/m.test(after)
        ? after
        : null;
    if (inline.length === 1) code = inline[0]!;
    else if (inline.length === 0 && unfenced) code = unfenced;
    else return null;
    language =
      /console\.log/.test(code) || /\b(?:javascript|typescript|node\.?js)\b/i.test(prompt)
        ? "javascript"
        : "python";
  }
  const r = await runCode(language, code, opts);
  if (!r.ok || unverifiableReason(r)) return null;
  const printed = r.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  if (printed.length === 0) return null;
  const literals = [
    ...[...answer.matchAll(/\x60\x60\x60[^\n]*\n([\s\S]*?)\x60\x60\x60/g)].map((m) => m[1]!),
    ...[...answer.replace(/\x60\x60\x60[\s\S]*?\x60\x60\x60/g, " ").matchAll(/\x60([^\x60\n]+)\x60/g)].map(
      (m) => m[1]!,
    ),
  ];
  const short = answer.trim().split("\n").at(-1)!.trim();
  if (literals.length === 0 && short.split(/\s+/).length <= 6) literals.push(short);
  if (literals.length === 0) return null;
  const whole = printed.join("\n");
  const stated = (l: string) => printedIncludes(l, printed) || sameOutput(l, whole);
  const hay = normaliseOutput(answer);
  if (literals.some(stated) || hay.includes(normaliseOutput(whole)))
    return pass("output", { printed: whole.slice(0, 200) });
  return fail(
    "output",
    [
      `the code in the prompt prints ${JSON.stringify(whole.slice(0, 120))}, which the answer does not state (it says ${JSON.stringify(literals[0]!.trim().slice(0, 80))})`,
    ],
    0,
    { printed: whole.slice(0, 500) },
    "code_output_mismatch",
  );
}

/**
 * True when the text says the code raises the error it raised (`# raises KeyError`, "this
 * throws a TypeError"): a demonstration of an error, not code that fails.
 */
function expectedError(error: string, text: string): boolean {
  const name = /\b([A-Z]\w*(?:Error|Exception|Interrupt))\b/.exec(error)?.[1];
  if (!name) return false;
  return (
    new RegExp(
      String.raw`\b(?:raises?|raising|throws?|throwing|thrown|gives?|fails?\s+with|an?)\s+(?:an?\s+)?\x60?${name}\b|${name}\x60?\s+(?:is\s+)?(?:raised|thrown)`,
      "i",
    ).test(text) || new RegExp(String.raw`(?:#|//)[^\n]*\b${name}\b`).test(text)
  );
}

/**
 * Verifier: the Python, JavaScript and TypeScript blocks of an answer run, and print what
 * the answer says they print. Blocks of one language run together, in order, as one program
 * (later blocks may use earlier ones); a snippet that needs a package, a file, the network or
 * input is recorded as not verifiable rather than failed. A stated output (an output block,
 * a comment, a sentence: see {@link statedOutputs}) that the run does not print fails with
 * `code_output_mismatch`; code that does not run fails with `code_wrong`. Null when the
 * answer has no runnable block.
 */
export async function checkCodeBlocks(text: string, opts?: SandboxOptions): Promise<CheckResult | null> {
  const blocks = extractCodeBlocks(text).filter((b): b is Runnable => RUNNABLE.has(b.language));
  if (blocks.length === 0) return null;
  const claims = statedOutputs(text);
  const byLang = new Map<CodeLanguage, number[]>();
  blocks.forEach((b, i) => {
    byLang.set(b.language, [...(byLang.get(b.language) ?? []), i]);
  });
  const reasons: string[] = [];
  const mismatches: string[] = [];
  const runs: Record<string, unknown>[] = [];
  let unverifiable = 0;
  for (const [language, indices] of byLang) {
    const marker = (i: number) =>
      language === "python"
        ? `print(${JSON.stringify(MARK + i)})`
        : `console.log(${JSON.stringify(MARK + i)});`;
    const program = indices.map((i) => `${blocks[i]!.code}\n${marker(i)}`).join("\n\n");
    const r = await runCode(language, program, opts);
    const skip = r.ok ? null : (unverifiableReason(r) ?? fragmentReason(language, program, r));
    runs.push({
      language,
      blocks: indices.length,
      ok: r.ok,
      error: r.error,
      timedOut: r.timedOut,
      unverifiable: skip,
      stdout: r.stdout.replaceAll(new RegExp(`${MARK}\\d+\\n?`, "g"), "").slice(0, 1000),
    });
    if (skip) {
      unverifiable++;
      continue;
    }
    const expected = !r.ok && expectedError(r.error ?? "", text);
    if (!r.ok && !expected) {
      reasons.push(`the ${language} code does not run: ${r.error}`);
      continue;
    }
    // What each block printed (a block that raised, as the text says it does, keeps what it printed first).
    const printed = new Map<number, string[]>();
    let current: string[] = [];
    for (const line of r.stdout.split("\n")) {
      const m = new RegExp(`^${MARK}(\\d+)$`).exec(line.trim());
      if (m) {
        printed.set(Number(m[1]), current);
        current = [];
      } else if (line.trim()) current.push(line.trim());
    }
    const stoppedAt = indices.find((i) => !printed.has(i));
    if (stoppedAt !== undefined) printed.set(stoppedAt, current);
    const reached = (i: number) => stoppedAt === undefined || i < stoppedAt;
    const mine = claims.filter((c) => indices.includes(c.block) && reached(c.block));
    for (const c of mine.filter((x) => !x.expression)) {
      // Earlier blocks' output counts too: a later prose line may describe the whole program.
      const own = printed.get(c.block) ?? [];
      const upTo = indices.filter((i) => i <= c.block).flatMap((i) => printed.get(i) ?? []);
      if (own.length === 0 && upTo.length === 0) continue; // prints nothing: the claim may be a value
      // A comment on the k-th of a block's one-line prints is about the k-th printed line.
      const lineOf =
        c.printLine !== undefined && own.length === countPrints(blocks[c.block]!.code)
          ? own[c.printLine]
          : undefined;
      if (lineOf !== undefined) {
        if (printedIncludes(c.expected, [lineOf])) continue;
        mismatches.push(
          `the ${language} code prints ${JSON.stringify(lineOf.slice(0, 120))} on that line, not the stated ${JSON.stringify(c.expected.slice(0, 120))} (${c.text.slice(0, 80)})`,
        );
        continue;
      }
      if (printedIncludes(c.expected, own) || (c.source === "prose" && printedIncludes(c.expected, upTo)))
        continue;
      mismatches.push(
        `the ${language} code prints ${JSON.stringify((own.length ? own : upTo).join("\n").slice(0, 120))}, not the stated ${JSON.stringify(c.expected.slice(0, 120))} (${c.text.slice(0, 80)})`,
      );
    }
    if (language === "python" && r.ok) {
      const wrong = await knownFunctionProblems(indices.map((i) => blocks[i]!.code).join("\n\n"), opts);
      for (const w of wrong) reasons.push(`the python code does not do what its function's name says: ${w}`);
    }
    const exprs = mine.filter((x) => x.expression);
    if (exprs.length) {
      const probe = (c: StatedOutput, k: number) =>
        language === "python"
          ? `try:\n    print(${JSON.stringify(`${MARK}v${k}:`)} + repr(${c.expression}))\nexcept Exception:\n    print(${JSON.stringify(`${MARK}v${k}!`)})`
          : `try { const __v = (${c.expression}); console.log(${JSON.stringify(`${MARK}v${k}:`)} + (typeof __v === "string" ? JSON.stringify(__v) : JSON.stringify(__v) ?? String(__v))); } catch { console.log(${JSON.stringify(`${MARK}v${k}!`)}); }`;
      // An expression commented in the code is read on its own line (later lines may change
      // what it refers to: `d.get("x", [])  # []` before `d.setdefault("x", [])`); one stated
      // in the prose after the block's program.
      const inPlace = (i: number) => {
        const lines = blocks[i]!.code.split("\n");
        exprs.forEach((c, k) => {
          if (c.line !== undefined && c.block === i && c.line < lines.length)
            lines[c.line] = `${lines[c.line]}\n${probe(c, k)}`;
        });
        return lines.join("\n");
      };
      const evalProgram = `${indices.map(inPlace).join("\n\n")}\n\n${exprs
        .map((c, k) => (c.line === undefined ? probe(c, k) : ""))
        .filter(Boolean)
        .join("\n")}`;
      const e = await runCode(language, evalProgram, opts);
      if (e.ok) {
        exprs.forEach((c, k) => {
          const line = e.stdout.split("\n").find((l) => l.startsWith(`${MARK}v${k}:`));
          if (!line) return;
          const value = line.slice(`${MARK}v${k}:`.length);
          if (!sameOutput(c.expected, value))
            mismatches.push(
              `\`${c.expression}\` is ${value.slice(0, 120)}, not the stated ${c.expected.slice(0, 120)}`,
            );
        });
      }
    }
  }
  if (reasons.length) return fail("code", reasons, 0, { runs }, "code_wrong");
  if (mismatches.length)
    return fail("code", mismatches, 0, { runs, statedOutputs: claims.length }, "code_output_mismatch");
  return pass("code", {
    runs,
    ...(claims.length ? { statedOutputs: claims.length } : {}),
    ...(unverifiable ? { unverifiable } : {}),
  });
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
 * Whether a stated answer is what a program printed: the same text, or the same numbers,
 * where only the ANSWER's written precision is allowed (an answer may round what the program
 * prints, "0.625" → "0.63"; a program that prints "0.6" does not confirm "0.625").
 */
export function answerMatchesPrinted(answer: string, printed: string): boolean {
  const a = normaliseOutput(answer);
  const p = normaliseOutput(printed);
  if (a === p) return true;
  const an = numbersOf(a);
  const pn = numbersOf(p);
  if (an.length === 0 || an.length !== pn.length)
    return numericEquivalent(printed, answer, { precisionAware: false }).equivalent;
  return an.every((x, i) => printsAs(pn[i]!, x));
}

const NUMBER = /-?\d+(?:\.\d+)?(?:e[-+]?\d+)?/gi;
/** The numbers of a text as written ("2,827.43" is one number). */
const numbersOf = (t: string) => t.replace(/(\d),(?=\d{3}(?!\d))/g, "$1").match(NUMBER) ?? [];

/** Whether a printed number is the answer's, to the answer's written precision. */
function printsAs(printed: string, answer: string): boolean {
  const pv = Number(printed);
  const av = Number(answer);
  const decimals = /\.(\d+)/.exec(answer)?.[1]?.length ?? 0;
  const res = /e/i.test(answer) ? Math.abs(av) * 5e-4 : 0.5 * 10 ** -decimals;
  return Math.abs(pv - av) <= res * (1 + 1e-9) + 1e-12 * Math.abs(av);
}

/**
 * Whether an answer of several values is what a program printed over several values or
 * lines: every number of the answer is printed, in the answer's order, and the answer's
 * last number is the last one printed ("A = 8, B = 19, shared secret = 2" for "8 19 2 2";
 * "$497.39 a month; about $4,844 interest" for "payment 497.39" then "interest 4843.54"); or
 * a program that prints one line starts it with the answer's numbers ("15 years" for "15 20104").
 */
export function answerValuesPrinted(answer: string, stdout: string): boolean {
  const an = numbersOf(normaliseOutput(answer));
  const pn = numbersOf(normaliseOutput(stdout));
  if (an.length === 0 || pn.length === 0) return false;
  // One line that starts with the answer and goes on with what supports it ("15 20104" for
  // "15 years": the years, then the population that crossed the line).
  const lines = stdout.trim().split("\n");
  if (lines.length === 1 && an.length < pn.length && an.every((x, i) => printsAs(pn[i]!, x))) return true;
  if (!printsAs(pn.at(-1)!, an.at(-1)!)) return false;
  let j = 0;
  for (const x of an) {
    while (j < pn.length && !printsAs(pn[j]!, x)) j++;
    if (j === pn.length) return false;
    j++;
  }
  return true;
}

/** Python packages a verification program may fairly use that the sandbox does not have. */
const SCIENTIFIC_PACKAGES = new Set([
  "numpy",
  "pandas",
  "scipy",
  "sympy",
  "statsmodels",
  "sklearn",
  "networkx",
  "matplotlib",
]);

/**
 * Verifier for program-checked answers (GRPO rows): the program runs and the last line it
 * prints equals the stated answer (numerically when both are numbers).
 */
export async function checkProgramAnswer(
  input: { language?: CodeLanguage; code: string; answer: string },
  opts?: SandboxOptions,
): Promise<CheckResult> {
  const r = await runCode(input.language ?? "python", input.code, opts);
  // A program that imports a scientific package the sandbox does not have (numpy) cannot be
  // verified here, which is not evidence that it is wrong. Any other failure (a file, the
  // network, a blocked call) fails: a row's program must run to be approved.
  const missing = r.ok ? null : /No module named '([\w]+)/.exec(r.error ?? "")?.[1];
  if (missing && SCIENTIFIC_PACKAGES.has(missing))
    return pass("program", {
      unverifiable: `it imports ${missing}, a package the sandbox does not have`,
      error: r.error,
    });
  if (!r.ok)
    return fail(
      "program",
      [`the program does not run: ${r.error}`],
      0,
      { error: r.error, stderr: r.stderr.slice(-1000) },
      "code_wrong",
    );
  const printed = lastLine(r.stdout);
  const same =
    printed === input.answer.trim() ||
    answerMatchesPrinted(input.answer, printed) ||
    // "≈ −$2,268.71 (reject the project)" for "-2268.71": the value, not its wording.
    answerForms(input.answer).some((a) => answerMatchesPrinted(a, printed)) ||
    answerValuesPrinted(input.answer, r.stdout);
  if (same) return pass("program", { printed });
  return fail(
    "program",
    [
      `the program prints "${printed.slice(0, 80)}", not the stated answer "${input.answer.trim().slice(0, 80)}"`,
    ],
    0,
    { printed },
    "code_output_mismatch",
  );
}

const INT = String.raw`-?\d{1,3}(?:,\d{3})+|-?\d+`;
/** "from 1 to 100 inclusive", "1 through 100", "between 10 and 99 inclusive". */
const INCLUSIVE_SPAN = new RegExp(
  String.raw`\b(?:from\s+(${INT})\s+(?:to|through|until)\s+(${INT})(?!\s*(?:\(?\s*exclusive|\(?\s*not\s+inclusive|excluded))|between\s+(${INT})\s+and\s+(${INT})\s*,?\s*\(?(?:inclusive|both\s+included))`,
  "i",
);

/** A number of periods or repetitions the prompt asks for ("after 10 years", "for 12 steps"). */
const PERIODS =
  /\b(\d{1,4})\s+(?:years?|months?|weeks?|days?|hours?|quarters?|periods?|steps?|rounds?|generations?|iterations?|times|cycles?|passes)\b/gi;

/**
 * A loop that runs one period short: the prompt asks for N periods ("after 10 years") and
 * the code repeats `for … in range(1, N)`, which runs N − 1 times.
 */
function periodsShort(prompt: string, code: string): string | null {
  const asked = new Set([...prompt.slice(0, 4000).matchAll(PERIODS)].map((m) => Number(m[1])));
  for (const r of code.matchAll(/\bfor\s+\w+\s+in\s+range\(\s*1\s*,\s*(\d+)\s*\)/g)) {
    const n = Number(r[1]);
    if (n > 1 && asked.has(n))
      return `range(1, ${n}) runs ${n - 1} times, but the prompt asks for ${n} (use range(${n}) or range(1, ${n + 1}))`;
  }
  return null;
}

/**
 * An angle given in degrees passed to a trigonometric function that takes radians
 * (`math.cos(75)`, or `math.cos(theta)` with `theta = 75`) with no conversion anywhere in
 * the code (`math.radians`, `deg2rad`, `pi / 180`).
 */
function degreesAsRadians(prompt: string, code: string): string | null {
  if (/\b(?:radians|deg2rad)\b|pi\s*\/\s*180|\/\s*180(?:\.0*)?\s*\*\s*(?:math\.|np\.)?pi/.test(code))
    return null;
  const degrees = new Set(
    [...`${prompt}\n${code}`.matchAll(/(\d+(?:\.\d+)?)\s*(?:°|degrees?\b|deg\b)/gi)].map((m) => Number(m[1])),
  );
  if (degrees.size === 0) return null;
  for (const t of code.matchAll(/\b(?:math|np|numpy)\.(sin|cos|tan)\(\s*([\w.]+)\s*\)/g)) {
    const arg = t[2]!;
    const literal = /^\d+(?:\.\d+)?$/.test(arg)
      ? Number(arg)
      : Number(
          new RegExp(String.raw`^\s*${escapeRe(arg)}\s*=\s*(\d+(?:\.\d+)?)\s*(?:#.*)?$`, "m").exec(
            code,
          )?.[1] ?? Number.NaN,
        );
    if (degrees.has(literal) && literal !== 0)
      return `${t[0]} takes radians, but ${literal} is an angle in degrees (convert it with math.radians)`;
  }
  return null;
}

/**
 * The spread of a sample computed as a population's, or the reverse: the prompt asks for the
 * sample standard deviation or variance (divide by n − 1) and the code calls
 * `statistics.pstdev`/`pvariance` or numpy's `std`/`var` without `ddof=1`; or it asks for the
 * population's and the code calls `statistics.stdev`/`variance` or passes `ddof=1`.
 */
function spreadDivisor(prompt: string, code: string): string | null {
  const sample = /\bsample\s+(?:standard\s+deviation|variance|s\.?d\.?)\b/i.test(prompt);
  const population = /\bpopulation\s+(?:standard\s+deviation|variance|s\.?d\.?)\b/i.test(prompt);
  if (sample === population) return null;
  if (sample) {
    const p = /\b(?:statistics\.)?p(?:stdev|variance)\(/.exec(code);
    if (p)
      return `${p[0]}…) divides by n, but the prompt asks for the sample's spread (divide by n − 1: statistics.stdev, or ddof=1)`;
    const np = /\b(?:np|numpy)\.(?:std|var)\((?![^)]*\bddof\s*=\s*1)[^)]*\)|\.(?:std|var)\(\s*\)/.exec(code);
    if (np && !/\bpandas\b|\bpd\./.test(code))
      return `${np[0]} divides by n, but the prompt asks for the sample's spread (pass ddof=1)`;
    return null;
  }
  const s = /\b(?:statistics\.)(?:stdev|variance)\(|\bddof\s*=\s*1\b/.exec(code);
  return s ? `${s[0]} divides by n − 1, but the prompt asks for the population's spread (divide by n)` : null;
}

/**
 * A loop or count that stops one short of the range the prompt asks for: the prompt counts
 * "from 1 to 100" (or "between 10 and 99 inclusive") and the code iterates Python's
 * `range(…, 100)` or JavaScript's `i < 100`, both of which leave 100 out. Only a bound
 * written as the same literal is read (`range(1, n + 1)` or `range(1, 101)` is right).
 * Also a loop one period short ("after 10 years" with `range(1, 10)`), an angle in degrees
 * given to a function that takes radians, and a sample's spread computed as a population's
 * ({@link spreadDivisor}). The problem as one line, or null.
 */
export function rangeBoundProblem(prompt: string, code: string): string | null {
  const short = periodsShort(prompt, code) ?? degreesAsRadians(prompt, code) ?? spreadDivisor(prompt, code);
  if (short) return short;
  const m = INCLUSIVE_SPAN.exec(prompt.slice(0, 4000));
  if (!m) return null;
  const [lo, hi] = [m[1] ?? m[3]!, m[2] ?? m[4]!].map((x) => Number(x.replace(/,/g, ""))) as [number, number];
  if (!(hi > lo)) return null;
  const num = (x: string) => Number(x.replace(/_/g, ""));
  for (const r of code.matchAll(/\brange\(\s*([-\d_]+)\s*,\s*([-\d_]+)\s*(?:,\s*(\d+)\s*)?\)/g)) {
    const [start, stop, step] = [num(r[1]!), num(r[2]!), r[3] ? num(r[3]) : 1];
    // With a step, only when the step would reach the bound (multiples of 7 up to 200 end at 196).
    if (stop === hi && start >= lo && start < hi && step > 0 && (hi - start) % step === 0)
      return `range(${r[1]}, ${r[2]}${r[3] ? `, ${r[3]}` : ""}) stops before ${hi}, but the prompt includes ${hi} ("${m[0].trim()}")`;
  }
  for (const r of code.matchAll(/\b(\w+)\s*<\s*([-\d_]+)\s*;/g))
    if (num(r[2]!) === hi && new RegExp(String.raw`\b${r[1]}\s*=\s*(${INT})\b`).test(code))
      return `the loop stops at ${r[1]} < ${hi}, but the prompt includes ${hi} ("${m[0].trim()}")`;
  return null;
}

/**
 * The answer's Python function does the task its prompt asks for: when the prompt names a
 * well-known task ("the largest number in a list", "the sum of the even numbers", "a
 * palindrome, ignoring case", "factorial", "a leap year"...), the one function of the
 * answer with that task's parameters is run on inputs with one right result, whatever it is
 * called (see {@link knownFunctionProblems}). Fails (`code_wrong`) with the inputs it gets
 * wrong; null when the prompt names no such task or the answer has no Python function.
 */
export async function checkCodeTask(
  prompt: string,
  text: string,
  opts?: SandboxOptions,
): Promise<CheckResult | null> {
  const blocks = extractCodeBlocks(text);
  const bound = blocks.map((b) => rangeBoundProblem(prompt, b.code)).find((x) => x);
  if (bound)
    return fail("code_task", [`the code does not do what the prompt asks: ${bound}`], 0, {}, "code_wrong");
  const code = blocks
    .filter((b) => b.language === "python")
    .map((b) => b.code)
    .join("\n\n");
  if (!/^def\s/m.test(code) || !ORACLES.some((o) => o.task?.test(prompt))) return null;
  const problems = await knownFunctionProblems(code, opts, prompt);
  if (problems.length === 0) return pass("code_task");
  return fail(
    "code_task",
    [`the code does not do what the prompt asks: ${problems.join("; ")}`],
    0,
    { problems },
    "code_wrong",
  );
}
