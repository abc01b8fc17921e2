import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import type { CliIO } from "../../src/cli/progress.js";
import { closeJavaScriptSandbox } from "../../src/tools/js-sandbox.js";
import { closePythonSandbox } from "../../src/tools/python-sandbox.js";
import { labelledContext, labelledRow } from "../helpers/labelled.js";

const get = labelledRow;
const context = labelledContext;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sf-cli-review-"));
  delete process.env.GEMINI_API_KEY;
  delete process.env.GOOGLE_API_KEY;
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await closePythonSandbox();
  await closeJavaScriptSandbox();
});

async function cli(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (l) => out.push(l), err: (l) => err.push(l), tty: false };
  const code = await main(["node", "synthforge", ...args], io);
  return { code, out, err };
}

const messages = (r: Record<string, unknown>) => [
  { role: "user", content: r.prompt },
  { role: "assistant", content: r.response },
];

describe("synthforge review", () => {
  it("reviews an SFT file in the TRL messages format and writes the verdicts beside each row", async () => {
    const input = join(dir, "sft.jsonl");
    const good = get("good-sft-rate").row;
    const lines = [
      { messages: messages(good), context: context("good-sft-rate") },
      { messages: messages(get("bad-sft-python-fails").row), context: context("bad-sft-python-fails") },
      { messages: messages(good), context: context("good-sft-rate") },
      "not json at all",
      { something: "else" },
      {
        messages: messages(get("bad-sft-contradicts-rate").row),
        context: context("bad-sft-contradicts-rate"),
      },
    ];
    writeFileSync(
      input,
      `${lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n")}\n\n`,
    );
    const out = join(dir, "scored.jsonl");
    const r = await cli("review", input, "--type", "sft", "--out", out, "--no-sources", "--json");
    expect(r.code).toBe(0);
    expect(r.err[0]).toMatch(/offline provider/);
    const summary = JSON.parse(r.out.at(-1)!);
    expect(summary).toMatchObject({
      rows: 6,
      approved: 1,
      rejected: 3,
      invalid: 2,
      trainingType: "sft",
      formats: { "trl-sft-messages": 4 },
      provider: "offline",
    });
    expect(r.out[0]).toBe("reviewed 6 sft row(s) of sft.jsonl (read as trl-sft-messages 4)");

    const rows = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(6);
    expect(rows[0].messages).toEqual(lines[0] && (lines[0] as { messages: unknown }).messages);
    expect(rows[0].review).toMatchObject({ status: "approved", format: "trl-sft-messages", notes: [] });
    expect(rows[0].review.quality_score).toBeGreaterThanOrEqual(0.8);
    expect(rows[0].review.verdicts.map((v: { kind: string }) => v.kind)).toContain("fact_check");
    expect(rows[1].review).toMatchObject({
      status: "rejected",
      quality_score: 0,
      notes: ["the python code does not run: AssertionError"],
    });
    expect(rows[2].review.notes).toEqual(["an exact duplicate of line 1"]);
    expect(rows[3]).toMatchObject({
      raw: "not json at all",
      review: { status: "invalid", notes: ["line 4: not valid JSON"] },
    });
    expect(rows[4].review.notes[0]).toMatch(/^line 5: not a sft row in a known format/);
    expect(rows[5].review.notes[0]).toMatch(/^fix a claim the sources contradict/);

    // A second review into the same file is refused (the scores are kept) unless --force.
    const before = readFileSync(out, "utf8");
    const again = await cli("review", input, "--type", "sft", "--out", out, "--no-sources");
    expect(again.code).not.toBe(0);
    expect(again.err.join("\n")).toMatch(/already exists; pass --force/);
    expect(readFileSync(out, "utf8")).toBe(before);
    const forced = await cli("review", input, "--type", "sft", "--out", out, "--no-sources", "--force");
    expect(forced.code).toBe(0);
    expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(6);
  });

  it("reads DPO pairs and flags a swapped one; decontaminates against --benchmark", async () => {
    const input = join(dir, "dpo.jsonl");
    const good = get("good-dpo-catalyst").row;
    const swapped = get("bad-dpo-swapped-benzene").row;
    const pair = (r: Record<string, unknown>, id: string) => ({
      prompt: [{ role: "user", content: r.prompt }],
      chosen: [{ role: "assistant", content: r.chosen }],
      rejected: [{ role: "assistant", content: r.rejected }],
      context: context(id),
    });
    const bench = join(dir, "bench.jsonl");
    writeFileSync(
      bench,
      `${JSON.stringify({ id: "q-7", question: "Is benzene soluble in water? Answer yes or no and explain why in one sentence." })}\n`,
    );
    const contaminated = {
      ...pair(get("good-dpo-benzene").row, "good-dpo-benzene"),
      prompt: [
        {
          role: "user",
          content: "Is benzene soluble in water? Answer yes or no and explain why in one sentence.",
        },
      ],
    };
    writeFileSync(
      input,
      [pair(good, "good-dpo-catalyst"), pair(swapped, "bad-dpo-swapped-benzene"), contaminated]
        .map((l) => JSON.stringify(l))
        .join("\n"),
    );
    const r = await cli("review", input, "--type", "dpo", "--no-sources", "--benchmark", bench);
    expect(r.code).toBe(0);
    const rows = readFileSync(join(dir, "dpo.scored.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => x.review.status)).toEqual(["approved", "rejected", "rejected"]);
    expect(rows[0].review.format).toBe("trl-dpo");
    expect(rows[1].review.notes[0]).toMatch(/chosen and rejected look swapped/);
    expect(rows[2].review.notes[0]).toBe(
      'contains benchmark item q-7 of bench.jsonl (100% of its 8-grams, field "question")',
    );
  });

  it("finds ground truth in the configured sources when a row brings none", async () => {
    const input = join(dir, "corpus.jsonl");
    const passage =
      "Increasing the temperature increases the rate of most chemical reactions, because a larger fraction of molecular collisions have energy above the activation energy.";
    const corpus = join(dir, "notes");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(corpus, { recursive: true });
    writeFileSync(
      join(corpus, "rates.md"),
      `---\ntitle: Reaction rates\nlicense: CC-BY-4.0\n---\n\n# Reaction rates\n\n${passage}\n`,
    );
    writeFileSync(
      input,
      `${JSON.stringify({ instruction: "How does temperature affect reaction rates?", input: "", output: passage.replace("increases the rate", "decreases the rate") })}\n`,
    );
    const r = await cli("review", input, "--type", "sft", "--corpus", corpus, "--json");
    const summary = JSON.parse(r.out.at(-1)!);
    expect(summary).toMatchObject({ rows: 1, formats: { alpaca: 1 } });
    const row = JSON.parse(readFileSync(join(dir, "corpus.scored.jsonl"), "utf8"));
    expect(row.review.sources[0]).toMatch(/rates\.md$/);
    expect(row.review.notes[0]).toMatch(/contradict/);
  });

  it("says what to fix for a bad command line", async () => {
    const missingType = await cli("review", join(dir, "sft.jsonl"));
    expect(missingType.code).toBe(2);
    expect(missingType.err.join("\n")).toMatch(/--type/);
    const badType = await cli("review", join(dir, "sft.jsonl"), "--type", "xyz");
    expect(badType.code).toBe(2);
    expect(badType.err.join("\n")).toMatch(/UNKNOWN_TRAINING_TYPE|training type/);
    const missing = await cli("review", join(dir, "nope.jsonl"), "--type", "sft");
    expect(missing.code).toBe(2);
    expect(missing.err.join("\n")).toMatch(/\[INPUT_FILE_INVALID\]: .*nope\.jsonl does not exist/);
  });

  it("checks the topic and the language given on the command line, and names each defect", async () => {
    const input = join(dir, "topic.jsonl");
    const rows = [
      {
        prompt: "What does the @decorator syntax above a def statement do in Python?",
        response:
          "It is shorthand for func = decorator(func): the decorator, a callable, takes the function and returns a new function that usually wraps the original to add behaviour before or after it runs.",
      },
      {
        prompt: "What does a python eat, and how often does it need to feed?",
        response:
          "Pythons are constrictors that eat mainly mammals and birds; small pythons take rodents, and large species take prey as large as deer. Being reptiles with a slow metabolism, they feed rarely, every few weeks.",
      },
      {
        prompt: "What does functools.wraps do for a decorator?",
        response:
          "Le décorateur functools.wraps copie le nom et la documentation de la fonction enveloppée sur la fonction qui l'enveloppe, de sorte que les outils de débogage et la documentation affichent toujours le nom d'origine.",
      },
      { prompt: "What is a decorator?", reward: 1 },
      { prompt: "What is a decorator?", response: "x".repeat(150_000) },
    ];
    writeFileSync(input, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const out = join(dir, "topic.scored.jsonl");
    const res = await cli(
      "review",
      input,
      "--type",
      "sft",
      "--topic",
      "Python programming",
      "--sub-topic",
      "decorators",
      "--language",
      "en",
      "--out",
      out,
      "--json",
    );
    expect(res.code).toBe(0);
    const scored = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { review: { status: string; defect: string | null; notes: string[] } });
    expect(scored.map((r) => [r.review.status, r.review.defect])).toEqual([
      ["approved", null],
      ["rejected", "off_topic"],
      ["rejected", "wrong_language"],
      ["invalid", "format_invalid"],
      ["invalid", "format_invalid"],
    ]);
    const failing = (
      scored[1]!.review as unknown as { verdicts: Array<{ kind: string; passed: boolean; defect?: string }> }
    ).verdicts.filter((v) => !v.passed && v.kind !== "final");
    expect(failing).toEqual([expect.objectContaining({ kind: "gate:on_topic", defect: "off_topic" })]);
    expect(scored[4]!.review.notes[0]).toMatch(/150,000 characters \(the limit is 100,000\)/);
    const badLanguage = await cli("review", input, "--type", "sft", "--language", "Spanish");
    expect(badLanguage.code).toBe(2);
    expect(badLanguage.err.join("\n")).toMatch(/--language must be an ISO 639-1 code/);
  });
});
