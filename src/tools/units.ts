import type { Unit } from "mathjs";
import type { CheckResult } from "./check.js";
import { claimsResult } from "./check.js";
import { mathjs, sameDimension } from "./maths.js";

/**
 * Units as people write them ("5 miles", "3 ft", "20 °C", "60 km/h", "1.2 metres"), read
 * into mathjs units, and the unit conversions stated in prose ("5 miles ≈ 8.05 km",
 * "3 ft (0.91 m)") checked by converting.
 */

/** Written unit words (case-insensitive) and the mathjs unit each stands for. */
const WORD_UNITS: Array<[string, string]> = [
  ["kilograms?", "kg"],
  ["grams?", "g"],
  ["milligrams?", "mg"],
  ["micrograms?", "ug"],
  ["tonnes?", "tonne"],
  ["kilomet(?:re|er)s?", "km"],
  ["centimet(?:re|er)s?", "cm"],
  ["millimet(?:re|er)s?", "mm"],
  ["micromet(?:re|er)s?", "um"],
  ["nanomet(?:re|er)s?", "nm"],
  ["met(?:re|er)s?", "m"],
  ["miles?", "mile"],
  ["feet", "ft"],
  ["foot", "ft"],
  ["inch(?:es)?", "inch"],
  ["yards?", "yd"],
  ["ounces?", "oz"],
  ["gallons?", "gallon"],
  ["millilit(?:re|er)s?", "mL"],
  ["lit(?:re|er)s?", "L"],
  ["milliseconds?", "ms"],
  ["seconds?", "s"],
  ["minutes?", "min"],
  ["hours?", "h"],
  ["days?", "day"],
  ["weeks?", "week"],
  ["kilojoules?", "kJ"],
  ["joules?", "J"],
  ["kilocalories?", "kcal"],
  ["calories?", "cal"],
  ["kilowatt[- ]hours?", "kWh"],
  ["kilowatts?", "kW"],
  ["watts?", "W"],
  ["newtons?", "N"],
  ["kilopascals?", "kPa"],
  ["pascals?", "Pa"],
  ["atmospheres?", "atm"],
  ["kelvins?", "K"],
  ["degrees? (?:Celsius|centigrade|C)", "degC"],
  ["degrees? (?:Fahrenheit|F)", "degF"],
  ["hectares?", "hectare"],
  ["acres?", "acre"],
  ["light[- ]years?", "lightyear"],
  ["astronomical units?", "au"],
  ["knots?", "knot"],
  ["volts?", "V"],
  ["amperes?|amps?", "A"],
  ["hertz", "Hz"],
  ["coulombs?", "C"],
  ["moles?", "mol"],
  ["tablespoons?", "tablespoon"],
  ["teaspoons?", "teaspoon"],
  ["cups?", "cup"],
  ["fluid ounces?", "fluidounce"],
  ["pints?", "pint"],
  ["quarts?", "quart"],
  ["kilobits?", "kb"],
  ["megabits?", "Mb"],
  ["gigabits?", "Gb"],
  ["bits?", "b"],
  ["kilobytes?", "kB"],
  ["megabytes?", "MB"],
  ["gigabytes?", "GB"],
  ["terabytes?", "TB"],
  ["bytes?", "B"],
];

/** Unit symbols (case-sensitive) and their mathjs form. */
const SYMBOL_UNITS: Array<[string, string]> = [
  ["kbps", "kb/s"],
  ["Mbps", "Mb/s"],
  ["Gbps", "Gb/s"],
  ["kbit", "kb"],
  ["Mbit", "Mb"],
  ["Gbit", "Gb"],
  ["kB/s", "kB/s"],
  ["MB/s", "MB/s"],
  ["GB/s", "GB/s"],
  ["KiB", "KiB"],
  ["MiB", "MiB"],
  ["GiB", "GiB"],
  ["TiB", "TiB"],
  ["kB", "kB"],
  ["MB", "MB"],
  ["GB", "GB"],
  ["TB", "TB"],
  ["tbsp", "tablespoon"],
  ["tsp", "teaspoon"],
  ["fl\\.? ?oz", "fluidounce"],
  ["km/h", "km/h"],
  ["kph", "km/h"],
  ["mph", "mi/h"],
  ["m/s²", "m/s^2"],
  ["m/s\\^2", "m/s^2"],
  ["m/s", "m/s"],
  ["km/s", "km/s"],
  ["g/mol", "g/mol"],
  ["kJ/mol", "kJ/mol"],
  ["J/mol", "J/mol"],
  ["g/cm³", "g/cm^3"],
  ["g/mL", "g/mL"],
  ["kg/m³", "kg/m^3"],
  ["°C", "degC"],
  ["℃", "degC"],
  ["°F", "degF"],
  ["℉", "degF"],
  ["kWh", "kWh"],
  ["mmHg", "mmHg"],
  ["kcal", "kcal"],
  ["cal", "cal"],
  ["kg", "kg"],
  ["mg", "mg"],
  ["µg", "ug"],
  ["μg", "ug"],
  ["mcg", "ug"],
  ["g", "g"],
  ["mmol", "mmol"],
  ["mol", "mol"],
  ["mL", "mL"],
  ["ml", "mL"],
  ["L", "L"],
  ["kJ", "kJ"],
  ["MJ", "MJ"],
  ["GJ", "GJ"],
  ["mJ", "mJ"],
  ["J", "J"],
  ["eV", "eV"],
  ["keV", "keV"],
  ["MeV", "MeV"],
  ["kW", "kW"],
  ["MW", "MW"],
  ["GW", "GW"],
  ["mW", "mW"],
  ["W", "W"],
  ["kPa", "kPa"],
  ["MPa", "MPa"],
  ["hPa", "hPa"],
  ["Pa", "Pa"],
  ["atm", "atm"],
  ["bar", "bar"],
  ["mbar", "mbar"],
  ["GPa", "GPa"],
  ["Wh", "Wh"],
  ["MWh", "MWh"],
  ["psi", "psi"],
  ["K", "K"],
  ["km²", "km^2"],
  ["km", "km"],
  ["cm²", "cm^2"],
  ["cm³", "cm^3"],
  ["cm", "cm"],
  ["mm", "mm"],
  ["µm", "um"],
  ["μm", "um"],
  ["nm", "nm"],
  ["m²", "m^2"],
  ["m³", "m^3"],
  ["m", "m"],
  ["ft²", "ft^2"],
  ["ft", "ft"],
  ["mi", "mi"],
  ["yd", "yd"],
  ["lbs?", "lb"],
  ["oz", "oz"],
  ["gal", "gallon"],
  ["ms", "ms"],
  ["s", "s"],
  ["min", "min"],
  ["hrs?", "h"],
  ["h", "h"],
  ["kHz", "kHz"],
  ["MHz", "MHz"],
  ["GHz", "GHz"],
  ["Hz", "Hz"],
  ["kN", "kN"],
  ["N", "N"],
  ["mV", "mV"],
  ["kV", "kV"],
  ["V", "V"],
  ["mA", "mA"],
  ["A", "A"],
  ["M", "M"],
];

let unitsReady = false;
function ensureUnits(): void {
  if (unitsReady) return;
  const m = mathjs();
  const add = (name: string, def: string) => {
    try {
      m.unit(`1 ${name}`);
    } catch {
      m.createUnit(name, def, { override: true });
    }
  };
  add("tonne", "1000 kg");
  add("hectare", "10000 m^2");
  add("lightyear", "9.4607304725808e15 m");
  add("au", "149597870700 m");
  add("knot", "1852 m/h");
  for (const variants of Object.values(UNIT_VARIANTS)) for (const [name, def] of variants) add(name, def);
  unitsReady = true;
}

/**
 * Units defined differently by country, and their other definitions: a conversion holds
 * when it holds for any of them (a metric cup is 250 mL, a US cup 237 mL; an imperial pint
 * 568 mL). mathjs' own definition comes first.
 */
const UNIT_VARIANTS: Record<string, Array<[string, string]>> = {
  cup: [["cupmetric", "250 mL"]],
  tablespoon: [
    ["tablespoonus", "14.7868 mL"],
    ["tablespoonau", "20 mL"],
  ],
  teaspoon: [["teaspoonus", "4.92892 mL"]],
  fluidounce: [["fluidounceimp", "28.4131 mL"]],
  pint: [["pintimp", "568.261 mL"]],
  quart: [["quartimp", "1136.52 mL"]],
  gallon: [["gallonimp", "4546.09 mL"]],
};

/** Decimal and binary byte units that people use for each other (Windows counts "GB" in GiB). */
const BYTE_PREFIX_PAIRS: Array<[string, string]> = [
  ["kB", "KiB"],
  ["MB", "MiB"],
  ["GB", "GiB"],
  ["TB", "TiB"],
];

/** A unit and its other definitions ({@link UNIT_VARIANTS}, {@link BYTE_PREFIX_PAIRS}). */
function variantsOf(unit: string): string[] {
  const pair = BYTE_PREFIX_PAIRS.find((p) => p.includes(unit));
  return [
    unit,
    ...(UNIT_VARIANTS[unit] ?? []).map(([name]) => name),
    ...(pair ? pair.filter((u) => u !== unit) : []),
  ];
}

// `(?i:...)` (inline modifiers) is not in Node 20's RegExp: build the case-insensitive words by hand.
function caseless(src: string): string {
  return src.replace(/[A-Za-z]/g, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`);
}
// Bracket classes like [- ] and escapes stay as they are; only bare letters are expanded.
function caselessPattern(src: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === "\\") {
      out += c + (src[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    out += !inClass && /[A-Za-z]/.test(c) ? caseless(c) : c;
  }
  return out;
}

const WORDS_RE = WORD_UNITS.map(([w, u]) => [new RegExp(`^(?:${caselessPattern(w)})$`, "u"), u] as const);
const SYMBOLS_RE = SYMBOL_UNITS.map(([s, u]) => [new RegExp(`^(?:${s})$`, "u"), u] as const);

/** The regex source of one written unit (words in any case, symbols in their case). */
export const UNIT = String.raw`(?:${[...WORD_UNITS.map(([w]) => caselessPattern(w)), ...SYMBOL_UNITS.map(([s]) => s)].join("|")})(?![\p{L}\d_])`;

/** The mathjs unit for a written unit ("metres" → m, "°C" → degC), or null. */
export function mathUnit(written: string): string | null {
  ensureUnits();
  const w = written.trim().replace(/\s+/g, " ");
  for (const [re, u] of SYMBOLS_RE) if (re.test(w)) return u;
  for (const [re, u] of WORDS_RE) if (re.test(w)) return u;
  const per = /^(.+?)\s*(?:\/|\bper\b)\s*(.+)$/.exec(w);
  if (per) {
    const a = mathUnit(per[1]!);
    const b = mathUnit(per[2]!);
    if (a && b) return `${a}/${b}`;
  }
  const power = /^(cubic|square)\s+(.+)$/i.exec(w);
  if (power) {
    const u = mathUnit(power[2]!);
    return u && /^[A-Za-z]+$/.test(u) ? `${u}^${power[1]!.toLowerCase() === "cubic" ? 3 : 2}` : null;
  }
  return null;
}

/** True for temperature units (offset scales: compare in degrees, not relatively). */
function isTemperature(u: string): boolean {
  return u === "degC" || u === "degF" || u === "K";
}

/** A unit conversion stated in prose, and whether it holds. */
export interface ConversionClaim {
  text: string;
  from: { value: number; unit: string };
  to: { value: number; unit: string };
  /** The source value converted into the stated unit. */
  converted: number;
  approximate: boolean;
  holds: boolean;
}

const NUM = String.raw`[-−]?\d+(?:,\d{3})*(?:\.\d+)?`;
const SCI = String.raw`(?:\s*(?:×|x|\*)\s*10\s*\^?\s*\(?[-−]?\d+\)?)?`;
const APPROX_WORD = String.raw`(?:about|approximately|approx\.?|roughly|around|nearly|almost|some|~|≈|≃)`;
const CONVERSION_RE = new RegExp(
  String.raw`(?<![\w.,^/×*+\-−])(${NUM})\s*(${UNIT})\s*(?:(=|≈|≃|~|∼|\\approx|\bis\s+(?:equal\s+to|the\s+same\s+as)|\bequals|\bis|\bor|,\s*(?:or|which\s+is|that\s+is|i\.e\.)|\()\s*(${APPROX_WORD}\s*)?)(${NUM}${SCI})\s*(${UNIT})(?!\s*[-+*/×÷^]\s*\d)`,
  "gu",
);

const RANGE_CONVERSION_RE = new RegExp(
  String.raw`(?<![\w.,^/×*+\-−])(${NUM})\s*[–-]\s*(${NUM})\s*(${UNIT})\s*(?:(=|≈|\bis|\bor|,\s*(?:or|which\s+is|that\s+is|i\.e\.)|\()\s*(${APPROX_WORD}\s*)?)(${NUM})\s*[–-]\s*(${NUM})\s*(${UNIT})`,
  "gu",
);

/** A unit defined in words: "One tablespoon is 15 ml", "a knot is about 1.852 km/h". */
const DEFINITION_RE = new RegExp(
  String.raw`(?<![\p{L}\d])(?:[Oo]ne|[Aa]n?)\s+(${UNIT})\s+(?:is|equals|=|holds)\s+(${APPROX_WORD}\s*)?(${NUM})\s*(${UNIT})(?!\s*[-+*/×÷^]\s*\d)`,
  "gu",
);

/** Half a unit of the last written digit; with `approx`, trailing zeros of a whole number count as rounding. */
export function writtenResolution(literal: string, approx: boolean): number {
  const t = literal.replace(/[−]/g, "-").replace(/,/g, "").trim();
  const m = /^[-+]?(\d*)(?:\.(\d+))?(?:\s*(?:×|x|\*)\s*10\s*\^?\s*\(?([-+]?\d+)\)?|[eE]([-+]?\d+))?$/.exec(t);
  if (!m) return 0;
  const exp = Number(m[3] ?? m[4] ?? 0);
  if (m[2]) return 0.5 * 10 ** (exp - m[2].length);
  // "about 300,000": the zeros of a whole number of four or more digits may be rounding.
  const digits = m[1]?.length ?? 1;
  const zeros = approx && digits >= 4 ? (/0+$/.exec(m[1] ?? "")?.[0].length ?? 0) : 0;
  return 0.5 * 10 ** (exp + Math.min(zeros, digits - 1));
}

/** A number as written (thousands separators, U+2212 minus, "× 10^n", "7.97e14"). */
export function writtenNumber(literal: string): number {
  const t = literal.replace(/[−]/g, "-").replace(/,/g, "").trim();
  const m = /^([-+]?\d*(?:\.\d+)?)(?:\s*(?:×|x|\*)\s*10\s*\^?\s*\(?([-+]?\d+)\)?|[eE]([-+]?\d+))?$/.exec(t);
  if (!m) return Number.NaN;
  return Number(m[1]) * 10 ** Number(m[2] ?? m[3] ?? 0);
}

/**
 * Unit conversions stated in the text ("5 miles ≈ 8.05 km", "3 ft = 0.9 m", "100 °F (37.8 °C)")
 * recomputed with mathjs. A conversion holds when the converted value matches the stated one
 * to its written precision, or within 1.5 % (conversions are usually rounded); temperatures
 * within a degree (two when approximate).
 */
export function findConversions(text: string): ConversionClaim[] {
  ensureUnits();
  const out: ConversionClaim[] = [];
  // Markdown emphasis around a result ("6 kWh = **21.6 kJ**") is not part of it.
  const flat = text.replace(/(\d)\s*\^\s*2\b/g, "$1²").replace(/\*\*|__/g, "");
  for (const m of flat.matchAll(CONVERSION_RE)) {
    // "15 mg/kg × 22 kg = 330 mg": the first amount ends a calculation, it is not converted.
    // A result restated in another unit ("= 5,000 mg, which is 50 g", "= 5,000 mg (5 g)") is.
    const before = flat.slice(Math.max(0, m.index - 3), m.index);
    const restated = /^(?:,|\()/.test((m[3] ?? "").trim());
    // A result after "=" restated with "=" too ("= 0.012 m = 12 cm") is converted, except a
    // temperature, which may be a difference ("ΔT = 40 °C = 40 K").
    if (
      /[-+*/×÷·^]\s*$/.test(before) ||
      (!restated && /[=≈]\s*$/.test(before) && isTemperature(mathUnit(m[2]!) ?? ""))
    )
      continue;
    // "3 h 30 min = 12,600 s", "5 ft 10 in": the amount is the last part of a compound one,
    // which the conversion does not read whole.
    const lead = /(\d[\d.,]*)\s*(\p{L}+)\s*$/u.exec(flat.slice(Math.max(0, m.index - 24), m.index));
    if (lead && sameDimension(mathUnit(lead[2]!), mathUnit(m[2]!))) continue;
    const claim = conversionClaim(m[0], m[1]!, m[2]!, (m[3] ?? "").trim(), Boolean(m[4]), m[5]!, m[6]!);
    if (claim) out.push(claim);
  }
  for (const m of flat.matchAll(DEFINITION_RE)) {
    const claim = conversionClaim(m[0], "1", m[1]!, "is", Boolean(m[2]), m[3]!, m[4]!);
    if (claim) out.push(claim);
  }
  // "17–21 knots, which is about 29–38 mph": each end of a range converted.
  for (const m of flat.matchAll(RANGE_CONVERSION_RE)) {
    const rel = (m[4] ?? "").trim();
    for (const [a, b] of [
      [m[1]!, m[6]!],
      [m[2]!, m[7]!],
    ] as const) {
      const claim = conversionClaim(m[0], a, m[3]!, rel, Boolean(m[5]), b, m[8]!);
      if (claim) out.push(claim);
    }
  }
  return out;
}

/** One stated conversion checked, or null when it is not one (no units, another dimension). */
function conversionClaim(
  text: string,
  fromLiteral: string,
  fromWritten: string,
  rel: string,
  approxWord: boolean,
  toLiteral: string,
  toWritten: string,
): ConversionClaim | null {
  const fromUnit = mathUnit(fromWritten);
  const toUnit = mathUnit(toWritten);
  if (!fromUnit || !toUnit || fromUnit === toUnit) return null;
  let converted: number;
  try {
    const u = mathjs().unit(writtenNumber(fromLiteral), fromUnit) as Unit;
    if (!u.equalBase(mathjs().unit(`1 ${toUnit}`) as Unit)) return null;
    converted = u.toNumber(toUnit);
  } catch {
    return null;
  }
  const approximate = approxWord || /^(?:≈|≃|~|∼|\\approx|\(|,)/.test(rel) || /\bor\b/.test(rel);
  const stated = writtenNumber(toLiteral);
  const res = writtenResolution(toLiteral, approximate);
  // The source value is rounded too: half a unit of its last digit, converted ("37 °C
  // (98.6 °F)" is exact to 37 ± 0.5 °C, so ± 0.9 °F). A temperature written to 0.01 must
  // convert to 0.01; a word such as "about" or "≈" allows a degree.
  const fromDecimals = /\.(\d+)/.exec(fromLiteral)?.[1]?.length ?? 0;
  const fromRounding = fromDecimals
    ? Math.abs(
        convertValue(writtenNumber(fromLiteral) + 0.5 * 10 ** -fromDecimals, fromUnit, toUnit) - converted,
      )
    : 0;
  const explicitApprox = approxWord || /^(?:≈|≃|~|∼|\\approx)/.test(rel);
  const tol = isTemperature(toUnit)
    ? Math.max(2 * res + fromRounding, explicitApprox ? 2 : 0, 1e-9)
    : Math.max(2 * res + fromRounding, 0.015 * Math.abs(converted), 1e-12);
  const within = (value: number) => Math.abs(value - stated) <= tol * (1 + 1e-9);
  const holds =
    within(converted) ||
    variantsOf(fromUnit).some((f) =>
      variantsOf(toUnit).some(
        (t) => (f !== fromUnit || t !== toUnit) && within(convertValue(writtenNumber(fromLiteral), f, t)),
      ),
    );
  // After a bare "is", "or" or a comma, two unrelated amounts of one dimension ("5 km, or 200 m")
  // are not a conversion: only a value near the converted one (a wrong factor) counts.
  if (!holds && /^(?:is|or|,)/.test(rel) && !sameScale(converted, stated)) return null;
  return {
    text,
    from: { value: writtenNumber(fromLiteral), unit: fromUnit },
    to: { value: stated, unit: toUnit },
    converted,
    approximate,
    holds,
  };
}

/** `value` in `from` converted to `to` (NaN when mathjs cannot). */
function convertValue(value: number, from: string, to: string): number {
  try {
    return (mathjs().unit(value, from) as Unit).toNumber(to);
  } catch {
    return Number.NaN;
  }
}

/** Within a factor of 20 of each other (a wrong conversion factor, not two unrelated amounts). */
function sameScale(a: number, b: number): boolean {
  if (a === 0 || b === 0) return false;
  const r = Math.abs(a / b);
  return r < 20 && r > 1 / 20;
}

const TARGET_UNIT = String.raw`(?:(?:cubic|square)\s+)?${UNIT}(?:\s*(?:\/|\bper\b)\s*${UNIT})?`;
const QUANTITY_RE = new RegExp(String.raw`(?<![\w.,^/])(${NUM}${SCI})\s*(${TARGET_UNIT})`, "gu");
const TARGET_RE = new RegExp(
  String.raw`(?:\b(?:in|into|to)\s+(?:units\s+of\s+)?|\bhow\s+many\s+)(${TARGET_UNIT})`,
  "giu",
);
/** A question that asks to convert ("what is that in…", "convert…", "express…", "how many … in"). */
const CONVERSION_ASK =
  /\b(?:convert|conversion|(?:what|how\s+much)\s+(?:is|are)\s+[-−]?\d[\d,.]*|express(?:ed)?|what\s+is\s+(?:that|this|it)\s+in|how\s+many\s+[\p{L}³²]+(?:\s+[\p{L}³²]+)?\s+(?:are\s+(?:there\s+)?)?in|equivalent)\b/iu;
/** Numbers a question can state in words (a dozen loaves, twice as far). */
const WORDED_NUMBERS =
  /\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|dozen|half|twice|double|triple|quarter|third)\b/i;

/** The quantities written in a text, with their mathjs units. */
function quantitiesIn(text: string): Array<{ value: number; unit: string; literal: string; index: number }> {
  const out: Array<{ value: number; unit: string; literal: string; index: number }> = [];
  for (const m of text.matchAll(QUANTITY_RE)) {
    const unit = mathUnit(m[2]!);
    const value = writtenNumber(m[1]!);
    if (unit && Number.isFinite(value)) out.push({ value, unit, literal: m[1]!, index: m.index });
  }
  return out;
}

function sameBase(a: Unit, unit: string): boolean {
  try {
    return a.equalBase(mathjs().unit(`1 ${unit}`) as Unit);
  } catch {
    return false;
  }
}

/**
 * The conversion a prompt asks for, checked against the answer's final quantity: "A bottle
 * holds 2.5 litres. What is that in cubic metres?" must end in 0.0025 m³, "1,200 litres in 5
 * minutes … flow rate in cubic metres per hour?" in 14.4 m³/h. Only a prompt that is a pure
 * conversion is read: one quantity and a conversion question, or two quantities whose ratio
 * is the only one with the asked unit's dimension (a rate); no other number, in digits or
 * words, so a formula with its own factors (½at², a triangle's area) is never guessed at.
 * Null when the prompt is not such a question or the answer states nothing in the unit's
 * dimension.
 */
export function findAskedConversion(prompt: string, answer: string): ConversionClaim | null {
  ensureUnits();
  const flat = prompt.replace(/(\d)\s*\^\s*2\b/g, "$1²").slice(0, 2000);
  const targets = [...flat.matchAll(TARGET_RE)].map((m) => mathUnit(m[1]!)).filter((u): u is string => !!u);
  if (new Set(targets).size !== 1) return null;
  const target = targets[0]!;
  const given = quantitiesIn(flat);
  if (given.length === 0 || given.length > 2) return null;
  // Every number of the prompt belongs to a given quantity.
  const bare = flat.replace(QUANTITY_RE, " ");
  if (/\d/.test(bare) || WORDED_NUMBERS.test(bare)) return null;
  const m = mathjs();
  let expected: Unit | null = null;
  let from: { value: number; unit: string };
  try {
    if (given.length === 1) {
      if (!CONVERSION_ASK.test(flat)) return null;
      const q = m.unit(given[0]!.value, given[0]!.unit) as Unit;
      if (!sameBase(q, target) || given[0]!.unit === target) return null;
      expected = q;
      from = { value: given[0]!.value, unit: given[0]!.unit };
    } else {
      // A rate: the one ratio of the two quantities with the asked unit's dimension.
      if (!/\/|\bper\b/i.test(target)) return null;
      const [x, y] = given as [(typeof given)[0], (typeof given)[0]];
      const fits = [
        [x, y],
        [y, x],
      ]
        .map(([a, b]) => ({
          a: a!,
          b: b!,
          u: m.divide(m.unit(a!.value, a!.unit), m.unit(b!.value, b!.unit)) as Unit,
        }))
        .filter((f) => sameBase(f.u, target));
      if (fits.length !== 1) return null;
      const { a, b, u } = fits[0]!;
      expected = u;
      from = { value: a.value, unit: `${a.unit} per ${+b.value.toPrecision(8)} ${b.unit}` };
    }
  } catch {
    return null;
  }
  // Markdown emphasis ("= **14 °F**") blanked out: the indices stay those of the answer's tail.
  const tail = answer.slice(-4000).replace(/\*\*|__/g, "  ");
  const stated = quantitiesIn(tail).filter((q) => {
    try {
      return sameBase(m.unit(1, q.unit) as Unit, target);
    } catch {
      return false;
    }
  });
  if (!expected || stated.length === 0) return null;
  const within = (q: (typeof stated)[number]) => {
    const value = expected!.toNumber(q.unit);
    const res = writtenResolution(q.literal, true);
    const tol = isTemperature(q.unit)
      ? Math.max(2 * res, 0.5)
      : Math.max(2 * res, 0.015 * Math.abs(value), 1e-12);
    return Math.abs(value - q.value) <= tol * (1 + 1e-9);
  };
  // The answer's last value in the asked dimension, unless an earlier one in the asked unit
  // itself is the conversion (a prompt with more parts goes on to other values in the same
  // unit: "… −40 °C = −40 °F").
  const last = stated.find((q) => q.unit === target && within(q)) ?? stated.at(-1)!;
  const converted = expected.toNumber(last.unit);
  return {
    text: `${tail
      .slice(last.index, last.index + 40)
      .split("\n")[0]!
      .trim()} (asked: ${flat.slice(0, 120).trim()})`,
    from,
    to: { value: last.value, unit: last.unit },
    converted,
    approximate: true,
    holds: within(last),
  };
}

/**
 * A prefix slip: the prompt gives one quantity ("32 psi") and the answer states it in another
 * unit of its dimension a thousand or a million times off ("about 220 Pa" for 220 kPa). Any
 * other value of the answer is left alone: only an exact power-of-1000 factor (within 3%)
 * counts, which an unrelated amount does not hit by chance.
 */
export function findPrefixSlips(prompt: string, answer: string): ConversionClaim[] {
  ensureUnits();
  const given = quantitiesIn(prompt.replace(/\*\*|__/g, "").slice(0, 2000));
  if (given.length !== 1) return [];
  const from = given[0]!;
  const m = mathjs();
  // Sizes in bytes and bits: binary prefixes are 1,024 apart, and a text names many sizes
  // of one dimension (a 4 KiB page, a 4 B entry).
  if ((m.unit(1, from.unit) as Unit).equalBase(m.unit("1 b") as Unit)) return [];
  const out: ConversionClaim[] = [];
  for (const q of quantitiesIn(answer.slice(0, 8000).replace(/\*\*|__/g, "  "))) {
    if (q.unit === from.unit || !q.value || isTemperature(q.unit)) continue;
    let converted: number;
    try {
      converted = (m.unit(from.value, from.unit) as Unit).toNumber(q.unit);
    } catch {
      continue;
    }
    const ratio = q.value / converted;
    const slip = [1e3, 1e-3, 1e6, 1e-6].find((f) => Math.abs(ratio / f - 1) <= 0.03);
    if (slip)
      out.push({
        text: q.literal + " " + q.unit,
        from: { value: from.value, unit: from.unit },
        to: { value: q.value, unit: q.unit },
        converted,
        approximate: true,
        holds: false,
      });
  }
  return out;
}

/**
 * Verifier: unit conversions stated in the text are right, and (with the prompt as
 * `context`) the conversion the prompt asks for (`findAskedConversion`) and the prompt's
 * quantity restated without a prefix slip (`findPrefixSlips`). Null when the text states none.
 */
export function checkConversionsInText(text: string, context?: string): CheckResult | null {
  const asked = context ? findAskedConversion(context, text) : null;
  return claimsResult(
    "units",
    [...findConversions(text), ...(asked ? [asked] : []), ...(context ? findPrefixSlips(context, text) : [])],
    (c) => c.holds,
    (c) =>
      `unit conversion is wrong: "${c.text.trim()}" (${+c.from.value.toPrecision(8)} ${c.from.unit} is ${+c.converted.toPrecision(4)} ${c.to.unit})`,
    "wrong_unit",
  );
}
