import { defineConfig } from "tsup";

// The test setup rebuilds only the JavaScript (types are checked by `tsc --noEmit`).
const quick = process.env.SYNTHFORGE_QUICK_BUILD === "1";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    internals: "src/internals.ts",
    testing: "src/testing/index.ts",
    cli: "src/cli/main.ts",
  },
  format: ["esm", "cjs"],
  // The published declarations import ADK's types from a structural copy (scripts/adk-types.d.ts,
  // put in place by `node scripts/public-types.mjs` after tsup: `npm run build` runs both).
  dts: quick
    ? false
    : { entry: { index: "src/index.ts", internals: "src/internals.ts", testing: "src/testing/index.ts" } },
  sourcemap: true,
  clean: !quick,
  target: "node20",
  // import.meta.url in the CJS build (corpus and sandbox paths).
  shims: true,
  splitting: true,
  // p-limit and franc-min are ESM-only; bundle them so that require("synthforge") works too.
  // zod is bundled for start-up (issue 15): its 95 modules cost more to load one by one than
  // as one chunk. zod 4 is made to work across copies (instanceof checks the schema's traits,
  // the global registry lives on globalThis), so host and ADK schemas mix with ours.
  noExternal: ["zod", "p-limit", "yocto-queue", "franc-min", "trigram-utils", "n-gram", "collapse-white-space"],
  // src/core/load.ts: the CJS build loads a dependency on first use with a plain require() (its
  // CJS entry, as the CJS build always did); the ESM build loads the ESM entry, the module `import()` gets.
  esbuildOptions(options, context) {
    options.define = { ...options.define, __SYNTHFORGE_CJS__: context.format === "cjs" ? "true" : "false" };
  },
});
