import { defineConfig } from "tsup";

// The test setup rebuilds only the JavaScript (types are checked by `tsc --noEmit`).
const quick = process.env.SYNTHFORGE_QUICK_BUILD === "1";

export default defineConfig({
  entry: { index: "src/index.ts", testing: "src/testing/index.ts", cli: "src/cli/main.ts" },
  format: ["esm", "cjs"],
  dts: quick ? false : { entry: { index: "src/index.ts", testing: "src/testing/index.ts" } },
  sourcemap: true,
  clean: !quick,
  target: "node20",
  // import.meta.url in the CJS build (corpus and sandbox paths).
  shims: true,
  splitting: true,
  // p-limit and franc-min are ESM-only; bundle them so that require("synthforge") works too.
  noExternal: ["p-limit", "yocto-queue", "franc-min", "trigram-utils", "n-gram", "collapse-white-space"],
});
