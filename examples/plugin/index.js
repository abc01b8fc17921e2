/**
 * An example synthforge plugin: a multiple-choice training type (`mcq`) with its own
 * export format (`mcq-jsonl`), a source that reads a local JSON file of notes
 * (`jsonNotes`), and a verifier (`mcq-options`). Use it from the CLI:
 *
 *     synthforge generate "Generate 3 MCQ examples about the water cycle" --yes \
 *       --provider offline --plugin examples/plugin/index.js --sources jsonNotes
 *     synthforge export --format mcq-jsonl --out mcq.jsonl --plugin examples/plugin/index.js
 *     synthforge sources search jsonNotes "aquifer" --plugin examples/plugin/index.js
 *
 * or list it in synthforge.config.yaml: `plugins: [./examples/plugin/index.js]`.
 *
 * A plugin is an ES module whose default export receives synthforge's plugin API and
 * registers what the plugin adds. It uses only that API (no import of synthforge), so it
 * registers into whichever copy of synthforge loads it.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const LETTERS = ["A", "B", "C", "D"];
const DEFAULT_NOTES = fileURLToPath(new URL("./notes.json", import.meta.url));

/** A small stable hash, so the same question always puts its answer at the same letter. */
function hash(text) {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h;
}

/** The problems of a set of options: four distinct, non-empty strings. */
function optionProblems(options) {
  if (!Array.isArray(options) || options.length !== 4) return ["there must be exactly 4 options"];
  const problems = [];
  if (options.some((o) => typeof o !== "string" || !o.trim())) problems.push("every option must be non-empty text");
  const seen = new Set(options.map((o) => String(o).trim().toLowerCase()));
  if (seen.size !== options.length) problems.push("the options must all be different");
  return problems;
}

/** @param {import("synthforge").PluginApi} api */
export default function register(api) {
  const { z } = api;

  // 1. The export format: one JSON object per line {question, choices[4], answer: A-D, explanation}.
  api.registerExportFormat({
    id: "mcq-jsonl",
    description: "Multiple choice: {question, choices: [4 strings], answer: A|B|C|D, explanation}",
    needs: "a question with four options, the right one and an explanation",
    validate(row) {
      const problems = [];
      const extra = Object.keys(row).filter((k) => !["question", "choices", "answer", "explanation"].includes(k));
      if (extra.length) problems.push(`unexpected keys ${extra.join(", ")}`);
      if (typeof row.question !== "string" || !row.question.trim()) problems.push("question must be a non-empty string");
      problems.push(...optionProblems(row.choices).map((p) => p.replace("options", "choices")));
      if (!LETTERS.includes(row.answer)) problems.push("answer must be one of A, B, C, D");
      if (typeof row.explanation !== "string") problems.push("explanation must be a string");
      return problems;
    },
  });

  // 2. The training type.
  const rowSchema = z.object({
    question: z.string().min(1),
    options: z.array(z.string().min(1)).length(4),
    answer_index: z.number().int().min(0).max(3),
    explanation: z.string().min(1),
  });
  const outputSchema = z.object({
    question: z.string().min(1).describe("The question, self-contained."),
    options: z.array(z.string().min(1)).length(4).describe("Four options: one right, three plausible but wrong."),
    answerIndex: z.number().int().min(0).max(3).describe("Index (0-3) of the right option."),
    explanation: z.string().min(1).describe("Why the right option is right, grounded in the context."),
  });
  const lettered = (r) => `${r.question}\n${r.options.map((o, i) => `${LETTERS[i]}. ${o}`).join("\n")}`;

  api.registerTrainingType({
    name: "mcq",
    title: "Multiple-choice questions",
    rowSchema,
    // Columns are derived from rowSchema: question text, options json, answer_index integer, explanation text.
    questionHint: "questions with exactly one correct answer among plausible alternatives",
    generation: {
      outputSchema,
      deep: false,
      instructions: [
        "Write one multiple-choice question for the question given.",
        "`options`: four answers, exactly one right; the three wrong ones plausible to a learner.",
        "`answerIndex`: the index (0-3) of the right option. `explanation`: why it is right, from the context.",
      ].join("\n"),
      toRow: (out) => ({
        question: out.question.trim(),
        options: out.options.map((o) => o.trim()),
        answer_index: out.answerIndex,
        explanation: out.explanation.trim(),
      }),
      // The offline composer: the right option and the explanation come from the passages
      // (grounded, deterministic); the distractors are other passage sentences.
      offline(input) {
        const right = api.shortAnswer(input, 1);
        const sentences = input.passages
          .flatMap((p) => p.text.split(/(?<=[.!?])\s+/))
          .map((s) => s.trim())
          .filter((s) => s.length > 20 && s.toLowerCase() !== right.trim().toLowerCase());
        const wrong = [...new Set(sentences)].slice(0, 3);
        while (wrong.length < 3) wrong.push(`None of the statements about ${input.subTopic} (${wrong.length + 1}).`);
        const at = hash(input.question) % 4;
        const options = [...wrong];
        options.splice(at, 0, right);
        return { question: input.question, options, answerIndex: at, explanation: api.composeAnswer(input) };
      },
    },
    validate(row) {
      const problems = api.schemaProblems(rowSchema, row);
      if (problems.length) return problems;
      return optionProblems(row.options);
    },
    rubric: [
      "accuracy: the marked option is right and every wrong option is wrong, per the passages.",
      "completeness: the explanation says why the right option is right.",
      "helpfulness: the distractors are plausible, so the question tests understanding.",
      "clarity: the question and options are unambiguous.",
      "difficulty_fit: the question matches the requested difficulty.",
    ].join("\n"),
    // What is judged: the question, and the right option with its explanation.
    promptText: (r) => r.question,
    answerText: (r) => `${r.options[r.answer_index]} ${r.explanation}`,
    hub: { taskCategories: ["question-answering"], tags: ["multiple-choice"] },
    exporters: {
      "mcq-jsonl": (r) => ({
        question: r.question,
        choices: r.options,
        answer: LETTERS[r.answer_index],
        explanation: r.explanation,
      }),
      "trl-sft-messages": (r) => ({
        messages: [
          { role: "user", content: lettered(r) },
          { role: "assistant", content: `${LETTERS[r.answer_index]}. ${r.explanation}` },
        ],
      }),
    },
  });

  // 3. A source: documents from a local JSON file (default: notes.json beside this plugin).
  api.registerSource({
    id: "jsonNotes",
    description: "Notes from a local JSON file: [{id, title, url, licence, paragraphs[]}]",
    licenceNotes: "Each note's SPDX id from its `licence` field.",
    remote: false,
    options: z.object({ file: z.string().min(1).optional() }).strict(),
    create(options) {
      const file = options.file ? resolve(options.file) : DEFAULT_NOTES;
      return {
        id: options.id ?? "jsonNotes",
        description: `notes from ${file}`,
        async search(query, opts = {}) {
          let notes;
          try {
            notes = JSON.parse(readFileSync(file, "utf8"));
          } catch (e) {
            throw new api.SynthforgeError("SOURCE_FAILED", `jsonNotes: cannot read ${file}: ${e.message}`);
          }
          const words = api.keywords(query).map((w) => w.toLowerCase());
          const scored = notes
            .map((n) => {
              const text = `${n.title} ${n.paragraphs.join(" ")}`.toLowerCase();
              return { n, score: words.filter((w) => text.includes(w)).length };
            })
            .filter((x) => x.score > 0)
            .sort((a, b) => b.score - a.score)
            .slice(0, opts.limit ?? 5);
          return scored
            .map(({ n }) =>
              api.buildDocument({
                adapter: "jsonNotes",
                url: n.url,
                title: n.title,
                authors: [],
                published: null,
                licence: api.licenceById(n.licence ?? "CC-BY-4.0"),
                paragraphs: n.paragraphs,
                query,
                passagesPerDocument: 4,
              }),
            )
            .filter(Boolean);
        },
      };
    },
  });

  // 4. A verifier: every MCQ's options are four distinct answers and the key points at one.
  api.registerVerifier({
    name: "mcq-options",
    description: "MCQ rows have four distinct options and a valid answer index",
    weight: 1,
    run(input) {
      if (input.trainingType !== "mcq") return null;
      const reasons = optionProblems(input.row.options);
      const i = input.row.answer_index;
      if (!(Number.isInteger(i) && i >= 0 && i < 4)) reasons.push("answer_index must point at one of the 4 options");
      return { name: "mcq-options", passed: reasons.length === 0, score: reasons.length ? 0 : 1, reasons };
    },
  });
}
