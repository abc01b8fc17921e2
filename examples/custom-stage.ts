/**
 * A custom item stage inserted after `generate`: a domain check that drops any SFT
 * example whose response is shorter than 60 words, with a recorded reason. Runs offline:
 *
 *     npx tsx examples/custom-stage.ts
 */
import { CandidateRejected, createPipeline, defaultStages, type ItemStage, sqliteStore } from "synthforge";

const minLength: ItemStage = {
  name: "min-length",
  scope: "item",
  async run(item, ctx) {
    const response = String(item.example?.data.response ?? "");
    const words = response.split(/\s+/).filter(Boolean).length;
    if (words < 60) throw new CandidateRejected(`response has ${words} words, want at least 60`);
    ctx.logger.info(`min-length: ${item.question.id} ok (${words} words)`);
  },
};

const pipeline = createPipeline({
  storage: sqliteStore({ path: process.argv[2] ?? "custom-stage.db" }),
  stages: defaultStages().insertAfter("generate", minLength),
});

const run = pipeline.run("Generate 5 SFT examples about chemistry");
run.on((e) => {
  if (e.type === "failure" && e.stage === "min-length") console.log(`dropped: ${e.reason}`);
});
const summary = await run.done;
console.log(
  `${summary.counts.approved}/${summary.counts.target} approved; drop reasons:`,
  summary.dropReasons,
);
await pipeline.close();
