import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type ExportFormat, validateFormatRow } from "../../src/training-types/formats.js";
import { cli, fileHash, query, tempDir } from "./helpers.js";

describe("CLI offline, as a user runs it", () => {
  let cwd: string;
  let db: string;
  let runId: string;
  let generated: { code: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    cwd = tempDir();
    db = join(cwd, "synthforge.db");
    generated = await cli(
      ["generate", "Generate 10 SFT examples about organic chemistry", "--yes", "--json"],
      { cwd },
    );
    runId = JSON.parse(generated.stdout.trim().split("\n").at(-1)!).runId;
  });

  it("generates 10 approved SFT examples into ./synthforge.db and says how", () => {
    expect(generated.code, generated.stderr).toBe(0);
    expect(generated.stderr.split("\n")[0]).toBe(
      "No GEMINI_API_KEY or GOOGLE_API_KEY set: using the offline provider (deterministic, no network). Set GEMINI_API_KEY to generate with Gemini.",
    );
    expect(generated.stderr).toContain("[plan] done");
    expect(generated.stderr).toContain("[questions] done");
    expect(generated.stderr).toMatch(/10\/10 approved/);
    expect(generated.stdout).toMatch(/completed: 10\/10 approved SFT examples about organic chemistry/);
    expect(generated.stdout).toMatch(/approved 10 · needs_revision 0 · rejected \d+ · failed \d+/);
    expect(generated.stdout).toMatch(/model calls \d+ · tokens [\d,]+ .* provider offline/);
    expect(generated.stdout).toContain(`data: ${db}`);

    const rows = query<{
      quality_score: number;
      review_status: string;
      question_id: string;
      sources: string;
      provider: string;
    }>(db, "SELECT * FROM synthetic_data_sft WHERE run_id = ? AND review_status = 'approved'", [runId]);
    expect(rows).toHaveLength(10);
    for (const r of rows) {
      expect(r.quality_score).toBeGreaterThanOrEqual(0.8);
      expect(r.provider).toBe("offline");
      expect(JSON.parse(r.sources).length).toBeGreaterThan(0);
    }
    const qs = query<{ ground_truth_context: string; synthesized_context: string; context_sources: string }>(
      db,
      "SELECT q.* FROM questions q JOIN synthetic_data_sft e ON e.question_id = q.id WHERE e.run_id = ?",
      [runId],
    );
    expect(qs).toHaveLength(rows.length);
    for (const q of qs) {
      expect(q.ground_truth_context.length).toBeGreaterThan(50);
      expect(JSON.parse(q.synthesized_context).summary.length).toBeGreaterThan(0);
      expect(JSON.parse(q.context_sources)[0].licence).toBe("CC-BY-4.0");
    }
  });

  it("--json makes the last line a machine-readable summary", () => {
    const last = JSON.parse(generated.stdout.trim().split("\n").at(-1)!);
    expect(last).toMatchObject({ runId, status: "completed", counts: { target: 10, approved: 10 } });
  });

  it.each(["trl-sft-messages", "trl-sft-prompt-completion", "openai-chat", "alpaca"] as ExportFormat[])(
    "exports %s, every line valid",
    async (format) => {
      const out = join(cwd, `${format}.jsonl`);
      const r = await cli(["export", "--run", "latest", "--format", format, "--out", out], { cwd });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`wrote 10 sft example(s) as ${format}`);
      const lines = readFileSync(out, "utf8").trim().split("\n");
      expect(lines).toHaveLength(10);
      for (const l of lines) expect(validateFormatRow(format, JSON.parse(l))).toEqual([]);
    },
  );

  it("refuses an export format the training type cannot have", async () => {
    const r = await cli(["export", "--run", runId, "--format", "trl-dpo", "--out", join(cwd, "x.jsonl")], {
      cwd,
    });
    expect(r.code).toBe(2);
    const line = r.stderr.trim();
    expect(line.split("\n")).toHaveLength(1);
    expect(line).toMatch(/^error \[EXPORT_FORMAT_UNSUPPORTED\]: A sft run cannot be exported as trl-dpo/);
    expect(line).toMatch(
      /sft exports to: trl-sft-messages, trl-sft-prompt-completion, openai-chat, .*alpaca/,
    );
    expect(existsSync(join(cwd, "x.jsonl"))).toBe(false);
  });

  it("lists runs", async () => {
    const r = await cli(["runs"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(runId);
    expect(r.stdout).toMatch(/completed sft\s+10\/10/);
  });

  it("with --yes and a vague request, takes the defaults and prints them", async () => {
    const d = tempDir();
    const r = await cli(["generate", "Make me some training data", "--yes", "--count", "2"], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("--yes: training type = sft");
    expect(r.stderr).toContain("--yes: topic = general science");
  });
});

describe("CLI review options", () => {
  it("--dedup database rejects copies of earlier runs; --benchmark rejects benchmark items", async () => {
    const cwd = tempDir();
    expect(
      (await cli(["generate", "Generate 3 SFT examples about stoichiometry", "--yes"], { cwd })).code,
    ).toBe(0);
    expect((await cli(["export", "--format", "alpaca", "--out", "bench.jsonl"], { cwd })).code).toBe(0);

    const again = await cli(
      ["generate", "Generate 3 SFT examples about stoichiometry", "--yes", "--max-candidates", "4"],
      { cwd },
    );
    expect(again.code, again.stderr).toBe(0); // within-run dedup (the default) allows a second dataset

    const dedup = await cli(
      [
        "generate",
        "Generate 3 SFT examples about stoichiometry",
        "--yes",
        "--dedup",
        "database",
        "--max-candidates",
        "4",
      ],
      { cwd },
    );
    expect(dedup.code).toBe(3);
    expect(dedup.stdout).toMatch(/dropped: 3× review: an exact duplicate of example #/);

    const bench = await cli(
      [
        "generate",
        "Generate 3 SFT examples about stoichiometry",
        "--yes",
        "--benchmark",
        "bench.jsonl",
        "--max-candidates",
        "4",
      ],
      { cwd },
    );
    expect(bench.code).toBe(3);
    expect(bench.stdout).toMatch(/dropped: [34]× review: contains benchmark item row # of bench\.jsonl/);

    const bad = await cli(
      ["generate", "Generate 1 SFT examples about stoichiometry", "--dedup", "sometimes"],
      {
        cwd,
      },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(
      'error [INVALID_REQUEST]: --dedup must be run, database or off, got "sometimes".',
    );
  });
});

describe("CLI bad input: one typed line, non-zero exit, database untouched", () => {
  let cwd: string;
  let db: string;
  let before: string;

  beforeAll(async () => {
    cwd = tempDir();
    db = join(cwd, "synthforge.db");
    const r = await cli(["generate", "Generate 1 SFT examples about stoichiometry", "--yes"], { cwd });
    expect(r.code, r.stderr).toBe(0);
    before = fileHash(db);
  });

  const cases: Array<[string, string[], string, RegExp]> = [
    ["count 0", ["generate", "Generate 0 SFT examples about x"], "INVALID_COUNT", /must be at least 1/],
    [
      "negative count",
      ["generate", "Generate -5 SFT examples about x"],
      "INVALID_COUNT",
      /must be at least 1/,
    ],
    [
      "non-numeric count",
      ["generate", "SFT about x", "--count", "lots"],
      "INVALID_COUNT",
      /"lots" is not a number/,
    ],
    ["absurd count", ["generate", "Generate 2000000 SFT examples about x"], "INVALID_COUNT", /pass --force/],
    [
      "unknown training type",
      ["generate", "Generate 5 XYZ examples about x"],
      "UNKNOWN_TRAINING_TYPE",
      /Use one of: sft, dpo/,
    ],
    [
      "unknown --type",
      ["generate", "about x", "--count", "2", "--type", "sfx"],
      "UNKNOWN_TRAINING_TYPE",
      /Unknown training type "sfx"/,
    ],
    [
      "malformed --db",
      ["generate", "Generate 2 SFT examples about x", "--db", "mysql://u:p@h/db"],
      "DB_URL_INVALID",
      /postgres/,
    ],
    [
      "missing corpus folder",
      ["generate", "Generate 2 SFT examples about x", "--corpus", "./no-such-folder"],
      "CORPUS_NOT_FOUND",
      /no-such-folder does not exist/,
    ],
    [
      "missing fields, no TTY, no --yes",
      ["generate", "Make some data"],
      "CLARIFICATION_NEEDED",
      /count, training type, topic.*--yes/,
    ],
  ];

  it.each(cases)("%s", async (_name, args, code, message) => {
    const r = await cli(args, { cwd });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^error \\[${code}\\]: `));
    expect(lines[0]).toMatch(message);
    expect(fileHash(db)).toBe(before);
  });

  it("a corrupt config file", async () => {
    writeFileSync(join(cwd, "synthforge.config.yaml"), "concurrency: [1, 2\nmodels: {generation\n");
    try {
      const r = await cli(["generate", "Generate 2 SFT examples about x"], { cwd });
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toMatch(
        /^error \[CONFIG_INVALID\]: Config file .*synthforge\.config\.yaml is not valid YAML/,
      );
      expect(fileHash(db)).toBe(before);
    } finally {
      writeFileSync(join(cwd, "synthforge.config.yaml"), "");
    }
  });

  it("an unreachable PostgreSQL, without showing its password", async () => {
    const r = await cli(
      ["generate", "Generate 2 SFT examples about x", "--db", "postgres://sf:s3cretpw@127.0.0.1:1/synth"],
      { cwd },
    );
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^error \[DB_UNREACHABLE\]: postgres:\/\/sf:\[redacted\]@127\.0\.0\.1:1\/synth/,
    );
    expect(r.stderr).not.toContain("s3cretpw");
  });

  it("a file that is not a database is left as it was", async () => {
    const notDb = join(cwd, "notes.txt");
    writeFileSync(notDb, "just some notes\n");
    const h = fileHash(notDb);
    const r = await cli(["generate", "Generate 2 SFT examples about x", "--db", notDb], { cwd });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^error \[(DB_SCHEMA|DB_UNREACHABLE)\]/);
    expect(fileHash(notDb)).toBe(h);
  });
});
