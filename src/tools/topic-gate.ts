import { contentWords, stem } from "../core/text.js";
import { type CheckResult, pass } from "./check.js";
import { defectResult, SCAN_CHARS } from "./text-gate.js";

/**
 * The on-topic check of the review gate. Sharing a word with the topic is not enough
 * ("python" the snake in a Python run, "index" funds in a run on SQL indexes), and a
 * correct row often shares no word with it ("Why does sodium chloride have a high melting
 * point?" in a run on chemical bonding). So the check places the topic and the row in
 * broad subject areas with a vocabulary per area (a keyword classifier: general school and
 * professional vocabulary, not tuned to any row), and, first, compares the row with the
 * run's own vocabulary: its topic, sub-topic and ground-truth passages (see
 * {@link checkOnTopic}).
 */

/** Broad subject areas and their vocabulary (singular forms; matched on stems). */
export const SUBJECT_AREAS: Record<string, string> = {
  programming:
    "programming program programmer code coding software developer function variable loop list tuple dictionary dict set class object method attribute string integer float boolean array compile compiler interpreter syntax module package library import exception error debug debugger decorator python java javascript typescript rust golang kotlin swift runtime algorithm recursion recursive iterator generator lambda closure api callable argument parameter return script thread async await memory pointer stack queue heap hash sort sorting search complexity binary bit byte git repository framework immutable mutable index slice type typing",
  databases:
    "sql query table database row column select join index primary foreign key transaction commit rollback schema insert update delete constraint normalisation normalization acid isolation lock postgres postgresql mysql sqlite clause aggregate view trigger where group order record relational nosql spreadsheet excel worksheet countif countifs sumif sumifs averageif vlookup xlookup hlookup pivot",
  chemistry:
    "chemistry chemical atom atomic molecule molecular ion ionic covalent bond bonding electron proton neutron element compound reaction react acid base alkali ph mole molar solution solvent solute catalyst oxidation reduction redox equilibrium enthalpy entropy periodic isotope carbon hydrogen oxygen nitrogen sodium chlorine chloride organic alkane alkene alkyl polymer lattice valence orbital concentration titration gas stoichiometry nucleophile nucleophilic substrate carbocation halide ester electronegativity ionisation ionization metal salt precipitate",
  physics:
    "physics force energy mass velocity acceleration momentum gravity gravitational newton joule watt power current voltage resistance resistor circuit ohm charge electric electrical magnetic field wave frequency wavelength light photon quantum relativity thermodynamics heat work kinetic potential friction speed distance density motion particle nuclear radiation optics lens battery capacitor kilowatt calorie",
  biology:
    "biology biological cell cellular dna rna gene genetic protein enzyme organism species evolution photosynthesis chlorophyll plant leaf leaves animal mitochondria mitochondrion membrane tissue organ chromosome mutation ecosystem bacteria bacterium virus metabolism respiration pigment genome mammal bird prey predator habitat reptile snake constrictor feed feeding diet insect fungus meiosis mitosis nucleus chloroplast thylakoid glucose atp stomata root seed flower pollen hormone neuron muscle immune antibody haemoglobin hemoglobin",
  medicine:
    "medicine medical physiology anatomy patient disease symptom diagnosis treatment drug dose dosage blood heart pulse vital clinical clinician therapy infection vaccine hospital doctor nurse medication chronic acute inhibitor hypertension kidney lung respiratory health illness pain fever cough antibiotic surgery prescription prescribe prescriber pharmacy pharmacist pharmacology pharmacological paracetamol acetaminophen ibuprofen aspirin morphine insulin tablet capsule syringe intravenous injection infusion formulary overdose toxicity allergy allergic contraindication nursing dosing paediatric pediatric breathe breathing breath exercise muscle",
  mathematics:
    "mathematics math maths equation probability percentage percent fraction integer number sum product derivative integral algebra geometry triangle angle area volume ratio proportion mean median mode variance statistics matrix vector prime theorem proof solve linear quadratic dice die coin random average formula graph polygon hexagon circle radius factor",
  economics:
    "economy economic economics market price inflation gdp trade currency exchange interest bank banking loan tax investment investor stock share fund money monetary fiscal demand supply unemployment recession growth capital income wage debt deficit fee card payment insurance dividend portfolio expense saving finance financial mortgage credit",
  history:
    "history historical historian war empire emperor king queen revolution treaty century dynasty colonial colony soviet ussr cold nuclear ally allied republic monarchy battle army independence president government politics political regime communist communism capitalism medieval ancient reign civilisation civilization nato berlin missile superpower province conquest conquer siege sack invasion invade legion senate consul pharaoh territory kingdom crusade feudal baron rebellion revolt ruler dictator parliament charter",
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

/** Words of a row or a topic that name no subject (question words, "explain", "example"...). */
const GENERIC_WORDS = new Set(
  (
    "what which how why when where who whose does do did is are was were can could would should will " +
    "write show find calculate compute determine given give list name state tell explain describe please " +
    "brief briefly short simple main important difference differ different type kind way ways part parts " +
    "thing things mean meaning means make made work works happen happens example answer question problem " +
    "value result use uses using used need want get good best better first second one two three many much " +
    "more most less also only just like often usually about around between each every other such same new " +
    "introduction overview basic basics concept concepts idea ideas topic student students level help " +
    "time times year years day days number numbers large small high low long contain contains"
  )
    .split(/\s+/)
    .map((w) => stem(w)),
);

/** The subject words of a text: stemmed content words, 3+ letters, no numbers, no generic words. */
export function subjectTerms(text: string): string[] {
  return [
    ...new Set(
      contentWords(text.slice(0, SCAN_CHARS)).filter(
        (w) => w.length > 2 && !/^\d/.test(w) && !GENERIC_WORDS.has(w),
      ),
    ),
  ];
}

/** True when two stemmed words share a stem of 5+ letters (chemistry ~ chemical). */
function related(a: string, b: string): boolean {
  if (a === b) return true;
  const n = Math.min(a.length, b.length);
  if (n < 5) return false;
  const k = Math.max(5, Math.min(n, Math.floor(Math.max(a.length, b.length) * 0.6)));
  return a.slice(0, k) === b.slice(0, k);
}

/** The terms of `terms` that a vocabulary holds (exactly or by a shared 5+ letter stem). */
export function sharedTerms(terms: string[], vocabulary: Set<string>): string[] {
  const byPrefix = new Map<string, string[]>();
  for (const v of vocabulary) {
    if (v.length < 5) continue;
    const k = v.slice(0, 5);
    byPrefix.set(k, [...(byPrefix.get(k) ?? []), v]);
  }
  return terms.filter(
    (t) =>
      vocabulary.has(t) || (t.length >= 5 && (byPrefix.get(t.slice(0, 5)) ?? []).some((v) => related(t, v))),
  );
}

/** Subject words the run's ground truth must hold before it can judge a row on its own. */
export const MIN_GROUND_TRUTH_TERMS = 12;

/**
 * On topic: the example is about the run's topic. Two kinds of evidence, both general:
 *
 * 1. **The run's own vocabulary**: the subject words of the topic, the sub-topic and the
 *    ground-truth passages the run researched for it (the user's corpus notes included).
 *    A row that shares a fair share of its subject words with them is on topic whatever
 *    subject area the words belong to (a run on "synthetic xenobiology" with the user's own
 *    notes) unless the topic's own words name another area clearly; a row that shares almost
 *    none (at most two words and under 10% of its subject words, none of its prompt's beyond
 *    the topic's keywords, and at most one or two words of the topic's subject areas) is off
 *    topic when the ground truth is rich enough to judge ({@link MIN_GROUND_TRUTH_TERMS}).
 * 2. **Subject areas** (without ground truth): the row's vocabulary belongs clearly (3+
 *    words, three times as many) to an area that is not the topic's or a neighbour's and at
 *    most one of its words to the topic's area; or it holds not one word of the topic's
 *    areas and their neighbours, nor of the topic and sub-topic, over 15+ subject words with
 *    3+ in the prompt (English rows only).
 *
 * No decision (null) without a topic, or when there is no ground truth and the topic names
 * no area this check knows.
 */
export function checkOnTopic(input: {
  topic?: string | undefined;
  subTopic?: string | undefined;
  prompt: string;
  answer: string;
  /** The run's ground-truth passages for the row (research results, the user's corpus). */
  groundTruth?: string[] | undefined;
  /**
   * ISO 639-1 code of the language the rows are written in (default English). The
   * vocabularies are English: in another language only a clear verdict of the subject
   * areas counts.
   */
  language?: string | undefined;
}): CheckResult | null {
  if (!input.topic?.trim()) return null;
  const topicText = `${input.topic} ${input.subTopic ?? ""}`;
  const where = `the run's topic "${input.topic}"${input.subTopic ? ` (sub-topic "${input.subTopic}")` : ""}`;
  // A run on one programming language whose row's code is all in another.
  const wanted = languageNamed(topicText);
  const written = wanted ? codeLanguages(input.answer.slice(0, SCAN_CHARS)) : [];
  const kin = (l: string) => (l === "TypeScript" ? "JavaScript" : l);
  if (wanted && written.length > 0 && !written.some((l) => kin(l) === kin(wanted)))
    return defectResult(
      "on_topic",
      "off_topic",
      [`not about ${where}: its code is ${written.join(" and ")}, not ${wanted}; write about the topic`],
      0,
      { wanted, written },
    );
  const rowTerms = subjectTerms(`${input.prompt}\n${input.answer}`);
  const promptTerms = subjectTerms(input.prompt);
  const truth = (input.groundTruth ?? []).join("\n");
  const truthTerms = subjectTerms(truth);
  const vocabulary = new Set([...subjectTerms(topicText), ...truthTerms]);
  const shared = sharedTerms(rowTerms, vocabulary);
  const share = rowTerms.length ? shared.length / rowTerms.length : 0;
  const vocabDetails = { sharedTerms: shared.slice(0, 12), share: Math.round(share * 100) / 100 };
  const english = (input.language ?? "en").toLowerCase().startsWith("en");
  const topicHits = areaHits(topicText);
  const most = Math.max(...Object.values(topicHits));
  const topicAreas = Object.entries(topicHits)
    .filter(([, n]) => n > 0 && n === most)
    .map(([a]) => a);
  // The topic's own words do not count for the row: a shared keyword ("python", "index",
  // "cold") is exactly what an off-topic row has in common with the topic.
  const own = new Set(contentWords(topicText));
  const row = areaHits(`${input.prompt}\n${input.answer}`, own);
  const near = new Set(topicAreas.flatMap((a) => [a, ...(NEIGHBOURS[a] ?? [])]));
  const nearHits = [...near].reduce((n, a) => n + (row[a] ?? 0), 0);
  const ownHits = topicAreas.reduce((n, a) => n + (row[a] ?? 0), 0);
  if (english && truthTerms.length >= MIN_GROUND_TRUTH_TERMS && rowTerms.length >= 6) {
    // Judged against the run's own ground truth. Its vocabulary overrules the subject areas
    // unless the topic's own words name its area clearly (2+ words): then a passage that
    // shares a keyword with the topic ("Java" the island in a run on Java) does not make a
    // row about something else on topic. A row is off topic when it shares almost nothing
    // with the ground truth and at most one word with the topic's subject areas.
    const promptShared = sharedTerms(promptTerms, vocabulary);
    if (share >= 0.15 && promptShared.length > 0 && most < 2)
      return pass("on_topic", { ...vocabDetails, by: "ground truth" });
    // The prompt's own words the sources hold, beyond the topic's keywords: an on-topic
    // question written simply still asks about the sources' subject.
    const topicOwn = new Set(subjectTerms(topicText));
    const promptTruth = sharedTerms(
      promptTerms.filter((t) => sharedTerms([t], topicOwn).length === 0),
      new Set(truthTerms),
    );
    if (
      shared.length <= 2 &&
      share < 0.1 &&
      promptTruth.length === 0 &&
      ownHits <= (shared.length === 0 ? 2 : 1)
    )
      return defectResult(
        "on_topic",
        "off_topic",
        [
          `not about ${where}: it shares ${shared.length ? `only ${shared.map((w) => `"${w}"`).join(", ")}` : "no subject word"} with the topic and its sources; write about the topic`,
        ],
        0,
        { ...vocabDetails, by: "ground truth" },
      );
  }
  if (topicAreas.length === 0) return truthTerms.length ? pass("on_topic", vocabDetails) : null;
  // Many of the ground truth's own subject words (names, places, terms), not one keyword:
  // the row is about what the sources are about, whatever broad area its words suggest
  // ("Carthage", "Sicily", "Hannibal", "Cannae" beside "sea" and "islands").
  if (
    english &&
    truthTerms.length >= MIN_GROUND_TRUTH_TERMS &&
    shared.length >= 8 &&
    share >= 0.2 &&
    aboutTopic(truth, topicAreas, near)
  )
    return pass("on_topic", { ...vocabDetails, by: "ground truth" });
  const mine = Math.max(...topicAreas.map((a) => row[a] ?? 0));
  const [other, otherHits] = Object.entries(row)
    .filter(([a]) => !near.has(a))
    .sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
  const details = { topicAreas, rowAreas: row, ...vocabDetails };
  if (mine <= 1 && otherHits >= 3 && otherHits >= 3 * Math.max(1, mine))
    return defectResult(
      "on_topic",
      "off_topic",
      [`not about ${where}: it is about ${other}; write about the topic`],
      0,
      details,
    );
  if (english && nearHits === 0 && shared.length === 0 && rowTerms.length >= 15 && promptTerms.length >= 3)
    return defectResult(
      "on_topic",
      "off_topic",
      [`not about ${where}: it uses none of the words of ${topicAreas.join(" or ")}; write about the topic`],
      0,
      details,
    );
  return pass("on_topic", details);
}

/**
 * Whether ground truth is itself in the topic's subject areas: it uses their words at least
 * as much as any unrelated area's (passages on Java the island, found for a run on Java,
 * are not).
 */
function aboutTopic(truth: string, topicAreas: string[], near: Set<string>): boolean {
  const hits = areaHits(truth);
  const mine = Math.max(0, ...topicAreas.map((a) => hits[a] ?? 0));
  const other = Math.max(
    0,
    ...Object.entries(hits)
      .filter(([a]) => !near.has(a))
      .map(([, n]) => n),
  );
  return mine > 0 && mine >= other;
}

/** Programming languages by the names and code-fence tags they go by. */
const PROGRAMMING_LANGUAGES: Record<string, string> = {
  python: "Python",
  py: "Python",
  python3: "Python",
  rust: "Rust",
  rs: "Rust",
  javascript: "JavaScript",
  js: "JavaScript",
  "node.js": "JavaScript",
  typescript: "TypeScript",
  ts: "TypeScript",
  java: "Java",
  golang: "Go",
  go: "Go",
  "c++": "C++",
  cpp: "C++",
  "c#": "C#",
  csharp: "C#",
  ruby: "Ruby",
  kotlin: "Kotlin",
  swift: "Swift",
  haskell: "Haskell",
  php: "PHP",
  scala: "Scala",
  r: "R",
};

/** The programming language a run's topic names ("Rust programming"), or null. "Go" counts only as "golang". */
function languageNamed(topicText: string): string | null {
  // "R" is a language only as a capital letter on its own ("R programming", "plots in R").
  if (/(?:^|[\s(])R(?=$|[\s),.:;])/.test(topicText)) return "R";
  for (const m of topicText.toLowerCase().matchAll(/[a-z][a-z0-9+#.]*/g)) {
    const w = m[0].replace(/\.$/, "");
    if (w === "go" || w === "ts" || w === "js" || w === "py" || w === "rs") continue;
    if (PROGRAMMING_LANGUAGES[w]) return PROGRAMMING_LANGUAGES[w]!;
  }
  return null;
}

/** The programming languages of a text's tagged code fences (data and shell tags are not languages). */
function codeLanguages(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/```([\w+#.-]+)/g)) {
    const lang = PROGRAMMING_LANGUAGES[m[1]!.toLowerCase()];
    if (lang) out.add(lang);
  }
  return [...out];
}
