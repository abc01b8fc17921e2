import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OpenAIWireServer, startOpenAIWireServer } from "../../src/testing/openai-wire-server.js";
import { cli, offlineEnv, query, tempDir } from "./helpers.js";

let server: OpenAIWireServer;
beforeAll(async () => {
  server = await startOpenAIWireServer();
});
afterAll(async () => {
  await server?.close();
});

const OPENAI_KEY = "sk-user-openai-key-never-sent-to-a-local-server";

describe("CLI on an OpenAI-compatible server", () => {
  it("runs every agent on the configured provider, with a per-agent model, stored and metered at $0", async () => {
    const cwd = tempDir("sf-cli-oai-");
    writeFileSync(
      join(cwd, "synthforge.config.yaml"),
      [
        "provider: local",
        "providers:",
        "  local:",
        `    baseUrl: ${server.url}/v1`,
        "    model: wire-8b",
        "models:",
        "  generation: local:wire-gen",
        "sources:",
        "  - type: corpus",
        "",
      ].join("\n"),
    );
    server.reset();
    // A Gemini key is set too: the configured provider wins, and no key reaches the server.
    const r = await cli(["generate", "Generate 3 SFT examples about organic chemistry", "--yes"], {
      cwd,
      env: offlineEnv({ OPENAI_API_KEY: OPENAI_KEY, GEMINI_API_KEY: "AIza-not-used-here-0123456789abcdef" }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split("\n").slice(0, 2)).toEqual([
      "using config ./synthforge.config.yaml",
      `Using local (OpenAI-compatible server at ${server.url}/v1, model wire-8b).`,
    ]);

    // Every agent went through the server, the generation agent on its own model.
    const modelsOf = (prefix: string) =>
      new Set(server.requests.filter((q) => q.task?.startsWith(prefix)).map((q) => q.model));
    expect([...modelsOf("orchestrator.")]).toEqual(["wire-8b"]);
    expect([...modelsOf("question.")]).toEqual(["wire-8b"]);
    expect([...modelsOf("generation.")]).toEqual(["wire-gen"]);
    expect([...modelsOf("reviewer.")]).toEqual(["wire-8b"]);
    expect(server.requests.every((q) => q.authorization === undefined)).toBe(true);
    expect(server.requests.every((q) => q.body.stream === false)).toBe(true);

    const db = join(cwd, "synthforge.db");
    const examples = query<{ n: number }>(
      db,
      "SELECT COUNT(*) AS n FROM synthetic_data_sft WHERE review_status = 'approved'",
    )[0]!.n;
    expect(examples).toBe(3);
    const calls = query<{
      model: string;
      provider: string;
      cost_usd: number;
      input_tokens: number;
      status: string;
    }>(db, "SELECT model, provider, cost_usd, input_tokens, status FROM llm_calls");
    const okRequests = server.requests.filter((q) => q.status === 200).length;
    expect(calls.filter((c) => c.status === "ok")).toHaveLength(okRequests);
    expect(new Set(calls.map((c) => c.model))).toEqual(new Set(["local:wire-8b", "local:wire-gen"]));
    expect(new Set(calls.map((c) => c.provider))).toEqual(new Set(["local"]));
    expect(calls.every((c) => c.cost_usd === 0 && c.input_tokens > 0)).toBe(true);
    const dump = JSON.stringify(query(db, "SELECT * FROM runs"));
    expect(dump).not.toContain(OPENAI_KEY);
  });

  it("sends one agent to a prefixed provider while the rest stay offline", async () => {
    const cwd = tempDir("sf-cli-oai-");
    writeFileSync(
      join(cwd, "synthforge.config.yaml"),
      ["providers:", "  box:", `    baseUrl: ${server.url}/v1`, "sources:", "  - type: corpus", ""].join(
        "\n",
      ),
    );
    server.reset();
    const r = await cli(
      [
        "generate",
        "Generate 2 SFT examples about organic chemistry",
        "--yes",
        "--model",
        "reviewer=box:judge-3b",
      ],
      { cwd, env: offlineEnv() },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.length).toBeGreaterThan(0);
    expect(new Set(server.requests.map((q) => q.task?.split(".")[0]))).toEqual(new Set(["reviewer"]));
    expect(new Set(server.requests.map((q) => q.model))).toEqual(new Set(["judge-3b"]));
    const calls = query<{ role: string; model: string; cost_usd: number }>(
      join(cwd, "synthforge.db"),
      "SELECT role, model, cost_usd FROM llm_calls",
    );
    expect(new Set(calls.filter((c) => c.role === "reviewer").map((c) => c.model))).toEqual(
      new Set(["box:judge-3b"]),
    );
    expect(calls.filter((c) => c.role !== "reviewer").every((c) => c.model === "synthforge-offline-1")).toBe(
      true,
    );
  });

  it("refuses a provider name the config does not define, naming the choices", async () => {
    const cwd = tempDir("sf-cli-oai-");
    const r = await cli(["generate", "Generate 1 SFT examples about x", "--yes", "--provider", "olama"], {
      cwd,
      env: offlineEnv(),
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      "--provider must be auto, gemini, offline, ollama, lmstudio, vllm, llamacpp, openai",
    );
    expect(r.stderr).toContain('got "olama"');
  });
});
