import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The layering of DESIGN §3, enforced: a module may import only from its own layer or
 * the layers below it. Domain modules (training types, sources) may use tools.
 */
const RANK: Record<string, number> = {
  core: 0,
  storage: 1,
  models: 2,
  tools: 3,
  "training-types": 3.5,
  sources: 3.5,
  // Export, the dataset folder, the Hub push, the attribution ledger and import read stored runs.
  export: 3.7,
  agents: 4,
  pipeline: 5,
  testing: 5.5,
  // The studio (a local web app) serves the pipeline's data; the CLI starts it.
  studio: 5.7,
  cli: 6,
  mcp: 6,
  ui: 6,
};

const SRC = resolve(import.meta.dirname, "..", "src");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** The layer of a file under `root`: its first folder (or its own name for a file at the top). */
function layerOf(root: string, path: string): string {
  return relative(root, path).split(sep)[0]!;
}

interface Import {
  file: string;
  spec: string;
}

/**
 * Every module a source file names: static imports (type-only and multi-line ones too),
 * re-exports, side-effect imports, dynamic `import()` and `require()`.
 */
function scan(root: string): Import[] {
  return files(root).flatMap((file) => {
    const text = readFileSync(file, "utf8");
    const specs = [
      ...text.matchAll(
        /(?:^|\n)\s*(?:import|export)[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|require\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gm,
      ),
    ].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]!);
    return specs.map((spec) => ({ file, spec }));
  });
}

/** Relative imports from a lower layer into a higher one (or into a folder with no rank). */
function upwardImports(root: string, found: Import[]): string[] {
  const violations: string[] = [];
  for (const { file, spec } of found) {
    if (!spec.startsWith(".")) continue;
    const from = layerOf(root, file);
    const to = layerOf(root, resolve(dirname(file), spec));
    if (from.endsWith(".ts") || to.endsWith(".ts")) continue; // src/index.ts re-exports everything
    const a = RANK[from];
    const b = RANK[to];
    if (a === undefined || b === undefined)
      violations.push(`${relative(root, file)}: unknown layer in ${from} → ${to}`);
    else if (b > a) violations.push(`${relative(root, file)} (${from}) imports ${spec} (${to})`);
  }
  return violations;
}

const imports = scan(SRC);

describe("the layering check itself", () => {
  it("fails on planted upward imports of every form, and passes a clean tree", () => {
    const root = mkdtempSync(join(tmpdir(), "sf-layers-"));
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    try {
      write("core/a.ts", "export const a = 1;\n");
      write("pipeline/p.ts", 'import { a } from "../core/a.js";\nexport const p = a;\n');
      expect(upwardImports(root, scan(root))).toEqual([]);
      write("storage/static.ts", 'import {\n  p,\n} from "../pipeline/p.js";\nexport const s = p;\n');
      write(
        "storage/type-only.ts",
        'import type { p } from "../pipeline/p.js";\nexport type T = typeof p;\n',
      );
      write("core/reexport.ts", 'export * from "../agents/x.js";\n');
      write("models/dynamic.ts", 'export const load = () => import("../cli/main.js");\n');
      write("tools/required.ts", 'const m = require("../studio/serve.js");\nexport default m;\n');
      write("sources/side-effect.ts", 'import "../pipeline/p.js";\n');
      write("core/unknown.ts", 'import { x } from "../nowhere/x.js";\nexport const y = x;\n');
      const found = upwardImports(root, scan(root));
      expect(found).toHaveLength(7);
      for (const f of [
        "static.ts",
        "type-only.ts",
        "reexport.ts",
        "dynamic.ts",
        "required.ts",
        "side-effect.ts",
        "unknown.ts",
      ])
        expect(
          found.some((v) => v.includes(f)),
          f,
        ).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("architecture", () => {
  it("finds the layers", () => {
    const layers = new Set(files(SRC).map((f) => layerOf(SRC, f)));
    for (const l of [
      "core",
      "storage",
      "models",
      "training-types",
      "sources",
      "export",
      "agents",
      "pipeline",
      "cli",
    ])
      expect(layers).toContain(l);
    expect(imports.length).toBeGreaterThan(100);
  });

  it("lower layers never import higher ones", () => {
    expect(upwardImports(SRC, imports)).toEqual([]);
  });

  it("only storage touches the database drivers; the pipeline never touches a provider SDK", () => {
    const bad: string[] = [];
    for (const { file, spec } of imports) {
      const layer = layerOf(SRC, file);
      if (/^(typeorm|pg)$/.test(spec) && layer !== "storage")
        bad.push(`${relative(SRC, file)} imports ${spec}`);
      // The SQL verifier runs users' queries in an in-memory SQLite of its own.
      if (spec === "better-sqlite3" && !["storage", "tools"].includes(layer))
        bad.push(`${relative(SRC, file)} imports ${spec}`);
      if (/^@google\/genai$/.test(spec) && !["models"].includes(layer))
        bad.push(`${relative(SRC, file)} imports ${spec}`);
    }
    expect(bad).toEqual([]);
  });
});
