import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GeminiStub, startGeminiServer } from "../helpers/gemini-server.js";
import { offlineGeminiHandler } from "../helpers/offline-gemini.js";
import { cli, offlineEnv, query, tempDir } from "./helpers.js";

let stub: GeminiStub;
beforeAll(async () => {
  stub = await startGeminiServer(offlineGeminiHandler());
});
afterAll(async () => {
  await stub?.close();
});

const KEY = "AIzaSy-test-key-that-must-never-be-printed";

describe("CLI with GEMINI_API_KEY", () => {
  it("runs on Gemini, with per-agent models from the config file and from --model", async () => {
    const cwd = tempDir("sf-cli-gem-");
    writeFileSync(
      join(cwd, "synthforge.config.yaml"),
      `gemini:\n  baseUrl: ${stub.url}\nmodels:\n  question: gemini-2.5-pro\n  generation: gemini-2.5-pro\n`,
    );
    stub.reset();
    const r = await cli(
      [
        "generate",
        "Generate 2 SFT examples about organic chemistry",
        "--yes",
        "--model",
        "generation=gemini-2.5-flash-lite",
      ],
      {
        cwd,
        env: offlineEnv({ GEMINI_API_KEY: KEY }),
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split("\n")[0]).toBe("Using Gemini (key from GEMINI_API_KEY / GOOGLE_API_KEY).");
    expect(r.stdout).toMatch(/provider gemini/);
    expect(r.stdout + r.stderr).not.toContain(KEY);

    const modelOf = (task: string) =>
      new Set(
        stub.requests
          .filter((q) => JSON.stringify(q.body.contents).includes(`TASK: ${task}`))
          .map((q) => q.model),
      );
    expect([...modelOf("orchestrator.plan")]).toEqual(["gemini-3-pro-preview"]);
    expect([...modelOf("question.write")]).toEqual(["gemini-2.5-pro"]);
    expect([...modelOf("generation.sft")]).toEqual(["gemini-2.5-flash-lite"]);
    expect([...modelOf("reviewer.judge")]).toEqual(["gemini-2.0-flash"]);
    expect(stub.requests.every((q) => q.apiKey === KEY)).toBe(true);

    // The key is never stored.
    const db = join(cwd, "synthforge.db");
    for (const table of ["runs", "llm_calls", "failures"]) {
      const dump = JSON.stringify(query(db, `SELECT * FROM ${table}`));
      expect(dump).not.toContain(KEY);
    }
  });

  it("--provider offline wins over a key", async () => {
    const cwd = tempDir("sf-cli-gem-");
    stub.reset();
    const r = await cli(
      ["generate", "Generate 1 SFT examples about stoichiometry", "--provider", "offline"],
      { cwd, env: offlineEnv({ GEMINI_API_KEY: KEY }) },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split("\n")[0]).toBe("Using the offline provider (deterministic, no network).");
    expect(stub.requests).toHaveLength(0);
  });
});
