import { isAbsolute, relative, sep } from "node:path";

/**
 * A path as a user would type it: `./notes/a.md` inside the working folder, else absolute.
 * (A module of its own so that the CLI's "using config" notice loads nothing more; start-up,
 * issue 15. settings.ts re-exports it.)
 */
export function displayPath(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  if (rel && !rel.startsWith("..") && !isAbsolute(rel)) return `.${sep}${rel}`;
  return path;
}
