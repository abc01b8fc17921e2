import { readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runAgentTask } from "../agents/agent-task.js";
import {
  type IntakeOutput,
  intakeTask,
  type PlanInput,
  type PlanOutput,
  planTask,
} from "../agents/orchestrator.js";
import { describeError, SynthforgeError } from "../core/errors.js";
import {
  languageCode,
  parseCount,
  parseTrainingType,
  type RequestReading,
  readRequest,
} from "../core/request.js";
import { contentWords, coverage } from "../core/text.js";
import {
  type GenerationSpec,
  isBuiltinTrainingType,
  type Passage,
  type Plan,
  type RequestConstraints,
  type SourceDocument,
  type SubTopic,
  type TrainingTypeName,
  type Usage,
} from "../core/types.js";
import type { UsageSink } from "../models/middleware.js";
import { offlineProvider } from "../models/offline.js";
import { type CostEstimate, estimateRunCost } from "../models/pricing.js";
import { ModelRouter } from "../models/router.js";
import { corpusSource } from "../sources/corpus.js";
import { type LicencePolicy, licencePolicy as makeLicencePolicy } from "../sources/licence.js";
import { splitFrontMatter, toPassages } from "../sources/passages.js";
import {
  catalogueSourceIds,
  DEFAULT_DOMAIN_SOURCES,
  sourceIdKey,
  sourcesForDomain,
} from "../sources/selection.js";
import type { SearchOptions, SourceAdapter } from "../sources/types.js";
import type { TrainingType } from "../training-types/types.js";
import { agentUntilValid, type RunContext } from "./context.js";
import { processRegistry, type Registry } from "./registry.js";
import { runSearches, SearchCache } from "./search-cache.js";
import type { RunStage } from "./stage.js";

/** A question the pipeline asks when the request leaves something out. */
export interface ClarifyQuestion {
  field: "count" | "trainingType" | "topic";
  question: string;
  /** The value `--yes` (or an empty answer) takes. */
  default: string;
  choices?: string[];
}

/** Answers the clarifying questions: field → answer (an empty answer takes the default). */
export type ClarifyFn = (
  questions: ClarifyQuestion[],
) => Promise<Partial<Record<ClarifyQuestion["field"], string>>>;

/** What `pipeline.run` accepts: a free-text request, or the spec's fields directly. */
export type RunRequest =
  | string
  | { request?: string; count?: number; trainingType?: TrainingTypeName; topic?: string };

/** Defaults used when a clarifying question is answered with nothing (or `--yes`). */
export const SPEC_DEFAULTS = { count: 10, trainingType: "sft", topic: "general science" } as const;

const QUESTIONS: Record<ClarifyQuestion["field"], Omit<ClarifyQuestion, "field">> = {
  count: { question: "How many approved examples do you want?", default: String(SPEC_DEFAULTS.count) },
  trainingType: {
    question: "Which training type (sft, dpo, ppo, grpo, rlhf, kto, orpo, chat, qa)?",
    default: SPEC_DEFAULTS.trainingType,
    choices: ["sft", "dpo", "ppo", "grpo", "rlhf", "kto", "orpo", "chat", "qa"],
  },
  topic: { question: "What topic should the data cover?", default: SPEC_DEFAULTS.topic },
};

/** What the intake (a model, or the parser offline) read from a request. */
export interface IntakeReading extends Partial<GenerationSpec> {
  constraints?: RequestConstraints;
}

/** A request understood: the spec, the constraints, and where the intake and the parser disagreed. */
export interface ResolvedSpec {
  spec: GenerationSpec;
  /** The request text (or a description of the spec when there was none). */
  requestText: string;
  /** Answers to clarifying questions (or the defaults `--yes` took). */
  answered: Partial<Record<ClarifyQuestion["field"], string>>;
  /** Audience, language, style and must-include terms (empty when the request states none). */
  constraints: RequestConstraints;
  /**
   * Where the intake model read a clear value otherwise than the parser (a count in digits,
   * a training type by its own name, a language): the parser's value was kept. One line each.
   */
  disagreements: string[];
}

/**
 * Turns a request into a complete spec. The intake (the orchestrator's intake agent: a
 * model, or offline the parser itself) reads the request first; the parser
 * ({@link readRequest}) checks it: where the parser finds a clear value the model
 * contradicts (a count written in digits, a training type called by its name, a language),
 * the parser's value is kept and the disagreement returned. Fields passed directly win
 * over both. What is still missing is asked through `clarify`.
 *
 * @throws SynthforgeError `CLARIFICATION_NEEDED` naming the missing fields when there is
 *   no `clarify`; `INVALID_REQUEST` for a contradictory request ("5 DPO examples as SFT");
 *   `INVALID_COUNT` / `UNKNOWN_TRAINING_TYPE` for bad values.
 */
export async function resolveSpec(
  request: RunRequest,
  opts: {
    clarify?: ClarifyFn;
    force?: boolean;
    intake?: (text: string) => Promise<IntakeReading>;
    /** The training types the request may name (a pipeline's registry's); default the process's. */
    trainingTypes?: readonly string[];
  },
): Promise<ResolvedSpec> {
  const text = typeof request === "string" ? request : (request.request ?? "");
  const given = typeof request === "string" ? {} : request;
  const force = opts.force ?? false;
  const names = opts.trainingTypes;
  const parsed = readRequest(text, { force, ...(names ? { trainingTypes: names } : {}) });
  const read: IntakeReading = text.trim() && opts.intake ? await opts.intake(text) : {};
  const disagreements: string[] = [];
  const partial: Partial<GenerationSpec> = {};

  if (given.count !== undefined) partial.count = parseCount(given.count, { force });
  else partial.count = checkedCount(read.count, parsed, force, disagreements);
  if (given.trainingType !== undefined) partial.trainingType = parseTrainingType(given.trainingType, names);
  else partial.trainingType = checkedType(read.trainingType, parsed, disagreements, names);
  partial.topic = given.topic?.trim() || checkedTopic(read.topic, parsed, disagreements);
  const constraints = checkedConstraints(read.constraints, parsed, disagreements);

  const missing = (["count", "trainingType", "topic"] as const).filter((f) => partial[f] === undefined);
  const answered: Partial<Record<ClarifyQuestion["field"], string>> = {};
  if (missing.length) {
    if (!opts.clarify) {
      throw new SynthforgeError(
        "CLARIFICATION_NEEDED",
        `The request does not say the ${missing.map(fieldName).join(", ")}. Say it in the request (e.g. "Generate 50 SFT examples about organic chemistry"), pass it directly, or answer the questions (use --yes to take defaults).`,
        { details: { missing } },
      );
    }
    const answers = await opts.clarify(missing.map((field) => ({ field, ...QUESTIONS[field] })));
    for (const f of missing) {
      const a = answers[f]?.trim() || QUESTIONS[f].default;
      answered[f] = a;
      if (f === "count") partial.count = parseCount(a, { force });
      else if (f === "trainingType") partial.trainingType = parseTrainingType(a, names);
      else partial.topic = a;
    }
  }
  return {
    spec: partial as GenerationSpec,
    requestText: text || describeSpec(partial as GenerationSpec),
    answered,
    constraints,
    disagreements,
  };
}

/** The model's count, unless the request writes another one in digits (then the request's). */
function checkedCount(
  model: number | undefined,
  parsed: RequestReading,
  force: boolean,
  disagreements: string[],
): number | undefined {
  const valid = model !== undefined && Number.isInteger(model) && model > 0 ? model : undefined;
  if (valid === undefined) return parsed.count;
  if (parsed.count !== undefined && parsed.evidence.count?.digits && parsed.count !== valid) {
    disagreements.push(
      `count: the intake model read ${valid}, the request says "${parsed.evidence.count.text}"; kept ${parsed.count}`,
    );
    return parsed.count;
  }
  return parseCount(valid, { force });
}

/** The model's type, unless the request names another by its own name (then the request's). */
function checkedType(
  model: TrainingTypeName | undefined,
  parsed: RequestReading,
  disagreements: string[],
  names: readonly string[] | undefined,
): TrainingTypeName | undefined {
  if (!model) return parsed.trainingType;
  let type: TrainingTypeName;
  try {
    type = parseTrainingType(model, names);
  } catch {
    // A name that is no training type here: the parser's reading stands (or the clarifier asks).
    disagreements.push(
      `training type: the intake model read "${model}", which is not a training type here; kept ${parsed.trainingType ?? "none"}`,
    );
    return parsed.trainingType;
  }
  if (parsed.trainingType && parsed.evidence.trainingType?.named && parsed.trainingType !== type) {
    disagreements.push(
      `training type: the intake model read ${type}, the request names ${parsed.trainingType} ("${parsed.evidence.trainingType.text.join('", "')}"); kept ${parsed.trainingType}`,
    );
    return parsed.trainingType;
  }
  return type;
}

/** The model's topic, unless it holds the training type or the count (then the parser's, when it has one). */
function checkedTopic(
  model: string | undefined,
  parsed: RequestReading,
  disagreements: string[],
): string | undefined {
  const topic = model?.replace(/\s+/g, " ").trim();
  if (!topic) return parsed.topic;
  let polluted = false;
  try {
    const inTopic = readRequest(topic, { force: true });
    polluted = Boolean(inTopic.evidence.trainingType) || /^\d[\d,.]*\s/.test(topic);
  } catch {
    polluted = true;
  }
  if (polluted && parsed.topic && parsed.topic.toLowerCase() !== topic.toLowerCase()) {
    disagreements.push(
      `topic: the intake model read "${topic}", which holds the count or the training type; kept "${parsed.topic}"`,
    );
    return parsed.topic;
  }
  return topic;
}

/** The model's constraints, gaps filled from the parser's; a language the request names wins. */
function checkedConstraints(
  model: RequestConstraints | undefined,
  parsed: RequestReading,
  disagreements: string[],
): RequestConstraints {
  const p = parsed.constraints ?? {};
  const m = model ?? {};
  const out: RequestConstraints = {};
  const audience = m.audience?.trim() || p.audience;
  if (audience) out.audience = audience;
  let language = m.language?.trim() ? (languageCode(m.language) ?? undefined) : undefined;
  if (p.language && language && language !== p.language) {
    disagreements.push(
      `language: the intake model read "${m.language}", the request asks for "${p.language}"; kept ${p.language}`,
    );
    language = p.language;
  }
  language ??= p.language;
  if (language) out.language = language;
  const style = m.style?.trim() || p.style;
  if (style) out.style = style;
  const include = m.mustInclude?.map((t) => t.trim()).filter(Boolean);
  const mustInclude = include?.length ? include : p.mustInclude;
  if (mustInclude?.length) out.mustInclude = [...new Set(mustInclude)];
  return out;
}

function fieldName(f: ClarifyQuestion["field"]): string {
  return f === "trainingType" ? "training type" : f;
}

/** "Generate 10 SFT examples about organic chemistry". */
export function describeSpec(spec: GenerationSpec): string {
  return `Generate ${spec.count} ${spec.trainingType.toUpperCase()} examples about ${spec.topic}`;
}

/** The intake's output as {@link resolveSpec} wants it (nulls and non-positive counts dropped). */
export function intakeReading(output: IntakeOutput): IntakeReading {
  const c = output.constraints;
  const constraints: RequestConstraints = {};
  if (c?.audience?.trim()) constraints.audience = c.audience.trim();
  if (c?.language?.trim()) constraints.language = c.language.trim();
  if (c?.style?.trim()) constraints.style = c.style.trim();
  if (c?.mustInclude?.length) constraints.mustInclude = c.mustInclude;
  return {
    ...(output.count != null && output.count > 0 ? { count: output.count } : {}),
    ...(output.trainingType ? { trainingType: output.trainingType } : {}),
    ...(output.topic?.trim() ? { topic: output.topic.trim() } : {}),
    ...(Object.keys(constraints).length ? { constraints } : {}),
  };
}

/**
 * The intake agent, as `resolveSpec` wants it. `types` are the training types the request
 * may name; the model is told them when they are more than the built-ins.
 */
export function intakeWith(
  ctx: Pick<RunContext, "agent">,
  types: readonly TrainingType[] = [],
): (text: string) => Promise<IntakeReading> {
  const extra = types.some((t) => !isBuiltinTrainingType(t.name));
  const trainingTypes = extra ? types.map((t) => ({ name: t.name, title: t.title })) : undefined;
  return async (text) => {
    const { output } = await ctx.agent(intakeTask, {
      request: text,
      ...(trainingTypes ? { trainingTypes } : {}),
    });
    return intakeReading(output);
  };
}

// ---------------------------------------------------------------------------
// What the sources hold on the topic

/**
 * Words of a topic that frame it rather than name its subject ("chemistry reasoning
 * problems" is about chemistry): not required of a passage on the topic.
 */
const FRAMING_WORDS = new Set(
  [
    "problem",
    "question",
    "exercise",
    "task",
    "basic",
    "basics",
    "fundamental",
    "introduction",
    "intro",
    "introductory",
    "overview",
    "concept",
    "topic",
    "quiz",
    "quizze",
    "puzzle",
    "general",
    "advanced",
    "beginner",
    "tip",
    "skill",
    "primer",
    "essential",
    "theory",
    "applied",
  ].map((w) => contentWords(w)[0] ?? w),
);

/** The words of a topic a passage must name to be on it (its content words without framing words). */
export function topicWords(topic: string): string[] {
  const all = [...new Set(contentWords(topic))];
  const subject = all.filter((w) => !FRAMING_WORDS.has(w));
  return subject.length ? subject : all;
}

/**
 * True when `text` (a passage with its document's title and path) is on the topic: it
 * names every subject word of a topic of one or two ({@link topicWords}), at least 60% of
 * a longer one. "Rust programming" needs both words; "medieval European history" two of three.
 */
export function onTopic(words: string[], text: string): boolean {
  if (words.length === 0) return false;
  const have = new Set(contentWords(text));
  const hit = words.filter((w) => have.has(w)).length;
  const need = words.length <= 2 ? words.length : Math.ceil(words.length * 0.6);
  return hit >= need;
}

/**
 * Distinct questions one passage on the topic supports (a question writer asks about its
 * subject; near duplicates are dropped). Measured offline on the bundled corpus, asking for
 * 300 QA examples until no new distinct question could be written: physics 85 questions
 * from 44 passages, statistics 30 from 31, stoichiometry 20 from 16 (1.0–1.9 per passage);
 * the estimate takes the low end, 1.
 */
export const QUESTIONS_PER_PASSAGE = 1;

/** What the sources hold on a topic, and how many distinct questions that supports. */
export interface MaterialAssessment {
  /** The topic's subject words a passage must name. */
  topicWords: string[];
  /** Sources searched (ids). */
  sources: string[];
  /** Documents with passages on the topic, best first. */
  documents: Array<{ title: string; adapter: string; passages: number }>;
  /** Distinct passages on the topic the searches found. */
  passages: number;
  /** Estimated distinct questions the material supports (passages × {@link QUESTIONS_PER_PASSAGE}). */
  distinctQuestions: number;
  /** How the estimate was made, in one line. */
  basis: string;
  /**
   * The sources hold more than was counted (public catalogues are searched once; a local
   * source had more documents on the topic than were read): the estimate is a floor.
   */
  floor: boolean;
  /** Sources whose search failed, with the reason. */
  failed: Array<{ source: string; reason: string }>;
}

/** Documents asked of each source for the topic. */
const ASSESS_DOCS = 50;
/**
 * A local source that returns all it was asked for is asked again for more, up to the
 * last of these: a folder of 5,000 notes on the topic supports far more questions than its
 * first 50 documents. Past the last, the count is a floor.
 */
const LOCAL_ASSESS_DOCS = [ASSESS_DOCS, 400, 2000, 10_000];
/** Local note files larger than this are not read again for their passages (the found ones count). */
const READ_CAP_BYTES = 5_000_000;

/** All passages of a local Markdown or text note (its `file:` URL), or null when it is not one. */
function notePassages(url: string, cache: Map<string, Passage[] | null>): Passage[] | null {
  if (cache.has(url)) return cache.get(url) ?? null;
  let out: Passage[] | null = null;
  try {
    if (url.startsWith("file:") && /\.(?:md|markdown|txt)$/i.test(url)) {
      const path = fileURLToPath(url);
      if (statSync(path).size <= READ_CAP_BYTES)
        out = toPassages(splitFrontMatter(readFileSync(path, "utf8")).body);
    }
  } catch {
    out = null;
  }
  cache.set(url, out);
  return out;
}

/**
 * Searches every source for the topic and counts the passages on it, to say before any
 * work whether the sources hold anything on the topic and roughly how many distinct
 * questions they support. A document is on the topic as a whole when its title and path
 * name the topic ({@link onTopic}), or name part of it and its text the rest ("Python
 * basics" for "Python programming"); otherwise each passage is, with the document's title
 * and path, when it names the topic. Local notes (Markdown, text) are counted whole (every
 * passage of the file); other documents by the passages the searches return, and local
 * sources are searched again by each document's title to reach more of them. Public
 * catalogues are searched once (their results at run time are larger: a floor there).
 * Searches go through `opts.searches` (a run's {@link SearchCache}), so the plan and
 * research that follow do not fetch the same (source, query) again.
 */
export async function assessMaterial(
  sources: readonly SourceAdapter[],
  topic: string,
  opts: { signal?: AbortSignal; searches?: SearchCache } = {},
): Promise<MaterialAssessment> {
  const searches = opts.searches ?? new SearchCache();
  const words = topicWords(topic);
  const catalogue = new Set(catalogueSourceIds().map(sourceIdKey));
  const docs = new Map<string, { title: string; adapter: string; passages: Set<number>; read: boolean }>();
  const files = new Map<string, Passage[] | null>();
  const failed: MaterialAssessment["failed"] = [];
  const signal = opts.signal ? { signal: opts.signal } : {};
  let remote = false;
  /** A local source had more documents on the topic than were counted. */
  let floor = false;
  const place = (url: string, title: string) => `${title} ${safeDecode(url).replace(/[/_.:-]+/g, " ")}`;
  const take = (source: SourceAdapter, found: Awaited<ReturnType<SourceAdapter["search"]>>) => {
    for (const d of found) {
      const key = `${source.id}\u0000${d.url}`;
      const where = place(d.url, d.title);
      const file = notePassages(d.url, files);
      const passages = file ?? d.passages;
      const named = words.some((w) => contentWords(where).includes(w));
      const whole =
        onTopic(words, where) ||
        (named && onTopic(words, `${where} ${passages.map((p) => p.text).join(" ")}`));
      for (const p of passages) {
        if (!whole && !onTopic(words, `${where} ${p.text}`)) continue;
        let entry = docs.get(key);
        if (!entry) {
          entry = { title: d.title, adapter: source.id, passages: new Set(), read: file !== null };
          docs.set(key, entry);
        }
        entry.passages.add(p.index);
      }
    }
  };
  for (const source of sources) {
    const local = !catalogue.has(sourceIdKey(source.id));
    if (!local) remote = true;
    try {
      if (!local) {
        take(source, await searches.search(source, topic, { limit: ASSESS_DOCS, ...signal }));
        continue;
      }
      for (const limit of LOCAL_ASSESS_DOCS) {
        const found = await searches.search(source, topic, { limit, ...signal });
        take(source, found);
        if (found.length < limit) break;
        if (limit === LOCAL_ASSESS_DOCS.at(-1)) floor = true;
      }
      // A document on the topic that could not be read whole: its other passages, found by its title.
      const titles = [...docs.values()].filter((d) => d.adapter === source.id && !d.read).map((d) => d.title);
      for (const title of titles) {
        for (const q of [title, `${title} ${topic}`])
          take(source, await searches.search(source, q, { limit: 5, ...signal }));
      }
    } catch (e) {
      failed.push({ source: source.id, reason: describeError(e) });
    }
  }
  const documents = [...docs.values()]
    .map((d) => ({ title: d.title, adapter: d.adapter, passages: d.passages.size }))
    .sort((a, b) => b.passages - a.passages || a.title.localeCompare(b.title));
  const passages = documents.reduce((s, d) => s + d.passages, 0);
  const distinctQuestions = passages * QUESTIONS_PER_PASSAGE;
  // The words as the topic writes them ("physics", not the stem "physic").
  const surface = words.map(
    (w) => (topic.match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? []).find((t) => contentWords(t)[0] === w) ?? w,
  );
  const named = surface.map((w) => `"${w}"`).join(words.length > 2 ? ", " : " and ");
  return {
    topicWords: words,
    sources: sources.map((s) => s.id),
    documents,
    passages,
    distinctQuestions,
    basis: `${passages} passage(s) on ${named} in ${documents.length} document(s) × ~${QUESTIONS_PER_PASSAGE} distinct questions per passage${remote ? "; public catalogues searched once, so a floor" : floor ? `; the first ${LOCAL_ASSESS_DOCS.at(-1)} documents counted, so a floor` : ""}`,
    floor: remote || floor,
    failed,
  };
}

function safeDecode(url: string): string {
  try {
    return decodeURIComponent(url);
  } catch {
    return url;
  }
}

/**
 * What the offline provider cannot do for a request, checked before any work: it writes
 * English only, and it answers only from the sources, so a topic they hold nothing on
 * cannot be written about. Returns the material found (null for other providers, which are
 * not checked) and warnings (fewer distinct questions than the count).
 *
 * @throws SynthforgeError `INVALID_REQUEST` when the offline provider is asked for another
 *   language; `NO_MATERIAL` when the sources hold nothing on the topic (suggesting
 *   `--corpus <folder>` or `GEMINI_API_KEY`).
 */
export async function checkFeasible(opts: {
  spec: GenerationSpec;
  constraints: RequestConstraints;
  provider: string;
  sources: readonly SourceAdapter[];
  signal?: AbortSignal;
  /** The run's source searches (see {@link SearchCache}): the plan and research reuse them. */
  searches?: SearchCache;
}): Promise<{ material: MaterialAssessment | null; warnings: string[] }> {
  if (opts.provider !== "offline") return { material: null, warnings: [] };
  const lang = opts.constraints.language;
  if (lang && lang !== "en") {
    throw new SynthforgeError(
      "INVALID_REQUEST",
      `The request asks for text in ${languageName(lang)} (${lang}), and the offline provider writes English only. Use a model provider to generate in ${languageName(lang)}: set GEMINI_API_KEY, or pass --provider with an OpenAI-compatible one (e.g. --provider ollama); or leave the language out of the request.`,
      { details: { language: lang } },
    );
  }
  const material = await assessMaterial(opts.sources, opts.spec.topic, {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.searches ? { searches: opts.searches } : {}),
  });
  if (material.passages === 0) {
    const why = material.failed.length
      ? ` (${material.failed.map((f) => `${f.source} failed: ${f.reason}`).join("; ")})`
      : "";
    throw new SynthforgeError(
      "NO_MATERIAL",
      `The sources (${material.sources.join(", ") || "none"}) have nothing on "${opts.spec.topic}"${why}, and the offline provider writes only from them. Give notes on it with --corpus <folder>, or set GEMINI_API_KEY to research it.`,
      { details: { topic: opts.spec.topic, sources: material.sources, topicWords: material.topicWords } },
    );
  }
  return { material, warnings: materialWarnings(material, opts.spec.count) };
}

/**
 * A warning when the material supports fewer distinct questions than the count, or so few
 * more that rejected candidates would leave the run short (less than 25% headroom). When
 * the count is a floor ({@link MaterialAssessment.floor}), only the first.
 */
export function materialWarnings(material: MaterialAssessment, count: number): string[] {
  const fix = "Add notes with --corpus <folder>, ask for fewer, or set GEMINI_API_KEY.";
  // Past what was counted the sources may hold more: only a shortfall is worth a word.
  if (material.floor)
    return material.distinctQuestions < count
      ? [
          `the sources support at least ${material.distinctQuestions} distinct question(s) on this topic (${material.basis}), fewer than the ${count} asked: if that is all they hold, the run will stop short with "no new distinct questions". ${fix}`,
        ]
      : [];
  if (material.distinctQuestions < count)
    return [
      `the sources support about ${material.distinctQuestions} distinct question(s) on this topic (${material.basis}), fewer than the ${count} asked: the run will likely stop short with "no new distinct questions". ${fix}`,
    ];
  if (material.distinctQuestions < Math.ceil(count * 1.25))
    return [
      `the sources support about ${material.distinctQuestions} distinct question(s) on this topic (${material.basis}), little more than the ${count} asked: rejected candidates may leave the run short. ${fix}`,
    ];
  return [];
}

function languageName(code: string): string {
  try {
    return new Intl.DisplayNames(["en"], { type: "language" }).of(code) ?? code;
  } catch {
    return code;
  }
}

/**
 * Splits `count` over weighted sub-topics by largest remainder, so quotas always sum
 * to exactly `count`. Sub-topics beyond `count` get nothing and are dropped.
 */
export function allocateQuotas(
  count: number,
  subTopics: Array<{ name: string; focus: string; weight: number }>,
): SubTopic[] {
  const list = subTopics.slice(0, Math.max(1, Math.min(subTopics.length, count)));
  const total = list.reduce((s, t) => s + Math.max(t.weight, 0.0001), 0);
  const exact = list.map((t) => (count * Math.max(t.weight, 0.0001)) / total);
  const quotas = exact.map(Math.floor);
  let left = count - quotas.reduce((s, q) => s + q, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) quotas[order[k]!.i]! += 1;
  return list.map((t, i) => ({ name: t.name, focus: t.focus, quota: quotas[i]! })).filter((t) => t.quota > 0);
}

function normaliseMix(mix: { easy: number; medium: number; hard: number }): Plan["difficultyMix"] {
  const total = mix.easy + mix.medium + mix.hard;
  if (!(total > 0)) return { easy: 0.3, medium: 0.5, hard: 0.2 };
  const r = (x: number) => Math.round((x / total) * 1000) / 1000;
  return { easy: r(mix.easy), medium: r(mix.medium), hard: r(mix.hard) };
}

/** What planning needs: the sources, the planner call, and where a source failure goes. */
interface PlanningContext {
  sources: readonly SourceAdapter[];
  signal?: AbortSignal;
  /** Searches a source (through the run's {@link SearchCache}: a (source, query) is fetched once per run). */
  search(source: SourceAdapter, query: string, opts: SearchOptions): Promise<SourceDocument[]>;
  licencePolicy: LicencePolicy;
  /** The planner's answer (asked again while invalid). */
  plan(input: PlanInput): Promise<PlanOutput>;
  /** A source that failed while planning. */
  sourceFailed(message: string): Promise<void>;
}

/**
 * Titles of documents the sources hold on the topic, best first (grounds the sub-topics).
 * A document's score is how much of the topic its title and address name (a local
 * note in `organic-chemistry/` names "organic chemistry"); only the best-scoring tier is
 * kept, widened to a few documents when the best tier is small.
 */
async function sourceHints(
  ctx: PlanningContext,
  topic: string,
  want: number,
): Promise<Array<{ title: string; adapter: string }>> {
  const hints: Array<{ title: string; adapter: string; named: number; body: number }> = [];
  for (const source of ctx.sources) {
    try {
      const docs = await ctx.search(source, topic, {
        limit: 20,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      for (const d of docs) {
        const named = coverage(topic, `${d.title} ${safeDecode(d.url).replace(/[/_.-]+/g, " ")}`);
        const body = coverage(topic, d.passages.map((p) => p.text).join(" "));
        if (named > 0 || body >= 0.5) hints.push({ title: d.title, adapter: source.id, named, body });
      }
    } catch (e) {
      await ctx.sourceFailed(`source ${source.id} failed while planning: ${describeError(e)}`);
    }
  }
  hints.sort((a, b) => b.named - a.named || b.body - a.body);
  const best = hints[0]?.named ?? 0;
  const top = hints.filter((h) => h.named >= best - 1e-9);
  const kept = top.length >= Math.min(3, want) ? top : hints.slice(0, Math.min(3, want));
  return kept.map(({ title, adapter }) => ({ title, adapter }));
}

/** The plan for a spec: sub-topics grounded in the sources, quotas, difficulty mix, notes, constraints. */
async function makePlan(
  ctx: PlanningContext,
  spec: GenerationSpec,
  request: string,
  constraints: RequestConstraints,
): Promise<Plan> {
  const maxSubTopics = Math.min(8, spec.count);
  const input: PlanInput = {
    request,
    spec,
    sourceHints: (await sourceHints(ctx, spec.topic, maxSubTopics)).slice(0, 20),
    sources: ctx.sources.map((s) => s.id),
    maxSubTopics,
    ...(Object.keys(constraints).length ? { constraints } : {}),
  };
  const output = await ctx.plan(input);
  const policy = ctx.licencePolicy;
  return {
    topic: spec.topic,
    domain: output.domain,
    trainingType: spec.trainingType,
    count: spec.count,
    subTopics: allocateQuotas(spec.count, output.subTopics.slice(0, maxSubTopics)),
    difficultyMix: normaliseMix(output.difficultyMix),
    sources: ctx.sources.map((s) => s.id),
    licencePolicy:
      policy.base +
      (policy.allow.length ? ` +allow ${policy.allow.join(",")}` : "") +
      (policy.deny.length ? ` -deny ${policy.deny.join(",")}` : ""),
    researchNotes: output.researchNotes,
    executionNotes: output.executionNotes,
    ...(Object.keys(constraints).length ? { constraints } : {}),
  };
}

/**
 * What a run stores about its request besides the spec (`runs.config.intake`): the
 * constraints, where the intake model and the parser disagreed, and (offline) the material.
 */
export interface RunIntakeRecord {
  constraints: RequestConstraints;
  disagreements: string[];
  material?: Pick<MaterialAssessment, "passages" | "distinctQuestions" | "basis" | "documents"> | null;
  warnings?: string[];
}

/** The intake record of a run (absent in runs made by earlier versions: then constraints are re-read from the request). */
export function runIntakeRecord(run: { config: Record<string, unknown>; request: string }): RunIntakeRecord {
  const stored = run.config.intake as Partial<RunIntakeRecord> | undefined;
  if (stored && typeof stored === "object") {
    return {
      constraints: stored.constraints ?? {},
      disagreements: Array.isArray(stored.disagreements) ? stored.disagreements : [],
      ...(stored.material ? { material: stored.material } : {}),
      ...(Array.isArray(stored.warnings) ? { warnings: stored.warnings } : {}),
    };
  }
  let constraints: RequestConstraints = {};
  try {
    constraints = readRequest(run.request, { force: true }).constraints ?? {};
  } catch {
    constraints = {};
  }
  return { constraints, disagreements: [] };
}

/** Calls of the orchestrator while its plan is not valid. */
const PLAN_ATTEMPTS = 3;

/**
 * The default plan stage: the orchestrator plans sub-topics; code sets the quotas. The
 * plan carries the request's constraints (`plan.constraints`); disagreements of the intake
 * and warnings about the material (fewer distinct questions than the count) are sent as
 * `log` events (level `warn`) when the run starts planning.
 */
export function planStage(): RunStage {
  return {
    name: "plan",
    scope: "run",
    async run(ctx) {
      if (ctx.plan) return;
      const spec: GenerationSpec = {
        count: ctx.run.targetCount,
        trainingType: ctx.run.trainingType,
        topic: ctx.run.topic,
      };
      const intake = runIntakeRecord(ctx.run);
      for (const d of intake.disagreements)
        ctx.emit({ type: "log", runId: ctx.runId, level: "warn", message: `intake: ${d}` });
      for (const w of intake.warnings ?? [])
        ctx.emit({ type: "log", runId: ctx.runId, level: "warn", message: w });
      const plan = await makePlan(
        {
          sources: ctx.sources,
          signal: ctx.signal,
          search: (source, query, o) => runSearches(ctx.run).search(source, query, o),
          licencePolicy: ctx.licencePolicy,
          // An invalid plan (not JSON, not the schema, or a blocked or empty reply) is recorded and asked for again.
          plan: async (input) => (await agentUntilValid(ctx, planTask, input, "plan", PLAN_ATTEMPTS)).output,
          sourceFailed: (message) => ctx.recordFailure(null, "plan", message),
        },
        spec,
        ctx.run.request,
        intake.constraints,
      );
      await ctx.store.updateRun(ctx.runId, { plan });
      ctx.plan = plan;
      ctx.emit({ type: "plan", runId: ctx.runId, plan });
    },
  };
}

// ---------------------------------------------------------------------------
// Planning without a run

/** Options of {@link planRequest}. */
export interface PlanRequestOptions {
  /** Models (default: the offline provider). Only the intake and the planner are called. */
  models?: ModelRouter;
  /** Sources (default: the bundled corpus). */
  sources?: SourceAdapter[];
  licencePolicy?: "permissive" | "any" | Partial<LicencePolicy>;
  /** The research stage's domain → sources table, to say which sources research would search. */
  domainSources?: Record<string, string[]>;
  /** Asked when the request leaves out the count, the training type or the topic. */
  clarify?: ClarifyFn;
  /** Allow counts over 1,000,000. */
  force?: boolean;
  signal?: AbortSignal;
  /** The training types the request may name. Default {@link processRegistry}. */
  registry?: Registry;
}

/** What a run of a request would do, without doing it (see {@link planRequest}). */
export interface RunPreview {
  request: string;
  provider: string;
  /** The plan a run would follow (count, type, topic, sub-topics with quotas, difficulty mix, constraints, notes). */
  plan: Plan;
  /** Sources research would search for the plan's domain (ids). */
  researchSources: string[];
  /** What the sources hold on the topic and how many distinct questions that supports. */
  material: MaterialAssessment;
  /** Answers to clarifying questions (or the defaults `--yes` took). */
  answered: Partial<Record<ClarifyQuestion["field"], string>>;
  /** Where the intake model and the parser disagreed (the parser's value was kept). */
  disagreements: string[];
  /** Things to know before running (fewer distinct questions than the count, failed sources, planner retries). */
  warnings: string[];
  /** Estimated cost per provider and Gemini model tier. */
  cost: CostEstimate;
  /** The model calls planning made (intake and planner): metered here, stored nowhere. */
  usage: Usage;
}

/**
 * Shows what a run of `request` would do without generating anything and without a
 * database: the intake reads the request (the parser checks it), the planner plans it, the
 * sources are searched for the topic. Offline this is free; with a model it makes the
 * intake and planner calls only, metered in `usage` and not stored.
 *
 * ```ts
 * const preview = await planRequest("Generate 50 DPO examples about acids and bases for A-level students");
 * console.log(preview.plan.subTopics, preview.material.distinctQuestions, preview.cost.rows);
 * ```
 *
 * @throws SynthforgeError as {@link resolveSpec}; offline also as {@link checkFeasible}
 *   (`NO_MATERIAL` when the sources hold nothing on the topic; `INVALID_REQUEST` for a
 *   language other than English).
 */
export async function planRequest(request: RunRequest, opts: PlanRequestOptions = {}): Promise<RunPreview> {
  const models = opts.models ?? new ModelRouter({ provider: offlineProvider() });
  const sources = opts.sources ?? [corpusSource()];
  const registry = opts.registry ?? processRegistry;
  const usage: Usage = { calls: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0, costUsd: 0 };
  const sink: UsageSink = (rec) => {
    usage.calls++;
    usage.inputTokens += rec.inputTokens;
    usage.outputTokens += rec.outputTokens;
    usage.totalTokens += rec.totalTokens;
    usage.costUsd += rec.costUsd;
  };
  const agent = <I, O>(task: Parameters<typeof runAgentTask<I, O>>[0], input: I) =>
    runAgentTask(task, input, { models, runId: null, sink, ...(opts.signal ? { signal: opts.signal } : {}) });
  const resolved = await resolveSpec(request, {
    ...(opts.clarify ? { clarify: opts.clarify } : {}),
    force: opts.force ?? false,
    trainingTypes: registry.trainingTypeNames(),
    intake: intakeWith({ agent }, registry.trainingTypes()),
  });
  const { spec, constraints } = resolved;
  const type = registry.trainingType(spec.trainingType);
  const warnings: string[] = [];
  // One look at each (source, query): the estimate of the material and the planner's hints share it.
  const searches = new SearchCache();
  const feasible = await checkFeasible({
    spec,
    constraints,
    provider: models.provider.name,
    sources,
    searches,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const material =
    feasible.material ??
    (await assessMaterial(sources, spec.topic, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      searches,
    }));
  warnings.push(...(feasible.material ? feasible.warnings : materialWarnings(material, spec.count)));
  for (const f of material.failed) warnings.push(`source ${f.source} failed: ${f.reason}`);
  const plan = await makePlan(
    {
      sources,
      ...(opts.signal ? { signal: opts.signal } : {}),
      search: (source, query, o) => searches.search(source, query, o),
      licencePolicy: makeLicencePolicy(opts.licencePolicy),
      plan: async (input) =>
        (
          await agentUntilValid(
            {
              agent,
              recordFailure: async (_q, _stage, reason) => {
                warnings.push(`planner: ${reason}`);
              },
            },
            planTask,
            input,
            "plan",
            PLAN_ATTEMPTS,
          )
        ).output,
      sourceFailed: async (message) => {
        warnings.push(message);
      },
    },
    spec,
    resolved.requestText,
    constraints,
  );
  const table = { ...DEFAULT_DOMAIN_SOURCES, ...opts.domainSources };
  const roles = ["orchestrator", "question", "research", "generation", "reviewer"] as const;
  const defaultModels = Object.fromEntries(
    roles.map((r) => [r, models.modelName(r, { deep: r === "generation" ? type.generation.deep : false })]),
  );
  return {
    request: resolved.requestText,
    provider: models.provider.name,
    plan,
    researchSources: sourcesForDomain(sources.slice(), plan.domain, table).map((s) => s.id),
    material,
    answered: resolved.answered,
    disagreements: resolved.disagreements,
    warnings,
    cost: estimateRunCost({
      count: spec.count,
      defaultModels,
      provider: models.provider.name,
      ...(models.priceTable ? { prices: models.priceTable } : {}),
    }),
    usage,
  };
}
