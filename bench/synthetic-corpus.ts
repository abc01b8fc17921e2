/**
 * A synthetic corpus for the engine benchmarks: as many distinct notes as a run needs,
 * so that every stage of the default pipeline (question writer, research, generation,
 * review with its dedup) does real work on distinct material at any N.
 *
 * The corpus is about a made-up field ("xenobiology") with its {@link SUBJECTS} branches as
 * subject folders. Each subject folder holds an overview note and numbered notes of
 * {@link TERMS_PER_NOTE} terms each. A term is a pronounceable pseudo-word built
 * bijectively from its index (so every term is one unique token that no other term
 * shares), and its paragraph states made-up facts about it (numbers drawn from a
 * generator seeded by the index), opening with "<Term> is …" like an encyclopedic note.
 * Every note carries CC0 front matter, so the licence policy admits it.
 *
 *   npx tsx bench/synthetic-corpus.ts 2000 /tmp/corpus     # writes the corpus, prints its summary
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seededRng } from "../src/core/random.js";

/** The topic of the corpus (what a benchmark run asks for). */
export const SYNTHETIC_TOPIC = "xenobiology";

/** Subject folders: the branches of the made-up field. */
export const SUBJECTS = [
  "botany",
  "zoology",
  "mycology",
  "ecology",
  "genetics",
  "physiology",
  "ethology",
  "palaeontology",
] as const;

/** Terms (paragraphs) per numbered note. */
export const TERMS_PER_NOTE = 4;

const ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z"];
const VOWELS = ["a", "e", "i", "o", "u"];
const CODAS = ["n", "r", "x", "l", "m", "k", "s"];
const SYLLABLES = ONSETS.flatMap((o) => VOWELS.map((v) => o + v)); // 70
/** Distinct terms {@link pseudoWord} can make: 70³ × 7. */
export const PSEUDO_WORD_SPACE = SYLLABLES.length ** 3 * CODAS.length;
// A multiplier coprime with the space scatters consecutive indexes over the whole space,
// so neighbouring terms do not differ by one letter (local search matches fuzzily).
const SCATTER = 1_000_003;

/**
 * The `i`-th pseudo-word (0 ≤ i < {@link PSEUDO_WORD_SPACE}): three consonant-vowel
 * syllables and a closing consonant, e.g. "bavoluk". Bijective: distinct indexes give
 * distinct words.
 */
export function pseudoWord(i: number): string {
  if (!Number.isInteger(i) || i < 0 || i >= PSEUDO_WORD_SPACE)
    throw new RangeError(`index ${i} out of range`);
  let x = Number((BigInt(i) * BigInt(SCATTER) + 7n) % BigInt(PSEUDO_WORD_SPACE));
  const coda = CODAS[x % CODAS.length]!;
  x = Math.floor(x / CODAS.length);
  const s3 = SYLLABLES[x % SYLLABLES.length]!;
  x = Math.floor(x / SYLLABLES.length);
  const s2 = SYLLABLES[x % SYLLABLES.length]!;
  x = Math.floor(x / SYLLABLES.length);
  const s1 = SYLLABLES[x]!;
  return s1 + s2 + s3 + coda;
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

const KINDS: Record<(typeof SUBJECTS)[number], string[]> = {
  botany: ["creeping frond", "spore-bearing shrub", "floating reed", "lichen-like mat", "vine"],
  zoology: ["burrowing grazer", "six-limbed climber", "filter-feeding swimmer", "gliding hunter"],
  mycology: ["mould", "bracket fungus", "puffball", "mycelial network", "yeast"],
  ecology: ["wetland community", "symbiotic guild", "scree habitat", "canopy niche"],
  genetics: ["gene cluster", "repeat element", "regulatory switch", "plasmid family"],
  physiology: ["gill organ", "heat-exchange tissue", "nerve plexus", "storage gland"],
  ethology: ["courtship display", "foraging rhythm", "alarm call", "nesting habit"],
  palaeontology: ["fossil bed", "trace fossil", "index fossil", "amber inclusion"],
};
const COLOURS = ["ochre", "violet", "slate-grey", "amber", "teal", "crimson", "pale green", "umber"];
const SITES = [
  "basalt terraces",
  "salt flats",
  "cave systems",
  "tidal marshes",
  "high plateaus",
  "ice shelves",
];
const RESOURCES = ["dissolved sulphur", "filtered light", "trace copper", "meltwater", "wind-borne pollen"];
const TRAITS = [
  "a spiral growth pattern",
  "paired sensory pits",
  "a waxy outer layer",
  "a segmented core",
  "translucent plates",
  "a double membrane",
];
const ROLES = [
  "recycling nitrogen into the soil",
  "stabilising loose sediment",
  "feeding larger grazers",
  "spreading spores over long distances",
  "buffering sudden temperature swings",
];
const USES = [
  "as a marker of clean water",
  "to date rock layers",
  "as a model in field courses",
  "to monitor seasonal change",
  "as a reference in collection catalogues",
];
const MYTHS = [
  "is dangerous to handle",
  "lives only in darkness",
  "is a single organism",
  "appeared only recently",
  "cannot survive being frozen",
];

/** The paragraph about term `i` of `subject` (made-up facts, seeded by `i`). */
export function termParagraph(i: number, subject: (typeof SUBJECTS)[number]): string {
  const r = seededRng(i * 2654435761 + 17);
  const t = pseudoWord(i);
  const T = cap(t);
  const n = (lo: number, hi: number, digits = 0) => (lo + r() * (hi - lo)).toFixed(digits);
  const year = 1850 + Math.floor(r() * 170);
  const kind = pick(r, KINDS[subject]);
  const sentences = [
    `${T} is a ${kind} studied in ${subject}, a branch of ${SYNTHETIC_TOPIC}, first recorded in ${year} on the ${pick(r, SITES)}.`,
    `A mature ${t} measures ${n(2, 90, 1)} centimetres across and is ${pick(r, COLOURS)} with ${pick(r, TRAITS)}.`,
    `The defining features of ${t} are a ${n(3, 40)}-day cycle and a tolerance of ${n(-40, 5)} to ${n(20, 70)} degrees.`,
    `Its role in ${subject} is ${pick(r, ROLES)}, and it depends on ${pick(r, RESOURCES)} at densities near ${n(5, 900)} per square metre.`,
    `In practice ${t} is used ${pick(r, USES)}; about ${n(2, 60)} percent of surveyed sites report it.`,
    `A common misconception is that ${t} ${pick(r, MYTHS)}, yet records from ${n(3, 80)} expeditions show otherwise.`,
  ];
  // Vary the order of the middle sentences so paragraphs do not share long runs of words.
  const middle = sentences.slice(1);
  for (let k = middle.length - 1; k > 0; k--) {
    const j = Math.floor(r() * (k + 1));
    [middle[k], middle[j]] = [middle[j]!, middle[k]!];
  }
  return [sentences[0], ...middle].join(" ");
}

function overview(subject: (typeof SUBJECTS)[number]): string {
  const S = cap(subject);
  const T = SYNTHETIC_TOPIC;
  // Short paragraphs that name the topic often: a search for the topic ranks the
  // overviews first, so a plan's sub-topics are the subjects.
  return [
    `${S} is the branch of ${T} that studies ${KINDS[subject].slice(0, 3).join(", ")} and related forms.`,
    `In ${T}, ${subject} is one of eight branches; ${T} surveys record its forms in collection catalogues.`,
    `Work in ${subject} combines ${T} field surveys with the collection catalogues of ${T}.`,
    `Every term of ${subject} names one documented form of ${T}, described in the ${subject} notes.`,
  ].join("\n\n");
}

const FRONT = (title: string) =>
  [
    "---",
    `title: "${title}"`,
    `subject: ${SYNTHETIC_TOPIC}`,
    "authors: [synthforge benchmarks]",
    "licence: CC0-1.0",
    "published: 2026-01-01",
    "---",
    "",
  ].join("\n");

/** What {@link writeSyntheticCorpus} wrote. */
export interface SyntheticCorpus {
  dir: string;
  topic: string;
  terms: number;
  notes: number;
  bytes: number;
}

/**
 * Writes a corpus of `terms` distinct terms (spread evenly over the subject folders,
 * {@link TERMS_PER_NOTE} per note) into `dir` (default: a new temp folder).
 */
export function writeSyntheticCorpus(opts: { terms: number; dir?: string }): SyntheticCorpus {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "sf-synthetic-corpus-"));
  let notes = 0;
  let bytes = 0;
  const write = (path: string, text: string) => {
    writeFileSync(path, text);
    notes++;
    bytes += Buffer.byteLength(text);
  };
  const perSubject = Math.ceil(opts.terms / SUBJECTS.length);
  SUBJECTS.forEach((subject, s) => {
    const folder = join(dir, subject);
    mkdirSync(folder, { recursive: true });
    write(
      join(folder, `${SYNTHETIC_TOPIC}-${subject}-overview.md`),
      `${FRONT(cap(subject))}${overview(subject)}\n`,
    );
    const first = s * perSubject;
    const last = Math.min(opts.terms, first + perSubject);
    for (let start = first, note = 1; start < last; start += TERMS_PER_NOTE, note++) {
      const ids = Array.from({ length: Math.min(TERMS_PER_NOTE, last - start) }, (_, k) => start + k);
      const title = `${cap(subject)} notes ${note}`;
      const body = ids.map((i) => termParagraph(i, subject)).join("\n\n");
      write(join(folder, `${subject}-notes-${String(note).padStart(5, "0")}.md`), `${FRONT(title)}${body}\n`);
    }
  });
  return { dir, topic: SYNTHETIC_TOPIC, terms: opts.terms, notes, bytes };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const terms = Number(process.argv[2] ?? 1000);
  console.log(
    JSON.stringify(writeSyntheticCorpus({ terms, ...(process.argv[3] ? { dir: process.argv[3] } : {}) })),
  );
}
