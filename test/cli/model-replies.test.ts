/**
 * The CLI on Gemini (the local stub) when the model blocks a reply, and `--batch` with
 * `--no-cache`: what a user sees, from the real bin.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LlmRequest } from "@google/adk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readEnvelope } from "../../src/models/envelope.js";
import { type GeminiStub, type StubReply, startGeminiServer } from "../helpers/gemini-server.js";
import { offlineGeminiHandler } from "../helpers/offline-gemini.js";
import { cli, offlineEnv, tempDir } from "./helpers.js";

/** HAND-WRITTEN: a 200 whose candidate has no content and `finishReason: "SAFETY"`. */
const safetyBlock: StubReply = {
  status: 200,
  json: {
    candidates: [
      {
        finishReason: "SAFETY",
        index: 0,
        safetyRatings: [{ category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "HIGH", blocked: true }],
      },
    ],
    usageMetadata: { promptTokenCount: 40, totalTokenCount: 40 },
  },
};

const KEY = "AIzaSy-test-key-for-blocked-replies";
const offline = offlineGeminiHandler();
let stub: GeminiStub;
beforeAll(async () => {
  stub = await startGeminiServer(offline);
});
afterAll(async () => {
  await stub?.close();
});

function project(): string {
  const cwd = tempDir("sf-cli-replies-");
  writeFileSync(join(cwd, "synthforge.config.yaml"), `gemini:\n  baseUrl: ${stub.url}\n`);
  return cwd;
}

describe("CLI: blocked model replies", () => {
  it("a SAFETY block of the question writer and of one candidate's generation does not end the run", async () => {
    let writer = 0;
    let blockedQuestion: string | null = null;
    stub.reset();
    stub.setHandler((req) => {
      const env = readEnvelope({ contents: req.body.contents } as LlmRequest);
      if (env?.task === "question.write" && writer++ === 0) return safetyBlock;
      if (env?.task === "generation.sft") {
        const q = String((env.input as { question: string }).question);
        blockedQuestion ??= q;
        if (q === blockedQuestion) return safetyBlock;
      }
      return offline(req);
    });
    const r = await cli(["generate", "Generate 2 SFT examples about organic chemistry", "--yes"], {
      cwd: project(),
      env: offlineEnv({ GEMINI_API_KEY: KEY }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/error \[/);
    expect(r.stdout).toMatch(/completed: 2\/2 approved/);
    expect(r.stdout).toContain("1× generate: the model's reply was blocked (SAFETY)");
    expect(r.stdout).not.toMatch(/generate: generation_sft/);
  });
});

describe("CLI: --batch with --no-cache", () => {
  it("is refused before any work with one typed line (exit 2)", async () => {
    stub.reset();
    const r = await cli(
      ["generate", "Generate 2 SFT examples about organic chemistry", "--yes", "--batch", "--no-cache"],
      {
        cwd: project(),
        env: offlineEnv({ GEMINI_API_KEY: KEY }),
      },
    );
    expect(r.code).toBe(2);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("error"));
    expect(errors).toEqual([
      "error [INVALID_REQUEST]: --batch cannot be used with --no-cache: Batch API answers reach the run through the response cache; drop one of the two.",
    ]);
    expect(stub.requests).toHaveLength(0);
  });
});
