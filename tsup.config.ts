import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", cli: "src/cli/main.ts" },
  format: ["esm", "cjs"],
  dts: { entry: { index: "src/index.ts" } },
  sourcemap: true,
  clean: true,
  target: "node20",
  splitting: true,
  // p-limit is ESM-only; bundle it so that require("synthforge") works too.
  noExternal: ["p-limit", "yocto-queue"],
});
