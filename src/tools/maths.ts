import type { MathJsInstance, MathNode, Unit } from "mathjs";
import { loadPackageFile, loadSync } from "../core/load.js";
import { memoizeText } from "../core/memo.js";
import { DECIMAL_COMMA, escapeRe } from "../core/text.js";
import { type CheckResult, claimsResult, clamp01, fail, pass } from "./check.js";
import { mathUnit, UNIT, writtenNumber, writtenResolution } from "./units.js";

/**
 * Maths verifiers on mathjs: numeric answers compared up to the precision they state
 * (0.34, 3.4e-1, 17/50, 34 %, 3.4 × 10⁻¹ and "0.34 mol" are the same answer),
 * quantities with units converted before comparing, symbolic equivalence (simplify,
 * then sampling at fixed points), arithmetic stated in prose ("2 × 18.015 g/mol = 36.03 g"),
 * and a LaTeX parse check.
 */

let instance: MathJsInstance | null = null;

/** A private mathjs instance with the chemistry units mathjs lacks (M, cal, kcal). */
export function mathjs(): MathJsInstance {
  if (instance) return instance;
  // mathjs takes about a second to load: only the first check that needs it pays (issue 15).
  // The CommonJS build loads faster, and this private instance is never shared with host code.
  const { all, create } = mathjsFactories();
  const m = create(all!, { number: "number" });
  m.createUnit("M", "1 mol/L", { override: true });
  m.createUnit("molar", "1 mol/L", { override: true });
  m.createUnit("cal", "4.184 J", { override: true });
  m.createUnit("kcal", "4184 J", { override: true });
  m.createUnit("amu", "1.66053906660e-27 kg", { override: true });
  instance = m;
  return m;
}

/**
 * mathjs's factories and `create`, without the default instance its entry builds on load
 * (every function of it made at once: about 17 MB of heap and 45 MB of resident memory this
 * private instance never uses, whose functions are made on first use). The two files are
 * those of the pinned mathjs 15 CommonJS build; if they are not there, the entry is used.
 */
function mathjsFactories(): Pick<typeof import("mathjs"), "all" | "create"> {
  const all = loadPackageFile<typeof import("mathjs")["all"]>("mathjs", "lib/cjs/entry/allFactoriesAny.js");
  const core = loadPackageFile<Pick<typeof import("mathjs"), "create">>("mathjs", "lib/cjs/core/create.js");
  if (all && typeof core?.create === "function") return { all, create: core.create };
  return loadSync<typeof import("mathjs")>("mathjs", { commonJs: true });
}

/** A number read from text, with its unit and the precision it was written with. */
export interface Quantity {
  value: number;
  /** mathjs unit text (`g/mol`, `degC`), `%`, or null. */
  unit: string | null;
  /** Half a unit in the last written digit: the rounding the writer implied. */
  resolution: number;
  /** The text it was read from. */
  text: string;
}

const SUPERSCRIPTS: Record<string, string> = {
  "⁰": "0",
  "¹": "1",
  "²": "2",
  "³": "3",
  "⁴": "4",
  "⁵": "5",
  "⁶": "6",
  "⁷": "7",
  "⁸": "8",
  "⁹": "9",
  "⁻": "-",
  "⁺": "+",
};

/** Plain-text form of a LaTeX or Unicode maths answer (`\frac{17}{50}` → `(17)/(50)`). */
export function normaliseMaths(text: string): string {
  let s = text.trim();
  s = s
    .replace(/^\$+|\$+$/g, "")
    .replace(/^\\\(|\\\)$/g, "")
    .replace(/^\\\[|\\\]$/g, "");
  s = s.replace(/\\boxed\s*\{([^{}]*)\}/g, "$1");
  s = s.replace(/\\(?:text|mathrm|mathit|operatorname|textrm)\s*\{([^{}]*)\}/g, " $1 ");
  s = s.replace(/\\[,;:!]|\\ |~/g, " ").replace(/\{,\}/g, "");
  s = s.replace(/\\left|\\right/g, "");
  for (let i = 0; i < 4; i++) s = s.replace(/\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, "(($1)/($2))");
  s = s
    .replace(/\\sqrt\s*\[([^\]]*)\]\s*\{([^{}]*)\}/g, "nthRoot($2, $1)")
    .replace(/\\sqrt\s*\{([^{}]*)\}/g, "sqrt($1)");
  s = s
    .replace(/\\(?:times|cdot)/g, "*")
    .replace(/\\div/g, "/")
    .replace(/\\pi/g, "pi")
    .replace(/\\infty/g, "Infinity");
  s = s.replace(/\\(sin|cos|tan|ln|log|exp|arcsin|arccos|arctan|sinh|cosh|tanh)\b/g, "$1");
  s = s.replace(/\^\{([^{}]*)\}/g, "^($1)").replace(/_\{([^{}]*)\}/g, "_$1");
  s = s.replace(/[{}]/g, (c) => (c === "{" ? "(" : ")"));
  s = s.replace(/[−–]/g, "-").replace(/[×·⋅]/g, "*").replace(/÷/g, "/");
  s = s.replace(/[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+/g, (m) => `^(${[...m].map((c) => SUPERSCRIPTS[c]).join("")})`);
  s = s
    .replace(/°\s*C\b/g, " degC")
    .replace(/°\s*F\b/g, " degF")
    .replace(/\bK\b(?=\s*$)/, "K");
  return s.replace(/\s+/g, " ").trim();
}

const NUMBER_RE = /^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][-+]?\d+)?/;

/** Half a unit in the last written digit of a plain number literal. */
function resolutionOf(literal: string): number {
  const m = /^[-+]?([\d,]*)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/.exec(literal.trim());
  if (!m) return 0;
  const decimals = m[2]?.length ?? 0;
  const exp = m[3] ? Number(m[3]) : 0;
  return 0.5 * 10 ** (exp - decimals);
}

/** Reads a unit expression with mathjs, or null when it is not one (remembered: texts repeat). */
const readUnit = memoizeText(readUnitUncached);
function readUnitUncached(text: string): string | null {
  const t = text
    .trim()
    .replace(/\bper\b/g, "/")
    .replace(/\s*\/\s*/g, "/");
  if (!t) return null;
  try {
    const u = mathjs().unit(`1 ${t}`) as Unit;
    return u ? t : null;
  } catch {
    return null;
  }
}

/**
 * Reads one numeric answer: a number, fraction, expression, percentage or quantity with a
 * unit. Trailing words that are not a unit are ignored ("0.34 moles of NaCl" → 0.34 mol).
 * Returns null when the text holds no number.
 */
export function parseQuantity(text: string): Quantity | null {
  const q = parseQuantityCached(text);
  return q ? { ...q } : null;
}

// Review reads the same numbers many times (every claim against the same passages).
const parseQuantityCached = memoizeText(parseQuantityUncached);

function parseQuantityUncached(text: string): Quantity | null {
  const s = normaliseMaths(text);
  if (!s) return null;
  const m = mathjs();
  // Scientific notation written out: 3.4 * 10^(-1), 3.4x10^-1
  const sci = /^([-+]?\d+(?:\.\d+)?)\s*(?:\*|x|X)\s*10\s*\^\s*\(?\s*([-+]?\d+)\s*\)?(.*)$/.exec(s);
  if (sci) {
    const mant = sci[1]!;
    const exp = Number(sci[2]);
    const unit = readUnitPrefix(sci[3] ?? "");
    return {
      value: Number(mant) * 10 ** exp,
      unit: unit.unit,
      resolution: resolutionOf(mant) * 10 ** exp,
      text,
    };
  }
  const pct = /^([-+]?\d+(?:\.\d+)?)\s*%/.exec(s);
  if (pct) return { value: Number(pct[1]), unit: "%", resolution: resolutionOf(pct[1]!), text };
  const lit = NUMBER_RE.exec(s)?.[0] ?? "";
  if (lit && /\d/.test(lit)) {
    const rest = s.slice(lit.length).trim();
    if (!rest || (!/^[-+*/^()\d]/.test(rest) && !/[-+*/^]\s*[\d(]/.test(rest))) {
      const unit = readUnitPrefix(rest);
      return { value: Number(lit.replace(/,/g, "")), unit: unit.unit, resolution: resolutionOf(lit), text };
    }
  }
  // An expression: 17/50, (1/3)*2, sqrt(2), 2 mol * 18 g/mol. A compound unit after a
  // number binds tighter than the division around it: 52.5 g / 44.10 g/mol is g ÷ (g/mol).
  const grouped = s.replace(/(\d)\s*([A-Za-zµ°]+)\s*\/\s*([A-Za-zµ°]+(?:\^-?\d+)?)/g, "$1 ($2/$3)");
  try {
    const v = m.evaluate(grouped) as unknown;
    if (typeof v === "number" && Number.isFinite(v)) return { value: v, unit: null, resolution: 0, text };
    if (v && typeof v === "object" && (v as { type?: string }).type === "Unit") {
      const u = (v as Unit).simplify();
      const units = u.formatUnits();
      return {
        value: units ? u.toNumber(units) : Number(u.toNumeric?.() ?? u.toNumber()),
        unit: units || null,
        resolution: 0,
        text,
      };
    }
    if (v && typeof v === "object" && "valueOf" in v) {
      const n = Number((v as { valueOf(): unknown }).valueOf());
      if (Number.isFinite(n)) return { value: n, unit: null, resolution: 0, text };
    }
  } catch {
    // not an expression
  }
  return null;
}

/** The longest leading run of words that reads as a unit. */
function readUnitPrefix(rest: string): { unit: string | null } {
  const words = rest.trim().split(/\s+/).filter(Boolean);
  for (let n = Math.min(words.length, 4); n > 0; n--) {
    const u = readUnit(words.slice(0, n).join(" "));
    if (u) return { unit: u };
  }
  return { unit: null };
}

/** Options of {@link numericEquivalent}. */
export interface NumericOptions {
  /** Relative tolerance always allowed. Default 1e-6. */
  relTol?: number;
  /** Absolute tolerance always allowed. Default 1e-12. */
  absTol?: number;
  /** Also allow the rounding each side's written precision implies. Default true. */
  precisionAware?: boolean;
}

/** The verdict of a comparison. */
export interface Equivalence {
  equivalent: boolean;
  reason: string;
}

function toBase(q: Quantity): { value: number; base: string | null; resolution: number } {
  if (!q.unit) return { value: q.value, base: null, resolution: q.resolution };
  if (q.unit === "%") return { value: q.value / 100, base: null, resolution: q.resolution / 100 };
  const m = mathjs();
  const si = (m.unit(q.value, q.unit) as Unit).toSI();
  const value = si.toNumber();
  // Convert the resolution as a difference (offset units such as degC have no factor).
  const step = q.resolution || 0;
  const upper = step ? (m.unit(q.value + step, q.unit) as Unit).toSI().toNumber() : value;
  return { value, base: si.formatUnits(), resolution: Math.abs(upper - value) };
}

/**
 * Whether two numeric answers are the same value: units converted (g vs kg), a missing
 * unit on one side tolerated, percentages read either way (34 % = 0.34), and each side's
 * written precision allowed (0.34 matches 0.3412; 18 matches 18.015 g/mol but 20 does not).
 */
export function numericEquivalent(
  a: string | number,
  b: string | number,
  opts: NumericOptions = {},
): Equivalence {
  // The fact check compares the same pairs again and again: remember those with default options.
  if (typeof a === "string" && typeof b === "string" && Object.keys(opts).length === 0)
    return { ...equivalentTexts(`${a}\u0000${b}`) };
  return numericEquivalentUncached(a, b, opts);
}

const equivalentTexts = memoizeText((pair) => {
  const at = pair.indexOf("\u0000");
  return numericEquivalentUncached(pair.slice(0, at), pair.slice(at + 1), {});
});

function numericEquivalentUncached(
  a: string | number,
  b: string | number,
  opts: NumericOptions,
): Equivalence {
  const qa =
    typeof a === "number" ? { value: a, unit: null, resolution: 0, text: String(a) } : parseQuantity(a);
  const qb =
    typeof b === "number" ? { value: b, unit: null, resolution: 0, text: String(b) } : parseQuantity(b);
  if (!qa) return { equivalent: false, reason: `"${a}" is not a number` };
  if (!qb) return { equivalent: false, reason: `"${b}" is not a number` };
  const relTol = opts.relTol ?? 1e-6;
  const absTol = opts.absTol ?? 1e-12;
  const precise = opts.precisionAware ?? true;
  const candidates: Array<
    [
      { value: number; base: string | null; resolution: number },
      { value: number; base: string | null; resolution: number },
    ]
  > = [];
  let ba: ReturnType<typeof toBase>;
  let bb: ReturnType<typeof toBase>;
  try {
    ba = toBase(qa);
    bb = toBase(qb);
  } catch {
    return { equivalent: false, reason: `cannot convert ${qa.unit ?? ""} and ${qb.unit ?? ""}` };
  }
  if (ba.base && bb.base && ba.base !== bb.base) {
    return { equivalent: false, reason: `different units: ${qa.unit} vs ${qb.unit}` };
  }
  const realUnit = (q: Quantity) => q.unit !== null && q.unit !== "%";
  if (ba.base && bb.base) candidates.push([ba, bb]);
  else if (realUnit(qa) && qb.unit === null)
    candidates.push([
      { value: qa.value, base: null, resolution: qa.resolution },
      { ...bb, base: null },
    ]);
  else if (realUnit(qb) && qa.unit === null)
    candidates.push([
      { ...ba, base: null },
      { value: qb.value, base: null, resolution: qb.resolution },
    ]);
  else candidates.push([ba, bb]);
  // A percentage compared with a plain number: 34 % is 0.34, and "34" may mean 34 %.
  if ((qa.unit === "%") !== (qb.unit === "%")) {
    candidates.push([
      { value: qa.value, base: null, resolution: qa.resolution },
      { value: qb.value, base: null, resolution: qb.resolution },
    ]);
  }
  for (const [x, y] of candidates) {
    const diff = Math.abs(x.value - y.value);
    const tol = Math.max(
      absTol,
      relTol * Math.max(Math.abs(x.value), Math.abs(y.value)),
      precise ? Math.max(x.resolution, y.resolution) * (1 + 1e-9) : 0,
    );
    if (diff <= tol)
      return { equivalent: true, reason: `${fmt(qa)} = ${fmt(qb)} (within ${tol.toPrecision(2)})` };
  }
  return { equivalent: false, reason: `${fmt(qa)} ≠ ${fmt(qb)}` };
}

/** True when two unit texts measure the same dimension (g and kg; not g and mol). `%` and null are dimensionless. */
export function sameDimension(a: string | null, b: string | null): boolean {
  const dimless = (u: string | null) => u === null || u === "%";
  if (dimless(a) || dimless(b)) return dimless(a) && dimless(b);
  if (a === b) return true;
  try {
    return (mathjs().unit(`1 ${a}`) as Unit).equalBase(mathjs().unit(`1 ${b}`) as Unit);
  } catch {
    return false;
  }
}

function fmt(q: Quantity): string {
  return `${+q.value.toPrecision(10)}${q.unit ? ` ${q.unit}` : ""}`;
}

const KNOWN_SYMBOLS = new Set(["pi", "e", "i", "Infinity", "true", "false", "E", "PI", "tau", "phi"]);

function freeVariables(node: MathNode): string[] {
  const names = new Set<string>();
  node.traverse((n: MathNode, _path: string, parent: MathNode | null) => {
    if ((n as { isSymbolNode?: boolean }).isSymbolNode) {
      const name = (n as unknown as { name: string }).name;
      const isFn =
        parent &&
        (parent as { isFunctionNode?: boolean }).isFunctionNode &&
        (parent as unknown as { fn: MathNode }).fn === n;
      if (!isFn && !KNOWN_SYMBOLS.has(name)) names.add(name);
    }
  });
  return [...names].sort();
}

const SAMPLE_POINTS = [0.37, 1.23, 2.71, -0.59, 1.57, 5.5, 0.81, -2.2];

/**
 * Whether two expressions (or equations) are mathematically equivalent: first mathjs
 * `simplify(a - b) == 0`, then agreement at fixed sample points for every free variable.
 * Equations (`y = 2x + 1`) compare as `lhs - rhs`, equivalent up to a constant factor.
 * LaTeX is accepted (`\frac{x}{2}`).
 */
export function symbolicEquivalent(a: string, b: string): Equivalence {
  const m = mathjs();
  const prep = (s: string): string => {
    const t = normaliseMaths(s);
    const parts = t.split(/(?<![<>!=])=(?!=)/);
    return parts.length === 2 ? `(${parts[0]}) - (${parts[1]})` : t;
  };
  const isEq = (s: string) => normaliseMaths(s).split(/(?<![<>!=])=(?!=)/).length === 2;
  let na: MathNode;
  let nb: MathNode;
  try {
    na = m.parse(prep(a));
    nb = m.parse(prep(b));
  } catch (e) {
    return { equivalent: false, reason: `cannot parse: ${e instanceof Error ? e.message : String(e)}` };
  }
  const equations = isEq(a) && isEq(b);
  if (!equations) {
    try {
      const d = m.simplify(new m.OperatorNode("-", "subtract", [na, nb]));
      if (d.toString() === "0") return { equivalent: true, reason: "simplify(a - b) = 0" };
    } catch {
      // fall through to sampling
    }
  }
  const vars = [...new Set([...freeVariables(na), ...freeVariables(nb)])];
  const fa = na.compile();
  const fb = nb.compile();
  let agreed = 0;
  let ratio: number | null = null;
  for (let k = 0; k < SAMPLE_POINTS.length; k++) {
    const scope: Record<string, number> = {};
    vars.forEach((v, j) => {
      scope[v] = SAMPLE_POINTS[(k + j * 3) % SAMPLE_POINTS.length]! + j * 0.11;
    });
    let va: unknown;
    let vb: unknown;
    try {
      va = fa.evaluate(scope);
      vb = fb.evaluate(scope);
    } catch {
      continue;
    }
    if (typeof va !== "number" || typeof vb !== "number" || !Number.isFinite(va) || !Number.isFinite(vb))
      continue;
    if (equations) {
      if (Math.abs(va) < 1e-12 && Math.abs(vb) < 1e-12) {
        agreed++;
        continue;
      }
      if (Math.abs(vb) < 1e-12)
        return { equivalent: false, reason: `the equations differ at ${JSON.stringify(scope)}` };
      const r = va / vb;
      if (ratio === null) ratio = r;
      else if (Math.abs(r - ratio) > 1e-7 * Math.max(1, Math.abs(ratio)))
        return { equivalent: false, reason: `the equations differ at ${JSON.stringify(scope)}` };
      agreed++;
    } else {
      if (Math.abs(va - vb) > 1e-7 * Math.max(1, Math.abs(va), Math.abs(vb))) {
        return {
          equivalent: false,
          reason: `differ at ${JSON.stringify(scope)}: ${+va.toPrecision(8)} vs ${+vb.toPrecision(8)}`,
        };
      }
      agreed++;
    }
  }
  if (agreed >= 3) return { equivalent: true, reason: `agree at ${agreed} sample points` };
  return { equivalent: false, reason: "could not evaluate enough sample points to compare" };
}

/**
 * Checks an answer against a reference: numerically when both read as numbers (units and
 * written precision respected), else symbolically, else as normalised text.
 */
export function checkAnswer(answer: string, reference: string, opts: NumericOptions = {}): CheckResult {
  const name = "maths";
  const qa = parseQuantity(answer);
  const qr = parseQuantity(reference);
  if (qa && qr) {
    const eq = numericEquivalent(answer, reference, opts);
    if (eq.equivalent) return pass(name, { method: "numeric", reason: eq.reason });
    const form = sameValueForm(answer, reference, opts);
    return form
      ? pass(name, { method: "numeric", reason: form })
      : fail(name, [`wrong answer: ${eq.reason} (expected ${reference.trim()})`], 0, { method: "numeric" });
  }
  const form = sameValueForm(answer, reference, opts);
  if (form) return pass(name, { method: "numeric", reason: form });
  const sym = symbolicEquivalent(answer, reference);
  if (sym.equivalent) return pass(name, { method: "symbolic", reason: sym.reason });
  const norm = (s: string) => normaliseMaths(s).toLowerCase().replace(/\s+/g, "");
  if (norm(answer) === norm(reference)) return pass(name, { method: "text" });
  return fail(
    name,
    [`answer "${answer.trim()}" is not equivalent to "${reference.trim()}": ${sym.reason}`],
    0,
    { method: "symbolic" },
  );
}

/**
 * The ways a final answer writes its value, besides the whole text: each side of an "=" or
 * "≈" chain ("5/16 = 0.3125"), the text before a parenthesis and inside it ("5/16
 * (0.3125)", "−1.29 (elastic)"), the first clause before a comma ("499.0 s, about 8 min
 * 19 s"); each without a leading "≈", "about" or currency sign, with an ASCII minus
 * ("≈ −$2,268.71" → "-2,268.71"). At most eight, in that order.
 */
export function answerForms(text: string): string[] {
  const t = text.trim().slice(0, 200);
  const parts = new Set<string>();
  const add = (x: string) => {
    const v = x
      .trim()
      .replace(/^(?:(?:≈|~|∼|≃|=|about|approximately|approx\.?|roughly|around|nearly|almost)\s*)+/i, "")
      .replace(/^([-−+]?)\s*[$€£¥]\s*/u, "$1")
      .replace(/[.;:]$/, "")
      .replace(/−/g, "-")
      .trim();
    if (v && /\d/.test(v)) parts.add(v);
  };
  const head = t.replace(/\s*\([^()]*\)\s*$/, "");
  for (const side of head.split(/\s*[=≈]\s*/)) add(side.split(/,\s+/)[0]!);
  for (const m of t.matchAll(/\(([^()]*)\)/g)) add(m[1]!);
  add(head.split(/,\s+/)[0]!);
  return [...parts].slice(0, 8);
}

/**
 * How two answers write the same value in some of their {@link answerForms} (a reason), or
 * null. Units must agree where both forms have one.
 */
function sameValueForm(answer: string, reference: string, opts: NumericOptions): string | null {
  const mine = answerForms(answer);
  const theirs = answerForms(reference);
  for (const a of mine)
    for (const r of theirs) {
      if (a === answer.trim() && r === reference.trim()) continue;
      if (!parseQuantity(a) || !parseQuantity(r)) continue;
      const eq = numericEquivalent(a, r, opts);
      if (eq.equivalent) return `"${a}" and "${r}": ${eq.reason}`;
    }
  return null;
}

/** One arithmetic statement found in prose and whether it holds. */
export interface ArithmeticClaim {
  text: string;
  expression: string;
  stated: string;
  computed: number | null;
  holds: boolean;
  /** `≈`, "about", "roughly"...: the stated result is rounded, to the precision it is written with. */
  approximate?: boolean;
  /**
   * What was checked: a calculation, a percentage change from one value to another, or an
   * amount before a percentage was added or taken off.
   */
  kind?: "calculation" | "percent_change" | "reverse_percent";
  /** The defect when it does not hold: a wrong result, or a result in the wrong unit. */
  defect?: "wrong_arithmetic" | "wrong_unit";
}

const VULGAR: Record<string, string> = {
  "½": "1/2",
  "⅓": "1/3",
  "⅔": "2/3",
  "¼": "1/4",
  "¾": "3/4",
  "⅕": "1/5",
  "⅖": "2/5",
  "⅗": "3/5",
  "⅘": "4/5",
  "⅙": "1/6",
  "⅚": "5/6",
  "⅛": "1/8",
  "⅜": "3/8",
  "⅝": "5/8",
  "⅞": "7/8",
};

/**
 * Prose arithmetic in a form the claim pattern reads: U+2212 minus, vulgar fractions
 * ("½" → "(1/2)", "2½" → "(2+1/2)", a mixed-number result "= 1 7/8" → "= (1+7/8)"), currency symbols dropped ("$30.00" → "30.00"),
 * "15% of 80" → "15/100 × 80", "times"/"divided by"/" x " between numbers, superscript
 * powers ("10⁸" → "10^8"). En dashes stay: "1939–1945" is a range, not a subtraction.
 */
export function prepareArithmetic(text: string): string {
  // Markdown emphasis ("= **$3,500**") is not part of a number.
  let s = tableCalculations(text)
    // A list item's marker ("   - 60 + 0.6 × 120 = 132") is not a minus sign.
    .replace(/^([ \t]*)[-*+](?=[ \t]+[(]?\d)/gm, "$1•")
    .replace(/\u2212/g, "-")
    .replace(/\u2044/g, "/")
    // A square root of a number or a bracket ("√3.5", "√(2 × 20 / 9.8)") as a power.
    .replace(/√\s*\(([^()\n]{1,80})\)/g, "($1)^(1/2)")
    .replace(/√\s*(\d+(?:\.\d+)?)(?![\d.])/g, "$1^(1/2)")
    // Thousands written with spaces ("24 500 / 5 = 4 900 €", French, German…): one number.
    .replace(/(?<![\d.,]|\d[ \u00a0\u202f])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d.,]?\d|-\p{L})/gu, (m) =>
      m.replace(/[ \u00a0\u202f]/g, ""),
    )
    .replace(/\*\*|__/g, "")
    // A text that writes decimals with a comma ("1 - 0,375 = 0,625", "2.400 × 0,30 = 720"):
    // its commas are decimal points and its dots between groups of three thousands separators.
    .replace(/(?<![\d.,])\d+(?:[.,]\d+)+(?![\d.,]?\d)/g, (n, _at: number, all: string) => {
      if (!/(?<![\d.,])0,\d+(?![\d.,]?\d)/.test(all)) return n;
      if (/^\d{1,3}(?:\.\d{3})+$/.test(n)) return n.replace(/\./g, "");
      return DECIMAL_COMMA.test(n) ? n.replace(",", ".") : n;
    })
    // "100 ± 1.96 × 2.5 = 100 ± 4.9": the margin is what is computed, 1.96 × 2.5 = 4.9.
    .replace(/(\d[\d.,]*)\s*±\s*([^=≈±\n]{1,60}?)\s*([=≈])\s*\1\s*±\s*/g, "$1 ± $2 $3 ");
  s = s.replace(/(\d)\s?([½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞])/g, (_m, d: string, f: string) => `(${d}+${VULGAR[f]})`);
  s = s.replace(/[½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞]/g, (f) => `(${VULGAR[f]})`);
  // A mixed number as a result ("15/8 = 1 7/8"): one value, 1 + 7/8.
  s = s.replace(
    /([=≈]\s*)(\d+)\s+(\d+)\/(\d+)(?![\d.,/])/g,
    (_m, rel: string, whole: string, num: string, den: string) =>
      Number(num) < Number(den) ? `${rel}(${whole}+${num}/${den})` : _m,
  );
  s = s.replace(/(?:US|A|C|NZ|HK)?[$€£¥₹](?=\s?[-]?\d)/g, "");
  s = s.replace(/(\d)\s?[$€£¥₹](?![\d])/g, "$1");
  s = s.replace(/(\d(?:[\d.,]*\d)?)\s*(?:%|\s+per\s?cent\b)\s+of\s+(?=[-(]?\s*\d)/gi, "$1/100 × ");
  s = s.replace(/(\d)\s+(?:times|multiplied\s+by)\s+(?=\d)/gi, "$1 × ");
  s = s.replace(/(\d)\s+divided\s+by\s+(?=\d)/gi, "$1 / ");
  s = s.replace(/(\d)\s+x\s+(?=\d)/g, "$1 × ");
  s = s.replace(/[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+/g, (m) => `^${[...m].map((c) => SUPERSCRIPTS[c]).join("")}`);
  // What a number counts, between it and an operator ("18.67 bd ft × 6", "27 / 6,000
  // person-years = 0.0054"): the words are no unit, so the arithmetic is of the numbers.
  s = s.replace(
    /(\d)([ \t]+)((?:\p{L}[\p{L}-]*[ \t]+)?\p{L}[\p{L}-]*)(?=[ \t]*(?:[×*/÷+]|-[ \t])[ \t]*[\d(]|(?<=[×*/÷][ \t]*[\d.,]+[ \t]+[^=≈\n]*)[ \t]*[=≈][ \t]*[\d(])/gu,
    (m, d: string, sp: string, words: string) => {
      const kept = words.split(/\s+/).filter((w) => !COUNTED.test(w) || mathUnit(w) !== null);
      if (kept.length === words.split(/\s+/).length) return m;
      return kept.length ? `${d}${sp}${kept.join(" ")}` : d;
    },
  );
  // A count per unit ("5,000 units/mL", "3 tablets/day"): the count is no unit, the rate is per mL.
  s = s.replace(
    /(?<![\d.,])(\d+(?:[.,]\d+)*)[ \t]*(\p{L}[\p{L}-]*)\/([A-Za-zµ]+)(?![\p{L}^/])/gu,
    (m, n: string, word: string, per: string) => {
      const unit = mathUnit(per);
      return COUNTED.test(word) && mathUnit(word) === null && unit ? `(${n} ${unit}^-1)` : m;
    },
  );
  return s;
}

/**
 * A table row's calculation and the result in the cell after it ("| 2,205 × 1.05 | £2,315.25 |")
 * written as one statement ("2,205 × 1.05 = £2,315.25"), for the arithmetic to check.
 */
function tableCalculations(text: string): string {
  if (!text.includes("|")) return text;
  return text.replace(/^[ \t]*\|.*\|[ \t]*$/gm, (line) =>
    line.replace(
      /\|\s*((?:\(?\s*-?\d[\d.,]*\s*\)?\s*(?:[×*/÷+]|-\s)\s*)+\(?\s*\d[\d.,]*\s*\)?)\s*\|\s*((?:[$€£¥]\s?)?-?\d[\d.,]*\s*(?:%|[$€£¥]|[A-Za-zµ°]{1,5})?)\s*(?=\|)/g,
      "| $1 = $2 ",
    ),
  );
}

/**
 * A word that names what a number counts ("apples", "person-years", "bd"), which the
 * arithmetic can leave out; not a scale ("thousand"), a share ("percent") or a word of the
 * arithmetic itself ("times", "over").
 */
const COUNTED =
  /^(?!(?:thousand|million|billion|trillion|hundred|dozen|percent|pct|per|cent|times|over|plus|minus|by|of|and|or|to|squared|cubed|half|halves|k|bn|mn|m|x)$)\p{L}[\p{L}-]{1,}$/iu;

const NUM = String.raw`\d+(?:[.,]\d+)*(?:\s*(?:e|E)[-+]?\d+)?`;
const OP = String.raw`\s*(?:[-+*/×÷·^]|\\times|\\cdot)\s*`;
const RELATION = String.raw`=|≈|≃|∼|~|\\approx|\bequals\b|\bis\s+equal\s+to\b|\bgives\b|\bcomes\s+to\b|\bworks\s+out\s+(?:to|at)\b|\bis\b`;
const APPROX_WORDS = String.raw`about|approximately|approx\.?|roughly|around|nearly|almost|close\s+to|~|≈`;

let arithRe: RegExp | null = null;
let chainRe: RegExp | null = null;

/**
 * The links of a chain "1,000 × 1.05³ = 1,000 × 1.161051 = 1,161.05" whose right side is itself an
 * expression (the last link is an ordinary claim). Both sides are evaluated; they must agree to
 * the precision of the numbers written on the right (a rounded intermediate is fine).
 */
/** A function name right before an expression ("−(log₁₀ 2.5 − 3)"): its first number is the argument. */
const FUNCTION_BEFORE =
  /(?:\b(?:log|ln|lg|sin|cos|tan|exp|sqrt|arcsin|arccos|arctan)(?:_?\d+|[₀-₉]+)?|√)\s*\(?$/i;

function findChainLinks(flat: string): ArithmeticClaim[] {
  arithmeticPattern();
  const out: ArithmeticClaim[] = [];
  const re = new RegExp(chainRe!.source, chainRe!.flags);
  // Links overlap ("4/52 × 3/51 = 12/2,652 = 1/212 ≈ …": the second starts at "12/2,652").
  for (let m = re.exec(flat); m; m = re.exec(flat)) {
    re.lastIndex = m.index + m[0].length - m[3]!.length;
    const before = flat.slice(0, m.index).trimEnd();
    if (/[-+*/×÷^·]$/.test(before) || FUNCTION_BEFORE.test(before)) continue;
    const left = balanceParens(m[1]!.trim());
    const right = balanceParens(m[3]!.trim());
    if (/[A-Za-z]{2,}/.test(left.replace(new RegExp(UNIT, "gu"), "")) || !/[-+*/×÷·^]/.test(right)) continue;
    const a = evaluateClaim(left);
    const b = evaluateClaim(right);
    if (!a || !b || (a.unit === null) !== (b.unit === null)) continue;
    const approx = m[2] !== "=";
    // Relative rounding of the right side: the sum of its decimals' relative resolutions
    // (whole numbers in an expression are exact: "12/2,652 = 1/212" is wrong).
    const literals = right.match(/\d[\d,]*\.\d+/g) ?? [];
    const rel = literals.reduce((acc, lit) => {
      const v = Number(lit.replace(/,/g, ""));
      return v ? acc + writtenResolution(lit, false) / Math.abs(v) : acc;
    }, 0);
    const av = a.unit && b.unit ? safeIn(a.unit, b.unit) : a.value;
    if (av === null) continue;
    const tol = Math.abs(b.value) * (2 * rel + (approx ? 0.01 : 1e-4)) + 1e-12;
    const holds = Math.abs(av - b.value) <= tol;
    out.push({
      text: `${left} ${m[2]} ${right}`,
      expression: left,
      stated: right,
      computed: av,
      holds,
      approximate: approx,
      kind: "calculation",
      ...(holds ? {} : { defect: "wrong_arithmetic" as const }),
    });
  }
  return out;
}

function safeIn(u: Unit, target: Unit): number | null {
  try {
    const units = target.formatUnits();
    return u.equalBase(target) ? u.toNumber(units) : null;
  } catch {
    return null;
  }
}
/** The claim pattern (built on first use: the unit words live in units.ts, which imports this module). */
function arithmeticPattern(): RegExp {
  if (arithRe) return arithRe;
  const unit = String.raw`${UNIT}(?:\s*\^\s*\d)?(?:\s*[·⋅]\s*${UNIT}(?:\s*\^\s*\d)?)?(?:\s*(?:/|\bper\b)\s*${UNIT}(?:\s*\^\s*\d)?)?`;
  const term = String.raw`(?:${NUM}\s*\(\s*${NUM}\s*\)|\(*\s*(?:-\s*)?${NUM}(?:\s*${unit})?\s*\)*)`;
  arithRe = new RegExp(
    // The stated value must end the claim: in a chain "a × b + c = 0.0099 + 0.0495 = 0.0594" the
    // right side "0.0099 + 0.0495" is an expression, not a result (that step is checked on its own).
    String.raw`(?<![\w.)(:^/])(-?\s*${term}(?:${OP}${term})+)\s*(${RELATION})\s*((?:${APPROX_WORDS})\s*)?(-?\s*${NUM}(?:\s*(?:×|x|\*)\s*10\s*\^?\s*\(?-?\d+\)?)?(?:\s*(?:%|${unit}))?)(?!\d|[.,]\d|:\d)(?![\p{L}_])(?!${OP}\(?\s*\d)(?!\s*${unit}${OP}\(?\s*\d)`,
    "gu",
  );
  chainRe = new RegExp(
    String.raw`(?<![\w.)(:^/])(-?\s*${term}(?:${OP}${term})+)\s*(=|≈)\s*(-?\s*${term}(?:${OP}${term})+)(?=\s*(?:=|≈))`,
    "gu",
  );
  return arithRe;
}

/** An expression's units in mathjs form ("3 metres" → "3 m"), its "%" as /100, its "x" products as "*". */
function mathsForm(expr: string): string {
  let s = expr.replace(/(\d),(\d{3})(?!\d)/g, "$1$2").replace(/(\d),(\d{3})(?!\d)/g, "$1$2");
  // "3.00 × 10^8 ÷ 1.00 × 10^8": a number in scientific notation is one number.
  s = s.replace(/(\d+(?:\.\d+)?)\s*(?:×|x|\*)\s*10\s*\^\s*\(?\s*(-?\d+)\s*\)?/g, "($1e$2)");
  s = s.replace(/(\d(?:\.\d+)?)\s*%/g, "($1/100)");
  s = s.replace(
    new RegExp(String.raw`(\d\s*)(${UNIT})(\s*(?:/|\bper\b)\s*)?(${UNIT})?`, "gu"),
    (m, d, u1, per, u2) => {
      const a = mathUnit(u1);
      const b = u2 ? mathUnit(u2) : null;
      if (!a) return m;
      return `${d}${a}${per && b ? `/${b}` : (per ?? "")}${u2 && !b ? u2 : ""}`;
    },
  );
  return s;
}

/**
 * The relative uncertainty the decimal inputs of an expression carry, each moved by half a
 * unit of its last digit and carried through the expression (the exact form of {@link inputRounding}'s
 * quick bound for sums): "3 × 12.01 + 8 × 1.008" is 44.094 ± 0.019.
 */
function carriedRounding(expression: string, value: number): number {
  let total = 0;
  for (const m of expression.matchAll(/\d[\d,]*\.\d+/g)) {
    const res = writtenResolution(m[0], false);
    const moved = Number(m[0].replace(/,/g, "")) + res;
    const shifted = evaluateClaim(
      `${expression.slice(0, m.index)}${moved}${expression.slice(m.index + m[0].length)}`,
    );
    if (!shifted) return 0;
    total += Math.abs(shifted.value - value);
  }
  return value === 0 ? 0 : total / Math.abs(value);
}

/**
 * The relative uncertainty the decimal inputs of an expression carry (half a unit of their last
 * digit each): summed relative errors for products and quotients, summed absolute errors over the
 * result for sums. Whole numbers count as exact.
 */
function inputRounding(expression: string, value: number): number {
  const decimals = (expression.match(/\d[\d,]*\.\d+/g) ?? []).map((lit) => ({
    v: Math.abs(Number(lit.replace(/,/g, ""))),
    res: writtenResolution(lit, false),
  }));
  if (decimals.length === 0 || value === 0) return 0;
  const rel = decimals.reduce((a, d) => a + (d.v ? d.res / d.v : 0), 0);
  if (/[-+]/.test(expression.replace(/^\s*-/, "").replace(/e[-+]/gi, ""))) {
    const abs = decimals.reduce((a, d) => a + d.res, 0) / Math.abs(value);
    return Math.min(rel, abs);
  }
  return rel;
}

/**
 * Whether a stated result is the inputs' exact result, as written, with one digit changed
 * away from its last two ("12,360 × 1.03 = 12,720.8" for 12,730.8): a slip, not the
 * rounding of inputs, which moves only the last digits.
 */
function digitSlip(computed: number, statedLiteral: string): boolean {
  const stated = statedLiteral.replace(/,/g, "").replace(/^[-−]/, "");
  if (!/^\d+(?:\.\d+)?$/.test(stated)) return false;
  const decimals = stated.split(".")[1]?.length ?? 0;
  const exact = Math.abs(computed).toFixed(decimals);
  if (Math.abs(Number(exact) - Math.abs(computed)) > 1e-9 * Math.max(1, Math.abs(computed))) return false;
  if (exact.length !== stated.length || exact.replace(/\d/g, "") !== stated.replace(/\d/g, "")) return false;
  const digits = (t: string) => t.replace(/\D/g, "");
  const a = digits(exact);
  const b = digits(stated);
  if (a.replace(/^0+/, "").length < 4) return false;
  const differ = [...a].flatMap((c, i) => (c === b[i] ? [] : [i]));
  return differ.length === 1 && differ[0]! < a.length - 2;
}

/** Balances a claim's parentheses: drops unmatched leading "(" and trailing ")". */
function balanceParens(expr: string): string {
  let s = expr.trim();
  const count = (t: string, c: string) => t.split(c).length - 1;
  while (s.startsWith("(") && count(s, "(") > count(s, ")")) s = s.slice(1).trim();
  while (s.endsWith(")") && count(s, ")") > count(s, "(")) s = s.slice(0, -1).trim();
  return s;
}

/**
 * Whether a computed quantity matches a stated one: units converted, a missing unit on one side
 * read as the other's, a percentage read either way, within the rounding the stated value is
 * written with (exact "="), or one unit of its last digit and 1 % (approximate "≈", "about").
 */
function statedMatches(
  computed: { value: number; unit: Unit | null },
  stated: { value: number; unit: string | null },
  statedLiteral: string,
  approx: boolean,
  unfactored?: { value: number; unit: Unit | null } | null,
  inputRel = 0,
): "yes" | "no" | "unit" {
  const res = writtenResolution(statedLiteral, approx);
  const close = (x: number, y: number, step: number) => {
    const tol = approx
      ? Math.max(2 * step, 0.01 * Math.abs(x), inputRel * Math.abs(x), 1e-12)
      : // The result's own rounding and its inputs' add up ("1,017.64 − 1,000 = 17.63" for 17.635).
        Math.max(step + inputRel * Math.abs(x), 1e-4 * Math.abs(x), 1e-12);
    return Math.abs(x - y) <= tol * (1 + 1e-9);
  };
  if (computed.unit && stated.unit && stated.unit !== "%") {
    const m = mathjs();
    let target: Unit;
    try {
      target = m.unit(`1 ${stated.unit}`) as Unit;
    } catch {
      return "yes";
    }
    if (computed.unit.equalBase(target)) {
      if (close(computed.unit.toNumber(stated.unit), stated.value, res)) return "yes";
      if (!close(computed.value, stated.value, res)) return "no";
      // The number is right but not in the stated unit. "370,000 cm ÷ 100 = 3,700 m" writes the
      // conversion factor as a plain number: right when the quantity without its plain factors
      // is the stated one. "60 W × 5 h = 300 kWh" or "11.2 km/s × 60 = 672 km/h" is a wrong unit.
      const bare = unfactored?.unit;
      if (bare?.equalBase(target) && close(bare.toNumber(stated.unit), stated.value, res)) return "yes";
      return "unit";
    }
    // "10 cm × 6 cm = 60 cm": the number is right, the unit is not the product's. A plain
    // factor carries its unit in the words around it ("12 g × 9 = 108 kcal" at 9 kcal per gram).
    if (!close(computed.value, stated.value, res)) return "no";
    // "4 × 330 mg = 1,320 mg/day": a count of times per period makes an amount a rate of it.
    const perTime = /^(.+)\/(?:day|d|h|hr|hour|week|month|year|yr|min|minute)$/.exec(stated.unit);
    if (perTime) {
      try {
        const amount = m.unit(`1 ${perTime[1]}`) as Unit;
        if (computed.unit.equalBase(amount) && close(computed.unit.toNumber(perTime[1]!), stated.value, res))
          return "yes";
      } catch {
        // not a unit mathjs knows: the rate is not read
      }
    }
    return unfactored && unfactored.value !== computed.value ? "yes" : "unit";
  }
  if (stated.unit === "%")
    return close(computed.value, stated.value, res) || close(computed.value, stated.value / 100, res / 100)
      ? "yes"
      : "no";
  return close(computed.value, stated.value, res) ? "yes" : "no";
}

/** Whether a quantity's unit is the written one ("m^2" and "m^2"), not only of its dimension. */
function sameUnit(unit: Unit, written: string): boolean {
  try {
    return unit.formatUnits() === (mathjs().unit(`1 ${written}`) as Unit).formatUnits();
  } catch {
    return false;
  }
}

/** Evaluates a claim's left side with mathjs: its value (in its own simplified unit) and its unit. */
function evaluateClaim(expression: string): { value: number; unit: Unit | null } | null {
  // A compound unit after a number binds tighter than the division around it: 52.5 g / 44.10 g/mol.
  // Beside a "÷", a "/" is a fraction bar: "3/4 ÷ 2/5" is (3/4) ÷ (2/5).
  const fractions = expression.includes("÷")
    ? expression.replace(/(?<![\d.,/])(\d+)\s*\/\s*(\d+)(?![\d.,]|\s*[A-Za-zµ°(])/g, "($1/$2)")
    : expression;
  const grouped = mathsForm(fractions)
    .replace(/[×·]/g, "*")
    .replace(/÷/g, "/")
    .replace(/\\times|\\cdot/g, "*")
    .replace(/(\d)\s*\(/g, "$1 * (")
    .replace(/(\d)\s*([A-Za-zµ°]+(?:\^\d)?)\s*\/\s*([A-Za-zµ°]+(?:\^-?\d+)?)/g, "$1 ($2/$3)");
  try {
    const v = mathjs().evaluate(grouped) as unknown;
    if (typeof v === "number") return Number.isFinite(v) ? { value: v, unit: null } : null;
    if (v && typeof v === "object" && (v as { type?: string }).type === "Unit") {
      const u = v as Unit;
      if (u.dimensions.every((d) => d === 0)) return { value: u.toNumber(""), unit: null };
      const units = u.formatUnits();
      return { value: units ? u.toNumber(units) : u.toSI().toNumber(), unit: u };
    }
  } catch {
    // not an expression mathjs reads
  }
  return null;
}

/** A stated result: a number (with "× 10^n"), then "%" or a unit. */
function readStated(stated: string): { value: number; unit: string | null; literal: string } | null {
  const m = /^(-?\s*[\d,]+(?:\.\d+)?(?:\s*(?:×|x|\*)\s*10\s*\^?\s*\(?-?\d+\)?|[eE][-+]?\d+)?)\s*(.*)$/u.exec(
    stated.trim(),
  );
  if (!m) return null;
  const literal = m[1]!.replace(/\s+/g, " ").replace(/^- /, "-");
  const value = writtenNumber(literal);
  if (!Number.isFinite(value)) return null;
  const rest = m[2]!.trim();
  if (!rest) return { value, unit: null, literal };
  if (rest === "%") return { value, unit: "%", literal };
  const unit = unitText(rest);
  return unit ? { value, unit, literal } : { value, unit: null, literal };
}

/** A written unit, compound ("km/h", "g per mol") or with a power ("cm^2"), in mathjs form. */
function unitText(written: string): string | null {
  const w = written.replace(/\s*\^\s*(\d)/g, "^$1");
  const powered = (part: string) => {
    const pow = /^(.*?)\^(\d)$/.exec(part);
    if (!pow) return mathUnit(part);
    const base = mathUnit(pow[1]!);
    return base ? `${base}^${pow[2]}` : null;
  };
  const unit = powered(w);
  if (unit || !/\^\d/.test(w)) return unit;
  // A power inside a compound unit: "m^3/day", "m^2/s".
  const parts = w.split("/").map((p) => powered(p.trim()));
  return parts.length === 2 && parts.every(Boolean) ? parts.join("/") : null;
}

/**
 * Finds arithmetic stated in prose ("2 × 18.015 g/mol = 36.03 g/mol", "17/50 = 0.34",
 * "$30.00 + $2.40 = $32.40", "15% of 80 is 12", "½ × 10 cm × 6 cm = 30 cm²",
 * "= −1/37 ≈ −0.027", "5 × 1.609 km ≈ 8.05 km") and recomputes it. Only expressions of
 * numbers, operators and units are checked; a claim that is part of a longer expression with
 * variables ("x + 2 × 3 = 10") is left alone. An exact result ("=") may differ by the rounding
 * it is written with; an approximate one ("≈", "about") by one unit of its last digit or 1 %.
 * Percentage changes ("from 80 to 100, a 25% increase") are checked on the starting value.
 */
export function findArithmetic(text: string): ArithmeticClaim[] {
  const out: ArithmeticClaim[] = [];
  const flat = prepareArithmetic(text);
  for (const match of flat.matchAll(arithmeticPattern())) {
    const rawExpr = match[1]!.trim();
    const relation = match[2]!.trim();
    const approx =
      !/^(?:=|equals|is\s+equal\s+to|gives|comes\s+to|works\s+out\s+(?:to|at)|is)$/.test(relation) ||
      Boolean(match[3]);
    const stated = match[4]!.replace(/^-\s+/, "-").trim();
    const before = flat.slice(0, match.index).trimEnd();
    // Part of a longer expression: an operator (or an operand, for a leading minus) comes first.
    if (/[-+*/×÷^·(=≈<>]$/.test(before) && !/[=≈(:]$/.test(before)) continue;
    if (/[-+*/×÷^·]$/.test(before)) continue;
    if (rawExpr.startsWith("-") && /[\w)\]]$/.test(before)) continue;
    if (FUNCTION_BEFORE.test(before)) continue;
    if (/(?:^|[^\w])[A-Za-z]\s*$/.test(before) && /^[-+*/×÷^]/.test(before.slice(-1))) continue;
    // "31 December 1950 + 70 = 31 December 2020": the stated number is a day of a date.
    if (MONTH_AFTER.test(flat.slice(match.index + match[0].length))) continue;
    const expression = balanceParens(rawExpr.replace(/^-\s+/, "-"));
    if (/^\d{4}\s*-\s*\d{1,2}\s*-\s*\d{1,2}$/.test(expression)) continue; // a date
    if (/^\d{4}\s*-\s*\d{2,4}$/.test(expression)) continue; // a range of years
    if (/,\d{1,2}(?!\d)/.test(expression)) continue; // list like 1,2 not a thousands separator
    if (!/[-+*/×÷·^]|\\times|\\cdot/.test(expression.replace(/^-/, ""))) continue;
    // No operator but the power of a unit: a quantity restated in another unit ("150 cm^2 =
    // 1.5 m^2") is a conversion, checked here; one in its own unit ("6 floors of 800 m^2 =
    // 4,800 m^2") is not a calculation.
    const bare = !/[-+*/×÷·^]|\\times|\\cdot/.test(
      expression.replace(/^-/, "").replace(/([A-Za-zµ°])\^-?\d/g, "$1"),
    );
    // "is" only between a calculation and its result: "2 × 3 is 6", not "a 2 × 4 is 8 feet long" (a label).
    const q = evaluateClaim(expression);
    const r = readStated(stated);
    if (!q || !r) continue;
    if (bare && (!q.unit || !r.unit || r.unit === "%" || sameUnit(q.unit, r.unit))) continue;
    // The product without its plain-number factors (only for a chain of × and ÷).
    const plain = String.raw`(?:[×*/÷]|\\times|\\cdot)\s*\(?\d[\d,]*(?:\.\d+)?\)?(?!\s*(?:[\p{L}µ°%(]|\d))`;
    const unfactored =
      q.unit && !/[-+]/.test(expression.replace(/^-/, "").replace(/e-/g, ""))
        ? evaluateClaim(expression.replace(new RegExp(plain, "gu"), " "))
        : null;
    // Rounded inputs ("4.000 × 18.02" for 4 × 18.015) carry their rounding into the result.
    const rel = digitSlip(q.value, r.literal) ? 0 : inputRounding(expression, q.value);
    let verdict = statedMatches(q, r, r.literal, approx, unfactored, rel);
    // A sum of rounded products ("3 × 12.01 + 8 × 1.008"): each input's rounding as it carries
    // through the expression, not as if the inputs were added directly.
    if (verdict === "no" && rel > 0 && /[-+]/.test(expression.replace(/^\s*-/, "").replace(/e[-+]/gi, ""))) {
      const carried = carriedRounding(expression, q.value);
      if (carried > rel) verdict = statedMatches(q, r, r.literal, approx, unfactored, carried);
    }
    // "1.440" with a dot as the thousands separator (German, Spanish...): 1440.
    if (verdict === "no" && /^-?\d{1,3}(?:\.\d{3})+$/.test(r.literal)) {
      const literal = r.literal.replace(/\./g, "");
      // The expression is written the same way ("1.200 + 720 + 480 = 2.400").
      const dotless = expression.replace(/(?<![\d.,])\d{1,3}(?:\.\d{3})+(?![\d.,]?\d)/g, (n) =>
        n.replace(/\./g, ""),
      );
      const q2 = dotless !== expression ? (evaluateClaim(dotless) ?? q) : q;
      verdict = statedMatches(q2, { ...r, value: Number(literal) }, literal, approx, unfactored, rel);
    }
    // "4.2 cm × 250 m = 1,050 m" where the text says "1 cm … represents … 250 m": a scale,
    // one unit of the first factor per the second.
    if (verdict === "unit" && r.unit && perOneScale(flat, expression, r.unit)) verdict = "yes";
    // "0,167" or "16,7" with a decimal comma (Spanish, French, German...): 0.167, and the
    // expression written the same way ("1 - 0,375 = 0,625").
    if (verdict === "no" && DECIMAL_COMMA.test(r.literal)) {
      const literal = r.literal.replace(",", ".");
      const dotted = expression.replace(/(?<![\d.,])\d+,\d+(?![\d.,]?\d)/g, (n) =>
        DECIMAL_COMMA.test(n) ? n.replace(",", ".") : n,
      );
      const q2 = dotted !== expression ? (evaluateClaim(dotted) ?? q) : q;
      verdict = statedMatches(q2, { ...r, value: Number(literal) }, literal, approx, unfactored, rel);
    }
    // "2.898 × 10^-3 / 5772 ≈ 502 nm": inputs in SI units written without them give the
    // result in the SI unit, here 5.02 × 10^-7 m.
    if (verdict === "no" && !q.unit && r.unit && r.unit !== "%" && siValueMatches(q.value, r, approx))
      verdict = "yes";
    out.push({
      text: match[0],
      expression,
      stated,
      computed: q.value,
      holds: verdict === "yes",
      approximate: approx,
      kind: "calculation",
      ...(verdict === "yes"
        ? {}
        : { defect: verdict === "unit" || bare ? "wrong_unit" : "wrong_arithmetic" }),
    });
  }
  out.push(...findChainLinks(flat));
  out.push(...findPercentChanges(flat));
  out.push(...findDurations(flat));
  out.push(...findListSums(flat));
  return out;
}

/** Whether `value` is the stated quantity in its SI unit (502 nm: 5.02 × 10^-7). */
function siValueMatches(
  value: number,
  stated: { value: number; unit: string | null; literal: string },
  approx: boolean,
): boolean {
  try {
    const si = (mathjs().unit(stated.value, stated.unit!) as Unit).toSI();
    if (si.formatUnits() === stated.unit) return false;
    const want = si.toNumber(si.formatUnits());
    const rel = writtenResolution(stated.literal, approx) / Math.max(Math.abs(stated.value), 1e-300);
    return Math.abs(value - want) <= Math.max(rel, 1e-4) * Math.abs(want) * (1 + 1e-9);
  } catch {
    return false;
  }
}

/**
 * Whether a product "a u1 × b u2" stated in u2 uses b u2 as a scale per one u1, as the text
 * says before it ("1 cm on the map represents 25,000 cm on the ground = 250 m").
 */
function perOneScale(flat: string, expression: string, statedUnit: string): boolean {
  const m = /^\s*[\d.,]+\s*([A-Za-zµ]+)\s*[×*]\s*([\d.,]+)\s*([A-Za-zµ]+)\s*$/.exec(expression);
  if (!m || mathUnit(m[3]!) !== mathUnit(statedUnit) || !sameDimension(mathUnit(m[1]!), mathUnit(m[3]!)))
    return false;
  const [, u1, b, u2] = m as unknown as [string, string, string, string];
  return new RegExp(
    `(?:^|[^\\d.,])(?:1|one|each|every)\\s*${escapeRe(u1)}\\b[^.\\n]{0,80}?(?<![\\d.,])${escapeRe(b)}\\s*${escapeRe(u2)}\\b`,
    "i",
  ).test(flat);
}

/**
 * A list of numbers and its stated sum ("Squared deviations: 4, 4, 0, 1, 1; sum = 12",
 * "2.5, 3.1 and 4.0, a total of 9.6"). The list's items are separated by a comma and a space
 * (a comma inside a number is a thousands separator), three or more of them.
 */
function findListSums(flat: string): ArithmeticClaim[] {
  const item = String.raw`[-−]?\d+(?:,\d{3})*(?:\.\d+)?`;
  const re = new RegExp(
    String.raw`(?<![\d.,])(${item}(?:(?:,\s+(?:and\s+)?|\s+and\s+)${item}){2,})\s*[;,:.]?\s*(?:so\s+|giving\s+)?(?:the\s+|a\s+)?(?:sum|total)\s*(?:=|is|:|of)\s*(?:\*\*)?(${item})(?![\d.]*\d)`,
    "giu",
  );
  const out: ArithmeticClaim[] = [];
  for (const m of flat.matchAll(re)) {
    const values = m[1]!.split(/,\s+(?:and\s+)?|\s+and\s+/).map(writtenNumber);
    const stated = m[2]!;
    const total = values.reduce((a, b) => a + b, 0);
    const decimals = Math.max(...[...m[1]!.matchAll(/\.(\d+)/g)].map((d) => d[1]!.length), 0);
    const holds = Math.abs(total - writtenNumber(stated)) <= 10 ** -decimals / 2 + 1e-9;
    out.push({
      text: m[0],
      expression: values.join(" + "),
      stated,
      computed: total,
      holds,
      approximate: false,
      kind: "calculation",
      ...(holds ? {} : { defect: "wrong_arithmetic" as const }),
    });
  }
  return out;
}

const SECONDS: Record<string, number> = {
  h: 3600,
  hr: 3600,
  hour: 3600,
  min: 60,
  minute: 60,
  s: 1,
  sec: 1,
  second: 1,
};
const TIME_UNIT = String.raw`(h|hrs?|hours?|min|minutes?|s|secs?|seconds?)\b`;
/** "3 h 30 min 58 s", "2 hours 15 minutes", "4 min 30 s": a duration written in parts. */
const COMPOUND_DURATION_FIRST = new RegExp(
  String.raw`(\d+(?:\.\d+)?)\s*${TIME_UNIT}\s*(?:and\s+)?(\d+(?:\.\d+)?)\s*${TIME_UNIT}(?:\s*(?:and\s+)?(\d+(?:\.\d+)?)\s*${TIME_UNIT})?`,
  "i",
);
/** A single amount of time that a relation follows ("210.975 min ="). */
const TIME_BEFORE_RELATION = new RegExp(
  String.raw`(?<![\d.,])(\d[\d,]*(?:\.\d+)?)\s*${TIME_UNIT}\s*(=|≈|→)`,
  "i",
);
const secondsIn = (unit: string) =>
  SECONDS[unit.toLowerCase().replace(/s$/, "")] ?? SECONDS[unit.toLowerCase()] ?? 0;

/**
 * A duration restated in parts: "210.975 min = 3 h (180 min) + 30.975 min → 3 h 20 min 58 s"
 * must come to the same time, to one unit of its smallest part (two when approximate).
 * Only a line that states the single amount first, followed by "=", "≈" or "→", is read.
 */
function findDurations(flat: string): ArithmeticClaim[] {
  const out: ArithmeticClaim[] = [];
  for (const line of flat.split("\n")) {
    const first = TIME_BEFORE_RELATION.exec(line);
    if (!first) continue;
    const total = Number(first[1]!.replace(/,/g, "")) * secondsIn(first[2]!);
    if (!total) continue;
    const rest = line.slice(first.index + first[0].length);
    // The first duration in parts that restates it, before the line moves on (", then …").
    const m = rest.match(COMPOUND_DURATION_FIRST);
    if (!m || /[,;]|\.\s/.test(rest.slice(0, m.index))) continue;
    const parts: Array<[number, number]> = [];
    for (let k = 1; k + 1 < m.length; k += 2) if (m[k]) parts.push([Number(m[k]), secondsIn(m[k + 1]!)]);
    // Parts in falling units (hours, then minutes, then seconds), each below the one before.
    if (parts.some(([, u], i) => !u || (i > 0 && u >= parts[i - 1]![1]))) continue;
    const stated = parts.reduce((a, [v, u]) => a + v * u, 0);
    const approx = /[≈~]|\b(?:about|roughly|around|nearly)\b/i.test(rest.slice(0, m.index) + first[3]);
    const step = parts.at(-1)![1] * (approx ? 2 : 1);
    const holds = Math.abs(stated - total) <= step;
    out.push({
      text: `${first[0]} … ${m[0]}`,
      expression: `${first[1]} ${first[2]}`,
      stated: m[0],
      computed: total,
      holds,
      approximate: approx,
      kind: "calculation",
      ...(holds ? {} : { defect: "wrong_arithmetic" as const }),
    });
  }
  return out;
}

const MONTH_AFTER =
  /^\s+(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b/i;

const CHANGE_WORDS = String.raw`increase|increased|increases|rise|rises|rose|risen|grew|grow|grows|growth|gain|gained|up|jump|jumped|climb|climbed|decrease|decreased|decreases|drop|dropped|drops|fall|fell|falls|fallen|decline|declined|declines|reduction|reduced|cut|lower|down|loss|change|changed|markup|discount`;
const PCT_CHANGE_RE =
  /\bfrom\s+(-?\d[\d,]*(?:\.\d+)?)\s*(%|[\p{L}/]+)?\s+to\s+(-?\d[\d,]*(?:\.\d+)?)\s*(%|[\p{L}/]+)?/giu;

/**
 * Percentage changes: a sentence with "from X to Y" and a change word, and one percentage
 * stated as the change ("by 25%", "a 25% increase", "an increase of 25%"): the change must
 * be (Y − X) / X, measured on the starting value. "Percentage points" are differences, not
 * relative changes, and are left alone.
 */
function findPercentChanges(text: string): ArithmeticClaim[] {
  const out: ArithmeticClaim[] = [];
  for (const sentence of text.split(/(?<=[.!?;])\s+|\n+/)) {
    if (/percentage\s+points?|\bpp\b|\bpoints?\b/i.test(sentence)) continue;
    if (!new RegExp(String.raw`\b(?:${CHANGE_WORDS})\b`, "i").test(sentence)) continue;
    const spans = [...sentence.matchAll(PCT_CHANGE_RE)];
    if (spans.length !== 1) continue;
    const m = spans[0]!;
    const x = Number(m[1]!.replace(/,/g, ""));
    const y = Number(m[3]!.replace(/,/g, ""));
    if (!(x !== 0) || !Number.isFinite(y) || x === y) continue;
    // The change as stated: a percentage outside the "from X to Y" span, next to a change word or "by"/"of".
    const rest =
      sentence.slice(0, m.index) + " ".repeat(m[0].length) + sentence.slice(m.index! + m[0].length);
    const pcts = [
      ...rest.matchAll(
        new RegExp(
          String.raw`(?:\b(?:by|of|is|was|a|an|about|approximately|roughly|around|nearly|=|≈)\s+)(?:(?:${APPROX_WORDS})\s+)?(-?\d+(?:\.\d+)?)\s*(?:%|\s+per\s?cent\b)|(-?\d+(?:\.\d+)?)\s*(?:%|\s+per\s?cent)\s+(?:${CHANGE_WORDS}|more|less|higher|lower|bigger|smaller)\b`,
          "giu",
        ),
      ),
    ];
    if (pcts.length !== 1) continue;
    const p = pcts[0]!;
    const literal = (p[1] ?? p[2])!;
    const statedPct = Math.abs(Number(literal));
    const approx = new RegExp(String.raw`\b(?:${APPROX_WORDS})\b|≈|~`, "i").test(p[0]);
    const change = ((y - x) / Math.abs(x)) * 100;
    const res = writtenResolution(literal, approx);
    const tol = Math.max(approx ? 2 * res : res, approx ? 0.01 * Math.abs(change) : 0.001 * Math.abs(change));
    // Rounded to a whole percent is the usual way to state a change: allow it.
    const holds =
      Math.abs(Math.abs(change) - statedPct) <= tol * (1 + 1e-9) ||
      Math.abs(Math.abs(change) - statedPct) < 0.5 + 1e-9;
    out.push({
      text: `${m[0]} … ${p[0].trim()}`,
      expression: `(${y} − ${x}) / ${x} × 100`,
      stated: `${literal}%`,
      computed: change,
      holds,
      approximate: approx,
      kind: "percent_change",
      ...(holds ? {} : { defect: "wrong_arithmetic" as const }),
    });
  }
  return out;
}

/**
 * A percentage change asked about elsewhere (the prompt: "drops from $80 to $60; by what
 * percentage?") and answered in the text: when no percentage the text states is the change on
 * the starting value and one is the change on the final value (the classic wrong base), the
 * answer is wrong.
 */
const REVERSE_RE =
  /(-?\d[\d,]*(?:\.\d+)?)\s+(?:including|incl\.?|inclusive of|with|after(?: adding)?)\s+(?:an?\s+)?(\d+(?:\.\d+)?)\s*(?:%|\s+per\s?cent\b)\s*(vat|sales tax|tax|gst|service charge|tip|mark-?up|increase|rise|discount|reduction)\b/i;

/**
 * An amount before a percentage was added or taken off ("An item costs £96 including 20% VAT.
 * What is its price before VAT?"): the answer must be 96 / 1.20 = 80, not 96 × 0.80 = 76.80
 * (the percentage taken off the final amount instead of the original). Only that common
 * wrong method is reported; an answer with the right value, or neither, is left alone.
 */
export function findReversePercentAnswer(text: string, context: string): ArithmeticClaim[] {
  const ctx = prepareArithmetic(context);
  const m = REVERSE_RE.exec(ctx);
  if (
    !m ||
    !/\b(?:before|without|excluding|excl\.?|pre-?(?:tax|vat)|original|net)\b/i.test(
      ctx.slice(m.index + m[0].length),
    )
  )
    return [];
  const total = Number(m[1]!.replace(/,/g, ""));
  const r = Number(m[2]) / 100;
  if (!total || !r || r >= 1) return [];
  const off = /discount|reduction/i.test(m[3]!);
  const right = off ? total / (1 - r) : total / (1 + r);
  const wrong = off ? total * (1 + r) : total * (1 - r);
  const stated = [...prepareArithmetic(text).matchAll(/(?<![\d.])\d[\d,]*(?:\.\d+)?(?![\d%])/g)].map(
    (x) => x[0],
  );
  const near = (lit: string, target: number) =>
    Math.abs(Number(lit.replace(/,/g, "")) - target) <=
    Math.max(writtenResolution(lit, true), 0.005 * target);
  if (stated.some((lit) => near(lit, right))) return [];
  const bad = stated.find((lit) => near(lit, wrong));
  if (!bad) return [];
  return [
    {
      text: `${m[0]} … ${bad}`,
      expression: `${total} / ${off ? `(1 − ${r})` : `(1 + ${r})`}`,
      stated: bad,
      computed: right,
      holds: false,
      kind: "reverse_percent",
      defect: "wrong_arithmetic",
    },
  ];
}

export function findPercentChangeAnswer(text: string, context: string): ArithmeticClaim[] {
  const ctx = prepareArithmetic(context);
  if (!new RegExp(String.raw`\b(?:${CHANGE_WORDS}|percentage|percent)\b`, "i").test(ctx)) return [];
  const spans = [...ctx.matchAll(PCT_CHANGE_RE)];
  if (spans.length !== 1) return [];
  let x = Number(spans[0]![1]!.replace(/,/g, ""));
  let y = Number(spans[0]![3]!.replace(/,/g, ""));
  if (!x || !y || x === y) return [];
  // "falls from 80 to 60 … what rise gets it back to 80?": the change asked is the way back,
  // measured on the value it starts back from.
  const back =
    /\b(?:back to|return(?:s|ing)? to|recover(?:s|ing)? to|get it back to)\s+(-?\d[\d,]*(?:\.\d+)?)/i.exec(
      ctx.slice((spans[0]!.index ?? 0) + spans[0]![0].length),
    );
  if (back && Number(back[1]!.replace(/,/g, "")) === x) [x, y] = [y, x];
  const right = Math.abs(((y - x) / x) * 100);
  const wrongBase = Math.abs(((y - x) / y) * 100);
  const flat = prepareArithmetic(text);
  const stated = [...flat.matchAll(/(-?\d+(?:\.\d+)?)\s*(?:%|\s+per\s?cent\b)/gi)].map((m) => m[1]!);
  if (stated.length === 0) return [];
  const near = (lit: string, target: number) => {
    const v = Math.abs(Number(lit));
    return Math.abs(v - target) <= Math.max(2 * writtenResolution(lit, true), 0.01 * target, 0.5);
  };
  if (stated.some((lit) => near(lit, right))) return [];
  const bad = stated.find((lit) => near(lit, wrongBase));
  if (!bad) return [];
  return [
    {
      text: `${back ? `from ${x} back to ${y}` : spans[0]![0]} … ${bad}%`,
      expression: `(${y} − ${x}) / ${x} × 100`,
      stated: `${bad}%`,
      computed: ((y - x) / Math.abs(x)) * 100,
      holds: false,
      kind: "percent_change",
      defect: "wrong_arithmetic",
    },
  ];
}

/**
 * Verifier: every arithmetic statement in the text holds. `context` (the prompt) gives values
 * the text works with (a percentage change asked about). Not applicable (null) when there is none.
 */
export function checkArithmeticInText(text: string, context?: string): CheckResult | null {
  return claimsResult(
    "arithmetic",
    [
      ...findArithmetic(text),
      ...(context
        ? [...findPercentChangeAnswer(text, context), ...findReversePercentAnswer(text, context)]
        : []),
    ],
    (c) => c.holds,
    (c) =>
      c.kind === "percent_change"
        ? `percentage change is wrong: "${c.text.trim()}" (the change from the starting value is ${+(c.computed ?? 0).toPrecision(4)}%)`
        : c.kind === "reverse_percent"
          ? `the amount before the percentage is wrong: "${c.text.trim()}" (it is ${c.expression} = ${+(c.computed ?? 0).toPrecision(6)})`
          : c.defect === "wrong_unit"
            ? `the unit of a result is wrong: "${c.text.trim()}" (the left side is ${+(c.computed ?? 0).toPrecision(6)} in other units)`
            : `arithmetic is wrong: "${c.text.trim()}" (the left side is ${c.computed === null ? "not computable" : +c.computed.toPrecision(6)})`,
    (c) => c.defect ?? "wrong_arithmetic",
  );
}

const LATEX_COMMANDS = new Set(
  (
    "frac dfrac tfrac sqrt sum prod int iint oint lim infty partial nabla cdot times div pm mp leq geq neq le ge ne approx equiv sim simeq propto " +
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega " +
    "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh log ln exp min max sup inf det gcd deg arg " +
    "left right big Big bigg Bigg bigl bigr Bigl Bigr langle rangle lfloor rfloor lceil rceil lvert rvert lVert rVert vert Vert " +
    "text mathrm mathbf mathit mathsf mathtt mathcal mathbb mathfrak mathscr operatorname boldsymbol bm textbf textit emph " +
    "hat bar vec dot ddot tilde widehat widetilde overline underline overbrace underbrace overrightarrow overleftarrow " +
    "begin end quad qquad to rightarrow leftarrow Rightarrow Leftarrow leftrightarrow Leftrightarrow longrightarrow rightleftharpoons " +
    "implies iff mapsto in notin subset subseteq supset supseteq cup cap setminus emptyset varnothing forall exists neg land lor wedge vee " +
    "circ bullet star ast ldots cdots vdots ddots dots mid parallel perp angle triangle square degree prime hbar ell Re Im aleph " +
    "binom choose over pmod bmod mod displaystyle textstyle scriptstyle limits nolimits stackrel overset underset xrightarrow ce pu " +
    "color textcolor boxed cancel not phantom hspace vspace mathrel mathop mathbin mathord ne colon cr newline"
  ).split(/\s+/),
);
const ENVIRONMENTS = new Set([
  "matrix",
  "pmatrix",
  "bmatrix",
  "vmatrix",
  "Vmatrix",
  "cases",
  "aligned",
  "align",
  "align*",
  "array",
  "equation",
  "equation*",
  "gathered",
  "split",
  "smallmatrix",
]);

/** Problems that would stop a LaTeX maths expression from rendering (empty when it parses). */
export function checkLatex(latex: string): string[] {
  const problems: string[] = [];
  const envs: string[] = [];
  let depth = 0;
  let lefts = 0;
  const s = latex;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\") {
      const m = /^\\([A-Za-z]+|.)/.exec(s.slice(i));
      if (!m) {
        problems.push("a trailing backslash");
        break;
      }
      const cmd = m[1]!;
      i += m[0].length - 1;
      if (!/^[A-Za-z]+$/.test(cmd)) continue; // \{ \} \, \\ ...
      if (cmd === "left") lefts++;
      else if (cmd === "right") lefts--;
      if (lefts < 0) {
        problems.push("\\right without a matching \\left");
        lefts = 0;
      }
      if (cmd === "begin" || cmd === "end") {
        const env = /^\s*\{([A-Za-z*]+)\}/.exec(s.slice(i + 1));
        if (!env) {
          problems.push(`\\${cmd} needs an environment name in braces`);
          continue;
        }
        i += env[0].length;
        const name = env[1]!;
        if (!ENVIRONMENTS.has(name)) problems.push(`unknown environment "${name}"`);
        if (cmd === "begin") envs.push(name);
        else if (envs.pop() !== name) problems.push(`\\end{${name}} does not close the open environment`);
        continue;
      }
      if (!LATEX_COMMANDS.has(cmd)) problems.push(`unknown command \\${cmd}`);
      if (cmd === "frac" || cmd === "dfrac" || cmd === "tfrac" || cmd === "binom") {
        const args = countArgs(s, i + 1, 2);
        if (args < 2) problems.push(`\\${cmd} needs two arguments`);
      }
      if (cmd === "sqrt" && countArgs(s, i + 1, 1, true) < 1) problems.push("\\sqrt needs an argument");
      continue;
    }
    if (c === "{") depth++;
    else if (c === "}") {
      depth--;
      if (depth < 0) {
        problems.push("a closing brace without an opening one");
        depth = 0;
      }
    } else if (c === "^" || c === "_") {
      const rest = s.slice(i + 1).trimStart();
      if (!rest || /^[}^_&]/.test(rest)) problems.push(`"${c}" has nothing to apply to`);
    }
  }
  if (depth > 0) problems.push(`${depth} unclosed brace(s)`);
  if (lefts > 0) problems.push("\\left without a matching \\right");
  for (const e of envs) problems.push(`\\begin{${e}} is never closed`);
  if (/\^\s*(?:\{[^{}]*\}|\\?[A-Za-z0-9])\s*\^/.test(s.replace(/\\[A-Za-z]+/g, "x")))
    problems.push("double superscript");
  return [...new Set(problems)];
}

/** How many brace groups or single tokens follow position `at` (up to `want`). */
function countArgs(s: string, at: number, want: number, optionalBracket = false): number {
  let i = at;
  let n = 0;
  const skip = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  skip();
  if (optionalBracket && s[i] === "[") {
    const close = s.indexOf("]", i);
    if (close < 0) return 0;
    i = close + 1;
    skip();
  }
  while (n < want && i < s.length) {
    skip();
    if (s[i] === "{") {
      let d = 0;
      let j = i;
      for (; j < s.length; j++) {
        if (s[j] === "\\") {
          j++;
          continue;
        }
        if (s[j] === "{") d++;
        else if (s[j] === "}" && --d === 0) break;
      }
      if (j >= s.length) return n;
      i = j + 1;
      n++;
    } else if (s[i] === "\\") {
      const m = /^\\([A-Za-z]+|.)/.exec(s.slice(i));
      i += m ? m[0].length : 1;
      n++;
    } else if (s[i] && /[A-Za-z0-9]/.test(s[i]!)) {
      i++;
      n++;
    } else break;
  }
  return n;
}

/** The maths segments of prose: `$...$`, `$$...$$`, `\(...\)`, `\[...\]`. */
export function mathSegments(written: string): { segments: string[]; problems: string[] } {
  // Code is not maths: "`/api/users/${id}`" in a JavaScript block holds a "$" of its own.
  const text = written.replace(/```[\s\S]*?(?:```|$)/g, " ").replace(/`[^`\n]*`/g, " ");
  const segments: string[] = [];
  const problems: string[] = [];
  const re =
    /\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)|(?<![\\$])\$(?!\$)((?:\\\$|[^$])+?)\$/g;
  let rest = text;
  for (const m of text.matchAll(re)) {
    const seg = m[1] ?? m[2] ?? m[3] ?? m[4] ?? "";
    // "$5 and $10" is money, not maths.
    if (m[4] !== undefined && !/[\\^_{}=]/.test(seg) && /^\s*\d/.test(seg)) continue;
    segments.push(seg);
    rest = rest.replace(m[0], " ");
  }
  if ((rest.match(/\\\(/g) ?? []).length !== (rest.match(/\\\)/g) ?? []).length)
    problems.push("unbalanced \\( \\) delimiters");
  if ((rest.match(/\\\[/g) ?? []).length !== (rest.match(/\\\]/g) ?? []).length)
    problems.push("unbalanced \\[ \\] delimiters");
  if (/\$\$/.test(rest)) problems.push("an unclosed $$ display-maths block");
  const lone = (rest.match(/(?<![\\$])\$(?!\$)/g) ?? []).length;
  if (lone % 2 === 1 && /\$[^$\d\s][^$]*[\\^_]/.test(rest)) problems.push("an unclosed $ maths segment");
  return { segments, problems };
}

/** Verifier: every LaTeX maths segment of the text parses. Null when the text has none. */
export function checkLatexInText(text: string): CheckResult | null {
  const { segments, problems } = mathSegments(text);
  if (segments.length === 0 && problems.length === 0) return null;
  const all = [...problems];
  for (const seg of segments)
    for (const p of checkLatex(seg)) all.push(`LaTeX "${seg.trim().slice(0, 60)}": ${p}`);
  if (all.length === 0) return pass("latex", { segments: segments.length });
  return fail("latex", all, clamp01(1 - all.length / Math.max(1, segments.length)), {
    segments: segments.length,
  });
}
