import { afterAll, describe, expect, it } from "vitest";
import {
  blockedSql,
  checkSqlInExample,
  closeSqlSandbox,
  runSql,
  splitSqlStatements,
} from "../../src/tools/sql.js";

afterAll(() => closeSqlSandbox());
const schema = "CREATE TABLE t (x INTEGER, name TEXT); INSERT INTO t VALUES (1, 'a;b'), (2, 'c');";

describe("SQL sandbox", () => {
  it("runs queries against an in-memory database built from the schema", async () => {
    const r = await runSql(
      schema,
      "SELECT sum(x) AS s FROM t; UPDATE t SET x = 5; SELECT name FROM t WHERE name = 'a;b'",
    );
    expect(r.ok).toBe(true);
    expect(r.results.map((x) => [x.columns, x.rows, x.changes])).toEqual([
      [["s"], [[3]], 0],
      [[], [], 2],
      [["name"], [["a;b"]], 0],
    ]);
  });

  it("reports SQL errors with the statement", async () => {
    expect((await runSql(schema, "SELECT nope FROM t")).error).toBe(
      "no such column: nope (in: SELECT nope FROM t)",
    );
    expect((await runSql(schema, "SELEC 1")).error).toMatch(/syntax error/);
    expect((await runSql("CREATE TABLE", "SELECT 1")).error).toMatch(/^schema:/);
  });

  it("kills a runaway query at the time limit and keeps working", async () => {
    const r = await runSql(
      schema,
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
      { timeoutMs: 700 },
    );
    expect(r).toMatchObject({ ok: false, timedOut: true });
    expect((await runSql(schema, "SELECT count(*) FROM t")).results[0]!.rows).toEqual([[2]]);
  });

  it("refuses statements that reach outside the database, before running anything", async () => {
    for (const q of [
      "ATTACH DATABASE '/etc/passwd' AS p",
      "VACUUM INTO '/tmp/x.db'",
      "SELECT load_extension('x')",
      "PRAGMA journal_mode = WAL",
    ]) {
      const r = await runSql(schema, q);
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/^blocked by the sandbox: /);
    }
    expect(blockedSql("SELECT 'ATTACH is fine inside a string'")).toBeNull();
  });

  it("keeps a limited number of rows", async () => {
    const r = await runSql(
      "",
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500) SELECT x FROM c",
      { maxRows: 10 },
    );
    expect(r.results[0]).toMatchObject({ truncated: true });
    expect(r.results[0]!.rows).toHaveLength(10);
  });

  it("splits statements outside strings, comments and trigger bodies", () => {
    expect(
      splitSqlStatements(
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET x = 1; END; SELECT 'a;b'; -- c;\nSELECT 2",
      ),
    ).toEqual([
      "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET x = 1; END",
      "SELECT 'a;b'",
      "SELECT 2",
    ]);
  });
});

describe("SQL verifier", () => {
  const prompt =
    "Given\n```sql\nCREATE TABLE emp (id INT, dept TEXT, salary REAL);\n```\nfind the average salary per department.";
  it("accepts SQL that runs against the stated schema", async () => {
    const r = await checkSqlInExample({
      prompt,
      answer: "```sql\nSELECT dept, AVG(salary) FROM emp GROUP BY dept;\n```",
    });
    expect(r?.passed).toBe(true);
  });
  it("rejects SQL that does not", async () => {
    const r = await checkSqlInExample({
      prompt,
      answer: "```sql\nSELECT department, AVG(salary) FROM emp GROUP BY department;\n```",
    });
    expect(r?.passed).toBe(false);
    expect(r?.reasons[0]).toMatch(/no such column: department/);
  });
  it("does not apply without SQL, or without a schema", async () => {
    expect(await checkSqlInExample({ prompt: "hi", answer: "no sql here" })).toBeNull();
    expect(
      await checkSqlInExample({ prompt: "hi", answer: "```sql\nSELECT * FROM unknown_table;\n```" }),
    ).toBeNull();
  });
});
