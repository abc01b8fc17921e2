import { all, create, type MathJsInstance, type MathNode, type Unit } from "mathjs";
import { memoizeText } from "../core/memo.js";
import { type CheckResult, claimsResult, clamp01, fail, pass } from "./check.js";

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
  const m = create(all!, { number: "number" });
  m.createUnit("M", "1 mol/L", { override: true });
  m.createUnit("molar", "1 mol/L", { override: true });
  m.createUnit("cal", "4.184 J", { override: true });
  m.createUnit("kcal", "4184 J", { override: true });
  m.createUnit("amu", "1.66053906660e-27 kg", { override: true });
  instance = m;
  return m;
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
    return eq.equivalent
      ? pass(name, { method: "numeric", reason: eq.reason })
      : fail(name, [`wrong answer: ${eq.reason} (expected ${reference.trim()})`], 0, { method: "numeric" });
  }
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

/** One arithmetic statement found in prose and whether it holds. */
export interface ArithmeticClaim {
  text: string;
  expression: string;
  stated: string;
  computed: number | null;
  holds: boolean;
}

const UNIT_WORD = "(?:g|kg|mg|mol|mmol|L|mL|M|J|kJ|K|atm|Pa|kPa|s|min|h|m|cm|mm|km|%)";
const NUM = String.raw`\d+(?:[.,]\d+)*(?:\s*(?:e|E)[-+]?\d+)?`;
const TERM = String.raw`(?:${NUM}\s*\(\s*${NUM}\s*\)|\(?\s*${NUM}(?:\s*${UNIT_WORD}(?:\s*/\s*${UNIT_WORD})?)?\s*\)?)`;
const OP = String.raw`\s*(?:[-+*/×÷·^]|\\times|\\cdot)\s*`;
const ARITH_RE = new RegExp(
  // The stated value must end the claim: in a chain "a × b + c = 0.0099 + 0.0495 = 0.0594" the
  // right side "0.0099 + 0.0495" is an expression, not a result (that step is checked on its own).
  String.raw`(?<![\d.)(])(${TERM}(?:${OP}${TERM})+)\s*(=|≈|\\approx)\s*(-?${NUM}(?:\s*(?:×|x|\*)\s*10\^?[-−]?\d+)?(?:\s*${UNIT_WORD}(?:\s*/\s*${UNIT_WORD})?)?)(?!\d|[.,]\d)(?!${OP}\(?\s*\d)`,
  "g",
);

/**
 * Finds arithmetic stated in prose ("2 × 18.015 g/mol = 36.03 g/mol", "17/50 = 0.34") and
 * recomputes it. Only expressions of numbers, operators and common units are checked;
 * anything with variables is left alone. `≈` allows 5 % error; `=` allows the rounding
 * the stated result implies.
 */
export function findArithmetic(text: string): ArithmeticClaim[] {
  const out: ArithmeticClaim[] = [];
  const flat = text.replace(/[−–]/g, "-");
  for (const match of flat.matchAll(ARITH_RE)) {
    const expression = match[1]!.trim();
    const approx = match[2] !== "=";
    const stated = match[3]!.trim();
    if (/^\d{4}\s*-\s*\d{1,2}\s*-\s*\d{1,2}$/.test(expression)) continue; // a date
    if (/,\d{1,2}(?!\d)/.test(expression)) continue; // list like 1,2 not a thousands separator
    const q = parseQuantity(expression.replace(/(\d),(\d{3})/g, "$1$2"));
    const r = parseQuantity(stated);
    if (!q || !r) continue;
    const eq = numericEquivalent(
      expression.replace(/(\d),(\d{3})/g, "$1$2"),
      stated,
      approx ? { relTol: 0.05 } : { relTol: 1e-4 },
    );
    out.push({ text: match[0], expression, stated, computed: q.value, holds: eq.equivalent });
  }
  return out;
}

/** Verifier: every arithmetic statement in the text holds. Not applicable (null) when there is none. */
export function checkArithmeticInText(text: string): CheckResult | null {
  return claimsResult(
    "arithmetic",
    findArithmetic(text),
    (c) => c.holds,
    (c) =>
      `arithmetic is wrong: "${c.text.trim()}" (the left side is ${c.computed === null ? "not computable" : +c.computed.toPrecision(6)})`,
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
export function mathSegments(text: string): { segments: string[]; problems: string[] } {
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
