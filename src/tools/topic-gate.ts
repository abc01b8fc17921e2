import { contentWords, stem } from "../core/text.js";
import { type CheckResult, pass } from "./check.js";
import { defectResult, SCAN_CHARS } from "./text-gate.js";

/**
 * The on-topic check of the review gate. Sharing a word with the topic is not enough
 * ("python" the snake in a Python run, "index" funds in a run on SQL indexes), and a
 * correct row often shares no word with it ("Why does sodium chloride have a high melting
 * point?" in a run on chemical bonding). So the check places the topic and the row in
 * broad subject areas with a vocabulary per area (a keyword classifier: general school and
 * professional vocabulary, not tuned to any row), and calls a row off topic only when its
 * vocabulary is clearly another area's and at most one of its words is the topic's area's.
 */

/** Broad subject areas and their vocabulary (singular forms; matched on stems). */
export const SUBJECT_AREAS: Record<string, string> = {
  programming:
    "programming program programmer code coding software developer function variable loop list tuple dictionary dict set class object method attribute string integer float boolean array compile compiler interpreter syntax module package library import exception error debug debugger decorator python java javascript typescript rust golang kotlin swift runtime algorithm recursion recursive iterator generator lambda closure api callable argument parameter return script thread async await memory pointer stack queue heap hash sort sorting search complexity binary bit byte git repository framework immutable mutable index slice type typing",
  databases:
    "sql query table database row column select join index primary foreign key transaction commit rollback schema insert update delete constraint normalisation normalization acid isolation lock postgres postgresql mysql sqlite clause aggregate view trigger where group order record relational nosql",
  chemistry:
    "chemistry chemical atom atomic molecule molecular ion ionic covalent bond bonding electron proton neutron element compound reaction react acid base alkali ph mole molar solution solvent solute catalyst oxidation reduction redox equilibrium enthalpy entropy periodic isotope carbon hydrogen oxygen nitrogen sodium chlorine chloride organic alkane alkene alkyl polymer lattice valence orbital concentration titration gas stoichiometry nucleophile nucleophilic substrate carbocation halide ester electronegativity ionisation ionization metal salt precipitate",
  physics:
    "physics force energy mass velocity acceleration momentum gravity gravitational newton joule watt power current voltage resistance resistor circuit ohm charge electric electrical magnetic field wave frequency wavelength light photon quantum relativity thermodynamics heat work kinetic potential friction speed distance density motion particle nuclear radiation optics lens battery capacitor kilowatt calorie",
  biology:
    "biology biological cell cellular dna rna gene genetic protein enzyme organism species evolution photosynthesis chlorophyll plant leaf leaves animal mitochondria mitochondrion membrane tissue organ chromosome mutation ecosystem bacteria bacterium virus metabolism respiration pigment genome mammal bird prey predator habitat reptile snake constrictor feed feeding diet insect fungus meiosis mitosis nucleus chloroplast thylakoid glucose atp stomata root seed flower pollen hormone neuron muscle immune antibody haemoglobin hemoglobin",
  medicine:
    "medicine medical physiology anatomy patient disease symptom diagnosis treatment drug dose dosage blood heart pulse vital clinical clinician therapy infection vaccine hospital doctor nurse medication chronic acute inhibitor hypertension kidney lung respiratory health illness pain fever cough antibiotic surgery",
  mathematics:
    "mathematics math maths equation probability percentage percent fraction integer number sum product derivative integral algebra geometry triangle angle area volume ratio proportion mean median mode variance statistics matrix vector prime theorem proof solve linear quadratic dice die coin random average formula graph polygon hexagon circle radius factor",
  economics:
    "economy economic economics market price inflation gdp trade currency exchange interest bank banking loan tax investment investor stock share fund money monetary fiscal demand supply unemployment recession growth capital income wage debt deficit fee card payment insurance dividend portfolio expense saving finance financial mortgage credit",
  history:
    "history historical historian war empire emperor king queen revolution treaty century dynasty colonial colony soviet ussr cold nuclear ally allied republic monarchy battle army independence president government politics political regime communist communism capitalism medieval ancient reign civilisation civilization nato berlin missile superpower",
  earth:
    "geography weather climate front air atmospheric cloud rain storm thunderstorm humidity precipitation plate tectonic earthquake volcano volcanic river mountain ocean sea island continent erosion population country city lake desert glacier coast coastal atmosphere wind rock mineral soil",
};

/** Areas whose subjects overlap (a chemistry row in a biology run can be on topic). */
const NEIGHBOURS: Record<string, string[]> = {
  programming: ["databases", "mathematics"],
  databases: ["programming"],
  chemistry: ["physics", "biology", "medicine", "earth"],
  physics: ["chemistry", "mathematics", "earth"],
  biology: ["chemistry", "medicine", "earth"],
  medicine: ["biology", "chemistry"],
  mathematics: ["physics", "programming", "economics"],
  economics: ["history", "mathematics"],
  history: ["economics"],
  earth: ["physics", "chemistry", "biology"],
};

const AREA_TERMS: Map<string, Set<string>> = new Map(
  Object.entries(SUBJECT_AREAS).map(([area, words]) => [
    area,
    new Set(words.split(/\s+/).map((w) => stem(w))),
  ]),
);

/** Distinct vocabulary words of each subject area found in a text. */
export function areaHits(text: string, ignore?: Set<string>): Record<string, number> {
  const words = new Set(contentWords(text.slice(0, SCAN_CHARS)).filter((w) => !ignore?.has(w)));
  const out: Record<string, number> = {};
  for (const [area, terms] of AREA_TERMS) {
    let n = 0;
    for (const w of words) if (terms.has(w)) n++;
    out[area] = n;
  }
  return out;
}

/**
 * On topic: the example's subject area is the run's topic's. Off topic when the row's
 * vocabulary belongs clearly (3+ words, three times as many) to another area and at most
 * one of its words to the topic's area. No decision (null) without a topic, or when the
 * topic names no area this check knows.
 */
export function checkOnTopic(input: {
  topic?: string | undefined;
  subTopic?: string | undefined;
  prompt: string;
  answer: string;
}): CheckResult | null {
  if (!input.topic?.trim()) return null;
  const topicHits = areaHits(`${input.topic} ${input.subTopic ?? ""}`);
  const most = Math.max(...Object.values(topicHits));
  const topicAreas = Object.entries(topicHits)
    .filter(([, n]) => n > 0 && n === most)
    .map(([a]) => a);
  if (topicAreas.length === 0) return null;
  // The topic's own words do not count for the row: a shared keyword ("python", "index",
  // "cold") is exactly what an off-topic row has in common with the topic.
  const own = new Set(contentWords(`${input.topic} ${input.subTopic ?? ""}`));
  const row = areaHits(`${input.prompt}\n${input.answer}`, own);
  const mine = Math.max(...topicAreas.map((a) => row[a] ?? 0));
  const near = new Set(topicAreas.flatMap((a) => [a, ...(NEIGHBOURS[a] ?? [])]));
  const [other, otherHits] = Object.entries(row)
    .filter(([a]) => !near.has(a))
    .sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
  const details = { topicAreas, rowAreas: row };
  if (mine <= 1 && otherHits >= 3 && otherHits >= 3 * Math.max(1, mine))
    return defectResult(
      "on_topic",
      "off_topic",
      [
        `not about the run's topic "${input.topic}"${input.subTopic ? ` (sub-topic "${input.subTopic}")` : ""}: it is about ${other}; write about the topic`,
      ],
      0,
      details,
    );
  return pass("on_topic", details);
}
