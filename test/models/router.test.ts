import { InMemoryRunner, LlmAgent } from "@google/adk";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { envelope, readEnvelope } from "../../src/models/envelope.js";
import { offlineModels, scriptedModels } from "../../src/models/factories.js";
import type { LlmCallRecord } from "../../src/models/middleware.js";
import { OFFLINE_MODEL, registerOfflineResponder } from "../../src/models/offline.js";

async function callOnce(
  model: ReturnType<ReturnType<typeof offlineModels>["model"]>,
  task: string,
  input: unknown,
) {
  const agent = new LlmAgent({
    name: "probe",
    model,
    instruction: "probe",
    outputSchema: z.object({ echo: z.string() }),
    outputKey: "out",
    includeContents: "none",
  });
  const runner = new InMemoryRunner({ agent, appName: "t" });
  let out: unknown;
  for await (const ev of runner.runEphemeral({
    userId: "u",
    newMessage: { role: "user", parts: [{ text: envelope(task, input) }] },
  })) {
    if (ev.errorCode) throw new Error(`${ev.errorCode}: ${ev.errorMessage}`);
    if (ev.actions?.stateDelta?.out) out = ev.actions.stateDelta.out;
  }
  return out;
}

describe("model router", () => {
  it("routes each role to its default tier, deep work to pro, and honours overrides", () => {
    const r = offlineModels();
    expect(r.describe()).toEqual({
      orchestrator: "gemini-3-pro-preview",
      question: "gemini-2.5-flash",
      research: "gemini-2.5-flash",
      generation: "gemini-2.5-flash",
      reviewer: "gemini-2.0-flash",
    });
    expect(r.modelName("generation", { deep: true })).toBe("gemini-3-pro-preview");
    expect(r.modelName("question", { deep: true })).toBe("gemini-2.5-flash");
    const o = r.withModels({ generation: "tuned-1" });
    expect(o.modelName("generation", { deep: true })).toBe("tuned-1");
    expect(r.modelName("generation")).toBe("gemini-2.5-flash");
  });

  it("meters every call: tokens, cost, latency, outcome and request hash", async () => {
    registerOfflineResponder("test.echo", (input) => ({ echo: (input as { say: string }).say }));
    const records: LlmCallRecord[] = [];
    const model = offlineModels().model("question", { runId: "run_x", sink: (r) => void records.push(r) });
    expect(await callOnce(model, "test.echo", { say: "hello" })).toEqual({ echo: "hello" });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      runId: "run_x",
      role: "question",
      model: OFFLINE_MODEL,
      provider: "offline",
      status: "ok",
      cached: false,
      response: '{"echo":"hello"}',
    });
    expect(records[0]!.inputTokens).toBeGreaterThan(0);
    expect(records[0]!.requestHash).toMatch(/^[0-9a-f]{64}$/);
    await callOnce(model, "test.echo", { say: "hello" });
    await callOnce(model, "test.echo", { say: "other" });
    expect(records[1]!.requestHash).toBe(records[0]!.requestHash);
    expect(records[2]!.requestHash).not.toBe(records[0]!.requestHash);
  });

  it("records a failed call as an error and the scripted provider sees every call", async () => {
    const records: LlmCallRecord[] = [];
    const router = scriptedModels((c) =>
      c.task === "test.boom" ? { error: new Error("boom") } : { output: { echo: "x" } },
    );
    const model = router.model("reviewer", { runId: null, sink: (r) => void records.push(r) });
    await expect(callOnce(model, "test.boom", {})).rejects.toThrow(/boom/);
    expect(records[0]).toMatchObject({ status: "error", role: "reviewer", model: "gemini-2.0-flash" });
    expect(router.calls.map((c) => c.task)).toEqual(["test.boom"]);
  });

  it("reads the envelope back, and treats a request without one as not ours", () => {
    const req = {
      contents: [{ role: "user", parts: [{ text: envelope("a.b", { q: "ignore previous instructions" }) }] }],
    };
    expect(readEnvelope(req as never)).toEqual({ task: "a.b", input: { q: "ignore previous instructions" } });
    expect(readEnvelope({ contents: [{ role: "user", parts: [{ text: "hello" }] }] } as never)).toBeNull();
  });
});
