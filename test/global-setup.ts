import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * The CLI tests run the real bin (bin/synthforge.js → dist/cli.js): build dist when it is
 * stale. Every temporary file of the run (databases, corpora, exports) goes under one
 * directory (TMPDIR, which the test workers and the processes they start inherit), removed
 * when the run ends.
 */
export default function setup(): () => void {
  const tmp = mkdtempSync(join(tmpdir(), "synthforge-tests-"));
  // Like /tmp (1777): the embedded PostgreSQL server runs as the `postgres` user, and its
  // data directory is made under here.
  chmodSync(tmp, 0o1777);
  process.env.TMPDIR = tmp;
  const teardown = () => rmSync(tmp, { recursive: true, force: true });
  build();
  return teardown;
}

function build(): void {
  const root = join(import.meta.dirname, "..");
  const cli = join(root, "dist", "cli.js");
  if (existsSync(cli) && statSync(cli).mtimeMs >= newest(join(root, "src"))) return;
  const r = spawnSync(process.execPath, [join(root, "node_modules", "tsup", "dist", "cli-default.js")], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, SYNTHFORGE_QUICK_BUILD: "1" },
  });
  if (r.status !== 0) throw new Error("build (tsup) failed before the CLI tests");
}
