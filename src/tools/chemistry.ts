import { SynthforgeError } from "../core/errors.js";
import { plainSubscripts } from "../core/text.js";
import { type CheckResult, claimsResult } from "./check.js";
import { mathjs, parseQuantity } from "./maths.js";
import { ELEMENTS } from "./periodic-table.js";

/**
 * Chemistry verifiers: a formula parser (parentheses and brackets, hydrates, charges,
 * state symbols), molar masses from the periodic table, equation checking and balancing
 * (exact rational arithmetic), stoichiometry (moles, limiting reagent, yield) and unit
 * conversion, plus a checker for molar masses and equations stated in prose.
 */

/** A parsed formula: atom counts and net charge. */
export interface Formula {
  /** The formula as written. */
  text: string;
  /** Atoms per element symbol (an electron `e-` has none). */
  atoms: Record<string, number>;
  charge: number;
}

const SUPER_CHARGE: Record<string, string> = {
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
  "⁺": "+",
  "⁻": "-",
};

function invalid(text: string, why: string): SynthforgeError {
  return new SynthforgeError("INVALID_REQUEST", `Cannot read the formula "${text}": ${why}.`);
}

/**
 * Parses a chemical formula: `H2O`, `Ca(OH)2`, `[Fe(CN)6]4-`, `CuSO4·5H2O` (also `*5H2O`,
 * `.5H2O`), charges as `SO4^2-`, `SO4{2-}`, `SO4²⁻`, `Fe3+`, `NO3-`, `NH4+`, state symbols
 * `(aq)`, `(s)`, `(l)`, `(g)`, and the electron `e-`. For `X<digit><sign>` the digit is
 * the charge when X is a single element (`Fe3+`, `O2-`) or a bracketed complex
 * (`[Fe(CN)6]4-`), and a count otherwise (`NO3-`);
 * write `^` (`O2^2-`) to say otherwise.
 *
 * @throws SynthforgeError `INVALID_REQUEST` naming what cannot be read (unknown element,
 *   unbalanced parenthesis...).
 */
export function parseFormula(input: string): Formula {
  const text = input.trim();
  if (!text) throw invalid(input, "it is empty");
  let s = plainSubscripts(text)
    .replace(/[⁰-⁹⁺⁻¹²³]+$/u, (m) => `^${[...m].map((c) => SUPER_CHARGE[c] ?? c).join("")}`)
    .replace(/\s*\((?:aq|s|l|g|sol)\)\s*$/i, "")
    .replace(/\s+/g, (_ws, off: number, str: string) => (/^\s+\d*[+-]$/.test(str.slice(off)) ? "^" : ""));
  if (/^e[-−⁻]$|^e\^?-1?$/.test(s)) return { text, atoms: {}, charge: -1 };
  // Charge
  let charge = 0;
  const explicit = /\^\{?([0-9]*)([+-]+)\}?$|\{([0-9]*)([+-]+)\}$/.exec(s);
  if (explicit) {
    const digits = explicit[1] ?? explicit[3] ?? "";
    const signs = explicit[2] ?? explicit[4] ?? "";
    charge = chargeOf(digits, signs);
    s = s.slice(0, explicit.index);
  } else {
    const trailing = /([0-9]*)([+-]+)$/.exec(s);
    if (trailing) {
      const digits = trailing[1]!;
      const signs = trailing[2]!;
      let body = s.slice(0, trailing.index);
      if (digits.length === 0) {
        charge = chargeOf("", signs);
      } else if (digits.length >= 2) {
        charge = chargeOf(digits.slice(-1), signs);
        body += digits.slice(0, -1);
      } else if (/^[A-Z][a-z]?$/.test(body) || body.endsWith("]")) {
        charge = chargeOf(digits, signs);
      } else {
        charge = chargeOf("", signs);
        body += digits;
      }
      s = body;
    }
  }
  // Hydrates and adducts: CuSO4·5H2O
  const parts = s.split(/[·•∙⋅*]|\.(?=\d*[A-Z(])/);
  const atoms: Record<string, number> = {};
  for (const part of parts) {
    const m = /^(\d+)?(.+)$/.exec(part.trim());
    if (!m) throw invalid(text, "an empty part");
    const mult = m[1] ? Number(m[1]) : 1;
    const counts = parseGroup(m[2]!, text);
    for (const [el, n] of Object.entries(counts)) atoms[el] = (atoms[el] ?? 0) + n * mult;
  }
  return { text, atoms, charge };
}

function chargeOf(digits: string, signs: string): number {
  const sign = signs.startsWith("-") ? -1 : 1;
  return sign * (digits ? Number(digits) : signs.length);
}

function parseGroup(s: string, whole: string): Record<string, number> {
  let i = 0;
  const parse = (close: string | null): Record<string, number> => {
    const acc: Record<string, number> = {};
    while (i < s.length) {
      const c = s[i]!;
      if (c === ")" || c === "]" || c === "}") {
        if (close === null || c !== close) throw invalid(whole, `unexpected "${c}"`);
        i++;
        return acc;
      }
      let inner: Record<string, number>;
      if (c === "(" || c === "[" || c === "{") {
        i++;
        inner = parse(c === "(" ? ")" : c === "[" ? "]" : "}");
      } else if (/[A-Z]/.test(c)) {
        const m = /^[A-Z][a-z]?/.exec(s.slice(i))!;
        let sym = m[0];
        if (!ELEMENTS.has(sym) && sym.length === 2 && ELEMENTS.has(sym[0]!)) sym = sym[0]!;
        if (!ELEMENTS.has(sym)) throw invalid(whole, `"${m[0]}" is not an element symbol`);
        i += sym.length;
        inner = { [sym]: 1 };
      } else {
        throw invalid(whole, `unexpected "${c}"`);
      }
      const num = /^\d+/.exec(s.slice(i));
      const n = num ? Number(num[0]) : 1;
      if (num) i += num[0].length;
      if (n === 0) throw invalid(whole, "a count of zero");
      for (const [el, k] of Object.entries(inner)) acc[el] = (acc[el] ?? 0) + k * n;
    }
    if (close !== null)
      throw invalid(whole, `a "${close === ")" ? "(" : close === "]" ? "[" : "{"}" is never closed`);
    return acc;
  };
  const out = parse(null);
  if (Object.keys(out).length === 0) throw invalid(whole, "it has no elements");
  return out;
}

/** Molar mass of a formula in g/mol (from the standard atomic weights). */
export function molarMass(formula: string | Formula): number {
  const f = typeof formula === "string" ? parseFormula(formula) : formula;
  let m = 0;
  for (const [el, n] of Object.entries(f.atoms)) m += ELEMENTS.get(el)!.mass * n;
  return Math.round(m * 10000) / 10000;
}

/** One side's species with coefficients. */
export interface Species {
  coefficient: number;
  formula: Formula;
}

/** A parsed equation. */
export interface Equation {
  text: string;
  reactants: Species[];
  products: Species[];
  /** Reversible arrow (⇌, <=>, <->). */
  reversible: boolean;
}

const ARROW = /\s*(<=>|<->|⇌|⇄|→|⟶|->|=>|=)\s*/;

/**
 * Parses `2H2 + O2 -> 2H2O` (arrows →, ->, ⟶, =>, =, ⇌, <=>). Species are separated by
 * ` + `; coefficients may be integers, decimals or fractions.
 *
 * @throws SynthforgeError `INVALID_REQUEST` for a missing arrow or an unreadable species.
 */
export function parseEquation(text: string): Equation {
  const m = ARROW.exec(text);
  if (!m)
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `"${text}" is not an equation: it needs an arrow (→, ->, = or ⇌) between reactants and products.`,
    );
  const left = text.slice(0, m.index);
  const right = text.slice(m.index + m[0].length);
  const side = (s: string): Species[] =>
    s
      .split(/\s+\+\s+|(?<=[A-Za-z0-9)\]])\+(?=\s*\d*\s*[A-Z([])/)
      .map((t) => t.trim())
      .filter(Boolean)
      .map((t) => {
        const c = /^(\d+\/\d+|\d+(?:\.\d+)?)\s*(?=[A-Z([e])/.exec(t);
        const coefficient = c ? Number(mathjs().evaluate(c[1]!)) : 1;
        return { coefficient, formula: parseFormula(c ? t.slice(c[0].length) : t) };
      });
  const reactants = side(left);
  const products = side(right);
  if (!reactants.length || !products.length)
    throw new SynthforgeError("INVALID_REQUEST", `"${text}" needs species on both sides of the arrow.`);
  return { text, reactants, products, reversible: /<=>|<->|⇌|⇄/.test(m[1]!) };
}

/** Whether atoms and charge are conserved, and what differs when not. */
export interface BalanceCheck {
  balanced: boolean;
  /** Per element (and `charge`): [left, right] where they differ. */
  differences: Record<string, [number, number]>;
}

/** Checks that an equation conserves every element and the charge. */
export function checkBalanced(equation: string | Equation): BalanceCheck {
  const eq = typeof equation === "string" ? parseEquation(equation) : equation;
  const tally = (side: Species[]) => {
    const t: Record<string, number> = { charge: 0 };
    for (const s of side) {
      for (const [el, n] of Object.entries(s.formula.atoms)) t[el] = (t[el] ?? 0) + n * s.coefficient;
      t.charge! += s.formula.charge * s.coefficient;
    }
    return t;
  };
  const l = tally(eq.reactants);
  const r = tally(eq.products);
  const differences: Record<string, [number, number]> = {};
  for (const k of new Set([...Object.keys(l), ...Object.keys(r)])) {
    const a = round6(l[k] ?? 0);
    const b = round6(r[k] ?? 0);
    if (Math.abs(a - b) > 1e-9) differences[k] = [a, b];
  }
  return { balanced: Object.keys(differences).length === 0, differences };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

// Exact rationals for balancing.
type Q = [bigint, bigint];
const gcd = (a: bigint, b: bigint): bigint => {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y) [x, y] = [y, x % y];
  return x;
};
const q = (n: bigint, d = 1n): Q => {
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d) || 1n;
  return [n / g, d / g];
};
const sub = (a: Q, b: Q): Q => q(a[0] * b[1] - b[0] * a[1], a[1] * b[1]);
const mul = (a: Q, b: Q): Q => q(a[0] * b[0], a[1] * b[1]);
const div = (a: Q, b: Q): Q => q(a[0] * b[1], a[1] * b[0]);

/** The result of balancing. */
export interface Balanced {
  /** Smallest whole-number coefficients, reactants then products. */
  coefficients: number[];
  /** The balanced equation as text. */
  equation: string;
}

/**
 * Balances an equation (its coefficients are ignored): the smallest positive whole
 * numbers that conserve every element and the charge, from the null space of the
 * composition matrix in exact arithmetic.
 *
 * @throws SynthforgeError `INVALID_REQUEST` when no positive balance exists, or when the
 *   equation mixes independent reactions (more than one way to balance it).
 */
export function balanceEquation(text: string): Balanced {
  const eq = parseEquation(text);
  const species = [...eq.reactants, ...eq.products];
  const nR = eq.reactants.length;
  const keys = [...new Set(species.flatMap((s) => Object.keys(s.formula.atoms)))];
  if (species.some((s) => s.formula.charge !== 0)) keys.push("charge");
  const rows: Q[][] = keys.map((k) =>
    species.map((s, j) => {
      const v = k === "charge" ? s.formula.charge : (s.formula.atoms[k] ?? 0);
      return q(BigInt(j < nR ? v : -v));
    }),
  );
  // Reduced row echelon form.
  const n = species.length;
  const pivots: number[] = [];
  let r = 0;
  for (let c = 0; c < n && r < rows.length; c++) {
    const p = rows.findIndex((row, i) => i >= r && row[c]![0] !== 0n);
    if (p < 0) continue;
    [rows[r], rows[p]] = [rows[p]!, rows[r]!];
    const pv = rows[r]![c]!;
    rows[r] = rows[r]!.map((x) => div(x, pv));
    for (let i = 0; i < rows.length; i++) {
      if (i === r || rows[i]![c]![0] === 0n) continue;
      const f = rows[i]![c]!;
      rows[i] = rows[i]!.map((x, j) => sub(x, mul(f, rows[r]![j]!)));
    }
    pivots.push(c);
    r++;
  }
  const free = [...Array(n).keys()].filter((c) => !pivots.includes(c));
  if (free.length === 0)
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `"${text}" cannot be balanced: no coefficients conserve every element.`,
    );
  if (free.length > 1) {
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `"${text}" can be balanced in more than one independent way (it combines several reactions); give coefficients or split it.`,
    );
  }
  const f = free[0]!;
  const x: Q[] = Array.from({ length: n }, () => q(0n));
  x[f] = q(1n);
  pivots.forEach((c, i) => {
    x[c] = q(-rows[i]![f]![0], rows[i]![f]![1]);
  });
  const lcm = x.reduce((acc, v) => (acc * v[1]) / gcd(acc, v[1]), 1n);
  let ints = x.map((v) => (v[0] * lcm) / v[1]);
  if (ints.every((v) => v <= 0n)) ints = ints.map((v) => -v);
  if (ints.some((v) => v <= 0n)) {
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `"${text}" cannot be balanced with positive coefficients (a species is on the wrong side or does not take part).`,
    );
  }
  const g = ints.reduce((a, b) => gcd(a, b));
  const coefficients = ints.map((v) => Number(v / g));
  const fmtSide = (list: Species[], off: number) =>
    list
      .map((s, i) => `${coefficients[off + i] === 1 ? "" : coefficients[off + i]}${s.formula.text}`)
      .join(" + ");
  return {
    coefficients,
    equation: `${fmtSide(eq.reactants, 0)} ${eq.reversible ? "⇌" : "→"} ${fmtSide(eq.products, nR)}`,
  };
}

/** Moles in `grams` of a substance. */
export function molesFromMass(grams: number, formula: string): number {
  return grams / molarMass(formula);
}

/** Grams in `moles` of a substance. */
export function massFromMoles(moles: number, formula: string): number {
  return moles * molarMass(formula);
}

/** Amount of one reactant: grams or moles. */
export type Amount = { grams: number } | { moles: number };

/** What a reaction makes from given amounts. */
export interface StoichiometryResult {
  /** The balanced equation used. */
  equation: string;
  /** The reactant that runs out first. */
  limiting: string;
  /** Reaction extent in mol (moles of "one reaction" as balanced). */
  extent: number;
  /** Theoretical moles and grams of each product. */
  products: Record<string, { moles: number; grams: number }>;
  /** Moles of each given reactant left over. */
  leftover: Record<string, number>;
}

/**
 * Limiting reagent and theoretical yield: balances the equation (if needed), converts the
 * given amounts to moles, and finds the reactant that runs out first.
 *
 * @throws SynthforgeError `INVALID_REQUEST` when an amount names a species that is not a reactant.
 */
export function stoichiometry(equation: string, amounts: Record<string, Amount>): StoichiometryResult {
  const parsed = parseEquation(equation);
  const balanced = checkBalanced(parsed).balanced
    ? {
        equation: parsed.text,
        coefficients: [...parsed.reactants, ...parsed.products].map((s) => s.coefficient),
      }
    : balanceEquation(equation);
  const eq = parseEquation(balanced.equation);
  const coef = (list: Species[], off: number) =>
    list.map((s, i) => ({ s, c: balanced.coefficients[off + i] ?? s.coefficient }));
  const reactants = coef(eq.reactants, 0);
  const products = coef(eq.products, eq.reactants.length);
  const key = (f: Formula) => f.text.replace(/\s+/g, "");
  let limiting = "";
  let extent = Number.POSITIVE_INFINITY;
  const given: Record<string, number> = {};
  for (const [name, amount] of Object.entries(amounts)) {
    const r = reactants.find((x) => key(x.s.formula) === name.replace(/\s+/g, ""));
    if (!r)
      throw new SynthforgeError("INVALID_REQUEST", `"${name}" is not a reactant of ${balanced.equation}.`);
    const mol = "moles" in amount ? amount.moles : molesFromMass(amount.grams, name);
    given[name] = mol;
    if (mol / r.c < extent) {
      extent = mol / r.c;
      limiting = name;
    }
  }
  if (!limiting) throw new SynthforgeError("INVALID_REQUEST", "Give the amount of at least one reactant.");
  const out: StoichiometryResult["products"] = {};
  for (const p of products) {
    const moles = extent * p.c;
    out[key(p.s.formula)] = { moles, grams: moles * molarMass(p.s.formula) };
  }
  const leftover: Record<string, number> = {};
  for (const [name, mol] of Object.entries(given)) {
    const r = reactants.find((x) => key(x.s.formula) === name.replace(/\s+/g, ""))!;
    leftover[name] = Math.max(0, mol - extent * r.c);
  }
  return { equation: balanced.equation, limiting, extent, products: out, leftover };
}

/** Percent yield: actual over theoretical, as a percentage. */
export function percentYield(actual: number, theoretical: number): number {
  if (!(theoretical > 0))
    throw new SynthforgeError("INVALID_REQUEST", "The theoretical yield must be positive.");
  return (actual / theoretical) * 100;
}

/**
 * Converts a value between units (mathjs units plus M = mol/L and cal): `convertUnits(25, "degC", "K")`.
 *
 * @throws SynthforgeError `INVALID_REQUEST` for unknown or incompatible units.
 */
export function convertUnits(value: number, from: string, to: string): number {
  try {
    return mathjs().unit(value, from).toNumber(to);
  } catch (e) {
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `Cannot convert ${value} ${from} to ${to}: ${(e instanceof Error ? e.message : String(e)).replace(/\.$/, "")}.`,
    );
  }
}

/** A molar mass or equation stated in prose, and whether it is right. */
export interface ChemistryClaim {
  kind: "molar_mass" | "equation";
  text: string;
  ok: boolean;
  detail: string;
}

// Subscript digits ("H₂O") are part of a formula, and so is a superscript charge ("HCO₃⁻").
const FORMULA_TOKEN = String.raw`(?:\d+(?:\.\d+)?\s*)?[A-Z][A-Za-z0-9()\[\]·^{}₀-₉]*(?:[⁰⁴-⁹¹²³]*[⁺⁻])?(?:[+-](?=\s|$|[),.;]))?(?:\s*\((?:aq|s|l|g)\))?`;
const EQUATION_RE = new RegExp(
  String.raw`(${FORMULA_TOKEN}(?:\s+\+\s+${FORMULA_TOKEN})*)\s*(→|->|⟶|⇌|<=>|=>|⇄)\s*(${FORMULA_TOKEN}(?:\s+\+\s+${FORMULA_TOKEN})*)`,
  "g",
);
const MOLAR_MASS_RES = [
  /molar mass of\s+(?:[a-z][a-z\s-]*?\s)?\(?([A-Z][A-Za-z0-9()·]*)\)?\s*(?:is|=|≈|of|:)\s*(?:about\s+|approximately\s+|roughly\s+|around\s+)?(\d+(?:\.\d+)?)\s*g\s*(?:\/\s*mol|mol\s*[-−⁻]\s*1|mol⁻¹|per mole?)/g,
  /\b([A-Z][A-Za-z0-9()·]*)\)?\s+has a molar mass of\s+(?:about\s+|approximately\s+)?(\d+(?:\.\d+)?)\s*g\s*(?:\/\s*mol|per mole?)/g,
  /\b([A-Z][A-Za-z0-9()·]*)\s*\(\s*M\s*=\s*(\d+(?:\.\d+)?)\s*g\s*\/\s*mol\s*\)/g,
];

/** Finds molar masses and chemical equations stated in prose and checks each. */
export function findChemistryClaims(text: string): ChemistryClaim[] {
  const out: ChemistryClaim[] = [];
  for (const re of MOLAR_MASS_RES) {
    for (const m of text.matchAll(re)) {
      let f: Formula;
      let written = m[1]!;
      while (
        written.endsWith(")") &&
        (written.match(/\)/g) ?? []).length > (written.match(/\(/g) ?? []).length
      )
        written = written.slice(0, -1);
      try {
        f = parseFormula(written);
      } catch {
        continue;
      }
      if (Object.keys(f.atoms).length === 0) continue;
      const stated = Number(m[2]);
      const actual = molarMass(f);
      const res = parseQuantity(m[2]!)?.resolution ?? 0;
      const ok = Math.abs(stated - actual) <= Math.max(res, actual * 0.001);
      out.push({
        kind: "molar_mass",
        text: m[0],
        ok,
        detail: ok
          ? `${f.text} = ${actual} g/mol`
          : `the molar mass of ${f.text} is ${actual} g/mol, not ${stated}`,
      });
    }
  }
  const parts = text.split(/(?<=[.!?])\s+|\n+/);
  const found: Array<{ eq: Equation; text: string; at: number; balanced: boolean }> = [];
  parts.forEach((sentence, at) => {
    for (const m of sentence.matchAll(EQUATION_RE)) {
      const eqText = m[0].replace(/[.,;:]+$/, "");
      let eq: Equation;
      try {
        eq = parseEquation(eqText);
      } catch {
        continue;
      }
      if (eq.reactants.length + eq.products.length < 2) continue;
      // "H → K, E → H": one lone atom becoming another element is a mapping (a cipher, a
      // substitution), not a chemical reaction.
      const lone = (side: Equation["reactants"]) =>
        side.length === 1 && Object.values(side[0]!.formula.atoms).join() === "1"
          ? Object.keys(side[0]!.formula.atoms)[0]
          : null;
      const [from, to] = [lone(eq.reactants), lone(eq.products)];
      if (from && to && from !== to) continue;
      const after = sentence.slice((m.index ?? 0) + m[0].length);
      // Part of an equation the pattern cannot read whole ("C + ½O₂ → CO" read from "O₂"):
      // not the equation the text states.
      const before = sentence.slice(0, m.index ?? 0);
      if (/(?:[½⅓¼¾⅔]|\d\/\d|\+)\s*$/.test(before) || /^\s*\+\s*[½⅓¼¾⅔]/.test(after)) continue;
      // "Route: C → CO₂, then CO₂ → CO": one species becoming another is a step of a route,
      // not a balanced equation the text claims.
      if (
        eq.reactants.length === 1 &&
        eq.products.length === 1 &&
        !/\d\s*[A-Z]/.test(eqText) &&
        /\broute\b|\bthen\b|\bstep/i.test(sentence)
      )
        continue;
      // "V → I", "IV → I": Roman numerals (chords of a key, stages, clauses), not elements.
      if ([...eq.reactants, ...eq.products].every((x) => /^[IVX]+$/.test(x.formula.text.replace(/\s+/g, ""))))
        continue;
      // A half-equation with electrons ("2H2O → 4H+ + 4e− + O2"): the pattern stops at "e−", so
      // what it read is not the whole equation; electrons are not species it balances.
      if (
        /^\s*\+\s*\d*\s*e\s*(?:[−⁻-]|\^-)/.test(after) ||
        /(?:^|[\s+])\d*\s*e(?:[−⁻]|\^-|-(?=\s|$))/.test(eqText)
      )
        continue;
      found.push({ eq, text: eqText, at, balanced: checkBalanced(eq).balanced });
    }
  });
  // The species of an equation, to find the balanced form of a skeleton equation in the same text.
  const speciesKey = (eq: Equation) =>
    [eq.reactants, eq.products]
      .map((side) =>
        side
          .map((x) => x.formula.text.replace(/\s+/g, ""))
          .sort()
          .join("+"),
      )
      .join(">");
  const balancedKeys = new Set(found.filter((f) => f.balanced).map((f) => speciesKey(f.eq)));
  for (const { eq, text: eqText, at, balanced } of found) {
    const sentence = parts[at]!;
    if (balanced) {
      out.push({ kind: "equation", text: eqText, ok: true, detail: "balanced" });
      continue;
    }
    // An equation the text itself presents as unbalanced (a skeleton to balance, a wrong version
    // it then corrects) is not a claim that it is balanced: the sentence, or the one before or
    // after it, says so, or the text gives the balanced equation of the same species.
    const around = [parts[at - 1] ?? "", sentence, parts[at + 1] ?? ""].join(" ");
    if (SKELETON_WORDS.test(around) || balancedKeys.has(speciesKey(eq))) continue;
    const check = checkBalanced(eq);
    let fix = "";
    try {
      fix = `; balanced: ${balanceEquation(eqText).equation}`;
    } catch {
      // no positive balance
    }
    const diffs = Object.entries(check.differences)
      .map(([k, [a, b]]) => `${k} ${a} vs ${b}`)
      .join(", ");
    out.push({
      kind: "equation",
      text: eqText,
      ok: false,
      detail: `"${eqText}" is not balanced (${diffs})${fix}`,
    });
  }
  return out;
}

/** Words that present an equation as not (yet) balanced. */
const SKELETON_WORDS =
  /\b(?:un|im|not\s+(?:yet\s+)?|isn't\s+|is\s+not\s+|n't\s+)balanced|\bskeleton\b|\bbefore\s+balancing|\b(?:needs?|requires?)\s+(?:to\s+be\s+)?balanc|\bto\s+balance\b|\bbalance\s+(?:it|this|the\s+equation)|\bdoes\s+not\s+balance|\bdoesn't\s+balance|\bmust\s+be\s+balanced/i;

/** Verifier: molar masses and equations stated in the text are right. Null when there are none. */
export function checkChemistryInText(text: string): CheckResult | null {
  return claimsResult(
    "chemistry",
    findChemistryClaims(text),
    (c) => c.ok,
    (c) => c.detail,
    "wrong_fact",
  );
}
