import { type CodeLanguage, runCode } from "./code-check.js";
import type { SandboxOptions } from "./sandbox-host.js";

/**
 * Bad code for debugging datasets: small, realistic mutations of working code (operator
 * swap, off-by-one, wrong variable), each run against the code's tests in the sandbox.
 * Only mutants that demonstrably fail their tests are kept; mutants that do not even
 * parse are dropped (a syntax error is not the kind of bug a debugging example teaches).
 */

/** Kinds of mutation. */
export type MutationKind = "operator_swap" | "off_by_one" | "wrong_variable";

/** A mutant that fails its tests. */
export interface Mutant {
  kind: MutationKind;
  /** The mutated program (without the tests). */
  code: string;
  /** 1-based line of the change. */
  line: number;
  /** What changed, e.g. `"<" → "<="`. */
  description: string;
  /** How the tests fail (the sandbox's error line). */
  failure: string;
}

/** Options of {@link generateMutants}. */
export interface MutantOptions extends SandboxOptions {
  /** Mutants to keep. Default 5. */
  max?: number;
  /** Candidates to try at most (each is one sandbox run). Default 40. */
  maxCandidates?: number;
  /** Which kinds to make. Default all. */
  kinds?: MutationKind[];
}

/** What {@link generateMutants} found. */
export interface MutantsResult {
  /** False when the original code does not pass its own tests (then no mutants are made). */
  ok: boolean;
  error: string | null;
  mutants: Mutant[];
  /** Candidates tried, and why the others were dropped. */
  tried: number;
  dropped: { survived: number; syntax: number };
}

interface Token {
  type: "id" | "num" | "op" | "str" | "comment" | "ws" | "other";
  text: string;
  start: number;
}

const PY_KEYWORDS = new Set(
  "False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield print len range self".split(
    " ",
  ),
);
const JS_KEYWORDS = new Set(
  "break case catch class const continue debugger default delete do else export extends false finally for function if import in instanceof let new null return super switch this throw true try typeof undefined var void while with yield async await of console Math length".split(
    " ",
  ),
);

/** Splits code into tokens, keeping strings and comments whole so they are never mutated. */
export function tokenize(code: string, language: CodeLanguage): Token[] {
  const py = language === "python";
  // Tried in order at each position; the first that matches makes the token.
  const rules: Array<[Token["type"], RegExp | null]> = [
    ["ws", /^\s+/],
    ["comment", py ? /^#[^\n]*/ : /^\/\/[^\n]*|^\/\*[\s\S]*?\*\//],
    ["str", py ? /^[rbfuRBFU]{0,2}("""[\s\S]*?"""|'''[\s\S]*?''')/ : /^`(?:\\.|[^`\\])*`/],
    [
      "str",
      py
        ? /^[rbfuRBFU]{0,2}("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')/
        : /^("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')/,
    ],
    ["num", /^\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/],
    ["id", /^[A-Za-z_$][\w$]*/],
    [
      "op",
      /^(?:\*\*=?|\/\/=?|===|!==|==|!=|<=|>=|&&|\|\||\+=|-=|\*=|\/=|=>|->|[-+*/%<>=!&|^~.,:;()[\]{}?@])/,
    ],
  ];
  const tokens: Token[] = [];
  let i = 0;
  while (i < code.length) {
    const rest = code.slice(i);
    let token: Token = { type: "other", text: rest[0]!, start: i };
    for (const [type, re] of rules) {
      const m = re?.exec(rest);
      if (m) {
        token = { type, text: m[0], start: i };
        break;
      }
    }
    tokens.push(token);
    i += token.text.length;
  }
  return tokens;
}

const SWAPS: Record<string, string> = {
  "+": "-",
  "-": "+",
  "*": "/",
  "/": "*",
  "<": "<=",
  "<=": "<",
  ">": ">=",
  ">=": ">",
  "==": "!=",
  "!=": "==",
  "===": "!==",
  "!==": "===",
  "+=": "-=",
  "-=": "+=",
  "&&": "||",
  "||": "&&",
  and: "or",
  or: "and",
};

interface Candidate {
  kind: MutationKind;
  code: string;
  line: number;
  description: string;
}

function lineOf(code: string, pos: number): number {
  return code.slice(0, pos).split("\n").length;
}

function replaceAt(code: string, t: Token, text: string): string {
  return code.slice(0, t.start) + text + code.slice(t.start + t.text.length);
}

/** Mutation candidates of a program, in source order. */
export function mutationCandidates(
  code: string,
  language: CodeLanguage,
  kinds: MutationKind[] = ["operator_swap", "off_by_one", "wrong_variable"],
): Candidate[] {
  const tokens = tokenize(code, language);
  const real = tokens.filter((t) => t.type !== "ws" && t.type !== "comment");
  const out: Candidate[] = [];
  const keywords = language === "python" ? PY_KEYWORDS : JS_KEYWORDS;
  const prev = (t: Token) => real[real.indexOf(t) - 1];
  const next = (t: Token) => real[real.indexOf(t) + 1];
  if (kinds.includes("operator_swap")) {
    for (const t of real) {
      const isWordOp = t.type === "id" && (t.text === "and" || t.text === "or") && language === "python";
      if (!(t.type === "op" || isWordOp)) continue;
      const to = SWAPS[t.text];
      if (!to) continue;
      const p = prev(t);
      // Skip unary signs, *args/**kwargs and decorators: swapping them is not a plausible bug.
      if (
        (t.text === "-" || t.text === "+" || t.text === "*") &&
        (!p ||
          (p.type === "op" && !/[)\]]/.test(p.text)) ||
          (p.type === "id" && keywords.has(p.text) && p.text !== "self"))
      )
        continue;
      out.push({
        kind: "operator_swap",
        code: replaceAt(code, t, to),
        line: lineOf(code, t.start),
        description: `"${t.text}" → "${to}"`,
      });
    }
  }
  if (kinds.includes("off_by_one")) {
    for (const t of real) {
      if (t.type === "num" && /^\d+$/.test(t.text) && Number(t.text) < 1e6) {
        const n = Number(t.text);
        const p = prev(t);
        if (p && p.text === ".") continue;
        out.push({
          kind: "off_by_one",
          code: replaceAt(code, t, String(n + 1)),
          line: lineOf(code, t.start),
          description: `${n} → ${n + 1}`,
        });
        if (n > 0)
          out.push({
            kind: "off_by_one",
            code: replaceAt(code, t, String(n - 1)),
            line: lineOf(code, t.start),
            description: `${n} → ${n - 1}`,
          });
      }
      if (language === "python" && t.type === "id" && t.text === "len" && next(t)?.text === "(") {
        // len(x) → len(x) - 1: find the matching parenthesis.
        let depth = 0;
        for (let k = real.indexOf(t) + 1; k < real.length; k++) {
          const u = real[k]!;
          if (u.text === "(") depth++;
          else if (u.text === ")" && --depth === 0) {
            const end = u.start + 1;
            out.push({
              kind: "off_by_one",
              code: `${code.slice(0, end)} - 1${code.slice(end)}`,
              line: lineOf(code, t.start),
              description: "len(...) → len(...) - 1",
            });
            break;
          }
        }
      }
      if (language !== "python" && t.type === "id" && t.text === "length" && prev(t)?.text === ".") {
        const end = t.start + t.text.length;
        out.push({
          kind: "off_by_one",
          code: `${code.slice(0, end)} - 1${code.slice(end)}`,
          line: lineOf(code, t.start),
          description: ".length → .length - 1",
        });
      }
    }
  }
  if (kinds.includes("wrong_variable")) {
    const defined = new Set<string>();
    real.forEach((t, k) => {
      if (t.type !== "id" || keywords.has(t.text)) return;
      const n = real[k + 1];
      const p = real[k - 1];
      const assigned = n && (n.text === "=" || n.text === "+=" || n.text === "-=") && p?.text !== ".";
      const declared = p && (p.text === "let" || p.text === "const" || p.text === "var" || p.text === "for");
      const param =
        n && (n.text === "," || n.text === ")" || n.text === "=" || n.text === ":") && isInParams(real, k);
      if (assigned || declared || param) defined.add(t.text);
    });
    const vars = [...defined].sort();
    if (vars.length >= 2) {
      real.forEach((t, k) => {
        if (t.type !== "id" || !defined.has(t.text)) return;
        const n = real[k + 1];
        const p = real[k - 1];
        if (
          p?.text === "." ||
          p?.text === "def" ||
          p?.text === "function" ||
          p?.text === "let" ||
          p?.text === "const" ||
          p?.text === "var"
        )
          return;
        if (n && (n.text === "=" || n.text === "(")) return; // a definition or a call
        if (isInParams(real, k)) return;
        const other = vars[(vars.indexOf(t.text) + 1) % vars.length]!;
        out.push({
          kind: "wrong_variable",
          code: replaceAt(code, t, other),
          line: lineOf(code, t.start),
          description: `${t.text} → ${other}`,
        });
      });
    }
  }
  const seen = new Set<string>();
  return out.filter((c) => {
    if (seen.has(c.code)) return false;
    seen.add(c.code);
    return true;
  });
}

/** True when token k sits in a function's parameter list. */
function isInParams(real: Token[], k: number): boolean {
  let depth = 0;
  for (let j = k - 1; j >= 0 && j > k - 60; j--) {
    const t = real[j]!;
    if (t.text === ")") depth++;
    else if (t.text === "(") {
      if (depth === 0) {
        const before = real[j - 1];
        const before2 = real[j - 2];
        return Boolean(
          before && before.type === "id" && (before2?.text === "def" || before2?.text === "function"),
        );
      }
      depth--;
    } else if (depth === 0 && (t.text === ";" || t.text === "{" || t.text === "}")) return false;
  }
  return false;
}

/**
 * Makes failing mutants of working code for debugging datasets. The original must pass
 * `tests` first; each candidate mutation then runs with the tests, and only those whose
 * tests fail (not by a syntax error) are kept, up to `max`. Candidates are spread over
 * the kinds so the mutants are varied.
 */
export async function generateMutants(
  input: { language: CodeLanguage; code: string; tests: string },
  opts: MutantOptions = {},
): Promise<MutantsResult> {
  const { max = 5, maxCandidates = 40, kinds, ...limits } = opts;
  const sandbox = { timeoutMs: 2000, ...limits };
  const original = await runCode(input.language, `${input.code}\n\n${input.tests}`, sandbox);
  if (!original.ok) {
    return {
      ok: false,
      error: `the original code does not pass its tests: ${original.error}`,
      mutants: [],
      tried: 0,
      dropped: { survived: 0, syntax: 0 },
    };
  }
  const all = mutationCandidates(input.code, input.language, kinds);
  // Interleave kinds so a few operator swaps do not crowd out the rest.
  const byKind = new Map<MutationKind, Candidate[]>();
  for (const c of all) byKind.set(c.kind, [...(byKind.get(c.kind) ?? []), c]);
  const order: Candidate[] = [];
  for (let i = 0; order.length < all.length; i++)
    for (const list of byKind.values()) if (list[i]) order.push(list[i]!);
  const mutants: Mutant[] = [];
  const dropped = { survived: 0, syntax: 0 };
  let tried = 0;
  for (const c of order) {
    if (mutants.length >= max || tried >= maxCandidates) break;
    tried++;
    const r = await runCode(input.language, `${c.code}\n\n${input.tests}`, sandbox);
    if (r.ok) dropped.survived++;
    else if (/SyntaxError|IndentationError|does not compile/.test(r.error ?? "")) dropped.syntax++;
    else mutants.push({ ...c, failure: r.error ?? "failed" });
  }
  return { ok: true, error: null, mutants, tried, dropped };
}
