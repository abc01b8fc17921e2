import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

describe("the built package", () => {
  it("loads as ESM and as CJS, and both find the bundled corpus", async () => {
    const esm = await import(join(root, "dist", "index.js"));
    const cjs = createRequire(import.meta.url)(join(root, "dist", "index.cjs"));
    for (const m of [esm, cjs]) {
      expect(typeof m.createPipeline).toBe("function");
      expect(m.bundledCorpusDir()).toBe(join(root, "examples", "corpus"));
    }
    const testing = await import(join(root, "dist", "testing.js"));
    expect(typeof testing.startGeminiWireServer).toBe("function");
  });

  it("declares both bins, the exports map and Node 20", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    expect(pkg.bin).toEqual({ synthforge: "bin/synthforge.js", sdg: "bin/synthforge.js" });
    expect(Object.keys(pkg.exports)).toEqual([".", "./testing", "./package.json"]);
    expect(pkg.engines.node).toMatch(/^>=20/);
  });
});
