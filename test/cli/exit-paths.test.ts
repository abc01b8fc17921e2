/**
 * How the CLI ends on bad input, found by using it as a user would: one typed error line
 * (`error [CODE]: ...`), a non-zero exit, no file left behind and the database untouched.
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { type ExportFormat, validateFormatRow } from "../../src/training-types/formats.js";
import { type CliResult, cli, fileHash, otherUser, query, tempDir } from "./helpers.js";

/** The one line of a failed command, checked: typed, with the code, and nothing else printed. */
function oneError(r: CliResult, code: string): string {
  expect(r.code, r.stderr).not.toBe(0);
  const lines = r.stderr.trim().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^error \\[${code}\\]: `));
  return lines[0]!;
}

/** A folder with a copy of the generated database (`synthforge.db`). */
function withDb(source: string): { cwd: string; db: string } {
  const cwd = tempDir("sf-exit-");
  const db = join(cwd, "synthforge.db");
  copyFileSync(source, db);
  return { cwd, db };
}

let sftDb: string;
let dpoDb: string;

beforeAll(async () => {
  const sft = tempDir("sf-exit-sft-");
  const dpo = tempDir("sf-exit-dpo-");
  const [a, b] = await Promise.all([
    cli(["generate", "Generate 3 SFT examples about stoichiometry", "--yes"], { cwd: sft }),
    cli(["generate", "Generate 3 DPO examples about stoichiometry", "--yes"], { cwd: dpo }),
  ]);
  expect(a.code, a.stderr).toBe(0);
  expect(b.code, b.stderr).toBe(0);
  sftDb = join(sft, "synthforge.db");
  dpoDb = join(dpo, "synthforge.db");
});

describe("export --out", () => {
  it("- writes the rows to standard output (and no file named -); the summary goes to stderr", async () => {
    const { cwd } = withDb(sftDb);
    const r = await cli(["export", "--format", "trl-sft-messages", "--out", "-"], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    for (const l of lines)
      expect(validateFormatRow("trl-sft-messages" as ExportFormat, JSON.parse(l))).toEqual([]);
    expect(r.stderr).toContain("wrote 3 sft example(s) as trl-sft-messages (jsonl) to standard output");
    expect(readdirSync(cwd).sort()).toEqual(["synthforge.db"]);
  });

  it("- with --json is refused (both would go to standard output)", async () => {
    const { cwd, db } = withDb(sftDb);
    const before = fileHash(db);
    const line = oneError(
      await cli(["export", "--format", "alpaca", "--out", "-", "--json"], { cwd }),
      "INVALID_REQUEST",
    );
    expect(line).toContain("--json");
    expect(fileHash(db)).toBe(before);
  });

  it.each([
    ["x.json", "x.jsonl"],
    ["x.csv", "x.jsonl"],
    ["train", "train.jsonl"],
  ])("refuses %s, naming the right extension (%s), and writes nothing", async (out, right) => {
    const { cwd, db } = withDb(sftDb);
    const before = fileHash(db);
    const r = await cli(["export", "--format", "alpaca", "--out", out], { cwd });
    expect(r.code).toBe(2);
    const line = oneError(r, "OUTPUT_PATH_INVALID");
    expect(line).toContain(`--out ${right}`);
    expect(line).toContain("JSON Lines");
    expect(line).toContain(".parquet");
    expect(readdirSync(cwd)).toEqual(["synthforge.db"]);
    expect(fileHash(db)).toBe(before);
  });

  it("does not overwrite an existing file without --force, and says to use it", async () => {
    const { cwd, db } = withDb(sftDb);
    writeFileSync(join(cwd, "train.jsonl"), "keep me\n");
    const before = fileHash(db);
    const line = oneError(
      await cli(["export", "--format", "alpaca", "--out", "train.jsonl"], { cwd }),
      "OUTPUT_PATH_INVALID",
    );
    expect(line).toMatch(/already exists; pass --force/);
    expect(readFileSync(join(cwd, "train.jsonl"), "utf8")).toBe("keep me\n");
    expect(fileHash(db)).toBe(before);
    const forced = await cli(["export", "--format", "alpaca", "--out", "train.jsonl", "--force"], { cwd });
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(cwd, "train.jsonl"), "utf8").trim().split("\n")).toHaveLength(3);
  });

  it("a folder, or a path under a file, is a typed one-line error", async () => {
    const { cwd, db } = withDb(sftDb);
    mkdirSync(join(cwd, "out.jsonl"));
    writeFileSync(join(cwd, "notes.txt"), "a file\n");
    const before = fileHash(db);
    expect(
      oneError(
        await cli(["export", "--format", "alpaca", "--out", "out.jsonl"], { cwd }),
        "OUTPUT_PATH_INVALID",
      ),
    ).toMatch(/is a folder; give a file path/);
    expect(
      oneError(
        await cli(["export", "--format", "alpaca", "--out", "notes.txt/x.jsonl"], { cwd }),
        "OUTPUT_PATH_INVALID",
      ),
    ).toMatch(/notes\.txt is a file, not a folder/);
    expect(readdirSync(cwd).sort()).toEqual(["notes.txt", "out.jsonl", "synthforge.db"]);
    expect(readdirSync(join(cwd, "out.jsonl"))).toEqual([]);
    expect(fileHash(db)).toBe(before);
  });

  it.runIf(existsSync("/proc/self"))(
    "a folder that can never be made (/proc/nope) ends with a typed error instead of spinning",
    async () => {
      const { cwd, db } = withDb(sftDb);
      const before = fileHash(db);
      // Before the fix the process spun for ever: stop it when the test ends either way.
      const stop = new AbortController();
      onTestFinished(() => stop.abort());
      for (const args of [
        ["export", "--format", "alpaca", "--out", "/proc/nope/x.jsonl"],
        ["export", "--hf", "/proc/nope/ds"],
      ]) {
        const line = oneError(await cli(args, { cwd, signal: stop.signal }), "OUTPUT_PATH_INVALID");
        expect(line).toContain("/proc/nope");
      }
      expect(fileHash(db)).toBe(before);
    },
  );

  it.runIf(otherUser() !== null)("a folder without write permission is a typed one-line error", async () => {
    const as = otherUser() ?? undefined;
    const { cwd, db } = withDb(sftDb);
    const locked = join(cwd, "locked");
    mkdirSync(locked);
    chmodSync(cwd, 0o777);
    chmodSync(db, 0o666);
    chmodSync(locked, 0o555);
    const line = oneError(
      await cli(["export", "--format", "alpaca", "--out", "locked/sub/x.jsonl"], {
        cwd,
        ...(as ? { as } : {}),
      }),
      "OUTPUT_PATH_INVALID",
    );
    expect(line).toMatch(/cannot write in the folder .*locked \(permission denied\)/);
    expect(readdirSync(locked)).toEqual([]);
  });

  it("--hf into a folder that holds a dataset needs --force; under a file is refused", async () => {
    const { cwd } = withDb(sftDb);
    expect((await cli(["export", "--hf", "ds"], { cwd })).code).toBe(0);
    const card = fileHash(join(cwd, "ds", "README.md"));
    expect(oneError(await cli(["export", "--hf", "ds"], { cwd }), "OUTPUT_PATH_INVALID")).toMatch(
      /already holds a dataset \(README\.md.*pass --force/,
    );
    expect(fileHash(join(cwd, "ds", "README.md"))).toBe(card);
    expect((await cli(["export", "--hf", "ds", "--force"], { cwd })).code).toBe(0);
    writeFileSync(join(cwd, "f"), "x");
    expect(oneError(await cli(["export", "--hf", "f/ds"], { cwd }), "OUTPUT_PATH_INVALID")).toMatch(
      /is a file, not a folder/,
    );
  });
});

describe("reading commands never create a database", () => {
  it.each([
    ["runs", ["runs", "--db", "typo.db"], "typo.db"],
    ["runs, default database", ["runs"], "synthforge.db"],
    ["export", ["export", "--db", "missing.db", "--format", "alpaca", "--out", "y.jsonl"], "missing.db"],
    ["resume", ["resume", "latest", "--db", "missing.db"], "missing.db"],
  ])("%s on a missing database file names the path and creates nothing", async (_name, args, file) => {
    const cwd = tempDir("sf-exit-nodb-");
    const r = await cli(args, { cwd });
    expect(r.code).toBe(2);
    expect(oneError(r, "DB_NOT_FOUND")).toContain(join(cwd, file));
    expect(readdirSync(cwd)).toEqual([]);
  });

  it.each([
    ["an out-of-range value", "kto.desirableRatio=5"],
    ["an unknown option", "kto.bogus=1"],
  ])("generate with %s of --type-option fails before the database file is made", async (_name, opt) => {
    const cwd = tempDir("sf-exit-typeopt-");
    const r = await cli(
      ["generate", "Generate 2 KTO examples about physics", "--db", "new.db", "--type-option", opt],
      { cwd },
    );
    expect(r.code).toBe(2);
    oneError(r, "CONFIG_INVALID");
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe("a read-only database", () => {
  it.runIf(otherUser() !== null)(
    "is a typed one-line error for every command, leaves no -wal/-shm and is not changed",
    async () => {
      const as = otherUser() ?? undefined;
      const { cwd, db } = withDb(sftDb);
      chmodSync(cwd, 0o777);
      chmodSync(db, 0o444);
      const before = fileHash(db);
      for (const args of [
        ["runs"],
        ["export", "--format", "alpaca", "--out", "a.jsonl"],
        ["generate", "Generate 2 SFT examples about stoichiometry", "--yes"],
      ]) {
        const line = oneError(await cli(args, { cwd, ...(as ? { as } : {}) }), "DB_UNREACHABLE");
        expect(line).toContain(`${db}: the database file is read-only`);
        expect(readdirSync(cwd)).toEqual(["synthforge.db"]);
      }
      expect(fileHash(db)).toBe(before);
    },
  );
});

describe("review", () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = withDb(sftDb).cwd;
    copyFileSync(dpoDb, join(cwd, "dpo.db"));
    for (const [db, format, out] of [
      ["synthforge.db", "alpaca", "sft.jsonl"],
      ["dpo.db", "trl-dpo", "dpo.jsonl"],
    ]) {
      const r = await cli(["export", "--db", db!, "--format", format!, "--out", out!], { cwd });
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it("--type sft on DPO rows fails with a count and says what the rows look like, writing nothing", async () => {
    const r = await cli(["review", "dpo.jsonl", "--type", "sft", "--no-sources"], { cwd });
    expect(r.code).toBe(2);
    const line = oneError(r, "INPUT_FILE_INVALID");
    expect(line).toContain("3/3 row(s) of dpo.jsonl are invalid");
    expect(line).toContain("these rows look like dpo (trl-dpo: prompt/chosen/rejected); use --type dpo");
    expect(existsSync(join(cwd, "dpo.scored.jsonl"))).toBe(false);
  });

  it("a file of only invalid rows exits non-zero with the count", async () => {
    writeFileSync(
      join(cwd, "junk.jsonl"),
      `${JSON.stringify({ a: 1 })}\nnot json\n${JSON.stringify({ b: 2 })}\n`,
    );
    const line = oneError(
      await cli(["review", "junk.jsonl", "--type", "sft"], { cwd }),
      "INPUT_FILE_INVALID",
    );
    expect(line).toContain("3/3 row(s) of junk.jsonl are invalid");
    writeFileSync(join(cwd, "array.json"), `${JSON.stringify([{ prompt: "x", response: "y" }])}\n`);
    expect(
      oneError(await cli(["review", "array.json", "--type", "sft"], { cwd }), "INPUT_FILE_INVALID"),
    ).toMatch(/looks like a JSON array, not JSON Lines/);
    expect(readdirSync(cwd).filter((f) => f.includes("scored"))).toEqual([]);
  });

  it("a mixed file is reviewed (exit 0); the invalid rows say what they look like", async () => {
    const sft = readFileSync(join(cwd, "sft.jsonl"), "utf8").trim().split("\n")[0]!;
    const dpo = readFileSync(join(cwd, "dpo.jsonl"), "utf8").trim().split("\n")[0]!;
    writeFileSync(join(cwd, "mixed.jsonl"), `${sft}\n${dpo}\n`);
    const r = await cli(["review", "mixed.jsonl", "--type", "sft", "--no-sources", "--json"], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split("\n").at(-1)!)).toMatchObject({ rows: 2, invalid: 1 });
    expect(r.stderr).toContain("warning: 1 invalid row(s): these rows look like dpo");
    const rows = readFileSync(join(cwd, "mixed.scored.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows[1].review.notes[0]).toMatch(/^line 2: not a sft row in a known format .*use --type dpo$/);
  });
});

describe("the config file", () => {
  it("is named on stderr when a command reads it; a command that fails on bad input prints only its error", async () => {
    const { cwd } = withDb(sftDb);
    writeFileSync(join(cwd, "synthforge.config.yaml"), "concurrency: 2\n");
    writeFileSync(join(cwd, "other.yaml"), "concurrency: 3\n");
    const runs = await cli(["runs"], { cwd });
    expect(runs.code, runs.stderr).toBe(0);
    expect(runs.stderr.split("\n")[0]).toBe("using config ./synthforge.config.yaml");
    const other = await cli(["runs", "--config", "other.yaml"], { cwd });
    expect(other.stderr.split("\n")[0]).toBe("using config ./other.yaml");
    const gen = await cli(["generate", "Generate 1 SFT examples about stoichiometry", "--yes"], { cwd });
    expect(gen.code, gen.stderr).toBe(0);
    expect(gen.stderr.split("\n").slice(0, 2)).toEqual([
      "using config ./synthforge.config.yaml",
      expect.stringContaining("using the offline provider"),
    ]);
    oneError(await cli(["runs", "--db", "typo.db"], { cwd }), "DB_NOT_FOUND");
    // --list-formats reads no config.
    expect((await cli(["export", "--list-formats"], { cwd })).stderr).toBe("");
  });

  it("is not mentioned when there is none", async () => {
    const { cwd } = withDb(sftDb);
    const r = await cli(["runs"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("using config");
  });
});

describe("local files a run skips", () => {
  it("are listed on stderr when the run starts (too large, binary, not UTF-8), and no U+FFFD reaches the data", async () => {
    const cwd = tempDir("sf-exit-corpus-");
    const notes = join(cwd, "notes");
    mkdirSync(notes);
    const corpus = join(import.meta.dirname, "..", "..", "examples", "corpus");
    const chemistry = readdirSync(corpus, { recursive: true, encoding: "utf8" }).filter(
      (f) => f.endsWith(".md") && /stoichiometry|moles|chemistry/i.test(f),
    );
    expect(chemistry.length).toBeGreaterThan(0);
    for (const f of chemistry) copyFileSync(join(corpus, f), join(notes, f.replace(/[/\\]/g, "-")));
    // A sparse file: 30.1 MB on paper, nothing read.
    writeFileSync(join(notes, "big.html"), "");
    truncateSync(join(notes, "big.html"), 30_100_000);
    writeFileSync(join(notes, "binary.txt"), Buffer.from([0x61, 0x62, 0x00, 0x63]));
    writeFileSync(
      join(notes, "latin1.md"),
      Buffer.concat([
        Buffer.from("# Stoichiometry\n\nThe mole ratio of a balanced equation gives the caf"),
        Buffer.from([0xe9]),
        Buffer.from(" yield of a reaction.\n"),
      ]),
    );
    const r = await cli(
      ["generate", "Generate 2 SFT examples about stoichiometry", "--yes", "--corpus", "./notes"],
      { cwd },
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split("\n");
    expect(lines).toContain("skipped notes/binary.txt: a binary file, not text (a NUL byte at offset 2)");
    expect(lines.find((l) => l.startsWith("skipped notes/big.html: "))).toMatch(
      /^skipped notes\/big\.html: larger than the 20 MB cap \(30\.1 MB\)/,
    );
    expect(lines.find((l) => l.startsWith("skipped notes/latin1.md: "))).toMatch(
      /not valid UTF-8 \(byte 0xe9 at offset \d+, line 3\)/,
    );
    // Listed before the run starts.
    expect(lines.findIndex((l) => l.startsWith("skipped "))).toBeLessThan(
      lines.findIndex((l) => l.startsWith("started run")),
    );
    const db = join(cwd, "synthforge.db");
    const text = JSON.stringify([
      query(db, "SELECT * FROM questions"),
      query(db, "SELECT * FROM synthetic_data_sft"),
    ]);
    expect(text).not.toContain("\uFFFD");
  });
});

describe("sources search on a local folder", () => {
  it("names the files it skipped on stderr, and still prints what it found", async () => {
    const cwd = tempDir("sf-exit-search-");
    const notes = join(cwd, "notes");
    mkdirSync(notes);
    writeFileSync(
      join(notes, "moles.md"),
      "---\nlicense: CC-BY-4.0\n---\n# Moles\n\nOne mole of a substance contains 6.022 × 10^23 particles.\n",
    );
    writeFileSync(join(notes, "binary.txt"), Buffer.from([0x61, 0x62, 0x00, 0x63]));
    const r = await cli(["sources", "search", "localFiles", "mole particles", "--dir", "./notes"], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split("\n")).toContain(
      "skipped notes/binary.txt: a binary file, not text (a NUL byte at offset 2)",
    );
    expect(r.stdout).toContain("Moles");
  });
});

describe("a PostgreSQL password in an error", () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    // Reads the startup message and hangs up: pg says "Connection terminated unexpectedly".
    server = createServer((socket) => {
      socket.on("error", () => undefined);
      socket.once("data", () => socket.end());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("is redacted in the URL only, not wherever its characters occur in the message", async () => {
    const cwd = tempDir("sf-exit-pg-");
    const r = await cli(["runs", "--db", `postgres://u:p@127.0.0.1:${port}/db`], { cwd });
    const line = oneError(r, "DB_UNREACHABLE");
    expect(line).toContain(`postgres://u:[redacted]@127.0.0.1:${port}/db`);
    expect(line).toContain("Connection terminated unexpectedly");
    expect(line.match(/\[redacted\]/g)).toHaveLength(1);
  });
});
