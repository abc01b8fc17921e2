import { readFileSync, writeFileSync } from "node:fs";
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
    // The config file it read, then the provider.
    expect(r.stderr.split("\n").slice(0, 2)).toEqual([
      "using config ./synthforge.config.yaml",
      "Using Gemini (key from GEMINI_API_KEY / GOOGLE_API_KEY).",
    ]);
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

  it("synthforge review runs its reviewer on Gemini too, and never prints the key", async () => {
    const cwd = tempDir("sf-cli-gem-");
    writeFileSync(join(cwd, "synthforge.config.yaml"), `gemini:\n  baseUrl: ${stub.url}\n`);
    const fix = join(import.meta.dirname, "..", "fixtures", "review");
    const good = readFileSync(join(fix, "labelled.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: string; row: Record<string, string>; passages: string[] })
      .find((l) => l.id === "good-sft-rate")!;
    const passages = JSON.parse(readFileSync(join(fix, "passages.json"), "utf8")) as Record<
      string,
      { text: string }
    >;
    const row = {
      messages: [
        { role: "user", content: good.row.prompt },
        { role: "assistant", content: good.row.response },
      ],
      context: good.passages.map((k) => passages[k]!.text),
    };
    writeFileSync(join(cwd, "sft.jsonl"), `${JSON.stringify(row)}\n`);
    stub.reset();
    const r = await cli(
      ["review", "sft.jsonl", "--type", "sft", "--out", "scored.jsonl", "--no-sources", "--json"],
      {
        cwd,
        env: offlineEnv({ GEMINI_API_KEY: KEY }),
      },
    );
    expect(r.code, r.stderr).toBe(0);
    // The config file it read, then the provider.
    expect(r.stderr.split("\n").slice(0, 2)).toEqual([
      "using config ./synthforge.config.yaml",
      "Using Gemini (key from GEMINI_API_KEY / GOOGLE_API_KEY).",
    ]);
    expect(JSON.parse(r.stdout.trim().split("\n").at(-1)!)).toMatchObject({
      rows: 1,
      approved: 1,
      provider: "gemini",
    });
    const judged = stub.requests.filter((q) =>
      JSON.stringify(q.body.contents).includes("TASK: reviewer.judge"),
    );
    expect(judged.length).toBeGreaterThan(0);
    expect(new Set(judged.map((q) => q.model))).toEqual(new Set(["gemini-2.0-flash"]));
    expect(stub.requests.every((q) => q.apiKey === KEY)).toBe(true);
    expect(r.stdout + r.stderr + readFileSync(join(cwd, "scored.jsonl"), "utf8")).not.toContain(KEY);
  });
});
