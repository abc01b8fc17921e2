import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";

export const ROOT = join(import.meta.dirname, "..", "..");
export const BIN = join(ROOT, "bin", "synthforge.js");

/** The environment of a user with no API key. */
export function offlineEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.GEMINI_API_KEY;
  delete env.GOOGLE_API_KEY;
  delete env.GOOGLE_GENAI_API_KEY;
  delete env.SYNTHFORGE_DB;
  // A run with a key searches public catalogues by default: tests keep to the bundled corpus (no network).
  return { ...env, SYNTHFORGE_SOURCES: "corpus", ...extra };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI (`node bin/synthforge.js ...`) in `cwd`, as a user would, without a TTY;
 * `as` runs it as another user (see {@link otherUser}); `signal` stops it (a test that
 * fails must not leave a process behind).
 */
export function cli(
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; as?: { uid: number; gid: number }; signal?: AbortSignal },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: opts.env ?? offlineEnv(),
      stdio: ["ignore", "pipe", "pipe"],
      ...(opts.as ?? {}),
      ...(opts.signal ? { signal: opts.signal, killSignal: "SIGKILL" as const } : {}),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", (e) => {
      if (e.name !== "AbortError") reject(e);
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export function tempDir(prefix = "sf-cli-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Rows of a query against a SQLite file. */
export function query<T = Record<string, unknown>>(dbPath: string, sql: string, params: unknown[] = []): T[] {
  // Not readonly: a readonly connection cannot open a WAL database another process is writing.
  const db = new Database(dbPath, { fileMustExist: true, timeout: 5000 });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** sha256 of a file, or "absent". */
export function fileHash(path: string): string {
  return existsSync(path) ? createHash("sha256").update(readFileSync(path)).digest("hex") : "absent";
}

/**
 * Who file permissions apply to. Root ignores them, so a test of "read-only" or "no
 * permission" runs the CLI as `nobody` (65534) when it runs as root; as anyone else it
 * runs as itself. Null on Windows.
 */
export function otherUser(): { uid: number; gid: number } | undefined | null {
  if (process.platform === "win32" || typeof process.getuid !== "function") return null;
  return process.getuid() === 0 ? { uid: 65534, gid: 65534 } : undefined;
}
