/**
 * A task's output schema is converted for the model once and shared by every call of the
 * task (issue 15: ADK converted it again on every call). Through the real genai client and
 * ADK, against the local Gemini stub: every request carries the schema ADK itself makes
 * from its task's zod schema, call after call and task after task.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAgentTask } from "../../src/agents/agent-task.js";
import { type FactCheckInput, factCheckTask } from "../../src/agents/fact-check.js";
import { questionTask } from "../../src/agents/question.js";
import { adk } from "../../src/models/adk.js";
import { geminiModels } from "../../src/models/factories.js";
import { type GeminiStub, startGeminiServer } from "../helpers/gemini-server.js";
import { offlineGeminiHandler } from "../helpers/offline-gemini.js";

let stub: GeminiStub;
beforeAll(async () => {
  stub = await startGeminiServer(offlineGeminiHandler());
});
afterAll(async () => {
  await stub?.close();
});

const input: FactCheckInput = {
  question: "What is a float glass line?",
  claims: [{ id: 1, text: "Float glass is made by floating molten glass on a bed of molten tin." }],
  passages: [
    {
      sourceId: "src_1",
      text: "Float glass is made by floating molten glass on a bed of molten tin, which gives it a flat, uniform surface.",
    },
  ],
};

describe("a task's output schema", () => {
  it("is the schema ADK makes from the task's own zod schema, on every call of every task", async () => {
    const models = geminiModels({ apiKey: "test-key-not-real-123", baseUrl: stub.url });
    const agent = { models, runId: null, sink: () => undefined };
    const first = stub.requests.length;
    for (let i = 0; i < 2; i++) {
      const r = await runAgentTask(factCheckTask, input, agent);
      expect(r.output.verdicts[0]).toMatchObject({ id: 1, verdict: "supported" });
      const q = await runAgentTask(
        questionTask,
        {
          topic: "glass making",
          subTopic: "float glass",
          focus: "how the float process works",
          trainingType: "sft",
          counts: { easy: 1, medium: 1, hard: 0 },
          material: [{ title: "Float glass", text: input.passages[0]!.text }],
          avoid: [],
        },
        agent,
      );
      expect(q.output.questions.length).toBeGreaterThan(0);
    }
    const sent = stub.requests.slice(first).map((r) => r.body.generationConfig.responseSchema);
    const wire = (x: unknown) => JSON.parse(JSON.stringify(x));
    const factCheck = wire(adk().zodObjectToSchema(factCheckTask.outputSchema as never));
    const question = wire(adk().zodObjectToSchema(questionTask.outputSchema as never));
    expect(factCheck).not.toEqual(question);
    expect(sent).toEqual([factCheck, question, factCheck, question]);
  });
});
