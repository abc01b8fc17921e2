import { accessSync, constants, mkdirSync, rmdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type ErrorCode, SynthforgeError } from "./errors.js";

/**
 * Output folders, checked before anything is written and created one level at a time.
 * Node's `mkdir(..., { recursive: true })` loops for ever (at full CPU) on a path it can
 * never create, such as `/proc/nope/x`: these helpers never call it.
 */

function errnoOf(e: unknown): string | undefined {
  return e && typeof e === "object" && typeof (e as { code?: unknown }).code === "string"
    ? (e as { code: string }).code
    : undefined;
}

/** A short reason for a file-system error code. */
export function fsReason(e: unknown): string {
  switch (errnoOf(e)) {
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "read-only file system";
    case "ENOENT":
      return "ENOENT: this file system does not let a folder be made there";
    case "ENOTDIR":
      return "a part of the path is a file";
    case "ENOSPC":
      return "no space left on the device";
    case "EISDIR":
      return "it is a folder";
    default:
      return errnoOf(e) ?? (e instanceof Error ? e.message.split("\n")[0]! : String(e));
  }
}

/**
 * Checks, without creating anything, that files can be written in the folder `dir`:
 * the nearest part of it that exists must be a folder that can be written in. Returns the
 * folders still to create, outermost first (empty when `dir` exists).
 *
 * @throws SynthforgeError `code`, naming `label` (e.g. "--out /x/y.jsonl") and what to fix:
 *   a part of the path is a file, or the folder cannot be written in.
 */
export function checkFolder(dir: string, code: ErrorCode, label: string): string[] {
  const missing: string[] = [];
  let cur = resolve(dir);
  for (;;) {
    try {
      const st = statSync(cur);
      if (!st.isDirectory())
        throw new SynthforgeError(
          code,
          `${label}: ${cur} is a file, not a folder, so nothing can be written under it. Choose another path.`,
        );
      break;
    } catch (e) {
      if (e instanceof SynthforgeError) throw e;
      const errno = errnoOf(e);
      if (errno !== "ENOENT" && errno !== "ENOTDIR")
        throw new SynthforgeError(code, `${label}: cannot look at ${cur} (${fsReason(e)}).`, { cause: e });
      missing.unshift(cur);
      const up = dirname(cur);
      if (up === cur) break;
      cur = up;
    }
  }
  try {
    accessSync(cur, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new SynthforgeError(
      code,
      `${label}: cannot write in the folder ${cur} (${fsReason(e)}). Choose a folder you can write to.`,
      { cause: e },
    );
  }
  return missing;
}

/**
 * Creates `folders` (as {@link checkFolder} returns them, outermost first), one level at a
 * time. On failure removes the ones it made and throws `code` naming the folder.
 * Returns the folders made, for {@link removeFolders}.
 */
export function makeFolders(folders: string[], code: ErrorCode, label: string): string[] {
  const made: string[] = [];
  for (const f of folders) {
    try {
      mkdirSync(f);
      made.push(f);
    } catch (e) {
      if (errnoOf(e) === "EEXIST") {
        try {
          if (statSync(f).isDirectory()) continue;
        } catch {
          // fall through to the error
        }
      }
      removeFolders(made);
      throw new SynthforgeError(code, `${label}: cannot create the folder ${f} (${fsReason(e)}).`, {
        cause: e,
      });
    }
  }
  return made;
}

/** Removes folders {@link makeFolders} made (innermost first), where they are still empty. */
export function removeFolders(made: string[]): void {
  for (const f of [...made].reverse()) {
    try {
      rmdirSync(f);
    } catch {
      // not empty, or already gone: leave it
    }
  }
}
