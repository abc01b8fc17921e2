import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startGeminiServer } from "../helpers/gemini-server.js";
import { offlineGeminiHandler } from "../helpers/offline-gemini.js";
import { cli, offlineEnv, query, tempDir } from "./helpers.js";

const REQUEST =
  "Generate 20 examples of chemistry data for DPO for A-level students with step-by-step reasoning";

describe("synthforge plan", () => {
  it("shows what a run would do, offline, without generating or making a database", async () => {
    const cwd = tempDir();
    const r = await cli(["plan", REQUEST], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toContain("count          20");
    expect(out).toContain("training type  dpo");
    expect(out).toMatch(/^ {2}topic {10}chemistry$/m);
    expect(out).toContain("constraints    audience: A-level students · style: step-by-step reasoning");
    expect(out).toMatch(/sub-topics {5}.+\(\d+\)/);
    expect(out).toMatch(/difficulty {5}easy \d+% · medium \d+% · hard \d+%/);
    expect(out).toContain("research searches corpus");
    expect(out).toMatch(/distinct questions {2}about \d+ \(\d+ passage\(s\) on "chemistry"/);
    expect(out).toMatch(/^ {4}offline +\$0\.00$/m);
    expect(out).toMatch(/gemini-2\.5-flash \(every agent\) +\$\d+\.\d+ +with --batch \$/);
    expect(out).toContain("planning made 2 model call(s)");
    expect(existsSync(join(cwd, "synthforge.db"))).toBe(false);
  });

  it("--json prints one JSON object", async () => {
    const cwd = tempDir();
    const r = await cli(["plan", REQUEST, "--json"], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const p = JSON.parse(lines[0]!);
    expect(p.plan).toMatchObject({
      count: 20,
      trainingType: "dpo",
      topic: "chemistry",
      constraints: { audience: "A-level students", style: "step-by-step reasoning" },
    });
    const quotas = p.plan.subTopics.reduce((s: number, t: { quota: number }) => s + t.quota, 0);
    expect(quotas).toBe(20);
    expect(p.material.distinctQuestions).toBeGreaterThan(20);
    const rows = p.cost.rows as Array<{ label: string; usd: number; batchUsd: number }>;
    expect(rows.find((x) => x.label === "offline")?.usd).toBe(0);
    const flash = rows.find((x) => x.label === "gemini-2.5-flash (every agent)")!;
    const pro = rows.find((x) => x.label === "gemini-2.5-pro (every agent)")!;
    expect(flash.usd).toBeGreaterThan(0);
    expect(pro.usd).toBeGreaterThan(flash.usd);
    expect(flash.batchUsd).toBeLessThan(flash.usd);
    expect(existsSync(join(cwd, "synthforge.db"))).toBe(false);
  });

  it("scales the cost estimate with the count", async () => {
    const cwd = tempDir();
    const [small, large] = (
      await Promise.all([
        cli(["plan", "Generate 10 SFT examples about physics", "--json"], { cwd }),
        cli(["plan", "Generate 1,000 SFT examples about physics", "--json"], { cwd }),
      ])
    ).map((r) => JSON.parse(r.stdout));
    const flash = (p: { cost: { rows: Array<{ label: string; usd: number }> } }) =>
      p.cost.rows.find((x) => x.label === "gemini-2.5-flash (every agent)")!.usd;
    expect(flash(large) / flash(small)).toBeGreaterThan(50);
    expect(large.warnings.join(" ")).toMatch(/fewer than the 1000 asked/);
    expect(small.warnings).toEqual([]);
  });

  it("names what cannot be planned: no material, another language offline, a missing topic", async () => {
    const cases: Array<[string, string, RegExp]> = [
      [
        "Generate 20 SFT examples about Kubernetes networking",
        "NO_MATERIAL",
        /nothing on "Kubernetes networking".*--corpus <folder>.*GEMINI_API_KEY/,
      ],
      [
        "Generate 5 KTO examples about medieval European history",
        "NO_MATERIAL",
        /nothing on "medieval European history"/,
      ],
      [
        "Generate 10 SFT examples about physics in Spanish",
        "INVALID_REQUEST",
        /offline provider writes English only/,
      ],
      ["Generate 10 SFT examples", "CLARIFICATION_NEEDED", /does not say the topic/],
    ];
    // The processes run at once (each is mostly start-up time).
    await Promise.all(
      cases.map(async ([request, code, message]) => {
        const cwd = tempDir();
        const r = await cli(["plan", request], { cwd });
        expect(r.code, request).toBe(2);
        const last = r.stderr.trim().split("\n").at(-1)!;
        expect(last).toMatch(new RegExp(`^error \\[${code}\\]: `));
        expect(last).toMatch(message);
        expect(r.stdout).toBe("");
        expect(existsSync(join(cwd, "synthforge.db"))).toBe(false);
      }),
    );
  });

  it("a contradictory request is one error line naming the contradiction", async () => {
    const cwd = tempDir();
    const r = await cli(["plan", "5 DPO examples as SFT about acids"], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([
      'error [INVALID_REQUEST]: The request names two training types: DPO ("DPO") and SFT ("SFT"). Ask for one of them.',
    ]);
  });

  it("--yes takes the defaults for what the request leaves out", async () => {
    const cwd = tempDir();
    const r = await cli(["plan", "Generate 10 SFT examples", "--yes"], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("--yes: topic = general science");
    expect(r.stdout).toContain("topic          general science");
  });
});

describe("synthforge generate, offline, says up front what it cannot do", () => {
  it("stops before any work on a topic the corpus does not cover, with no run stored", async () => {
    const cwd = tempDir();
    const r = await cli(["generate", "Generate 5 SFT examples about Kubernetes networking"], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(
      /^error \[NO_MATERIAL\]: .*nothing on "Kubernetes networking"/,
    );
    const db = join(cwd, "synthforge.db");
    if (existsSync(db)) {
      expect(query(db, "SELECT id FROM runs")).toEqual([]);
      expect(query(db, "SELECT id FROM questions")).toEqual([]);
    }
  });

  it("warns when the material supports fewer distinct questions than the count", async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, "notes"));
    writeFileSync(
      join(cwd, "notes", "ice.md"),
      "---\nlicence: CC0-1.0\ntitle: Ice sheets\n---\n\nAn ice sheet is a mass of glacial ice larger than 50,000 square kilometres, as glaciology defines it.\n\nIce sheets flow under their own weight; glaciology measures this flow with satellite radar.\n",
    );
    const r = await cli(
      ["generate", "Generate 12 SFT examples about glaciology", "--corpus", "notes", "--max-candidates", "2"],
      { cwd },
    );
    expect(r.stderr).toMatch(
      /warning: the sources support about 2 distinct question\(s\).*fewer than the 12 asked/,
    );
    expect(r.code).toBe(3);
  });
});

describe("synthforge plan with GEMINI_API_KEY (real genai client against the wire server)", () => {
  const KEY = "AIzaSy-test-key-that-must-never-be-printed";

  it("makes only the intake and planner calls, meters them, stores nothing, and never prints the key", async () => {
    const stub = await startGeminiServer(offlineGeminiHandler());
    try {
      const cwd = tempDir("sf-cli-plan-gem-");
      writeFileSync(join(cwd, "synthforge.config.yaml"), `gemini:\n  baseUrl: ${stub.url}\n`);
      const r = await cli(["plan", "Generate 30 SFT examples about organic chemistry", "--json"], {
        cwd,
        env: offlineEnv({ GEMINI_API_KEY: KEY }),
      });
      expect(r.code, r.stderr).toBe(0);
      const p = JSON.parse(r.stdout);
      expect(p.provider).toBe("gemini");
      expect(p.usage.calls).toBe(2);
      expect(p.usage.costUsd).toBeGreaterThan(0);
      expect(stub.requests.map((q) => /TASK: ([\w.]+)/.exec(JSON.stringify(q.body.contents))?.[1])).toEqual([
        "orchestrator.intake",
        "orchestrator.plan",
      ]);
      expect(p.plan).toMatchObject({ count: 30, trainingType: "sft", topic: "organic chemistry" });
      expect(existsSync(join(cwd, "synthforge.db"))).toBe(false);
      expect(r.stdout + r.stderr).not.toContain(KEY);
    } finally {
      await stub.close();
    }
  });
});
