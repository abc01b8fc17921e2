import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type CliResult, cli, query, tempDir } from "./helpers.js";

/**
 * Several `synthforge generate` processes on one SQLite file, all started at once on a
 * file that does not exist yet (so they also race to create and migrate it). Each must
 * finish its own run exactly: N approved, its own run id, exit 0, no lock error.
 */

const N = 12;
const REQUEST = `Generate ${N} SFT examples about organic chemistry`;
/** Many processes on two loaded cores: a bound that only stops a hung test. */
const TIMEOUT = 300_000;

let abort: AbortController;
afterEach(() => {
  // A test that fails or times out leaves no process behind.
  abort?.abort();
});

/** Starts `k` processes with `args` in one new folder at once, and waits for every one to exit. */
async function together(k: number, args: string[]): Promise<{ db: string; results: CliResult[] }> {
  abort = new AbortController();
  const cwd = tempDir("sf-sqlite-concurrency-");
  const results = await Promise.all(
    Array.from({ length: k }, () => cli(args, { cwd, signal: abort.signal })),
  );
  return { db: join(cwd, "data", "synthforge.db"), results };
}

interface Summary {
  runId: string;
  status: string;
  counts: { target: number; approved: number };
}

function summaryOf(r: CliResult): Summary {
  const last = r.stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(last) as Summary;
}

/** Every process exited 0 with its own completed run of exactly `n` approved examples. */
function expectEachFinishedItsOwnRun(db: string, results: CliResult[], n: number): void {
  for (const r of results) {
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.code, out).toBe(0);
    expect(out).not.toMatch(/SqliteError|database is locked|SQLITE_BUSY|SQLITE_LOCKED|DB_UNREACHABLE/i);
  }
  const summaries = results.map(summaryOf);
  const ids = summaries.map((s) => s.runId);
  expect(new Set(ids).size).toBe(results.length);
  for (const s of summaries) {
    expect(s.status).toBe("completed");
    expect(s.counts).toMatchObject({ target: n, approved: n });
  }

  const runs = query<{ id: string; status: string; target_count: number }>(
    db,
    "SELECT id, status, target_count FROM runs ORDER BY id",
  );
  expect(runs.map((r) => r.id)).toEqual([...ids].sort());
  for (const run of runs) {
    expect(run.status, run.id).toBe("completed");
    expect(run.target_count).toBe(n);
    const [q] = query<{ n: number }>(
      db,
      "SELECT COUNT(*) AS n FROM questions WHERE run_id = ? AND status = 'approved'",
      [run.id],
    );
    expect(q?.n, run.id).toBe(n);
    const rows = query<{ question_id: string }>(
      db,
      "SELECT e.question_id FROM synthetic_data_sft e JOIN questions q ON q.id = e.question_id " +
        "WHERE e.run_id = ? AND e.review_status = 'approved' AND q.status = 'approved'",
      [run.id],
    );
    expect(rows, run.id).toHaveLength(n);
    expect(new Set(rows.map((r) => r.question_id)).size).toBe(n);
  }
  // Every example row belongs to a run and a question of that run.
  expect(
    query(
      db,
      "SELECT e.id FROM synthetic_data_sft e LEFT JOIN questions q ON q.id = e.question_id " +
        "WHERE q.id IS NULL OR q.run_id <> e.run_id",
    ),
  ).toEqual([]);
  expect(query(db, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
  expect(query(db, "PRAGMA foreign_key_check")).toEqual([]);
}

describe("several generate processes on one SQLite file", () => {
  it(
    "two processes each finish their own run exactly",
    async () => {
      const { db, results } = await together(2, [
        "generate",
        REQUEST,
        "--yes",
        "--json",
        "--db",
        "data/synthforge.db",
      ]);
      expectEachFinishedItsOwnRun(db, results, N);
    },
    TIMEOUT,
  );

  it(
    "four processes each finish their own run exactly",
    async () => {
      const { db, results } = await together(4, [
        "generate",
        REQUEST,
        "--yes",
        "--json",
        "--db",
        "data/synthforge.db",
      ]);
      expectEachFinishedItsOwnRun(db, results, N);
    },
    TIMEOUT,
  );

  it(
    "a new database opened by many processes at once is created and migrated once",
    async () => {
      const { db, results } = await together(6, [
        "generate",
        "Generate 1 SFT examples about organic chemistry",
        "--yes",
        "--json",
        "--db",
        "data/synthforge.db",
      ]);
      expectEachFinishedItsOwnRun(db, results, 1);
      const migrations = query<{ name: string; n: number }>(
        db,
        "SELECT name, COUNT(*) AS n FROM synthforge_migrations GROUP BY name",
      );
      expect(migrations.length).toBeGreaterThan(0);
      for (const m of migrations) expect(m.n, m.name).toBe(1);
      expect(query(db, "PRAGMA journal_mode")).toEqual([{ journal_mode: "wal" }]);
    },
    TIMEOUT,
  );
});
