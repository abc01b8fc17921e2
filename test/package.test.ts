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
    expect(Object.keys(pkg.exports)).toEqual([".", "./testing", "./internals", "./package.json"]);
    // Stubs for resolvers that do not read "exports" (TypeScript's node10, old bundlers).
    for (const sub of ["testing", "internals"]) {
      expect(pkg.files).toContain(sub);
      const stub = JSON.parse(readFileSync(join(root, sub, "package.json"), "utf8"));
      expect(stub.types).toBe(pkg.exports[`./${sub}`].require.types.replace("./", "../"));
      expect(stub.main).toBe(pkg.exports[`./${sub}`].require.default.replace("./", "../"));
    }
    expect(pkg.engines.node).toMatch(/^>=20/);
  });
});
