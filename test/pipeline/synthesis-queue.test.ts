import { describe, expect, it } from "vitest";
import { runAgentTask } from "../../src/agents/agent-task.js";
import type { ResearchBatchInput, ResearchInput } from "../../src/agents/research.js";
import { silentLogger } from "../../src/core/logger.js";
import { scriptedModels } from "../../src/models/factories.js";
import type { ScriptCall, ScriptReply } from "../../src/models/scripted.js";
import { SynthesisQueue } from "../../src/pipeline/synthesis-queue.js";

const shared = {
  sourceId: "src_a",
  text: "Photosynthesis converts light energy into chemical energy. Chlorophyll absorbs red and blue light.",
};
const inputs: ResearchInput[] = [
  "What does chlorophyll absorb?",
  "What does photosynthesis convert?",
  "Where do the light reactions happen?",
  "What is the Calvin cycle?",
  "What does rubisco fix?",
].map((question, i) => ({
  question,
  topic: "photosynthesis",
  passages: [
    shared,
    {
      sourceId: `src_${i}`,
      text: `The light reactions happen in the thylakoid membranes. The Calvin cycle fixes carbon dioxide (${i}).`,
    },
  ],
}));

function queue(
  size: number,
  script: (call: ScriptCall) => ScriptReply = () => undefined,
  opts: { waitMs?: number; signal?: AbortSignal } = {},
) {
  const models = scriptedModels(script);
  const signal = opts.signal ?? new AbortController().signal;
  const q = new SynthesisQueue(
    {
      agent: (task, input) => runAgentTask(task, input, { models, runId: null, sink: () => {}, signal }),
      signal,
      logger: silentLogger,
    },
    { size, waitMs: opts.waitMs ?? 20 },
  );
  return { q, calls: models.calls };
}

/** Each input's digest as one call per question makes it. */
async function alone(list: ResearchInput[]) {
  const { q, calls } = queue(1);
  const out = await Promise.all(list.map((i) => q.synthesize(i)));
  expect(calls.map((c) => c.task)).toEqual(list.map(() => "research.synthesize"));
  return out;
}

describe("research syntheses gathered into one call", () => {
  it("digests four questions in one call, each passage once, each digest as its own call would be", async () => {
    const { q, calls } = queue(4);
    const got = await Promise.all(inputs.slice(0, 4).map((i) => q.synthesize(i)));
    expect(calls.map((c) => c.task)).toEqual(["research.synthesize_batch"]);
    const sent = calls[0]!.input as ResearchBatchInput;
    expect(sent.questions.map((x) => x.ref)).toEqual(["Q1", "Q2", "Q3", "Q4"]);
    // The shared passage is sent once: 1 + 4 distinct passages, not 8.
    expect(sent.passages).toHaveLength(5);
    expect(sent.questions.every((x) => x.passageRefs[0] === "P1")).toBe(true);
    expect(got).toEqual(await alone(inputs.slice(0, 4)));
  });

  it("sends what has waited when the wait ends, and a lone question as a single synthesis", async () => {
    const { q, calls } = queue(4, undefined, { waitMs: 30 });
    const got = await Promise.all(inputs.map((i) => q.synthesize(i)));
    expect(calls.map((c) => c.task)).toEqual(["research.synthesize_batch", "research.synthesize"]);
    expect(got).toEqual(await alone(inputs));
    const two = queue(4, undefined, { waitMs: 30 });
    await Promise.all(inputs.slice(0, 2).map((i) => two.q.synthesize(i)));
    expect(two.calls.map((c) => (c.input as ResearchBatchInput).questions?.length)).toEqual([2]);
  });

  it("asks a question alone when the reply lacks its digest or cites none of its sources, and every question when the call fails", async () => {
    const partial = queue(3, (call) => {
      if (call.task !== "research.synthesize_batch") return undefined;
      const digest = {
        summary: "s",
        keyFacts: [{ fact: "f", sourceIds: ["src_a"] }],
        terminology: [],
        caveats: [],
      };
      return {
        output: {
          digests: [
            { ref: "Q1", ...digest },
            // Q2's digest cites only another question's own source: not taken.
            { ref: "Q2", ...digest, keyFacts: [{ fact: "f", sourceIds: ["src_2"] }] },
            { ref: "Q3", ...digest },
          ],
        },
      };
    });
    const got = await Promise.all(inputs.slice(0, 3).map((i) => partial.q.synthesize(i)));
    expect(partial.calls.map((c) => c.task)).toEqual(["research.synthesize_batch", "research.synthesize"]);
    expect((partial.calls[1]!.input as ResearchInput).question).toBe(inputs[1]!.question);
    expect(got[0]!.summary).toBe("s");
    expect(got[1]).toEqual((await alone([inputs[1]!]))[0]);

    const failing = queue(3, (call) =>
      call.task === "research.synthesize_batch" ? { text: "not json at all" } : undefined,
    );
    const each = await Promise.all(inputs.slice(0, 3).map((i) => failing.q.synthesize(i)));
    // Two attempts of the batch (the task asks again once), then one call per question.
    expect(failing.calls.map((c) => c.task)).toEqual([
      "research.synthesize_batch",
      "research.synthesize_batch",
      "research.synthesize",
      "research.synthesize",
      "research.synthesize",
    ]);
    expect(each).toEqual(await alone(inputs.slice(0, 3)));
  });

  it("rejects every waiting question when the run is stopped", async () => {
    const stop = new AbortController();
    const { q, calls } = queue(4, undefined, { waitMs: 50, signal: stop.signal });
    const pending = inputs.slice(0, 2).map((i) => q.synthesize(i));
    stop.abort(new Error("stopped"));
    const settled = await Promise.allSettled(pending);
    expect(settled.map((s) => s.status)).toEqual(["rejected", "rejected"]);
    expect(calls.filter((c) => c.task === "research.synthesize")).toHaveLength(0);
  });
});
