import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GeminiWireServer, startGeminiWireServer } from "../../src/testing/index.js";
import {
  type AttackTarget,
  aimAt,
  pythonAttacks,
  pythonContaminations,
  startAttackTarget,
} from "../helpers/sandbox-attacks.js";
import { cli, offlineEnv, query, tempDir } from "./helpers.js";

/**
 * The Python attack battery through the real CLI, with a key in its environment: as rows
 * of a dataset given to `synthforge review`, and as the code a (wire-server) model
 * returns during `synthforge generate`. Nothing may leak, nothing on the host may change,
 * no hostile row may be approved, a correct row after a hostile one keeps its verdict, and
 * the CLI exits on its own.
 */

let target: AttackTarget;
let wire: GeminiWireServer;
let hostileGenerations = 0;
const attacks = pythonAttacks();

const BENIGN = {
  prompt: "How many moles of water are in 36.03 g of water? The molar mass of water is 18.015 g/mol.",
  reasoning: "The amount of substance is n = m / M.\nn = 36.03 g / 18.015 g/mol = 2.0 mol.",
  code: "m = 36.03\nM = 18.015\nprint(round(m / M, 2))",
  predicted_answer: "2.0",
  solution: "2.0",
  is_correct: true,
  execution_output: "2.0",
};

/** A correct row, different for each `i` (so that no dedup check skips running it). */
function benign(i: number, code?: string, answer?: string): Record<string, unknown> {
  const [a, b, c] = [12 + 7 * i, 31 + 3 * i, 100 + 11 * i];
  const y = String(a * b + c);
  return {
    prompt: `What is ${a} × ${b} + ${c}?`,
    reasoning: `${a} × ${b} = ${a * b}\n${a * b} + ${c} = ${y}`,
    code: code ?? `import math\nassert math.sqrt(16) == 4.0\nprint(${a} * ${b} + ${c})`,
    predicted_answer: answer ?? y,
    solution: answer ?? y,
    is_correct: true,
    execution_output: answer ?? y,
  };
}

beforeAll(async () => {
  target = await startAttackTarget();
  wire = await startGeminiWireServer({
    respond: ({ task }) => {
      // The first generations of the run are hostile programs, then correct ones.
      if (task !== "generation.grpo" || hostileGenerations >= 6) return undefined;
      const attack = attacks[(hostileGenerations * 5) % attacks.length]!;
      hostileGenerations++;
      return {
        prompt: "How many moles of water are in 36.03 g of water? (molar mass 18.015 g/mol)",
        reasoning: "n = m / M\nn = 36.03 / 18.015 = 2.0 mol",
        code: aimAt(attack.code, target),
        predicted_answer: "2.0",
      };
    },
  });
});

afterAll(async () => {
  await wire?.close();
  await target?.close();
});

/** A user's environment with a key (the canary) and the config pointing at the wire server. */
function keyedEnv(): NodeJS.ProcessEnv {
  return offlineEnv({ ...target.canaryEnv });
}

function expectNothingLeaked(texts: string[]): void {
  const all = texts.join("\n");
  expect(all).not.toContain(target.canary);
  for (const v of Object.values(target.canaryEnv)) expect(all).not.toContain(v);
  expect(target.check()).toEqual({ connections: 0, victimAlive: true, newFiles: [], secretIntact: true });
}

describe("the attack battery through synthforge review", () => {
  it("approves no hostile row, leaks nothing, keeps the verdicts of correct rows, and exits", async () => {
    const cwd = tempDir("sf-attack-review-");
    writeFileSync(join(cwd, "synthforge.config.yaml"), `gemini:\n  baseUrl: ${wire.url}\n`);
    const rows: Array<Record<string, unknown>> = [{ id: "benign-first", ...BENIGN }];
    for (const [i, a] of attacks.entries()) {
      rows.push({ id: `attack-${i}`, ...benign(1000 + i, aimAt(a.code, target)) });
      rows.push({ id: `benign-after-${i}`, ...benign(i) });
    }
    for (const [i, c] of pythonContaminations().entries()) {
      rows.push({ id: `contaminate-${i}`, ...benign(2000 + i, c.first) });
      rows.push({ id: `benign-after-contamination-${i}`, ...benign(3000 + i, c.after, "CLEAN") });
    }
    const input = join(cwd, "rows.jsonl");
    writeFileSync(input, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const out = join(cwd, "scored.jsonl");
    const r = await cli(["review", input, "--type", "grpo", "--out", out, "--no-sources", "--json"], {
      cwd,
      env: keyedEnv(),
    });
    expect(r.code, r.stderr).toBe(0);
    type Verdict = { kind: string; passed: boolean; reasons: string[] };
    const scored = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: string; review: { status: string; verdicts: Verdict[] } });
    expect(scored).toHaveLength(rows.length);
    expect(scored[0]!.review.status).toBe("approved");
    for (const s of scored) {
      // A correct row after a hostile one still runs and prints its answer (copies of it
      // are then rejected as duplicates, which is the dedup check's business).
      const program = s.review.verdicts.find((v) => v.kind === "verifier:program");
      if (s.id.startsWith("benign")) expect(program, s.id).toMatchObject({ passed: true });
      // A hostile row is never approved. (Contamination rows print the right answer and
      // are judged on their merits.)
      if (s.id.startsWith("attack-")) expect(s.review.status, s.id).not.toBe("approved");
    }
    expectNothingLeaked([r.stdout, r.stderr, readFileSync(out, "utf8")]);
    // Dozens of programs that each run to a CPU-time limit: on a loaded machine this takes
    // minutes of wall time, so the test waits for the CLI to exit rather than for a clock.
  }, 600_000);
});

describe("the attack battery through synthforge generate (a model that returns hostile code)", () => {
  it("stores no hostile row as approved, stores no secret, leaks nothing, and exits", async () => {
    const cwd = tempDir("sf-attack-generate-");
    writeFileSync(join(cwd, "synthforge.config.yaml"), `gemini:\n  baseUrl: ${wire.url}\n`);
    hostileGenerations = 0;
    // Hostile rows are rejected and some questions find no ground truth: room for candidates.
    const r = await cli(
      ["generate", "Generate 3 GRPO examples about stoichiometry", "--yes", "--max-candidates", "40"],
      {
        cwd,
        env: keyedEnv(),
      },
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(hostileGenerations).toBe(6);
    const db = join(cwd, "synthforge.db");
    const approved = query<{ code: string; execution_output: string | null }>(
      db,
      "SELECT code, execution_output FROM synthetic_data_grpo WHERE review_status = 'approved'",
    );
    expect(approved).toHaveLength(3);
    for (const row of approved) expect(row.code).not.toContain(target.dir);
    const tables = ["runs", "questions", "synthetic_data_grpo", "reviews", "failures", "llm_calls"];
    expectNothingLeaked([
      r.stdout,
      r.stderr,
      ...tables.map((t) => JSON.stringify(query(db, `SELECT * FROM ${t}`))),
    ]);
  }, 600_000);
});
