// Points the published declarations at structural ADK types (scripts/adk-types.d.ts)
// instead of `@google/adk`, whose declarations fail in a consumer with `skipLibCheck: false`.
// Run after tsup: `node scripts/public-types.mjs [distDir]` (default dist). Fails when a
// declaration file still mentions `@google/adk`.
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const dist = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const shim = join(dirname(fileURLToPath(import.meta.url)), "adk-types.d.ts");
const files = readdirSync(dist).filter((f) => /\.d\.c?ts$/.test(f) && !f.startsWith("adk-types."));
if (!files.some((f) => f === "index.d.ts")) {
  console.error(`public-types: no index.d.ts in ${dist}; build the declarations first (npm run build)`);
  process.exit(1);
}
copyFileSync(shim, join(dist, "adk-types.d.ts"));
copyFileSync(shim, join(dist, "adk-types.d.cts"));
// `@google/genai` publishes ESM-only declarations: a CommonJS declaration file (.d.cts) may
// import its types only with `resolution-mode: import` (TypeScript 5.3+), and drops the
// bare `import '@google/genai'` lines the bundler leaves.
const ESM_ONLY = /import\s+(?:type\s+)?(\{[^}]*\}|\*\s+as\s+\w+)\s+from\s+(['"])@google\/genai\2;/g;
function cjsImports(text) {
  return text
    .replace(ESM_ONLY, (_m, what) => `import type ${what} from '@google/genai' with { 'resolution-mode': 'import' };`)
    .replace(/^import\s+(['"])@google\/genai\1;\n/gm, "");
}
const cts = join(dist, "adk-types.d.cts");
writeFileSync(cts, cjsImports(readFileSync(cts, "utf8")));
const left = [];
for (const f of files) {
  const path = join(dist, f);
  const target = f.endsWith(".d.cts") ? "./adk-types.cjs" : "./adk-types.js";
  const text = readFileSync(path, "utf8");
  let out = text.replace(/(["'])@google\/adk\1/g, `'${target}'`);
  if (f.endsWith(".d.cts")) out = cjsImports(out);
  if (out !== text) writeFileSync(path, out);
  if (/@google\/adk(?![\w-])/.test(out.replace(/^\s*(\*|\/\/).*$/gm, ""))) left.push(f);
}
if (left.length > 0) {
  console.error(`public-types: ${left.join(", ")} still import @google/adk (a deep import?); map it in scripts/adk-types.d.ts`);
  process.exit(1);
}
