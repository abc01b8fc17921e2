import { type ChildProcess, spawn } from "node:child_process";
import { SynthforgeError } from "../core/errors.js";
import { type CheckResult, fail, pass } from "./check.js";
import { resolvePackageFile } from "./sandbox-host.js";

/**
 * SQL checks: run a schema and queries against a fresh in-memory SQLite database
 * (better-sqlite3) in a warm child process, so a runaway query (an endless recursive CTE)
 * is killed with the process. Statements that reach outside the database are refused
 * before anything runs: ATTACH/DETACH (host files), VACUUM INTO (writes a file), PRAGMA,
 * and load_extension. The child has an empty environment, a V8 heap limit and an SQLite
 * heap limit.
 */

/** Options of {@link runSql}. */
export interface SqlRunOptions {
  /** Wall-clock limit for the whole run. Default 3000 ms. */
  timeoutMs?: number;
  /** Rows kept per query. Default 100. */
  maxRows?: number;
  /** SQLite heap limit. Default 64 MB. */
  memoryMb?: number;
}

/** One statement's outcome. */
export interface SqlStatementResult {
  sql: string;
  /** Column names (queries that return rows). */
  columns: string[];
  rows: unknown[][];
  /** Rows changed (statements that do not return rows). */
  changes: number;
  /** True when more rows existed than were kept. */
  truncated: boolean;
}

/** What running SQL did. */
export interface SqlRunResult {
  ok: boolean;
  /** Results of the query statements, in order. */
  results: SqlStatementResult[];
  /** The first error (with the statement that caused it), or null. */
  error: string | null;
  timedOut: boolean;
}

const CHILD_SOURCE = `
"use strict";
const Database = require(process.argv[1]);
process.on("message", (msg) => {
  const out = { id: msg.id, results: [], error: null };
  let db = null;
  try {
    db = new Database(":memory:");
    try { db.pragma("hard_heap_limit = " + msg.heapBytes); } catch (e) {}
    if (msg.schema) {
      try { db.exec(msg.schema); } catch (e) { throw new Error("schema: " + e.message); }
    }
    for (const sql of msg.statements) {
      let stmt;
      try { stmt = db.prepare(sql); } catch (e) { throw new Error(e.message + " (in: " + sql.slice(0, 200) + ")"); }
      try {
        if (stmt.reader) {
          const columns = stmt.columns().map((c) => c.name);
          const rows = [];
          let truncated = false;
          for (const row of stmt.raw(true).iterate()) {
            if (rows.length >= msg.maxRows) { truncated = true; break; }
            rows.push(row.map((v) => (typeof v === "bigint" ? Number(v) : Buffer.isBuffer(v) ? "<blob " + v.length + " bytes>" : v)));
          }
          out.results.push({ sql, columns, rows, changes: 0, truncated });
        } else {
          const info = stmt.run();
          out.results.push({ sql, columns: [], rows: [], changes: info.changes, truncated: false });
        }
      } catch (e) { throw new Error(e.message + " (in: " + sql.slice(0, 200) + ")"); }
    }
  } catch (e) {
    out.error = String(e && e.message || e);
  } finally {
    try { if (db) db.close(); } catch (e) {}
  }
  process.send(out);
});
process.send({ ready: true });
`;

/** Splits SQL into statements on `;` outside strings, identifiers and comments. */
export function splitSqlStatements(sql: string): string[] {
  const out: string[] = [];
  let cur = "";
  let i = 0;
  let depth = 0; // BEGIN ... END inside CREATE TRIGGER
  while (i < sql.length) {
    const c = sql[i]!;
    const two = sql.slice(i, i + 2);
    if (two === "--") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end + 1;
      cur += " ";
      continue;
    }
    if (two === "/*") {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? sql.length : end + 2;
      cur += " ";
      continue;
    }
    if (c === "'" || c === '"' || c === "`" || c === "[") {
      const close = c === "[" ? "]" : c;
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === close) {
          if (close !== "]" && sql[j + 1] === close) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      cur += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const word = /^[A-Za-z_]+/.exec(sql.slice(i));
    if (word && (i === 0 || !/[A-Za-z0-9_]/.test(sql[i - 1]!))) {
      const w = word[0].toUpperCase();
      if (w === "BEGIN" && /\bCREATE\s+(?:TEMP\w*\s+)?TRIGGER\b/i.test(cur)) depth++;
      else if (w === "END" && depth > 0 && /^\s*;/.test(sql.slice(i + 3))) depth--;
      cur += word[0];
      i += word[0].length;
      continue;
    }
    if (c === ";" && depth === 0) {
      if (cur.trim()) out.push(cur.trim());
      cur = "";
      i++;
      continue;
    }
    cur += c;
    i++;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** Statements the sandbox refuses (they reach outside the in-memory database). */
export function blockedSql(sql: string): string | null {
  for (const stmt of splitSqlStatements(sql)) {
    const noStrings = stmt.replace(/'(?:[^']|'')*'/g, "''");
    const m =
      /^\s*(ATTACH|DETACH|VACUUM|PRAGMA)\b/i.exec(noStrings) ??
      /\b(load_extension|ATTACH\s+DATABASE)\b/i.exec(noStrings);
    if (m)
      return `${m[1]!.toUpperCase()} is not allowed in the SQL sandbox (it reaches outside the in-memory database)`;
  }
  return null;
}

interface Pending {
  id: number;
  resolve: (r: { results: SqlStatementResult[]; error: string | null } | { crashed: string }) => void;
}

/** A warm child process running better-sqlite3; killed and replaced after a timeout. */
class SqlRunner {
  private child: ChildProcess | null = null;
  private starting: Promise<ChildProcess> | null = null;
  private pending: Pending | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private nextId = 1;

  run(schema: string, statements: string[], opts: Required<SqlRunOptions>): Promise<SqlRunResult> {
    const next = this.chain.then(() => this.runNow(schema, statements, opts));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async runNow(
    schema: string,
    statements: string[],
    opts: Required<SqlRunOptions>,
  ): Promise<SqlRunResult> {
    const child = await this.ensure();
    const id = this.nextId++;
    holdOpen(child, true);
    let timer: NodeJS.Timeout | undefined;
    const reply = await new Promise<
      { results: SqlStatementResult[]; error: string | null } | { crashed: string } | { timeout: true }
    >((resolve) => {
      this.pending = { id, resolve };
      timer = setTimeout(() => {
        this.pending = null;
        resolve({ timeout: true });
      }, opts.timeoutMs);
      child.send({ id, schema, statements, maxRows: opts.maxRows, heapBytes: opts.memoryMb * 1024 * 1024 });
    });
    clearTimeout(timer);
    this.pending = null;
    if ("timeout" in reply) {
      this.kill(child);
      return {
        ok: false,
        results: [],
        error: `time limit exceeded: the SQL ran longer than ${opts.timeoutMs} ms and was stopped`,
        timedOut: true,
      };
    }
    if ("crashed" in reply) {
      this.kill(child);
      return { ok: false, results: [], error: `the SQL sandbox crashed: ${reply.crashed}`, timedOut: false };
    }
    holdOpen(child, false);
    return { ok: reply.error === null, results: reply.results, error: reply.error, timedOut: false };
  }

  private kill(child: ChildProcess): void {
    if (this.child === child) this.child = null;
    child.kill("SIGKILL");
  }

  private ensure(): Promise<ChildProcess> {
    if (this.child) return Promise.resolve(this.child);
    this.starting ??= this.start().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private start(): Promise<ChildProcess> {
    const driver = resolvePackageFile("better-sqlite3");
    const child = spawn(process.execPath, ["--max-old-space-size=128", "-e", CHILD_SOURCE, driver], {
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      env: {},
    });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    return new Promise((resolve, reject) => {
      let ready = false;
      child.on(
        "message",
        (m: { ready?: boolean; id?: number; results?: SqlStatementResult[]; error?: string | null }) => {
          if (m.ready) {
            ready = true;
            this.child = child;
            holdOpen(child, false);
            resolve(child);
          } else if (this.pending && m.id === this.pending.id) {
            this.pending.resolve({ results: m.results ?? [], error: m.error ?? null });
          }
        },
      );
      child.on("exit", (code, signal) => {
        if (this.child === child) this.child = null;
        const why = `exited (${signal ?? code})${stderr ? `: ${stderr.trim().split("\n").at(-1)}` : ""}`;
        if (!ready)
          reject(new SynthforgeError("SANDBOX_UNAVAILABLE", `The SQL sandbox could not start: ${why}`));
        else if (this.pending) this.pending.resolve({ crashed: why });
      });
      child.on("error", (e) => {
        if (!ready)
          reject(new SynthforgeError("SANDBOX_UNAVAILABLE", `The SQL sandbox could not start: ${e.message}`));
      });
    });
  }

  close(): void {
    if (this.child) this.kill(this.child);
  }
}

/** Keeps the host process alive for the child while a query runs, and not otherwise. */
function holdOpen(child: ChildProcess, on: boolean): void {
  const handles = [child, child.channel, child.stderr] as Array<
    { ref?: () => void; unref?: () => void } | null | undefined
  >;
  for (const h of handles) (on ? h?.ref : h?.unref)?.call(h);
}

let runner: SqlRunner | null = null;

/**
 * Runs `schema` (CREATE/INSERT statements, run as a script) and then `query` (one or more
 * statements) against a fresh in-memory SQLite database. Never throws for what the SQL
 * does: errors come back in the result.
 *
 * @example
 * await runSql("CREATE TABLE t(x INT); INSERT INTO t VALUES (1),(2);", "SELECT sum(x) AS s FROM t");
 * // { ok: true, results: [{ columns: ["s"], rows: [[3]], ... }], error: null, timedOut: false }
 */
export async function runSql(schema: string, query: string, opts: SqlRunOptions = {}): Promise<SqlRunResult> {
  const limits: Required<SqlRunOptions> = {
    timeoutMs: opts.timeoutMs ?? 3000,
    maxRows: opts.maxRows ?? 100,
    memoryMb: opts.memoryMb ?? 64,
  };
  const blocked = blockedSql(schema) ?? blockedSql(query);
  if (blocked)
    return { ok: false, results: [], error: `blocked by the sandbox: ${blocked}`, timedOut: false };
  const statements = splitSqlStatements(query);
  if (statements.length === 0)
    return { ok: false, results: [], error: "there is no SQL statement to run", timedOut: false };
  runner ??= new SqlRunner();
  return runner.run(schema, statements, limits);
}

/** Stops the SQL child process. */
export function closeSqlSandbox(): void {
  runner?.close();
  runner = null;
}

/** Code blocks of a language in Markdown (```sql ... ```). */
function fencedBlocks(text: string, langs: RegExp): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/```([\w+#.-]*)[^\n]*\n([\s\S]*?)```/g)) {
    if (langs.test(m[1]!.toLowerCase())) out.push(m[2]!);
  }
  return out;
}

/**
 * Verifier: SQL in the answer runs against the schema stated in the example (CREATE
 * TABLE statements in the prompt, the answer, or a `schema` column). Null when the example
 * has no SQL, or no schema to run it against.
 */
export async function checkSqlInExample(
  input: { prompt: string; answer: string; schema?: string | null },
  opts: SqlRunOptions = {},
): Promise<CheckResult | null> {
  const blocks = fencedBlocks(input.answer, /^(sql|sqlite|postgresql|mysql)$/);
  if (blocks.length === 0) return null;
  const ddl = (t: string) =>
    splitSqlStatements(t).filter((s) =>
      /^\s*(CREATE\s+(?:TABLE|VIEW|INDEX|UNIQUE\s+INDEX)|INSERT\s+INTO)\b/i.test(s),
    );
  const schemaParts = [
    ...(input.schema ? [input.schema] : []),
    ...fencedBlocks(input.prompt, /^(sql|sqlite|postgresql|mysql|)$/).flatMap(ddl),
    ...(/CREATE\s+TABLE/i.test(input.prompt) ? ddl(input.prompt.replace(/```[\s\S]*?```/g, "")) : []),
  ];
  const answerDdl = blocks.flatMap(ddl);
  const queries = blocks.flatMap((b) => splitSqlStatements(b)).filter((s) => !answerDdl.includes(s));
  const schema = [...new Set([...schemaParts, ...answerDdl])].join(";\n");
  if (!/CREATE\s+(?:TABLE|VIEW)/i.test(schema) || queries.length === 0) return null;
  const r = await runSql(schema, queries.join(";\n"), opts);
  if (r.ok)
    return pass("sql", {
      statements: queries.length,
      results: r.results.map((x) => ({ columns: x.columns, rows: x.rows.length })),
    });
  return fail("sql", [`the SQL does not run against the stated schema: ${r.error}`], 0, { error: r.error });
}
