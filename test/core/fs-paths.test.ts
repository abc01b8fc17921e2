import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isSynthforgeError } from "../../src/core/errors.js";
import { checkFolder, makeFolders, removeFolders } from "../../src/core/fs-paths.js";

const code = "OUTPUT_PATH_INVALID" as const;

describe("checkFolder / makeFolders", () => {
  it("lists the folders to make, outermost first, makes them one by one and removes them again", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-fs-"));
    const missing = checkFolder(join(dir, "a", "b"), code, "--out x");
    expect(missing).toEqual([join(dir, "a"), join(dir, "a", "b")]);
    expect(existsSync(join(dir, "a"))).toBe(false);
    const made = makeFolders(missing, code, "--out x");
    expect(existsSync(join(dir, "a", "b"))).toBe(true);
    removeFolders(made);
    expect(existsSync(join(dir, "a"))).toBe(false);
    expect(checkFolder(dir, code, "--out x")).toEqual([]);
  });

  it("refuses a path under a file with a typed error naming the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-fs-"));
    writeFileSync(join(dir, "f"), "x");
    expect(() => checkFolder(join(dir, "f", "g"), code, "--out f/g/x.jsonl")).toThrow(
      expect.objectContaining({
        code,
        message: `--out f/g/x.jsonl: ${join(dir, "f")} is a file, not a folder, so nothing can be written under it. Choose another path.`,
      }),
    );
  });

  it.runIf(existsSync("/proc/self"))(
    "fails at once, typed, on a folder that can never be made (/proc/nope)",
    () => {
      const missing = checkFolder("/proc/nope/deeper", code, "--out /proc/nope/deeper/x.jsonl");
      expect(missing).toEqual(["/proc/nope", "/proc/nope/deeper"]);
      let thrown: unknown;
      try {
        makeFolders(missing, code, "--out /proc/nope/deeper/x.jsonl");
      } catch (e) {
        thrown = e;
      }
      expect(isSynthforgeError(thrown, code)).toBe(true);
      expect((thrown as Error).message).toMatch(/cannot create the folder \/proc\/nope \(ENOENT/);
    },
  );

  it("keeps a folder that is not empty when removing", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-fs-"));
    const made = makeFolders(checkFolder(join(dir, "k"), code, "x"), code, "x");
    mkdirSync(join(dir, "k", "inner"));
    removeFolders(made);
    expect(existsSync(join(dir, "k", "inner"))).toBe(true);
  });
});
