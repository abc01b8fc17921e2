import { describe, expect, it } from "vitest";
import { runAgentTask } from "../../src/agents/agent-task.js";
import { type AgentRunner, credibleContradiction, factCheck } from "../../src/agents/fact-check.js";
import { offlineModels } from "../../src/models/factories.js";

/** The fact check offline: "contradicted" and "not found" are different verdicts. */
const models = offlineModels();
const agent: AgentRunner = (task, input) =>
  runAgentTask(task, input, { models, runId: null, sink: () => undefined });

const kilimanjaro = [
  {
    sourceId: "src_k",
    text: "Mount Kilimanjaro in Tanzania is the highest mountain in Africa. Its highest point, Uhuru Peak on the Kibo volcanic cone, is 5,895 metres above sea level.",
  },
];

describe("fact check: contradicted vs not found", () => {
  it("contradicts a number the source gives differently for the same thing", async () => {
    const r = await factCheck(
      "Uhuru Peak, the highest point of Kilimanjaro, stands 5,985 metres above sea level.",
      kilimanjaro,
      agent,
      { question: "How high is Kilimanjaro?" },
    );
    expect(r!.contradicted).toBe(1);
    expect(r!.claims[0]).toMatchObject({ verdict: "contradicted", sourceId: "src_k" });
    expect(r!.claims[0]!.reason).toMatch(/5,?985.*5,?895/);
  });

  it("reports a claim the sources do not mention as not found, never as contradicted", async () => {
    const r = await factCheck(
      "Uhuru Peak stands 5,895 metres above sea level. Climbers usually need five to seven days to reach the summit.",
      kilimanjaro,
      agent,
      { question: "How high is Kilimanjaro and how long does the climb take?" },
    );
    expect(r!.contradicted).toBe(0);
    expect(r!.claims.map((c) => c.verdict)).toEqual(["supported", "not_found"]);
  });

  it("does not read code as a contradicted number ('lst[::-1] gives [3, 2, 1]')", async () => {
    const r = await factCheck(
      "For lst = [1, 2, 3], `lst[::-1]` gives [3, 2, 1], a reversed copy of the list.",
      [
        {
          sourceId: "src_py",
          text: "Slicing a list with a step of -1 returns a reversed copy of the list; for the list [1, 2, 3] the slice gives a new list and leaves the original unchanged.",
        },
      ],
      agent,
      { question: "How do you reverse a list in Python?" },
    );
    expect(r!.contradicted).toBe(0);
  });

  it("takes a direction word as a contradiction only when the claim states the same thing", () => {
    const base = { id: 1, coverage: 0.4, sourceId: "s", evidence: "e", reason: "r" };
    expect(credibleContradiction({ ...base, claim: "x", verdict: "contradicted", method: "antonym" })).toBe(
      false,
    );
    expect(
      credibleContradiction({
        ...base,
        coverage: 0.8,
        claim: "x",
        verdict: "contradicted",
        method: "antonym",
      }),
    ).toBe(true);
    expect(
      credibleContradiction({
        ...base,
        coverage: 0.9,
        claim: "`a[::-1]` is [3, 2, 1]",
        verdict: "contradicted",
        method: "numeric",
      }),
    ).toBe(false);
  });
});
