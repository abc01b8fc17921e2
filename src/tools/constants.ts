import type { Unit } from "mathjs";
import { type CheckResult, claimsResult } from "./check.js";
import { mathjs } from "./maths.js";
import { ELEMENTS, type Element } from "./periodic-table.js";
import { mathUnit, writtenNumber, writtenResolution } from "./units.js";

/**
 * Well-known constants and dates stated in prose, checked against a small table: the speed
 * of light, g, Avogadro's number, Planck's constant, R, the elementary charge, absolute zero,
 * the boiling point of water, the year of the Moon landing... Only a claim that names the
 * constant (or event) and states a value in the same clause is checked; a value in another
 * medium, on another planet or at another pressure is left alone.
 */

/** One well-known constant. */
interface ConstantEntry {
  name: string;
  /** Names that introduce the value ("speed of light", "c ="). */
  subject: RegExp;
  /** Accepted values, each with its unit (null: dimensionless, or any unit-less number). */
  values: Array<{ value: number; unit: string | null }>;
  /** Relative tolerance on top of the written precision. */
  relTol: number;
  /** Words in the clause that make it about something else (another medium, body, condition). */
  unless?: RegExp;
  /** A unit-less number is read in this unit (e.g. "g is 9.8"). */
  bareUnit?: string;
  /** A count: a number that is not a round one (206, 4) must be exact, not within its last digit. */
  count?: true;
  /**
   * A question that asks for this value ("How many bones are in the adult human body?"):
   * when the prompt asks it, the first comparable value of the answer is checked, even
   * where the answer does not name the subject again ("About 30 days.").
   */
  asked?: RegExp;
}

const CONSTANTS: ConstantEntry[] = [
  {
    name: "the speed of light in a vacuum",
    subject: /\b[Ss]peed of light\b|\b[Ll]ight travels at\b|\bc\s*=\s*(?=\d)/,
    values: [{ value: 299_792_458, unit: "m/s" }],
    relTol: 0.01,
    unless: /\b(?:water|glass|diamond|medium|fib(?:re|er)|air\b|slow|sound)/i,
    bareUnit: "m/s",
  },
  {
    name: "the acceleration due to gravity at the Earth's surface",
    subject:
      /\b(?:acceleration (?:due to|of|from) (?:earth's )?gravity|gravitational acceleration|gravitational field strength|standard gravity|g\s*=\s*(?=[\d−-]))/i,
    values: [{ value: 9.80665, unit: "m/s^2" }],
    relTol: 0.025,
    unless:
      /\b(?:moon|mars|jupiter|venus|mercury|saturn|sun|neptune|uranus|pluto|planet|asteroid|orbit|altitude|height of|equator|pole)/i,
    bareUnit: "m/s^2",
  },
  {
    name: "Avogadro's constant",
    subject: /\b[Aa]vogadro(?:'s)?\s+(?:[Nn]umber|[Cc]onstant)\b|\bN_?A\s*=/,
    values: [{ value: 6.02214076e23, unit: null }],
    relTol: 0.005,
  },
  {
    name: "Planck's constant",
    subject: /\bplanck(?:'s)?\s+constant\b|\bh\s*=\s*(?=\d[\d.]*\s*(?:×|x|\*)\s*10)/i,
    values: [
      { value: 6.62607015e-34, unit: "J s" },
      { value: 4.135667696e-15, unit: "eV s" },
    ],
    relTol: 0.005,
    unless: /\breduced\b|ħ|\bh-bar\b|\bhbar\b/i,
  },
  {
    name: "the molar gas constant",
    subject: /\b(?:ideal |universal |molar )?gas constant\b|\bR\s*=\s*(?=\d)/,
    values: [
      { value: 8.314462618, unit: "J/(mol K)" },
      { value: 0.082057366, unit: "L atm/(mol K)" },
      { value: 62.36359, unit: "L mmHg/(mol K)" },
      { value: 1.987204, unit: "cal/(mol K)" },
    ],
    relTol: 0.005,
    unless: /\bspecific\b|\bresistance\b|\bohm|Ω/i,
  },
  {
    name: "the elementary charge",
    subject:
      /\belementary charge\b|\bcharge (?:of|on) (?:an?|one|the|a single) (?:electron|proton)\b|\belectron(?:'s)? charge\b/i,
    values: [{ value: 1.602176634e-19, unit: "C" }],
    relTol: 0.005,
    bareUnit: "C",
  },
  {
    name: "the mass of an electron",
    subject: /\b(?:mass of (?:an?|the|one) electron|electron(?:'s)? (?:rest )?mass)\b/i,
    values: [{ value: 9.1093837e-31, unit: "kg" }],
    relTol: 0.005,
  },
  {
    name: "the mass of a proton",
    subject: /\b(?:mass of (?:a|the|one) proton|proton(?:'s)? (?:rest )?mass)\b/i,
    values: [{ value: 1.67262192e-27, unit: "kg" }],
    relTol: 0.005,
  },
  {
    name: "Boltzmann's constant",
    subject: /\b[Bb]oltzmann(?:'s)? [Cc]onstant\b|\bk_?B\s*=/,
    values: [
      { value: 1.380649e-23, unit: "J/K" },
      { value: 8.617333e-5, unit: "eV/K" },
    ],
    relTol: 0.005,
    unless: /\bstefan\b/i,
  },
  {
    name: "the gravitational constant",
    subject:
      /\b(?:universal )?gravitational constant\b|\bnewton(?:'s)? constant of gravitation\b|\bG\s*=\s*(?=\d)/,
    values: [{ value: 6.6743e-11, unit: "N m^2/kg^2" }],
    relTol: 0.005,
  },
  {
    name: "Faraday's constant",
    subject: /\bfaraday(?:'s)? constant\b/i,
    values: [{ value: 96485.33212, unit: "C/mol" }],
    relTol: 0.005,
    bareUnit: "C/mol",
  },
  {
    name: "absolute zero",
    subject: /\babsolute zero\b/i,
    values: [
      { value: 0, unit: "K" },
      { value: -273.15, unit: "degC" },
      { value: -459.67, unit: "degF" },
    ],
    relTol: 0.002,
  },
  {
    name: "the boiling point of water at sea level",
    subject: /\bboiling point of (?:pure )?water\b|\bwater boils at\b|\bwater's boiling point\b/i,
    values: [
      { value: 100, unit: "degC" },
      { value: 212, unit: "degF" },
      { value: 373.15, unit: "K" },
    ],
    relTol: 0.005,
    unless:
      /\b(?:altitude|mountain|everest|summit|pressure cooker|salt|sugar|lower pressure|reduced pressure|high elevation|elevation|denver|vacuum|kpa|mmhg)\b/i,
  },
  {
    name: "the freezing point of water",
    subject: /\b(?:freezing|melting) point of (?:pure )?water\b|\bwater freezes at\b|\bice melts at\b/i,
    values: [
      { value: 0, unit: "degC" },
      { value: 32, unit: "degF" },
      { value: 273.15, unit: "K" },
    ],
    relTol: 0.002,
    unless: /\b(?:salt|sugar|pressure|solution|sea ?water|brine|antifreeze)\b/i,
  },
  {
    name: "the boiling point of water at the summit of Everest",
    subject:
      /\b(?:water boils|boiling point of water)\b[^.;]{0,60}\b(?:everest|8,?8\d\d m)|\b(?:everest)\b[^.;]{0,60}\b(?:water boils|boiling point)/i,
    values: [{ value: 70, unit: "degC" }],
    relTol: 0.08,
  },
  ...[
    ["water", /\bdensity of (?:pure |liquid )?water\b|\bwater has a density\b/i, 1000],
    ["ice", /\bdensity of ice\b|\bice has a density\b/i, 917],
    ["aluminium", /\bdensity of alumini?um\b|\balumini?um has a density\b/i, 2700],
    ["iron", /\bdensity of iron\b|\biron has a density\b/i, 7874],
    ["copper", /\bdensity of copper\b|\bcopper has a density\b/i, 8960],
    ["lead", /\bdensity of lead\b|\blead has a density\b/i, 11340],
    ["gold", /\bdensity of gold\b|\bgold has a density\b/i, 19300],
    ["mercury", /\bdensity of mercury\b|\bmercury has a density\b/i, 13534],
  ].map(
    ([what, subject, value]): ConstantEntry => ({
      name: `the density of ${what}`,
      subject: subject as RegExp,
      values: [{ value: value as number, unit: "kg/m^3" }],
      relTol: 0.03,
      unless: /\b(?:sea ?water|salt|at \d|°C|degrees|vapou?r|steam|alloy)\b/i,
    }),
  ),
  {
    name: "the speed of sound in air",
    subject: /\bspeed of sound\b|\bsound travels\b/i,
    values: [{ value: 343, unit: "m/s" }],
    relTol: 0.04,
    unless: /\b(?:water|steel|iron|solid|liquid|helium|hydrogen|metal|glass|wood|sea|ocean|rock|granite)\b/i,
  },
  // Well-known quantities of school science (counts are unit-less).
  {
    name: "the number of bones in the adult human body",
    count: true,
    subject: /\badults?\b[^.;]{0,50}?(?=\b\d{2,3}\s+bones\b)/i,
    values: [{ value: 206, unit: null }],
    relTol: 0,
    unless:
      /\b(?:bab(?:y|ies)|newborns?|infants?|child(?:ren)?|hands?|feet|foot|skull|spine|ears?|wrists?|dogs?|cats?|horses?)\b/i,
    asked: /\bhow many bones\b[^?]{0,60}\badult\b|\bnumber of bones\b[^?]{0,40}\badult\b/i,
  },
  {
    name: "the Earth's orbital period",
    subject:
      /\b(?:the )?earth(?:'s)? (?:orbital period|takes|needs|completes)\b[^.;]{0,40}?\b(?:orbit|revolution|(?:go(?:es)?|travel) (?:once )?(?:a|a?round)|circle)|\bfor (?:the )?earth to (?:orbit|go (?:once )?(?:a)?round|revolve around|circle) the sun\b/i,
    values: [{ value: 365.25, unit: "day" }],
    relTol: 0.01,
    unless: /\b(?:mars|venus|mercury|jupiter|saturn|moon|satellite|iss|station|axis|rotate|rotation|spin)\b/i,
    asked:
      /\bhow long does (?:it take )?(?:the )?earth\b[^?]{0,30}\b(?:orbit|go (?:a)?round|revolve around|circle) the sun\b|\bhow long is (?:the )?earth's (?:orbit|orbital period|year)\b/i,
  },
  {
    name: "the number of chambers of the human heart",
    count: true,
    subject:
      /\b(?:human|mammalian|the) heart (?:has|is made up of|consists of|is divided into)\s+(?=\d|one|two|three|four|five|six)/i,
    values: [{ value: 4, unit: null }],
    relTol: 0,
    unless: /\b(?:fish|frogs?|amphibians?|reptiles?|crocodiles?|valves?)\b/i,
    asked: /\bhow many chambers (?:does|do|has|are (?:there )?in) (?:the |a )?(?:human |mammalian )?heart\b/i,
  },
  {
    name: "the number of planets in the Solar System",
    count: true,
    subject:
      /\b(?:the )?solar system (?:has|contains|is made up of)\s+(?=\d|one|two|three|four|five|six|seven|eight|nine|ten)/i,
    values: [{ value: 8, unit: null }],
    relTol: 0,
    unless: /\b(?:dwarf|moons?|asteroids?|1930|before 2006|until 2006)\b/i,
    asked: /\bhow many planets (?:are (?:there )?in|does) (?:the |our )?solar system\b/i,
  },
  {
    name: "the mean distance from the Earth to the Sun",
    subject:
      /\b(?:distance (?:from|between) (?:the )?earth (?:to|and) (?:the )?sun|distance (?:from|between) (?:the )?sun (?:to|and) (?:the )?earth|earth[- ]sun distance|earth (?:is|lies|orbits)\b[^.;]{0,20}?(?=\d[^.;]{0,30}\bfrom the sun))/i,
    values: [
      { value: 1.496e11, unit: "m" },
      { value: 1, unit: "AU" },
    ],
    relTol: 0.03,
    unless:
      /\b(?:mars|venus|mercury|jupiter|saturn|moon|light[- ]?(?:minutes|seconds)|minutes|seconds|perihelion|aphelion)\b/i,
    asked:
      /\bhow far (?:is|away is) (?:the )?earth from the sun\b|\bhow far (?:is|away is) the sun(?: from (?:the )?earth)?\b/i,
  },
  {
    name: "the Earth's escape velocity",
    subject:
      /\b(?:earth(?:'s)? escape (?:velocity|speed)|escape (?:velocity|speed) (?:of|from|at) (?:the )?earth(?:'s surface)?)\b/i,
    values: [{ value: 11_186, unit: "m/s" }],
    relTol: 0.02,
    unless:
      /\b(?:moon|mars|jupiter|venus|mercury|saturn|sun|orbit(?:al)? (?:speed|velocity)|altitude|above)\b/i,
    asked:
      /\bwhat is (?:the )?(?:earth's escape (?:velocity|speed)|escape (?:velocity|speed) (?:of|from) (?:the )?earth)\b/i,
  },
  {
    name: "the mean distance from the Earth to the Moon",
    subject:
      /\b(?:distance (?:from|between) (?:the )?earth (?:to|and) the moon|distance (?:from|between) the moon (?:to|and) (?:the )?earth|earth[- ]moon distance|moon (?:is|lies|orbits)\b[^.;]{0,20}?(?=\d[^.;]{0,30}\bfrom (?:the )?earth))/i,
    values: [{ value: 3.844e8, unit: "m" }],
    relTol: 0.06,
    unless: /\b(?:sun|mars|perigee|apogee|light[- ]?(?:minutes|seconds)|seconds)\b/i,
    asked: /\bhow far (?:is|away is) the moon(?: from (?:the )?earth)?\b/i,
  },
  {
    name: "the normal human body temperature",
    subject: /\b(?:normal|average|healthy) (?:human )?(?:core )?body temperature\b/i,
    values: [{ value: 310.15, unit: "K" }],
    relTol: 0.003,
    unless:
      /\b(?:fever|hypothermia|dogs?|cats?|birds?|animals?|reptiles?|below|above|exceeds?|over|under)\b/i,
  },
  {
    name: "the age of the universe",
    subject:
      /\b(?:age of the universe|universe is (?:about |around |roughly |approximately )?\d[\d.,]*[^.;]{0,25}\bold\b)/i,
    values: [{ value: 13.8e9, unit: "year" }],
    relTol: 0.03,
    bareUnit: "year",
  },
  {
    name: "the age of the Earth",
    subject:
      /\b(?:age of the earth|(?:the )?earth is (?:about |around |roughly |approximately )?\d[\d.,]*[^.;]{0,25}\bold\b|(?:the )?earth formed (?:about |around |roughly |approximately )?(?=\d))/i,
    values: [{ value: 4.54e9, unit: "year" }],
    relTol: 0.03,
    bareUnit: "year",
  },
];

/** A historical event with the year(s) it happened. */
interface DateEntry {
  name: string;
  /** The event as it is named, with the verb that dates it. */
  subject: RegExp;
  years: number[];
  unless?: RegExp;
}

const DATES: DateEntry[] = [
  {
    name: "the first crewed Moon landing (Apollo 11)",
    subject:
      /\b(?:apollo 11\b(?![^.;]*\blaunch)|first (?:crewed |manned |human )?moon landing|(?:armstrong|humans?|astronauts?)\b[^.;]{0,40}\b(?:landed|walked|set foot|stepped) on the moon|first (?:person|man|human) (?:to walk |to set foot |to step )?on the moon)/i,
    years: [1969],
  },
  {
    name: "the start of the Second World War",
    subject:
      /\b(?:world war (?:ii|2|two)|second world war|ww2|wwii)\b[^.;]{0,30}\b(?:began|started|broke out)\b/i,
    years: [1939],
  },
  {
    name: "the end of the Second World War",
    subject: /\b(?:world war (?:ii|2|two)|second world war|ww2|wwii)\b[^.;]{0,30}\bended\b/i,
    years: [1945],
  },
  {
    name: "the start of the First World War",
    subject:
      /\b(?:world war (?:i|1|one)|first world war|ww1|wwi|great war)\b[^.;]{0,30}\b(?:began|started|broke out)\b/i,
    years: [1914],
  },
  {
    name: "the end of the First World War",
    subject: /\b(?:world war (?:i|1|one)|first world war|ww1|wwi|great war)\b[^.;]{0,30}\bended\b/i,
    years: [1918],
  },
  {
    name: "the fall of the Berlin Wall",
    subject: /\b(?:fall of the berlin wall|berlin wall (?:fell|came down|was torn down|was opened))\b/i,
    years: [1989],
  },
  {
    name: "the storming of the Bastille (start of the French Revolution)",
    subject: /\b(?:storming of the bastille|french revolution (?:began|started|broke out))\b/i,
    years: [1789],
  },
  {
    name: "the US Declaration of Independence",
    subject: /\bdeclaration of independence\b[^.;]{0,30}\b(?:was )?(?:signed|adopted)\b/i,
    years: [1776],
  },
  {
    name: "Columbus's first voyage to the Americas",
    subject: /\bcolumbus\b[^.;]{0,40}\b(?:reached|landed|sailed|arrived|crossed)\b/i,
    years: [1492],
    unless: /\b(?:second|third|fourth|last|final|later)\s+voyage\b|\breturned\b/i,
  },
  {
    name: "the sealing of Magna Carta",
    subject: /\bmagna carta\b[^.;]{0,30}\b(?:was )?(?:signed|sealed|agreed|issued)\b/i,
    years: [1215],
  },
  {
    name: "the Battle of Hastings",
    subject: /\bbattle of hastings\b/i,
    years: [1066],
  },
  {
    name: "the fall of Constantinople",
    subject: /\b(?:fall of constantinople|constantinople fell)\b/i,
    years: [1453],
  },
  {
    name: "the launch of Sputnik 1",
    subject: /\bsputnik(?: 1)?\b[^.;]{0,30}\b(?:was )?launched\b/i,
    years: [1957],
  },
  {
    name: "the sinking of the Titanic",
    subject: /\b(?:titanic sank|sinking of the titanic|titanic (?:struck|hit) an iceberg)\b/i,
    years: [1912],
  },
  {
    name: "the publication of On the Origin of Species",
    subject:
      /\bon the origin of species\b[^.;]{0,30}\b(?:was )?published\b|\bdarwin published\b[^.;]{0,20}\borigin of species\b/i,
    years: [1859],
  },
  {
    name: "the description of the DNA double helix by Watson and Crick",
    subject:
      /\bwatson and crick\b[^.;]{0,50}\b(?:described|discovered|proposed|published|identified)\b[^.;]{0,30}\b(?:double[- ]helix|structure of dna)\b/i,
    years: [1953],
  },
  {
    name: "Fleming's discovery of penicillin",
    subject: /\b(?:fleming discovered penicillin|penicillin was discovered|discovery of penicillin)\b/i,
    years: [1928],
  },
  {
    name: "the Wright brothers' first powered flight",
    subject: /\bwright brothers\b[^.;]{0,40}\b(?:first (?:powered |controlled )?flight|flew)\b/i,
    years: [1903],
  },
  {
    name: "Einstein's special relativity",
    subject:
      /\b(?:einstein\b[^.;]{0,30}\bspecial (?:theory of )?relativity|special (?:theory of )?relativity was (?:published|proposed|introduced))\b/i,
    years: [1905],
  },
  {
    name: "Mendeleev's periodic table",
    subject:
      /\bmendeleev\b[^.;]{0,40}\b(?:published|proposed|presented|created|devised|first)\b[^.;]{0,30}\bperiodic table\b/i,
    years: [1869],
  },
  {
    name: "Luther's Ninety-five Theses",
    subject: /\b(?:ninety-five|95) theses\b/i,
    years: [1517],
  },
  {
    name: "the dissolution of the Soviet Union",
    subject:
      /\b(?:dissolution of the soviet union|soviet union (?:collapsed|dissolved|was dissolved|broke up)|collapse of the soviet union)\b/i,
    years: [1991],
  },
  {
    name: "the Russian (October) Revolution",
    subject: /\b(?:russian|october|bolshevik) revolution\b/i,
    years: [1917],
    unless: /\b1905\b|\bfirst russian revolution\b/i,
  },
  {
    name: "the Chernobyl disaster",
    subject:
      /\bchernobyl\b[^.;]{0,60}\b(?:disaster|accident|explosion|exploded|meltdown|happened|occurred)\b|\b(?:disaster|accident|explosion) at chernobyl\b/i,
    years: [1986],
  },
  {
    name: "the execution of Louis XVI",
    subject:
      /\blouis xvi\b[^.;]{0,40}\b(?:executed|guillotined|beheaded|execution)\b|\bexecution of louis xvi\b/i,
    years: [1793],
  },
  {
    name: "the Battle of Waterloo",
    subject: /\bbattle of waterloo\b|\bnapoleon\b[^.;]{0,30}\bdefeated at waterloo\b/i,
    years: [1815],
  },
  {
    name: "the attack on Pearl Harbor",
    subject:
      /\b(?:attack on pearl harbou?r|pearl harbou?r was (?:attacked|bombed)|japan attacked pearl harbou?r)\b/i,
    years: [1941],
  },
  {
    name: "the atomic bombing of Hiroshima",
    subject: /\b(?:atomic bomb|bombing)\b[^.;]{0,40}\bhiroshima\b|\bhiroshima was (?:bombed|destroyed)\b/i,
    years: [1945],
  },
  {
    name: "Yuri Gagarin's first human spaceflight",
    subject: /\bgagarin\b[^.;]{0,60}\b(?:first|orbit|space)/i,
    years: [1961],
  },
  {
    name: "the assassination of John F. Kennedy",
    subject:
      /\b(?:kennedy|jfk)\b[^.;]{0,30}\b(?:assassinated|was shot|was killed)\b|\bassassination of (?:president )?(?:john f\. )?kennedy\b/i,
    years: [1963],
  },
  {
    name: "the Wall Street Crash",
    subject: /\bwall street crash\b|\bstock market crash of\b/i,
    years: [1929],
  },
  {
    name: "the signing of the Treaty of Versailles",
    subject: /\btreaty of versailles\b[^.;]{0,30}\b(?:signed|was signed)\b/i,
    years: [1919],
  },
  {
    name: "Einstein's explanation of the photoelectric effect",
    subject:
      /\beinstein\b[^.;]{0,30}\bexplained the photoelectric effect\b|\bphotoelectric effect was explained by einstein\b/i,
    years: [1905],
  },
  {
    name: "Indian independence",
    subject: /\bindia (?:became independent|gained (?:its )?independence)\b|\bindian independence\b/i,
    years: [1947],
  },
  {
    name: "the publication of Newton's Principia",
    subject: /\bprincipia\b[^.;]{0,40}\b(?:was )?published\b|\bnewton published\b[^.;]{0,30}\bprincipia\b/i,
    years: [1687],
  },
];

/** A constant or date stated in the text, and whether it agrees with the table. */
export interface ConstantClaim {
  kind: "constant" | "date" | "element";
  name: string;
  text: string;
  stated: string;
  holds: boolean;
  /** The accepted value(s), as text. */
  expected: string;
  /** The number is the constant's in another unit (off by a factor of 10³, 10⁶...): a wrong unit, not a wrong value. */
  wrongUnit?: boolean;
}

/** True for a "per mole" unit (mol⁻¹, /mol), the unit of a count per amount. */
function perMole(unit: string): boolean {
  try {
    const m = mathjs();
    return (m.unit(`1 ${unit.startsWith("/") ? `1${unit}` : unit}`) as Unit).equalBase(
      m.unit("1 mol^-1") as Unit,
    );
  } catch {
    return /mol\^-1|\/mol/.test(unit);
  }
}

/** True when a wrong value is the right one scaled by a unit prefix (10^±3, 10^±6, 10^±9). */
function offByPrefix(c: ConstantEntry, value: number, unit: string | null): boolean {
  for (const k of [3, -3, 6, -6, 9, -9]) {
    if (matchConstant(c, value * 10 ** k, 0, unit) === true) return true;
  }
  return false;
}

const VALUE_RE =
  /(?<![\w.])([-−]?\d[\d,]*(?:\.\d+)?(?:\s*(?:×|x|\*)\s*10\s*(?:\^\s*\(?[-−]?\d+\)?|[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+))?)(?:\s*(million|billion|thousand))?\s*((?:[a-zA-Zµ°℃][\w°·/^()²³⁻¹ -]{0,24})?)/gu;

const SUPER: Record<string, string> = {
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
};

/** Clauses of a text: sentences, split again at ";" and at "but", "while", "whereas", "although". */
const NUMBER_WORDS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
};

function clausesOf(text: string): string[] {
  return text
    .replace(/```[\s\S]*?```/g, " ")
    .split(/(?<=[.!?])\s+(?=[A-Z(])|\n+|;\s+|\s+(?:but|while|whereas|although)\s+/)
    .filter((c) => /\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten)\b/i.test(c));
}

/** A unit text read by mathjs from the words after a number ("m/s", "metres per second", "J·s", "J/(mol·K)"), or null. */
function unitAfter(words: string): string | null {
  const w = words
    .replace(/\bper\b/g, "/")
    .replace(/[·⋅]/g, " ")
    .replace(/⁻¹/g, "^-1")
    .replace(/²/g, "^2")
    .replace(/³/g, "^3");
  const tokens = [...w.matchAll(/[A-Za-zµ°℃]+(?:\^-?\d)?|[/()]/g)].map((t) => t[0]);
  for (let n = Math.min(tokens.length, 8); n > 0; n--) {
    const parts: string[] = [];
    let ok = true;
    for (const t of tokens.slice(0, n)) {
      if (/^[/()]$/.test(t)) {
        parts.push(t);
        continue;
      }
      const pw = /^(.+?)\^(-?\d)$/.exec(t);
      const u = mathUnit(pw ? pw[1]! : t);
      if (!u) {
        ok = false;
        break;
      }
      parts.push(pw ? `${u}^${pw[2]}` : u);
    }
    if (!ok) continue;
    const joined = parts
      .join(" ")
      .replace(/\s*\/\s*/g, "/")
      .replace(/\(\s*/g, "(")
      .replace(/\s*\)/g, ")");
    if (!/[A-Za-z]/.test(joined)) continue;
    try {
      mathjs().unit(`1 ${joined}`);
      return joined;
    } catch {
      // not a unit (unbalanced parentheses, a dangling "/")
    }
  }
  return null;
}

/**
 * Constants and dates the text states, each checked against the table. A stated value
 * matches when it is within the precision it is written with, or the entry's tolerance.
 */
export function findConstantClaims(text: string, context?: string): ConstantClaim[] {
  const out: ConstantClaim[] = [];
  // A question about when an event happened ("In which year did the Chernobyl disaster happen?"):
  // the answer's years must include the event's.
  if (context && /\b(?:when|what year|which year|in what year|what date|which date)\b/i.test(context)) {
    for (const d of DATES) {
      if (!d.subject.test(context) || d.unless?.test(context)) continue;
      const years = [...text.matchAll(/(?<![\d.,])(1\d{3}|20\d{2})(?![\d.,]\d)/g)].map((y) => Number(y[1]));
      if (years.length === 0) continue;
      const holds = years.some((y) => d.years.includes(y));
      out.push({
        kind: "date",
        name: d.name,
        text: text.trim().slice(0, 200),
        stated: [...new Set(years)].join(", "),
        holds,
        expected: d.years.join(" or "),
      });
    }
  }
  const clauses = clausesOf(text).map((raw) =>
    raw
      .replace(/\bmol\s?[−-]1(?!\d)/g, "per mole")
      .replace(
        /\b(one|two|three|four|five|six|seven|eight|nine|ten)\s+(?=(?:kilo|centi|milli)?(?:met(?:re|er)|second|gram|litre|liter|mile|hour|minute|day|year|chamber|planet|bone)s?\b)/gi,
        (_m, w: string) => `${NUMBER_WORDS[w.toLowerCase()]} `,
      ),
  );
  for (const clause of clauses) {
    for (const c of CONSTANTS) {
      const at = clause.search(c.subject);
      if (at < 0 || c.unless?.test(clause)) continue;
      // "v0 / g = 20 ÷ 9.81": a symbol inside a calculation is not a statement of its value.
      if (/[-+*/×÷^(]\s*$/.test(clause.slice(Math.max(0, at - 3), at))) continue;
      // "ΔG = 5 × £10 billion": a change of a quantity, not the constant its letter names.
      if (/[Δ∆δ]\s*$/.test(clause.slice(Math.max(0, at - 2), at))) continue;
      if (letterVariable(clause.slice(at), text)) continue;
      const claim = statedValue(c, clause, clause.slice(at));
      if (claim) out.push(claim);
    }
    for (const d of DATES) {
      if (!d.subject.test(clause) || d.unless?.test(clause)) continue;
      const years = [
        ...clause.matchAll(
          /(?<![\d.,])(1\d{3}|20\d{2})(?![\d.,]\d)(?!\s*(?:%|km|kg|m\b|people|soldiers|troops|ships|men|miles))/g,
        ),
      ].map((y) => Number(y[1]));
      if (years.length === 0) continue;
      const holds = years.some((y) => d.years.includes(y));
      out.push({
        kind: "date",
        name: d.name,
        text: clause.trim().slice(0, 200),
        stated: years.join(", "),
        holds,
        expected: d.years.join(" or "),
      });
    }
  }
  // A question that asks for a known value ("How long does it take the Earth to orbit the
  // Sun?"): the answer's first comparable value, where the answer does not name it again.
  if (context)
    for (const c of CONSTANTS) {
      if (!c.asked?.test(context) || c.unless?.test(context) || out.some((o) => o.name === c.name)) continue;
      for (const clause of clauses) {
        if (c.unless?.test(clause)) continue;
        const claim = statedValue(c, clause, clause);
        if (claim) {
          out.push(claim);
          break;
        }
      }
    }
  out.push(...findElementClaims(text));
  return out;
}

/**
 * A one-letter symbol that the text uses as one of a run of variables: "c = 10" where the
 * text also sets the letters next to it in the alphabet ("a = 30 … b = 170 … c = 10 …
 * d = 190" of a 2 × 2 table, "a = 2, b = −3, c = 1" of a quadratic) is a variable, not the
 * constant the letter stands for elsewhere.
 */
function letterVariable(named: string, text: string): boolean {
  const m = /^(\p{L})\s*=/u.exec(named);
  if (!m) return false;
  const code = m[1]!.charCodeAt(0);
  const set = (ch: number) => {
    const letter = String.fromCharCode(ch);
    // Only letters: past "a" or "z" there is no neighbour.
    return (
      /^\p{L}$/u.test(letter) && new RegExp(`(?<![\\p{L}\\d_])${letter}\\s*=\\s*[-−]?\\d`, "u").test(text)
    );
  };
  return set(code - 1) || set(code + 1);
}

/**
 * The first value in `after` (the clause from where it names the constant) that can be
 * compared with the constant, as a claim; null when none can.
 */
function statedValue(c: ConstantEntry, clause: string, after: string): ConstantClaim | null {
  for (const m of after.matchAll(VALUE_RE)) {
    // The exponent of a unit ("mol−1", "s-2") is not a value.
    if (/[A-Za-zµ][-−]$/.test(after.slice(0, m.index ?? 0))) continue;
    const follows = after.slice((m.index ?? 0) + m[0].length);
    // A term of a calculation ("c = 65¹⁷ mod 3233", "g = 9.8 × 2") is not a statement of the value.
    if (
      /^\s*[-+*/×÷^]\s*[\d(]|^[⁰¹²³⁴⁵⁶⁷⁸⁹]|^\s*mod\b/.test(follows) ||
      /[-+*/×÷]\s*\d|^mod\b/.test(m[3] ?? "")
    )
      return null;
    let literal = m[1]!.replace(
      /10\s*([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)/,
      (_x, sup: string) => `10^${[...sup].map((ch) => SUPER[ch]).join("")}`,
    );
    literal = literal.replace(/−/g, "-");
    let value = writtenNumber(literal);
    if (!Number.isFinite(value)) continue;
    const scale = m[2] ? ({ thousand: 1e3, million: 1e6, billion: 1e9 }[m[2]] ?? 1) : 1;
    value *= scale;
    const res = writtenResolution(literal, true) * scale;
    const unit = unitAfter(m[3] ?? "") ?? (m[3]?.trim() ? null : (c.bareUnit ?? null));
    const verdict = matchConstant(c, value, res, unit);
    if (verdict === null) continue;
    return {
      kind: "constant",
      ...(verdict === false && offByPrefix(c, value, unit) ? { wrongUnit: true } : {}),
      name: c.name,
      text: clause.trim().slice(0, 200),
      stated: `${m[1]}${m[2] ? ` ${m[2]}` : ""}${unit ? ` ${unit}` : ""}`,
      holds: verdict,
      expected: c.values.map((v) => `${v.value}${v.unit ? ` ${v.unit}` : ""}`).join(" or "),
    };
  }
  return null;
}

/** Elements by lower-case name, with the other spellings in use. */
const ELEMENT_NAMES: ReadonlyMap<string, Element> = new Map([
  ...[...ELEMENTS.values()].map((e): [string, Element] => [e.name, e]),
  ["aluminum", ELEMENTS.get("Al")!],
  ["sulphur", ELEMENTS.get("S")!],
  ["cesium", ELEMENTS.get("Cs")!],
]);
const NAME = `(${[...ELEMENT_NAMES.keys()].sort((a, b) => b.length - a.length).join("|")})`;
const SYMBOL = "([A-Za-z][a-z]?)";
/** Sentences that give an element's symbol, with the groups holding the name and the symbol. */
/** `bracketed`: the symbol in brackets after the name, where a Roman numeral is an oxidation state. */
const SYMBOL_CLAIMS: Array<{ re: RegExp; name: number; symbol: number; bracketed?: true }> = [
  {
    re: new RegExp(`\\b(?:chemical |element )?symbol (?:for|of) ${NAME} is ${SYMBOL}\\b`, "gi"),
    name: 1,
    symbol: 2,
  },
  {
    re: new RegExp(`\\b${NAME}(?:'s| has the) (?:chemical )?symbol(?: is)? ${SYMBOL}\\b`, "gi"),
    name: 1,
    symbol: 2,
  },
  {
    re: new RegExp(`\\b${SYMBOL} is the (?:chemical )?symbol (?:for|of) ${NAME}\\b`, "gi"),
    name: 2,
    symbol: 1,
  },
  { re: new RegExp(`\\b${NAME} \\(${SYMBOL}\\)`, "gi"), name: 1, symbol: 2, bracketed: true },
];
/** Sentences that give an element's atomic number. */
const NUMBER_CLAIMS: Array<{ re: RegExp; name: number; number: number }> = [
  { re: new RegExp(`\\batomic number of ${NAME} is (\\d{1,3})\\b`, "gi"), name: 1, number: 2 },
  {
    re: new RegExp(`\\b${NAME}(?:'s| has an?| has the| has)? atomic number(?: of| is)? (\\d{1,3})\\b`, "gi"),
    name: 1,
    number: 2,
  },
  { re: new RegExp(`\\b${NAME} \\((?:atomic number |Z\\s*=\\s*)(\\d{1,3})\\)`, "gi"), name: 1, number: 2 },
];

/**
 * An element's symbol or atomic number stated in the text ("Potassium's symbol is P",
 * "sodium (Na)", "the atomic number of carbon is 6"), checked against the periodic table.
 * A symbol must be written as one (capital, then an optional small letter); a Roman
 * numeral in brackets is an oxidation state ("copper (I) oxide"), not a symbol.
 */
export function findElementClaims(text: string): ConstantClaim[] {
  const out: ConstantClaim[] = [];
  const scan = text.slice(0, 20_000);
  for (const { re, name, symbol, bracketed } of SYMBOL_CLAIMS)
    for (const m of scan.matchAll(re)) {
      const element = ELEMENT_NAMES.get(m[name]!.toLowerCase());
      const stated = m[symbol]!;
      if (!element || !/^[A-Z][a-z]?$/.test(stated) || (bracketed && /^(?:I|V)$/.test(stated))) continue;
      out.push({
        kind: "element",
        name: `the symbol of ${element.name}`,
        text: m[0],
        stated,
        holds: stated === element.symbol,
        expected: element.symbol,
      });
    }
  for (const { re, name, number } of NUMBER_CLAIMS)
    for (const m of scan.matchAll(re)) {
      const element = ELEMENT_NAMES.get(m[name]!.toLowerCase());
      if (!element) continue;
      out.push({
        kind: "element",
        name: `the atomic number of ${element.name}`,
        text: m[0],
        stated: m[number]!,
        holds: Number(m[number]) === element.number,
        expected: String(element.number),
      });
    }
  return out;
}

/** True when the value matches one of the constant's values, false when it contradicts them, null when it is not comparable. */
function matchConstant(c: ConstantEntry, value: number, res: number, unit: string | null): boolean | null {
  const m = mathjs();
  let comparable = false;
  for (const v of c.values) {
    let stated = value;
    if (v.unit && unit) {
      try {
        const u = m.unit(value, unit) as Unit;
        if (!u.equalBase(m.unit(`1 ${v.unit}`) as Unit)) continue;
        stated = u.toNumber(v.unit);
        res = Math.abs((m.unit(value + res, unit) as Unit).toNumber(v.unit) - stated);
      } catch {
        continue;
      }
    } else if (v.unit && !unit) {
      // A bare number: only a constant with one usual unit is read without it.
      if (!c.bareUnit || c.bareUnit !== v.unit) continue;
    } else if (!v.unit && unit && !perMole(unit)) {
      continue;
    }
    comparable = true;
    // The written precision counts, up to a quarter of the value ("about 1 km/s" is not 343 m/s);
    // a count's is its own unless it is a round number ("about 200 bones").
    if (c.count && value % 10 !== 0) res = 0;
    const tol = Math.max(Math.min(res * 2, Math.abs(v.value) * 0.25), Math.abs(v.value) * c.relTol, 1e-300);
    if (Math.abs(stated - v.value) <= tol) return true;
  }
  return comparable ? false : null;
}

/**
 * Verifier: well-known constants and dates stated in the text are right; with `context` (the
 * prompt) asking when a known event happened, the years the text gives include the event's.
 * Null when it states none.
 */
export function checkConstantsInText(text: string, context?: string): CheckResult | null {
  return claimsResult(
    "constants",
    findConstantClaims(text, context),
    (c) => c.holds,
    (c) =>
      c.kind === "date"
        ? `wrong date: ${c.name} was in ${c.expected}, not ${c.stated} ("${c.text.slice(0, 100)}")`
        : c.kind === "element"
          ? `wrong fact: ${c.name} is ${c.expected}, not ${c.stated} ("${c.text.slice(0, 100)}")`
          : c.wrongUnit
            ? `wrong unit for ${c.name}: ${c.stated} is the right number in another unit (it is ${c.expected})`
            : `wrong value of ${c.name}: ${c.stated} (it is ${c.expected})`,
    (c) => (c.wrongUnit ? "wrong_unit" : "wrong_fact"),
  );
}
