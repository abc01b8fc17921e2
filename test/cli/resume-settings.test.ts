import { existsSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYNTHETIC_TOPIC, writeSyntheticCorpus } from "../../bench/synthetic-corpus.js";
import { type GeminiWireServer, startGeminiWireServer } from "../../src/testing/index.js";
import { cli, offlineEnv, query, tempDir } from "./helpers.js";

/**
 * A run continues with the settings it was made with: its research folder, its budgets,
 * its models. A resume flag that differs from a stored setting is refused with both values,
 * unless --override.
 */

let wire: GeminiWireServer;
beforeAll(async () => {
  wire = await startGeminiWireServer({ seed: 3, latencyMs: 5 });
});
afterAll(async () => {
  await wire?.close();
});

const runId = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1)!).runId as string;
const sourcesOf = (db: string, id: string) =>
  query<{ context_sources: string | null }>(db, "SELECT context_sources FROM questions WHERE run_id = ?", [
    id,
  ])
    .flatMap((q) => (q.context_sources ? (JSON.parse(q.context_sources) as Array<{ url: string }>) : []))
    .map((s) => s.url);

describe("resume restores the whole run", () => {
  it("researches the run's --corpus folder, keeps its candidate budget, refuses a different flag without --override", async () => {
    const cwd = tempDir("sf-resume-");
    const corpus = writeSyntheticCorpus({ terms: 400, dir: join(cwd, "notes") });
    const first = await cli(
      [
        "generate",
        `Generate 10 SFT examples about ${SYNTHETIC_TOPIC}`,
        "--yes",
        "--corpus",
        corpus.dir,
        "--max-candidates",
        "4",
        "--json",
      ],
      { cwd },
    );
    expect(first.code, first.stderr).toBe(3);
    expect(first.stdout).toMatch(
      /continue with: synthforge resume run_\w+ \(its settings are stored with it\)/,
    );
    const id = runId(first.stdout);
    const db = join(cwd, "synthforge.db");

    // A plain resume: the same folder, and the budget of 4 candidates still holds.
    const plain = await cli(["resume", id, "--json"], { cwd });
    expect(plain.code, plain.stderr).toBe(3);
    const summary = JSON.parse(plain.stdout.trim().split("\n").at(-1)!);
    expect(summary.counts.candidates).toBe(4);
    expect(summary.stopReason).toMatch(/candidate budget of 4 spent/);

    // A flag that differs from the stored setting: one line naming both values.
    const refused = await cli(["resume", id, "--max-candidates", "30"], { cwd });
    expect(refused.code).toBe(2);
    const line = refused.stderr.trim().split("\n").at(-1)!;
    expect(line).toMatch(
      /^error \[INVALID_REQUEST\]: These flags differ from the settings the run was made with: --max-candidates \(the run has 4, you gave 30\)\. Pass --override/,
    );

    // With --override it goes on, to N, researching only the run's own folder.
    const raised = await cli(["resume", id, "--max-candidates", "30", "--override", "--json"], { cwd });
    expect(raised.code, raised.stderr).toBe(0);
    expect(raised.stderr).toMatch(/--override: --max-candidates is now 30 for this run \(was 4\)/);
    const urls = sourcesOf(db, id);
    expect(urls.length).toBeGreaterThan(0);
    for (const u of urls) expect(u.startsWith(`file://${corpus.dir}`)).toBe(true);
    // The raised budget is the run's now.
    const [run] = query<{ config: string; finished_at: string }>(
      db,
      "SELECT config, finished_at FROM runs WHERE id = ?",
      [id],
    );
    expect(JSON.parse(run!.config).budget.maxCandidates).toBe(30);

    // A finished run is left as it is.
    const again = await cli(["resume", id], { cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already completed/);
    const [after] = query<{ finished_at: string }>(db, "SELECT finished_at FROM runs WHERE id = ?", [id]);
    expect(after!.finished_at).toBe(run!.finished_at);
  });

  it("--sources and --licence-policy are stored settings: a resume that changes them is refused without --override", async () => {
    const cwd = tempDir("sf-resume-");
    const corpus = writeSyntheticCorpus({ terms: 200, dir: join(cwd, "notes") });
    const first = await cli(
      [
        "generate",
        `Generate 6 SFT examples about ${SYNTHETIC_TOPIC}`,
        "--yes",
        "--corpus",
        corpus.dir,
        "--licence-policy",
        "any",
        "--max-candidates",
        "2",
        "--json",
      ],
      { cwd },
    );
    expect(first.code, first.stderr).toBe(3);
    const id = runId(first.stdout);
    const db = join(cwd, "synthforge.db");
    const settingsOf = () =>
      JSON.parse(query<{ config: string }>(db, "SELECT config FROM runs WHERE id = ?", [id])[0]!.config)
        .settings.config as { sources: Array<{ type: string; dir?: string }>; licencePolicy?: unknown };
    expect(settingsOf().licencePolicy).toBe("any");

    // The same values are no change.
    const same = await cli(["resume", id, "--licence-policy", "any", "--corpus", corpus.dir, "--json"], {
      cwd,
    });
    expect(same.code, same.stderr).toBe(3);

    const policy = await cli(["resume", id, "--licence-policy", "permissive"], { cwd });
    expect(policy.code).toBe(2);
    expect(policy.stderr.trim().split("\n").at(-1)).toMatch(
      /^error \[INVALID_REQUEST\]: These flags differ from the settings the run was made with: --licence-policy \(the run has any, you gave permissive\)\. Pass --override/,
    );
    const sources = await cli(["resume", id, "--sources", "corpus"], { cwd });
    expect(sources.code).toBe(2);
    expect(sources.stderr.trim().split("\n").at(-1)).toContain(
      `--sources (the run has localFiles:${corpus.dir}, you gave corpus)`,
    );
    // Nothing was changed by the refusals.
    expect(settingsOf().licencePolicy).toBe("any");
    expect(settingsOf().sources).toEqual([{ type: "localFiles", dir: corpus.dir }]);

    // With --override the new values are the run's from now on.
    const changed = await cli(
      ["resume", id, "--licence-policy", "allow:CC-BY-4.0", "--sources", "corpus", "--override", "--json"],
      { cwd },
    );
    expect(changed.code, changed.stderr).not.toBe(2);
    expect(changed.stderr).toMatch(
      /--override: --licence-policy is now allow:CC-BY-4\.0 for this run \(was any\)/,
    );
    expect(changed.stderr).toMatch(/--override: --sources is now corpus for this run/);
    expect(settingsOf().licencePolicy).toEqual({ base: "permissive", allow: ["CC-BY-4.0"], deny: [] });
    expect(settingsOf().sources).toEqual([{ type: "corpus" }]);
  });

  it("a research folder that has gone missing is an error, not a fall-back to the bundled notes", async () => {
    const cwd = tempDir("sf-resume-");
    const corpus = writeSyntheticCorpus({ terms: 200, dir: join(cwd, "notes") });
    const first = await cli(
      [
        "generate",
        `Generate 6 SFT examples about ${SYNTHETIC_TOPIC}`,
        "--yes",
        "--corpus",
        corpus.dir,
        "--max-candidates",
        "2",
        "--json",
      ],
      { cwd },
    );
    expect(first.code, first.stderr).toBe(3);
    renameSync(corpus.dir, `${corpus.dir}-moved`);
    const r = await cli(["resume", runId(first.stdout)], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(
      /^error \[CORPUS_NOT_FOUND\]: The run researches the folder .*notes, which no longer exists/,
    );
  });

  it("a cost cap given to generate holds on a plain resume, and retry-failed keeps a candidate budget", async () => {
    const cwd = tempDir("sf-resume-");
    writeFileSync(
      join(cwd, "synthforge.config.yaml"),
      `provider: gemini\ngemini:\n  baseUrl: ${wire.url}\n  retries: 0\n`,
    );
    const env = offlineEnv({ GEMINI_API_KEY: "test-key-for-wire-0000" });
    const first = await cli(
      [
        "generate",
        "Generate 100 SFT examples about organic chemistry",
        "--yes",
        "--max-usd",
        "0.01",
        "--json",
      ],
      { cwd, env },
    );
    expect(first.code, first.stderr).toBe(3);
    const id = runId(first.stdout);
    const spent = JSON.parse(first.stdout.trim().split("\n").at(-1)!).usage.costUsd as number;
    const again = await cli(["resume", id, "--json"], { cwd, env });
    expect(again.code, again.stderr).toBe(3);
    const s = JSON.parse(again.stdout.trim().split("\n").at(-1)!);
    expect(s.stopReason).toMatch(/cost budget of \$0\.01 reached/);
    expect(s.usage.costUsd).toBe(spent);

    const retry = await cli(["retry-failed", id, "--max-usd", "0.5"], { cwd, env });
    expect(retry.code).toBe(2);
    expect(retry.stderr).toMatch(/--max-usd \(the run has 0\.01, you gave 0\.5\)/);
    expect(existsSync(join(cwd, "synthforge.db"))).toBe(true);
  });
});
