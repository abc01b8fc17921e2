/**
 * A domain verifier of your own, in a pipeline's own registry: the review stage of this
 * pipeline runs it on every SFT example (a failed check with weight 1 rejects the example,
 * with the reason recorded), while other pipelines in the process do not. Runs offline:
 *
 *     npx tsx examples/own-registry.ts [db]
 */
import { createPipeline, createRegistry, listVerifiers, sqliteStore, type Verifier } from "synthforge";

/** The course glossary: an answer that uses none of these terms is off the syllabus. */
const GLOSSARY = ["acid", "base", "proton", "hydroxide", "ph", "salt", "neutralisation", "buffer"];

const glossary: Verifier = {
  name: "course-glossary",
  description: "The response uses at least one term of the course glossary.",
  weight: 1,
  run({ trainingType, asserted }) {
    // Not applicable (null) to other types, or to a text that is bad on purpose.
    if (trainingType !== "sft" || asserted === null) return null;
    const words = new Set(asserted.toLowerCase().match(/[a-z]+/g) ?? []);
    const used = GLOSSARY.filter((t) => words.has(t) || words.has(`${t}s`));
    return used.length > 0
      ? { name: "course-glossary", passed: true, score: 1, reasons: [], details: { used } }
      : {
          name: "course-glossary",
          passed: false,
          score: 0,
          reasons: [`uses no term of the course glossary (${GLOSSARY.join(", ")})`],
        };
  },
};

const registry = createRegistry();
registry.registerVerifier(glossary);
console.log(
  `this pipeline's verifiers: ${registry
    .verifiers()
    .map((v) => v.name)
    .join(", ")}`,
);
console.log(
  `the process's verifiers:   ${listVerifiers()
    .map((v) => v.name)
    .join(", ")}`,
);

const pipeline = createPipeline({
  storage: sqliteStore({ path: process.argv[2] ?? "own-registry.db" }),
  registry,
});
const summary = await pipeline.run("Generate 4 SFT examples about acids and bases").done;

// Every verdict is stored: count this verifier's.
let passed = 0;
let failed = 0;
for await (const example of pipeline.store.iterateExamples(summary.runId, "sft")) {
  for (const review of await pipeline.store.listReviews(example.id)) {
    if (review.kind !== "verifier:course-glossary") continue;
    if (review.score === 1) passed++;
    else failed++;
  }
}
console.log(`course-glossary: ${passed} passed, ${failed} failed`);
console.log(`${summary.counts.approved}/${summary.counts.target} approved`);
await pipeline.close();
