import { seededRng } from "../core/random.js";
import { jaccard } from "../core/text.js";
import type { Difficulty } from "../core/types.js";
import type { OfflineQuestion, OfflineQuestionInput } from "./types.js";

/**
 * Procedural problems for offline GRPO: arithmetic, algebra, stoichiometry, gas laws,
 * physics formulas and unit conversions. Each kind writes a problem from random
 * parameters, reads the parameters back from the problem text, and solves it: step by
 * step reasoning, the computed answer, and a Python program that recomputes it. The
 * answer is computed, never looked up, and the GRPO type checks it by running the program.
 * Problems use the vocabulary of the bundled corpus so research finds their ground truth.
 */

/** Subject areas of procedural problems. */
export type ProblemDomain = "chemistry" | "algebra" | "physics" | "statistics";

/** A solved problem. */
export interface Solution {
  /** Reasoning steps, in order. */
  steps: string[];
  /** The final answer as written (numbers with units). */
  answer: string;
  /** A Python program that recomputes the answer and prints it on its last line. */
  code: string;
}

interface ProblemKind<P> {
  id: string;
  domain: ProblemDomain;
  difficulty: Difficulty;
  make(rng: () => number): P;
  text(p: P): string;
  parse(text: string): P | null;
  solve(p: P): Solution;
}

// ---------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------

const pick = <T>(rng: () => number, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const int = (rng: () => number, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
/** A value in [lo, hi] with `d` decimals. */
const dec = (rng: () => number, lo: number, hi: number, d: number) =>
  Number((lo + rng() * (hi - lo)).toFixed(d));
const num = (s: string | undefined) => Number((s ?? "").replace(/−/g, "-"));

/** `x` to three significant figures, written without exponent. */
export function sig3(x: number): string {
  if (x === 0) return "0";
  const d = Math.min(8, Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x)))));
  return x.toFixed(d);
}

/** Numbers written in a text (accepts −, thousands separators, ×10^n and e-notation). */
export function numbersIn(text: string): Array<{ value: number; ulp: number }> {
  const out: Array<{ value: number; ulp: number }> = [];
  // "2,827.43": a thousands separator is part of the number.
  const re =
    /(?<![\w.])([-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?)(?:\s*(?:[×x*]\s*10\^|e)\s*([-−+]?\d+))?(?![\w.]*[A-Za-z]\d)/g;
  // "−$5.89": the sign of an amount of money is written before its currency symbol.
  const plain = text.replace(/([-−])\s?[$€£¥]\s?(?=\d)/g, "$1");
  for (const m of plain.matchAll(re)) {
    const exp = m[3] ? num(m[3].replace("+", "")) : 0;
    const value = num(m[1]!.replace(/,/g, "")) * 10 ** exp;
    const decimals = m[2]?.length ?? 0;
    out.push({ value, ulp: 10 ** (exp - decimals) });
  }
  return out;
}

/**
 * True when the numbers of `predicted` agree with those of `actual` (a program's
 * output): the same count, each equal to within half a unit of the last digit written in
 * the prediction. Without numbers, the texts must be equal ignoring case and spaces.
 */
export function answersAgree(predicted: string, actual: string): boolean {
  const p = numbersIn(predicted);
  const a = numbersIn(actual);
  if (p.length === 0 || a.length === 0) {
    const norm = (s: string) => s.toLowerCase().replace(/\s+/g, "");
    return p.length === 0 && a.length === 0 && norm(predicted) !== "" && norm(predicted) === norm(actual);
  }
  if (p.length !== a.length) return false;
  return p.every((x, i) => {
    const y = a[i]!.value;
    return Math.abs(x.value - y) <= x.ulp / 2 + 1e-9 * Math.max(1, Math.abs(y));
  });
}

// ---------------------------------------------------------------------------------------
// Writing steps
// ---------------------------------------------------------------------------------------
//
// Steps state arithmetic the way a reviewer can recompute it: "=" only when exact, "≈"
// when the result is rounded, "×" for products (never implicit "2(1.008)"), and
// arithmetic with negative numbers in words (a leading minus sign is easy to misread).

/** "= 5" when `shown` is exactly `x`, else "≈ 5.00". */
function eq(x: number, shown: string): string {
  return Math.abs(Number(shown) - x) <= 1e-12 * Math.max(1, Math.abs(x)) ? `= ${shown}` : `≈ ${shown}`;
}

/** Rounds like the corpus notes: 3 decimals below 10 (H2 2.016), else 2 (H2O 18.02). */
function roundMass(v: number): number {
  const f = v < 10 ? 1000 : 100;
  return Math.round((v + 1e-9) * f) / f;
}
const massText = (v: number) => v.toFixed(v < 10 ? 3 : 2);

// ---------------------------------------------------------------------------------------
// Chemistry
// ---------------------------------------------------------------------------------------

/** Standard atomic weights used by the corpus notes. */
export const ATOMIC_WEIGHTS: Record<string, number> = {
  H: 1.008,
  C: 12.011,
  N: 14.007,
  O: 15.999,
  Na: 22.99,
  S: 32.06,
  Cl: 35.45,
  Ca: 40.078,
};

/** Element counts of a simple formula (no brackets), e.g. C6H12O6. */
export function elementCounts(formula: string): Array<[string, number]> {
  return [...formula.matchAll(/([A-Z][a-z]?)(\d*)/g)].map((m) => [m[1]!, m[2] ? Number(m[2]) : 1]);
}

/** Molar mass of a simple formula from {@link ATOMIC_WEIGHTS}, rounded as the corpus does. */
export function molarMass(formula: string): number {
  return roundMass(elementCounts(formula).reduce((s, [el, n]) => s + ATOMIC_WEIGHTS[el]! * n, 0));
}

const WORDS = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
];
const countWord = (n: number) => WORDS[n] ?? String(n);

/**
 * "The molar mass of H2O adds two H at 1.008 and one O at 15.999: about 18.02 g/mol."
 * Atom counts are words: a bare multiplier reads as a claimed quantity to a fact checker.
 */
function massStep(formula: string): string {
  const parts = elementCounts(formula).map(([el, n]) => `${countWord(n)} ${el} at ${ATOMIC_WEIGHTS[el]}`);
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}` : parts[0]!;
  return `The molar mass of ${formula} adds ${list}: about ${massText(molarMass(formula))} g/mol.`;
}

/** Python lines defining `W` (atomic weights) and `mm(formula counts)` rounded like {@link molarMass}. */
const PY_MASS = [
  "def mm(counts):",
  "    v = sum(W[e] * n for e, n in counts)",
  "    return round(v + 1e-9, 3 if v < 10 else 2)",
].join("\n");
const pyWeights = (formulas: string[]) => {
  const els = [...new Set(formulas.flatMap((f) => elementCounts(f).map(([e]) => e)))];
  return `W = {${els.map((e) => `"${e}": ${ATOMIC_WEIGHTS[e]}`).join(", ")}}\n${PY_MASS}`;
};
const pyCounts = (formula: string) =>
  `[${elementCounts(formula)
    .map(([e, n]) => `("${e}", ${n})`)
    .join(", ")}]`;

const weightsNote = (formulas: string[]) => {
  const els = [...new Set(formulas.flatMap((f) => elementCounts(f).map(([e]) => e)))];
  return els.map((e) => `${e} ${ATOMIC_WEIGHTS[e]}`).join(", ");
};

const COMPOUNDS: Array<[string, string]> = [
  ["water", "H2O"],
  ["carbon dioxide", "CO2"],
  ["sodium chloride", "NaCl"],
  ["calcium carbonate", "CaCO3"],
  ["glucose", "C6H12O6"],
  ["sulfuric acid", "H2SO4"],
  ["ammonia", "NH3"],
  ["methane", "CH4"],
  ["propane", "C3H8"],
];

const moles: ProblemKind<{ name: string; formula: string; mass: number; v: 0 | 1 }> = {
  id: "moles-from-mass",
  domain: "chemistry",
  difficulty: "easy",
  make: (rng) => {
    const [name, formula] = pick(rng, COMPOUNDS);
    return { name, formula, mass: dec(rng, 5, 120, 1), v: pick(rng, [0, 1] as const) };
  },
  text: (p) =>
    p.v === 0
      ? `How many moles are in ${p.mass} g of ${p.name} (${p.formula})? Use n = m / M with the molar mass from standard atomic weights (${weightsNote([p.formula])}), rounded to two decimal places.`
      : `A sample of ${p.name}, ${p.formula}, has a mass of ${p.mass} g. What amount of substance does it contain, in mol? Find the molar mass by adding standard atomic weights (${weightsNote([p.formula])}).`,
  parse: (t) => {
    const a = /^How many moles are in ([\d.]+) g of ([a-z ]+) \(([A-Za-z0-9]+)\)\?/.exec(t);
    if (a) return { mass: num(a[1]), name: a[2]!, formula: a[3]!, v: 0 };
    const b = /^A sample of ([a-z ]+), ([A-Za-z0-9]+), has a mass of ([\d.]+) g\./.exec(t);
    return b ? { name: b[1]!, formula: b[2]!, mass: num(b[3]), v: 1 } : null;
  },
  solve: (p) => {
    const M = molarMass(p.formula);
    const n = p.mass / M;
    return {
      steps: [
        massStep(p.formula),
        `Dividing the given mass by the molar mass (n = m / M): ${p.mass} / ${massText(M)} ${eq(n, sig3(n))}, so the amount is ${sig3(n)} mol.`,
      ],
      answer: `${sig3(n)} mol`,
      code: [pyWeights([p.formula]), `M = mm(${pyCounts(p.formula)})`, `n = ${p.mass} / M`, "print(n)"].join(
        "\n",
      ),
    };
  },
};

interface Reaction {
  equation: string;
  /** Reactant and product formulas with coefficients. */
  from: [string, number];
  to: [string, number];
  toName: string;
  fromName: string;
}
const REACTIONS: Reaction[] = [
  {
    equation: "C3H8 + 5O2 → 3CO2 + 4H2O",
    from: ["C3H8", 1],
    to: ["CO2", 3],
    fromName: "propane",
    toName: "carbon dioxide",
  },
  {
    equation: "C3H8 + 5O2 → 3CO2 + 4H2O",
    from: ["C3H8", 1],
    to: ["H2O", 4],
    fromName: "propane",
    toName: "water",
  },
  {
    equation: "CH4 + 2O2 → CO2 + 2H2O",
    from: ["CH4", 1],
    to: ["H2O", 2],
    fromName: "methane",
    toName: "water",
  },
  { equation: "2H2 + O2 → 2H2O", from: ["H2", 2], to: ["H2O", 2], fromName: "hydrogen", toName: "water" },
  {
    equation: "CaCO3 → CaO + CO2",
    from: ["CaCO3", 1],
    to: ["CO2", 1],
    fromName: "calcium carbonate",
    toName: "carbon dioxide",
  },
  { equation: "N2 + 3H2 → 2NH3", from: ["H2", 3], to: ["NH3", 2], fromName: "hydrogen", toName: "ammonia" },
];

const massToMass: ProblemKind<{ r: number; mass: number }> = {
  id: "mass-to-mass",
  domain: "chemistry",
  difficulty: "medium",
  make: (rng) => ({ r: int(rng, 0, REACTIONS.length - 1), mass: dec(rng, 4, 90, 1) }),
  text: (p) => {
    const r = REACTIONS[p.r]!;
    return `Using the balanced equation ${r.equation}, what mass of ${r.toName} (${r.to[0]}) in grams forms when ${p.mass} g of ${r.fromName} (${r.from[0]}) reacts completely? Convert mass to moles, apply the mole ratio, and convert back to mass (atomic weights ${weightsNote([r.from[0], r.to[0]])}; molar masses rounded as usual).`;
  },
  parse: (t) => {
    const m =
      /^Using the balanced equation (.+?), what mass of ([a-z ]+) \(([A-Za-z0-9]+)\) in grams forms when ([\d.]+) g of ([a-z ]+) \(([A-Za-z0-9]+)\) reacts/.exec(
        t,
      );
    if (!m) return null;
    const r = REACTIONS.findIndex((x) => x.equation === m[1] && x.to[0] === m[3] && x.from[0] === m[6]);
    return r < 0 ? null : { r, mass: num(m[4]) };
  },
  solve: (p) => {
    const r = REACTIONS[p.r]!;
    const [a, ca] = r.from;
    const [b, cb] = r.to;
    const Ma = molarMass(a);
    const Mb = molarMass(b);
    const na = p.mass / Ma;
    const nb = (na * cb) / ca;
    const mb = nb * Mb;
    return {
      steps: [
        massStep(a),
        massStep(b),
        `Dividing the given mass by its molar mass gives the amount of reactant: ${p.mass} / ${massText(Ma)} ${eq(na, sig3(na))} mol.`,
        `The coefficients give ${countWord(cb)} of the product for every ${countWord(ca)} of that reactant: ${sig3(na)} × ${cb} / ${ca} ${eq(nb, sig3(nb))} mol of product.`,
        `Multiplying by the product's molar mass: ${sig3(nb)} × ${massText(Mb)} ${eq(mb, sig3(mb))}, so ${sig3(mb)} g forms.`,
      ],
      answer: `${sig3(mb)} g`,
      code: [
        pyWeights([a, b]),
        `Ma = mm(${pyCounts(a)})`,
        `Mb = mm(${pyCounts(b)})`,
        `na = ${p.mass} / Ma`,
        `nb = na * ${cb} / ${ca}`,
        "print(nb * Mb)",
      ].join("\n"),
    };
  },
};

const limiting: ProblemKind<{ h2: number; o2: number }> = {
  id: "limiting-reagent",
  domain: "chemistry",
  difficulty: "hard",
  make: (rng) => ({ h2: dec(rng, 2, 20, 1), o2: dec(rng, 10, 120, 1) }),
  text: (p) =>
    `For the reaction 2H2 + O2 → 2H2O, ${p.h2} g of H2 is mixed with ${p.o2} g of O2. Which reagent is limiting, and what is the theoretical yield of water in grams (H2 2.016 g/mol, O2 32.00 g/mol, H2O 18.02 g/mol)? Give the yield as the final answer.`,
  parse: (t) => {
    const m = /^For the reaction 2H2 \+ O2 → 2H2O, ([\d.]+) g of H2 is mixed with ([\d.]+) g of O2\./.exec(t);
    return m ? { h2: num(m[1]), o2: num(m[2]) } : null;
  },
  solve: (p) => {
    const nH = p.h2 / 2.016;
    const nO = p.o2 / 32.0;
    const limitingH = nH / 2 < nO;
    const nW = limitingH ? nH : 2 * nO;
    const mW = nW * 18.02;
    return {
      steps: [
        `Amounts from the given masses: hydrogen ${p.h2} / 2.016 ${eq(nH, sig3(nH))} mol and oxygen ${p.o2} / 32.00 ${eq(nO, sig3(nO))} mol.`,
        `Hydrogen is needed at twice the oxygen amount, ${sig3(2 * nO)} mol, and ${sig3(nH)} mol is available, so ${limitingH ? "hydrogen (H2)" : "oxygen (O2)"} runs out first and is limiting.`,
        `${limitingH ? "Each mole of hydrogen gives one mole of water" : "Each mole of oxygen gives two moles of water"}, so ${sig3(nW)} mol of water can form.`,
        `Multiplying by the molar mass of water: ${sig3(nW)} × 18.02 ${eq(mW, sig3(mW))}, a theoretical yield of ${sig3(mW)} g.`,
      ],
      answer: `${sig3(mW)} g`,
      code: [
        `nH = ${p.h2} / 2.016`,
        `nO = ${p.o2} / 32.00`,
        `print("limiting:", "H2" if nH / 2 < nO else "O2")`,
        "print(min(nH, 2 * nO) * 18.02)",
      ].join("\n"),
    };
  },
};

const molarity: ProblemKind<{ mass: number; ml: number }> = {
  id: "molarity",
  domain: "chemistry",
  difficulty: "medium",
  make: (rng) => ({ mass: dec(rng, 1, 30, 2), ml: pick(rng, [100, 250, 500, 750, 1000]) }),
  text: (p) =>
    `What is the molarity (concentration in mol/L) of a solution made by dissolving ${p.mass} g of NaCl in enough water to make ${p.ml} mL of solution? Use c = n / V and the molar mass of NaCl (Na 22.99, Cl 35.45).`,
  parse: (t) => {
    const m = /dissolving ([\d.]+) g of NaCl in enough water to make ([\d.]+) mL of solution/.exec(t);
    return m ? { mass: num(m[1]), ml: num(m[2]) } : null;
  },
  solve: (p) => {
    const M = 58.44;
    const n = p.mass / M;
    const v = p.ml / 1000;
    const c = n / v;
    return {
      steps: [
        "Molar mass of NaCl: 22.99 + 35.45 = 58.44 g/mol.",
        `Dividing the mass by the molar mass: ${p.mass} / 58.44 ${eq(n, sig3(n))} mol of solute.`,
        `Volume in litres: ${p.ml} mL is ${v} L, so c = n / V, and ${sig3(n)} / ${v} ${eq(c, sig3(c))}, a concentration of ${sig3(c)} mol/L.`,
      ],
      answer: `${sig3(c)} M`,
      code: [`n = ${p.mass} / (22.99 + 35.45)`, `print(n / (${p.ml} / 1000))`].join("\n"),
    };
  },
};

const idealGas: ProblemKind<{ v: number; t: number; p: number }> = {
  id: "ideal-gas-moles",
  domain: "chemistry",
  difficulty: "medium",
  make: (rng) => ({ v: dec(rng, 1, 50, 1), t: dec(rng, 0, 80, 1), p: dec(rng, 0.5, 3, 2) }),
  text: (p) =>
    `How many moles of an ideal gas occupy ${p.v} L at ${p.t} °C and ${p.p} atm? Use the ideal gas law PV = nRT with R = 0.08206 L atm mol−1 K−1 and the temperature in kelvin.`,
  parse: (t) => {
    const m = /^How many moles of an ideal gas occupy ([\d.]+) L at ([\d.]+) °C and ([\d.]+) atm\?/.exec(t);
    return m ? { v: num(m[1]), t: num(m[2]), p: num(m[3]) } : null;
  },
  solve: (p) => {
    const T = Number((p.t + 273.15).toFixed(2));
    const n = (p.p * p.v) / (0.08206 * T);
    return {
      steps: [
        `Temperature in kelvin: ${p.t} + 273.15 = ${T.toFixed(2)} K.`,
        `Rearranging PV = nRT gives n = PV / RT.`,
        `(${p.p} × ${p.v}) / (0.08206 × ${T.toFixed(2)}) ${eq(n, sig3(n))}, so n is ${sig3(n)} mol.`,
      ],
      answer: `${sig3(n)} mol`,
      code: [`T = ${p.t} + 273.15`, `print(${p.p} * ${p.v} / (0.08206 * T))`].join("\n"),
    };
  },
};

// ---------------------------------------------------------------------------------------
// Algebra
// ---------------------------------------------------------------------------------------

const signed = (k: number) => (k < 0 ? `− ${-k}` : `+ ${k}`);

const linear: ProblemKind<{ a: number; b: number; c: number }> = {
  id: "linear-equation",
  domain: "algebra",
  difficulty: "easy",
  make: (rng) => {
    const a = pick(rng, [2, 3, 4, 5, 6, 7, 8, 9, -2, -3, -4, -5]);
    const x = int(rng, -12, 15);
    const b = int(rng, -30, 30) || 7;
    return { a, b, c: a * x + b };
  },
  text: (p) =>
    `Solve the linear equation ${p.a}x ${signed(p.b)} = ${p.c} for x, using inverse operations on both sides.`,
  parse: (t) => {
    const m = /^Solve the linear equation (-?\d+)x ([+−]) (\d+) = (-?\d+) for x/.exec(t);
    return m ? { a: num(m[1]), b: (m[2] === "−" ? -1 : 1) * num(m[3]), c: num(m[4]) } : null;
  },
  solve: (p) => {
    const x = (p.c - p.b) / p.a;
    return {
      steps: [
        `${p.b < 0 ? `Adding ${-p.b} to` : `Subtracting ${p.b} from`} both sides leaves ${p.a}x on the left and ${p.c - p.b} on the right.`,
        `Dividing both sides by ${p.a} gives x = ${x}.`,
        `Check: substituting x = ${x} into the left side gives ${p.a * x + p.b}, which matches the right side.`,
      ],
      answer: `x = ${x}`,
      code: [
        `a, b, c = ${p.a}, ${p.b}, ${p.c}`,
        "x = (c - b) / a",
        "assert a * x + b == c",
        'print(f"x = {x:g}")',
      ].join("\n"),
    };
  },
};

const quadratic: ProblemKind<{ b: number; c: number }> = {
  id: "quadratic-roots",
  domain: "algebra",
  difficulty: "medium",
  make: (rng) => {
    let r1 = int(rng, -9, 9);
    let r2 = int(rng, -9, 9);
    if (r1 === r2) r2 = r1 + int(rng, 1, 5);
    if (r1 > r2) [r1, r2] = [r2, r1];
    return { b: -(r1 + r2), c: r1 * r2 };
  },
  text: (p) =>
    `Find both roots of the quadratic equation x^2 ${signed(p.b)}x ${signed(p.c)} = 0 using the quadratic formula x = (−b ± √(b² − 4ac)) / 2a. Give the smaller root first.`,
  parse: (t) => {
    const m = /quadratic equation x\^2 ([+−]) (\d+)x ([+−]) (\d+) = 0/.exec(t);
    return m ? { b: (m[1] === "−" ? -1 : 1) * num(m[2]), c: (m[3] === "−" ? -1 : 1) * num(m[4]) } : null;
  },
  solve: (p) => {
    const disc = p.b * p.b - 4 * p.c;
    const root = Math.sqrt(disc);
    const r1 = (-p.b - root) / 2;
    const r2 = (-p.b + root) / 2;
    return {
      steps: [
        `The coefficients are a = 1, b = ${p.b} and c = ${p.c}.`,
        `The discriminant b² − 4ac is ${disc}, and its square root is ${root}.`,
        `Taking −b minus and plus ${root}, and halving, gives the roots x = ${r1} and x = ${r2}.`,
      ],
      answer: `x = ${r1}, x = ${r2}`,
      code: [
        "import math",
        `b, c = ${p.b}, ${p.c}`,
        "d = math.sqrt(b * b - 4 * c)",
        'print(f"x = {(-b - d) / 2:g}, x = {(-b + d) / 2:g}")',
      ].join("\n"),
    };
  },
};

const system2: ProblemKind<{ a1: number; b1: number; c1: number; a2: number; b2: number; c2: number }> = {
  id: "linear-system",
  domain: "algebra",
  difficulty: "hard",
  make: (rng) => {
    const x = int(rng, -6, 9);
    const y = int(rng, -6, 9);
    for (;;) {
      const a1 = int(rng, 2, 6);
      const b1 = pick(rng, [-5, -4, -3, -2, 2, 3, 4, 5, 6]);
      const a2 = int(rng, 2, 7);
      const b2 = pick(rng, [-6, -5, -4, -3, -2, 2, 3, 4, 5]);
      if (a1 * b2 - a2 * b1 !== 0) return { a1, b1, c1: a1 * x + b1 * y, a2, b2, c2: a2 * x + b2 * y };
    }
  },
  text: (p) =>
    `Solve the system of linear equations ${p.a1}x ${signed(p.b1)}y = ${p.c1} and ${p.a2}x ${signed(p.b2)}y = ${p.c2} by elimination or Cramer's rule. Give x and y.`,
  parse: (t) => {
    const m =
      /system of linear equations (\d+)x ([+−]) (\d+)y = (-?\d+) and (\d+)x ([+−]) (\d+)y = (-?\d+)/.exec(t);
    if (!m) return null;
    const s = (x: string | undefined) => (x === "−" ? -1 : 1);
    return {
      a1: num(m[1]),
      b1: s(m[2]) * num(m[3]),
      c1: num(m[4]),
      a2: num(m[5]),
      b2: s(m[6]) * num(m[7]),
      c2: num(m[8]),
    };
  },
  solve: (p) => {
    const D = p.a1 * p.b2 - p.a2 * p.b1;
    const Dx = p.c1 * p.b2 - p.c2 * p.b1;
    const Dy = p.a1 * p.c2 - p.a2 * p.c1;
    const x = Dx / D;
    const y = Dy / D;
    return {
      steps: [
        `Cramer's rule: the determinant D = a1b2 − a2b1 is ${D}, which is not zero, so there is exactly one solution.`,
        `The numerator for x, c1b2 − c2b1, is ${Dx}, so x is ${Dx} divided by ${D}, which is ${x}.`,
        `The numerator for y, a1c2 − a2c1, is ${Dy}, so y is ${Dy} divided by ${D}, which is ${y}.`,
        `Check: substituting x = ${x} and y = ${y} gives ${p.a1 * x + p.b1 * y} and ${p.a2 * x + p.b2 * y}, matching both equations.`,
      ],
      answer: `x = ${x}, y = ${y}`,
      code: [
        `a1, b1, c1 = ${p.a1}, ${p.b1}, ${p.c1}`,
        `a2, b2, c2 = ${p.a2}, ${p.b2}, ${p.c2}`,
        "D = a1 * b2 - a2 * b1",
        "x = (c1 * b2 - c2 * b1) / D",
        "y = (a1 * c2 - a2 * c1) / D",
        'print(f"x = {x:g}, y = {y:g}")',
      ].join("\n"),
    };
  },
};

// ---------------------------------------------------------------------------------------
// Physics and unit conversion
// ---------------------------------------------------------------------------------------

const force: ProblemKind<{ m: number; a: number }> = {
  id: "newton-second-law",
  domain: "physics",
  difficulty: "easy",
  make: (rng) => ({ m: dec(rng, 0.5, 1500, 1), a: dec(rng, 0.2, 9.8, 2) }),
  text: (p) =>
    `What net force, in newtons, gives a ${p.m} kg object an acceleration of ${p.a} m/s²? Use Newton's second law, F = ma.`,
  parse: (t) => {
    const m = /gives a ([\d.]+) kg object an acceleration of ([\d.]+) m\/s²/.exec(t);
    return m ? { m: num(m[1]), a: num(m[2]) } : null;
  },
  solve: (p) => {
    const f = p.m * p.a;
    return {
      steps: [
        "Newton's second law gives the net force as mass times acceleration, F = ma.",
        `F = ${p.m} × ${p.a} ${eq(f, sig3(f))} N.`,
      ],
      answer: `${sig3(f)} N`,
      code: `print(${p.m} * ${p.a})`,
    };
  },
};

const kinetic: ProblemKind<{ m: number; v: number }> = {
  id: "kinetic-energy",
  domain: "physics",
  difficulty: "easy",
  make: (rng) => ({ m: dec(rng, 0.1, 2000, 1), v: dec(rng, 0.5, 40, 1) }),
  text: (p) =>
    `What is the kinetic energy, in joules, of a ${p.m} kg object moving at ${p.v} m/s? Use KE = ½mv².`,
  parse: (t) => {
    const m = /kinetic energy, in joules, of a ([\d.]+) kg object moving at ([\d.]+) m\/s/.exec(t);
    return m ? { m: num(m[1]), v: num(m[2]) } : null;
  },
  solve: (p) => {
    const ke = 0.5 * p.m * p.v * p.v;
    return {
      steps: [
        "Kinetic energy is half the mass times the speed squared.",
        `KE = 0.5 × ${p.m} × ${p.v} × ${p.v} ${eq(ke, sig3(ke))} J.`,
      ],
      answer: `${sig3(ke)} J`,
      code: `print(0.5 * ${p.m} * ${p.v} ** 2)`,
    };
  },
};

const ohm: ProblemKind<{ v: number; r: number }> = {
  id: "ohms-law",
  domain: "physics",
  difficulty: "easy",
  make: (rng) => ({ v: dec(rng, 1.5, 240, 1), r: pick(rng, [4.7, 10, 22, 47, 100, 220, 330, 470, 1000]) }),
  text: (p) =>
    `What current, in amperes, flows through a ${p.r} Ω resistor with ${p.v} V across it? Use Ohm's law, V = IR.`,
  parse: (t) => {
    const m = /flows through a ([\d.]+) Ω resistor with ([\d.]+) V across it/.exec(t);
    return m ? { r: num(m[1]), v: num(m[2]) } : null;
  },
  solve: (p) => {
    const i = p.v / p.r;
    return {
      steps: ["Ohm's law rearranged for the current: I = V / R.", `I = ${p.v} / ${p.r} ${eq(i, sig3(i))} A.`],
      answer: `${sig3(i)} A`,
      code: `print(${p.v} / ${p.r})`,
    };
  },
};

const celsius: ProblemKind<{ c: number; to: "K" | "F" }> = {
  id: "temperature-conversion",
  domain: "physics",
  difficulty: "easy",
  make: (rng) => ({ c: dec(rng, -40, 120, 1), to: pick(rng, ["K", "F"] as const) }),
  text: (p) =>
    p.to === "K"
      ? `Convert a temperature of ${p.c} °C to kelvin, as the gas laws require (T(K) = T(°C) + 273.15).`
      : `Convert a temperature of ${p.c} °C to degrees Fahrenheit using the linear relationship F = (9/5)C + 32.`,
  parse: (t) => {
    const m = /^Convert a temperature of (-?[\d.]+) °C to (kelvin|degrees Fahrenheit)/.exec(t);
    return m ? { c: num(m[1]), to: m[2] === "kelvin" ? "K" : "F" } : null;
  },
  solve: (p) => {
    const v = p.to === "K" ? p.c + 273.15 : (9 / 5) * p.c + 32;
    return {
      steps:
        p.to === "K"
          ? [
              "The kelvin scale starts at absolute zero: add 273.15 to the Celsius temperature.",
              `Adding 273.15 to ${p.c} °C gives ${v.toFixed(2)} K.`,
            ]
          : [
              `Multiplying ${p.c} °C by 9/5 gives ${(p.c * 1.8).toFixed(2)}.`,
              `Adding 32 gives ${v.toFixed(2)} °F.`,
            ],
      answer: p.to === "K" ? `${v.toFixed(2)} K` : `${v.toFixed(2)} °F`,
      code: p.to === "K" ? `print(${p.c} + 273.15)` : `print(9 / 5 * ${p.c} + 32)`,
    };
  },
};

// ---------------------------------------------------------------------------------------
// Statistics and arithmetic
// ---------------------------------------------------------------------------------------

const mean: ProblemKind<{ xs: number[] }> = {
  id: "mean-and-median",
  domain: "statistics",
  difficulty: "easy",
  make: (rng) => ({ xs: Array.from({ length: int(rng, 5, 9) }, () => int(rng, 1, 99)) }),
  text: (p) => `Find the mean and the median of the data set ${p.xs.join(", ")}. Give the mean first.`,
  parse: (t) => {
    const m = /^Find the mean and the median of the data set ([\d, ]+)\./.exec(t);
    return m ? { xs: m[1]!.split(/,\s*/).map(num) } : null;
  },
  solve: (p) => {
    const sum = p.xs.reduce((a, b) => a + b, 0);
    const mu = sum / p.xs.length;
    const s = [...p.xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    const med = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
    return {
      steps: [
        `The sum is ${p.xs.join(" + ")} = ${sum}.`,
        `There are ${p.xs.length} values, so the mean is ${sum} / ${p.xs.length} ${eq(mu, sig3(mu))}.`,
        `Sorted, the values are ${s.join(", ")}; the median is ${s.length % 2 ? `the middle value, ${med}` : `the mean of the two middle values, ${med}`}.`,
      ],
      answer: `${sig3(mu)}, ${med}`,
      code: [
        "import statistics",
        `xs = [${p.xs.join(", ")}]`,
        'print(f"{statistics.mean(xs)}, {statistics.median(xs)}")',
      ].join("\n"),
    };
  },
};

const binomial: ProblemKind<{ n: number; k: number; p: number }> = {
  id: "binomial-probability",
  domain: "statistics",
  difficulty: "hard",
  make: (rng) => {
    const n = int(rng, 4, 12);
    return { n, k: int(rng, 1, n - 1), p: pick(rng, [0.5, 0.2, 0.25, 0.3, 0.4, 0.6, 0.1]) };
  },
  text: (p) =>
    `In ${p.n} independent trials, each with success probability ${p.p}, what is the probability of exactly ${p.k} successes? Use the binomial distribution P(X = k) = nCk × p^k × (1 − p)^(n − k).`,
  parse: (t) => {
    const m =
      /^In (\d+) independent trials, each with success probability ([\d.]+), what is the probability of exactly (\d+) successes\?/.exec(
        t,
      );
    return m ? { n: num(m[1]), p: num(m[2]), k: num(m[3]) } : null;
  },
  solve: (p) => {
    let c = 1;
    for (let i = 1; i <= p.k; i++) c = (c * (p.n - p.k + i)) / i;
    c = Math.round(c);
    const q = Number((1 - p.p).toFixed(2));
    const prob = c * p.p ** p.k * q ** (p.n - p.k);
    return {
      steps: [
        `The number of ways to place ${p.k} successes among ${p.n} trials is ${p.n}C${p.k}, which is ${c}.`,
        `Each such outcome has probability ${p.p}^${p.k} × ${q}^${p.n - p.k}.`,
        `P(X = ${p.k}) is therefore ${c} × ${p.p}^${p.k} × ${q}^${p.n - p.k} ${eq(prob, sig3(prob))}.`,
      ],
      answer: sig3(prob),
      code: [
        "from math import comb",
        `n, k, p = ${p.n}, ${p.k}, ${p.p}`,
        "print(comb(n, k) * p ** k * (1 - p) ** (n - k))",
      ].join("\n"),
    };
  },
};

/** Every procedural problem kind. */
// biome-ignore lint/suspicious/noExplicitAny: kinds have different parameter types.
export const PROBLEM_KINDS: ProblemKind<any>[] = [
  moles,
  massToMass,
  molarity,
  idealGas,
  limiting,
  linear,
  quadratic,
  system2,
  force,
  kinetic,
  ohm,
  celsius,
  mean,
  binomial,
];

const DOMAIN_WORDS: Record<ProblemDomain, RegExp> = {
  chemistry: /chem|stoich|mole|reaction|gas|solution|acid|molar|compound|yield/i,
  algebra: /algebra|equation|math|linear|quadratic|polynom|function/i,
  physics: /physic|force|newton|energy|motion|circuit|electric|mechanic|unit|temperature/i,
  statistics: /statist|probab|data|mean|distribution/i,
};

/** The domains a topic is about (all of them when the topic names none). */
export function domainsFor(text: string): ProblemDomain[] {
  const hit = (Object.keys(DOMAIN_WORDS) as ProblemDomain[]).filter((d) => DOMAIN_WORDS[d].test(text));
  return hit.length ? hit : ["chemistry", "algebra", "physics", "statistics"];
}

/** Solves a procedural problem from its text, or null when the text is not one. */
export function solveProblem(text: string): (Solution & { kind: string }) | null {
  for (const k of PROBLEM_KINDS) {
    const p = k.parse(text);
    if (p) return { ...k.solve(p), kind: k.id };
  }
  return null;
}

/** A stable 32-bit hash of a string (FNV-1a). */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Writes procedural problems for a sub-topic: kinds chosen by the sub-topic's domain
 * (falling back to the topic's), at the requested difficulties, none a near duplicate of
 * `avoid` or of each other. Deterministic for the same input.
 */
export function writeProblems(input: OfflineQuestionInput): OfflineQuestion[] {
  const sub = domainsFor(`${input.subTopic} ${input.focus}`);
  const domains = sub.length < 4 ? sub : domainsFor(input.topic);
  const kinds = PROBLEM_KINDS.filter((k) => domains.includes(k.domain));
  const rng = seededRng(
    hash32(`${input.topic}|${input.subTopic}|${input.avoid.length}|${input.avoid.at(-1) ?? ""}`),
  );
  const out: OfflineQuestion[] = [];
  const seen = [...input.avoid];
  const order: Difficulty[] = ["easy", "medium", "hard"];
  for (const difficulty of order) {
    for (let i = 0; i < input.counts[difficulty]; i++) {
      // Kinds of this difficulty first, then any kind of the domain, then any kind at all.
      const same = kinds.filter((k) => k.difficulty === difficulty);
      const pools = [same, kinds, PROBLEM_KINDS].filter((p) => p.length > 0);
      let done = false;
      for (const pool of pools) {
        for (let tries = 0; tries < 24 && !done; tries++) {
          const kind = pool[(i + tries) % pool.length]!;
          const text = kind.text(kind.make(rng));
          if (seen.some((s) => jaccard(s, text) >= 0.8)) continue;
          out.push({ text, difficulty });
          seen.push(text);
          done = true;
        }
        if (done) break;
      }
    }
  }
  return out;
}
